/* Control-plane unit tests: every validation rule of the actions in
 * src/control, called through vx_action_invoke as the CLI calls them, with
 * the exact error code and message each rule gives; and the
 * invoke-level behaviour (DryRun, ClientToken, audit, generation, describe
 * paging, export/apply). Each test gets a fresh store in a scratch dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vxtap/action.h"
#include "vxtap/config.h"
#include "vxtap/store.h"

/* An object ID or ARN copied out of a response. */
typedef char vxid[200];

static struct vx_store *st;
static char scratch[256];

/* ---- helpers ---- */

/* printf into one of a ring of static buffers (expected messages, IDs). */
__attribute__((format(printf, 1, 2))) static const char *S(const char *fmt, ...)
{
	static char bufs[16][4096];
	static unsigned next;
	char *b = bufs[next++ % 16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

static json_t *vJ(const char *fmt, va_list ap)
{
	static char buf[65536];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t e;
	json_t *v = json_loads(buf, 0, &e);
	if (!v)
		fail_msg("bad JSON in the test: %s: %s", buf, e.text);
	return v;
}

/* A JSON object from printf-style text in which ' stands for ". */
__attribute__((format(printf, 1, 2))) static json_t *J(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *v = vJ(fmt, ap);
	va_end(ap);
	return v;
}

/* obj with the members of the J-text laid over it; a null member deletes. */
__attribute__((format(printf, 2, 3))) static json_t *with(json_t *obj, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *over = vJ(fmt, ap);
	va_end(ap);
	const char *k;
	json_t *v;
	json_object_foreach(over, k, v)
	{
		if (json_is_null(v))
			json_object_del(obj, k);
		else
			json_object_set(obj, k, v);
	}
	json_decref(over);
	return obj;
}

/* Run an action (takes req); the response, or NULL with err set. */
static json_t *call(const char *action, json_t *req, struct vx_err *err)
{
	const struct vx_action *a = vx_action_by_name(action);
	if (!a)
		fail_msg("no action %s", action);
	static const struct vx_caller caller = {"uid=0(test)", "unit"};
	json_t *resp = NULL;
	memset(err, 0, sizeof(*err));
	int rc = vx_action_invoke(st, a, req, &caller, &resp, err);
	json_decref(req);
	if (rc < 0) {
		assert_null(resp);
		assert_true(err->code[0] != '\0');
		return NULL;
	}
	assert_non_null(resp);
	return resp;
}

/* Run an action that must succeed; the response. */
static json_t *ok(const char *action, json_t *req)
{
	struct vx_err err;
	char txt[4096];
	char *d = json_dumps(req, JSON_COMPACT);
	snprintf(txt, sizeof(txt), "%s", d ? d : "?");
	free(d);
	json_t *resp = call(action, req, &err);
	if (!resp)
		fail_msg("%s %s failed: %s: %s", action, txt, err.code, err.message);
	return resp;
}

/* Run an action that succeeds and drop the response. */
static void ok0(const char *action, json_t *req)
{
	json_decref(ok(action, req));
}

/* Run an action that must fail with exactly this code and message, and
 * change nothing: the generation stays where it was. */
static void expect_error(const char *action, json_t *req, const char *code, const char *message)
{
	int64_t gen = vx_store_generation(st);
	struct vx_err err;
	json_t *resp = call(action, req, &err);
	if (resp) {
		char *txt = json_dumps(resp, JSON_COMPACT);
		json_decref(resp);
		fail_msg("%s succeeded, expected %s: %s", action, code, txt);
	}
	assert_string_equal(err.code, code);
	assert_string_equal(err.message, message);
	assert_int_equal(vx_store_generation(st), gen);
}

/* The value at a dotted path ("TrafficMirrorFilter.TrafficMirrorFilterId"). */
static json_t *at(json_t *o, const char *path)
{
	char key[128];
	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		o = json_object_get(o, key);
		path = dot ? dot + 1 : path + n;
	}
	return o;
}

static const char *jstr(json_t *o, const char *path)
{
	const char *s = json_string_value(at(o, path));
	if (!s)
		fail_msg("no string at %s", path);
	return s;
}

static long long jint(json_t *o, const char *path)
{
	json_t *v = at(o, path);
	if (!json_is_integer(v))
		fail_msg("no integer at %s", path);
	return json_integer_value(v);
}

/* Copy the string at path out of resp into out, then drop resp. */
static void take(vxid out, json_t *resp, const char *path)
{
	snprintf(out, sizeof(vxid), "%s", jstr(resp, path));
	json_decref(resp);
}

/* The number of items in a describe list. */
static size_t count(const char *action, const char *list)
{
	json_t *r = ok(action, J("{}"));
	size_t n = json_array_size(json_object_get(r, list));
	json_decref(r);
	return n;
}

/* The last audit line: its action and its result JSON. */
static void last_audit(char *action, size_t alen, char *result, size_t rlen)
{
	sqlite3_stmt *s;
	assert_int_equal(
	    sqlite3_prepare_v2(vx_store_db(st),
	                       "SELECT action, result FROM audit ORDER BY seq DESC LIMIT 1", -1, &s,
	                       NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(action, alen, "%s", (const char *)sqlite3_column_text(s, 0));
	snprintf(result, rlen, "%s", (const char *)sqlite3_column_text(s, 1));
	sqlite3_finalize(s);
}

static long long audit_rows(void)
{
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(st), "SELECT COUNT(*) FROM audit", -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	long long n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* A string of n copies of c (static ring like S). */
static const char *rep(char c, size_t n)
{
	static char bufs[4][1024];
	static unsigned next;
	char *b = bufs[next++ % 4];
	assert_true(n < sizeof(bufs[0]));
	memset(b, c, n);
	b[n] = '\0';
	return b;
}

/* ---- fixtures ---- */

static int open_store(const char *name)
{
	char path[400];
	struct vx_err err;
	tu_tmp_path(scratch, path, sizeof(path), name);
	if (vx_store_open(&st, path, &err) < 0) {
		fprintf(stderr, "open %s: %s: %s\n", path, err.code, err.message);
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (tu_tmp_make(scratch, sizeof(scratch), "control") < 0 || open_store("state.db") < 0)
		return -1;
	/* The first call syncs the host's interfaces; tests start after it. */
	struct vx_err err;
	json_t *r = call("DescribeNetworkInterfaces", json_object(), &err);
	json_decref(r);
	return r ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vx_store_close(st);
	st = NULL;
	return tu_tmp_remove(scratch);
}

/* The eni- ID of the host's loopback interface. */
static void lo_eni(vxid out)
{
	json_t *r = ok("DescribeNetworkInterfaces",
	               J("{'Filters':[{'Name':'description','Values':['lo']}]}"));
	json_t *list = json_object_get(r, "NetworkInterfaces");
	assert_int_equal(json_array_size(list), 1);
	take(out, json_incref(json_array_get(list, 0)), "NetworkInterfaceId");
	json_decref(r);
}

/* Whether lo has an IPv4 address (it can be a target only then). */
static bool lo_has_ipv4(void)
{
	json_t *r = ok("DescribeNetworkInterfaces",
	               J("{'Filters':[{'Name':'description','Values':['lo']}]}"));
	bool has = json_is_string(
	    at(json_array_get(json_object_get(r, "NetworkInterfaces"), 0), "PrivateIpAddress"));
	json_decref(r);
	return has;
}

static void make_remote_eni(vxid out, const char *ip)
{
	take(out, ok("CreateNetworkInterface", J("{'PrivateIpAddress':'%s'}", ip)),
	     "NetworkInterface.NetworkInterfaceId");
}

/* A target on a new remote interface at ip. */
static void make_eni_target(vxid out, const char *ip)
{
	vxid eni;
	make_remote_eni(eni, ip);
	take(out, ok("CreateTrafficMirrorTarget", J("{'NetworkInterfaceId':'%s'}", eni)),
	     "TrafficMirrorTarget.TrafficMirrorTargetId");
}

static void make_lb(vxid out, const char *name)
{
	json_t *r =
	    ok("CreateLoadBalancer",
	       J("{'Name':'%s','Targets':[{'Id':'192.0.2.50'},{'Id':'192.0.2.51','Port':4790}]}",
	         name));
	take(out, json_incref(json_array_get(json_object_get(r, "LoadBalancers"), 0)),
	     "LoadBalancerArn");
	json_decref(r);
}

static void make_nlb_target(vxid out, const char *lb_name)
{
	vxid arn;
	make_lb(arn, lb_name);
	take(out, ok("CreateTrafficMirrorTarget", J("{'NetworkLoadBalancerArn':'%s'}", arn)),
	     "TrafficMirrorTarget.TrafficMirrorTargetId");
}

static void make_filter(vxid out)
{
	take(out, ok("CreateTrafficMirrorFilter", J("{}")),
	     "TrafficMirrorFilter.TrafficMirrorFilterId");
}

/* A valid CreateTrafficMirrorFilterRule request (ingress #10, all IPv4),
 * with the members of extra ("'RuleNumber':0") laid over it. */
static json_t *rule(const char *tmf, const char *extra)
{
	json_t *r = J("{'TrafficMirrorFilterId':'%s','TrafficDirection':'ingress','RuleNumber':10,"
	              "'RuleAction':'accept','SourceCidrBlock':'0.0.0.0/0',"
	              "'DestinationCidrBlock':'0.0.0.0/0'}",
	              tmf);
	return with(r, "{%s}", extra);
}

static void make_rule(vxid out, const char *tmf, const char *extra)
{
	take(out, ok("CreateTrafficMirrorFilterRule", rule(tmf, extra)),
	     "TrafficMirrorFilterRule.TrafficMirrorFilterRuleId");
}

/* A valid CreateTrafficMirrorSession request with extra laid over it. */
static json_t *session(const char *eni, const char *tmt, const char *tmf, int number,
                       const char *extra)
{
	json_t *r = J("{'NetworkInterfaceId':'%s','TrafficMirrorTargetId':'%s',"
	              "'TrafficMirrorFilterId':'%s','SessionNumber':%d}",
	              eni, tmt, tmf, number);
	return with(r, "{%s}", extra);
}

static void make_session(vxid out, const char *eni, const char *tmt, const char *tmf, int number,
                         const char *extra)
{
	take(out, ok("CreateTrafficMirrorSession", session(eni, tmt, tmf, number, extra)),
	     "TrafficMirrorSession.TrafficMirrorSessionId");
}

/* Sessions need a source, a target and a filter. */
struct mirror {
	vxid lo, tmt, tmf;
};

static void make_mirror(struct mirror *m)
{
	lo_eni(m->lo);
	make_eni_target(m->tmt, "192.0.2.10");
	make_filter(m->tmf);
}

/* Replace the store's objects with host interfaces named <prefix><i> (not on
 * this machine: they show as detached) with IDs eni-…a00+i. ApplyState is how
 * a store learns interfaces it cannot see, e.g. restoring another host's
 * export; it lets the limits on sources be tested without root or veths. */
static void apply_host_interfaces(const char *prefix, int n)
{
	json_t *list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, J("{'NetworkInterfaceId':'eni-%017x','Kind':'host',"
		                              "'InterfaceName':'%s%d','Description':'%s%d'}",
		                              0xa00 + i, prefix, i, prefix, i));
	json_t *req = J("{'State':{'Version':1}}");
	json_object_set_new(json_object_get(req, "State"), "NetworkInterfaces", list);
	ok0("ApplyState", req);
}

static const char NOT_A_FILTER[] = "tmf-0123456789abcdef0";
static const char NOT_A_TARGET[] = "tmt-0123456789abcdef0";
static const char NOT_A_RULE[] = "tmfr-0123456789abcdef0";
static const char NOT_A_SESSION[] = "tms-0123456789abcdef0";
static const char NOT_AN_ENI[] = "eni-0123456789abcdef0";

/* ---- filter rules ---- */

static void test_rule_number_range_1_to_32766(void **state)
{
	(void)state;
	vxid f;
	make_filter(f);
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':0"),
	             "InvalidParameterValue",
	             "Value (0) for parameter RuleNumber is invalid. Allowed: 1-32766.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':32767"),
	             "InvalidParameterValue",
	             "Value (32767) for parameter RuleNumber is invalid. Allowed: 1-32766.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':-1"),
	             "InvalidParameterValue",
	             "Value (-1) for parameter RuleNumber is invalid. Allowed: 1-32766.");
	json_t *r = ok("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':1"));
	assert_int_equal(jint(r, "TrafficMirrorFilterRule.RuleNumber"), 1);
	json_decref(r);
	r = ok("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':32766"));
	assert_int_equal(jint(r, "TrafficMirrorFilterRule.RuleNumber"), 32766);
	json_decref(r);
}

static void test_rule_number_unique_per_direction(void **state)
{
	(void)state;
	vxid f, first;
	make_filter(f);
	make_rule(first, f, "'RuleNumber':10");
	expect_error(
	    "CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':10"),
	    "TrafficMirrorFilterRuleAlreadyExists",
	    S("Rule number 10 is already used in the ingress rules of %s by %s.", f, first));
	/* The same number in the other direction is another rule. */
	json_t *r = ok("CreateTrafficMirrorFilterRule",
	               rule(f, "'RuleNumber':10,'TrafficDirection':'egress'"));
	assert_string_equal(jstr(r, "TrafficMirrorFilterRule.TrafficDirection"), "egress");
	json_decref(r);
	/* And the same number in another filter. */
	vxid g;
	make_filter(g);
	ok0("CreateTrafficMirrorFilterRule", rule(g, "'RuleNumber':10"));
}

static void test_rule_limit_10_per_filter_in_total(void **state)
{
	(void)state;
	vxid f, g, r;
	make_filter(f);
	for (int i = 1; i <= 5; i++) {
		make_rule(r, f, S("'RuleNumber':%d", i));
		make_rule(r, f, S("'RuleNumber':%d,'TrafficDirection':'egress'", i));
	}
	const char *msg = S("Filter %s already has 10 rules, the most a filter may have.", f);
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':6"),
	             "TrafficMirrorFilterRuleLimitExceeded", msg);
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'RuleNumber':6,'TrafficDirection':'egress'"),
	             "TrafficMirrorFilterRuleLimitExceeded", msg);
	/* Another filter is not affected; a deleted rule frees a place. */
	make_filter(g);
	ok0("CreateTrafficMirrorFilterRule", rule(g, "'RuleNumber':6"));
	ok0("DeleteTrafficMirrorFilterRule", J("{'TrafficMirrorFilterRuleId':'%s'}", r));
	ok0("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':6"));
}

static void test_rule_direction_and_action_values(void **state)
{
	(void)state;
	vxid f;
	make_filter(f);
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'TrafficDirection':'INGRESS'"),
	             "InvalidParameterValue",
	             "Value (INGRESS) for parameter TrafficDirection is invalid. Allowed: ingress, "
	             "egress.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'TrafficDirection':'both'"),
	             "InvalidParameterValue",
	             "Value (both) for parameter TrafficDirection is invalid. Allowed: ingress, "
	             "egress.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'RuleAction':'allow'"),
	             "InvalidParameterValue",
	             "Value (allow) for parameter RuleAction is invalid. Allowed: accept, reject.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'RuleAction':''"),
	             "InvalidParameterValue",
	             "Value () for parameter RuleAction is invalid. Allowed: accept, reject.");
	json_t *r = ok("CreateTrafficMirrorFilterRule",
	               rule(f, "'RuleAction':'reject','TrafficDirection':'egress'"));
	assert_string_equal(jstr(r, "TrafficMirrorFilterRule.RuleAction"), "reject");
	json_decref(r);
}

static void test_rule_protocol_0_to_255(void **state)
{
	(void)state;
	vxid f;
	make_filter(f);
	const char *allowed = "Allowed: an IANA protocol number 0-255 (omit for all).";
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'Protocol':-1"),
	             "InvalidParameterValue",
	             S("Value (-1) for parameter Protocol is invalid. %s", allowed));
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'Protocol':256"),
	             "InvalidParameterValue",
	             S("Value (256) for parameter Protocol is invalid. %s", allowed));
	json_t *r = ok("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':1,'Protocol':0"));
	assert_int_equal(jint(r, "TrafficMirrorFilterRule.Protocol"), 0);
	json_decref(r);
	r = ok("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':2,'Protocol':255"));
	assert_int_equal(jint(r, "TrafficMirrorFilterRule.Protocol"), 255);
	json_decref(r);
	/* Omitted: all protocols, and no Protocol member in the output. */
	r = ok("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':3"));
	assert_null(at(r, "TrafficMirrorFilterRule.Protocol"));
	json_decref(r);
}

static void test_rule_cidr_syntax(void **state)
{
	(void)state;
	vxid f;
	make_filter(f);
	static const struct {
		const char *cidr, *why;
	} bad[] = {
	    {"10.0.0.0", "a CIDR block is an address, '/', a prefix length"},
	    {"10.0.0.256/32", "'10.0.0.256' is not an IPv4 or IPv6 address"},
	    {"example.com/8", "'example.com' is not an IPv4 or IPv6 address"},
	    {"/8", "'' is not an IPv4 or IPv6 address"},
	    {"10.0.0.0/33", "the prefix length must be 0-32"},
	    {"10.0.0.0/", "the prefix length must be 0-32"},
	    {"10.0.0.0/08", "the prefix length must be 0-32"},
	    {"10.0.0.0/-8", "the prefix length must be 0-32"},
	    {"::/129", "the prefix length must be 0-128"},
	    {"10.0.0.1/16", "host bits are set (the network is 10.0.0.0/16)"},
	    {"2001:db8::1/32", "host bits are set (the network is 2001:db8::/32)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool v6 = strchr(bad[i].cidr, ':') != NULL;
		const char *other = v6 ? "::/0" : "0.0.0.0/0";
		expect_error("CreateTrafficMirrorFilterRule",
		             rule(f, S("'DestinationCidrBlock':'%s','SourceCidrBlock':'%s'",
		                       bad[i].cidr, other)),
		             "InvalidParameterValue",
		             S("Value (%s) for parameter DestinationCidrBlock is invalid. This is "
		               "not a valid CIDR block: %s.",
		               bad[i].cidr, bad[i].why));
		expect_error("CreateTrafficMirrorFilterRule",
		             rule(f, S("'SourceCidrBlock':'%s','DestinationCidrBlock':'%s'",
		                       bad[i].cidr, other)),
		             "InvalidParameterValue",
		             S("Value (%s) for parameter SourceCidrBlock is invalid. This is not a "
		               "valid CIDR block: %s.",
		               bad[i].cidr, bad[i].why));
	}
	json_t *r =
	    ok("CreateTrafficMirrorFilterRule",
	       rule(f, "'SourceCidrBlock':'10.0.0.0/8','DestinationCidrBlock':'10.1.2.3/32'"));
	assert_string_equal(jstr(r, "TrafficMirrorFilterRule.DestinationCidrBlock"), "10.1.2.3/32");
	json_decref(r);
	ok0("CreateTrafficMirrorFilterRule",
	    rule(f, "'RuleNumber':11,'SourceCidrBlock':'2001:db8::/32',"
	            "'DestinationCidrBlock':'::/0'"));
}

static void test_rule_cidr_families_must_match(void **state)
{
	(void)state;
	vxid f;
	make_filter(f);
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'SourceCidrBlock':'10.0.0.0/8','DestinationCidrBlock':'::/0'"),
	             "InvalidParameterCombination",
	             "SourceCidrBlock (10.0.0.0/8) and DestinationCidrBlock (::/0) must both be "
	             "IPv4 or both be IPv6.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'SourceCidrBlock':'::/0','DestinationCidrBlock':'0.0.0.0/0'"),
	             "InvalidParameterCombination",
	             "SourceCidrBlock (::/0) and DestinationCidrBlock (0.0.0.0/0) must both be "
	             "IPv4 or both be IPv6.");
}

static void test_rule_port_ranges(void **state)
{
	(void)state;
	vxid f;
	make_filter(f);
	expect_error(
	    "CreateTrafficMirrorFilterRule",
	    rule(f, "'Protocol':6,'DestinationPortRange':{'FromPort':100,'ToPort':50}"),
	    "InvalidParameterValue",
	    "Value (100-50) for parameter DestinationPortRange is invalid. FromPort must not "
	    "be greater than ToPort.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'Protocol':17,'SourcePortRange':{'FromPort':2,'ToPort':1}"),
	             "InvalidParameterValue",
	             "Value (2-1) for parameter SourcePortRange is invalid. FromPort must not be "
	             "greater than ToPort.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'Protocol':6,'DestinationPortRange':{'FromPort':1,'ToPort':65536}"),
	             "InvalidParameterValue",
	             "Value (65536) for parameter DestinationPortRange.ToPort is invalid. Allowed: "
	             "0-65535.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'Protocol':6,'SourcePortRange':{'FromPort':65536,'ToPort':65536}"),
	             "InvalidParameterValue",
	             "Value (65536) for parameter SourcePortRange.FromPort is invalid. Allowed: "
	             "0-65535.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'Protocol':6,'DestinationPortRange':{'FromPort':-1,'ToPort':80}"),
	             "InvalidParameterValue",
	             "Value (-1) for parameter DestinationPortRange.FromPort is invalid. Allowed: "
	             "0-65535.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'DestinationPortRange':{'FromPort':80,'ToPort':80}"),
	             "InvalidParameterCombination",
	             "DestinationPortRange is allowed only with Protocol 6 (TCP) or 17 (UDP); "
	             "Protocol is not set (all protocols).");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'Protocol':1,'DestinationPortRange':{'FromPort':80,'ToPort':80}"),
	             "InvalidParameterCombination",
	             "DestinationPortRange is allowed only with Protocol 6 (TCP) or 17 (UDP); "
	             "Protocol is 1.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'Protocol':1,'SourcePortRange':{'FromPort':80,'ToPort':80}"),
	             "InvalidParameterCombination",
	             "SourcePortRange is allowed only with Protocol 6 (TCP) or 17 (UDP); Protocol "
	             "is 1.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'Protocol':6,'DestinationPortRange':{'ToPort':80}"),
	             "MissingParameter",
	             "The request must contain the parameter DestinationPortRange.FromPort.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'Protocol':6,'SourcePortRange':{'FromPort':80}"), "MissingParameter",
	             "The request must contain the parameter SourcePortRange.ToPort.");
	json_t *r = ok("CreateTrafficMirrorFilterRule",
	               rule(f, "'Protocol':6,'DestinationPortRange':{'FromPort':0,'ToPort':65535},"
	                       "'SourcePortRange':{'FromPort':443,'ToPort':443}"));
	assert_int_equal(jint(r, "TrafficMirrorFilterRule.DestinationPortRange.FromPort"), 0);
	assert_int_equal(jint(r, "TrafficMirrorFilterRule.DestinationPortRange.ToPort"), 65535);
	assert_int_equal(jint(r, "TrafficMirrorFilterRule.SourcePortRange.FromPort"), 443);
	json_decref(r);
	ok0("CreateTrafficMirrorFilterRule",
	    rule(f, "'RuleNumber':11,'Protocol':17,'DestinationPortRange':{'FromPort':53,'ToPort':"
	            "53}"));
}

static void test_rule_request_shape(void **state)
{
	(void)state;
	vxid f;
	make_filter(f);
	static const char *const required[] = {
	    "TrafficMirrorFilterId", "TrafficDirection", "RuleNumber", "RuleAction",
	    "DestinationCidrBlock",  "SourceCidrBlock"};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		expect_error("CreateTrafficMirrorFilterRule", rule(f, S("'%s':null", required[i])),
		             "MissingParameter",
		             S("The request must contain the parameter %s.", required[i]));
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'Priority':1"), "UnknownParameter",
	             "The parameter Priority is not recognized.");
	expect_error(
	    "CreateTrafficMirrorFilterRule",
	    rule(f, "'Protocol':6,'DestinationPortRange':{'FromPort':1,'ToPort':2,'Step':1}"),
	    "UnknownParameter", "The parameter DestinationPortRange.Step is not recognized.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':'10'"),
	             "InvalidParameterValue",
	             "Value (\"10\") for parameter RuleNumber is invalid. Expected an integer.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'RuleNumber':1.5"),
	             "InvalidParameterValue",
	             "Value (1.5) for parameter RuleNumber is invalid. Expected an integer.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'TrafficDirection':1"),
	             "InvalidParameterValue",
	             "Value (1) for parameter TrafficDirection is invalid. Expected a string.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'Protocol':6,'DestinationPortRange':{'FromPort':'80','ToPort':80}"),
	             "InvalidParameterValue",
	             "Value (\"80\") for parameter DestinationPortRange.FromPort is invalid. "
	             "Expected an integer.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, "'Protocol':6,'DestinationPortRange':[80,80]"),
	             "InvalidParameterValue",
	             "Value ([80,80]) for parameter DestinationPortRange is invalid. Expected a "
	             "structure.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'DryRun':'yes'"),
	             "InvalidParameterValue",
	             "Value (\"yes\") for parameter DryRun is invalid. Expected true or false.");
	expect_error("CreateTrafficMirrorFilterRule", json_array(), "InvalidParameterValue",
	             "The request must be a JSON object.");
	expect_error("CreateTrafficMirrorFilterRule",
	             rule(f, S("'Description':'%s'", rep('d', 256))), "InvalidParameterValue",
	             S("Value (%s) for parameter Description is invalid. A description has at most "
	               "255 characters.",
	               rep('d', 256)));
	assert_int_equal(count("DescribeTrafficMirrorFilters", "TrafficMirrorFilters"), 1);
	json_t *r = ok("DescribeTrafficMirrorFilters", J("{}"));
	assert_int_equal(json_array_size(at(json_array_get(at(r, "TrafficMirrorFilters"), 0),
	                                    "IngressFilterRules")),
	                 0);
	json_decref(r);
}

static void test_rule_unknown_or_malformed_filter_id(void **state)
{
	(void)state;
	expect_error("CreateTrafficMirrorFilterRule", rule(NOT_A_FILTER, ""),
	             "InvalidTrafficMirrorFilterId.NotFound",
	             S("The traffic mirror filter ID '%s' does not exist.", NOT_A_FILTER));
	expect_error("CreateTrafficMirrorFilterRule", rule("tmf-XYZ", ""),
	             "InvalidTrafficMirrorFilterId.NotFound",
	             "The traffic mirror filter ID 'tmf-XYZ' does not exist.");
	expect_error("CreateTrafficMirrorFilterRule", rule("tmt-0123456789abcdef0", ""),
	             "InvalidTrafficMirrorFilterId.NotFound",
	             "The traffic mirror filter ID 'tmt-0123456789abcdef0' does not exist.");
	vxid f;
	make_filter(f);
	ok0("DeleteTrafficMirrorFilter", J("{'TrafficMirrorFilterId':'%s'}", f));
	expect_error("CreateTrafficMirrorFilterRule", rule(f, ""),
	             "InvalidTrafficMirrorFilterId.NotFound",
	             S("The traffic mirror filter ID '%s' does not exist.", f));
	expect_error("DeleteTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s'}", NOT_A_RULE),
	             "InvalidTrafficMirrorFilterRuleId.NotFound",
	             S("The traffic mirror filter rule ID '%s' does not exist.", NOT_A_RULE));
}

/* ---- modify-traffic-mirror-filter-rule ---- */

static void test_modify_rule_remove_fields_values(void **state)
{
	(void)state;
	vxid f, r;
	make_filter(f);
	make_rule(r, f,
	          "'Protocol':6,'DestinationPortRange':{'FromPort':80,'ToPort':80},"
	          "'SourcePortRange':{'FromPort':1024,'ToPort':65535},'Description':'web'");
	expect_error("ModifyTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s','RemoveFields':['ports']}", r),
	             "InvalidParameterValue",
	             "Value (ports) for parameter RemoveFields is invalid. Allowed: "
	             "destination-port-range, source-port-range, protocol, description.");
	expect_error(
	    "ModifyTrafficMirrorFilterRule",
	    J("{'TrafficMirrorFilterRuleId':'%s','RemoveFields':['DestinationPortRange']}", r),
	    "InvalidParameterValue",
	    "Value (DestinationPortRange) for parameter RemoveFields is invalid. Allowed: "
	    "destination-port-range, source-port-range, protocol, description.");
	json_t *resp = ok("ModifyTrafficMirrorFilterRule",
	                  J("{'TrafficMirrorFilterRuleId':'%s','RemoveFields':['description',"
	                    "'source-port-range']}",
	                    r));
	assert_null(at(resp, "TrafficMirrorFilterRule.Description"));
	assert_null(at(resp, "TrafficMirrorFilterRule.SourcePortRange"));
	assert_int_equal(jint(resp, "TrafficMirrorFilterRule.DestinationPortRange.ToPort"), 80);
	json_decref(resp);
	resp = ok("ModifyTrafficMirrorFilterRule",
	          J("{'TrafficMirrorFilterRuleId':'%s','RemoveFields':['destination-port-range',"
	            "'protocol']}",
	            r));
	assert_null(at(resp, "TrafficMirrorFilterRule.DestinationPortRange"));
	assert_null(at(resp, "TrafficMirrorFilterRule.Protocol"));
	assert_int_equal(jint(resp, "TrafficMirrorFilterRule.RuleNumber"), 10);
	json_decref(resp);
}

static void test_modify_rule_set_and_remove_same_field(void **state)
{
	(void)state;
	vxid f, r;
	make_filter(f);
	make_rule(r, f, "'Protocol':6,'DestinationPortRange':{'FromPort':80,'ToPort':80}");
	static const char *const pairs[][2] = {
	    {"protocol", "'Protocol':17"},
	    {"description", "'Description':'x'"},
	    {"destination-port-range", "'DestinationPortRange':{'FromPort':1,'ToPort':2}"},
	    {"source-port-range", "'SourcePortRange':{'FromPort':1,'ToPort':2}"},
	};
	static const char *const members[] = {"Protocol", "Description", "DestinationPortRange",
	                                      "SourcePortRange"};
	for (size_t i = 0; i < 4; i++)
		expect_error("ModifyTrafficMirrorFilterRule",
		             J("{'TrafficMirrorFilterRuleId':'%s','RemoveFields':['%s'],%s}", r,
		               pairs[i][0], pairs[i][1]),
		             "InvalidParameterCombination",
		             S("%s cannot be both set and removed in one request.", members[i]));
}

static void test_modify_rule_to_duplicate_number(void **state)
{
	(void)state;
	vxid f, r10, r20, e10;
	make_filter(f);
	make_rule(r10, f, "'RuleNumber':10");
	make_rule(r20, f, "'RuleNumber':20");
	make_rule(e10, f, "'RuleNumber':10,'TrafficDirection':'egress'");
	expect_error("ModifyTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s','RuleNumber':10}", r20),
	             "TrafficMirrorFilterRuleAlreadyExists",
	             S("Rule number 10 is already used in the ingress rules of %s by %s.", f, r10));
	/* Moving to the other direction where 10 is taken. */
	expect_error("ModifyTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s','TrafficDirection':'egress'}", r10),
	             "TrafficMirrorFilterRuleAlreadyExists",
	             S("Rule number 10 is already used in the egress rules of %s by %s.", f, e10));
	/* A rule keeps its own number; a full filter still lets rules change. */
	ok0("ModifyTrafficMirrorFilterRule",
	    J("{'TrafficMirrorFilterRuleId':'%s','RuleNumber':10,'RuleAction':'reject'}", r10));
	json_t *resp = ok("ModifyTrafficMirrorFilterRule",
	                  J("{'TrafficMirrorFilterRuleId':'%s','RuleNumber':15}", r20));
	assert_int_equal(jint(resp, "TrafficMirrorFilterRule.RuleNumber"), 15);
	json_decref(resp);
	expect_error("ModifyTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s','RuleNumber':32767}", r20),
	             "InvalidParameterValue",
	             "Value (32767) for parameter RuleNumber is invalid. Allowed: 1-32766.");
	expect_error(
	    "ModifyTrafficMirrorFilterRule",
	    J("{'TrafficMirrorFilterRuleId':'%s','SourceCidrBlock':'::/0'}", r20),
	    "InvalidParameterCombination",
	    "SourceCidrBlock (::/0) and DestinationCidrBlock (0.0.0.0/0) must both be IPv4 "
	    "or both be IPv6.");
	expect_error("ModifyTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s','Protocol':-1}", r20),
	             "InvalidParameterValue",
	             "Value (-1) for parameter Protocol is invalid. Allowed: an IANA protocol "
	             "number 0-255 (omit for all).");
}

static void test_modify_rule_remove_protocol_while_ports_exist(void **state)
{
	(void)state;
	vxid f, r;
	make_filter(f);
	make_rule(r, f, "'Protocol':6,'DestinationPortRange':{'FromPort':80,'ToPort':80}");
	expect_error("ModifyTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s','RemoveFields':['protocol']}", r),
	             "InvalidParameterCombination",
	             "DestinationPortRange is allowed only with Protocol 6 (TCP) or 17 (UDP); "
	             "Protocol is not set (all protocols).");
	expect_error("ModifyTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s','Protocol':1}", r),
	             "InvalidParameterCombination",
	             "DestinationPortRange is allowed only with Protocol 6 (TCP) or 17 (UDP); "
	             "Protocol is 1.");
	/* A port range added to a rule without a protocol. */
	vxid any;
	make_rule(any, f, "'RuleNumber':20");
	expect_error("ModifyTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s','SourcePortRange':{'FromPort':1,'ToPort':"
	               "2}}",
	               any),
	             "InvalidParameterCombination",
	             "SourcePortRange is allowed only with Protocol 6 (TCP) or 17 (UDP); Protocol "
	             "is not set (all protocols).");
	/* The failed modifies left the rule as it was. */
	json_t *d = ok("DescribeTrafficMirrorFilters", J("{}"));
	json_t *stored = json_array_get(
	    at(json_array_get(at(d, "TrafficMirrorFilters"), 0), "IngressFilterRules"), 0);
	assert_int_equal(jint(stored, "Protocol"), 6);
	assert_int_equal(jint(stored, "DestinationPortRange.FromPort"), 80);
	json_decref(d);
	/* Removing both at once is fine; so is UDP. */
	ok0("ModifyTrafficMirrorFilterRule",
	    J("{'TrafficMirrorFilterRuleId':'%s','Protocol':17}", r));
	json_t *resp = ok("ModifyTrafficMirrorFilterRule",
	                  J("{'TrafficMirrorFilterRuleId':'%s','RemoveFields':['protocol',"
	                    "'destination-port-range']}",
	                    r));
	assert_null(at(resp, "TrafficMirrorFilterRule.Protocol"));
	json_decref(resp);
}

static void test_modify_rule_unknown_id(void **state)
{
	(void)state;
	expect_error("ModifyTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s','RuleNumber':5}", NOT_A_RULE),
	             "InvalidTrafficMirrorFilterRuleId.NotFound",
	             S("The traffic mirror filter rule ID '%s' does not exist.", NOT_A_RULE));
	expect_error("ModifyTrafficMirrorFilterRule", J("{'TrafficMirrorFilterRuleId':'rule-1'}"),
	             "InvalidTrafficMirrorFilterRuleId.NotFound",
	             "The traffic mirror filter rule ID 'rule-1' does not exist.");
	expect_error("ModifyTrafficMirrorFilterRule", J("{'RuleNumber':5}"), "MissingParameter",
	             "The request must contain the parameter TrafficMirrorFilterRuleId.");
}

/* ---- sessions ---- */

static void test_session_number_range_1_to_32766(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	expect_error("CreateTrafficMirrorSession", session(m.lo, m.tmt, m.tmf, 0, ""),
	             "InvalidParameterValue",
	             "Value (0) for parameter SessionNumber is invalid. Allowed: 1-32766.");
	expect_error("CreateTrafficMirrorSession", session(m.lo, m.tmt, m.tmf, 32767, ""),
	             "InvalidParameterValue",
	             "Value (32767) for parameter SessionNumber is invalid. Allowed: 1-32766.");
	json_t *r = ok("CreateTrafficMirrorSession", session(m.lo, m.tmt, m.tmf, 1, ""));
	assert_int_equal(jint(r, "TrafficMirrorSession.SessionNumber"), 1);
	json_decref(r);
	r = ok("CreateTrafficMirrorSession", session(m.lo, m.tmt, m.tmf, 32766, ""));
	assert_int_equal(jint(r, "TrafficMirrorSession.SessionNumber"), 32766);
	json_decref(r);
}

static void test_session_vni_range_0_to_16777215(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	const char *allowed = "Allowed: 0-16777215 (a 24-bit VXLAN network identifier).";
	expect_error("CreateTrafficMirrorSession",
	             session(m.lo, m.tmt, m.tmf, 1, "'VirtualNetworkId':-1"),
	             "InvalidParameterValue",
	             S("Value (-1) for parameter VirtualNetworkId is invalid. %s", allowed));
	expect_error("CreateTrafficMirrorSession",
	             session(m.lo, m.tmt, m.tmf, 1, "'VirtualNetworkId':-2"),
	             "InvalidParameterValue",
	             S("Value (-2) for parameter VirtualNetworkId is invalid. %s", allowed));
	expect_error("CreateTrafficMirrorSession",
	             session(m.lo, m.tmt, m.tmf, 1, "'VirtualNetworkId':16777216"),
	             "InvalidParameterValue",
	             S("Value (16777216) for parameter VirtualNetworkId is invalid. %s", allowed));
	json_t *r = ok("CreateTrafficMirrorSession",
	               session(m.lo, m.tmt, m.tmf, 1, "'VirtualNetworkId':0"));
	assert_int_equal(jint(r, "TrafficMirrorSession.VirtualNetworkId"), 0);
	json_decref(r);
	r = ok("CreateTrafficMirrorSession",
	       session(m.lo, m.tmt, m.tmf, 2, "'VirtualNetworkId':16777215"));
	assert_int_equal(jint(r, "TrafficMirrorSession.VirtualNetworkId"), 16777215);
	vxid s;
	take(s, r, "TrafficMirrorSession.TrafficMirrorSessionId");
	expect_error("ModifyTrafficMirrorSession",
	             J("{'TrafficMirrorSessionId':'%s','VirtualNetworkId':16777216}", s),
	             "InvalidParameterValue",
	             S("Value (16777216) for parameter VirtualNetworkId is invalid. %s", allowed));
}

static void test_session_vni_default_in_range_and_unique(void **state)
{
	(void)state;
	struct mirror m;
	vxid src[3];
	apply_host_interfaces("vxtvni", 3);
	make_eni_target(m.tmt, "192.0.2.10");
	make_filter(m.tmf);
	long long vnis[9];
	int n = 0;
	for (int i = 0; i < 3; i++) {
		snprintf(src[i], sizeof(vxid), "eni-%017x", 0xa00 + i);
		for (int k = 1; k <= 3; k++) {
			json_t *r = ok("CreateTrafficMirrorSession",
			               session(src[i], m.tmt, m.tmf, k,
			                       i == 0 && k == 1 ? "'VirtualNetworkId':7" : ""));
			vnis[n] = jint(r, "TrafficMirrorSession.VirtualNetworkId");
			assert_in_range(vnis[n], 0, 16777215);
			for (int j = 0; j < n; j++)
				assert_int_not_equal(vnis[j], vnis[n]);
			n++;
			json_decref(r);
		}
	}
	assert_int_equal(vnis[0], 7);
	/* RemoveFields virtual-network-id picks a new one the same way. */
	json_t *d = ok("DescribeTrafficMirrorSessions", J("{}"));
	vxid s;
	snprintf(s, sizeof(s), "%s",
	         jstr(json_array_get(at(d, "TrafficMirrorSessions"), 0), "TrafficMirrorSessionId"));
	json_decref(d);
	json_t *r =
	    ok("ModifyTrafficMirrorSession",
	       J("{'TrafficMirrorSessionId':'%s','RemoveFields':['virtual-network-id']}", s));
	long long v = jint(r, "TrafficMirrorSession.VirtualNetworkId");
	assert_in_range(v, 0, 16777215);
	for (int j = 1; j < n; j++)
		assert_int_not_equal(vnis[j], v);
	json_decref(r);
}

static void test_session_packet_length_eni_target(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	const char *allowed = "Allowed: 35-8961 bytes for a network-interface target, counted "
	                      "from the inner Ethernet header.";
	static const int bad[] = {34, 8962, 0, -1};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(
		    "CreateTrafficMirrorSession",
		    session(m.lo, m.tmt, m.tmf, 1, S("'PacketLength':%d", bad[i])),
		    "InvalidParameterValue",
		    S("Value (%d) for parameter PacketLength is invalid. %s", bad[i], allowed));
	json_t *r =
	    ok("CreateTrafficMirrorSession", session(m.lo, m.tmt, m.tmf, 1, "'PacketLength':35"));
	assert_int_equal(jint(r, "TrafficMirrorSession.PacketLength"), 35);
	json_decref(r);
	r = ok("CreateTrafficMirrorSession", session(m.lo, m.tmt, m.tmf, 2, "'PacketLength':8961"));
	assert_int_equal(jint(r, "TrafficMirrorSession.PacketLength"), 8961);
	json_decref(r);
	/* Omitted: whole packets, no PacketLength member. */
	r = ok("CreateTrafficMirrorSession", session(m.lo, m.tmt, m.tmf, 3, ""));
	assert_null(at(r, "TrafficMirrorSession.PacketLength"));
	vxid s;
	take(s, r, "TrafficMirrorSession.TrafficMirrorSessionId");
	expect_error("ModifyTrafficMirrorSession",
	             J("{'TrafficMirrorSessionId':'%s','PacketLength':8962}", s),
	             "InvalidParameterValue",
	             S("Value (8962) for parameter PacketLength is invalid. %s", allowed));
	expect_error("ModifyTrafficMirrorSession",
	             J("{'TrafficMirrorSessionId':'%s','PacketLength':-1}", s),
	             "InvalidParameterValue",
	             S("Value (-1) for parameter PacketLength is invalid. %s", allowed));
}

static void test_session_packet_length_nlb_target(void **state)
{
	(void)state;
	vxid lo, nlb, tmf;
	lo_eni(lo);
	make_nlb_target(nlb, "analyzers");
	make_filter(tmf);
	const char *allowed = "Allowed: 35-8500 bytes for a network-load-balancer target, "
	                      "counted from the inner Ethernet header.";
	static const int bad[] = {8501, 8961, 34, -1};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(
		    "CreateTrafficMirrorSession",
		    session(lo, nlb, tmf, 1, S("'PacketLength':%d", bad[i])),
		    "InvalidParameterValue",
		    S("Value (%d) for parameter PacketLength is invalid. %s", bad[i], allowed));
	json_t *r =
	    ok("CreateTrafficMirrorSession", session(lo, nlb, tmf, 1, "'PacketLength':8500"));
	assert_int_equal(jint(r, "TrafficMirrorSession.PacketLength"), 8500);
	json_decref(r);
	/* AWS's default for a load-balancer target is 8500. */
	r = ok("CreateTrafficMirrorSession", session(lo, nlb, tmf, 2, ""));
	assert_int_equal(jint(r, "TrafficMirrorSession.PacketLength"), 8500);
	json_decref(r);
	r = ok("CreateTrafficMirrorSession", session(lo, nlb, tmf, 3, "'PacketLength':35"));
	assert_int_equal(jint(r, "TrafficMirrorSession.PacketLength"), 35);
	json_decref(r);
	/* Moving an 8961-byte session to the load balancer is refused. */
	vxid tmt, eth;
	apply_host_interfaces("vxtpl", 1);
	make_nlb_target(nlb, "analyzers2");
	make_eni_target(tmt, "192.0.2.11");
	make_filter(tmf);
	snprintf(eth, sizeof(eth), "eni-%017x", 0xa00);
	vxid s;
	make_session(s, eth, tmt, tmf, 1, "'PacketLength':8961");
	expect_error("ModifyTrafficMirrorSession",
	             J("{'TrafficMirrorSessionId':'%s','TrafficMirrorTargetId':'%s'}", s, nlb),
	             "InvalidParameterValue",
	             S("Value (8961) for parameter PacketLength is invalid. %s", allowed));
	/* A whole-packet session moved to the load balancer gets its default,
	 * and removing the length there also means 8500, not whole packets. */
	vxid whole;
	make_session(whole, eth, tmt, tmf, 2, "");
	r = ok("ModifyTrafficMirrorSession",
	       J("{'TrafficMirrorSessionId':'%s','TrafficMirrorTargetId':'%s'}", whole, nlb));
	assert_int_equal(jint(r, "TrafficMirrorSession.PacketLength"), 8500);
	json_decref(r);
	r = ok("ModifyTrafficMirrorSession",
	       J("{'TrafficMirrorSessionId':'%s','RemoveFields':['packet-length']}", whole));
	assert_int_equal(jint(r, "TrafficMirrorSession.PacketLength"), 8500);
	json_decref(r);
}

static void test_session_limit_3_per_interface(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	vxid other, s;
	make_eni_target(other, "192.0.2.11");
	make_session(s, m.lo, m.tmt, m.tmf, 1, "");
	make_session(s, m.lo, other, m.tmf, 2, "");
	make_session(s, m.lo, m.tmt, m.tmf, 3, "");
	expect_error(
	    "CreateTrafficMirrorSession", session(m.lo, other, m.tmf, 4, ""),
	    "TrafficMirrorSessionsPerInterfaceLimitExceeded",
	    S("%s already has 3 traffic mirror sessions, the most a source may have.", m.lo));
	assert_int_equal(count("DescribeTrafficMirrorSessions", "TrafficMirrorSessions"), 3);
	ok0("DeleteTrafficMirrorSession", J("{'TrafficMirrorSessionId':'%s'}", s));
	ok0("CreateTrafficMirrorSession", session(m.lo, other, m.tmf, 4, ""));
}

static void test_session_number_unique_per_interface(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	vxid other, first, second;
	make_eni_target(other, "192.0.2.11");
	make_session(first, m.lo, m.tmt, m.tmf, 1, "");
	expect_error("CreateTrafficMirrorSession", session(m.lo, other, m.tmf, 1, ""),
	             "InvalidParameterValue",
	             S("Value (1) for parameter SessionNumber is invalid. Session %s already has "
	               "this number on %s; the sessions of a source have distinct numbers.",
	               first, m.lo));
	make_session(second, m.lo, other, m.tmf, 2, "");
	expect_error("ModifyTrafficMirrorSession",
	             J("{'TrafficMirrorSessionId':'%s','SessionNumber':1}", second),
	             "InvalidParameterValue",
	             S("Value (1) for parameter SessionNumber is invalid. Session %s already has "
	               "this number on %s; the sessions of a source have distinct numbers.",
	               first, m.lo));
	/* A session keeps its own number on modify. */
	ok0("ModifyTrafficMirrorSession",
	    J("{'TrafficMirrorSessionId':'%s','SessionNumber':2,'Description':'x'}", second));
	/* Another interface may use the same number. */
	apply_host_interfaces("vxtnum", 1);
	make_eni_target(m.tmt, "192.0.2.10");
	make_filter(m.tmf);
	make_session(first, S("eni-%017x", 0xa00), m.tmt, m.tmf, 1, "");
}

static void test_session_source_must_be_host_interface(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	vxid remote;
	make_remote_eni(remote, "192.0.2.20");
	expect_error("CreateTrafficMirrorSession", session(remote, m.tmt, m.tmf, 1, ""),
	             "NetworkInterfaceNotSupported",
	             S("%s is not an interface of this host (it was created with "
	               "create-network-interface); only host interfaces can be mirror sources.",
	               remote));
}

static void test_session_source_that_is_a_target(void **state)
{
	(void)state;
	if (!lo_has_ipv4()) {
		print_message("lo has no IPv4 address here; it cannot be a target\n");
		skip();
	}
	vxid lo, tmt, other, tmf;
	lo_eni(lo);
	take(tmt, ok("CreateTrafficMirrorTarget", J("{'NetworkInterfaceId':'%s'}", lo)),
	     "TrafficMirrorTarget.TrafficMirrorTargetId");
	make_eni_target(other, "192.0.2.10");
	make_filter(tmf);
	expect_error("CreateTrafficMirrorSession", session(lo, other, tmf, 1, ""),
	             "NetworkInterfaceNotSupported",
	             S("%s is traffic mirror target %s; an interface cannot be both a source and a "
	               "target.",
	               lo, tmt));
}

static void test_session_sources_per_eni_target_10(void **state)
{
	(void)state;
	apply_host_interfaces("vxtsrc", 11);
	vxid tmt, tmf, nlb, s;
	make_eni_target(tmt, "192.0.2.10");
	make_nlb_target(nlb, "many");
	make_filter(tmf);
	for (int i = 0; i < 10; i++)
		make_session(s, S("eni-%017x", 0xa00 + i), tmt, tmf, 1, "");
	expect_error("CreateTrafficMirrorSession",
	             session(S("eni-%017x", 0xa00 + 10), tmt, tmf, 1, ""),
	             "TrafficMirrorSourcesPerTargetLimitExceeded",
	             S("Target %s already receives from 10 sources, the most a network-interface "
	               "target may have.",
	               tmt));
	/* A known source may add sessions to it; a load balancer has no limit. */
	make_session(s, S("eni-%017x", 0xa00), tmt, tmf, 2, "");
	vxid eleventh;
	make_session(eleventh, S("eni-%017x", 0xa00 + 10), nlb, tmf, 1, "");
	/* Nor may a session move onto the full target. */
	expect_error(
	    "ModifyTrafficMirrorSession",
	    J("{'TrafficMirrorSessionId':'%s','TrafficMirrorTargetId':'%s'}", eleventh, tmt),
	    "TrafficMirrorSourcesPerTargetLimitExceeded",
	    S("Target %s already receives from 10 sources, the most a network-interface "
	      "target may have.",
	      tmt));
}

static void test_session_references_must_exist(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	expect_error("CreateTrafficMirrorSession", session(m.lo, NOT_A_TARGET, m.tmf, 1, ""),
	             "InvalidTrafficMirrorTargetId.NotFound",
	             S("The traffic mirror target ID '%s' does not exist.", NOT_A_TARGET));
	expect_error("CreateTrafficMirrorSession", session(m.lo, m.tmt, NOT_A_FILTER, 1, ""),
	             "InvalidTrafficMirrorFilterId.NotFound",
	             S("The traffic mirror filter ID '%s' does not exist.", NOT_A_FILTER));
	expect_error("CreateTrafficMirrorSession", session(NOT_AN_ENI, m.tmt, m.tmf, 1, ""),
	             "InvalidNetworkInterfaceID.NotFound",
	             S("The networkInterface ID '%s' does not exist.", NOT_AN_ENI));
	expect_error("CreateTrafficMirrorSession", session("eth0", m.tmt, m.tmf, 1, ""),
	             "InvalidNetworkInterfaceID.NotFound",
	             "The networkInterface ID 'eth0' does not exist.");
	expect_error("CreateTrafficMirrorSession", session(m.lo, "tmt-1", m.tmf, 1, ""),
	             "InvalidTrafficMirrorTargetId.NotFound",
	             "The traffic mirror target ID 'tmt-1' does not exist.");
	expect_error("CreateTrafficMirrorSession", session(m.lo, m.tmt, m.tmf, 1, "'Foo':1"),
	             "UnknownParameter", "The parameter Foo is not recognized.");
	static const char *const required[] = {"NetworkInterfaceId", "TrafficMirrorTargetId",
	                                       "TrafficMirrorFilterId", "SessionNumber"};
	for (size_t i = 0; i < 4; i++)
		expect_error("CreateTrafficMirrorSession",
		             session(m.lo, m.tmt, m.tmf, 1, S("'%s':null", required[i])),
		             "MissingParameter",
		             S("The request must contain the parameter %s.", required[i]));
	vxid s;
	make_session(s, m.lo, m.tmt, m.tmf, 1, "");
	expect_error(
	    "ModifyTrafficMirrorSession",
	    J("{'TrafficMirrorSessionId':'%s','TrafficMirrorFilterId':'%s'}", s, NOT_A_FILTER),
	    "InvalidTrafficMirrorFilterId.NotFound",
	    S("The traffic mirror filter ID '%s' does not exist.", NOT_A_FILTER));
	expect_error("ModifyTrafficMirrorSession",
	             J("{'TrafficMirrorSessionId':'%s','Description':'x'}", NOT_A_SESSION),
	             "InvalidTrafficMirrorSessionId.NotFound",
	             S("The traffic mirror session ID '%s' does not exist.", NOT_A_SESSION));
	expect_error("DeleteTrafficMirrorSession",
	             J("{'TrafficMirrorSessionId':'%s'}", NOT_A_SESSION),
	             "InvalidTrafficMirrorSessionId.NotFound",
	             S("The traffic mirror session ID '%s' does not exist.", NOT_A_SESSION));
}

static void test_modify_session_remove_fields(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	vxid s;
	make_session(s, m.lo, m.tmt, m.tmf, 1, "'PacketLength':100,'Description':'d'");
	expect_error("ModifyTrafficMirrorSession",
	             J("{'TrafficMirrorSessionId':'%s','RemoveFields':['session-number']}", s),
	             "InvalidParameterValue",
	             "Value (session-number) for parameter RemoveFields is invalid. Allowed: "
	             "packet-length, description, virtual-network-id.");
	expect_error("ModifyTrafficMirrorSession",
	             J("{'TrafficMirrorSessionId':'%s','RemoveFields':['packet-length'],"
	               "'PacketLength':200}",
	               s),
	             "InvalidParameterCombination",
	             "PacketLength cannot be both set and removed in one request.");
	json_t *r = ok("ModifyTrafficMirrorSession",
	               J("{'TrafficMirrorSessionId':'%s','RemoveFields':['packet-length',"
	                 "'description']}",
	                 s));
	assert_null(at(r, "TrafficMirrorSession.PacketLength"));
	assert_null(at(r, "TrafficMirrorSession.Description"));
	json_decref(r);
}

/* ---- targets ---- */

static void test_target_needs_exactly_one_destination(void **state)
{
	(void)state;
	vxid eni, arn;
	make_remote_eni(eni, "192.0.2.10");
	make_lb(arn, "lb1");
	expect_error(
	    "CreateTrafficMirrorTarget", J("{'Description':'none'}"), "MissingParameter",
	    "The request must contain one of NetworkInterfaceId, NetworkLoadBalancerArn or "
	    "GatewayLoadBalancerEndpointId.");
	const char *two = "Give only one of NetworkInterfaceId, NetworkLoadBalancerArn and "
	                  "GatewayLoadBalancerEndpointId.";
	expect_error("CreateTrafficMirrorTarget",
	             J("{'NetworkInterfaceId':'%s','NetworkLoadBalancerArn':'%s'}", eni, arn),
	             "InvalidParameterCombination", two);
	expect_error(
	    "CreateTrafficMirrorTarget",
	    J("{'NetworkInterfaceId':'%s','GatewayLoadBalancerEndpointId':'vpce-01234567'}", eni),
	    "InvalidParameterCombination", two);
	expect_error(
	    "CreateTrafficMirrorTarget",
	    J("{'NetworkLoadBalancerArn':'%s','GatewayLoadBalancerEndpointId':'vpce-1'}", arn),
	    "InvalidParameterCombination", two);
	expect_error(
	    "CreateTrafficMirrorTarget", J("{'GatewayLoadBalancerEndpointId':'vpce-01234567'}"),
	    "InvalidParameterValue",
	    "Value (vpce-01234567) for parameter GatewayLoadBalancerEndpointId is invalid. "
	    "vxtap has no gateway load balancer endpoints; use a network-interface or "
	    "network-load-balancer target.");
	json_t *r = ok("CreateTrafficMirrorTarget", J("{'NetworkInterfaceId':'%s'}", eni));
	assert_string_equal(jstr(r, "TrafficMirrorTarget.Type"), "network-interface");
	assert_null(at(r, "TrafficMirrorTarget.NetworkLoadBalancerArn"));
	json_decref(r);
	r = ok("CreateTrafficMirrorTarget", J("{'NetworkLoadBalancerArn':'%s'}", arn));
	assert_string_equal(jstr(r, "TrafficMirrorTarget.Type"), "network-load-balancer");
	assert_null(at(r, "TrafficMirrorTarget.NetworkInterfaceId"));
	json_decref(r);
}

static void test_target_unknown_eni(void **state)
{
	(void)state;
	expect_error("CreateTrafficMirrorTarget", J("{'NetworkInterfaceId':'%s'}", NOT_AN_ENI),
	             "InvalidNetworkInterfaceID.NotFound",
	             S("The networkInterface ID '%s' does not exist.", NOT_AN_ENI));
	expect_error("CreateTrafficMirrorTarget", J("{'NetworkInterfaceId':'192.0.2.10'}"),
	             "InvalidNetworkInterfaceID.NotFound",
	             "The networkInterface ID '192.0.2.10' does not exist.");
	/* A host interface without an IPv4 address has nowhere to send to. */
	apply_host_interfaces("vxtnoip", 1);
	const char *eni = S("eni-%017x", 0xa00);
	expect_error("CreateTrafficMirrorTarget", J("{'NetworkInterfaceId':'%s'}", eni),
	             "InvalidParameterValue",
	             S("Value (%s) for parameter NetworkInterfaceId is invalid. The network "
	               "interface has no IPv4 address to send mirrored traffic to.",
	               eni));
}

static void test_target_eni_used_as_source(void **state)
{
	(void)state;
	if (!lo_has_ipv4()) {
		print_message("lo has no IPv4 address here; it cannot be a target\n");
		skip();
	}
	struct mirror m;
	make_mirror(&m);
	vxid s;
	make_session(s, m.lo, m.tmt, m.tmf, 1, "");
	expect_error(
	    "CreateTrafficMirrorTarget", J("{'NetworkInterfaceId':'%s'}", m.lo),
	    "InvalidParameterValue",
	    S("Value (%s) for parameter NetworkInterfaceId is invalid. The network "
	      "interface is the source of mirror session %s; an interface cannot be both a "
	      "source and a target.",
	      m.lo, s));
}

static void test_target_eni_already_a_target(void **state)
{
	(void)state;
	vxid eni, tmt;
	make_remote_eni(eni, "192.0.2.10");
	take(tmt, ok("CreateTrafficMirrorTarget", J("{'NetworkInterfaceId':'%s'}", eni)),
	     "TrafficMirrorTarget.TrafficMirrorTargetId");
	expect_error("CreateTrafficMirrorTarget", J("{'NetworkInterfaceId':'%s'}", eni),
	             "InvalidParameterValue",
	             S("Value (%s) for parameter NetworkInterfaceId is invalid. The network "
	               "interface is already traffic mirror target %s.",
	               eni, tmt));
}

static void test_target_nlb_unknown_or_in_use(void **state)
{
	(void)state;
	const char *ghost = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/"
	                    "ghost/0123456789abcdef";
	expect_error("CreateTrafficMirrorTarget", J("{'NetworkLoadBalancerArn':'%s'}", ghost),
	             "NetworkLoadBalancerNotFoundException",
	             S("The network load balancer '%s' does not exist.", ghost));
	vxid arn, tmt;
	make_lb(arn, "lb1");
	take(tmt, ok("CreateTrafficMirrorTarget", J("{'NetworkLoadBalancerArn':'%s'}", arn)),
	     "TrafficMirrorTarget.TrafficMirrorTargetId");
	expect_error(
	    "CreateTrafficMirrorTarget", J("{'NetworkLoadBalancerArn':'%s'}", arn),
	    "NlbInUseByTrafficMirrorTargetException",
	    S("The network load balancer '%s' is already traffic mirror target %s.", arn, tmt));
}

static void test_delete_target_in_use(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	vxid s1, s2;
	make_session(s1, m.lo, m.tmt, m.tmf, 1, "");
	make_session(s2, m.lo, m.tmt, m.tmf, 2, "");
	expect_error("DeleteTrafficMirrorTarget", J("{'TrafficMirrorTargetId':'%s'}", m.tmt),
	             "TrafficMirrorTargetInUse",
	             S("Cannot delete %s. Target is in use by %s", m.tmt, s1));
	ok0("DeleteTrafficMirrorSession", J("{'TrafficMirrorSessionId':'%s'}", s1));
	expect_error("DeleteTrafficMirrorTarget", J("{'TrafficMirrorTargetId':'%s'}", m.tmt),
	             "TrafficMirrorTargetInUse",
	             S("Cannot delete %s. Target is in use by %s", m.tmt, s2));
	ok0("DeleteTrafficMirrorSession", J("{'TrafficMirrorSessionId':'%s'}", s2));
	json_t *r = ok("DeleteTrafficMirrorTarget", J("{'TrafficMirrorTargetId':'%s'}", m.tmt));
	assert_string_equal(jstr(r, "TrafficMirrorTargetId"), m.tmt);
	json_decref(r);
	assert_int_equal(count("DescribeTrafficMirrorTargets", "TrafficMirrorTargets"), 0);
	expect_error("DeleteTrafficMirrorTarget", J("{'TrafficMirrorTargetId':'%s'}", m.tmt),
	             "InvalidTrafficMirrorTargetId.NotFound",
	             S("The traffic mirror target ID '%s' does not exist.", m.tmt));
}

static void test_delete_filter_in_use(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	vxid s, r;
	make_rule(r, m.tmf, "");
	make_session(s, m.lo, m.tmt, m.tmf, 1, "");
	expect_error("DeleteTrafficMirrorFilter", J("{'TrafficMirrorFilterId':'%s'}", m.tmf),
	             "TrafficMirrorFilterInUse",
	             S("Cannot delete %s. Filter is in use by %s", m.tmf, s));
	ok0("DeleteTrafficMirrorSession", J("{'TrafficMirrorSessionId':'%s'}", s));
	ok0("DeleteTrafficMirrorFilter", J("{'TrafficMirrorFilterId':'%s'}", m.tmf));
	/* Its rules went with it. */
	expect_error("DeleteTrafficMirrorFilterRule", J("{'TrafficMirrorFilterRuleId':'%s'}", r),
	             "InvalidTrafficMirrorFilterRuleId.NotFound",
	             S("The traffic mirror filter rule ID '%s' does not exist.", r));
	expect_error("DeleteTrafficMirrorFilter", J("{'TrafficMirrorFilterId':'%s'}", m.tmf),
	             "InvalidTrafficMirrorFilterId.NotFound",
	             S("The traffic mirror filter ID '%s' does not exist.", m.tmf));
}

/* ---- network interfaces ---- */

static void test_network_interfaces(void **state)
{
	(void)state;
	expect_error(
	    "CreateNetworkInterface", J("{'PrivateIpAddress':'192.0.2'}"), "InvalidParameterValue",
	    "Value (192.0.2) for parameter PrivateIpAddress is invalid. Expected an IPv4 or "
	    "IPv6 address.");
	expect_error("CreateNetworkInterface",
	             J("{'PrivateIpAddress':'192.0.2.1','SubnetId':'subnet-xyz'}"),
	             "InvalidParameterValue",
	             "Value (subnet-xyz) for parameter SubnetId is invalid. Expected a subnet ID: "
	             "subnet- and 8 or 17 hex digits.");
	vxid eni, lo, tmt;
	make_remote_eni(eni, "2001:db8::10");
	vxid older;
	make_remote_eni(older, "192.0.2.1");
	/* Listed as documented: the host's interfaces by name, then the
	 * registered ones (by ID), whatever order they appeared in. */
	json_t *d = ok("DescribeNetworkInterfaces", J("{}"));
	json_t *list = at(d, "NetworkInterfaces"), *prev = NULL, *item;
	size_t i, hosts = 0;
	json_array_foreach(list, i, item)
	{
		bool host = at(item, "Attachment") != NULL;
		if (host)
			assert_int_equal(hosts++, i);
		if (prev && host == (at(prev, "Attachment") != NULL))
			assert_true(
			    strcmp(jstr(prev, host ? "Description" : "NetworkInterfaceId"),
			           jstr(item, host ? "Description" : "NetworkInterfaceId")) < 0);
		prev = item;
	}
	assert_true(hosts >= 1);
	assert_int_equal(json_array_size(list), hosts + 2);
	json_decref(d);
	take(tmt, ok("CreateTrafficMirrorTarget", J("{'NetworkInterfaceId':'%s'}", eni)),
	     "TrafficMirrorTarget.TrafficMirrorTargetId");
	expect_error("DeleteNetworkInterface", J("{'NetworkInterfaceId':'%s'}", eni),
	             "InvalidNetworkInterface.InUse", S("Interface %s is in use by %s.", eni, tmt));
	lo_eni(lo);
	expect_error("DeleteNetworkInterface", J("{'NetworkInterfaceId':'%s'}", lo),
	             "InvalidNetworkInterface.InUse",
	             S("Interface %s is an interface of this host; it is removed only with the "
	               "interface itself.",
	               lo));
	ok0("DeleteTrafficMirrorTarget", J("{'TrafficMirrorTargetId':'%s'}", tmt));
	ok0("DeleteNetworkInterface", J("{'NetworkInterfaceId':'%s'}", eni));
	expect_error("DeleteNetworkInterface", J("{'NetworkInterfaceId':'%s'}", eni),
	             "InvalidNetworkInterfaceID.NotFound",
	             S("The networkInterface ID '%s' does not exist.", eni));
}

/* ---- network services ---- */

static void test_network_services_only_amazon_dns(void **state)
{
	(void)state;
	vxid f;
	make_filter(f);
	expect_error("ModifyTrafficMirrorFilterNetworkServices",
	             J("{'TrafficMirrorFilterId':'%s','AddNetworkServices':['dns']}", f),
	             "InvalidParameterValue",
	             "Value (dns) for parameter AddNetworkServices is invalid. The only network "
	             "service is amazon-dns.");
	expect_error("ModifyTrafficMirrorFilterNetworkServices",
	             J("{'TrafficMirrorFilterId':'%s','RemoveNetworkServices':['Amazon-DNS']}", f),
	             "InvalidParameterValue",
	             "Value (Amazon-DNS) for parameter RemoveNetworkServices is invalid. The only "
	             "network service is amazon-dns.");
	expect_error(
	    "ModifyTrafficMirrorFilterNetworkServices",
	    J("{'TrafficMirrorFilterId':'%s','AddNetworkServices':'amazon-dns'}", f),
	    "InvalidParameterValue",
	    "Value (\"amazon-dns\") for parameter AddNetworkServices is invalid. Expected a "
	    "list of strings.");
	expect_error("ModifyTrafficMirrorFilterNetworkServices",
	             J("{'TrafficMirrorFilterId':'%s','AddNetworkServices':['amazon-dns'],"
	               "'RemoveNetworkServices':['amazon-dns']}",
	               f),
	             "InvalidParameterCombination",
	             "amazon-dns cannot be both added and removed in one request.");
	expect_error(
	    "ModifyTrafficMirrorFilterNetworkServices",
	    J("{'TrafficMirrorFilterId':'%s','AddNetworkServices':['amazon-dns']}", NOT_A_FILTER),
	    "InvalidTrafficMirrorFilterId.NotFound",
	    S("The traffic mirror filter ID '%s' does not exist.", NOT_A_FILTER));
	json_t *r = ok("ModifyTrafficMirrorFilterNetworkServices",
	               J("{'TrafficMirrorFilterId':'%s','AddNetworkServices':['amazon-dns']}", f));
	json_t *want = J("['amazon-dns']");
	assert_true(json_equal(at(r, "TrafficMirrorFilter.NetworkServices"), want));
	json_decref(want);
	json_decref(r);
	r = ok("ModifyTrafficMirrorFilterNetworkServices",
	       J("{'TrafficMirrorFilterId':'%s','RemoveNetworkServices':['amazon-dns']}", f));
	assert_int_equal(json_array_size(at(r, "TrafficMirrorFilter.NetworkServices")), 0);
	json_decref(r);
}

/* ---- tags ---- */

static void test_tags(void **state)
{
	(void)state;
	vxid eni;
	make_remote_eni(eni, "192.0.2.10");
	expect_error(
	    "CreateTrafficMirrorTarget",
	    J("{'NetworkInterfaceId':'%s','TagSpecifications':[{'ResourceType':"
	      "'traffic-mirror-filter','Tags':[{'Key':'a','Value':'b'}]}]}",
	      eni),
	    "InvalidParameterValue",
	    "Value (traffic-mirror-filter) for parameter TagSpecifications.ResourceType is "
	    "invalid. This call creates a traffic-mirror-target; tag specifications must "
	    "name that resource type.");
	expect_error("CreateTrafficMirrorFilter",
	             J("{'TagSpecifications':[{'Tags':[{'Key':'a','Value':'b'}]}]}"),
	             "InvalidParameterValue",
	             "Value () for parameter TagSpecifications.ResourceType is invalid. This call "
	             "creates a traffic-mirror-filter; tag specifications must name that resource "
	             "type.");
	const char *spec = "{'TagSpecifications':[{'ResourceType':'traffic-mirror-filter','Tags':["
	                   "{'Key':'%s','Value':'%s'}]}]}";
	expect_error("CreateTrafficMirrorFilter", J(spec, "aws:owner", "me"),
	             "InvalidParameterValue",
	             "Value (aws:owner) for parameter Tag.Key is invalid. Tag keys starting with "
	             "'aws:' are reserved.");
	expect_error("CreateTrafficMirrorFilter", J(spec, rep('k', 128), "v"),
	             "InvalidParameterValue",
	             S("Value (%s) for parameter Tag.Key is invalid. A tag key has 1-127 "
	               "characters.",
	               rep('k', 128)));
	expect_error("CreateTrafficMirrorFilter", J(spec, "", "v"), "InvalidParameterValue",
	             "Value () for parameter Tag.Key is invalid. A tag key has 1-127 characters.");
	expect_error("CreateTrafficMirrorFilter", J(spec, "k", rep('v', 257)),
	             "InvalidParameterValue",
	             S("Value (%s) for parameter Tag.Value is invalid. A tag value has at most 256 "
	               "characters.",
	               rep('v', 257)));
	expect_error("CreateTrafficMirrorFilter",
	             J("{'TagSpecifications':[{'ResourceType':'traffic-mirror-filter','Tags':"
	               "[{'Key':'k','Value':1}]}]}"),
	             "InvalidParameterValue",
	             "Value (1) for parameter Tag.Value is invalid. Expected a string.");
	assert_int_equal(count("DescribeTrafficMirrorFilters", "TrafficMirrorFilters"), 0);
	/* The longest key and value pass, counted in characters, not bytes. */
	char key[127 * 2 + 1] = "";
	for (int i = 0; i < 127; i++)
		strcat(key, "\xc3\xa9"); /* é */
	json_t *r = ok("CreateTrafficMirrorFilter",
	               J("{'TagSpecifications':[{'ResourceType':'traffic-mirror-filter','Tags':["
	                 "{'Key':'%s','Value':'%s'},{'Key':'Name','Value':'web'}]}]}",
	                 key, rep('v', 256)));
	json_t *tags = at(r, "TrafficMirrorFilter.Tags");
	assert_int_equal(json_array_size(tags), 2);
	assert_string_equal(jstr(json_array_get(tags, 0), "Key"), key);
	assert_string_equal(jstr(json_array_get(tags, 1), "Value"), "web");
	json_decref(r);
	/* Tags are describe filters. */
	r = ok("DescribeTrafficMirrorFilters",
	       J("{'Filters':[{'Name':'tag:Name','Values':['w*']}]}"));
	assert_int_equal(json_array_size(at(r, "TrafficMirrorFilters")), 1);
	json_decref(r);
	r = ok("DescribeTrafficMirrorFilters",
	       J("{'Filters':[{'Name':'tag-key','Values':['x']}]}"));
	assert_int_equal(json_array_size(at(r, "TrafficMirrorFilters")), 0);
	json_decref(r);
}

/* Session caps are vxtap:max-mbps / vxtap:max-pps tags: checked when tagged,
 * read by the data path's configuration. Other vxtap: keys are refused. */
static void test_session_cap_tags(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	const char *tag = "'TagSpecifications':[{'ResourceType':'traffic-mirror-session','Tags':["
	                  "{'Key':'%s','Value':'%s'}]}]";
	expect_error("CreateTrafficMirrorSession",
	             session(m.lo, m.tmt, m.tmf, 1, S(tag, "vxtap:max-mbps", "0")),
	             "InvalidParameterValue",
	             "Value (0) for parameter Tag.Value is invalid. Allowed for vxtap:max-mbps: an "
	             "integer 1-100000 (megabits per second).");
	expect_error("CreateTrafficMirrorSession",
	             session(m.lo, m.tmt, m.tmf, 1, S(tag, "vxtap:max-mbps", "10M")),
	             "InvalidParameterValue",
	             "Value (10M) for parameter Tag.Value is invalid. Allowed for vxtap:max-mbps: an "
	             "integer 1-100000 (megabits per second).");
	expect_error("CreateTrafficMirrorSession",
	             session(m.lo, m.tmt, m.tmf, 1, S(tag, "vxtap:max-pps", "100000001")),
	             "InvalidParameterValue",
	             "Value (100000001) for parameter Tag.Value is invalid. Allowed for "
	             "vxtap:max-pps: an integer 1-100000000 (packets per second).");
	expect_error("CreateTrafficMirrorSession",
	             session(m.lo, m.tmt, m.tmf, 1, S(tag, "vxtap:max-kbps", "5")),
	             "InvalidParameterValue",
	             "Value (vxtap:max-kbps) for parameter Tag.Key is invalid. Known 'vxtap:' tags: "
	             "vxtap:max-mbps, vxtap:max-pps.");
	expect_error("CreateTrafficMirrorFilter",
	             J("{'TagSpecifications':[{'ResourceType':'traffic-mirror-filter','Tags':["
	               "{'Key':'vxtap:max-mbps','Value':'5'}]}]}"),
	             "InvalidParameterValue",
	             "Value (vxtap:max-mbps) for parameter Tag.Key is invalid. Tag keys starting "
	             "with 'vxtap:' are reserved for traffic mirror sessions.");
	assert_int_equal(count("DescribeTrafficMirrorSessions", "TrafficMirrorSessions"), 0);

	vxid capped;
	make_session(capped, m.lo, m.tmt, m.tmf, 1,
	             "'TagSpecifications':[{'ResourceType':'traffic-mirror-session','Tags':["
	             "{'Key':'vxtap:max-mbps','Value':'10'},{'Key':'vxtap:max-pps','Value':'2000'}]}]");
	struct vx_config *cfg = NULL;
	struct vx_err err = {0};
	assert_int_equal(vx_config_load(st, &cfg, &err), 0);
	assert_int_equal(cfg->n_sources, 1);
	assert_int_equal(cfg->sources[0].n_sessions, 1);
	assert_string_equal(cfg->sources[0].sessions[0].id, capped);
	assert_int_equal(cfg->sources[0].sessions[0].max_mbps, 10);
	assert_int_equal(cfg->sources[0].sessions[0].max_pps, 2000);
	vx_config_free(cfg);
}

/* ---- flow logs ---- */

/* A valid CreateFlowLogs request for lo to a log group, with extra over it. */
static json_t *flow_log(const char *resource, const char *extra)
{
	json_t *r = J("{'ResourceType':'NetworkInterface','ResourceIds':['%s'],'TrafficType':'ALL',"
	              "'LogGroupName':'vxtap-flows'}",
	              resource);
	return with(r, "{%s}", extra);
}

static void test_flow_log_resource_type(void **state)
{
	(void)state;
	vxid lo;
	lo_eni(lo);
	static const char *const gateways[] = {"TransitGateway", "TransitGatewayAttachment",
	                                       "RegionalNatGateway"};
	for (size_t i = 0; i < 3; i++)
		expect_error("CreateFlowLogs", flow_log(lo, S("'ResourceType':'%s'", gateways[i])),
		             "InvalidParameterValue",
		             S("Value (%s) for parameter ResourceType is invalid. A host has no "
		               "transit gateways or NAT gateways; allowed: VPC, Subnet, "
		               "NetworkInterface.",
		               gateways[i]));
	expect_error(
	    "CreateFlowLogs", flow_log(lo, "'ResourceType':'Instance'"), "InvalidParameterValue",
	    "Value (Instance) for parameter ResourceType is invalid. Allowed: VPC, Subnet, "
	    "NetworkInterface.");
	expect_error("CreateFlowLogs", flow_log(lo, "'ResourceType':'vpc'"),
	             "InvalidParameterValue",
	             "Value (vpc) for parameter ResourceType is invalid. Allowed: VPC, Subnet, "
	             "NetworkInterface.");
	expect_error("CreateFlowLogs", flow_log(lo, "'ResourceType':null"), "MissingParameter",
	             "The request must contain the parameter ResourceType.");
	expect_error("CreateFlowLogs", flow_log(lo, "'ResourceIds':[]"), "InvalidParameterValue",
	             "Value (0) for parameter ResourceIds is invalid. Give 1-1000 resource IDs.");
	/* The host's VPC and subnet are resources too. */
	json_t *h = ok("DescribeHost", J("{}"));
	json_t *r = ok("CreateFlowLogs", flow_log(jstr(h, "Host.VpcId"),
	                                          "'ResourceType':'VPC','TrafficType':'REJECT'"));
	assert_int_equal(json_array_size(at(r, "FlowLogIds")), 1);
	assert_int_equal(json_array_size(at(r, "Unsuccessful")), 0);
	json_decref(r);
	r = ok("CreateFlowLogs", flow_log(jstr(h, "Host.SubnetId"), "'ResourceType':'Subnet'"));
	assert_int_equal(json_array_size(at(r, "FlowLogIds")), 1);
	json_decref(r);
	json_decref(h);
}

static void test_flow_log_traffic_type(void **state)
{
	(void)state;
	vxid lo;
	lo_eni(lo);
	expect_error("CreateFlowLogs", flow_log(lo, "'TrafficType':'all'"), "InvalidParameterValue",
	             "Value (all) for parameter TrafficType is invalid. Allowed: ACCEPT, REJECT, "
	             "ALL.");
	expect_error("CreateFlowLogs", flow_log(lo, "'TrafficType':null"), "MissingParameter",
	             "The request must contain the parameter TrafficType.");
	static const char *const types[] = {"ACCEPT", "REJECT", "ALL"};
	for (size_t i = 0; i < 3; i++) {
		json_t *r = ok("CreateFlowLogs", flow_log(lo, S("'TrafficType':'%s'", types[i])));
		assert_int_equal(json_array_size(at(r, "FlowLogIds")), 1);
		json_decref(r);
	}
}

static void test_flow_log_aggregation_interval_60_or_600(void **state)
{
	(void)state;
	vxid lo;
	lo_eni(lo);
	static const int bad[] = {0, 59, 61, 300, 601, -60};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(
		    "CreateFlowLogs", flow_log(lo, S("'MaxAggregationInterval':%d", bad[i])),
		    "InvalidParameterValue",
		    S("Value (%d) for parameter MaxAggregationInterval is invalid. Allowed: "
		      "60, 600.",
		      bad[i]));
	ok0("CreateFlowLogs", flow_log(lo, "'MaxAggregationInterval':60"));
	ok0("CreateFlowLogs", flow_log(lo, "'MaxAggregationInterval':600,'TrafficType':'ACCEPT'"));
	ok0("CreateFlowLogs", flow_log(lo, "'TrafficType':'REJECT'"));
	json_t *d = ok("DescribeFlowLogs", J("{}"));
	json_t *logs = at(d, "FlowLogs");
	assert_int_equal(json_array_size(logs), 3);
	assert_int_equal(jint(json_array_get(logs, 0), "MaxAggregationInterval"), 60);
	assert_int_equal(jint(json_array_get(logs, 1), "MaxAggregationInterval"), 600);
	assert_int_equal(jint(json_array_get(logs, 2), "MaxAggregationInterval"), 600);
	json_decref(d);
}

static void test_flow_log_format(void **state)
{
	(void)state;
	vxid lo;
	lo_eni(lo);
	static const struct {
		const char *format, *why;
	} bad[] = {
	    {"", "A log format names at least one ${field}."},
	    {"${version} ${bogus}", "Unknown field 'bogus'; see docs/CLI.md for the fields."},
	    {"${Version}", "Unknown field 'Version'; see docs/CLI.md for the fields."},
	    {"${}", "Unknown field ''; see docs/CLI.md for the fields."},
	    {"${version}  ${srcaddr}", "Fields are separated by exactly one space."},
	    {"${version} ${srcaddr} ", "Fields are separated by exactly one space."},
	    {"${version}${srcaddr}", "Fields are separated by exactly one space."},
	    {"${version},${srcaddr}", "Fields are separated by exactly one space."},
	    {"version srcaddr",
	     "Expected ${field} tokens separated by single spaces; found 'version srcaddr'."},
	    {"${version} srcaddr",
	     "Expected ${field} tokens separated by single spaces; found 'srcaddr'."},
	    {" ${version}", "Expected ${field} tokens separated by single spaces; found ' "
	                    "${version}'."},
	    {"${version} ${srcaddr", "A ${ has no closing }."},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("CreateFlowLogs", flow_log(lo, S("'LogFormat':'%s'", bad[i].format)),
		             "InvalidParameterValue",
		             S("Value (%s) for parameter LogFormat is invalid. %s", bad[i].format,
		               bad[i].why));
	const char *custom = "${version} ${interface-id} ${tcp-flags} ${flow-direction} "
	                     "${reject-reason} ${encryption-status}";
	ok0("CreateFlowLogs", flow_log(lo, S("'LogFormat':'%s'", custom)));
	ok0("CreateFlowLogs", flow_log(lo, "'TrafficType':'ACCEPT'"));
	json_t *d = ok("DescribeFlowLogs", J("{}"));
	assert_string_equal(jstr(json_array_get(at(d, "FlowLogs"), 0), "LogFormat"), custom);
	assert_string_equal(jstr(json_array_get(at(d, "FlowLogs"), 1), "LogFormat"),
	                    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} "
	                    "${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} "
	                    "${action} ${log-status}");
	json_decref(d);
}

static void test_flow_log_s3_destination(void **state)
{
	(void)state;
	vxid lo;
	lo_eni(lo);
	static const struct {
		const char *dest, *why;
	} bad[] = {
	    {"my-bucket", "For s3, give an S3 bucket ARN (arn:aws:s3:::bucket/folder/) or an "
	                  "absolute local directory."},
	    {"s3://my-bucket/", "For s3, give an S3 bucket ARN (arn:aws:s3:::bucket/folder/) or "
	                        "an absolute local directory."},
	    {"arn:aws:s3:::ab", "A bucket name has 3-63 characters."},
	    {"arn:aws:s3:::", "A bucket name has 3-63 characters."},
	    {"arn:aws:s3:::/logs/", "A bucket name has 3-63 characters."},
	    {"arn:aws:s3:::Bad_Bucket", "A bucket name has lowercase letters, digits, dots and "
	                                "hyphens, and starts and ends with a letter or digit."},
	    {"arn:aws:s3:::-bucket/x/", "A bucket name has lowercase letters, digits, dots and "
	                                "hyphens, and starts and ends with a letter or digit."},
	    {"arn:aws:s3:::my-bucket/AWSLogs/",
	     "AWSLogs is reserved and cannot be used as a folder name."},
	    {"arn:aws:s3:::my-bucket/AWSLogs",
	     "AWSLogs is reserved and cannot be used as a folder name."},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("CreateFlowLogs",
		             flow_log(lo, S("'LogGroupName':null,'LogDestinationType':'s3',"
		                            "'LogDestination':'%s'",
		                            bad[i].dest)),
		             "InvalidParameterValue",
		             S("Value (%s) for parameter LogDestination is invalid. %s",
		               bad[i].dest, bad[i].why));
	expect_error("CreateFlowLogs",
	             flow_log(lo, "'LogGroupName':'g','LogDestinationType':'s3','LogDestination':"
	                          "'arn:aws:s3:::my-bucket'"),
	             "InvalidParameterCombination",
	             "LogGroupName applies only to cloud-watch-logs.");
	expect_error("CreateFlowLogs",
	             flow_log(lo, "'LogGroupName':null,'LogDestinationType':'s3'"),
	             "MissingParameter", "The request must contain the parameter LogDestination.");
	json_t *r =
	    ok("CreateFlowLogs",
	       flow_log(lo, "'LogGroupName':null,'LogDestinationType':'s3','LogDestination':"
	                    "'arn:aws:s3:::my-bucket/AWSLogsArchive/'"));
	assert_int_equal(json_array_size(at(r, "FlowLogIds")), 1);
	json_decref(r);
	char local[400];
	tu_tmp_path(scratch, local, sizeof(local), "flows");
	r = ok("CreateFlowLogs",
	       flow_log(lo, S("'LogGroupName':null,'LogDestinationType':'s3','LogDestination':'%s',"
	                      "'DestinationOptions':{'FileFormat':'plain-text',"
	                      "'HiveCompatiblePartitions':true}",
	                      local)));
	json_decref(r);
	json_t *d = ok("DescribeFlowLogs", J("{'Filter':[{'Name':'log-destination-type','Values':["
	                                     "'s3']}]}"));
	json_t *logs = at(d, "FlowLogs");
	assert_int_equal(json_array_size(logs), 2);
	assert_null(at(json_array_get(logs, 0), "LogGroupName"));
	assert_string_equal(jstr(json_array_get(logs, 1), "LogDestination"), local);
	assert_true(json_is_true(
	    at(json_array_get(logs, 1), "DestinationOptions.HiveCompatiblePartitions")));
	assert_true(
	    json_is_false(at(json_array_get(logs, 1), "DestinationOptions.PerHourPartition")));
	json_decref(d);
}

static void test_flow_log_cloud_watch_destination(void **state)
{
	(void)state;
	vxid lo;
	lo_eni(lo);
	const char *one = "Give one of LogGroupName or LogDestination for cloud-watch-logs.";
	expect_error("CreateFlowLogs",
	             flow_log(lo, "'LogDestination':'arn:aws:logs:us-east-1:000000000000:log-group:"
	                          "g'"),
	             "InvalidParameterCombination", one);
	expect_error("CreateFlowLogs", flow_log(lo, "'LogGroupName':null"), "MissingParameter",
	             one);
	expect_error("CreateFlowLogs",
	             flow_log(lo, "'LogGroupName':null,'LogDestinationType':'cloud-watch-logs'"),
	             "MissingParameter", one);
	expect_error("CreateFlowLogs",
	             flow_log(lo, "'LogGroupName':null,'LogDestination':'arn:aws:s3:::bucket'"),
	             "InvalidParameterValue",
	             "Value (arn:aws:s3:::bucket) for parameter LogDestination is invalid. For "
	             "cloud-watch-logs, give a log group ARN "
	             "(arn:aws:logs:region:account:log-group:name).");
	expect_error("CreateFlowLogs", flow_log(lo, "'LogGroupName':'my group'"),
	             "InvalidParameterValue",
	             "Value (my group) for parameter LogGroupName is invalid. A log group name has "
	             "1-512 characters: letters, digits, '_', '-', '/', '.', '#'.");
	expect_error("CreateFlowLogs", flow_log(lo, "'LogGroupName':''"), "InvalidParameterValue",
	             "Value () for parameter LogGroupName is invalid. A log group name has 1-512 "
	             "characters: letters, digits, '_', '-', '/', '.', '#'.");
	expect_error("CreateFlowLogs",
	             flow_log(lo, "'DestinationOptions':{'FileFormat':'plain-text'}"),
	             "InvalidParameterCombination",
	             "DestinationOptions apply only to LogDestinationType s3.");
	json_t *r =
	    ok("CreateFlowLogs",
	       flow_log(lo, "'LogGroupName':null,'LogDestination':"
	                    "'arn:aws:logs:us-east-1:000000000000:log-group:/vpc/flows:*'"));
	json_decref(r);
	json_t *d = ok("DescribeFlowLogs", J("{}"));
	json_t *fl = json_array_get(at(d, "FlowLogs"), 0);
	assert_string_equal(jstr(fl, "LogGroupName"), "/vpc/flows");
	assert_string_equal(jstr(fl, "LogDestination"),
	                    "arn:aws:logs:us-east-1:000000000000:log-group:/vpc/flows");
	assert_string_equal(jstr(fl, "LogDestinationType"), "cloud-watch-logs");
	json_decref(d);
}

static void test_flow_log_unsupported_destinations(void **state)
{
	(void)state;
	vxid lo;
	lo_eni(lo);
	expect_error(
	    "CreateFlowLogs",
	    flow_log(lo, "'LogGroupName':null,'LogDestinationType':'kinesis-data-firehose',"
	                 "'LogDestination':'arn:aws:firehose:us-east-1:000000000000:"
	                 "deliverystream/x'"),
	    "InvalidParameterValue",
	    "Value (kinesis-data-firehose) for parameter LogDestinationType is invalid. vxtap "
	    "delivers to cloud-watch-logs (a local log-group directory) and s3 (a bucket or "
	    "a local directory); Firehose is not supported.");
	expect_error("CreateFlowLogs", flow_log(lo, "'LogDestinationType':'kafka'"),
	             "InvalidParameterValue",
	             "Value (kafka) for parameter LogDestinationType is invalid. Allowed: "
	             "cloud-watch-logs, s3, kinesis-data-firehose.");
	const char *s3 = "'LogGroupName':null,'LogDestinationType':'s3','LogDestination':"
	                 "'arn:aws:s3:::my-bucket'";
	expect_error(
	    "CreateFlowLogs",
	    flow_log(lo, S("%s,'DestinationOptions':{'FileFormat':'parquet'}", s3)),
	    "InvalidParameterValue",
	    "Value (parquet) for parameter DestinationOptions.FileFormat is invalid. vxtap "
	    "writes plain-text only; Parquet is not supported.");
	expect_error("CreateFlowLogs",
	             flow_log(lo, S("%s,'DestinationOptions':{'FileFormat':'csv'}", s3)),
	             "InvalidParameterValue",
	             "Value (csv) for parameter DestinationOptions.FileFormat is invalid. Allowed: "
	             "plain-text, parquet.");
	expect_error(
	    "CreateFlowLogs", flow_log(lo, S("%s,'DestinationOptions':{'Compression':'gzip'}", s3)),
	    "UnknownParameter", "The parameter DestinationOptions.Compression is not recognized.");
	assert_int_equal(count("DescribeFlowLogs", "FlowLogs"), 0);
}

static void test_flow_log_unknown_resource_is_unsuccessful(void **state)
{
	(void)state;
	vxid lo;
	lo_eni(lo);
	int64_t gen = vx_store_generation(st);
	json_t *r = ok("CreateFlowLogs", flow_log(NOT_AN_ENI, ""));
	json_t *want = J("{'FlowLogIds':[],'Unsuccessful':[{'Error':{'Code':"
	                 "'InvalidNetworkInterfaceID.NotFound','Message':'The networkInterface ID "
	                 "\\u0027%s\\u0027 does not exist.'},'ResourceId':'%s'}]}",
	                 NOT_AN_ENI, NOT_AN_ENI);
	assert_true(json_equal(r, want));
	json_decref(want);
	json_decref(r);
	assert_int_equal(vx_store_generation(st), gen);
	assert_int_equal(count("DescribeFlowLogs", "FlowLogs"), 0);
	/* One good and two bad: the good one is created. */
	r = ok("CreateFlowLogs",
	       flow_log(lo, S("'ResourceIds':['%s','%s','vpc-0123456789abcdef0'],'ResourceType':"
	                      "'NetworkInterface'",
	                      NOT_AN_ENI, lo)));
	assert_int_equal(json_array_size(at(r, "FlowLogIds")), 1);
	assert_int_equal(json_array_size(at(r, "Unsuccessful")), 2);
	assert_string_equal(jstr(json_array_get(at(r, "Unsuccessful"), 1), "ResourceId"),
	                    "vpc-0123456789abcdef0");
	json_decref(r);
	r = ok("CreateFlowLogs", flow_log("vpc-0123456789abcdef0", "'ResourceType':'VPC'"));
	json_t *e = json_array_get(at(r, "Unsuccessful"), 0);
	assert_string_equal(jstr(e, "Error.Code"), "InvalidVpcID.NotFound");
	assert_string_equal(jstr(e, "Error.Message"),
	                    "The vpc ID 'vpc-0123456789abcdef0' does not exist.");
	json_decref(r);
	r = ok("CreateFlowLogs", flow_log("subnet-01234567", "'ResourceType':'Subnet'"));
	e = json_array_get(at(r, "Unsuccessful"), 0);
	assert_string_equal(jstr(e, "Error.Code"), "InvalidSubnetID.NotFound");
	assert_string_equal(jstr(e, "Error.Message"),
	                    "The subnet ID 'subnet-01234567' does not exist.");
	json_decref(r);
	assert_int_equal(vx_store_generation(st), gen + 1);
}

static void test_flow_log_same_configuration_twice(void **state)
{
	(void)state;
	vxid lo, id;
	lo_eni(lo);
	json_t *r = ok("CreateFlowLogs", flow_log(lo, ""));
	snprintf(id, sizeof(id), "%s", json_string_value(json_array_get(at(r, "FlowLogIds"), 0)));
	json_decref(r);
	int64_t gen = vx_store_generation(st);
	r = ok("CreateFlowLogs", flow_log(lo, ""));
	json_t *want = J("{'FlowLogIds':[],'Unsuccessful':[{'Error':{'Code':'FlowLogAlreadyExists',"
	                 "'Message':'FlowLog already exists for this configuration'},"
	                 "'ResourceId':'%s'}]}",
	                 lo);
	assert_true(json_equal(r, want));
	json_decref(want);
	json_decref(r);
	assert_int_equal(vx_store_generation(st), gen);
	/* Another traffic type or destination is another configuration. */
	ok0("CreateFlowLogs", flow_log(lo, "'TrafficType':'REJECT'"));
	ok0("CreateFlowLogs", flow_log(lo, "'LogGroupName':'other'"));
	assert_int_equal(count("DescribeFlowLogs", "FlowLogs"), 3);
	/* Twice in one request: the second is refused. */
	ok0("DeleteFlowLogs", J("{'FlowLogIds':['%s']}", id));
	r = ok("CreateFlowLogs", flow_log(lo, S("'ResourceIds':['%s','%s']", lo, lo)));
	assert_int_equal(json_array_size(at(r, "FlowLogIds")), 1);
	assert_string_equal(jstr(json_array_get(at(r, "Unsuccessful"), 0), "Error.Code"),
	                    "FlowLogAlreadyExists");
	json_decref(r);
}

static void test_delete_flow_logs_unknown_id(void **state)
{
	(void)state;
	vxid lo, id;
	lo_eni(lo);
	json_t *r = ok("CreateFlowLogs", flow_log(lo, ""));
	snprintf(id, sizeof(id), "%s", json_string_value(json_array_get(at(r, "FlowLogIds"), 0)));
	json_decref(r);
	r = ok("DeleteFlowLogs", J("{'FlowLogIds':['fl-0123456789abcdef0']}"));
	json_t *want = J("{'Unsuccessful':[{'Error':{'Code':'InvalidFlowLogId.NotFound','Message':"
	                 "'These flow log ids in the input list are not found: [TotalCount: 1] "
	                 "fl-0123456789abcdef0'},'ResourceId':'fl-0123456789abcdef0'}]}");
	assert_true(json_equal(r, want));
	json_decref(want);
	json_decref(r);
	/* Mixed: the known one goes, the unknown one is reported. */
	r = ok("DeleteFlowLogs", J("{'FlowLogIds':['bad-fl','%s']}", id));
	assert_int_equal(json_array_size(at(r, "Unsuccessful")), 1);
	assert_string_equal(jstr(json_array_get(at(r, "Unsuccessful"), 0), "Error.Message"),
	                    "These flow log ids in the input list are not found: [TotalCount: 1] "
	                    "bad-fl");
	json_decref(r);
	assert_int_equal(count("DescribeFlowLogs", "FlowLogs"), 0);
	expect_error("DeleteFlowLogs", J("{'FlowLogIds':[]}"), "InvalidParameterValue",
	             "Value (0) for parameter FlowLogIds is invalid. Give 1-1000 flow log IDs.");
	expect_error("DeleteFlowLogs", J("{}"), "MissingParameter",
	             "The request must contain the parameter FlowLogIds.");
}

/* ---- configure ---- */

static void test_configure_host_formats(void **state)
{
	(void)state;
	static const struct {
		const char *member, *value, *allowed;
	} bad[] = {
	    {"AccountId", "12345", "An account ID is 12 digits."},
	    {"AccountId", "1234567890123", "An account ID is 12 digits."},
	    {"AccountId", "12345678901a", "An account ID is 12 digits."},
	    {"Region", "US-EAST-1", "A region looks like us-east-1."},
	    {"Region", "useast1", "A region looks like us-east-1."},
	    {"VpcId", "vpc-123", "A VPC ID is vpc- and 8 or 17 lowercase hex digits."},
	    {"VpcId", "vpc-0123ABCD", "A VPC ID is vpc- and 8 or 17 lowercase hex digits."},
	    {"SubnetId", "subnet-0123456789",
	     "A subnet ID is subnet- and 8 or 17 lowercase hex "
	     "digits."},
	    {"SubnetId", "vpc-01234567",
	     "A subnet ID is subnet- and 8 or 17 lowercase hex "
	     "digits."},
	    {"InstanceId", "i-0123456", "An instance ID is i- and 8 or 17 lowercase hex digits."},
	    {"InstanceId", "i-0123456789abcdefg",
	     "An instance ID is i- and 8 or 17 lowercase "
	     "hex digits."},
	    {"AvailabilityZone", "us-east-1",
	     "An availability zone is a region and a letter, "
	     "like us-east-1a."},
	    {"AvailabilityZone", "us-east-1AB",
	     "An availability zone is a region and a letter, "
	     "like us-east-1a."},
	    {"AzId", "use1az1", "An AZ ID looks like use1-az1."},
	    {"AzId", "use1-az", "An AZ ID looks like use1-az1."},
	};
	json_t *before = ok("DescribeHost", J("{}"));
	/* Each with a valid member beside it, which must not be applied either. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("ConfigureHost",
		             J("{%s,'%s':'%s'}",
		               strcmp(bad[i].member, "Region") ? "'Region':'eu-west-1'"
		                                               : "'AccountId':'123456789012'",
		               bad[i].member, bad[i].value),
		             "InvalidParameterValue",
		             S("Value (%s) for parameter %s is invalid. %s", bad[i].value,
		               bad[i].member, bad[i].allowed));
	json_t *after = ok("DescribeHost", J("{}"));
	assert_true(json_equal(before, after));
	json_decref(after);
	json_decref(before);
	expect_error("ConfigureHost", J("{'Account':'123456789012'}"), "UnknownParameter",
	             "The parameter Account is not recognized.");
	json_t *r =
	    ok("ConfigureHost",
	       J("{'AccountId':'123456789012','Region':'eu-west-3','VpcId':"
	         "'vpc-0123456789abcdef0','SubnetId':'subnet-01234567','InstanceId':"
	         "'i-0123456789abcdef0','AvailabilityZone':'eu-west-3b','AzId':'euw3-az2'}"));
	json_t *want =
	    J("{'Host':{'AccountId':'123456789012','Region':'eu-west-3','VpcId':"
	      "'vpc-0123456789abcdef0','SubnetId':'subnet-01234567','InstanceId':"
	      "'i-0123456789abcdef0','AvailabilityZone':'eu-west-3b','AzId':'euw3-az2'}}");
	assert_true(json_equal(r, want));
	json_decref(r);
	r = ok("DescribeHost", J("{}"));
	assert_true(json_equal(r, want));
	json_decref(r);
	json_decref(want);
	/* Only the members given change. */
	r = ok("ConfigureHost", J("{'Region':'ap-southeast-2'}"));
	assert_string_equal(jstr(r, "Host.Region"), "ap-southeast-2");
	assert_string_equal(jstr(r, "Host.AccountId"), "123456789012");
	json_decref(r);
}

/* ---- load balancers ---- */

static void test_lb_name_rules(void **state)
{
	(void)state;
	const char *why = "A name has 1-32 letters, digits and hyphens, and does not start or end "
	                  "with a hyphen.";
	const char *bad[] = {"", "-lb", "lb-", "lb_1", "lb.1", "lb 1", rep('a', 33)};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("CreateLoadBalancer", J("{'Name':'%s'}", bad[i]),
		             "InvalidParameterValue",
		             S("Value (%s) for parameter Name is invalid. %s", bad[i], why));
	expect_error("CreateLoadBalancer", J("{}"), "MissingParameter",
	             "The request must contain the parameter Name.");
	const char *good[] = {"a", "A-1", "analyzers-eu-1", rep('b', 32)};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_t *r = ok("CreateLoadBalancer", J("{'Name':'%s'}", good[i]));
		json_t *lb = json_array_get(at(r, "LoadBalancers"), 0);
		assert_string_equal(jstr(lb, "LoadBalancerName"), good[i]);
		assert_string_equal(jstr(lb, "LoadBalancerArn"),
		                    S("arn:aws:elasticloadbalancing:us-east-1:000000000000:"
		                      "loadbalancer/net/%s/%.16s",
		                      good[i], strrchr(jstr(lb, "LoadBalancerArn"), '/') + 1));
		assert_int_equal(strlen(strrchr(jstr(lb, "LoadBalancerArn"), '/') + 1), 16);
		json_decref(r);
	}
}

static void test_lb_health_check_bounds(void **state)
{
	(void)state;
	static const struct {
		const char *member;
		int lo, hi;
		const char *extra; /* keeps timeout < interval at the bounds */
	} hc[] = {
	    {"HealthCheckPort", 1, 65535, ""},
	    {"HealthCheckIntervalSeconds", 5, 300, ",'HealthCheckTimeoutSeconds':2"},
	    {"HealthCheckTimeoutSeconds", 2, 120, ",'HealthCheckIntervalSeconds':300"},
	    {"HealthyThresholdCount", 2, 10, ""},
	    {"UnhealthyThresholdCount", 2, 10, ""},
	};
	int n = 0;
	for (size_t i = 0; i < sizeof(hc) / sizeof(hc[0]); i++) {
		const int bad[] = {hc[i].lo - 1, hc[i].hi + 1};
		for (int k = 0; k < 2; k++)
			expect_error(
			    "CreateLoadBalancer",
			    J("{'Name':'lb','%s':%d%s}", hc[i].member, bad[k], hc[i].extra),
			    "InvalidParameterValue",
			    S("Value (%d) for parameter %s is invalid. Allowed: %d-%d.", bad[k],
			      hc[i].member, hc[i].lo, hc[i].hi));
		const int good[] = {hc[i].lo, hc[i].hi};
		for (int k = 0; k < 2; k++)
			ok0("CreateLoadBalancer", J("{'Name':'lb%d','%s':%d%s}", n++, hc[i].member,
			                            good[k], hc[i].extra));
	}
	/* Defaults. */
	json_t *r = ok("CreateLoadBalancer", J("{'Name':'defaults'}"));
	json_t *want = J("{'Protocol':'TCP','Port':4789,'IntervalSeconds':10,'TimeoutSeconds':5,"
	                 "'HealthyThresholdCount':3,'UnhealthyThresholdCount':3}");
	assert_true(json_equal(at(json_array_get(at(r, "LoadBalancers"), 0), "HealthCheck"), want));
	json_decref(want);
	json_decref(r);
}

static void test_lb_timeout_less_than_interval(void **state)
{
	(void)state;
	expect_error("CreateLoadBalancer", J("{'Name':'lb','HealthCheckTimeoutSeconds':10}"),
	             "InvalidConfigurationRequest",
	             "HealthCheckTimeoutSeconds (10) must be less than HealthCheckIntervalSeconds "
	             "(10).");
	expect_error(
	    "CreateLoadBalancer",
	    J("{'Name':'lb','HealthCheckTimeoutSeconds':30,'HealthCheckIntervalSeconds':20}"),
	    "InvalidConfigurationRequest",
	    "HealthCheckTimeoutSeconds (30) must be less than HealthCheckIntervalSeconds "
	    "(20).");
	expect_error("CreateLoadBalancer", J("{'Name':'lb','HealthCheckIntervalSeconds':5}"),
	             "InvalidConfigurationRequest",
	             "HealthCheckTimeoutSeconds (5) must be less than HealthCheckIntervalSeconds "
	             "(5).");
	ok0("CreateLoadBalancer",
	    J("{'Name':'lb','HealthCheckTimeoutSeconds':9,'HealthCheckIntervalSeconds':10}"));
}

static void test_lb_duplicate_name(void **state)
{
	(void)state;
	vxid arn;
	make_lb(arn, "analyzers");
	expect_error("CreateLoadBalancer", J("{'Name':'analyzers'}"), "DuplicateLoadBalancerName",
	             "A load balancer named 'analyzers' already exists.");
	ok0("CreateLoadBalancer", J("{'Name':'Analyzers'}"));
	ok0("DeleteLoadBalancer", J("{'LoadBalancerArn':'%s'}", arn));
	ok0("CreateLoadBalancer", J("{'Name':'analyzers'}"));
}

static void test_lb_targets(void **state)
{
	(void)state;
	expect_error("CreateLoadBalancer", J("{'Name':'lb','Targets':[{'Id':'192.0.2'}]}"),
	             "InvalidParameterValue",
	             "Value (192.0.2) for parameter Targets.Id is invalid. A target is the IPv4 or "
	             "IPv6 address of an analyzer.");
	expect_error("CreateLoadBalancer", J("{'Name':'lb','Targets':[{'Id':'analyzer.local'}]}"),
	             "InvalidParameterValue",
	             "Value (analyzer.local) for parameter Targets.Id is invalid. A target is the "
	             "IPv4 or IPv6 address of an analyzer.");
	expect_error("CreateLoadBalancer",
	             J("{'Name':'lb','Targets':[{'Id':'192.0.2.1','Port':0}]}"),
	             "InvalidParameterValue",
	             "Value (0) for parameter Targets.Port is invalid. Allowed: 1-65535 (default "
	             "4789).");
	expect_error(
	    "CreateLoadBalancer", J("{'Name':'lb','Targets':[{'Id':'192.0.2.1','Port':65536}]}"),
	    "InvalidParameterValue",
	    "Value (65536) for parameter Targets.Port is invalid. Allowed: 1-65535 (default "
	    "4789).");
	expect_error("CreateLoadBalancer", J("{'Name':'lb','Targets':[{'Port':4789}]}"),
	             "MissingParameter", "The request must contain the parameter Targets.Id.");
	expect_error("CreateLoadBalancer",
	             J("{'Name':'lb','Targets':[{'Id':'192.0.2.1','Weight':1}]}"),
	             "UnknownParameter", "The parameter Targets.Weight is not recognized.");
	assert_int_equal(count("DescribeLoadBalancers", "LoadBalancers"), 0);
	vxid arn;
	make_lb(arn, "lb");
	expect_error("RegisterTargets",
	             J("{'LoadBalancerArn':'%s','Targets':[{'Id':'2001:db8::1','Port':0}]}", arn),
	             "InvalidParameterValue",
	             "Value (0) for parameter Targets.Port is invalid. Allowed: 1-65535 (default "
	             "4789).");
	const char *ghost = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/"
	                    "x/0000000000000000";
	expect_error("RegisterTargets",
	             J("{'LoadBalancerArn':'%s','Targets':[{'Id':'192.0.2.1'}]}", ghost),
	             "LoadBalancerNotFound", S("The load balancer '%s' does not exist.", ghost));
	expect_error("DescribeLoadBalancers", J("{'LoadBalancerArns':['%s']}", ghost),
	             "LoadBalancerNotFound", S("The load balancer '%s' does not exist.", ghost));
	ok0("RegisterTargets",
	    J("{'LoadBalancerArn':'%s','Targets':[{'Id':'2001:db8::1','Port':6081},{'Id':"
	      "'192.0.2.50'}]}",
	      arn));
	ok0("DeregisterTargets",
	    J("{'LoadBalancerArn':'%s','Targets':[{'Id':'192.0.2.51','Port':4790}]}", arn));
	json_t *r = ok("DescribeLoadBalancers", J("{'Names':['lb']}"));
	json_t *want = J("[{'Id':'192.0.2.50','Port':4789},{'Id':'2001:db8::1','Port':6081}]");
	assert_true(json_equal(at(json_array_get(at(r, "LoadBalancers"), 0), "Targets"), want));
	json_decref(want);
	json_decref(r);
}

static void test_lb_delete_in_use(void **state)
{
	(void)state;
	vxid arn, tmt;
	make_lb(arn, "lb");
	take(tmt, ok("CreateTrafficMirrorTarget", J("{'NetworkLoadBalancerArn':'%s'}", arn)),
	     "TrafficMirrorTarget.TrafficMirrorTargetId");
	expect_error("DeleteLoadBalancer", J("{'LoadBalancerArn':'%s'}", arn), "ResourceInUse",
	             S("Load balancer %s is used by traffic mirror target %s.", arn, tmt));
	ok0("DeleteTrafficMirrorTarget", J("{'TrafficMirrorTargetId':'%s'}", tmt));
	ok0("DeleteLoadBalancer", J("{'LoadBalancerArn':'%s'}", arn));
	expect_error("DeleteLoadBalancer", J("{'LoadBalancerArn':'%s'}", arn),
	             "LoadBalancerNotFound", S("The load balancer '%s' does not exist.", arn));
	assert_int_equal(count("DescribeLoadBalancers", "LoadBalancers"), 0);
}

/* ---- invoke-level behaviour ---- */

static void test_dry_run_valid_request_creates_nothing(void **state)
{
	(void)state;
	int64_t gen = vx_store_generation(st);
	long long audits = audit_rows();
	expect_error("CreateTrafficMirrorFilter", J("{'Description':'dry','DryRun':true}"),
	             "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
	assert_int_equal(count("DescribeTrafficMirrorFilters", "TrafficMirrorFilters"), 0);
	assert_int_equal(vx_store_generation(st), gen);
	/* It is audited like any other change that did not happen. */
	assert_int_equal(audit_rows(), audits + 1);
	char action[64], result[1200];
	last_audit(action, sizeof(action), result, sizeof(result));
	assert_string_equal(action, "CreateTrafficMirrorFilter");
	assert_string_equal(result,
	                    "{\"Error\":{\"Code\":\"DryRunOperation\",\"Message\":\"Request "
	                    "would have succeeded, but DryRun flag is set.\"}}");
	/* DryRun false is a real call; DryRun works on describes and deletes too. */
	vxid f;
	take(f, ok("CreateTrafficMirrorFilter", J("{'DryRun':false}")),
	     "TrafficMirrorFilter.TrafficMirrorFilterId");
	expect_error("DeleteTrafficMirrorFilter",
	             J("{'TrafficMirrorFilterId':'%s','DryRun':true}", f), "DryRunOperation",
	             "Request would have succeeded, but DryRun flag is set.");
	expect_error("DescribeTrafficMirrorFilters", J("{'DryRun':true}"), "DryRunOperation",
	             "Request would have succeeded, but DryRun flag is set.");
	assert_int_equal(count("DescribeTrafficMirrorFilters", "TrafficMirrorFilters"), 1);
}

static void test_dry_run_invalid_request_gives_the_real_error(void **state)
{
	(void)state;
	expect_error("CreateTrafficMirrorFilterRule",
	             with(rule(NOT_A_FILTER, ""), "{'DryRun':true}"),
	             "InvalidTrafficMirrorFilterId.NotFound",
	             S("The traffic mirror filter ID '%s' does not exist.", NOT_A_FILTER));
	vxid f;
	make_filter(f);
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'DryRun':true,'RuleNumber':0"),
	             "InvalidParameterValue",
	             "Value (0) for parameter RuleNumber is invalid. Allowed: 1-32766.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'DryRun':true,'Bogus':1"),
	             "UnknownParameter", "The parameter Bogus is not recognized.");
	expect_error("CreateTrafficMirrorFilterRule", rule(f, "'DryRun':true"), "DryRunOperation",
	             "Request would have succeeded, but DryRun flag is set.");
}

static void test_client_token_replay(void **state)
{
	(void)state;
	json_t *first =
	    ok("CreateTrafficMirrorFilter", J("{'Description':'web','ClientToken':'token-1'}"));
	assert_string_equal(jstr(first, "ClientToken"), "token-1");
	int64_t gen = vx_store_generation(st);
	/* Member order does not matter; DryRun is not part of the request. */
	json_t *again = ok("CreateTrafficMirrorFilter",
	                   J("{'DryRun':false,'ClientToken':'token-1','Description':'web'}"));
	assert_true(json_equal(first, again));
	char *a = json_dumps(first, JSON_PRESERVE_ORDER),
	     *b = json_dumps(again, JSON_PRESERVE_ORDER);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(again);
	assert_int_equal(vx_store_generation(st), gen);
	assert_int_equal(count("DescribeTrafficMirrorFilters", "TrafficMirrorFilters"), 1);
	expect_error("CreateTrafficMirrorFilter",
	             J("{'ClientToken':'token-1','Description':'web','DryRun':true}"),
	             "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
	/* A replay of a rule gives the same rule, not a duplicate-number error. */
	const char *f = jstr(first, "TrafficMirrorFilter.TrafficMirrorFilterId");
	json_t *r1 = ok("CreateTrafficMirrorFilterRule", rule(f, "'ClientToken':'token-2'"));
	json_t *r2 = ok("CreateTrafficMirrorFilterRule", rule(f, "'ClientToken':'token-2'"));
	assert_true(json_equal(r1, r2));
	json_decref(r1);
	json_decref(r2);
	json_decref(first);
}

static void test_client_token_with_other_parameters(void **state)
{
	(void)state;
	ok0("CreateTrafficMirrorFilter", J("{'Description':'web','ClientToken':'token-1'}"));
	const char *msg = "The client token 'token-1' was already used with a different request; "
	                  "use a new token for a new request.";
	expect_error("CreateTrafficMirrorFilter", J("{'Description':'db','ClientToken':'token-1'}"),
	             "IdempotentParameterMismatch", msg);
	expect_error("CreateTrafficMirrorFilter", J("{'ClientToken':'token-1'}"),
	             "IdempotentParameterMismatch", msg);
	expect_error("CreateNetworkInterface",
	             J("{'PrivateIpAddress':'192.0.2.1','ClientToken':'token-1'}"),
	             "IdempotentParameterMismatch", msg);
	assert_int_equal(count("DescribeTrafficMirrorFilters", "TrafficMirrorFilters"), 1);
	expect_error("CreateTrafficMirrorFilter", J("{'ClientToken':'%s'}", rep('t', 65)),
	             "InvalidParameterValue",
	             S("Value (\"%s\") for parameter ClientToken is invalid. Expected a string of "
	               "1-64 ASCII characters.",
	               rep('t', 65)));
	expect_error("CreateTrafficMirrorFilter", J("{'ClientToken':''}"), "InvalidParameterValue",
	             "Value (\"\") for parameter ClientToken is invalid. Expected a string of 1-64 "
	             "ASCII characters.");
	expect_error("DeleteTrafficMirrorFilter",
	             J("{'TrafficMirrorFilterId':'%s','ClientToken':'t'}", NOT_A_FILTER),
	             "UnknownParameter", "The parameter ClientToken is not recognized.");
}

static void test_failed_call_changes_nothing_but_is_audited(void **state)
{
	(void)state;
	struct mirror m;
	make_mirror(&m);
	vxid r, s;
	make_rule(r, m.tmf, "'Protocol':6");
	make_session(s, m.lo, m.tmt, m.tmf, 1, "");
	json_t *before = ok("ExportState", J("{}"));
	int64_t gen = vx_store_generation(st);
	long long audits = audit_rows();
	expect_error("ModifyTrafficMirrorFilterRule",
	             J("{'TrafficMirrorFilterRuleId':'%s','Description':'new','RuleNumber':0}", r),
	             "InvalidParameterValue",
	             "Value (0) for parameter RuleNumber is invalid. Allowed: 1-32766.");
	char action[64], result[1200];
	last_audit(action, sizeof(action), result, sizeof(result));
	assert_string_equal(action, "ModifyTrafficMirrorFilterRule");
	assert_string_equal(result, "{\"Error\":{\"Code\":\"InvalidParameterValue\",\"Message\":"
	                            "\"Value (0) for parameter RuleNumber is invalid. Allowed: "
	                            "1-32766.\"}}");
	/* Shape errors are audited too; failed describes are not changes. */
	expect_error(
	    "DeleteTrafficMirrorTarget", J("{'TrafficMirrorTargetId':1}"), "InvalidParameterValue",
	    "Value (1) for parameter TrafficMirrorTargetId is invalid. Expected a string.");
	last_audit(action, sizeof(action), result, sizeof(result));
	assert_string_equal(action, "DeleteTrafficMirrorTarget");
	expect_error("DeleteTrafficMirrorTarget", J("{'TrafficMirrorTargetId':'%s'}", m.tmt),
	             "TrafficMirrorTargetInUse",
	             S("Cannot delete %s. Target is in use by %s", m.tmt, s));
	expect_error("DescribeTrafficMirrorTargets", J("{'MaxResults':1}"), "InvalidParameterValue",
	             "Value (1) for parameter MaxResults is invalid. Allowed: 5-1000.");
	assert_int_equal(audit_rows(), audits + 3);
	json_t *after = ok("ExportState", J("{}"));
	assert_true(json_equal(before, after));
	json_decref(before);
	json_decref(after);
	assert_int_equal(vx_store_generation(st), gen);
	/* A success is audited with its response. */
	ok0("DeleteTrafficMirrorSession", J("{'TrafficMirrorSessionId':'%s'}", s));
	last_audit(action, sizeof(action), result, sizeof(result));
	assert_string_equal(action, "DeleteTrafficMirrorSession");
	assert_string_equal(result, S("{\"Response\":{\"TrafficMirrorSessionId\":\"%s\"}}", s));
}

static void test_generation_counts_changes(void **state)
{
	(void)state;
	int64_t gen = vx_store_generation(st);
	assert_true(gen >= 1); /* the setup's first call synced the interfaces */
	vxid f, r;
	make_filter(f);
	assert_int_equal(vx_store_generation(st), gen + 1);
	make_rule(r, f, "");
	assert_int_equal(vx_store_generation(st), gen + 2);
	/* Reads, failures, dry runs and no-op calls change nothing. */
	ok0("DescribeTrafficMirrorFilters", J("{}"));
	ok0("ExportState", J("{}"));
	ok0("DescribeHost", J("{}"));
	expect_error("CreateTrafficMirrorFilterRule", rule(f, ""),
	             "TrafficMirrorFilterRuleAlreadyExists",
	             S("Rule number 10 is already used in the ingress rules of %s by %s.", f, r));
	ok0("ModifyTrafficMirrorFilterNetworkServices", J("{'TrafficMirrorFilterId':'%s'}", f));
	assert_int_equal(vx_store_generation(st), gen + 2);
	ok0("ModifyTrafficMirrorFilterNetworkServices",
	    J("{'TrafficMirrorFilterId':'%s','AddNetworkServices':['amazon-dns']}", f));
	assert_int_equal(vx_store_generation(st), gen + 3);
	ok0("ModifyTrafficMirrorFilterRule",
	    J("{'TrafficMirrorFilterRuleId':'%s','RuleAction':'reject'}", r));
	assert_int_equal(vx_store_generation(st), gen + 4);
	/* One call is one change, however many rows it touches. */
	ok0("DeleteTrafficMirrorFilter", J("{'TrafficMirrorFilterId':'%s'}", f));
	assert_int_equal(vx_store_generation(st), gen + 5);
	vxid lo;
	lo_eni(lo);
	ok0("CreateFlowLogs",
	    flow_log(lo, S("'ResourceIds':['%s','%s'],'ResourceType':'NetworkInterface'", lo,
	                   NOT_AN_ENI)));
	assert_int_equal(vx_store_generation(st), gen + 6);
}

static void test_describe_unknown_filter_name(void **state)
{
	(void)state;
	expect_error("DescribeTrafficMirrorFilters",
	             J("{'Filters':[{'Name':'rule-number','Values':['1']}]}"),
	             "InvalidParameterValue",
	             "The filter 'rule-number' is invalid. Valid filters: description, "
	             "traffic-mirror-filter-id, tag:<key>, tag-key.");
	expect_error("DescribeTrafficMirrorTargets",
	             J("{'Filters':[{'Name':'Description','Values':['x']}]}"),
	             "InvalidParameterValue",
	             "The filter 'Description' is invalid. Valid filters: description, "
	             "network-interface-id, network-load-balancer-arn, owner-id, "
	             "traffic-mirror-target-id, tag:<key>, tag-key.");
	expect_error(
	    "DescribeFlowLogs", J("{'Filter':[{'Name':'resource-type','Values':['x']}]}"),
	    "InvalidParameterValue",
	    "The filter 'resource-type' is invalid. Valid filters: deliver-log-status, "
	    "log-destination-type, flow-log-id, log-group-name, resource-id, traffic-type, "
	    "tag:<key>, tag-key.");
	expect_error("DescribeFlowLogs", J("{'Filters':[]}"), "UnknownParameter",
	             "The parameter Filters is not recognized.");
	expect_error("DescribeTrafficMirrorSessions", J("{'Filters':[{'Values':['x']}]}"),
	             "MissingParameter", "The request must contain the parameter Filters.Name.");
	expect_error("DescribeTrafficMirrorSessions",
	             J("{'Filters':[{'Name':'description','Values':'x'}]}"),
	             "InvalidParameterValue",
	             "Value (\"x\") for parameter Filters.Values is invalid. Expected a list.");
	/* Filters work: values ORed, names ANDed, wildcards. */
	struct mirror m;
	make_mirror(&m);
	vxid s;
	make_session(s, m.lo, m.tmt, m.tmf, 1, "'Description':'web tier'");
	make_session(s, m.lo, m.tmt, m.tmf, 2, "'Description':'db tier'");
	json_t *r = ok("DescribeTrafficMirrorSessions",
	               J("{'Filters':[{'Name':'description','Values':['web*','nothing']},"
	                 "{'Name':'session-number','Values':['1']}]}"));
	assert_int_equal(json_array_size(at(r, "TrafficMirrorSessions")), 1);
	json_decref(r);
	r = ok("DescribeTrafficMirrorSessions",
	       J("{'Filters':[{'Name':'description','Values':['web*']},"
	         "{'Name':'session-number','Values':['2']}]}"));
	assert_int_equal(json_array_size(at(r, "TrafficMirrorSessions")), 0);
	json_decref(r);
}

static void test_describe_filter_without_values(void **state)
{
	(void)state;
	expect_error("DescribeTrafficMirrorTargets",
	             J("{'Filters':[{'Name':'description','Values':[]}]}"),
	             "InvalidParameterValue",
	             "The filter 'description' has no values; give at least one.");
	expect_error("DescribeTrafficMirrorSessions", J("{'Filters':[{'Name':'description'}]}"),
	             "InvalidParameterValue",
	             "The filter 'description' has no values; give at least one.");
}

static void test_describe_load_balancer_unknown_name(void **state)
{
	(void)state;
	expect_error("DescribeLoadBalancers", J("{'Names':['nope']}"), "LoadBalancerNotFound",
	             "No load balancer is named 'nope'.");
}

static void test_describe_unknown_id(void **state)
{
	(void)state;
	vxid f;
	make_filter(f);
	expect_error("DescribeTrafficMirrorFilters",
	             J("{'TrafficMirrorFilterIds':['%s','%s']}", f, NOT_A_FILTER),
	             "InvalidTrafficMirrorFilterId.NotFound",
	             S("The traffic mirror filter ID '%s' does not exist.", NOT_A_FILTER));
	expect_error("DescribeTrafficMirrorTargets",
	             J("{'TrafficMirrorTargetIds':['%s']}", NOT_A_TARGET),
	             "InvalidTrafficMirrorTargetId.NotFound",
	             S("The traffic mirror target ID '%s' does not exist.", NOT_A_TARGET));
	expect_error("DescribeTrafficMirrorSessions",
	             J("{'TrafficMirrorSessionIds':['%s']}", NOT_A_SESSION),
	             "InvalidTrafficMirrorSessionId.NotFound",
	             S("The traffic mirror session ID '%s' does not exist.", NOT_A_SESSION));
	expect_error("DescribeFlowLogs", J("{'FlowLogIds':['fl-0123456789abcdef0']}"),
	             "InvalidFlowLogId.NotFound",
	             "The flow log ID 'fl-0123456789abcdef0' does not exist.");
	expect_error("DescribeNetworkInterfaces", J("{'NetworkInterfaceIds':['%s']}", NOT_AN_ENI),
	             "InvalidNetworkInterfaceID.NotFound",
	             S("The network interface ID '%s' does not exist.", NOT_AN_ENI));
	json_t *r = ok("DescribeTrafficMirrorFilters", J("{'TrafficMirrorFilterIds':['%s']}", f));
	assert_int_equal(json_array_size(at(r, "TrafficMirrorFilters")), 1);
	json_decref(r);
}

static void test_describe_max_results_bounds(void **state)
{
	(void)state;
	static const struct {
		const char *action;
		int lo, hi;
	} d[] = {
	    {"DescribeTrafficMirrorFilters", 5, 1000},
	    {"DescribeTrafficMirrorTargets", 5, 1000},
	    {"DescribeTrafficMirrorSessions", 5, 1000},
	    {"DescribeNetworkInterfaces", 5, 1000},
	    {"DescribeFlowLogs", 1, 1000},
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		const int bad[] = {d[i].lo - 1, d[i].hi + 1};
		for (int k = 0; k < 2; k++)
			expect_error(d[i].action, J("{'MaxResults':%d}", bad[k]),
			             "InvalidParameterValue",
			             S("Value (%d) for parameter MaxResults is invalid. Allowed: "
			               "%d-%d.",
			               bad[k], d[i].lo, d[i].hi));
		ok0(d[i].action, J("{'MaxResults':%d}", d[i].lo));
		ok0(d[i].action, J("{'MaxResults':%d}", d[i].hi));
	}
	expect_error("DescribeTrafficMirrorFilters", J("{'MaxResults':'5'}"),
	             "InvalidParameterValue",
	             "Value (\"5\") for parameter MaxResults is invalid. Expected an integer.");
}

static void test_describe_paging_returns_each_item_once(void **state)
{
	(void)state;
	enum { N = 12 };
	vxid ids[N];
	for (int i = 0; i < N; i++)
		make_filter(ids[i]);
	bool seen[N] = {false};
	int pages = 0, total = 0;
	char token[64] = "";
	do {
		json_t *req = J("{'MaxResults':5}");
		if (*token)
			json_object_set_new(req, "NextToken", json_string(token));
		json_t *r = ok("DescribeTrafficMirrorFilters", req);
		json_t *page = at(r, "TrafficMirrorFilters");
		assert_int_equal(json_array_size(page), pages < 2 ? 5 : 2);
		size_t i;
		json_t *item;
		json_array_foreach(page, i, item)
		{
			const char *id = jstr(item, "TrafficMirrorFilterId");
			int k = 0;
			while (k < N && strcmp(ids[k], id))
				k++;
			assert_true(k < N);
			assert_false(seen[k]);
			seen[k] = true;
			total++;
		}
		json_t *next = json_object_get(r, "NextToken");
		snprintf(token, sizeof(token), "%s", next ? json_string_value(next) : "");
		json_decref(r);
		pages++;
	} while (*token);
	assert_int_equal(pages, 3);
	assert_int_equal(total, N);
	/* Filters apply before paging. */
	json_t *r = ok("DescribeTrafficMirrorFilters",
	               J("{'MaxResults':5,'Filters':[{'Name':'traffic-mirror-filter-id','Values':["
	                 "'%s','%s']}]}",
	                 ids[3], ids[11]));
	assert_int_equal(json_array_size(at(r, "TrafficMirrorFilters")), 2);
	assert_null(json_object_get(r, "NextToken"));
	json_decref(r);
	static const char *const bad[] = {"garbage", "vx-13", "vx--1", "vx-1x", "VX-5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(
		    "DescribeTrafficMirrorFilters", J("{'MaxResults':5,'NextToken':'%s'}", bad[i]),
		    "InvalidParameterValue",
		    S("Value (%s) for parameter NextToken is invalid. Pass the NextToken of "
		      "the previous response unchanged.",
		      bad[i]));
}

/* ---- export / apply ---- */

/* Drop the members that record when an object was created: apply creates
 * every object again, and they get the time of the apply. */
static void strip_times(json_t *v)
{
	if (json_is_object(v)) {
		json_object_del(v, "CreationTime");
		json_object_del(v, "CreatedTime");
		const char *k;
		json_t *m;
		json_object_foreach(v, k, m) strip_times(m);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) strip_times(e);
	}
}

/* Every describe's output, times dropped. */
static json_t *describe_all(void)
{
	static const char *const actions[] = {
	    "DescribeHost",
	    "DescribeNetworkInterfaces",
	    "DescribeLoadBalancers",
	    "DescribeTrafficMirrorTargets",
	    "DescribeTrafficMirrorFilters",
	    "DescribeTrafficMirrorSessions",
	    "DescribeFlowLogs",
	    "DescribeSecurityGroups",
	    "DescribeSecurityGroupRules",
	    "DescribeNetworkAcls",
	};
	json_t *all = json_object();
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		json_object_set_new(all, actions[i], ok(actions[i], J("{}")));
	strip_times(all);
	return all;
}

static void assert_same_json(json_t *want, json_t *got)
{
	if (json_equal(want, got))
		return;
	char *a = json_dumps(want, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	char *b = json_dumps(got, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	char pa[400], pb[400];
	tu_tmp_path(scratch, pa, sizeof(pa), "want.json");
	tu_tmp_path(scratch, pb, sizeof(pb), "got.json");
	FILE *fa = fopen(pa, "w"), *fb = fopen(pb, "w");
	if (fa && fb) {
		fputs(a, fa);
		fputs(b, fb);
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	char cmd[900];
	snprintf(cmd, sizeof(cmd), "diff -u '%s' '%s' | head -60 >&2", pa, pb);
	if (system(cmd) < 0)
		print_error("diff failed\n");
	free(a);
	free(b);
	fail_msg("JSON differs (diff above)");
}

static void make_sg(vxid out, const char *name);
static void default_acl(vxid out);

/* A state with one of everything. */
static void build_state(void)
{
	ok0("ConfigureHost", J("{'AccountId':'123456789012','Region':'eu-west-3','VpcId':"
	                       "'vpc-0123456789abcdef0','SubnetId':'subnet-01234567'}"));
	vxid lo, eni, eni6, arn, tmt, nlb, f1, f2, r, s;
	lo_eni(lo);
	take(eni,
	     ok("CreateNetworkInterface",
	        J("{'PrivateIpAddress':'192.0.2.10','Description':'analyzer','TagSpecifications':"
	          "[{'ResourceType':'network-interface','Tags':[{'Key':'Name','Value':'a1'}]}]}")),
	     "NetworkInterface.NetworkInterfaceId");
	take(eni6,
	     ok("CreateNetworkInterface",
	        J("{'PrivateIpAddress':'2001:db8::10','SubnetId':'subnet-89abcdef'}")),
	     "NetworkInterface.NetworkInterfaceId");
	json_t *lb = ok("CreateLoadBalancer",
	                J("{'Name':'analyzers','Targets':[{'Id':'192.0.2.50'},{'Id':'2001:db8::50',"
	                  "'Port':6081}],'HealthCheckPort':8080,'HealthCheckIntervalSeconds':30,"
	                  "'HealthCheckTimeoutSeconds':6,'HealthyThresholdCount':2,"
	                  "'UnhealthyThresholdCount':4}"));
	take(arn, json_incref(json_array_get(at(lb, "LoadBalancers"), 0)), "LoadBalancerArn");
	json_decref(lb);
	take(tmt,
	     ok("CreateTrafficMirrorTarget",
	        J("{'NetworkInterfaceId':'%s','Description':'one analyzer','TagSpecifications':"
	          "[{'ResourceType':'traffic-mirror-target','Tags':[{'Key':'env','Value':'prod'},"
	          "{'Key':'team','Value':'net'}]}]}",
	          eni)),
	     "TrafficMirrorTarget.TrafficMirrorTargetId");
	take(nlb, ok("CreateTrafficMirrorTarget", J("{'NetworkLoadBalancerArn':'%s'}", arn)),
	     "TrafficMirrorTarget.TrafficMirrorTargetId");
	take(f1,
	     ok("CreateTrafficMirrorFilter",
	        J("{'Description':'web','TagSpecifications':[{'ResourceType':"
	          "'traffic-mirror-filter','Tags':[{'Key':'Name','Value':'web'}]}]}")),
	     "TrafficMirrorFilter.TrafficMirrorFilterId");
	make_filter(f2);
	ok0("ModifyTrafficMirrorFilterNetworkServices",
	    J("{'TrafficMirrorFilterId':'%s','AddNetworkServices':['amazon-dns']}", f1));
	make_rule(r, f1,
	          "'RuleNumber':20,'Protocol':6,'DestinationPortRange':{'FromPort':443,'ToPort':"
	          "443},'Description':'https'");
	make_rule(r, f1, "'RuleNumber':10,'RuleAction':'reject','SourceCidrBlock':'10.0.0.0/8'");
	make_rule(r, f1,
	          "'RuleNumber':10,'TrafficDirection':'egress','Protocol':17,'SourcePortRange':"
	          "{'FromPort':53,'ToPort':53},'SourceCidrBlock':'::/0','DestinationCidrBlock':"
	          "'2001:db8::/32'");
	make_rule(r, f2, "'RuleNumber':5");
	make_session(s, lo, tmt, f1, 1,
	             "'PacketLength':100,'VirtualNetworkId':42,'Description':'first',"
	             "'TagSpecifications':[{'ResourceType':'traffic-mirror-session','Tags':[{'Key':"
	             "'k','Value':''}]}]");
	make_session(s, lo, nlb, f2, 2, "");
	make_session(s, lo, tmt, f2, 3, "'VirtualNetworkId':0");
	ok0("CreateFlowLogs",
	    flow_log(lo, "'LogFormat':'${version} ${srcaddr}','MaxAggregationInterval':60,"
	                 "'DeliverLogsPermissionArn':'arn:aws:iam::123456789012:role/fl',"
	                 "'TagSpecifications':[{'ResourceType':'vpc-flow-log','Tags':[{'Key':'a',"
	                 "'Value':'b'}]}]"));
	char local[400];
	tu_tmp_path(scratch, local, sizeof(local), "flows");
	ok0("CreateFlowLogs",
	    flow_log("vpc-0123456789abcdef0",
	             S("'ResourceType':'VPC','LogGroupName':null,'LogDestinationType':'s3',"
	               "'LogDestination':'%s','DestinationOptions':{'FileFormat':'plain-text',"
	               "'PerHourPartition':true}",
	               local)));
	ok0("CreateFlowLogs",
	    flow_log("subnet-01234567", "'ResourceType':'Subnet','TrafficType':'REJECT',"
	                                "'LogGroupName':null,'LogDestinationType':'s3',"
	                                "'LogDestination':'arn:aws:s3:::my-bucket/flows/'"));
	/* Security groups with rules, interfaces in them, an ACL with entries
	 * on the second subnet, a changed default ACL. */
	vxid web, db, acl, dflt_acl;
	take(web,
	     ok("CreateSecurityGroup",
	        J("{'GroupName':'web','Description':'web servers','TagSpecifications':[{"
	          "'ResourceType':'security-group','Tags':[{'Key':'tier','Value':'web'}]}]}")),
	     "GroupId");
	make_sg(db, "db");
	ok0("AuthorizeSecurityGroupIngress",
	    J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'tcp','FromPort':443,'ToPort':443,"
	      "'IpRanges':[{'CidrIp':'0.0.0.0/0','Description':'https'}],'Ipv6Ranges':[{'CidrIpv6':"
	      "'::/0'}],'UserIdGroupPairs':[{'GroupId':'%s'}]}],'TagSpecifications':[{"
	      "'ResourceType':'security-group-rule','Tags':[{'Key':'k','Value':'v'}]}]}",
	      web, db));
	ok0("AuthorizeSecurityGroupIngress",
	    J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'icmp','FromPort':8,'ToPort':-1,"
	      "'UserIdGroupPairs':[{'GroupId':'%s','Description':'ping'}]}]}",
	      db, web));
	ok0("RevokeSecurityGroupEgress",
	    J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'-1','Ipv6Ranges':[{'CidrIpv6':"
	      "'::/0'}]}]}",
	      web));
	ok0("ModifyNetworkInterfaceAttribute",
	    J("{'NetworkInterfaceId':'%s','Groups':['%s','%s']}", lo, db, web));
	ok0("ModifyNetworkInterfaceAttribute", J("{'NetworkInterfaceId':'%s','Groups':['%s']}", eni6,
	                                         web));
	take(acl,
	     ok("CreateNetworkAcl",
	        J("{'VpcId':'vpc-0123456789abcdef0','TagSpecifications':[{'ResourceType':"
	          "'network-acl','Tags':[{'Key':'Name','Value':'dmz'}]}]}")),
	     "NetworkAcl.NetworkAclId");
	ok0("CreateNetworkAclEntry",
	    J("{'NetworkAclId':'%s','RuleNumber':10,'Protocol':'tcp','RuleAction':'allow','Egress':"
	      "false,'CidrBlock':'10.0.0.0/8','PortRange':{'From':22,'To':22}}",
	      acl));
	ok0("CreateNetworkAclEntry",
	    J("{'NetworkAclId':'%s','RuleNumber':20,'Protocol':'58','RuleAction':'deny','Egress':"
	      "true,'Ipv6CidrBlock':'fd00::/8','IcmpTypeCode':{'Type':-1,'Code':-1}}",
	      acl));
	default_acl(dflt_acl);
	ok0("DeleteNetworkAclEntry",
	    J("{'NetworkAclId':'%s','RuleNumber':101,'Egress':true}", dflt_acl));
	json_t *d = ok("DescribeNetworkAcls",
	               J("{'Filters':[{'Name':'association.subnet-id','Values':['subnet-89abcdef']}]}"));
	json_t *assocs = at(json_array_get(at(d, "NetworkAcls"), 0), "Associations");
	size_t i;
	json_t *a;
	json_array_foreach(assocs, i, a) if (!strcmp(jstr(a, "SubnetId"), "subnet-89abcdef"))
	    ok0("ReplaceNetworkAclAssociation",
	        J("{'AssociationId':'%s','NetworkAclId':'%s'}", jstr(a, "NetworkAclAssociationId"),
	          acl));
	json_decref(d);
}

static void test_apply_of_export_reproduces_describe_output(void **state)
{
	(void)state;
	build_state();
	json_t *want = describe_all();
	json_t *exported = ok("ExportState", J("{}"));
	/* Change things, then apply the export onto the same store. */
	json_t *d = ok("DescribeTrafficMirrorSessions", J("{}"));
	size_t i;
	json_t *item;
	json_array_foreach(at(d, "TrafficMirrorSessions"), i, item)
	    ok0("DeleteTrafficMirrorSession",
	        J("{'TrafficMirrorSessionId':'%s'}", jstr(item, "TrafficMirrorSessionId")));
	json_decref(d);
	vxid extra;
	make_filter(extra);
	ok0("ConfigureHost", J("{'Region':'us-west-2'}"));
	int64_t gen = vx_store_generation(st);
	json_t *req = json_pack("{s:O}", "State", json_object_get(exported, "State"));
	json_t *r = ok("ApplyState", req);
	json_t *ret = J("{'Return':true}");
	assert_true(json_equal(r, ret));
	json_decref(ret);
	json_decref(r);
	assert_int_equal(vx_store_generation(st), gen + 1);
	json_t *got = describe_all();
	assert_same_json(want, got);
	json_decref(got);
	/* Applying the same document again changes nothing visible. */
	ok0("ApplyState", json_pack("{s:O}", "State", json_object_get(exported, "State")));
	got = describe_all();
	assert_same_json(want, got);
	json_decref(got);
	json_t *again = ok("ExportState", J("{}"));
	strip_times(again);
	strip_times(exported);
	assert_same_json(exported, again);
	json_decref(again);

	/* And onto a fresh store on the same host: the same IDs, host interfaces included. */
	vx_store_close(st);
	assert_int_equal(open_store("copy.db"), 0);
	ok0("ApplyState", json_pack("{s:O}", "State", json_object_get(exported, "State")));
	got = describe_all();
	assert_same_json(want, got);
	json_decref(got);
	json_decref(exported);
	json_decref(want);
}

/* Apply the exported document with one member of one object replaced; it
 * must fail with code and message, and change nothing. */
static void expect_apply_error(json_t *exported, const char *list, size_t index, const char *member,
                               json_t *value, const char *code, const char *message)
{
	json_t *doc = json_deep_copy(json_object_get(exported, "State"));
	json_t *obj = json_array_get(json_object_get(doc, list), index);
	assert_non_null(obj);
	json_object_set_new(obj, member, value);
	json_t *before = describe_all();
	expect_error("ApplyState", json_pack("{s:o}", "State", doc), code, message);
	json_t *after = describe_all();
	assert_same_json(before, after);
	json_decref(before);
	json_decref(after);
}

static void test_apply_with_one_bad_object_changes_nothing(void **state)
{
	(void)state;
	build_state();
	json_t *exported = ok("ExportState", J("{}"));
	json_t *doc = json_object_get(exported, "State");
	const char *s1 =
	    jstr(json_array_get(at(doc, "TrafficMirrorSessions"), 1), "TrafficMirrorSessionId");
	expect_apply_error(exported, "TrafficMirrorSessions", 1, "SessionNumber", json_integer(0),
	                   "InvalidParameterValue",
	                   S("State.TrafficMirrorSessions[1] (%s): Value (0) for parameter "
	                     "SessionNumber is invalid. Allowed: 1-32766.",
	                     s1));
	const char *t0 =
	    jstr(json_array_get(at(doc, "TrafficMirrorTargets"), 0), "TrafficMirrorTargetId");
	expect_apply_error(
	    exported, "TrafficMirrorTargets", 0, "NetworkInterfaceId", json_string(NOT_AN_ENI),
	    "InvalidNetworkInterfaceID.NotFound",
	    S("State.TrafficMirrorTargets[0] (%s): The networkInterface ID '%s' does "
	      "not exist.",
	      t0, NOT_AN_ENI));
	const char *f2 = jstr(json_array_get(at(doc, "FlowLogs"), 2), "FlowLogId");
	expect_apply_error(exported, "FlowLogs", 2, "TrafficType", json_string("SOME"),
	                   "InvalidParameterValue",
	                   S("State.FlowLogs[2] (%s): Value (SOME) for parameter TrafficType is "
	                     "invalid. Allowed: ACCEPT, REJECT, ALL.",
	                     f2));
	/* A flow log whose resource is gone: Unsuccessful becomes the error. */
	expect_apply_error(exported, "FlowLogs", 0, "ResourceId", json_string(NOT_AN_ENI),
	                   "InvalidNetworkInterfaceID.NotFound",
	                   S("State.FlowLogs[0] (%s): The networkInterface ID '%s' does not exist.",
	                     jstr(json_array_get(at(doc, "FlowLogs"), 0), "FlowLogId"),
	                     NOT_AN_ENI));
	const char *lb = jstr(json_array_get(at(doc, "LoadBalancers"), 0), "LoadBalancerArn");
	expect_apply_error(
	    exported, "LoadBalancers", 0, "LoadBalancerName", json_string("-x"),
	    "InvalidParameterValue",
	    S("State.LoadBalancers[0] (%s): Value (-x) for parameter Name is invalid. "
	      "A name has 1-32 letters, digits and hyphens, and does not start or end "
	      "with a hyphen.",
	      lb));
	/* Security groups, their rules, network ACLs and their entries. */
	const char *sg1 = jstr(json_array_get(at(doc, "SecurityGroups"), 1), "GroupId");
	expect_apply_error(exported, "SecurityGroups", 1, "GroupName", json_string("sg-web"),
	                   "InvalidParameterValue",
	                   S("State.SecurityGroups[1] (%s): Value (sg-web) for parameter GroupName "
	                     "is invalid. A group name cannot start with sg-.",
	                     sg1));
	const char *sgr0 =
	    jstr(json_array_get(at(doc, "SecurityGroupRules"), 0), "SecurityGroupRuleId");
	expect_apply_error(exported, "SecurityGroupRules", 0, "IpProtocol", json_string("gre"),
	                   "InvalidParameterValue",
	                   S("State.SecurityGroupRules[0] (%s): Value (gre) for parameter "
	                     "IpPermissions[0].IpProtocol is invalid. Allowed: tcp, udp, icmp, "
	                     "icmpv6, a protocol number 0-255, or -1 for all protocols.",
	                     sgr0));
	expect_apply_error(exported, "SecurityGroupRules", 0, "SecurityGroupRuleId",
	                   json_string("rule-1"), "InvalidParameterValue",
	                   "State.SecurityGroupRules[0]: SecurityGroupRuleId 'rule-1' is not a sgr- "
	                   "ID.");
	json_t *acl1 = json_array_get(at(doc, "NetworkAcls"), 1);
	json_t *entries = json_deep_copy(at(acl1, "Entries"));
	json_t *bad_entry = NULL;
	size_t k;
	json_array_foreach(entries, k, bad_entry) if (jint(bad_entry, "RuleNumber") == 10) break;
	json_object_set_new(bad_entry, "RuleAction", json_string("permit"));
	expect_apply_error(exported, "NetworkAcls", 1, "Entries", entries, "InvalidParameterValue",
	                   S("State.NetworkAcls[1].Entries[%zu] (%s): Value (permit) for parameter "
	                     "RuleAction is invalid. Allowed: allow, deny.",
	                     k, jstr(acl1, "NetworkAclId")));
	/* A rule is named by its place in its filter. */
	json_t *f = json_array_get(at(doc, "TrafficMirrorFilters"), 0);
	json_t *rules = json_deep_copy(at(f, "IngressFilterRules"));
	json_object_set_new(json_array_get(rules, 1), "RuleNumber", json_integer(32767));
	expect_apply_error(
	    exported, "TrafficMirrorFilters", 0, "IngressFilterRules", rules,
	    "InvalidParameterValue",
	    S("State.TrafficMirrorFilters[0].IngressFilterRules[1] (%s): Value (32767) "
	      "for parameter RuleNumber is invalid. Allowed: 1-32766.",
	      jstr(json_array_get(at(f, "IngressFilterRules"), 1), "TrafficMirrorFilterRuleId")));
	/* IDs must be IDs: an object the API could not address is refused. */
	expect_apply_error(
	    exported, "TrafficMirrorTargets", 1, "TrafficMirrorTargetId", json_string("target-1"),
	    "InvalidParameterValue",
	    "State.TrafficMirrorTargets[1]: TrafficMirrorTargetId 'target-1' is not a "
	    "tmt- ID.");
	expect_apply_error(
	    exported, "TrafficMirrorFilters", 1, "TrafficMirrorFilterId", json_string("tmf-XYZ"),
	    "InvalidParameterValue",
	    "State.TrafficMirrorFilters[1]: TrafficMirrorFilterId 'tmf-XYZ' is not a "
	    "tmf- ID.");
	expect_apply_error(
	    exported, "NetworkInterfaces", 0, "Kind", json_string("virtual"),
	    "InvalidParameterValue",
	    S("State.NetworkInterfaces[0] (%s): Kind 'virtual' is not valid; allowed: "
	      "host, remote.",
	      jstr(json_array_get(at(doc, "NetworkInterfaces"), 0), "NetworkInterfaceId")));
	/* The document as a whole. */
	json_t *bad = json_deep_copy(doc);
	json_object_set_new(bad, "Version", json_integer(2));
	expect_error("ApplyState", json_pack("{s:o}", "State", bad), "InvalidParameterValue",
	             "Value (2) for parameter State.Version is invalid. This vxtap reads state "
	             "documents of version 1.");
	bad = json_deep_copy(doc);
	json_object_set_new(bad, "TrafficMirrorTargets", json_object());
	expect_error("ApplyState", json_pack("{s:o}", "State", bad), "InvalidParameterValue",
	             "State.TrafficMirrorTargets must be a list.");
	expect_error("ApplyState", J("{'State':[]}"), "InvalidParameterValue",
	             "Value ([]) for parameter State is invalid. Expected a JSON object.");
	json_decref(exported);
}

/* ---- security groups ---- */

static const char NOT_A_GROUP[] = "sg-0123456789abcdef0";
static const char NOT_AN_ACL[] = "acl-0123456789abcdef0";

/* got, printed as the CLI prints it, is want's J-text exactly, member order
 * included. Takes got. */
__attribute__((format(printf, 2, 3))) static void expect_json(json_t *got, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *want = vJ(fmt, ap);
	va_end(ap);
	char *a = json_dumps(want, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	char *b = json_dumps(got, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (strcmp(a, b))
		assert_same_json(want, got); /* prints the diff */
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(want);
	json_decref(got);
}

static void host_identity(struct vx_host *h)
{
	assert_int_equal(vx_store_host(st, h, NULL), 0);
}

static void make_sg(vxid out, const char *name)
{
	take(out,
	     ok("CreateSecurityGroup", J("{'GroupName':'%s','Description':'group %s'}", name, name)),
	     "GroupId");
}

/* The ID of the first item of a describe list (with a filter). */
static void first_id(vxid out, const char *action, const char *list, const char *id_key,
                     const char *filter, const char *value)
{
	json_t *r = ok(action, J("{'Filters':[{'Name':'%s','Values':['%s']}]}", filter, value));
	json_t *items = json_object_get(r, list);
	assert_true(json_array_size(items) >= 1);
	snprintf(out, sizeof(vxid), "%s", jstr(json_array_get(items, 0), id_key));
	json_decref(r);
}

static void default_sg(vxid out)
{
	first_id(out, "DescribeSecurityGroups", "SecurityGroups", "GroupId", "group-name",
	         "default");
}

static void default_acl(vxid out)
{
	first_id(out, "DescribeNetworkAcls", "NetworkAcls", "NetworkAclId", "default", "true");
}

/* AuthorizeSecurityGroupIngress/Egress request: IpPermissions J-text. */
static json_t *perms(const char *sg, const char *permissions)
{
	return J("{'GroupId':'%s','IpPermissions':[%s]}", sg, permissions);
}

static void test_sg_defaults_of_a_new_store(void **state)
{
	(void)state;
	struct vx_host h;
	host_identity(&h);
	vxid sg, acl, assoc;
	default_sg(sg);
	expect_json(
	    ok("DescribeSecurityGroups", J("{}")),
	    "{'SecurityGroups':[{'GroupId':'%s','IpPermissionsEgress':[{'IpProtocol':'-1',"
	    "'UserIdGroupPairs':[],'IpRanges':[{'CidrIp':'0.0.0.0/0'}],'Ipv6Ranges':[{'CidrIpv6':"
	    "'::/0'}],'PrefixListIds':[]}],'VpcId':'%s','SecurityGroupArn':'arn:aws:ec2:us-east-1:"
	    "000000000000:security-group/%s','OwnerId':'000000000000','GroupName':'default',"
	    "'Description':'default VPC security group','IpPermissions':[{'IpProtocol':'-1',"
	    "'UserIdGroupPairs':[{'UserId':'000000000000','GroupId':'%s'}],'IpRanges':[],"
	    "'Ipv6Ranges':[],'PrefixListIds':[]}]}]}",
	    sg, h.vpc_id, sg, sg);
	default_acl(acl);
	json_t *r = ok("DescribeNetworkAcls", J("{}"));
	snprintf(assoc, sizeof(vxid), "%s",
	         jstr(json_array_get(at(json_array_get(at(r, "NetworkAcls"), 0), "Associations"), 0),
	              "NetworkAclAssociationId"));
	assert_true(strncmp(assoc, "aclassoc-", 9) == 0 && strlen(assoc) == 26);
	const char *allow = "'Protocol':'-1','RuleAction':'allow'";
	const char *deny = "'Protocol':'-1','RuleAction':'deny'";
	expect_json(r,
	            "{'NetworkAcls':[{'Associations':[{'NetworkAclAssociationId':'%s',"
	            "'NetworkAclId':'%s','SubnetId':'%s'}],'Entries':["
	            "{'CidrBlock':'0.0.0.0/0','Egress':true,%s,'RuleNumber':100},"
	            "{'Egress':true,'Ipv6CidrBlock':'::/0',%s,'RuleNumber':101},"
	            "{'CidrBlock':'0.0.0.0/0','Egress':true,%s,'RuleNumber':32767},"
	            "{'Egress':true,'Ipv6CidrBlock':'::/0',%s,'RuleNumber':32768},"
	            "{'CidrBlock':'0.0.0.0/0','Egress':false,%s,'RuleNumber':100},"
	            "{'Egress':false,'Ipv6CidrBlock':'::/0',%s,'RuleNumber':101},"
	            "{'CidrBlock':'0.0.0.0/0','Egress':false,%s,'RuleNumber':32767},"
	            "{'Egress':false,'Ipv6CidrBlock':'::/0',%s,'RuleNumber':32768}],"
	            "'IsDefault':true,'NetworkAclId':'%s','Tags':[],'VpcId':'%s',"
	            "'OwnerId':'000000000000'}]}",
	            assoc, acl, h.subnet_id, allow, allow, deny, deny, allow, allow, deny, deny, acl,
	            h.vpc_id);
	/* Interfaces have no group until they are given one. */
	vxid lo;
	lo_eni(lo);
	r = ok("DescribeNetworkInterfaces", J("{'NetworkInterfaceIds':['%s']}", lo));
	assert_int_equal(json_array_size(at(json_array_get(at(r, "NetworkInterfaces"), 0), "Groups")),
	                 0);
	json_decref(r);
}

static void test_sg_create_name_and_description(void **state)
{
	(void)state;
	struct vx_host h;
	host_identity(&h);
	const char *chars = "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*";
	expect_error("CreateSecurityGroup", J("{'GroupName':'','Description':'d'}"),
	             "InvalidParameterValue",
	             S("Value () for parameter GroupName is invalid. A group name has 1-255 "
	               "characters: %s.",
	               chars));
	expect_error("CreateSecurityGroup", J("{'GroupName':'%s','Description':'d'}", rep('a', 256)),
	             "InvalidParameterValue",
	             S("Value (%s) for parameter GroupName is invalid. A group name has 1-255 "
	               "characters: %s.",
	               rep('a', 256), chars));
	expect_error("CreateSecurityGroup", J("{'GroupName':'caf\\u00e9','Description':'d'}"),
	             "InvalidParameterValue",
	             S("Value (caf\xc3\xa9) for parameter GroupName is invalid. A group name has "
	               "1-255 characters: %s.",
	               chars));
	expect_error("CreateSecurityGroup", J("{'GroupName':'sg-web','Description':'d'}"),
	             "InvalidParameterValue",
	             "Value (sg-web) for parameter GroupName is invalid. A group name cannot start "
	             "with sg-.");
	expect_error("CreateSecurityGroup", J("{'GroupName':'web','Description':'a|b'}"),
	             "InvalidParameterValue",
	             S("Value (a|b) for parameter Description is invalid. A description has at most "
	               "255 characters: %s.",
	               chars));
	expect_error("CreateSecurityGroup", J("{'GroupName':'web'}"), "MissingParameter",
	             "The request must contain the parameter Description.");
	expect_error("CreateSecurityGroup",
	             J("{'GroupName':'web','Description':'d','VpcId':'vpc-0123456789abcdef0'}"),
	             "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist.");
	expect_error("CreateSecurityGroup", J("{'GroupName':'default','Description':'d'}"),
	             "InvalidGroup.Reserved", "The security group 'default' is reserved.");
	expect_error("CreateSecurityGroup",
	             J("{'GroupName':'web','Description':'d','TagSpecifications':[{'ResourceType':"
	               "'network-acl','Tags':[{'Key':'a','Value':'b'}]}]}"),
	             "InvalidParameterValue",
	             "Value (network-acl) for parameter TagSpecifications.ResourceType is invalid. "
	             "This call creates a security-group; tag specifications must name that "
	             "resource type.");
	/* Allowed: every allowed character; the host's VPC named. */
	json_t *r = ok("CreateSecurityGroup",
	               J("{'GroupName':'web 1._-:/()#,@[]+=&;{}!$*','Description':'','VpcId':'%s',"
	                 "'TagSpecifications':[{'ResourceType':'security-group','Tags':[{'Key':"
	                 "'Name','Value':'web'}]}]}",
	                 h.vpc_id));
	vxid id;
	snprintf(id, sizeof(vxid), "%s", jstr(r, "GroupId"));
	assert_true(strncmp(id, "sg-", 3) == 0 && strlen(id) == 20);
	expect_json(r,
	            "{'GroupId':'%s','Tags':[{'Key':'Name','Value':'web'}],'SecurityGroupArn':"
	            "'arn:aws:ec2:us-east-1:000000000000:security-group/%s'}",
	            id, id);
	expect_error("CreateSecurityGroup",
	             J("{'GroupName':'web 1._-:/()#,@[]+=&;{}!$*','Description':'again'}"),
	             "InvalidGroup.Duplicate",
	             S("The security group 'web 1._-:/()#,@[]+=&;{}!$*' already exists for VPC "
	               "'%s'.",
	               h.vpc_id));
	/* Untagged: no Tags member, as EC2 answers. */
	r = ok("CreateSecurityGroup", J("{'GroupName':'db','Description':'d'}"));
	assert_null(json_object_get(r, "Tags"));
	json_decref(r);
}

static void test_sg_describe_shape_with_rules(void **state)
{
	(void)state;
	struct vx_host h;
	host_identity(&h);
	vxid web, dflt;
	make_sg(web, "web");
	default_sg(dflt);
	/* A new group allows all outbound traffic. */
	ok0("AuthorizeSecurityGroupIngress",
	    J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'tcp','FromPort':22,'ToPort':22,"
	      "'IpRanges':[{'CidrIp':'10.0.0.1/16'}],'UserIdGroupPairs':[{'GroupId':'%s',"
	      "'Description':'admins'}]}]}",
	      web, web));
	ok0("AuthorizeSecurityGroupIngress",
	    J("{'GroupName':'web','IpPermissions':[{'IpProtocol':'6','FromPort':443,'ToPort':443,"
	      "'IpRanges':[{'CidrIp':'0.0.0.0/0','Description':'https'}],'Ipv6Ranges':[{'CidrIpv6':"
	      "'2001:DB8::1/32'}]},{'IpProtocol':'icmp','FromPort':8,'ToPort':-1,'IpRanges':[{"
	      "'CidrIp':'192.0.2.0/24'}]},{'IpProtocol':'50','FromPort':1,'ToPort':2,'IpRanges':"
	      "[{'CidrIp':'192.0.2.0/24'}]},{'IpProtocol':'tcp','FromPort':22,'ToPort':22,"
	      "'UserIdGroupPairs':[{'GroupId':'%s'}]}]}",
	      dflt));
	json_t *r = ok("DescribeSecurityGroups", J("{'GroupIds':['%s']}", web));
	expect_json(
	    r,
	    "{'SecurityGroups':[{'GroupId':'%s','IpPermissionsEgress':[{'IpProtocol':'-1',"
	    "'UserIdGroupPairs':[],'IpRanges':[{'CidrIp':'0.0.0.0/0'}],'Ipv6Ranges':[{'CidrIpv6':"
	    "'::/0'}],'PrefixListIds':[]}],'VpcId':'%s','SecurityGroupArn':'arn:aws:ec2:us-east-1:"
	    "000000000000:security-group/%s','OwnerId':'000000000000','GroupName':'web',"
	    "'Description':'group web','IpPermissions':["
	    "{'IpProtocol':'tcp','FromPort':22,'ToPort':22,'UserIdGroupPairs':[{'Description':"
	    "'admins','UserId':'000000000000','GroupId':'%s'},{'UserId':'000000000000','GroupId':"
	    "'%s'}],'IpRanges':[{'CidrIp':'10.0.0.0/16'}],'Ipv6Ranges':[],'PrefixListIds':[]},"
	    "{'IpProtocol':'tcp','FromPort':443,'ToPort':443,'UserIdGroupPairs':[],'IpRanges':[{"
	    "'Description':'https','CidrIp':'0.0.0.0/0'}],'Ipv6Ranges':[{'CidrIpv6':"
	    "'2001:db8::/32'}],'PrefixListIds':[]},"
	    "{'IpProtocol':'icmp','FromPort':8,'ToPort':-1,'UserIdGroupPairs':[],'IpRanges':[{"
	    "'CidrIp':'192.0.2.0/24'}],'Ipv6Ranges':[],'PrefixListIds':[]},"
	    "{'IpProtocol':'50','UserIdGroupPairs':[],'IpRanges':[{'CidrIp':'192.0.2.0/24'}],"
	    "'Ipv6Ranges':[],'PrefixListIds':[]}]}]}",
	    web, h.vpc_id, web, web, dflt);
	/* The same rules one by one, with IDs. */
	r = ok("DescribeSecurityGroupRules",
	       J("{'Filters':[{'Name':'group-id','Values':['%s']}]}", web));
	json_t *list = at(r, "SecurityGroupRules");
	assert_int_equal(json_array_size(list), 9); /* 2 outbound, 7 inbound */
	json_t *first = json_incref(json_array_get(list, 2));
	const char *id = jstr(first, "SecurityGroupRuleId");
	vxid rid;
	snprintf(rid, sizeof(vxid), "%s", id);
	json_decref(r);
	expect_json(first,
	            "{'SecurityGroupRuleId':'%s','GroupId':'%s','GroupOwnerId':'000000000000',"
	            "'IsEgress':false,'IpProtocol':'tcp','FromPort':22,'ToPort':22,'CidrIpv4':"
	            "'10.0.0.0/16','Tags':[],'SecurityGroupRuleArn':'arn:aws:ec2:us-east-1:"
	            "000000000000:security-group-rule/%s'}",
	            rid, web, rid);
	r = ok("DescribeSecurityGroupRules", J("{'SecurityGroupRuleIds':['%s']}", rid));
	assert_int_equal(json_array_size(at(r, "SecurityGroupRules")), 1);
	json_decref(r);
	expect_error("DescribeSecurityGroupRules",
	             J("{'SecurityGroupRuleIds':['sgr-0123456789abcdef0']}"),
	             "InvalidSecurityGroupRuleId.NotFound",
	             "The security group rule ID 'sgr-0123456789abcdef0' does not exist.");
	/* Filters. */
	r = ok("DescribeSecurityGroups",
	       J("{'Filters':[{'Name':'ip-permission.group-id','Values':['%s']}]}", dflt));
	assert_int_equal(json_array_size(at(r, "SecurityGroups")), 2);
	json_decref(r);
	r = ok("DescribeSecurityGroups",
	       J("{'Filters':[{'Name':'ip-permission.cidr','Values':['192.0.2.*']}]}"));
	assert_int_equal(json_array_size(at(r, "SecurityGroups")), 1);
	json_decref(r);
	r = ok("DescribeSecurityGroups", J("{'GroupNames':['default']}"));
	assert_string_equal(jstr(json_array_get(at(r, "SecurityGroups"), 0), "GroupId"), dflt);
	assert_int_equal(json_array_size(at(r, "SecurityGroups")), 1);
	json_decref(r);
	/* Paging; NextToken comes first in this result, as in the model. */
	r = ok("DescribeSecurityGroups", J("{'MaxResults':5}"));
	assert_int_equal(json_array_size(at(r, "SecurityGroups")), 2);
	assert_null(json_object_get(r, "NextToken"));
	json_decref(r);
	for (int i = 0; i < 4; i++)
		make_sg(rid, S("extra%d", i));
	r = ok("DescribeSecurityGroups", J("{'MaxResults':5}"));
	assert_string_equal(json_object_iter_key(json_object_iter(r)), "NextToken");
	assert_string_equal(jstr(r, "NextToken"), "vx-5");
	json_decref(r);
	r = ok("DescribeSecurityGroups", J("{'MaxResults':5,'NextToken':'vx-5'}"));
	assert_int_equal(json_array_size(at(r, "SecurityGroups")), 1);
	json_decref(r);
	expect_error("DescribeSecurityGroups", J("{'GroupNames':['nope']}"), "InvalidGroup.NotFound",
	             S("The security group 'nope' does not exist in VPC '%s'.", h.vpc_id));
	expect_error("DescribeSecurityGroups", J("{'GroupIds':['%s']}", NOT_A_GROUP),
	             "InvalidGroup.NotFound",
	             S("The security group ID '%s' does not exist.", NOT_A_GROUP));
}

static void test_sg_rule_validation(void **state)
{
	(void)state;
	struct vx_host h;
	host_identity(&h);
	vxid sg;
	make_sg(sg, "web");
	const char *A = "AuthorizeSecurityGroupIngress";
	expect_error(A, perms(sg, "{'IpProtocol':'gre','IpRanges':[{'CidrIp':'0.0.0.0/0'}]}"),
	             "InvalidParameterValue",
	             "Value (gre) for parameter IpPermissions[0].IpProtocol is invalid. Allowed: "
	             "tcp, udp, icmp, icmpv6, a protocol number 0-255, or -1 for all protocols.");
	expect_error(A, perms(sg, "{'IpProtocol':'256','IpRanges':[{'CidrIp':'0.0.0.0/0'}]}"),
	             "InvalidParameterValue",
	             "Value (256) for parameter IpPermissions[0].IpProtocol is invalid. Allowed: "
	             "tcp, udp, icmp, icmpv6, a protocol number 0-255, or -1 for all protocols.");
	expect_error(A, perms(sg, "{'IpRanges':[{'CidrIp':'0.0.0.0/0'}]}"), "MissingParameter",
	             "The request must contain the parameter IpPermissions[0].IpProtocol.");
	expect_error(A, perms(sg, "{'IpProtocol':'tcp','FromPort':22,'IpRanges':[{'CidrIp':"
	                          "'0.0.0.0/0'}]}"),
	             "InvalidParameterValue",
	             "IpPermissions[0]: protocol tcp needs both FromPort and ToPort (0-65535).");
	expect_error(A, perms(sg, "{'IpProtocol':'udp','FromPort':-1,'ToPort':53,'IpRanges':[{"
	                          "'CidrIp':'0.0.0.0/0'}]}"),
	             "InvalidParameterValue",
	             "Value (-1) for parameter IpPermissions[0].FromPort is invalid. Allowed: "
	             "0-65535 for TCP and UDP.");
	expect_error(A, perms(sg, "{'IpProtocol':'tcp','FromPort':1,'ToPort':65536,'IpRanges':[{"
	                          "'CidrIp':'0.0.0.0/0'}]}"),
	             "InvalidParameterValue",
	             "Value (65536) for parameter IpPermissions[0].ToPort is invalid. Allowed: "
	             "0-65535 for TCP and UDP.");
	expect_error(A, perms(sg, "{'IpProtocol':'tcp','FromPort':80,'ToPort':79,'IpRanges':[{"
	                          "'CidrIp':'0.0.0.0/0'}]}"),
	             "InvalidParameterValue",
	             "Value (80-79) for parameter IpPermissions[0] is invalid. FromPort must not be "
	             "greater than ToPort.");
	expect_error(A, perms(sg, "{'IpProtocol':'icmp','FromPort':256,'ToPort':0,'IpRanges':[{"
	                          "'CidrIp':'0.0.0.0/0'}]}"),
	             "InvalidParameterValue",
	             "Value (256) for parameter IpPermissions[0].FromPort is invalid. Allowed: an "
	             "ICMP type 0-255, or -1 for all types.");
	expect_error(A, perms(sg, "{'IpProtocol':'icmpv6','FromPort':1,'ToPort':-2,'Ipv6Ranges':[{"
	                          "'CidrIpv6':'::/0'}]}"),
	             "InvalidParameterValue",
	             "Value (-2) for parameter IpPermissions[0].ToPort is invalid. Allowed: an ICMP "
	             "code 0-255, or -1 for all codes.");
	expect_error(A, perms(sg, "{'IpProtocol':'icmp','FromPort':-1,'ToPort':0,'IpRanges':[{"
	                          "'CidrIp':'0.0.0.0/0'}]}"),
	             "InvalidParameterValue",
	             "Value (0) for parameter IpPermissions[0].ToPort is invalid. Allowed: -1 when "
	             "the ICMP type (FromPort) is -1.");
	expect_error(A, perms(sg, "{'IpProtocol':'-1','IpRanges':[{'CidrIp':'10.0.0.0/33'}]}"),
	             "InvalidParameterValue",
	             "Value (10.0.0.0/33) for parameter IpPermissions[0].IpRanges[0].CidrIp is "
	             "invalid. This is not a valid CIDR block: the prefix length must be 0-32.");
	expect_error(A, perms(sg, "{'IpProtocol':'-1','IpRanges':[{'CidrIp':'::/0'}]}"),
	             "InvalidParameterValue",
	             "Value (::/0) for parameter IpPermissions[0].IpRanges[0].CidrIp is invalid. "
	             "This is not an IPv4 CIDR block; IPv6 blocks go in Ipv6Ranges.");
	expect_error(A,
	             perms(sg, "{'IpProtocol':'-1','IpRanges':[{'CidrIp':'0.0.0.0/0'}]},{'IpProtocol':"
	                       "'-1','Ipv6Ranges':[{'CidrIpv6':'10.0.0.0/8'}]}"),
	             "InvalidParameterValue",
	             "Value (10.0.0.0/8) for parameter IpPermissions[1].Ipv6Ranges[0].CidrIpv6 is "
	             "invalid. This is not an IPv6 CIDR block; IPv4 blocks go in IpRanges.");
	expect_error(A, perms(sg, "{'IpProtocol':'-1','IpRanges':[{'Description':'x'}]}"),
	             "MissingParameter",
	             "The request must contain the parameter IpPermissions[0].IpRanges[0].CidrIp.");
	expect_error(A, perms(sg, "{'IpProtocol':'-1','IpRanges':[{'CidrIp':'0.0.0.0/0',"
	                          "'Description':'a\\u00e9'}]}"),
	             "InvalidParameterValue",
	             "Value (a\xc3\xa9) for parameter IpPermissions[0].IpRanges[0].Description is "
	             "invalid. A description has at most 255 characters: letters, digits, spaces "
	             "and ._-:/()#,@[]+=&;{}!$*.");
	expect_error(A, perms(sg, "{'IpProtocol':'tcp','FromPort':1,'ToPort':2}"), "MissingParameter",
	             "IpPermissions[0] names no peer: give IpRanges, Ipv6Ranges or "
	             "UserIdGroupPairs.");
	expect_error(A, perms(sg, "{'IpProtocol':'-1','PrefixListIds':[{'PrefixListId':"
	                          "'pl-12345678'}]}"),
	             "InvalidPrefixListID.NotFound",
	             "The prefix list ID 'pl-12345678' does not exist.");
	expect_error(A, perms(sg, "{'IpProtocol':'-1','UserIdGroupPairs':[{'GroupId':"
	                          "'sg-0123456789abcdef0'}]}"),
	             "InvalidGroup.NotFound",
	             "The security group ID 'sg-0123456789abcdef0' does not exist.");
	expect_error(A, perms(sg, "{'IpProtocol':'-1','UserIdGroupPairs':[{'GroupName':'nope'}]}"),
	             "InvalidGroup.NotFound",
	             S("The security group 'nope' does not exist in VPC '%s'.", h.vpc_id));
	expect_error(A, perms(sg, "{'IpProtocol':'-1','UserIdGroupPairs':[{'UserId':"
	                          "'000000000000'}]}"),
	             "MissingParameter",
	             "The request must contain the parameter "
	             "IpPermissions[0].UserIdGroupPairs[0].GroupId.");
	expect_error(A, perms(sg, "{'IpProtocol':'-1','UserIdGroupPairs':[{'GroupName':'web',"
	                          "'UserId':'111122223333'}]}"),
	             "InvalidParameterValue",
	             "Value (111122223333) for parameter IpPermissions[0].UserIdGroupPairs[0].UserId "
	             "is invalid. Only the groups of this account (000000000000) can be referenced.");
	expect_error(A, perms(sg, "{'IpProtocol':'-1','UserIdGroupPairs':[{'GroupName':'web',"
	                          "'VpcPeeringConnectionId':'pcx-12345678'}]}"),
	             "InvalidParameterValue",
	             "Value (pcx-12345678) for parameter "
	             "IpPermissions[0].UserIdGroupPairs[0].VpcPeeringConnectionId is invalid. vxtap "
	             "has no VPC peering connections.");
	expect_error(A, J("{'GroupId':'%s'}", sg), "MissingParameter",
	             "The request must contain the parameter IpPermissions.");
	expect_error(A, J("{'GroupId':'%s','IpPermissions':[]}", sg), "MissingParameter",
	             "The request must contain the parameter IpPermissions.");
	expect_error(A, J("{'GroupId':'%s','GroupName':'web','CidrIp':'0.0.0.0/0'}", sg),
	             "InvalidParameterCombination", "Give GroupId or GroupName, not both.");
	expect_error(A, J("{'CidrIp':'0.0.0.0/0'}"), "MissingParameter",
	             "The request must contain the parameter GroupId or GroupName.");
	expect_error(A, J("{'GroupId':'%s','CidrIp':'0.0.0.0/0'}", NOT_A_GROUP),
	             "InvalidGroup.NotFound",
	             S("The security group ID '%s' does not exist.", NOT_A_GROUP));
	expect_error(A, J("{'GroupId':'sg-xyz','CidrIp':'0.0.0.0/0'}"), "InvalidGroup.NotFound",
	             "The security group ID 'sg-xyz' does not exist.");
	expect_error(A,
	             J("{'GroupId':'%s','CidrIp':'0.0.0.0/0','IpProtocol':'-1','IpPermissions':[{"
	               "'IpProtocol':'-1','IpRanges':[{'CidrIp':'0.0.0.0/0'}]}]}",
	               sg),
	             "InvalidParameterCombination",
	             "Give either IpPermissions or IpProtocol, FromPort, ToPort, CidrIp, "
	             "SourceSecurityGroupName and SourceSecurityGroupOwnerId, not both.");
	expect_error("AuthorizeSecurityGroupEgress",
	             J("{'GroupName':'web','IpPermissions':[{'IpProtocol':'-1'}]}"),
	             "UnknownParameter", "The parameter GroupName is not recognized.");
	expect_error(A, J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':6}]}", sg),
	             "InvalidParameterValue",
	             "Value (6) for parameter IpPermissions.IpProtocol is invalid. Expected a string.");
	expect_error(A,
	             J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'-1','IpRanges':[{'Cidr':"
	               "'0.0.0.0/0'}]}]}",
	               sg),
	             "UnknownParameter",
	             "The parameter IpPermissions.IpRanges.Cidr is not recognized.");
	expect_error(A,
	             J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'-1','IpRanges':[{'CidrIp':"
	               "'0.0.0.0/0'}]}],'TagSpecifications':[{'ResourceType':'security-group','Tags':"
	               "[]}]}",
	               sg),
	             "InvalidParameterValue",
	             "Value (security-group) for parameter TagSpecifications.ResourceType is "
	             "invalid. This call creates a security-group-rule; tag specifications must name "
	             "that resource type.");
	/* Other protocols ignore the ports, as AWS does; a CIDR with host bits
	 * set is taken as its network. */
	json_t *r = ok(A, perms(sg, "{'IpProtocol':'47','FromPort':5,'ToPort':1,'IpRanges':[{"
	                            "'CidrIp':'10.1.2.3/8'}]}"));
	json_t *rule = json_array_get(at(r, "SecurityGroupRules"), 0);
	assert_int_equal(jint(rule, "FromPort"), -1);
	assert_int_equal(jint(rule, "ToPort"), -1);
	assert_string_equal(jstr(rule, "CidrIpv4"), "10.0.0.0/8");
	json_decref(r);
}

static void test_sg_duplicate_rules(void **state)
{
	(void)state;
	vxid sg, other;
	make_sg(sg, "web");
	make_sg(other, "db");
	const char *A = "AuthorizeSecurityGroupIngress";
	ok0(A, perms(sg, "{'IpProtocol':'tcp','FromPort':22,'ToPort':22,'IpRanges':[{'CidrIp':"
	                 "'10.0.0.0/16'}]}"));
	/* The same rule: by number, with a description, host bits set. */
	expect_error(A,
	             perms(sg, "{'IpProtocol':'6','FromPort':22,'ToPort':22,'IpRanges':[{'CidrIp':"
	                       "'10.0.9.9/16','Description':'again'}]}"),
	             "InvalidPermission.Duplicate",
	             "the specified rule \"peer: 10.0.0.0/16, TCP, from port: 22, to port: 22, "
	             "ALLOW\" already exists");
	/* Twice in one request. */
	expect_error(A,
	             perms(sg, "{'IpProtocol':'-1','IpRanges':[{'CidrIp':'192.0.2.0/24'},{'CidrIp':"
	                       "'192.0.2.0/24'}]}"),
	             "InvalidPermission.Duplicate",
	             "the specified rule \"peer: 192.0.2.0/24, ALL, ALLOW\" already exists");
	ok0(A, J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'icmp','FromPort':8,'ToPort':0,"
	         "'UserIdGroupPairs':[{'GroupId':'%s'}]}]}",
	         sg, other));
	expect_error(A,
	             J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'1','FromPort':8,'ToPort':0,"
	               "'UserIdGroupPairs':[{'GroupName':'db'}]}]}",
	               sg),
	             "InvalidPermission.Duplicate",
	             S("the specified rule \"peer: %s, ICMP, type: 8, code: 0, ALLOW\" already "
	               "exists",
	               other));
	/* The default outbound rule of a new group. */
	expect_error("AuthorizeSecurityGroupEgress",
	             perms(sg, "{'IpProtocol':'-1','Ipv6Ranges':[{'CidrIpv6':'::/0'}]}"),
	             "InvalidPermission.Duplicate",
	             "the specified rule \"peer: ::/0, ALL, ALLOW\" already exists");
	/* The same peer in the other direction is another rule. */
	ok0("AuthorizeSecurityGroupEgress",
	    perms(sg, "{'IpProtocol':'tcp','FromPort':22,'ToPort':22,'IpRanges':[{'CidrIp':"
	              "'10.0.0.0/16'}]}"));
}

static void test_sg_rule_limit_60_per_direction_and_family(void **state)
{
	(void)state;
	vxid sg, other;
	make_sg(sg, "web");
	make_sg(other, "db");
	json_t *list = json_array();
	for (int i = 0; i < 60; i++)
		json_array_append_new(list, J("{'CidrIp':'10.0.%d.0/24'}", i));
	json_t *req = J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'tcp','FromPort':80,"
	                "'ToPort':80}]}",
	                sg);
	json_object_set_new(json_array_get(json_object_get(req, "IpPermissions"), 0), "IpRanges",
	                    list);
	json_t *r = ok("AuthorizeSecurityGroupIngress", req);
	assert_int_equal(json_array_size(at(r, "SecurityGroupRules")), 60);
	json_decref(r);
	expect_error("AuthorizeSecurityGroupIngress",
	             perms(sg, "{'IpProtocol':'tcp','FromPort':81,'ToPort':81,'IpRanges':[{'CidrIp':"
	                       "'10.0.0.0/24'}]}"),
	             "RulesPerSecurityGroupLimitExceeded",
	             S("The maximum number of rules per security group has been reached: %s would "
	               "have 61 IPv4 inbound rules (at most 60).",
	               sg));
	/* A group counts as IPv4 and IPv6; IPv6 has room of its own. */
	expect_error("AuthorizeSecurityGroupIngress",
	             J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'-1','UserIdGroupPairs':[{"
	               "'GroupId':'%s'}]}]}",
	               sg, other),
	             "RulesPerSecurityGroupLimitExceeded",
	             S("The maximum number of rules per security group has been reached: %s would "
	               "have 61 IPv4 inbound rules (at most 60).",
	               sg));
	ok0("AuthorizeSecurityGroupIngress",
	    perms(sg, "{'IpProtocol':'-1','Ipv6Ranges':[{'CidrIpv6':'2001:db8::/32'}]}"));
	/* Outbound is counted apart: 2 default rules there. */
	ok0("AuthorizeSecurityGroupEgress",
	    perms(sg, "{'IpProtocol':'tcp','FromPort':1,'ToPort':1,'IpRanges':[{'CidrIp':"
	              "'10.0.0.0/8'}]}"));
}

static void test_sg_simple_members_and_revoke(void **state)
{
	(void)state;
	vxid sg, other;
	make_sg(sg, "web");
	make_sg(other, "db");
	/* The older top-level members: one rule ... */
	json_t *r = ok("AuthorizeSecurityGroupIngress",
	               J("{'GroupName':'web','IpProtocol':'udp','FromPort':53,'ToPort':53,"
	                 "'CidrIp':'0.0.0.0/0'}"));
	assert_int_equal(json_array_size(at(r, "SecurityGroupRules")), 1);
	vxid udp;
	snprintf(udp, sizeof(vxid), "%s",
	         jstr(json_array_get(at(r, "SecurityGroupRules"), 0), "SecurityGroupRuleId"));
	json_decref(r);
	/* ... or, for a source group alone, all of TCP, UDP and ICMP. */
	r = ok("AuthorizeSecurityGroupIngress",
	       J("{'GroupId':'%s','SourceSecurityGroupName':'db'}", sg));
	json_t *rules = at(r, "SecurityGroupRules");
	assert_int_equal(json_array_size(rules), 3);
	assert_string_equal(jstr(json_array_get(rules, 0), "IpProtocol"), "tcp");
	assert_int_equal(jint(json_array_get(rules, 0), "ToPort"), 65535);
	assert_string_equal(jstr(json_array_get(rules, 1), "IpProtocol"), "udp");
	assert_string_equal(jstr(json_array_get(rules, 2), "IpProtocol"), "icmp");
	assert_string_equal(jstr(json_array_get(rules, 2), "ReferencedGroupInfo.GroupId"), other);
	json_decref(r);
	/* Revoke as authorized; the answer lists what went. */
	r = ok("RevokeSecurityGroupIngress",
	       perms(sg, "{'IpProtocol':'17','FromPort':53,'ToPort':53,'IpRanges':[{'CidrIp':"
	                 "'0.0.0.0/0'}]}"));
	expect_json(r,
	            "{'Return':true,'RevokedSecurityGroupRules':[{'SecurityGroupRuleId':'%s',"
	            "'GroupId':'%s','IsEgress':false,'IpProtocol':'udp','FromPort':53,'ToPort':53,"
	            "'CidrIpv4':'0.0.0.0/0'}]}",
	            udp, sg);
	expect_error("RevokeSecurityGroupIngress",
	             perms(sg, "{'IpProtocol':'udp','FromPort':53,'ToPort':53,'IpRanges':[{'CidrIp':"
	                       "'0.0.0.0/0'}]}"),
	             "InvalidPermission.NotFound",
	             "The specified rule does not exist in this security group.");
	/* An inbound rule is not an outbound one. */
	expect_error("RevokeSecurityGroupEgress",
	             J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'icmp','FromPort':-1,"
	               "'ToPort':-1,'UserIdGroupPairs':[{'GroupId':'%s'}]}]}",
	               sg, other),
	             "InvalidPermission.NotFound",
	             "The specified rule does not exist in this security group.");
	/* By ID: the group's rules of that direction only. */
	json_t *d = ok("DescribeSecurityGroupRules",
	               J("{'Filters':[{'Name':'group-id','Values':['%s']}]}", sg));
	vxid out4, in_tcp;
	snprintf(out4, sizeof(vxid), "%s",
	         jstr(json_array_get(at(d, "SecurityGroupRules"), 0), "SecurityGroupRuleId"));
	snprintf(in_tcp, sizeof(vxid), "%s",
	         jstr(json_array_get(at(d, "SecurityGroupRules"), 2), "SecurityGroupRuleId"));
	json_decref(d);
	expect_error("RevokeSecurityGroupIngress",
	             J("{'GroupId':'%s','SecurityGroupRuleIds':['%s']}", sg, out4),
	             "InvalidSecurityGroupRuleId.NotFound",
	             S("The security group rule ID '%s' does not exist.", out4));
	expect_error("RevokeSecurityGroupIngress",
	             J("{'GroupId':'%s','SecurityGroupRuleIds':['%s']}", other, in_tcp),
	             "InvalidSecurityGroupRuleId.NotFound",
	             S("The security group rule ID '%s' does not exist.", in_tcp));
	r = ok("RevokeSecurityGroupEgress",
	       J("{'GroupId':'%s','SecurityGroupRuleIds':['%s','%s']}", sg, out4, out4));
	assert_int_equal(json_array_size(at(r, "RevokedSecurityGroupRules")), 1);
	json_decref(r);
	ok0("RevokeSecurityGroupIngress", J("{'GroupId':'%s','SecurityGroupRuleIds':['%s']}", sg,
	                                    in_tcp));
	d = ok("DescribeSecurityGroupRules", J("{'Filters':[{'Name':'group-id','Values':['%s']}]}",
	                                       sg));
	assert_int_equal(json_array_size(at(d, "SecurityGroupRules")), 3); /* ::/0 out; udp, icmp */
	json_decref(d);
	expect_error("RevokeSecurityGroupIngress", J("{'GroupId':'%s'}", sg), "MissingParameter",
	             "The request must contain the parameter IpPermissions.");
}

static void test_sg_delete(void **state)
{
	(void)state;
	vxid dflt, web, db, lo;
	default_sg(dflt);
	make_sg(web, "web");
	make_sg(db, "db");
	expect_error("DeleteSecurityGroup", J("{'GroupId':'%s'}", dflt), "CannotDelete",
	             S("the specified group: \"%s\" name: \"default\" cannot be deleted by a user",
	               dflt));
	expect_error("DeleteSecurityGroup", J("{'GroupName':'default'}"), "CannotDelete",
	             S("the specified group: \"%s\" name: \"default\" cannot be deleted by a user",
	               dflt));
	expect_error("DeleteSecurityGroup", J("{'GroupId':'%s'}", NOT_A_GROUP),
	             "InvalidGroup.NotFound",
	             S("The security group ID '%s' does not exist.", NOT_A_GROUP));
	/* Referenced by another group's rule. */
	ok0("AuthorizeSecurityGroupIngress",
	    J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'-1','UserIdGroupPairs':[{'GroupId':"
	      "'%s'}]}]}",
	      web, db));
	expect_error("DeleteSecurityGroup", J("{'GroupId':'%s'}", db), "DependencyViolation",
	             S("resource %s has a dependent object (%s)", db, web));
	/* Used by an interface. */
	lo_eni(lo);
	ok0("ModifyNetworkInterfaceAttribute",
	    J("{'NetworkInterfaceId':'%s','Groups':['%s']}", lo, web));
	expect_error("DeleteSecurityGroup", J("{'GroupId':'%s'}", web), "DependencyViolation",
	             S("resource %s has a dependent object (%s)", web, lo));
	ok0("ModifyNetworkInterfaceAttribute", J("{'NetworkInterfaceId':'%s','Groups':[]}", lo));
	/* A rule that names its own group is no obstacle. */
	ok0("AuthorizeSecurityGroupIngress",
	    J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'-1','UserIdGroupPairs':[{'GroupId':"
	      "'%s'}]}]}",
	      web, web));
	expect_json(ok("DeleteSecurityGroup", J("{'GroupName':'web'}")),
	            "{'Return':true,'GroupId':'%s'}", web);
	ok0("DeleteSecurityGroup", J("{'GroupId':'%s'}", db));
	assert_int_equal(count("DescribeSecurityGroups", "SecurityGroups"), 1);
	assert_int_equal(count("DescribeSecurityGroupRules", "SecurityGroupRules"), 3);
}

static void test_interface_groups(void **state)
{
	(void)state;
	vxid lo, sg[6];
	lo_eni(lo);
	for (int i = 0; i < 6; i++)
		make_sg(sg[i], S("g%d", i));
	const char *M = "ModifyNetworkInterfaceAttribute";
	expect_error(M, J("{'NetworkInterfaceId':'%s','Groups':['%s','%s','%s','%s','%s','%s']}", lo,
	                  sg[0], sg[1], sg[2], sg[3], sg[4], sg[5]),
	             "SecurityGroupsPerInterfaceLimitExceeded",
	             "Groups names 6 security groups; an interface has at most 5.");
	expect_error(M, J("{'NetworkInterfaceId':'%s','Groups':['%s','%s']}", lo, sg[0], NOT_A_GROUP),
	             "InvalidGroup.NotFound",
	             S("The security group ID '%s' does not exist.", NOT_A_GROUP));
	expect_error(M, J("{'NetworkInterfaceId':'%s','Groups':['%s']}", NOT_AN_ENI, sg[0]),
	             "InvalidNetworkInterfaceID.NotFound",
	             S("The networkInterface ID '%s' does not exist.", NOT_AN_ENI));
	expect_error(M, J("{'NetworkInterfaceId':'%s'}", lo), "MissingParameter",
	             "The request must contain the parameter Groups (the only attribute vxtap "
	             "changes).");
	expect_error(M, J("{'NetworkInterfaceId':'%s','Description':{'Value':'x'}}", lo),
	             "UnknownParameter", "The parameter Description is not recognized.");
	/* In the order given, a repeated one once; a sixth name repeated is fine. */
	json_t *r = ok(M, J("{'NetworkInterfaceId':'%s','Groups':['%s','%s','%s','%s','%s','%s']}",
	                    lo, sg[3], sg[1], sg[3], sg[0], sg[4], sg[2]));
	assert_int_equal(json_object_size(r), 0);
	json_decref(r);
	r = ok("DescribeNetworkInterfaces", J("{'NetworkInterfaceIds':['%s']}", lo));
	expect_json(json_incref(at(json_array_get(at(r, "NetworkInterfaces"), 0), "Groups")),
	            "[{'GroupId':'%s','GroupName':'g3'},{'GroupId':'%s','GroupName':'g1'},"
	            "{'GroupId':'%s','GroupName':'g0'},{'GroupId':'%s','GroupName':'g4'},"
	            "{'GroupId':'%s','GroupName':'g2'}]",
	            sg[3], sg[1], sg[0], sg[4], sg[2]);
	json_decref(r);
	r = ok("DescribeNetworkInterfaces",
	       J("{'Filters':[{'Name':'group-name','Values':['g4']}]}"));
	assert_int_equal(json_array_size(at(r, "NetworkInterfaces")), 1);
	json_decref(r);
	/* A registered interface takes groups when it is created. */
	expect_error("CreateNetworkInterface",
	             J("{'PrivateIpAddress':'192.0.2.9','Groups':['%s']}", NOT_A_GROUP),
	             "InvalidGroup.NotFound",
	             S("The security group ID '%s' does not exist.", NOT_A_GROUP));
	r = ok("CreateNetworkInterface",
	       J("{'PrivateIpAddress':'192.0.2.9','Groups':['%s','%s']}", sg[5], sg[0]));
	expect_json(json_incref(at(r, "NetworkInterface.Groups")),
	            "[{'GroupId':'%s','GroupName':'g5'},{'GroupId':'%s','GroupName':'g0'}]", sg[5],
	            sg[0]);
	vxid remote;
	snprintf(remote, sizeof(vxid), "%s", jstr(r, "NetworkInterface.NetworkInterfaceId"));
	json_decref(r);
	expect_error("DeleteSecurityGroup", J("{'GroupId':'%s'}", sg[5]), "DependencyViolation",
	             S("resource %s has a dependent object (%s)", sg[5], remote));
	ok0("DeleteNetworkInterface", J("{'NetworkInterfaceId':'%s'}", remote));
	ok0("DeleteSecurityGroup", J("{'GroupId':'%s'}", sg[5]));
	/* An empty list: no groups. */
	ok0(M, J("{'NetworkInterfaceId':'%s','Groups':[]}", lo));
	r = ok("DescribeNetworkInterfaces", J("{'NetworkInterfaceIds':['%s']}", lo));
	assert_int_equal(json_array_size(at(json_array_get(at(r, "NetworkInterfaces"), 0), "Groups")),
	                 0);
	json_decref(r);
}

/* ---- network ACLs ---- */

static void make_acl(vxid out)
{
	struct vx_host h;
	host_identity(&h);
	take(out, ok("CreateNetworkAcl", J("{'VpcId':'%s'}", h.vpc_id)), "NetworkAcl.NetworkAclId");
}

/* A valid CreateNetworkAclEntry request (ingress #100, all protocols,
 * 0.0.0.0/0, allow), with extra laid over it. */
static json_t *entry(const char *acl, const char *extra)
{
	json_t *r = J("{'NetworkAclId':'%s','RuleNumber':100,'Protocol':'-1','RuleAction':'allow',"
	              "'Egress':false,'CidrBlock':'0.0.0.0/0'}",
	              acl);
	return with(r, "{%s}", extra);
}

static void test_acl_create_and_delete(void **state)
{
	(void)state;
	struct vx_host h;
	host_identity(&h);
	expect_error("CreateNetworkAcl", J("{}"), "MissingParameter",
	             "The request must contain the parameter VpcId.");
	expect_error("CreateNetworkAcl", J("{'VpcId':'vpc-12345678'}"), "InvalidVpcID.NotFound",
	             "The vpc ID 'vpc-12345678' does not exist.");
	json_t *r = ok("CreateNetworkAcl",
	               J("{'VpcId':'%s','ClientToken':'t1','TagSpecifications':[{'ResourceType':"
	                 "'network-acl','Tags':[{'Key':'Name','Value':'private'}]}]}",
	                 h.vpc_id));
	vxid acl;
	snprintf(acl, sizeof(vxid), "%s", jstr(r, "NetworkAcl.NetworkAclId"));
	/* A new ACL denies everything: only the * entries. */
	expect_json(r,
	            "{'NetworkAcl':{'Associations':[],'Entries':["
	            "{'CidrBlock':'0.0.0.0/0','Egress':true,'Protocol':'-1','RuleAction':'deny',"
	            "'RuleNumber':32767},{'Egress':true,'Ipv6CidrBlock':'::/0','Protocol':'-1',"
	            "'RuleAction':'deny','RuleNumber':32768},{'CidrBlock':'0.0.0.0/0','Egress':false,"
	            "'Protocol':'-1','RuleAction':'deny','RuleNumber':32767},{'Egress':false,"
	            "'Ipv6CidrBlock':'::/0','Protocol':'-1','RuleAction':'deny','RuleNumber':32768}],"
	            "'IsDefault':false,'NetworkAclId':'%s','Tags':[{'Key':'Name','Value':'private'}],"
	            "'VpcId':'%s','OwnerId':'000000000000'},'ClientToken':'t1'}",
	            acl, h.vpc_id);
	vxid dflt;
	default_acl(dflt);
	expect_error("DeleteNetworkAcl", J("{'NetworkAclId':'%s'}", dflt), "InvalidParameterValue",
	             S("cannot delete default network ACL %s", dflt));
	expect_error("DeleteNetworkAcl", J("{'NetworkAclId':'%s'}", NOT_AN_ACL),
	             "InvalidNetworkAclID.NotFound",
	             S("The network ACL ID '%s' does not exist.", NOT_AN_ACL));
	json_t *d = ok("DescribeNetworkAcls", J("{'NetworkAclIds':['%s']}", dflt));
	vxid assoc;
	snprintf(assoc, sizeof(vxid), "%s",
	         jstr(json_array_get(at(json_array_get(at(d, "NetworkAcls"), 0), "Associations"), 0),
	              "NetworkAclAssociationId"));
	json_decref(d);
	r = ok("ReplaceNetworkAclAssociation",
	       J("{'AssociationId':'%s','NetworkAclId':'%s'}", assoc, acl));
	vxid assoc2;
	snprintf(assoc2, sizeof(vxid), "%s", jstr(r, "NewAssociationId"));
	assert_true(strncmp(assoc2, "aclassoc-", 9) == 0 && strcmp(assoc, assoc2));
	json_decref(r);
	expect_error("DeleteNetworkAcl", J("{'NetworkAclId':'%s'}", acl), "DependencyViolation",
	             S("The network ACL '%s' has dependencies and cannot be deleted.", acl));
	expect_error("ReplaceNetworkAclAssociation",
	             J("{'AssociationId':'%s','NetworkAclId':'%s'}", assoc, dflt),
	             "InvalidAssociationID.NotFound",
	             S("The association ID '%s' does not exist.", assoc));
	expect_error("ReplaceNetworkAclAssociation",
	             J("{'AssociationId':'%s','NetworkAclId':'%s'}", assoc2, NOT_AN_ACL),
	             "InvalidNetworkAclID.NotFound",
	             S("The network ACL ID '%s' does not exist.", NOT_AN_ACL));
	d = ok("DescribeNetworkAcls",
	       J("{'Filters':[{'Name':'association.subnet-id','Values':['%s']}]}", h.subnet_id));
	assert_int_equal(json_array_size(at(d, "NetworkAcls")), 1);
	assert_string_equal(jstr(json_array_get(at(d, "NetworkAcls"), 0), "NetworkAclId"), acl);
	json_decref(d);
	ok0("ReplaceNetworkAclAssociation",
	    J("{'AssociationId':'%s','NetworkAclId':'%s'}", assoc2, dflt));
	r = ok("DeleteNetworkAcl", J("{'NetworkAclId':'%s'}", acl));
	assert_int_equal(json_object_size(r), 0);
	json_decref(r);
	assert_int_equal(count("DescribeNetworkAcls", "NetworkAcls"), 1);
}

static void test_acl_entry_validation(void **state)
{
	(void)state;
	vxid acl;
	make_acl(acl);
	const char *C = "CreateNetworkAclEntry";
	expect_error(C, entry(NOT_AN_ACL, ""), "InvalidNetworkAclID.NotFound",
	             S("The network ACL ID '%s' does not exist.", NOT_AN_ACL));
	expect_error(C, entry(acl, "'Egress':null"), "MissingParameter",
	             "The request must contain the parameter Egress.");
	expect_error(C, entry(acl, "'RuleNumber':0"), "InvalidParameterValue",
	             "Value (0) for parameter RuleNumber is invalid. Allowed: 1-32766 (the * "
	             "entries cannot be changed).");
	expect_error(C, entry(acl, "'RuleNumber':32767"), "InvalidParameterValue",
	             "Value (32767) for parameter RuleNumber is invalid. Allowed: 1-32766 (the * "
	             "entries cannot be changed).");
	static const char *const bad_protocols[] = {"TCP", "256", "-2", "007", ""};
	for (size_t i = 0; i < sizeof(bad_protocols) / sizeof(bad_protocols[0]); i++)
		expect_error(C, entry(acl, S("'Protocol':'%s'", bad_protocols[i])),
		             "InvalidParameterValue",
		             S("Value (%s) for parameter Protocol is invalid. Allowed: a protocol "
		               "number 0-255, -1 for all protocols, or tcp, udp, icmp, icmpv6, all.",
		               bad_protocols[i]));
	expect_error(C, entry(acl, "'RuleAction':'accept'"), "InvalidParameterValue",
	             "Value (accept) for parameter RuleAction is invalid. Allowed: allow, deny.");
	expect_error(C, entry(acl, "'CidrBlock':null"), "MissingParameter",
	             "The request must contain the parameter CidrBlock or Ipv6CidrBlock.");
	expect_error(C, entry(acl, "'Ipv6CidrBlock':'::/0'"), "InvalidParameterCombination",
	             "Give CidrBlock or Ipv6CidrBlock, not both.");
	expect_error(C, entry(acl, "'CidrBlock':'10.0.0.1/8'"), "InvalidParameterValue",
	             "Value (10.0.0.1/8) for parameter CidrBlock is invalid. This is not a valid "
	             "CIDR block: host bits are set (the network is 10.0.0.0/8).");
	expect_error(C, entry(acl, "'CidrBlock':'::/0'"), "InvalidParameterValue",
	             "Value (::/0) for parameter CidrBlock is invalid. This is not an IPv4 CIDR "
	             "block; IPv6 blocks go in Ipv6CidrBlock.");
	expect_error(C, entry(acl, "'CidrBlock':null,'Ipv6CidrBlock':'10.0.0.0/8'"),
	             "InvalidParameterValue",
	             "Value (10.0.0.0/8) for parameter Ipv6CidrBlock is invalid. This is not an "
	             "IPv6 CIDR block; IPv4 blocks go in CidrBlock.");
	expect_error(C, entry(acl, "'Protocol':'tcp'"), "MissingParameter",
	             "The request must contain the parameter PortRange.");
	expect_error(C, entry(acl, "'Protocol':'17','PortRange':{'To':53}"), "MissingParameter",
	             "The request must contain the parameter PortRange.From.");
	expect_error(C, entry(acl, "'Protocol':'6','PortRange':{'From':0,'To':65536}"),
	             "InvalidParameterValue",
	             "Value (65536) for parameter PortRange.To is invalid. Allowed: 0-65535.");
	expect_error(C, entry(acl, "'Protocol':'6','PortRange':{'From':81,'To':80}"),
	             "InvalidParameterValue",
	             "Value (81-80) for parameter PortRange is invalid. From must not be greater "
	             "than To.");
	expect_error(C, entry(acl, "'Protocol':'icmp'"), "MissingParameter",
	             "The request must contain the parameter IcmpTypeCode.");
	expect_error(C, entry(acl, "'Protocol':'1','IcmpTypeCode':{'Type':8}"), "MissingParameter",
	             "The request must contain the parameter IcmpTypeCode.Code.");
	expect_error(C, entry(acl, "'Protocol':'1','IcmpTypeCode':{'Type':300,'Code':0}"),
	             "InvalidParameterValue",
	             "Value (300) for parameter IcmpTypeCode.Type is invalid. Allowed: an ICMP type "
	             "0-255, or -1 for all types.");
	expect_error(C, entry(acl, "'Protocol':'1','IcmpTypeCode':{'Type':-1,'Code':3}"),
	             "InvalidParameterValue",
	             "Value (3) for parameter IcmpTypeCode.Code is invalid. Allowed: -1 when the "
	             "ICMP type is -1.");
	expect_error(C, entry(acl, "'Protocol':'58','CidrBlock':null,'Ipv6CidrBlock':'::/0'"),
	             "MissingParameter", "The request must contain the parameter IcmpTypeCode.");
	expect_error(C, entry(acl, "'PortRange':{'From':1,'To':2,'Bad':3}"), "UnknownParameter",
	             "The parameter PortRange.Bad is not recognized.");
	/* ICMPv6 with an IPv4 block matches all of it (AWS); ports of other
	 * protocols are not kept. */
	ok0(C, entry(acl, "'Protocol':'58','RuleNumber':1"));
	ok0(C, entry(acl, "'Protocol':'all','RuleNumber':2,'PortRange':{'From':1,'To':2}"));
	ok0(C, entry(acl, "'Protocol':'udp','RuleNumber':3,'PortRange':{'From':53,'To':53},"
	                  "'IcmpTypeCode':{'Type':1,'Code':1}"));
	json_t *d = ok("DescribeNetworkAcls", J("{'NetworkAclIds':['%s']}", acl));
	json_t *e = at(json_array_get(at(d, "NetworkAcls"), 0), "Entries");
	expect_json(json_incref(json_array_get(e, 2)),
	            "{'CidrBlock':'0.0.0.0/0','Egress':false,'Protocol':'58','RuleAction':'allow',"
	            "'RuleNumber':1}");
	expect_json(json_incref(json_array_get(e, 3)),
	            "{'CidrBlock':'0.0.0.0/0','Egress':false,'Protocol':'-1','RuleAction':'allow',"
	            "'RuleNumber':2}");
	expect_json(json_incref(json_array_get(e, 4)),
	            "{'CidrBlock':'0.0.0.0/0','Egress':false,'PortRange':{'From':53,'To':53},"
	            "'Protocol':'17','RuleAction':'allow','RuleNumber':3}");
	json_decref(d);
	/* Numbers are unique per direction. */
	expect_error(C, entry(acl, "'RuleNumber':3"), "NetworkAclEntryAlreadyExists",
	             "The network acl entry identified by 3 already exists.");
	ok0(C, entry(acl, "'RuleNumber':3,'Egress':true"));
}

static void test_acl_entry_limit_20_per_direction_and_family(void **state)
{
	(void)state;
	vxid acl;
	make_acl(acl);
	for (int i = 1; i <= 20; i++)
		ok0("CreateNetworkAclEntry", entry(acl, S("'RuleNumber':%d", i)));
	expect_error("CreateNetworkAclEntry", entry(acl, "'RuleNumber':21"),
	             "NetworkAclEntryLimitExceeded",
	             S("The maximum number of network ACL entries has been reached: %s already has "
	               "20 IPv4 inbound entries.",
	               acl));
	/* IPv6 and outbound have their own 20; replacing does not add one. */
	ok0("CreateNetworkAclEntry",
	    entry(acl, "'RuleNumber':21,'CidrBlock':null,'Ipv6CidrBlock':'::/0'"));
	ok0("CreateNetworkAclEntry", entry(acl, "'RuleNumber':21,'Egress':true"));
	ok0("ReplaceNetworkAclEntry", entry(acl, "'RuleNumber':20,'RuleAction':'deny'"));
	expect_error("ReplaceNetworkAclEntry",
	             entry(acl, "'RuleNumber':21,'CidrBlock':'10.0.0.0/8','Ipv6CidrBlock':null"),
	             "NetworkAclEntryLimitExceeded",
	             S("The maximum number of network ACL entries has been reached: %s already has "
	               "20 IPv4 inbound entries.",
	               acl));
}

static void test_acl_replace_and_delete_entries(void **state)
{
	(void)state;
	vxid acl;
	make_acl(acl);
	ok0("CreateNetworkAclEntry",
	    entry(acl, "'Protocol':'tcp','PortRange':{'From':80,'To':80},'CidrBlock':'10.0.0.0/8'"));
	ok0("CreateNetworkAclEntry",
	    entry(acl, "'Egress':true,'RuleNumber':200,'Protocol':'icmpv6','CidrBlock':null,"
	               "'Ipv6CidrBlock':'2001:DB8::/32','IcmpTypeCode':{'Type':128,'Code':0},"
	               "'RuleAction':'deny'"));
	expect_error("ReplaceNetworkAclEntry", entry(acl, "'RuleNumber':101"),
	             "InvalidNetworkAclEntry.NotFound",
	             S("The network acl entry identified by 101 (ingress) does not exist in %s.",
	               acl));
	expect_error("ReplaceNetworkAclEntry", entry(acl, "'Egress':true"),
	             "InvalidNetworkAclEntry.NotFound",
	             S("The network acl entry identified by 100 (egress) does not exist in %s.", acl));
	ok0("ReplaceNetworkAclEntry",
	    entry(acl, "'Protocol':'6','PortRange':{'From':443,'To':443},'RuleAction':'deny'"));
	json_t *d = ok("DescribeNetworkAcls", J("{'NetworkAclIds':['%s']}", acl));
	expect_json(json_incref(at(json_array_get(at(d, "NetworkAcls"), 0), "Entries")),
	            "[{'Egress':true,'IcmpTypeCode':{'Code':0,'Type':128},'Ipv6CidrBlock':"
	            "'2001:db8::/32','Protocol':'58','RuleAction':'deny','RuleNumber':200},"
	            "{'CidrBlock':'0.0.0.0/0','Egress':true,'Protocol':'-1','RuleAction':'deny',"
	            "'RuleNumber':32767},{'Egress':true,'Ipv6CidrBlock':'::/0','Protocol':'-1',"
	            "'RuleAction':'deny','RuleNumber':32768},"
	            "{'CidrBlock':'0.0.0.0/0','Egress':false,'PortRange':{'From':443,'To':443},"
	            "'Protocol':'6','RuleAction':'deny','RuleNumber':100},"
	            "{'CidrBlock':'0.0.0.0/0','Egress':false,'Protocol':'-1','RuleAction':'deny',"
	            "'RuleNumber':32767},{'Egress':false,'Ipv6CidrBlock':'::/0','Protocol':'-1',"
	            "'RuleAction':'deny','RuleNumber':32768}]");
	json_decref(d);
	/* Filters reach into the entries. */
	d = ok("DescribeNetworkAcls",
	       J("{'Filters':[{'Name':'entry.icmp.type','Values':['128']},{'Name':'entry.egress',"
	         "'Values':['true']}]}"));
	assert_int_equal(json_array_size(at(d, "NetworkAcls")), 1);
	json_decref(d);
	const char *D = "DeleteNetworkAclEntry";
	expect_error(D, J("{'NetworkAclId':'%s','RuleNumber':200}", acl), "MissingParameter",
	             "The request must contain the parameter Egress.");
	expect_error(D, J("{'NetworkAclId':'%s','RuleNumber':32767,'Egress':true}", acl),
	             "InvalidParameterValue",
	             "Value (32767) for parameter RuleNumber is invalid. Allowed: 1-32766 (the * "
	             "entries cannot be changed).");
	expect_error(D, J("{'NetworkAclId':'%s','RuleNumber':200,'Egress':false}", acl),
	             "InvalidNetworkAclEntry.NotFound",
	             S("The network acl entry identified by 200 (ingress) does not exist in %s.",
	               acl));
	ok0(D, J("{'NetworkAclId':'%s','RuleNumber':200,'Egress':true}", acl));
	ok0(D, J("{'NetworkAclId':'%s','RuleNumber':100,'Egress':false}", acl));
	d = ok("DescribeNetworkAcls", J("{'NetworkAclIds':['%s']}", acl));
	assert_int_equal(json_array_size(at(json_array_get(at(d, "NetworkAcls"), 0), "Entries")), 4);
	json_decref(d);
	/* The default ACL's entries can be changed too. */
	vxid dflt;
	default_acl(dflt);
	ok0(D, J("{'NetworkAclId':'%s','RuleNumber':101,'Egress':true}", dflt));
}

static void test_acl_associations_follow_subnets(void **state)
{
	(void)state;
	vxid dflt, acl;
	default_acl(dflt);
	make_acl(acl);
	/* A registered interface in another subnet: that subnet gets the
	 * default ACL; it goes with the last interface in it. */
	vxid eni;
	take(eni,
	     ok("CreateNetworkInterface",
	        J("{'PrivateIpAddress':'192.0.2.7','SubnetId':'subnet-0a0b0c0d'}")),
	     "NetworkInterface.NetworkInterfaceId");
	json_t *d = ok("DescribeNetworkAcls",
	               J("{'Filters':[{'Name':'association.subnet-id','Values':['subnet-0a0b0c0d']}]}"));
	assert_int_equal(json_array_size(at(d, "NetworkAcls")), 1);
	assert_string_equal(jstr(json_array_get(at(d, "NetworkAcls"), 0), "NetworkAclId"), dflt);
	json_decref(d);
	ok0("DeleteNetworkInterface", J("{'NetworkInterfaceId':'%s'}", eni));
	d = ok("DescribeNetworkAcls",
	       J("{'Filters':[{'Name':'association.subnet-id','Values':['subnet-0a0b0c0d']}]}"));
	assert_int_equal(json_array_size(at(d, "NetworkAcls")), 0);
	json_decref(d);
	/* A new host subnet gets the default ACL; the old one's goes. */
	struct vx_host h;
	host_identity(&h);
	ok0("ConfigureHost", J("{'SubnetId':'subnet-11112222'}"));
	d = ok("DescribeNetworkAcls", J("{'NetworkAclIds':['%s']}", dflt));
	json_t *assocs = at(json_array_get(at(d, "NetworkAcls"), 0), "Associations");
	assert_int_equal(json_array_size(assocs), 1);
	assert_string_equal(jstr(json_array_get(assocs, 0), "SubnetId"), "subnet-11112222");
	json_decref(d);
}

/* ---- the configuration the data path gets ---- */

static const struct vx_policy_iface *policy_iface(const struct vx_config *cfg, const char *eni)
{
	for (size_t i = 0; i < cfg->policy.n_ifaces; i++)
		if (!strcmp(cfg->policy.ifaces[i].eni, eni))
			return &cfg->policy.ifaces[i];
	fail_msg("interface %s not in the configuration", eni);
	return NULL;
}

static const struct vx_sg_cfg *policy_group(const struct vx_config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->policy.n_groups; i++)
		if (!strcmp(cfg->policy.groups[i].id, id))
			return &cfg->policy.groups[i];
	fail_msg("group %s not in the configuration", id);
	return NULL;
}

static void test_policy_configuration(void **state)
{
	(void)state;
	vxid dflt_sg, web, dflt_acl, acl, lo, remote;
	default_sg(dflt_sg);
	make_sg(web, "web");
	default_acl(dflt_acl);
	make_acl(acl);
	lo_eni(lo);
	ok0("AuthorizeSecurityGroupIngress",
	    J("{'GroupId':'%s','IpPermissions':[{'IpProtocol':'tcp','FromPort':80,'ToPort':81,"
	      "'IpRanges':[{'CidrIp':'10.0.0.0/8'}]},{'IpProtocol':'icmpv6','FromPort':128,"
	      "'ToPort':-1,'UserIdGroupPairs':[{'GroupId':'%s'}]}]}",
	      web, dflt_sg));
	ok0("CreateNetworkAclEntry",
	    entry(acl, "'Protocol':'udp','PortRange':{'From':53,'To':53},'RuleAction':'deny'"));
	ok0("CreateNetworkAclEntry",
	    entry(acl, "'RuleNumber':7,'Egress':true,'Protocol':'1','IcmpTypeCode':{'Type':3,"
	               "'Code':4},'CidrBlock':null,'Ipv6CidrBlock':'fd00::/8'"));
	ok0("ModifyNetworkInterfaceAttribute",
	    J("{'NetworkInterfaceId':'%s','Groups':['%s','%s']}", lo, web, dflt_sg));
	take(remote,
	     ok("CreateNetworkInterface",
	        J("{'PrivateIpAddress':'2001:db8::5','SubnetId':'subnet-0a0b0c0d','Groups':['%s']}",
	          web)),
	     "NetworkInterface.NetworkInterfaceId");
	json_t *d = ok("DescribeNetworkAcls", J("{'NetworkAclIds':['%s']}", dflt_acl));
	json_t *assocs = at(json_array_get(at(d, "NetworkAcls"), 0), "Associations");
	vxid remote_assoc = "";
	size_t i;
	json_t *a;
	json_array_foreach(assocs, i, a) if (!strcmp(jstr(a, "SubnetId"), "subnet-0a0b0c0d"))
	    snprintf(remote_assoc, sizeof(vxid), "%s", jstr(a, "NetworkAclAssociationId"));
	json_decref(d);
	assert_true(remote_assoc[0]);
	ok0("ReplaceNetworkAclAssociation",
	    J("{'AssociationId':'%s','NetworkAclId':'%s'}", remote_assoc, acl));

	struct vx_config *cfg;
	struct vx_err err;
	assert_int_equal(vx_config_load(st, &cfg, &err), 0);
	const struct vx_policy_cfg *p = &cfg->policy;
	assert_int_equal(p->n_groups, 2);
	assert_int_equal(p->n_nacls, 2);
	/* The default group: from itself, out to all (IPv4 and IPv6). */
	const struct vx_sg_cfg *g = policy_group(cfg, dflt_sg);
	assert_int_equal(g->n_rules, 3);
	assert_false(g->rules[0].egress);
	assert_true(g->rules[0].by_group);
	assert_string_equal(g->rules[0].group_id, dflt_sg);
	assert_int_equal(g->rules[0].match.protocol, -1);
	assert_true(g->rules[1].egress);
	assert_int_equal(g->rules[1].cidr.family, 4);
	assert_int_equal(g->rules[1].cidr.prefix, 0);
	assert_int_equal(g->rules[2].cidr.family, 6);
	g = policy_group(cfg, web);
	assert_int_equal(g->n_rules, 4);
	assert_false(g->rules[0].egress);
	assert_int_equal(g->rules[0].match.protocol, 6);
	assert_int_equal(g->rules[0].match.from_port, 80);
	assert_int_equal(g->rules[0].match.to_port, 81);
	assert_false(g->rules[0].by_group);
	assert_int_equal(g->rules[0].cidr.family, 4);
	assert_int_equal(g->rules[0].cidr.prefix, 8);
	assert_int_equal(g->rules[0].cidr.addr[0], 10);
	assert_int_equal(g->rules[1].match.protocol, 58);
	assert_int_equal(g->rules[1].match.from_port, 128);
	assert_int_equal(g->rules[1].match.to_port, -1);
	assert_true(g->rules[1].by_group);
	assert_string_equal(g->rules[1].group_id, dflt_sg);
	assert_true(g->rules[2].egress && g->rules[3].egress);
	/* ACLs: their entries, without the * ones. */
	const struct vx_nacl_cfg *n = NULL;
	for (i = 0; i < p->n_nacls; i++)
		if (!strcmp(p->nacls[i].id, acl))
			n = &p->nacls[i];
	assert_non_null(n);
	assert_int_equal(n->n_entries, 2);
	assert_false(n->entries[0].egress);
	assert_int_equal(n->entries[0].number, 100);
	assert_false(n->entries[0].allow);
	assert_int_equal(n->entries[0].match.protocol, 17);
	assert_int_equal(n->entries[0].match.from_port, 53);
	assert_int_equal(n->entries[0].match.to_port, 53);
	assert_true(n->entries[1].egress);
	assert_int_equal(n->entries[1].number, 7);
	assert_true(n->entries[1].allow);
	assert_int_equal(n->entries[1].match.protocol, 1);
	assert_int_equal(n->entries[1].match.from_port, 3);
	assert_int_equal(n->entries[1].match.to_port, 4);
	assert_int_equal(n->entries[1].cidr.family, 6);
	assert_int_equal(n->entries[1].cidr.prefix, 8);
	for (i = 0; i < p->n_nacls; i++)
		if (!strcmp(p->nacls[i].id, dflt_acl))
			n = &p->nacls[i];
	assert_int_equal(n->n_entries, 4);
	/* Interfaces: addresses, groups in order, the subnet's ACL. */
	const struct vx_policy_iface *pi = policy_iface(cfg, lo);
	assert_int_equal(pi->n_groups, 2);
	assert_string_equal(pi->groups[0], web);
	assert_string_equal(pi->groups[1], dflt_sg);
	assert_string_equal(pi->nacl_id, dflt_acl);
	if (lo_has_ipv4()) {
		assert_true(pi->n_addresses >= 1);
		assert_int_equal(pi->addresses[0].family, 4);
		assert_int_equal(pi->addresses[0].addr[0], 127);
	}
	pi = policy_iface(cfg, remote);
	assert_int_equal(pi->n_addresses, 1);
	assert_int_equal(pi->addresses[0].family, 6);
	assert_int_equal(pi->addresses[0].addr[0], 0x20);
	assert_int_equal(pi->n_groups, 1);
	assert_string_equal(pi->groups[0], web);
	assert_string_equal(pi->nacl_id, acl);
	/* vxtap status shows each interface's groups and ACL. */
	json_t *js = vx_config_json(cfg);
	assert_int_equal(jint(js, "Policy.SecurityGroups"), 2);
	assert_int_equal(jint(js, "Policy.NetworkAcls"), 2);
	bool seen = false;
	json_array_foreach(at(js, "Policy.Interfaces"), i, a) if (!strcmp(jstr(a, "NetworkInterfaceId"),
	                                                                  remote))
	{
		seen = true;
		assert_string_equal(jstr(a, "NetworkAclId"), acl);
		assert_string_equal(json_string_value(json_array_get(at(a, "Groups"), 0)), web);
	}
	assert_true(seen);
	json_decref(js);
	vx_config_free(cfg);
}

/* A store of schema version 1 gets the default group and ACL, and its
 * subnet its association, when a newer vxtap opens it. */
static void test_schema_1_store_is_migrated(void **state)
{
	(void)state;
	assert_int_equal(sqlite3_exec(vx_store_db(st),
	                              "DROP TABLE network_acl_association; DROP TABLE network_acl_entry;"
	                              "DROP TABLE network_acl; DROP TABLE network_interface_group;"
	                              "DROP TABLE security_group_rule; DROP TABLE security_group;"
	                              "DROP TABLE access_key; PRAGMA user_version=1;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	vx_store_close(st);
	assert_int_equal(open_store("state.db"), 0);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(st), "PRAGMA user_version", -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), VX_STORE_SCHEMA_VERSION);
	sqlite3_finalize(s);
	assert_int_equal(count("DescribeSecurityGroups", "SecurityGroups"), 1);
	assert_int_equal(count("DescribeSecurityGroupRules", "SecurityGroupRules"), 3);
	json_t *d = ok("DescribeNetworkAcls", J("{}"));
	json_t *acl = json_array_get(at(d, "NetworkAcls"), 0);
	assert_true(json_is_true(at(acl, "IsDefault")));
	assert_int_equal(json_array_size(at(acl, "Associations")), 1);
	assert_int_equal(json_array_size(at(acl, "Entries")), 8);
	json_decref(d);
}

/* A document from before security groups: the store gets AWS's defaults. */
static void test_apply_document_without_policy(void **state)
{
	(void)state;
	vxid old_sg, web;
	default_sg(old_sg);
	make_sg(web, "web");
	ok0("ApplyState", J("{'State':{'Version':1}}"));
	json_t *r = ok("DescribeSecurityGroups", J("{}"));
	assert_int_equal(json_array_size(at(r, "SecurityGroups")), 1);
	assert_string_equal(jstr(json_array_get(at(r, "SecurityGroups"), 0), "GroupName"), "default");
	assert_string_not_equal(jstr(json_array_get(at(r, "SecurityGroups"), 0), "GroupId"), old_sg);
	json_decref(r);
	assert_int_equal(count("DescribeSecurityGroupRules", "SecurityGroupRules"), 3);
	r = ok("DescribeNetworkAcls", J("{}"));
	assert_int_equal(json_array_size(at(r, "NetworkAcls")), 1);
	assert_int_equal(json_array_size(at(json_array_get(at(r, "NetworkAcls"), 0), "Associations")),
	                 1);
	json_decref(r);
	/* A group with IpPermissions but no SecurityGroupRules list. */
	ok0("ApplyState",
	    J("{'State':{'Version':1,'SecurityGroups':[{'GroupId':'sg-0123456789abcdef1',"
	      "'GroupName':'web','Description':'w','IpPermissions':[{'IpProtocol':'tcp','FromPort':"
	      "22,'ToPort':22,'IpRanges':[{'CidrIp':'10.0.0.0/8'}],'UserIdGroupPairs':[{'GroupId':"
	      "'sg-0123456789abcdef1'}]}]}]}}"));
	r = ok("DescribeSecurityGroups", J("{'GroupIds':['sg-0123456789abcdef1']}"));
	json_t *g = json_array_get(at(r, "SecurityGroups"), 0);
	assert_int_equal(json_array_size(at(g, "IpPermissions")), 1);
	assert_int_equal(json_array_size(at(g, "IpPermissionsEgress")), 0);
	json_decref(r);
	assert_int_equal(count("DescribeSecurityGroups", "SecurityGroups"), 2);
}

/* ---- access keys ---- */

static void test_access_keys(void **state)
{
	(void)state;
	json_t *r = ok("CreateAccessKey", J("{}"));
	vxid id, secret;
	snprintf(id, sizeof(id), "%s", jstr(r, "AccessKey.AccessKeyId"));
	snprintf(secret, sizeof(secret), "%s", jstr(r, "AccessKey.SecretAccessKey"));
	assert_string_equal(jstr(r, "AccessKey.UserName"), "default");
	assert_string_equal(jstr(r, "AccessKey.Status"), "Active");
	/* AWS's formats: AKIA and 16 base32 characters; 40 of base64. */
	assert_int_equal(strlen(id), 20);
	assert_int_equal(strncmp(id, "AKIA", 4), 0);
	assert_int_equal(strspn(id + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 16);
	assert_int_equal(strlen(secret), 40);
	assert_int_equal(strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                                "0123456789+/"),
	                 40);
	const char *date = jstr(r, "AccessKey.CreateDate");
	assert_int_equal(strlen(date), 25);
	assert_string_equal(date + 19, "+00:00");
	/* The members in IAM's order. */
	const char *order[] = {"UserName", "AccessKeyId", "Status", "SecretAccessKey", "CreateDate"};
	size_t i = 0;
	const char *k;
	json_t *v;
	json_object_foreach(at(r, "AccessKey"), k, v) assert_string_equal(k, order[i++]);
	json_decref(r);

	/* The server's lookup. */
	char buf[64];
	assert_string_equal(vx_store_access_key_secret(st, id, buf, sizeof(buf)), secret);
	assert_null(vx_store_access_key_secret(st, id, buf, 40)); /* no room */
	assert_null(vx_store_access_key_secret(st, "AKIAAAAAAAAAAAAAAAAA", buf, sizeof(buf)));

	/* Listed without the secret. */
	vxid bob;
	take(bob, ok("CreateAccessKey", J("{'UserName':'bob'}")), "AccessKey.AccessKeyId");
	r = ok("ListAccessKeys", J("{}"));
	assert_int_equal(json_array_size(at(r, "AccessKeyMetadata")), 2);
	assert_true(json_is_false(at(r, "IsTruncated")));
	json_t *first = json_array_get(at(r, "AccessKeyMetadata"), 0);
	assert_string_equal(jstr(first, "UserName"), "bob");
	assert_string_equal(jstr(first, "AccessKeyId"), bob);
	assert_string_equal(jstr(first, "Status"), "Active");
	assert_null(at(first, "SecretAccessKey"));
	char *listed = json_dumps(r, JSON_COMPACT);
	assert_null(strstr(listed, secret));
	free(listed);
	json_decref(r);
	r = ok("ListAccessKeys", J("{'UserName':'default'}"));
	assert_int_equal(json_array_size(at(r, "AccessKeyMetadata")), 1);
	assert_string_equal(jstr(json_array_get(at(r, "AccessKeyMetadata"), 0), "AccessKeyId"), id);
	json_decref(r);
	r = ok("ListAccessKeys", J("{'UserName':'nobody'}"));
	assert_int_equal(json_array_size(at(r, "AccessKeyMetadata")), 0);
	json_decref(r);

	/* Inactive keys sign nothing; active again, they do. */
	ok0("UpdateAccessKey", J("{'AccessKeyId':'%s','Status':'Inactive'}", id));
	assert_null(vx_store_access_key_secret(st, id, buf, sizeof(buf)));
	r = ok("ListAccessKeys", J("{'UserName':'default'}"));
	assert_string_equal(jstr(json_array_get(at(r, "AccessKeyMetadata"), 0), "Status"), "Inactive");
	json_decref(r);
	ok0("UpdateAccessKey", J("{'AccessKeyId':'%s','Status':'Active','UserName':'default'}", id));
	assert_string_equal(vx_store_access_key_secret(st, id, buf, sizeof(buf)), secret);

	/* Deleted, it is gone. */
	r = ok("DeleteAccessKey", J("{'AccessKeyId':'%s'}", id));
	assert_int_equal(json_object_size(r), 0);
	json_decref(r);
	assert_null(vx_store_access_key_secret(st, id, buf, sizeof(buf)));
	expect_error("DeleteAccessKey", J("{'AccessKeyId':'%s'}", id), "NoSuchEntity",
	             S("The Access Key with id %s cannot be found.", id));
	assert_int_equal(count("ListAccessKeys", "AccessKeyMetadata"), 1);
}

static void test_access_key_errors(void **state)
{
	(void)state;
	vxid a;
	take(a, ok("CreateAccessKey", J("{'UserName':'alice'}")), "AccessKey.AccessKeyId");
	ok0("CreateAccessKey", J("{'UserName':'alice'}"));
	expect_error("CreateAccessKey", J("{'UserName':'alice'}"), "LimitExceeded",
	             "Cannot exceed quota for AccessKeysPerUser: 2");
	ok0("CreateAccessKey", J("{'UserName':'carol'}"));
	expect_error("CreateAccessKey", J("{'UserName':'al ice'}"), "ValidationError",
	             "1 validation error detected: Value 'al ice' at 'userName' failed to satisfy "
	             "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
	expect_error("CreateAccessKey", J("{'UserName':''}"), "ValidationError",
	             "1 validation error detected: Value '' at 'userName' failed to satisfy "
	             "constraint: Member must have length greater than or equal to 1");
	expect_error("CreateAccessKey", J("{'UserName':'%s'}", rep('u', 65)), "ValidationError",
	             S("1 validation error detected: Value '%s' at 'userName' failed to satisfy "
	               "constraint: Member must have length less than or equal to 64",
	               rep('u', 65)));
	expect_error("DeleteAccessKey", J("{'AccessKeyId':'AKIA123'}"), "ValidationError",
	             "1 validation error detected: Value 'AKIA123' at 'accessKeyId' failed to "
	             "satisfy constraint: Member must have length greater than or equal to 16");
	expect_error("DeleteAccessKey", J("{'AccessKeyId':'AKIA-123456789012'}"), "ValidationError",
	             "1 validation error detected: Value 'AKIA-123456789012' at 'accessKeyId' failed "
	             "to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+");
	expect_error("DeleteAccessKey", J("{'AccessKeyId':'%s'}", rep('A', 129)), "ValidationError",
	             S("1 validation error detected: Value '%s' at 'accessKeyId' failed to satisfy "
	               "constraint: Member must have length less than or equal to 128",
	               rep('A', 129)));
	expect_error("DeleteAccessKey", J("{}"), "MissingParameter",
	             "The request must contain the parameter AccessKeyId.");
	/* Another user's key is not found for this user. */
	expect_error("DeleteAccessKey", J("{'AccessKeyId':'%s','UserName':'carol'}", a),
	             "NoSuchEntity", S("The Access Key with id %s cannot be found.", a));
	expect_error("UpdateAccessKey", J("{'AccessKeyId':'%s','Status':'active'}", a),
	             "ValidationError",
	             "1 validation error detected: Value 'active' at 'status' failed to satisfy "
	             "constraint: Member must satisfy enum value set: [Active, Inactive]");
	expect_error("UpdateAccessKey",
	             J("{'AccessKeyId':'AKIAAAAAAAAAAAAAAAAA','Status':'Inactive'}"), "NoSuchEntity",
	             "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.");
	expect_error("UpdateAccessKey", J("{'AccessKeyId':'%s'}", a), "MissingParameter",
	             "The request must contain the parameter Status.");
	expect_error("ListAccessKeys", J("{'UserName':'a/b'}"), "ValidationError",
	             "1 validation error detected: Value 'a/b' at 'userName' failed to satisfy "
	             "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
	assert_int_equal(count("ListAccessKeys", "AccessKeyMetadata"), 3);
}

/* The secret is shown once, to the caller: the audit log has it redacted,
 * and no other table but the keys' own holds it. */
static void test_access_key_secret_not_audited(void **state)
{
	(void)state;
	json_t *r = ok("CreateAccessKey", J("{'UserName':'alice'}"));
	vxid secret;
	snprintf(secret, sizeof(secret), "%s", jstr(r, "AccessKey.SecretAccessKey"));
	json_decref(r);
	char action[64], result[4096];
	last_audit(action, sizeof(action), result, sizeof(result));
	assert_string_equal(action, "CreateAccessKey");
	assert_non_null(strstr(result, "\"SecretAccessKey\":\"REDACTED\""));
	assert_null(strstr(result, secret));
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(vx_store_db(st),
	                                    "SELECT COUNT(*) FROM audit WHERE instr(request, ?1) OR "
	                                    "instr(result, ?1)",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(s, 1, secret, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 0);
	sqlite3_finalize(s);
	/* Nor does export print keys. */
	r = ok("ExportState", J("{}"));
	char *txt = json_dumps(r, JSON_COMPACT);
	assert_null(strstr(txt, secret));
	assert_null(strstr(txt, "AccessKey"));
	free(txt);
	json_decref(r);
}

/* A store of schema version 2 gets the access-key table when a newer
 * vxtap opens it; its objects stay. */
static void test_schema_2_store_is_migrated(void **state)
{
	(void)state;
	vxid sg;
	make_sg(sg, "web");
	assert_int_equal(sqlite3_exec(vx_store_db(st), "DROP TABLE access_key; PRAGMA user_version=2;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	vx_store_close(st);
	assert_int_equal(open_store("state.db"), 0);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(st), "PRAGMA user_version", -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 3);
	sqlite3_finalize(s);
	assert_int_equal(VX_STORE_SCHEMA_VERSION, 3);
	assert_int_equal(count("DescribeSecurityGroups", "SecurityGroups"), 2);
	assert_int_equal(count("ListAccessKeys", "AccessKeyMetadata"), 0);
	ok0("CreateAccessKey", J("{}"));
	assert_int_equal(count("ListAccessKeys", "AccessKeyMetadata"), 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_rule_number_range_1_to_32766),
	    T(test_rule_number_unique_per_direction),
	    T(test_rule_limit_10_per_filter_in_total),
	    T(test_rule_direction_and_action_values),
	    T(test_rule_protocol_0_to_255),
	    T(test_rule_cidr_syntax),
	    T(test_rule_cidr_families_must_match),
	    T(test_rule_port_ranges),
	    T(test_rule_request_shape),
	    T(test_rule_unknown_or_malformed_filter_id),
	    T(test_modify_rule_remove_fields_values),
	    T(test_modify_rule_set_and_remove_same_field),
	    T(test_modify_rule_to_duplicate_number),
	    T(test_modify_rule_remove_protocol_while_ports_exist),
	    T(test_modify_rule_unknown_id),
	    T(test_session_number_range_1_to_32766),
	    T(test_session_vni_range_0_to_16777215),
	    T(test_session_vni_default_in_range_and_unique),
	    T(test_session_packet_length_eni_target),
	    T(test_session_packet_length_nlb_target),
	    T(test_session_limit_3_per_interface),
	    T(test_session_number_unique_per_interface),
	    T(test_session_source_must_be_host_interface),
	    T(test_session_source_that_is_a_target),
	    T(test_session_sources_per_eni_target_10),
	    T(test_session_references_must_exist),
	    T(test_modify_session_remove_fields),
	    T(test_target_needs_exactly_one_destination),
	    T(test_target_unknown_eni),
	    T(test_target_eni_used_as_source),
	    T(test_target_eni_already_a_target),
	    T(test_target_nlb_unknown_or_in_use),
	    T(test_delete_target_in_use),
	    T(test_delete_filter_in_use),
	    T(test_network_interfaces),
	    T(test_network_services_only_amazon_dns),
	    T(test_tags),
	    T(test_session_cap_tags),
	    T(test_flow_log_resource_type),
	    T(test_flow_log_traffic_type),
	    T(test_flow_log_aggregation_interval_60_or_600),
	    T(test_flow_log_format),
	    T(test_flow_log_s3_destination),
	    T(test_flow_log_cloud_watch_destination),
	    T(test_flow_log_unsupported_destinations),
	    T(test_flow_log_unknown_resource_is_unsuccessful),
	    T(test_flow_log_same_configuration_twice),
	    T(test_delete_flow_logs_unknown_id),
	    T(test_configure_host_formats),
	    T(test_lb_name_rules),
	    T(test_lb_health_check_bounds),
	    T(test_lb_timeout_less_than_interval),
	    T(test_lb_duplicate_name),
	    T(test_lb_targets),
	    T(test_lb_delete_in_use),
	    T(test_dry_run_valid_request_creates_nothing),
	    T(test_dry_run_invalid_request_gives_the_real_error),
	    T(test_client_token_replay),
	    T(test_client_token_with_other_parameters),
	    T(test_failed_call_changes_nothing_but_is_audited),
	    T(test_generation_counts_changes),
	    T(test_describe_unknown_filter_name),
	    T(test_describe_unknown_id),
	    T(test_describe_filter_without_values),
	    T(test_describe_load_balancer_unknown_name),
	    T(test_describe_max_results_bounds),
	    T(test_describe_paging_returns_each_item_once),
	    T(test_apply_of_export_reproduces_describe_output),
	    T(test_apply_with_one_bad_object_changes_nothing),
	    T(test_sg_defaults_of_a_new_store),
	    T(test_sg_create_name_and_description),
	    T(test_sg_describe_shape_with_rules),
	    T(test_sg_rule_validation),
	    T(test_sg_duplicate_rules),
	    T(test_sg_rule_limit_60_per_direction_and_family),
	    T(test_sg_simple_members_and_revoke),
	    T(test_sg_delete),
	    T(test_interface_groups),
	    T(test_acl_create_and_delete),
	    T(test_acl_entry_validation),
	    T(test_acl_entry_limit_20_per_direction_and_family),
	    T(test_acl_replace_and_delete_entries),
	    T(test_acl_associations_follow_subnets),
	    T(test_policy_configuration),
	    T(test_schema_1_store_is_migrated),
	    T(test_apply_document_without_policy),
	    T(test_access_keys),
	    T(test_access_key_errors),
	    T(test_access_key_secret_not_audited),
	    T(test_schema_2_store_is_migrated),
	};
#undef T
	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
