/* Prometheus text exposition (format 0.0.4) of the daemon's status: one
 * family per counter or gauge, its samples labelled by the object they
 * count. See include/vxtap/metrics.h. */
#include "vxtap/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vxtap/strbuf.h"

/* ---- text ---- */

/* A label value: backslash, double quote and line feed escaped. */
static void put_label_value(struct vx_strbuf *b, const char *v)
{
	for (const char *p = v; *p; p++) {
		if (*p == '\\')
			vx_strbuf_puts(b, "\\\\");
		else if (*p == '"')
			vx_strbuf_puts(b, "\\\"");
		else if (*p == '\n')
			vx_strbuf_puts(b, "\\n");
		else
			vx_strbuf_put(b, p, 1);
	}
}

/* A sample's value: integers as they are, booleans 1/0. false when v is
 * not a number. */
static bool put_value(struct vx_strbuf *b, const json_t *v)
{
	if (json_is_integer(v)) {
		vx_strbuf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_boolean(v)) {
		vx_strbuf_puts(b, json_is_true(v) ? "1" : "0");
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		if (isnan(d))
			vx_strbuf_puts(b, "NaN");
		else if (isinf(d))
			vx_strbuf_puts(b, d > 0 ? "+Inf" : "-Inf");
		else
			vx_strbuf_printf(b, "%.17g", d);
	} else {
		return false;
	}
	return true;
}

/* ---- families ---- */

enum conv {
	AS_IS,    /* a number or a boolean */
	EQUALS,   /* a string: 1 when it equals the def's text, else 0 */
	ISO_TIME, /* 2026-11-25T11:24:06.288Z: Unix seconds */
};

struct metric_def {
	const char *name, *type, *help;
	const char *member;    /* in each entry */
	const char *sub_label; /* the member is an object: a sample per key, this label */
	enum conv conv;
	const char *text; /* EQUALS */
};

struct label_def {
	const char *label, *member;
};

/* "label=\"value\",…" of an entry; false when a member is missing. */
static bool entry_labels(struct vx_strbuf *b, json_t *e, const struct label_def *ls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(e, ls[i].member);
		if (i)
			vx_strbuf_puts(b, ",");
		vx_strbuf_printf(b, "%s=\"", ls[i].label);
		if (json_is_string(v))
			put_label_value(b, json_string_value(v));
		else if (json_is_integer(v))
			vx_strbuf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			return false;
		vx_strbuf_puts(b, "\"");
	}
	return true;
}

/* Unix seconds (with milliseconds) of an ISO 8601 UTC time. */
static bool iso_seconds(const char *s, long long *sec, int *ms)
{
	int y, mo, d, h, mi, se, frac = 0, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6)
		return false;
	if (s[n] == '.') {
		int digits = 0;
		for (n++; s[n] >= '0' && s[n] <= '9'; n++, digits++)
			if (digits < 3)
				frac = frac * 10 + (s[n] - '0');
		for (; digits < 3; digits++)
			frac *= 10;
	}
	if (s[n] != 'Z' || s[n + 1] || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return false;
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mo - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = mi,
	                .tm_sec = se};
	*sec = (long long)timegm(&tm);
	*ms = frac;
	return true;
}

static bool sample_value(struct vx_strbuf *b, const struct metric_def *def, json_t *v)
{
	switch (def->conv) {
	case AS_IS:
		return put_value(b, v);
	case EQUALS:
		if (!json_is_string(v))
			return false;
		vx_strbuf_puts(b, strcmp(json_string_value(v), def->text) ? "0" : "1");
		return true;
	case ISO_TIME: {
		long long sec;
		int ms;
		if (!iso_seconds(json_string_value(v), &sec, &ms))
			return false;
		vx_strbuf_printf(b, "%lld.%03d", sec, ms);
		return true;
	}
	}
	return false;
}

/* One sample line: name{labels,extra="value"} value. */
static void sample(struct vx_strbuf *samples, const char *name, const struct vx_strbuf *labels,
                   const char *extra_label, const char *extra_value, const struct metric_def *def,
                   json_t *v)
{
	struct vx_strbuf line = {0};
	vx_strbuf_puts(&line, name);
	bool any = labels->len || extra_label;
	if (any)
		vx_strbuf_puts(&line, "{");
	if (labels->len)
		vx_strbuf_put(&line, labels->p, labels->len);
	if (extra_label) {
		vx_strbuf_printf(&line, "%s%s=\"", labels->len ? "," : "", extra_label);
		put_label_value(&line, extra_value);
		vx_strbuf_puts(&line, "\"");
	}
	if (any)
		vx_strbuf_puts(&line, "}");
	vx_strbuf_puts(&line, " ");
	if (sample_value(&line, def, v) && !line.bad) {
		vx_strbuf_put(samples, line.p, line.len);
		vx_strbuf_puts(samples, "\n");
	}
	free(line.p);
}

/* HELP, TYPE and the samples of one family, when it has any. */
static void family(struct vx_strbuf *out, const struct metric_def *def, const struct vx_strbuf *samples)
{
	if (samples->bad)
		out->bad = true;
	if (!samples->len)
		return;
	vx_strbuf_printf(out, "# HELP %s ", def->name);
	vx_strbuf_puts(out, def->help); /* plain text: no backslash, no line feed */
	vx_strbuf_printf(out, "\n# TYPE %s %s\n", def->name, def->type);
	vx_strbuf_put(out, samples->p, samples->len);
}

/* Every def over every entry of an array. */
static void render(struct vx_strbuf *out, json_t *entries, const struct label_def *ls, size_t nls,
                   const struct metric_def *defs, size_t ndefs)
{
	for (size_t d = 0; d < ndefs; d++) {
		struct vx_strbuf samples = {0};
		size_t i;
		json_t *e;
		json_array_foreach(entries, i, e)
		{
			struct vx_strbuf labels = {0};
			json_t *v = json_object_get(e, defs[d].member);
			if (entry_labels(&labels, e, ls, nls) && v && !labels.bad) {
				if (defs[d].sub_label && json_is_object(v)) {
					const char *k;
					json_t *sub;
					json_object_foreach(v, k, sub)
					    sample(&samples, defs[d].name, &labels,
					           defs[d].sub_label, k, &defs[d], sub);
				} else if (!defs[d].sub_label) {
					sample(&samples, defs[d].name, &labels, NULL, NULL,
					       &defs[d], v);
				}
			}
			free(labels.p);
		}
		family(out, &defs[d], &samples);
		free(samples.p);
	}
}

/* ---- merging entries that name the same object ----
 * A flow log has one entry per capture worker of each interface: their
 * numbers add up (booleans: all true), other members are the first's. */

static void merge(json_t *into, json_t *from)
{
	const char *k;
	json_t *v;
	json_object_foreach(from, k, v)
	{
		json_t *have = json_object_get(into, k);
		if (!have)
			json_object_set(into, k, v);
		else if (json_is_integer(have) && json_is_integer(v))
			json_object_set_new(
			    into, k,
			    json_integer(json_integer_value(have) + json_integer_value(v)));
		else if (json_is_boolean(have) && json_is_boolean(v))
			json_object_set_new(into, k,
			                    json_boolean(json_is_true(have) && json_is_true(v)));
		else if (json_is_object(have) && json_is_object(v))
			merge(have, v);
	}
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The entries merged by their labels' members, sorted by them. */
static json_t *merged(json_t *entries, const struct label_def *ls, size_t nls)
{
	json_t *by_key = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e)
	{
		if (!json_is_object(e))
			continue;
		struct vx_strbuf key = {0};
		bool ok = entry_labels(&key, e, ls, nls) && !key.bad;
		if (ok) {
			json_t *have = json_object_get(by_key, key.p ? key.p : "");
			if (have)
				merge(have, e);
			else
				json_object_set_new(by_key, key.p ? key.p : "", json_deep_copy(e));
		}
		free(key.p);
	}
	size_t n = json_object_size(by_key);
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	json_t *out = json_array();
	if (keys) {
		size_t k = 0;
		const char *name;
		json_t *v;
		json_object_foreach(by_key, name, v) keys[k++] = name;
		qsort(keys, n, sizeof(*keys), key_cmp);
		for (k = 0; k < n; k++)
			json_array_append(out, json_object_get(by_key, keys[k]));
		free(keys);
	}
	json_decref(by_key);
	return out;
}

/* ---- the families ---- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct metric_def DAEMON[] = {
    {"vxtap_daemon_up", "gauge", "Whether the vxtap daemon answered the status query.", "Up", NULL,
     AS_IS, NULL},
    {"vxtap_daemon_generation", "gauge", "The state store generation the daemon has applied.",
     "Generation", NULL, AS_IS, NULL},
    {"vxtap_daemon_reloads_total", "counter",
     "Configurations the daemon applied, the first one included.", "Reloads", NULL, AS_IS, NULL},
    {"vxtap_daemon_reload_failures_total", "counter",
     "Configurations the daemon could not load or apply.", "ReloadFailures", NULL, AS_IS, NULL},
    {"vxtap_daemon_start_time_seconds", "gauge", "When the daemon started, in Unix seconds.",
     "StartedAt", NULL, ISO_TIME, NULL},
    {"vxtap_daemon_last_apply_time_seconds", "gauge",
     "When the daemon last applied a configuration, in Unix seconds.", "AppliedAt", NULL, ISO_TIME,
     NULL},
};

static const struct label_def SESSION_INFO_LABELS[] = {
    {"session_id", "TrafficMirrorSessionId"},
    {"network_interface_id", "NetworkInterfaceId"},
    {"interface", "InterfaceName"},
    {"session_number", "SessionNumber"},
    {"vni", "VirtualNetworkId"},
    {"filter_id", "TrafficMirrorFilterId"},
    {"target_id", "TrafficMirrorTargetId"},
    {"target_type", "TargetType"},
};
static const struct metric_def SESSION_INFO[] = {
    {"vxtap_session_info", "gauge",
     "A traffic mirror session the daemon applied: its source, number, VNI, filter and target.",
     "Info", NULL, AS_IS, NULL},
};

static const struct label_def SESSION_LABELS[] = {{"session_id", "TrafficMirrorSessionId"}};
static const struct metric_def SESSIONS[] = {
    {"vxtap_session_mirrored_packets_total", "counter",
     "Packets the session mirrored (VXLAN copies sent).", "MirroredPackets", NULL, AS_IS, NULL},
    {"vxtap_session_mirrored_bytes_total", "counter",
     "Bytes of the inner frames the session mirrored, after truncation.", "MirroredBytes", NULL,
     AS_IS, NULL},
    {"vxtap_session_truncated_packets_total", "counter",
     "Mirrored packets cut to the session's packet length.", "TruncatedPackets", NULL, AS_IS, NULL},
    {"vxtap_session_filtered_out_packets_total", "counter",
     "Packets the session's filter did not accept.", "FilteredOutPackets", NULL, AS_IS, NULL},
    {"vxtap_session_dropped_packets_total", "counter",
     "Copies the session dropped, by reason: OverCap (its cap), SendPathFull (the kernel would "
     "not take the copy without waiting), NoTargetUp (no load-balancer member passed its "
     "health check).",
     "DroppedPackets", "reason", AS_IS, NULL},
};

static const struct label_def SOURCE_LABELS[] = {{"interface", "InterfaceName"}};
static const struct metric_def SOURCES[] = {
    {"vxtap_source_capturing", "gauge", "Whether every capture worker of the interface runs.",
     "Capturing", NULL, AS_IS, NULL},
    {"vxtap_source_workers", "gauge", "Capture workers of the interface.", "Workers", NULL, AS_IS,
     NULL},
    {"vxtap_source_frames_total", "counter", "Frames captured on the interface.", "Frames", NULL,
     AS_IS, NULL},
    {"vxtap_source_kernel_drops_total", "counter",
     "Frames the kernel dropped because the capture rings were full.", "KernelDrops", NULL, AS_IS,
     NULL},
    {"vxtap_source_mirrored_packets_total", "counter",
     "Packets of the interface some session mirrored.", "Mirrored", NULL, AS_IS, NULL},
    {"vxtap_source_mirrored_link_layer_packets_total", "counter",
     "Mirrored copies sent at the link layer (the fast path).", "MirroredLinkLayer", NULL, AS_IS,
     NULL},
    {"vxtap_source_not_selected_packets_total", "counter", "Packets no session's filter accepted.",
     "NotSelected", NULL, AS_IS, NULL},
    {"vxtap_source_malformed_packets_total", "counter", "Frames that could not be decoded.",
     "Malformed", NULL, AS_IS, NULL},
    {"vxtap_source_send_errors_total", "counter", "Mirrored copies the kernel refused to send.",
     "SendErrors", NULL, AS_IS, NULL},
    {"vxtap_source_never_mirrored_packets_total", "counter",
     "Packets no session may mirror (traffic AWS does not mirror), by reason.", "NeverMirrored",
     "reason", AS_IS, NULL},
};

static const struct label_def MEMBER_LABELS[] = {{"address", "Address"},
                                                 {"port", "HealthCheckPort"}};
static const struct metric_def MEMBERS[] = {
    {"vxtap_target_member_healthy", "gauge",
     "Whether the load-balancer member passes its TCP health check.", "State", NULL, EQUALS,
     "healthy"},
    {"vxtap_target_member_checks_ok_total", "counter", "Health checks the member passed.",
     "ChecksOk", NULL, AS_IS, NULL},
    {"vxtap_target_member_checks_failed_total", "counter", "Health checks the member failed.",
     "ChecksFailed", NULL, AS_IS, NULL},
};

static const struct label_def HOP_LABELS[] = {{"address", "Address"}};
static const struct metric_def HOPS[] = {
    {"vxtap_next_hop_link_layer", "gauge",
     "Whether copies to the target address leave at the link layer (else the IP path).",
     "LinkLayer", NULL, AS_IS, NULL},
};

static const struct label_def FLOW_LOG_LABELS[] = {{"flow_log_id", "FlowLogId"},
                                                   {"interface", "InterfaceName"}};
static const struct metric_def FLOW_LOGS[] = {
    {"vxtap_flow_log_running", "gauge",
     "Whether the flow log runs on the interface (its destination can be written).", "Running",
     NULL, AS_IS, NULL},
    {"vxtap_flow_log_packets_total", "counter", "Packets the flow log metered.", "Packets", NULL,
     AS_IS, NULL},
    {"vxtap_flow_log_records_total", "counter", "Flow log records written.", "Records", NULL, AS_IS,
     NULL},
    {"vxtap_flow_log_nodata_total", "counter", "NODATA records written.", "NoData", NULL, AS_IS,
     NULL},
    {"vxtap_flow_log_skipdata_total", "counter",
     "SKIPDATA records written (the flow table was full).", "SkipData", NULL, AS_IS, NULL},
    {"vxtap_flow_log_skipped_packets_total", "counter",
     "Packets of flows the full flow table could not take.", "SkippedPackets", NULL, AS_IS, NULL},
    {"vxtap_flow_log_peak_flows", "gauge",
     "Most flows tracked in one aggregation window (summed over capture workers).", "PeakFlows",
     NULL, AS_IS, NULL},
    {"vxtap_flow_log_files_published_total", "counter", "Log files published.", "FilesPublished",
     NULL, AS_IS, NULL},
    {"vxtap_flow_log_records_lost_total", "counter", "Records that could not be delivered.",
     "RecordsLost", NULL, AS_IS, NULL},
    {"vxtap_flow_log_write_errors_total", "counter", "Errors writing the destination.",
     "WriteErrors", NULL, AS_IS, NULL},
    {"vxtap_flow_log_never_logged_packets_total", "counter",
     "Packets of traffic AWS does not log (Amazon DNS, metadata, time sync, DHCP).", "NeverLogged",
     NULL, AS_IS, NULL},
    {"vxtap_flow_log_accepted_packets_total", "counter",
     "Packets the security groups and network ACLs accepted.", "Accepted", NULL, AS_IS, NULL},
    {"vxtap_flow_log_rejected_packets_total", "counter",
     "Packets the security groups or network ACLs rejected.", "Rejected", NULL, AS_IS, NULL},
    {"vxtap_flow_log_tracked_connections", "gauge", "Connections the security groups track now.",
     "TrackedConnections", NULL, AS_IS, NULL},
};

/* One flat entry per session the daemon applied, for vxtap_session_info. */
static json_t *session_infos(json_t *applied)
{
	json_t *out = json_array();
	size_t i, j;
	json_t *src, *s;
	json_array_foreach(json_object_get(applied, "Sources"), i, src)
	{
		json_array_foreach(json_object_get(src, "Sessions"), j, s)
		{
			json_t *target = json_object_get(s, "Target");
			json_t *e = json_object();
			static const char *const copy[] = {"TrafficMirrorSessionId",
			                                   "SessionNumber", "VirtualNetworkId",
			                                   "TrafficMirrorFilterId"};
			for (size_t k = 0; k < N(copy); k++)
				json_object_set(e, copy[k], json_object_get(s, copy[k]));
			json_object_set(e, "NetworkInterfaceId",
			                json_object_get(src, "NetworkInterfaceId"));
			json_object_set(e, "InterfaceName", json_object_get(src, "InterfaceName"));
			json_object_set(e, "TrafficMirrorTargetId",
			                json_object_get(target, "TrafficMirrorTargetId"));
			json_object_set(e, "TargetType", json_object_get(target, "Type"));
			json_object_set_new(e, "Info", json_integer(1));
			json_array_append_new(out, e);
		}
	}
	return out;
}

static void render_list(struct vx_strbuf *out, json_t *list, const struct label_def *ls, size_t nls,
                        const struct metric_def *defs, size_t ndefs)
{
	json_t *m = merged(list, ls, nls);
	render(out, m, ls, nls, defs, ndefs);
	json_decref(m);
}

char *vx_metrics_render(json_t *status)
{
	struct vx_strbuf out = {0};
	json_t *daemon = json_object();
	json_object_set_new(daemon, "Up", json_integer(json_is_object(status) ? 1 : 0));
	if (json_is_object(status)) {
		static const char *const copy[] = {"Reloads", "ReloadFailures", "StartedAt",
		                                   "AppliedAt"};
		for (size_t k = 0; k < N(copy); k++) {
			json_t *v = json_object_get(status, copy[k]);
			if (v)
				json_object_set(daemon, copy[k], v);
		}
		json_t *gen = json_object_get(json_object_get(status, "Applied"), "Generation");
		if (gen)
			json_object_set(daemon, "Generation", gen);
	}
	json_t *one = json_array();
	json_array_append_new(one, daemon);
	render(&out, one, NULL, 0, DAEMON, N(DAEMON));
	json_decref(one);

	json_t *infos = session_infos(json_object_get(status, "Applied"));
	render_list(&out, infos, SESSION_INFO_LABELS, N(SESSION_INFO_LABELS), SESSION_INFO,
	            N(SESSION_INFO));
	json_decref(infos);
	json_t *dp = json_object_get(status, "DataPath");
	render_list(&out, json_object_get(dp, "Sessions"), SESSION_LABELS, N(SESSION_LABELS),
	            SESSIONS, N(SESSIONS));
	render_list(&out, json_object_get(dp, "Sources"), SOURCE_LABELS, N(SOURCE_LABELS), SOURCES,
	            N(SOURCES));
	render_list(&out, json_object_get(dp, "TargetMembers"), MEMBER_LABELS, N(MEMBER_LABELS),
	            MEMBERS, N(MEMBERS));
	render_list(&out, json_object_get(dp, "NextHops"), HOP_LABELS, N(HOP_LABELS), HOPS,
	            N(HOPS));
	render_list(&out, json_object_get(dp, "FlowLogs"), FLOW_LOG_LABELS, N(FLOW_LOG_LABELS),
	            FLOW_LOGS, N(FLOW_LOGS));
	if (out.bad) {
		free(out.p);
		return NULL;
	}
	return out.p ? out.p : strdup("");
}
