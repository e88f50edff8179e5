/*
 * snowflake.c - DolphinScheduler 3.2-compatible code generator (see
 * snowflake.h).
 *
 * Where it sits: the transform stage mints a code for every project,
 * workflow and task definition that 1.3 knew only by integer id; the id
 * map (state store) records (entity, old id) -> code before any target
 * row uses it, and the owner persists snowflake_last_ms() beside it so
 * that a restarted process never goes back in time.
 *
 * Layout (spec §2.1, as DolphinScheduler 3.2.2's CodeGenerateUtils):
 *
 *	code = ((ms - 1609430400000) << 10) | (machine << 5) | seq
 *
 * Where we differ from CodeGenerateUtils, and why:
 *  - it throws when the clock is behind the last used millisecond, and
 *    spins until the next millisecond when 32 codes were used in one; we
 *    keep a logical millisecond that only moves forward and advance it by
 *    one instead, so minting never fails or blocks on a clock step;
 *  - it forgets everything at exit; we start above `floor_ms`, the last
 *    millisecond a previous process used, and treat that millisecond as
 *    fully used (its process may have handed out all 32 sequences).
 */
#include "ferry/snowflake.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "ferry/mem.h"

#define SEQ_BITS 5
#define MACHINE_BITS 5
#define SEQ_MAX ((1 << SEQ_BITS) - 1)
#define MACHINE_SHIFT SEQ_BITS
#define TIME_SHIFT (SEQ_BITS + MACHINE_BITS)
/* largest ms offset whose code still fits in 63 bits (year 2306) */
#define OFFSET_MAX (INT64_MAX >> TIME_SHIFT)

struct snowflake {
	pthread_mutex_t lock;	/* guards last_ms and seq */
	int machine;
	int64_t last_ms;	/* logical Unix ms of the last code, or floor */
	int seq;		/* sequence used last within last_ms */
	snowflake_clock_fn clock;
	void *clock_ctx;
};

static int64_t realtime_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int snowflake_new(const struct snowflake_options *opt, struct snowflake **out,
		  struct err *e)
{
	struct snowflake *sf;

	*out = NULL;
	if (opt->machine_id < 0 || opt->machine_id > SNOWFLAKE_MACHINE_MAX)
		return err_set(e, FERRY_EINVAL,
			       "invalid code machine id %d: expected 0..%d",
			       opt->machine_id, SNOWFLAKE_MACHINE_MAX);
	if (opt->floor_ms < 0)
		return err_set(e, FERRY_EINVAL,
			       "invalid code floor %lld ms: negative",
			       (long long)opt->floor_ms);
	sf = xcalloc(1, sizeof(*sf));
	pthread_mutex_init(&sf->lock, NULL);
	sf->machine = opt->machine_id;
	sf->last_ms = opt->floor_ms;
	/*
	 * The floor millisecond may have seen all 32 sequences in the
	 * previous process: mark it used up, so the first code lands in a
	 * later millisecond.  Without a floor, nothing was used yet.
	 */
	sf->seq = opt->floor_ms > 0 ? SEQ_MAX : -1;
	sf->clock = opt->clock ? opt->clock : realtime_ms;
	sf->clock_ctx = opt->clock_ctx;
	*out = sf;
	return 0;
}

void snowflake_free(struct snowflake *sf)
{
	if (!sf)
		return;
	pthread_mutex_destroy(&sf->lock);
	free(sf);
}

int snowflake_next(struct snowflake *sf, int64_t *code, struct err *e)
{
	int64_t now = sf->clock(sf->clock_ctx);
	int64_t ms, off;
	int seq;

	if (now < SNOWFLAKE_EPOCH_MS)
		return err_set(e, FERRY_ESTATE,
			       "could not mint a code: the clock reads %lld "
			       "ms, before the code epoch %lld ms "
			       "(2020-12-31T16:00:00Z)",
			       (long long)now, (long long)SNOWFLAKE_EPOCH_MS);
	pthread_mutex_lock(&sf->lock);
	if (now > sf->last_ms) {
		ms = now;
		seq = 0;
	} else if (sf->seq < SEQ_MAX) {
		/* same millisecond, or the wall clock is behind: keep
		 * counting in the logical millisecond */
		ms = sf->last_ms;
		seq = sf->seq + 1;
	} else {
		/* 32 codes used in this millisecond: borrow the next one
		 * rather than wait for the clock to reach it */
		ms = sf->last_ms + 1;
		seq = 0;
	}
	off = ms - SNOWFLAKE_EPOCH_MS;
	if (off > OFFSET_MAX) {
		pthread_mutex_unlock(&sf->lock);
		return err_set(e, FERRY_ESTATE,
			       "could not mint a code: %lld ms is past the "
			       "last millisecond the 53-bit timestamp holds",
			       (long long)ms);
	}
	sf->last_ms = ms;
	sf->seq = seq;
	pthread_mutex_unlock(&sf->lock);
	*code = off << TIME_SHIFT | (int64_t)sf->machine << MACHINE_SHIFT |
		seq;
	return 0;
}

int64_t snowflake_last_ms(struct snowflake *sf)
{
	int64_t ms;

	pthread_mutex_lock(&sf->lock);
	ms = sf->last_ms;
	pthread_mutex_unlock(&sf->lock);
	return ms;
}

int64_t snowflake_code_ms(int64_t code)
{
	return (code >> TIME_SHIFT) + SNOWFLAKE_EPOCH_MS;
}

int snowflake_code_machine(int64_t code)
{
	return (int)(code >> MACHINE_SHIFT & ((1 << MACHINE_BITS) - 1));
}

int snowflake_code_seq(int64_t code)
{
	return (int)(code & SEQ_MAX);
}
