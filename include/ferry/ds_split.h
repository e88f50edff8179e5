/*
 * ds_split.h - the DolphinScheduler 1.3 -> 3.2 workflow split, as a pure
 * library: no database, no id map, no clock.
 *
 * Specification: ../shared/spec/ds-1.3-to-3.2-mapping.md ("spec" below),
 * §4 (the JSON split), §5 (per task type), §3.5, §3.6 and §6.3.
 *
 * ds_split() turns one 1.3 t_ds_process_definition row into the 3.2 rows
 * of that workflow: t_ds_process_definition and its _log (one each),
 * t_ds_task_definition and its _log (one per task), and
 * t_ds_process_task_relation and its _log (one per edge, plus one per root
 * task with pre_task_code 0 / pre_task_version 0).  Everything that needs
 * state (codes, resource paths, worker group names) comes from the
 * caller's struct ds_env; the library never mints or remembers anything.
 *
 * Invariants of a successful split (tests prove them):
 *  - every task appears as post_task_code in at least one relation, and a
 *    root task in exactly one, with pre_task_code 0;
 *  - no (pre, post) edge is emitted twice, no task is its own predecessor;
 *  - every NOT NULL column of the 3.2.2 MySQL and PostgreSQL DDL is filled,
 *    and so are is_cache, task_priority, flag, cpu_quota, memory_max
 *    (spec §11), which the 3.2 master dereferences;
 *  - the same input and the same env answers give byte-identical output.
 *
 * Bad input never crashes and never aborts: JSON that is not a 1.3
 * workflow is FERRY_EDATA with a message naming the workflow id and what
 * is wrong (the caller stores it in the reject store); oddities that the
 * daemon can handle are warnings (struct ds_report), and references that
 * may resolve later (a DEPENDENT item naming a workflow that has not
 * arrived yet, §8 "park and retry") are listed as unresolved, so the caller
 * can split the workflow again when they appear.
 *
 * Threading: the functions keep no state; they may run concurrently as
 * long as the env callbacks allow it.  Nothing blocks except inside the
 * callbacks.
 */
#ifndef FERRY_DS_SPLIT_H
#define FERRY_DS_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"

/*
 * What the split needs from outside.  Every callback returns 0 on success,
 * FERRY_ENOTFOUND when the thing is not known (handled as documented per
 * callback), or another negative FERRY_E* code, which the split returns
 * unchanged (after putting "process definition N: " in front of the
 * message): an id-map failure is the caller's, not the row's.
 *
 * Strings returned through `char **` are allocated with ferry/mem.h (or
 * malloc) and owned by the split afterwards, which free()s them.
 *
 * For `ferry verify` (ds_digest_13()) pass an env whose callbacks only look
 * up and answer FERRY_ENOTFOUND instead of minting: a workflow that was
 * never migrated then fails with FERRY_ENOTFOUND instead of getting codes.
 */
struct ds_env {
	void *ctx;
	/* 1.3 t_ds_project.id -> 3.2 code (minted and remembered by the
	 * caller, or = id, spec §3.9).  ENOTFOUND for the workflow's own
	 * project fails the split; for a DEPENDENT item it parks the item. */
	int (*project_code)(void *ctx, int64_t project_id, int64_t *code,
			    struct err *e);
	/* 1.3 t_ds_process_definition.id -> 3.2 code.  ENOTFOUND for the
	 * workflow itself fails the split; for SUB_PROCESS / DEPENDENT targets
	 * it leaves the reference unresolved. */
	int (*process_code)(void *ctx, int64_t process_id, int64_t *code,
			    struct err *e);
	/* Stable code of the task whose key is `task_key` in workflow
	 * `process_id` (spec §1.1).  The key is the 1.3 task "id" string
	 * ("tasks-12345"); for a task without one, its name; a key already
	 * used in the same workflow gets "#2", "#3"... appended (see below).
	 * Must not answer ENOTFOUND except in a verify env. */
	int (*task_code)(void *ctx, int64_t process_id, const char *task_key,
			 int64_t *code, struct err *e);
	/* Code of the task named `task_name` in ANOTHER workflow (DEPENDENT
	 * items, command StartNodeNameList, instance CONDITIONS): the
	 * caller's (process id, task name) map of the current version.
	 * ENOTFOUND leaves the reference unresolved. */
	int (*dep_task_code)(void *ctx, int64_t process_id,
			     const char *task_name, int64_t *code,
			     struct err *e);
	/* Storage path of a resource (spec §5.3): `resource_id` is the 1.3
	 * t_ds_resources.id, or -1 when the ResourceInfo has none, then
	 * `res_name` (the 1.3 "res", may be NULL) is the file name.  `udf`
	 * selects the UDF directory; the split passes false.  ENOTFOUND
	 * leaves the ResourceInfo without "resourceName" (unresolved). */
	int (*resource_path)(void *ctx, int64_t resource_id,
			     const char *res_name, bool udf, char **path,
			     struct err *e);
	/* Name of a 1.3 t_ds_worker_group row, for 1.2-era tasks that carry
	 * only "workerGroupId" (spec §4.4).  May be NULL (then "default");
	 * ENOTFOUND -> "default" and a warning. */
	int (*worker_group_name)(void *ctx, int64_t worker_group_id,
				 char **name, struct err *e);
	/* Version to write for a task whose content hash is `hash` (hex) /
	 * `hash64` (ds_task_info; spec §8: same content keeps the version,
	 * changed content gets version + 1).  May be NULL: every task gets
	 * version 1. */
	int (*task_version)(void *ctx, int64_t task_code, const char *hash,
			    uint64_t hash64, int *version, struct err *e);
	/* The alert group written as "groupId" into every SQL task that has
	 * none (spec §5 SQL row: 1.3 receivers/receiversCc have no 3.2
	 * meaning, 3.2 mails query results to an alert group); 0 = none. */
	int64_t sql_group_id;
};

/* What an unresolved reference points at. */
enum ds_ref_kind {
	DS_REF_PROJECT = 1,	/* DEPENDENT projectId: `id` */
	DS_REF_PROCESS,		/* SUB_PROCESS / DEPENDENT / command */
	DS_REF_TASK,		/* task `name` in workflow `process_id` */
	DS_REF_RESOURCE,	/* resource `id` (or -1) / file `name` */
};

/* One reference left out because the env did not know it (yet). */
struct ds_unresolved {
	enum ds_ref_kind kind;
	char *task_name;	/* task holding the reference; may be NULL */
	int64_t id;		/* project / process / resource id, or -1 */
	int64_t process_id;	/* DS_REF_TASK: the workflow searched */
	char *name;		/* DS_REF_TASK / _RESOURCE, else NULL */
};

/* Warnings and unresolved references of one call.  At most DS_WARN_MAX
 * warnings are kept; `warnings_dropped` counts the rest. */
#define DS_WARN_MAX 200
struct ds_report {
	char **warnings;	/* human text, one line each */
	size_t nwarnings;
	size_t warnings_dropped;
	struct ds_unresolved *unresolved;
	size_t nunresolved;
};

void ds_report_release(struct ds_report *r);

/*
 * A generic output row: `cols` and `table` are static strings (the arrays
 * below), `vals[i]` the text of column i or NULL for SQL NULL, owned by the
 * row.  Integers are plain decimal, timestamps are passed through as the
 * caller gave them, JSON columns are compact JSON text.
 *
 * ds_digest_32() reads rows built by the caller from the target database
 * through the same struct: it finds columns by name, so any column order
 * and extra columns are fine, and it only reads `vals`.
 */
struct ds_row {
	const char *table;
	const char *const *cols;
	size_t ncols;
	char **vals;
};

struct ds_rowset {
	struct ds_row *rows;
	size_t n;
};

/*
 * The exact columns emitted, per table (also spec §4.3-§4.5):
 *
 * t_ds_process_definition (the 1.3 id is kept, spec §1.1):
 *   id code name version description project_code release_state user_id
 *   global_params flag locations warning_group_id timeout execution_type
 *   create_time update_time
 * t_ds_process_definition_log (id left to the target's sequence):
 *   code name version description project_code release_state user_id
 *   global_params flag locations warning_group_id timeout execution_type
 *   operator operate_time create_time update_time
 * t_ds_task_definition (id left to the target):
 *   code name version description project_code user_id task_type
 *   task_execute_type task_params flag is_cache task_priority worker_group
 *   environment_code fail_retry_times fail_retry_interval timeout_flag
 *   timeout_notify_strategy timeout delay_time resource_ids task_group_id
 *   task_group_priority cpu_quota memory_max create_time update_time
 * t_ds_task_definition_log: the same plus operator operate_time
 * t_ds_process_task_relation (id left to the target):
 *   name project_code process_definition_code process_definition_version
 *   pre_task_code pre_task_version post_task_code post_task_version
 *   condition_type condition_params create_time update_time
 * t_ds_process_task_relation_log: the same plus operator operate_time
 */
extern const char *const ds_cols_process_definition[];
extern const size_t ds_ncols_process_definition;
extern const char *const ds_cols_process_definition_log[];
extern const size_t ds_ncols_process_definition_log;
extern const char *const ds_cols_task_definition[];
extern const size_t ds_ncols_task_definition;
extern const char *const ds_cols_task_definition_log[];
extern const size_t ds_ncols_task_definition_log;
extern const char *const ds_cols_relation[];
extern const size_t ds_ncols_relation;
extern const char *const ds_cols_relation_log[];
extern const size_t ds_ncols_relation_log;

/* Value of column `col` (NULL for SQL NULL or when the row lacks it);
 * `*found` (may be NULL) tells the two apart. */
const char *ds_row_get(const struct ds_row *r, const char *col, bool *found);

/*
 * The 1.3 t_ds_process_definition row, columns as text exactly as the
 * reader delivers them (NULL = SQL NULL).  Borrowed for the call only.
 * Used: id, name, release_state, project_id, user_id,
 * process_definition_json, description, global_params (fallback when the
 * JSON has no globalParams), flag, locations, connects (duplicate-name
 * edges), receivers/receivers_cc (a warning when set), create_time,
 * update_time, timeout (fallback when the JSON has none).  Ignored, as in
 * 3.2: version, tenant_id (moves to run time, spec §6.1), resource_ids,
 * modify_by (the caller resolves it into operator_id).
 */
struct ds_process_13 {
	const char *id;
	const char *name;
	const char *version;
	const char *release_state;
	const char *project_id;
	const char *user_id;
	const char *process_definition_json;
	const char *description;
	const char *global_params;
	const char *flag;
	const char *locations;
	const char *connects;
	const char *receivers;
	const char *receivers_cc;
	const char *create_time;
	const char *update_time;
	const char *modify_by;
	const char *tenant_id;
	const char *timeout;
	const char *resource_ids;
	/* user id of the 1.3 user whose user_name = modify_by, resolved by
	 * the caller; <= 0 means none: the log rows' operator is then
	 * user_id (spec §4.3) */
	int64_t operator_id;
	/* timestamp used only when create_time and update_time are both
	 * NULL (spec §3.7 "then now"); the caller passes its clock so that
	 * the split stays deterministic */
	const char *now;
	/* 3.2 workflow version to write (spec §8); 0 means 1 */
	int version_32;
};

/* One task of the split workflow, parallel to the task rows. */
struct ds_task_info {
	char *name;
	char *key;		/* the key passed to env->task_code */
	char *type;
	int64_t code;
	int version;
	/* SHA-256 hex of the task's canonical content (the "task" line of
	 * the digest text below): name, description, type, flag, priority,
	 * worker group, retries, timeout settings, resource_ids and the
	 * canonical task_params.  Versions, times and edges are not part of
	 * it (3.2 versions relations separately). */
	char hash[65];
	/* the first 8 bytes of it, big-endian, never 0: the width of
	 * state.h's struct state_idval.hash, where 0 means "unused" */
	uint64_t hash64;
};

struct ds_split_result {
	int64_t process_code;
	int64_t project_code;
	int process_version;
	struct ds_row process;		/* t_ds_process_definition */
	struct ds_row process_log;	/* t_ds_process_definition_log */
	struct ds_rowset tasks;		/* t_ds_task_definition */
	struct ds_rowset tasks_log;	/* t_ds_task_definition_log */
	struct ds_rowset relations;	/* t_ds_process_task_relation */
	struct ds_rowset relations_log;	/* ..._relation_log */
	struct ds_task_info *task_info;	/* tasks.n entries, same order */
	struct ds_report report;
};

/*
 * Split one workflow.  On success `*res` is filled (release it with
 * ds_split_result_release()); on failure it is empty and `e` says why:
 *  FERRY_EDATA   the row cannot be a 1.3 workflow (NULL or malformed
 *                process_definition_json, a task without a name or type,
 *                params of the wrong JSON type, an id that is not an
 *                integer ...); the message starts with
 *                "process definition <id> \"<name>\": ";
 *  FERRY_EINVAL  the caller's input is incomplete (no env callback, no
 *                time at all);
 *  anything an env callback returned, including FERRY_ENOTFOUND for the
 *                workflow's own project or code.
 *
 * Choices made where the spec allows one (each is also cited in the code):
 *  - versions: workflow `version_32` (default 1); tasks from
 *    env->task_version (default 1); relations carry both.
 *  - task keys: the 1.3 "id"; else the name; a key seen before in the same
 *    workflow gets "#<n>" appended (n = 2, 3, ... in task order), with a
 *    warning, so every node keeps its own code.
 *  - duplicate task names (spec §4.5, §10.13): every node becomes its own
 *    task.  A preTasks / CONDITIONS name that names several tasks is
 *    resolved through the `connects` column (id-based edges drawn on the
 *    canvas); if connects does not decide it, the LAST task of that name
 *    is used (what the 1.3 DAG, keyed by name, actually ran) and a
 *    warning is written.
 *  - preTasks: a name that matches no task, or only the task itself, is
 *    dropped with a warning (1.3's DAG ignored such edges too); repeated
 *    names give one edge; a task left without edges is a root.
 *  - flag: 0 only for runFlag "FORBIDDEN" (1.3 ran everything else; DS
 *    writes 0 for any value but "NORMAL").
 *  - timeout: enable true without a positive interval cannot be written
 *    (3.2 would time out at once): timeout_flag 0, timeout 0 and a warning.
 *  - retries: SUB_PROCESS 0 / 1 (DS); others int(maxRetryTimes) (default
 *    0) and int(retryInterval) (default 1), numbers or numeric strings; a
 *    non-numeric value gets the default and a warning.
 *  - task_priority: HIGHEST..LOWEST -> 0..4, also 0..4 as numbers; missing
 *    or unknown -> 2 (MEDIUM), unknown with a warning.
 *  - worker_group: "workerGroup"; else env->worker_group_name of a
 *    "workerGroupId" >= 0; else "default".
 *  - description: "description", else "desc", else "".
 *  - delay_time 0, task_execute_type 0, is_cache 0, environment_code -1,
 *    task_group_id NULL, task_group_priority 0, cpu_quota / memory_max -1;
 *    dev-branch node keys (delayTime, waitStartTimeout, ...) are ignored.
 *  - task_params (spec §4.4.1, §5), keys kept in their 1.3 order:
 *    params missing or null -> {}; SUB_PROCESS only: processDefinitionId
 *    -> processDefinitionCode in place (unknown: the id is kept, warning,
 *    unresolved); "conditionResult" and "dependence" copied from the node
 *    into every task (JSON null when absent); CONDITIONS names -> codes
 *    (unknown names, "" included, dropped; an item whose depTasks is
 *    unknown dropped); DEPENDENT items: projectId/definitionId/depTasks ->
 *    projectCode/definitionCode/depTaskCode in place ("ALL" -> 0), the UI
 *    helper "definitionList" dropped, other keys (projectName, cycle ...)
 *    kept; an item with an unknown reference is left out, warned about and
 *    listed as unresolved (split again when it appears);
 *    resourceList[] / mainJar: "resourceName" = env->resource_path added,
 *    "id" / "res" / "name" kept (3.2 ignores them, they keep resource_ids
 *    explainable); MR/SPARK/FLINK: "queue" renamed "yarnQueue" in place
 *    (unless yarnQueue exists); SPARK "sparkVersion" kept (3.2 ignores it;
 *    SPARK1 gets a warning); SQL: "groupId" = env->sql_group_id added
 *    when absent, non-empty receivers / receiversCc warned about and kept.
 *    Every other key is kept as it was (localParams, datasource ids, udfs,
 *    export helpers such as datasourceName ...).
 *  - resource_ids: the ids of params.resourceList in order, comma-joined,
 *    ids that are missing or not integers skipped; "" when none.
 *  - locations (spec §4.7): [{"taskCode":c,"x":x,"y":y}] in task order;
 *    keys that are not task ids dropped (warning with the count); entries
 *    without numeric x/y dropped; NULL when the column is NULL, empty,
 *    not JSON or not an object (never 1.3 text in a 3.2 column).  Tasks
 *    without a position get none.
 *  - global_params: JSON globalParams compact; else the 1.3 column when it
 *    is a JSON array; else "[]".  timeout: JSON timeout, else the column,
 *    else 0.
 *  - relation "name" is "" (what the 3.2 API writes), condition_type 0,
 *    condition_params "{}".
 *  - times: create_time = 1.3 create_time, else update_time, else `now`;
 *    update_time likewise the other way round; tasks and relations take
 *    the workflow's; operate_time = update_time.
 *  - workflow receivers / receivers_cc (no 3.2 meaning): a warning.
 *  - at most DS_WARN_MAX warnings; JSON nesting is bounded by jansson
 *    (2048 levels).
 */
int ds_split(const struct ds_process_13 *row, const struct ds_env *env,
	     struct ds_split_result *res, struct err *e) FERRY_MUSTCHECK;

void ds_split_result_release(struct ds_split_result *res);

/*
 * 3.2 t_ds_task_instance.task_params from a 1.3 t_ds_task_instance
 * task_json (spec §6.3): the node is normalised (params, dependence,
 * conditionResult, timeout and preTasks may be JSON text inside strings,
 * as 1.3 masters wrote them, or plain JSON), its params are rewritten as
 * for a definition (above), then "conditionResult", "dependence" and
 * "switchResult" are set to JSON-encoded STRINGS of their values (the text
 * "null" when absent) and "waitStartTimeout" to JSON null, the shape 3.2
 * writes for instances.  Names of the same workflow (CONDITIONS) resolve
 * through env->dep_task_code(process_id, ...), since an instance has no
 * workflow around it.
 *
 * `*task_params` is a new string (free()); `*task_key` (may be NULL) gets
 * the node's "id" or NULL, for the §6.3 fallback lookup.  For §6.3's
 * orphan case (the task is gone from its definition), wrap task_json as
 * {"tasks":[<task_json>]} and ds_split() it: the split accepts the
 * stringified shape too; its t_ds_task_definition_log row is the orphan.  `rep` (may be
 * NULL) collects warnings; release it with ds_report_release().
 * FERRY_EDATA for task_json that is not a task node; env errors as above.
 */
int ds_task_instance_params(const char *task_json, int64_t process_id,
			    const struct ds_env *env, char **task_params,
			    char **task_key, struct ds_report *rep,
			    struct err *e) FERRY_MUSTCHECK;

/*
 * 3.2 t_ds_datasource.connection_params from the 1.3 text (spec §3.6).
 * `db_type` is the DbType code of t_ds_datasource.type.  "other" given as
 * a string is split on '&' and ';', each piece on its first '=' into an
 * object (pieces without '=' get the value ""); an empty or null "other"
 * is left out; an object is kept.  "driverClassName" and
 * "validationQuery" are added for MYSQL 0, POSTGRESQL 1, HIVE 2, SPARK 3,
 * CLICKHOUSE 4, ORACLE 5, SQLSERVER 6 and DB2 7 unless present; every
 * other key (address, database, jdbcUrl, user, password, connectType,
 * principal ...) is kept as is: passwords stay as 1.3 stored them (3.2
 * with datasource.encryption.enable=false reads them so).
 * `*out` is a new string (free()).  FERRY_EDATA when the text is not a
 * JSON object.
 */
int ds_datasource_params(const char *connection_params, int db_type,
			 char **out, struct err *e) FERRY_MUSTCHECK;

/*
 * 3.2 command_param from a 1.3 one (spec §3.5), keys renamed in place:
 * StartNodeNameList (comma-separated task names of workflow
 * `process_id`) -> StartNodeList (comma-separated codes through
 * env->dep_task_code; unknown names dropped with a warning),
 * WaittingThreadInstanceId -> WaitingThreadInstanceId, processDefinitionId
 * -> processDefinitionCode (same JSON type as given; unknown: kept, warned
 * about, unresolved).  Other keys unchanged.  NULL or empty text gives
 * `*out` = NULL.  FERRY_EDATA when the text is not a JSON object.
 */
int ds_command_param(const char *command_param, int64_t process_id,
		     const struct ds_env *env, char **out,
		     struct ds_report *rep, struct err *e) FERRY_MUSTCHECK;

/*
 * Meaning digests for `ferry verify`: per workflow, the digest computed
 * from the 1.3 row equals the digest computed from the 3.2 rows when the
 * migration is right, and differs when a task, a parameter or an edge
 * differs.  Both are the SHA-256 (lower-case hex) of a canonical text,
 * which the *_text variants return for diagnosis.
 *
 * The common ground is the target's vocabulary: ds_digest_32() has no
 * env, so codes cannot be mapped back to 1.3 ids; ds_digest_13() maps the
 * 1.3 row forward through the same env the migration used (the split
 * itself, so "the documented rewrites applied" holds by construction) and
 * canonicalises the rows it would write.  The canonical text (UTF-8,
 * lines ending in "\n", fields separated by "\t", every field a JSON
 * value: integers in decimal when the column text is an integer, other
 * text as JSON strings, SQL NULL as null, JSON columns parsed and
 * re-serialised compactly with sorted keys):
 *
 *   ferry-ds-digest 1
 *   process <code> <project_code> <name> <description> <release_state>
 *           <flag> <user_id> <timeout> <global_params>
 *   task <code> <name> <description> <task_type> <flag> <task_priority>
 *        <worker_group> <fail_retry_times> <fail_retry_interval>
 *        <timeout_flag> <timeout_notify_strategy> <timeout>
 *        <resource_ids> <task_params>           (one per task, sorted by
 *                                                name bytes, then code)
 *   edge <pre_task_code> <post_task_code>       (one per relation row,
 *                                                duplicates kept, sorted
 *                                                numerically; roots 0)
 *   unresolved <kind> <task> <id> <process_id> <name>   (13 side only)
 *
 * Left out on purpose: ids, versions, times, operators, locations (canvas
 * only), and columns 1.3 has no say in (constants such as cpu_quota).
 * Versions still matter: ds_digest_32() takes a task row only when a
 * relation references its (code, version), so a relation pointing at a
 * stale task version shows as a different task line; task rows whose code
 * no relation references are kept (an orphan is a difference); relation
 * rows of another workflow code or version than the process row's are
 * ignored, so whole log tables may be passed.  Unresolved references make
 * the 13 side differ on purpose: the target then lacks part of the 1.3
 * meaning until the workflow is split again.
 *
 * ds_digest_13(): errors as ds_split().  ds_digest_32(): FERRY_EINVAL
 * when the process row lacks "code".  `out` receives 64 hex digits and a
 * NUL; `*text` is a new string (free()).
 */
int ds_digest_13(const struct ds_process_13 *row, const struct ds_env *env,
		 char out[65], struct err *e) FERRY_MUSTCHECK;
int ds_digest_13_text(const struct ds_process_13 *row,
		      const struct ds_env *env, char **text, struct err *e)
	FERRY_MUSTCHECK;
int ds_digest_32(const struct ds_row *process, const struct ds_row *tasks,
		 size_t ntasks, const struct ds_row *relations,
		 size_t nrelations, char out[65], struct err *e)
	FERRY_MUSTCHECK;
int ds_digest_32_text(const struct ds_row *process,
		      const struct ds_row *tasks, size_t ntasks,
		      const struct ds_row *relations, size_t nrelations,
		      char **text, struct err *e) FERRY_MUSTCHECK;

#endif
