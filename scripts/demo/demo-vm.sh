#!/bin/bash
# The main demo: two arm64 guests (Debian kernel, QEMU TCG) share one
# region, as two dom0less Xen domains share static memory.  Guest "rt"
# plays the real-time domain (xshm-rtsim logs numbered records into a
# drop-policy ring); guest "linux" loads the xshm driver, creates the
# layout and runs xshm-logd, which stores the records on its tmpfs.
# Midway the producer's guest is killed (a hard reset) and booted again;
# it re-attaches and continues with a burst of large records, so records
# are dropped (and counted) while xshm-logd catches up.  At the end the host asks xshm-logd to stop
# (a record on the "ctl" ring), and the totals are printed and checked:
#   stored = produced - lost, every loss announced where it happened, no
#   record stored twice or out of order.
#
# usage: scripts/demo/demo-vm.sh [RATE]     (records/s, default 2000)
# Needs the scripts/vm harness (downloads the guest kernel once into
# ${XSHM_CACHE:-~/.cache/xshm}) and the arm64 liburing/libfdt packages
# (tools/fetch-arm64-deps.sh, same cache).  Takes about a minute.
set -eu
cd "$(dirname "$0")/../.."
TOP=$PWD
RATE=${1:-2000}
LIMIT=240			# seconds, for each guest
OUT=$TOP/build/demo-vm
mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*"; }

say "building: driver for the guest kernel, tools for arm64 (static), tools for the host"
ko=$(scripts/vm/build-module.sh)
make -s -C tools CC=aarch64-linux-gnu-gcc BUILD="$TOP/build/tools-arm64" \
	LIBDIR="$TOP/build/lib-arm64" STATIC=1
make -s -C tools
HOST=$TOP/build/tools
A=$TOP/build/tools-arm64
scripts/vm/make-dtb.sh "$OUT/demo.dtb" scripts/demo/demo.dtsi
scripts/vm/make-initramfs.sh -o "$OUT/demo.cpio.gz" -r scripts/demo/guest-run.sh \
	-m "$ko" -b "$A/xshm-rtsim" -b "$A/xshm-logd" -b "$A/xshm-ring" \
	-b "$A/xshm-info" -f scripts/demo/check-log.awk:/check-log.awk

# The shared memory: node 1 of both guests; the region is at its offset 0,
# so the host's tools read the same layout from the file.
SHM=$(mktemp /dev/shm/xshm-demo-vm.XXXXXX)
BOOTS=
# kill_tree PID: PID and every process under it (boot.sh's timeout puts
# QEMU in a process group of its own, so a group kill would miss it)
kill_tree() {
	local p
	for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$p"; done
	kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
	for b in $BOOTS; do kill_tree "$b"; done
	rm -f "$SHM"
}
trap cleanup EXIT
. scripts/vm/lib.sh
vm_new_shm "$SHM"

boot() {	# boot NAME WORDS...: a guest in its own process group
	local name=$1
	shift
	scripts/vm/boot.sh -d "$OUT/demo.dtb" -i "$OUT/demo.cpio.gz" -s "$SHM" \
		-t "$LIMIT" -a "$*" -l "$OUT/$name.log" >/dev/null 2>&1 &
	BOOTED=$!
	BOOTS="$BOOTS $BOOTED"
}
ring() { "$HOST/xshm-ring" stat --json "$SHM" log 2>/dev/null; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['channels'][0]['$1'])" 2>/dev/null || echo 0; }
wait_until() {	# wait_until SECONDS WHAT CMD...
	local end=$((SECONDS + $1)) what=$2
	shift 2
	until "$@"; do
		[ $SECONDS -lt $end ] || { echo "demo-vm: timed out waiting for $what" >&2; exit 1; }
		sleep 0.5
	done
}
seq_at_least() { [ "$(ring | field next_seq)" -ge "$1" ]; }
drained() { [ "$(ring | field fill)" = 0 ] && sleep 1 && [ "$(ring | field fill)" = 0 ]; }
guest_out() { vm_guest_output "$OUT/$1.log"; }

say "booting guest \"linux\" (driver, layout, xshm-logd) and guest \"rt\" (producer, $RATE records/s)"
boot linux XSHM_ROLE=logd
linux=$BOOTED
boot rt1 XSHM_ROLE=producer XSHM_RATE="$RATE"
rt1=$BOOTED
wait_until 120 "the producer's first 5000 records" seq_at_least 5000
say "guest \"rt\" is killed (hard reset) at seq $(ring | field next_seq), then booted again"
{ kill_tree "$rt1"; wait "$rt1"; } 2>/dev/null || true
say "second boot: a burst of 10000 2-KiB records at $((RATE * 10))/s, more than xshm-logd keeps up with"
boot rt2 XSHM_ROLE=producer XSHM_RATE="$((RATE * 10))" XSHM_SIZE=2000 XSHM_COUNT=10000
rt2=$BOOTED
wait "$rt2" || true
say "guest \"rt\" finished at seq $(ring | field next_seq); waiting for xshm-logd to drain the ring"
wait_until 60 "xshm-logd to drain the ring" drained
produced=$(ring | field next_seq)
dropped=$(ring | field dropped)
echo stop | "$HOST/xshm-ring" send "$SHM" ctl
wait "$linux" || true

say "guest \"rt\", second boot (the first one was killed)"
guest_out rt2 | sed 's/^/  /' || true
say "guest \"linux\""
rc=0
guest_out linux | sed 's/^/  /' || rc=$?
say "the region, seen from the host"
"$HOST/xshm-info" -r "$SHM" | sed 's/^/  /' || true

summary=$(guest_out linux | sed -n 's/^summary: //p' | tail -n 1) || true
[ -n "$summary" ] || { echo "demo-vm: guest \"linux\" printed no summary (rc $rc)"; exit 1; }
python3 scripts/demo/totals.py "$summary" "$produced" "$dropped" "guest linux's log"
