/*
 * main.c - ferry's entry point: argv -> subcommand -> exit code.
 *
 * Exit codes (cli.h): 0 ok, 1 operation failed or inconsistency found,
 * 2 usage or configuration error, 3 not available.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct subcommand subcommands[] = {
	{ "run", cmd_run, "migrate: snapshot, then stream changes" },
	{ "check-config", cmd_check_config,
	  "validate the configuration file (connects nowhere)" },
	{ "status", cmd_status,
	  "show position, projects, rejects and state store usage" },
	{ "plan", cmd_plan, "show what a run would migrate" },
	{ "verify", cmd_verify, "compare source meaning with target rows" },
	{ "cutover", cmd_cutover, "cut a project over to the new version" },
	{ "rejects", cmd_rejects, "list, show or delete rejected rows" },
};

#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"ferry - live, cross-version metadata migration by change "
		"data capture\n\n"
		"Usage: ferry COMMAND [-c FILE] [OPTIONS]\n"
		"       ferry --help | --version\n\nCommands:\n");
	for (size_t i = 0; i < NSUB; i++)
		fprintf(f, "  %-14s %s\n", subcommands[i].name,
			subcommands[i].help);
	fprintf(f,
		"\nEvery command takes -c FILE (default %s);\n"
		"'ferry COMMAND --help' shows its options.\n\n"
		"Exit codes: 0 ok, 1 operation failed or inconsistency found,"
		"\n            2 usage or configuration error, 3 not "
		"available.\n", CLI_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
	char versions[512];

	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		cli_versions(versions, sizeof(versions));
		printf("%s\n", versions);
		return CLI_OK;
	}
	for (size_t i = 0; i < NSUB; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "ferry: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
