/*
 * ds_util.c - the small pieces the DolphinScheduler split is built from:
 * the warning report, lenient JSON accessors for 1.3's loosely typed
 * values, a string map for task names and keys, and generic output rows.
 *
 * Where it sits: below ds_params.c, ds_split.c and ds_digest.c; knows
 * nothing of DolphinScheduler beyond the stringified task_json shape.
 *
 * Memory: our own strings and tables go through ferry/mem.h; jansson's
 * values are jansson's (its allocator is process-wide, so it is not
 * redirected from here) and never leave these files: every JSON result
 * is serialised into a ferry/buf string first.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_int.h"
#include "ferry/mem.h"

/* ---- report -------------------------------------------------------- */

#define DS_WARN_LEN 1024

void ds_warn(struct ds_report *r, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	int rc;

	if (!r)
		return;
	if (r->nwarnings >= DS_WARN_MAX) {
		r->warnings_dropped++;
		return;
	}
	buf_init(&b, 0);
	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc)
		buf_reset(&b);
	/* a warning quotes names from the input: keep it a readable line */
	if (b.len > DS_WARN_LEN) {
		buf_truncate(&b, DS_WARN_LEN - 3);
		if (buf_puts(&b, "..."))
			buf_reset(&b);
	}
	r->warnings = xrealloc(r->warnings,
			       (r->nwarnings + 1) * sizeof(*r->warnings));
	r->warnings[r->nwarnings++] = buf_detach(&b, NULL);
}

void ds_unresolved_add(struct ds_report *r, enum ds_ref_kind kind,
		       const char *task_name, int64_t id, int64_t process_id,
		       const char *name)
{
	struct ds_unresolved *u;

	if (!r)
		return;
	r->unresolved = xrealloc(r->unresolved, (r->nunresolved + 1) *
				 sizeof(*r->unresolved));
	u = &r->unresolved[r->nunresolved++];
	u->kind = kind;
	u->task_name = task_name ? xstrdup(task_name) : NULL;
	u->id = id;
	u->process_id = process_id;
	u->name = name ? xstrdup(name) : NULL;
}

void ds_report_release(struct ds_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	for (size_t i = 0; i < r->nunresolved; i++) {
		free(r->unresolved[i].task_name);
		free(r->unresolved[i].name);
	}
	free(r->unresolved);
	memset(r, 0, sizeof(*r));
}

/* ---- JSON ---------------------------------------------------------- */

json_t *ds_json_load(const char *text, const char *what, struct err *e)
{
	json_error_t je;
	json_t *v;

	/* JSON_DECODE_ANY: scalars are parsed too, so that a caller can say
	 * "is not an object" instead of a jansson message about it */
	v = json_loads(text, JSON_DECODE_ANY, &je);
	if (!v)
		err_set(e, FERRY_EDATA, "%s is not valid JSON (line %d column "
			"%d: %s)", what, je.line, je.column, je.text);
	return v;
}

static int dump_to_buf(const char *p, size_t n, void *data)
{
	return buf_append(data, p, n) ? -1 : 0;
}

char *ds_json_dump(const json_t *v, size_t flags)
{
	struct buf b;

	buf_init(&b, 0);
	/* only a buffer past SIZE_MAX / 2 fails; treat that as memory */
	if (json_dump_callback(v, dump_to_buf, &b, flags | JSON_ENCODE_ANY)) {
		buf_release(&b);
		return xstrdup("null");
	}
	return buf_detach(&b, NULL);
}

bool ds_text_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s)
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s)
		return false;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end)
		return false;
	*out = v;
	return true;
}

bool ds_json_int(const json_t *v, int64_t *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		/* 2^63 is exactly representable; anything at or past it is not
		 * an int64 */
		if (d != floor(d) || d < -9223372036854775808.0 ||
		    d >= 9223372036854775808.0)
			return false;
		*out = (int64_t)d;
		return true;
	}
	if (json_is_string(v))
		return ds_text_int(json_string_value(v), out);
	return false;
}

const char *ds_json_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

void ds_node_unstringify(json_t *node)
{
	static const char *const keys[] = {
		"params", "dependence", "conditionResult", "timeout",
		"preTasks",
	};
	json_error_t je;

	if (!json_is_object(node))
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(node, keys[i]);
		json_t *inner;

		if (!json_is_string(v))
			continue;
		/* only containers: a plain string value stays what it is */
		inner = json_loads(json_string_value(v), JSON_DECODE_ANY, &je);
		if (inner && (json_is_object(inner) || json_is_array(inner) ||
			      json_is_null(inner)))
			json_object_set_new(node, keys[i], inner);
		else
			json_decref(inner);
	}
}

/* ---- string map ---------------------------------------------------- */

static size_t smap_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

void ds_smap_init(struct ds_smap *m)
{
	memset(m, 0, sizeof(*m));
}

void ds_smap_release(struct ds_smap *m)
{
	free(m->keys);
	free(m->vals);
	ds_smap_init(m);
}

static void smap_grow(struct ds_smap *m)
{
	struct ds_smap n;

	n.cap = m->cap ? m->cap * 2 : 16;
	n.n = 0;
	n.keys = xcalloc(n.cap, sizeof(*n.keys));
	n.vals = xcalloc(n.cap, sizeof(*n.vals));
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			ds_smap_put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = n;
}

bool ds_smap_put(struct ds_smap *m, const char *key, size_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		smap_grow(m);
	for (i = smap_hash(key) & (m->cap - 1); m->keys[i];
	     i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
			return false;
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return true;
}

bool ds_smap_get(const struct ds_smap *m, const char *key, size_t *val)
{
	if (!m->cap)
		return false;
	for (size_t i = smap_hash(key) & (m->cap - 1); m->keys[i];
	     i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0) {
			*val = m->vals[i];
			return true;
		}
	return false;
}

/* ---- rows ---------------------------------------------------------- */

char *ds_strfmt(const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	int rc;

	buf_init(&b, 0);
	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc)
		buf_reset(&b);	/* only a format error: an empty string */
	return buf_detach(&b, NULL);
}

int ds_fail(struct err *e, int rc, const char *fmt, ...)
{
	char pre[ERR_MSG_MAX];
	va_list ap;
	size_t n;

	if (!e)
		return rc;
	if (e->code != rc || !e->msg[0])
		err_set(e, rc, "%s", ferry_strerror(rc));
	va_start(ap, fmt);
	if (vsnprintf(pre, sizeof(pre), fmt, ap) < 0)
		pre[0] = '\0';
	va_end(ap);
	n = strlen(pre);
	if (n >= 2 && pre[n - 2] == ':' && pre[n - 1] == ' ')
		pre[n - 2] = '\0';
	err_prefix(e, "%s", pre);
	return rc;
}

char *ds_fmt_i64(int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	return xstrdup(s);
}

void ds_row_init(struct ds_row *r, const char *table,
		 const char *const *cols, size_t ncols)
{
	r->table = table;
	r->cols = cols;
	r->ncols = ncols;
	r->vals = xcalloc(ncols, sizeof(*r->vals));
}

void ds_row_put(struct ds_row *r, const char *col, char *val)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->cols[i], col) == 0) {
			free(r->vals[i]);
			r->vals[i] = val;
			return;
		}
	/* a column name typo in this library, never input */
	fprintf(stderr, "ds_split: no column \"%s\" in %s\n", col, r->table);
	abort();
}

const char *ds_row_get(const struct ds_row *r, const char *col, bool *found)
{
	if (found)
		*found = false;
	if (!r || !r->cols || !r->vals)
		return NULL;
	for (size_t i = 0; i < r->ncols; i++)
		if (r->cols[i] && strcmp(r->cols[i], col) == 0) {
			if (found)
				*found = true;
			return r->vals[i];
		}
	return NULL;
}

void ds_row_release(struct ds_row *r)
{
	if (r->vals)
		for (size_t i = 0; i < r->ncols; i++)
			free(r->vals[i]);
	free(r->vals);
	memset(r, 0, sizeof(*r));
}

struct ds_row *ds_rowset_add(struct ds_rowset *s)
{
	s->rows = xrealloc(s->rows, (s->n + 1) * sizeof(*s->rows));
	memset(&s->rows[s->n], 0, sizeof(s->rows[s->n]));
	return &s->rows[s->n++];
}

void ds_rowset_release(struct ds_rowset *s)
{
	for (size_t i = 0; i < s->n; i++)
		ds_row_release(&s->rows[i]);
	free(s->rows);
	s->rows = NULL;
	s->n = 0;
}
