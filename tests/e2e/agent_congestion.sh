#!/usr/bin/env bash
# Congestion: mirroring must never take the host's own traffic down with it.
# The mirrored copies leave through the very link they copy, and that link
# is a bottleneck (a 400 Mbit/s token-bucket qdisc on the server's s0), so
# every mirrored byte competes with the production transfer:
#
#   client --(c0 | s0, 400 Mbit/s)-- server: iperf3 -s; vxtap run mirrors s0
#   analyzer on the client side (10.200.1.3), reached through s0 itself
#
# An iperf3 download (server -> client) runs three times for the same time:
#   1. no session: the baseline;
#   2. a session without a cap: the copies take about half the link, which
#      shows that this link really is shared (else the test proves nothing);
#   3. the same session tagged vxtap:max-mbps=10: the transfer keeps at least
#      95% of the baseline, the agent drops the copies over the cap and counts
#      them (DroppedPackets.OverCap), and what it mirrored stays near 10 Mbit/s.
#
# Offloads are off on the link, so each captured frame is one wire packet
# (with GSO, veth hands the capture 64 KB super-packets).
#
# Usage: bash agent_congestion.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"
e2e_take_vxtap "$@"

seconds=${CONGESTION_SECONDS:-4}
link_mbit=400
cap_mbit=10
analyzer_ip=10.200.1.3

e2e_require_netns
e2e_require_cmds python3 iperf3 ethtool tc ss
e2e_init
e2e_client_server
e2e_nsx client ip addr add "$analyzer_ip/24" dev c0
for end in "client c0" "server s0"; do
    read -r role dev <<<"$end"
    e2e_nsx "$role" ethtool -K "$dev" tso off gso off gro off >/dev/null 2>&1 ||
        e2e_skip "cannot turn offloads off on a veth here"
done
e2e_nsx server tc qdisc add dev s0 root tbf rate "${link_mbit}mbit" burst 256kb latency 20ms

eni=$(e2e_eni server s0)
analyzer=$(e2e_vxtap server create-network-interface --private-ip-address "$analyzer_ip" |
    e2e_json_field NetworkInterface.NetworkInterfaceId)
target=$(e2e_vxtap server create-traffic-mirror-target --network-interface-id "$analyzer" |
    e2e_json_field TrafficMirrorTarget.TrafficMirrorTargetId)
filter=$(e2e_vxtap server create-traffic-mirror-filter | e2e_json_field TrafficMirrorFilter.TrafficMirrorFilterId)
for dir in ingress egress; do
    e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
        --traffic-direction "$dir" --rule-number 1 --rule-action accept \
        --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 >/dev/null
done

e2e_bg client "$E2E_TMP/analyze.out" "$E2E_TMP/analyze.err" \
    "$VXTAP" analyze --listen "$analyzer_ip:4789" --summary none
e2e_wait_for 15 "analyzer on UDP 4789" e2e_udp_listening client 4789
e2e_bg server "$E2E_TMP/iperf.out" "$E2E_TMP/iperf.err" iperf3 -s -B "$E2E_SERVER_IP"
e2e_wait_for 15 "iperf3 server" e2e_tcp_listening server 5201
VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" "$VXTAP" run
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run answering" e2e_vxtap server status

# download — bits/s the client received in one iperf3 run from the server.
download() {
    e2e_nsx client iperf3 -c "$E2E_SERVER_IP" -R -t "$seconds" -J >"$E2E_TMP/iperf.json" ||
        e2e_fail "iperf3 failed: $(cat "$E2E_TMP/iperf.json")"
    python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))' \
        <"$E2E_TMP/iperf.json"
}
# session_counter FIELD — one of the session's counters from `vxtap stats`.
session_counter() {
    e2e_vxtap server stats | e2e_json_field "Sessions.0.$1"
}
capturing() { e2e_vxtap server stats | grep -q '"Capturing": true'; }
# start_session [TAG OPTIONS] — session 1 on s0; prints its ID once applied.
start_session() {
    local id
    id=$(e2e_vxtap server create-traffic-mirror-session --network-interface-id "$eni" \
        --traffic-mirror-target-id "$target" --traffic-mirror-filter-id "$filter" \
        --session-number 1 --virtual-network-id 7 "$@" |
        e2e_json_field TrafficMirrorSession.TrafficMirrorSessionId)
    e2e_wait_for 5 "session applied" sh -c "'$VXTAP' status --state '$E2E_TMP/server.db' | grep -q '$id'"
    e2e_wait_for 5 "agent capturing s0" capturing
    printf '%s\n' "$id"
}

baseline=$(download)
e2e_log "no session:       $((baseline / 1000000)) Mbit/s"

sid=$(start_session)
uncapped=$(download)
e2e_log "uncapped session: $((uncapped / 1000000)) Mbit/s"
e2e_vxtap server delete-traffic-mirror-session --traffic-mirror-session-id "$sid" >/dev/null

sid=$(start_session --tag-specifications \
    "ResourceType=traffic-mirror-session,Tags=[{Key=vxtap:max-mbps,Value=$cap_mbit}]")
e2e_vxtap server status | grep -q "\"MaxMbps\": $cap_mbit" ||
    e2e_fail "the daemon's configuration does not show the session's cap"
before_packets=$(session_counter MirroredPackets)
before_bytes=$(session_counter MirroredBytes)
start_ns=$(date +%s%N)
capped=$(download)
end_ns=$(date +%s%N)
packets=$(($(session_counter MirroredPackets) - before_packets))
bytes=$(($(session_counter MirroredBytes) - before_bytes))
over_cap=$(session_counter DroppedPackets.OverCap)
# The cap counts whole VXLAN packets: the inner bytes plus 36 bytes of
# outer IPv4, UDP and VXLAN headers each.
mirrored_mbit=$(((bytes + 36 * packets) * 8 * 1000 / (end_ns - start_ns)))
e2e_log "capped session:   $((capped / 1000000)) Mbit/s; mirrored $mirrored_mbit Mbit/s ($packets packets), $over_cap copies dropped over the cap"
e2e_stop "$agent_pid" 15 || e2e_fail "vxtap run did not stop cleanly"

((uncapped * 100 < baseline * 90)) ||
    e2e_fail "uncapped mirroring did not slow the transfer ($uncapped vs $baseline bit/s): the link is not shared, the test proves nothing"
((capped * 100 >= baseline * 95)) ||
    e2e_fail "with a $cap_mbit Mbit/s cap the transfer kept only $((capped * 100 / baseline))% of $baseline bit/s (needs 95%)"
((over_cap > 0)) || e2e_fail "no copy was counted as dropped over the cap"
((mirrored_mbit <= cap_mbit * 12 / 10)) ||
    e2e_fail "the agent mirrored $mirrored_mbit Mbit/s under a $cap_mbit Mbit/s cap"
((packets > 0)) || e2e_fail "nothing was mirrored under the cap"
echo "PASS: congestion: $((capped * 100 / baseline))% of the baseline with a $cap_mbit Mbit/s cap ($((uncapped * 100 / baseline))% uncapped); $over_cap copies dropped and counted"
