/* The SQLite state store: open, migrate, transactions, generation, IDs. */
#include "vxtap/store.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct vx_store {
	sqlite3 *db;
	char path[PATH_MAX];
};

int vx_err_set(struct vx_err *err, const char *code, const char *fmt, ...)
{
	if (!err)
		return -1;
	snprintf(err->code, sizeof(err->code), "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

int vx_store_fail(struct vx_store *st, struct vx_err *err, const char *what)
{
	return vx_err_set(err, "InternalFailure", "state store %s: %s: %s", st->path, what,
			  sqlite3_errmsg(st->db));
}

int vx_store_default_path(char *buf, size_t len)
{
	int n;
	const char *env = getenv("VXTAP_STATE");
	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/var/lib/vxtap/state.db");
	else if (getenv("XDG_STATE_HOME") && *getenv("XDG_STATE_HOME"))
		n = snprintf(buf, len, "%s/vxtap/state.db", getenv("XDG_STATE_HOME"));
	else if (getenv("HOME") && *getenv("HOME"))
		n = snprintf(buf, len, "%s/.local/state/vxtap/state.db", getenv("HOME"));
	else
		n = snprintf(buf, len, "vxtap-state.db");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int vx_store_exec(struct vx_store *st, struct vx_err *err, const char *sql, int nargs,
		  const char *const *args)
{
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return vx_store_fail(st, err, "prepare");
	for (int i = 0; i < nargs; i++)
		sqlite3_bind_text(stmt, i + 1, args[i], -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return vx_store_fail(st, err, "write");
	return 0;
}

/* Schema version 1. Columns that an API field may leave unset are NULL. */
static const char SCHEMA_V1[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE network_interface("
	"  id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK(kind IN ('host','remote')),"
	"  ifname TEXT UNIQUE, description TEXT NOT NULL DEFAULT '', mac TEXT,"
	"  private_ip TEXT, subnet_id TEXT, present INTEGER NOT NULL DEFAULT 1,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE load_balancer("
	"  arn TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, hc_port INTEGER NOT NULL,"
	"  hc_interval INTEGER NOT NULL, hc_timeout INTEGER NOT NULL,"
	"  healthy_threshold INTEGER NOT NULL, unhealthy_threshold INTEGER NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE load_balancer_member("
	"  arn TEXT NOT NULL REFERENCES load_balancer(arn) ON DELETE CASCADE,"
	"  address TEXT NOT NULL, port INTEGER NOT NULL, PRIMARY KEY(arn, address, port));"
	"CREATE TABLE mirror_target("
	"  id TEXT PRIMARY KEY, type TEXT NOT NULL,"
	"  eni_id TEXT REFERENCES network_interface(id), lb_arn TEXT REFERENCES load_balancer(arn),"
	"  description TEXT, created INTEGER NOT NULL);"
	"CREATE TABLE mirror_filter("
	"  id TEXT PRIMARY KEY, description TEXT, amazon_dns INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE mirror_filter_rule("
	"  id TEXT PRIMARY KEY,"
	"  filter_id TEXT NOT NULL REFERENCES mirror_filter(id) ON DELETE CASCADE,"
	"  direction TEXT NOT NULL, rule_number INTEGER NOT NULL, action TEXT NOT NULL,"
	"  protocol INTEGER, dst_from INTEGER, dst_to INTEGER, src_from INTEGER, src_to INTEGER,"
	"  dst_cidr TEXT NOT NULL, src_cidr TEXT NOT NULL, description TEXT,"
	"  created INTEGER NOT NULL, UNIQUE(filter_id, direction, rule_number));"
	"CREATE TABLE mirror_session("
	"  id TEXT PRIMARY KEY, eni_id TEXT NOT NULL REFERENCES network_interface(id),"
	"  target_id TEXT NOT NULL REFERENCES mirror_target(id),"
	"  filter_id TEXT NOT NULL REFERENCES mirror_filter(id),"
	"  packet_length INTEGER, session_number INTEGER NOT NULL, vni INTEGER NOT NULL,"
	"  description TEXT, created INTEGER NOT NULL, UNIQUE(eni_id, session_number));"
	"CREATE TABLE flow_log("
	"  id TEXT PRIMARY KEY, resource_type TEXT NOT NULL, resource_id TEXT NOT NULL,"
	"  traffic_type TEXT NOT NULL, destination_type TEXT NOT NULL, destination TEXT,"
	"  log_group TEXT, permission_arn TEXT, cross_account_role TEXT,"
	"  log_format TEXT NOT NULL, max_interval INTEGER NOT NULL, file_format TEXT,"
	"  hive INTEGER, per_hour INTEGER, created INTEGER NOT NULL);"
	"CREATE TABLE tag(resource_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
	"  seq INTEGER NOT NULL, PRIMARY KEY(resource_id, key));"
	"CREATE TABLE client_token(token TEXT PRIMARY KEY, action TEXT NOT NULL,"
	"  request TEXT NOT NULL, response TEXT NOT NULL, created INTEGER NOT NULL);"
	"CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,"
	"  principal TEXT NOT NULL, source TEXT NOT NULL, action TEXT NOT NULL,"
	"  request TEXT NOT NULL, result TEXT NOT NULL);"
	"INSERT INTO meta VALUES('generation','0');";

/* Schema version 2: security groups and their rules, the groups of each
 * interface, network ACLs with their entries, and the ACL of each subnet.
 * The default group and ACL are created by vx_store_seed_policy. */
static const char SCHEMA_V2[] =
	"CREATE TABLE security_group("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL,"
	"  is_default INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
	"CREATE TABLE security_group_rule("
	"  id TEXT PRIMARY KEY,"
	"  group_id TEXT NOT NULL REFERENCES security_group(id) ON DELETE CASCADE,"
	"  egress INTEGER NOT NULL, protocol TEXT NOT NULL,"
	"  from_port INTEGER NOT NULL, to_port INTEGER NOT NULL,"
	"  cidr_ipv4 TEXT, cidr_ipv6 TEXT, ref_group_id TEXT REFERENCES security_group(id),"
	"  description TEXT, created INTEGER NOT NULL);"
	"CREATE INDEX security_group_rule_group ON security_group_rule(group_id, egress);"
	"CREATE TABLE network_interface_group("
	"  eni_id TEXT NOT NULL REFERENCES network_interface(id) ON DELETE CASCADE,"
	"  group_id TEXT NOT NULL REFERENCES security_group(id),"
	"  position INTEGER NOT NULL, PRIMARY KEY(eni_id, group_id));"
	"CREATE TABLE network_acl("
	"  id TEXT PRIMARY KEY, is_default INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
	"CREATE TABLE network_acl_entry("
	"  acl_id TEXT NOT NULL REFERENCES network_acl(id) ON DELETE CASCADE,"
	"  egress INTEGER NOT NULL, rule_number INTEGER NOT NULL, protocol INTEGER NOT NULL,"
	"  action TEXT NOT NULL, cidr_ipv4 TEXT, cidr_ipv6 TEXT, port_from INTEGER,"
	"  port_to INTEGER, icmp_type INTEGER, icmp_code INTEGER,"
	"  PRIMARY KEY(acl_id, egress, rule_number));"
	"CREATE TABLE network_acl_association("
	"  id TEXT PRIMARY KEY, subnet_id TEXT NOT NULL UNIQUE,"
	"  acl_id TEXT NOT NULL REFERENCES network_acl(id));";

/* Schema version 3: access keys for the EC2 API's signatures (the secret
 * is kept as issued: Signature Version 4 needs it to check a request). */
static const char SCHEMA_V3[] =
	"CREATE TABLE access_key("
	"  id TEXT PRIMARY KEY, secret TEXT NOT NULL, user_name TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK(status IN ('Active','Inactive')), created INTEGER NOT NULL);";

/* Migrations, index = version reached. Add a step here, never edit one. */
static const char *const MIGRATIONS[] = {NULL, SCHEMA_V1, SCHEMA_V2, SCHEMA_V3};

static void random_hex(char *out, size_t ndigits)
{
	uint8_t raw[32];
	size_t nbytes = (ndigits + 1) / 2;
	if (getrandom(raw, nbytes, 0) != (ssize_t)nbytes) {
		/* getrandom cannot fail for small reads once the pool is ready;
		 * fall back to something unique per process and call anyway. */
		static unsigned counter;
		for (size_t i = 0; i < nbytes; i++)
			raw[i] = (uint8_t)(rand() ^ (getpid() >> (i % 3)) ^ counter++);
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < ndigits; i++)
		out[i] = hex[(raw[i / 2] >> ((i & 1) ? 0 : 4)) & 15];
	out[ndigits] = '\0';
}

void vx_store_new_id(const char *prefix, char *out, size_t len)
{
	char hex[18];
	random_hex(hex, 17);
	snprintf(out, len, "%s-%s", prefix, hex);
}

/* Host defaults: an account and a region that are obviously local, and
 * random VPC, subnet and instance IDs kept for the life of the store. */
static int seed_host(struct vx_store *st, struct vx_err *err)
{
	char vpc[32], subnet[32], instance[32];
	vx_store_new_id("vpc", vpc, sizeof(vpc));
	vx_store_new_id("subnet", subnet, sizeof(subnet));
	vx_store_new_id("i", instance, sizeof(instance));
	const char *pairs[][2] = {
		{"account-id", "000000000000"}, {"region", "us-east-1"},
		{"vpc-id", vpc},		{"subnet-id", subnet},
		{"instance-id", instance},	{"availability-zone", "us-east-1a"},
		{"az-id", "use1-az1"},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (vx_store_exec(st, err, "INSERT OR IGNORE INTO meta VALUES(?,?)", 2, pairs[i]) < 0)
			return -1;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool policy_row_exists(struct vx_store *st, const char *sql)
{
	sqlite3_stmt *s;
	bool found = false;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK)
		found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* One rule of a default group: protocol -1, to a CIDR or from a group. */
static int seed_group_rule(struct vx_store *st, struct vx_err *err, const char *group, bool egress,
			   const char *cidr4, const char *cidr6, const char *ref, int64_t created)
{
	char id[32], when[24];
	vx_store_new_id("sgr", id, sizeof(id));
	snprintf(when, sizeof(when), "%lld", (long long)created);
	const char *args[] = {id, group, egress ? "1" : "0", cidr4, cidr6, ref, when};
	return vx_store_exec(st, err,
			     "INSERT INTO security_group_rule(id, group_id, egress, protocol, "
			     "from_port, to_port, cidr_ipv4, cidr_ipv6, ref_group_id, created) "
			     "VALUES(?1,?2,CAST(?3 AS INTEGER),'-1',-1,-1,?4,?5,?6,CAST(?7 AS INTEGER))",
			     7, args);
}

int vx_store_seed_policy(struct vx_store *st, struct vx_err *err)
{
	int64_t created = now_ms();
	char when[24];
	snprintf(when, sizeof(when), "%lld", (long long)created);
	if (!policy_row_exists(st, "SELECT 1 FROM security_group WHERE is_default=1")) {
		/* AWS's default group: all traffic from its own members, all
		 * traffic out (IPv4 and IPv6: the host's VPC is dual-stack). */
		char sg[32];
		vx_store_new_id("sg", sg, sizeof(sg));
		const char *args[] = {sg, when};
		if (vx_store_exec(st, err,
				  "INSERT INTO security_group(id, name, description, is_default, "
				  "created) VALUES(?1,'default','default VPC security group',1,"
				  "CAST(?2 AS INTEGER))",
				  2, args) < 0 ||
		    seed_group_rule(st, err, sg, false, NULL, NULL, sg, created) < 0 ||
		    seed_group_rule(st, err, sg, true, "0.0.0.0/0", NULL, NULL, created) < 0 ||
		    seed_group_rule(st, err, sg, true, NULL, "::/0", NULL, created) < 0)
			return -1;
	}
	if (!policy_row_exists(st, "SELECT 1 FROM network_acl WHERE is_default=1")) {
		/* AWS's default ACL: rule 100 allows all IPv4 traffic and rule
		 * 101 all IPv6 traffic, in both directions. */
		char acl[32];
		vx_store_new_id("acl", acl, sizeof(acl));
		const char *args[] = {acl, when};
		if (vx_store_exec(st, err,
				  "INSERT INTO network_acl(id, is_default, created) "
				  "VALUES(?1,1,CAST(?2 AS INTEGER))",
				  2, args) < 0 ||
		    vx_store_exec(st, err,
				  "INSERT INTO network_acl_entry(acl_id, egress, rule_number, protocol, "
				  "action, cidr_ipv4, cidr_ipv6) VALUES"
				  "(?1,0,100,-1,'allow','0.0.0.0/0',NULL),"
				  "(?1,0,101,-1,'allow',NULL,'::/0'),"
				  "(?1,1,100,-1,'allow','0.0.0.0/0',NULL),"
				  "(?1,1,101,-1,'allow',NULL,'::/0')",
				  1, args) < 0)
			return -1;
	}
	return 0;
}

/* The subnets that exist: the host's and those registered interfaces name. */
#define SUBNETS_SQL                                                                                \
	"SELECT value FROM meta WHERE key='subnet-id' UNION "                                      \
	"SELECT subnet_id FROM network_interface WHERE subnet_id IS NOT NULL"

int vx_store_sync_acl_associations(struct vx_store *st, struct vx_err *err)
{
	if (vx_store_exec(st, err,
			  "DELETE FROM network_acl_association WHERE subnet_id NOT IN (" SUBNETS_SQL
			  ")",
			  0, NULL) < 0)
		return -1;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT value, (SELECT id FROM network_acl WHERE is_default=1) FROM ("
			       SUBNETS_SQL ") WHERE value NOT IN "
			       "(SELECT subnet_id FROM network_acl_association) ORDER BY value",
			       -1, &s, NULL) != SQLITE_OK)
		return vx_store_fail(st, err, "read subnets");
	int rc = 0;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		const char *acl = (const char *)sqlite3_column_text(s, 1);
		if (!acl)
			break; /* no default ACL (yet): nothing to associate */
		char id[40];
		vx_store_new_id("aclassoc", id, sizeof(id));
		const char *args[] = {id, (const char *)sqlite3_column_text(s, 0), acl};
		rc = vx_store_exec(st, err, "INSERT INTO network_acl_association VALUES(?,?,?)", 3,
				   args);
	}
	sqlite3_finalize(s);
	return rc;
}

static int migrate(struct vx_store *st, struct vx_err *err)
{
	if (vx_store_begin(st, true, err) < 0)
		return -1;
	sqlite3_stmt *stmt;
	int version = 0;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (version > VX_STORE_SCHEMA_VERSION) {
		vx_store_rollback(st);
		return vx_err_set(err, "InvalidState",
				  "state store %s has schema version %d; this vxtap knows up to %d "
				  "(upgrade vxtap)",
				  st->path, version, VX_STORE_SCHEMA_VERSION);
	}
	for (int v = version + 1; v <= VX_STORE_SCHEMA_VERSION; v++) {
		char *msg = NULL;
		if (sqlite3_exec(st->db, MIGRATIONS[v], NULL, NULL, &msg) != SQLITE_OK) {
			vx_err_set(err, "InternalFailure", "state store %s: migration to version %d: %s",
				   st->path, v, msg ? msg : "?");
			sqlite3_free(msg);
			vx_store_rollback(st);
			return -1;
		}
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", v);
		sqlite3_exec(st->db, pragma, NULL, NULL, NULL);
		/* What a step needs beyond SQL: the host's identity with the
		 * first schema, the default group and ACL with the second. */
		if ((v == 1 && seed_host(st, err) < 0) ||
		    (v == 2 && (vx_store_seed_policy(st, err) < 0 ||
				vx_store_sync_acl_associations(st, err) < 0))) {
			vx_store_rollback(st);
			return -1;
		}
	}
	return vx_store_commit(st, err);
}

int vx_store_open(struct vx_store **out, const char *path, struct vx_err *err)
{
	*out = NULL;
	struct vx_store *st = calloc(1, sizeof(*st));
	if (!st)
		return vx_err_set(err, "InternalFailure", "out of memory");
	if (snprintf(st->path, sizeof(st->path), "%s", path) >= (int)sizeof(st->path)) {
		free(st);
		return vx_err_set(err, "InvalidParameterValue", "state path is too long");
	}
	if (make_parent_dirs(path) < 0) {
		vx_err_set(err, "InvalidParameterValue", "state store %s: cannot create its directory: %s",
			   path, strerror(errno));
		free(st);
		return -1;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		vx_err_set(err, "InvalidParameterValue", "state store %s: cannot open: %s", path,
			   st->db ? sqlite3_errmsg(st->db) : "out of memory");
		sqlite3_close(st->db);
		free(st);
		return -1;
	}
	/* Writers wait for each other rather than fail: a CLI call holds the
	 * lock for milliseconds. FULL sync: a change reported done is on disk. */
	sqlite3_busy_timeout(st->db, 30000);
	char *msg = NULL;
	if (sqlite3_exec(st->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
			 NULL, NULL, &msg) != SQLITE_OK) {
		vx_err_set(err, "InvalidParameterValue", "state store %s: %s (is it a vxtap state file?)",
			   path, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		vx_store_close(st);
		return -1;
	}
	if (migrate(st, err) < 0) {
		vx_store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void vx_store_close(struct vx_store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st);
}

sqlite3 *vx_store_db(struct vx_store *st)
{
	return st->db;
}

const char *vx_store_path(const struct vx_store *st)
{
	return st->path;
}

int vx_store_begin(struct vx_store *st, bool write, struct vx_err *err)
{
	if (sqlite3_exec(st->db, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return vx_store_fail(st, err, "begin");
	return 0;
}

int vx_store_commit(struct vx_store *st, struct vx_err *err)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		vx_store_fail(st, err, "commit");
		vx_store_rollback(st);
		return -1;
	}
	return 0;
}

void vx_store_rollback(struct vx_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int vx_store_bump_generation(struct vx_store *st, struct vx_err *err)
{
	return vx_store_exec(st, err,
			     "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'",
			     0, NULL);
}

int64_t vx_store_generation(struct vx_store *st)
{
	sqlite3_stmt *stmt;
	int64_t gen = -1;
	if (sqlite3_prepare_v2(st->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='generation'",
			       -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		gen = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return gen;
}

int64_t vx_store_data_version(struct vx_store *st)
{
	sqlite3_stmt *stmt;
	int64_t v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

int vx_store_meta_set(struct vx_store *st, const char *key, const char *value, struct vx_err *err)
{
	const char *args[] = {key, value};
	return vx_store_exec(st, err, "INSERT OR REPLACE INTO meta VALUES(?,?)", 2, args);
}

int vx_store_host(struct vx_store *st, struct vx_host *host, struct vx_err *err)
{
	memset(host, 0, sizeof(*host));
	struct {
		const char *key;
		char *dst;
		size_t len;
	} map[] = {
		{"account-id", host->account_id, sizeof(host->account_id)},
		{"region", host->region, sizeof(host->region)},
		{"vpc-id", host->vpc_id, sizeof(host->vpc_id)},
		{"subnet-id", host->subnet_id, sizeof(host->subnet_id)},
		{"instance-id", host->instance_id, sizeof(host->instance_id)},
		{"availability-zone", host->availability_zone, sizeof(host->availability_zone)},
		{"az-id", host->az_id, sizeof(host->az_id)},
	};
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key=?", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return vx_store_fail(st, err, "read host metadata");
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		sqlite3_reset(stmt);
		sqlite3_bind_text(stmt, 1, map[i].key, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) == SQLITE_ROW)
			snprintf(map[i].dst, map[i].len, "%s",
				 (const char *)sqlite3_column_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	return 0;
}

const char *vx_store_access_key_secret(struct vx_store *st, const char *key_id, char *buf,
				       size_t len)
{
	sqlite3_stmt *stmt;
	const char *found = NULL;
	if (!key_id || !buf || !len ||
	    sqlite3_prepare_v2(st->db,
			       "SELECT secret FROM access_key WHERE id=? AND status='Active'", -1,
			       &stmt, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(stmt, 1, key_id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *secret = (const char *)sqlite3_column_text(stmt, 0);
		if (secret && strlen(secret) < len) {
			memcpy(buf, secret, strlen(secret) + 1);
			found = buf;
		}
	}
	sqlite3_finalize(stmt);
	return found;
}

void vx_iso_now(char *out, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}
