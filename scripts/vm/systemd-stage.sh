#!/bin/bash
# Stage what a Debian arm64 board with xshm installed has on top of Debian:
# the module under /lib/modules (kbuild's modules_install, then depmod),
# the modules-load.d entry and the units by the project's own install
# rules ("make modules-load_install", "make -C tools install"), the udev
# rule (which starts xshm-logd@<device>.service for each region: nothing
# to enable), and a check unit that runs /run.sh on the console once the
# system is up and then powers off.  Used by the
# systemd suite and by the Xen demo; the stage goes into an initramfs
# next to scripts/vm/fetch-systemd.sh's root.
#
# usage: systemd-stage.sh STAGE CHECK-UNIT
#   STAGE       directory to fill (emptied first); build files go next to it
#   CHECK-UNIT  the unit file installed and enabled to run the check
# The guest kernel is XSHM_KERNEL's (scripts/vm/lib.sh).
set -eu -o pipefail
[ $# -eq 2 ] || { echo "usage: $0 STAGE CHECK-UNIT" >&2; exit 2; }
cd "$(dirname "$0")/../.."
st=$(realpath -m "$1")
unit=$2
work=$(dirname "$st")
CROSS=aarch64-linux-gnu-
# shellcheck source=scripts/vm/lib.sh
. scripts/vm/lib.sh
KVER=$VM_KERNEL

rm -rf "$st"
mkdir -p "$st"
scripts/vm/build-module.sh "$work/module" >/dev/null
# Sid's kernels compress modules with xz, which the sid build chroot
# lacks: their module is installed uncompressed (kmod loads both).
nocompress=
! vm_is_sid || nocompress=CONFIG_MODULE_COMPRESS_XZ=
vm_kbuild_make -s -C "$(vm_root)/usr/src/linux-headers-$KVER" M="$work/module" ARCH=arm64 \
	CROSS_COMPILE="$CROSS" INSTALL_MOD_PATH="$st" $nocompress modules_install
# The headers tree has no System.map, so kbuild skipped depmod.
# (sid's packages put the modules under /usr/lib)
kmods=$(vm_root)/lib/modules/$KVER
[ -e "$kmods/modules.order" ] || kmods=$(vm_root)/usr/lib/modules/$KVER
cp "$kmods"/modules.{builtin,builtin.modinfo,order} "$st/lib/modules/$KVER/"
depmod -b "$st" "$KVER"
make -s modules-load_install DESTDIR="$st"
make -s -C tools install CC="${CROSS}gcc" STATIC=1 BUILD="$work/tools-arm64" \
	LIBDIR="$work/lib-arm64" DESTDIR="$st" PREFIX=/usr/local
install -D -m 0755 "$work/tools-arm64/xshm-rtsim" "$st/usr/local/bin/xshm-rtsim"
install -D -m 0644 udev/60-xshm.rules "$st/usr/local/lib/udev/rules.d/60-xshm.rules"
# systemctl enable: the [Install] section's WantedBy links.
wants=$st/etc/systemd/system/multi-user.target.wants
mkdir -p "$wants"
name=$(basename "$unit")
install -D -m 0644 "$unit" "$st/etc/systemd/system/$name"
ln -s "../$name" "$wants/$name"
# No login prompt on the console the check prints on.
ln -s /dev/null "$st/etc/systemd/system/serial-getty@.service"
ln -s /dev/null "$st/etc/systemd/system/getty@.service"
ln -s /dev/null "$st/etc/systemd/system/getty-static.service"
echo 0123456789abcdef0123456789abcdef >"$st/etc/machine-id"
# (compressed, .ko.xz, when the kernel's config says so, as on 6.12;
# unsigned: Debian's headers carry no signing key)
find "$st/lib/modules" -name 'xen-static-shm.ko*' | grep -q .
