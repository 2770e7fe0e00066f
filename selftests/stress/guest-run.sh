#!/bin/sh
# /run.sh of the stress suite's arm64 guest (busybox sh, 2 vCPUs): the
# stress programs, cross-built static, with counts a TCG guest runs in a
# minute or two.  x86's strong ordering hides missing barriers; this runs
# the library's arm64 code (ldar/stlr, dmb) on two vCPUs at once.
# Prints TAP.
# shellcheck source=selftests/tap.sh
. /lib/xshm/tap.sh
# the figures of a pass are the results: show them
check_verbose=1 check_tail=8

echo "# $(nproc) CPUs: $(uname -m) $(uname -r)"
check "duplex: 3e5 records each way, fixed and variable rings" \
	duplex_stress -n 300000
for p in drop overwrite; do
	for r in fixed var; do
		check "lossy: $p on a $r ring, 2e5 records, gaps == counters" \
			lossy_stress -p "$p" -t "$r" -n 200000
	done
done
for p in fail drop overwrite; do
	check "restart: 100 random SIGKILLs, policy $p" \
		restart_torture -p "$p" -k 100
done
for v in seqlock latch lww; do
	check "seqlock torture: $v, 1e7 reads, no torn value" \
		seqlock_torture -t "$v" -r 10000000 -T 60
done
check "reinit: 200 forced re-initialisations under a running producer and consumer" \
	reinit_stress -n 200
echo "1..$n"
[ "$failed" -eq 0 ]
