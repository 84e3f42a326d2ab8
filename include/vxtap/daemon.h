/* `vxtap run`: the agent daemon. It loads the configuration from the state
 * store, watches the store for changes made by the CLI (no
 * restart needed), and hands each new configuration to the data path. Its
 * status — what it has applied — is served on a Unix socket. */
#ifndef VXTAP_DAEMON_H
#define VXTAP_DAEMON_H

#include "vxtap/api.h"
#include "vxtap/config.h"

struct vx_daemon_options {
	const char *state_path;	   /* the store */
	const char *status_socket; /* NULL: <state_path>.sock */
	unsigned poll_ms;	   /* how often the store is checked; default 100 */
	/* Called with each new configuration; the data path takes it from here.
	 * May be NULL. Returns 0, or -1 to keep the previous configuration. */
	int (*apply)(const struct vx_config *cfg, void *ctx);
	void *apply_ctx;
	/* Called once per poll (housekeeping of the data path); may be NULL. */
	void (*tick)(void *ctx);
	/* The data path's counters for the status, under "DataPath"; may be NULL. */
	json_t *(*stats)(void *ctx);
	/* The EC2 API to serve while running (state_path is filled in); NULL:
	 * none. */
	const struct vx_api_options *api;
};

/* Run until SIGTERM or SIGINT (SIGHUP reloads at once). Returns an exit code. */
int vx_daemon_run(const struct vx_daemon_options *opt);

/* The status socket for a state path: <state>.sock. 0, or -1 if too long. */
int vx_daemon_socket_path(const char *state_path, char *out, size_t len);

/* Connect to a running daemon's status socket and return its status JSON
 * (a new string), or NULL with why set. */
char *vx_daemon_query_status(const char *socket_path, char *why, size_t whylen);

#endif
