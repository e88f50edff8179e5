/*
 * pg_conn.h - what the PostgreSQL source and sink share: connecting with
 * ferry's session settings, running a statement and turning a libpq
 * failure into a struct err.  Private to src/pg, src/source and src/sink
 * (it exposes libpq types, which include/ never does).
 */
#ifndef FERRY_PG_CONN_H
#define FERRY_PG_CONN_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "ferry/config.h"
#include "ferry/err.h"

/*
 * Connect to `db` with `password` ("" for none).  `replication` opens a
 * walsender connection (replication=database).  The session is pinned to
 * what ferry's text values assume: UTF8, DateStyle ISO, TimeZone UTC,
 * extra_float_digits 3, bytea_output hex.  FERRY_ECONN on failure, with
 * the server's message (never the password).
 */
int pgc_connect(const struct config_db *db, const char *password,
		bool replication, const char *application_name,
		PGconn **out, struct err *e) FERRY_MUSTCHECK;

/* Run `sql` (no parameters) and expect `want` (PGRES_COMMAND_OK or
 * PGRES_TUPLES_OK); the result is returned in *res when res is not
 * NULL, else cleared.  FERRY_ECONN if the connection broke, FERRY_ESQL
 * otherwise; the message starts with `what`. */
int pgc_exec(PGconn *c, const char *sql, ExecStatusType want,
	     PGresult **res, const char *what, struct err *e)
	FERRY_MUSTCHECK;

/* FERRY_ECONN or FERRY_ESQL for a failed result or connection, with
 * "<what>: <server message> (SQLSTATE xxxxx)". */
int pgc_error(PGconn *c, const PGresult *r, const char *what, struct err *e);

/* Quote an identifier ("a""b") into `out` (appends). */
struct buf;
int pgc_quote_ident(struct buf *out, const char *ident) FERRY_MUSTCHECK;

/* SQLSTATE of a result, "" if none. */
const char *pgc_sqlstate(const PGresult *r);

#endif
