/*
 * mysql_source.c - the MySQL / MariaDB reader: consistent initial
 * snapshot, then the ROW binlog read as a replica (see source.h).
 *
 * Two connections, both MariaDB Connector/C.  The SQL connection reads
 * the catalog (information_schema), takes the snapshot and answers the
 * decoder's questions about tables later on; it never writes.  The
 * replication connection registers as a replica (COM_REGISTER_SLAVE with
 * source.server_id) and dumps the binlog (COM_BINLOG_DUMP) from a file and
 * position, or, on MariaDB with a GTID, from @slave_connect_state.
 *
 * Snapshot: START TRANSACTION WITH CONSISTENT SNAPSHOT, and under it
 * MariaDB's Binlog_snapshot_file / Binlog_snapshot_position status (the
 * binlog position the snapshot belongs to, exact even while others
 * write) plus BINLOG_GTID_POS() of it.  On a first start that is P, where
 * streaming starts.  Tables are copied in primary-key order, chunk by
 * chunk, each chunk a BEGIN / INSERT* / COMMIT carrying the stream start
 * position and a snapshot_mark with the table's progress and its start
 * position: the snapshot point its copy belongs to.  Values are made to
 * read exactly as the binlog decoder prints them (session time_zone
 * '+00:00' and character set utf8mb4, FLOAT read through CAST(... AS
 * DOUBLE), binlog_canon_text() for the rest).
 *
 * A restart cannot get an interrupted copy's snapshot back, so, as the
 * PostgreSQL reader does, a table whose copy was cut short is emptied on
 * the target (BEGIN / TRUNCATE / COMMIT with a mark resetting its
 * progress) and copied again from scratch under a new consistent
 * snapshot, whose binlog position becomes the table's start position.
 * Streaming always resumes from the checkpoint, and skips a table's row
 * changes from transactions that committed at or before the table's
 * start position: the copy has them.  (Replaying that overlap on top of
 * a copy that already holds it is not safe: a key move or a secondary
 * unique key can see an order of states the source never had.)  A
 * snapshot position lies between transactions, and a transaction's
 * events are contiguous in the binlog, so a transaction commits at or
 * before position S exactly when its BEGIN (GTID event) ends before S:
 * the decision is made at BEGIN.
 *
 * Streaming: Connector/C's mariadb_rpl_fetch() blocks until an event
 * comes, so a fetch thread owned by this source reads events into a small
 * bounded queue and next() waits on it with the caller's timeout; the
 * events are decoded here, on the reader thread, by decode/binlog.c (not
 * by mariadb_rpl_extract_rows(), which gets negative numbers and
 * ENUM/SET/CHAR wrong).  Transactions that touch no migrated table are
 * dropped; while nothing is migrated, an empty BEGIN/COMMIT carrying the
 * current position goes out every idle_advance_ms so the checkpoint
 * keeps up.  Closing shuts the socket down under the fetch thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <mysql.h>		/* before mariadb_rpl.h, which needs it */
#include <errmsg.h>
#include <mariadb_rpl.h>
#include <mysqld_error.h>

#include "../my/my_conn.h"
#include "ferry/binlog.h"
#include "ferry/buf.h"
#include "ferry/json.h"
#include "ferry/log.h"
#include "ferry/mem.h"
#include "ferry/source.h"

/* fetch queue bounds: events and bytes (one event always fits) */
#define FETCH_MAX_EVENTS 1024
#define FETCH_MAX_BYTES ((size_t)64 << 20)

/* ---- the fetch thread -------------------------------------------------- */

struct fetch_item {
	unsigned char *p;
	size_t n;
};

struct fetcher {
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* queue changed or stop asked */
	struct fetch_item *q;		/* ring of FETCH_MAX_EVENTS */
	size_t head, len, bytes;
	bool stop;			/* asked to end (close) */
	bool done;			/* the stream ended; see err */
	int code;			/* FERRY_E* when done */
	char msg[512];
	MARIADB_RPL *rpl;
	MYSQL *conn;
};

/*
 * Why mariadb_rpl_fetch() returned NULL.  Connector/C keeps two error
 * slots: the replication handle's own (protocol, checksum) and the
 * connection's (network, or an error packet from the server, e.g. 1236
 * "could not find first log file" or a GTID the server no longer has).
 */
static void fetch_failed(struct fetcher *f)
{
	unsigned rerr = mariadb_rpl_errno(f->rpl), merr = mysql_errno(f->conn);

	if (merr && (merr >= 2000 || merr == ER_SERVER_SHUTDOWN ||
		     merr == ER_CONNECTION_KILLED || merr == ER_NET_READ_ERROR ||
		     merr == ER_NET_READ_INTERRUPTED)) {
		f->code = FERRY_ECONN;
		snprintf(f->msg, sizeof(f->msg), "binlog stream lost: %s "
			 "(errno %u)", mysql_error(f->conn), merr);
	} else if (merr) {
		f->code = FERRY_ESTATE;
		snprintf(f->msg, sizeof(f->msg), "the server ended the binlog "
			 "stream: %s (errno %u)", mysql_error(f->conn), merr);
	} else if (rerr) {
		f->code = FERRY_EPROTO;
		snprintf(f->msg, sizeof(f->msg), "binlog stream: %s (errno %u)",
			 mariadb_rpl_error(f->rpl), rerr);
	} else {
		f->code = FERRY_ECONN;
		snprintf(f->msg, sizeof(f->msg), "the server closed the binlog "
			 "stream");
	}
}

static void *fetch_main(void *arg)
{
	struct fetcher *f = arg;
	MARIADB_RPL_EVENT *ev = NULL;

	mysql_thread_init();
	for (;;) {
		struct fetch_item it;

		ev = mariadb_rpl_fetch(f->rpl, ev);
		pthread_mutex_lock(&f->mu);
		if (!ev || f->stop) {
			if (!ev && !f->stop)
				fetch_failed(f);
			f->done = true;
			pthread_cond_broadcast(&f->cv);
			pthread_mutex_unlock(&f->mu);
			break;
		}
		pthread_mutex_unlock(&f->mu);
		/* the event without the packet's leading OK byte (and the
		 * semi-sync header, which we never ask for) */
		it.n = ev->raw_data_size - ev->raw_data_ofs;
		it.p = xmalloc(it.n ? it.n : 1);
		memcpy(it.p, ev->raw_data + ev->raw_data_ofs, it.n);
		pthread_mutex_lock(&f->mu);
		while (!f->stop && f->len > 0 &&
		       (f->len == FETCH_MAX_EVENTS ||
			f->bytes + it.n > FETCH_MAX_BYTES))
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->stop) {
			f->done = true;
			pthread_mutex_unlock(&f->mu);
			free(it.p);
			break;
		}
		f->q[(f->head + f->len) % FETCH_MAX_EVENTS] = it;
		f->len++;
		f->bytes += it.n;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
	}
	/* NULL from fetch already freed the event it was given */
	if (ev)
		mariadb_free_rpl_event(ev);
	mysql_thread_end();
	return NULL;
}

static int fetcher_start(struct fetcher *f, MARIADB_RPL *rpl, MYSQL *conn,
			 struct err *e)
{
	pthread_condattr_t ca;

	f->rpl = rpl;
	f->conn = conn;
	f->q = xcalloc(FETCH_MAX_EVENTS, sizeof(*f->q));
	pthread_mutex_init(&f->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&f->th, NULL, fetch_main, f) != 0)
		return err_set(e, FERRY_EIO, "could not start the binlog "
			       "fetch thread: %s", strerror(errno));
	f->started = true;
	return 0;
}

/* Next event, waiting until `deadline` (CLOCK_MONOTONIC).  1: `*it` is
 * an event (caller frees it->p); 0: none in time; <0: the stream ended
 * (error in `e`). */
static int fetcher_pop(struct fetcher *f, const struct timespec *deadline,
		       struct fetch_item *it, struct err *e)
{
	int rc = 0;

	pthread_mutex_lock(&f->mu);
	while (f->len == 0 && !f->done) {
		if (pthread_cond_timedwait(&f->cv, &f->mu, deadline) ==
		    ETIMEDOUT)
			break;
	}
	if (f->len > 0) {
		*it = f->q[f->head];
		f->head = (f->head + 1) % FETCH_MAX_EVENTS;
		f->len--;
		f->bytes -= it->n;
		pthread_cond_broadcast(&f->cv);
		rc = 1;
	} else if (f->done) {
		rc = err_set(e, f->code ? f->code : FERRY_ECONN, "%s",
			     f->msg[0] ? f->msg : "binlog stream ended");
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static void fetcher_stop(struct fetcher *f)
{
	if (!f->started)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	/* a fetch blocked in read(2) wakes on the shutdown */
	shutdown((int)mysql_get_socket(f->conn), SHUT_RDWR);
	pthread_join(f->th, NULL);
	while (f->len > 0) {
		free(f->q[f->head].p);
		f->head = (f->head + 1) % FETCH_MAX_EVENTS;
		f->len--;
	}
	free(f->q);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	f->started = false;
}

/* ---- the source ---------------------------------------------------------- */

struct snap_table {
	char *name;
	char *label;			/* "db.table" for marks/messages */
	struct table_desc *desc;	/* every column, table order */
	unsigned *types;		/* BL_TYPE_* per column */
	char **qcols;			/* quoted column names */
	size_t *keyidx;			/* key part -> column */
	size_t nkey;
	char **resume;			/* last key copied in this run (raw
					   text), or NULL */
	size_t nresume;
	uint64_t rows;
	bool copy;			/* to be copied in this run */
	bool was_cut;			/* an earlier copy was cut short:
					   empty the target table first */
	struct ferry_pos start;		/* the copy's snapshot point
					   (POS_NONE: unknown) */
	size_t order;			/* index of its mapping rule */
};

/* what we know of a table of the source database (want hook) */
struct known_table {
	char *name;
	bool has_pk;
};

enum phase {
	PHASE_SNAPSHOT,
	PHASE_STREAM,
};

struct mysql_source {
	struct source base;
	const struct config_db *db;
	char *password;
	const struct mapping *mapping;
	int chunk_rows;
	int idle_advance_ms;
	char *app_name;

	MYSQL *sql;			/* catalog + snapshot */
	MYSQL *repl;			/* binlog dump */
	MARIADB_RPL *rpl;
	struct fetcher fetch;
	struct binlog *dec;
	bool mariadb;
	bool crc32;			/* @@binlog_checksum is CRC32 */
	enum phase phase;
	struct ferry_pos start;		/* where streaming begins: P on a
					   first start, else the checkpoint */
	bool snapshot_open;		/* the snapshot transaction */

	struct snap_table *tables;	/* every selected table */
	size_t ntables, cur;		/* cur: next table to look at */
	size_t ncopy;			/* tables copied in this run */
	struct ferry_pos filter_until;	/* the latest table start position:
					   transactions up to it are
					   filtered per table */

	struct known_table *known;
	size_t nknown;

	/* columns hook answers (valid until the next call) */
	MYSQL_RES *colres;
	struct err hook_err;		/* a want hook that could not ask */

	/* changes made but not yet handed out, in order */
	struct change **out;
	size_t nout, outcap, outpos;

	/* streaming */
	struct change *held_begin;	/* BEGIN of a txn with no rows yet */
	struct ferry_pos txn_pos;	/* BEGIN position of the txn read */
	bool txn_filtered;		/* it may predate some table's copy */
	uint64_t skipped;		/* row changes the copies hold */
	struct ferry_pos emitted;	/* position of the last COMMIT out */
	int64_t last_commit_ms;
	uint64_t events, ignored;
	struct buf scratch;
};

static const struct source_ops mysql_source_ops;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void push_out(struct mysql_source *s, struct change *c)
{
	xgrow((void **)&s->out, &s->outcap, s->nout + 1, sizeof(*s->out));
	s->out[s->nout++] = c;
}

static struct change *pop_out(struct mysql_source *s)
{
	if (s->outpos == s->nout) {
		s->nout = s->outpos = 0;
		return NULL;
	}
	return s->out[s->outpos++];
}

/* ---- SQL helpers ------------------------------------------------------- */

/* A failed statement: lost connection is transient, the rest not. */
static int sql_error(MYSQL *m, const char *what, struct err *e)
{
	unsigned n = mysql_errno(m);

	return err_set(e, n >= 2000 || n == ER_SERVER_SHUTDOWN ||
				  n == ER_CONNECTION_KILLED
			       ? FERRY_ECONN : FERRY_ESQL,
		       "%s: %s (errno %u)", what, mysql_error(m), n);
}

static int sql_do(MYSQL *m, const char *sql, const char *what, struct err *e)
{
	MYSQL_RES *r;

	if (mysql_query(m, sql))
		return sql_error(m, what, e);
	/* a statement that returns rows we do not want */
	r = mysql_store_result(m);
	if (r)
		mysql_free_result(r);
	return 0;
}

static int sql_rows(MYSQL *m, const char *sql, MYSQL_RES **out,
		    const char *what, struct err *e)
{
	if (mysql_query(m, sql))
		return sql_error(m, what, e);
	*out = mysql_store_result(m);
	if (!*out)
		return sql_error(m, what, e);
	return 0;
}

/* 'text', escaped for the connection's character set */
static int put_literal(MYSQL *m, struct buf *b, const char *s, size_t n)
{
	size_t need;
	unsigned long k;

	if (st_mult(n, 2, &need) || st_add(need, 3, &need) ||
	    buf_reserve(b, need))
		return FERRY_EFULL;
	b->data[b->len++] = '\'';
	k = mysql_real_escape_string(m, b->data + b->len, s,
				     (unsigned long)n);
	b->len += k;
	b->data[b->len++] = '\'';
	b->data[b->len] = '\0';
	return 0;
}

/* `identifier` */
static int put_ident(struct buf *b, const char *s)
{
	int rc = buf_putc(b, '`');

	for (; *s && !rc; s++)
		rc = *s == '`' ? buf_puts(b, "``") : buf_putc(b, *s);
	return rc ? rc : buf_putc(b, '`');
}

/* ---- connecting ----------------------------------------------------------- */

static int my_connect(struct mysql_source *s, MYSQL **out, unsigned read_to,
		      struct err *e)
{
	const struct my_conn_params cp = {
		.db = s->db,
		.password = s->password,
		.application_name = s->app_name,
		.read_timeout = read_to,
		.what = "the source",
	};

	return my_conn_open(&cp, out, e);
}

/*
 * The server must write a ROW binlog with full images, or the stream
 * would miss changes or columns; say which setting is wrong.
 */
static int check_server(struct mysql_source *s, struct err *e)
{
	MYSQL_RES *r;
	MYSQL_ROW row;
	int rc;

	rc = sql_rows(s->sql, "SELECT @@global.log_bin, "
		      "@@global.binlog_format, @@global.binlog_row_image, "
		      "@@version, @@global.server_id, "
		      "@@global.binlog_checksum, "
		      "@@global.binlog_row_metadata", &r,
		      "could not read the source's binlog settings", e);
	if (rc) {
		/* MySQL before 8.0 has no binlog_row_metadata */
		rc = sql_rows(s->sql, "SELECT @@global.log_bin, "
			      "@@global.binlog_format, "
			      "@@global.binlog_row_image, @@version, "
			      "@@global.server_id, @@global.binlog_checksum, "
			      "'MINIMAL'", &r,
			      "could not read the source's binlog settings",
			      e);
		if (rc)
			return rc;
	}
	row = mysql_fetch_row(r);
	if (!row || !row[0] || !row[1] || !row[2] || !row[3] || !row[4]) {
		mysql_free_result(r);
		return err_set(e, FERRY_ESQL, "could not read the source's "
			       "binlog settings");
	}
	if (strcmp(row[0], "1") != 0 && strcasecmp(row[0], "ON") != 0)
		rc = err_set(e, FERRY_ECONFIG, "source setting log_bin is OFF: "
			     "ferry reads the binary log; start the server "
			     "with log-bin");
	else if (strcasecmp(row[1], "ROW") != 0)
		rc = err_set(e, FERRY_ECONFIG, "source setting binlog_format "
			     "is %s: ferry needs ROW (SET GLOBAL binlog_format"
			     " = ROW, and in the server's configuration)",
			     row[1]);
	else if (strcasecmp(row[2], "FULL") != 0)
		rc = err_set(e, FERRY_ECONFIG, "source setting "
			     "binlog_row_image is %s: ferry needs FULL row "
			     "images", row[2]);
	else if (strtoul(row[4], NULL, 10) == s->db->server_id)
		rc = err_set(e, FERRY_ECONFIG, "source.server_id %u is the "
			     "server's own server_id: choose an id no server "
			     "or replica uses", s->db->server_id);
	if (!rc) {
		s->mariadb = strstr(row[3], "MariaDB") != NULL;
		s->crc32 = row[5] && strcasecmp(row[5], "CRC32") == 0;
		if (row[6] && strcasecmp(row[6], "FULL") != 0)
			log_info("source", "binlog_row_metadata=%s: column "
				 "names and types come from "
				 "information_schema", row[6]);
		log_info("source", "connected server=\"%s\" binlog_format=ROW "
			 "checksum=%s", row[3], row[5] ? row[5] : "?");
	}
	mysql_free_result(r);
	return rc;
}

/* ---- the catalog ----------------------------------------------------------- */

/*
 * The SQL connection sits idle while we stream and the server may drop
 * it (wait_timeout); the decoder's questions need it: reconnect once.
 */
static int sql_alive(struct mysql_source *s, struct err *e)
{
	if (s->phase != PHASE_STREAM || (s->sql && mysql_ping(s->sql) == 0))
		return 0;
	if (s->sql) {
		log_warn("source", "catalog connection lost (%s), "
			 "reconnecting", mysql_error(s->sql));
		mysql_close(s->sql);
		s->sql = NULL;
	}
	if (s->colres) {
		mysql_free_result(s->colres);
		s->colres = NULL;
	}
	return my_connect(s, &s->sql, 0, e) ||
	       sql_do(s->sql, "SET SESSION time_zone = '+00:00'",
		      "could not set the session time zone", e)
		       ? FERRY_ECONN : 0;
}

/* Every base table of the database and whether it has a primary key. */
static int load_known(struct mysql_source *s, struct err *e)
{
	MYSQL_RES *r;
	MYSQL_ROW row;
	int rc;

	rc = sql_rows(s->sql, "SELECT t.TABLE_NAME, EXISTS (SELECT 1 FROM "
		      "information_schema.STATISTICS k WHERE "
		      "k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = "
		      "t.TABLE_NAME AND k.INDEX_NAME = 'PRIMARY') FROM "
		      "information_schema.TABLES t WHERE t.TABLE_SCHEMA = "
		      "DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
		      &r, "could not list source tables", e);
	if (rc)
		return rc;
	s->known = xcalloc(mysql_num_rows(r) + 1, sizeof(*s->known));
	while ((row = mysql_fetch_row(r))) {
		s->known[s->nknown].name = xstrdup(row[0]);
		s->known[s->nknown].has_pk = row[1] && row[1][0] == '1';
		s->nknown++;
	}
	mysql_free_result(r);
	return 0;
}

static const struct known_table *find_known(const struct mysql_source *s,
					    const char *table)
{
	for (size_t i = 0; i < s->nknown; i++)
		if (strcmp(s->known[i].name, table) == 0)
			return &s->known[i];
	return NULL;
}

/* A table created after we started: look it up once. */
static bool learn_table(struct mysql_source *s, const char *table)
{
	struct buf q;
	MYSQL_RES *r = NULL;
	MYSQL_ROW row;
	struct err e;
	int rc;
	bool pk;

	rc = sql_alive(s, &e);
	buf_init(&q, 0);
	if (!rc)
		rc = buf_puts(&q, "SELECT COUNT(*) FROM "
			      "information_schema.STATISTICS WHERE "
			      "TABLE_SCHEMA = DATABASE() AND INDEX_NAME = "
			      "'PRIMARY' AND TABLE_NAME = ") ||
		     put_literal(s->sql, &q, table, strlen(table));
	if (!rc)
		rc = sql_rows(s->sql, q.data, &r, "table lookup", &e);
	buf_release(&q);
	if (rc) {
		/* the decode that asked fails with this (on_event): a
		 * restart asks again rather than skip the table's rows */
		err_set(&s->hook_err, FERRY_ECONN, "cannot look up source "
			"table \"%s\": %s", table, e.msg);
		return false;
	}
	row = mysql_fetch_row(r);
	pk = row && row[0] && strcmp(row[0], "0") != 0;
	mysql_free_result(r);
	s->known = xrealloc(s->known, (s->nknown + 1) * sizeof(*s->known));
	s->known[s->nknown].name = xstrdup(table);
	s->known[s->nknown].has_pk = pk;
	s->nknown++;
	return pk;
}

static int by_rule_order(const void *a, const void *b)
{
	const struct snap_table *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->label, y->label);
}

/* binlog hook: is schema.table migrated? */
static bool want_table(void *arg, const char *schema, const char *table)
{
	struct mysql_source *s = arg;
	const struct mapping_rule *rule;
	const struct known_table *k;

	if (strcmp(schema, s->db->database) != 0)
		return false;
	if (!table)
		return true;
	k = find_known(s, table);
	rule = mapping_find(s->mapping, schema, table,
			    k ? k->has_pk : learn_table(s, table));
	return rule && !rule->skip;
}

/* binlog hook: the columns of a table whose TABLE_MAP lacks metadata */
static int table_columns(void *arg, const char *schema, const char *table,
			 uint32_t ncols, struct binlog_colinfo *cols,
			 struct err *e)
{
	struct mysql_source *s = arg;
	struct buf q;
	MYSQL_ROW row;
	uint32_t n = 0;
	int rc;

	if (s->colres) {
		mysql_free_result(s->colres);
		s->colres = NULL;
	}
	rc = sql_alive(s, e);
	if (rc)
		return rc;
	buf_init(&q, 0);
	rc = buf_puts(&q, "SELECT COLUMN_NAME, COLUMN_TYPE, "
		      "CHARACTER_SET_NAME, COLUMN_KEY = 'PRI' FROM "
		      "information_schema.COLUMNS WHERE TABLE_SCHEMA = ");
	rc |= put_literal(s->sql, &q, schema, strlen(schema));
	rc |= buf_puts(&q, " AND TABLE_NAME = ");
	rc |= put_literal(s->sql, &q, table, strlen(table));
	rc |= buf_puts(&q, " ORDER BY ORDINAL_POSITION");
	if (!rc)
		rc = sql_rows(s->sql, q.data, &s->colres,
			      "could not read the columns of a source table",
			      e);
	buf_release(&q);
	if (rc)
		return rc;
	if (mysql_num_rows(s->colres) != ncols)
		return err_set(e, FERRY_ESTATE, "source table \"%s.%s\" has "
			       "%llu columns now, its binlog rows have %u: it "
			       "changed after they were written; ferry cannot "
			       "decode them", schema, table,
			       (unsigned long long)mysql_num_rows(s->colres),
			       ncols);
	while ((row = mysql_fetch_row(s->colres)) && n < ncols) {
		cols[n].name = row[0];
		cols[n].column_type = row[1];
		cols[n].charset = row[2];
		cols[n].key = row[3] && row[3][0] == '1';
		n++;
	}
	return 0;
}

/* information_schema DATA_TYPE -> binlog column type; 0 if unknown */
static unsigned data_type(const char *t, bool *binary)
{
	static const struct {
		const char *name;
		unsigned type;
		bool binary;
	} map[] = {
		{ "tinyint", BL_TYPE_TINY, false },
		{ "smallint", BL_TYPE_SHORT, false },
		{ "mediumint", BL_TYPE_INT24, false },
		{ "int", BL_TYPE_LONG, false },
		{ "bigint", BL_TYPE_LONGLONG, false },
		{ "float", BL_TYPE_FLOAT, false },
		{ "double", BL_TYPE_DOUBLE, false },
		{ "decimal", BL_TYPE_NEWDECIMAL, false },
		{ "date", BL_TYPE_DATE, false },
		{ "datetime", BL_TYPE_DATETIME2, false },
		{ "timestamp", BL_TYPE_TIMESTAMP2, false },
		{ "time", BL_TYPE_TIME2, false },
		{ "year", BL_TYPE_YEAR, false },
		{ "char", BL_TYPE_STRING, false },
		{ "varchar", BL_TYPE_VARCHAR, false },
		{ "binary", BL_TYPE_STRING, true },
		{ "varbinary", BL_TYPE_VARCHAR, true },
		{ "tinytext", BL_TYPE_BLOB, false },
		{ "text", BL_TYPE_BLOB, false },
		{ "mediumtext", BL_TYPE_BLOB, false },
		{ "longtext", BL_TYPE_BLOB, false },
		{ "tinyblob", BL_TYPE_BLOB, true },
		{ "blob", BL_TYPE_BLOB, true },
		{ "mediumblob", BL_TYPE_BLOB, true },
		{ "longblob", BL_TYPE_BLOB, true },
		{ "enum", BL_TYPE_ENUM, false },
		{ "set", BL_TYPE_SET, false },
		{ "bit", BL_TYPE_BIT, true },
		{ "json", BL_TYPE_JSON, false },
		{ "geometry", BL_TYPE_GEOMETRY, true },
		{ "point", BL_TYPE_GEOMETRY, true },
		{ "linestring", BL_TYPE_GEOMETRY, true },
		{ "polygon", BL_TYPE_GEOMETRY, true },
		{ "multipoint", BL_TYPE_GEOMETRY, true },
		{ "multilinestring", BL_TYPE_GEOMETRY, true },
		{ "multipolygon", BL_TYPE_GEOMETRY, true },
		{ "geometrycollection", BL_TYPE_GEOMETRY, true },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(t, map[i].name) == 0) {
			*binary = map[i].binary;
			return map[i].type;
		}
	return 0;
}

static void snap_table_release(struct snap_table *t)
{
	if (t->desc)
		for (uint32_t i = 0; i < t->desc->ncols; i++)
			free(t->qcols[i]);
	free(t->qcols);
	free(t->types);
	free(t->keyidx);
	free(t->name);
	free(t->label);
	table_desc_unref(t->desc);
	json_strings_free(t->resume, t->nresume);
}

/*
 * Describe a table the way its TABLE_MAP does: every column in table
 * order, the same type classes, key flags from the primary key (key
 * parts in index order for the copy's ORDER BY).
 */
/* Raise base.max_id to the table's largest integer "id", if it has one
 * (target id sequences start past it, see source.h). */
static int max_id_of(struct mysql_source *s, const struct snap_table *t,
		     struct err *e)
{
	int i = table_desc_find(t->desc, "id");
	char sql[400];
	MYSQL_RES *res;
	MYSQL_ROW row;
	int rc;

	if (i < 0 || t->desc->cols[i].type != DATUM_T_INT ||
	    strchr(t->name, '`'))
		return 0;
	snprintf(sql, sizeof(sql), "SELECT MAX(`id`) FROM `%s`", t->name);
	rc = sql_rows(s->sql, sql, &res, "could not read the largest id", e);
	if (rc)
		return rc;
	row = mysql_fetch_row(res);
	if (row && row[0]) {
		long long v = strtoll(row[0], NULL, 10);

		if (v > s->base.max_id)
			s->base.max_id = v;
	}
	mysql_free_result(res);
	return 0;
}

static int describe_table(struct mysql_source *s, struct snap_table *t,
			  struct err *e)
{
	struct buf q;
	MYSQL_RES *r = NULL;
	MYSQL_ROW row;
	uint32_t n, i = 0;
	int rc;

	buf_init(&q, 0);
	rc = buf_puts(&q, "SELECT c.COLUMN_NAME, c.DATA_TYPE, "
		      "c.CHARACTER_SET_NAME, COALESCE(k.SEQ_IN_INDEX, 0) "
		      "FROM information_schema.COLUMNS c LEFT JOIN "
		      "information_schema.STATISTICS k ON k.TABLE_SCHEMA = "
		      "c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND "
		      "k.COLUMN_NAME = c.COLUMN_NAME AND k.INDEX_NAME = "
		      "'PRIMARY' WHERE c.TABLE_SCHEMA = DATABASE() AND "
		      "c.TABLE_NAME = ");
	rc |= put_literal(s->sql, &q, t->name, strlen(t->name));
	rc |= buf_puts(&q, " ORDER BY c.ORDINAL_POSITION");
	if (!rc)
		rc = sql_rows(s->sql, q.data, &r,
			      "could not describe a source table", e);
	buf_release(&q);
	if (rc)
		return err_prefix(e, "table %s", t->label);
	n = (uint32_t)mysql_num_rows(r);
	if (n == 0 || n > BINLOG_MAX_COLUMNS) {
		mysql_free_result(r);
		return err_set(e, FERRY_ECONFIG, "source table %s has %u "
			       "columns", t->label, n);
	}
	t->desc = table_desc_new(s->db->database, t->name, n);
	t->types = xcalloc(n, sizeof(*t->types));
	t->qcols = xcalloc(n, sizeof(*t->qcols));
	t->keyidx = xcalloc(n, sizeof(*t->keyidx));
	while (!rc && (row = mysql_fetch_row(r)) && i < n) {
		unsigned long seq = strtoul(row[3] ? row[3] : "0", NULL, 10);
		bool binary;
		unsigned type = data_type(row[1] ? row[1] : "", &binary);
		struct buf id;

		if (!type) {
			rc = err_set(e, FERRY_ENOTSUP, "column \"%s\" of source "
				     "table %s has type %s, which ferry cannot "
				     "read from the binlog", row[0], t->label,
				     row[1] ? row[1] : "?");
			break;
		}
		/* text types in a binary character set are bytes */
		if (!row[2] && (type == BL_TYPE_STRING ||
				type == BL_TYPE_VARCHAR ||
				type == BL_TYPE_BLOB))
			binary = true;
		t->types[i] = type;
		table_desc_set_col(t->desc, i, row[0],
				   binlog_type_class(type, binary), type,
				   seq > 0);
		buf_init(&id, 0);
		if (type == BL_TYPE_FLOAT) {
			/* FLOAT prints 6 digits; as DOUBLE it reads back
			 * exactly */
			rc |= buf_puts(&id, "CAST(") || put_ident(&id, row[0]) ||
			      buf_puts(&id, " AS DOUBLE)");
		} else {
			rc |= put_ident(&id, row[0]);
		}
		t->qcols[i] = buf_detach(&id, NULL);
		if (seq > 0 && seq <= n) {
			t->keyidx[seq - 1] = i;
			if (seq > t->nkey)
				t->nkey = seq;
		}
		i++;
	}
	mysql_free_result(r);
	if (!rc && t->nkey == 0)
		rc = err_set(e, FERRY_ECONFIG, "source table %s has no primary "
			     "key: ferry needs one to write by key", t->label);
	return rc;
}

/*
 * The tables the mapping selects: exact rules name tables (keyless ones
 * are an error), wildcards take every table with a primary key.
 */
static int select_tables(struct mysql_source *s, struct snap_table **out,
			 size_t *nout, struct err *e)
{
	struct snap_table *t = NULL;
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < s->nknown && !rc; i++) {
		const struct known_table *k = &s->known[i];
		const struct mapping_rule *rule;
		struct snap_table *st;
		size_t len;

		if (strcmp(k->name, "ferry_checkpoint") == 0 ||
		    strcmp(k->name, "ferry_snapshot") == 0)
			continue;
		rule = mapping_find(s->mapping, s->db->database, k->name,
				    k->has_pk);
		if (!rule || rule->skip)
			continue;
		t = xrealloc(t, (n + 1) * sizeof(*t));
		st = &t[n++];
		memset(st, 0, sizeof(*st));
		st->name = xstrdup(k->name);
		len = strlen(s->db->database) + strlen(k->name) + 2;
		st->label = xmalloc(len);
		snprintf(st->label, len, "%s.%s", s->db->database, k->name);
		st->order = mapping_rule_index(s->mapping, rule);
		if (!k->has_pk)
			rc = err_set(e, FERRY_ECONFIG, "source table %s (mapping"
				     " line %d) has no primary key: ferry "
				     "needs one to write by key", st->label,
				     rule->line);
	}
	if (!rc && n == 0)
		rc = err_set(e, FERRY_ECONFIG, "the mapping \"%s\" selects no "
			     "table of source database \"%s\"",
			     s->mapping->path, s->db->database);
	/* copy in the mapping's order: a mapping lists first what later
	 * tables refer to (tenants before users before workflows) */
	if (n > 1)
		qsort(t, n, sizeof(*t), by_rule_order);
	*out = t;
	*nout = n;
	return rc;
}

/* ---- the snapshot ---------------------------------------------------------- */

/*
 * Open the snapshot transaction; when `pos` is given, also learn the
 * binlog position it belongs to, with its GTID state if `gtid` (MariaDB
 * finds that by reading the binlog file up to the position, which takes
 * a while in a big file: only a stream start needs it).
 */
static int begin_snapshot(struct mysql_source *s, struct ferry_pos *pos,
			  bool gtid, struct err *e)
{
	MYSQL_RES *r;
	MYSQL_ROW row;
	char file[POS_FILE_MAX] = "";
	uint64_t offset = 0;
	int rc;

	rc = sql_do(s->sql, "SET SESSION TRANSACTION ISOLATION LEVEL "
		    "REPEATABLE READ", "could not set the isolation level", e);
	if (!rc && !s->mariadb && pos)
		/* MySQL has no Binlog_snapshot_*: hold writers off while
		 * the snapshot and the position are taken together */
		rc = sql_do(s->sql, "FLUSH TABLES WITH READ LOCK",
			    "could not lock tables for the snapshot", e);
	if (!rc)
		rc = sql_do(s->sql, "START TRANSACTION WITH CONSISTENT "
			    "SNAPSHOT, READ ONLY",
			    "could not begin the snapshot", e);
	if (rc)
		return rc;
	s->snapshot_open = true;
	if (!pos)
		return 0;
	rc = sql_rows(s->sql, s->mariadb ? "SHOW STATUS LIKE "
		      "'binlog_snapshot_%'" : "SHOW MASTER STATUS", &r,
		      "could not read the snapshot's binlog position", e);
	if (rc)
		return rc;
	while ((row = mysql_fetch_row(r))) {
		if (!s->mariadb && row[0] && row[1]) {
			snprintf(file, sizeof(file), "%s", row[0]);
			offset = strtoull(row[1], NULL, 10);
		} else if (row[0] && row[1] &&
			   strcasecmp(row[0], "Binlog_snapshot_file") == 0) {
			snprintf(file, sizeof(file), "%s", row[1]);
		} else if (row[0] && row[1] &&
			   strcasecmp(row[0], "Binlog_snapshot_position") ==
				   0) {
			offset = strtoull(row[1], NULL, 10);
		}
	}
	mysql_free_result(r);
	if (!s->mariadb) {
		rc = sql_do(s->sql, "UNLOCK TABLES",
			    "could not unlock tables", e);
		if (rc)
			return rc;
	}
	if (!file[0] || offset < 4)
		return err_set(e, FERRY_ESTATE, "the source reports no binlog "
			       "position for the snapshot (is log_bin on?)");
	memset(pos, 0, sizeof(*pos));
	pos->kind = POS_MYSQL;
	snprintf(pos->file, sizeof(pos->file), "%s", file);
	pos->offset = offset;
	if (s->mariadb && gtid) {
		struct buf q;

		buf_init(&q, 0);
		rc = buf_puts(&q, "SELECT BINLOG_GTID_POS(");
		rc |= put_literal(s->sql, &q, file, strlen(file));
		rc |= buf_printf(&q, ", %" PRIu64 ")", offset);
		if (!rc)
			rc = sql_rows(s->sql, q.data, &r, "could not read the "
				      "GTID of the snapshot position", e);
		buf_release(&q);
		if (rc)
			return rc;
		row = mysql_fetch_row(r);
		if (row && row[0])
			snprintf(pos->gtid, sizeof(pos->gtid), "%s", row[0]);
		mysql_free_result(r);
	}
	return 0;
}

static int end_snapshot(struct mysql_source *s, struct err *e)
{
	if (!s->snapshot_open)
		return 0;
	s->snapshot_open = false;
	return sql_do(s->sql, "COMMIT", "could not end the snapshot "
		      "transaction", e);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * A key value for the resume WHERE clause.  The JSON keeps the text as
 * the server printed it; numbers go in bare (a quoted string compared
 * with a BIGINT goes through DOUBLE and loses digits), bytes as X'..'
 * from their "\x.." form, the rest quoted.
 */
static int put_key_literal(struct mysql_source *s, struct buf *b,
			   unsigned type, const char *v)
{
	size_t n = strlen(v);

	switch (type) {
	case BL_TYPE_TINY: case BL_TYPE_SHORT: case BL_TYPE_INT24:
	case BL_TYPE_LONG: case BL_TYPE_LONGLONG: case BL_TYPE_YEAR:
	case BL_TYPE_NEWDECIMAL: case BL_TYPE_FLOAT: case BL_TYPE_DOUBLE:
		if (n == 0 || strspn(v, "-+.0123456789eE") != n)
			return FERRY_EINVAL;
		return buf_append(b, v, n);
	default:
		break;
	}
	if (n >= 2 && v[0] == '\\' && v[1] == 'x') {
		if (n % 2)
			return FERRY_EINVAL;
		for (size_t i = 2; i < n; i++)
			if (hexval(v[i]) < 0)
				return FERRY_EINVAL;
		return buf_printf(b, "X'%s'", v + 2);
	}
	return put_literal(s->sql, b, v, n);
}

/* The raw text of key part `k` of a row, for the resume JSON. */
static char *key_text(const struct snap_table *t, MYSQL_ROW row,
		      const unsigned long *lens, size_t k)
{
	size_t c = t->keyidx[k];

	if (t->desc->cols[c].type == DATUM_T_BYTES) {
		char *h = xmalloc(3 + 2 * lens[c]);

		memcpy(h, "\\x", 2);
		for (unsigned long i = 0; i < lens[c]; i++)
			snprintf(h + 2 + 2 * i, 3, "%02x",
				 (unsigned char)row[c][i]);
		h[2 + 2 * lens[c]] = '\0';
		return h;
	}
	return xstrndup(row[c], lens[c]);
}

static int copy_query(struct mysql_source *s, struct snap_table *t,
		      struct buf *q)
{
	int rc = buf_puts(q, "SELECT ");

	for (uint32_t i = 0; i < t->desc->ncols; i++)
		rc |= (i ? buf_putc(q, ',') : 0) || buf_puts(q, t->qcols[i]);
	rc |= buf_puts(q, " FROM ") || put_ident(q, s->db->database) ||
	      buf_putc(q, '.') || put_ident(q, t->name);
	if (t->resume) {
		/* (k1, k2) > (v1, v2): rows after the last one copied */
		rc |= buf_puts(q, " WHERE (");
		for (size_t k = 0; k < t->nkey; k++)
			rc |= (k ? buf_putc(q, ',') : 0) ||
			      put_ident(q, t->desc->cols[t->keyidx[k]].name);
		rc |= buf_puts(q, ") > (");
		for (size_t k = 0; k < t->nkey && !rc; k++)
			rc |= (k ? buf_putc(q, ',') : 0) ||
			      put_key_literal(s, q, t->types[t->keyidx[k]],
					      t->resume[k]);
		rc |= buf_putc(q, ')');
	}
	rc |= buf_puts(q, " ORDER BY ");
	for (size_t k = 0; k < t->nkey; k++)
		rc |= (k ? buf_putc(q, ',') : 0) ||
		      put_ident(q, t->desc->cols[t->keyidx[k]].name);
	/* one row more than a chunk tells whether the table is done */
	rc |= buf_printf(q, " LIMIT %d", s->chunk_rows + 1);
	return rc;
}

/*
 * A table whose earlier copy was cut short: empty it on the target, in a
 * transaction that also resets its progress (and records its new start
 * position), before copying it again from the first key.
 */
static void queue_restart(struct mysql_source *s, struct snap_table *t)
{
	struct change *c;

	push_out(s, change_new_txn(CHANGE_BEGIN, 0, &s->start, 0));
	push_out(s, change_new_row(CHANGE_TRUNCATE, t->desc, false, false));
	c = change_new_txn(CHANGE_COMMIT, 0, &s->start, 0);
	c->mark = snapshot_mark_new_at(t->label, NULL, false, 0, &t->start);
	push_out(s, c);
	t->was_cut = false;
	t->rows = 0;
	json_strings_free(t->resume, t->nresume);
	t->resume = NULL;
	t->nresume = 0;
	log_info("source", "emptying table=%s on the target: its last copy "
		 "was cut short", t->label);
}

/* Fetch one chunk of the current table and queue it as a transaction. */
static int copy_chunk(struct mysql_source *s, struct err *e)
{
	struct snap_table *t = &s->tables[s->cur];
	struct change *commit;
	char **keyv = NULL, *key = NULL;
	size_t *keyl = NULL;
	MYSQL_RES *r = NULL;
	MYSQL_ROW row;
	unsigned long *lens;
	struct buf q;
	uint64_t got = 0, nrows;
	bool done;
	int rc;

	if (!t->copy) {
		s->cur++;
		return 0;
	}
	if (t->was_cut) {
		queue_restart(s, t);
		return 0;
	}
	if (t->rows == 0 && !t->resume)
		log_info("source", "copying table=%s", t->label);
	buf_init(&q, 0);
	rc = copy_query(s, t, &q);
	if (rc) {
		buf_release(&q);
		return err_set(e, FERRY_EINVAL, "table %s: bad resume key",
			       t->label);
	}
	rc = sql_rows(s->sql, q.data, &r, "could not copy", e);
	buf_release(&q);
	if (rc)
		return err_prefix(e, "table %s", t->label);
	nrows = mysql_num_rows(r);
	done = nrows <= (uint64_t)s->chunk_rows;
	push_out(s, change_new_txn(CHANGE_BEGIN, 0, &s->start, 0));
	keyv = xcalloc(t->nkey, sizeof(*keyv));
	keyl = xcalloc(t->nkey, sizeof(*keyl));
	while (!rc && got < (uint64_t)s->chunk_rows &&
	       (row = mysql_fetch_row(r))) {
		struct change *c = change_new_row(CHANGE_INSERT, t->desc,
						  false, true);

		lens = mysql_fetch_lengths(r);
		c->snapshot = true;
		for (uint32_t j = 0; j < t->desc->ncols && !rc; j++) {
			if (!row[j]) {
				rc = change_set_new(c, j, DATUM_NULL, NULL, 0);
				continue;
			}
			buf_reset(&s->scratch);
			rc = binlog_canon_text(t->types[j], row[j], lens[j],
					       &s->scratch);
			if (!rc)
				rc = change_set_new(c, j, DATUM_VALUE,
						    s->scratch.data,
						    s->scratch.len);
		}
		push_out(s, c);
		got++;
		/* the key of the last row copied: where the next chunk
		 * begins (and a record of progress on the target) */
		for (size_t k = 0; k < t->nkey; k++) {
			free(keyv[k]);
			keyv[k] = key_text(t, row, lens, k);
			keyl[k] = strlen(keyv[k]);
		}
	}
	mysql_free_result(r);
	if (rc)
		rc = err_set(e, rc, "table %s: a copied value cannot be read "
			     "back", t->label);
	if (!rc && got > 0)
		rc = json_strings_encode((const char *const *)keyv, keyl,
					 t->nkey, &key, e);
	for (size_t k = 0; k < t->nkey; k++)
		free(keyv[k]);
	free(keyv);
	free(keyl);
	if (rc)
		return rc;
	t->rows += got;
	commit = change_new_txn(CHANGE_COMMIT, 0, &s->start, 0);
	if (!key && t->resume) {
		/* an empty last chunk keeps the previous resume key */
		size_t *l = xcalloc(t->nkey, sizeof(*l));

		for (size_t k = 0; k < t->nkey; k++)
			l[k] = strlen(t->resume[k]);
		rc = json_strings_encode((const char *const *)t->resume, l,
					 t->nkey, &key, e);
		free(l);
	}
	commit->mark = snapshot_mark_new_at(t->label, key, done, t->rows,
					    &t->start);
	push_out(s, commit);
	if (key && got > 0) {
		json_strings_free(t->resume, t->nresume);
		t->resume = NULL;
		t->nresume = 0;
		rc = json_strings_decode(key, &t->resume, &t->nresume, e);
	}
	free(key);
	if (rc)
		return rc;
	if (done) {
		log_info("source", "copied table=%s rows=%" PRIu64, t->label,
			 t->rows);
		s->cur++;
	}
	return 0;
}

/* ---- streaming ------------------------------------------------------------ */

static int start_streaming(struct mysql_source *s, struct err *e)
{
	char sql[256], pos[POS_TEXT_MAX];
	unsigned hb_ms = s->idle_advance_ms / 2 < 1000
				 ? (unsigned)s->idle_advance_ms / 2 : 1000;
	/* the heartbeat keeps a quiet connection talking; a silent one is
	 * dead */
	unsigned read_to = 30;
	bool gtid = s->mariadb && s->start.gtid[0];
	struct buf q;
	int rc;

	rc = end_snapshot(s, e);
	if (!rc)
		rc = my_connect(s, &s->repl, read_to, e);
	if (rc)
		return rc;
	if (hb_ms < 100)
		hb_ms = 100;
	snprintf(sql, sizeof(sql), "SET @master_heartbeat_period = %llu",
		 (unsigned long long)hb_ms * 1000000ull);
	/* announce we verify checksums (else the server strips them);
	 * capability 4 = MARIA_SLAVE_CAPABILITY_GTID: GTID events, not
	 * BEGIN queries */
	rc = sql_do(s->repl, "SET @master_binlog_checksum = "
		    "@@global.binlog_checksum", "could not prepare the "
		    "binlog dump", e);
	if (!rc)
		rc = sql_do(s->repl, "SET @mariadb_slave_capability = 4",
			    "could not prepare the binlog dump", e);
	if (!rc)
		rc = sql_do(s->repl, sql, "could not set the heartbeat", e);
	if (!rc && gtid) {
		buf_init(&q, 0);
		rc = buf_puts(&q, "SET @slave_connect_state = ");
		rc |= put_literal(s->repl, &q, s->start.gtid,
				  strlen(s->start.gtid));
		if (!rc)
			rc = sql_do(s->repl, q.data, "could not set the GTID "
				    "to stream from", e);
		buf_release(&q);
	}
	if (rc)
		return rc;
	s->rpl = mariadb_rpl_init(s->repl);
	if (!s->rpl)
		return sql_error(s->repl, "could not start replication", e);
	mariadb_rpl_optionsv(s->rpl, MARIADB_RPL_SERVER_ID,
			     (unsigned)s->db->server_id);
	/* a report host: registers us in SHOW SLAVE HOSTS */
	mariadb_rpl_optionsv(s->rpl, MARIADB_RPL_HOST, s->app_name);
	mariadb_rpl_optionsv(s->rpl, MARIADB_RPL_PORT, 0u);
	mariadb_rpl_optionsv(s->rpl, MARIADB_RPL_FLAGS, 0u);
	if (gtid) {
		mariadb_rpl_optionsv(s->rpl, MARIADB_RPL_FILENAME, "", (size_t)0);
		mariadb_rpl_optionsv(s->rpl, MARIADB_RPL_START, 4ul);
	} else {
		mariadb_rpl_optionsv(s->rpl, MARIADB_RPL_FILENAME,
				     s->start.file, strlen(s->start.file));
		mariadb_rpl_optionsv(s->rpl, MARIADB_RPL_START,
				     (unsigned long)s->start.offset);
	}
	if (mariadb_rpl_open(s->rpl))
		return sql_error(s->repl, "could not start the binlog dump",
				 e);
	rc = binlog_set_start(s->dec, s->start.file, s->start.offset,
			      s->start.gtid, e);
	if (rc)
		return rc;
	binlog_expect_checksum(s->dec, s->crc32);
	rc = fetcher_start(&s->fetch, s->rpl, s->repl, e);
	if (rc)
		return rc;
	s->phase = PHASE_STREAM;
	s->emitted = s->start;
	s->last_commit_ms = now_ms();
	log_info("source", "streaming server_id=%u from=%s%s",
		 s->db->server_id, pos_format(&s->start, pos, sizeof(pos)),
		 gtid ? " (by GTID)" : "");
	return 0;
}

/*
 * Did the transaction being read commit at or before the start position
 * of the copy of the table `c` changes?  Then the copy has its effect.
 * (Its BEGIN position is compared: see the top of this file.)
 */
static bool in_copy(const struct mysql_source *s, const struct change *c)
{
	const struct table_desc *d = c->table;

	for (size_t i = 0; i < s->ntables; i++) {
		const struct snap_table *t = &s->tables[i];

		if (strcmp(t->name, d->name) == 0 &&
		    strcmp(t->desc->schema, d->schema) == 0)
			return t->start.kind == POS_MYSQL &&
			       pos_cmp(&s->txn_pos, &t->start) <= 0;
	}
	return false;
}

/*
 * A change out of the decoder.  BEGIN is held back until the first row:
 * a transaction without migrated rows is dropped whole (its position
 * goes out later with the idle advance), and so are the rows of a table
 * whose copy already has them.
 */
static void on_change(struct mysql_source *s, struct change *c)
{
	switch (c->kind) {
	case CHANGE_BEGIN:
		change_free(s->held_begin);
		s->held_begin = c;
		s->txn_pos = *c->pos;
		s->txn_filtered = s->filter_until.kind == POS_MYSQL &&
				  pos_cmp(c->pos, &s->filter_until) <= 0;
		if (!s->txn_filtered && s->filter_until.kind == POS_MYSQL) {
			char at[POS_TEXT_MAX];

			log_info("source", "stream passed the copies' start "
				 "positions at %s: skipped=%" PRIu64 " row "
				 "changes the copies hold",
				 pos_format(c->pos, at, sizeof(at)),
				 s->skipped);
			s->filter_until.kind = POS_NONE;
		}
		return;
	case CHANGE_COMMIT:
		if (s->held_begin) {
			change_free(s->held_begin);
			s->held_begin = NULL;
			change_free(c);
			return;
		}
		s->emitted = *c->pos;
		s->last_commit_ms = now_ms();
		push_out(s, c);
		return;
	default:
		if (s->txn_filtered && c->table && in_copy(s, c)) {
			s->skipped++;
			change_free(c);
			return;
		}
		if (s->held_begin) {
			push_out(s, s->held_begin);
			s->held_begin = NULL;
		}
		push_out(s, c);
		return;
	}
}

static int on_event(struct mysql_source *s, const unsigned char *p, size_t n,
		    struct err *e)
{
	struct binlog_event info;
	struct change *c;
	int rc;

	err_clear(&s->hook_err);
	rc = binlog_decode(s->dec, p, n, &c, &info, e);
	s->events++;
	if (!rc && s->hook_err.code) {
		/* the decoder went on with a guess: do not use it */
		change_free(c);
		while ((c = binlog_take_pending(s->dec)))
			change_free(c);
		rc = err_set(e, s->hook_err.code, "%s", s->hook_err.msg);
	}
	if (rc) {
		char pos[POS_TEXT_MAX];
		struct ferry_pos at;

		binlog_position(s->dec, &at);
		return err_prefix(e, "reading the binlog after %s",
				  pos_format(&at, pos, sizeof(pos)));
	}
	if (info.ignored) {
		s->ignored++;
		log_debug("source", "ignored binlog event type=%s (0x%02x) "
			  "next=%" PRIu64, binlog_event_name(info.type),
			  info.type, info.next);
	}
	for (; c; c = binlog_take_pending(s->dec))
		on_change(s, c);
	return 0;
}

/* While nothing is migrated, let the checkpoint follow the binlog. */
static void idle_advance(struct mysql_source *s)
{
	struct ferry_pos p;

	if (binlog_in_transaction(s->dec) || s->held_begin ||
	    s->nout > s->outpos ||
	    now_ms() - s->last_commit_ms < s->idle_advance_ms)
		return;
	binlog_position(s->dec, &p);
	if (pos_cmp(&p, &s->emitted) <= 0)
		return;
	push_out(s, change_new_txn(CHANGE_BEGIN, 0, &p, 0));
	push_out(s, change_new_txn(CHANGE_COMMIT, 0, &p, 0));
	s->emitted = p;
	s->last_commit_ms = now_ms();
}

static int stream_next(struct mysql_source *s, int timeout_ms, struct err *e)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (;;) {
		struct fetch_item it = { NULL, 0 };
		int rc = fetcher_pop(&s->fetch, &deadline, &it, e);

		if (rc < 0)
			return rc;
		if (rc == 0) {
			idle_advance(s);
			return 0;
		}
		rc = on_event(s, it.p, it.n, e);
		free(it.p);
		if (rc)
			return rc;
		if (s->nout > s->outpos)
			return 0;
		idle_advance(s);
		if (s->nout > s->outpos)
			return 0;
	}
}

/* ---- source interface ---------------------------------------------------- */

static int mysql_source_next(struct source *base, struct change **out,
			     int timeout_ms, struct err *e)
{
	struct mysql_source *s = (struct mysql_source *)base;
	int rc;

	*out = pop_out(s);
	if (*out)
		return 0;
	if (s->phase == PHASE_SNAPSHOT) {
		while (s->cur < s->ntables) {
			rc = copy_chunk(s, e);
			*out = pop_out(s);
			if (rc || *out)
				return rc;
		}
		rc = start_streaming(s, e);
		if (rc)
			return rc;
	}
	rc = stream_next(s, timeout_ms < 0 ? 0 : timeout_ms, e);
	*out = pop_out(s);
	return rc;
}

/* MySQL has no slot to confirm to: the server keeps its binlogs for
 * expire_logs_days whatever we read.  Kept for the interface. */
static int mysql_source_feedback(struct source *base,
				 const struct ferry_pos *confirmed,
				 struct err *e)
{
	(void)base;
	(void)confirmed;
	(void)e;
	return 0;
}

static void mysql_source_close(struct source *base)
{
	struct mysql_source *s = (struct mysql_source *)base;
	struct change *c;

	fetcher_stop(&s->fetch);
	if (s->rpl)
		mariadb_rpl_close(s->rpl);
	if (s->repl)
		mysql_close(s->repl);
	if (s->colres)
		mysql_free_result(s->colres);
	if (s->sql)
		mysql_close(s->sql);
	while ((c = pop_out(s)))
		change_free(c);
	free(s->out);
	change_free(s->held_begin);
	for (size_t i = 0; i < s->ntables; i++)
		snap_table_release(&s->tables[i]);
	free(s->tables);
	for (size_t i = 0; i < s->nknown; i++)
		free(s->known[i].name);
	free(s->known);
	binlog_free(s->dec);
	buf_release(&s->scratch);
	if (s->password) {
		memset(s->password, 0, strlen(s->password));
		free(s->password);
	}
	free(s->app_name);
	free(s);
}

static const struct source_ops mysql_source_ops = {
	.name = "mysql",
	.next = mysql_source_next,
	.feedback = mysql_source_feedback,
	.close = mysql_source_close,
};

/*
 * Decide, per table, from the target's checkpoint: done tables keep the
 * start position of their copy; the others are copied in this run, those
 * cut short after emptying their target table first.  Returns whether
 * anything needs a copy.
 */
static bool plan_snapshot(struct mysql_source *s, struct snap_table *all,
			  size_t n, const struct checkpoint *cp)
{
	s->tables = all;
	s->ntables = n;
	s->ncopy = 0;
	for (size_t i = 0; i < n; i++) {
		struct snap_table *t = &s->tables[i];
		const struct checkpoint_table *ct =
			cp ? checkpoint_find(cp, t->label) : NULL;

		if (ct && ct->done) {
			if (ct->start.kind == POS_MYSQL)
				t->start = ct->start;
			t->rows = ct->rows;
			continue;
		}
		t->copy = true;
		t->was_cut = ct != NULL;
		s->ncopy++;
	}
	return s->ncopy > 0;
}

/* The binlog a checkpoint resumes from must still be on the server. */
static int check_resume_file(struct mysql_source *s, struct err *e)
{
	MYSQL_RES *r;
	MYSQL_ROW row;
	bool found = false;
	char pos[POS_TEXT_MAX];

	if (s->mariadb && s->start.gtid[0])
		return 0;	/* the server finds the GTID itself */
	if (sql_rows(s->sql, "SHOW BINARY LOGS", &r, "", e))
		return 0;	/* no privilege to look: the dump will say */
	while ((row = mysql_fetch_row(r)))
		if (row[0] && strcmp(row[0], s->start.file) == 0)
			found = true;
	mysql_free_result(r);
	if (!found)
		return err_set(e, FERRY_ESTATE, "the source no longer has "
			       "binlog \"%s\" that the checkpoint %s needs: "
			       "changes since then are lost; start over with "
			       "an empty target", s->start.file,
			       pos_format(&s->start, pos, sizeof(pos)));
	return 0;
}

int mysql_source_open(const struct source_params *p, struct source **out,
		      struct err *e)
{
	struct mysql_source *s = xcalloc(1, sizeof(*s));
	struct binlog_hooks hooks;
	struct snap_table *all = NULL;
	bool resume = p->cp && p->cp->exists, need_copy;
	struct ferry_pos copy_at = { .kind = POS_NONE };
	char pos[POS_TEXT_MAX];
	size_t nall = 0;
	int rc;

	s->base.ops = &mysql_source_ops;
	s->db = p->db;
	s->password = xstrdup(p->password ? p->password : "");
	s->mapping = p->mapping;
	s->chunk_rows = p->snapshot_chunk_rows > 0 ? p->snapshot_chunk_rows
						   : 10000;
	s->idle_advance_ms = p->idle_advance_ms > 0 ? p->idle_advance_ms
						    : 10000;
	s->app_name = xstrdup(p->application_name ? p->application_name
						  : "ferry");
	buf_init(&s->scratch, 0);
	hooks.want = want_table;
	hooks.columns = table_columns;
	hooks.arg = s;
	s->dec = binlog_new(&hooks);
	s->phase = PHASE_SNAPSHOT;

	rc = my_connect(s, &s->sql, 0, e);
	if (!rc)
		rc = check_server(s, e);
	/* the snapshot reads TIMESTAMP in UTC, like the decoder prints it */
	if (!rc)
		rc = sql_do(s->sql, "SET SESSION time_zone = '+00:00'",
			    "could not set the session time zone", e);
	if (!rc)
		rc = load_known(s, e);
	if (!rc)
		rc = select_tables(s, &all, &nall, e);
	for (size_t i = 0; i < nall && !rc; i++)
		rc = describe_table(s, &all[i], e);
	for (size_t i = 0; i < nall && !rc; i++)
		rc = max_id_of(s, &all[i], e);
	if (rc)
		goto fail;
	if (resume) {
		if (p->cp->pos.kind != POS_MYSQL) {
			rc = err_set(e, FERRY_ESTATE, "the target's checkpoint "
				     "%s is not a MySQL binlog position",
				     pos_format(&p->cp->pos, pos,
						sizeof(pos)));
			goto fail;
		}
		s->start = p->cp->pos;
		rc = check_resume_file(s, e);
		if (rc)
			goto fail;
	}
	need_copy = plan_snapshot(s, all, nall, resume ? p->cp : NULL);
	all = NULL;
	nall = 0;
	if (!resume) {
		/* first start: stream from the snapshot's own position */
		rc = begin_snapshot(s, &s->start, true, e);
		copy_at = s->start;
	} else if (need_copy) {
		/* the stream resumes from the checkpoint; what is copied now
		 * belongs to a new snapshot, taken later */
		rc = begin_snapshot(s, &copy_at, false, e);
	}
	if (rc)
		goto fail;
	for (size_t i = 0; i < s->ntables; i++) {
		struct snap_table *t = &s->tables[i];

		if (t->copy)
			t->start = copy_at;
		if (t->start.kind == POS_MYSQL &&
		    (s->filter_until.kind != POS_MYSQL ||
		     pos_cmp(&t->start, &s->filter_until) > 0))
			s->filter_until = t->start;
	}
	/* a stream that starts at or after every copy filters nothing */
	if (s->filter_until.kind == POS_MYSQL &&
	    pos_cmp(&s->start, &s->filter_until) >= 0)
		s->filter_until.kind = POS_NONE;
	if (need_copy)
		log_info("source", "snapshot tables=%zu at=%s%s", s->ncopy,
			 pos_format(&copy_at, pos, sizeof(pos)),
			 resume ? " (a new one: an earlier copy was cut "
				  "short or tables were added)" : "");
	*out = &s->base;
	return 0;
fail:
	for (size_t i = 0; i < nall; i++)
		snap_table_release(&all[i]);
	free(all);
	mysql_source_close(&s->base);
	return rc;
}
