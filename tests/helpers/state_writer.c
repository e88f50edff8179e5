/*
 * state_writer.c - crash child for test_state: opens the state store in
 * argv[1] and writes transactions forever (see state_writer.h for what
 * each holds), continuing after the last one that committed.  The test
 * kills it with SIGKILL at a random moment and checks that every
 * transaction is in the store whole or not at all.
 *
 * Exit codes: 2 usage, 1 a state store call failed, 3 the store holds
 * something the writer did not expect.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ferry/err.h"
#include "ferry/state.h"
#include "state_writer.h"

static int fail(const char *what, const struct err *e)
{
	fprintf(stderr, "state_writer: %s: %s\n", what, e->msg);
	return 1;
}

int main(int argc, char **argv)
{
	struct state_options opt = { SW_MAP_SIZE, SW_MAX_MAP_SIZE };
	static char row[SW_ROW_MAX];
	struct state_txn *t;
	struct state *st;
	struct err e;
	int64_t progress = 0;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: state_writer DIR\n");
		return 2;
	}
	if (state_open(argv[1], &opt, &st, &e))
		return fail("open", &e);
	if (state_txn_begin(st, STATE_TXN_READ, &t, &e))
		return fail("begin read", &e);
	rc = state_meta_get_i64(t, "progress", &progress, &e);
	state_txn_abort(t);
	if (rc && rc != FERRY_ENOTFOUND)
		return fail("read progress", &e);

	for (uint64_t i = (uint64_t)progress + 1;; i++) {
		struct state_reject r;
		char small[4][64];
		uint64_t id;

		if (state_txn_begin(st, STATE_TXN_WRITE, &t, &e))
			return fail("begin write", &e);
		for (int j = 0; j < SW_PER_TXN; j++) {
			unsigned char key[8];
			struct state_idval v;

			state_key_i64(sw_key(i, j), key);
			sw_idval(i, j, &v);
			if (state_idmap_put(t, "task", key, sizeof(key), &v,
					    &e))
				return fail("put", &e);
		}
		sw_reject(i, &r, row, small);
		if (state_reject_add(t, &r, &id, &e))
			return fail("add reject", &e);
		if (id != i) {
			fprintf(stderr, "state_writer: reject id %" PRIu64
				" in transaction %" PRIu64 "\n", id, i);
			return 3;
		}
		if (state_meta_put_i64(t, "progress", (int64_t)i, &e))
			return fail("put progress", &e);
		if (state_txn_commit(t, &e))
			return fail("commit", &e);
	}
}
