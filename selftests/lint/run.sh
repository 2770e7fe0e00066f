#!/bin/bash
# The lint suite: shellcheck over every shell script git tracks, one TAP
# line per script, following what it sources (-x: selftests/tap.sh, ...).  At error severity (parse errors and real mistakes such
# as SC2145); warnings and notes are printed as comments, not failed.
# The checker comes from Debian's shellcheck package (scripts/install-deps.sh).
#
# usage: selftests/lint/run.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=selftests/tap.sh
. selftests/tap.sh

echo "TAP version 13"
if ! command -v shellcheck >/dev/null; then
	not_ok "shellcheck is installed (scripts/install-deps.sh)"
	plan
	exit 1
fi
mapfile -t scripts < <(git ls-files '*.sh' 'scripts/demo/*' 2>/dev/null |
	while read -r f; do
		[ -f "$f" ] && head -n1 "$f" | grep -q '^#!.*sh' && echo "$f"
	done)
for f in "${scripts[@]}"; do
	rc=0
	out=$(shellcheck -x -S error -f gcc "$f" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
	result "$rc" "shellcheck finds no error in $f"
	shellcheck -x -S warning -f gcc "$f" 2>/dev/null | sed 's/^/# warning: /'
done
plan
