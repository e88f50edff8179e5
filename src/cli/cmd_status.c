/*
 * cmd_status.c - `ferry status`: what the state store knows, read-only.
 *
 * Works while the daemon runs (LMDB readers do not block the writer).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "ferry/state.h"

static int print_project(const struct state_project *p, void *arg)
{
	char when[32];

	(void)arg;
	cli_format_time(p->since_ms, when, sizeof(when));
	printf("  %-30s %-12s since %s at %s\n", p->name,
	       state_project_phase_name(p->phase), when,
	       p->position[0] ? p->position : "-");
	return 0;
}

/* Open the store if ferry has ever run; 1 (and a line) if it has not. */
int cli_open_state(const struct config *cfg, struct state **st)
{
	struct state_options so = { cfg->state_map_size,
				    cfg->state_max_map_size };
	struct stat sb;
	struct err e;

	if (stat(cfg->state_dir, &sb) < 0 && errno == ENOENT) {
		printf("no state yet: ferry has not run with state_dir %s\n",
		       cfg->state_dir);
		return 1;
	}
	if (state_open(cfg->state_dir, &so, st, &e)) {
		fprintf(stderr, "ferry: %s\n", e.msg);
		return -1;
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct state_txn *t = NULL;
	struct state *st = NULL;
	struct ferry_pos pos;
	char text[POS_TEXT_MAX];
	uint64_t nrejects = 0, nids = 0;
	size_t map, used, max;
	struct config cfg;
	struct err e;
	int argi, rc;

	rc = cli_load_config(argc, argv, NULL, &cfg, &argi);
	if (rc)
		return rc == CLI_DONE ? CLI_OK : rc;
	rc = cli_open_state(&cfg, &st);
	if (rc) {
		config_release(&cfg);
		return rc > 0 ? CLI_OK : CLI_FAILED;
	}
	rc = CLI_FAILED;
	if (state_txn_begin(st, STATE_TXN_READ, &t, &e))
		goto out;
	rc = state_position_get(t, &pos, &e);
	if (rc == FERRY_ENOTFOUND)
		pos.kind = POS_NONE;
	else if (rc)
		goto out;
	rc = CLI_FAILED;
	if (state_reject_count(t, &nrejects, &e) ||
	    state_idmap_count(t, NULL, &nids, &e))
		goto out;
	printf("state_dir   %s\n", cfg.state_dir);
	printf("position    %s\n", pos_format(&pos, text, sizeof(text)));
	printf("id map      %llu entries\n", (unsigned long long)nids);
	printf("rejects     %llu%s\n", (unsigned long long)nrejects,
	       nrejects ? " (ferry rejects list)" : "");
	state_usage(st, &map, &used, &max);
	printf("state store %.1f MiB used of %.1f MiB map (limit %.1f MiB)\n",
	       (double)used / 1048576.0, (double)map / 1048576.0,
	       (double)max / 1048576.0);
	printf("projects\n");
	if (state_project_each(t, print_project, NULL, &e))
		goto out;
	rc = CLI_OK;
out:
	if (rc != CLI_OK)
		fprintf(stderr, "ferry status: %s\n", e.msg);
	state_txn_abort(t);
	state_close(st);
	config_release(&cfg);
	return rc;
}
