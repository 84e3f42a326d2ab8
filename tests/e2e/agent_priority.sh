#!/usr/bin/env bash
# Session priority: three sessions on one source, overlapping filters, three
# targets (three analyzers). Each packet must arrive at exactly one analyzer:
# the lowest-numbered session whose filter accepts it.
#   session 1 -> A: ingress TCP to port 8000 (accept); ingress ICMP (reject)
#   session 2 -> B: all TCP, both directions
#   session 3 -> C: everything, both directions
# So A gets the requests, B the responses (session 1 has no egress rule),
# C the pings in both directions (session 1 rejects ICMP: "not this session").
# The agent runs two capture workers on the source (a PACKET_FANOUT group).
#
# Usage: bash agent_priority.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"
e2e_take_vxtap "$@"

e2e_require_netns
e2e_require_cmds python3 curl ss ping
e2e_init
e2e_agent_topology
server=$E2E_SERVER_IP
# Three analyzer addresses in the target namespace.
addrs=(10.200.2.2 10.200.2.3 10.200.2.4)
mac=$(e2e_nsx target cat /sys/class/net/t0/address)
for a in "${addrs[@]:1}"; do
    e2e_nsx target ip addr add "$a/24" dev t0
    e2e_nsx server ip neigh replace "$a" lladdr "$mac" dev s1 nud permanent
done

mkdir "$E2E_TMP/www"
printf 'hello\n' >"$E2E_TMP/www/hello.txt"
e2e_bg server "$E2E_TMP/httpd.out" "$E2E_TMP/httpd.err" \
    python3 -m http.server 8000 --bind "$server" --directory "$E2E_TMP/www"
e2e_wait_for 15 "http.server" e2e_tcp_listening server 8000

eni=$(e2e_eni server s0)
targets=() filters=()
for i in 0 1 2; do
    ana=$(e2e_vxtap server create-network-interface --private-ip-address "${addrs[$i]}" |
        e2e_json_field NetworkInterface.NetworkInterfaceId)
    targets+=("$(e2e_vxtap server create-traffic-mirror-target --network-interface-id "$ana" |
        e2e_json_field TrafficMirrorTarget.TrafficMirrorTargetId)")
    filters+=("$(e2e_vxtap server create-traffic-mirror-filter |
        e2e_json_field TrafficMirrorFilter.TrafficMirrorFilterId)")
done
rule() { # rule FILTER DIRECTION NUMBER ACTION [more options]
    local f=$1 d=$2 n=$3 a=$4
    shift 4
    e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$f" \
        --traffic-direction "$d" --rule-number "$n" --rule-action "$a" \
        --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 "$@" >/dev/null
}
rule "${filters[0]}" ingress 10 accept --protocol 6 --destination-port-range FromPort=8000,ToPort=8000
rule "${filters[0]}" ingress 20 reject --protocol 1
rule "${filters[1]}" ingress 10 accept --protocol 6
rule "${filters[1]}" egress 10 accept --protocol 6
rule "${filters[2]}" ingress 10 accept
rule "${filters[2]}" egress 10 accept

for i in 0 1 2; do
    e2e_bg target "$E2E_TMP/a$i.out" "$E2E_TMP/a$i.err" \
        "$VXTAP" analyze --listen "${addrs[$i]}:4789" --dump
    eval "ana_pid$i=\$E2E_LAST_PID"
done
for i in 0 1 2; do
    e2e_wait_for 15 "analyzer $i" e2e_nsx target sh -c "ss -Hlun | grep -q '${addrs[$i]}:4789'"
done
# Two capture workers in one fanout group: still each packet exactly once.
VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" \
    "$VXTAP" run --capture-workers 2
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run" e2e_vxtap server status
for i in 0 1 2; do
    e2e_vxtap server create-traffic-mirror-session --network-interface-id "$eni" \
        --traffic-mirror-target-id "${targets[$i]}" --traffic-mirror-filter-id "${filters[$i]}" \
        --session-number $((i + 1)) --virtual-network-id $((100 + i)) >/dev/null
done
three() { [[ $(e2e_vxtap server status | grep -c '"SessionNumber"') == 3 ]]; }
e2e_wait_for 5 "three sessions applied" three
capturing() { e2e_vxtap server stats | grep -q '"Capturing": true'; }
e2e_wait_for 5 "agent capturing" capturing
workers=$(e2e_vxtap server stats | e2e_json_field Sources.0.Workers)
((workers == 2)) || e2e_fail "the source has $workers capture workers, expected 2"

for _ in 1 2 3; do
    e2e_nsx client curl --noproxy '*' -s -m 10 -o /dev/null "http://$server:8000/hello.txt"
done
e2e_nsx client ping -q -c 5 -i 0.1 "$server" >/dev/null
sleep 1
stats=$(e2e_vxtap server stats)
for i in 0 1 2; do eval "e2e_stop \$ana_pid$i 15 || true"; done
e2e_stop "$agent_pid" 15 || e2e_fail "vxtap run did not stop cleanly"

count() { grep -Ec "$2" "$E2E_TMP/a$1.out" || true; }
c=$E2E_CLIENT_IP s=$server
a_total=$(count 0 '^#[0-9]+ ')
a_ok=$(count 0 "^#[0-9]+ .* vni=100 tcp ${c//./\\.}:[0-9]+ > ${s//./\\.}:8000 ")
b_total=$(count 1 '^#[0-9]+ ')
b_ok=$(count 1 "^#[0-9]+ .* vni=101 tcp ${s//./\\.}:8000 > ${c//./\\.}:[0-9]+ ")
c_total=$(count 2 '^#[0-9]+ ')
c_icmp=$(count 2 '^#[0-9]+ .* vni=102 icmp ')
mirrored=$(python3 -c 'import json,sys; print(sum(s["MirroredPackets"] for s in json.load(sys.stdin)["Sessions"]))' <<<"$stats")
e2e_log "A: $a_ok/$a_total requests, B: $b_ok/$b_total responses, C: $c_icmp/$c_total ICMP; agent mirrored $mirrored"
((a_total > 0 && a_total == a_ok)) || e2e_fail "analyzer A (session 1) got $a_total frames, $a_ok of them client->server:8000"
((b_total > 0 && b_total == b_ok)) || e2e_fail "analyzer B (session 2) got $b_total frames, $b_ok of them server:8000->client"
# C: the pings both ways, plus any non-TCP the host sent (none expected here).
((c_icmp == 10)) || e2e_fail "analyzer C (session 3) got $c_icmp ICMP frames, expected 10 (5 echo + 5 reply)"
((a_total + b_total + c_total == mirrored)) ||
    e2e_fail "the analyzers got $((a_total + b_total + c_total)) frames, the agent mirrored $mirrored: a packet went twice or was lost"
echo "PASS: priority: requests -> session 1, responses -> session 2, pings -> session 3, each packet once"
