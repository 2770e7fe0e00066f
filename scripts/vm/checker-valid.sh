#!/bin/sh
# Stand-in for the kernel's scripts/checker-valid.sh, which Debian's
# linux-kbuild-7.x packages lack (fetch-kernel.sh installs this one in its
# place).  Kbuild runs it as "checker-valid.sh CHECKER FLAGS..." for C=1 and
# runs the checker only if it prints 1: when the checker exists and parses
# what recent kernel headers use (__typeof_unqual__) without an error.
command -v "$1" >/dev/null 2>&1 || { echo 0; exit 0; }
src=$(mktemp --suffix=.c) || exit 1
trap 'rm -f "$src"' EXIT
printf '%s\n' 'int f(const int *p);' \
	'int f(const int *p) { __typeof_unqual__(*p) v = *p; return v; }' >"$src"
if "$@" "$src" 2>&1 | grep -q error; then
	echo 0
else
	echo 1
fi
