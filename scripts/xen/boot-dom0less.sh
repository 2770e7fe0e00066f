#!/bin/bash
# Boot Xen dom0less in QEMU and capture the serial console until every
# domU has printed its end marker (or the time limit passes).
#
# usage: boot-dom0less.sh XEN DTBDIR LOG [DOMAINS [SECONDS [MARKER]]]
#   DTBDIR is make-host-dtb.sh's OUTDIR (host.dtb, loader.args).
#   Ends QEMU once MARKER (default "XSHM-GUEST-END", printed by the
#   harness /init of scripts/vm when a guest is done) has been seen DOMAINS
#   (default 2) times; exit 0 then, 1 on timeout or early QEMU exit.
set -eu

[ $# -ge 3 ] || { echo "usage: $0 XEN DTBDIR LOG [DOMAINS [SECONDS [MARKER]]]" >&2; exit 2; }
xen=$1
dir=$2
log=$3
domains=${4:-2}
limit=${5:-300}
marker=${6:-XSHM-GUEST-END}
QEMU=${QEMU:-qemu-system-aarch64}
MACHINE=${XEN_QEMU_MACHINE:-virt,virtualization=on,gic-version=3}
CPU=${XEN_QEMU_CPU:-cortex-a57}
MEM=${XEN_QEMU_MEM:-2G}
SMP=${XEN_QEMU_SMP:-2}

mapfile -t loader <"$dir/loader.args"
: >"$log"
"$QEMU" -M "$MACHINE" -cpu "$CPU" -smp "$SMP" -m "$MEM" -nic none \
	-display none -no-reboot -monitor none -serial "file:$log" \
	-kernel "$xen" -dtb "$dir/host.dtb" "${loader[@]}" </dev/null &
qpid=$!
trap 'kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true' EXIT

start=$(date +%s)
rc=1
first=
while :; do
	# How long Xen takes to boot and start the domains' kernels.
	[ -n "$first" ] || ! grep -q '^(XEN) DOM[0-9]*: ' "$log" ||
		first=$(($(date +%s) - start))
	seen=$(grep -c -- "$marker" "$log" || true)
	if [ "$seen" -ge "$domains" ]; then
		rc=0
		break
	fi
	kill -0 "$qpid" 2>/dev/null || { echo "boot-dom0less: QEMU exited early" >&2; break; }
	if [ $(($(date +%s) - start)) -ge "$limit" ]; then
		echo "boot-dom0less: timeout after ${limit}s ($seen/$domains domains done)" >&2
		break
	fi
	sleep 1
done
echo "boot-dom0less: first domU output after ${first:-?}s, done after $(($(date +%s) - start))s" >&2
exit "$rc"
