/* libFuzzer target: Signature Version 4 checks on arbitrary requests.
 *
 * The input is text: the method, the path and the raw query on the first
 * three lines, then header lines "Name: value" up to an empty line, then
 * the body (everything after it, any bytes). The server's time is the AWS
 * test suite's, 20150830T123600Z; the keys it knows are the suite's
 * AKIDEXAMPLE and AKIAVXTAPTESTKEY2345 (seeds in corpus/sigv4/).
 *
 * Each input is checked as an EC2 request and as one for the suite's
 * service "service". Besides the sanitizers it checks the result's
 * contract (0 with the principal set, or -1 with a code and a message) and
 * one property: the same request re-signed by vx_sigv4_sign (its own
 * Authorization and dates replaced) is accepted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vxtap/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 128
#define NOW         1440938160 /* 20150830T123600Z */
#define SECRET      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static const char *lookup(void *ctx, const char *key_id)
{
	(void)ctx;
	if (!strcmp(key_id, "AKIDEXAMPLE"))
		return SECRET;
	if (!strcmp(key_id, "AKIAVXTAPTESTKEY2345"))
		return "vxtapBotocoreVectorSecret/0123456789+abc";
	return NULL;
}

static void check_contract(int rc, const char *principal, const char *code, const char *msg)
{
	if (rc == 0 && principal[0] && !code[0])
		return;
	if (rc == -1 && !principal[0] && code[0] && msg[0])
		return;
	fprintf(stderr, "contract broken: rc %d, principal '%s', code '%s', message '%s'\n", rc,
	        principal, code, msg);
	abort();
}

/* The next line of [*p, end) as a NUL-terminated copy in buf; NULL at the end. */
static char *next_line(const char **p, const char *end, char *buf, size_t len)
{
	if (*p >= end)
		return NULL;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	if (n >= len)
		n = len - 1;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\r')
		buf[n - 1] = '\0';
	*p = nl ? nl + 1 : end;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char method[64], path[4096], query[8192];
	static char lines[MAX_HEADERS][1024];
	static const char *names[MAX_HEADERS + 2], *values[MAX_HEADERS + 2];
	const char *p = (const char *)data, *end = p + size;
	method[0] = path[0] = query[0] = '\0';
	next_line(&p, end, method, sizeof(method));
	next_line(&p, end, path, sizeof(path));
	next_line(&p, end, query, sizeof(query));
	size_t n = 0;
	while (n < MAX_HEADERS && next_line(&p, end, lines[n], sizeof(lines[n])) && lines[n][0]) {
		char *colon = strchr(lines[n], ':');
		if (!colon)
			continue;
		*colon = '\0';
		names[n] = lines[n];
		values[n] = colon + 1;
		n++;
	}
	struct vx_sigv4_request r = {
	    method, path, query, names, values, n, (const uint8_t *)p, (size_t)(end - p)};

	char principal[64], code[64], msg[1024];
	int rc = vx_sigv4_verify(&r, NOW, lookup, NULL, principal, sizeof(principal), code,
	                         sizeof(code), msg, sizeof(msg));
	check_contract(rc, principal, code, msg);
	rc = vx_sigv4_verify_scope(&r, NOW, "service", NULL, lookup, NULL, principal,
	                           sizeof(principal), code, sizeof(code), msg, sizeof(msg));
	check_contract(rc, principal, code, msg);
	free(vx_sigv4_canonical_request(&r, "host;x-amz-date;content-type"));

	/* Re-signed, it must pass. */
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], "authorization") && strcasecmp(names[i], "x-amz-date") &&
		    strcasecmp(names[i], "date") && strcasecmp(names[i], "x-amz-content-sha256")) {
			names[m] = names[i];
			values[m] = values[i];
			m++;
		}
	names[m] = "X-Amz-Date";
	values[m] = "20150830T123600Z";
	m++;
	r.n_headers = m;
	static char authz[65536];
	if (vx_sigv4_sign(&r, "host;x-amz-date", "AKIDEXAMPLE", SECRET, "20150830T123600Z",
	                  "us-east-1", "service", authz, sizeof(authz)) < 0)
		return 0; /* over the limits */
	names[m] = "Authorization";
	values[m] = authz;
	r.n_headers = m + 1;
	rc = vx_sigv4_verify_scope(&r, NOW, "service", "us-east-1", lookup, NULL, principal,
	                           sizeof(principal), code, sizeof(code), msg, sizeof(msg));
	if (rc != 0) {
		fprintf(stderr, "re-signed request refused: %s: %s\n", code, msg);
		abort();
	}
	return 0;
}
