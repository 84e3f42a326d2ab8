#!/usr/bin/env bash
# Filter semantics, table-driven: one `vxtap run`, one session on the server's
# s0 and one analyzer; for each case of the table below the session gets a
# new filter (its rules as the case says) and a VNI of its own, the client
# sends the same fixed set of probes, and the analyzer must have received,
# under that VNI, exactly the probe packets the case expects: no other and
# none twice.
#
# The probes, client -> server (ingress at s0) and each one's answer
# server -> client (egress at s0). Every source port is fixed, so each of the
# 20 packets has an identity of its own in the analyzer's dump: protocol,
# addresses, ports, and the ICMP type or TCP flags.
#   A  udp 10.200.1.1:40001   -> 10.200.1.2:5001     echoed back by a responder
#   B  udp 10.200.1.1:40002   -> 10.200.1.2:5002     echoed back
#   C  udp 10.200.1.1:40003   -> 10.200.1.2:6000     echoed back
#   D  udp 10.200.1.129:40004 -> 10.200.1.2:5001     echoed back (second client address)
#   E  tcp 10.200.1.1:40005   -> 10.200.1.2:7001     SYN, answered by RST (closed port)
#   T  tcp 10.200.1.1:40008   -> 10.200.1.2:5001     SYN, answered by RST (TCP, not UDP)
#   F  icmp 10.200.1.1        -> 10.200.1.2          echo request, echo reply
#   G  udp [fd00:1::1]:40006  -> [fd00:1::2]:5001    echoed back
#   H  tcp [fd00:1::1]:40007  -> [fd00:1::2]:7001    SYN, answered by RST
#   I  icmpv6 fd00:1::1       -> fd00:1::2           echo request, echo reply
# In the table, "A>" is probe A's request (ingress) and "A<" its answer
# (egress). The counts are exact because nothing else crosses s0: neighbours
# are pinned on both sides (no ARP, no neighbour discovery), IPv6 runs without
# link-local addresses, router solicitations or DAD, and each probe waits for
# its answer, so there are no retransmissions.
#
# Between cases the test waits until the agent's Frames counter for s0 has
# counted all 20 probe packets, so every packet was judged by the case's own
# filter before the next filter is applied.
#
# A port range is accepted only with protocol 6 or 17 (the CLI refuses it
# otherwise), so "ports only for TCP/UDP" shows here as TCP and UDP ranges
# that leave the other protocol, ICMP and ICMPv6 out.
#
# Usage: bash agent_filters.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"
e2e_take_vxtap "$@"

# ---- the table ------------------------------------------------------------
#
# tcase NAME EXPECTED RULE...
#   EXPECTED: the probe packets that must arrive ("" for none).
#   RULE: "DIRECTION NUMBER ACTION [p=PROTO] [src=CIDR] [dst=CIDR]
#          [sport=N|N-M] [dport=N|N-M] [v6]"; src and dst default to
#          0.0.0.0/0, or to ::/0 with v6; no p= means all protocols. Rules are
#          created in the order given, which is not always rule-number order.
CASE_NAMES=() CASE_EXPECT=() CASE_RULES=()
tcase() {
    local name=$1 expect=$2 rules="" r
    shift 2
    for r in "$@"; do rules+="$r;"; done
    CASE_NAMES+=("$name") CASE_EXPECT+=("$expect") CASE_RULES+=("$rules")
}
v4_in='A> B> C> D> E> T> F>'
v4_out='A< B< C< D< E< T< F<'
v6_in='G> H> I>'
v6_out='G< H< I<'

tcase "no rules: nothing" ''
tcase "ingress accept all IPv4 (protocol omitted); no egress rule" "$v4_in" \
    'ingress 100 accept'
tcase "egress accept all IPv4; no ingress rule" "$v4_out" \
    'egress 100 accept'
tcase "accept all, both directions, both families" "$v4_in $v4_out $v6_in $v6_out" \
    'ingress 10 accept' 'egress 10 accept' 'ingress 20 accept v6' 'egress 20 accept v6'
tcase "IPv6 ::/0 rules do not match IPv4" "$v6_in $v6_out" \
    'ingress 10 accept v6' 'egress 10 accept v6'
tcase "IPv6 rule with ICMPv6 only, egress" 'I<' \
    'egress 5 accept p=58 v6'
tcase "protocol 17 (UDP) ingress" 'A> B> C> D>' \
    'ingress 10 accept p=17'
tcase "protocol 6 (TCP) both directions, both families" 'E> E< T> T< H> H<' \
    'ingress 10 accept p=6' 'egress 10 accept p=6' 'ingress 11 accept p=6 v6' 'egress 11 accept p=6 v6'
tcase "protocol 1 (ICMP) is not ICMPv6" 'F> F<' \
    'ingress 10 accept p=1' 'egress 10 accept p=1' 'ingress 20 accept p=1 v6' 'egress 20 accept p=1 v6'
tcase "destination port, single: UDP 5001" 'A> D>' \
    'ingress 10 accept p=17 dport=5001'
tcase "destination port range 5001-5002, UDP" 'A> B> D>' \
    'ingress 10 accept p=17 dport=5001-5002'
tcase "destination port range 5001-7001, TCP" 'E> T>' \
    'ingress 10 accept p=6 dport=5001-7001'
tcase "TCP 5001 is not UDP 5001" 'T>' \
    'ingress 10 accept p=6 dport=5001'
tcase "source port range 40001-40003, ingress UDP" 'A> B> C>' \
    'ingress 10 accept p=17 sport=40001-40003'
tcase "egress source port (the answers from UDP 5001)" 'A< D< G<' \
    'egress 10 accept p=17 sport=5001' 'egress 20 accept p=17 sport=5001 v6'
tcase "egress destination port range 40004-40008, TCP and UDP" 'D< E< T<' \
    'egress 10 accept p=17 dport=40004-40008' 'egress 20 accept p=6 dport=40004-40008'
tcase "source and destination ports together" 'B>' \
    'ingress 10 accept p=17 sport=40001-40002 dport=5002-6000'
tcase "an egress rule shaped like the requests matches nothing" '' \
    'egress 10 accept p=17 dport=5001' 'egress 20 accept p=6 dport=7001' 'egress 30 accept src=10.200.1.1/32'
tcase "source CIDR /25, all protocols" 'D>' \
    'ingress 10 accept src=10.200.1.128/25'
tcase "source CIDR /32 with UDP" 'A> B> C>' \
    'ingress 10 accept p=17 src=10.200.1.1/32'
tcase "egress destination CIDR /25" 'D<' \
    'egress 10 accept dst=10.200.1.128/25'
tcase "CIDRs that no probe uses, both families" '' \
    'ingress 10 accept dst=10.200.2.0/24' 'egress 10 accept dst=10.200.2.0/24' \
    'ingress 20 accept dst=fd00:2::/64 src=::/0' 'egress 20 accept src=fd00:2::/64 dst=::/0'
tcase "IPv6 CIDRs /128 and /64" 'G> H> I> G<' \
    'ingress 10 accept src=fd00:1::1/128 dst=fd00:1::/64' \
    'egress 10 accept p=17 src=fd00:1::/64 dst=fd00:1::1/128'
tcase "reject before accept: lower number wins" 'B> C> E> T> F>' \
    'ingress 20 accept' 'ingress 10 reject p=17 dport=5001'
tcase "accept before reject: lower number wins (created last)" 'A> D>' \
    'ingress 20 reject' 'ingress 10 accept p=17 dport=5001'
tcase "reject of IPv6 does not reject IPv4" "$v4_in" \
    'ingress 10 reject v6' 'ingress 20 accept'
tcase "reject the client /25 (AWS example C), accept the rest" 'D> D<' \
    'ingress 10 reject src=10.200.1.0/25' 'ingress 20 accept' \
    'egress 10 reject dst=10.200.1.0/25' 'egress 20 accept'
tcase "reject-only filter" '' \
    'ingress 10 reject' 'egress 10 reject' 'ingress 20 reject v6' 'egress 20 reject v6'
tcase "first match decides: accept UDP 6000, reject other UDP and TCP 7001, accept the rest" 'C> T> F> I>' \
    'ingress 30 accept' 'ingress 10 accept p=17 dport=6000' 'ingress 20 reject p=17' \
    'ingress 25 reject p=6 dport=7001' 'ingress 5 accept p=58 v6'
tcase "ingress rules only, egress traffic of the same flows not mirrored" 'A> G>' \
    'ingress 10 accept p=17 dport=5001 src=10.200.1.1/32' 'ingress 20 accept p=17 dport=5001 v6'

# ---- the network ----------------------------------------------------------

e2e_require_netns
e2e_require_cmds python3 ss
e2e_init
e2e_agent_topology
client=$E2E_CLIENT_IP server=$E2E_SERVER_IP client2=10.200.1.129
client6=fd00:1::1 server6=fd00:1::2
# The interpreter itself, not a version manager's shim: it starts once per case.
py=$(python3 -c 'import sys; print(sys.executable)')

e2e_nsx client ip addr add "$client2/24" dev c0
cmac=$(e2e_nsx client cat /sys/class/net/c0/address)
smac=$(e2e_nsx server cat /sys/class/net/s0/address)
# IPv6 on c0 and s0 only, quiet: no link-local address (so no DAD and no
# router solicitation), the ULA added without DAD, MLD reports sent at once,
# before the agent captures. Neighbours pinned: no ARP, no neighbour discovery.
ipv6_on() { # ROLE IF ADDRESS PEER PEER_MAC
    local c=net.ipv6.conf.$2
    e2e_nsx "$1" sysctl -qw "$c.addr_gen_mode=1" "$c.accept_ra=0" "$c.router_solicitations=0" \
        "$c.mldv1_unsolicited_report_interval=1" "$c.mldv2_unsolicited_report_interval=1" \
        "$c.disable_ipv6=0"
    e2e_nsx "$1" ip -6 addr add "$3/64" dev "$2" nodad
    e2e_nsx "$1" ip -6 neigh replace "$4" lladdr "$5" dev "$2" nud permanent
}
ipv6_on client c0 "$client6" "$server6" "$smac"
ipv6_on server s0 "$server6" "$client6" "$cmac"
e2e_nsx client ip neigh replace "$server" lladdr "$smac" dev c0 nud permanent
for a in "$client" "$client2"; do
    e2e_nsx server ip neigh replace "$a" lladdr "$cmac" dev s0 nud permanent
done

# The UDP responder on the server: echoes every datagram to its sender.
cat >"$E2E_TMP/responder.py" <<'EOF'
import select, socket
socks = []
for fam, any_addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    for port in (5001, 5002, 6000):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((any_addr, port))
        socks.append(s)
print("ready", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)
EOF
# The probes, in order; each waits for its answer (exit 1 if one is missing).
cat >"$E2E_TMP/probe.py" <<'EOF'
import socket, struct, sys, time
C4, C4B, S4, C6, S6 = sys.argv[1:6]
WAIT = 3.0

def fail(msg):
    sys.exit("probe: " + msg)

def udp(fam, src, sport, dst, dport):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(WAIT)
    s.sendto(b"probe", (dst, dport))
    try:
        s.recvfrom(2048)
    except socket.timeout:
        fail("no UDP answer from %s port %d" % (dst, dport))
    s.close()

def tcp(fam, src, sport, dst, dport):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(WAIT)
    try:
        s.connect((dst, dport))
        fail("TCP %s port %d accepted a connection" % (dst, dport))
    except ConnectionRefusedError:
        pass
    except socket.timeout:
        fail("no RST from %s port %d" % (dst, dport))
    s.close()

def checksum(b):
    if len(b) % 2:
        b += b"\0"
    n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    n = (n >> 16) + (n & 0xFFFF)
    n += n >> 16
    return ~n & 0xFFFF

def ping(fam, src, dst, ident):
    v6 = fam == socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    s.bind((src, 0))
    s.settimeout(WAIT)
    req, rep = (128, 129) if v6 else (8, 0)
    msg = struct.pack("!BBHHH", req, 0, 0, ident, 1) + b"probe"
    if not v6:  # the kernel fills in the ICMPv6 checksum itself
        msg = msg[:2] + struct.pack("!H", checksum(msg)) + msg[4:]
    s.sendto(msg, (dst, 0))
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            data = s.recv(2048)
        except socket.timeout:
            break
        off = 0 if v6 else (data[0] & 15) * 4
        t, _, _, i, _ = struct.unpack_from("!BBHHH", data, off)
        if t == rep and i == ident:
            s.close()
            return
    fail("no echo reply from %s" % dst)

A4, A6 = socket.AF_INET, socket.AF_INET6
udp(A4, C4, 40001, S4, 5001)   # A
udp(A4, C4, 40002, S4, 5002)   # B
udp(A4, C4, 40003, S4, 6000)   # C
udp(A4, C4B, 40004, S4, 5001)  # D
tcp(A4, C4, 40005, S4, 7001)   # E
tcp(A4, C4, 40008, S4, 5001)   # T
ping(A4, C4, S4, 0x4646)       # F
udp(A6, C6, 40006, S6, 5001)   # G
tcp(A6, C6, 40007, S6, 7001)   # H
ping(A6, C6, S6, 0x4949)       # I
EOF
probe() { e2e_nsx client "$py" "$E2E_TMP/probe.py" "$client" "$client2" "$server" "$client6" "$server6"; }
probe_packets=20

# What the analyzer prints for each probe packet (see identities() below).
declare -A LABEL_OF=()
ident() { LABEL_OF[$2]=$1; }
udp_pair() { # LETTER CLIENT CPORT SERVER SPORT (IPv6 addresses in brackets)
    ident "$1>" "udp $2:$3 > $4:$5"
    ident "$1<" "udp $4:$5 > $2:$3"
}
udp_pair A "$client" 40001 "$server" 5001
udp_pair B "$client" 40002 "$server" 5002
udp_pair C "$client" 40003 "$server" 6000
udp_pair D "$client2" 40004 "$server" 5001
udp_pair G "[$client6]" 40006 "[$server6]" 5001
ident 'E>' "tcp $client:40005 > $server:7001 [S]"
ident 'E<' "tcp $server:7001 > $client:40005 [R.]"
ident 'T>' "tcp $client:40008 > $server:5001 [S]"
ident 'T<' "tcp $server:5001 > $client:40008 [R.]"
ident 'H>' "tcp [$client6]:40007 > [$server6]:7001 [S]"
ident 'H<' "tcp [$server6]:7001 > [$client6]:40007 [R.]"
ident 'F>' "icmp $client > $server type 8"
ident 'F<' "icmp $server > $client type 0"
ident 'I>' "icmpv6 $client6 > $server6 type 128"
ident 'I<' "icmpv6 $server6 > $client6 type 129"

# ---- the control plane ----------------------------------------------------

eni=$(e2e_eni server s0)
ana=$(e2e_vxtap server create-network-interface --private-ip-address "$E2E_TARGET_IP" |
    e2e_json_field NetworkInterface.NetworkInterfaceId)
target=$(e2e_vxtap server create-traffic-mirror-target --network-interface-id "$ana" |
    e2e_json_field TrafficMirrorTarget.TrafficMirrorTargetId)
new_filter() { e2e_vxtap server create-traffic-mirror-filter | e2e_json_field TrafficMirrorFilter.TrafficMirrorFilterId; }

# rule FILTER "DIRECTION NUMBER ACTION [key=value...] [v6]" (the table's syntax)
rule() {
    local f=$1 w src='' dst='' any=0.0.0.0/0 words args=()
    read -ra words <<<"$2"
    for w in "${words[@]:3}"; do
        case $w in
            p=*) args+=(--protocol "${w#p=}") ;;
            src=*) src=${w#src=} ;;
            dst=*) dst=${w#dst=} ;;
            sport=*) w=${w#sport=} && args+=(--source-port-range "FromPort=${w%-*},ToPort=${w#*-}") ;;
            dport=*) w=${w#dport=} && args+=(--destination-port-range "FromPort=${w%-*},ToPort=${w#*-}") ;;
            v6) any=::/0 ;;
            *) e2e_fail "bad rule word '$w' in '$2'" ;;
        esac
    done
    e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$f" \
        --traffic-direction "${words[0]}" --rule-number "${words[1]}" --rule-action "${words[2]}" \
        --source-cidr-block "${src:-$any}" --destination-cidr-block "${dst:-$any}" \
        "${args[@]}" >/dev/null || e2e_fail "cannot create rule '$2'"
}

# Every case's filter, made before the daemon starts.
ncases=${#CASE_NAMES[@]}
CASE_FILTER=()
for ((i = 0; i < ncases; i++)); do
    f=$(new_filter)
    IFS=';' read -ra rules <<<"${CASE_RULES[$i]}"
    for r in "${rules[@]}"; do rule "$f" "$r"; done
    CASE_FILTER+=("$f")
done
idle_filter=$(new_filter)
session=$(e2e_vxtap server create-traffic-mirror-session --network-interface-id "$eni" \
    --traffic-mirror-target-id "$target" --traffic-mirror-filter-id "$idle_filter" \
    --session-number 1 --virtual-network-id 999 | e2e_json_field TrafficMirrorSession.TrafficMirrorSessionId)

e2e_bg server "$E2E_TMP/responder.out" "$E2E_TMP/responder.err" "$py" "$E2E_TMP/responder.py"
e2e_wait_for 15 "UDP responder" grep -q ready "$E2E_TMP/responder.out"
e2e_bg target "$E2E_TMP/analyze.out" "$E2E_TMP/analyze.err" \
    "$VXTAP" analyze --listen "$E2E_TARGET_IP:4789" --dump
analyzer_pid=$E2E_LAST_PID
e2e_wait_for 15 "analyzer on UDP 4789" e2e_udp_listening target 4789
VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" "$VXTAP" run
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run answering" e2e_vxtap server status
capturing() { e2e_vxtap server stats | grep -q '"Capturing": true'; }
e2e_wait_for 5 "agent capturing s0" capturing || e2e_fail "agent did not capture s0"

# ---- the cases ------------------------------------------------------------

frames() { e2e_vxtap server stats | sed -n 's/.*"Frames": \([0-9]*\).*/\1/p' | head -n1; }
applied() { e2e_vxtap server status | grep -Eq "\"VirtualNetworkId\": $1(,|\$)"; }
judged() { (($(frames) >= $1)); }
for ((i = 0; i < ncases; i++)); do
    vni=$((1000 + i))
    e2e_vxtap server modify-traffic-mirror-session --traffic-mirror-session-id "$session" \
        --traffic-mirror-filter-id "${CASE_FILTER[$i]}" --virtual-network-id "$vni" >/dev/null
    e2e_wait_for 5 "case $i applied" applied "$vni" || e2e_fail "case $i: filter not applied"
    before=$(frames)
    probe || e2e_fail "case $i (${CASE_NAMES[$i]}): a probe got no answer"
    e2e_wait_for 5 "case $i judged" judged $((before + probe_packets)) ||
        e2e_fail "case $i: the agent saw $(($(frames) - before)) of the $probe_packets probe packets"
    e2e_debug "case $i done"
done

# Wait until the analyzer has printed every copy the agent sent, then stop;
# the dump is read once, at the end.
mirrored=$(e2e_vxtap server stats | sed -n 's/.*"Mirrored": \([0-9]*\).*/\1/p' | head -n1)
arrived() { (($(grep -c '^#[0-9]' "$E2E_TMP/analyze.out" || true) >= mirrored)); }
e2e_wait_for 5 "the analyzer to print the $mirrored copies sent" arrived ||
    e2e_fail "the agent mirrored $mirrored packets, the analyzer printed fewer"
e2e_stop "$analyzer_pid" 15 || true
e2e_stop "$agent_pid" 15 || e2e_fail "vxtap run did not stop cleanly"

# identities: "VNI IDENTITY" per frame. The summary line gives protocol and
# endpoints; the layer lines under it give the ICMP type and the TCP flags.
awk '
    function flush() { if (rec != "") print rec; rec = "" }
    /^#[0-9]+ / {
        flush(); vni = $3; sub(/^vni=/, "", vni)
        rec = vni " " $4 " " $5 " > " $7; proto = $4; next
    }
    rec != "" && (proto == "icmp" || proto == "icmpv6") && $1 == proto && $2 == "type" {
        rec = rec " type " $3
    }
    rec != "" && proto == "tcp" && $1 == "tcp" && $5 == "flags" { rec = rec " " $6 }
    END { flush() }' "$E2E_TMP/analyze.out" >"$E2E_TMP/identities"

sorted() { tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }
failed=0
for ((i = 0; i < ncases; i++)); do
    vni=$((1000 + i))
    got=()
    while IFS= read -r id; do
        if [[ -n ${LABEL_OF[$id]+set} ]]; then
            got+=("${LABEL_OF[$id]}")
        else
            got+=("unknown:{${id// /_}}")
        fi
    done < <(sed -n "s/^$vni //p" "$E2E_TMP/identities")
    want=$(sorted <<<"${CASE_EXPECT[$i]}")
    have=$(sorted <<<"${got[*]}")
    if [[ $want != "$have" ]]; then
        e2e_log "FAIL: case $i (${CASE_NAMES[$i]}), rules: ${CASE_RULES[$i]}"
        e2e_log "    expected: ${want:-(nothing)}"
        e2e_log "    got:      ${have:-(nothing)}"
        failed=$((failed + 1))
    fi
done
stray=$(awk '$1 < 1000 || $1 >= '$((1000 + ncases)) "$E2E_TMP/identities" | head -n5)
[[ -z $stray ]] || e2e_fail "frames under a VNI of no case: $stray"
((failed == 0)) || e2e_fail "$failed of $ncases cases mirrored other packets than expected"
echo "PASS: $ncases filter rule sets, each mirrored exactly the expected probe packets"
