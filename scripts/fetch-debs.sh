#!/bin/bash
# Download (not install) Debian packages into a cache directory, skipping
# those already there.  Used by the scripts that unpack arm64 kernels,
# libraries and tools for the guests and cross builds.
#
# usage: scripts/fetch-debs.sh [--sid] DEBDIR PACKAGE[:ARCH]...
#   --sid takes the packages from Debian sid (scripts/sid-apt.sh).
#   A package with :ARCH must match DEBDIR/NAME_*_ARCH.deb to count as
#   present, one without DEBDIR/NAME_*.deb.  Exits 1 naming the first
#   package apt-get cannot download.
set -eu

apt=apt-get from=
if [ "$1" = --sid ]; then
	apt=$(cd "$(dirname "$0")" && pwd)/sid-apt.sh from=" from sid"
	shift
fi
dir=$1
shift
mkdir -p "$dir"
cd "$dir"	# apt-get download writes into the current directory
for p in "$@"; do
	name=${p%%:*}
	case $p in
	*:*) have=("$name"_*_"${p##*:}".deb) ;;
	*) have=("$name"_*.deb) ;;
	esac
	[ -e "${have[0]}" ] && continue
	"$apt" download -q -o APT::Sandbox::User=root "$p" >&2 || {
		echo "fetch-debs: cannot download $p$from" >&2
		exit 1
	}
done
