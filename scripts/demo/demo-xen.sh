#!/bin/bash
# The main demo, on real Xen (4.22.0 by default, dom0less in QEMU): the
# bare-metal RT domain (rtdomain/, no OS, no libc, only xshm-peer.h) logs
# numbered records through region xshm-rt into a Debian Linux domU that
# runs as deployed -- systemd as PID 1, the module loaded from
# modules-load.d, xshm-logd@xshm0.service (started by udev for region
# xshm-rt) storing the records.  The RT domain creates the layout, writes
# bursts larger than its ring (drops, counted by the ring), warm-restarts
# midway (a new generation, new boot id) and writes on.  The Linux guest then stops the unit and prints the
# stored log and the ring's counters; scripts/demo/check-rtlog.py proves
# every record stored once in order or announced lost, the announced total
# equal to the ring's drop counter, and the restart visible; the totals
# table is printed.  TAP on stdout; exit status 0 when every check passes.
#
#   XSHM_DEMO_XEN      Xen series               (default 4.22)
#   XSHM_DEMO_KERNEL   Linux domU kernel        (default 7.2.13+deb14-arm64)
#   XSHM_DEMO_RATE     RT records/s             (default 1000)
#   XSHM_DEMO_COUNT    records per generation   (default 600)
#   XSHM_DEMO_BURST    records per burst        (default 200; the ring
#                      holds about 64)
#   XSHM_XEN_TIMEOUT   seconds for the boot     (default 600)
# Logs in build/demo-xen/.  Downloads and builds are cached (~/.cache/xshm).
set -eu -o pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
SERIES=${XSHM_DEMO_XEN:-4.22}
export XSHM_KERNEL=${XSHM_DEMO_KERNEL:-7.2.13+deb14-arm64}
RATE=${XSHM_DEMO_RATE:-1000}
COUNT=${XSHM_DEMO_COUNT:-600}
BURST=${XSHM_DEMO_BURST:-200}
RESTARTS=1
LIMIT=${XSHM_XEN_TIMEOUT:-600}
ID=xshm-rt
OUT=$TOP/build/demo-xen
STEP_LOG=$OUT/step.log	# step() of selftests/tap.sh
rm -rf "$OUT"
mkdir -p "$OUT"
# shellcheck source=scripts/vm/lib.sh
. scripts/vm/lib.sh
# shellcheck source=selftests/tap.sh
. selftests/tap.sh
start=$SECONDS

rtdomain() {
	make -s -C rtdomain all nm-check | tee "$OUT/nm-check.out"
}

xen_image() {
	XSHM_XEN=$SERIES scripts/xen/build-xen.sh >"$OUT/xen.path"
}

linux_guest() {
	local root
	scripts/vm/systemd-stage.sh "$OUT/stage" scripts/demo/xshm-demo-check.service &&
		# the integrator's choice: the RT domain's lines in journalctl too
		mkdir -p "$OUT/stage/etc/default" &&
		echo 'XSHM_LOGD_OPTS="--journal"' >"$OUT/stage/etc/default/xshm-logd" &&
		root=$(scripts/vm/fetch-systemd.sh) &&
		scripts/vm/make-initramfs.sh -o "$OUT/linux.cpio.gz" \
			-r scripts/demo/xen-guest.sh -d "$root" -d "$OUT/stage" &&
		vm_kernel >"$OUT/kernel.path"
}

host_tree() {
	XEN_RT_DOMU=1 XEN_RT_IMAGE=build/rtdomain/rtdomain.img \
		XEN_RT_ARGS="rt.shm=$ID rt.rate=$RATE rt.count=$COUNT rt.burst=$BURST rt.restarts=$RESTARTS rt.wait=$LIMIT" \
		XEN_DOMU_MEM_KB=786432 \
		XEN_GUEST_ARGS="console=ttyAMA0 loglevel=4 panic=-1 rdinit=/lib/systemd/systemd systemd.show_status=0 xshm.id=$ID xshm.records=$((COUNT * (RESTARTS + 1))) xshm.wait=$LIMIT" \
		scripts/xen/make-host-dtb.sh "$OUT" "$(cat "$OUT/kernel.path")" \
		"$OUT/linux.cpio.gz" scripts/xen/layouts/rtdomain.layout
}

echo "TAP version 13"
TAG="[xen-$SERIES] "
if step "rtdomain built freestanding; nm: no undefined and no libc symbol" rtdomain &&
	step "Xen $SERIES with static shared memory (cached build)" xen_image &&
	step "Linux domU as deployed: Debian systemd root, module, modules-load.d, xshm-logd@ started by udev, --journal (Linux $XSHM_KERNEL)" linux_guest &&
	step "host tree: domU1 Linux (owner of $ID), domU-rt bare metal (borrower, vpl011)" host_tree; then
	grep 'nm-check' "$OUT/nm-check.out" | sed 's/^/# /' || true
	t0=$SECONDS
	rc=0
	timeout $((LIMIT + 30)) scripts/xen/boot-dom0less.sh "$(cat "$OUT/xen.path")" "$OUT" \
		"$OUT/console.raw" 1 "$LIMIT" XSHM-GUEST-END 2>"$OUT/boot.log" || rc=$?
	tr -d '\r' <"$OUT/console.raw" >"$OUT/console.log"
	result "$rc" "Xen booted both domains, the Linux guest finished ($((SECONDS - t0)) s)"
	# Xen prefixes each domain's console lines: domU1 is DOM1, domU-rt DOM2.
	sed -n 's/^(XEN) DOM2: //p' "$OUT/console.log" >"$OUT/rt-console.log"
	sed -n 's/^(XEN) DOM1: //p' "$OUT/console.log" >"$OUT/linux-console.log"
	sed 's/^/# rt: /' "$OUT/rt-console.log" | grep -v 'rtdomain: bootargs' | head -n 40
	grep -q 'region mapped Normal write-back, inner shareable' "$OUT/rt-console.log"
	result $? "RT domain: MMU on, region Normal write-back (AT S1E1R, PAR_EL1)"
	grep -q 'rtdomain: region "xshm-rt" from the device tree' "$OUT/rt-console.log"
	result $? "RT domain found its region in the device tree Xen gave it"
	grep -q 'layout created (one-time initialiser)' "$OUT/rt-console.log" &&
		grep -q 'layout found, attached (not re-initialised)' "$OUT/rt-console.log"
	result $? "RT domain created the layout, then re-attached after its warm restart"
	# The guest's own TAP lines, renumbered into ours.
	sed -n '/XSHM-GUEST-BEGIN/,/XSHM-GUEST-END/p' "$OUT/linux-console.log" |
		grep -E '^(not )?ok [0-9]+ ' >"$OUT/guest-tap" || true
	while IFS= read -r line; do
		case $line in
		ok*) result 0 "linux: ${line#ok [0-9]* }" ;;
		*) result 1 "linux: ${line#not ok [0-9]* }" ;;
		esac
	done <"$OUT/guest-tap"
	[ -s "$OUT/guest-tap" ] || result 1 "linux guest printed its checks"
	sed -n '/XSHM-LOG-BEGIN/,/XSHM-LOG-END/p' "$OUT/linux-console.log" |
		sed '1d;$d' >"$OUT/stored.log"
	sed -n 's/^XSHM-RING-STAT //p' "$OUT/linux-console.log" >"$OUT/ring-stat.txt"
	rc=0
	python3 scripts/demo/check-rtlog.py "$OUT/stored.log" "$OUT/rt-console.log" \
		"$OUT/ring-stat.txt" >"$OUT/check.out" 2>&1 || rc=$?
	sed 's/^/# /' "$OUT/check.out"
	result "$rc" "check-rtlog: every numbered record stored once in order or announced lost; announced == ring drop counter; restart visible"
	# The totals show the demo did what it claims: records stored, bursts
	# above the ring's size dropped and announced, none lost unannounced,
	# and every generation of the RT domain (its warm restart) in the log.
	total() { sed -n "s/^  $1  *\([0-9-][0-9]*\)\$/\1/p" "$OUT/check.out"; }
	produced=$(total 'produced (RT numbered)') stored=$(total stored)
	lost=$(total 'lost, announced') unannounced=$(total 'lost, not announced')
	gens=$(total 'restart generations') boots=$(total 'boot ids in the log')
	dropped=$(total 'ring dropped (drop counter)')
	[ "${produced:-0}" -eq $((COUNT * (RESTARTS + 1))) ] && [ "${stored:-0}" -gt 0 ] &&
		[ "${lost:-0}" -gt 0 ] && [ "$((stored + lost))" -eq "$produced" ] &&
		[ "$unannounced" = 0 ] && [ "$lost" = "$dropped" ] &&
		[ "${gens:-0}" -eq $((RESTARTS + 1)) ] && [ "$boots" = "$gens" ]
	result $? "totals: produced ${produced:-?} = stored ${stored:-?} + lost ${lost:-?} (announced; ring dropped ${dropped:-?}; unannounced ${unannounced:-?}), ${gens:-?} generations all in the log"
	if grep -qE 'WARNING:|BUG:|Oops|Kernel panic' "$OUT/linux-console.log"; then
		result 1 "no kernel warnings, oopses or panics in the Linux guest"
	else
		result 0 "no kernel warnings, oopses or panics in the Linux guest"
	fi
fi
echo "# console: $OUT/console.log; stored log: $OUT/stored.log; took $((SECONDS - start)) s"
echo "1..$n"
[ "$failed" -eq 0 ]
