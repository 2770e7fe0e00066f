#!/bin/bash
# libxshm stress suite: real processes over real mappings on /dev/shm.
#   duplex     two processes, two rings (fixed + variable), N records each way
#   lossy      DROP / OVERWRITE on both ring shapes: gaps == loss counters
#   restart    SIGKILL producer/consumer at random points, restart, check
#              exactly-once (FAIL) or exactly-counted losses (DROP, OVERWRITE)
#   seqlock    readers vs writers in other processes (SEQLOCK, LATCH, LWW x2)
#   stall      a writer frozen/killed mid-update: -EBUSY, LATCH keeps a value
#   reinit     forced re-initialisations at random moments while a producer
#              and a consumer run: nothing of one layout lands in another
#   arm64      the same programs, smaller counts, in an arm64 guest on 2 vCPUs
# Prints TAP; exits non-zero if any test failed.
#
# Knobs (environment; the sanitizer suite uses them to run smaller counts):
#   STRESS_RECORDS=1e7        duplex records each way
#   STRESS_LOSSY_RECORDS=1e6  records per lossy test
#   STRESS_KILLS=1000         kills per restart policy
#   STRESS_KILL_DELAY_US=3000 restart tests: longest wait before each kill
#   STRESS_SEQLOCK_READS=1e8  reads per seqlock type (3 types; each type
#                             stops early after 60 s, saying so)
#   STRESS_SEED=<n>           restart tests: replay the kill schedule of a seed
#   STRESS_REINITS=1000       forced re-initialisations in the reinit test
#   STRESS_BIN=<dir>          run prebuilt programs from <dir>, build nothing
#   STRESS_TIME_SCALE=1       multiply every timeout (slow sanitizers)
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

records=${STRESS_RECORDS:-1e7}
lossy=${STRESS_LOSSY_RECORDS:-1e6}
kills=${STRESS_KILLS:-1000}
kill_delay=${STRESS_KILL_DELAY_US:-3000}
reads=${STRESS_SEQLOCK_READS:-1e8}
reinits=${STRESS_REINITS:-1000}
scale=${STRESS_TIME_SCALE:-1}

if [ -n "${STRESS_BIN:-}" ]; then
	bin=$STRESS_BIN
else
	bin=$top/build/selftests/stress
	# a private copy of the library: parallel builds of build/lib cannot race us
	make -s -C lib/libxshm BUILD="$bin/lib" static >&2
	make -s -C selftests/stress OUT="$bin" LIBDIR="$bin/lib" >&2
fi

# shellcheck source=selftests/tap.sh
. "$top/selftests/tap.sh"
# shellcheck source=selftests/bounded.sh
. "$top/selftests/bounded.sh"

# run_test <name> <timeout s> <program> [args...]: one TAP line, figures as comments
run_test() {
	local name=$1 limit=$(( $2 * scale )) prog=$3 out rc start
	shift 3
	start=$(date +%s)
	out=$(bounded "$limit" "$bin/$prog" "$@" 2>&1) && rc=0 || rc=$?
	printf '%s\n' "$out" | sed -e '/^$/d' -e 's/^\([^#]\)/# \1/'
	if [ "$rc" -eq 0 ]; then
		ok "$name ($(( $(date +%s) - start ))s)"
	else
		[ "$rc" -ne 124 ] || echo "# timed out after ${limit}s"
		not_ok "$name (exit $rc)"
	fi
}

run_test "duplex: $records records each way, fixed and variable rings" 600 \
	duplex_stress -n "$records"
for p in drop overwrite; do
	for t in fixed var; do
		run_test "lossy: $p on a $t ring, $lossy records, gaps == counters" 300 \
			lossy_stress -p "$p" -t "$t" -n "$lossy"
	done
done
for p in fail drop overwrite; do
	run_test "restart: $kills random SIGKILLs, policy $p" 600 \
		restart_torture -p "$p" -k "$kills" -d "$kill_delay" ${STRESS_SEED:+-s "$STRESS_SEED"}
done
for t in seqlock latch lww; do
	run_test "seqlock torture: $t, $reads reads, no torn value" 600 \
		seqlock_torture -t "$t" -r "$reads" -T $((60 * scale))
done
for t in seqlock latch lww; do
	run_test "stall: $t writer frozen and killed mid-update" 60 \
		seqlock_stall -t "$t"
done
run_test "reinit: $reinits forced re-initialisations under a running producer and consumer, no record of one layout in another" 300 \
	reinit_stress -n "$reinits"

# The same programs in an arm64 guest with two vCPUs (scripts/vm harness),
# only for the suite's own native build (not for the sanitizer builds).
in_guest() {
	local g=$top/build/selftests/stress-arm64 rc=0
	mkdir -p "$g"
	make -s -C lib/libxshm CC=aarch64-linux-gnu-gcc BUILD="$g/lib" static &&
	make -s -C selftests/stress CC=aarch64-linux-gnu-gcc OUT="$g/bin" \
		LIBDIR="$g/lib" LDFLAGS=-static &&
	XSHM_VM_SMP=2 scripts/vm/make-dtb.sh "$g/guest.dtb" scripts/vm/dt/good.dtsi &&
	scripts/vm/make-initramfs.sh -o "$g/stress.cpio.gz" \
		-r selftests/stress/guest-run.sh \
		$(for p in duplex_stress lossy_stress restart_torture seqlock_torture reinit_stress; do
			echo "-b $g/bin/$p"; done) || return 1
	XSHM_VM_SMP=2 scripts/vm/boot.sh -d "$g/guest.dtb" -i "$g/stress.cpio.gz" \
		-t 900 -l "$g/console.log" >/dev/null || true
	(. scripts/vm/lib.sh && vm_guest_output "$g/console.log") >"$g/tap" || rc=$?
	sed 's/^/# /' "$g/tap"
	[ "$rc" = 0 ] && grep -q '^ok ' "$g/tap" && ! grep -q '^not ok' "$g/tap"
}
if [ -z "${STRESS_BIN:-}" ]; then
	if [ -n "${XSHM_SKIP_VM:-}" ]; then
		skip "arm64 guest" "XSHM_SKIP_VM is set"
	elif ! command -v qemu-system-aarch64 >/dev/null ||
	     ! command -v aarch64-linux-gnu-gcc >/dev/null; then
		skip "arm64 guest" "needs qemu-system-aarch64 and aarch64-linux-gnu-gcc"
	else
		start=$(date +%s)
		if in_guest; then
			ok "arm64 guest, 2 vCPUs: duplex, lossy, restart, seqlock torture and reinit ($(( $(date +%s) - start ))s)"
		else
			not_ok "arm64 guest, 2 vCPUs: duplex, lossy, restart, seqlock torture and reinit"
		fi
	fi
fi

plan
