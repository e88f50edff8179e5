/*
 * bench_my_shapes.c - what the statement shape costs a MariaDB target:
 * the same rows written four ways.
 *
 *   bench_my_shapes CONN SERVER_PID [ROWS]
 *
 * CONN as in bench_db.h ("host=H port=P user=U password=W dbname=D").
 * ROWS (default 200000) rows of the benchmark table's shape go into a
 * fresh table per shape, 1000 rows per statement and 5000 per transaction
 * (ferry's defaults):
 *
 *   values-upsert   INSERT ... VALUES (literals),(...) x1000 ON DUPLICATE
 *                   KEY UPDATE ...: one SQL text, strings escaped with
 *                   mysql_real_escape_string(): what ferry's mysql_sink
 *                   sends for short runs
 *   bulk-upsert     the same statement prepared once with ? markers and
 *                   executed with 1000-row parameter arrays
 *                   (STMT_ATTR_ARRAY_SIZE: MariaDB's COM_STMT_BULK_EXECUTE,
 *                   binary values, no SQL parsing per row)
 *   bulk-upsert, all text
 *                   the same with every value bound as text, numbers as
 *                   DECIMAL text: what ferry's mysql_sink sends
 *   load-data       LOAD DATA LOCAL INFILE from memory (no upsert: a row
 *                   that is there already would be an error or, with
 *                   REPLACE, a delete + insert)
 *
 * and prints rows/s and the CPU seconds the whole server process
 * SERVER_PID used meanwhile (from /proc: same machine).
 *
 * Exit: 0, 1 a statement failed, 2 usage.
 */
#include <unistd.h>

#include "bench_db.h"

#define PER_STMT 1000
#define PER_TXN 5000
#define NCOL 7

static MYSQL *m;
static long server_pid;

static double proc_cpu(long pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_my_shapes: %s: %s\n", what, mysql_error(m));
	exit(1);
}

static void exec_ok(const char *sql)
{
	if (mysql_query(m, sql))
		die(sql);
	MYSQL_RES *r = mysql_store_result(m);

	if (r)
		mysql_free_result(r);
}

static void note_of(long long id, char *note)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 224; i++)
		note[i] = hex[(unsigned)(id * 31 + i * 7) % 16];
	note[224] = '\0';
}

static const char *cols = "id, a, b, note, created, amount, src_ts";
static const char *upd = " ON DUPLICATE KEY UPDATE a = VALUES(a), b = "
	"VALUES(b), note = VALUES(note), created = VALUES(created), amount = "
	"VALUES(amount), src_ts = VALUES(src_ts)";

/* LOAD DATA LOCAL from memory: the rows [next, end) as tab-separated */
struct infile {
	long long next, end;
	char line[512];
	size_t off, len;
};
static struct infile inf;

static int inf_init(void **ptr, const char *name, void *ud)
{
	(void)name;
	(void)ud;
	*ptr = &inf;
	return 0;
}

static int inf_read(void *ptr, char *buf, unsigned int n)
{
	struct infile *f = ptr;
	unsigned int got = 0;

	while (got < n) {
		if (f->off == f->len) {
			char note[225];

			if (f->next >= f->end)
				break;
			note_of(f->next, note);
			f->len = (size_t)snprintf(f->line, sizeof(f->line),
				"%lld\t%lld\t%lld\t%s\t2024-01-01 00:00:00\t"
				"%lld.%02lld\t2026-01-01 12:00:00.123456\n",
				f->next, f->next % 1000, (f->next * 7) % 100000,
				note, (f->next % 100000) / 100, f->next % 100);
			f->off = 0;
			f->next++;
		}
		size_t k = f->len - f->off;

		if (k > n - got)
			k = n - got;
		memcpy(buf + got, f->line + f->off, k);
		f->off += k;
		got += (unsigned)k;
	}
	return (int)got;
}

static void inf_end(void *ptr)
{
	(void)ptr;
}

static int inf_error(void *ptr, char *msg, unsigned int n)
{
	(void)ptr;
	snprintf(msg, n, "infile error");
	return 1;
}

enum shape { VALUES_UPSERT, BULK_UPSERT, BULK_TEXT, LOAD_DATA };

static void run(enum shape sh, const char *name, long long rows)
{
	static char sql[4 << 20];
	static long long ids[PER_STMT];
	static int as[PER_STMT], bs[PER_STMT];
	static char notes[PER_STMT][225], amounts[PER_STMT][24];
	static unsigned long note_len[PER_STMT], amount_len[PER_STMT];
	static unsigned long created_len[PER_STMT], ts_len[PER_STMT];
	static char created[PER_STMT][32], ts[PER_STMT][32];
	/* column-wise array binding: strings go as arrays of pointers */
	static char *note_p[PER_STMT], *created_p[PER_STMT];
	static char *amount_p[PER_STMT], *ts_p[PER_STMT];
	static char id_t[PER_STMT][24], a_t[PER_STMT][24], b_t[PER_STMT][24];
	static char *id_p[PER_STMT], *a_p[PER_STMT], *b_p[PER_STMT];
	static unsigned long id_len[PER_STMT], a_len[PER_STMT], b_len[PER_STMT];
	MYSQL_STMT *st = NULL;
	char table[64];
	double c0, c1;
	int64_t t0, t1;

	snprintf(table, sizeof(table), "shape_%d", (int)sh);
	snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", table);
	exec_ok(sql);
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (id bigint NOT NULL "
		 "PRIMARY KEY, a int NOT NULL, b int NOT NULL, note text NOT "
		 "NULL, created datetime(6) NOT NULL, amount decimal(12,2) NOT "
		 "NULL, src_ts datetime(6) NOT NULL) ENGINE=InnoDB", table);
	exec_ok(sql);
	if (sh == BULK_UPSERT || sh == BULK_TEXT) {
		unsigned int size = PER_STMT;
		MYSQL_BIND b[NCOL];

		for (int i = 0; i < PER_STMT; i++) {
			note_p[i] = notes[i];
			created_p[i] = created[i];
			amount_p[i] = amounts[i];
			ts_p[i] = ts[i];
			id_p[i] = id_t[i];
			a_p[i] = a_t[i];
			b_p[i] = b_t[i];
		}
		st = mysql_stmt_init(m);
		snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) VALUES "
			 "(?,?,?,?,?,?,?)%s", table, cols, upd);
		if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)))
			die(mysql_stmt_error(st));
		mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &size);
		memset(b, 0, sizeof(b));
		b[0].buffer_type = MYSQL_TYPE_LONGLONG;
		b[0].buffer = ids;
		b[1].buffer_type = MYSQL_TYPE_LONG;
		b[1].buffer = as;
		b[2].buffer_type = MYSQL_TYPE_LONG;
		b[2].buffer = bs;
		b[3].buffer_type = MYSQL_TYPE_STRING;
		b[3].buffer = note_p;
		b[3].length = note_len;
		b[4].buffer_type = MYSQL_TYPE_STRING;
		b[4].buffer = created_p;
		b[4].length = created_len;
		b[5].buffer_type = MYSQL_TYPE_STRING;
		b[5].buffer = amount_p;
		b[5].length = amount_len;
		b[6].buffer_type = MYSQL_TYPE_STRING;
		b[6].buffer = ts_p;
		b[6].length = ts_len;
		if (sh == BULK_TEXT) {
			/* every value as text, numbers typed DECIMAL: what
			 * ferry's sink binds */
			b[0].buffer_type = MYSQL_TYPE_NEWDECIMAL;
			b[0].buffer = id_p;
			b[0].length = id_len;
			b[1].buffer_type = MYSQL_TYPE_NEWDECIMAL;
			b[1].buffer = a_p;
			b[1].length = a_len;
			b[2].buffer_type = MYSQL_TYPE_NEWDECIMAL;
			b[2].buffer = b_p;
			b[2].length = b_len;
			b[5].buffer_type = MYSQL_TYPE_NEWDECIMAL;
		}
		if (mysql_stmt_bind_param(st, b))
			die(mysql_stmt_error(st));
	}
	c0 = proc_cpu(server_pid);
	t0 = bench_now_ns();
	for (long long base = 1; base <= rows; base += PER_STMT) {
		if ((base - 1) % PER_TXN == 0)
			exec_ok("START TRANSACTION");
		if (sh == VALUES_UPSERT) {
			size_t n = (size_t)snprintf(sql, sizeof(sql),
				"INSERT INTO %s (%s) VALUES ", table, cols);

			for (int i = 0; i < PER_STMT; i++) {
				long long id = base + i;
				char note[225], esc[451];

				note_of(id, note);
				mysql_real_escape_string(m, esc, note, 224);
				n += (size_t)snprintf(sql + n, sizeof(sql) - n,
					"%s(%lld,%lld,%lld,'%s','2024-01-01 "
					"00:00:00',%lld.%02lld,'2026-01-01 "
					"12:00:00.123456')", i ? "," : "", id,
					id % 1000, (id * 7) % 100000, esc,
					(id % 100000) / 100, id % 100);
			}
			snprintf(sql + n, sizeof(sql) - n, "%s", upd);
			exec_ok(sql);
		} else if (sh == BULK_UPSERT || sh == BULK_TEXT) {
			for (int i = 0; i < PER_STMT; i++) {
				long long id = base + i;

				id_len[i] = (unsigned long)snprintf(id_t[i],
					sizeof(id_t[i]), "%lld", id);
				a_len[i] = (unsigned long)snprintf(a_t[i],
					sizeof(a_t[i]), "%lld", id % 1000);
				b_len[i] = (unsigned long)snprintf(b_t[i],
					sizeof(b_t[i]), "%lld", (id * 7) % 100000);
				ids[i] = id;
				as[i] = (int)(id % 1000);
				bs[i] = (int)((id * 7) % 100000);
				note_of(id, notes[i]);
				note_len[i] = 224;
				created_len[i] = (unsigned long)snprintf(
					created[i], sizeof(created[i]),
					"2024-01-01 00:00:00");
				amount_len[i] = (unsigned long)snprintf(
					amounts[i], sizeof(amounts[i]),
					"%lld.%02lld", (id % 100000) / 100,
					id % 100);
				ts_len[i] = (unsigned long)snprintf(
					ts[i], sizeof(ts[i]),
					"2026-01-01 12:00:00.123456");
			}
			if (mysql_stmt_execute(st))
				die(mysql_stmt_error(st));
		} else {
			inf.next = base;
			inf.end = base + PER_STMT;
			inf.off = inf.len = 0;
			snprintf(sql, sizeof(sql), "LOAD DATA LOCAL INFILE "
				 "'mem' INTO TABLE %s (%s)", table, cols);
			exec_ok(sql);
		}
		if ((base - 1 + PER_STMT) % PER_TXN == 0 ||
		    base + PER_STMT > rows)
			exec_ok("COMMIT");
	}
	t1 = bench_now_ns();
	c1 = proc_cpu(server_pid);
	if (st)
		mysql_stmt_close(st);
	snprintf(sql, sizeof(sql), "DROP TABLE %s", table);
	exec_ok(sql);
	printf("%-34s %9.0f rows/s   server cpu %5.2f s (%.1f us/row)\n", name,
	       (double)rows * 1e9 / (double)(t1 - t0), c1 - c0,
	       (c1 - c0) * 1e6 / (double)rows);
}

int main(int argc, char **argv)
{
	char host[128], port[16], user[64], pw[128], db[128];
	long long rows = 200000;
	unsigned int on = 1;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_my_shapes CONN SERVER_PID "
			"[ROWS]\n");
		return 2;
	}
	server_pid = atol(argv[2]);
	if (argc == 4)
		rows = atoll(argv[3]);
	rows -= rows % PER_TXN;
	if (rows < PER_TXN)
		rows = PER_TXN;
	bench_kv(argv[1], "host", host, sizeof(host));
	bench_kv(argv[1], "port", port, sizeof(port));
	bench_kv(argv[1], "user", user, sizeof(user));
	bench_kv(argv[1], "password", pw, sizeof(pw));
	bench_kv(argv[1], "dbname", db, sizeof(db));
	m = mysql_init(NULL);
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &on);
	if (!mysql_real_connect(m, host, user, pw, db, (unsigned)atoi(port),
				NULL, 0))
		die("connect");
	mysql_set_local_infile_handler(m, inf_init, inf_read, inf_end,
				       inf_error, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# %lld rows, %d per statement, %d per transaction\n", rows,
	       PER_STMT, PER_TXN);
	run(VALUES_UPSERT, "values-upsert (ferry, short runs)", rows);
	run(BULK_UPSERT, "bulk-upsert", rows);
	run(BULK_TEXT, "bulk-upsert, all text (ferry)", rows);
	run(LOAD_DATA, "load-data", rows);
	mysql_close(m);
	return 0;
}
