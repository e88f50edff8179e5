/*
 * pg_source.c - the PostgreSQL reader: publication and slot, consistent
 * initial snapshot, then logical replication with pgoutput (see source.h).
 *
 * Two connections.  The replication connection (replication=database)
 * creates the slot and later streams; the snapshot connection reads the
 * catalog and copies the tables.  On a first start the slot is created
 * with an exported snapshot, which the snapshot connection imports in a
 * REPEATABLE READ transaction before the replication connection is used
 * again (the export lives only that long); the copy therefore sees
 * exactly the state at the slot's consistent point, and streaming from
 * that point loses and repeats nothing.
 *
 * Copies go in primary-key order through a cursor, one chunk per FETCH,
 * each chunk a pseudo-transaction whose COMMIT records the table's
 * progress and its start position: the point its copy belongs to.  A
 * restart cannot get the interrupted copy's snapshot back, so a table
 * whose copy was cut short is emptied on the target and copied again
 * under a new snapshot, exported by a temporary slot, whose consistent
 * point becomes that table's start position; the stream (which always
 * resumes from the checkpoint) then skips the table's changes from
 * transactions that committed before it.  This is how PostgreSQL's own
 * table synchronisation works, and it keeps the promise exact: no change
 * is applied on top of a copy that already contains it.  (Replaying such
 * an overlap is not harmless: a unique key other than the primary key
 * can see states in an order the source never had.)

 * Streaming speaks the replication sub-protocol inside CopyBoth:
 * XLogData ('w') carries pgoutput messages, the primary keepalive ('k')
 * asks for replies; we send standby status updates ('r') confirming only
 * what the pipeline reported durable.  Field layouts follow PostgreSQL's
 * "Streaming Replication Protocol" page; names below are its names.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../pg/pg_conn.h"
#include "ferry/buf.h"
#include "ferry/json.h"
#include "ferry/log.h"
#include "ferry/mem.h"
#include "ferry/pgoutput.h"
#include "ferry/source.h"
#include "ferry/wire.h"

/* how often we report our position even when nothing changed, well
 * inside the server's wal_sender_timeout (60 s by default) */
#define STATUS_INTERVAL_MS 10000

struct snap_table {
	char *schema, *name;
	char *label;			/* "schema.name" for marks/messages */
	struct table_desc *desc;	/* all columns, attnum order */
	char **keycols;			/* quoted key column names */
	int *keyidx;			/* key part -> desc column */
	size_t nkey;
	uint64_t rows;			/* copied so far */
	bool copy;			/* to be copied in this run */
	bool was_cut;			/* an earlier copy was cut short:
					   empty the target table first */
	uint64_t start;			/* the copy's snapshot point */
	size_t order;			/* index of its mapping rule */
};

enum phase {
	PHASE_SNAPSHOT,
	PHASE_STREAM,
};

struct pg_source {
	struct source base;
	const struct config_db *db;
	char *password;
	const struct mapping *mapping;
	int chunk_rows;
	int idle_advance_ms;
	char *app_name;

	PGconn *repl;			/* walsender connection */
	PGconn *snap;			/* catalog + snapshot copy */
	struct pgoutput *dec;
	enum phase phase;
	uint64_t start_lsn;		/* P: where streaming begins */

	struct snap_table *tables;	/* every selected table */
	size_t ntables, cur;		/* cur: next table to look at */
	bool cursor_open;
	bool chunk_done;		/* last chunk of cur was emitted */

	/* changes made but not yet handed out, in order */
	struct change **out;
	size_t nout, outcap, outpos;

	/* streaming state */
	bool in_txn;
	uint64_t txn_lsn;		/* commit LSN of the txn being read */
	uint64_t filter_until;		/* some table starts after the stream:
					   filter changes of txns before this */
	uint64_t last_received;		/* end of the last XLogData */
	uint64_t last_emitted;		/* end LSN of the last COMMIT out */
	uint64_t confirmed;		/* what the pipeline said is durable */
	uint64_t reported;		/* what we last told the server */
	int64_t last_status_ms;
	int64_t last_commit_ms;		/* when the last COMMIT went out */
	int64_t last_probe_ms;		/* idle probe (reply requested) */
	struct buf scratch;
};

static const struct source_ops pg_source_ops;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void push_out(struct pg_source *s, struct change *c)
{
	xgrow((void **)&s->out, &s->outcap, s->nout + 1, sizeof(*s->out));
	s->out[s->nout++] = c;
}

static struct change *pop_out(struct pg_source *s)
{
	struct change *c;

	if (s->outpos == s->nout) {
		s->nout = s->outpos = 0;
		return NULL;
	}
	c = s->out[s->outpos++];
	return c;
}

static int parse_lsn(const char *text, uint64_t *lsn)
{
	struct ferry_pos p;
	char buf[64];

	snprintf(buf, sizeof(buf), "pg:%s", text);
	if (pos_parse(buf, &p, NULL))
		return -1;
	*lsn = p.lsn;
	return 0;
}

static const char *lsn_text(uint64_t lsn, char *out, size_t n)
{
	snprintf(out, n, "%X/%X", (unsigned)(lsn >> 32), (unsigned)lsn);
	return out;
}

/* ---- catalog ---------------------------------------------------------- */

static void snap_table_release(struct snap_table *t)
{
	free(t->schema);
	free(t->name);
	free(t->label);
	table_desc_unref(t->desc);
	for (size_t i = 0; i < t->nkey; i++)
		free(t->keycols[i]);
	free(t->keycols);
	free(t->keyidx);
}

/*
 * Describe one table the way pgoutput's Relation message would: every
 * column that is not dropped or generated, in attnum order, key flags
 * from the primary key.
 */
static int describe_table(struct pg_source *s, struct snap_table *t,
			  struct err *e)
{
	static const char sql[] =
		"SELECT a.attname, a.atttypid::int8, '',"
		"       coalesce((SELECT k.n FROM unnest(i.indkey)"
		"                 WITH ORDINALITY k(att, n)"
		"                 WHERE k.att = a.attnum), 0)"
		"  FROM pg_attribute a"
		"  LEFT JOIN pg_index i"
		"    ON i.indrelid = a.attrelid AND i.indisprimary"
		" WHERE a.attrelid = $1::regclass AND a.attnum > 0"
		"   AND NOT a.attisdropped AND a.attgenerated = ''"
		" ORDER BY a.attnum";
	struct buf q;
	const char *param;
	PGresult *r;
	int n, rc = 0;

	buf_init(&q, 0);
	if (pgc_quote_ident(&q, t->schema) || buf_putc(&q, '.') ||
	    pgc_quote_ident(&q, t->name)) {
		buf_release(&q);
		return err_set(e, FERRY_EINVAL, "table name too long");
	}
	param = q.data;
	r = PQexecParams(s->snap, sql, 1, NULL, &param, NULL, NULL, 0);
	buf_release(&q);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pgc_error(s->snap, r, "could not describe source table",
			       e);
		PQclear(r);
		return rc;
	}
	n = PQntuples(r);
	t->desc = table_desc_new(t->schema, t->name, (uint32_t)n);
	t->keycols = xcalloc((size_t)n + 1, sizeof(*t->keycols));
	t->keyidx = xcalloc((size_t)n + 1, sizeof(*t->keyidx));
	for (int i = 0; i < n; i++) {
		long kpos = strtol(PQgetvalue(r, i, 3), NULL, 10);
		uint32_t typid = (uint32_t)strtoul(PQgetvalue(r, i, 1), NULL,
						   10);

		table_desc_set_col(t->desc, (uint32_t)i, PQgetvalue(r, i, 0),
				   pg_type_class(typid), typid, kpos > 0);
		if (kpos > 0 && kpos <= n) {
			struct buf id;

			buf_init(&id, 0);
			if (pgc_quote_ident(&id, PQgetvalue(r, i, 0)))
				rc = FERRY_EFULL;
			t->keycols[kpos - 1] = buf_detach(&id, NULL);
			t->keyidx[kpos - 1] = i;
			if ((size_t)kpos > t->nkey)
				t->nkey = (size_t)kpos;
		}
	}
	PQclear(r);
	for (size_t k = 0; k < t->nkey; k++)
		if (!t->keycols[k])
			rc = err_set(e, FERRY_ECONFIG, "source table %s: "
				     "primary key columns are not all "
				     "replicated", t->label);
	if (!rc && t->nkey == 0)
		rc = err_set(e, FERRY_ECONFIG, "source table %s has no primary "
			     "key: ferry needs one to write by key",
			     t->label);
	return rc;
}

static int by_rule_order(const void *a, const void *b)
{
	const struct snap_table *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->label, y->label);
}

/*
 * Find the tables the mapping selects: exact rules name tables (keyless
 * ones are an error), wildcards take every table with a primary key.
 */
static int select_tables(struct pg_source *s, struct snap_table **out,
			 size_t *nout, struct err *e)
{
	static const char sql[] =
		"SELECT n.nspname, c.relname,"
		"       EXISTS (SELECT 1 FROM pg_index i"
		"                WHERE i.indrelid = c.oid AND i.indisprimary)"
		"  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
		"   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
		"   AND n.nspname NOT LIKE 'pg\\_toast%'"
		"   AND c.relname NOT IN ('ferry_checkpoint', 'ferry_snapshot')"
		" ORDER BY 1, 2";
	struct snap_table *t = NULL;
	size_t n = 0;
	PGresult *r;
	int rc = 0;

	rc = pgc_exec(s->snap, sql, PGRES_TUPLES_OK, &r,
		      "could not list source tables", e);
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		const char *schema = PQgetvalue(r, i, 0);
		const char *name = PQgetvalue(r, i, 1);
		bool has_pk = PQgetvalue(r, i, 2)[0] == 't';
		const struct mapping_rule *rule;
		struct snap_table *st;
		size_t len;

		rule = mapping_find(s->mapping, schema, name, has_pk);
		if (!rule || rule->skip)
			continue;
		t = xrealloc(t, (n + 1) * sizeof(*t));
		st = &t[n++];
		memset(st, 0, sizeof(*st));
		st->schema = xstrdup(schema);
		st->name = xstrdup(name);
		len = strlen(schema) + strlen(name) + 2;
		st->label = xmalloc(len);
		snprintf(st->label, len, "%s.%s", schema, name);
		st->order = mapping_rule_index(s->mapping, rule);
		if (!has_pk)
			rc = err_set(e, FERRY_ECONFIG, "source table %s (mapping"
				     " line %d) has no primary key: ferry "
				     "needs one to write by key", st->label,
				     rule->line);
	}
	PQclear(r);
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

/* Raise base.max_id to the table's largest integer "id", if it has one. */
static int max_id_of(struct pg_source *s, const struct snap_table *t,
		     struct err *e)
{
	int i = table_desc_find(t->desc, "id");
	struct buf sql;
	PGresult *r;
	int rc = 0;

	if (i < 0 || t->desc->cols[i].type != DATUM_T_INT)
		return 0;
	buf_init(&sql, 0);
	rc |= buf_puts(&sql, "SELECT max(id) FROM ");
	rc |= pgc_quote_ident(&sql, t->schema);
	rc |= buf_putc(&sql, '.');
	rc |= pgc_quote_ident(&sql, t->name);
	if (rc) {
		buf_release(&sql);
		return err_set(e, FERRY_EFULL, "table name too long");
	}
	rc = pgc_exec(s->snap, sql.data, PGRES_TUPLES_OK, &r,
		      "could not read the largest id", e);
	buf_release(&sql);
	if (rc)
		return err_prefix(e, "table %s", t->label);
	if (!PQgetisnull(r, 0, 0)) {
		long long v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);

		if (v > s->base.max_id)
			s->base.max_id = v;
	}
	PQclear(r);
	return 0;
}

/* ---- publication and slot -------------------------------------------- */

static int ensure_publication(struct pg_source *s, struct snap_table *t,
			      size_t n, struct err *e)
{
	const char *pub = s->db->publication;
	struct buf sql;
	PGresult *r;
	const char *param = pub;
	bool exists;
	size_t added = 0;
	int rc;

	r = PQexecParams(s->snap, "SELECT schemaname || '.' || tablename "
			 "FROM pg_publication_tables WHERE pubname = $1", 1,
			 NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pgc_error(s->snap, r, "could not read publication", e);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	r = PQexecParams(s->snap, "SELECT 1 FROM pg_publication WHERE "
			 "pubname = $1", 1, NULL, &param, NULL, NULL, 0);
	exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	PQclear(r);
	r = PQexecParams(s->snap, "SELECT schemaname || '.' || tablename "
			 "FROM pg_publication_tables WHERE pubname = $1", 1,
			 NULL, &param, NULL, NULL, 0);
	buf_init(&sql, 0);
	rc = exists ? buf_puts(&sql, "ALTER PUBLICATION ")
		    : buf_puts(&sql, "CREATE PUBLICATION ");
	rc |= pgc_quote_ident(&sql, pub);
	rc |= buf_puts(&sql, exists ? " ADD TABLE " : " FOR TABLE ");
	for (size_t i = 0; i < n; i++) {
		bool have = false;

		for (int j = 0; j < PQntuples(r) && !have; j++)
			have = strcmp(PQgetvalue(r, j, 0), t[i].label) == 0;
		if (have)
			continue;
		rc |= added++ ? buf_putc(&sql, ',') : 0;
		rc |= pgc_quote_ident(&sql, t[i].schema);
		rc |= buf_putc(&sql, '.');
		rc |= pgc_quote_ident(&sql, t[i].name);
	}
	PQclear(r);
	if (rc) {
		buf_release(&sql);
		return err_set(e, FERRY_EFULL, "publication statement too long");
	}
	if (added) {
		/* ferry's own publication: the one thing it writes on the
		 * source, besides its slot */
		log_info("source", "%s publication \"%s\" tables=%zu",
			 exists ? "extending" : "creating", pub, added);
		rc = pgc_exec(s->snap, sql.data, PGRES_COMMAND_OK, NULL,
			      "could not set up the publication", e);
	}
	buf_release(&sql);
	return rc;
}

/* The slot's state: 1 if it exists (LSN in *confirmed), 0 if not. */
static int find_slot(struct pg_source *s, uint64_t *confirmed, struct err *e)
{
	const char *param = s->db->slot;
	PGresult *r;
	int rc = 0;

	r = PQexecParams(s->snap, "SELECT confirmed_flush_lsn, plugin, "
			 "database FROM pg_replication_slots WHERE "
			 "slot_name = $1", 1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pgc_error(s->snap, r, "could not read replication slots",
			       e);
	} else if (PQntuples(r) == 1) {
		if (strcmp(PQgetvalue(r, 0, 1), "pgoutput") != 0 ||
		    strcmp(PQgetvalue(r, 0, 2), s->db->database) != 0)
			rc = err_set(e, FERRY_ECONFIG, "replication slot \"%s\" "
				     "exists but belongs to database \"%s\" / "
				     "plugin \"%s\"; choose another "
				     "source.slot", param,
				     PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 1));
		else if (parse_lsn(PQgetvalue(r, 0, 0), confirmed))
			rc = err_set(e, FERRY_EPROTO, "bad LSN \"%s\" for slot",
				     PQgetvalue(r, 0, 0));
		else
			rc = 1;
	}
	PQclear(r);
	return rc;
}

/*
 * CREATE_REPLICATION_SLOT on `conn` with an exported snapshot: the slot's
 * consistent point goes to *lsn and the snapshot's name to `snapshot`.
 * The export lives until `conn` runs its next command, so the snapshot
 * connection must import it first.
 */
static int create_slot(PGconn *conn, const char *name, bool temporary,
		       uint64_t *lsn, char *snapshot, size_t n, struct err *e)
{
	struct buf sql;
	PGresult *r;
	int rc;

	buf_init(&sql, 0);
	rc = buf_puts(&sql, "CREATE_REPLICATION_SLOT ");
	rc |= pgc_quote_ident(&sql, name);
	rc |= buf_printf(&sql, "%s LOGICAL pgoutput (SNAPSHOT 'export')",
			 temporary ? " TEMPORARY" : "");
	if (rc) {
		buf_release(&sql);
		return err_set(e, FERRY_EFULL, "slot name too long");
	}
	r = PQexec(conn, sql.data);
	buf_release(&sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
	    PQnfields(r) < 3) {
		rc = pgc_error(conn, r, "could not create replication slot",
			       e);
		PQclear(r);
		return rc;
	}
	/* columns: slot_name, consistent_point, snapshot_name, plugin */
	if (parse_lsn(PQgetvalue(r, 0, 1), lsn)) {
		PQclear(r);
		return err_set(e, FERRY_EPROTO, "bad consistent point");
	}
	snprintf(snapshot, n, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	return 0;
}

/* ---- snapshot copy ---------------------------------------------------- */

static int open_cursor(struct pg_source *s, struct snap_table *t,
		       struct err *e)
{
	struct buf sql;
	PGresult *r;
	int rc = 0;

	buf_init(&sql, 0);
	rc |= buf_puts(&sql, "DECLARE ferry_copy NO SCROLL CURSOR FOR SELECT ");
	for (uint32_t i = 0; i < t->desc->ncols; i++) {
		rc |= i ? buf_putc(&sql, ',') : 0;
		rc |= pgc_quote_ident(&sql, t->desc->cols[i].name);
	}
	rc |= buf_puts(&sql, " FROM ");
	rc |= pgc_quote_ident(&sql, t->schema);
	rc |= buf_putc(&sql, '.');
	rc |= pgc_quote_ident(&sql, t->name);
	rc |= buf_puts(&sql, " ORDER BY ");
	for (size_t k = 0; k < t->nkey; k++)
		rc |= buf_printf(&sql, "%s%s", k ? "," : "", t->keycols[k]);
	if (rc) {
		buf_release(&sql);
		return err_set(e, FERRY_EFULL, "copy statement too long");
	}
	r = PQexec(s->snap, sql.data);
	buf_release(&sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = pgc_error(s->snap, r, "could not start copying", e);
		PQclear(r);
		return err_prefix(e, "table %s", t->label);
	}
	PQclear(r);
	s->cursor_open = true;
	log_info("source", "copying table=%s", t->label);
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int set_snapshot_value(struct pg_source *s, struct change *c,
			      uint32_t i, const char *v, size_t len)
{
	if (c->table->cols[i].type != DATUM_T_BYTES)
		return change_set_new(c, i, DATUM_VALUE, v, len);
	/* bytea text "\x..." -> raw bytes, as the stream decoder does */
	buf_reset(&s->scratch);
	if (len < 2 || v[0] != '\\' || v[1] != 'x' || len % 2 ||
	    buf_reserve(&s->scratch, len / 2))
		return FERRY_EPROTO;
	for (size_t j = 2; j < len; j += 2) {
		int hi = hexval(v[j]), lo = hexval(v[j + 1]);

		if (hi < 0 || lo < 0)
			return FERRY_EPROTO;
		s->scratch.data[s->scratch.len++] = (char)(hi << 4 | lo);
	}
	return change_set_new(c, i, DATUM_VALUE, s->scratch.data,
			      s->scratch.len);
}

/* The key of row `row` as a JSON array of text. */
static int key_json(struct snap_table *t, PGresult *r, int row, char **out,
		    struct err *e)
{
	const char **vals = xcalloc(t->nkey, sizeof(*vals));
	size_t *lens = xcalloc(t->nkey, sizeof(*lens));
	int rc;

	for (size_t k = 0; k < t->nkey; k++) {
		vals[k] = PQgetvalue(r, row, t->keyidx[k]);
		lens[k] = (size_t)PQgetlength(r, row, t->keyidx[k]);
	}
	rc = json_strings_encode(vals, lens, t->nkey, out, e);
	free(vals);
	free(lens);
	return rc;
}

/*
 * A table whose earlier copy was cut short: empty it on the target, in a
 * transaction that also resets its progress, before copying it again.
 */
static void queue_restart(struct pg_source *s, struct snap_table *t)
{
	struct ferry_pos pos = { .kind = POS_PG, .lsn = s->start_lsn };
	struct ferry_pos start = { .kind = POS_PG, .lsn = t->start };
	struct change *c;

	push_out(s, change_new_txn(CHANGE_BEGIN, 0, &pos, 0));
	push_out(s, change_new_row(CHANGE_TRUNCATE, t->desc, false, false));
	c = change_new_txn(CHANGE_COMMIT, 0, &pos, 0);
	c->mark = snapshot_mark_new_at(t->label, NULL, false, 0, &start);
	push_out(s, c);
	t->was_cut = false;
	t->rows = 0;
	log_info("source", "emptying table=%s on the target: its last copy "
		 "was cut short", t->label);
}

/* Fetch one chunk of the current table and queue it as a transaction. */
static int copy_chunk(struct pg_source *s, struct err *e)
{
	struct snap_table *t = &s->tables[s->cur];
	struct ferry_pos pos = { .kind = POS_PG, .lsn = s->start_lsn };
	struct ferry_pos start = { .kind = POS_PG, .lsn = t->start };
	struct change *commit;
	char sql[64], *key = NULL;
	PGresult *r;
	int n, rc = 0;
	bool done;

	if (!t->copy) {
		s->cur++;
		return 0;
	}
	if (t->was_cut) {
		queue_restart(s, t);
		return 0;
	}
	if (!s->cursor_open) {
		rc = open_cursor(s, t, e);
		if (rc)
			return rc;
	}
	snprintf(sql, sizeof(sql), "FETCH %d FROM ferry_copy", s->chunk_rows);
	r = PQexec(s->snap, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pgc_error(s->snap, r, "could not copy", e);
		PQclear(r);
		return err_prefix(e, "table %s", t->label);
	}
	n = PQntuples(r);
	done = n < s->chunk_rows;
	push_out(s, change_new_txn(CHANGE_BEGIN, 0, &pos, 0));
	for (int i = 0; i < n && !rc; i++) {
		struct change *c = change_new_row(CHANGE_INSERT, t->desc,
						  false, true);

		c->snapshot = true;
		for (uint32_t j = 0; j < t->desc->ncols && !rc; j++) {
			if (PQgetisnull(r, i, (int)j))
				rc = change_set_new(c, j, DATUM_NULL, NULL, 0);
			else
				rc = set_snapshot_value(
					s, c, j, PQgetvalue(r, i, (int)j),
					(size_t)PQgetlength(r, i, (int)j));
		}
		push_out(s, c);
	}
	if (!rc && n > 0)
		rc = key_json(t, r, n - 1, &key, e);
	else if (rc)
		rc = err_set(e, rc, "table %s: a copied value does not fit",
			     t->label);
	PQclear(r);
	if (rc)
		return rc;
	t->rows += (uint64_t)n;
	commit = change_new_txn(CHANGE_COMMIT, 0, &pos, 0);
	commit->mark = snapshot_mark_new_at(t->label, key, done, t->rows,
					    &start);
	free(key);
	push_out(s, commit);
	if (done) {
		r = PQexec(s->snap, "CLOSE ferry_copy");
		PQclear(r);
		s->cursor_open = false;
		log_info("source", "copied table=%s rows=%" PRIu64, t->label,
			 t->rows);
		s->cur++;
	}
	return 0;
}

/* The start position of the table of `c`, if later than the stream's. */
static uint64_t table_start(struct pg_source *s, const struct change *c)
{
	const struct table_desc *d = c->table;

	for (size_t i = 0; i < s->ntables; i++) {
		const struct snap_table *t = &s->tables[i];

		if (strcmp(t->schema, d->schema) == 0 &&
		    strcmp(t->name, d->name) == 0)
			return t->start;
	}
	return 0;
}

/* ---- streaming -------------------------------------------------------- */

static int64_t pg_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 - PG_EPOCH_UNIX_MS) * 1000 +
	       ts.tv_nsec / 1000;
}

/*
 * Standby status update: Byte1('r'), Int64 written, Int64 flushed,
 * Int64 applied, Int64 clock (us since 2000-01-01), Byte1 reply
 * requested.  All three positions are what the target has committed:
 * logical slots advance on the flush position only.
 */
static int send_status(struct pg_source *s, bool reply, struct err *e)
{
	unsigned char m[34];

	wire_put_u8(m, 'r');
	wire_put_u64be(m + 1, s->confirmed);
	wire_put_u64be(m + 9, s->confirmed);
	wire_put_u64be(m + 17, s->confirmed);
	wire_put_u64be(m + 25, (uint64_t)pg_now_us());
	wire_put_u8(m + 33, reply ? 1 : 0);
	if (PQputCopyData(s->repl, (const char *)m, sizeof(m)) <= 0 ||
	    PQflush(s->repl) < 0)
		return pgc_error(s->repl, NULL, "could not send status update",
				 e);
	s->reported = s->confirmed;
	s->last_status_ms = now_ms();
	return 0;
}

static int start_streaming(struct pg_source *s, struct err *e)
{
	char lsn[32];
	struct buf sql;
	PGresult *r;
	int rc = 0;

	buf_init(&sql, 0);
	rc |= buf_puts(&sql, "START_REPLICATION SLOT ");
	rc |= pgc_quote_ident(&sql, s->db->slot);
	rc |= buf_printf(&sql, " LOGICAL %s (proto_version '1', "
			 "publication_names '",
			 lsn_text(s->start_lsn, lsn, sizeof(lsn)));
	/* the option value is a string literal holding a quoted name */
	for (const char *p = s->db->publication; *p && !rc; p++)
		rc |= *p == '\'' ? buf_puts(&sql, "''") : buf_putc(&sql, *p);
	rc |= buf_puts(&sql, "')");
	if (rc) {
		buf_release(&sql);
		return err_set(e, FERRY_EFULL, "statement too long");
	}
	r = PQexec(s->repl, sql.data);
	buf_release(&sql);
	if (PQresultStatus(r) != PGRES_COPY_BOTH) {
		rc = pgc_error(s->repl, r, "could not start replication", e);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	s->phase = PHASE_STREAM;
	s->last_received = s->start_lsn;
	s->last_emitted = s->start_lsn;
	s->last_commit_ms = now_ms();
	s->last_probe_ms = now_ms();
	log_info("source", "streaming slot=%s from=%s", s->db->slot, lsn);
	return 0;
}

/* A pgoutput message: decode and queue what it yields. */
static int on_xlogdata(struct pg_source *s, const unsigned char *p,
		       size_t len, struct err *e)
{
	struct change *c, *more;
	struct wire w;
	uint64_t start, end, clock;
	char type;
	int rc;

	/* XLogData: Int64 dataStart, Int64 walEnd, Int64 sendTime, data */
	wire_init(&w, p, len);
	if (wire_u64be(&w, &start) || wire_u64be(&w, &end) ||
	    wire_u64be(&w, &clock))
		return err_set(e, FERRY_EPROTO, "truncated XLogData header");
	rc = pgoutput_decode(s->dec, p + w.off, wire_left(&w), &c, &type, e);
	if (rc)
		return err_prefix(e, "at %X/%X", (unsigned)(start >> 32),
				  (unsigned)start);
	if (start > s->last_received)
		s->last_received = start;
	if (!c) {
		if (type != 'R')
			log_debug("source", "ignored pgoutput message "
				  "type=%c", type);
		return 0;
	}
	if (c->kind == CHANGE_BEGIN) {
		s->in_txn = true;
		s->txn_lsn = c->pos->lsn;	/* the commit record's LSN */
	}
	if (c->table && s->txn_lsn < s->filter_until &&
	    s->txn_lsn < table_start(s, c)) {
		/* committed before the table's copy was taken: the copy
		 * has it already */
		change_free(c);
		while ((more = pgoutput_take_pending(s->dec)))
			change_free(more);
		return 0;
	}
	if (c->kind == CHANGE_COMMIT) {
		s->in_txn = false;
		s->last_emitted = c->pos->lsn;
		s->last_commit_ms = now_ms();
	}
	push_out(s, c);
	while ((more = pgoutput_take_pending(s->dec)))
		push_out(s, more);
	return 0;
}

/*
 * Keepalive: Int64 walEnd, Int64 sendTime, Byte1 reply requested.  When
 * the source has been quiet, the server's WAL end is a position with
 * nothing of ours before it that we have not seen: let the target record
 * it (an empty transaction), so the slot may move on.  Without this, the
 * slot pins WAL while only unpublished tables change.
 */
static int on_keepalive(struct pg_source *s, const unsigned char *p,
			size_t len, struct err *e)
{
	uint64_t wal_end, clock;
	uint8_t reply;
	struct wire w;

	wire_init(&w, p, len);
	if (wire_u64be(&w, &wal_end) || wire_u64be(&w, &clock) ||
	    wire_u8(&w, &reply))
		return err_set(e, FERRY_EPROTO, "truncated keepalive");
	if (!s->in_txn && s->nout == s->outpos &&
	    wal_end > s->last_emitted &&
	    now_ms() - s->last_commit_ms >= s->idle_advance_ms) {
		struct ferry_pos pos = { .kind = POS_PG, .lsn = wal_end };

		push_out(s, change_new_txn(CHANGE_BEGIN, 0, &pos, 0));
		push_out(s, change_new_txn(CHANGE_COMMIT, 0, &pos, 0));
		s->last_emitted = wal_end;
		s->last_commit_ms = now_ms();
	}
	return reply ? send_status(s, false, e) : 0;
}

static int wait_readable(PGconn *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = PQsocket(c), .events = POLLIN };
	int rc;

	do
		rc = poll(&pfd, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	return rc;
}

static int stream_next(struct pg_source *s, int timeout_ms, struct err *e)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		char *buf = NULL;
		int len = PQgetCopyData(s->repl, &buf, 1);
		int rc = 0;

		if (len > 0) {
			const unsigned char *p = (const unsigned char *)buf;

			if (p[0] == 'w')
				rc = on_xlogdata(s, p + 1, (size_t)len - 1, e);
			else if (p[0] == 'k')
				rc = on_keepalive(s, p + 1, (size_t)len - 1, e);
			else
				rc = err_set(e, FERRY_EPROTO,
					     "unknown replication message "
					     "0x%02x", p[0]);
			PQfreemem(buf);
			if (rc || s->nout > s->outpos)
				return rc;
			continue;
		}
		if (len == -2 || len == -1) {
			/* the server ended the stream: shut down, killed, or
			 * the connection broke; all transient for us */
			PGresult *r = PQgetResult(s->repl);

			pgc_error(s->repl, r, "replication stream ended", e);
			PQclear(r);
			e->code = FERRY_ECONN;
			return FERRY_ECONN;
		}
		/* nothing buffered: wait for the socket, then read it */
		if (now_ms() >= deadline)
			return 0;
		if (wait_readable(s->repl, (int)(deadline - now_ms())) < 0 ||
		    !PQconsumeInput(s->repl))
			return pgc_error(s->repl, NULL,
					 "replication connection", e);
	}
}

/* ---- source interface ------------------------------------------------- */

static int pg_source_next(struct source *base, struct change **out,
			  int timeout_ms, struct err *e)
{
	struct pg_source *s = (struct pg_source *)base;
	int rc;

	*out = pop_out(s);
	if (*out)
		return 0;
	if (s->phase == PHASE_SNAPSHOT) {
		if (s->cur < s->ntables) {
			rc = copy_chunk(s, e);
			*out = pop_out(s);
			return rc;
		}
		/* ends the copy transaction, if this run had one */
		rc = pgc_exec(s->snap, "COMMIT", PGRES_COMMAND_OK, NULL,
			      "could not end the snapshot transaction", e);
		if (!rc)
			rc = start_streaming(s, e);
		if (rc)
			return rc;
	}
	if (now_ms() - s->last_status_ms >= STATUS_INTERVAL_MS) {
		rc = send_status(s, false, e);
		if (rc)
			return rc;
	}
	if (!s->in_txn && now_ms() - s->last_commit_ms >= s->idle_advance_ms &&
	    now_ms() - s->last_probe_ms >= s->idle_advance_ms) {
		/* ask for a keepalive: it brings the server's WAL end */
		s->last_probe_ms = now_ms();
		rc = send_status(s, true, e);
		if (rc)
			return rc;
	}
	rc = stream_next(s, timeout_ms, e);
	*out = pop_out(s);
	return rc;
}

static int pg_source_feedback(struct source *base,
			      const struct ferry_pos *confirmed,
			      struct err *e)
{
	struct pg_source *s = (struct pg_source *)base;

	if (confirmed->kind != POS_PG || confirmed->lsn <= s->confirmed)
		return 0;
	s->confirmed = confirmed->lsn;
	/* tell the server soon, but not for every flush */
	if (s->phase == PHASE_STREAM &&
	    now_ms() - s->last_status_ms >= 1000)
		return send_status(s, false, e);
	return 0;
}

static void pg_source_close(struct source *base)
{
	struct pg_source *s = (struct pg_source *)base;
	struct change *c;

	if (s->phase == PHASE_STREAM && s->confirmed > s->reported) {
		struct err e;

		(void)send_status(s, false, &e);
	}
	while ((c = pop_out(s)))
		change_free(c);
	free(s->out);
	for (size_t i = 0; i < s->ntables; i++)
		snap_table_release(&s->tables[i]);
	free(s->tables);
	pgoutput_free(s->dec);
	if (s->repl)
		PQfinish(s->repl);
	if (s->snap)
		PQfinish(s->snap);
	buf_release(&s->scratch);
	if (s->password) {
		memset(s->password, 0, strlen(s->password));
		free(s->password);
	}
	free(s->app_name);
	free(s);
}

static const struct source_ops pg_source_ops = {
	.name = "postgresql",
	.next = pg_source_next,
	.feedback = pg_source_feedback,
	.close = pg_source_close,
};

/* Begin the copy transaction on the snapshot connection, under the
 * exported snapshot `snapshot`. */
static int import_snapshot(struct pg_source *s, const char *snapshot,
			   struct err *e)
{
	char sql[200];
	int rc;

	rc = pgc_exec(s->snap, "BEGIN ISOLATION LEVEL REPEATABLE READ, "
		      "READ ONLY", PGRES_COMMAND_OK, NULL,
		      "could not begin the snapshot", e);
	if (rc)
		return rc;
	snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT '%s'", snapshot);
	return pgc_exec(s->snap, sql, PGRES_COMMAND_OK, NULL,
			"could not import the exported snapshot", e);
}

/*
 * Decide, per table, from the target's checkpoint: done tables keep the
 * start position of their copy; the others are copied in this run, those
 * cut short after emptying their target table first.  Returns whether
 * anything needs a copy.
 */
static bool plan_snapshot(struct pg_source *s, struct snap_table *all,
			  size_t n, const struct checkpoint *cp)
{
	bool any = false;

	s->tables = all;
	s->ntables = n;
	for (size_t i = 0; i < n; i++) {
		struct snap_table *t = &s->tables[i];
		const struct checkpoint_table *ct =
			cp ? checkpoint_find(cp, t->label) : NULL;

		if (ct && ct->done) {
			t->start = ct->start.kind == POS_PG ? ct->start.lsn : 0;
			continue;
		}
		t->copy = true;
		t->was_cut = ct != NULL;
		any = true;
	}
	return any;
}

/*
 * A snapshot for copying after a restart: a temporary slot exports one,
 * with the exact point it belongs to.  The temporary slot goes away with
 * its connection, which we close once the snapshot is imported.
 */
static int fresh_snapshot(struct pg_source *s, uint64_t *lsn, char *snapshot,
			  size_t n, struct err *e)
{
	char name[64];
	PGconn *tmp;
	int rc;

	rc = pgc_connect(s->db, s->password, true, s->app_name, &tmp, e);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "ferry_copy_%d", (int)getpid());
	rc = create_slot(tmp, name, true, lsn, snapshot, n, e);
	if (!rc)
		rc = import_snapshot(s, snapshot, e);
	PQfinish(tmp);
	return rc;
}

int pg_source_open(const struct source_params *p, struct source **out,
		   struct err *e)
{
	struct pg_source *s = xcalloc(1, sizeof(*s));
	struct snap_table *all = NULL;
	char snapshot[128] = "", sql[200], lsn[32];
	uint64_t slot_lsn = 0, copy_lsn = 0;
	bool need_copy;
	size_t nall = 0;
	int rc, found;

	s->base.ops = &pg_source_ops;
	s->db = p->db;
	s->password = xstrdup(p->password ? p->password : "");
	s->mapping = p->mapping;
	s->chunk_rows = p->snapshot_chunk_rows > 0 ? p->snapshot_chunk_rows
						   : 10000;
	s->idle_advance_ms = p->idle_advance_ms > 0 ? p->idle_advance_ms
						    : 10000;
	s->app_name = xstrdup(p->application_name ? p->application_name
						  : "ferry");
	s->dec = pgoutput_new();
	buf_init(&s->scratch, 0);

	rc = pgc_connect(p->db, s->password, false, s->app_name, &s->snap, e);
	if (!rc)
		rc = pgc_connect(p->db, s->password, true, s->app_name,
				 &s->repl, e);
	if (!rc)
		rc = select_tables(s, &all, &nall, e);
	for (size_t i = 0; i < nall && !rc; i++)
		rc = describe_table(s, &all[i], e);
	for (size_t i = 0; i < nall && !rc; i++)
		rc = max_id_of(s, &all[i], e);
	if (!rc)
		rc = ensure_publication(s, all, nall, e);
	if (rc)
		goto fail;
	found = find_slot(s, &slot_lsn, e);
	if (found < 0) {
		rc = found;
		goto fail;
	}
	if (!found && p->cp && p->cp->exists) {
		rc = err_set(e, FERRY_ESTATE, "replication slot \"%s\" is "
			     "gone but the target has a checkpoint at %s: "
			     "changes since then are lost; start over with "
			     "an empty target", p->db->slot,
			     pos_format(&p->cp->pos, sql, sizeof(sql)));
		goto fail;
	}
	need_copy = plan_snapshot(s, all, nall, found ? p->cp : NULL);
	all = NULL;
	nall = 0;
	if (!found) {
		/* first start: copy exactly at the slot's consistent point */
		rc = create_slot(s->repl, p->db->slot, false, &s->start_lsn,
				 snapshot, sizeof(snapshot), e);
		if (!rc)
			rc = import_snapshot(s, snapshot, e);
		if (rc)
			goto fail;
		copy_lsn = s->start_lsn;
		log_info("source", "created slot=%s consistent_point=%s",
			 p->db->slot, lsn_text(s->start_lsn, lsn,
						sizeof(lsn)));
	} else {
		s->start_lsn = slot_lsn;
		if (p->cp && p->cp->exists && p->cp->pos.kind == POS_PG &&
		    p->cp->pos.lsn > slot_lsn)
			s->start_lsn = p->cp->pos.lsn;
		if (need_copy) {
			rc = fresh_snapshot(s, &copy_lsn, snapshot,
					    sizeof(snapshot), e);
			if (rc)
				goto fail;
		}
	}
	s->confirmed = s->start_lsn;
	for (size_t i = 0; i < s->ntables; i++) {
		struct snap_table *t = &s->tables[i];

		if (t->copy)
			t->start = copy_lsn;
		if (t->start > s->filter_until)
			s->filter_until = t->start;
	}
	s->phase = PHASE_SNAPSHOT;
	if (need_copy)
		log_info("source", "snapshot at=%s%s",
			 lsn_text(copy_lsn, lsn, sizeof(lsn)),
			 found ? " (a new one: the earlier copy was cut "
				 "short or tables were added)" : "");
	*out = &s->base;
	return 0;
fail:
	for (size_t i = 0; i < nall; i++)
		snap_table_release(&all[i]);
	free(all);
	pg_source_close(&s->base);
	return rc;
}
