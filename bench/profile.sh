#!/bin/bash
# Instructions per message of each channel's send and receive paths,
# counted by callgrind on the single-process test (push a batch, pop it:
# no second core, no waiting, so the count is the code path alone).
# Hardware counters are not available in every VM; callgrind always works.
#
# usage: bench/profile.sh [OUTDIR]     (default bench/results; run.sh builds)
#
# Writes OUTDIR/profile.md (table) and OUTDIR/profile-<impl>-<msg>-<batch>.txt
# (callgrind_annotate of the libxshm runs: where their instructions go).
set -eu
cd "$(dirname "$0")/.."
out=${1:-bench/results}
bin=build/bench
count=20000
mkdir -p "$out"
rm -f "$out"/profile-*.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# impl binary, its send and recv functions (static, called through pointers)
impls="xshm-fixed:xf_send:xf_recv xshm-var:xv_send:xv_recv
ck:ck_send:ck_recv boost:boost_send:boost_recv dpdk:dpdk_send:dpdk_recv
idxcache:idx_send:idx_recv moodycamel:mc_send:mc_recv"

# instructions executed inside one function (and what it calls)
collected() { # function binary args...
	local fn=$1 f=$tmp/cg
	shift
	rm -f "$f"
	timeout 300 valgrind --tool=callgrind --callgrind-out-file="$f" \
		--toggle-collect="$fn" "$@" >/dev/null 2>"$tmp/err" || return 1
	awk '/^summary:/ { print $2 }' "$f"
}

{
	echo "# Instructions per message (callgrind, single process)"
	echo
	echo "Inclusive instructions of the channel's send + receive calls per"
	echo "message, $count messages (4 KiB: a tenth), copy in and copy out"
	echo "included.  A rep-prefixed copy counts as one instruction, so copies"
	echo "done with rep movs look cheaper than vector loops."
	echo
	echo "| impl | msg | batch | send Ir/msg | recv Ir/msg | total Ir/msg |"
	echo "|---|---|---|---|---|---|"
} >"$out/profile.md"

for spec in $impls; do
	IFS=: read -r b send recv <<<"$spec"
	[ -x "$bin/bench-$b" ] || continue
	for cfg in 8:1 8:32 64:1 4096:1 4096:32; do
		IFS=: read -r msg batch <<<"$cfg"
		n=$count
		[ "$msg" -le 64 ] || n=$((count / 10))
		run=("$bin/bench-$b" --test inproc --msg "$msg" --batch "$batch" --count "$n" --cpus "0,0")
		if ! s=$(collected "$send*" "${run[@]}") || ! r=$(collected "$recv*" "${run[@]}"); then
			echo "profile: $b $msg/$batch failed" >&2
			tail -5 "$tmp/err" >&2
			continue
		fi
		awk -v b="$b" -v m="$msg" -v k="$batch" -v s="${s:-0}" -v r="${r:-0}" -v n="$n" \
			'BEGIN { printf "| %s | %d | %d | %.1f | %.1f | %.1f |\n", b, m, k, s / n, r / n, (s + r) / n }' \
			>>"$out/profile.md"
		case $b in
		xshm-*)	# where libxshm's instructions go, both sides
			timeout 300 valgrind --tool=callgrind --callgrind-out-file="$tmp/all" \
				"${run[@]}" >/dev/null 2>&1 &&
				callgrind_annotate --threshold=99 "$tmp/all" 2>/dev/null |
				head -40 >"$out/profile-$b-$msg-$batch.txt"
			;;
		esac
	done
done
cat "$out/profile.md"
