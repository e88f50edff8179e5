/*
 * sink.h - writing the new database: one interface, one backend per
 * database (sink/pg_sink.c, sink/mysql_sink.c).
 *
 * The sink receives target-shaped changes (the transform has renamed
 * tables and columns) in source order and keeps the contract of
 * pipeline.h's struct pipeline_sink: sink_flush() commits, in one target
 * transaction, everything up to the last COMMIT together with the
 * checkpoint (position and snapshot marks), so data and checkpoint commit
 * atomically; sink_rollback() drops what came after the last COMMIT.
 *
 * A row the target refuses (a unique key, a value out of range) does not
 * stop the flow: the batch is applied again row by row, the refused rows
 * go to params->reject with the server's reason, the rest commits.
 *
 * Writes are idempotent: inserts and updates are upserts on the target
 * table's primary key, deletes are by key, so replaying from the
 * checkpoint after a crash converges to the same rows.  An UPDATE whose
 * new image lacks a value (PostgreSQL's unchanged TOAST column) updates
 * only the columns it has, leaving the target's copy of the rest, which
 * is the right value because the target is a replica of the source.
 *
 * The sink creates its checkpoint tables if missing and never touches a
 * target table that no change names.
 *
 * Threading: one thread (the apply thread).  Connection loss is
 * FERRY_ECONN; the caller restarts from the checkpoint.
 */
#ifndef FERRY_SINK_H
#define FERRY_SINK_H

#include <stddef.h>

#include "ferry/change.h"
#include "ferry/checkpoint.h"
#include "ferry/config.h"
#include "ferry/err.h"

struct sink;

struct sink_params {
	const struct config_db *db;	/* borrowed for the sink's life */
	const char *password;		/* copied */
	const char *checkpoint_id;	/* names this stream's checkpoint */
	size_t txn_memory;		/* bytes of an unfinished transaction
					   kept before streaming it */
	const char *application_name;
	/* MariaDB targets: upsert runs of at least this many rows go by
	 * array binding (0: the sink's default; SIZE_MAX: never). */
	size_t mysql_bulk_rows;
	/*
	 * Where a row the target refuses goes (a constraint or a value it
	 * will not take): the sink applies a failed batch again row by row,
	 * hands each refused row here with the server's reason, and commits
	 * the rest.  NULL: a refused row fails the flush.
	 */
	int (*reject)(void *ctx, const struct change *c, const char *reason,
		      struct err *e);
	void *reject_ctx;
};

struct sink_stats {
	uint64_t rows;			/* row changes written */
	uint64_t commits;		/* target transactions */
	uint64_t statements;
};

struct sink_ops {
	const char *name;
	int (*load_checkpoint)(struct sink *k, struct checkpoint *cp,
			       struct err *e);
	int (*apply)(struct sink *k, struct change *c, struct err *e);
	int (*flush)(struct sink *k, struct err *e);
	void (*rollback)(struct sink *k);
	void (*stats)(struct sink *k, struct sink_stats *out);
	/* Move every id sequence (AUTO_INCREMENT) of the target's tables to
	 * at least `floor`, never back. */
	int (*reserve_ids)(struct sink *k, int64_t floor, struct err *e);
	void (*close)(struct sink *k);
};

struct sink {
	const struct sink_ops *ops;
};

/* Connect and create the checkpoint tables if missing.  Dispatches on
 * params->db->driver. */
int sink_open(const struct sink_params *p, struct sink **out, struct err *e)
	FERRY_MUSTCHECK;

/* Fill `cp` (release with checkpoint_release()); cp->exists is false on a
 * fresh target. */
static inline int sink_load_checkpoint(struct sink *k, struct checkpoint *cp,
				       struct err *e)
{
	return k->ops->load_checkpoint(k, cp, e);
}

/* Takes ownership of `c`, also on error. */
static inline int sink_apply(struct sink *k, struct change *c, struct err *e)
{
	return k->ops->apply(k, c, e);
}

static inline int sink_flush(struct sink *k, struct err *e)
{
	return k->ops->flush(k, e);
}

static inline void sink_rollback(struct sink *k)
{
	k->ops->rollback(k);
}

/*
 * Ids ferry writes come from the source (kept, spec §1.1) or from its own
 * counters; rows the new version creates get theirs from the target's
 * sequences.  Starting those past `floor` keeps the two apart.
 */
static inline int sink_reserve_ids(struct sink *k, int64_t floor,
				   struct err *e)
{
	return k->ops->reserve_ids ? k->ops->reserve_ids(k, floor, e) : 0;
}

static inline void sink_close(struct sink *k)
{
	if (k)
		k->ops->close(k);
}

int pg_sink_open(const struct sink_params *p, struct sink **out,
		 struct err *e) FERRY_MUSTCHECK;
int mysql_sink_open(const struct sink_params *p, struct sink **out,
		    struct err *e) FERRY_MUSTCHECK;

#endif
