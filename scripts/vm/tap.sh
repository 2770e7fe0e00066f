# shellcheck shell=sh
# TAP lines for the test scripts of the guest harness: sourced by host
# scripts (bash) and, as /lib/xshm/tap.sh in every initramfs that
# make-initramfs.sh builds, by the guests' scripts (busybox sh).
#   result STATUS DESCRIPTION   "ok N DESCRIPTION" if STATUS is 0, else
#                               "not ok N ..." and failed=1
#   check DESCRIPTION CMD...    run CMD and give its result, with the time
#                               it took; the last $check_tail (15) lines it
#                               printed follow as comments if it failed, or
#                               always if check_verbose=1
#   step DESCRIPTION CMD...     (host scripts) run CMD into $STEP_LOG and
#                               give its result, prefixed by $TAG; its last
#                               40 lines follow as comments if it failed
n=0 failed=0
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=1
	fi
}

check() {
	_desc=$1
	shift
	_start=$(date +%s)
	"$@" >/tmp/check.out 2>&1
	_rc=$?
	result "$_rc" "$_desc ($(($(date +%s) - _start))s)"
	if [ "$_rc" -ne 0 ] || [ "${check_verbose:-0}" = 1 ]; then
		[ "$_rc" -eq 0 ] || echo "# exit $_rc"
		grep -v '^$' /tmp/check.out | tail -n "${check_tail:-15}" |
			sed 's/^\([^#]\)/# \1/'
	fi
}

step() {
	_desc=$1 _rc=0
	shift
	"$@" >"$STEP_LOG" 2>&1 || _rc=$?
	[ "$_rc" -eq 0 ] || sed 's/^/# /' "$STEP_LOG" | tail -n 40
	result "$_rc" "${TAG:-}$_desc"
	return "$_rc"
}
