# shellcheck shell=bash
# Sourced by run.sh: xshm-info: regions, sysfs and device-tree checks.

t_info_region() {
	expect_rc 0 "$INFO" -r "$R" && has "$W/out" 'size 1 MiB|size 256 KiB' &&
	has "$W/out" 'layout: generation [0-9]+, 3 channels' && has "$W/out" 'log +var +drop +fill' &&
	has "$W/out" 'fx +fixed +fail' &&
	expect_rc 0 "$INFO" --json -r "$R" &&
	json "$W/out" "d['regions'][0]['layout']['valid'] and len(d['regions'][0]['channels']) == 3 and d['regions'][0]['channels'][0]['capacity'] == 65536" &&
	expect_rc 4 "$INFO" -r "$W/blank.shm" && has "$W/out" 'holds no xshm layout' &&
	expect_rc 1 "$INFO" -r "$W/nonexistent.shm" &&
	chmod 0444 "$W/blank.shm" && expect_rc 4 "$INFO" -r "$W/blank.shm"
}
tap "xshm-info --region: channels with fill and counters; no layout exit 4" t_info_region

t_info_value_doorbell() {	# the words a 3.1 writer and reader leave (wire-format.md)
	local f=$W/vdb.shm off
	newregion "$f" cfg:seqlock:8 &&
	expect_rc 0 "$INFO" -r "$f" && ! has "$W/out" 'doorbell' &&
	off=$("$INFO" --json -r "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["regions"][0]["channels"][0]["offset"])') &&
	python3 - "$f" "$off" <<'PY' &&
import struct, sys
with open(sys.argv[1], 'r+b') as f:
    base = int(sys.argv[2])
    for rel, v in ((72, 1), (88, 5), (96, 1), (120, 3)):
        f.seek(base + rel)
        f.write(struct.pack('<Q', v))
PY
	expect_rc 0 "$INFO" -r "$f" &&
	has "$W/out" '^    doorbell: writer rings, notified 5; reader has a doorbell, slept 3$' &&
	expect_rc 0 "$INFO" --json -r "$f" &&
	json "$W/out" "d['regions'][0]['channels'][0]['doorbell'] == {'writer_rings': True, 'writer_notified': '5', 'reader_doorbell': True, 'reader_sleeps': '3'}"
}
tap "xshm-info shows a value channel's doorbell words (writer notifications, reader sleeps)" t_info_value_doorbell

t_info_sysfs() {
	local s=$W/sysfs
	mkdir -p "$s/xshm0" "$s/xshm3" "$s/other"
	printf 'shm-a\n' >"$s/xshm0/name"; printf '65536\n' >"$s/xshm0/size"
	printf '0x50000000\n' >"$s/xshm0/phys_addr"; printf '0x0\n' >"$s/xshm0/offset"
	printf 'shm-b\n' >"$s/xshm3/name"; printf '2097152\n' >"$s/xshm3/size"
	printf '0x80000000\n' >"$s/xshm3/phys_addr"; printf '0x1000\n' >"$s/xshm3/offset"
	expect_rc 0 "$INFO" --sysfs "$s" --no-channels &&
	[ "$(head -1 "$W/out")" = 'xshm0: id "shm-a" size 64 KiB (0x10000) base 0x50000000 offset 0x0' ] &&
	[ "$(sed -n 2p "$W/out")" = 'xshm3: id "shm-b" size 2 MiB (0x200000) base 0x80000000 offset 0x1000' ] &&
	expect_rc 0 "$INFO" --sysfs "$s" --no-channels --json &&
	json "$W/out" "[(r['index'], r['name'], r['size'], r['offset'], r['phys_addr']) for r in d['regions']] == [(0,'shm-a',65536,'0',str(0x50000000)),(3,'shm-b',2097152,'4096',str(0x80000000))]" &&
	expect_rc 1 "$INFO" --sysfs "$W/nosuchdir" && has "$W/err" 'is the xshm driver loaded' &&
	mkdir -p "$W/empty" && expect_rc 0 "$INFO" --sysfs "$W/empty" && has "$W/out" 'no regions'
}
tap "xshm-info lists the driver's regions from sysfs (text, JSON, no driver)" t_info_sysfs

t_info_usage() {
	expect_rc 2 "$INFO" --page-size 1000 && has "$W/err" 'power of two' &&
	expect_rc 2 "$INFO" --phys-bits 65 && has "$W/err" 'phys-bits' &&
	expect_rc 2 "$INFO" extra && has "$W/err" 'unexpected argument' &&
	expect_rc 2 "$INFO" --bogus
}
tap "xshm-info: usage errors exit 2" t_info_usage

# device trees: a template with the reserved-memory children given
dtb() {	# dtb NAME NODES [RESMEM-CELLS]
	local cells=${3:-'#address-cells = <2>; #size-cells = <2>;'}
	cat >"$W/$1.dts" <<DTS
/dts-v1/;
/ {
	#address-cells = <2>; #size-cells = <2>;
	memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x40000000>; };
	reserved-memory {
		$cells
		ranges;
		$2
	};
};
DTS
	dtc -q -I dts -O dtb -o "$W/$1.dtb" "$W/$1.dts"
}
node() {	# node UNIT BODY
	echo "xen-shmem@$1 { compatible = \"xen,shared-memory-v1\"; $2 };"
}
GOOD_A=$(node 50000000 'reg = <0x0 0x50000000 0x0 0x10000>; xen,id = "shm-a"; xen,offset = <0x0 0x0>;')
GOOD_B=$(node 60000000 'reg = <0x0 0x60000000 0x0 0x200000>; xen,id = "shm-b"; xen,offset = <0x0 0x0>; no-map;')

t_dt_good() {
	dtb good "$GOOD_A $GOOD_B" &&
	expect_rc 0 "$INFO" --dtb "$W/good.dtb" && has "$W/out" '2 xen,shared-memory-v1 nodes, 0 errors, 0 warnings' &&
	has "$W/out" '^/reserved-memory/xen-shmem@50000000: ok' &&
	has "$W/out" 'base 0x60000000 size 2 MiB \(0x200000\), id "shm-b", xen,offset 0x0, no-map' &&
	expect_rc 0 "$INFO" --json --dtb "$W/good.dtb" &&
	json "$W/out" "d['tree']['errors'] == 0 and [(x['id'], x['base'], x['size'], x['no_map'], x['ok']) for x in d['tree']['nodes']] == [('shm-a', str(0x50000000), str(0x10000), False, True), ('shm-b', str(0x60000000), str(0x200000), True, True)]" &&
	dtb cells1 "$(node 50000000 'reg = <0x50000000 0x10000>; xen,id = "one";')" '#address-cells = <1>; #size-cells = <1>;' &&
	expect_rc 5 "$INFO" --dtb "$W/cells1.dtb" && has "$W/out" 'base 0x50000000 size 64 KiB' &&
	has "$W/out" 'error: /reserved-memory has other #address-cells'
}
tap "xshm-info --dtb explains a good tree (text and JSON), refuses a 1-cell /reserved-memory" t_dt_good

t_dt_bad() {	# each malformed node gives its own explanation and exit 5
	local cases=(
		"noreg|$(node 50000000 'xen,id = "a";')|missing reg property"
		"zero|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x0>; xen,id = "a";')|size is zero"
		"ubase|$(node 50000800 'reg = <0x0 0x50000800 0x0 0x10000>; xen,id = "a";')|base 0x50000800 is not aligned to Xen's 4 KiB pages"
		"usize|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x10800>; xen,id = "a";')|size 0x10800 is not a multiple of Xen's 4 KiB pages"
		"reglen|$(node 50000000 'reg = <0x0 0x50000000 0x10000>; xen,id = "a";')|wrong cell count: reg has 12 bytes"
		"twice|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000 0x0 0x60000000 0x0 0x1000>; xen,id = "a";')|reg has 2 entries"
		"absurd|$(node 0 'reg = <0x0 0x0 0x200 0x0>; xen,id = "a";')|absurd size 0x20000000000"
		"wrap|$(node 0 'reg = <0xffffffff 0xfffff000 0x0 0x2000>; xen,id = "a";')|absurd size"
		"pastend|$(node ffff00000000 'reg = <0xffff 0x0 0x2 0x0>; xen,id = "a";')|ends at 0x1000100000000, past the 48-bit physical address space"
		"straddle|$(node 7ffff000 'reg = <0x0 0x7ffff000 0x0 0x2000>; xen,id = "a";')|only 0x1000 of its 0x2000 bytes are RAM"
		"overlap|$GOOD_A $(node 50008000 'reg = <0x0 0x50008000 0x0 0x10000>; xen,id = "b";')|overlaps /reserved-memory/xen-shmem@50000000"
		"dupid|$GOOD_A $(node 70000000 'reg = <0x0 0x70000000 0x0 0x1000>; xen,id = "shm-a";')|duplicate xen,id \"shm-a\""
		"longid|$(node 50000000 "reg = <0x0 0x50000000 0x0 0x1000>; xen,id = \"$(printf 'i%.0s' {1..129})\";")|xen,id is 129 characters long \(at most 128\)"
		"emptyid|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "";')|xen,id is empty"
		"twoids|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a", "b";')|xen,id is not a single NUL-terminated string"
		"slashid|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a/b";')|xen,id has character 0x2f; allowed are ASCII letters"
		"bangid|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a!b";')|xen,id has character 0x21"
		"dotid|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "..";')|xen,id \"..\" cannot be a file name"
		"offset4|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a"; xen,offset = <0x0>;')|xen,offset has 4 bytes \\(8 expected\\)"
		"outside|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a";' | sed 's/^/nested { #address-cells = <2>; #size-cells = <2>; ranges; /; s/$/ };/')|not a child of /reserved-memory"
		"offset|$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a"; xen,offset = [00 00 00];')|xen,offset has 3 bytes"
	)
	for c in "${cases[@]}"; do
		local name=${c%%|*} rest=${c#*|}
		local nodes=${rest%|*} want=${rest##*|}
		dtb "$name" "$nodes" || return 1
		expect_rc 5 "$INFO" --dtb "$W/$name.dtb" || { echo "case $name"; return 1; }
		has "$W/out" "error: $want" || { echo "case $name"; return 1; }
		has "$W/out" 'REJECTED' || return 1
	done
	dtb cells3 "$(node 50000000 'reg = <0x0 0x0 0x50000000 0x0 0x1000>; xen,id = "a";')" '#address-cells = <3>; #size-cells = <2>;' &&
	expect_rc 5 "$INFO" --json --dtb "$W/cells3.dtb" &&
	json "$W/out" "d['tree']['errors'] == 2 and 'wrong cell count' in d['tree']['nodes'][0]['problems'][0]['message']"
}
tap "xshm-info --dtb explains 22 kinds of malformed node, exit 5" t_dt_bad

t_dt_notes() {
	dtb notes "$(node 50000000 'reg = <0x0 0x50000000 0x0 0x1000>; xen,id = "a-sixteen-chars_";') $(node 60000000 'reg = <0x0 0x60000000 0x0 0x1000>;') $(node 70000000 'reg = <0x0 0x70000000 0x0 0x1000>; status = "disabled";')" &&
	expect_rc 0 "$INFO" --dtb "$W/notes.dtb" &&
	has "$W/out" 'note: xen,id is 16 characters long; Xen itself writes at most 15' &&
	has "$W/out" 'warning: no xen,id' && has "$W/out" '70000000: disabled' &&
	expect_rc 1 "$INFO" --dtb "$W/in.txt" && has "$W/err" 'not a valid device tree' &&
	# the old format libfdt 1.6.1 crashes on is refused, version 16 is read
	dtc -q -V 3 -I dtb -O dtb -o "$W/v3.dtb" "$W/notes.dtb" &&
	expect_rc 1 "$INFO" --dtb "$W/v3.dtb" &&
	has "$W/err" 'format version 3 is older than 16' &&
	dtc -q -V 16 -I dtb -O dtb -o "$W/v16.dtb" "$W/notes.dtb" &&
	expect_rc 0 "$INFO" --dtb "$W/v16.dtb" &&
	expect_rc 1 "$INFO" --dtb "$W/nonexistent.dtb"
}
tap "xshm-info --dtb: notes and warnings keep exit 0; a non-tree or a pre-16 tree exits 1" t_dt_notes

# nest LEVELS BODY: BODY LEVELS nodes below the root, in nodes named "n"
nest() {
	local i open='' close=''
	for ((i = 1; i < $1; i++)); do open+='n { '; close+='}; '; done
	printf '/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>; %s %s %s};\n' \
		"$open" "$2" "$close"
}
t_dt_limits() {	# the depth Linux unflattens and the number of regions checked
	local r='r@50000000 { compatible = "xen,shared-memory-v1"; reg = <0x50000000 0x1000>; xen,id = "deep"; };'
	local path i
	path=$(printf '/n%.0s' {1..61})/r@50000000
	nest 62 "$r" | dtc -q -I dts -O dtb -o "$W/d62.dtb" - &&
	# examined (its one error: the driver binds /reserved-memory children only)
	expect_rc 5 "$INFO" --dtb "$W/d62.dtb" && has "$W/out" "^$path: REJECTED" &&
	has "$W/out" 'id "deep"' && has "$W/out" '1 xen,shared-memory-v1 node, 1 error' &&
	has "$W/out" 'error: not a child of /reserved-memory' &&
	nest 63 "$r" | dtc -q -I dts -O dtb -o "$W/d63.dtb" - &&
	expect_rc 5 "$INFO" --dtb "$W/d63.dtb" &&
	has "$W/out" '0 xen,shared-memory-v1 nodes, 1 error' &&
	has "$W/out" 'error: nodes 63 or more levels below the root .*: Linux skips them' &&
	for ((i = 0; i < 1100; i++)); do
		printf 'r@%x { compatible = "xen,shared-memory-v1"; reg = <0x0 0x%x 0x0 0x1000>; xen,id = "r%d"; };\n' \
			$((0x50000000 + i * 4096)) $((0x50000000 + i * 4096)) "$i"
	done >"$W/many.dtsi" &&
	dtb many "$(cat "$W/many.dtsi")" &&
	expect_rc 5 "$INFO" --dtb "$W/many.dtb" &&
	has "$W/out" '1024 xen,shared-memory-v1 nodes, 1 error' &&
	has "$W/out" 'error: more than 1024 nodes are compatible with "xen,shared-memory-v1": the rest are not checked' &&
	has "$W/out" '^/reserved-memory/r@503ff000: ok' &&
	! grep -q 'r@50400000' "$W/out" &&
	# two /memory nodes of 3000 ranges: RAM checks use the first 4096, once
	{
		printf '/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>;\n'
		for i in 0 1; do
			printf 'memory@%d { device_type = "memory"; reg = <' "$i"
			seq 0 2999 | awk -v m="$i" '{ printf " 0x%x 0x1000", 1073741824 + (m * 3000 + $1) * 8192 }'
			printf '>; };\n'
		done
		printf 'r@40000000 { compatible = "xen,shared-memory-v1"; reg = <0x40000000 0x2000>; xen,id = "r"; };\n};\n'
	} | dtc -q -I dts -O dtb -o "$W/ram.dtb" - &&
	expect_rc 5 "$INFO" --dtb "$W/ram.dtb" &&
	[ "$(grep -c 'more than 4096 RAM ranges' "$W/out")" = 1 ] &&
	has "$W/out" 'error: only 0x1000 of its 0x2000 bytes are RAM'
}
tap "xshm-info --dtb: limits on depth (63), regions (1024) and RAM ranges (4096)" t_dt_limits

t_dt_wrapping_prop() {	# a property length that libfdt 1.6.1 wraps back to its tag
	python3 - "$W/wrap.dtb" <<'PY' &&
import struct, sys
# root node { prop; }: the property's length 2^32 - 12 puts libfdt's next
# tag offset back on the property itself
st = struct.pack(">II", 1, 0) + struct.pack(">III", 3, 0xfffffff4, 0) + \
     struct.pack(">II", 2, 9)
strings = b"p\0"
rsv = b"\0" * 16
off_st = 40 + len(rsv)
off_str = off_st + len(st)
hdr = struct.pack(">10I", 0xd00dfeed, off_str + len(strings), off_st, off_str,
                  40, 17, 16, 0, len(strings), len(st))
open(sys.argv[1], "wb").write(hdr + rsv + st + strings)
PY
	expect_rc 1 timeout 20 "$INFO" --dtb "$W/wrap.dtb" &&
	has "$W/err" 'not a valid device tree blob: FDT_ERR_BADSTRUCTURE'
}
tap "xshm-info --dtb: a property length that wraps libfdt's offsets exits 1, no endless loop" t_dt_wrapping_prop
