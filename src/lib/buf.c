/*
 * buf.c - growable byte buffer with a ceiling (see buf.h).
 */
#include "ferry/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"

static char buf_empty[1];

void buf_init(struct buf *b, size_t max)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : SIZE_MAX / 2;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->data);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, ncap;

	if (st_add(b->len, extra, &need) || need > b->max)
		return FERRY_EFULL;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : (b->max < 64 ? b->max : 64);
	while (ncap < need)
		ncap = ncap > b->max / 2 ? b->max : ncap * 2;
	if (b->cap) {
		b->data = xrealloc(b->data, ncap + 1);
	} else {
		b->data = xmalloc(ncap + 1);
		b->data[0] = '\0';
	}
	b->cap = ncap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len + (b->cap ? 1 : 0),
		      fmt, cp);
	va_end(cp);
	if (n < 0)
		return FERRY_EINVAL;
	if (b->cap && (size_t)n <= b->cap - b->len &&
	    (size_t)n <= b->max - b->len) {
		b->len += (size_t)n;
		return 0;
	}
	rc = buf_reserve(b, (size_t)n);
	if (rc) {
		b->data[b->len] = '\0';
		return rc;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (len)
		*len = b->len;
	p = b->cap ? b->data : xstrdup("");
	buf_init(b, b->max);
	return p;
}
