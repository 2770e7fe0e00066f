#!/bin/bash
# Pack a busybox initramfs (gzip cpio) for the Xen domUs.
# usage: make-initramfs.sh OUT.cpio.gz BUSYBOX INIT [DEST=SRC ...]
#   INIT becomes /init; each DEST=SRC copies host file SRC to /DEST.
set -eu

[ $# -ge 3 ] || { echo "usage: $0 OUT BUSYBOX INIT [DEST=SRC ...]" >&2; exit 2; }
out=$(realpath -m "$1")
busybox=$2
init=$3
shift 3

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,lib/modules}
cp "$busybox" "$stage/bin/busybox"
# Applet links, so /init can call them by name without --install.
for a in sh mount umount mkdir cat echo ls sleep insmod rmmod poweroff \
	base64 sed grep head tail od hexdump dd sync seq test tr wc cut date uname; do
	ln -sf busybox "$stage/bin/$a"
done
cp "$init" "$stage/init"
chmod 755 "$stage/init"
for pair in "$@"; do
	dest=${pair%%=*}
	src=${pair#*=}
	mkdir -p "$stage/$(dirname "$dest")"
	cp "$src" "$stage/$dest"
done
# The kernel opens /dev/console for /init's stdio before devtmpfs exists.
mknod -m 600 "$stage/dev/console" c 5 1
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) >"$stage.cpio"
gzip -9n <"$stage.cpio" >"$out"
rm -f "$stage.cpio"
