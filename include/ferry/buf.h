/*
 * buf.h - growable byte buffer with a ceiling.
 *
 * Invariants: `data` is never NULL after buf_init() and is NUL-terminated
 * at `len`, so a buffer of text can be passed to C string functions.  An
 * append that would pass `max` fails with FERRY_EFULL and leaves the buffer
 * unchanged: a hostile or runaway input cannot grow it without bound.
 * Ownership leaves the buffer only through buf_detach().
 *
 * Read `data` and `len` directly; change them only through these functions.
 */
#ifndef FERRY_BUF_H
#define FERRY_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "ferry/err.h"

struct buf {
	char *data;
	size_t len;
	size_t cap;	/* allocated bytes, excluding the NUL slot */
	size_t max;	/* ceiling for len; 0 means SIZE_MAX / 2 */
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Drop the contents, keep the allocation. */
void buf_reset(struct buf *b);
/* Ensure room for `extra` more bytes.  FERRY_EFULL past `max`. */
int buf_reserve(struct buf *b, size_t extra) FERRY_MUSTCHECK;
int buf_append(struct buf *b, const void *p, size_t n) FERRY_MUSTCHECK;
int buf_puts(struct buf *b, const char *s) FERRY_MUSTCHECK;
int buf_putc(struct buf *b, char c) FERRY_MUSTCHECK;
int buf_printf(struct buf *b, const char *fmt, ...) FERRY_PRINTF(2, 3)
	FERRY_MUSTCHECK;
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) FERRY_MUSTCHECK;
/* Cut to `len` bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* Hand the bytes to the caller (free() them); the buffer is empty after. */
char *buf_detach(struct buf *b, size_t *len);

#endif
