/* Network load balancers: a named group of analyzer addresses that a
 * network-load-balancer mirror target spreads flows over, with the TCP
 * health check that decides which members are alive. The names follow
 * Elastic Load Balancing (CreateLoadBalancer, RegisterTargets, …); a vxtap
 * load balancer is an NLB and its one target group in one object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "vxtap/netaddr.h"

#define MEMBERS_MAX 1000

static json_t *render_lb(struct vx_store *st, sqlite3_stmt *s)
{
	const char *arn = vx_col_text(s, 0);
	json_t *targets = json_array();
	sqlite3_stmt *m;
	sqlite3_prepare_v2(vx_store_db(st),
			   "SELECT address, port FROM load_balancer_member WHERE arn=? "
			   "ORDER BY address, port",
			   -1, &m, NULL);
	sqlite3_bind_text(m, 1, arn, -1, SQLITE_STATIC);
	while (sqlite3_step(m) == SQLITE_ROW)
		json_array_append_new(targets, json_pack("{s:s, s:i}", "Id", vx_col_text(m, 0), "Port",
							 sqlite3_column_int(m, 1)));
	sqlite3_finalize(m);
	char when[48];
	vx_format_time_ms(sqlite3_column_int64(s, 7), when, sizeof(when));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:o, s:{s:s, s:i, s:i, s:i, s:i, s:i}}",
			 "LoadBalancerArn", arn, "LoadBalancerName", vx_col_text(s, 1), "CreatedTime",
			 when, "Type", "network", "Scheme", "internal", "State", "Code", "active",
			 "Targets", targets, "HealthCheck", "Protocol", "TCP", "Port",
			 sqlite3_column_int(s, 2), "IntervalSeconds", sqlite3_column_int(s, 3),
			 "TimeoutSeconds", sqlite3_column_int(s, 4), "HealthyThresholdCount",
			 sqlite3_column_int(s, 5), "UnhealthyThresholdCount", sqlite3_column_int(s, 6));
}

#define LB_COLS                                                                                    \
	"arn, name, hc_port, hc_interval, hc_timeout, healthy_threshold, unhealthy_threshold, "   \
	"created"

static json_t *lb_list(struct vx_store *st, const char *arn)
{
	json_t *items = json_array();
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(st),
			   arn ? "SELECT " LB_COLS " FROM load_balancer WHERE arn=?"
			       : "SELECT " LB_COLS " FROM load_balancer ORDER BY created, rowid",
			   -1, &s, NULL);
	if (arn)
		sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(items, render_lb(st, s));
	sqlite3_finalize(s);
	return items;
}

static int check_targets(struct vx_call *c)
{
	size_t i;
	json_t *t;
	json_array_foreach(vx_req(c, "Targets"), i, t) {
		const char *ip = json_string_value(json_object_get(t, "Id"));
		uint8_t family, addr[16];
		if (!ip)
			return vx_missing(c, "Targets.Id");
		if (vx_addr_parse(ip, &family, addr) < 0)
			return vx_invalid(c, "Targets.Id", ip,
					  "A target is the IPv4 or IPv6 address of an analyzer.");
		json_t *port = json_object_get(t, "Port");
		if (port && (json_integer_value(port) < 1 || json_integer_value(port) > 65535))
			return vx_invalid_int(c, "Targets.Port", json_integer_value(port),
					      "Allowed: 1-65535 (default 4789).");
	}
	return 0;
}

static int add_targets(struct vx_call *c, const char *arn)
{
	size_t i;
	json_t *t;
	json_array_foreach(vx_req(c, "Targets"), i, t) {
		json_t *port = json_object_get(t, "Port");
		char p[8];
		snprintf(p, sizeof(p), "%lld", port ? (long long)json_integer_value(port) : 4789LL);
		const char *args[] = {arn, json_string_value(json_object_get(t, "Id")), p};
		if (vx_store_exec(c->store, c->err,
				  "INSERT OR IGNORE INTO load_balancer_member "
				  "VALUES(?,?,CAST(? AS INTEGER))",
				  3, args) < 0)
			return -1;
	}
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(c->store),
			   "SELECT COUNT(*) FROM load_balancer_member WHERE arn=?", -1, &s, NULL);
	sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
	long long n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (n > MEMBERS_MAX)
		return vx_err_set(c->err, "TooManyTargets",
				  "A load balancer has at most %d targets.", MEMBERS_MAX);
	return 0;
}

static const struct {
	const char *member;
	long long def, lo, hi;
} HC[] = {
	{"HealthCheckPort", 4789, 1, 65535},
	{"HealthCheckIntervalSeconds", 10, 5, 300},
	{"HealthCheckTimeoutSeconds", 5, 2, 120},
	{"HealthyThresholdCount", 3, 2, 10},
	{"UnhealthyThresholdCount", 3, 2, 10},
};

int vx_h_create_load_balancer(struct vx_call *c)
{
	const char *name = vx_req_str(c, "Name");
	if (!vx_text_matches(name, "^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$"))
		return vx_invalid(c, "Name", name,
				  "A name has 1-32 letters, digits and hyphens, and does not start "
				  "or end with a hyphen.");
	long long v[5];
	for (int i = 0; i < 5; i++) {
		v[i] = HC[i].def;
		vx_req_int(c, HC[i].member, &v[i]);
		if (v[i] < HC[i].lo || v[i] > HC[i].hi) {
			char allowed[48];
			snprintf(allowed, sizeof(allowed), "Allowed: %lld-%lld.", HC[i].lo, HC[i].hi);
			return vx_invalid_int(c, HC[i].member, v[i], allowed);
		}
	}
	if (v[2] >= v[1])
		return vx_err_set(c->err, "InvalidConfigurationRequest",
				  "HealthCheckTimeoutSeconds (%lld) must be less than "
				  "HealthCheckIntervalSeconds (%lld).",
				  v[2], v[1]);
	if (check_targets(c) < 0)
		return -1;
	if (vx_row_exists(c->store, "load_balancer", "name", name))
		return vx_err_set(c->err, "DuplicateLoadBalancerName",
				  "A load balancer named '%s' already exists.", name);
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	char arn[200], hex[40];
	if (c->fixed_id) {
		snprintf(arn, sizeof(arn), "%s", c->fixed_id);
	} else {
		vx_store_new_id("x", hex, sizeof(hex));
		snprintf(arn, sizeof(arn), "arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/%s/%.16s",
			 host.region, host.account_id, name, hex + 2);
	}
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(c->store),
			   "INSERT INTO load_balancer VALUES(?,?,?,?,?,?,?,?)", -1, &s, NULL);
	sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	for (int i = 0; i < 5; i++)
		sqlite3_bind_int64(s, 3 + i, v[i]);
	sqlite3_bind_int64(s, 8, vx_now_ms());
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return vx_store_fail(c->store, c->err, "write load balancer");
	if (add_targets(c, arn) < 0)
		return -1;
	c->resp = json_pack("{s:o}", "LoadBalancers", lb_list(c->store, arn));
	return 0;
}

static int check_lb(struct vx_call *c, const char *arn)
{
	if (!vx_row_exists(c->store, "load_balancer", "arn", arn))
		return vx_err_set(c->err, "LoadBalancerNotFound",
				  "The load balancer '%s' does not exist.", arn);
	return 0;
}

int vx_h_delete_load_balancer(struct vx_call *c)
{
	const char *arn = vx_req_str(c, "LoadBalancerArn");
	if (check_lb(c, arn) < 0)
		return -1;
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(c->store), "SELECT id FROM mirror_target WHERE lb_arn=?", -1,
			   &s, NULL);
	sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
	int rc = 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		rc = vx_err_set(c->err, "ResourceInUse",
				"Load balancer %s is used by traffic mirror target %s.", arn,
				vx_col_text(s, 0));
	sqlite3_finalize(s);
	const char *args[] = {arn};
	if (rc < 0 ||
	    vx_store_exec(c->store, c->err, "DELETE FROM load_balancer WHERE arn=?", 1, args) < 0)
		return -1;
	c->resp = json_object();
	return 0;
}

int vx_h_describe_load_balancers(struct vx_call *c)
{
	json_t *all = lb_list(c->store, NULL);
	json_t *arns = vx_req(c, "LoadBalancerArns"), *names = vx_req(c, "Names");
	json_t *kept = json_array();
	size_t i, j;
	json_t *lb, *want;
	json_array_foreach(names, j, want) {
		bool found = false;
		json_array_foreach(all, i, lb) found |= json_equal(json_object_get(lb, "LoadBalancerName"), want);
		if (!found) {
			json_decref(all);
			json_decref(kept);
			return vx_err_set(c->err, "LoadBalancerNotFound",
					  "No load balancer is named '%s'.", json_string_value(want));
		}
	}
	json_array_foreach(arns, j, want) {
		bool found = false;
		json_array_foreach(all, i, lb) found |= json_equal(json_object_get(lb, "LoadBalancerArn"), want);
		if (!found) {
			json_decref(all);
			json_decref(kept);
			return check_lb(c, json_string_value(want));
		}
	}
	json_array_foreach(all, i, lb) {
		bool keep = true;
		if (json_array_size(arns)) {
			keep = false;
			json_array_foreach(arns, j, want) keep |= json_equal(json_object_get(lb, "LoadBalancerArn"), want);
		}
		if (keep && json_array_size(names)) {
			keep = false;
			json_array_foreach(names, j, want) keep |= json_equal(json_object_get(lb, "LoadBalancerName"), want);
		}
		if (keep)
			json_array_append(kept, lb);
	}
	json_decref(all);
	c->resp = json_pack("{s:o}", "LoadBalancers", kept);
	return 0;
}

int vx_h_register_targets(struct vx_call *c)
{
	const char *arn = vx_req_str(c, "LoadBalancerArn");
	if (check_lb(c, arn) < 0 || check_targets(c) < 0 || add_targets(c, arn) < 0)
		return -1;
	c->resp = json_object();
	return 0;
}

int vx_h_deregister_targets(struct vx_call *c)
{
	const char *arn = vx_req_str(c, "LoadBalancerArn");
	if (check_lb(c, arn) < 0 || check_targets(c) < 0)
		return -1;
	size_t i;
	json_t *t;
	json_array_foreach(vx_req(c, "Targets"), i, t) {
		json_t *port = json_object_get(t, "Port");
		char p[8];
		snprintf(p, sizeof(p), "%lld", port ? (long long)json_integer_value(port) : 4789LL);
		const char *args[] = {arn, json_string_value(json_object_get(t, "Id")), p};
		if (vx_store_exec(c->store, c->err,
				  "DELETE FROM load_balancer_member WHERE arn=? AND address=? AND "
				  "port=CAST(? AS INTEGER)",
				  3, args) < 0)
			return -1;
	}
	c->resp = json_object();
	return 0;
}
