/*
 * cmd_check_config.c - `ferry check-config`: validate, connect nowhere.
 */
#include <stdio.h>

#include "cli.h"

static void describe(const char *role, const struct config_db *db)
{
	printf("  %-7s %s %s@%s:%d/%s", role, config_driver_name(db->driver),
	       db->user, db->host, db->port, db->database);
	if (db->password_file)
		printf(" password_file=%s", db->password_file);
	else if (db->password_env)
		printf(" password_env=%s", db->password_env);
	printf("\n");
}

int cmd_check_config(int argc, char **argv)
{
	struct config cfg;
	int argi, rc;

	rc = cli_load_config(argc, argv, NULL, &cfg, &argi);
	if (rc)
		return rc == CLI_DONE ? CLI_OK : rc;
	if (argi < argc) {
		fprintf(stderr, "ferry check-config: unexpected argument "
			"\"%s\"\n", argv[argi]);
		config_release(&cfg);
		return CLI_USAGE;
	}
	printf("%s: ok\n", cfg.path);
	describe("source", &cfg.source);
	describe("target", &cfg.target);
	printf("  mapping %s\n  state   %s\n", cfg.mapping, cfg.state_dir);
	if (cfg.nprojects == 0) {
		printf("  projects: all\n");
	} else {
		printf("  projects:");
		for (size_t i = 0; i < cfg.nprojects; i++)
			printf(" %s", cfg.projects[i]);
		printf("\n");
	}
	config_release(&cfg);
	return CLI_OK;
}
