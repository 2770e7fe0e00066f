#!/bin/sh
# /run.sh of the tools suite's arm64 guest (busybox sh): the tools against
# the real xshm driver, booted with scripts/vm/dt/malformed.dtsi (good
# regions among every malformed shape).  Prints TAP.
# shellcheck source=selftests/tap.sh
. /lib/xshm/tap.sh

lists_sysfs() {
	xshm-info --no-channels >/tmp/info || return 1
	cat /tmp/info
	count=0
	for d in /sys/class/xshm/xshm*; do
		i=${d##*/xshm}
		count=$((count + 1))
		line="xshm$i: id \"$(cat "$d/name")\" .* base $(cat "$d/phys_addr") offset $(cat "$d/offset")\$"
		grep -q "^$line" /tmp/info || { echo "no line /$line/"; return 1; }
	done
	[ "$count" -ge 3 ] && [ "$(grep -c '^xshm' /tmp/info)" = "$count" ]
}
check "xshm-info lists every bound region as sysfs describes it" lists_sysfs

agrees_with_driver() {
	rc=0
	xshm-info --dt >/tmp/dt || rc=$?
	cat /tmp/dt
	[ "$rc" = 5 ] || { echo "exit $rc, want 5"; return 1; }
	# bases of the nodes xshm-info accepts, and of the regions bound
	awk '/: ok$/ { ok = 1; next } ok && /^  base / { print $2 } { ok = 0 }' /tmp/dt |
		sort >/tmp/accepted
	cat /sys/class/xshm/xshm*/phys_addr | sort >/tmp/bound
	echo "accepted:"; cat /tmp/accepted; echo "bound:"; cat /tmp/bound
	[ -s /tmp/bound ] && cmp /tmp/accepted /tmp/bound
}
check "xshm-info --dt accepts exactly the nodes the driver bound (exit 5 for the rest)" agrees_with_driver

ring_by_name() {
	xshm-ring init good-first -c log:var:16K:drop -c cfg:seqlock:32 &&
	seq 1 100 | xshm-ring send good-first log &&
	xshm-ring peek -n 1 /dev/xshm0 log | grep -q '^seq 0 len 1 lost 0 "1"$' &&
	xshm-ring recv 0 log >/tmp/got && seq 1 100 | cmp - /tmp/got
}
check "xshm-ring init/send/peek/recv on a driver region by name, path and number" ring_by_name

info_channels() {
	xshm-info >/tmp/info; cat /tmp/info
	grep -Eq 'log +var +drop +fill 0/16384 B \(0\.0%\) produced 100 dropped 0' /tmp/info &&
	grep -Eq 'cfg +seqlock +value 32 B: no value written yet' /tmp/info &&
	xshm-ring stat --json good-first | grep -q '"produced":"100"'
}
check "xshm-info and xshm-ring stat show the channels' counters" info_channels

logd_once() {
	mkdir -p /tmp/logs &&
	xshm-ring init --force good-first -c log:var:16K:drop >/dev/null &&
	xshm-rtsim -r 50000 -n 200 good-first log &&
	xshm-logd --once -d /tmp/logs good-first log &&
	awk -f /check-log.awk /tmp/logs/log.log >/tmp/sum && cat /tmp/sum &&
	grep -q '"records": 200, "lost": 0, "first_seq": 0, "last_seq": 199' /tmp/sum
}
check "xshm-rtsim and xshm-logd (io_uring) on a driver region" logd_once

bench_region() {	# over the driver's mmap, a layout of another tool there
	xshm-bench -n 20000 -l 200 good-first; [ $? = 4 ] || return 1
	xshm-bench --force -n 20000 -l 200 --json good-first >/tmp/bench &&
	cat /tmp/bench &&
	grep -q '"throughput":{"messages":20000,' /tmp/bench &&
	grep -q '"latency_ns":{"rounds":200,' /tmp/bench &&
	xshm-bench -r var -s 1000 -b 8 -n 5000 -l 100 /dev/xshm0
}
check "xshm-bench on a driver region, both ring types" bench_region

echo "1..$n"
[ "$failed" -eq 0 ]
