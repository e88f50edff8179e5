/*
 * json.h - the few JSON encodings ferry's engine needs, over jansson
 * (which only src/lib/json.c includes).
 *
 * Key tuples (snapshot resume points) are JSON arrays of strings:
 * ["42"] or ["acme","7"].  Strings must be valid UTF-8.
 */
#ifndef FERRY_JSON_H
#define FERRY_JSON_H

#include <stddef.h>

#include "ferry/err.h"

/* Encode n strings (lengths in `lens`) as a compact JSON array into a new
 * string `*out` (free() it). */
int json_strings_encode(const char *const *vals, const size_t *lens, size_t n,
			char **out, struct err *e) FERRY_MUSTCHECK;
/* Decode a JSON array of strings: `*vals` is a new array of `*n` new
 * strings (json_strings_free()).  FERRY_EINVAL on anything else. */
int json_strings_decode(const char *text, char ***vals, size_t *n,
			struct err *e) FERRY_MUSTCHECK;
void json_strings_free(char **vals, size_t n);

#endif
