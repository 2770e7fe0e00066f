#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Print a demo's totals and check stored = produced - lost.

usage: totals.py SUMMARY PRODUCED DROPPED WHERE [NFILES]

SUMMARY is check-log.awk's JSON for the stored log, PRODUCED the ring's
next seq, DROPPED its drop counter, WHERE names the log in the report;
NFILES (the host demo's rotated files) is reported when given, and only
then may the log be empty.  Exits 0 on PASS, 1 on FAIL.
"""
import json
import sys

if len(sys.argv) not in (5, 6):
    sys.exit(__doc__)
s = json.loads(sys.argv[1])
produced, dropped, where = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
nfiles = int(sys.argv[5]) if len(sys.argv) == 6 else None
stored, lost = s["records"], s["lost"]
# drops after the last stored record that the log does not announce
# (xshm-logd announces them when idle and at exit: lost_after_last)
trailing = produced - 1 - s["last_seq"] if s["last_seq"] is not None else produced
trailing -= s.get("lost_after_last", 0)
rows = [
    ("produced (ring seq numbers)", produced),
    ("stored in " + where, stored),
    ("lost, announced in the log", lost),
    ("lost after the last record", trailing),  # not announced
    ("dropped (ring counter)", dropped),
]
if nfiles is not None:
    rows.append(("log files (rotation)", nfiles))
rows.append(("order/duplicate errors", s["errors"]))
print("\n== totals")
for name, value in rows:
    print(f"  {name:30} {value:>10}")
ok = (s["errors"] == 0 and stored == produced - lost - trailing
      and lost + trailing == dropped and (nfiles is not None or stored > 0))
print(f"\n  stored = produced - lost: {stored} = {produced} - {lost + trailing}: "
      + ("PASS" if ok else "FAIL"), flush=True)
sys.exit(0 if ok else 1)
