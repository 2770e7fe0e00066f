#!/bin/bash
# Extract the kernel's kselftest helpers (kselftest_harness.h, kselftest.h)
# from Debian's linux-source-6.1 tarball into a build directory, so that test
# suites can use the harness without the project committing kernel files.
#
# usage: selftests/extract-kselftest.sh [outdir]   (default build/selftests-include)
# Prints the output directory.  Does nothing if the headers are already there.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/selftests-include}
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
headers="kselftest_harness.h kselftest.h"

have_all=1
for h in $headers; do
	[ -s "$out/$h" ] || have_all=0
done
if [ "$have_all" -eq 1 ]; then
	echo "$out"
	exit 0
fi

if [ ! -r "$tarball" ]; then
	echo "extract-kselftest: $tarball missing (apt-get install linux-source-6.1)" >&2
	exit 1
fi

# The tarball's top directory name follows the package version: find it.
topdir=$(tar -tJf "$tarball" 2>/dev/null | head -n 1 | cut -d/ -f1) || true
if [ -z "$topdir" ]; then
	echo "extract-kselftest: cannot read $tarball" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
members=
for h in $headers; do
	members="$members $topdir/tools/testing/selftests/$h"
done
# shellcheck disable=SC2086
tar -xJf "$tarball" -C "$tmp" --occurrence=1 $members

mkdir -p "$out"
for h in $headers; do
	# Write through a temporary name so a parallel reader never sees half a file.
	cp "$tmp/$topdir/tools/testing/selftests/$h" "$out/.$h.tmp"
	mv "$out/.$h.tmp" "$out/$h"
done
echo "$out"
