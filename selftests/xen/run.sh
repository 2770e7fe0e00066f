#!/bin/bash
# End to end on real Xen: build Xen 4.17 for arm64 with static shared
# memory (cached), boot it dom0less in QEMU with two Debian arm64 domUs
# sharing two regions (one owned by domU1, one owned by Xen), and check
# from the serial console that each guest sees the regions the host tree
# declares, that the xshm module binds them, and that 10^5 checksummed
# records cross each region through a libxshm ring.  TAP on stdout.
#
#   XSHM_XEN_RECORDS   records per direction      (default 100000)
#   XSHM_XEN_TIMEOUT   seconds for the whole boot (default 600)
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=$top/build/xen
records=${XSHM_XEN_RECORDS:-100000}
boot_limit=${XSHM_XEN_TIMEOUT:-600}
CROSS=aarch64-linux-gnu-

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
check() { # check DESCRIPTION COMMAND...: one TAP line from a command's status
	local what=$1
	shift
	if "$@" >>"$out/checks.log" 2>&1; then ok "$what"; else not_ok "$what"; fi
}
note() { echo "# $*"; }
bail() {
	echo "Bail out! $*"
	exit 1
}

rm -rf "$out/run"
mkdir -p "$out/run" "$out/fdt"
: >"$out/checks.log"
echo "TAP version 13"

# ---- Build: Xen, guest kernel, module, library and exchange program ----
t0=$(date +%s)
xen=$(timeout 3600 scripts/xen/build-xen.sh 2>"$out/run/build-xen.log") ||
	bail "Xen build failed: see $out/run/build-xen.log"
note "xen image $xen ($(($(date +%s) - t0))s, cached when unchanged)"
check "xen built with CONFIG_STATIC_SHM" \
	grep -qx 'CONFIG_STATIC_SHM=y' "$(dirname "$xen")/config"

root=$(timeout 900 scripts/vm/fetch-kernel.sh 2>"$out/run/fetch-kernel.log") ||
	bail "guest kernel download failed: see $out/run/fetch-kernel.log"
kabi=${XSHM_KABI:-6.1.0-56}
kernel=$root/boot/vmlinuz-$kabi-arm64
ko=$(timeout 600 scripts/vm/build-module.sh "$out/module" 2>"$out/run/build-module.log") ||
	bail "module build failed: see $out/run/build-module.log"

# libxshm and the exchange program, cross-built static for the guests and
# natively for the expected digest.
exchange=
if timeout 600 make -s -j2 -C lib/libxshm CC=${CROSS}gcc BUILD="$top/build/lib-arm64" \
	>"$out/run/build-lib.log" 2>&1 &&
	${CROSS}gcc -std=c11 -O2 -Wall -Wextra -Werror -static -Ilib/libxshm \
		-o "$out/run/xen-exchange" selftests/xen/xen-exchange.c \
		"$top/build/lib-arm64/libxshm.a" -pthread >>"$out/run/build-lib.log" 2>&1 &&
	timeout 600 make -s -j2 -C lib/libxshm BUILD="$top/build/lib" \
		>>"$out/run/build-lib.log" 2>&1 &&
	cc -std=c11 -O2 -Wall -Wextra -Werror -Ilib/libxshm -o "$out/run/xen-exchange-host" \
		selftests/xen/xen-exchange.c "$top/build/lib/libxshm.a" -pthread \
		>>"$out/run/build-lib.log" 2>&1; then
	exchange=$out/run/xen-exchange
	ok "libxshm and xen-exchange built for arm64 and the host"
else
	not_ok "libxshm and xen-exchange built for arm64 and the host"
	sed 's/^/# /' "$out/run/build-lib.log" | tail -n 20
fi

extra=("lib/modules/xen-static-shm.ko=$ko")
[ -z "$exchange" ] || extra+=("bin/xen-exchange=$exchange")
scripts/xen/make-initramfs.sh "$out/run/initrd.gz" "$root/bin/busybox" \
	selftests/xen/guest-init.sh "${extra[@]}"
# A fresh mark per run, so a mark read back can only come from this boot.
token=$(od -An -tx8 -N8 /dev/urandom | tr -d ' ')
XEN_GUEST_ARGS="console=ttyAMA0 loglevel=4 panic=-1 xshm.records=$records xshm.token=$token" \
	scripts/xen/make-host-dtb.sh "$out/run" "$kernel" "$out/run/initrd.gz" 2>/dev/null
note "build and preparation took $(($(date +%s) - t0))s"

# ---- Boot ----
t1=$(date +%s)
if timeout $((boot_limit + 30)) scripts/xen/boot-dom0less.sh "$xen" "$out/run" \
	"$out/run/console.raw" 2 "$boot_limit" 2>"$out/run/boot.log"; then
	ok "Xen boots dom0less and both domUs run to the end"
else
	not_ok "Xen boots dom0less and both domUs run to the end"
	sed 's/^/# /' "$out/run/boot.log"
fi
note "boot to both guests done: $(($(date +%s) - t1))s"
tr -d '\r' <"$out/run/console.raw" >"$out/run/console.log"
cp "$out/run/console.log" "$out/console.log"
console=$out/run/console.log

# Xen's own view: dom0less, the owner domain and DOMID_IO took the banks.
check "Xen reports dom0less mode" grep -q 'Xen dom0less mode detected' "$console"
check "Xen gives the owned region to domU1 (role owner)" \
	grep -q 'd1: allocate static shared memory BANK 0x0*60000000-0x0*60200000' "$console"
check "Xen gives the unowned region to DOMID_IO" \
	grep -q 'd\[IO\]: allocate static shared memory BANK 0x0*60200000-0x0*60300000' "$console"

# guest_lines D KEY: the values printed by domU D as "XSHM KEY value".
guest_lines() {
	sed -n "s/^(XEN) DOM$1: XSHM $2 //p" "$console"
}

# shm_decl D: "id guest-hex size-dec" for each region the host tree gives domU D.
shm_decl() {
	local dom=$1 node p
	for node in $(fdtget -l "$out/run/host.dtb" "/chosen/domU$dom"); do
		case $node in shm-*) ;; *) continue ;; esac
		p=/chosen/domU$dom/$node
		# xen,shared-mem = <host guest size>, one cell each here.
		set -- $(fdtget -t u "$out/run/host.dtb" "$p" xen,shared-mem)
		printf '%s %x %d\n' "$(fdtget -t s "$out/run/host.dtb" "$p" xen,shm-id)" "$2" "$3"
	done
}

# ---- Per guest: console, generated tree, driver binding ----
for d in 1 2; do
	role=$(guest_lines $d role)
	check "domU$d prints on the Xen console (role ${role:-none})" test -n "$role"

	dtb=$out/fdt/domU$d.dtb
	guest_lines $d fdt-b64 | base64 -d >"$dtb" 2>/dev/null || :
	size=$(guest_lines $d fdt-size)
	if [ -n "$size" ] && [ "$(stat -c %s "$dtb")" = "$size" ] &&
		dtc -q -I dtb -O dts -o "$out/fdt/domU$d.dts" "$dtb"; then
		ok "domU$d device tree from Xen decoded ($size bytes, $out/fdt/domU$d.dts)"
	else
		not_ok "domU$d device tree from Xen decoded"
	fi

	while read -r id guest sz; do
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

		line=$(guest_lines $d region | grep " name=$id " || :)
		want="name=$id size=$sz phys_addr=0x$guest offset=0x0 dev=yes"
		if [ -n "$line" ] && [ "${line#* }" = "$want" ]; then
			ok "domU$d driver binds $id: /dev/${line%% *} $want"
		else
			not_ok "domU$d driver binds $id: want '$want', got '${line:-nothing}'"
		fi
		peer=$((3 - d))
		check "domU$d reads through /dev/xshm what domU$peer wrote into $id" \
			grep -qx "$id d$peer-$token" < <(guest_lines $d peer-mark)
	done < <(shm_decl $d)

	check "domU$d loads the xshm module" test "$(guest_lines $d insmod)" = ok
	n_regions=$(guest_lines $d region | wc -l)
	check "domU$d has exactly the declared regions ($n_regions)" \
		test "$n_regions" -eq "$(shm_decl $d | wc -l)"
done

# ---- The exchange, both directions ----
if [ -n "$exchange" ]; then
	want=$("$out/run/xen-exchange-host" expect "$records")
	for pair in "1 2 xshm-owned" "2 1 xshm-xen"; do
		set -- $pair
		prod=$(guest_lines "$1" exchange | grep -E '^(produced|error)=' | head -n1 || :)
		cons=$(guest_lines "$2" exchange | grep -E '^(consumed|error)=' | head -n1 || :)
		note "domU$1 -> domU$2 via $3: producer: ${prod:-nothing}"
		note "domU$1 -> domU$2 via $3: consumer: ${cons:-nothing}"
		check "domU$1 produces $records records into $3" \
			grep -q "^produced=$records " <<<"$prod"
		check "domU$2 consumes $records records from $3, all intact ($want)" \
			grep -q "^consumed=$records bad=0 lost=0 corrupt=0 $want " <<<"$cons"
	done
fi

if grep -qE 'WARNING:|BUG:|Oops|Kernel panic' "$console"; then
	not_ok "no kernel warnings, oopses or panics in the guests"
	grep -E 'WARNING:|BUG:|Oops|Kernel panic' "$console" | head -n 10 | sed 's/^/# /'
else
	ok "no kernel warnings, oopses or panics in the guests"
fi

echo "1..$n"
note "console log: $out/console.log; guest trees: $out/fdt/"
[ "$failed" -eq 0 ]
