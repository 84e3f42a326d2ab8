/* The action table: every control-plane action, its CLI verb and its
 * parameters. The CLI's parser and --help read it. */
#include "handlers.h"

#define REQ VX_P_REQUIRED
#define END {NULL, NULL, 0, 0, NULL}

static const char TAGS_HELP[] = "tags for the new object: ResourceType=<type>,Tags=[{Key=k,Value=v}]";

static const struct vx_param P_CREATE_TARGET[] = {
	{"NetworkInterfaceId", "network-interface-id", VX_T_STRING, 0,
	 "the analyzer's interface (eni-…); mirrored packets go to its address, UDP 4789"},
	{"NetworkLoadBalancerArn", "network-load-balancer-arn", VX_T_STRING, 0,
	 "a load balancer (create-load-balancer) whose members share the flows"},
	{"GatewayLoadBalancerEndpointId", "gateway-load-balancer-endpoint-id", VX_T_STRING, 0,
	 "not supported on a host (accepted for AWS compatibility, rejected)"},
	{"Description", "description", VX_T_STRING, 0, "up to 255 characters"},
	{"TagSpecifications", "tag-specifications", VX_T_TAG_SPECS, 0, TAGS_HELP},
	END,
};
static const struct vx_param P_TARGET_ID[] = {
	{"TrafficMirrorTargetId", "traffic-mirror-target-id", VX_T_STRING, REQ, "tmt-…"},
	END,
};
static const struct vx_param P_DESCRIBE_TARGETS[] = {
	{"TrafficMirrorTargetIds", "traffic-mirror-target-ids", VX_T_STRING_LIST, 0, "tmt-… IDs"},
	{"Filters", "filters", VX_T_FILTERS, 0,
	 "description, network-interface-id, network-load-balancer-arn, owner-id, "
	 "traffic-mirror-target-id, tag:<key>, tag-key"},
	{"MaxResults", "max-results", VX_T_INT, 0, "5-1000 per page"},
	{"NextToken", "next-token", VX_T_STRING, 0, "from the previous page"},
	END,
};
static const struct vx_param P_CREATE_FILTER[] = {
	{"Description", "description", VX_T_STRING, 0, "up to 255 characters"},
	{"TagSpecifications", "tag-specifications", VX_T_TAG_SPECS, 0, TAGS_HELP},
	END,
};
static const struct vx_param P_FILTER_ID[] = {
	{"TrafficMirrorFilterId", "traffic-mirror-filter-id", VX_T_STRING, REQ, "tmf-…"},
	END,
};
static const struct vx_param P_DESCRIBE_FILTERS[] = {
	{"TrafficMirrorFilterIds", "traffic-mirror-filter-ids", VX_T_STRING_LIST, 0, "tmf-… IDs"},
	{"Filters", "filters", VX_T_FILTERS, 0, "description, traffic-mirror-filter-id, tag:<key>, tag-key"},
	{"MaxResults", "max-results", VX_T_INT, 0, "5-1000 per page"},
	{"NextToken", "next-token", VX_T_STRING, 0, "from the previous page"},
	END,
};
static const struct vx_param P_FILTER_SERVICES[] = {
	{"TrafficMirrorFilterId", "traffic-mirror-filter-id", VX_T_STRING, REQ, "tmf-…"},
	{"AddNetworkServices", "add-network-services", VX_T_STRING_LIST, 0,
	 "amazon-dns: mirror all traffic of the host's DNS resolver, whatever the rules say"},
	{"RemoveNetworkServices", "remove-network-services", VX_T_STRING_LIST, 0, "amazon-dns"},
	END,
};
static const struct vx_param P_CREATE_RULE[] = {
	{"TrafficMirrorFilterId", "traffic-mirror-filter-id", VX_T_STRING, REQ, "tmf-…"},
	{"TrafficDirection", "traffic-direction", VX_T_STRING, REQ,
	 "ingress (arriving at the source) or egress (leaving it)"},
	{"RuleNumber", "rule-number", VX_T_INT, REQ,
	 "1-32766, unique per direction; lowest number is tried first"},
	{"RuleAction", "rule-action", VX_T_STRING, REQ, "accept or reject"},
	{"DestinationPortRange", "destination-port-range", VX_T_PORT_RANGE, 0,
	 "FromPort=<0-65535>,ToPort=<0-65535>; TCP and UDP only"},
	{"SourcePortRange", "source-port-range", VX_T_PORT_RANGE, 0,
	 "FromPort=<0-65535>,ToPort=<0-65535>; TCP and UDP only"},
	{"Protocol", "protocol", VX_T_INT, 0, "IANA protocol number 0-255; omit for all"},
	{"DestinationCidrBlock", "destination-cidr-block", VX_T_STRING, REQ,
	 "IPv4 or IPv6 network, same family as the source"},
	{"SourceCidrBlock", "source-cidr-block", VX_T_STRING, REQ, "IPv4 or IPv6 network"},
	{"Description", "description", VX_T_STRING, 0, "up to 255 characters"},
	END,
};
static const struct vx_param P_MODIFY_RULE[] = {
	{"TrafficMirrorFilterRuleId", "traffic-mirror-filter-rule-id", VX_T_STRING, REQ, "tmfr-…"},
	{"TrafficDirection", "traffic-direction", VX_T_STRING, 0, "ingress or egress"},
	{"RuleNumber", "rule-number", VX_T_INT, 0, "1-32766"},
	{"RuleAction", "rule-action", VX_T_STRING, 0, "accept or reject"},
	{"DestinationPortRange", "destination-port-range", VX_T_PORT_RANGE, 0,
	 "FromPort=<n>,ToPort=<n>"},
	{"SourcePortRange", "source-port-range", VX_T_PORT_RANGE, 0, "FromPort=<n>,ToPort=<n>"},
	{"Protocol", "protocol", VX_T_INT, 0, "0-255"},
	{"DestinationCidrBlock", "destination-cidr-block", VX_T_STRING, 0, "network"},
	{"SourceCidrBlock", "source-cidr-block", VX_T_STRING, 0, "network"},
	{"Description", "description", VX_T_STRING, 0, "up to 255 characters"},
	{"RemoveFields", "remove-fields", VX_T_STRING_LIST, 0,
	 "destination-port-range source-port-range protocol description"},
	END,
};
static const struct vx_param P_RULE_ID[] = {
	{"TrafficMirrorFilterRuleId", "traffic-mirror-filter-rule-id", VX_T_STRING, REQ, "tmfr-…"},
	END,
};
static const struct vx_param P_DESCRIBE_RULES[] = {
	{"TrafficMirrorFilterRuleIds", "traffic-mirror-filter-rule-ids", VX_T_STRING_LIST, 0,
	 "tmfr-… IDs"},
	{"TrafficMirrorFilterId", "traffic-mirror-filter-id", VX_T_STRING, 0,
	 "only the rules of this filter"},
	{"Filters", "filters", VX_T_FILTERS, 0,
	 "traffic-mirror-filter-rule-id, traffic-mirror-filter-id, rule-number, rule-action, "
	 "traffic-direction, protocol, source-cidr-block, destination-cidr-block, description"},
	{"MaxResults", "max-results", VX_T_INT, 0, "5-1000 per page"},
	{"NextToken", "next-token", VX_T_STRING, 0, "from the previous page"},
	END,
};
static const struct vx_param P_CREATE_SESSION[] = {
	{"NetworkInterfaceId", "network-interface-id", VX_T_STRING, REQ,
	 "the source: an interface of this host (eni-…, see describe-network-interfaces)"},
	{"TrafficMirrorTargetId", "traffic-mirror-target-id", VX_T_STRING, REQ, "tmt-…"},
	{"TrafficMirrorFilterId", "traffic-mirror-filter-id", VX_T_STRING, REQ, "tmf-…"},
	{"PacketLength", "packet-length", VX_T_INT, 0,
	 "bytes of each frame to mirror from the inner Ethernet header: 35-8961 (8500 for a "
	 "load balancer); omit for whole packets"},
	{"SessionNumber", "session-number", VX_T_INT, REQ,
	 "1-32766; a source's sessions are tried lowest first and a packet is mirrored once"},
	{"VirtualNetworkId", "virtual-network-id", VX_T_INT, 0,
	 "VXLAN VNI 0-16777215; omit for a random one no other session uses"},
	{"Description", "description", VX_T_STRING, 0, "up to 255 characters"},
	{"TagSpecifications", "tag-specifications", VX_T_TAG_SPECS, 0, TAGS_HELP},
	END,
};
static const struct vx_param P_MODIFY_SESSION[] = {
	{"TrafficMirrorSessionId", "traffic-mirror-session-id", VX_T_STRING, REQ, "tms-…"},
	{"TrafficMirrorTargetId", "traffic-mirror-target-id", VX_T_STRING, 0, "tmt-…"},
	{"TrafficMirrorFilterId", "traffic-mirror-filter-id", VX_T_STRING, 0, "tmf-…"},
	{"PacketLength", "packet-length", VX_T_INT, 0, "35-8961 (8500 for a load balancer)"},
	{"SessionNumber", "session-number", VX_T_INT, 0, "1-32766"},
	{"VirtualNetworkId", "virtual-network-id", VX_T_INT, 0, "0-16777215"},
	{"Description", "description", VX_T_STRING, 0, "up to 255 characters"},
	{"RemoveFields", "remove-fields", VX_T_STRING_LIST, 0,
	 "packet-length description virtual-network-id"},
	END,
};
static const struct vx_param P_SESSION_ID[] = {
	{"TrafficMirrorSessionId", "traffic-mirror-session-id", VX_T_STRING, REQ, "tms-…"},
	END,
};
static const struct vx_param P_DESCRIBE_SESSIONS[] = {
	{"TrafficMirrorSessionIds", "traffic-mirror-session-ids", VX_T_STRING_LIST, 0, "tms-… IDs"},
	{"Filters", "filters", VX_T_FILTERS, 0,
	 "description, network-interface-id, owner-id, packet-length, session-number, "
	 "traffic-mirror-filter-id, traffic-mirror-session-id, traffic-mirror-target-id, "
	 "virtual-network-id, tag:<key>, tag-key"},
	{"MaxResults", "max-results", VX_T_INT, 0, "5-1000 per page"},
	{"NextToken", "next-token", VX_T_STRING, 0, "from the previous page"},
	END,
};
static const struct vx_param P_CREATE_FLOW_LOGS[] = {
	{"DeliverLogsPermissionArn", "deliver-logs-permission-arn", VX_T_STRING, 0,
	 "kept and shown; a host needs no IAM role"},
	{"DeliverCrossAccountRole", "deliver-cross-account-role", VX_T_STRING, 0,
	 "kept and shown"},
	{"LogGroupName", "log-group-name", VX_T_STRING, 0, "cloud-watch-logs log group"},
	{"ResourceIds", "resource-ids", VX_T_STRING_LIST, REQ,
	 "eni-…, this host's subnet- or vpc- ID (1-1000)"},
	{"ResourceType", "resource-type", VX_T_STRING, REQ, "NetworkInterface, Subnet or VPC"},
	{"TrafficType", "traffic-type", VX_T_STRING, 0, "ACCEPT, REJECT or ALL (required)"},
	{"LogDestinationType", "log-destination-type", VX_T_STRING, 0,
	 "cloud-watch-logs (default) or s3"},
	{"LogDestination", "log-destination", VX_T_STRING, 0,
	 "s3: arn:aws:s3:::bucket/folder/ or a local directory; cloud-watch-logs: a log "
	 "group ARN"},
	{"LogFormat", "log-format", VX_T_STRING, 0,
	 "${field} tokens separated by spaces; omit for the default format"},
	{"TagSpecifications", "tag-specifications", VX_T_TAG_SPECS, 0, TAGS_HELP},
	{"MaxAggregationInterval", "max-aggregation-interval", VX_T_INT, 0, "60 or 600 (default)"},
	{"DestinationOptions", "destination-options", VX_T_DEST_OPTIONS, 0,
	 "FileFormat=plain-text,HiveCompatiblePartitions=<bool>,PerHourPartition=<bool>"},
	END,
};
static const struct vx_param P_DELETE_FLOW_LOGS[] = {
	{"FlowLogIds", "flow-log-ids", VX_T_STRING_LIST, REQ, "fl-… IDs"},
	END,
};
static const struct vx_param P_DESCRIBE_FLOW_LOGS[] = {
	{"Filter", "filter", VX_T_FILTERS, 0,
	 "deliver-log-status, log-destination-type, flow-log-id, log-group-name, resource-id, "
	 "traffic-type, tag:<key>, tag-key"},
	{"FlowLogIds", "flow-log-ids", VX_T_STRING_LIST, 0, "fl-… IDs"},
	{"MaxResults", "max-results", VX_T_INT, 0, "1-1000 per page"},
	{"NextToken", "next-token", VX_T_STRING, 0, "from the previous page"},
	END,
};
static const struct vx_param P_DESCRIBE_INTERFACES[] = {
	{"Filters", "filters", VX_T_FILTERS, 0,
	 "attachment.instance-id, attachment.status, availability-zone, description (the Linux "
	 "interface name for host interfaces), interface-type, mac-address, network-interface-id, "
	 "owner-id, private-ip-address, status, subnet-id, vpc-id, tag:<key>, tag-key"},
	{"NetworkInterfaceIds", "network-interface-ids", VX_T_STRING_LIST, 0, "eni-… IDs"},
	{"NextToken", "next-token", VX_T_STRING, 0, "from the previous page"},
	{"MaxResults", "max-results", VX_T_INT, 0, "5-1000 per page"},
	END,
};
static const struct vx_param P_CREATE_INTERFACE[] = {
	{"SubnetId", "subnet-id", VX_T_STRING, 0, "defaults to the host's subnet"},
	{"Description", "description", VX_T_STRING, 0, "up to 255 characters"},
	{"PrivateIpAddress", "private-ip-address", VX_T_STRING, REQ,
	 "the address of a host elsewhere (an analyzer) that mirror targets send to"},
	{"Groups", "groups", VX_T_STRING_LIST, 0,
	 "its security groups: 0-5 sg- IDs (default: none)"},
	{"TagSpecifications", "tag-specifications", VX_T_TAG_SPECS, 0, TAGS_HELP},
	END,
};
static const struct vx_param P_INTERFACE_ID[] = {
	{"NetworkInterfaceId", "network-interface-id", VX_T_STRING, REQ, "eni-…"},
	END,
};
static const struct vx_param P_CREATE_LB[] = {
	{"Name", "name", VX_T_STRING, REQ, "1-32 letters, digits, hyphens"},
	{"Targets", "targets", VX_T_LB_TARGETS, 0, "Id=<address>,Port=<port, default 4789> …"},
	{"HealthCheckPort", "health-check-port", VX_T_INT, 0,
	 "TCP port on which members answer the health check; default 4789"},
	{"HealthCheckIntervalSeconds", "health-check-interval-seconds", VX_T_INT, 0,
	 "5-300, default 10"},
	{"HealthCheckTimeoutSeconds", "health-check-timeout-seconds", VX_T_INT, 0,
	 "2-120, default 5, less than the interval"},
	{"HealthyThresholdCount", "healthy-threshold-count", VX_T_INT, 0, "2-10, default 3"},
	{"UnhealthyThresholdCount", "unhealthy-threshold-count", VX_T_INT, 0, "2-10, default 3"},
	END,
};
static const struct vx_param P_LB_ARN[] = {
	{"LoadBalancerArn", "load-balancer-arn", VX_T_STRING, REQ, "arn:aws:elasticloadbalancing:…"},
	END,
};
static const struct vx_param P_DESCRIBE_LBS[] = {
	{"LoadBalancerArns", "load-balancer-arns", VX_T_STRING_LIST, 0, "ARNs"},
	{"Names", "names", VX_T_STRING_LIST, 0, "names"},
	END,
};
static const struct vx_param P_LB_TARGETS[] = {
	{"LoadBalancerArn", "load-balancer-arn", VX_T_STRING, REQ, "arn:aws:elasticloadbalancing:…"},
	{"Targets", "targets", VX_T_LB_TARGETS, REQ, "Id=<address>,Port=<port> …"},
	END,
};
static const struct vx_param P_CONFIGURE[] = {
	{"AccountId", "account-id", VX_T_STRING, 0, "12 digits (default 000000000000)"},
	{"Region", "region", VX_T_STRING, 0, "e.g. us-east-1"},
	{"VpcId", "vpc-id", VX_T_STRING, 0, "vpc-…"},
	{"SubnetId", "subnet-id", VX_T_STRING, 0, "subnet-…"},
	{"InstanceId", "instance-id", VX_T_STRING, 0, "i-…"},
	{"AvailabilityZone", "availability-zone", VX_T_STRING, 0, "e.g. us-east-1a"},
	{"AzId", "az-id", VX_T_STRING, 0, "e.g. use1-az1"},
	END,
};
static const char GROUP_TEXT_HELP[] =
	"up to 255 characters: letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*";
static const struct vx_param P_CREATE_SG[] = {
	{"Description", "description", VX_T_STRING, REQ, GROUP_TEXT_HELP},
	{"GroupName", "group-name", VX_T_STRING, REQ,
	 "1-255 characters as for the description, unique, not default, not starting with sg-"},
	{"VpcId", "vpc-id", VX_T_STRING, 0, "the host's VPC (the default)"},
	{"TagSpecifications", "tag-specifications", VX_T_TAG_SPECS, 0, TAGS_HELP},
	END,
};
static const struct vx_param P_SG_ID[] = {
	{"GroupId", "group-id", VX_T_STRING, 0, "sg-… (this or --group-name)"},
	{"GroupName", "group-name", VX_T_STRING, 0, "the group's name"},
	END,
};
static const struct vx_param P_DESCRIBE_SGS[] = {
	{"GroupIds", "group-ids", VX_T_STRING_LIST, 0, "sg-… IDs"},
	{"GroupNames", "group-names", VX_T_STRING_LIST, 0, "group names"},
	{"NextToken", "next-token", VX_T_STRING, 0, "from the previous page"},
	{"MaxResults", "max-results", VX_T_INT, 0, "5-1000 per page"},
	{"Filters", "filters", VX_T_FILTERS, 0,
	 "description, group-id, group-name, owner-id, vpc-id, ip-permission.cidr, "
	 "ip-permission.from-port, ip-permission.group-id, ip-permission.ipv6-cidr, "
	 "ip-permission.protocol, ip-permission.to-port, ip-permission.user-id, and "
	 "egress.ip-permission.… alike, tag:<key>, tag-key"},
	END,
};

/* The rule verbs: the API's members, then the AWS CLI's simple options. */
#define SG_RULE_API_MEMBERS                                                                        \
	{"IpPermissions", "ip-permissions", VX_T_IP_PERMISSIONS, 0,                                 \
	 "rules: IpProtocol=tcp|udp|icmp|icmpv6|<0-255>|-1,FromPort=<n>,ToPort=<n>,"               \
	 "IpRanges=[{CidrIp=<cidr>,Description=<text>}],Ipv6Ranges=[{CidrIpv6=<cidr>}],"           \
	 "UserIdGroupPairs=[{GroupId=<sg-id>}]"},                                                  \
	{"IpProtocol", "ip-protocol", VX_T_STRING, VX_P_HIDDEN, "see --protocol"},                 \
	{"FromPort", "from-port", VX_T_INT, VX_P_HIDDEN, "see --port"},                            \
	{"ToPort", "to-port", VX_T_INT, VX_P_HIDDEN, "see --port"},                                \
	{"CidrIp", "cidr-ip", VX_T_STRING, VX_P_HIDDEN, "see --cidr"},                             \
	{"SourceSecurityGroupName", "source-security-group-name", VX_T_STRING, VX_P_HIDDEN,        \
	 "see --source-group"},                                                                    \
	{"SourceSecurityGroupOwnerId", "source-security-group-owner-id", VX_T_STRING, VX_P_HIDDEN, \
	 "see --group-owner"},                                                                     \
	{"IpProtocol", "protocol", VX_T_STRING, VX_P_CLI_PERMISSION,                               \
	 "one rule without --ip-permissions: tcp, udp, icmp, all or a number (-1: all)"},          \
	{"Port", "port", VX_T_STRING, VX_P_CLI_PERMISSION,                                         \
	 "22 or 22-25 (TCP, UDP); type-code for ICMP; all or -1"},                                 \
	{"CidrIp", "cidr", VX_T_STRING, VX_P_CLI_PERMISSION, "the peer: an IPv4 CIDR block"},      \
	{"SourceGroup", "source-group", VX_T_STRING, VX_P_CLI_PERMISSION,                          \
	 "the peer: a security group's ID or name"},                                               \
	{"UserId", "group-owner", VX_T_STRING, VX_P_CLI_PERMISSION,                                \
	 "the source group's account (this host's)"}

static const struct vx_param P_AUTHORIZE_INGRESS[] = {
	{"GroupId", "group-id", VX_T_STRING, 0, "sg-… (this or --group-name)"},
	{"GroupName", "group-name", VX_T_STRING, 0, "the group's name"},
	SG_RULE_API_MEMBERS,
	{"TagSpecifications", "tag-specifications", VX_T_TAG_SPECS, 0,
	 "tags for the new rules: ResourceType=security-group-rule,Tags=[{Key=k,Value=v}]"},
	END,
};
static const struct vx_param P_AUTHORIZE_EGRESS[] = {
	{"GroupId", "group-id", VX_T_STRING, REQ, "sg-…"},
	SG_RULE_API_MEMBERS,
	{"TagSpecifications", "tag-specifications", VX_T_TAG_SPECS, 0,
	 "tags for the new rules: ResourceType=security-group-rule,Tags=[{Key=k,Value=v}]"},
	END,
};
static const struct vx_param P_REVOKE_INGRESS[] = {
	{"GroupId", "group-id", VX_T_STRING, 0, "sg-… (this or --group-name)"},
	{"GroupName", "group-name", VX_T_STRING, 0, "the group's name"},
	SG_RULE_API_MEMBERS,
	{"SecurityGroupRuleIds", "security-group-rule-ids", VX_T_STRING_LIST, 0,
	 "sgr-… IDs of the group's inbound rules"},
	END,
};
static const struct vx_param P_REVOKE_EGRESS[] = {
	{"GroupId", "group-id", VX_T_STRING, REQ, "sg-…"},
	SG_RULE_API_MEMBERS,
	{"SecurityGroupRuleIds", "security-group-rule-ids", VX_T_STRING_LIST, 0,
	 "sgr-… IDs of the group's outbound rules"},
	END,
};
static const struct vx_param P_DESCRIBE_SG_RULES[] = {
	{"Filters", "filters", VX_T_FILTERS, 0,
	 "group-id, security-group-rule-id, tag:<key>, tag-key"},
	{"SecurityGroupRuleIds", "security-group-rule-ids", VX_T_STRING_LIST, 0, "sgr-… IDs"},
	{"NextToken", "next-token", VX_T_STRING, 0, "from the previous page"},
	{"MaxResults", "max-results", VX_T_INT, 0, "5-1000 per page"},
	END,
};
static const struct vx_param P_MODIFY_INTERFACE[] = {
	{"NetworkInterfaceId", "network-interface-id", VX_T_STRING, REQ,
	 "eni-… (a host interface or a registered one)"},
	{"Groups", "groups", VX_T_STRING_LIST, 0,
	 "its security groups, replacing the ones it has: 0-5 sg- IDs ('[]' for none)"},
	END,
};
static const struct vx_param P_CREATE_ACL[] = {
	{"TagSpecifications", "tag-specifications", VX_T_TAG_SPECS, 0, TAGS_HELP},
	{"VpcId", "vpc-id", VX_T_STRING, REQ, "the host's VPC"},
	END,
};
static const struct vx_param P_ACL_ID[] = {
	{"NetworkAclId", "network-acl-id", VX_T_STRING, REQ, "acl-…"},
	END,
};
static const struct vx_param P_DESCRIBE_ACLS[] = {
	{"NextToken", "next-token", VX_T_STRING, 0, "from the previous page"},
	{"MaxResults", "max-results", VX_T_INT, 0, "5-1000 per page"},
	{"NetworkAclIds", "network-acl-ids", VX_T_STRING_LIST, 0, "acl-… IDs"},
	{"Filters", "filters", VX_T_FILTERS, 0,
	 "association.association-id, association.network-acl-id, association.subnet-id, "
	 "default, entry.cidr, entry.egress, entry.icmp.code, entry.icmp.type, entry.ipv6-cidr, "
	 "entry.port-range.from, entry.port-range.to, entry.protocol, entry.rule-action, "
	 "entry.rule-number, network-acl-id, owner-id, vpc-id, tag:<key>, tag-key"},
	END,
};
static const struct vx_param P_ACL_ENTRY[] = {
	{"NetworkAclId", "network-acl-id", VX_T_STRING, REQ, "acl-…"},
	{"RuleNumber", "rule-number", VX_T_INT, REQ,
	 "1-32766, unique per direction; lowest number is tried first"},
	{"Protocol", "protocol", VX_T_STRING, REQ,
	 "a protocol number 0-255, -1 for all, or tcp, udp, icmp, icmpv6, all"},
	{"RuleAction", "rule-action", VX_T_STRING, REQ, "allow or deny"},
	{"Egress", "egress", VX_T_BOOL, 0, "an outbound entry (this or --ingress is required)"},
	{"Egress", "ingress", VX_T_BOOL, VX_P_NEGATES, "an inbound entry"},
	{"CidrBlock", "cidr-block", VX_T_STRING, 0, "an IPv4 network (this or --ipv6-cidr-block)"},
	{"Ipv6CidrBlock", "ipv6-cidr-block", VX_T_STRING, 0, "an IPv6 network"},
	{"IcmpTypeCode", "icmp-type-code", VX_T_ICMP_TYPE_CODE, 0,
	 "Type=<-1-255>,Code=<-1-255>: required for ICMP, and for ICMPv6 with an IPv6 block"},
	{"PortRange", "port-range", VX_T_ACL_PORT_RANGE, 0,
	 "From=<0-65535>,To=<0-65535>: required for TCP and UDP"},
	END,
};
static const struct vx_param P_DELETE_ACL_ENTRY[] = {
	{"NetworkAclId", "network-acl-id", VX_T_STRING, REQ, "acl-…"},
	{"RuleNumber", "rule-number", VX_T_INT, REQ, "1-32766"},
	{"Egress", "egress", VX_T_BOOL, 0, "an outbound entry (this or --ingress is required)"},
	{"Egress", "ingress", VX_T_BOOL, VX_P_NEGATES, "an inbound entry"},
	END,
};
static const struct vx_param P_ACL_ASSOCIATION[] = {
	{"AssociationId", "association-id", VX_T_STRING, REQ,
	 "aclassoc-… (describe-network-acls: a subnet's current association)"},
	{"NetworkAclId", "network-acl-id", VX_T_STRING, REQ, "the ACL the subnet gets: acl-…"},
	END,
};
static const struct vx_param P_CREATE_ACCESS_KEY[] = {
	{"UserName", "user-name", VX_T_STRING, 0,
	 "a name grouping the keys of one user (default: default); at most 2 keys each"},
	END,
};
static const struct vx_param P_LIST_ACCESS_KEYS[] = {
	{"UserName", "user-name", VX_T_STRING, 0, "only this user's keys"},
	END,
};
static const struct vx_param P_UPDATE_ACCESS_KEY[] = {
	{"AccessKeyId", "access-key-id", VX_T_STRING, REQ, "AKIA…"},
	{"Status", "status", VX_T_STRING, REQ,
	 "Active (requests signed with it are accepted) or Inactive"},
	{"UserName", "user-name", VX_T_STRING, 0, "the key's user, when given, must match"},
	END,
};
static const struct vx_param P_DELETE_ACCESS_KEY[] = {
	{"AccessKeyId", "access-key-id", VX_T_STRING, REQ, "AKIA…"},
	{"UserName", "user-name", VX_T_STRING, 0, "the key's user, when given, must match"},
	END,
};
static const struct vx_param P_NONE[] = {END};
static const struct vx_param P_APPLY[] = {
	{"State", "state-document", VX_T_DOCUMENT, REQ, "the document vxtap export wrote"},
	END,
};

#define MUT VX_A_MUTATES
#define TOK VX_A_CLIENT_TOKEN

const struct vx_action vx_actions[] = {
	{"CreateTrafficMirrorTarget", "create-traffic-mirror-target",
	 "Create a target: an analyzer interface or a load balancer of analyzers.",
	 P_CREATE_TARGET, vx_h_create_target, MUT | TOK},
	{"DeleteTrafficMirrorTarget", "delete-traffic-mirror-target",
	 "Delete a target that no session uses.", P_TARGET_ID, vx_h_delete_target, MUT},
	{"DescribeTrafficMirrorTargets", "describe-traffic-mirror-targets", "List targets.",
	 P_DESCRIBE_TARGETS, vx_h_describe_targets, 0},
	{"CreateTrafficMirrorFilter", "create-traffic-mirror-filter",
	 "Create an empty filter (it mirrors nothing until it has accept rules).", P_CREATE_FILTER,
	 vx_h_create_filter, MUT | TOK},
	{"DeleteTrafficMirrorFilter", "delete-traffic-mirror-filter",
	 "Delete a filter that no session uses, with its rules.", P_FILTER_ID, vx_h_delete_filter,
	 MUT},
	{"DescribeTrafficMirrorFilters", "describe-traffic-mirror-filters",
	 "List filters with their rules.", P_DESCRIBE_FILTERS, vx_h_describe_filters, 0},
	{"ModifyTrafficMirrorFilterNetworkServices", "modify-traffic-mirror-filter-network-services",
	 "Add or remove the amazon-dns network service.", P_FILTER_SERVICES,
	 vx_h_modify_filter_services, MUT},
	{"CreateTrafficMirrorFilterRule", "create-traffic-mirror-filter-rule",
	 "Add a numbered accept/reject rule to a filter (at most 10 rules per filter).",
	 P_CREATE_RULE, vx_h_create_rule, MUT | TOK},
	{"ModifyTrafficMirrorFilterRule", "modify-traffic-mirror-filter-rule",
	 "Change a rule; --remove-fields clears optional fields.", P_MODIFY_RULE, vx_h_modify_rule,
	 MUT},
	{"DeleteTrafficMirrorFilterRule", "delete-traffic-mirror-filter-rule", "Delete a rule.",
	 P_RULE_ID, vx_h_delete_rule, MUT},
	{"CreateTrafficMirrorSession", "create-traffic-mirror-session",
	 "Mirror a host interface through a filter to a target (at most 3 per interface).",
	 P_CREATE_SESSION, vx_h_create_session, MUT | TOK},
	{"ModifyTrafficMirrorSession", "modify-traffic-mirror-session",
	 "Change a session's target, filter, number, length, VNI or description.",
	 P_MODIFY_SESSION, vx_h_modify_session, MUT},
	{"DeleteTrafficMirrorSession", "delete-traffic-mirror-session", "Delete a session.",
	 P_SESSION_ID, vx_h_delete_session, MUT},
	{"DescribeTrafficMirrorSessions", "describe-traffic-mirror-sessions", "List sessions.",
	 P_DESCRIBE_SESSIONS, vx_h_describe_sessions, 0},
	{"CreateFlowLogs", "create-flow-logs",
	 "Log the flows of interfaces, the host's subnet or its VPC.", P_CREATE_FLOW_LOGS,
	 vx_h_create_flow_logs, MUT | TOK},
	{"DeleteFlowLogs", "delete-flow-logs", "Delete flow logs (delivered files stay).",
	 P_DELETE_FLOW_LOGS, vx_h_delete_flow_logs, MUT},
	{"DescribeFlowLogs", "describe-flow-logs", "List flow logs.", P_DESCRIBE_FLOW_LOGS,
	 vx_h_describe_flow_logs, 0},
	{"DescribeNetworkInterfaces", "describe-network-interfaces",
	 "List this host's interfaces (each an ENI) and registered remote interfaces.",
	 P_DESCRIBE_INTERFACES, vx_h_describe_interfaces, 0},
	{"CreateNetworkInterface", "create-network-interface",
	 "Register the address of another host (an analyzer) as an ENI, for targets.",
	 P_CREATE_INTERFACE, vx_h_create_interface, MUT | TOK},
	{"DeleteNetworkInterface", "delete-network-interface",
	 "Remove a registered remote interface that nothing uses.", P_INTERFACE_ID,
	 vx_h_delete_interface, MUT},
	{"CreateLoadBalancer", "create-load-balancer",
	 "Create a group of analyzers with a TCP health check, for network-load-balancer "
	 "targets.",
	 P_CREATE_LB, vx_h_create_load_balancer, MUT},
	{"DeleteLoadBalancer", "delete-load-balancer", "Delete a load balancer no target uses.",
	 P_LB_ARN, vx_h_delete_load_balancer, MUT},
	{"DescribeLoadBalancers", "describe-load-balancers", "List load balancers and members.",
	 P_DESCRIBE_LBS, vx_h_describe_load_balancers, 0},
	{"RegisterTargets", "register-targets", "Add analyzers to a load balancer.", P_LB_TARGETS,
	 vx_h_register_targets, MUT},
	{"DeregisterTargets", "deregister-targets", "Remove analyzers from a load balancer.",
	 P_LB_TARGETS, vx_h_deregister_targets, MUT},
	{"ConfigureHost", "configure",
	 "Set what a VPC would say about this host: account, region, VPC, subnet, instance, zone.",
	 P_CONFIGURE, vx_h_configure_host, MUT},
	{"DescribeHost", "describe-host", "Show the host's identity.", P_NONE, vx_h_describe_host, 0},
	{"ExportState", "export", "Print the whole state as one JSON document.", P_NONE,
	 vx_h_export_state, 0},
	{"ApplyState", "apply",
	 "Replace the whole state with a document from export, in one change.", P_APPLY,
	 vx_h_apply_state, MUT},
	{"DescribeTrafficMirrorFilterRules", "describe-traffic-mirror-filter-rules",
	 "List filter rules (ingress before egress, by rule number, per filter).",
	 P_DESCRIBE_RULES, vx_h_describe_rules, 0},
	/* Appended, never inserted: the request fuzzer's seeds name actions
	 * by their index in this table. */
	{"CreateSecurityGroup", "create-security-group",
	 "Create a security group in the host's VPC (it allows all outbound traffic).",
	 P_CREATE_SG, vx_h_create_security_group, MUT},
	{"DeleteSecurityGroup", "delete-security-group",
	 "Delete a group that no interface and no other group's rule uses.", P_SG_ID,
	 vx_h_delete_security_group, MUT},
	{"DescribeSecurityGroups", "describe-security-groups",
	 "List security groups with their inbound and outbound rules.", P_DESCRIBE_SGS,
	 vx_h_describe_security_groups, 0},
	{"AuthorizeSecurityGroupIngress", "authorize-security-group-ingress",
	 "Add inbound rules to a security group (at most 60 per address family).",
	 P_AUTHORIZE_INGRESS, vx_h_authorize_ingress, MUT},
	{"AuthorizeSecurityGroupEgress", "authorize-security-group-egress",
	 "Add outbound rules to a security group (at most 60 per address family).",
	 P_AUTHORIZE_EGRESS, vx_h_authorize_egress, MUT},
	{"RevokeSecurityGroupIngress", "revoke-security-group-ingress",
	 "Remove inbound rules, named as they were added or by sgr- ID.", P_REVOKE_INGRESS,
	 vx_h_revoke_ingress, MUT},
	{"RevokeSecurityGroupEgress", "revoke-security-group-egress",
	 "Remove outbound rules, named as they were added or by sgr- ID.", P_REVOKE_EGRESS,
	 vx_h_revoke_egress, MUT},
	{"DescribeSecurityGroupRules", "describe-security-group-rules",
	 "List security group rules one by one, with their sgr- IDs.", P_DESCRIBE_SG_RULES,
	 vx_h_describe_security_group_rules, 0},
	{"ModifyNetworkInterfaceAttribute", "modify-network-interface-attribute",
	 "Set the security groups of an interface.", P_MODIFY_INTERFACE,
	 vx_h_modify_interface_attribute, MUT},
	{"CreateNetworkAcl", "create-network-acl",
	 "Create a network ACL (it denies everything until it has entries).", P_CREATE_ACL,
	 vx_h_create_network_acl, MUT | TOK},
	{"DeleteNetworkAcl", "delete-network-acl",
	 "Delete a network ACL that is not the default and no subnet uses.", P_ACL_ID,
	 vx_h_delete_network_acl, MUT},
	{"DescribeNetworkAcls", "describe-network-acls",
	 "List network ACLs with their entries and subnet associations.", P_DESCRIBE_ACLS,
	 vx_h_describe_network_acls, 0},
	{"CreateNetworkAclEntry", "create-network-acl-entry",
	 "Add a numbered allow/deny entry (at most 20 per direction and address family).",
	 P_ACL_ENTRY, vx_h_create_network_acl_entry, MUT},
	{"ReplaceNetworkAclEntry", "replace-network-acl-entry",
	 "Replace the entry of that number and direction.", P_ACL_ENTRY,
	 vx_h_replace_network_acl_entry, MUT},
	{"DeleteNetworkAclEntry", "delete-network-acl-entry", "Delete an entry.",
	 P_DELETE_ACL_ENTRY, vx_h_delete_network_acl_entry, MUT},
	{"ReplaceNetworkAclAssociation", "replace-network-acl-association",
	 "Give a subnet another network ACL (the association gets a new ID).",
	 P_ACL_ASSOCIATION, vx_h_replace_network_acl_association, MUT},
	{"CreateAccessKey", "create-access-key",
	 "Create an access key for the EC2 API (its secret is shown this once).",
	 P_CREATE_ACCESS_KEY, vx_h_create_access_key, MUT},
	{"ListAccessKeys", "list-access-keys", "List access keys (without their secrets).",
	 P_LIST_ACCESS_KEYS, vx_h_list_access_keys, 0},
	{"UpdateAccessKey", "update-access-key",
	 "Make an access key Active or Inactive (an Inactive key signs nothing).",
	 P_UPDATE_ACCESS_KEY, vx_h_update_access_key, MUT},
	{"DeleteAccessKey", "delete-access-key", "Delete an access key.", P_DELETE_ACCESS_KEY,
	 vx_h_delete_access_key, MUT},
	{NULL, NULL, NULL, NULL, NULL, 0},
};
