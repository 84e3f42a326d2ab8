/* AWS Signature Version 4: checking that a request was signed with an
 * access key the store knows (the EC2 API), and signing one (tests, tools).
 *
 * Only the Authorization-header form is accepted:
 *   Authorization: AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ec2/aws4_request,
 *                  SignedHeaders=host;x-amz-date, Signature=<64 hex digits>
 * with the request time in X-Amz-Date (or Date). The canonical request is
 * built as AWS builds it: the method; the path with dot segments and
 * repeated slashes removed, URI-encoded (so a %-escape on the wire is
 * encoded again, as the SDKs sign it); the query's parameters decoded,
 * re-encoded (RFC 3986: only A-Z a-z 0-9 - _ . ~ stay as they are; a '+'
 * is a plus sign, not a space) and sorted by name, then value; the signed
 * headers, lower-cased, each with its values trimmed, inner runs of
 * blanks made one space, repeated headers joined by commas; the signed
 * header list; and the hex SHA-256 of the body, or X-Amz-Content-Sha256
 * when sent (which must then be the body's hash: UNSIGNED-PAYLOAD is not
 * accepted, since an EC2 body carries the request's parameters).
 *
 * Every input is untrusted: any header, query or body gives 0 or -1, never
 * more work than a bounded multiple of its size. */
#ifndef VXTAP_SIGV4_H
#define VXTAP_SIGV4_H

#include <stddef.h>
#include <stdint.h>

/* How far the request's time may be from the server's, either way (AWS's
 * 15 minutes). */
#define VX_SIGV4_MAX_SKEW_S 900

/* Limits on what is checked: beyond them a request is refused as
 * IncompleteSignature. */
#define VX_SIGV4_MAX_SIGNED_HEADERS 64
#define VX_SIGV4_MAX_QUERY_PARAMS   10000
#define VX_SIGV4_MAX_CANONICAL      (4u << 20) /* bytes of canonical request */

struct vx_sigv4_request {
	const char *method, *path, *query; /* raw query string, may be "" */
	const char *const *header_names, *const *header_values;
	size_t n_headers;
	const uint8_t *body;
	size_t body_len;
};

/* Resolve an access key ID to its secret, or NULL when the key is unknown
 * or inactive. The string must stay valid until vx_sigv4_verify returns. */
typedef const char *(*vx_sigv4_lookup)(void *ctx, const char *key_id);

/* Check an EC2 request (service "ec2", any region). 0 when it is validly
 * signed: principal gets the access key ID. Otherwise -1 with code and msg
 * set to what EC2 answers:
 *   MissingParameter        no Authorization header at all ("The request must
 *                           contain the parameter AWSAccessKeyId")
 *   IncompleteSignature     a malformed Authorization header or Credential,
 *                           a missing or malformed date, another algorithm
 *   RequestExpired          the date is more than 15 minutes from now_s
 *   SignatureDoesNotMatch   host not signed, a wrong credential scope, a
 *                           body that is not the one signed, or a wrong
 *                           signature (wrong secret, tampered request)
 *   AuthFailure             an access key ID that lookup does not know
 * Each buffer may be NULL with length 0. */
int vx_sigv4_verify(const struct vx_sigv4_request *r, int64_t now_s,
                    const char *(*lookup)(void *ctx, const char *key_id), void *ctx,
                    char *principal, size_t plen, char *code, size_t codelen, char *msg,
                    size_t msglen);

/* The same for any service name (AWS's published test suite signs for
 * "service"), and only for region when it is not NULL. */
int vx_sigv4_verify_scope(const struct vx_sigv4_request *r, int64_t now_s, const char *service,
                          const char *region, vx_sigv4_lookup lookup, void *ctx, char *principal,
                          size_t plen, char *code, size_t codelen, char *msg, size_t msglen);

/* The HTTP status EC2 sends with one of the codes above (400 for others). */
int vx_sigv4_http_status(const char *code);

/* The canonical request for the given SignedHeaders value (malloc'd, NULL
 * when it exceeds the limits or memory runs out). */
char *vx_sigv4_canonical_request(const struct vx_sigv4_request *r, const char *signed_headers);

/* Sign r: the Authorization header value for it, signed with key_id and
 * secret at amz_date (20150830T123600Z, the request's X-Amz-Date) for
 * region and service, covering signed_headers (e.g. "host;x-amz-date";
 * each must be among r's headers). 0, or -1 when it does not fit out or
 * the request exceeds the limits. */
int vx_sigv4_sign(const struct vx_sigv4_request *r, const char *signed_headers, const char *key_id,
                  const char *secret, const char *amz_date, const char *region, const char *service,
                  char *out, size_t outlen);

#endif
