/* Shorthand unit tests: each parameter type's shorthand and JSON forms,
 * quoting, model member order, and the errors for malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxtap/shorthand.h"

/* W("a", "b") expands to the words array and its length. */
#define W(...)                                                                                     \
	((char *const[]){__VA_ARGS__}), (int)(sizeof((char *const[]){__VA_ARGS__}) / sizeof(char *))

static void expect_ok(enum vx_ptype type, char *const *words, int nwords, const char *want)
{
	struct vx_err err = {{0}, {0}};
	json_t *v = vx_shorthand_parse("--opt", type, words, nwords, &err);
	if (!v)
		fail_msg("unexpected error %s: %s", err.code, err.message);
	char *got = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	json_decref(v);
}

/* Expect InvalidParameterValue with a message naming the option and
 * containing each of the NULL-terminated needles. */
static void expect_err_opt(const char *option, enum vx_ptype type, char *const *words, int nwords,
                           const char *const *needles)
{
	struct vx_err err = {{0}, {0}};
	json_t *v = vx_shorthand_parse(option, type, words, nwords, &err);
	if (v) {
		char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(v);
		fail_msg("expected an error, got %s", got);
	}
	assert_string_equal(err.code, "InvalidParameterValue");
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "Error parsing parameter '%s': expected ", option);
	if (strncmp(err.message, prefix, strlen(prefix)))
		fail_msg("message does not start with \"%s\": %s", prefix, err.message);
	for (const char *const *n = needles; *n; n++)
		if (!strstr(err.message, *n))
			fail_msg("message lacks \"%s\": %s", *n, err.message);
	/* The message must itself be valid UTF-8 (it ends up in JSON). */
	json_t *s = json_string(err.message);
	assert_non_null(s);
	json_decref(s);
}

#define N(...)                ((const char *const[]){__VA_ARGS__, NULL})
#define expect_err(type, ...) expect_err_opt("--opt", type, __VA_ARGS__)

static void test_string(void **state)
{
	(void)state;
	expect_ok(VX_T_STRING, W("hello, world=1 [x]"), "\"hello, world=1 [x]\"");
	expect_ok(VX_T_STRING, W(""), "\"\"");
	expect_err(VX_T_STRING, W("a", "b"), N("expected a string", "2 values given"));
	expect_err(VX_T_STRING, NULL, 0, N("no value given"));
	expect_err(VX_T_STRING,
	           W("bad \xff"
	             " byte"),
	           N("not valid UTF-8", "'bad ? byte'"));
}

static void test_int(void **state)
{
	(void)state;
	expect_ok(VX_T_INT, W("42"), "42");
	expect_ok(VX_T_INT, W("-7"), "-7");
	expect_ok(VX_T_INT, W("0"), "0");
	expect_ok(VX_T_INT, W("9223372036854775807"), "9223372036854775807");
	expect_ok(VX_T_INT, W("-9223372036854775808"), "-9223372036854775808");
	expect_err_opt("--rule-number", VX_T_INT, W("12x"),
	               N("'--rule-number': expected an integer, got '12x'"));
	expect_err(VX_T_INT, W(""), N("got ''"));
	expect_err(VX_T_INT, W("+5"), N("got '+5'"));
	expect_err(VX_T_INT, W(" 5"), N("got ' 5'"));
	expect_err(VX_T_INT, W("-"), N("got '-'"));
	expect_err(VX_T_INT, W("9223372036854775808"), N("out of range"));
	expect_err(VX_T_INT, W("1", "2"), N("2 values given"));
}

static void test_bool(void **state)
{
	(void)state;
	expect_ok(VX_T_BOOL, W("true"), "true");
	expect_ok(VX_T_BOOL, W("false"), "false");
	expect_ok(VX_T_BOOL, W("TRUE"), "true");
	expect_err(VX_T_BOOL, W("yes"), N("expected true or false, got 'yes'"));
	expect_err(VX_T_BOOL, W(""), N("got ''"));
}

static void test_string_list(void **state)
{
	(void)state;
	expect_ok(VX_T_STRING_LIST, W("a", "b,c", "d=e"), "[\"a\",\"b,c\",\"d=e\"]");
	expect_ok(VX_T_STRING_LIST, W("only"), "[\"only\"]");
	expect_ok(VX_T_STRING_LIST, W("[\"x\", \"y\"]"), "[\"x\",\"y\"]");
	expect_ok(VX_T_STRING_LIST, W(" []"), "[]");
	expect_err(VX_T_STRING_LIST, W("[\"x\", 1]"), N("element 1 must be a string"));
	expect_err(VX_T_STRING_LIST, W("[\"x\""), N("invalid JSON", "got '[\"x\"'"));
	expect_err_opt("--remove-fields", VX_T_STRING_LIST, NULL, 0,
	               N("'--remove-fields'", "no value given"));
}

static void test_port_range(void **state)
{
	(void)state;
	expect_ok(VX_T_PORT_RANGE, W("FromPort=80,ToPort=80"), "{\"FromPort\":80,\"ToPort\":80}");
	/* Model order whatever the input order; blanks around = and , ignored. */
	expect_ok(VX_T_PORT_RANGE, W(" ToPort = 443 , FromPort=1024 "),
	          "{\"FromPort\":1024,\"ToPort\":443}");
	expect_ok(VX_T_PORT_RANGE, W("FromPort=22"), "{\"FromPort\":22}");
	expect_ok(VX_T_PORT_RANGE, W("FromPort='8080',ToPort=\"8081\""),
	          "{\"FromPort\":8080,\"ToPort\":8081}");
}

static void test_port_range_json(void **state)
{
	(void)state;
	expect_ok(VX_T_PORT_RANGE, W("{\"ToPort\": 2, \"FromPort\": 1}"),
	          "{\"FromPort\":1,\"ToPort\":2}");
	expect_ok(VX_T_PORT_RANGE, W("  {\"FromPort\":5}"), "{\"FromPort\":5}");
	expect_err(VX_T_PORT_RANGE, W("{\"FromPort\": \"80\"}"),
	           N("FromPort must be an integer, not a string"));
	expect_err(VX_T_PORT_RANGE, W("{\"FromPort\": 1, \"Port\": 2}"),
	           N("unknown key 'Port'", "allowed: FromPort, ToPort"));
	expect_err(VX_T_PORT_RANGE, W("{\"FromPort\": 1, \"FromPort\": 2}"), N("invalid JSON"));
	expect_err(VX_T_PORT_RANGE, W("{\"FromPort\":"), N("invalid JSON at character"));
	expect_err(VX_T_PORT_RANGE, W("[1,2]"), N("not a list"));
}

static void test_port_range_errors(void **state)
{
	(void)state;
	const char *opt = "--destination-port-range";
	struct vx_err err = {{0}, {0}};
	assert_null(vx_shorthand_parse(opt, VX_T_PORT_RANGE, W("FromPort=80,ToPort=x"), &err));
	assert_string_equal(err.code, "InvalidParameterValue");
	assert_string_equal(err.message, "Error parsing parameter '--destination-port-range': "
	                                 "expected FromPort=<int>,ToPort=<int> or JSON, got "
	                                 "'FromPort=80,ToPort=x': ToPort: 'x' is not an integer");

	expect_err_opt(
	    opt, VX_T_PORT_RANGE, W("FromPort=1,Port=2"),
	    N("got 'FromPort=1,Port=2'", "unknown key 'Port'", "(allowed: FromPort, ToPort)"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("FromPort"),
	               N("missing '=' after key 'FromPort', got end of input"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("FromPort:80"), N("missing '='"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("FromPort=1,FromPort=2"),
	               N("duplicate key 'FromPort' at character 12"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("FromPort=1,"), N("trailing comma"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("FromPort=1,ToPort=2,"), N("trailing comma"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W(""), N("got ''", "empty value"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("   "), N("empty value"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("FromPort="), N("FromPort: '' is not an integer"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("FromPort=1,2"),
	               N("FromPort must be an integer, not the list '1,2'"));
	expect_err_opt(
	    opt, VX_T_PORT_RANGE, W("FromPort=80,ToPort"),
	    N("FromPort must be an integer, not the list '80,ToPort'", "is a key missing its '='"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("FromPort=99999999999999999999"),
	               N("FromPort: '99999999999999999999' is out of range"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("=80"), N("expected a key"));
	expect_err_opt(opt, VX_T_PORT_RANGE, W("FromPort=1", "ToPort=2"), N("2 values given"));
}

static void test_dest_options(void **state)
{
	(void)state;
	expect_ok(VX_T_DEST_OPTIONS,
	          W("FileFormat=plain-text,HiveCompatiblePartitions=true,PerHourPartition=false"),
	          "{\"FileFormat\":\"plain-text\",\"HiveCompatiblePartitions\":true,"
	          "\"PerHourPartition\":false}");
	expect_ok(VX_T_DEST_OPTIONS, W("PerHourPartition=True,FileFormat=parquet"),
	          "{\"FileFormat\":\"parquet\",\"PerHourPartition\":true}");
	expect_ok(VX_T_DEST_OPTIONS, W("{\"PerHourPartition\":true,\"FileFormat\":\"parquet\"}"),
	          "{\"FileFormat\":\"parquet\",\"PerHourPartition\":true}");
	expect_err_opt("--destination-options", VX_T_DEST_OPTIONS,
	               W("FileFormat=parquet,HiveCompatiblePartitions=yes"),
	               N("'--destination-options'",
	                 "got 'FileFormat=parquet,HiveCompatiblePartitions=yes'",
	                 "HiveCompatiblePartitions: 'yes' is not true or false"));
	expect_err(VX_T_DEST_OPTIONS, W("{\"PerHourPartition\":\"true\"}"),
	           N("PerHourPartition must be true or false, not a string"));
	expect_err(VX_T_DEST_OPTIONS, W("Format=parquet"),
	           N("unknown key 'Format'",
	             "allowed: FileFormat, HiveCompatiblePartitions, PerHourPartition"));
}

static void test_filters(void **state)
{
	(void)state;
	expect_ok(VX_T_FILTERS, W("Name=string,Values=a,b,c"),
	          "[{\"Name\":\"string\",\"Values\":[\"a\",\"b\",\"c\"]}]");
	/* A single value where a list belongs is a one-element list. */
	expect_ok(VX_T_FILTERS, W("Name=vpc-id,Values=vpc-1"),
	          "[{\"Name\":\"vpc-id\",\"Values\":[\"vpc-1\"]}]");
	/* The comma list ends at the next key=. */
	expect_ok(VX_T_FILTERS, W("Values=a,b,Name=tag:Name"),
	          "[{\"Name\":\"tag:Name\",\"Values\":[\"a\",\"b\"]}]");
	expect_ok(VX_T_FILTERS, W("Name=a,Values=[x, y]", "Name=b,Values=[]"),
	          "[{\"Name\":\"a\",\"Values\":[\"x\",\"y\"]},{\"Name\":\"b\",\"Values\":[]}]");
	expect_ok(VX_T_FILTERS, W("Name=a,Values=x", "Name=b,Values=y"),
	          "[{\"Name\":\"a\",\"Values\":[\"x\"]},{\"Name\":\"b\",\"Values\":[\"y\"]}]");
	/* A value may hold '=' when it is the first after its key. */
	expect_ok(VX_T_FILTERS, W("Name=description,Values=a=b"),
	          "[{\"Name\":\"description\",\"Values\":[\"a=b\"]}]");
	expect_ok(VX_T_FILTERS, W("Name=x,Values=*web*,db?"),
	          "[{\"Name\":\"x\",\"Values\":[\"*web*\",\"db?\"]}]");
}

static void test_filters_json(void **state)
{
	(void)state;
	expect_ok(VX_T_FILTERS, W("[{\"Values\":[\"1\"],\"Name\":\"n\"},{\"Name\":\"m\"}]"),
	          "[{\"Name\":\"n\",\"Values\":[\"1\"]},{\"Name\":\"m\"}]");
	expect_ok(VX_T_FILTERS, W("{\"Name\":\"n\",\"Values\":[]}", "Name=m,Values=v"),
	          "[{\"Name\":\"n\",\"Values\":[]},{\"Name\":\"m\",\"Values\":[\"v\"]}]");
	expect_err(VX_T_FILTERS, W("[{\"Name\":\"n\",\"Values\":\"v\"}]"),
	           N("[0].Values must be a list of strings, not a string"));
	expect_err(VX_T_FILTERS, W("[{\"Name\":\"n\"}, 3]"),
	           N("[1]: expected a structure, not an integer"));
	expect_err(VX_T_FILTERS, W("{\"Name\":\"n\",\"Values\":[1]}"),
	           N("Values[0] must be a string, not an integer"));
	expect_err(VX_T_FILTERS, W("Name=a,Values=b", "[{\"Name\":\"n\"}]"),
	           N("a JSON list must be the option's only value"));
}

static void test_quoting(void **state)
{
	(void)state;
	expect_ok(VX_T_FILTERS, W("Name=description,Values=\"a,b\",'c=d',e"),
	          "[{\"Name\":\"description\",\"Values\":[\"a,b\",\"c=d\",\"e\"]}]");
	expect_ok(VX_T_FILTERS, W("Name=x,Values=a\\,b,c\\=d"),
	          "[{\"Name\":\"x\",\"Values\":[\"a,b\",\"c=d\"]}]");
	expect_ok(VX_T_FILTERS, W("Name='it''s',Values=\"say \\\"hi\\\"\",' spaced '"),
	          "[{\"Name\":\"its\",\"Values\":[\"say \\\"hi\\\"\",\" spaced \"]}]");
	expect_ok(VX_T_FILTERS, W("Name=x,Values=[\"]\",'}',\"[\"]"),
	          "[{\"Name\":\"x\",\"Values\":[\"]\",\"}\",\"[\"]}]");
	/* An empty quoted value is a value; a missing one is not. */
	expect_ok(VX_T_FILTERS, W("Name=x,Values=a,''"),
	          "[{\"Name\":\"x\",\"Values\":[\"a\",\"\"]}]");
	expect_ok(VX_T_TAG_SPECS, W("ResourceType=t,Tags=[{Key=k,Value=\"a,b=c}\"}]"),
	          "[{\"ResourceType\":\"t\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"a,b=c}\"}]}]");
	expect_err(VX_T_FILTERS, W("Name=\"abc,Values=x"),
	           N("got 'Name=\"abc,Values=x'", "unterminated \" quote at character 6"));
	expect_err(VX_T_FILTERS, W("Name=x,Values=a,'b"), N("unterminated ' quote"));
}

static void test_filters_errors(void **state)
{
	(void)state;
	const char *opt = "--filters";
	expect_err_opt(opt, VX_T_FILTERS, W("Name=a,,Values=b"),
	               N("got 'Name=a,,Values=b'", "expected a value after ','"));
	expect_err_opt(opt, VX_T_FILTERS, W("Name=a,Values=b,"), N("trailing comma"));
	expect_err_opt(opt, VX_T_FILTERS, W("Name=a,Values=[b,]"), N("trailing comma in a list"));
	expect_err_opt(opt, VX_T_FILTERS, W("Name=a,Values=[b"), N("unterminated '['"));
	expect_err_opt(opt, VX_T_FILTERS, W("Name=a,Values=[b]x"), N("expected ',' or the end"));
	expect_err_opt(opt, VX_T_FILTERS, W("Name=a,b,Values=c"),
	               N("Name must be a string, not the list 'a,b'", "needs quoting"));
	expect_err_opt(opt, VX_T_FILTERS, W("Nmae=a"),
	               N("unknown key 'Nmae'", "(allowed: Name, Values)"));
	expect_err_opt(opt, VX_T_FILTERS, W("Name=a", "Values"),
	               N("got 'Values'", "missing '=' after key 'Values'"));
	expect_err_opt(opt, VX_T_FILTERS, W("Name=a", ""), N("got ''", "empty value"));
	expect_err_opt(opt, VX_T_FILTERS, NULL, 0, N("no value given"));
	expect_err_opt(opt, VX_T_FILTERS, W("Name=a,Values=[[b]]"),
	               N("Values[0] must be a string, not a list"));
	expect_err_opt(opt, VX_T_FILTERS, W("Name=a,Values=x,y z=w"), N("got '='"));
}

static void test_tag_specs(void **state)
{
	(void)state;
	expect_ok(VX_T_TAG_SPECS,
	          W("ResourceType=traffic-mirror-target,Tags=[{Key=Name,Value=web},{Key=env,Value="
	            "prod}]"),
	          "[{\"ResourceType\":\"traffic-mirror-target\",\"Tags\":[{\"Key\":\"Name\","
	          "\"Value\":\"web\"},{\"Key\":\"env\",\"Value\":\"prod\"}]}]");
	/* Model order inside tags too; a lone {…} is a one-element list. */
	expect_ok(VX_T_TAG_SPECS, W("Tags={Value=v,Key=k},ResourceType=traffic-mirror-filter"),
	          "[{\"ResourceType\":\"traffic-mirror-filter\",\"Tags\":[{\"Key\":\"k\","
	          "\"Value\":\"v\"}]}]");
	expect_ok(VX_T_TAG_SPECS, W("ResourceType=a,Tags=[{Key=empty,Value=}]", "ResourceType=b"),
	          "[{\"ResourceType\":\"a\",\"Tags\":[{\"Key\":\"empty\",\"Value\":\"\"}]},"
	          "{\"ResourceType\":\"b\"}]");
	expect_ok(VX_T_TAG_SPECS, W("ResourceType = a , Tags = [ { Key = k , Value = v w } ]"),
	          "[{\"ResourceType\":\"a\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"v w\"}]}]");
	expect_ok(VX_T_TAG_SPECS,
	          W("[{\"Tags\":[{\"Value\":\"v\",\"Key\":\"k\"}],\"ResourceType\":\"r\"}]"),
	          "[{\"ResourceType\":\"r\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}]");
}

static void test_tag_specs_errors(void **state)
{
	(void)state;
	const char *opt = "--tag-specifications";
	expect_err_opt(opt, VX_T_TAG_SPECS, W("ResourceType=a,Tags=[{Key=k,Val=v}]"),
	               N("unknown key 'Val' in Tags[0]", "(allowed: Key, Value)"));
	expect_err_opt(opt, VX_T_TAG_SPECS, W("ResourceType=a,Tags=[{Key=k,Value=v}"),
	               N("unterminated '['"));
	expect_err_opt(opt, VX_T_TAG_SPECS, W("ResourceType=a,Tags=[{Key=k,Value=v"),
	               N("unterminated '{'"));
	expect_err_opt(opt, VX_T_TAG_SPECS, W("ResourceType=a,Tags=[{Key=k,}]"),
	               N("trailing comma in a structure"));
	expect_err_opt(opt, VX_T_TAG_SPECS, W("ResourceType=a,Tags=[{Key=k,Key=j}]"),
	               N("duplicate key 'Key'"));
	expect_err_opt(opt, VX_T_TAG_SPECS, W("ResourceType=a,Tags=[{Key=a,b}]"),
	               N("missing '=' after key 'b'"));
	expect_err_opt(opt, VX_T_TAG_SPECS, W("ResourceType=a,Tags=[k]"),
	               N("Tags[0]: expected a structure, not a string"));
	expect_err_opt(opt, VX_T_TAG_SPECS, W("ResourceType=a,Tags=k"),
	               N("Tags must be a list of structures, not a string"));
	expect_err_opt(opt, VX_T_TAG_SPECS, W("ResourceType=a,Tags=[{Key=[x]}]"),
	               N("Tags[0].Key must be a string, not the list 'x'"));
	expect_err_opt(opt, VX_T_TAG_SPECS, W("ResourceType=a,Tags=[{Key=[x,[y]]}]"),
	               N("Tags[0].Key must be a string, not a list"));
	expect_err_opt(opt, VX_T_TAG_SPECS, W("[{\"ResourceType\":\"a\",\"Tags\":[{\"Key\":1}]}]"),
	               N("[0].Tags[0].Key must be a string, not an integer"));
}

static void test_lb_targets(void **state)
{
	(void)state;
	expect_ok(VX_T_LB_TARGETS, W("Id=10.0.0.5,Port=4789"),
	          "[{\"Id\":\"10.0.0.5\",\"Port\":4789}]");
	expect_ok(VX_T_LB_TARGETS, W("Port=6081,Id=fe80::1", "Id=10.0.0.6"),
	          "[{\"Id\":\"fe80::1\",\"Port\":6081},{\"Id\":\"10.0.0.6\"}]");
	expect_ok(VX_T_LB_TARGETS, W("[{\"Port\":1,\"Id\":\"a\"}]"), "[{\"Id\":\"a\",\"Port\":1}]");
	expect_err_opt("--targets", VX_T_LB_TARGETS, W("Id=10.0.0.5,Port=47x9"),
	               N("'--targets'", "expected Id=<address>,Port=<int> or JSON",
	                 "got 'Id=10.0.0.5,Port=47x9'", "Port: '47x9' is not an integer"));
	expect_err(VX_T_LB_TARGETS, W("Id10.0.0.5"), N("missing '=' after key 'Id10.0.0.5'"));
	expect_err(VX_T_LB_TARGETS, W("[{\"Id\":\"a\",\"Port\":1.5}]"),
	           N("[0].Port must be an integer, not a number"));
}

static void test_ip_permissions(void **state)
{
	(void)state;
	expect_ok(VX_T_IP_PERMISSIONS,
	          W("IpRanges=[{CidrIp=10.0.0.0/16,Description=\"SSH, admins\"}],ToPort=22,"
	            "IpProtocol=tcp,FromPort=22"),
	          "[{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,\"IpRanges\":[{"
	          "\"Description\":\"SSH, admins\",\"CidrIp\":\"10.0.0.0/16\"}]}]");
	expect_ok(VX_T_IP_PERMISSIONS,
	          W("IpProtocol=-1,UserIdGroupPairs=[{GroupId=sg-1,UserId=1}]",
	            "IpProtocol=icmpv6,FromPort=-1,ToPort=-1,Ipv6Ranges=[{CidrIpv6=::/0}]"),
	          "[{\"IpProtocol\":\"-1\",\"UserIdGroupPairs\":[{\"UserId\":\"1\",\"GroupId\":"
	          "\"sg-1\"}]},{\"IpProtocol\":\"icmpv6\",\"FromPort\":-1,\"ToPort\":-1,"
	          "\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}]");
	expect_ok(VX_T_IP_PERMISSIONS, W("[{\"PrefixListIds\":[],\"IpProtocol\":\"udp\"}]"),
	          "[{\"IpProtocol\":\"udp\",\"PrefixListIds\":[]}]");
	expect_err_opt("--ip-permissions", VX_T_IP_PERMISSIONS,
	               W("IpProtocol=tcp,FromPort=x"),
	               N("'--ip-permissions'", "got 'IpProtocol=tcp,FromPort=x'",
	                 "FromPort: 'x' is not an integer"));
	expect_err(VX_T_IP_PERMISSIONS, W("IpProtocol=tcp,IpRanges=[{Cidr=1}]"),
	           N("unknown key 'Cidr' in IpRanges[0] (allowed: Description, CidrIp)"));
}

static void test_acl_port_range_and_icmp(void **state)
{
	(void)state;
	expect_ok(VX_T_ACL_PORT_RANGE, W("To=53,From=53"), "{\"From\":53,\"To\":53}");
	expect_ok(VX_T_ICMP_TYPE_CODE, W("Type=8,Code=-1"), "{\"Code\":-1,\"Type\":8}");
	expect_ok(VX_T_ICMP_TYPE_CODE, W("{\"Type\":3,\"Code\":4}"), "{\"Code\":4,\"Type\":3}");
	expect_err_opt("--port-range", VX_T_ACL_PORT_RANGE, W("FromPort=1,ToPort=2"),
	               N("expected From=<int>,To=<int> or JSON",
	                 "unknown key 'FromPort' (allowed: From, To)"));
	expect_err(VX_T_ICMP_TYPE_CODE, W("Type=8", "Code=0"), N("2 values given, one expected"));
}

static void test_nesting_bounded(void **state)
{
	(void)state;
	size_t depth = 100000;
	char *w = malloc(depth * 2 + 32);
	assert_non_null(w);
	char *o = w + sprintf(w, "Name=a,Values=");
	memset(o, '[', depth);
	memset(o + depth, ']', depth);
	o[2 * depth] = '\0';
	char *words[] = {w};
	expect_err(VX_T_FILTERS, words, 1, N("more than 32 nested lists or structures", "..."));
	free(w);
}

static void test_long_and_odd_text(void **state)
{
	(void)state;
	/* A long bad word: the message quotes a clipped copy and stays whole. */
	size_t len = 100000;
	char *w = malloc(len + 1);
	assert_non_null(w);
	memset(w, 'k', len);
	w[len] = '\0';
	char *words[] = {w};
	struct vx_err err = {{0}, {0}};
	assert_null(vx_shorthand_parse("--filters", VX_T_FILTERS, words, 1, &err));
	assert_non_null(strstr(err.message, "kkk...'"));
	assert_non_null(strstr(err.message, "missing '='"));
	assert_true(strlen(err.message) < sizeof(err.message) - 1);

	/* A long unknown key: clipped too. */
	memcpy(w + len - 2, "=v", 2);
	assert_null(vx_shorthand_parse("--filters", VX_T_FILTERS, words, 1, &err));
	assert_non_null(strstr(err.message, "unknown key 'kkk"));
	free(w);

	/* Bytes that are not UTF-8 or are control characters are shown as '?'. */
	expect_err(VX_T_FILTERS, W("Name=\xc3\x28,Values=x"),
	           N("not valid UTF-8", "got 'Name=?(,Values=x'"));
	expect_err(VX_T_PORT_RANGE, W("FromPort=\x01"), N("'FromPort=?'"));
	/* UTF-8 values are kept. */
	expect_ok(VX_T_FILTERS, W("Name=tag:名前,Values=ウェブ"),
	          "[{\"Name\":\"tag:名前\",\"Values\":[\"ウェブ\"]}]");
	/* A trailing lone backslash is kept literally. */
	expect_ok(VX_T_FILTERS, W("Name=a\\"), "[{\"Name\":\"a\\\\\"}]");
}

static void test_no_err_struct(void **state)
{
	(void)state;
	assert_null(vx_shorthand_parse("--opt", VX_T_INT, W("x"), NULL));
	assert_null(vx_shorthand_parse("--opt", VX_T_FILTERS, W("Name=\"x"), NULL));
	assert_null(vx_shorthand_parse("--opt", (enum vx_ptype)99, W("x"), NULL));
}

/* Random words from the syntax's alphabet: never a crash, a leak or an
 * error without its code; and what parses is what the type says. */
static void test_random_words(void **state)
{
	(void)state;
	static const char alphabet[] = "NameValuesKeyTagsFromPortId=,[]{}'\"\\ :.-_019x\xc3\xa9";
	static const enum vx_ptype types[] = {VX_T_PORT_RANGE, VX_T_DEST_OPTIONS, VX_T_FILTERS,
	                                      VX_T_TAG_SPECS,  VX_T_LB_TARGETS,   VX_T_STRING_LIST};
	uint32_t seed = 12345;
	char word[48];
	for (int iter = 0; iter < 200000; iter++) {
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 16) % (sizeof(word) - 1);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			word[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		word[len] = '\0';
		char *words[] = {word};
		enum vx_ptype t = types[iter % (int)(sizeof(types) / sizeof(types[0]))];
		struct vx_err err = {{0}, {0}};
		json_t *v = vx_shorthand_parse("--x", t, words, 1, &err);
		if (v) {
			if (t == VX_T_PORT_RANGE || t == VX_T_DEST_OPTIONS)
				assert_true(json_is_object(v));
			else
				assert_true(json_is_array(v));
			json_decref(v);
		} else {
			assert_string_equal(err.code, "InvalidParameterValue");
			json_t *m = json_string(err.message);
			assert_non_null(m);
			json_decref(m);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_string),
	    cmocka_unit_test(test_int),
	    cmocka_unit_test(test_bool),
	    cmocka_unit_test(test_string_list),
	    cmocka_unit_test(test_port_range),
	    cmocka_unit_test(test_port_range_json),
	    cmocka_unit_test(test_port_range_errors),
	    cmocka_unit_test(test_dest_options),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_filters_json),
	    cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_filters_errors),
	    cmocka_unit_test(test_tag_specs),
	    cmocka_unit_test(test_tag_specs_errors),
	    cmocka_unit_test(test_lb_targets),
	    cmocka_unit_test(test_ip_permissions),
	    cmocka_unit_test(test_acl_port_range_and_icmp),
	    cmocka_unit_test(test_nesting_bounded),
	    cmocka_unit_test(test_long_and_odd_text),
	    cmocka_unit_test(test_no_err_struct),
	    cmocka_unit_test(test_random_words),
	};
	return cmocka_run_group_tests_name("shorthand", tests, NULL, NULL);
}
