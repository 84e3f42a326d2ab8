/* The control-plane API: every action (CreateTrafficMirrorTarget, …) in one
 * table, with its parameters. The CLI parses its arguments from this table
 * and prints --help from it.
 *
 * A request and a response are JSON objects whose members have the EC2 API
 * model's names (TrafficMirrorFilterId, DestinationPortRange.FromPort, …);
 * responses keep the model's member order, so printing one with 4-space
 * indentation gives what the AWS CLI prints. */
#ifndef VXTAP_ACTION_H
#define VXTAP_ACTION_H

#include <jansson.h>

#include "vxtap/store.h"

enum vx_ptype {
	VX_T_STRING,
	VX_T_INT,
	VX_T_BOOL,
	VX_T_STRING_LIST,  /* ["a", "b"] */
	VX_T_PORT_RANGE,   /* {"FromPort": n, "ToPort": n} */
	VX_T_FILTERS,	   /* [{"Name": s, "Values": [s, …]}, …] */
	VX_T_TAG_SPECS,	   /* [{"ResourceType": s, "Tags": [{"Key": s, "Value": s}]}] */
	VX_T_DEST_OPTIONS, /* {"FileFormat": s, "HiveCompatiblePartitions": b, "PerHourPartition": b} */
	VX_T_LB_TARGETS,   /* [{"Id": address, "Port": n}, …] */
	VX_T_DOCUMENT,	   /* any JSON object (the whole state, for apply) */
	VX_T_IP_PERMISSIONS, /* [{"IpProtocol": s, "FromPort": n, "ToPort": n, "UserIdGroupPairs":
			      * […], "IpRanges": […], "Ipv6Ranges": […], "PrefixListIds": […]}, …] */
	VX_T_ACL_PORT_RANGE, /* {"From": n, "To": n} */
	VX_T_ICMP_TYPE_CODE, /* {"Code": n, "Type": n} */
};

#define VX_P_REQUIRED 1u
/* An API member the CLI accepts but --help does not list (the AWS CLI hides
 * it too: --ip-protocol, --from-port, … of the security-group verbs). */
#define VX_P_HIDDEN 2u
/* Not an API member: one of the AWS CLI's simple options of the
 * security-group rule verbs (--protocol, --port, --cidr, --source-group,
 * --group-owner), which the CLI turns into IpPermissions[0]. member names
 * what the option sets there. The request checks skip these entries. */
#define VX_P_CLI_PERMISSION 4u
/* VX_T_BOOL: the option sets the member to false (--ingress for Egress). */
#define VX_P_NEGATES 8u

struct vx_param {
	const char *member; /* API name: RuleNumber */
	const char *option; /* CLI name without dashes: rule-number */
	enum vx_ptype type;
	unsigned flags;
	const char *help;
};

#define VX_A_MUTATES	  1u /* changes the store: write lock, audit, generation */
#define VX_A_CLIENT_TOKEN 2u /* takes ClientToken for idempotency */

struct vx_call;

struct vx_action {
	const char *name;    /* API action: CreateTrafficMirrorTarget */
	const char *verb;    /* CLI verb: create-traffic-mirror-target */
	const char *summary; /* one line for --help */
	const struct vx_param *params;
	int (*run)(struct vx_call *call);
	unsigned flags;
};

/* Who made a call, for the audit log: "uid=1000(alice)", "cli". */
struct vx_caller {
	const char *principal;
	const char *source;
};

/* One call in progress, as handlers see it. */
struct vx_call {
	struct vx_store *store;
	const struct vx_action *action;
	json_t *req;  /* borrowed */
	json_t *resp; /* the handler creates it */
	struct vx_err *err;
	/* Set by `vxtap apply`: the ID the created object must get. */
	const char *fixed_id;
};

/* The action table, terminated by an entry with name == NULL. */
extern const struct vx_action vx_actions[];

const struct vx_action *vx_action_by_verb(const char *verb);
const struct vx_action *vx_action_by_name(const char *name);

/* Check the request's shape against the action's parameters, then run it:
 * in one transaction, with DryRun, ClientToken and audit handled here.
 * Returns 0 with *resp set, or -1 with err set; on -1 nothing changed
 * (except the audit line of the failed call). */
int vx_action_invoke(struct vx_store *st, const struct vx_action *action, json_t *req,
		     const struct vx_caller *caller, json_t **resp, struct vx_err *err);

/* Run an action's handler inside a transaction the caller already holds
 * (used by `vxtap apply` to replay a whole document as one change). */
int vx_action_run_nested(struct vx_store *st, const struct vx_action *action, json_t *req,
			 const char *fixed_id, json_t **resp, struct vx_err *err);

/* Print a response as the AWS CLI does (4-space indent, model order). */
char *vx_action_format(const json_t *resp);

#endif
