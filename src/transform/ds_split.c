/*
 * ds_split.c - one DolphinScheduler 1.3 workflow row -> its 3.2 rows
 * (see ds_split.h; spec §4).
 *
 * Where it sits: the transform stage calls ds_split() for every insert or
 * update of a 1.3 t_ds_process_definition row and hands the rows to the
 * batch writer; the id map behind struct ds_env makes the codes stable.
 *
 * The steps follow spec §4.9 for one workflow:
 *   1. parse the JSON, take the workflow's project code and code;
 *   2. give every task node a key and a code (all codes before any row,
 *      since tasks refer to each other);
 *   3. per task: the definition columns (§4.4) and task_params (§4.4.1,
 *      ds_params.c), resolving SUB_PROCESS, CONDITIONS and DEPENDENT;
 *   4. relations from preTasks (§4.5), with duplicate names resolved
 *      through `connects`;
 *   5. content hashes and versions, locations (§4.7), then the rows.
 *
 * Unlike DS's v200 upgrader, nothing here aborts other workflows: a row
 * that cannot be split is FERRY_EDATA for that row only (§10.1), and what
 * can be repaired is repaired with a warning.
 */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_int.h"
#include "ferry/mem.h"
#include "ferry/sha256.h"

const char *const ds_cols_process_definition[] = {
	"id", "code", "name", "version", "description", "project_code",
	"release_state", "user_id", "global_params", "flag", "locations",
	"warning_group_id", "timeout", "execution_type", "create_time",
	"update_time",
};
const size_t ds_ncols_process_definition =
	sizeof(ds_cols_process_definition) /
	sizeof(ds_cols_process_definition[0]);

const char *const ds_cols_process_definition_log[] = {
	"code", "name", "version", "description", "project_code",
	"release_state", "user_id", "global_params", "flag", "locations",
	"warning_group_id", "timeout", "execution_type", "operator",
	"operate_time", "create_time", "update_time",
};
const size_t ds_ncols_process_definition_log =
	sizeof(ds_cols_process_definition_log) /
	sizeof(ds_cols_process_definition_log[0]);

#define TASK_COLS                                                       \
	"code", "name", "version", "description", "project_code",       \
	"user_id", "task_type", "task_execute_type", "task_params",     \
	"flag", "is_cache", "task_priority", "worker_group",            \
	"environment_code", "fail_retry_times", "fail_retry_interval",  \
	"timeout_flag", "timeout_notify_strategy", "timeout",           \
	"delay_time", "resource_ids", "task_group_id",                  \
	"task_group_priority", "cpu_quota", "memory_max", "create_time", \
	"update_time"

const char *const ds_cols_task_definition[] = { TASK_COLS };
const size_t ds_ncols_task_definition =
	sizeof(ds_cols_task_definition) / sizeof(ds_cols_task_definition[0]);
const char *const ds_cols_task_definition_log[] = {
	TASK_COLS, "operator", "operate_time",
};
const size_t ds_ncols_task_definition_log =
	sizeof(ds_cols_task_definition_log) /
	sizeof(ds_cols_task_definition_log[0]);

#define RELATION_COLS                                                   \
	"name", "project_code", "process_definition_code",              \
	"process_definition_version", "pre_task_code",                  \
	"pre_task_version", "post_task_code", "post_task_version",      \
	"condition_type", "condition_params", "create_time", "update_time"

const char *const ds_cols_relation[] = { RELATION_COLS };
const size_t ds_ncols_relation =
	sizeof(ds_cols_relation) / sizeof(ds_cols_relation[0]);
const char *const ds_cols_relation_log[] = {
	RELATION_COLS, "operator", "operate_time",
};
const size_t ds_ncols_relation_log =
	sizeof(ds_cols_relation_log) / sizeof(ds_cols_relation_log[0]);

struct task {
	json_t *node;		/* borrowed from the parsed document */
	const char *id;		/* 1.3 "id", or NULL */
	const char *name;
	const char *type;
	char *key;		/* what env->task_code was asked for */
	int64_t code;
	int version;
	char hash[65];
	uint64_t hash64;
	struct ds_row row;	/* t_ds_task_definition being built */
};

#define ROOT SIZE_MAX

struct edge {
	size_t pre;		/* task index, or ROOT (pre_task_code 0) */
	size_t post;		/* task index */
};

/* a list of task indexes */
struct idxv {
	size_t *v;
	size_t n;
};

struct split {
	const struct ds_process_13 *row;
	const struct ds_env *env;
	struct ds_split_result *res;
	struct ds_report *rep;
	char *where;		/* "process definition 7 \"x\": " */
	int64_t id;
	json_t *doc;
	struct task *t;
	size_t nt;
	struct ds_smap names;	/* name -> index of the first such task */
	size_t *next_same;	/* next task of the same name, or SIZE_MAX */
	size_t *prev_same;	/* previous one, or SIZE_MAX */
	size_t *tail;		/* [first of a name]: last of that name */
	size_t *count;		/* [first of a name]: how many share it */
	struct ds_smap ids;	/* 1.3 id -> index of the first such task */
	bool connects_loaded;
	struct idxv *cin;	/* [task]: sources of its connects edges */
	struct idxv *cout;	/* [task]: targets of its connects edges */
	struct edge *edges;
	size_t nedges;
	size_t cur;		/* task being built, for name resolution */
	char *create_time, *update_time, *operator;
};

static bool blank(const char *s)
{
	if (!s)
		return true;
	s += strspn(s, " \t\r\n");
	return *s == '\0';
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* ---- connects: the only id-based edge list (spec §4.7) ------------- */

static void idxv_add(struct idxv *x, size_t i)
{
	x->v = xrealloc(x->v, (x->n + 1) * sizeof(*x->v));
	x->v[x->n++] = i;
}

static bool idxv_has(const struct idxv *x, size_t i)
{
	for (size_t k = 0; k < x->n; k++)
		if (x->v[k] == i)
			return true;
	return false;
}

/*
 * connects, the only id-based edge list (spec §4.7), as per-task lists of
 * canvas predecessors and successors.  Loaded only when a name is
 * ambiguous: most workflows never need it.
 */
static void load_connects(struct split *s)
{
	json_t *doc, *v;
	size_t i, a, b;
	struct err ignore;

	s->connects_loaded = true;
	s->cin = xcalloc(s->nt ? s->nt : 1, sizeof(*s->cin));
	s->cout = xcalloc(s->nt ? s->nt : 1, sizeof(*s->cout));
	if (blank(s->row->connects))
		return;
	doc = ds_json_load(s->row->connects, "connects", &ignore);
	if (!json_is_array(doc)) {
		ds_warn(s->rep, "%sconnects is not a JSON array: duplicate task"
			" names cannot be told apart by it", s->where);
		json_decref(doc);
		return;
	}
	json_array_foreach(doc, i, v) {
		const char *src = ds_json_str(v, "endPointSourceId");
		const char *dst = ds_json_str(v, "endPointTargetId");

		if (!src || !dst || !ds_smap_get(&s->ids, src, &a) ||
		    !ds_smap_get(&s->ids, dst, &b) || idxv_has(&s->cout[a], b))
			continue;
		idxv_add(&s->cout[a], b);
		idxv_add(&s->cin[b], a);
	}
	json_decref(doc);
}

static int cmp_size(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	return a < b ? -1 : a > b;
}

/*
 * A name of this workflow, seen from task s->cur, -> task indexes.  1.3
 * refers to tasks only by name; with duplicate names (spec §4.5, §10.13)
 * the canvas edges in `connects` say which node was meant, else the last
 * node of that name is taken, as 1.3's name-keyed DAG did.  A task is
 * never its own reference.  Cost: O(canvas edges of the task), so that a
 * hostile workflow of thousands of same-named tasks stays linear-ish.
 */
static void resolve(struct split *s, const char *name, enum ds_dir dir,
		    struct idxv *out)
{
	const struct task *me = &s->t[s->cur];
	size_t first, ncand, last, before = out->n;
	const struct idxv *near;

	if (!ds_smap_get(&s->names, name, &first))
		return;
	ncand = s->count[first] - (strcmp(me->name, name) == 0);
	last = s->tail[first];
	if (last == s->cur)
		last = s->prev_same[last];
	if (ncand <= 1) {
		if (ncand)
			idxv_add(out, last);
		return;
	}
	if (!s->connects_loaded)
		load_connects(s);
	near = dir == DS_UP ? &s->cin[s->cur] : &s->cout[s->cur];
	for (size_t k = 0; k < near->n; k++)
		if (near->v[k] != s->cur &&
		    strcmp(s->t[near->v[k]].name, name) == 0)
			idxv_add(out, near->v[k]);
	if (out->n > before) {
		/* task order, whatever the order of connects */
		qsort(out->v + before, out->n - before, sizeof(*out->v),
		      cmp_size);
		return;
	}
	ds_warn(s->rep, "%stask \"%s\" refers to \"%s\", a name %zu tasks "
		"share, and connects does not tell which: using the last one "
		"(%s), as the 1.3 DAG did", s->where, me->name, name, ncand,
		s->t[last].key);
	idxv_add(out, last);
}

/* The same for task params (ds_local_fn): codes instead of indexes. */
static int split_local(void *lctx, const char *name, enum ds_dir dir,
		       json_t *codes, struct err *e)
{
	struct split *s = lctx;
	struct idxv x = { NULL, 0 };

	(void)e;
	resolve(s, name, dir, &x);
	for (size_t k = 0; k < x.n; k++)
		json_array_append_new(codes, json_integer(s->t[x.v[k]].code));
	free(x.v);
	return x.n > INT_MAX ? INT_MAX : (int)x.n;
}

/* ---- step 2: task keys and codes ----------------------------------- */

static int take_tasks(struct split *s, json_t *tasks, struct err *e)
{
	struct ds_smap keys;
	size_t i, first, n1;
	json_t *node;
	int rc = 0;

	s->nt = json_array_size(tasks);
	n1 = s->nt ? s->nt : 1;
	s->t = xcalloc(n1, sizeof(*s->t));
	s->next_same = xcalloc(n1, sizeof(*s->next_same));
	s->prev_same = xcalloc(n1, sizeof(*s->prev_same));
	s->tail = xcalloc(n1, sizeof(*s->tail));
	s->count = xcalloc(n1, sizeof(*s->count));
	ds_smap_init(&keys);
	json_array_foreach(tasks, i, node) {
		struct task *t = &s->t[i];

		if (!json_is_object(node)) {
			rc = err_set(e, FERRY_EDATA, "%stask %zu is not a JSON "
				     "object", s->where, i + 1);
			goto out;
		}
		ds_node_unstringify(node);
		t->node = node;
		t->name = ds_json_str(node, "name");
		t->type = ds_json_str(node, "type");
		t->id = ds_json_str(node, "id");
		if (!t->name) {
			rc = err_set(e, FERRY_EDATA, "%stask %zu (%s) has no "
				     "name: 1.3 refers to tasks by name",
				     s->where, i + 1, t->id ? t->id : "no id");
			goto out;
		}
		if (!t->type || !*t->type) {
			/* task_type is NOT NULL in 3.2 and picks the plugin */
			rc = err_set(e, FERRY_EDATA, "%stask \"%s\" has no "
				     "type", s->where, t->name);
			goto out;
		}
		/* the 1.3 id is the stable key (spec §1.1), the name the
		 * fallback; a repeated key gets "#n" so that every node keeps
		 * a code of its own */
		t->key = xstrdup(t->id ? t->id : t->name);
		for (int n = 2; !ds_smap_put(&keys, t->key, i); n++) {
			free(t->key);
			t->key = ds_strfmt("%s#%d", t->id ? t->id : t->name, n);
		}
		if (strcmp(t->key, t->id ? t->id : t->name) != 0)
			ds_warn(s->rep, "%stask \"%s\": key \"%s\" is used by "
				"an earlier task too: keyed \"%s\"", s->where,
				t->name, t->id ? t->id : t->name, t->key);
		if (t->id)
			ds_smap_put(&s->ids, t->id, i);
		/* chain of same-named tasks, in task order */
		s->next_same[i] = SIZE_MAX;
		s->prev_same[i] = SIZE_MAX;
		if (ds_smap_put(&s->names, t->name, i)) {
			s->tail[i] = i;
			s->count[i] = 1;
		} else {
			ds_smap_get(&s->names, t->name, &first);
			s->next_same[s->tail[first]] = i;
			s->prev_same[i] = s->tail[first];
			s->tail[first] = i;
			s->count[first]++;
			if (s->count[first] == 2)
				ds_warn(s->rep, "%stask name \"%s\" is used by "
					"more than one task: each keeps its "
					"own code; references to the name are "
					"resolved through connects", s->where,
					t->name);
		}
		err_clear(e);
		rc = s->env->task_code(s->env->ctx, s->id, t->key, &t->code, e);
		if (rc) {
			ds_fail(e, rc, "%stask \"%s\" code", s->where, t->name);
			goto out;
		}
	}
out:
	/* `keys` borrows the t->key strings; only the table goes */
	ds_smap_release(&keys);
	return rc;
}

/* ---- step 3: task definition columns (spec §4.4) ------------------- */

static int priority_code(struct split *s, const struct task *t)
{
	static const char *const names[] = {
		"HIGHEST", "HIGH", "MEDIUM", "LOW", "LOWEST",
	};
	json_t *v = json_object_get(t->node, "taskInstancePriority");
	int64_t n;

	if (!v || json_is_null(v))
		return 2;
	if (json_is_string(v))
		for (int i = 0; i < 5; i++)
			if (strcmp(json_string_value(v), names[i]) == 0)
				return i;
	if (ds_json_int(v, &n) && n >= 0 && n <= 4)
		return (int)n;
	/* DS crashes on an unknown name; MEDIUM is 1.3's default */
	ds_warn(s->rep, "%stask \"%s\": unknown taskInstancePriority: MEDIUM "
		"used", s->where, t->name);
	return 2;
}

/* int(maxRetryTimes) / int(retryInterval): numbers or numeric strings */
static int64_t int_or(struct split *s, const struct task *t, const char *key,
		      int64_t dflt)
{
	json_t *v = json_object_get(t->node, key);
	int64_t n;

	if (!v || json_is_null(v))
		return dflt;
	if (ds_json_int(v, &n) && n >= INT32_MIN && n <= INT32_MAX)
		return n;
	ds_warn(s->rep, "%stask \"%s\": %s is not an integer: %" PRId64
		" used", s->where, t->name, key, dflt);
	return dflt;
}

static bool truthy(const json_t *v)
{
	if (json_is_true(v))
		return true;
	if (json_is_string(v))
		return strcmp(json_string_value(v), "true") == 0;
	return json_is_integer(v) && json_integer_value(v) != 0;
}

static int worker_group(struct split *s, const struct task *t, char **out,
			struct err *e)
{
	const char *wg = ds_json_str(t->node, "workerGroup");
	int64_t id;
	int rc;

	*out = NULL;
	if (wg && *wg) {
		*out = xstrdup(wg);
		return 0;
	}
	/* 1.2-era nodes carry only the id; -1 meant "any worker" */
	if (ds_json_int(json_object_get(t->node, "workerGroupId"), &id) &&
	    id >= 0) {
		err_clear(e);
		rc = s->env->worker_group_name ?
			s->env->worker_group_name(s->env->ctx, id, out, e) :
			FERRY_ENOTFOUND;
		if (rc == 0 && *out)
			return 0;
		if (rc && rc != FERRY_ENOTFOUND)
			return ds_fail(e, rc, "%stask \"%s\" worker group",
				       s->where, t->name);
		err_clear(e);
		ds_warn(s->rep, "%stask \"%s\": worker group id %" PRId64
			" is not known: \"default\" used", s->where, t->name,
			id);
	}
	*out = xstrdup("default");
	return 0;
}

static int build_task(struct split *s, size_t i, struct err *e)
{
	struct task *t = &s->t[i];
	struct ds_row *r = &t->row;
	struct ds_pctx c;
	const char *desc, *rf, *strategy;
	json_t *params = NULL, *to;
	int64_t interval = 0;
	int tflag = 0, tstrat = 0;
	char *wg;
	int rc;

	ds_row_init(r, "t_ds_task_definition", ds_cols_task_definition,
		    ds_ncols_task_definition);
	memset(&c, 0, sizeof(c));
	c.env = s->env;
	c.process_id = s->id;
	c.rep = s->rep;
	c.where = s->where;
	c.task_name = t->name;
	c.task_type = t->type;
	c.local = split_local;
	c.lctx = s;
	buf_init(&c.resource_ids, 0);
	s->cur = i;
	rc = ds_build_params(&c, t->node, &params, e);
	if (rc)
		goto out;
	ds_row_put(r, "task_params", ds_json_dump(params, JSON_COMPACT));
	ds_row_put(r, "resource_ids", buf_detach(&c.resource_ids, NULL));

	ds_row_put(r, "code", ds_fmt_i64(t->code));
	ds_row_put(r, "name", xstrdup(t->name));
	desc = ds_json_str(t->node, "description");
	if (!desc)
		desc = ds_json_str(t->node, "desc");
	ds_row_put(r, "description", xstrdup(desc ? desc : ""));
	ds_row_put(r, "project_code", ds_fmt_i64(s->res->project_code));
	ds_row_put(r, "user_id", dup_or_null(s->row->user_id));
	ds_row_put(r, "task_type", xstrdup(t->type));
	ds_row_put(r, "task_execute_type", xstrdup("0"));	/* BATCH */
	/* 1.3 forbids only on "FORBIDDEN" (TaskNode.isForbidden) */
	rf = ds_json_str(t->node, "runFlag");
	ds_row_put(r, "flag", xstrdup(rf && strcmp(rf, "FORBIDDEN") == 0 ?
				      "0" : "1"));
	ds_row_put(r, "is_cache", xstrdup("0"));
	ds_row_put(r, "task_priority", ds_fmt_i64(priority_code(s, t)));
	rc = worker_group(s, t, &wg, e);
	if (rc)
		goto out;
	ds_row_put(r, "worker_group", wg);
	ds_row_put(r, "environment_code", xstrdup("-1"));
	if (strcmp(t->type, "SUB_PROCESS") == 0) {
		/* DS: a sub-workflow task does not retry itself */
		ds_row_put(r, "fail_retry_times", xstrdup("0"));
		ds_row_put(r, "fail_retry_interval", xstrdup("1"));
	} else {
		ds_row_put(r, "fail_retry_times",
			   ds_fmt_i64(int_or(s, t, "maxRetryTimes", 0)));
		ds_row_put(r, "fail_retry_interval",
			   ds_fmt_i64(int_or(s, t, "retryInterval", 1)));
	}
	to = json_object_get(t->node, "timeout");
	if (json_is_object(to)) {
		strategy = ds_json_str(to, "strategy");
		if (strategy && strcmp(strategy, "WARN") == 0)
			tstrat = 0;
		else if (strategy && strcmp(strategy, "FAILED") == 0)
			tstrat = 1;
		else if (strategy && strcmp(strategy, "WARNFAILED") == 0)
			tstrat = 2;
		if (!ds_json_int(json_object_get(to, "interval"), &interval) ||
		    interval < 0 || interval > INT32_MAX)
			interval = 0;
		tflag = truthy(json_object_get(to, "enable"));
		if (tflag && interval <= 0) {
			/* a 0-minute timeout would fire at once in 3.2 */
			ds_warn(s->rep, "%stask \"%s\": timeout enabled "
				"without an interval: written disabled",
				s->where, t->name);
			tflag = 0;
		}
	}
	ds_row_put(r, "timeout_flag", ds_fmt_i64(tflag));
	ds_row_put(r, "timeout_notify_strategy", ds_fmt_i64(tstrat));
	ds_row_put(r, "timeout", ds_fmt_i64(interval));
	ds_row_put(r, "delay_time", xstrdup("0"));
	ds_row_put(r, "task_group_id", NULL);
	ds_row_put(r, "task_group_priority", xstrdup("0"));
	ds_row_put(r, "cpu_quota", xstrdup("-1"));
	ds_row_put(r, "memory_max", xstrdup("-1"));
	ds_row_put(r, "create_time", xstrdup(s->create_time));
	ds_row_put(r, "update_time", xstrdup(s->update_time));
out:
	buf_release(&c.resource_ids);
	json_decref(params);
	return rc;
}

/* ---- step 4: relations (spec §4.5) --------------------------------- */

static void add_edge(struct split *s, size_t pre, size_t post)
{
	/* a repeated preTasks name is one edge; this post's edges are the
	 * last ones added */
	for (size_t k = s->nedges; k-- > 0 && s->edges[k].post == post;)
		if (s->edges[k].pre == pre)
			return;
	s->edges = xrealloc(s->edges, (s->nedges + 1) * sizeof(*s->edges));
	s->edges[s->nedges].pre = pre;
	s->edges[s->nedges].post = post;
	s->nedges++;
}

static int build_edges(struct split *s, struct err *e)
{
	struct idxv x = { NULL, 0 };
	json_t *pre, *p;
	size_t i, j, before;

	for (i = 0; i < s->nt; i++) {
		struct task *t = &s->t[i];

		before = s->nedges;
		s->cur = i;
		pre = json_object_get(t->node, "preTasks");
		if (pre && !json_is_null(pre) && !json_is_array(pre)) {
			free(x.v);
			return err_set(e, FERRY_EDATA, "%stask \"%s\": "
				       "preTasks is not a JSON array",
				       s->where, t->name);
		}
		json_array_foreach(pre, j, p) {
			const char *name = json_is_string(p) ?
				json_string_value(p) : NULL;

			if (!name) {
				ds_warn(s->rep, "%stask \"%s\": a preTasks "
					"entry is not a name: dropped",
					s->where, t->name);
				continue;
			}
			x.n = 0;
			resolve(s, name, DS_UP, &x);
			/* 1.3's DAG ignored such edges too (DAG.addEdge on a
			 * missing node); DS crashes on them (§4.5) */
			if (x.n == 0)
				ds_warn(s->rep, "%stask \"%s\": preTasks names "
					"\"%s\", %s: edge dropped", s->where,
					t->name, name,
					strcmp(name, t->name) == 0 ?
					"the task itself" :
					"which matches no task");
			for (size_t k = 0; k < x.n; k++)
				add_edge(s, x.v[k], i);
		}
		/* a task left without predecessors is a root */
		if (s->nedges == before)
			add_edge(s, ROOT, i);
	}
	free(x.v);
	return 0;
}

/* ---- step 5: locations (spec §4.7) --------------------------------- */

static bool coord(const json_t *v, int64_t *out)
{
	double d;

	if (json_is_real(v)) {
		d = json_real_value(v);
		if (!isfinite(d) || fabs(d) > 1e15)
			return false;
		*out = (int64_t)llround(d);
		return true;
	}
	return ds_json_int(v, out);
}

static char *build_locations(struct split *s)
{
	json_t *doc, *a, *ent;
	const char *key;
	size_t i, unknown = 0, bad = 0;
	struct err ignore;
	int64_t x, y;
	char *out;

	/* DS keeps empty or unparsable text as is; a 3.2 reader then fails
	 * on 1.3 text, so such values become NULL (spec §4.7, daemon) */
	if (blank(s->row->locations))
		return NULL;
	doc = ds_json_load(s->row->locations, "locations", &ignore);
	if (!json_is_object(doc)) {
		ds_warn(s->rep, "%slocations is not a JSON object: written as "
			"NULL", s->where);
		json_decref(doc);
		return NULL;
	}
	a = json_array();
	for (i = 0; i < s->nt; i++) {
		size_t first;

		if (!s->t[i].id || !ds_smap_get(&s->ids, s->t[i].id, &first) ||
		    first != i)
			continue;
		ent = json_object_get(doc, s->t[i].id);
		if (!ent)
			continue;
		if (!coord(json_object_get(ent, "x"), &x) ||
		    !coord(json_object_get(ent, "y"), &y)) {
			bad++;
			continue;
		}
		json_array_append_new(a, json_pack("{sIsIsI}", "taskCode",
						   (json_int_t)s->t[i].code,
						   "x", (json_int_t)x,
						   "y", (json_int_t)y));
	}
	json_object_foreach(doc, key, ent) {
		size_t idx;

		if (!ds_smap_get(&s->ids, key, &idx))
			unknown++;
	}
	if (unknown)
		ds_warn(s->rep, "%slocations: %zu entr%s name no task: dropped",
			s->where, unknown, unknown == 1 ? "y" : "ies");
	if (bad)
		ds_warn(s->rep, "%slocations: %zu entr%s without numeric x/y: "
			"dropped", s->where, bad, bad == 1 ? "y" : "ies");
	out = ds_json_dump(a, JSON_COMPACT);
	json_decref(a);
	json_decref(doc);
	return out;
}

/* ---- the workflow rows (spec §4.3) --------------------------------- */

static char *global_params(struct split *s)
{
	json_t *v = json_object_get(s->doc, "globalParams");
	struct err ignore;
	char *out;

	if (json_is_string(v)) {
		/* stringified like task_json's nested values */
		json_t *inner = ds_json_load(json_string_value(v),
					     "globalParams", &ignore);

		if (json_is_array(inner)) {
			out = ds_json_dump(inner, JSON_COMPACT);
			json_decref(inner);
			return out;
		}
		json_decref(inner);
	}
	if (json_is_array(v))
		return ds_json_dump(v, JSON_COMPACT);
	if (v && !json_is_null(v))
		ds_warn(s->rep, "%sglobalParams is not a JSON array: ignored",
			s->where);
	/* pre-1.2 JSON lacks the key; the column holds the same list */
	if (!blank(s->row->global_params)) {
		json_t *col = ds_json_load(s->row->global_params,
					   "global_params", &ignore);

		if (json_is_array(col)) {
			out = ds_json_dump(col, JSON_COMPACT);
			json_decref(col);
			return out;
		}
		json_decref(col);
	}
	return xstrdup("[]");
}

static int64_t wf_timeout(struct split *s)
{
	int64_t n;

	if (ds_json_int(json_object_get(s->doc, "timeout"), &n) && n >= 0 &&
	    n <= INT32_MAX)
		return n;
	if (ds_text_int(s->row->timeout, &n) && n >= 0 && n <= INT32_MAX)
		return n;
	return 0;
}

static void put_process_cols(struct split *s, struct ds_row *r,
			     const char *locations, const char *gp)
{
	struct ds_split_result *res = s->res;

	ds_row_put(r, "code", ds_fmt_i64(res->process_code));
	ds_row_put(r, "name", dup_or_null(s->row->name));
	ds_row_put(r, "version", ds_fmt_i64(res->process_version));
	ds_row_put(r, "description", dup_or_null(s->row->description));
	ds_row_put(r, "project_code", ds_fmt_i64(res->project_code));
	ds_row_put(r, "release_state", dup_or_null(s->row->release_state));
	ds_row_put(r, "user_id", dup_or_null(s->row->user_id));
	ds_row_put(r, "global_params", xstrdup(gp));
	ds_row_put(r, "flag", dup_or_null(s->row->flag));
	ds_row_put(r, "locations", dup_or_null(locations));
	ds_row_put(r, "warning_group_id", NULL);
	ds_row_put(r, "timeout", ds_fmt_i64(wf_timeout(s)));
	ds_row_put(r, "execution_type", xstrdup("0"));	/* parallel */
	ds_row_put(r, "create_time", xstrdup(s->create_time));
	ds_row_put(r, "update_time", xstrdup(s->update_time));
}

/* The _log twin of a main-table row: same values + operator columns. */
static void log_copy(struct split *s, const struct ds_row *main,
		     struct ds_row *log, const char *table,
		     const char *const *cols, size_t ncols)
{
	bool found;

	ds_row_init(log, table, cols, ncols);
	for (size_t i = 0; i < ncols; i++) {
		const char *v = ds_row_get(main, cols[i], &found);

		if (found)
			log->vals[i] = dup_or_null(v);
	}
	ds_row_put(log, "operator", dup_or_null(s->operator));
	ds_row_put(log, "operate_time", xstrdup(s->update_time));
}

static int versions(struct split *s, struct err *e)
{
	struct buf b;
	char hash[65], first16[17];
	int rc;

	for (size_t i = 0; i < s->nt; i++) {
		struct task *t = &s->t[i];

		buf_init(&b, 0);
		if (ds_canon_task_line(&t->row, &b)) {
			buf_release(&b);
			return err_set(e, FERRY_ENOMEM, "%stask \"%s\": "
				       "canonical text too large", s->where,
				       t->name);
		}
		sha256_hex(b.data, b.len, hash);
		buf_release(&b);
		memcpy(first16, hash, 16);
		first16[16] = '\0';
		t->hash64 = strtoull(first16, NULL, 16);
		if (t->hash64 == 0)
			t->hash64 = 1;	/* 0 means "no hash" in the id map */
		t->version = 1;
		if (s->env->task_version) {
			err_clear(e);
			rc = s->env->task_version(s->env->ctx, t->code, hash,
						  t->hash64, &t->version, e);
			if (rc)
				return ds_fail(e, rc, "%stask \"%s\" version",
					       s->where, t->name);
		}
		ds_row_put(&t->row, "version", ds_fmt_i64(t->version));
		memcpy(t->hash, hash, sizeof(hash));
	}
	return 0;
}

static void emit_relation(struct split *s, const struct edge *ed)
{
	struct ds_split_result *res = s->res;
	struct ds_row *r = ds_rowset_add(&res->relations);
	const struct task *post = &s->t[ed->post];
	const struct task *pre = ed->pre == ROOT ? NULL : &s->t[ed->pre];

	ds_row_init(r, "t_ds_process_task_relation", ds_cols_relation,
		    ds_ncols_relation);
	ds_row_put(r, "name", xstrdup(""));
	ds_row_put(r, "project_code", ds_fmt_i64(res->project_code));
	ds_row_put(r, "process_definition_code",
		   ds_fmt_i64(res->process_code));
	ds_row_put(r, "process_definition_version",
		   ds_fmt_i64(res->process_version));
	/* a root's predecessor is code 0, version 0 (spec §4.5) */
	ds_row_put(r, "pre_task_code", ds_fmt_i64(pre ? pre->code : 0));
	ds_row_put(r, "pre_task_version", ds_fmt_i64(pre ? pre->version : 0));
	ds_row_put(r, "post_task_code", ds_fmt_i64(post->code));
	ds_row_put(r, "post_task_version", ds_fmt_i64(post->version));
	ds_row_put(r, "condition_type", xstrdup("0"));	/* NONE */
	ds_row_put(r, "condition_params", xstrdup("{}"));
	ds_row_put(r, "create_time", xstrdup(s->create_time));
	ds_row_put(r, "update_time", xstrdup(s->update_time));
	log_copy(s, r, ds_rowset_add(&res->relations_log),
		 "t_ds_process_task_relation_log", ds_cols_relation_log,
		 ds_ncols_relation_log);
}

static void emit(struct split *s)
{
	struct ds_split_result *res = s->res;
	char *loc = build_locations(s);
	char *gp = global_params(s);

	ds_row_init(&res->process, "t_ds_process_definition",
		    ds_cols_process_definition, ds_ncols_process_definition);
	ds_row_put(&res->process, "id", ds_fmt_i64(s->id));
	put_process_cols(s, &res->process, loc, gp);
	log_copy(s, &res->process, &res->process_log,
		 "t_ds_process_definition_log", ds_cols_process_definition_log,
		 ds_ncols_process_definition_log);
	free(loc);
	free(gp);

	res->tasks.rows = xcalloc(s->nt ? s->nt : 1, sizeof(struct ds_row));
	res->task_info = xcalloc(s->nt ? s->nt : 1, sizeof(*res->task_info));
	for (size_t i = 0; i < s->nt; i++) {
		struct ds_task_info *ti = &res->task_info[i];

		ti->name = xstrdup(s->t[i].name);
		ti->key = xstrdup(s->t[i].key);
		ti->type = xstrdup(s->t[i].type);
		ti->code = s->t[i].code;
		ti->version = s->t[i].version;
		memcpy(ti->hash, s->t[i].hash, sizeof(ti->hash));
		ti->hash64 = s->t[i].hash64;
		/* the row moves into the result */
		res->tasks.rows[i] = s->t[i].row;
		memset(&s->t[i].row, 0, sizeof(s->t[i].row));
		res->tasks.n++;
		log_copy(s, &res->tasks.rows[i],
			 ds_rowset_add(&res->tasks_log),
			 "t_ds_task_definition_log",
			 ds_cols_task_definition_log,
			 ds_ncols_task_definition_log);
	}
	for (size_t i = 0; i < s->nedges; i++)
		emit_relation(s, &s->edges[i]);
}

/* ---- entry --------------------------------------------------------- */

static int prepare(struct split *s, struct err *e)
{
	const struct ds_process_13 *row = s->row;
	int64_t n;
	int rc;

	if (!ds_text_int(row->id, &s->id))
		return err_set(e, FERRY_EDATA, "process definition with id "
			       "\"%s\": id is not an integer",
			       row->id ? row->id : "NULL");
	s->where = row->name ?
		ds_strfmt("process definition %" PRId64 " \"%s\": ", s->id,
			  row->name) :
		ds_strfmt("process definition %" PRId64 ": ", s->id);
	if (!s->env->project_code || !s->env->process_code ||
	    !s->env->task_code)
		return err_set(e, FERRY_EINVAL, "%sthe env lacks project_code, "
			       "process_code or task_code", s->where);
	/* 3.2 create_time / update_time are NOT NULL (spec §3.7) */
	s->create_time = dup_or_null(row->create_time ? row->create_time :
				     row->update_time ? row->update_time :
				     row->now);
	s->update_time = dup_or_null(row->update_time ? row->update_time :
				     row->create_time ? row->create_time :
				     row->now);
	if (!s->create_time || !s->update_time)
		return err_set(e, FERRY_EINVAL, "%sno create_time, no "
			       "update_time and no fallback time", s->where);
	/* operator: the user named by modify_by, else the owner (§4.3) */
	s->operator = row->operator_id > 0 ? ds_fmt_i64(row->operator_id) :
		dup_or_null(row->user_id);
	s->res->process_version = row->version_32 > 0 ? row->version_32 : 1;
	if (!ds_text_int(row->project_id, &n))
		return err_set(e, FERRY_EDATA, "%sproject_id is not an integer",
			       s->where);
	if (!row->process_definition_json)
		return err_set(e, FERRY_EDATA, "%sprocess_definition_json is "
			       "NULL", s->where);
	s->doc = ds_json_load(row->process_definition_json,
			      "process_definition_json", e);
	if (!s->doc)
		return ds_fail(e, FERRY_EDATA, "%s", s->where);
	if (!json_is_object(s->doc))
		return err_set(e, FERRY_EDATA, "%sprocess_definition_json is "
			       "not a JSON object", s->where);
	if (!json_is_array(json_object_get(s->doc, "tasks")))
		return err_set(e, FERRY_EDATA, "%sprocess_definition_json has "
			       "no \"tasks\" array", s->where);
	err_clear(e);
	rc = s->env->project_code(s->env->ctx, n, &s->res->project_code, e);
	if (rc)
		return ds_fail(e, rc, "%sproject %" PRId64, s->where, n);
	err_clear(e);
	rc = s->env->process_code(s->env->ctx, s->id, &s->res->process_code,
				  e);
	if (rc)
		return ds_fail(e, rc, "%scode", s->where);
	if (!blank(row->receivers) || !blank(row->receivers_cc))
		ds_warn(s->rep, "%sworkflow receivers / receivers_cc have no "
			"3.2 equivalent: dropped (alert groups carry mail now)",
			s->where);
	return 0;
}

static void split_release(struct split *s)
{
	for (size_t i = 0; i < s->nt; i++) {
		free(s->t[i].key);
		ds_row_release(&s->t[i].row);
	}
	for (size_t i = 0; s->cin && i < s->nt; i++) {
		free(s->cin[i].v);
		free(s->cout[i].v);
	}
	free(s->cin);
	free(s->cout);
	free(s->t);
	free(s->next_same);
	free(s->prev_same);
	free(s->tail);
	free(s->count);
	ds_smap_release(&s->names);
	ds_smap_release(&s->ids);
	free(s->edges);
	free(s->where);
	free(s->create_time);
	free(s->update_time);
	free(s->operator);
	json_decref(s->doc);
}

int ds_split(const struct ds_process_13 *row, const struct ds_env *env,
	     struct ds_split_result *res, struct err *e)
{
	struct split s;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	s.row = row;
	s.env = env;
	s.res = res;
	s.rep = &res->report;
	ds_smap_init(&s.names);
	ds_smap_init(&s.ids);
	rc = prepare(&s, e);
	if (rc)
		goto out;
	rc = take_tasks(&s, json_object_get(s.doc, "tasks"), e);
	if (rc)
		goto out;
	for (size_t i = 0; i < s.nt && rc == 0; i++)
		rc = build_task(&s, i, e);
	if (rc == 0)
		rc = build_edges(&s, e);
	if (rc == 0)
		rc = versions(&s, e);
	if (rc == 0)
		emit(&s);
out:
	split_release(&s);
	if (rc)
		ds_split_result_release(res);
	return rc;
}

void ds_split_result_release(struct ds_split_result *res)
{
	size_t n = res->tasks.n;	/* task_info has as many entries */

	ds_row_release(&res->process);
	ds_row_release(&res->process_log);
	ds_rowset_release(&res->tasks);
	ds_rowset_release(&res->tasks_log);
	ds_rowset_release(&res->relations);
	ds_rowset_release(&res->relations_log);
	for (size_t i = 0; res->task_info && i < n; i++) {
		free(res->task_info[i].name);
		free(res->task_info[i].key);
		free(res->task_info[i].type);
	}
	free(res->task_info);
	ds_report_release(&res->report);
	memset(res, 0, sizeof(*res));
}
