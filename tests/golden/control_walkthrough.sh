#!/usr/bin/env bash
# The console walkthrough of traffic mirroring, through the CLI: a target
# (an analyzer's interface), a filter with an ingress rule for TCP to port 80
# and an egress rule for the replies, and session number 1 on an interface.
# describe-* output is compared byte for byte with expected JSON; generated
# IDs (random by design) are replaced by placeholders in order of first
# appearance. Then the state is exported, applied to a new store, and the
# same describe output must come out of it.
#   control_walkthrough.sh PATH_TO_VXTAP      UPDATE=1 rewrites the expected file
set -euo pipefail

vxtap=${1:?usage: control_walkthrough.sh PATH_TO_VXTAP}
here=$(cd "$(dirname "$0")" && pwd)
expected=$here/expected/control/walkthrough.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export VXTAP_STATE=$work/state.db

v() { "$vxtap" "$@"; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"; }

v configure --account-id 111122223333 --region us-east-1 --vpc-id vpc-0a1b2c3d4e5f60718 \
	--subnet-id subnet-0a1b2c3d4e5f60718 --instance-id i-0a1b2c3d4e5f60718 \
	--availability-zone us-east-1a --az-id use1-az1 >/dev/null

# The mirror source: this host's loopback interface (present everywhere).
source_eni=$(v describe-network-interfaces --filters Name=description,Values=lo |
	field NetworkInterfaces.0.NetworkInterfaceId)
# The analyzer: another host, registered by its address.
analyzer_eni=$(v create-network-interface --private-ip-address 10.0.0.20 \
	--description "analyzer" | field NetworkInterface.NetworkInterfaceId)

target=$(v create-traffic-mirror-target --network-interface-id "$analyzer_eni" \
	--description "analyzer target" \
	--tag-specifications 'ResourceType=traffic-mirror-target,Tags=[{Key=Name,Value=analyzer}]' \
	--client-token walkthrough-target | field TrafficMirrorTarget.TrafficMirrorTargetId)
filter=$(v create-traffic-mirror-filter --description "HTTP filter" \
	--client-token walkthrough-filter | field TrafficMirrorFilter.TrafficMirrorFilterId)
v create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
	--traffic-direction ingress --rule-number 100 --rule-action accept --protocol 6 \
	--destination-port-range FromPort=80,ToPort=80 \
	--source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 \
	--description "HTTP requests" >/dev/null
v create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
	--traffic-direction egress --rule-number 100 --rule-action accept --protocol 6 \
	--source-port-range FromPort=80,ToPort=80 \
	--source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 \
	--description "HTTP responses" >/dev/null
session=$(v create-traffic-mirror-session --network-interface-id "$source_eni" \
	--traffic-mirror-target-id "$target" --traffic-mirror-filter-id "$filter" \
	--session-number 1 --virtual-network-id 7159709 --packet-length 8961 \
	--description "web server" | field TrafficMirrorSession.TrafficMirrorSessionId)
# As in the AWS CLI example: back to whole packets, new description.
v modify-traffic-mirror-session --traffic-mirror-session-id "$session" \
	--remove-fields packet-length --description "web server, whole packets" >/dev/null

describe_all() {
	v describe-traffic-mirror-targets
	v describe-traffic-mirror-filters
	v describe-traffic-mirror-sessions
	v describe-traffic-mirror-sessions --filters Name=session-number,Values=1 \
		Name=network-interface-id,Values="$source_eni"
	v describe-network-interfaces --network-interface-ids "$analyzer_eni"
}

# Placeholders for generated IDs, numbered per prefix in order of appearance.
normalize() {
	python3 -c '
import re, sys
seen = {}
def sub(m):
    ident = m.group(0)
    if ident not in seen:
        prefix = m.group(1)
        n = sum(1 for k in seen if k.startswith(prefix + "-")) + 1
        seen[ident] = "%s-EXAMPLE%d" % (prefix, n)
    return seen[ident]
sys.stdout.write(re.sub(r"\b(tmt|tmfr|tmf|tms|eni)-[0-9a-f]{17}\b", sub, sys.stdin.read()))'
}

describe_all | normalize >"$work/actual.json"
if [[ ${UPDATE:-0} == 1 ]]; then
	cp "$work/actual.json" "$expected"
	echo "updated $expected"
	exit 0
fi
if ! diff -u "$expected" "$work/actual.json"; then
	echo "FAIL: describe output differs from $expected"
	exit 1
fi

# Export, apply to a fresh store on the same host: the same objects, the same IDs.
v export >"$work/state.json"
VXTAP_STATE=$work/copy.db v apply -f "$work/state.json" >/dev/null
VXTAP_STATE=$work/copy.db describe_all | normalize >"$work/copy.json"
if ! diff -u "$work/actual.json" "$work/copy.json"; then
	echo "FAIL: the applied copy describes differently"
	exit 1
fi
VXTAP_STATE=$work/copy.db v export >"$work/state2.json"
if ! diff -u <(grep -v CreationTime "$work/state.json") <(grep -v CreationTime "$work/state2.json"); then
	echo "FAIL: export after apply is not the document applied"
	exit 1
fi
echo "walkthrough: describe output matches, export/apply round trip matches"
