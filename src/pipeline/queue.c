/*
 * queue.c - bounded ring of pointers with count and byte limits (see
 * queue.h).  One mutex, two condition variables; the critical sections are
 * a few loads and stores, so contention stays negligible next to the cost
 * of decoding and writing a row.
 */
#include "ferry/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "ferry/mem.h"

struct slot {
	void *item;
	size_t bytes;
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t not_full;
	pthread_cond_t not_empty;
	struct slot *ring;
	size_t cap;		/* = max_items */
	size_t head;		/* next to pop */
	size_t count;
	size_t bytes;
	size_t max_bytes;
	bool closed;
	void (*drop)(void *item);
	struct queue_stats st;
};

struct queue *queue_new(size_t max_items, size_t max_bytes,
			void (*drop)(void *item))
{
	struct queue *q = xcalloc(1, sizeof(*q));
	pthread_condattr_t ca;

	q->cap = max_items ? max_items : 1;
	q->max_bytes = max_bytes ? max_bytes : SIZE_MAX;
	q->ring = xcalloc(q->cap, sizeof(*q->ring));
	q->drop = drop;
	pthread_mutex_init(&q->lock, NULL);
	/* timeouts must not jump when the wall clock is set */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->not_full, &ca);
	pthread_cond_init(&q->not_empty, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->count; i++) {
		struct slot *s = &q->ring[(q->head + i) % q->cap];

		if (q->drop)
			q->drop(s->item);
	}
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q);
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/*
 * Wait on `cv` for up to timeout_ms (< 0: forever); false once the
 * deadline has passed.  The deadline is taken at the first wait, not per
 * call: most pushes and pops never wait, and they run once a row.
 */
static bool wait_until(pthread_cond_t *cv, pthread_mutex_t *m,
		       int timeout_ms, struct timespec *deadline,
		       bool *have_deadline)
{
	if (timeout_ms < 0) {
		pthread_cond_wait(cv, m);
		return true;
	}
	if (!*have_deadline) {
		deadline_in(deadline, timeout_ms);
		*have_deadline = true;
	}
	return pthread_cond_timedwait(cv, m, deadline) != ETIMEDOUT;
}

static bool has_room(const struct queue *q, size_t bytes)
{
	if (q->count == q->cap)
		return false;
	/* an oversized item goes through alone rather than never */
	return q->count == 0 || q->bytes + bytes <= q->max_bytes;
}

int queue_push(struct queue *q, void *item, size_t bytes, int timeout_ms)
{
	struct timespec deadline;
	bool waited = false, have_deadline = false;
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	while (!q->closed && !has_room(q, bytes)) {
		waited = true;
		if (!wait_until(&q->not_full, &q->lock, timeout_ms, &deadline,
				&have_deadline) &&
		    !has_room(q, bytes)) {
			rc = FERRY_ETIMEDOUT;
			break;
		}
	}
	if (waited)
		q->st.push_waits++;
	if (!rc && q->closed)
		rc = FERRY_ECLOSED;
	if (!rc) {
		q->ring[(q->head + q->count) % q->cap] =
			(struct slot){ item, bytes };
		q->count++;
		q->bytes += bytes;
		q->st.pushes++;
		if (q->count > q->st.max_items_seen)
			q->st.max_items_seen = q->count;
		if (q->bytes > q->st.max_bytes_seen)
			q->st.max_bytes_seen = q->bytes;
		pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int queue_pop(struct queue *q, void **item, int timeout_ms)
{
	struct timespec deadline;
	bool have_deadline = false;
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	while (q->count == 0 && !q->closed) {
		if (!wait_until(&q->not_empty, &q->lock, timeout_ms,
				&deadline, &have_deadline) &&
		    q->count == 0) {
			rc = FERRY_ETIMEDOUT;
			break;
		}
	}
	if (!rc && q->count == 0)
		rc = FERRY_ECLOSED;
	if (!rc) {
		struct slot *s = &q->ring[q->head];

		*item = s->item;
		q->bytes -= s->bytes;
		q->head = (q->head + 1) % q->cap;
		q->count--;
		pthread_cond_broadcast(&q->not_full);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_full);
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

void queue_get_stats(struct queue *q, struct queue_stats *out)
{
	pthread_mutex_lock(&q->lock);
	*out = q->st;
	out->items = q->count;
	out->bytes = q->bytes;
	pthread_mutex_unlock(&q->lock);
}
