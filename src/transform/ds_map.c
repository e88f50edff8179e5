/*
 * ds_map.c - the DolphinScheduler mapping's records in the state store,
 * and the struct ds_env the split asks (see ds_map.h).
 *
 * Sits under the DolphinScheduler plugin (which mints) and `ferry verify`
 * (which only looks up).  Minting writes the id map in the batch's LMDB
 * transaction, which the apply thread commits before the target rows
 * that use the codes: a replay after a crash finds the same codes.
 */
#include "ferry/ds_map.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"

size_t ds_key_pid_str(int64_t process_id, const char *s, unsigned char *out,
		      size_t n)
{
	size_t len = strlen(s);

	if (n < 8 || len > n - 8)
		return 0;
	state_key_i64(process_id, out);
	memcpy(out + 8, s, len);
	return 8 + len;
}

/* Look up, or (with a generator and `mint`) mint and record, a code. */
static int code_of(struct ds_state_env *se, const char *entity,
		   const void *key, size_t keylen, bool mint, int64_t *code,
		   struct err *e)
{
	struct state_idval v = { 0 }, got;
	int rc;

	rc = state_idmap_get(se->t, entity, key, keylen, &v, e);
	if (rc == 0) {
		*code = v.id;
		return 0;
	}
	if (rc != FERRY_ENOTFOUND || !se->sf || !mint)
		return rc;
	rc = snowflake_next(se->sf, &v.id, e);
	if (rc)
		return rc;
	v.version = 1;
	rc = state_idmap_assign(se->t, entity, key, keylen, &v, &got, e);
	if (rc && rc != FERRY_EEXIST)
		return rc;
	se->minted += rc == 0;
	*code = got.id;
	return 0;
}

static int env_project(void *ctx, int64_t id, int64_t *code, struct err *e)
{
	struct ds_state_env *se = ctx;
	unsigned char k[8];

	state_key_i64(id, k);
	return code_of(se, DS_ENT_PROJECT, k, 8, id == se->mint_project_id,
		       code, e);
}

static int env_process(void *ctx, int64_t id, int64_t *code, struct err *e)
{
	struct ds_state_env *se = ctx;
	unsigned char k[8];

	state_key_i64(id, k);
	return code_of(se, DS_ENT_PROCESS, k, 8, id == se->mint_process_id,
		       code, e);
}

static int env_task(void *ctx, int64_t pid, const char *task_key,
		    int64_t *code, struct err *e)
{
	unsigned char k[512];
	size_t n = ds_key_pid_str(pid, task_key, k, sizeof(k));

	if (!n)
		return err_set(e, FERRY_EDATA, "task key \"%.60s...\" is too "
			       "long", task_key);
	/* a task key is always of the workflow being split */
	return code_of(ctx, DS_ENT_TASK, k, n, true, code, e);
}

static int env_dep_task(void *ctx, int64_t pid, const char *name,
			int64_t *code, struct err *e)
{
	struct ds_state_env *se = ctx;
	struct state_idval v;
	unsigned char k[512];
	size_t n = ds_key_pid_str(pid, name, k, sizeof(k));
	int rc;

	if (!n)
		return err_set(e, FERRY_ENOTFOUND, "task name too long");
	/* never minted here: the other workflow's split names its tasks */
	rc = state_idmap_get(se->t, DS_ENT_TASK_NAME, k, n, &v, e);
	if (!rc)
		*code = v.id;
	return rc;
}

/* Field `i` (0-based) of a '\t'-separated record, copied. */
static char *field(const char *rec, int i)
{
	const char *p = rec, *end;

	while (i-- > 0) {
		p = strchr(p, '\t');
		if (!p)
			return NULL;
		p++;
	}
	end = strchr(p, '\t');
	return xstrndup(p, end ? (size_t)(end - p) : strlen(p));
}

static int blob_of(struct state_txn *t, const char *ns, int64_t id,
		   char **out, struct err *e)
{
	unsigned char k[8];
	size_t len;

	state_key_i64(id, k);
	return state_blob_get(t, ns, k, 8, (void **)out, &len, e);
}

static int env_resource(void *ctx, int64_t id, const char *res_name,
			bool udf, char **path, struct err *e)
{
	struct ds_state_env *se = ctx;
	char *res = NULL, *user = NULL, *tenant = NULL;
	char *full = NULL, *uid = NULL, *tid = NULL;
	size_t len, need;
	int rc;

	if (id < 0 && res_name && *res_name) {
		/* 1.2-era rows name the file only: full_name = "/" + res */
		char name[1024], *idtext;

		snprintf(name, sizeof(name), "%s%s",
			 res_name[0] == '/' ? "" : "/", res_name);
		rc = state_blob_get(se->t, DS_BLOB_RES_NAME, name,
				    strlen(name), (void **)&idtext, &len, e);
		if (rc)
			return rc;
		id = strtoll(idtext, NULL, 10);
		free(idtext);
	}
	rc = blob_of(se->t, DS_BLOB_RESOURCE, id, &res, e);
	if (!rc) {
		full = field(res, 0);
		uid = field(res, 1);
		rc = full && uid ? blob_of(se->t, DS_BLOB_USER,
					   strtoll(uid, NULL, 10), &user, e)
				 : err_set(e, FERRY_ECORRUPT, "bad resource "
					   "record of %" PRId64, id);
	}
	if (!rc) {
		tid = field(user, 1);
		rc = tid ? blob_of(se->t, DS_BLOB_TENANT,
				   strtoll(tid, NULL, 10), &tenant, e)
			 : err_set(e, FERRY_ECORRUPT, "bad user record");
	}
	if (!rc) {
		const char *rel = full[0] == '/' ? full + 1 : full;
		const char *prefix = se->opt && se->opt->resource_prefix
					     ? se->opt->resource_prefix : "";

		need = strlen(prefix) + strlen(tenant) + strlen(rel) + 16;
		*path = xmalloc(need);
		snprintf(*path, need, "%s/%s/%s/%s", prefix, tenant,
			 udf ? "udfs" : "resources", rel);
	}
	free(res);
	free(user);
	free(tenant);
	free(full);
	free(uid);
	free(tid);
	return rc;
}

static int env_worker(void *ctx, int64_t id, char **name, struct err *e)
{
	struct ds_state_env *se = ctx;

	return blob_of(se->t, DS_BLOB_WORKER, id, name, e);
}

void ds_state_env_init(struct ds_state_env *se, struct state_txn *t,
		       struct snowflake *sf, const struct ds_map_options *opt)
{
	memset(se, 0, sizeof(*se));
	se->t = t;
	se->sf = sf;
	se->opt = opt;
	se->env.ctx = se;
	se->env.project_code = env_project;
	se->env.process_code = env_process;
	se->env.task_code = env_task;
	se->env.dep_task_code = env_dep_task;
	se->env.resource_path = env_resource;
	se->env.worker_group_name = env_worker;
	se->env.sql_group_id = opt ? opt->sql_group_id : 0;
	se->mint_process_id = INT64_MIN;
	se->mint_project_id = INT64_MIN;
}

void ds_state_env_mint_for(struct ds_state_env *se, int64_t process_id,
			   int64_t project_id)
{
	se->mint_process_id = process_id;
	se->mint_project_id = project_id;
}

int ds_row_id(struct state_txn *t, const char *table, const void *key,
	      size_t keylen, int64_t *id, bool *fresh, struct err *e)
{
	unsigned char k[600];
	char counter[128];
	struct state_idval v = { 0 };
	size_t tl = strlen(table);
	int64_t last = 0;
	int rc;

	if (tl + 1 + keylen > sizeof(k))
		return err_set(e, FERRY_EINVAL, "row key too long");
	memcpy(k, table, tl);
	k[tl] = '\0';
	memcpy(k + tl + 1, key, keylen);
	if (fresh)
		*fresh = false;
	rc = state_idmap_get(t, DS_ENT_ROW_ID, k, tl + 1 + keylen, &v, e);
	if (rc == 0) {
		*id = v.id;
		return 0;
	}
	if (rc != FERRY_ENOTFOUND)
		return rc;
	snprintf(counter, sizeof(counter), "%s%s", DS_META_NEXT_ID, table);
	rc = state_meta_get_i64(t, counter, &last, e);
	if (rc && rc != FERRY_ENOTFOUND)
		return rc;
	v.id = last + 1;
	rc = state_meta_put_i64(t, counter, v.id, e);
	if (!rc)
		rc = state_idmap_put(t, DS_ENT_ROW_ID, k, tl + 1 + keylen, &v,
				     e);
	if (rc)
		return rc;
	*id = v.id;
	if (fresh)
		*fresh = true;
	return 0;
}

int ds_max_row_id(struct state_txn *t, int64_t *out, struct err *e)
{
	static const char *const tables[] = {
		"t_ds_process_definition_log", "t_ds_task_definition",
		"t_ds_task_definition_log", "t_ds_process_task_relation",
		"t_ds_process_task_relation_log",
	};
	char counter[128];

	*out = 0;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		int64_t v = 0;
		int rc;

		snprintf(counter, sizeof(counter), "%s%s", DS_META_NEXT_ID,
			 tables[i]);
		rc = state_meta_get_i64(t, counter, &v, e);
		if (rc && rc != FERRY_ENOTFOUND)
			return rc;
		if (v > *out)
			*out = v;
	}
	return 0;
}
