#!/bin/bash
# The guest kernel's own xen-evtchn module (/dev/xen/evtchn), which the
# doorbells need: Debian builds it as a module (CONFIG_XEN_DEV_EVTCHN=m)
# in sid's linux-modules package, which the kernel cache does not unpack.
# Downloads that package once and keeps only the module.
#
# usage: scripts/xen/fetch-evtchn-module.sh    prints the .ko path on stdout
#   XSHM_KERNEL  guest kernel release (default 7.2.13+deb14-arm64; the
#                bookworm lines are not handled: 6.1 lacks the static bind)
#   XSHM_CACHE   cache directory (default $HOME/.cache/xshm)
set -eu
cd "$(dirname "$0")/../.."
REL=${XSHM_KERNEL:-7.2.13+deb14-arm64}
CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}
die() { echo "fetch-evtchn-module: $*" >&2; exit 1; }
case $REL in
*+deb14-arm64) ;;
*) die "only sid's -arm64 kernels are handled, not $REL" ;;
esac
dir=$CACHE/arm64-${REL%-arm64}-evtchn
ko=$dir/xen-evtchn.ko
if [ -f "$ko" ]; then
	echo "$ko"
	exit 0
fi
mkdir -p "$dir"
scripts/fetch-debs.sh --sid "$dir/debs" "linux-modules-$REL:arm64" >&2
tmp=$dir/x.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
dpkg -x "$dir"/debs/linux-modules-"$REL"_*.deb "$tmp"
src=$(find "$tmp" -name 'xen-evtchn.ko*' | head -n 1)
[ -n "$src" ] || die "no xen-evtchn.ko in linux-modules-$REL"
case $src in
*.xz) xz -dc "$src" >"$ko.tmp" ;;
*.zst) zstd -qdc "$src" >"$ko.tmp" ;;
*) cp "$src" "$ko.tmp" ;;
esac
mv "$ko.tmp" "$ko"
rm -rf "$tmp" "$dir/debs"
echo "$ko"
