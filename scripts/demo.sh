#!/usr/bin/env bash
# vxtap's main job in one minute: traffic of one host is mirrored, VXLAN-
# encapsulated, to an analyzer host, where `vxtap analyze` logs the HTTP.
#
# Usage: scripts/demo.sh [PATH_TO_VXTAP]      (default: build/vxtap)
#
# As root, it builds three throwaway network namespaces on this machine
# (client, server, target); the server runs vxtap's agent (`vxtap run`) with
# a mirror target, filter and session made with the vxtap CLI, and the target
# runs the analyzer.
# Without root it replays two recorded captures instead. Everything it
# creates is removed on exit; no traffic leaves this machine.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../tests/e2e/lib/netns.sh
source "$root/tests/e2e/lib/netns.sh"

vxtap=${1:-$root/build/vxtap}
if [[ ! -x $vxtap ]]; then
    echo "vxtap not found at $vxtap — build it first:" >&2
    echo "  cmake -S . -B build && cmake --build build" >&2
    exit 1
fi
# Absolute, so that it still resolves inside `ip netns exec`.
vxtap=$(cd "$(dirname "$vxtap")" && pwd)/$(basename "$vxtap")

say() { printf '\n== %s\n' "$*"; }

# ------------------------------------------------------------ offline demo
offline_demo() {
    local pcaps=$root/tests/data/pcaps
    echo "The live demo needs root (network namespaces): $1."
    echo "Replaying recorded captures instead."

    say "A real AWS Traffic Mirroring capture, packet by packet (first 40 lines):"
    echo "\$ vxtap analyze --read tests/data/pcaps/sv-vxlan-aws-traffic-mirror.pcap --dump | head -40"
    # head closes the pipe early on purpose; that is not an error here.
    "$vxtap" analyze --read "$pcaps/sv-vxlan-aws-traffic-mirror.pcap" --dump | head -40 || true

    say "HTTP carried inside VXLAN, as the analyzer logs it:"
    echo "\$ vxtap analyze --read tests/data/pcaps/zeek-vxlan-encapsulated-http.pcap --http"
    "$vxtap" analyze --read "$pcaps/zeek-vxlan-encapsulated-http.pcap" --http

    say "Run this script as root (sudo $0) for the live demo."
}

why_offline=""
if [[ $(id -u) -ne 0 ]]; then
    why_offline="not running as root"
elif ! e2e_netns_usable; then
    why_offline="'ip netns add' does not work here"
elif ! e2e_have_cmds python3 curl ss; then
    why_offline="it needs python3, curl and ss"
fi
if [[ -n $why_offline ]]; then
    offline_demo "$why_offline"
    exit 0
fi

# --------------------------------------------------------------- live demo
e2e_init
e2e_agent_topology
VXTAP=$vxtap

say "Set up three network namespaces on this machine:"
cat <<EOF
  client  $E2E_CLIENT_IP        runs curl
  server  $E2E_SERVER_IP        runs a web server on port 8000
  target  $E2E_TARGET_IP        runs 'vxtap analyze --listen 0.0.0.0:4789 --http'
On the server, vxtap's agent mirrors the client-facing interface (s0), as an
AWS mirror session does: a target (the analyzer's address), a filter that
accepts TCP to and from port 8000, and session number 1 with VNI $E2E_VNI,
all made with the vxtap CLI. Each accepted frame is wrapped in VXLAN and sent
to $E2E_TARGET_IP:4789. The target has no vxlan device; vxtap decapsulates.
A flow log on the same interface writes VPC Flow Logs records.
EOF

say "The control plane, on the server (vxtap CLI, AWS CLI verbs):"
eni=$(e2e_vxtap server describe-network-interfaces --filters Name=description,Values=s0 |
    e2e_json_field NetworkInterfaces.0.NetworkInterfaceId)
analyzer_eni=$(e2e_vxtap server create-network-interface --private-ip-address "$E2E_TARGET_IP" \
    --description analyzer | e2e_json_field NetworkInterface.NetworkInterfaceId)
target=$(e2e_vxtap server create-traffic-mirror-target --network-interface-id "$analyzer_eni" \
    --description "analyzer" | e2e_json_field TrafficMirrorTarget.TrafficMirrorTargetId)
filter=$(e2e_vxtap server create-traffic-mirror-filter --description "web traffic" |
    e2e_json_field TrafficMirrorFilter.TrafficMirrorFilterId)
e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
    --traffic-direction ingress --rule-number 10 --rule-action accept --protocol 6 \
    --destination-port-range FromPort=8000,ToPort=8000 \
    --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 >/dev/null
e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
    --traffic-direction egress --rule-number 10 --rule-action accept --protocol 6 \
    --source-port-range FromPort=8000,ToPort=8000 \
    --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 >/dev/null
# A flow log on the same interface, delivered to a local directory laid out
# as AWS's S3 keys.
flowlogs=$E2E_TMP/flowlogs
e2e_vxtap server create-flow-logs --resource-type NetworkInterface --resource-ids "$eni" \
    --traffic-type ALL --log-destination-type s3 --log-destination "$flowlogs" \
    --max-aggregation-interval 60
VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" "$vxtap" run
agent=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run" e2e_vxtap server status >/dev/null
e2e_vxtap server create-traffic-mirror-session --network-interface-id "$eni" \
    --traffic-mirror-target-id "$target" --traffic-mirror-filter-id "$filter" \
    --session-number 1 --virtual-network-id "$E2E_VNI" --description "web server"
capturing() { e2e_vxtap server stats | grep -q '"Capturing": true'; }
e2e_wait_for 5 "the agent capturing s0" capturing

www=$E2E_TMP/www
mkdir "$www"
printf '<!doctype html>\n<title>vxtap demo</title>\n<p>Hello from the server.</p>\n' >"$www/index.html"
printf 'name,value\nmirrored,yes\n' >"$www/data.csv"

e2e_bg server "$E2E_TMP/httpd.out" "$E2E_TMP/httpd.err" \
    python3 -m http.server 8000 --bind "$E2E_SERVER_IP" --directory "$www"
e2e_wait_for 15 "web server on $E2E_SERVER_IP:8000" e2e_tcp_listening server 8000

e2e_bg target "$E2E_TMP/analyze.out" "$E2E_TMP/analyze.err" \
    "$vxtap" analyze --listen 0.0.0.0:4789 --http
analyzer=$E2E_LAST_PID
if ! e2e_wait_for 15 "analyzer on UDP 4789" e2e_udp_listening target 4789; then
    cat "$E2E_TMP/analyze.err" >&2
    exit 1
fi

say "The client fetches three URLs:"
for path in / /data.csv /no-such-page; do
    code=$(e2e_nsx client curl --noproxy '*' -s -m 10 -o /dev/null -w '%{http_code}' \
        "http://$E2E_SERVER_IP:8000$path" || true)
    printf '  curl http://%s:8000%-14s -> %s\n' "$E2E_SERVER_IP" "$path" "$code"
done

# Give the analyzer a moment to log the last response, then stop it: it
# flushes its log and prints a summary on SIGTERM.
e2e_try_for 5 grep -q ' 404 ' "$E2E_TMP/analyze.out" || true
e2e_stop "$analyzer" 15 || echo "(the analyzer exited with status $?)"

say "What vxtap analyze logged on the target (from the mirrored copies only):"
cat "$E2E_TMP/analyze.out"

say "Its summary:"
cat "$E2E_TMP/analyze.err"

say "The agent's counters (vxtap stats on the server):"
e2e_vxtap server stats
e2e_stop "$agent" 15 || echo "(vxtap run exited with status $?)"

say "The flow log, written when vxtap run stopped (S3 key layout, gzip):"
find "$flowlogs" -name '*.log.gz' | sed "s|^$flowlogs/|  |"
find "$flowlogs" -name '*.log.gz' -exec zcat {} +

say "Done; removing the namespaces."
