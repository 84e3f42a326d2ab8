#!/usr/bin/env bash
# Flow logs with two capture workers on one interface: the kernel's fanout
# gives each worker a share of the flows. NODATA is decided for the
# interface as a whole: a worker that had traffic in an earlier window and
# none in this one must not write a NODATA record beside the records of the
# worker that had this window's traffic.
#
#   client --(c0 | s0)-- server; vxtap run --capture-workers 2
#   flow log: s0 -> s3, a local directory (the S3 key layout), 60 s windows
#
# Traffic: in one window 24 UDP flows (both workers get some), in the next
# one ping exchange (one flow both ways: one worker); then SIGTERM in the
# middle of that window, which writes its records. Expected: the records of
# both windows with every packet, and no NODATA record. Takes up to 75 s: the
# second window starts at the next minute.
#
# Usage: bash agent_flowlogs_workers.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"
e2e_take_vxtap "$@"

e2e_require_netns
e2e_require_cmds python3 ping
e2e_init
e2e_client_server
server=$E2E_SERVER_IP

e2e_host_identity server
eni=$(e2e_eni server s0)
s3=$E2E_TMP/bucket
e2e_vxtap server create-flow-logs --resource-type NetworkInterface --resource-ids "$eni" \
    --traffic-type ALL --log-destination-type s3 --log-destination "$s3" \
    --max-aggregation-interval 60 >/dev/null

VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" \
    "$VXTAP" run --flow-log-dir "$E2E_TMP/fl" --capture-workers 2
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run" e2e_vxtap server status
running() { [[ $(e2e_vxtap server stats | grep -c '"Running": true') -ge 1 ]]; }
e2e_wait_for 5 "the flow log running on s0" running ||
    e2e_fail "the flow log did not start: $(e2e_vxtap server stats)"

# The next minute's first second, when the current one is late.
next_minute() { sleep "$(python3 -c 'import time; print(61 - time.time() % 60)')"; }
(($(date +%-S) < 45)) || next_minute
window1=$(($(date +%s) / 60 * 60))
e2e_nsx client python3 -c '
import socket, sys
for port in range(40000, 40024):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], port))
    for _ in range(3):
        s.sendto(b"x" * 32, (sys.argv[2], 9))
' "$E2E_CLIENT_IP" "$server"
next_minute
e2e_nsx client ping -q -c 6 -i 0.2 "$server" >/dev/null
sleep 0.5
e2e_stop "$agent_pid" 15 || e2e_fail "vxtap run did not stop cleanly"

mapfile -t objects < <(find "$s3" -type f -name '*.log.gz' | sort)
((${#objects[@]} >= 1)) || e2e_fail "no S3 object under $s3: $(find "$s3" -ls 2>&1 | head)"
python3 - "$eni" "$E2E_CLIENT_IP" "$server" "$window1" "${objects[@]}" <<'PY' ||
import gzip, sys
eni, client, server, window1, *objects = sys.argv[1:]
window1 = int(window1)
lines = []
for o in objects:
    text = gzip.open(o, "rt").read().splitlines()
    fields = text[0].split(" ")
    lines += [dict(zip(fields, l.split(" "))) for l in text[1:]]
nodata = [l for l in lines if l["log-status"] == "NODATA"]
if nodata:
    sys.exit(f"{len(nodata)} NODATA record(s) beside the traffic's records: {nodata}")
ok = [l for l in lines if l["log-status"] == "OK" and l["interface-id"] == eni]
udp = {int(l["srcport"]): int(l["packets"]) for l in ok
       if l["protocol"] == "17" and l["srcaddr"] == client and int(l["start"]) < window1 + 60}
if udp != {port: 3 for port in range(40000, 40024)}:
    sys.exit(f"UDP records of the first window: {udp}")
icmp = {(l["srcaddr"], l["dstaddr"]): int(l["packets"]) for l in ok
        if l["protocol"] == "1" and int(l["start"]) >= window1 + 60}
want = {(client, server): 6, (server, client): 6}
if icmp != want:
    sys.exit(f"ICMP records of the second window {icmp}, expected {want}")
print(f"agent_flowlogs_workers: {len(lines)} records over two windows, no NODATA")
PY
    e2e_fail "records of the two workers (see above)"
echo "PASS: two capture workers on one interface: one decision on NODATA, records complete"
