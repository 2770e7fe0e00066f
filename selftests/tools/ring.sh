# shellcheck shell=bash
# Sourced by run.sh: xshm-ring: every subcommand and error exit, corrupt records.

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
