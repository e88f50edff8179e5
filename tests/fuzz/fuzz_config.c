/*
 * fuzz_config.c - libFuzzer target for the YAML document model and the
 * config loader.
 *
 * The bytes go twice through the code that reads untrusted config and
 * mapping files: once into ydoc_load_buffer(), whose tree is then walked
 * completely through the public accessors, and once into
 * config_load_buffer(), which validates it against the key table.  Besides
 * the sanitizers, it checks the error contract: every FERRY_ECONFIG message
 * starts with "NAME:LINE:COLUMN: " and the struct is empty after a failure.
 *
 * Relative paths resolve against "/" so that password_file checks (open +
 * fstat, never read) touch only real, fixed places.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/config.h"
#include "ferry/err.h"
#include "ferry/ydoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;

static void walk(const struct ydoc_node *n, int depth)
{
	size_t len;
	int64_t v;
	bool b;

	if (depth > YDOC_MAX_DEPTH + 1 || ydoc_line(n) < 1 || ydoc_col(n) < 1)
		abort();
	switch (ydoc_kind(n)) {
	case YDOC_SCALAR:
		sink += strlen(ydoc_text(n, &len)) + len + ydoc_quoted(n) +
			ydoc_is_null(n);
		if (ydoc_to_i64(n, &v) == 0)
			sink += (size_t)v;
		if (ydoc_to_bool(n, &b) == 0)
			sink += b;
		break;
	case YDOC_MAPPING:
		for (size_t i = 0; i < ydoc_count(n); i++) {
			const struct ydoc_node *k = ydoc_key(n, i);

			if (ydoc_kind(k) != YDOC_SCALAR)
				abort();
			/* keys are unique, so lookup finds this very pair */
			if (strlen(ydoc_text(k, &len)) == len &&
			    ydoc_get(n, ydoc_text(k, NULL)) != ydoc_value(n, i))
				abort();
			walk(k, depth + 1);
			walk(ydoc_value(n, i), depth + 1);
		}
		break;
	case YDOC_SEQUENCE:
		for (size_t i = 0; i < ydoc_count(n); i++)
			walk(ydoc_item(n, i), depth + 1);
		break;
	}
}

static void check_message(const struct err *e)
{
	static const char pre[] = "fuzz.yaml:";
	const char *p = e->msg + sizeof(pre) - 1;
	char *end;
	long line, col;

	if (e->code != FERRY_ECONFIG)
		return;
	if (strncmp(e->msg, pre, sizeof(pre) - 1) != 0)
		abort();
	line = strtol(p, &end, 10);
	if (end == p || *end != ':' || line < 1)
		abort();
	p = end + 1;
	col = strtol(p, &end, 10);
	if (end == p || col < 1 || strncmp(end, ": ", 2) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, zero;
	struct ydoc *doc;
	struct err e;
	int rc;

	err_clear(&e);
	rc = ydoc_load_buffer("fuzz.yaml", (const char *)data, size, &doc, &e);
	if (rc == 0) {
		if (ydoc_root(doc))
			walk(ydoc_root(doc), 1);
		ydoc_free(doc);
	} else {
		if (doc)
			abort();
		check_message(&e);
	}

	err_clear(&e);
	rc = config_load_buffer("fuzz.yaml", (const char *)data, size, "/",
				&cfg, &e);
	if (rc == 0) {
		config_release(&cfg);
	} else {
		memset(&zero, 0, sizeof(zero));
		if (memcmp(&cfg, &zero, sizeof(cfg)) != 0)
			abort();
		check_message(&e);
	}
	return 0;
}
