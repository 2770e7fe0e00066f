# shellcheck shell=bash
# shellcheck disable=SC2015 # "A && B || fail" means: fail if A or B fails
# Sourced by run.sh: the convention of xshm(7), tool by tool.

ALL_TOOLS="$INFO $RING $LOGD $LOGCAT $BENCH $RTSIM"
lib_version=$(sed -n 's/^VERSION := //p' lib/libxshm/Makefile)

t_cli_help_version() {
	local t name o
	for t in $ALL_TOOLS; do
		name=${t##*/}
		for o in -h --help; do
			expect_rc 0 "$t" "$o" && [ ! -s "$W/err" ] &&
			has "$W/out" "^usage: $name " &&
			has "$W/out" '^  -q, --quiet ' && has "$W/out" '^  -v, --verbose ' &&
			has "$W/out" '^  -V, --version ' &&
			has "$W/out" '^Exit status \(xshm\(7\)\): 0 ok, 1 runtime error, 2 usage error, 3 incomplete$' ||
				{ echo "$name $o"; return 1; }
		done
		for o in -V --version; do
			expect_rc 0 "$t" "$o" && [ ! -s "$W/err" ] &&
			[ "$(cat "$W/out")" = "$name (xshm) $lib_version" ] ||
				{ echo "$name $o"; return 1; }
		done
	done
}
tap "cli: every tool has -h/--help (common options, exit codes) and -V/--version" t_cli_help_version

# usage_error_is NAME: one line naming the problem, then the hint; exit 2
usage_error_is() {
	[ ! -s "$W/out" ] && [ "$(wc -l <"$W/err")" = 2 ] &&
	has "$W/err" "^$1: " &&
	[ "$(tail -n 1 "$W/err")" = "Try '$1 --help' for more information." ] ||
		{ echo "not a one-line usage error:"; cat "$W/err"; return 1; }
}

t_cli_usage_errors() {
	local t name o
	for t in $ALL_TOOLS; do
		name=${t##*/}
		expect_rc 2 "$t" --no-such-option && usage_error_is "$name" &&
		has "$W/err" "unrecognized option '--no-such-option'" &&
		expect_rc 2 "$t" -Z && usage_error_is "$name" || { echo "$name"; return 1; }
	done
	# a bad value, a missing or an extra argument: the same shape
	expect_rc 2 "$RING" && usage_error_is xshm-ring && has "$W/err" 'missing COMMAND' &&
	expect_rc 2 "$RING" recv "$W/x.shm" log -n 0 && usage_error_is xshm-ring &&
	expect_rc 2 "$RING" recv --json "$W/x.shm" log && usage_error_is xshm-ring &&
	expect_rc 2 "$INFO" extra && usage_error_is xshm-info && has "$W/err" 'unexpected argument "extra"' &&
	expect_rc 2 "$INFO" -p 3 && usage_error_is xshm-info &&
	expect_rc 2 "$LOGD" && usage_error_is xshm-logd && has "$W/err" 'no REGION' &&
	expect_rc 2 "$LOGD" -k -1 "$W/x.shm" log && usage_error_is xshm-logd &&
	expect_rc 2 "$BENCH" -s 4 "$W/x.shm" && usage_error_is xshm-bench &&
	expect_rc 2 "$BENCH" && usage_error_is xshm-bench &&
	expect_rc 2 "$RTSIM" -r 0 "$W/x.shm" log && usage_error_is xshm-rtsim &&
	expect_rc 2 "$RTSIM" "$W/x.shm" && usage_error_is xshm-rtsim &&
	# a ring command on a value: the wrong type of channel is a usage error
	newregion "$W/cli.shm" log:var:4K cfg:seqlock:8 &&
	expect_rc 2 "$RING" recv "$W/cli.shm" cfg && usage_error_is xshm-ring &&
	expect_rc 2 "$LOGD" --once -d "$W" "$W/cli.shm" cfg && usage_error_is xshm-logd
}
tap "cli: a usage error is one line plus the hint to --help, exit 2, in every tool" t_cli_usage_errors

t_cli_quiet_verbose() {
	local f=$W/qv.shm
	rm -f "$f" &&
	# init: the status line goes with -q; -v says what was opened
	expect_rc 0 "$RING" -C 64K -q init "$f" -c log:var:4K:drop &&
	[ ! -s "$W/out" ] && [ ! -s "$W/err" ] &&
	expect_rc 0 "$RING" -v init "$f" -c log:var:4K:drop &&
	has "$W/out" '^kept layout generation' &&
	has "$W/err" "^xshm-ring: $f: 65536 bytes, a valid layout\$" &&
	# send: accepted drops are said, but not with -q
	seq 1 1000 >"$W/lines" &&
	expect_rc 0 "$RING" send --allow-drops "$f" log <"$W/lines" && has "$W/err" 'records dropped' &&
	expect_rc 0 "$RING" send --allow-drops -q "$f" log <"$W/lines" && [ ! -s "$W/err" ] &&
	# errors are never silenced
	expect_rc 3 "$RING" send -q "$f" log <"$W/lines" && has "$W/err" 'records dropped' &&
	expect_rc 1 "$RING" -q recv "$W/none.shm" log && has "$W/err" 'no such file' &&
	# xshm-logd's summary at the end goes with -q
	expect_rc 0 "$LOGD" --once -d "$W" "$f" log && has "$W/err" 'stopped: ring "log"' &&
	expect_rc 0 "$LOGD" --once -q -d "$W" "$f" log && [ ! -s "$W/err" ] &&
	expect_rc 0 "$RTSIM" -v -n 10 -r 10000 "$f" log && has "$W/err" "ring \"log\" from seq [0-9]+, 10000 records/s"
}
tap "cli: -q leaves errors only, -v adds detail" t_cli_quiet_verbose

t_cli_json() {	# --json wherever a table or a summary is printed
	local f=$W/js.shm
	rm -f "$f" &&
	expect_rc 0 "$RING" -C 64K --json init "$f" -c log:var:4K -c fx:fixed:4:8 &&
	json "$W/out" "d['kept'] is False and d['channels'] == 2" &&
	printf 'one\ntwo\n' | "$RING" send "$f" log &&
	printf 'slot\n' | "$RING" send "$f" fx &&
	expect_rc 0 "$RING" peek --json "$f" log &&
	json "$W/out" "d['channel'] == 'log' and [(r['seq'], r['len'], r['lost'], r['data']) for r in d['records']] == [(0, 3, 0, 'one'), (1, 3, 0, 'two')]" &&
	expect_rc 0 "$RING" peek --json -n 1 "$f" fx &&
	json "$W/out" "d['records'] == [{'data': 'slot'}]" &&
	expect_rc 0 "$RING" stat --json "$f" && json "$W/out" "len(d['channels']) == 2" &&
	expect_rc 0 "$INFO" --json -r "$f" && json "$W/out" "d['regions'][0]['layout']['valid']" &&
	expect_rc 0 "$RTSIM" --json -n 5 -r 10000 "$f" log &&
	json "$W/out" "d['sent'] + d['dropped'] == 5 and d['next_seq'] == d['first_seq'] + d['sent']" &&
	expect_rc 0 "$BENCH" --json -n 1000 -l 10 -C 1M "$W/jsb.shm" &&
	json "$W/out" "d['throughput']['messages'] == 1000"
}
tap "cli: --json for every table or summary (init, peek, stat, xshm-info, xshm-rtsim, xshm-bench)" t_cli_json

t_cli_doc() {	# written down once, and each tool's page points there
	local t
	[ -f man/man7/xshm.7 ] &&
	LC_ALL=C groff -man -Tutf8 -ww -z man/man7/xshm.7 2>"$W/groff.err" && [ ! -s "$W/groff.err" ] &&
	LC_ALL=C MANWIDTH=200 groff -man -Tutf8 man/man7/xshm.7 2>/dev/null | col -b >"$W/xshm.7.txt" &&
	for c in 0 1 2 3 4 5; do
		grep -qE "^ +$c +[A-Z][a-z]" "$W/xshm.7.txt" || { echo "exit $c undocumented"; return 1; }
	done &&
	for t in xshm-info xshm-ring xshm-logd xshm-logcat xshm-bench xshm-rtsim; do
		grep -q '^\.BR xshm (7)' "man/man1/$t.1" || { echo "$t.1 does not point to xshm(7)"; return 1; }
	done
}
tap "cli: the convention and the exit codes are written down in xshm(7)" t_cli_doc
