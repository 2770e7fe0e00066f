#!/bin/bash
# Build a guest device tree: QEMU virt's own tree (dumped with the same
# machine arguments the guest boots with) plus the given .dtsi fragments,
# which typically add /reserved-memory children.
#
# usage: scripts/vm/make-dtb.sh OUT.dtb [FRAGMENT.dtsi...]
#   A fragment is ordinary dts source ("/ { reserved-memory { ... }; };")
#   merged after the board tree.  Lines of a fragment that start with
#   /memreserve/ are moved to the header, where dtc requires them.
#   Also writes OUT.dts next to OUT.dtb for reading.
# All of node 1 (the shared backend file) but its no-map regions is put in
# /memreserve/, so no guest kernel allocates its own data there: two guests
# share that memory and would otherwise corrupt each other.  (No-map regions
# are left out because Linux refuses no-map over already reserved memory.)
set -eu
# shellcheck source=scripts/vm/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || vm_die "usage: $0 OUT.dtb [FRAGMENT.dtsi...]"
out=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mapfile -t margs < <(vm_machine_args "$tmp/shm")
truncate -s "${VM_SHM_SIZE}M" "$tmp/shm"
timeout 30 qemu-system-aarch64 "${margs[@]}" -display none \
	-machine dumpdtb="$tmp/virt.dtb" >/dev/null 2>&1 </dev/null || true
[ -s "$tmp/virt.dtb" ] || vm_die "qemu could not dump the virt tree"
dtc -q -I dtb -O dts -o "$tmp/virt.dts" "$tmp/virt.dtb"

# nomap_ranges DTB: "base size" of each no-map /reserved-memory child with
# two address and two size cells (the only ones Linux's early code honours).
nomap_ranges() {
	local dtb=$1 n
	[ "$(fdtget "$dtb" /reserved-memory '#address-cells' 2>/dev/null)" = 2 ] &&
		[ "$(fdtget "$dtb" /reserved-memory '#size-cells' 2>/dev/null)" = 2 ] ||
		return 0
	for n in $(fdtget -l "$dtb" /reserved-memory); do
		fdtget -p "$dtb" "/reserved-memory/$n" | grep -qx no-map || continue
		# shellcheck disable=SC2046
		set -- $(fdtget -t u "$dtb" "/reserved-memory/$n" reg)
		[ $# -eq 4 ] && echo $((($1 << 32) | $2)) $((($3 << 32) | $4))
	done | sort -n | while read -r base size; do
		# Only sane ranges inside node 1 (malformed trees have others).
		[ "$size" -gt 0 ] && [ "$base" -ge "$shm_base" ] &&
			[ "$base" -lt "$shm_end" ] &&
			[ "$size" -le $((shm_end - base)) ] && echo "$base $size"
	done
}

# write_dts RESERVE-LINES: the merged source.
write_dts() {
	echo '/dts-v1/;'
	printf '%s' "$1"
	for f in "${frags[@]}"; do
		grep -h '^/memreserve/' "$f" || true
	done
	grep -v '^/dts-v1/;' "$tmp/virt.dts"
	for f in "${frags[@]}"; do
		echo "/* ---- ${f##*/} ---- */"
		grep -v '^/memreserve/' "$f"
	done
}

frags=("$@")
dts=${out%.dtb}.dts
# Malformed trees are intended: -f keeps dtc's checks from refusing them.
write_dts "" >"$tmp/pass1.dts"
dtc -q -f -I dts -O dtb -o "$tmp/pass1.dtb" "$tmp/pass1.dts"

shm_base=$(vm_shm_base)
shm_end=$((shm_base + (VM_SHM_SIZE << 20)))
reserve="" pos=$shm_base end=$shm_end
while read -r base size; do
	[ -n "$base" ] || continue
	[ "$base" -gt "$pos" ] && [ "$base" -lt "$end" ] &&
		reserve+=$(printf '/memreserve/ 0x%x 0x%x;\n' "$pos" $((base - pos)))
	[ $((base + size)) -gt "$pos" ] && pos=$((base + size))
done < <(nomap_ranges "$tmp/pass1.dtb")
[ "$pos" -lt "$end" ] &&
	reserve+=$(printf '/memreserve/ 0x%x 0x%x;\n' "$pos" $((end - pos)))
write_dts "$reserve"$'\n' >"$dts"
dtc -q -f -I dts -O dtb -o "$out" "$dts"
