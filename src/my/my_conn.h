/*
 * my_conn.h - one MySQL / MariaDB connection opened the way every part of
 * ferry opens one (source, sink, the SQL client): utf8mb4, no silent
 * reconnect, no LOCAL INFILE, TLS as the config's sslmode says.  Private
 * to src/my, src/source, src/sink and src/sql (it exposes Connector/C's
 * types, which include/ never does), like ../pg/pg_conn.h.
 */
#ifndef FERRY_MY_CONN_H
#define FERRY_MY_CONN_H

#include <mysql.h>

#include "ferry/config.h"
#include "ferry/err.h"

struct my_conn_params {
	const struct config_db *db;
	const char *password;		/* NULL or "": none */
	const char *application_name;	/* NULL: "ferry" */
	unsigned int read_timeout;	/* seconds; 0: the library's */
	unsigned long flags;		/* mysql_real_connect() client flags */
	const char *what;		/* in messages: "MySQL", "the source" */
};

/*
 * Connect; *out is set (release with mysql_close()) even when this fails
 * after mysql_init(), so the caller closes it either way.  FERRY_ECONN
 * names host, port, database and user with the library's message; with
 * sslmode require, a server without TLS is FERRY_ECONN too.
 */
int my_conn_open(const struct my_conn_params *p, MYSQL **out, struct err *e)
	FERRY_MUSTCHECK;

#endif
