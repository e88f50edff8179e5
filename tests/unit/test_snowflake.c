/*
 * test_snowflake.c - the DolphinScheduler-compatible code generator:
 * layout, uniqueness (one thread and several), clock set back across a
 * restart through the real state store, sequence overflow.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/mem.h"
#include "ferry/snowflake.h"
#include "ferry/state.h"
#include "harness.h"

/* 2023-11-14T22:13:20Z */
#define T0 1700000000000LL

static int64_t fixed_clock(void *ctx)
{
	return *(const int64_t *)ctx;
}

static struct snowflake *gen(int machine, int64_t floor_ms,
			     int64_t *clock)
{
	struct snowflake_options o = {
		.machine_id = machine,
		.floor_ms = floor_ms,
		.clock = clock ? fixed_clock : NULL,
		.clock_ctx = clock,
	};
	struct snowflake *sf;
	struct err e;

	CHECK_OK(snowflake_new(&o, &sf, &e), e);
	return sf;
}

static int64_t next(struct snowflake *sf)
{
	int64_t code = 0;
	struct err e;

	CHECK_OK(snowflake_next(sf, &code, &e), e);
	return code;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

TEST(known_value)
{
	int64_t clock = T0;
	struct snowflake *sf = gen(31, 0, &clock);
	int64_t code = next(sf);

	/*
	 * ms since the epoch: 1700000000000 - 1609430400000 = 90569600000
	 * << 10:  90569600000 * 1024 = 92743270400000
	 * machine 31 << 5 = 992, seq 0
	 * code = 92743270400000 + 992 = 92743270400992
	 */
	CHECK_INT_EQ(code, 92743270400992LL);
	CHECK_INT_EQ(snowflake_code_ms(code), T0);
	CHECK_INT_EQ(snowflake_code_machine(code), 31);
	CHECK_INT_EQ(snowflake_code_seq(code), 0);
	CHECK_INT_EQ(snowflake_last_ms(sf), T0);
	/* the next one in the same ms only counts up the sequence */
	CHECK_INT_EQ(next(sf), 92743270400993LL);
	snowflake_free(sf);
}

TEST(fields_round_trip)
{
	for (int m = 0; m <= SNOWFLAKE_MACHINE_MAX; m++) {
		int64_t clock = T0 + m * 1000003LL;
		struct snowflake *sf = gen(m, 0, &clock);

		for (int s = 0; s < 32; s++) {
			int64_t code = next(sf);

			CHECK_INT_EQ(snowflake_code_ms(code), clock);
			CHECK_INT_EQ(snowflake_code_machine(code), m);
			CHECK_INT_EQ(snowflake_code_seq(code), s);
		}
		snowflake_free(sf);
	}
}

TEST(million_codes_increase_strictly)
{
	struct snowflake *sf = gen(17, 0, NULL);
	int64_t prev = 0;

	for (int i = 0; i < 1000000; i++) {
		int64_t code = next(sf);

		CHECK_MSG(code > prev, "code %d: %lld after %lld", i,
			  (long long)code, (long long)prev);
		CHECK(snowflake_code_machine(code) == 17);
		prev = code;
	}
	CHECK_INT_EQ(snowflake_last_ms(sf), snowflake_code_ms(prev));
	snowflake_free(sf);
}

struct worker {
	struct snowflake *sf;
	int64_t *out;
	int n, rc;
};

static void *mint(void *p)
{
	struct worker *w = p;
	struct err e;

	for (int i = 0; i < w->n; i++) {
		w->rc = snowflake_next(w->sf, &w->out[i], &e);
		if (w->rc)
			break;
	}
	return NULL;
}

TEST(four_threads_mint_unique_codes)
{
	enum { THREADS = 4, PER = 250000 };
	struct snowflake *sf = gen(5, 0, NULL);
	int64_t *codes = xcalloc(THREADS * PER, sizeof(*codes));
	struct worker w[THREADS];
	pthread_t th[THREADS];

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ sf, codes + i * PER, PER, -1 };
		CHECK(pthread_create(&th[i], NULL, mint, &w[i]) == 0);
	}
	for (int i = 0; i < THREADS; i++) {
		CHECK(pthread_join(th[i], NULL) == 0);
		CHECK_INT_EQ(w[i].rc, 0);
	}
	/* each thread saw its own codes increase */
	for (int i = 0; i < THREADS; i++)
		for (int k = 1; k < PER; k++)
			CHECK(w[i].out[k] > w[i].out[k - 1]);
	qsort(codes, THREADS * PER, sizeof(*codes), cmp_i64);
	for (int k = 0; k < THREADS * PER; k++) {
		CHECK(codes[k] > 0);
		CHECK(snowflake_code_machine(codes[k]) == 5);
		if (k)
			CHECK_MSG(codes[k] != codes[k - 1],
				  "duplicate code %lld", (long long)codes[k]);
	}
	free(codes);
	snowflake_free(sf);
}

TEST(sequence_overflow_borrows_the_next_ms)
{
	int64_t clock = T0;
	struct snowflake *sf = gen(3, 0, &clock);
	int64_t prev = 0;

	/* the clock stands still: 100 codes need 4 logical ms */
	for (int i = 0; i < 100; i++) {
		int64_t code = next(sf);

		CHECK(code > prev);
		CHECK_INT_EQ(snowflake_code_ms(code), T0 + i / 32);
		CHECK_INT_EQ(snowflake_code_seq(code), i % 32);
		prev = code;
	}
	CHECK_INT_EQ(snowflake_last_ms(sf), T0 + 3);
	/* when the wall clock catches up, it takes over again */
	clock = T0 + 10;
	CHECK_INT_EQ(snowflake_code_ms(next(sf)), T0 + 10);
	snowflake_free(sf);
}

TEST(clock_set_back_across_a_restart)
{
	struct state_options so = { 0, 0 };
	char dir[4200];
	int64_t clock = T0, floor_ms = 0, last = 0, first;
	struct snowflake *sf = gen(9, 0, &clock);
	struct state_txn *t;
	struct state *st;
	struct err e;

	for (int i = 0; i < 1000; i++) {
		last = next(sf);
		if (i % 100 == 0)
			clock++;
	}
	/* persist the high-water mark as the owner does */
	snprintf(dir, sizeof(dir), "%s/state", harness_tmpdir());
	CHECK_OK(state_open(dir, &so, &st, &e), e);
	CHECK_OK(state_txn_begin(st, STATE_TXN_WRITE, &t, &e), e);
	CHECK_OK(state_meta_put_i64(t, "codes.last_ms", snowflake_last_ms(sf),
				    &e), e);
	CHECK_OK(state_txn_commit(t, &e), e);
	state_close(st);
	snowflake_free(sf);

	/* restart with the wall clock an hour behind */
	CHECK_OK(state_open(dir, &so, &st, &e), e);
	CHECK_OK(state_txn_begin(st, STATE_TXN_READ, &t, &e), e);
	CHECK_OK(state_meta_get_i64(t, "codes.last_ms", &floor_ms, &e), e);
	state_txn_abort(t);
	state_close(st);
	CHECK_INT_EQ(floor_ms, snowflake_code_ms(last));
	clock = T0 - 3600 * 1000;
	sf = gen(9, floor_ms, &clock);
	first = next(sf);
	CHECK_MSG(first > last, "first new %lld <= last old %lld",
		  (long long)first, (long long)last);
	/* the floor's ms may have been used up: start after it */
	CHECK_INT_EQ(snowflake_code_ms(first), floor_ms + 1);
	for (int i = 0; i < 1000; i++) {
		int64_t code = next(sf);

		CHECK(code > first);
		first = code;
	}
	snowflake_free(sf);
}

TEST(invalid_machine_id_is_einval)
{
	static const int bad[] = { 32, -1, 1000 };
	struct snowflake_options o = { 0, 0, NULL, NULL };
	struct snowflake *sf;
	struct err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.machine_id = bad[i];
		CHECK_INT_EQ(snowflake_new(&o, &sf, &e), FERRY_EINVAL);
		CHECK(sf == NULL);
		CHECK_STR_CONTAINS(e.msg, "machine id");
	}
	o.machine_id = 0;
	o.floor_ms = -5;
	CHECK_INT_EQ(snowflake_new(&o, &sf, &e), FERRY_EINVAL);
}

TEST(clock_out_of_range_is_estate)
{
	int64_t clock = 0;
	struct snowflake *sf = gen(1, 0, &clock);
	int64_t code;
	struct err e;

	/* before the epoch */
	CHECK_INT_EQ(snowflake_next(sf, &code, &e), FERRY_ESTATE);
	CHECK_STR_CONTAINS(e.msg, "before the code epoch");
	/* the last millisecond that fits, then one past it */
	clock = SNOWFLAKE_EPOCH_MS + (INT64_MAX >> 10);
	CHECK_OK(snowflake_next(sf, &code, &e), e);
	CHECK(code > 0);
	CHECK_INT_EQ(snowflake_code_ms(code), clock);
	clock++;
	CHECK_INT_EQ(snowflake_next(sf, &code, &e), FERRY_ESTATE);
	snowflake_free(sf);
	snowflake_free(NULL);
}
