#!/bin/bash
# Build an arm64 Xen hypervisor with static shared memory from the source
# fetch-xen-source.sh gives (Debian's 4.17, or an upstream release such as
# 4.22); prints the path of the cached image (an EFI-stub "Image").
# Cached under $XSHM_CACHE/xen/out/<version>-<config hash>/xen.
#   XSHM_XEN=4.17|4.22  which Xen (default 4.17)
#   XEN_DEBUG=y         debug build (asserts, verbose)
#   XEN_EXTRA_CONFIG    more .config lines, e.g. early printk on QEMU's
#                       PL011 to see messages printed before the console
set -eu

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}/xen
JOBS=${JOBS:-2}
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}

src=$("$here/fetch-xen-source.sh")
ver=$(basename "$src")

# Debian's own hypervisor lacks STATIC_SHM, which needs UNSUPPORTED (set
# through EXPERT) and STATIC_MEMORY.
fragment="CONFIG_EXPERT=y
CONFIG_UNSUPPORTED=y
CONFIG_STATIC_MEMORY=y
CONFIG_STATIC_SHM=y
CONFIG_DEBUG=${XEN_DEBUG:-n}
${XEN_EXTRA_CONFIG:-}"
key=$(printf '%s\n%s\n' "$ver" "$fragment" | sha256sum | cut -c1-12)
out=$CACHE/out/$ver-$key

if [ -f "$out/xen" ] && [ -f "$out/config" ]; then
	echo "$out/xen"
	exit 0
fi

bld=$CACHE/build/$ver-$key
rm -rf "$bld"
mkdir -p "$bld"
mk() {
	make -C "$src/xen" O="$bld" XEN_TARGET_ARCH=arm64 CROSS_COMPILE="$CROSS" "$@" >&2
}
start=$(date +%s)
mk arm64_defconfig
printf '%s\n' "$fragment" >>"$bld/.config"
mk olddefconfig
for opt in CONFIG_UNSUPPORTED CONFIG_STATIC_MEMORY CONFIG_STATIC_SHM; do
	grep -qx "$opt=y" "$bld/.config" || { echo "build-xen: $opt did not stick" >&2; exit 1; }
done
mk -j"$JOBS"
echo "build-xen: built $ver in $(( $(date +%s) - start ))s" >&2

mkdir -p "$out.tmp"
cp "$bld/xen" "$out.tmp/xen"
cp "$bld/.config" "$out.tmp/config"
rm -rf "$out"
mv "$out.tmp" "$out"
rm -rf "$bld"
echo "$out/xen"
