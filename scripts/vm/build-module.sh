#!/bin/bash
# Cross-build the xshm kernel module for the arm64 guest kernel.
#
# usage: scripts/vm/build-module.sh [OUTDIR]    prints the .ko path on stdout
#   OUTDIR defaults to build/vm/module.  The sources (Kbuild, driver/,
#   include/) are copied there first so the build never writes into the
#   work tree and never races with a native build of the same files.
#   Extra make arguments can be passed in XSHM_KMAKE_ARGS (e.g. "W=1 C=1").
set -eu
# shellcheck source=scripts/vm/lib.sh
. "$(dirname "$0")/lib.sh"

top=$VM_TOP
out=$(realpath -m "${1:-$top/build/vm/module}")

[ -f "$top/Kbuild" ] || { echo "build-module: $top/Kbuild missing" >&2; exit 1; }
mkdir -p "$out"
# Copy only sources (no objects from a native build); cp -u keeps
# timestamps of unchanged files so rebuilds are incremental.
cp -u "$top/Kbuild" "$out/"
(cd "$top" && find driver include -type f \
	\( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) \
	-exec cp --parents -u {} "$out/" \;)

# shellcheck disable=SC2086
vm_kmake "$out" ${XSHM_KMAKE_ARGS:-} >&2

ko=$(find "$out" -name '*.ko' | head -n 1)
[ -n "$ko" ] || { echo "build-module: no .ko produced" >&2; exit 1; }
echo "$ko"
