/*
 * transform.c - mapping rules applied to changes (see transform.h).
 *
 * Sits on the apply thread between the queue and the sink.  Plans are
 * cached by source table description (a description is replaced when
 * the source table changes shape, and gets a plan of its own).
 */
#include "ferry/transform.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ferry/buf.h"
#include "ferry/json.h"
#include "ferry/log.h"
#include "ferry/mem.h"
#include "ferry/snowflake.h"
#include "ferry/state.h"

/* Where a target column's value comes from. */
enum src_kind {
	FROM_SOURCE,		/* a source column */
	FROM_CONST,		/* a default or set: constant text or NULL */
};

struct plan {
	struct table_desc *src;		/* reference held; the cache key */
	const struct mapping_rule *rule; /* NULL: table not migrated */
	struct table_desc *dst;
	bool copy;			/* values must be copied, else the
					   description is swapped */
	enum src_kind *kind;		/* per dst column */
	int *from;			/* FROM_SOURCE: src column */
	const char **konst;		/* FROM_CONST: text or NULL */
	struct tcall call;		/* plugin call, when the rule has one */
};

struct plugin_slot {
	const struct transform_plugin *p;
	void *priv;
};

struct cached_desc {
	char *name;
	struct table_desc *desc;
};

struct transform {
	const struct mapping *m;
	bool keep_schema;
	struct transform_env env;
	struct plan *plans;
	size_t nplans;
	struct plugin_slot *plugins;
	size_t nplugins;
	struct cached_desc *descs;
	size_t ndescs;
	struct ferry_pos txn_pos;	/* BEGIN of the current transaction */
	uint64_t rejected;
};

static const struct transform_plugin *find_plugin(const char *name)
{
	for (size_t i = 0; transform_plugins[i]; i++)
		if (strcmp(transform_plugins[i]->name, name) == 0)
			return transform_plugins[i];
	return NULL;
}

static struct plugin_slot *plugin_slot(struct transform *t, const char *name)
{
	for (size_t i = 0; i < t->nplugins; i++)
		if (strcmp(t->plugins[i].p->name, name) == 0)
			return &t->plugins[i];
	return NULL;
}

int transform_new(const struct mapping *m, bool keep_schema,
		  const struct transform_env *env, struct transform **out,
		  struct err *e)
{
	struct transform *t = xcalloc(1, sizeof(*t));
	int rc = 0;

	t->m = m;
	t->keep_schema = keep_schema;
	if (env)
		t->env = *env;
	/* open each plugin the mapping names, once */
	for (size_t i = 0; i < m->nrules && !rc; i++) {
		const char *name = m->rules[i].plugin;
		const struct transform_plugin *p;
		struct plugin_slot *slot;

		if (!name || plugin_slot(t, name))
			continue;
		p = find_plugin(name);
		if (!p) {
			rc = err_set(e, FERRY_ECONFIG, "%s:%d: unknown plugin "
				     "\"%s\"", m->path, m->rules[i].line,
				     name);
			break;
		}
		t->plugins = xrealloc(t->plugins, (t->nplugins + 1) *
						  sizeof(*t->plugins));
		slot = &t->plugins[t->nplugins++];
		slot->p = p;
		slot->priv = NULL;
		if (p->open)
			rc = p->open(t, &slot->priv, e);
	}
	if (rc) {
		transform_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void transform_free(struct transform *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nplans; i++) {
		table_desc_unref(t->plans[i].src);
		table_desc_unref(t->plans[i].dst);
		free(t->plans[i].kind);
		free(t->plans[i].from);
		free(t->plans[i].konst);
	}
	free(t->plans);
	for (size_t i = 0; i < t->nplugins; i++)
		if (t->plugins[i].p->close)
			t->plugins[i].p->close(t->plugins[i].priv);
	free(t->plugins);
	for (size_t i = 0; i < t->ndescs; i++) {
		free(t->descs[i].name);
		table_desc_unref(t->descs[i].desc);
	}
	free(t->descs);
	free(t);
}

uint64_t transform_rejected(const struct transform *t)
{
	return t->rejected;
}

static bool has_key(const struct table_desc *d)
{
	for (uint32_t i = 0; i < d->ncols; i++)
		if (d->cols[i].key)
			return true;
	return false;
}

/* Add (or, for a set, override) a constant target column. */
static void plan_const(struct plan *p, uint32_t *n, const char *col,
		       const char *value, bool override)
{
	int at = table_desc_find(p->dst, col);

	p->copy = true;
	if (at >= 0) {
		/* a default yields to the source's value, a set does not */
		if (override) {
			p->kind[at] = FROM_CONST;
			p->konst[at] = value;
		}
		return;
	}
	table_desc_set_col(p->dst, *n, col, DATUM_T_UNKNOWN, 0, false);
	p->kind[*n] = FROM_CONST;
	p->konst[*n] = value;
	(*n)++;
}

static void build_plan(struct transform *t, struct plan *p)
{
	const struct table_desc *s = p->src;
	const struct mapping_rule *r =
		mapping_find(t->m, s->schema, s->name, has_key(s));
	const char *schema, *name;
	uint32_t n = 0, ncols;

	if (!r || r->skip)
		return;
	p->rule = r;
	schema = *r->target_schema ? r->target_schema
		 : t->keep_schema ? s->schema : "";
	name = strcmp(r->target_table, "*") == 0 ? s->name : r->target_table;
	ncols = s->ncols + (uint32_t)(r->ndefaults + r->nsets + r->nids +
				      r->ncopies);
	p->dst = table_desc_new(schema, name, ncols);
	p->kind = xcalloc(ncols + 1, sizeof(*p->kind));
	p->from = xcalloc(ncols + 1, sizeof(*p->from));
	p->konst = xcalloc(ncols + 1, sizeof(*p->konst));
	for (uint32_t i = 0; i < s->ncols; i++) {
		const char *col = mapping_target_column(r, s->cols[i].name);

		if (!col) {
			p->copy = true;
			continue;
		}
		table_desc_set_col(p->dst, n, col, s->cols[i].type,
				   s->cols[i].source_type, s->cols[i].key);
		p->kind[n] = FROM_SOURCE;
		p->from[n++] = (int)i;
	}
	for (size_t j = 0; j < r->ncopies; j++) {
		/* a target column that takes another source column's value */
		int from = table_desc_find(s, r->copies[j].to);

		p->copy = true;
		if (from < 0 || table_desc_find(p->dst, r->copies[j].from) >= 0)
			continue;
		table_desc_set_col(p->dst, n, r->copies[j].from,
				   s->cols[from].type, s->cols[from].source_type,
				   false);
		p->kind[n] = FROM_SOURCE;
		p->from[n++] = from;
	}
	for (size_t j = 0; j < r->ndefaults; j++)
		plan_const(p, &n, r->defaults[j].from, r->defaults[j].to,
			   false);
	for (size_t j = 0; j < r->nsets; j++)
		plan_const(p, &n, r->sets[j].from, r->sets[j].to, true);
	/* an id reference may write a column the source does not have
	 * (a code derived from an id): it starts as a copy of `from` */
	for (size_t j = 0; j < r->nids; j++) {
		int from = table_desc_find(p->dst, r->ids[j].from);

		p->copy = true;
		if (table_desc_find(p->dst, r->ids[j].column) >= 0 || from < 0)
			continue;
		table_desc_set_col(p->dst, n, r->ids[j].column,
				   DATUM_T_INT, 0, false);
		p->kind[n] = p->kind[from];
		p->from[n] = p->from[from];
		p->konst[n] = p->konst[from];
		n++;
	}
	if (r->nvalmaps)
		p->copy = true;
	p->dst->ncols = n;	/* the spare columns stay unused */
	p->dst->source_id = s->source_id;
	if (r->plugin) {
		struct plugin_slot *slot = plugin_slot(t, r->plugin);

		p->call.t = t;
		p->call.rule = r;
		p->call.priv = slot ? slot->priv : NULL;
	}
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

/* ---- value maps and id rewrites --------------------------------------- */

static const struct mapping_pair *valmap_find(const struct mapping_valmap *vm,
					      enum datum_state st,
					      const char *v, size_t len)
{
	for (size_t i = 0; i < vm->npairs; i++) {
		const char *from = vm->pairs[i].from;

		if (st == DATUM_NULL && strcmp(from, "~") == 0)
			return &vm->pairs[i];
		if (st == DATUM_VALUE && strlen(from) == len &&
		    memcmp(from, v, len) == 0)
			return &vm->pairs[i];
	}
	return NULL;
}

static int set_value(struct change *c, uint32_t i, bool old, const char *v)
{
	enum datum_state st = v ? DATUM_VALUE : DATUM_NULL;
	size_t len = v ? strlen(v) : 0;

	return old ? change_set_old(c, i, st, v, len)
		   : change_set_new(c, i, st, v, len);
}

/* The id map's answer for (entity, value): integer values are keyed as
 * 8-byte integers, anything else by its text. */
static int id_lookup(struct transform *t, const struct mapping_idref *ir,
		     const char *v, size_t len, int64_t *out, bool *found,
		     struct err *e)
{
	struct state_idval val = { 0 }, got;
	unsigned char kb[8];
	const void *key = v;
	size_t keylen = len;
	struct state_txn *tx;
	char *end;
	long long n;
	int rc;

	*found = false;
	if (!t->env.state_txn)
		return err_set(e, FERRY_ECONFIG, "id references need the "
			       "state store");
	rc = t->env.state_txn(t->env.ctx, &tx, e);
	if (rc)
		return rc;
	n = strtoll(v, &end, 10);
	if (len && end == v + len) {
		state_key_i64(n, kb);
		key = kb;
		keylen = 8;
	}
	rc = state_idmap_get(tx, ir->entity, key, keylen, &val, e);
	if (rc == 0) {
		*found = true;
		*out = val.id;
		return 0;
	}
	if (rc != FERRY_ENOTFOUND || !ir->mint)
		return rc == FERRY_ENOTFOUND ? 0 : rc;
	if (!t->env.sf)
		return err_set(e, FERRY_ECONFIG, "cannot mint codes of "
			       "\"%s\" without a code generator", ir->entity);
	rc = snowflake_next(t->env.sf, &val.id, e);
	if (rc)
		return rc;
	val.version = 1;
	rc = state_idmap_assign(tx, ir->entity, key, keylen, &val, &got, e);
	if (rc && rc != FERRY_EEXIST)
		return rc;
	*found = true;
	*out = got.id;
	return 0;
}

/* Value maps and id rewrites on one image of `c`, in place. */
static int rewrite_image(struct transform *t, const struct mapping_rule *r,
			 struct change *c, bool old, struct err *e)
{
	const struct table_desc *d = c->table;
	char num[32];
	int rc = 0;

	for (size_t j = 0; j < r->nvalmaps && !rc; j++) {
		const struct mapping_valmap *vm = &r->valmaps[j];
		const struct mapping_pair *hit;
		int at = table_desc_find(d, vm->column);
		enum datum_state st;
		const char *v = NULL;
		size_t len = 0;

		if (at < 0)
			continue;
		st = old ? change_old(c, (uint32_t)at, &v, &len)
			 : change_new(c, (uint32_t)at, &v, &len);
		hit = valmap_find(vm, st, v, len);
		if (hit)
			rc = set_value(c, (uint32_t)at, old, hit->to);
	}
	for (size_t j = 0; j < r->nids && !rc; j++) {
		const struct mapping_idref *ir = &r->ids[j];
		int to = table_desc_find(d, ir->column);
		int from = table_desc_find(d, ir->from);
		const char *v = NULL;
		enum datum_state st;
		size_t len = 0;
		int64_t id;
		bool found;

		if (to < 0 || from < 0)
			continue;
		st = old ? change_old(c, (uint32_t)from, &v, &len)
			 : change_new(c, (uint32_t)from, &v, &len);
		if (st != DATUM_VALUE)
			continue;	/* NULL stays NULL */
		rc = id_lookup(t, ir, v, len, &id, &found, e);
		if (rc || !found)
			continue;
		snprintf(num, sizeof(num), "%" PRId64, id);
		rc = set_value(c, (uint32_t)to, old, num);
	}
	return rc;
}

static int copy_image(const struct plan *p, const struct change *in,
		      struct change *out, bool old)
{
	for (uint32_t i = 0; i < p->dst->ncols; i++) {
		enum datum_state st;
		const char *v = NULL;
		size_t len = 0;
		int rc;

		if (p->kind[i] == FROM_CONST) {
			/* an old image has no opinion on constants */
			st = old ? DATUM_ABSENT
			     : p->konst[i] ? DATUM_VALUE : DATUM_NULL;
			v = p->konst[i];
			len = v ? strlen(v) : 0;
		} else {
			st = old ? change_old(in, (uint32_t)p->from[i], &v,
					      &len)
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

static int map_row(struct transform *t, const struct plan *p,
		   const struct change *c, struct change **out,
		   struct err *e)
{
	struct change *o;
	int rc = 0;

	o = change_new_row(c->kind, p->dst, c->oldv != NULL, c->newv != NULL);
	o->xid = c->xid;
	o->snapshot = c->snapshot;
	if (c->oldv)
		rc = copy_image(p, c, o, true);
	if (!rc && c->newv)
		rc = copy_image(p, c, o, false);
	if (rc)
		rc = err_set(e, rc, "could not build the target row for "
			     "\"%s\"", p->dst->name);
	if (!rc && c->oldv)
		rc = rewrite_image(t, p->rule, o, true, e);
	if (!rc && c->newv)
		rc = rewrite_image(t, p->rule, o, false, e);
	if (rc) {
		change_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

/* ---- rejects ----------------------------------------------------------- */

/* The row as a JSON object of text values, for the reject store. */
static char *row_json(const struct change *c)
{
	const struct table_desc *d = c->table;
	struct buf b;
	int rc = 0;

	buf_init(&b, 0);
	rc |= buf_putc(&b, '{');
	for (uint32_t i = 0; i < d->ncols; i++) {
		const char *v = NULL, *name = d->cols[i].name;
		enum datum_state st = c->newv ? change_new(c, i, &v, NULL)
					      : change_old(c, i, &v, NULL);
		char *enc = NULL;
		size_t len;

		if (st == DATUM_ABSENT || st == DATUM_UNCHANGED)
			continue;
		len = strlen(name);
		rc |= json_strings_encode(&name, &len, 1, &enc, NULL);
		if (enc) {
			/* ["name"] -> "name" */
			enc[strlen(enc) - 1] = '\0';
			rc |= buf_printf(&b, "%s%s:", b.len > 1 ? "," : "",
					 enc + 1);
			free(enc);
			enc = NULL;
		}
		if (st == DATUM_NULL || d->cols[i].type == DATUM_T_BYTES) {
			rc |= buf_puts(&b, st == DATUM_NULL ? "null"
						   : "\"(bytes)\"");
			continue;
		}
		len = strlen(v);
		if (json_strings_encode(&v, &len, 1, &enc, NULL) == 0) {
			enc[strlen(enc) - 1] = '\0';
			rc |= buf_puts(&b, enc + 1);
			free(enc);
		} else {
			rc |= buf_puts(&b, "\"(not UTF-8)\"");
		}
	}
	rc |= buf_putc(&b, '}');
	(void)rc;	/* a truncated row still says what it was */
	return buf_detach(&b, NULL);
}

/* "col=value,..." of the key columns. */
static char *row_key(const struct change *c)
{
	const struct table_desc *d = c->table;
	struct buf b;

	buf_init(&b, 4096);
	for (uint32_t i = 0; i < d->ncols; i++) {
		const char *v = NULL;
		enum datum_state st;

		if (!d->cols[i].key)
			continue;
		st = c->newv ? change_new(c, i, &v, NULL)
			     : change_old(c, i, &v, NULL);
		if (buf_printf(&b, "%s%s=%s", b.len ? "," : "",
			       d->cols[i].name,
			       st == DATUM_VALUE ? v : "NULL"))
			break;
	}
	return buf_detach(&b, NULL);
}

int transform_reject(struct transform *t, const struct change *c,
		     const char *reason, struct err *e)
{
	struct state_reject r = { 0 };
	struct state_txn *tx;
	char table[300], pos[POS_TEXT_MAX], why[ERR_MSG_MAX];
	struct timespec ts;
	uint64_t id;
	int rc;

	/* callers pass e->msg: a copy, before anything writes to e */
	snprintf(why, sizeof(why), "%s", reason);
	reason = why;
	if (!t->env.state_txn)
		return err_set(e, FERRY_EDATA, "%s", reason);
	rc = t->env.state_txn(t->env.ctx, &tx, e);
	if (rc)
		return rc;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(table, sizeof(table), "%s%s%s", c->table->schema,
		 *c->table->schema ? "." : "", c->table->name);
	r.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	r.table = table;
	r.pk = row_key(c);
	r.op = (char *)change_kind_name(c->kind);
	r.row = row_json(c);
	r.reason = (char *)reason;
	r.position = pos_format(&t->txn_pos, pos, sizeof(pos));
	rc = state_reject_add(tx, &r, &id, e);
	if (!rc) {
		t->rejected++;
		log_warn("transform", "rejected row id=%" PRIu64 " table=%s "
			 "key=%s reason=\"%s\"", id, table, r.pk, reason);
	}
	free(r.pk);
	free(r.row);
	return rc;
}

/* ---- applying ---------------------------------------------------------- */

static int plugins_commit(struct transform *t, transform_emit_fn emit,
			  void *ctx, struct err *e)
{
	for (size_t i = 0; i < t->nplugins; i++) {
		struct tcall call = { t, NULL, emit, ctx, t->plugins[i].priv };
		int rc;

		if (!t->plugins[i].p->on_commit)
			continue;
		rc = t->plugins[i].p->on_commit(&call, e);
		if (rc)
			return rc;
	}
	return 0;
}

int transform_apply(struct transform *t, struct change *c,
		    transform_emit_fn emit, void *ctx, struct err *e)
{
	struct change *out = NULL;
	struct plan *p;
	int rc;

	if (!c->table) {
		/* BEGIN / COMMIT */
		if (c->kind == CHANGE_BEGIN && c->pos)
			t->txn_pos = *c->pos;
		if (c->kind == CHANGE_COMMIT) {
			rc = plugins_commit(t, emit, ctx, e);
			if (rc) {
				change_free(c);
				return rc;
			}
		}
		return emit(ctx, c, e);
	}
	p = plan_for(t, c->table);
	if (!p->rule) {
		change_free(c);
		return 0;
	}
	if (p->rule->plugin) {
		p->call.emit = emit;
		p->call.emit_ctx = ctx;
		rc = plugin_slot(t, p->rule->plugin)->p->apply(&p->call, c, e);
		return rc;
	}
	if (!p->copy) {
		/* same values in the same order: only the names change */
		table_desc_unref(c->table);
		c->table = table_desc_ref(p->dst);
		return emit(ctx, c, e);
	}
	rc = map_row(t, p, c, &out, e);
	if (rc == FERRY_EDATA) {
		rc = transform_reject(t, c, e->msg, e);
		change_free(c);
		return rc;
	}
	change_free(c);
	if (rc)
		return rc;
	return emit(ctx, out, e);
}

/* ---- plugin helpers --------------------------------------------------- */

int transform_map_row(struct tcall *call, const struct change *in,
		      struct change **out, struct err *e)
{
	struct plan *p = plan_for(call->t, in->table);

	*out = NULL;
	if (!p->rule)
		return 0;
	return map_row(call->t, p, in, out, e);
}

int transform_emit(struct tcall *call, struct change *c, struct err *e)
{
	return call->emit(call->emit_ctx, c, e);
}

int transform_state(struct tcall *call, struct state_txn **t, struct err *e)
{
	if (!call->t->env.state_txn)
		return err_set(e, FERRY_ECONFIG, "this mapping needs the "
			       "state store");
	return call->t->env.state_txn(call->t->env.ctx, t, e);
}

struct snowflake *transform_snowflake(struct tcall *call)
{
	return call->t->env.sf;
}

const char *transform_option(struct tcall *call, const char *name,
			     const char *dflt)
{
	return mapping_option(call->t->m, name, dflt);
}

struct table_desc *transform_table(struct transform *t, const char *name,
				   const char *const *cols, size_t ncols,
				   const char *key)
{
	struct cached_desc *cd;
	struct table_desc *d;

	for (size_t i = 0; i < t->ndescs; i++)
		if (strcmp(t->descs[i].name, name) == 0)
			return t->descs[i].desc;
	d = table_desc_new("", name, (uint32_t)ncols);
	for (size_t i = 0; i < ncols; i++) {
		size_t klen = strlen(cols[i]);
		const char *k = strstr(key, cols[i]);
		/* a whole name in the comma-separated key list */
		bool is_key = k && (k == key || k[-1] == ',') &&
			      (k[klen] == '\0' || k[klen] == ',');

		table_desc_set_col(d, (uint32_t)i, cols[i], DATUM_T_UNKNOWN,
				   0, is_key);
	}
	t->descs = xrealloc(t->descs, (t->ndescs + 1) * sizeof(*t->descs));
	cd = &t->descs[t->ndescs++];
	cd->name = xstrdup(name);
	cd->desc = d;
	return d;
}

const char *change_text(const struct change *c, const char *col)
{
	int i = table_desc_find(c->table, col);
	const char *v = NULL;
	enum datum_state st;

	if (i < 0)
		return NULL;
	st = c->newv ? change_new(c, (uint32_t)i, &v, NULL)
		     : change_old(c, (uint32_t)i, &v, NULL);
	return st == DATUM_VALUE ? v : NULL;
}
