/*
 * change.c - the change record and table descriptions (see change.h).
 *
 * Sits between the readers (which build changes) and the apply thread
 * (which transforms and writes them).  Values live in one payload buffer
 * per change and are addressed by offset, so the buffer may grow while
 * columns are added.
 */
#include "ferry/change.h"

#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"

/* A single value larger than this is refused: no real row needs it, and a
 * corrupt length must not make us allocate without bound. */
#define CHANGE_PAYLOAD_MAX ((size_t)1 << 30)

struct table_desc *table_desc_new(const char *schema, const char *name,
				  uint32_t ncols)
{
	struct table_desc *t = xcalloc(1, sizeof(*t));

	t->refs = 1;
	t->schema = xstrdup(schema ? schema : "");
	t->name = xstrdup(name);
	t->ncols = ncols;
	t->cols = xcalloc(ncols ? ncols : 1, sizeof(*t->cols));
	return t;
}

void table_desc_set_col(struct table_desc *t, uint32_t i, const char *name,
			enum datum_type type, uint32_t source_type, bool key)
{
	struct table_column *col = &t->cols[i];

	free(col->name);
	col->name = xstrdup(name);
	col->type = type;
	col->source_type = source_type;
	col->key = key;
}

struct table_desc *table_desc_ref(struct table_desc *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void table_desc_unref(struct table_desc *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (uint32_t i = 0; i < t->ncols; i++)
		free(t->cols[i].name);
	free(t->cols);
	free(t->schema);
	free(t->name);
	free(t);
}

int table_desc_find(const struct table_desc *t, const char *name)
{
	for (uint32_t i = 0; i < t->ncols; i++)
		if (t->cols[i].name && strcmp(t->cols[i].name, name) == 0)
			return (int)i;
	return -1;
}

struct change *change_new_txn(enum change_kind kind, uint64_t xid,
			      const struct ferry_pos *pos,
			      int64_t commit_time_ms)
{
	struct change *c = xcalloc(1, sizeof(*c));

	c->kind = kind;
	c->xid = xid;
	c->commit_time_ms = commit_time_ms;
	if (pos) {
		c->pos = xmalloc(sizeof(*c->pos));
		*c->pos = *pos;
	}
	buf_init(&c->payload, CHANGE_PAYLOAD_MAX);
	return c;
}

struct change *change_new_row(enum change_kind kind, struct table_desc *table,
			      bool with_old, bool with_new)
{
	struct change *c = xcalloc(1, sizeof(*c));
	uint32_t n = table->ncols;

	c->kind = kind;
	c->table = table_desc_ref(table);
	c->ncols = n;
	if (with_old)
		c->oldv = xcalloc(n ? n : 1, sizeof(*c->oldv));
	if (with_new)
		c->newv = xcalloc(n ? n : 1, sizeof(*c->newv));
	buf_init(&c->payload, CHANGE_PAYLOAD_MAX);
	return c;
}

void change_free(struct change *c)
{
	if (!c)
		return;
	table_desc_unref(c->table);
	snapshot_mark_free(c->mark);
	free(c->pos);
	free(c->oldv);
	free(c->newv);
	buf_release(&c->payload);
	free(c);
}

static int set_datum(struct change *c, struct datum *img, uint32_t i,
		     enum datum_state state, const void *data, size_t len)
{
	struct datum *d;
	int rc;

	if (!img || i >= c->ncols || len > UINT32_MAX)
		return FERRY_EINVAL;
	d = &img[i];
	d->state = (uint8_t)state;
	d->len = 0;
	d->off = 0;
	if (state != DATUM_VALUE)
		return 0;
	d->off = c->payload.len;
	/* each value keeps its own NUL so readers may use it as a string */
	rc = buf_reserve(&c->payload, len + 1);
	if (rc)
		return rc;
	if (len)
		memcpy(c->payload.data + c->payload.len, data, len);
	c->payload.data[c->payload.len + len] = '\0';
	c->payload.len += len + 1;
	c->payload.data[c->payload.len] = '\0';
	d->len = (uint32_t)len;
	return 0;
}

int change_set_old(struct change *c, uint32_t i, enum datum_state state,
		   const void *data, size_t len)
{
	return set_datum(c, c->oldv, i, state, data, len);
}

int change_set_new(struct change *c, uint32_t i, enum datum_state state,
		   const void *data, size_t len)
{
	return set_datum(c, c->newv, i, state, data, len);
}

static enum datum_state get_datum(const struct change *c,
				  const struct datum *img, uint32_t i,
				  const char **data, size_t *len)
{
	const struct datum *d;

	if (!img || i >= c->ncols)
		return DATUM_ABSENT;
	d = &img[i];
	if (d->state == DATUM_VALUE) {
		if (data)
			*data = c->payload.data + d->off;
		if (len)
			*len = d->len;
	}
	return (enum datum_state)d->state;
}

enum datum_state change_old(const struct change *c, uint32_t i,
			    const char **data, size_t *len)
{
	return get_datum(c, c->oldv, i, data, len);
}

enum datum_state change_new(const struct change *c, uint32_t i,
			    const char **data, size_t *len)
{
	return get_datum(c, c->newv, i, data, len);
}

bool change_has_own_key(const struct change *c, bool old)
{
	bool any = false;

	for (uint32_t i = 0; i < c->table->ncols; i++) {
		if (!c->table->cols[i].key)
			continue;
		if ((old ? change_old(c, i, NULL, NULL)
			 : change_new(c, i, NULL, NULL)) != DATUM_VALUE)
			return false;
		any = true;
	}
	return any;
}

bool change_has_values(const struct change *c, bool old, const int *cols,
		       size_t n)
{
	for (size_t j = 0; j < n; j++) {
		uint32_t i = (uint32_t)cols[j];

		if ((old ? change_old(c, i, NULL, NULL)
			 : change_new(c, i, NULL, NULL)) != DATUM_VALUE)
			return false;
	}
	return true;
}

size_t change_mem_size(const struct change *c)
{
	size_t n = sizeof(*c) + c->payload.cap;

	if (c->oldv)
		n += c->ncols * sizeof(*c->oldv);
	if (c->newv)
		n += c->ncols * sizeof(*c->newv);
	if (c->pos)
		n += sizeof(*c->pos);
	return n;
}

const char *change_kind_name(enum change_kind k)
{
	switch (k) {
	case CHANGE_BEGIN: return "begin";
	case CHANGE_COMMIT: return "commit";
	case CHANGE_INSERT: return "insert";
	case CHANGE_UPDATE: return "update";
	case CHANGE_DELETE: return "delete";
	case CHANGE_TRUNCATE: return "truncate";
	}
	return "unknown";
}

const char *datum_type_name(enum datum_type t)
{
	static const char *const names[] = {
		[DATUM_T_UNKNOWN] = "unknown", [DATUM_T_BOOL] = "bool",
		[DATUM_T_INT] = "int", [DATUM_T_FLOAT] = "float",
		[DATUM_T_NUMERIC] = "numeric", [DATUM_T_TEXT] = "text",
		[DATUM_T_BYTES] = "bytes", [DATUM_T_DATE] = "date",
		[DATUM_T_TIME] = "time", [DATUM_T_TIMESTAMP] = "timestamp",
		[DATUM_T_TIMESTAMPTZ] = "timestamptz", [DATUM_T_JSON] = "json",
	};

	if ((unsigned)t < sizeof(names) / sizeof(names[0]) && names[t])
		return names[t];
	return "unknown";
}
