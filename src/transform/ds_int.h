/*
 * ds_int.h - internals shared by the DolphinScheduler split files
 * (ds_util.c, ds_params.c, ds_split.c, ds_digest.c).  Not an interface:
 * jansson types appear here, so nothing outside src/transform/ds_*.c may
 * include it (style §3.2: third-party types stay out of include/).
 */
#ifndef FERRY_DS_INT_H
#define FERRY_DS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/buf.h"
#include "ferry/ds_split.h"
#include "ferry/err.h"

/* ---- report -------------------------------------------------------- */

void ds_warn(struct ds_report *r, const char *fmt, ...) FERRY_PRINTF(2, 3);
void ds_unresolved_add(struct ds_report *r, enum ds_ref_kind kind,
		       const char *task_name, int64_t id, int64_t process_id,
		       const char *name);

/* ---- JSON ---------------------------------------------------------- */

/* Parse `text` (NUL-terminated); NULL and FERRY_EDATA "<what> is not
 * valid JSON (line L column C: reason)" on failure. */
json_t *ds_json_load(const char *text, const char *what, struct err *e);
/* Serialise with jansson `flags` into a new string (free()). */
char *ds_json_dump(const json_t *v, size_t flags);
/* Integer value of a JSON integer, an integral real, or a string holding
 * a decimal integer (1.3 writes "0" and 0 alike).  false otherwise. */
bool ds_json_int(const json_t *v, int64_t *out);
/* Same for a C string (NULL -> false). */
bool ds_text_int(const char *s, int64_t *out);
/* String member `key` of `obj`, or NULL when absent or not a string. */
const char *ds_json_str(const json_t *obj, const char *key);
/* 1.3 masters wrote task_json with params, dependence, conditionResult,
 * timeout and preTasks as JSON text inside strings (spec §6.3): replace
 * such strings in `node` by what they hold, when they hold JSON. */
void ds_node_unstringify(json_t *node);

/* ---- small string map (borrowed keys) ------------------------------ */

struct ds_smap {
	size_t cap;		/* power of two, or 0 */
	size_t n;
	const char **keys;
	size_t *vals;
};

void ds_smap_init(struct ds_smap *m);
void ds_smap_release(struct ds_smap *m);
/* Insert; if `key` is present already, keep the old value and return
 * false.  The key is borrowed and must outlive the map. */
bool ds_smap_put(struct ds_smap *m, const char *key, size_t val);
bool ds_smap_get(const struct ds_smap *m, const char *key, size_t *val);

/* ---- rows ---------------------------------------------------------- */

/* printf into a new string (ferry/mem.h; never NULL). */
char *ds_strfmt(const char *fmt, ...) FERRY_PRINTF(1, 2);
/*
 * A call failed with `rc`: make sure `e` says so (an env callback may leave
 * it empty) and put the formatted context in front, the way err_prefix()
 * does ("context: message"); a trailing ": " of the context is dropped.
 * Returns rc, also when `e` is NULL.
 */
int ds_fail(struct err *e, int rc, const char *fmt, ...) FERRY_PRINTF(3, 4);
char *ds_fmt_i64(int64_t v);
void ds_row_init(struct ds_row *r, const char *table,
		 const char *const *cols, size_t ncols);
/* Set column `col` (must exist: a programming error aborts) to `val`,
 * taking ownership of it; a previous value is freed. */
void ds_row_put(struct ds_row *r, const char *col, char *val);
void ds_row_release(struct ds_row *r);
struct ds_row *ds_rowset_add(struct ds_rowset *s);
void ds_rowset_release(struct ds_rowset *s);

/* ---- task parameters (ds_params.c) --------------------------------- */

enum ds_dir {
	DS_UP,		/* a predecessor of the task (preTasks, CONDITIONS
			   dependItemList) */
	DS_DOWN,	/* a successor (CONDITIONS successNode/failedNode) */
};

/*
 * Resolve `name`, a task of the SAME workflow, relative to the task being
 * built; append the code(s) to the array `codes`.  Returns how many were
 * appended (0: unknown name) or a negative FERRY_E* code.
 */
typedef int (*ds_local_fn)(void *lctx, const char *name, enum ds_dir dir,
			   json_t *codes, struct err *e);

struct ds_pctx {
	const struct ds_env *env;
	int64_t process_id;
	struct ds_report *rep;
	const char *where;	/* "process definition 7 \"x\": " */
	const char *task_name;
	const char *task_type;	/* may be NULL */
	ds_local_fn local;
	void *lctx;
	bool instance;		/* §6.3 shape: nested values as strings */
	/* out: comma-joined resourceList ids (spec §4.4 resource_ids) */
	struct buf resource_ids;
};

/*
 * Build the 3.2 task params of task `node` (spec §4.4.1, §4.6, §5) into a
 * new object `*out`.  FERRY_EDATA when params has the wrong JSON type,
 * env errors as they come.  c->resource_ids must be initialised.
 */
int ds_build_params(struct ds_pctx *c, const json_t *node, json_t **out,
		    struct err *e);

/* ---- digest (ds_digest.c) ------------------------------------------ */

/* Append the canonical "task" line of task row `r` to `b`. */
int ds_canon_task_line(const struct ds_row *r, struct buf *b);

#endif
