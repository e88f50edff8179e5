/*
 * mem.h - allocation wrappers.
 *
 * Policy: running out of memory for ferry's own bookkeeping is not
 * recoverable in any useful way, so these wrappers log one line and abort;
 * the checkpoint makes a restart safe (systemd restarts us).  Allocations
 * whose size comes from untrusted input must be checked against the
 * remaining input and the configured caps *before* calling these, so that a
 * hostile length yields an error, never this abort.
 *
 * Every allocation in ferry goes through here so that tests can count them.
 */
#ifndef FERRY_MEM_H
#define FERRY_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow `*p` (of `*cap` elements of `elem` bytes) to hold at least `need`. */
void xgrow(void **p, size_t *cap, size_t need, size_t elem);

#endif
