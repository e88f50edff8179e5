/*
 * wire.h - bounded reader over untrusted bytes (protocol messages, binlog
 * events).
 *
 * Every getter checks that enough bytes remain *before* reading and, when
 * they do not, returns FERRY_EPROTO without moving the cursor, so a caller
 * can report the offset of the field that did not fit.  Nothing here
 * allocates: wire_bytes() and wire_cstr() return views into the buffer,
 * valid as long as the buffer is.
 *
 * PostgreSQL fields are big-endian (`be`), binlog fields little-endian
 * (`le`).
 */
#ifndef FERRY_WIRE_H
#define FERRY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"

struct wire {
	const unsigned char *p;
	size_t len;
	size_t off;
};

static inline void wire_init(struct wire *w, const void *p, size_t len)
{
	w->p = p;
	w->len = len;
	w->off = 0;
}

static inline size_t wire_left(const struct wire *w)
{
	return w->len - w->off;
}

int wire_u8(struct wire *w, uint8_t *v) FERRY_MUSTCHECK;
int wire_u16be(struct wire *w, uint16_t *v) FERRY_MUSTCHECK;
int wire_u32be(struct wire *w, uint32_t *v) FERRY_MUSTCHECK;
int wire_u64be(struct wire *w, uint64_t *v) FERRY_MUSTCHECK;
int wire_u16le(struct wire *w, uint16_t *v) FERRY_MUSTCHECK;
int wire_u24le(struct wire *w, uint32_t *v) FERRY_MUSTCHECK;
int wire_u32le(struct wire *w, uint32_t *v) FERRY_MUSTCHECK;
int wire_u48le(struct wire *w, uint64_t *v) FERRY_MUSTCHECK;
int wire_u64le(struct wire *w, uint64_t *v) FERRY_MUSTCHECK;
/* `n` bytes as a view. */
int wire_bytes(struct wire *w, size_t n, const unsigned char **v)
	FERRY_MUSTCHECK;
int wire_skip(struct wire *w, size_t n) FERRY_MUSTCHECK;
/* A NUL-terminated string as a view (`*len` excludes the NUL). */
int wire_cstr(struct wire *w, const char **v, size_t *len) FERRY_MUSTCHECK;

/* Encoders for the few messages ferry sends (big-endian). */
void wire_put_u8(unsigned char *p, uint8_t v);
void wire_put_u64be(unsigned char *p, uint64_t v);

#endif
