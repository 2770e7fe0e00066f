#!/bin/bash
# Doorbells end to end on real Xen (issue 13): two Linux domUs joined by a
# Xen static event channel and a static shared memory region; domU1
# produces records in bursts, domU2's consumer sleeps on the doorbell
# between them.  Asserts that every record arrives, that the consumer
# slept and was woken by notifications, and that the idle consumer costs
# less CPU than a polling one (selftests/xen/doorbell-guest.sh).  A third
# domain, the bare-metal RT domain (rtdomain/), logs into its own region
# and rings domU2's consumer with EVTCHNOP_send on a third channel.
# TAP on stdout (no plan: run.sh numbers it with its own).
#
# usage: selftests/xen/doorbell.sh XEN_SERIES
#   Guests run XSHM_XEN_KERNEL_<series> (default 7.2.13+deb14-arm64: the
#   static bind needs Linux 6.5).  XSHM_DB_RECORDS (default 2000),
#   XSHM_DB_RT_RECORDS the RT domain's (default 1000).
set -eu
cd "$(dirname "$0")/../.."
series=${1:-4.22}
krel=${XSHM_DB_KERNEL:-7.2.13+deb14-arm64}
records=${XSHM_DB_RECORDS:-2000}
rt_records=${XSHM_DB_RT_RECORDS:-1000}
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
timeout 300 make -s -C rtdomain BUILD="$out/rtdomain" >"$out/rtdomain.log" 2>&1 ||
	{ not_ok "the RT domain built (see $out/rtdomain.log)"; exit 1; }

scripts/vm/make-initramfs.sh -o "$out/initrd.gz" -r selftests/xen/doorbell-guest.sh \
	-m "$ko" -m "$evtchn" -b "$out/tools-arm64/xshm-ring" -b "$out/tools-arm64/xshm-info" \
	-b "$out/tools-arm64/xshm-logd"
# The RT domain: bursts of 25 records 100 ms apart (its ring holds ~50)
XEN_GUEST_ARGS="console=ttyAMA0 loglevel=4 panic=-1 xshm.evtchn=$port xshm.records=$records xshm.rt_records=$rt_records" \
	XEN_RT_DOMU=1 XEN_RT_IMAGE="$out/rtdomain/rtdomain.img" \
	XEN_RT_ARGS="rt.shm=xshm-rt rt.evtchn=$((port + 2)) rt.count=$rt_records rt.burst=25 rt.rate=250 rt.restarts=0 rt.wait=300" \
	scripts/xen/make-host-dtb.sh "$out" "$kernel" "$out/initrd.gz" \
	scripts/xen/layouts/doorbell.layout 2>/dev/null
# The static event channel (docs/misc/arm/device-tree/booting.txt): one
# xen,evtchn-v1 node per end, each naming its local port and the other
# end by phandle; event channels need xen,enhanced = "no-xenstore".
dtb=$out/host.dtb
# Two channels: ports 10 (ring log) and 11 (ring logd, xshm-logd's).
# (fdtput -t u: decimal cells; -t x would read "10" as 0x10.)
for d in 1 2; do
	fdtput -t s "$dtb" "/chosen/domU$d" xen,enhanced no-xenstore
	for c in 0 1; do
		node=/chosen/domU$d/evtchn@$((port + c))
		fdtput -c "$dtb" "$node"
		fdtput -t s "$dtb" "$node" compatible xen,evtchn-v1
		fdtput -t u "$dtb" "$node" phandle $((0xdb00 + 16 * c + d))
		fdtput -t u "$dtb" "$node" xen,evtchn $((port + c)) \
			$((0xdb00 + 16 * c + 3 - d))
	done
done
# Port 12: the RT domain (domU-rt) rings domU2's consumer of xshm-rt.
for end in domU2:1:2 domU-rt:2:1; do
	IFS=: read -r d me other <<<"$end"
	node=/chosen/$d/evtchn@$((port + 2))
	fdtput -c "$dtb" "$node"
	fdtput -t s "$dtb" "$node" compatible xen,evtchn-v1
	fdtput -t u "$dtb" "$node" phandle $((0xdb40 + me))
	fdtput -t u "$dtb" "$node" xen,evtchn $((port + 2)) $((0xdb40 + other))
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
g 2 rt-recv-err | sed 's/^/# domU2 RT consumer: /'
g 2 rt-info | sed 's/^/# domU2 xshm-info: /'
idle=$(g 2 db-idle-cpu-ms) poll=$(g 2 poll-idle-cpu-ms) lidle=$(g 2 logd-idle-cpu-ms)
echo "# domU2 idle consumer CPU over 5 s: doorbell ${idle:-?} ms, polling ${poll:-?} ms; xshm-logd --doorbell ${lidle:-?} ms"
grep -a 'rtdomain: \(doorbell\|generation\|EVTCHNOP\)' "$out/console.log" | sed 's/^/# /'

check "both domUs have /dev/xen/evtchn" \
	test "$(g 1 evtchn-dev)" = yes -a "$(g 2 evtchn-dev)" = yes
check "domU1 lays out xshm-db and sends $records records ringing the doorbell" \
	test "$(g 1 db-init)" = 0 -a "$(g 1 db-send-rc)" = 0
check "domU2 receives all $records records in order through the doorbell" \
	test "$(g 2 db-recv-rc)" = 0 -a "$(g 2 db-received)" = "$records" -a "$(g 2 db-bad)" = 0
# The consumer waits up to 60 s per record, in one sleep: had a ring been
# lost (or gone to the wrong port), the first burst alone would take 60 s.
recv_ms=$(g 2 db-recv-ms)
echo "# domU2 received the $records records (40 bursts 100 ms apart) in ${recv_ms:-?} ms after go"
check "every burst woke the sleeping consumer at once (all records within 30 s of go)" \
	test -n "$recv_ms" -a "${recv_ms:-99999}" -lt 30000
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
g 2 evtchn-irq | sed 's/^/# domU2 \/proc\/interrupts: /'
lirq=$(g 2 evtchn-irq | awk '/evtchn:xshm-logd/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i } END { print n + 0 }')
check "the event channel interrupts of xshm-logd's port were delivered in domU2 ($lirq)" \
	test "${lirq:-0}" -gt 0
# the RT domain: every record it did not drop arrives, in order, and its
# doorbell woke the consumer (rung= on its summary line)
gen=$(grep -a 'rtdomain: generation 0 ' "$out/console.log" | tail -n 1)
rt_sent=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$gen")
rt_rung=$(sed -n 's/.* rung=\([0-9]*\).*/\1/p' <<<"$gen")
line=$(g 2 rt-info | grep 'doorbell:' | head -n 1)
rslept=$(sed -n 's/.*consumer[^,]*, notified [0-9]*, slept \([0-9]*\).*/\1/p' <<<"$line")
echo "# RT domain: sent ${rt_sent:-?} of $rt_records records, rang ${rt_rung:-?} times; domU2 received $(g 2 rt-received) and slept ${rslept:-?} times"
check "the RT domain rings domU2 through EVTCHNOP_send and every record it sent arrives in order" \
	test -n "$rt_sent" -a "${rt_sent:-0}" -gt 0 -a "$(g 2 rt-received)" = "${rt_sent:-x}" \
	-a "$(g 2 rt-bad)" = 0
check "domU2's consumer of the RT ring slept and the RT domain rang it (not per record)" \
	test "${rslept:-0}" -gt 0 -a "${rt_rung:-0}" -gt 0 -a "${rt_rung:-0}" -lt "${rt_sent:-0}"
if grep -qE 'WARNING:|BUG:|Oops|Kernel panic' "$out/console.log"; then
	not_ok "no kernel warnings, oopses or panics in the guests"
	grep -E 'WARNING:|BUG:|Oops|Kernel panic' "$out/console.log" | head -n 5 | sed 's/^/# /'
else
	ok "no kernel warnings, oopses or panics in the guests"
fi
echo "# console: $out/console.log"
