/*
 * cmd_rejects.c - `ferry rejects`: the rows ferry could not transform.
 *
 *   ferry rejects -c FILE [list]     one line per reject
 *   ferry rejects -c FILE show ID    everything stored, the row included
 *   ferry rejects -c FILE delete ID  forget one (after fixing it by hand)
 *
 * Retrying rejects after a mapping fix needs the running pipeline and
 * arrives with it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ferry/state.h"

static int print_line(const struct state_reject *r, void *arg)
{
	char when[32];

	(*(uint64_t *)arg)++;
	cli_format_time(r->time_ms, when, sizeof(when));
	printf("%" PRIu64 "\t%s\t%s\t%s\t%s\t%s\n", r->id, when, r->table,
	       r->op, r->pk, r->reason);
	return 0;
}

static int parse_id(const char *s, uint64_t *id)
{
	char *end;

	errno = 0;
	*id = strtoull(s, &end, 10);
	return errno || *end || !*s || s[0] == '-' ? -1 : 0;
}

static int do_list(struct state *st, struct err *e)
{
	struct state_txn *t;
	uint64_t n = 0;
	int rc;

	rc = state_txn_begin(st, STATE_TXN_READ, &t, e);
	if (rc)
		return rc;
	printf("id\ttime\ttable\top\tkey\treason\n");
	rc = state_reject_each(t, print_line, &n, e);
	state_txn_abort(t);
	if (!rc)
		printf("%" PRIu64 " rejected row%s\n", n, n == 1 ? "" : "s");
	return rc;
}

static int do_show(struct state *st, uint64_t id, struct err *e)
{
	struct state_reject r;
	struct state_txn *t;
	char when[32];
	int rc;

	rc = state_txn_begin(st, STATE_TXN_READ, &t, e);
	if (rc)
		return rc;
	rc = state_reject_get(t, id, &r, e);
	state_txn_abort(t);
	if (rc)
		return rc;
	cli_format_time(r.time_ms, when, sizeof(when));
	printf("id        %" PRIu64 "\ntime      %s\ntable     %s\n"
	       "op        %s\nkey       %s\nposition  %s\nreason    %s\n"
	       "row       %s\n", r.id, when, r.table, r.op, r.pk,
	       r.position, r.reason, r.row);
	state_reject_release(&r);
	return 0;
}

static int do_delete(struct state *st, uint64_t id, struct err *e)
{
	struct state_txn *t;
	int rc;

	rc = state_txn_begin(st, STATE_TXN_WRITE, &t, e);
	if (rc)
		return rc;
	rc = state_reject_del(t, id, e);
	if (rc) {
		state_txn_abort(t);
		return rc;
	}
	rc = state_txn_commit(t, e);
	if (!rc)
		printf("deleted reject %" PRIu64 "\n", id);
	return rc;
}

int cmd_rejects(int argc, char **argv)
{
	const char *action = "list";
	struct state *st = NULL;
	struct config cfg;
	uint64_t id = 0;
	struct err e;
	int argi, rc;

	rc = cli_load_config(argc, argv, " [list | show ID | delete ID]",
			     &cfg, &argi);
	if (rc)
		return rc == CLI_DONE ? CLI_OK : rc;
	if (argi < argc)
		action = argv[argi++];
	rc = CLI_USAGE;
	if (strcmp(action, "list") == 0) {
		if (argi != argc)
			goto usage;
	} else if (strcmp(action, "show") == 0 ||
		   strcmp(action, "delete") == 0) {
		if (argi + 1 != argc || parse_id(argv[argi], &id))
			goto usage;
	} else if (strcmp(action, "retry") == 0) {
		fprintf(stderr, "ferry rejects retry: not implemented yet "
			"(arrives with the running pipeline)\n");
		rc = CLI_UNAVAILABLE;
		goto out;
	} else {
		goto usage;
	}
	rc = cli_open_state(&cfg, &st);
	if (rc) {
		rc = rc > 0 ? CLI_OK : CLI_FAILED;
		goto out;
	}
	err_clear(&e);
	if (strcmp(action, "list") == 0)
		rc = do_list(st, &e);
	else if (strcmp(action, "show") == 0)
		rc = do_show(st, id, &e);
	else
		rc = do_delete(st, id, &e);
	if (rc) {
		fprintf(stderr, "ferry rejects %s: %s\n", action,
			rc == FERRY_ENOTFOUND ? "no such reject" : e.msg);
		rc = CLI_FAILED;
	}
	goto out;
usage:
	fprintf(stderr, "Usage: ferry rejects [-c FILE] [list | show ID | "
		"delete ID]\n");
out:
	state_close(st);
	config_release(&cfg);
	return rc;
}
