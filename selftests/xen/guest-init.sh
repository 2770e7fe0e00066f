#!/bin/sh
# /init of both Xen domUs.  Everything the host checks is printed on the
# console as "XSHM <key> <value>" lines (Xen prefixes them with DOMn:).
# The role comes from the kernel command line: xshm.role=producer|consumer.

say() { echo "XSHM $*"; }

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp

role=$(sed -n 's/.*xshm\.role=\([a-z]*\).*/\1/p' /proc/cmdline)
records=$(sed -n 's/.*xshm\.records=\([0-9]*\).*/\1/p' /proc/cmdline)
dom=$(sed -n 's/.*xshm\.dom=\([0-9]*\).*/\1/p' /proc/cmdline)
token=$(sed -n 's/.*xshm\.token=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
say role "$role"

# The tree Xen wrote for this guest, for the host to decode and keep.
say fdt-size "$(wc -c </sys/firmware/fdt)"
base64 /sys/firmware/fdt | sed 's/^/XSHM fdt-b64 /'

if insmod /lib/modules/xen-static-shm.ko; then
	say insmod ok
else
	say insmod failed "$?"
fi

for d in /sys/class/xshm/xshm*; do
	[ -e "$d" ] || continue
	n=${d##*/}
	say region "$n name=$(cat "$d/name") size=$(cat "$d/size")" \
		"phys_addr=$(cat "$d/phys_addr") offset=$(cat "$d/offset")" \
		"dev=$([ -c "/dev/$n" ] && echo yes || echo no)"
done

if [ -x /bin/xen-exchange ]; then
	# Each domain produces into the region it owns (or the first named
	# for it) and consumes from the other: both sharing shapes carry data.
	case $role in
	producer) tx=xshm-owned rx=xshm-xen ;;
	*) tx=xshm-xen rx=xshm-owned ;;
	esac
	/bin/xen-exchange produce "$tx" "${records:-100000}" >/tmp/tx.out 2>&1 &
	txpid=$!
	/bin/xen-exchange consume "$rx" "${records:-100000}" >/tmp/rx.out 2>&1
	rxrc=$?
	wait "$txpid"
	txrc=$?
	sed 's/^/XSHM exchange /' /tmp/tx.out /tmp/rx.out
	say exchange-rc "produce=$txrc consume=$rxrc"
fi

# Plain device I/O, no library: each domain writes a mark into the last
# page of every region and reads the other's back through its own mapping.
# Done last, when no ring uses the regions any more.
peer=$((3 - ${dom:-1}))
for d in /sys/class/xshm/xshm*; do
	[ -e "$d" ] || continue
	n=${d##*/}
	blk=$(($(cat "$d/size") / 64 - 64))	# 64-byte blocks; last page
	printf 'd%s-%s' "$dom" "$token" |
		dd of="/dev/$n" bs=64 seek=$((blk + dom)) conv=notrunc 2>/dev/null
	got=
	i=0
	while [ $i -lt 600 ]; do
		got=$(dd if="/dev/$n" bs=64 skip=$((blk + peer)) count=1 2>/dev/null | tr -d '\000')
		[ -z "$got" ] || break
		sleep 0.1
		i=$((i + 1))
	done
	say peer-mark "$(cat "$d/name") ${got:-none}"
done

dmesg | grep -i xshm | sed 's/^/XSHM dmesg /'
say done "$role"
sync
poweroff -f
