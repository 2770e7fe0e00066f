# shellcheck shell=bash
# Sourced by run.sh: xshm-logd reports every loss where it happens
# (between records, after the last one, during a disk-full episode, at
# exit) exactly once, and says at once that it waits for a layout.

LOSS_RE='^[0-9T:.Z-]{27} #xshm-logd ring=log lost=[0-9]+ where='
dropped_of() {	# dropped_of REGION: the ring's drop + overwrite counters
	"$RING" stat --json "$1" log | python3 -c 'import json,sys; c=json.load(sys.stdin)["channels"][0]; print(int(c["dropped"]) + int(c.get("overwritten", 0)))'
}
lost_in() {	# lost_in LOG WHERE: sum of lost= of markers with where=WHERE
	grep -E "$LOSS_RE$2( |\$)" "$1" | sed 's/.* lost=\([0-9]*\) .*/\1/' | awk '{ s += $1 } END { print s + 0 }'
}

t_logd_lost_between() {	# overwritten records before the next stored one
	local d=$L/between over
	mkdir -p "$d" && newregion "$W/bw.shm" log:var:4K:overwrite &&
	seq 1 10 | "$RING" send "$W/bw.shm" log &&
	expect_rc 0 "$LOGD" --once -d "$d" "$W/bw.shm" log &&
	seq 11 2000 | "$RING" send "$W/bw.shm" log 2>/dev/null &&
	expect_rc 0 "$LOGD" --once -d "$d" "$W/bw.shm" log &&
	over=$(dropped_of "$W/bw.shm") && [ "$over" -gt 0 ] &&
	has "$d/log.log" "${LOSS_RE}between before-seq=$((10 + over))\$" &&
	[ "$(lost_in "$d/log.log" between)" = "$over" ] &&
	[ "$(grep -cE "$LOSS_RE" "$d/log.log")" = 1 ] &&
	expect_rc 0 "$LOGCAT" "$d/log.log" && [ "$(head -n 11 "$W/out" | tail -n 1)" = $((11 + over)) ] &&
	[ "$(($(wc -l <"$W/out") + over))" = 2000 ]
}
tap "xshm-logd: records lost between two stored ones: one where=between marker, the ring's count" t_logd_lost_between

t_logd_lost_after_last() {	# drops after the last record, daemon still running
	local d=$L/after pid dropped
	mkdir -p "$d" && newregion "$W/al.shm" log:var:4K:drop &&
	bg "$LOGD" -d "$d" "$W/al.shm" log 2>"$W/al.err"
	pid=${LAST:-}
	# one burst: what fits is stored, the rest dropped after it
	seq 1 2000 | "$RING" send --allow-drops "$W/al.shm" log 2>/dev/null &&
	dropped=$(dropped_of "$W/al.shm") && [ "$dropped" -gt 0 ] &&
	wait_for 10 grep -qE "${LOSS_RE}after-last after-seq=" "$d/log.log" &&
	[ "$(lost_in "$d/log.log" after-last)" = "$dropped" ] &&
	# the next record does not announce them a second time
	echo last | "$RING" send "$W/al.shm" log &&
	wait_for 10 grep -q '^seq 2000$' "$d/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	[ "$(grep -cE "$LOSS_RE" "$d/log.log")" = 1 ] &&
	has "$W/al.err" "stopped: ring \"log\" .* lost $dropped " &&
	tail -n 1 "$d/log.log" | grep -q ' | last$'
}
tap "xshm-logd: drops after the last record are announced while idle (where=after-last), once" t_logd_lost_after_last

t_logd_lost_at_exit() {	# --once and SIGTERM: drops found at the end are written
	local d=$L/exit dropped
	mkdir -p "$d" && newregion "$W/ex.shm" log:var:4K:drop &&
	"$RTSIM" -r 1000000 -n 2000 "$W/ex.shm" log >/dev/null &&
	dropped=$(dropped_of "$W/ex.shm") && [ "$dropped" -gt 0 ] &&
	expect_rc 0 "$LOGD" --once -d "$d" "$W/ex.shm" log &&
	has "$d/log.log" "${LOSS_RE}exit after-seq=$((1999 - dropped))\$" &&
	has "$W/err" "lost $dropped " &&
	check_log "$d/log.log" >"$W/sum" && accounted "$W/sum" 2000 &&
	# a restart does not announce them again
	"$RTSIM" -r 1000000 -n 10 "$W/ex.shm" log >/dev/null &&
	expect_rc 0 "$LOGD" --once -d "$d" "$W/ex.shm" log && has "$W/err" 'lost 0 ' &&
	check_log "$d/log.log" >"$W/sum" && accounted "$W/sum" 2010 &&
	# SIGTERM right after a burst: totals on stderr, log accounted
	newregion "$W/ex2.shm" log:var:4K:drop && mkdir -p "$d/2" &&
	bg "$LOGD" -d "$d/2" "$W/ex2.shm" log 2>"$W/ex2.err"
	local pid=${LAST:-}
	sleep 0.3
	"$RTSIM" -r 1000000 -n 3000 "$W/ex2.shm" log >/dev/null &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	dropped=$(dropped_of "$W/ex2.shm") &&
	has "$W/ex2.err" "stopped: ring \"log\" -> .*: written [0-9]+ records .* lost $dropped " &&
	check_log "$d/2/log.log" >"$W/sum" && cat "$W/sum" &&
	json "$W/sum" "d['errors'] == 0 and d['lost'] == $dropped and d['records'] + d['lost'] == 3000"
}
tap "xshm-logd: drops found at exit (--once, SIGTERM) are written (where=exit) with the totals" t_logd_lost_at_exit

t_logd_lost_disk_full() {
	MNT=$W/lossfull
	mkdir -p "$MNT" && mount -t tmpfs -o size=64k tmpfs "$MNT" || return 1
	newregion "$W/lf.shm" log:var:64K:drop &&
	bg "$LOGD" --retry-ms 100 -d "$MNT" "$W/lf.shm" log 2>"$W/lf.err"
	local pid=${LAST:-} dropped
	"$RTSIM" -r 20000 -n 3000 "$W/lf.shm" log >/dev/null &&
	wait_for 10 grep -q 'kept in ring "log"' "$W/lf.err" &&
	dropped=$(dropped_of "$W/lf.shm") && [ "$dropped" -gt 0 ] &&
	mount -o remount,size=1m "$MNT" &&
	wait_for 10 grep -qE "${LOSS_RE}disk-full" "$MNT/log.log" &&
	[ "$(lost_in "$MNT/log.log" disk-full)" = "$dropped" ] &&
	"$RTSIM" -r 1000 -n 10 "$W/lf.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 3009$' "$MNT/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	check_log "$MNT/log.log" >"$W/sum" && accounted "$W/sum" 3010 &&
	json "$W/sum" "d['lost'] == $dropped"
	local rc=$?
	stop_pid "$pid" KILL
	umount "$MNT"; MNT=
	return $rc
}
if [ "$(id -u)" = 0 ] && mkdir -p "$W/probe" && mount -t tmpfs -o size=64k tmpfs "$W/probe" 2>/dev/null; then
	umount "$W/probe"
	tap "xshm-logd: drops during a disk-full episode are announced once space returns (where=disk-full)" t_logd_lost_disk_full
else
	skip "xshm-logd: drops during a disk-full episode" "needs root to mount a small tmpfs"
fi

t_logd_wait_message() {	# says at once, and once, that it waits; --once never waits forever
	local start pid
	head -c 65536 /dev/zero >"$W/wait.shm" && mkdir -p "$L/wait" &&
	start=$SECONDS &&
	expect_rc 4 "$LOGD" --once -d "$L/wait" "$W/wait.shm" log &&
	[ $((SECONDS - start)) -le 2 ] && has "$W/err" 'holds no xshm layout|no layout' &&
	expect_rc 3 "$LOGD" --once -w 300 -d "$L/wait" "$W/wait.shm" log &&
	has "$W/err" 'waiting up to 300 ms' && has "$W/err" 'no layout appeared in time' &&
	bg "$LOGD" -d "$L/wait" "$W/wait.shm" log 2>"$W/wait.err"
	pid=${LAST:-}
	wait_for 2 grep -q 'no valid layout yet .*; waiting for the peer to create one' "$W/wait.err" &&
	sleep 1.5 && { [ "$(wc -l <"$W/wait.err")" = 1 ] || { cat "$W/wait.err"; false; }; } &&
	"$RING" init "$W/wait.shm" -c log:var:16K:drop >/dev/null &&
	"$RTSIM" -r 100000 -n 50 "$W/wait.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 49$' "$L/wait/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ]
}
tap "xshm-logd: says once and at once that it waits for a layout; --once exits 4, --once --wait 3" t_logd_wait_message
