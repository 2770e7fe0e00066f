# shellcheck shell=bash
# shellcheck disable=SC2015 # "A && B || fail" means: fail if A or B fails
# Sourced by run.sh: xshm-ring get/set for seqlock, latch and LWW values,
# and the health xshm-info and xshm-ring stat show for each channel.

# chan_off REGION CHANNEL: the channel's offset in the region file
chan_off() {
	"$RING" stat --json "$1" "$2" | jq -r '.channels[0].offset'
}
# stall_value REGION CHANNEL: the writer "dies" mid-update (seq made odd)
stall_value() {
	python3 - "$1" "$(chan_off "$1" "$2")" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    seq = struct.unpack("<Q", f.read(8))[0]
    f.seek(int(sys.argv[2]))
    f.write(struct.pack("<Q", seq | 1))
PY
}

t_values_get_set() {
	local f=$W/values.shm
	newregion "$f" cfg:seqlock:16 pos:latch:8 cur:lww:8:3 log:var:4K &&
	# nothing written yet: said, exit 3
	expect_rc 3 "$RING" get "$f" cfg &&
	has "$W/err" "^xshm-ring: $f: \"cfg\" holds no value yet\$" &&
	# text: zero-padded on set, read back up to the first NUL
	expect_rc 0 "$RING" set "$f" cfg hello && [ ! -s "$W/out" ] &&
	expect_rc 0 "$RING" get "$f" cfg && [ "$(cat "$W/out")" = hello ] &&
	expect_rc 0 "$RING" get --json "$f" cfg && jq -e . "$W/out" >/dev/null &&
	json "$W/out" "d == {'channel': 'cfg', 'type': 'seqlock', 'size': 16, 'stamp': '1', 'value': 'hello', 'hex': '68656c6c6f' + '00' * 11}" &&
	# from stdin, the last newline dropped; the second write counts
	echo "second" | "$RING" set "$f" cfg &&
	expect_rc 0 "$RING" get --json "$f" cfg && json "$W/out" "d['value'] == 'second' and d['stamp'] == '2'" &&
	# latch, binary: every byte
	printf '\001\002\003\004\005\006\007\010' | "$RING" set --binary "$f" pos &&
	"$RING" get --binary "$f" pos | od -An -tx1 | tr -d ' \n' >"$W/hex" &&
	[ "$(cat "$W/hex")" = 0102030405060708 ] &&
	# too long: said with both sizes, nothing written
	expect_rc 1 "$RING" set "$f" pos 123456789 &&
	has "$W/err" "^xshm-ring: $f: a value of 9 bytes is larger than \"pos\" holds \(8 bytes\)\$" &&
	"$RING" get --binary "$f" pos | od -An -tx1 | tr -d ' \n' >"$W/hex" &&
	[ "$(cat "$W/hex")" = 0102030405060708 ] &&
	# LWW: the newest stamp wins, whichever writer slot
	expect_rc 0 "$RING" set --writer 2 --stamp 100 "$f" cur two &&
	expect_rc 0 "$RING" set --writer 0 --stamp 50 "$f" cur zero &&
	expect_rc 0 "$RING" get --json "$f" cur &&
	json "$W/out" "d['value'] == 'two' and d['writer'] == 2 and d['stamp'] == '100'" &&
	expect_rc 0 "$RING" set --writer 1 "$f" cur one &&
	expect_rc 0 "$RING" get --json "$f" cur &&
	json "$W/out" "d['value'] == 'one' and d['writer'] == 1 and d['stamp'] == '101'" &&
	# wrong slot, wrong channel type: usage errors
	expect_rc 2 "$RING" set --writer 3 "$f" cur x && has "$W/err" 'writer slots 0\.\.2, not 3' &&
	expect_rc 2 "$RING" get "$f" log && has "$W/err" '"log" is a var ring: use send/recv/peek' &&
	expect_rc 2 "$RING" send "$f" cfg </dev/null && has "$W/err" '"cfg" is a seqlock channel, not a ring' &&
	expect_rc 2 "$RING" set --json "$f" cfg x &&
	expect_rc 1 "$RING" get "$f" nosuch && has "$W/err" 'no channel "nosuch"'
}
tap "xshm-ring get/set: seqlock, latch and lww values, text, binary and JSON" t_values_get_set

t_health() {
	local f=$W/health.shm
	newregion "$f" log:var:4K:drop cfg:seqlock:16 pos:latch:8 &&
	seq 1 10 | "$RING" send "$f" log && "$RING" set "$f" cfg on && "$RING" set "$f" pos 1 &&
	expect_rc 0 "$INFO" -r "$f" &&
	[ "$(grep -c '  health ok$' "$W/out")" = 3 ] &&
	# a value never written is empty, not a problem
	newregion "$W/empty-val.shm" cfg:seqlock:16 &&
	expect_rc 0 "$INFO" -r "$W/empty-val.shm" && has "$W/out" 'no value written yet  health empty$' &&
	# a writer that died mid-update: stalled, exit 3; the latch still reads
	stall_value "$f" cfg && stall_value "$f" pos &&
	expect_rc 3 "$INFO" -r "$f" &&
	has "$W/out" '^  cfg +seqlock .*  health stalled$' &&
	has "$W/out" '^    stalled: the writer is stalled mid-update' &&
	has "$W/out" '^  pos +latch .* stamp [0-9]+ .*  health ok$' &&
	expect_rc 3 "$RING" get -t 50 "$f" cfg &&
	has "$W/err" "the writer of \"cfg\" stalled mid-update: no consistent value within 50 ms" &&
	expect_rc 0 "$RING" get "$f" pos && [ "$(cat "$W/out")" = 1 ] &&
	# a new writer repairs it
	"$RING" set "$f" cfg again && expect_rc 0 "$INFO" -r "$f" &&
	# a corrupt record ahead of the consumer: corrupt, exit 5
	corrupt_record "$f" log 4 &&
	expect_rc 5 "$INFO" -r "$f" &&
	has "$W/out" '^  log +var .*  health corrupt$' &&
	has "$W/out" '^    corrupt: a corrupt record after 4 readable ones: a consumer will stop there$' &&
	# looking changed nothing: a consumer gets the 4 records before it
	expect_rc 5 "$RING" recv "$f" log && [ "$(cat "$W/out")" = "$(seq 1 4)" ] &&
	# and is stuck there now, in text and JSON
	expect_rc 5 "$INFO" -r "$f" &&
	has "$W/out" '^  log +var .*  health stuck$' &&
	has "$W/out" '^    stuck: a corrupt record at the read position' &&
	expect_rc 5 "$INFO" --json -r "$f" &&
	json "$W/out" "[(c['name'], c['health']) for c in d['regions'][0]['channels']] == [('log', 'stuck'), ('cfg', 'ok'), ('pos', 'ok')] and 'no consumer can pass it' in d['regions'][0]['channels'][0]['problem']" &&
	expect_rc 5 "$RING" stat "$f" log && has "$W/out" 'health stuck'
}
tap "health: ok, empty, stalled writer (exit 3), ring stuck on a corrupt record (exit 5)" t_health
