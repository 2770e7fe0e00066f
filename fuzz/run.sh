#!/bin/bash
# libFuzzer, ASan and UBSan (clang) on what parses untrusted input:
#   xshm  libxshm with a hostile region (fuzz/xshm_fuzz.c)
#   dt    xshm-info's device-tree checker with any .dtb (fuzz/dt_fuzz.c)
# Runs each target for the given number of seconds (default 60) and prints
# one TAP line per target with the executions reached.  Corpora grow in
# build/fuzz/<target>-corpus across runs; crashing inputs land in
# build/fuzz/artifacts/ (replay one: build/fuzz/<target>_fuzz <file>).
#
# usage: fuzz/run.sh [seconds] [target...]   e.g. fuzz/run.sh 1800 xshm
# Knobs: FUZZ_JOBS=<n> parallel fuzzing processes (default 1),
#        FUZZ_MAX_LEN=<bytes> largest input (default 2048: the header, the
#        channel table and the first channels in raw mode; shorter inputs
#        run faster).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

secs=${1:-60}
shift || true
targets=${*:-xshm dt}
jobs=${FUZZ_JOBS:-1}
max_len=${FUZZ_MAX_LEN:-2048}
out=$top/build/fuzz
san="-fsanitize=address,undefined -fno-sanitize-recover=all"

cflags="-std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer $san"
mkdir -p "$out/artifacts"

build_xshm() {
	make -s -C lib/libxshm CC=clang BUILD="$out/lib" \
		EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $san -g -O1" static >&2 ||
		return 1
	# shellcheck disable=SC2086 # $cflags is a list of flags
	clang $cflags -D_GNU_SOURCE -Ilib/libxshm -o "$out/xshm_fuzz" \
		fuzz/xshm_fuzz.c "$out/lib/libxshm.a" || return 1
	# seeds: every mode, ring policy and channel group once, with a marker
	local group policy mode b
	for group in 0 1 2 3; do
		for policy in 0 1 2; do
			for mode in 0 1 2 3; do
				b=$(( group << 4 | policy << 2 | mode ))
				printf "\\x$(printf %02x "$b")\\x00\\x00\\x00" \
					>"$out/xshm-corpus/seed-$b"
			done
		done
	done
	# format 3's words, each patch then a marker: the fixed ring's
	# producer and consumer owner words (+40 and +152 from the first
	# channel), and an initialiser's claim ticket in word 0
	printf '\x01\x28\x00\x08\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00' \
		>"$out/xshm-corpus/seed-owner-prod"
	printf '\x01\x98\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' \
		>"$out/xshm-corpus/seed-owner-cons"
	printf '\x02\x00\x00\x08\x01\x00\x00\x00\x49\x4e\x49\x54\x00\x00\x00' \
		>"$out/xshm-corpus/seed-claim"
}

build_dt() {
	local f
	# shellcheck disable=SC2086
	clang $cflags -Itools -o "$out/dt_fuzz" fuzz/dt_fuzz.c \
		tools/dt-check.c -lfdt || return 1
	# seeds: the trees Xen generated, the binding's good and bad examples
	# and every input that once crashed (fuzz/regressions/dt-*)
	cp selftests/driver/dt/xen-generated/*.dtb fuzz/regressions/dt-* \
		"$out/dt-corpus/" || return 1
	for f in selftests/kernel-checks/dt/*.dts; do
		dtc -q -I dts -O dtb -o "$out/dt-corpus/$(basename "$f" .dts).dtb" \
			"$f" || return 1
	done
}

# fuzz TARGET MAX_LEN DESCRIPTION: run it, print its TAP line
fuzz() {
	local target=$1 len=$2 desc=$3 log=$out/$1-last-run.log rc=0 stats execs cov
	rm -f "$out"/fuzz-*.log
	# -timeout: one input may not run 10 s (an endless loop is a finding);
	# run in $out, where libFuzzer's workers write their fuzz-<n>.log
	(
		cd "$out"
		if [ "$jobs" -gt 1 ]; then
			set -- -jobs="$jobs" -workers="$jobs"
		else
			set --
		fi
		"./${target}_fuzz" -max_total_time="$secs" -timeout=10 \
			-max_len="$len" -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$out/artifacts/$target-" "$@" "$target-corpus"
	) >"$log" 2>&1 || rc=$?
	# each process's final count (with jobs, the parent echoes the
	# workers' logs into its own: count the workers' logs only)
	stats=$log
	[ "$jobs" -le 1 ] || stats=$(ls "$out"/fuzz-*.log)
	# shellcheck disable=SC2086
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' $stats |
		awk '{ s += $1 } END { print s + 0 }')
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
	echo "# $target: $execs executions in ${secs}s ($cov), corpus $(ls "$out/$target-corpus" | wc -l) inputs, log $log"
	n=$((n + 1))
	if [ "$rc" -eq 0 ] && [ "$execs" -gt 0 ]; then
		echo "ok $n fuzz: $desc, ${secs}s, $execs executions, no crash/leak/timeout"
	else
		grep -E 'ERROR|SUMMARY|==[0-9]+==|Test unit written|timeout' "$log" |
			head -n 40 | sed 's/^/# /'
		echo "not ok $n fuzz: $desc: finding after $execs executions (exit $rc), see $out/artifacts"
		failed=$((failed + 1))
	fi
}

n=0 failed=0
for t in $targets; do
	mkdir -p "$out/$t-corpus"
	case $t in
	xshm) desc="hostile region contents" len=$max_len ;;
	dt) desc="device trees for xshm-info" len=65536 ;;
	*) echo "fuzz/run.sh: unknown target $t (xshm, dt)" >&2; exit 2 ;;
	esac
	if "build_$t"; then
		fuzz "$t" "$len" "$desc"
	else
		n=$((n + 1)) failed=$((failed + 1))
		echo "not ok $n fuzz: $desc: the harness does not build"
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
