# shellcheck shell=bash
# Sourced by run.sh: the tools against the real driver in an arm64 guest (scripts/vm harness).

t_guest() {
	local ko g=$OUT/guest rc=0
	mkdir -p "$g"
	ko=$(scripts/vm/build-module.sh) &&
	make -s -C tools CC=aarch64-linux-gnu-gcc BUILD="$TOP/build/tools-arm64" \
		LIBDIR="$TOP/build/lib-arm64" STATIC=1 &&
	scripts/vm/make-dtb.sh "$g/malformed.dtb" scripts/vm/dt/malformed.dtsi &&
	scripts/vm/make-initramfs.sh -o "$g/tools.cpio.gz" -r selftests/tools/guest-run.sh \
		-m "$ko" -f scripts/demo/check-log.awk:/check-log.awk \
		-b build/tools-arm64/xshm-info -b build/tools-arm64/xshm-ring \
		-b build/tools-arm64/xshm-logd -b build/tools-arm64/xshm-rtsim \
		-b build/tools-arm64/xshm-bench || return 1
	scripts/vm/boot.sh -d "$g/malformed.dtb" -i "$g/tools.cpio.gz" -t 180 \
		-l "$g/console.log" >/dev/null || true
	(. scripts/vm/lib.sh && vm_guest_output "$g/console.log") >"$g/tap" || rc=$?
	sed 's/^/# /' "$g/tap" >&3
	[ "$rc" = 0 ] && grep -q '^ok ' "$g/tap" && ! grep -q '^not ok' "$g/tap"
}
if [ -n "${XSHM_SKIP_VM:-}" ]; then
	skip "the tools against the real driver in an arm64 guest" "XSHM_SKIP_VM is set"
elif ! command -v qemu-system-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
	skip "the tools against the real driver in an arm64 guest" "needs qemu-system-aarch64 and aarch64-linux-gnu-gcc"
else
	exec 3>&1
	tap "the tools against the real driver in an arm64 guest" t_guest
	exec 3>&-
fi
