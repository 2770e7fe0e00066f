#!/bin/bash
# End to end on real Xen, once per Xen release (4.17.5 from Debian's source,
# 4.22.0 from the upstream tarball, see scripts/xen/fetch-xen-source.sh):
# build it for arm64 with static shared
# memory (cached), boot it dom0less in QEMU with three Debian arm64 domUs
# sharing two regions (one owned by domU1, one owned by Xen; the layout is
# scripts/xen/layouts/default.layout), and check from the serial console
# that each guest gets the regions the host tree declares, that the xshm
# module binds them, that all sharers see each other's writes, and that
# 10^5 checksummed records cross each region through a libxshm ring, and
# xshm-bench runs with its sender in domU1 and its receiver in domU2.
# Then boot the shapes Xen 4.17 does not support (probes/) and check that
# Xen still says what we recorded (on 4.17 only: the messages are 4.17's).
# On Xen other than 4.17, selftests/xen/doorbell.sh boots two more domUs
# joined by a static event channel, and the bare-metal RT domain ringing
# one of them (doorbells; XSHM_XEN_DOORBELL=0 skips).
# Last, the main job as make demo runs it (scripts/demo/demo-xen.sh): the
# bare-metal RT domain logs into a Debian systemd domU's xshm-logd on Xen
# 4.22, its totals asserted, and the log checker fails bad logs crafted
# from that run's stored log.
# TAP on stdout; every line of one Xen's run starts with "[xen-<version>]".
#
#   XSHM_XENS          Xen series to run          (default "4.17 4.22";
#                      empty: only the demo below)
#   XSHM_XEN_KERNEL_4_17  guest kernel on 4.17 (default 6.1.0-56-arm64)
#   XSHM_XEN_KERNEL_4_22  guest kernel on 4.22 (default 7.2.13+deb14-arm64)
#                         (releases as in scripts/vm/fetch-kernel.sh)
#   XSHM_XEN_RECORDS   records per direction      (default 100000)
#   XSHM_XEN_TIMEOUT   seconds for the whole boot (default 600)
#   XSHM_XEN_PROBES    0 skips booting the unsupported shapes in probes/
#   XSHM_XEN_DEMO      0 skips the main job (scripts/demo/demo-xen.sh, what
#                      make demo runs) and its checker's bad-log tests
#   XSHM_SKIP_VM       set: skip the whole suite
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=$top/build/xen
records=${XSHM_XEN_RECORDS:-100000}
boot_limit=${XSHM_XEN_TIMEOUT:-600}
CROSS=aarch64-linux-gnu-

# shellcheck source=selftests/tap.sh
. selftests/tap.sh
TAG=	# "[xen-<version>] " while one Xen runs
CHECK_LOG=$out/checks.log	# check()'s output
note() { echo "# $*"; }
bail() {
	echo "Bail out! $*"
	exit 1
}

if [ -n "${XSHM_SKIP_VM:-}" ]; then
	skip "dom0less Xen" "boots guests: XSHM_SKIP_VM is set"
	plan
	exit
fi

rm -rf "$out/common"
mkdir -p "$out/common"
: >"$out/checks.log"
echo "TAP version 13"

# ---- Build what every Xen's guests run: library and exchange program ----
t0=$(date +%s)

# libxshm and the exchange program, cross-built static for the guests and
# natively for the expected digest.
exchange=
if timeout 600 make -s -j2 -C lib/libxshm CC=${CROSS}gcc AR=${CROSS}ar NM=${CROSS}nm BUILD="$out/lib-arm64" \
	>"$out/common/build-lib.log" 2>&1 &&
	${CROSS}gcc -std=c11 -O2 -Wall -Wextra -Werror -static -Ilib/libxshm \
		-o "$out/common/xen-exchange" selftests/xen/xen-exchange.c \
		"$out/lib-arm64/libxshm.a" -pthread >>"$out/common/build-lib.log" 2>&1 &&
	timeout 600 make -s -j2 -C lib/libxshm BUILD="$out/lib-host" \
		>>"$out/common/build-lib.log" 2>&1 &&
	cc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -Ilib/libxshm -o "$out/common/xen-exchange-host" \
		selftests/xen/xen-exchange.c "$out/lib-host/libxshm.a" -pthread \
		>>"$out/common/build-lib.log" 2>&1; then
	exchange=$out/common/xen-exchange
	ok "libxshm and xen-exchange built for arm64 and the host"
else
	not_ok "libxshm and xen-exchange built for arm64 and the host"
	sed 's/^/# /' "$out/common/build-lib.log" | tail -n 20
fi

# xshm-info and xshm-bench, static for the guests.
info=
if timeout 600 make -s -j2 -C tools CC=${CROSS}gcc BUILD="$out/tools-arm64" \
	LIBDIR="$out/lib-arm64" STATIC=1 >"$out/common/build-tools.log" 2>&1; then
	info=$out/tools-arm64/xshm-info
	ok "xshm-info and xshm-bench built static for arm64"
else
	not_ok "xshm-info and xshm-bench built static for arm64"
	sed 's/^/# /' "$out/common/build-tools.log" | tail -n 20
fi

# The same program between two host processes on a plain file first
# (sanitized), so a failure in the guests is not a bug of the test itself.
if [ -n "$exchange" ]; then
	f=$out/common/host-region
	rm -f "$f"
	truncate -s 1M "$f"
	"$out/common/xen-exchange-host" produce "$f" 20000 >"$out/common/host-tx.out" 2>&1 &
	txpid=$!
	if timeout 300 "$out/common/xen-exchange-host" consume "$f" 20000 >"$out/common/host-rx.out" 2>&1 &&
		wait "$txpid" &&
		grep -q "^consumed=20000 bad=0 lost=0 corrupt=0 $("$out/common/xen-exchange-host" expect 20000) " \
			"$out/common/host-rx.out"; then
		ok "xen-exchange passes 20000 records between two host processes (ASan, UBSan)"
	else
		wait "$txpid" || :
		not_ok "xen-exchange passes 20000 records between two host processes (ASan, UBSan)"
		sed 's/^/# /' "$out/common/host-tx.out" "$out/common/host-rx.out" | tail -n 20
	fi
fi

# run_xen SERIES: the whole run on one Xen release, its guests on their kernel.
run_xen() {
	local series=$1 src xen krel kernel ko xname t0
	t0=$(date +%s)
	src=$(scripts/xen/fetch-xen-source.sh "$series" 2>"$out/fetch-xen-$series.log") || {
		not_ok "xen-$series source unpacked (see $out/fetch-xen-$series.log)"
		return
	}
	# xen-4.17.5+72-g01140da4e8-1 -> xen-4.17.5
	xname=$(basename "$src")
	xname=${xname%%+*}
	TAG="[$xname] "
	local run=$out/$xname/run fdt=$out/$xname/fdt
	rm -rf "$run" "$fdt"
	mkdir -p "$run" "$fdt"

	xen=$(XSHM_XEN=$series timeout 3600 scripts/xen/build-xen.sh 2>"$run/build-xen.log") || {
		not_ok "Xen built (see $run/build-xen.log)"
		return
	}
	note "xen image $xen ($(($(date +%s) - t0))s, cached when unchanged)"
	check "xen built with CONFIG_STATIC_SHM" \
		grep -qx 'CONFIG_STATIC_SHM=y' "$(dirname "$xen")/config"

	case $series in
	4.17) krel=${XSHM_XEN_KERNEL_4_17:-6.1.0-56-arm64} ;;
	*) krel=${XSHM_XEN_KERNEL_4_22:-7.2.13+deb14-arm64} ;;
	esac
	kernel=$(XSHM_KERNEL=$krel timeout 900 bash -c '. scripts/vm/lib.sh && vm_kernel' 2>"$run/fetch-kernel.log") ||
		{ not_ok "guest kernel $krel downloaded (see $run/fetch-kernel.log)"; return; }
	ko=$(XSHM_KERNEL=$krel timeout 600 scripts/vm/build-module.sh "$out/module-$krel" 2>"$run/build-module.log") ||
		{ not_ok "module built for $krel (see $run/build-module.log)"; return; }
	note "guests run Linux $krel ($kernel)"

	# The harness /init (scripts/vm) loads the module and runs guest-run.sh.
	local extra=(-m "$ko")
	[ -z "$exchange" ] || extra+=(-b "$exchange")
	[ -z "$info" ] || extra+=(-b "$info" -b "$(dirname "$info")/xshm-bench")
	scripts/vm/make-initramfs.sh -o "$run/initrd.gz" -r selftests/xen/guest-run.sh \
		"${extra[@]}"
	# A fresh mark per run, so a mark read back can only come from this boot.
	token=$(od -An -tx8 -N8 /dev/urandom | tr -d ' ')
	split=$((records * 2 / 5))
	XEN_GUEST_ARGS="console=ttyAMA0 loglevel=4 panic=-1 xshm.records=$records xshm.split=$split xshm.token=$token" \
		scripts/xen/make-host-dtb.sh "$run" "$kernel" "$run/initrd.gz" 2>/dev/null
	note "build and preparation took $(($(date +%s) - t0))s"

	# Every static shared memory node of the host tree, one per line:
	# "DOM ID HOST GUEST SIZE ROLE" (hex addresses, decimal size, role or -).
	host=$run/host.dtb
	for dom in $(fdtget -l "$host" /chosen | sed -n 's/^domU//p'); do
		for node in $(fdtget -l "$host" "/chosen/domU$dom"); do
			case $node in shm-*) ;; *) continue ;; esac
			p=/chosen/domU$dom/$node
			# xen,shared-mem = <host guest size>, one cell each in this tree.
			read -r h g sz < <(fdtget -t u "$host" "$p" xen,shared-mem)
			printf '%d %s %x %x %d %s\n' "$dom" "$(fdtget -t s "$host" "$p" xen,shm-id)" \
				"$h" "$g" "$sz" "$(fdtget -t s "$host" "$p" role 2>/dev/null || echo -)"
		done
	done >"$run/host-shm.txt"
	ndom=$(fdtget -l "$host" /chosen | grep -c '^domU')

	# ---- Boot ----
	if timeout $((boot_limit + 30)) scripts/xen/boot-dom0less.sh "$xen" "$run" \
		"$run/console.raw" "$ndom" "$boot_limit" 2>"$run/boot.log"; then
		ok "Xen boots dom0less and all $ndom domUs run to the end"
	else
		not_ok "Xen boots dom0less and all $ndom domUs run to the end"
		sed 's/^/# /' "$run/boot.log"
	fi
	sed -n 's/^boot-dom0less: /# /p' "$run/boot.log"
	tr -d '\r' <"$run/console.raw" >"$run/console.log"
	cp "$run/console.log" "$out/$xname/console.log"
	console=$run/console.log

	# Xen's own view: dom0less, and each region taken by its owner: the
	# domain with role "owner", or DOMID_IO when no node names a role.
	# Xen 4.22 no longer names the owner; it lists the host banks instead.
	check "Xen reports dom0less mode" grep -q 'Xen dom0less mode detected' "$console"
	for id in $(cut -d' ' -f2 "$run/host-shm.txt" | sort -u); do
		read -r h sz < <(awk -v id="$id" '$2 == id { print $3, $5; exit }' "$run/host-shm.txt")
		owner=$(awk -v id="$id" '$2 == id && $6 == "owner" { print "d" $1 }' "$run/host-shm.txt")
		owner=${owner:-d[IO]}
		end=$(printf '%x' $((0x$h + sz)))
		if [ "$series" = 4.17 ]; then
			check "Xen gives $id (0x$h-0x$end) to its owner $owner" \
				grep -qE "^\(XEN\) ${owner/[/\\[}: allocate static shared memory BANK 0x0*$h-0x0*$end\.$" "$console"
		else
			check "Xen lists $id's host pages 0x$h-0x$end as a static shared memory bank" \
				grep -qE "^\(XEN\)  SHMEM\[[0-9]+\]: 0*$h - 0*$(printf '%x' $((0x$end - 1)))$" "$console"
		fi
	done

	# guest_lines D KEY: the values printed by domU D as "XSHM KEY value".
	guest_lines() {
		sed -n "s/^(XEN) DOM$1: XSHM $2 //p" "$console"
	}

	# ---- Per guest: console, generated tree, driver binding, shared pages ----
	for d in $(seq 1 "$ndom"); do
		role=$(guest_lines "$d" role)
		check "domU$d prints on the Xen console (role ${role:-none})" test -n "$role"
		check "domU$d loads the xshm module" test "$(guest_lines "$d" insmod)" = ok
		check "domU$d runs its checks to the end" test -n "$(guest_lines "$d" finished)"

		dtb=$fdt/domU$d.dtb
		guest_lines "$d" fdt-b64 | base64 -d >"$dtb" 2>/dev/null || :
		size=$(guest_lines "$d" fdt-size)
		if [ -n "$size" ] && [ "$(stat -c %s "$dtb")" = "$size" ] &&
			dtc -q -I dtb -O dts -o "$fdt/domU$d.dts" "$dtb"; then
			ok "domU$d device tree from Xen decoded ($size bytes, $fdt/domU$d.dts)"
		else
			not_ok "domU$d device tree from Xen decoded"
		fi

		while read -r _ id _ guest sz _; do
			node=/reserved-memory/xen-shmem@$guest
			got_id=$(fdtget -t s "$dtb" "$node" xen,id 2>/dev/null || :)
			got_reg=$(fdtget -t x "$dtb" "$node" reg 2>/dev/null || :)
			got_compat=$(fdtget -t s "$dtb" "$node" compatible 2>/dev/null || :)
			want_reg=$(printf '0 %x 0 %x' "0x$guest" "$sz")
			if [ "$got_id" = "$id" ] && [ "$got_reg" = "$want_reg" ] &&
				[ "$got_compat" = "xen,shared-memory-v1" ]; then
				ok "domU$d tree has $node xen,id=$id reg=<$want_reg>"
			else
				not_ok "domU$d tree has $node xen,id=$id reg=<$want_reg> (got id='$got_id' reg='$got_reg' compatible='$got_compat')"
			fi

			line=$(guest_lines "$d" region | grep " name=$id " || :)
			want="name=$id size=$sz phys_addr=0x$guest offset=0x0 dev=yes"
			if [ -n "$line" ] && [ "${line#* }" = "$want" ]; then
				ok "domU$d driver binds $id: /dev/${line%% *} $want"
			else
				not_ok "domU$d driver binds $id: want '$want', got '${line:-nothing}'"
			fi

			# The same pages: what each other sharer wrote, this one reads.
			for peer in $(awk -v id="$id" -v d="$d" '$2 == id && $1 != d { print $1 }' \
				"$run/host-shm.txt"); do
				check "domU$d reads through /dev/xshm what domU$peer wrote into $id" \
					grep -qx "$id d$peer d$peer-$token" < <(guest_lines "$d" peer-mark)
			done
		done < <(awk -v d="$d" '$1 == d' "$run/host-shm.txt")

		if [ -n "$info" ]; then
			nodes=$(awk -v d="$d" '$1 == d' "$run/host-shm.txt" | wc -l)
			check "domU$d: xshm-info -D finds $nodes valid nodes in the tree Xen wrote" \
				grep -q "^device tree /sys/firmware/fdt: $nodes xen,shared-memory-v1 nodes, 0 errors" \
				< <(test "$(guest_lines "$d" info-dt-rc)" = 0 && guest_lines "$d" info-dt)
			if [ -n "$exchange" ]; then
				# Every region carries a finished ring, whoever wrote it.
				check "domU$d: xshm-info sees the finished xen-e2e ring in all $nodes regions" \
					test "$(guest_lines "$d" info | grep -c "xen-e2e .* produced $records dropped 0 ")" \
					-eq "$nodes" -a "$(guest_lines "$d" info-rc)" = 0
			fi
		fi

		n_regions=$(guest_lines "$d" region | wc -l)
		check "domU$d has exactly the declared regions ($n_regions)" \
			test "$n_regions" -eq "$(awk -v d="$d" '$1 == d' "$run/host-shm.txt" | wc -l)"
	done

	# ---- The exchange, both directions ----
	# digest COUNT FIRST: what a consumer of records FIRST.. must report.
	digest() {
		"$out/common/xen-exchange-host" expect "$1" "$2"
	}
	if [ -n "$exchange" ]; then
		rest=$((records - split))
		tx1=$(guest_lines 1 tx)
		rx1=$(guest_lines 1 rx)
		tx2=$(guest_lines 2 tx)
		rx2=$(guest_lines 2 rx)
		{ echo "$tx1"; echo "$rx2"; echo "$tx2"; echo "$rx1"; } | sed 's/^/# /'
		check "domU1 produces $records records into xshm-owned" \
			grep -q "^produced=$records next=$records " <<<"$tx1"
		check "domU2 consumes records 0..$((split - 1)) from xshm-owned intact, then stops" \
			grep -q "^consumed=$split bad=0 lost=0 corrupt=0 $(digest "$split" 0) " <<<"$rx2"
		check "domU2's restarted consumer resumes at $split and gets the other $rest intact" \
			grep -q "^consumed=$rest bad=0 lost=0 corrupt=0 $(digest "$rest" "$split") " <<<"$rx2"
		check "domU2 produces records 0..$((split - 1)) into xshm-xen, then stops" \
			grep -q "^produced=$split next=$split " <<<"$tx2"
		check "domU2's restarted producer keeps the layout and sends the other $rest" \
			test "$(grep -c '^layout=kept ' <<<"$tx2")" = 1 -a \
			"$(grep -c "^produced=$rest next=$records " <<<"$tx2")" = 1
		check "domU1 consumes all $records records from xshm-xen intact across that restart" \
			grep -q "^consumed=$records bad=0 lost=0 corrupt=0 $(digest "$records" 0) " <<<"$rx1"
	fi

	# ---- xshm-bench from domU1 to domU2, each side in its own domain ----
	if [ -n "$info" ]; then
		guest_lines 1 bench | sed 's/^/# domU1: /'
		guest_lines 2 bench | sed 's/^/# domU2: /'
		check "xshm-bench --role send in domU1, --role recv in domU2 over xshm-owned: 20000 messages and 200 round trips, each checked" \
			test "$(guest_lines 1 bench-rc)" = 0 -a "$(guest_lines 2 bench-rc)" = 0 -a \
			"$(guest_lines 1 bench | grep -c '^throughput: 20000 messages in ')" = 1 -a \
			"$(guest_lines 1 bench | grep -c '^latency, one way .*, 200 rounds: p50 ')" = 1
	fi

	if grep -qE 'WARNING:|BUG:|Oops|Kernel panic' "$console"; then
		not_ok "no kernel warnings, oopses or panics in the guests"
		grep -E 'WARNING:|BUG:|Oops|Kernel panic' "$console" | head -n 10 | sed 's/^/# /'
	else
		ok "no kernel warnings, oopses or panics in the guests"
	fi

	# ---- Shapes Xen 4.17 does not support, and what it says about them ----
	# Each probes/*.layout is booted with an early-printk build of the same Xen
	# (messages from parsing the tree come before the console) and its
	# "# expect:" lines must appear, its "# absent:" lines must not.
	if [ "${XSHM_XEN_PROBES:-1}" = 1 ] && [ "$series" = 4.17 ]; then
		t2=$(date +%s)
		early=$'CONFIG_EARLY_UART_CHOICE_PL011=y\nCONFIG_EARLY_UART_BASE_ADDRESS=0x09000000'
		xen_early=$(XSHM_XEN=$series XEN_EXTRA_CONFIG=$early timeout 3600 scripts/xen/build-xen.sh \
			2>"$run/build-xen-early.log") || bail "early-printk Xen build failed"
		scripts/vm/make-initramfs.sh -o "$run/probe-initrd.gz" \
			-r selftests/xen/guest-run.sh -m "$ko"
		for layout in selftests/xen/probes/*.layout; do
			name=$(basename "$layout" .layout)
			dir=$out/$xname/probes/$name
			rm -rf "$dir"
			mkdir -p "$dir"
			XEN_GUEST_ARGS="console=ttyAMA0 loglevel=4 panic=-1 xshm.token=$token xshm.wait=5" \
				scripts/xen/make-host-dtb.sh "$dir" "$kernel" "$run/probe-initrd.gz" \
				"$layout" 2>/dev/null
			pdom=$(awk '$1 ~ /^[0-9]+$/ && $1 > m { m = $1 } END { print m }' "$layout")
			if grep -qx '# outcome: boots' "$layout"; then
				set -- "$pdom" XSHM-GUEST-END
			else
				set -- 1 'Reboot in five seconds'
			fi
			ended=yes
			timeout 300 scripts/xen/boot-dom0less.sh "$xen_early" "$dir" "$dir/console.raw" \
				"$1" 240 "$2" 2>"$dir/boot.log" || ended=no
			tr -d '\r' <"$dir/console.raw" >"$dir/console.log"
			missing=
			while IFS= read -r want; do
				grep -qF -- "$want" "$dir/console.log" || missing="$missing [$want]"
			done < <(sed -n 's/^# expect: //p' "$layout" | sed "s/@TOKEN@/$token/g")
			while IFS= read -r unwanted; do
				! grep -qF -- "$unwanted" "$dir/console.log" || missing="$missing [not: $unwanted]"
			done < <(sed -n 's/^# absent: //p' "$layout")
			outcome=$(sed -n 's/^# outcome: //p' "$layout")
			if [ "$ended" = yes ] && [ -z "$missing" ]; then
				ok "Xen 4.17 shape '$name' $outcome as recorded"
			else
				not_ok "Xen 4.17 shape '$name' $outcome as recorded (ended=$ended, missing:$missing; $dir/console.log)"
			fi
		done
		note "probes took $(($(date +%s) - t2))s"
	fi

	# ---- Doorbells: a static event channel between two domUs ----
	# (the guests need Linux 6.5 for IOCTL_EVTCHN_BIND_STATIC: not on 4.17's 6.1)
	if [ "$series" != 4.17 ] && [ "${XSHM_XEN_DOORBELL:-1}" = 1 ]; then
		nested "" < <(XSHM_DB_KERNEL=$krel selftests/xen/doorbell.sh "$series" 2>&1)
	fi

	note "console log: $out/$xname/console.log; guest trees: $fdt/"
	note "$xname took $(($(date +%s) - t0))s"
}

for series in ${XSHM_XENS-4.17 4.22}; do
	run_xen "$series"
	TAG=
done

# ---- The main job, as make demo runs it, with its totals asserted ----
# The bare-metal RT domain (rtdomain/) beside a Debian systemd domU on Xen
# 4.22; then the log checker against bad logs crafted from that run's log.
if [ "${XSHM_XEN_DEMO:-1}" = 1 ]; then
	demo=$top/build/demo-xen
	nested "" < <(scripts/demo/demo-xen.sh 2>&1)
	if [ -s "$demo/stored.log" ]; then
		nested "[demo] " < <(python3 selftests/demo/check-rtlog-test.py \
			"$demo/stored.log" "$demo/rt-console.log" "$demo/ring-stat.txt" 2>&1)
	else
		not_ok "[demo] the Xen demo stored a log to craft bad logs from"
	fi
fi
plan
