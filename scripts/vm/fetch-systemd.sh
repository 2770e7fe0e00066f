#!/bin/bash
# Download (not install) Debian bookworm's arm64 systemd, udev and kmod and
# every library their programs need, and build from them a root to copy over
# an arm64 guest's initramfs (make-initramfs.sh -d) that boots the real
# systemd as PID 1 (rdinit=/lib/systemd/systemd).  No maintainer script
# runs, so nothing is enabled beyond the links the packages ship.
#
# usage: scripts/vm/fetch-systemd.sh    prints the root on stdout
#
#   XSHM_CACHE   cache directory (default: $HOME/.cache/xshm)
# Needs the arm64 architecture known to apt (scripts/install-deps.sh adds it).
set -eu

CACHE=${XSHM_CACHE:-$HOME/.cache/xshm}
DIR=$CACHE/arm64-systemd
ROOT=$DIR/root
STAMP=$DIR/.done

if [ -f "$STAMP" ]; then
	echo "$ROOT"
	exit 0
fi

# Every program of the packages gets its libraries: a unit of the system
# that cannot start would hide what the guest tests.
# mount: systemd's .mount units run /bin/mount.
full=$("$(dirname "$0")/fetch-debroot.sh" "$DIR" "*" systemd udev kmod mount libc6)

exec 9>"$DIR.lock"
flock 9
[ ! -f "$STAMP" ] || { echo "$ROOT"; exit 0; }
tmp=$(mktemp -d "$DIR/root.XXXXXX")
cp -a "$full/." "$tmp/"
# Documentation and locales are not needed to boot.
rm -rf "$tmp/usr/share/doc" "$tmp/usr/share/man" "$tmp/usr/share/locale" \
	"$tmp/usr/share/zsh" "$tmp/usr/share/bash-completion" \
	"$tmp/usr/lib/$(basename "$(ls -d "$tmp"/usr/lib/aarch64-linux-gnu)")/gconv"
# What the base system would add: users, the OS's name, a hostname.
mkdir -p "$tmp/etc" "$tmp/root" "$tmp/var/log" "$tmp/run"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$tmp/etc/passwd"
printf 'root:x:0:\nsystemd-journal:x:101:\n' >"$tmp/etc/group"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm), xshm test guest"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' \
	>"$tmp/etc/os-release"
echo xshm-guest >"$tmp/etc/hostname"
[ -x "$tmp/lib/systemd/systemd" ] || { echo "fetch-systemd: no lib/systemd/systemd" >&2; exit 1; }
rm -rf "$ROOT"
mv "$tmp" "$ROOT"
touch "$STAMP"
echo "$ROOT"
