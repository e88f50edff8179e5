/*
 * ds_digest.c - meaning digests of a DolphinScheduler workflow, for
 * `ferry verify` (see ds_split.h for the canonical text).
 *
 * Where it sits: verify reads a 1.3 workflow row from the source and the
 * 3.2 rows of the same workflow from the target; ds_digest_13() and
 * ds_digest_32() must agree when the migration is right.
 *
 * Why the canonical text lives in the target's vocabulary: ds_digest_32()
 * sees only 3.2 rows, and codes cannot be turned back into 1.3 ids without
 * the id map.  So the 1.3 side is mapped forward instead, through the very
 * split the migration ran (with a read-only env), and both sides are
 * rendered by the same functions below from rows.  What differs between
 * "the rows ferry meant to write" and "the rows the target holds" is then
 * exactly what verify should find: a lost update, a stale version, a
 * missing or doubled relation, a garbled parameter.  Formatting noise is
 * not a difference: integers are compared as integers, JSON as sorted
 * compact JSON, and ids, versions and times are left out.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ds_int.h"
#include "ferry/mem.h"
#include "ferry/sha256.h"

#define CANON_MAGIC "ferry-ds-digest 1\n"

/* JSON string of arbitrary bytes: escapes '"', '\\' and controls, copies
 * everything else byte for byte (so invalid UTF-8 is still canonical). */
static int put_jstr(struct buf *b, const char *s)
{
	int rc = buf_putc(b, '"');

	for (; *s && !rc; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			rc = buf_putc(b, '\\') || buf_putc(b, (char)ch);
		else if (ch < 0x20)
			rc = buf_printf(b, "\\u%04x", ch);
		else
			rc = buf_putc(b, (char)ch);
	}
	return rc || buf_putc(b, '"') ? FERRY_ENOMEM : 0;
}

/* An integer column: decimal when it is one, else its text. */
static int put_int(struct buf *b, const char *v)
{
	int64_t n;

	if (buf_putc(b, '\t'))
		return FERRY_ENOMEM;
	if (!v)
		return buf_puts(b, "null");
	if (ds_text_int(v, &n))
		return buf_printf(b, "%" PRId64, n);
	return put_jstr(b, v);
}

static int put_text(struct buf *b, const char *v)
{
	if (buf_putc(b, '\t'))
		return FERRY_ENOMEM;
	return v ? put_jstr(b, v) : buf_puts(b, "null");
}

/* A JSON column: parsed and re-serialised with sorted keys; text that is
 * not JSON is compared as text. */
static int put_json(struct buf *b, const char *v)
{
	json_error_t je;
	json_t *doc;
	char *s;
	int rc;

	if (buf_putc(b, '\t'))
		return FERRY_ENOMEM;
	if (!v)
		return buf_puts(b, "null");
	doc = json_loads(v, JSON_DECODE_ANY, &je);
	if (!doc)
		return put_jstr(b, v);
	s = ds_json_dump(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	rc = buf_puts(b, s);
	free(s);
	return rc;
}

#define COL(r, name) ds_row_get((r), (name), NULL)

int ds_canon_task_line(const struct ds_row *r, struct buf *b)
{
	static const char *const ints[] = {
		"flag", "task_priority",
	};
	static const char *const ints2[] = {
		"fail_retry_times", "fail_retry_interval", "timeout_flag",
		"timeout_notify_strategy", "timeout",
	};
	int rc;

	rc = buf_puts(b, "task") ||
		put_int(b, COL(r, "code")) ||
		put_text(b, COL(r, "name")) ||
		put_text(b, COL(r, "description")) ||
		put_text(b, COL(r, "task_type"));
	for (size_t i = 0; !rc && i < sizeof(ints) / sizeof(ints[0]); i++)
		rc = put_int(b, COL(r, ints[i]));
	rc = rc || put_text(b, COL(r, "worker_group"));
	for (size_t i = 0; !rc && i < sizeof(ints2) / sizeof(ints2[0]); i++)
		rc = put_int(b, COL(r, ints2[i]));
	rc = rc || put_text(b, COL(r, "resource_ids")) ||
		put_json(b, COL(r, "task_params")) ||
		buf_putc(b, '\n');
	return rc ? FERRY_ENOMEM : 0;
}

static int canon_process_line(const struct ds_row *r, struct buf *b)
{
	int rc = buf_puts(b, "process") ||
		put_int(b, COL(r, "code")) ||
		put_int(b, COL(r, "project_code")) ||
		put_text(b, COL(r, "name")) ||
		put_text(b, COL(r, "description")) ||
		put_int(b, COL(r, "release_state")) ||
		put_int(b, COL(r, "flag")) ||
		put_int(b, COL(r, "user_id")) ||
		put_int(b, COL(r, "timeout")) ||
		put_json(b, COL(r, "global_params")) ||
		buf_putc(b, '\n');

	return rc ? FERRY_ENOMEM : 0;
}

/* ---- sorting ------------------------------------------------------- */

struct line {
	const char *k1;		/* task name; NULL sorts first */
	int64_t n1, n2;		/* code, or pre/post codes */
	char *text;
};

static int cmp_int(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_line(const void *pa, const void *pb)
{
	const struct line *a = pa, *b = pb;
	int c;

	if (a->k1 != b->k1) {
		if (!a->k1 || !b->k1)
			return a->k1 ? 1 : -1;
		c = strcmp(a->k1, b->k1);
		if (c)
			return c;
	}
	c = cmp_int(a->n1, b->n1);
	if (!c)
		c = cmp_int(a->n2, b->n2);
	return c ? c : strcmp(a->text, b->text);
}

static int64_t int_or_min(const char *v)
{
	int64_t n;

	return ds_text_int(v, &n) ? n : INT64_MIN;
}

static void lines_add(struct line **v, size_t *n, const char *k1,
		      int64_t n1, int64_t n2, char *text)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].k1 = k1;
	(*v)[*n].n1 = n1;
	(*v)[*n].n2 = n2;
	(*v)[*n].text = text;
	(*n)++;
}

static int lines_flush(struct buf *b, struct line *v, size_t n)
{
	int rc = 0;

	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_line);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = buf_puts(b, v[i].text);
		free(v[i].text);
	}
	free(v);
	return rc;
}

/* ---- the text ------------------------------------------------------ */

/* "code\037version" keys of the task versions relations refer to */
struct refs {
	struct ds_smap cv;
	struct ds_smap c;
	char **keys;
	size_t nkeys;
};

static void refs_add(struct refs *r, const char *code, const char *ver)
{
	char *k1 = ds_strfmt("%" PRId64, int_or_min(code));
	char *k2 = ds_strfmt("%" PRId64 "\037%" PRId64, int_or_min(code),
			     int_or_min(ver));

	r->keys = xrealloc(r->keys, (r->nkeys + 2) * sizeof(*r->keys));
	r->keys[r->nkeys++] = k1;
	r->keys[r->nkeys++] = k2;
	ds_smap_put(&r->c, k1, 1);
	ds_smap_put(&r->cv, k2, 1);
}

static bool refs_has(const struct refs *r, const char *code, const char *ver,
		     bool with_ver)
{
	char *k = with_ver ?
		ds_strfmt("%" PRId64 "\037%" PRId64, int_or_min(code),
			  int_or_min(ver)) :
		ds_strfmt("%" PRId64, int_or_min(code));
	size_t v;
	bool has = ds_smap_get(with_ver ? &r->cv : &r->c, k, &v);

	free(k);
	return has;
}

static void refs_release(struct refs *r)
{
	ds_smap_release(&r->cv);
	ds_smap_release(&r->c);
	for (size_t i = 0; i < r->nkeys; i++)
		free(r->keys[i]);
	free(r->keys);
}

static bool same_int(const char *a, const char *b)
{
	int64_t x, y;

	/* a column the caller did not select does not filter */
	if (!a || !b || !ds_text_int(a, &x) || !ds_text_int(b, &y))
		return true;
	return x == y;
}

static int canon(const struct ds_row *process, const struct ds_row *tasks,
		 size_t ntasks, const struct ds_row *rels, size_t nrels,
		 const struct ds_report *rep, char **text, struct err *e)
{
	const char *code = COL(process, "code");
	const char *ver = COL(process, "version");
	struct line *tl = NULL, *el = NULL, *ul = NULL;
	size_t ntl = 0, nel = 0, nul = 0;
	struct refs refs;
	struct buf b, l;
	bool keep;
	int rc;

	*text = NULL;
	if (!code)
		return err_set(e, FERRY_EINVAL, "the process definition row "
			       "has no code");
	memset(&refs, 0, sizeof(refs));
	ds_smap_init(&refs.cv);
	ds_smap_init(&refs.c);
	buf_init(&b, 0);
	rc = buf_puts(&b, CANON_MAGIC) || canon_process_line(process, &b);

	/* relations of this workflow version only (log tables may be
	 * passed whole) */
	for (size_t i = 0; i < nrels; i++) {
		const struct ds_row *r = &rels[i];
		const char *pre = COL(r, "pre_task_code");

		if (!same_int(COL(r, "process_definition_code"), code) ||
		    !same_int(COL(r, "process_definition_version"), ver))
			continue;
		refs_add(&refs, COL(r, "post_task_code"),
			 COL(r, "post_task_version"));
		if (int_or_min(pre) != 0)
			refs_add(&refs, pre, COL(r, "pre_task_version"));
		buf_init(&l, 0);
		rc = rc || buf_puts(&l, "edge") || put_int(&l, pre) ||
			put_int(&l, COL(r, "post_task_code")) ||
			buf_putc(&l, '\n');
		lines_add(&el, &nel, NULL, int_or_min(pre),
			  int_or_min(COL(r, "post_task_code")),
			  buf_detach(&l, NULL));
	}
	/* a task version no relation refers to is history, unless no
	 * relation refers to the code at all: then it is an orphan, shown */
	for (size_t i = 0; i < ntasks; i++) {
		const struct ds_row *t = &tasks[i];
		const char *tc = COL(t, "code");
		const char *tv = COL(t, "version");

		keep = !tv || refs_has(&refs, tc, tv, true) ||
			!refs_has(&refs, tc, NULL, false);
		if (!keep)
			continue;
		buf_init(&l, 0);
		rc = rc || ds_canon_task_line(t, &l);
		lines_add(&tl, &ntl, COL(t, "name"), int_or_min(tc), 0,
			  buf_detach(&l, NULL));
	}
	for (size_t i = 0; rep && i < rep->nunresolved; i++) {
		const struct ds_unresolved *u = &rep->unresolved[i];

		buf_init(&l, 0);
		rc = rc || buf_printf(&l, "unresolved\t%d", (int)u->kind) ||
			put_text(&l, u->task_name) ||
			buf_printf(&l, "\t%" PRId64 "\t%" PRId64, u->id,
				   u->process_id) ||
			put_text(&l, u->name) || buf_putc(&l, '\n');
		lines_add(&ul, &nul, NULL, 0, 0, buf_detach(&l, NULL));
	}
	/* task lines first, then edges, then unresolved references */
	rc = lines_flush(&b, tl, ntl) || rc;
	rc = lines_flush(&b, el, nel) || rc;
	rc = lines_flush(&b, ul, nul) || rc;
	refs_release(&refs);
	if (rc) {
		buf_release(&b);
		return err_set(e, FERRY_ENOMEM, "canonical text too large");
	}
	*text = buf_detach(&b, NULL);
	return 0;
}

static void hex_of(const char *text, char out[65])
{
	sha256_hex(text, strlen(text), out);
}

int ds_digest_32_text(const struct ds_row *process,
		      const struct ds_row *tasks, size_t ntasks,
		      const struct ds_row *relations, size_t nrelations,
		      char **text, struct err *e)
{
	return canon(process, tasks, ntasks, relations, nrelations, NULL,
		     text, e);
}

int ds_digest_32(const struct ds_row *process, const struct ds_row *tasks,
		 size_t ntasks, const struct ds_row *relations,
		 size_t nrelations, char out[65], struct err *e)
{
	char *text;
	int rc;

	rc = ds_digest_32_text(process, tasks, ntasks, relations, nrelations,
			       &text, e);
	if (rc)
		return rc;
	hex_of(text, out);
	free(text);
	return 0;
}

int ds_digest_13_text(const struct ds_process_13 *row,
		      const struct ds_env *env, char **text, struct err *e)
{
	struct ds_split_result res;
	int rc;

	*text = NULL;
	rc = ds_split(row, env, &res, e);
	if (rc)
		return rc;
	rc = canon(&res.process, res.tasks.rows, res.tasks.n,
		   res.relations.rows, res.relations.n, &res.report, text, e);
	ds_split_result_release(&res);
	return rc;
}

int ds_digest_13(const struct ds_process_13 *row, const struct ds_env *env,
		 char out[65], struct err *e)
{
	char *text;
	int rc;

	rc = ds_digest_13_text(row, env, &text, e);
	if (rc)
		return rc;
	hex_of(text, out);
	free(text);
	return 0;
}
