/*
 * sqlc_int.h - what the generic part of the SQL client (sqlc.c) and its
 * driver backends (sqlc_pg.c, sqlc_mysql.c) share.  Private to src/sql.
 */
#ifndef FERRY_SQLC_INT_H
#define FERRY_SQLC_INT_H

#include "ferry/buf.h"
#include "ferry/config.h"
#include "ferry/err.h"
#include "ferry/sqlc.h"

/* The driver's result behind a struct sqlc_result; a backend embeds it
 * as the first member of its own result struct. */
struct sqlc_impl {
	void (*free)(struct sqlc_impl *impl);
};

struct sqlc_ops {
	/* fill `res` (names, nrows, ncols, vals, impl) or fail; `res` may
	 * be NULL (rows discarded) */
	int (*query)(struct sqlc *c, const char *sql, struct sqlc_result *res,
		     struct err *e);
	int (*quote)(struct sqlc *c, struct buf *out, const char *s);
	void (*close)(struct sqlc *c);
};

struct sqlc {
	const struct sqlc_ops *ops;
	enum config_driver driver;
	void *conn;		/* PGconn * or MYSQL * */
};

int sqlc_pg_connect(const struct config_db *db, const char *password,
		    const char *application_name, struct sqlc **out,
		    struct err *e) FERRY_MUSTCHECK;
int sqlc_my_connect(const struct config_db *db, const char *password,
		    const char *application_name, struct sqlc **out,
		    struct err *e) FERRY_MUSTCHECK;

/* nrows * ncols value pointers, zeroed; FERRY_ENOMEM on overflow. */
int sqlc_alloc_vals(size_t nrows, size_t ncols, char ***out, struct err *e)
	FERRY_MUSTCHECK;

#endif
