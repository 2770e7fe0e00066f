#!/bin/bash
# libxshm under sanitizers: the library, the unit tests (selftests/lib) and
# the stress programs (selftests/stress) are built with -fsanitize=thread,
# then with -fsanitize=address,undefined, each in its own build directory
# (build/sanitizers/<name>), and run.  Any sanitizer report fails the test
# that produced it (the runtimes are told to exit non-zero at the first).
# The stress programs run with smaller counts, TSan's smallest (it is
# 5-15x slower).  Prints TAP; exits non-zero if anything failed.
#
# Last, the libFuzzer harness runs for SAN_FUZZ_SECONDS (fuzz/run.sh).
#
# usage: selftests/sanitizers/run.sh [thread|address,undefined ...]
# Knobs: CC (default cc), SAN_TEST_TIMEOUT (s per unit test executable),
#        SAN_FUZZ_SECONDS (default 60; 0 skips the fuzzer).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

CC=${CC:-cc}
TEST_TIMEOUT=${SAN_TEST_TIMEOUT:-300}
sanitizers=${*:-thread address,undefined}

export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 handle_segv=0"
# handle_segv=0: tests that expect SIGSEGV on purpose (a write to a
# read-only mapping, the stall test's guard page) get the default action;
# a real crash still kills its process and fails its test, only without
# the sanitizer's stack trace
export ASAN_OPTIONS="detect_leaks=1 halt_on_error=1 exitcode=66 handle_segv=0"
export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1"

# shellcheck source=selftests/bounded.sh
. selftests/bounded.sh
# shellcheck source=selftests/tap.sh
. selftests/tap.sh
# check: the command's output as comments, pass or fail
check_verbose=1 check_tail=100000

echo "TAP version 13"
for san in $sanitizers; do
	case $san in
	thread)
		tag=tsan
		# A sanitized process takes milliseconds to start: kills within
		# 3 ms left the restart tests without a single record.
		counts="STRESS_RECORDS=2e5 STRESS_LOSSY_RECORDS=1e5 STRESS_KILLS=100 STRESS_KILL_DELAY_US=30000 STRESS_SEQLOCK_READS=1e6 STRESS_TIME_SCALE=3" ;;
	*)
		tag=$(echo "$san" | tr ',' '+')
		counts="STRESS_RECORDS=1e6 STRESS_LOSSY_RECORDS=2e5 STRESS_KILLS=300 STRESS_KILL_DELAY_US=10000 STRESS_SEQLOCK_READS=4e6 STRESS_TIME_SCALE=2" ;;
	esac
	dir=$top/build/sanitizers/$tag
	flags="-fsanitize=$san -fno-omit-frame-pointer -g"
	# GCC warns that TSan does not model atomic_thread_fence; the library
	# needs its fences (for the other domain), TSan just cannot see them
	if [ "$san" = thread ] &&
	   ! $CC -dM -E -x c /dev/null 2>/dev/null | grep -q __clang__; then
		flags="$flags -Wno-tsan"
	fi

	check "$tag: build libxshm" make -s -C lib/libxshm CC="$CC" \
		BUILD="$dir/lib" EXTRA_CFLAGS="$flags" static
	[ "$check_rc" -eq 0 ] || continue

	# unit tests: one line per test executable, its own TAP as comments
	check "$tag: build unit tests" make -s -C selftests/lib CC="$CC" \
		OUT="$dir/unit" LIBDIR="$dir/lib" SANITIZE="$san"
	if [ "$check_rc" -eq 0 ]; then
		for t in $(make -s -C selftests/lib OUT="$dir/unit" list); do
			check "$tag: unit $(basename "$t")" \
				bounded "$TEST_TIMEOUT" "$t"
		done
	fi

	# stress programs: the stress suite's own tests, renumbered here
	check "$tag: build stress programs" make -s -C selftests/stress \
		CC="$CC" OUT="$dir/stress" LIBDIR="$dir/lib" SANITIZE="$san"
	if [ "$check_rc" -eq 0 ]; then
		rc=0
		out=$(env $counts STRESS_BIN="$dir/stress" \
			selftests/stress/run.sh 2>&1) || rc=$?
		nested "$tag: " <<<"$out"
		if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
			not_ok "$tag: stress suite exited with status $rc"
		fi
	fi
done

# the libFuzzer harness (clang, ASan+UBSan), bounded in time
fuzz_secs=${SAN_FUZZ_SECONDS:-60}
if [ "$fuzz_secs" -gt 0 ]; then
	rc=0
	out=$(bounded $((fuzz_secs + 300)) fuzz/run.sh "$fuzz_secs" 2>&1) || rc=$?
	nested "" <<<"$out"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' <<<"$out"; then
		not_ok "fuzz: fuzz/run.sh exited with status $rc"
	fi
fi
plan
