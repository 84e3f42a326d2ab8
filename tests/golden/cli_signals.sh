#!/usr/bin/env bash
# Signals on a running analyzer (UDP listener on loopback, no root needed):
# SIGUSR1 writes the summary and the analyzer goes on; SIGTERM flushes the
# HTTP log, writes the final summary and exits 0.
set -uo pipefail

vxtap=${1:?usage: cli_signals.sh PATH_TO_VXTAP}
work=$(mktemp -d)
pid=""
cleanup() {
	[[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "---- stdout"; cat "$work/out" 2>/dev/null
	echo "---- summary"; cat "$work/summary" 2>/dev/null
	echo "---- stderr"; cat "$work/err" 2>/dev/null
	exit 1
}

# A free UDP port on loopback.
port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$vxtap" analyze --listen "127.0.0.1:$port" --vxlan-port "$port" --http \
	--summary "$work/summary" >"$work/out" 2>"$work/err" &
pid=$!

# send N FIRST — N VXLAN datagrams (VNI 77) carrying an HTTP request from
# 10.0.0.1:40000+i to 10.0.0.2:80 for i = FIRST.., each on its own connection.
send() {
	python3 - "$port" "$1" "$2" <<'EOF'
import socket, struct, sys
port, count, first = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(first, first + count):
    payload = b"GET /n%d HTTP/1.1\r\nHost: signals.test\r\n\r\n" % i
    tcp = struct.pack("!HHIIBBHHH", 40000 + i, 80, 1000, 0, 5 << 4, 0x18, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    vxlan = struct.pack("!II", 0x08000000, 77 << 8)
    s.sendto(vxlan + eth + ip + tcp + payload, ("127.0.0.1", port))
EOF
}

# wait_for FILE PATTERN — up to 10 s.
wait_for() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The socket is bound once ss lists it.
for _ in $(seq 100); do
	ss -Hlun "sport = :$port" | grep -q . && break
	sleep 0.1
done
ss -Hlun "sport = :$port" | grep -q . || fail "analyzer did not bind 127.0.0.1:$port"

send 3 0
wait_for "$work/out" "/n2" || true
kill -USR1 "$pid"
wait_for "$work/summary" "^frames 3$" || fail "no summary with 'frames 3' after SIGUSR1"
grep -qx "http.requests 3" "$work/summary" || fail "SIGUSR1 summary lacks 'http.requests 3'"
kill -0 "$pid" 2>/dev/null || fail "analyzer exited on SIGUSR1"

send 2 3
sleep 0.5
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[[ $rc -eq 0 ]] || fail "exit status $rc after SIGTERM, expected 0"
[[ $(grep -c "^# vxtap analyze summary" "$work/summary") -eq 2 ]] ||
	fail "expected two summaries (SIGUSR1, exit)"
tail -n +2 "$work/summary" | grep -qx "frames 5" || fail "final summary lacks 'frames 5'"
grep -qx "http.requests 5" "$work/summary" || fail "final summary lacks 'http.requests 5'"
n=$(grep -c "vni=77 10.0.0.1:4000[0-4] > 10.0.0.2:80 request GET /n[0-4] HTTP/1.1 host=\"signals.test\"" "$work/out")
[[ $n -eq 5 ]] || fail "expected 5 request lines in the HTTP log, found $n"
echo "cli/signals: SIGUSR1 summary and SIGTERM flush ok"

# A listener on the Geneve port takes Geneve datagrams (as a Gateway Load
# Balancer's target does): Geneve around VXLAN around the inner frame.
gport=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$vxtap" analyze --listen "127.0.0.1:$gport" --geneve-port "$gport" --brief --count 1 \
	--summary none >"$work/geneve.out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
	ss -Hlun "sport = :$gport" | grep -q . && break
	sleep 0.1
done
python3 - "$gport" <<'PY'
import socket, struct, sys
ip = bytes.fromhex("4500004e000000004011") + b"\0\0" + bytes([10, 1, 0, 1, 10, 1, 0, 2])
udp = struct.pack("!HHHH", 5353, 4789, 8 + 8 + 14 + 20 + 8, 0)
inner_ip = bytes.fromhex("4500001c000000004011") + b"\0\0" + bytes([10, 9, 0, 1, 10, 9, 0, 2])
inner = bytes.fromhex("020000000002020000000001") + b"\x08\x00" + inner_ip + struct.pack("!HHHH", 1111, 2222, 8, 0)
vxlan = struct.pack("!II", 0x08000000, 31 << 8)
outer = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
geneve = struct.pack("!BBHI", 0, 0, 0x6558, 0)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
    geneve + outer + ip + udp + vxlan + inner, ("127.0.0.1", int(sys.argv[1])))
PY
wait "$pid"
rc=$?
pid=""
[[ $rc -eq 0 ]] || fail "Geneve listener exited with status $rc"
grep -q "vni=31 udp 10.9.0.1:1111 > 10.9.0.2:2222 .* ok$" "$work/geneve.out" ||
	{ cat "$work/geneve.out"; fail "Geneve listener did not decode Geneve/VXLAN to the inner flow"; }
echo "cli/signals: Geneve listener ok"

# --health-port answers TCP health checks beside the UDP listener, counts
# them in the summary, and stops answering once SIGTERM has stopped vxtap.
hport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$vxtap" analyze --listen "127.0.0.1:$port" --health-port "$hport" \
	--summary "$work/health.summary" >/dev/null 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
	ss -Hltn "sport = :$hport" | grep -q . && break
	sleep 0.1
done
# check — one health check: 0 when the connection was accepted and closed.
check() {
	python3 - "$hport" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
sys.exit(0 if s.recv(1) == b"" else 1)
PY
}
for _ in 1 2 3; do check || fail "health check to 127.0.0.1:$hport failed"; done
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[[ $rc -eq 0 ]] || fail "exit status $rc after SIGTERM with --health-port, expected 0"
grep -qx "health.checks 3" "$work/health.summary" || fail "summary lacks 'health.checks 3'"
check 2>/dev/null && fail "health port $hport still answers after the analyzer stopped"
echo "cli/signals: health checks answered and counted, port closed at exit"
