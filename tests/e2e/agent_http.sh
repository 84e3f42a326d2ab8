#!/usr/bin/env bash
# End to end with vxtap's own mirroring agent: the console walkthrough run on
# a Linux host. The server namespace runs `vxtap run` with a target (the
# analyzer's address), a filter accepting TCP to and from port 8000, and
# session number 1 on its client-facing interface; curl from the client; the
# target namespace runs `vxtap analyze --http` and must log the GET and the
# 200, with the session's VNI. The agent's counters must agree.
#
#   client --(c0 | s0)-- server --(s1 | t0)-- target
#   curl                 http.server :8000    vxtap analyze (UDP 4789)
#                        vxtap run mirrors s0
#
# Usage: bash agent_http.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"
e2e_take_vxtap "$@"

e2e_require_netns
e2e_require_cmds python3 curl ss stdbuf
e2e_init
e2e_agent_topology
client=$E2E_CLIENT_IP
server=$E2E_SERVER_IP
vni=7159709

mkdir "$E2E_TMP/www"
printf 'hello from the mirrored server\n' >"$E2E_TMP/www/hello.txt"
e2e_bg server "$E2E_TMP/httpd.out" "$E2E_TMP/httpd.err" \
    python3 -m http.server 8000 --bind "$server" --directory "$E2E_TMP/www"
e2e_wait_for 15 "http.server on $server:8000" e2e_tcp_listening server 8000

# The control plane, in the server's namespace.
eni=$(e2e_eni server s0)
analyzer=$(e2e_vxtap server create-network-interface --private-ip-address "$E2E_TARGET_IP" \
    --description analyzer | e2e_json_field NetworkInterface.NetworkInterfaceId)
target=$(e2e_vxtap server create-traffic-mirror-target --network-interface-id "$analyzer" |
    e2e_json_field TrafficMirrorTarget.TrafficMirrorTargetId)
filter=$(e2e_vxtap server create-traffic-mirror-filter --description web |
    e2e_json_field TrafficMirrorFilter.TrafficMirrorFilterId)
e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
    --traffic-direction ingress --rule-number 10 --rule-action accept --protocol 6 \
    --destination-port-range FromPort=8000,ToPort=8000 \
    --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 >/dev/null
e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
    --traffic-direction egress --rule-number 10 --rule-action accept --protocol 6 \
    --source-port-range FromPort=8000,ToPort=8000 \
    --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 >/dev/null

e2e_bg target "$E2E_TMP/analyze.out" "$E2E_TMP/analyze.err" \
    stdbuf -oL "$VXTAP" analyze --listen 0.0.0.0:4789 --http
analyzer_pid=$E2E_LAST_PID
e2e_wait_for 15 "analyzer on UDP 4789" e2e_udp_listening target 4789

VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" "$VXTAP" run
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run answering" e2e_vxtap server status
session=$(e2e_vxtap server create-traffic-mirror-session --network-interface-id "$eni" \
    --traffic-mirror-target-id "$target" --traffic-mirror-filter-id "$filter" \
    --session-number 1 --virtual-network-id "$vni" |
    e2e_json_field TrafficMirrorSession.TrafficMirrorSessionId)
capturing() { e2e_vxtap server stats | grep -q '"Capturing": true'; }
e2e_wait_for 5 "agent capturing s0" capturing || {
    cat "$E2E_TMP/run.err" >&2
    e2e_vxtap server status >&2
    e2e_fail "the agent did not start capturing s0"
}

read -r curl_port curl_code < <(e2e_nsx client curl --noproxy '*' -s -m 10 -o /dev/null \
    -w '%{local_port} %{http_code}' "http://$server:8000/hello.txt") || true
[[ ${curl_code:-} == 200 ]] || e2e_fail "curl failed (status '${curl_code:-none}')"

q() { printf '%s' "${1//./\\.}"; }
req_re="vni=$vni $(q "$client"):$curl_port > $(q "$server"):8000 request GET /hello\\.txt HTTP/1\\.1"
resp_re="vni=$vni $(q "$server"):8000 > $(q "$client"):$curl_port response HTTP/1\\.0 200"
e2e_try_for 5 grep -Eq "$resp_re" "$E2E_TMP/analyze.out" || true
e2e_stop "$analyzer_pid" 15 || true
if ! grep -Eq "$req_re" "$E2E_TMP/analyze.out" || ! grep -Eq "$resp_re" "$E2E_TMP/analyze.out"; then
    e2e_log "---- analyzer ----"; cat "$E2E_TMP/analyze.out" "$E2E_TMP/analyze.err" >&2
    e2e_log "---- agent ----"; cat "$E2E_TMP/run.err" >&2; e2e_vxtap server stats >&2 || true
    e2e_fail "the analyzer did not log GET /hello.txt and its 200 with VNI $vni"
fi

stats=$(e2e_vxtap server stats)
mirrored=$(e2e_json_field Sessions.0.MirroredPackets <<<"$stats")
[[ $(e2e_json_field Sessions.0.TrafficMirrorSessionId <<<"$stats") == "$session" ]] ||
    e2e_fail "stats name another session: $stats"
((mirrored >= 6)) || e2e_fail "the session counted $mirrored mirrored packets (a TCP exchange has at least 6): $stats"
# The target's neighbour entry is known: every copy left with its Ethernet
# header on the AF_PACKET socket, none through the IP path.
link_layer=$(e2e_json_field Sources.0.MirroredLinkLayer <<<"$stats")
((link_layer == mirrored)) ||
    e2e_fail "$link_layer of $mirrored copies were sent at the link layer: $stats"
e2e_stop "$agent_pid" 15 || e2e_fail "vxtap run did not stop cleanly on SIGTERM"
echo "PASS: vxtap run mirrored the HTTP exchange to the analyzer ($mirrored packets, VNI $vni)"
