/*
 * source.h - reading the old database: one interface, one backend per
 * database (source/pg_source.c: logical replication with pgoutput;
 * source/mysql_source.c: ROW binlog).
 *
 * A source first takes a consistent initial snapshot of the selected
 * tables, then streams changes from exactly the position the snapshot
 * belongs to, so nothing is lost and nothing is applied twice:
 *
 *   - the snapshot comes out as chunks, each a BEGIN, up to
 *     `snapshot_chunk_rows` INSERTs (change->snapshot set) and a COMMIT
 *     whose `mark` records the table and last key copied and whose
 *     position is the stream start position P (the point the snapshot
 *     belongs to: PostgreSQL's slot consistent point, MySQL's binlog
 *     position under the consistent-snapshot transaction), so the target
 *     records P with the first chunk;
 *   - a table whose copy was cut short (by a crash or a stop) is copied
 *     again from scratch after a restart: the source first sends a
 *     BEGIN / TRUNCATE / COMMIT that empties it on the target and resets
 *     its progress, then copies it under a new snapshot.  Every table's
 *     copy records its start position (the point its snapshot belongs
 *     to) in its marks; the stream, which always resumes from the
 *     checkpoint, skips a table's changes from transactions that committed
 *     before that point: the copy holds them.  Nothing is applied on top
 *     of a copy that already contains it (PostgreSQL's own table
 *     synchronisation works this way);
 *   - then the stream: BEGIN, row changes, COMMIT with the position to
 *     confirm; plus, while the source is idle, an empty BEGIN/COMMIT pair
 *     that advances the position (so the server can free its log) at most
 *     every `idle_advance_ms`.
 *
 * The checkpoint handed to source_open() is what the target committed.  A
 * source confirms to its server only positions given to source_feedback(),
 * which the pipeline passes once the target committed them.
 *
 * Sources never write to the source database, except PostgreSQL's own
 * publication and replication slot.
 *
 * Threading: source_open() and everything after it run on the reader
 * thread.  Connection loss is FERRY_ECONN: the caller closes the source
 * and opens a new one from the checkpoint, after a backoff.
 */
#ifndef FERRY_SOURCE_H
#define FERRY_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/change.h"
#include "ferry/checkpoint.h"
#include "ferry/config.h"
#include "ferry/err.h"
#include "ferry/mapping.h"
#include "ferry/pos.h"

struct source;

struct source_params {
	const struct config_db *db;	/* borrowed for the source's life */
	const char *password;		/* "" for none; copied */
	const struct mapping *mapping;	/* selects the tables; borrowed */
	const struct checkpoint *cp;	/* borrowed during source_open() */
	int snapshot_chunk_rows;	/* rows per snapshot COMMIT */
	int idle_advance_ms;		/* see above; 0 -> 10000 */
	const char *application_name;	/* shown by the server */
};

struct source_ops {
	const char *name;
	int (*next)(struct source *s, struct change **out, int timeout_ms,
		    struct err *e);
	int (*feedback)(struct source *s, const struct ferry_pos *confirmed,
			struct err *e);
	void (*close)(struct source *s);
};

/* Every backend's struct starts with this. */
struct source {
	const struct source_ops *ops;
	/* the largest integer "id" of the selected tables at open (0 if
	 * none): target id sequences must start past it */
	int64_t max_id;
};

/* Connect, prepare (PostgreSQL: publication, slot) and plan the snapshot.
 * Dispatches on params->db->driver. */
int source_open(const struct source_params *p, struct source **out,
		struct err *e) FERRY_MUSTCHECK;

/* See pipeline.h's struct pipeline_source: same contract. */
static inline int source_next(struct source *s, struct change **out,
			      int timeout_ms, struct err *e)
{
	return s->ops->next(s, out, timeout_ms, e);
}

static inline int source_feedback(struct source *s,
				  const struct ferry_pos *confirmed,
				  struct err *e)
{
	return s->ops->feedback(s, confirmed, e);
}

static inline void source_close(struct source *s)
{
	if (s)
		s->ops->close(s);
}

/* The backends, for source_open(). */
int pg_source_open(const struct source_params *p, struct source **out,
		   struct err *e) FERRY_MUSTCHECK;
int mysql_source_open(const struct source_params *p, struct source **out,
		      struct err *e) FERRY_MUSTCHECK;

#endif
