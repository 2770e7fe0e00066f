#!/bin/bash
# shellcheck disable=SC2317 # functions run through step() look unreachable
# Driver test suite: the real module in real arm64 guest kernels (QEMU TCG).
#
#   selftests/driver/run.sh            from the repo top (make test SUITES=driver)
#
# Cross-builds the kselftest binaries and the mmap benchmark once, then for
# each kernel of the matrix (XSHM_KERNELS, default: every kernel of
# scripts/vm/lib.sh's VM_KERNELS, from Linux 6.1 to 7.2 PREEMPT_RT and 16K
# pages) downloads it once (scripts/vm/fetch-kernel.sh), builds the module
# for it and boots one guest per device tree of scripts/vm/dt/:
#   good        three well-formed regions: device tests, mmap benchmark,
#               then unbind/rmmod/reload while open and mapped
#   good-not-ram  the same tree with node 1 not RAM (mem=): device tests
#   one-cell    a one-cell /reserved-memory, which Linux ignores: every
#               node refused, one error each
#   subpage     regions aligned to Xen's 4 KiB but not to 16 KiB pages:
#               all of each is read and written, mmap reaches whole pages
#               only (xshm_pagesize_test; also run on malformed)
#   xen-4.17.5-domU1, xen-4.22.0-domU1  the /memory and /reserved-memory
#               Xen 4.17 and 4.22 wrote for a real dom0less guest
#               (selftests/driver/dt/xen-generated): device tests; 4.22
#               also lists the regions in /memory, 4.17 does not
#   malformed   every malformed node shape: one error each, others work
#   hostile     nodes over the kernel image, a UART, past the CPU's
#               physical addresses, in another carveout, outside
#               /reserved-memory, ids udev would mangle: one error each;
#               then the same tree with OF-created devices (no duplicates)
# then two guests at once on one shared backend file, exchanging patterns
# with each other and with the host, and last the udev rule (udev/60-xshm.rules)
# under Debian's real systemd-udevd (scripts/vm/fetch-udev.sh) in a guest
# of its own on the good tree (selftests/driver/udev-run.sh), then again
# with the rule's XSHM_NAME guard removed, which that test must fail (that
# one on the first kernel only: it tests the test).
# Prints TAP (guest output nested as comments), every result of a kernel
# named "[<kernel>] ..." (6.1.0-56, 6.12.115, 7.2.13, 7.2.13-rt, 7.2.13-16k),
# and each kernel's wall time; exits non-zero if anything failed.
# XSHM_VM_TIMEOUT bounds each boot (default 180 s); logs:
# build/vm/<kernel>/logs/.  XSHM_UDEV_RULE replaces the rule file the udev guest
# gets (to try other broken rules).  XSHM_SKIP_VM=1 builds everything but
# boots no guest.
set -eu -o pipefail
cd "$(dirname "$0")/../.."
# Two vCPUs, so that concurrent tests (unbind under load) really race.
export XSHM_VM_SMP=${XSHM_VM_SMP:-2}
# shellcheck source=scripts/vm/lib.sh
. scripts/vm/lib.sh

BIN=build/vm/bin
LIMIT=${XSHM_VM_TIMEOUT:-180}
KERNELS=${XSHM_KERNELS:-$VM_KERNELS}
# Per kernel (use_kernel): OUT=build/vm/<kernel>, its logs, TAG="[<kernel>] ".
OUT=build/vm LOGS=build/vm/logs TAG=
STEP_LOG=$LOGS/step.log	# step() of selftests/tap.sh
mkdir -p "$LOGS"

# shellcheck source=selftests/tap.sh
. selftests/tap.sh

# use_kernel RELEASE: the following steps are for that kernel.
use_kernel() {
	export XSHM_KERNEL=$1
	# shellcheck source=scripts/vm/lib.sh
	. scripts/vm/lib.sh
	OUT=build/vm/$(vm_kernel_name)
	LOGS=$OUT/logs
	STEP_LOG=$LOGS/step.log
	TAG="[$(vm_kernel_name)] "
	mkdir -p "$LOGS"
}

# The guests' programs do not depend on the kernel: built once.
build_programs() {
	local ks
	ks=$(selftests/extract-kselftest.sh)
	make -s -j2 -C selftests/driver KSFT_INC="$ks"
	make -s -C bench/mmap
}

# The test-only modules: page-table probe, OF devices (selftests/driver/pte-probe).
build_probe() {
	mkdir -p "$OUT/pte-probe"
	cp -u selftests/driver/pte-probe/* "$OUT/pte-probe/"
	vm_kmake "$PWD/$OUT/pte-probe"
}

# xen_fragment DTS: the /memory@40000000 and /reserved-memory nodes of a
# tree Xen generated (selftests/driver/dt/xen-generated, saved by
# scripts/xen/), as a fragment for QEMU's tree: the guest's RAM and regions
# are then Xen's (the regions in /memory or not, as that Xen wrote them).
xen_fragment() {
	echo "/* /memory@40000000 and /reserved-memory of ${1##*/}, verbatim */"
	echo "/ {"
	awk '/^\t(memory@40000000|reserved-memory) \{/,/^\t\};/' "$1"
	echo "};"
}

TREES="good one-cell subpage malformed hostile"
XEN_TREES=$(cd selftests/driver/dt/xen-generated 2>/dev/null && ls xen-*-domU1.dts | sed 's/\.dts$//')
TREES="$TREES $XEN_TREES"
make_trees() {
	local t src
	for t in $TREES; do
		src=scripts/vm/dt/$t.dtsi
		case $t in
		hostile)
			if [ "$VM_CPU" != cortex-a57 ]; then
				# -cpu max has up to 52 physical address bits, not
				# 44: move bad-past-cpu-pa from 2^44 to 2^52.
				src=$OUT/$t.dtsi
				sed 's/@100000000000 {/@10000000000000 {/; s/<0x1000 0x0 0x0 0x10000>/<0x100000 0x0 0x0 0x10000>/' \
					scripts/vm/dt/hostile.dtsi >"$src"
				grep -q '<0x100000 0x0 0x0 0x10000>' "$src"
			fi ;;
		xen-*)
			src=$OUT/$t.dtsi
			xen_fragment "selftests/driver/dt/xen-generated/$t.dts" >"$src"
			grep -q xen,shared-memory-v1 "$src" ;;
		esac
		scripts/vm/make-dtb.sh "$OUT/$t.dtb" "$src"
		# Node order as in the tree; /proc/device-tree does not keep it.
		fdtget -l "$OUT/$t.dtb" /reserved-memory >"$OUT/dt-order.$t"
	done
}

make_initramfs() {
	local args=() t
	for t in $TREES; do
		args+=(-f "$OUT/dt-order.$t:/etc/xshm/dt-order.$t")
	done
	scripts/vm/make-initramfs.sh -o "$OUT/driver-tests.cpio.gz" \
		-r selftests/driver/guest-run.sh -m "$KO" \
		-b "$BIN/xshm_dev_test" -b "$BIN/xshm_malformed_test" \
		-b "$BIN/xshm_lifecycle_test" -b "$BIN/xshm_pagesize_test" \
		-b "$BIN/xshm-pattern" \
		-b "$BIN/mmap-bench" "${args[@]}" \
		-f "$OUT/pte-probe/xshm_pte_probe.ko:/lib/xshm-test/xshm_pte_probe.ko" \
		-f "$OUT/pte-probe/xshm_of_devices.ko:/lib/xshm-test/xshm_of_devices.ko"
}

# boot_tests NAME TREE "KERNEL WORDS": one guest, its TAP nested under one
# result.  slub_debug makes use-after-free in teardown paths visible.
boot_tests() {
	local name=$1 tree=$2 words=$3 log=$LOGS/$1.log rc=0 start=$SECONDS
	echo "# guest $name: tree $tree, $words"
	scripts/vm/boot.sh -d "$OUT/$tree.dtb" -i "$OUT/driver-tests.cpio.gz" \
		-t "$LIMIT" -a "slub_debug=FZPU XSHM_TREE=$tree $words" \
		-l "$log" >/dev/null 2>&1 || true
	vm_guest_output "$log" | sed 's/^/# /' || rc=$?
	# The benchmark's figure is worth a line of its own.
	grep -h '^# mmap ratio' "$log" || true
	[ "$rc" -ne 99 ] || tail -n 30 "$log" | sed 's/^/#   console: /'
	result "$rc" "guest $name ($((SECONDS - start)) s)"
}

# Two guests running at the same time on one backend file, as two Xen
# domains sharing a region: host -> both guests, a -> b, b -> a, guests
# -> host.  Region xshm0 is at offset 0 of the file.
two_guests() {
	local shm rc_a=0 rc_b=0 half=0x80000 start=$SECONDS
	shm=$(mktemp /dev/shm/xshm-pair.XXXXXX)
	truncate -s "${VM_SHM_SIZE}M" "$shm"
	"$BIN/xshm-pattern-host" write "$shm" 0x180000 $half 301
	echo "# two guests on $shm"
	scripts/vm/boot-pair.sh -s "$shm" -d "$OUT/good.dtb" \
		-i "$OUT/driver-tests.cpio.gz" -t "$LIMIT" \
		-a XSHM_ROLE=a -b XSHM_ROLE=b -l "$LOGS/pair" >/dev/null 2>&1 || true
	vm_guest_output "$LOGS/pair-a.log" | sed 's/^/# a: /' || rc_a=$?
	result "$rc_a" "two guests: guest a ($((SECONDS - start)) s for both)"
	vm_guest_output "$LOGS/pair-b.log" | sed 's/^/# b: /' || rc_b=$?
	result "$rc_b" "two guests: guest b"
	"$BIN/xshm-pattern-host" check "$shm" 0 $half 101 | sed 's/^/# /'
	result "${PIPESTATUS[0]}" "two guests: host file holds guest a's pattern"
	"$BIN/xshm-pattern-host" check "$shm" $half $half 202 | sed 's/^/# /'
	result "${PIPESTATUS[0]}" "two guests: host file holds guest b's pattern"
	rm -f "$shm"
}

# The shipped rule, alone, under the real systemd-udevd of Debian bookworm.
UDEV_RULE=${XSHM_UDEV_RULE:-udev/60-xshm.rules}
udev_initramfs() {	# udev_initramfs RULE-FILE
	local root
	root=$(scripts/vm/fetch-udev.sh)
	scripts/vm/make-initramfs.sh -o "$OUT/udev-tests.cpio.gz" \
		-r selftests/driver/udev-run.sh -m "$KO" -d "$root" \
		-f "$1:/etc/udev/rules.d/60-xshm.rules"
}
# udev_boot RULE-FILE TAP-FILE: boot the udev guest; its status, TAP saved
udev_boot() {
	local log rc=0
	log=$LOGS/udev-$(basename "$1").log
	step "fetch Debian arm64 udev, udev initramfs ($1)" udev_initramfs "$1" ||
		return 98
	echo "# guest udev: tree good, systemd-udevd with $1 only"
	scripts/vm/boot.sh -d "$OUT/good.dtb" -i "$OUT/udev-tests.cpio.gz" \
		-t "$LIMIT" -a "slub_debug=FZPU" -l "$log" >/dev/null 2>&1 || true
	vm_guest_output "$log" >"$2" || rc=$?
	[ "$rc" -ne 99 ] || tail -n 30 "$log" | sed 's/^/#   console: /' >>"$2"
	return "$rc"
}
udev_guest() {
	local what="udev rule under systemd-udevd: /dev/xshm/by-name links"
	local tap=$LOGS/udev.tap rc=0 start=$SECONDS
	if ! command -v qemu-system-aarch64 >/dev/null; then
		n=$((n + 1))
		echo "ok $n $what # SKIP needs qemu-system-aarch64"
		return
	fi
	udev_boot "$UDEV_RULE" "$tap" || rc=$?
	[ "$rc" -eq 98 ] && return 0
	sed 's/^/# /' "$tap"
	result "$rc" "$what ($((SECONDS - start)) s)"

	# The same test must catch the rule that links unnamed regions too:
	# without the ?* guard an empty XSHM_NAME asks for xshm/by-name/.
	# This tests the test, not the kernel: on the first kernel only.
	[ "$UDEV_RULE" = udev/60-xshm.rules ] && [ "$1" = first ] || return 0
	what="the udev test fails on the rule without its XSHM_NAME guard"
	sed 's/ENV{XSHM_NAME}=="?\*", //' udev/60-xshm.rules >"$OUT/unguarded.rules"
	start=$SECONDS rc=0
	if grep -q 'XSHM_NAME}=="' "$OUT/unguarded.rules"; then
		echo "# the guard was not found in udev/60-xshm.rules"
		result 1 "$what"
		return
	fi
	udev_boot "$OUT/unguarded.rules" "$tap" || rc=$?
	[ "$rc" -eq 98 ] && return 0
	# its results are expected to fail: not counted as this suite's
	grep -E '^(not )?ok' "$tap" | sed 's/^/#   unguarded: /'
	# fails, and for the unnamed region only
	[ "$rc" -ne 0 ] && [ "$rc" -ne 99 ] &&
		grep -q '^not ok .*without xen,id get no link' "$tap" &&
		! grep '^not ok' "$tap" | grep -vq 'without xen,id'
	result $? "$what ($((SECONDS - start)) s)"
}

# kernel_tests RELEASE [first]: the whole suite on one kernel.
kernel_tests() {
	use_kernel "$1"
	local start=$SECONDS
	if step "fetch kernel" vm_root &&
		step "build module" scripts/vm/build-module.sh "$OUT/module" &&
		step "build page-table probe module" build_probe &&
		step "device trees" make_trees; then
		KO=$(scripts/vm/build-module.sh "$OUT/module" 2>/dev/null)
		if [ -n "${XSHM_SKIP_VM:-}" ]; then
			skip "guests: device tests, two guests, udev" "XSHM_SKIP_VM is set"
		elif step "initramfs" make_initramfs; then
			boot_tests good good "XSHM_TESTS=xshm_dev_test,xshm_lifecycle_test XSHM_BENCH=1"
			# Node 1 left out of RAM (mem=), as on Xen 4.17/4.18.
			boot_tests good-not-ram good \
				"mem=${VM_RAM}M XSHM_NODE1=absent XSHM_TESTS=xshm_dev_test"
			boot_tests one-cell one-cell "XSHM_TESTS=xshm_malformed_test"
			# 4 KiB-aligned regions on 4K and 16K pages.
			boot_tests subpage subpage "XSHM_TESTS=xshm_dev_test,xshm_pagesize_test"
			for t in $XEN_TREES; do
				boot_tests "$t" "$t" "XSHM_TESTS=xshm_dev_test"
			done
			boot_tests malformed malformed \
				"XSHM_TESTS=xshm_malformed_test,xshm_dev_test,xshm_pagesize_test"
			boot_tests hostile hostile \
				"XSHM_TESTS=xshm_malformed_test,xshm_dev_test XSHM_OUTSIDE_NODES=2 XSHM_OF_DEVICES=1"
			two_guests
			udev_guest "${2:-}"
		fi
	fi
	echo "# ${TAG}wall time $((SECONDS - start)) s"
}

echo "TAP version 13"
if step "build tests and benchmark" build_programs; then
	first=first
	for k in $KERNELS; do
		kernel_tests "$k" $first
		first=
	done
fi
echo "1..$n"
exit $failed
