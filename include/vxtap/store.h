/* The state store: one SQLite file (WAL) holding every control-plane object.
 *
 * Writers take the database's write lock for the whole of one call
 * (BEGIN IMMEDIATE), so concurrent CLI processes serialise and a call either
 * commits whole or changes nothing. Every commit that changes objects bumps
 * the store's generation, which the daemon watches. */
#ifndef VXTAP_STORE_H
#define VXTAP_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An error as the API reports it: an AWS error code and a message that names
 * the field, quotes the bad value and says what is allowed. */
struct vx_err {
	char code[64];
	char message[1024];
};

/* Fill err (when not NULL) and return -1. */
int vx_err_set(struct vx_err *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Schema version this build writes; older stores are migrated on open. */
#define VX_STORE_SCHEMA_VERSION 3

/* Where the state lives when --state and $VXTAP_STATE are not given:
 * /var/lib/vxtap/state.db for root, else $XDG_STATE_HOME/vxtap/state.db
 * (~/.local/state/vxtap/state.db). Returns 0 or -1 when it does not fit. */
int vx_store_default_path(char *buf, size_t len);

/* The host's identity, set once with `vxtap configure`: it is what a VPC
 * would say about this machine, and it appears in IDs, ARNs and records. */
struct vx_host {
	char account_id[16];
	char region[32];
	char vpc_id[32];
	char subnet_id[32];
	char instance_id[32];
	char availability_zone[32];
	char az_id[32];
};

struct vx_store;

/* Open (creating directories and the file when missing) and migrate. */
int vx_store_open(struct vx_store **out, const char *path, struct vx_err *err);
void vx_store_close(struct vx_store *st);

sqlite3 *vx_store_db(struct vx_store *st);
const char *vx_store_path(const struct vx_store *st);

/* Transactions: write=true takes the write lock at once. */
int vx_store_begin(struct vx_store *st, bool write, struct vx_err *err);
int vx_store_commit(struct vx_store *st, struct vx_err *err);
void vx_store_rollback(struct vx_store *st);

/* Generation: bumped once per committed change (inside the transaction). */
int vx_store_bump_generation(struct vx_store *st, struct vx_err *err);
int64_t vx_store_generation(struct vx_store *st);

/* SQLite's data_version: changes when another connection commits. Cheap;
 * the daemon polls it and re-reads the generation when it moves. */
int64_t vx_store_data_version(struct vx_store *st);

/* Host metadata (meta table). */
int vx_store_host(struct vx_store *st, struct vx_host *host, struct vx_err *err);
int vx_store_meta_set(struct vx_store *st, const char *key, const char *value,
		      struct vx_err *err);

/* A new random ID: prefix, '-', 17 lowercase hex digits (AWS's format). */
void vx_store_new_id(const char *prefix, char *out, size_t len);

/* Run SQL with text parameters bound in order (NULL binds SQL NULL).
 * Returns 0, or -1 with err set to InternalFailure naming the SQLite error. */
int vx_store_exec(struct vx_store *st, struct vx_err *err, const char *sql, int nargs,
		  const char *const *args);

/* Bring the store's list of this host's interfaces up to date (new ones
 * get an eni- ID; gone ones show as detached), bumping the generation if
 * anything changed. Every CLI call does this; so does the daemon, each second. */
int vx_store_sync_interfaces(struct vx_store *st, struct vx_err *err);

/* Create the default security group and the default network ACL when the
 * store has none (AWS's defaults: see docs/CLI.md). Inside a write
 * transaction. */
int vx_store_seed_policy(struct vx_store *st, struct vx_err *err);

/* Give every subnet that exists (the host's, and those registered
 * interfaces name) a network ACL association, with the default ACL when it
 * has none, and drop the associations of subnets that no longer exist.
 * Inside a write transaction. */
int vx_store_sync_acl_associations(struct vx_store *st, struct vx_err *err);

/* The secret of an Active access key (create-access-key), copied into
 * buf: buf, or NULL when the key is unknown or Inactive (or buf is too
 * small). What the EC2 API checks request signatures with. */
const char *vx_store_access_key_secret(struct vx_store *st, const char *key_id, char *buf,
				       size_t len);

/* The current UTC time as 2026-11-25T11:24:06.288Z (audit log, status). */
void vx_iso_now(char *out, size_t len);

/* Report the database's last error as InternalFailure. */
int vx_store_fail(struct vx_store *st, struct vx_err *err, const char *what);

#endif
