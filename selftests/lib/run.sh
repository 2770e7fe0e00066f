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
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n $*"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $*"
}

# run "description" command...: one TAP line, the command's output as comments
check() {
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ -n "$out" ]; then
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
	if [ "$rc" -eq 0 ]; then ok "$desc"; else not_ok "$desc"; fi
}

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
[ "$failed" -eq 0 ] || built=0
if [ "$built" -eq 1 ]; then
	check "build unit tests" make -s -C selftests/lib -j"$JOBS" \
		"${test_args[@]}"
	[ "$failed" -eq 0 ] || built=0
fi

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
	for fn in $(grep -oE '\bxshm_[a-z0-9_]+\(' lib/libxshm/xshm.h |
		    tr -d '(' | sort -u); do
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

echo "1..$n"
[ "$failed" -eq 0 ]
