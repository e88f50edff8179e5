/*
 * mapping.c - load and query the declarative table mapping (see
 * mapping.h).  Model layer: reads YAML through ydoc, knows nothing of
 * databases.  The transform stage compiles each rule into a per-table plan.
 */
#include "ferry/mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"
#include "ferry/sha256.h"
#include "ferry/ydoc.h"

static const char *const top_keys[] = {
	"version", "description", "source_version", "target_version",
	"tables", "options", NULL,
};
static const char *const rule_keys[] = {
	"source", "target", "target_schema", "rename", "drop", "defaults",
	"set", "copy", "values", "ids", "plugin", "skip", "comment", NULL,
};
static const char *const idref_keys[] = {
	"from", "entity", "missing", NULL,
};

static int check_keys(const struct ydoc *doc, const struct ydoc_node *map,
		      const char *const *allowed, const char *where,
		      struct err *e)
{
	for (size_t i = 0; i < ydoc_count(map); i++) {
		const struct ydoc_node *k = ydoc_key(map, i);
		const char *name = ydoc_text(k, NULL);
		size_t j;

		for (j = 0; allowed[j]; j++)
			if (strcmp(name, allowed[j]) == 0)
				break;
		if (!allowed[j])
			return ydoc_error(doc, k, e,
					  "unknown key \"%s\" in %s", name,
					  where);
	}
	return 0;
}

static int want_scalar(const struct ydoc *doc, const struct ydoc_node *n,
		       const char *what, struct err *e)
{
	if (ydoc_kind(n) != YDOC_SCALAR || ydoc_is_null(n))
		return ydoc_error(doc, n, e, "\"%s\" must be a name, got a %s",
				  what, ydoc_is_null(n) ? "null"
				  : ydoc_kind_name(ydoc_kind(n)));
	return 0;
}

/* "schema.table", "table", "*", "schema.*" -> parts (copies). */
static int split_name(const struct ydoc *doc, const struct ydoc_node *n,
		      const char *what, char **schema, char **table,
		      struct err *e)
{
	size_t len;
	const char *s = ydoc_text(n, &len);
	const char *dot;

	if (want_scalar(doc, n, what, e))
		return FERRY_ECONFIG;
	if (len == 0 || strlen(s) != len)
		return ydoc_error(doc, n, e, "\"%s\" must be a table name",
				  what);
	dot = strchr(s, '.');
	if (dot && strchr(dot + 1, '.'))
		return ydoc_error(doc, n, e, "\"%s\": \"%s\" has more than one "
				  "dot; write schema.table", what, s);
	if (dot && (dot == s || !dot[1]))
		return ydoc_error(doc, n, e, "\"%s\": \"%s\" has an empty "
				  "schema or table part", what, s);
	*schema = dot ? xstrndup(s, (size_t)(dot - s)) : xstrdup("");
	*table = xstrdup(dot ? dot + 1 : s);
	if (strcmp(*schema, "*") == 0 && strcmp(*table, "*") != 0)
		return ydoc_error(doc, n, e, "\"%s\": a wildcard schema needs "
				  "a wildcard table (\"*\")", what);
	return 0;
}

static int load_pairs(const struct ydoc *doc, const struct ydoc_node *map,
		      const char *what, bool values_nullable,
		      struct mapping_pair **out, size_t *n, struct err *e)
{
	if (ydoc_kind(map) != YDOC_MAPPING)
		return ydoc_error(doc, map, e, "\"%s\" must be a mapping of "
				  "column: value, got a %s", what,
				  ydoc_kind_name(ydoc_kind(map)));
	*n = ydoc_count(map);
	*out = xcalloc(*n ? *n : 1, sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		const struct ydoc_node *v = ydoc_value(map, i);

		(*out)[i].from = xstrdup(ydoc_text(ydoc_key(map, i), NULL));
		if (ydoc_kind(v) != YDOC_SCALAR)
			return ydoc_error(doc, v, e, "\"%s.%s\" must be a "
					  "scalar", what, (*out)[i].from);
		if (ydoc_is_null(v)) {
			if (!values_nullable)
				return ydoc_error(doc, v, e, "\"%s.%s\" must "
						  "not be null", what,
						  (*out)[i].from);
			continue;
		}
		(*out)[i].to = xstrdup(ydoc_text(v, NULL));
	}
	return 0;
}

static int load_valmaps(const struct ydoc *doc, const struct ydoc_node *map,
			struct mapping_rule *r, struct err *e)
{
	if (ydoc_kind(map) != YDOC_MAPPING)
		return ydoc_error(doc, map, e, "\"values\" must be a mapping "
				  "of column: {from: to}");
	r->nvalmaps = ydoc_count(map);
	r->valmaps = xcalloc(r->nvalmaps ? r->nvalmaps : 1,
			     sizeof(*r->valmaps));
	for (size_t i = 0; i < r->nvalmaps; i++) {
		struct mapping_valmap *vm = &r->valmaps[i];

		vm->column = xstrdup(ydoc_text(ydoc_key(map, i), NULL));
		if (load_pairs(doc, ydoc_value(map, i), "values", true,
			       &vm->pairs, &vm->npairs, e))
			return FERRY_ECONFIG;
	}
	return 0;
}

static int load_idrefs(const struct ydoc *doc, const struct ydoc_node *map,
		       struct mapping_rule *r, struct err *e)
{
	if (ydoc_kind(map) != YDOC_MAPPING)
		return ydoc_error(doc, map, e, "\"ids\" must be a mapping of "
				  "column: entity");
	r->nids = ydoc_count(map);
	r->ids = xcalloc(r->nids ? r->nids : 1, sizeof(*r->ids));
	for (size_t i = 0; i < r->nids; i++) {
		const struct ydoc_node *v = ydoc_value(map, i), *x;
		struct mapping_idref *ir = &r->ids[i];
		int rc;

		ir->column = xstrdup(ydoc_text(ydoc_key(map, i), NULL));
		ir->mint = true;
		if (ydoc_kind(v) == YDOC_SCALAR) {
			if (want_scalar(doc, v, "ids", e))
				return FERRY_ECONFIG;
			ir->entity = xstrdup(ydoc_text(v, NULL));
			ir->from = xstrdup(ir->column);
			continue;
		}
		if (ydoc_kind(v) != YDOC_MAPPING)
			return ydoc_error(doc, v, e, "\"ids.%s\" must be an "
					  "entity name or a mapping with "
					  "\"entity\"", ir->column);
		rc = check_keys(doc, v, idref_keys, "an id reference", e);
		if (rc)
			return rc;
		x = ydoc_get(v, "entity");
		if (!x || want_scalar(doc, x, "entity", e))
			return x ? FERRY_ECONFIG
				 : ydoc_error(doc, v, e, "\"ids.%s\" is "
					      "missing \"entity\"",
					      ir->column);
		ir->entity = xstrdup(ydoc_text(x, NULL));
		x = ydoc_get(v, "from");
		if (x && want_scalar(doc, x, "from", e))
			return FERRY_ECONFIG;
		ir->from = xstrdup(x ? ydoc_text(x, NULL) : ir->column);
		x = ydoc_get(v, "missing");
		if (x) {
			const char *t = ydoc_text(x, NULL);

			if (!t || (strcmp(t, "mint") && strcmp(t, "keep")))
				return ydoc_error(doc, x, e, "\"missing\" "
						  "must be \"mint\" or "
						  "\"keep\"");
			ir->mint = strcmp(t, "mint") == 0;
		}
	}
	return 0;
}

static int load_rule(const struct ydoc *doc, const struct ydoc_node *n,
		     struct mapping_rule *r, struct err *e)
{
	const struct ydoc_node *v;
	int rc;

	r->line = ydoc_line(n);
	if (ydoc_kind(n) != YDOC_MAPPING)
		return ydoc_error(doc, n, e, "each entry of \"tables\" must be "
				  "a mapping with \"source\" and \"target\"");
	rc = check_keys(doc, n, rule_keys, "a table rule", e);
	if (rc)
		return rc;
	if (!(v = ydoc_get(n, "source")))
		return ydoc_error(doc, n, e, "table rule is missing required "
				  "key \"source\"");
	rc = split_name(doc, v, "source", &r->source_schema,
			&r->source_table, e);
	if (rc)
		return rc;
	if ((v = ydoc_get(n, "skip"))) {
		/* accounted for, not migrated: the reason is the point */
		if (want_scalar(doc, v, "skip", e))
			return FERRY_ECONFIG;
		if (ydoc_count(n) > 2 + (ydoc_get(n, "comment") != NULL))
			return ydoc_error(doc, v, e, "a rule with \"skip\" "
					  "takes only \"source\" and "
					  "\"comment\"");
		r->skip = xstrdup(ydoc_text(v, NULL));
		r->target_schema = xstrdup("");
		r->target_table = xstrdup("");
		return 0;
	}
	if (!(v = ydoc_get(n, "target")))
		return ydoc_error(doc, n, e, "table rule is missing required "
				  "key \"target\"");
	rc = split_name(doc, v, "target", &r->target_schema,
			&r->target_table, e);
	if (rc)
		return rc;
	if (strcmp(r->target_table, "*") == 0 &&
	    !mapping_rule_is_wildcard(r))
		return ydoc_error(doc, v, e, "target \"*\" needs a wildcard "
				  "source");
	if ((v = ydoc_get(n, "target_schema"))) {
		if (want_scalar(doc, v, "target_schema", e))
			return FERRY_ECONFIG;
		free(r->target_schema);
		r->target_schema = xstrdup(ydoc_text(v, NULL));
	}
	if ((v = ydoc_get(n, "rename")) &&
	    load_pairs(doc, v, "rename", false, &r->renames, &r->nrenames, e))
		return FERRY_ECONFIG;
	if ((v = ydoc_get(n, "defaults")) &&
	    load_pairs(doc, v, "defaults", true, &r->defaults, &r->ndefaults,
		       e))
		return FERRY_ECONFIG;
	if ((v = ydoc_get(n, "drop"))) {
		if (ydoc_kind(v) != YDOC_SEQUENCE)
			return ydoc_error(doc, v, e, "\"drop\" must be a list "
					  "of column names");
		r->ndrops = ydoc_count(v);
		r->drops = xcalloc(r->ndrops ? r->ndrops : 1,
				   sizeof(*r->drops));
		for (size_t i = 0; i < r->ndrops; i++) {
			const struct ydoc_node *it = ydoc_item(v, i);

			if (want_scalar(doc, it, "drop", e))
				return FERRY_ECONFIG;
			r->drops[i] = xstrdup(ydoc_text(it, NULL));
		}
	}
	if ((v = ydoc_get(n, "set")) &&
	    load_pairs(doc, v, "set", true, &r->sets, &r->nsets, e))
		return FERRY_ECONFIG;
	if ((v = ydoc_get(n, "copy")) &&
	    load_pairs(doc, v, "copy", false, &r->copies, &r->ncopies, e))
		return FERRY_ECONFIG;
	if ((v = ydoc_get(n, "values")) && load_valmaps(doc, v, r, e))
		return FERRY_ECONFIG;
	if ((v = ydoc_get(n, "ids")) && load_idrefs(doc, v, r, e))
		return FERRY_ECONFIG;
	if ((v = ydoc_get(n, "plugin"))) {
		if (want_scalar(doc, v, "plugin", e))
			return FERRY_ECONFIG;
		r->plugin = xstrdup(ydoc_text(v, NULL));
	}
	return 0;
}

static int load_doc(const struct ydoc *doc, struct mapping *m, struct err *e)
{
	const struct ydoc_node *root = ydoc_root(doc), *v;
	int64_t version;
	int rc;

	if (!root || ydoc_kind(root) != YDOC_MAPPING)
		return ydoc_error(doc, root, e, "a mapping file must be a "
				  "mapping with \"version\" and \"tables\"");
	rc = check_keys(doc, root, top_keys, "the mapping file", e);
	if (rc)
		return rc;
	v = ydoc_get(root, "version");
	if (!v)
		return ydoc_error(doc, root, e, "missing required key "
				  "\"version\"");
	if (ydoc_to_i64(v, &version) || version != 1)
		return ydoc_error(doc, v, e, "unsupported mapping version "
				  "\"%s\" (this ferry reads version 1)",
				  ydoc_text(v, NULL) ? ydoc_text(v, NULL)
						     : "?");
	if ((v = ydoc_get(root, "options")) &&
	    load_pairs(doc, v, "options", false, &m->options, &m->noptions,
		       e))
		return FERRY_ECONFIG;
	if ((v = ydoc_get(root, "source_version"))) {
		if (want_scalar(doc, v, "source_version", e))
			return FERRY_ECONFIG;
		m->source_version = xstrdup(ydoc_text(v, NULL));
	}
	if ((v = ydoc_get(root, "target_version"))) {
		if (want_scalar(doc, v, "target_version", e))
			return FERRY_ECONFIG;
		m->target_version = xstrdup(ydoc_text(v, NULL));
	}
	v = ydoc_get(root, "tables");
	if (!v)
		return ydoc_error(doc, root, e, "missing required key "
				  "\"tables\"");
	if (ydoc_kind(v) != YDOC_SEQUENCE || ydoc_count(v) == 0)
		return ydoc_error(doc, v, e, "\"tables\" must be a non-empty "
				  "list of table rules");
	m->nrules = ydoc_count(v);
	m->rules = xcalloc(m->nrules, sizeof(*m->rules));
	for (size_t i = 0; i < m->nrules; i++) {
		rc = load_rule(doc, ydoc_item(v, i), &m->rules[i], e);
		if (rc)
			return rc;
	}
	/* the same source named twice would make the outcome depend on
	 * file order: say so instead */
	for (size_t i = 0; i < m->nrules; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m->rules[i].source_schema,
				    m->rules[j].source_schema) &&
			    !strcmp(m->rules[i].source_table,
				    m->rules[j].source_table))
				return ydoc_error(doc, ydoc_item(v, i), e,
						  "source \"%s%s%s\" is "
						  "already mapped at line %d",
						  m->rules[i].source_schema,
						  *m->rules[i].source_schema
							  ? "." : "",
						  m->rules[i].source_table,
						  m->rules[j].line);
	return 0;
}

int mapping_load_buffer(const char *name, const char *data, size_t len,
			struct mapping *m, struct err *e)
{
	struct ydoc *doc;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = ydoc_load_buffer(name, data, len, &doc, e);
	if (rc)
		return rc;
	m->path = xstrdup(name);
	sha256_hex(data, len, m->sha256);
	rc = load_doc(doc, m, e);
	ydoc_free(doc);
	if (rc)
		mapping_release(m);
	return rc;
}

int mapping_load(const char *path, struct mapping *m, struct err *e)
{
	FILE *f = fopen(path, "rb");
	char *data;
	size_t n;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!f)
		return err_set(e, FERRY_EIO, "could not read mapping file "
			       "\"%s\": %m", path);
	data = xmalloc(YDOC_MAX_BYTES + 1);
	n = fread(data, 1, YDOC_MAX_BYTES + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(data);
		return err_set(e, FERRY_EIO, "could not read mapping file "
			       "\"%s\": %m", path);
	}
	fclose(f);
	/* ydoc refuses what is too large, with its own message */
	rc = mapping_load_buffer(path, data, n, m, e);
	free(data);
	return rc;
}

static void free_pairs(struct mapping_pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].from);
		free(p[i].to);
	}
	free(p);
}

void mapping_release(struct mapping *m)
{
	for (size_t i = 0; i < m->nrules; i++) {
		struct mapping_rule *r = &m->rules[i];

		free(r->source_schema);
		free(r->source_table);
		free(r->target_schema);
		free(r->target_table);
		free_pairs(r->renames, r->nrenames);
		free_pairs(r->defaults, r->ndefaults);
		for (size_t j = 0; j < r->ndrops; j++)
			free(r->drops[j]);
		free(r->drops);
		free(r->plugin);
		free(r->skip);
		free_pairs(r->sets, r->nsets);
		free_pairs(r->copies, r->ncopies);
		for (size_t j = 0; j < r->nvalmaps; j++) {
			free(r->valmaps[j].column);
			free_pairs(r->valmaps[j].pairs, r->valmaps[j].npairs);
		}
		free(r->valmaps);
		for (size_t j = 0; j < r->nids; j++) {
			free(r->ids[j].column);
			free(r->ids[j].from);
			free(r->ids[j].entity);
		}
		free(r->ids);
	}
	free(m->rules);
	free_pairs(m->options, m->noptions);
	free(m->source_version);
	free(m->target_version);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

bool mapping_rule_is_wildcard(const struct mapping_rule *r)
{
	size_t n = strlen(r->source_table);

	return n && r->source_table[n - 1] == '*';
}

/* "*" matches every name, "qrtz_*" every name starting "qrtz_". */
static bool table_matches(const char *pattern, const char *table)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return strncmp(pattern, table, n - 1) == 0;
	return strcmp(pattern, table) == 0;
}

/* An unqualified rule name matches any schema: the reader resolves the
 * default schema before asking. */
static bool schema_matches(const char *rule, const char *schema)
{
	return !*rule || strcmp(rule, "*") == 0 || strcmp(rule, schema) == 0;
}

const struct mapping_rule *mapping_find(const struct mapping *m,
					const char *schema, const char *table,
					bool wildcard_ok)
{
	for (size_t i = 0; i < m->nrules; i++) {
		const struct mapping_rule *r = &m->rules[i];

		if (!mapping_rule_is_wildcard(r) &&
		    strcmp(r->source_table, table) == 0 &&
		    schema_matches(r->source_schema, schema))
			return r;
	}
	for (size_t i = 0; i < m->nrules; i++) {
		const struct mapping_rule *r = &m->rules[i];

		/* a wildcard maps only tables with a key; it skips any */
		if (!wildcard_ok && !r->skip)
			continue;
		if (mapping_rule_is_wildcard(r) &&
		    table_matches(r->source_table, table) &&
		    schema_matches(r->source_schema, schema))
			return r;
	}
	return NULL;
}

const char *mapping_target_column(const struct mapping_rule *r,
				  const char *col)
{
	for (size_t i = 0; i < r->ndrops; i++)
		if (strcmp(r->drops[i], col) == 0)
			return NULL;
	for (size_t i = 0; i < r->nrenames; i++)
		if (strcmp(r->renames[i].from, col) == 0)
			return r->renames[i].to;
	return col;
}

const char *mapping_option(const struct mapping *m, const char *name,
			   const char *dflt)
{
	for (size_t i = 0; i < m->noptions; i++)
		if (strcmp(m->options[i].from, name) == 0)
			return m->options[i].to;
	return dflt;
}

size_t mapping_rule_index(const struct mapping *m,
			  const struct mapping_rule *r)
{
	return (size_t)(r - m->rules);
}
