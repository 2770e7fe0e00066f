# shellcheck shell=bash
# Sourced by run.sh: the shared set-up of the tools suite (builds the tools with
# ASan and UBSan) and the one TAP helper (tap, skip) and assertions every
# selftests/tools/*.sh file uses.

TOP=$PWD
OUT=$TOP/build/selftests-tools
W=$(mktemp -d /tmp/xshm-tools-test.XXXXXX)
MNT=
PIDS=

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	[ -z "$MNT" ] || umount "$MNT" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
cleanup_test() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	[ -z "$MNT" ] || umount "$MNT" 2>/dev/null || true
}

echo "# building the tools with -fsanitize=address,undefined"
if ! make -s -C tools SAN=address,undefined BUILD="$OUT/bin" LIBDIR="$OUT/lib" \
	>"$W/build.log" 2>&1; then
	echo "not ok 1 - build tools"
	sed 's/^/# /' "$W/build.log" | tail -30
	exit 1
fi
export ASAN_OPTIONS=exitcode=86:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1
BIN=$OUT/bin
INFO=$BIN/xshm-info RING=$BIN/xshm-ring LOGD=$BIN/xshm-logd RTSIM=$BIN/xshm-rtsim
LOGCAT=$BIN/xshm-logcat
BENCH=$BIN/xshm-bench
check_log() { awk -f "$TOP/scripts/demo/check-log.awk" "$@"; }

n=0 failed=0
tap() {	# tap DESCRIPTION FUNCTION [ARGS...]
	local desc=$1
	shift
	n=$((n + 1))
	# each test runs in a subshell that reaps what it started
	if ( trap cleanup_test EXIT; "$@" ) >"$W/test.log" 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		failed=$((failed + 1))
		tail -n 25 "$W/test.log" | sed 's/^/# /'
	fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# expect_rc WANT CMD...: run CMD (stdout to $W/out, stderr to $W/err)
expect_rc() {
	local want=$1 got=0
	shift
	"$@" >"$W/out" 2>"$W/err" || got=$?
	if [ "$got" != "$want" ]; then
		echo "expected exit $want, got $got from: $*"
		echo "--- stdout"; head -c 2000 "$W/out"
		echo "--- stderr"; head -c 2000 "$W/err"
		return 1
	fi
}
has() {	# has FILE REGEX
	grep -qE -- "$2" "$1" || { echo "no /$2/ in $1:"; head -c 2000 "$1"; return 1; }
}
json() {	# json FILE PYTHON-EXPR-over-d: assert it holds
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
		{ echo "JSON check failed: $2"; head -c 2000 "$1"; return 1; }
}
wait_for() {	# wait_for SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || { echo "timed out waiting for: $*"; return 1; }
		sleep 0.05
	done
}
bg() { "$@" & PIDS="$PIDS $!"; LAST=$!; }
lines_at_least() { [ "$(wc -l <"$2")" -ge "$1" ]; }
stop_pid() {	# stop_pid PID SIGNAL: signal and reap, leave exit code in $RC
	kill -"$2" "$1" 2>/dev/null || true
	RC=0
	wait "$1" || RC=$?
}
# seq numbers: records + announced losses must equal what the ring numbered
accounted() {	# accounted SUMMARY-JSON PRODUCED
	json "$1" "d['errors'] == 0 and d['records'] + d['lost'] == $2 and d['last_seq'] + d['lost_after_last'] == $2 - 1"
}
drained() {	# drained REGION RING: the consumer has released everything
	"$RING" stat "$1" "$2" --json |
		python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["channels"][0]["fill"] != 0)'
}
next_seq() {	# next_seq REGION RING
	"$RING" stat "$1" "$2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["channels"][0]["next_seq"])'
}
newregion() {	# newregion FILE SPEC...: fresh 1 MiB region file with a layout
	local f=$1
	shift
	rm -f "$f"
	local args=()
	for s in "$@"; do args+=(-c "$s"); done
	"$RING" -C 1M init "$f" "${args[@]}" >/dev/null
}
