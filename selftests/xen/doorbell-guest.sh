#!/bin/sh
# /run.sh of the two domUs of the doorbell boot (selftests/xen/doorbell.sh),
# started by the harness /init once xen-static-shm and xen-evtchn are
# loaded.  Prints "XSHM <key> <value>" lines for the host to check.
# Kernel command line: xshm.dom (1 producer, 2 consumer), xshm.evtchn
# (this domain's local port), xshm.records.
#
# domU1 lays out region xshm-db, starts its sender (with its doorbell) and
# waits for domU2's "go"; domU2 starts
# a consumer sleeping on the doorbell, measures its CPU while idle, then
# a polling consumer's on an idle ring, then says go; domU1 sends the
# records in bursts, so that the consumer falls asleep between them.
# domU2 also drains ring "log" of region xshm-rt, which the bare-metal RT
# domain fills in bursts and rings through the event channel at port + 2.

say() { echo "XSHM $*"; }
arg() { sed -n "s/.*xshm\.$1=\([0-9]*\).*/\1/p" /proc/cmdline; }
dom=$(arg dom)
port=$(arg evtchn)
records=$(arg records)
records=${records:-2000}
rt_records=$(arg rt_records)

# CPU time of a process, ms (utime + stime, in USER_HZ = 100 ticks)
cpu_ms() { awk '{ print ($14 + $15) * 10 }' "/proc/$1/stat"; }

say evtchn-dev "$([ -c /dev/xen/evtchn ] && echo yes || echo no)"
mkdir -p /etc/xshm
# ring "log": port; ring "logd" (drained by xshm-logd): port + 1; the RT
# domain's ring: port + 2
printf 'xshm-db log %s\nxshm-db logd %s\nxshm-rt log %s\n' "$port" $((port + 1)) \
	$((port + 2)) >/etc/xshm/doorbells

# send_bursts RING GO: once GO has a record, $records records in bursts of
# 50, 100 ms apart, ringing the doorbell from the start
send_bursts() {
	{
		xshm-ring recv -n 1 -t 300000 xshm-db "$2" >/dev/null 2>&1
		echo "XSHM db-$2 $?" >/dev/console
		i=0
		while [ "$i" -lt "$records" ]; do
			echo "$1 record $i"
			i=$((i + 1))
			[ $((i % 50)) -ne 0 ] || usleep 100000
		done
	} | xshm-ring send --doorbell xshm-db "$1" 2>"/tmp/send-$1.err"
}

if [ "$dom" = 1 ]; then
	xshm-ring init xshm-db -c log:var:65536:fail -c logd:var:65536:fail \
		-c idle:var:4096:fail -c go:var:4096:fail -c go2:var:4096:fail \
		>/tmp/init.out 2>&1
	say db-init "$?"
	send_bursts logd go2 &
	lpid=$!
	send_bursts log go
	say db-send-rc "$?"
	wait "$lpid"
	say logd-send-rc "$?"
	cat /tmp/send-*.err | sed 's/^/XSHM db-send-err /'
else
	xshm-ring recv --doorbell -n "${rt_records:-1000}" -t 20000 -w 300000 \
		xshm-rt log >/tmp/rt 2>/tmp/rt.err &
	rt=$!
	# one wait of up to 60 s per record: only a ring ends it early
	xshm-ring recv --doorbell -n "$records" -t 60000 -w 300000 \
		xshm-db log >/tmp/rx 2>/tmp/rx.err &
	rx=$!
	mkdir -p /tmp/logd
	xshm-logd --doorbell -d /tmp/logd -w 300000 xshm-db logd 2>/tmp/logd.err &
	logd=$!
	sleep 3
	c0=$(cpu_ms "$rx")
	l0=$(cpu_ms "$logd")
	sleep 5
	say db-idle-cpu-ms "$(($(cpu_ms "$rx") - c0))"
	say logd-idle-cpu-ms "$(($(cpu_ms "$logd") - l0))"
	xshm-ring recv --follow xshm-db idle >/dev/null 2>&1 &
	p=$!
	sleep 1
	c0=$(cpu_ms "$p")
	sleep 5
	say poll-idle-cpu-ms "$(($(cpu_ms "$p") - c0))"
	kill "$p"
	go=$(cut -d' ' -f1 /proc/uptime)
	echo go | xshm-ring send xshm-db go
	echo go | xshm-ring send xshm-db go2
	wait "$rx"
	say db-recv-rc "$?"
	say db-recv-ms "$(awk -v a="$go" '{ printf "%d", ($1 - a) * 1000 }' /proc/uptime)"
	# xshm-logd: every record in its file (it writes once it has them)
	t=0
	while [ "$(grep -c 'logd record' /tmp/logd/logd.log 2>/dev/null)" != "$records" ] &&
		[ "$t" -lt 60 ]; do
		sleep 1
		t=$((t + 1))
	done
	# the event channel interrupts delivered to each bound port's process
	grep 'evtchn:' /proc/interrupts | sed 's/^ *//; s/  */ /g; s/^/XSHM evtchn-irq /'
	kill "$logd"
	wait "$logd"
	say logd-rc "$?"
	sed 's/^/XSHM logd-err /' /tmp/logd.err
	say logd-records "$(grep -c 'logd record' /tmp/logd/logd.log)"
	sed 's/^/XSHM db-recv-err /' /tmp/rx.err
	say db-received "$(wc -l </tmp/rx)"
	say db-bad "$(awk '$0 != "log record " NR - 1 { bad++ } END { print bad + 0 }' /tmp/rx)"
	xshm-info -r xshm-db | sed 's/^/XSHM db-info /'
	wait "$rt"
	say rt-recv-rc "$?"
	sed 's/^/XSHM rt-recv-err /' /tmp/rt.err
	say rt-received "$(wc -l </tmp/rt)"
	# its seq= numbers rise (a dropped record leaves a gap)
	say rt-bad "$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^seq=/) s = substr($i, 5) + 0
		if (NR > 1 && s <= prev) bad++; prev = s } END { print bad + 0 }' /tmp/rt)"
	xshm-info -r xshm-rt | sed 's/^/XSHM rt-info /'
fi
