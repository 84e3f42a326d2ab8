#!/usr/bin/env bash
# shellcheck disable=SC2016 # ${field} tokens are literal
# Security groups in the daemon's flow logs: the seed scenario end to end.
#
#   A --(a0 | b0)-- B        A: 10.5.1.10, B: 10.5.2.20 (one /16 link)
#   A runs `vxtap run`; a flow log on a0 (A's host interface) to a local
#   directory in the S3 layout, 60-s aggregation.
#
# A's state: a0 is in SG-ABC (modify-network-interface-attribute --groups),
# B is registered (create-network-interface) in SG-DEF. Configuration 1:
# SG-ABC allows all traffic in from SG-DEF, SG-DEF from SG-ABC. Then, while
# the daemon runs, configuration 2: SG-ABC's rule naming SG-DEF is revoked
# and one for 10.5.1.0/24 authorized; the test waits until `vxtap status`
# shows the daemon on the new generation.
#
# Traffic, in each configuration: a TCP connection A->B (A's client port
# 4100N to B's port 8080) and one B->A (B's client port 5100N to A's port
# 8022), N the configuration. The client sends a request, shuts down its
# side (its FIN comes first), reads the answer to the end; the server
# answers once the request has ended, then closes.
#
# vxtap watches, it does not drop: in configuration 2, B's SYN still
# reaches A, A answers it and the connection runs to its end. What the
# records must show, as the engine decides it (include/vxtap/policy.h):
#   - configuration 1: every record ACCEPT;
#   - configuration 2, A->B: A's packets (egress) and B's replies (ingress)
#     ACCEPT: A's SYN opened a tracked connection. A's last ACK, after B's
#     FIN ended the tracking, is judged by the egress rules, which allow
#     everything;
#   - configuration 2, B->A: B's packets (ingress) REJECT, from the SYN to
#     the FIN (tcp-flags 3 on the REJECT records, and no ACCEPT record in
#     that direction); A's answers (egress, from the SYN-ACK to its FIN:
#     tcp-flags 19) ACCEPT: the egress rules allow all traffic out, and
#     since B's SYN was rejected, A's answers do not make the connection a
#     tracked one whose further packets from B would pass as replies.
# No other record is REJECT. The daemon is stopped with SIGTERM, which
# writes the records of the open window.
#
# Usage: bash policy_flowlogs.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"
e2e_take_vxtap "$@"

e2e_require_netns
e2e_require_cmds python3 ss
e2e_init
A=10.5.1.10
B=10.5.2.20
e2e_ns_add a
e2e_ns_add b
e2e_veth a a0 "$A/16" b b0 "$B/16"

e2e_host_identity a
eni=$(e2e_eni a a0)
abc=$(e2e_vxtap a create-security-group --group-name SG-ABC --description "group of A" |
    e2e_json_field GroupId)
def=$(e2e_vxtap a create-security-group --group-name SG-DEF --description "group of B" |
    e2e_json_field GroupId)
e2e_vxtap a authorize-security-group-ingress --group-id "$abc" \
    --ip-permissions "IpProtocol=-1,UserIdGroupPairs=[{GroupId=$def}]" >/dev/null
e2e_vxtap a authorize-security-group-ingress --group-id "$def" \
    --ip-permissions "IpProtocol=-1,UserIdGroupPairs=[{GroupId=$abc}]" >/dev/null
e2e_vxtap a modify-network-interface-attribute --network-interface-id "$eni" \
    --groups "$abc" >/dev/null
e2e_vxtap a create-network-interface --private-ip-address "$B" --description B \
    --groups "$def" >/dev/null
s3=$E2E_TMP/bucket
format='${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${tcp-flags} ${flow-direction} ${action} ${log-status}'
e2e_vxtap a create-flow-logs --resource-type NetworkInterface --resource-ids "$eni" \
    --traffic-type ALL --log-destination-type s3 --log-destination "$s3" \
    --log-format "$format" --max-aggregation-interval 60 >/dev/null

# The servers: read the request to its end, answer, close.
server='import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(8)
while True:
    c, _ = s.accept()
    data = b""
    while chunk := c.recv(65536):
        data += chunk
    c.sendall(b"answer to " + data)
    c.close()'
# The client: from a chosen port, send, shut down its side, read to the end.
client='import socket, sys
src, sport, dst, dport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
c = socket.socket()
c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.settimeout(10)
c.bind((src, sport))
c.connect((dst, dport))
c.sendall(b"request")
c.shutdown(socket.SHUT_WR)
data = b""
while chunk := c.recv(65536):
    data += chunk
c.close()
sys.exit(0 if data == b"answer to request" else "unexpected answer: %r" % data)'
e2e_bg a "$E2E_TMP/server-a.out" "$E2E_TMP/server-a.err" python3 -c "$server" "$A" 8022
e2e_bg b "$E2E_TMP/server-b.out" "$E2E_TMP/server-b.err" python3 -c "$server" "$B" 8080
e2e_wait_for 15 "A's server" e2e_tcp_listening a 8022
e2e_wait_for 15 "B's server" e2e_tcp_listening b 8080

VXTAP_STATE=$E2E_TMP/a.db e2e_bg a "$E2E_TMP/run.out" "$E2E_TMP/run.err" \
    "$VXTAP" run --flow-log-dir "$E2E_TMP/fl"
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run" e2e_vxtap a status
running() { e2e_vxtap a stats | grep -q '"Running": true'; }
e2e_wait_for 5 "the flow log running on a0" running ||
    e2e_fail "the flow log did not start: $(e2e_vxtap a stats)"

# connections N: A->B from port 4100N, B->A from port 5100N.
connections() {
    e2e_nsx a python3 -c "$client" "$A" "4100$1" "$B" 8080 ||
        e2e_fail "configuration $1: A->B failed"
    e2e_nsx b python3 -c "$client" "$B" "5100$1" "$A" 8022 ||
        e2e_fail "configuration $1: B->A failed"
}
generation() { e2e_vxtap a status | e2e_json_field Applied.Generation; }

connections 1
before=$(generation)
e2e_vxtap a revoke-security-group-ingress --group-id "$abc" \
    --ip-permissions "IpProtocol=-1,UserIdGroupPairs=[{GroupId=$def}]" >/dev/null
e2e_vxtap a authorize-security-group-ingress --group-id "$abc" \
    --ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=10.5.1.0/24}]' >/dev/null
applied() { (($(generation) >= before + 2)); }
e2e_wait_for 5 "the daemon on the new generation" applied ||
    e2e_fail "the change was not applied: $(e2e_vxtap a status)"
connections 2
# The daemon's counters are refreshed once a second.
counted() {
    e2e_vxtap a stats | python3 -c 'import json,sys
sys.exit(0 if all(f["Rejected"] > 0 for f in json.load(sys.stdin)["FlowLogs"]) else 1)'
}
e2e_wait_for 5 "the daemon's counters to show REJECT" counted ||
    e2e_fail "no REJECT counted: $(e2e_vxtap a stats)"
stats=$(e2e_vxtap a stats)
e2e_stop "$agent_pid" 15 || e2e_fail "vxtap run did not stop cleanly"

mapfile -t objects < <(find "$s3" -type f -name '*.log.gz' | sort)
((${#objects[@]} >= 1)) || e2e_fail "no S3 object under $s3: $(find "$s3" -ls 2>&1 | head)"

python3 - "$A" "$B" "${objects[@]}" <<'EOF' || e2e_fail "the records' actions are not the expected ones"
import gzip, sys
from collections import defaultdict
A, B, *objects = sys.argv[1:]

# (srcaddr, dstaddr, srcport, dstport, flow-direction) -> actions, tcp-flags
# (ORed per action) and packets of its records.
records = defaultdict(lambda: {"actions": set(), "flags": defaultdict(int), "packets": 0})
for o in objects:
    lines = gzip.open(o, "rt").read().splitlines()
    fields = lines[0].split(" ")
    for line in lines[1:]:
        v = dict(zip(fields, line.split(" ")))
        if v["log-status"] != "OK":
            continue
        r = records[v["srcaddr"], v["dstaddr"], v["srcport"], v["dstport"], v["flow-direction"]]
        r["actions"].add(v["action"])
        r["flags"][v["action"]] |= int(v["tcp-flags"])
        r["packets"] += int(v["packets"])

errors = []
def want(what, key, action, flags):
    r = records.get(key)
    if r is None:
        errors.append(f"{what}: no record for {key}")
    elif r["actions"] != {action} or r["flags"][action] != flags:
        errors.append(f"{what}: {key}: actions {sorted(r['actions'])}, tcp-flags "
                      f"{dict(r['flags'])}; want only {action} with tcp-flags {flags}")

for n in (1, 2):
    # A->B: A's packets leave (SYN and FIN: 3), B's replies arrive (SYN-ACK, FIN: 19).
    want(f"configuration {n}, A->B", (A, B, f"4100{n}", "8080", "egress"), "ACCEPT", 3)
    want(f"configuration {n}, A->B replies", (B, A, "8080", f"4100{n}", "ingress"), "ACCEPT", 19)
# B->A: ACCEPT in configuration 1; B's packets REJECT in configuration 2,
# A's answers ACCEPT in both.
want("configuration 1, B->A", (B, A, "51001", "8022", "ingress"), "ACCEPT", 3)
want("configuration 1, B->A answers", (A, B, "8022", "51001", "egress"), "ACCEPT", 19)
want("configuration 2, B->A", (B, A, "51002", "8022", "ingress"), "REJECT", 3)
want("configuration 2, B->A answers", (A, B, "8022", "51002", "egress"), "ACCEPT", 19)
others = [k for k, r in records.items() if "REJECT" in r["actions"] and k[2] != "51002"]
if others:
    errors.append(f"REJECT records of other traffic: {others}")
if errors:
    print("\n".join(errors), file=sys.stderr)
    print("records:", file=sys.stderr)
    for k, r in sorted(records.items()):
        print(f"  {k}: {sorted(r['actions'])} {dict(r['flags'])} {r['packets']} packets", file=sys.stderr)
    sys.exit(1)
rejected = records[B, A, "51002", "8022", "ingress"]["packets"]
print(f"B->A after the change: {rejected} packets of B REJECT at A, A's answers ACCEPT; "
      "everything else ACCEPT")
EOF
python3 -c 'import json,sys; fl=json.load(sys.stdin)["FlowLogs"]; assert all(f["WriteErrors"] == 0 and f["RecordsLost"] == 0 for f in fl), fl' <<<"$stats" ||
    e2e_fail "the flow log counted errors: $stats"
echo "PASS: security groups in the daemon's flow logs: the seed scenario, before and after a live change"
