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

# shellcheck source=selftests/tap.sh
. selftests/tap.sh
echo "TAP version 13"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for check in "$@"; do
	if [ "$check" = probe-errors ] && [ -n "${XSHM_SKIP_VM:-}" ]; then
		skip "$check" "boots a guest: XSHM_SKIP_VM is set"
		continue
	fi
	# The arm64 check may download the guest kernel headers first.
	rc=0
	timeout -k 10 1200 scripts/kernel-checks.sh "$check" >"$log" 2>&1 </dev/null || rc=$?
	result "$rc" "$check"
	sed 's/^/# /' "$log"
done
echo "# $nfailed of $n checks failed"
plan
