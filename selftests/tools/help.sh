# shellcheck shell=bash
# Sourced by run.sh: usage errors of xshm-rtsim and the man pages.
# (--help, --version and usage errors of every tool: cli.sh)

t_rtsim_usage() {
	expect_rc 2 "$RTSIM" -r 0 x log && has "$W/err" 'rate' &&
	expect_rc 2 "$RTSIM" -S 5000 x log && has "$W/err" 'size' &&
	expect_rc 2 "$RTSIM" x && has "$W/err" 'REGION and RING' &&
	expect_rc 1 "$RTSIM" "$W/nonexistent.shm" log && has "$W/err" 'nonexistent.shm'
}
tap "xshm-rtsim: usage errors exit 2, a missing region exits 1" t_rtsim_usage

t_man() {
	for t in xshm-info xshm-ring xshm-logd xshm-logcat xshm-bench xshm-rtsim; do
		[ -f "man/man1/$t.1" ] || { echo "man/man1/$t.1 missing"; return 1; }
		if command -v groff >/dev/null; then
			LC_ALL=C groff -man -Tutf8 -ww -z "man/man1/$t.1" 2>"$W/groff.err" || return 1
			[ ! -s "$W/groff.err" ] || { cat "$W/groff.err"; return 1; }
		fi
	done
}
tap "man pages exist and format without warnings" t_man
