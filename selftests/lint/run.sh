#!/bin/bash
# The lint suite: shellcheck over every shell script git tracks, one TAP
# line per script.  At error severity (parse errors and real mistakes such
# as SC2145); warnings and notes are printed as comments, not failed.
# The checker comes from Debian's shellcheck package (scripts/install-deps.sh).
#
# usage: selftests/lint/run.sh
set -u
cd "$(dirname "$0")/../.." || exit 1

echo "TAP version 13"
if ! command -v shellcheck >/dev/null; then
	echo "1..1"
	echo "not ok 1 shellcheck is installed (scripts/install-deps.sh)"
	exit 1
fi
mapfile -t scripts < <(git ls-files '*.sh' 'scripts/demo/*' 2>/dev/null |
	while read -r f; do
		[ -f "$f" ] && head -n1 "$f" | grep -q '^#!.*sh' && echo "$f"
	done)
echo "1..${#scripts[@]}"
n=0 failed=0
for f in "${scripts[@]}"; do
	n=$((n + 1))
	if out=$(shellcheck -S error -f gcc "$f" 2>&1); then
		echo "ok $n shellcheck finds no error in $f"
	else
		failed=$((failed + 1))
		printf '%s\n' "$out" | sed 's/^/# /'
		echo "not ok $n shellcheck finds no error in $f"
	fi
	shellcheck -S warning -f gcc "$f" 2>/dev/null | sed 's/^/# warning: /'
done
[ "$failed" -eq 0 ]
