/*
 * transform.h - turn source changes into target changes, per the mapping.
 *
 * For each source table the mapping rule is compiled once into a plan:
 * target table name, column renames, dropped columns, defaults (written
 * when the source lacks the column), sets (always written), value maps
 * and id-map rewrites.  A change on a table whose plan only renames (or
 * keeps everything) is passed on with its table description swapped: no
 * value is copied.  The rest builds a new change.  Changes on tables the
 * mapping does not select, or skips, are dropped; BEGIN and COMMIT pass
 * through untouched.
 *
 * A rule may name a plugin: C code for what a table map cannot say (the
 * DolphinScheduler process JSON split: one change in, many out on several
 * tables).  Plugins are built in and registered by name; they see the
 * source change and reach the rest only through the functions below.
 *
 * A row that cannot be transformed (FERRY_EDATA from a plugin or an id
 * rewrite) is not lost and does not stop the flow: it goes to the state
 * store's reject store with its reason, and the flow goes on.
 *
 * Id-map writes (codes minted, ids assigned) go into the batch's state
 * transaction, which the environment begins on first use and the apply
 * thread commits before the target rows that use them.
 *
 * Threading: the apply thread only.
 */
#ifndef FERRY_TRANSFORM_H
#define FERRY_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/change.h"
#include "ferry/config.h"
#include "ferry/err.h"
#include "ferry/mapping.h"

struct transform;
struct state_txn;
struct snowflake;

/* Where output changes go; takes ownership of `c`, also on error. */
typedef int (*transform_emit_fn)(void *ctx, struct change *c,
				 struct err *e);

/* What the transform needs from the daemon around it. */
struct transform_env {
	void *ctx;
	/* The batch's state write transaction, begun on first call. */
	int (*state_txn)(void *ctx, struct state_txn **t, struct err *e);
	struct snowflake *sf;		/* mints codes; NULL: none allowed */
};

/*
 * `keep_schema`: target tables keep the source schema when the rule names
 * none (PostgreSQL to PostgreSQL); otherwise an unnamed target schema is
 * left empty and the sink uses its default (PostgreSQL "public", MySQL the
 * connection's database).  `env` may be NULL for a mapping without ids,
 * plugins or rejects (tests).  FERRY_ECONFIG names an unknown plugin.
 */
int transform_new(const struct mapping *m, bool keep_schema,
		  const struct transform_env *env, struct transform **out,
		  struct err *e) FERRY_MUSTCHECK;
void transform_free(struct transform *t);

/* Take ownership of `c` and emit what it becomes (possibly nothing). */
int transform_apply(struct transform *t, struct change *c,
		    transform_emit_fn emit, void *ctx, struct err *e)
	FERRY_MUSTCHECK;

/* Rows rejected so far by this transform. */
uint64_t transform_rejected(const struct transform *t);

/* ---- for plugins ------------------------------------------------------ */

/* One plugin call: what the transform hands a plugin with a change. */
struct tcall {
	struct transform *t;
	const struct mapping_rule *rule;
	transform_emit_fn emit;
	void *emit_ctx;
	void *priv;			/* the plugin's own state */
};

struct transform_plugin {
	const char *name;
	/* Once per transform (may be NULL); `*priv` is handed back in
	 * every call. */
	int (*open)(struct transform *t, void **priv, struct err *e);
	/* Take ownership of `c` (a row change on a table of the rule) and
	 * emit what it becomes.  A row it cannot take goes to
	 * transform_reject() (and the call returns 0); an error return
	 * stops the pipeline. */
	int (*apply)(struct tcall *call, struct change *c, struct err *e);
	/* At each source COMMIT, before it is emitted (may be NULL): the
	 * moment to emit rows that waited for the rest of the transaction.
	 * `call->rule` is NULL here. */
	int (*on_commit)(struct tcall *call, struct err *e);
	void (*close)(void *priv);
};

/* The built-in plugins, NULL-terminated (transform/plugins.c). */
extern const struct transform_plugin *const transform_plugins[];

/* The rule's declarative mapping of `in` (not consumed): a new change,
 * or NULL in `*out` when the rule skips the table. */
int transform_map_row(struct tcall *call, const struct change *in,
		      struct change **out, struct err *e) FERRY_MUSTCHECK;
/* Emit a change (ownership passes). */
int transform_emit(struct tcall *call, struct change *c, struct err *e)
	FERRY_MUSTCHECK;
/* The batch's state transaction. */
int transform_state(struct tcall *call, struct state_txn **t, struct err *e)
	FERRY_MUSTCHECK;
struct snowflake *transform_snowflake(struct tcall *call);
/* Option of the mapping file, or `dflt`. */
const char *transform_option(struct tcall *call, const char *name,
			     const char *dflt);
/*
 * A target table description with these columns (all DATUM_T_UNKNOWN:
 * the text passes through), cached by name; borrowed, valid while the
 * transform lives.  `key` names the key column(s), comma-separated.
 */
struct table_desc *transform_table(struct transform *t, const char *name,
				   const char *const *cols, size_t ncols,
				   const char *key);
/* Store `c` in the reject store with `reason`; the caller then frees
 * it.  Counts it. */
int transform_reject(struct transform *t, const struct change *c,
		     const char *reason, struct err *e) FERRY_MUSTCHECK;

/* Text of column `col` of the new (or, for a DELETE, old) image of `c`:
 * NULL when the column is missing or SQL NULL.  Borrowed from `c`. */
const char *change_text(const struct change *c, const char *col);

#endif
