#!/bin/bash
# Tests of xshm-info, xshm-ring, xshm-logd and xshm-rtsim on plain files:
# every subcommand, every documented error exit, and xshm-logd's promises
# (batching, rotation, restarts of either side without duplicates or
# silent loss, SIGTERM, a full disk, corrupt records).  The tools are built
# with ASan and UBSan; a sanitizer report makes the tool exit 86/87, which
# no test expects.  Prints TAP.
set -eu
cd "$(dirname "$0")/../.."
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
	json "$1" "d['errors'] == 0 and d['records'] + d['lost'] == $2 and d['last_seq'] == $2 - 1"
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

# ---------------------------------------------------------------- help
# (--help, --version and usage errors of every tool: cli.sh)
t_rtsim_usage() {
	expect_rc 2 "$RTSIM" -r 0 x log && has "$W/err" 'rate' &&
	expect_rc 2 "$RTSIM" -S 5000 x log && has "$W/err" 'size' &&
	expect_rc 2 "$RTSIM" x && has "$W/err" 'REGION and RING' &&
	expect_rc 1 "$RTSIM" "$W/nonexistent.shm" log && has "$W/err" 'nonexistent.shm'
}
tap "xshm-rtsim: usage errors exit 2, a missing region exits 1" t_rtsim_usage

t_man() {
	for t in xshm-info xshm-ring xshm-logd xshm-bench xshm-rtsim; do
		[ -f "man/man1/$t.1" ] || { echo "man/man1/$t.1 missing"; return 1; }
		if command -v groff >/dev/null; then
			LC_ALL=C groff -man -Tutf8 -ww -z "man/man1/$t.1" 2>"$W/groff.err" || return 1
			[ ! -s "$W/groff.err" ] || { cat "$W/groff.err"; return 1; }
		fi
	done
}
tap "man pages exist and format without warnings" t_man

# ---------------------------------------------------------------- xshm-bench
t_bench_usage() {
	expect_rc 2 "$BENCH" -s 4 x && has "$W/err" 'size needs 8' &&
	expect_rc 2 "$BENCH" -b 0 x && has "$W/err" 'batch needs' &&
	expect_rc 2 "$BENCH" -r ring x && has "$W/err" 'fixed or var' &&
	expect_rc 2 "$BENCH" --role both2 x && has "$W/err" 'both, send or recv' &&
	expect_rc 2 "$BENCH" -c 0,x x && has "$W/err" 'cpus' &&
	expect_rc 2 "$BENCH" && has "$W/err" 'one REGION expected' &&
	expect_rc 1 "$BENCH" "$W/nonexistent.shm" && has "$W/err" 'nonexistent.shm' &&
	expect_rc 1 "$BENCH" -C 8K -s 4096 -b 32 "$W/small.shm" &&
	has "$W/err" 'too small for two rings of 4096-byte messages'
}
tap "xshm-bench: usage errors exit 2; a missing or too small region exits 1" t_bench_usage

t_bench_local() {	# both sides here, each ring type, its results in JSON
	local spec
	for spec in "fixed 64 1" "fixed 4096 32" "var 8 32" "var 100 7"; do
		set -- $spec
		expect_rc 0 "$BENCH" -C 4M -r "$1" -s "$2" -b "$3" -n 20000 -l 500 \
			--json "$W/bench.shm" || return 1
		json "$W/out" "d['ring'] == '$1' and d['msg_size'] == $2 and d['batch'] == $3 and d['throughput']['messages'] == 20000 and d['throughput']['msgs_per_s'] > 0 and d['latency_ns']['rounds'] == 500 and 0 < d['latency_ns']['p50'] <= d['latency_ns']['p99'] <= d['latency_ns']['max']" ||
			{ echo "case $spec"; return 1; }
	done
	expect_rc 0 "$BENCH" -n 5000 -l 100 "$W/bench.shm" &&
	has "$W/out" '^throughput: 5000 messages in' &&
	has "$W/out" '^latency, one way .*, 100 rounds: p50 [0-9]+ ns'
}
tap "xshm-bench: both sides in two processes, fixed and var rings, JSON" t_bench_local

t_bench_roles() {	# one side per process, as in two domains; either first
	"$BENCH" --role recv -C 1M -t 10000 "$W/roles.shm" >"$W/recv.out" 2>&1 &
	local recv=$!
	expect_rc 0 "$BENCH" --role send -C 1M -r var -s 200 -b 4 -n 30000 -l 300 \
		--json "$W/roles.shm" &&
	json "$W/out" "d['ring'] == 'var' and d['msg_size'] == 200 and d['throughput']['messages'] == 30000" &&
	wait "$recv" &&
	# the sender first, over the layout just used: it lays out anew
	{ "$BENCH" --role send -s 16 -n 20000 -l 200 "$W/roles.shm" >"$W/send.out" 2>&1 & } &&
	local send=$! &&
	expect_rc 0 "$BENCH" --role recv "$W/roles.shm" &&
	wait "$send" && has "$W/send.out" 'fixed-slot ring of 1024 slots, 16-byte messages'
}
tap "xshm-bench --role send/recv: the receiver follows the sender's parameters" t_bench_roles

t_bench_refuses() {
	"$RING" -C 1M init "$W/other.shm" -c log:var:65536 >/dev/null &&
	expect_rc 4 "$BENCH" -n 100 -l 10 "$W/other.shm" &&
	has "$W/err" 'holds another layout; --force replaces it' &&
	"$RING" stat "$W/other.shm" >"$W/stat" && has "$W/stat" '^  log ' &&
	expect_rc 0 "$BENCH" -n 100 -l 10 --force "$W/other.shm" &&
	expect_rc 3 "$BENCH" --role send -C 1M -t 300 "$W/alone.shm" &&
	has "$W/err" 'no answer from the receiver within 300 ms' &&
	expect_rc 3 "$BENCH" --role recv -t 300 "$W/alone.shm" &&
	has "$W/err" 'no answer from the sender within 300 ms'
}
tap "xshm-bench: keeps another layout unless --force (exit 4); an absent peer exits 3" t_bench_refuses

# ---------------------------------------------------------------- xshm-ring
R=$W/ring.shm
t_ring_usage() {
	expect_rc 2 "$RING" && has "$W/err" 'missing COMMAND' &&
	expect_rc 2 "$RING" frobnicate "$R" && has "$W/err" 'unknown command' &&
	expect_rc 2 "$RING" init "$R" && has "$W/err" 'init needs --chan' &&
	expect_rc 2 "$RING" init "$R" -c log:var:1000 && has "$W/err" 'power of two' &&
	expect_rc 2 "$RING" init "$R" -c log:foo:1024 && has "$W/err" 'TYPE is' &&
	expect_rc 2 "$RING" init "$R" -c log:var:1024:sometimes && has "$W/err" 'POLICY' &&
	expect_rc 2 "$RING" init "$R" -c log:var:1K:drop:600 && has "$W/err" 'MAXREC' &&
	expect_rc 2 "$RING" init "$R" -c log:var:32 && has "$W/err" '64 to 1G' &&
	expect_rc 2 "$RING" init "$R" -c v:lww:8:1000 && has "$W/err" "wire format's limits" &&
	expect_rc 2 "$RING" init "$R" -c "$(printf 'x%.0s' {1..32}):var:1024" && has "$W/err" 'name must' &&
	expect_rc 2 "$RING" send "$R" && has "$W/err" 'wrong number' &&
	expect_rc 2 "$RING" recv "$R" log -n 0 && has "$W/err" 'count' &&
	expect_rc 2 "$RING" recv "$R" log -t -5 && has "$W/err" 'timeout' &&
	expect_rc 2 "$RING" -C 0 init "$R" -c log:var:1K && has "$W/err" 'create' &&
	expect_rc 2 "$RING" send "$R" log -c log:var:1K && has "$W/err" 'only for init' &&
	expect_rc 2 "$RING" --bogus && [ ! -e "$R" ]
}
tap "xshm-ring: usage errors exit 2 and explain" t_ring_usage

t_ring_init() {
	local g1
	expect_rc 1 "$RING" init "$W/missing.shm" -c log:var:4K && has "$W/err" 'missing.shm: no such' &&
	expect_rc 0 "$RING" -C 256K init "$R" -c log:var:64K:drop -c cfg:seqlock:64 -c fx:fixed:16:32:fail &&
	has "$W/out" '^initialised layout generation [0-9]+ with 3 channels' &&
	g1=$(awk '{print $4}' "$W/out") &&
	expect_rc 0 "$RING" init "$R" -c log:var:64K:drop -c cfg:seqlock:64 -c fx:fixed:16:32:fail &&
	has "$W/out" "^kept layout generation $g1 " &&
	expect_rc 4 "$RING" init "$R" -c log:var:32K && has "$W/err" 'different valid layout' &&
	expect_rc 0 "$RING" init --force "$R" -c log:var:64K:drop -c cfg:seqlock:64 -c fx:fixed:16:32:fail &&
	has "$W/out" '^initialised' && ! has "$W/out" "generation $g1 " >/dev/null &&
	expect_rc 1 "$RING" init "$R" -c big:var:512K:drop:1000 && has "$W/err" "ring.shm is 262144 bytes, the layout needs at least "
}
tap "xshm-ring init: create, keep identical, refuse different, --force, errors" t_ring_init

t_ring_text() {
	seq 1 1000 | sed 's/^/line number /' >"$W/in.txt"
	expect_rc 0 "$RING" send "$R" log <"$W/in.txt" &&
	expect_rc 0 "$RING" recv "$R" log && cmp "$W/out" "$W/in.txt" &&
	expect_rc 0 "$RING" recv "$R" log && [ ! -s "$W/out" ]
}
tap "xshm-ring send/recv: 1000 text lines round-trip exactly" t_ring_text

t_ring_binary() {
	python3 - "$W/in.bin" <<'PY'
import struct, sys, random
random.seed(7)
with open(sys.argv[1], "wb") as f:
    for i in range(200):
        rec = bytes(random.randrange(256) for _ in range(random.randrange(0, 200)))
        f.write(struct.pack("<I", len(rec)) + rec)
PY
	expect_rc 0 "$RING" send -b "$R" log <"$W/in.bin" &&
	expect_rc 0 "$RING" recv -b "$R" log && cmp "$W/out" "$W/in.bin"
}
tap "xshm-ring --binary: 200 random records (NUL, newlines, empty) round-trip" t_ring_binary

t_ring_binary_bad() {
	printf '\x10\x00\x00\x00abc' >"$W/trunc.bin"
	expect_rc 1 "$RING" send -b "$R" log <"$W/trunc.bin" && has "$W/err" 'truncated record' &&
	printf '\x00\x00\x10\x00' >"$W/huge.bin" &&
	expect_rc 1 "$RING" send -b "$R" log <"$W/huge.bin" && has "$W/err" 'longer than the ring' &&
	head -c 20000 /dev/zero | tr '\0' x >"$W/long.txt" && echo >>"$W/long.txt" &&
	expect_rc 1 "$RING" send "$R" log <"$W/long.txt" && has "$W/err" 'larger than "log" allows'
}
tap "xshm-ring send: truncated, oversized and too-long records exit 1" t_ring_binary_bad

t_ring_count() {
	seq 1 10 | "$RING" send "$R" log &&
	expect_rc 0 "$RING" recv -n 4 "$R" log && [ "$(cat "$W/out")" = "$(seq 1 4)" ] &&
	expect_rc 0 "$RING" peek "$R" log && has "$W/out" '^seq [0-9]+ len 1 lost 0 "5"$' &&
	[ "$(grep -c '^seq' "$W/out")" = 6 ] &&
	expect_rc 0 "$RING" peek -n 2 "$R" log && [ "$(grep -c '^seq' "$W/out")" = 2 ] &&
	expect_rc 3 "$RING" recv -n 10 -t 100 "$R" log && [ "$(cat "$W/out")" = "$(seq 5 10)" ] &&
	expect_rc 3 "$RING" recv -n 1 -t 50 "$R" log
}
tap "xshm-ring recv --count/--timeout and peek (non-consuming), exit 3 when short" t_ring_count

t_ring_follow() {
	bg "$RING" recv -f "$R" log >"$W/follow.out" 2>"$W/follow.err"
	local pid=$LAST
	sleep 0.2
	seq 1 50 | "$RING" send "$R" log &&
	wait_for 10 lines_at_least 50 "$W/follow.out" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] && [ "$(cat "$W/follow.out")" = "$(seq 1 50)" ]
}
tap "xshm-ring recv --follow waits for records and ends cleanly on SIGTERM" t_ring_follow

t_ring_fixed() {
	printf 'alpha\nbeta\n' | "$RING" send "$R" fx &&
	expect_rc 0 "$RING" recv "$R" fx && [ "$(cat "$W/out")" = "$(printf 'alpha\nbeta')" ] &&
	head -c 40 /dev/zero | tr '\0' y | "$RING" send "$R" fx 2>"$W/err"; has "$W/err" 'larger than'
}
tap "xshm-ring on a fixed-slot ring: send/recv, oversize refused" t_ring_fixed

t_ring_policies() {
	# fail policy: 16 slots, no consumer; the 17th waits, then gives up
	seq 1 16 | "$RING" send "$R" fx &&
	expect_rc 3 sh -c "echo 17 | $RING send -t 100 '$R' fx" && has "$W/err" 'stayed full' &&
	expect_rc 0 "$RING" recv "$R" fx && [ "$(wc -l <"$W/out")" = 16 ] &&
	# drop policy: overfill; the drop is counted and shows up as a loss
	newregion "$W/drop.shm" log:var:4K:drop &&
	seq 1 2000 | "$RING" send --allow-drops -s "$W/drop.shm" log 2>"$W/send.err" &&
	has "$W/send.err" 'dropped [1-9][0-9]* ' &&
	expect_rc 0 "$RING" stat --json "$W/drop.shm" log && json "$W/out" "int(d['channels'][0]['dropped']) > 0 and int(d['channels'][0]['produced']) + int(d['channels'][0]['dropped']) == 2000" &&
	expect_rc 0 "$RING" recv "$W/drop.shm" log && ! grep -q lost "$W/err" &&
	echo last | "$RING" send "$W/drop.shm" log &&
	expect_rc 0 "$RING" recv "$W/drop.shm" log && has "$W/err" "[0-9]+ records lost before seq 2000"
}
tap "xshm-ring: full fail-policy ring times out (exit 3); drop policy counts losses" t_ring_policies

t_ring_stat() {
	expect_rc 0 "$RING" stat "$R" && has "$W/out" 'log +var +drop +fill 0/65536 B' &&
	has "$W/out" 'cfg +seqlock +value 64 B: no value written yet' &&
	expect_rc 0 "$RING" stat --json "$R" &&
	json "$W/out" "[c['name'] for c in d['channels']] == ['log','cfg','fx'] and int(d['channels'][0]['produced']) > 1000" &&
	expect_rc 0 "$RING" stat "$R" log && ! grep -q fx "$W/out" &&
	expect_rc 1 "$RING" stat "$R" nosuch && has "$W/err" 'no channel "nosuch"' &&
	expect_rc 1 "$RING" send "$R" nosuch </dev/null && has "$W/err" 'no channel' &&
	expect_rc 2 "$RING" recv "$R" cfg && has "$W/err" 'not a ring'
}
tap "xshm-ring stat (text, --json, one channel) and wrong-channel errors" t_ring_stat

t_ring_nolayout() {
	head -c 65536 /dev/zero >"$W/blank.shm"
	expect_rc 4 "$RING" recv "$W/blank.shm" log && has "$W/err" 'blank.shm' &&
	expect_rc 4 "$RING" stat "$W/blank.shm" && has "$W/out" 'holds no xshm layout' &&
	expect_rc 3 "$RING" recv -w 100 "$W/blank.shm" log && has "$W/err" 'no layout appeared' &&
	expect_rc 1 "$RING" recv "$W/nonexistent.shm" log
}
tap "xshm-ring on a region without a layout: exit 4; --wait times out (exit 3)" t_ring_nolayout

# region file helpers for corruption: where a ring's records are
ring_data_off() {	# ring_data_off REGION RING
	"$RING" stat --json "$1" "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["channels"][0]["offset"] + 256)'
}
corrupt_record() {	# corrupt_record REGION RING INDEX: bad length in record INDEX
	python3 - "$1" "$(ring_data_off "$1" "$2")" "$3" <<'PY'
import struct, sys
path, data, index = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "r+b") as f:
    pos = data
    for _ in range(index):
        f.seek(pos)
        length = struct.unpack("<I", f.read(4))[0]
        pos += 8 + (length + 7) // 8 * 8
    f.seek(pos)
    f.write(struct.pack("<I", 0x7fff0000))
PY
}

t_ring_corrupt() {
	newregion "$W/bad.shm" log:var:4K:drop &&
	seq 1 10 | "$RING" send "$W/bad.shm" log &&
	corrupt_record "$W/bad.shm" log 6 &&
	expect_rc 5 "$RING" recv "$W/bad.shm" log && [ "$(cat "$W/out")" = "$(seq 1 6)" ] &&
	has "$W/err" 'corrupt record'
}
tap "xshm-ring recv stops at a corrupt record (exit 5) after delivering the good ones" t_ring_corrupt

# ---------------------------------------------------------------- xshm-info
t_info_region() {
	expect_rc 0 "$INFO" -r "$R" && has "$W/out" 'size 1 MiB|size 256 KiB' &&
	has "$W/out" 'layout: generation [0-9]+, 3 channels' && has "$W/out" 'log +var +drop +fill' &&
	has "$W/out" 'fx +fixed +fail' &&
	expect_rc 0 "$INFO" --json -r "$R" &&
	json "$W/out" "d['regions'][0]['layout']['valid'] and len(d['regions'][0]['channels']) == 3 and d['regions'][0]['channels'][0]['capacity'] == 65536" &&
	expect_rc 4 "$INFO" -r "$W/blank.shm" && has "$W/out" 'holds no xshm layout' &&
	expect_rc 1 "$INFO" -r "$W/nonexistent.shm" &&
	chmod 0444 "$W/blank.shm" && expect_rc 4 "$INFO" -r "$W/blank.shm"
}
tap "xshm-info --region: channels with fill and counters; no layout exit 4" t_info_region

t_info_sysfs() {
	local s=$W/sysfs
	mkdir -p "$s/xshm0" "$s/xshm3" "$s/other"
	printf 'shm-a\n' >"$s/xshm0/name"; printf '65536\n' >"$s/xshm0/size"
	printf '0x50000000\n' >"$s/xshm0/phys_addr"; printf '0x0\n' >"$s/xshm0/offset"
	printf 'shm-b\n' >"$s/xshm3/name"; printf '2097152\n' >"$s/xshm3/size"
	printf '0x80000000\n' >"$s/xshm3/phys_addr"; printf '0x1000\n' >"$s/xshm3/offset"
	expect_rc 0 "$INFO" --sysfs "$s" --no-channels &&
	[ "$(head -1 "$W/out")" = 'xshm0: id "shm-a" size 64 KiB (0x10000) base 0x50000000 offset 0x0' ] &&
	[ "$(sed -n 2p "$W/out")" = 'xshm3: id "shm-b" size 2 MiB (0x200000) base 0x80000000 offset 0x1000' ] &&
	expect_rc 0 "$INFO" --sysfs "$s" --no-channels --json &&
	json "$W/out" "[(r['index'], r['name'], r['size'], r['offset'], r['phys_addr']) for r in d['regions']] == [(0,'shm-a',65536,'0',str(0x50000000)),(3,'shm-b',2097152,'4096',str(0x80000000))]" &&
	expect_rc 1 "$INFO" --sysfs "$W/nosuchdir" && has "$W/err" 'is the xshm driver loaded' &&
	mkdir -p "$W/empty" && expect_rc 0 "$INFO" --sysfs "$W/empty" && has "$W/out" 'no regions'
}
tap "xshm-info lists the driver's regions from sysfs (text, JSON, no driver)" t_info_sysfs

t_info_usage() {
	expect_rc 2 "$INFO" --page-size 1000 && has "$W/err" 'power of two' &&
	expect_rc 2 "$INFO" --phys-bits 65 && has "$W/err" 'phys-bits' &&
	expect_rc 2 "$INFO" extra && has "$W/err" 'unexpected argument' &&
	expect_rc 2 "$INFO" --bogus
}
tap "xshm-info: usage errors exit 2" t_info_usage

# device trees: a template with the reserved-memory children given
dtb() {	# dtb NAME NODES [RESMEM-CELLS]
	local cells=${3:-'#address-cells = <2>; #size-cells = <2>;'}
	cat >"$W/$1.dts" <<DTS
/dts-v1/;
/ {
	#address-cells = <2>; #size-cells = <2>;
	memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x40000000>; };
	reserved-memory {
		$cells
		ranges;
		$2
	};
};
DTS
	dtc -q -I dts -O dtb -o "$W/$1.dtb" "$W/$1.dts"
}
node() {	# node UNIT BODY
	echo "xen-shmem@$1 { compatible = \"xen,shared-memory-v1\"; $2 };"
}
GOOD_A=$(node 50000000 'reg = <0x0 0x50000000 0x0 0x10000>; xen,id = "shm-a"; xen,offset = <0x0 0x0>;')
GOOD_B=$(node 60000000 'reg = <0x0 0x60000000 0x0 0x200000>; xen,id = "shm-b"; xen,offset = <0x0 0x0>; no-map;')

t_dt_good() {
	dtb good "$GOOD_A $GOOD_B" &&
	expect_rc 0 "$INFO" --dtb "$W/good.dtb" && has "$W/out" '2 xen,shared-memory-v1 nodes, 0 errors, 0 warnings' &&
	has "$W/out" '^/reserved-memory/xen-shmem@50000000: ok' &&
	has "$W/out" 'base 0x60000000 size 2 MiB \(0x200000\), id "shm-b", xen,offset 0x0, no-map' &&
	expect_rc 0 "$INFO" --json --dtb "$W/good.dtb" &&
	json "$W/out" "d['tree']['errors'] == 0 and [(x['id'], x['base'], x['size'], x['no_map'], x['ok']) for x in d['tree']['nodes']] == [('shm-a', str(0x50000000), str(0x10000), False, True), ('shm-b', str(0x60000000), str(0x200000), True, True)]" &&
	dtb cells1 "$(node 50000000 'reg = <0x50000000 0x10000>; xen,id = "one";')" '#address-cells = <1>; #size-cells = <1>;' &&
	expect_rc 5 "$INFO" --dtb "$W/cells1.dtb" && has "$W/out" 'base 0x50000000 size 64 KiB' &&
	has "$W/out" 'error: /reserved-memory has other #address-cells'
}
tap "xshm-info --dtb explains a good tree (text and JSON), refuses a 1-cell /reserved-memory" t_dt_good

t_dt_bad() {	# each malformed node gives its own explanation and exit 5
	local cases=(
		"noreg|$(node 50000000 'xen,id = "a";')|missing reg property"
		"zero|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x0>; xen,id = "a";')|size is zero"
		"ubase|$(node 50000800 'reg = <0x0 0x50000800 0x0 0x10000>; xen,id = "a";')|base 0x50000800 is not aligned to Xen's 4 KiB pages"
		"usize|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x10800>; xen,id = "a";')|size 0x10800 is not a multiple of Xen's 4 KiB pages"
		"reglen|$(node 50000000 'reg = <0x0 0x50000000 0x10000>; xen,id = "a";')|wrong cell count: reg has 12 bytes"
		"twice|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000 0x0 0x60000000 0x0 0x1000>; xen,id = "a";')|reg has 2 entries"
		"absurd|$(node 0 'reg = <0x0 0x0 0x200 0x0>; xen,id = "a";')|absurd size 0x20000000000"
		"wrap|$(node 0 'reg = <0xffffffff 0xfffff000 0x0 0x2000>; xen,id = "a";')|absurd size"
		"pastend|$(node ffff00000000 'reg = <0xffff 0x0 0x2 0x0>; xen,id = "a";')|ends at 0x1000100000000, past the 48-bit physical address space"
		"straddle|$(node 7ffff000 'reg = <0x0 0x7ffff000 0x0 0x2000>; xen,id = "a";')|only 0x1000 of its 0x2000 bytes are RAM"
		"overlap|$GOOD_A $(node 50008000 'reg = <0x0 0x50008000 0x0 0x10000>; xen,id = "b";')|overlaps /reserved-memory/xen-shmem@50000000"
		"dupid|$GOOD_A $(node 70000000 'reg = <0x0 0x70000000 0x0 0x1000>; xen,id = "shm-a";')|duplicate xen,id \"shm-a\""
		"longid|$(node 50000000 "reg = <0x0 0x50000000 0x0 0x1000>; xen,id = \"$(printf 'i%.0s' {1..129})\";")|xen,id is 129 characters long \(at most 128\)"
		"emptyid|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "";')|xen,id is empty"
		"twoids|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a", "b";')|xen,id is not a single NUL-terminated string"
		"slashid|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a/b";')|xen,id has character 0x2f; allowed are ASCII letters"
		"bangid|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a!b";')|xen,id has character 0x21"
		"dotid|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "..";')|xen,id \"..\" cannot be a file name"
		"offset4|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a"; xen,offset = <0x0>;')|xen,offset has 4 bytes \\(8 expected\\)"
		"outside|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a";' | sed 's/^/nested { #address-cells = <2>; #size-cells = <2>; ranges; /; s/$/ };/')|not a child of /reserved-memory"
		"offset|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a"; xen,offset = [00 00 00];')|xen,offset has 3 bytes"
	)
	for c in "${cases[@]}"; do
		local name=${c%%|*} rest=${c#*|}
		local nodes=${rest%|*} want=${rest##*|}
		dtb "$name" "$nodes" || return 1
		expect_rc 5 "$INFO" --dtb "$W/$name.dtb" || { echo "case $name"; return 1; }
		has "$W/out" "error: $want" || { echo "case $name"; return 1; }
		has "$W/out" 'REJECTED' || return 1
	done
	dtb cells3 "$(node 50000000 'reg = <0x0 0x0 0x50000000 0x0 0x1000>; xen,id = "a";')" '#address-cells = <3>; #size-cells = <2>;' &&
	expect_rc 5 "$INFO" --json --dtb "$W/cells3.dtb" &&
	json "$W/out" "d['tree']['errors'] == 2 and 'wrong cell count' in d['tree']['nodes'][0]['problems'][0]['message']"
}
tap "xshm-info --dtb explains 22 kinds of malformed node, exit 5" t_dt_bad

t_dt_notes() {
	dtb notes "$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a-sixteen-chars_";') $(node 60000000 'reg = <0x0 0x60000000 0x0 0x1000>;') $(node 70000000 'reg = <0x0 0x70000000 0x0 0x1000>; status = "disabled";')" &&
	expect_rc 0 "$INFO" --dtb "$W/notes.dtb" &&
	has "$W/out" 'note: xen,id is 16 characters long; Xen itself writes at most 15' &&
	has "$W/out" 'warning: no xen,id' && has "$W/out" '70000000: disabled' &&
	expect_rc 1 "$INFO" --dtb "$W/in.txt" && has "$W/err" 'not a valid device tree' &&
	# the old format libfdt 1.6.1 crashes on is refused, version 16 is read
	dtc -q -V 3 -I dtb -O dtb -o "$W/v3.dtb" "$W/notes.dtb" &&
	expect_rc 1 "$INFO" --dtb "$W/v3.dtb" &&
	has "$W/err" 'format version 3 is older than 16' &&
	dtc -q -V 16 -I dtb -O dtb -o "$W/v16.dtb" "$W/notes.dtb" &&
	expect_rc 0 "$INFO" --dtb "$W/v16.dtb" &&
	expect_rc 1 "$INFO" --dtb "$W/nonexistent.dtb"
}
tap "xshm-info --dtb: notes and warnings keep exit 0; a non-tree or a pre-16 tree exits 1" t_dt_notes

# nest LEVELS BODY: BODY LEVELS nodes below the root, in nodes named "n"
nest() {
	local i open='' close=''
	for ((i = 1; i < $1; i++)); do open+='n { '; close+='}; '; done
	printf '/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>; %s %s %s};\n' \
		"$open" "$2" "$close"
}
t_dt_limits() {	# the depth Linux unflattens and the number of regions checked
	local r='r@50000000 { compatible = "xen,shared-memory-v1"; reg = <0x50000000 0x1000>; xen,id = "deep"; };'
	local path i
	path=$(printf '/n%.0s' {1..61})/r@50000000
	nest 62 "$r" | dtc -q -I dts -O dtb -o "$W/d62.dtb" - &&
	# examined (its one error: the driver binds /reserved-memory children only)
	expect_rc 5 "$INFO" --dtb "$W/d62.dtb" && has "$W/out" "^$path: REJECTED" &&
	has "$W/out" 'id "deep"' && has "$W/out" '1 xen,shared-memory-v1 node, 1 error' &&
	has "$W/out" 'error: not a child of /reserved-memory' &&
	nest 63 "$r" | dtc -q -I dts -O dtb -o "$W/d63.dtb" - &&
	expect_rc 5 "$INFO" --dtb "$W/d63.dtb" &&
	has "$W/out" '0 xen,shared-memory-v1 nodes, 1 error' &&
	has "$W/out" 'error: nodes 63 or more levels below the root .*: Linux skips them' &&
	for ((i = 0; i < 1100; i++)); do
		printf 'r@%x { compatible = "xen,shared-memory-v1"; reg = <0x0 0x%x 0x0 0x1000>; xen,id = "r%d"; };\n' \
			$((0x50000000 + i * 4096)) $((0x50000000 + i * 4096)) "$i"
	done >"$W/many.dtsi" &&
	dtb many "$(cat "$W/many.dtsi")" &&
	expect_rc 5 "$INFO" --dtb "$W/many.dtb" &&
	has "$W/out" '1024 xen,shared-memory-v1 nodes, 1 error' &&
	has "$W/out" 'error: more than 1024 nodes are compatible with "xen,shared-memory-v1": the rest are not checked' &&
	has "$W/out" '^/reserved-memory/r@503ff000: ok' &&
	! grep -q 'r@50400000' "$W/out" &&
	# two /memory nodes of 3000 ranges: RAM checks use the first 4096, once
	{
		printf '/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>;\n'
		for i in 0 1; do
			printf 'memory@%d { device_type = "memory"; reg = <' "$i"
			seq 0 2999 | awk -v m="$i" '{ printf " 0x%x 0x1000", 1073741824 + (m * 3000 + $1) * 8192 }'
			printf '>; };\n'
		done
		printf 'r@40000000 { compatible = "xen,shared-memory-v1"; reg = <0x40000000 0x2000>; xen,id = "r"; };\n};\n'
	} | dtc -q -I dts -O dtb -o "$W/ram.dtb" - &&
	expect_rc 5 "$INFO" --dtb "$W/ram.dtb" &&
	[ "$(grep -c 'more than 4096 RAM ranges' "$W/out")" = 1 ] &&
	has "$W/out" 'error: only 0x1000 of its 0x2000 bytes are RAM'
}
tap "xshm-info --dtb: limits on depth (63), regions (1024) and RAM ranges (4096)" t_dt_limits

t_dt_wrapping_prop() {	# a property length that libfdt 1.6.1 wraps back to its tag
	python3 - "$W/wrap.dtb" <<'PY' &&
import struct, sys
# root node { prop; }: the property's length 2^32 - 12 puts libfdt's next
# tag offset back on the property itself
st = struct.pack(">II", 1, 0) + struct.pack(">III", 3, 0xfffffff4, 0) + \
     struct.pack(">II", 2, 9)
strings = b"p\0"
rsv = b"\0" * 16
off_st = 40 + len(rsv)
off_str = off_st + len(st)
hdr = struct.pack(">10I", 0xd00dfeed, off_str + len(strings), off_st, off_str,
                  40, 17, 16, 0, len(strings), len(st))
open(sys.argv[1], "wb").write(hdr + rsv + st + strings)
PY
	expect_rc 1 timeout 20 "$INFO" --dtb "$W/wrap.dtb" &&
	has "$W/err" 'not a valid device tree blob: FDT_ERR_BADSTRUCTURE'
}
tap "xshm-info --dtb: a property length that wraps libfdt's offsets exits 1, no endless loop" t_dt_wrapping_prop

t_checker() {	# the log checker used below must catch what it claims to
	printf 'rtsim seq=0 a\nrtsim seq=1 b\n#xshm-logd ring=log lost=2 before-seq=4\nrtsim seq=4 c\n' >"$W/good.log"
	check_log "$W/good.log" >"$W/sum" && json "$W/sum" "d['records'] == 3 and d['lost'] == 2 and d['last_seq'] == 4" &&
	printf 'rtsim seq=0 a\nrtsim seq=2 b\n' >"$W/gap.log" &&
	! check_log "$W/gap.log" >"$W/sum" 2>"$W/cerr" && has "$W/cerr" 'seq 2 after 0 with 0 announced lost' &&
	printf 'rtsim seq=0 a\nrtsim seq=1 b\nrtsim seq=1 b\n' >"$W/dup.log" &&
	! check_log "$W/dup.log" >"$W/sum" 2>"$W/cerr" && has "$W/cerr" 'seq 1 stored twice' &&
	printf 'rtsim seq=5 a\nrtsim seq=4 b\n' >"$W/back.log" &&
	! check_log "$W/back.log" >"$W/sum" 2>/dev/null
}
tap "the log checker detects gaps, duplicates and reordering" t_checker

# ---------------------------------------------------------------- xshm-logd
L=$W/logd
t_logd_usage() {
	newregion "$W/lg.shm" log:var:64K:drop cfg:seqlock:8 fx:fixed:4:8 &&
	expect_rc 2 "$LOGD" && has "$W/err" 'no REGION' &&
	expect_rc 2 "$LOGD" "$W/lg.shm" && has "$W/err" 'no RING' &&
	expect_rc 2 "$LOGD" -m 0 "$W/lg.shm" log && has "$W/err" 'max-size' &&
	expect_rc 2 "$LOGD" -k -1 "$W/lg.shm" log &&
	expect_rc 2 "$LOGD" "$W/lg.shm" log= && has "$W/err" 'RING\[=FILE\]' &&
	expect_rc 2 "$LOGD" "$W/lg.shm" log log && has "$W/err" 'given twice' &&
	expect_rc 2 "$LOGD" --once -d "$W" "$W/lg.shm" fx && has "$W/err" 'drains var rings' &&
	expect_rc 1 "$LOGD" --once -d "$W" "$W/lg.shm" nosuch && has "$W/err" 'no channel "nosuch"' &&
	expect_rc 1 "$LOGD" --once "$W/lg.shm" "log=$W/no/such/dir/x.log" &&
	expect_rc 3 "$LOGD" --once -w 100 "$W/blank.shm" log && has "$W/err" 'no layout appeared in time'
}
tap "xshm-logd: usage errors exit 2, runtime errors exit 1, no layout in time 3" t_logd_usage

t_logd_basic() {
	local gen
	mkdir -p "$L/basic" && newregion "$W/b.shm" log:var:64K:drop &&
	"$RTSIM" -r 100000 -n 1000 "$W/b.shm" log >"$W/rt.out" && has "$W/rt.out" '^sent 1000 dropped 0 ' &&
	expect_rc 0 "$LOGD" --once --fsync -d "$L/basic" "$W/b.shm" log &&
	has "$W/err" 'written 1000 records' &&
	check_log "$L/basic/log.log" >"$W/sum" && accounted "$W/sum" 1000 &&
	has "$L/basic/log.log.state" '^seq 999$' &&
	gen=$("$INFO" --json -r "$W/b.shm" | python3 -c 'import json,sys; print(json.load(sys.stdin)["regions"][0]["layout"]["generation"])') &&
	[ "$(head -1 "$L/basic/log.log")" = "#xshm-logd ring=log layout-generation=$gen" ]
}
tap "xshm-logd --once stores every record in order, with its progress file" t_logd_basic

t_logd_batching() {
	mkdir -p "$L/batch" && newregion "$W/bt.shm" log:var:512K:drop &&
	"$RTSIM" -r 1000000 -n 5000 "$W/bt.shm" log >/dev/null &&
	expect_rc 0 "$LOGD" --once -d "$L/batch" "$W/bt.shm" log &&
	python3 - "$W/err" <<'PY'
import re, sys
m = re.search(r"written (\d+) records \d+ bytes in (\d+) writes", open(sys.argv[1]).read())
recs, writes = int(m.group(1)), int(m.group(2))
print(f"{recs} records in {writes} writes")
sys.exit(0 if recs == 5000 and writes * 100 <= recs else 1)
PY
}
tap "xshm-logd batches: 5000 records take at most 50 writes" t_logd_batching

t_logd_rotation() {
	mkdir -p "$L/rot" && newregion "$W/rot.shm" log:var:64K:drop &&
	bg "$LOGD" -d "$L/rot" -m 16K -k 2 "$W/rot.shm" log 2>"$W/rot.err"
	local pid=$LAST
	"$RTSIM" -r 50000 -n 5000 "$W/rot.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 4999$' "$L/rot/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	[ "$(cd "$L/rot" && echo *)" = "log.log log.log.1 log.log.2 log.log.state" ] &&
	for f in "$L/rot"/log.log*; do [ "$(stat -c %s "$f")" -le 16384 ]; done &&
	check_log "$L/rot/log.log.2" "$L/rot/log.log.1" "$L/rot/log.log" >"$W/sum" &&
	json "$W/sum" "d['errors'] == 0 and d['last_seq'] == 4999 and d['first_seq'] > 0 and d['records'] == 5000 - d['first_seq']" &&
	has "$W/rot.err" 'rotations [1-9]'
}
tap "xshm-logd --max-size/--keep: rotated files stay under the size, newest kept contiguous" t_logd_rotation

t_logd_sigterm() {
	mkdir -p "$L/term" && newregion "$W/term.shm" log:var:64K:drop &&
	bg "$RTSIM" -r 20000 -n 20000 "$W/term.shm" log >"$W/rt.out"
	local prod=$LAST
	bg "$LOGD" -d "$L/term" "$W/term.shm" log 2>"$W/t1.err"
	local pid=$LAST
	sleep 0.3
	stop_pid "$pid" TERM && [ "$RC" = 0 ] && has "$W/t1.err" 'stopped: ring "log"' &&
	check_log "$L/term/log.log" >"$W/sum1" && json "$W/sum1" "d['errors'] == 0 and d['records'] > 0" &&
	bg "$LOGD" -d "$L/term" "$W/term.shm" log 2>"$W/t2.err"
	pid=$LAST
	# drained: every record stored or counted as dropped (the last ones
	# too, if a slow machine kept the daemon down till the end)
	wait "$prod" && wait_for 10 drained "$W/term.shm" log &&
	stop_pid "$pid" INT && [ "$RC" = 0 ] &&
	check_log "$L/term/log.log" >"$W/sum" &&
	"$RING" stat --json "$W/term.shm" log >"$W/stat" &&
	python3 - "$W/sum" "$W/stat" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
c = json.load(open(sys.argv[2]))["channels"][0]
trailing = 20000 - 1 - s["last_seq"]
print(f"stored {s['records']} lost {s['lost']}+{trailing} dropped {c['dropped']}")
sys.exit(0 if s["errors"] == 0 and c["next_seq"] == 20000
         and s["records"] + s["lost"] + trailing == 20000
         and s["lost"] + trailing == int(c["dropped"]) else 1)
PY
}
tap "xshm-logd SIGTERM/SIGINT mid-stream: clean exit, restart resumes, nothing lost or doubled" t_logd_sigterm

t_logd_producer_restart() {
	local want
	mkdir -p "$L/prod" && newregion "$W/prod.shm" log:var:64K:drop &&
	bg "$LOGD" -d "$L/prod" "$W/prod.shm" log 2>"$W/p.err"
	local pid=$LAST
	bg "$RTSIM" -r 20000 "$W/prod.shm" log >/dev/null
	sleep 0.4; kill -9 "$LAST"; wait "$LAST" 2>/dev/null || true
	bg "$RTSIM" -r 20000 "$W/prod.shm" log >/dev/null
	sleep 0.4; kill -9 "$LAST"; wait "$LAST" 2>/dev/null || true
	"$RTSIM" -r 20000 -n 2000 "$W/prod.shm" log >/dev/null &&
	want=$(next_seq "$W/prod.shm" log) &&
	wait_for 10 grep -q "^seq $((want - 1))$" "$L/prod/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	check_log "$L/prod/log.log" >"$W/sum" && accounted "$W/sum" "$want" &&
	json "$W/sum" "d['records'] > 4000"
}
tap "xshm-logd across two producer crashes (SIGKILL) and restarts: all accounted" t_logd_producer_restart

t_logd_daemon_kill() {
	mkdir -p "$L/kill" && newregion "$W/kill.shm" log:var:64K:drop &&
	bg "$RTSIM" -r 20000 -n 40000 "$W/kill.shm" log >/dev/null
	local prod=$LAST _
	for _ in 1 2 3 4 5 6; do
		bg "$LOGD" -B 4K -d "$L/kill" "$W/kill.shm" log 2>>"$W/k.err"
		sleep 0.$((RANDOM % 3 + 1))
		kill -9 "$LAST"; wait "$LAST" 2>/dev/null || true
	done
	bg "$LOGD" -d "$L/kill" "$W/kill.shm" log 2>>"$W/k.err"
	local pid=$LAST
	wait "$prod" && wait_for 10 grep -q "^seq 39999$" "$L/kill/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	check_log "$L/kill/log.log" >"$W/sum" && accounted "$W/sum" 40000 && cat "$W/sum"
}
tap "xshm-logd killed (SIGKILL) 6 times mid-stream: no duplicate, every gap announced" t_logd_daemon_kill

t_logd_dedup() {
	# a crash after the write but before the release: the ring still
	# holds records the log has (simulated by restoring the region)
	mkdir -p "$L/dedup" && newregion "$W/dd.shm" log:var:64K:drop &&
	"$RTSIM" -r 100000 -n 500 "$W/dd.shm" log >/dev/null &&
	cp "$W/dd.shm" "$W/dd.snap" &&
	expect_rc 0 "$LOGD" --once -d "$L/dedup" "$W/dd.shm" log &&
	cp "$W/dd.snap" "$W/dd.shm" &&
	"$RTSIM" -r 100000 -n 100 "$W/dd.shm" log >/dev/null &&
	expect_rc 0 "$LOGD" --once -d "$L/dedup" "$W/dd.shm" log &&
	has "$W/err" 'written 100 records .* duplicates-skipped 500' &&
	check_log "$L/dedup/log.log" >"$W/sum" && accounted "$W/sum" 600
}
tap "xshm-logd restart after write-before-release: 500 re-delivered records skipped" t_logd_dedup

t_logd_cut() {
	# a crash after the write but before the progress update: the log
	# has bytes the progress file does not know; they are cut and rewritten
	mkdir -p "$L/cut" && newregion "$W/cut.shm" log:var:64K:drop &&
	"$RTSIM" -r 100000 -n 200 "$W/cut.shm" log >/dev/null &&
	expect_rc 0 "$LOGD" --once -d "$L/cut" "$W/cut.shm" log &&
	"$RTSIM" -r 100000 -n 300 "$W/cut.shm" log >/dev/null &&
	cp "$W/cut.shm" "$W/cut.snap" && cp "$L/cut/log.log.state" "$W/cut.state" &&
	expect_rc 0 "$LOGD" --once -d "$L/cut" "$W/cut.shm" log &&
	cp "$W/cut.snap" "$W/cut.shm" && cp "$W/cut.state" "$L/cut/log.log.state" &&
	expect_rc 0 "$LOGD" --once -d "$L/cut" "$W/cut.shm" log &&
	has "$W/err" 'cut [0-9]+ bytes written after the last recorded progress' &&
	check_log "$L/cut/log.log" >"$W/sum" && accounted "$W/sum" 500
}
tap "xshm-logd restart after write-before-progress: unrecorded bytes cut, no duplicate" t_logd_cut

t_logd_hup() {	# an external rotation: move the log away, SIGHUP
	mkdir -p "$L/hup" && newregion "$W/hup.shm" log:var:64K:drop &&
	bg "$LOGD" -d "$L/hup" "$W/hup.shm" log 2>"$W/hup.err"
	local pid=$LAST
	"$RTSIM" -r 100000 -n 100 "$W/hup.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 99$' "$L/hup/log.log.state" &&
	mv "$L/hup/log.log" "$L/hup/old.log" && kill -HUP "$pid" &&
	wait_for 10 grep -q 'reopened 1 log file' "$W/hup.err" &&
	"$RTSIM" -r 100000 -n 100 "$W/hup.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 199$' "$L/hup/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	check_log "$L/hup/old.log" >"$W/s1" && json "$W/s1" "d['records'] == 100 and d['last_seq'] == 99" &&
	check_log "$L/hup/log.log" >"$W/s2" && json "$W/s2" "d['records'] == 100 and d['first_seq'] == 100" &&
	check_log "$L/hup/old.log" "$L/hup/log.log" >"$W/sum" && accounted "$W/sum" 200
}
tap "xshm-logd reopens its logs on SIGHUP (external rotation), nothing lost" t_logd_hup

t_logd_lock() {
	mkdir -p "$L/lock" && newregion "$W/lock.shm" log:var:64K:drop &&
	bg "$LOGD" -d "$L/lock" "$W/lock.shm" log 2>/dev/null
	local pid=$LAST
	wait_for 5 test -s "$L/lock/log.log.state" &&
	expect_rc 1 "$LOGD" --once -d "$L/lock" "$W/lock.shm" log && has "$W/err" 'another xshm-logd' &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ]
}
tap "xshm-logd refuses a log another xshm-logd is writing" t_logd_lock

t_logd_multi() {
	mkdir -p "$L/multi" && newregion "$W/multi.shm" a:var:64K:drop b:var:16K:overwrite &&
	"$RTSIM" -r 100000 -n 700 "$W/multi.shm" a >/dev/null &&
	"$RTSIM" -r 100000 -n 300 "$W/multi.shm" b >/dev/null &&
	expect_rc 0 "$LOGD" --once "$W/multi.shm" "a=$L/multi/A" "b=$L/multi/B" &&
	check_log "$L/multi/A" >"$W/sa" && accounted "$W/sa" 700 &&
	check_log "$L/multi/B" >"$W/sb" && accounted "$W/sb" 300 && json "$W/sb" "d['lost'] > 0"
}
tap "xshm-logd drains two rings (drop and overwrite) into two files" t_logd_multi

t_logd_init_wait() {
	mkdir -p "$L/init" && rm -f "$W/init.shm" && head -c 1048576 /dev/urandom >"$W/init.shm" &&
	bg "$LOGD" -c log:var:64K:drop -d "$L/init" "$W/init.shm" log 2>"$W/i.err"
	local pid=$LAST
	"$RTSIM" -w 5000 -r 100000 -n 100 "$W/init.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 99$' "$L/init/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] && check_log "$L/init/log.log" >"$W/sum" && accounted "$W/sum" 100
}
tap "xshm-logd --init initialises a region holding garbage" t_logd_init_wait

t_logd_reinit() {
	mkdir -p "$L/reinit" && newregion "$W/re.shm" log:var:64K:drop &&
	"$RTSIM" -r 100000 -n 100 "$W/re.shm" log >/dev/null &&
	bg "$LOGD" -d "$L/reinit" "$W/re.shm" log 2>"$W/re.err"
	local pid=$LAST
	wait_for 10 grep -q '^seq 99$' "$L/reinit/log.log.state" &&
	"$RING" init --force "$W/re.shm" -c log:var:64K:drop >/dev/null &&
	"$RTSIM" -r 100000 -n 50 "$W/re.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 49$' "$L/reinit/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] && has "$W/re.err" 're-attached' &&
	check_log "$L/reinit/log.log" >"$W/sum" &&
	json "$W/sum" "d['errors'] == 0 and d['records'] == 150 and d['generations'] == 2"
}
tap "xshm-logd follows a re-initialised layout (new generation) without restart" t_logd_reinit

t_logd_corrupt() {
	mkdir -p "$L/corrupt" && newregion "$W/c.shm" log:var:4K:drop &&
	"$RTSIM" -r 100000 -n 10 "$W/c.shm" log >/dev/null &&
	corrupt_record "$W/c.shm" log 6 &&
	expect_rc 5 "$LOGD" --once -d "$L/corrupt" "$W/c.shm" log &&
	has "$W/err" 'corrupt record or cursor after seq 5' &&
	has "$L/corrupt/log.log" '^#xshm-logd ring=log corrupt-data total=1$' &&
	check_log "$L/corrupt/log.log" >"$W/sum" && json "$W/sum" "d['records'] == 6 and d['last_seq'] == 5 and d['corrupt_markers'] == 1" &&
	# running daemon: keeps going, logs it once, recovers after re-init
	bg "$LOGD" -d "$L/corrupt" "$W/c.shm" log 2>"$W/c2.err"
	local pid=$LAST
	sleep 0.5
	"$RING" init --force "$W/c.shm" -c log:var:4K:drop >/dev/null &&
	"$RTSIM" -r 100000 -n 20 "$W/c.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 19$' "$L/corrupt/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	[ "$(grep -c 'corrupt record' "$W/c2.err")" = 1 ] && has "$W/c2.err" 're-attached' &&
	check_log "$L/corrupt/log.log" >"$W/sum" && json "$W/sum" "d['errors'] == 0 and d['records'] == 26"
}
tap "xshm-logd with a corrupt record: stores what precedes, marks it, exit 5 / recovers on re-init" t_logd_corrupt

t_logd_full_disk() {
	MNT=$W/small
	mkdir -p "$MNT" && mount -t tmpfs -o size=64k tmpfs "$MNT" || return 1
	newregion "$W/full.shm" log:var:64K:drop &&
	bg "$LOGD" --retry-ms 100 -d "$MNT" "$W/full.shm" log 2>"$W/f.err"
	local pid=$LAST
	# about 150 KiB of records for a 64 KiB disk
	"$RTSIM" -r 20000 -n 3000 "$W/full.shm" log >"$W/rt.out" &&
	wait_for 10 grep -q 'No space left on device\|disk full' "$W/f.err" &&
	has "$W/f.err" 'kept in ring "log", retrying every 100 ms' &&
	check_log "$MNT/log.log" >"$W/sum1" && json "$W/sum1" "d['errors'] == 0" &&
	mount -o remount,size=1m "$MNT" &&
	wait_for 10 grep -q 'writing again' "$W/f.err" &&
	# records dropped while the disk was full are announced by the next one
	"$RTSIM" -r 1000 -n 10 "$W/full.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 3009$' "$MNT/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	check_log "$MNT/log.log" >"$W/sum" && accounted "$W/sum" 3010 &&
	json "$W/sum" "d['lost'] > 0" && cat "$W/sum"
	local rc=$?
	umount "$MNT"; MNT=
	return $rc
}
if [ "$(id -u)" = 0 ] && mkdir -p "$W/probe" && mount -t tmpfs -o size=64k tmpfs "$W/probe" 2>/dev/null; then
	umount "$W/probe"
	tap "xshm-logd on a full disk (64K tmpfs): clear error, records kept, resumes when space returns" t_logd_full_disk
else
	skip "xshm-logd on a full disk" "needs root to mount a small tmpfs"
fi

t_logd_full_once() {
	MNT=$W/small2
	mkdir -p "$MNT" && mount -t tmpfs -o size=16k tmpfs "$MNT" || return 1
	newregion "$W/full2.shm" log:var:64K:drop &&
	"$RTSIM" -r 100000 -n 1000 "$W/full2.shm" log >/dev/null &&
	expect_rc 3 "$LOGD" --once -d "$MNT" "$W/full2.shm" log &&
	has "$W/err" 'records not yet stored, kept in ring' &&
	expect_rc 0 "$RING" stat --json "$W/full2.shm" log && json "$W/out" "d['channels'][0]['fill'] > 0"
	local rc=$?
	umount "$MNT"; MNT=
	return $rc
}
if [ "$(id -u)" = 0 ] && mkdir -p "$W/probe" && mount -t tmpfs -o size=64k tmpfs "$W/probe" 2>/dev/null; then
	umount "$W/probe"
	tap "xshm-logd --once on a full disk exits 3 and leaves the records in the ring" t_logd_full_once
else
	skip "xshm-logd --once on a full disk" "needs root to mount a small tmpfs"
fi

t_logd_eio() {	# a write that fails outright (not short): /dev/full
	mkdir -p "$L/eio" && newregion "$W/eio.shm" log:var:64K:drop &&
	ln -sf /dev/full "$L/eio/log.log" &&
	"$RTSIM" -r 100000 -n 100 "$W/eio.shm" log >/dev/null &&
	expect_rc 3 "$LOGD" --once -d "$L/eio" "$W/eio.shm" log &&
	has "$W/err" 'log.log: write failed: No space left on device; 100 records .* kept in ring "log"' &&
	expect_rc 0 "$RING" stat --json "$W/eio.shm" log && json "$W/out" "d['channels'][0]['fill'] > 0"
}
tap "xshm-logd: a failing write (ENOSPC from /dev/full) is reported, records stay in the ring" t_logd_eio

t_unit() {
	# shellcheck disable=SC2016 # a literal $ in the unit
	has tools/xshm-logd.service '^ExecStart=@BINDIR@/xshm-logd \$XSHM_LOGD_ARGS$' &&
	has tools/xshm-logd.service '^KillSignal=SIGTERM$' &&
	has tools/xshm-logd.service '^RestartPreventExitStatus=2$' || return 1
	command -v systemd-analyze >/dev/null || return 0
	sed "s|@BINDIR@|$BIN|g" tools/xshm-logd.service >"$W/xshm-logd.service"
	if ! systemd-analyze verify --man=no "$W/xshm-logd.service" >"$W/verify.out" 2>&1; then
		cat "$W/verify.out"
		return 1
	fi
	[ ! -s "$W/verify.out" ] || { cat "$W/verify.out"; return 1; }
}
tap "systemd unit for xshm-logd is well-formed" t_unit

# ---------------------------------------------------------------- per topic
# shellcheck source=selftests/tools/cli.sh
. "$TOP/selftests/tools/cli.sh"
# shellcheck source=selftests/tools/json.sh
. "$TOP/selftests/tools/json.sh"
# shellcheck source=selftests/tools/values.sh
. "$TOP/selftests/tools/values.sh"
# shellcheck source=selftests/tools/packaging.sh
. "$TOP/selftests/tools/packaging.sh"
# shellcheck source=selftests/tools/messages.sh
. "$TOP/selftests/tools/messages.sh"
# shellcheck source=selftests/tools/drops.sh
. "$TOP/selftests/tools/drops.sh"

# ---------------------------------------------------------------- guest
# The tools against the real driver in an arm64 guest (scripts/vm harness).
t_guest() {
	local ko g=$OUT/guest rc=0
	mkdir -p "$g"
	ko=$(scripts/vm/build-module.sh) &&
	make -s -C tools CC=aarch64-linux-gnu-gcc BUILD="$TOP/build/tools-arm64" \
		LIBDIR="$TOP/build/lib-arm64" STATIC=1 &&
	scripts/vm/make-dtb.sh "$g/malformed.dtb" scripts/vm/dt/malformed.dtsi &&
	scripts/vm/make-initramfs.sh -o "$g/tools.cpio.gz" -r selftests/tools/guest-run.sh \
		-m "$ko" -f scripts/demo/check-log.awk:/check-log.awk \
		-b build/tools-arm64/xshm-info -b build/tools-arm64/xshm-ring \
		-b build/tools-arm64/xshm-logd -b build/tools-arm64/xshm-rtsim \
		-b build/tools-arm64/xshm-bench || return 1
	scripts/vm/boot.sh -d "$g/malformed.dtb" -i "$g/tools.cpio.gz" -t 180 \
		-l "$g/console.log" >/dev/null || true
	(. scripts/vm/lib.sh && vm_guest_output "$g/console.log") >"$g/tap" || rc=$?
	sed 's/^/# /' "$g/tap" >&3
	[ "$rc" = 0 ] && grep -q '^ok ' "$g/tap" && ! grep -q '^not ok' "$g/tap"
}
if [ -n "${XSHM_SKIP_VM:-}" ]; then
	skip "the tools against the real driver in an arm64 guest" "XSHM_SKIP_VM is set"
elif ! command -v qemu-system-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
	skip "the tools against the real driver in an arm64 guest" "needs qemu-system-aarch64 and aarch64-linux-gnu-gcc"
else
	exec 3>&1
	tap "the tools against the real driver in an arm64 guest" t_guest
	exec 3>&-
fi

echo "1..$n"
[ "$failed" -eq 0 ]
