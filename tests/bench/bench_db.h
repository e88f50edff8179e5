/*
 * bench_db.h - the little the benchmark programs need from PostgreSQL and
 * MariaDB: connect from a "key=value ..." string, run a statement, read
 * one integer.  Header-only (static inline) so that each program under tests/bench
 * stays one program with its own main().
 *
 *   DRIVER "pg": CONN is a libpq conninfo string.
 *   DRIVER "my": CONN is "host=H port=P user=U password=W dbname=D"
 *                (the same keys as libpq, nothing else).
 */
#ifndef FERRY_BENCH_DB_H
#define FERRY_BENCH_DB_H

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bdb {
	bool is_pg;
	PGconn *pg;
	MYSQL *my;
	char err[512];
};

static inline int64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* the value of KEY in "k=v k=v", copied into OUT; "" if absent */
static inline void bench_kv(const char *conn, const char *key, char *out,
			    size_t n)
{
	size_t kl = strlen(key);
	const char *p = conn;

	out[0] = '\0';
	while (*p) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t i = 0;

			p += kl + 1;
			while (*p && *p != ' ' && i + 1 < n)
				out[i++] = *p++;
			out[i] = '\0';
			return;
		}
		while (*p && *p != ' ')
			p++;
	}
}

static inline int bdb_connect(struct bdb *d, const char *driver,
			      const char *conn)
{
	memset(d, 0, sizeof(*d));
	if (strcmp(driver, "pg") == 0) {
		d->is_pg = true;
		d->pg = PQconnectdb(conn);
		if (PQstatus(d->pg) != CONNECTION_OK) {
			snprintf(d->err, sizeof(d->err), "%s",
				 PQerrorMessage(d->pg));
			return -1;
		}
		return 0;
	}
	if (strcmp(driver, "my") == 0) {
		char host[128], port[16], user[64], pw[128], db[128];

		bench_kv(conn, "host", host, sizeof(host));
		bench_kv(conn, "port", port, sizeof(port));
		bench_kv(conn, "user", user, sizeof(user));
		bench_kv(conn, "password", pw, sizeof(pw));
		bench_kv(conn, "dbname", db, sizeof(db));
		d->my = mysql_init(NULL);
		if (!d->my ||
		    !mysql_real_connect(d->my, host, user, pw, db,
					(unsigned)atoi(port), NULL, 0)) {
			snprintf(d->err, sizeof(d->err), "%s",
				 d->my ? mysql_error(d->my) : "mysql_init");
			return -1;
		}
		return 0;
	}
	snprintf(d->err, sizeof(d->err), "unknown driver %s", driver);
	return -1;
}

static inline void bdb_close(struct bdb *d)
{
	if (d->pg)
		PQfinish(d->pg);
	if (d->my)
		mysql_close(d->my);
	d->pg = NULL;
	d->my = NULL;
}

/*
 * Run SQL.  If VAL is not NULL, the first column of the first row is
 * parsed into it (NULL or no row: 0).  Returns 0, or -1 with d->err set.
 */
static inline int bdb_query(struct bdb *d, const char *sql, int64_t *val)
{
	const char *v = NULL;

	if (val)
		*val = 0;
	if (d->is_pg) {
		PGresult *r = PQexec(d->pg, sql);
		ExecStatusType st = PQresultStatus(r);

		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			snprintf(d->err, sizeof(d->err), "%s",
				 PQresultErrorMessage(r));
			PQclear(r);
			return -1;
		}
		if (val && st == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
		    !PQgetisnull(r, 0, 0))
			v = PQgetvalue(r, 0, 0);
		if (v)
			*val = strtoll(v, NULL, 10);
		PQclear(r);
		return 0;
	}
	if (mysql_query(d->my, sql)) {
		snprintf(d->err, sizeof(d->err), "%s", mysql_error(d->my));
		return -1;
	}
	{
		MYSQL_RES *r = mysql_store_result(d->my);

		if (r) {
			MYSQL_ROW row = mysql_fetch_row(r);

			if (val && row && row[0])
				*val = strtoll(row[0], NULL, 10);
			mysql_free_result(r);
		} else if (mysql_field_count(d->my) != 0) {
			snprintf(d->err, sizeof(d->err), "%s",
				 mysql_error(d->my));
			return -1;
		}
	}
	return 0;
}

/* after a failed query: is the connection still usable? */
static inline bool bdb_ok(struct bdb *d)
{
	if (d->is_pg)
		return PQstatus(d->pg) == CONNECTION_OK;
	return mysql_ping(d->my) == 0;
}

#endif
