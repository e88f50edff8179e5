/*
 * cmd_later.c - subcommands whose issue has not landed yet.  They accept
 * the common options, so scripts can be written against them now, and
 * exit 3 ("not available") with a line saying so.
 */
#include <stdio.h>

#include "cli.h"

static int not_yet(int argc, char **argv, const char *what)
{
	struct config cfg;
	int argi, rc;

	rc = cli_load_config(argc, argv, NULL, &cfg, &argi);
	if (rc)
		return rc == CLI_DONE ? CLI_OK : rc;
	config_release(&cfg);
	fprintf(stderr, "ferry %s: not implemented yet (%s)\n", argv[0],
		what);
	return CLI_UNAVAILABLE;
}

int cmd_plan(int argc, char **argv)
{
	return not_yet(argc, argv, "planned with per-project canary");
}

int cmd_cutover(int argc, char **argv)
{
	return not_yet(argc, argv, "planned with per-project canary");
}
