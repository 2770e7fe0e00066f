#!/bin/bash
# Download (not install) Debian bookworm arm64 packages and every package
# holding a shared library their binaries need, and unpack them all into
# one tree, for the guests that run real Debian programs (fetch-udev.sh,
# fetch-systemd.sh).
#
# usage: scripts/vm/fetch-debroot.sh DIR BINS PACKAGE...
#   BINS   the files (paths relative to the tree) whose libraries must be
#          there, or "*" for every ELF file of the tree but glibc's gconv
#   prints DIR/full, the unpacked tree; DIR/packages lists what was
#   fetched, DIR/closure the ELF files BINS need (BINS included).
# Needs the arm64 architecture known to apt (scripts/install-deps.sh adds it).
# Runs at the same time as another copy of itself are serialized (flock).
#
# The library set is not a fixed list: the DT_NEEDED entries of the
# binaries (readelf -d) are resolved against what is unpacked; each missing
# soname is mapped to its Debian package by the usual naming (libfoo.so.N
# -> libfooN, libfoo2.so.N -> libfoo2-N, with the few exceptions below),
# downloaded, and the loop repeats until nothing is missing.
set -eu

[ $# -ge 3 ] || { echo "usage: $0 DIR BINS PACKAGE..." >&2; exit 2; }
DIR=$1
BINS=$2
shift 2
FULL=$DIR/full
STAMP=$DIR/.full
MA=aarch64-linux-gnu
LIBDIRS="lib/$MA usr/lib/$MA lib usr/lib usr/lib/$MA/systemd lib/systemd"

die() {
	echo "fetch-debroot: $*" >&2
	exit 1
}

mkdir -p "$DIR"
exec 9>"$DIR.lock"
flock 9
if [ -f "$STAMP" ]; then
	echo "$FULL"
	exit 0
fi

# soname_pkg SONAME: the Debian package shipping it (arm64).
soname_pkg() {
	case $1 in
	ld-linux-aarch64.so.* | libc.so.* | libm.so.* | libpthread.so.* | \
		libdl.so.* | librt.so.* | libresolv.so.* | libanl.so.* | \
		libutil.so.*) echo libc6 ;;
	libcrypto.so.3 | libssl.so.3) echo libssl3 ;;
	libpam.so.0 | libpam_misc.so.0) echo libpam0g ;;
	libsystemd-shared-*.so | libsystemd-core-*.so) echo libsystemd-shared ;;
	libgcc_s.so.1) echo libgcc-s1 ;;
	libz.so.1) echo zlib1g ;;
	libcap-ng.so.0) echo libcap-ng0 ;;
	libpcre2-8.so.0) echo libpcre2-8-0 ;;
	libjson-c.so.5) echo libjson-c5 ;;
	libdevmapper.so.1.02.1) echo libdevmapper1.02.1 ;;
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

# roots: the files whose libraries must be there.
roots() {
	if [ "$BINS" = "*" ]; then
		# (glibc's gconv plugins only load into programs that ask.)
		find "$FULL" -path '*/gconv' -prune -o -type f \( -perm /111 -o -name '*.so*' \) -print |
			while read -r f; do
				[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] &&
					echo "${f#"$FULL"/}"
			done
	else
		echo "$BINS"
	fi
}

# closure: every ELF file the roots need, recursively, as paths in
# $FULL; sonames not found go to $DIR/missing.
closure() {
	local todo seen="" f so path
	: >"$DIR/missing"
	todo=$(roots)
	while [ -n "$todo" ]; do
		# shellcheck disable=SC2086 # paths in the cache, no blanks
		set -- $todo
		f=$1
		shift
		todo=$*
		case " $seen " in *" $f "*) continue ;; esac
		seen="$seen $f"
		echo "$f"
		for so in $(readelf -d "$FULL/$f" 2>/dev/null |
			sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			if path=$(find_lib "$so"); then
				todo="$todo ${path#"$FULL"/}"
			else
				echo "$so" >>"$DIR/missing"
			fi
		done
	done
}

rm -rf "$FULL" "$DIR/packages"
mkdir -p "$DIR/debs" "$FULL"
fetch "$@"
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
	echo "fetch-debroot: round $round: missing $(sort -u "$DIR/missing" | tr '\n' ' ')-> $pkgs" >&2
	# shellcheck disable=SC2046,SC2086 # package names are single words
	fetch $(echo $pkgs | tr ' ' '\n' | sort -u)
done
[ ! -s "$DIR/missing" ] || die "unresolved: $(tr '\n' ' ' <"$DIR/missing")"
touch "$STAMP"
echo "$FULL"
