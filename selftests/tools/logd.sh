# shellcheck shell=bash
# Sourced by run.sh: xshm-logd: storing, batching, rotation, restarts of either side,
# signals, full disks, corrupt records; the log checker it relies on; the unit.

t_checker() {	# the log checker used below must catch what it claims to
	local t=2026-12-05T03:10:00.123456Z
	printf '#xshm-logd format=2 region=r ring=log\n%s | rtsim seq=0 a\n%s | rtsim seq=1 b\n%s #xshm-logd ring=log lost=2 where=between before-seq=4\n%s | rtsim seq=4 c\n' "$t" "$t" "$t" "$t" >"$W/good.log"
	check_log "$W/good.log" >"$W/sum" && json "$W/sum" "d['records'] == 3 and d['lost'] == 2 and d['last_seq'] == 4 and d['headers'] == 1" &&
	printf '%s | rtsim seq=0 a\n%s | rtsim seq=2 b\n' "$t" "$t" >"$W/gap.log" &&
	! check_log "$W/gap.log" >"$W/sum" 2>"$W/cerr" && has "$W/cerr" 'seq 2 after 0 with 0 announced lost' &&
	printf '%s | rtsim seq=0 a\n%s | rtsim seq=1 b\n%s | rtsim seq=1 b\n' "$t" "$t" "$t" >"$W/dup.log" &&
	! check_log "$W/dup.log" >"$W/sum" 2>"$W/cerr" && has "$W/cerr" 'seq 1 stored twice' &&
	printf '%s | rtsim seq=5 a\n%s | rtsim seq=4 b\n' "$t" "$t" >"$W/back.log" &&
	! check_log "$W/back.log" >"$W/sum" 2>/dev/null &&
	printf '2026-12-05T03:10:00Z | rtsim seq=0 a\n' >"$W/nots.log" &&
	! check_log "$W/nots.log" >"$W/sum" 2>"$W/cerr" && has "$W/cerr" 'bad timestamp'
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
	[ "$(head -1 "$L/basic/log.log")" = "#xshm-logd format=2 region=$W/b.shm ring=log" ] &&
	sed -n 2p "$L/basic/log.log" | grep -qE "^[0-9-]{10}T[0-9:]{8}\.[0-9]{6}Z #xshm-logd ring=log layout-generation=$gen\$"
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
# drops after the last record are announced too (when idle, at exit)
trailing = 20000 - 1 - s["last_seq"] - s["lost_after_last"]
print(f"stored {s['records']} lost {s['lost']}+{trailing} dropped {c['dropped']}")
sys.exit(0 if s["errors"] == 0 and c["next_seq"] == 20000 and trailing == 0
         and s["records"] + s["lost"] == 20000
         and s["lost"] == int(c["dropped"]) else 1)
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
	has "$L/corrupt/log.log" 'Z #xshm-logd ring=log corrupt-data=1$' &&
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
