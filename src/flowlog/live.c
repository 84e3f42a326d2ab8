/* The flow logs of one captured interface (see vxtap/flowlog_live.h). */
#include "vxtap/flowlog_live.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxtap/flowlogger.h"
#include "vxtap/policy.h"

struct running_log {
	char id[32];
	char status[300]; /* "" while it runs, else why it does not */
	struct vx_flowlogger *logger;
	int iface;
	/* The counters as of the last tick, read by other threads. */
	struct vx_flowlogger_stats own;
	struct vx_meter_stats meter;
	struct vx_flowlog_sink_stats sink;
};

struct vx_flowlog_live {
	struct vx_flowlog_live_options opt;
	char root[4096];
	char ifname[IF_NAMESIZE];
	struct vx_host_services services;
	bool has_services;
	struct running_log logs[VX_FLOWLOGS_PER_IFACE];
	unsigned n;
	uint64_t never_logged; /* SPEC.md §2.9 */
	/* Security groups and ACLs: this worker's decisions and connection
	 * tracking (a flow stays on one worker). */
	struct vx_policy *policy;
	int policy_iface;
	char policy_error[256];
	struct vx_policy_stats policy_snapshot;
	pthread_mutex_t lock;  /* the snapshot fields, and n and logs for readers */
	uint64_t never_logged_snapshot;
};

struct nodata_entry {
	char id[32]; /* the flow log */
	struct vx_meter_nodata state;
};

struct vx_flowlog_nodata_group {
	pthread_mutex_t lock;
	struct nodata_entry **entries; /* never moved: workers hold their states */
	size_t n, cap;
};

struct vx_flowlog_nodata_group *vx_flowlog_nodata_group_new(void)
{
	struct vx_flowlog_nodata_group *g = calloc(1, sizeof(*g));
	if (g)
		pthread_mutex_init(&g->lock, NULL);
	return g;
}

void vx_flowlog_nodata_group_free(struct vx_flowlog_nodata_group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(g->entries[i]);
	free(g->entries);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* The shared NODATA state of flow log `id`, made on first use; NULL when
 * out of memory (the worker then decides NODATA alone). */
static struct vx_meter_nodata *nodata_state(struct vx_flowlog_nodata_group *g, const char *id)
{
	struct vx_meter_nodata *found = NULL;
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->n && !found; i++)
		if (!strcmp(g->entries[i]->id, id))
			found = &g->entries[i]->state;
	if (!found && g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct nodata_entry **e = realloc(g->entries, cap * sizeof(*e));
		if (e) {
			g->entries = e;
			g->cap = cap;
		}
	}
	if (!found && g->n < g->cap) {
		struct nodata_entry *e = calloc(1, sizeof(*e));
		if (e) {
			snprintf(e->id, sizeof(e->id), "%s", id);
			vx_meter_nodata_init(&e->state);
			g->entries[g->n++] = e;
			found = &e->state;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return found;
}

struct vx_flowlog_live *vx_flowlog_live_new(const struct vx_flowlog_live_options *o,
					    const char *ifname)
{
	struct vx_flowlog_live *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->opt = *o;
	snprintf(l->root, sizeof(l->root), "%s", o->root ? o->root : ".");
	l->opt.root = l->root;
	snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
	if (o->services) {
		l->services = *o->services;
		l->has_services = true;
	}
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

/* Where a flow log's records go (see the header). 0, or -1 with why. */
static int destination(struct vx_flowlog_live *l, const struct vx_flowlog_cfg *f,
		       struct vx_flowlog_sink_options *so, char *dir, size_t dirlen,
		       char *why, size_t whylen)
{
	static const char s3_arn[] = "arn:aws:s3:::";
	if (!strcmp(f->destination_type, "s3")) {
		so->kind = VX_FLOWLOG_SINK_S3_DIR;
		if (f->destination[0] == '/')
			snprintf(dir, dirlen, "%s", f->destination);
		else if (!strncmp(f->destination, s3_arn, sizeof(s3_arn) - 1))
			snprintf(dir, dirlen, "%s/s3/%s", l->root,
				 f->destination + sizeof(s3_arn) - 1);
		else {
			snprintf(why, whylen, "destination %s is not an S3 ARN or a directory",
				 f->destination);
			return -1;
		}
		size_t n = strlen(dir);
		while (n > 1 && dir[n - 1] == '/')
			dir[--n] = '\0';
		so->directory = dir;
		so->hive = f->hive;
		so->per_hour = f->per_hour;
		return 0;
	}
	if (!strcmp(f->destination_type, "cloud-watch-logs")) {
		so->kind = VX_FLOWLOG_SINK_CLOUDWATCH_DIR;
		snprintf(dir, dirlen, "%s/cloudwatch", l->root);
		so->directory = dir;
		so->log_group = f->log_group;
		return 0;
	}
	if (!strcmp(f->destination_type, "kinesis-data-firehose")) {
		const char *name = strrchr(f->destination, '/');
		name = name ? name + 1 : f->destination;
		snprintf(dir, dirlen, "%s/firehose/%s.log", l->root, name);
		so->kind = VX_FLOWLOG_SINK_STDOUT;
		so->append_path = dir;
		return 0;
	}
	snprintf(why, whylen, "destination type %s is not supported", f->destination_type);
	return -1;
}

static void start_log(struct vx_flowlog_live *l, struct running_log *r,
		      const struct vx_flowlog_cfg *f, const struct vx_host *host, const char *eni,
		      const uint8_t *primary)
{
	char dir[4200];
	struct vx_flowlogger_options o = {
		.log_format = f->format[0] ? f->format : NULL,
		.interval_s = f->max_interval_s,
		.traffic_type = f->traffic_type,
		.max_flows = l->opt.max_flows,
		.account_id = host->account_id,
		.region = host->region,
		.vpc_id = host->vpc_id,
		.subnet_id = host->subnet_id,
		.instance_id = host->instance_id,
		.az_id = host->az_id,
	};
	o.sink.account_id = host->account_id;
	o.sink.region = host->region;
	o.sink.flow_log_id = f->id;
	r->status[0] = '\0';
	if (destination(l, f, &o.sink, dir, sizeof(dir), r->status, sizeof(r->status)) == 0)
		r->logger = vx_flowlogger_new(&o, r->status, sizeof(r->status));
	if (r->logger)
		r->iface = vx_flowlogger_interface(r->logger, eni, primary);
	struct vx_meter_nodata *shared =
	    r->logger && r->iface >= 0 && l->opt.nodata_group
		? nodata_state(l->opt.nodata_group, f->id)
		: NULL;
	if (shared)
		vx_flowlogger_share_nodata(r->logger, r->iface, shared, l->opt.nodata_writer);
}

static void stop_log(struct running_log *r)
{
	if (r->logger && vx_flowlogger_close(r->logger) < 0)
		fprintf(stderr, "vxtap run: flow log %s: records lost\n", r->id);
	r->logger = NULL;
}

/* Follow the security groups and ACLs; connections stay tracked across a
 * change. A configuration the engine refuses keeps the previous one. */
static void sync_policy(struct vx_flowlog_live *l, const struct vx_policy_cfg *cfg,
			const char *eni)
{
	char why[256] = "";
	if (!cfg) {
		vx_policy_free(l->policy);
		l->policy = NULL;
	} else if (!l->policy) {
		struct vx_policy_options po = {0};
		l->policy = vx_policy_new(cfg, &po, why, sizeof(why));
	} else if (vx_policy_update(l->policy, cfg, why, sizeof(why)) < 0) {
		/* keeps the previous configuration */
	}
	l->policy_iface = l->policy ? vx_policy_interface(l->policy, eni) : -1;
	pthread_mutex_lock(&l->lock);
	snprintf(l->policy_error, sizeof(l->policy_error), "%s", why);
	pthread_mutex_unlock(&l->lock);
}

void vx_flowlog_live_sync(struct vx_flowlog_live *l, const struct vx_flowlog_cfg *const *logs,
			  unsigned n, const struct vx_host *host, const char *eni,
			  const uint8_t *primary_ipv4, const struct vx_policy_cfg *policy)
{
	sync_policy(l, n ? policy : NULL, eni);
	struct running_log next[VX_FLOWLOGS_PER_IFACE];
	memset(next, 0, sizeof(next));
	if (n > VX_FLOWLOGS_PER_IFACE)
		n = VX_FLOWLOGS_PER_IFACE;
	bool kept[VX_FLOWLOGS_PER_IFACE] = {false};
	for (unsigned i = 0; i < n; i++) {
		const struct vx_flowlog_cfg *f = logs[i];
		unsigned k = 0;
		while (k < l->n && (kept[k] || strcmp(l->logs[k].id, f->id)))
			k++;
		if (k < l->n && l->logs[k].logger) { /* immutable: the same ID runs on */
			next[i] = l->logs[k];
			kept[k] = true;
			continue;
		}
		snprintf(next[i].id, sizeof(next[i].id), "%s", f->id);
		start_log(l, &next[i], f, host, eni, primary_ipv4);
	}
	for (unsigned k = 0; k < l->n; k++)
		if (!kept[k])
			stop_log(&l->logs[k]);
	pthread_mutex_lock(&l->lock);
	memcpy(l->logs, next, sizeof(next));
	l->n = n;
	pthread_mutex_unlock(&l->lock);
}

void vx_flowlog_live_packet(struct vx_flowlog_live *l, enum vx_flow_direction dir,
			    const struct vx_packet *p)
{
	if (!l->n)
		return;
	if (l->has_services && vx_mirror_exclusion(&l->services, &p->key) != VX_EXCL_NONE) {
		l->never_logged++;
		return;
	}
	enum vx_flow_action action =
		l->policy ? vx_policy_decide(l->policy, l->policy_iface, dir, p, p->ts.sec)
			  : VX_FLOW_ACCEPT;
	for (unsigned i = 0; i < l->n; i++)
		if (l->logs[i].logger)
			vx_flowlogger_packet(l->logs[i].logger, l->logs[i].iface, dir, action, p);
}

void vx_flowlog_live_tick(struct vx_flowlog_live *l, int64_t now_s)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->logs[i].logger)
			vx_flowlogger_tick(l->logs[i].logger, now_s);
	pthread_mutex_lock(&l->lock);
	for (unsigned i = 0; i < l->n; i++) {
		struct running_log *r = &l->logs[i];
		if (r->logger)
			vx_flowlogger_get_stats(r->logger, &r->own, &r->meter, &r->sink);
	}
	l->never_logged_snapshot = l->never_logged;
	if (l->policy)
		vx_policy_get_stats(l->policy, &l->policy_snapshot);
	pthread_mutex_unlock(&l->lock);
}

void vx_flowlog_live_stats_json(struct vx_flowlog_live *l, json_t *array)
{
	pthread_mutex_lock(&l->lock);
	for (unsigned i = 0; i < l->n; i++) {
		const struct running_log *r = &l->logs[i];
		json_t *o = json_pack(
			"{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"FlowLogId", r->id, "InterfaceName", l->ifname, "Running", r->logger != NULL,
			"Packets", (json_int_t)r->meter.packets, "Records",
			(json_int_t)r->own.records_delivered, "NoData", (json_int_t)r->meter.nodata,
			"SkipData", (json_int_t)r->meter.skipdata, "SkippedPackets",
			(json_int_t)r->meter.skipped_packets, "PeakFlows",
			(json_int_t)r->meter.peak_flows, "FilesPublished",
			(json_int_t)r->sink.files_published, "RecordsLost",
			(json_int_t)r->sink.records_lost, "WriteErrors",
			(json_int_t)r->sink.write_errors, "NeverLogged", (json_int_t)l->never_logged_snapshot);
		if (o) {
			json_object_set_new(o, "Accepted",
					    json_integer((json_int_t)l->policy_snapshot.accepted));
			json_object_set_new(o, "Rejected",
					    json_integer((json_int_t)l->policy_snapshot.rejected));
			json_object_set_new(o, "TrackedConnections",
					    json_integer((json_int_t)l->policy_snapshot.connections));
		}
		if (o && r->status[0])
			json_object_set_new(o, "Error", json_string(r->status));
		else if (o && l->policy_error[0])
			json_object_set_new(o, "PolicyError", json_string(l->policy_error));
		if (o)
			json_array_append_new(array, o);
	}
	pthread_mutex_unlock(&l->lock);
}

void vx_flowlog_live_free(struct vx_flowlog_live *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < l->n; i++)
		stop_log(&l->logs[i]);
	vx_policy_free(l->policy);
	pthread_mutex_destroy(&l->lock);
	free(l);
}
