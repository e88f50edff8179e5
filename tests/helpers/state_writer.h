/*
 * state_writer.h - what the crash child (state_writer.c) writes, shared
 * with the test that checks it (test_state.c), so both derive the same
 * content from a transaction index.
 *
 * Transaction i (1, 2, ...) puts SW_PER_TXN id map entries of entity
 * "task" with keys i * SW_PER_TXN + j, adds reject number i, and sets
 * meta "progress" = i.  All of it commits together or not at all.
 */
#ifndef FERRY_TEST_STATE_WRITER_H
#define FERRY_TEST_STATE_WRITER_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ferry/state.h"

#define SW_PER_TXN 8
#define SW_MAP_SIZE ((size_t)1 << 20)		/* small: growth happens */
#define SW_MAX_MAP_SIZE ((size_t)1 << 30)
#define SW_ROW_MAX 4096

static inline int64_t sw_key(uint64_t i, int j)
{
	return (int64_t)(i * SW_PER_TXN + (uint64_t)j);
}

static inline void sw_idval(uint64_t i, int j, struct state_idval *v)
{
	v->id = (int64_t)((i * 2654435761u + (uint64_t)j * 40503u) &
			  0x3fffffffffffffff);
	v->version = (int32_t)(i % 1000) + j;
	v->hash = i * 0x9e3779b97f4a7c15u ^ (uint64_t)j;
}

/* Fills the strings of reject i; `row` needs SW_ROW_MAX bytes and
 * `small` four buffers of 64. */
static inline void sw_reject(uint64_t i, struct state_reject *r,
			     char *row, char small[4][64])
{
	static const char *const ops[] = { "insert", "update", "delete" };
	size_t len = 16 + (size_t)(i * 131 % (SW_ROW_MAX - 64));

	/* a row of varying length whose bytes depend on i */
	for (size_t k = 0; k < len; k++)
		row[k] = (char)(' ' + (i + k * 7) % 94);
	row[len] = '\0';
	memset(r, 0, sizeof(*r));
	snprintf(small[0], 64, "public.t_ds_task_%" PRIu64, i % 7);
	snprintf(small[1], 64, "id=%" PRIu64, i);
	snprintf(small[2], 64, "no mapping for row %" PRIu64, i);
	snprintf(small[3], 64, "pg:0/%" PRIX64, i * 64);
	r->time_ms = 1700000000000 + (int64_t)i;
	r->table = small[0];
	r->pk = small[1];
	r->op = (char *)ops[i % 3];
	r->row = row;
	r->reason = small[2];
	r->position = small[3];
}

#endif
