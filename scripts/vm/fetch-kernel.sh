#!/bin/bash
# Download (not install) the Debian arm64 guest kernel, its module build
# headers and a static busybox, and unpack them into a cache directory.
#
# usage: scripts/vm/fetch-kernel.sh         prints the unpacked root on stdout
#
#   XSHM_CACHE   cache directory      (default: $HOME/.cache/xshm)
#   XSHM_KABI    kernel ABI to pin    (default: 6.1.0-56)
#
# Layout of the result, $XSHM_CACHE/arm64-$XSHM_KABI/root:
#   boot/vmlinuz-$KABI-arm64                        gzip Image, boots in QEMU
#   lib/modules/$KABI-arm64/                        in-tree modules
#   usr/src/linux-headers-$KABI-{arm64,common}/     module build tree
#   usr/lib/linux-kbuild-6.1/                       host build tools (amd64)
#   bin/busybox                                     static arm64 busybox
# Idempotent: a stamp file makes the second run instant.
set -eu

KABI=${XSHM_KABI:-6.1.0-56}
CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}
DIR=$CACHE/arm64-$KABI
ROOT=$DIR/root
STAMP=$DIR/.unpacked

if [ -f "$STAMP" ]; then
	echo "$ROOT"
	exit 0
fi

PKGS="linux-image-$KABI-arm64:arm64 linux-headers-$KABI-arm64:arm64
linux-headers-$KABI-common linux-kbuild-6.1 busybox-static:arm64"
# shellcheck disable=SC2086
"$(dirname "$0")/../fetch-debs.sh" "$DIR/debs" $PKGS

rm -rf "$ROOT"
mkdir -p "$ROOT"
for deb in "$DIR"/debs/*.deb; do
	dpkg -x "$deb" "$ROOT"
done

# The arm64 headers' Makefile includes the common tree by absolute path;
# point it at our unpacked copy.  Its "scripts" link is relative and
# already resolves into our usr/lib/linux-kbuild-6.1.
HDR=$ROOT/usr/src/linux-headers-$KABI-arm64
sed -i "s|^include /usr/src/linux-headers-$KABI-common/Makefile|include $ROOT/usr/src/linux-headers-$KABI-common/Makefile|" \
	"$HDR/Makefile"
grep -q "^include $ROOT/" "$HDR/Makefile" || {
	echo "fetch-kernel: cannot fix include path in $HDR/Makefile" >&2
	exit 1
}
if [ ! -f "$ROOT/boot/vmlinuz-$KABI-arm64" ] || [ ! -x "$ROOT/bin/busybox" ]; then
	echo "fetch-kernel: kernel or busybox missing after unpack" >&2
	exit 1
fi
touch "$STAMP"
echo "$ROOT"
