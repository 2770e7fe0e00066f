#!/bin/bash
# Download (not install) Debian bookworm's arm64 udev and every shared
# library its binary needs, and build from them a minimal root to copy over
# an arm64 guest's (make-initramfs.sh -d): the real systemd-udevd and
# udevadm, the dynamic loader, the libraries they load, and nothing else
# (no rules: the guest adds the ones it tests).
#
# usage: scripts/vm/fetch-udev.sh       prints the minimal root on stdout
#
#   XSHM_CACHE   cache directory (default: $HOME/.cache/xshm)
# Needs the arm64 architecture known to apt (scripts/install-deps.sh adds it).
#
# The library set is not a fixed list: starting from udev and libc6, the
# DT_NEEDED entries of the binaries (readelf -d) are resolved against what
# is unpacked; each missing soname is mapped to its Debian package by the
# usual naming (libfoo.so.N -> libfooN, libfoo2.so.N -> libfoo2-N, with the
# few exceptions below), downloaded, and the loop repeats until nothing is
# missing.  $DIR/packages lists what was fetched, $DIR/full is the whole
# unpacked tree, $DIR/root the minimal one.
set -eu

CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}
DIR=$CACHE/arm64-udev
FULL=$DIR/full
ROOT=$DIR/root
STAMP=$DIR/.done
MA=aarch64-linux-gnu
LIBDIRS="lib/$MA usr/lib/$MA lib usr/lib usr/lib/$MA/systemd"
# What the guest runs; systemd-udevd is a symlink to udevadm in bookworm.
BINS="bin/udevadm"

die() {
	echo "fetch-udev: $*" >&2
	exit 1
}

if [ -f "$STAMP" ]; then
	echo "$ROOT"
	exit 0
fi

# soname_pkg SONAME: the Debian package shipping it (arm64).
soname_pkg() {
	case $1 in
	ld-linux-aarch64.so.* | libc.so.* | libm.so.* | libpthread.so.* | \
		libdl.so.* | librt.so.* | libresolv.so.*) echo libc6 ;;
	libcrypto.so.3 | libssl.so.3) echo libssl3 ;;
	libpam.so.0) echo libpam0g ;;
	libsystemd-shared-*.so) echo libsystemd-shared ;;
	lib*.so.*)
		local base=${1%%.so.*} ver=${1##*.so.}
		ver=${ver%%.*}
		case $base in
		*[0-9]) echo "$base-$ver" ;;
		*) echo "$base$ver" ;;
		esac ;;
	*) return 1 ;;
	esac
}

fetch() { # fetch PACKAGE...
	local p
	for p in "$@"; do
		"$(dirname "$0")/../fetch-debs.sh" "$DIR/debs" "$p:arm64" ||
			die "cannot download $p:arm64"
		echo "$p" >>"$DIR/packages"
		dpkg -x "$(ls "$DIR/debs/${p}"_*_arm64.deb | tail -n 1)" "$FULL"
	done
}

# find_lib SONAME: its path in the unpacked tree, if there.
find_lib() {
	local d
	for d in $LIBDIRS; do
		[ -e "$FULL/$d/$1" ] && { echo "$FULL/$d/$1"; return 0; }
	done
	return 1
}

# closure: every ELF file the binaries need, recursively, as paths in
# $FULL; sonames not found go to $DIR/missing.
closure() {
	local todo seen="" f so path
	: >"$DIR/missing"
	todo=$BINS
	while [ -n "$todo" ]; do
		# shellcheck disable=SC2086 # paths in the cache, no blanks
		set -- $todo
		f=$1
		shift
		todo=$*
		case " $seen " in *" $f "*) continue ;; esac
		seen="$seen $f"
		echo "$f"
		for so in $(readelf -d "$FULL/$f" |
			sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			if path=$(find_lib "$so"); then
				todo="$todo ${path#"$FULL"/}"
			else
				echo "$so" >>"$DIR/missing"
			fi
		done
	done
}

rm -rf "$FULL" "$ROOT" "$DIR/packages"
mkdir -p "$DIR/debs" "$FULL"
fetch udev libc6
for round in 1 2 3 4 5 6 7 8 9 10; do
	closure >"$DIR/closure"
	[ -s "$DIR/missing" ] || break
	pkgs=""
	for so in $(sort -u "$DIR/missing"); do
		p=$(soname_pkg "$so") || die "no package known for $so"
		grep -qx "$p" "$DIR/packages" &&
			die "$so still missing after unpacking $p"
		pkgs="$pkgs $p"
	done
	echo "fetch-udev: round $round: missing $(sort -u "$DIR/missing" | tr '\n' ' ')-> $pkgs" >&2
	# shellcheck disable=SC2046,SC2086 # package names are single words
	fetch $(echo $pkgs | tr ' ' '\n' | sort -u)
done
[ ! -s "$DIR/missing" ] || die "unresolved: $(tr '\n' ' ' <"$DIR/missing")"

# The minimal root: binaries and libraries at their own paths (symlinks
# followed), the loader where PT_INTERP says, udevd's own symlink.
mkdir -p "$ROOT/lib/systemd" "$ROOT/etc/udev/rules.d" "$ROOT/run"
while read -r f; do
	mkdir -p "$ROOT/$(dirname "$f")"
	cp -L "$FULL/$f" "$ROOT/$f"
done <"$DIR/closure"
interp=$(readelf -l "$FULL/bin/udevadm" |
	sed -n 's/.*program interpreter: \(.*\)\]/\1/p')
[ "$interp" = /lib/ld-linux-aarch64.so.1 ] || die "unexpected loader $interp"
cp -L "$FULL$interp" "$ROOT$interp"
[ "$(readlink "$FULL/lib/systemd/systemd-udevd")" = /bin/udevadm ] ||
	die "systemd-udevd is no longer a link to udevadm"
ln -sf ../../bin/udevadm "$ROOT/lib/systemd/systemd-udevd"
cp "$FULL/etc/udev/udev.conf" "$ROOT/etc/udev/udev.conf"
touch "$STAMP"
echo "$ROOT"
