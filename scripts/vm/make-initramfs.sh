#!/bin/bash
# Build a gzip'd newc initramfs for the arm64 guests: static busybox, the
# harness /init (scripts/vm/guest-init.sh) or your own, and your files.
#
# usage: scripts/vm/make-initramfs.sh -o OUT.cpio.gz [options]
#   -r SCRIPT      becomes /run.sh, run by the harness /init between the
#                  XSHM-GUEST-BEGIN/END console markers (see guest-init.sh)
#   -i SCRIPT      replaces /init altogether (then -r is up to you)
#   -m FILE.ko     module loaded at boot, in the order given (-> /modules/)
#   -b FILE        static arm64 binary or script (-> /bin/)
#   -f SRC:DEST    any file at an absolute path DEST in the guest
#   -d DIR         copy the tree DIR over the guest root
# Every option but -o may repeat.  Files are owned by root in the guest.
# Always included: /lib/xshm/tap.sh (selftests/tap.sh), for run scripts.
set -eu
# shellcheck source=scripts/vm/lib.sh
. "$(dirname "$0")/lib.sh"

out="" init=$VM_DIR/guest-init.sh
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"	# mktemp's 0700 would lock users other than root out of /
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,modules,etc,root}
nmod=0

put() { # put SRC DEST
	[ -e "$1" ] || vm_die "no such file: $1"
	mkdir -p "$stage$(dirname "$2")"
	cp -L "$1" "$stage$2"
}

while getopts "o:r:i:m:b:f:d:" opt; do
	case $opt in
	o) out=$OPTARG ;;
	r) put "$OPTARG" /run.sh; chmod +x "$stage/run.sh" ;;
	i) init=$OPTARG ;;
	m) nmod=$((nmod + 1))
	   put "$OPTARG" "/modules/$(printf %02d "$nmod")-${OPTARG##*/}" ;;
	b) put "$OPTARG" "/bin/${OPTARG##*/}"; chmod +x "$stage/bin/${OPTARG##*/}" ;;
	f) put "${OPTARG%%:*}" "${OPTARG#*:}" ;;
	d) cp -a "$OPTARG/." "$stage/" ;;
	*) vm_die "bad option (see the top of $0)" ;;
	esac
done
[ -n "$out" ] || vm_die "-o OUT is required"

root=$(vm_root)
cp "$root/bin/busybox" "$stage/bin/busybox"
ln -sf busybox "$stage/bin/sh"
put "$init" /init
chmod +x "$stage/init"
put "$VM_TOP/selftests/tap.sh" /lib/xshm/tap.sh	# result(), for the guests' tests

out=$(realpath -m "$out")
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --quiet -o -0 -H newc -R 0:0 | gzip -1 >"$out.tmp")
mv "$out.tmp" "$out"
