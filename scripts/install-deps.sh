#!/bin/sh
# Install every Debian package xshm needs to build, test and run its demo.
# Safe to re-run; needs root (or sudo) and Debian's archive.
set -eu

PKGS="build-essential make pkg-config git python3 clang llvm lld
libclang-rt-14-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross
qemu-system-arm qemu-utils device-tree-compiler cpio xz-utils zstd
dpkg-dev fakeroot bc flex bison libssl-dev libelf-dev kmod
sparse pahole dkms linux-source-6.1 mmdebstrap debian-archive-keyring linux-headers-amd64 dt-schema yamllint
libfdt-dev liburing-dev libboost-dev libck-dev dpdk-dev libreaderwriterqueue-dev
lttng-tools liblttng-ust-dev babeltrace2
gnuplot-nox linux-perf valgrind man-db groff-base jq shellcheck logrotate"

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	$SUDO apt-get update
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi
# arm64 guest packages are downloaded (not installed) by scripts/vm/fetch-kernel.sh;
# apt needs to know the architecture for that.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
	$SUDO apt-get update
fi
