/*
 * test_config.c - the YAML document model (ydoc) and the config loader.
 *
 * Config files are written into the test's own temporary directory, which
 * is also made the working directory, so that messages start with the
 * stable name "ferry.yaml:".  Invalid configs are a table of (file text,
 * exact message); each message pins FILE:LINE:COLUMN.  Tests run as root,
 * which ignores permission bits, so "unreadable" password files are a
 * missing file and a directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/config.h"
#include "ferry/err.h"
#include "ferry/mem.h"
#include "ferry/ydoc.h"
#include "harness.h"

#define MIB ((size_t)1024 * 1024)

/* cd into the test's directory; return its canonical path */
static const char *enter_tmpdir(void)
{
	static char real[PATH_MAX];

	CHECK(realpath(harness_tmpdir(), real) != NULL);
	CHECK(chdir(real) == 0);
	return real;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	CHECK_MSG(f != NULL, "fopen %s: %s", path, strerror(errno));
	CHECK(fwrite(text, 1, strlen(text), f) == strlen(text));
	CHECK(fclose(f) == 0);
	CHECK(chmod(path, mode) == 0);
}

/* write ferry.yaml in the cwd and load it */
static int load_text(const char *text, struct config *cfg, struct err *e)
{
	write_file("ferry.yaml", text, 0644);
	return config_load("ferry.yaml", cfg, e);
}

static struct ydoc *parse_ok(const char *text)
{
	struct ydoc *doc;
	struct err e;

	err_clear(&e);
	CHECK_OK(ydoc_load_buffer("t.yaml", text, strlen(text), &doc, &e), e);
	return doc;
}

/* --- the YAML document model --- */

TEST(ydoc_keeps_positions_order_and_quoting)
{
	struct ydoc *doc = parse_ok("a: 1\n"
				    "b:\n"
				    "  - x\n"
				    "  - \"y\"\n"
				    "c: {d: e}\n");
	const struct ydoc_node *root = ydoc_root(doc), *b, *c, *n;
	size_t len;

	CHECK_INT_EQ(ydoc_kind(root), YDOC_MAPPING);
	CHECK_INT_EQ(ydoc_count(root), 3);
	CHECK_STR_EQ(ydoc_text(ydoc_key(root, 0), NULL), "a");
	CHECK_STR_EQ(ydoc_text(ydoc_key(root, 1), NULL), "b");
	CHECK_STR_EQ(ydoc_text(ydoc_key(root, 2), NULL), "c");
	n = ydoc_key(root, 1);
	CHECK_INT_EQ(ydoc_line(n), 2);
	CHECK_INT_EQ(ydoc_col(n), 1);
	n = ydoc_value(root, 0);
	CHECK_STR_EQ(ydoc_text(n, &len), "1");
	CHECK_INT_EQ(len, 1);
	CHECK_INT_EQ(ydoc_line(n), 1);
	CHECK_INT_EQ(ydoc_col(n), 4);
	CHECK(!ydoc_quoted(n));
	b = ydoc_get(root, "b");
	CHECK_INT_EQ(ydoc_kind(b), YDOC_SEQUENCE);
	CHECK_INT_EQ(ydoc_count(b), 2);
	CHECK_INT_EQ(ydoc_line(b), 3);
	CHECK_INT_EQ(ydoc_col(b), 3);
	CHECK_INT_EQ(ydoc_col(ydoc_item(b, 0)), 5);
	CHECK(!ydoc_quoted(ydoc_item(b, 0)));
	CHECK(ydoc_quoted(ydoc_item(b, 1)));
	CHECK_INT_EQ(ydoc_line(ydoc_item(b, 1)), 4);
	CHECK(ydoc_item(b, 2) == NULL);
	c = ydoc_get(root, "c");
	CHECK_INT_EQ(ydoc_line(c), 5);
	CHECK_INT_EQ(ydoc_col(c), 4);
	CHECK_INT_EQ(ydoc_line(ydoc_get_key(root, "c")), 5);
	CHECK_STR_EQ(ydoc_text(ydoc_path(root, "c.d"), NULL), "e");
	CHECK(ydoc_path(root, "c.x") == NULL);
	CHECK(ydoc_path(root, "a.b") == NULL);
	CHECK(ydoc_get(root, "zz") == NULL);
	CHECK(ydoc_text(c, NULL) == NULL);
	CHECK_STR_EQ(ydoc_kind_name(ydoc_kind(c)), "mapping");
	ydoc_free(doc);
}

TEST(ydoc_tells_null_from_quoted_text)
{
	struct ydoc *doc = parse_ok("a:\nb: ~\nc: null\nd: \"null\"\n"
				    "e: ''\nf: NULL\ng: !!str null\n");
	const struct ydoc_node *r = ydoc_root(doc);

	CHECK(ydoc_is_null(ydoc_get(r, "a")));
	CHECK(ydoc_is_null(ydoc_get(r, "b")));
	CHECK(ydoc_is_null(ydoc_get(r, "c")));
	CHECK(!ydoc_is_null(ydoc_get(r, "d")));
	CHECK(!ydoc_is_null(ydoc_get(r, "e")));
	CHECK(ydoc_is_null(ydoc_get(r, "f")));
	CHECK(!ydoc_is_null(ydoc_get(r, "g")));
	CHECK_STR_EQ(ydoc_tag(ydoc_get(r, "g")), "tag:yaml.org,2002:str");
	CHECK(ydoc_tag(ydoc_get(r, "d")) == NULL);
	ydoc_free(doc);
}

TEST(ydoc_keeps_nul_bytes_with_length)
{
	struct ydoc *doc = parse_ok("a: \"x\\0y\"\n");
	size_t len;
	const char *s = ydoc_text(ydoc_get(ydoc_root(doc), "a"), &len);

	CHECK_INT_EQ(len, 3);
	CHECK(memcmp(s, "x\0y", 4) == 0);
	ydoc_free(doc);
}

TEST(ydoc_converts_integers_and_booleans)
{
	static const struct {
		const char *text;
		int rc;
		int64_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "+5", 0, 5 },
		{ "-12", 0, -12 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", FERRY_EFULL, 0 },
		{ "-9223372036854775809", FERRY_EFULL, 0 },
		{ "99999999999999999999x", FERRY_EINVAL, 0 },
		{ "", FERRY_EINVAL, 0 },
		{ "-", FERRY_EINVAL, 0 },
		{ "12a", FERRY_EINVAL, 0 },
		{ "0x10", FERRY_EINVAL, 0 },
		{ " 1", FERRY_EINVAL, 0 },
		{ "1_000", FERRY_EINVAL, 0 },
	};
	struct ydoc *doc = parse_ok("t: true\nf: False\ny: yes\nn: [1]\n"
				    "q: \"42\"\n");
	const struct ydoc_node *r = ydoc_root(doc);
	int64_t v;
	bool b;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 0;
		CHECK_MSG(ydoc_parse_i64(cases[i].text, strlen(cases[i].text),
					 &v) == cases[i].rc,
			  "\"%s\"", cases[i].text);
		if (cases[i].rc == 0)
			CHECK_INT_EQ(v, cases[i].v);
	}
	CHECK_INT_EQ(ydoc_to_i64(ydoc_get(r, "q"), &v), 0);
	CHECK_INT_EQ(v, 42);
	CHECK_INT_EQ(ydoc_to_i64(ydoc_get(r, "n"), &v), FERRY_EINVAL);
	CHECK_INT_EQ(ydoc_to_bool(ydoc_get(r, "t"), &b), 0);
	CHECK(b);
	CHECK_INT_EQ(ydoc_to_bool(ydoc_get(r, "f"), &b), 0);
	CHECK(!b);
	CHECK_INT_EQ(ydoc_to_bool(ydoc_get(r, "y"), &b), FERRY_EINVAL);
	ydoc_free(doc);
}

TEST(ydoc_empty_input_has_no_root)
{
	struct ydoc *doc = parse_ok("");

	CHECK(ydoc_root(doc) == NULL);
	ydoc_free(doc);
	doc = parse_ok("# only a comment\n");
	CHECK(ydoc_root(doc) == NULL);
	ydoc_free(doc);
	doc = parse_ok("---\n");
	CHECK(ydoc_is_null(ydoc_root(doc)));
	ydoc_free(doc);
}

TEST(ydoc_rejects_what_it_does_not_support)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "a: &x 1\nb: *x\n",
		  "t.yaml:1:4: anchors and aliases are not supported" },
		{ "a: 1\nb: *x\n",
		  "t.yaml:2:4: anchors and aliases are not supported" },
		{ "? [a]\n: b\n", "t.yaml:1:3: mapping keys must be scalars" },
		{ "a: b\n---\nc: d\n",
		  "t.yaml:2:1: only one YAML document is allowed per file" },
		{ "a: 1\nb: 2\na: 3\n",
		  "t.yaml:3:1: duplicate key \"a\" (first defined at 1:1)" },
		{ "x:\n  k: 1\n  \"k\": 2\n",
		  "t.yaml:3:3: duplicate key \"k\" (first defined at 2:3)" },
		{ "a: [b, c\nd: e\n",
		  "t.yaml:2:2: did not find expected ',' or ']' (while "
		  "parsing a flow sequence at 1:4)" },
		{ "a:\n\tb: 1\n",
		  "t.yaml:2:1: found character that cannot start any token "
		  "(while scanning for the next token at 2:1)" },
		{ "a: ok\nb: \xff\n",
		  "t.yaml:2:4: invalid leading UTF-8 octet" },
		{ "a: \xc3\xa9\xc3\xa9 \xff\n",
		  "t.yaml:1:7: invalid leading UTF-8 octet" },
	};
	struct ydoc *doc;
	struct err e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err_clear(&e);
		CHECK_INT_EQ(ydoc_load_buffer("t.yaml", cases[i].text,
					      strlen(cases[i].text), &doc, &e),
			     FERRY_ECONFIG);
		CHECK(doc == NULL);
		CHECK_INT_EQ(e.code, FERRY_ECONFIG);
		CHECK_STR_EQ(e.msg, cases[i].msg);
	}
}

TEST(ydoc_enforces_its_limits)
{
	struct ydoc *doc;
	struct err e;
	char *big;
	size_t n;

	/* depth: the mapping is level 1, so the 64th '[' is level 65 */
	big = xmalloc(256);
	n = (size_t)snprintf(big, 256, "a: ");
	for (int i = 0; i < 70; i++)
		big[n++] = '[';
	for (int i = 0; i < 70; i++)
		big[n++] = ']';
	big[n] = '\0';
	CHECK_INT_EQ(ydoc_load_buffer("t.yaml", big, n, &doc, &e),
		     FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "t.yaml:1:67: nesting is deeper than 64 levels "
			    "(the limit)");
	free(big);

	/* size */
	n = YDOC_MAX_BYTES + 1;
	big = xmalloc(n);
	memset(big, '#', n);
	CHECK_INT_EQ(ydoc_load_buffer("t.yaml", big, n, &doc, &e),
		     FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "t.yaml:1:1: file is larger than 1048576 bytes "
			    "(the limit)");
	big[0] = '\n';
	CHECK_OK(ydoc_load_buffer("t.yaml", big, n - 1, &doc, &e), e);
	ydoc_free(doc);
	free(big);

	/* nodes: one sequence + 100000 items is one too many */
	big = xmalloc(2 * YDOC_MAX_NODES + 8);
	n = 0;
	big[n++] = '[';
	for (int i = 0; i < YDOC_MAX_NODES; i++) {
		big[n++] = '0';
		big[n++] = ',';
	}
	big[n - 1] = ']';
	CHECK_INT_EQ(ydoc_load_buffer("t.yaml", big, n, &doc, &e),
		     FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "t.yaml:1:200000: document has more than 100000 "
			    "nodes (the limit)");
	free(big);
}

TEST(ydoc_finds_duplicates_in_a_large_mapping_quickly)
{
	struct ydoc *doc;
	struct err e;
	struct buf_like {
		char *p;
		size_t n;
	} b = { xmalloc(50000 * 16), 0 };

	b.p[b.n++] = '{';
	for (int i = 0; i < 40000; i++)
		b.n += (size_t)snprintf(b.p + b.n, 50000 * 16 - b.n,
					"k%d: 1,", i % 39999);
	b.p[b.n - 1] = '}';
	CHECK_INT_EQ(ydoc_load_buffer("t.yaml", b.p, b.n, &doc, &e),
		     FERRY_ECONFIG);
	/* key 39999 is "k0" again, the first repeat in the file */
	CHECK_STR_CONTAINS(e.msg, "duplicate key \"k0\" (first defined at "
				  "1:2)");
	free(b.p);
}

TEST(ydoc_load_file_names_the_file_kind)
{
	struct ydoc *doc;
	struct err e;

	enter_tmpdir();
	CHECK_INT_EQ(ydoc_load_file("nope.yaml", "mapping file", &doc, &e),
		     FERRY_EIO);
	CHECK(doc == NULL);
	CHECK_STR_EQ(e.msg, "could not read mapping file \"nope.yaml\": "
			    "No such file or directory");
	write_file("m.yaml", "x: [1, 2]\n", 0644);
	CHECK_OK(ydoc_load_file("m.yaml", NULL, &doc, &e), e);
	CHECK_STR_EQ(ydoc_name(doc), "m.yaml");
	CHECK_INT_EQ(ydoc_count(ydoc_get(ydoc_root(doc), "x")), 2);
	CHECK_INT_EQ(ydoc_error(doc, ydoc_get(ydoc_root(doc), "x"), &e,
				"bad %s", "x"), FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "m.yaml:1:4: bad x");
	CHECK_INT_EQ(ydoc_error(doc, NULL, &e, "whole file"), FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "m.yaml:1:1: whole file");
	ydoc_free(doc);
}

/* --- the config loader --- */

#define SRC_PG                                                          \
	"source:\n"                                                     \
	"  driver: postgresql\n"                                        \
	"  host: db1\n"                                                 \
	"  user: u\n"                                                   \
	"  database: d\n"
#define TGT_MY                                                          \
	"target:\n"                                                     \
	"  driver: mysql\n"                                             \
	"  host: db2\n"                                                 \
	"  user: u2\n"                                                  \
	"  database: d2\n"
#define MAP "mapping: m.yaml\n"

TEST(config_full_file_sets_every_field)
{
	const char *dir = enter_tmpdir();
	struct config cfg;
	struct err e;
	char want[PATH_MAX + 64];

	write_file("src.pw", "s\n", 0600);
	write_file("ca.pem", "", 0644);
	CHECK_OK(load_text(
		"source:\n"
		"  driver: mysql\n"
		"  host: old.example\n"
		"  port: \"3307\"\n"
		"  user: repl\n"
		"  database: ds13\n"
		"  password_file: src.pw\n"
		"  sslmode: verify-full\n"
		"  ssl_ca: /etc/ssl/ca.pem\n"
		"  server_id: 4294967295\n"
		"target:\n"
		"  driver: postgresql\n"
		"  host: new.example\n"
		"  port: 6432\n"
		"  user: writer\n"
		"  database: ds32\n"
		"  password_env: TARGET_PW\n"
		"  sslmode: disable\n"
		"  ssl_ca: ca.pem\n"
		"mapping: /opt/ferry/mappings/ds.yaml\n"
		"state_dir: /srv/ferry\n"
		"projects:\n"
		"  include: [etl, 42, \"web shop\"]\n"
		"batch:\n"
		"  max_rows: 1000000\n"
		"  max_delay_ms: 0\n"
		"limits:\n"
		"  queue_max_changes: 7\n"
		"  queue_max_mb: 3\n"
		"  txn_memory_mb: 5\n"
		"  state_map_mb: 128\n"
		"  state_max_map_mb: 1024\n"
		"codes:\n"
		"  machine_id: 0\n"
		"metrics:\n"
		"  listen: \"[::1]:9187\"\n"
		"log:\n"
		"  level: debug\n", &cfg, &e), e);
	CHECK_STR_EQ(cfg.path, "ferry.yaml");
	CHECK_INT_EQ(cfg.source.driver, CONFIG_DRIVER_MYSQL);
	CHECK_STR_EQ(cfg.source.host, "old.example");
	CHECK_INT_EQ(cfg.source.port, 3307);
	CHECK_STR_EQ(cfg.source.user, "repl");
	CHECK_STR_EQ(cfg.source.database, "ds13");
	snprintf(want, sizeof(want), "%s/src.pw", dir);
	CHECK_STR_EQ(cfg.source.password_file, want);
	CHECK(cfg.source.password_env == NULL);
	CHECK_INT_EQ(cfg.source.sslmode, CONFIG_SSL_VERIFY_FULL);
	CHECK_STR_EQ(cfg.source.ssl_ca, "/etc/ssl/ca.pem");
	CHECK(cfg.source.slot == NULL);
	CHECK(cfg.source.publication == NULL);
	CHECK_U64_EQ(cfg.source.server_id, 4294967295u);
	CHECK_INT_EQ(cfg.target.driver, CONFIG_DRIVER_POSTGRESQL);
	CHECK_STR_EQ(cfg.target.host, "new.example");
	CHECK_INT_EQ(cfg.target.port, 6432);
	CHECK_STR_EQ(cfg.target.user, "writer");
	CHECK_STR_EQ(cfg.target.database, "ds32");
	CHECK(cfg.target.password_file == NULL);
	CHECK_STR_EQ(cfg.target.password_env, "TARGET_PW");
	CHECK_INT_EQ(cfg.target.sslmode, CONFIG_SSL_DISABLE);
	snprintf(want, sizeof(want), "%s/ca.pem", dir);
	CHECK_STR_EQ(cfg.target.ssl_ca, want);
	CHECK(cfg.target.slot == NULL);
	CHECK(cfg.target.publication == NULL);
	CHECK_INT_EQ(cfg.target.server_id, 0);
	CHECK_STR_EQ(cfg.mapping, "/opt/ferry/mappings/ds.yaml");
	CHECK_STR_EQ(cfg.state_dir, "/srv/ferry");
	CHECK_INT_EQ(cfg.nprojects, 3);
	CHECK_STR_EQ(cfg.projects[0], "etl");
	CHECK_STR_EQ(cfg.projects[1], "42");
	CHECK_STR_EQ(cfg.projects[2], "web shop");
	CHECK_INT_EQ(cfg.batch_max_rows, 1000000);
	CHECK_INT_EQ(cfg.batch_max_delay_ms, 0);
	CHECK_INT_EQ(cfg.queue_max_changes, 7);
	CHECK_U64_EQ(cfg.queue_max_bytes, 3 * MIB);
	CHECK_U64_EQ(cfg.txn_max_bytes, 5 * MIB);
	CHECK_U64_EQ(cfg.state_map_size, 128 * MIB);
	CHECK_U64_EQ(cfg.state_max_map_size, 1024 * MIB);
	CHECK_INT_EQ(cfg.code_machine_id, 0);
	CHECK_STR_EQ(cfg.metrics_listen, "[::1]:9187");
	CHECK_INT_EQ(cfg.log_level, LOG_LEVEL_DEBUG);
	CHECK_STR_EQ(config_driver_name(cfg.source.driver), "mysql");
	CHECK_STR_EQ(config_sslmode_name(cfg.source.sslmode), "verify-full");
	config_release(&cfg);
	CHECK(cfg.source.host == NULL);
	CHECK(cfg.projects == NULL);
	config_release(&cfg);	/* releasing twice is harmless */
}

TEST(config_minimal_file_gets_defaults)
{
	const char *dir = enter_tmpdir();
	struct config cfg;
	struct err e;
	char want[PATH_MAX + 64];

	CHECK_OK(load_text(SRC_PG TGT_MY MAP, &cfg, &e), e);
	CHECK_INT_EQ(cfg.source.port, 5432);
	CHECK_INT_EQ(cfg.target.port, 3306);
	CHECK_STR_EQ(cfg.source.slot, "ferry");
	CHECK_STR_EQ(cfg.source.publication, "ferry");
	CHECK_INT_EQ(cfg.source.server_id, 0);
	CHECK_INT_EQ(cfg.source.sslmode, CONFIG_SSL_DEFAULT);
	CHECK(cfg.source.password_file == NULL);
	CHECK(cfg.source.password_env == NULL);
	CHECK(cfg.source.ssl_ca == NULL);
	CHECK(cfg.target.slot == NULL);
	snprintf(want, sizeof(want), "%s/m.yaml", dir);
	CHECK_STR_EQ(cfg.mapping, want);
	CHECK_STR_EQ(cfg.state_dir, "/var/lib/ferry");
	CHECK_INT_EQ(cfg.nprojects, 0);
	CHECK(cfg.projects == NULL);
	CHECK_INT_EQ(cfg.batch_max_rows, 5000);
	CHECK_INT_EQ(cfg.batch_max_delay_ms, 200);
	CHECK_INT_EQ(cfg.queue_max_changes, 10000);
	CHECK_U64_EQ(cfg.queue_max_bytes, 256 * MIB);
	CHECK_U64_EQ(cfg.txn_max_bytes, 512 * MIB);
	CHECK_U64_EQ(cfg.state_map_size, 64 * MIB);
	CHECK_U64_EQ(cfg.state_max_map_size, 65536 * MIB);
	CHECK_INT_EQ(cfg.code_machine_id, 31);
	CHECK(cfg.metrics_listen == NULL);
	CHECK_INT_EQ(cfg.log_level, LOG_LEVEL_INFO);
	CHECK_STR_EQ(config_sslmode_name(cfg.source.sslmode), "default");
	config_release(&cfg);
}

TEST(config_empty_values_and_sections_mean_defaults)
{
	struct config cfg;
	struct err e;

	enter_tmpdir();
	CHECK_OK(load_text("source:\n"
			   "  driver: mysql\n"
			   "  host: h\n"
			   "  user: u\n"
			   "  database: d\n"
			   "  port:\n"
			   "  server_id: ~\n"
			   TGT_MY MAP
			   "projects:\n"
			   "  include:\n"
			   "batch:\n"
			   "metrics:\n"
			   "log: {}\n", &cfg, &e), e);
	CHECK_INT_EQ(cfg.source.port, 3306);
	CHECK_U64_EQ(cfg.source.server_id, 4200);
	CHECK_INT_EQ(cfg.nprojects, 0);
	CHECK_INT_EQ(cfg.batch_max_rows, 5000);
	CHECK(cfg.metrics_listen == NULL);
	CHECK_INT_EQ(cfg.log_level, LOG_LEVEL_INFO);
	config_release(&cfg);
}

TEST(config_resolves_relative_paths_against_its_directory)
{
	const char *dir = enter_tmpdir();
	struct config cfg;
	struct err e;
	char want[PATH_MAX + 64];

	CHECK(mkdir("conf", 0755) == 0);
	write_file("conf/pw", "x", 0600);
	write_file("conf/ferry.yaml",
		   "source:\n"
		   "  driver: postgresql\n"
		   "  host: h\n"
		   "  user: u\n"
		   "  database: d\n"
		   "  password_file: ./pw\n"
		   "  ssl_ca: ../certs/./ca.pem\n"
		   TGT_MY
		   "mapping: ../mappings/identity.yaml\n"
		   "state_dir: state\n", 0644);
	/* a relative config path, loaded from its parent directory */
	CHECK_OK(config_load("conf/ferry.yaml", &cfg, &e), e);
	CHECK_STR_EQ(cfg.path, "conf/ferry.yaml");
	snprintf(want, sizeof(want), "%s/conf/pw", dir);
	CHECK_STR_EQ(cfg.source.password_file, want);
	snprintf(want, sizeof(want), "%s/certs/./ca.pem", dir);
	CHECK_STR_EQ(cfg.source.ssl_ca, want);
	snprintf(want, sizeof(want), "%s/mappings/identity.yaml", dir);
	CHECK_STR_EQ(cfg.mapping, want);
	snprintf(want, sizeof(want), "%s/conf/state", dir);
	CHECK_STR_EQ(cfg.state_dir, want);
	config_release(&cfg);

	/* the same by absolute path, from elsewhere */
	CHECK(chdir("/") == 0);
	snprintf(want, sizeof(want), "%s/conf/ferry.yaml", dir);
	CHECK_OK(config_load(want, &cfg, &e), e);
	snprintf(want, sizeof(want), "%s/mappings/identity.yaml", dir);
	CHECK_STR_EQ(cfg.mapping, want);
	config_release(&cfg);
}

TEST(config_rejects_invalid_files_with_exact_positions)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		/* unknown key, with and without a suggestion */
		{ "source:\n  driver: postgresql\n  hots: db1\n  user: u\n"
		  "  database: d\n" TGT_MY MAP,
		  "ferry.yaml:3:3: unknown key \"hots\" in \"source\" "
		  "(did you mean \"host\"?)" },
		{ SRC_PG TGT_MY "mappings: m.yaml\n",
		  "ferry.yaml:11:1: unknown key \"mappings\" (did you mean "
		  "\"mapping\"?)" },
		{ SRC_PG TGT_MY MAP "frobnicate: 1\n",
		  "ferry.yaml:12:1: unknown key \"frobnicate\"" },
		{ SRC_PG TGT_MY MAP "batch:\n  max_rwos: 5\n",
		  "ferry.yaml:13:3: unknown key \"max_rwos\" in \"batch\" "
		  "(did you mean \"max_rows\"?)" },
		{ SRC_PG TGT_MY MAP "source.host: x\n",
		  "ferry.yaml:12:1: unknown key \"source.host\"" },
		/* wrong type */
		{ SRC_PG "  port: abc\n" TGT_MY MAP,
		  "ferry.yaml:6:9: \"source.port\" must be an integer, got "
		  "\"abc\"" },
		{ "source:\n  driver: postgresql\n  host:\n    name: db1\n"
		  "  user: u\n  database: d\n" TGT_MY MAP,
		  "ferry.yaml:4:5: \"source.host\" must be a string, got a "
		  "mapping" },
		{ SRC_PG TGT_MY MAP "batch: 5\n",
		  "ferry.yaml:12:8: \"batch\" must be a mapping, got a "
		  "scalar" },
		{ SRC_PG TGT_MY MAP "projects:\n  include: web\n",
		  "ferry.yaml:13:12: \"projects.include\" must be a sequence "
		  "of names or ids, got a scalar" },
		{ SRC_PG TGT_MY MAP "projects:\n  include: [a, [b]]\n",
		  "ferry.yaml:13:16: \"projects.include\" items must be names "
		  "or ids, got a sequence" },
		{ SRC_PG TGT_MY MAP "log:\n  level: [debug]\n",
		  "ferry.yaml:13:10: \"log.level\" must be one of error, warn, "
		  "info, debug, got a sequence" },
		{ "just text\n",
		  "ferry.yaml:1:1: the config must be a mapping of keys, got a "
		  "scalar" },
		/* missing required keys */
		{ "# the source\nsource:\n  driver: postgresql\n  host: db1\n"
		  "  database: d\n" TGT_MY MAP,
		  "ferry.yaml:2:1: \"source\" is missing required key "
		  "\"user\"" },
		{ SRC_PG TGT_MY,
		  "ferry.yaml:1:1: missing required key \"mapping\"" },
		{ SRC_PG "target:\n" MAP,
		  "ferry.yaml:6:1: \"target\" is missing required key "
		  "\"driver\"" },
		{ "", "ferry.yaml:1:1: missing required key \"source\"" },
		{ "source:\n  driver: postgresql\n  host:\n  user: u\n"
		  "  database: d\n" TGT_MY MAP,
		  "ferry.yaml:3:3: \"source.host\" must not be empty" },
		{ "source:\n  driver: postgresql\n  host: ''\n  user: u\n"
		  "  database: d\n" TGT_MY MAP,
		  "ferry.yaml:3:9: \"source.host\" must not be empty" },
		/* enums */
		{ "source:\n  driver: oracle\n  host: db1\n  user: u\n"
		  "  database: d\n" TGT_MY MAP,
		  "ferry.yaml:2:11: \"source.driver\" must be one of "
		  "postgresql, mysql, got \"oracle\"" },
		{ SRC_PG "  sslmode: on\n" TGT_MY MAP,
		  "ferry.yaml:6:12: \"source.sslmode\" must be one of "
		  "disable, allow, prefer, require, verify-ca, verify-full, "
		  "got \"on\"" },
		{ SRC_PG TGT_MY "  sslmode: allow\n" MAP,
		  "ferry.yaml:11:12: \"target.sslmode\" cannot be \"allow\" "
		  "with driver mysql (use disable, prefer, require, verify-ca "
		  "or verify-full)" },
		/* ranges */
		{ SRC_PG TGT_MY "  port: 70000\n" MAP,
		  "ferry.yaml:11:9: \"target.port\" must be between 1 and "
		  "65535, got \"70000\"" },
		{ SRC_PG "  port: 0\n" TGT_MY MAP,
		  "ferry.yaml:6:9: \"source.port\" must be between 1 and "
		  "65535, got \"0\"" },
		{ SRC_PG TGT_MY MAP "codes:\n  machine_id: 32\n",
		  "ferry.yaml:13:15: \"codes.machine_id\" must be between 0 "
		  "and 31, got \"32\"" },
		{ SRC_PG TGT_MY MAP
		  "batch:\n  max_rows: 99999999999999999999\n",
		  "ferry.yaml:13:13: \"batch.max_rows\" must be between 1 and "
		  "1000000, got \"99999999999999999999\"" },
		{ "source:\n  driver: mysql\n  host: h\n  user: u\n"
		  "  database: d\n  server_id: 0\n" TGT_MY MAP,
		  "ferry.yaml:6:14: \"source.server_id\" must be between 1 and "
		  "4294967295, got \"0\"" },
		{ SRC_PG TGT_MY MAP "limits:\n  state_map_mb: 2048\n"
		  "  state_max_map_mb: 1024\n",
		  "ferry.yaml:13:17: \"limits.state_map_mb\" (2048) must not "
		  "be larger than \"limits.state_max_map_mb\" (1024)" },
		/* validators */
		{ SRC_PG TGT_MY MAP "metrics:\n  listen: localhost\n",
		  "ferry.yaml:13:11: \"metrics.listen\" must be HOST:PORT or "
		  "[IPV6]:PORT with a port from 1 to 65535, got "
		  "\"localhost\"" },
		{ SRC_PG TGT_MY MAP "metrics:\n  listen: \":9187\"\n",
		  "ferry.yaml:13:11: \"metrics.listen\" must be HOST:PORT or "
		  "[IPV6]:PORT with a port from 1 to 65535, got \":9187\"" },
		{ SRC_PG "  slot: Ferry-1\n" TGT_MY MAP,
		  "ferry.yaml:6:9: \"source.slot\" must contain only lowercase "
		  "letters, digits and underscores, got \"Ferry-1\"" },
		{ SRC_PG "  host2: x\n" TGT_MY MAP,
		  "ferry.yaml:6:3: unknown key \"host2\" in \"source\" (did "
		  "you mean \"host\"?)" },
		{ "source:\n  driver: postgresql\n  host: \"a\\0b\"\n"
		  "  user: u\n  database: d\n" TGT_MY MAP,
		  "ferry.yaml:3:9: \"source.host\" must not contain a NUL "
		  "byte" },
		/* endpoint rules */
		{ SRC_PG "  password_file: pw\n  password_env: PGPASS\n"
		  TGT_MY MAP,
		  "ferry.yaml:7:3: cannot set both \"source.password_file\" "
		  "and \"source.password_env\"" },
		{ "source:\n  driver: mysql\n  host: db1\n  user: u\n"
		  "  database: d\n  slot: s\n" TGT_MY MAP,
		  "ferry.yaml:6:3: \"source.slot\" is only valid with driver "
		  "postgresql" },
		{ SRC_PG "  server_id: 7\n" TGT_MY MAP,
		  "ferry.yaml:6:3: \"source.server_id\" is only valid with "
		  "driver mysql" },
		{ SRC_PG TGT_MY "  publication: p\n" MAP,
		  "ferry.yaml:11:3: unknown key \"publication\" in \"target\" "
		  "(it is only valid under \"source\")" },
		/* from the YAML layer */
		{ "source:\n  driver: postgresql\n  host: db1\n  user: u\n"
		  "  host: db9\n",
		  "ferry.yaml:5:3: duplicate key \"host\" (first defined at "
		  "3:3)" },
		{ SRC_PG "target: [a, b\n" MAP,
		  "ferry.yaml:7:8: did not find expected ',' or ']' (while "
		  "parsing a flow sequence at 6:9)" },
		{ SRC_PG "   host: x\n",
		  "ferry.yaml:6:8: mapping values are not allowed in this "
		  "context" },
		{ SRC_PG "target: &t\n  driver: mysql\n",
		  "ferry.yaml:6:9: anchors and aliases are not supported" },
		{ SRC_PG TGT_MY MAP "---\nlog:\n  level: debug\n",
		  "ferry.yaml:12:1: only one YAML document is allowed per "
		  "file" },
	};
	struct config cfg;
	struct err e;
	int failed = 0;

	enter_tmpdir();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err_clear(&e);
		memset(&cfg, 0xa5, sizeof(cfg));
		if (load_text(cases[i].text, &cfg, &e) != FERRY_ECONFIG ||
		    e.code != FERRY_ECONFIG ||
		    strcmp(e.msg, cases[i].msg) != 0) {
			fprintf(stderr, "    case %zu:\n      got:      %s\n"
				"      expected: %s\n", i, e.msg,
				cases[i].msg);
			failed++;
		}
		/* a failed load leaves nothing to release */
		CHECK(cfg.path == NULL && cfg.source.host == NULL &&
		      cfg.mapping == NULL && cfg.projects == NULL);
	}
	CHECK_INT_EQ(failed, 0);
}

TEST(config_cannot_read_file_is_eio)
{
	struct config cfg;
	struct err e;

	enter_tmpdir();
	CHECK_INT_EQ(config_load("missing.yaml", &cfg, &e), FERRY_EIO);
	CHECK_INT_EQ(e.code, FERRY_EIO);
	CHECK_STR_EQ(e.msg, "could not read config file \"missing.yaml\": "
			    "No such file or directory");
	CHECK(mkdir("adir", 0755) == 0);
	CHECK_INT_EQ(config_load("adir", &cfg, &e), FERRY_EIO);
	CHECK_STR_EQ(e.msg, "could not read config file \"adir\": "
			    "Is a directory");
	CHECK(cfg.path == NULL);
}

TEST(config_rejects_a_file_over_the_size_limit)
{
	struct config cfg;
	struct err e;
	char *big = xmalloc(YDOC_MAX_BYTES + 2);

	enter_tmpdir();
	memset(big, '#', YDOC_MAX_BYTES + 1);
	big[YDOC_MAX_BYTES + 1] = '\0';
	CHECK_INT_EQ(load_text(big, &cfg, &e), FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "ferry.yaml:1:1: file is larger than 1048576 "
			    "bytes (the limit)");
	free(big);
}

TEST(config_password_file_must_be_readable)
{
	const char *dir = enter_tmpdir();
	struct config cfg;
	struct err e;
	char want[2 * PATH_MAX + 128];

	CHECK_INT_EQ(load_text(SRC_PG "  password_file: missing.pw\n"
			       TGT_MY MAP, &cfg, &e), FERRY_ECONFIG);
	snprintf(want, sizeof(want), "ferry.yaml:6:18: could not read "
		 "password file \"%s/missing.pw\": No such file or directory",
		 dir);
	CHECK_STR_EQ(e.msg, want);

	/* root can open anything, but not read a directory */
	CHECK(mkdir("pwdir", 0700) == 0);
	CHECK_INT_EQ(load_text(SRC_PG TGT_MY
			       "  password_file: pwdir\n" MAP, &cfg, &e),
		     FERRY_ECONFIG);
	snprintf(want, sizeof(want), "ferry.yaml:11:18: could not read "
		 "password file \"%s/pwdir\": Is a directory", dir);
	CHECK_STR_EQ(e.msg, want);
}

TEST(config_password_file_must_be_private_and_is_never_shown)
{
	static const char secret[] = "hunter2-Zq9!";
	const char *dir = enter_tmpdir();
	struct config cfg;
	struct err e;
	char want[2 * PATH_MAX + 128];

	write_file("group.pw", secret, 0640);
	CHECK_INT_EQ(load_text(SRC_PG "  password_file: group.pw\n"
			       TGT_MY MAP, &cfg, &e), FERRY_ECONFIG);
	snprintf(want, sizeof(want), "ferry.yaml:6:18: password file "
		 "\"%s/group.pw\" is accessible by group or others (mode "
		 "0640); run chmod 600 \"%s/group.pw\"", dir, dir);
	CHECK_STR_EQ(e.msg, want);
	CHECK(strstr(e.msg, "hunter2") == NULL);

	write_file("other.pw", secret, 0604);
	CHECK_INT_EQ(load_text(SRC_PG TGT_MY "  password_file: other.pw\n"
			       MAP, &cfg, &e), FERRY_ECONFIG);
	CHECK_STR_CONTAINS(e.msg, "(mode 0604); run chmod 600");
	CHECK(strstr(e.msg, "hunter2") == NULL);

	/* a secret pasted where a variable name belongs is not echoed */
	CHECK_INT_EQ(load_text(SRC_PG "  password_env: \"hunter2-Zq9!\"\n"
			       TGT_MY MAP, &cfg, &e), FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "ferry.yaml:6:17: \"source.password_env\" must "
			    "be an environment variable name ([A-Za-z_]"
			    "[A-Za-z0-9_]*)");

	/* ... nor pasted as a key of its own */
	CHECK_INT_EQ(load_text(SRC_PG "  password: hunter2-Zq9!\n"
			       TGT_MY MAP, &cfg, &e), FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "ferry.yaml:6:3: unknown key \"password\" in "
			    "\"source\"");

	/* once private, it loads */
	CHECK(chmod("group.pw", 0600) == 0);
	CHECK_OK(load_text(SRC_PG "  password_file: group.pw\n" TGT_MY MAP,
			   &cfg, &e), e);
	config_release(&cfg);
}

TEST(config_read_password_from_file)
{
	const char *dir = enter_tmpdir();
	struct config_db db;
	struct err e;
	char out[8], want[2 * PATH_MAX + 128], path[PATH_MAX + 16];

	memset(&db, 0, sizeof(db));
	snprintf(path, sizeof(path), "%s/pw", dir);
	db.password_file = path;

	write_file("pw", "secret\n", 0600);
	CHECK_OK(config_read_password(&db, out, sizeof(out), &e), e);
	CHECK_STR_EQ(out, "secret");
	write_file("pw", "sec\r\n", 0400);
	CHECK_OK(config_read_password(&db, out, sizeof(out), &e), e);
	CHECK_STR_EQ(out, "sec");
	/* only one newline goes */
	write_file("pw", "a\n\n", 0600);
	CHECK_OK(config_read_password(&db, out, sizeof(out), &e), e);
	CHECK_STR_EQ(out, "a\n");
	write_file("pw", "", 0600);
	CHECK_OK(config_read_password(&db, out, sizeof(out), &e), e);
	CHECK_STR_EQ(out, "");
	/* 7 bytes + newline fill the 8-byte buffer exactly */
	write_file("pw", "1234567\n", 0600);
	CHECK_OK(config_read_password(&db, out, sizeof(out), &e), e);
	CHECK_STR_EQ(out, "1234567");

	write_file("pw", "12345678", 0600);
	CHECK_INT_EQ(config_read_password(&db, out, sizeof(out), &e),
		     FERRY_ECONFIG);
	snprintf(want, sizeof(want), "password file \"%s\" is longer than 7 "
		 "bytes", path);
	CHECK_STR_EQ(e.msg, want);
	CHECK(strstr(e.msg, "12345678") == NULL);

	/* the mode is checked again at read time */
	write_file("pw", "topsecret", 0644);
	CHECK_INT_EQ(config_read_password(&db, out, sizeof(out), &e),
		     FERRY_ECONFIG);
	CHECK_STR_CONTAINS(e.msg, "is accessible by group or others");
	CHECK(strstr(e.msg, "topsecret") == NULL);

	CHECK(unlink("pw") == 0);
	CHECK_INT_EQ(config_read_password(&db, out, sizeof(out), &e),
		     FERRY_ECONFIG);
	snprintf(want, sizeof(want), "could not read password file \"%s\": "
		 "No such file or directory", path);
	CHECK_STR_EQ(e.msg, want);
}

TEST(config_read_password_from_env_or_nothing)
{
	struct config_db db;
	struct err e;
	char out[16];

	memset(&db, 0, sizeof(db));
	CHECK_OK(config_read_password(&db, out, sizeof(out), &e), e);
	CHECK_STR_EQ(out, "");

	db.password_env = "FERRY_TEST_PW";
	CHECK(setenv("FERRY_TEST_PW", "envsecret", 1) == 0);
	CHECK_OK(config_read_password(&db, out, sizeof(out), &e), e);
	CHECK_STR_EQ(out, "envsecret");

	CHECK(setenv("FERRY_TEST_PW", "0123456789abcdef", 1) == 0);
	CHECK_INT_EQ(config_read_password(&db, out, sizeof(out), &e),
		     FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "environment variable \"FERRY_TEST_PW\" is "
			    "longer than 15 bytes");

	CHECK(unsetenv("FERRY_TEST_PW") == 0);
	CHECK_INT_EQ(config_read_password(&db, out, sizeof(out), &e),
		     FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "environment variable \"FERRY_TEST_PW\" is not "
			    "set");
}

TEST(config_load_buffer_resolves_against_base_dir)
{
	static const char text[] = SRC_PG TGT_MY MAP;
	struct config cfg;
	struct err e;

	CHECK_OK(config_load_buffer("mem.yaml", text, strlen(text), "/etc",
				    &cfg, &e), e);
	CHECK_STR_EQ(cfg.path, "mem.yaml");
	CHECK_STR_EQ(cfg.mapping, "/etc/m.yaml");
	config_release(&cfg);
	CHECK_INT_EQ(config_load_buffer("mem.yaml", text, strlen(text),
					"/nonexistent-ferry-dir", &cfg, &e),
		     FERRY_EIO);
	CHECK_STR_EQ(e.msg, "could not resolve the directory of config file "
			    "\"mem.yaml\": No such file or directory");
}

/*
 * conf/ferry.yaml must stay valid and show the defaults.  Its password
 * files live under /etc/ferry; point them into the test directory.
 */
TEST(config_example_file_is_valid)
{
	const char *dir;
	char path[PATH_MAX + 64], *text, *p;
	struct config cfg;
	struct err e;
	struct buf_like {
		char *p;
		size_t n;
	} out = { NULL, 0 };
	FILE *f;
	long n;

	/* run from the repo root, or find it above <root>/build/<x>/tests */
	snprintf(path, sizeof(path), "conf/ferry.yaml");
	f = fopen(path, "r");
	if (!f) {
		snprintf(path, sizeof(path), "%s/../../../conf/ferry.yaml",
			 harness_bindir());
		f = fopen(path, "r");
	}
	CHECK_MSG(f != NULL, "open %s: %s", path, strerror(errno));
	CHECK(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	CHECK(n > 0);
	rewind(f);
	text = xmalloc((size_t)n + 1);
	CHECK(fread(text, 1, (size_t)n, f) == (size_t)n);
	text[n] = '\0';
	fclose(f);
	/* bindir may be relative: only now move to the test directory */
	dir = enter_tmpdir();
	/* every "/etc/ferry/" becomes "<dir>/" */
	out.p = xmalloc((size_t)n * 2 + 4096);
	for (p = text; *p;) {
		if (strncmp(p, "/etc/ferry/", 11) == 0) {
			out.n += (size_t)snprintf(out.p + out.n, PATH_MAX + 2,
						  "%s/", dir);
			p += 11;
		} else {
			out.p[out.n++] = *p++;
		}
	}
	out.p[out.n] = '\0';
	write_file("source.password", "a\n", 0600);
	write_file("target.password", "b\n", 0600);
	CHECK(mkdir("conf", 0755) == 0);
	write_file("conf/ferry.yaml", out.p, 0644);
	CHECK_OK(config_load("conf/ferry.yaml", &cfg, &e), e);
	CHECK_INT_EQ(cfg.source.driver, CONFIG_DRIVER_POSTGRESQL);
	CHECK_INT_EQ(cfg.source.port, 5432);
	CHECK_STR_EQ(cfg.source.slot, "ferry");
	CHECK_INT_EQ(cfg.source.sslmode, CONFIG_SSL_PREFER);
	snprintf(path, sizeof(path), "%s/mappings/identity.yaml", dir);
	CHECK_STR_EQ(cfg.mapping, path);
	CHECK_STR_EQ(cfg.state_dir, "/var/lib/ferry");
	CHECK_INT_EQ(cfg.nprojects, 0);
	CHECK_INT_EQ(cfg.batch_max_rows, 5000);
	CHECK_INT_EQ(cfg.batch_max_delay_ms, 200);
	CHECK_INT_EQ(cfg.queue_max_changes, 10000);
	CHECK_U64_EQ(cfg.queue_max_bytes, 256 * MIB);
	CHECK_U64_EQ(cfg.txn_max_bytes, 512 * MIB);
	CHECK_U64_EQ(cfg.state_map_size, 64 * MIB);
	CHECK_U64_EQ(cfg.state_max_map_size, 65536 * MIB);
	CHECK_INT_EQ(cfg.code_machine_id, 31);
	CHECK(cfg.metrics_listen == NULL);
	CHECK_INT_EQ(cfg.log_level, LOG_LEVEL_INFO);
	config_release(&cfg);
	free(out.p);
	free(text);
}
