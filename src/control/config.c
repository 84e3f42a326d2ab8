/* Loading the data path's configuration from the store. */
#include "vxtap/config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"

static void copy_text(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const char *t = vx_col_text(s, col);
	snprintf(dst, len, "%s", t ? t : "");
}

/* A zeroed new element at the end of a growing array: arrayp points to the
 * array pointer, *n counts elements, *cap is the room. NULL when out of memory. */
static void *append_slot(void *arrayp, size_t *n, size_t *cap, size_t size)
{
	void *array;
	memcpy(&array, arrayp, sizeof(array));
	if (*n == *cap) {
		size_t grown = *cap ? *cap * 2 : 8;
		void *p = realloc(array, grown * size);
		if (!p)
			return NULL;
		array = p;
		memcpy(arrayp, &array, sizeof(array));
		*cap = grown;
	}
	void *slot = (char *)array + (*n)++ * size;
	memset(slot, 0, size);
	return slot;
}

static int load_targets(struct vx_store *st, struct vx_config *cfg)
{
	sqlite3 *db = vx_store_db(st);
	sqlite3_stmt *s, *m;
	if (sqlite3_prepare_v2(db,
			       "SELECT t.id, t.type, t.lb_arn, e.private_ip, l.hc_port, l.hc_interval, "
			       "l.hc_timeout, l.healthy_threshold, l.unhealthy_threshold "
			       "FROM mirror_target t LEFT JOIN network_interface e ON e.id=t.eni_id "
			       "LEFT JOIN load_balancer l ON l.arn=t.lb_arn ORDER BY t.id",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_prepare_v2(db,
			   "SELECT address, port FROM load_balancer_member WHERE arn=? "
			   "ORDER BY address, port",
			   -1, &m, NULL);
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		struct vx_target_cfg *t =
			append_slot(&cfg->targets, &cfg->n_targets, &cap, sizeof(*cfg->targets));
		if (!t) {
			rc = -1;
			break;
		}
		copy_text(t->id, sizeof(t->id), s, 0);
		t->group = !strcmp(vx_col_text(s, 1), "network-load-balancer");
		if (!t->group) {
			t->members = calloc(1, sizeof(*t->members));
			if (!t->members) {
				rc = -1;
				break;
			}
			t->n_members = 1;
			copy_text(t->members[0].address, sizeof(t->members[0].address), s, 3);
			t->members[0].port = 4789;
			continue;
		}
		copy_text(t->lb_arn, sizeof(t->lb_arn), s, 2);
		t->hc_port = (uint16_t)sqlite3_column_int(s, 4);
		t->hc_interval_s = (uint32_t)sqlite3_column_int(s, 5);
		t->hc_timeout_s = (uint32_t)sqlite3_column_int(s, 6);
		t->healthy_threshold = (uint32_t)sqlite3_column_int(s, 7);
		t->unhealthy_threshold = (uint32_t)sqlite3_column_int(s, 8);
		sqlite3_reset(m);
		sqlite3_bind_text(m, 1, t->lb_arn, -1, SQLITE_STATIC);
		size_t mcap = 0;
		while (sqlite3_step(m) == SQLITE_ROW) {
			struct vx_member_cfg *mm =
				append_slot(&t->members, &t->n_members, &mcap, sizeof(*t->members));
			if (!mm) {
				rc = -1;
				break;
			}
			copy_text(mm->address, sizeof(mm->address), m, 0);
			mm->port = (uint16_t)sqlite3_column_int(m, 1);
		}
	}
	sqlite3_finalize(s);
	sqlite3_finalize(m);
	return rc;
}

static const struct vx_target_cfg *find_target(const struct vx_config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->n_targets; i++)
		if (!strcmp(cfg->targets[i].id, id))
			return &cfg->targets[i];
	return NULL;
}

static void load_filter(struct vx_store *st, const char *id, struct vx_filter_cfg *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->id, sizeof(f->id), "%s", id);
	sqlite3 *db = vx_store_db(st);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "SELECT amazon_dns FROM mirror_filter WHERE id=?", -1, &s, NULL);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		f->amazon_dns = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_prepare_v2(db,
			   "SELECT id, direction, rule_number, action, protocol, src_from, src_to, "
			   "dst_from, dst_to, src_cidr, dst_cidr FROM mirror_filter_rule "
			   "WHERE filter_id=? ORDER BY rule_number",
			   -1, &s, NULL);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		bool ingress = !strcmp(vx_col_text(s, 1), "ingress");
		uint8_t *n = ingress ? &f->n_ingress : &f->n_egress;
		if (*n == VX_RULES_PER_FILTER)
			continue;
		struct vx_rule_cfg *r = ingress ? &f->ingress[(*n)++] : &f->egress[(*n)++];
		copy_text(r->id, sizeof(r->id), s, 0);
		r->number = (uint16_t)sqlite3_column_int(s, 2);
		r->accept = !strcmp(vx_col_text(s, 3), "accept");
		r->protocol = sqlite3_column_type(s, 4) == SQLITE_NULL
				      ? -1
				      : (int16_t)sqlite3_column_int(s, 4);
		int32_t *ports[] = {&r->sport_lo, &r->sport_hi, &r->dport_lo, &r->dport_hi};
		for (int k = 0; k < 4; k++)
			*ports[k] = sqlite3_column_type(s, 5 + k) == SQLITE_NULL
					    ? -1
					    : sqlite3_column_int(s, 5 + k);
		vx_cidr_parse(vx_col_text(s, 9), &r->src, NULL, 0);
		vx_cidr_parse(vx_col_text(s, 10), &r->dst, NULL, 0);
	}
	sqlite3_finalize(s);
}

static int load_sources(struct vx_store *st, struct vx_config *cfg)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(vx_store_db(st),
			       "SELECT s.eni_id, e.ifname, e.private_ip, e.present, s.id, "
			       "s.session_number, s.vni, s.packet_length, s.filter_id, s.target_id, "
			       "(SELECT value FROM tag WHERE resource_id=s.id AND key='" VX_TAG_MAX_MBPS
			       "'), (SELECT value FROM tag WHERE resource_id=s.id AND key='"
			       VX_TAG_MAX_PPS "') "
			       "FROM mirror_session s JOIN network_interface e ON e.id=s.eni_id "
			       "ORDER BY s.eni_id, s.session_number",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	size_t cap = 0;
	int rc = 0;
	struct vx_source_cfg *src = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (!src || strcmp(src->eni, vx_col_text(s, 0))) {
			src = append_slot(&cfg->sources, &cfg->n_sources, &cap,
					  sizeof(*cfg->sources));
			if (!src) {
				rc = -1;
				break;
			}
			copy_text(src->eni, sizeof(src->eni), s, 0);
			copy_text(src->ifname, sizeof(src->ifname), s, 1);
			copy_text(src->address, sizeof(src->address), s, 2);
			src->present = sqlite3_column_int(s, 3);
		}
		if (src->n_sessions == VX_SESSIONS_PER_SOURCE)
			continue;
		struct vx_session_cfg *ss = &src->sessions[src->n_sessions++];
		copy_text(ss->id, sizeof(ss->id), s, 4);
		ss->number = (uint16_t)sqlite3_column_int(s, 5);
		ss->vni = (uint32_t)sqlite3_column_int64(s, 6);
		ss->packet_length = (uint32_t)sqlite3_column_int(s, 7); /* NULL reads as 0 */
		ss->max_mbps = (uint32_t)sqlite3_column_int64(s, 10); /* checked when tagged */
		ss->max_pps = (uint32_t)sqlite3_column_int64(s, 11);
		load_filter(st, vx_col_text(s, 8), &ss->filter);
		ss->target = find_target(cfg, vx_col_text(s, 9));
	}
	sqlite3_finalize(s);
	return rc;
}

static int load_flow_logs(struct vx_store *st, struct vx_config *cfg)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(vx_store_db(st),
			       "SELECT id, resource_type, resource_id, traffic_type, destination_type, "
			       "destination, log_group, log_format, max_interval, hive, per_hour "
			       "FROM flow_log ORDER BY created, id",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	size_t cap = 0;
	int rc = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct vx_flowlog_cfg *f = append_slot(&cfg->flow_logs, &cfg->n_flow_logs, &cap,
						       sizeof(*cfg->flow_logs));
		if (!f) {
			rc = -1;
			break;
		}
		copy_text(f->id, sizeof(f->id), s, 0);
		copy_text(f->resource_type, sizeof(f->resource_type), s, 1);
		copy_text(f->resource_id, sizeof(f->resource_id), s, 2);
		copy_text(f->traffic_type, sizeof(f->traffic_type), s, 3);
		copy_text(f->destination_type, sizeof(f->destination_type), s, 4);
		copy_text(f->destination, sizeof(f->destination), s, 5);
		copy_text(f->log_group, sizeof(f->log_group), s, 6);
		copy_text(f->format, sizeof(f->format), s, 7);
		f->max_interval_s = (unsigned)sqlite3_column_int(s, 8);
		f->hive = sqlite3_column_int(s, 9);
		f->per_hour = sqlite3_column_int(s, 10);
	}
	sqlite3_finalize(s);
	return rc;
}

/* Host interfaces, each with the flow logs that cover it. */
static int load_ifaces(struct vx_store *st, struct vx_config *cfg)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(vx_store_db(st),
			       "SELECT id, ifname, private_ip, present, subnet_id FROM network_interface "
			       "WHERE kind='host' ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	size_t cap = 0;
	int rc = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct vx_iface_cfg *i =
			append_slot(&cfg->ifaces, &cfg->n_ifaces, &cap, sizeof(*cfg->ifaces));
		if (!i) {
			rc = -1;
			break;
		}
		copy_text(i->eni, sizeof(i->eni), s, 0);
		copy_text(i->ifname, sizeof(i->ifname), s, 1);
		copy_text(i->address, sizeof(i->address), s, 2);
		i->present = sqlite3_column_int(s, 3);
		char subnet[32];
		copy_text(subnet, sizeof(subnet), s, 4);
		if (!subnet[0])
			snprintf(subnet, sizeof(subnet), "%s", cfg->host.subnet_id);
		for (size_t f = 0; f < cfg->n_flow_logs; f++) {
			const struct vx_flowlog_cfg *fl = &cfg->flow_logs[f];
			const char *t = fl->resource_type;
			bool covers = (!strcmp(t, "NetworkInterface") && !strcmp(fl->resource_id, i->eni)) ||
				      (!strcmp(t, "Subnet") && !strcmp(fl->resource_id, subnet)) ||
				      (!strcmp(t, "VPC") && !strcmp(fl->resource_id, cfg->host.vpc_id));
			if (!covers)
				continue;
			if (i->n_flow_logs < VX_FLOWLOGS_PER_IFACE)
				i->flow_logs[i->n_flow_logs++] = (uint16_t)f;
			else
				i->flow_logs_over++;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---- security groups, network ACLs, interfaces ---- */

/* A rule's IpProtocol as the policy engine takes it: a number, -1 for all. */
static int16_t protocol_number(const char *p)
{
	static const struct {
		const char *name;
		int16_t number;
	} named[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!strcmp(p, named[i].name))
			return named[i].number;
	return (int16_t)atoi(p);
}

static int load_groups(struct vx_store *st, struct vx_policy_cfg *p)
{
	sqlite3 *db = vx_store_db(st);
	sqlite3_stmt *g, *r;
	if (sqlite3_prepare_v2(db, "SELECT id FROM security_group ORDER BY created, rowid", -1, &g,
			       NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT egress, protocol, from_port, to_port, cidr_ipv4, cidr_ipv6, "
			       "ref_group_id FROM security_group_rule WHERE group_id=? "
			       "ORDER BY egress, created, rowid",
			       -1, &r, NULL) != SQLITE_OK) {
		sqlite3_finalize(g);
		return -1;
	}
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && sqlite3_step(g) == SQLITE_ROW) {
		struct vx_sg_cfg *sg = append_slot(&p->groups, &p->n_groups, &cap, sizeof(*p->groups));
		if (!sg) {
			rc = -1;
			break;
		}
		copy_text(sg->id, sizeof(sg->id), g, 0);
		sqlite3_reset(r);
		sqlite3_bind_text(r, 1, sg->id, -1, SQLITE_STATIC);
		size_t rcap = 0;
		while (sqlite3_step(r) == SQLITE_ROW) {
			struct vx_sg_rule *rule =
				append_slot(&sg->rules, &sg->n_rules, &rcap, sizeof(*sg->rules));
			if (!rule) {
				rc = -1;
				break;
			}
			rule->egress = sqlite3_column_int(r, 0);
			rule->match.protocol = protocol_number(vx_col_text(r, 1));
			rule->match.from_port = sqlite3_column_int(r, 2);
			rule->match.to_port = sqlite3_column_int(r, 3);
			if (vx_col_text(r, 6)) {
				rule->by_group = true;
				copy_text(rule->group_id, sizeof(rule->group_id), r, 6);
			} else {
				vx_cidr_parse(vx_col_text(r, vx_col_text(r, 4) ? 4 : 5), &rule->cidr,
					      NULL, 0);
			}
		}
	}
	sqlite3_finalize(g);
	sqlite3_finalize(r);
	return rc;
}

static int load_nacls(struct vx_store *st, struct vx_policy_cfg *p)
{
	sqlite3 *db = vx_store_db(st);
	sqlite3_stmt *a, *e;
	if (sqlite3_prepare_v2(db, "SELECT id FROM network_acl ORDER BY created, rowid", -1, &a,
			       NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT egress, rule_number, protocol, action, cidr_ipv4, cidr_ipv6, "
			       "port_from, port_to, icmp_type, icmp_code FROM network_acl_entry "
			       "WHERE acl_id=? ORDER BY egress, rule_number",
			       -1, &e, NULL) != SQLITE_OK) {
		sqlite3_finalize(a);
		return -1;
	}
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && sqlite3_step(a) == SQLITE_ROW) {
		struct vx_nacl_cfg *acl = append_slot(&p->nacls, &p->n_nacls, &cap, sizeof(*p->nacls));
		if (!acl) {
			rc = -1;
			break;
		}
		copy_text(acl->id, sizeof(acl->id), a, 0);
		sqlite3_reset(e);
		sqlite3_bind_text(e, 1, acl->id, -1, SQLITE_STATIC);
		size_t ecap = 0;
		while (sqlite3_step(e) == SQLITE_ROW) {
			struct vx_nacl_entry *en = append_slot(&acl->entries, &acl->n_entries, &ecap,
							       sizeof(*acl->entries));
			if (!en) {
				rc = -1;
				break;
			}
			en->egress = sqlite3_column_int(e, 0);
			en->number = (uint16_t)sqlite3_column_int(e, 1);
			en->match.protocol = (int16_t)sqlite3_column_int(e, 2);
			en->allow = !strcmp(vx_col_text(e, 3), "allow");
			vx_cidr_parse(vx_col_text(e, vx_col_text(e, 4) ? 4 : 5), &en->cidr, NULL, 0);
			/* Ports of TCP and UDP, type and code of ICMP; -1 otherwise. */
			int from = sqlite3_column_type(e, 8) != SQLITE_NULL ? 8 : 6;
			en->match.from_port = sqlite3_column_type(e, from) == SQLITE_NULL
						      ? -1
						      : sqlite3_column_int(e, from);
			en->match.to_port = sqlite3_column_type(e, from + 1) == SQLITE_NULL
						    ? -1
						    : sqlite3_column_int(e, from + 1);
		}
	}
	sqlite3_finalize(a);
	sqlite3_finalize(e);
	return rc;
}

static void add_address(struct vx_policy_iface *pi, int family, const void *addr)
{
	size_t len = family == 4 ? 4 : 16;
	for (size_t i = 0; i < pi->n_addresses; i++)
		if (pi->addresses[i].family == family && !memcmp(pi->addresses[i].addr, addr, len))
			return;
	if (pi->n_addresses == sizeof(pi->addresses) / sizeof(pi->addresses[0]))
		return;
	pi->addresses[pi->n_addresses].family = (uint8_t)family;
	memset(pi->addresses[pi->n_addresses].addr, 0, 16);
	memcpy(pi->addresses[pi->n_addresses].addr, addr, len);
	pi->n_addresses++;
}

/* Every interface: its stored address first, then (a host interface that
 * is present) the addresses it has now; its groups; its subnet's ACL. */
static int load_policy_ifaces(struct vx_store *st, struct vx_policy_cfg *p)
{
	sqlite3 *db = vx_store_db(st);
	sqlite3_stmt *s, *g;
	if (sqlite3_prepare_v2(db,
			       "SELECT n.id, n.kind, n.ifname, n.private_ip, n.present, "
			       "(SELECT acl_id FROM network_acl_association WHERE subnet_id="
			       "COALESCE(n.subnet_id, (SELECT value FROM meta WHERE key='subnet-id'))) "
			       "FROM network_interface n ORDER BY n.kind, n.ifname, n.id",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT group_id FROM network_interface_group WHERE eni_id=? "
			       "ORDER BY position",
			       -1, &g, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return -1;
	}
	struct ifaddrs *live = NULL;
	if (getifaddrs(&live) < 0)
		live = NULL;
	size_t cap = 0;
	int rc = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct vx_policy_iface *pi =
			append_slot(&p->ifaces, &p->n_ifaces, &cap, sizeof(*p->ifaces));
		if (!pi) {
			rc = -1;
			break;
		}
		copy_text(pi->eni, sizeof(pi->eni), s, 0);
		copy_text(pi->nacl_id, sizeof(pi->nacl_id), s, 5);
		uint8_t family, addr[16];
		if (vx_col_text(s, 3) && vx_addr_parse(vx_col_text(s, 3), &family, addr) == 0)
			add_address(pi, family, addr);
		const char *ifname = vx_col_text(s, 2);
		if (!strcmp(vx_col_text(s, 1), "host") && sqlite3_column_int(s, 4) && ifname)
			for (struct ifaddrs *a = live; a; a = a->ifa_next) {
				if (!a->ifa_addr || strcmp(a->ifa_name, ifname))
					continue;
				if (a->ifa_addr->sa_family == AF_INET)
					add_address(pi, 4,
						    &((const struct sockaddr_in *)a->ifa_addr)->sin_addr);
				else if (a->ifa_addr->sa_family == AF_INET6)
					add_address(pi, 6,
						    &((const struct sockaddr_in6 *)a->ifa_addr)->sin6_addr);
			}
		sqlite3_reset(g);
		sqlite3_bind_text(g, 1, pi->eni, -1, SQLITE_STATIC);
		while (sqlite3_step(g) == SQLITE_ROW && pi->n_groups < VX_SG_PER_INTERFACE)
			copy_text(pi->groups[pi->n_groups++], sizeof(pi->groups[0]), g, 0);
	}
	if (live)
		freeifaddrs(live);
	sqlite3_finalize(s);
	sqlite3_finalize(g);
	return rc;
}

int vx_config_load(struct vx_store *st, struct vx_config **out, struct vx_err *err)
{
	*out = NULL;
	struct vx_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return vx_err_set(err, "InternalFailure", "out of memory loading the configuration");
	if (vx_store_begin(st, false, err) < 0) {
		free(cfg);
		return -1;
	}
	cfg->generation = vx_store_generation(st);
	int rc = vx_store_host(st, &cfg->host, err);
	if (rc == 0 && (load_targets(st, cfg) < 0 || load_sources(st, cfg) < 0 ||
			load_flow_logs(st, cfg) < 0 || load_ifaces(st, cfg) < 0 ||
			load_groups(st, &cfg->policy) < 0 || load_nacls(st, &cfg->policy) < 0 ||
			load_policy_ifaces(st, &cfg->policy) < 0))
		rc = vx_store_fail(st, err, "load configuration");
	vx_store_rollback(st); /* a read: nothing to commit */
	if (rc < 0) {
		vx_config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

void vx_config_free(struct vx_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_targets; i++)
		free(cfg->targets[i].members);
	free(cfg->targets);
	free(cfg->sources);
	free(cfg->flow_logs);
	free(cfg->ifaces);
	vx_policy_cfg_release(&cfg->policy);
	free(cfg);
}

static json_t *target_status(const struct vx_target_cfg *t)
{
	if (!t)
		return json_null();
	json_t *members = json_array();
	for (size_t i = 0; i < t->n_members; i++)
		json_array_append_new(members, json_pack("{s:s, s:i}", "Address", t->members[i].address,
							 "Port", t->members[i].port));
	json_t *o = json_pack("{s:s, s:s, s:o}", "TrafficMirrorTargetId", t->id, "Type",
			      t->group ? "network-load-balancer" : "network-interface", "Members",
			      members);
	if (t->group)
		json_object_set_new(o, "HealthCheck",
				    json_pack("{s:i, s:i, s:i, s:i, s:i}", "Port", t->hc_port,
					      "IntervalSeconds", t->hc_interval_s, "TimeoutSeconds",
					      t->hc_timeout_s, "HealthyThresholdCount",
					      t->healthy_threshold, "UnhealthyThresholdCount",
					      t->unhealthy_threshold));
	return o;
}

json_t *vx_config_json(const struct vx_config *cfg)
{
	json_t *sources = json_array();
	for (size_t i = 0; i < cfg->n_sources; i++) {
		const struct vx_source_cfg *src = &cfg->sources[i];
		json_t *sessions = json_array();
		for (unsigned k = 0; k < src->n_sessions; k++) {
			const struct vx_session_cfg *s = &src->sessions[k];
			json_t *o = json_pack("{s:s, s:i, s:I, s:s, s:i, s:i, s:b, s:o}",
					      "TrafficMirrorSessionId", s->id, "SessionNumber",
					      s->number, "VirtualNetworkId", (json_int_t)s->vni,
					      "TrafficMirrorFilterId", s->filter.id, "IngressRules",
					      s->filter.n_ingress, "EgressRules", s->filter.n_egress,
					      "AmazonDns", s->filter.amazon_dns, "Target",
					      target_status(s->target));
			if (s->packet_length)
				json_object_set_new(o, "PacketLength", json_integer(s->packet_length));
			if (s->max_mbps)
				json_object_set_new(o, "MaxMbps", json_integer(s->max_mbps));
			if (s->max_pps)
				json_object_set_new(o, "MaxPps", json_integer(s->max_pps));
			json_array_append_new(sessions, o);
		}
		json_array_append_new(sources,
				      json_pack("{s:s, s:s, s:s, s:b, s:o}", "NetworkInterfaceId",
						src->eni, "InterfaceName", src->ifname, "Address",
						src->address, "Present", src->present, "Sessions",
						sessions));
	}
	json_t *flow_logs = json_array();
	for (size_t i = 0; i < cfg->n_flow_logs; i++) {
		const struct vx_flowlog_cfg *f = &cfg->flow_logs[i];
		json_t *names = json_array(); /* the host interfaces it covers */
		for (size_t k = 0; k < cfg->n_ifaces; k++)
			for (unsigned j = 0; j < cfg->ifaces[k].n_flow_logs; j++)
				if (cfg->ifaces[k].flow_logs[j] == i)
					json_array_append_new(names,
							      json_string(cfg->ifaces[k].ifname));
		json_array_append_new(
			flow_logs,
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o}", "FlowLogId", f->id,
				  "ResourceId", f->resource_id, "TrafficType", f->traffic_type,
				  "LogDestinationType", f->destination_type, "LogFormat", f->format,
				  "MaxAggregationInterval", f->max_interval_s, "InterfaceNames",
				  names));
	}
	/* Policy: how many groups and ACLs, and each interface's. */
	const struct vx_policy_cfg *p = &cfg->policy;
	json_t *ifaces = json_array();
	for (size_t i = 0; i < p->n_ifaces; i++) {
		const struct vx_policy_iface *pi = &p->ifaces[i];
		json_t *groups = json_array();
		for (unsigned k = 0; k < pi->n_groups; k++)
			json_array_append_new(groups, json_string(pi->groups[k]));
		json_t *o = json_pack("{s:s, s:o}", "NetworkInterfaceId", pi->eni, "Groups", groups);
		if (pi->nacl_id[0])
			json_object_set_new(o, "NetworkAclId", json_string(pi->nacl_id));
		json_array_append_new(ifaces, o);
	}
	json_t *policy = json_pack("{s:I, s:I, s:o}", "SecurityGroups", (json_int_t)p->n_groups,
				   "NetworkAcls", (json_int_t)p->n_nacls, "Interfaces", ifaces);
	return json_pack("{s:I, s:{s:s, s:s, s:s, s:s, s:s}, s:o, s:o, s:o}", "Generation",
			 (json_int_t)cfg->generation, "Host", "AccountId", cfg->host.account_id,
			 "Region", cfg->host.region, "VpcId", cfg->host.vpc_id, "SubnetId",
			 cfg->host.subnet_id, "InstanceId", cfg->host.instance_id, "Sources",
			 sources, "FlowLogs", flow_logs, "Policy", policy);
}
