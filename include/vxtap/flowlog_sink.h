/* flowlog_sink — delivers finished flow-log records (SPEC.md §2.10, §2.11).
 *
 * Input:  per record, the struct vx_flow_record and its rendered line (with
 *         or without its '\n'; the sink does not format records); then
 *         vx_flowlog_sink_advance() once no record will end before a given
 *         second, and vx_flowlog_sink_flush() at shutdown or end of input.
 * Output, by kind:
 *
 * STDOUT: each line as is, '\n'-terminated, to `out` (stdout when NULL), or
 *   appended to the file `append_path` (its directory made first).
 *
 * S3_DIR: gzip objects in a directory laid out as the bucket[/prefix]:
 *     AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]<name>
 *     AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/
 *         year=YYYY/month=MM/day=DD/[hour=HH/]<name>                     (hive)
 *   with <name> = <account>_vpcflowlogs_<region>_<flow_log_id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz.
 *   A record goes to the 5-minute period holding its `end` (UTC); the date,
 *   the hour and the name's time are those of the period's start. A file
 *   starts with the header line, then the records in the order given. Its
 *   <hash> is 8 lowercase hex digits of XXH3 over the uncompressed bytes,
 *   seeded with the file's index within its period (0, 1, ...), so the same
 *   input gives the same names, and a file published again under a name
 *   that exists (a replay into the same directory) has the same bytes.
 *   A file is written under a dot-name in its final directory
 *   (.<name-without-hash>.<pid>.<n>.tmp; dot-files are hidden from Athena
 *   and Hive readers), synced to disk, then renamed to its name: a reader
 *   sees whole objects or nothing.
 *   Size cap: a file never exceeds max_file_bytes compressed bytes (default
 *   75 MiB, 75 * 1024 * 1024, as S3 counts MB), except a file holding one
 *   record that alone does not fit; the record that would pass the cap
 *   starts the next file of the period.
 *   Several periods can be open at once (a 600-s window spans two); at most
 *   VX_FLOWLOG_SINK_OPEN_PERIODS, beyond which the oldest period's file is
 *   published early (a late record for it starts another file). Files are
 *   published by advance() (periods ended at or before the watermark) and
 *   flush().
 *   Compression: zlib level `gzip_level` (default 1: about 3x the throughput
 *   of level 6 on flow-log text, for files about 25% larger).
 *
 * CLOUDWATCH_DIR: one file per log stream, <directory>/<log_group>/<stream>.log,
 *   stream = <interface-id>-<traffic type in lowercase> (eni-63e3e655-all);
 *   a '/' in the group name is a directory level (a leading one is dropped).
 *   One event per line, as `aws logs get-log-events` shows events:
 *     {"timestamp":<record start in ms>,"message":"<line without '\n'>"}
 *   Lines are appended (O_APPEND) in whole-line writes, so flow logs of the
 *   same group share a stream file safely. Files are opened on first use and
 *   kept open, at most max_open_streams (least recently used closed first);
 *   lines are buffered per stream and written by advance() and flush().
 *
 * Errors: a failed mkdir, open, write, sync or rename is counted in
 * write_errors and its message (path and reason) kept for
 * vx_flowlog_sink_error(); the first of a run of failures is printed on
 * stderr. Records that did not reach their destination are counted in
 * records_lost: an S3 file that fails is abandoned under its temporary name
 * (kept, not deleted: the gzip stream up to the failure is readable) and all
 * its records are counted lost; the period's next record starts a new file.
 * A finished S3 file whose rename fails stays complete under its temporary
 * name (its records counted lost). CloudWatch: the records of a failed
 * buffer write; stdout: the record that failed.
 *
 * One sink belongs to one thread. */
#ifndef VXTAP_FLOWLOG_SINK_H
#define VXTAP_FLOWLOG_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vxtap/flowlog.h"

#define VX_FLOWLOG_SINK_PERIOD_S       300
#define VX_FLOWLOG_SINK_MAX_FILE_BYTES (75ull * 1024 * 1024)
#define VX_FLOWLOG_SINK_OPEN_PERIODS   8

enum vx_flowlog_sink_kind {
	VX_FLOWLOG_SINK_STDOUT,
	VX_FLOWLOG_SINK_S3_DIR,
	VX_FLOWLOG_SINK_CLOUDWATCH_DIR
};

struct vx_flowlog_sink_options {
	enum vx_flowlog_sink_kind kind;
	/* S3_DIR: the root that plays bucket[/prefix]; CLOUDWATCH_DIR: the
	 * root holding log-group directories. Created if missing. */
	const char *directory;
	/* S3_DIR: key and file names; letters, digits and '-' only. */
	const char *account_id, *region, *flow_log_id;
	const char *header;      /* S3_DIR: the header line (a '\n' is added if missing) */
	bool hive, per_hour;     /* S3_DIR: HiveCompatiblePartitions, PerHourPartition */
	uint64_t max_file_bytes; /* S3_DIR: 0: VX_FLOWLOG_SINK_MAX_FILE_BYTES */
	int gzip_level;          /* S3_DIR: 1-9; 0: 1 */
	/* CLOUDWATCH_DIR: the group (1-512 of [A-Za-z0-9._/#-]; no "." or ".."
	 * level) and the flow log's traffic type (ALL, ACCEPT or REJECT). */
	const char *log_group;
	const char *traffic_type;
	unsigned max_open_streams; /* CLOUDWATCH_DIR: 0: 128 */
	FILE *out;                 /* STDOUT: NULL: stdout */
	const char *append_path;   /* STDOUT: a file to append to instead */
};

struct vx_flowlog_sink_stats {
	uint64_t records;         /* records handed to vx_flowlog_sink_write() */
	uint64_t records_lost;    /* records that did not reach their destination */
	uint64_t files_published; /* S3 objects renamed into place */
	uint64_t bytes_written;   /* bytes that reached files (compressed for S3) */
	uint64_t write_errors;    /* failed mkdir, open, write, sync, rename */
	uint64_t streams_opened;  /* CloudWatch stream files opened (reopenings too) */
};

struct vx_flowlog_sink;

/* NULL with a reason in err: bad options (naming the option, the value and
 * what is allowed), a directory that cannot be created, out of memory. */
struct vx_flowlog_sink *vx_flowlog_sink_open(const struct vx_flowlog_sink_options *o, char *err,
                                             size_t errlen);

/* Deliver one record. Returns 0, or -1 if it was lost (counted). */
int vx_flowlog_sink_write(struct vx_flowlog_sink *s, const struct vx_flow_record *r,
                          const char *line, size_t len);

/* No record will end before watermark_s (Unix seconds) any more: publish
 * every S3 file whose period ended at or before it; write out buffered
 * CloudWatch and stdout lines. */
void vx_flowlog_sink_advance(struct vx_flowlog_sink *s, int64_t watermark_s);

/* Publish every open S3 file and write out every buffered line (shutdown,
 * end of input). Returns 0, or -1 if publishing or writing failed (the
 * failures are counted as usual). */
int vx_flowlog_sink_flush(struct vx_flowlog_sink *s);

void vx_flowlog_sink_get_stats(const struct vx_flowlog_sink *s, struct vx_flowlog_sink_stats *out);

/* The last error, naming the file; "" when there was none. */
const char *vx_flowlog_sink_error(const struct vx_flowlog_sink *s);

/* Flush and free; returns what the flush returned. NULL is accepted. */
int vx_flowlog_sink_close(struct vx_flowlog_sink *s);

#endif
