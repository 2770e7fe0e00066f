#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The main job end to end, once per call: log records from a producer
that never waits, through a ring, into a file, by xshm and by LTTng-UST,
plus the write()-to-file ceiling of the same directory.

usage: run-logpath.py --tools DIR --bin DIR --work DIR --cpus A,B
                      --rep N [--quick]

xshm:  BIN/xshm-producer sends into a var ring of a /dev/shm region
       (initialised with TOOLS/xshm-ring); the real TOOLS/xshm-logd
       stores the ring into WORK.
LTTng: BIN/lttng-producer fires one tracepoint per record into a session
       of a session daemon started (and stopped) here, whose consumer
       daemon writes the trace into WORK.
Both producers are logpath-line.h: xshm-rtsim's lines and pacing, the
same code for both.
Producers on CPU A, the daemons on CPU B.  For each line size (64 and
512 bytes, newline included) and rate (0: full rate, then fixed rates)
it prints the harness's CSV rows impl,test,msg,batch,rep,metric,value
with test "logpath", msg the line size and batch the rate.

Stored records/s are counted from the producer's start to the moment
the last record is in the file: the log (xshm) or the trace directory
(LTTng, after `lttng stop --no-wait` flushed the last sub-buffers) last
grew, polled every 2 ms.  Loss is checked
exactly: xshm: the producer's sent/dropped against the data lines and
the "lost=" markers in the log; LTTng: the producer's count against the
events babeltrace2 counts and the discarded-event counters of the
trace's packet index.  CPU: xshm-logd's own (getrusage of the child),
LTTng's consumer daemons' (/proc/PID/stat).
"""
import argparse
import glob
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

SIZES = (64, 512)                       # bytes per stored line, newline included
RING = "log:var:4M"                     # the xshm ring: 4 MiB of records
LTTNG_SUBBUF, LTTNG_NSUBBUF = "1M", 4   # LTTng: 4 MiB per CPU, as the ring
BATCH = 256 * 1024                      # xshm-logd's default write size


def plan(quick):
    """(size, rate, count): full rate, then two fixed rates of ~1-2 s"""
    k = 20 if quick else 1
    return [(64, 0, 2000000 // k), (64, 200000, 400000 // k),
            (64, 1000000, 1000000 // k), (512, 0, 1000000 // k),
            (512, 100000, 200000 // k), (512, 400000, 400000 // k)]


def row(impl, size, rate, rep, metric, value):
    print("%s,logpath,%d,%d,%d,%s,%.6g" % (impl, size, rate, rep, metric,
                                            value))


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])    # utime + stime


def tree_size(top):
    return sum(os.path.getsize(os.path.join(d, f))
               for d, _s, files in os.walk(top) for f in files)


def wait_quiet(path, since, settle=0.2, size_of=None):
    """time the file last grew, once it has not grown for settle seconds"""
    last_size, last_t = -1, since
    while True:
        if size_of:
            size = size_of(path)
        else:
            size = os.path.getsize(path) if os.path.exists(path) else 0
        t = time.monotonic()
        if size != last_size:
            last_size, last_t = size, t
        elif t - last_t > settle:
            return last_t
        time.sleep(0.002)


def wait_quiet_tree(top, since):
    return wait_quiet(top, since, size_of=tree_size)


def xshm_run(args, size, rate, count, rep):
    work = args.work
    region = "/dev/shm/xshm-logpath-%d" % os.getpid()
    log = os.path.join(work, "log.log")
    for p in (log, log + ".state"):
        if os.path.exists(p):
            os.unlink(p)
    with open(region, "wb") as f:
        f.truncate(8 << 20)
    try:
        subprocess.run([os.path.join(args.tools, "xshm-ring"), "init", region,
                        "--chan", RING], check=True)
        logd = subprocess.Popen(
            ["taskset", "-c", str(args.cpus[1]),
             os.path.join(args.tools, "xshm-logd"), "-d", work, region, "log"],
            stderr=subprocess.PIPE, text=True)
        time.sleep(0.3)     # attached and polling
        t0 = time.monotonic()
        prod = subprocess.run(
            ["taskset", "-c", str(args.cpus[0]),
             os.path.join(args.bin, "xshm-producer"), str(size - 1),
             str(rate), str(count), region, "log"], check=True,
            capture_output=True, text=True)
        t_prod = time.monotonic() - t0
        t1 = wait_quiet(log, t0)
        logd.send_signal(signal.SIGTERM)
        _pid, status, ru = os.wait4(logd.pid, 0)
        err = logd.stderr.read()
        logd.returncode = os.waitstatus_to_exitcode(status)
    finally:
        os.unlink(region)
    m = re.search(r"sent (\d+) dropped (\d+)", prod.stdout)
    if not m or logd.returncode != 0:
        sys.exit("logpath: xshm run failed: %s %s" % (prod.stdout, err))
    sent, dropped = int(m.group(1)), int(m.group(2))
    # the end record's tries that did not fit are drops the ring announces
    end_drops = int(re.search(r"end-drops (\d+)", prod.stdout).group(1))
    lines = announced = 0
    with open(log, "rb") as f:
        for line in f:
            # format 2: "#xshm-logd format=2 ..." headers, "<time> #xshm-logd
            # k=v..." markers, "<time> | payload" records
            if line.startswith(b"#xshm-logd "):
                continue
            if line[27:39] == b" #xshm-logd ":
                a = re.search(rb" lost=(\d+)", line)
                announced += int(a.group(1)) if a else 0
            elif line[27:] != b" | logpath end\n":     # the producer's last word
                lines += 1
    stored_bytes = os.path.getsize(log)
    os.unlink(log)
    os.unlink(log + ".state")
    cpu = ru.ru_utime + ru.ru_stime
    exact = lines == sent and announced == dropped + end_drops and \
        sent + dropped == count
    if not exact:
        print("logpath: xshm loss counters disagree: produced %d, sent %d, "
              "dropped %d (+%d end record tries), stored %d lines, announced "
              "lost %d" % (count, sent, dropped, end_drops, lines, announced),
              file=sys.stderr)
    report("xshm_logd", size, rate, rep, count, lines, dropped, stored_bytes,
           t1 - t0, t_prod, cpu, exact)


def report(impl, size, rate, rep, produced, stored, lost, stored_bytes,
           secs, prod_secs, cpu, exact):
    row(impl, size, rate, rep, "stored_per_s", stored / secs)
    row(impl, size, rate, rep, "stored_bytes_per_s", stored_bytes / secs)
    row(impl, size, rate, rep, "produced_per_s", produced / prod_secs)
    row(impl, size, rate, rep, "loss", lost / produced)
    row(impl, size, rate, rep, "cpu_ns_per_record",
        cpu * 1e9 / stored if stored else 0)
    row(impl, size, rate, rep, "loss_exact", 1 if exact else 0)


class Lttng:
    """a session daemon of our own, for this run only; if one already
    serves this user (root's systemd unit), a session of ours in it"""

    def __init__(self, work, cpu):
        self.env = dict(os.environ, LTTNG_HOME=os.path.join(work, "lttng-home"))
        os.makedirs(self.env["LTTNG_HOME"], exist_ok=True)
        self.pidfile = os.path.join(work, "sessiond.pid")
        self.pid = None
        if subprocess.run(
                ["taskset", "-c", str(cpu), "lttng-sessiond", "--daemonize",
                 "--no-kernel", "--pidfile", self.pidfile], env=self.env,
                capture_output=True).returncode == 0:
            with open(self.pidfile) as f:
                self.pid = int(f.read())
            self.ok = True
        else:
            self.ok = subprocess.run(["lttng", "list"], env=self.env,
                                     capture_output=True).returncode == 0
            if self.ok:
                print("logpath: using the LTTng session daemon already "
                      "running (its consumer daemons are not pinned)",
                      file=sys.stderr)

    def lttng(self, *a):
        subprocess.run(["lttng"] + list(a), env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def consumers(self):
        parent = ["-P", str(self.pid)] if self.pid else []
        out = subprocess.run(["pgrep"] + parent + ["-x", "lttng-consumerd"],
                             capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self):
        if self.pid:
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(100):
                if not os.path.exists("/proc/%d" % self.pid):
                    break
                time.sleep(0.05)


def index_discarded(trace):
    """events the tracer discarded: the last packet index entry of each
    stream holds that stream's running count"""
    total = 0
    for idx in glob.glob(os.path.join(trace, "**", "index", "*.idx"),
                         recursive=True):
        with open(idx, "rb") as f:
            data = f.read()
        magic, _maj, _min, esz = struct.unpack(">IIII", data[:16])
        if magic != 0xC1F1DCC1 or len(data) < 16 + esz:
            continue
        total += struct.unpack(">Q", data[-esz + 40:-esz + 48])[0]
    return total


def trace_events(trace):
    out = subprocess.run(["babeltrace2", trace, "--component",
                          "sink.utils.counter"], capture_output=True,
                         text=True, check=True).stdout
    # the counter prints running blocks, then the totals
    return int(re.findall(r"(\d+) Event messages", out)[-1])


def lttng_run(args, lt, size, rate, count, rep):
    trace = os.path.join(args.work, "trace")
    shutil.rmtree(trace, ignore_errors=True)
    lt.lttng("create", "logpath", "--output=" + trace)
    try:
        lt.lttng("enable-channel", "-u", "c0", "--subbuf-size=" + LTTNG_SUBBUF,
                 "--num-subbuf=%d" % LTTNG_NSUBBUF)
        lt.lttng("enable-event", "-u", "-c", "c0", "xshm_bench:line")
        lt.lttng("start")
        cons = lt.consumers()
        cpu0 = sum(cpu_ticks(p) for p in cons)
        t0 = time.monotonic()
        prod = subprocess.run(["taskset", "-c", str(args.cpus[0]),
                               os.path.join(args.bin, "lttng-producer"),
                               str(size - 1), str(rate),
                               str(count)], env=lt.env, check=True,
                              capture_output=True, text=True)
        t_prod = time.monotonic() - t0
        # flush the last sub-buffers; timed as for xshm: until the trace
        # stops growing (stop itself polls for data availability)
        lt.lttng("stop", "--no-wait")
        t1 = wait_quiet_tree(trace, t0)
        cpu = (sum(cpu_ticks(p) for p in cons) - cpu0) / os.sysconf("SC_CLK_TCK")
    finally:
        lt.lttng("destroy", "logpath")
    sent = int(re.search(r"sent (\d+)", prod.stdout).group(1))
    stored = trace_events(trace)
    discarded = index_discarded(trace)
    stored_bytes = tree_size(trace)
    shutil.rmtree(trace)
    exact = stored + discarded == sent == count
    if not exact:
        print("logpath: LTTng counters disagree: produced %d, stored %d, "
              "discarded %d" % (sent, stored, discarded), file=sys.stderr)
    report("lttng_ust", size, rate, rep, count, stored, count - stored,
           stored_bytes, t1 - t0, t_prod, cpu, exact)


def disk_ceiling(args, size, count, rep):
    """write() of xshm-logd's batch size into a file of the same
    directory, as many bytes as the full-rate run stores"""
    path = os.path.join(args.work, "ceiling")
    buf = b"x" * BATCH
    total = size * count
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.sched_setaffinity(0, {args.cpus[1]})
    t0 = time.monotonic()
    done = 0
    while done < total:
        done += os.write(fd, buf)
    os.close(fd)
    secs = time.monotonic() - t0
    os.unlink(path)
    row("disk_write", size, 0, rep, "stored_bytes_per_s", done / secs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tools", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cpus", required=True)
    ap.add_argument("--rep", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    args.cpus = [int(c) for c in args.cpus.split(",")]
    os.makedirs(args.work, exist_ok=True)
    lt = None
    producer = os.path.join(args.bin, "lttng-producer")
    if not shutil.which("lttng-sessiond") or not os.access(producer, os.X_OK):
        print("logpath: no lttng-sessiond or %s: LTTng not measured" %
              producer, file=sys.stderr)
    else:
        lt = Lttng(args.work, args.cpus[1])
    if lt and not lt.ok:
        print("logpath: no LTTng session daemon could be started or "
              "reached: LTTng not measured", file=sys.stderr)
        lt = None
    try:
        for size, rate, count in plan(args.quick):
            if rate == 0:
                disk_ceiling(args, size, count, args.rep)
            xshm_run(args, size, rate, count, args.rep)
            if lt:
                lttng_run(args, lt, size, rate, count, args.rep)
    finally:
        if lt:
            lt.stop()


if __name__ == "__main__":
    main()
