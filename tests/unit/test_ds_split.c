/*
 * test_ds_split.c - the DolphinScheduler 1.3 -> 3.2 split (ds_split.h)
 * against every sample in tests/fixtures/dolphinscheduler/process_json/.
 *
 * Layout:
 *  - a fake struct ds_env with in-memory maps and deterministic codes
 *    (projects 1000000 + id, workflows 2000000 + id, tasks minted from
 *    3000001 in call order, named tasks of other workflows registered per
 *    test);
 *  - generic checks every sample goes through: NOT NULL columns, relation
 *    invariants (spec §11), task_params compared key by key with the 1.3
 *    params (the documented rewrites applied), locations compared with the
 *    sidecar;
 *  - one table per full process definition: tasks, columns, edges by task
 *    id, parameter paths after rewriting, warnings, unresolved references;
 *  - one table per task-node sample, wrapped into a one-task definition;
 *  - the odd cases of SOURCES.md, instances, datasources, commands,
 *    determinism and the verify digests.
 *
 * The fixture directory is read at run time (cwd = repository root); if it
 * is missing the tests fail, they do not skip.
 */
#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/ds_split.h"
#include "ferry/err.h"
#include "harness.h"

#define FIXDIR "tests/fixtures/dolphinscheduler/process_json/"
#define TIME "2021-03-04 05:06:07"

/* ---- fake env ------------------------------------------------------ */

struct fake_task {
	int64_t pid;
	char *key;
	int64_t code;
};

struct fake_dep {
	int64_t pid;
	const char *name;
	int64_t code;
};

struct fake {
	int64_t unknown_projects[8];
	size_t nunknown_projects;
	int64_t unknown_processes[8];
	size_t nunknown_processes;
	int64_t unknown_resources[8];
	size_t nunknown_resources;
	struct fake_task tasks[8192];
	size_t ntasks;
	struct fake_dep deps[16];
	size_t ndeps;
	bool read_only;		/* task_code answers ENOTFOUND for new keys */
	int fail_task_code;	/* != 0: task_code fails with this */
	int version;		/* task_version answer; 0: no callback */
	int calls_task_code;
};

static bool has_id(const int64_t *v, size_t n, int64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static int f_project(void *ctx, int64_t id, int64_t *code, struct err *e)
{
	struct fake *f = ctx;

	if (has_id(f->unknown_projects, f->nunknown_projects, id))
		return err_set(e, FERRY_ENOTFOUND, "no project %lld",
			       (long long)id);
	*code = 1000000 + id;
	return 0;
}

static int f_process(void *ctx, int64_t id, int64_t *code, struct err *e)
{
	struct fake *f = ctx;

	if (has_id(f->unknown_processes, f->nunknown_processes, id))
		return err_set(e, FERRY_ENOTFOUND, "no process %lld",
			       (long long)id);
	*code = 2000000 + id;
	return 0;
}

static int f_task(void *ctx, int64_t pid, const char *key, int64_t *code,
		  struct err *e)
{
	struct fake *f = ctx;

	f->calls_task_code++;
	if (f->fail_task_code)
		return err_set(e, f->fail_task_code, "id map is broken");
	for (size_t i = 0; i < f->ntasks; i++)
		if (f->tasks[i].pid == pid && strcmp(f->tasks[i].key, key) == 0) {
			*code = f->tasks[i].code;
			return 0;
		}
	if (f->read_only)
		return err_set(e, FERRY_ENOTFOUND, "no task \"%s\"", key);
	if (f->ntasks == sizeof(f->tasks) / sizeof(f->tasks[0]))
		return err_set(e, FERRY_EFULL, "fake id map full");
	f->tasks[f->ntasks].pid = pid;
	f->tasks[f->ntasks].key = strdup(key);
	f->tasks[f->ntasks].code = 3000001 + (int64_t)f->ntasks;
	*code = f->tasks[f->ntasks++].code;
	return 0;
}

static int f_dep(void *ctx, int64_t pid, const char *name, int64_t *code,
		 struct err *e)
{
	struct fake *f = ctx;

	for (size_t i = 0; i < f->ndeps; i++)
		if (f->deps[i].pid == pid && strcmp(f->deps[i].name, name) == 0) {
			*code = f->deps[i].code;
			return 0;
		}
	return err_set(e, FERRY_ENOTFOUND, "no task \"%s\"", name);
}

#define RES_PREFIX "hdfs://nn:8020/dolphinscheduler/t1/resources/"

static int f_resource(void *ctx, int64_t id, const char *res, bool udf,
		      char **path, struct err *e)
{
	struct fake *f = ctx;
	char s[512];

	(void)udf;
	if (id >= 0 && has_id(f->unknown_resources, f->nunknown_resources, id))
		return err_set(e, FERRY_ENOTFOUND, "no resource %lld",
			       (long long)id);
	if (id >= 0)
		snprintf(s, sizeof(s), RES_PREFIX "r%lld", (long long)id);
	else
		snprintf(s, sizeof(s), RES_PREFIX "%s", res);
	*path = strdup(s);
	return 0;
}

static int f_wg(void *ctx, int64_t id, char **name, struct err *e)
{
	(void)ctx;
	if (id == 3) {
		*name = strdup("wg-three");
		return 0;
	}
	return err_set(e, FERRY_ENOTFOUND, "no worker group %lld",
		       (long long)id);
}

static int f_version(void *ctx, int64_t code, const char *hash,
		     uint64_t hash64, int *v, struct err *e)
{
	struct fake *f = ctx;
	char first16[17];

	(void)code;
	(void)e;
	snprintf(first16, sizeof(first16), "%s", hash);
	/* hash64 is the hex hash's first 8 bytes */
	if (strlen(hash) != 64 || hash64 != strtoull(first16, NULL, 16))
		return FERRY_EINVAL;
	*v = f->version;
	return 0;
}

static struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	/* hello_flow_0's DEPENDENT names these tasks of workflow 2 */
	f->deps[f->ndeps++] = (struct fake_dep){ 2, "dws_okcard_user",
						 4000001 };
	f->deps[f->ndeps++] = (struct fake_dep){ 5, "SqlTask-Update",
						 4000002 };
	f->deps[f->ndeps++] = (struct fake_dep){ 7, "shell-1", 4000003 };
	return f;
}

static void fake_free(struct fake *f)
{
	for (size_t i = 0; i < f->ntasks; i++)
		free(f->tasks[i].key);
	free(f);
}

static struct ds_env fake_env(struct fake *f)
{
	struct ds_env env = {
		.ctx = f,
		.project_code = f_project,
		.process_code = f_process,
		.task_code = f_task,
		.dep_task_code = f_dep,
		.resource_path = f_resource,
		.worker_group_name = f_wg,
		.task_version = f->version ? f_version : NULL,
		.sql_group_id = 7,
	};
	return env;
}

static int64_t code_of(const struct fake *f, int64_t pid, const char *key)
{
	for (size_t i = 0; i < f->ntasks; i++)
		if (f->tasks[i].pid == pid && strcmp(f->tasks[i].key, key) == 0)
			return f->tasks[i].code;
	harness_fail(__FILE__, __LINE__, "no code for task key \"%s\"", key);
}

/* ---- fixtures ------------------------------------------------------ */

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *s;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	s = malloc((size_t)n + 1);
	if (fread(s, 1, (size_t)n, fp) != (size_t)n)
		n = 0;
	s[n] = '\0';
	fclose(fp);
	return s;
}

static char *fixture(const char *name)
{
	char path[512];
	char *s;

	snprintf(path, sizeof(path), FIXDIR "%s", name);
	s = slurp(path);
	if (!s)
		harness_fail(__FILE__, __LINE__, "fixture %s is missing (tests "
			     "run from the repository root)", path);
	return s;
}

/* the sidecar "<stem>.<kind>.json" of pd_<stem>.json, or NULL */
static char *sidecar(const char *file, const char *kind)
{
	char path[512];
	size_t n = strlen(file) - strlen(".json");

	snprintf(path, sizeof(path), FIXDIR "%.*s.%s.json", (int)n, file,
		 kind);
	return slurp(path);
}

static json_t *jparse(const char *s)
{
	json_error_t je;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &je);

	if (!v)
		harness_fail(__FILE__, __LINE__, "bad JSON in test (%s): %s",
			     je.text, s);
	return v;
}

/* A task node wrapped into the smallest full definition. */
static char *wrap_node(const char *node)
{
	size_t n = strlen(node) + 128;
	char *s = malloc(n);

	snprintf(s, n, "{\"globalParams\":[],\"tasks\":[%s],\"tenantId\":-1,"
		 "\"timeout\":0}", node);
	return s;
}

struct input {
	char id[24];
	struct ds_process_13 row;
	char *json, *locations, *connects;
};

static void input_init(struct input *in, int64_t id, char *json)
{
	memset(in, 0, sizeof(*in));
	snprintf(in->id, sizeof(in->id), "%lld", (long long)id);
	in->json = json;
	in->row.id = in->id;
	in->row.name = "wf";
	in->row.version = "0";
	in->row.release_state = "1";
	in->row.project_id = "1";
	in->row.user_id = "11";
	in->row.process_definition_json = json;
	in->row.description = "a workflow";
	in->row.global_params = "[]";
	in->row.flag = "1";
	in->row.create_time = TIME;
	in->row.update_time = "2022-01-02 03:04:05";
	in->row.tenant_id = "-1";
	in->row.timeout = "0";
	in->row.operator_id = 0;
}

static void input_file(struct input *in, const char *file, int64_t id)
{
	input_init(in, id, fixture(file));
	in->locations = sidecar(file, "locations");
	in->connects = sidecar(file, "connects");
	in->row.locations = in->locations;
	in->row.connects = in->connects;
}

static void input_release(struct input *in)
{
	free(in->json);
	free(in->locations);
	free(in->connects);
}

/* ---- generic checks ------------------------------------------------ */

static const char *val(const struct ds_row *r, const char *col)
{
	bool found;
	const char *v = ds_row_get(r, col, &found);

	if (!found)
		harness_fail(__FILE__, __LINE__, "%s has no column %s",
			     r->table, col);
	return v;
}

static long long ival(const struct ds_row *r, const char *col)
{
	const char *v = val(r, col);

	if (!v)
		harness_fail(__FILE__, __LINE__, "%s.%s is NULL", r->table, col);
	return atoll(v);
}

static size_t task_index(const struct ds_split_result *res, const char *key)
{
	for (size_t i = 0; i < res->tasks.n; i++)
		if (strcmp(res->task_info[i].key, key) == 0)
			return i;
	harness_fail(__FILE__, __LINE__, "no task keyed \"%s\"", key);
}

static bool has_warning(const struct ds_report *r, const char *needle)
{
	for (size_t i = 0; i < r->nwarnings; i++)
		if (strstr(r->warnings[i], needle))
			return true;
	return false;
}

static void dump_warnings(const struct ds_report *r)
{
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(stderr, "    warning: %s\n", r->warnings[i]);
}

/* columns NOT NULL in the 3.2.2 MySQL or PostgreSQL DDL, plus the ones
 * the 3.2 master dereferences (spec §11) */
static const char *const notnull_pd[] = {
	"id", "code", "version", "project_code", "create_time", "update_time",
};
static const char *const notnull_pdl[] = {
	"code", "version", "project_code", "create_time", "update_time",
};
static const char *const notnull_td[] = {
	"code", "version", "project_code", "task_type", "cpu_quota",
	"memory_max", "create_time", "update_time", "is_cache",
	"task_priority", "flag",
};
static const char *const notnull_rel[] = {
	"project_code", "process_definition_code",
	"process_definition_version", "pre_task_code", "pre_task_version",
	"post_task_code", "post_task_version", "create_time", "update_time",
};

#define NN(r, cols)                                                     \
	for (size_t k_ = 0; k_ < sizeof(cols) / sizeof(cols[0]); k_++)  \
		CHECK_MSG(val((r), cols[k_]) != NULL, "%s.%s is NULL",   \
			  (r)->table, cols[k_])

static void check_invariants(const struct ds_split_result *res)
{
	const struct ds_rowset *rel = &res->relations;

	NN(&res->process, notnull_pd);
	NN(&res->process_log, notnull_pdl);
	CHECK_INT_EQ(res->tasks.n, res->tasks_log.n);
	CHECK_INT_EQ(rel->n, res->relations_log.n);
	for (size_t i = 0; i < res->tasks.n; i++) {
		NN(&res->tasks.rows[i], notnull_td);
		NN(&res->tasks_log.rows[i], notnull_td);
		/* the log row is the main row plus operator columns */
		for (size_t c = 0; c < ds_ncols_task_definition; c++) {
			const char *a = res->tasks.rows[i].vals[c];
			const char *b = val(&res->tasks_log.rows[i],
					    ds_cols_task_definition[c]);

			CHECK((!a && !b) || (a && b && strcmp(a, b) == 0));
		}
		CHECK_STR_EQ(val(&res->tasks_log.rows[i], "operate_time"),
			     val(&res->process, "update_time"));
		/* codes are unique within the workflow */
		for (size_t j = 0; j < i; j++)
			CHECK(res->task_info[i].code != res->task_info[j].code);
		CHECK_INT_EQ(ival(&res->tasks.rows[i], "code"),
			     res->task_info[i].code);
		CHECK_INT_EQ(strlen(res->task_info[i].hash), 64);
	}
	for (size_t i = 0; i < rel->n; i++) {
		NN(&rel->rows[i], notnull_rel);
		NN(&res->relations_log.rows[i], notnull_rel);
		CHECK_INT_EQ(ival(&rel->rows[i], "process_definition_code"),
			     res->process_code);
		CHECK_INT_EQ(ival(&rel->rows[i], "condition_type"), 0);
		CHECK_STR_EQ(val(&rel->rows[i], "condition_params"), "{}");
		CHECK(ival(&rel->rows[i], "pre_task_code") !=
		      ival(&rel->rows[i], "post_task_code"));
		if (ival(&rel->rows[i], "pre_task_code") == 0)
			CHECK_INT_EQ(ival(&rel->rows[i], "pre_task_version"), 0);
		for (size_t j = 0; j < i; j++)
			CHECK(ival(&rel->rows[i], "pre_task_code") !=
			      ival(&rel->rows[j], "pre_task_code") ||
			      ival(&rel->rows[i], "post_task_code") !=
			      ival(&rel->rows[j], "post_task_code"));
	}
	/* every task is a post task; a root exactly once, with pre 0 */
	for (size_t t = 0; t < res->tasks.n; t++) {
		int posts = 0, roots = 0;

		for (size_t i = 0; i < rel->n; i++) {
			if (ival(&rel->rows[i], "post_task_code") !=
			    res->task_info[t].code)
				continue;
			posts++;
			if (ival(&rel->rows[i], "pre_task_code") == 0)
				roots++;
		}
		CHECK(posts >= 1);
		CHECK(roots == 0 || (roots == 1 && posts == 1));
	}
}

static bool yarn_type(const char *t)
{
	return !strcmp(t, "MR") || !strcmp(t, "SPARK") || !strcmp(t, "FLINK");
}

static bool is_resource_key(const char *k)
{
	return !strcmp(k, "resourceList") || !strcmp(k, "mainJar");
}

/* a ResourceInfo after the split: the 1.3 keys and "resourceName" */
static void check_resource(const struct fake *f, const json_t *in,
			   const json_t *out)
{
	const char *k;
	json_t *v;
	json_int_t id;
	char want[256];

	if (!json_is_object(in)) {
		CHECK(json_equal(in, out));	/* kept as it was */
		return;
	}
	CHECK(json_is_object(out));
	json_object_foreach((json_t *)in, k, v) {
		CHECK(json_equal(v, json_object_get(out, k)));
	}
	if (json_object_get(in, "resourceName"))
		return;
	v = json_object_get(in, "id");
	id = json_is_integer(v) ? json_integer_value(v) :
		json_is_string(v) ? atoll(json_string_value(v)) : -1;
	if ((id >= 0 &&
	     has_id(f->unknown_resources, f->nunknown_resources, id)) ||
	    (id < 0 && !json_is_string(json_object_get(in, "res")))) {
		CHECK(json_object_get(out, "resourceName") == NULL);
		return;
	}
	if (id >= 0)
		snprintf(want, sizeof(want), RES_PREFIX "r%lld",
			 (long long)id);
	else
		snprintf(want, sizeof(want), RES_PREFIX "%s",
			 json_string_value(json_object_get(in, "res")));
	CHECK_STR_EQ(json_string_value(json_object_get(out, "resourceName")),
		     want);
}

/*
 * task_params compared key by key with the 1.3 params: every key kept with
 * an equal value, except the documented rewrites, in the same order; only
 * the documented keys added.  conditionResult/dependence of DEPENDENT and
 * CONDITIONS are the tables' business.
 */
static void check_params(const struct fake *f, json_t *node,
			 const char *text)
{
	json_t *out = jparse(text);
	json_t *pin = json_object_get(node, "params");
	const char *type = json_string_value(json_object_get(node, "type"));
	bool sub = !strcmp(type, "SUB_PROCESS");
	const char *k, *ok;
	void *it;
	json_t *v, *ov;
	size_t i;

	CHECK(json_is_object(out));
	if (json_is_string(pin))
		pin = jparse(json_string_value(pin));	/* task_json shape */
	else
		pin = pin ? json_incref(pin) : json_object();
	it = json_object_iter(out);
	json_object_foreach(pin, k, v) {
		CHECK_MSG(it != NULL, "params key \"%s\" lost", k);
		ok = json_object_iter_key(it);
		ov = json_object_iter_value(it);
		if (sub && !strcmp(k, "processDefinitionId") &&
		    !has_id(f->unknown_processes, f->nunknown_processes,
			json_integer_value(v))) {
			CHECK_STR_EQ(ok, "processDefinitionCode");
			CHECK_INT_EQ(json_integer_value(ov),
				     2000000 + json_integer_value(v));
		} else if (yarn_type(type) && !strcmp(k, "queue") &&
			   !json_object_get(pin, "yarnQueue")) {
			CHECK_STR_EQ(ok, "yarnQueue");
			CHECK(json_equal(v, ov));
		} else if (is_resource_key(k) && json_is_array(v)) {
			CHECK_STR_EQ(ok, k);
			CHECK_INT_EQ(json_array_size(ov), json_array_size(v));
			for (i = 0; i < json_array_size(v); i++)
				check_resource(f, json_array_get(v, i),
					       json_array_get(ov, i));
		} else if (is_resource_key(k) && json_is_object(v)) {
			CHECK_STR_EQ(ok, k);
			check_resource(f, v, ov);
		} else if (!strcmp(k, "conditionResult") ||
			   !strcmp(k, "dependence")) {
			CHECK_STR_EQ(ok, k);	/* value: from the node */
		} else {
			CHECK_STR_EQ(ok, k);
			CHECK_MSG(json_equal(v, ov), "params \"%s\" changed", k);
		}
		it = json_object_iter_next(out, it);
	}
	/* then only the documented additions */
	for (; it; it = json_object_iter_next(out, it)) {
		ok = json_object_iter_key(it);
		ov = json_object_iter_value(it);
		if (!strcmp(ok, "groupId")) {
			CHECK_STR_EQ(type, "SQL");
			CHECK_INT_EQ(json_integer_value(ov), 7);
		} else if (!strcmp(ok, "conditionResult") ||
			   !strcmp(ok, "dependence")) {
			json_t *nv = json_object_get(node, ok);

			if (json_is_string(nv))
				nv = jparse(json_string_value(nv));
			else
				nv = json_incref(nv ? nv : json_null());
			if (strcmp(type, "DEPENDENT") &&
			    strcmp(type, "CONDITIONS"))
				CHECK_MSG(json_equal(nv, ov), "%s not copied",
					  ok);
			json_decref(nv);
		} else {
			CHECK_MSG(0, "params key \"%s\" added", ok);
		}
	}
	CHECK(json_object_get(out, "conditionResult") != NULL);
	CHECK(json_object_get(out, "dependence") != NULL);
	json_decref(pin);
	json_decref(out);
}

/* locations: one {taskCode,x,y} per sidecar entry whose key is a task id,
 * x and y as in 1.3 */
static void check_locations(const struct ds_split_result *res,
			    const char *sidecar_text)
{
	const char *loc = val(&res->process, "locations");
	json_t *in, *out, *e;
	const char *k;
	size_t n = 0;

	if (!sidecar_text) {
		CHECK(loc == NULL);
		return;
	}
	in = jparse(sidecar_text);
	out = jparse(loc);
	json_object_foreach(in, k, e) {
		int64_t code = -1;
		bool seen = false;

		for (size_t i = 0; i < res->tasks.n; i++)
			if (!strcmp(res->task_info[i].key, k))
				code = res->task_info[i].code;
		if (code < 0)
			continue;
		n++;
		for (size_t i = 0; i < json_array_size(out); i++) {
			json_t *o = json_array_get(out, i);

			if (json_integer_value(json_object_get(o, "taskCode")) !=
			    code)
				continue;
			CHECK(!seen);
			seen = true;
			CHECK_INT_EQ(json_object_size(o), 3);
			CHECK(json_equal(json_object_get(o, "x"),
					 json_object_get(e, "x")));
			CHECK(json_equal(json_object_get(o, "y"),
					 json_object_get(e, "y")));
		}
		CHECK_MSG(seen, "no location for %s", k);
	}
	CHECK_INT_EQ(json_array_size(out), n);
	json_decref(in);
	json_decref(out);
}

/* all generic checks for one split of `json` */
static void check_generic(const struct fake *f, const struct input *in,
			  const struct ds_split_result *res)
{
	json_t *doc = jparse(in->json);
	json_t *tasks = json_object_get(doc, "tasks");

	check_invariants(res);
	CHECK_INT_EQ(res->tasks.n, json_array_size(tasks));
	for (size_t i = 0; i < res->tasks.n; i++) {
		json_t *node = json_array_get(tasks, i);
		const char *type = json_string_value(
			json_object_get(node, "type"));

		CHECK_STR_EQ(res->task_info[i].name,
			     json_string_value(json_object_get(node, "name")));
		CHECK_STR_EQ(res->task_info[i].type, type);
		CHECK_STR_EQ(val(&res->tasks.rows[i], "task_type"), type);
		CHECK_STR_EQ(val(&res->tasks.rows[i], "name"),
			     res->task_info[i].name);
		check_params(f, node, val(&res->tasks.rows[i], "task_params"));
	}
	check_locations(res, in->locations);
	json_decref(doc);
}

/* split a fixture file and run the generic checks */
static void split_file(struct fake *f, struct input *in, const char *file,
		       int64_t id, struct ds_split_result *res)
{
	struct ds_env env = fake_env(f);
	struct err e;

	input_file(in, file, id);
	err_clear(&e);
	CHECK_OK(ds_split(&in->row, &env, res, &e), e);
	check_generic(f, in, res);
}

/* ---- the fixture directory ----------------------------------------- */

TEST(ds_fixture_directory_is_there_with_every_sample)
{
	DIR *d = opendir(FIXDIR);
	struct dirent *de;
	int pd = 0, node = 0, side = 0;

	CHECK_MSG(d != NULL, "%s is missing: the DolphinScheduler samples "
		  "must be there (run from the repository root)", FIXDIR);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		if (strstr(de->d_name, ".locations.json") ||
		    strstr(de->d_name, ".connects.json"))
			side++;
		else if (!strncmp(de->d_name, "pd_", 3))
			pd++;
		else if (!strncmp(de->d_name, "node_", 5))
			node++;
	}
	closedir(d);
	/* SOURCES.md's count line says 17 complete definitions, but its
	 * table lists 16 and 16 are there; 17 nodes, 8 sidecars */
	CHECK_INT_EQ(pd, 16);
	CHECK_INT_EQ(node, 17);
	CHECK_INT_EQ(side, 8);
}

/* Every sample in the directory, whatever its name: splits, passes the
 * generic checks, gives byte-identical output twice and equal digests. */
TEST(ds_every_sample_splits_generically_deterministically)
{
	DIR *d = opendir(FIXDIR);
	struct dirent *de;
	int n = 0;

	CHECK(d != NULL);
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		struct ds_split_result a, b;
		struct fake *f, *g;
		struct ds_env env;
		struct input in;
		struct err e;
		char d13[65], d32[65];

		if (strlen(nm) < 6 || strcmp(nm + strlen(nm) - 5, ".json") ||
		    strstr(nm, ".locations.") || strstr(nm, ".connects."))
			continue;
		f = fake_new();
		g = fake_new();
		if (!strncmp(nm, "pd_", 3)) {
			split_file(f, &in, nm, 50 + n, &a);
		} else {
			char *node = fixture(nm);

			input_init(&in, 50 + n, wrap_node(node));
			free(node);
			env = fake_env(f);
			CHECK_OK(ds_split(&in.row, &env, &a, &e), e);
			check_generic(f, &in, &a);
		}
		/* same input, fresh env minting in the same order */
		env = fake_env(g);
		CHECK_OK(ds_split(&in.row, &env, &b, &e), e);
		CHECK_INT_EQ(a.tasks.n, b.tasks.n);
		CHECK_INT_EQ(a.relations.n, b.relations.n);
		CHECK_INT_EQ(a.report.nwarnings, b.report.nwarnings);
		for (size_t c = 0; c < a.process.ncols; c++)
			CHECK((!a.process.vals[c] && !b.process.vals[c]) ||
			      !strcmp(a.process.vals[c], b.process.vals[c]));
		for (size_t i = 0; i < a.tasks.n; i++)
			for (size_t c = 0; c < a.tasks.rows[i].ncols; c++) {
				const char *x = a.tasks.rows[i].vals[c];
				const char *y = b.tasks.rows[i].vals[c];

				CHECK((!x && !y) || !strcmp(x, y));
			}
		for (size_t i = 0; i < a.relations.n; i++)
			for (size_t c = 0; c < a.relations.rows[i].ncols; c++)
				CHECK_STR_EQ(a.relations.rows[i].vals[c],
					     b.relations.rows[i].vals[c]);
		for (size_t i = 0; i < a.report.nwarnings; i++)
			CHECK_STR_EQ(a.report.warnings[i], b.report.warnings[i]);
		/* verify: the digest of the 1.3 row (read-only env over the
		 * same map) equals the digest of the rows written */
		g->read_only = true;
		CHECK_OK(ds_digest_13(&in.row, &env, d13, &e), e);
		CHECK_OK(ds_digest_32(&a.process, a.tasks.rows, a.tasks.n,
				      a.relations.rows, a.relations.n, d32, &e),
			 e);
		if (a.report.nunresolved == 0)
			CHECK_MSG(!strcmp(d13, d32), "%s: digests differ", nm);
		else
			CHECK_MSG(strcmp(d13, d32), "%s: unresolved references "
				  "must show in the digest", nm);
		ds_split_result_release(&a);
		ds_split_result_release(&b);
		input_release(&in);
		fake_free(f);
		fake_free(g);
		n++;
	}
	closedir(d);
	CHECK_INT_EQ(n, 33);
}

/* ---- full process definitions, table-driven ------------------------- */

struct xtask {
	const char *key, *name, *type;
	int prio, retries;
};

struct xedge {
	const char *pre;	/* task id; NULL: root */
	const char *post;
};

struct xparam {
	const char *key;	/* task id */
	const char *path;	/* a.b[0].c */
	const char *json;	/* expected value; NULL: absent */
};

struct xfile {
	const char *file;
	int64_t id;
	const char *global_params;
	struct xtask tasks[32];
	struct xedge edges[40];
	struct xparam params[24];
	const char *warnings[8];
	size_t nwarnings;
	size_t nunresolved;
	int nlocations;		/* -1: NULL */
	int timeout;		/* every task's timeout (DS keeps a disabled
				   interval) */
};

#define T(k, n, t, p, r) { k, n, t, p, r }
#define E(a, b) { a, b }
#define P(k, p, j) { k, p, j }

#define CR_EMPTY "{\"successNode\":[\"\"],\"failedNode\":[\"\"]}"

static const struct xfile xfiles[] = {
{
	.file = "pd_ds130dev_datax_backend_serialized.json", .id = 10,
	.global_params = "[]",
	.tasks = {
		T("tasks-34351", "t_ds_version_copy5", "DATAX", 2, 0),
		T("tasks-43031", "t_ds_version_copy4", "DATAX", 2, 0),
	},
	.edges = { E(NULL, "tasks-34351"), E(NULL, "tasks-43031") },
	.params = {
		/* backend keys kept as they were, null included */
		P("tasks-34351", "localParams", "null"),
		P("tasks-34351", "resourceFilesList", "[]"),
		P("tasks-34351", "localParametersMap", "null"),
		P("tasks-34351", "dataSource", "5"),
		P("tasks-43031", "preStatements",
		  "[\"truncate table t_ds_version_copy5\"]"),
		P("tasks-43031", "conditionResult", CR_EMPTY),
		P("tasks-43031", "dependence", "{}"),
	},
	.nlocations = -1,
},
{
	.file = "pd_ds130dev_sql_backend_serialized.json", .id = 11,
	.global_params = "[]",
	.tasks = { T("tasks-3877", "4 and 3 -> 2", "SQL", 2, 0) },
	.edges = { E(NULL, "tasks-3877") },
	.params = {
		P("tasks-3877", "sqlType", "1"),
		P("tasks-3877", "localParametersMap", "{}"),
		P("tasks-3877", "groupId", "7"),
		P("tasks-3877", "datasource", "5"),
	},
	.nlocations = -1,
},
{
	.file = "pd_ds139_shell_5.json", .id = 12, .global_params = "[]",
	.tasks = { T("tasks-52423", "shell-5", "SHELL", 2, 0) },
	.edges = { E(NULL, "tasks-52423") },
	.params = {
		P("tasks-52423", "rawScript", "\"echo \\\"shell-5\\\"\""),
		P("tasks-52423", "resourceList", "[]"),
		/* no conditionResult key in the node: JSON null */
		P("tasks-52423", "conditionResult", "null"),
	},
	.nlocations = -1,
},
{
	.file = "pd_ds139_shell_desc_key.json", .id = 13,
	.global_params = "[]",
	.tasks = { T("tasks-36196", "ssh_test1", "SHELL", 2, 0) },
	.edges = { E(NULL, "tasks-36196") },
	.params = { P("tasks-36196", "rawScript",
		      "\"aa=\\\"1234\\\"\\necho ${aa}\"") },
	.nlocations = 1,
},
{
	.file = "pd_ds139_shell_single.json", .id = 14, .global_params = "[]",
	.tasks = { T("tasks-9527", "shell-1", "SHELL", 2, 0) },
	.edges = { E(NULL, "tasks-9527") },
	.nlocations = -1,
	.timeout = 1,
},
{
	.file = "pd_ds139_shell_subprocess.json", .id = 15,
	.global_params = "[]",
	.tasks = {
		T("tasks-38634", "shell1", "SHELL", 2, 0),
		T("tasks-44207", "shell-4", "SUB_PROCESS", 2, 0),
	},
	.edges = { E(NULL, "tasks-38634"), E("tasks-38634", "tasks-44207") },
	.params = {
		P("tasks-44207", "processDefinitionCode", "2000039"),
		P("tasks-44207", "processDefinitionId", NULL),
	},
	.nlocations = -1,
},
{
	.file = "pd_ds139_sql_dependent.json", .id = 16, .global_params = "[]",
	.tasks = {
		T("tasks-27297", "sql", "SQL", 2, 0),
		T("tasks-33787", "dependent", "DEPENDENT", 2, 0),
	},
	.edges = { E("tasks-33787", "tasks-27297"), E(NULL, "tasks-33787") },
	.params = {
		P("tasks-33787", "dependence",
		  "{\"relation\":\"AND\",\"dependTaskList\":[{\"relation\":"
		  "\"AND\",\"dependItemList\":[{\"projectCode\":1000002,"
		  "\"definitionCode\":2000046,\"depTaskCode\":0,\"cycle\":"
		  "\"day\",\"dateValue\":\"today\"}]}]}"),
		P("tasks-33787", "conditionResult", "null"),
		P("tasks-27297", "groupId", "7"),
		P("tasks-27297", "sqlType", "\"1\""),
	},
	.nlocations = -1,
},
{
	.file = "pd_dsdev_conditions_shell.json", .id = 17,
	.global_params = "[]",
	.tasks = {
		T("tasks-82223", "testa", "SHELL", 2, 0),
		T("tasks-88338", "testb", "SHELL", 2, 0),
		T("tasks-91388", "testc", "SHELL", 2, 0),
		T("tasks-77673", "branch", "CONDITIONS", 2, 0),
	},
	.edges = {
		E(NULL, "tasks-82223"), E("tasks-77673", "tasks-88338"),
		E("tasks-77673", "tasks-91388"),
		E("tasks-82223", "tasks-77673"),
	},
	.params = {
		P("tasks-77673", "conditionResult.successNode",
		  "[@tasks-88338]"),
		P("tasks-77673", "conditionResult.failedNode",
		  "[@tasks-91388]"),
		P("tasks-77673", "dependence",
		  "{\"relation\":\"AND\",\"dependTaskList\":[]}"),
		/* non-CONDITIONS tasks keep the UI default as DS does */
		P("tasks-88338", "conditionResult", CR_EMPTY),
	},
	.nlocations = -1,
},
{
	.file = "pd_dsdev_shell_delaytime_waitstarttimeout.json", .id = 18,
	.global_params = "[{\"prop\":\"startParam1\",\"direct\":\"IN\","
			 "\"type\":\"VARCHAR\",\"value\":\"\"}]",
	.tasks = { T("tasks-3011", "tsssss", "SHELL", 2, 0) },
	.edges = { E(NULL, "tasks-3011") },
	.params = { P("tasks-3011", "waitStartTimeout", NULL) },
	.nlocations = -1,
},
{
	.file = "pd_dsdev_shell_localparams.json", .id = 19,
	.global_params = "[]",
	.tasks = { T("tasks-9527", "shell-1", "SHELL", 2, 0) },
	.edges = { E(NULL, "tasks-9527") },
	.timeout = 1,
	.params = {
		P("tasks-9527", "localParams[0]",
		  "{\"prop\":\"BATCH_TIME\",\"direct\":\"IN\",\"type\":"
		  "\"VARCHAR\",\"value\":\"${system.datetime}\"}"),
	},
	.nlocations = -1,
},
{
	.file = "pd_dsdev_shell_timeout_without_interval.json", .id = 20,
	.global_params = "[]",
	.tasks = { T("tasks-52423", "shell-5", "SHELL", 2, 0) },
	.edges = { E(NULL, "tasks-52423") },
	.nlocations = -1,
},
{
	.file = "pd_dsdev_shell_with_processDefinitionId_param.json", .id = 21,
	.global_params = "[]",
	.tasks = { T("tasks-76544", "test", "SHELL", 2, 0) },
	.edges = { E(NULL, "tasks-76544") },
	.params = {
		/* only SUB_PROCESS params are rewritten */
		P("tasks-76544", "processDefinitionId", "\"222\""),
		P("tasks-76544", "processDefinitionCode", NULL),
	},
	.nlocations = -1,
},
{
	.file = "pd_dsdev_sql_dependent_duplicate_names.json", .id = 22,
	.global_params = "[]",
	.tasks = {
		T("tasks-27297", "shell-1", "SQL", 2, 0),
		T("tasks-33787", "shell-1", "DEPENDENT", 2, 0),
	},
	/* the dangling "dependent" edge is dropped: both are roots */
	.edges = { E(NULL, "tasks-27297"), E(NULL, "tasks-33787") },
	.params = {
		P("tasks-33787", "dependence.dependTaskList[0]."
		  "dependItemList[0].definitionCode", "2000046"),
	},
	.warnings = {
		"task name \"shell-1\" is used by more than one task",
		"preTasks names \"dependent\", which matches no task: "
		"edge dropped",
	},
	.nwarnings = 2,
	.nlocations = -1,
},
{
	.file = "pd_dw139_dws_business_okcard_import.json", .id = 2,
	.global_params = "[]",
	.tasks = {
		T("tasks-24651", "dws_okcard_user", "SQL", 2, 4),
		T("tasks-40537", "dws_okcard_bill", "SQL", 1, 4),
		T("tasks-18892", "dws_okcard_dim", "SQL", 2, 1),
		T("tasks-45412", "dws_okcard_retention", "SQL", 2, 1),
		T("tasks-29131", "dws_okcard_vintage", "SQL", 2, 1),
		T("tasks-96807", "dws_okcard_transaction", "SQL", 1, 3),
		T("tasks-2-10r42k", "dws_okcard_referearn_user_distribute",
		  "SQL", 2, 1),
		T("tasks-2-2x63m8",
		  "dws_okcard_referearn_bill_history_distribute", "SQL", 2, 1),
		T("tasks-2-552559", "dws_okcard_referearn_amount_distribute",
		  "SQL", 2, 1),
		T("tasks-2-13q2wc", "dws_okcard_referearn_cnt_distribute",
		  "SQL", 2, 1),
		T("tasks-2-3gy2ci", "dws_okcard_referearn_cnt_distribute_dt",
		  "SQL", 2, 1),
		T("tasks-2-1cea9", "dws_okcard_referearn_detail", "SQL", 2, 1),
		T("tasks-6520", "dws_okcard_funnel", "SQL", 2, 1),
		T("tasks-20232", "dws_okcard_credit_manage", "SQL", 2, 1),
		T("tasks-19350", "dws_okcard_user_register", "SQL", 2, 1),
		T("tasks-3360", "dws_okcard_repay", "SQL", 0, 1),
		T("tasks-58143", "dws_okcard_account_quota", "SQL", 2, 0),
		T("tasks-48304", "dws_okcard_overdue_dpd", "SQL", 0, 1),
		T("tasks-30982", "dws_okcard_finance", "SQL", 2, 1),
		T("tasks-15616", "dws_okcard_activity", "SQL", 2, 1),
		T("tasks-70324", "dws_okcard_credit_manage_monitor", "SQL",
		  2, 1),
		T("tasks-19861", "dwb_credit", "DEPENDENT", 1, 0),
		T("tasks-38489", "dws_okcard_close_trans", "SQL", 2, 1),
		T("tasks-63567", "dws_flexi_kpi", "SQL", 2, 1),
		T("tasks-19851", "dws_okcard_in_palmpay", "SQL", 2, 1),
		T("tasks-16137", "dws_okcard_operation", "SQL", 2, 1),
	},
	.edges = {
		E("tasks-19861", "tasks-24651"), E("tasks-96807", "tasks-40537"),
		E("tasks-24651", "tasks-18892"), E("tasks-96807", "tasks-45412"),
		E("tasks-24651", "tasks-29131"), E("tasks-19861", "tasks-96807"),
		E("tasks-18892", "tasks-2-10r42k"),
		E("tasks-2-10r42k", "tasks-2-2x63m8"),
		E("tasks-2-10r42k", "tasks-2-552559"),
		E("tasks-2-10r42k", "tasks-2-13q2wc"),
		E("tasks-2-10r42k", "tasks-2-3gy2ci"),
		E("tasks-2-10r42k", "tasks-2-1cea9"),
		E("tasks-2-10r42k", "tasks-6520"),
		E("tasks-3360", "tasks-20232"), E("tasks-24651", "tasks-19350"),
		E("tasks-48304", "tasks-3360"), E("tasks-29131", "tasks-58143"),
		E("tasks-19861", "tasks-48304"), E("tasks-58143", "tasks-30982"),
		E("tasks-19350", "tasks-15616"), E("tasks-20232", "tasks-70324"),
		E(NULL, "tasks-19861"), E("tasks-48304", "tasks-38489"),
		E("tasks-19861", "tasks-63567"), E("tasks-24651", "tasks-19851"),
		E("tasks-19851", "tasks-16137"),
	},
	.params = {
		/* project 64 is not in the export: the item is left out */
		P("tasks-19861", "dependence",
		  "{\"dependTaskList\":[{\"dependItemList\":[],"
		  "\"relation\":\"AND\"}],\"relation\":\"AND\"}"),
		P("tasks-24651", "datasource", "3"),
		P("tasks-24651", "datasourceName", "\"mysql_conn\""),
		P("tasks-24651", "groupId", "7"),
	},
	.warnings = { "project 64 is not known (yet)" },
	.nwarnings = 1,
	.nunresolved = 1,
	.nlocations = 26,
},
{
	.file = "pd_dw139_hello_flow_0.json", .id = 1,
	.global_params = "[{\"prop\":\"flow_param_0\",\"direct\":\"IN\","
			 "\"type\":\"VARCHAR\",\"value\":\"111\"}]",
	.tasks = {
		T("tasks-51935", "shell_0", "SHELL", 2, 0),
		T("tasks-60537", "py_0", "PYTHON", 2, 0),
		T("tasks-88301", "spark_sql_0", "SQL", 2, 0),
		T("tasks-51187", "hive_sql_0", "SQL", 2, 0),
		T("tasks-42705", "mr_0", "MR", 2, 0),
		T("tasks-30412", "sqoop_form_0", "SQOOP", 2, 0),
		T("tasks-97378", "sqoop_sql_0", "SQOOP", 2, 0),
		T("tasks-44512", "depend_task_0", "DEPENDENT", 2, 0),
		T("tasks-31713", "inner_flow_0", "SUB_PROCESS", 2, 0),
	},
	.edges = {
		E("tasks-44512", "tasks-51935"), E("tasks-51935", "tasks-60537"),
		E("tasks-51935", "tasks-88301"), E("tasks-51935", "tasks-51187"),
		E("tasks-51935", "tasks-42705"), E("tasks-31713", "tasks-42705"),
		E("tasks-42705", "tasks-30412"), E("tasks-60537", "tasks-97378"),
		E(NULL, "tasks-44512"), E(NULL, "tasks-31713"),
	},
	.params = {
		P("tasks-42705", "mainJar",
		  "{\"id\":4,\"resourceName\":\"" RES_PREFIX "r4\"}"),
		P("tasks-42705", "resourceList[0].resourceName",
		  "\"" RES_PREFIX "r4\""),
		P("tasks-42705", "resourceList[0].res",
		  "\"test_folder/commons-pool2-2.4.2.jar\""),
		P("tasks-31713", "processDefinitionCode", "2000003"),
		P("tasks-30412", "sourceParams[]", "\"srcDatasource\\\":3\""),
		P("tasks-51187", "udfs", "\"1\""),
		P("tasks-51187", "connParams", "\"sql_param0=11212\""),
		/* item 1 resolved, item 2 (dws_okcard_bill) unknown, item 3
		 * ALL -> 0 */
		P("tasks-44512", "dependence.dependTaskList[0].dependItemList",
		  "[{\"dateValue\":\"today\",\"definitionName\":"
		  "\"dws_business_okcard_import_1665651205812\","
		  "\"depTaskCode\":4000001,\"projectName\":\"project_a\","
		  "\"projectCode\":1000001,\"cycle\":\"day\","
		  "\"definitionCode\":2000002}]"),
		P("tasks-44512", "dependence.dependTaskList[1].dependItemList",
		  "[]"),
		P("tasks-44512", "dependence.dependTaskList[1].relation",
		  "\"AND\""),
		P("tasks-44512", "dependence.dependTaskList[2].dependItemList"
		  "[0].depTaskCode", "0"),
		P("tasks-44512", "dependence.relation", "\"AND\""),
	},
	.warnings = { "item on task \"dws_okcard_bill\" of process definition "
		      "2 left out" },
	.nwarnings = 1,
	.nunresolved = 1,
	.nlocations = 9,
},
{
	.file = "pd_dw139_inner_flow_0.json", .id = 3, .global_params = "[]",
	.tasks = {
		T("tasks-23222", "shell_1", "SHELL", 2, 0),
		T("tasks-84902", "test_py_args", "PYTHON", 2, 0),
		T("tasks-1748", "conditions_0", "CONDITIONS", 2, 0),
		T("tasks-55520", "shell_condtion_0", "SHELL", 2, 0),
	},
	.edges = {
		E("tasks-1748", "tasks-23222"), E("tasks-1748", "tasks-84902"),
		E("tasks-55520", "tasks-1748"), E(NULL, "tasks-55520"),
	},
	.params = {
		P("tasks-1748", "conditionResult",
		  "{\"successNode\":[@tasks-23222],"
		  "\"failedNode\":[@tasks-84902]}"),
		P("tasks-1748", "dependence",
		  "{\"dependTaskList\":[{\"dependItemList\":[{\"depTaskCode\":"
		  "@tasks-55520,\"status\":\"SUCCESS\"}],\"relation\":\"AND\"}],"
		  "\"relation\":\"AND\"}"),
	},
	.nlocations = 4,
},
};

/* "@tasks-1" in an expectation stands for that task's code */
static char *expand_codes(const struct fake *f, int64_t pid, const char *s)
{
	size_t cap = strlen(s) * 4 + 64, n = 0;
	char *out = malloc(cap);

	while (*s) {
		if (*s == '@') {
			char key[64];
			size_t k = 0;

			s++;
			while (*s && (isalnum((unsigned char)*s) || *s == '-'))
				key[k++] = *s++;
			key[k] = '\0';
			n += (size_t)snprintf(out + n, cap - n, "%lld",
					      (long long)code_of(f, pid, key));
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	return out;
}

/* a.b[0].c -> the value, or NULL */
static json_t *json_at(json_t *v, const char *path)
{
	char part[128];

	while (v && *path) {
		size_t k = strcspn(path, ".[");

		if (k) {
			snprintf(part, sizeof(part), "%.*s", (int)k, path);
			v = json_object_get(v, part);
			path += k;
		}
		if (*path == '[') {
			v = json_array_get(v, strtoul(path + 1, NULL, 10));
			path = strchr(path, ']') + 1;
		}
		if (*path == '.')
			path++;
	}
	return v;
}

static void check_xfile(const struct xfile *x)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct input in;
	size_t nt = 0, ne = 0;

	if (!strcmp(x->file, "pd_dw139_dws_business_okcard_import.json"))
		f->unknown_projects[f->nunknown_projects++] = 64;
	split_file(f, &in, x->file, x->id, &res);
	while (nt < 32 && x->tasks[nt].key)
		nt++;
	while (ne < 40 && x->edges[ne].post)
		ne++;

	/* the workflow row (spec §4.3) */
	CHECK_INT_EQ(ival(&res.process, "id"), x->id);
	CHECK_INT_EQ(ival(&res.process, "code"), 2000000 + x->id);
	CHECK_INT_EQ(ival(&res.process, "project_code"), 1000001);
	CHECK_INT_EQ(ival(&res.process, "version"), 1);
	CHECK_STR_EQ(val(&res.process, "name"), "wf");
	CHECK_STR_EQ(val(&res.process, "description"), "a workflow");
	CHECK_STR_EQ(val(&res.process, "release_state"), "1");
	CHECK_STR_EQ(val(&res.process, "user_id"), "11");
	CHECK_STR_EQ(val(&res.process, "flag"), "1");
	CHECK_STR_EQ(val(&res.process, "global_params"), x->global_params);
	CHECK_STR_EQ(val(&res.process, "timeout"), "0");
	CHECK(val(&res.process, "warning_group_id") == NULL);
	CHECK_STR_EQ(val(&res.process, "execution_type"), "0");
	CHECK_STR_EQ(val(&res.process, "create_time"), TIME);
	CHECK_STR_EQ(val(&res.process, "update_time"), "2022-01-02 03:04:05");
	CHECK_STR_EQ(val(&res.process_log, "operator"), "11");
	CHECK_STR_EQ(val(&res.process_log, "operate_time"),
		     "2022-01-02 03:04:05");
	CHECK_STR_EQ(val(&res.process_log, "global_params"), x->global_params);
	if (x->nlocations < 0) {
		CHECK(val(&res.process, "locations") == NULL);
	} else {
		json_t *l = jparse(val(&res.process, "locations"));

		CHECK_INT_EQ(json_array_size(l), x->nlocations);
		json_decref(l);
	}

	/* tasks, in 1.3 order (spec §4.4) */
	CHECK_INT_EQ(res.tasks.n, nt);
	for (size_t i = 0; i < nt; i++) {
		const struct xtask *t = &x->tasks[i];
		const struct ds_row *r = &res.tasks.rows[i];

		CHECK_STR_EQ(res.task_info[i].key, t->key);
		CHECK_STR_EQ(val(r, "name"), t->name);
		CHECK_STR_EQ(val(r, "task_type"), t->type);
		CHECK_INT_EQ(ival(r, "code"), code_of(f, x->id, t->key));
		CHECK_INT_EQ(ival(r, "version"), 1);
		CHECK_INT_EQ(ival(r, "project_code"), 1000001);
		CHECK_STR_EQ(val(r, "user_id"), "11");
		CHECK_INT_EQ(ival(r, "task_priority"), t->prio);
		CHECK_INT_EQ(ival(r, "fail_retry_times"), t->retries);
		CHECK_INT_EQ(ival(r, "fail_retry_interval"), 1);
		CHECK_INT_EQ(ival(r, "flag"), 1);
		CHECK_INT_EQ(ival(r, "timeout_flag"), 0);
		CHECK_INT_EQ(ival(r, "timeout_notify_strategy"), 0);
		CHECK_INT_EQ(ival(r, "timeout"), x->timeout);
		CHECK_STR_EQ(val(r, "worker_group"), "default");
		CHECK_STR_EQ(val(r, "task_execute_type"), "0");
		CHECK_STR_EQ(val(r, "is_cache"), "0");
		CHECK_STR_EQ(val(r, "environment_code"), "-1");
		CHECK_STR_EQ(val(r, "delay_time"), "0");
		CHECK(val(r, "task_group_id") == NULL);
		CHECK_STR_EQ(val(r, "task_group_priority"), "0");
		CHECK_STR_EQ(val(r, "cpu_quota"), "-1");
		CHECK_STR_EQ(val(r, "memory_max"), "-1");
		CHECK_STR_EQ(val(r, "create_time"), TIME);
		CHECK_STR_EQ(val(r, "update_time"), "2022-01-02 03:04:05");
		CHECK_STR_EQ(val(&res.tasks_log.rows[i], "operator"), "11");
	}

	/* relations: exactly the expected edges, in 1.3 order */
	CHECK_INT_EQ(res.relations.n, ne);
	for (size_t i = 0; i < ne; i++) {
		const struct ds_row *r = &res.relations.rows[i];
		int64_t pre = x->edges[i].pre ?
			code_of(f, x->id, x->edges[i].pre) : 0;

		CHECK_INT_EQ(ival(r, "pre_task_code"), pre);
		CHECK_INT_EQ(ival(r, "pre_task_version"), pre ? 1 : 0);
		CHECK_INT_EQ(ival(r, "post_task_code"),
			     code_of(f, x->id, x->edges[i].post));
		CHECK_INT_EQ(ival(r, "post_task_version"), 1);
		CHECK_INT_EQ(ival(r, "project_code"), 1000001);
		CHECK_INT_EQ(ival(r, "process_definition_version"), 1);
		CHECK_STR_EQ(val(r, "name"), "");
		CHECK_STR_EQ(val(&res.relations_log.rows[i], "operator"), "11");
	}

	/* parameters after rewriting */
	for (size_t i = 0; i < 24 && x->params[i].key; i++) {
		const struct xparam *p = &x->params[i];
		size_t t = task_index(&res, p->key);
		json_t *params = jparse(val(&res.tasks.rows[t], "task_params"));
		json_t *got;
		bool contains = strstr(p->path, "[]") != NULL;
		char path[256];

		snprintf(path, sizeof(path), "%s", p->path);
		if (contains)
			*strstr(path, "[]") = '\0';
		got = json_at(params, path);
		if (!p->json) {
			CHECK_MSG(got == NULL, "%s %s present", p->key, p->path);
		} else if (contains) {
			/* a string value that must contain the text */
			json_t *want = jparse(p->json);

			CHECK_STR_CONTAINS(json_string_value(got),
					   json_string_value(want));
			json_decref(want);
		} else {
			char *want_s = expand_codes(f, x->id, p->json);
			json_t *want = jparse(want_s);
			char *got_s = got ? json_dumps(got, JSON_COMPACT) : NULL;

			CHECK_MSG(got && json_equal(got, want), "%s %s: got %s, "
				  "expected %s", p->key, p->path,
				  got_s ? got_s : "nothing", want_s);
			json_decref(want);
			free(want_s);
			free(got_s);
		}
		json_decref(params);
	}

	/* warnings and unresolved references */
	if (res.report.nwarnings != x->nwarnings)
		dump_warnings(&res.report);
	CHECK_INT_EQ(res.report.nwarnings, x->nwarnings);
	for (size_t i = 0; i < 8 && x->warnings[i]; i++)
		CHECK_MSG(has_warning(&res.report, x->warnings[i]),
			  "no warning \"%s\"", x->warnings[i]);
	CHECK_INT_EQ(res.report.nunresolved, x->nunresolved);
	ds_split_result_release(&res);
	input_release(&in);
	fake_free(f);
}

TEST(ds_full_definitions_match_their_tables)
{
	int pd = 0;

	for (size_t i = 0; i < sizeof(xfiles) / sizeof(xfiles[0]); i++) {
		fprintf(stderr, "  %s\n", xfiles[i].file);
		check_xfile(&xfiles[i]);
		pd++;
	}
	/* every pd_*.json of the directory has a table */
	CHECK_INT_EQ(pd, 16);
}

/* ---- task-node samples, each wrapped into a one-task definition ----- */

struct xnode {
	const char *file, *key, *name, *type;
	int prio, retries, interval, tflag, tstrat, timeout;
	const char *desc, *res_ids;
	struct xparam params[8];	/* .key unused */
	const char *warnings[4];
	size_t nwarnings;
	size_t nunresolved;
};

#define RP(id) "\"" RES_PREFIX "r" #id "\""

static const struct xnode xnodes[] = {
{
	"node_CONDITIONS_ds_docs.json", "tasks-96189", "条件", "CONDITIONS",
	2, 0, 1, 0, 0, 0, "", "",
	.params = {
		/* test04/test05 are not in a one-task workflow: dropped */
		P(0, "conditionResult",
		  "{\"successNode\":[],\"failedNode\":[]}"),
		P(0, "dependence", "{\"relation\":\"AND\",\"dependTaskList\":[]}"),
	},
	.warnings = { "preTasks names \"test01\"", "preTasks names \"test02\"",
		      "successNode \"test04\" names no task",
		      "failedNode \"test05\" names no task" },
	.nwarnings = 4,
},
{
	"node_DATAX_ds133_stringified.json", "tasks-97625", "MySQL数据相互导入",
	"DATAX", 2, 0, 1, 0, 0, 0, "", "",
	.params = {
		P(0, "dataSource", "80"), P(0, "targetTable", "\"pv2\""),
		P(0, "conditionResult", CR_EMPTY), P(0, "dependence", "{}"),
	},
},
{
	"node_DATAX_ds_docs.json", "tasks-91196", "DataxTask-DB", "DATAX",
	2, 0, 1, 0, 0, 0, "", "",
	.params = { P(0, "jobSpeedByte", "524288"),
		    P(0, "postStatements", "[\"truncate table user\"]") },
},
{
	"node_DEPENDENT_ds139_with_names.json", "tasks-55485", "dependent",
	"DEPENDENT", 2, 0, 1, 0, 0, 0, "", "",
	.params = {
		/* export helper names kept, ids -> codes */
		P(0, "dependence.dependTaskList[0].dependItemList",
		  "[{\"dateValue\":\"today\",\"definitionName\":\"shell-1\","
		  "\"depTaskCode\":4000003,\"projectName\":\"test\","
		  "\"projectCode\":1000001,\"cycle\":\"day\","
		  "\"definitionCode\":2000007}]"),
		P(0, "conditionResult", "null"),
	},
},
{
	"node_DEPENDENT_ds_docs.json", "tasks-57057", "DenpendentTask",
	"DEPENDENT", 2, 0, 1, 0, 0, 0, "", "",
	.params = {
		/* the UI helper definitionList is dropped */
		P(0, "dependence.dependTaskList[0].dependItemList[0]",
		  "{\"projectCode\":1000001,\"definitionCode\":2000007,"
		  "\"depTaskCode\":0,\"cycle\":\"day\",\"dateValue\":\"today\"}"),
		P(0, "dependence.dependTaskList[1].dependItemList[0]",
		  "{\"projectCode\":1000001,\"definitionCode\":2000005,"
		  "\"depTaskCode\":4000002,\"cycle\":\"day\","
		  "\"dateValue\":\"today\"}"),
	},
},
{
	"node_DEPENDENT_dsdev_timeout_failed.json", "tasks-4455", "C",
	"DEPENDENT", 2, 0, 1, 1, 1, 30, "", "",
	.params = {
		P(0, "dependence.dependTaskList[0].dependItemList", "[]"),
		P(0, "waitStartTimeout", NULL),
	},
	.warnings = { "item on task \"D\" of process definition 15 left out" },
	.nwarnings = 1,
	.nunresolved = 1,
},
{
	"node_FLINK_ds_docs.json", "tasks-17135", "FlinkTask", "FLINK",
	2, 0, 1, 0, 0, 0, "", "3",
	.params = { P(0, "mainJar.resourceName", RP(6)),
		    P(0, "resourceList[0].resourceName", RP(3)),
		    P(0, "deployMode", "\"cluster\"") },
},
{
	"node_HTTP_ds_docs.json", "tasks-60499", "HttpTask", "HTTP",
	2, 0, 1, 0, 0, 0, "", "",
	.params = { P(0, "httpParams[1].value", "\"Bo\""),
		    P(0, "httpCheckCondition", "\"STATUS_CODE_DEFAULT\"") },
},
{
	"node_MR_ds_docs.json", "tasks-28997", "MRTask", "MR",
	2, 0, 1, 0, 0, 0, "", "3",
	.params = { P(0, "mainJar", "{\"id\":5,\"resourceName\":" RP(5) "}"),
		    P(0, "resourceList[0]", "{\"id\":3,\"name\":\"run.sh\","
		      "\"res\":\"run.sh\",\"resourceName\":" RP(3) "}") },
},
{
	"node_PYTHON_dsdev_stringified.json", "tasks-75298", "a1", "PYTHON",
	2, 0, 1, 0, 0, 0, "", "",
	.params = { P(0, "localParams[0].prop", "\"p1\""),
		    P(0, "rawScript",
		      "\"print(\\\"this is python task \\\",${p0})\"") },
},
{
	"node_SHELL_ds139_stringified_chinese.json", "tasks-55201", "测试任务",
	"SHELL", 2, 0, 1, 0, 0, 0, "", "",
	.params = { P(0, "rawScript", "\"echo \\\"测试任务\\\"\"") },
},
{
	"node_SHELL_dsdev_pretty_deplist.json", "tasks-31779", "testlog2",
	"SHELL", 2, 0, 1, 0, 0, 0, "", "",
	.warnings = { "preTasks names \"testlog1\", which matches no task" },
	.nwarnings = 1,
},
{
	"node_SPARK_ds_docs.json", "tasks-87430", "SparkTask", "SPARK",
	2, 0, 1, 0, 0, 0, "", "3",
	.params = { P(0, "sparkVersion", "\"SPARK2\""),
		    P(0, "mainJar.resourceName", RP(4)),
		    P(0, "driverMemory", "\"512M\"") },
},
{
	"node_SQL_ds139_datasourceName.json", "tasks-8745", "mysql", "SQL",
	2, 0, 1, 0, 0, 0, "", "",
	.params = { P(0, "datasourceName", "\"dsmetadata\""),
		    P(0, "groupId", "7") },
	.warnings = { "preTasks names \"dependent\"" },
	.nwarnings = 1,
},
{
	"node_SQL_ds_docs.json", "tasks-95648", "SqlTask-Query", "SQL",
	2, 0, 1, 0, 0, 0, "", "",
	.params = { P(0, "receivers", "\"xxxx@xxx.com\""),
		    P(0, "groupId", "7"),
		    P(0, "localParams[0].type", "\"INTEGER\"") },
	.warnings = { "receivers / receiversCc are not used by 3.2" },
	.nwarnings = 1,
},
{
	"node_SQOOP_ds133_stringified.json", "tasks-63634", "MySQL数据导入HDSF",
	"SQOOP", 2, 0, 1, 0, 0, 0, "", "",
	.params = { P(0, "sourceParams[]", "\"\\\"srcDatasource\\\":1\""),
		    P(0, "concurrency", "1"),
		    P(0, "targetType", "\"HDFS\"") },
},
{
	"node_SUB_PROCESS_ds_docs.json", "tasks-14806", "SubProcessTask",
	"SUB_PROCESS", 2, 0, 1, 0, 0, 0, "", "",
	.params = { P(0, "processDefinitionCode", "2000002"),
		    P(0, "processDefinitionId", NULL) },
},
};

TEST(ds_task_node_samples_match_their_tables)
{
	size_t nn = sizeof(xnodes) / sizeof(xnodes[0]);

	CHECK_INT_EQ(nn, 17);	/* every node_*.json of the directory */
	for (size_t i = 0; i < nn; i++) {
		const struct xnode *x = &xnodes[i];
		struct fake *f = fake_new();
		struct ds_env env = fake_env(f);
		struct ds_split_result res;
		const struct ds_row *r;
		struct input in;
		struct err e;
		char *node = fixture(x->file);

		fprintf(stderr, "  %s\n", x->file);
		input_init(&in, 100 + (int64_t)i, wrap_node(node));
		free(node);
		CHECK_OK(ds_split(&in.row, &env, &res, &e), e);
		check_generic(f, &in, &res);
		CHECK_INT_EQ(res.tasks.n, 1);
		CHECK_INT_EQ(res.relations.n, 1);	/* alone: a root */
		r = &res.tasks.rows[0];
		CHECK_STR_EQ(res.task_info[0].key, x->key);
		CHECK_STR_EQ(val(r, "name"), x->name);
		CHECK_STR_EQ(val(r, "task_type"), x->type);
		CHECK_INT_EQ(ival(r, "task_priority"), x->prio);
		CHECK_INT_EQ(ival(r, "fail_retry_times"), x->retries);
		CHECK_INT_EQ(ival(r, "fail_retry_interval"), x->interval);
		CHECK_INT_EQ(ival(r, "timeout_flag"), x->tflag);
		CHECK_INT_EQ(ival(r, "timeout_notify_strategy"), x->tstrat);
		CHECK_INT_EQ(ival(r, "timeout"), x->timeout);
		CHECK_STR_EQ(val(r, "description"), x->desc);
		CHECK_STR_EQ(val(r, "resource_ids"), x->res_ids);
		CHECK_STR_EQ(val(r, "worker_group"), "default");
		CHECK_INT_EQ(ival(r, "flag"), 1);
		for (size_t k = 0; k < 8 && x->params[k].path; k++) {
			const struct xparam *p = &x->params[k];
			json_t *params = jparse(val(r, "task_params"));
			char path[256];
			json_t *got, *want;

			snprintf(path, sizeof(path), "%s", p->path);
			if (strstr(path, "[]"))
				*strstr(path, "[]") = '\0';
			got = json_at(params, path);
			if (!p->json) {
				CHECK_MSG(!got, "%s: %s present", x->file, path);
			} else if (strstr(p->path, "[]")) {
				want = jparse(p->json);
				CHECK_STR_CONTAINS(json_string_value(got),
						   json_string_value(want));
				json_decref(want);
			} else {
				want = jparse(p->json);
				CHECK_MSG(got && json_equal(got, want),
					  "%s: %s differs", x->file, path);
				json_decref(want);
			}
			json_decref(params);
		}
		if (res.report.nwarnings != x->nwarnings)
			dump_warnings(&res.report);
		CHECK_INT_EQ(res.report.nwarnings, x->nwarnings);
		for (size_t k = 0; k < 4 && x->warnings[k]; k++)
			CHECK_MSG(has_warning(&res.report, x->warnings[k]),
				  "%s: no warning \"%s\"", x->file,
				  x->warnings[k]);
		CHECK_INT_EQ(res.report.nunresolved, x->nunresolved);
		ds_split_result_release(&res);
		input_release(&in);
		fake_free(f);
	}
}

/* ---- odd inputs of SOURCES.md and spec §4.1 ------------------------- */

static int run(struct fake *f, int64_t id, const char *json,
	       struct ds_split_result *res, struct err *e)
{
	struct ds_env env = fake_env(f);
	struct input in;
	int rc;

	input_init(&in, id, strdup(json));
	err_clear(e);
	rc = ds_split(&in.row, &env, res, e);
	if (rc == 0)
		check_generic(f, &in, res);
	input_release(&in);
	return rc;
}

/* one SHELL-ish node with `extra` members spliced in */
static char *node_json(const char *id, const char *name, const char *type,
		       const char *extra)
{
	size_t n = 512 + strlen(extra);
	char *s = malloc(n);

	snprintf(s, n, "{\"id\":\"%s\",\"name\":\"%s\",\"type\":\"%s\","
		 "\"params\":{\"rawScript\":\"x\",\"resourceList\":[]}%s%s}",
		 id, name, type, *extra ? "," : "", extra);
	return s;
}

static char *one_task(const char *extra)
{
	char *n = node_json("tasks-1", "t", "SHELL", extra);
	char *w = wrap_node(n);

	free(n);
	return w;
}

TEST(ds_desc_key_and_description_fallback)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct input in;
	struct err e;
	char *j;

	/* pd_ds139_shell_desc_key: "desc" instead of "description" */
	split_file(f, &in, "pd_ds139_shell_desc_key.json", 30, &res);
	CHECK_STR_EQ(val(&res.tasks.rows[0], "description"), "");
	CHECK_INT_EQ(res.report.nwarnings, 0);
	ds_split_result_release(&res);
	input_release(&in);

	j = one_task("\"desc\":\"from desc\"");
	CHECK_OK(run(f, 31, j, &res, &e), e);
	CHECK_STR_EQ(val(&res.tasks.rows[0], "description"), "from desc");
	ds_split_result_release(&res);
	free(j);
	j = one_task("\"description\":\"main\",\"desc\":\"other\"");
	CHECK_OK(run(f, 32, j, &res, &e), e);
	CHECK_STR_EQ(val(&res.tasks.rows[0], "description"), "main");
	ds_split_result_release(&res);
	free(j);
	/* backend form: desc null -> "" */
	j = one_task("\"desc\":null");
	CHECK_OK(run(f, 33, j, &res, &e), e);
	CHECK_STR_EQ(val(&res.tasks.rows[0], "description"), "");
	ds_split_result_release(&res);
	free(j);
	fake_free(f);
}

TEST(ds_timeout_without_interval_and_timeout_settings)
{
	static const struct {
		const char *extra;
		int flag, strategy, timeout, warnings;
	} v[] = {
		{ "\"timeout\":{\"strategy\":\"\",\"enable\":false}", 0, 0, 0,
		  0 },
		/* enabled without an interval would fire at once in 3.2 */
		{ "\"timeout\":{\"strategy\":\"FAILED\",\"enable\":true}", 0,
		  1, 0, 1 },
		{ "\"timeout\":{\"strategy\":\"WARNFAILED\",\"interval\":5,"
		  "\"enable\":true}", 1, 2, 5, 0 },
		{ "\"timeout\":{\"strategy\":\"WARN\",\"interval\":\"7\","
		  "\"enable\":\"true\"}", 1, 0, 7, 0 },
		/* disabled but with an interval: DS keeps the interval */
		{ "\"timeout\":{\"strategy\":\"\",\"interval\":1,"
		  "\"enable\":false}", 0, 0, 1, 0 },
		{ "\"timeout\":{\"strategy\":\"ODD\",\"interval\":null,"
		  "\"enable\":false}", 0, 0, 0, 0 },
		{ "", 0, 0, 0, 0 },
		/* the 1.3 task_json shape */
		{ "\"timeout\":\"{\\\"enable\\\":true,\\\"strategy\\\":"
		  "\\\"FAILED\\\",\\\"interval\\\":3}\"", 1, 1, 3, 0 },
	};
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct input in;
	struct err e;

	split_file(f, &in, "pd_dsdev_shell_timeout_without_interval.json", 40,
		   &res);
	CHECK_STR_EQ(val(&res.tasks.rows[0], "timeout_flag"), "0");
	CHECK_STR_EQ(val(&res.tasks.rows[0], "timeout"), "0");
	CHECK_STR_EQ(val(&res.tasks.rows[0], "timeout_notify_strategy"), "0");
	CHECK_INT_EQ(res.report.nwarnings, 0);
	ds_split_result_release(&res);
	input_release(&in);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *j = one_task(v[i].extra);

		CHECK_OK(run(f, 41 + (int64_t)i, j, &res, &e), e);
		CHECK_INT_EQ(ival(&res.tasks.rows[0], "timeout_flag"),
			     v[i].flag);
		CHECK_INT_EQ(ival(&res.tasks.rows[0],
				  "timeout_notify_strategy"), v[i].strategy);
		CHECK_INT_EQ(ival(&res.tasks.rows[0], "timeout"),
			     v[i].timeout);
		CHECK_INT_EQ(res.report.nwarnings, v[i].warnings);
		ds_split_result_release(&res);
		free(j);
	}
	fake_free(f);
}

TEST(ds_duplicate_names_and_dangling_pretasks)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct input in;

	split_file(f, &in, "pd_dsdev_sql_dependent_duplicate_names.json", 60,
		   &res);
	/* both "shell-1" nodes survive with their own codes (DS keeps only
	 * the last, §4.5) */
	CHECK_INT_EQ(res.tasks.n, 2);
	CHECK(res.task_info[0].code != res.task_info[1].code);
	CHECK_STR_EQ(res.task_info[0].name, "shell-1");
	CHECK_STR_EQ(res.task_info[1].name, "shell-1");
	CHECK_INT_EQ(res.relations.n, 2);
	for (size_t i = 0; i < 2; i++)
		CHECK_INT_EQ(ival(&res.relations.rows[i], "pre_task_code"), 0);
	CHECK(has_warning(&res.report, "process definition 60 \"wf\": "));
	CHECK(has_warning(&res.report, "task \"shell-1\": preTasks names "
			  "\"dependent\", which matches no task: edge "
			  "dropped"));
	ds_split_result_release(&res);
	input_release(&in);
	fake_free(f);
}

static const char *const dup_json =
	"{\"tasks\":["
	"{\"id\":\"tasks-a\",\"name\":\"x\",\"type\":\"SHELL\",\"params\":{}},"
	"{\"id\":\"tasks-b\",\"name\":\"x\",\"type\":\"SHELL\",\"params\":{}},"
	"{\"id\":\"tasks-c\",\"name\":\"y\",\"type\":\"SHELL\",\"params\":{},"
	"\"preTasks\":[\"x\"]},"
	"{\"id\":\"tasks-d\",\"name\":\"cond\",\"type\":\"CONDITIONS\","
	"\"params\":{},\"preTasks\":[\"x\"],"
	"\"conditionResult\":{\"successNode\":[\"y\"],\"failedNode\":[\"x\"]},"
	"\"dependence\":{\"relation\":\"AND\",\"dependTaskList\":[{"
	"\"relation\":\"AND\",\"dependItemList\":[{\"depTasks\":\"x\","
	"\"status\":\"SUCCESS\"}]}]}}"
	"]}";

TEST(ds_duplicate_names_resolved_through_connects)
{
	struct fake *f = fake_new();
	struct ds_env env = fake_env(f);
	struct ds_split_result res;
	struct input in;
	struct err e;
	json_t *p;

	/* connects says: y hangs on the first x, cond on the first x, the
	 * second x follows cond on failure */
	input_init(&in, 70, strdup(dup_json));
	in.row.connects = "[{\"endPointSourceId\":\"tasks-a\","
		"\"endPointTargetId\":\"tasks-c\"},"
		"{\"endPointSourceId\":\"tasks-a\",\"endPointTargetId\":"
		"\"tasks-d\"},{\"endPointSourceId\":\"tasks-d\","
		"\"endPointTargetId\":\"tasks-b\"}]";
	CHECK_OK(ds_split(&in.row, &env, &res, &e), e);
	check_invariants(&res);
	CHECK_INT_EQ(res.relations.n, 4);
	CHECK_INT_EQ(ival(&res.relations.rows[2], "pre_task_code"),
		     code_of(f, 70, "tasks-a"));
	CHECK_INT_EQ(ival(&res.relations.rows[2], "post_task_code"),
		     code_of(f, 70, "tasks-c"));
	CHECK_INT_EQ(ival(&res.relations.rows[3], "pre_task_code"),
		     code_of(f, 70, "tasks-a"));
	p = jparse(val(&res.tasks.rows[3], "task_params"));
	CHECK_INT_EQ(json_integer_value(json_at(p, "conditionResult."
						"failedNode[0]")),
		     code_of(f, 70, "tasks-b"));
	CHECK_INT_EQ(json_array_size(json_at(p, "conditionResult."
					     "failedNode")), 1);
	CHECK_INT_EQ(json_integer_value(json_at(p, "dependence."
		"dependTaskList[0].dependItemList[0].depTaskCode")),
		code_of(f, 70, "tasks-a"));
	json_decref(p);
	CHECK(!has_warning(&res.report, "using the last one"));
	ds_split_result_release(&res);
	input_release(&in);

	/* without connects: the last node of the name, as 1.3's DAG */
	CHECK_OK(run(f, 71, dup_json, &res, &e), e);
	CHECK_INT_EQ(ival(&res.relations.rows[2], "pre_task_code"),
		     code_of(f, 71, "tasks-b"));
	CHECK(has_warning(&res.report, "task \"y\" refers to \"x\", a name 2 "
			  "tasks share, and connects does not tell which"));
	ds_split_result_release(&res);
	fake_free(f);
}

TEST(ds_self_reference_and_repeated_pretasks)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct err e;

	CHECK_OK(run(f, 72, "{\"tasks\":[{\"id\":\"tasks-1\",\"name\":\"a\","
		     "\"type\":\"SHELL\",\"preTasks\":[\"a\"]},{\"id\":"
		     "\"tasks-2\",\"name\":\"b\",\"type\":\"SHELL\","
		     "\"preTasks\":[\"a\",\"a\",7]}]}", &res, &e), e);
	CHECK_INT_EQ(res.relations.n, 2);	/* a root, a -> b once */
	CHECK_INT_EQ(ival(&res.relations.rows[0], "pre_task_code"), 0);
	CHECK(has_warning(&res.report, "preTasks names \"a\", the task itself"));
	CHECK(has_warning(&res.report, "a preTasks entry is not a name"));
	ds_split_result_release(&res);
	fake_free(f);
}

TEST(ds_duplicate_ids_get_their_own_keys)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct err e;

	CHECK_OK(run(f, 73, "{\"tasks\":[{\"id\":\"tasks-1\",\"name\":\"a\","
		     "\"type\":\"SHELL\"},{\"id\":\"tasks-1\",\"name\":\"b\","
		     "\"type\":\"SHELL\"},{\"name\":\"c\",\"type\":\"SHELL\"}]}",
		     &res, &e), e);
	CHECK_STR_EQ(res.task_info[0].key, "tasks-1");
	CHECK_STR_EQ(res.task_info[1].key, "tasks-1#2");
	CHECK_STR_EQ(res.task_info[2].key, "c");	/* no id: the name */
	CHECK(has_warning(&res.report, "keyed \"tasks-1#2\""));
	ds_split_result_release(&res);
	fake_free(f);
}

TEST(ds_process_definition_id_in_shell_params_is_untouched)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct input in;
	json_t *p;

	split_file(f, &in, "pd_dsdev_shell_with_processDefinitionId_param.json",
		   74, &res);
	p = jparse(val(&res.tasks.rows[0], "task_params"));
	CHECK_STR_EQ(json_string_value(json_object_get(p,
		"processDefinitionId")), "222");
	CHECK(!json_object_get(p, "processDefinitionCode"));
	CHECK_INT_EQ(res.report.nwarnings, 0);
	CHECK_INT_EQ(res.report.nunresolved, 0);
	json_decref(p);
	ds_split_result_release(&res);
	input_release(&in);
	fake_free(f);
}

TEST(ds_backend_serialized_forms)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct input in;
	json_t *p;

	/* numeric maxRetryTimes/retryInterval, desc/loc/extras/depList/
	 * forbidden/conditionsTask/taskTimeoutParameter at node level */
	split_file(f, &in, "pd_ds130dev_sql_backend_serialized.json", 75, &res);
	CHECK_STR_EQ(val(&res.tasks.rows[0], "fail_retry_times"), "0");
	CHECK_STR_EQ(val(&res.tasks.rows[0], "fail_retry_interval"), "1");
	CHECK_STR_EQ(val(&res.tasks.rows[0], "description"), "");
	p = jparse(val(&res.tasks.rows[0], "task_params"));
	/* backend params keys are the user's: kept */
	CHECK(json_is_array(json_object_get(p, "resourceFilesList")));
	CHECK_INT_EQ(json_integer_value(json_object_get(p, "sqlType")), 1);
	CHECK(json_is_null(json_object_get(p, "targetTable")));
	json_decref(p);
	CHECK_INT_EQ(res.report.nwarnings, 0);
	ds_split_result_release(&res);
	input_release(&in);
	fake_free(f);
}

TEST(ds_dependent_unknown_project_definition_task)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct err e;
	json_t *p, *items;

	f->unknown_projects[f->nunknown_projects++] = 9;
	f->unknown_processes[f->nunknown_processes++] = 99;
	CHECK_OK(run(f, 80, "{\"tasks\":[{\"id\":\"tasks-1\",\"name\":\"dep\","
		     "\"type\":\"DEPENDENT\",\"params\":{},\"dependence\":{"
		     "\"relation\":\"OR\",\"dependTaskList\":[{\"relation\":"
		     "\"AND\",\"dependItemList\":["
		     "{\"projectId\":9,\"definitionId\":5,\"depTasks\":\"ALL\","
		     "\"cycle\":\"day\",\"dateValue\":\"today\"},"
		     "{\"projectId\":1,\"definitionId\":99,\"depTasks\":\"ALL\","
		     "\"cycle\":\"day\",\"dateValue\":\"today\"},"
		     "{\"projectId\":\"1\",\"definitionId\":\"7\",\"depTasks\":"
		     "\"nope\",\"cycle\":\"day\",\"dateValue\":\"today\"},"
		     "{\"projectId\":1,\"definitionId\":7,\"depTasks\":"
		     "\"shell-1\",\"cycle\":\"hour\",\"dateValue\":"
		     "\"currentHour\"},"
		     "{\"definitionId\":7},"
		     "{\"projectId\":1,\"definitionId\":80,\"depTasks\":\"dep\"}"
		     "]}]}}]}", &res, &e), e);
	p = jparse(val(&res.tasks.rows[0], "task_params"));
	items = json_at(p, "dependence.dependTaskList[0].dependItemList");
	/* DS's index bug would skip the item after a removed one; here
	 * exactly the resolvable one stays */
	CHECK_INT_EQ(json_array_size(items), 1);
	CHECK_INT_EQ(json_integer_value(json_at(items, "[0].depTaskCode")),
		     4000003);
	CHECK_STR_EQ(json_string_value(json_at(items, "[0].dateValue")),
		     "currentHour");
	CHECK_STR_EQ(json_string_value(json_at(p, "dependence.relation")),
		     "OR");
	CHECK_INT_EQ(res.report.nunresolved, 3);
	CHECK_INT_EQ(res.report.unresolved[0].kind, DS_REF_PROJECT);
	CHECK_INT_EQ(res.report.unresolved[0].id, 9);
	CHECK_STR_EQ(res.report.unresolved[0].task_name, "dep");
	CHECK_INT_EQ(res.report.unresolved[1].kind, DS_REF_PROCESS);
	CHECK_INT_EQ(res.report.unresolved[1].id, 99);
	CHECK_INT_EQ(res.report.unresolved[2].kind, DS_REF_TASK);
	CHECK_INT_EQ(res.report.unresolved[2].process_id, 7);
	CHECK_STR_EQ(res.report.unresolved[2].name, "nope");
	CHECK(has_warning(&res.report, "process definition 80 \"wf\": "
			  "DEPENDENT task \"dep\": item on project 9"));
	CHECK(has_warning(&res.report, "without integer projectId"));
	/* its own workflow: resolved locally, never through the map; the
	 * task itself is not a candidate */
	CHECK(has_warning(&res.report, "item on task \"dep\" of its own "
			  "workflow left out"));
	json_decref(p);
	ds_split_result_release(&res);
	fake_free(f);
}

TEST(ds_sub_process_and_resources_unknown)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct err e;
	json_t *p;

	f->unknown_processes[f->nunknown_processes++] = 777;
	f->unknown_resources[f->nunknown_resources++] = 99;
	CHECK_OK(run(f, 81, "{\"tasks\":[{\"id\":\"tasks-1\",\"name\":\"sub\","
		     "\"type\":\"SUB_PROCESS\",\"params\":{\"processDefinitionId"
		     "\":777},\"maxRetryTimes\":\"5\"},{\"id\":\"tasks-2\","
		     "\"name\":\"sh\",\"type\":\"SHELL\",\"params\":{"
		     "\"resourceList\":[{\"id\":99,\"res\":\"a.sh\"},{\"res\":"
		     "\"dir/b.sh\"},{\"id\":\"12\",\"res\":\"c.sh\"},{},7]}}]}",
		     &res, &e), e);
	p = jparse(val(&res.tasks.rows[0], "task_params"));
	CHECK_INT_EQ(json_integer_value(json_object_get(p,
		"processDefinitionId")), 777);
	CHECK(!json_object_get(p, "processDefinitionCode"));
	/* SUB_PROCESS: DS forces 0 retries, interval 1 */
	CHECK_STR_EQ(val(&res.tasks.rows[0], "fail_retry_times"), "0");
	json_decref(p);
	p = jparse(val(&res.tasks.rows[1], "task_params"));
	CHECK(!json_at(p, "resourceList[0].resourceName"));
	CHECK_STR_EQ(json_string_value(json_at(p,
		"resourceList[1].resourceName")), RES_PREFIX "dir/b.sh");
	CHECK_STR_EQ(json_string_value(json_at(p,
		"resourceList[2].resourceName")), RES_PREFIX "r12");
	CHECK_INT_EQ(json_integer_value(json_at(p, "resourceList[4]")), 7);
	/* ids of resourceList only, a string id counted, none invented */
	CHECK_STR_EQ(val(&res.tasks.rows[1], "resource_ids"), "99,12");
	json_decref(p);
	CHECK_INT_EQ(res.report.nunresolved, 2);
	CHECK_INT_EQ(res.report.unresolved[0].kind, DS_REF_PROCESS);
	CHECK_INT_EQ(res.report.unresolved[1].kind, DS_REF_RESOURCE);
	CHECK_INT_EQ(res.report.unresolved[1].id, 99);
	CHECK(has_warning(&res.report, "SUB_PROCESS points to process "
			  "definition 777"));
	CHECK(has_warning(&res.report, "neither an id nor a file name"));
	CHECK(has_warning(&res.report, "resource entry is not an object"));
	ds_split_result_release(&res);
	fake_free(f);
}

TEST(ds_queue_becomes_yarn_queue_for_mr_spark_flink_only)
{
	static const char *const types[] = { "MR", "SPARK", "FLINK", "SHELL" };
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct err e;

	for (size_t i = 0; i < 4; i++) {
		char json[512];
		json_t *p;
		const char *first;

		snprintf(json, sizeof(json), "{\"tasks\":[{\"id\":\"tasks-1\","
			 "\"name\":\"t\",\"type\":\"%s\",\"params\":{\"queue\":"
			 "\"q1\",\"mainClass\":\"M\",\"sparkVersion\":"
			 "\"SPARK1\"}}]}", types[i]);
		CHECK_OK(run(f, 82 + (int64_t)i, json, &res, &e), e);
		p = jparse(val(&res.tasks.rows[0], "task_params"));
		first = json_object_iter_key(json_object_iter(p));
		if (i < 3) {
			/* renamed in place: still the first key */
			CHECK_STR_EQ(first, "yarnQueue");
			CHECK(!json_object_get(p, "queue"));
		} else {
			CHECK_STR_EQ(first, "queue");
		}
		CHECK_INT_EQ(has_warning(&res.report, "SPARK1"), i == 1);
		json_decref(p);
		ds_split_result_release(&res);
	}
	/* yarnQueue already there: queue left alone */
	CHECK_OK(run(f, 86, "{\"tasks\":[{\"name\":\"t\",\"type\":\"MR\","
		     "\"params\":{\"queue\":\"a\",\"yarnQueue\":\"b\"}}]}",
		     &res, &e), e);
	CHECK_STR_CONTAINS(val(&res.tasks.rows[0], "task_params"),
			   "{\"queue\":\"a\",\"yarnQueue\":\"b\"");
	ds_split_result_release(&res);
	fake_free(f);
}

TEST(ds_worker_group_flag_priority_retries)
{
	static const struct {
		const char *extra;
		const char *col, *want;
		int warnings;
	} v[] = {
		{ "\"workerGroupId\":3", "worker_group", "wg-three", 0 },
		{ "\"workerGroupId\":\"3\"", "worker_group", "wg-three", 0 },
		{ "\"workerGroupId\":9", "worker_group", "default", 1 },
		{ "\"workerGroupId\":-1", "worker_group", "default", 0 },
		{ "\"workerGroupId\":null", "worker_group", "default", 0 },
		{ "\"workerGroup\":\"gpu\",\"workerGroupId\":3", "worker_group",
		  "gpu", 0 },
		{ "\"workerGroup\":\"\"", "worker_group", "default", 0 },
		{ "\"runFlag\":\"FORBIDDEN\"", "flag", "0", 0 },
		{ "\"runFlag\":\"NORMAL\"", "flag", "1", 0 },
		{ "\"runFlag\":\"odd\"", "flag", "1", 0 },
		{ "\"taskInstancePriority\":\"LOWEST\"", "task_priority", "4", 0 },
		{ "\"taskInstancePriority\":\"HIGHEST\"", "task_priority", "0",
		  0 },
		{ "\"taskInstancePriority\":3", "task_priority", "3", 0 },
		{ "\"taskInstancePriority\":\"BOGUS\"", "task_priority", "2", 1 },
		{ "\"maxRetryTimes\":\"x\"", "fail_retry_times", "0", 1 },
		{ "\"maxRetryTimes\":2.0", "fail_retry_times", "2", 0 },
		{ "\"maxRetryTimes\":\"3\"", "fail_retry_times", "3", 0 },
		{ "\"retryInterval\":\"10\"", "fail_retry_interval", "10", 0 },
		{ "\"retryInterval\":1e30", "fail_retry_interval", "1", 1 },
	};
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct err e;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *j = one_task(v[i].extra);

		CHECK_OK(run(f, 90 + (int64_t)i, j, &res, &e), e);
		CHECK_MSG(!strcmp(val(&res.tasks.rows[0], v[i].col), v[i].want),
			  "%s: %s = %s", v[i].extra, v[i].col,
			  val(&res.tasks.rows[0], v[i].col));
		if ((int)res.report.nwarnings != v[i].warnings)
			dump_warnings(&res.report);
		CHECK_INT_EQ(res.report.nwarnings, v[i].warnings);
		ds_split_result_release(&res);
		free(j);
	}
	fake_free(f);
}

TEST(ds_malformed_input_is_rejected_with_a_reason)
{
	static const struct {
		const char *json, *msg;
	} v[] = {
		{ "{\"tasks\":[", "process_definition_json is not valid JSON" },
		{ "[1,2]", "is not a JSON object" },
		{ "{}", "has no \"tasks\" array" },
		{ "{\"tasks\":{}}", "has no \"tasks\" array" },
		{ "{\"tasks\":[1]}", "task 1 is not a JSON object" },
		{ "{\"tasks\":[{\"id\":\"tasks-1\",\"type\":\"SHELL\"}]}",
		  "task 1 (tasks-1) has no name" },
		{ "{\"tasks\":[{\"name\":\"a\"}]}", "task \"a\" has no type" },
		{ "{\"tasks\":[{\"name\":\"a\",\"type\":\"SHELL\",\"params\":"
		  "[1]}]}", "task \"a\": params is not a JSON object" },
		{ "{\"tasks\":[{\"name\":\"a\",\"type\":\"SHELL\",\"params\":"
		  "\"oops\"}]}", "params is not a JSON object" },
		{ "{\"tasks\":[{\"name\":\"a\",\"type\":\"SHELL\",\"preTasks\":"
		  "\"b\"}]}", "preTasks is not a JSON array" },
		{ "\"\\u0000\"", "not valid JSON" },
	};
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct ds_env env = fake_env(f);
	struct input in;
	struct err e;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_INT_EQ(run(f, 42, v[i].json, &res, &e), FERRY_EDATA);
		CHECK_STR_CONTAINS(e.msg, "process definition 42 \"wf\": ");
		CHECK_STR_CONTAINS(e.msg, v[i].msg);
		CHECK(res.tasks.n == 0 && res.process.vals == NULL);
	}
	input_init(&in, 43, NULL);
	CHECK_INT_EQ(ds_split(&in.row, &env, &res, &e), FERRY_EDATA);
	CHECK_STR_EQ(e.msg, "process definition 43 \"wf\": "
		     "process_definition_json is NULL");
	in.row.id = "x1";
	CHECK_INT_EQ(ds_split(&in.row, &env, &res, &e), FERRY_EDATA);
	CHECK_STR_CONTAINS(e.msg, "id \"x1\": id is not an integer");
	in.row.id = "43";
	in.row.process_definition_json = "{\"tasks\":[]}";
	in.row.project_id = NULL;
	CHECK_INT_EQ(ds_split(&in.row, &env, &res, &e), FERRY_EDATA);
	CHECK_STR_CONTAINS(e.msg, "project_id is not an integer");
	/* an empty workflow is fine: no tasks, no relations */
	in.row.project_id = "1";
	CHECK_OK(ds_split(&in.row, &env, &res, &e), e);
	CHECK_INT_EQ(res.tasks.n, 0);
	CHECK_INT_EQ(res.relations.n, 0);
	ds_split_result_release(&res);
	/* NULL-safe error struct */
	in.row.process_definition_json = "nope";
	CHECK_INT_EQ(ds_split(&in.row, &env, &res, NULL), FERRY_EDATA);
	fake_free(f);
}

TEST(ds_env_errors_propagate_with_context)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct err e;
	char *j = one_task("");

	f->fail_task_code = FERRY_EIO;
	CHECK_INT_EQ(run(f, 44, j, &res, &e), FERRY_EIO);
	CHECK_STR_EQ(e.msg, "process definition 44 \"wf\": task \"t\" code: "
		     "id map is broken");
	f->fail_task_code = 0;
	/* the workflow's own project must be known */
	f->unknown_projects[f->nunknown_projects++] = 1;
	CHECK_INT_EQ(run(f, 45, j, &res, &e), FERRY_ENOTFOUND);
	CHECK_STR_EQ(e.msg, "process definition 45 \"wf\": project 1: "
		     "no project 1");
	free(j);
	fake_free(f);
}

TEST(ds_workflow_columns_fallbacks_and_versions)
{
	struct fake *f = fake_new();
	struct ds_env env;
	struct ds_split_result res;
	struct input in;
	struct err e;

	f->version = 3;
	env = fake_env(f);
	/* pre-1.2 JSON: no globalParams, no timeout: the columns serve */
	input_init(&in, 46, strdup("{\"tasks\":[{\"id\":\"tasks-1\",\"name\":"
		   "\"a\",\"type\":\"SHELL\"},{\"id\":\"tasks-2\",\"name\":"
		   "\"b\",\"type\":\"SHELL\",\"preTasks\":[\"a\"]}]}"));
	in.row.global_params = "[{\"prop\":\"p\",\"direct\":\"IN\",\"type\":"
		"\"VARCHAR\",\"value\":\"1\"}]";
	in.row.timeout = "15";
	in.row.create_time = NULL;
	in.row.operator_id = 5;
	in.row.version_32 = 4;
	in.row.receivers = "a@b.c";
	CHECK_OK(ds_split(&in.row, &env, &res, &e), e);
	CHECK_STR_EQ(val(&res.process, "global_params"), in.row.global_params);
	CHECK_STR_EQ(val(&res.process, "timeout"), "15");
	CHECK_STR_EQ(val(&res.process, "create_time"), "2022-01-02 03:04:05");
	CHECK_STR_EQ(val(&res.process, "version"), "4");
	CHECK_STR_EQ(val(&res.process_log, "version"), "4");
	CHECK_STR_EQ(val(&res.process_log, "operator"), "5");
	CHECK_STR_EQ(val(&res.tasks_log.rows[0], "operator"), "5");
	CHECK_STR_EQ(val(&res.tasks.rows[1], "version"), "3");
	CHECK_INT_EQ(res.task_info[1].version, 3);
	CHECK(res.task_info[1].hash64 != 0);
	CHECK_STR_EQ(val(&res.relations.rows[0], "pre_task_version"), "0");
	CHECK_STR_EQ(val(&res.relations.rows[0], "post_task_version"), "3");
	CHECK_STR_EQ(val(&res.relations.rows[1], "pre_task_version"), "3");
	CHECK_STR_EQ(val(&res.relations.rows[1], "process_definition_version"),
		     "4");
	CHECK(has_warning(&res.report, "workflow receivers / receivers_cc"));
	/* the same content hashes the same, whatever the version */
	CHECK_STR_EQ(res.task_info[0].hash, res.task_info[0].hash);
	CHECK(strcmp(res.task_info[0].hash, res.task_info[1].hash) != 0);
	ds_split_result_release(&res);

	/* times: update_time from create_time, then `now`, else EINVAL */
	in.row.update_time = NULL;
	in.row.create_time = NULL;
	CHECK_INT_EQ(ds_split(&in.row, &env, &res, &e), FERRY_EINVAL);
	in.row.now = "2024-05-06 07:08:09";
	CHECK_OK(ds_split(&in.row, &env, &res, &e), e);
	CHECK_STR_EQ(val(&res.process, "update_time"), in.row.now);
	CHECK_STR_EQ(val(&res.tasks.rows[0], "create_time"), in.row.now);
	ds_split_result_release(&res);
	input_release(&in);
	fake_free(f);
}

TEST(ds_content_hash_follows_the_task_only)
{
	struct fake *f = fake_new();
	struct ds_split_result a, b;
	struct err e;
	char *j1 = one_task("\"preTasks\":[]");
	char *j2 = one_task("\"preTasks\":[\"zzz\"]");
	char *j3 = one_task("\"maxRetryTimes\":\"1\"");

	CHECK_OK(run(f, 47, j1, &a, &e), e);
	CHECK_OK(run(f, 47, j2, &b, &e), e);
	/* edges are versioned with relations, not with the task */
	CHECK_STR_EQ(a.task_info[0].hash, b.task_info[0].hash);
	ds_split_result_release(&b);
	CHECK_OK(run(f, 47, j3, &b, &e), e);
	CHECK(strcmp(a.task_info[0].hash, b.task_info[0].hash) != 0);
	ds_split_result_release(&a);
	ds_split_result_release(&b);
	free(j1);
	free(j2);
	free(j3);
	fake_free(f);
}

TEST(ds_locations_odd_values)
{
	static const struct {
		const char *loc;
		const char *want;	/* NULL: SQL NULL */
		int warnings;
	} v[] = {
		{ NULL, NULL, 0 },
		{ "", NULL, 0 },
		{ "  ", NULL, 0 },
		{ "not json", NULL, 1 },
		{ "[{\"taskCode\":1}]", NULL, 1 },
		{ "{}", "[]", 0 },
		{ "{\"tasks-1\":{\"x\":1.6,\"y\":\"2\"},\"tasks-9\":{\"x\":1,"
		  "\"y\":1}}", "[{\"taskCode\":@,\"x\":2,\"y\":2}]", 1 },
		{ "{\"tasks-1\":{\"x\":1}}", "[]", 1 },
	};
	struct fake *f = fake_new();
	struct ds_env env = fake_env(f);
	struct ds_split_result res;
	struct input in;
	struct err e;
	char *j = one_task("");

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		input_init(&in, 48, strdup(j));
		in.row.locations = v[i].loc;
		CHECK_OK(ds_split(&in.row, &env, &res, &e), e);
		if (!v[i].want) {
			CHECK(val(&res.process, "locations") == NULL);
		} else {
			char want[128];
			const char *at = strchr(v[i].want, '@');

			if (at)
				snprintf(want, sizeof(want), "%.*s%lld%s",
					 (int)(at - v[i].want), v[i].want,
					 (long long)res.task_info[0].code,
					 at + 1);
			else
				snprintf(want, sizeof(want), "%s", v[i].want);
			CHECK_STR_EQ(val(&res.process, "locations"), want);
		}
		CHECK_INT_EQ(res.report.nwarnings, v[i].warnings);
		ds_split_result_release(&res);
		input_release(&in);
	}
	free(j);
	fake_free(f);
}

TEST(ds_warnings_are_capped)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct err e;
	size_t cap = 64 + 300 * 16;
	char *j = malloc(cap);
	size_t n;

	n = (size_t)snprintf(j, cap, "{\"tasks\":[{\"name\":\"a\",\"type\":"
			     "\"SHELL\",\"preTasks\":[");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(j + n, cap - n, "%s\"m%d\"",
				      i ? "," : "", i);
	snprintf(j + n, cap - n, "]}]}");
	CHECK_OK(run(f, 49, j, &res, &e), e);
	CHECK_INT_EQ(res.report.nwarnings, DS_WARN_MAX);
	CHECK_INT_EQ(res.report.warnings_dropped, 300 - DS_WARN_MAX);
	ds_split_result_release(&res);
	free(j);
	fake_free(f);
}

/* ---- task instances (spec §6.3) ------------------------------------- */

TEST(ds_task_instance_params_from_stringified_task_json)
{
	static const char *const files[] = {
		"node_DATAX_ds133_stringified.json",
		"node_PYTHON_dsdev_stringified.json",
		"node_SHELL_ds139_stringified_chinese.json",
		"node_SQOOP_ds133_stringified.json",
	};
	struct fake *f = fake_new();
	struct ds_env env = fake_env(f);

	for (size_t i = 0; i < 4; i++) {
		char *tj = fixture(files[i]);
		json_t *node = jparse(tj), *inner, *out;
		struct ds_report rep = { 0 };
		char *tp, *key;
		const char *k;
		json_t *v;
		struct err e;

		CHECK_OK(ds_task_instance_params(tj, 7, &env, &tp, &key, &rep,
						 &e), e);
		out = jparse(tp);
		inner = jparse(json_string_value(json_object_get(node,
								 "params")));
		/* the stringified params, unchanged, key by key */
		json_object_foreach(inner, k, v) {
			CHECK_MSG(json_equal(v, json_object_get(out, k)),
				  "%s: %s", files[i], k);
		}
		/* the 3.2 instance shape: strings, and a JSON null */
		CHECK_STR_EQ(json_string_value(json_object_get(out,
			"dependence")), "{}");
		CHECK_STR_EQ(json_string_value(json_object_get(out,
			"conditionResult")), CR_EMPTY);
		CHECK_STR_EQ(json_string_value(json_object_get(out,
			"switchResult")), "null");
		CHECK(json_is_null(json_object_get(out, "waitStartTimeout")));
		CHECK_STR_EQ(key, json_string_value(json_object_get(node, "id")));
		CHECK_INT_EQ(rep.nwarnings, 0);
		ds_report_release(&rep);
		json_decref(out);
		json_decref(inner);
		json_decref(node);
		free(tp);
		free(key);
		free(tj);
	}
	fake_free(f);
}

TEST(ds_task_instance_params_plain_shapes_and_rewrites)
{
	struct fake *f = fake_new();
	struct ds_env env = fake_env(f);
	struct ds_report rep = { 0 };
	char *tp, *key, *tj;
	json_t *out, *inner;
	struct err e;

	/* CONDITIONS: names of its workflow through the (process, name) map */
	tj = fixture("node_CONDITIONS_ds_docs.json");
	CHECK_OK(ds_task_instance_params(tj, 7, &env, &tp, NULL, &rep, &e), e);
	out = jparse(tp);
	inner = jparse(json_string_value(json_object_get(out,
							 "conditionResult")));
	CHECK_STR_EQ(tp, "{\"conditionResult\":\"{\\\"successNode\\\":[],"
		     "\\\"failedNode\\\":[]}\",\"dependence\":\"{\\\"relation"
		     "\\\":\\\"AND\\\",\\\"dependTaskList\\\":[]}\","
		     "\"switchResult\":\"null\",\"waitStartTimeout\":null}");
	CHECK_INT_EQ(rep.nunresolved, 2);	/* test04, test05 */
	json_decref(inner);
	json_decref(out);
	free(tp);
	free(tj);
	ds_report_release(&rep);

	/* DEPENDENT, no conditionResult key: "null" as text */
	tj = fixture("node_DEPENDENT_ds139_with_names.json");
	CHECK_OK(ds_task_instance_params(tj, 3, &env, &tp, &key, &rep, &e), e);
	out = jparse(tp);
	CHECK_STR_EQ(json_string_value(json_object_get(out, "conditionResult")),
		     "null");
	inner = jparse(json_string_value(json_object_get(out, "dependence")));
	CHECK_INT_EQ(json_integer_value(json_at(inner, "dependTaskList[0]."
		"dependItemList[0].depTaskCode")), 4000003);
	CHECK_STR_EQ(key, "tasks-55485");
	json_decref(inner);
	json_decref(out);
	free(tp);
	free(key);
	free(tj);
	ds_report_release(&rep);

	/* resources and SUB_PROCESS as for definitions */
	tj = fixture("node_SUB_PROCESS_ds_docs.json");
	CHECK_OK(ds_task_instance_params(tj, 3, &env, &tp, NULL, NULL, &e), e);
	CHECK_STR_CONTAINS(tp, "\"processDefinitionCode\":2000002");
	free(tp);
	free(tj);

	CHECK_INT_EQ(ds_task_instance_params("[]", 3, &env, &tp, NULL, NULL,
					     &e), FERRY_EDATA);
	CHECK_STR_CONTAINS(e.msg, "task instance of process definition 3");
	CHECK_INT_EQ(ds_task_instance_params("{", 3, &env, &tp, NULL, NULL,
					     &e), FERRY_EDATA);
	CHECK_STR_CONTAINS(e.msg, "task_json is not valid JSON");
	CHECK_INT_EQ(ds_task_instance_params(NULL, 3, &env, &tp, NULL, NULL,
					     &e), FERRY_EDATA);
	fake_free(f);
}

/* ---- datasources (spec §3.6) and commands (spec §3.5) --------------- */

TEST(ds_datasource_params_other_and_drivers)
{
	static const struct {
		const char *in;
		int type;
		const char *want;
	} v[] = {
		{ "{\"address\":\"jdbc:mysql://h:3306\",\"database\":\"d\","
		  "\"jdbcUrl\":\"jdbc:mysql://h:3306/d\",\"user\":\"u\","
		  "\"password\":\"p\",\"other\":\"useSSL=false&a=b=c\"}", 0,
		  "{\"address\":\"jdbc:mysql://h:3306\",\"database\":\"d\","
		  "\"jdbcUrl\":\"jdbc:mysql://h:3306/d\",\"user\":\"u\","
		  "\"password\":\"p\",\"other\":{\"useSSL\":\"false\","
		  "\"a\":\"b=c\"},\"driverClassName\":"
		  "\"com.mysql.cj.jdbc.Driver\",\"validationQuery\":"
		  "\"select 1\"}" },
		{ "{\"other\":\"hive.a=1;flag;;x=\",\"principal\":\"p\"}", 2,
		  "{\"other\":{\"hive.a\":\"1\",\"flag\":\"\",\"x\":\"\"},"
		  "\"principal\":\"p\",\"driverClassName\":"
		  "\"org.apache.hive.jdbc.HiveDriver\",\"validationQuery\":"
		  "\"select 1\"}" },
		{ "{\"other\":\"\",\"connectType\":\"ORACLE_SID\"}", 5,
		  "{\"connectType\":\"ORACLE_SID\",\"driverClassName\":"
		  "\"oracle.jdbc.OracleDriver\",\"validationQuery\":"
		  "\"select 1 from dual\"}" },
		{ "{\"other\":{\"k\":\"v\"},\"driverClassName\":\"x.D\"}", 1,
		  "{\"other\":{\"k\":\"v\"},\"driverClassName\":\"x.D\","
		  "\"validationQuery\":\"select version()\"}" },
		{ "{\"other\":null}", 7,
		  "{\"driverClassName\":\"com.ibm.db2.jcc.DB2Driver\","
		  "\"validationQuery\":\"select 1 from sysibm.sysdummy1\"}" },
		{ "{\"user\":\"u\"}", 9, "{\"user\":\"u\"}" },
		{ "{}", 6, "{\"driverClassName\":"
		  "\"com.microsoft.sqlserver.jdbc.SQLServerDriver\","
		  "\"validationQuery\":\"select 1\"}" },
		{ "{}", 4, "{\"driverClassName\":"
		  "\"com.clickhouse.jdbc.ClickHouseDriver\",\"validationQuery\":"
		  "\"select 1\"}" },
		{ "{}", 3, "{\"driverClassName\":"
		  "\"org.apache.hive.jdbc.HiveDriver\",\"validationQuery\":"
		  "\"select 1\"}" },
	};
	struct err e;
	char *out;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_OK(ds_datasource_params(v[i].in, v[i].type, &out, &e), e);
		CHECK_STR_EQ(out, v[i].want);
		free(out);
	}
	CHECK_INT_EQ(ds_datasource_params("nope", 0, &out, &e), FERRY_EDATA);
	CHECK_INT_EQ(ds_datasource_params("[]", 0, &out, &e), FERRY_EDATA);
	CHECK_INT_EQ(ds_datasource_params(NULL, 0, &out, &e), FERRY_EDATA);
	CHECK(out == NULL);
}

TEST(ds_command_param_keys_renamed)
{
	struct fake *f = fake_new();
	struct ds_env env = fake_env(f);
	struct ds_report rep = { 0 };
	struct err e;
	char *out;

	f->deps[f->ndeps++] = (struct fake_dep){ 7, "b", 4000009 };
	CHECK_OK(ds_command_param("{\"StartNodeNameList\":\"shell-1,nope,b\","
				  "\"WaittingThreadInstanceId\":\"5\","
				  "\"processDefinitionId\":\"3\","
				  "\"ProcessInstanceId\":12,\"StartParams\":"
				  "{\"a\":\"1\"}}", 7, &env, &out, &rep, &e), e);
	CHECK_STR_EQ(out, "{\"StartNodeList\":\"4000003,4000009\","
		     "\"WaitingThreadInstanceId\":\"5\","
		     "\"processDefinitionCode\":\"2000003\","
		     "\"ProcessInstanceId\":12,\"StartParams\":{\"a\":\"1\"}}");
	CHECK_INT_EQ(rep.nwarnings, 1);
	CHECK_STR_CONTAINS(rep.warnings[0], "start node \"nope\"");
	free(out);
	ds_report_release(&rep);

	f->unknown_processes[f->nunknown_processes++] = 8;
	CHECK_OK(ds_command_param("{\"processDefinitionId\":8}", 7, &env, &out,
				  &rep, &e), e);
	CHECK_STR_EQ(out, "{\"processDefinitionId\":8}");
	CHECK_INT_EQ(rep.nunresolved, 1);
	free(out);
	ds_report_release(&rep);

	CHECK_OK(ds_command_param(NULL, 7, &env, &out, NULL, &e), e);
	CHECK(out == NULL);
	CHECK_OK(ds_command_param("", 7, &env, &out, NULL, &e), e);
	CHECK(out == NULL);
	CHECK_INT_EQ(ds_command_param("{", 7, &env, &out, NULL, &e),
		     FERRY_EDATA);
	fake_free(f);
}

/* ---- verify digests ------------------------------------------------- */

/* a deep copy of rows, so that a test can change the "target" */
static struct ds_row *copy_rows(const struct ds_row *src, size_t n)
{
	struct ds_row *r = calloc(n ? n : 1, sizeof(*r));

	for (size_t i = 0; i < n; i++) {
		r[i] = src[i];
		r[i].vals = calloc(src[i].ncols, sizeof(char *));
		for (size_t c = 0; c < src[i].ncols; c++)
			r[i].vals[c] = src[i].vals[c] ?
				strdup(src[i].vals[c]) : NULL;
	}
	return r;
}

static void set_col(struct ds_row *r, const char *col, const char *v)
{
	for (size_t c = 0; c < r->ncols; c++)
		if (!strcmp(r->cols[c], col)) {
			free(r->vals[c]);
			r->vals[c] = v ? strdup(v) : NULL;
			return;
		}
	harness_fail(__FILE__, __LINE__, "no column %s", col);
}

static void free_rows(struct ds_row *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < r[i].ncols; c++)
			free(r[i].vals[c]);
		free(r[i].vals);
	}
	free(r);
}

struct target {
	struct ds_row *p, *t, *r;
	size_t nt, nr;
};

static void target_of(const struct ds_split_result *res, struct target *x)
{
	x->p = copy_rows(&res->process, 1);
	x->t = copy_rows(res->tasks.rows, res->tasks.n);
	x->r = copy_rows(res->relations.rows, res->relations.n);
	x->nt = res->tasks.n;
	x->nr = res->relations.n;
}

static void target_free(struct target *x)
{
	free_rows(x->p, 1);
	free_rows(x->t, x->nt);
	free_rows(x->r, x->nr);
}

static void digest_of(const struct target *x, char out[65])
{
	struct err e;

	CHECK_OK(ds_digest_32(x->p, x->t, x->nt, x->r, x->nr, out, &e), e);
}

TEST(ds_digest_equal_when_right_different_when_not)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct ds_env env;
	struct target x;
	struct input in;
	struct err e;
	char d13[65], d[65];
	char *text;
	size_t i3 = 2;	/* spark_sql_0 */

	split_file(f, &in, "pd_dw139_inner_flow_0.json", 3, &res);
	f->read_only = true;
	env = fake_env(f);
	CHECK_OK(ds_digest_13(&in.row, &env, d13, &e), e);
	target_of(&res, &x);
	digest_of(&x, d);
	CHECK_STR_EQ(d, d13);
	CHECK_OK(ds_digest_13_text(&in.row, &env, &text, &e), e);
	CHECK(!strncmp(text, "ferry-ds-digest 1\nprocess\t2000003\t1000001\t"
		       "\"wf\"\t\"a workflow\"\t1\t1\t11\t0\t[]\ntask\t", 60));
	free(text);

	/* formatting noise is not a difference: key order and spaces in
	 * JSON, ids, times, versions consistently changed */
	set_col(&x.t[0], "task_params", "{ \"resourceList\": [], \"rawScript\":"
		"\"whoami\",\"localParams\":[],\"dependence\":{},"
		"\"conditionResult\":{\"failedNode\":[\"\"],"
		"\"successNode\":[\"\"]}}");
	set_col(&x.t[1], "update_time", "2030-01-01 00:00:00");
	set_col(x.p, "id", "999");
	set_col(&x.t[1], "flag", " 1");
	digest_of(&x, d);
	CHECK_STR_EQ(d, d13);

	/* a parameter differs */
	set_col(&x.t[0], "task_params", "{\"resourceList\":[],\"rawScript\":"
		"\"whoami -a\",\"localParams\":[],\"dependence\":{},"
		"\"conditionResult\":{\"failedNode\":[\"\"],"
		"\"successNode\":[\"\"]}}");
	digest_of(&x, d);
	CHECK(strcmp(d, d13) != 0);
	target_free(&x);

	/* a task column differs */
	target_of(&res, &x);
	set_col(&x.t[1], "fail_retry_times", "3");
	digest_of(&x, d);
	CHECK(strcmp(d, d13) != 0);
	target_free(&x);

	/* an edge differs, is missing, is doubled */
	target_of(&res, &x);
	set_col(&x.r[0], "pre_task_code", "0");
	digest_of(&x, d);
	CHECK(strcmp(d, d13) != 0);
	target_free(&x);
	target_of(&res, &x);
	x.nr--;
	digest_of(&x, d);
	x.nr++;
	CHECK(strcmp(d, d13) != 0);
	target_free(&x);
	target_of(&res, &x);
	x.r = realloc(x.r, (x.nr + 1) * sizeof(*x.r));
	{
		struct ds_row *dup = copy_rows(&x.r[0], 1);

		x.r[x.nr++] = dup[0];
		free(dup);
	}
	digest_of(&x, d);
	CHECK(strcmp(d, d13) != 0);
	target_free(&x);

	/* a task is missing */
	target_of(&res, &x);
	for (size_t c = 0; c < x.t[x.nt - 1].ncols; c++)
		free(x.t[x.nt - 1].vals[c]);
	free(x.t[x.nt - 1].vals);
	x.nt--;
	digest_of(&x, d);
	CHECK(strcmp(d, d13) != 0);
	target_free(&x);

	/* a relation points at a stale task version */
	target_of(&res, &x);
	set_col(&x.r[0], "post_task_version", "2");
	digest_of(&x, d);
	CHECK(strcmp(d, d13) != 0);
	target_free(&x);

	/* log tables passed whole: rows of another workflow version, and an
	 * older task version, are ignored */
	target_of(&res, &x);
	x.r = realloc(x.r, (x.nr + 1) * sizeof(*x.r));
	{
		struct ds_row *old = copy_rows(&x.r[0], 1);

		set_col(old, "process_definition_version", "0");
		set_col(old, "pre_task_code", "12345");
		x.r[x.nr++] = old[0];
		free(old);
	}
	x.t = realloc(x.t, (x.nt + 1) * sizeof(*x.t));
	{
		struct ds_row *old = copy_rows(&x.t[i3], 1);

		set_col(old, "version", "0");
		set_col(old, "task_params", "{\"old\":true}");
		x.t[x.nt++] = old[0];
		free(old);
	}
	digest_of(&x, d);
	CHECK_STR_EQ(d, d13);
	target_free(&x);

	/* the process row */
	target_of(&res, &x);
	set_col(x.p, "global_params", "[{\"prop\":\"p\"}]");
	digest_of(&x, d);
	CHECK(strcmp(d, d13) != 0);
	set_col(x.p, "code", NULL);
	CHECK_INT_EQ(ds_digest_32(x.p, x.t, x.nt, x.r, x.nr, d, &e),
		     FERRY_EINVAL);
	target_free(&x);
	ds_split_result_release(&res);
	input_release(&in);
	fake_free(f);
}

TEST(ds_digest_follows_changes_on_the_source_side)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct ds_env env;
	struct target x;
	struct input in;
	struct err e;
	char d[65], d13[65];
	char *changed;

	split_file(f, &in, "pd_dw139_hello_flow_0.json", 1, &res);
	/* hello_flow_0 has an unresolved DEPENDENT item: register it, so the
	 * target is complete once split again */
	f->deps[f->ndeps++] = (struct fake_dep){ 2, "dws_okcard_bill",
						 4000004 };
	ds_split_result_release(&res);
	env = fake_env(f);
	CHECK_OK(ds_split(&in.row, &env, &res, &e), e);
	CHECK_INT_EQ(res.report.nunresolved, 0);
	target_of(&res, &x);
	digest_of(&x, d);
	f->read_only = true;
	CHECK_OK(ds_digest_13(&in.row, &env, d13, &e), e);
	CHECK_STR_EQ(d, d13);

	/* a 1.3 param changes: the target is stale */
	changed = strdup(in.json);
	*strstr(changed, "whoami") = 'W';
	in.row.process_definition_json = changed;
	CHECK_OK(ds_digest_13(&in.row, &env, d13, &e), e);
	CHECK(strcmp(d, d13) != 0);
	free(changed);

	/* a 1.3 edge changes */
	changed = strdup(in.json);
	memcpy(strstr(changed, "\"preTasks\":[\"py_0\"]"),
	       "\"preTasks\":[\"mr_0\"]", 19);
	in.row.process_definition_json = changed;
	CHECK_OK(ds_digest_13(&in.row, &env, d13, &e), e);
	CHECK(strcmp(d, d13) != 0);
	free(changed);

	/* a new 1.3 task: the read-only env does not know it */
	changed = strdup(in.json);
	memcpy(strstr(changed, "tasks-97378"), "tasks-97379", 11);
	in.row.process_definition_json = changed;
	CHECK_INT_EQ(ds_digest_13(&in.row, &env, d13, &e), FERRY_ENOTFOUND);
	free(changed);

	in.row.process_definition_json = in.json;
	target_free(&x);
	ds_split_result_release(&res);
	input_release(&in);
	fake_free(f);
}

/* No real PROCEDURE sample exists (SOURCES.md); the 1.3.9 UI shape: its
 * params pass unchanged (spec §5), datasource id included. */
TEST(ds_procedure_params_unchanged)
{
	struct fake *f = fake_new();
	struct ds_split_result res;
	struct err e;

	CHECK_OK(run(f, 120, "{\"globalParams\":[],\"tasks\":[{\"type\":"
		     "\"PROCEDURE\",\"id\":\"tasks-1\",\"name\":\"proc\","
		     "\"params\":{\"type\":\"MYSQL\",\"datasource\":4,"
		     "\"method\":\"call p(${in},${out})\",\"localParams\":["
		     "{\"prop\":\"in\",\"direct\":\"IN\",\"type\":\"INTEGER\","
		     "\"value\":\"1\"},{\"prop\":\"out\",\"direct\":\"OUT\","
		     "\"type\":\"VARCHAR\",\"value\":\"\"}]},\"description\":"
		     "\"\",\"runFlag\":\"NORMAL\",\"dependence\":{},"
		     "\"maxRetryTimes\":\"2\",\"retryInterval\":\"3\","
		     "\"timeout\":{\"strategy\":\"\",\"interval\":null,"
		     "\"enable\":false},\"taskInstancePriority\":\"LOW\","
		     "\"workerGroup\":\"default\",\"preTasks\":[]}],"
		     "\"tenantId\":-1,\"timeout\":0}", &res, &e), e);
	CHECK_STR_EQ(val(&res.tasks.rows[0], "task_params"),
		     "{\"type\":\"MYSQL\",\"datasource\":4,\"method\":"
		     "\"call p(${in},${out})\",\"localParams\":[{\"prop\":\"in\","
		     "\"direct\":\"IN\",\"type\":\"INTEGER\",\"value\":\"1\"},"
		     "{\"prop\":\"out\",\"direct\":\"OUT\",\"type\":\"VARCHAR\","
		     "\"value\":\"\"}],\"conditionResult\":null,"
		     "\"dependence\":{}}");
	CHECK_STR_EQ(val(&res.tasks.rows[0], "fail_retry_times"), "2");
	CHECK_STR_EQ(val(&res.tasks.rows[0], "fail_retry_interval"), "3");
	CHECK_STR_EQ(val(&res.tasks.rows[0], "task_priority"), "3");
	CHECK_INT_EQ(res.report.nwarnings, 0);
	ds_split_result_release(&res);
	fake_free(f);
}

/* Thousands of same-named tasks: every reference is ambiguous.  connects
 * decides where it can; the cost stays linear in the canvas edges (the
 * first version took minutes at 20000 tasks). */
TEST(ds_many_same_named_tasks_stay_cheap)
{
	enum { N = 5000 };
	struct fake *f = fake_new();
	struct ds_env env = fake_env(f);
	struct ds_split_result res;
	struct input in;
	struct err e;
	char *json = malloc(N * 96 + 64), *con = malloc(N * 96 + 64);
	size_t n = 0, m = 0;

	n += (size_t)sprintf(json + n, "{\"tasks\":[");
	m += (size_t)sprintf(con + m, "[");
	for (int i = 0; i < N; i++) {
		n += (size_t)sprintf(json + n, "%s{\"id\":\"tasks-%d\",\"name\":"
				     "\"x\",\"type\":\"SHELL\",\"preTasks\":"
				     "[\"x\"]}", i ? "," : "", i);
		if (i)
			m += (size_t)sprintf(con + m, "%s{\"endPointSourceId\":"
					     "\"tasks-%d\",\"endPointTargetId\":"
					     "\"tasks-%d\"}", i > 1 ? "," : "",
					     i - 1, i);
	}
	sprintf(json + n, "]}");
	sprintf(con + m, "]");
	input_init(&in, 121, json);
	in.row.connects = con;
	CHECK_OK(ds_split(&in.row, &env, &res, &e), e);
	CHECK_INT_EQ(res.relations.n, N);
	/* tasks-0 has no canvas predecessor: the last "x", with a warning */
	CHECK_INT_EQ(ival(&res.relations.rows[0], "pre_task_code"),
		     res.task_info[N - 1].code);
	for (size_t i = 1; i < N; i++)
		CHECK_INT_EQ(ival(&res.relations.rows[i], "pre_task_code"),
			     res.task_info[i - 1].code);
	CHECK(has_warning(&res.report, "a name 4999 tasks share"));
	ds_split_result_release(&res);
	input_release(&in);
	free(con);
	fake_free(f);
}
