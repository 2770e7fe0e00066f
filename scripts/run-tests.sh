#!/bin/bash
# Run every test suite (selftests/<suite>/run.sh), keep each suite's TAP
# output in build/test-logs/<suite>.tap, and print one total line.
#
# usage: scripts/run-tests.sh [suite...]     (default: all, in the order below)
set -u
cd "$(dirname "$0")/.."

ALL_SUITES="lint kernel-checks memory-model lib stress sanitizers driver systemd tools demo bench xen"
suites=${*:-$ALL_SUITES}
logs=build/test-logs
mkdir -p "$logs"

pass=0 fail=0 skip=0 bad_suites=
for s in $suites; do
	runner=selftests/$s/run.sh
	log=$logs/$s.tap
	echo "### suite $s"
	if [ ! -x "$runner" ]; then
		echo "not ok - suite $s: $runner missing" | tee "$log"
		fail=$((fail + 1)); bad_suites="$bad_suites $s"
		continue
	fi
	start=$(date +%s)
	"$runner" 2>"$logs/$s.err" | tee "$log"
	rc=${PIPESTATUS[0]}
	# Count top-level and nested TAP results ("ok 3 x", "# ok 3 x" from kselftest).
	p=$(grep -cE '^(# )*ok [0-9]+' "$log" | head -1)
	sk=$(grep -cE '^(# )*ok [0-9]+.*# *SKIP' "$log" | head -1)
	f=$(grep -cE '^(# )*not ok [0-9]+' "$log" | head -1)
	p=$((p - sk))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - suite $s exited with status $rc (stderr: $logs/$s.err)"
		tail -n 20 "$logs/$s.err" | sed 's/^/# /'
	fi
	[ "$rc" -eq 0 ] && [ "$f" -eq 0 ] || bad_suites="$bad_suites $s"
	echo "# suite $s: $p passed, $f failed, $sk skipped in $(( $(date +%s) - start ))s"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + sk))
done

[ -z "$bad_suites" ] || echo "# failing suites:$bad_suites"
echo "total: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ -z "$bad_suites" ]
