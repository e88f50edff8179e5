/*
 * test_pipeline.c - change records, the bounded queue and the pipeline
 * spine, driven by an in-process source and sink (the pipeline's own logic
 * is pure: real databases come in the integration tests).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ferry/change.h"
#include "ferry/pipeline.h"
#include "ferry/queue.h"
#include "ferry/signals.h"
#include "harness.h"

/* ---- change records ------------------------------------------------- */

TEST(change_row_keeps_values_nulls_and_unchanged)
{
	struct table_desc *t = table_desc_new("public", "t", 3);
	struct change *c;
	const char *v;
	size_t len;

	table_desc_set_col(t, 0, "id", DATUM_T_INT, 20, true);
	table_desc_set_col(t, 1, "name", DATUM_T_TEXT, 25, false);
	table_desc_set_col(t, 2, "blob", DATUM_T_TEXT, 25, false);
	c = change_new_row(CHANGE_UPDATE, t, true, true);
	table_desc_unref(t);	/* the change holds its own reference */
	CHECK_INT_EQ(change_set_new(c, 0, DATUM_VALUE, "42", 2), 0);
	CHECK_INT_EQ(change_set_new(c, 1, DATUM_NULL, NULL, 0), 0);
	CHECK_INT_EQ(change_set_new(c, 2, DATUM_UNCHANGED, NULL, 0), 0);
	CHECK_INT_EQ(change_set_old(c, 0, DATUM_VALUE, "41", 2), 0);
	CHECK_INT_EQ(change_set_new(c, 3, DATUM_NULL, NULL, 0), FERRY_EINVAL);
	CHECK_INT_EQ(change_new(c, 0, &v, &len), DATUM_VALUE);
	CHECK_STR_EQ(v, "42");
	CHECK_INT_EQ(len, 2);
	CHECK_INT_EQ(change_new(c, 1, NULL, NULL), DATUM_NULL);
	CHECK_INT_EQ(change_new(c, 2, NULL, NULL), DATUM_UNCHANGED);
	CHECK_INT_EQ(change_old(c, 0, &v, &len), DATUM_VALUE);
	CHECK_STR_EQ(v, "41");
	CHECK_INT_EQ(change_old(c, 1, NULL, NULL), DATUM_ABSENT);
	CHECK_INT_EQ(table_desc_find(c->table, "blob"), 2);
	CHECK_INT_EQ(table_desc_find(c->table, "nope"), -1);
	CHECK(change_mem_size(c) > sizeof(*c));
	/* id is the key: the new and the old image carry it */
	CHECK(change_has_own_key(c, false));
	CHECK(change_has_own_key(c, true));
	change_free(c);
}

TEST(change_has_own_key_needs_every_key_column_and_a_key)
{
	struct table_desc *t = table_desc_new("", "k", 3);
	struct table_desc *nokey = table_desc_new("", "n", 1);
	struct change *c;

	table_desc_set_col(t, 0, "id", DATUM_T_INT, 0, true);
	table_desc_set_col(t, 1, "code", DATUM_T_INT, 0, true);
	table_desc_set_col(t, 2, "name", DATUM_T_TEXT, 0, false);
	table_desc_set_col(nokey, 0, "v", DATUM_T_TEXT, 0, false);
	c = change_new_row(CHANGE_DELETE, t, true, false);
	CHECK_INT_EQ(change_set_old(c, 0, DATUM_VALUE, "1", 1), 0);
	CHECK(!change_has_own_key(c, true));	/* code missing */
	CHECK_INT_EQ(change_set_old(c, 1, DATUM_NULL, NULL, 0), 0);
	CHECK(!change_has_own_key(c, true));	/* code NULL */
	CHECK_INT_EQ(change_set_old(c, 1, DATUM_VALUE, "7", 1), 0);
	CHECK(change_has_own_key(c, true));	/* name is not key */
	CHECK(change_has_values(c, true, (const int[]){ 1, 0 }, 2));
	CHECK(!change_has_values(c, true, (const int[]){ 0, 2 }, 2));
	CHECK(!change_has_values(c, false, (const int[]){ 0 }, 1));
	change_free(c);
	c = change_new_row(CHANGE_DELETE, nokey, true, false);
	CHECK_INT_EQ(change_set_old(c, 0, DATUM_VALUE, "x", 1), 0);
	CHECK(!change_has_own_key(c, true));	/* no key at all */
	change_free(c);
	table_desc_unref(t);
	table_desc_unref(nokey);
}

TEST(change_values_survive_payload_growth)
{
	struct table_desc *t = table_desc_new("", "wide", 200);
	struct change *c = change_new_row(CHANGE_INSERT, t, false, true);
	char val[64];
	const char *v;

	for (uint32_t i = 0; i < 200; i++) {
		int n = snprintf(val, sizeof(val), "value-%u-%0*d", i,
				 (int)(i % 40), 0);

		CHECK_INT_EQ(change_set_new(c, i, DATUM_VALUE, val,
					    (size_t)n), 0);
	}
	for (uint32_t i = 0; i < 200; i++) {
		snprintf(val, sizeof(val), "value-%u-%0*d", i, (int)(i % 40),
			 0);
		CHECK_INT_EQ(change_new(c, i, &v, NULL), DATUM_VALUE);
		CHECK_STR_EQ(v, val);
	}
	change_free(c);
	table_desc_unref(t);
}

/* ---- queue ---------------------------------------------------------- */

TEST(queue_is_fifo_and_bounded_by_count_and_bytes)
{
	struct queue *q = queue_new(3, 100, NULL);
	struct queue_stats st;
	void *item;

	CHECK_INT_EQ(queue_push(q, (void *)1, 10, 0), 0);
	CHECK_INT_EQ(queue_push(q, (void *)2, 10, 0), 0);
	CHECK_INT_EQ(queue_push(q, (void *)3, 90, 0), FERRY_ETIMEDOUT);
	CHECK_INT_EQ(queue_push(q, (void *)3, 10, 0), 0);
	CHECK_INT_EQ(queue_push(q, (void *)4, 1, 10), FERRY_ETIMEDOUT);
	CHECK_INT_EQ(queue_pop(q, &item, 0), 0);
	CHECK(item == (void *)1);
	CHECK_INT_EQ(queue_pop(q, &item, 0), 0);
	CHECK(item == (void *)2);
	CHECK_INT_EQ(queue_pop(q, &item, 0), 0);
	CHECK(item == (void *)3);
	CHECK_INT_EQ(queue_pop(q, &item, 5), FERRY_ETIMEDOUT);
	/* alone, an item over the byte bound still passes */
	CHECK_INT_EQ(queue_push(q, (void *)5, 1000, 0), 0);
	CHECK_INT_EQ(queue_push(q, (void *)6, 1, 0), FERRY_ETIMEDOUT);
	queue_get_stats(q, &st);
	CHECK_INT_EQ(st.items, 1);
	CHECK_INT_EQ(st.bytes, 1000);
	CHECK_INT_EQ(st.max_items_seen, 3);
	CHECK_INT_EQ(st.pushes, 4);
	queue_free(q);
}

TEST(queue_close_drains_then_reports_closed)
{
	struct queue *q = queue_new(4, 0, NULL);
	void *item;

	CHECK_INT_EQ(queue_push(q, (void *)7, 1, 0), 0);
	queue_close(q);
	CHECK_INT_EQ(queue_push(q, (void *)8, 1, 0), FERRY_ECLOSED);
	CHECK_INT_EQ(queue_pop(q, &item, -1), 0);
	CHECK(item == (void *)7);
	CHECK_INT_EQ(queue_pop(q, &item, -1), FERRY_ECLOSED);
	queue_free(q);
}

static int dropped;
static void count_drop(void *item)
{
	(void)item;
	dropped++;
}

TEST(queue_free_hands_leftovers_to_drop)
{
	struct queue *q = queue_new(8, 0, count_drop);

	for (int i = 0; i < 5; i++)
		CHECK_INT_EQ(queue_push(q, (void *)(intptr_t)(i + 1), 1, 0), 0);
	queue_free(q);
	CHECK_INT_EQ(dropped, 5);
}

/* ---- pipeline ------------------------------------------------------- */

/*
 * Source: `ntxn` transactions (0 = endless) of `rows` rows each.  Row ids
 * count up from 1; COMMIT of txn k carries LSN k.  With `stop_after`, the
 * source raises SIGTERM once it has produced that many transactions.
 */
struct fake_src {
	struct table_desc *table;
	uint64_t ntxn, rows, stop_after;
	uint64_t txn, row_in_txn, next_id;
	uint64_t feedbacks, feedbacks_while_full;
	struct ferry_pos last_feedback;
	int fail_at_txn;	/* return FERRY_ECONN there; 0 = never */
	uint64_t huge_after;	/* txn after this many never commits;
				   SIGTERM comes 2000 rows into it */
	bool paused;
	uint64_t long_txn, long_rows;	/* txn number long_txn (1-based) has
					   long_rows rows */
	struct queue_stats *peek;
};

static int src_next(void *self, struct change **out, int timeout_ms,
		    struct err *e)
{
	struct fake_src *s = self;
	struct ferry_pos pos = { .kind = POS_PG };
	char id[32];
	int n;

	(void)timeout_ms;
	*out = NULL;
	if (s->ntxn && s->txn == s->ntxn)
		return FERRY_ECLOSED;
	if (s->fail_at_txn && s->txn == (uint64_t)s->fail_at_txn)
		return err_set(e, FERRY_ECONN, "connection lost at txn %d",
			       s->fail_at_txn);
	if (s->huge_after && s->txn == s->huge_after &&
	    s->row_in_txn == 0 && !s->paused) {
		/* quiet source: the apply side flushes what it has */
		s->paused = true;
		usleep(200000);
		return 0;
	}
	if (s->row_in_txn == 0) {
		s->row_in_txn = 1;
		*out = change_new_txn(CHANGE_BEGIN, s->txn + 1, NULL, 0);
		return 0;
	}
	if (s->huge_after && s->txn == s->huge_after &&
	    s->row_in_txn == 2000)
		raise(SIGTERM);
	if (s->row_in_txn <= (s->long_txn == s->txn + 1 ? s->long_rows
							  : s->rows) ||
	    (s->huge_after && s->txn == s->huge_after)) {
		struct change *c = change_new_row(CHANGE_INSERT, s->table,
						  false, true);

		n = snprintf(id, sizeof(id), "%llu",
			     (unsigned long long)++s->next_id);
		if (change_set_new(c, 0, DATUM_VALUE, id, (size_t)n))
			return err_set(e, FERRY_EINVAL, "set failed");
		s->row_in_txn++;
		*out = c;
		return 0;
	}
	s->txn++;
	s->row_in_txn = 0;
	pos.lsn = s->txn;
	*out = change_new_txn(CHANGE_COMMIT, s->txn, &pos, 0);
	if (s->stop_after && s->txn == s->stop_after)
		raise(SIGTERM);
	return 0;
}

static int src_feedback(void *self, const struct ferry_pos *confirmed,
			struct err *e)
{
	struct fake_src *s = self;

	(void)e;
	s->feedbacks++;
	s->last_feedback = *confirmed;
	return 0;
}

/*
 * Sink: checks order and boundaries as it goes, sleeps per row if told.
 * Rows of complete transactions and of the unfinished one are counted
 * apart, as a real sink keeps them apart.
 */
struct fake_sink {
	uint64_t next_id;		/* next row id expected */
	uint64_t complete_rows;		/* in complete, unflushed txns */
	uint64_t partial_rows;		/* in the unfinished txn */
	uint64_t durable_rows;		/* flushed */
	uint64_t durable_txns, batch_txns;
	uint64_t flushes, rollbacks, flushes_inside_txn;
	bool in_txn;
	int order_errors;		/* must stay 0 */
	int sleep_us;
	int fail_at_row;		/* 0 = never */
};

static int sink_apply(void *self, struct change *c, struct err *e)
{
	struct fake_sink *k = self;
	const char *v;
	int rc = 0;

	switch (c->kind) {
	case CHANGE_BEGIN:
		k->in_txn = true;
		break;
	case CHANGE_COMMIT:
		k->in_txn = false;
		k->batch_txns++;
		k->complete_rows += k->partial_rows;
		k->partial_rows = 0;
		break;
	default:
		if (change_new(c, 0, &v, NULL) != DATUM_VALUE ||
		    strtoull(v, NULL, 10) != k->next_id)
			k->order_errors++;
		k->next_id++;
		k->partial_rows++;
		if (k->fail_at_row && k->next_id > (uint64_t)k->fail_at_row)
			rc = err_set(e, FERRY_ESQL, "target refused row");
		if (k->sleep_us)
			usleep((useconds_t)k->sleep_us);
	}
	change_free(c);
	return rc;
}

static int sink_flush(void *self, struct err *e)
{
	struct fake_sink *k = self;

	(void)e;
	if (k->in_txn)
		k->flushes_inside_txn++;
	k->durable_rows += k->complete_rows;
	k->durable_txns += k->batch_txns;
	k->complete_rows = 0;
	k->batch_txns = 0;
	k->flushes++;
	return 0;
}

static void sink_rollback(void *self)
{
	struct fake_sink *k = self;

	/* rows of the unfinished txn never become durable */
	k->next_id -= k->partial_rows;
	k->partial_rows = 0;
	k->in_txn = false;
	k->rollbacks++;
}

static struct table_desc *id_table(void)
{
	struct table_desc *t = table_desc_new("public", "items", 1);

	table_desc_set_col(t, 0, "id", DATUM_T_INT, 20, true);
	return t;
}

static void run(struct fake_src *s, struct fake_sink *k,
		const struct pipeline_options *opt,
		struct pipeline_result *res, int expect_rc)
{
	struct pipeline_source src = { src_next, src_feedback, s };
	struct pipeline_sink sink = { sink_apply, sink_flush, sink_rollback,
				      k };
	struct err e;
	int rc;

	err_clear(&e);
	k->next_id = 1;
	rc = pipeline_run(opt, &src, &sink, res, &e);
	CHECK_MSG(rc == expect_rc, "pipeline_run returned %d (%s), want %d",
		  rc, e.msg, expect_rc);
}

TEST(pipeline_delivers_everything_in_order_at_txn_boundaries)
{
	struct pipeline_options opt = { 100, 50, 64, 1 << 20, 5000 };
	struct fake_src s = { .ntxn = 2000, .rows = 7 };
	struct fake_sink k = { 0 };
	struct pipeline_result res;

	s.table = id_table();
	run(&s, &k, &opt, &res, 0);
	CHECK_INT_EQ(k.order_errors, 0);
		CHECK_U64_EQ(k.durable_rows, 14000);
	CHECK_U64_EQ(k.durable_txns, 2000);
	CHECK_U64_EQ(res.rows, 14000);
	CHECK_U64_EQ(res.txns, 2000);
	CHECK_INT_EQ(res.confirmed.kind, POS_PG);
	CHECK_U64_EQ(res.confirmed.lsn, 2000);
	/* the source heard about the final flush */
	CHECK_U64_EQ(s.last_feedback.lsn, 2000);
	CHECK(res.flushes >= 1 && res.flushes <= 2000);
	table_desc_unref(s.table);
}

TEST(pipeline_backpressure_keeps_queue_bounded_and_feedback_ticking)
{
	struct pipeline_options opt = { 1000, 1000, 16, 1 << 20, 5000 };
	struct fake_src s = { .ntxn = 60, .rows = 10 };
	struct fake_sink k = { .sleep_us = 500 };
	struct pipeline_result res;

	s.table = id_table();
	run(&s, &k, &opt, &res, 0);
	CHECK_INT_EQ(k.order_errors, 0);
	CHECK_U64_EQ(k.durable_rows, 600);
	CHECK(res.queue.max_items_seen <= 16);
	CHECK(res.queue.push_waits > 0);
	/* 600 rows x 0.5 ms = 0.3 s held back: feedback kept flowing */
	CHECK_MSG(s.feedbacks >= 3, "only %llu feedbacks",
		  (unsigned long long)s.feedbacks);
	table_desc_unref(s.table);
}

TEST(pipeline_byte_bound_limits_queue_memory)
{
	struct pipeline_options opt = { 1000, 1000, 100000, 4096, 5000 };
	struct fake_src s = { .ntxn = 200, .rows = 10 };
	struct fake_sink k = { .sleep_us = 50 };
	struct pipeline_result res;

	s.table = id_table();
	run(&s, &k, &opt, &res, 0);
	CHECK_U64_EQ(k.durable_rows, 2000);
	CHECK_MSG(res.queue.max_bytes_seen <= 4096 + 1024,
		  "queue held %zu bytes", res.queue.max_bytes_seen);
	table_desc_unref(s.table);
}

TEST(pipeline_sigterm_flushes_complete_txns_and_exits)
{
	struct pipeline_options opt = { 5000, 200, 256, 1 << 20, 5000 };
	struct fake_src s = { .ntxn = 0, .rows = 5, .stop_after = 300 };
	struct fake_sink k = { 0 };
	struct pipeline_result res;
	struct err e;

	CHECK_OK(signals_install(&e), e);
	signals_reset();
	s.table = id_table();
	run(&s, &k, &opt, &res, 0);
	CHECK(signals_stop_requested());
	CHECK_INT_EQ(k.order_errors, 0);
		/* the signal came with COMMIT 300 in the reader's hands: it
	 * finishes that transaction and stops; all 300 are durable, the
	 * confirmed position is the last COMMIT and the source was told */
	CHECK_U64_EQ(k.durable_txns, 300);
	CHECK_U64_EQ(k.rollbacks, 0);
	CHECK_U64_EQ(k.durable_rows, k.durable_txns * 5);
	CHECK_U64_EQ(res.confirmed.lsn, k.durable_txns);
	CHECK_U64_EQ(s.last_feedback.lsn, k.durable_txns);
	table_desc_unref(s.table);
}

TEST(pipeline_sink_error_stops_reader_and_keeps_earlier_flushes)
{
	struct pipeline_options opt = { 10, 1000, 32, 1 << 20, 5000 };
	struct fake_src s = { .ntxn = 0, .rows = 4 };
	struct fake_sink k = { .fail_at_row = 203 };
	struct pipeline_result res;

	s.table = id_table();
	run(&s, &k, &opt, &res, FERRY_ESQL);
	CHECK_INT_EQ(k.order_errors, 0);
	CHECK(k.durable_rows < 203);
	CHECK_U64_EQ(k.durable_rows % 4, 0);
	CHECK_U64_EQ(res.confirmed.lsn, k.durable_txns);
	/* after an error nothing more is flushed: the target's state is
	 * unknown, and the checkpoint keeps the replay exact */
	CHECK(k.durable_rows <= 200);
	table_desc_unref(s.table);
}

TEST(pipeline_reader_error_is_returned_after_draining)
{
	struct pipeline_options opt = { 1000000, 100000, 1024, 1 << 20, 5000 };
	struct fake_src s = { .ntxn = 0, .rows = 3, .fail_at_txn = 50 };
	struct fake_sink k = { 0 };
	struct pipeline_result res;

	s.table = id_table();
	run(&s, &k, &opt, &res, FERRY_ECONN);
	/* the 50 transactions read before the failure are all durable */
	CHECK_U64_EQ(k.durable_txns, 50);
	CHECK_U64_EQ(k.durable_rows, 150);
	CHECK_U64_EQ(res.confirmed.lsn, 50);
	table_desc_unref(s.table);
}

TEST(pipeline_stop_inside_endless_txn_rolls_back_after_grace)
{
	struct pipeline_options opt = { 1000, 100, 64, 1 << 20, 300 };
	/* 20 small transactions, then one that never commits */
	struct fake_src s = { .ntxn = 0, .rows = 3 };
	struct fake_sink k = { 0 };
	struct pipeline_result res;
	struct timespec t0, t1;
	struct err e;
	double secs;

	CHECK_OK(signals_install(&e), e);
	signals_reset();
	s.table = id_table();
	s.huge_after = 20;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run(&s, &k, &opt, &res, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK_U64_EQ(k.durable_txns, 20);
	CHECK_U64_EQ(k.durable_rows, 60);
	CHECK_U64_EQ(res.confirmed.lsn, 20);
	CHECK_U64_EQ(k.rollbacks, 1);
	CHECK_MSG(secs < 5.0, "stop took %.2fs", secs);
	table_desc_unref(s.table);
}

TEST(pipeline_long_txn_flushes_earlier_txns_first)
{
	struct pipeline_options opt = { 100, 100000, 4096, 1 << 24, 5000 };
	/* five 10-row transactions, then one of 1000 rows, then 10 more;
	 * the slow sink keeps the queue from running dry */
	struct fake_src s = { .ntxn = 7, .rows = 10, .long_txn = 6,
			      .long_rows = 1000 };
	struct fake_sink k = { .sleep_us = 100 };
	struct pipeline_result res;

	s.table = id_table();
	run(&s, &k, &opt, &res, 0);
	CHECK_INT_EQ(k.order_errors, 0);
	CHECK_U64_EQ(k.durable_rows, 5 * 10 + 1000 + 10);
	CHECK_U64_EQ(k.durable_txns, 7);
	/* one flush happened inside the long transaction, committing the
	 * five before it and nothing of the long one */
	CHECK_U64_EQ(k.flushes_inside_txn, 1);
	table_desc_unref(s.table);
}
