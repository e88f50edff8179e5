/*
 * t_servers.c - the throwaway servers of tests/run.sh are fit for ferry:
 * password logins over TCP, UTF-8 (4-byte) and NULL round trips, logical
 * WAL and replication connections on PostgreSQL, row binlog with full
 * images and metadata on MariaDB, superuser access through the sockets.
 */
#include <libpq-fe.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* "a", U+1F600 (4 bytes in UTF-8), U+00FC (2 bytes): 7 bytes, 3 chars */
#define TEXT_4B "a\xF0\x9F\x98\x80\xC3\xBC"

/* ---------------------------------------------------------- PostgreSQL */

static PGconn *pg_connect_as(const char *host, const char *user,
			     const char *password, const char *dbname,
			     const char *replication)
{
	const char *keys[] = { "host", "port", "user", "password", "dbname",
			       "connect_timeout", "options", "replication",
			       NULL };
	const char *vals[] = { host, harness_env("FERRY_TEST_PG_PORT"), user,
			       password, dbname, "10",
			       "-c client_min_messages=warning", replication,
			       NULL };

	if (!replication)
		keys[7] = NULL;
	return PQconnectdbParams(keys, vals, 0);
}

static PGconn *pg_connect(const char *replication)
{
	PGconn *c = pg_connect_as(harness_env("FERRY_TEST_PG_HOST"),
				  harness_env("FERRY_TEST_PG_USER"),
				  harness_env("FERRY_TEST_PG_PASSWORD"),
				  harness_env("FERRY_TEST_PG_DB"), replication);

	CHECK_MSG(PQstatus(c) == CONNECTION_OK, "PostgreSQL connect: %s",
		  PQerrorMessage(c));
	return c;
}

static PGresult *pg_exec(PGconn *c, const char *sql, ExecStatusType want)
{
	PGresult *r = PQexec(c, sql);

	CHECK_MSG(PQresultStatus(r) == want, "%s: %s %s", sql,
		  PQresStatus(PQresultStatus(r)), PQerrorMessage(c));
	return r;
}

static void pg_do(PGconn *c, const char *sql)
{
	PQclear(pg_exec(c, sql, PGRES_COMMAND_OK));
}

/* the single value of a one-row, one-column query */
static char *pg_value(PGconn *c, const char *sql)
{
	PGresult *r = pg_exec(c, sql, PGRES_TUPLES_OK);
	char *v;

	CHECK_MSG(PQntuples(r) == 1 && PQnfields(r) == 1,
		  "%s: %d rows, %d columns", sql, PQntuples(r), PQnfields(r));
	v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	CHECK(v != NULL);
	return v;
}

static void check_pg_value(PGconn *c, const char *sql, const char *want)
{
	char *v = pg_value(c, sql);

	CHECK_MSG(strcmp(v, want) == 0, "%s: got \"%s\", expected \"%s\"", sql,
		  v, want);
	free(v);
}

TEST(pg_roundtrips_utf8_and_null_over_tcp)
{
	const char *params[3] = { "1", TEXT_4B, NULL };
	PGconn *c = pg_connect(NULL);
	PGresult *r;

	CHECK_STR_EQ(PQparameterStatus(c, "server_encoding"), "UTF8");
	CHECK_STR_EQ(PQparameterStatus(c, "client_encoding"), "UTF8");
	pg_do(c, "DROP TABLE IF EXISTS t_servers_rt");
	pg_do(c, "CREATE TABLE t_servers_rt (id int PRIMARY KEY, s text, "
		 "n int)");
	r = PQexecParams(c, "INSERT INTO t_servers_rt VALUES ($1, $2, $3)", 3,
			 NULL, params, NULL, NULL, 0);
	CHECK_MSG(PQresultStatus(r) == PGRES_COMMAND_OK, "insert: %s",
		  PQerrorMessage(c));
	CHECK_STR_EQ(PQcmdTuples(r), "1");
	PQclear(r);

	r = pg_exec(c, "SELECT id, s, n, octet_length(s), length(s) "
		       "FROM t_servers_rt", PGRES_TUPLES_OK);
	CHECK_INT_EQ(PQntuples(r), 1);
	CHECK_STR_EQ(PQgetvalue(r, 0, 0), "1");
	CHECK_STR_EQ(PQgetvalue(r, 0, 1), TEXT_4B);
	CHECK_INT_EQ(PQgetlength(r, 0, 1), 7);
	CHECK(!PQgetisnull(r, 0, 1));
	CHECK(PQgetisnull(r, 0, 2));
	CHECK_STR_EQ(PQgetvalue(r, 0, 3), "7");
	CHECK_STR_EQ(PQgetvalue(r, 0, 4), "3");
	PQclear(r);
	pg_do(c, "DROP TABLE t_servers_rt");
	PQfinish(c);
}

TEST(pg_wal_is_logical_with_room_for_slots)
{
	PGconn *c = pg_connect(NULL);

	check_pg_value(c, "SHOW wal_level", "logical");
	check_pg_value(c, "SHOW max_replication_slots", "20");
	check_pg_value(c, "SHOW max_wal_senders", "20");
	check_pg_value(c, "SHOW listen_addresses", "127.0.0.1");
	check_pg_value(c, "SELECT current_user", "ferry");
	check_pg_value(c, "SELECT rolreplication::text || rolcreatedb::text "
			  "FROM pg_roles WHERE rolname = current_user",
		       "truetrue");
	PQfinish(c);
}

TEST(pg_replication_connection_identifies_and_makes_slots)
{
	PGconn *c = pg_connect("database");
	PGresult *r;

	r = pg_exec(c, "IDENTIFY_SYSTEM", PGRES_TUPLES_OK);
	CHECK_INT_EQ(PQntuples(r), 1);
	CHECK_INT_EQ(PQnfields(r), 4);
	CHECK_STR_EQ(PQfname(r, 0), "systemid");
	CHECK(strlen(PQgetvalue(r, 0, 0)) > 10);
	CHECK_STR_CONTAINS(PQgetvalue(r, 0, 2), "/");	/* xlogpos */
	CHECK_STR_EQ(PQgetvalue(r, 0, 3), harness_env("FERRY_TEST_PG_DB"));
	PQclear(r);

	/* a logical slot with pgoutput; TEMPORARY: gone when we disconnect */
	r = pg_exec(c, "CREATE_REPLICATION_SLOT t_servers_slot TEMPORARY "
		       "LOGICAL pgoutput", PGRES_TUPLES_OK);
	CHECK_STR_EQ(PQgetvalue(r, 0, 0), "t_servers_slot");
	CHECK_STR_EQ(PQgetvalue(r, 0, 3), "pgoutput");
	PQclear(r);
	PQfinish(c);
}

TEST(pg_ferry_can_create_scratch_databases)
{
	PGconn *c = pg_connect(NULL);

	pg_do(c, "DROP DATABASE IF EXISTS t_servers_scratch");
	pg_do(c, "CREATE DATABASE t_servers_scratch");
	pg_do(c, "DROP DATABASE t_servers_scratch");
	PQfinish(c);
}

TEST(pg_password_is_required_over_tcp)
{
	PGconn *c = pg_connect_as(harness_env("FERRY_TEST_PG_HOST"),
				  harness_env("FERRY_TEST_PG_USER"), "wrong",
				  harness_env("FERRY_TEST_PG_DB"), NULL);

	CHECK(PQstatus(c) != CONNECTION_OK);
	CHECK_STR_CONTAINS(PQerrorMessage(c), "password authentication failed");
	PQfinish(c);
}

TEST(pg_superuser_reaches_the_socket_and_data_dir)
{
	PGconn *c = pg_connect_as(harness_env("FERRY_TEST_PG_SOCKDIR"),
				  "postgres", NULL, "postgres", NULL);

	CHECK_MSG(PQstatus(c) == CONNECTION_OK, "socket connect: %s",
		  PQerrorMessage(c));
	check_pg_value(c, "SHOW data_directory",
		       harness_env("FERRY_TEST_PG_DATA"));
	check_pg_value(c, "SHOW port", harness_env("FERRY_TEST_PG_PORT"));
	check_pg_value(c, "SELECT pg_get_userbyid(datdba) FROM pg_database "
			  "WHERE datname = 'ferrydb'", "ferry");
	PQfinish(c);
}

/* -------------------------------------------------------------- MariaDB */

static MYSQL *my_connect_as(const char *host, const char *user,
			    const char *password, const char *db,
			    const char *socket)
{
	MYSQL *m = mysql_init(NULL);
	unsigned int timeout = 10;

	CHECK(m != NULL);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (!mysql_real_connect(m, host, user, password, db,
				(unsigned)atoi(harness_env("FERRY_TEST_MY_PORT")),
				socket, 0)) {
		mysql_close(m);
		return NULL;
	}
	return m;
}

static MYSQL *my_connect(void)
{
	MYSQL *m = mysql_init(NULL);
	unsigned int timeout = 10;

	CHECK(m != NULL);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	CHECK_MSG(mysql_real_connect(m, harness_env("FERRY_TEST_MY_HOST"),
				     harness_env("FERRY_TEST_MY_USER"),
				     harness_env("FERRY_TEST_MY_PASSWORD"),
				     harness_env("FERRY_TEST_MY_DB"),
				     (unsigned)atoi(harness_env("FERRY_TEST_MY_PORT")),
				     NULL, 0) != NULL,
		  "MariaDB connect: %s", mysql_error(m));
	return m;
}

static void my_do(MYSQL *m, const char *sql)
{
	MYSQL_RES *res;

	CHECK_MSG(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
	res = mysql_store_result(m);
	if (res)
		mysql_free_result(res);
}

/* one row of a query; *res must be freed by the caller */
static MYSQL_ROW my_row(MYSQL *m, const char *sql, MYSQL_RES **res)
{
	MYSQL_ROW row;

	CHECK_MSG(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
	*res = mysql_store_result(m);
	CHECK_MSG(*res != NULL, "%s: no result: %s", sql, mysql_error(m));
	CHECK_INT_EQ(mysql_num_rows(*res), 1);
	row = mysql_fetch_row(*res);
	CHECK(row != NULL);
	return row;
}

TEST(my_roundtrips_utf8_and_null_over_tcp)
{
	MYSQL *m = my_connect();
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long *len;

	CHECK_STR_EQ(mysql_character_set_name(m), "utf8mb4");
	my_do(m, "DROP TABLE IF EXISTS t_servers_rt");
	my_do(m, "CREATE TABLE t_servers_rt (id INT PRIMARY KEY, "
		 "s VARCHAR(20), n INT) ENGINE=InnoDB");
	my_do(m, "INSERT INTO t_servers_rt VALUES (1, '" TEXT_4B "', NULL)");
	CHECK_INT_EQ(mysql_affected_rows(m), 1);

	row = my_row(m, "SELECT id, s, n, OCTET_LENGTH(s), CHAR_LENGTH(s), "
			"CHARSET(s) FROM t_servers_rt", &res);
	len = mysql_fetch_lengths(res);
	CHECK_STR_EQ(row[0], "1");
	CHECK_STR_EQ(row[1], TEXT_4B);
	CHECK_INT_EQ(len[1], 7);
	CHECK(row[2] == NULL);
	CHECK_STR_EQ(row[3], "7");
	CHECK_STR_EQ(row[4], "3");
	CHECK_STR_EQ(row[5], "utf8mb4");
	mysql_free_result(res);
	my_do(m, "DROP TABLE t_servers_rt");
	mysql_close(m);
}

TEST(my_binlog_is_row_full_with_metadata)
{
	MYSQL *m = my_connect();
	MYSQL_RES *res;
	MYSQL_ROW row;

	row = my_row(m, "SELECT @@log_bin, @@binlog_format, "
			"@@binlog_row_image, @@binlog_row_metadata, "
			"@@binlog_annotate_row_events, @@server_id, "
			"@@gtid_domain_id, @@character_set_server, "
			"@@max_allowed_packet, @@bind_address", &res);
	CHECK_STR_EQ(row[0], "1");
	CHECK_STR_EQ(row[1], "ROW");
	CHECK_STR_EQ(row[2], "FULL");
	CHECK_STR_EQ(row[3], "FULL");
	CHECK_STR_EQ(row[4], "0");
	CHECK_STR_EQ(row[5], "1");
	CHECK_STR_EQ(row[6], "0");
	CHECK_STR_EQ(row[7], "utf8mb4");
	CHECK_STR_EQ(row[8], "67108864");
	CHECK_STR_EQ(row[9], "127.0.0.1");
	mysql_free_result(res);
	mysql_close(m);
}

TEST(my_ferry_may_read_the_binlog)
{
	MYSQL *m = my_connect();
	MYSQL_RES *res;
	MYSQL_ROW row;

	row = my_row(m, "SHOW GRANTS", &res);
	CHECK_STR_CONTAINS(row[0], "GRANT ALL PRIVILEGES ON *.* TO `ferry`@`127.0.0.1`");
	mysql_free_result(res);
	/* needs BINLOG MONITOR; a dump needs REPLICATION SLAVE (in ALL) */
	CHECK_MSG(mysql_query(m, "SHOW BINARY LOGS") == 0, "%s",
		  mysql_error(m));
	res = mysql_store_result(m);
	CHECK(res != NULL);
	CHECK(mysql_num_rows(res) >= 1);
	row = mysql_fetch_row(res);
	CHECK_STR_CONTAINS(row[0], "mysql-bin.");
	mysql_free_result(res);
	row = my_row(m, "SELECT @@gtid_binlog_pos IS NOT NULL", &res);
	CHECK_STR_EQ(row[0], "1");
	mysql_free_result(res);
	mysql_close(m);
}

TEST(my_password_is_required_over_tcp)
{
	MYSQL *m = my_connect_as(harness_env("FERRY_TEST_MY_HOST"),
				 harness_env("FERRY_TEST_MY_USER"), "wrong",
				 harness_env("FERRY_TEST_MY_DB"), NULL);

	CHECK(m == NULL);
}

TEST(my_root_reaches_the_socket)
{
	MYSQL *m = my_connect_as("localhost", "root", NULL, NULL,
				 harness_env("FERRY_TEST_MY_SOCKET"));
	MYSQL_RES *res;
	MYSQL_ROW row;

	CHECK_MSG(m != NULL, "root over %s failed",
		  harness_env("FERRY_TEST_MY_SOCKET"));
	row = my_row(m, "SELECT CURRENT_USER(), @@port, @@socket", &res);
	CHECK_STR_EQ(row[0], "root@localhost");
	CHECK_STR_EQ(row[1], harness_env("FERRY_TEST_MY_PORT"));
	CHECK_STR_EQ(row[2], harness_env("FERRY_TEST_MY_SOCKET"));
	mysql_free_result(res);
	mysql_close(m);
}
