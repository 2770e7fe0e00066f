# shellcheck shell=bash
# shellcheck disable=SC2015 # "A && B || fail" means: fail if A or B fails
# Sourced by run.sh: the tools' JSON is valid UTF-8 and keeps 64-bit
# values exact in readers that hold numbers as doubles (xshm(7)).  jq is
# Debian 12's 1.6, which rounds numbers above 2^53.

# valid JSON by python's strict reader and by jq
valid_json() {
	python3 -c 'import json,sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))' "$1" &&
	jq -e . "$1" >/dev/null || { echo "not valid JSON:"; od -c "$1" | head -20; return 1; }
}

t_json_utf8() {
	local f=$W/r$'\xc3\xa9'gion.shm
	rm -f "$f" && newregion "$f" log:var:4K &&
	expect_rc 0 "$INFO" --json -r "$f" && valid_json "$W/out" &&
	# the name as it is in UTF-8, not byte by byte as Latin-1 ("rÃ©gion")
	grep -q $'r\xc3\xa9gion\.shm' "$W/out" && ! grep -q 'u00c3' "$W/out" &&
	json "$W/out" "d['regions'][0]['name'].endswith('/r\u00e9gion.shm')" &&
	[ "$(jq -r '.regions[0].spec' "$W/out")" = "$f" ] &&
	# records: UTF-8 up to 4 bytes passes; any byte not part of valid
	# UTF-8 (stray, overlong, surrogate, truncated) becomes U+FFFD
	printf 'h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\n' >"$W/recs" &&
	printf 'a\xffb\xc0\xafc\xed\xa0\x80d\xe2\x82\n' >>"$W/recs" &&
	printf 'tab\there "q" \\ \x01\x7f\n' >>"$W/recs" &&
	"$RING" send "$f" log <"$W/recs" &&
	expect_rc 0 "$RING" peek --json "$f" log && valid_json "$W/out" &&
	json "$W/out" "[r['data'] for r in d['records']] == ['h\u00e9llo \u20ac \U0001F600', 'a\ufffdb\ufffd\ufffdc\ufffd\ufffd\ufffdd\ufffd\ufffd', 'tab\there \"q\" \\\\ \x01\x7f']" &&
	has "$W/out" '\\u0001\\u007f'
}
tap "json: UTF-8 names and data pass through, invalid bytes become U+FFFD, valid for jq" t_json_utf8

t_json_64bit() {
	local f=$W/gen.shm g _
	rm -f "$f" && newregion "$f" log:var:4K cfg:lww:8:2 &&
	# a generation above 2^53 (random, so nearly always at once)
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		g=$("$INFO" -r "$f" | sed -n 's/.*layout: generation \([0-9]*\),.*/\1/p')
		[ "${#g}" -ge 17 ] && [ "$g" -gt 9007199254740992 ] && break
		"$RING" init --force "$f" -c log:var:4K -c cfg:lww:8:2 >/dev/null || return 1
	done
	[ "$g" -gt 9007199254740992 ] || { echo "no generation above 2^53 in 10 tries"; return 1; }
	echo "generation $g"
	expect_rc 0 "$INFO" --json -r "$f" && valid_json "$W/out" &&
	# jq 1.6 rounds a number this large; the string comes through exact
	[ "$(echo "{\"n\":$g}" | jq -r .n)" != "$g" ] &&
	[ "$(jq -r '.regions[0].layout.generation' "$W/out")" = "$g" ] &&
	expect_rc 0 "$RING" stat --json "$f" && [ "$(jq -r '.layout.generation' "$W/out")" = "$g" ] &&
	[ "$(jq -r '.layout.generation | type' "$W/out")" = string ] &&
	expect_rc 0 "$RING" init --json "$f" -c log:var:4K -c cfg:lww:8:2 &&
	[ "$(jq -r '.generation' "$W/out")" = "$g" ] &&
	# the shared counters are strings too; the fill level is a number
	seq 1 3 | "$RING" send "$f" log &&
	expect_rc 0 "$RING" stat --json "$f" log &&
	[ "$(jq -r '.channels[0] | [.produced, .dropped, .overwritten, .corrupt] | map(type) | unique | .[]' "$W/out")" = string ] &&
	[ "$(jq -r '.channels[0].produced' "$W/out")" = 3 ] &&
	[ "$(jq -r '.channels[0].fill | type' "$W/out")" = number ]
}
tap "json: 64-bit values (generation, counters) are strings that jq 1.6 keeps exact" t_json_64bit
