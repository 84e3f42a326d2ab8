#!/usr/bin/env bash
# Flow logs under a flood, and stopped mid-window.
#
# 1. Flood: 5,000,000 UDP packets of 5,000,000 distinct 5-tuples, all in one
#    600-s window, through a pipe into
#      vxtap analyze --read - --flow-logs DIR --flow-table-size 1000000
#    The window's objects must hold exactly 1,000,000 OK records (the first
#    1,000,000 flows, one packet each) and one SKIPDATA record, and the
#    summary must count 4,000,000 skipped packets. Peak RSS (GNU time's
#    maximum resident set size) must stay within what the table explains:
#      baseline (the same command on 1,000 flows, a 1,000-flow table)
#      + 1,000,000 x 64-byte entries + the index (a power of two of 4-byte
#        slots, at least twice the flows: 2^21 x 4 bytes)
#      + 4 MiB (zlib streams, stdio and allocator slack)
#    and 5,000,000 flows must not take more than 1,000,000 do (+ 1 MiB): the
#    memory does not grow with the flood.
#
# 2. SIGTERM mid-window: a pipe carries a first 600-s window's packets and
#    part of the next window's, then the writer stalls with the pipe open.
#    Once vxtap has read everything, the first window (closed by packet
#    time) must already be published as whole S3 objects; SIGTERM must then
#    stop vxtap with status 0 and publish the open window too: every record
#    of both windows, with every packet fed counted, no temporary dot-file
#    left. Run twice: with the last batch of frames complete (vxtap waits in
#    a read with nothing pending) and with a partial batch pending.
#
#   flowlog_flood.sh PATH_TO_VXTAP
# Exits 77 (skipped) when GNU time (/usr/bin/time) is not installed, after
# checking everything but the memory.
set -euo pipefail

vxtap=${1:?usage: flowlog_flood.sh PATH_TO_VXTAP}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
export VXTAP_STATE=$work/state.db
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.err; do
		[[ -s $f ]] && { echo "---- ${f##*/}"; head -20 "$f"; }
	done
	exit 1
}

# flood COUNT — a classic pcap on stdout: COUNT UDP packets (42-byte frames),
# packet i from 10.(64+k).h.l:1024 to 10.(128-k).~h.~l:9, where k is i's
# 65,536-packet chunk and h.l its place in the chunk: all 5-tuples distinct.
# Seconds rise from 1700000400 (a multiple of 600) to at most 540 s later,
# so every packet is in one 600-s window and its records in both of its
# 5-minute files. Source and destination change by complementary amounts,
# so every IPv4 header has the same, correct, checksum.
flood() {
	python3 - "$1" <<'EOF'
import struct, sys
count = int(sys.argv[1])
assert 0 < count <= 128 * 65536
chunk = min(65536, -(-count // 64))
ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
                           bytes([10, 64, 0, 0]), bytes([10, 128, 255, 255])))
s = sum(struct.unpack("!10H", ip))
while s >> 16:
    s = (s & 0xFFFF) + (s >> 16)
ip[10:12] = struct.pack("!H", ~s & 0xFFFF)
frame = (bytes.fromhex("020000000002020000000001") + b"\x08\x00" + bytes(ip) +
         struct.pack("!HHHH", 1024, 9, 8, 0))
rec = 16 + len(frame)
hi = bytes(i >> 8 for i in range(chunk))
lo = bytes(i & 0xFF for i in range(chunk))
nhi = bytes(255 - b for b in hi)
nlo = bytes(255 - b for b in lo)
out = sys.stdout.buffer
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
sent = k = 0
while sent < count:
    n = min(chunk, count - sent)
    buf = bytearray((struct.pack("<IIII", 1700000400 + sent * 540 // count, 0, len(frame), 60)
                     + frame) * n)
    a = 16 + 14 + 12  # the source address in the first record
    buf[a + 1::rec] = bytes([64 + k]) * n
    buf[a + 2::rec] = hi[:n]
    buf[a + 3::rec] = lo[:n]
    buf[a + 5::rec] = bytes([128 - k]) * n
    buf[a + 6::rec] = nhi[:n]
    buf[a + 7::rec] = nlo[:n]
    out.write(buf)
    sent += n
    k += 1
EOF
}

gnu_time=/usr/bin/time
[[ -x $gnu_time ]] && "$gnu_time" -f %M true >/dev/null 2>&1 || gnu_time=""

# meter NAME COUNT TABLE — COUNT flooded packets through vxtap into
# $work/NAME/ (summary NAME.summary, peak RSS in KiB in NAME.rss).
meter() {
	local name=$1 count=$2 table=$3
	local -a timed=()
	[[ -n $gnu_time ]] && timed=("$gnu_time" -f %M -o "$work/$name.rss")
	mkdir "$work/$name"
	flood "$count" | "${timed[@]}" "$vxtap" analyze --read - --flow-logs "$work/$name" \
		--flow-table-size "$table" --max-aggregation-interval 600 \
		--summary "$work/$name.summary" 2>"$work/$name.err" ||
		fail "$name: vxtap exited non-zero"
}

# summary NAME COUNTER — a counter of NAME's summary.
summary() {
	awk -v k="$2" '$1 == k { print $2 }' "$work/$1.summary"
}

# records DIR — every record line of DIR's published objects (no header).
records() {
	find "$1" -name '*.log.gz' -print0 | sort -z | xargs -0 -r zcat | { grep -v '^version ' || true; }
}

# no_temp DIR — fails when a temporary dot-file is left in DIR.
no_temp() {
	local left
	left=$(find "$1" -name '.*' | head -3)
	[[ -z $left ]] || fail "temporary files left: $left"
}

# ---- 1. Flood ----

meter base 1000 1000
meter full 1000000 1000000
meter flood 5000000 1000000

[[ $(summary flood frames) == 5000000 ]] || fail "flood: frames $(summary flood frames), expected 5000000"
[[ $(summary flood flowlog.packets) == 5000000 ]] || fail "flood: flowlog.packets $(summary flood flowlog.packets)"
[[ $(summary flood flowlog.skipped_packets) == 4000000 ]] ||
	fail "flood: flowlog.skipped_packets $(summary flood flowlog.skipped_packets), expected 4000000"
[[ $(summary flood flowlog.peak_flows) == 1000000 ]] || fail "flood: peak_flows $(summary flood flowlog.peak_flows)"
[[ $(summary flood flowlog.records_lost) == 0 && $(summary flood flowlog.write_errors) == 0 ]] ||
	fail "flood: records lost or write errors"
no_temp "$work/flood"
# OK records, their packets, SKIPDATA records, the first and last source.
read -r ok packets skip first last other < <(records "$work/flood" | awk '
	$NF == "OK" { ok++; packets += $9; if (!first) first = $4; last = $4; next }
	$NF == "SKIPDATA" { skip++; next }
	{ other++ }
	END { print ok + 0, packets + 0, skip + 0, first, last, other + 0 }')
[[ $ok == 1000000 ]] || fail "flood: $ok OK records, expected 1000000"
[[ $packets == 1000000 ]] || fail "flood: the OK records count $packets packets, expected 1000000"
[[ $skip == 1 ]] || fail "flood: $skip SKIPDATA records, expected 1"
[[ $other == 0 ]] || fail "flood: $other records neither OK nor SKIPDATA"
# Records come in first-seen order: flows 0 and 999,999 (chunk 15, 16,959th).
[[ $first == 10.64.0.0 && $last == 10.79.66.63 ]] ||
	fail "flood: records from $first to $last, expected the first 1,000,000 flows (10.64.0.0 to 10.79.66.63)"
echo "flowlog/flood: 5,000,000 flows, 1,000,000 OK records + 1 SKIPDATA, 4,000,000 packets skipped"

if [[ -n $gnu_time ]]; then
	base=$(tail -1 "$work/base.rss")
	full=$(tail -1 "$work/full.rss")
	peak=$(tail -1 "$work/flood.rss")
	slots=2
	while ((slots < 2 * 1000000)); do slots=$((slots * 2)); done
	table_kib=$(((1000000 * 64 + slots * 4) / 1024))
	bound=$((base + table_kib + 4096))
	echo "flowlog/flood: peak RSS $peak KiB (1,000,000 flows: $full KiB; baseline $base KiB +" \
		"table $table_kib KiB + 4096 KiB = bound $bound KiB)"
	((peak <= bound)) || fail "flood: peak RSS $peak KiB over the bound $bound KiB"
	((peak <= full + 1024)) ||
		fail "flood: 5,000,000 flows took $peak KiB, 1,000,000 took $full KiB: memory grows with flows"
fi

# ---- 2. SIGTERM mid-window ----

# stall N1 N2 READY — a classic pcap on stdout: N1 flows of two packets each
# in the window 1700000400-1700000999 (seconds spread over it), then N2 flows
# of one packet in the next window (1700001000-1700001029); then, once the
# reader has taken every byte from the pipe, creates READY and sleeps.
stall() {
	exec python3 - "$@" <<'EOF'
import array, fcntl, struct, sys, termios, time
n1, n2, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def pkt(sec, net, i):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
                     bytes([10, net, i >> 8, i & 255]), bytes([10, 200, 0, 1]))
    f = (bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip +
         struct.pack("!HHHH", 1024, 9, 8, 0))
    return struct.pack("<IIII", sec, 0, len(f), 60) + f
out = sys.stdout.buffer
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
first = [pkt(1700000400 + i % 300, 1, i) for i in range(n1)]
again = [pkt(1700000700 + i % 300, 1, i) for i in range(n1)]
out.write(b"".join(first + again + [pkt(1700001000 + i % 30, 2, i) for i in range(n2)]))
out.flush()
left = array.array("i", [0])
while True:
    fcntl.ioctl(1, termios.FIONREAD, left)
    if left[0] == 0:
        break
    time.sleep(0.01)
open(ready, "w").close()
time.sleep(120)
EOF
}

# stop_mid_window NAME N1 N2
stop_mid_window() {
	local name=$1 n1=$2 n2=$3 dir=$work/$1 i
	mkdir "$dir"
	mkfifo "$work/$name.pipe"
	stall "$n1" "$n2" "$work/$name.ready" >"$work/$name.pipe" &
	local writer=$!
	pids+=("$writer")
	"$vxtap" analyze --read - --flow-logs "$dir" --max-aggregation-interval 600 \
		--summary "$work/$name.summary" <"$work/$name.pipe" 2>"$work/$name.err" &
	local pid=$!
	pids+=("$pid")
	for ((i = 0; i < 200; i++)); do
		[[ -e $work/$name.ready ]] && break
		sleep 0.05
	done
	[[ -e $work/$name.ready ]] || fail "$name: vxtap did not read the pipe"
	# The first window closed when the second's packets came: its records
	# (all ending in its second 5-minute period) are published while vxtap
	# still runs.
	for ((i = 0; i < 200; i++)); do
		[[ -n $(find "$dir" -name '*.log.gz') ]] && break
		sleep 0.05
	done
	local n
	n=$(records "$dir" | awk '$NF == "OK" && $9 == 2' | wc -l)
	[[ $n == "$n1" ]] || fail "$name: before SIGTERM, $n records of the closed window published, expected $n1"
	kill -0 "$pid" 2>/dev/null || fail "$name: vxtap exited before SIGTERM"

	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "$name: vxtap still running 10 s after SIGTERM"
	local rc=0
	wait "$pid" || rc=$?
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	[[ $rc == 0 ]] || fail "$name: exit status $rc after SIGTERM, expected 0"

	no_temp "$dir"
	local w1 w2 pk
	read -r w1 w2 pk < <(records "$dir" | awk '
		$NF == "OK" && $11 < 1700001000 && $9 == 2 { w1++ }
		$NF == "OK" && $11 >= 1700001000 && $9 == 1 { w2++ }
		$NF == "OK" { pk += $9 }
		END { print w1 + 0, w2 + 0, pk + 0 }')
	[[ $w1 == "$n1" ]] || fail "$name: $w1 records of the closed window, expected $n1"
	[[ $w2 == "$n2" ]] || fail "$name: $w2 records of the window open at SIGTERM, expected $n2"
	[[ $pk == $((2 * n1 + n2)) ]] || fail "$name: records count $pk packets, $((2 * n1 + n2)) fed"
	[[ $(summary "$name" flowlog.packets) == $((2 * n1 + n2)) ]] ||
		fail "$name: flowlog.packets $(summary "$name" flowlog.packets), expected $((2 * n1 + n2))"
	echo "flowlog/flood: SIGTERM mid-window ($name): $n1 + $n2 records published, exit 0"
}

# 2 x 3000 + 2000 = 8000 frames, 125 whole batches of 64; 8003: 3 pending.
stop_mid_window term-idle 3000 2000
stop_mid_window term-pending 3000 2003

if [[ -z $gnu_time ]]; then
	echo "SKIP: peak RSS not measured: /usr/bin/time (GNU time) is not installed"
	exit 77
fi
