# shellcheck shell=bash
# Sourced by run.sh: xshm-rtsim, whose data path is xshm-peer.h alone,
# against libxshm's consumer (xshm-ring) on every full policy.

rtsim_counts() {	# rtsim_counts OUT SENT DROPPED FIRST NEXT: its summary
	has "$1" "^sent $2 dropped $3 first-seq $4 next-seq $5\$"
}

t_rtsim_init() {
	local f=$W/rt-init.shm
	rm -f "$f" && head -c 1048576 /dev/urandom >"$f" &&
	# over garbage: the peer's initialiser writes the layout
	expect_rc 0 "$RTSIM" -c log:var:64K:drop -n 100 -r 100000 "$f" log &&
	rtsim_counts "$W/out" 100 0 0 100 &&
	expect_rc 0 "$RING" stat --json "$f" log &&
	json "$W/out" "d['channels'][0]['policy'] == 'drop' and int(d['channels'][0]['produced']) == 100" &&
	expect_rc 0 "$RING" recv "$f" log &&
	[ "$(wc -l <"$W/out")" = 100 ] &&
	has "$W/out" '^rtsim seq=0 t=' && has "$W/out" '^rtsim seq=99 t=' &&
	# the same channels again: the layout and its numbering are kept
	expect_rc 0 "$RTSIM" -c log:var:64K:drop -n 10 -r 100000 "$f" log &&
	rtsim_counts "$W/out" 10 0 100 110 &&
	expect_rc 0 "$RING" recv "$f" log &&
	[ "$(head -n 1 "$W/out" | cut -d' ' -f2)" = seq=100 ] &&
	[ "$(wc -l <"$W/out")" = 10 ]
}
tap "xshm-rtsim --init: the peer's initialiser writes a layout over garbage, keeps it on a rerun; xshm-ring reads every record" t_rtsim_init

t_rtsim_full() {
	local f=$W/rt-full.shm sent
	# drop: what did not fit is counted by the ring as rtsim counted it
	newregion "$f" log:var:4K:drop &&
	expect_rc 0 "$RTSIM" -n 1000 -r 100000000 "$f" log &&
	has "$W/out" '^sent [0-9]+ dropped [1-9][0-9]* first-seq 0 next-seq 1000$' &&
	sent=$(cut -d' ' -f2 "$W/out") &&
	expect_rc 0 "$RING" stat --json "$f" log &&
	json "$W/out" "int(d['channels'][0]['produced']) == $sent and int(d['channels'][0]['dropped']) == 1000 - $sent" &&
	# overwrite: all taken (staged, then published), the newest kept
	newregion "$f" log:var:4K:overwrite &&
	expect_rc 0 "$RTSIM" -n 1000 -r 100000000 "$f" log &&
	rtsim_counts "$W/out" 1000 0 0 1000 &&
	expect_rc 0 "$RING" stat --json "$f" log &&
	json "$W/out" "int(d['channels'][0]['produced']) == 1000 and int(d['channels'][0]['overwritten']) > 0" &&
	expect_rc 0 "$RING" recv "$f" log &&
	[ "$(tail -n 1 "$W/out" | cut -d' ' -f2)" = seq=999 ] &&
	[ "$(wc -l <"$W/out")" -lt 1000 ] &&
	# fail: a full ring refuses; rtsim counts those as dropped, never waits
	newregion "$f" log:var:4K:fail &&
	expect_rc 0 "$RTSIM" -n 1000 -r 100000000 "$f" log &&
	has "$W/out" '^sent [0-9]+ dropped [1-9][0-9]* first-seq 0 next-seq [0-9]+$' &&
	sent=$(cut -d' ' -f2 "$W/out") &&
	expect_rc 0 "$RING" recv "$f" log &&
	[ "$(wc -l <"$W/out")" = "$sent" ] && has "$W/out" "^rtsim seq=$((sent - 1)) t="
}
tap "xshm-rtsim on a full ring: drop counts as the ring does, overwrite keeps the newest, fail refuses; never waits" t_rtsim_full
