# shellcheck shell=bash
# Sourced by run.sh: xshm-logd under systemd: the sd_notify protocol
# (READY=1, STATUS=, STOPPING=1) on a real datagram socket, --per-region
# directories, and the unit (xshm-logd@.service) with the udev rule that
# starts it; its systemd-analyze security score.  The unit itself runs in
# the systemd guest suite (selftests/systemd).

# notify_listen SOCKET OUT: receive datagrams on SOCKET until STOPPING=1,
# one per line in OUT (newlines shown as " | ")
notify_listen() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "w", buffering=1) as f:
    while True:
        m = s.recv(4096).decode()
        f.write(m.replace("\n", " | ") + "\n")
        if m.startswith("STOPPING=1"):
            break
' "$1" "$2"
}

t_logd_notify() {
	local d=$L/notify pid lis
	mkdir -p "$d" && head -c 1048576 /dev/zero >"$W/nt.shm" &&
	bg notify_listen "$W/notify.sock" "$W/notify.out"
	lis=${LAST:-}
	wait_for 10 test -S "$W/notify.sock" &&
	NOTIFY_SOCKET=$W/notify.sock bg "$LOGD" --per-region -d "$d" "$W/nt.shm" log 2>"$W/nt.err"
	pid=${LAST:-}
	# ready at once, while it waits for the peer's layout, and says so
	wait_for 5 grep -qx "READY=1 | STATUS=waiting for the peer to create a layout in $W/nt.shm" "$W/notify.out" &&
	"$RING" init "$W/nt.shm" -c log:var:64K:drop >/dev/null &&
	"$RTSIM" -r 100000 -n 100 "$W/nt.shm" log >/dev/null &&
	# the totals in the status line, once they change
	wait_for 10 grep -qx "STATUS=storing 1 ring of $W/nt.shm: 100 records stored, 0 lost, 0 corrupt" "$W/notify.out" &&
	stop_pid "$pid" TERM && [ "$RC" = 0 ] && wait "$lis" &&
	grep -qx 'STOPPING=1 | STATUS=stopping: storing what the rings hold' "$W/notify.out" &&
	cat "$W/notify.out" &&
	# --per-region: DIR/<the region's name>/RING.log
	check_log "$d/nt.shm/log.log" >"$W/sum" && accounted "$W/sum" 100
}
tap "xshm-logd under a service manager: READY=1 at once, totals in STATUS=, STOPPING=1; --per-region" t_logd_notify

# shellcheck disable=SC2016,SC2015 # literal $ in the patterns; A && B || fail
t_unit() {	# the template unit and the udev rule that starts it
	local u=tools/xshm-logd@.service score
	has "$u" '^Type=notify$' && has "$u" '^NotifyAccess=main$' &&
	# bound to its device; the instance is the kernel's name, xshmN
	has "$u" '^BindsTo=dev-%i\.device$' && has "$u" '^After=dev-%i\.device$' &&
	has udev/60-xshm.rules '^TAG\+="systemd", ENV\{SYSTEMD_WANTS\}\+="xshm-logd@%k\.service"$' &&
	has "$u" '^ExecStart=@BINDIR@/xshm-logd --per-region -d \$\{XSHM_LOGD_DIR\} \$XSHM_LOGD_OPTS /dev/%i \$XSHM_LOGD_RINGS$' &&
	has "$u" '^LogsDirectory=xshm$' && has "$u" '^Environment=.*XSHM_LOGD_DIR=/var/log/xshm' &&
	has "$u" '^ProtectSystem=strict$' && has "$u" '^KillSignal=SIGTERM$' &&
	has "$u" '^RestartPreventExitStatus=2$' || return 1
	sed "s|@BINDIR@|$BIN|g" "$u" >"$W/xshm-logd@.service" &&
	systemd-analyze verify --man=no "$W/xshm-logd@.service" >"$W/verify.out" 2>&1 &&
	[ ! -s "$W/verify.out" ] || { cat "$W/verify.out"; return 1; }
	systemd-analyze security --offline=yes --threshold=30 "$W/xshm-logd@.service" >"$W/sec.out" 2>&1 ||
		{ cat "$W/sec.out"; return 1; }
	score=$(sed -n 's/.*Overall exposure level for xshm-logd@.*: \([0-9.]*\) .*/\1/p' "$W/sec.out")
	echo "systemd-analyze security: $score"
	python3 -c 'import sys; sys.exit(0 if 0 < float(sys.argv[1]) <= 3.0 else 1)' "$score"
}
if command -v systemd-analyze >/dev/null; then
	tap "xshm-logd@.service: Type=notify, bound to dev-xshmN.device, started by udev, systemd-analyze security <= 3.0" t_unit
else
	skip "xshm-logd@.service: Type=notify, bound to dev-xshmN.device" "needs systemd-analyze"
fi

# --journal with no journald to reach (a mount namespace hides /run): the
# file still stores every record, the failure is said once, the summary
# counts the entries not sent, and the exit status is 0.  The journal
# itself is checked with Debian's journald in the systemd guest suite.
t_logd_journal_unreachable() {
	mkdir -p "$W/jn" && head -c 1048576 /dev/zero >"$W/jn.shm" &&
	"$RING" init "$W/jn.shm" -c log:var:64K:drop >/dev/null &&
	"$RTSIM" -r 100000 -n 100 "$W/jn.shm" log >/dev/null &&
	unshare -rm sh -c 'mount -t tmpfs none /run && exec "$@"' sh \
		"$LOGD" --journal --once -d "$W/jn" "$W/jn.shm" log 2>"$W/jn.err" ||
		{ cat "$W/jn.err"; return 1; }
	cat "$W/jn.err"
	[ "$(grep -c 'journal (/run/systemd/journal/socket): No such file or directory' "$W/jn.err")" = 1 ] &&
	grep -q 'ring "log" -> journal: sent 0 entries, not sent 101$' "$W/jn.err" &&
	check_log "$W/jn/log.log" >"$W/sum" && accounted "$W/sum" 100
}
if unshare -rm true 2>/dev/null; then
	tap "xshm-logd --journal, journald unreachable: every record in the file, said once, entries not sent counted" t_logd_journal_unreachable
else
	skip "xshm-logd --journal, journald unreachable" "needs unshare -rm (user and mount namespaces)"
fi
