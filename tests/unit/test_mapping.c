/*
 * test_mapping.c - the declarative mapping loader and rule lookup.
 */
#include <string.h>

#include "ferry/mapping.h"
#include "harness.h"

static int load(const char *text, struct mapping *m, struct err *e)
{
	return mapping_load_buffer("m.yaml", text, strlen(text), m, e);
}

TEST(mapping_loads_rules_renames_drops_defaults)
{
	struct mapping m;
	struct err e;
	const struct mapping_rule *r;

	CHECK_OK(load("version: 1\n"
		      "tables:\n"
		      "  - source: public.t_users\n"
		      "    target: app.users\n"
		      "    rename: { user_name: name }\n"
		      "    drop: [legacy]\n"
		      "    defaults: { state: 1, note: ~, tag: \"null\" }\n"
		      "  - source: \"*\"\n"
		      "    target: \"*\"\n", &m, &e), e);
	CHECK_INT_EQ(m.nrules, 2);
	CHECK_INT_EQ(strlen(m.sha256), 64);
	r = mapping_find(&m, "public", "t_users", true);
	CHECK(r == &m.rules[0]);
	CHECK_STR_EQ(r->target_schema, "app");
	CHECK_STR_EQ(r->target_table, "users");
	CHECK_STR_EQ(mapping_target_column(r, "user_name"), "name");
	CHECK_STR_EQ(mapping_target_column(r, "id"), "id");
	CHECK(mapping_target_column(r, "legacy") == NULL);
	CHECK_INT_EQ(r->ndefaults, 3);
	CHECK_STR_EQ(r->defaults[0].to, "1");
	CHECK(r->defaults[1].to == NULL);	/* YAML null -> SQL NULL */
	CHECK_STR_EQ(r->defaults[2].to, "null");	/* quoted: text */
	/* the wildcard catches the rest, but only when allowed */
	CHECK(mapping_find(&m, "public", "other", true) == &m.rules[1]);
	CHECK(mapping_find(&m, "public", "other", false) == NULL);
	CHECK(mapping_rule_is_wildcard(&m.rules[1]));
	mapping_release(&m);
}

TEST(mapping_schema_wildcard_and_unqualified_names)
{
	struct mapping m;
	struct err e;

	CHECK_OK(load("version: 1\ntables:\n"
		      "  - {source: t_a, target: a}\n"
		      "  - {source: \"ds.*\", target: \"*\"}\n", &m, &e), e);
	CHECK(mapping_find(&m, "anything", "t_a", false) == &m.rules[0]);
	CHECK(mapping_find(&m, "ds", "x", true) == &m.rules[1]);
	CHECK(mapping_find(&m, "other", "x", true) == NULL);
	mapping_release(&m);
}

static void expect_error(const char *text, const char *msg)
{
	struct mapping m;
	struct err e;

	CHECK_INT_EQ(load(text, &m, &e), FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, msg);
}

TEST(mapping_errors_name_line_and_column)
{
	expect_error("tables: []\n",
		     "m.yaml:1:1: missing required key \"version\"");
	expect_error("version: 2\ntables: [{source: a, target: b}]\n",
		     "m.yaml:1:10: unsupported mapping version \"2\" (this "
		     "ferry reads version 1)");
	expect_error("version: 1\ntables: []\n",
		     "m.yaml:2:9: \"tables\" must be a non-empty list of "
		     "table rules");
	expect_error("version: 1\ntables:\n  - source: a\n    targt: b\n",
		     "m.yaml:4:5: unknown key \"targt\" in a table rule");
	expect_error("version: 1\ntables:\n  - source: a\n",
		     "m.yaml:3:5: table rule is missing required key "
		     "\"target\"");
	expect_error("version: 1\ntables:\n  - {source: a.b.c, target: x}\n",
		     "m.yaml:3:14: \"source\": \"a.b.c\" has more than one "
		     "dot; write schema.table");
	expect_error("version: 1\ntables:\n  - {source: a, target: \"*\"}\n",
		     "m.yaml:3:25: target \"*\" needs a wildcard source");
	expect_error("version: 1\ntables:\n"
		     "  - {source: a, target: b, rename: [x]}\n",
		     "m.yaml:3:36: \"rename\" must be a mapping of column: "
		     "value, got a sequence");
	expect_error("version: 1\ntables:\n  - {source: a, target: b}\n"
		     "  - {source: a, target: c}\n",
		     "m.yaml:4:5: source \"a\" is already mapped at line 3");
	expect_error("version: 1\nfoo: 1\ntables: [{source: a, target: b}]\n",
		     "m.yaml:2:1: unknown key \"foo\" in the mapping file");
}

TEST(mapping_shipped_identity_file_loads)
{
	struct mapping m;
	struct err e;

	CHECK_OK(mapping_load("mappings/identity.yaml", &m, &e), e);
	CHECK_INT_EQ(m.nrules, 1);
	CHECK(mapping_find(&m, "public", "anything", true) != NULL);
	mapping_release(&m);
}
