/* The EC2-compatible HTTP API of `vxtap run --api-listen`: the EC2 Query
 * protocol (form-encoded Action=…&Version=2016-11-15, XML responses in the
 * EC2 namespace, errors as <Response><Errors>) for the EC2 actions of the
 * control plane, so that the AWS CLI and the SDKs drive vxtap with
 * --endpoint-url. Requests are checked with SigV4 (vxtap/sigv4.h) against
 * the store's access keys and run with vx_action_invoke, the access key ID
 * as the audit log's principal.
 *
 * Three parts: the server (src/api/server.c), the form parser and request
 * builder (query.c), the XML writer (xml.c). */
#ifndef VXTAP_API_H
#define VXTAP_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "vxtap/ec2_shapes.h"
#include "vxtap/store.h"

/* ---- limits: beyond them a request is refused ---- */
#define VX_API_MAX_BODY	      (1u << 20) /* bytes of request body */
#define VX_API_MAX_PARAMS     10000	 /* form parameters, body and query string */
#define VX_API_MAX_KEY	      512	 /* bytes of one parameter name */
#define VX_API_MAX_LIST_INDEX 10000	 /* NAME.N: N is 1..this */
#define VX_API_DEFAULT_PORT   4797

#define VX_API_VERSION	 "2016-11-15"
#define VX_API_NAMESPACE "http://ec2.amazonaws.com/doc/2016-11-15/"

/* ---- the server ---- */

struct vx_api_options {
	const char *state_path; /* each worker opens its own store connection */
	const char *address;	/* numeric IPv4 or IPv6 address to bind */
	unsigned port;		/* 0: any free port (vx_api_port says which) */
	unsigned threads;	/* worker threads; 0: 4 */
	/* No signature check: every request runs, as principal "anonymous".
	 * Only accepted on a loopback address. */
	bool no_auth;
	/* The secret access key of an access key ID, written to buf (0), or
	 * -1 when the key is unknown or inactive. st is the calling worker's
	 * store connection. NULL: the store's access keys
	 * (vx_store_access_key_secret). */
	int (*secret)(void *ctx, struct vx_store *st, const char *key_id, char *buf, size_t len);
	void *secret_ctx;
	/* GET /metrics: Prometheus text (vxtap/metrics.h) rendered from the
	 * status the daemon answers on this socket; NULL: no metrics. Like a
	 * Prometheus exporter, it needs no signature. */
	const char *status_socket;
};

struct vx_api;

/* Bind and start serving (own threads). NULL with why set on failure. */
struct vx_api *vx_api_start(const struct vx_api_options *opt, char *why, size_t whylen);
/* The port it listens on. */
unsigned vx_api_port(const struct vx_api *api);
/* Stop serving, finish the requests in progress, close the connections. */
void vx_api_stop(struct vx_api *api);

/* Parse --api-listen's value: PORT, ADDR:PORT or [IPV6]:PORT; ADDR
 * defaults to 127.0.0.1. 0, or -1 when it is not one of these. */
int vx_api_parse_listen(const char *text, char *addr, size_t addrlen, unsigned *port);

/* ---- form parsing and the JSON request (query.c) ---- */

struct vx_form_param {
	char *key;   /* percent-decoded, NUL-free */
	char *value; /* percent-decoded; may hold NUL bytes, hence value_len */
	size_t value_len;
};

struct vx_form {
	struct vx_form_param *p;
	size_t n, cap;
};

/* Parse application/x-www-form-urlencoded text (a body or a raw query
 * string) and append its parameters to form ('+' is a space; %XX a byte).
 * 0, or -1 with err set: MalformedQueryString for a bad escape or a name
 * that is empty, too long or holds a NUL; InvalidQueryParameter beyond
 * VX_API_MAX_PARAMS parameters in the form. */
int vx_form_parse(struct vx_form *form, const char *text, size_t len, struct vx_err *err);
void vx_form_free(struct vx_form *form);
/* The value of key (NULL when absent); *count says how many times it was
 * given. */
const struct vx_form_param *vx_form_get(const struct vx_form *form, const char *key,
					size_t *count);

/* Whether the server itself consumes a parameter (Action, Version, the
 * X-Amz-* of a presigned request), so that it is not an action's. */
bool vx_query_is_protocol_param(const char *key);

/* The JSON request of an operation from its form parameters, with the
 * model's member names and types (lists in index order). Protocol
 * parameters are skipped. NULL with err set: UnknownParameter for a name
 * the input shape does not have, InvalidParameterValue for a value of the
 * wrong type (or not UTF-8), InvalidParameter for a parameter given twice
 * or a name that both holds a value and has members. */
json_t *vx_query_request(const struct vx_ec2_operation *op, const struct vx_form *form,
			 struct vx_err *err);

/* ---- XML (xml.c) ---- */

/* <ActionResponse xmlns=…><requestId>…</requestId>members…</ActionResponse>
 * for a JSON response shaped as op's output (members by their XML names,
 * lists as <name><item>…</item></name>, timestamps as EC2 sends them). An
 * operation without an output shape answers <return>true</return>. A new
 * string (length in *len), or NULL when memory runs out. */
char *vx_xml_response(const struct vx_ec2_operation *op, const json_t *resp,
		      const char *request_id, size_t *len);

/* <Response><Errors><Error><Code>…</Code><Message>…</Message></Error>
 * </Errors><RequestID>…</RequestID></Response>. */
char *vx_xml_error(const char *code, const char *message, const char *request_id, size_t *len);

/* The HTTP status EC2 answers an error code with: 412 DryRunOperation, 401
 * AuthFailure, 403 a signature that does not match and authorization, 503
 * throttling and unavailability, 500 internal errors, 400 otherwise. */
unsigned vx_api_error_status(const char *code);

#endif
