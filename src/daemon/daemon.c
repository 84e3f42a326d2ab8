/* The agent daemon's control loop: watch the store, load and apply new
 * configurations, answer status queries. */
#include "vxtap/daemon.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

int vx_daemon_socket_path(const char *state_path, char *out, size_t len)
{
	struct sockaddr_un un;
	int n = snprintf(out, len, "%s.sock", state_path);
	return n < 0 || (size_t)n >= len || (size_t)n >= sizeof(un.sun_path) ? -1 : 0;
}

static int listen_status(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	/* A socket file left by a daemon that died is replaced; a live one is not. */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&un, sizeof(un)) == 0) {
		close(probe);
		close(fd);
		errno = EADDRINUSE;
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

struct daemon_state {
	struct vx_config *applied;
	char api_url[96]; /* the EC2 API's address, when served */
	char started_at[40], applied_at[40];
	unsigned long reloads, reload_failures;
	char last_error[1100];
};

static void serve_status(int lfd, const struct daemon_state *d,
			 const struct vx_daemon_options *opt)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct timeval tv = {.tv_sec = 1};
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		json_t *st = json_pack("{s:i, s:s, s:s, s:I, s:I, s:o}", "Pid", (int)getpid(),
				       "StartedAt", d->started_at, "AppliedAt", d->applied_at,
				       "Reloads", (json_int_t)d->reloads, "ReloadFailures",
				       (json_int_t)d->reload_failures, "Applied",
				       d->applied ? vx_config_json(d->applied) : json_null());
		if (d->last_error[0])
			json_object_set_new(st, "LastError", json_string(d->last_error));
		if (d->api_url[0])
			json_object_set_new(st, "Api",
					    json_pack("{s:s, s:s}", "Endpoint", d->api_url,
						      "Authentication",
						      opt->api->no_auth ? "none" : "sigv4"));
		if (opt->stats)
			json_object_set_new(st, "DataPath", opt->stats(opt->apply_ctx));
		char *txt = json_dumps(st, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		json_decref(st);
		if (txt) {
			size_t len = strlen(txt), off = 0;
			while (off < len) {
				ssize_t n = write(fd, txt + off, len - off);
				if (n <= 0)
					break;
				off += (size_t)n;
			}
			if (off == len && write(fd, "\n", 1) < 0) {
				/* the client went away; nothing to do */
			}
			free(txt);
		}
		close(fd);
	}
}

static void try_reload(struct vx_store *st, const struct vx_daemon_options *opt,
		       struct daemon_state *d)
{
	struct vx_config *cfg;
	struct vx_err err = {0};
	if (vx_config_load(st, &cfg, &err) < 0) {
		d->reload_failures++;
		snprintf(d->last_error, sizeof(d->last_error), "%s", err.message);
		fprintf(stderr, "vxtap run: cannot load the configuration: %s\n", err.message);
		return;
	}
	if (opt->apply && opt->apply(cfg, opt->apply_ctx) < 0) {
		d->reload_failures++;
		snprintf(d->last_error, sizeof(d->last_error),
			 "the data path refused generation %lld", (long long)cfg->generation);
		vx_config_free(cfg);
		return;
	}
	size_t sessions = 0;
	for (size_t i = 0; i < cfg->n_sources; i++)
		sessions += cfg->sources[i].n_sessions;
	fprintf(stderr,
		"vxtap run: applied generation %lld: %zu session(s) on %zu interface(s), %zu "
		"target(s), %zu flow log(s)\n",
		(long long)cfg->generation, sessions, cfg->n_sources, cfg->n_targets,
		cfg->n_flow_logs);
	vx_config_free(d->applied);
	d->applied = cfg;
	d->reloads++;
	d->last_error[0] = '\0';
	vx_iso_now(d->applied_at, sizeof(d->applied_at));
}

int vx_daemon_run(const struct vx_daemon_options *opt)
{
	char sock[256];
	if (opt->status_socket)
		snprintf(sock, sizeof(sock), "%s", opt->status_socket);
	else if (vx_daemon_socket_path(opt->state_path, sock, sizeof(sock)) < 0) {
		fprintf(stderr, "vxtap run: the state path is too long for a status socket beside "
				"it; use --status-socket\n");
		return 2;
	}
	struct vx_store *st;
	struct vx_err err = {0};
	if (vx_store_open(&st, opt->state_path, &err) < 0) {
		fprintf(stderr, "vxtap run: %s\n", err.message);
		return 1;
	}
	int lfd = listen_status(sock);
	if (lfd < 0) {
		fprintf(stderr, "vxtap run: status socket %s: %s%s\n", sock, strerror(errno),
			errno == EADDRINUSE ? " (another vxtap run uses this state)" : "");
		vx_store_close(st);
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_stop};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct daemon_state d = {0};
	struct vx_api *api = NULL;
	if (opt->api) {
		struct vx_api_options ao = *opt->api;
		ao.state_path = opt->state_path;
		ao.status_socket = sock; /* GET /metrics renders this status */
		char why[512];
		if (!(api = vx_api_start(&ao, why, sizeof(why)))) {
			fprintf(stderr, "vxtap run: EC2 API: %s\n", why);
			close(lfd);
			unlink(sock);
			vx_store_close(st);
			return 1;
		}
		snprintf(d.api_url, sizeof(d.api_url), strchr(ao.address, ':') ? "http://[%s]:%u/"
										 : "http://%s:%u/",
			 ao.address, vx_api_port(api));
	}
	vx_iso_now(d.started_at, sizeof(d.started_at));
	fprintf(stderr, "vxtap run: state %s, status socket %s\n", opt->state_path, sock);
	if (api)
		fprintf(stderr, "vxtap run: EC2 API on %s%s\n", d.api_url,
			opt->api->no_auth ? " (no authentication)" : "");
	try_reload(st, opt, &d);
	int64_t seen_version = vx_store_data_version(st);
	unsigned poll_ms = opt->poll_ms ? opt->poll_ms : 100;
	struct timespec last_sync;
	clock_gettime(CLOCK_MONOTONIC, &last_sync);

	while (!stop_requested) {
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};
		int n = poll(&pfd, 1, (int)poll_ms);
		if (n > 0)
			serve_status(lfd, &d, opt);
		if (opt->tick)
			opt->tick(opt->apply_ctx);
		/* Interfaces come and go without a CLI call; look once a second.
		 * (data_version does not move for this connection's own commits,
		 * so a change made here is noticed through own_change.) */
		bool own_change = false;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - last_sync.tv_sec >= 1) {
			last_sync = now;
			struct vx_err serr;
			if (vx_store_sync_interfaces(st, &serr) < 0)
				fprintf(stderr, "vxtap run: interface sync: %s\n", serr.message);
			else
				own_change = d.applied && vx_store_generation(st) != d.applied->generation;
		}
		/* data_version moves when another connection commits; the
		 * generation then says whether objects changed. */
		int64_t v = vx_store_data_version(st);
		if (v != seen_version || reload_requested || own_change) {
			seen_version = v;
			bool forced = reload_requested;
			reload_requested = 0;
			if (forced || !d.applied || vx_store_generation(st) != d.applied->generation)
				try_reload(st, opt, &d);
		}
	}
	fprintf(stderr, "vxtap run: stopping (generation %lld applied)\n",
		d.applied ? (long long)d.applied->generation : -1LL);
	vx_api_stop(api);
	close(lfd);
	unlink(sock);
	vx_config_free(d.applied);
	vx_store_close(st);
	return 0;
}

char *vx_daemon_query_status(const char *socket_path, char *why, size_t whylen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", socket_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&un, sizeof(un)) < 0) {
		snprintf(why, whylen, "cannot connect to %s: %s", socket_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			snprintf(why, whylen, "out of memory");
			close(fd);
			return NULL;
		}
		if (len + 1 == cap) {
			char *p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				buf = NULL;
				continue;
			}
			buf = p;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			snprintf(why, whylen, "reading %s: %s", socket_path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}
