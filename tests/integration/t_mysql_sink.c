/*
 * t_mysql_sink.c - the MySQL/MariaDB writer against the throwaway MariaDB
 * of tests/run.sh: upsert, update, delete, truncate and key-change round
 * trips, merged multi-row statements, upsert runs by array binding
 * (MariaDB) and as SQL text, partial updates, the stored value of every
 * common type both ways, the checkpoint committed with the data, long
 * transactions streamed yet atomic, statements cut at max_allowed_packet,
 * clear errors for bad values, missing tables and a killed connection,
 * TLS modes, and (printed, not asserted) the write rate.
 */
#include <mysql.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ferry/change.h"
#include "ferry/checkpoint.h"
#include "ferry/config.h"
#include "ferry/err.h"
#include "ferry/mem.h"
#include "ferry/pos.h"
#include "ferry/sink.h"
#include "harness.h"

/* ---- servers and verification connections ----------------------------- */

static struct config_db target_db(void)
{
	struct config_db db;

	memset(&db, 0, sizeof(db));
	db.driver = CONFIG_DRIVER_MYSQL;
	db.host = (char *)harness_env("FERRY_TEST_MY_HOST");
	db.port = atoi(harness_env("FERRY_TEST_MY_PORT"));
	db.user = (char *)harness_env("FERRY_TEST_MY_USER");
	db.database = (char *)harness_env("FERRY_TEST_MY_DB");
	return db;
}

/* The array-binding threshold of the sinks opened next (0: the sink's
 * default); a test about one way of writing upserts sets it. */
static size_t bulk_rows;
#define BULK_ALWAYS ((size_t)1)
#define BULK_NEVER SIZE_MAX

/* Rows the sinks opened while `collect_rejects` is set refused. */
static bool collect_rejects;
static struct {
	int n;
	char reason[8][ERR_MSG_MAX];
} rejected;

static int reject_cb(void *ctx, const struct change *c, const char *reason,
		     struct err *e)
{
	(void)ctx;
	(void)c;
	(void)e;
	if (rejected.n < 8)
		snprintf(rejected.reason[rejected.n], ERR_MSG_MAX, "%s",
			 reason);
	rejected.n++;
	return 0;
}

static int open_sink_db(const struct config_db *db, const char *id,
			size_t txn_memory, struct sink **k, struct err *e)
{
	struct sink_params p;

	memset(&p, 0, sizeof(p));
	p.db = db;
	p.mysql_bulk_rows = bulk_rows;
	if (collect_rejects)
		p.reject = reject_cb;
	p.password = harness_env("FERRY_TEST_MY_PASSWORD");
	p.checkpoint_id = id;
	p.txn_memory = txn_memory;
	p.application_name = "t_mysql_sink";
	return sink_open(&p, k, e);
}

static struct config_db the_db;

static struct sink *open_sink(const char *id, size_t txn_memory)
{
	struct sink *k = NULL;
	struct err e;

	the_db = target_db();
	CHECK_OK(open_sink_db(&the_db, id, txn_memory, &k, &e), e);
	return k;
}

/* ferry over TCP (root: through the socket), session in UTC */
static MYSQL *my_open(bool root)
{
	MYSQL *m = mysql_init(NULL);
	unsigned int timeout = 10;

	CHECK(m != NULL);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (root)
		CHECK_MSG(mysql_real_connect(m, "localhost", "root", NULL,
					     harness_env("FERRY_TEST_MY_DB"), 0,
					     harness_env("FERRY_TEST_MY_SOCKET"),
					     0) != NULL,
			  "root connect: %s", mysql_error(m));
	else
		CHECK_MSG(mysql_real_connect(m, harness_env("FERRY_TEST_MY_HOST"),
					     harness_env("FERRY_TEST_MY_USER"),
					     harness_env("FERRY_TEST_MY_PASSWORD"),
					     harness_env("FERRY_TEST_MY_DB"),
					     (unsigned)atoi(harness_env("FERRY_TEST_MY_PORT")),
					     NULL, 0) != NULL,
			  "connect: %s", mysql_error(m));
	CHECK_MSG(mysql_query(m, "SET time_zone = '+00:00'") == 0, "%s",
		  mysql_error(m));
	return m;
}

static void my_do(MYSQL *m, const char *fmt, ...) FERRY_PRINTF(2, 3);
static void my_do(MYSQL *m, const char *fmt, ...)
{
	char sql[8192];
	MYSQL_RES *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	CHECK_MSG(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
	r = mysql_store_result(m);
	if (r)
		mysql_free_result(r);
}

/* First column of the first row: "(null)" for NULL, "(no row)" if none;
 * free() the result. */
static char *my_value(MYSQL *m, const char *fmt, ...) FERRY_PRINTF(2, 3);
static char *my_value(MYSQL *m, const char *fmt, ...)
{
	char sql[8192];
	MYSQL_RES *r;
	MYSQL_ROW row;
	char *v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	CHECK_MSG(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
	r = mysql_store_result(m);
	CHECK_MSG(r != NULL, "%s: no result: %s", sql, mysql_error(m));
	row = mysql_fetch_row(r);
	v = xstrdup(!row ? "(no row)" : row[0] ? row[0] : "(null)");
	mysql_free_result(r);
	return v;
}

#define CHECK_SQL(m, want, ...)                                         \
	do {                                                            \
		char *v_ = my_value((m), __VA_ARGS__);                  \
		CHECK_STR_EQ(v_, (want));                               \
		free(v_);                                               \
	} while (0)

/* ---- building changes ------------------------------------------------- */

struct colspec {
	const char *name;
	enum datum_type type;
	bool key;
};

static struct table_desc *mk_table(const char *name, const struct colspec *cs,
				   uint32_t n)
{
	struct table_desc *t = table_desc_new("app", name, n);

	for (uint32_t i = 0; i < n; i++)
		table_desc_set_col(t, i, cs[i].name, cs[i].type, 0, cs[i].key);
	return t;
}

#define MK_TABLE(name, ...)                                             \
	mk_table((name), (const struct colspec[]){ __VA_ARGS__ },       \
		 sizeof((const struct colspec[]){ __VA_ARGS__ }) /      \
			 sizeof(struct colspec))

/* markers in value lists */
static const char unchanged_marker[] = "<unchanged>";
#define UNCH unchanged_marker

static void set_image(struct change *c, bool old, const char *const *v)
{
	for (uint32_t i = 0; i < c->ncols; i++) {
		enum datum_state st = !v[i]		   ? DATUM_NULL
				      : v[i] == UNCH	   ? DATUM_UNCHANGED
							   : DATUM_VALUE;
		size_t len = st == DATUM_VALUE ? strlen(v[i]) : 0;
		int rc = old ? change_set_old(c, i, st, v[i], len)
			     : change_set_new(c, i, st, v[i], len);

		CHECK_INT_EQ(rc, 0);
	}
}

/* A row change; `oldv` / `newv` hold one value per column (NULL = SQL
 * NULL, UNCH = unchanged) or are NULL for no image. */
static struct change *row(enum change_kind kind, struct table_desc *t,
			  const char *const *oldv, const char *const *newv)
{
	struct change *c = change_new_row(kind, t, oldv != NULL, newv != NULL);

	if (oldv)
		set_image(c, true, oldv);
	if (newv)
		set_image(c, false, newv);
	return c;
}

#define V(...) ((const char *const[]){ __VA_ARGS__ })

static struct change *ins(struct table_desc *t, const char *const *v)
{
	return row(CHANGE_INSERT, t, NULL, v);
}

static struct change *del(struct table_desc *t, const char *const *v)
{
	return row(CHANGE_DELETE, t, v, NULL);
}

static struct change *upd(struct table_desc *t, const char *const *oldv,
			  const char *const *newv)
{
	return row(CHANGE_UPDATE, t, oldv, newv);
}

static struct change *begin(void)
{
	return change_new_txn(CHANGE_BEGIN, 1, NULL, 0);
}

static struct change *commit_at(uint64_t offset)
{
	struct ferry_pos pos;

	memset(&pos, 0, sizeof(pos));
	pos.kind = POS_MYSQL;
	snprintf(pos.file, sizeof(pos.file), "mysql-bin.000001");
	pos.offset = offset;
	return change_new_txn(CHANGE_COMMIT, 1, &pos, 0);
}

static void apply(struct sink *k, struct change *c)
{
	struct err e;

	CHECK_OK(sink_apply(k, c, &e), e);
}

static void flush(struct sink *k)
{
	struct err e;

	CHECK_OK(sink_flush(k, &e), e);
}

static uint64_t statements(struct sink *k)
{
	struct sink_stats st;

	k->ops->stats(k, &st);
	return st.statements;
}

/* "id:name:n id:name:n" of table `t` ordered by id */
#define ROWS3(m, t, a, b, c)                                            \
	my_value((m), "SELECT IFNULL(GROUP_CONCAT(CONCAT_WS(':', "      \
		 "IFNULL(%s,'N'), IFNULL(%s,'N'), IFNULL(%s,'N')) "     \
		 "ORDER BY %s SEPARATOR ' '), '') FROM %s", a, b, c, a, t)

static const struct colspec basic_cols[] = {
	{ "id", DATUM_T_INT, true },
	{ "name", DATUM_T_TEXT, false },
	{ "n", DATUM_T_INT, false },
};

static struct table_desc *basic_table(MYSQL *m, const char *name)
{
	my_do(m, "DROP TABLE IF EXISTS %s", name);
	my_do(m, "CREATE TABLE %s (id int PRIMARY KEY, name varchar(50), "
		 "n int, extra varchar(10) DEFAULT 'dflt')", name);
	return mk_table(name, basic_cols, 3);
}

/* ---- round trips ------------------------------------------------------ */

TEST(upserts_updates_deletes_and_truncates_round_trip)
{
	MYSQL *m = my_open(false);
	struct table_desc *t = basic_table(m, "rt");
	struct sink *k = open_sink("t-rt", 0);
	struct sink_stats st;
	char *v;

	apply(k, begin());
	apply(k, ins(t, V("1", "a", "10")));
	apply(k, ins(t, V("2", "b", "20")));
	apply(k, ins(t, V("3", "c", "30")));
	apply(k, commit_at(100));
	flush(k);
	v = ROWS3(m, "rt", "id", "name", "n");
	CHECK_STR_EQ(v, "1:a:10 2:b:20 3:c:30");
	free(v);

	apply(k, begin());
	apply(k, upd(t, V("2", "b", "20"), V("2", "bb", NULL)));
	apply(k, del(t, V("3", NULL, NULL)));
	apply(k, ins(t, V("4", "d", "40")));
	/* an insert of a key that is there (a replay) overwrites it */
	apply(k, ins(t, V("1", "A", "11")));
	apply(k, commit_at(200));
	flush(k);
	v = ROWS3(m, "rt", "id", "name", "n");
	CHECK_STR_EQ(v, "1:A:11 2:bb:N 4:d:40");
	free(v);
	/* columns the change does not name keep the target's default */
	CHECK_SQL(m, "dflt", "SELECT extra FROM rt WHERE id = 4");

	apply(k, begin());
	apply(k, change_new_row(CHANGE_TRUNCATE, t, false, false));
	apply(k, ins(t, V("5", "e", "50")));
	apply(k, commit_at(300));
	flush(k);
	v = ROWS3(m, "rt", "id", "name", "n");
	CHECK_STR_EQ(v, "5:e:50");
	free(v);

	k->ops->stats(k, &st);
	CHECK_U64_EQ(st.commits, 3);
	CHECK_U64_EQ(st.rows, 9);
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

TEST(neighbours_merge_into_multi_row_statements_in_source_order)
{
	MYSQL *m = my_open(false);
	struct table_desc *t = basic_table(m, "mr");
	struct table_desc *t2 = basic_table(m, "mr2");
	struct sink *k = open_sink("t-mr", 0);
	uint64_t s0;
	char *v;

	s0 = statements(k);
	apply(k, begin());
	for (int i = 1; i <= 5; i++) {
		char id[16], n[16];

		snprintf(id, sizeof(id), "%d", i);
		snprintf(n, sizeof(n), "%d", i * 10);
		apply(k, ins(t, V(id, "x", n)));
	}
	/* same key twice in one run: the later row wins */
	apply(k, upd(t, V("3", "x", "30"), V("3", "y", "31")));
	apply(k, ins(t, V("6", "x", "60")));
	apply(k, upd(t, V("3", "y", "31"), V("3", "z", "32")));
	apply(k, ins(t, V("1", "again", "11")));
	/* run 2: deletes */
	apply(k, del(t, V("2", NULL, NULL)));
	apply(k, del(t, V("4", NULL, NULL)));
	/* run 3: another table breaks the run */
	apply(k, ins(t2, V("1", "other", "1")));
	/* run 4: back to the first table */
	apply(k, ins(t, V("2", "back", "22")));
	apply(k, del(t, V("6", NULL, NULL)));
	apply(k, commit_at(10));
	/* a second transaction in the same flush continues the run */
	apply(k, begin());
	apply(k, del(t, V("5", NULL, NULL)));
	apply(k, commit_at(20));
	flush(k);
	v = ROWS3(m, "mr", "id", "name", "n");
	CHECK_STR_EQ(v, "1:again:11 2:back:22 3:z:32");
	free(v);
	v = ROWS3(m, "mr2", "id", "name", "n");
	CHECK_STR_EQ(v, "1:other:1");
	free(v);
	/* START, upsert(9 rows), delete(2), upsert mr2, upsert, delete(2),
	 * checkpoint, COMMIT */
	CHECK_U64_EQ(statements(k) - s0, 8);
	sink_close(k);
	table_desc_unref(t);
	table_desc_unref(t2);
	mysql_close(m);
}

/* Upserts of n rows (ids from first) into `t` in one transaction;
 * returns the statements it took. */
static uint64_t upsert_run(struct sink *k, struct table_desc *t, int first,
			   int n, const char *name)
{
	uint64_t s0 = statements(k);

	apply(k, begin());
	for (int i = first; i < first + n; i++) {
		char id[16], num[16];

		snprintf(id, sizeof(id), "%d", i);
		snprintf(num, sizeof(num), "%d", i * 10);
		apply(k, ins(t, V(id, i % 3 ? name : NULL, num)));
	}
	apply(k, commit_at((uint64_t)first));
	flush(k);
	return statements(k) - s0;
}

/* Prepared-statement executions of the whole server so far (tests run
 * one at a time). */
static long executions(MYSQL *root)
{
	MYSQL_RES *r;
	MYSQL_ROW row;
	long n;

	CHECK(mysql_query(root, "SHOW GLOBAL STATUS LIKE "
			  "'Com_stmt_execute'") == 0);
	r = mysql_store_result(root);
	CHECK(r != NULL);
	row = mysql_fetch_row(r);
	CHECK(row != NULL && row[1] != NULL);
	n = atol(row[1]);
	mysql_free_result(r);
	return n;
}

TEST(long_upsert_runs_go_by_array_binding_short_ones_as_text)
{
	MYSQL *m = my_open(false), *root = my_open(true);
	struct table_desc *t = basic_table(m, "ab");
	struct sink *k = open_sink("t-ab", 0);
	long x0;

	/* 7 rows: one multi-row statement in the batch with START,
	 * checkpoint and COMMIT */
	x0 = executions(root);
	CHECK_U64_EQ(upsert_run(k, t, 1, 7, "a"), 4);
	CHECK_INT_EQ(executions(root) - x0, 0);
	/* 8 rows: START sent first, then one array execution, then
	 * checkpoint and COMMIT */
	x0 = executions(root);
	CHECK_U64_EQ(upsert_run(k, t, 8, 8, "b"), 4);
	CHECK_INT_EQ(executions(root) - x0, 1);
	CHECK_SQL(m, "b:N:b:b:N:b:b:N", "SELECT GROUP_CONCAT(IFNULL(name, "
		  "'N') ORDER BY id SEPARATOR ':') FROM ab WHERE id >= 8");
	/* rows already there are updated, a repeated key takes the later
	 * row, NULLs stay NULL */
	apply(k, begin());
	for (int i = 1; i <= 16; i++) {
		char id[16];

		snprintf(id, sizeof(id), "%d", i);
		apply(k, ins(t, V(id, "c", "0")));
	}
	apply(k, ins(t, V("3", "again", NULL)));
	apply(k, commit_at(100));
	flush(k);
	CHECK_SQL(m, "15", "SELECT COUNT(*) FROM ab WHERE id <> 3 AND "
		  "name = 'c' AND n = 0");
	CHECK_SQL(m, "again:N", "SELECT CONCAT_WS(':', name, IFNULL(n, 'N')) "
		  "FROM ab WHERE id = 3");
	CHECK_SQL(m, "16", "SELECT COUNT(*) FROM ab");
	CHECK_SQL(m, "16", "SELECT COUNT(*) FROM ab WHERE extra = 'dflt'");

	sink_close(k);
	table_desc_unref(t);
	mysql_close(root);
	mysql_close(m);
}

TEST(a_delete_lacking_part_of_the_target_key_deletes_by_its_own)
{
	MYSQL *m = my_open(false);
	/* the change's key is id; the target's is (id, code), like 3.2's
	 * t_ds_task_definition on MySQL */
	struct table_desc *t = MK_TABLE("wk", { "id", DATUM_T_INT, true },
					{ "code", DATUM_T_INT, false },
					{ "name", DATUM_T_TEXT, false });
	struct sink *k = open_sink("t-wk", 0);
	struct change *c;
	struct err e;

	my_do(m, "DROP TABLE IF EXISTS wk");
	my_do(m, "CREATE TABLE wk (id int, code bigint, name text, "
		 "PRIMARY KEY (id, code))");
	apply(k, begin());
	apply(k, ins(t, V("1", "101", "a")));
	apply(k, ins(t, V("2", "102", "b")));
	apply(k, ins(t, V("3", "103", "c")));
	apply(k, commit_at(1));
	flush(k);
	apply(k, begin());
	apply(k, del(t, V("2", NULL, NULL)));		/* id only */
	apply(k, del(t, V("3", "103", NULL)));		/* the whole key */
	apply(k, commit_at(2));
	flush(k);
	CHECK_SQL(m, "1:101", "SELECT GROUP_CONCAT(CONCAT(id, ':', code)) "
		  "FROM wk");
	/* neither key: a data error naming the row, nothing written */
	c = change_new_row(CHANGE_DELETE, t, true, false);
	CHECK_INT_EQ(change_set_old(c, 2, DATUM_VALUE, "a", 1), 0);
	apply(k, begin());
	apply(k, c);
	apply(k, commit_at(3));
	CHECK_INT_EQ(sink_flush(k, &e), FERRY_EDATA);
	CHECK_STR_CONTAINS(e.msg, "could not write `wk` (delete id=NULL");
	CHECK_STR_CONTAINS(e.msg, "carries neither the table's key nor a "
			   "whole key of its own");
	CHECK_SQL(m, "1", "SELECT COUNT(*) FROM wk");
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

/*
 * MySQL's upsert updates the row the new one collides with on any unique
 * key; ferry's refuses a collision on another key than the primary one,
 * as PostgreSQL's ON CONFLICT (pk) does, instead of overwriting an
 * unrelated row.
 */
static void unique_collision(size_t bulk)
{
	MYSQL *m = my_open(false);
	struct table_desc *t;
	struct sink *k;
	struct err e;

	my_do(m, "DROP TABLE IF EXISTS uq");
	my_do(m, "CREATE TABLE uq (id int PRIMARY KEY, name varchar(50) "
		 "NOT NULL UNIQUE, n int)");
	t = MK_TABLE("uq", { "id", DATUM_T_INT, true },
		     { "name", DATUM_T_TEXT, false },
		     { "n", DATUM_T_INT, false });
	bulk_rows = bulk;
	k = open_sink("t-uq", 0);
	apply(k, begin());
	apply(k, ins(t, V("1", "a", "1")));
	apply(k, ins(t, V("2", "b", "2")));
	apply(k, commit_at(1));
	flush(k);
	/* without a reject store: the flush fails, naming the row */
	apply(k, begin());
	apply(k, ins(t, V("3", "a", "3")));
	apply(k, commit_at(2));
	CHECK_INT_EQ(sink_flush(k, &e), FERRY_ESQL);
	CHECK_STR_CONTAINS(e.msg, "could not write `uq` (id=3");
	CHECK_STR_CONTAINS(e.msg, "collides with another on a unique key "
			   "other than the primary key");
	sink_close(k);
	/* with one: the row is set aside, its neighbours go in, and an
	 * update by the primary key still updates */
	collect_rejects = true;
	rejected.n = 0;
	k = open_sink("t-uq", 0);
	collect_rejects = false;
	bulk_rows = 0;
	apply(k, begin());
	for (int i = 10; i < 20; i++) {
		char id[16];

		snprintf(id, sizeof(id), "%d", i);
		apply(k, ins(t, V(id, i == 15 ? "b" : id, "0")));
	}
	apply(k, upd(t, V("1", "a", "1"), V("1", "a2", "11")));
	apply(k, commit_at(3));
	flush(k);
	CHECK_INT_EQ(rejected.n, 1);
	CHECK_STR_EQ(rejected.reason[0], "could not write `uq` (id=15): the "
		     "row collides with another on a unique key other than "
		     "the primary key");
	CHECK_SQL(m, "1:a2:11 2:b:2", "SELECT GROUP_CONCAT(CONCAT_WS(':', id, "
		  "name, n) ORDER BY id SEPARATOR ' ') FROM uq WHERE id < 10");
	CHECK_SQL(m, "9", "SELECT COUNT(*) FROM uq WHERE id >= 10");
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

TEST(a_collision_on_another_unique_key_refuses_the_row_as_sql_text)
{
	unique_collision(BULK_NEVER);
}

TEST(a_collision_on_another_unique_key_refuses_the_row_by_array_binding)
{
	unique_collision(BULK_ALWAYS);
}

TEST(a_key_change_moves_the_row)
{
	MYSQL *m = my_open(false);
	struct table_desc *t = basic_table(m, "kc");
	struct table_desc *c2;
	struct sink *k = open_sink("t-kc", 0);
	char *v;

	my_do(m, "DROP TABLE IF EXISTS kc2");
	my_do(m, "CREATE TABLE kc2 (a int, b varchar(10), v int, "
		 "PRIMARY KEY (a, b))");
	c2 = MK_TABLE("kc2", { "a", DATUM_T_INT, true },
		      { "b", DATUM_T_TEXT, true },
		      { "v", DATUM_T_INT, false });
	apply(k, begin());
	apply(k, ins(t, V("1", "a", "1")));
	apply(k, ins(t, V("2", "b", "2")));
	apply(k, ins(c2, V("1", "x", "1")));
	apply(k, ins(c2, V("1", "y", "2")));
	apply(k, commit_at(1));
	apply(k, begin());
	apply(k, upd(t, V("1", "a", "1"), V("10", "a", "1")));
	/* into the key just freed */
	apply(k, upd(t, V("2", "b", "2"), V("1", "b", "2")));
	apply(k, upd(c2, V("1", "x", "1"), V("1", "z", "1")));
	/* a single-row composite-key delete */
	apply(k, del(c2, V("1", "y", NULL)));
	apply(k, commit_at(2));
	flush(k);
	v = ROWS3(m, "kc", "id", "name", "n");
	CHECK_STR_EQ(v, "1:b:2 10:a:1");
	free(v);
	v = ROWS3(m, "kc2", "a", "b", "v");
	CHECK_STR_EQ(v, "1:z:1");
	free(v);
	sink_close(k);
	table_desc_unref(t);
	table_desc_unref(c2);
	mysql_close(m);
}

TEST(deletes_by_composite_key_are_cut_at_1000_keys)
{
	MYSQL *m = my_open(false);
	struct table_desc *t;
	struct sink *k = open_sink("t-dk", 0);
	uint64_t s0;

	my_do(m, "DROP TABLE IF EXISTS dk");
	my_do(m, "CREATE TABLE dk (a int, b varchar(10), PRIMARY KEY (a, b))");
	t = MK_TABLE("dk", { "a", DATUM_T_INT, true },
		     { "b", DATUM_T_TEXT, true });
	apply(k, begin());
	for (int i = 0; i < 1002; i++) {
		char a[16];

		snprintf(a, sizeof(a), "%d", i);
		apply(k, ins(t, V(a, "x")));
	}
	apply(k, commit_at(1));
	flush(k);
	CHECK_SQL(m, "1002", "SELECT COUNT(*) FROM dk");
	s0 = statements(k);
	apply(k, begin());
	for (int i = 0; i < 1001; i++) {
		char a[16];

		snprintf(a, sizeof(a), "%d", i);
		apply(k, del(t, V(a, "x")));
	}
	apply(k, commit_at(2));
	flush(k);
	CHECK_SQL(m, "1001:x", "SELECT CONCAT(a, ':', b) FROM dk");
	/* START, 1000 keys, the last one by itself, checkpoint, COMMIT */
	CHECK_U64_EQ(statements(k) - s0, 5);
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

TEST(a_partial_update_keeps_the_missing_column)
{
	MYSQL *m = my_open(false);
	struct table_desc *t;
	struct sink *k = open_sink("t-pu", 0);
	char *v;

	my_do(m, "DROP TABLE IF EXISTS pu");
	my_do(m, "CREATE TABLE pu (id int PRIMARY KEY, a varchar(10), "
		 "big longtext)");
	t = MK_TABLE("pu", { "id", DATUM_T_INT, true },
		     { "a", DATUM_T_TEXT, false },
		     { "big", DATUM_T_TEXT, false });
	apply(k, begin());
	apply(k, ins(t, V("1", "x", "BIG1")));
	apply(k, ins(t, V("2", "x", "BIG2")));
	apply(k, commit_at(1));
	apply(k, begin());
	apply(k, upd(t, NULL, V("1", "y", UNCH)));
	/* with a key change: found by the old key, moved by the SET */
	apply(k, upd(t, V("2", NULL, NULL), V("5", "z", UNCH)));
	apply(k, commit_at(2));
	flush(k);
	v = ROWS3(m, "pu", "id", "a", "big");
	CHECK_STR_EQ(v, "1:y:BIG1 5:z:BIG2");
	free(v);
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

TEST(names_match_like_mysql_does)
{
	MYSQL *m = my_open(false);
	struct table_desc *t, *lower;
	struct sink *k = open_sink("t-case", 0);
	struct err e;

	/* column names in any case; table names as the server compares
	 * them (here lower_case_table_names=0: exactly) */
	my_do(m, "DROP TABLE IF EXISTS CaseT");
	my_do(m, "CREATE TABLE CaseT (Id int PRIMARY KEY, `Na``me` text)");
	CHECK_SQL(m, "0", "SELECT @@lower_case_table_names");
	t = MK_TABLE("CaseT", { "ID", DATUM_T_INT, true },
		     { "na`ME", DATUM_T_TEXT, false });
	lower = MK_TABLE("caset", { "id", DATUM_T_INT, true },
			 { "na`me", DATUM_T_TEXT, false });
	apply(k, begin());
	apply(k, ins(t, V("1", "a")));
	apply(k, upd(t, V("1", "a"), V("2", "b")));
	apply(k, commit_at(1));
	flush(k);
	CHECK_SQL(m, "2:b", "SELECT CONCAT(Id, ':', `Na``me`) FROM CaseT");
	CHECK_INT_EQ(sink_apply(k, ins(lower, V("3", "c")), &e),
		     FERRY_ECONFIG);
	CHECK_STR_CONTAINS(e.msg, "`caset` does not exist");
	sink_close(k);
	table_desc_unref(t);
	table_desc_unref(lower);
	mysql_close(m);
}

TEST(a_table_of_only_key_columns_upserts)
{
	MYSQL *m = my_open(false);
	struct table_desc *t;
	struct sink *k = open_sink("t-ko", 0);

	my_do(m, "DROP TABLE IF EXISTS ko");
	my_do(m, "CREATE TABLE ko (a int, b int, PRIMARY KEY (a, b))");
	t = MK_TABLE("ko", { "a", DATUM_T_INT, true },
		     { "b", DATUM_T_INT, true });
	apply(k, begin());
	apply(k, ins(t, V("1", "2")));
	apply(k, ins(t, V("1", "2")));
	apply(k, ins(t, V("3", "4")));
	apply(k, commit_at(1));
	flush(k);
	CHECK_SQL(m, "1-2 3-4", "SELECT GROUP_CONCAT(a, '-', b ORDER BY a "
		  "SEPARATOR ' ') FROM ko");
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

/* ---- values ----------------------------------------------------------- */

static const struct colspec type_cols[] = {
	{ "id", DATUM_T_INT, true },
	{ "i", DATUM_T_INT, false },
	{ "iu", DATUM_T_INT, false },
	{ "bi", DATUM_T_INT, false },
	{ "biu", DATUM_T_INT, false },
	{ "ti", DATUM_T_INT, false },
	{ "de", DATUM_T_NUMERIC, false },
	{ "f", DATUM_T_FLOAT, false },
	{ "d", DATUM_T_FLOAT, false },
	{ "vc", DATUM_T_TEXT, false },
	{ "tx", DATUM_T_TEXT, false },
	{ "bl", DATUM_T_BYTES, false },
	{ "dt", DATUM_T_DATE, false },
	{ "dtm", DATUM_T_TIMESTAMP, false },
	{ "ts", DATUM_T_TIMESTAMP, false },
	{ "tm", DATUM_T_TIME, false },
	{ "js", DATUM_T_JSON, false },
	{ "b", DATUM_T_BOOL, false },
	{ "tz", DATUM_T_TIMESTAMPTZ, false },
	{ "tzts", DATUM_T_TIMESTAMPTZ, false },
	{ "un", DATUM_T_UNKNOWN, false },
};
#define NTYPE_COLS (sizeof(type_cols) / sizeof(type_cols[0]))

/* "a", U+1F600 (4 bytes), U+00FC, U+1F680 (4 bytes) */
#define TEXT_4B "a\xF0\x9F\x98\x80\xC3\xBC\xF0\x9F\x9A\x80"
#define TEXT_ESC "it's \"q\" \\ back\nslash\r\x1a end; -- not sql"

static void every_common_type(size_t bulk)
{
	MYSQL *m;
	struct table_desc *t = mk_table("ty", type_cols, NTYPE_COLS);
	struct sink *k;
	unsigned char bytes[256];
	char hex[513];
	struct change *c;
	MYSQL_RES *r;
	MYSQL_ROW rw;
	unsigned long *lens;

	bulk_rows = bulk;
	m = my_open(false);
	k = open_sink("t-ty", 0);
	bulk_rows = 0;
	my_do(m, "DROP TABLE IF EXISTS ty");
	my_do(m, "CREATE TABLE ty (id int PRIMARY KEY, i int, iu int unsigned, "
		 "bi bigint, biu bigint unsigned, ti tinyint, "
		 "de decimal(30,10), f float, d double, vc varchar(20), "
		 "tx text, bl blob, dt date, dtm datetime(6), "
		 "ts timestamp(6) NULL DEFAULT NULL, tm time(6), js json, "
		 "b tinyint(1), tz datetime(6), "
		 "tzts timestamp(6) NULL DEFAULT NULL, un varchar(20))");
	for (int i = 0; i < 256; i++) {
		bytes[i] = (unsigned char)(255 - i);	/* NUL at the end */
		snprintf(hex + 2 * i, 3, "%02X", 255 - i);
	}
	apply(k, begin());
	c = ins(t, V("1", "-2147483648", "4294967295", "-9223372036854775808",
		     "18446744073709551615", "-128",
		     "-12345678901234567890.0123456789", "1.5",
		     "-1.7976931348623157e308", TEXT_4B, TEXT_ESC, "",
		     "2026-11-21", "2026-11-21 22:41:03.123456",
		     "2026-11-21 22:41:03.5", "838:59:59",
		     "{\"a\": [1, 2, {\"b\": null}], \"s\": \"\xC3\xBC\"}", "t",
		     "2026-11-21 22:41:03.5+00",
		     "2026-11-22 00:11:03.25+01:30", "plain"));
	CHECK_INT_EQ(change_set_new(c, 11, DATUM_VALUE, bytes, sizeof(bytes)),
		     0);
	apply(k, c);
	apply(k, ins(t, V("2", "2147483647", "0", "9223372036854775807", "0",
			  "127", "0.0000000001", "-0.25",
			  "2.2250738585072014e-308", "", "", "",
			  "0000-00-00", "0000-00-00 00:00:00",
			  "1970-01-01 00:00:01", "-12:34:56.789", "[]", "f",
			  "2026-01-01 00:30:00-05:30",
			  "2026-03-01 01:00:00+02", "x")));
	/* offsets with seconds, across a leap day and a year */
	apply(k, ins(t, V("3", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
			  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
			  NULL, NULL, "2024-02-29 23:59:59.999999-00:00:01",
			  "2025-01-01 00:00:00+14", NULL)));
	apply(k, commit_at(1));
	flush(k);

	CHECK(mysql_query(m, "SELECT id, i, iu, bi, biu, ti, de, f, d, vc, "
			     "tx, HEX(bl), dt, dtm, ts, tm, js, b, tz, tzts, "
			     "un, LENGTH(bl) FROM ty ORDER BY id") == 0);
	r = mysql_store_result(m);
	CHECK(r != NULL);
	CHECK_INT_EQ(mysql_num_rows(r), 3);

	rw = mysql_fetch_row(r);
	lens = mysql_fetch_lengths(r);
	CHECK_STR_EQ(rw[1], "-2147483648");
	CHECK_STR_EQ(rw[2], "4294967295");
	CHECK_STR_EQ(rw[3], "-9223372036854775808");
	CHECK_STR_EQ(rw[4], "18446744073709551615");
	CHECK_STR_EQ(rw[5], "-128");
	CHECK_STR_EQ(rw[6], "-12345678901234567890.0123456789");
	CHECK_STR_EQ(rw[7], "1.5");
	CHECK_STR_EQ(rw[8], "-1.7976931348623157e308");
	CHECK_STR_EQ(rw[9], TEXT_4B);
	CHECK_INT_EQ(lens[9], strlen(TEXT_4B));
	CHECK_STR_EQ(rw[10], TEXT_ESC);
	CHECK_STR_EQ(rw[11], hex);
	CHECK_STR_EQ(rw[12], "2026-11-21");
	CHECK_STR_EQ(rw[13], "2026-11-21 22:41:03.123456");
	CHECK_STR_EQ(rw[14], "2026-11-21 22:41:03.500000");
	CHECK_STR_EQ(rw[15], "838:59:59.000000");
	CHECK_STR_EQ(rw[16], "{\"a\": [1, 2, {\"b\": null}], "
			     "\"s\": \"\xC3\xBC\"}");
	CHECK_STR_EQ(rw[17], "1");
	CHECK_STR_EQ(rw[18], "2026-11-21 22:41:03.500000");
	CHECK_STR_EQ(rw[19], "2026-11-21 22:41:03.250000");
	CHECK_STR_EQ(rw[20], "plain");
	CHECK_STR_EQ(rw[21], "256");

	rw = mysql_fetch_row(r);
	CHECK_STR_EQ(rw[1], "2147483647");
	CHECK_STR_EQ(rw[2], "0");
	CHECK_STR_EQ(rw[3], "9223372036854775807");
	CHECK_STR_EQ(rw[4], "0");
	CHECK_STR_EQ(rw[5], "127");
	CHECK_STR_EQ(rw[6], "0.0000000001");
	CHECK_STR_EQ(rw[7], "-0.25");
	CHECK_STR_EQ(rw[8], "2.2250738585072014e-308");
	CHECK_STR_EQ(rw[9], "");
	CHECK(rw[9] != NULL);
	CHECK_STR_EQ(rw[11], "");
	CHECK_STR_EQ(rw[12], "0000-00-00");
	CHECK_STR_EQ(rw[13], "0000-00-00 00:00:00.000000");
	CHECK_STR_EQ(rw[14], "1970-01-01 00:00:01.000000");
	CHECK_STR_EQ(rw[15], "-12:34:56.789000");
	CHECK_STR_EQ(rw[16], "[]");
	CHECK_STR_EQ(rw[17], "0");
	CHECK_STR_EQ(rw[18], "2026-01-01 06:00:00.000000");
	CHECK_STR_EQ(rw[19], "2026-02-28 23:00:00.000000");

	rw = mysql_fetch_row(r);
	for (int i = 1; i <= 17; i++)
		CHECK_MSG(rw[i] == NULL, "column %d of row 3 is not NULL", i);
	CHECK_STR_EQ(rw[18], "2024-03-01 00:00:00.999999");
	CHECK_STR_EQ(rw[19], "2024-12-31 10:00:00.000000");
	mysql_free_result(r);
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

TEST(every_common_type_stores_the_exact_value_as_sql_text)
{
	every_common_type(BULK_NEVER);
}

TEST(every_common_type_stores_the_exact_value_by_array_binding)
{
	every_common_type(BULK_ALWAYS);
}

TEST(values_mysql_cannot_store_are_data_errors_naming_table_and_key)
{
	static const struct {
		uint32_t col;
		const char *value;
		const char *says;
	} bad[] = {
		{ 7, "Infinity", "no infinity or NaN" },
		{ 8, "-Infinity", "no infinity or NaN" },
		{ 8, "NaN", "no infinity or NaN" },
		{ 6, "NaN", "no infinity or NaN" },
		{ 1, "12abc", "is not a number" },
		{ 12, "infinity", "cannot be stored in MySQL" },
		{ 12, "0044-03-15 BC", "cannot be stored in MySQL" },
		{ 13, "-infinity", "cannot be stored in MySQL" },
		{ 18, "infinity", "cannot be stored in MySQL" },
		{ 18, "10000-01-01 00:00:00+00", "cannot be stored in MySQL" },
		{ 18, "2026-01-01 00:00:00+00 BC", "cannot be stored" },
		{ 18, "0001-01-01 00:00:00+01", "cannot be stored in MySQL" },
		{ 17, "maybe", "is not a boolean" },
		{ 15, "12:00:00; DROP", "is not a time" },
	};
	MYSQL *m = my_open(false);
	struct table_desc *t = mk_table("ty", type_cols, NTYPE_COLS);
	struct sink *k = open_sink("t-bad", 0);
	struct err e;

	my_do(m, "CREATE TABLE IF NOT EXISTS ty (id int PRIMARY KEY, i int, "
		 "iu int, bi int, biu int, ti int, de int, f float, d double, "
		 "vc text, tx text, bl blob, dt date, dtm datetime, ts datetime, "
		 "tm time, js text, b int, tz datetime, tzts datetime, "
		 "un text)");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct change *c = change_new_row(CHANGE_INSERT, t, false,
						  true);

		CHECK_INT_EQ(change_set_new(c, 0, DATUM_VALUE, "77", 2), 0);
		CHECK_INT_EQ(change_set_new(c, bad[i].col, DATUM_VALUE,
					    bad[i].value,
					    strlen(bad[i].value)), 0);
		CHECK_MSG(sink_apply(k, c, &e) == FERRY_EDATA,
			  "value \"%s\" of column %s was accepted",
			  bad[i].value, type_cols[bad[i].col].name);
		CHECK_STR_CONTAINS(e.msg, "could not write `ty` (id=77)");
		CHECK_STR_CONTAINS(e.msg, type_cols[bad[i].col].name);
		CHECK_STR_CONTAINS(e.msg, bad[i].value);
		CHECK_STR_CONTAINS(e.msg, bad[i].says);
	}
	/* the key of a delete, from its old image */
	{
		struct change *c = change_new_row(CHANGE_DELETE, t, true,
						  false);

		CHECK_INT_EQ(change_set_old(c, 0, DATUM_VALUE, "NaN", 3), 0);
		CHECK_INT_EQ(sink_apply(k, c, &e), FERRY_EDATA);
		CHECK_STR_CONTAINS(e.msg, "(id=NaN)");
	}
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

static void a_failing_statement(size_t bulk)
{
	MYSQL *m = my_open(false);
	struct table_desc *t = basic_table(m, "fs");
	struct sink *k;
	struct checkpoint cp;
	struct err e;
	char *v;

	bulk_rows = bulk;
	k = open_sink("t-fs", 0);
	bulk_rows = 0;

	apply(k, begin());
	apply(k, ins(t, V("1", "ok", "1")));
	apply(k, commit_at(10));
	flush(k);
	apply(k, begin());
	apply(k, ins(t, V("2", "fine", "2")));
	apply(k, commit_at(20));
	apply(k, begin());
	apply(k, ins(t, V("3", "much too long for varchar(50), much too long "
			  "for it", "3")));
	apply(k, ins(t, V("4", "x", "4")));
	apply(k, commit_at(30));
	CHECK_INT_EQ(sink_flush(k, &e), FERRY_ESQL);
	CHECK_STR_CONTAINS(e.msg, "could not write `fs` (id=2, first of 3 "
			   "rows): Data too long for column 'name' at row ");
	CHECK_STR_CONTAINS(e.msg, "(errno 1406)");
	/* nothing of the batch, nor its checkpoint, is there */
	v = ROWS3(m, "fs", "id", "name", "n");
	CHECK_STR_EQ(v, "1:ok:1");
	free(v);
	CHECK_OK(sink_load_checkpoint(k, &cp, &e), e);
	CHECK_U64_EQ(cp.pos.offset, 10);
	checkpoint_release(&cp);
	/* the sink goes on */
	apply(k, begin());
	apply(k, ins(t, V("5", "y", "5")));
	apply(k, commit_at(40));
	flush(k);
	v = ROWS3(m, "fs", "id", "name", "n");
	CHECK_STR_EQ(v, "1:ok:1 5:y:5");
	free(v);
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

TEST(a_failing_statement_names_table_key_and_server_error)
{
	a_failing_statement(BULK_NEVER);
}

TEST(a_failing_array_execution_names_table_key_and_server_error)
{
	a_failing_statement(BULK_ALWAYS);
}

TEST(a_missing_table_or_key_is_a_config_error_naming_it)
{
	MYSQL *m = my_open(false);
	struct table_desc *t1 = mk_table("no_such_table", basic_cols, 3);
	struct table_desc *t2 = mk_table("nopk", basic_cols, 3);
	struct table_desc *t3 = MK_TABLE("rt_cols", { "id", DATUM_T_INT, true },
					  { "nosuch", DATUM_T_TEXT, false });
	struct sink *k = open_sink("t-cfg", 0);
	struct err e;

	my_do(m, "DROP TABLE IF EXISTS no_such_table");
	my_do(m, "DROP TABLE IF EXISTS nopk");
	my_do(m, "CREATE TABLE nopk (id int, name text, n int)");
	my_do(m, "DROP TABLE IF EXISTS rt_cols");
	my_do(m, "CREATE TABLE rt_cols (id int PRIMARY KEY)");
	CHECK_INT_EQ(sink_apply(k, ins(t1, V("1", "a", "1")), &e),
		     FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "target table `no_such_table` does not exist in "
			    "the target database: create it first");
	CHECK_INT_EQ(sink_apply(k, ins(t2, V("1", "a", "1")), &e),
		     FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "target table `nopk` has no primary key: ferry "
			    "writes by key and needs one");
	CHECK_INT_EQ(sink_apply(k, ins(t3, V("1", "a")), &e), FERRY_ECONFIG);
	CHECK_STR_EQ(e.msg, "column \"nosuch\" does not exist in target "
			    "table `rt_cols`");
	sink_close(k);
	table_desc_unref(t1);
	table_desc_unref(t2);
	table_desc_unref(t3);
	mysql_close(m);
}

/* ---- checkpoint and atomicity ----------------------------------------- */

TEST(the_checkpoint_commits_with_the_data)
{
	MYSQL *m = my_open(false);
	struct table_desc *t = basic_table(m, "ck");
	struct sink *k, *k2;
	struct checkpoint cp;
	struct change *c;
	struct err e;
	char *v;

	my_do(m, "DELETE FROM ferry_checkpoint WHERE id = 't-ck'");
	my_do(m, "DELETE FROM ferry_snapshot WHERE id = 't-ck'");
	k = open_sink("t-ck", 0);
	CHECK_OK(sink_load_checkpoint(k, &cp, &e), e);
	CHECK(!cp.exists);
	CHECK_INT_EQ(cp.ntables, 0);
	checkpoint_release(&cp);

	/* a snapshot chunk, then a streamed transaction */
	apply(k, begin());
	apply(k, ins(t, V("1", "a", "1")));
	c = commit_at(0);
	c->pos->kind = POS_NONE;
	c->mark = snapshot_mark_new("app.ck", "[\"1\"]", false, 1);
	apply(k, c);
	apply(k, begin());
	apply(k, ins(t, V("2", "b", "2")));
	c = commit_at(4711);
	c->mark = snapshot_mark_new("app.other", NULL, true, 12345678901ull);
	apply(k, c);
	/* a transaction cut short */
	apply(k, begin());
	apply(k, ins(t, V("3", "cut", "3")));
	sink_rollback(k);
	flush(k);
	v = ROWS3(m, "ck", "id", "name", "n");
	CHECK_STR_EQ(v, "1:a:1 2:b:2");
	free(v);

	/* a fresh connection reads what was committed */
	k2 = open_sink("t-ck", 0);
	CHECK_OK(sink_load_checkpoint(k2, &cp, &e), e);
	CHECK(cp.exists);
	CHECK_INT_EQ(cp.pos.kind, POS_MYSQL);
	CHECK_STR_EQ(cp.pos.file, "mysql-bin.000001");
	CHECK_U64_EQ(cp.pos.offset, 4711);
	CHECK_INT_EQ(cp.ntables, 2);
	CHECK_STR_EQ(checkpoint_find(&cp, "app.ck")->last_key, "[\"1\"]");
	CHECK(!checkpoint_find(&cp, "app.ck")->done);
	CHECK_U64_EQ(checkpoint_find(&cp, "app.ck")->rows, 1);
	CHECK(checkpoint_find(&cp, "app.other")->last_key == NULL);
	CHECK(checkpoint_find(&cp, "app.other")->done);
	CHECK_U64_EQ(checkpoint_find(&cp, "app.other")->rows, 12345678901ull);
	checkpoint_release(&cp);
	sink_close(k2);

	/* the next flush moves it; progress is updated in place */
	apply(k, begin());
	apply(k, ins(t, V("4", "d", "4")));
	c = commit_at(5000);
	c->mark = snapshot_mark_new("app.ck", "[\"4\"]", true, 4);
	apply(k, c);
	flush(k);
	CHECK_OK(sink_load_checkpoint(k, &cp, &e), e);
	CHECK_U64_EQ(cp.pos.offset, 5000);
	CHECK(checkpoint_find(&cp, "app.ck")->done);
	CHECK_STR_EQ(checkpoint_find(&cp, "app.ck")->last_key, "[\"4\"]");
	checkpoint_release(&cp);
	/* flushing with nothing complete writes nothing */
	flush(k);
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

struct poller {
	pthread_t th;
	const char *table;
	volatile int stop;
	long long seen[64];	/* distinct counts seen, in order */
	int nseen;
	long polls;
};

static void *poll_count(void *arg)
{
	struct poller *p = arg;
	MYSQL *m = my_open(false);
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", p->table);
	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		MYSQL_RES *r;
		MYSQL_ROW rw;
		long long n;

		if (mysql_query(m, sql))
			break;
		r = mysql_store_result(m);
		rw = r ? mysql_fetch_row(r) : NULL;
		n = rw && rw[0] ? atoll(rw[0]) : -1;
		if (r)
			mysql_free_result(r);
		if ((p->nseen == 0 || p->seen[p->nseen - 1] != n) &&
		    p->nseen < 64)
			p->seen[p->nseen++] = n;
		p->polls++;
	}
	mysql_close(m);
	return NULL;
}

static void poller_start(struct poller *p, const char *table)
{
	memset(p, 0, sizeof(*p));
	p->table = table;
	CHECK(pthread_create(&p->th, NULL, poll_count, p) == 0);
}

static void poller_stop(struct poller *p)
{
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	pthread_join(p->th, NULL);
}

/* ~300-byte rows */
static struct change *wide_row(struct table_desc *t, long id)
{
	char sid[24], pad[260];

	snprintf(sid, sizeof(sid), "%ld", id);
	memset(pad, 'a' + (int)(id % 26), sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	return ins(t, V(sid, pad, "2026-11-21 22:41:03.123456", sid));
}

static struct table_desc *wide_table(MYSQL *m, const char *name)
{
	my_do(m, "DROP TABLE IF EXISTS %s", name);
	my_do(m, "CREATE TABLE %s (id bigint PRIMARY KEY, pad varchar(300), "
		 "at datetime(6), n bigint)", name);
	return MK_TABLE(name, { "id", DATUM_T_INT, true },
			{ "pad", DATUM_T_TEXT, false },
			{ "at", DATUM_T_TIMESTAMP, false },
			{ "n", DATUM_T_INT, false });
}

TEST(a_long_transaction_streams_and_commits_atomically)
{
	enum { N = 20000 };
	MYSQL *m = my_open(false);
	struct table_desc *t = wide_table(m, "lt");
	struct sink *k = open_sink("t-lt", 256 << 10);
	struct checkpoint cp;
	struct poller pl;
	struct err e;
	uint64_t s0;

	my_do(m, "DELETE FROM ferry_checkpoint WHERE id = 't-lt'");
	poller_start(&pl, "lt");
	s0 = statements(k);
	apply(k, begin());
	for (long i = 1; i <= N; i++)
		apply(k, wide_row(t, i));
	/* streamed already: statements went out before the COMMIT */
	CHECK(statements(k) - s0 > 3);
	CHECK_SQL(m, "0", "SELECT COUNT(*) FROM lt");
	/* a flush with nothing complete keeps the transaction open */
	flush(k);
	CHECK_SQL(m, "0", "SELECT COUNT(*) FROM lt");
	apply(k, commit_at(777));
	flush(k);
	poller_stop(&pl);
	CHECK_SQL(m, "20000", "SELECT COUNT(*) FROM lt");
	CHECK(pl.polls > 0);
	for (int i = 0; i < pl.nseen; i++)
		CHECK_MSG(pl.seen[i] == 0 || pl.seen[i] == N,
			  "another connection saw %lld rows", pl.seen[i]);
	CHECK_OK(sink_load_checkpoint(k, &cp, &e), e);
	CHECK_U64_EQ(cp.pos.offset, 777);
	checkpoint_release(&cp);

	/* a streamed transaction that is cut: rolled back on the target */
	apply(k, begin());
	for (long i = N + 1; i <= 2 * N; i++)
		apply(k, wide_row(t, i));
	sink_rollback(k);
	flush(k);
	CHECK_SQL(m, "20000", "SELECT COUNT(*) FROM lt");
	/* and the sink goes on */
	apply(k, begin());
	apply(k, wide_row(t, 3 * N));
	apply(k, commit_at(888));
	flush(k);
	CHECK_SQL(m, "20001", "SELECT COUNT(*) FROM lt");
	CHECK_SQL(m, "mysql:mysql-bin.000001:888", "SELECT position FROM "
		  "ferry_checkpoint WHERE id = 't-lt'");
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}

/* ---- statement size ---------------------------------------------------- */

/* `min_statements`: what the 60 rows of 100 KiB need at least, with
 * START, checkpoint and COMMIT. */
static void cut_below_half_of_max_allowed_packet(size_t bulk,
						 uint64_t min_statements)
{
	enum { ROWS = 60, ROW_BYTES = 100 << 10 };
	MYSQL *m = my_open(false), *root = my_open(true);
	struct table_desc *t;
	struct sink *k = NULL;
	struct change *c;
	char *big = xmalloc(3 << 20);
	uint64_t s0;
	struct err e;
	int rc;

	my_do(m, "DROP TABLE IF EXISTS pk");
	my_do(m, "CREATE TABLE pk (id int PRIMARY KEY, v longtext)");
	t = MK_TABLE("pk", { "id", DATUM_T_INT, true },
		     { "v", DATUM_T_TEXT, false });
	/* the sink's session takes the global value at connect */
	my_do(root, "SET GLOBAL max_allowed_packet = 2097152");
	the_db = target_db();
	bulk_rows = bulk;
	rc = open_sink_db(&the_db, "t-pk", 0, &k, &e);
	bulk_rows = 0;
	my_do(root, "SET GLOBAL max_allowed_packet = 67108864");
	CHECK_OK(rc, e);
	s0 = statements(k);
	apply(k, begin());
	for (int i = 0; i < ROWS; i++) {
		char id[16];

		snprintf(id, sizeof(id), "%d", i);
		/* quotes double in size when escaped */
		memset(big, i % 2 ? '\'' : 'x', ROW_BYTES);
		c = ins(t, V(id, ""));
		CHECK_INT_EQ(change_set_new(c, 1, DATUM_VALUE, big, ROW_BYTES),
			     0);
		apply(k, c);
	}
	apply(k, commit_at(1));
	flush(k);
	CHECK_SQL(m, "60", "SELECT COUNT(*) FROM pk");
	CHECK_SQL(m, "6144000", "SELECT SUM(LENGTH(v)) FROM pk");
	CHECK_SQL(m, "30", "SELECT COUNT(*) FROM pk WHERE v LIKE '''%%'''");
	CHECK_MSG(statements(k) - s0 >= min_statements, "%" PRIu64
		  " statements", statements(k) - s0);

	/* one row larger than max_allowed_packet cannot be written */
	apply(k, begin());
	memset(big, 'y', 3 << 20);
	c = ins(t, V("1000", ""));
	CHECK_INT_EQ(change_set_new(c, 1, DATUM_VALUE, big, 3 << 20), 0);
	apply(k, c);
	apply(k, commit_at(2));
	CHECK_INT_EQ(sink_flush(k, &e), FERRY_ECONFIG);
	CHECK_STR_CONTAINS(e.msg, "could not write `pk` (id=1000): the row "
			   "needs");
	CHECK_STR_CONTAINS(e.msg, "max_allowed_packet (2097152): raise it");
	CHECK_SQL(m, "60", "SELECT COUNT(*) FROM pk");
	free(big);
	sink_close(k);
	table_desc_unref(t);
	mysql_close(root);
	mysql_close(m);
}

TEST(statements_are_cut_below_half_of_max_allowed_packet)
{
	/* 9 MB escaped in statements of at most 1 MiB: at least 9 */
	cut_below_half_of_max_allowed_packet(BULK_NEVER, 9 + 3);
}

TEST(array_executions_are_cut_below_half_of_max_allowed_packet)
{
	/* 6 MB unescaped in executions of at most 1 MiB: at least 6 */
	cut_below_half_of_max_allowed_packet(BULK_ALWAYS, 6 + 3);
}

/* ---- connection --------------------------------------------------------- */

/* The id of the one connection of user ferry newer than `after`. */
static char *sink_connection_id(MYSQL *root, const char *after)
{
	return my_value(root, "SELECT MAX(ID) FROM information_schema."
			"PROCESSLIST WHERE USER = 'ferry' AND ID > %s", after);
}

TEST(a_killed_connection_is_econn)
{
	MYSQL *root = my_open(true), *m = my_open(false);
	struct table_desc *t = basic_table(m, "killed");
	struct sink *k;
	struct err e;
	char *base, *id;

	/* connection ids grow: the sink's is newer than this one */
	base = my_value(root, "SELECT CONNECTION_ID()");
	mysql_close(m);
	m = NULL;
	k = open_sink("t-kill", 0);
	/* the first change reads the target catalog: before the kill */
	apply(k, begin());
	apply(k, ins(t, V("1", "a", "1")));
	apply(k, commit_at(1));
	id = sink_connection_id(root, base);
	CHECK(strcmp(id, "(null)") != 0);
	my_do(root, "KILL %s", id);
	free(id);
	CHECK_INT_EQ(sink_flush(k, &e), FERRY_ECONN);
	CHECK_STR_CONTAINS(e.msg, "(errno ");
	printf("# killed: %s\n", e.msg);
	sink_close(k);

	/* killed in the middle of a streamed transaction */
	free(base);
	base = my_value(root, "SELECT CONNECTION_ID()");
	k = open_sink("t-kill", 4096);
	apply(k, begin());
	for (int i = 0; i < 200; i++) {
		char sid[16];

		snprintf(sid, sizeof(sid), "%d", i);
		apply(k, ins(t, V(sid, "streamed", sid)));
	}
	id = sink_connection_id(root, base);
	my_do(root, "KILL %s", id);
	free(id);
	{
		int rc = 0;

		/* the next stream or the flush notices */
		for (int i = 200; i < 400 && !rc; i++) {
			char sid[16];

			snprintf(sid, sizeof(sid), "%d", i);
			rc = sink_apply(k, ins(t, V(sid, "streamed", sid)), &e);
		}
		if (!rc) {
			apply(k, commit_at(2));
			rc = sink_flush(k, &e);
		}
		CHECK_INT_EQ(rc, FERRY_ECONN);
		printf("# killed while streaming: %s\n", e.msg);
	}
	sink_rollback(k);
	sink_close(k);
	CHECK_SQL(root, "0", "SELECT COUNT(*) FROM killed");
	free(base);
	table_desc_unref(t);
	mysql_close(root);
}

TEST(tls_modes_are_honoured)
{
	MYSQL *m = my_open(false);
	struct config_db db = target_db();
	struct sink *k = NULL;
	struct err e;
	char *have = my_value(m, "SELECT @@have_ssl");

	if (strcmp(have, "YES") == 0) {
		printf("# tls: the test server offers TLS; only prefer is "
		       "checked\n");
	} else {
		db.sslmode = CONFIG_SSL_REQUIRE;
		CHECK_INT_EQ(open_sink_db(&db, "t-tls", 0, &k, &e),
			     FERRY_ECONN);
		CHECK_STR_CONTAINS(e.msg, "does not offer TLS and sslmode is "
				   "require");
		db.sslmode = CONFIG_SSL_VERIFY_FULL;
		CHECK_INT_EQ(open_sink_db(&db, "t-tls", 0, &k, &e),
			     FERRY_ECONN);
		CHECK_STR_CONTAINS(e.msg, "could not connect to MySQL at");
	}
	db.sslmode = CONFIG_SSL_PREFER;
	CHECK_OK(open_sink_db(&db, "t-tls", 0, &k, &e), e);
	sink_close(k);
	db.sslmode = CONFIG_SSL_DISABLE;
	CHECK_OK(open_sink_db(&db, "t-tls", 0, &k, &e), e);
	sink_close(k);
	free(have);
	mysql_close(m);
}

TEST(a_wrong_password_is_a_clear_connect_error)
{
	struct config_db db = target_db();
	struct sink_params p;
	struct sink *k = NULL;
	struct err e;

	memset(&p, 0, sizeof(p));
	p.db = &db;
	p.password = "wrong";
	p.checkpoint_id = "x";
	CHECK_INT_EQ(sink_open(&p, &k, &e), FERRY_ECONN);
	CHECK_STR_CONTAINS(e.msg, "could not connect to MySQL at 127.0.0.1:");
	CHECK_STR_CONTAINS(e.msg, "Access denied");
	CHECK_STR_CONTAINS(e.msg, "(errno 1045)");
}

TEST(a_target_logging_statements_is_a_config_error_at_start)
{
	MYSQL *root = my_open(true);
	struct sink *k = NULL;
	struct err e;
	int rc;

	/* the sink's session takes the global value at connect */
	my_do(root, "SET GLOBAL binlog_format = 'STATEMENT'");
	the_db = target_db();
	rc = open_sink_db(&the_db, "t-stmt", 0, &k, &e);
	my_do(root, "SET GLOBAL binlog_format = 'ROW'");
	CHECK_INT_EQ(rc, FERRY_ECONFIG);
	CHECK(k == NULL);
	CHECK_STR_CONTAINS(e.msg, "binlog_format = STATEMENT");
	CHECK_STR_CONTAINS(e.msg, "set binlog_format to MIXED or ROW");
	/* MIXED logs ferry's transactions by row: fine */
	my_do(root, "SET GLOBAL binlog_format = 'MIXED'");
	rc = open_sink_db(&the_db, "t-stmt", 0, &k, &e);
	my_do(root, "SET GLOBAL binlog_format = 'ROW'");
	CHECK_OK(rc, e);
	sink_close(k);
	mysql_close(root);
}

/* ---- rate (printed, not asserted) ------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(rate_of_100k_rows_in_1000_row_transactions)
{
	enum { N = 100000, TXN = 1000 };
	MYSQL *m = my_open(false);
	struct table_desc *t = wide_table(m, "rate");
	struct sink *k = open_sink("t-rate", 0);
	double t0, dt;
	long id = 0;

	t0 = now_s();
	for (int x = 0; x < N / TXN; x++) {
		apply(k, begin());
		for (int i = 0; i < TXN; i++)
			apply(k, wide_row(t, ++id));
		apply(k, commit_at((uint64_t)x + 1));
		flush(k);
	}
	dt = now_s() - t0;
	CHECK_SQL(m, "100000", "SELECT COUNT(*) FROM rate");
	printf("# rate: %d rows of ~300 B in %d-row transactions: %.0f "
	       "rows/s (%.2f s, %" PRIu64 " statements)\n", N, TXN, N / dt,
	       dt, statements(k));
	sink_close(k);
	table_desc_unref(t);
	mysql_close(m);
}
