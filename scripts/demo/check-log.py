#!/usr/bin/env python3
"""Check logs written by xshm-logd from records of xshm-rtsim.

Reads the given files in order (oldest rotated file first) and checks that
the records' seq numbers only go forward, that every gap is exactly
announced by a "#xshm-logd ... lost=N before-seq=S" marker, and that no
record appears twice.  Prints a JSON summary; exits 1 on any violation.

usage: check-log.py LOG... 
"""
import json
import re
import sys

REC = re.compile(rb"^rtsim seq=(\d+) ")
LOST = re.compile(rb"^#xshm-logd ring=\S+ lost=(\d+) before-seq=(\d+)")
GEN = re.compile(rb"^#xshm-logd ring=\S+ layout-generation=(\d+)")
CORRUPT = re.compile(rb"^#xshm-logd ring=\S+ corrupt-data")


def main(paths):
    records = lost = generations = corrupt = other = 0
    prev = None          # seq of the previous record in this generation
    pending_lost = 0     # announced by markers since prev
    first = last = None
    seen = set()
    errors = []

    for path in paths:
        with open(path, "rb") as f:
            for lineno, line in enumerate(f, 1):
                where = f"{path}:{lineno}"
                m = LOST.match(line)
                if m:
                    n, before = int(m.group(1)), int(m.group(2))
                    lost += n
                    pending_lost += n
                    continue
                if GEN.match(line):
                    generations += 1
                    prev, pending_lost = None, 0
                    seen.clear()
                    continue
                if CORRUPT.match(line):
                    corrupt += 1
                    continue
                m = REC.match(line)
                if not m:
                    other += 1
                    continue
                seq = int(m.group(1))
                if seq in seen:
                    errors.append(f"{where}: seq {seq} stored twice")
                seen.add(seq)
                if prev is not None:
                    want = (prev + 1 + pending_lost) & 0xFFFFFFFF
                    if seq != want:
                        errors.append(f"{where}: seq {seq} after {prev} with "
                                      f"{pending_lost} announced lost (want {want})")
                records += 1
                first = seq if first is None else first
                last = seq
                prev, pending_lost = seq, 0
    summary = {"records": records, "lost": lost, "first_seq": first,
               "last_seq": last, "generations": generations,
               "corrupt_markers": corrupt, "other_lines": other,
               "errors": len(errors)}
    print(json.dumps(summary))
    for e in errors[:20]:
        print("check-log: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
