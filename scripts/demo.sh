#!/usr/bin/env bash
# vxtap's main job in one minute: traffic of one host is mirrored, VXLAN-
# encapsulated, to an analyzer host, where `vxtap analyze` logs the HTTP.
#
# Usage: scripts/demo.sh [PATH_TO_VXTAP]      (default: build/vxtap)
#
# As root, it builds three throwaway network namespaces on this machine
# (client, server, target), mirrors the server's traffic to the target with
# the kernel's own vxlan device and tc mirred, and runs the analyzer there.
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
elif ! e2e_have_cmds python3 curl tc ss; then
    why_offline="it needs python3, curl, tc and ss"
elif ! e2e_kernel_mirror_usable; then
    why_offline="the kernel lacks vxlan, clsact, u32 or mirred support"
fi
if [[ -n $why_offline ]]; then
    offline_demo "$why_offline"
    exit 0
fi

# --------------------------------------------------------------- live demo
e2e_init
e2e_mirror_topology

say "Set up three network namespaces on this machine:"
cat <<EOF
  client  $E2E_CLIENT_IP        runs curl
  server  $E2E_SERVER_IP        runs a web server on port 8000
  target  $E2E_TARGET_IP        runs 'vxtap analyze --listen 0.0.0.0:4789 --http'
The server's client-facing interface is mirrored, both directions, by the
kernel (tc mirred into a vxlan device): every frame is copied, wrapped in
VXLAN with VNI $E2E_VNI and sent to $E2E_TARGET_IP:4789 — what an AWS mirror
session does. The target has no vxlan device; vxtap decapsulates itself.
EOF

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

say "Done; removing the namespaces."
