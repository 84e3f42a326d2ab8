/* Signature Version 4: AWS's published test suite (aws-sig-v4-test-suite:
 * access key AKIDEXAMPLE, secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
 * 20150830T123600Z, us-east-1, service "service") checked for the exact
 * canonical request and Authorization value; a request signed by botocore's
 * SigV4Auth for the EC2 API; and every way a request is refused, with the
 * exact EC2 error code and message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxtap/sigv4.h"

#define SUITE_KEY    "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_NOW    1440938160 /* 20150830T123600Z */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SUITE_CRED                                                                                 \
	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

struct keyring {
	const char *key, *secret;
};

static const char *lookup(void *ctx, const char *key_id)
{
	const struct keyring *k = ctx;
	return k && !strcmp(key_id, k->key) ? k->secret : NULL;
}

#define MAX_HEADERS 8

struct vector {
	const char *name, *method, *path, *query;
	const char *headers[MAX_HEADERS][2];
	const char *body;
	const char *authz; /* the Authorization value AWS publishes */
	const char *creq;  /* the canonical request AWS publishes */
};

static const char TOKEN[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpS"
    "PfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT"
    "7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8"
    "FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

/* clang-format off */
#define HOST {"Host", "example.amazonaws.com"}
#define DATE {"X-Amz-Date", "20150830T123600Z"}

static const struct vector SUITE[] = {
	{"get-vanilla", "GET", "/", "",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	 "GET\n/\n\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"get-vanilla-empty-query-key", "GET", "/", "Param1=value1",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
	 "GET\n/\nParam1=value1\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"get-vanilla-query-order-key", "GET", "/", "Param1=value2&Param1=Value1",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
	 "GET\n/\nParam1=Value1&Param1=value2\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
	 "GET\n/\nParam1=value1&Param2=value2\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"get-vanilla-query-order-value", "GET", "/", "Param1=value2&Param1=value1",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
	 "GET\n/\nParam1=value1&Param1=value2\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"get-vanilla-query-unreserved", "GET", "/",
	 "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
	 "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
	 NULL},
	{"get-vanilla-utf8-query", "GET", "/", "\xe1\x88\xb4=bar",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
	 "GET\n/\n%E1%88%B4=bar\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"get-header-key-duplicate", "GET", "/", "",
	 {HOST, {"My-Header1", "value2"},
	  {"My-Header1", "value2"}, {"My-Header1", "value1"}, DATE},
	 "",
	 SUITE_CRED "SignedHeaders=host;my-header1;x-amz-date, "
		    "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
	 "GET\n/\n\n"
	 "host:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
	 "x-amz-date:20150830T123600Z\n\n"
	 "host;my-header1;x-amz-date\n" EMPTY_SHA256},
	{"get-header-value-order", "GET", "/", "",
	 {HOST, {"My-Header1", "value4"},
	  {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}, DATE},
	 "",
	 SUITE_CRED "SignedHeaders=host;my-header1;x-amz-date, "
		    "Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
	 NULL},
	{"get-header-value-trim", "GET", "/", "",
	 {HOST, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
		    "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
	 "GET\n/\n\n"
	 "host:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
	 "x-amz-date:20150830T123600Z\n\n"
	 "host;my-header1;my-header2;x-amz-date\n" EMPTY_SHA256},
	{"get-unreserved", "GET",
	 "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	 "",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
	 NULL},
	{"get-relative", "GET", "/example/..", "",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	 "GET\n/\n\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"get-relative-relative", "GET", "/example1/example2/../..", "",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	 NULL},
	{"get-slash", "GET", "//", "",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	 NULL},
	{"get-slash-dot-slash", "GET", "/./", "",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	 NULL},
	{"get-slash-pointless-dot", "GET", "/./example", "",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
	 "GET\n/example\n\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"get-slashes", "GET", "//example//", "",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
	 "GET\n/example/\n\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"get-space", "GET", "/example space/", "",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
	 "GET\n/example%20space/\n\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"post-vanilla", "POST", "/", "",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
	 "POST\n/\n\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY_SHA256},
	{"post-vanilla-query", "POST", "/", "Param1=value1",
	 {HOST, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date, "
		    "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
	 NULL},
	{"post-header-key-sort", "POST", "/", "",
	 {HOST, {"My-Header1", "value1"}, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;my-header1;x-amz-date, "
		    "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
	 NULL},
	{"post-header-value-case", "POST", "/", "",
	 {HOST, {"My-Header1", "VALUE1"}, DATE}, "",
	 SUITE_CRED "SignedHeaders=host;my-header1;x-amz-date, "
		    "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
	 "POST\n/\n\n"
	 "host:example.amazonaws.com\nmy-header1:VALUE1\n"
	 "x-amz-date:20150830T123600Z\n\n"
	 "host;my-header1;x-amz-date\n" EMPTY_SHA256},
	{"post-sts-header-before", "POST", "/", "",
	 {HOST, DATE, {"X-Amz-Security-Token", TOKEN}}, "",
	 SUITE_CRED "SignedHeaders=host;x-amz-date;x-amz-security-token, "
		    "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
	 NULL},
	{"post-x-www-form-urlencoded", "POST", "/", "",
	 {{"Content-Type", "application/x-www-form-urlencoded"}, HOST,
	  DATE, {"Content-Length", "13"}},
	 "Param1=value1",
	 SUITE_CRED "SignedHeaders=content-type;host;x-amz-date, "
		    "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
	 "POST\n/\n\n"
	 "content-type:application/x-www-form-urlencoded\n"
	 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "content-type;host;x-amz-date\n"
	 "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"},
	{"post-x-www-form-urlencoded-parameters", "POST", "/", "",
	 {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}, HOST,
	  DATE, {"Content-Length", "13"}},
	 "Param1=value1",
	 SUITE_CRED "SignedHeaders=content-type;host;x-amz-date, "
		    "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
	 NULL},
};
/* clang-format on */

/* A request under test: its header arrays live here. */
struct req {
	const char *names[MAX_HEADERS + 4], *values[MAX_HEADERS + 4];
	struct vx_sigv4_request r;
};

static void load(struct req *q, const struct vector *v)
{
	memset(q, 0, sizeof(*q));
	size_t n = 0;
	for (; n < MAX_HEADERS && v->headers[n][0]; n++) {
		q->names[n] = v->headers[n][0];
		q->values[n] = v->headers[n][1];
	}
	q->r = (struct vx_sigv4_request){.method = v->method,
	                                 .path = v->path,
	                                 .query = v->query,
	                                 .header_names = q->names,
	                                 .header_values = q->values,
	                                 .n_headers = n,
	                                 .body = (const uint8_t *)v->body,
	                                 .body_len = strlen(v->body)};
}

static void add_header(struct req *q, const char *name, const char *value)
{
	assert_true(q->r.n_headers < MAX_HEADERS + 4);
	q->names[q->r.n_headers] = name;
	q->values[q->r.n_headers] = value;
	q->r.n_headers++;
}

/* Set (or replace, or with value NULL remove) a header. */
static void set_header(struct req *q, const char *name, const char *value)
{
	for (size_t i = 0; i < q->r.n_headers; i++)
		if (!strcasecmp(q->names[i], name)) {
			if (value) {
				q->values[i] = value;
			} else {
				memmove(&q->names[i], &q->names[i + 1],
				        (q->r.n_headers - i - 1) * sizeof(q->names[0]));
				memmove(&q->values[i], &q->values[i + 1],
				        (q->r.n_headers - i - 1) * sizeof(q->values[0]));
				q->r.n_headers--;
			}
			return;
		}
	if (value)
		add_header(q, name, value);
}

/* The SignedHeaders value of an Authorization value. */
static void signed_headers_of(const char *authz, char *out, size_t len)
{
	const char *p = strstr(authz, "SignedHeaders=");
	assert_non_null(p);
	p += strlen("SignedHeaders=");
	size_t n = strcspn(p, ",");
	snprintf(out, len, "%.*s", (int)n, p);
}

struct result {
	int rc;
	char principal[64], code[64], msg[2048];
};

static struct result check_scope(const struct req *q, int64_t now, const char *service,
                                 const char *region, const char *secret)
{
	struct keyring k = {SUITE_KEY, secret};
	struct result res;
	res.rc = vx_sigv4_verify_scope(&q->r, now, service, region, lookup, &k, res.principal,
	                               sizeof(res.principal), res.code, sizeof(res.code), res.msg,
	                               sizeof(res.msg));
	return res;
}

static void test_aws_suite(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(SUITE) / sizeof(SUITE[0]); i++) {
		const struct vector *v = &SUITE[i];
		struct req q;
		load(&q, v);
		add_header(&q, "Authorization", v->authz);
		char sh[256];
		signed_headers_of(v->authz, sh, sizeof(sh));
		if (v->creq) {
			char *creq = vx_sigv4_canonical_request(&q.r, sh);
			assert_non_null(creq);
			if (strcmp(creq, v->creq))
				fail_msg("%s: canonical request\n%s\n---- expected\n%s", v->name,
				         creq, v->creq);
			free(creq);
		}
		char authz[512];
		assert_int_equal(vx_sigv4_sign(&q.r, sh, SUITE_KEY, SUITE_SECRET,
		                               "20150830T123600Z", "us-east-1", "service", authz,
		                               sizeof(authz)),
		                 0);
		if (strcmp(authz, v->authz))
			fail_msg("%s: signed\n%s\n---- expected\n%s", v->name, authz, v->authz);
		struct result res =
		    check_scope(&q, SUITE_NOW, "service", "us-east-1", SUITE_SECRET);
		if (res.rc != 0)
			fail_msg("%s: %s: %s", v->name, res.code, res.msg);
		assert_string_equal(res.principal, SUITE_KEY);
	}
}

/* ---- a request botocore signed ----
 * botocore 1.43.11, EC2 client, endpoint http://127.0.0.1:8773, us-east-1,
 * DescribeTrafficMirrorSessions(TrafficMirrorSessionIds=[tms-0123456789abcdef3]),
 * signed by SigV4Auth at 2026-11-25T11:24:06Z. The unsigned headers it also
 * sent (User-Agent, amz-sdk-invocation-id, amz-sdk-request) are left out:
 * they do not change the signature. */

#define BOTO_KEY    "AKIAVXTAPTESTKEY2345"
#define BOTO_SECRET "vxtapBotocoreVectorSecret/0123456789+abc"
#define BOTO_NOW    1795605846 /* 20261125T112406Z */
#define BOTO_BODY                                                                                  \
	"Action=DescribeTrafficMirrorSessions&Version=2016-11-15&TrafficMirrorSessionId.1=tms-"    \
	"0123456789abcdef3"
#define BOTO_AUTHZ                                                                                 \
	"AWS4-HMAC-SHA256 Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2/aws4_request, "   \
	"SignedHeaders=content-type;host;x-amz-date, "                                             \
	"Signature=31dd4d79261a33a951517064caa7b5b4a26c9cdf0b2eba6234afb14b1724541f"

static void boto_request(struct req *q, const char *body)
{
	memset(q, 0, sizeof(*q));
	q->r = (struct vx_sigv4_request){.method = "POST",
	                                 .path = "/",
	                                 .query = "",
	                                 .header_names = q->names,
	                                 .header_values = q->values,
	                                 .body = (const uint8_t *)body,
	                                 .body_len = strlen(body)};
	add_header(q, "Host", "127.0.0.1:8773");
	add_header(q, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
	add_header(q, "X-Amz-Date", "20261125T112406Z");
	add_header(q, "Authorization", BOTO_AUTHZ);
	add_header(q, "Content-Length", "102");
}

static struct result check_ec2(const struct req *q, int64_t now, const char *key,
                               const char *secret)
{
	struct keyring k = {key, secret};
	struct result res;
	memset(&res, 0, sizeof(res));
	res.rc = vx_sigv4_verify(&q->r, now, lookup, &k, res.principal, sizeof(res.principal),
	                         res.code, sizeof(res.code), res.msg, sizeof(res.msg));
	return res;
}

static void expect(struct result res, const char *code, const char *msg)
{
	if (res.rc == 0)
		fail_msg("accepted, expected %s", code);
	assert_int_equal(res.rc, -1);
	assert_string_equal(res.code, code);
	assert_string_equal(res.msg, msg);
	assert_string_equal(res.principal, "");
}

static const char MISMATCH[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

static void test_botocore_request(void **state)
{
	(void)state;
	struct req q;
	boto_request(&q, BOTO_BODY);
	struct result res = check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET);
	if (res.rc)
		fail_msg("%s: %s", res.code, res.msg);
	assert_string_equal(res.principal, BOTO_KEY);
	/* vxtap signs it the same way. */
	char authz[512];
	assert_int_equal(vx_sigv4_sign(&q.r, "content-type;host;x-amz-date", BOTO_KEY, BOTO_SECRET,
	                               "20261125T112406Z", "us-east-1", "ec2", authz,
	                               sizeof(authz)),
	                 0);
	assert_string_equal(authz, BOTO_AUTHZ);
	/* Header names in any case, extra blanks around values. */
	q.names[0] = "HOST";
	q.values[2] = "  20261125T112406Z ";
	res = check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET);
	assert_int_equal(res.rc, 0);
}

static void test_wrong_signature(void **state)
{
	(void)state;
	struct req q;
	boto_request(&q, BOTO_BODY);
	char authz[sizeof(BOTO_AUTHZ)];
	memcpy(authz, BOTO_AUTHZ, sizeof(authz));
	authz[sizeof(authz) - 2] = authz[sizeof(authz) - 2] == '0' ? '1' : '0';
	set_header(&q, "Authorization", authz);
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch", MISMATCH);
	/* Too short, upper-case hex, not hex. */
	set_header(&q, "Authorization",
	           "AWS4-HMAC-SHA256 Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2/"
	           "aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=31dd4d");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch", MISMATCH);
	set_header(&q, "Authorization",
	           "AWS4-HMAC-SHA256 Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2/"
	           "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
	           "Signature=31DD4D79261A33A951517064CAA7B5B4A26C9CDF0B2EBA6234AFB14B1724541F");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch", MISMATCH);
}

static void test_wrong_secret(void **state)
{
	(void)state;
	struct req q;
	boto_request(&q, BOTO_BODY);
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, "vxtapBotocoreVectorSecret/0123456789+abd"),
	       "SignatureDoesNotMatch", MISMATCH);
}

static void test_unknown_key(void **state)
{
	(void)state;
	struct req q;
	boto_request(&q, BOTO_BODY);
	expect(check_ec2(&q, BOTO_NOW, "AKIAVXTAPOTHERKEY234", BOTO_SECRET), "AuthFailure",
	       "AWS was not able to validate the provided access credentials");
	/* An empty key ID is no key either. */
	set_header(&q, "Authorization",
	           "AWS4-HMAC-SHA256 Credential=/20261125/us-east-1/ec2/aws4_request, "
	           "SignedHeaders=content-type;host;x-amz-date, Signature=00");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "AuthFailure",
	       "AWS was not able to validate the provided access credentials");
}

static void test_tampered_request(void **state)
{
	(void)state;
	struct req q;
	/* Another session ID in the body. */
	boto_request(&q, "Action=DescribeTrafficMirrorSessions&Version=2016-11-15&"
	                 "TrafficMirrorSessionId.1=tms-0123456789abcdef4");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch", MISMATCH);
	/* Another action. */
	boto_request(&q, "Action=DeleteTrafficMirrorSession&Version=2016-11-15&"
	                 "TrafficMirrorSessionId=tms-0123456789abcdef3");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch", MISMATCH);
	/* A signed header changed, a query added, another path, another method. */
	boto_request(&q, BOTO_BODY);
	set_header(&q, "Host", "127.0.0.1:8774");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch", MISMATCH);
	boto_request(&q, BOTO_BODY);
	q.r.query = "Action=DeleteTrafficMirrorSession";
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch", MISMATCH);
	boto_request(&q, BOTO_BODY);
	q.r.path = "/admin";
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch", MISMATCH);
	boto_request(&q, BOTO_BODY);
	q.r.method = "PUT";
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch", MISMATCH);
	/* An unsigned header may change: it is not covered. */
	boto_request(&q, BOTO_BODY);
	set_header(&q, "Content-Length", "999");
	assert_int_equal(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET).rc, 0);
}

/* X-Amz-Content-Sha256 is signed in place of the body's hash, so it must
 * be the body's hash. */
static void test_content_sha256(void **state)
{
	(void)state;
	static const char hash[] =
	    "3252b5140ab3b01a6987b96867a9df4864c8a419da422089814435d93fe2c4af";
	struct req q;
	boto_request(&q, BOTO_BODY);
	set_header(&q, "X-Amz-Content-Sha256", hash);
	const char *sh = "content-type;host;x-amz-content-sha256;x-amz-date";
	char authz[512];
	assert_int_equal(vx_sigv4_sign(&q.r, sh, BOTO_KEY, BOTO_SECRET, "20261125T112406Z",
	                               "us-east-1", "ec2", authz, sizeof(authz)),
	                 0);
	set_header(&q, "Authorization", authz);
	struct result res = check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET);
	if (res.rc)
		fail_msg("%s: %s", res.code, res.msg);
	/* The body changed, the declared hash kept: refused before the signature. */
	q.r.body = (const uint8_t *)"Action=DeleteTrafficMirrorSession";
	q.r.body_len = strlen((const char *)q.r.body);
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch",
	       "The provided 'x-amz-content-sha256' header does not match what was computed.");
	/* UNSIGNED-PAYLOAD leaves the body unsigned: not for EC2. */
	boto_request(&q, BOTO_BODY);
	set_header(&q, "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
	assert_int_equal(vx_sigv4_sign(&q.r, sh, BOTO_KEY, BOTO_SECRET, "20261125T112406Z",
	                               "us-east-1", "ec2", authz, sizeof(authz)),
	                 0);
	set_header(&q, "Authorization", authz);
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch",
	       "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

static void test_missing_parts(void **state)
{
	(void)state;
	struct req q;
	boto_request(&q, BOTO_BODY);
	set_header(&q, "Authorization", NULL);
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "MissingParameter",
	       "The request must contain the parameter AWSAccessKeyId");
	q.r.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x";
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "Only the Authorization header form of Signature Version 4 is accepted, not "
	       "X-Amz-Algorithm query parameters.");

	boto_request(&q, BOTO_BODY);
	set_header(&q, "X-Amz-Date", NULL);
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
	       "header. Authorization=" BOTO_AUTHZ);

	boto_request(&q, BOTO_BODY);
	set_header(&q, "Authorization",
	           "AWS4-HMAC-SHA256 Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2/"
	           "aws4_request");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "Authorization header requires 'Signature' parameter. Authorization header requires "
	       "'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 "
	       "Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2/aws4_request");

	set_header(&q, "Authorization", "AWS4-HMAC-SHA256");
	set_header(&q, "X-Amz-Date", NULL);
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "Authorization header requires 'Credential' parameter. Authorization header "
	       "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
	       "parameter. Authorization header requires existence of either a 'X-Amz-Date' or a "
	       "'Date' header. Authorization=AWS4-HMAC-SHA256");

	boto_request(&q, BOTO_BODY);
	set_header(&q, "Authorization",
	           "AWS4-HMAC-SHA256 Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2/"
	           "aws4_request, SignedHeaders, Signature=00");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "'SignedHeaders' not a valid key=value pair (missing equal-sign) in Authorization "
	       "header: 'AWS4-HMAC-SHA256 Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2/"
	       "aws4_request, SignedHeaders, Signature=00'.");

	set_header(&q, "Authorization",
	           "AWS4-HMAC-SHA1 Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2/"
	           "aws4_request, SignedHeaders=host, Signature=00");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now).");
}

static void test_malformed_credential(void **state)
{
	(void)state;
	struct req q;
	boto_request(&q, BOTO_BODY);
	set_header(&q, "Authorization",
	           "AWS4-HMAC-SHA256 Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2, "
	           "SignedHeaders=content-type;host;x-amz-date, Signature=00");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "Credential must have exactly 5 slash-delimited elements, e.g. "
	       "keyid/date/region/service/term, got 'AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2'");
	set_header(&q, "Authorization",
	           "AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, "
	           "SignedHeaders=content-type;host;x-amz-date, Signature=00");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "Credential must have exactly 5 slash-delimited elements, e.g. "
	       "keyid/date/region/service/term, got 'a/b/c/d/e/f'");
	/* Trailing slashes are ignored; each element is checked. */
	set_header(
	    &q, "Authorization",
	    "AWS4-HMAC-SHA256 Credential=AKIAVXTAPTESTKEY2345/20261124/US-EAST-1/s3/aws4///, "
	    "SignedHeaders=content-type;host;x-amz-date, Signature=00");
	expect(
	    check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch",
	    "Credential should be scoped to a valid region, not 'US-EAST-1'. Credential should be "
	    "scoped to correct service: 'ec2'. Credential should be scoped with a valid "
	    "terminator: 'aws4_request', not 'aws4'. Date in Credential scope does not match "
	    "YYYYMMDD from ISO-8601 version of date from HTTP: '20261124' != '20261125', from "
	    "'20261125T112406Z'.");
	/* A server may hold requests to its own region. */
	boto_request(&q, BOTO_BODY);
	struct keyring k = {BOTO_KEY, BOTO_SECRET};
	struct result res;
	res.rc = vx_sigv4_verify_scope(&q.r, BOTO_NOW, "ec2", "eu-west-1", lookup, &k,
	                               res.principal, sizeof(res.principal), res.code,
	                               sizeof(res.code), res.msg, sizeof(res.msg));
	expect(res, "SignatureDoesNotMatch",
	       "Credential should be scoped to a valid region, not 'us-east-1'.");
	/* The suite's requests are for service "service", not EC2. */
	struct req s;
	load(&s, &SUITE[0]);
	add_header(&s, "Authorization", SUITE[0].authz);
	expect(check_ec2(&s, SUITE_NOW, SUITE_KEY, SUITE_SECRET), "SignatureDoesNotMatch",
	       "Credential should be scoped to correct service: 'ec2'.");
}

static void test_stale_date(void **state)
{
	(void)state;
	struct req q;
	boto_request(&q, BOTO_BODY);
	/* Exactly 15 minutes either way is still on time. */
	assert_int_equal(check_ec2(&q, BOTO_NOW + 900, BOTO_KEY, BOTO_SECRET).rc, 0);
	assert_int_equal(check_ec2(&q, BOTO_NOW - 900, BOTO_KEY, BOTO_SECRET).rc, 0);
	expect(check_ec2(&q, BOTO_NOW + 901, BOTO_KEY, BOTO_SECRET), "RequestExpired",
	       "Request has expired. Its time 20261125T112406Z is more than 15 minutes from the "
	       "server's time 20261125T113907Z.");
	expect(check_ec2(&q, BOTO_NOW - 901, BOTO_KEY, BOTO_SECRET), "RequestExpired",
	       "Request has expired. Its time 20261125T112406Z is more than 15 minutes from the "
	       "server's time 20261125T110905Z.");
	/* Stale is checked before the key: an unknown key learns nothing new. */
	expect(check_ec2(&q, BOTO_NOW + 86400, "AKIAVXTAPOTHERKEY234", BOTO_SECRET),
	       "RequestExpired",
	       "Request has expired. Its time 20261125T112406Z is more than 15 minutes from the "
	       "server's time 20261126T112406Z.");
	/* Not the basic format. */
	static const char *const bad[] = {"2026-11-25T11:24:06Z", "20261125T112406",
	                                  "20261131T112406Z",     "20250229T000000Z",
	                                  "20261125T246000Z",     ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_header(&q, "X-Amz-Date", bad[i]);
		char want[256];
		snprintf(want, sizeof(want),
		         "Date must be in ISO-8601 'basic format'. Got '%s' in X-Amz-Date. See "
		         "http://en.wikipedia.org/wiki/ISO_8601",
		         bad[i]);
		expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature", want);
	}
}

/* Date serves when X-Amz-Date is absent (signed like any header). */
static void test_date_header(void **state)
{
	(void)state;
	struct req q;
	boto_request(&q, BOTO_BODY);
	set_header(&q, "X-Amz-Date", NULL);
	set_header(&q, "Date", "20261125T112406Z");
	char authz[512];
	assert_int_equal(vx_sigv4_sign(&q.r, "content-type;date;host", BOTO_KEY, BOTO_SECRET,
	                               "20261125T112406Z", "us-east-1", "ec2", authz,
	                               sizeof(authz)),
	                 0);
	set_header(&q, "Authorization", authz);
	assert_int_equal(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET).rc, 0);
	set_header(&q, "Date", "Wed, 25 Nov 2026 11:24:06 GMT");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "Date must be in ISO-8601 'basic format'. Got 'Wed, 25 Nov 2026 11:24:06 GMT' in "
	       "Date. See http://en.wikipedia.org/wiki/ISO_8601");
}

static void test_host_must_be_signed(void **state)
{
	(void)state;
	struct req q;
	boto_request(&q, BOTO_BODY);
	char authz[512];
	assert_int_equal(vx_sigv4_sign(&q.r, "content-type;x-amz-date", BOTO_KEY, BOTO_SECRET,
	                               "20261125T112406Z", "us-east-1", "ec2", authz,
	                               sizeof(authz)),
	                 0);
	set_header(&q, "Authorization", authz);
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch",
	       "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
	/* "hostname" is not host. */
	set_header(&q, "Authorization",
	           "AWS4-HMAC-SHA256 Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2/"
	           "aws4_request, SignedHeaders=hostname;x-amz-date, Signature=00");
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch",
	       "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

static void test_limits_and_hostile_input(void **state)
{
	(void)state;
	struct req q;
	boto_request(&q, BOTO_BODY);
	/* 65 signed headers. */
	char authz[4096];
	int n = snprintf(authz, sizeof(authz),
	                 "AWS4-HMAC-SHA256 Credential=AKIAVXTAPTESTKEY2345/20261125/us-east-1/ec2/"
	                 "aws4_request, Signature=00, SignedHeaders=host");
	for (int i = 0; i < 64; i++)
		n += snprintf(authz + n, sizeof(authz) - (size_t)n, ";x-h%d", i);
	set_header(&q, "Authorization", authz);
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "The request is too large to check its signature (at most 64 signed headers, 10000 "
	       "query parameters, 4194304 bytes of canonical request).");
	/* 10001 query parameters. */
	boto_request(&q, BOTO_BODY);
	size_t qlen = 10001 * 4;
	char *query = malloc(qlen + 1);
	assert_non_null(query);
	for (size_t i = 0; i < 10001; i++)
		memcpy(query + i * 4, "a=1&", 4);
	query[qlen - 1] = '\0';
	q.r.query = query;
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "IncompleteSignature",
	       "The request is too large to check its signature (at most 64 signed headers, 10000 "
	       "query parameters, 4194304 bytes of canonical request).");
	free(query);
	/* Odd but harmless: bad escapes, empty pairs, NULL header values. */
	boto_request(&q, BOTO_BODY);
	q.r.query = "%&%4&%zz=%e1%88%b4&&=&a";
	char *creq = vx_sigv4_canonical_request(&q.r, "host");
	assert_non_null(creq);
	assert_non_null(strstr(creq, "\n=&%25=&%254=&%25zz=%E1%88%B4&a=\n"));
	free(creq);
	q.values[1] = NULL;
	expect(check_ec2(&q, BOTO_NOW, BOTO_KEY, BOTO_SECRET), "SignatureDoesNotMatch", MISMATCH);
	struct vx_sigv4_request empty = {0};
	struct keyring k = {BOTO_KEY, BOTO_SECRET};
	assert_int_equal(vx_sigv4_verify(&empty, BOTO_NOW, lookup, &k, NULL, 0, NULL, 0, NULL, 0),
	                 -1);
}

static void test_http_status(void **state)
{
	(void)state;
	assert_int_equal(vx_sigv4_http_status("AuthFailure"), 401);
	assert_int_equal(vx_sigv4_http_status("SignatureDoesNotMatch"), 403);
	assert_int_equal(vx_sigv4_http_status("IncompleteSignature"), 400);
	assert_int_equal(vx_sigv4_http_status("RequestExpired"), 400);
	assert_int_equal(vx_sigv4_http_status("MissingParameter"), 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aws_suite),
	    cmocka_unit_test(test_botocore_request),
	    cmocka_unit_test(test_wrong_signature),
	    cmocka_unit_test(test_wrong_secret),
	    cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_tampered_request),
	    cmocka_unit_test(test_content_sha256),
	    cmocka_unit_test(test_missing_parts),
	    cmocka_unit_test(test_malformed_credential),
	    cmocka_unit_test(test_stale_date),
	    cmocka_unit_test(test_date_header),
	    cmocka_unit_test(test_host_must_be_signed),
	    cmocka_unit_test(test_limits_and_hostile_input),
	    cmocka_unit_test(test_http_status),
	};
	return cmocka_run_group_tests_name("sigv4", tests, NULL, NULL);
}
