#!/bin/sh
# /run.sh of the demo's arm64 guests (busybox sh).  XSHM_ROLE, from the
# kernel command line, picks the part:
#   producer  the real-time domain: waits for the layout, then logs
#             numbered records of about XSHM_SIZE bytes at XSHM_RATE/s
#             (XSHM_COUNT of them, or until the host kills the guest)
#   logd      the Linux domain: creates the layout, runs xshm-logd into
#             /tmp/logs until the host sends a record on the "ctl" ring,
#             then prints xshm-logd's counters and the log check
REGION=rt-log
LAYOUT="-c log:var:64K:drop -c ctl:var:4K:fail"

echo "guest: role $XSHM_ROLE, regions:"
xshm-info --no-channels | sed 's/^/  /'

case "$XSHM_ROLE" in
producer)
	count=
	[ -z "$XSHM_COUNT" ] || count="-n $XSHM_COUNT"
	# shellcheck disable=SC2086
	xshm-rtsim -w 60000 -r "${XSHM_RATE:-2000}" -S "${XSHM_SIZE:-48}" $count "$REGION" log
	;;
logd)
	echo "guest: the regions in this guest's device tree:"
	xshm-info --dt | sed 's/^/  /'
	mkdir -p /tmp/logs
	# shellcheck disable=SC2086
	xshm-logd $LAYOUT -m 1M -k 50 -d /tmp/logs "$REGION" log 2>/tmp/logd.err &
	pid=$!
	if ! xshm-ring recv -w 60000 -t 600000 -n 1 "$REGION" ctl >/dev/null; then
		echo "guest: no stop request from the host"
	fi
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	cat /tmp/logd.err
	files=
	for i in $(seq 50 -1 1); do
		[ ! -f "/tmp/logs/log.log.$i" ] || files="$files /tmp/logs/log.log.$i"
	done
	echo "guest: log files:$files /tmp/logs/log.log"
	# shellcheck disable=SC2086
	echo "summary: $(awk -f /check-log.awk $files /tmp/logs/log.log)"
	xshm-info | sed 's/^/  /'
	exit "$rc"
	;;
*)
	echo "guest: unknown XSHM_ROLE \"$XSHM_ROLE\""
	exit 2
	;;
esac
