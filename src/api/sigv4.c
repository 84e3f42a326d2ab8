/* AWS Signature Version 4: the canonical request, the string to sign, the
 * signing key, and the checks EC2 makes before it compares signatures.
 * See include/vxtap/sigv4.h. */
#include "vxtap/sigv4.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "vxtap/strbuf.h"

#define ALGORITHM  "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"

/* ---- a bounded growable string ---- */

/* ---- encoding ---- */

static const char HEX_UPPER[] = "0123456789ABCDEF";
static const char HEX_LOWER[] = "0123456789abcdef";

static void hex_lower(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = HEX_LOWER[in[i] >> 4];
		out[2 * i + 1] = HEX_LOWER[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

/* RFC 3986 encoding as SigV4 wants it: unreserved characters as they are
 * (and '/' in a path), every other byte as %XX with upper-case digits. */
static void uri_encode(struct vx_strbuf *b, const char *s, size_t n, bool keep_slash)
{
	for (size_t i = 0; i < n && !b->bad; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			vx_strbuf_putc(b, (char)c);
		} else {
			char esc[3] = {'%', HEX_UPPER[c >> 4], HEX_UPPER[c & 15]};
			vx_strbuf_put(b, esc, 3);
		}
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX escapes (a '%' not followed by two hex digits stays as it
 * is); out has room for n bytes. Returns the decoded length. */
static size_t pct_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hex_value(s[i + 1])) >= 0 &&
		    (lo = hex_value(s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

/* ---- the canonical request ---- */

/* RFC 3986 remove_dot_segments, with empty segments dropped too (AWS
 * collapses repeated slashes); a trailing slash stays. Then URI-encoded. */
static void canonical_uri(struct vx_strbuf *b, const char *path)
{
	size_t n = strlen(path);
	if (n == 0) {
		vx_strbuf_putc(b, '/');
		return;
	}
	size_t max_segs = 1;
	for (size_t i = 0; i < n; i++)
		max_segs += path[i] == '/';
	struct seg {
		const char *p;
		size_t n;
	} *segs = calloc(max_segs, sizeof(*segs));
	if (!segs) {
		b->bad = true;
		return;
	}
	size_t nseg = 0;
	for (size_t i = 0; i <= n;) {
		size_t j = i;
		while (j < n && path[j] != '/')
			j++;
		size_t len = j - i;
		if (len == 0 || (len == 1 && path[i] == '.')) {
			/* skip */
		} else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
			if (nseg)
				nseg--;
		} else {
			segs[nseg].p = path + i;
			segs[nseg].n = len;
			nseg++;
		}
		i = j + 1;
	}
	if (path[0] == '/')
		vx_strbuf_putc(b, '/');
	for (size_t s = 0; s < nseg; s++) {
		if (s)
			vx_strbuf_putc(b, '/');
		uri_encode(b, segs[s].p, segs[s].n, false);
	}
	if (path[n - 1] == '/' && nseg)
		vx_strbuf_putc(b, '/');
	free(segs);
}

struct qparam {
	char *key, *value; /* encoded */
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

static char *encode_part(const char *s, size_t n)
{
	char *dec = malloc(n + 1);
	if (!dec)
		return NULL;
	size_t dn = pct_decode(s, n, dec);
	struct vx_strbuf b = {.limit = VX_SIGV4_MAX_CANONICAL};
	uri_encode(&b, dec, dn, false);
	free(dec);
	return vx_strbuf_take(&b, NULL);
}

/* Parameters decoded, re-encoded, sorted by name then value. */
static void canonical_query(struct vx_strbuf *out, const char *q)
{
	size_t n = strlen(q), count = 0;
	if (n > VX_SIGV4_MAX_CANONICAL) {
		out->bad = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		count += q[i] == '&';
	count++;
	if (count > VX_SIGV4_MAX_QUERY_PARAMS) {
		out->bad = true;
		return;
	}
	struct qparam *ps = calloc(count, sizeof(*ps));
	if (!ps) {
		out->bad = true;
		return;
	}
	size_t np = 0;
	bool ok = true;
	for (size_t i = 0; i <= n && ok;) {
		size_t j = i;
		while (j < n && q[j] != '&')
			j++;
		if (j > i) {
			const char *eq = memchr(q + i, '=', j - i);
			size_t klen = eq ? (size_t)(eq - (q + i)) : j - i;
			ps[np].key = encode_part(q + i, klen);
			ps[np].value =
			    eq ? encode_part(eq + 1, (size_t)(q + j - eq - 1)) : strdup("");
			ok = ps[np].key && ps[np].value;
			np++;
		}
		i = j + 1;
	}
	if (ok) {
		qsort(ps, np, sizeof(*ps), qparam_cmp);
		for (size_t i = 0; i < np; i++) {
			if (i)
				vx_strbuf_putc(out, '&');
			vx_strbuf_puts(out, ps[i].key);
			vx_strbuf_putc(out, '=');
			vx_strbuf_puts(out, ps[i].value);
		}
	} else {
		out->bad = true;
	}
	for (size_t i = 0; i < np; i++) {
		free(ps[i].key);
		free(ps[i].value);
	}
	free(ps);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A header value trimmed, inner runs of blanks made one space. */
static void put_trimmed(struct vx_strbuf *b, const char *v)
{
	bool pending_space = false, started = false;
	for (const char *p = v; *p && !b->bad; p++) {
		if (blank(*p)) {
			pending_space = started;
			continue;
		}
		if (pending_space)
			vx_strbuf_putc(b, ' ');
		pending_space = false;
		started = true;
		vx_strbuf_putc(b, *p);
	}
}

/* The first value of a header (case-insensitive name), or NULL. */
static const char *header_get(const struct vx_sigv4_request *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (r->header_names && r->header_names[i] && !strcasecmp(r->header_names[i], name))
			return r->header_values && r->header_values[i] ? r->header_values[i] : "";
	return NULL;
}

/* "name:v1,v2\n": every header of that name, in order. */
static void canonical_header(struct vx_strbuf *b, const struct vx_sigv4_request *r, const char *name,
                             size_t nlen)
{
	for (size_t i = 0; i < nlen; i++) {
		char c = name[i];
		vx_strbuf_putc(b, (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c);
	}
	vx_strbuf_putc(b, ':');
	bool first = true;
	for (size_t i = 0; i < r->n_headers && !b->bad; i++) {
		const char *hn = r->header_names ? r->header_names[i] : NULL;
		if (!hn || strlen(hn) != nlen || strncasecmp(hn, name, nlen))
			continue;
		if (!first)
			vx_strbuf_putc(b, ',');
		first = false;
		put_trimmed(b, r->header_values && r->header_values[i] ? r->header_values[i] : "");
	}
	vx_strbuf_putc(b, '\n');
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA256(data ? data : (const void *)"", data ? n : 0, md);
	hex_lower(md, sizeof(md), out);
}

/* Build the canonical request; payload_hash is the last line. NULL when a
 * limit is exceeded (or memory runs out). */
static char *build_canonical(const struct vx_sigv4_request *r, const char *signed_headers,
                             const char *payload_hash)
{
	struct vx_strbuf b = {.limit = VX_SIGV4_MAX_CANONICAL};
	vx_strbuf_puts(&b, r->method ? r->method : "");
	vx_strbuf_putc(&b, '\n');
	canonical_uri(&b, r->path ? r->path : "/");
	vx_strbuf_putc(&b, '\n');
	canonical_query(&b, r->query ? r->query : "");
	vx_strbuf_putc(&b, '\n');
	size_t nnames = 0;
	for (const char *p = signed_headers; !b.bad;) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		if (++nnames > VX_SIGV4_MAX_SIGNED_HEADERS) {
			b.bad = true;
			break;
		}
		canonical_header(&b, r, p, len);
		if (!semi)
			break;
		p = semi + 1;
	}
	vx_strbuf_putc(&b, '\n');
	for (const char *p = signed_headers; *p; p++)
		vx_strbuf_putc(&b, (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p);
	vx_strbuf_putc(&b, '\n');
	vx_strbuf_puts(&b, payload_hash);
	return vx_strbuf_take(&b, NULL);
}

/* The payload line: X-Amz-Content-Sha256 as sent, else the body's hash. */
static void payload_line(const struct vx_sigv4_request *r, char *out, size_t len,
                         char body_hash[65])
{
	sha256_hex(r->body, r->body_len, body_hash);
	const char *declared = header_get(r, "x-amz-content-sha256");
	if (declared) {
		struct vx_strbuf b = {.limit = VX_SIGV4_MAX_CANONICAL};
		put_trimmed(&b, declared);
		snprintf(out, len, "%s", b.p ? b.p : "");
		free(b.p);
	} else {
		snprintf(out, len, "%s", body_hash);
	}
}

char *vx_sigv4_canonical_request(const struct vx_sigv4_request *r, const char *signed_headers)
{
	char payload[160], body_hash[65];
	payload_line(r, payload, sizeof(payload), body_hash);
	return build_canonical(r, signed_headers, payload);
}

/* ---- signing ---- */

static bool hmac256(const void *key, size_t klen, const char *msg, size_t mlen,
                    uint8_t out[SHA256_DIGEST_LENGTH])
{
	unsigned int olen = 0;
	return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &olen) &&
	       olen == SHA256_DIGEST_LENGTH;
}

/* The hex signature of string_to_sign under the key derived from secret
 * for the scope date/region/service. */
static bool compute_signature(const char *secret, const char *date8, const char *region,
                              const char *service, const char *sts, char out[65])
{
	size_t slen = strlen(secret);
	char *k = malloc(slen + 5);
	if (!k)
		return false;
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, slen + 1);
	uint8_t a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
	bool ok = hmac256(k, slen + 4, date8, strlen(date8), a) &&
	          hmac256(a, sizeof(a), region, strlen(region), b) &&
	          hmac256(b, sizeof(b), service, strlen(service), a) &&
	          hmac256(a, sizeof(a), TERMINATOR, strlen(TERMINATOR), b) &&
	          hmac256(b, sizeof(b), sts, strlen(sts), a);
	if (ok)
		hex_lower(a, sizeof(a), out);
	OPENSSL_cleanse(k, slen + 4);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	free(k);
	return ok;
}

static char *string_to_sign(const char *canonical, const char *amz_date, const char *date8,
                            const char *region, const char *service)
{
	char hash[65];
	sha256_hex(canonical, strlen(canonical), hash);
	struct vx_strbuf b = {.limit = VX_SIGV4_MAX_CANONICAL};
	vx_strbuf_puts(&b, ALGORITHM "\n");
	vx_strbuf_puts(&b, amz_date);
	vx_strbuf_putc(&b, '\n');
	vx_strbuf_puts(&b, date8);
	vx_strbuf_putc(&b, '/');
	vx_strbuf_puts(&b, region);
	vx_strbuf_putc(&b, '/');
	vx_strbuf_puts(&b, service);
	vx_strbuf_puts(&b, "/" TERMINATOR "\n");
	vx_strbuf_puts(&b, hash);
	return vx_strbuf_take(&b, NULL);
}

int vx_sigv4_sign(const struct vx_sigv4_request *r, const char *signed_headers, const char *key_id,
                  const char *secret, const char *amz_date, const char *region, const char *service,
                  char *out, size_t outlen)
{
	char date8[9];
	if (strlen(amz_date) < 8)
		return -1;
	memcpy(date8, amz_date, 8);
	date8[8] = '\0';
	char *canonical = vx_sigv4_canonical_request(r, signed_headers);
	if (!canonical)
		return -1;
	char *sts = string_to_sign(canonical, amz_date, date8, region, service);
	free(canonical);
	char sig[65];
	bool ok = sts && compute_signature(secret, date8, region, service, sts, sig);
	free(sts);
	if (!ok)
		return -1;
	int n = snprintf(out, outlen,
	                 ALGORITHM " Credential=%s/%s/%s/%s/" TERMINATOR
	                           ", SignedHeaders=%s, Signature=%s",
	                 key_id, date8, region, service, signed_headers, sig);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ---- dates ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* ISO 8601 basic format, 20150830T123600Z, to seconds since the epoch. */
static bool parse_amz_date(const char *s, int64_t *out)
{
	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return false;
	int y = digits(s, 4), mo = digits(s + 4, 2), d = digits(s + 6, 2);
	int h = digits(s + 9, 2), mi = digits(s + 11, 2), se = digits(s + 13, 2);
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || se < 0 || se > 60)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return false;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

static void format_amz_date(int64_t t, char out[17])
{
	time_t secs = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || !strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm))
		snprintf(out, 17, "%s", "?");
}

/* ---- verification ---- */

struct outcome {
	char *code;
	size_t codelen;
	char *msg;
	size_t msglen;
};

__attribute__((format(printf, 3, 4))) static int fail(struct outcome *o, const char *code,
                                                      const char *fmt, ...)
{
	if (o->code && o->codelen)
		snprintf(o->code, o->codelen, "%s", code);
	if (o->msg && o->msglen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(o->msg, o->msglen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

struct span {
	const char *p;
	size_t n;
};

static bool span_is(struct span s, const char *lit)
{
	return s.p && s.n == strlen(lit) && !memcmp(s.p, lit, s.n);
}

/* Longest piece of an untrusted string quoted in a message. */
#define QUOTE_MAX 512

int vx_sigv4_http_status(const char *code)
{
	if (!code)
		return 400;
	if (!strcmp(code, "AuthFailure"))
		return 401;
	if (!strcmp(code, "SignatureDoesNotMatch") || !strcmp(code, "MissingAuthenticationToken"))
		return 403;
	return 400;
}

int vx_sigv4_verify(const struct vx_sigv4_request *r, int64_t now_s,
                    const char *(*lookup)(void *ctx, const char *key_id), void *ctx,
                    char *principal, size_t plen, char *code, size_t codelen, char *msg,
                    size_t msglen)
{
	return vx_sigv4_verify_scope(r, now_s, "ec2", NULL, lookup, ctx, principal, plen, code,
	                             codelen, msg, msglen);
}

static bool region_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* Whether the ';'-separated list names host (any case). */
static bool signs_host(const char *list, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && list[j] != ';')
			j++;
		if (j - i == 4 && !strncasecmp(list + i, "host", 4))
			return true;
		i = j + 1;
	}
	return false;
}

int vx_sigv4_verify_scope(const struct vx_sigv4_request *r, int64_t now_s, const char *service,
                          const char *region, vx_sigv4_lookup lookup, void *ctx, char *principal,
                          size_t plen, char *code, size_t codelen, char *msg, size_t msglen)
{
	struct outcome o = {code, codelen, msg, msglen};
	if (principal && plen)
		principal[0] = '\0';
	if (code && codelen)
		code[0] = '\0';
	if (msg && msglen)
		msg[0] = '\0';

	const char *auth = header_get(r, "authorization");
	if (!auth) {
		if (r->query && strstr(r->query, "X-Amz-Algorithm="))
			return fail(&o, "IncompleteSignature",
			            "Only the Authorization header form of Signature Version 4 is "
			            "accepted, not X-Amz-Algorithm query parameters.");
		return fail(&o, "MissingParameter",
		            "The request must contain the parameter AWSAccessKeyId");
	}
	size_t auth_len = strlen(auth);
	int quote_len = auth_len > QUOTE_MAX ? QUOTE_MAX : (int)auth_len;

	/* The algorithm, then Key=Value pairs separated by commas or blanks. */
	const char *p = auth;
	while (blank(*p))
		p++;
	struct span algorithm = {p, 0};
	while (p[algorithm.n] && !blank(p[algorithm.n]) && p[algorithm.n] != ',')
		algorithm.n++;
	p += algorithm.n;
	struct span credential = {0}, signed_headers = {0}, signature = {0};
	while (*p) {
		while (*p && (blank(*p) || *p == ','))
			p++;
		if (!*p)
			break;
		size_t n = 0;
		while (p[n] && !blank(p[n]) && p[n] != ',')
			n++;
		const char *eq = memchr(p, '=', n);
		if (!eq)
			return fail(&o, "IncompleteSignature",
			            "'%.*s' not a valid key=value pair (missing equal-sign) in "
			            "Authorization header: '%.*s'.",
			            (int)(n > QUOTE_MAX ? QUOTE_MAX : n), p, quote_len, auth);
		struct span key = {p, (size_t)(eq - p)};
		struct span value = {eq + 1, (size_t)(p + n - eq - 1)};
		if (span_is(key, "Credential") && !credential.p)
			credential = value;
		else if (span_is(key, "SignedHeaders") && !signed_headers.p)
			signed_headers = value;
		else if (span_is(key, "Signature") && !signature.p)
			signature = value;
		p += n;
	}
	const char *date_header = header_get(r, "x-amz-date");
	const char *date_name = "X-Amz-Date";
	if (!date_header) {
		date_header = header_get(r, "date");
		date_name = "Date";
	}
	char missing[512] = "";
	size_t mlen = 0;
	if (!credential.n)
		mlen += (size_t)snprintf(missing + mlen, sizeof(missing) - mlen,
		                         "Authorization header requires 'Credential' parameter. ");
	if (!signature.n)
		mlen += (size_t)snprintf(missing + mlen, sizeof(missing) - mlen,
		                         "Authorization header requires 'Signature' parameter. ");
	if (!signed_headers.n)
		mlen +=
		    (size_t)snprintf(missing + mlen, sizeof(missing) - mlen,
		                     "Authorization header requires 'SignedHeaders' parameter. ");
	if (!date_header)
		snprintf(missing + mlen, sizeof(missing) - mlen,
		         "Authorization header requires existence of either a 'X-Amz-Date' or a "
		         "'Date' header. ");
	if (missing[0])
		return fail(&o, "IncompleteSignature", "%sAuthorization=%.*s", missing, quote_len,
		            auth);
	if (!span_is(algorithm, ALGORITHM))
		return fail(&o, "IncompleteSignature",
		            "Unsupported AWS 'algorithm': '%.*s' (only " ALGORITHM " for now).",
		            (int)(algorithm.n > QUOTE_MAX ? QUOTE_MAX : algorithm.n), algorithm.p);

	/* The request time. */
	char amz_date[17];
	struct vx_strbuf db = {.limit = VX_SIGV4_MAX_CANONICAL};
	put_trimmed(&db, date_header);
	bool date_ok = db.p && strlen(db.p) == 16;
	int64_t when = 0;
	if (date_ok) {
		memcpy(amz_date, db.p, 17);
		date_ok = parse_amz_date(amz_date, &when);
	}
	if (!date_ok) {
		int dl = db.p ? (int)(strlen(db.p) > QUOTE_MAX ? QUOTE_MAX : strlen(db.p)) : 0;
		int rc = fail(&o, "IncompleteSignature",
		              "Date must be in ISO-8601 'basic format'. Got '%.*s' in %s. See "
		              "http://en.wikipedia.org/wiki/ISO_8601",
		              dl, db.p ? db.p : "", date_name);
		free(db.p);
		return rc;
	}
	free(db.p);
	if (when < now_s - VX_SIGV4_MAX_SKEW_S || when > now_s + VX_SIGV4_MAX_SKEW_S) {
		char server[17];
		format_amz_date(now_s, server);
		return fail(&o, "RequestExpired",
		            "Request has expired. Its time %s is more than 15 minutes from the "
		            "server's time %s.",
		            amz_date, server);
	}

	/* The signed headers must include host. */
	if (!signs_host(signed_headers.p, signed_headers.n))
		return fail(&o, "SignatureDoesNotMatch",
		            "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
		            "Authorization.");

	/* Credential: keyid/date/region/service/aws4_request (trailing slashes
	 * ignored). */
	size_t cn = credential.n;
	while (cn && credential.p[cn - 1] == '/')
		cn--;
	struct span part[5];
	size_t nparts = 0;
	bool too_many = false;
	for (size_t i = 0; i <= cn;) {
		size_t j = i;
		while (j < cn && credential.p[j] != '/')
			j++;
		if (nparts == 5) {
			too_many = true;
			break;
		}
		part[nparts].p = credential.p + i;
		part[nparts].n = j - i;
		nparts++;
		i = j + 1;
	}
	int cq = credential.n > QUOTE_MAX ? QUOTE_MAX : (int)credential.n;
	if (too_many || nparts != 5)
		return fail(&o, "IncompleteSignature",
		            "Credential must have exactly 5 slash-delimited elements, e.g. "
		            "keyid/date/region/service/term, got '%.*s'",
		            cq, credential.p);
	char key_id[129], date8[9], cred_region[33];
	bool key_ok = part[0].n > 0 && part[0].n < sizeof(key_id);
	if (key_ok) {
		memcpy(key_id, part[0].p, part[0].n);
		key_id[part[0].n] = '\0';
		key_ok = strlen(key_id) == part[0].n; /* no NUL inside */
	}
	char scope_err[1024] = "";
	size_t sl = 0;
	bool region_valid = part[2].n < sizeof(cred_region);
	if (region_valid) {
		memcpy(cred_region, part[2].p, part[2].n);
		cred_region[part[2].n] = '\0';
		region_valid = region ? !strcmp(cred_region, region) : region_ok(cred_region);
	}
	if (!region_valid)
		sl +=
		    (size_t)snprintf(scope_err + sl, sizeof(scope_err) - sl,
		                     "Credential should be scoped to a valid region, not '%.*s'. ",
		                     (int)(part[2].n > 64 ? 64 : part[2].n), part[2].p);
	if (!span_is(part[3], service))
		sl += (size_t)snprintf(scope_err + sl, sizeof(scope_err) - sl,
		                       "Credential should be scoped to correct service: '%s'. ",
		                       service);
	if (!span_is(part[4], TERMINATOR))
		sl += (size_t)snprintf(scope_err + sl, sizeof(scope_err) - sl,
		                       "Credential should be scoped with a valid terminator: "
		                       "'" TERMINATOR "', not '%.*s'. ",
		                       (int)(part[4].n > 64 ? 64 : part[4].n), part[4].p);
	if (part[1].n != 8 || memcmp(part[1].p, amz_date, 8))
		snprintf(scope_err + sl, sizeof(scope_err) - sl,
		         "Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
		         "of date from HTTP: '%.*s' != '%.8s', from '%s'.",
		         (int)(part[1].n > 64 ? 64 : part[1].n), part[1].p, amz_date, amz_date);
	if (scope_err[0]) {
		size_t n = strlen(scope_err);
		if (n && scope_err[n - 1] == ' ')
			scope_err[n - 1] = '\0';
		return fail(&o, "SignatureDoesNotMatch", "%s", scope_err);
	}
	memcpy(date8, amz_date, 8);
	date8[8] = '\0';

	/* The access key. */
	const char *secret = key_ok && lookup ? lookup(ctx, key_id) : NULL;
	if (!secret)
		return fail(&o, "AuthFailure",
		            "AWS was not able to validate the provided access credentials");

	/* The body must be the one whose hash was signed. */
	char payload[160], body_hash[65];
	payload_line(r, payload, sizeof(payload), body_hash);
	if (header_get(r, "x-amz-content-sha256") && strcasecmp(payload, body_hash))
		return fail(&o, "SignatureDoesNotMatch",
		            "The provided 'x-amz-content-sha256' header does not match what was "
		            "computed.");

	char *sh = malloc(signed_headers.n + 1);
	if (!sh)
		return fail(&o, "InternalFailure", "out of memory");
	memcpy(sh, signed_headers.p, signed_headers.n);
	sh[signed_headers.n] = '\0';
	char *canonical = build_canonical(r, sh, payload);
	free(sh);
	if (!canonical)
		return fail(&o, "IncompleteSignature",
		            "The request is too large to check its signature (at most %u signed "
		            "headers, %u query parameters, %u bytes of canonical request).",
		            VX_SIGV4_MAX_SIGNED_HEADERS, VX_SIGV4_MAX_QUERY_PARAMS,
		            VX_SIGV4_MAX_CANONICAL);
	char *sts = string_to_sign(canonical, amz_date, date8, cred_region, service);
	free(canonical);
	char expected[65];
	bool computed =
	    sts && compute_signature(secret, date8, cred_region, service, sts, expected);
	free(sts);
	if (!computed)
		return fail(&o, "InternalFailure", "The signature could not be computed.");
	bool match = signature.n == 64 && CRYPTO_memcmp(expected, signature.p, 64) == 0;
	OPENSSL_cleanse(expected, sizeof(expected));
	if (!match)
		return fail(
		    &o, "SignatureDoesNotMatch",
		    "The request signature we calculated does not match the signature you "
		    "provided. Check your AWS Secret Access Key and signing method. Consult "
		    "the service documentation for details.");
	if (principal && plen)
		snprintf(principal, plen, "%s", key_id);
	return 0;
}
