#!/usr/bin/awk -f
# Check logs written by xshm-logd from records of xshm-rtsim; runs under
# any awk (busybox's in the guests too).
#
# usage: awk -f check-log.awk LOG...     (oldest rotated file first)
#
# Checks that the records' seq numbers only go forward, that every gap is
# exactly announced by a "#xshm-logd ring=R lost=N before-seq=S" marker
# and that no record appears twice; a layout-generation marker restarts
# the numbering.  Prints a one-line JSON summary; exits 1 on a violation.

function fail(text) {
	errors++
	if (errors <= 20)
		print "check-log: " FILENAME ":" FNR ": " text > "/dev/stderr"
}

/^#xshm-logd / {
	if ($3 ~ /^lost=/) {
		n = substr($3, 6) + 0
		lost += n
		pending += n
	} else if ($3 ~ /^layout-generation=/) {
		generations++
		have_prev = 0
		pending = 0
		split("", seen)
	} else if ($3 == "corrupt-data") {
		corrupt++
	} else {
		other++
	}
	next
}

/^rtsim seq=/ {
	seq = substr($2, 5) + 0
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
	printf "\"generations\": %.0f, \"corrupt_markers\": %.0f, \"other_lines\": %.0f, \"errors\": %.0f}\n", \
		generations, corrupt, other, errors
	exit errors ? 1 : 0
}
