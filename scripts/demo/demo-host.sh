#!/bin/bash
# The RT-logging demo on a plain file on this machine, in seconds.
#
# A region file plays the shared memory.  xshm-rtsim plays the real-time
# domain: numbered log records at a steady rate into a drop-policy ring,
# never waiting.  xshm-logd stores them with rotation.  Midway the
# producer is killed (SIGKILL, a crash) and restarted, and the daemon is
# stopped for a while and restarted, so the ring overflows and records
# are dropped.  At the end the totals are printed and checked:
#   stored = produced - lost, every loss announced in the log where it
#   happened, no record stored twice or out of order.
#
# usage: scripts/demo/demo-host.sh [RATE]      (records/s, default 20000)
set -eu
cd "$(dirname "$0")/../.."
TOP=$PWD
RATE=${1:-20000}
BIN=${XSHM_TOOLS:-$TOP/build/tools}

make -s -C tools >/dev/null
SHM_DIR=/dev/shm
[ -d "$SHM_DIR" ] && [ -w "$SHM_DIR" ] || SHM_DIR=${TMPDIR:-/tmp}
W=$(mktemp -d "$SHM_DIR/xshm-demo.XXXXXX")
LOGS=$W/logs
REGION=$W/region.shm
PIDS=
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$LOGS"

say() { printf '\n== %s\n' "$*"; }
start_producer() {
	"$BIN/xshm-rtsim" -r "$RATE" "$REGION" log >>"$W/rtsim.out" 2>&1 &
	PROD=$!; PIDS="$PIDS $PROD"
}
start_logd() {
	"$BIN/xshm-logd" -d "$LOGS" -m 256K -k 50 "$REGION" log 2>>"$W/logd.err" &
	LOGD=$!; PIDS="$PIDS $LOGD"
}
ring_json() { "$BIN/xshm-ring" stat --json "$REGION" log; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['channels'][0]['$1'])"; }

say "initialise a 1 MiB region with a 64 KiB drop-policy log ring"
"$BIN/xshm-ring" -C 1M init "$REGION" -c log:var:64K:drop
start_logd
say "producer (the RT domain) logs $RATE records/s; xshm-logd stores them"
start_producer
sleep 1
say "producer crashes (SIGKILL) at seq $(ring_json | field next_seq) and restarts"
kill -9 "$PROD"; wait "$PROD" 2>/dev/null || true
start_producer
sleep 0.7
say "xshm-logd stops (SIGTERM) for 0.5 s: the ring fills, the producer drops and counts"
kill -TERM "$LOGD"; wait "$LOGD" || { echo "xshm-logd exited with $?"; exit 1; }
sleep 0.5
start_logd
sleep 0.8
say "producer stops at seq $(ring_json | field next_seq); xshm-logd drains the ring"
kill -TERM "$PROD"; wait "$PROD" || true
produced=$(ring_json | field next_seq)
end=$((SECONDS + 20))
until grep -q "^seq $((produced - 1))$" "$LOGS/log.log.state" 2>/dev/null ||
	[ "$(ring_json | field fill)" = 0 ] && sleep 0.3 && [ "$(ring_json | field fill)" = 0 ]; do
	[ $SECONDS -lt $end ] || { echo "xshm-logd did not drain the ring"; exit 1; }
	sleep 0.1
done
kill -TERM "$LOGD"; wait "$LOGD" || { echo "xshm-logd exited with $?"; exit 1; }

say "region at the end"
"$BIN/xshm-info" -r "$REGION" || true
say "xshm-logd said"
sed 's/^/  /' "$W/logd.err"

# oldest rotated file first
files=()
for i in $(seq 50 -1 1); do
	[ ! -f "$LOGS/log.log.$i" ] || files+=("$LOGS/log.log.$i")
done
files+=("$LOGS/log.log")
summary=$(awk -f "$TOP/scripts/demo/check-log.awk" "${files[@]}") || true
dropped=$(ring_json | field dropped)
python3 "$TOP/scripts/demo/totals.py" "$summary" "$produced" "$dropped" "the log" \
	"${#files[@]}"
