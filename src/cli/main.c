/* vxtap: one program, several roles; the first argument picks the command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("usage: vxtap <command> [options]\n"
	      "\n"
	      "commands:\n"
	      "  analyze    receive mirrored (VXLAN) traffic from a file, a UDP socket or an\n"
	      "             interface; dump packets, log HTTP, write decapsulated pcaps\n"
	      "  version    print the version\n"
	      "\n"
	      "Run 'vxtap <command> --help' for the options of a command.\n",
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
	if (!strcmp(cmd, "analyze"))
		return vx_cmd_analyze(argc - 1, argv + 1);
	fprintf(stderr, "vxtap: unknown command '%s' (commands: analyze, version)\n", cmd);
	return 2;
}
