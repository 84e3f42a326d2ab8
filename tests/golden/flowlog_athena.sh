#!/usr/bin/env bash
# Flow logs in the S3 key layout, read back the way Athena reads them
# (SPEC.md 2.10, 2.14): an independent reader, the sqlite3 CLI, gets a table
# whose columns are the field names of versions 2-5 with '-' -> '_' and
# Athena's documented types (int/bigint -> INTEGER, string -> TEXT), loads
# every .log.gz under AWSLogs/ split on single spaces with the header line
# skipped, and answers SPEC 2.14's documented queries translated to SQLite.
# The expected rows below are fixed: they come from the captures (tshark's
# per-frame decode: IP lengths, TCP flags, times), not from vxtap.
#
# Also checked: every object key follows the layout (plain, per-hour, Hive,
# Hive + per-hour), no temporary dot-file is left, every object is whole
# gzip starting with the header line, and the four layouts hold the same
# objects under the same names.
#
# Data: two captures as two interfaces of one host (account 123456789012,
# us-east-1):
#   zeek-http-bro.org.pcap on eni-0123456789abcdef0, addresses 10.0.2.100
#     (primary) and 10.0.2.15 (secondary, the one in the capture): records
#     show 10.0.2.100 on the interface's side, pkt-* show 10.0.2.15;
#   zeek-ipv6-http-atomic-frag.pcap on eni-0fedcba9876543210, address
#     2001:db8:1::1 (the HTTP server): IPv6 keeps the packets' addresses.
# Exit 77 (skipped) when sqlite3 or gzip is missing, or sqlite3 is older
# than 3.32 (no .import --skip).
set -euo pipefail

vxtap=${1:?usage: flowlog_athena.sh PATH_TO_VXTAP}
for tool in sqlite3 gzip zcat; do
	if ! command -v "$tool" >/dev/null; then
		echo "skipped: $tool is not installed"
		exit 77
	fi
done
sqlite_version=$(sqlite3 --version | cut -d' ' -f1)
if [[ $(printf '%s\n' 3.32.0 "$sqlite_version" | sort -V | head -n1) != 3.32.0 ]]; then
	echo "skipped: sqlite3 $sqlite_version has no .import --skip (3.32 or later needed)"
	exit 77
fi

here=$(cd "$(dirname "$0")" && pwd)
pcaps=$here/../data/pcaps
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export VXTAP_STATE=$work/state.db

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL $*"
	fail=$((fail + 1))
}

"$vxtap" configure --account-id 123456789012 --region us-east-1 \
	--vpc-id vpc-0a1b2c3d4e5f60718 --subnet-id subnet-0a1b2c3d4e5f60718 \
	--instance-id i-0a1b2c3d4e5f60718 --availability-zone us-east-1a --az-id use1-az1 >/dev/null

# The version 2-5 fields in the order of SPEC 2.14's column list.
fields="version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes"
fields+=" start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr"
fields+=" pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service"
fields+=" pkt-dst-aws-service flow-direction traffic-path"
format=""
for f in $fields; do
	format+="${format:+ }\${$f}"
done

produce() { # ROOT [S3 key options]
	local root=$1
	shift
	"$vxtap" analyze --read "$pcaps/zeek-http-bro.org.pcap" --flow-logs "$root" \
		--log-format "$format" --flow-log-id fl-0123456789abcdef0 --summary none \
		--interface-id eni-0123456789abcdef0 --interface-address 10.0.2.100 \
		--interface-address 10.0.2.15 "$@"
	"$vxtap" analyze --read "$pcaps/zeek-ipv6-http-atomic-frag.pcap" --flow-logs "$root" \
		--log-format "$format" --flow-log-id fl-0123456789abcdef0 --summary none \
		--interface-id eni-0fedcba9876543210 --interface-address 2001:db8:1::1 "$@"
}
produce "$work/plain"
produce "$work/hour" --per-hour-partition
produce "$work/hive" --hive-compatible-partitions
produce "$work/hivehour" --hive-compatible-partitions --per-hour-partition

# ---- object keys (SPEC 2.10) ----

name='123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0'
plain_prefix='AWSLogs/123456789012/vpcflowlogs/us-east-1'
hive_prefix='AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1'
# The file's time is the start of the 5-minute period holding the records'
# end: 17:04:01-17:04:19 -> 1700, 16:44:12-16:44:14 -> 1640.
declare -A want_keys=(
	[plain]="$plain_prefix/2012/03/29/${name}_20120329T1640Z_HASH.log.gz
$plain_prefix/2014/01/14/${name}_20140114T1700Z_HASH.log.gz"
	[hour]="$plain_prefix/2012/03/29/16/${name}_20120329T1640Z_HASH.log.gz
$plain_prefix/2014/01/14/17/${name}_20140114T1700Z_HASH.log.gz"
	[hive]="$hive_prefix/year=2012/month=03/day=29/${name}_20120329T1640Z_HASH.log.gz
$hive_prefix/year=2014/month=01/day=14/${name}_20140114T1700Z_HASH.log.gz"
	[hivehour]="$hive_prefix/year=2012/month=03/day=29/hour=16/${name}_20120329T1640Z_HASH.log.gz
$hive_prefix/year=2014/month=01/day=14/hour=17/${name}_20140114T1700Z_HASH.log.gz"
)
# Any key of each layout: account, region and date in the name agree with
# the directories; the time is a multiple of 5 minutes; 8 hex digits of hash.
plain_dirs='AWSLogs/([0-9]{12})/vpcflowlogs/([a-z0-9-]+)/([0-9]{4})/([0-9]{2})/([0-9]{2})'
hive_dirs='AWSLogs/aws-account-id=([0-9]{12})/aws-service=vpcflowlogs/aws-region=([a-z0-9-]+)'
hive_dirs+='/year=([0-9]{4})/month=([0-9]{2})/day=([0-9]{2})'
name_re='\1_vpcflowlogs_\2_fl-[0-9a-f]{8,17}_\3\4\5T'
tail_re='[0-5][05]Z_[0-9a-f]{8}\.log\.gz'
declare -A key_re=(
	[plain]="$plain_dirs/${name_re}[0-9]{2}$tail_re"
	[hour]="$plain_dirs/([0-9]{2})/$name_re\6$tail_re"
	[hive]="$hive_dirs/${name_re}[0-9]{2}$tail_re"
	[hivehour]="$hive_dirs/hour=([0-9]{2})/$name_re\6$tail_re"
)
header=$fields

for layout in plain hour hive hivehour; do
	root=$work/$layout
	(cd "$root" && find . -type f -printf '%P\n' | sort) >"$work/$layout.keys"
	got=$(sed -E 's/_[0-9a-f]{8}\.log\.gz$/_HASH.log.gz/' "$work/$layout.keys")
	if [[ $got == "${want_keys[$layout]}" ]]; then ok; else
		bad "$layout keys:"
		diff <(echo "${want_keys[$layout]}") <(echo "$got") || true
	fi
	if grep -Evx -- "${key_re[$layout]}" "$work/$layout.keys" >"$work/odd"; then
		bad "$layout keys outside the layout: $(cat "$work/odd")"
	else ok; fi
	dots=$(cd "$root" && find . -name '.*' ! -name . -printf '%P\n')
	if [[ -z $dots ]]; then ok; else bad "$layout: temporary files left: $dots"; fi
	while read -r key; do
		if ! gzip -t "$root/$key" 2>/dev/null; then
			bad "$layout $key: not whole gzip"
		elif [[ $(zcat "$root/$key" | sed -n 1p) != "$header" ]]; then
			bad "$layout $key: first line is not the header"
		else ok; fi
	done <"$work/$layout.keys"
	# Same objects everywhere: same names, same bytes, other directories.
	sed 's|.*/||' "$work/$layout.keys" >"$work/$layout.names"
	if cmp -s "$work/plain.names" "$work/$layout.names"; then ok; else
		bad "$layout: object names differ from the plain layout's"
	fi
	while read -r key; do zcat "$root/$key"; done <"$work/$layout.keys" >"$work/$layout.text"
	if cmp -s "$work/plain.text" "$work/$layout.text"; then ok; else
		bad "$layout: object contents differ from the plain layout's"
	fi
done

# ---- the Athena table in sqlite3 ----

db=$work/flowlogs.db
{
	# SPEC 2.14's column list and types; "end" is quoted as in Athena.
	cat <<'EOF'
CREATE TABLE vpc_flow_logs (
  version INTEGER, account_id TEXT, interface_id TEXT, srcaddr TEXT, dstaddr TEXT,
  srcport INTEGER, dstport INTEGER, protocol INTEGER, packets INTEGER, bytes INTEGER,
  start INTEGER, "end" INTEGER, action TEXT, log_status TEXT,
  vpc_id TEXT, subnet_id TEXT, instance_id TEXT, tcp_flags INTEGER, type TEXT,
  pkt_srcaddr TEXT, pkt_dstaddr TEXT, region TEXT, az_id TEXT, sublocation_type TEXT,
  sublocation_id TEXT, pkt_src_aws_service TEXT, pkt_dst_aws_service TEXT,
  flow_direction TEXT, traffic_path INTEGER);
.mode ascii
.separator " " "\n"
EOF
	# skip.header.line.count=1, fields terminated by ' '.
	while read -r key; do
		echo ".import --skip 1 \"|zcat $work/plain/$key\" vpc_flow_logs"
	done <"$work/plain.keys"
} >"$work/load.sql"
# A line with too few or too many fields makes sqlite3 complain: fail then.
if ! sqlite3 -batch "$db" <"$work/load.sql" >"$work/load.out" 2>&1 || [[ -s $work/load.out ]]; then
	bad "loading the objects into sqlite3:"
	head -20 "$work/load.out"
fi
# Athena's LazySimpleSerDe reads '-' in an int column as NULL.
int_columns=(version srcport dstport protocol packets bytes start '"end"' tcp_flags traffic_path)
for c in "${int_columns[@]}"; do
	echo "UPDATE vpc_flow_logs SET $c = NULL WHERE $c = '-';"
done | sqlite3 -batch "$db"

query() { # NAME SQL; the expected rows on standard input
	local name=$1 sql=$2
	cat >"$work/want"
	sqlite3 -batch "$db" "$sql" >"$work/got" 2>&1 || true
	if cmp -s "$work/want" "$work/got"; then ok; else
		bad "query $name: $sql"
		diff -u "$work/want" "$work/got" | head -40 || true
	fi
}

non_int=""
for c in "${int_columns[@]}"; do
	non_int+="${non_int:+ + }(typeof($c) NOT IN ('integer', 'null'))"
done
query numeric-columns "SELECT COUNT(*) FROM vpc_flow_logs WHERE $non_int > 0;" <<'EOF'
0
EOF

query host-identity "SELECT DISTINCT version, account_id, vpc_id, subnet_id, instance_id,
  region, az_id, sublocation_type, sublocation_id, pkt_src_aws_service, pkt_dst_aws_service
  FROM vpc_flow_logs;" <<'EOF'
5|123456789012|vpc-0a1b2c3d4e5f60718|subnet-0a1b2c3d4e5f60718|i-0a1b2c3d4e5f60718|us-east-1|use1-az1|-|-|-|-
EOF

# 751 + 38 frames; IP bytes 483623 (IPv4 total lengths) + 2876 (IPv6 40 + payload).
query all-records "SELECT log_status, action, COUNT(*), SUM(packets), SUM(bytes)
  FROM vpc_flow_logs GROUP BY log_status, action;" <<'EOF'
OK|ACCEPT|36|789|486499
EOF

query protocols "SELECT protocol, type, COUNT(*), SUM(packets) FROM vpc_flow_logs
  GROUP BY protocol, type ORDER BY protocol, type;" <<'EOF'
6|IPv4|26|751
6|IPv6|8|36
58|IPv6|2|2
EOF

# SPEC 2.14 "SELECT * FROM vpc_flow_logs WHERE date = DATE('2020-05-04')":
# the day is the records' start date here.
query one-day "SELECT COUNT(*), SUM(packets) FROM vpc_flow_logs
  WHERE date(start, 'unixepoch') = '2014-01-14';" <<'EOF'
26|751
EOF

# SPEC 2.14: rejected TCP. Without security groups everything is accepted.
query rejected-tcp "SELECT interface_id, srcaddr, action, protocol FROM vpc_flow_logs
  WHERE action = 'REJECT' AND protocol = 6 LIMIT 100;" </dev/null

# SPEC 2.14: top 10 receivers on a port (443 there; the captures are HTTP).
query top-receivers "SELECT SUM(packets) AS packetcount, dstaddr FROM vpc_flow_logs
  WHERE dstport = 80 GROUP BY dstaddr ORDER BY packetcount DESC LIMIT 10;" <<'EOF'
247|192.150.187.43
18|2001:db8:1::1
EOF

# SPEC 2.14: by source IP. The interface's side shows its primary address,
# the packets' real destination stays in pkt_dstaddr (SPEC 2.6). Flags:
# SYN-ACK|FIN = 19, SYN-ACK alone = 18 (the connection to 55127 was not closed).
query by-source "SELECT interface_id, srcaddr, dstaddr, pkt_dstaddr, srcport, dstport,
  protocol, packets, bytes, start, \"end\", tcp_flags, flow_direction FROM vpc_flow_logs
  WHERE srcaddr = '192.150.187.43' ORDER BY dstport;" <<'EOF'
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55079|6|88|86981|1389719041|1389719050|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55080|6|239|244648|1389719042|1389719050|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55081|6|58|50629|1389719042|1389719050|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55082|6|31|21536|1389719042|1389719047|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55083|6|21|18384|1389719042|1389719047|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55085|6|39|34474|1389719042|1389719047|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55120|6|8|2909|1389719050|1389719055|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55127|6|5|4417|1389719053|1389719057|18|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55128|6|3|124|1389719053|1389719059|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55129|6|3|124|1389719053|1389719059|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55130|6|3|124|1389719053|1389719059|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55131|6|3|124|1389719053|1389719059|19|ingress
eni-0123456789abcdef0|192.150.187.43|10.0.2.100|10.0.2.15|80|55132|6|3|124|1389719053|1389719059|19|ingress
EOF

# SPEC 2.14: by destination IP. The client's segments: SYN|FIN = 3; the
# last connection sent no FIN: 2.
query by-destination "SELECT srcaddr, srcport, dstport, protocol, packets, bytes, tcp_flags,
  flow_direction FROM vpc_flow_logs WHERE dstaddr = '2001:db8:1::1' ORDER BY srcport;" <<'EOF'
2001:db8:1::2|27393|80|6|5|355|3|ingress
2001:db8:1::2|36951|80|6|5|355|3|ingress
2001:db8:1::2|45805|80|6|3|219|2|ingress
2001:db8:1::2|59694|80|6|5|355|3|ingress
EOF

# SPEC 2.14 (projection table): start and end as ISO 8601 times.
query iso-times "SELECT interface_id,
  strftime('%Y-%m-%dT%H:%M:%SZ', MIN(start), 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%SZ', MAX(\"end\"), 'unixepoch')
  FROM vpc_flow_logs GROUP BY interface_id ORDER BY interface_id;" <<'EOF'
eni-0123456789abcdef0|2014-01-14T17:04:01Z|2014-01-14T17:04:19Z
eni-0fedcba9876543210|2012-03-29T16:44:12Z|2012-03-29T16:44:14Z
EOF

# SPEC 2.14: a prefix, split_part(srcaddr, '.', n) in Athena.
query prefix "SELECT COUNT(*), SUM(packets), SUM(bytes) FROM (SELECT *,
    substr(srcaddr, 1, instr(srcaddr, '.') - 1) AS part1,
    substr(srcaddr, instr(srcaddr, '.') + 1) AS rest FROM vpc_flow_logs)
  WHERE part1 = '10' AND substr(rest, 1, instr(rest, '.') - 1) = '0';" <<'EOF'
13|247|19025
EOF

# Console queries: IPv4/IPv6 traffic, top talkers, total bytes per pair
# (as the records show them, and at packet level).
query ip-traffic "SELECT type, SUM(bytes) FROM vpc_flow_logs GROUP BY type ORDER BY type;" <<'EOF'
IPv4|483623
IPv6|2876
EOF
query top-talkers "SELECT srcaddr, SUM(bytes) AS total FROM vpc_flow_logs
  GROUP BY srcaddr ORDER BY total DESC LIMIT 50;" <<'EOF'
192.150.187.43|464598
10.0.2.100|19025
2001:db8:1::1|1520
2001:db8:1::2|1356
EOF
query total-bytes-packet-level "SELECT pkt_srcaddr, pkt_dstaddr, SUM(bytes) AS total
  FROM vpc_flow_logs GROUP BY pkt_srcaddr, pkt_dstaddr ORDER BY total DESC LIMIT 50;" <<'EOF'
192.150.187.43|10.0.2.15|464598
10.0.2.15|192.150.187.43|19025
2001:db8:1::1|2001:db8:1::2|1520
2001:db8:1::2|2001:db8:1::1|1284
2001:db8:1::2|ff02::1:ff00:1|72
EOF

# Direction: from an interface address egress, else ingress. A capture does
# not tell the egress path (SPEC 2.5): traffic-path is '-', NULL in Athena.
query direction "SELECT flow_direction, traffic_path IS NULL, COUNT(*), SUM(packets)
  FROM vpc_flow_logs GROUP BY 1, 2 ORDER BY 1;" <<'EOF'
egress|1|18|266
ingress|1|18|523
EOF

echo "flowlog-athena: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
