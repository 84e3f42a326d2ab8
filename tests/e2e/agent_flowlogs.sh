#!/usr/bin/env bash
# Flow logs from live interfaces: `vxtap run` meters the interface a
# create-flow-logs object names, with no mirror session on it.
#
#   client --(c0 | s0)-- server: python3 http.server; vxtap run
#   flow log 1: s0 -> s3, a local directory (the S3 key layout)
#   flow log 2: s0 -> cloud-watch-logs, log group "web/flows", custom format
#
# Traffic: HTTP requests and pings. The daemon is stopped with SIGTERM in the
# middle of its window: the records of the open window must be written then.
# Oracle: tcpdump captures s0 at the same time; per 5-tuple and direction,
# the records' packets and bytes must equal the capture's (IP lengths).
#
# Usage: bash agent_flowlogs.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"
e2e_take_vxtap "$@"

e2e_require_netns
e2e_require_cmds python3 curl ss ping tcpdump
e2e_init
e2e_client_server
server=$E2E_SERVER_IP

e2e_host_identity server
eni=$(e2e_eni server s0)
s3=$E2E_TMP/bucket
fl1=$(e2e_vxtap server create-flow-logs --resource-type NetworkInterface --resource-ids "$eni" \
    --traffic-type ALL --log-destination-type s3 --log-destination "$s3" \
    --max-aggregation-interval 600 | e2e_json_field FlowLogIds.0)
format='${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${flow-direction} ${tcp-flags} ${action} ${log-status}'
e2e_vxtap server create-flow-logs --resource-type NetworkInterface --resource-ids "$eni" \
    --traffic-type ALL --log-group-name web/flows \
    --deliver-logs-permission-arn arn:aws:iam::123456789010:role/flow-logs \
    --log-format "$format" --max-aggregation-interval 600 >/dev/null

mkdir "$E2E_TMP/www"
printf 'hello\n' >"$E2E_TMP/www/hello.txt"
e2e_bg server "$E2E_TMP/httpd.out" "$E2E_TMP/httpd.err" \
    python3 -m http.server 8000 --bind "$server" --directory "$E2E_TMP/www"
e2e_wait_for 15 "http.server" e2e_tcp_listening server 8000
e2e_bg server "$E2E_TMP/tcpdump.out" "$E2E_TMP/tcpdump.err" \
    tcpdump -i s0 -n -U -w "$E2E_TMP/s0.pcap" ip
tcpdump_pid=$E2E_LAST_PID
e2e_wait_for 10 "tcpdump" grep -q "listening on" "$E2E_TMP/tcpdump.err"
VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" \
    "$VXTAP" run --flow-log-dir "$E2E_TMP/fl"
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run" e2e_vxtap server status
running() { [[ $(e2e_vxtap server stats | grep -c '"Running": true') == 2 ]]; }
e2e_wait_for 5 "two flow logs running on s0" running ||
    e2e_fail "flow logs did not start: $(e2e_vxtap server stats)"

for _ in 1 2 3; do
    e2e_nsx client curl --noproxy '*' -s -m 10 -o /dev/null "http://$server:8000/hello.txt"
done
e2e_nsx client ping -q -c 4 -i 0.2 "$server" >/dev/null
sleep 0.5
stats=$(e2e_vxtap server stats)
e2e_stop "$agent_pid" 15 || e2e_fail "vxtap run did not stop cleanly"
e2e_stop "$tcpdump_pid" 10 || true

# The S3 layout: one gzip object of the 5-minute period, header first.
mapfile -t objects < <(find "$s3" -type f -name '*.log.gz' | sort)
((${#objects[@]} >= 1)) || e2e_fail "no S3 object under $s3: $(find "$s3" -ls 2>&1 | head)"
key_re="^$s3/AWSLogs/123456789010/vpcflowlogs/eu-west-1/[0-9]{4}/[0-9]{2}/[0-9]{2}/123456789010_vpcflowlogs_eu-west-1_${fl1}_[0-9]{8}T[0-9]{4}Z_[0-9a-f]{8}\.log\.gz$"
for o in "${objects[@]}"; do
    [[ $o =~ $key_re ]] || e2e_fail "S3 key not in the AWS layout: $o"
done
[[ -z $(find "$s3" -name '.*') ]] || e2e_fail "temporary files left: $(find "$s3" -name '.*')"
[[ $(zcat "${objects[0]}" | head -1) == "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status" ]] ||
    e2e_fail "S3 object does not start with the header line"
stream=$E2E_TMP/fl/cloudwatch/web/flows/$eni-all.log
[[ -s $stream ]] || e2e_fail "no CloudWatch-style stream file $stream"

python3 - "$E2E_TMP/s0.pcap" "$eni" "$stream" "$E2E_CLIENT_IP" "$server" <<'EOF' "${objects[@]}" ||
import gzip, json, struct, sys
from collections import Counter
pcap, eni, stream, client, server, *objects = sys.argv[1:]

def ip_text(b):
    return ".".join(str(x) for x in b)

# The oracle: per unidirectional 5-tuple, packets and IP bytes in the capture.
want = Counter()
with open(pcap, "rb") as f:
    magic = f.read(24)[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    while hdr := f.read(16):
        _, _, incl, _ = struct.unpack(endian + "IIII", hdr)
        frame = f.read(incl)
        if len(frame) < 34 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        proto, total = ip[9], struct.unpack("!H", ip[2:4])[0]
        sport = dport = 0
        if proto in (6, 17):
            sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        key = (ip_text(ip[12:16]), ip_text(ip[16:20]), sport, dport, proto)
        want[key, "packets"] += 1
        want[key, "bytes"] += total

def totals(lines, fields):
    got = Counter()
    for line in lines:
        v = dict(zip(fields, line.split(" ")))
        if v["log-status"] != "OK":
            continue
        key = (v["srcaddr"], v["dstaddr"], int(v["srcport"]), int(v["dstport"]), int(v["protocol"]))
        got[key, "packets"] += int(v["packets"])
        got[key, "bytes"] += int(v["bytes"])
    return got

s3_lines = []
for o in objects:
    text = gzip.open(o, "rt").read().splitlines()
    fields = text[0].split(" ")
    s3_lines += text[1:]
got = totals(s3_lines, fields)
if got != want:
    print("S3 records differ from the capture:", file=sys.stderr)
    for k in sorted(set(got) | set(want)):
        if got[k] != want[k]:
            print(f"  {k}: records {got[k]}, capture {want[k]}", file=sys.stderr)
    sys.exit(1)
if not any(l.split(" ")[2] == eni for l in s3_lines):
    sys.exit("S3 records do not name the interface " + eni)

cw = [json.loads(l) for l in open(stream)]
cw_fields = ["interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets",
             "bytes", "flow-direction", "tcp-flags", "action", "log-status"]
if totals([e["message"] for e in cw], cw_fields) != want:
    sys.exit("CloudWatch-style records differ from the capture")
by_dir = {(m.split(" ")[1], m.split(" ")[8]) for m in (e["message"] for e in cw)}
if (client, "ingress") not in by_dir or (server, "egress") not in by_dir:
    sys.exit(f"directions wrong: {sorted(by_dir)}")
flows = sum(1 for k in want if k[1] == "packets")
print(f"{flows} flows, {sum(v for k, v in want.items() if k[1] == 'packets')} packets: S3 and CloudWatch records equal the capture")
EOF
    e2e_fail "records do not match the capture"
python3 -c 'import json,sys; fl=json.load(sys.stdin)["FlowLogs"]; assert all(f["WriteErrors"] == 0 and f["RecordsLost"] == 0 for f in fl), fl' <<<"$stats" ||
    e2e_fail "the flow logs counted errors: $stats"
echo "PASS: flow logs from a live interface: S3 layout and CloudWatch-style stream, written on SIGTERM, equal to the capture"
