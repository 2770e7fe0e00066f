# shellcheck shell=sh
# shellcheck disable=SC2154 # expect, ID, note(), check() come from guest-check.sh
# Sourced by guest-check.sh in the systemd guest: xshm-logd@.service as
# deployed, on the region $ID of the good tree (expect=region) or on none
# (expect=none).  Nothing here starts the unit: udev does, from the rule's
# SYSTEMD_WANTS, when the region's device appears.
#   region  started by udev for dev-xshmN.device and bound to it, Type=notify
#           (READY=1, totals in STATUS=), stores every record; its
#           systemd-analyze security score <= 3.0; stopped when the device
#           goes (SIGTERM: final totals in the journal) and started again
#           when it comes back; a drop-in moves the logs elsewhere
#           (XSHM_LOGD_DIR + ReadWritePaths=) under ProtectSystem=strict
#   none    no instance exists, none failed

# wait_sum LOG N: the log checker's summary once LOG holds N records
wait_sum() {
	i=0
	while [ $i -lt 60 ]; do
		awk -f /check-log.awk "$1" >/tmp/sum 2>/dev/null &&
			grep -q "\"records\": $2," /tmp/sum && break
		sleep 0.5
		i=$((i + 1))
	done
	cat /tmp/sum
}

# wait_state UNIT STATE: systemctl is-active says STATE within 15 s
wait_state() {
	i=0
	until [ "$(systemctl is-active "$1")" = "$2" ]; do
		[ $i -lt 30 ] || { systemctl status --no-pager -n 10 "$1"; return 1; }
		sleep 0.5
		i=$((i + 1))
	done
}

if [ "$expect" != region ]; then
	none() {
		systemctl list-units --all --no-legend --plain 'xshm-logd@*' | tee /tmp/units
		[ ! -s /tmp/units ] && ! systemctl --failed --no-legend --plain | grep .
	}
	check "no region: no xshm-logd@ instance was started, no unit failed" none
	return 0
fi

dev=$(basename "$(readlink -f "/dev/xshm/by-name/$ID")")
UNIT=xshm-logd@$dev.service
log=/var/log/xshm/$ID/log.log

# has PROPERTY UNIT VALUE: systemctl show lists VALUE in PROPERTY of UNIT
has() {
	systemctl show -P "$1" "$2" | tr ' ' '\n' | grep -qx "$3" ||
		{ echo "$1 of $2: $(systemctl show -P "$1" "$2")"; return 1; }
}

# Nobody enabled it (the template has no [Install] section): udev's
# SYSTEMD_WANTS started it ("bound" below sees it start again).
started() {
	has UnitFileState "$UNIT" static &&
	has Type "$UNIT" notify &&
	has BindsTo "$UNIT" "dev-$dev.device" &&
	has After "$UNIT" "dev-$dev.device" &&
	wait_state "$UNIT" active
}
check "$UNIT: not enabled (static) yet active after boot, Type=notify, BindsTo=/After= dev-$dev.device" started
systemctl status --no-pager -n 5 "$UNIT" 2>&1 | note

# A producer in this guest writes 200 records into the region's log ring;
# the daemon, waiting for a layout since boot, must store every one.
stores() {
	xshm-ring init --force "$ID" -c log:var:16K:drop >/dev/null &&
	xshm-rtsim -r 2000 -n 200 "$ID" log &&
	wait_sum "$log" 200 &&
	grep -q '"records": 200, "lost": 0, "first_seq": 0, "last_seq": 199' /tmp/sum
}
check "$UNIT stored all 200 records xshm-rtsim wrote, in $log" stores

status() {
	i=0
	until systemctl show -P StatusText "$UNIT" |
		grep -qx "storing 1 ring of /dev/$dev: 200 records stored, 0 lost, 0 corrupt"; do
		[ $i -lt 10 ] || { systemctl show -P StatusText "$UNIT"; return 1; }
		sleep 0.5
		i=$((i + 1))
	done
}
check "systemctl status shows the totals the daemon sends (STATUS=)" status

security() {
	systemd-analyze security --no-pager "$UNIT" >/tmp/sec 2>&1
	grep -v '^✓' /tmp/sec
	score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' /tmp/sec)
	echo "score: $score"
	[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s > 0 && s <= 3.0) }'
}
check_verbose=1 check "systemd-analyze security $UNIT: 3.0 or lower" security

# The device goes (a remove event, as when the driver unbinds): BindsTo=
# stops the daemon with SIGTERM, which prints the final totals; the device
# comes back: udev's SYSTEMD_WANTS starts it again.
bound() {
	udevadm trigger --action=remove --settle "/sys/class/xshm/$dev" &&
	wait_state "$UNIT" inactive &&
	journalctl -b -o cat -u "$UNIT" | grep 'stopped: ring "log" -> .*: written 200 records .* lost 0 ' &&
	udevadm trigger --action=add --settle "/sys/class/xshm/$dev" &&
	wait_state "$UNIT" active
}
check "$UNIT stops when its device goes (final totals in the journal), starts when it comes back" bound

# Logs elsewhere: ProtectSystem=strict keeps the rest read-only, so the
# drop-in names the directory writable (xshm-logd(1), "Under systemd").
elsewhere() {
	mkdir -p /srv/xshm-logs /etc/systemd/system/xshm-logd@.service.d &&
	printf '[Service]\nEnvironment=XSHM_LOGD_DIR=/srv/xshm-logs\nReadWritePaths=/srv/xshm-logs\n' \
		>/etc/systemd/system/xshm-logd@.service.d/dir.conf &&
	systemctl daemon-reload && systemctl restart "$UNIT" &&
	xshm-rtsim -r 2000 -n 100 "$ID" log &&
	wait_sum "/srv/xshm-logs/$ID/log.log" 100 &&
	grep -q '"records": 100, "lost": 0, "first_seq": 200, "last_seq": 299' /tmp/sum &&
	[ "$(systemctl show -P ProtectSystem "$UNIT")" = strict ]
}
check "a drop-in (XSHM_LOGD_DIR, ReadWritePaths=) moves the logs to /srv/xshm-logs under ProtectSystem=strict" elsewhere

# jfield FIELD MATCH...: the values of FIELD in this boot's entries of the
# unit that match, oldest first (journalctl's export format: text fields
# are FIELD=value lines)
jfield() {
	f=$1
	shift
	journalctl -b -u "$UNIT" -o export "$@" | sed -n "s/^$f=//p"
}

# --journal (a drop-in, as a user sets it): the records and markers also
# go to the journal.  The unit is stopped while xshm-rtsim writes more
# than the ring holds (drops), then started: the journal must carry every
# record stored from then on, with the same text, its seq and the layout
# generation, and loss entries adding up to the file's lost= markers.
journal() {
	log=/srv/xshm-logs/$ID/log.log
	printf '[Service]\nEnvironment=XSHM_LOGD_OPTS=--journal\n' \
		>/etc/systemd/system/xshm-logd@.service.d/journal.conf &&
	systemctl daemon-reload && systemctl stop "$UNIT" || return 1
	before=$(grep -c ' | ' "$log")
	xshm-rtsim -r 1000000 -n 1000 "$ID" log
	systemctl start "$UNIT" && wait_state "$UNIT" active &&
	xshm-rtsim -r 2000 -n 100 "$ID" log || return 1
	i=0
	until [ "$(jfield XSHM_SEQ XSHM_KIND=record | tail -n 1)" = 1399 ]; do
		[ $i -lt 30 ] || { echo "the journal has no record seq 1399"; return 1; }
		sleep 0.5
		i=$((i + 1))
	done
	awk -f /check-log.awk "$log" >/tmp/sum || return 1
	cat /tmp/sum
	stored=$(($(grep -c ' | ' "$log") - before))
	jrec=$(jfield XSHM_SEQ XSHM_KIND=record | wc -l)
	jlost=$(jfield XSHM_LOST XSHM_KIND=lost | awk '{ s += $1 } END { print s + 0 }')
	flost=$(sed -n 's/.*"lost": \([0-9]*\),.*/\1/p' /tmp/sum)
	gen=$(sed -n 's/.* #xshm-logd ring=log layout-generation=//p' "$log" | tail -n 1)
	echo "file: $stored records since the restart, lost $flost; journal: $jrec records, lost $jlost; generation $gen"
	[ "$stored" -gt 100 ] && [ "$jrec" = "$stored" ] &&
		[ "$flost" -gt 0 ] && [ "$jlost" = "$flost" ] || return 1
	# the same text, in the same order, as the file's payloads
	journalctl -b -u "$UNIT" -o cat XSHM_KIND=record >/tmp/jmsg &&
		grep ' | ' "$log" | tail -n "$stored" | sed 's/^[^|]*| //' >/tmp/fmsg &&
		cmp /tmp/jmsg /tmp/fmsg || return 1
	# seqs increasing, ending at 1399; one region, ring and generation
	jfield XSHM_SEQ XSHM_KIND=record | awk 'NR > 1 && $1 <= p { exit 1 } { p = $1 }' &&
	[ "$(jfield XSHM_REGION XSHM_KIND=record | sort -u)" = "$ID" ] &&
	[ "$(jfield SYSLOG_IDENTIFIER XSHM_KIND=record | sort -u)" = "$ID" ] &&
	[ "$(jfield XSHM_RING XSHM_KIND=record | sort -u)" = log ] &&
	[ "$(jfield XSHM_GENERATION XSHM_KIND=record | sort -u)" = "$gen" ] &&
	[ "$(jfield PRIORITY XSHM_KIND=lost | sort -u)" = 4 ] &&
	journalctl -b -o cat -t "$ID" XSHM_KIND=lost | head -n 3
}
check_verbose=1 check "--journal: every record stored since also in the journal (same text, XSHM_SEQ, XSHM_GENERATION, SYSLOG_IDENTIFIER), lost entries = the file's lost= total" journal

# A record too large for a datagram (300000 bytes, 1.2 MB escaped) goes to
# journald in a sealed memfd; a re-initialised layout shows as a
# generation entry.
big() {
	xshm-ring init --force "$ID" -c log:var:1M:drop:400000 >/dev/null &&
	{ printf '\340\223\004\000'; head -c 300000 /dev/zero | tr '\0' '\1'; } |
		xshm-ring send --binary "$ID" log || return 1
	i=0
	until jfield XSHM_KIND XSHM_KIND=record XSHM_SEQ=0 | grep -q record; do
		[ $i -lt 30 ] || { echo "no record seq 0 of the new layout in the journal"; return 1; }
		sleep 0.5
		i=$((i + 1))
	done
	len=$(journalctl -b -u "$UNIT" --all -o cat XSHM_KIND=record XSHM_SEQ=0 | tail -n 1 | wc -c)
	gens=$(jfield XSHM_GENERATION XSHM_KIND=generation | sort -u | wc -l)
	echo "message of $len bytes; $gens layout generations in the journal"
	[ "$len" = 1200001 ] && [ "$gens" -ge 1 ] &&
		journalctl -b -u "$UNIT" --all -o cat XSHM_KIND=record XSHM_SEQ=0 | tail -n 1 |
		grep -qx '\(\\x01\)*'
}
check "--journal: a 300000-byte record (1.2 MB escaped) reaches the journal whole (sealed memfd), the new layout as a generation entry" big
