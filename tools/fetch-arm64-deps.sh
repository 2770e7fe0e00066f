#!/bin/bash
# Download (not install) Debian's arm64 liburing and libfdt development
# packages and unpack them into the cache, for a static arm64 build of the
# tools (the guests' xshm-logd needs liburing.a, xshm-info libfdt.a).
#
# usage: tools/fetch-arm64-deps.sh      prints the unpacked root on stdout
#   then: make -C tools CC=aarch64-linux-gnu-gcc STATIC=1 DEPS_SYSROOT=<root> ...
#
#   XSHM_CACHE   cache directory (default: $HOME/.cache/xshm)
# Needs the arm64 architecture known to apt (scripts/install-deps.sh adds it).
set -eu

CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}
DIR=$CACHE/arm64-tool-deps
ROOT=$DIR/root
STAMP=$DIR/.unpacked
PKGS="liburing-dev:arm64 libfdt-dev:arm64"

if [ -f "$STAMP" ]; then
	echo "$ROOT"
	exit 0
fi
# shellcheck disable=SC2086
"$(dirname "$0")/../scripts/fetch-debs.sh" "$DIR/debs" $PKGS
rm -rf "$ROOT"
mkdir -p "$ROOT"
for deb in "$DIR"/debs/*.deb; do
	dpkg -x "$deb" "$ROOT"
done
for lib in liburing.a libfdt.a; do
	[ -f "$ROOT/usr/lib/aarch64-linux-gnu/$lib" ] || {
		echo "fetch-arm64-deps: $lib missing from the packages" >&2
		exit 1
	}
done
touch "$STAMP"
echo "$ROOT"
