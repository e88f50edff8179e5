/*
 * bench_pg_shapes.c - what the statement shape costs the target server:
 * the same rows written to PostgreSQL five ways.
 *
 *   bench_pg_shapes CONNINFO [ROWS]
 *
 * ROWS (default 200000) rows of the benchmark table's shape (~300 bytes:
 * bigint id, two ints, a 224-char text, a timestamptz, a numeric, a
 * timestamptz) go into a fresh table per shape, 1000 rows per statement
 * and 5000 rows per transaction (ferry's defaults), over one connection:
 *
 *   values-upsert   INSERT ... VALUES ($1..$7),(...) x1000 ON CONFLICT (id)
 *                   DO UPDATE SET ...: 7000 text parameters, unnamed
 *                   statement (parsed and planned every time): what
 *                   ferry's pg_sink sends while streaming
 *   values-upsert-prepared   the same text, prepared once
 *   values-insert   the same without ON CONFLICT
 *   unnest-upsert   INSERT ... SELECT * FROM unnest($1::bigint[], ...)
 *                   ON CONFLICT ... DO UPDATE: 7 array parameters
 *   copy            COPY FROM STDIN (text), no conflict handling
 *
 * and for each prints rows/s and the CPU seconds the server backend used
 * (read from /proc, so client and server must share the machine).  It
 * does not use ferry's code: it tells the sink's owners what a change of
 * statement shape would buy on this machine.
 *
 * Exit: 0, 1 a statement failed, 2 usage.
 */
#include <unistd.h>

#include "bench_db.h"

#define PER_STMT 1000
#define PER_TXN 5000
#define NCOL 7

static PGconn *conn;
static int backend_pid;

static double backend_cpu(void)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", backend_pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	/* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void die(PGresult *r, const char *what)
{
	fprintf(stderr, "bench_pg_shapes: %s: %s", what,
		r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
	exit(1);
}

static void exec_ok(const char *sql)
{
	PGresult *r = PQexec(conn, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		die(r, sql);
	PQclear(r);
}

/* the text values of row `id`, as bench_writer makes them */
static void row_values(long long id, char v[NCOL][256])
{
	static const char hex[] = "0123456789abcdef";
	char note[225];

	snprintf(v[0], 256, "%lld", id);
	snprintf(v[1], 256, "%lld", id % 1000);
	snprintf(v[2], 256, "%lld", (id * 7) % 100000);
	for (int i = 0; i < 224; i++)	/* 224 chars, like repeat(md5, 7) */
		note[i] = hex[(unsigned)(id * 31 + i * 7) % 16];
	note[224] = '\0';
	snprintf(v[3], 256, "%s", note);
	snprintf(v[4], 256, "2024-01-01 00:00:00+00");
	snprintf(v[5], 256, "%lld.%02lld", (id % 100000) / 100, id % 100);
	snprintf(v[6], 256, "2026-01-01 12:00:00.123456+00");
}

static const char *cols = "id, a, b, note, created, amount, src_ts";
static const char *set = "a = EXCLUDED.a, b = EXCLUDED.b, note = "
	"EXCLUDED.note, created = EXCLUDED.created, amount = "
	"EXCLUDED.amount, src_ts = EXCLUDED.src_ts";

static char *values_sql(const char *table, bool upsert)
{
	size_t cap = 64 * PER_STMT * NCOL + 1024, n;
	char *s = malloc(cap);
	int p = 1;

	n = (size_t)snprintf(s, cap, "INSERT INTO %s (%s) VALUES ", table,
			     cols);
	for (int r = 0; r < PER_STMT; r++) {
		n += (size_t)snprintf(s + n, cap - n, r ? ",(" : "(");
		for (int c = 0; c < NCOL; c++)
			n += (size_t)snprintf(s + n, cap - n,
					      c ? ",$%d" : "$%d", p++);
		n += (size_t)snprintf(s + n, cap - n, ")");
	}
	if (upsert)
		snprintf(s + n, cap - n, " ON CONFLICT (id) DO UPDATE SET %s",
			 set);
	return s;
}

enum shape { VALUES_UPSERT, VALUES_PREPARED, VALUES_INSERT, UNNEST, COPY };

static void run(enum shape sh, const char *name, long long rows)
{
	static char v[PER_STMT * NCOL][256];
	static const char *vals[PER_STMT * NCOL];
	char table[64], sql[1024], *text = NULL;
	double c0, c1;
	int64_t t0, t1;

	snprintf(table, sizeof(table), "shape_%d", (int)sh);
	snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s; CREATE TABLE %s "
		 "(id bigint PRIMARY KEY, a integer NOT NULL, b integer NOT "
		 "NULL, note text NOT NULL, created timestamptz NOT NULL, "
		 "amount numeric(12,2) NOT NULL, src_ts timestamptz NOT NULL)",
		 table, table);
	exec_ok(sql);
	exec_ok("CHECKPOINT");
	if (sh == VALUES_UPSERT || sh == VALUES_PREPARED ||
	    sh == VALUES_INSERT)
		text = values_sql(table, sh != VALUES_INSERT);
	if (sh == VALUES_PREPARED) {
		PGresult *r = PQprepare(conn, "ins", text, 0, NULL);

		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			die(r, "prepare");
		PQclear(r);
	}
	c0 = backend_cpu();
	t0 = bench_now_ns();
	for (long long base = 1; base <= rows; base += PER_STMT) {
		PGresult *r = NULL;

		if ((base - 1) % PER_TXN == 0)
			exec_ok("BEGIN");
		if (sh == COPY) {
			char line[1024];
			size_t n;

			snprintf(sql, sizeof(sql), "COPY %s (%s) FROM STDIN",
				 table, cols);
			r = PQexec(conn, sql);
			if (PQresultStatus(r) != PGRES_COPY_IN)
				die(r, "copy");
			PQclear(r);
			for (int i = 0; i < PER_STMT; i++) {
				row_values(base + i, v);
				n = (size_t)snprintf(line, sizeof(line),
					"%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v[0],
					v[1], v[2], v[3], v[4], v[5], v[6]);
				if (PQputCopyData(conn, line, (int)n) != 1)
					die(NULL, "copy data");
			}
			if (PQputCopyEnd(conn, NULL) != 1)
				die(NULL, "copy end");
			r = PQgetResult(conn);
		} else if (sh == UNNEST) {
			/* one array literal per column: {v,v,...} */
			static char arr[NCOL][PER_STMT * 260 + 16];
			size_t len[NCOL];
			const char *av[NCOL];

			for (int c = 0; c < NCOL; c++) {
				arr[c][0] = '{';
				len[c] = 1;
			}
			for (int i = 0; i < PER_STMT; i++) {
				row_values(base + i, v);
				for (int c = 0; c < NCOL; c++)
					len[c] += (size_t)snprintf(
						arr[c] + len[c],
						sizeof(arr[c]) - len[c],
						i ? ",\"%s\"" : "\"%s\"", v[c]);
			}
			for (int c = 0; c < NCOL; c++) {
				snprintf(arr[c] + len[c], sizeof(arr[c]) - len[c],
					 "}");
				av[c] = arr[c];
			}
			snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) SELECT * "
				 "FROM unnest($1::bigint[], $2::int[], "
				 "$3::int[], $4::text[], $5::timestamptz[], "
				 "$6::numeric[], $7::timestamptz[]) ON CONFLICT "
				 "(id) DO UPDATE SET %s", table, cols, set);
			r = PQexecParams(conn, sql, NCOL, NULL, av, NULL, NULL,
					 0);
		} else {
			for (int i = 0; i < PER_STMT; i++) {
				row_values(base + i, &v[i * NCOL]);
				for (int c = 0; c < NCOL; c++)
					vals[i * NCOL + c] = v[i * NCOL + c];
			}
			if (sh == VALUES_PREPARED)
				r = PQexecPrepared(conn, "ins", PER_STMT * NCOL,
						   vals, NULL, NULL, 0);
			else
				r = PQexecParams(conn, text, PER_STMT * NCOL,
						 NULL, vals, NULL, NULL, 0);
		}
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			die(r, name);
		PQclear(r);
		if ((base - 1 + PER_STMT) % PER_TXN == 0 ||
		    base + PER_STMT > rows)
			exec_ok("COMMIT");
	}
	t1 = bench_now_ns();
	c1 = backend_cpu();
	if (sh == VALUES_PREPARED)
		exec_ok("DEALLOCATE ins");
	snprintf(sql, sizeof(sql), "DROP TABLE %s", table);
	exec_ok(sql);
	printf("%-24s %9.0f rows/s   server backend cpu %5.2f s (%.1f us/row)\n",
	       name, (double)rows * 1e9 / (double)(t1 - t0), c1 - c0,
	       (c1 - c0) * 1e6 / (double)rows);
	free(text);
}

int main(int argc, char **argv)
{
	long long rows = 200000;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_pg_shapes CONNINFO [ROWS]\n");
		return 2;
	}
	if (argc == 3)
		rows = atoll(argv[2]);
	rows -= rows % PER_TXN;
	if (rows < PER_TXN)
		rows = PER_TXN;
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK)
		die(NULL, "connect");
	backend_pid = PQbackendPID(conn);
	printf("# %lld rows, %d per statement, %d per transaction; text "
	       "parameters\n", rows, PER_STMT, PER_TXN);
	run(VALUES_UPSERT, "values-upsert (ferry)", rows);
	run(VALUES_PREPARED, "values-upsert-prepared", rows);
	run(VALUES_INSERT, "values-insert", rows);
	run(UNNEST, "unnest-upsert", rows);
	run(COPY, "copy", rows);
	PQfinish(conn);
	return 0;
}
