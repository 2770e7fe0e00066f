#!/bin/bash
# Static checks of the kernel side: style, warnings, the user ABI header and
# the device-tree binding.  Each check prints its log and exits 0 on success.
#
# usage: scripts/kernel-checks.sh CHECK     run one check
#        scripts/kernel-checks.sh list      print the check names
#        scripts/kernel-checks.sh all       run every check, stop at the first failure
#
#   checkpatch    checkpatch.pl --strict of the newest kernel (7.2): 0
#                 errors, 0 warnings, 0 checks (the compat header may test
#                 LINUX_VERSION_CODE: that is its job)
#   build         native module build with W=1 and sparse (C=1): no warnings
#   build-arm64   the same against the headers of every guest kernel of the
#                 matrix (scripts/vm/lib.sh: Linux 6.1 to 7.2, 7.2 built
#                 with gcc-16 in a sid chroot)
#   dkms          "dkms build" of the sources "make dkms-source" installs, for
#                 Debian's 6.1 and 6.12 amd64 headers (downloaded, not
#                 installed); prints "dkms status"
#   uapi          include/uapi/linux/xshm.h alone in C89, C11 and C++, same
#                 struct layout on every ABI we can compile for
#   binding       dt-doc-validate and yamllint accept the binding; its
#                 example passes dt-validate
#   dt-examples   selftests/kernel-checks/dt: good-*.dts pass dt-validate,
#                 every bad-*.dts is refused
#   probe-errors  the error paths of probe and module init that a stock
#                 kernel cannot make fail, in an arm64 guest, forced by the
#                 test-only selftests/kernel-checks/fault-inject/xshm_fault.ko
#                 (the guest prints TAP, nested in the check's log)
#
# Kernel files (reserved-memory.yaml, ...) are extracted from Debian's
# linux-source-6.1 tarball into build/kernel-checks, checkpatch.pl from sid's
# linux-source-7.2 (downloaded once into $XSHM_CACHE); nothing is written
# into the work tree.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/kernel-checks
tarball=${XSHM_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
ksrc=$out/linux-source

driver_files="driver/xen-static-shm.c include/uapi/linux/xshm.h
selftests/kernel-checks/fault-inject/xshm_fault.c"
compat_header=driver/xshm-compat.h
checkpatch_source=linux-source-7.2
binding=Documentation/devicetree/bindings/reserved-memory/xen,shared-memory-v1.yaml
checks="checkpatch build build-arm64 dkms uapi binding dt-examples probe-errors"
dkms_kernels="6.1.0-56-amd64 6.12.115+deb12-amd64"

die() {
	echo "kernel-checks: $*" >&2
	exit 1
}

# The kernel tree's files we use, extracted once (a stamp lists them).
kernel_files="Documentation/devicetree/bindings/.yamllint
Documentation/devicetree/bindings/reserved-memory/reserved-memory.yaml"

extract_kernel_files() {
	local stamp=$ksrc/.extracted want
	want="$tarball $kernel_files"
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
	[ -f "$tarball" ] || die "$tarball missing (apt-get install linux-source-6.1)"
	rm -rf "$ksrc"
	mkdir -p "$ksrc"
	local members=
	for f in $kernel_files; do
		members="$members linux-source-6.1/$f"
	done
	# shellcheck disable=SC2086
	tar -xJf "$tarball" -C "$ksrc" --strip-components=1 $members
	echo "$want" >"$stamp"
}

# copy_module_sources DIR: the module's sources, so builds never write
# objects into the work tree or race with another build of it.
copy_module_sources() {
	local dir=$1
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$top/Kbuild" "$dir/"
	(cd "$top" && find driver include -type f -name '*.[ch]' \
		-exec cp --parents {} "$dir/" \;)
}

# check_build_log LOG: make succeeded; fail on any warning or error line,
# and unless sparse really ran (a CHECK line), since C=1 silently does
# nothing without it.
check_build_log() {
	local log=$1 ko=$2
	if grep -nE 'warning|error|Error' "$log" |
		grep -v 'Skipping BTF generation'; then
		echo "kernel-checks: warnings or errors above" >&2
		return 1
	fi
	grep -q '^ *CHECK ' "$log" || {
		echo "kernel-checks: sparse did not run" >&2
		return 1
	}
	[ -f "$ko" ] || {
		echo "kernel-checks: $ko not built" >&2
		return 1
	}
}

# The newest kernel's checkpatch.pl and its data files, from sid's
# linux-source package, extracted once into $XSHM_CACHE/$checkpatch_source.
checkpatch_dir() {
	local cache=${XSHM_CACHE:-$HOME/.cache/xshm} dir tmp deb
	dir=$cache/$checkpatch_source
	if [ ! -f "$dir/scripts/checkpatch.pl" ]; then
		mkdir -p "$cache"
		exec 8>"$dir.lock"
		flock 8
		if [ ! -f "$dir/scripts/checkpatch.pl" ]; then
			tmp=$dir.tmp
			rm -rf "$tmp"
			mkdir -p "$tmp"
			(cd "$tmp" && "$top/scripts/sid-apt.sh" download "$checkpatch_source") >&2 ||
				die "cannot download $checkpatch_source from sid"
			deb=$(echo "$tmp"/"$checkpatch_source"_*.deb)
			dpkg-deb --fsys-tarfile "$deb" |
				tar -xO "./usr/src/$checkpatch_source.tar.xz" |
				tar -xJ -C "$tmp" --strip-components=1 \
					"$checkpatch_source/scripts/checkpatch.pl" \
					"$checkpatch_source/scripts/spelling.txt" \
					"$checkpatch_source/scripts/const_structs.checkpatch"
			rm -f "$deb"
			rm -rf "$dir"
			mv "$tmp" "$dir"
		fi
		exec 8>&-
	fi
	echo "$dir"
}

check_checkpatch() {
	local rc=0 log f cp ignore
	cp=$(checkpatch_dir)/scripts/checkpatch.pl
	cd "$top"
	echo "$cp"
	for f in $driver_files $compat_header; do
		ignore=
		[ "$f" = "$compat_header" ] && ignore=LINUX_VERSION_CODE,CONSTANT_COMPARISON
		log=$(perl "$cp" --strict --no-tree --show-types --no-summary -q \
			${ignore:+--ignore "$ignore"} -f "$f" 2>&1) || rc=1
		# -q --no-summary leave only findings: any line is one.
		if [ -n "$log" ]; then
			echo "$log"
			rc=1
		else
			echo "$f: checkpatch --strict clean"
		fi
	done
	return $rc
}

check_build() {
	local kdir=${XSHM_KDIR:-}
	if [ -z "$kdir" ]; then
		kdir=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' |
			sort -V | tail -n 1)
	fi
	if [ -z "$kdir" ] || [ ! -f "$kdir/Makefile" ]; then
		die "no kernel headers (apt-get install linux-headers-amd64)"
	fi
	local dir=$out/native log=$out/native.log
	copy_module_sources "$dir"
	echo "building against $kdir"
	local rc=0
	make -C "$kdir" M="$dir" W=1 C=1 -j2 modules >"$log" 2>&1 || rc=$?
	cat "$log"
	[ "$rc" -eq 0 ] || return 1
	check_build_log "$log" "$dir/driver/xen-static-shm.ko"
}

# build_arm64 DIR KO: build the module sources in DIR for the arm64 guest
# kernel ($XSHM_KERNEL, default 6.1) with W=1 and sparse; fail on any
# warning.
build_arm64() {
	local dir=$1 ko=$2 root
	# shellcheck source=scripts/vm/lib.sh
	. "$top/scripts/vm/lib.sh"
	root=$(vm_root) ||
		die "cannot fetch the arm64 kernel headers (scripts/vm/fetch-kernel.sh)"
	local kdir=$root/usr/src/linux-headers-$VM_KERNEL log=$dir.log rc=0
	echo "building $dir against $kdir"
	vm_kbuild_make -C "$kdir" M="$dir" ARCH=arm64 \
		CROSS_COMPILE=aarch64-linux-gnu- W=1 C=1 -j2 modules >"$log" 2>&1 ||
		rc=$?
	cat "$log"
	[ "$rc" -eq 0 ] || return 1
	check_build_log "$log" "$ko"
}

# Every kernel of the matrix, each in a subshell (build_arm64 sources
# lib.sh for it).
check_build_arm64() {
	local k rc=0 kernels
	# shellcheck source=scripts/vm/lib.sh
	kernels=$(. "$top/scripts/vm/lib.sh" && echo "$VM_KERNELS")
	for k in ${XSHM_KERNELS:-$kernels}; do
		echo "== $k"
		copy_module_sources "$out/arm64-$k"
		(XSHM_KERNEL=$k build_arm64 "$out/arm64-$k" \
			"$out/arm64-$k/driver/xen-static-shm.ko") || rc=1
	done
	return $rc
}

# dkms with its trees in build/: the source tree as "make dkms-source"
# installs it, its build tree, and (in a private mount namespace) its
# /var/lib/dkms, where it makes the key it signs modules with.
check_dkms() {
	local dir=$out/dkms ver k root rc=0
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
	rm -rf "$dir"
	mkdir -p "$dir/tree" "$dir/var"
	make -s -C "$top" dkms-source DESTDIR="$dir/src" DKMSSRCDIR="/xshm-$ver"
	for k in $dkms_kernels; do
		root=$(XSHM_KERNEL=$k "$top/scripts/vm/fetch-kernel.sh") ||
			die "cannot fetch the $k headers"
		echo "== dkms build xshm/$ver -k $k"
		# shellcheck disable=SC2016 # the inner sh expands these
		unshare --mount --propagation private sh -c '
			mount --bind "$1" /var/lib/dkms && shift && exec dkms "$@"
		' sh "$dir/var" build --dkmstree "$dir/tree" --sourcetree "$dir/src" \
			-m xshm -v "$ver" -k "$k" \
			--kernelsourcedir "$root/usr/src/linux-headers-$k" || rc=1
	done
	echo "== dkms status"
	dkms status --dkmstree "$dir/tree" --sourcetree "$dir/src" | tee "$dir/status"
	for k in $dkms_kernels; do
		grep -q "^xshm/$ver, $k, x86_64: built$" "$dir/status" || {
			echo "kernel-checks: xshm is not built for $k"
			rc=1
		}
	done
	return $rc
}

check_probe_errors() {
	local fault=$out/fault-inject dir=$out/probe-errors rc=0
	local fsrc=$top/selftests/kernel-checks/fault-inject
	copy_module_sources "$out/arm64"
	build_arm64 "$out/arm64" "$out/arm64/driver/xen-static-shm.ko" >/dev/null ||
		die "the driver does not build for arm64 (see check build-arm64)"
	rm -rf "$fault"
	mkdir -p "$fault" "$dir"
	cp "$fsrc/Kbuild" "$fsrc/xshm_fault.c" "$fault/"
	build_arm64 "$fault" "$fault/xshm_fault.ko" >"$dir/fault-build.log" || {
		cat "$dir/fault-build.log"
		return 1
	}

	"$top/scripts/vm/make-dtb.sh" "$dir/guest.dtb" "$top/scripts/vm/dt/good.dtsi"
	"$top/scripts/vm/make-initramfs.sh" -o "$dir/guest.cpio.gz" \
		-r "$fsrc/guest-probe-errors.sh" \
		-f "$out/arm64/driver/xen-static-shm.ko:/lib/xshm/xen-static-shm.ko" \
		-f "$fault/xshm_fault.ko:/lib/xshm/xshm_fault.ko"
	"$top/scripts/vm/boot.sh" -d "$dir/guest.dtb" -i "$dir/guest.cpio.gz" \
		-t "${XSHM_VM_TIMEOUT:-180}" -l "$dir/console.log" >/dev/null || rc=$?
	sed -n '/^XSHM-GUEST-BEGIN/,/^XSHM-GUEST-END/p' "$dir/console.log"
	# Pass only when the guest got to the end and every test passed.
	if [ "$rc" -ne 0 ] || ! grep -qx 'XSHM-GUEST-END rc=0' "$dir/console.log" ||
		grep -q '^not ok' "$dir/console.log"; then
		echo "guest failed (boot.sh status $rc); console: $dir/console.log"
		return 1
	fi
}

# The layout user space relies on, checked by each compiler below.
uapi_probe_c='#include <stddef.h>
#include <linux/xshm.h>
#define LAYOUT(c) _Static_assert(c, #c)
LAYOUT(sizeof(struct xshm_region_info) == XSHM_REGION_INFO_SIZE_VER0);
LAYOUT(offsetof(struct xshm_region_info, flags) == 4);
LAYOUT(offsetof(struct xshm_region_info, size) == 8);
LAYOUT(offsetof(struct xshm_region_info, phys_addr) == 16);
LAYOUT(offsetof(struct xshm_region_info, offset) == 24);
LAYOUT(offsetof(struct xshm_region_info, index) == 32);
LAYOUT(offsetof(struct xshm_region_info, name) == 40);
LAYOUT(sizeof(((struct xshm_region_info *)0)->name) > XSHM_ID_MAX);
LAYOUT(XSHM_IOC_INFO == 0xB900);
'

check_uapi() {
	local inc=$top/include/uapi rc=0 cc
	local dir=$out/uapi
	mkdir -p "$dir"
	printf '%s' "$uapi_probe_c" >"$dir/layout.c"
	printf '#include <linux/xshm.h>\nint main(void) { return 0; }\n' >"$dir/alone.c"

	# Alone in strict C89 (a uapi header must not need more).
	gcc -std=c89 -pedantic-errors -Wall -Wextra -Werror -I"$inc" \
		-fsyntax-only "$dir/alone.c" || rc=1
	g++ -std=c++11 -Wall -Wextra -Werror -I"$inc" -fsyntax-only \
		-x c++ "$dir/alone.c" || rc=1
	# 32-bit ABIs through clang, with the 64-bit twin's kernel headers
	# (the types they define do not depend on the word size).
	for cc in gcc aarch64-linux-gnu-gcc \
		"clang --target=i386-linux-gnu -isystem /usr/include/x86_64-linux-gnu" \
		"clang --target=armv7a-linux-gnueabihf -isystem /usr/aarch64-linux-gnu/include"; do
		# Skip ABIs whose C library is not installed.
		echo '#include <linux/types.h>' | $cc -x c -fsyntax-only - 2>/dev/null ||
			{ echo "skip layout on '$cc' (not installed)"; continue; }
		if $cc -std=c11 -Wall -Wextra -Werror -I"$inc" -fsyntax-only \
			"$dir/layout.c"; then
			echo "layout ok with '$cc'"
		else
			rc=1
		fi
	done
	return $rc
}

# Binding schemas: the kernel's reserved-memory.yaml next to ours, as in
# the kernel tree, turned into one processed schema.
make_schema() {
	extract_kernel_files
	local bdir=$out/bindings
	rm -rf "$bdir"
	mkdir -p "$bdir/reserved-memory"
	cp "$ksrc/Documentation/devicetree/bindings/reserved-memory/reserved-memory.yaml" \
		"$top/$binding" "$bdir/reserved-memory/"
	dt-mk-schema -j -o "$out/processed-schema.json" "$bdir" >&2
}

# validate DTS: dt-validate prints nothing for a valid tree (and exits 0
# even when it finds errors, so its output is the verdict).
validate() {
	local dts=$1 dtb
	dtb=$out/dtb/$(basename "$dts" .dts).dtb
	mkdir -p "$out/dtb"
	dtc -q -I dts -O dtb -o "$dtb" "$dts" || {
		echo "dtc cannot compile $dts"
		return 0
	}
	dt-validate -s "$out/processed-schema.json" "$dtb" 2>&1
}

check_binding() {
	extract_kernel_files
	local bdir=$out/bindings rc=0 msgs
	yamllint -c "$ksrc/Documentation/devicetree/bindings/.yamllint" \
		"$top/$binding" || rc=1
	make_schema || return 1
	dt-doc-validate -u "$bdir" "$bdir/reserved-memory/${binding##*/}" || rc=1
	dt-extract-example "$top/$binding" >"$out/example.dts"
	msgs=$(validate "$out/example.dts")
	if [ -n "$msgs" ]; then
		echo "$msgs"
		echo "the binding's example does not validate"
		rc=1
	fi
	[ "$rc" -eq 0 ] && echo "binding and its example are valid"
	return $rc
}

check_dt_examples() {
	local rc=0 msgs dts n=0
	make_schema || return 1
	for dts in "$top"/selftests/kernel-checks/dt/*.dts; do
		n=$((n + 1))
		msgs=$(validate "$dts")
		case ${dts##*/} in
		good-*)
			if [ -n "$msgs" ]; then
				echo "$msgs"
				echo "FAIL ${dts##*/}: a good tree is refused"
				rc=1
			else
				echo "pass ${dts##*/}: valid"
			fi
			;;
		bad-*)
			if [ -z "$msgs" ]; then
				echo "FAIL ${dts##*/}: a malformed tree is accepted"
				rc=1
			else
				echo "pass ${dts##*/}: refused: $(echo "$msgs" | grep -m1 xen-shmem)"
			fi
			;;
		esac
	done
	[ "$n" -gt 0 ] || die "no example trees"
	return $rc
}

[ $# -eq 1 ] || die "usage: $0 CHECK|list|all (see the top of $0)"
mkdir -p "$out"
case $1 in
list) echo "$checks" ;;
all)
	for c in $checks; do
		echo "== $c"
		"$0" "$c"
	done
	;;
checkpatch) check_checkpatch ;;
build) check_build ;;
build-arm64) check_build_arm64 ;;
dkms) check_dkms ;;
probe-errors) check_probe_errors ;;
uapi) check_uapi ;;
binding) check_binding ;;
dt-examples) check_dt_examples ;;
*) die "unknown check $1 (try: $0 list)" ;;
esac
