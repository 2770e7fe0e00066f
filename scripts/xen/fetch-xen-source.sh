#!/bin/bash
# Unpack a Xen source tree into the cache; prints the source dir.
# Debian's prebuilt hypervisors lack CONFIG_STATIC_SHM, so we rebuild them.
#
# usage: fetch-xen-source.sh [SERIES]       SERIES default ${XSHM_XEN:-4.17}
#   4.17    Debian bookworm's source package (apt-get source)
#   other   the upstream release tarball xen-SERIES.*.tar.xz found in
#           ${XSHM_XEN_TARBALLS:-<project>/../shared/xen} (e.g. 4.22)
set -eu

CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}/xen
SRC_LIST=/etc/apt/sources.list.d/xshm-deb-src.sources
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
series=${1:-${XSHM_XEN:-4.17}}

mkdir -p "$CACHE/src"

if [ "$series" != 4.17 ]; then
	top=$(cd "$(dirname "$0")/../.." && pwd)
	tarballs=${XSHM_XEN_TARBALLS:-$top/../shared/xen}
	tarball=$(find "$tarballs" -maxdepth 1 -name "xen-$series.*.tar.xz" | sort -V | tail -n1)
	[ -n "$tarball" ] || { echo "fetch-xen-source: no xen-$series.*.tar.xz in $tarballs" >&2; exit 1; }
	name=$(basename "$tarball" .tar.xz)
	dir=$CACHE/src/$name
	# Several runs may unpack at once: unpack aside, then rename.
	if [ ! -f "$dir/.unpacked" ]; then
		tmp=$(mktemp -d "$CACHE/src/.$name.XXXXXX")
		tar -xJf "$tarball" -C "$tmp"
		[ -d "$tmp/$name/xen" ] || { echo "fetch-xen-source: $tarball has no $name/xen" >&2; exit 1; }
		touch "$tmp/$name/.unpacked"
		mv -T "$tmp/$name" "$dir" 2>/dev/null || [ -f "$dir/.unpacked" ]
		rm -rf "$tmp"
	fi
	echo "$dir"
	exit 0
fi

have_xen_src() {
	apt-cache showsrc xen 2>/dev/null | grep -q '^Version:'
}

if ! have_xen_src; then
	# A deb-src entry for the same mirror as the binary one.
	if [ ! -f "$SRC_LIST" ]; then
		uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null |
			grep -v security | head -n1)
		uri=${uri:-http://deb.debian.org/debian}
		printf 'Types: deb-src\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$uri" | $SUDO tee "$SRC_LIST" >/dev/null
	fi
	$SUDO apt-get update -q -o Acquire::Retries=3 >&2 ||
		echo "fetch-xen-source: apt-get update failed; trying the cache" >&2
fi

# Newest candidate from the archive; falls back to what is already cached.
ver=$(apt-cache showsrc xen 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1)
if [ -z "$ver" ]; then
	ver=$(find "$CACHE/src" -maxdepth 1 -name 'xen_*.dsc' -printf '%f\n' |
		sed -n 's/^xen_\(.*\)\.dsc$/\1/p' | sort -V | tail -n1)
fi
[ -n "$ver" ] || { echo "fetch-xen-source: no xen source package found" >&2; exit 1; }
upver=${ver#*:}
dir=$CACHE/src/xen-$upver

if [ ! -f "$dir/.unpacked" ]; then
	(cd "$CACHE/src" && apt-get source -q --download-only \
		-o APT::Sandbox::User=root "xen=$ver" >&2)
	rm -rf "$dir"
	# apt checked the files against the signed archive index; the .dsc's
	# own signature would need debian-keyring, which we do not install.
	dpkg-source --no-check -x "$CACHE/src/xen_${upver}.dsc" "$dir" >&2
	touch "$dir/.unpacked"
fi
echo "$dir"
