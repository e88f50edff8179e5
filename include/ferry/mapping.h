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
 *	  - source: t_sessions
 *	    skip: users log in again      # accounted for, not migrated
 *
 * A rule may also say `set: {col: value}` (always written), `values:
 * {col: {from: to}}` (value maps), `ids: {col: entity}` (values rewritten
 * through the id map) and `plugin: name` (C code for what a table map
 * cannot say).  Top-level `options: {name: value}` configure plugins.
 *
 * Rules are matched exactly first, then by wildcard ("*", "schema.*" or a
 * name prefix such as "qrtz_*") in file order; a table no rule matches is not migrated.  A source name
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

/* values: { column: { from: to, ... } }; "~" as `from` matches NULL, a
 * YAML null as `to` writes NULL. */
struct mapping_valmap {
	char *column;		/* target column */
	struct mapping_pair *pairs;
	size_t npairs;
};

/* ids: { column: entity } or { column: { from: col, entity: e,
 * missing: mint | keep } }: the value is replaced by what the id map
 * holds for (entity, value of `from`). */
struct mapping_idref {
	char *column;		/* target column written */
	char *from;		/* target column read (after renames) */
	char *entity;		/* id map entity */
	bool mint;		/* absent: mint a code (else keep the value) */
};

struct mapping_rule {
	char *skip;		/* not migrated: why; the rest is unused */
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
	struct mapping_pair *sets;	/* always written, whatever came */
	size_t nsets;
	struct mapping_pair *copies;	/* target column <- source column */
	size_t ncopies;
	struct mapping_valmap *valmaps;
	size_t nvalmaps;
	struct mapping_idref *ids;
	size_t nids;
	char *plugin;		/* transform plugin name, or NULL */
	int line;		/* where the rule starts, for messages */
};

struct mapping {
	char *path;
	char sha256[65];	/* hex digest of the file's bytes */
	char *source_version;	/* from the file's header, or NULL */
	char *target_version;
	struct mapping_rule *rules;
	size_t nrules;
	struct mapping_pair *options;	/* options: { name: value } */
	size_t noptions;
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
/* Value of option `name`, or `dflt` when the file does not set it. */
const char *mapping_option(const struct mapping *m, const char *name,
			   const char *dflt);

/* Index of rule `r` in the file (its order: the initial copy goes in
 * this order, so a mapping lists what others refer to first). */
size_t mapping_rule_index(const struct mapping *m,
			  const struct mapping_rule *r);

/* True if rule `r` names tables by wildcard. */
bool mapping_rule_is_wildcard(const struct mapping_rule *r);

/* Target column for source column `col` under `r`: the renamed name, the
 * same name, or NULL when the column is dropped.  Borrowed from `r`. */
const char *mapping_target_column(const struct mapping_rule *r,
				  const char *col);

#endif
