#!/bin/bash
# Download (not install) Debian bookworm's arm64 udev and every shared
# library its binary needs, and build from them a minimal root to copy over
# an arm64 guest's (make-initramfs.sh -d): the real systemd-udevd and
# udevadm, the dynamic loader, the libraries they load, and nothing else
# (no rules: the guest adds the ones it tests).
#
# usage: scripts/vm/fetch-udev.sh       prints the minimal root on stdout
#
#   XSHM_CACHE   cache directory (default: $HOME/.cache/xshm)
# Needs the arm64 architecture known to apt (scripts/install-deps.sh adds it).
#
# The packages and their libraries come from fetch-debroot.sh ($DIR/full);
# $DIR/root is the minimal tree.
set -eu

CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}
DIR=$CACHE/arm64-udev
ROOT=$DIR/root
STAMP=$DIR/.done
# What the guest runs; systemd-udevd is a symlink to udevadm in bookworm.
BINS="bin/udevadm"

die() {
	echo "fetch-udev: $*" >&2
	exit 1
}

if [ -f "$STAMP" ]; then
	echo "$ROOT"
	exit 0
fi

FULL=$("$(dirname "$0")/fetch-debroot.sh" "$DIR" "$BINS" udev libc6)
rm -rf "$ROOT"

# The minimal root: binaries and libraries at their own paths (symlinks
# followed), the loader where PT_INTERP says, udevd's own symlink.
mkdir -p "$ROOT/lib/systemd" "$ROOT/etc/udev/rules.d" "$ROOT/run"
while read -r f; do
	mkdir -p "$ROOT/$(dirname "$f")"
	cp -L "$FULL/$f" "$ROOT/$f"
done <"$DIR/closure"
interp=$(readelf -l "$FULL/bin/udevadm" |
	sed -n 's/.*program interpreter: \(.*\)\]/\1/p')
[ "$interp" = /lib/ld-linux-aarch64.so.1 ] || die "unexpected loader $interp"
cp -L "$FULL$interp" "$ROOT$interp"
[ "$(readlink "$FULL/lib/systemd/systemd-udevd")" = /bin/udevadm ] ||
	die "systemd-udevd is no longer a link to udevadm"
ln -sf ../../bin/udevadm "$ROOT/lib/systemd/systemd-udevd"
cp "$FULL/etc/udev/udev.conf" "$ROOT/etc/udev/udev.conf"
touch "$STAMP"
echo "$ROOT"
