# shellcheck shell=bash
# Sourced by test suites that run programs which fork.
# bounded <seconds> <command...>: run it in its own process group and, when
# it ends or times out, kill whatever it left behind (forked children)
bounded() {
	local limit=$1 pid rc=0
	shift
	setsid timeout -k 5 "$limit" "$@" &
	pid=$!
	wait "$pid" || rc=$?
	kill -KILL -- "-$pid" 2>/dev/null || true
	return "$rc"
}
