#!/bin/bash
# The main job, as a test: the host demo (a plain file) and the two-guest
# demo (two arm64 guests under QEMU, the producer's guest reset midway).
# Each demo checks stored = produced - lost itself; this suite also checks
# that the report is whole and that the demo exercised what it claims:
# records stored, records dropped and announced, and (two guests) a second
# boot of the producer's guest that resumed the sequence.  Prints TAP.
set -u
cd "$(dirname "$0")/../.."
out=build/selftests/demo
mkdir -p "$out"
# shellcheck source=selftests/tap.sh
. selftests/tap.sh

# total NAME FILE: the figure of the totals row NAME
total() { sed -n "s|^  $1 *\([0-9][0-9]*\)\$|\1|p" "$2" | tail -n 1; }

# demo_ok LOG: the report's totals agree and show drops and storage
demo_ok() {
	local log=$1 produced stored lost trailing dropped errors
	produced=$(total 'produced (ring seq numbers)' "$log")
	stored=$(total 'stored in .*log' "$log")
	lost=$(total 'lost, announced in the log' "$log")
	trailing=$(total 'lost after the last record' "$log")
	dropped=$(total 'dropped (ring counter)' "$log")
	errors=$(total 'order/duplicate errors' "$log")
	echo "# produced $produced stored $stored lost $lost+$trailing dropped $dropped errors $errors"
	[ -n "$produced" ] && [ -n "$stored" ] && [ -n "$lost" ] &&
		[ -n "$trailing" ] && [ -n "$dropped" ] && [ -n "$errors" ] || {
		echo "# the totals are incomplete"; return 1; }
	[ "$errors" -eq 0 ] &&
		[ "$stored" -eq $((produced - lost - trailing)) ] &&
		[ $((lost + trailing)) -eq "$dropped" ] &&
		[ "$stored" -gt 0 ] && [ "$lost" -gt 0 ] &&
		grep -q 'stored = produced - lost: .*: PASS$' "$log"
}

run_demo() {	# run_demo NAME LOG COMMAND...: one TAP line
	local name=$1 log=$2 rc=0 start=$SECONDS
	shift 2
	"$@" >"$log" 2>&1 || rc=$?
	sed -n '/^== totals/,$p' "$log" | sed 's/^/# /'
	if [ "$rc" -eq 0 ] && demo_ok "$log" && "${check_more:-true}" "$log"; then
		ok "$name ($((SECONDS - start))s)"
	else
		[ "$rc" -eq 0 ] || { echo "# exit status $rc; the end of $log:"; tail -n 20 "$log" | sed 's/^/#   /'; }
		not_ok "$name"
	fi
}

echo "TAP version 13"
make -s tools >"$out/build.log" 2>&1 || { cat "$out/build.log"; }
run_demo "make demo-host: stored = produced - lost, drops announced" \
	"$out/demo-host.log" scripts/demo/demo-host.sh

# the producer's guest was reset and its second boot resumed the sequence
# where the first left it (first-seq > 0), not from 0
second_boot() {
	sed -n '/^== guest "rt", second boot/,/^== guest "linux"/p' "$1" |
		grep -Eq '^  sent [0-9]+ dropped [0-9]+ first-seq [1-9][0-9]* ' ||
		{ echo "# no second boot of guest rt that resumed the sequence"; return 1; }
}
if [ -n "${XSHM_SKIP_VM:-}" ]; then
	skip "make demo" "XSHM_SKIP_VM is set"
elif ! command -v qemu-system-aarch64 >/dev/null; then
	skip "make demo" "needs qemu-system-aarch64"
else
	check_more=second_boot run_demo \
		"make demo: two arm64 guests, producer's guest reset midway, stored = produced - lost" \
		"$out/demo-vm.log" scripts/demo/demo-vm.sh
fi

plan
