#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Doorbell against polling, measured in one run (issue 13):
#   - idle receiver CPU over IDLE seconds, from /proc/<pid>/stat;
#   - wake-up latency p50/p99: one-way latency of round trips spaced by
#     GAP us, so that the receiver is asleep (doorbell) or at its longest
#     backoff (poll) when each one starts;
#   - notifications per record of a full-rate stream (doorbell only).
# Both modes run xshm-bench --role both on a file region: two processes,
# the doorbell an eventfd pair (on Xen, a static event channel).  On a
# shared or emulated machine absolute figures mean little: compare the
# ratios, which come from the same run.
#
# The figures go to stdout and to $XSHM_BENCH_OUT/doorbell.txt (default
# bench/results), with the raw JSON of each run next to it.
#
# usage: bench/doorbell/run.sh [IDLE_S [ROUNDS [GAP_US [COUNT]]]]
set -eu
cd "$(dirname "$0")/../.."
IDLE=${1:-10} ROUNDS=${2:-2000} GAP=${3:-2000} COUNT=${4:-1000000}
BENCH=build/tools/xshm-bench
results=${XSHM_BENCH_OUT:-bench/results}
[ -x "$BENCH" ] || make -s tools >&2
mkdir -p "$results"
out=$(mktemp -d)
region=/dev/shm/xshm-doorbell-bench.$$
trap 'rm -rf "$out" "$region"' EXIT
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)

for w in poll doorbell; do
	rm -f "$region"
	"$BENCH" -C 4M -j --wait "$w" --idle "$IDLE" --gap "$GAP" \
		-n 1000 -l "$ROUNDS" "$region" >"$out/$w.json"
done
# full rate: one stream, one round trip
rm -f "$region"
"$BENCH" -C 4M -j --wait doorbell -n "$COUNT" -l 1 "$region" >"$out/stream.json"
{
echo "# bench/doorbell/run.sh $IDLE $ROUNDS $GAP $COUNT"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(($(date +%s) - t0)) s; kernel $(uname -sr) $(uname -m); $(nproc) CPUs"
echo "load average before: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" "$IDLE" "$ROUNDS" "$GAP" "$COUNT" <<'PY'
import json, os, sys
d, idle, rounds, gap, count = sys.argv[1:]
r = {w: json.load(open(f'{d}/{w}.json')) for w in ('poll', 'doorbell')}
def ratio(a, b):
    return f'{a / b:.1f}x' if b else 'inf'
p, q = r['poll'], r['doorbell']
a, b = p['idle_receiver_cpu_ms'], q['idle_receiver_cpu_ms']
tick = 1000 / os.sysconf('SC_CLK_TCK')	# /proc/PID/stat counts ticks
print(f'idle receiver CPU over {idle} s (/proc/PID/stat): '
      f'poll {a:.0f} ms, doorbell {b:.0f} ms (ratio ' +
      (ratio(a, b) if b else
       f'> {a / tick:.0f}x: the doorbell used less than one {tick:.0f} ms tick') +
      ')')
for k in ('p50', 'p99'):
    a, b = p['latency_ns'][k] / 1000, q['latency_ns'][k] / 1000
    print(f'wake-up latency {k} ({rounds} round trips, {gap} us apart): '
          f'poll {a:.1f} us, doorbell {b:.1f} us (ratio {ratio(a, b)})')
s = json.load(open(f'{d}/stream.json'))
db = s['doorbell']
print(f'notifications per record at full rate ({db["records"]} records, '
      f'{s["throughput"]["msgs_per_s"] / 1e6:.2f} M/s): '
      f'{db["notifications_per_record"]:.5f} '
      f'({db["notifications"]} notifications, receiver slept '
      f'{db["receiver_sleeps"]} times)')
print('(absolute figures depend on this machine and its load; '
      'compare the ratios)')
PY
} | tee "$results/doorbell.txt"
for w in poll doorbell stream; do
	cp "$out/$w.json" "$results/doorbell-$w.json"
done
echo "bench/doorbell: results in $results/doorbell.txt" >&2
