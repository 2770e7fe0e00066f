#!/bin/sh
# /run.sh of the udev guest (busybox sh, arm64): the shipped rule
# (/etc/udev/rules.d/60-xshm.rules, the only rule there is) under Debian's
# real systemd-udevd and udevadm (scripts/vm/fetch-udev.sh).  Prints TAP.
#
# The module was loaded by the harness /init from /modules before udevd
# ran, so its add events are replayed with "udevadm trigger"; the remove
# and add events of rmmod and insmod afterwards are live ones.
# For every region with a name (sysfs attribute "name", from xen,id):
#   /dev/xshm/by-name/<name> is a symlink resolving to /dev/xshm<N> and
#   udevadm info shows XSHM_NAME=<name>; a region without a name gets no
#   link and no XSHM_NAME.

# shellcheck disable=SC3040 # busybox ash has pipefail
set -o pipefail
XSHM_MODULE=""
for m in /modules/*.ko; do
	[ -e "$m" ] && XSHM_MODULE=$m
done
BYNAME=/dev/xshm/by-name
UDEVLOG=/tmp/udevd.log

# shellcheck source=selftests/tap.sh
. /lib/xshm/tap.sh
note() { sed 's/^/# /'; }

settle() {
	udevadm settle --timeout=30 2>&1 | note
}

# check_links WHEN: the links of every region against sysfs, one result
# for the named regions, one for the unnamed ones (and stray links).
check_links() {
	when=$1 named=0 unnamed=0 bad=0 bad_unnamed=0
	for d in /sys/class/xshm/xshm*; do
		[ -e "$d" ] || continue
		dev=${d##*/}
		name=$(cat "$d/name")
		if [ -n "$name" ]; then
			named=$((named + 1))
			target=$(readlink -f "$BYNAME/$name" 2>/dev/null)
			if [ ! -L "$BYNAME/$name" ] || [ "$target" != "/dev/$dev" ]; then
				echo "# $dev ($name): $BYNAME/$name -> '${target:-missing}', want /dev/$dev"
				bad=1
			fi
			if ! udevadm info "/dev/$dev" | grep -qx "E: XSHM_NAME=$name"; then
				echo "# udevadm info /dev/$dev has no E: XSHM_NAME=$name:"
				udevadm info "/dev/$dev" 2>&1 | note
				bad=1
			fi
			# the links udev gave the device, created or not
			if [ "$(udevadm info "/dev/$dev" | grep '^S: ')" != "S: xshm/by-name/$name" ]; then
				echo "# udevadm info /dev/$dev: links other than xshm/by-name/$name:"
				udevadm info "/dev/$dev" 2>&1 | note
				bad=1
			fi
		else
			unnamed=$((unnamed + 1))
			for l in "$BYNAME"/*; do
				[ -L "$l" ] || continue
				[ "$(readlink -f "$l")" != "/dev/$dev" ] && continue
				echo "# $dev has no name but $l points to it"
				bad_unnamed=1
			done
			if udevadm info "/dev/$dev" | grep -qE '^(E: XSHM_NAME=|S: )'; then
				echo "# unnamed $dev has an XSHM_NAME or a link:"
				udevadm info "/dev/$dev" 2>&1 | note
				bad_unnamed=1
			fi
		fi
	done
	[ "$named" -gt 0 ] && [ "$bad" -eq 0 ]
	result $? "$when: $named named regions have $BYNAME links to their nodes and XSHM_NAME"
	# Nothing in the directory but one link per named region.
	links=$(find "$BYNAME" -mindepth 1 2>/dev/null | wc -l)
	if [ "$links" -gt "$named" ]; then
		echo "# $links entries in $BYNAME for $named named regions:"
		ls -lA "$BYNAME" 2>&1 | note
		bad_unnamed=1
	fi
	if [ "$unnamed" -eq 0 ]; then
		skip "$when: regions without xen,id get no link" "the tree has none"
	else
		[ "$bad_unnamed" -eq 0 ]
		result $? "$when: $unnamed region(s) without xen,id get no link, no stray links"
	fi
}

echo "TAP version 13"
[ -n "$XSHM_MODULE" ] && [ -e /sys/class/xshm ] && [ -e /dev/xshm0 ]
result $? "module $(basename "${XSHM_MODULE:-none}") loaded, /dev/xshm0 there"
[ ! -e /dev/xshm ]
result $? "no /dev/xshm directory before udevd runs"
find /etc/udev /lib/udev /usr/lib/udev /run/udev -name '*.rules' 2>/dev/null | note

mount -t tmpfs -o mode=0755,nosuid,nodev run /run
mkdir -p /run/udev
start=$(cut -d' ' -f1 /proc/uptime)
/lib/systemd/systemd-udevd --daemon --debug >"$UDEVLOG" 2>&1
rc=$?
[ "$rc" -eq 0 ] && udevadm control --ping --timeout=30 2>&1 | note
rc=$((rc + $?))
if [ "$rc" -ne 0 ]; then
	echo "# systemd-udevd log:"
	tail -n 40 "$UDEVLOG" | note
fi
result $rc "systemd-udevd $(udevadm --version 2>/dev/null) started and answers"

udevadm trigger --action=add --subsystem-match=xshm 2>&1 | note
rc=$?
settle
result $((rc + $?)) "udevadm trigger --action=add --subsystem-match=xshm; settle"
for l in "$BYNAME"/*; do
	[ -L "$l" ] && echo "# $l -> $(readlink "$l")"
done
check_links "after trigger"

rmmod xen_static_shm 2>&1 | note
rc=$?
settle
[ "$rc" -eq 0 ] && [ ! -e /dev/xshm0 ] &&
	[ -z "$(find "$BYNAME" -mindepth 1 2>/dev/null)" ]
rc=$?
[ "$rc" -eq 0 ] || ls -lAR /dev/xshm* 2>&1 | note
result $rc "rmmod: every $BYNAME link removed"

insmod "$XSHM_MODULE" 2>&1 | note
rc=$?
settle
result $((rc + $?)) "insmod again; settle"
check_links "after insmod"
end=$(cut -d' ' -f1 /proc/uptime)
echo "# udevd start to last check: $(echo "$start $end" | awk '{printf "%.1f", $2 - $1}') s"

udevadm control --exit 2>&1 | note
result $? "systemd-udevd exits on udevadm control --exit"

# Oopses, WARNs and the like (udevd's own messages went to its log).
! dmesg | grep -E 'WARNING:|BUG[: ]|Oops|Unable to handle|Call trace:|refcount_t:|list_(add|del) corruption|Poison overwritten|Redzone' |
	note | grep .
result $? "kernel log has no warnings or oopses"
if [ "$failed" -ne 0 ]; then
	echo "# systemd-udevd log, links and rules (last lines; all: $UDEVLOG):"
	grep -E 'LINK|[Ss]ymlink|rules|[Ee]rror|[Ff]ailed' "$UDEVLOG" | tail -n 40 | note
fi
echo "1..$n"
exit $failed
