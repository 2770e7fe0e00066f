#!/bin/bash
# A Debian sid chroot, built once with mmdebstrap and cached, for the tools
# bookworm does not have (gcc-16 for Linux 7.2's modules, herdtools7).
#
# usage: scripts/sid-chroot.sh NAME PACKAGE...     prints the chroot's path
#        scripts/sid-chroot.sh --run DIR CMD...    runs CMD inside DIR
#
#   XSHM_CACHE   cache directory (default: $HOME/.cache/xshm); the chroot is
#                $XSHM_CACHE/sid-NAME, rebuilt when the package list changes.
#
# --run bind-mounts this project and $XSHM_CACHE at their own paths inside
# the chroot (in a private mount namespace, so nothing outlives the
# command) and runs CMD there with the caller's working directory.
# Needs root, mmdebstrap and Debian's archive keyring.
#
# The mirror's sid Release file is past its Valid-Until date, hence
# Check-Valid-Until "false" (shared/DESIGN.md).
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}

if [ "${1:-}" = --run ]; then
	dir=$2
	shift 2
	mkdir -p "$dir$TOP" "$dir$CACHE"
	# shellcheck disable=SC2016 # the inner sh expands these
	exec unshare --mount --propagation private sh -c '
		dir=$1 top=$2 cache=$3 cwd=$4
		shift 4
		mount --bind "$top" "$dir$top"
		mount --bind "$cache" "$dir$cache"
		mount -t proc proc "$dir/proc"
		exec chroot "$dir" sh -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
	' sh "$dir" "$TOP" "$CACHE" "$PWD" "$@"
fi

[ $# -ge 2 ] || {
	echo "usage: $0 NAME PACKAGE... | --run DIR CMD..." >&2
	exit 2
}
name=$1
shift
dir=$CACHE/sid-$name
want="$*"
mkdir -p "$CACHE"
# Two suites may ask for the same chroot at once: one builds, one waits.
exec 9>"$dir.lock"
flock 9
if [ -f "$dir/.xshm-packages" ] && [ "$(cat "$dir/.xshm-packages")" = "$want" ]; then
	echo "$dir"
	exit 0
fi

mirror=$("$TOP/scripts/debian-mirror.sh")

rm -rf "$dir"
tmp=$dir.tmp
rm -rf "$tmp"
pkgs=$(echo "$want" | tr ' ' ',')
mmdebstrap --variant=minbase --quiet \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--include="$pkgs" sid "$tmp" \
	"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" >&2
echo "$want" >"$tmp/.xshm-packages"
mv "$tmp" "$dir"
echo "$dir"
