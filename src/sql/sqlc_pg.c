/*
 * sqlc_pg.c - the PostgreSQL backend of the small SQL client (sqlc.h),
 * over libpq.  Connecting goes through pgc_connect() so that the session
 * has the settings every ferry PostgreSQL session has (UTF8, ISO dates,
 * UTC, ...); statements run with PQexec, whose result already holds every
 * value as text: the struct sqlc_result only indexes it.
 */
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "../pg/pg_conn.h"
#include "ferry/mem.h"
#include "sqlc_int.h"

struct pg_impl {
	struct sqlc_impl base;	/* first */
	PGresult *res;
};

static void pg_impl_free(struct sqlc_impl *impl)
{
	struct pg_impl *p = (struct pg_impl *)impl;

	PQclear(p->res);
	free(p);
}

static int pg_query(struct sqlc *c, const char *sql, struct sqlc_result *res,
		    struct err *e)
{
	PGresult *r = PQexec(c->conn, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	struct pg_impl *impl;
	const char **names;
	size_t nrows, ncols;
	int rc;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rc = pgc_error(c->conn, r, "query failed", e);
		PQclear(r);
		return rc;
	}
	if (!res) {
		PQclear(r);
		return 0;
	}
	nrows = (size_t)PQntuples(r);
	ncols = (size_t)PQnfields(r);
	rc = sqlc_alloc_vals(nrows, ncols, &res->vals, e);
	if (rc) {
		PQclear(r);
		return rc;
	}
	names = xcalloc(ncols ? ncols : 1, sizeof(*names));
	for (size_t j = 0; j < ncols; j++)
		names[j] = PQfname(r, (int)j);
	for (size_t i = 0; i < nrows; i++)
		for (size_t j = 0; j < ncols; j++)
			res->vals[i * ncols + j] =
				PQgetisnull(r, (int)i, (int)j) ? NULL :
				PQgetvalue(r, (int)i, (int)j);
	impl = xcalloc(1, sizeof(*impl));
	impl->base.free = pg_impl_free;
	impl->res = r;
	res->impl = &impl->base;
	res->names = names;
	res->nrows = nrows;
	res->ncols = ncols;
	return 0;
}

static int pg_quote(struct sqlc *c, struct buf *out, const char *s)
{
	char *q = PQescapeLiteral(c->conn, s, strlen(s));
	int rc;

	if (!q)
		return FERRY_ESQL;
	rc = buf_puts(out, q);
	PQfreemem(q);
	return rc;
}

static void pg_close(struct sqlc *c)
{
	PQfinish(c->conn);
	free(c);
}

static const struct sqlc_ops pg_ops = {
	.query = pg_query,
	.quote = pg_quote,
	.close = pg_close,
};

int sqlc_pg_connect(const struct config_db *db, const char *password,
		    const char *application_name, struct sqlc **out,
		    struct err *e)
{
	PGconn *conn;
	struct sqlc *c;
	int rc;

	rc = pgc_connect(db, password ? password : "", false,
			 application_name, &conn, e);
	if (rc)
		return rc;
	c = xcalloc(1, sizeof(*c));
	c->ops = &pg_ops;
	c->driver = CONFIG_DRIVER_POSTGRESQL;
	c->conn = conn;
	*out = c;
	return 0;
}
