# SPDX-License-Identifier: LGPL-2.1-or-later
"""The log path's part of the report: rows of bench/logpath/run-logpath.py
(test "logpath", msg = line bytes, batch = records/s offered, 0 = full
rate), its goals, its table and its plot data."""

TEST = "logpath"
IMPLS = ["xshm_logd", "lttng_ust", "disk_write"]
METRICS = ["stored_per_s", "stored_bytes_per_s", "produced_per_s", "loss",
           "cpu_ns_per_record", "loss_exact"]


def fig(summ, impl, size, rate, metric):
    return summ.get((impl, TEST, size, rate, metric))


def fmt(metric, v):
    if metric == "stored_bytes_per_s":
        return "%.1f MB/s" % (v / 1e6)
    if metric in ("stored_per_s", "produced_per_s"):
        return "%.3f M/s" % (v / 1e6)
    if metric == "loss":
        return "%.2f%%" % (100 * v)
    if metric == "cpu_ns_per_record":
        return "%.0f ns" % v
    return "%g" % v


def fmt_fig(f, metric):
    if not f:
        return ""
    return "%s (%s - %s)" % (fmt(metric, f[0]), fmt(metric, f[4]),
                             fmt(metric, f[5]))


def unstable_why(figs, unstable):
    return "; ".join("%s spread %.0f%%" % (name, 100 * f[1])
                     for name, f in figs if f and f[1] > unstable)


def row(what, impl, cond, f, metric, r, verdict):
    return dict(what=what, impl=impl, cond=cond, figure=fmt_fig(f, metric),
                spread="" if not f else "%.0f%%" % (100 * f[1]),
                ratio="" if r is None else "%.2f" % r, steady="",
                verdict=verdict)


def judge(r, ok, why):
    if r is None:
        return "not measured"
    if why:
        return "UNSTABLE (%s)" % why
    return "met" if ok else "NOT met"


def goal_rows(summ, unstable):
    rows = []
    if not any(k[1] == TEST for k in summ):
        return rows
    for size in (64, 512):
        x = fig(summ, "xshm_logd", size, 0, "stored_per_s")
        lt = fig(summ, "lttng_ust", size, 0, "stored_per_s")
        xl = fig(summ, "xshm_logd", size, 0, "loss")
        ll = fig(summ, "lttng_ust", size, 0, "loss")
        r = x[0] / lt[0] if x and lt else None
        # "at equal loss": xshm may not buy its rate by losing more
        ok = r is not None and r >= 2 and xl[0] <= ll[0]
        vd = judge(r, ok, unstable_why([("xshm_logd", x), ("lttng_ust", lt)],
                                       unstable))
        if vd == "NOT met" and r is not None and r >= 2:
            vd = "NOT met (xshm lost %s, LTTng %s)" % (fmt("loss", xl[0]),
                                                       fmt("loss", ll[0]))
        rows.append(row("log path: stored records/s >= 2x LTTng at equal "
                        "loss", "xshm_logd", "%d-byte lines, full rate; loss "
                        "xshm %s, LTTng %s" % (
                            size, fmt("loss", xl[0]) if xl else "?",
                            fmt("loss", ll[0]) if ll else "?"),
                        x, "stored_per_s", r, vd))
    x = fig(summ, "xshm_logd", 512, 0, "stored_bytes_per_s")
    d = fig(summ, "disk_write", 512, 0, "stored_bytes_per_s")
    r = x[0] / d[0] if x and d else None
    vd = judge(r, r is not None and r >= 0.8,
               unstable_why([("xshm_logd", x), ("disk_write", d)], unstable))
    if r is not None and r > 1:
        # a ceiling that the daemon beats measures nothing
        vd = "NOT met: the ceiling is wrong (xshm-logd stored %.2fx it); " \
            "was %s" % (r, vd)
    rows.append(row("log path: 512-byte lines >= 0.8x the disk's write() "
                    "ceiling", "xshm_logd", "full rate; ceiling %s" % (
                        fmt_fig(d, "stored_bytes_per_s")),
                    x, "stored_bytes_per_s", r, vd))
    c = fig(summ, "xshm_logd", 64, 0, "cpu_ns_per_record")
    rows.append(row("log path: <= 1 us CPU per stored 64-byte record",
                    "xshm_logd", "full rate (xshm-logd's own CPU)", c,
                    "cpu_ns_per_record", c[0] / 1000 if c else None,
                    judge(c and c[0], c is not None and c[0] <= 1000,
                          unstable_why([("xshm_logd", c)], unstable))))
    ex = [f for k, f in summ.items() if k[0] == "xshm_logd" and
          k[1] == TEST and k[4] == "loss_exact"]
    n = sum(f[2] for f in ex)
    bad = sum(1 for f in ex if f[4] < 1)
    rows.append(dict(what="log path: loss counters exact in every run",
                     impl="xshm_logd", cond="%d runs" % n,
                     figure="%d configurations with a mismatch" % bad,
                     spread="", ratio="", steady="",
                     verdict="not measured" if not n else
                     "met" if not bad else "NOT met"))
    return rows


def limit_breaches(summ, unstable):
    """xshm-logd storing more bytes/s than write() alone: the ceiling is
    wrong.  Returns (stable, unstable) lines as report.limit_breaches"""
    stable, shaky = [], []
    for size in (64, 512):
        x = fig(summ, "xshm_logd", size, 0, "stored_bytes_per_s")
        d = fig(summ, "disk_write", size, 0, "stored_bytes_per_s")
        if not x or not d or x[0] <= d[0]:
            continue
        line = "xshm_logd %dB lines stored_bytes_per_s %s = %.2fx " \
            "disk_write: the disk_write ceiling is wrong" % (
                size, fmt("stored_bytes_per_s", x[0]), x[0] / d[0])
        if max(x[1], d[1]) > unstable:
            shaky.append(line + " (unstable figures)")
        else:
            stable.append(line)
    return stable, shaky


def markdown(summ, unstable):
    keys = sorted({(k[2], k[3]) for k in summ if k[1] == TEST},
                  key=lambda sr: (sr[0], sr[1] == 0, sr[1]))
    if not keys:
        return []
    lines = ["## Log path: records to a file", "",
             "The main job end to end (bench/logpath/run-logpath.py): a "
             "producer that never waits (xshm-rtsim into a 4 MiB var ring; "
             "for LTTng the same lines as tracepoints of lttng-producer into "
             "a session of 4 x 1 MiB sub-buffers per CPU), the daemon that "
             "stores them (xshm-logd; lttng-consumerd) into a file of the "
             "same directory, producers on CPU A, daemons on CPU B. Rate: "
             "records/s offered, full = as fast as the producer can. "
             "Stored/s: from the producer's start to the last byte in the "
             "file. CPU: the daemon's (xshm-logd's getrusage; the LTTng "
             "consumer daemons' /proc ticks, 10 ms resolution). Loss "
             "counters exact: xshm: the producer's sent/dropped equal the "
             "stored lines and the lost= markers; LTTng: the producer's "
             "count equals babeltrace2's events plus the packet index's "
             "discarded events. disk_write: write() of 256 KiB buffers (the "
             "daemon's batch) of as many bytes, same directory, no fsync "
             "(neither daemon syncs). Figures: median (min - max); "
             "*unstable* when the spread exceeds %d%%." % (100 * unstable),
             "",
             "| impl | line | rate | stored/s | stored bytes/s | produced/s "
             "| loss | CPU/record | counters exact | spread |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for size, rate in keys:
        for impl in IMPLS:
            f = {m: fig(summ, impl, size, rate, m) for m in METRICS}
            if not any(f.values()):
                continue
            sp = max((v[1] for m, v in f.items() if v and m in (
                "stored_per_s", "stored_bytes_per_s")), default=0)
            ex = f["loss_exact"]
            lines.append("| %s | %d B | %s | %s | %s | %s | %s | %s | %s | "
                         "%.0f%%%s |" % (
                             impl, size, "full" if rate == 0 else
                             "%g/s" % rate, fmt_fig(f["stored_per_s"],
                                                    "stored_per_s"),
                             fmt_fig(f["stored_bytes_per_s"],
                                     "stored_bytes_per_s"),
                             fmt_fig(f["produced_per_s"], "produced_per_s"),
                             fmt_fig(f["loss"], "loss"),
                             fmt_fig(f["cpu_ns_per_record"],
                                     "cpu_ns_per_record"),
                             "" if not ex else "%s of %d" % (
                                 "all" if ex[4] == 1 else "NOT all", ex[2]),
                             100 * sp, " unstable" if sp > unstable else ""))
    return lines + [""]


def plot_data(summ, path):
    """stored records/s per configuration, one column per daemon"""
    keys = sorted({(k[2], k[3]) for k in summ if k[1] == TEST},
                  key=lambda sr: (sr[0], sr[1] == 0, sr[1]))
    with open(path, "w") as f:
        f.write("config xshm_logd lttng_ust\n")
        for size, rate in keys:
            vals = []
            for impl in ("xshm_logd", "lttng_ust"):
                v = fig(summ, impl, size, rate, "stored_per_s")
                vals.append("%.6g" % (v[0] / 1e6) if v else "NaN")
            f.write('"%dB %s" %s\n' % (size, "full" if rate == 0 else
                                        "%gk/s" % (rate / 1e3),
                                        " ".join(vals)))
