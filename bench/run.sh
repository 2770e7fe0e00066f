#!/bin/bash
# Build and run every benchmark on this machine, then write the report.
#
# usage: bench/run.sh [--quick] [--reps N] [--scale K] [--out DIR]
#
#   default   5 repetitions, results in bench/results/
#   --quick   3 short repetitions, results in build/bench/results-quick/
#             (and no callgrind profile)
#   --scale K ring and latency runs K times shorter than the default
#             (a loaded machine; the log path keeps its counts)
#
# Each figure is measured once per repetition, and the repetitions are
# interleaved (rep 1 of everything, then rep 2, ...) so that a burst of
# load from elsewhere hits all implementations alike.  Exits non-zero if
# any run failed (the report is still written from the runs that worked).
set -eu
cd "$(dirname "$0")/.."

quick=0 reps='' out='' scale=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--reps) reps=$2; shift ;;
	--scale) scale=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "usage: $0 [--quick] [--reps N] [--scale K] [--out DIR]" >&2; exit 2 ;;
	esac
	shift
done

if [ "$quick" = 1 ]; then
	reps=${reps:-3} out=${out:-build/bench/results-quick}
	n_small=300000 n_4k=30000 n_lat=20000 run_timeout=60
else
	reps=${reps:-5} out=${out:-bench/results}
	n_small=$((10000000 / scale)) n_4k=$((1000000 / scale)) n_lat=$((200000 / scale))
	run_timeout=180
fi
bin=build/bench
mkdir -p "$out" "$bin"

# libxshm is optional: without it the peers and limits are still measured
if [ -f lib/libxshm/Makefile ]; then
	make -C lib/libxshm -j2 >&2 ||
		echo "bench: libxshm did not build; measuring peers and limits only" >&2
fi
make -C bench -j2 >&2
# the log path needs the tools (xshm-rtsim, xshm-ring, xshm-logd)
if [ -f tools/Makefile ]; then
	make -C tools -j2 >&2 || echo "bench: tools did not build; no log path" >&2
fi

# the first two CPUs we may run on: producer on the first, consumer on the second
read -r cpu_a cpu_b < <(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
if [ -z "${cpu_b:-}" ]; then
	echo "bench: needs two CPUs (spinning peers on one CPU measure the scheduler)" >&2
	exit 2
fi
cpus=$cpu_a,$cpu_b

rings="xshm-fixed xshm-var ck boost dpdk idxcache moodycamel"
values="xshm-seqlock xshm-latch"
lat_impls="pingpong xshm-fixed xshm-var $values ck boost dpdk idxcache moodycamel"
raw=$out/raw.csv places=$out/placements.csv machine=$out/machine.txt
: >"$raw"
: >"$places"
for b in $lat_impls; do
	if [ -x "$bin/bench-$b" ]; then
		"$bin/bench-$b" --describe >>"$places"
	fi
done

failed=0
# run one measurement, append its rows to the raw CSV
measure() {
	local rows
	if rows=$(timeout $((run_timeout + 10)) "$@" --timeout "$run_timeout" --cpus "$cpus"); then
		echo "$rows" >>"$raw"
	else
		echo "bench: FAILED (status $?): $*" >&2
		failed=$((failed + 1))
	fi
}

# a limit program: arguments of its own, same CSV rows
measure_limit() {
	local rows
	if rows=$(timeout $((run_timeout + 10)) "$@"); then
		echo "$rows" >>"$raw"
	else
		echo "bench: FAILED (status $?): $*" >&2
		failed=$((failed + 1))
	fi
}

lp_quick=
[ "$quick" = 0 ] || lp_quick=1
loads=
start=$(date +%s)
for rep in $(seq 1 "$reps"); do
	loads="$loads rep$rep:$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
	echo "bench: repetition $rep of $reps (load $(cut -d' ' -f1 /proc/loadavg))" >&2
	for msg in 8 64 4096; do
		n=$n_small
		[ "$msg" -le 64 ] || n=$n_4k
		for batch in 1 32; do
			for b in $rings; do
				[ -x "$bin/bench-$b" ] || continue
				measure "$bin/bench-$b" --test tput --msg "$msg" \
					--batch "$batch" --count "$n" --rep "$rep"
			done
		done
		for b in $values; do
			[ -x "$bin/bench-$b" ] || continue
			measure "$bin/bench-$b" --test tput --msg "$msg" \
				--count "$n" --rep "$rep"
		done
		for b in $lat_impls; do
			[ -x "$bin/bench-$b" ] || continue
			measure "$bin/bench-$b" --test lat --msg "$msg" \
				--count "$n_lat" --rep "$rep"
		done
		if rows=$(taskset -c "$cpu_a" "$bin/limit-memcpy" "$msg" $((n * 10)) "$cpu_a" "$rep"); then
			echo "$rows" >>"$raw"
		else
			echo "bench: FAILED: memcpy limit for $msg-byte messages" >&2
			failed=$((failed + 1))
		fi
		# two-core copy: chunk and buffer as a ring-full (0) or small and hot
		for cfg in "32768 0" "4096 0" "4096 65536"; do
			# shellcheck disable=SC2086
			measure_limit "$bin/limit-xcopy" "$msg" "$n" "$cpu_a" "$cpu_b" "$rep" $cfg
		done
	done
	# the main job end to end: producer -> ring -> xshm-logd -> file, and LTTng
	if [ -x build/tools/xshm-logd ] && [ -x "$bin/xshm-producer" ]; then
		if ! bench/logpath/run-logpath.py --tools build/tools \
			--bin "$bin" --work "$bin/logpath-work" \
			--cpus "$cpus" --rep "$rep" ${lp_quick:+--quick} \
			>>"$raw"; then
			echo "bench: FAILED: log path, repetition $rep" >&2
			failed=$((failed + 1))
		fi
	fi
done
elapsed=$(($(date +%s) - start))

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "run: $reps repetitions in ${elapsed}s, CPUs $cpus$([ "$quick" = 1 ] && echo ', quick')$([ "$scale" = 1 ] || echo ", ring runs 1/$scale of the default: $n_small, $n_4k (4 KiB), $n_lat round trips")"
	echo "load average (1/5/15 min) at each repetition:$loads"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "uptime after: $(uptime)"
	echo "kernel: $(uname -srm)"
	echo "compiler: $(cc --version | head -1); $(c++ --version | head -1)"
	echo "flags: -O2 (generic x86-64) for every implementation"
	echo "peers: $(dpkg-query -W -f='${Package} ${Version}; ' libboost-dev libck-dev libdpdk-dev libreaderwriterqueue-dev lttng-tools liblttng-ust-dev babeltrace2 2>/dev/null || true)"
	echo "log path directory: $bin/logpath-work on $(df --output=source,fstype "$bin" | tail -1)"
	echo
	lscpu | grep -v -E '^(Flags|Vulnerability)'
} >"$machine"

# the published run also refreshes the goals table in README.md
readme=
[ "$out" = bench/results ] && readme=README.md
python3 bench/report.py "$raw" "$places" "$machine" "$out" $readme >&2
# where the instructions go (needs no hardware counters); long, so not in --quick
if [ "$quick" = 0 ] && command -v valgrind >/dev/null; then
	bench/profile.sh "$out" >/dev/null || failed=$((failed + 1))
fi
gnuplot -e "dir='$out'" -e "title='xshm benchmarks, $(date -u +%Y-%m-%d), $(uname -r), load $(cut -d' ' -f1 /proc/loadavg)'" bench/plot.gp
echo "bench: results in $out/results.md, $out/results.csv, $out/results.png ($failed failed runs, ${elapsed}s)" >&2
[ "$failed" -eq 0 ]
