/* Command entry points of the vxtap CLI. Each returns the process exit code:
 * 0 success, 1 runtime failure, 2 bad usage or unreadable input. */
#ifndef VXTAP_CLI_H
#define VXTAP_CLI_H

#define VXTAP_VERSION "0.1.0"

int vx_cmd_analyze(int argc, char **argv);

#endif
