/*
 * sqlc.c - the driver-independent part of the small SQL client (see
 * sqlc.h): dispatch to the backend of the configured driver, and the
 * accessors of a stored result.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"
#include "sqlc_int.h"

int sqlc_connect(const struct config_db *db, const char *password,
		 const char *application_name, struct sqlc **out,
		 struct err *e)
{
	*out = NULL;
	switch (db->driver) {
	case CONFIG_DRIVER_POSTGRESQL:
		return sqlc_pg_connect(db, password, application_name, out,
				       e);
	case CONFIG_DRIVER_MYSQL:
		return sqlc_my_connect(db, password, application_name, out,
				       e);
	}
	return err_set(e, FERRY_EINVAL, "unknown database driver %d",
		       (int)db->driver);
}

void sqlc_close(struct sqlc *c)
{
	if (c)
		c->ops->close(c);
}

enum config_driver sqlc_driver(const struct sqlc *c)
{
	return c->driver;
}

int sqlc_query(struct sqlc *c, const char *sql, struct sqlc_result *res,
	       struct err *e)
{
	if (res)
		memset(res, 0, sizeof(*res));
	return c->ops->query(c, sql, res, e);
}

const char *sqlc_value(const struct sqlc_result *r, size_t row, size_t col)
{
	assert(row < r->nrows && col < r->ncols);
	return r->vals[row * r->ncols + col];
}

char **sqlc_row(const struct sqlc_result *r, size_t row)
{
	assert(row < r->nrows);
	return r->vals + row * r->ncols;
}

int sqlc_column(const struct sqlc_result *r, const char *name)
{
	for (size_t i = 0; i < r->ncols && i < INT32_MAX; i++)
		if (strcmp(r->names[i], name) == 0)
			return (int)i;
	return -1;
}

void sqlc_result_release(struct sqlc_result *r)
{
	if (!r)
		return;
	free(r->vals);
	free((void *)r->names);
	if (r->impl)
		r->impl->free(r->impl);
	memset(r, 0, sizeof(*r));
}

int sqlc_quote(struct sqlc *c, struct buf *out, const char *s)
{
	if (!s)
		return buf_puts(out, "NULL");
	return c->ops->quote(c, out, s);
}

int sqlc_alloc_vals(size_t nrows, size_t ncols, char ***out, struct err *e)
{
	size_t n;

	*out = NULL;
	if (st_mult(nrows, ncols, &n) || st_mult(n, sizeof(char *), &n))
		return err_set(e, FERRY_ENOMEM, "result of %zu rows of %zu "
			       "columns is too large", nrows, ncols);
	*out = xcalloc(n ? n : 1, 1);
	return 0;
}
