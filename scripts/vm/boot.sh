#!/bin/bash
# Boot one arm64 guest (Debian kernel, QEMU TCG) and copy its console to
# stdout.  Bounded in time; exits with QEMU's status (124 on timeout).
#
# usage: scripts/vm/boot.sh -d GUEST.dtb -i INITRAMFS [options]
#   -s SHMFILE   host file backing guest node 1 (the shared memory at
#                0x80000000); created zero-filled if missing and kept.
#                Two guests given the same file share that memory.
#                Default: a private temporary file, removed afterwards.
#   -a TEXT      extra kernel command line (NAME=value words become
#                environment variables of the guest's /run.sh)
#   -t SECONDS   time limit (default 120)
#   -l LOGFILE   also write the console there
# The tree must come from make-dtb.sh with the same XSHM_VM_* settings.
# A second guest is simply a second boot.sh with the same -s, run in the
# background or after the first (see boot-pair.sh).
set -eu
# shellcheck source=scripts/vm/lib.sh
. "$(dirname "$0")/lib.sh"

dtb="" initrd="" shm="" append="" limit=120 log=/dev/null
while getopts "d:i:s:a:t:l:" opt; do
	case $opt in
	d) dtb=$OPTARG ;;
	i) initrd=$OPTARG ;;
	s) shm=$OPTARG ;;
	a) append=$OPTARG ;;
	t) limit=$OPTARG ;;
	l) log=$OPTARG ;;
	*) vm_die "bad option (see the top of $0)" ;;
	esac
done
if [ ! -f "$dtb" ] || [ ! -f "$initrd" ]; then
	vm_die "need -d DTB and -i INITRAMFS"
fi

tmpshm=
if [ -z "$shm" ]; then
	tmpshm=$(mktemp /dev/shm/xshm-vm.XXXXXX)
	shm=$tmpshm
	trap 'rm -f "$tmpshm"' EXIT
fi
vm_new_shm "$shm"

kernel=$(vm_kernel)
mapfile -t margs < <(vm_machine_args "$shm")
# loglevel=1 keeps kernel messages off the console (tests read them from
# /dev/kmsg), so they cannot split a TAP line; panics still show.
cmdline="console=ttyAMA0 panic=-1 loglevel=1 ${XSHM_VM_APPEND:-} $append"

set +e
timeout -k 5 "$limit" qemu-system-aarch64 "${margs[@]}" \
	-kernel "$kernel" -initrd "$initrd" -dtb "$dtb" -append "$cmdline" \
	-display none -monitor none -serial stdio -no-reboot </dev/null |
	tr -d '\r' | tee "$log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -ne 124 ] || echo "boot.sh: guest killed after ${limit}s" >&2
exit "$rc"
