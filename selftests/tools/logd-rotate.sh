# shellcheck shell=bash
# Sourced by run.sh: xshm-logd under logrotate (create with SIGHUP, and
# copytruncate) and after a failed rotation of its own.

# rotate_conf FILE DIR MODE PID: the shipped snippet, for DIR, in MODE
rotate_conf() {
	sed -e "s|^/var/log/xshm/\\*.log /var/log/xshm/\\*/\\*.log {|$2/*.log {|" \
	    -e "s|systemctl reload .*|kill -HUP $4|" \
	    -e '/compress$/d' tools/xshm-logd.logrotate >"$1" &&
	if [ "$3" = copytruncate ]; then
		sed -i -e 's/^\tcreate .*/\tcopytruncate/' -e '/postrotate/,/endscript/d' -e '/sharedscripts/d' "$1"
	fi
}

t_logd_logrotate_create() {
	local d=$L/lrc pid
	mkdir -p "$d" && newregion "$W/lrc.shm" log:var:64K:drop &&
	bg "$LOGD" -d "$d" "$W/lrc.shm" log 2>"$W/lrc.err"
	pid=${LAST:-}
	"$RTSIM" -r 100000 -n 1000 "$W/lrc.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 999$' "$d/log.log.state" &&
	rotate_conf "$W/lrc.conf" "$d" create "$pid" &&
	logrotate -f -s "$W/lrc.status" "$W/lrc.conf" &&
	[ -f "$d/log.log.1" ] && wait_for 10 grep -q 'reopened 1 log file' "$W/lrc.err" &&
	"$RTSIM" -r 100000 -n 1000 "$W/lrc.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 1999$' "$d/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	head -n 1 "$d/log.log" | grep -q '^#xshm-logd format=2 ' &&
	check_log "$d/log.log.1" >"$W/s1" && json "$W/s1" "d['records'] == 1000" &&
	check_log "$d/log.log.1" "$d/log.log" >"$W/sum" && accounted "$W/sum" 2000
}
tap "xshm-logd under logrotate 'create' (shipped snippet, SIGHUP): nothing lost, new file has its header" t_logd_logrotate_create

t_logd_logrotate_copytruncate() {
	local d=$L/lrt pid
	mkdir -p "$d" && newregion "$W/lrt.shm" log:var:512K:drop &&
	bg "$LOGD" -d "$d" "$W/lrt.shm" log 2>"$W/lrt.err"
	pid=${LAST:-}
	"$RTSIM" -r 100000 -n 3000 "$W/lrt.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 2999$' "$d/log.log.state" &&
	rotate_conf "$W/lrt.conf" "$d" copytruncate "$pid" &&
	logrotate -f -s "$W/lrt.status" "$W/lrt.conf" &&
	[ -s "$d/log.log.1" ] && [ "$(stat -c %s "$d/log.log")" = 0 ] &&
	"$RTSIM" -r 100000 -n 100 "$W/lrt.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 3099$' "$d/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	# appended at the new end: no hole of NUL bytes, a header first
	[ "$(tr -cd '\000' <"$d/log.log" | wc -c)" = 0 ] &&
	head -n 1 "$d/log.log" | grep -q '^#xshm-logd format=2 ' &&
	has "$W/lrt.err" 'cut to 0 bytes by someone else \(copytruncate\)' &&
	check_log "$d/log.log" >"$W/sum" &&
	json "$W/sum" "d['records'] == 100 and d['first_seq'] == 3000 and d['errors'] == 0" &&
	check_log "$d/log.log.1" "$d/log.log" >"$W/sum" && accounted "$W/sum" 3100 &&
	grep -q '^size [1-9]' "$d/log.log.state" &&
	[ "$(grep '^size ' "$d/log.log.state" | cut -d' ' -f2)" = "$(stat -c %s "$d/log.log")" ]
}
tap "xshm-logd under logrotate 'copytruncate': appends at the new end, no NUL bytes, progress agrees" t_logd_logrotate_copytruncate

t_logd_rotation_fails() {	# its own rotation refused: logs on, retries with backoff
	local d=$L/rotfail pid tries writes
	mkdir -p "$d/log.log.1/blocker" && newregion "$W/rf.shm" log:var:64K:drop &&
	bg "$LOGD" -d "$d" -m 4K -k 1 "$W/rf.shm" log 2>"$W/rf.err"
	pid=${LAST:-}
	# half a second of records: a write every few ms
	"$RTSIM" -r 2000 -n 1000 "$W/rf.shm" log >/dev/null &&
	wait_for 10 grep -q '^seq 999$' "$d/log.log.state" &&
	# every record went on into the current file, the error said once
	[ "$(stat -c %s "$d/log.log")" -gt 16384 ] &&
	check_log "$d/log.log" >"$W/sum" && accounted "$W/sum" 1000 &&
	[ "$(grep -c 'rotation failed' "$W/rf.err")" = 1 ] &&
	has "$W/rf.err" 'log.log: rotation failed: .*; logging on to the current file, retrying after 100 ms, backing off to 30 s' &&
	rm -r "$d/log.log.1" &&
	# records for 5 s: a retry (backoff at most 3.2 s by then) comes
	bg "$RTSIM" -r 1000 -n 5000 "$W/rf.shm" log >/dev/null
	local prod=${LAST:-}
	wait_for 10 grep -q 'rotated after [0-9]* failed tries' "$W/rf.err" &&
	wait "$prod" && wait_for 10 grep -q '^seq 5999$' "$d/log.log.state" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] &&
	tries=$(sed -n 's/.*rotated after \([0-9]*\) failed tries.*/\1/p' "$W/rf.err") &&
	writes=$(sed -n 's/.*stopped: .* in \([0-9]*\) writes.*/\1/p' "$W/rf.err") &&
	echo "failed tries: $tries, writes: $writes" &&
	# 100, 200, 400 ms ... doubling: a few tries, not one per write
	[ "$tries" -ge 2 ] && [ "$tries" -le 8 ] && [ "$writes" -gt $((4 * tries)) ] &&
	# rotating again (--keep 1) dropped the big file; the rest is whole
	check_log "$d/log.log.1" "$d/log.log" >"$W/sum" &&
	json "$W/sum" "d['errors'] == 0 and d['last_seq'] == 5999 and d['records'] > 0"
}
tap "xshm-logd: a failed rotation keeps logging to the current file, says so once, retries with backoff" t_logd_rotation_fails
