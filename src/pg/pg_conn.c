/*
 * pg_conn.c - shared libpq plumbing of the PostgreSQL source and sink.
 */
#include "pg_conn.h"

#include <stdio.h>
#include <string.h>

#include "ferry/buf.h"
#include "ferry/log.h"

/* Server notices ("relation already exists, skipping") are not ours to
 * print on stderr: they go to the log at debug level, one line each. */
static void on_notice(void *arg, const char *msg)
{
	size_t len = strlen(msg);

	(void)arg;
	while (len && msg[len - 1] == '\n')
		len--;
	log_debug("postgresql", "server notice: %.*s", (int)len, msg);
}

static const char *sslmode_text(enum config_sslmode m)
{
	return m == CONFIG_SSL_DEFAULT ? NULL : config_sslmode_name(m);
}

int pgc_connect(const struct config_db *db, const char *password,
		bool replication, const char *application_name,
		PGconn **out, struct err *e)
{
	/* pinned so that the text values ferry decodes and encodes mean
	 * the same on every server, whatever its configuration */
	static const char options[] =
		"-c datestyle=ISO -c timezone=UTC -c extra_float_digits=3 "
		"-c bytea_output=hex -c intervalstyle=postgres";
	const char *keys[16], *vals[16];
	char port[16];
	int n = 0;
	PGconn *c;

	snprintf(port, sizeof(port), "%d", db->port);
	keys[n] = "host"; vals[n++] = db->host;
	keys[n] = "port"; vals[n++] = port;
	keys[n] = "user"; vals[n++] = db->user;
	keys[n] = "dbname"; vals[n++] = db->database;
	keys[n] = "client_encoding"; vals[n++] = "UTF8";
	keys[n] = "options"; vals[n++] = options;
	keys[n] = "application_name";
	vals[n++] = application_name ? application_name : "ferry";
	keys[n] = "connect_timeout"; vals[n++] = "10";
	if (password && *password) {
		keys[n] = "password";
		vals[n++] = password;
	}
	if (sslmode_text(db->sslmode)) {
		keys[n] = "sslmode";
		vals[n++] = sslmode_text(db->sslmode);
	}
	if (db->ssl_ca) {
		keys[n] = "sslrootcert";
		vals[n++] = db->ssl_ca;
	}
	if (replication) {
		keys[n] = "replication";
		vals[n++] = "database";
	}
	keys[n] = NULL;
	vals[n] = NULL;
	c = PQconnectdbParams(keys, vals, 0);
	if (!c)
		return err_set(e, FERRY_ENOMEM, "could not allocate a libpq "
			       "connection");
	if (PQstatus(c) != CONNECTION_OK) {
		char msg[512];
		size_t len;

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
		len = strlen(msg);
		while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
			msg[--len] = '\0';
		PQfinish(c);
		return err_set(e, FERRY_ECONN,
			       "could not connect to PostgreSQL at %s:%d "
			       "database \"%s\" as \"%s\"%s: %s", db->host,
			       db->port, db->database, db->user,
			       replication ? " (replication)" : "", msg);
	}
	PQsetNoticeProcessor(c, on_notice, NULL);
	*out = c;
	return 0;
}

const char *pgc_sqlstate(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

int pgc_error(PGconn *c, const PGresult *r, const char *what, struct err *e)
{
	const char *msg = r ? PQresultErrorMessage(r) : "";
	char text[768];
	size_t len;

	if (!msg || !*msg)
		msg = PQerrorMessage(c);
	snprintf(text, sizeof(text), "%s", msg ? msg : "");
	len = strlen(text);
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (PQstatus(c) != CONNECTION_OK)
		return err_set(e, FERRY_ECONN, "%s: connection lost: %s", what,
			       text);
	/* transient by nature: the connection is gone or going (class 08,
	 * 57: admin shutdown, crash), or retrying will do (40: deadlock,
	 * serialization).  The caller restarts from the checkpoint. */
	if (!strncmp(pgc_sqlstate(r), "08", 2) ||
	    !strncmp(pgc_sqlstate(r), "57", 2) ||
	    !strncmp(pgc_sqlstate(r), "40", 2))
		return err_set(e, FERRY_ECONN, "%s: %s (SQLSTATE %s)", what,
			       text, pgc_sqlstate(r));
	if (*pgc_sqlstate(r))
		return err_set(e, FERRY_ESQL, "%s: %s (SQLSTATE %s)", what,
			       text, pgc_sqlstate(r));
	return err_set(e, FERRY_ESQL, "%s: %s", what, text);
}

int pgc_exec(PGconn *c, const char *sql, ExecStatusType want,
	     PGresult **res, const char *what, struct err *e)
{
	PGresult *r = PQexec(c, sql);
	int rc = 0;

	if (!r || PQresultStatus(r) != want)
		rc = pgc_error(c, r, what, e);
	if (res && !rc)
		*res = r;
	else
		PQclear(r);
	return rc;
}

int pgc_quote_ident(struct buf *out, const char *ident)
{
	int rc = buf_putc(out, '"');

	for (const char *p = ident; *p && !rc; p++)
		rc = *p == '"' ? buf_puts(out, "\"\"") : buf_putc(out, *p);
	return rc ? rc : buf_putc(out, '"');
}
