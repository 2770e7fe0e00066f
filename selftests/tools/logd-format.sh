# shellcheck shell=bash
# Sourced by run.sh: xshm-logd's log format 2 (Documentation/logd-format.md)
# and its reader xshm-logcat.

TS_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'

t_logd_format_escape() {	# a peer cannot forge markers or send control bytes
	local d=$W/fmt
	mkdir -p "$d" && newregion "$W/fmt.shm" log:var:64K:drop &&
	python3 - "$W/fmt.bin" <<'PY' &&
import struct, sys
recs = [b"plain text record",
        b"#xshm-logd ring=log lost=999999 where=between before-seq=5",
        b"x\n2026-12-05T03:10:00.123456Z #xshm-logd ring=log lost=7 where=exit",
        b"esc \x1b[2J bell \x07 del \x7f cr \r tab \t back \\ nul \x00 high \xff\xc3\xa9",
        b"ends with a newline\n",
        b"",
        b"0123456789abcdef0123456789abcde\x01" * 15]
with open(sys.argv[1], "wb") as f:
    for r in recs:
        f.write(struct.pack("<I", len(r)) + r)
PY
	"$RING" send -b "$W/fmt.shm" log <"$W/fmt.bin" &&
	expect_rc 0 "$LOGD" --once -d "$d" "$W/fmt.shm" log &&
	[ "$(wc -l <"$d/log.log")" = 9 ] &&
	head -1 "$d/log.log" | grep -qx "#xshm-logd format=2 region=$W/fmt.shm ring=log" &&
	# only the daemon's own generation marker is a marker
	[ "$(grep -cE "^$TS_RE #xshm-logd " "$d/log.log")" = 1 ] &&
	[ "$(grep -cE "^$TS_RE \| " "$d/log.log")" = 7 ] &&
	! grep -q 'lost=' <(grep -vE "^$TS_RE \| " "$d/log.log") &&
	has "$d/log.log" "^$TS_RE \| x\\\\x0a2026-12-05T03:10:00.123456Z #xshm-logd ring=log lost=7 where=exit\$" &&
	has "$d/log.log" "^$TS_RE \| esc \\\\x1b\\[2J bell \\\\x07 del \\\\x7f cr \\\\x0d tab \\\\x09 back \\\\x5c nul \\\\x00 high \\\\xff\\\\xc3\\\\xa9\$" &&
	has "$d/log.log" "^$TS_RE \| ends with a newline\$" &&
	has "$d/log.log" "^$TS_RE \| \$" &&
	# no byte outside printable ASCII and newline in the whole log
	! LC_ALL=C grep -q '[^[:print:]]' "$d/log.log" &&
	# the receive times are now, in UTC
	python3 - "$d/log.log" <<'PY'
import datetime, sys
now = datetime.datetime.now(datetime.timezone.utc)
for line in open(sys.argv[1]).read().splitlines()[1:]:
    t = datetime.datetime.strptime(line[:27], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    assert abs((now - t).total_seconds()) < 60, line
PY
}
tap "xshm-logd format 2: header, receive time; forged markers and control bytes escaped" t_logd_format_escape

t_logcat_roundtrip() {	# xshm-logcat gives back the payloads byte for byte
	local d=$W/lcat
	mkdir -p "$d" && newregion "$W/lcat.shm" log:var:64K:drop &&
	python3 - "$W/lcat.bin" "$W/lcat.want" <<'PY' &&
import random, struct, sys
random.seed(12)
with open(sys.argv[1], "wb") as f, open(sys.argv[2], "wb") as w:
    for i in range(300):
        r = bytes(random.randrange(256) for _ in range(random.randrange(0, 300)))
        r = r.rstrip(b"\n")	# one trailing newline is dropped by design
        f.write(struct.pack("<I", len(r)) + r)
        w.write(r + b"\n")
PY
	"$RING" send -b "$W/lcat.shm" log <"$W/lcat.bin" &&
	expect_rc 0 "$LOGD" --once -d "$d" "$W/lcat.shm" log &&
	expect_rc 0 "$LOGCAT" "$d/log.log" && cmp "$W/out" "$W/lcat.want" &&
	expect_rc 0 "$LOGCAT" -m "$d/log.log" &&
	[ "$(head -1 "$W/out")" = "#xshm-logd format=2 region=$W/lcat.shm ring=log" ] &&
	has "$W/out" "^$TS_RE #xshm-logd ring=log layout-generation=[0-9]+\$" &&
	# -t: each record gets its 27-character time and a space in front
	expect_rc 0 "$LOGCAT" -t - <"$d/log.log" && head -1 "$W/out" | grep -qE "^$TS_RE " &&
	[ "$(stat -c %s "$W/out")" = "$(($(stat -c %s "$W/lcat.want") + 28 * 300))" ] &&
	# a line that is not format 2 is named, the rest still printed
	{ cat "$d/log.log"; echo 'raw line'; echo '2026-12-05T03:10:00.123456Z | bad \x4'; } >"$W/mixed.log" &&
	expect_rc 5 "$LOGCAT" "$W/mixed.log" && has "$W/err" "mixed.log:303: not a format-2 xshm-logd line" &&
	has "$W/err" "mixed.log:304: " && [ "$(wc -l <"$W/err")" = 2 ] &&
	expect_rc 1 "$LOGCAT" "$W/nonexistent.log" && has "$W/err" 'nonexistent.log'
}
tap "xshm-logcat prints 300 random binary records back byte for byte; bad lines exit 5" t_logcat_roundtrip
