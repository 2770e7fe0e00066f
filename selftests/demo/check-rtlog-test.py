#!/usr/bin/env python3
"""Test scripts/demo/check-rtlog.py: it accepts a good log and fails each
crafted bad one for the reason it was made bad.  TAP on stdout.

usage: check-rtlog-test.py [LOG RT-CONSOLE RING-STAT]

With no argument the good log is made here: two RT generations (a warm
restart between them) whose records go through a simulated drop-policy
ring and are stored as xshm-logd writes them (format 2), with loss markers
between records and after the last one.  With the three files of a real
run (scripts/demo/demo-xen.sh's stored.log, rt-console.log and
ring-stat.txt) the bad logs are crafted from that run's log instead.
"""
import os
import random
import subprocess
import sys
import tempfile

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "..", "..", "scripts", "demo", "check-rtlog.py")
TS = "2026-12-05T06:00:00.%06dZ"


def synthetic(seed=12):
    """A good (log lines, console lines, ring stat) triple."""
    rnd = random.Random(seed)
    log = ["#xshm-logd format=2 region=/dev/xshm0 ring=log"]
    console = []
    ring_seq, t, pending, dropped = 0, 0, 0, 0
    for gen, boot in enumerate(("00000000deadbeef", "0123456789abcdef")):
        produced = 300
        for seq in range(produced):
            t += 1
            # bursts: a run of stored records, then a run of drops
            if (seq // 40) % 2 and rnd.random() < 0.9:
                pending += 1
                dropped += 1
                continue
            if pending:
                log.append(TS % t + " #xshm-logd ring=log lost=%d "
                           "where=between before-seq=%d" % (pending, ring_seq))
                pending = 0
            log.append(TS % t + " | rt boot=%s gen=%d seq=%d t_us=%d"
                       % (boot, gen, seq, t))
            ring_seq += 1
        console.append("rtdomain: generation %d boot=0x%s produced=%d "
                       "sent=0 dropped=0" % (gen, boot, produced))
    # the last records are lost after the last stored one
    for _ in range(7):
        log.pop()
        ring_seq -= 1
        pending += 1
        dropped += 1
    log.append(TS % (t + 1) + " #xshm-logd ring=log lost=%d where=exit "
               "after-seq=%d" % (pending, ring_seq - 1))
    return log, console, {"produced": ring_seq, "dropped": dropped}


def run(tmp, name, log, console, stat):
    paths = [os.path.join(tmp, name + ext)
             for ext in (".log", ".console", ".stat")]
    for p, lines in zip(paths[:2], (log, console)):
        with open(p, "w") as f:
            f.write("".join(line + "\n" for line in lines))
    with open(paths[2], "w") as f:
        f.write("produced=%d dropped=%d\n" % (stat["produced"],
                                              stat["dropped"]))
    p = subprocess.run([sys.executable, CHECKER] + paths,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    return p.returncode, p.stdout


def is_record(line):
    return line[27:30] == " | "


def records(log):
    return [i for i, line in enumerate(log) if is_record(line)]


def lost_markers(log):
    return [i for i, line in enumerate(log)
            if not is_record(line) and " lost=" in line]


# The bad logs.  Each returns (log, console, stat) or None when the good
# log cannot be made bad that way; with the text the checker must say.
def duplicate(log, console, stat):
    i = records(log)[len(records(log)) // 2]
    return log[:i + 1] + [log[i]] + log[i + 1:], console, stat


def reorder(log, console, stat):
    r = records(log)
    for a, b in zip(r, r[1:]):
        if b == a + 1 and a > r[len(r) // 3]:
            bad = list(log)
            bad[a], bad[b] = log[b], log[a]
            return bad, console, stat
    return None


def gap(log, console, stat):
    i = records(log)[len(records(log)) // 2]
    return log[:i] + log[i + 1:], console, stat


def wrong_total(log, console, stat):
    i = lost_markers(log)[0]
    head, n = log[i].split(" lost=", 1)
    n, rest = n.split(" ", 1)
    bad = list(log)
    bad[i] = "%s lost=%d %s" % (head, int(n) + 1, rest)
    return bad, console, stat


def ring_disagrees(log, console, stat):
    # the ring counted one drop more (and one record less) than announced
    return log, console, {"produced": stat["produced"] - 1,
                          "dropped": stat["dropped"] + 1}


def trailing_unannounced(log, console, stat):
    if is_record(log[-1]):
        return None
    # the markers after the last stored record go, and so do their drops
    # from the ring's counter: only "announced after the last" is broken
    r = records(log)[-1]
    gone = sum(int(line.split(" lost=", 1)[1].split(" ")[0])
               for line in log[r + 1:] if " lost=" in line)
    return log[:r + 1], console, {"produced": stat["produced"],
                                  "dropped": stat["dropped"] - gone}


def restart_invisible(log, console, stat):
    # every record of the last generation replaced by a loss announced at
    # the end: the counts still agree, but no record shows the restart
    if len(console) < 2:
        return None
    boot = console[-1].split(" boot=0x", 1)[1].split(" ")[0]
    older = [i for i in records(log) if " rt boot=%s " % boot not in log[i]]
    if not older or older[-1] == records(log)[-1]:
        return None
    keep = log[:older[-1] + 1]
    stored = len(older)
    lost = sum(int(keep[i].split(" lost=", 1)[1].split(" ")[0])
               for i in lost_markers(keep))
    total = stat["produced"] + stat["dropped"]
    keep.append(TS % 999999 + " #xshm-logd ring=log lost=%d where=exit "
                "after-seq=%d" % (total - stored - lost, stored - 1))
    return keep, console, {"produced": stored, "dropped": total - stored}


BAD = [
    ("a record stored twice", duplicate, "stored twice or out of order"),
    ("two records swapped", reorder, "stored twice or out of order"),
    ("a record missing, no marker (unannounced gap)", gap,
     "announced"),
    ("a marker's lost= one too high (wrong total)", wrong_total,
     "markers announce"),
    ("markers' total differs from the ring's drop counter", ring_disagrees,
     "markers announce"),
    ("drops after the last stored record not announced",
     trailing_unannounced, "missing after the last stored one"),
    ("the warm restart not visible in the log", restart_invisible,
     "the restart is not visible"),
]


def main(argv):
    if len(argv) == 4:
        with open(argv[1]) as f:
            log = f.read().splitlines()
        with open(argv[2]) as f:
            console = [line for line in f.read().splitlines()
                       if "rtdomain: generation " in line]
        with open(argv[3]) as f:
            stat = {k: int(v) for k, v in
                    (w.split("=", 1) for w in f.read().split())}
        what = "the real run's log"
    elif len(argv) == 1:
        log, console, stat = synthetic()
        what = "a simulated log"
    else:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    n = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = run(tmp, "good", log, console, stat)
        n += 1
        ok = rc == 0 and "check-rtlog: OK" in out
        failed += not ok
        print("%sok %d check-rtlog accepts %s" % ("" if ok else "not ",
                                                  n, what))
        if not ok:
            print("".join("# " + line + "\n" for line in out.splitlines()))
        for name, craft, reason in BAD:
            n += 1
            bad = craft(log, console, stat)
            if bad is None:
                print("ok %d check-rtlog fails %s # SKIP %s cannot be made "
                      "bad that way" % (n, name, what))
                continue
            rc, out = run(tmp, "bad%d" % n, *bad)
            ok = rc == 1 and ("FAIL: " in out and reason in out)
            failed += not ok
            print("%sok %d check-rtlog fails %s" % ("" if ok else "not ",
                                                    n, name))
            lines = [line for line in out.splitlines() if "FAIL" in line]
            for line in (lines if ok else out.splitlines())[:4]:
                print("#   " + line)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
