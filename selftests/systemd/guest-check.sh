#!/bin/sh
# /run.sh of the systemd guest (selftests/systemd/run.sh), started by
# xshm-boot-check.service under Debian's systemd as PID 1.  Nothing here
# loads the module: systemd-modules-load must have done it from the
# installed modules-load.d entry.  Prints TAP between the console markers
# of the harness (XSHM-GUEST-BEGIN / XSHM-GUEST-END rc=N).
#
# Kernel command line: xshm.id=<xen,id> (xshm-logd@<xen,id>.service is
# enabled) and xshm.expect=region (the tree has that region: the unit must
# store what is written into it) or xshm.expect=none (no region: the units
# must say why they skip).

/bin/busybox --install -s /bin	# applets, next to Debian's programs
export PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
echo XSHM-GUEST-BEGIN
# shellcheck source=selftests/tap.sh
. /lib/xshm/tap.sh
expect=$(sed -n 's/.*xshm\.expect=\([a-z]*\).*/\1/p' /proc/cmdline)
ID=$(sed -n 's/.*xshm\.id=\([^ ]*\).*/\1/p' /proc/cmdline)
UNIT=xshm-logd@$ID.service
note() { sed 's/^/# /'; }

state=$(systemctl is-system-running --wait)
[ "$(cat /proc/1/comm)" = systemd ]
result $? "systemd is PID 1 ($(systemctl --version | head -n 1)), boot finished: $state"
systemctl --failed --no-legend --plain | note

# Loaded by systemd-modules-load from modules-load.d, not by anyone else.
loaded() {
	journalctl -b -o short -t systemd-modules-load
	systemctl status --no-pager -n 0 systemd-modules-load.service
	[ -d /sys/module/xen_static_shm ] &&
		journalctl -b -o cat -t systemd-modules-load |
		grep -x "Inserted module 'xen_static_shm'" &&
		[ "$(systemctl show -P Result systemd-modules-load.service)" = success ] &&
		ls /usr/local/lib/modules-load.d/xen-static-shm.conf
}
check "systemd-modules-load.service loaded xen_static_shm from modules-load.d" loaded

if [ "$expect" = region ]; then
	udevadm settle --timeout=30
	link=$(readlink -f "/dev/xshm/by-name/$ID")
	[ -L "/dev/xshm/by-name/$ID" ] && [ -c "$link" ]
	result $? "/dev/xshm/by-name/$ID exists (-> ${link:-nothing})"

	systemctl is-active -q "$UNIT"
	result $? "$UNIT is active after boot"

	# A producer in this guest writes 200 records into the region's log
	# ring; the daemon started at boot must store every one of them.
	xshm-ring init --force "$ID" -c log:var:16K:drop >/dev/null &&
		xshm-rtsim -r 2000 -n 200 "$ID" log
	result $? "xshm-rtsim writes 200 records into $ID"
	log=/var/log/xshm/$ID/log.log
	i=0
	while [ $i -lt 60 ]; do
		awk -f /check-log.awk "$log" 2>/dev/null >/tmp/sum &&
			grep -q '"records": 200,' /tmp/sum && break
		sleep 0.5
		i=$((i + 1))
	done
	note </tmp/sum
	grep -q '"records": 200, "lost": 0, "first_seq": 0, "last_seq": 199' /tmp/sum
	result $? "$UNIT stored all 200 records in $log"
	systemctl status --no-pager -n 5 "$UNIT" 2>&1 | note
else
	! ls /sys/class/xshm/xshm* >/dev/null 2>&1
	result $? "the tree has no region: no /sys/class/xshm/xshm*"
	for u in "$UNIT" xshm-logd.service; do
		# the plain unit is not enabled: start it, as its user would
		[ "$u" = "$UNIT" ] || systemctl start "$u"
		systemctl status --no-pager -n 5 "$u" >/tmp/status 2>&1
		note </tmp/status
		! systemctl is-active -q "$u" && ! systemctl is-failed -q "$u" &&
			grep -q 'skipped: no Xen static shared memory region' /tmp/status
		result $? "$u is skipped, not failed, and systemctl status says why"
	done
fi
echo "1..$n"
echo "XSHM-GUEST-END rc=$failed"
