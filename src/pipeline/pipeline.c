/*
 * pipeline.c - the spine of the daemon (see pipeline.h for the picture).
 *
 * Two threads and one queue.  The reader thread only reads and gives
 * feedback; the apply thread (the caller of pipeline_run) applies, decides
 * when to flush, and publishes the confirmed position.  The only state the
 * two share is the queue and `confirmed`, guarded by `lock`.
 */
#include "ferry/pipeline.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "ferry/log.h"
#include "ferry/signals.h"

/* Upper bound on how long either thread waits before looking at flags and
 * deadlines again; also the feedback period while idle or held back. */
#define PIPELINE_TICK_MS 100

struct pipeline {
	const struct pipeline_options *opt;
	const struct pipeline_source *src;
	const struct pipeline_sink *sink;
	struct queue *queue;

	pthread_mutex_t lock;
	pthread_cond_t apply_done_cv;
	struct ferry_pos confirmed;	/* under lock */
	bool apply_done;		/* under lock */
	int abort_flag;			/* atomic: apply side failed */

	int reader_rc;			/* written by reader, read after join */
	struct err reader_err;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drop_change(void *item)
{
	change_free(item);
}

/*
 * A stop request lets the reader finish the transaction it is in the
 * middle of (for up to stop_grace_ms), so that the final flush commits
 * everything read and nothing has to be rolled back and replayed.  An
 * apply-side failure stops it at once.
 */
static bool reader_should_stop(struct pipeline *p, bool in_txn,
			       int64_t *stop_deadline)
{
	int64_t now;

	if (__atomic_load_n(&p->abort_flag, __ATOMIC_ACQUIRE))
		return true;
	if (!signals_stop_requested())
		return false;
	if (!in_txn)
		return true;
	now = mono_ms();
	if (*stop_deadline == 0)
		*stop_deadline = now + p->opt->stop_grace_ms;
	return now >= *stop_deadline;
}

static int send_feedback(struct pipeline *p, struct err *e)
{
	struct ferry_pos pos;

	pthread_mutex_lock(&p->lock);
	pos = p->confirmed;
	pthread_mutex_unlock(&p->lock);
	return p->src->feedback(p->src->self, &pos, e);
}

static void *reader_main(void *arg)
{
	struct pipeline *p = arg;
	struct change *pending = NULL;
	int64_t last_feedback = 0, stop_deadline = 0;
	bool in_txn = false;
	int rc = 0;

	while (!reader_should_stop(p, in_txn, &stop_deadline)) {
		int64_t now = mono_ms();

		if (now - last_feedback >= PIPELINE_TICK_MS) {
			rc = send_feedback(p, &p->reader_err);
			if (rc)
				break;
			last_feedback = now;
		}
		if (pending) {
			enum change_kind kind = pending->kind;

			/* held back by a full queue: keep ticking feedback */
			rc = queue_push(p->queue, pending,
					change_mem_size(pending),
					PIPELINE_TICK_MS);
			if (rc == FERRY_ETIMEDOUT) {
				rc = 0;
				continue;
			}
			if (rc)
				break;
			pending = NULL;
			if (kind == CHANGE_BEGIN)
				in_txn = true;
			else if (kind == CHANGE_COMMIT)
				in_txn = false;
			continue;
		}
		rc = p->src->next(p->src->self, &pending, PIPELINE_TICK_MS,
				  &p->reader_err);
		if (rc == FERRY_ECLOSED) {
			rc = 0;
			break;
		}
		if (rc)
			break;
	}
	change_free(pending);
	if (rc == FERRY_ECLOSED)	/* the apply side closed the queue */
		rc = 0;
	p->reader_rc = rc;
	queue_close(p->queue);

	/* the last feedback reports what the final flush committed */
	pthread_mutex_lock(&p->lock);
	while (!p->apply_done)
		pthread_cond_wait(&p->apply_done_cv, &p->lock);
	pthread_mutex_unlock(&p->lock);
	if (!rc && !__atomic_load_n(&p->abort_flag, __ATOMIC_ACQUIRE)) {
		rc = send_feedback(p, &p->reader_err);
		p->reader_rc = rc;
	}
	return NULL;
}

/* Apply-side bookkeeping between flushes. */
struct apply_state {
	bool in_txn;
	bool committed_pending;		/* complete txns not yet flushed */
	uint64_t pending_rows;		/* since the last flush */
	uint64_t txn_rows;		/* in the transaction being applied */
	int64_t oldest_ms;		/* when the first pending row came */
	struct ferry_pos last_commit;
};

static int flush(struct pipeline *p, struct apply_state *as,
		 struct pipeline_result *res, struct err *e)
{
	int rc = p->sink->flush(p->sink->self, e);

	if (rc)
		return rc;
	res->flushes++;
	res->confirmed = as->last_commit;
	as->committed_pending = false;
	/* the unfinished transaction's rows stay with the sink */
	as->pending_rows = as->in_txn ? as->txn_rows : 0;
	pthread_mutex_lock(&p->lock);
	p->confirmed = as->last_commit;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static bool batch_due(const struct pipeline *p, const struct apply_state *as)
{
	return as->pending_rows >= (uint64_t)p->opt->batch_max_rows ||
	       mono_ms() - as->oldest_ms >= p->opt->batch_max_delay_ms;
}

static int apply_one(struct pipeline *p, struct apply_state *as,
		     struct change *c, struct pipeline_result *res,
		     struct err *e)
{
	enum change_kind kind = c->kind;
	int rc;

	switch (kind) {
	case CHANGE_BEGIN:
		as->in_txn = true;
		as->txn_rows = 0;
		break;
	case CHANGE_COMMIT:
		as->in_txn = false;
		if (c->pos)
			as->last_commit = *c->pos;
		res->txns++;
		break;
	default:
		if (as->pending_rows++ == 0)
			as->oldest_ms = mono_ms();
		as->txn_rows++;
		res->rows++;
		break;
	}
	rc = p->sink->apply(p->sink->self, c, e);
	if (rc)
		return rc;
	if (kind == CHANGE_COMMIT) {
		as->committed_pending = true;
		return batch_due(p, as) ? flush(p, as, res, e) : 0;
	}
	/* a long transaction: commit the ones before it so the sink may
	 * stream this one into a target transaction of its own */
	if (as->in_txn && as->committed_pending &&
	    as->txn_rows >= (uint64_t)p->opt->batch_max_rows)
		return flush(p, as, res, e);
	return 0;
}

static int apply_loop(struct pipeline *p, struct pipeline_result *res,
		      struct err *e)
{
	struct apply_state as;
	void *item;
	int rc = 0;

	memset(&as, 0, sizeof(as));
	for (;;) {
		/* between transactions, an empty queue is the moment to
		 * commit: the target catches up while the source is quiet */
		int wait = as.committed_pending && !as.in_txn
				   ? 0 : PIPELINE_TICK_MS;

		rc = queue_pop(p->queue, &item, wait);
		if (rc == FERRY_ETIMEDOUT) {
			rc = 0;
			if (as.committed_pending && !as.in_txn) {
				rc = flush(p, &as, res, e);
				if (rc)
					break;
			}
			continue;
		}
		if (rc == FERRY_ECLOSED) {
			rc = 0;
			break;
		}
		rc = apply_one(p, &as, item, res, e);
		if (rc)
			break;
	}
	if (rc)
		return rc;	/* the target's state is unknown: no flush */
	if (as.in_txn)
		p->sink->rollback(p->sink->self);
	if (as.committed_pending)
		rc = flush(p, &as, res, e);
	return rc;
}

int pipeline_run(const struct pipeline_options *opt,
		 const struct pipeline_source *src,
		 const struct pipeline_sink *sink,
		 struct pipeline_result *res, struct err *e)
{
	struct pipeline p;
	pthread_t reader;
	int rc;

	memset(&p, 0, sizeof(p));
	memset(res, 0, sizeof(*res));
	p.opt = opt;
	p.src = src;
	p.sink = sink;
	p.queue = queue_new(opt->queue_max_items, opt->queue_max_bytes,
			    drop_change);
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.apply_done_cv, NULL);
	err_clear(&p.reader_err);

	rc = pthread_create(&reader, NULL, reader_main, &p);
	if (rc) {
		rc = err_set(e, FERRY_EIO, "could not start reader thread: %s",
			     strerror(rc));
		goto out;
	}
	rc = apply_loop(&p, res, e);
	if (rc) {
		/* stop the reader and unblock its push */
		__atomic_store_n(&p.abort_flag, 1, __ATOMIC_RELEASE);
		queue_close(p.queue);
	}
	pthread_mutex_lock(&p.lock);
	p.apply_done = true;
	pthread_cond_signal(&p.apply_done_cv);
	pthread_mutex_unlock(&p.lock);
	pthread_join(reader, NULL);
	if (!rc && p.reader_rc) {
		rc = p.reader_rc;
		if (e)
			*e = p.reader_err;
	}
	queue_get_stats(p.queue, &res->queue);
	log_debug("pipeline", "stopped rows=%llu txns=%llu flushes=%llu "
		  "queue_high_water=%zu push_waits=%llu",
		  (unsigned long long)res->rows,
		  (unsigned long long)res->txns,
		  (unsigned long long)res->flushes,
		  res->queue.max_items_seen,
		  (unsigned long long)res->queue.push_waits);
out:
	queue_free(p.queue);
	pthread_cond_destroy(&p.apply_done_cv);
	pthread_mutex_destroy(&p.lock);
	return rc;
}
