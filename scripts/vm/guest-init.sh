#!/bin/sh
# /init of the harness's guests (busybox sh, arm64).  Mounts the kernel
# file systems, loads every module in /modules in name order, runs /run.sh
# between two console markers the host looks for, then powers off.
#
#   XSHM-GUEST-BEGIN
#   ... whatever /run.sh prints (TAP for tests) ...
#   XSHM-GUEST-END rc=<exit status of /run.sh>
#
# Kernel command line words NAME=value (no dot in NAME) reach /run.sh as
# environment variables, e.g. XSHM_ROLE=writer.

/bin/busybox mount -t devtmpfs dev /dev
# The kernel started us without a console when /dev was empty.
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mkdir -p /sys/kernel/debug
mount -t debugfs debug /sys/kernel/debug 2>/dev/null

for m in /modules/*.ko; do
	[ -e "$m" ] || continue
	insmod "$m" || echo "guest-init: insmod $m failed"
done

echo XSHM-GUEST-BEGIN
rc=127
if [ -x /run.sh ]; then
	/run.sh
	rc=$?
fi
echo "XSHM-GUEST-END rc=$rc"
sync
poweroff -f
