/* The control-plane verbs (create-traffic-mirror-target, …): arguments are
 * parsed from the action table in the AWS CLI's syntax, the action runs
 * against the state store, and the response is printed as the AWS CLI
 * prints it. --help is generated from the same table. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cli.h"
#include "vxtap/action.h"
#include "vxtap/shorthand.h"

static const char *type_syntax(enum vx_ptype t)
{
	switch (t) {
	case VX_T_STRING:
		return "<string>";
	case VX_T_INT:
		return "<integer>";
	case VX_T_BOOL:
		return "| --no-…";
	case VX_T_STRING_LIST:
		return "<value> [<value> …]";
	case VX_T_PORT_RANGE:
		return "FromPort=<int>,ToPort=<int>";
	case VX_T_FILTERS:
		return "Name=<name>,Values=<v>[,<v>…] […]";
	case VX_T_TAG_SPECS:
		return "ResourceType=<type>,Tags=[{Key=<k>,Value=<v>}]";
	case VX_T_DEST_OPTIONS:
		return "FileFormat=<f>,HiveCompatiblePartitions=<bool>,PerHourPartition=<bool>";
	case VX_T_LB_TARGETS:
		return "Id=<address>,Port=<port> […]";
	case VX_T_DOCUMENT:
		return "<json>";
	case VX_T_IP_PERMISSIONS:
		return "IpProtocol=<p>,FromPort=<int>,ToPort=<int>,IpRanges=[{CidrIp=<cidr>}] […]";
	case VX_T_ACL_PORT_RANGE:
		return "From=<int>,To=<int>";
	case VX_T_ICMP_TYPE_CODE:
		return "Type=<int>,Code=<int>";
	}
	return "";
}

void vx_cli_action_help(const struct vx_action *a, FILE *f)
{
	fprintf(f, "usage: vxtap %s [options]\n\n%s\n(API action %s)\n\noptions:\n", a->verb,
		a->summary, a->name);
	for (const struct vx_param *p = a->params; p->member; p++) {
		if (p->flags & VX_P_HIDDEN)
			continue;
		if (p->type == VX_T_BOOL && (p->flags & VX_P_NEGATES)) {
			fprintf(f, "  --%s\n      %s\n", p->option, p->help);
			continue;
		}
		fprintf(f, "  --%s %s%s\n", p->option, type_syntax(p->type),
			(p->flags & VX_P_REQUIRED) ? "   (required)" : "");
		fprintf(f, "      %s\n", p->help);
	}
	if (a->flags & VX_A_CLIENT_TOKEN)
		fputs("  --client-token <string>\n"
		      "      idempotency token (1-64 characters); the same token and request give\n"
		      "      the same answer without a second change. Generated when omitted.\n",
		      f);
	fputs("  --dry-run | --no-dry-run\n"
	      "      check the request and report DryRunOperation instead of doing it\n"
	      "  --cli-input-json <json>\n"
	      "      the whole request as a JSON object with the API's member names\n"
	      "  --state <path>\n"
	      "      the state store (default $VXTAP_STATE, /var/lib/vxtap/state.db for root,\n"
	      "      ~/.local/state/vxtap/state.db otherwise)\n"
	      "  --output json\n"
	      "      the only output format\n"
	      "\nExit status: 0 done, 254 the request was refused (the error code is printed),\n"
	      "2 bad command line, 1 the state store could not be used.\n",
	      f);
}

static void new_client_token(char *out, size_t len)
{
	uint8_t b[16];
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)rand();
	b[6] = (b[6] & 0x0f) | 0x40; /* UUID version 4, as the AWS CLI sends */
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

static bool is_list_type(enum vx_ptype t)
{
	return t == VX_T_STRING_LIST || t == VX_T_FILTERS || t == VX_T_TAG_SPECS ||
	       t == VX_T_LB_TARGETS || t == VX_T_IP_PERMISSIONS;
}

/* The AWS CLI's simple options of the security-group rule verbs
 * (--protocol, --port, --cidr, --source-group, --group-owner) become
 * IpPermissions[0], as the AWS CLI builds it. 0, or 2 (a usage error). */
static int simple_permission(const struct vx_action *a, json_t *simple, json_t *req, json_t *input)
{
	if (!json_object_size(simple))
		return 0;
	if (json_object_get(req, "IpPermissions") || json_object_get(input, "IpPermissions")) {
		static const char *const order[][2] = {{"IpProtocol", "protocol"},
						       {"Port", "port"},
						       {"CidrIp", "cidr"},
						       {"SourceGroup", "source-group"},
						       {"UserId", "group-owner"}};
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
			if (json_object_get(simple, order[i][0])) {
				fprintf(stderr, "vxtap %s: The --%s option is not compatible with "
					"the --ip-permissions option\n", a->verb, order[i][1]);
				break;
			}
		return 2;
	}
	json_t *perm = json_object();
	const char *v;
	if ((v = json_string_value(json_object_get(simple, "IpProtocol")))) {
		char *end;
		long n = strtol(v, &end, 10);
		bool number = *v && !*end;
		if (number && (n < -1 || n > 255)) {
			fprintf(stderr, "vxtap %s: protocol numbers must be in the range 0-255 or -1 "
				"to specify all protocols\n", a->verb);
			goto bad;
		}
		if (!number && strcmp(v, "tcp") && strcmp(v, "udp") && strcmp(v, "icmp") &&
		    strcmp(v, "all")) {
			fprintf(stderr, "vxtap %s: protocol parameter should be one of: "
				"tcp|udp|icmp|all or any valid protocol number.\n", a->verb);
			goto bad;
		}
		json_object_set_new(perm, "IpProtocol", json_string(strcmp(v, "all") ? v : "-1"));
	}
	if ((v = json_string_value(json_object_get(simple, "Port")))) {
		long from, to;
		char *end = NULL;
		if (!strcmp(v, "-1") || !strcmp(v, "all")) {
			from = to = -1;
		} else {
			const char *dash = strchr(v + 1, '-');
			from = strtol(v, &end, 10);
			bool ok = end != v && (dash ? end == dash : !*end);
			to = from;
			if (ok && dash) {
				to = strtol(dash + 1, &end, 10);
				ok = end != dash + 1 && !*end;
			}
			if (!ok) {
				fprintf(stderr, "vxtap %s: port parameter should be of the form "
					"<from[-to]> (e.g. 22 or 22-25)\n", a->verb);
				goto bad;
			}
		}
		json_object_set_new(perm, "FromPort", json_integer(from));
		json_object_set_new(perm, "ToPort", json_integer(to));
	}
	json_t *pair = json_object();
	if ((v = json_string_value(json_object_get(simple, "UserId"))))
		json_object_set_new(pair, "UserId", json_string(v));
	if ((v = json_string_value(json_object_get(simple, "SourceGroup"))))
		json_object_set_new(pair, strncmp(v, "sg-", 3) ? "GroupName" : "GroupId",
				    json_string(v));
	if (json_object_size(pair))
		json_object_set_new(perm, "UserIdGroupPairs", json_pack("[o]", pair));
	else
		json_decref(pair);
	if ((v = json_string_value(json_object_get(simple, "CidrIp"))))
		json_object_set_new(perm, "IpRanges", json_pack("[{s:s}]", "CidrIp", v));
	json_object_set_new(req, "IpPermissions", json_pack("[o]", perm));
	return 0;
bad:
	json_decref(perm);
	return 2;
}

int vx_cli_open_store(const char *state, struct vx_store **st)
{
	char path[4096];
	if (!state) {
		if (vx_store_default_path(path, sizeof(path)) < 0) {
			fprintf(stderr, "vxtap: the default state path is too long; use --state\n");
			return 2;
		}
		state = path;
	}
	struct vx_err err = {0};
	if (vx_store_open(st, state, &err) < 0) {
		fprintf(stderr, "vxtap: %s\n", err.message);
		return 1;
	}
	return 0;
}

void vx_cli_caller(struct vx_caller *caller, char *principal, size_t plen, char *source,
		   size_t slen)
{
	struct passwd *pw = getpwuid(geteuid());
	snprintf(principal, plen, "uid=%u(%s)", (unsigned)geteuid(), pw ? pw->pw_name : "?");
	snprintf(source, slen, "cli pid=%d", (int)getpid());
	caller->principal = principal;
	caller->source = source;
}

int vx_cli_invoke(const char *state, const struct vx_action *a, json_t *req, json_t **resp)
{
	struct vx_store *st;
	int rc = vx_cli_open_store(state, &st);
	if (rc)
		return rc;
	struct vx_caller caller;
	char principal[96], source[48];
	vx_cli_caller(&caller, principal, sizeof(principal), source, sizeof(source));
	struct vx_err err = {0};
	if (vx_action_invoke(st, a, req, &caller, resp, &err) < 0) {
		fprintf(stderr, "\nAn error occurred (%s) when calling the %s operation: %s\n",
			err.code, a->name, err.message);
		rc = 254;
	}
	vx_store_close(st);
	return rc;
}

int vx_cmd_control(const struct vx_action *a, int argc, char **argv)
{
	json_t *req = json_object();
	json_t *input = NULL; /* --cli-input-json; command-line options override it */
	json_t *simple = json_object(); /* --protocol, --port, … (VX_P_CLI_PERMISSION) */
	const char *state = NULL;
	int rc = 2;
	struct vx_err err = {0};
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h") || !strcmp(arg, "help")) {
			vx_cli_action_help(a, stdout);
			json_decref(simple);
			json_decref(req);
			return 0;
		}
		if (strncmp(arg, "--", 2)) {
			fprintf(stderr, "vxtap %s: unexpected argument '%s' (options start with --; "
				"see --help)\n", a->verb, arg);
			goto out;
		}
		const char *name = arg + 2;
		bool has_value = i + 1 < argc;
		if (!strcmp(name, "dry-run") || !strcmp(name, "no-dry-run")) {
			json_object_set_new(req, "DryRun", json_boolean(!strcmp(name, "dry-run")));
			continue;
		}
		if (!strcmp(name, "state") || !strcmp(name, "output") ||
		    !strcmp(name, "client-token") || !strcmp(name, "cli-input-json")) {
			if (!has_value) {
				fprintf(stderr, "vxtap %s: %s needs a value\n", a->verb, arg);
				goto out;
			}
			const char *v = argv[++i];
			if (!strcmp(name, "state")) {
				state = v;
			} else if (!strcmp(name, "output")) {
				if (strcmp(v, "json")) {
					fprintf(stderr, "vxtap %s: --output '%s' is not supported "
						"(allowed: json)\n", a->verb, v);
					goto out;
				}
			} else if (!strcmp(name, "client-token")) {
				if (!(a->flags & VX_A_CLIENT_TOKEN)) {
					fprintf(stderr, "vxtap %s: --client-token is not an option of "
						"this verb\n", a->verb);
					goto out;
				}
				json_object_set_new(req, "ClientToken", json_string(v));
			} else {
				json_error_t jerr;
				json_decref(input);
				input = json_loads(v, 0, &jerr);
				if (!json_is_object(input)) {
					fprintf(stderr, "vxtap %s: --cli-input-json: %s\n", a->verb,
						input ? "expected a JSON object" : jerr.text);
					goto out;
				}
			}
			continue;
		}
		const struct vx_param *p = a->params;
		bool negated = false;
		while (p->member && strcmp(p->option, name)) {
			if (p->type == VX_T_BOOL && !strncmp(name, "no-", 3) &&
			    !strcmp(p->option, name + 3)) {
				negated = true;
				break;
			}
			p++;
		}
		if (p->member && (p->flags & VX_P_NEGATES))
			negated = !negated;
		if (!p->member) {
			fprintf(stderr, "vxtap %s: unknown option %s (see vxtap %s --help)\n", a->verb,
				arg, a->verb);
			goto out;
		}
		json_t *dest = (p->flags & VX_P_CLI_PERMISSION) ? simple : req;
		if (json_object_get(dest, p->member)) {
			fprintf(stderr, "vxtap %s: --%s given twice\n", a->verb, p->option);
			goto out;
		}
		if (p->type == VX_T_BOOL) {
			json_object_set_new(req, p->member, json_boolean(!negated));
			continue;
		}
		int n = 0;
		if (is_list_type(p->type))
			while (i + 1 + n < argc && strncmp(argv[i + 1 + n], "--", 2))
				n++;
		else
			n = has_value ? 1 : 0;
		if (n == 0) {
			fprintf(stderr, "vxtap %s: --%s needs a value: %s\n", a->verb, p->option,
				type_syntax(p->type));
			goto out;
		}
		json_t *v = vx_shorthand_parse(arg, p->type, argv + i + 1, n, &err);
		if (!v) {
			fprintf(stderr, "vxtap %s: %s\n", a->verb, err.message);
			goto out;
		}
		json_object_set_new(dest, p->member, v);
		i += n;
	}
	if (simple_permission(a, simple, req, input))
		goto out;
	if (input)
		json_object_update_missing(req, input);
	/* The AWS CLI fills ClientToken with a fresh UUID when it is not given. */
	char token[40];
	if ((a->flags & VX_A_CLIENT_TOKEN) && !json_object_get(req, "ClientToken")) {
		new_client_token(token, sizeof(token));
		json_object_set_new(req, "ClientToken", json_string(token));
	}
	json_t *resp;
	if ((rc = vx_cli_invoke(state, a, req, &resp)) == 0) {
		if (json_object_size(resp)) {
			char *txt = vx_action_format(resp);
			printf("%s\n", txt);
			free(txt);
		}
		json_decref(resp);
		rc = fflush(stdout) == 0 ? 0 : 1;
	}
out:
	json_decref(simple);
	json_decref(input);
	json_decref(req);
	return rc;
}
