/* vxtap: one program, several roles; the first argument picks the command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("usage: vxtap <command> [options]\n"
	      "\n"
	      "roles:\n"
	      "  analyze    receive mirrored (VXLAN) traffic from a file, a UDP socket or an\n"
	      "             interface; dump packets, log HTTP, write decapsulated pcaps\n"
	      "  run        the agent daemon: applies the state and every change to it\n"
	      "  status     what the running daemon has applied\n"
	      "  stats      the running daemon's mirroring counters\n"
	      "\n"
	      "state:\n"
	      "  export     print the whole state as one JSON document\n"
	      "  apply      replace the whole state with such a document (apply -f FILE)\n"
	      "  audit      the log of every change attempted, as JSON lines\n"
	      "\n"
	      "control plane (the AWS CLI's verbs and options):\n",
	      f);
	for (const struct vx_action *a = vx_actions; a->name; a++)
		if (strcmp(a->verb, "export") && strcmp(a->verb, "apply"))
			fprintf(f, "  %s\n", a->verb);
	fputs("\n  version    print the version\n"
	      "\nRun 'vxtap <command> --help' for the options of a command.\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("vxtap %s\n", VXTAP_VERSION);
		return 0;
	}
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} commands[] = {
		{"analyze", vx_cmd_analyze}, {"run", vx_cmd_run},     {"status", vx_cmd_status},
		{"stats", vx_cmd_stats},
		{"export", vx_cmd_export},   {"apply", vx_cmd_apply}, {"audit", vx_cmd_audit},
	};
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	const struct vx_action *a = vx_action_by_verb(cmd);
	if (a)
		return vx_cmd_control(a, argc - 1, argv + 1);
	fprintf(stderr, "vxtap: unknown command '%s' (vxtap --help lists the commands)\n", cmd);
	return 2;
}
