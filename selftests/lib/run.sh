#!/bin/bash
# libxshm unit tests and man page checks.  Builds the library and the tests,
# runs every test executable (kselftest harness, real files on tmpfs),
# checks that every man page renders without warnings and that every public
# call has a page.  TAP on stdout; exit status non-zero if anything failed.
#
# usage: selftests/lib/run.sh            (from anywhere)
#        SANITIZE=address,undefined selftests/lib/run.sh
set -eu
cd "$(dirname "$0")/../.."

TEST_TIMEOUT=${TEST_TIMEOUT:-120}	# seconds per test executable
JOBS=${JOBS:-2}
# shellcheck source=selftests/tap.sh
. selftests/tap.sh
# check: the command's output as comments, pass or fail
check_verbose=1 check_tail=100000

echo "TAP version 13"

# ---- build ------------------------------------------------------------------
# With SANITIZE, the library and the tests are both instrumented, in their
# own build directories.
out=build/selftests/lib
lib_args=()
test_args=()
if [ -n "${SANITIZE:-}" ]; then
	san=$PWD/build/selftests/lib-san-${SANITIZE//,/-}
	out=$san/tests
	lib_args=(BUILD="$san/lib" LDFLAGS="-fsanitize=$SANITIZE"
		  EXTRA_CFLAGS="-fsanitize=$SANITIZE -fno-omit-frame-pointer")
	test_args=(SANITIZE="$SANITIZE" LIBDIR="$san/lib" OUT="$out")
fi
built=1
check "build libxshm" make -s -C lib/libxshm -j"$JOBS" "${lib_args[@]}"
[ "$check_rc" -eq 0 ] || built=0
if [ "$built" -eq 1 ]; then
	check "build unit tests" make -s -C selftests/lib -j"$JOBS" \
		"${test_args[@]}"
	[ "$check_rc" -eq 0 ] || built=0
fi

# The EXAMPLES program of xshm(3), as a reader would copy it from the page;
# man_example_test runs it.
example=$out/xshm-man-example
build_example() {
	local san_flags=()
	[ -z "${SANITIZE:-}" ] || san_flags=(-fsanitize="$SANITIZE")
	selftests/lib/extract-man-example.sh man/man3/xshm.3 >"$example.c" &&
		"${CC:-cc}" -std=c11 -Wall -Wextra -Werror "${san_flags[@]}" \
			-Ilib/libxshm -o "$example" "$example.c" \
			"${san:-$PWD/build}/lib/libxshm.a"
}
if [ "$built" -eq 1 ]; then
	check "man: xshm(3) EXAMPLES program builds" build_example
fi
export XSHM_MAN_EXAMPLE=$example

# The committed conformance vectors are exactly what gen-vectors.c makes
# (vectors_test checks the verdicts).
vectors=$out/vectors
vectors_current() {
	local d=$vectors
	rm -rf "$d" && mkdir -p "$d" &&
		"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -Ilib/libxshm \
			-o "$d/gen-vectors" \
			Documentation/wire-format-vectors/gen-vectors.c &&
		"$d/gen-vectors" "$d" &&
		diff -r --exclude=gen-vectors.c --exclude=gen-vectors "$d" \
			Documentation/wire-format-vectors
}
check "wire format: the committed vectors are gen-vectors.c's output" \
	vectors_current

# ---- unit tests ---------------------------------------------------------------
for src in selftests/lib/*_test.c; do
	name=$(basename "$src" .c)
	bin=$out/$name
	if [ "$built" -ne 1 ] || [ ! -x "$bin" ]; then
		not_ok "$name # not built"
		continue
	fi
	# Nested kselftest TAP, indented as comments; stderr holds TH_LOG
	# reasons.  Through a file, not a pipe: a stray child of a failed test
	# must not keep us waiting for end-of-file.
	log=$out/$name.log
	rc=0
	timeout -k 5 "$TEST_TIMEOUT" "$bin" </dev/null >"$log" 2>&1 || rc=$?
	sed 's/^/# /' "$log"
	case $rc in
	0) ok "$name" ;;
	124) not_ok "$name # timed out after ${TEST_TIMEOUT}s" ;;
	*) not_ok "$name # exit status $rc" ;;
	esac
done

# ---- packaging ----------------------------------------------------------------
# make install into a DESTDIR, then build and run programs against the
# installed copy only, found through its pkg-config file.
pkg=$PWD/build/selftests/lib/pkg
ver_full=$(sed -n 's/^VERSION := //p' lib/libxshm/Makefile)
installed() {
	rm -rf "$pkg"
	make -s install PREFIX=/usr DESTDIR="$pkg/root" >"$pkg.log" 2>&1 ||
		{ cat "$pkg.log"; return 1; }
	local f missing=0
	for f in lib/libxshm.so.$ver_full lib/libxshm.a include/xshm.h \
		 include/xshm-peer.h include/xshm-wire.h include/xshm/linux/xshm.h \
		 lib/pkgconfig/libxshm.pc share/man/man3/xshm_ring_reserve.3 \
		 share/man/man1/xshm-logd.1 share/man/man1/xshm-bench.1 \
		 bin/xshm-info bin/xshm-ring bin/xshm-logd bin/xshm-bench lib/udev/rules.d/60-xshm.rules \
		 lib/systemd/system/xshm-logd.service; do
		[ -f "$pkg/root/usr/$f" ] || { echo "missing: /usr/$f"; missing=1; }
	done
	[ "$(readlink "$pkg/root/usr/lib/libxshm.so.1")" = libxshm.so.$ver_full ] &&
		[ "$(readlink "$pkg/root/usr/lib/libxshm.so")" = libxshm.so.1 ] ||
		{ echo "soname links wrong"; missing=1; }
	grep -qx 'prefix=/usr' "$pkg/root/usr/lib/pkgconfig/libxshm.pc" ||
		{ echo "pkg-config file does not record PREFIX"; missing=1; }
	grep -q "$pkg" "$pkg/root/usr/lib/pkgconfig/libxshm.pc" &&
		{ echo "DESTDIR leaked into the pkg-config file"; missing=1; }
	grep -q 'ExecStart=/usr/bin/xshm-logd' \
		"$pkg/root/usr/lib/systemd/system/xshm-logd.service" ||
		{ echo "unit does not name the installed daemon"; missing=1; }
	return $missing
}

# The calls xshm.h declares: prototypes, and the old names declared as
# "extern __typeof__(new_name) old_name;".
public_calls() {
	{ grep -oE '\bxshm_[a-z0-9_]+\(' lib/libxshm/xshm.h | tr -d '('
	  sed -n 's/^extern __typeof__(xshm_[a-z0-9_]*) \(xshm_[a-z0-9_]*\);$/\1/p' \
		lib/libxshm/xshm.h; } | sort -u
}

# Exported: every public call, versioned XSHM_1.0 or the version that
# added it, nothing else.
xshm_1_1="xshm_ring_sendv xshm_ring_recv_batch"
xshm_1_2="xshm_ring_push_sized xshm_ring_push_batch_sized xshm_ring_pop_sized"
xshm_1_2+=" xshm_ring_pop_batch_sized xshm_ring_pop_wait_sized xshm_ring_recv_wait"
xshm_1_3="xshm_doorbell_open xshm_doorbell_pair xshm_doorbell_close"
xshm_1_3+=" xshm_doorbell_fd xshm_doorbell_ack xshm_ring_doorbell xshm_ring_fd"
xshm_1_3+=" xshm_ring_wait xshm_ring_arm xshm_ring_disarm xshm_ring_doorbell_stats"
xshm_1_3+=" xshm_seqlock_doorbell xshm_seqlock_wait"
xshm_1_3+=" xshm_value_attach xshm_value_detach xshm_value_set_wait xshm_value_write"
xshm_1_3+=" xshm_value_read xshm_value_doorbell xshm_value_wait"
xshm_1_3+=" xshm_value_fd xshm_value_arm xshm_value_disarm xshm_value_doorbell_stats"
xshm_1_3+=" xshm_seqlock_fd xshm_seqlock_arm xshm_seqlock_disarm xshm_seqlock_doorbell_stats"
exports_versioned() {
	local so=$pkg/root/usr/lib/libxshm.so.$ver_full dyn bad ver
	readelf -d "$so" | grep -q 'SONAME.*\[libxshm\.so\.1\]' ||
		{ echo "no SONAME libxshm.so.1"; return 1; }
	dyn=$(objdump -T "$so" | awk '$2 == "g" && $4 == ".text" {print $6, $7}')
	bad=$(printf '%s\n' "$dyn" | grep -v -E '^XSHM_1\.[0123] xshm_' || true)
	[ -z "$bad" ] || { echo "exported outside XSHM_1.0-1.3: $bad"; return 1; }
	for fn in $(public_calls); do
		ver=XSHM_1.0
		case " $xshm_1_1 " in *" $fn "*) ver=XSHM_1.1 ;; esac
		case " $xshm_1_2 " in *" $fn "*) ver=XSHM_1.2 ;; esac
		case " $xshm_1_3 " in *" $fn "*) ver=XSHM_1.3 ;; esac
		printf '%s\n' "$dyn" | grep -qx "$ver $fn" ||
			{ echo "not exported as $ver: $fn"; return 1; }
	done
}

# A program built from the installed headers and pkg-config flags, shared
# and static, opens a file region, sends and receives a record.
builds_against_install() {
	local pc flags mode
	pc=(env PKG_CONFIG_SYSROOT_DIR="$pkg/root"
	    PKG_CONFIG_LIBDIR="$pkg/root/usr/lib/pkgconfig" pkg-config)
	cat >"$pkg/user.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <xshm.h>
#include <linux/xshm.h>

int main(int argc, char **argv)
{
	struct xshm_chan_spec c = { "log", XSHM_CHAN_RING_VAR,
				    XSHM_FULL_FAIL, 64, 1024 };
	struct xshm_region *r;
	struct xshm_ring *p, *q;
	char buf[64];

	(void)argc;
	if (sizeof(struct xshm_region_info) < XSHM_REGION_INFO_SIZE_VER0 ||
	    xshm_region_open_path(argv[1], XSHM_OPEN_CREATE, 65536, &r) ||
	    xshm_layout_init(r, &c, 1, 0) < 0 ||
	    xshm_ring_attach(r, "log", XSHM_PRODUCER, &p) ||
	    xshm_ring_attach(r, "log", XSHM_CONSUMER, &q) ||
	    xshm_ring_send(p, "hello", 5) ||
	    xshm_ring_recv(q, buf, sizeof(buf), NULL) != 5 ||
	    memcmp(buf, "hello", 5))
		return 1;
	printf("%s\n", xshm_version());
	return 0;
}
C
	for mode in shared static; do
		flags=$("${pc[@]}" --cflags --libs $([ $mode = static ] && echo --static) libxshm) ||
			return 1
		# shellcheck disable=SC2086
		cc -std=c11 -Wall -Werror -o "$pkg/user-$mode" "$pkg/user.c" \
			$flags $([ $mode = static ] && echo -static) || return 1
		rm -f "$pkg/region"
		LD_LIBRARY_PATH=$([ $mode = shared ] && echo "$pkg/root/usr/lib") \
			"$pkg/user-$mode" "$pkg/region" >"$pkg/version" ||
			{ echo "$mode: run failed"; return 1; }
		[ "$(cat "$pkg/version")" = "$("${pc[@]}" --modversion libxshm)" ] ||
			{ echo "$mode: xshm_version() $(cat "$pkg/version") is not libxshm.pc's"; return 1; }
	done
	LD_LIBRARY_PATH=$pkg/root/usr/lib ldd "$pkg/user-shared" | grep -q "libxshm.so.1 => $pkg/root/usr/lib/" ||
		{ echo "shared program does not use the installed library"; return 1; }
}

if [ -n "${SANITIZE:-}" ]; then
	: # packaging does not change with sanitizers
elif [ "$built" -eq 1 ]; then
	mkdir -p "$pkg"
	check "make install honours PREFIX and DESTDIR" installed
	check "libxshm.so.1 exports every public call as XSHM_1.0 (1.1: sendv, recv_batch; 1.2: _sized, recv_wait; 1.3: doorbells, xshm_value_*), nothing else" exports_versioned
	check "programs build from the installed headers and pkg-config file (shared and static) and run" builds_against_install
fi

# ---- man pages ----------------------------------------------------------------
# A page renders cleanly if neither groff (all warnings) nor man-db complains.
render_clean() {
	local page=$1 out
	out=$(cd man && groff -man -Tutf8 -ww -z "${page#man/}" 2>&1)
	if [ -n "$out" ]; then
		echo "groff: $out"
		return 1
	fi
	out=$(cd man && LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l \
		"${page#man/}" 2>&1 >/dev/null)
	if [ -n "$out" ]; then
		echo "man: $out"
		return 1
	fi
}

# An alias page is one ".so man3/target.3" line whose target exists.
alias_ok() {
	local page=$1 target
	target=$(sed -n 's/^\.so[[:space:]]\+//p' "$page")
	[ -n "$target" ] && [ -f "man/$target" ] && [ "$(wc -l <"$page")" -eq 1 ] ||
		{ echo "bad alias: $(cat "$page")"; return 1; }
	render_clean "$page"
}

# Every function declared in the public header has a page (or an alias).
every_call_documented() {
	local fn missing=0
	for fn in $(public_calls); do
		if [ ! -f "man/man3/$fn.3" ]; then
			echo "no man page for $fn"
			missing=1
		fi
	done
	return $missing
}

pages=$(ls man/man3/*.3 2>/dev/null || true)
if [ -z "$pages" ]; then
	not_ok "man pages present in man/man3"
else
	for page in $pages; do
		if grep -q '^\.so' "$page"; then
			check "man: $(basename "$page") alias resolves" alias_ok "$page"
		else
			check "man: $(basename "$page") renders without warnings" \
				render_clean "$page"
		fi
	done
fi
check "man: every call in xshm.h has a page" every_call_documented

plan
