/*
 * transform.h - turn source changes into target changes, per the mapping.
 *
 * For each source table the mapping rule is compiled once into a plan
 * (target table name, column renames, dropped columns, constant
 * defaults).  A change on a table whose plan only renames (or keeps
 * everything) is passed on with its table description swapped: no value
 * is copied.  Dropped columns and defaults need a new change.  Changes on
 * tables the mapping does not select are dropped; BEGIN and COMMIT pass
 * through untouched.
 *
 * Plugins (the DolphinScheduler process JSON split) hook in here later:
 * one change in may then yield many out, on several tables.
 *
 * Threading: the apply thread only.
 */
#ifndef FERRY_TRANSFORM_H
#define FERRY_TRANSFORM_H

#include <stdbool.h>

#include "ferry/change.h"
#include "ferry/config.h"
#include "ferry/err.h"
#include "ferry/mapping.h"

struct transform;

/* Where output changes go; takes ownership of `c`, also on error. */
typedef int (*transform_emit_fn)(void *ctx, struct change *c,
				 struct err *e);

/*
 * `keep_schema`: target tables keep the source schema when the rule names
 * none (PostgreSQL to PostgreSQL); otherwise an unnamed target schema is
 * left empty and the sink uses its default (PostgreSQL "public", MySQL the
 * connection's database).
 */
struct transform *transform_new(const struct mapping *m, bool keep_schema);
void transform_free(struct transform *t);

/* Take ownership of `c` and emit what it becomes (possibly nothing). */
int transform_apply(struct transform *t, struct change *c,
		    transform_emit_fn emit, void *ctx, struct err *e)
	FERRY_MUSTCHECK;

#endif
