/* The EC2 Query API's HTTP server (libmicrohttpd): POST / with a form body,
 * or GET / with a query string → SigV4 check → the action, run with
 * vx_action_invoke as the access key ID → EC2's XML.
 *
 * Threads: libmicrohttpd's internal thread pool; each worker thread runs
 * one request at a time and borrows one of as many store connections
 * (SQLite in WAL mode serialises the writers, as between CLI processes). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mhd_load.h"
#include "vxtap/action.h"
#include "vxtap/api.h"
#include "vxtap/daemon.h"
#include "vxtap/metrics.h"
#include "vxtap/sigv4.h"

/* libmicrohttpd, loaded by the first vx_api_start(). */
static const struct vx_mhd *mhd;

#define MAX_HEADERS 128
#define MAX_THREADS 64

struct pooled_store {
	struct vx_store *st;
	bool busy;
};

struct vx_api {
	struct vx_api_options opt;
	char state_path[4096];
	char address[64];
	unsigned port;
	int listen_fd;
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	/* One action at a time: every action takes the store's write lock, and
	 * waiting here, in order, is fairer than SQLite's busy handler, whose
	 * growing sleeps made some requests wait seconds under load. */
	pthread_mutex_t invoke_lock;
	pthread_cond_t freed;
	struct pooled_store *stores;
	unsigned n_stores;
};

/* One request, from its first line to its completion. */
struct request {
	struct vx_api *api;
	char *uri; /* as received: path and raw query string */
	char *body;
	size_t body_len, body_cap, discarded;
	bool started, too_large;
	/* The SigV4 lookup's answer lives here until the check returns. */
	struct vx_store *st;
	char secret[256];
};

/* ---- helpers ---- */

static void new_request_id(char *out, size_t len)
{
	uint8_t b[16];
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		memset(b, 0, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

static enum MHD_Result send_xml(struct MHD_Connection *conn, unsigned status, char *xml,
				size_t len)
{
	if (!xml)
		return MHD_NO;
	struct MHD_Response *r =
		mhd->create_response_from_buffer(len, xml, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(xml);
		return MHD_NO;
	}
	mhd->add_response_header(r, "Content-Type", "text/xml;charset=UTF-8");
	enum MHD_Result rc = mhd->queue_response(conn, status, r);
	mhd->destroy_response(r);
	return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *code,
				  const char *message)
{
	char id[40];
	new_request_id(id, sizeof(id));
	size_t len;
	char *xml = vx_xml_error(code, message, id, &len);
	return send_xml(conn, status, xml, len);
}

/* The daemon's counters as Prometheus text, asked of its status socket (so
 * the API's threads never touch the daemon's state). */
static enum MHD_Result send_metrics(struct MHD_Connection *conn, const char *socket_path)
{
	char why[256];
	char *txt = vx_daemon_query_status(socket_path, why, sizeof(why));
	json_t *status = txt ? json_loads(txt, 0, NULL) : NULL;
	free(txt);
	char *body = vx_metrics_render(status);
	json_decref(status);
	if (!body)
		return MHD_NO;
	struct MHD_Response *r =
		mhd->create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	mhd->add_response_header(r, "Content-Type", VX_METRICS_CONTENT_TYPE);
	enum MHD_Result rc = mhd->queue_response(conn, 200, r);
	mhd->destroy_response(r);
	return rc;
}

static void peer_address(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		mhd->get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[INET6_ADDRSTRLEN] = "?", serv[8] = "?";
	if (ci && ci->client_addr) {
		socklen_t sl = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								       : sizeof(struct sockaddr_in);
		getnameinfo(ci->client_addr, sl, host, sizeof(host), serv, sizeof(serv),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	}
	snprintf(out, len, strchr(host, ':') ? "ec2-api [%s]:%s" : "ec2-api %s:%s", host, serv);
}

/* ---- store connections ---- */

static struct vx_store *store_take(struct vx_api *api, unsigned *slot, struct vx_err *err)
{
	pthread_mutex_lock(&api->lock);
	for (;;) {
		for (unsigned i = 0; i < api->n_stores; i++)
			if (!api->stores[i].busy) {
				api->stores[i].busy = true;
				*slot = i;
				pthread_mutex_unlock(&api->lock);
				if (!api->stores[i].st &&
				    vx_store_open(&api->stores[i].st, api->state_path, err) < 0) {
					api->stores[i].st = NULL;
					pthread_mutex_lock(&api->lock);
					api->stores[i].busy = false;
					pthread_cond_signal(&api->freed);
					pthread_mutex_unlock(&api->lock);
					return NULL;
				}
				return api->stores[i].st;
			}
		pthread_cond_wait(&api->freed, &api->lock);
	}
}

static void store_give_back(struct vx_api *api, unsigned slot)
{
	pthread_mutex_lock(&api->lock);
	api->stores[slot].busy = false;
	pthread_cond_signal(&api->freed);
	pthread_mutex_unlock(&api->lock);
}

/* ---- authentication ---- */

struct header_list {
	const char *names[MAX_HEADERS], *values[MAX_HEADERS];
	size_t n;
	bool overflow;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	(void)kind;
	struct header_list *h = cls;
	if (h->n == MAX_HEADERS) {
		h->overflow = true;
		return MHD_NO;
	}
	h->names[h->n] = key;
	h->values[h->n++] = value ? value : "";
	return MHD_YES;
}

/* The access keys of the store (create-access-key), unless the options
 * name another source. */
static const char *lookup_secret(void *ctx, const char *key_id)
{
	struct request *rq = ctx;
	const struct vx_api_options *o = &rq->api->opt;
	if (!rq->st)
		return NULL;
	if (!o->secret)
		return vx_store_access_key_secret(rq->st, key_id, rq->secret, sizeof(rq->secret));
	if (o->secret(o->secret_ctx, rq->st, key_id, rq->secret, sizeof(rq->secret)) < 0)
		return NULL;
	return rq->secret;
}

/* 0 with principal set, or -1 with code and message (EC2's). */
static int authenticate(struct request *rq, struct MHD_Connection *conn, const char *method,
			char *principal, size_t plen, char *code, size_t codelen, char *msg,
			size_t msglen)
{
	if (rq->api->opt.no_auth) {
		snprintf(principal, plen, "anonymous");
		return 0;
	}
	struct header_list h = {0};
	mhd->get_connection_values(conn, MHD_HEADER_KIND, collect_header, &h);
	if (h.overflow) {
		snprintf(code, codelen, "IncompleteSignature");
		snprintf(msg, msglen, "The request has more than %d headers.", MAX_HEADERS);
		return -1;
	}
	char *q = strchr(rq->uri, '?');
	char path[8192];
	size_t plen_ = q ? (size_t)(q - rq->uri) : strlen(rq->uri);
	if (plen_ >= sizeof(path)) {
		snprintf(code, codelen, "IncompleteSignature");
		snprintf(msg, msglen, "The request path is too long.");
		return -1;
	}
	memcpy(path, rq->uri, plen_);
	path[plen_] = '\0';
	struct vx_sigv4_request r = {
		.method = method,
		.path = path,
		.query = q ? q + 1 : "",
		.header_names = h.names,
		.header_values = h.values,
		.n_headers = h.n,
		.body = (const uint8_t *)(rq->body ? rq->body : ""),
		.body_len = rq->body_len,
	};
	int rc = vx_sigv4_verify(&r, (int64_t)time(NULL), lookup_secret, rq, principal, plen, code,
				 codelen, msg, msglen);
	explicit_bzero(rq->secret, sizeof(rq->secret));
	return rc;
}

/* ---- one request ---- */

static bool is_form(const char *content_type)
{
	if (!content_type)
		return true;
	static const char form[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(form) - 1;
	return !strncasecmp(content_type, form, n) &&
	       (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

static enum MHD_Result serve(struct request *rq, struct MHD_Connection *conn, const char *method)
{
	struct vx_api *api = rq->api;
	char request_id[40];
	new_request_id(request_id, sizeof(request_id));
	struct vx_err err = {0};
	struct vx_form form = {0};
	json_t *req = NULL, *resp = NULL;
	char *xml = NULL;
	size_t xml_len = 0;
	unsigned status = 200;
	unsigned slot = 0;
	struct vx_store *st = store_take(api, &slot, &err);
	if (!st) {
		fprintf(stderr, "vxtap run: EC2 API: %s\n", err.message);
		vx_err_set(&err, "InternalFailure", "The state store cannot be opened.");
		goto error;
	}
	rq->st = st;

	char principal[128] = "", code[64] = "", msg[512] = "";
	if (authenticate(rq, conn, method, principal, sizeof(principal), code, sizeof(code), msg,
			 sizeof(msg)) < 0) {
		vx_err_set(&err, code[0] ? code : "AuthFailure", "%s",
			   msg[0] ? msg : "The request could not be authenticated.");
		status = (unsigned)vx_sigv4_http_status(err.code);
		goto error_status;
	}

	const char *q = strchr(rq->uri, '?');
	if (q && vx_form_parse(&form, q + 1, strlen(q + 1), &err) < 0)
		goto error;
	if (rq->body_len && vx_form_parse(&form, rq->body, rq->body_len, &err) < 0)
		goto error;

	size_t count;
	const struct vx_form_param *action = vx_form_get(&form, "Action", &count);
	if (!action) {
		vx_err_set(&err, "MissingAction", "The request must contain the parameter Action.");
		goto error;
	}
	if (count > 1) {
		vx_err_set(&err, "InvalidParameter", "The parameter Action is given more than once.");
		goto error;
	}
	const struct vx_ec2_operation *op = vx_ec2_operation(action->value);
	const struct vx_action *a = op ? vx_action_by_name(op->name) : NULL;
	if (!a) {
		char shown[72];
		size_t n = 0;
		for (const char *c = action->value; *c && n < 64; c++)
			shown[n++] = *c > 0x20 && *c < 0x7f ? *c : '?';
		shown[n] = '\0';
		vx_err_set(&err, "InvalidAction",
			   "The action %s is not valid for this web service. vxtap serves the EC2 "
			   "actions of traffic mirroring, flow logs, network interfaces, security "
			   "groups and network ACLs.",
			   shown);
		goto error;
	}
	const struct vx_form_param *version = vx_form_get(&form, "Version", &count);
	if (!version) {
		vx_err_set(&err, "MissingParameter", "The request must contain the parameter Version.");
		goto error;
	}
	if (count > 1 || strcmp(version->value, VX_API_VERSION)) {
		vx_err_set(&err, "NoSuchVersion",
			   "The requested version is not served: this endpoint speaks EC2 API "
			   "version " VX_API_VERSION ".");
		goto error;
	}
	req = vx_query_request(op, &form, &err);
	if (!req)
		goto error;

	char source[96];
	peer_address(conn, source, sizeof(source));
	struct vx_caller caller = {.principal = principal, .source = source};
	pthread_mutex_lock(&rq->api->invoke_lock);
	int invoked = vx_action_invoke(st, a, req, &caller, &resp, &err);
	pthread_mutex_unlock(&rq->api->invoke_lock);
	if (invoked < 0)
		goto error;
	xml = vx_xml_response(op, resp, request_id, &xml_len);
	goto done;

error:
	status = vx_api_error_status(err.code);
error_status:
	if (!strcmp(err.code, "InternalFailure"))
		fprintf(stderr, "vxtap run: EC2 API: %s\n", err.message);
	xml = vx_xml_error(err.code, err.message, request_id, &xml_len);
done:
	if (st)
		store_give_back(api, slot);
	rq->st = NULL;
	json_decref(req);
	json_decref(resp);
	vx_form_free(&form);
	return send_xml(conn, status, xml, xml_len);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct request *rq = *con_cls;
	if (!rq)
		return MHD_NO;
	if (!rq->started) {
		rq->started = true;
		bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
		struct vx_api *api = cls;
		if (get && !strcmp(url, "/metrics") && api->opt.status_socket)
			return send_metrics(conn, api->opt.status_socket);
		if (!get && !post)
			return send_error(conn, 405, "UnsupportedOperation",
					  "Requests are POST / with a form body, or GET / with a "
					  "query string.");
		size_t plen = strcspn(rq->uri, "?");
		if (plen != 1 || rq->uri[0] != '/')
			return send_error(conn, 404, "InvalidAction",
					  "Requests go to the path /, the EC2 Query endpoint.");
		const char *ct = mhd->lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_TYPE);
		if (post && !is_form(ct))
			return send_error(conn, 415, "UnsupportedProtocol",
					  "The request body must be "
					  "application/x-www-form-urlencoded (the EC2 Query "
					  "protocol).");
		const char *cl = mhd->lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > VX_API_MAX_BODY)
			return send_error(conn, 413, "RequestEntityTooLarge",
					  "The request body is larger than 1048576 bytes.");
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (rq->too_large || rq->body_len + n > VX_API_MAX_BODY) {
			/* A body without a Content-Length (chunked) that grows
			 * too large: the rest is read and dropped so that the
			 * client gets its 413, up to a point. */
			rq->too_large = true;
			rq->discarded += n;
			return rq->discarded > 8 * (size_t)VX_API_MAX_BODY ? MHD_NO : MHD_YES;
		}
		if (rq->body_len + n + 1 > rq->body_cap) {
			size_t cap = rq->body_cap ? rq->body_cap : 4096;
			while (cap < rq->body_len + n + 1)
				cap *= 2;
			char *p = realloc(rq->body, cap);
			if (!p)
				return MHD_NO;
			rq->body = p;
			rq->body_cap = cap;
		}
		memcpy(rq->body + rq->body_len, upload_data, n);
		rq->body_len += n;
		rq->body[rq->body_len] = '\0';
		return MHD_YES;
	}
	if (rq->too_large)
		return send_error(conn, 413, "RequestEntityTooLarge",
				  "The request body is larger than 1048576 bytes.");
	return serve(rq, conn, method);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)conn;
	struct request *rq = calloc(1, sizeof(*rq));
	if (!rq)
		return NULL;
	rq->api = cls;
	rq->uri = strdup(uri ? uri : "");
	if (!rq->uri) {
		free(rq);
		return NULL;
	}
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct request *rq = *con_cls;
	if (!rq)
		return;
	free(rq->uri);
	free(rq->body);
	explicit_bzero(rq->secret, sizeof(rq->secret));
	free(rq);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
	/* libmicrohttpd's own messages (a client that went away, …) are not
	 * the operator's business; errors that are come back as return codes. */
}

/* ---- start and stop ---- */

int vx_api_parse_listen(const char *text, char *addr, size_t addrlen, unsigned *port)
{
	const char *port_text = text;
	char host[64] = "127.0.0.1";
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
			return -1;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port_text = close + 2;
	} else if (strchr(text, ':')) {
		const char *colon = strrchr(text, ':');
		if (memchr(text, ':', (size_t)(colon - text)) ||
		    (size_t)(colon - text) >= sizeof(host))
			return -1; /* IPv6 needs brackets */
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port_text = colon + 1;
	}
	char *end;
	errno = 0;
	unsigned long p = strtoul(port_text, &end, 10);
	if (!*port_text || *end || errno || port_text[0] == '-' || port_text[0] == '+' || p > 65535)
		return -1;
	struct in6_addr a6;
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1)
		return -1;
	if ((size_t)snprintf(addr, addrlen, "%s", host) >= addrlen)
		return -1;
	*port = (unsigned)p;
	return 0;
}

static bool is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static int bind_listen(const char *addr, unsigned port, unsigned *bound, char *why, size_t whylen)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	} else {
		snprintf(why, whylen, "'%s' is not a numeric IPv4 or IPv6 address", addr);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		snprintf(why, whylen, "cannot listen on %s%s%s:%u: %s", strchr(addr, ':') ? "[" : "",
			 addr, strchr(addr, ':') ? "]" : "", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		*bound = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
	return fd;
}

struct vx_api *vx_api_start(const struct vx_api_options *opt, char *why, size_t whylen)
{
	if (opt->no_auth && !is_loopback(opt->address)) {
		snprintf(why, whylen,
			 "--api-no-auth is only allowed on a loopback address (127.0.0.1, ::1), "
			 "not %s",
			 opt->address);
		return NULL;
	}
	if (!(mhd = vx_mhd_load(why, whylen)))
		return NULL;
	struct vx_api *api = calloc(1, sizeof(*api));
	if (!api) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	api->opt = *opt;
	snprintf(api->state_path, sizeof(api->state_path), "%s", opt->state_path);
	snprintf(api->address, sizeof(api->address), "%s", opt->address);
	api->opt.state_path = api->state_path;
	api->opt.address = api->address;
	unsigned threads = opt->threads ? opt->threads : 4;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	api->n_stores = threads;
	api->stores = calloc(threads, sizeof(*api->stores));
	pthread_mutex_init(&api->lock, NULL);
	pthread_mutex_init(&api->invoke_lock, NULL);
	pthread_cond_init(&api->freed, NULL);
	api->listen_fd = api->stores ? bind_listen(opt->address, opt->port, &api->port, why, whylen)
				     : -1;
	if (api->listen_fd < 0) {
		if (!api->stores)
			snprintf(why, whylen, "out of memory");
		vx_api_stop(api);
		return NULL;
	}
	unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
	api->mhd = mhd->start_daemon(
		flags, 0, NULL, NULL, on_request, api, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, api->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_URI_LOG_CALLBACK, on_uri,
		api, MHD_OPTION_NOTIFY_COMPLETED, on_completed, api, MHD_OPTION_END);
	if (!api->mhd) {
		snprintf(why, whylen, "cannot start the HTTP server on %s:%u", opt->address,
			 api->port);
		vx_api_stop(api);
		return NULL;
	}
	return api;
}

unsigned vx_api_port(const struct vx_api *api)
{
	return api->port;
}

void vx_api_stop(struct vx_api *api)
{
	if (!api)
		return;
	if (api->mhd) {
		mhd->quiesce_daemon(api->mhd);
		mhd->stop_daemon(api->mhd);
	}
	if (api->listen_fd >= 0)
		close(api->listen_fd);
	for (unsigned i = 0; api->stores && i < api->n_stores; i++)
		vx_store_close(api->stores[i].st);
	free(api->stores);
	pthread_mutex_destroy(&api->lock);
	pthread_mutex_destroy(&api->invoke_lock);
	pthread_cond_destroy(&api->freed);
	free(api);
}
