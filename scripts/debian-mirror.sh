#!/bin/sh
# Print the Debian mirror this machine's apt uses (e.g.
# http://deb.debian.org/debian), for the scripts that reach Debian sid.
set -eu

mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] ||
	mirror=$(sed -n 's/^deb *\(\[[^]]*\] *\)\{0,1\}\([^ ]*\/debian\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || {
	echo "debian-mirror: cannot find a Debian mirror in /etc/apt" >&2
	exit 1
}
echo "$mirror"
