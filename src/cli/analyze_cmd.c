/* vxtap analyze: option parsing and wiring of source → analyzer. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vxtap/analyze.h"
#include "vxtap/config.h"
#include "vxtap/flowlog_format.h"
#include "vxtap/health.h"
#include "vxtap/store.h"
#include "vxtap/pcapwriter.h"
#include "vxtap/source.h"

static const char analyze_usage[] =
	"usage: vxtap analyze (-r FILE | -l ADDR:PORT | -i IFACE) [stages] [options]\n"
	"\n"
	"Receive mirrored traffic, decapsulate VXLAN (and Geneve around it), and run\n"
	"the chosen stages on each inner frame. Frames that are not encapsulated go\n"
	"through the stages as they are, unless --vxlan-only is given.\n"
	"\n"
	"Input (exactly one):\n"
	"  -r, --read FILE          pcap or pcapng file (\"-\" reads standard input)\n"
	"  -l, --listen ADDR:PORT   receive VXLAN datagrams on a UDP socket, as a mirror\n"
	"                           target does (e.g. 0.0.0.0:4789, [::]:4789); no root.\n"
	"                           On the --geneve-port (6081), datagrams are Geneve,\n"
	"                           as a Gateway Load Balancer's target receives them\n"
	"  -i, --interface IFACE    capture on a live interface (root or CAP_NET_RAW)\n"
	"\n"
	"Stages (any combination; with none, only the summary is printed):\n"
	"      --dump               each frame: a summary line, one line per layer, hex\n"
	"      --brief              each frame: one summary line\n"
	"      --http               HTTP/1.x requests and responses, one line each\n"
	"      --json               write the HTTP log as JSON lines\n"
	"  -w, --write FILE         write the decapsulated inner frames to a pcap file\n"
	"      --rotate SIZE|TIME   start a new --write file by size (100M, 1G) or by\n"
	"                           capture time (60s, 5m, 1h); files are STEM.00000.pcap, ...\n"
	"      --flow-logs DEST     VPC Flow Logs records: DEST a directory (the S3 key\n"
	"                           layout: AWSLogs/<account>/vpcflowlogs/...log.gz) or\n"
	"                           \"-\" (standard output)\n"
	"\n"
	"Flow logs (with --flow-logs; account, region, VPC... from the state's host identity):\n"
	"      --log-format FMT     ${field} list (default: the AWS default format)\n"
	"      --max-aggregation-interval 60|600  window seconds (default 600)\n"
	"      --traffic-type T     ALL, ACCEPT or REJECT (default ALL)\n"
	"      --log-group NAME     write DEST as CloudWatch-style log-group directories\n"
	"                           (one stream file per interface) instead of S3 keys\n"
	"      --hive-compatible-partitions, --per-hour-partition   S3 key options\n"
	"      --flow-log-id ID     fl- ID in the S3 file names (default fl-00000000000000000)\n"
	"      --interface-id ID    the eni- ID of traffic that is not mirrored (default\n"
	"                           derived from the first --interface-address)\n"
	"      --interface-address ADDR  an address of that interface (repeatable; the\n"
	"                           first IPv4 one is its primary): packets from it are\n"
	"                           egress, the others ingress\n"
	"      --local-net CIDR     packets from this network are egress too (repeatable)\n"
	"      --flow-table-size N  flows tracked per window (default 1000000)\n"
	"      --state PATH         the state store holding the host identity\n"
	"    Mirrored traffic gets one interface per outer source and VNI; see\n"
	"    docs/FLOWLOGS.md.\n"
	"\n"
	"Decoding:\n"
	"      --vxlan-port PORT    UDP destination port decoded as VXLAN; repeatable, up\n"
	"                           to 8 (default 4789; given ports replace the default)\n"
	"      --geneve-port PORT   UDP port decoded as Geneve (default 6081, 0 = off)\n"
	"      --max-encap N        nested encapsulations decoded, 1-16 (default 4)\n"
	"      --vxlan-only         stages see only frames that arrived VXLAN-encapsulated\n"
	"\n"
	"Capture:\n"
	"  -f, --filter EXPR        BPF filter for --interface (default \"udp port 4789\")\n"
	"      --snaplen N          bytes kept per frame for --interface (default 262144)\n"
	"      --rcvbuf BYTES       socket receive buffer for --listen (default 33554432)\n"
	"      --health-port PORT   for --listen: answer a load balancer's TCP health\n"
	"                           checks on this port of the listen address (1-65535)\n"
	"\n"
	"Limits and output:\n"
	"  -c, --count N            stop after N frames\n"
	"      --duration SECONDS   stop after this many seconds\n"
	"  -o, --output FILE        where stage output goes (default standard output)\n"
	"      --summary FILE       where the counters go on exit and on SIGUSR1\n"
	"                           (default standard error; \"-\" standard output; \"none\")\n"
	"      --http-connections N HTTP connection table size (default 65536)\n"
	"  -h, --help               this text\n"
	"\n"
	"Exit status: 0 done, 1 a read or write failed while running, 2 bad usage or an\n"
	"input that cannot be opened.\n";

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t report_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_report(int sig)
{
	(void)sig;
	report_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking poll must return so the loop sees the flag. */
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed terminal or a supervisor's hang-up: stop cleanly too. */
	sigaction(SIGHUP, &sa, NULL);
	/* A report request must not break a blocking read of a pipe (libpcap
	 * would take the EINTR as an error of the input): restart it. poll()
	 * is never restarted, so a live source still reports at once. */
	sa.sa_handler = on_report;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int bad_value(const char *opt, const char *value, const char *allowed)
{
	fprintf(stderr, "vxtap analyze: %s: invalid value '%s' (allowed: %s)\n", opt, value,
		allowed);
	return 2;
}

/* Parse a decimal number in [min, max]; 0 on success. */
static int parse_num(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out,
		     const char *allowed)
{
	char *end;

	errno = 0;
	if (!*text || *text == '-' || *text == '+')
		return bad_value(opt, text, allowed);
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return bad_value(opt, text, allowed);
	*out = v;
	return 0;
}

static int open_out(const char *path, int *fd)
{
	if (!strcmp(path, "-")) {
		*fd = 1;
		return 0;
	}
	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (*fd < 0) {
		fprintf(stderr, "vxtap analyze: %s: %s\n", path, strerror(errno));
		return 2;
	}
	return 0;
}

enum {
	OPT_DUMP = 256,
	OPT_BRIEF,
	OPT_HTTP,
	OPT_JSON,
	OPT_ROTATE,
	OPT_VXLAN_PORT,
	OPT_GENEVE_PORT,
	OPT_MAX_ENCAP,
	OPT_VXLAN_ONLY,
	OPT_SNAPLEN,
	OPT_RCVBUF,
	OPT_DURATION,
	OPT_SUMMARY,
	OPT_HTTP_CONNS,
	OPT_HEALTH_PORT,
	OPT_FLOW_LOGS,
	OPT_LOG_FORMAT,
	OPT_MAX_AGG,
	OPT_TRAFFIC_TYPE,
	OPT_LOG_GROUP,
	OPT_HIVE,
	OPT_PER_HOUR,
	OPT_FLOW_LOG_ID,
	OPT_INTERFACE_ID,
	OPT_INTERFACE_ADDRESS,
	OPT_LOCAL_NET,
	OPT_FLOW_TABLE,
	OPT_STATE,
};

static const struct option analyze_options[] = {
	{"read", required_argument, NULL, 'r'},
	{"listen", required_argument, NULL, 'l'},
	{"interface", required_argument, NULL, 'i'},
	{"dump", no_argument, NULL, OPT_DUMP},
	{"brief", no_argument, NULL, OPT_BRIEF},
	{"http", no_argument, NULL, OPT_HTTP},
	{"json", no_argument, NULL, OPT_JSON},
	{"write", required_argument, NULL, 'w'},
	{"rotate", required_argument, NULL, OPT_ROTATE},
	{"vxlan-port", required_argument, NULL, OPT_VXLAN_PORT},
	{"geneve-port", required_argument, NULL, OPT_GENEVE_PORT},
	{"max-encap", required_argument, NULL, OPT_MAX_ENCAP},
	{"vxlan-only", no_argument, NULL, OPT_VXLAN_ONLY},
	{"filter", required_argument, NULL, 'f'},
	{"snaplen", required_argument, NULL, OPT_SNAPLEN},
	{"rcvbuf", required_argument, NULL, OPT_RCVBUF},
	{"health-port", required_argument, NULL, OPT_HEALTH_PORT},
	{"count", required_argument, NULL, 'c'},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"output", required_argument, NULL, 'o'},
	{"summary", required_argument, NULL, OPT_SUMMARY},
	{"http-connections", required_argument, NULL, OPT_HTTP_CONNS},
	{"flow-logs", required_argument, NULL, OPT_FLOW_LOGS},
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"max-aggregation-interval", required_argument, NULL, OPT_MAX_AGG},
	{"traffic-type", required_argument, NULL, OPT_TRAFFIC_TYPE},
	{"log-group", required_argument, NULL, OPT_LOG_GROUP},
	{"hive-compatible-partitions", no_argument, NULL, OPT_HIVE},
	{"per-hour-partition", no_argument, NULL, OPT_PER_HOUR},
	{"flow-log-id", required_argument, NULL, OPT_FLOW_LOG_ID},
	{"interface-id", required_argument, NULL, OPT_INTERFACE_ID},
	{"interface-address", required_argument, NULL, OPT_INTERFACE_ADDRESS},
	{"local-net", required_argument, NULL, OPT_LOCAL_NET},
	{"flow-table-size", required_argument, NULL, OPT_FLOW_TABLE},
	{"state", required_argument, NULL, OPT_STATE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* The flow-log options as given, checked when they are read. */
struct flowlog_args {
	bool set; /* any flow-log option */
	const char *dest, *format, *traffic_type, *log_group, *flow_log_id, *interface_id;
	const char *state;
	uint32_t interval_s, max_flows;
	bool hive, per_hour;
	struct vx_cidr local[VX_FLOWLOG_STAGE_LOCAL_MAX];
	int n_local;
	uint8_t primary[4];
	bool has_primary;
	struct vx_host host;
	struct vx_config *config; /* the state: security groups and ACLs */
};

/* "<prefix>" and 8 or 17 lowercase hex digits, as AWS IDs are. */
static bool is_aws_id(const char *s, const char *prefix)
{
	size_t p = strlen(prefix), n = strlen(s);
	if (strncmp(s, prefix, p) || (n - p != 8 && n - p != 17))
		return false;
	for (size_t i = p; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int flowlog_option(struct flowlog_args *fl, int opt, const char *arg)
{
	uint64_t v;
	int rc;
	fl->set = true;
	switch (opt) {
	case OPT_FLOW_LOGS:
		fl->dest = arg;
		return 0;
	case OPT_LOG_FORMAT: {
		struct vx_flowlog_format f;
		char why[256];
		if (vx_flowlog_format_parse(arg, &f, why, sizeof(why)) < 0) {
			fprintf(stderr, "vxtap analyze: --log-format: invalid value '%s' (%s)\n", arg,
				why);
			return 2;
		}
		fl->format = arg;
		break;
	}
	case OPT_MAX_AGG:
		if (strcmp(arg, "60") && strcmp(arg, "600"))
			return bad_value("--max-aggregation-interval", arg, "60, 600");
		fl->interval_s = (uint32_t)atoi(arg);
		break;
	case OPT_TRAFFIC_TYPE:
		if (strcmp(arg, "ALL") && strcmp(arg, "ACCEPT") && strcmp(arg, "REJECT"))
			return bad_value("--traffic-type", arg, "ALL, ACCEPT, REJECT");
		fl->traffic_type = arg;
		break;
	case OPT_LOG_GROUP:
		fl->log_group = arg;
		break;
	case OPT_HIVE:
		fl->hive = true;
		break;
	case OPT_PER_HOUR:
		fl->per_hour = true;
		break;
	case OPT_FLOW_LOG_ID:
		if (!is_aws_id(arg, "fl-"))
			return bad_value("--flow-log-id", arg, "fl- and 8 or 17 lowercase hex digits");
		fl->flow_log_id = arg;
		break;
	case OPT_INTERFACE_ID:
		if (!is_aws_id(arg, "eni-"))
			return bad_value("--interface-id", arg,
					 "eni- and 8 or 17 lowercase hex digits");
		fl->interface_id = arg;
		break;
	case OPT_INTERFACE_ADDRESS:
	case OPT_LOCAL_NET: {
		const char *name = opt == OPT_LOCAL_NET ? "--local-net" : "--interface-address";
		struct vx_cidr c;
		char why[128];
		if (fl->n_local == VX_FLOWLOG_STAGE_LOCAL_MAX)
			return bad_value(name, arg, "at most 32 addresses and networks together");
		if (opt == OPT_LOCAL_NET) {
			if (vx_cidr_parse(arg, &c, why, sizeof(why)) < 0)
				return bad_value(name, arg, "an IPv4 or IPv6 CIDR block");
		} else {
			if (vx_addr_parse(arg, &c.family, c.addr) < 0)
				return bad_value(name, arg, "an IPv4 or IPv6 address");
			c.prefix = c.family == 4 ? 32 : 128;
			if (c.family == 4 && !fl->has_primary) {
				memcpy(fl->primary, c.addr, 4);
				fl->has_primary = true;
			}
		}
		fl->local[fl->n_local++] = c;
		break;
	}
	case OPT_FLOW_TABLE:
		if ((rc = parse_num("--flow-table-size", arg, 1, 1u << 28, &v, "1-268435456")))
			return rc;
		fl->max_flows = (uint32_t)v;
		break;
	case OPT_STATE:
		fl->state = arg;
		break;
	}
	return 0;
}

/* Check the flow-log options together and fill the stage's options. */
static int flowlog_setup(struct flowlog_args *fl, const struct vx_analyze_config *cfg,
			 const char *output, struct vx_flowlog_stage_options *o)
{
	if (!fl->dest) {
		fputs("vxtap analyze: the flow-log options apply to --flow-logs DEST; add it\n",
		      stderr);
		return 2;
	}
	bool to_stdout = !strcmp(fl->dest, "-");
	if (to_stdout && (cfg->dump || cfg->http) && (!output || !strcmp(output, "-"))) {
		fputs("vxtap analyze: --flow-logs - and the other stages would all write to standard "
		      "output; give them --output FILE\n",
		      stderr);
		return 2;
	}
	if (to_stdout && (fl->log_group || fl->hive || fl->per_hour)) {
		fputs("vxtap analyze: --log-group, --hive-compatible-partitions and "
		      "--per-hour-partition apply to a directory DEST\n",
		      stderr);
		return 2;
	}
	if (fl->log_group && (fl->hive || fl->per_hour)) {
		fputs("vxtap analyze: --hive-compatible-partitions and --per-hour-partition apply "
		      "to the S3 layout, not to --log-group\n",
		      stderr);
		return 2;
	}
	struct vx_store *st;
	int rc = vx_cli_open_store(fl->state, &st);
	if (rc)
		return rc;
	struct vx_err e = {0};
	rc = vx_config_load(st, &fl->config, &e);
	vx_store_close(st);
	if (rc < 0) {
		fprintf(stderr, "vxtap analyze: the state: %s\n", e.message);
		return 2;
	}
	fl->host = fl->config->host;
	memset(o, 0, sizeof(*o));
	struct vx_flowlogger_options *lo = &o->logger;
	lo->log_format = fl->format;
	lo->interval_s = fl->interval_s;
	lo->traffic_type = fl->traffic_type;
	lo->max_flows = fl->max_flows;
	lo->account_id = fl->host.account_id;
	lo->region = fl->host.region;
	lo->vpc_id = fl->host.vpc_id;
	lo->subnet_id = fl->host.subnet_id;
	lo->instance_id = fl->host.instance_id;
	lo->az_id = fl->host.az_id;
	struct vx_flowlog_sink_options *so = &lo->sink;
	if (to_stdout) {
		so->kind = VX_FLOWLOG_SINK_STDOUT;
		so->out = stdout;
	} else {
		so->kind = fl->log_group ? VX_FLOWLOG_SINK_CLOUDWATCH_DIR : VX_FLOWLOG_SINK_S3_DIR;
		so->directory = fl->dest;
		so->log_group = fl->log_group;
		so->hive = fl->hive;
		so->per_hour = fl->per_hour;
		so->account_id = fl->host.account_id;
		so->region = fl->host.region;
		so->flow_log_id = fl->flow_log_id ? fl->flow_log_id : "fl-00000000000000000";
	}
	o->interface_id = fl->interface_id;
	memcpy(o->local, fl->local, sizeof(o->local));
	o->n_local = fl->n_local;
	memcpy(o->primary, fl->primary, 4);
	o->has_primary = fl->has_primary;
	/* Records take their action from the state's security groups and ACLs
	 * for the interfaces they name. */
	if (fl->config->policy.n_groups || fl->config->policy.n_nacls)
		o->policy = &fl->config->policy;
	return 0;
}

int vx_cmd_analyze(int argc, char **argv)
{
	struct vx_analyze_config cfg;
	const char *read_path = NULL, *listen_addr = NULL, *ifname = NULL;
	bool dump = false, brief = false;
	const char *filter = NULL, *output = NULL, *summary = NULL;
	uint64_t snaplen = 0, rcvbuf = 32u << 20, health_port = 0, v;
	int user_ports = 0, rc, opt;
	struct flowlog_args fl = {0};

	vx_analyze_config_default(&cfg);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":r:l:i:w:f:c:o:h", analyze_options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			read_path = optarg;
			break;
		case 'l':
			listen_addr = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case OPT_DUMP:
			dump = true;
			cfg.dump = VX_DUMP_LAYERS;
			break;
		case OPT_BRIEF:
			brief = true;
			cfg.dump = VX_DUMP_BRIEF;
			break;
		case OPT_HTTP:
			cfg.http = true;
			break;
		case OPT_JSON:
			cfg.json = true;
			break;
		case 'w':
			cfg.write_path = optarg;
			break;
		case OPT_ROTATE:
			if (vx_parse_rotate(optarg, &cfg.rotate_bytes, &cfg.rotate_seconds) < 0)
				return bad_value("--rotate", optarg,
						 "a size such as 100M or 1G, or a time such as 60s, 5m, 1h");
			break;
		case OPT_VXLAN_PORT:
			if ((rc = parse_num("--vxlan-port", optarg, 1, 65535, &v, "1-65535")))
				return rc;
			if (!user_ports)
				cfg.decode.n_vxlan_ports = 0;
			user_ports = 1;
			if (cfg.decode.n_vxlan_ports == VX_MAX_VXLAN_PORTS)
				return bad_value("--vxlan-port", optarg, "at most 8 ports");
			cfg.decode.vxlan_ports[cfg.decode.n_vxlan_ports++] = (uint16_t)v;
			break;
		case OPT_GENEVE_PORT:
			if ((rc = parse_num("--geneve-port", optarg, 0, 65535, &v, "0-65535")))
				return rc;
			cfg.decode.geneve_port = (uint16_t)v;
			break;
		case OPT_MAX_ENCAP:
			if ((rc = parse_num("--max-encap", optarg, 1, 16, &v, "1-16")))
				return rc;
			cfg.decode.max_encap_depth = (uint8_t)v;
			break;
		case OPT_VXLAN_ONLY:
			cfg.vxlan_only = true;
			break;
		case 'f':
			filter = optarg;
			break;
		case OPT_SNAPLEN:
			if ((rc = parse_num("--snaplen", optarg, 64, 262144, &snaplen, "64-262144")))
				return rc;
			break;
		case OPT_RCVBUF:
			if ((rc = parse_num("--rcvbuf", optarg, 4096, 1u << 30, &rcvbuf,
					    "4096-1073741824")))
				return rc;
			break;
		case OPT_HEALTH_PORT:
			if ((rc = parse_num("--health-port", optarg, 1, 65535, &health_port,
					    "1-65535")))
				return rc;
			break;
		case 'c':
			if ((rc = parse_num("--count", optarg, 1, UINT64_MAX, &cfg.max_frames,
					    "a positive number")))
				return rc;
			break;
		case OPT_DURATION:
			if ((rc = parse_num("--duration", optarg, 1, 315360000, &v,
					    "1-315360000 seconds")))
				return rc;
			cfg.duration_sec = (uint32_t)v;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_SUMMARY:
			summary = optarg;
			break;
		case OPT_HTTP_CONNS:
			if ((rc = parse_num("--http-connections", optarg, 16, 1u << 24, &v,
					    "16-16777216")))
				return rc;
			cfg.http_cfg.max_connections = (uint32_t)v;
			break;
		case OPT_FLOW_LOGS:
		case OPT_LOG_FORMAT:
		case OPT_MAX_AGG:
		case OPT_TRAFFIC_TYPE:
		case OPT_LOG_GROUP:
		case OPT_HIVE:
		case OPT_PER_HOUR:
		case OPT_FLOW_LOG_ID:
		case OPT_INTERFACE_ID:
		case OPT_INTERFACE_ADDRESS:
		case OPT_LOCAL_NET:
		case OPT_FLOW_TABLE:
		case OPT_STATE:
			if ((rc = flowlog_option(&fl, opt, optarg)))
				return rc;
			break;
		case 'h':
			fputs(analyze_usage, stdout);
			return 0;
		case ':':
			fprintf(stderr, "vxtap analyze: %s needs a value (see vxtap analyze --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "vxtap analyze: unknown option '%s' (see vxtap analyze --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vxtap analyze: unexpected argument '%s' (see vxtap analyze --help)\n",
			argv[optind]);
		return 2;
	}
	if (!!read_path + !!listen_addr + !!ifname != 1) {
		fputs("vxtap analyze: give exactly one input: --read FILE, --listen ADDR:PORT or "
		      "--interface IFACE\n",
		      stderr);
		return 2;
	}
	if (dump && brief) {
		fputs("vxtap analyze: --dump and --brief are two forms of one listing; give one\n",
		      stderr);
		return 2;
	}
	if (cfg.json && !cfg.http) {
		fputs("vxtap analyze: --json formats the HTTP log; add --http\n", stderr);
		return 2;
	}
	if ((cfg.rotate_bytes || cfg.rotate_seconds) && !cfg.write_path) {
		fputs("vxtap analyze: --rotate applies to --write; add --write FILE\n", stderr);
		return 2;
	}
	if (filter && !ifname) {
		fputs("vxtap analyze: --filter applies to --interface\n", stderr);
		return 2;
	}
	if (health_port && !listen_addr) {
		fputs("vxtap analyze: --health-port applies to --listen\n", stderr);
		return 2;
	}
	struct vx_flowlog_stage_options flow_opts;
	if (fl.set) {
		if ((rc = flowlog_setup(&fl, &cfg, output, &flow_opts)))
			return rc;
		cfg.flowlogs = &flow_opts;
	}

	char err[512] = "";
	struct vx_source *src;
	if (read_path)
		src = vx_source_open_file(read_path, err, sizeof(err));
	else if (listen_addr)
		src = vx_source_open_udp(listen_addr, (int)rcvbuf, err, sizeof(err));
	else
		src = vx_source_open_live(ifname, filter, (int)snaplen, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "vxtap analyze: %s\n", err);
		vx_config_free(fl.config);
		return 2;
	}
	if (listen_addr && cfg.decode.geneve_port &&
	    vx_source_udp_port(src) == cfg.decode.geneve_port)
		vx_source_udp_geneve(src);
	/* Set up, but with less than asked for (a smaller receive buffer). */
	if (listen_addr && *vx_source_error(src))
		fprintf(stderr, "vxtap analyze: warning: %s\n", vx_source_error(src));

	/* Health checks are answered on the address the datagrams arrive at,
	 * so a member is healthy only where it can receive. */
	struct vx_health *health = NULL;
	if (health_port) {
		struct sockaddr_storage ss;
		socklen_t sslen;

		if (vx_source_udp_address(src, &ss, &sslen) == 0)
			health = vx_health_open((struct sockaddr *)&ss, sslen, (uint16_t)health_port,
						err, sizeof(err));
		else
			snprintf(err, sizeof(err), "the input is not a UDP listener");
		if (!health) {
			fprintf(stderr, "vxtap analyze: --health-port: %s\n", err);
			vx_source_close(src);
			vx_config_free(fl.config);
			return 2;
		}
	}
	cfg.health = health;

	int out_fd = 1, summary_fd = 2, summary_on = 1;
	if (output && (rc = open_out(output, &out_fd))) {
		vx_health_close(health);
		vx_source_close(src);
		vx_config_free(fl.config);
		return rc;
	}
	if (summary) {
		if (!strcmp(summary, "none")) {
			summary_on = 0;
		} else if ((rc = open_out(summary, &summary_fd))) {
			vx_health_close(health);
			vx_source_close(src);
			vx_config_free(fl.config);
			return rc;
		}
	}
	cfg.out_fd = out_fd;

	struct vx_analyzer *a = vx_analyzer_create(&cfg, vx_source_nanosecond(src), err, sizeof(err));
	if (!a) {
		fprintf(stderr, "vxtap analyze: %s\n", err);
		vx_health_close(health);
		vx_source_close(src);
		vx_config_free(fl.config);
		return 2;
	}
	install_signals();
	rc = 0;
	if (vx_analyzer_run(a, src, &stop_requested, &report_requested, summary_fd) < 0) {
		fprintf(stderr, "vxtap analyze: %s\n", vx_source_error(src));
		rc = 1;
	}
	if (vx_analyzer_flush(a) < 0) {
		fprintf(stderr, "vxtap analyze: %s\n", vx_analyzer_write_error(a));
		rc = 1;
	}
	if (summary_on)
		vx_analyzer_summary(a, src, summary_fd);
	vx_analyzer_destroy(a);
	vx_health_close(health);
	/* A file that ended in a damaged record was read up to that point:
	 * say so, but it is not a failure of the run. */
	if (read_path && vx_source_error(src) && *vx_source_error(src) && rc == 0)
		fprintf(stderr, "vxtap analyze: warning: %s\n", vx_source_error(src));
	vx_source_close(src);
	if (out_fd > 2)
		close(out_fd);
	if (summary_fd > 2)
		close(summary_fd);
	vx_config_free(fl.config);
	return rc;
}
