# shellcheck shell=bash
# Sourced by run.sh: xshm-bench.

t_bench_usage() {
	expect_rc 2 "$BENCH" -s 4 x && has "$W/err" 'size needs 8' &&
	expect_rc 2 "$BENCH" -b 0 x && has "$W/err" 'batch needs' &&
	expect_rc 2 "$BENCH" -r ring x && has "$W/err" 'fixed or var' &&
	expect_rc 2 "$BENCH" --role both2 x && has "$W/err" 'both, send or recv' &&
	expect_rc 2 "$BENCH" -c 0,x x && has "$W/err" 'cpus' &&
	expect_rc 2 "$BENCH" && has "$W/err" 'one REGION expected' &&
	expect_rc 1 "$BENCH" "$W/nonexistent.shm" && has "$W/err" 'nonexistent.shm' &&
	expect_rc 1 "$BENCH" -C 8K -s 4096 -b 32 "$W/small.shm" &&
	has "$W/err" 'too small for two rings of 4096-byte messages'
}
tap "xshm-bench: usage errors exit 2; a missing or too small region exits 1" t_bench_usage

t_bench_local() {	# both sides here, each ring type, its results in JSON
	local spec
	for spec in "fixed 64 1" "fixed 4096 32" "var 8 32" "var 100 7"; do
		set -- $spec
		expect_rc 0 "$BENCH" -C 4M -r "$1" -s "$2" -b "$3" -n 20000 -l 500 \
			--json "$W/bench.shm" || return 1
		json "$W/out" "d['ring'] == '$1' and d['msg_size'] == $2 and d['batch'] == $3 and d['throughput']['messages'] == 20000 and d['throughput']['msgs_per_s'] > 0 and d['latency_ns']['rounds'] == 500 and 0 < d['latency_ns']['p50'] <= d['latency_ns']['p99'] <= d['latency_ns']['max']" ||
			{ echo "case $spec"; return 1; }
	done
	expect_rc 0 "$BENCH" -n 5000 -l 100 "$W/bench.shm" &&
	has "$W/out" '^throughput: 5000 messages in' &&
	has "$W/out" '^latency, one way .*, 100 rounds: p50 [0-9]+ ns'
}
tap "xshm-bench: both sides in two processes, fixed and var rings, JSON" t_bench_local

t_bench_wait() {	# the receiver sleeps on a doorbell (an eventfd pair) or polls
	expect_rc 2 "$BENCH" --wait nap x && has "$W/err" 'spin, poll or doorbell' &&
	expect_rc 0 "$BENCH" -C 4M -n 20000 -l 200 --gap 500 --wait doorbell \
		--json "$W/bench.shm" &&
	json "$W/out" "d['wait'] == 'doorbell' and d['throughput']['messages'] == 20000 and d['doorbell']['receiver_sleeps'] > 0 and 0 < d['doorbell']['notifications'] <= d['doorbell']['records']" &&
	expect_rc 0 "$INFO" -r "$W/bench.shm" &&
	has "$W/out" '^    doorbell: producer does not ring, notified [1-9][0-9]*, slept [0-9]+; consumer does not ring, notified [0-9]+, slept [1-9]' &&
	expect_rc 0 "$BENCH" -C 4M -n 5000 -l 50 --wait poll "$W/bench.shm" &&
	has "$W/out" '^wait poll: 0 notifications for 5053 records'
}
tap "xshm-bench --wait doorbell: the receiver sleeps and is rung (xshm-info counts it); --wait poll rings nothing" t_bench_wait

t_bench_roles() {	# one side per process, as in two domains; either first
	"$BENCH" --role recv -C 1M -t 10000 "$W/roles.shm" >"$W/recv.out" 2>&1 &
	local recv=$!
	expect_rc 0 "$BENCH" --role send -C 1M -r var -s 200 -b 4 -n 30000 -l 300 \
		--json "$W/roles.shm" &&
	json "$W/out" "d['ring'] == 'var' and d['msg_size'] == 200 and d['throughput']['messages'] == 30000" &&
	wait "$recv" &&
	# the sender first, over the layout just used: it lays out anew
	{ "$BENCH" --role send -s 16 -n 20000 -l 200 "$W/roles.shm" >"$W/send.out" 2>&1 & } &&
	local send=$! &&
	expect_rc 0 "$BENCH" --role recv "$W/roles.shm" &&
	wait "$send" && has "$W/send.out" 'fixed-slot ring of 1024 slots, 16-byte messages'
}
tap "xshm-bench --role send/recv: the receiver follows the sender's parameters" t_bench_roles

t_bench_refuses() {
	"$RING" -C 1M init "$W/other.shm" -c log:var:65536 >/dev/null &&
	expect_rc 4 "$BENCH" -n 100 -l 10 "$W/other.shm" &&
	has "$W/err" 'holds another layout; --force replaces it' &&
	"$RING" stat "$W/other.shm" >"$W/stat" && has "$W/stat" '^  log ' &&
	expect_rc 0 "$BENCH" -n 100 -l 10 --force "$W/other.shm" &&
	expect_rc 3 "$BENCH" --role send -C 1M -t 300 "$W/alone.shm" &&
	has "$W/err" 'no answer from the receiver within 300 ms' &&
	expect_rc 3 "$BENCH" --role recv -t 300 "$W/alone.shm" &&
	has "$W/err" 'no answer from the sender within 300 ms'
}
tap "xshm-bench: keeps another layout unless --force (exit 4); an absent peer exits 3" t_bench_refuses
