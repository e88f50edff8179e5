/*
 * pg_sink.c - batched, idempotent apply to PostgreSQL (see sink.h).
 *
 * Sits at the end of the apply thread: target-shaped changes come in,
 * target transactions go out.  Changes are buffered until flush; a flush
 * sends, in libpq pipeline mode, BEGIN, the batch as few multi-row
 * statements as source order allows, the checkpoint, and COMMIT, and waits
 * for the results once per chunk of statements.
 *
 * Why this method: pipeline mode removes the round trip per statement, so
 * interleaved single-row changes cost about as much as a bulk statement
 * per row; consecutive changes of the same kind on the same table become
 * one multi-row INSERT ... ON CONFLICT DO UPDATE (or one DELETE ... IN),
 * which PostgreSQL plans once for many rows.  Source order is kept exactly
 * (only runs of neighbours are merged), so unique keys and foreign keys
 * see the same sequence of states as on the source.  Rows of the initial
 * copy go in with COPY instead (about three times the rate of a multi-row
 * INSERT): the table's copy starts on an empty target table, so there is
 * nothing to upsert; if a row is there all the same (a target that was not
 * empty), the chunk is rolled back to a savepoint and upserted instead.
 * COPY is not allowed in a pipeline, so the pipeline is synced around it.
 *
 * A long source transaction is not held in memory: once the unfinished
 * transaction's buffer passes txn_memory and no complete transaction is
 * waiting (the pipeline flushes those first), its rows are sent into an
 * open target transaction, which its COMMIT's flush then commits.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pg/pg_conn.h"
#include "ferry/buf.h"
#include "ferry/log.h"
#include "ferry/mem.h"
#include "ferry/sink.h"

/* Rows per multi-row statement, and a cap on parameters (PostgreSQL's
 * limit is 65535 per statement). */
#define PG_SINK_MAX_ROWS 1000
#define PG_SINK_MAX_PARAMS 60000
/* Statements sent before a sync point: bounds what the server must hold
 * back while we are still sending. */
#define PG_SINK_PIPELINE_DEPTH 256

struct pg_target {
	char *schema;
	char *name;
	struct buf qname;	/* "schema"."name" */
	uint32_t ncols;
	char **cols;
	uint32_t *types;
	int *pk;		/* target column indexes of the key */
	size_t npk;
};

/* How one target-shaped table_desc lands on a target table. */
/* Row counts a multi-row statement is prepared for: a run of n rows is
 * sent as statements of these sizes, largest first. */
#define PG_SINK_SIZES 4

struct plan {
	struct table_desc *desc;	/* reference held */
	struct pg_target *tt;
	int *colmap;			/* change col -> target col */
	int *keycols;			/* key part k -> change col */
	unsigned id;			/* names its prepared statements */
	size_t sizes[PG_SINK_SIZES];	/* largest first, last is 1 */
	bool prepared[2][PG_SINK_SIZES]; /* [upsert, delete][size] */
};

enum op_class {
	OP_NONE = 0,
	OP_COPY,	/* insert from the initial copy */
	OP_INSERT,	/* streamed insert */
	OP_UPSERT,
	OP_DELETE,
	OP_PARTIAL,	/* update lacking some values (unchanged TOAST) */
	OP_TRUNCATE,
};

struct pg_sink {
	struct sink base;
	PGconn *conn;
	char *checkpoint_id;
	size_t txn_memory;

	struct pg_target **targets;
	size_t ntargets;
	struct plan **plans;	/* each allocated: pointers stay valid */
	size_t nplans;

	struct change **ops;	/* buffered, source order */
	size_t nops, opcap;
	size_t boundary;	/* ops[0..boundary) end with a COMMIT */
	size_t partial_bytes;	/* held after the boundary */
	bool txn_open;		/* a target BEGIN has been sent */

	/* the statement being built and the pipeline state */
	struct buf sql;
	const char **vals;
	int *lens, *fmts;
	size_t nparams, paramcap;
	size_t in_flight;	/* statements sent since the last sync */
	char what[512];		/* describes the first failing statement */
	struct {
		char desc[256];
	} *sent;
	size_t sentcap;

	struct sink_stats st;
	int (*reject)(void *ctx, const struct change *c, const char *reason,
		      struct err *e);
	void *reject_ctx;
	bool streamed;		/* the open target transaction holds rows
				   already freed (a long transaction) */
	unsigned gen;		/* prepared statement names' generation */
};

static const struct sink_ops pg_sink_ops;

/* ---- target catalog -------------------------------------------------- */

/*
 * A query with results read at once, which pipeline mode does not allow:
 * leave it for the call.  Only between flushes, when nothing is in
 * flight (an open target transaction is fine: the mode is client-side).
 */
static PGresult *catalog_query(struct pg_sink *k, const char *sql,
			       int nparams, const char *const *params)
{
	bool piped = PQpipelineStatus(k->conn) != PQ_PIPELINE_OFF;
	PGresult *r;

	if (piped)
		PQexitPipelineMode(k->conn);
	r = PQexecParams(k->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (piped)
		PQenterPipelineMode(k->conn);
	return r;
}

static void target_free(struct pg_target *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->ncols; i++)
		free(t->cols[i]);
	free(t->cols);
	free(t->types);
	free(t->pk);
	free(t->schema);
	free(t->name);
	buf_release(&t->qname);
	free(t);
}

static int target_load(struct pg_sink *k, const char *schema,
		       const char *name, struct pg_target **out,
		       struct err *e)
{
	static const char sql[] =
		"SELECT a.attname, a.atttypid::int8, "
		"       coalesce((SELECT k.n FROM unnest(i.indkey)"
		"                 WITH ORDINALITY k(att, n)"
		"                 WHERE k.att = a.attnum), 0)"
		"  FROM pg_attribute a"
		"  LEFT JOIN pg_index i"
		"    ON i.indrelid = a.attrelid AND i.indisprimary"
		" WHERE a.attrelid = $1::regclass"
		"   AND a.attnum > 0 AND NOT a.attisdropped"
		" ORDER BY a.attnum";
	struct pg_target *t = xcalloc(1, sizeof(*t));
	const char *param;
	PGresult *r;
	int rc = 0, n;

	t->schema = xstrdup(schema);
	t->name = xstrdup(name);
	buf_init(&t->qname, 0);
	if (pgc_quote_ident(&t->qname, schema) ||
	    buf_putc(&t->qname, '.') || pgc_quote_ident(&t->qname, name)) {
		target_free(t);
		return err_set(e, FERRY_EINVAL, "table name too long");
	}
	param = t->qname.data;
	r = catalog_query(k, sql, 1, &param);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		if (strcmp(pgc_sqlstate(r), "42P01") == 0)
			rc = err_set(e, FERRY_ECONFIG, "target table %s does "
				     "not exist: create it first",
				     t->qname.data);
		else
			rc = pgc_error(k->conn, r, "could not read the "
				       "target catalog", e);
		goto out;
	}
	n = PQntuples(r);
	t->ncols = (uint32_t)n;
	t->cols = xcalloc((size_t)n + 1, sizeof(*t->cols));
	t->types = xcalloc((size_t)n + 1, sizeof(*t->types));
	t->pk = xcalloc((size_t)n + 1, sizeof(*t->pk));
	for (int i = 0; i < n; i++) {
		long pos = strtol(PQgetvalue(r, i, 2), NULL, 10);

		t->cols[i] = xstrdup(PQgetvalue(r, i, 0));
		t->types[i] = (uint32_t)strtoul(PQgetvalue(r, i, 1), NULL, 10);
		if (pos > 0 && pos <= n) {
			t->pk[pos - 1] = i;
			if ((size_t)pos > t->npk)
				t->npk = (size_t)pos;
		}
	}
	if (t->npk == 0)
		rc = err_set(e, FERRY_ECONFIG, "target table %s has no "
			     "primary key: ferry writes by key and needs one",
			     t->qname.data);
out:
	PQclear(r);
	if (rc)
		target_free(t);
	else
		*out = t;
	return rc;
}

static int target_find(struct pg_sink *k, const struct table_desc *d,
		       struct pg_target **out, struct err *e)
{
	const char *schema = *d->schema ? d->schema : "public";
	int rc;

	for (size_t i = 0; i < k->ntargets; i++) {
		if (strcmp(k->targets[i]->schema, schema) == 0 &&
		    strcmp(k->targets[i]->name, d->name) == 0) {
			*out = k->targets[i];
			return 0;
		}
	}
	*out = NULL;
	rc = target_load(k, schema, d->name, out, e);
	if (rc)
		return rc;
	k->targets = xrealloc(k->targets,
			      (k->ntargets + 1) * sizeof(*k->targets));
	k->targets[k->ntargets++] = *out;
	return 0;
}

static int target_col(const struct pg_target *t, const char *name)
{
	for (uint32_t i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], name) == 0)
			return (int)i;
	return -1;
}

static int plan_for(struct pg_sink *k, struct table_desc *d,
		    struct plan **out, struct err *e)
{
	struct pg_target *tt = NULL;
	struct plan *p;
	int rc;

	for (size_t i = 0; i < k->nplans; i++) {
		if (k->plans[i]->desc == d) {
			*out = k->plans[i];
			return 0;
		}
	}
	rc = target_find(k, d, &tt, e);
	if (rc)
		return rc;
	p = xcalloc(1, sizeof(*p));
	p->tt = tt;
	p->colmap = xcalloc(d->ncols + 1, sizeof(*p->colmap));
	p->keycols = xcalloc(tt->npk + 1, sizeof(*p->keycols));
	for (uint32_t i = 0; i < d->ncols; i++) {
		p->colmap[i] = target_col(tt, d->cols[i].name);
		if (p->colmap[i] < 0) {
			rc = err_set(e, FERRY_ECONFIG,
				     "column \"%s\" does not exist in target "
				     "table %s", d->cols[i].name,
				     tt->qname.data);
			goto fail;
		}
	}
	for (size_t j = 0; j < tt->npk; j++) {
		p->keycols[j] = table_desc_find(d, tt->cols[tt->pk[j]]);
		if (p->keycols[j] < 0) {
			rc = err_set(e, FERRY_ECONFIG,
				     "key column \"%s\" of target table %s "
				     "gets no value from the mapping",
				     tt->cols[tt->pk[j]], tt->qname.data);
			goto fail;
		}
	}
	p->desc = table_desc_ref(d);
	p->id = (unsigned)k->nplans;
	/* as many rows as the parameter limit allows, then 100, 10, 1 */
	p->sizes[0] = PG_SINK_MAX_PARAMS / (d->ncols ? d->ncols : 1);
	if (p->sizes[0] > PG_SINK_MAX_ROWS)
		p->sizes[0] = PG_SINK_MAX_ROWS;
	if (p->sizes[0] < 1)
		p->sizes[0] = 1;
	p->sizes[1] = p->sizes[0] > 100 ? 100 : p->sizes[0];
	p->sizes[2] = p->sizes[0] > 10 ? 10 : p->sizes[0];
	p->sizes[3] = 1;
	k->plans = xrealloc(k->plans, (k->nplans + 1) * sizeof(*k->plans));
	k->plans[k->nplans++] = p;
	*out = p;
	return 0;
fail:
	free(p->colmap);
	free(p->keycols);
	free(p);
	return rc;
}

/* ---- pipeline plumbing ----------------------------------------------- */

static void reset_params(struct pg_sink *k)
{
	k->nparams = 0;
}

static void add_param(struct pg_sink *k, const char *v, size_t len, bool bin)
{
	if (k->nparams == k->paramcap) {
		k->paramcap = k->paramcap ? k->paramcap * 2 : 256;
		k->vals = xrealloc(k->vals, k->paramcap * sizeof(*k->vals));
		k->lens = xrealloc(k->lens, k->paramcap * sizeof(*k->lens));
		k->fmts = xrealloc(k->fmts, k->paramcap * sizeof(*k->fmts));
	}
	k->vals[k->nparams] = v;
	k->lens[k->nparams] = (int)len;
	k->fmts[k->nparams] = bin ? 1 : 0;
	k->nparams++;
}

/* Read results up to the next sync point; keep the first error. */
static int pipeline_drain(struct pg_sink *k, struct err *e)
{
	size_t idx = 0;
	int rc = 0;

	for (;;) {
		PGresult *r = PQgetResult(k->conn);
		ExecStatusType st;

		if (!r) {
			/* end of one statement's results */
			if (PQstatus(k->conn) != CONNECTION_OK)
				return pgc_error(k->conn, NULL,
						 "writing to the target", e);
			idx++;
			continue;
		}
		st = PQresultStatus(r);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		if (st == PGRES_FATAL_ERROR && !rc) {
			char what[600];

			snprintf(what, sizeof(what), "could not write %s",
				 idx < k->in_flight ? k->sent[idx].desc
						    : "to the target");
			rc = pgc_error(k->conn, r, what, e);
		}
		PQclear(r);
	}
	k->in_flight = 0;
	return rc;
}

/* Count one statement in flight; sync and read results when the
 * pipeline is deep enough. */
static int in_flight_add(struct pg_sink *k, const char *desc, struct err *e)
{
	int rc;

	if (k->in_flight == k->sentcap) {
		k->sentcap = k->sentcap ? k->sentcap * 2 : 64;
		k->sent = xrealloc(k->sent, k->sentcap * sizeof(*k->sent));
	}
	snprintf(k->sent[k->in_flight].desc, sizeof(k->sent[0].desc), "%s",
		 desc);
	k->in_flight++;
	k->st.statements++;
	if (k->in_flight >= PG_SINK_PIPELINE_DEPTH) {
		if (!PQpipelineSync(k->conn))
			return pgc_error(k->conn, NULL, "pipeline sync", e);
		rc = pipeline_drain(k, e);
		if (rc)
			return rc;
	}
	return 0;
}

/* Send k->sql with the collected parameters, unnamed. */
static int send_statement(struct pg_sink *k, const char *desc, struct err *e)
{
	if (!PQsendQueryParams(k->conn, k->sql.data, (int)k->nparams, NULL,
			       k->vals, k->lens, k->fmts, 0))
		return pgc_error(k->conn, NULL, "could not send to the target",
				 e);
	return in_flight_add(k, desc, e);
}

/*
 * Run prepared statement `name` with the collected parameters; when
 * `prepare` is set, first prepare it from k->sql.  Why: a multi-row
 * statement with thousands of parameters costs the server more to parse
 * and plan than to execute (measured: 11 us/row unnamed, 6 prepared);
 * runs of rows reuse a few shapes (table, kind, row count), so each is
 * prepared once per connection.
 */
static int send_prepared(struct pg_sink *k, const char *name, bool prepare,
			 const char *desc, struct err *e)
{
	int rc;

	if (prepare) {
		if (!PQsendPrepare(k->conn, name, k->sql.data,
				   (int)k->nparams, NULL))
			return pgc_error(k->conn, NULL, "could not prepare a "
					 "statement on the target", e);
		rc = in_flight_add(k, "prepare", e);
		if (rc)
			return rc;
	}
	if (!PQsendQueryPrepared(k->conn, name, (int)k->nparams, k->vals,
				 k->lens, k->fmts, 0))
		return pgc_error(k->conn, NULL, "could not send to the target",
				 e);
	return in_flight_add(k, desc, e);
}

static int send_simple(struct pg_sink *k, const char *sql, struct err *e)
{
	buf_reset(&k->sql);
	reset_params(k);
	if (buf_puts(&k->sql, sql))
		return err_set(e, FERRY_EFULL, "statement too long");
	return send_statement(k, sql, e);
}

static int sync_and_drain(struct pg_sink *k, struct err *e)
{
	if (!PQpipelineSync(k->conn))
		return pgc_error(k->conn, NULL, "pipeline sync", e);
	return pipeline_drain(k, e);
}

/* ---- statements from changes ----------------------------------------- */

/* Does the UPDATE move the row to another key? */
static bool key_changed(const struct change *c, const struct plan *p)
{
	if (!c->oldv)
		return false;
	for (size_t j = 0; j < p->tt->npk; j++) {
		const char *a, *b;
		size_t la, lb;
		uint32_t col = (uint32_t)p->keycols[j];

		if (change_old(c, col, &a, &la) != DATUM_VALUE)
			continue;	/* key not sent: it did not change */
		if (change_new(c, col, &b, &lb) != DATUM_VALUE || la != lb ||
		    memcmp(a, b, la) != 0)
			return true;
	}
	return false;
}

static bool has_unchanged(const struct change *c)
{
	for (uint32_t i = 0; i < c->ncols; i++)
		if (change_new(c, i, NULL, NULL) == DATUM_UNCHANGED)
			return true;
	return false;
}

static enum op_class classify(const struct change *c)
{
	switch (c->kind) {
	case CHANGE_INSERT:
		return c->snapshot ? OP_COPY : OP_INSERT;
	case CHANGE_UPDATE:
		return has_unchanged(c) ? OP_PARTIAL : OP_UPSERT;
	case CHANGE_DELETE:
		return OP_DELETE;
	case CHANGE_TRUNCATE:
		return OP_TRUNCATE;
	default:
		return OP_NONE;
	}
}

static void add_value(struct pg_sink *k, const struct change *c, uint32_t i,
		      bool old)
{
	enum datum_state st;
	const char *v = NULL;
	size_t len = 0;

	st = old ? change_old(c, i, &v, &len) : change_new(c, i, &v, &len);
	if (st != DATUM_VALUE) {
		add_param(k, NULL, 0, false);
		return;
	}
	add_param(k, v, len, c->table->cols[i].type == DATUM_T_BYTES);
}

/* "table (key=value, ...)" of one change, for error messages. */
static void describe(const struct plan *p, const struct change *c, bool old,
		     const char *verb, char *out, size_t n)
{
	size_t used;

	snprintf(out, n, "%s %s (", verb, p->tt->qname.data);
	for (size_t j = 0; j < p->tt->npk; j++) {
		const char *v = NULL;
		size_t len = 0;
		uint32_t col = (uint32_t)p->keycols[j];
		enum datum_state st = old ? change_old(c, col, &v, &len)
					  : change_new(c, col, &v, &len);

		used = strlen(out);
		snprintf(out + used, n - used, "%s%s=%.*s", j ? ", " : "",
			 p->tt->cols[p->tt->pk[j]],
			 st == DATUM_VALUE ? (int)(len > 64 ? 64 : len) : 4,
			 st == DATUM_VALUE ? v : "NULL");
	}
	used = strlen(out);
	snprintf(out + used, n - used, ")");
}

static int put_ident(struct pg_sink *k, const char *ident)
{
	return pgc_quote_ident(&k->sql, ident);
}

/* SQL of an upsert of `n` full rows of plan `p` into k->sql:
 * INSERT ... VALUES (...), ... ON CONFLICT (key) DO UPDATE SET every
 * non-key column. */
static int upsert_sql(struct pg_sink *k, struct plan *p, size_t n)
{
	const struct table_desc *d = p->desc;
	size_t param = 1;
	bool any_set = false;
	int rc = 0;

	buf_reset(&k->sql);
	rc |= buf_printf(&k->sql, "INSERT INTO %s (", p->tt->qname.data);
	for (uint32_t i = 0; i < d->ncols; i++) {
		rc |= i ? buf_putc(&k->sql, ',') : 0;
		rc |= put_ident(k, d->cols[i].name);
	}
	rc |= buf_puts(&k->sql, ") VALUES ");
	for (size_t r = 0; r < n; r++) {
		rc |= buf_puts(&k->sql, r ? ",(" : "(");
		for (uint32_t i = 0; i < d->ncols; i++)
			rc |= buf_printf(&k->sql, i ? ",$%zu" : "$%zu",
					 param++);
		rc |= buf_putc(&k->sql, ')');
	}
	rc |= buf_puts(&k->sql, " ON CONFLICT (");
	for (size_t j = 0; j < p->tt->npk; j++) {
		rc |= j ? buf_putc(&k->sql, ',') : 0;
		rc |= put_ident(k, p->tt->cols[p->tt->pk[j]]);
	}
	rc |= buf_puts(&k->sql, ") DO UPDATE SET ");
	for (uint32_t i = 0; i < d->ncols; i++) {
		bool is_key = false;

		for (size_t j = 0; j < p->tt->npk; j++)
			is_key |= p->keycols[j] == (int)i;
		if (is_key)
			continue;
		rc |= any_set ? buf_putc(&k->sql, ',') : 0;
		rc |= put_ident(k, d->cols[i].name);
		rc |= buf_puts(&k->sql, "=EXCLUDED.");
		rc |= put_ident(k, d->cols[i].name);
		any_set = true;
	}
	if (!any_set) {
		/* every column is key: the row is there or it is not */
		buf_truncate(&k->sql, k->sql.len - strlen(" DO UPDATE SET "));
		rc |= buf_puts(&k->sql, " DO NOTHING");
	}
	return rc;
}

/* SQL of a delete of `n` keys of plan `p` into k->sql:
 * DELETE FROM t WHERE (key) IN ((...), ...). */
static int delete_sql(struct pg_sink *k, struct plan *p, size_t n)
{
	size_t param = 1;
	int rc = 0;

	buf_reset(&k->sql);
	rc |= buf_printf(&k->sql, "DELETE FROM %s WHERE (", p->tt->qname.data);
	for (size_t j = 0; j < p->tt->npk; j++) {
		rc |= j ? buf_putc(&k->sql, ',') : 0;
		rc |= put_ident(k, p->tt->cols[p->tt->pk[j]]);
	}
	rc |= buf_puts(&k->sql, ") IN (");
	for (size_t r = 0; r < n; r++) {
		rc |= buf_puts(&k->sql, r ? ",(" : "(");
		for (size_t j = 0; j < p->tt->npk; j++)
			rc |= buf_printf(&k->sql, j ? ",$%zu" : "$%zu",
					 param++);
		rc |= buf_putc(&k->sql, ')');
	}
	rc |= buf_putc(&k->sql, ')');
	return rc;
}

/*
 * A run of `n` upserts (kind 0, full new images) or deletes (kind 1, keys
 * from the old image) of plan `p`, as prepared statements of the plan's
 * sizes, largest first.
 */
static int send_run_prepared(struct pg_sink *k, struct plan *p, int kind,
			     struct change **rows, size_t n, struct err *e)
{
	size_t done = 0;

	while (done < n) {
		size_t slot = 0, m;
		char name[48], desc[256];
		bool prep;
		int rc;

		while (p->sizes[slot] > n - done)
			slot++;
		m = p->sizes[slot];
		prep = !p->prepared[kind][slot];
		snprintf(name, sizeof(name), "ferry_%u_%u_%c%zu", k->gen, p->id,
			 kind ? 'd' : 'u', m);
		if (prep && (kind ? delete_sql(k, p, m) : upsert_sql(k, p, m)))
			return err_set(e, FERRY_EFULL, "statement too long");
		reset_params(k);
		for (size_t r = done; r < done + m; r++) {
			if (kind == 0) {
				for (uint32_t i = 0; i < p->desc->ncols; i++)
					add_value(k, rows[r], i, false);
				continue;
			}
			for (size_t j = 0; j < p->tt->npk; j++)
				add_value(k, rows[r], (uint32_t)p->keycols[j],
					  rows[r]->oldv != NULL);
		}
		describe(p, rows[done], kind && rows[done]->oldv != NULL,
			 kind ? "delete of" : m > 1 ? "rows starting with"
						    : "row", desc,
			 sizeof(desc));
		rc = send_prepared(k, name, prep, desc, e);
		if (rc)
			return rc;
		p->prepared[kind][slot] = true;
		done += m;
	}
	return 0;
}

static int send_upserts(struct pg_sink *k, struct plan *p,
			struct change **rows, size_t n, struct err *e)
{
	return send_run_prepared(k, p, 0, rows, n, e);
}

static int send_deletes(struct pg_sink *k, struct plan *p,
			struct change **rows, size_t n, struct err *e)
{
	return send_run_prepared(k, p, 1, rows, n, e);
}

/*
 * UPDATE t SET <the columns that came> WHERE key: an update whose new
 * image lacks unchanged TOAST values.  The target keeps its copy.  The row
 * is found by its old key when the update moved it (the new key is among
 * the columns set), so a moved row keeps its unchanged values too.
 */
static int send_partial(struct pg_sink *k, struct plan *p, struct change *c,
			struct err *e)
{
	const struct table_desc *d = p->desc;
	char desc[256];
	size_t param = 1;
	bool any = false;
	int rc = 0;

	buf_reset(&k->sql);
	reset_params(k);
	rc |= buf_printf(&k->sql, "UPDATE %s SET ", p->tt->qname.data);
	for (uint32_t i = 0; i < d->ncols; i++) {
		if (change_new(c, i, NULL, NULL) == DATUM_UNCHANGED)
			continue;
		rc |= any ? buf_putc(&k->sql, ',') : 0;
		rc |= put_ident(k, d->cols[i].name);
		rc |= buf_printf(&k->sql, "=$%zu", param++);
		add_value(k, c, i, false);
		any = true;
	}
	if (!any)
		return 0;
	rc |= buf_puts(&k->sql, " WHERE ");
	for (size_t j = 0; j < p->tt->npk; j++) {
		uint32_t col = (uint32_t)p->keycols[j];
		bool old = change_old(c, col, NULL, NULL) == DATUM_VALUE;

		rc |= j ? buf_puts(&k->sql, " AND ") : 0;
		rc |= put_ident(k, p->tt->cols[p->tt->pk[j]]);
		rc |= buf_printf(&k->sql, "=$%zu", param++);
		add_value(k, c, col, old);
	}
	if (rc)
		return err_set(e, FERRY_EFULL, "statement too long");
	describe(p, c, false, "update of", desc, sizeof(desc));
	return send_statement(k, desc, e);
}

/*
 * Does the delete carry every part of the target's key?  A transform may
 * delete by a key of its own that is only part of a wider target key
 * (3.2's MySQL schema keys task definitions by (id, code); a target here
 * may be keyed wider than its source too).
 */
static bool has_target_key(const struct plan *p, const struct change *c)
{
	return change_has_values(c, c->oldv != NULL, p->keycols, p->tt->npk);
}

/* DELETE FROM t WHERE <the change's own key>, for a delete that lacks
 * part of the target's (see has_target_key()). */
static int send_delete_by_own_key(struct pg_sink *k, struct plan *p,
				  struct change *c, struct err *e)
{
	const struct table_desc *d = p->desc;
	bool old = c->oldv != NULL;
	size_t param = 1;
	char desc[256];
	int rc = 0;

	describe(p, c, old, "delete of", desc, sizeof(desc));
	if (!change_has_own_key(c, old))
		return err_set(e, FERRY_EDATA, "%s: the change carries neither "
			       "the table's key nor a whole key of its own",
			       desc);
	buf_reset(&k->sql);
	reset_params(k);
	rc |= buf_printf(&k->sql, "DELETE FROM %s WHERE ", p->tt->qname.data);
	for (uint32_t i = 0; i < d->ncols; i++) {
		if (!d->cols[i].key)
			continue;
		rc |= param > 1 ? buf_puts(&k->sql, " AND ") : 0;
		rc |= put_ident(k, d->cols[i].name);
		rc |= buf_printf(&k->sql, "=$%zu", param++);
		add_value(k, c, i, old);
	}
	if (rc)
		return err_set(e, FERRY_EFULL, "statement too long");
	return send_statement(k, desc, e);
}

static int send_truncate(struct pg_sink *k, struct plan *p, struct err *e)
{
	char desc[300];

	buf_reset(&k->sql);
	reset_params(k);
	if (buf_printf(&k->sql, "TRUNCATE %s", p->tt->qname.data))
		return err_set(e, FERRY_EFULL, "statement too long");
	snprintf(desc, sizeof(desc), "truncate of %s", p->tt->qname.data);
	return send_statement(k, desc, e);
}

/* Key text of a row (NUL-separated values), to spot a key twice in one
 * multi-row upsert, which ON CONFLICT DO UPDATE refuses. */
static void key_text(const struct plan *p, const struct change *c,
		     struct buf *out)
{
	buf_reset(out);
	for (size_t j = 0; j < p->tt->npk; j++) {
		const char *v = "";
		size_t len = 0;

		change_new(c, (uint32_t)p->keycols[j], &v, &len);
		if (buf_append(out, v, len) || buf_putc(out, '\0'))
			return;
	}
}

/*
 * The keys of the run being built: their bytes back to back in `bytes`,
 * an open-addressing table of (hash, offset) to find one, doubled when
 * half full so probes stay short.
 */
struct keyset {
	struct buf bytes;
	uint64_t *hash;
	uint32_t *off, *len;
	bool *used;
	size_t slots, n;
};

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static void keyset_alloc(struct keyset *ks, size_t slots)
{
	ks->slots = slots;
	ks->hash = xcalloc(slots, sizeof(*ks->hash));
	ks->off = xcalloc(slots, sizeof(*ks->off));
	ks->len = xcalloc(slots, sizeof(*ks->len));
	ks->used = xcalloc(slots, sizeof(*ks->used));
	ks->n = 0;
}

static void keyset_free_slots(struct keyset *ks)
{
	free(ks->hash);
	free(ks->off);
	free(ks->len);
	free(ks->used);
}

static void keyset_reset(struct keyset *ks)
{
	buf_reset(&ks->bytes);
	memset(ks->used, 0, ks->slots * sizeof(*ks->used));
	ks->n = 0;
}

static void keyset_insert(struct keyset *ks, uint64_t h, uint32_t off,
			  uint32_t len)
{
	size_t i = h % ks->slots;

	while (ks->used[i])
		i = (i + 1) % ks->slots;
	ks->used[i] = true;
	ks->hash[i] = h;
	ks->off[i] = off;
	ks->len[i] = len;
	ks->n++;
}

/* Add `key`; false if it was there already. */
static bool keyset_add(struct keyset *ks, const struct buf *key)
{
	uint64_t h = fnv1a(key->data, key->len);
	size_t i = h % ks->slots;

	while (ks->used[i]) {
		if (ks->hash[i] == h && ks->len[i] == key->len &&
		    memcmp(ks->bytes.data + ks->off[i], key->data,
			   key->len) == 0)
			return false;
		i = (i + 1) % ks->slots;
	}
	if ((ks->n + 1) * 2 > ks->slots) {
		struct keyset old = *ks;

		keyset_alloc(ks, old.slots * 2);
		for (size_t j = 0; j < old.slots; j++)
			if (old.used[j])
				keyset_insert(ks, old.hash[j], old.off[j],
					      old.len[j]);
		keyset_free_slots(&old);
	}
	/* a key too long to keep is only never matched again */
	if (buf_append(&ks->bytes, key->data, key->len) == 0)
		keyset_insert(ks, h, (uint32_t)(ks->bytes.len - key->len),
			      (uint32_t)key->len);
	return true;
}

/* ---- COPY for the initial copy ---------------------------------------- */

/* COPY text's escape letter for each byte that needs one, else 0. */
static const char copy_escape[256] = {
	['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r',
};

/*
 * One value in COPY's text format.  Room for the worst case is reserved
 * once; the scan is a table lookup a byte because this loop is the
 * sink's hottest during an initial copy.
 */
static int copy_value(struct buf *o, const struct change *c, uint32_t i)
{
	static const char hex[] = "0123456789abcdef";
	const char *s;
	const unsigned char *v;
	char *w;
	size_t len;
	int rc;

	if (change_new(c, i, &s, &len) != DATUM_VALUE)
		return buf_puts(o, "\\N");
	v = (const unsigned char *)s;
	if (len > (SIZE_MAX - 3) / 2)
		return FERRY_EFULL;
	rc = buf_reserve(o, 3 + 2 * len);
	if (rc)
		return rc;
	w = o->data + o->len;
	if (c->table->cols[i].type == DATUM_T_BYTES) {
		/* bytea input "\x..." with its backslash escaped */
		memcpy(w, "\\\\x", 3);
		w += 3;
		for (size_t j = 0; j < len; j++) {
			*w++ = hex[v[j] >> 4];
			*w++ = hex[v[j] & 15];
		}
	} else {
		for (size_t j = 0; j < len; j++) {
			char esc = copy_escape[v[j]];

			if (esc) {
				*w++ = '\\';
				*w++ = esc;
			} else {
				*w++ = (char)v[j];
			}
		}
	}
	o->len = (size_t)(w - o->data);
	o->data[o->len] = '\0';
	return 0;
}

static int copy_rows(struct pg_sink *k, struct plan *p, struct change **rows,
		     size_t n, struct err *e)
{
	const struct table_desc *d = p->desc;
	PGresult *r;
	struct buf o;
	int rc = 0;

	buf_init(&o, 0);
	rc |= buf_printf(&o, "COPY %s (", p->tt->qname.data);
	for (uint32_t i = 0; i < d->ncols; i++) {
		rc |= i ? buf_putc(&o, ',') : 0;
		rc |= pgc_quote_ident(&o, d->cols[i].name);
	}
	rc |= buf_puts(&o, ") FROM STDIN");
	if (rc) {
		buf_release(&o);
		return err_set(e, FERRY_EFULL, "statement too long");
	}
	r = PQexec(k->conn, o.data);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		rc = pgc_error(k->conn, r, "could not start COPY", e);
		PQclear(r);
		buf_release(&o);
		return rc;
	}
	PQclear(r);
	buf_reset(&o);
	for (size_t j = 0; j < n && !rc; j++) {
		for (uint32_t i = 0; i < d->ncols && !rc; i++) {
			rc = i ? buf_putc(&o, '\t') : 0;
			if (!rc)
				rc = copy_value(&o, rows[j], i);
		}
		if (!rc)
			rc = buf_putc(&o, '\n');
		/* hand libpq about a megabyte at a time */
		if (!rc && (o.len >= (1u << 20) || j + 1 == n)) {
			if (PQputCopyData(k->conn, o.data, (int)o.len) != 1)
				rc = FERRY_ECONN;
			buf_reset(&o);
		}
	}
	buf_release(&o);
	if (PQputCopyEnd(k->conn, rc ? "ferry: value too large" : NULL) != 1)
		rc = FERRY_ECONN;
	r = PQgetResult(k->conn);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		char what[300];

		snprintf(what, sizeof(what), "could not copy rows into %s",
			 p->tt->qname.data);
		rc = pgc_error(k->conn, r, what, e);
	}
	PQclear(r);
	while ((r = PQgetResult(k->conn)))
		PQclear(r);
	return rc;
}

/*
 * Rows of the initial copy: COPY under a savepoint, or, if a row is on the
 * target already, the same rows as upserts.  Runs between two pipeline
 * sync points, outside pipeline mode.
 */
static int send_copy(struct pg_sink *k, struct plan *p, struct change **rows,
		     size_t n, struct err *e)
{
	struct err ce;
	int rc;

	rc = sync_and_drain(k, e);
	if (rc)
		return rc;
	PQexitPipelineMode(k->conn);
	rc = pgc_exec(k->conn, "SAVEPOINT ferry_copy", PGRES_COMMAND_OK, NULL,
		      "could not set a savepoint", e);
	if (!rc) {
		rc = copy_rows(k, p, rows, n, &ce);
		k->st.statements++;
		if (rc == FERRY_ESQL &&
		    strstr(ce.msg, "SQLSTATE 23505") != NULL) {
			log_info("sink", "rows of the initial copy are on %s "
				 "already; upserting that chunk",
				 p->tt->qname.data);
			rc = pgc_exec(k->conn, "ROLLBACK TO SAVEPOINT "
				      "ferry_copy", PGRES_COMMAND_OK, NULL,
				      "could not roll back to the savepoint",
				      e);
			if (!rc)
				rc = -1;	/* upsert below */
		} else if (rc) {
			*e = ce;
		}
	}
	if (!rc)
		rc = pgc_exec(k->conn, "RELEASE SAVEPOINT ferry_copy",
			      PGRES_COMMAND_OK, NULL,
			      "could not release the savepoint", e);
	PQenterPipelineMode(k->conn);
	if (rc != -1)
		return rc;
	for (size_t i = 0; i < n; i += PG_SINK_MAX_ROWS / 2) {
		size_t m = n - i < PG_SINK_MAX_ROWS / 2 ? n - i
							: PG_SINK_MAX_ROWS / 2;

		rc = send_upserts(k, p, rows + i, m, e);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * A run of inserts this long goes in by COPY, under a savepoint, like the
 * initial copy: the target is exactly at the checkpoint, so a streamed
 * insert's key is not there (a row that is there all the same makes the
 * COPY fail and the run go in as upserts).  COPY costs a pipeline sync,
 * so short runs are cheaper as prepared statements.
 */
#define PG_SINK_COPY_MIN 256

static int send_run(struct pg_sink *k, struct plan *p, enum op_class cls,
		    struct change **run, size_t n, struct err *e)
{
	switch (cls) {
	case OP_COPY:
		return send_copy(k, p, run, n, e);
	case OP_INSERT:
		return n >= PG_SINK_COPY_MIN ? send_copy(k, p, run, n, e)
					     : send_upserts(k, p, run, n, e);
	case OP_UPSERT:
		return send_upserts(k, p, run, n, e);
	default:
		return send_deletes(k, p, run, n, e);
	}
}

/*
 * Send ops[from..to) as statements: runs of neighbours with the same
 * plan and class become one statement, up to the row and parameter caps;
 * a key seen twice in an upsert run starts a new run.  Runs of the initial
 * copy become one COPY.
 */
static int send_range(struct pg_sink *k, size_t from, size_t to,
		      struct err *e)
{
	struct keyset *keys = xcalloc(1, sizeof(*keys));
	struct change **run = NULL;
	size_t nrun = 0, runcap = 0;
	struct plan *run_plan = NULL;
	enum op_class run_class = OP_NONE;
	struct buf key;
	int rc = 0;

	buf_init(&keys->bytes, 0);
	keyset_alloc(keys, 2 * PG_SINK_MAX_ROWS);
	buf_init(&key, 0);
#define FLUSH_RUN()                                                     \
	do {                                                            \
		if (nrun) {                                             \
			rc = send_run(k, run_plan, run_class, run, nrun, e); \
			nrun = 0;                                       \
			keyset_reset(keys);                             \
			if (rc)                                         \
				goto out;                               \
		}                                                       \
	} while (0)

	for (size_t i = from; i < to; i++) {
		struct change *c = k->ops[i];
		enum op_class cls = classify(c);
		struct plan *p;

		if (cls == OP_NONE)
			continue;
		rc = plan_for(k, c->table, &p, e);
		if (rc)
			goto out;
		k->st.rows++;
		if (cls == OP_UPSERT && c->kind == CHANGE_UPDATE &&
		    key_changed(c, p)) {
			/* the row moves: delete the old key first */
			FLUSH_RUN();
			run_plan = p;
			run_class = OP_DELETE;
			xgrow((void **)&run, &runcap, 1, sizeof(*run));
			run[nrun++] = c;
			FLUSH_RUN();
		}
		if (cls == OP_PARTIAL || cls == OP_TRUNCATE ||
		    (cls == OP_DELETE && !has_target_key(p, c))) {
			FLUSH_RUN();
			rc = cls == OP_PARTIAL	  ? send_partial(k, p, c, e)
			     : cls == OP_TRUNCATE ? send_truncate(k, p, e)
						  : send_delete_by_own_key(k, p,
									   c, e);
			if (rc)
				goto out;
			continue;
		}
		/* runs take any number of rows: the senders cut them into
		 * statements of prepared sizes, or COPY them */
		if (nrun && (p != run_plan || cls != run_class))
			FLUSH_RUN();
		if (cls == OP_UPSERT || cls == OP_INSERT) {
			key_text(p, c, &key);
			if (!keyset_add(keys, &key)) {
				FLUSH_RUN();
				keyset_add(keys, &key);
			}
		}
		run_plan = p;
		run_class = cls;
		xgrow((void **)&run, &runcap, nrun + 1, sizeof(*run));
		run[nrun++] = c;
	}
	FLUSH_RUN();
#undef FLUSH_RUN
out:
	buf_release(&keys->bytes);
	keyset_free_slots(keys);
	free(keys);
	buf_release(&key);
	free(run);
	return rc;
}

/* ---- the sink interface ---------------------------------------------- */

static int pg_sink_load_checkpoint(struct sink *base, struct checkpoint *cp,
				   struct err *e)
{
	struct pg_sink *k = (struct pg_sink *)base;
	const char *param = k->checkpoint_id;
	PGresult *r;
	int rc = 0;

	memset(cp, 0, sizeof(*cp));
	r = catalog_query(k, "SELECT position FROM ferry_checkpoint "
			  "WHERE id = $1", 1, &param);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pgc_error(k->conn, r, "could not read the checkpoint", e);
		PQclear(r);
		return rc;
	}
	if (PQntuples(r) == 1) {
		cp->exists = true;
		rc = pos_parse(PQgetvalue(r, 0, 0), &cp->pos, e);
	}
	PQclear(r);
	if (rc)
		return err_prefix(e, "checkpoint \"%s\" in the target",
				  k->checkpoint_id);
	r = catalog_query(k, "SELECT source_table, last_key, done, rows, "
			  "start_position FROM ferry_snapshot WHERE id = $1 "
			  "ORDER BY 1", 1, &param);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pgc_error(k->conn, r, "could not read snapshot progress",
			       e);
		PQclear(r);
		return rc;
	}
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		struct ferry_pos start = { .kind = POS_NONE };

		if (!PQgetisnull(r, i, 4))
			rc = pos_parse(PQgetvalue(r, i, 4), &start, e);
		checkpoint_set_table_at(cp, PQgetvalue(r, i, 0),
					PQgetisnull(r, i, 1)
						? NULL : PQgetvalue(r, i, 1),
					PQgetvalue(r, i, 2)[0] == 't',
					strtoull(PQgetvalue(r, i, 3), NULL, 10),
					&start);
	}
	PQclear(r);
	return rc;
}

/* Send BEGIN once per target transaction. */
static int ensure_txn(struct pg_sink *k, struct err *e)
{
	int rc;

	if (k->txn_open)
		return 0;
	rc = send_simple(k, "BEGIN", e);
	if (!rc)
		k->txn_open = true;
	return rc;
}

static void free_ops(struct pg_sink *k, size_t n)
{
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		change_free(k->ops[i]);
	memmove(k->ops, k->ops + n, (k->nops - n) * sizeof(*k->ops));
	k->nops -= n;
}

static int pg_sink_apply(struct sink *base, struct change *c, struct err *e)
{
	struct pg_sink *k = (struct pg_sink *)base;
	struct plan *p;
	int rc;

	/* resolve the target table now: catalog queries cannot run while
	 * a flush has statements in flight */
	if (c->table) {
		rc = plan_for(k, c->table, &p, e);
		if (rc) {
			change_free(c);
			return rc;
		}
	}
	xgrow((void **)&k->ops, &k->opcap, k->nops + 1, sizeof(*k->ops));
	k->ops[k->nops++] = c;
	if (c->kind == CHANGE_COMMIT) {
		k->boundary = k->nops;
		k->partial_bytes = 0;
		return 0;
	}
	k->partial_bytes += change_mem_size(c);
	if (k->partial_bytes < k->txn_memory || k->boundary > 0)
		return 0;
	/* a long transaction with nothing complete before it: stream what
	 * it has so far into its own open target transaction */
	rc = ensure_txn(k, e);
	if (!rc)
		rc = send_range(k, 0, k->nops, e);
	if (!rc)
		rc = sync_and_drain(k, e);
	free_ops(k, k->nops);
	k->partial_bytes = 0;
	k->streamed = true;
	return rc;
}

static int send_checkpoint(struct pg_sink *k, size_t upto, struct err *e)
{
	const struct ferry_pos *pos = NULL;
	char text[POS_TEXT_MAX], start[POS_TEXT_MAX];
	char rows[32];
	int rc;

	for (size_t i = 0; i < upto; i++) {
		const struct change *c = k->ops[i];

		if (c->kind != CHANGE_COMMIT)
			continue;
		if (c->pos && c->pos->kind != POS_NONE)
			pos = c->pos;
		if (!c->mark)
			continue;
		buf_reset(&k->sql);
		reset_params(k);
		if (buf_puts(&k->sql,
			     "INSERT INTO ferry_snapshot (id, source_table, "
			     "last_key, done, rows, start_position) VALUES "
			     "($1,$2,$3,$4,$5,$6) ON CONFLICT (id, "
			     "source_table) DO UPDATE SET last_key = "
			     "EXCLUDED.last_key, done = EXCLUDED.done, rows = "
			     "EXCLUDED.rows, start_position = "
			     "EXCLUDED.start_position"))
			return err_set(e, FERRY_EFULL, "statement too long");
		snprintf(rows, sizeof(rows), "%" PRIu64, c->mark->rows);
		add_param(k, k->checkpoint_id, strlen(k->checkpoint_id), false);
		add_param(k, c->mark->table, strlen(c->mark->table), false);
		add_param(k, c->mark->last_key,
			  c->mark->last_key ? strlen(c->mark->last_key) : 0,
			  false);
		add_param(k, c->mark->done ? "t" : "f", 1, false);
		add_param(k, rows, strlen(rows), false);
		if (c->mark->start.kind != POS_NONE) {
			pos_format(&c->mark->start, start, sizeof(start));
			add_param(k, start, strlen(start), false);
		} else {
			add_param(k, NULL, 0, false);
		}
		rc = send_statement(k, "snapshot progress", e);
		if (rc)
			return rc;
	}
	if (!pos)
		return 0;
	pos_format(pos, text, sizeof(text));
	buf_reset(&k->sql);
	reset_params(k);
	if (buf_puts(&k->sql, "INSERT INTO ferry_checkpoint (id, position, "
		     "updated_at) VALUES ($1, $2, now()) ON CONFLICT (id) DO "
		     "UPDATE SET position = EXCLUDED.position, updated_at = "
		     "now()"))
		return err_set(e, FERRY_EFULL, "statement too long");
	add_param(k, k->checkpoint_id, strlen(k->checkpoint_id), false);
	add_param(k, text, strlen(text), false);
	return send_statement(k, "checkpoint", e);
}

/*
 * End an aborted transaction block so the connection can be used again.
 * Statements prepared in the failed pipeline may or may not exist now: a
 * new generation of names starts over.
 */
static void abort_txn(struct pg_sink *k)
{
	PGresult *r;

	k->gen++;
	for (size_t i = 0; i < k->nplans; i++)
		memset(k->plans[i]->prepared, 0,
		       sizeof(k->plans[i]->prepared));

	if (PQstatus(k->conn) != CONNECTION_OK)
		return;
	if (k->in_flight)
		(void)pipeline_drain(k, NULL);
	PQexitPipelineMode(k->conn);
	r = PQexec(k->conn, "ROLLBACK");
	PQclear(r);
	PQenterPipelineMode(k->conn);
}

/* A refusal about the row itself (classes 22 data exception, 23
 * integrity constraint violation), not about the connection or SQL. */
static bool row_refused(const struct err *e)
{
	return e->code == FERRY_ESQL && (strstr(e->msg, "(SQLSTATE 22") ||
					 strstr(e->msg, "(SQLSTATE 23"));
}

/*
 * A batch of nothing but initial-copy rows (a snapshot chunk, or a
 * workflow's split rows): one COPY per table instead of one per run of
 * neighbours, tables in the order they first appear.  A COPY costs round
 * trips (it cannot be pipelined), and a split interleaves six tables per
 * workflow.  The rows are fresh inserts of distinct keys, so their order
 * across tables does not matter, except for foreign keys, which first
 * appearance keeps (a parent table is copied before its children).
 */
static bool copy_only(const struct pg_sink *k, size_t upto)
{
	for (size_t i = 0; i < upto; i++) {
		enum op_class c = classify(k->ops[i]);

		if (c != OP_NONE && c != OP_COPY)
			return false;
	}
	return true;
}

static int send_copies_by_table(struct pg_sink *k, size_t upto,
				struct err *e)
{
	struct change **rows = xmalloc((upto ? upto : 1) * sizeof(*rows));
	bool *done = xcalloc(upto ? upto : 1, sizeof(*done));
	int rc = 0;

	for (size_t i = 0; i < upto && !rc; i++) {
		struct plan *p;
		size_t n = 0;

		if (done[i] || classify(k->ops[i]) != OP_COPY)
			continue;
		rc = plan_for(k, k->ops[i]->table, &p, e);
		for (size_t j = i; j < upto && !rc; j++) {
			if (done[j] || classify(k->ops[j]) != OP_COPY ||
			    k->ops[j]->table != k->ops[i]->table)
				continue;
			rows[n++] = k->ops[j];
			done[j] = true;
		}
		k->st.rows += n;
		if (!rc)
			rc = send_copy(k, p, rows, n, e);
	}
	free(done);
	free(rows);
	return rc;
}

static int flush_batch(struct pg_sink *k, size_t upto, struct err *e)
{
	int rc = ensure_txn(k, e);

	if (!rc && copy_only(k, upto))
		rc = send_copies_by_table(k, upto, e);
	else if (!rc)
		rc = send_range(k, 0, upto, e);
	if (!rc)
		rc = send_checkpoint(k, upto, e);
	if (!rc)
		rc = send_simple(k, "COMMIT", e);
	if (!rc)
		rc = sync_and_drain(k, e);
	return rc;
}

/*
 * The batch again, each row under a savepoint: a row the target refuses
 * is rolled back to its savepoint and handed to the reject callback; the
 * others, the checkpoint and COMMIT go through.  A round trip per row, but
 * only for a batch that held a bad row.
 */
static int flush_careful(struct pg_sink *k, size_t upto, struct err *e)
{
	uint64_t rejected = 0;
	struct err re;
	int rc;

	rc = ensure_txn(k, e);
	for (size_t i = 0; i < upto && !rc; i++) {
		if (classify(k->ops[i]) == OP_NONE)
			continue;
		rc = send_simple(k, "SAVEPOINT ferry_row", e);
		if (rc)
			break;
		err_clear(&re);
		rc = send_range(k, i, i + 1, &re);
		if (!rc)
			rc = sync_and_drain(k, &re);
		if (rc && row_refused(&re)) {
			rc = send_simple(k, "ROLLBACK TO SAVEPOINT ferry_row",
					 e);
			if (!rc)
				rc = sync_and_drain(k, e);
			if (!rc)
				rc = k->reject(k->reject_ctx, k->ops[i],
					       re.msg, e);
			rejected++;
			continue;
		}
		if (rc) {
			*e = re;
			break;
		}
		rc = send_simple(k, "RELEASE SAVEPOINT ferry_row", e);
	}
	if (!rc)
		rc = send_checkpoint(k, upto, e);
	if (!rc)
		rc = send_simple(k, "COMMIT", e);
	if (!rc)
		rc = sync_and_drain(k, e);
	if (!rc)
		log_warn("sink", "batch applied row by row rows=%zu "
			 "rejected=%" PRIu64, upto, rejected);
	return rc;
}

static int pg_sink_flush(struct sink *base, struct err *e)
{
	struct pg_sink *k = (struct pg_sink *)base;
	size_t upto = k->boundary;
	int rc;

	/* nothing complete: an open target transaction holds part of an
	 * unfinished source transaction and must stay open */
	if (upto == 0)
		return 0;
	rc = flush_batch(k, upto, e);
	if (rc)
		abort_txn(k);
	k->txn_open = false;
	if (rc && row_refused(e) && k->reject && !k->streamed) {
		log_warn("sink", "%s; applying the batch row by row to set "
			 "the refused rows aside", e->msg);
		rc = flush_careful(k, upto, e);
		if (rc)
			abort_txn(k);
		k->txn_open = false;
	}
	if (!rc)
		k->st.commits++;
	k->streamed = false;
	free_ops(k, upto);
	k->boundary = 0;
	return rc;
}

static void pg_sink_rollback(struct sink *base)
{
	struct pg_sink *k = (struct pg_sink *)base;

	for (size_t i = k->boundary; i < k->nops; i++)
		change_free(k->ops[i]);
	k->nops = k->boundary;
	k->partial_bytes = 0;
	if (k->txn_open && k->boundary == 0) {
		/* the open target transaction holds only the cut one */
		struct err e;

		if (send_simple(k, "ROLLBACK", &e) || sync_and_drain(k, &e))
			log_warn("sink", "rollback failed: %s", e.msg);
		k->txn_open = false;
		k->streamed = false;
	}
}

static void pg_sink_stats(struct sink *base, struct sink_stats *out)
{
	*out = ((struct pg_sink *)base)->st;
}

static void pg_sink_close(struct sink *base)
{
	struct pg_sink *k = (struct pg_sink *)base;

	free_ops(k, k->nops);
	free(k->ops);
	for (size_t i = 0; i < k->nplans; i++) {
		table_desc_unref(k->plans[i]->desc);
		free(k->plans[i]->colmap);
		free(k->plans[i]->keycols);
		free(k->plans[i]);
	}
	free(k->plans);
	for (size_t i = 0; i < k->ntargets; i++)
		target_free(k->targets[i]);
	free(k->targets);
	buf_release(&k->sql);
	free(k->vals);
	free(k->lens);
	free(k->fmts);
	free(k->sent);
	free(k->checkpoint_id);
	if (k->conn)
		PQfinish(k->conn);
	free(k);
}

/*
 * Every sequence owned by a column of a table in the target's default
 * schemas: the ones its applications will draw ids from.  setval only
 * moves forward (greatest), so a run after a cutover cannot move a
 * sequence back under ids the new version already handed out.
 */
static int pg_sink_reserve_ids(struct sink *base, int64_t floor,
			       struct err *e)
{
	static const char sql[] =
		"SELECT count(setval(s.oid, greatest(s_last.v, $1::bigint)))"
		"  FROM pg_class s"
		"  JOIN pg_namespace n ON n.oid = s.relnamespace"
		"  CROSS JOIN LATERAL (SELECT coalesce(last_value, 0) AS v"
		"                        FROM pg_sequences ps"
		"                       WHERE ps.schemaname = n.nspname"
		"                         AND ps.sequencename = s.relname) s_last"
		" WHERE s.relkind = 'S'"
		"   AND n.nspname = ANY (current_schemas(false))";
	struct pg_sink *k = (struct pg_sink *)base;
	char text[32];
	const char *param = text;
	PGresult *r;
	int rc = 0;

	snprintf(text, sizeof(text), "%" PRId64, floor);
	r = catalog_query(k, sql, 1, &param);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pgc_error(k->conn, r, "could not move the target's id "
			       "sequences", e);
	else
		log_info("sink", "id sequences start at %s or later "
			 "sequences=%s", text, PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

static const struct sink_ops pg_sink_ops = {
	.name = "postgresql",
	.load_checkpoint = pg_sink_load_checkpoint,
	.apply = pg_sink_apply,
	.flush = pg_sink_flush,
	.rollback = pg_sink_rollback,
	.stats = pg_sink_stats,
	.reserve_ids = pg_sink_reserve_ids,
	.close = pg_sink_close,
};

int pg_sink_open(const struct sink_params *p, struct sink **out,
		 struct err *e)
{
	static const char ddl[] =
		"CREATE TABLE IF NOT EXISTS ferry_checkpoint ("
		" id text PRIMARY KEY,"
		" position text NOT NULL,"
		" updated_at timestamptz NOT NULL DEFAULT now());"
		"CREATE TABLE IF NOT EXISTS ferry_snapshot ("
		" id text NOT NULL,"
		" source_table text NOT NULL,"
		" last_key text,"
		" done boolean NOT NULL,"
		" rows bigint NOT NULL,"
		" start_position text,"
		" PRIMARY KEY (id, source_table));"
		/* tables of ferry before start positions lack the column */
		"ALTER TABLE ferry_snapshot ADD COLUMN IF NOT EXISTS"
		" start_position text";
	struct pg_sink *k = xcalloc(1, sizeof(*k));
	int rc;

	k->base.ops = &pg_sink_ops;
	k->checkpoint_id = xstrdup(p->checkpoint_id);
	k->txn_memory = p->txn_memory ? p->txn_memory : (64u << 20);
	k->reject = p->reject;
	k->reject_ctx = p->reject_ctx;
	buf_init(&k->sql, 0);
	rc = pgc_connect(p->db, p->password, false, p->application_name,
			 &k->conn, e);
	if (rc)
		goto fail;
	rc = pgc_exec(k->conn, ddl, PGRES_COMMAND_OK, NULL,
		      "could not create the checkpoint tables", e);
	if (rc)
		goto fail;
	if (!PQenterPipelineMode(k->conn)) {
		rc = pgc_error(k->conn, NULL, "could not enter pipeline mode",
			       e);
		goto fail;
	}
	*out = &k->base;
	return 0;
fail:
	pg_sink_close(&k->base);
	return rc;
}
