#!/usr/bin/env bash
# The agent never mirrors its own output: the session's source is the very
# interface the target is reached through (s1), with a filter that accepts
# everything in both directions. The agent's VXLAN packets leave through s1;
# if it captured them it would mirror them again, without end. 20 pings
# from the server to the target must give exactly 40 mirrored packets (20
# requests, 20 replies), and the analyzer must see no VXLAN inside VXLAN.
#
#   server --(s1 | t0)-- target: ping; vxtap analyze (UDP 4789)
#   vxtap run mirrors s1 (all traffic) to the target, through s1 itself
#
# Usage: bash agent_no_loop.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"
e2e_take_vxtap "$@"

e2e_require_netns
e2e_require_cmds python3 ping ss
e2e_init
e2e_agent_topology

eni=$(e2e_eni server s1)
analyzer=$(e2e_vxtap server create-network-interface --private-ip-address "$E2E_TARGET_IP" |
    e2e_json_field NetworkInterface.NetworkInterfaceId)
target=$(e2e_vxtap server create-traffic-mirror-target --network-interface-id "$analyzer" |
    e2e_json_field TrafficMirrorTarget.TrafficMirrorTargetId)
filter=$(e2e_vxtap server create-traffic-mirror-filter | e2e_json_field TrafficMirrorFilter.TrafficMirrorFilterId)
for dir in ingress egress; do
    e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
        --traffic-direction "$dir" --rule-number 1 --rule-action accept \
        --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 >/dev/null
done

e2e_bg target "$E2E_TMP/analyze.out" "$E2E_TMP/analyze.err" \
    "$VXTAP" analyze --listen 0.0.0.0:4789 --summary "$E2E_TMP/summary.txt" --dump
analyzer_pid=$E2E_LAST_PID
e2e_wait_for 15 "analyzer on UDP 4789" e2e_udp_listening target 4789
VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" "$VXTAP" run
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run answering" e2e_vxtap server status
e2e_vxtap server create-traffic-mirror-session --network-interface-id "$eni" \
    --traffic-mirror-target-id "$target" --traffic-mirror-filter-id "$filter" \
    --session-number 1 --virtual-network-id 99 >/dev/null
capturing() { e2e_vxtap server stats | grep -q '"Capturing": true'; }
e2e_wait_for 5 "agent capturing s1" capturing || e2e_fail "agent did not capture s1: $(cat "$E2E_TMP/run.err")"

e2e_nsx server ping -q -c 20 -i 0.05 "$E2E_TARGET_IP" >/dev/null || e2e_fail "ping failed"
sleep 1
stats=$(e2e_vxtap server stats)
mirrored=$(e2e_json_field Sessions.0.MirroredPackets <<<"$stats")
sleep 1
later=$(e2e_json_field Sessions.0.MirroredPackets <<<"$(e2e_vxtap server stats)")
e2e_stop "$analyzer_pid" 15 || true
e2e_stop "$agent_pid" 15 || e2e_fail "vxtap run did not stop cleanly"

[[ $mirrored == 40 ]] || e2e_fail "expected 40 mirrored packets (20 echo requests + 20 replies), got $mirrored: $stats"
[[ $later == 40 ]] || e2e_fail "the mirrored count kept growing ($mirrored, then $later): a loop"
frames=$(grep -Ec '^#[0-9]+ ' "$E2E_TMP/analyze.out" || true)
icmp=$(grep -Ec '^#[0-9]+ .* vni=99 icmp ' "$E2E_TMP/analyze.out" || true)
vxlan_headers=$(grep -c 'vxlan flags' "$E2E_TMP/analyze.out" || true)
[[ $icmp -eq 40 && $frames -eq 40 ]] ||
    e2e_fail "the analyzer received $frames frames, $icmp of them ICMP; expected 40 ICMP: $(head -5 "$E2E_TMP/analyze.out")"
[[ $vxlan_headers -eq $frames ]] ||
    e2e_fail "$vxlan_headers VXLAN headers in $frames frames: mirror traffic was mirrored again"
echo "PASS: no loop: 40 packets mirrored through the mirrored interface itself, none of them the agent's own"
