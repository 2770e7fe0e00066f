#!/usr/bin/awk -f
# Check logs written by xshm-logd from records of xshm-rtsim; runs under
# any awk (busybox's in the guests too).
#
# usage: awk -f check-log.awk LOG...     (oldest rotated file first)
#
# Reads format 2 (Documentation/logd-format.md).  Checks that the
# records' seq numbers only go forward, that every gap is exactly announced
# by "lost=N" markers, that no record appears twice and that every line
# carries a well-formed receive time; a layout-generation marker
# restarts the numbering.  Prints a one-line JSON summary; exits 1 on a violation.

# every record and marker starts with its receive time (UTC, microseconds)
function stamp() {
	if ($1 !~ /^[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9][0-9][0-9][0-9][0-9][0-9]Z$/)
		fail("bad timestamp " $1)
}

function fail(text) {
	errors++
	if (errors <= 20)
		print "check-log: " FILENAME ":" FNR ": " text > "/dev/stderr"
}

# a file header: "#xshm-logd format=2 region=R ring=N"
$1 == "#xshm-logd" {
	if ($2 != "format=2")
		fail("unknown header: " $0)
	headers++
	next
}

# a marker: "<time> #xshm-logd ring=N key=value..."
$2 == "#xshm-logd" {
	stamp()
	kind = ""
	for (i = 3; i <= NF; i++) {
		k = $i
		sub(/=.*/, "", k)
		v = substr($i, length(k) + 2)
		if (k == "lost") {
			n = v + 0
			lost += n
			pending += n
			kind = "lost"
		} else if (k == "layout-generation") {
			generations++
			have_prev = 0
			pending = 0
			split("", seen)
			kind = "gen"
		} else if (k == "corrupt-data") {
			corrupt++
			kind = "corrupt"
		}
	}
	if (kind == "")
		other++
	next
}

# a record of xshm-rtsim: "<time> | rtsim seq=N ..."
$2 == "|" && $3 == "rtsim" && $4 ~ /^seq=/ {
	stamp()
	seq = substr($4, 5) + 0
	if (seq in seen)
		fail("seq " seq " stored twice")
	seen[seq] = 1
	if (have_prev) {
		want = (prev + 1 + pending) % 4294967296
		if (seq != want)
			fail("seq " seq " after " prev " with " pending " announced lost (want " want ")")
	}
	if (!records)
		first = seq
	records++
	last = seq
	prev = seq
	have_prev = 1
	pending = 0
	next
}

{ other++ }

END {
	printf "{\"records\": %.0f, \"lost\": %.0f, \"first_seq\": %s, \"last_seq\": %s, ", \
		records, lost, records ? sprintf("%.0f", first) : "null", \
		records ? sprintf("%.0f", last) : "null"
	printf "\"lost_after_last\": %.0f, ", pending
	printf "\"generations\": %.0f, \"corrupt_markers\": %.0f, \"headers\": %.0f, \"other_lines\": %.0f, \"errors\": %.0f}\n", \
		generations, corrupt, headers, other, errors
	exit errors ? 1 : 0
}
