/*
 * ds_fixture_load.c - builds a migrated DolphinScheduler pair for tests
 * of `ferry verify` without the migration plugin:
 *
 *   ds_fixture_load -c FERRY_YAML JSON_DIR [--copies N]
 *
 * JSON_DIR holds the real 1.3 process_definition_json fixtures
 * (pd_<name>.json, with optional pd_<name>.locations.json /
 * .connects.json sidecars).  The source and target of the config must be
 * databases created from the 1.3.9 and 3.2.2 schema fixtures, without
 * DolphinScheduler rows yet; state_dir must not hold a store yet.
 *
 * What it writes:
 *  - source: t_ds_project (1 "project_a", 2 "project_b", and any project a
 *    DEPENDENT item names), one t_ds_process_definition per fixture, a
 *    small placeholder workflow for every workflow a SUB_PROCESS or
 *    DEPENDENT reference names that no fixture is (with the task names
 *    DEPENDENT items ask for), and a t_ds_resources row for every resource
 *    a task names (owned by admin, now of tenant 1 "tenant_a"), so that
 *    every reference resolves, also for `ferry run` over this source;
 *  - state store: what the migration keeps (ds_map.h): codes minted by
 *    ds_split() through a minting struct ds_state_env and a snowflake
 *    generator, the task name map, content hashes, resource records for
 *    every resource a task names, and the ids of the target rows;
 *  - target: t_ds_project and, per workflow, the rows its split gives
 *    (process definition + log, task definitions + logs, relations +
 *    logs) with explicit ids (the 1.3 id for process definitions,
 *    ds_row_id() for the tables 1.3 does not have), plus a schedule for
 *    each of the first three workflows.
 *
 * The split's options (resource prefix, SQL task alert group) come from
 * the config's mapping file, as for ferry run.
 *
 * Known ids, so that the fixtures' own references hold: the
 * dws_business_okcard_import export is workflow 2 and inner_flow_0 is 3
 * (hello_flow_0 depends on tasks of 2 and runs 3 as a sub-process), all
 * three in project 1; the other fixtures get 1001, 1002, ... in projects
 * 1 and 2 alternately.
 *
 * Splits run until every reference resolves (a DEPENDENT item finds the
 * task names of another workflow only after that one was split once);
 * whatever is still unresolved after that is an error.  --copies N
 * loads every fixture N times (as other workflows), for scale runs.
 * Prints one summary line; exit 0, 1 on any failure, 2 on usage errors.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/buf.h"
#include "ferry/config.h"
#include "ferry/ds_map.h"
#include "ferry/ds_split.h"
#include "ferry/err.h"
#include "ferry/mapping.h"
#include "ferry/mem.h"
#include "ferry/snowflake.h"
#include "ferry/sqlc.h"
#include "ferry/state.h"

#define MAX_ROUNDS 6
#define FIRST_ID 1001
#define SCHEDULES 3
#define T_CREATE "2021-06-01 10:00:00"
#define T_UPDATE "2021-06-02 11:30:00"

struct wf {
	int64_t id;
	int64_t project_id;
	char *name;
	char *json;		/* process_definition_json */
	char *locations;	/* sidecar or NULL */
	char *connects;
	bool placeholder;
	char **tasks;		/* placeholder: task names */
	size_t ntasks;
	struct ds_split_result res;
	bool split;
};

struct proj {
	int64_t id;
	char *name;
};

/* a resource file a task names (its 1.3 t_ds_resources row) */
struct res {
	int64_t id;
	char *full_name;
};

struct loader {
	struct config cfg;
	struct sqlc *src, *dst;
	struct state *st;
	struct state_txn *t;
	struct snowflake *sf;
	struct mapping map;
	struct ds_map_options mopt;
	struct ds_state_env se;
	struct ds_env env;	/* se.env, recording what it is asked */
	struct wf *wfs;
	size_t nwfs;
	struct proj *projs;
	size_t nprojs;
	int64_t *asked_pd, *asked_proj;
	size_t nasked_pd, nasked_proj;
	int64_t next_resource;
	struct res *res;
	size_t nres;
	struct err e;
};

static int die(struct loader *L, const char *what)
{
	fprintf(stderr, "ds_fixture_load: %s: %s\n", what, L->e.msg);
	return 1;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t n;

	if (!f)
		return NULL;
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n))
			break;
	fclose(f);
	/* the fixtures end with a newline the column value does not have */
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		buf_truncate(&b, b.len - 1);
	return buf_detach(&b, NULL);
}

static struct wf *wf_find(struct loader *L, int64_t id)
{
	for (size_t i = 0; i < L->nwfs; i++)
		if (L->wfs[i].id == id)
			return &L->wfs[i];
	return NULL;
}

static struct wf *wf_add(struct loader *L)
{
	L->wfs = xrealloc(L->wfs, (L->nwfs + 1) * sizeof(*L->wfs));
	memset(&L->wfs[L->nwfs], 0, sizeof(L->wfs[0]));
	return &L->wfs[L->nwfs++];
}

static bool proj_known(struct loader *L, int64_t id)
{
	for (size_t i = 0; i < L->nprojs; i++)
		if (L->projs[i].id == id)
			return true;
	return false;
}

static void proj_add(struct loader *L, int64_t id, const char *name)
{
	char buf[64];

	if (!name) {
		snprintf(buf, sizeof(buf), "ref_project_%" PRId64, id);
		name = buf;
	}
	L->projs = xrealloc(L->projs, (L->nprojs + 1) * sizeof(*L->projs));
	L->projs[L->nprojs].id = id;
	L->projs[L->nprojs++].name = xstrdup(name);
}

static void remember(int64_t **v, size_t *n, int64_t id)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == id)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = id;
}

/* ---- the recording env ---------------------------------------------- */

static int rec_project(void *ctx, int64_t id, int64_t *code, struct err *e)
{
	struct loader *L = ctx;

	int64_t saved = L->se.mint_project_id;
	int rc;

	remember(&L->asked_proj, &L->nasked_proj, id);
	/* a project the source will have is minted when first named, as
	 * the migration mints it when its row arrives */
	if (proj_known(L, id))
		L->se.mint_project_id = id;
	rc = L->se.env.project_code(L->se.env.ctx, id, code, e);
	L->se.mint_project_id = saved;
	return rc;
}

static int rec_process(void *ctx, int64_t id, int64_t *code, struct err *e)
{
	struct loader *L = ctx;

	int64_t saved = L->se.mint_process_id;
	int rc;

	remember(&L->asked_pd, &L->nasked_pd, id);
	/* likewise a workflow the source will have (its split mints it
	 * too; the order of the splits does not matter then) */
	for (size_t i = 0; i < L->nwfs; i++)
		if (L->wfs[i].id == id)
			L->se.mint_process_id = id;
	rc = L->se.env.process_code(L->se.env.ctx, id, code, e);
	L->se.mint_process_id = saved;
	return rc;
}

static int rec_task(void *ctx, int64_t pid, const char *key, int64_t *code,
		    struct err *e)
{
	struct loader *L = ctx;

	return L->se.env.task_code(L->se.env.ctx, pid, key, code, e);
}

static int rec_dep_task(void *ctx, int64_t pid, const char *name,
			int64_t *code, struct err *e)
{
	struct loader *L = ctx;

	return L->se.env.dep_task_code(L->se.env.ctx, pid, name, code, e);
}

static int put_blob_i64(struct state_txn *t, const char *ns, int64_t id,
			const char *val, struct err *e)
{
	unsigned char k[8];

	state_key_i64(id, k);
	return state_blob_put(t, ns, k, sizeof(k), val, strlen(val), e);
}

/*
 * A resource a task names: a 1.3 t_ds_resources row (written to the
 * source later) and the records the plugin takes from it and from
 * t_ds_user / t_ds_tenant (ds_map.h formats).  Every resource belongs to
 * user 1 ("admin") of tenant 1 ("tenant_a"); its full_name is the task's
 * "res" when it has one.
 */
static int make_resource(struct loader *L, int64_t id, const char *res,
			 struct err *e)
{
	char full[512], rec[640];
	int rc;

	if (res && *res)
		snprintf(full, sizeof(full), "%s%s", res[0] == '/' ? "" : "/",
			 res);
	else
		snprintf(full, sizeof(full), "/fixture/resource_%" PRId64
			 ".jar", id);
	if (id < 0) {
		char idtext[32];

		id = L->next_resource++;
		snprintf(idtext, sizeof(idtext), "%" PRId64, id);
		rc = state_blob_put(L->t, DS_BLOB_RES_NAME, full, strlen(full),
				    idtext, strlen(idtext), e);
		if (rc)
			return rc;
	}
	L->res = xrealloc(L->res, (L->nres + 1) * sizeof(*L->res));
	L->res[L->nres].id = id;
	L->res[L->nres++].full_name = xstrdup(full);
	snprintf(rec, sizeof(rec), "%s\t1\t0", full);
	rc = put_blob_i64(L->t, DS_BLOB_RESOURCE, id, rec, e);
	if (!rc)
		rc = put_blob_i64(L->t, DS_BLOB_USER, 1, "admin\t1", e);
	if (!rc)
		rc = put_blob_i64(L->t, DS_BLOB_TENANT, 1, "tenant_a", e);
	return rc;
}

static int rec_resource(void *ctx, int64_t id, const char *res, bool udf,
			char **path, struct err *e)
{
	struct loader *L = ctx;
	int rc;

	rc = L->se.env.resource_path(L->se.env.ctx, id, res, udf, path, e);
	if (rc != FERRY_ENOTFOUND || (id < 0 && (!res || !*res)))
		return rc;
	rc = make_resource(L, id, res, e);
	if (rc)
		return rc;
	return L->se.env.resource_path(L->se.env.ctx, id, res, udf, path, e);
}

static int rec_worker(void *ctx, int64_t id, char **name, struct err *e)
{
	struct loader *L = ctx;

	return L->se.env.worker_group_name(L->se.env.ctx, id, name, e);
}

/* ---- the fixtures --------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

static int load_fixtures(struct loader *L, const char *dir)
{
	static const struct {
		const char *name;
		int64_t id, project;
	} known[] = {
		{ "dw139_dws_business_okcard_import", 2, 1 },
		{ "dw139_inner_flow_0", 3, 1 },
		{ "dw139_hello_flow_0", 0, 1 },	/* next id */
	};
	char **names = NULL, path[4096];
	size_t n = 0, next = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp) {
		fprintf(stderr, "ds_fixture_load: cannot open \"%s\": %s\n",
			dir, strerror(errno));
		return 1;
	}
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, "pd_", 3) || !ends_with(d->d_name,
							      ".json") ||
		    ends_with(d->d_name, ".locations.json") ||
		    ends_with(d->d_name, ".connects.json"))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(d->d_name);
	}
	closedir(dp);
	if (n == 0) {
		fprintf(stderr, "ds_fixture_load: no pd_*.json in \"%s\"\n",
			dir);
		return 1;
	}
	qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		struct wf *w = wf_add(L);
		size_t stem = strlen(names[i]) - 5;

		w->name = xstrndup(names[i] + 3, stem - 3);
		w->project_id = 1 + (int64_t)(next % 2);
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (!strcmp(w->name, known[k].name)) {
				w->id = known[k].id;
				w->project_id = known[k].project;
			}
		if (!w->id)
			w->id = FIRST_ID + (int64_t)next++;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		w->json = read_file(path);
		if (!w->json) {
			fprintf(stderr, "ds_fixture_load: cannot read \"%s\"\n",
				path);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/pd_%s.locations.json", dir,
			 w->name);
		w->locations = read_file(path);
		snprintf(path, sizeof(path), "%s/pd_%s.connects.json", dir,
			 w->name);
		w->connects = read_file(path);
		free(names[i]);
	}
	free(names);
	proj_add(L, 1, "project_a");
	proj_add(L, 2, "project_b");
	return 0;
}

/*
 * For scale runs: N - 1 more copies of every fixture, copy c of fixture i
 * as workflow COPY_BASE + c * COPY_STRIDE + i named "<name>_c<c>", in
 * project 1 or 2 (their references still name the originals).
 */
#define COPY_BASE 100000
#define COPY_STRIDE 100

static void copy_fixtures(struct loader *L, long copies)
{
	size_t n = L->nwfs;

	for (long c = 1; c < copies; c++)
		for (size_t i = 0; i < n; i++) {
			struct wf *w = wf_add(L);
			const struct wf *o = &L->wfs[i];
			size_t len = strlen(o->name) + 24;

			w->id = COPY_BASE + c * COPY_STRIDE + (int64_t)i;
			w->project_id = 1 + (c + (long)i) % 2;
			w->name = xmalloc(len);
			snprintf(w->name, len, "%s_c%ld", o->name, c);
			w->json = xstrdup(o->json);
			w->locations = o->locations ? xstrdup(o->locations)
						    : NULL;
			w->connects = o->connects ? xstrdup(o->connects)
						  : NULL;
		}
}

/* `s` as the inside of a JSON string. */
static int put_jstr(struct buf *b, const char *s)
{
	int rc = 0;

	for (; *s && !rc; s++) {
		if (*s == '"' || *s == '\\')
			rc = buf_putc(b, '\\');
		if (!rc)
			rc = (unsigned char)*s < 0x20 ?
				buf_printf(b, "\\u%04x", (unsigned char)*s) :
				buf_putc(b, *s);
	}
	return rc;
}

/* A placeholder's process_definition_json: one SHELL task per name. */
static char *placeholder_json(const struct wf *w)
{
	static const char task_tail[] =
		"\",\"params\":{\"resourceList\":[],\"localParams\":[],"
		"\"rawScript\":\"echo placeholder\"},\"description\":\"\","
		"\"runFlag\":\"NORMAL\",\"dependence\":{},"
		"\"maxRetryTimes\":\"0\",\"retryInterval\":\"1\","
		"\"timeout\":{\"strategy\":\"\",\"interval\":null,"
		"\"enable\":false},\"taskInstancePriority\":\"MEDIUM\","
		"\"workerGroup\":\"default\",\"preTasks\":[]}";
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = buf_puts(&b, "{\"globalParams\":[],\"tasks\":[");
	for (size_t i = 0; !rc && i < w->ntasks; i++) {
		rc = buf_printf(&b, "%s{\"type\":\"SHELL\",\"id\":"
				"\"tasks-%zu\",\"name\":\"", i ? "," : "",
				1000 + i);
		if (!rc)
			rc = put_jstr(&b, w->tasks[i]);
		if (!rc)
			rc = buf_puts(&b, task_tail);
	}
	if (!rc)
		rc = buf_puts(&b, "],\"tenantId\":-1,\"timeout\":0}");
	return rc ? NULL : buf_detach(&b, NULL);
}

static void placeholder_add_task(struct wf *w, const char *name)
{
	for (size_t i = 0; i < w->ntasks; i++)
		if (!strcmp(w->tasks[i], name))
			return;
	w->tasks = xrealloc(w->tasks, (w->ntasks + 1) * sizeof(*w->tasks));
	w->tasks[w->ntasks++] = xstrdup(name);
	free(w->json);
	w->json = placeholder_json(w);
}

static struct wf *placeholder_new(struct loader *L, int64_t id)
{
	struct wf *w = wf_add(L);
	char name[64];

	snprintf(name, sizeof(name), "ref_workflow_%" PRId64, id);
	w->id = id;
	w->project_id = 1;
	w->name = xstrdup(name);
	w->placeholder = true;
	placeholder_add_task(w, "placeholder");
	return w;
}

static void row_13(const struct wf *w, char *idbuf, char *pidbuf,
		   struct ds_process_13 *p)
{
	snprintf(idbuf, 24, "%" PRId64, w->id);
	snprintf(pidbuf, 24, "%" PRId64, w->project_id);
	memset(p, 0, sizeof(*p));
	p->id = idbuf;
	p->name = w->name;
	p->release_state = w->id % 2 ? "0" : "1";
	p->project_id = pidbuf;
	p->user_id = "1";
	p->process_definition_json = w->json;
	p->description = w->placeholder ? "placeholder" : "fixture";
	p->flag = "1";
	p->locations = w->locations;
	p->connects = w->connects;
	p->create_time = T_CREATE;
	p->update_time = T_UPDATE;
	p->modify_by = "admin";
	p->tenant_id = "-1";
	p->timeout = "0";
	p->now = T_UPDATE;
}

/* What the plugin records after a split: the task names of the current
 * version (the last task of a name wins, as 1.3's DAG did) and the
 * content hash of each task key. */
static int record_tasks(struct loader *L, const struct wf *w)
{
	const struct ds_split_result *r = &w->res;
	unsigned char k[600];
	int rc = 0;

	for (size_t i = 0; !rc && i < r->tasks.n; i++) {
		const struct ds_task_info *ti = &r->task_info[i];
		struct state_idval v = { ti->code, ti->version, ti->hash64 };
		size_t n;

		n = ds_key_pid_str(w->id, ti->name, k, sizeof(k));
		rc = n ? state_idmap_put(L->t, DS_ENT_TASK_NAME, k, n, &v,
					 &L->e)
		       : err_set(&L->e, FERRY_EINVAL, "task name too long");
		n = rc ? 0 : ds_key_pid_str(w->id, ti->key, k, sizeof(k));
		if (n)
			rc = state_idmap_put(L->t, DS_ENT_TASK, k, n, &v,
					     &L->e);
	}
	return rc;
}

/* Split everything until the references resolve. */
static int split_all(struct loader *L)
{
	size_t left = 0;
	bool changed = true;
	int rc;

	for (int round = 0; round < MAX_ROUNDS && (changed || left); round++) {
		changed = false;
		left = 0;
		rc = state_txn_begin(L->st, STATE_TXN_WRITE, &L->t, &L->e);
		if (rc)
			return die(L, "state store");
		L->se.t = L->t;	/* the env works in this transaction */
		for (size_t i = 0; i < L->nwfs; i++) {
			struct wf *w = &L->wfs[i];
			struct ds_process_13 p;
			char idb[24], pidb[24];

			if (w->split)
				ds_split_result_release(&w->res);
			row_13(w, idb, pidb, &p);
			/* the workflow's own codes are minted, references
			 * only looked up (as the migration does) */
			ds_state_env_mint_for(&L->se, strtoll(p.id, NULL, 10),
					      strtoll(p.project_id, NULL, 10));
			rc = ds_split(&p, &L->env, &w->res, &L->e);
			if (rc) {
				state_txn_abort(L->t);
				return die(L, "split");
			}
			w->split = true;
			if (record_tasks(L, w)) {
				state_txn_abort(L->t);
				return die(L, "state store");
			}
			for (size_t u = 0; u < w->res.report.nunresolved; u++) {
				const struct ds_unresolved *x =
					&w->res.report.unresolved[u];
				struct wf *o = wf_find(L, x->process_id);

				left++;
				if (x->kind == DS_REF_TASK && x->name && o &&
				    o->placeholder) {
					size_t before = o->ntasks;

					placeholder_add_task(o, x->name);
					changed |= o->ntasks != before;
				}
			}
		}
		for (size_t i = 0; i < L->nasked_pd; i++)
			if (!wf_find(L, L->asked_pd[i])) {
				placeholder_new(L, L->asked_pd[i]);
				changed = true;
			}
		for (size_t i = 0; i < L->nasked_proj; i++)
			if (!proj_known(L, L->asked_proj[i])) {
				proj_add(L, L->asked_proj[i], NULL);
				changed = true;
			}
		rc = state_txn_commit(L->t, &L->e);
		L->t = NULL;
		if (rc)
			return die(L, "state store");
	}
	if (left) {
		for (size_t i = 0; i < L->nwfs; i++)
			for (size_t u = 0; u < L->wfs[i].res.report.nunresolved;
			     u++) {
				const struct ds_unresolved *x =
					&L->wfs[i].res.report.unresolved[u];

				fprintf(stderr, "ds_fixture_load: workflow %"
					PRId64 ": unresolved kind %d id %"
					PRId64 " process %" PRId64 " name %s\n",
					L->wfs[i].id, (int)x->kind, x->id,
					x->process_id,
					x->name ? x->name : "-");
			}
		return 1;
	}
	return 0;
}

/* ---- writing -------------------------------------------------------- */

static int exec_sql(struct loader *L, struct sqlc *c, const char *sql)
{
	int rc = sqlc_query(c, sql, NULL, &L->e);

	if (rc)
		err_prefix(&L->e, "%.200s", sql);
	return rc;
}

static int begin(struct loader *L, struct sqlc *c)
{
	return exec_sql(L, c, sqlc_driver(c) == CONFIG_DRIVER_POSTGRESQL ?
			"BEGIN" : "START TRANSACTION");
}

/* INSERT one ds_row, with `id` in front unless it is < 0 (the row has
 * its own). */
static int insert_row(struct loader *L, struct sqlc *c,
		      const struct ds_row *r, int64_t id)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = buf_printf(&b, "INSERT INTO %s (%s", r->table, id >= 0 ?
			"id" : "");
	for (size_t i = 0; !rc && i < r->ncols; i++)
		rc = buf_printf(&b, "%s%s", i || id >= 0 ? ", " : "",
				r->cols[i]);
	if (!rc)
		rc = id >= 0 ? buf_printf(&b, ") VALUES (%" PRId64, id)
			     : buf_puts(&b, ") VALUES (");
	for (size_t i = 0; !rc && i < r->ncols; i++) {
		rc = i || id >= 0 ? buf_puts(&b, ", ") : 0;
		if (!rc)
			rc = sqlc_quote(c, &b, r->vals[i]);
	}
	if (!rc)
		rc = buf_putc(&b, ')');
	rc = rc ? err_set(&L->e, rc, "could not build an INSERT") :
		exec_sql(L, c, b.data);
	buf_release(&b);
	return rc;
}

static int64_t col_i64(const struct ds_row *r, const char *col)
{
	const char *v = ds_row_get(r, col, NULL);

	return v ? strtoll(v, NULL, 10) : 0;
}

/*
 * The row's id from the state store (DS_ENT_ROW_ID), keyed as ds_plugin.c
 * keys it: a task by its code, a log row by (code, version), a relation
 * by (workflow code, pre, post), its log also by the workflow version.
 */
static int row_id(struct loader *L, const struct ds_row *r, int64_t *id)
{
	unsigned char k[32];
	int64_t v[4];
	size_t n;
	bool rel = !strncmp(r->table, "t_ds_process_task_relation", 26);
	bool log = ends_with(r->table, "_log");

	if (rel) {
		v[0] = col_i64(r, "process_definition_code");
		v[1] = col_i64(r, "pre_task_code");
		v[2] = col_i64(r, "post_task_code");
		v[3] = col_i64(r, "process_definition_version");
		n = log ? 4 : 3;
	} else {
		v[0] = col_i64(r, "code");
		v[1] = col_i64(r, "version");
		n = log ? 2 : 1;
	}
	for (size_t i = 0; i < n; i++)
		state_key_i64(v[i], k + 8 * i);
	return ds_row_id(L->t, r->table, k, 8 * n, id, NULL, &L->e);
}

static int insert_set(struct loader *L, const struct ds_rowset *s,
		      size_t *count)
{
	int64_t id;
	int rc = 0;

	for (size_t i = 0; !rc && i < s->n; i++) {
		rc = row_id(L, &s->rows[i], &id);
		if (!rc)
			rc = insert_row(L, L->dst, &s->rows[i], id);
		(*count)++;
	}
	return rc;
}

static int write_source(struct loader *L)
{
	static const char *const proj_cols[] = {
		"id", "name", "description", "user_id", "flag",
		"create_time", "update_time",
	};
	static const char *const pd_cols[] = {
		"id", "name", "version", "release_state", "project_id",
		"user_id", "process_definition_json", "description",
		"global_params", "flag", "locations", "connects",
		"create_time", "timeout", "tenant_id", "update_time",
		"modify_by",
	};
	static const char *const res_cols[] = {
		"id", "alias", "file_name", "description", "user_id", "type",
		"size", "create_time", "update_time", "pid", "full_name",
		"is_directory",
	};
	int rc = begin(L, L->src);

	for (size_t i = 0; !rc && i < L->nprojs; i++) {
		char id[24];
		char *vals[] = { id, L->projs[i].name, "fixture", "1", "1",
				 T_CREATE, T_UPDATE };
		struct ds_row r = { "t_ds_project", proj_cols, 7, vals };

		snprintf(id, sizeof(id), "%" PRId64, L->projs[i].id);
		rc = insert_row(L, L->src, &r, -1);
	}
	/* the owner of the resources: admin (the seed user 1) of tenant 1 */
	if (!rc)
		rc = exec_sql(L, L->src, "INSERT INTO t_ds_tenant (id, "
			      "tenant_code, tenant_name, description, "
			      "queue_id, create_time, update_time) VALUES (1, "
			      "'tenant_a', 'tenant_a', 'fixture', 1, '"
			      T_CREATE "', '" T_UPDATE "')");
	if (!rc)
		rc = exec_sql(L, L->src, "UPDATE t_ds_user SET tenant_id = 1 "
			      "WHERE id = 1");
	for (size_t i = 0; !rc && i < L->nres; i++) {
		const char *base = strrchr(L->res[i].full_name, '/') + 1;
		char id[24];
		char *vals[] = { id, (char *)base, (char *)base, "fixture",
				 "1", "0", "0", T_CREATE, T_UPDATE, "-1",
				 L->res[i].full_name, "0" };
		struct ds_row r = { "t_ds_resources", res_cols, 12, vals };

		snprintf(id, sizeof(id), "%" PRId64, L->res[i].id);
		rc = insert_row(L, L->src, &r, -1);
	}
	for (size_t i = 0; !rc && i < L->nwfs; i++) {
		const struct wf *w = &L->wfs[i];
		struct ds_process_13 p;
		char idb[24], pidb[24];

		row_13(w, idb, pidb, &p);
		{
			char *vals[] = {
				(char *)p.id, (char *)p.name, "0",
				(char *)p.release_state, (char *)p.project_id,
				(char *)p.user_id,
				(char *)p.process_definition_json,
				(char *)p.description, "[]", (char *)p.flag,
				(char *)p.locations, (char *)p.connects,
				(char *)p.create_time, "0", "-1",
				(char *)p.update_time, (char *)p.modify_by,
			};
			struct ds_row r = { "t_ds_process_definition", pd_cols,
					    17, vals };

			rc = insert_row(L, L->src, &r, -1);
		}
	}
	return rc ? rc : exec_sql(L, L->src, "COMMIT");
}

static int write_target(struct loader *L, size_t *ntasks, size_t *nrels)
{
	static const char *const proj_cols[] = {
		"id", "name", "code", "description", "user_id", "flag",
		"create_time", "update_time",
	};
	static const char *const sched_cols[] = {
		"id", "process_definition_code", "start_time", "end_time",
		"timezone_id", "crontab", "failure_strategy", "user_id",
		"release_state", "warning_type", "warning_group_id",
		"process_instance_priority", "worker_group", "tenant_code",
		"environment_code", "create_time", "update_time",
	};
	size_t nlogs = 0;
	int rc = begin(L, L->dst);

	for (size_t i = 0; !rc && i < L->nprojs; i++) {
		char id[24], code[24];
		char *vals[] = { id, L->projs[i].name, code, "fixture", "1",
				 "1", T_CREATE, T_UPDATE };
		struct ds_row r = { "t_ds_project", proj_cols, 8, vals };
		int64_t c;

		rc = L->env.project_code(L, L->projs[i].id, &c, &L->e);
		snprintf(id, sizeof(id), "%" PRId64, L->projs[i].id);
		snprintf(code, sizeof(code), "%" PRId64, c);
		if (!rc)
			rc = insert_row(L, L->dst, &r, -1);
	}
	for (size_t i = 0; !rc && i < L->nwfs; i++) {
		const struct ds_split_result *s = &L->wfs[i].res;
		int64_t id;

		rc = insert_row(L, L->dst, &s->process, -1);
		if (!rc)
			rc = row_id(L, &s->process_log, &id);
		if (!rc)
			rc = insert_row(L, L->dst, &s->process_log, id);
		if (!rc)
			rc = insert_set(L, &s->tasks, ntasks);
		if (!rc)
			rc = insert_set(L, &s->tasks_log, &nlogs);
		if (!rc)
			rc = insert_set(L, &s->relations, nrels);
		if (!rc)
			rc = insert_set(L, &s->relations_log, &nlogs);
	}
	for (size_t i = 0; !rc && i < SCHEDULES && i < L->nwfs; i++) {
		char id[24], code[24];
		char *vals[] = {
			id, code, "2021-06-01 00:00:00", "2121-06-01 00:00:00",
			"Asia/Shanghai", "0 0 * * * ? *", "1", "1", "0", "0",
			NULL, "2", "default", "default", "-1", T_CREATE,
			T_UPDATE,
		};
		struct ds_row r = { "t_ds_schedules", sched_cols, 17, vals };

		snprintf(id, sizeof(id), "%zu", i + 1);
		snprintf(code, sizeof(code), "%" PRId64,
			 L->wfs[i].res.process_code);
		rc = insert_row(L, L->dst, &r, -1);
	}
	return rc ? rc : exec_sql(L, L->dst, "COMMIT");
}

static int connect_one(struct loader *L, const struct config_db *db,
		       struct sqlc **out)
{
	char pw[1024];
	int rc = config_read_password(db, pw, sizeof(pw), &L->e);

	if (!rc)
		rc = sqlc_connect(db, pw, "ds_fixture_load", out, &L->e);
	memset(pw, 0, sizeof(pw));
	return rc;
}

int main(int argc, char **argv)
{
	struct snowflake_options so = { 0 };
	struct state_options sto;
	struct loader L;
	size_t ntasks = 0, nrels = 0, nph = 0;
	long copies = 1;
	int rc;

	memset(&L, 0, sizeof(L));
	if ((argc != 4 && argc != 6) || strcmp(argv[1], "-c") ||
	    (argc == 6 && (strcmp(argv[4], "--copies") ||
			   (copies = strtol(argv[5], NULL, 10)) < 1 ||
			   copies > 10000))) {
		fprintf(stderr, "usage: ds_fixture_load -c FERRY_YAML "
			"JSON_DIR [--copies N]\n");
		return 2;
	}
	if (config_load(argv[2], &L.cfg, &L.e))
		return die(&L, "config");
	/* the split options ferry run would use (ds_plugin.c) */
	if (mapping_load(L.cfg.mapping, &L.map, &L.e))
		return die(&L, "mapping");
	L.mopt.resource_prefix = mapping_option(&L.map, "ds.resource_prefix",
						"");
	L.mopt.sql_group_id = strtoll(mapping_option(&L.map,
						     "ds.sql_group_id", "0"),
				      NULL, 10);
	if (load_fixtures(&L, argv[3]))
		return 1;
	copy_fixtures(&L, copies);
	sto.map_size = L.cfg.state_map_size;
	sto.max_map_size = L.cfg.state_max_map_size;
	if (state_open(L.cfg.state_dir, &sto, &L.st, &L.e))
		return die(&L, "state store");
	so.machine_id = L.cfg.code_machine_id;
	if (snowflake_new(&so, &L.sf, &L.e))
		return die(&L, "snowflake");
	L.next_resource = 900000;
	ds_state_env_init(&L.se, NULL, L.sf, &L.mopt);
	L.env = L.se.env;
	L.env.ctx = &L;
	L.env.project_code = rec_project;
	L.env.process_code = rec_process;
	L.env.task_code = rec_task;
	L.env.dep_task_code = rec_dep_task;
	L.env.resource_path = rec_resource;
	L.env.worker_group_name = rec_worker;
	if (connect_one(&L, &L.cfg.source, &L.src) ||
	    connect_one(&L, &L.cfg.target, &L.dst))
		return die(&L, "connect");

	rc = split_all(&L);
	if (rc)
		return rc;
	if (state_txn_begin(L.st, STATE_TXN_WRITE, &L.t, &L.e))
		return die(&L, "state store");
	L.se.t = L.t;
	if (write_source(&L))
		return die(&L, "source");
	if (write_target(&L, &ntasks, &nrels))
		return die(&L, "target");
	if (state_txn_commit(L.t, &L.e))
		return die(&L, "state store");
	for (size_t i = 0; i < L.nwfs; i++) {
		nph += L.wfs[i].placeholder;
		ds_split_result_release(&L.wfs[i].res);
		free(L.wfs[i].name);
		free(L.wfs[i].json);
		free(L.wfs[i].locations);
		free(L.wfs[i].connects);
		for (size_t k = 0; k < L.wfs[i].ntasks; k++)
			free(L.wfs[i].tasks[k]);
		free(L.wfs[i].tasks);
	}
	printf("loaded %zu workflows (%zu placeholders), %zu projects, %zu "
	       "tasks, %zu relations, %" PRIu64 " codes minted\n", L.nwfs,
	       nph, L.nprojs, ntasks, nrels, L.se.minted);
	for (size_t i = 0; i < L.nprojs; i++)
		free(L.projs[i].name);
	for (size_t i = 0; i < L.nres; i++)
		free(L.res[i].full_name);
	free(L.res);
	free(L.projs);
	free(L.wfs);
	free(L.asked_pd);
	free(L.asked_proj);
	sqlc_close(L.src);
	sqlc_close(L.dst);
	snowflake_free(L.sf);
	state_close(L.st);
	mapping_release(&L.map);
	config_release(&L.cfg);
	return 0;
}
