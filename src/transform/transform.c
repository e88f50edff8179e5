/*
 * transform.c - mapping rules applied to changes (see transform.h).
 *
 * Sits on the apply thread between the queue and the sink.  Plans are
 * cached by source table description (a description is replaced when
 * the source table changes shape, and gets a plan of its own).
 */
#include "ferry/transform.h"

#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"

struct plan {
	struct table_desc *src;		/* reference held; the cache key */
	struct table_desc *dst;		/* NULL: table not migrated */
	bool copy;			/* values must be copied (drops or
					   defaults), else the desc is swapped */
	int *from;			/* dst col -> src col, -1 = default */
	const char **defaults;		/* dst col -> default text or NULL */
};

struct transform {
	const struct mapping *m;
	bool keep_schema;
	struct plan *plans;
	size_t nplans;
};

struct transform *transform_new(const struct mapping *m, bool keep_schema)
{
	struct transform *t = xcalloc(1, sizeof(*t));

	t->m = m;
	t->keep_schema = keep_schema;
	return t;
}

void transform_free(struct transform *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nplans; i++) {
		table_desc_unref(t->plans[i].src);
		table_desc_unref(t->plans[i].dst);
		free(t->plans[i].from);
		free(t->plans[i].defaults);
	}
	free(t->plans);
	free(t);
}

static bool has_key(const struct table_desc *d)
{
	for (uint32_t i = 0; i < d->ncols; i++)
		if (d->cols[i].key)
			return true;
	return false;
}

static void build_plan(struct transform *t, struct plan *p)
{
	const struct table_desc *s = p->src;
	const struct mapping_rule *r =
		mapping_find(t->m, s->schema, s->name, has_key(s));
	const char *schema, *name;
	uint32_t n = 0, ncols;

	if (!r)
		return;
	schema = *r->target_schema ? r->target_schema
		 : t->keep_schema ? s->schema : "";
	name = strcmp(r->target_table, "*") == 0 ? s->name : r->target_table;
	ncols = s->ncols + (uint32_t)r->ndefaults;
	p->dst = table_desc_new(schema, name, ncols);
	p->from = xcalloc(ncols + 1, sizeof(*p->from));
	p->defaults = xcalloc(ncols + 1, sizeof(*p->defaults));
	for (uint32_t i = 0; i < s->ncols; i++) {
		const char *col = mapping_target_column(r, s->cols[i].name);

		if (!col) {
			p->copy = true;
			continue;
		}
		table_desc_set_col(p->dst, n, col, s->cols[i].type,
				   s->cols[i].source_type, s->cols[i].key);
		p->from[n++] = (int)i;
	}
	for (size_t j = 0; j < r->ndefaults; j++) {
		/* a default for a column the source has yields to the
		 * source's value */
		if (table_desc_find(p->dst, r->defaults[j].from) >= 0)
			continue;
		table_desc_set_col(p->dst, n, r->defaults[j].from,
				   DATUM_T_UNKNOWN, 0, false);
		p->defaults[n] = r->defaults[j].to;
		p->from[n++] = -1;
		p->copy = true;
	}
	p->dst->ncols = n;	/* the spare columns stay unused */
	p->dst->source_id = s->source_id;
}

static struct plan *plan_for(struct transform *t, struct table_desc *src)
{
	struct plan *p;

	for (size_t i = 0; i < t->nplans; i++)
		if (t->plans[i].src == src)
			return &t->plans[i];
	t->plans = xrealloc(t->plans, (t->nplans + 1) * sizeof(*t->plans));
	p = &t->plans[t->nplans++];
	memset(p, 0, sizeof(*p));
	p->src = table_desc_ref(src);
	build_plan(t, p);
	return p;
}

static int copy_image(const struct plan *p, const struct change *in,
		      struct change *out, bool old)
{
	for (uint32_t i = 0; i < p->dst->ncols; i++) {
		enum datum_state st;
		const char *v = NULL;
		size_t len = 0;
		int rc;

		if (p->from[i] < 0) {
			/* constant default; an old image has no opinion */
			st = old ? DATUM_ABSENT
			     : p->defaults[i] ? DATUM_VALUE : DATUM_NULL;
			v = p->defaults[i];
			len = v ? strlen(v) : 0;
		} else {
			st = old ? change_old(in, (uint32_t)p->from[i], &v, &len)
				 : change_new(in, (uint32_t)p->from[i], &v,
					      &len);
		}
		rc = old ? change_set_old(out, i, st, v, len)
			 : change_set_new(out, i, st, v, len);
		if (rc)
			return rc;
	}
	return 0;
}

int transform_apply(struct transform *t, struct change *c,
		    transform_emit_fn emit, void *ctx, struct err *e)
{
	struct change *out;
	struct plan *p;
	int rc;

	if (!c->table)
		return emit(ctx, c, e);		/* BEGIN / COMMIT */
	p = plan_for(t, c->table);
	if (!p->dst) {
		change_free(c);
		return 0;
	}
	if (!p->copy) {
		/* same values in the same order: only the names change */
		table_desc_unref(c->table);
		c->table = table_desc_ref(p->dst);
		return emit(ctx, c, e);
	}
	out = change_new_row(c->kind, p->dst, c->oldv != NULL,
			     c->newv != NULL);
	out->xid = c->xid;
	out->snapshot = c->snapshot;
	rc = 0;
	if (c->oldv)
		rc = copy_image(p, c, out, true);
	if (!rc && c->newv)
		rc = copy_image(p, c, out, false);
	change_free(c);
	if (rc) {
		change_free(out);
		return err_set(e, rc, "could not build the target row for "
			       "\"%s\"", p->dst->name);
	}
	return emit(ctx, out, e);
}
