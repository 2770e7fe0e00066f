#!/bin/bash
# apt-get on Debian sid with a private configuration, to download sid
# packages (Linux 7.2) without touching this machine's apt sources, lists
# or cache.
#
# usage: scripts/sid-apt.sh APT-GET-ARGS...     e.g. download linux-kbuild-7.2.13+deb14
#
#   XSHM_CACHE   cache directory (default: $HOME/.cache/xshm); the private
#                state is $XSHM_CACHE/sid-apt, its lists refreshed when
#                missing or older than a day.
#
# The mirror's sid Release file is past its Valid-Until date, hence
# Check-Valid-Until "false" (shared/DESIGN.md).
set -eu

CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}
state=$CACHE/sid-apt
mirror=$("$(dirname "$0")/debian-mirror.sh")

mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
opts=(-q -o "Dir::Etc::sourcelist=$state/sources.list"
	-o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$state/lists"
	-o "Dir::Cache=$state/cache" -o Acquire::Check-Valid-Until=false
	-o APT::Sandbox::User=root)

# One refresh at a time; a caller that waited finds the lists fresh.
exec 9>"$state.lock"
flock 9
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" \
	>"$state/sources.list"
if [ -z "$(find "$state/lists" -maxdepth 1 -name '*_Packages*' -mtime -1)" ]; then
	apt-get "${opts[@]}" update >&2
fi
flock -u 9
exec apt-get "${opts[@]}" "$@"
