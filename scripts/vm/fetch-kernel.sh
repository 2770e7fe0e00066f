#!/bin/bash
# Download (not install) a Debian arm64 guest kernel, its module build
# headers and a static busybox, and unpack them into a cache directory.
#
# usage: scripts/vm/fetch-kernel.sh         prints the unpacked root on stdout
#
#   XSHM_CACHE    cache directory     (default: $HOME/.cache/xshm)
#   XSHM_KERNEL   kernel release to pin, as uname -r says; one of
#                   6.1.0-56-arm64               bookworm (the default)
#                   6.12.115+deb12-arm64         bookworm-security
#                   7.2.13+deb14-arm64           sid (also -rt-arm64, -arm64-16k)
#                 or any other release of these three lines; an -amd64
#                 release fetches only its headers (for the DKMS check)
#   XSHM_KABI     older form: XSHM_KERNEL=$XSHM_KABI-arm64
#
# Layout of the result, $XSHM_CACHE/<arch>-<release without -<arch>>/root:
#   boot/vmlinuz-$REL                  gzip Image, boots in QEMU
#   usr/src/linux-headers-$REL/        module build tree (its Makefile
#                                      rewritten to find the -common tree)
#   usr/lib/linux-kbuild-*/            host build tools (amd64; sid's need
#                                      sid's libc: scripts/sid-chroot.sh)
#   bin/busybox                        static arm64 busybox (bookworm)
# Idempotent: a stamp file makes the second run instant; a lock makes
# concurrent runs safe.
set -eu

REL=${XSHM_KERNEL:-${XSHM_KABI:-6.1.0-56}-arm64}
CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}
case $REL in
*-amd64) arch=amd64 ;;
*) arch=arm64 ;;
esac
DIR=$CACHE/$arch-${REL%-"$arch"}
ROOT=$DIR/root
STAMP=$DIR/.unpacked
FETCH=$(dirname "$0")/../fetch-debs.sh

die() {
	echo "fetch-kernel: $*" >&2
	exit 1
}

if [ -f "$STAMP" ]; then
	echo "$ROOT"
	exit 0
fi
mkdir -p "$DIR"
exec 9>"$DIR.lock"
flock 9
if [ -f "$STAMP" ]; then
	echo "$ROOT"
	exit 0
fi

# Bookworm's packages name the ABI (6.1.0-56, 6.12.115+deb12) and ship the
# image in linux-image-*; sid splits the image (linux-binary-*: Image in
# /usr/lib/modules/$REL/vmlinuz) from its config (linux-base-*).
case $REL in
6.1.0-*-"$arch")
	abi=${REL%-"$arch"} kbuild=linux-kbuild-6.1 sid= ;;
*+deb12-*)
	abi=${REL%%+deb12-*}+deb12 kbuild=linux-kbuild-$abi sid= ;;
*+deb14-*)
	abi=${REL%%+deb14-*}+deb14 kbuild=linux-kbuild-$abi sid=--sid ;;
*)
	die "unknown kernel release $REL (see the top of $0)" ;;
esac

headers="linux-headers-$REL:$arch linux-headers-$abi-common $kbuild:amd64"
if [ "$arch" = amd64 ]; then
	# shellcheck disable=SC2086
	"$FETCH" $sid "$DIR/debs" $headers
elif [ -n "$sid" ]; then
	"$FETCH" "$DIR/debs" busybox-static:arm64
	# shellcheck disable=SC2086
	"$FETCH" --sid "$DIR/debs" "linux-binary-$REL:arm64" \
		"linux-base-$REL:arm64" $headers
else
	"$FETCH" "$DIR/debs" busybox-static:arm64
	# shellcheck disable=SC2086
	"$FETCH" "$DIR/debs" "linux-image-$REL:arm64" $headers
fi

tmp=$DIR/root.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
for deb in "$DIR"/debs/*.deb; do
	dpkg -x "$deb" "$tmp"
done
if [ -n "$sid" ] && [ "$arch" = arm64 ]; then
	mkdir -p "$tmp/boot"
	ln -s "../usr/lib/modules/$REL/vmlinuz" "$tmp/boot/vmlinuz-$REL"
fi

# The arm64 headers' Makefile includes the common tree by absolute path
# (and sid's also sets KBUILD_OUTPUT to its installed path): point both at
# our copy.  Its "scripts" link is relative and resolves into our kbuild.
hdr=$tmp/usr/src/linux-headers-$REL
sed -i -e "s|^include /usr/src/|include $ROOT/usr/src/|" \
	-e "s|^KBUILD_OUTPUT *:\{0,1\}= */usr/src/|KBUILD_OUTPUT := $ROOT/usr/src/|" \
	"$hdr/Makefile"
grep -q "^include $ROOT/usr/src/linux-headers-$abi-common/Makefile" "$hdr/Makefile" ||
	die "cannot fix the include path in $hdr/Makefile"
if grep -q '^KBUILD_OUTPUT' "$hdr/Makefile" &&
	! grep -q "^KBUILD_OUTPUT := $ROOT/" "$hdr/Makefile"; then
	die "cannot fix KBUILD_OUTPUT in $hdr/Makefile"
fi
# Kbuild's C=1 (sparse) needs scripts/checker-valid.sh, missing from some
# of Debian's kbuild packages.
kscripts=$(readlink -f "$hdr/scripts")
[ -e "$kscripts/checker-valid.sh" ] ||
	cp "$(dirname "$0")/checker-valid.sh" "$kscripts/"
if [ "$arch" = arm64 ] &&
	{ [ ! -e "$tmp/boot/vmlinuz-$REL" ] || [ ! -x "$tmp/bin/busybox" ]; }; then
	die "kernel or busybox missing after unpack"
fi
rm -rf "$ROOT"
mv "$tmp" "$ROOT"
touch "$STAMP"
echo "$ROOT"
