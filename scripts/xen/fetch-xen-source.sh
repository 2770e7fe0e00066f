#!/bin/bash
# Unpack Debian's Xen source package into the cache; prints the source dir.
# Debian's prebuilt hypervisor lacks CONFIG_STATIC_SHM, so we rebuild it.
set -eu

CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}/xen
SRC_LIST=/etc/apt/sources.list.d/xshm-deb-src.sources
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

mkdir -p "$CACHE/src"

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
