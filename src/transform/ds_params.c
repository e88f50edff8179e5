/*
 * ds_params.c - 1.3 task "params" -> 3.2 task_params, and the other JSON
 * columns whose content changed between DolphinScheduler 1.3 and 3.2:
 * t_ds_task_instance.task_params (§6.3), t_ds_datasource.connection_params
 * (§3.6) and t_ds_command.command_param (§3.5).
 *
 * Where it sits: called by ds_split.c for every task of a workflow and by
 * the transform stage directly for instance, datasource and command rows.
 * Codes come from the caller's struct ds_env; names of the same workflow
 * come from a resolver (ds_local_fn), which the split answers from the
 * workflow in hand and the instance path from env->dep_task_code.
 *
 * Every rewrite keeps the keys in their 1.3 order (a renamed key stays
 * where it was), so the output is deterministic and reads like the input.
 * Values that are not rewritten are shared with the parsed input through
 * jansson's reference counts, not copied.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ds_int.h"
#include "ferry/mem.h"

/* Call an optional env callback (a missing one knows nothing), starting
 * from a clear `e` so that a failure message is the callback's own. */
#define ENV_CALL(env, e, fn, ...)                                       \
	(err_clear(e), (env)->fn ? (env)->fn((env)->ctx, __VA_ARGS__, (e)) \
				 : FERRY_ENOTFOUND)

/* A callback failed for real (not ENOTFOUND): say for which task. */
static int env_fail(const struct ds_pctx *c, int rc, struct err *e)
{
	return ds_fail(e, rc, "%stask \"%s\"", c->where, c->task_name);
}

static bool is_type(const struct ds_pctx *c, const char *type)
{
	return c->task_type && strcmp(c->task_type, type) == 0;
}

static bool nonempty_str(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0;
}

/* ---- resources (spec §5.3) ----------------------------------------- */

/*
 * One 1.3 ResourceInfo ({"id":..,"res":..,"name":..}) -> the same object
 * plus "resourceName": the absolute storage path, the only key 3.2's
 * master and worker read (issues #14891, #14920).
 */
static int conv_resource(struct ds_pctx *c, json_t *ri, json_t **out,
			 struct err *e)
{
	int64_t id = -1;
	const char *res;
	char *path = NULL;
	json_t *o;
	int rc;

	*out = json_incref(ri);
	if (!json_is_object(ri)) {
		ds_warn(c->rep, "%stask \"%s\": resource entry is not an "
			"object: kept as is", c->where, c->task_name);
		return 0;
	}
	if (json_object_get(ri, "resourceName"))
		return 0;	/* already in 3.x form */
	if (!ds_json_int(json_object_get(ri, "id"), &id) || id < 0)
		id = -1;
	res = ds_json_str(ri, "res");
	if (id < 0 && !res) {
		ds_warn(c->rep, "%stask \"%s\": resource entry has neither an "
			"id nor a file name: kept without resourceName",
			c->where, c->task_name);
		return 0;
	}
	rc = ENV_CALL(c->env, e, resource_path, id, res, false, &path);
	if (rc == FERRY_ENOTFOUND) {
		ds_warn(c->rep, "%stask \"%s\": resource id %" PRId64
			" (\"%s\") is not known: kept without resourceName, "
			"the task will miss the file until it is split again",
			c->where, c->task_name, id, res ? res : "");
		ds_unresolved_add(c->rep, DS_REF_RESOURCE, c->task_name, id,
				  -1, res);
		err_clear(e);
		return 0;
	}
	if (rc)
		return env_fail(c, rc, e);
	o = json_object();
	json_object_update(o, ri);
	json_object_set_new(o, "resourceName", json_string(path ? path : ""));
	free(path);
	json_decref(*out);
	*out = o;
	return 0;
}

static int conv_resource_list(struct ds_pctx *c, json_t *list, json_t **out,
			      struct err *e)
{
	json_t *a = json_array(), *v, *nv;
	size_t i;
	int64_t id;
	int rc;

	json_array_foreach(list, i, v) {
		rc = conv_resource(c, v, &nv, e);
		if (rc) {
			json_decref(a);
			return rc;
		}
		json_array_append_new(a, nv);
		/* resource_ids: ids of resourceList only, not mainJar, and
		 * never the text "null" (spec §4.4) */
		if (json_is_object(v) &&
		    ds_json_int(json_object_get(v, "id"), &id) && id >= 0) {
			if ((c->resource_ids.len &&
			     buf_putc(&c->resource_ids, ',')) ||
			    buf_printf(&c->resource_ids, "%" PRId64, id)) {
				json_decref(a);
				return FERRY_ENOMEM;
			}
		}
	}
	*out = a;
	return 0;
}

/* ---- SUB_PROCESS (spec §4.6.1) ------------------------------------- */

static int conv_subprocess(struct ds_pctx *c, json_t *o, json_t *v,
			   struct err *e)
{
	int64_t id, code;
	int rc;

	if (!ds_json_int(v, &id)) {
		ds_warn(c->rep, "%stask \"%s\": SUB_PROCESS "
			"processDefinitionId is not an integer: kept, the task "
			"has no sub-workflow",
			c->where, c->task_name);
		json_object_set(o, "processDefinitionId", v);
		return 0;
	}
	rc = ENV_CALL(c->env, e, process_code, id, &code);
	if (rc == FERRY_ENOTFOUND) {
		/* DS crashes here; we keep the id so that nothing is lost and
		 * let the caller defer (spec §4.4.1 "defer / quarantine") */
		ds_warn(c->rep, "%stask \"%s\": SUB_PROCESS points to process "
			"definition %" PRId64 ", which is not known (yet): "
			"processDefinitionId kept, split again when it arrives",
			c->where, c->task_name, id);
		ds_unresolved_add(c->rep, DS_REF_PROCESS, c->task_name, id, -1,
				  NULL);
		json_object_set(o, "processDefinitionId", v);
		err_clear(e);
		return 0;
	}
	if (rc)
		return env_fail(c, rc, e);
	json_object_set_new(o, "processDefinitionCode", json_integer(code));
	return 0;
}

/* ---- DEPENDENT and CONDITIONS (spec §4.6.2, §4.6.3) ---------------- */

/* The one code a single-valued name reference resolves to. */
static int local_one(struct ds_pctx *c, const char *name, enum ds_dir dir,
		     int64_t *code, struct err *e)
{
	json_t *codes;
	int n;

	if (!c->local)
		return 0;
	codes = json_array();
	n = c->local(c->lctx, name, dir, codes, e);
	if (n > 0)
		*code = json_integer_value(json_array_get(codes,
							  (size_t)n - 1));
	json_decref(codes);
	return n;
}

/*
 * A DEPENDENT item: projectId / definitionId / depTasks -> projectCode /
 * definitionCode / depTaskCode, in place.  *out = NULL leaves the item out
 * (warned about; listed as unresolved when it may resolve later).
 */
static int conv_dependent_item(struct ds_pctx *c, json_t *item,
			       json_t **out, struct err *e)
{
	json_t *pv = json_object_get(item, "projectId");
	json_t *dv = json_object_get(item, "definitionId");
	json_t *tv = json_object_get(item, "depTasks");
	int64_t pid = -1, did = -1, pcode = 0, dcode = 0, tcode = 0;
	const char *dep;
	const char *key;
	json_t *v, *o;
	int rc;

	*out = NULL;
	if (!pv && !dv && !tv && json_object_get(item, "definitionCode")) {
		*out = json_incref(item);	/* already 3.x shaped */
		return 0;
	}
	dep = json_is_string(tv) ? json_string_value(tv) : NULL;
	if (!ds_json_int(pv, &pid) || !ds_json_int(dv, &did) || !dep) {
		ds_warn(c->rep, "%sDEPENDENT task \"%s\": dependItemList item "
			"without integer projectId, definitionId and a "
			"depTasks name: left out", c->where, c->task_name);
		return 0;
	}
	rc = ENV_CALL(c->env, e, project_code, pid, &pcode);
	if (rc == FERRY_ENOTFOUND) {
		ds_warn(c->rep, "%sDEPENDENT task \"%s\": item on project %"
			PRId64 " / process definition %" PRId64 " left out: "
			"project %" PRId64 " is not known (yet); the task does "
			"not wait for it until the workflow is split again",
			c->where, c->task_name, pid, did, pid);
		ds_unresolved_add(c->rep, DS_REF_PROJECT, c->task_name, pid,
				  did, NULL);
		err_clear(e);
		return 0;
	}
	if (rc)
		return env_fail(c, rc, e);
	rc = ENV_CALL(c->env, e, process_code, did, &dcode);
	if (rc == FERRY_ENOTFOUND) {
		ds_warn(c->rep, "%sDEPENDENT task \"%s\": item on process "
			"definition %" PRId64 " left out: it is not known "
			"(yet); the task does not wait for it until the "
			"workflow is split again", c->where, c->task_name, did);
		ds_unresolved_add(c->rep, DS_REF_PROCESS, c->task_name, did,
				  -1, NULL);
		err_clear(e);
		return 0;
	}
	if (rc)
		return env_fail(c, rc, e);
	/* 1.3 "ALL" = the depended workflow instance succeeded = 3.2
	 * DEPENDENT_WORKFLOW_CODE 0 (spec §4.6.3) */
	if (strcmp(dep, "ALL") == 0) {
		tcode = 0;
	} else if (did == c->process_id && c->local) {
		/* its own workflow: the names are in hand, not in the map */
		rc = local_one(c, dep, DS_UP, &tcode, e);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			ds_warn(c->rep, "%sDEPENDENT task \"%s\": item on task "
				"\"%s\" of its own workflow left out: no task "
				"has that name", c->where, c->task_name, dep);
			return 0;
		}
	} else {
		rc = ENV_CALL(c->env, e, dep_task_code, did, dep, &tcode);
		if (rc == FERRY_ENOTFOUND) {
			ds_warn(c->rep, "%sDEPENDENT task \"%s\": item on task "
				"\"%s\" of process definition %" PRId64 " left "
				"out: no such task is known (yet)", c->where,
				c->task_name, dep, did);
			ds_unresolved_add(c->rep, DS_REF_TASK, c->task_name, -1,
					  did, dep);
			err_clear(e);
			return 0;
		}
		if (rc)
			return env_fail(c, rc, e);
	}
	o = json_object();
	json_object_foreach(item, key, v) {
		if (strcmp(key, "projectId") == 0)
			json_object_set_new(o, "projectCode",
					    json_integer(pcode));
		else if (strcmp(key, "definitionId") == 0)
			json_object_set_new(o, "definitionCode",
					    json_integer(dcode));
		else if (strcmp(key, "depTasks") == 0)
			json_object_set_new(o, "depTaskCode",
					    json_integer(tcode));
		else if (strcmp(key, "definitionList") == 0 ||
			 strcmp(key, "projectCode") == 0 ||
			 strcmp(key, "definitionCode") == 0 ||
			 strcmp(key, "depTaskCode") == 0)
			continue;	/* UI helper; or stale 3.x keys */
		else
			json_object_set(o, key, v);
	}
	*out = o;
	return 0;
}

/* A CONDITIONS item: depTasks (a task of this workflow) -> depTaskCode. */
static int conv_conditions_item(struct ds_pctx *c, json_t *item,
				json_t **out, struct err *e)
{
	const char *dep = ds_json_str(item, "depTasks");
	const char *key;
	int64_t code = 0;
	json_t *v, *o;
	int rc;

	*out = NULL;
	if (!dep) {
		if (json_object_get(item, "depTaskCode")) {
			*out = json_incref(item);
			return 0;
		}
		ds_warn(c->rep, "%sCONDITIONS task \"%s\": dependItemList item "
			"without a depTasks name: left out", c->where,
			c->task_name);
		return 0;
	}
	rc = local_one(c, dep, DS_UP, &code, e);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		/* DS writes a null code (§10.12); an item that names nothing
		 * cannot be evaluated, so it goes */
		ds_warn(c->rep, "%sCONDITIONS task \"%s\": dependItemList item "
			"on \"%s\" left out: no task of the workflow has that "
			"name", c->where, c->task_name, dep);
		return 0;
	}
	o = json_object();
	json_object_foreach(item, key, v) {
		if (strcmp(key, "depTasks") == 0)
			json_object_set_new(o, "depTaskCode",
					    json_integer(code));
		else if (strcmp(key, "depTaskCode") != 0)
			json_object_set(o, key, v);
	}
	*out = o;
	return 0;
}

/* One dependTaskList entry: its dependItemList converted item by item,
 * its other keys (relation) kept. */
static int conv_group(struct ds_pctx *c, json_t *grp, bool dependent,
		      json_t *g, struct err *e)
{
	const char *key;
	json_t *v, *items, *item, *ni;
	size_t j;
	int rc;

	json_object_foreach(grp, key, v) {
		if (strcmp(key, "dependItemList") != 0 || !json_is_array(v)) {
			json_object_set(g, key, v);
			continue;
		}
		items = json_array();
		json_object_set_new(g, key, items);
		json_array_foreach(v, j, item) {
			if (!json_is_object(item)) {
				ds_warn(c->rep, "%stask \"%s\": dependItemList "
					"entry is not an object: left out",
					c->where, c->task_name);
				continue;
			}
			rc = dependent ? conv_dependent_item(c, item, &ni, e) :
				conv_conditions_item(c, item, &ni, e);
			if (rc)
				return rc;
			if (ni)
				json_array_append_new(items, ni);
		}
	}
	return 0;
}

/*
 * Walk dependence.dependTaskList[*].dependItemList[*] and convert each
 * item; everything around the items is kept.
 */
static int conv_dependence(struct ds_pctx *c, json_t *dep, bool dependent,
			   json_t **out, struct err *e)
{
	const char *key;
	json_t *v, *o, *list, *grp, *g;
	size_t i;
	int rc;

	if (!json_is_object(dep)) {
		if (dep && !json_is_null(dep))
			ds_warn(c->rep, "%stask \"%s\": dependence is not an "
				"object: kept as is", c->where, c->task_name);
		*out = json_incref(dep ? dep : json_null());
		return 0;
	}
	o = json_object();
	json_object_foreach(dep, key, v) {
		if (strcmp(key, "dependTaskList") != 0 || !json_is_array(v)) {
			json_object_set(o, key, v);
			continue;
		}
		list = json_array();
		json_object_set_new(o, key, list);
		json_array_foreach(v, i, grp) {
			if (!json_is_object(grp)) {
				ds_warn(c->rep, "%stask \"%s\": dependTaskList "
					"entry is not an object: left out",
					c->where, c->task_name);
				continue;
			}
			g = json_object();	/* borrowed once appended */
			json_array_append_new(list, g);
			rc = conv_group(c, grp, dependent, g, e);
			if (rc) {
				json_decref(o);
				return rc;
			}
		}
	}
	*out = o;
	return 0;
}

/* CONDITIONS conditionResult: successNode / failedNode names -> codes. */
static int conv_condition_result(struct ds_pctx *c, json_t *cr, json_t **out,
				 struct err *e)
{
	const char *key, *name;
	json_t *v, *o, *a, *n;
	size_t i;
	int rc;

	if (!json_is_object(cr)) {
		*out = json_incref(cr ? cr : json_null());
		return 0;
	}
	o = json_object();
	json_object_foreach(cr, key, v) {
		if ((strcmp(key, "successNode") != 0 &&
		     strcmp(key, "failedNode") != 0) || !json_is_array(v)) {
			json_object_set(o, key, v);
			continue;
		}
		a = json_array();
		json_object_set_new(o, key, a);
		json_array_foreach(v, i, n) {
			if (json_is_integer(n)) {
				json_array_append(a, n); /* a code already */
				continue;
			}
			name = json_is_string(n) ? json_string_value(n) : NULL;
			if (!name || !*name) {
				/* the UI's [""] default: nothing to keep (DS
				 * writes a null code, spec §10.12) */
				continue;
			}
			rc = c->local ?
				c->local(c->lctx, name, DS_DOWN, a, e) : 0;
			if (rc < 0) {
				json_decref(o);
				return rc;
			}
			if (rc == 0)
				ds_warn(c->rep, "%sCONDITIONS task \"%s\": %s "
					"\"%s\" names no task of the workflow: "
					"dropped", c->where, c->task_name, key,
					name);
		}
	}
	*out = o;
	return 0;
}

/* ---- the params object (spec §4.4.1, §5) --------------------------- */

/* Instances keep dependence / conditionResult / switchResult as JSON text
 * inside a string (spec §6.3): 3.2's TaskInstance casts them to String. */
static json_t *as_instance_string(json_t *v)
{
	char *s = ds_json_dump(v ? v : json_null(), JSON_COMPACT);
	json_t *r = json_string(s);

	free(s);
	json_decref(v);
	return r ? r : json_string("null");
}

int ds_build_params(struct ds_pctx *c, const json_t *node, json_t **out,
		    struct err *e)
{
	json_t *params = json_object_get(node, "params");
	json_t *empty = NULL, *o, *v, *nv, *cr = NULL, *dep = NULL;
	bool yarn = is_type(c, "MR") || is_type(c, "SPARK") ||
		is_type(c, "FLINK");
	const char *key, *okey;
	int rc = 0;

	*out = NULL;
	if (!params || json_is_null(params))
		params = empty = json_object();	/* daemon: {} (§4.4.1) */
	else if (!json_is_object(params))
		return err_set(e, FERRY_EDATA, "%stask \"%s\": params is not "
			       "a JSON object", c->where, c->task_name);
	o = json_object();
	json_object_foreach(params, key, v) {
		nv = NULL;
		okey = key;	/* never assign `key`: it is the iterator */
		if (is_type(c, "SUB_PROCESS") &&
		    strcmp(key, "processDefinitionId") == 0) {
			/* only SUB_PROCESS: a SHELL param of that name is the
			 * user's (pd_dsdev_shell_with_processDefinitionId) */
			rc = conv_subprocess(c, o, v, e);
		} else if (strcmp(key, "resourceList") == 0 &&
			   json_is_array(v)) {
			rc = conv_resource_list(c, v, &nv, e);
		} else if (strcmp(key, "mainJar") == 0 && json_is_object(v)) {
			rc = conv_resource(c, v, &nv, e);
		} else if (yarn && strcmp(key, "queue") == 0 &&
			   !json_object_get(params, "yarnQueue")) {
			/* renamed in 3.2.0 without a data migration (§10.9) */
			okey = "yarnQueue";
			nv = json_incref(v);
		} else if (strcmp(key, "conditionResult") == 0 ||
			   strcmp(key, "dependence") == 0) {
			/* set below from the node; keep the position, as DS's
			 * ObjectNode.put() does */
			nv = json_null();
		} else {
			nv = json_incref(v);
		}
		if (rc) {
			json_decref(nv);
			goto out;
		}
		if (nv)
			json_object_set_new(o, okey, nv);
	}
	if (is_type(c, "SQL")) {
		if (nonempty_str(json_object_get(params, "receivers")) ||
		    nonempty_str(json_object_get(params, "receiversCc")))
			ds_warn(c->rep, "%sSQL task \"%s\": receivers / "
				"receiversCc are not used by 3.2; query "
				"results go to alert group %" PRId64, c->where,
				c->task_name, c->env->sql_group_id);
		if (!json_object_get(params, "groupId"))
			json_object_set_new(o, "groupId",
					    json_integer(c->env->sql_group_id));
	}
	if (is_type(c, "SPARK") &&
	    (v = json_object_get(params, "sparkVersion")) &&
	    json_is_string(v) && strcmp(json_string_value(v), "SPARK1") == 0)
		ds_warn(c->rep, "%sSPARK task \"%s\": sparkVersion SPARK1 is "
			"gone in 3.2, which always runs SPARK_HOME's spark",
			c->where, c->task_name);

	/* every task gets the node's conditionResult and dependence, JSON
	 * null when absent (DS, spec §4.4.1 step 2) */
	v = json_object_get(node, "conditionResult");
	if (is_type(c, "CONDITIONS"))
		rc = conv_condition_result(c, v, &cr, e);
	else
		cr = json_incref(v ? v : json_null());
	if (rc)
		goto out;
	v = json_object_get(node, "dependence");
	if (is_type(c, "DEPENDENT") || is_type(c, "CONDITIONS"))
		rc = conv_dependence(c, v, is_type(c, "DEPENDENT"), &dep, e);
	else
		dep = json_incref(v ? v : json_null());
	if (rc)
		goto out;
	if (c->instance) {
		json_object_set_new(o, "conditionResult",
				    as_instance_string(cr));
		json_object_set_new(o, "dependence", as_instance_string(dep));
		v = json_object_get(node, "switchResult");
		json_object_set_new(o, "switchResult",
				    as_instance_string(json_incref(v)));
		json_object_set_new(o, "waitStartTimeout", json_null());
	} else {
		json_object_set_new(o, "conditionResult", cr);
		json_object_set_new(o, "dependence", dep);
	}
	cr = dep = NULL;
out:
	json_decref(cr);
	json_decref(dep);
	json_decref(empty);
	if (rc) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

/* ---- t_ds_task_instance.task_params (spec §6.3) -------------------- */

/* An instance has no workflow in hand: same-workflow names go through the
 * caller's (process id, name) map. */
static int instance_local(void *lctx, const char *name, enum ds_dir dir,
			  json_t *codes, struct err *e)
{
	struct ds_pctx *c = lctx;
	int64_t code;
	int rc;

	(void)dir;
	rc = ENV_CALL(c->env, e, dep_task_code, c->process_id, name, &code);
	if (rc == FERRY_ENOTFOUND) {
		ds_unresolved_add(c->rep, DS_REF_TASK, c->task_name, -1,
				  c->process_id, name);
		err_clear(e);
		return 0;
	}
	if (rc)
		return env_fail(c, rc, e);
	json_array_append_new(codes, json_integer(code));
	return 1;
}

int ds_task_instance_params(const char *task_json, int64_t process_id,
			    const struct ds_env *env, char **task_params,
			    char **task_key, struct ds_report *rep,
			    struct err *e)
{
	struct ds_pctx c;
	char where[96];
	json_t *doc, *params = NULL;
	const char *id;
	int rc;

	*task_params = NULL;
	if (task_key)
		*task_key = NULL;
	snprintf(where, sizeof(where), "task instance of process definition %"
		 PRId64 ": ", process_id);
	if (!task_json)
		return err_set(e, FERRY_EDATA, "%stask_json is NULL", where);
	doc = ds_json_load(task_json, "task_json", e);
	if (!doc)
		return ds_fail(e, FERRY_EDATA, "%s", where);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return err_set(e, FERRY_EDATA, "%stask_json is not a JSON "
			       "object", where);
	}
	ds_node_unstringify(doc);
	memset(&c, 0, sizeof(c));
	c.env = env;
	c.process_id = process_id;
	c.rep = rep;
	c.where = where;
	c.task_name = ds_json_str(doc, "name");
	if (!c.task_name)
		c.task_name = "";
	c.task_type = ds_json_str(doc, "type");
	c.local = instance_local;
	c.lctx = &c;
	c.instance = true;
	buf_init(&c.resource_ids, 0);
	rc = ds_build_params(&c, doc, &params, e);
	buf_release(&c.resource_ids);
	if (rc == 0) {
		*task_params = ds_json_dump(params, JSON_COMPACT);
		id = ds_json_str(doc, "id");
		if (task_key && id)
			*task_key = xstrdup(id);
	}
	json_decref(params);
	json_decref(doc);
	return rc;
}

/* ---- t_ds_datasource.connection_params (spec §3.6) ----------------- */

static const struct {
	int type;
	const char *driver;
	const char *validation;
} ds_drivers[] = {
	{ 0, "com.mysql.cj.jdbc.Driver", "select 1" },
	{ 1, "org.postgresql.Driver", "select version()" },
	{ 2, "org.apache.hive.jdbc.HiveDriver", "select 1" },
	{ 3, "org.apache.hive.jdbc.HiveDriver", "select 1" },
	{ 4, "com.clickhouse.jdbc.ClickHouseDriver", "select 1" },
	{ 5, "oracle.jdbc.OracleDriver", "select 1 from dual" },
	{ 6, "com.microsoft.sqlserver.jdbc.SQLServerDriver", "select 1" },
	{ 7, "com.ibm.db2.jcc.DB2Driver", "select 1 from sysibm.sysdummy1" },
};

/* "k1=v1&k2=v2" (or ';'-separated) -> {"k1":"v1","k2":"v2"}. */
static json_t *other_to_object(const char *s)
{
	json_t *o = json_object();
	const char *p = s, *end, *eq;

	while (*p) {
		end = p + strcspn(p, "&;");
		eq = memchr(p, '=', (size_t)(end - p));
		if (end > p && eq != p) {
			char *k = xstrndup(p, (size_t)((eq ? eq : end) - p));
			json_t *v = eq ? json_stringn(eq + 1,
						      (size_t)(end - eq - 1)) :
				json_string("");

			/* jansson refuses invalid UTF-8 (value or key): the
			 * pair is then skipped; set_new() frees v itself */
			if (v)
				json_object_set_new(o, k, v);
			free(k);
		}
		p = *end ? end + 1 : end;
	}
	return o;
}

int ds_datasource_params(const char *connection_params, int db_type,
			 char **out, struct err *e)
{
	json_t *doc, *o, *v;
	const char *key;

	*out = NULL;
	if (!connection_params)
		return err_set(e, FERRY_EDATA, "connection_params is NULL");
	doc = ds_json_load(connection_params, "connection_params", e);
	if (!doc)
		return e ? e->code : FERRY_EDATA;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return err_set(e, FERRY_EDATA, "connection_params is not a "
			       "JSON object");
	}
	o = json_object();
	json_object_foreach(doc, key, v) {
		if (strcmp(key, "other") != 0) {
			json_object_set(o, key, v);
		} else if (json_is_string(v)) {
			/* 3.2 expects a map (issues #15363, #14858) */
			if (json_string_length(v) > 0)
				json_object_set_new(o, key, other_to_object(
					json_string_value(v)));
		} else if (!json_is_null(v)) {
			json_object_set(o, key, v);
		}
	}
	/* 1.3 rows lack both (compat fix #7751 covers MySQL only) */
	for (size_t i = 0; i < sizeof(ds_drivers) / sizeof(ds_drivers[0]);
	     i++) {
		if (ds_drivers[i].type != db_type)
			continue;
		if (!json_object_get(o, "driverClassName"))
			json_object_set_new(o, "driverClassName",
					    json_string(ds_drivers[i].driver));
		if (!json_object_get(o, "validationQuery"))
			json_object_set_new(o, "validationQuery", json_string(
				ds_drivers[i].validation));
	}
	*out = ds_json_dump(o, JSON_COMPACT);
	json_decref(o);
	json_decref(doc);
	return 0;
}

/* ---- t_ds_command.command_param (spec §3.5) ------------------------ */

static int start_nodes(const json_t *v, int64_t process_id,
		       const struct ds_env *env, struct ds_report *rep,
		       json_t **out, struct err *e)
{
	const char *s = json_string_value(v), *p, *end;
	struct buf b;
	int64_t code;
	int rc = 0;

	buf_init(&b, 0);
	for (p = s; *p; p = *end ? end + 1 : end) {
		char *name;

		end = p + strcspn(p, ",");
		if (end == p)
			continue;
		name = xstrndup(p, (size_t)(end - p));
		rc = ENV_CALL(env, e, dep_task_code, process_id, name, &code);
		if (rc == FERRY_ENOTFOUND) {
			ds_warn(rep, "command of process definition %" PRId64
				": start node \"%s\" names no known task: "
				"dropped", process_id, name);
			ds_unresolved_add(rep, DS_REF_TASK, NULL, -1,
					  process_id, name);
			err_clear(e);
			rc = 0;
		} else if (rc == 0 &&
			   ((b.len && buf_putc(&b, ',')) ||
			    buf_printf(&b, "%" PRId64, code))) {
			rc = FERRY_ENOMEM;
		}
		free(name);
		if (rc) {
			buf_release(&b);
			return rc;
		}
	}
	*out = json_string(b.data);
	buf_release(&b);
	return 0;
}

int ds_command_param(const char *command_param, int64_t process_id,
		     const struct ds_env *env, char **out,
		     struct ds_report *rep, struct err *e)
{
	json_t *doc, *o, *v, *nv;
	const char *key, *okey;
	int64_t id, code;
	int rc = 0;

	*out = NULL;
	if (!command_param || !*command_param)
		return 0;
	doc = ds_json_load(command_param, "command_param", e);
	if (!doc)
		return e ? e->code : FERRY_EDATA;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return err_set(e, FERRY_EDATA, "command_param is not a JSON "
			       "object");
	}
	o = json_object();
	json_object_foreach(doc, key, v) {
		nv = NULL;
		okey = key;	/* never assign `key`: it is the iterator */
		if (strcmp(key, "StartNodeNameList") == 0 &&
		    json_is_string(v)) {
			rc = start_nodes(v, process_id, env, rep, &nv, e);
			okey = "StartNodeList";
		} else if (strcmp(key, "WaittingThreadInstanceId") == 0) {
			okey = "WaitingThreadInstanceId";
			nv = json_incref(v);
		} else if (strcmp(key, "processDefinitionId") == 0 &&
			   ds_json_int(v, &id)) {
			rc = ENV_CALL(env, e, process_code, id, &code);
			if (rc == 0) {
				char s[24];

				okey = "processDefinitionCode";
				snprintf(s, sizeof(s), "%" PRId64, code);
				nv = json_is_string(v) ? json_string(s) :
					json_integer(code);
			} else if (rc == FERRY_ENOTFOUND) {
				ds_warn(rep, "command of process definition %"
					PRId64 ": sub-process definition %"
					PRId64 " is not known (yet): "
					"processDefinitionId kept", process_id,
					id);
				ds_unresolved_add(rep, DS_REF_PROCESS, NULL, id,
						  -1, NULL);
				err_clear(e);
				nv = json_incref(v);
				rc = 0;
			}
		} else {
			nv = json_incref(v);
		}
		if (rc) {
			json_decref(nv);
			ds_fail(e, rc, "command of process definition %" PRId64,
				process_id);
			break;
		}
		json_object_set_new(o, okey, nv);
	}
	if (rc == 0)
		*out = ds_json_dump(o, JSON_COMPACT);
	json_decref(o);
	json_decref(doc);
	return rc;
}
