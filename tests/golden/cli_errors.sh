#!/usr/bin/env bash
# CLI behaviour: unreadable or non-pcap inputs and bad options give a
# one-line error that names the culprit, and exit status 2.
set -uo pipefail

vxtap=${1:?usage: cli_errors.sh PATH_TO_VXTAP}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

# expect NAME STATUS PATTERN -- ARGS...: exit status and a one-line stderr matching PATTERN.
expect() {
	local name=$1 status=$2 pattern=$3
	shift 4
	"$vxtap" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	local lines
	lines=$(wc -l <"$work/err")
	if [[ $rc -ne $status ]]; then
		echo "FAIL $name: exit $rc, expected $status; stderr: $(cat "$work/err")"
		fail=$((fail + 1))
	elif [[ $status -ne 0 && $lines -ne 1 ]]; then
		echo "FAIL $name: expected a one-line error, got $lines lines:"
		cat "$work/err"
		fail=$((fail + 1))
	elif ! grep -qE -- "$pattern" "$work/err" "$work/out"; then
		echo "FAIL $name: output does not match /$pattern/:"
		cat "$work/err" "$work/out"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

echo "just some text, not a capture" >"$work/notes.txt"
: >"$work/empty.pcap"
mkdir "$work/adir"
head -c 24 "$(dirname "$0")/../data/pcaps/zeek-http-get.pcap" >"$work/header-only.pcap"

expect missing-file 2 "nosuch\.pcap: No such file or directory" -- analyze --read "$work/nosuch.pcap"
expect text-file 2 "notes\.txt: .*(not a pcap|unknown file format)" -- analyze --read "$work/notes.txt"
expect empty-file 2 "empty\.pcap: " -- analyze --read "$work/empty.pcap"
expect directory 2 "adir: " -- analyze --read "$work/adir"
expect header-only 0 "^frames 0$" -- analyze --read "$work/header-only.pcap" --summary -
expect no-input 2 "give exactly one input" -- analyze --dump
expect two-inputs 2 "give exactly one input" -- analyze --read a --listen :4789
expect bad-count 2 "--count: invalid value 'ten' \(allowed: a positive number\)" -- analyze --read x --count ten
expect bad-port 2 "--vxlan-port: invalid value '70000' \(allowed: 1-65535\)" -- analyze --read x --vxlan-port 70000
expect bad-rotate 2 "--rotate: invalid value '10X'" -- analyze --read x --write y --rotate 10X
expect json-needs-http 2 "--json formats the HTTP log" -- analyze --read x --json
expect dump-and-brief 2 "--dump and --brief are two forms of one listing" -- analyze --read x --dump --brief
expect unknown-option 2 "unknown option '--bogus'" -- analyze --bogus
expect missing-value 2 "--read needs a value" -- analyze --read
expect bad-listen 2 "listen" -- analyze --listen nonsense
expect bad-health-port 2 "--health-port: invalid value '0' \(allowed: 1-65535\)" -- analyze --listen 127.0.0.1:0 --health-port 0
expect bad-health-port-text 2 "--health-port: invalid value '80x' \(allowed: 1-65535\)" -- analyze --listen 127.0.0.1:0 --health-port 80x
expect health-port-needs-listen 2 "--health-port applies to --listen" -- analyze --read x --health-port 4789
expect unknown-command 2 "unknown command 'frobnicate'" -- frobnicate
expect help 0 "usage: vxtap analyze" -- analyze --help
expect help-health-port 0 "--health-port PORT" -- analyze --help
expect top-help 0 "usage: vxtap <command>" -- --help

# Control-plane verbs: command-line mistakes are usage errors (exit 2, one
# line); requests the control plane refuses print the AWS CLI's error line
# and exit 254, as the AWS CLI does.
export VXTAP_STATE=$work/state.db
expect verb-unknown-option 2 "unknown option --bogus \(see vxtap create-traffic-mirror-filter --help\)" -- create-traffic-mirror-filter --bogus
expect verb-missing-value 2 "--rule-number needs a value: <integer>" -- create-traffic-mirror-filter-rule --rule-number
expect verb-bad-int 2 "Error parsing parameter '--rule-number': .*'ten'" -- create-traffic-mirror-filter-rule --rule-number ten
expect verb-bad-shorthand 2 "Error parsing parameter '--destination-port-range': .*'FromPort=80,ToPort=x'" -- create-traffic-mirror-filter-rule --destination-port-range FromPort=80,ToPort=x
expect verb-output-text 2 "--output 'text' is not supported \(allowed: json\)" -- describe-traffic-mirror-targets --output text
expect verb-twice 2 "--description given twice" -- create-traffic-mirror-filter --description a --description b
expect verb-help 0 "usage: vxtap create-traffic-mirror-session" -- create-traffic-mirror-session --help
expect sg-simple-and-permissions 2 "The --protocol option is not compatible with the --ip-permissions option" -- authorize-security-group-ingress --group-name default --protocol tcp --ip-permissions IpProtocol=-1
expect sg-bad-port 2 "port parameter should be of the form <from\[-to\]> \(e\.g\. 22 or 22-25\)" -- authorize-security-group-ingress --group-name default --protocol tcp --port 22-x --cidr 10.0.0.0/8
expect sg-bad-protocol 2 "protocol parameter should be one of: tcp\|udp\|icmp\|all or any valid protocol number\." -- authorize-security-group-ingress --group-name default --protocol gre --cidr 10.0.0.0/8
expect sg-simple-form 0 '"CidrIpv4": "10\.0\.0\.0/16"' -- authorize-security-group-ingress --group-name default --protocol tcp --port 22-25 --cidr 10.0.0.1/16
expect sg-ip-permissions 0 '"CidrIpv6": "::/0"' -- authorize-security-group-egress --group-id "$("$vxtap" describe-security-groups --group-names default | grep -m1 -o 'sg-[0-9a-f]*')" --ip-permissions 'IpProtocol=udp,FromPort=53,ToPort=53,Ipv6Ranges=[{CidrIpv6=::/0,Description="dns"}]'
expect acl-direction-twice 2 "--egress given twice" -- create-network-acl-entry --ingress --egress
expect acl-bad-icmp 2 "Error parsing parameter '--icmp-type-code': .*'Type=8,Code=x'" -- create-network-acl-entry --icmp-type-code Type=8,Code=x
expect apply-no-file 2 "-f FILE is required" -- apply
expect status-no-daemon 1 "no daemon answers" -- status
expect run-bad-workers 2 "--capture-workers '0' is not valid \(allowed: 1-64\)" -- run --capture-workers 0
expect run-bad-mbps 2 "--session-max-mbps 'fast' is not valid \(allowed: 1-100000\)" -- run --session-max-mbps fast
expect run-bad-pps 2 "--session-max-pps '-5' is not valid \(allowed: 1-100000000\)" -- run --session-max-pps -5

# expect_refused NAME CODE MESSAGE_PATTERN -- ARGS...: exit 254 and the AWS CLI's error line.
expect_refused() {
	local name=$1 code=$2 pattern=$3
	shift 4
	"$vxtap" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [[ $rc -ne 254 ]]; then
		echo "FAIL $name: exit $rc, expected 254; stderr: $(cat "$work/err")"
		fail=$((fail + 1))
	elif ! grep -qE -- "^An error occurred \($code\) when calling the [A-Za-z]+ operation: $pattern" "$work/err"; then
		echo "FAIL $name: stderr does not match ($code) $pattern:"
		cat "$work/err"
		fail=$((fail + 1))
	elif [[ -s $work/out ]]; then
		echo "FAIL $name: printed a response although refused"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}
expect_refused missing-required MissingParameter "The request must contain the parameter TrafficMirrorFilterId\." -- delete-traffic-mirror-filter
expect_refused not-found InvalidTrafficMirrorFilterId.NotFound "The traffic mirror filter ID 'tmf-0123456789abcdef0' does not exist\." -- delete-traffic-mirror-filter --traffic-mirror-filter-id tmf-0123456789abcdef0
expect_refused dry-run DryRunOperation "Request would have succeeded, but DryRun flag is set\." -- create-traffic-mirror-filter --dry-run
expect_refused bad-filter-name InvalidParameterValue "The filter 'colour' is invalid\." -- describe-traffic-mirror-sessions --filters Name=colour,Values=red
expect_refused bad-region InvalidParameterValue "Value \(mars\) for parameter Region is invalid\." -- configure --region mars
expect_refused sg-duplicate InvalidPermission.Duplicate "the specified rule \"peer: sg-[0-9a-f]{17}, ALL, ALLOW\" already exists" -- authorize-security-group-ingress --group-name default --protocol all --source-group default
expect_refused acl-unknown InvalidNetworkAclID.NotFound "The network ACL ID 'acl-0123456789abcdef0' does not exist\." -- create-network-acl-entry --network-acl-id acl-0123456789abcdef0 --ingress --rule-number 1 --protocol tcp --port-range From=1,To=2 --cidr-block 0.0.0.0/0 --rule-action allow

echo "cli: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
