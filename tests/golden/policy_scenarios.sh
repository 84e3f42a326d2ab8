#!/usr/bin/env bash
# shellcheck disable=SC2016 # ${field} tokens are literal
# Security groups and network ACLs in flow-log records: states built with
# the control-plane verbs, captures crafted with flowlog_pcap.py, and
# `vxtap analyze --flow-logs -` on the interface of the state, whose records
# must equal the expected lines byte for byte.
#
# 1. The seed scenario. A (10.5.1.10) is in SG-ABC, B (10.5.2.20) in
#    SG-DEF; both are registered interfaces of the state, and analyze looks
#    A up by its eni- ID. Configuration 1: SG-ABC allows all inbound traffic
#    from SG-DEF, SG-DEF from SG-ABC. Configuration 2: SG-ABC's rule
#    naming SG-DEF is revoked and one for 10.5.1.0/24 authorized instead.
#    The same capture goes through both: a TCP connection A->B, then one
#    B->A, each with its handshake, data both ways and FIN/ACK both ways,
#    as a capture on A shows them (vxtap watches, it does not drop: A still
#    answers B in configuration 2). Each analyze run tracks connections
#    from its own first packet, so every connection of the capture opens in
#    the run. Configuration 1: every record ACCEPT. Configuration 2: A->B
#    and its replies ACCEPT (A's SYN opens a tracked connection; A closes
#    first, so its last ACK, after B's FIN ended the tracking, is judged by
#    the egress rules, which allow everything); B->A's packets REJECT at A
#    (no rule allows B any more), and A's answers to them ACCEPT (the
#    egress rules allow them; they do not make B's connection a tracked one
#    whose packets would pass as replies). The generated eni- ID of A is
#    read back and put into the expected lines.
#
# 2. The documented ping (SPEC.md §2.4, records in §2.8): the home computer
#    203.0.113.12 pings the instance 172.31.16.139 (4 echo requests and 4
#    replies of 84 bytes). The instance's security group allows ICMP in
#    and, as in AWS's example, not out (its default outbound rules are
#    revoked): the replies pass because the requests are tracked. A custom
#    network ACL, associated with the instance's subnet, allows ICMP in and
#    nothing out. The records must show the sample's interface ID, and the
#    state's IDs are random: the state is built with the verbs, exported,
#    and applied again with the registered interface's ID replaced by
#    eni-1235b8ca123456789 (`vxtap apply` creates objects with the IDs its
#    document gives). Expected: the sample's two lines, ACCEPT then REJECT;
#    with an ACL entry allowing ICMP out, two ACCEPT; with the group's
#    inbound ICMP rule revoked, the requests alone (nothing reaches the
#    instance, so nothing answers) give one REJECT.
#
#   policy_scenarios.sh PATH_TO_VXTAP
set -euo pipefail

vxtap=${1:?usage: policy_scenarios.sh PATH_TO_VXTAP}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pass=0
fail=0

v() { "$vxtap" "$@"; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"; }

# flows NAME < FLOWS: the crafted capture NAME.pcap (see flowlog_pcap.py).
flows() {
	python3 "$here/flowlog_pcap.py" "$work/$1.pcap" || exit 1
}

# expect NAME < LINES: the expected records.
expect() {
	cat >"$work/$1.expected"
}

# check CASE CAPTURE [OPTIONS...]: analyze CAPTURE into standard output
# and compare with CASE's expected records.
check() {
	local name=$1 capture=$2
	shift 2
	if ! v analyze --read "$work/$capture.pcap" --flow-logs - --summary none "$@" \
		>"$work/$name.out" 2>"$work/$name.err"; then
		echo "FAIL $name: vxtap exited non-zero"
		cat "$work/$name.err"
		fail=$((fail + 1))
	elif cmp -s "$work/$name.expected" "$work/$name.out"; then
		pass=$((pass + 1))
	else
		echo "FAIL $name: records differ from the expected ones"
		diff -u "$work/$name.expected" "$work/$name.out" || true
		fail=$((fail + 1))
	fi
}

# ---- 1. The seed scenario ----

export VXTAP_STATE=$work/seed.db
v configure --account-id 123456789010 --region us-east-1 \
	--vpc-id vpc-abcdefab012345678 --subnet-id subnet-aaaaaaaa012345678 \
	--instance-id i-01234567890123456 >/dev/null
abc=$(v create-security-group --group-name SG-ABC --description "group of A" | field GroupId)
def=$(v create-security-group --group-name SG-DEF --description "group of B" | field GroupId)
v authorize-security-group-ingress --group-id "$abc" \
	--ip-permissions "IpProtocol=-1,UserIdGroupPairs=[{GroupId=$def}]" >/dev/null
v authorize-security-group-ingress --group-id "$def" \
	--ip-permissions "IpProtocol=-1,UserIdGroupPairs=[{GroupId=$abc}]" >/dev/null
eni_a=$(v create-network-interface --private-ip-address 10.5.1.10 --description A \
	--groups "$abc" | field NetworkInterface.NetworkInterfaceId)
v create-network-interface --private-ip-address 10.5.2.20 --description B \
	--groups "$def" >/dev/null

# One packet a line (flowlog_pcap.py writes packets of the same second in
# line order): A->B at 1700000401-1700000403, B->A at 1700000411-1700000413,
# one 60-s window. A's SYN, B's SYN-ACK, A's ACK, A's request (100 bytes of
# data), B's ACK, B's answer (500 bytes), A's ACK, A's FIN, B's FIN, A's
# last ACK; then the same with B as the client.
flows seed <<'EOF'
1700000401 1700000401 tcp 10.5.1.10 40000 10.5.2.20 80 1 40 S
1700000401 1700000401 tcp 10.5.2.20 80 10.5.1.10 40000 1 40 S.
1700000401 1700000401 tcp 10.5.1.10 40000 10.5.2.20 80 1 40 .
1700000402 1700000402 tcp 10.5.1.10 40000 10.5.2.20 80 1 140 P.
1700000402 1700000402 tcp 10.5.2.20 80 10.5.1.10 40000 1 40 .
1700000402 1700000402 tcp 10.5.2.20 80 10.5.1.10 40000 1 540 P.
1700000402 1700000402 tcp 10.5.1.10 40000 10.5.2.20 80 1 40 .
1700000403 1700000403 tcp 10.5.1.10 40000 10.5.2.20 80 1 40 F.
1700000403 1700000403 tcp 10.5.2.20 80 10.5.1.10 40000 1 40 F.
1700000403 1700000403 tcp 10.5.1.10 40000 10.5.2.20 80 1 40 .
1700000411 1700000411 tcp 10.5.2.20 50000 10.5.1.10 22 1 40 S
1700000411 1700000411 tcp 10.5.1.10 22 10.5.2.20 50000 1 40 S.
1700000411 1700000411 tcp 10.5.2.20 50000 10.5.1.10 22 1 40 .
1700000412 1700000412 tcp 10.5.2.20 50000 10.5.1.10 22 1 140 P.
1700000412 1700000412 tcp 10.5.1.10 22 10.5.2.20 50000 1 40 .
1700000412 1700000412 tcp 10.5.1.10 22 10.5.2.20 50000 1 540 P.
1700000412 1700000412 tcp 10.5.2.20 50000 10.5.1.10 22 1 40 .
1700000413 1700000413 tcp 10.5.2.20 50000 10.5.1.10 22 1 40 F.
1700000413 1700000413 tcp 10.5.1.10 22 10.5.2.20 50000 1 40 F.
1700000413 1700000413 tcp 10.5.2.20 50000 10.5.1.10 22 1 40 .
EOF

seed_format='${interface-id} ${flow-direction} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${tcp-flags} ${action}'

expect seed-1 <<EOF
$eni_a egress 10.5.1.10 10.5.2.20 40000 80 6 6 340 1700000401 1700000403 3 ACCEPT
$eni_a ingress 10.5.2.20 10.5.1.10 80 40000 6 4 660 1700000401 1700000403 19 ACCEPT
$eni_a ingress 10.5.2.20 10.5.1.10 50000 22 6 6 340 1700000411 1700000413 3 ACCEPT
$eni_a egress 10.5.1.10 10.5.2.20 22 50000 6 4 660 1700000411 1700000413 19 ACCEPT
EOF
check seed-1 seed --interface-id "$eni_a" --interface-address 10.5.1.10 \
	--max-aggregation-interval 60 --log-format "$seed_format"

v revoke-security-group-ingress --group-id "$abc" \
	--ip-permissions "IpProtocol=-1,UserIdGroupPairs=[{GroupId=$def}]" >/dev/null
v authorize-security-group-ingress --group-id "$abc" \
	--ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=10.5.1.0/24}]' >/dev/null

expect seed-2 <<EOF
$eni_a egress 10.5.1.10 10.5.2.20 40000 80 6 6 340 1700000401 1700000403 3 ACCEPT
$eni_a ingress 10.5.2.20 10.5.1.10 80 40000 6 4 660 1700000401 1700000403 19 ACCEPT
$eni_a ingress 10.5.2.20 10.5.1.10 50000 22 6 6 340 1700000411 1700000413 3 REJECT
$eni_a egress 10.5.1.10 10.5.2.20 22 50000 6 4 660 1700000411 1700000413 19 ACCEPT
EOF
check seed-2 seed --interface-id "$eni_a" --interface-address 10.5.1.10 \
	--max-aggregation-interval 60 --log-format "$seed_format"

# ---- 2. The documented ping ----

export VXTAP_STATE=$work/ping.db
v configure --account-id 123456789010 --region us-east-1 \
	--vpc-id vpc-abcdefab012345678 --subnet-id subnet-aaaaaaaa012345678 \
	--instance-id i-01234567890123456 >/dev/null
sg=$(v create-security-group --group-name instance --description "ICMP in" | field GroupId)
v authorize-security-group-ingress --group-id "$sg" \
	--ip-permissions 'IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=0.0.0.0/0}]' >/dev/null
v revoke-security-group-egress --group-id "$sg" \
	--ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]' >/dev/null
v revoke-security-group-egress --group-id "$sg" \
	--ip-permissions 'IpProtocol=-1,Ipv6Ranges=[{CidrIpv6=::/0}]' >/dev/null
acl=$(v create-network-acl --vpc-id vpc-abcdefab012345678 | field NetworkAcl.NetworkAclId)
v create-network-acl-entry --network-acl-id "$acl" --ingress --rule-number 100 \
	--protocol icmp --icmp-type-code Type=-1,Code=-1 --rule-action allow \
	--cidr-block 0.0.0.0/0 >/dev/null
# The instance's subnet (the host's, which a registered interface takes by
# default) gets the ACL.
assoc=$(v describe-network-acls --filters Name=association.subnet-id,Values=subnet-aaaaaaaa012345678 |
	python3 -c 'import json,sys
for a in json.load(sys.stdin)["NetworkAcls"][0]["Associations"]:
    if a["SubnetId"] == "subnet-aaaaaaaa012345678": print(a["NetworkAclAssociationId"])')
v replace-network-acl-association --association-id "$assoc" --network-acl-id "$acl" >/dev/null
eni=$(v create-network-interface --private-ip-address 172.31.16.139 --description instance \
	--groups "$sg" | field NetworkInterface.NetworkInterfaceId)
v export -o "$work/ping.json"
sed "s/$eni/eni-1235b8ca123456789/g" "$work/ping.json" >"$work/ping-sample.json"
v apply -f "$work/ping-sample.json" >/dev/null

# Requests 1432917027-1432917142, replies 1432917094-1432917142 (each
# reply within the 30 s a request stays tracked), 84 bytes each.
flows ping <<'EOF'
1432917027 1432917142 icmp 203.0.113.12 0 172.31.16.139 0 4 336
1432917094 1432917142 icmp-reply 172.31.16.139 0 203.0.113.12 0 4 336
EOF
flows ping-requests <<'EOF'
1432917027 1432917142 icmp 203.0.113.12 0 172.31.16.139 0 4 336
EOF
ping_options=(--interface-id eni-1235b8ca123456789 --interface-address 172.31.16.139
	--max-aggregation-interval 600)

expect ping-acl-denies-out <<'EOF'
2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK
EOF
check ping-acl-denies-out ping "${ping_options[@]}"

v create-network-acl-entry --network-acl-id "$acl" --egress --rule-number 100 \
	--protocol icmp --icmp-type-code Type=-1,Code=-1 --rule-action allow \
	--cidr-block 0.0.0.0/0 >/dev/null
expect ping-acl-allows-out <<'EOF'
2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 ACCEPT OK
EOF
check ping-acl-allows-out ping "${ping_options[@]}"

v revoke-security-group-ingress --group-id "$sg" \
	--ip-permissions 'IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=0.0.0.0/0}]' >/dev/null
expect ping-group-denies-in <<'EOF'
2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 REJECT OK
EOF
check ping-group-denies-in ping-requests "${ping_options[@]}"

echo "policy scenarios: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
