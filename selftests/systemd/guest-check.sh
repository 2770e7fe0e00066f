#!/bin/sh
# /run.sh of the systemd guest (selftests/systemd/run.sh), started by
# xshm-boot-check.service under Debian's systemd as PID 1.  Nothing here
# loads the module: systemd-modules-load must have done it from the
# installed modules-load.d entry.  Prints TAP between the console markers
# of the harness (XSHM-GUEST-BEGIN / XSHM-GUEST-END rc=N).
#
# Kernel command line: xshm.id=<xen,id> and xshm.expect=region (the tree
# has that region: udev starts xshm-logd@xshmN.service, which must store
# what is written into it; /guest-logd.sh) or xshm.expect=none (no region:
# no instance).

/bin/busybox --install -s /bin	# applets, next to Debian's programs
export PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
echo XSHM-GUEST-BEGIN
# shellcheck source=selftests/tap.sh
. /lib/xshm/tap.sh
expect=$(sed -n 's/.*xshm\.expect=\([a-z]*\).*/\1/p' /proc/cmdline)
ID=$(sed -n 's/.*xshm\.id=\([^ ]*\).*/\1/p' /proc/cmdline)
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
else
	! ls /sys/class/xshm/xshm* >/dev/null 2>&1
	result $? "the tree has no region: no /sys/class/xshm/xshm*"
fi
# shellcheck source=selftests/systemd/guest-logd.sh
. /guest-logd.sh
echo "1..$n"
echo "XSHM-GUEST-END rc=$failed"
