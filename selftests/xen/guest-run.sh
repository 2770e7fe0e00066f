#!/bin/sh
# /run.sh of every Xen domU, started by the harness /init
# (scripts/vm/guest-init.sh) once the xshm module is loaded.  Everything the
# host checks is printed on the console as "XSHM <key> <value>" lines (Xen
# prefixes them with DOMn:).  Parameters come from the kernel command line:
# xshm.role=producer|consumer|witness, xshm.dom (this domain), xshm.ndom,
# xshm.records, xshm.split (where domU2 restarts its two sides), xshm.token
# (a fresh mark per run) and xshm.wait (seconds to wait for a peer's mark,
# default 300).

say() { echo "XSHM $*"; }

role=$(sed -n 's/.*xshm\.role=\([a-z]*\).*/\1/p' /proc/cmdline)
records=$(sed -n 's/.*xshm\.records=\([0-9]*\).*/\1/p' /proc/cmdline)
dom=$(sed -n 's/.*xshm\.dom=\([0-9]*\).*/\1/p' /proc/cmdline)
ndom=$(sed -n 's/.*xshm\.ndom=\([0-9]*\).*/\1/p' /proc/cmdline)
token=$(sed -n 's/.*xshm\.token=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
wait_s=$(sed -n 's/.*xshm\.wait=\([0-9]*\).*/\1/p' /proc/cmdline)
split=$(sed -n 's/.*xshm\.split=\([0-9]*\).*/\1/p' /proc/cmdline)
say role "$role"

# The tree Xen wrote for this guest, for the host to decode and keep.
say fdt-size "$(wc -c </sys/firmware/fdt)"
base64 /sys/firmware/fdt | sed 's/^/XSHM fdt-b64 /'

if [ -d /sys/module/xen_static_shm ]; then
	say insmod ok
else
	say insmod failed
fi

for d in /sys/class/xshm/xshm*; do
	[ -e "$d" ] || continue
	n=${d##*/}
	say region "$n name=$(cat "$d/name") size=$(cat "$d/size")" \
		"phys_addr=$(cat "$d/phys_addr") offset=$(cat "$d/offset")" \
		"dev=$([ -c "/dev/$n" ] && echo yes || echo no)"
done

# run_part produce|consume REGION OUT: all records in one run, or, with a
# split, stop after $split and start again where it stopped (a restart).
run_part() {
	if [ "$split" -gt 0 ]; then
		/bin/xen-exchange "$1" "$2" "$split" 0 >"$3" 2>&1 &&
			/bin/xen-exchange "$1" "$2" $((records - split)) "$split" >>"$3" 2>&1
	else
		/bin/xen-exchange "$1" "$2" "$records" >"$3" 2>&1
	fi
}

if [ -x /bin/xen-exchange ] && [ "$role" != witness ]; then
	# domU1 produces into the region it owns, domU2 into the one Xen
	# owns, and each consumes the other's: both sharing shapes carry data.
	# domU2 restarts its producer and its consumer half way.
	records=${records:-100000}
	case $role in
	producer) tx=xshm-owned rx=xshm-xen split=0 ;;
	*) tx=xshm-xen rx=xshm-owned split=${split:-0} ;;
	esac
	run_part produce "$tx" /tmp/tx.out &
	txpid=$!
	run_part consume "$rx" /tmp/rx.out
	rxrc=$?
	wait "$txpid"
	txrc=$?
	sed 's/^/XSHM tx /' /tmp/tx.out
	sed 's/^/XSHM rx /' /tmp/rx.out
	say exchange-rc "produce=$txrc consume=$rxrc"
fi

# Marks are 64-byte blocks in the last page of a region, written and read
# with plain device I/O.  write_mark DEV BLOCK TEXT;
# read_mark DEV BLOCK [WANT]: wait up to $wait_s for the block to hold
# something (WANT, if given) and print what it holds.
write_mark() {
	printf '%s' "$3" | dd of="$1" bs=64 seek="$2" conv=notrunc 2>/dev/null
}
read_mark() {
	got=
	i=0
	while [ $i -lt $((${wait_s:-300} * 10)) ]; do
		got=$(dd if="$1" bs=64 skip="$2" count=1 2>/dev/null | tr -d '\000')
		[ -n "$got" ] && { [ -z "$3" ] || [ "$got" = "$3" ]; } && break
		sleep 0.1
		i=$((i + 1))
	done
	printf '%s' "$got"
}

# Plain device I/O, no library: each domain writes a mark into block
# <dom> of the last page of every region, then reads every other domain's
# block back through its own mapping ("none" if nothing came in time).
# Done after the exchange, when no ring uses the regions any more.
for d in /sys/class/xshm/xshm*; do
	[ -e "$d" ] || continue
	blk=$(($(cat "$d/size") / 64 - 64))	# 64-byte blocks; last page
	write_mark "/dev/${d##*/}" $((blk + dom)) "d$dom-$token"
done
for d in /sys/class/xshm/xshm*; do
	[ -e "$d" ] || continue
	blk=$(($(cat "$d/size") / 64 - 64))
	for peer in $(seq 1 "${ndom:-2}"); do
		[ "$peer" != "$dom" ] || continue
		got=$(read_mark "/dev/${d##*/}" $((blk + peer)))
		say peer-mark "$(cat "$d/name") d$peer ${got:-none}"
	done
done

# The project's own tool on what Xen and the other domains left behind:
# the tree's nodes, then every region's layout and channels.
if [ -x /bin/xshm-info ]; then
	xshm-info -D >/tmp/info-dt.out 2>&1
	say info-dt-rc $?
	sed 's/^/XSHM info-dt /' /tmp/info-dt.out
	xshm-info >/tmp/info.out 2>&1
	say info-rc $?
	sed 's/^/XSHM info /' /tmp/info.out
fi

# xshm-bench between two domains over xshm-owned, once every sharer has
# read the finished rings above: each writes an "i" mark in block 32 +
# <dom> of the region's last page, and domU1 waits for all of them before
# it lays out the bench rings (--force: the xen-e2e layout is there).
bench=/sys/class/xshm/xshm0
if [ -x /bin/xshm-bench ] && [ "$(cat $bench/name 2>/dev/null)" = xshm-owned ]; then
	blk=$(($(cat $bench/size) / 64 - 64 + 32))
	write_mark /dev/xshm0 $((blk + dom)) "i$dom-$token"
	side=
	case $role in
	producer)
		for peer in $(seq 2 "${ndom:-2}"); do
			read_mark /dev/xshm0 $((blk + peer)) "i$peer-$token" >/dev/null
		done
		side="--role send --force -n 20000 -l 200" ;;
	consumer) side="--role recv" ;;
	esac
	if [ -n "$side" ]; then
		# shellcheck disable=SC2086 # $side is words
		xshm-bench $side -t $((${wait_s:-300} * 1000)) xshm-owned \
			>/tmp/bench.out 2>&1
		say bench-rc $?
		sed 's/^/XSHM bench /' /tmp/bench.out
	fi
fi

dmesg | grep -i xshm | sed 's/^/XSHM dmesg /'
say finished "$role"
