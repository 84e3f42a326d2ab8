/* The EC2 query API: form parsing (escapes, limits), the JSON request
 * rebuilt from the model's input shapes (nested lists and structures,
 * types, the errors of a bad parameter), the XML written from the output
 * shapes (lists, escaping, timestamps, text XML cannot carry), the error
 * document and statuses, and the server itself over a socket: a call, an
 * error, DryRun, the body limit, methods, SigV4 with the access key ID in
 * the audit log, checked against a test key and against the store's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "vxtap/action.h"
#include "vxtap/api.h"
#include "vxtap/sigv4.h"

/* ---- helpers ---- */

static struct vx_form form_of(const char *text)
{
	struct vx_form f = {0};
	struct vx_err err = {0};
	if (vx_form_parse(&f, text, strlen(text), &err) < 0)
		fail_msg("form '%s': %s: %s", text, err.code, err.message);
	return f;
}

/* The request for op built from the form text, compared with the expected
 * JSON (' for "). */
static void expect_request(const char *op_name, const char *form_text, const char *expected)
{
	const struct vx_ec2_operation *op = vx_ec2_operation(op_name);
	assert_non_null(op);
	struct vx_form f = form_of(form_text);
	struct vx_err err = {0};
	json_t *req = vx_query_request(op, &f, &err);
	if (!req)
		fail_msg("%s: %s: %s", form_text, err.code, err.message);
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", expected);
	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t je;
	json_t *want = json_loads(buf, 0, &je);
	if (!want)
		fail_msg("bad expected JSON: %s", je.text);
	char *got = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *exp = json_dumps(want, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (strcmp(got, exp))
		fail_msg("%s\n got  %s\n want %s", form_text, got, exp);
	free(got);
	free(exp);
	json_decref(want);
	json_decref(req);
	vx_form_free(&f);
}

static void expect_request_error(const char *op_name, const char *form_text, const char *code,
				 const char *message)
{
	const struct vx_ec2_operation *op = vx_ec2_operation(op_name);
	assert_non_null(op);
	struct vx_form f = form_of(form_text);
	struct vx_err err = {0};
	json_t *req = vx_query_request(op, &f, &err);
	if (req) {
		char *txt = json_dumps(req, JSON_COMPACT);
		fail_msg("%s: accepted as %s", form_text, txt);
	}
	assert_string_equal(err.code, code);
	if (message)
		assert_string_equal(err.message, message);
	vx_form_free(&f);
}

static void expect_form_error(const char *text, size_t len, const char *code)
{
	struct vx_form f = {0};
	struct vx_err err = {0};
	assert_int_equal(vx_form_parse(&f, text, len, &err), -1);
	assert_string_equal(err.code, code);
	vx_form_free(&f);
}

/* ---- form ---- */

static void test_form_decoding(void **state)
{
	(void)state;
	struct vx_form f = form_of("Action=Describe%54hing&Description=a+b%20c%2B%26%3D&&Empty=&Bare"
				   "&%C3%A9t%C3%A9=%e2%82%ac");
	assert_int_equal(f.n, 5);
	assert_string_equal(f.p[0].key, "Action");
	assert_string_equal(f.p[0].value, "DescribeThing");
	assert_string_equal(f.p[1].value, "a b c+&=");
	assert_string_equal(f.p[2].key, "Empty");
	assert_int_equal(f.p[2].value_len, 0);
	assert_string_equal(f.p[3].key, "Bare");
	assert_string_equal(f.p[4].key, "\xc3\xa9t\xc3\xa9");
	assert_string_equal(f.p[4].value, "\xe2\x82\xac");
	size_t n;
	assert_ptr_equal(vx_form_get(&f, "Empty", &n), &f.p[2]);
	assert_int_equal(n, 1);
	assert_null(vx_form_get(&f, "Nothing", &n));
	assert_int_equal(n, 0);
	/* A value may hold a NUL byte; its length says so. */
	struct vx_form g = form_of("A=x%00y");
	assert_int_equal(g.p[0].value_len, 3);
	vx_form_free(&g);
	vx_form_free(&f);
}

static void test_form_errors(void **state)
{
	(void)state;
	expect_form_error("A=%4", 4, "MalformedQueryString");
	expect_form_error("A=%zz", 5, "MalformedQueryString");
	expect_form_error("A%=1", 4, "MalformedQueryString");
	expect_form_error("=1", 2, "MalformedQueryString");
	expect_form_error("A%00B=1", 7, "MalformedQueryString");
	/* Names are bounded (VX_API_MAX_KEY bytes decoded). */
	char big[2048];
	memset(big, 'k', VX_API_MAX_KEY + 1);
	memcpy(big + VX_API_MAX_KEY + 1, "=1", 3);
	expect_form_error(big, strlen(big), "MalformedQueryString");
	memset(big, 'k', VX_API_MAX_KEY);
	memcpy(big + VX_API_MAX_KEY, "=1", 3);
	struct vx_form ok = form_of(big);
	vx_form_free(&ok);
	/* So is the parameter count, over the body and query string together. */
	size_t len = 0, cap = (VX_API_MAX_PARAMS + 1) * 8;
	char *text = malloc(cap);
	for (int i = 0; i < VX_API_MAX_PARAMS; i++)
		len += (size_t)sprintf(text + len, "%sa%d=", i ? "&" : "", i);
	struct vx_form f = {0};
	struct vx_err err = {0};
	assert_int_equal(vx_form_parse(&f, text, len, &err), 0);
	assert_int_equal(f.n, VX_API_MAX_PARAMS);
	assert_int_equal(vx_form_parse(&f, "one=more", 8, &err), -1);
	assert_string_equal(err.code, "InvalidQueryParameter");
	vx_form_free(&f);
	free(text);
}

/* ---- the JSON request ---- */

static void test_request_nested(void **state)
{
	(void)state;
	/* Lists of structures holding lists, indexes out of order and with
	 * gaps (taken in index order), as the SDKs send tags. */
	expect_request("CreateTrafficMirrorTarget",
		       "Action=CreateTrafficMirrorTarget&Version=2016-11-15"
		       "&NetworkInterfaceId=eni-1&Description=d"
		       "&TagSpecification.1.ResourceType=traffic-mirror-target"
		       "&TagSpecification.1.Tag.10.Key=k10&TagSpecification.1.Tag.10.Value=v10"
		       "&TagSpecification.1.Tag.2.Key=k2&TagSpecification.1.Tag.2.Value=v2"
		       "&TagSpecification.1.Tag.1.Key=k1"
		       "&DryRun=true&ClientToken=tok&X-Amz-Date=20260101T000000Z",
		       "{'NetworkInterfaceId':'eni-1','Description':'d','TagSpecifications':"
		       "[{'ResourceType':'traffic-mirror-target','Tags':[{'Key':'k1'},"
		       "{'Key':'k2','Value':'v2'},{'Key':'k10','Value':'v10'}]}],"
		       "'DryRun':true,'ClientToken':'tok'}");
	/* Structures with integers; members in the model's order. */
	expect_request("CreateTrafficMirrorFilterRule",
		       "SourceCidrBlock=0.0.0.0/0&TrafficMirrorFilterId=tmf-1&RuleNumber=10"
		       "&DestinationPortRange.ToPort=443&DestinationPortRange.FromPort=80"
		       "&Protocol=6&TrafficDirection=ingress&RuleAction=accept"
		       "&DestinationCidrBlock=10.0.0.0/8",
		       "{'TrafficMirrorFilterId':'tmf-1','TrafficDirection':'ingress',"
		       "'RuleNumber':10,'RuleAction':'accept',"
		       "'DestinationPortRange':{'FromPort':80,'ToPort':443},'Protocol':6,"
		       "'DestinationCidrBlock':'10.0.0.0/8','SourceCidrBlock':'0.0.0.0/0'}");
	/* Query names that differ from member names: Filter.N.Value.N. */
	expect_request("DescribeNetworkInterfaces",
		       "Filter.1.Name=description&Filter.1.Value.1=eth0&Filter.1.Value.2=lo"
		       "&Filter.2.Name=tag-key&NetworkInterfaceId.1=eni-a&MaxResults=5",
		       "{'MaxResults':5,'NetworkInterfaceIds':['eni-a'],'Filters':"
		       "[{'Name':'description','Values':['eth0','lo']},{'Name':'tag-key'}]}");
	/* Groups.N is UserIdGroupPairs; Icmp is IcmpTypeCode; booleans. */
	expect_request("AuthorizeSecurityGroupIngress",
		       "GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22"
		       "&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/8"
		       "&IpPermissions.1.IpRanges.1.Description=ssh"
		       "&IpPermissions.1.Groups.1.GroupId=sg-2"
		       "&IpPermissions.2.IpProtocol=-1&IpPermissions.2.Ipv6Ranges.1.CidrIpv6=::/0",
		       "{'GroupId':'sg-1','IpPermissions':[{'IpProtocol':'tcp','FromPort':22,"
		       "'ToPort':22,'UserIdGroupPairs':[{'GroupId':'sg-2'}],'IpRanges':"
		       "[{'Description':'ssh','CidrIp':'10.0.0.0/8'}]},{'IpProtocol':'-1',"
		       "'Ipv6Ranges':[{'CidrIpv6':'::/0'}]}]}");
	expect_request("CreateNetworkAclEntry",
		       "NetworkAclId=acl-1&RuleNumber=100&Protocol=1&RuleAction=allow&Egress=FALSE"
		       "&CidrBlock=0.0.0.0/0&Icmp.Type=8&Icmp.Code=-1",
		       "{'NetworkAclId':'acl-1','RuleNumber':100,'Protocol':'1',"
		       "'RuleAction':'allow','Egress':false,'CidrBlock':'0.0.0.0/0',"
		       "'IcmpTypeCode':{'Code':-1,'Type':8}}");
	expect_request("CreateFlowLogs",
		       "ResourceId.1=eni-1&ResourceId.2=eni-2&ResourceType=NetworkInterface"
		       "&DestinationOptions.FileFormat=parquet"
		       "&DestinationOptions.PerHourPartition=true&MaxAggregationInterval=60",
		       "{'ResourceIds':['eni-1','eni-2'],'ResourceType':'NetworkInterface',"
		       "'MaxAggregationInterval':60,'DestinationOptions':{'FileFormat':'parquet',"
		       "'PerHourPartition':true}}");
	/* NAME= is an empty list (the query protocol's form of []). */
	expect_request("ModifyNetworkInterfaceAttribute", "NetworkInterfaceId=eni-1&SecurityGroupId=",
		       "{'NetworkInterfaceId':'eni-1','Groups':[]}");
	/* Text is kept as sent, UTF-8 included. */
	expect_request("CreateTrafficMirrorFilter", "Description=%C3%A9+%3C%26%3E",
		       "{'Description':'\xc3\xa9 <&>'}");
	expect_request("DescribeTrafficMirrorTargets", "Action=DescribeTrafficMirrorTargets", "{}");
}

static void test_request_errors(void **state)
{
	(void)state;
	expect_request_error("CreateTrafficMirrorFilter", "Bogus=1", "UnknownParameter",
			     "The parameter Bogus is not recognized.");
	expect_request_error("CreateTrafficMirrorFilter", "TagSpecification.1.Bogus=1",
			     "UnknownParameter",
			     "The parameter TagSpecification.1.Bogus is not recognized.");
	/* Member names are case-sensitive, as EC2's. */
	expect_request_error("CreateTrafficMirrorFilter", "description=x", "UnknownParameter",
			     NULL);
	/* A scalar has no members. */
	expect_request_error("CreateTrafficMirrorFilter", "Description.1=x", "UnknownParameter",
			     NULL);
	/* Types. */
	expect_request_error("CreateTrafficMirrorFilterRule", "RuleNumber=ten",
			     "InvalidParameterValue",
			     "Value (ten) for parameter RuleNumber is invalid. Expected a 32-bit "
			     "integer.");
	expect_request_error("CreateTrafficMirrorFilterRule", "RuleNumber=2147483648",
			     "InvalidParameterValue", NULL);
	expect_request_error("CreateTrafficMirrorFilterRule", "RuleNumber=", "InvalidParameterValue",
			     NULL);
	expect_request_error("CreateTrafficMirrorFilterRule", "RuleNumber=1.5",
			     "InvalidParameterValue", NULL);
	expect_request_error("CreateTrafficMirrorFilterRule", "RuleNumber=+1",
			     "InvalidParameterValue", NULL);
	expect_request_error("CreateTrafficMirrorFilter", "DryRun=yes", "InvalidParameterValue",
			     "Value (yes) for parameter DryRun is invalid. Expected true or false.");
	expect_request_error("CreateTrafficMirrorFilter", "Description=%FF%FE",
			     "InvalidParameterValue",
			     "Value (?" "?) for parameter Description is invalid. Expected UTF-8 text.");
	expect_request_error("CreateTrafficMirrorFilter", "Description=a%00b",
			     "InvalidParameterValue", NULL);
	/* List indexes: 1 to VX_API_MAX_LIST_INDEX, decimal, no leading zero. */
	expect_request_error("DeleteFlowLogs", "FlowLogId.0=fl-1", "InvalidParameter", NULL);
	expect_request_error("DeleteFlowLogs", "FlowLogId.01=fl-1", "InvalidParameter", NULL);
	expect_request_error("DeleteFlowLogs", "FlowLogId.x=fl-1", "InvalidParameter", NULL);
	expect_request_error("DeleteFlowLogs", "FlowLogId.10001=fl-1", "InvalidParameter", NULL);
	expect_request_error("DeleteFlowLogs", "FlowLogId.99999999999999999999=fl-1",
			     "InvalidParameter", NULL);
	expect_request("DeleteFlowLogs", "FlowLogId.10000=fl-1", "{'FlowLogIds':['fl-1']}");
	/* Twice, or both a value and members. */
	expect_request_error("CreateTrafficMirrorFilter", "Description=a&Description=b",
			     "InvalidParameter",
			     "The parameter Description is given more than once, or both with a "
			     "value and with members.");
	expect_request_error("DeleteFlowLogs", "FlowLogId.1=a&FlowLogId.1=b", "InvalidParameter",
			     NULL);
	expect_request_error("DeleteFlowLogs", "FlowLogId.1=a&FlowLogId=", "InvalidParameter",
			     NULL);
	expect_request_error("CreateTrafficMirrorFilterRule", "DestinationPortRange=80",
			     "InvalidParameter", NULL);
	expect_request_error("DeleteFlowLogs", "FlowLogId=fl-1", "InvalidParameter", NULL);
}

/* Every action in the table has its model shapes, and every EC2 action of
 * the control plane is in the table. */
static void test_shape_table(void **state)
{
	(void)state;
	assert_int_equal(vx_ec2_n_operations, 37);
	for (size_t i = 0; i < vx_ec2_n_operations; i++) {
		const struct vx_ec2_operation *op = &vx_ec2_operations[i];
		assert_true(op->input >= 0 && (size_t)op->input < vx_ec2_n_shapes);
		assert_true(op->output < (int)vx_ec2_n_shapes);
		assert_int_equal(vx_ec2_shapes[op->input].type, VX_EC2_STRUCTURE);
		assert_ptr_equal(vx_ec2_operation(op->name), op);
	}
	for (size_t i = 0; i < vx_ec2_n_shapes; i++) {
		const struct vx_ec2_shape *sh = &vx_ec2_shapes[i];
		for (size_t m = 0; m < sh->n_members; m++)
			assert_true(sh->members[m].shape >= 0 &&
				    (size_t)sh->members[m].shape < vx_ec2_n_shapes);
		if (sh->type == VX_EC2_LIST)
			assert_non_null(sh->item);
	}
	assert_null(vx_ec2_operation("RunInstances"));
	assert_null(vx_ec2_operation("CreateLoadBalancer"));
	assert_non_null(vx_ec2_operation("ReplaceNetworkAclAssociation"));
}

/* ---- XML ---- */

static void expect_xml(const char *op_name, const char *resp_json, const char *body)
{
	const struct vx_ec2_operation *op = vx_ec2_operation(op_name);
	assert_non_null(op);
	char buf[8192];
	snprintf(buf, sizeof(buf), "%s", resp_json);
	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t je;
	json_t *resp = json_loads(buf, 0, &je);
	if (!resp)
		fail_msg("bad response JSON: %s", je.text);
	size_t len;
	char *xml = vx_xml_response(op, resp, "req-1", &len);
	assert_non_null(xml);
	assert_int_equal(strlen(xml), len);
	char want[8192];
	snprintf(want, sizeof(want),
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse "
		 "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n    "
		 "<requestId>req-1</requestId>%s\n</%sResponse>\n",
		 op_name, body, op_name);
	assert_string_equal(xml, want);
	free(xml);
	json_decref(resp);
}

static void test_xml_response(void **state)
{
	(void)state;
	/* Element names are the locationNames; lists hold <item>s; an empty
	 * list is an empty element; members not in the shape are left out. */
	expect_xml("DescribeTrafficMirrorTargets",
		   "{'TrafficMirrorTargets':[{'TrafficMirrorTargetId':'tmt-1',"
		   "'NetworkInterfaceId':'eni-1','Type':'network-interface',"
		   "'Description':'a <b> & \\u0027c\\u0027 \\\"d\\\"','OwnerId':'1',"
		   "'Tags':[{'Key':'k','Value':'v'}],'NotInTheModel':1}],"
		   "'NextToken':'vx-5','Extra':[]}",
		   "<trafficMirrorTargetSet><item><trafficMirrorTargetId>tmt-1"
		   "</trafficMirrorTargetId><networkInterfaceId>eni-1</networkInterfaceId>"
		   "<type>network-interface</type><description>a &lt;b&gt; &amp; 'c' \"d\""
		   "</description><ownerId>1</ownerId><tagSet><item><key>k</key><value>v</value>"
		   "</item></tagSet></item></trafficMirrorTargetSet><nextToken>vx-5</nextToken>");
	expect_xml("DescribeTrafficMirrorTargets", "{'TrafficMirrorTargets':[]}",
		   "<trafficMirrorTargetSet></trafficMirrorTargetSet>");
	/* Integers, booleans, nested structures, timestamps as EC2 sends them. */
	expect_xml("DescribeFlowLogs",
		   "{'FlowLogs':[{'CreationTime':'2026-11-25T11:29:03.194000+00:00',"
		   "'FlowLogId':'fl-1','MaxAggregationInterval':600,'DestinationOptions':"
		   "{'FileFormat':'plain-text','HiveCompatiblePartitions':true,"
		   "'PerHourPartition':false}},{'CreationTime':'yesterday'}]}",
		   "<flowLogSet><item><creationTime>2026-11-25T11:29:03.194Z</creationTime>"
		   "<flowLogId>fl-1</flowLogId><maxAggregationInterval>600"
		   "</maxAggregationInterval><destinationOptions><fileFormat>plain-text"
		   "</fileFormat><hiveCompatiblePartitions>true</hiveCompatiblePartitions>"
		   "<perHourPartition>false</perHourPartition></destinationOptions></item>"
		   "<item><creationTime>yesterday</creationTime></item></flowLogSet>");
	/* A member of the wrong JSON type is left out rather than mis-typed. */
	expect_xml("CreateTrafficMirrorSession",
		   "{'TrafficMirrorSession':{'TrafficMirrorSessionId':'tms-1','PacketLength':'x',"
		   "'SessionNumber':1,'VirtualNetworkId':7,'Tags':{}},'ClientToken':'c'}",
		   "<trafficMirrorSession><trafficMirrorSessionId>tms-1</trafficMirrorSessionId>"
		   "<sessionNumber>1</sessionNumber><virtualNetworkId>7</virtualNetworkId>"
		   "</trafficMirrorSession><clientToken>c</clientToken>");
	/* No output shape: EC2's <return>true</return>. */
	expect_xml("DeleteNetworkAcl", "{}", "<return>true</return>");
}

static void test_xml_text(void **state)
{
	(void)state;
	const struct vx_ec2_operation *op = vx_ec2_operation("CreateTrafficMirrorFilter");
	/* Text XML 1.0 cannot carry becomes U+FFFD; CR is kept as a reference. */
	json_t *resp = json_pack("{s:{s:s}}", "TrafficMirrorFilter", "Description",
				 "a\x01\tb\r\nc\xc3\xa9\xef\xbf\xbe");
	char *xml = vx_xml_response(op, resp, "r", NULL);
	assert_non_null(strstr(xml, "<description>a\xef\xbf\xbd\tb&#13;\nc\xc3\xa9\xef\xbf\xbd"
				    "</description>"));
	free(xml);
	json_decref(resp);
	/* Error messages may quote bytes that are not UTF-8. */
	size_t len;
	char *err = vx_xml_error("InvalidParameterValue", "bad \xff\xc3 <x>", "id-1", &len);
	assert_string_equal(err, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				 "<Response><Errors><Error><Code>InvalidParameterValue</Code>"
				 "<Message>bad \xef\xbf\xbd\xef\xbf\xbd &lt;x&gt;</Message></Error>"
				 "</Errors><RequestID>id-1</RequestID></Response>\n");
	assert_int_equal(len, strlen(err));
	free(err);
	/* Overlong, surrogate and out-of-range sequences are not UTF-8. */
	resp = json_object();
	json_t *f = json_object();
	json_object_set_new(f, "Description", json_stringn("x", 1));
	json_object_set_new(resp, "TrafficMirrorFilter", f);
	xml = vx_xml_response(op, resp, "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", NULL);
	assert_non_null(strstr(xml, "<requestId>\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				    "</requestId>"));
	free(xml);
	json_decref(resp);
}

static void test_error_status(void **state)
{
	(void)state;
	assert_int_equal(vx_api_error_status("DryRunOperation"), 412);
	assert_int_equal(vx_api_error_status("InvalidParameterValue"), 400);
	assert_int_equal(vx_api_error_status("TrafficMirrorTargetInUse"), 400);
	assert_int_equal(vx_api_error_status("InternalFailure"), 500);
	assert_int_equal(vx_api_error_status("AuthFailure"), 401);
	assert_int_equal(vx_api_error_status("SignatureDoesNotMatch"), 403);
	assert_int_equal(vx_api_error_status("RequestLimitExceeded"), 503);
}

static void test_parse_listen(void **state)
{
	(void)state;
	char addr[64];
	unsigned port;
	assert_int_equal(vx_api_parse_listen("4797", addr, sizeof(addr), &port), 0);
	assert_string_equal(addr, "127.0.0.1");
	assert_int_equal(port, 4797);
	assert_int_equal(vx_api_parse_listen("0.0.0.0:80", addr, sizeof(addr), &port), 0);
	assert_string_equal(addr, "0.0.0.0");
	assert_int_equal(port, 80);
	assert_int_equal(vx_api_parse_listen("[::1]:0", addr, sizeof(addr), &port), 0);
	assert_string_equal(addr, "::1");
	assert_int_equal(port, 0);
	const char *bad[] = {"", "x", "65536", "-1", "+1", "1.2.3.4:", "localhost:80", "::1:80",
			     "[::1]80", "[::1", "1.2.3.4:80x", "999.1.1.1:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vx_api_parse_listen(bad[i], addr, sizeof(addr), &port) == 0)
			fail_msg("'%s' accepted", bad[i]);
}

/* ---- the server over a socket ---- */

static char scratch[256], state_path[512];

static int secret_of(void *ctx, struct vx_store *st, const char *key_id, char *buf, size_t len)
{
	(void)ctx;
	(void)st;
	if (strcmp(key_id, "AKIDEXAMPLE"))
		return -1;
	snprintf(buf, len, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	return 0;
}

static struct vx_api *start(bool no_auth)
{
	struct vx_api_options o = {.state_path = state_path, .address = "127.0.0.1",
				   .no_auth = no_auth, .threads = 2};
	if (!no_auth)
		o.secret = secret_of;
	char why[256];
	struct vx_api *api = vx_api_start(&o, why, sizeof(why));
	if (!api)
		fail_msg("vx_api_start: %s", why);
	return api;
}

/* Send raw bytes, read the whole answer; the status, body in *body. */
static int exchange(unsigned port, const char *raw, size_t rawlen, char **body)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	for (size_t off = 0; off < rawlen;) {
		ssize_t n = send(fd, raw + off, rawlen - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	int status = 0;
	sscanf(buf, "HTTP/1.%*d %d", &status);
	char *b = strstr(buf, "\r\n\r\n");
	*body = strdup(b ? b + 4 : "");
	free(buf);
	return status;
}

static int post(unsigned port, const char *form, const char *extra_headers, char **body)
{
	char raw[16384];
	int n = snprintf(raw, sizeof(raw),
			 "POST / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n"
			 "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
			 "Content-Length: %zu\r\n%s\r\n%s",
			 port, strlen(form), extra_headers ? extra_headers : "", form);
	return exchange(port, raw, (size_t)n, body);
}

static int setup(void **state)
{
	(void)state;
	if (tu_tmp_make(scratch, sizeof(scratch), "api") < 0)
		return -1;
	tu_tmp_path(scratch, state_path, sizeof(state_path), "state.db");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_tmp_remove(scratch);
	return 0;
}

static void test_server_calls(void **state)
{
	(void)state;
	struct vx_api *api = start(true);
	unsigned port = vx_api_port(api);
	assert_true(port > 0);
	char *body;
	assert_int_equal(post(port,
			      "Action=CreateTrafficMirrorFilter&Version=2016-11-15"
			      "&Description=web+%26+dns&TagSpecification.1.ResourceType="
			      "traffic-mirror-filter&TagSpecification.1.Tag.1.Key=team"
			      "&TagSpecification.1.Tag.1.Value=net",
			      NULL, &body),
			 200);
	assert_non_null(strstr(body, "<CreateTrafficMirrorFilterResponse xmlns=\"http://ec2."
				     "amazonaws.com/doc/2016-11-15/\">"));
	assert_non_null(strstr(body, "<description>web &amp; dns</description>"));
	assert_non_null(strstr(body, "<tagSet><item><key>team</key><value>net</value></item>"
				     "</tagSet>"));
	free(body);
	/* GET with a query string. */
	char raw[1024];
	int n = snprintf(raw, sizeof(raw),
			 "GET /?Action=DescribeTrafficMirrorFilters&Version=2016-11-15 HTTP/1.1\r\n"
			 "Host: x\r\nConnection: close\r\n\r\n");
	assert_int_equal(exchange(port, raw, (size_t)n, &body), 200);
	assert_non_null(strstr(body, "<trafficMirrorFilterSet><item>"));
	free(body);
	/* The control plane's refusal, in EC2's error document. */
	assert_int_equal(post(port,
			      "Action=DeleteTrafficMirrorFilter&Version=2016-11-15"
			      "&TrafficMirrorFilterId=tmf-00000000000000000",
			      NULL, &body),
			 400);
	assert_non_null(strstr(body, "<Response><Errors><Error><Code>InvalidTrafficMirror"
				     "FilterId.NotFound</Code>"));
	assert_non_null(strstr(body, "</Errors><RequestID>"));
	free(body);
	/* DryRun: 412 DryRunOperation. */
	assert_int_equal(post(port, "Action=CreateTrafficMirrorFilter&Version=2016-11-15&DryRun=true",
			      NULL, &body),
			 412);
	assert_non_null(strstr(body, "<Code>DryRunOperation</Code>"));
	free(body);
	/* Protocol errors. */
	assert_int_equal(post(port, "Version=2016-11-15", NULL, &body), 400);
	assert_non_null(strstr(body, "<Code>MissingAction</Code>"));
	free(body);
	assert_int_equal(post(port, "Action=RunInstances&Version=2016-11-15", NULL, &body), 400);
	assert_non_null(strstr(body, "<Code>InvalidAction</Code>"));
	free(body);
	assert_int_equal(post(port, "Action=DescribeHost&Version=2016-11-15", NULL, &body), 400);
	assert_non_null(strstr(body, "<Code>InvalidAction</Code>"));
	free(body);
	assert_int_equal(post(port, "Action=DescribeFlowLogs", NULL, &body), 400);
	assert_non_null(strstr(body, "<Code>MissingParameter</Code>"));
	free(body);
	assert_int_equal(post(port, "Action=DescribeFlowLogs&Version=2014-01-01", NULL, &body), 400);
	assert_non_null(strstr(body, "<Code>NoSuchVersion</Code>"));
	free(body);
	assert_int_equal(post(port, "Action=DescribeFlowLogs&Version=2016-11-15&Bogus=1", NULL,
			      &body),
			 400);
	assert_non_null(strstr(body, "<Code>UnknownParameter</Code>"));
	free(body);
	assert_int_equal(post(port, "Action=DescribeFlowLogs&Version=2016-11-15&A=%G1", NULL, &body),
			 400);
	assert_non_null(strstr(body, "<Code>MalformedQueryString</Code>"));
	free(body);
	/* The body limit: refused from its Content-Length, before it is sent. */
	n = snprintf(raw, sizeof(raw),
		     "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
		     "application/x-www-form-urlencoded\r\nContent-Length: %u\r\n\r\n",
		     VX_API_MAX_BODY + 1);
	assert_int_equal(exchange(port, raw, (size_t)n, &body), 413);
	assert_non_null(strstr(body, "<Code>RequestEntityTooLarge</Code>"));
	free(body);
	/* Methods, paths and content types. */
	n = snprintf(raw, sizeof(raw), "DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_int_equal(exchange(port, raw, (size_t)n, &body), 405);
	free(body);
	n = snprintf(raw, sizeof(raw),
		     "GET /other?Action=DescribeFlowLogs HTTP/1.1\r\nHost: x\r\nConnection: "
		     "close\r\n\r\n");
	assert_int_equal(exchange(port, raw, (size_t)n, &body), 404);
	free(body);
	n = snprintf(raw, sizeof(raw),
		     "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
		     "application/json\r\nContent-Length: 2\r\n\r\n{}");
	assert_int_equal(exchange(port, raw, (size_t)n, &body), 415);
	free(body);
	vx_api_stop(api);

	/* The audit log names the caller: no authentication, the peer. */
	struct vx_store *st;
	struct vx_err err;
	assert_int_equal(vx_store_open(&st, state_path, &err), 0);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(st),
			   "SELECT principal, source, action FROM audit ORDER BY seq LIMIT 1", -1,
			   &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "anonymous");
	assert_memory_equal(sqlite3_column_text(s, 1), "ec2-api 127.0.0.1:", 18);
	assert_string_equal((const char *)sqlite3_column_text(s, 2), "CreateTrafficMirrorFilter");
	sqlite3_finalize(s);
	vx_store_close(st);
}

/* A signed request, as an SDK signs it. */
static int signed_post(unsigned port, const char *form, const char *key_id, const char *secret,
		       bool tamper, char **body)
{
	char host[64], date[32];
	snprintf(host, sizeof(host), "127.0.0.1:%u", port);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
	const char *names[] = {"Host", "X-Amz-Date", "Content-Type"};
	const char *values[] = {host, date, "application/x-www-form-urlencoded; charset=utf-8"};
	struct vx_sigv4_request r = {.method = "POST",
				     .path = "/",
				     .query = "",
				     .header_names = names,
				     .header_values = values,
				     .n_headers = 3,
				     .body = (const uint8_t *)form,
				     .body_len = strlen(form)};
	char auth[512];
	assert_int_equal(vx_sigv4_sign(&r, "content-type;host;x-amz-date", key_id, secret, date,
				       "us-east-1", "ec2", auth, sizeof(auth)),
			 0);
	char headers[1024];
	snprintf(headers, sizeof(headers), "X-Amz-Date: %s\r\nAuthorization: %s\r\n", date, auth);
	char sent[4096];
	snprintf(sent, sizeof(sent), "%s", form);
	if (tamper)
		sent[strlen(sent) - 1] ^= 1;
	char raw[8192];
	int n = snprintf(raw, sizeof(raw),
			 "POST / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
			 "Content-Type: %s\r\nContent-Length: %zu\r\n%s\r\n%s",
			 host, values[2], strlen(sent), headers, sent);
	return exchange(port, raw, (size_t)n, body);
}

static void test_server_sigv4(void **state)
{
	(void)state;
	struct vx_api *api = start(false);
	unsigned port = vx_api_port(api);
	const char *secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	const char *form = "Action=CreateTrafficMirrorFilter&Version=2016-11-15&Description=signed";
	char *body;
	assert_int_equal(signed_post(port, form, "AKIDEXAMPLE", secret, false, &body), 200);
	assert_non_null(strstr(body, "<description>signed</description>"));
	free(body);
	assert_int_equal(signed_post(port, form, "AKIDEXAMPLE", "wrong", false, &body), 403);
	assert_non_null(strstr(body, "<Code>SignatureDoesNotMatch</Code>"));
	free(body);
	assert_int_equal(signed_post(port, form, "AKIDEXAMPLE", secret, true, &body), 403);
	assert_non_null(strstr(body, "<Code>SignatureDoesNotMatch</Code>"));
	free(body);
	assert_int_equal(signed_post(port, form, "AKIDUNKNOWN", secret, false, &body), 401);
	assert_non_null(strstr(body, "<Code>AuthFailure</Code>"));
	free(body);
	/* Unsigned: refused before the action is even looked at. */
	assert_int_equal(post(port, "Action=RunInstances&Version=2016-11-15", NULL, &body), 400);
	assert_null(strstr(body, "<Code>InvalidAction</Code>"));
	free(body);
	vx_api_stop(api);

	struct vx_store *st;
	struct vx_err err;
	assert_int_equal(vx_store_open(&st, state_path, &err), 0);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(st), "SELECT principal FROM audit", -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "AKIDEXAMPLE");
	assert_int_equal(sqlite3_step(s), SQLITE_DONE); /* refused calls never ran */
	sqlite3_finalize(s);
	vx_store_close(st);
}

/* Without a secret callback, the store's access keys sign. */
static void test_server_store_keys(void **state)
{
	(void)state;
	struct vx_store *st;
	struct vx_err err;
	assert_int_equal(vx_store_open(&st, state_path, &err), 0);
	json_t *req = json_pack("{s:s}", "UserName", "api"), *resp = NULL;
	struct vx_caller caller = {"test", "test"};
	assert_int_equal(vx_action_invoke(st, vx_action_by_name("CreateAccessKey"), req, &caller,
					  &resp, &err),
			 0);
	char key_id[64], secret[64];
	snprintf(key_id, sizeof(key_id), "%s",
		 json_string_value(json_object_get(json_object_get(resp, "AccessKey"),
						   "AccessKeyId")));
	snprintf(secret, sizeof(secret), "%s",
		 json_string_value(json_object_get(json_object_get(resp, "AccessKey"),
						   "SecretAccessKey")));
	json_decref(req);
	json_decref(resp);
	vx_store_close(st);

	struct vx_api_options o = {.state_path = state_path, .address = "127.0.0.1"};
	char why[256];
	struct vx_api *api = vx_api_start(&o, why, sizeof(why));
	assert_non_null(api);
	const char *form = "Action=DescribeTrafficMirrorTargets&Version=2016-11-15";
	char *body;
	assert_int_equal(signed_post(vx_api_port(api), form, key_id, secret, false, &body), 200);
	assert_non_null(strstr(body, "<trafficMirrorTargetSet></trafficMirrorTargetSet>"));
	free(body);
	/* The test's fixed key is not the store's. */
	assert_int_equal(signed_post(vx_api_port(api), form, "AKIDEXAMPLE",
				     "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", false, &body),
			 401);
	assert_non_null(strstr(body, "<Code>AuthFailure</Code>"));
	free(body);
	vx_api_stop(api);
}

static void test_server_refusals(void **state)
{
	(void)state;
	char why[256];
	struct vx_api_options o = {.state_path = state_path, .address = "0.0.0.0", .no_auth = true};
	assert_null(vx_api_start(&o, why, sizeof(why)));
	assert_non_null(strstr(why, "loopback"));
	/* A port in use. */
	struct vx_api *a = start(true);
	o = (struct vx_api_options){.state_path = state_path, .address = "127.0.0.1",
				    .port = vx_api_port(a), .no_auth = true};
	assert_null(vx_api_start(&o, why, sizeof(why)));
	assert_non_null(strstr(why, "cannot listen"));
	vx_api_stop(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_decoding),
		cmocka_unit_test(test_form_errors),
		cmocka_unit_test(test_request_nested),
		cmocka_unit_test(test_request_errors),
		cmocka_unit_test(test_shape_table),
		cmocka_unit_test(test_xml_response),
		cmocka_unit_test(test_xml_text),
		cmocka_unit_test(test_error_status),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test_setup_teardown(test_server_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_sigv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_store_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
