#!/usr/bin/env bash
# Load-balancer groups: one session whose target is a load balancer of three
# analyzers, each answering the agent's TCP health checks with --health-port.
#   1. 1,000 UDP flows (a request and its echo each): every flow's two
#      directions arrive at one analyzer, once each, and each analyzer gets
#      within ±20% of a third of the flows.
#   2. One analyzer stops (its health port closes; a plain listener without
#      --health-port takes its address, to catch anything still sent there).
#      Once the agent reports the member unhealthy, the same 1,000 flows
#      again: the survivors keep every flow they had, the stopped member's
#      flows are spread over the two survivors, and none goes to it.
#
# Usage: bash agent_groups.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"
e2e_take_vxtap "$@"

e2e_require_netns
e2e_require_cmds python3 ss
e2e_init
e2e_agent_topology
client=$E2E_CLIENT_IP
server=$E2E_SERVER_IP
echo_port=9000
first_port=20000 # the flows' client ports: first_port .. first_port+flows-1
flows=1000
victim=1 # the analyzer stopped in part 2
start=$SECONDS

# Three analyzer addresses in the target namespace.
addrs=(10.200.2.2 10.200.2.3 10.200.2.4)
mac=$(e2e_nsx target cat /sys/class/net/t0/address)
for a in "${addrs[@]:1}"; do
    e2e_nsx target ip addr add "$a/24" dev t0
    e2e_nsx server ip neigh replace "$a" lladdr "$mac" dev s1 nud permanent
done

# The server side of the flows: a UDP echo, so each request's reply is the
# flow's other direction.
e2e_bg server "$E2E_TMP/echo.out" "$E2E_TMP/echo.err" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
' "$server" "$echo_port"
e2e_wait_for 15 "UDP echo" e2e_udp_listening server "$echo_port"

# send_flows — one datagram from each client port to the echo, one process
# for all of them; every reply must come back. The ports are fixed, so both
# rounds send the same 5-tuples.
send_flows() {
    e2e_nsx client python3 - "$client" "$server" "$echo_port" "$first_port" "$flows" <<'EOF'
import socket, sys
client, server, port, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
lost = []
for sport in range(first, first + count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((client, sport))
    s.settimeout(2)
    msg = b"flow %d" % sport
    s.sendto(msg, (server, port))
    try:
        if s.recv(2048) != msg:
            lost.append(sport)
    except socket.timeout:
        lost.append(sport)
    s.close()
if lost:
    sys.exit("%d of %d echoes did not come back (client ports %s ...)" % (len(lost), count, lost[:5]))
EOF
}

# The parser of the analyzers' --dump output, shared by both rounds.
cat >"$E2E_TMP/flows.py" <<'EOF'
"""Which analyzer saw which flow, from the analyzers' --dump output.

flows.py --out ROUND.json --client IP --server IP:PORT --ports FIRST:COUNT
         [--down I] [--before EARLIER.json] FILE:SKIP ...

FILE:SKIP is analyzer I's output (I = position), from line SKIP on. A flow is
keyed by its UDP endpoints in sorted order, so a request and its reply share
the key. Checks, reporting every violation before failing:
  - every expected flow arrived, one request and one reply, both at one
    analyzer; nothing else arrived;
  - analyzer --down got nothing; the others each got their even share of the
    flows, within ±20%;
  - with --before: flows of analyzers that are still up stayed where they
    were; the flows of the analyzer that went down are spread over the others
    (each within ±30% of an even share: fewer flows, so a wider margin for
    the same confidence).
Writes {flow: analyzer} to ROUND.json and prints the counts.
"""
import argparse, collections, json, re, sys

BRIEF = re.compile(r"^#\d+ \S+ vni=\d+ (\S+) (\S+) > (\S+) ")

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--client", required=True)
ap.add_argument("--server", required=True)
ap.add_argument("--ports", required=True)
ap.add_argument("--down", type=int)
ap.add_argument("--before")
ap.add_argument("files", nargs="+")
args = ap.parse_args()
first, count = map(int, args.ports.split(":"))
expected = {tuple(sorted(("%s:%d" % (args.client, p), args.server))) for p in range(first, first + count)}

# seen[flow][analyzer] = Counter of "request" / "reply"
seen = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
problems = []
for i, spec in enumerate(args.files):
    path, skip = spec.rsplit(":", 1)
    with open(path) as f:
        lines = f.read().splitlines()[int(skip):]
    for line in lines:
        m = BRIEF.match(line)
        if not m:
            continue
        proto, src, dst = m.groups()
        key = tuple(sorted((src, dst)))
        if proto != "udp" or key not in expected:
            problems.append("analyzer %d got a frame of no test flow: %s" % (i, line))
            continue
        seen[key][i]["request" if dst == args.server else "reply"] += 1

owner = {}
for key in sorted(expected):
    at = seen.get(key, {})
    if len(at) != 1:
        problems.append("flow %s <-> %s arrived at analyzers %s, expected exactly one"
                        % (key[0], key[1], sorted(at) or "none"))
        continue
    (i, dirs), = at.items()
    if dirs != collections.Counter(request=1, reply=1):
        problems.append("flow %s <-> %s at analyzer %d: %s, expected one request and one reply"
                        % (key[0], key[1], i, dict(dirs)))
    owner["%s %s" % key] = i

n = len(args.files)
per = collections.Counter(owner.values())
up = [i for i in range(n) if i != args.down]
print("flows per analyzer: " + ", ".join("%d: %d" % (i, per[i]) for i in range(n)))
if args.down is not None and per[args.down]:
    problems.append("analyzer %d is down but got %d flows" % (args.down, per[args.down]))
even = count / len(up)
for i in up:
    if abs(per[i] - even) > 0.2 * even:
        problems.append("analyzer %d got %d flows, outside %.1f ±20%%" % (i, per[i], even))

if args.before:
    with open(args.before) as f:
        before = json.load(f)
    moved = collections.Counter()
    for flow, was in before.items():
        now = owner.get(flow)
        if now is None:
            continue  # reported above
        if was in up and now != was:
            problems.append("flow %s moved from analyzer %d, which is still up, to %d" % (flow, was, now))
        if was == args.down:
            moved[now] += 1
    total = sum(moved.values())
    print("flows of analyzer %d moved to: " % args.down + ", ".join("%d: %d" % (i, moved[i]) for i in up))
    for i in up:
        share = total / len(up)
        if abs(moved[i] - share) > 0.3 * share:
            problems.append("analyzer %d took %d of the %d flows of analyzer %d, outside %.1f ±30%%"
                            % (i, moved[i], total, args.down, share))

with open(args.out, "w") as f:
    json.dump(owner, f)
for p in problems[:20]:
    print("  " + p, file=sys.stderr)
if problems:
    sys.exit("%d problems (first 20 above)" % len(problems))
EOF

# The load balancer with the shortest legal health check (5 s interval,
# 2 s timeout, 2 checks either way), a target on it, an accept-all filter.
arn=$(e2e_vxtap server create-load-balancer --name analyzers \
    --targets "Id=${addrs[0]}" "Id=${addrs[1]}" "Id=${addrs[2]}" \
    --health-check-port 4789 --health-check-interval-seconds 5 \
    --health-check-timeout-seconds 2 --healthy-threshold-count 2 \
    --unhealthy-threshold-count 2 | e2e_json_field LoadBalancers.0.LoadBalancerArn)
target=$(e2e_vxtap server create-traffic-mirror-target --network-load-balancer-arn "$arn" |
    e2e_json_field TrafficMirrorTarget.TrafficMirrorTargetId)
filter=$(e2e_vxtap server create-traffic-mirror-filter |
    e2e_json_field TrafficMirrorFilter.TrafficMirrorFilterId)
for dir in ingress egress; do
    e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
        --traffic-direction "$dir" --rule-number 10 --rule-action accept \
        --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 >/dev/null
done
eni=$(e2e_eni server s0)

# listening ADDR PROTO — the target namespace has a PROTO (u/t) socket on ADDR:4789.
listening() { e2e_nsx target ss -Hln"$2" "src $1 and sport = :4789" | grep -q .; }
ana_pids=()
for i in 0 1 2; do
    e2e_bg target "$E2E_TMP/a$i.out" "$E2E_TMP/a$i.err" \
        "$VXTAP" analyze --listen "${addrs[$i]}:4789" --health-port 4789 --dump
    ana_pids+=("$E2E_LAST_PID")
done
for i in 0 1 2; do
    e2e_wait_for 15 "analyzer $i on UDP" listening "${addrs[$i]}" u
    e2e_wait_for 15 "analyzer $i health port" listening "${addrs[$i]}" t
done

VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" "$VXTAP" run
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run" e2e_vxtap server status
e2e_vxtap server create-traffic-mirror-session --network-interface-id "$eni" \
    --traffic-mirror-target-id "$target" --traffic-mirror-filter-id "$filter" \
    --session-number 1 --virtual-network-id 100 >/dev/null
capturing() { e2e_vxtap server stats | grep -q '"Capturing": true'; }
e2e_wait_for 10 "agent capturing" capturing

# members_are STATE... — `vxtap stats` lists the three members in these
# states (in the order of addrs), each with at least one check of that
# outcome, so the states come from checks, not from the initial "up".
members_are() {
    e2e_vxtap server stats | python3 -c '
import json, sys
want = dict(zip(sys.argv[1::2], sys.argv[2::2]))
got = {m["Address"]: m for m in json.load(sys.stdin)["TargetMembers"]}
ok = all(a in got and got[a]["State"] == s and
         got[a]["ChecksOk" if s == "healthy" else "ChecksFailed"] > 0 for a, s in want.items())
sys.exit(0 if ok else 1)' "${addrs[0]}" "$1" "${addrs[1]}" "$2" "${addrs[2]}" "$3"
}
e2e_wait_for 15 "three members healthy by their health checks" \
    members_are healthy healthy healthy || {
    e2e_vxtap server stats >&2
    e2e_fail "the analyzers' --health-port did not satisfy the agent's checks"
}

mirrored() { e2e_vxtap server stats | e2e_json_field Sessions.0.MirroredPackets; }
# frames_since FILE:SKIP... — brief lines (one per frame) after SKIP lines.
frames_since() {
    local spec n=0
    for spec in "$@"; do
        n=$((n + $(tail -n +$((${spec##*:} + 1)) "${spec%:*}" | grep -c '^#' || true)))
    done
    echo "$n"
}
# round N FILE:SKIP... — send the flows; wait until the agent has mirrored
# both directions of each and the analyzers have received what it sent.
round() {
    local n=$1 before
    shift
    before=$(mirrored)
    send_flows || e2e_fail "round $n: the UDP echo did not answer every flow"
    mirrored_at_least() { (($(mirrored) >= before + 2 * flows)); }
    e2e_wait_for 15 "round $n: agent mirrored $((2 * flows)) packets" mirrored_at_least || {
        e2e_vxtap server stats >&2
        e2e_fail "round $n: the agent mirrored $(($(mirrored) - before)) packets"
    }
    sent=$(($(mirrored) - before))
    ((sent == 2 * flows)) ||
        e2e_fail "round $n: the agent mirrored $sent packets, expected $((2 * flows)) (a request and a reply per flow)"
    received_all() { (($(frames_since "$@") >= sent)); }
    e2e_wait_for 15 "round $n: analyzers received $sent frames" received_all "$@" ||
        e2e_fail "round $n: the analyzers received $(frames_since "$@") of the $sent frames the agent mirrored"
}
parse=(python3 "$E2E_TMP/flows.py" --client "$client" --server "$server:$echo_port"
    --ports "$first_port:$flows")

# ---- 1: three analyzers up
round 1 "$E2E_TMP/a0.out:0" "$E2E_TMP/a1.out:0" "$E2E_TMP/a2.out:0"
spread1=$("${parse[@]}" --out "$E2E_TMP/round1.json" \
    "$E2E_TMP/a0.out:0" "$E2E_TMP/a1.out:0" "$E2E_TMP/a2.out:0") ||
    e2e_fail "round 1 (three analyzers up): $spread1"
e2e_log "round 1, three analyzers up: $spread1"

# ---- 2: one analyzer stopped
e2e_stop "${ana_pids[$victim]}" 15 || e2e_fail "analyzer $victim did not stop cleanly"
stopped_at=$SECONDS
grep -Eq '^health\.checks [1-9]' "$E2E_TMP/a$victim.err" ||
    e2e_fail "analyzer $victim's summary counts no health checks: $(cat "$E2E_TMP/a$victim.err")"
# Whatever the agent still sends to the address lands here.
e2e_bg target "$E2E_TMP/a${victim}b.out" "$E2E_TMP/a${victim}b.err" \
    "$VXTAP" analyze --listen "${addrs[$victim]}:4789" --dump
e2e_wait_for 15 "plain listener on ${addrs[$victim]}" listening "${addrs[$victim]}" u
states=(healthy healthy healthy)
states[victim]=unhealthy
# Two failed checks 5 s apart, the first up to 5 s after the stop.
e2e_wait_for 20 "member ${addrs[$victim]} unhealthy" members_are "${states[@]}" || {
    e2e_vxtap server stats >&2
    e2e_fail "the agent did not mark the stopped analyzer's member unhealthy"
}
e2e_log "member ${addrs[$victim]} unhealthy $((SECONDS - stopped_at)) s after its analyzer stopped"

files2=()
for i in 0 1 2; do
    if ((i == victim)); then
        files2+=("$E2E_TMP/a${victim}b.out:0")
    else
        files2+=("$E2E_TMP/a$i.out:$(wc -l <"$E2E_TMP/a$i.out")")
    fi
done
round 2 "${files2[@]}"
spread2=$("${parse[@]}" --out "$E2E_TMP/round2.json" --down "$victim" \
    --before "$E2E_TMP/round1.json" "${files2[@]}") ||
    e2e_fail "round 2 (analyzer $victim stopped): $spread2"
e2e_log "round 2, analyzer $victim stopped: ${spread2//$'\n'/; }"

for i in 0 1 2; do
    if ((i != victim)); then e2e_stop "${ana_pids[$i]}" 15 || true; fi
done
e2e_stop "$agent_pid" 15 || e2e_fail "vxtap run did not stop cleanly"
for i in 0 1 2; do
    ((i == victim)) && continue
    grep -Eq '^health\.checks [1-9]' "$E2E_TMP/a$i.err" ||
        e2e_fail "analyzer $i's summary counts no health checks: $(cat "$E2E_TMP/a$i.err")"
done
echo "PASS: groups: $flows flows, both directions at one analyzer; failover moved only the stopped analyzer's flows ($((SECONDS - start)) s)"
