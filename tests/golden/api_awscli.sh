#!/usr/bin/env bash
# The EC2 API driven by the real AWS CLI: `vxtap run --api-listen` on a
# fresh state, an access key made with `vxtap create-access-key`, and
# `aws --endpoint-url … ec2 …`, signing with it, creating, describing,
# modifying and deleting mirror targets, filters, rules and sessions, flow
# logs, network interfaces, security groups and network ACLs. After each
# stage, every describe-* the AWS CLI parses from vxtap's XML must equal, as
# JSON, what `vxtap describe-*` prints for the same state; an object an
# `aws … create-*` returns must equal its describe entry; refusals must give
# the AWS CLI the same error line (code and message) as vxtap's own CLI;
# paging through NextToken and filters must give the same lists. Requests
# not signed by an active key of the store are refused with EC2's codes,
# and the audit log names the key of each call. Skipped (77) when the aws
# command is missing.
#   api_awscli.sh PATH_TO_VXTAP
set -uo pipefail

vxtap=${1:?usage: api_awscli.sh PATH_TO_VXTAP}
command -v aws >/dev/null || {
	echo "skip: the aws command (AWS CLI) is not installed"
	exit 77
}
work=$(mktemp -d)
daemon=
trap '[[ -n $daemon ]] && kill "$daemon" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export VXTAP_STATE=$work/state.db
fail=0
ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	fail=1
}

# The AWS CLI, isolated from the user's configuration. Timestamps as ISO
# 8601 with microseconds, the form vxtap prints (the AWS CLI v2 default).
export AWS_CONFIG_FILE=$work/aws-config AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION \
	AWS_ENDPOINT_URL AWS_ENDPOINT_URL_EC2 AWS_CA_BUNDLE 2>/dev/null
region=eu-west-1
printf '[default]\nregion = %s\ncli_timestamp_format = iso8601\noutput = json\n' "$region" \
	>"$AWS_CONFIG_FILE"

v() { "$vxtap" "$@"; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"; }

v configure --account-id 111122223333 --region "$region" --vpc-id vpc-0a1b2c3d4e5f60718 \
	--subnet-id subnet-0a1b2c3d4e5f60718 --instance-id i-0a1b2c3d4e5f60718 \
	--availability-zone eu-west-1a --az-id euw1-az1 >/dev/null || bad "configure"

"$vxtap" run --no-mirror --api-listen 127.0.0.1:0 2>"$work/run.log" &
daemon=$!
port=
for _ in $(seq 1 250); do
	port=$(sed -n 's|.*EC2 API on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/run.log")
	[[ -n $port ]] && break
	sleep 0.02
done
[[ -n $port ]] || {
	echo "FAIL the daemon did not start its EC2 API"
	cat "$work/run.log"
	exit 1
}
ok "vxtap run serves the EC2 API on 127.0.0.1:$port"

a() { aws --endpoint-url "http://127.0.0.1:$port" --region "$region" ec2 "$@"; }

# The key the AWS CLI signs with, made while the daemon runs.
v create-access-key --user-name awscli >"$work/key.json" || bad "create-access-key"
AWS_ACCESS_KEY_ID=$(field AccessKey.AccessKeyId <"$work/key.json")
AWS_SECRET_ACCESS_KEY=$(field AccessKey.SecretAccessKey <"$work/key.json")
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

# json_equal FILE1 FILE2: the same JSON value. The AWS CLI keeps only the
# members its own copy of the EC2 model knows: members added to the model
# later (the ARNs of security groups and their rules) are left out of the
# comparison when the AWS CLI's answer has none of them.
newer_members='SecurityGroupArn SecurityGroupRuleArn'
json_equal() {
	python3 -c 'import json,sys
newer = sys.argv[3].split()
def keys(v):
    if isinstance(v, dict):
        return set(v) | set().union(*(keys(x) for x in v.values()))
    if isinstance(v, list):
        return set().union(*(keys(x) for x in v))
    return set()
def strip(v, drop):
    if isinstance(v, dict):
        return {k: strip(x, drop) for k, x in v.items() if k not in drop}
    if isinstance(v, list):
        return [strip(x, drop) for x in v]
    return v
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
drop = set(newer) - keys(a)
sys.exit(0 if a == strip(b, drop) else 1)' "$1" "$2" "$newer_members" 2>/dev/null
}
show_diff() {
	diff <(python3 -m json.tool --sort-keys "$1" 2>&1) <(python3 -m json.tool --sort-keys "$2" 2>&1) |
		head -40
}

# same VERB ARGS…: the AWS CLI's parsed answer equals vxtap's. The AWS CLI
# gets the options in the array aws_only too (its own paging options).
aws_only=()
same() {
	if ! a "$@" "${aws_only[@]}" >"$work/aws.json" 2>"$work/aws.err"; then
		# An action newer than this AWS CLI's model: nothing to compare.
		if grep -q "Invalid choice" "$work/aws.err"; then
			echo "skip aws ec2 $1: this AWS CLI does not have the command"
			return
		fi
		bad "aws ec2 $*: $(grep -v '^$' "$work/aws.err" | tail -1)"
		return
	fi
	if ! v "$@" >"$work/vx.json" 2>"$work/vx.err"; then
		bad "vxtap $*: $(grep -v '^$' "$work/vx.err" | tail -1)"
		return
	fi
	if json_equal "$work/aws.json" "$work/vx.json"; then
		ok "aws ec2 $*${aws_only[*]:+ ${aws_only[*]}} = vxtap $1"
	else
		bad "aws ec2 $* differs from vxtap $1 (< aws, > vxtap):"
		show_diff "$work/aws.json" "$work/vx.json"
	fi
}

describe_all() {
	local stage=$1
	echo "-- describe, $stage"
	same describe-traffic-mirror-targets
	same describe-traffic-mirror-filters
	same describe-traffic-mirror-filter-rules
	same describe-traffic-mirror-sessions
	same describe-flow-logs
	same describe-network-interfaces
	same describe-security-groups
	same describe-security-group-rules
	same describe-network-acls
}

# created KIND_PATH ID_MEMBER DESCRIBE_VERB LIST: what `aws … create-*`
# returned (in $work/created.json) is the object's describe entry.
created() {
	local path=$1 idm=$2 verb=$3 list=$4
	v "$verb" >"$work/vx.json"
	python3 - "$work/created.json" "$work/vx.json" "$path" "$idm" "$list" <<'EOF' ||
import json, sys
created, described, path, idm, lst = sys.argv[1:]
obj = json.load(open(created))[path]
entries = [e for e in json.load(open(described))[lst] if e[idm] == obj[idm]]
sys.exit(0 if entries == [obj] else 1)
EOF
		bad "the $path aws create returned is not its $verb entry"
	ok "aws create: $path equals its $verb entry"
}

# refused EXPECTED_CODE VERB ARGS…: the AWS CLI and vxtap's CLI both refuse
# with the same error line, with that code.
refused() {
	local code=$1
	shift
	a "$@" >/dev/null 2>"$work/aws.err" && {
		bad "aws ec2 $1 was not refused"
		return
	}
	v "$@" >/dev/null 2>"$work/vx.err" && {
		bad "vxtap $1 was not refused"
		return
	}
	local aline vline
	aline=$(grep '^An error occurred' "$work/aws.err")
	vline=$(grep '^An error occurred' "$work/vx.err")
	if [[ $aline != "An error occurred ($code) "* ]]; then
		bad "aws ec2 $1: expected $code, got: $(cat "$work/aws.err")"
	elif [[ $aline != "$vline" ]]; then
		bad "aws ec2 $1: the error differs from vxtap's:"$'\n'"  aws:   $aline"$'\n'"  vxtap: $vline"
	else
		ok "refused alike: $aline"
	fi
}

describe_all "fresh state"

echo "-- create"
subnet=$(v describe-host | field Host.SubnetId)
source_eni=$(v describe-network-interfaces --filters Name=description,Values=lo |
	field NetworkInterfaces.0.NetworkInterfaceId)
a create-network-interface --subnet-id "$subnet" --private-ip-address 10.0.0.20 \
	--description "analyzer <one> & \"two\"" \
	--tag-specifications 'ResourceType=network-interface,Tags=[{Key=Name,Value=analyzer}]' \
	>"$work/created.json" || bad "aws create-network-interface"
analyzer_eni=$(field NetworkInterface.NetworkInterfaceId <"$work/created.json")
created NetworkInterface NetworkInterfaceId describe-network-interfaces NetworkInterfaces

a create-traffic-mirror-target --network-interface-id "$analyzer_eni" \
	--description "analyzer target, café" \
	--tag-specifications 'ResourceType=traffic-mirror-target,Tags=[{Key=Name,Value=analyzer},{Key=team,Value=net}]' \
	>"$work/created.json" || bad "aws create-traffic-mirror-target"
target=$(field TrafficMirrorTarget.TrafficMirrorTargetId <"$work/created.json")
created TrafficMirrorTarget TrafficMirrorTargetId describe-traffic-mirror-targets TrafficMirrorTargets

a create-traffic-mirror-filter --description "HTTP filter" \
	--tag-specifications 'ResourceType=traffic-mirror-filter,Tags=[{Key=Name,Value=http}]' \
	>"$work/created.json" || bad "aws create-traffic-mirror-filter"
filter=$(field TrafficMirrorFilter.TrafficMirrorFilterId <"$work/created.json")
created TrafficMirrorFilter TrafficMirrorFilterId describe-traffic-mirror-filters TrafficMirrorFilters

a create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
	--traffic-direction ingress --rule-number 100 --rule-action accept --protocol 6 \
	--destination-port-range FromPort=80,ToPort=8080 --source-port-range FromPort=1024,ToPort=65535 \
	--source-cidr-block 0.0.0.0/0 --destination-cidr-block 10.0.0.0/8 \
	--description "HTTP requests" >"$work/created.json" || bad "aws create-traffic-mirror-filter-rule"
rule=$(field TrafficMirrorFilterRule.TrafficMirrorFilterRuleId <"$work/created.json")
created TrafficMirrorFilterRule TrafficMirrorFilterRuleId describe-traffic-mirror-filter-rules \
	TrafficMirrorFilterRules
a create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
	--traffic-direction egress --rule-number 200 --rule-action reject \
	--source-cidr-block ::/0 --destination-cidr-block 2001:db8::/32 >/dev/null ||
	bad "aws create-traffic-mirror-filter-rule (IPv6)"
a modify-traffic-mirror-filter-network-services --traffic-mirror-filter-id "$filter" \
	--add-network-services amazon-dns >"$work/aws.json" || bad "aws modify-…-network-services"

a create-traffic-mirror-session --network-interface-id "$source_eni" \
	--traffic-mirror-target-id "$target" --traffic-mirror-filter-id "$filter" \
	--session-number 1 --virtual-network-id 7159709 --packet-length 8961 \
	--description "web server" \
	--tag-specifications 'ResourceType=traffic-mirror-session,Tags=[{Key=vxtap:max-mbps,Value=10}]' \
	>"$work/created.json" || bad "aws create-traffic-mirror-session"
session=$(field TrafficMirrorSession.TrafficMirrorSessionId <"$work/created.json")
created TrafficMirrorSession TrafficMirrorSessionId describe-traffic-mirror-sessions \
	TrafficMirrorSessions

a create-flow-logs --resource-type NetworkInterface --resource-ids "$source_eni" \
	--traffic-type ALL --log-destination-type s3 \
	--log-destination arn:aws:s3:::flow-log-bucket/vxtap/ \
	--log-format '${version} ${interface-id} ${srcaddr} ${dstaddr} ${action} ${log-status}' \
	--max-aggregation-interval 60 \
	--destination-options FileFormat=plain-text,HiveCompatiblePartitions=true,PerHourPartition=true \
	--tag-specifications 'ResourceType=vpc-flow-log,Tags=[{Key=Name,Value=web}]' \
	>"$work/aws.json" || bad "aws create-flow-logs"
flow_log=$(field FlowLogIds.0 <"$work/aws.json")
[[ $flow_log == fl-* ]] && ok "aws create-flow-logs: $flow_log" || bad "create-flow-logs answered $(cat "$work/aws.json")"

a create-security-group --group-name web --description "web servers" \
	--tag-specifications 'ResourceType=security-group,Tags=[{Key=Name,Value=web}]' \
	>"$work/aws.json" || bad "aws create-security-group"
sg=$(field GroupId <"$work/aws.json")
a create-security-group --group-name admin --description "admin hosts" >"$work/aws.json" ||
	bad "aws create-security-group admin"
sg_admin=$(field GroupId <"$work/aws.json")
# The AWS CLI's simple options, and the API's nested form.
a authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 22 --cidr 10.0.0.0/8 \
	>/dev/null || bad "aws authorize-security-group-ingress (simple options)"
a authorize-security-group-ingress --group-id "$sg" --ip-permissions \
	'IpProtocol=tcp,FromPort=80,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0,Description=web}],Ipv6Ranges=[{CidrIpv6=::/0}]' \
	"IpProtocol=-1,UserIdGroupPairs=[{GroupId=$sg_admin,Description=admin}]" \
	>"$work/aws.json" || bad "aws authorize-security-group-ingress (ip-permissions)"
[[ $(field Return <"$work/aws.json") == True ]] && ok "authorize-security-group-ingress returns true"
a authorize-security-group-egress --group-id "$sg" --ip-permissions \
	'IpProtocol=udp,FromPort=53,ToPort=53,IpRanges=[{CidrIp=10.0.0.2/32}]' >/dev/null ||
	bad "aws authorize-security-group-egress"
a modify-network-interface-attribute --network-interface-id "$source_eni" --groups "$sg" "$sg_admin" ||
	bad "aws modify-network-interface-attribute"

vpc=$(v describe-host | field Host.VpcId)
a create-network-acl --vpc-id "$vpc" \
	--tag-specifications 'ResourceType=network-acl,Tags=[{Key=Name,Value=strict}]' \
	>"$work/created.json" || bad "aws create-network-acl"
acl=$(field NetworkAcl.NetworkAclId <"$work/created.json")
created NetworkAcl NetworkAclId describe-network-acls NetworkAcls
a create-network-acl-entry --network-acl-id "$acl" --ingress --rule-number 100 --protocol tcp \
	--port-range From=22,To=22 --cidr-block 10.0.0.0/8 --rule-action allow ||
	bad "aws create-network-acl-entry"
a create-network-acl-entry --network-acl-id "$acl" --egress --rule-number 110 --protocol icmp \
	--icmp-type-code Type=8,Code=-1 --cidr-block 0.0.0.0/0 --rule-action deny ||
	bad "aws create-network-acl-entry (ICMP)"
a create-network-acl-entry --network-acl-id "$acl" --ingress --rule-number 120 --protocol -1 \
	--ipv6-cidr-block ::/0 --rule-action allow || bad "aws create-network-acl-entry (IPv6)"

describe_all "after the creates"

echo "-- describe: IDs, filters, paging"
same describe-traffic-mirror-targets --traffic-mirror-target-ids "$target"
same describe-traffic-mirror-filters --filters 'Name=description,Values=HTTP ?ilter,nothing'
same describe-traffic-mirror-filter-rules --traffic-mirror-filter-id "$filter"
same describe-traffic-mirror-sessions --filters Name=session-number,Values=1 Name=tag-key,Values=vxtap:*
same describe-flow-logs --filter Name=resource-id,Values="$source_eni"
same describe-network-interfaces --filters Name=description,Values=lo,analyzer*
same describe-security-groups --group-names web
same describe-security-groups --filters Name=ip-permission.from-port,Values=80
same describe-security-group-rules --filters Name=group-id,Values="$sg"
same describe-network-acls --network-acl-ids "$acl"
for i in 1 2 3 4 5 6 7 8; do
	a create-traffic-mirror-filter --description "filter $i" >/dev/null || bad "filter $i"
done
# The AWS CLI follows NextToken on its own: pages of 5 make the whole list.
aws_only=(--page-size 5)
same describe-traffic-mirror-filters
same describe-security-groups
same describe-network-interfaces
# One page, its NextToken as vxtap's; then the next page.
aws_only=(--no-paginate)
same describe-traffic-mirror-filters --max-results 5
token=$(field NextToken <"$work/aws.json")
same describe-traffic-mirror-filters --max-results 5 --next-token "$token"
aws_only=()

echo "-- modify"
a modify-traffic-mirror-filter-rule --traffic-mirror-filter-rule-id "$rule" --rule-number 150 \
	--remove-fields source-port-range description >"$work/created.json" ||
	bad "aws modify-traffic-mirror-filter-rule"
created TrafficMirrorFilterRule TrafficMirrorFilterRuleId describe-traffic-mirror-filter-rules \
	TrafficMirrorFilterRules
a modify-traffic-mirror-session --traffic-mirror-session-id "$session" --remove-fields packet-length \
	--description "web server, whole packets" --virtual-network-id 42 >"$work/created.json" ||
	bad "aws modify-traffic-mirror-session"
created TrafficMirrorSession TrafficMirrorSessionId describe-traffic-mirror-sessions \
	TrafficMirrorSessions
a replace-network-acl-entry --network-acl-id "$acl" --ingress --rule-number 100 --protocol udp \
	--port-range From=53,To=53 --cidr-block 10.0.0.0/8 --rule-action deny ||
	bad "aws replace-network-acl-entry"
assoc=$(v describe-network-acls --filters Name=default,Values=true |
	field NetworkAcls.0.Associations.0.NetworkAclAssociationId)
a replace-network-acl-association --association-id "$assoc" --network-acl-id "$acl" \
	>"$work/aws.json" || bad "aws replace-network-acl-association"
assoc=$(field NewAssociationId <"$work/aws.json")
[[ $assoc == aclassoc-* ]] && ok "replace-network-acl-association: $assoc"
a revoke-security-group-ingress --group-id "$sg" --protocol tcp --port 22 --cidr 10.0.0.0/8 \
	>/dev/null || bad "aws revoke-security-group-ingress"
sgr=$(v describe-security-group-rules --filters Name=group-id,Values="$sg" |
	python3 -c 'import json,sys
print(next(r["SecurityGroupRuleId"] for r in json.load(sys.stdin)["SecurityGroupRules"] if r["IsEgress"]))')
a revoke-security-group-egress --group-id "$sg" --security-group-rule-ids "$sgr" >/dev/null ||
	bad "aws revoke-security-group-egress"
a modify-network-interface-attribute --network-interface-id "$source_eni" --groups "$sg_admin" ||
	bad "aws modify-network-interface-attribute"

describe_all "after the modifications"

echo "-- refusals"
refused DryRunOperation create-traffic-mirror-filter --description x --dry-run
refused DryRunOperation delete-traffic-mirror-session --traffic-mirror-session-id "$session" --dry-run
refused TrafficMirrorTargetInUse delete-traffic-mirror-target --traffic-mirror-target-id "$target"
refused InvalidTrafficMirrorTargetId.NotFound delete-traffic-mirror-target \
	--traffic-mirror-target-id tmt-00000000000000000
refused InvalidParameterValue create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" \
	--traffic-direction ingress --rule-number 300 --rule-action accept \
	--source-cidr-block 10.0.0.0/33 --destination-cidr-block 0.0.0.0/0
refused TrafficMirrorFilterRuleAlreadyExists create-traffic-mirror-filter-rule \
	--traffic-mirror-filter-id "$filter" --traffic-direction ingress --rule-number 150 \
	--rule-action accept --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0
refused InvalidParameterValue describe-traffic-mirror-targets --filters Name=type,Values=x
refused InvalidParameterValue create-traffic-mirror-session --network-interface-id "$source_eni" \
	--traffic-mirror-target-id "$target" --traffic-mirror-filter-id "$filter" --session-number 2 \
	--virtual-network-id 16777216
refused InvalidPermission.Duplicate authorize-security-group-ingress --group-id "$sg" \
	--protocol tcp --port 80-443 --cidr 0.0.0.0/0
refused InvalidGroup.Duplicate create-security-group --group-name web --description again
refused NetworkAclEntryAlreadyExists create-network-acl-entry --network-acl-id "$acl" --egress \
	--rule-number 110 --protocol tcp --port-range From=1,To=2 --cidr-block 0.0.0.0/0 \
	--rule-action allow
refused DependencyViolation delete-network-acl --network-acl-id "$acl"

echo "-- the EC2 protocol's own errors, through the AWS CLI"
# api_refused EXPECTED_LINE VERB ARGS…: the AWS CLI's error line.
api_refused() {
	local want=$1
	shift
	a "$@" >/dev/null 2>"$work/aws.err" && {
		bad "aws ec2 $1 was not refused"
		return
	}
	local line
	line=$(grep '^An error occurred' "$work/aws.err")
	[[ $line == "$want" ]] && ok "aws ec2 $1: $line" ||
		bad "aws ec2 $1:"$'\n'"  got:  $line"$'\n'"  want: $want"
}
# A member of the EC2 model that vxtap does not have.
api_refused "An error occurred (UnknownParameter) when calling the ModifyNetworkInterfaceAttribute operation: The parameter SourceDestCheck is not recognized." \
	modify-network-interface-attribute --network-interface-id "$source_eni" --no-source-dest-check
# An EC2 action vxtap does not serve.
api_refused "An error occurred (InvalidAction) when calling the DescribeInstances operation: The action DescribeInstances is not valid for this web service. vxtap serves the EC2 actions of traffic mirroring, flow logs, network interfaces, security groups and network ACLs." \
	describe-instances

echo "-- authentication"
# auth_refused CODE [ENV…]: describe-flow-logs with those credentials is
# refused with CODE.
auth_refused() {
	local code=$1
	shift
	env "$@" aws --endpoint-url "http://127.0.0.1:$port" --region "$region" ec2 describe-flow-logs \
		>/dev/null 2>"$work/aws.err" && {
		bad "describe-flow-logs: not refused (expected $code)"
		return
	}
	grep -q "^An error occurred ($code) when calling the DescribeFlowLogs operation" "$work/aws.err" &&
		ok "$code: $(grep -o ': .*' "$work/aws.err" | head -1 | cut -c3-)" ||
		bad "expected $code: $(cat "$work/aws.err")"
}
auth_refused SignatureDoesNotMatch AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
auth_refused AuthFailure AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
v create-access-key --user-name awscli >"$work/key2.json" || bad "create-access-key (second)"
key2=$(field AccessKey.AccessKeyId <"$work/key2.json")
secret2=$(field AccessKey.SecretAccessKey <"$work/key2.json")
# A second key signs too, for any region.
AWS_ACCESS_KEY_ID=$key2 AWS_SECRET_ACCESS_KEY=$secret2 aws --endpoint-url "http://127.0.0.1:$port" \
	--region us-east-2 ec2 describe-flow-logs >/dev/null && ok "a second key, another region: accepted" ||
	bad "the second key was refused"
v update-access-key --user-name awscli --access-key-id "$key2" --status Inactive ||
	bad "update-access-key"
auth_refused AuthFailure AWS_ACCESS_KEY_ID="$key2" AWS_SECRET_ACCESS_KEY="$secret2"
aws --endpoint-url "http://127.0.0.1:$port" --region "$region" --no-sign-request ec2 \
	describe-flow-logs >/dev/null 2>"$work/aws.err" && bad "an unsigned request was not refused" ||
	{ grep -q '^An error occurred (MissingParameter)' "$work/aws.err" &&
		ok "unsigned: $(grep -o '(MissingParameter).*' "$work/aws.err")" ||
		bad "unsigned: $(cat "$work/aws.err")"; }

echo "-- delete"
a delete-traffic-mirror-session --traffic-mirror-session-id "$session" >"$work/aws.json" ||
	bad "aws delete-traffic-mirror-session"
[[ $(field TrafficMirrorSessionId <"$work/aws.json") == "$session" ]] && ok "delete-traffic-mirror-session answers its ID"
a delete-traffic-mirror-filter-rule --traffic-mirror-filter-rule-id "$rule" >/dev/null ||
	bad "aws delete-traffic-mirror-filter-rule"
a delete-traffic-mirror-filter --traffic-mirror-filter-id "$filter" >/dev/null ||
	bad "aws delete-traffic-mirror-filter"
a delete-traffic-mirror-target --traffic-mirror-target-id "$target" >/dev/null ||
	bad "aws delete-traffic-mirror-target"
a delete-flow-logs --flow-log-ids "$flow_log" fl-00000000000000000 >"$work/aws.json" ||
	bad "aws delete-flow-logs"
v delete-flow-logs --flow-log-ids fl-00000000000000000 >"$work/vx.json"
json_equal "$work/aws.json" "$work/vx.json" &&
	ok "delete-flow-logs: the unknown ID in Unsuccessful, as vxtap says" ||
	{ bad "delete-flow-logs answers differ"; show_diff "$work/aws.json" "$work/vx.json"; }
a delete-network-interface --network-interface-id "$analyzer_eni" || bad "aws delete-network-interface"
a delete-network-acl-entry --network-acl-id "$acl" --egress --rule-number 110 ||
	bad "aws delete-network-acl-entry"
default_acl=$(v describe-network-acls --filters Name=default,Values=true | field NetworkAcls.0.NetworkAclId)
a replace-network-acl-association --association-id "$assoc" --network-acl-id "$default_acl" >/dev/null ||
	bad "aws replace-network-acl-association (back)"
a delete-network-acl --network-acl-id "$acl" || bad "aws delete-network-acl"
a modify-network-interface-attribute --network-interface-id "$source_eni" --groups "$sg" ||
	bad "aws modify-network-interface-attribute"
a delete-security-group --group-id "$sg_admin" >/dev/null 2>"$work/aws.err" &&
	bad "delete-security-group of a group another group's rule names was not refused" ||
	ok "delete-security-group refused: $(grep -o '([A-Za-z.]*)' "$work/aws.err" | head -1)"

describe_all "after the deletes"

echo "-- boto3 and metrics"
# The SDK: boto3 (when importable) makes a filter and reads it back, and its
# answer equals vxtap's own describe.
if python3 -c 'import boto3' 2>/dev/null; then
	python3 - "http://127.0.0.1:$port" "$region" >"$work/boto3.json" <<'EOF_PY' &&
import boto3, json, sys
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name=sys.argv[2])
f = ec2.create_traffic_mirror_filter(Description="from boto3")["TrafficMirrorFilter"]
got = ec2.describe_traffic_mirror_filters(TrafficMirrorFilterIds=[f["TrafficMirrorFilterId"]])
print(json.dumps({"TrafficMirrorFilters": got["TrafficMirrorFilters"]}))
EOF_PY
	boto_filter=$(field TrafficMirrorFilters.0.TrafficMirrorFilterId <"$work/boto3.json") &&
	v describe-traffic-mirror-filters --traffic-mirror-filter-ids "$boto_filter" >"$work/vx.json" &&
	json_equal "$work/boto3.json" "$work/vx.json" &&
	ok "boto3 create_traffic_mirror_filter + describe = vxtap describe-traffic-mirror-filters" ||
	bad "boto3: $(tail -1 "$work/boto3.json" 2>/dev/null)"
else
	echo "skip boto3: not importable by python3"
fi
# Prometheus metrics on the same server, without a signature.
if curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics.txt" &&
	grep -qx 'vxtap_daemon_up 1' "$work/metrics.txt" &&
	grep -q '^# TYPE vxtap_daemon_generation gauge$' "$work/metrics.txt"; then
	ok "GET /metrics: Prometheus text with the daemon's counters"
else
	bad "GET /metrics: $(head -3 "$work/metrics.txt")"
fi

echo "-- audit"
v audit | python3 -c 'import json,sys
lines=[json.loads(l) for l in sys.stdin]
api=[l for l in lines if l["Source"].startswith("ec2-api 127.0.0.1:")]
assert len(api) >= 30, len(api)
assert all(l["Principal"] == sys.argv[1] for l in api), set(l["Principal"] for l in api)
assert any(l["Action"] == "CreateTrafficMirrorSession" and "Response" in l["Result"] for l in api)
' "$AWS_ACCESS_KEY_ID" && ok "audit log: the API calls, by access key and source address" ||
	bad "audit log"

kill "$daemon"
wait "$daemon" && ok "the daemon stops cleanly" || bad "the daemon's exit status"
daemon=
exit $fail
