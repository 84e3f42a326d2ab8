/* Flow-log objects (CreateFlowLogs, DescribeFlowLogs, DeleteFlowLogs).
 * Fields, formats and rules follow SPEC.md §2. Flow logs are immutable:
 * "modify" is delete and create. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "vxtap/flowlog_format.h"

#define NOT_FOUND_FLOW_LOG "InvalidFlowLogId.NotFound"

/* The formatter's parser is the one validation of a LogFormat. */
static int check_format(struct vx_call *c, const char *fmt)
{
	struct vx_flowlog_format compiled;
	char why[512];
	if (vx_flowlog_format_parse(fmt, &compiled, why, sizeof(why)) < 0)
		return vx_invalid(c, "LogFormat", fmt, "%s", why);
	return 0;
}

/* S3 destinations: an S3 bucket ARN with an optional folder (not AWSLogs),
 * or an absolute local directory that gets the same key layout. */
static int check_s3_destination(struct vx_call *c, const char *dest)
{
	if (dest[0] == '/')
		return 0;
	static const char prefix[] = "arn:aws:s3:::";
	if (strncmp(dest, prefix, sizeof(prefix) - 1))
		return vx_invalid(c, "LogDestination", dest,
				  "For s3, give an S3 bucket ARN (arn:aws:s3:::bucket/folder/) or an "
				  "absolute local directory.");
	const char *bucket = dest + sizeof(prefix) - 1;
	const char *slash = strchr(bucket, '/');
	char name[80];
	size_t n = slash ? (size_t)(slash - bucket) : strlen(bucket);
	if (n >= sizeof(name) || n < 3 || n > 63)
		return vx_invalid(c, "LogDestination", dest, "A bucket name has 3-63 characters.");
	memcpy(name, bucket, n);
	name[n] = '\0';
	if (!vx_text_matches(name, "^[a-z0-9][a-z0-9.-]*[a-z0-9]$"))
		return vx_invalid(c, "LogDestination", dest,
				  "A bucket name has lowercase letters, digits, dots and hyphens, "
				  "and starts and ends with a letter or digit.");
	if (slash && (!strncmp(slash + 1, "AWSLogs/", 8) || !strcmp(slash + 1, "AWSLogs")))
		return vx_invalid(c, "LogDestination", dest,
				  "AWSLogs is reserved and cannot be used as a folder name.");
	return 0;
}

static bool resource_exists(struct vx_call *c, const char *type, const char *id,
			    const struct vx_host *host)
{
	if (!strcmp(type, "NetworkInterface"))
		return vx_id_ok(id, "eni") && vx_row_exists(c->store, "network_interface", "id", id);
	if (!strcmp(type, "Subnet"))
		return !strcmp(id, host->subnet_id) ||
		       vx_row_exists(c->store, "network_interface", "subnet_id", id);
	return !strcmp(id, host->vpc_id);
}

static void add_unsuccessful(json_t *list, const char *id, const char *code, const char *msg)
{
	json_array_append_new(list, json_pack("{s:{s:s, s:s}, s:s}", "Error", "Code", code,
					      "Message", msg, "ResourceId", id));
}

int vx_h_create_flow_logs(struct vx_call *c)
{
	const char *rtype = vx_req_str(c, "ResourceType");
	const char *traffic = vx_req_str(c, "TrafficType");
	const char *dtype = vx_req_str(c, "LogDestinationType");
	const char *dest = vx_req_str(c, "LogDestination");
	const char *group = vx_req_str(c, "LogGroupName");
	const char *fmt = vx_req_str(c, "LogFormat");
	json_t *ids = vx_req(c, "ResourceIds");
	json_t *opts = vx_req(c, "DestinationOptions");
	long long interval = 600;
	vx_req_int(c, "MaxAggregationInterval", &interval);

	if (strcmp(rtype, "VPC") && strcmp(rtype, "Subnet") && strcmp(rtype, "NetworkInterface")) {
		if (!strcmp(rtype, "TransitGateway") || !strcmp(rtype, "TransitGatewayAttachment") ||
		    !strcmp(rtype, "RegionalNatGateway"))
			return vx_invalid(c, "ResourceType", rtype,
					  "A host has no transit gateways or NAT gateways; allowed: "
					  "VPC, Subnet, NetworkInterface.");
		return vx_invalid(c, "ResourceType", rtype, "Allowed: VPC, Subnet, NetworkInterface.");
	}
	size_t nids = json_array_size(ids);
	if (nids == 0 || nids > 1000)
		return vx_invalid_int(c, "ResourceIds", (long long)nids,
				      "Give 1-1000 resource IDs.");
	if (!traffic)
		return vx_missing(c, "TrafficType");
	if (strcmp(traffic, "ACCEPT") && strcmp(traffic, "REJECT") && strcmp(traffic, "ALL"))
		return vx_invalid(c, "TrafficType", traffic, "Allowed: ACCEPT, REJECT, ALL.");
	if (!dtype)
		dtype = "cloud-watch-logs";
	if (interval != 60 && interval != 600)
		return vx_invalid_int(c, "MaxAggregationInterval", interval, "Allowed: 60, 600.");
	if (fmt && check_format(c, fmt) < 0)
		return -1;

	char log_group[600] = "", destination[1100] = "";
	const char *file_format = NULL;
	int hive = 0, per_hour = 0;
	if (!strcmp(dtype, "cloud-watch-logs")) {
		if (opts)
			return vx_err_set(c->err, "InvalidParameterCombination",
					  "DestinationOptions apply only to LogDestinationType s3.");
		if (!!group == !!dest)
			return vx_err_set(c->err, group ? "InvalidParameterCombination" : "MissingParameter",
					  "Give one of LogGroupName or LogDestination for "
					  "cloud-watch-logs.");
		if (dest) {
			static const char pre[] = "arn:aws:logs:";
			const char *lg = strstr(dest, ":log-group:");
			if (strncmp(dest, pre, sizeof(pre) - 1) || !lg)
				return vx_invalid(c, "LogDestination", dest,
						  "For cloud-watch-logs, give a log group ARN "
						  "(arn:aws:logs:region:account:log-group:name).");
			snprintf(log_group, sizeof(log_group), "%s", lg + 11);
			size_t n = strlen(log_group);
			if (n >= 2 && !strcmp(log_group + n - 2, ":*"))
				log_group[n - 2] = '\0';
		} else {
			snprintf(log_group, sizeof(log_group), "%s", group);
		}
		if (!vx_text_matches(log_group, "^[-._/#A-Za-z0-9]{1,512}$"))
			return vx_invalid(c, group ? "LogGroupName" : "LogDestination", log_group,
					  "A log group name has 1-512 characters: letters, digits, "
					  "'_', '-', '/', '.', '#'.");
	} else if (!strcmp(dtype, "s3")) {
		if (group)
			return vx_err_set(c->err, "InvalidParameterCombination",
					  "LogGroupName applies only to cloud-watch-logs.");
		if (!dest)
			return vx_missing(c, "LogDestination");
		if (check_s3_destination(c, dest) < 0)
			return -1;
		snprintf(destination, sizeof(destination), "%s", dest);
		file_format = "plain-text";
		if (opts) {
			const char *ff = json_string_value(json_object_get(opts, "FileFormat"));
			if (ff && strcmp(ff, "plain-text"))
				return vx_invalid(c, "DestinationOptions.FileFormat", ff,
						  strcmp(ff, "parquet")
							  ? "Allowed: plain-text, parquet."
							  : "vxtap writes plain-text only; Parquet is not "
							    "supported.");
			hive = json_is_true(json_object_get(opts, "HiveCompatiblePartitions"));
			per_hour = json_is_true(json_object_get(opts, "PerHourPartition"));
		}
	} else if (!strcmp(dtype, "kinesis-data-firehose")) {
		return vx_invalid(c, "LogDestinationType", dtype,
				  "vxtap delivers to cloud-watch-logs (a local log-group directory) "
				  "and s3 (a bucket or a local directory); Firehose is not supported.");
	} else {
		return vx_invalid(c, "LogDestinationType", dtype,
				  "Allowed: cloud-watch-logs, s3, kinesis-data-firehose.");
	}
	if (vx_tags_validate(c, "vpc-flow-log") < 0)
		return -1;

	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	json_t *created = json_array(), *failed = json_array();
	size_t i;
	json_t *idv;
	int rc = 0;
	json_array_foreach(ids, i, idv) {
		const char *rid = json_string_value(idv);
		char msg[300];
		if (!resource_exists(c, rtype, rid, &host)) {
			const char *code = !strcmp(rtype, "NetworkInterface")
						   ? "InvalidNetworkInterfaceID.NotFound"
					   : !strcmp(rtype, "Subnet") ? "InvalidSubnetID.NotFound"
								      : "InvalidVpcID.NotFound";
			snprintf(msg, sizeof(msg), "The %s ID '%s' does not exist.",
				 !strcmp(rtype, "NetworkInterface") ? "networkInterface"
				 : !strcmp(rtype, "Subnet")	    ? "subnet"
								    : "vpc",
				 rid);
			add_unsuccessful(failed, rid, code, msg);
			continue;
		}
		sqlite3_stmt *q;
		sqlite3_prepare_v2(vx_store_db(c->store),
				   "SELECT id FROM flow_log WHERE resource_id=? AND traffic_type=? AND "
				   "destination_type=? AND destination IS ? AND log_group IS ?",
				   -1, &q, NULL);
		sqlite3_bind_text(q, 1, rid, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, traffic, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, dtype, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, *destination ? destination : NULL, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, *log_group ? log_group : NULL, -1, SQLITE_STATIC);
		bool exists = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
		if (exists) {
			add_unsuccessful(failed, rid, "FlowLogAlreadyExists",
					 "FlowLog already exists for this configuration");
			continue;
		}
		char id[40];
		vx_new_object_id(c, "fl", id, sizeof(id));
		sqlite3_prepare_v2(vx_store_db(c->store),
				   "INSERT INTO flow_log VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
				   "?13,?14,?15)",
				   -1, &q, NULL);
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, rtype, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, rid, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, traffic, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, dtype, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, *destination ? destination : NULL, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 7, *log_group ? log_group : NULL, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 8, vx_req_str(c, "DeliverLogsPermissionArn"), -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 9, vx_req_str(c, "DeliverCrossAccountRole"), -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 10, fmt ? fmt : VX_FLOWLOG_DEFAULT_FORMAT, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 11, interval);
		sqlite3_bind_text(q, 12, file_format, -1, SQLITE_STATIC);
		if (file_format) {
			sqlite3_bind_int(q, 13, hive);
			sqlite3_bind_int(q, 14, per_hour);
		}
		sqlite3_bind_int64(q, 15, vx_now_ms());
		int step = sqlite3_step(q);
		sqlite3_finalize(q);
		if (step != SQLITE_DONE || vx_tags_store(c, id) < 0) {
			rc = step != SQLITE_DONE ? vx_store_fail(c->store, c->err, "write flow log") : -1;
			break;
		}
		json_array_append_new(created, json_string(id));
	}
	if (rc < 0) {
		json_decref(created);
		json_decref(failed);
		return -1;
	}
	c->resp = json_object();
	const char *token = vx_req_str(c, "ClientToken");
	if (token)
		json_object_set_new(c->resp, "ClientToken", json_string(token));
	json_object_set_new(c->resp, "FlowLogIds", created);
	json_object_set_new(c->resp, "Unsuccessful", failed);
	return 0;
}

static json_t *render_flow_log(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	const struct vx_host *host = ctx;
	const char *id = vx_col_text(s, 0);
	json_t *o = json_object();
	char when[48];
	vx_format_time_ms(sqlite3_column_int64(s, 14), when, sizeof(when));
	json_object_set_new(o, "CreationTime", json_string(when));
	if (vx_col_text(s, 7))
		json_object_set_new(o, "DeliverLogsPermissionArn", json_string(vx_col_text(s, 7)));
	if (vx_col_text(s, 8))
		json_object_set_new(o, "DeliverCrossAccountRole", json_string(vx_col_text(s, 8)));
	json_object_set_new(o, "DeliverLogsStatus", json_string("SUCCESS"));
	json_object_set_new(o, "FlowLogId", json_string(id));
	json_object_set_new(o, "FlowLogStatus", json_string("ACTIVE"));
	if (vx_col_text(s, 6))
		json_object_set_new(o, "LogGroupName", json_string(vx_col_text(s, 6)));
	json_object_set_new(o, "ResourceId", json_string(vx_col_text(s, 2)));
	json_object_set_new(o, "TrafficType", json_string(vx_col_text(s, 3)));
	json_object_set_new(o, "LogDestinationType", json_string(vx_col_text(s, 4)));
	if (vx_col_text(s, 5)) {
		json_object_set_new(o, "LogDestination", json_string(vx_col_text(s, 5)));
	} else if (vx_col_text(s, 6)) {
		char arn[700];
		snprintf(arn, sizeof(arn), "arn:aws:logs:%s:%s:log-group:%s", host->region,
			 host->account_id, vx_col_text(s, 6));
		json_object_set_new(o, "LogDestination", json_string(arn));
	}
	json_object_set_new(o, "LogFormat", json_string(vx_col_text(s, 9)));
	json_object_set_new(o, "Tags", vx_tags_json(st, id));
	json_object_set_new(o, "MaxAggregationInterval", json_integer(sqlite3_column_int(s, 10)));
	if (vx_col_text(s, 11))
		json_object_set_new(o, "DestinationOptions",
				    json_pack("{s:s, s:b, s:b}", "FileFormat", vx_col_text(s, 11),
					      "HiveCompatiblePartitions", sqlite3_column_int(s, 12),
					      "PerHourPartition", sqlite3_column_int(s, 13)));
	return o;
}

int vx_h_describe_flow_logs(struct vx_call *c)
{
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	json_t *items = vx_rows_json(
		c->store,
		"SELECT id, resource_type, resource_id, traffic_type, destination_type, destination, "
		"log_group, permission_arn, cross_account_role, log_format, max_interval, file_format, "
		"hive, per_hour, created FROM flow_log ORDER BY created, rowid",
		NULL, render_flow_log, &host);
	static const struct vx_filter_name names[] = {
		{"deliver-log-status", "DeliverLogsStatus"},
		{"log-destination-type", "LogDestinationType"},
		{"flow-log-id", "FlowLogId"},
		{"log-group-name", "LogGroupName"},
		{"resource-id", "ResourceId"},
		{"traffic-type", "TrafficType"},
		{NULL, NULL},
	};
	return vx_describe_finish(c, items, "FlowLogIds", "FlowLogId", NOT_FOUND_FLOW_LOG, "flow log",
				  "Filter", names, "FlowLogs", 1, 1000);
}

int vx_h_delete_flow_logs(struct vx_call *c)
{
	json_t *ids = vx_req(c, "FlowLogIds");
	size_t n = json_array_size(ids);
	if (n == 0 || n > 1000)
		return vx_invalid_int(c, "FlowLogIds", (long long)n, "Give 1-1000 flow log IDs.");
	json_t *failed = json_array();
	size_t i;
	json_t *idv;
	json_array_foreach(ids, i, idv) {
		const char *id = json_string_value(idv);
		if (!vx_row_exists(c->store, "flow_log", "id", id)) {
			char msg[200];
			snprintf(msg, sizeof(msg),
				 "These flow log ids in the input list are not found: [TotalCount: 1] "
				 "%s",
				 id);
			add_unsuccessful(failed, id, NOT_FOUND_FLOW_LOG, msg);
			continue;
		}
		const char *args[] = {id};
		if (vx_store_exec(c->store, c->err, "DELETE FROM flow_log WHERE id=?", 1, args) < 0 ||
		    vx_tags_delete(c, id) < 0) {
			json_decref(failed);
			return -1;
		}
	}
	c->resp = json_pack("{s:o}", "Unsuccessful", failed);
	return 0;
}
