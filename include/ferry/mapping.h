/*
 * mapping.h - the declarative table mapping (files under mappings/).
 *
 * A mapping file says which source tables ferry migrates and how each
 * lands on the target:
 *
 *	version: 1
 *	tables:
 *	  - source: public.t_users        # exact table ...
 *	    target: public.users          # ... to this one
 *	    rename: { user_name: name }   # source column -> target column
 *	    drop: [ legacy_flag ]         # source columns not written
 *	    defaults: { state: 1 }        # target columns the source lacks
 *	  - source: "*"                   # every other table with a primary key
 *	    target: "*"                   # same name (schema: see target_schema)
 *
 * Rules are matched exactly first, then by wildcard ("*" or "schema.*")
 * in file order; a table no rule matches is not migrated.  A source name
 * without a schema means "public" on PostgreSQL and the configured
 * database on MySQL; the loader keeps it empty and the reader decides.
 *
 * Errors are "FILE:LINE:COLUMN: reason" (FERRY_ECONFIG), like the config.
 * The file's SHA-256 is kept so the state store can refuse to go on with
 * a mapping that changed under a running migration.
 */
#ifndef FERRY_MAPPING_H
#define FERRY_MAPPING_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry/err.h"

struct mapping_pair {
	char *from;
	char *to;		/* defaults: value text, NULL for SQL NULL */
};

struct mapping_rule {
	char *source_schema;	/* "" = unqualified, "*" = any */
	char *source_table;	/* "*" = any */
	char *target_schema;	/* "" = same as source / connection's */
	char *target_table;	/* "*" = same as source */
	struct mapping_pair *renames;
	size_t nrenames;
	char **drops;
	size_t ndrops;
	struct mapping_pair *defaults;
	size_t ndefaults;
	char *plugin;		/* transform plugin name, or NULL */
	int line;		/* where the rule starts, for messages */
};

struct mapping {
	char *path;
	char sha256[65];	/* hex digest of the file's bytes */
	struct mapping_rule *rules;
	size_t nrules;
};

/* Load and validate.  Fills `*m` (release with mapping_release()). */
int mapping_load(const char *path, struct mapping *m, struct err *e)
	FERRY_MUSTCHECK;
int mapping_load_buffer(const char *name, const char *data, size_t len,
			struct mapping *m, struct err *e) FERRY_MUSTCHECK;
void mapping_release(struct mapping *m);

/*
 * The rule for source table schema.table, or NULL when the table is not
 * migrated.  `wildcard_ok` false skips wildcard rules (a wildcard matches
 * only tables with a primary key; the caller knows which have one).
 */
const struct mapping_rule *mapping_find(const struct mapping *m,
					const char *schema, const char *table,
					bool wildcard_ok);
/* True if rule `r` names tables by wildcard. */
bool mapping_rule_is_wildcard(const struct mapping_rule *r);

/* Target column for source column `col` under `r`: the renamed name, the
 * same name, or NULL when the column is dropped.  Borrowed from `r`. */
const char *mapping_target_column(const struct mapping_rule *r,
				  const char *col);

#endif
