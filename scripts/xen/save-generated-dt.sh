#!/bin/bash
# Keep the device trees Xen 4.17 generated for the domUs of the last
# selftests/xen run as test data for the driver tests:
# build/xen/fdt/domU<N>.dtb -> selftests/driver/dt/xen-generated/.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
src=$top/build/xen/fdt
dst=$top/selftests/driver/dt/xen-generated
xen=$(basename "$(dirname "$("$top/scripts/xen/build-xen.sh" 2>/dev/null)")")

mkdir -p "$dst"
for dtb in "$src"/domU*.dtb; do
	[ -s "$dtb" ] || { echo "save-generated-dt: run selftests/xen/run.sh first" >&2; exit 1; }
	name=$(basename "$dtb" .dtb)
	cp "$dtb" "$dst/$name.dtb"
	{
		printf '/*\n * The tree Xen gave %s: dom0less, static shared memory,\n' "$name"
		printf ' * QEMU virt, %s.\n' "$xen"
		printf ' * Read back from the guest'"'"'s /sys/firmware/fdt by selftests/xen/run.sh\n'
		printf ' * (scripts/xen/save-generated-dt.sh).  Do not edit.\n */\n'
		dtc -q -I dtb -O dts "$dtb"
	} >"$dst/$name.dts"
	echo "$dst/$name.dtb"
done
