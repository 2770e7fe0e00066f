# shellcheck shell=bash
# Shared settings and helpers of the arm64 QEMU guest harness; sourced by
# the scripts next to it (and usable by other scripts:
#   . scripts/vm/lib.sh; vm_machine_args /dev/shm/x).
#
# The guest machine, as in DESIGN.md: QEMU "virt", two NUMA nodes: node 0 is
# $XSHM_VM_RAM of private RAM at 0x40000000, node 1 is a host file shared
# with other guests and the host (memory-backend-file, share=on).  With the
# default 1G of RAM node 1 starts at guest-physical 0x80000000, the address
# the trees under dt/ put their regions at.
#
# Tunables (environment):
#   XSHM_VM_RAM       node 0 size in MiB          (default 1024)
#   XSHM_VM_SHM_SIZE  node 1 size in MiB          (default 8)
#   XSHM_VM_SMP       CPUs                        (default 1)
#   XSHM_VM_CPU       QEMU -cpu                   (default cortex-a57)
#   XSHM_VM_APPEND    extra kernel command line   (default empty)
#   XSHM_KERNEL       guest kernel release        (default 6.1.0-56-arm64;
#                     see fetch-kernel.sh for the others)

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_TOP=$(cd "$VM_DIR/../.." && pwd)
export VM_DIR VM_TOP
# The kernels users run (shared/DESIGN.md), pinned; the driver suite runs
# on each.  The first is the default guest kernel.
VM_KERNELS="6.1.0-56-arm64 6.12.115+deb12-arm64 7.2.13+deb14-arm64"
VM_KERNEL=${XSHM_KERNEL:-${XSHM_KABI:-6.1.0-56}-arm64}
export VM_KERNELS XSHM_KERNEL=$VM_KERNEL	# for fetch-kernel.sh, run.sh
VM_RAM=${XSHM_VM_RAM:-1024}
VM_SHM_SIZE=${XSHM_VM_SHM_SIZE:-8}
VM_SMP=${XSHM_VM_SMP:-1}
# Cortex-A57 has no 16K granule: a 16K-page kernel needs "max".
case $VM_KERNEL in
*-16k) VM_CPU=${XSHM_VM_CPU:-max} ;;
*) VM_CPU=${XSHM_VM_CPU:-cortex-a57} ;;
esac

vm_die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# Unpacked kernel/busybox root (downloads on first use).
vm_root() {
	"$VM_DIR/fetch-kernel.sh"
}

vm_kernel() {
	echo "$(vm_root)/boot/vmlinuz-$VM_KERNEL"
}

# The kernel's short name in test output: 6.1.0-56, 6.12.115, 7.2.13-rt...
vm_kernel_name() {
	local name=${VM_KERNEL/+deb[0-9][0-9]/}
	echo "${name/-arm64/}"
}

# Sid's kernels are built with gcc-16 and their build tools link sid's
# libc: their modules are built in a sid chroot (scripts/sid-chroot.sh).
VM_SID_PACKAGES="gcc-16 gcc-16-aarch64-linux-gnu make libc6-dev bc flex bison
libelf-dev libssl-dev kmod sparse pahole"
vm_is_sid() {
	case $VM_KERNEL in *+deb14-*) return 0 ;; esac
	return 1
}

# vm_kbuild_make ARGS...: make for this kernel's build tree, in the sid
# chroot when the kernel needs it.
vm_kbuild_make() {
	if vm_is_sid; then
		local chroot
		# shellcheck disable=SC2086
		chroot=$("$VM_TOP/scripts/sid-chroot.sh" kbuild $VM_SID_PACKAGES)
		"$VM_TOP/scripts/sid-chroot.sh" --run "$chroot" make "$@"
	else
		make "$@"
	fi
}

# vm_kmake DIR [MAKE-ARGS...]: build the out-of-tree modules in DIR (an
# absolute path holding a Kbuild, inside this project) for the guest kernel.
vm_kmake() {
	local dir=$1
	shift
	vm_kbuild_make -s -C "$(vm_root)/usr/src/linux-headers-$VM_KERNEL" \
		M="$dir" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- "$@" modules
}

# vm_machine_args SHMFILE: QEMU machine, CPU, memory and NUMA arguments.
# The same arguments must be used to dump the board tree and to boot it,
# since a tree given with -dtb keeps its CPU nodes.
vm_machine_args() {
	local shm=$1
	local cpus=0
	[ "$VM_SMP" -gt 1 ] && cpus=0-$((VM_SMP - 1))
	printf '%s\n' -M virt -cpu "$VM_CPU" -smp "$VM_SMP" \
		-m "$((VM_RAM + VM_SHM_SIZE))M" \
		-object "memory-backend-ram,id=ram0,size=${VM_RAM}M" \
		-object "memory-backend-file,id=shm0,mem-path=$shm,size=${VM_SHM_SIZE}M,share=on" \
		-numa "node,nodeid=0,cpus=$cpus,memdev=ram0" \
		-numa "node,nodeid=1,memdev=shm0" \
		-nic none
}

# Guest-physical base of node 1: right after node 0's RAM at 0x40000000.
vm_shm_base() {
	echo $((0x40000000 + (VM_RAM << 20)))
}

# vm_new_shm PATH: create (or resize) the shared backend file, zero-filled
# only when new, so a second guest sees what the first one wrote.
vm_new_shm() {
	local f=$1
	[ -f "$f" ] || truncate -s "${VM_SHM_SIZE}M" "$f"
}

# vm_guest_output CONSOLE-LOG: what the guest's /run.sh printed (between the
# markers of guest-init.sh).  Returns /run.sh's status, or 99 when the guest
# never got to the end (crash, panic, timeout).
vm_guest_output() {
	local log=$1 rc
	sed -n '/^XSHM-GUEST-BEGIN$/,/^XSHM-GUEST-END rc=/{/^XSHM-GUEST-/d;p}' "$log"
	rc=$(sed -n 's/^XSHM-GUEST-END rc=\([0-9]*\)$/\1/p' "$log" | tail -n 1)
	return "${rc:-99}"
}
