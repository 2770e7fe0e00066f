# shellcheck shell=bash
# Sourced by run.sh: xshm-ring send loses nothing silently.

t_send_drops() {
	local d=$W/drops.shm dropped
	newregion "$d" log:var:4K:drop &&
	seq 1 1000 >"$W/lines" &&
	expect_rc 3 "$RING" send "$d" log <"$W/lines" &&
	has "$W/err" '^xshm-ring: [0-9]+ of 1000 records dropped: ring "log" was full \(policy drop; --allow-drops accepts this\)$' &&
	dropped=$(sed -n 's/^xshm-ring: \([0-9]*\) of.*/\1/p' "$W/err") &&
	# the count is the ring's own: what was taken plus what was dropped
	expect_rc 0 "$RING" stat --json "$d" log &&
	json "$W/out" "int(d['channels'][0]['dropped']) == $dropped > 0 and int(d['channels'][0]['produced']) == 1000 - $dropped" &&
	# accepted: exit 0, still said
	expect_rc 0 "$RING" send --allow-drops "$d" log <"$W/lines" &&
	has "$W/err" '^xshm-ring: 1000 of 1000 records dropped: ring "log" was full$' &&
	# nothing dropped: exit 0 and silent
	newregion "$d" log:var:64K:drop &&
	expect_rc 0 "$RING" send "$d" log <"$W/lines" && [ ! -s "$W/err" ] &&
	# overwrite policy: taken, but what was overwritten is said
	newregion "$d" log:var:4K:overwrite &&
	expect_rc 0 "$RING" send "$d" log <"$W/lines" &&
	has "$W/err" '^xshm-ring: [1-9][0-9]* older records overwritten in ring "log" before they were read \(policy overwrite\)$'
}
tap "xshm-ring send: drops are reported and exit 3 unless --allow-drops; overwrites are said" t_send_drops
