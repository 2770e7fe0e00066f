#!/bin/bash
# Static checks of the kernel driver, its user ABI header and its
# device-tree binding, as TAP: one test per check of
# scripts/kernel-checks.sh (see there), its log as "#" lines.
# Run from anywhere; exits non-zero if a check failed.
set -eu

cd "$(dirname "$0")/../.."
checks=$(scripts/kernel-checks.sh list)
# shellcheck disable=SC2086
set -- $checks

echo "TAP version 13"
echo "1..$#"
n=0 failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for check in "$@"; do
	n=$((n + 1))
	if [ "$check" = probe-errors ] && [ -n "${XSHM_SKIP_VM:-}" ]; then
		echo "ok $n $check # SKIP boots a guest: XSHM_SKIP_VM is set"
		continue
	fi
	# The arm64 check may download the guest kernel headers first.
	if timeout -k 10 1200 scripts/kernel-checks.sh "$check" >"$log" 2>&1 </dev/null; then
		echo "ok $n $check"
	else
		echo "not ok $n $check"
		failed=$((failed + 1))
	fi
	sed 's/^/# /' "$log"
done
echo "# $failed of $n checks failed"
[ "$failed" -eq 0 ]
