#!/bin/bash
# Write the host device tree for a dom0less Xen boot in QEMU's virt board:
# QEMU's own tree plus /chosen with Xen's bootargs, the domUs and the
# static shared memory nodes of docs/misc/arm/device-tree/booting.txt.
#
# usage: make-host-dtb.sh OUTDIR KERNEL INITRD [LAYOUT]
# Writes OUTDIR/host.dts, OUTDIR/host.dtb and OUTDIR/loader.args (the QEMU
# "-device loader" options placing KERNEL and INITRD where the tree says).
#
# LAYOUT (default layouts/default.layout) has one line per static shared
# memory node: "DOM SHM-ID HOST GUEST SIZE ROLE"; HOST "-" leaves the host
# address out (Xen should pick it), ROLE "-" leaves the role out (Xen then
# owns the region).  Domains 1..highest DOM are created.
#
# The bare-metal RT domain (rtdomain/), one more domU when XEN_RT_DOMU=1:
#   XEN_RT_IMAGE    its image (default build/rtdomain/rtdomain.img)
#   XEN_RT_ARGS     its bootargs (rt.shm=, rt.rate=, ... see rtdomain/rt.c)
#   XEN_RT_MEM_KB   its memory (default 16384)
# Its static shared memory nodes are the LAYOUT lines whose DOM is "rt";
# with it, LAYOUT may have no numbered domain at all.
#
# Memory map (QEMU RAM at 0x40000000, -m 2G):
#   0x50000000  kernel image, shared by all domUs (Xen dedups modules)
#   0x54000000  initramfs, shared too: /init reads its role from bootargs
#   0x5fe00000  the RT domain's image (XEN_RT_DOMU=1), at most 2 MB
#   0x60000000+ room for the shared regions (below 0xc0000000)
set -eu

[ $# -ge 3 ] || { echo "usage: $0 OUTDIR KERNEL INITRD [LAYOUT]" >&2; exit 2; }
out=$1
kernel=$2
initrd=$3
layout=${4:-$(dirname "$0")/layouts/default.layout}
QEMU=${QEMU:-qemu-system-aarch64}
MACHINE=${XEN_QEMU_MACHINE:-virt,virtualization=on,gic-version=3}
CPU=${XEN_QEMU_CPU:-cortex-a57}
MEM=${XEN_QEMU_MEM:-2G}
SMP=${XEN_QEMU_SMP:-2}
DOMU_MEM_KB=${XEN_DOMU_MEM_KB:-262144}
# conswitch=ax keeps the console input with Xen: Xen 4.22 would hand it to
# domU1, whose output then loses its "DOMn:" prefix and interleaves.
XEN_ARGS=${XEN_BOOTARGS:-console=dtuart dtuart=/pl011@9000000 conswitch=ax bootscrub=0 loglvl=all guest_loglvl=all}
GUEST_ARGS=${XEN_GUEST_ARGS:-console=ttyAMA0 loglevel=4 panic=-1}

KERNEL_ADDR=0x50000000
INITRD_ADDR=0x54000000
RT_ADDR=0x5fe00000
RT_DOMU=${XEN_RT_DOMU:-0}
RT_IMAGE=${XEN_RT_IMAGE:-$(dirname "$0")/../../build/rtdomain/rtdomain.img}
RT_ARGS=${XEN_RT_ARGS:-}
RT_MEM_KB=${XEN_RT_MEM_KB:-16384}

mkdir -p "$out"
ksize=$(stat -L -c %s "$kernel")	# (sid's boot/vmlinuz is a symlink)
isize=$(stat -L -c %s "$initrd")
[ $((KERNEL_ADDR + ksize)) -le $((INITRD_ADDR)) ] || {
	echo "make-host-dtb: kernel too large for the layout" >&2; exit 1; }
initrd_end=0x60000000
[ "$RT_DOMU" != 1 ] || initrd_end=$RT_ADDR
[ $((INITRD_ADDR + isize)) -le $((initrd_end)) ] || {
	echo "make-host-dtb: initramfs too large for the layout" >&2; exit 1; }
if [ "$RT_DOMU" = 1 ]; then
	rtsize=$(stat -L -c %s "$RT_IMAGE")
	[ $((RT_ADDR + rtsize)) -le $((0x60000000)) ] || {
		echo "make-host-dtb: RT image too large for the layout" >&2; exit 1; }
fi

# The same machine options as the boot, so the tree matches the board.
"$QEMU" -M "$MACHINE,dumpdtb=$out/virt.dtb" -cpu "$CPU" -smp "$SMP" \
	-m "$MEM" -nic none -nographic >/dev/null
dtc -q -I dtb -O dts -o "$out/virt.dts" "$out/virt.dtb"

# shm ID HOST GUEST SIZE ROLE: one static shared memory node.
shm() {
	printf '\t\t\tshm-%s@%x {\n' "$1" "$3"
	printf '\t\t\t\tcompatible = "xen,domain-shared-memory-v1";\n'
	[ "$5" = - ] || printf '\t\t\t\trole = "%s";\n' "$5"
	printf '\t\t\t\txen,shm-id = "%s";\n' "$1"
	if [ "$2" = - ]; then
		printf '\t\t\t\txen,shared-mem = <0x%x 0x%x>;\n' "$3" "$4"
	else
		printf '\t\t\t\txen,shared-mem = <0x%x 0x%x 0x%x>;\n' "$2" "$3" "$4"
	fi
	printf '\t\t\t};\n'
}

# domu N: one dom0less domain booting the shared modules, with its nodes.
domu() {
	# domU1 and domU2 run the exchange (see selftests/xen/guest-run.sh);
	# any further domain only checks what it sees of the others.
	local n=$1 role=witness
	[ "$n" -ne 1 ] || role=producer
	[ "$n" -ne 2 ] || role=consumer
	cat <<EOD
		domU$n {
			compatible = "xen,domain";
			#address-cells = <1>;
			#size-cells = <1>;
			memory = <0 $DOMU_MEM_KB>;
			cpus = <1>;
			vpl011;
			module@${KERNEL_ADDR#0x} {
				compatible = "multiboot,kernel", "multiboot,module";
				reg = <$KERNEL_ADDR $ksize>;
				bootargs = "$GUEST_ARGS xshm.dom=$n xshm.ndom=$ndom xshm.role=$role";
			};
			module@${INITRD_ADDR#0x} {
				compatible = "multiboot,ramdisk", "multiboot,module";
				reg = <$INITRD_ADDR $isize>;
			};
EOD
	local dom id host guest size r
	while read -r dom id host guest size r; do
		case $dom in '#'* | '') continue ;; esac
		[ "$dom" = "$n" ] || continue
		shm "$id" "$host" "$guest" "$size" "$r"
	done <"$layout"
	printf '\t\t};\n'
}

# rtdomu: the bare-metal RT domain, its image as a Linux Image "kernel"
# (Xen enters it at offset 0 with its device tree in x0), console vpl011.
rtdomu() {
	cat <<EOD
		domU-rt {
			compatible = "xen,domain";
			#address-cells = <1>;
			#size-cells = <1>;
			memory = <0 $RT_MEM_KB>;
			cpus = <1>;
			vpl011;
			module@${RT_ADDR#0x} {
				compatible = "multiboot,kernel", "multiboot,module";
				reg = <$RT_ADDR $rtsize>;
				bootargs = "$RT_ARGS";
			};
EOD
	local dom id host guest size r
	while read -r dom id host guest size r; do
		[ "$dom" = rt ] || continue
		shm "$id" "$host" "$guest" "$size" "$r"
	done <"$layout"
	printf '\t\t};\n'
}

ndom=$(awk '$1 ~ /^[0-9]+$/ && $1 > m { m = $1 } END { print m + 0 }' "$layout")
[ "$ndom" -ge 1 ] || [ "$RT_DOMU" = 1 ] ||
	{ echo "make-host-dtb: no domain in $layout" >&2; exit 1; }
{
	cat "$out/virt.dts"
	cat <<EOD

/ {
	chosen {
		#address-cells = <1>;
		#size-cells = <1>;
		xen,xen-bootargs = "$XEN_ARGS";
EOD
	for n in $(seq 1 "$ndom"); do
		domu "$n"
	done
	[ "$RT_DOMU" != 1 ] || rtdomu
	printf '\t};\n};\n'
} >"$out/host.dts"
dtc -q -I dts -O dtb -o "$out/host.dtb" "$out/host.dts"

printf '%s\n' \
	"-device" "loader,file=$(realpath "$kernel"),addr=$KERNEL_ADDR,force-raw=on" \
	"-device" "loader,file=$(realpath "$initrd"),addr=$INITRD_ADDR,force-raw=on" \
	>"$out/loader.args"
[ "$RT_DOMU" != 1 ] || printf '%s\n' \
	"-device" "loader,file=$(realpath "$RT_IMAGE"),addr=$RT_ADDR,force-raw=on" \
	>>"$out/loader.args"
