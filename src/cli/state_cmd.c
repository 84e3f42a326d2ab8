/* Commands about the state as a whole and the daemon: export, apply,
 * audit, run, status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vxtap/agent.h"
#include "vxtap/daemon.h"

/* --state, or the default path. */
static int state_path(const char *given, char *buf, size_t len)
{
	if (given) {
		snprintf(buf, len, "%s", given);
		return 0;
	}
	if (vx_store_default_path(buf, len) < 0) {
		fprintf(stderr, "vxtap: the default state path is too long; use --state\n");
		return -1;
	}
	return 0;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "vxtap %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see vxtap %s --help)\n", cmd);
	return 2;
}

/* A decimal count in [lo, hi]; -1 for anything else. */
static int parse_count(const char *text, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (!*text || *end || errno || *text == '-' || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h");
}

int vx_cmd_export(int argc, char **argv)
{
	const char *state = NULL, *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			puts("usage: vxtap export [--state PATH] [-o FILE]\n\n"
			     "Print the whole state (host identity, interfaces, load balancers, targets,\n"
			     "filters with rules, sessions, flow logs) as one JSON document, for\n"
			     "vxtap apply -f. -o writes it to FILE instead (atomically).");
			return 0;
		}
		if (!strcmp(argv[i], "--state") && i + 1 < argc)
			state = argv[++i];
		else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output-file")) && i + 1 < argc)
			out = argv[++i];
		else
			return usage_error("export", "unexpected argument '%s'", argv[i]);
	}
	json_t *req = json_object(), *resp = NULL;
	int rc = vx_cli_invoke(state, vx_action_by_name("ExportState"), req, &resp);
	json_decref(req);
	if (rc)
		return rc;
	char *txt = json_dumps(json_object_get(resp, "State"), JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	json_decref(resp);
	if (!out) {
		printf("%s\n", txt);
		free(txt);
		return fflush(stdout) ? 1 : 0;
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", txt) < 0 || fclose(f) != 0 || rename(tmp, out) < 0) {
		fprintf(stderr, "vxtap export: cannot write %s: %s\n", out, strerror(errno));
		free(txt);
		return 1;
	}
	free(txt);
	return 0;
}

int vx_cmd_apply(int argc, char **argv)
{
	const char *state = NULL, *file = NULL;
	bool dry_run = false;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			puts("usage: vxtap apply -f FILE [--state PATH] [--dry-run]\n\n"
			     "Replace the whole state with a document written by vxtap export (FILE or -\n"
			     "for standard input). Every object is checked as if created by hand; if any\n"
			     "is refused, the error names it and nothing changes. Host interfaces keep\n"
			     "the eni- IDs the document gives their names.");
			return 0;
		}
		if (!strcmp(argv[i], "--state") && i + 1 < argc)
			state = argv[++i];
		else if ((!strcmp(argv[i], "-f") || !strcmp(argv[i], "--file")) && i + 1 < argc)
			file = argv[++i];
		else if (!strcmp(argv[i], "--dry-run"))
			dry_run = true;
		else
			return usage_error("apply", "unexpected argument '%s'", argv[i]);
	}
	if (!file)
		return usage_error("apply", "%s", "-f FILE is required");
	json_error_t jerr;
	json_t *doc = !strcmp(file, "-") ? json_loadf(stdin, 0, &jerr) : json_load_file(file, 0, &jerr);
	if (!json_is_object(doc)) {
		if (doc)
			fprintf(stderr, "vxtap apply: %s: expected a JSON object\n", file);
		else
			fprintf(stderr, "vxtap apply: %s: line %d: %s\n", file, jerr.line, jerr.text);
		json_decref(doc);
		return 2;
	}
	json_t *req = json_pack("{s:o}", "State", doc), *resp = NULL;
	if (dry_run)
		json_object_set_new(req, "DryRun", json_true());
	int rc = vx_cli_invoke(state, vx_action_by_name("ApplyState"), req, &resp);
	json_decref(req);
	if (rc == 0) {
		char *txt = vx_action_format(resp);
		printf("%s\n", txt);
		free(txt);
	}
	json_decref(resp);
	return rc;
}

int vx_cmd_audit(int argc, char **argv)
{
	const char *state = NULL;
	long long since = 0;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			puts("usage: vxtap audit [--state PATH] [--since SEQ]\n\n"
			     "Print the audit log: one JSON line per change attempted through the CLI\n"
			     "(Seq, Time, Principal, Source, Action, Request, Result), failed\n"
			     "and dry-run attempts included. --since prints lines after SEQ.");
			return 0;
		}
		if (!strcmp(argv[i], "--state") && i + 1 < argc) {
			state = argv[++i];
		} else if (!strcmp(argv[i], "--since") && i + 1 < argc) {
			char *end;
			since = strtoll(argv[++i], &end, 10);
			if (*end || since < 0)
				return usage_error("audit", "--since '%s' is not a sequence number",
						   argv[i]);
		} else {
			return usage_error("audit", "unexpected argument '%s'", argv[i]);
		}
	}
	struct vx_store *st;
	int rc = vx_cli_open_store(state, &st);
	if (rc)
		return rc;
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(st),
			   "SELECT seq, time, principal, source, action, request, result FROM audit "
			   "WHERE seq > ? ORDER BY seq",
			   -1, &s, NULL);
	sqlite3_bind_int64(s, 1, since);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *line = json_pack(
			"{s:I, s:s, s:s, s:s, s:s, s:o?, s:o?}", "Seq",
			(json_int_t)sqlite3_column_int64(s, 0), "Time", sqlite3_column_text(s, 1),
			"Principal", sqlite3_column_text(s, 2), "Source", sqlite3_column_text(s, 3),
			"Action", sqlite3_column_text(s, 4), "Request",
			json_loads((const char *)sqlite3_column_text(s, 5), 0, NULL), "Result",
			json_loads((const char *)sqlite3_column_text(s, 6), 0, NULL));
		char *txt = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", txt);
		free(txt);
		json_decref(line);
	}
	sqlite3_finalize(s);
	vx_store_close(st);
	return fflush(stdout) ? 1 : 0;
}

static int agent_apply(const struct vx_config *cfg, void *ctx)
{
	return vx_agent_apply(ctx, cfg);
}

static void agent_tick(void *ctx)
{
	vx_agent_maintain(ctx);
}

static json_t *agent_stats(void *ctx)
{
	return vx_agent_stats_json(ctx);
}

int vx_cmd_run(int argc, char **argv)
{
	const char *state = NULL, *sock = NULL;
	unsigned poll_ms = 100;
	bool mirror = true;
	struct vx_agent_options ao = {0};
	const char *flow_dir = NULL;
	struct vx_api_options api = {0};
	char api_addr[64];
	bool api_on = false;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			puts("usage: vxtap run [--state PATH] [--status-socket PATH] [--poll-ms N]\n"
			     "                 [--no-mirror] [--capture-workers N]\n"
			     "                 [--session-max-mbps N] [--session-max-pps N]\n"
			     "                 [--flow-log-dir DIR] [--flow-table-size N]\n"
			     "                 [--api-listen [ADDR:]PORT] [--api-no-auth]\n\n"
			     "The agent daemon: loads the state, applies it, and applies every change\n"
			     "made with the CLI while it runs (checked every --poll-ms,\n"
			     "default 100 ms; SIGHUP reloads at once). vxtap status shows what it has\n"
			     "applied; its socket is <state>.sock unless --status-socket is given.\n"
			     "SIGTERM or SIGINT stop it.\n\n"
			     "It mirrors the traffic of each interface that has sessions: capture in\n"
			     "both directions, the sessions' filters, VXLAN to the targets (needs root\n"
			     "or CAP_NET_RAW and CAP_NET_ADMIN). --no-mirror only follows the state.\n\n"
			     "  --capture-workers N    capture threads per source interface, 1-64\n"
			     "                         (default 1); they share the traffic by flow\n"
			     "  --session-max-mbps N   cap every session's mirrored traffic at N\n"
			     "                         megabits/s (1-100000), unless the session has\n"
			     "                         a vxtap:max-mbps tag; copies over the cap are\n"
			     "                         dropped and counted (default: no cap)\n"
			     "  --session-max-pps N    the same in packets/s (1-100000000;\n"
			     "                         tag vxtap:max-pps)\n\n"
			     "Flow logs (create-flow-logs) are written by the same capture:\n"
			     "  --flow-log-dir DIR     where destinations that are not a directory go:\n"
			     "                         DIR/s3/<bucket>/..., DIR/cloudwatch/<group>/,\n"
			     "                         DIR/firehose/ (default: flowlogs/ beside the state)\n"
			     "  --flow-table-size N    flows tracked per flow log, interface and window\n"
			     "                         (1-268435456, default 1000000); beyond it,\n"
			     "                         SKIPDATA records and counted losses\n\n"
			     "The EC2 API, for the aws CLI and the SDKs (--endpoint-url):\n"
			     "  --api-listen [ADDR:]PORT  serve the EC2 Query API on ADDR (default\n"
			     "                         127.0.0.1; [::1]:PORT for IPv6), requests signed\n"
			     "                         with SigV4 by an access key of the store\n"
			     "                         (create-access-key; default: not served)\n"
			     "  --api-no-auth          serve it without checking signatures (loopback\n"
			     "                         addresses only: for local testing)");
			return 0;
		}
		if (!strcmp(argv[i], "--state") && i + 1 < argc) {
			state = argv[++i];
		} else if (!strcmp(argv[i], "--status-socket") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "--no-mirror")) {
			mirror = false;
		} else if (!strcmp(argv[i], "--api-listen") && i + 1 < argc) {
			if (vx_api_parse_listen(argv[++i], api_addr, sizeof(api_addr), &api.port) < 0)
				return usage_error("run",
						   "--api-listen '%s' is not valid (allowed: PORT, "
						   "ADDR:PORT or [IPV6]:PORT, numeric)",
						   argv[i]);
			api.address = api_addr;
			api_on = true;
		} else if (!strcmp(argv[i], "--api-no-auth")) {
			api.no_auth = true;
		} else if (!strcmp(argv[i], "--poll-ms") && i + 1 < argc) {
			if (parse_count(argv[++i], 10, 10000, &poll_ms) < 0)
				return usage_error("run", "--poll-ms '%s' is not valid (allowed: 10-10000)",
						   argv[i]);
		} else if (!strcmp(argv[i], "--capture-workers") && i + 1 < argc) {
			if (parse_count(argv[++i], 1, 64, &ao.capture_workers) < 0)
				return usage_error(
					"run", "--capture-workers '%s' is not valid (allowed: 1-64)",
					argv[i]);
		} else if (!strcmp(argv[i], "--session-max-mbps") && i + 1 < argc) {
			if (parse_count(argv[++i], 1, 100000, &ao.default_max_mbps) < 0)
				return usage_error(
					"run", "--session-max-mbps '%s' is not valid (allowed: 1-100000)",
					argv[i]);
		} else if (!strcmp(argv[i], "--flow-log-dir") && i + 1 < argc) {
			flow_dir = argv[++i];
			if (!*flow_dir)
				return usage_error("run", "--flow-log-dir '%s' is not valid (allowed: a "
							  "directory)",
						   flow_dir);
		} else if (!strcmp(argv[i], "--flow-table-size") && i + 1 < argc) {
			if (parse_count(argv[++i], 1, 1u << 28, &ao.flow_table_size) < 0)
				return usage_error(
					"run", "--flow-table-size '%s' is not valid (allowed: 1-268435456)",
					argv[i]);
		} else if (!strcmp(argv[i], "--session-max-pps") && i + 1 < argc) {
			if (parse_count(argv[++i], 1, 100000000, &ao.default_max_pps) < 0)
				return usage_error(
					"run",
					"--session-max-pps '%s' is not valid (allowed: 1-100000000)",
					argv[i]);
		} else {
			return usage_error("run", "unexpected argument '%s'", argv[i]);
		}
	}
	char path[4096];
	if (state_path(state, path, sizeof(path)) < 0)
		return 2;
	struct vx_daemon_options opt = {.state_path = path, .status_socket = sock, .poll_ms = poll_ms};
	if (api.no_auth && !api_on)
		return usage_error("run", "%s", "--api-no-auth needs --api-listen");
	if (api_on)
		opt.api = &api;
	struct vx_agent *agent = NULL;
	/* Flow-log files live beside the state unless told otherwise. */
	char flow_root[4200];
	if (flow_dir) {
		snprintf(flow_root, sizeof(flow_root), "%s", flow_dir);
	} else {
		const char *slash = strrchr(path, '/');
		if (slash)
			snprintf(flow_root, sizeof(flow_root), "%.*s/flowlogs", (int)(slash - path),
				 path);
		else
			snprintf(flow_root, sizeof(flow_root), "flowlogs");
	}
	ao.flow_log_root = flow_root;
	if (mirror) {
		char err[256];
		agent = vx_agent_new(&ao, err, sizeof(err));
		if (!agent) {
			fprintf(stderr, "vxtap run: %s\n", err);
			return 1;
		}
		opt.apply = agent_apply;
		opt.tick = agent_tick;
		opt.stats = agent_stats;
		opt.apply_ctx = agent;
	}
	int rc = vx_daemon_run(&opt);
	vx_agent_free(agent);
	return rc;
}

/* `vxtap stats`: the data path's counters from the running daemon. */
int vx_cmd_stats(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (is_help(argv[i])) {
			puts("usage: vxtap stats [--state PATH] [--status-socket PATH]\n\n"
			     "The running daemon's mirroring counters: per session mirrored packets and\n"
			     "bytes, truncated, filtered out, dropped (send path full, no target member\n"
			     "up); per source interface frames, kernel drops, packets never mirrored by\n"
			     "reason; per load-balancer member its health.");
			return 0;
		}
	return vx_cmd_status_part(argc, argv, "DataPath");
}

int vx_cmd_status(int argc, char **argv)
{
	return vx_cmd_status_part(argc, argv, NULL);
}

int vx_cmd_status_part(int argc, char **argv, const char *part)
{
	const char *state = NULL, *sock = NULL;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			puts("usage: vxtap status [--state PATH] [--status-socket PATH]\n\n"
			     "Ask the running daemon (vxtap run) what it has applied: the store\n"
			     "generation, each source interface's sessions with their filters and\n"
			     "targets, and the flow logs. Exit 1 when no daemon answers.");
			return 0;
		}
		if (!strcmp(argv[i], "--state") && i + 1 < argc)
			state = argv[++i];
		else if (!strcmp(argv[i], "--status-socket") && i + 1 < argc)
			sock = argv[++i];
		else
			return usage_error("status", "unexpected argument '%s'", argv[i]);
	}
	char path[4096], sockbuf[256], why[512];
	if (!sock) {
		if (state_path(state, path, sizeof(path)) < 0 ||
		    vx_daemon_socket_path(path, sockbuf, sizeof(sockbuf)) < 0) {
			fprintf(stderr, "vxtap status: the state path is too long; use --status-socket\n");
			return 2;
		}
		sock = sockbuf;
	}
	char *txt = vx_daemon_query_status(sock, why, sizeof(why));
	if (!txt) {
		fprintf(stderr, "vxtap %s: no daemon answers: %s\n", part ? "stats" : "status", why);
		return 1;
	}
	if (part) {
		json_t *all = json_loads(txt, 0, NULL);
		json_t *sub = json_object_get(all, part);
		char *out = sub ? json_dumps(sub, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
		json_decref(all);
		free(txt);
		if (!out) {
			fprintf(stderr, "vxtap stats: the daemon runs with --no-mirror\n");
			return 1;
		}
		puts(out);
		free(out);
		return fflush(stdout) ? 1 : 0;
	}
	fputs(txt, stdout);
	free(txt);
	return fflush(stdout) ? 1 : 0;
}
