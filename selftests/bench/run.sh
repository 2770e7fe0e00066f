#!/bin/bash
# CI check of the benchmarks: build them, run bench/run.sh --quick once
# (2 short repetitions) and check that every implementation produced every
# figure, that the report, CSV and plot were written, and that the
# harness fails on a channel that tears and loses messages.  No timing
# is asserted: numbers from a shared CI machine mean nothing.  TAP on stdout.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=build/bench/selftest
log=build/bench/selftest.log
mkdir -p build/bench
rm -rf "$out"

# shellcheck source=selftests/tap.sh
. selftests/tap.sh
echo "TAP version 13"

ncpu=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
if [ "$ncpu" -lt 2 ]; then
	echo "1..0 # SKIP the benchmarks need two CPUs, have $ncpu"
	exit 0
fi

sessiond_before=$(pgrep -xc lttng-sessiond || true)
if timeout 900 bench/run.sh --quick --reps 2 --out "$out" >"$log" 2>&1; then
	ok "bench/run.sh --quick: every run completed and checked its messages"
else
	not_ok "bench/run.sh --quick failed (see $log)"
	tail -n 20 "$log" | sed 's/^/# /'
fi

# median figure of one configuration from results.csv, empty if missing
figure() { # impl test msg batch metric
	awk -F, -v i="$1" -v t="$2" -v m="$3" -v b="$4" -v k="$5" \
		'$1 == i && $2 == t && $3 == m && $4 == b && $5 == k { print $6 }' \
		"$out/results.csv"
}
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }

impls="boost_spsc ck_ring dpdk_rte_ring idxcache_spsc moodycamel_rwq"
have_xshm=0
if [ -x build/bench/bench-xshm-fixed ]; then
	impls="$impls xshm_fixed xshm_var"
	have_xshm=1
elif [ -f lib/libxshm/Makefile ]; then
	not_ok "libxshm has a Makefile but the libxshm benchmarks were not built (see $log)"
fi
if [ -f "$out/results.csv" ]; then
	for impl in $impls; do
		missing=
		for msg in 8 64 4096; do
			for batch in 1 32; do
				for k in msgs_per_s bytes_per_s steady_msgs_per_s; do
					v=$(figure "$impl" tput "$msg" "$batch" "$k")
					positive "${v:-0}" || missing="$missing tput/$msg/$batch/$k"
				done
			done
			for k in p50_ns p99_ns p999_ns; do
				v=$(figure "$impl" lat "$msg" 1 "$k")
				positive "${v:-0}" || missing="$missing lat/$msg/$k"
			done
		done
		if [ -z "$missing" ]; then
			ok "$impl: throughput and latency for 8, 64 and 4096-byte messages"
		else
			not_ok "$impl: missing figures:$missing"
		fi
	done
	missing=
	for msg in 8 64 4096; do
		positive "$(figure pingpong lat "$msg" 1 p50_ns)" || missing="$missing pingpong/$msg"
		positive "$(figure memcpy tput "$msg" 1 bytes_per_s)" || missing="$missing memcpy/$msg"
		n_xcopy=$(awk -F, -v m="$msg" '$1 ~ /^xcopy_/ && $2 == "tput" && $3 == m && $5 == "bytes_per_s" && $6 > 0' \
			"$out/results.csv" | wc -l)
		[ "$n_xcopy" -eq 3 ] || missing="$missing xcopy/$msg($n_xcopy of 3 configurations)"
	done
	if [ -z "$missing" ]; then
		ok "limits: ping-pong latency, memcpy and three two-core copy configurations for every size"
	else
		not_ok "limits missing:$missing"
	fi
	if [ "$have_xshm" = 1 ]; then
		missing=
		for v in xshm_seqlock xshm_latch; do
			for msg in 8 64 4096; do
				positive "$(figure $v lat "$msg" 1 p50_ns)" || missing="$missing $v/lat/$msg"
				positive "$(figure $v tput "$msg" 1 msgs_per_s)" || missing="$missing $v/tput/$msg"
			done
		done
		if [ -z "$missing" ]; then
			ok "xshm_seqlock, xshm_latch: latency and write rates for every size"
		else
			not_ok "value channels missing:$missing"
		fi
		r=$(awk -F, '$1 == "xshm_fixed" && $2 == "tput" && $3 == 8 && $5 == "msgs_per_s" { print $9; exit }' "$out/results.csv")
		if positive "${r:-0}"; then
			ok "results.csv gives libxshm's ratio to the best peer ($r)"
		else
			not_ok "results.csv has no ratio to the best peer for xshm_fixed"
		fi
	else
		skip "xshm_seqlock, xshm_latch figures" "libxshm not built"
		skip "libxshm ratios" "libxshm not built"
	fi
else
	not_ok "no $out/results.csv"
fi

# the log path: records stored by xshm-logd (and LTTng when installed),
# loss counters exact in every run (a real check, not a timing)
if [ "$have_xshm" = 1 ] && [ -f "$out/results.csv" ]; then
	lp_impls="xshm_logd disk_write"
	command -v lttng-sessiond >/dev/null && lp_impls="$lp_impls lttng_ust"
	missing=
	for impl in $lp_impls; do
		for size in 64 512; do
			positive "$(figure "$impl" logpath "$size" 0 stored_bytes_per_s)" ||
				missing="$missing $impl/$size"
		done
	done
	if [ -z "$missing" ]; then
		ok "log path: stored bytes/s of $lp_impls for 64 and 512-byte lines"
	else
		not_ok "log path figures missing:$missing"
	fi
	inexact=$(awk -F, '$2 == "logpath" && $5 == "loss_exact" && $1 != "disk_write" && $6 != 1 { print $1 "/" $3 "/" $4 }' \
		"$out/results.csv")
	n_exact=$(awk -F, '$2 == "logpath" && $5 == "loss_exact"' "$out/results.csv" | wc -l)
	if [ -z "$inexact" ] && [ "$n_exact" -ge 6 ]; then
		ok "log path: loss counters exact in every run ($n_exact configurations)"
	else
		not_ok "log path: loss counters not exact:$inexact ($n_exact configurations)"
	fi
	if [ "$(pgrep -xc lttng-sessiond || true)" = "$sessiond_before" ]; then
		ok "log path: no LTTng session daemon left running"
	else
		not_ok "log path: an LTTng session daemon was left running"
	fi
else
	skip "log path" "libxshm not built"
	skip "log path loss counters" "libxshm not built"
	skip "log path LTTng daemon" "libxshm not built"
fi

if grep -q '^## Goals' "$out/results.md" 2>/dev/null &&
   grep -q '^## Machine' "$out/results.md" &&
   grep -q 'load average' "$out/results.md"; then
	ok "results.md has the goals, the tables and the machine with its load"
else
	not_ok "results.md incomplete or missing"
fi
if [ "$(head -c 8 "$out/results.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
   [ "$(stat -c %s "$out/results.png")" -gt 10000 ]; then
	ok "results.png is a PNG plot"
else
	not_ok "results.png missing or not a PNG"
fi

# the harness must catch a channel that tears and loses messages
if cc -O2 -std=c11 -Wall -Wextra -Werror -Ibench -o build/bench/bench-torn \
	selftests/bench/transport-torn.c build/bench/harness.o >>"$log" 2>&1; then
	torn_fail=
	for args in "--msg 64" "--msg 8 --batch 32"; do
		# shellcheck disable=SC2086
		if timeout 60 build/bench/bench-torn --test tput $args --count 20000 \
			--timeout 30 >/dev/null 2>>"$log"; then
			torn_fail="$torn_fail [$args]"
		fi
	done
	if [ -z "$torn_fail" ]; then
		ok "harness rejects a torn, lossy channel"
	else
		not_ok "harness accepted a torn, lossy channel:$torn_fail"
	fi
else
	not_ok "could not build the torn test transport (see $log)"
fi

# the harness and transports themselves under ASan and UBSan, short runs
asan=build/bench/asan
if make -s -C bench OUT="$top/$asan" OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
	>>"$log" 2>&1; then
	bad=
	for b in "$asan"/bench-*; do
		case $b in *-pingpong | *-seqlock | *-latch) tests="lat" ;; *) tests="tput lat inproc" ;; esac
		for t in $tests; do
			for m in 8 4096; do
				UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 timeout 60 \
					"$b" --test "$t" --msg "$m" --batch "$([ "$t" = lat ] && echo 1 || echo 32)" \
					--count 3000 --timeout 50 >/dev/null 2>>"$log" ||
					bad="$bad ${b##*/}/$t/$m"
			done
		done
	done
	if [ -z "$bad" ]; then
		ok "harness and transports clean under ASan and UBSan"
	else
		not_ok "ASan/UBSan runs failed:$bad (see $log)"
	fi
else
	not_ok "could not build the benchmarks with ASan and UBSan (see $log)"
fi

plan
