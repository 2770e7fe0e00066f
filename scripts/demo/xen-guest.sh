#!/bin/sh
# /run.sh of the Linux domU of the Xen demo (scripts/demo/demo-xen.sh),
# started by xshm-demo-check.service under Debian's systemd as PID 1 once
# the system is up.  Nothing here loads the module or starts xshm-logd:
# systemd-modules-load and xshm-logd@<device>.service (started by udev)
# did, as deployed.
# It waits until the bare-metal RT domain has produced (or dropped) every
# record it announced and the ring is drained, stops the unit (SIGTERM:
# xshm-logd flushes and reports what it lost at exit), then prints the
# stored log and the ring's counters on the console for the host checker.
#
# Kernel command line: xshm.id=<xen,id> xshm.records=<records the RT
# domain numbers in all its generations> xshm.wait=<seconds to wait>.
/bin/busybox --install -s /bin	# applets, next to Debian's programs
export PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
echo XSHM-GUEST-BEGIN
# shellcheck source=selftests/tap.sh
. /lib/xshm/tap.sh
arg() { sed -n "s/.*xshm\\.$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }
ID=$(arg id)
RECORDS=$(arg records)
WAIT=$(arg wait)
UNIT=xshm-logd@$(basename "$(readlink -f "/dev/xshm/by-name/$ID")").service
LOG=/var/log/xshm/$ID/log.log
note() { sed 's/^/# /'; }

state=$(systemctl is-system-running --wait)
[ "$(cat /proc/1/comm)" = systemd ]
result $? "systemd is PID 1 ($(systemctl --version | head -n 1)), boot finished: $state"
[ -d /sys/module/xen_static_shm ] &&
	journalctl -b -o cat -t systemd-modules-load | grep -qx "Inserted module 'xen_static_shm'"
result $? "systemd-modules-load loaded xen_static_shm from modules-load.d"
systemctl is-active -q "$UNIT"
result $? "$UNIT is active"

# counter NAME: one counter of the "log" ring from xshm-ring stat's JSON
counter() {
	xshm-ring stat -j "$ID" log 2>/dev/null |
		sed -n "s/.*\"$1\":\"*\\([0-9]*\\).*/\\1/p"
}
i=0 done=0
while [ "$i" -lt "$WAIT" ]; do
	p=$(counter produced) d=$(counter dropped) f=$(counter fill)
	if [ -n "$p" ] && [ $((p + d)) -ge "$RECORDS" ] && [ "$f" = 0 ]; then
		done=1
		break
	fi
	sleep 1
	i=$((i + 1))
done
[ "$done" = 1 ]
result $? "the RT domain numbered $RECORDS records, ring drained (produced ${p:-?} dropped ${d:-?}, ${i}s)"
sleep 2	# xshm-logd's idle check sees the drops after the last record
systemctl stop "$UNIT"
result $? "$UNIT stopped (SIGTERM)"
journalctl -b -o cat -u "$UNIT" | tail -n 8 | note
# --journal (/etc/default/xshm-logd): the same records in journalctl
journalctl -b -t "$ID" -o cat XSHM_KIND=record >/tmp/journal.txt
grep ' | ' "$LOG" | sed 's/^[^|]*| //' >/tmp/file.txt
[ -s /tmp/file.txt ] && cmp -s /tmp/journal.txt /tmp/file.txt
result $? "journalctl -t $ID: the $(wc -l </tmp/journal.txt) records of the stored log, same text, same order"
journalctl -b -t "$ID" -o cat XSHM_KIND=lost | head -n 2 | note
# (one short line: Xen splits console lines longer than 126 characters)
echo "XSHM-RING-STAT produced=$(counter produced) dropped=$(counter dropped)"
echo XSHM-LOG-BEGIN
cat "$LOG"
echo XSHM-LOG-END
echo "1..$n"
echo "XSHM-GUEST-END rc=$failed"
