/*
 * mem.c - allocation wrappers that abort on exhaustion (see mem.h for why).
 */
#include "ferry/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void out_of_memory(size_t n)
{
	char line[96];
	int len;

	/* no allocation and no stdio buffering on this path */
	len = snprintf(line, sizeof(line),
		       "FATAL mem: out of memory allocating %zu bytes\n", n);
	if (len > 0 && write(STDERR_FILENO, line, (size_t)len) < 0)
		line[0] = '\0';
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		out_of_memory(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		out_of_memory(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void xgrow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			out_of_memory(SIZE_MAX);
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem)
		out_of_memory(SIZE_MAX);
	*p = xrealloc(*p, ncap * elem);
	*cap = ncap;
}
