#!/bin/bash
# The memory model suite: every ordering pair of libxshm and xshm-peer.h
# as litmus tests under herd7 (C11 under RC11, and AArch64 as gcc emits
# it), each with negative controls that must fail, then a check that the
# arm64 build still has the ordering instructions the AArch64 tests assume
# (Documentation/memory-model.md).  TAP on stdout.
#
# herd7 comes from Debian sid's herdtools7, in a chroot built once and
# cached by scripts/sid-chroot.sh (needs root, mmdebstrap).
#
# usage: selftests/memory-model/run.sh
set -eu
cd "$(dirname "$0")/../.."
TOP=$PWD
SUITE=selftests/memory-model
OUT=$TOP/build/memory-model
rm -rf "$OUT"
mkdir -p "$OUT"

# shellcheck source=selftests/tap.sh
. selftests/tap.sh
echo "TAP version 13"
{
	if chroot_dir=$(scripts/sid-chroot.sh herd herdtools7); then
		python3 "$SUITE/herd.py" "$OUT/controls" "$OUT/verdicts.md" \
			scripts/sid-chroot.sh --run "$chroot_dir" herd7 -- \
			"$SUITE"/litmus/*.litmus ||
			echo "not ok - herd.py failed (see stderr)"
		# the table in the documentation is the one just measured
		if [ ! -s "$OUT/verdicts.md" ] ||
			grep -vxFf Documentation/memory-model.md \
				"$OUT/verdicts.md" >"$OUT/verdicts.stale"; then
			echo "not ok - Documentation/memory-model.md differs from" \
				"build/memory-model/verdicts.md:"
			sed 's/^/# /' "$OUT/verdicts.stale"
		else
			echo "ok - Documentation/memory-model.md has the measured table"
		fi
	else
		echo "not ok - herd7: cannot build the sid chroot"
	fi

	# Every ordering site names the sites it pairs with, and the table
	# in Documentation/wire-format.md is the one the code gives.
	python3 "$SUITE/pairs.py" lib/libxshm ||
		echo "not ok - pairs.py failed (see stderr)"
	python3 "$SUITE/pairs.py" lib/libxshm --table >"$OUT/pairs.md"
	if grep -vxFf Documentation/wire-format.md "$OUT/pairs.md" \
		>"$OUT/pairs.stale"; then
		echo "not ok - Documentation/wire-format.md's pairing table" \
			"differs from build/memory-model/pairs.md:"
		sed 's/^/# /' "$OUT/pairs.stale"
	else
		echo "ok - Documentation/wire-format.md has the pairing table"
	fi

	# The arm64 library as its cross build makes it, plus the
	# freestanding peer; DWARF 4 because binutils 2.40's objdump -l
	# names the wrong file for DWARF 5 lines of out-of-line header code.
	if make -s -j2 -C lib/libxshm CC=aarch64-linux-gnu-gcc \
		CFLAGS="-O2 -gdwarf-4" BUILD="$OUT/lib-arm64" static >&2 &&
		aarch64-linux-gnu-gcc -std=c11 -Wall -Wextra -Werror -O2 \
			-gdwarf-4 -ffreestanding -c \
			-Ilib/libxshm -o "$OUT/lib-arm64/obj/peer_side.o" \
			selftests/lib/peer_side.c; then
		python3 "$SUITE/sites.py" lib/libxshm "$SUITE/litmus" \
			aarch64-linux-gnu-objdump "$OUT"/lib-arm64/obj/*.o ||
			echo "not ok - sites.py failed (see stderr)"
	else
		echo "not ok - arm64 build of libxshm for the site check"
	fi

	# The site check must catch a weakened ordering: the same check on
	# ring.c built with the release store at LMM_FIXED_HEAD_PUB relaxed.
	weak=$OUT/weakened
	mkdir -p "$weak"
	cp lib/libxshm/*.[ch] "$weak"/
	sed -i '/LMM_FIXED_HEAD_PUB:/,/;/s/_release/_relaxed/' "$weak/xshm-peer.h"
	if aarch64-linux-gnu-gcc -std=c11 -O2 -gdwarf-4 -Iinclude/uapi -c \
		-o "$weak/ring.o" "$weak/ring.c" &&
		python3 "$SUITE/sites.py" "$weak" "$SUITE/litmus" \
			aarch64-linux-gnu-objdump "$weak/ring.o" |
		grep -q '^not ok - site LMM_FIXED_HEAD_PUB .* has none'; then
		echo "ok - the site check fails with LMM_FIXED_HEAD_PUB relaxed"
	else
		echo "not ok - the site check missed LMM_FIXED_HEAD_PUB relaxed"
	fi
} | { nested ""; plan; } | tee "$OUT/results.tap"
! grep -q '^not ok' "$OUT/results.tap"
