/*
 * checkpoint.h - what the target knows about how far ferry got.
 *
 * The authoritative checkpoint lives in the target database, written in
 * the same transaction as the rows it covers (tables ferry_checkpoint and
 * ferry_snapshot), so data and checkpoint can never disagree.  A restart
 * reads it back through the sink and hands it to the source:
 *
 *   pos      the last source position whose effects are committed on the
 *            target (POS_NONE before streaming began);
 *   tables   initial-snapshot progress per source table: whether the copy
 *            is done, the last key copied (a JSON array of the key
 *            columns' text values) and the table's start position, the
 *            point its copy belongs to: streamed changes of the table from
 *            transactions that committed before it are already in the
 *            copy and are skipped.
 *
 * Snapshot chunks report progress through a struct snapshot_mark on their
 * COMMIT change; the sink stores it with the chunk.
 */
#ifndef FERRY_CHECKPOINT_H
#define FERRY_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/pos.h"

struct checkpoint_table {
	char *table;		/* source "schema.table" */
	char *last_key;		/* JSON array of text, or NULL */
	bool done;
	uint64_t rows;		/* rows copied so far */
	struct ferry_pos start;	/* the copy's snapshot point */
};

struct checkpoint {
	bool exists;		/* the target has a checkpoint row */
	struct ferry_pos pos;
	struct checkpoint_table *tables;
	size_t ntables;
};

/* Progress carried by the COMMIT of a snapshot chunk (owned by the
 * change; freed with it). */
struct snapshot_mark {
	char *table;		/* source "schema.table" */
	char *last_key;		/* JSON array of text values */
	bool done;		/* the table is complete */
	uint64_t rows;		/* rows of this table copied so far */
	struct ferry_pos start;	/* the copy's snapshot point */
};

void checkpoint_release(struct checkpoint *cp);
/* Progress of `table`, or NULL if the snapshot never touched it. */
const struct checkpoint_table *checkpoint_find(const struct checkpoint *cp,
					       const char *table);
/* Add or replace a table's progress (copies the strings). */
void checkpoint_set_table(struct checkpoint *cp, const char *table,
			  const char *last_key, bool done, uint64_t rows);
/* ... with the table's start position (NULL: none). */
void checkpoint_set_table_at(struct checkpoint *cp, const char *table,
			     const char *last_key, bool done, uint64_t rows,
			     const struct ferry_pos *start);

struct snapshot_mark *snapshot_mark_new(const char *table,
					const char *last_key, bool done,
					uint64_t rows);
/* ... with the copy's start position (NULL: none). */
struct snapshot_mark *snapshot_mark_new_at(const char *table,
					   const char *last_key, bool done,
					   uint64_t rows,
					   const struct ferry_pos *start);
void snapshot_mark_free(struct snapshot_mark *m);

#endif
