#!/bin/bash
# Run the in-guest mmap benchmark (bench/mmap) alone: one arm64 guest with
# the driver loaded and the "good" tree, memcpy through /dev/xshm0 against
# anonymous memory, prints "# mmap ratio R (...)" (goal: R >= 0.9).
#
# usage: scripts/vm/bench-mmap.sh [ROUNDS]      (default 50)
# Builds what it needs (module, benchmark, tree, initramfs) under build/vm/.
set -eu -o pipefail
# shellcheck source=scripts/vm/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$VM_TOP"

rounds=${1:-50}
out=build/vm/bench
mkdir -p "$out"

ko=$(scripts/vm/build-module.sh build/vm/module)
make -s -C bench/mmap
scripts/vm/make-dtb.sh "$out/good.dtb" scripts/vm/dt/good.dtsi
cat >"$out/run.sh" <<EOF
#!/bin/sh
mmap-bench /dev/xshm0 $rounds
EOF
scripts/vm/make-initramfs.sh -o "$out/bench.cpio.gz" -r "$out/run.sh" \
	-m "$ko" -b build/vm/bin/mmap-bench
scripts/vm/boot.sh -d "$out/good.dtb" -i "$out/bench.cpio.gz" -t 180 \
	-l "$out/console.log" >/dev/null
vm_guest_output "$out/console.log"
