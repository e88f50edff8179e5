/*
 * fuzz_ds_split.c - libFuzzer target for the DolphinScheduler split
 * (ds_split.h): the bytes are a 1.3 process_definition_json, optionally
 * followed by 0xFF and a locations value, and 0xFF and a connects value.
 *
 * The same text also goes through the instance, datasource and command
 * conversions.  Besides the sanitizers, the target checks the contracts:
 *  - a failed split leaves the result empty and says why;
 *  - a successful one gives task_params that are JSON objects,
 *    global_params a JSON array, locations NULL or a JSON array, every
 *    task a post task and every root exactly once (spec §11);
 *  - the verify digest of the 1.3 row equals the digest of the rows
 *    written exactly when nothing was left unresolved.
 *
 * The env is a small deterministic fake: some projects, workflows,
 * resources and cross-workflow task names are "unknown" so that the
 * unresolved paths are reached too.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ferry/ds_split.h"
#include "ferry/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct key {
	char *k;
	int64_t code;
};

struct fake {
	struct key *keys;
	size_t n;
	bool read_only;
};

static int f_project(void *ctx, int64_t id, int64_t *code, struct err *e)
{
	(void)ctx;
	if (id % 7 == 3)
		return err_set(e, FERRY_ENOTFOUND, "no project");
	*code = 1000000 + id;
	return 0;
}

static int f_process(void *ctx, int64_t id, int64_t *code, struct err *e)
{
	(void)ctx;
	if (id % 5 == 4)
		return err_set(e, FERRY_ENOTFOUND, "no process");
	*code = 2000000 + id;
	return 0;
}

static int f_task(void *ctx, int64_t pid, const char *key, int64_t *code,
		  struct err *e)
{
	struct fake *f = ctx;

	(void)pid;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->keys[i].k, key) == 0) {
			*code = f->keys[i].code;
			return 0;
		}
	if (f->read_only)
		return err_set(e, FERRY_ENOTFOUND, "no task");
	f->keys = realloc(f->keys, (f->n + 1) * sizeof(*f->keys));
	f->keys[f->n].k = strdup(key);
	f->keys[f->n].code = 3000001 + (int64_t)f->n;
	*code = f->keys[f->n++].code;
	return 0;
}

static int f_dep(void *ctx, int64_t pid, const char *name, int64_t *code,
		 struct err *e)
{
	(void)ctx;
	if (name[0] != 'k')
		return err_set(e, FERRY_ENOTFOUND, "no task");
	*code = 4000000 + pid + (int64_t)strlen(name);
	return 0;
}

static int f_resource(void *ctx, int64_t id, const char *res, bool udf,
		      char **path, struct err *e)
{
	char s[64];

	(void)ctx;
	(void)udf;
	if (id % 3 == 0)
		return err_set(e, FERRY_ENOTFOUND, "no resource");
	snprintf(s, sizeof(s), "hdfs:///r/%lld/%.20s", (long long)id,
		 res ? res : "");
	*path = strdup(s);
	return 0;
}

static int f_wg(void *ctx, int64_t id, char **name, struct err *e)
{
	(void)ctx;
	if (id != 3)
		return err_set(e, FERRY_ENOTFOUND, "no worker group");
	*name = strdup("wg3");
	return 0;
}

static void fake_release(struct fake *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->keys[i].k);
	free(f->keys);
}

static const char *get(const struct ds_row *r, const char *col)
{
	return ds_row_get(r, col, NULL);
}

static void must_parse(const char *text, bool array)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);

	if (!v || (array ? !json_is_array(v) : !json_is_object(v)))
		abort();
	json_decref(v);
}

static void check_result(const struct ds_split_result *res)
{
	const char *loc = get(&res->process, "locations");

	must_parse(get(&res->process, "global_params"), true);
	if (loc)
		must_parse(loc, true);
	if (res->tasks.n != res->tasks_log.n ||
	    res->relations.n != res->relations_log.n)
		abort();
	for (size_t t = 0; t < res->tasks.n; t++) {
		const struct ds_row *r = &res->tasks.rows[t];
		int posts = 0, roots = 0;

		must_parse(get(r, "task_params"), false);
		for (size_t i = 0; i < res->relations.n; i++) {
			const struct ds_row *rel = &res->relations.rows[i];

			if (strcmp(get(rel, "post_task_code"), get(r, "code")))
				continue;
			posts++;
			roots += strcmp(get(rel, "pre_task_code"), "0") == 0;
			if (!strcmp(get(rel, "pre_task_code"),
				    get(rel, "post_task_code")))
				abort();
		}
		if (posts < 1 || (roots && (roots != 1 || posts != 1)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *parts[3] = { NULL, NULL, NULL };
	struct fake f = { NULL, 0, false };
	struct ds_env env = {
		.ctx = &f, .project_code = f_project,
		.process_code = f_process, .task_code = f_task,
		.dep_task_code = f_dep, .resource_path = f_resource,
		.worker_group_name = f_wg, .sql_group_id = 3,
	};
	struct ds_process_13 row;
	struct ds_split_result res;
	struct ds_report rep = { 0 };
	struct err e;
	char d13[65], d32[65], *out, *key;
	size_t np = 0;
	int rc;

	memcpy(buf, data, size);
	buf[size] = '\0';
	/* 0xFF never occurs in UTF-8 text: a safe separator */
	for (char *p = buf; np < 3; np++) {
		char *sep = memchr(p, 0xff, (size_t)(buf + size - p));

		parts[np] = p;
		if (!sep)
			break;
		*sep = '\0';
		p = sep + 1;
	}
	memset(&row, 0, sizeof(row));
	row.id = "42";
	row.name = "fuzz";
	row.project_id = "1";
	row.user_id = "1";
	row.process_definition_json = parts[0];
	row.locations = parts[1];
	row.connects = parts[2];
	row.now = "2024-01-01 00:00:00";

	err_clear(&e);
	rc = ds_split(&row, &env, &res, &e);
	if (rc) {
		if (!e.msg[0] || res.tasks.n || res.process.vals)
			abort();
	} else {
		check_result(&res);
		f.read_only = true;
		if (ds_digest_13(&row, &env, d13, &e) ||
		    ds_digest_32(&res.process, res.tasks.rows, res.tasks.n,
				 res.relations.rows, res.relations.n, d32, &e))
			abort();
		if ((strcmp(d13, d32) == 0) != (res.report.nunresolved == 0))
			abort();
		ds_split_result_release(&res);
	}

	if (ds_task_instance_params(parts[0], 42, &env, &out, &key, &rep,
				    &e) == 0) {
		must_parse(out, false);
		free(out);
		free(key);
	}
	ds_report_release(&rep);
	if (ds_datasource_params(parts[0], (int)(size % 10), &out, &e) == 0) {
		must_parse(out, false);
		free(out);
	}
	if (ds_command_param(parts[0], 42, &env, &out, &rep, &e) == 0 && out) {
		must_parse(out, false);
		free(out);
	}
	ds_report_release(&rep);
	fake_release(&f);
	free(buf);
	return 0;
}
