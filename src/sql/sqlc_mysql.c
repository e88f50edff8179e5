/*
 * sqlc_mysql.c - the MySQL / MariaDB backend of the small SQL client
 * (sqlc.h), over MariaDB Connector/C.
 *
 * Statements run with mysql_real_query(); rows are fetched whole with
 * mysql_store_result(), whose MYSQL_ROW arrays stay valid until the
 * result is freed, so the struct sqlc_result only indexes them (walking
 * the row list once: mysql_data_seek() would be linear per call).
 *
 * The connection is opened by my_conn_open() like every other of ferry's;
 * the session is then checked for utf8mb4 and set to UTC, as
 * mysql_sink.c sets up its own.
 */
#include <mysql.h>
#include <stdlib.h>
#include <string.h>

#include "../my/my_conn.h"
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

int sqlc_my_connect(const struct config_db *db, const char *password,
		    const char *application_name, struct sqlc **out,
		    struct err *e)
{
	const struct my_conn_params cp = {
		.db = db,
		.password = password,
		.application_name = application_name,
		.what = "MySQL",
	};
	struct sqlc *c;
	MYSQL *m;
	int rc;

	rc = my_conn_open(&cp, &m, e);
	if (rc) {
		mysql_close(m);
		return rc;
	}
	c = xcalloc(1, sizeof(*c));
	c->ops = &my_ops;
	c->driver = CONFIG_DRIVER_MYSQL;
	c->conn = m;
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
