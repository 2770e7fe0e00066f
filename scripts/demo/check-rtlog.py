#!/usr/bin/env python3
"""Check the log xshm-logd stored from the bare-metal RT domain.

usage: check-rtlog.py LOG RT-CONSOLE RING-STAT

  LOG         the stored log (xshm-logd format 2, Documentation/logd-format.md)
  RT-CONSOLE  the RT domain's console lines; its "rtdomain: generation G
              boot=B produced=N ..." lines say how many records each
              generation numbered (rtdomain/rt.c)
  RING-STAT   the ring's own counters at the end, as key=value words:
              "produced=N dropped=M" (from "xshm-ring stat REGION log")

Proves, and prints the totals table:
  - every record the RT domain numbered is stored exactly once, in order,
    or counted in a loss marker placed where it was lost (the losses
    announced between two stored records equal the records missing there;
    those after the last stored record are announced after it);
  - the markers' total equals the ring's drop counter;
  - the warm restart is visible: each generation's records carry a new
    boot id, in the generations' order.
Exit 0 if all holds, 1 (with the reasons) if not, 2 on bad input.
"""
import re
import sys

TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
RECORD_RE = re.compile(r"^(" + TS + r") \| (.*)$")
MARKER_RE = re.compile(r"^(" + TS + r") #xshm-logd (.*)$")
HEADER_RE = re.compile(r"^#xshm-logd (format=.*)$")
PAYLOAD_RE = re.compile(r"^rt boot=([0-9a-f]{16}) gen=(\d+) seq=(\d+) t_us=(\d+)$")
GEN_RE = re.compile(r"rtdomain: generation (\d+) boot=0x([0-9a-f]{16}) "
                    r"produced=(\d+) sent=(\d+) dropped=(\d+)")


def unescape(s):
    """A format-2 payload back to its bytes (\\xHH escapes)."""
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\":
            if not re.match(r"\\x[0-9a-f]{2}", s[i:i + 4]):
                raise ValueError("bad escape")
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out.append(ord(s[i]))
            i += 1
    return bytes(out)


def keyvals(text):
    kv = {}
    for word in text.split(" "):
        if "=" not in word:
            raise ValueError("marker word without '=': %r" % word)
        k, v = word.split("=", 1)
        kv[k] = v
    return kv


def parse_log(lines):
    """The one parser of xshm-logd's format: a list of events
    ("header", kv), ("record", payload bytes), ("marker", kv), and errors."""
    events, errors = [], []
    for no, line in enumerate(lines, 1):
        m = RECORD_RE.match(line)
        if m:
            try:
                events.append(("record", unescape(m.group(2)), no))
            except ValueError:
                errors.append("line %d: bad escape in a record" % no)
            continue
        m = MARKER_RE.match(line)
        if m:
            try:
                events.append(("marker", keyvals(m.group(2)), no))
            except ValueError as e:
                errors.append("line %d: %s" % (no, e))
            continue
        m = HEADER_RE.match(line)
        if m:
            try:
                events.append(("header", keyvals(m.group(1)), no))
            except ValueError as e:
                errors.append("line %d: %s" % (no, e))
            continue
        errors.append("line %d: neither header, record nor marker: %r"
                      % (no, line[:80]))
    return events, errors


def check(log_lines, console_lines, stat):
    errors = []
    gens = []           # (gen, boot, produced) in the order they ran
    for line in console_lines:
        m = GEN_RE.search(line)
        if m:
            gens.append((int(m.group(1)), m.group(2), int(m.group(3))))
    if not gens:
        return ["the RT console has no 'rtdomain: generation' line"], None
    if [g[0] for g in gens] != list(range(len(gens))):
        errors.append("RT generations not 0..n in order: %s" % gens)
    base, start = {}, 0     # boot id -> position of its seq 0
    for g, boot, produced in gens:
        if boot in base:
            errors.append("boot id %s used by two generations" % boot)
        base[boot] = (start, g, produced)
        start += produced
    total = start

    events, perr = parse_log(log_lines)
    errors += perr
    if not events or events[0][0] != "header" or \
            events[0][1].get("format") != "2":
        errors.append("the log does not start with a format=2 header")
    prev = -1           # position of the last stored record
    pending = 0         # losses announced since it
    stored, lost, by_where = 0, 0, {}
    boots_seen = []
    by_gen = {}         # generation -> records stored
    for ev in events:
        kind, val, no = ev
        if kind == "marker":
            if "lost" in val:
                if not val["lost"].isdigit():
                    errors.append("line %d: lost=%r" % (no, val["lost"]))
                    continue
                n = int(val["lost"])
                pending += n
                lost += n
                w = val.get("where", "?")
                by_where[w] = by_where.get(w, 0) + n
            continue
        if kind != "record":
            continue
        m = PAYLOAD_RE.match(val.decode("ascii", "replace"))
        if not m:
            errors.append("line %d: not an RT record: %r" % (no, val[:60]))
            continue
        boot, gen, seq = m.group(1), int(m.group(2)), int(m.group(3))
        if boot not in base:
            errors.append("line %d: boot id %s of no generation" % (no, boot))
            continue
        b0, g, produced = base[boot]
        if gen != g or seq >= produced:
            errors.append("line %d: gen=%d seq=%d outside generation %d "
                          "(%d records)" % (no, gen, seq, g, produced))
            continue
        pos = b0 + seq
        if pos <= prev:
            errors.append("line %d: record %s seq=%d stored twice or out of "
                          "order" % (no, boot, seq))
            continue
        if pos - prev - 1 != pending:
            errors.append("line %d: %d records missing before %s seq=%d, %d "
                          "announced" % (no, pos - prev - 1, boot, seq,
                                         pending))
        if not boots_seen or boots_seen[-1] != boot:
            boots_seen.append(boot)
        prev, pending, stored = pos, 0, stored + 1
        by_gen["gen %d" % g] = by_gen.get("gen %d" % g, 0) + 1
    if total - prev - 1 != pending:
        errors.append("%d records missing after the last stored one, %d "
                      "announced" % (total - prev - 1, pending))
    ring_dropped = int(stat["dropped"])
    ring_produced = int(stat["produced"])
    if lost != ring_dropped:
        errors.append("markers announce %d lost, the ring dropped %d"
                      % (lost, ring_dropped))
    if ring_produced + ring_dropped != total:
        errors.append("the RT domain numbered %d, the ring counted %d "
                      "produced + %d dropped" % (total, ring_produced,
                                                 ring_dropped))
    if stored + lost != total:
        errors.append("stored %d + lost %d != produced %d"
                      % (stored, lost, total))
    if len(gens) > 1 and len(boots_seen) < 2:
        errors.append("the restart is not visible: records of %d boot id(s)"
                      % len(boots_seen))
    order = [b for _, b, _ in gens if b in boots_seen]
    if boots_seen != order:
        errors.append("boot ids stored out of generation order")
    totals = {
        "produced (RT numbered)": total,
        "stored": stored,
        "stored by generation": by_gen,
        "lost, announced": lost,
        "lost, not announced": total - stored - lost,
        "lost by where": by_where,
        "ring produced": ring_produced,
        "ring dropped (drop counter)": ring_dropped,
        "restart generations": len(gens),
        "boot ids in the log": len(boots_seen),
    }
    return errors, totals


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="ascii", errors="replace") as f:
            log_lines = f.read().splitlines()
        with open(argv[2], encoding="ascii", errors="replace") as f:
            console_lines = f.read().splitlines()
        with open(argv[3]) as f:
            stat = keyvals(f.read().strip())
        int(stat["produced"]), int(stat["dropped"])
    except (OSError, ValueError, KeyError) as e:
        print("check-rtlog: %s" % e, file=sys.stderr)
        return 2
    errors, totals = check(log_lines, console_lines, stat)
    if totals:
        print("%-28s %s" % ("totals", ""))
        for k, v in totals.items():
            if isinstance(v, dict):
                v = ", ".join("%s %d" % kv for kv in sorted(v.items())) or "-"
            print("  %-26s %s" % (k, v))
    for e in errors[:20]:
        print("check-rtlog: FAIL: %s" % e)
    if len(errors) > 20:
        print("check-rtlog: ... %d more" % (len(errors) - 20))
    print("check-rtlog: %s" % ("OK" if not errors else
                                "%d problem(s)" % len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
