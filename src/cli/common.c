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

int cli_load_config(int argc, char **argv, const char *usage,
		    struct config *cfg, int *argi)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CLI_DEFAULT_CONFIG;
	struct err e;
	int c;

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
		default:
			fprintf(stderr, "Try 'ferry %s --help'.\n", argv[0]);
			return CLI_USAGE;
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
