# shellcheck shell=sh
# The one TAP helper of the test tree: sourced by every suite's run.sh
# (bash) and, as /lib/xshm/tap.sh in every initramfs that
# scripts/vm/make-initramfs.sh builds, by the guests' scripts (busybox sh).
# selftests/tools/lib.sh has its own tap() for that suite's subshells.
#   result STATUS DESCRIPTION   "ok N DESCRIPTION" if STATUS is 0, else
#                               "not ok N ..."; DESCRIPTION is prefixed
#                               by $TAG ("[xen-4.22] ", "[6.1] ", ...)
#   ok DESCRIPTION / not_ok DESCRIPTION
#                               result 0 / result 1
#   skip DESCRIPTION REASON     "ok N DESCRIPTION # SKIP REASON"
#   check DESCRIPTION CMD...    run CMD and give its result, with the time
#                               it took; the last $check_tail (15) lines it
#                               printed follow as comments if it failed, or
#                               always if check_verbose=1; with
#                               $CHECK_LOG set, it goes there instead.
#                               Returns 0 (scripts under set -e go on);
#                               CMD's status is in $check_rc
#   step DESCRIPTION CMD...     (host scripts) run CMD into $STEP_LOG and
#                               give its result; its last 40 lines follow
#                               as comments if it failed; returns CMD's
#                               status
#   nested PREFIX               read another TAP stream on stdin and give
#                               its results as ours ("ok N - x", "ok N x"
#                               or "ok - x" becomes "ok M PREFIXx"), its other
#                               lines as comments; its plan is dropped
#   plan                        "1..N" (at the end), then STATUS: 0 if
#                               nothing failed
# $failed is 1 once a test failed (the exit status), $nfailed counts them.
n=0 failed=0 nfailed=0
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n ${TAG:-}$2"
	else
		echo "not ok $n ${TAG:-}$2"
		failed=1
		nfailed=$((nfailed + 1))
	fi
}
ok() { result 0 "$*"; }
not_ok() { result 1 "$*"; }
skip() { n=$((n + 1)); echo "ok $n ${TAG:-}$1 # SKIP $2"; }

check() {
	_desc=$1 _out=${TMPDIR:-/tmp}/check.$$
	shift
	_start=$(date +%s) _rc=0
	"$@" >"$_out" 2>&1 || _rc=$?
	result "$_rc" "$_desc ($(($(date +%s) - _start))s)"
	if [ -n "${CHECK_LOG:-}" ]; then
		cat "$_out" >>"$CHECK_LOG"
	elif [ "$_rc" -ne 0 ] || [ "${check_verbose:-0}" = 1 ]; then
		[ "$_rc" -eq 0 ] || echo "# exit $_rc"
		sed -e '/^$/d' -e 's/^\([^#]\)/# \1/' "$_out" |
			tail -n "${check_tail:-15}"
	fi
	rm -f "$_out"
	check_rc=$_rc
}

step() {
	_desc=$1 _rc=0
	shift
	"$@" >"$STEP_LOG" 2>&1 || _rc=$?
	[ "$_rc" -eq 0 ] || sed 's/^/# /' "$STEP_LOG" | tail -n 40
	result "$_rc" "$_desc"
	return "$_rc"
}

nested() {
	while IFS= read -r _line; do
		case $_line in
		"ok "*) _st=0 _line=${_line#ok } ;;
		"not ok "*) _st=1 _line=${_line#not ok } ;;
		1..*) continue ;;
		"#"*) echo "$_line"; continue ;;
		*) echo "# $_line"; continue ;;
		esac
		_line=${_line#"${_line%%[!0-9]*}"}	# the number
		_line=${_line# }
		_line=${_line#- }
		result "$_st" "$1$_line"
	done
}

plan() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
