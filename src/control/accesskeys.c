/* Access keys: the credentials the EC2 API checks Signature Version 4
 * requests against. The verbs and their answers are IAM's
 * (CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey); a
 * user name is a label that groups keys (IAM's quota of two keys per user
 * applies to it). The secret is shown once, by create-access-key: list
 * does not show it, export leaves keys out and the audit log keeps the
 * secret redacted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "handlers.h"

#define KEYS_PER_USER 2
#define DEFAULT_USER  "default"

/* IAM's form of a constraint failure on one member. */
static int validation(struct vx_call *c, const char *member, const char *value,
                      const char *constraint)
{
	return vx_err_set(c->err, "ValidationError",
	                  "1 validation error detected: Value '%s' at '%s' failed to satisfy "
	                  "constraint: Member %s",
	                  value, member, constraint);
}

static int check_user_name(struct vx_call *c, const char *name)
{
	size_t n = strlen(name);
	if (n < 1)
		return validation(c, "userName", name,
		                  "must have length greater than or equal to 1");
	if (n > 64)
		return validation(c, "userName", name, "must have length less than or equal to 64");
	if (!vx_text_matches(name, "^[A-Za-z0-9_+=,.@-]+$"))
		return validation(c, "userName", name,
		                  "must satisfy regular expression pattern: [\\w+=,.@-]+");
	return 0;
}

static int check_key_id(struct vx_call *c, const char *id)
{
	size_t n = strlen(id);
	if (n < 16)
		return validation(c, "accessKeyId", id,
		                  "must have length greater than or equal to 16");
	if (n > 128)
		return validation(c, "accessKeyId", id,
		                  "must have length less than or equal to 128");
	if (!vx_text_matches(id, "^[A-Za-z0-9_]+$"))
		return validation(c, "accessKeyId", id,
		                  "must satisfy regular expression pattern: [\\w]+");
	return 0;
}

static int no_such_key(struct vx_call *c, const char *id)
{
	return vx_err_set(c->err, "NoSuchEntity", "The Access Key with id %s cannot be found.", id);
}

static int random_bytes(struct vx_call *c, uint8_t *b, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(b + got, n - got, 0);
		if (r <= 0)
			return vx_err_set(c->err, "InternalFailure",
			                  "No random bytes for a new access key.");
		got += (size_t)r;
	}
	return 0;
}

/* AKIA and 16 characters of base32 (A-Z, 2-7), as AWS's key IDs are. */
static int new_key_id(struct vx_call *c, char out[21])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint8_t raw[10];
	if (random_bytes(c, raw, sizeof(raw)) < 0)
		return -1;
	memcpy(out, "AKIA", 4);
	for (size_t i = 0; i < 16; i++) {
		size_t bit = i * 5, byte = bit / 8;
		unsigned v =
		    (unsigned)raw[byte] << 8 | (byte + 1 < sizeof(raw) ? raw[byte + 1] : 0u);
		out[4 + i] = b32[(v >> (11 - bit % 8)) & 31];
	}
	out[20] = '\0';
	return 0;
}

/* 40 characters of base64 (A-Z, a-z, 0-9, + and /) from 30 random bytes,
 * as AWS's secrets are. */
static int new_secret(struct vx_call *c, char out[41])
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t raw[30];
	if (random_bytes(c, raw, sizeof(raw)) < 0)
		return -1;
	for (size_t i = 0; i < 10; i++) {
		uint32_t v =
		    (uint32_t)raw[3 * i] << 16 | (uint32_t)raw[3 * i + 1] << 8 | raw[3 * i + 2];
		for (size_t j = 0; j < 4; j++)
			out[4 * i + j] = b64[(v >> (18 - 6 * j)) & 63];
	}
	out[40] = '\0';
	memset(raw, 0, sizeof(raw));
	return 0;
}

/* IAM's timestamps have whole seconds. */
static void create_date(int64_t ms, char *out, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

static long long count_keys(struct vx_store *st, const char *user)
{
	sqlite3_stmt *s;
	long long n = 0;
	if (sqlite3_prepare_v2(vx_store_db(st), "SELECT COUNT(*) FROM access_key WHERE user_name=?",
	                       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return n;
}

int vx_h_create_access_key(struct vx_call *c)
{
	const char *user = vx_req_str(c, "UserName");
	if (!user)
		user = DEFAULT_USER;
	if (check_user_name(c, user) < 0)
		return -1;
	if (count_keys(c->store, user) >= KEYS_PER_USER)
		return vx_err_set(c->err, "LimitExceeded",
		                  "Cannot exceed quota for AccessKeysPerUser: %d", KEYS_PER_USER);
	char id[21], secret[41], when[24], date[40];
	/* A collision of 80 random bits is not expected; retry anyway. */
	do {
		if (new_key_id(c, id) < 0)
			return -1;
	} while (vx_row_exists(c->store, "access_key", "id", id));
	if (new_secret(c, secret) < 0)
		return -1;
	int64_t now = vx_now_ms();
	snprintf(when, sizeof(when), "%lld", (long long)now);
	const char *args[] = {id, secret, user, when};
	int rc = vx_store_exec(c->store, c->err,
	                       "INSERT INTO access_key(id, secret, user_name, status, created) "
	                       "VALUES(?1,?2,?3,'Active',CAST(?4 AS INTEGER))",
	                       4, args);
	if (rc == 0) {
		create_date(now, date, sizeof(date));
		c->resp = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}}", "AccessKey", "UserName", user,
		                    "AccessKeyId", id, "Status", "Active", "SecretAccessKey",
		                    secret, "CreateDate", date);
	}
	memset(secret, 0, sizeof(secret));
	return rc;
}

static json_t *render_key(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	(void)st;
	(void)ctx;
	char date[40];
	create_date(sqlite3_column_int64(s, 3), date, sizeof(date));
	return json_pack("{s:s, s:s, s:s, s:s}", "UserName", vx_col_text(s, 0), "AccessKeyId",
	                 vx_col_text(s, 1), "Status", vx_col_text(s, 2), "CreateDate", date);
}

int vx_h_list_access_keys(struct vx_call *c)
{
	const char *user = vx_req_str(c, "UserName");
	if (user && check_user_name(c, user) < 0)
		return -1;
	json_t *keys = vx_rows_json(c->store,
	                            user ? "SELECT user_name, id, status, created FROM access_key "
	                                   "WHERE user_name=? ORDER BY created, rowid"
	                                 : "SELECT user_name, id, status, created FROM access_key "
	                                   "ORDER BY user_name, created, rowid",
	                            user, render_key, NULL);
	c->resp = json_pack("{s:o, s:b}", "AccessKeyMetadata", keys, "IsTruncated", 0);
	return 0;
}

/* The key named by the request, which must belong to UserName when given. */
static int find_key(struct vx_call *c, const char **id_out)
{
	const char *id = vx_req_str(c, "AccessKeyId");
	const char *user = vx_req_str(c, "UserName");
	if (check_key_id(c, id) < 0 || (user && check_user_name(c, user) < 0))
		return -1;
	sqlite3_stmt *s;
	bool found = false;
	if (sqlite3_prepare_v2(
	        vx_store_db(c->store),
	        "SELECT 1 FROM access_key WHERE id=?1 AND (?2 IS NULL OR user_name=?2)", -1, &s,
	        NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		if (user)
			sqlite3_bind_text(s, 2, user, -1, SQLITE_STATIC);
		found = sqlite3_step(s) == SQLITE_ROW;
	}
	sqlite3_finalize(s);
	if (!found)
		return no_such_key(c, id);
	*id_out = id;
	return 0;
}

int vx_h_update_access_key(struct vx_call *c)
{
	const char *id, *status = vx_req_str(c, "Status");
	if (strcmp(status, "Active") && strcmp(status, "Inactive"))
		return validation(c, "status", status,
		                  "must satisfy enum value set: [Active, Inactive]");
	if (find_key(c, &id) < 0)
		return -1;
	const char *args[] = {status, id};
	if (vx_store_exec(c->store, c->err, "UPDATE access_key SET status=? WHERE id=?", 2, args) <
	    0)
		return -1;
	c->resp = json_object();
	return 0;
}

int vx_h_delete_access_key(struct vx_call *c)
{
	const char *id;
	if (find_key(c, &id) < 0)
		return -1;
	const char *args[] = {id};
	if (vx_store_exec(c->store, c->err, "DELETE FROM access_key WHERE id=?", 1, args) < 0)
		return -1;
	c->resp = json_object();
	return 0;
}
