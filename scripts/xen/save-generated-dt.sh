#!/bin/bash
# Keep the device trees each Xen generated for the domUs of the last
# selftests/xen run as test data for the driver tests:
# build/xen/xen-<version>/fdt/domU<N>.dtb ->
# selftests/driver/dt/xen-generated/xen-<version>-domU<N>.{dtb,dts}.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
dst=$top/selftests/driver/dt/xen-generated

mkdir -p "$dst"
saved=0
for fdt in "$top"/build/xen/xen-*/fdt; do
	[ -d "$fdt" ] || continue
	xen=$(basename "$(dirname "$fdt")")	# xen-4.22.0
	series=${xen#xen-}
	series=${series%.*}
	build=$(basename "$(dirname "$(XSHM_XEN=$series "$top/scripts/xen/build-xen.sh" 2>/dev/null)")")
	for dtb in "$fdt"/domU*.dtb; do
		[ -s "$dtb" ] || continue
		name=$(basename "$dtb" .dtb)
		cp "$dtb" "$dst/$xen-$name.dtb"
		{
			printf '/*\n * The tree %s gave %s: dom0less, static shared memory,\n' "$xen" "$name"
			printf ' * QEMU virt, %s.\n' "$build"
			printf ' * Read back from the guest'"'"'s /sys/firmware/fdt by selftests/xen/run.sh\n'
			printf ' * (scripts/xen/save-generated-dt.sh).  Do not edit.\n */\n'
			dtc -q -I dtb -O dts "$dtb"
		} >"$dst/$xen-$name.dts"
		echo "$dst/$xen-$name.dtb"
		saved=$((saved + 1))
	done
done
[ "$saved" -gt 0 ] || { echo "save-generated-dt: run selftests/xen/run.sh first" >&2; exit 1; }
