#!/usr/bin/env bash
# Load test of the EC2 API: a second process (curl, signing every request
# with SigV4 as the AWS SDKs do) sends --requests DescribeTrafficMirrorTargets
# calls over --connections kept-alive connections to `vxtap run
# --api-listen`, on a state with --objects targets. Reports errors, request
# latency (p50, p99, max: curl's time per transfer, connection reuse
# included) and requests per second.
#
# Usage: bench/api.sh [--requests N] [--connections N] [--objects N]
#                     [--build DIR]
#   defaults: 10000 requests, 8 connections, 20 targets, build/
set -euo pipefail
cd "$(dirname "$0")/.."

requests=10000 connections=8 objects=20 build=build
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "bench/api.sh: $*" >&2; exit 2; }
while (($#)); do
	case $1 in
	--requests) requests=${2:?--requests needs a number}; shift 2 ;;
	--connections) connections=${2:?--connections needs a number}; shift 2 ;;
	--objects) objects=${2:?--objects needs a number}; shift 2 ;;
	--build) build=${2:?--build needs a directory}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done
[[ $requests =~ ^[0-9]+$ && $requests -ge 1 ]] || die "--requests must be a positive number"
[[ $connections =~ ^[0-9]+$ && $connections -ge 1 && $connections -le 64 ]] ||
	die "--connections must be 1-64"
[[ $objects =~ ^[0-9]+$ && $objects -le 1000 ]] || die "--objects must be 0-1000"
vxtap=$build/vxtap
[[ -x $vxtap ]] || die "no $vxtap: build first (scripts/setup.sh)"
curl --version | grep -q -- 'Features:.*' && curl --help all 2>/dev/null | grep -q -- '--aws-sigv4' ||
	die "needs curl with --aws-sigv4 (7.75 or later)"

work=$(mktemp -d)
pid=""
cleanup() {
	[[ -z $pid ]] || kill "$pid" 2>/dev/null || true
	[[ -z $pid ]] || wait "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
export VXTAP_STATE=$work/state.db
region=eu-west-1
"$vxtap" configure --region "$region" >/dev/null
for ((i = 1; i <= objects; i++)); do
	eni=$("$vxtap" create-network-interface --private-ip-address "10.9.$((i / 250)).$((i % 250 + 1))" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["NetworkInterface"]["NetworkInterfaceId"])')
	"$vxtap" create-traffic-mirror-target --network-interface-id "$eni" --description "analyzer $i" >/dev/null
done
"$vxtap" create-access-key --user-name bench >"$work/key.json"
key=$(python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))["AccessKey"]; print(k["AccessKeyId"] + ":" + k["SecretAccessKey"])' "$work/key.json")

"$vxtap" run --no-mirror --api-listen 127.0.0.1:0 >"$work/run.out" 2>"$work/run.err" &
pid=$!
port=""
for _ in $(seq 50); do
	port=$(sed -n 's|.*EC2 API on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/run.err")
	[[ -n $port ]] && break
	sleep 0.1
done
[[ -n $port ]] || die "the daemon did not start its API: $(cat "$work/run.err")"

# One curl process, every transfer signed, at most --connections at a time
# (HTTP/1.1: one request per connection at a time, connections reused).
url="http://127.0.0.1:$port/?Action=DescribeTrafficMirrorTargets&Version=2016-11-15"
for ((i = 0; i < requests; i++)); do
	printf 'url = "%s"\noutput = "/dev/null"\n' "$url"
done >"$work/curl.conf"
start=$(date +%s%N)
curl -s --no-progress-meter --parallel --parallel-max "$connections" --aws-sigv4 "aws:amz:$region:ec2" --user "$key" \
	--write-out '%{http_code} %{time_total}\n' -K "$work/curl.conf" >"$work/times.txt" || true
end=$(date +%s%N)
# One more, kept: the answer holds every target.
curl -s --aws-sigv4 "aws:amz:$region:ec2" --user "$key" "$url" >"$work/last.xml"

mkdir -p bench/out
report=bench/out/api-$(date +%Y%m%d-%H%M%S).txt
python3 - "$work/times.txt" "$requests" "$connections" "$objects" "$start" "$end" "$work/last.xml" <<'EOF' | tee "$report"
import sys
times_file, requests, connections, objects, start, end, last = sys.argv[1:]
requests, objects = int(requests), int(objects)
lines = [l.split() for l in open(times_file) if l.strip()]
ok = sorted(float(t) for code, t in lines if code == "200")
errors = len(lines) - len(ok) + (requests - len(lines))
wall = (int(end) - int(start)) / 1e9
def pct(p):
    return ok[min(len(ok) - 1, int(p / 100 * len(ok)))] * 1000 if ok else float("nan")
items = open(last).read().count("<trafficMirrorTargetId>")
print(f"EC2 API load: {requests} DescribeTrafficMirrorTargets over {connections} connections, {objects} targets in the state")
print(f"  answered 200: {len(ok)}   errors: {errors}   targets in an answer: {items}")
print(f"  wall {wall:.2f} s   {len(ok) / wall:.0f} requests/s")
print(f"  latency ms: p50 {pct(50):.2f}   p90 {pct(90):.2f}   p99 {pct(99):.2f}   max {ok[-1] * 1000 if ok else float('nan'):.2f}")
sys.exit(0 if errors == 0 and items == objects else 1)
EOF
