/*
 * queue.h - bounded queue between the reader thread and the apply thread.
 *
 * Bounded twice: by item count and by bytes (each push says how many bytes
 * the item holds), so memory stays bounded by configuration, never by the
 * size of the database or of one transaction (DESIGN.md invariant 7).  When
 * either bound is reached, queue_push() waits: that is the backpressure
 * that slows the reader down to the pace of the target.  One item larger
 * than the byte bound is admitted when the queue is empty, so a single huge
 * row cannot deadlock the pipeline.
 *
 * Waits take a timeout so that the reader can keep answering the source's
 * keepalives while it is held back.  queue_close() wakes every waiter:
 * pushes then fail with FERRY_ECLOSED, pops drain what is left and then
 * fail with FERRY_ECLOSED.
 *
 * Items are opaque pointers; ownership passes to the queue on a successful
 * push and to the caller on a successful pop.  Items still queued at
 * queue_free() are passed to the `drop` callback given to queue_new().
 */
#ifndef FERRY_QUEUE_H
#define FERRY_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"

struct queue;

struct queue_stats {
	size_t items;		/* now */
	size_t bytes;		/* now */
	size_t max_items_seen;	/* high-water marks */
	size_t max_bytes_seen;
	uint64_t pushes;
	uint64_t push_waits;	/* pushes that had to wait: backpressure */
};

struct queue *queue_new(size_t max_items, size_t max_bytes,
			void (*drop)(void *item));
void queue_free(struct queue *q);

/* timeout_ms < 0 waits forever.  0, FERRY_ETIMEDOUT or FERRY_ECLOSED. */
int queue_push(struct queue *q, void *item, size_t bytes, int timeout_ms)
	FERRY_MUSTCHECK;
int queue_pop(struct queue *q, void **item, int timeout_ms) FERRY_MUSTCHECK;
void queue_close(struct queue *q);
void queue_get_stats(struct queue *q, struct queue_stats *out);

#endif
