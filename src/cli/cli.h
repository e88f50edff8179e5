/*
 * cli.h - subcommands of the ferry binary (private to src/cli and main.c).
 *
 * Each subcommand gets argv starting at its own name and returns one of
 * the exit codes below; main() passes it to exit().  Errors are printed
 * here, at the edge, never by the modules underneath.
 */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/config.h"

enum cli_exit {
	CLI_OK = 0,		/* done */
	CLI_FAILED = 1,		/* the operation failed, or found an
				   inconsistency */
	CLI_USAGE = 2,		/* usage or configuration error */
	CLI_UNAVAILABLE = 3,	/* not available (yet) */
	CLI_DONE = -1,		/* internal: help was shown, exit 0 */
};

#define CLI_DEFAULT_CONFIG "/etc/ferry/ferry.yaml"

int cmd_run(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_cutover(int argc, char **argv);
int cmd_rejects(int argc, char **argv);

/*
 * Parse the options every subcommand shares (-c FILE, -h) and load the
 * configuration.  `extra_usage` is printed under the common options by
 * -h.  Returns CLI_OK with `cfg` filled (release it), CLI_DONE after
 * printing the help, or an exit code after printing why; `*argi` is the
 * index of the first operand.  Callers: `return rc == CLI_DONE ? CLI_OK :
 * rc;`.
 */
int cli_load_config(int argc, char **argv, const char *usage,
		    struct config *cfg, int *argi);
/*
 * The same, with the subcommand's own long options (`extra`, ended by a
 * zeroed entry; val > 255 recommended) handed to `on_option`, which
 * returns non-zero to refuse one.
 */
struct option;
int cli_load_config_ext(int argc, char **argv, const char *usage,
			const struct option *extra,
			int (*on_option)(int c, const char *arg, void *ctx),
			void *ctx, struct config *cfg, int *argi);

struct state;
/* Open the state store of `cfg` for inspection: 0 and `*st`; 1 after
 * printing that ferry has not run yet; -1 after printing an error. */
int cli_open_state(const struct config *cfg, struct state **st);
/* Unix ms -> "2026-11-21T22:41:03Z". */
void cli_format_time(int64_t ms, char *out, size_t n);
/* Versions of ferry and of every library it links, one line. */
void cli_versions(char *out, size_t n);

#endif
