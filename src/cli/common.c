/*
 * common.c - what every subcommand shares: -c FILE, -h, versions.
 */
#include <getopt.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <lmdb.h>
#include <mysql.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "cli.h"

void cli_format_time(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cli_versions(char *out, size_t n)
{
	int pq = PQlibVersion(), major, minor, patch;

	mdb_version(&major, &minor, &patch);
	snprintf(out, n,
		 "ferry %s (libpq %d.%d, mariadb-connector-c %s, lmdb %d.%d.%d, "
		 "libyaml %s, jansson %s)",
		 FERRY_VERSION, pq / 10000, pq % 10000,
		 mysql_get_client_info(), major, minor, patch,
		 yaml_get_version_string(), jansson_version_str());
}

int cli_load_config_ext(int argc, char **argv, const char *usage,
			const struct option *extra,
			int (*on_option)(int c, const char *arg, void *ctx),
			void *ctx, struct config *cfg, int *argi)
{
	struct option opts[32] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
	};
	const char *path = CLI_DEFAULT_CONFIG;
	size_t n = 2;
	struct err e;
	int c;

	/* the subcommand's own options are parsed in the same pass, so
	 * they may come before or after -c */
	for (size_t i = 0; extra && extra[i].name && n < 31; i++)
		opts[n++] = extra[i];
	memset(&opts[n], 0, sizeof(opts[n]));
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			printf("Usage: ferry %s [-c FILE]%s\n\n"
			       "  -c, --config FILE  configuration file "
			       "(default %s)\n"
			       "  -h, --help         this text\n",
			       argv[0], usage ? usage : "",
			       CLI_DEFAULT_CONFIG);
			return CLI_DONE;
		case '?':
			fprintf(stderr, "Try 'ferry %s --help'.\n", argv[0]);
			return CLI_USAGE;
		default:
			if (!on_option || on_option(c, optarg, ctx)) {
				fprintf(stderr, "Try 'ferry %s --help'.\n",
					argv[0]);
				return CLI_USAGE;
			}
		}
	}
	*argi = optind;
	if (config_load(path, cfg, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return CLI_USAGE;
	}
	log_set_level(cfg->log_level);
	return CLI_OK;
}

int cli_load_config(int argc, char **argv, const char *usage,
		    struct config *cfg, int *argi)
{
	return cli_load_config_ext(argc, argv, usage, NULL, NULL, NULL, cfg,
				   argi);
}
