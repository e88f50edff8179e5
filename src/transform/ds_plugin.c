/*
 * ds_plugin.c - the DolphinScheduler 1.3 -> 3.2 plugins of the transform
 * stage: what the mapping files under mappings/dolphinscheduler cannot say.
 *
 *   ds.process_definition  split a 1.3 workflow into its 3.2 rows
 *                          (ds_split.c), give the rows 1.3 does not have
 *                          stable ids, delete what a new split no longer
 *                          has, park workflows whose references have not
 *                          arrived and split them again when they may
 *   ds.record              remember rows other tables refer to (tenants,
 *                          users, resources, worker groups), then map
 *   ds.tenant              ... and merge a 1.3 tenant coded "default"
 *                          into 3.2's seed tenant -1 of that code
 *   ds.datasource          convert connection_params (spec §3.6)
 *   ds.udf                 resource_name -> storage path (spec §3.22)
 *   ds.alertgroup          reconcile with 3.2's seed groups 1 and 2
 *   ds.schedule            tenant_code (spec §6.1)
 *   ds.process_instance    only finished instances, with codes, versions,
 *                          project, tenant, executor (spec §6.2, §6.6)
 *   ds.task_instance       likewise for tasks (spec §6.3)
 *
 * Every id-map write goes into the batch's state transaction, which the
 * apply thread commits before the target rows that use it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ferry/buf.h"
#include "ferry/ds_map.h"
#include "ferry/ds_split.h"
#include "ferry/log.h"
#include "ferry/mem.h"
#include "ferry/state.h"
#include "ferry/transform.h"

/* Shared by every ds.* plugin of one transform. */
struct ds_priv {
	struct ds_map_options opt;
	char *prefix;			/* opt.resource_prefix's storage */
	bool split_since_retry;		/* a workflow was split since the
					   parked ones were last retried */
	uint64_t splits, parked;
};

static int ds_open(struct transform *t, void **priv, struct err *e)
{
	(void)t;
	(void)e;
	*priv = xcalloc(1, sizeof(struct ds_priv));
	return 0;
}

static void ds_close(void *priv)
{
	struct ds_priv *p = priv;

	if (!p)
		return;
	free(p->prefix);
	free(p);
}

/* Options are read on first use: open() has no call to read them by. */
static struct ds_priv *priv_of(struct tcall *call)
{
	struct ds_priv *p = call->priv;

	if (!p->prefix) {
		const char *g = transform_option(call, "ds.sql_group_id", "0");

		p->prefix = xstrdup(transform_option(
			call, "ds.resource_prefix", ""));
		p->opt.resource_prefix = p->prefix;
		p->opt.sql_group_id = strtoll(g, NULL, 10);
	}
	return p;
}

static int64_t num(const char *s, int64_t dflt)
{
	char *end;
	long long v;

	if (!s || !*s)
		return dflt;
	v = strtoll(s, &end, 10);
	return *end ? dflt : v;
}

static void now_text(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ---- blobs of records other tables refer to ---------------------------- */

static int put_record(struct state_txn *tx, const char *ns, int64_t id,
		      const char *rec, struct err *e)
{
	unsigned char k[8];

	state_key_i64(id, k);
	return state_blob_put(tx, ns, k, 8, rec, strlen(rec), e);
}

static int get_record(struct state_txn *tx, const char *ns, int64_t id,
		      char **rec, struct err *e)
{
	unsigned char k[8];
	size_t len;

	state_key_i64(id, k);
	return state_blob_get(tx, ns, k, 8, (void **)rec, &len, e);
}

/* Field `i` of a '\t'-separated record, copied; NULL if absent. */
static char *field(const char *rec, int i)
{
	const char *p = rec, *end;

	while (p && i-- > 0) {
		p = strchr(p, '\t');
		if (p)
			p++;
	}
	if (!p)
		return NULL;
	end = strchr(p, '\t');
	return xstrndup(p, end ? (size_t)(end - p) : strlen(p));
}

/*
 * Tenant code for a 1.3 tenant id, with spec §6.1's fallback: a missing
 * or negative tenant is the one of `owner` (a user id).  NULL: "default".
 */
static char *tenant_code(struct state_txn *tx, int64_t tenant_id,
			 int64_t owner, struct err *e)
{
	char *rec = NULL, *code = NULL;

	if (tenant_id < 0 && owner > 0 &&
	    get_record(tx, DS_BLOB_USER, owner, &rec, e) == 0) {
		char *t = field(rec, 1);

		tenant_id = num(t, -1);
		free(t);
		free(rec);
		rec = NULL;
	}
	if (tenant_id >= 0 &&
	    get_record(tx, DS_BLOB_TENANT, tenant_id, &rec, e) == 0)
		code = field(rec, 0);
	free(rec);
	return code;
}

/* ---- rows into changes -------------------------------------------------- */

/* A split row as an upsert on its target table, with `id` first when the
 * table's key is an id ferry gives (id_col). */
static int emit_row(struct tcall *call, const struct ds_row *r, int64_t id,
		    bool snapshot, struct err *e)
{
	const char *cols[64] = { NULL };
	struct table_desc *d;
	struct change *c;
	size_t n = 0, off = 0;
	char idtext[32];
	int rc = 0;

	if (r->ncols + 1 > sizeof(cols) / sizeof(cols[0]))
		return err_set(e, FERRY_EINVAL, "too many columns in %s",
			       r->table);
	if (id) {
		cols[n++] = "id";
		off = 1;
	}
	for (size_t i = 0; i < r->ncols; i++)
		cols[n++] = r->cols[i];
	d = transform_table(call->t, r->table, cols, n, "id");
	c = change_new_row(CHANGE_INSERT, d, false, true);
	c->snapshot = snapshot;
	if (id) {
		snprintf(idtext, sizeof(idtext), "%" PRId64, id);
		rc = change_set_new(c, 0, DATUM_VALUE, idtext, strlen(idtext));
	}
	for (size_t i = 0; i < r->ncols && !rc; i++)
		rc = r->vals[i] ? change_set_new(c, (uint32_t)(i + off),
						 DATUM_VALUE, r->vals[i],
						 strlen(r->vals[i]))
				: change_set_new(c, (uint32_t)(i + off),
						 DATUM_NULL, NULL, 0);
	if (rc) {
		change_free(c);
		return err_set(e, rc, "a value of %s does not fit", r->table);
	}
	return transform_emit(call, c, e);
}

/* DELETE of row `id` of `table`, described as its upserts are. */
static int emit_delete(struct tcall *call, const char *table,
		       const char *const *cols, size_t ncols, int64_t id,
		       struct err *e)
{
	const char *all[64];
	struct table_desc *d;
	struct change *c;
	char idtext[32];
	size_t n = 0;
	int rc;

	if (strcmp(cols[0], "id") != 0)
		all[n++] = "id";
	for (size_t i = 0; i < ncols && n < 64; i++)
		all[n++] = cols[i];
	d = transform_table(call->t, table, all, n, "id");
	c = change_new_row(CHANGE_DELETE, d, true, false);
	snprintf(idtext, sizeof(idtext), "%" PRId64, id);
	rc = change_set_old(c, 0, DATUM_VALUE, idtext, strlen(idtext));
	if (rc) {
		change_free(c);
		return rc;
	}
	return transform_emit(call, c, e);
}

/* ---- ds.process_definition ---------------------------------------------- */

/* The 1.3 columns ds_split reads, in struct ds_process_13's order. */
static const char *const pd_cols[] = {
	"id", "name", "version", "release_state", "project_id", "user_id",
	"process_definition_json", "description", "global_params", "flag",
	"locations", "connects", "receivers", "receivers_cc", "create_time",
	"update_time", "modify_by", "tenant_id", "timeout", "resource_ids",
};
#define PD_NCOLS (sizeof(pd_cols) / sizeof(pd_cols[0]))

static const char **pd_field(struct ds_process_13 *r, size_t i)
{
	const char **f[PD_NCOLS] = {
		&r->id, &r->name, &r->version, &r->release_state,
		&r->project_id, &r->user_id, &r->process_definition_json,
		&r->description, &r->global_params, &r->flag, &r->locations,
		&r->connects, &r->receivers, &r->receivers_cc,
		&r->create_time, &r->update_time, &r->modify_by,
		&r->tenant_id, &r->timeout, &r->resource_ids,
	};

	return f[i];
}

/* A stored 1.3 row: per column 'N' (NULL) or 'V' + text, NUL-terminated;
 * under DS_BLOB_PARKED (waiting) or "ds.row" (the last one seen). */
static int store_row(struct state_txn *tx, const char *ns, int64_t pid,
		     struct ds_process_13 *r, struct err *e)
{
	unsigned char k[8];
	struct buf b;
	int rc = 0;

	buf_init(&b, 0);
	for (size_t i = 0; i < PD_NCOLS; i++) {
		const char *v = *pd_field(r, i);

		rc |= buf_putc(&b, v ? 'V' : 'N');
		rc |= buf_append(&b, v ? v : "", v ? strlen(v) + 1 : 1);
	}
	state_key_i64(pid, k);
	if (!rc)
		rc = state_blob_put(tx, ns, k, 8, b.data, b.len, e);
	buf_release(&b);
	return rc;
}

static void unpark_row(const char *blob, size_t len, struct ds_process_13 *r)
{
	const char *p = blob, *end = blob + len;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < PD_NCOLS && p < end; i++) {
		*pd_field(r, i) = *p == 'V' ? p + 1 : NULL;
		p += 1 + strlen(p + 1) + 1;
	}
}

/* The rows a split wrote, as "table\tid\n" lines. */
static void split_list(const struct ds_split_result *res, int64_t pd_id,
		       const int64_t *ids, struct buf *out)
{
	const struct ds_rowset *sets[] = { &res->tasks, &res->tasks_log,
					   &res->relations,
					   &res->relations_log };
	size_t k = 0;

	buf_reset(out);
	if (buf_printf(out, "t_ds_process_definition\t%" PRId64 "\n", pd_id))
		return;
	if (buf_printf(out, "t_ds_process_definition_log\t%" PRId64 "\n",
		       ids[k++]))
		return;
	for (size_t s = 0; s < 4; s++)
		for (size_t i = 0; i < sets[s]->n; i++)
			if (buf_printf(out, "%s\t%" PRId64 "\n",
				       sets[s]->rows[i].table, ids[k++]))
				return;
}

static const char *const *cols_of(const char *table, size_t *n)
{
	static const struct {
		const char *table;
		const char *const *cols;
		const size_t *n;
	} t[] = {
		{ "t_ds_process_definition", ds_cols_process_definition,
		  &ds_ncols_process_definition },
		{ "t_ds_process_definition_log", ds_cols_process_definition_log,
		  &ds_ncols_process_definition_log },
		{ "t_ds_task_definition", ds_cols_task_definition,
		  &ds_ncols_task_definition },
		{ "t_ds_task_definition_log", ds_cols_task_definition_log,
		  &ds_ncols_task_definition_log },
		{ "t_ds_process_task_relation", ds_cols_relation,
		  &ds_ncols_relation },
		{ "t_ds_process_task_relation_log", ds_cols_relation_log,
		  &ds_ncols_relation_log },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].table, table) == 0) {
			*n = *t[i].n;
			return t[i].cols;
		}
	return NULL;
}

/* Delete the rows listed in `old` that `keep` does not list. */
static int delete_stale(struct tcall *call, const char *old, size_t oldlen,
			const struct buf *keep, struct err *e)
{
	const char *p = old, *end = old + oldlen;
	int rc = 0;

	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[256], *tab;
		const char *const *cols;
		size_t ncols;

		if (len && len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			tab = strchr(line, '\t');
			if (tab) {
				char probe[260];

				snprintf(probe, sizeof(probe), "%s\n", line);
				*tab = '\0';
				cols = cols_of(line, &ncols);
				if (cols && (!keep || !strstr(keep->data,
							     probe)))
					rc = emit_delete(call, line, cols,
							 ncols,
							 num(tab + 1, 0), e);
			}
		}
		p += len + 1;
	}
	return rc;
}

/* Key bytes of a few integers, for ds_row_id(). */
static size_t key_ints(unsigned char *out, const int64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		state_key_i64(v[i], out + 8 * i);
	return 8 * n;
}

/*
 * Ids for the rows 1.3 does not have, stable per content key: a log row
 * by (code, version), a task by its code, a relation by (workflow code,
 * pre, post) and its log also by the workflow version.
 */
static int assign_ids(struct state_txn *tx, const struct ds_split_result *res,
		      int64_t *ids, struct err *e)
{
	const struct ds_rowset *sets[] = { &res->tasks, &res->tasks_log,
					   &res->relations,
					   &res->relations_log };
	unsigned char key[64];
	int64_t v[4];
	size_t k = 0, n;
	int rc;

	v[0] = res->process_code;
	v[1] = res->process_version;
	n = key_ints(key, v, 2);
	rc = ds_row_id(tx, "t_ds_process_definition_log", key, n, &ids[k++],
		       NULL, e);
	for (size_t s = 0; s < 4 && !rc; s++) {
		for (size_t i = 0; i < sets[s]->n && !rc; i++) {
			const struct ds_row *r = &sets[s]->rows[i];

			if (s < 2) {
				v[0] = num(ds_row_get(r, "code", NULL), 0);
				v[1] = num(ds_row_get(r, "version", NULL), 0);
				n = key_ints(key, v, s == 0 ? 1 : 2);
			} else {
				v[0] = res->process_code;
				v[1] = num(ds_row_get(r, "pre_task_code", NULL),
					   0);
				v[2] = num(ds_row_get(r, "post_task_code",
						      NULL), 0);
				v[3] = res->process_version;
				n = key_ints(key, v, s == 2 ? 3 : 4);
			}
			rc = ds_row_id(tx, r->table, key, n, &ids[k++], NULL,
				       e);
		}
	}
	return rc;
}

static int emit_split(struct tcall *call, const struct ds_split_result *res,
		      int64_t pd_id, const int64_t *ids, bool snapshot,
		      struct err *e)
{
	const struct ds_rowset *sets[] = { &res->tasks, &res->tasks_log,
					   &res->relations,
					   &res->relations_log };
	size_t k = 1;
	int rc;

	(void)pd_id;
	rc = emit_row(call, &res->process, 0, snapshot, e);
	if (!rc)
		rc = emit_row(call, &res->process_log, ids[0], snapshot, e);
	for (size_t s = 0; s < 4 && !rc; s++)
		for (size_t i = 0; i < sets[s]->n && !rc; i++)
			rc = emit_row(call, &sets[s]->rows[i], ids[k++],
				      snapshot, e);
	return rc;
}

/* Remember what later rows and splits look up about this workflow. */
static int record_process(struct state_txn *tx, const struct ds_process_13 *r,
			  int64_t pid, const struct ds_split_result *res,
			  struct err *e)
{
	char rec[512];
	int rc;

	snprintf(rec, sizeof(rec), "%s\t%s\t%s\t%s",
		 r->project_id ? r->project_id : "",
		 r->user_id ? r->user_id : "",
		 r->tenant_id ? r->tenant_id : "-1",
		 r->name ? r->name : "");
	rc = put_record(tx, DS_BLOB_PROCESS, pid, rec, e);
	for (size_t i = 0; i < res->tasks.n && !rc; i++) {
		struct state_idval v = { res->task_info[i].code,
					 res->task_info[i].version,
					 res->task_info[i].hash64 };
		unsigned char k[512];
		size_t n = ds_key_pid_str(pid, res->task_info[i].name, k,
					  sizeof(k));

		/* of two tasks with one name the last wins, as in 1.3 */
		if (n)
			rc = state_idmap_put(tx, DS_ENT_TASK_NAME, k, n, &v, e);
	}
	return rc;
}

/*
 * Split one workflow and emit its rows.  `*parked_now` tells whether it
 * had to be parked (references not known yet).
 */
static int split_one(struct tcall *call, struct ds_process_13 *row,
		     bool snapshot, bool *parked_now, struct err *e)
{
	struct ds_priv *p = priv_of(call);
	struct ds_split_result res;
	struct ds_state_env se;
	struct state_txn *tx;
	struct buf list;
	int64_t pid = num(row->id, -1), *ids = NULL;
	unsigned char k[8];
	char now[32], *old = NULL;
	size_t oldlen = 0, nrows;
	int rc;

	*parked_now = false;
	rc = transform_state(call, &tx, e);
	if (rc)
		return rc;
	now_text(now, sizeof(now));
	row->now = now;
	ds_state_env_init(&se, tx, transform_snowflake(call), &p->opt);
	ds_state_env_mint_for(&se, pid, num(row->project_id, INT64_MIN));
	rc = ds_split(row, &se.env, &res, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < res.report.nwarnings; i++)
		log_debug("ds", "workflow id=%" PRId64 ": %s", pid,
			  res.report.warnings[i]);
	nrows = 1 + res.tasks.n + res.tasks_log.n + res.relations.n +
		res.relations_log.n;
	ids = xcalloc(nrows, sizeof(*ids));
	rc = assign_ids(tx, &res, ids, e);
	if (!rc)
		rc = record_process(tx, row, pid, &res, e);
	/* rows of the previous split that this one no longer has */
	state_key_i64(pid, k);
	buf_init(&list, 0);
	split_list(&res, pid, ids, &list);
	if (!rc) {
		rc = state_blob_get(tx, DS_BLOB_SPLIT, k, 8, (void **)&old,
				    &oldlen, e);
		if (rc == FERRY_ENOTFOUND)
			rc = 0;
		else if (!rc)
			rc = delete_stale(call, old, oldlen, &list, e);
	}
	if (!rc)
		rc = emit_split(call, &res, pid, ids, snapshot, e);
	if (!rc)
		rc = state_blob_put(tx, DS_BLOB_SPLIT, k, 8, list.data,
				    list.len, e);
	if (!rc && res.report.nunresolved) {
		rc = store_row(tx, DS_BLOB_PARKED, pid, row, e);
		*parked_now = true;
	} else if (!rc) {
		rc = state_blob_del(tx, DS_BLOB_PARKED, k, 8, e);
		if (rc == FERRY_ENOTFOUND)
			rc = 0;
	}
	if (!rc) {
		p->splits++;
		p->split_since_retry = true;
	}
	buf_release(&list);
	free(old);
	free(ids);
	ds_split_result_release(&res);
	return rc;
}

#define DS_BLOB_ROW "ds.row"

/*
 * The 1.3 row of a change.  PostgreSQL sends an UPDATE without the values
 * of TOASTed columns it did not change (process_definition_json is nearly
 * always one of them: a release state flip carries no JSON), so the last
 * row seen is kept in the state store and fills them in: the split needs
 * the whole row.  `*cached` (free() it) owns the filled-in text.
 */
static int row_from_change(struct tcall *call, const struct change *c,
			   struct ds_process_13 *r, char **cached,
			   struct err *e)
{
	struct ds_process_13 old;
	struct state_txn *tx;
	unsigned char k[8];
	bool missing = false;
	size_t len;
	int rc;

	memset(r, 0, sizeof(*r));
	*cached = NULL;
	for (size_t i = 0; i < PD_NCOLS; i++) {
		int at = table_desc_find(c->table, pd_cols[i]);

		*pd_field(r, i) = change_text(c, pd_cols[i]);
		if (at >= 0 && c->newv &&
		    change_new(c, (uint32_t)at, NULL, NULL) == DATUM_UNCHANGED)
			missing = true;
	}
	if (!missing)
		return 0;
	rc = transform_state(call, &tx, e);
	if (rc)
		return rc;
	state_key_i64(num(r->id, -1), k);
	rc = state_blob_get(tx, DS_BLOB_ROW, k, 8, (void **)cached, &len, e);
	if (rc == FERRY_ENOTFOUND)
		return err_set(e, FERRY_EDATA, "process definition %s: an "
			       "update without its unchanged large values, "
			       "and no earlier row to take them from", r->id);
	if (rc)
		return rc;
	unpark_row(*cached, len, &old);
	for (size_t i = 0; i < PD_NCOLS; i++) {
		int at = table_desc_find(c->table, pd_cols[i]);

		if (at >= 0 && change_new(c, (uint32_t)at, NULL, NULL) ==
				       DATUM_UNCHANGED)
			*pd_field(r, i) = *pd_field(&old, i);
	}
	return 0;
}

static int process_definition_apply(struct tcall *call, struct change *c,
				    struct err *e)
{
	struct ds_process_13 row;
	struct state_txn *tx;
	unsigned char k[8];
	char *old = NULL, *cached = NULL;
	size_t oldlen;
	bool parked;
	int64_t pid;
	int rc;

	if (c->kind == CHANGE_TRUNCATE) {
		/* the copy starts again: its rows go with the split
		 * records, which a later split rewrites */
		change_free(c);
		return 0;
	}
	if (c->kind == CHANGE_DELETE) {
		memset(&row, 0, sizeof(row));
		row.id = change_text(c, "id");
	} else {
		rc = row_from_change(call, c, &row, &cached, e);
		if (rc == FERRY_EDATA) {
			char reason[ERR_MSG_MAX];

			snprintf(reason, sizeof(reason), "%s", e->msg);
			rc = transform_reject(call->t, c, reason, e);
			change_free(c);
			return rc;
		}
		if (rc) {
			change_free(c);
			return rc;
		}
	}
	pid = num(row.id, -1);
	if (c->kind == CHANGE_DELETE) {
		/* the workflow is gone in 1.3: its 3.2 rows go too; the id
		 * map keeps its codes (tombstone), so a late event for it
		 * cannot mint new ones */
		rc = transform_state(call, &tx, e);
		state_key_i64(pid, k);
		if (!rc)
			rc = state_blob_get(tx, DS_BLOB_SPLIT, k, 8,
					    (void **)&old, &oldlen, e);
		if (rc == FERRY_ENOTFOUND) {
			change_free(c);
			return 0;
		}
		if (!rc)
			rc = delete_stale(call, old, oldlen, NULL, e);
		if (!rc)
			rc = state_blob_del(tx, DS_BLOB_SPLIT, k, 8, e);
		if (!rc) {
			rc = state_blob_del(tx, DS_BLOB_ROW, k, 8, e);
			if (rc == FERRY_ENOTFOUND)
				rc = 0;
		}
		free(old);
		change_free(c);
		return rc;
	}
	rc = split_one(call, &row, c->snapshot, &parked, e);
	if (rc == FERRY_EDATA) {
		char reason[ERR_MSG_MAX];

		snprintf(reason, sizeof(reason), "%s", e->msg);
		rc = transform_reject(call->t, c, reason, e);
	}
	/* the whole row, for the next update that lacks part of it */
	if (!rc && transform_state(call, &tx, e) == 0)
		rc = store_row(tx, DS_BLOB_ROW, pid, &row, e);
	free(cached);
	change_free(c);
	return rc;
}

struct retry_walk {
	int64_t *pids;
	size_t n, cap;
};

static int collect_parked(const void *key, size_t keylen, const void *val,
			  size_t len, void *arg)
{
	struct retry_walk *w = arg;
	const unsigned char *k = key;
	uint64_t u = 0;

	(void)val;
	(void)len;
	if (keylen != 8)
		return 0;
	for (int i = 0; i < 8; i++)
		u = u << 8 | k[i];
	xgrow((void **)&w->pids, &w->cap, w->n + 1, sizeof(*w->pids));
	/* state_key_i64 flips the sign bit so that keys sort numerically */
	w->pids[w->n++] = (int64_t)(u ^ (UINT64_C(1) << 63));
	return 0;
}

/*
 * Parked workflows (a SUB_PROCESS, DEPENDENT or resource they name had
 * not arrived) are split again once per transaction in which other
 * workflows were split: by then what they wait for may be there.
 */
static int process_definition_commit(struct tcall *call, struct err *e)
{
	struct ds_priv *p = call->priv;
	struct retry_walk w = { 0 };
	struct state_txn *tx;
	size_t still = 0;
	int rc;

	if (!p->split_since_retry)
		return 0;
	p->split_since_retry = false;
	rc = transform_state(call, &tx, e);
	if (!rc)
		rc = state_blob_each(tx, DS_BLOB_PARKED, collect_parked, &w, e);
	for (size_t i = 0; i < w.n && !rc; i++) {
		struct ds_process_13 row;
		unsigned char k[8];
		char *blob;
		size_t len;
		bool parked;

		state_key_i64(w.pids[i], k);
		rc = state_blob_get(tx, DS_BLOB_PARKED, k, 8, (void **)&blob,
				    &len, e);
		if (rc)
			break;
		unpark_row(blob, len, &row);
		rc = split_one(call, &row, false, &parked, e);
		if (rc == FERRY_EDATA)
			rc = 0;		/* it was split once: keep that */
		still += parked;
		free(blob);
	}
	/* retries do not count as news for the next round */
	p->split_since_retry = false;
	if (w.n)
		log_debug("ds", "retried parked workflows=%zu still=%zu", w.n,
			  still);
	p->parked = still;
	free(w.pids);
	return rc;
}

/* ---- ds.record and friends ------------------------------------------- */

/* Map the row by the rule and emit it. */
static int map_and_emit(struct tcall *call, struct change *c, struct err *e)
{
	struct change *out;
	int rc = transform_map_row(call, c, &out, e);

	if (rc == FERRY_EDATA) {
		char reason[ERR_MSG_MAX];

		snprintf(reason, sizeof(reason), "%s", e->msg);
		rc = transform_reject(call->t, c, reason, e);
		change_free(c);
		return rc;
	}
	change_free(c);
	if (rc || !out)
		return rc;
	return transform_emit(call, out, e);
}

/*
 * Remember a row another table's transform will look up (by its source
 * table): tenants, users, resources, worker groups.
 */
static int record_row(struct tcall *call, const struct change *c,
		      struct err *e)
{
	const char *table = c->table->name;
	struct state_txn *tx;
	int64_t id = num(change_text(c, "id"), -1);
	char rec[2048];
	int rc;

	if (c->kind == CHANGE_DELETE || id < 0)
		return 0;	/* lookups keep answering for late rows */
	rc = transform_state(call, &tx, e);
	if (rc)
		return rc;
#define T(col) (change_text(c, col) ? change_text(c, col) : "")
	if (strcmp(table, "t_ds_tenant") == 0) {
		snprintf(rec, sizeof(rec), "%s", T("tenant_code"));
		return put_record(tx, DS_BLOB_TENANT, id, rec, e);
	}
	if (strcmp(table, "t_ds_user") == 0) {
		const char *tid = change_text(c, "tenant_id");

		snprintf(rec, sizeof(rec), "%s\t%s", T("user_name"),
			 tid && num(tid, 0) > 0 ? tid : "-1");
		return put_record(tx, DS_BLOB_USER, id, rec, e);
	}
	if (strcmp(table, "t_ds_resources") == 0) {
		snprintf(rec, sizeof(rec), "%s\t%s\t%s", T("full_name"),
			 T("user_id"), T("type"));
		rc = put_record(tx, DS_BLOB_RESOURCE, id, rec, e);
		if (!rc && change_text(c, "full_name")) {
			snprintf(rec, sizeof(rec), "%" PRId64, id);
			rc = state_blob_put(tx, DS_BLOB_RES_NAME,
					    T("full_name"),
					    strlen(T("full_name")), rec,
					    strlen(rec), e);
		}
		return rc;
	}
	if (strcmp(table, "t_ds_worker_group") == 0)
		return put_record(tx, DS_BLOB_WORKER, id, T("name"), e);
#undef T
	return 0;
}

static int record_apply(struct tcall *call, struct change *c, struct err *e)
{
	int rc = record_row(call, c, e);

	if (rc) {
		change_free(c);
		return rc;
	}
	return map_and_emit(call, c, e);
}

/*
 * 3.2's schema seeds tenant -1 with code "default" (unique).  A 1.3
 * tenant of that code ran tasks as the OS user "default" with files under
 * /default: the very meaning of the seed, so it merges into it (its
 * users' tenant_id is rewritten through ds.tenant_merge) instead of
 * getting a new code that no worker knows.
 */
static int tenant_apply(struct tcall *call, struct change *c, struct err *e)
{
	const char *code = change_text(c, "tenant_code");
	struct state_idval v = { -1, 0, 0 };
	struct state_txn *tx;
	unsigned char k[8];
	int rc;

	rc = record_row(call, c, e);
	if (rc || !code || strcmp(code, "default") != 0) {
		if (rc) {
			change_free(c);
			return rc;
		}
		return map_and_emit(call, c, e);
	}
	rc = transform_state(call, &tx, e);
	if (!rc) {
		state_key_i64(num(change_text(c, "id"), -1), k);
		rc = state_idmap_put(tx, "ds.tenant_merge", k, 8, &v, e);
	}
	change_free(c);
	return rc;
}

/* Replace column `col` of the new image of `c` (which must have it). */
static int set_col(struct change *c, const char *col, const char *v)
{
	int i = table_desc_find(c->table, col);

	if (i < 0)
		return FERRY_EINVAL;
	return change_set_new(c, (uint32_t)i, v ? DATUM_VALUE : DATUM_NULL, v,
			      v ? strlen(v) : 0);
}

/*
 * 3.2 adds unique keys 1.3 did not have (spec §10.18): datasources by
 * (name, type).  The first row of a name keeps it; a later one with
 * another id gets "<name>_<id>", so both survive and the rename is
 * visible in the log.
 */
static int dedupe_name(struct tcall *call, struct change *out, const char *ns,
		       const char *name_col, const char *kind_col,
		       struct err *e)
{
	const char *name = change_text(out, name_col);
	const char *kind = kind_col ? change_text(out, kind_col) : "";
	const char *id = change_text(out, "id");
	struct state_txn *tx;
	char key[600], renamed[300], *holder = NULL;
	size_t len;
	int rc;

	if (!name || !id || !out->newv)
		return 0;
	snprintf(key, sizeof(key), "%s\t%s", name, kind ? kind : "");
	rc = transform_state(call, &tx, e);
	if (rc)
		return rc;
	rc = state_blob_get(tx, ns, key, strlen(key), (void **)&holder, &len,
			    e);
	if (rc == FERRY_ENOTFOUND)
		return state_blob_put(tx, ns, key, strlen(key), id, strlen(id),
				      e);
	if (rc)
		return rc;
	if (strcmp(holder, id) != 0) {
		snprintf(renamed, sizeof(renamed), "%s_%s", name, id);
		log_warn("ds", "%s %s \"%s\" renamed \"%s\": 3.2 names must "
			 "be unique and id %s has that name", out->table->name,
			 id, name, renamed, holder);
		rc = set_col(out, name_col, renamed);
	}
	free(holder);
	return rc;
}

static int datasource_apply(struct tcall *call, struct change *c,
			    struct err *e)
{
	struct change *out;
	char *params = NULL;
	int rc;

	rc = transform_map_row(call, c, &out, e);
	if (rc || !out || !out->newv) {
		change_free(c);
		return rc ? rc : out ? transform_emit(call, out, e) : 0;
	}
	rc = dedupe_name(call, out, "ds.datasource_name", "name", "type", e);
	if (!rc && change_text(out, "connection_params")) {
		rc = ds_datasource_params(change_text(out, "connection_params"),
					  (int)num(change_text(out, "type"), -1),
					  &params, e);
		if (!rc)
			rc = set_col(out, "connection_params", params);
		free(params);
	}
	if (rc == FERRY_EDATA) {
		char reason[ERR_MSG_MAX];

		snprintf(reason, sizeof(reason), "%s", e->msg);
		rc = transform_reject(call->t, c, reason, e);
		change_free(out);
		change_free(c);
		return rc;
	}
	change_free(c);
	if (rc) {
		change_free(out);
		return rc;
	}
	return transform_emit(call, out, e);
}

static int udf_apply(struct tcall *call, struct change *c, struct err *e)
{
	struct ds_priv *p = priv_of(call);
	struct ds_state_env se;
	struct state_txn *tx;
	struct change *out;
	char *path = NULL;
	int rc;

	rc = transform_map_row(call, c, &out, e);
	change_free(c);
	if (rc || !out)
		return rc;
	if (out->newv && change_text(out, "resource_id")) {
		rc = transform_state(call, &tx, e);
		if (rc) {
			change_free(out);
			return rc;
		}
		ds_state_env_init(&se, tx, NULL, &p->opt);
		if (se.env.resource_path(&se, num(change_text(out,
							      "resource_id"),
						  -1),
					 change_text(out, "resource_name"),
					 true, &path, e) == 0) {
			rc = set_col(out, "resource_name", path);
			free(path);
		}
	}
	if (rc) {
		change_free(out);
		return rc;
	}
	return transform_emit(call, out, e);
}

/*
 * 3.2's schema seeds alert groups 1 ("default admin warning group") and 2
 * ("global alert group", which 3.2's code treats specially).  1.3's
 * group 1 is the same thing: it lands on 1.  Every other 1.3 group whose
 * id a seed holds (2) gets id ds.alertgroup_remap_base + id, recorded in
 * ds.alertgroup for the warning_group_id references (mapping `ids`).  A
 * name equal to a seed's gets " (1.3)" appended: names are unique in 3.2.
 */
static int alertgroup_apply(struct tcall *call, struct change *c,
			    struct err *e)
{
	struct change *out;
	struct state_txn *tx;
	const char *name;
	int64_t id;
	int rc;

	rc = transform_map_row(call, c, &out, e);
	change_free(c);
	if (rc || !out)
		return rc;
	id = num(change_text(out, "id"), -1);
	if (id == 2) {
		struct state_idval v = { 0 };
		unsigned char k[8];
		char idtext[32];

		v.id = num(transform_option(call, "ds.alertgroup_remap_base",
					    "1000000"), 1000000) + id;
		snprintf(idtext, sizeof(idtext), "%" PRId64, v.id);
		rc = transform_state(call, &tx, e);
		state_key_i64(id, k);
		if (!rc)
			rc = state_idmap_put(tx, DS_ENT_ALERTGROUP, k, 8, &v, e);
		if (!rc) {
			int i = table_desc_find(out->table, "id");

			rc = out->newv ? change_set_new(out, (uint32_t)i,
							DATUM_VALUE, idtext,
							strlen(idtext)) : 0;
			if (!rc && out->oldv)
				rc = change_set_old(out, (uint32_t)i,
						    DATUM_VALUE, idtext,
						    strlen(idtext));
		}
	}
	name = out->newv ? change_text(out, "group_name") : NULL;
	if (!rc && name && id != 1 &&
	    (strcmp(name, "default admin warning group") == 0 ||
	     strcmp(name, "global alert group") == 0)) {
		char renamed[300];

		snprintf(renamed, sizeof(renamed), "%s (1.3)", name);
		rc = set_col(out, "group_name", renamed);
	}
	if (rc) {
		change_free(out);
		return rc;
	}
	return transform_emit(call, out, e);
}

/* Fields of the workflow record (DS_BLOB_PROCESS). */
struct proc_rec {
	int64_t project_id, user_id, tenant_id;
};

static int proc_rec(struct state_txn *tx, int64_t pid, struct proc_rec *out,
		    struct err *e)
{
	char *rec, *f;
	int rc = get_record(tx, DS_BLOB_PROCESS, pid, &rec, e);

	if (rc)
		return rc;
	f = field(rec, 0);
	out->project_id = num(f, -1);
	free(f);
	f = field(rec, 1);
	out->user_id = num(f, -1);
	free(f);
	f = field(rec, 2);
	out->tenant_id = num(f, -1);
	free(f);
	free(rec);
	return 0;
}

static int schedule_apply(struct tcall *call, struct change *c,
			  struct err *e)
{
	int64_t pid = num(change_text(c, "process_definition_id"), -1);
	struct state_txn *tx;
	struct change *out;
	struct proc_rec pr;
	char *code = NULL;
	int rc;

	rc = transform_map_row(call, c, &out, e);
	change_free(c);
	if (rc || !out)
		return rc;
	if (out->newv) {
		/* spec §6.1: the workflow's tenant, else its owner's */
		rc = transform_state(call, &tx, e);
		if (!rc && proc_rec(tx, pid, &pr, e) == 0)
			code = tenant_code(tx, pr.tenant_id, pr.user_id, e);
		if (!rc && code)
			rc = set_col(out, "tenant_code", code);
		free(code);
		/* the zone the 1.3 servers ran the cron in (spec §3.18) */
		if (!rc)
			rc = set_col(out, "timezone_id",
				     transform_option(call, "ds.timezone",
						      "UTC"));
	}
	if (rc) {
		change_free(out);
		return rc;
	}
	return transform_emit(call, out, e);
}

/* ---- instances (spec §6) ------------------------------------------------ */

/* 1.3 process instance state -> 3.2, or -1 for an unfinished one, which
 * a 3.2 master would take over (spec §6.6): held until it finishes. */
static int process_state(int64_t s)
{
	switch (s) {
	case 5: case 6: case 7: return (int)s;	/* stop, failure, success */
	case 9: return 5;			/* kill -> stop */
	case 8: return 6;			/* need fault tolerance */
	default: return -1;
	}
}

static int task_state(int64_t s)
{
	switch (s) {
	case 5: case 6: case 7: case 9: return (int)s;
	case 8: return 6;
	default: return -1;
	}
}

static int set_num(struct change *c, const char *col, int64_t v)
{
	char t[32];

	snprintf(t, sizeof(t), "%" PRId64, v);
	return set_col(c, col, t);
}

static int process_instance_apply(struct tcall *call, struct change *c,
				  struct err *e)
{
	int64_t pid = num(change_text(c, "process_definition_id"), -1);
	int64_t tenant = num(change_text(c, "tenant_id"), -1);
	int64_t executor = num(change_text(c, "executor_id"), -1);
	struct state_idval pv;
	struct state_txn *tx;
	struct change *out;
	struct proc_rec pr;
	unsigned char k[8];
	char *code = NULL, *user = NULL, rec[512];
	int state = 0, rc;

	if (c->kind != CHANGE_DELETE) {
		state = process_state(num(change_text(c, "state"), -1));
		if (state < 0) {
			change_free(c);
			return 0;	/* comes again when it finishes */
		}
	}
	if (c->kind != CHANGE_DELETE) {
		rc = transform_state(call, &tx, e);
		if (!rc && proc_rec(tx, pid, &pr, e)) {
			char reason[300];

			snprintf(reason, sizeof(reason), "process instance %s: "
				 "workflow %" PRId64 " does not exist (deleted "
				 "in 1.3?); 3.2 keeps no instances of deleted "
				 "workflows", change_text(c, "id") ?
				 change_text(c, "id") : "?", pid);
			rc = transform_reject(call->t, c, reason, e);
			change_free(c);
			return rc;
		}
		if (rc) {
			change_free(c);
			return rc;
		}
	}
	rc = transform_map_row(call, c, &out, e);
	change_free(c);
	if (rc || !out || !out->newv)
		return rc ? rc : out ? transform_emit(call, out, e) : 0;
	rc = transform_state(call, &tx, e);
	state_key_i64(pid, k);
	if (!rc && state_idmap_get(tx, DS_ENT_PROCESS, k, 8, &pv, e) == 0)
		rc = set_num(out, "process_definition_version",
			     pv.version > 0 ? pv.version : 1);
	if (!rc && proc_rec(tx, pid, &pr, e) == 0) {
		struct state_idval proj;

		state_key_i64(pr.project_id, k);
		if (state_idmap_get(tx, DS_ENT_PROJECT, k, 8, &proj, e) == 0)
			rc = set_num(out, "project_code", proj.id);
		code = tenant_code(tx, tenant, pr.user_id, e);
	}
	if (!rc)
		rc = set_num(out, "state", state);
	if (!rc && code)
		rc = set_col(out, "tenant_code", code);
	if (!rc && executor > 0 &&
	    get_record(tx, DS_BLOB_USER, executor, &user, e) == 0) {
		char *name = field(user, 0);

		rc = set_col(out, "executor_name", name);
		free(name);
	}
	if (!rc) {
		/* what task instances of it look up */
		snprintf(rec, sizeof(rec), "%s\t%s",
			 change_text(out, "project_code")
				 ? change_text(out, "project_code") : "",
			 change_text(out, "name") ? change_text(out, "name")
						  : "");
		rc = put_record(tx, "ds.process_instance",
				num(change_text(out, "id"), -1), rec, e);
	}
	free(code);
	free(user);
	if (rc) {
		change_free(out);
		return rc;
	}
	return transform_emit(call, out, e);
}

/*
 * A task instance whose task its workflow no longer has (edited away
 * since it ran): spec §6.3 gives it an orphan code and a
 * t_ds_task_definition_log row built from its own task_json, so the
 * instance points at something 3.2 can show.  The split of a one-task
 * workflow around the node builds that row.
 */
static int orphan_task(struct tcall *call, const struct change *c,
		       int64_t pid, const char *task_json,
		       struct state_idval *tv, struct err *e)
{
	struct ds_priv *p = priv_of(call);
	struct ds_split_result res;
	struct ds_process_13 row;
	struct ds_state_env se;
	struct state_txn *tx;
	struct proc_rec pr;
	unsigned char key[16];
	char pidtext[32], projtext[32], usertext[32], *wrapped;
	const char *when = change_text(c, "submit_time");
	size_t len;
	int64_t id, v[2];
	int rc;

	if (!task_json)
		return err_set(e, FERRY_EDATA, "task instance %s: its task is "
			       "not in workflow %" PRId64 " and it has no "
			       "task_json to rebuild it from",
			       change_text(c, "id") ? change_text(c, "id")
						    : "?", pid);
	rc = transform_state(call, &tx, e);
	if (rc)
		return rc;
	if (proc_rec(tx, pid, &pr, e))
		return err_set(e, FERRY_EDATA, "task instance %s: workflow %"
			       PRId64 " does not exist (deleted in 1.3?); 3.2 "
			       "keeps no instances of deleted workflows",
			       change_text(c, "id") ? change_text(c, "id")
						    : "?", pid);
	len = strlen(task_json) + 64;
	wrapped = xmalloc(len);
	snprintf(wrapped, len, "{\"tasks\":[%s],\"globalParams\":[]}",
		 task_json);
	snprintf(pidtext, sizeof(pidtext), "%" PRId64, pid);
	snprintf(projtext, sizeof(projtext), "%" PRId64, pr.project_id);
	snprintf(usertext, sizeof(usertext), "%" PRId64, pr.user_id);
	memset(&row, 0, sizeof(row));
	row.id = pidtext;
	row.name = "orphan";
	row.project_id = projtext;
	row.user_id = usertext;
	row.process_definition_json = wrapped;
	row.create_time = when;
	row.update_time = when;
	ds_state_env_init(&se, tx, transform_snowflake(call), &p->opt);
	ds_state_env_mint_for(&se, pid, pr.project_id);
	rc = ds_split(&row, &se.env, &res, e);
	free(wrapped);
	if (rc)
		return rc;
	rc = res.tasks_log.n == 1 ? 0
	     : err_set(e, FERRY_EDATA, "task_json of a task instance of "
		       "workflow %" PRId64 " is not one task", pid);
	if (!rc) {
		v[0] = res.task_info[0].code;
		v[1] = res.task_info[0].version;
		key_ints(key, v, 2);
		rc = ds_row_id(tx, "t_ds_task_definition_log", key, 16, &id,
			       NULL, e);
	}
	if (!rc)
		rc = emit_row(call, &res.tasks_log.rows[0], id, false, e);
	if (!rc) {
		tv->id = res.task_info[0].code;
		tv->version = res.task_info[0].version;
	}
	ds_split_result_release(&res);
	return rc;
}

static int task_instance_apply(struct tcall *call, struct change *c,
			       struct err *e)
{
	struct ds_priv *p = priv_of(call);
	int64_t pid = num(change_text(c, "process_definition_id"), -1);
	const char *name = change_text(c, "name");
	const char *json = change_text(c, "task_json");
	struct state_idval tv = { 0 };
	struct ds_state_env se;
	struct state_txn *tx;
	struct change *out;
	unsigned char k[512];
	char *params = NULL, *key = NULL, *rec = NULL, *f;
	size_t n;
	int state = 0, rc;

	if (c->kind != CHANGE_DELETE) {
		state = task_state(num(change_text(c, "state"), -1));
		if (state < 0) {
			change_free(c);
			return 0;
		}
	}
	rc = transform_state(call, &tx, e);
	if (rc) {
		change_free(c);
		return rc;
	}
	ds_state_env_init(&se, tx, NULL, &p->opt);
	if (c->kind != CHANGE_DELETE && json)
		rc = ds_task_instance_params(json, pid, &se.env, &params, &key,
					     NULL, e);
	/* the task: by name in the workflow, else by its 1.3 key */
	n = name ? ds_key_pid_str(pid, name, k, sizeof(k)) : 0;
	if (!rc && c->kind != CHANGE_DELETE &&
	    (!n || state_idmap_get(tx, DS_ENT_TASK_NAME, k, n, &tv, e))) {
		n = key ? ds_key_pid_str(pid, key, k, sizeof(k)) : 0;
		if (!n || state_idmap_get(tx, DS_ENT_TASK, k, n, &tv, e))
			rc = orphan_task(call, c, pid, json, &tv, e);
	}
	if (rc == FERRY_EDATA) {
		char reason[ERR_MSG_MAX];

		snprintf(reason, sizeof(reason), "%s", e->msg);
		rc = transform_reject(call->t, c, reason, e);
		change_free(c);
		free(params);
		free(key);
		return rc;
	}
	if (!rc)
		rc = transform_map_row(call, c, &out, e);
	change_free(c);
	if (rc || !out) {
		free(params);
		free(key);
		return rc;
	}
	if (out->newv) {
		rc = set_num(out, "task_code", tv.id);
		if (!rc)
			rc = set_num(out, "task_definition_version",
				     tv.version > 0 ? tv.version : 1);
		if (!rc)
			rc = set_num(out, "state", state);
		if (!rc && params)
			rc = set_col(out, "task_params", params);
		if (!rc && get_record(tx, "ds.process_instance",
				      num(change_text(out,
						      "process_instance_id"),
					  -1), &rec, e) == 0) {
			f = field(rec, 0);
			if (f && *f)
				rc = set_col(out, "project_code", f);
			free(f);
			f = field(rec, 1);
			if (!rc && f)
				rc = set_col(out, "process_instance_name", f);
			free(f);
			free(rec);
		}
	}
	free(params);
	free(key);
	if (rc) {
		change_free(out);
		return rc;
	}
	return transform_emit(call, out, e);
}

/* ---- the registry ------------------------------------------------------- */

static const struct transform_plugin ds_process_definition = {
	"ds.process_definition", ds_open, process_definition_apply,
	process_definition_commit, ds_close,
};
static const struct transform_plugin ds_record = {
	"ds.record", ds_open, record_apply, NULL, ds_close,
};
static const struct transform_plugin ds_tenant = {
	"ds.tenant", ds_open, tenant_apply, NULL, ds_close,
};
static const struct transform_plugin ds_datasource = {
	"ds.datasource", ds_open, datasource_apply, NULL, ds_close,
};
static const struct transform_plugin ds_udf = {
	"ds.udf", ds_open, udf_apply, NULL, ds_close,
};
static const struct transform_plugin ds_alertgroup = {
	"ds.alertgroup", ds_open, alertgroup_apply, NULL, ds_close,
};
static const struct transform_plugin ds_schedule = {
	"ds.schedule", ds_open, schedule_apply, NULL, ds_close,
};
static const struct transform_plugin ds_process_instance = {
	"ds.process_instance", ds_open, process_instance_apply, NULL,
	ds_close,
};
static const struct transform_plugin ds_task_instance = {
	"ds.task_instance", ds_open, task_instance_apply, NULL, ds_close,
};

const struct transform_plugin *const transform_plugins[] = {
	&ds_process_definition, &ds_record, &ds_tenant, &ds_datasource,
	&ds_udf, &ds_alertgroup, &ds_schedule, &ds_process_instance,
	&ds_task_instance, NULL,
};
