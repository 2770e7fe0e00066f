#!/bin/bash
# Unpack Debian's Xen source package into the cache; prints the source dir.
# Debian's prebuilt hypervisor lacks CONFIG_STATIC_SHM, so we rebuild it.
set -eu

CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}/xen
SRC_LIST=/etc/apt/sources.list.d/xshm-deb-src.sources
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

mkdir -p "$CACHE/src"

have_deb_src() {
	grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/
}

if ! have_deb_src; then
	# Same mirror as the binary entry, so versions match what apt installs.
	uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null |
		grep -v security | head -n1)
	uri=${uri:-http://deb.debian.org/debian}
	printf 'Types: deb-src\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" | $SUDO tee "$SRC_LIST" >/dev/null
	$SUDO apt-get update -o Acquire::Retries=3 >&2
fi

# Newest candidate from the archive; falls back to what is already cached.
ver=$(apt-cache showsrc xen 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1)
if [ -z "$ver" ]; then
	ver=$(ls "$CACHE/src" | sed -n 's/^xen_\(.*\)\.dsc$/\1/p' | sort -V | tail -n1)
fi
[ -n "$ver" ] || { echo "fetch-xen-source: no xen source package found" >&2; exit 1; }
upver=${ver#*:}
dir=$CACHE/src/xen-$upver

if [ ! -f "$dir/.unpacked" ]; then
	(cd "$CACHE/src" && apt-get source --download-only "xen=$ver" >&2)
	rm -rf "$dir"
	dpkg-source --no-check -x "$CACHE/src/xen_${upver}.dsc" "$dir" >&2
	touch "$dir/.unpacked"
fi
echo "$dir"
