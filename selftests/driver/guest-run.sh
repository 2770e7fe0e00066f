#!/bin/sh
# /run.sh of the driver-test guests (busybox sh, arm64): prints TAP.
# The host picks what to run with kernel command line words:
#   XSHM_TREE=<name>      /etc/xshm/dt-order.<name> lists the tree's nodes
#   XSHM_TESTS=a,b        kselftest binaries in /bin to run, in order
#   XSHM_BENCH=1          also run mmap-bench on /dev/xshm0
#   XSHM_NODE1=absent     check that node 1 is not RAM (booted with mem=)
#   XSHM_OF_DEVICES=1     last, reload the driver over OF-created devices
#   XSHM_ROLE=a|b         two-guest exchange instead (see run.sh)
# The module was loaded by the harness /init from /modules.

# shellcheck disable=SC3040 # busybox ash has pipefail
set -o pipefail	# a test's status, not sed's
export XSHM_DT_ORDER="/etc/xshm/dt-order.${XSHM_TREE:-good}"
XSHM_MODULE=""
for m in /modules/*.ko; do
	[ -e "$m" ] && XSHM_MODULE=$m
done
export XSHM_MODULE

# shellcheck source=selftests/tap.sh
. /lib/xshm/tap.sh

# Oopses, WARNs, slab corruption (slub_debug) and the like.
kernel_log_clean() {
	! dmesg | grep -E 'WARNING:|BUG[: ]|Oops|Unable to handle|Call trace:|refcount_t:|list_(add|del) corruption|Poison overwritten|Redzone' |
		sed 's/^/# /' | grep .
}

pattern() {
	out=$(xshm-pattern "$@" 2>&1)
	rc=$?
	[ -z "$out" ] || echo "$out" | sed 's/^/# /'
	return $rc
}

# devices_of NODE-PATH: how many platform devices have that device-tree node
devices_of() {
	c=0
	for l in /sys/bus/platform/devices/*/of_node; do
		[ "$(readlink -f "$l")" = "/sys/firmware/devicetree/base$1" ] &&
			c=$((c + 1))
	done
	echo $c
}

# A kernel that lists xen,shared-memory-v1 in reserved_mem_matches[] makes
# the platform devices itself (xshm_of_devices.ko does the same here): the
# driver must bind those and make no second device per node.
of_devices_test() {
	before=$(find /sys/class/xshm -mindepth 1 | sort)
	rmmod xen_static_shm &&
		insmod /lib/xshm-test/xshm_of_devices.ko &&
		insmod "$XSHM_MODULE"
	result $? "driver reloaded over OF-created devices"
	bad=0
	while read -r node; do
		p=/reserved-memory/$node
		grep -qs xen,shared-memory-v1 "/proc/device-tree$p/compatible" ||
			continue
		c=$(devices_of "$p")
		[ "$c" -eq 1 ] || { echo "# $p: $c platform devices"; bad=1; }
	done <"$XSHM_DT_ORDER"
	[ "$bad" -eq 0 ]
	result $? "one platform device per node"
	after=$(find /sys/class/xshm -mindepth 1 | sort)
	[ "$before" = "$after" ]
	result $? "the same xshm devices, bound to the OF-created devices"
	own=0
	for d in /sys/class/xshm/xshm*; do
		case $(basename "$(readlink -f "$d/device")") in
		xen-static-shm.*) echo "# $d is on a device the driver created"; own=1 ;;
		esac
	done
	[ "$own" -eq 0 ]
	result $? "no device of the driver's own where OF made one"
	rmmod xen_static_shm && rmmod xshm_of_devices && insmod "$XSHM_MODULE"
	result $? "unbind, rmmod of both modules, reload"
}

SHM=/dev/xshm0
HALF=0x80000	# each guest's share of the exchange area
echo "TAP version 13"
case ${XSHM_ROLE:-} in
a)
	# Guest A: sees the host's pattern, publishes its own, then waits
	# for guest B's, which B writes only after seeing A's.
	pattern check $SHM 0x180000 $HALF 301
	result $? "guest a reads the host's pattern"
	pattern write $SHM 0 $HALF 101
	result $? "guest a writes its pattern"
	pattern wait $SHM $HALF $HALF 202 90
	result $? "guest a sees guest b's pattern"
	;;
b)
	pattern wait $SHM 0 $HALF 101 90
	result $? "guest b sees guest a's pattern"
	pattern check $SHM 0x180000 $HALF 301
	result $? "guest b reads the host's pattern"
	pattern write $SHM $HALF $HALF 202
	result $? "guest b writes its pattern"
	;;
*)
	[ -n "$XSHM_MODULE" ] && [ -e /sys/class/xshm ]
	result $? "module $(basename "${XSHM_MODULE:-none}") loaded"
	if [ "${XSHM_NODE1:-}" = absent ]; then
		! grep -E '^ *8[0-9a-f]{7}-[0-9a-f]+ : System RAM' /proc/iomem
		result $? "node 1 is not System RAM"
	fi
	insmod /lib/xshm-test/xshm_pte_probe.ko
	result $? "page-table probe module loaded"
	for t in $(echo "${XSHM_TESTS:-}" | tr , ' '); do
		# The kselftest harness's own TAP, nested as comments.
		echo "# selftests: xshm: $t"
		"$t" 2>&1 | sed 's/^/# /'
		result $? "$t"
	done
	if [ "${XSHM_BENCH:-0}" = 1 ]; then
		mmap-bench $SHM
	fi
	[ "${XSHM_OF_DEVICES:-0}" = 1 ] && of_devices_test
	;;
esac
kernel_log_clean
result $? "kernel log has no warnings or oopses"
if [ "$failed" -ne 0 ]; then
	echo "# last kernel messages:"
	dmesg | tail -n 40 | sed 's/^/#   /'
fi
echo "1..$n"
exit $failed
