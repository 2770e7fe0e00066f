#!/bin/bash
# Doorbells end to end on real Xen (issue 13): two Linux domUs joined by a
# Xen static event channel and a static shared memory region; domU1
# produces records in bursts, domU2's consumer sleeps on the doorbell
# between them.  Asserts that every record arrives, that the consumer
# slept and was woken by notifications, and that the idle consumer costs
# less CPU than a polling one (selftests/xen/doorbell-guest.sh).
# TAP on stdout (no plan: run.sh gives its results as its own).
#
# usage: selftests/xen/doorbell.sh XEN_SERIES
#   Guests run XSHM_XEN_KERNEL_<series> (default 7.2.13+deb14-arm64: the
#   static bind needs Linux 6.5).  XSHM_DB_RECORDS (default 2000).
set -eu
cd "$(dirname "$0")/../.."
series=${1:-4.22}
krel=${XSHM_DB_KERNEL:-7.2.13+deb14-arm64}
records=${XSHM_DB_RECORDS:-2000}
port=10
out=$PWD/build/xen/doorbell-$series
CROSS=aarch64-linux-gnu-
rm -rf "$out"
mkdir -p "$out"
# shellcheck source=selftests/tap.sh
. selftests/tap.sh
TAG="[doorbell] " CHECK_LOG=$out/checks.log

xen=$(XSHM_XEN=$series timeout 3600 scripts/xen/build-xen.sh 2>"$out/build-xen.log") ||
	{ not_ok "Xen $series built (see $out/build-xen.log)"; exit 1; }
grep -qx 'CONFIG_STATIC_EVTCHN=y' "$(dirname "$xen")/config" ||
	{ not_ok "Xen $series has CONFIG_STATIC_EVTCHN"; exit 1; }
kernel=$(XSHM_KERNEL=$krel timeout 900 bash -c '. scripts/vm/lib.sh && vm_kernel' 2>"$out/kernel.log") &&
	ko=$(XSHM_KERNEL=$krel timeout 600 scripts/vm/build-module.sh "$out/module" 2>"$out/module.log") &&
	evtchn=$(XSHM_KERNEL=$krel timeout 900 scripts/xen/fetch-evtchn-module.sh 2>"$out/evtchn.log") ||
	{ not_ok "guest kernel $krel, xshm module and xen-evtchn module ready"; exit 1; }
if ! { timeout 600 make -s -j2 -C lib/libxshm CC=${CROSS}gcc BUILD="$out/lib-arm64" static &&
	timeout 600 make -s -j2 -C tools CC=${CROSS}gcc BUILD="$out/tools-arm64" \
		LIBDIR="$out/lib-arm64" STATIC=1; } >"$out/build.log" 2>&1; then
	not_ok "libxshm and the tools built static for arm64 (see $out/build.log)"
	exit 1
fi

scripts/vm/make-initramfs.sh -o "$out/initrd.gz" -r selftests/xen/doorbell-guest.sh \
	-m "$ko" -m "$evtchn" -b "$out/tools-arm64/xshm-ring" -b "$out/tools-arm64/xshm-info" \
	-b "$out/tools-arm64/xshm-logd"
XEN_GUEST_ARGS="console=ttyAMA0 loglevel=4 panic=-1 xshm.evtchn=$port xshm.records=$records" \
	scripts/xen/make-host-dtb.sh "$out" "$kernel" "$out/initrd.gz" \
	scripts/xen/layouts/doorbell.layout 2>/dev/null
# The static event channel (docs/misc/arm/device-tree/booting.txt): one
# xen,evtchn-v1 node per end, each naming its local port and the other
# end by phandle; event channels need xen,enhanced = "no-xenstore".
dtb=$out/host.dtb
# Two channels: ports 10 (ring log) and 11 (ring logd, xshm-logd's).
for d in 1 2; do
	fdtput -t s "$dtb" "/chosen/domU$d" xen,enhanced no-xenstore
	for c in 0 1; do
		node=/chosen/domU$d/evtchn@$((port + c))
		fdtput -c "$dtb" "$node"
		fdtput -t s "$dtb" "$node" compatible xen,evtchn-v1
		fdtput -t x "$dtb" "$node" phandle $((0xdb00 + 16 * c + d))
		fdtput -t x "$dtb" "$node" xen,evtchn $((port + c)) \
			$((0xdb00 + 16 * c + 3 - d))
	done
done
dtc -q -I dtb -O dts -o "$out/host-evtchn.dts" "$dtb"

t0=$(date +%s)
if timeout 930 scripts/xen/boot-dom0less.sh "$xen" "$out" "$out/console.raw" 2 900 \
	2>"$out/boot.log"; then
	ok "Xen $series boots both domUs to the end ($(($(date +%s) - t0)) s)"
else
	not_ok "Xen $series boots both domUs to the end"
	sed 's/^/# /' "$out/boot.log"
fi
tr -d '\r' <"$out/console.raw" >"$out/console.log"
g() { sed -n "s/^(XEN) DOM$1: XSHM $2 //p" "$out/console.log"; }
g 1 db-send-err | sed 's/^/# domU1: /'
g 2 logd-err | sed 's/^/# domU2 xshm-logd: /'
g 2 db-recv-err | sed 's/^/# domU2: /'
g 2 db-info | sed 's/^/# domU2 xshm-info: /'
idle=$(g 2 db-idle-cpu-ms) poll=$(g 2 poll-idle-cpu-ms) lidle=$(g 2 logd-idle-cpu-ms)
echo "# domU2 idle consumer CPU over 5 s: doorbell ${idle:-?} ms, polling ${poll:-?} ms; xshm-logd --doorbell ${lidle:-?} ms"

check "both domUs have /dev/xen/evtchn" \
	test "$(g 1 evtchn-dev)" = yes -a "$(g 2 evtchn-dev)" = yes
check "domU1 lays out xshm-db and sends $records records ringing the doorbell" \
	test "$(g 1 db-init)" = 0 -a "$(g 1 db-send-rc)" = 0
check "domU2 receives all $records records in order through the doorbell" \
	test "$(g 2 db-recv-rc)" = 0 -a "$(g 2 db-received)" = "$records" -a "$(g 2 db-bad)" = 0
# "doorbell: producer ..., notified N, slept N; consumer ..., notified N, slept N"
line=$(g 2 db-info | grep 'doorbell:' | head -n 1)
notified=$(sed -n 's/.*producer[^,]*, notified \([0-9]*\),.*/\1/p' <<<"$line")
slept=$(sed -n 's/.*consumer[^,]*, notified [0-9]*, slept \([0-9]*\).*/\1/p' <<<"$line")
echo "# consumer slept ${slept:-?} times, producer rang ${notified:-?} times for $records records"
check "the consumer slept on the doorbell and the producer rang it (but not per record)" \
	test "${slept:-0}" -gt 0 -a "${notified:-0}" -gt 0 -a "${notified:-0}" -lt "$records"
check "the idle consumer on the doorbell used less CPU than a polling one" \
	test -n "$idle" -a -n "$poll" -a "${idle:-1}" -lt "${poll:-0}"
check "domU1 sends $records records into ring logd" test "$(g 1 logd-send-rc)" = 0
check "xshm-logd --doorbell in domU2 writes all $records records and stops on SIGTERM" \
	test "$(g 2 logd-records)" = "$records" -a "$(g 2 logd-rc)" = 0
line=$(g 2 db-info | grep -A1 '^  logd ' | grep 'doorbell:' || :)
lslept=$(sed -n 's/.*consumer[^,]*, notified [0-9]*, slept \([0-9]*\).*/\1/p' <<<"$line")
lrang=$(sed -n 's/.*producer[^,]*, notified \([0-9]*\),.*/\1/p' <<<"$line")
echo "# xshm-logd slept ${lslept:-?} times, its producer rang ${lrang:-?} times"
check "xshm-logd slept on its doorbell and was rung, and idled below the polling consumer" \
	test "${lslept:-0}" -gt 0 -a "${lrang:-0}" -gt 0 -a -n "$lidle" -a "${lidle:-1}" -lt "${poll:-0}"
if grep -qE 'WARNING:|BUG:|Oops|Kernel panic' "$out/console.log"; then
	not_ok "no kernel warnings, oopses or panics in the guests"
	grep -E 'WARNING:|BUG:|Oops|Kernel panic' "$out/console.log" | head -n 5 | sed 's/^/# /'
else
	ok "no kernel warnings, oopses or panics in the guests"
fi
echo "# console: $out/console.log"
