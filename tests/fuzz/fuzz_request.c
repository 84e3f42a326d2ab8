/* libFuzzer target: the whole control-plane request path (request shape
 * checks, the transaction, DryRun, ClientToken, the handlers, the audit log)
 * against a real state store.
 *
 * Byte 0 picks the action (index into vx_actions[], modulo their number; each
 * seed in corpus/request/ starts with the index of the action it was written
 * for, in src/control/actions.c's order); the rest is the request, parsed as
 * JSON and ignored unless it is an object.
 *
 * The store lives in a fresh directory under /tmp. State carries over from
 * one input to the next (a filter one input creates can get rules from the
 * next), and every RESET_EVERY inputs the store is deleted and opened anew so
 * that it does not grow without bound. A fresh store gets BASELINE (through
 * ApplyState): objects with fixed IDs, the ones the seeds name, so that
 * modify, delete and describe calls find something. Because of the carried
 * state, a reproducer may need the inputs before it: run it again on its own
 * and, if that passes, with -runs over the whole corpus.
 *
 * Besides the sanitizers, it checks the result's contract: 0 with a response
 * that formats, or -1 with no response and an error code and message. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vxtap/action.h"
#include "vxtap/store.h"

#define RESET_EVERY 200

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The document ApplyState gets on every fresh store (corpus/request/apply
 * holds the same). eni-…a is the host's loopback interface, so that sessions
 * and flow logs have a source. */
static const char BASELINE[] =
    "{\"Version\":1,\"Host\":{\"AccountId\":\"000000000000\",\"Region\":\"us-east-1\","
    "\"AvailabilityZone\":\"us-east-1a\",\"AzId\":\"use1-az1\"},"
    "\"NetworkInterfaces\":[{\"NetworkInterfaceId\":\"eni-0000000000000000a\","
    "\"Kind\":\"host\",\"InterfaceName\":\"lo\",\"Description\":\"lo\",\"Tags\":[]},"
    "{\"NetworkInterfaceId\":\"eni-0000000000000000b\",\"Kind\":\"remote\","
    "\"Description\":\"analyzer\",\"PrivateIpAddress\":\"192.0.2.10\","
    "\"Tags\":[{\"Key\":\"role\",\"Value\":\"ids\"}]},"
    "{\"NetworkInterfaceId\":\"eni-0000000000000000c\",\"Kind\":\"remote\","
    "\"Description\":\"spare\",\"PrivateIpAddress\":\"2001:db8::10\",\"Tags\":[]}],"
    "\"LoadBalancers\":[{\"LoadBalancerArn\":"
    "\"arn:aws:elasticloadbalancing:us-east-1:000000000000:"
    "loadbalancer/net/analyzers/0123456789abcdef\","
    "\"LoadBalancerName\":\"analyzers\",\"Targets\":[{\"Id\":\"192.0.2.30\",\"Port\":4789},"
    "{\"Id\":\"192.0.2.31\",\"Port\":4789}],\"HealthCheck\":{\"Port\":4789,"
    "\"IntervalSeconds\":10,\"TimeoutSeconds\":5,\"HealthyThresholdCount\":3,"
    "\"UnhealthyThresholdCount\":3}},"
    "{\"LoadBalancerArn\":\"arn:aws:elasticloadbalancing:us-east-1:000000000000:"
    "loadbalancer/net/spare/fedcba9876543210\","
    "\"LoadBalancerName\":\"spare\",\"Targets\":[{\"Id\":\"fd00::30\",\"Port\":6081}],"
    "\"HealthCheck\":{\"Port\":6081}}],"
    "\"TrafficMirrorTargets\":[{\"TrafficMirrorTargetId\":\"tmt-0123456789abcdef2\","
    "\"NetworkInterfaceId\":\"eni-0000000000000000b\",\"Description\":\"analyzer\","
    "\"Tags\":[]},{\"TrafficMirrorTargetId\":\"tmt-0123456789abcdef5\","
    "\"NetworkLoadBalancerArn\":\"arn:aws:elasticloadbalancing:us-east-1:000000000000:"
    "loadbalancer/net/analyzers/0123456789abcdef\","
    "\"Tags\":[{\"Key\":\"tier\",\"Value\":\"nlb\"}]}],"
    "\"TrafficMirrorFilters\":[{\"TrafficMirrorFilterId\":\"tmf-0123456789abcdef0\","
    "\"IngressFilterRules\":[{\"TrafficMirrorFilterRuleId\":\"tmfr-0123456789abcdef1\","
    "\"TrafficMirrorFilterId\":\"tmf-0123456789abcdef0\",\"TrafficDirection\":\"ingress\","
    "\"RuleNumber\":10,\"RuleAction\":\"accept\",\"Protocol\":6,"
    "\"DestinationPortRange\":{\"FromPort\":80,\"ToPort\":80},"
    "\"DestinationCidrBlock\":\"0.0.0.0/0\",\"SourceCidrBlock\":\"10.0.0.0/8\","
    "\"Description\":\"http\"}],"
    "\"EgressFilterRules\":[{\"TrafficMirrorFilterRuleId\":\"tmfr-0123456789abcdef7\","
    "\"TrafficMirrorFilterId\":\"tmf-0123456789abcdef0\",\"TrafficDirection\":\"egress\","
    "\"RuleNumber\":100,\"RuleAction\":\"reject\",\"DestinationCidrBlock\":\"::/0\","
    "\"SourceCidrBlock\":\"fd00::/8\"}],\"NetworkServices\":[\"amazon-dns\"],"
    "\"Description\":\"web\",\"Tags\":[{\"Key\":\"env\",\"Value\":\"prod\"}]},"
    "{\"TrafficMirrorFilterId\":\"tmf-0123456789abcdef6\",\"IngressFilterRules\":[],"
    "\"EgressFilterRules\":[],\"NetworkServices\":[],\"Tags\":[]}],"
    "\"TrafficMirrorSessions\":[{\"TrafficMirrorSessionId\":\"tms-0123456789abcdef3\","
    "\"TrafficMirrorTargetId\":\"tmt-0123456789abcdef2\","
    "\"TrafficMirrorFilterId\":\"tmf-0123456789abcdef0\","
    "\"NetworkInterfaceId\":\"eni-0000000000000000a\",\"SessionNumber\":1,"
    "\"VirtualNetworkId\":42,\"PacketLength\":200,\"Tags\":[]}],"
    "\"FlowLogs\":[{\"FlowLogId\":\"fl-0123456789abcdef4\","
    "\"ResourceId\":\"eni-0000000000000000a\",\"TrafficType\":\"ALL\","
    "\"LogDestinationType\":\"s3\",\"LogDestination\":\"arn:aws:s3:::bucket/flows/\","
    "\"LogFormat\":\"${version} ${srcaddr} ${dstaddr}\",\"MaxAggregationInterval\":600,"
    "\"Tags\":[]}]}";

static const struct vx_caller caller = {"uid=0(fuzz)", "fuzz"};
static char dir[64];
static char path[128];
static struct vx_store *store;
static size_t n_actions;
static unsigned runs;

static void remove_store_files(void)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[160];
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		unlink(p);
	}
}

static void open_store(void)
{
	struct vx_err err;
	if (vx_store_open(&store, path, &err) < 0) {
		fprintf(stderr, "fuzz_request: open %s: %s: %s\n", path, err.code, err.message);
		abort();
	}
	json_error_t jerr;
	json_t *doc = json_loads(BASELINE, 0, &jerr);
	if (!doc) {
		fprintf(stderr, "fuzz_request: baseline: %s at %d\n", jerr.text, jerr.position);
		abort();
	}
	json_t *req = json_pack("{s:o}", "State", doc);
	json_t *resp = NULL;
	/* Fails only on a host without "lo"; the fuzzing still works, less deeply. */
	if (vx_action_invoke(store, vx_action_by_name("ApplyState"), req, &caller, &resp, &err) < 0)
		fprintf(stderr, "fuzz_request: baseline not applied: %s: %s\n", err.code,
		        err.message);
	json_decref(resp);
	json_decref(req);
}

static void cleanup(void)
{
	if (store)
		vx_store_close(store);
	store = NULL;
	remove_store_files();
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/vxtap-fuzz-request-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("fuzz_request: mkdtemp");
		abort();
	}
	snprintf(path, sizeof(path), "%s/state.db", dir);
	while (vx_actions[n_actions].name)
		n_actions++;
	open_store();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (++runs % RESET_EVERY == 0) {
		vx_store_close(store);
		store = NULL;
		remove_store_files();
		open_store();
	}
	const struct vx_action *action = &vx_actions[data[0] % n_actions];
	json_t *req = json_loadb((const char *)data + 1, size - 1, 0, NULL);
	if (!json_is_object(req)) {
		json_decref(req);
		return 0;
	}

	json_t *resp = NULL;
	struct vx_err err;
	memset(&err, 0, sizeof(err));
	int rc = vx_action_invoke(store, action, req, &caller, &resp, &err);
	if (rc == 0) {
		char *txt = resp ? vx_action_format(resp) : NULL;
		if (!txt) {
			fprintf(stderr, "%s: success without a printable response\n", action->name);
			abort();
		}
		free(txt);
	} else if (rc != -1 || resp || !err.code[0] || !err.message[0]) {
		fprintf(stderr, "%s: rc %d, resp %p, error '%s' '%s'\n", action->name, rc,
		        (void *)resp, err.code, err.message);
		abort();
	}
	json_decref(resp);
	json_decref(req);
	return 0;
}
