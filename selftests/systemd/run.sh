#!/bin/bash
# shellcheck disable=SC2317 # functions run through step() look unreachable
# The module loaded at boot the way a Debian system does it, no hand-run
# insmod: an arm64 guest boots Debian bookworm's real systemd as PID 1
# (scripts/vm/fetch-systemd.sh) with the module installed under
# /lib/modules (kbuild's modules_install, then depmod), the modules-load.d
# entry and the units installed by the project's own install rules
# ("make modules-load_install", "make -C tools install"), and the udev
# rule, which starts xshm-logd@xshmN.service for each region (nothing is
# enabled for it).
#   region  tree good (region xshm-test-a first): the module is loaded,
#           /dev/xshm/by-name/xshm-test-a exists, udev started
#           xshm-logd@xshm0, which stores the records a producer writes into
#           the region, and the unit's promises (guest-logd.sh)
#   none    QEMU's tree without any region: no xshm-logd@ instance
# TAP on stdout (guest results nested as comments).  XSHM_VM_TIMEOUT bounds
# each boot (default 300 s); logs in build/systemd/.  XSHM_SKIP_VM=1 skips.
set -eu -o pipefail
cd "$(dirname "$0")/../.."
# Debian 12's newest kernel line, as a board built today runs.
export XSHM_KERNEL=${XSHM_KERNEL:-6.12.115+deb12-arm64}
# shellcheck source=scripts/vm/lib.sh
. scripts/vm/lib.sh
# shellcheck source=selftests/tap.sh
. selftests/tap.sh

OUT=$VM_TOP/build/systemd
STEP_LOG=$OUT/step.log	# step() of selftests/tap.sh
LIMIT=${XSHM_VM_TIMEOUT:-300}
KVER=$VM_KERNEL
# The region the logging unit is enabled for: the first one of the good tree.
ID=$(sed -n 's/^[[:space:]]*xen,id = "\(.*\)";/\1/p' scripts/vm/dt/good.dtsi | head -n 1)
mkdir -p "$OUT"

echo "TAP version 13"
if [ -n "${XSHM_SKIP_VM:-}" ]; then
	echo "ok 1 systemd guest # SKIP XSHM_SKIP_VM is set"
	echo "1..1"
	exit 0
fi

# Everything installed into the stage the way it is installed on a board.
install_stage() {
	scripts/vm/systemd-stage.sh "$OUT/stage" selftests/systemd/xshm-boot-check.service
}

initramfs() {
	local root
	root=$(scripts/vm/fetch-systemd.sh)
	scripts/vm/make-initramfs.sh -o "$OUT/systemd.cpio.gz" \
		-r selftests/systemd/guest-check.sh -f scripts/demo/check-log.awk:/check-log.awk \
		-f selftests/systemd/guest-logd.sh:/guest-logd.sh \
		-d "$root" -d "$OUT/stage"
}

trees() {
	scripts/vm/make-dtb.sh "$OUT/good.dtb" scripts/vm/dt/good.dtsi &&
		scripts/vm/make-dtb.sh "$OUT/none.dtb" &&
		! fdtget -l "$OUT/none.dtb" /reserved-memory 2>/dev/null | grep -q .
}

# boot NAME TREE: one boot of the systemd guest, its TAP nested.
boot() {
	local log=$OUT/$1.log rc=0 start=$SECONDS
	echo "# guest $1: tree $2, Debian systemd as PID 1, Linux $KVER"
	scripts/vm/boot.sh -d "$OUT/$2.dtb" -i "$OUT/systemd.cpio.gz" -t "$LIMIT" \
		-a "rdinit=/lib/systemd/systemd systemd.show_status=0 xshm.expect=$1 xshm.id=$ID" \
		-l "$log" >/dev/null 2>&1 || true
	vm_guest_output "$log" | sed 's/^/# /' || rc=$?
	[ "$rc" -ne 99 ] || tail -n 30 "$log" | sed 's/^/#   console: /'
	result "$rc" "systemd guest, $1 ($((SECONDS - start)) s)"
}

if step "module, modules-load.d entry, tools and units installed into a stage" install_stage &&
	step "Debian arm64 systemd root, initramfs" initramfs &&
	step "device trees (good; none without regions)" trees; then
	boot region good
	boot none none
fi
echo "1..$n"
exit "$failed"
