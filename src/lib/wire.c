/*
 * wire.c - bounded reader over untrusted bytes (see wire.h).
 */
#include "ferry/wire.h"

#include <string.h>

static int need(const struct wire *w, size_t n)
{
	return wire_left(w) < n ? FERRY_EPROTO : 0;
}

int wire_u8(struct wire *w, uint8_t *v)
{
	if (need(w, 1))
		return FERRY_EPROTO;
	*v = w->p[w->off++];
	return 0;
}

static uint64_t get_be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

#define WIRE_GETTER(name, type, n, get)                         \
	int name(struct wire *w, type *v)                       \
	{                                                       \
		if (need(w, n))                                 \
			return FERRY_EPROTO;                    \
		*v = (type)get(w->p + w->off, n);               \
		w->off += n;                                    \
		return 0;                                       \
	}

WIRE_GETTER(wire_u16be, uint16_t, 2, get_be)
WIRE_GETTER(wire_u32be, uint32_t, 4, get_be)
WIRE_GETTER(wire_u64be, uint64_t, 8, get_be)
WIRE_GETTER(wire_u16le, uint16_t, 2, get_le)
WIRE_GETTER(wire_u24le, uint32_t, 3, get_le)
WIRE_GETTER(wire_u32le, uint32_t, 4, get_le)
WIRE_GETTER(wire_u48le, uint64_t, 6, get_le)
WIRE_GETTER(wire_u64le, uint64_t, 8, get_le)

int wire_bytes(struct wire *w, size_t n, const unsigned char **v)
{
	if (need(w, n))
		return FERRY_EPROTO;
	*v = w->p + w->off;
	w->off += n;
	return 0;
}

int wire_skip(struct wire *w, size_t n)
{
	if (need(w, n))
		return FERRY_EPROTO;
	w->off += n;
	return 0;
}

int wire_cstr(struct wire *w, const char **v, size_t *len)
{
	const unsigned char *nul;

	if (wire_left(w) == 0)
		return FERRY_EPROTO;
	nul = memchr(w->p + w->off, '\0', wire_left(w));
	if (!nul)
		return FERRY_EPROTO;
	*v = (const char *)(w->p + w->off);
	*len = (size_t)(nul - (w->p + w->off));
	w->off += *len + 1;
	return 0;
}

void wire_put_u8(unsigned char *p, uint8_t v)
{
	p[0] = v;
}

void wire_put_u64be(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}
