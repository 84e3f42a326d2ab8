#!/usr/bin/env bash
# Truncation: session packet length 100. A 20 KB HTTP download is mirrored;
# every inner frame the analyzer receives is at most 100 bytes long, frames
# that were longer on the wire are the ones cut, and the agent's
# TruncatedPackets counter equals the number the analyzer saw cut.
#
# Usage: bash agent_truncate.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"
e2e_take_vxtap "$@"

e2e_require_netns
e2e_require_cmds python3 curl ss
e2e_init
e2e_agent_topology
server=$E2E_SERVER_IP

mkdir "$E2E_TMP/www"
head -c 20000 /dev/zero | tr '\0' x >"$E2E_TMP/www/big.txt"
e2e_bg server "$E2E_TMP/httpd.out" "$E2E_TMP/httpd.err" \
    python3 -m http.server 8000 --bind "$server" --directory "$E2E_TMP/www"
e2e_wait_for 15 "http.server" e2e_tcp_listening server 8000

eni=$(e2e_eni server s0)
analyzer=$(e2e_vxtap server create-network-interface --private-ip-address "$E2E_TARGET_IP" |
    e2e_json_field NetworkInterface.NetworkInterfaceId)
target=$(e2e_vxtap server create-traffic-mirror-target --network-interface-id "$analyzer" |
    e2e_json_field TrafficMirrorTarget.TrafficMirrorTargetId)
filter=$(e2e_vxtap server create-traffic-mirror-filter | e2e_json_field TrafficMirrorFilter.TrafficMirrorFilterId)
for dir in ingress egress; do
    e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
        --traffic-direction "$dir" --rule-number 1 --rule-action accept --protocol 6 \
        --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 >/dev/null
done

e2e_bg target "$E2E_TMP/analyze.out" "$E2E_TMP/analyze.err" \
    "$VXTAP" analyze --listen 0.0.0.0:4789 --dump
analyzer_pid=$E2E_LAST_PID
e2e_wait_for 15 "analyzer on UDP 4789" e2e_udp_listening target 4789
VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" "$VXTAP" run
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run answering" e2e_vxtap server status
e2e_vxtap server create-traffic-mirror-session --network-interface-id "$eni" \
    --traffic-mirror-target-id "$target" --traffic-mirror-filter-id "$filter" \
    --session-number 1 --packet-length 100 >/dev/null
capturing() { e2e_vxtap server stats | grep -q '"Capturing": true'; }
e2e_wait_for 5 "agent capturing s0" capturing || e2e_fail "agent did not capture s0"

code=$(e2e_nsx client curl --noproxy '*' -s -m 10 -o /dev/null -w '%{http_code}' "http://$server:8000/big.txt")
[[ $code == 200 ]] || e2e_fail "curl failed ($code)"
sleep 1
stats=$(e2e_vxtap server stats)
e2e_stop "$analyzer_pid" 15 || true
e2e_stop "$agent_pid" 15 || e2e_fail "vxtap run did not stop cleanly"

# Dump lines: "#N time vni=V proto src > dst len=L cap=C status", where C
# counts the datagram from the VXLAN header (8 bytes) on, and a frame cut by
# the session's packet length has status truncated:inner_frame_cut.
read -r frames longest cut < <(awk '/^#[0-9]+ / {
        n++; for (i = 1; i <= NF; i++) if ($i ~ /^cap=/) c = substr($i, 5) - 8
        if (c > max) max = c; if ($NF == "truncated:inner_frame_cut") cut++ }
    END { print n + 0, max + 0, cut + 0 }' "$E2E_TMP/analyze.out")
mirrored=$(e2e_json_field Sessions.0.MirroredPackets <<<"$stats")
truncated=$(e2e_json_field Sessions.0.TruncatedPackets <<<"$stats")
((frames > 10)) || e2e_fail "only $frames frames reached the analyzer"
((longest <= 100)) || e2e_fail "an inner frame of $longest bytes reached the analyzer (limit 100)"
[[ $frames == "$mirrored" ]] || e2e_fail "the analyzer got $frames frames, the agent counted $mirrored mirrored"
[[ $cut == "$truncated" ]] || e2e_fail "the analyzer saw $cut frames cut, the agent counted $truncated truncated"
((cut > 0)) || e2e_fail "no frame was cut"
echo "PASS: $frames frames, all <= 100 bytes; $cut cut, as the agent counted"
