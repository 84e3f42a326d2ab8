/* Command entry points of the vxtap CLI. Each returns the process exit code:
 * 0 success, 1 runtime failure, 2 bad usage or unreadable input, 254 an
 * action the control plane refused (as the AWS CLI). */
#ifndef VXTAP_CLI_H
#define VXTAP_CLI_H

#include <stdio.h>

#include "vxtap/action.h"

#define VXTAP_VERSION "0.1.0"

int vx_cmd_analyze(int argc, char **argv);

/* A control-plane verb from the action table. */
int vx_cmd_control(const struct vx_action *a, int argc, char **argv);
void vx_cli_action_help(const struct vx_action *a, FILE *f);

/* State commands: export, apply, audit; the daemon: run, status. */
int vx_cmd_export(int argc, char **argv);
int vx_cmd_apply(int argc, char **argv);
int vx_cmd_audit(int argc, char **argv);
int vx_cmd_run(int argc, char **argv);
int vx_cmd_status(int argc, char **argv);
int vx_cmd_stats(int argc, char **argv);
int vx_cmd_status_part(int argc, char **argv, const char *part);

/* Shared by the commands that use the store: open --state (or the default),
 * printing the error; returns an exit code (0 = opened). */
int vx_cli_open_store(const char *state, struct vx_store **st);
/* Run one action with the CLI as caller; a refusal prints the AWS CLI's
 * error line. Returns the exit code (0 with *resp set, 254 refused, 1/2). */
int vx_cli_invoke(const char *state, const struct vx_action *a, json_t *req, json_t **resp);
void vx_cli_caller(struct vx_caller *caller, char *principal, size_t plen, char *source,
		   size_t slen);

#endif
