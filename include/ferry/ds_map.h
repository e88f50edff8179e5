/*
 * ds_map.h - what the DolphinScheduler mapping keeps in ferry's state
 * store, and a struct ds_env (ds_split.h) answered from it.
 *
 * One place names every key, so the plugin that writes them and
 * `ferry verify`, which reads them, cannot drift apart.  Keys are the id
 * map's (entity, key bytes); integer ids are state_key_i64() encoded.
 *
 *   id map entities (struct state_idval):
 *     DS_ENT_PROJECT    1.3 project id            -> project code
 *     DS_ENT_PROCESS    1.3 process definition id -> code, version
 *     DS_ENT_TASK       process id + task key     -> task code, version,
 *                                                    content hash
 *     DS_ENT_TASK_NAME  process id + task name    -> task code (the task
 *                                                    of that name in the
 *                                                    current split)
 *     DS_ENT_ROW_ID     target table + row key    -> id ferry gave a row
 *                                                    of a table 1.3 does
 *                                                    not have (task
 *                                                    definitions, logs,
 *                                                    relations)
 *     DS_ENT_ALERTGROUP 1.3 alert group id        -> 3.2 id, when remapped
 *
 *   blobs (text records; fields separated by '\t'):
 *     DS_BLOB_TENANT    tenant id     -> tenant_code
 *     DS_BLOB_USER      user id       -> user_name \t tenant_id
 *     DS_BLOB_RESOURCE  resource id   -> full_name \t user_id \t type
 *     DS_BLOB_RES_NAME  full_name     -> resource id (decimal)
 *     DS_BLOB_WORKER    worker group id -> name
 *     DS_BLOB_SPLIT     process id    -> the target rows its last split
 *                                        wrote (to delete the ones a new
 *                                        split no longer has)
 *     DS_BLOB_PARKED    process id    -> the 1.3 row of a workflow whose
 *                                        references did not all resolve,
 *                                        to split again later
 *     DS_BLOB_PROCESS   process id    -> project id \t user id \t name
 *
 *   counters (meta, int64): DS_META_NEXT_ID "<table>" -> last id given.
 */
#ifndef FERRY_DS_MAP_H
#define FERRY_DS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/ds_split.h"
#include "ferry/err.h"
#include "ferry/snowflake.h"
#include "ferry/state.h"

#define DS_ENT_PROJECT "ds.project"
#define DS_ENT_PROCESS "ds.process"
#define DS_ENT_TASK "ds.task"
#define DS_ENT_TASK_NAME "ds.task_name"
#define DS_ENT_ROW_ID "ds.row_id"
#define DS_ENT_ALERTGROUP "ds.alertgroup"

#define DS_BLOB_TENANT "ds.tenant"
#define DS_BLOB_USER "ds.user"
#define DS_BLOB_RESOURCE "ds.resource"
#define DS_BLOB_RES_NAME "ds.resource_name"
#define DS_BLOB_WORKER "ds.worker_group"
#define DS_BLOB_SPLIT "ds.split"
#define DS_BLOB_PARKED "ds.parked"
#define DS_BLOB_PROCESS "ds.process"

#define DS_META_NEXT_ID "ds.next_id."

/* Key of a (process id, string) pair: 8 bytes of id, then the string.
 * Returns the length written to `out` (at most `n`), 0 if it does not
 * fit. */
size_t ds_key_pid_str(int64_t process_id, const char *s, unsigned char *out,
		      size_t n);

/* Options of the mapping that the env needs. */
struct ds_map_options {
	const char *resource_prefix;	/* storage prefix (spec §5.3), no
					   trailing '/'; "" -> paths start
					   at "/<tenant>" */
	int64_t sql_group_id;		/* groupId for SQL tasks */
};

/*
 * A struct ds_env answered from the state store through `t`.  With a
 * snowflake generator (and a write transaction) missing project, process
 * and task codes are minted and recorded; with `sf` NULL (verify) lookups
 * only, missing ones answer FERRY_ENOTFOUND.  Everything borrowed must
 * outlive the env's use.
 */
struct ds_state_env {
	struct ds_env env;		/* pass &this->env to ds_split() */
	struct state_txn *t;
	struct snowflake *sf;
	const struct ds_map_options *opt;
	uint64_t minted;		/* codes minted through this env */
	/* With a generator, the workflow being split and its project are
	 * minted when new; every other workflow or project a task names
	 * (SUB_PROCESS, DEPENDENT) is only looked up, so a reference to one
	 * that has not arrived stays unresolved (the workflow is parked and
	 * split again) instead of pointing at a code with no row. */
	int64_t mint_process_id;
	int64_t mint_project_id;
};

void ds_state_env_init(struct ds_state_env *se, struct state_txn *t,
		       struct snowflake *sf, const struct ds_map_options *opt);
/* Allow minting the codes of workflow `process_id` and of its project
 * (ds_split of that workflow). */
void ds_state_env_mint_for(struct ds_state_env *se, int64_t process_id,
			   int64_t project_id);

/*
 * Id for a row of a table 1.3 does not have: looks up (table, key) in
 * DS_ENT_ROW_ID, and gives the next number of the table's counter when
 * absent (write transaction).  `*fresh` (may be NULL) tells which.
 */
int ds_row_id(struct state_txn *t, const char *table, const void *key,
	      size_t keylen, int64_t *id, bool *fresh, struct err *e)
	FERRY_MUSTCHECK;

/* The largest id ds_row_id() has given in any table (0 if none). */
int ds_max_row_id(struct state_txn *t, int64_t *out, struct err *e)
	FERRY_MUSTCHECK;

#endif
