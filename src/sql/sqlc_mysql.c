/*
 * sqlc_mysql.c - the MySQL / MariaDB backend of the small SQL client
 * (sqlc.h), over MariaDB Connector/C.
 *
 * Statements run with mysql_real_query(); rows are fetched whole with
 * mysql_store_result(), whose MYSQL_ROW arrays stay valid until the
 * result is freed, so the struct sqlc_result only indexes them (walking
 * the row list once: mysql_data_seek() would be linear per call).
 *
 * The session is set up the way mysql_sink.c sets up its own: utf8mb4
 * (checked after connecting), UTC, no silent reconnect, no LOCAL INFILE,
 * and TLS as the config's sslmode says (Connector/C has no "verify the CA
 * but not the host name": verify-ca checks both).
 */
#include <mysql.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"
#include "sqlc_int.h"

struct my_impl {
	struct sqlc_impl base;	/* first */
	MYSQL_RES *res;
};

static void my_impl_free(struct sqlc_impl *impl)
{
	struct my_impl *p = (struct my_impl *)impl;

	mysql_free_result(p->res);
	free(p);
}

/* FERRY_ECONN for the client errors (2000..2999: the connection),
 * FERRY_ESQL for the server's. */
static int my_error(MYSQL *m, const char *what, struct err *e)
{
	unsigned int no = mysql_errno(m);
	const char *msg = mysql_error(m);

	return err_set(e, no >= 2000 && no < 3000 ? FERRY_ECONN : FERRY_ESQL,
		       "%s: %s (errno %u)", what, msg && *msg ? msg : "?",
		       no);
}

static int my_query(struct sqlc *c, const char *sql, struct sqlc_result *res,
		    struct err *e)
{
	MYSQL *m = c->conn;
	struct my_impl *impl;
	MYSQL_FIELD *fields;
	const char **names;
	MYSQL_RES *r;
	MYSQL_ROW row;
	size_t nrows, ncols;
	int rc;

	if (mysql_real_query(m, sql, strlen(sql)))
		return my_error(m, "query failed", e);
	r = mysql_store_result(m);
	if (!r) {
		if (mysql_field_count(m) != 0)
			return my_error(m, "could not read the result", e);
		return 0;	/* a statement without rows */
	}
	if (!res) {
		mysql_free_result(r);
		return 0;
	}
	nrows = (size_t)mysql_num_rows(r);
	ncols = mysql_num_fields(r);
	rc = sqlc_alloc_vals(nrows, ncols, &res->vals, e);
	if (rc) {
		mysql_free_result(r);
		return rc;
	}
	fields = mysql_fetch_fields(r);
	names = xcalloc(ncols ? ncols : 1, sizeof(*names));
	for (size_t j = 0; j < ncols; j++)
		names[j] = fields[j].name;
	for (size_t i = 0; i < nrows && (row = mysql_fetch_row(r)); i++)
		for (size_t j = 0; j < ncols; j++)
			res->vals[i * ncols + j] = row[j];
	impl = xcalloc(1, sizeof(*impl));
	impl->base.free = my_impl_free;
	impl->res = r;
	res->impl = &impl->base;
	res->names = names;
	res->nrows = nrows;
	res->ncols = ncols;
	return 0;
}

static int my_quote(struct sqlc *c, struct buf *out, const char *s)
{
	size_t len = strlen(s), need;
	unsigned long n;
	int rc;

	/* worst case every byte escaped, plus the quotes */
	if (st_mult(len, 2, &need) || st_add(need, 3, &need))
		return FERRY_EFULL;
	rc = buf_reserve(out, need);
	if (rc)
		return rc;
	out->data[out->len++] = '\'';
	n = mysql_real_escape_string(c->conn, out->data + out->len, s,
				     (unsigned long)len);
	if (n == (unsigned long)-1) {
		out->data[--out->len] = '\0';
		return FERRY_ESQL;
	}
	out->len += n;
	out->data[out->len++] = '\'';
	out->data[out->len] = '\0';
	return 0;
}

static void my_close(struct sqlc *c)
{
	mysql_close(c->conn);
	free(c);
}

static const struct sqlc_ops my_ops = {
	.query = my_query,
	.quote = my_quote,
	.close = my_close,
};

static void set_tls(MYSQL *m, const struct config_db *db)
{
	my_bool on = 1, off = 0;

	switch (db->sslmode) {
	case CONFIG_SSL_DEFAULT:
		if (!db->ssl_ca)
			return;
		/* a CA given without a mode: verify with it */
		/* fall through */
	case CONFIG_SSL_VERIFY_CA:
	case CONFIG_SSL_VERIFY_FULL:
		mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
		mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
		break;
	case CONFIG_SSL_DISABLE:
		mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &off);
		mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
		return;
	case CONFIG_SSL_ALLOW:
	case CONFIG_SSL_PREFER:
	case CONFIG_SSL_REQUIRE:
		mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
		mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
		break;
	}
	if (db->ssl_ca)
		mysql_optionsv(m, MYSQL_OPT_SSL_CA, db->ssl_ca);
}

int sqlc_my_connect(const struct config_db *db, const char *password,
		    const char *application_name, struct sqlc **out,
		    struct err *e)
{
	const char *host = db->host, *sock = NULL;
	unsigned int timeout = 10, local_infile = 0;
	my_bool off = 0;
	struct sqlc *c;
	MYSQL *m;
	int rc;

	m = mysql_init(NULL);
	if (!m)
		return err_set(e, FERRY_ENOMEM, "could not allocate a MySQL "
			       "connection");
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off);
	mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
	mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
		       application_name ? application_name : "ferry");
	set_tls(m, db);
	if (host && host[0] == '/') {
		sock = host;	/* a Unix socket path */
		host = "localhost";
	}
	if (!mysql_real_connect(m, host, db->user,
				password && *password ? password : NULL,
				db->database, (unsigned)db->port, sock, 0)) {
		rc = err_set(e, FERRY_ECONN, "could not connect to MySQL at "
			     "%s:%d database \"%s\" as \"%s\": %s (errno %u)",
			     db->host, db->port, db->database, db->user,
			     mysql_error(m), mysql_errno(m));
		mysql_close(m);
		return rc;
	}
	c = xcalloc(1, sizeof(*c));
	c->ops = &my_ops;
	c->driver = CONFIG_DRIVER_MYSQL;
	c->conn = m;
	if (db->sslmode == CONFIG_SSL_REQUIRE && !mysql_get_ssl_cipher(m)) {
		rc = err_set(e, FERRY_ECONN, "could not connect to MySQL at "
			     "%s:%d: the server does not offer TLS and sslmode "
			     "is require", db->host, db->port);
		goto fail;
	}
	if (strcmp(mysql_character_set_name(m), "utf8mb4") != 0) {
		rc = err_set(e, FERRY_ECONFIG, "MySQL at %s:%d does not accept "
			     "character set utf8mb4 (got %s)", db->host,
			     db->port, mysql_character_set_name(m));
		goto fail;
	}
	rc = my_query(c, "SET SESSION time_zone = '+00:00'", NULL, e);
	if (rc) {
		err_prefix(e, "could not set up the MySQL session");
		goto fail;
	}
	*out = c;
	return 0;
fail:
	my_close(c);
	return rc;
}
