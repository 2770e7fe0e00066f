#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turn the benchmarks' raw CSV rows into the published results.

usage: report.py RAW.csv PLACEMENTS.csv MACHINE.txt OUTDIR [README.md]

RAW rows are impl,test,msg,batch,rep,metric,value (one per repetition).
Writes OUTDIR/results.csv (median, spread and ratios of every figure),
OUTDIR/results.md (tables, goals, machine) and the data files plot.gp
reads (OUTDIR/plot-*.dat).  Ratios compare figures of the same run only.
With README.md, the goals table there (between the bench-goals markers)
is replaced by this run's.
"""
import csv
import os
import statistics
import sys
from collections import defaultdict

import report_logpath as logpath

PEERS = ["boost_spsc", "ck_ring", "dpdk_rte_ring", "idxcache_spsc",
         "moodycamel_rwq"]
XSHM = ["xshm_fixed", "xshm_var", "xshm_seqlock", "xshm_latch"]
LIMITS = ["pingpong", "memcpy"]    # and xcopy_<chunk>k_<buffer>k
ORDER = XSHM + PEERS + LIMITS
LATENCY = ["p50_ns", "p99_ns", "p999_ns"]
THROUGHPUT = ["msgs_per_s", "bytes_per_s", "steady_msgs_per_s",
              "steady_bytes_per_s"]
EXTRA = ["reads_per_s", "distinct_reads"]
NOISE = "preemptions"    # involuntary context switches during one run
SLEEPS = "sleeps"        # voluntary ones: the channel's wait slept
# a figure whose spread, or whose whole-run/steady gap, exceeds this is
# marked unstable and meets no goal
UNSTABLE = 0.25

# the goals: (what, impls, test, msg, batches, metric, reference, bound)
GOALS = [
    ("8-byte throughput >= 1.2x best peer", ["xshm_fixed", "xshm_var"],
     "tput", 8, [1, 32], "msgs_per_s", "peer", 1.2),
    ("p50 one-way latency <= 1.5x bare ping-pong",
     ["xshm_fixed", "xshm_var", "xshm_seqlock", "xshm_latch"], "lat", 8, [1],
     "p50_ns",
     "limit", 1.5),
    ("4 KiB records >= 0.6x memcpy bandwidth", ["xshm_var", "xshm_fixed"],
     "tput", 4096, [1, 32], "bytes_per_s", "limit", 0.6),
    # not a goal: how near the two-core copy ceiling a ring gets (no bound)
    ("(context) 4 KiB records vs best two-core copy",
     ["xshm_var", "xshm_fixed"], "tput", 4096, [1, 32], "bytes_per_s",
     "xcopy", None),
]


def load(path):
    runs = defaultdict(list)
    with open(path) as f:
        for row in csv.reader(f):
            if len(row) != 7 or row[0].startswith("#"):
                continue
            impl, test, msg, batch, _rep, metric, value = row
            runs[(impl, test, int(msg), int(batch), metric)].append(float(value))
    return runs


def summarise(runs):
    """median, spread ((max - min) / median), best, min and max of each
    figure"""
    out = {}
    for key, vals in runs.items():
        med = statistics.median(vals)
        spread = (max(vals) - min(vals)) / med if med else 0.0
        best = min(vals) if lower_is_better(key[4]) else max(vals)
        out[key] = (med, spread, len(vals), best, min(vals), max(vals))
    return out


def lower_is_better(metric):
    return metric in LATENCY or metric in (NOISE, SLEEPS, "loss",
                                           "cpu_ns_per_record")


def best_peer(summ, test, msg, batch, metric, impl=None):
    # limits are references, and a seqlock's writes/s is not a queue's rate
    if metric in (NOISE, SLEEPS) or (impl and is_limit(impl)) or (impl in ("xshm_seqlock", "xshm_latch") and
                          test == "tput"):
        return None
    vals = [summ[(p, test, msg, batch, metric)][0] for p in PEERS
            if (p, test, msg, batch, metric) in summ]
    if not vals:
        return None
    return min(vals) if lower_is_better(metric) else max(vals)


def limit(summ, test, msg, metric):
    """latency floor: ping-pong of the same size; ceiling: memcpy bytes/s"""
    if metric in LATENCY:
        key = ("pingpong", "lat", msg, 1, metric)
    elif metric in ("bytes_per_s", "steady_bytes_per_s"):
        key = ("memcpy", "tput", msg, 1, "bytes_per_s")
    else:
        return None
    return summ[key][0] if key in summ else None


def is_limit(impl):
    return impl in LIMITS or impl.startswith("xcopy_")


def two_core(summ, msg, metric="bytes_per_s"):
    """the two-core copy limit: the best median of the xcopy
    configurations measured for this size (key of that figure or None)"""
    keys = [k for k in summ if k[0].startswith("xcopy_") and k[1] == "tput"
            and k[2] == msg and k[4] == metric]
    return max(keys, key=lambda k: summ[k][0]) if keys else None


def ratio(v, ref):
    return v / ref if ref else None


def fmt_ratio(r):
    return "" if r is None else "%.2f" % r


def fmt_value(metric, v):
    if metric in LATENCY:
        return "%.0f ns" % v
    if metric == "bytes_per_s":
        return "%.2f GB/s" % (v / 1e9)
    if metric == "steady_bytes_per_s":
        return "%.2f GB/s" % (v / 1e9)
    if metric in ("msgs_per_s", "reads_per_s", "steady_msgs_per_s"):
        return "%.1f M/s" % (v / 1e6)
    return "%.0f" % v


def sort_key(key):
    impl, test, msg, batch, metric = key
    order = ORDER.index(impl) if impl in ORDER else len(ORDER)
    return (test, msg, batch, metric, order, impl)


def goal_ratio(summ, impl, test, msg, batch, metric, ref):
    key = (impl, test, msg, batch, metric)
    if key not in summ:
        return None, None
    v = summ[key][0]
    if ref == "peer":
        return v, ratio(v, best_peer(summ, test, msg, batch, metric))
    if ref == "xcopy":
        ref_key = two_core(summ, msg)
        return v, ratio(v, summ[ref_key][0] if ref_key else None)
    return v, ratio(v, limit(summ, test, msg, metric))


def reference_keys(summ, test, msg, batch, metric, ref):
    """the figures a goal's ratio divides by (their spread counts too)"""
    if ref == "peer":
        return [(p, test, msg, batch, metric) for p in PEERS
                if (p, test, msg, batch, metric) in summ]
    if ref == "xcopy":
        return [k for k in [two_core(summ, msg)] if k]
    if metric in LATENCY:
        return [("pingpong", "lat", msg, 1, metric)]
    return [("memcpy", "tput", msg, 1, "bytes_per_s")]


def instability(summ, keys, steady_pair=None):
    """why a figure cannot be trusted, or "" (spread or whole/steady gap
    over UNSTABLE)"""
    why = []
    for k in keys:
        if k in summ and summ[k][1] > UNSTABLE:
            why.append("%s spread %.0f%%" % (k[0], 100 * summ[k][1]))
    if steady_pair and steady_pair[0] in summ and steady_pair[1] in summ:
        w, st = summ[steady_pair[0]][0], summ[steady_pair[1]][0]
        if w and st and max(w, st) / min(w, st) - 1 > UNSTABLE:
            why.append("%s whole/steady %.2f" % (steady_pair[0][0], w / st))
    return "; ".join(why)


def verdict(r, metric, bound, unstable=""):
    if r is None:
        return "not measured"
    if bound is None:
        return "(no goal)"
    if unstable:
        return "UNSTABLE (%s)" % unstable
    if lower_is_better(metric):
        return "met" if r <= bound else "NOT met"
    return "met" if r >= bound else "NOT met"


def fmt_range(summ, key):
    if key not in summ:
        return ""
    med = summ[key][0]
    lo, hi = summ[key][4], summ[key][5]
    return "%s (%s - %s)" % (fmt_value(key[4], med), fmt_value(key[4], lo),
                             fmt_value(key[4], hi))


def goal_rows(summ):
    """one row per goal and implementation: whole-run median with its
    min-max, spread, ratio, steady ratio (throughput) and one verdict: met
    only if the whole-run and steady ratios both meet the bound and the
    figures are stable"""
    rows = []
    for what, impls, test, msg, batches, metric, ref, bound in GOALS:
        for impl in impls:
            for batch in batches:
                key = (impl, test, msg, batch, metric)
                v, r = goal_ratio(summ, impl, test, msg, batch, metric, ref)
                sr, pair = None, None
                keys = [key] + reference_keys(summ, test, msg, batch, metric, ref)
                if metric in ("msgs_per_s", "bytes_per_s"):
                    skey = (impl, test, msg, batch, "steady_" + metric)
                    _sv, sr = goal_ratio(summ, impl, test, msg, batch,
                                         "steady_" + metric, ref)
                    keys.append(skey)
                    pair = (key, skey)
                why = instability(summ, keys, pair)
                vd = verdict(r, metric, bound, why)
                if vd == "met" and sr is not None and \
                        verdict(sr, metric, bound) != "met":
                    vd = "NOT met (steady)"
                rows.append(dict(what=what, impl=impl, cond="batch %d" % batch,
                                 figure=fmt_range(summ, key),
                                 spread="" if key not in summ else
                                 "%.0f%%" % (100 * summ[key][1]),
                                 ratio=fmt_ratio(r), steady=fmt_ratio(sr),
                                 verdict=vd))
    rows += logpath.goal_rows(summ, UNSTABLE)
    return rows


def goals_table(summ):
    lines = ["| goal | impl | where | figure: median (min - max) | spread | ratio | steady ratio | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for g in goal_rows(summ):
        lines.append("| %(what)s | %(impl)s | %(cond)s | %(figure)s | "
                     "%(spread)s | %(ratio)s | %(steady)s | %(verdict)s |" % g)
    return lines


def limit_breaches(summ):
    """rings that beat a limit in the same run: then the limit is wrong.
    Returns (stable, unstable): breaches between stable figures, and
    those where the ring's or the limit's figure is itself unstable"""
    stable, shaky = [], []
    for key in sorted(summ, key=sort_key):
        impl, test, msg, batch, metric = key
        if test != "tput" or is_limit(impl) or \
                metric not in ("bytes_per_s", "steady_bytes_per_s") or \
                impl in ("xshm_seqlock", "xshm_latch"):
            continue
        for lk in (two_core(summ, msg), ("memcpy", "tput", msg, 1,
                                          "bytes_per_s")):
            if lk not in summ or summ[key][0] <= summ[lk][0]:
                continue
            line = "%s %dB batch %d %s %s = %.2fx %s: the %s limit is " \
                "wrong" % (impl, msg, batch, metric,
                           fmt_value(metric, summ[key][0]),
                           summ[key][0] / summ[lk][0], lk[0], lk[0])
            if max(summ[key][1], summ[lk][1]) > UNSTABLE:
                shaky.append(line + " (unstable figures)")
            else:
                stable.append(line)
    lp_stable, lp_shaky = logpath.limit_breaches(summ, UNSTABLE)
    return stable + lp_stable, shaky + lp_shaky


def update_readme(summ, machine, path):
    """replace the table between the markers; the rest is left alone"""
    begin, end = "<!-- bench-goals:begin -->", "<!-- bench-goals:end -->"
    with open(path) as f:
        text = f.read()
    if begin not in text or end not in text:
        sys.exit("%s: no %s ... %s markers" % (path, begin, end))
    date = machine.splitlines()[0].replace("date: ", "") if machine else ""
    load = [l.split(": ", 1)[1] for l in machine.splitlines()
            if l.startswith("load average (1/5/15 min) at each")]
    if load:
        date += "; load average at each repetition: " + load[0]
    table = "\n".join(["", "From `bench/results/` (%s):" % date, ""] +
                      goals_table(summ) + [""])
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    with open(path, "w") as f:
        f.write(head + begin + table + end + tail)


def write_csv(summ, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["impl", "test", "msg_bytes", "batch", "metric", "median",
                    "spread", "reps", "ratio_best_peer", "ratio_limit", "best"])
        for key in sorted(summ, key=sort_key):
            impl, test, msg, batch, metric = key
            med, spread, n, best = summ[key][:4]
            rp = ratio(med, best_peer(summ, test, msg, batch, metric, impl))
            rl = ratio(med, limit(summ, test, msg, metric))
            w.writerow([impl, test, msg, batch, metric, "%.6g" % med,
                        "%.3f" % spread, n, fmt_ratio(rp), fmt_ratio(rl),
                        "%.6g" % best])


def write_md(summ, raw_runs, placements, machine, path):
    lines = ["# xshm benchmarks", ""]
    lines += ["Two processes pinned to two CPUs, channels in one /dev/shm file "
              "(each process maps it at its own address). Every figure is the "
              "median of its repetitions; spread is (max - min) / median, "
              "best the best repetition. "
              "Ratios compare figures of the same run: *vs peer* to the best "
              "of Boost, CK, DPDK, the index-caching ring (rigtorp's design) and "
              "moodycamel's ReaderWriterQueue for the same message size and batch, "
              "*vs limit* to memcpy bandwidth (bytes/s) or to the bare "
              "ping-pong of the same size (latency). *xcopy_C_B* is the "
              "two-core copy bandwidth: only the payload lines cross, "
              "handed over C KiB at a time through a B KiB shared buffer "
              "(limit-xcopy.c); the best configuration of a size is the "
              "two-core limit, checked below against every ring. "
              "Instruction counts per "
              "message (callgrind) are in profile.md when the full run made it.",
              ""]
    noise = [x for k, vals in raw_runs.items() if k[4] == NOISE for x in vals]
    if noise:
        lines += ["Noise: the two benchmark processes were preempted in "
                  "%d of %d runs (median %d, max %d involuntary context "
                  "switches per run); see the load averages under Machine." % (
                      sum(1 for v in noise if v > 0), len(noise),
                      statistics.median(noise), max(noise)), ""]
    slept = sorted((k, summ[k][0]) for k in summ
                   if k[4] == SLEEPS and summ[k][0] > 0)
    if slept:
        lines += ["Sleeping: a spinning benchmark process never sleeps unless "
                  "the channel's own wait does; median sleeps per run: " +
                  ", ".join("%s %s %dB: %d" % (k[0], k[1], k[2], v)
                            for k, v in slept) + ".", ""]
    lines += ["## Goals", "",
              "Throughput goals are judged twice: on the whole-run median "
              "and on the median steady window (see README.md), which "
              "leaves out the stalls when the scheduler preempted a "
              "spinning process; a goal is met only when both ratios meet "
              "it.  A figure whose spread (max - min over the repetitions, "
              "over the median) or whose whole-run/steady gap exceeds "
              "%d%%, in the figure or in what it is compared to, is "
              "UNSTABLE and meets no goal: rerun on a quieter machine." %
              (100 * UNSTABLE), ""]
    lines += goals_table(summ) + [""]
    stable, shaky = limit_breaches(summ)
    lines += ["## Limits check", "",
              "A limit that a ring beats in the same run is not a limit "
              "(medians, whole-run and steady, against the best two-core "
              "copy and memcpy; the log path's stored bytes/s against the "
              "disk's write() ceiling).", ""]
    if not stable and not shaky:
        lines += ["No ring exceeded a limit in this run.", ""]
    if stable:
        lines += ["Between stable figures:", ""] + \
            ["- " + b for b in stable] + [""]
    if shaky:
        lines += ["Where the ring's or the limit's figure is unstable "
                  "(spread > %d%%): not conclusive, listed all the same:" %
                  (100 * UNSTABLE), ""] + ["- " + b for b in shaky] + [""]
    lines += logpath.markdown(summ, UNSTABLE)

    sections = [("Throughput", "tput", THROUGHPUT + EXTRA),
                ("One-way latency (half the round trip, batch 1)", "lat",
                 LATENCY)]
    for title, test, metrics in sections:
        lines += ["## " + title, "",
                  "| impl | msg | batch | metric | median | min - max | spread | best | vs peer | vs limit |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for key in sorted(summ, key=sort_key):
            impl, t, msg, batch, metric = key
            if t != test or metric not in metrics:
                continue
            med, spread, n, best = summ[key][:4]
            rp = ratio(med, best_peer(summ, t, msg, batch, metric, impl))
            rl = ratio(med, limit(summ, t, msg, metric))
            lines.append("| %s | %d | %d | %s | %s | %s - %s | %.0f%%%s | %s | %s | %s |" % (
                impl, msg, batch, metric, fmt_value(metric, med),
                fmt_value(metric, summ[key][4]), fmt_value(metric, summ[key][5]),
                100 * spread, " unstable" if spread > UNSTABLE else "",
                fmt_value(metric, best), fmt_ratio(rp), fmt_ratio(rl)))
        lines.append("")

    lines += ["## Where each implementation runs", ""]
    for impl in ORDER:
        if impl in placements:
            lines.append("- **%s**: %s" % (impl, placements[impl]))
    lines += ["- **memcpy**: one process, one pinned CPU, msg-sized copies "
              "into a ring-sized (<= 1 MiB) buffer",
              "- **xcopy_C_B**: two processes on the two pinned CPUs, "
              "msg-sized copies into and out of a B KiB shared buffer "
              "handed over in C KiB chunks", "",
              "## Machine", "", "```", machine.rstrip(), "```", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def write_plot_data(summ, outdir):
    """one row per configuration, one column per implementation"""
    impls = [i for i in XSHM + PEERS if any(k[0] == i for k in summ)]
    with open(outdir + "/plot-tput.dat", "w") as f:
        f.write("config " + " ".join(impls) + "\n")
        for msg in (8, 64, 4096):
            for batch in (1, 32):
                vals = []
                for i in impls:
                    k = (i, "tput", msg, batch, "steady_msgs_per_s")
                    if k not in summ:
                        k = (i, "tput", msg, batch, "msgs_per_s")
                    vals.append("%.6g" % (summ[k][0] / 1e6) if k in summ else "NaN")
                f.write('"%dB x%d" %s\n' % (msg, batch, " ".join(vals)))
    impls = [i for i in XSHM + PEERS + ["pingpong"] if any(k[0] == i for k in summ)]
    with open(outdir + "/plot-lat.dat", "w") as f:
        f.write("config " + " ".join(impls) + "\n")
        for msg in (8, 64, 4096):
            for metric in ("p50_ns", "p99_ns"):
                vals = []
                for i in impls:
                    k = (i, "lat", msg, 1, metric)
                    vals.append("%.6g" % summ[k][0] if k in summ else "NaN")
                f.write('"%dB %s" %s\n' % (msg, metric[:3], " ".join(vals)))


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    raw, placements_csv, machine_txt, outdir = sys.argv[1:5]
    runs = load(raw)
    summ = summarise(runs)
    os.makedirs(outdir, exist_ok=True)
    placements = {}
    with open(placements_csv) as f:
        for row in csv.reader(f):
            if len(row) >= 2:
                placements[row[0]] = ",".join(row[1:])
    with open(machine_txt) as f:
        machine = f.read()
    write_csv(summ, outdir + "/results.csv")
    write_md(summ, runs, placements, machine, outdir + "/results.md")
    write_plot_data(summ, outdir)
    logpath.plot_data(summ, outdir + "/plot-logpath.dat")
    if len(sys.argv) == 6:
        update_readme(summ, machine, sys.argv[5])
    for g in goal_rows(summ):
        print("goal: %(what)s: %(impl)s %(cond)s: %(figure)s, spread "
              "%(spread)s, ratio %(ratio)s, steady %(steady)s: %(verdict)s" % g)
    for b in sum(limit_breaches(summ), []):
        print("limit: " + b)


if __name__ == "__main__":
    main()
