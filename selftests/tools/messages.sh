# shellcheck shell=bash
# Sourced by run.sh: messages that name the cause and the object, with
# the sizes involved, and the exit code of each (cli.h, xshm(7)).

t_msg_not_found() {
	expect_rc 1 "$RING" recv "$W/nowhere/r.shm" log &&
	has "$W/err" "^xshm-ring: $W/nowhere/r.shm: no such file\$" &&
	expect_rc 1 "$INFO" -r "$W/none.shm" &&
	has "$W/err" "^xshm-info: $W/none.shm: no such file\$" &&
	expect_rc 1 "$LOGD" --once -d "$W" "$W/none.shm" log &&
	has "$W/err" "^xshm-logd: $W/none.shm: no such file\$" &&
	expect_rc 1 "$RTSIM" -n 1 "$W/none.shm" log &&
	has "$W/err" "^xshm-rtsim: $W/none.shm: no such file\$" &&
	expect_rc 1 "$BENCH" "$W/none.shm" &&
	has "$W/err" "^xshm-bench: $W/none.shm: no such file\$" &&
	# a bare word is a xen,id first, then a file in the current directory
	expect_rc 1 "$RING" recv no-such-region log &&
	has "$W/err" '^xshm-ring: no-such-region: no region with that xen,id and no such file$' &&
	expect_rc 1 "$RING" recv 77 log &&
	has "$W/err" '^xshm-ring: /dev/xshm77: no such device \(is the xshm driver loaded\? see xshm-info\)$'
}
tap "messages: a region not found names the path (file, xen,id or device), exit 1" t_msg_not_found

t_msg_too_small() {
	local need
	rm -f "$W/small.shm" && head -c 4096 /dev/zero >"$W/small.shm" &&
	expect_rc 1 "$RING" init "$W/small.shm" -c log:var:64K &&
	has "$W/err" "^xshm-ring: region file $W/small.shm is 4096 bytes, the layout needs at least [0-9]+\$" &&
	need=$(sed -n 's/.*needs at least //p' "$W/err") &&
	# the figure is the library's: one byte less fails, that size works
	rm -f "$W/exact.shm" && expect_rc 1 "$RING" -C $((need - 1)) init "$W/exact.shm" -c log:var:64K &&
	has "$W/err" "is $((need - 1)) bytes, the layout needs at least $need\$" &&
	expect_rc 0 "$RING" -C "$need" init "$W/exact.shm" -c log:var:64K &&
	# an empty file: the same explanation for init, "no layout" otherwise
	: >"$W/empty.shm" &&
	expect_rc 1 "$RING" init "$W/empty.shm" -c log:var:64K -c v:lww:16:4 &&
	has "$W/err" "^xshm-ring: region file $W/empty.shm is 0 bytes, the layout needs at least [0-9]+\$" &&
	expect_rc 1 "$LOGD" --once -c log:var:64K -d "$W" "$W/small.shm" log &&
	has "$W/err" "^xshm-logd: region file $W/small.shm is 4096 bytes, the layout needs at least $need\$" &&
	expect_rc 1 "$RTSIM" -n 1 -c log:var:64K "$W/small.shm" log &&
	has "$W/err" "^xshm-rtsim: region file $W/small.shm is 4096 bytes, the layout needs at least $need\$"
}
tap "messages: a region too small says its size and the size the layout needs, exit 1" t_msg_too_small

t_msg_no_layout() {
	local f=$W/nolayout.shm
	rm -f "$f" && head -c 65536 /dev/zero >"$f" && : >"$W/empty.shm" &&
	expect_rc 4 "$RING" recv "$f" log &&
	has "$W/err" "^xshm-ring: $f holds no xshm layout \(run 'xshm-ring init $f --chan SPEC\.\.\.' first\)\$" &&
	expect_rc 4 "$RING" send "$W/empty.shm" log </dev/null &&
	has "$W/err" "^xshm-ring: region file $W/empty.shm is 0 bytes and holds no xshm layout \(run 'xshm-ring --create SIZE init $W/empty.shm --chan SPEC\.\.\.' first\)\$" &&
	expect_rc 4 "$INFO" -r "$f" && has "$W/out" "layout: $f holds no xshm layout" &&
	expect_rc 4 "$INFO" --json -r "$f" &&
	json "$W/out" "'holds no xshm layout' in d['regions'][0]['layout']['error']" &&
	expect_rc 4 "$LOGD" --once -w 0 -d "$W" "$f" log && has "$W/err" "$f holds no xshm layout" &&
	head -c 32 /dev/zero >"$W/tiny.shm" &&
	expect_rc 4 "$RING" stat "$W/tiny.shm" &&
	has "$W/out" "region file $W/tiny.shm is 32 bytes, a layout needs at least 64"
}
tap "messages: a region without a layout says so and how to make one, exit 4" t_msg_no_layout
