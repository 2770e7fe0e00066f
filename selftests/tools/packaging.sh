# shellcheck shell=bash
# shellcheck disable=SC2015 # "A && B || fail" means: fail if A or B fails
# Sourced by run.sh: what a user or a distribution expects of the tree:
# license files matching the sources, install and uninstall, the uapi
# header where it cannot clash, every installed tool documented.

t_licenses() {	# every SPDX identifier in the sources has its text
	local ids id missing=0
	# the tag is in a file's first lines (this file names it further down)
	ids=$(git ls-files | while read -r f; do head -n 3 "$f"; done 2>/dev/null |
		grep -ao 'SPDX-License-Identifier: .*' |
		sed 's/^SPDX-License-Identifier: //; s/ *\*\/ *$//; s/[()]//g; s/ OR / /g; s/ WITH / /g' |
		tr ' ' '\n' | sed 's/-only$//; s/-or-later$//; s/+$//' | sort -u)
	[ -n "$ids" ] || { echo "no SPDX lines found"; return 1; }
	for id in $ids; do
		[ -s "LICENSES/$id" ] || { echo "LICENSES/$id missing"; missing=1; }
		grep -q -- "$id" COPYING || { echo "COPYING does not mention $id"; missing=1; }
	done
	[ "$missing" = 0 ] &&
	# Debian's texts where it has them
	cmp LICENSES/GPL-2.0 /usr/share/common-licenses/GPL-2 &&
	cmp LICENSES/LGPL-2.1 /usr/share/common-licenses/LGPL-2.1 &&
	# what COPYING says of each part is what its files say
	head -3 driver/xen-static-shm.c | grep -q 'GPL-2.0-only' &&
	head -1 include/uapi/linux/xshm.h | grep -q 'GPL-2.0 WITH Linux-syscall-note' &&
	! git grep -l 'SPDX-License-Identifier' -- lib/libxshm | xargs grep -L 'LGPL-2.1-or-later' | grep . &&
	! git grep -l 'SPDX-License-Identifier' -- tools | xargs grep -L 'GPL-2.0-or-later' | grep .
}
tap "packaging: COPYING and LICENSES/ cover every SPDX identifier in the sources" t_licenses

t_install_uninstall() {
	local root=$W/inst f cflags
	rm -rf "$root" &&
	make -s install PREFIX=/usr DESTDIR="$root" >"$W/inst.log" 2>&1 || { cat "$W/inst.log"; return 1; }
	# no header in linux-libc-dev's tree; <linux/xshm.h> through pkg-config
	[ ! -e "$root/usr/include/linux" ] && [ -f "$root/usr/include/xshm/linux/xshm.h" ] &&
	printf '#include <xshm.h>\n#include <linux/xshm.h>\nint main(void) { return XSHM_IOC_INFO ? 0 : 1; }\n' >"$W/inc.c" &&
	cflags=$(PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_LIBDIR="$root/usr/lib/pkgconfig" pkg-config --cflags libxshm) &&
	read -ra cflags <<<"$cflags" &&
	cc -std=c11 -Wall -Werror -c -o "$W/inc.o" "$W/inc.c" "${cflags[@]}" &&
	# every installed tool has its page; xshm(7) is there
	for f in "$root"/usr/bin/*; do
		[ -f "$root/usr/share/man/man1/${f##*/}.1" ] || { echo "no man page for ${f##*/}"; return 1; }
	done &&
	[ -x "$root/usr/bin/xshm-rtsim" ] && [ -f "$root/usr/share/man/man7/xshm.7" ] &&
	make -s uninstall PREFIX=/usr DESTDIR="$root" >"$W/inst.log" 2>&1 || { cat "$W/inst.log"; return 1; }
	find "$root" ! -type d >"$W/left"
	[ ! -s "$W/left" ] || { echo "left after make uninstall:"; cat "$W/left"; return 1; }
}
tap "packaging: make install puts <linux/xshm.h> under include/xshm, make uninstall removes every file" t_install_uninstall

# shellcheck disable=SC2016 # literal $ in the patterns
t_readme() {	# README's commands work as root on a machine without sudo
	! grep -nE '^\s+sudo ' README.md &&
	grep -q '^    scripts/install-deps.sh && make test$' README.md &&
	# the script elevates itself only when it must
	grep -q '\[ "$(id -u)" -eq 0 \] || SUDO=sudo' scripts/install-deps.sh &&
	grep -q 'make uninstall' README.md && grep -q 'xshm(7)' README.md
}
tap "packaging: README's commands carry no sudo; it names make uninstall and xshm(7)" t_readme
