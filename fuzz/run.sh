#!/bin/bash
# Fuzz libxshm with a hostile region (fuzz/xshm_fuzz.c): libFuzzer, ASan
# and UBSan (clang).  Runs for the given number of seconds (default 60)
# and prints one TAP line with the executions reached.  The corpus grows
# in build/fuzz/corpus across runs; crashing inputs land in
# build/fuzz/artifacts/ (replay one: build/fuzz/xshm_fuzz <file>).
#
# usage: fuzz/run.sh [seconds]       e.g. fuzz/run.sh 1800 for a long run
# Knobs: FUZZ_JOBS=<n> parallel fuzzing processes (default 1),
#        FUZZ_MAX_LEN=<bytes> largest input (default 2048: the header, the
#        channel table and the first channels in raw mode; shorter inputs
#        run faster).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

secs=${1:-60}
jobs=${FUZZ_JOBS:-1}
max_len=${FUZZ_MAX_LEN:-2048}
out=$top/build/fuzz
san="-fsanitize=address,undefined -fno-sanitize-recover=all"

mkdir -p "$out/corpus" "$out/artifacts"
make -s -C lib/libxshm CC=clang BUILD="$out/lib" \
	EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $san -g -O1" static >&2
clang -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
	-fsanitize=fuzzer $san -Ilib/libxshm \
	-o "$out/xshm_fuzz" fuzz/xshm_fuzz.c "$out/lib/libxshm.a"

# seeds: every mode, ring policy and channel group once, with a marker
for group in 0 1 2 3; do
	for policy in 0 1 2; do
		for mode in 0 1 2 3; do
			b=$(( group << 4 | policy << 2 | mode ))
			printf "\\x$(printf %02x "$b")\\x00\\x00\\x00" \
				>"$out/corpus/seed-$b"
		done
	done
done

log=$out/last-run.log
rm -f "$out"/fuzz-*.log
rc=0
# -timeout: one input may not run 10 s (an endless loop is a finding);
# run in $out, where libFuzzer's workers write their fuzz-<n>.log
(
	cd "$out"
	if [ "$jobs" -gt 1 ]; then
		set -- -jobs="$jobs" -workers="$jobs"
	else
		set --
	fi
	./xshm_fuzz -max_total_time="$secs" -timeout=10 -max_len="$max_len" \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/" "$@" corpus
) >"$log" 2>&1 || rc=$?

# each process's final count (with jobs, the parent echoes the workers'
# logs into its own: count the workers' logs only)
stats=$log
[ "$jobs" -le 1 ] || stats=$(ls "$out"/fuzz-*.log)
# shellcheck disable=SC2086
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' $stats |
	awk '{ s += $1 } END { print s + 0 }')
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
echo "# $execs executions in ${secs}s ($cov), corpus $(ls "$out/corpus" | wc -l) inputs, log $log"
if [ "$rc" -eq 0 ] && [ "$execs" -gt 0 ]; then
	echo "ok 1 fuzz: hostile region contents, ${secs}s, $execs executions, no crash/leak/timeout"
else
	grep -E 'ERROR|SUMMARY|==[0-9]+==|Test unit written|timeout' "$log" |
		head -n 40 | sed 's/^/# /'
	echo "not ok 1 fuzz: finding after $execs executions (exit $rc), see $out/artifacts"
fi
echo "1..1"
[ "$rc" -eq 0 ] && [ "$execs" -gt 0 ]
