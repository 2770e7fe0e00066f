#!/bin/sh
# Runs in the arm64 guest (busybox): every probe error path of
# xen-static-shm that a stock kernel cannot make fail, via xshm_fault.ko,
# on the three regions of scripts/vm/dt/good.dtsi.  Prints TAP.
#
# For each injected failure, at module load and at a later bind: only the
# failing region is refused, nothing of it is left (it binds again), and
# the module unloads; finally the kernel log must be clean.

DRV=/lib/xshm/xen-static-shm.ko
FAULT=/lib/xshm/xshm_fault.ko
BUS=/sys/bus/platform/drivers/xen-static-shm
# shellcheck source=selftests/tap.sh
. /lib/xshm/tap.sh

hits() {
	cat /sys/module/xshm_fault/parameters/hits
}

gone() { # gone N: no trace of region N
	[ ! -e "/dev/xshm$1" ] && [ ! -e "/sys/class/xshm/xshm$1" ]
}

for target in memremap kzalloc dev_set_name devm_action; do
	# At module load: region 0 fails, regions 1 and 2 bind.
	insmod "$FAULT" target=$target
	insmod "$DRV"
	check "$target at load: one failure injected" [ "$(hits)" = 1 ]
	check "$target at load: xshm0 refused" gone 0
	check "$target at load: xshm1 and xshm2 bound" \
		[ -c /dev/xshm1 ] && [ -c /dev/xshm2 ]
	rmmod xshm_fault
	if echo xen-static-shm.0 >$BUS/bind; then
		result 0 "$target at load: xshm0 binds afterwards"
	else
		result 1 "$target at load: xshm0 binds afterwards"
	fi
	check "$target at load: xshm0 readable afterwards" \
		dd if=/dev/xshm0 of=/dev/null bs=4096 count=1

	# At a later bind of an unbound region.
	echo xen-static-shm.0 >$BUS/unbind
	insmod "$FAULT" target=$target
	if echo xen-static-shm.0 >$BUS/bind 2>/dev/null; then
		result 1 "$target at bind: bind fails"
	else
		result 0 "$target at bind: bind fails"
	fi
	check "$target at bind: one failure injected" [ "$(hits)" = 1 ]
	check "$target at bind: xshm0 refused" gone 0
	rmmod xshm_fault
	if echo xen-static-shm.0 >$BUS/bind; then
		result 0 "$target at bind: xshm0 binds afterwards"
	else
		result 1 "$target at bind: xshm0 binds afterwards"
	fi

	rmmod xen_static_shm
	result $? "$target: module unloads"
	check "$target: class removed" [ ! -e /sys/class/xshm ]
done

logged() { # logged TEXT: the kernel log has TEXT
	dmesg | grep -q "$1"
}

# Module init: each registration it makes fails once its name is taken;
# a failed init leaves no character-device numbers, class or module (the
# name taken is xshm_fault's own).
no_leftovers() { # no_leftovers NAME-TAKEN
	! grep -qw xshm /proc/devices && [ ! -e /sys/module/xen_static_shm ] &&
		{ [ "$1" = class ] || [ ! -e /sys/class/xshm ]; }
}
for name in class driver; do
	insmod "$FAULT" target=$name-taken
	if insmod "$DRV" 2>/dev/null; then
		result 1 "$name taken: module init fails"
		rmmod xen_static_shm
	else
		result 0 "$name taken: module init fails"
	fi
	check "$name taken: nothing left" no_leftovers $name
	rmmod xshm_fault
	check "$name taken: module loads once the name is free" insmod "$DRV"
	check "$name taken: xshm0 bound then" [ -c /dev/xshm0 ]
	rmmod xen_static_shm
done

# A platform device already named xen-static-shm.0: the driver refuses to
# bind it (no device-tree node), cannot create its own, and serves the rest.
insmod "$FAULT" target=device-taken
check "device taken: module loads" insmod "$DRV"
check "device taken: xshm0 refused" gone 0
check "device taken: xshm1 and xshm2 bound" [ -c /dev/xshm1 ] && [ -c /dev/xshm2 ]
check "device taken: reported" logged 'cannot create a device'
check "device taken: foreign device refused" \
	logged 'xen-static-shm.0: no device-tree node'
check "device taken: module unloads" rmmod xen_static_shm
rmmod xshm_fault

if dmesg | grep -E 'WARNING:|BUG[: ]|Oops|Unable to handle|refcount_t:|list_(add|del) corruption|calls missed'; then
	result 1 "kernel log clean"
else
	result 0 "kernel log clean"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
