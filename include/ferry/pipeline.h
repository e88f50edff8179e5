/*
 * pipeline.h - the spine: reader thread -> bounded queue -> apply thread.
 *
 *   reader thread                      apply thread (the caller's)
 *   -------------                      ---------------------------
 *   src.next()  --change-->  queue  -->  sink.apply()   (transform, id map,
 *   src.feedback(confirmed)                              batch: one change)
 *        ^                               sink.flush()   (one target txn,
 *        |                                               checkpoint inside)
 *        +------- confirmed position <---+
 *
 * The pipeline owns the batching policy: it calls sink.flush() right after
 * a COMMIT when batch_max_rows rows are pending or the oldest pending row
 * is batch_max_delay_ms old, between transactions when the queue runs dry,
 * and inside a transaction that has grown past batch_max_rows while
 * complete transactions wait before it (so the sink can stream the long
 * one alone).  A flush never commits part of a source transaction.  The position
 * of the last COMMIT a flush covered becomes the confirmed position, which
 * the reader passes to the source as feedback: the source acknowledges
 * only what the target has committed.
 *
 * Stopping: when signals_stop_requested() turns true (the reader first
 * finishes the transaction it is reading, for up to stop_grace_ms) or the
 * source ends (next() returns FERRY_ECLOSED), the reader stops reading and
 * closes the queue; the apply thread applies what is queued, flushes the complete
 * transactions, rolls back a trailing partial one, and pipeline_run()
 * returns 0.  Any stage error stops both threads; pipeline_run() returns
 * the first error (reader errors are reported as they were raised, after
 * the complete transactions read before them were flushed).  Recovery
 * from a lost connection is the caller's: run the pipeline again from
 * the checkpoint, which the target holds.
 */
#ifndef FERRY_PIPELINE_H
#define FERRY_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/change.h"
#include "ferry/err.h"
#include "ferry/pos.h"
#include "ferry/queue.h"

/* The reader side, called from the reader thread only. */
struct pipeline_source {
	/*
	 * Produce the next change, waiting at most `timeout_ms`.  0 with
	 * `*out` NULL means nothing arrived in time.  FERRY_ECLOSED: the
	 * stream ended (tests, --until).  Other codes are errors.
	 */
	int (*next)(void *self, struct change **out, int timeout_ms,
		    struct err *e);
	/* Everything up to `confirmed` is committed on the target.  Called
	 * at least every 100 ms, also while the queue is full, so the source
	 * can answer keepalives.  `confirmed` kind is POS_NONE until the
	 * first flush. */
	int (*feedback)(void *self, const struct ferry_pos *confirmed,
			struct err *e);
	void *self;
};

/*
 * The apply side, called from the apply thread only.  The sink sees
 * BEGIN, rows and COMMIT in source order and must keep the transaction
 * boundaries: flush() commits, in one target transaction, everything up
 * to the last COMMIT it was given, and keeps the rows of an unfinished
 * transaction after it; rollback() discards exactly those.  To bound
 * memory the sink may write the rows of a long transaction into an open
 * target transaction before its COMMIT arrives: the pipeline flushes the
 * complete transactions first, so such a target transaction holds one
 * source transaction only and rolling it back loses nothing else.
 */
struct pipeline_sink {
	/* Take ownership of `c` (also on error). */
	int (*apply)(void *self, struct change *c, struct err *e);
	/* Commit everything up to the last COMMIT applied. */
	int (*flush)(void *self, struct err *e);
	/* Discard what was applied after the last COMMIT (a transaction cut
	 * short by a stop or an error). */
	void (*rollback)(void *self);
	void *self;
};

struct pipeline_options {
	int batch_max_rows;		/* flush at this many pending rows */
	int batch_max_delay_ms;		/* ... or when the oldest is this old */
	size_t queue_max_items;
	size_t queue_max_bytes;
	int stop_grace_ms;		/* on stop, time to finish the
					   transaction being read */
};

struct pipeline_result {
	uint64_t rows;			/* row changes applied */
	uint64_t txns;			/* COMMITs applied */
	uint64_t flushes;
	struct ferry_pos confirmed;	/* last flushed COMMIT position */
	struct queue_stats queue;
};

int pipeline_run(const struct pipeline_options *opt,
		 const struct pipeline_source *src,
		 const struct pipeline_sink *sink,
		 struct pipeline_result *res, struct err *e) FERRY_MUSTCHECK;

#endif
