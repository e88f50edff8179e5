/*
 * t_mysql_source.c - the MySQL reader against the throwaway MariaDB of
 * tests/run.sh: snapshot chunks in key order with their marks, a copy
 * cut short emptied and taken again under a new snapshot (the stream
 * skipping what that copy holds), streaming inserts/updates/deletes with
 * values and positions, idle position advance, rotation mid-stream,
 * resume by GTID, DDL and TRUNCATE, a table with one column of each type
 * that reads the same from the binlog as from the snapshot, the columns
 * hook (binlog_row_metadata=MINIMAL), server-setting checks and a lost
 * connection.  A corrupt binlog event (checksum) is tested at the decoder
 * level (tests/unit/test_binlog.c): corrupting a live server's binlog is
 * not practical here.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ferry/checkpoint.h"
#include "ferry/config.h"
#include "ferry/mapping.h"
#include "ferry/source.h"
#include "harness.h"

/* ---- helpers ------------------------------------------------------------- */

static MYSQL *my_connect(void)
{
	MYSQL *m = mysql_init(NULL);

	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	CHECK_MSG(mysql_real_connect(m, harness_env("FERRY_TEST_MY_HOST"),
				     harness_env("FERRY_TEST_MY_USER"),
				     harness_env("FERRY_TEST_MY_PASSWORD"),
				     harness_env("FERRY_TEST_MY_DB"),
				     (unsigned)atoi(harness_env(
					     "FERRY_TEST_MY_PORT")),
				     NULL, CLIENT_MULTI_STATEMENTS),
		  "connect: %s", mysql_error(m));
	return m;
}

/* run statements (several, separated by ';'); fail the test on error */
static void my_do(MYSQL *m, const char *sql)
{
	int status;

	CHECK_MSG(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
	do {
		MYSQL_RES *r = mysql_store_result(m);

		if (r)
			mysql_free_result(r);
		status = mysql_next_result(m);
		CHECK_MSG(status <= 0, "%s: %s", sql, mysql_error(m));
	} while (status == 0);
}

/* the first column of the first row, strdup'ed */
static char *my_value(MYSQL *m, const char *sql)
{
	MYSQL_RES *r;
	MYSQL_ROW row;
	char *v;

	CHECK_MSG(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
	r = mysql_store_result(m);
	CHECK(r != NULL);
	row = mysql_fetch_row(r);
	CHECK_MSG(row != NULL, "%s: no row", sql);
	v = strdup(row[0] ? row[0] : "");
	mysql_free_result(r);
	return v;
}

/* SHOW MASTER STATUS as a position */
static void master_pos(MYSQL *m, struct ferry_pos *p)
{
	MYSQL_RES *r;
	MYSQL_ROW row;
	char *g;

	memset(p, 0, sizeof(*p));
	CHECK(mysql_query(m, "SHOW MASTER STATUS") == 0);
	r = mysql_store_result(m);
	row = mysql_fetch_row(r);
	CHECK(row != NULL);
	p->kind = POS_MYSQL;
	snprintf(p->file, sizeof(p->file), "%s", row[0]);
	p->offset = strtoull(row[1], NULL, 10);
	mysql_free_result(r);
	g = my_value(m, "SELECT @@global.gtid_binlog_pos");
	snprintf(p->gtid, sizeof(p->gtid), "%s", g);
	free(g);
}

struct env {
	struct config_db db;
	struct mapping map;
	struct checkpoint cp;
};

static void env_init(struct env *v, const char *mapping_yaml)
{
	struct err e;

	memset(v, 0, sizeof(*v));
	v->db.driver = CONFIG_DRIVER_MYSQL;
	v->db.host = (char *)harness_env("FERRY_TEST_MY_HOST");
	v->db.port = atoi(harness_env("FERRY_TEST_MY_PORT"));
	v->db.user = (char *)harness_env("FERRY_TEST_MY_USER");
	v->db.database = (char *)harness_env("FERRY_TEST_MY_DB");
	v->db.server_id = 4242;
	CHECK_OK(mapping_load_buffer("test.yaml", mapping_yaml,
				     strlen(mapping_yaml), &v->map, &e), e);
}

static void env_release(struct env *v)
{
	mapping_release(&v->map);
	checkpoint_release(&v->cp);
}

static int open_source(struct env *v, int chunk, int idle_ms,
		       struct source **out, struct err *e)
{
	struct source_params p = {
		.db = &v->db,
		.password = harness_env("FERRY_TEST_MY_PASSWORD"),
		.mapping = &v->map,
		.cp = &v->cp,
		.snapshot_chunk_rows = chunk,
		.idle_advance_ms = idle_ms,
		.application_name = "t_mysql_source",
	};

	return mysql_source_open(&p, out, e);
}

static struct change *pushback;	/* one change looked at, not used */

/* the next change within `ms` (NULL if none) */
static struct change *next_within(struct source *s, int ms)
{
	struct timespec t0, t;
	struct change *c = NULL;
	struct err e;

	if (pushback) {
		c = pushback;
		pushback = NULL;
		return c;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		CHECK_OK(source_next(s, &c, 100, &e), e);
		if (c)
			return c;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
			    (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			return NULL;
	}
}

static struct change *expect(struct source *s, enum change_kind kind)
{
	struct change *c = next_within(s, 10000);

	CHECK_MSG(c != NULL, "no change within 10 s (wanted %c)", kind);
	CHECK_MSG(c->kind == kind, "got change %c, wanted %c", c->kind, kind);
	return c;
}

/* The BEGIN of a transaction with rows: empty BEGIN/COMMIT pairs (the
 * idle position advance, whose timing we do not control) are skipped. */
static struct change *expect_begin(struct source *s)
{
	for (;;) {
		struct change *c = expect(s, CHANGE_BEGIN);
		struct change *n = next_within(s, 10000);

		CHECK_MSG(n != NULL, "nothing after a BEGIN");
		if (n->kind != CHANGE_COMMIT) {
			pushback = n;
			return c;
		}
		change_free(c);
		change_free(n);
	}
}

static void expect_value(const struct change *c, bool old, uint32_t col,
			 const char *want)
{
	const char *v;
	enum datum_state st = old ? change_old(c, col, &v, NULL)
				  : change_new(c, col, &v, NULL);

	if (!want) {
		CHECK_MSG(st == DATUM_NULL, "column %u: state %d, want NULL",
			  col, st);
		return;
	}
	CHECK_MSG(st == DATUM_VALUE, "column %u: state %d", col, st);
	CHECK_STR_EQ(v, want);
}

/* drain the snapshot: every change up to the first streaming one is
 * freed; returns how many snapshot INSERTs came */
static int drain_snapshot(struct source *s)
{
	int rows = 0;

	for (;;) {
		struct change *c = next_within(s, 300);

		if (!c)
			return rows;
		rows += c->kind == CHANGE_INSERT;
		change_free(c);
	}
}

/* ---- tests ------------------------------------------------------------------ */

TEST(mysql_snapshot_chunks_marks_and_resume)
{
	MYSQL *m = my_connect();
	struct env v;
	struct source *s;
	struct change *c;
	struct ferry_pos p0, p1, p, snap;
	struct err e;
	int order[25];

	my_do(m, "DROP TABLE IF EXISTS ms_snap, ms_snap2, ms_nopk");
	my_do(m, "CREATE TABLE ms_snap (id INT PRIMARY KEY, v VARCHAR(20))");
	my_do(m, "CREATE TABLE ms_snap2 (a INT, b VARCHAR(5), n INT, "
		 "PRIMARY KEY (a, b))");
	my_do(m, "CREATE TABLE ms_nopk (x INT)");
	/* inserted out of key order */
	for (int i = 0; i < 25; i++)
		order[i] = (i * 7) % 25 + 1;
	for (int i = 0; i < 25; i++) {
		char sql[128];

		snprintf(sql, sizeof(sql), "INSERT INTO ms_snap VALUES (%d, "
			 "'v%d')", order[i], order[i]);
		my_do(m, sql);
	}
	my_do(m, "INSERT INTO ms_snap2 VALUES (2,'b',1),(1,'z',2),(1,'a',3),"
		 "(3,'c',4)");
	my_do(m, "INSERT INTO ms_nopk VALUES (1)");
	master_pos(m, &p0);

	env_init(&v, "version: 1\ntables:\n"
		     "  - source: ms_snap\n    target: ms_snap\n"
		     "  - source: ms_snap2\n    target: ms_snap2\n");
	CHECK_OK(open_source(&v, 10, 60000, &s, &e), e);
	/* ms_snap: 10 + 10 + 5 rows, in key order */
	for (int chunk = 0, id = 1; chunk < 3; chunk++) {
		c = expect(s, CHANGE_BEGIN);
		CHECK_INT_EQ(c->pos->kind, POS_MYSQL);
		/* P: nothing was written since p0 */
		CHECK(pos_cmp(c->pos, &p0) == 0);
		CHECK_STR_EQ(c->pos->gtid, p0.gtid);
		p = *c->pos;
		change_free(c);
		for (int k = 0; k < (chunk < 2 ? 10 : 5); k++, id++) {
			char want[16];

			c = expect(s, CHANGE_INSERT);
			CHECK(c->snapshot);
			CHECK_STR_EQ(c->table->name, "ms_snap");
			CHECK(c->table->cols[0].key);
			snprintf(want, sizeof(want), "%d", id);
			expect_value(c, false, 0, want);
			snprintf(want, sizeof(want), "v%d", id);
			expect_value(c, false, 1, want);
			change_free(c);
		}
		c = expect(s, CHANGE_COMMIT);
		CHECK(pos_cmp(c->pos, &p) == 0);
		CHECK(c->mark != NULL);
		CHECK_STR_EQ(c->mark->table, "ferrydb.ms_snap");
		CHECK_STR_EQ(c->mark->last_key, chunk == 0 ? "[\"10\"]"
					       : chunk == 1 ? "[\"20\"]"
							    : "[\"25\"]");
		CHECK_U64_EQ(c->mark->rows, chunk < 2 ? (chunk + 1) * 10 : 25);
		CHECK(c->mark->done == (chunk == 2));
		change_free(c);
	}
	/* ms_snap2: composite key order */
	change_free(expect(s, CHANGE_BEGIN));
	{
		static const char *const keys[][2] = {
			{ "1", "a" }, { "1", "z" }, { "2", "b" }, { "3", "c" },
		};

		for (int k = 0; k < 4; k++) {
			c = expect(s, CHANGE_INSERT);
			expect_value(c, false, 0, keys[k][0]);
			expect_value(c, false, 1, keys[k][1]);
			change_free(c);
		}
	}
	c = expect(s, CHANGE_COMMIT);
	CHECK_STR_EQ(c->mark->last_key, "[\"3\",\"c\"]");
	CHECK(c->mark->done);
	change_free(c);
	/* then the stream: nothing yet */
	CHECK(next_within(s, 300) == NULL);
	source_close(s);

	/* a restart with ms_snap half copied and ms_snap2 done since p1:
	 * ms_snap is emptied on the target and copied again from its first
	 * key under a new snapshot S; the stream resumes at the checkpoint
	 * p0 and skips each table's changes committed up to its start */
	my_do(m, "INSERT INTO ms_snap VALUES (26, 'late')");
	my_do(m, "UPDATE ms_snap2 SET n = 40 WHERE a = 3");
	master_pos(m, &p1);
	my_do(m, "UPDATE ms_snap2 SET n = 41 WHERE a = 2");
	v.cp.exists = true;
	v.cp.pos = p0;
	checkpoint_set_table(&v.cp, "ferrydb.ms_snap", "[\"10\"]", false, 10);
	checkpoint_set_table_at(&v.cp, "ferrydb.ms_snap2", "[\"3\",\"c\"]",
				true, 4, &p1);
	CHECK_OK(open_source(&v, 10, 60000, &s, &e), e);
	c = expect(s, CHANGE_BEGIN);
	CHECK(pos_cmp(c->pos, &p0) == 0);
	change_free(c);
	c = expect(s, CHANGE_TRUNCATE);
	CHECK_STR_EQ(c->table->name, "ms_snap");
	change_free(c);
	c = expect(s, CHANGE_COMMIT);
	CHECK(pos_cmp(c->pos, &p0) == 0);
	CHECK(c->mark != NULL);
	CHECK_STR_EQ(c->mark->table, "ferrydb.ms_snap");
	CHECK(c->mark->last_key == NULL);
	CHECK_U64_EQ(c->mark->rows, 0);
	CHECK(!c->mark->done);
	/* the new snapshot's point: after everything written so far */
	CHECK_INT_EQ(c->mark->start.kind, POS_MYSQL);
	CHECK(pos_cmp(&c->mark->start, &p1) > 0);
	snap = c->mark->start;
	change_free(c);
	for (int chunk = 0, id = 1; chunk < 3; chunk++) {
		change_free(expect(s, CHANGE_BEGIN));
		for (int k = 0; k < (chunk < 2 ? 10 : 6); k++, id++) {
			char want[16];

			c = expect(s, CHANGE_INSERT);
			snprintf(want, sizeof(want), "%d", id);
			expect_value(c, false, 0, want);
			change_free(c);
		}
		c = expect(s, CHANGE_COMMIT);
		CHECK(pos_cmp(c->pos, &p0) == 0);
		CHECK_STR_EQ(c->mark->last_key, chunk == 0 ? "[\"10\"]"
					       : chunk == 1 ? "[\"20\"]"
							    : "[\"26\"]");
		CHECK_U64_EQ(c->mark->rows, chunk < 2 ? (chunk + 1) * 10 : 26);
		CHECK(c->mark->done == (chunk == 2));
		CHECK(pos_cmp(&c->mark->start, &snap) == 0);
		change_free(c);
	}
	/* the stream starts at p0: the late insert is in the new copy and
	 * the first ms_snap2 update before its start, so only the second
	 * update comes */
	change_free(expect_begin(s));
	c = expect(s, CHANGE_UPDATE);
	CHECK(!c->snapshot);
	CHECK_STR_EQ(c->table->name, "ms_snap2");
	expect_value(c, false, 0, "2");
	expect_value(c, false, 2, "41");
	change_free(c);
	c = expect(s, CHANGE_COMMIT);
	CHECK(pos_cmp(c->pos, &p1) > 0);
	change_free(c);
	/* and what comes after the new snapshot streams as usual */
	my_do(m, "INSERT INTO ms_snap VALUES (27, 'after')");
	change_free(expect_begin(s));
	c = expect(s, CHANGE_INSERT);
	CHECK(!c->snapshot);
	expect_value(c, false, 0, "27");
	change_free(c);
	c = expect(s, CHANGE_COMMIT);
	CHECK(pos_cmp(c->pos, &snap) > 0);
	change_free(c);
	source_close(s);
	env_release(&v);
	mysql_close(m);
}

TEST(mysql_stream_rows_positions_idle_advance_and_rotation)
{
	MYSQL *m = my_connect();
	struct env v;
	struct source *s;
	struct change *c;
	struct ferry_pos p, after;
	struct err e;

	my_do(m, "DROP TABLE IF EXISTS ms_stream, ms_other");
	my_do(m, "CREATE TABLE ms_stream (id BIGINT UNSIGNED PRIMARY KEY, "
		 "name VARCHAR(50), amount DECIMAL(10,2), "
		 "at DATETIME(3), n INT)");
	my_do(m, "CREATE TABLE ms_other (id INT PRIMARY KEY)");
	env_init(&v, "version: 1\ntables:\n"
		     "  - source: ms_stream\n    target: ms_stream\n");
	CHECK_OK(open_source(&v, 100, 500, &s, &e), e);
	CHECK_INT_EQ(drain_snapshot(s), 0);

	my_do(m, "BEGIN; "
		 "INSERT INTO ms_stream VALUES (18446744073709551615, "
		 "'h\xc3\xa9llo \xf0\x9f\x98\x80', -12.50, "
		 "'2026-11-21 22:41:03.120', -7), "
		 "(2, NULL, 0, NULL, NULL); "
		 "UPDATE ms_stream SET name = 'two', n = 2 WHERE id = 2; "
		 "DELETE FROM ms_stream WHERE id = 18446744073709551615; "
		 "COMMIT");
	master_pos(m, &after);
	c = expect(s, CHANGE_BEGIN);
	CHECK_STR_EQ(c->pos->file, after.file);
	change_free(c);
	c = expect(s, CHANGE_INSERT);
	CHECK(!c->snapshot);
	expect_value(c, false, 0, "18446744073709551615");
	expect_value(c, false, 1, "h\xc3\xa9llo \xf0\x9f\x98\x80");
	expect_value(c, false, 2, "-12.50");
	expect_value(c, false, 3, "2026-11-21 22:41:03.12");
	expect_value(c, false, 4, "-7");
	change_free(c);
	c = expect(s, CHANGE_INSERT);
	expect_value(c, false, 1, NULL);
	expect_value(c, false, 2, "0.00");
	change_free(c);
	c = expect(s, CHANGE_UPDATE);
	expect_value(c, true, 1, NULL);
	expect_value(c, false, 1, "two");
	expect_value(c, false, 4, "2");
	change_free(c);
	c = expect(s, CHANGE_DELETE);
	expect_value(c, true, 0, "18446744073709551615");
	CHECK(c->newv == NULL);
	change_free(c);
	c = expect(s, CHANGE_COMMIT);
	/* the commit's position: where a restart resumes, i.e. the end of
	 * the transaction in the binlog, with its GTID */
	CHECK(pos_cmp(c->pos, &after) == 0);
	CHECK_STR_EQ(c->pos->gtid, after.gtid);
	p = *c->pos;
	change_free(c);

	/* a transaction on a table not migrated: nothing, then (idle) an
	 * empty transaction that moves the position to its end */
	my_do(m, "INSERT INTO ms_other VALUES (1)");
	master_pos(m, &after);
	c = expect(s, CHANGE_BEGIN);
	CHECK(pos_cmp(c->pos, &after) == 0);
	CHECK_STR_EQ(c->pos->gtid, after.gtid);
	change_free(c);
	c = expect(s, CHANGE_COMMIT);
	CHECK(pos_cmp(c->pos, &after) == 0);
	CHECK(pos_cmp(c->pos, &p) > 0);
	change_free(c);
	/* idle and nothing new: no more empty transactions */
	CHECK(next_within(s, 1200) == NULL);

	/* rotation in the middle: nothing lost, positions in the new file */
	my_do(m, "INSERT INTO ms_stream (id, n) VALUES (10, 1)");
	my_do(m, "FLUSH BINARY LOGS");
	my_do(m, "INSERT INTO ms_stream (id, n) VALUES (11, 2)");
	master_pos(m, &after);
	change_free(expect_begin(s));
	c = expect(s, CHANGE_INSERT);
	expect_value(c, false, 0, "10");
	change_free(c);
	c = expect(s, CHANGE_COMMIT);
	p = *c->pos;
	change_free(c);
	change_free(expect_begin(s));
	c = expect(s, CHANGE_INSERT);
	expect_value(c, false, 0, "11");
	change_free(c);
	c = expect(s, CHANGE_COMMIT);
	CHECK_STR_EQ(c->pos->file, after.file);
	CHECK(strcmp(c->pos->file, p.file) != 0);
	CHECK(pos_cmp(c->pos, &after) == 0);
	change_free(c);
	source_close(s);
	env_release(&v);
	mysql_close(m);
}

TEST(mysql_resume_by_gtid_and_feedback)
{
	MYSQL *m = my_connect();
	struct env v;
	struct source *s;
	struct change *c;
	struct ferry_pos p;
	struct err e;

	my_do(m, "DROP TABLE IF EXISTS ms_gtid");
	my_do(m, "CREATE TABLE ms_gtid (id INT PRIMARY KEY)");
	my_do(m, "INSERT INTO ms_gtid VALUES (1)");
	master_pos(m, &p);
	CHECK(p.gtid[0] != '\0');
	my_do(m, "INSERT INTO ms_gtid VALUES (2)");
	my_do(m, "INSERT INTO ms_gtid VALUES (3)");
	env_init(&v, "version: 1\ntables:\n"
		     "  - source: ms_gtid\n    target: ms_gtid\n");
	/* the checkpoint after row 1: the file part is wrong on purpose,
	 * the GTID decides where the server starts */
	v.cp.exists = true;
	v.cp.pos = p;
	v.cp.pos.offset = 4;
	checkpoint_set_table(&v.cp, "ferrydb.ms_gtid", "[\"1\"]", true, 1);
	CHECK_OK(open_source(&v, 100, 60000, &s, &e), e);
	for (int id = 2; id <= 3; id++) {
		char want[16];

		change_free(expect_begin(s));
		c = expect(s, CHANGE_INSERT);
		snprintf(want, sizeof(want), "%d", id);
		expect_value(c, false, 0, want);
		change_free(c);
		c = expect(s, CHANGE_COMMIT);
		CHECK_OK(source_feedback(s, c->pos, &e), e);
		change_free(c);
	}
	source_close(s);
	env_release(&v);
	mysql_close(m);
}

TEST(mysql_ddl_stops_and_truncate_flows)
{
	MYSQL *m = my_connect();
	struct env v;
	struct source *s;
	struct change *c;
	struct err e;
	int rc;

	my_do(m, "DROP TABLE IF EXISTS ms_ddl, ms_free");
	my_do(m, "CREATE TABLE ms_ddl (id INT PRIMARY KEY, v INT)");
	my_do(m, "CREATE TABLE ms_free (id INT PRIMARY KEY)");
	env_init(&v, "version: 1\ntables:\n"
		     "  - source: ms_ddl\n    target: ms_ddl\n");
	CHECK_OK(open_source(&v, 100, 60000, &s, &e), e);
	drain_snapshot(s);
	my_do(m, "INSERT INTO ms_ddl VALUES (1, 1)");
	my_do(m, "TRUNCATE TABLE ms_ddl");
	my_do(m, "ALTER TABLE ms_free ADD COLUMN x INT");	/* not ours */
	my_do(m, "INSERT INTO ms_ddl VALUES (2, 2)");
	my_do(m, "ALTER TABLE ms_ddl ADD COLUMN w INT");
	my_do(m, "INSERT INTO ms_ddl VALUES (3, 3, 3)");
	change_free(expect_begin(s));
	change_free(expect(s, CHANGE_INSERT));
	change_free(expect(s, CHANGE_COMMIT));
	change_free(expect_begin(s));
	c = expect(s, CHANGE_TRUNCATE);
	CHECK_STR_EQ(c->table->name, "ms_ddl");
	change_free(c);
	change_free(expect(s, CHANGE_COMMIT));
	change_free(expect_begin(s));
	c = expect(s, CHANGE_INSERT);
	expect_value(c, false, 0, "2");
	change_free(c);
	change_free(expect(s, CHANGE_COMMIT));
	/* the ALTER stops the stream with a clear message */
	for (int i = 0; i < 100; i++) {
		c = NULL;
		rc = source_next(s, &c, 100, &e);
		change_free(c);
		if (rc)
			break;
	}
	CHECK_INT_EQ(rc, FERRY_ESTATE);
	CHECK_STR_CONTAINS(e.msg, "ALTER TABLE on migrated table "
			   "\"ferrydb.ms_ddl\" at mysql-bin.");
	source_close(s);
	env_release(&v);
	mysql_close(m);
}

/* one column of each type MariaDB has (JSON is LONGTEXT there) */
static const char all_types_ddl[] =
	"CREATE TABLE ms_types (id INT PRIMARY KEY,"
	" c_tiny TINYINT, c_utiny TINYINT UNSIGNED, c_small SMALLINT,"
	" c_usmall SMALLINT UNSIGNED, c_med MEDIUMINT,"
	" c_umed MEDIUMINT UNSIGNED, c_int INT, c_uint INT UNSIGNED,"
	" c_big BIGINT, c_ubig BIGINT UNSIGNED, c_float FLOAT,"
	" c_float2 FLOAT(7,3), c_double DOUBLE, c_dec DECIMAL(65,30),"
	" c_dec2 DECIMAL(10,2), c_udec DECIMAL(5,5) UNSIGNED, c_date DATE,"
	" c_dt0 DATETIME, c_dt3 DATETIME(3), c_dt6 DATETIME(6),"
	" c_ts TIMESTAMP NULL, c_ts2 TIMESTAMP(2) NULL, c_t0 TIME,"
	" c_t1 TIME(1), c_t6 TIME(6), c_year YEAR, c_char CHAR(10),"
	" c_char_big CHAR(100), c_varchar VARCHAR(300),"
	" c_binary BINARY(6), c_varbinary VARBINARY(20), c_text TEXT,"
	" c_blob BLOB, c_longtext LONGTEXT,"
	" c_enum ENUM('red','green','blue'), c_set SET('a','b','c','d'),"
	" c_bit1 BIT(1), c_bit10 BIT(10), c_bit64 BIT(64), c_json JSON,"
	" c_geom GEOMETRY, c_latin1 VARCHAR(20) CHARACTER SET latin1)";

static const char all_types_rows[] =
	"INSERT INTO ms_types (id) VALUES (1);"
	"INSERT INTO ms_types VALUES (2, -128, 0, -32768, 0, -8388608, 0,"
	" -2147483648, 0, -9223372036854775808, 0, -3.4028234e38, -2.5,"
	" -1.7976931348623157e308,"
	" '-99999999999999999999999999999999999.999999999999999999999999999999',"
	" -99999999.99, 0, '1000-01-01', '1000-01-01 00:00:00',"
	" '1000-01-01 00:00:00.001', '1000-01-01 00:00:00.000001',"
	" '1970-01-01 00:00:01', '1970-01-01 00:00:01.5', '-838:59:59',"
	" '-00:00:01.5', '-00:00:00.000001', 1901, '', '', '', '', '', '',"
	" '', '', 'red', '', b'0', b'0', 0, '[]', ST_GeomFromText('POINT(0 0)'),"
	" '');"
	"INSERT INTO ms_types VALUES (3, 127, 255, 32767, 65535, 8388607,"
	" 16777215, 2147483647, 4294967295, 9223372036854775807,"
	" 18446744073709551615, 1.2345678, 1234.567, 0.30000000000000004,"
	" '99999999999999999999999999999999999.999999999999999999999999999999',"
	" 12.3, 0.99999, '9999-12-31', '9999-12-31 23:59:59',"
	" '2026-11-21 22:41:03.120', '9999-12-31 23:59:59.999999',"
	" '2038-01-19 03:14:07', '2026-11-21 22:41:03.5', '838:59:59',"
	" '12:34:56.7', '838:59:59.000000', 2155, 'pad  ',"
	" REPEAT('\xc3\xa9', 100), CONCAT(REPEAT('x', 299), '\xc3\xbc'),"
	" 0x000102, 0x00ff00ff, 'text \xf0\x9f\x98\x80', 0xfeff,"
	" REPEAT('long', 1000), 'blue', 'a,c,d', b'1', b'1000000001',"
	" 0xffffffffffffffff,"
	" '{\"k\": [1, 2.5, \"x\\\\\"y\"], \"u\": \"\xf0\x9f\x98\x80\"}',"
	" ST_GeomFromText('LINESTRING(0 0, 1 1.5)'), 'caf\xc3\xa9 \xe2\x82\xac');"
	"INSERT INTO ms_types (id, c_date, c_dt0, c_dt6, c_ts, c_year,"
	" c_float, c_double, c_enum) VALUES (4, '0000-00-00',"
	" '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', 0, 0, 1e-10,"
	" 1e20, '');"
	"INSERT INTO ms_types (id, c_float, c_double, c_dec2)"
	" VALUES (5, 100, 5e-324, -0.5), (6, 16777217, 123456.7, 1),"
	" (7, 0.1, 0.1, 0)";

/* the text of every column of a change, joined, for comparison */
static char *row_text(const struct change *c)
{
	struct buf b;
	char *out;

	buf_init(&b, 0);
	for (uint32_t i = 1; i < c->ncols; i++) {
		const char *v;
		size_t len;
		enum datum_state st = change_new(c, i, &v, &len);

		CHECK(buf_printf(&b, "%s=", c->table->cols[i].name) == 0);
		if (st == DATUM_NULL) {
			CHECK(buf_puts(&b, "NULL") == 0);
		} else if (c->table->cols[i].type == DATUM_T_BYTES) {
			CHECK(buf_puts(&b, "\\x") == 0);
			for (size_t k = 0; k < len; k++)
				CHECK(buf_printf(&b, "%02x",
						 (unsigned char)v[k]) == 0);
		} else {
			CHECK(buf_append(&b, v, len) == 0);
		}
		CHECK(buf_puts(&b, " | ") == 0);
	}
	out = buf_detach(&b, NULL);
	return out;
}

static void check_types_roundtrip(const char *meta)
{
	MYSQL *m = my_connect();
	char *snap[8] = { 0 };
	struct env v;
	struct source *s;
	struct change *c;
	struct err e;
	char sql[128];

	snprintf(sql, sizeof(sql), "SET GLOBAL binlog_row_metadata = %s",
		 meta);
	my_do(m, sql);
	my_do(m, "SET SESSION sql_mode = ''");
	my_do(m, "SET SESSION time_zone = '+00:00'");
	my_do(m, "DROP TABLE IF EXISTS ms_types");
	my_do(m, all_types_ddl);
	my_do(m, all_types_rows);
	env_init(&v, "version: 1\ntables:\n"
		     "  - source: ms_types\n    target: ms_types\n");
	CHECK_OK(open_source(&v, 100, 60000, &s, &e), e);
	change_free(expect_begin(s));
	for (int i = 1; i <= 7; i++) {
		c = expect(s, CHANGE_INSERT);
		snap[i] = row_text(c);
		if (getenv("T_MYSQL_VERBOSE"))
			fprintf(stderr, "row %d: %s\n", i, snap[i]);
		change_free(c);
	}
	change_free(expect(s, CHANGE_COMMIT));
	/* the same rows again, through the binlog */
	my_do(m, "INSERT INTO ms_types SELECT id + 100, c_tiny, c_utiny,"
		 " c_small, c_usmall, c_med, c_umed, c_int, c_uint, c_big,"
		 " c_ubig, c_float, c_float2, c_double, c_dec, c_dec2, c_udec,"
		 " c_date, c_dt0, c_dt3, c_dt6, c_ts, c_ts2, c_t0, c_t1, c_t6,"
		 " c_year, c_char, c_char_big, c_varchar, c_binary,"
		 " c_varbinary, c_text, c_blob, c_longtext, c_enum, c_set,"
		 " c_bit1, c_bit10, c_bit64, c_json, c_geom, c_latin1"
		 " FROM ms_types ORDER BY id");
	change_free(expect_begin(s));
	for (int i = 1; i <= 7; i++) {
		char *bin;
		const char *id;

		c = expect(s, CHANGE_INSERT);
		CHECK_INT_EQ(change_new(c, 0, &id, NULL), DATUM_VALUE);
		CHECK_INT_EQ(atoi(id), 100 + i);
		bin = row_text(c);
		CHECK_MSG(strcmp(bin, snap[i]) == 0,
			  "row %d (metadata %s) differs:\n  snapshot: %s\n"
			  "  binlog:   %s", i, meta, snap[i], bin);
		free(bin);
		change_free(c);
	}
	change_free(expect(s, CHANGE_COMMIT));
	for (int i = 1; i <= 7; i++)
		free(snap[i]);
	source_close(s);
	env_release(&v);
	my_do(m, "SET GLOBAL binlog_row_metadata = FULL");
	mysql_close(m);
}

TEST(mysql_every_type_reads_the_same_from_binlog_and_snapshot)
{
	check_types_roundtrip("FULL");
}

TEST(mysql_minimal_metadata_uses_information_schema)
{
	check_types_roundtrip("MINIMAL");
}

TEST(mysql_refuses_a_server_without_row_binlog)
{
	MYSQL *m = my_connect();
	struct env v;
	struct source *s = NULL;
	struct err e;
	int rc;

	my_do(m, "DROP TABLE IF EXISTS ms_cfg");
	my_do(m, "CREATE TABLE ms_cfg (id INT PRIMARY KEY)");
	env_init(&v, "version: 1\ntables:\n"
		     "  - source: ms_cfg\n    target: ms_cfg\n");
	my_do(m, "SET GLOBAL binlog_format = 'MIXED'");
	rc = open_source(&v, 100, 1000, &s, &e);
	my_do(m, "SET GLOBAL binlog_format = 'ROW'");
	CHECK_INT_EQ(rc, FERRY_ECONFIG);
	CHECK_STR_CONTAINS(e.msg, "binlog_format is MIXED");
	my_do(m, "SET GLOBAL binlog_row_image = 'MINIMAL'");
	rc = open_source(&v, 100, 1000, &s, &e);
	my_do(m, "SET GLOBAL binlog_row_image = 'FULL'");
	CHECK_INT_EQ(rc, FERRY_ECONFIG);
	CHECK_STR_CONTAINS(e.msg, "binlog_row_image is MINIMAL");
	/* our server id must not be the server's */
	v.db.server_id = 1;
	rc = open_source(&v, 100, 1000, &s, &e);
	CHECK_INT_EQ(rc, FERRY_ECONFIG);
	CHECK_STR_CONTAINS(e.msg, "server_id");
	/* a keyless table named by the mapping */
	v.db.server_id = 4242;
	env_release(&v);
	my_do(m, "DROP TABLE IF EXISTS ms_keyless");
	my_do(m, "CREATE TABLE ms_keyless (x INT)");
	env_init(&v, "version: 1\ntables:\n"
		     "  - source: ms_keyless\n    target: ms_keyless\n");
	rc = open_source(&v, 100, 1000, &s, &e);
	CHECK_INT_EQ(rc, FERRY_ECONFIG);
	CHECK_STR_CONTAINS(e.msg, "no primary key");
	env_release(&v);
	mysql_close(m);
}

TEST(mysql_lost_connection_is_transient)
{
	MYSQL *m = my_connect();
	struct env v;
	struct source *s;
	struct change *c = NULL;
	struct err e;
	char *id;
	int rc = 0;

	my_do(m, "DROP TABLE IF EXISTS ms_kill");
	my_do(m, "CREATE TABLE ms_kill (id INT PRIMARY KEY)");
	env_init(&v, "version: 1\ntables:\n"
		     "  - source: ms_kill\n    target: ms_kill\n");
	CHECK_OK(open_source(&v, 100, 60000, &s, &e), e);
	drain_snapshot(s);
	id = my_value(m, "SELECT ID FROM information_schema.PROCESSLIST "
			 "WHERE COMMAND LIKE 'Binlog Dump%' ORDER BY ID DESC "
			 "LIMIT 1");
	{
		char sql[64];

		snprintf(sql, sizeof(sql), "KILL %s", id);
		my_do(m, sql);
	}
	free(id);
	for (int i = 0; i < 100 && !rc; i++) {
		rc = source_next(s, &c, 100, &e);
		change_free(c);
		c = NULL;
	}
	CHECK_INT_EQ(rc, FERRY_ECONN);
	source_close(s);
	env_release(&v);
	mysql_close(m);
}

TEST(mysql_new_table_under_a_wildcard_rule)
{
	MYSQL *m = my_connect();
	struct env v;
	struct source *s;
	struct change *c;
	struct err e;

	/* a database of its own: the wildcard takes every table in it */
	my_do(m, "DROP DATABASE IF EXISTS ms_wild");
	my_do(m, "CREATE DATABASE ms_wild");
	my_do(m, "CREATE TABLE ms_wild.old (id INT PRIMARY KEY)");
	my_do(m, "INSERT INTO ms_wild.old VALUES (1), (2)");
	my_do(m, "USE ms_wild");
	env_init(&v, "version: 1\ntables:\n"
		     "  - source: \"*\"\n    target: \"*\"\n");
	v.db.database = "ms_wild";
	CHECK_OK(open_source(&v, 1000, 60000, &s, &e), e);
	CHECK_INT_EQ(drain_snapshot(s), 2);
	/* created after the snapshot: the binlog brings its rows; a table
	 * without a primary key is not taken by a wildcard */
	my_do(m, "CREATE TABLE ms_new (id INT PRIMARY KEY, v TEXT)");
	my_do(m, "CREATE TABLE ms_new_nopk (v TEXT)");
	my_do(m, "INSERT INTO ms_new_nopk VALUES ('no')");
	my_do(m, "INSERT INTO ms_new VALUES (1, 'yes')");
	change_free(expect_begin(s));
	c = expect(s, CHANGE_INSERT);
	CHECK_STR_EQ(c->table->name, "ms_new");
	expect_value(c, false, 1, "yes");
	change_free(c);
	change_free(expect(s, CHANGE_COMMIT));
	source_close(s);
	env_release(&v);
	my_do(m, "DROP DATABASE ms_wild");
	mysql_close(m);
}
