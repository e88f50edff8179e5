/*
 * sqlc.h - a small SQL client over either driver, for the tools that
 * read or seed a database with plain statements (`ferry verify`, test
 * helpers): connect, run a statement, get its rows as text.
 *
 * Not for the replication paths: the sources and sinks talk to their
 * drivers directly (they need COPY, the binlog, pipelining ...).  This
 * layer is the smallest thing that lets one piece of code read the same
 * tables from PostgreSQL and from MySQL/MariaDB.
 *
 * One backend per driver (src/sql/sqlc_pg.c over libpq, reusing
 * pgc_connect() and its session settings; src/sql/sqlc_mysql.c over
 * MariaDB Connector/C).  No driver type appears here.
 *
 * Values are the servers' text forms, with the session pinned so that
 * they agree where it matters: UTF-8 (utf8mb4), time zone UTC, ISO dates.
 * Integers are plain decimal on both.  SQL NULL is a NULL pointer.
 *
 * Errors: FERRY_ECONN when the server cannot be reached or the connection
 * broke (a retry may help), FERRY_ESQL when a statement failed, with the
 * server's message; FERRY_ENOMEM for a result too large to index.  A
 * message never contains the password.
 *
 * Threading: a connection is used by one thread at a time.  Every call
 * blocks until the server answers.
 */
#ifndef FERRY_SQLC_H
#define FERRY_SQLC_H

#include <stddef.h>

#include "ferry/config.h"
#include "ferry/err.h"

struct buf;
struct sqlc;
struct sqlc_impl;

/*
 * A result held in memory: `nrows` rows of `ncols` text values.  Read
 * `names`, `nrows`, `ncols` directly and values through sqlc_value();
 * everything is borrowed from the result and valid until
 * sqlc_result_release().  Column names are as the server reports them
 * (PostgreSQL folds unquoted names to lower case, MySQL keeps the case
 * written in the query: select lower-case names to be portable).
 */
struct sqlc_result {
	size_t nrows;
	size_t ncols;
	const char *const *names;	/* ncols entries */
	/* do not touch: */
	char **vals;			/* nrows * ncols, row-major */
	struct sqlc_impl *impl;		/* the driver's result */
};

/*
 * Connect to `db` with `password` ("" or NULL: none).  `application_name`
 * (may be NULL: "ferry") shows in pg_stat_activity / the MySQL processlist
 * connect attributes.  PostgreSQL sessions get pgc_connect()'s settings;
 * MySQL sessions utf8mb4, time_zone '+00:00', no automatic reconnect
 * (a lost connection is an error, never a silent new session) and no
 * LOCAL INFILE.  `*out` is released with sqlc_close().
 */
int sqlc_connect(const struct config_db *db, const char *password,
		 const char *application_name, struct sqlc **out,
		 struct err *e) FERRY_MUSTCHECK;

/* Close the connection (an open transaction rolls back).  NULL is a
 * no-op. */
void sqlc_close(struct sqlc *c);

/* The driver the connection speaks. */
enum config_driver sqlc_driver(const struct sqlc *c);

/*
 * Run one statement (no parameters; several statements in one string are
 * not supported).  With `res` non-NULL the rows are stored there (an
 * empty result for a statement without rows); release them with
 * sqlc_result_release(), also after an error (then it is empty).  With
 * `res` NULL any rows are discarded.
 */
int sqlc_query(struct sqlc *c, const char *sql, struct sqlc_result *res,
	       struct err *e) FERRY_MUSTCHECK;

/* Value of row `row`, column `col` (both in range: checked by assert),
 * NULL for SQL NULL.  Borrowed until sqlc_result_release(). */
const char *sqlc_value(const struct sqlc_result *r, size_t row, size_t col);

/* Pointer to the `ncols` values of row `row` (NULL entries = SQL NULL),
 * for callers that hand a whole row on. */
char **sqlc_row(const struct sqlc_result *r, size_t row);

/* Index of the column named `name` (exact, case-sensitive), or -1. */
int sqlc_column(const struct sqlc_result *r, const char *name);

void sqlc_result_release(struct sqlc_result *r);

/*
 * Append `s` as an SQL string literal for this connection to `out`
 * ('...' with the driver's escaping: E'...' when PostgreSQL needs it,
 * backslashes doubled for MySQL).  NULL `s` appends NULL.  FERRY_EFULL
 * past the buffer's ceiling, FERRY_ESQL when the driver refuses (invalid
 * encoding).
 */
int sqlc_quote(struct sqlc *c, struct buf *out, const char *s)
	FERRY_MUSTCHECK;

#endif
