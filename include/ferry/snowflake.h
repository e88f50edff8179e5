/*
 * snowflake.h - DolphinScheduler 3.2-compatible code generator.
 *
 * A code is a positive int64 laid out as in DolphinScheduler 3.2.2's
 * CodeGenerateUtils (../shared/spec §2.1):
 *
 *	bit 63      0
 *	bits 62..10 milliseconds since 2020-12-31T16:00:00Z (1609430400000)
 *	bits 9..5   machine id, 0..31
 *	bits 4..0   sequence within the millisecond, 0..31
 *
 * ferry mints under one machine id reserved for it (config
 * codes.machine_id), so its codes cannot equal a code minted in the same
 * millisecond by a 3.2 server with another machine id; the DolphinScheduler
 * mapping additionally checks the target's code columns before using one.
 *
 * Never backwards: the generator keeps a logical clock that never goes
 * below the last millisecond it used, nor below `floor_ms` (the owner
 * persists snowflake_last_ms() in the state store and passes it back as
 * the floor after a restart).  When the wall clock is behind (set back,
 * or 32 codes already used this millisecond) the generator moves its
 * logical millisecond forward instead of waiting, so codes stay unique
 * and increasing and minting never blocks.
 *
 * Thread-safe: snowflake_next() may be called from several threads.
 */
#ifndef FERRY_SNOWFLAKE_H
#define FERRY_SNOWFLAKE_H

#include <stdint.h>

#include "ferry/err.h"

#define SNOWFLAKE_EPOCH_MS 1609430400000LL
#define SNOWFLAKE_MACHINE_MAX 31

struct snowflake;

/* Wall clock in ms since the Unix epoch; replaceable for tests. */
typedef int64_t (*snowflake_clock_fn)(void *ctx);

struct snowflake_options {
	int machine_id;			/* 0..31 */
	int64_t floor_ms;		/* last ms used before; 0 if none */
	snowflake_clock_fn clock;	/* NULL -> CLOCK_REALTIME */
	void *clock_ctx;
};

int snowflake_new(const struct snowflake_options *opt, struct snowflake **out,
		  struct err *e) FERRY_MUSTCHECK;
void snowflake_free(struct snowflake *sf);

/* Next code.  FERRY_ESTATE if the 53-bit timestamp would overflow (year
 * 2306) or the clock reads before the epoch. */
int snowflake_next(struct snowflake *sf, int64_t *code, struct err *e)
	FERRY_MUSTCHECK;

/* Unix ms of the last code handed out (or the floor); persist this. */
int64_t snowflake_last_ms(struct snowflake *sf);

/* Field extraction, for checks and reports. */
int64_t snowflake_code_ms(int64_t code);	/* Unix ms */
int snowflake_code_machine(int64_t code);
int snowflake_code_seq(int64_t code);

#endif
