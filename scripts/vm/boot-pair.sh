#!/bin/bash
# Boot two arm64 guests at the same time on one shared backend file, as two
# Xen domains sharing a static region: whatever one writes at a guest-
# physical address in node 1 the other reads there, and the host reads it
# in the file.  Waits for both; each is bounded in time.
#
# usage: scripts/vm/boot-pair.sh -s SHMFILE -d DTB -i INITRAMFS [options]
#   -a TEXT      kernel command line words for guest a (e.g. XSHM_ROLE=a)
#   -b TEXT      kernel command line words for guest b
#   -D DTB       tree for guest b (default: the same as guest a)
#   -I INITRD    initramfs for guest b (default: the same as guest a)
#   -t SECONDS   time limit for each guest (default 120)
#   -l PREFIX    console logs PREFIX-a.log and PREFIX-b.log
#                (default build/vm/logs/pair)
# Exits 0 when both guests' /run.sh succeeded (see guest-init.sh), else 1;
# prints both guests' /run.sh output prefixed "a: " and "b: ".
set -eu -o pipefail
# shellcheck source=scripts/vm/lib.sh
. "$(dirname "$0")/lib.sh"

shm="" dtb="" initrd="" dtb_b="" initrd_b="" words_a="" words_b="" limit=120
prefix=$VM_TOP/build/vm/logs/pair
while getopts "s:d:i:a:b:D:I:t:l:" opt; do
	case $opt in
	s) shm=$OPTARG ;;
	d) dtb=$OPTARG ;;
	i) initrd=$OPTARG ;;
	a) words_a=$OPTARG ;;
	b) words_b=$OPTARG ;;
	D) dtb_b=$OPTARG ;;
	I) initrd_b=$OPTARG ;;
	t) limit=$OPTARG ;;
	l) prefix=$OPTARG ;;
	*) vm_die "bad option (see the top of $0)" ;;
	esac
done
if [ -z "$shm" ] || [ ! -f "$dtb" ] || [ ! -f "$initrd" ]; then
	vm_die "need -s SHMFILE -d DTB -i INITRAMFS"
fi
mkdir -p "$(dirname "$prefix")"
vm_new_shm "$shm"

"$VM_DIR/boot.sh" -s "$shm" -d "$dtb" -i "$initrd" -t "$limit" \
	-a "$words_a" -l "$prefix-a.log" >/dev/null 2>&1 &
pid_a=$!
"$VM_DIR/boot.sh" -s "$shm" -d "${dtb_b:-$dtb}" -i "${initrd_b:-$initrd}" \
	-t "$limit" -a "$words_b" -l "$prefix-b.log" >/dev/null 2>&1 || true
wait "$pid_a" || true

rc=0
vm_guest_output "$prefix-a.log" | sed 's/^/a: /' || rc=1
vm_guest_output "$prefix-b.log" | sed 's/^/b: /' || rc=1
exit $rc
