/*
 * mysql_sink.c - batched, idempotent apply to MySQL / MariaDB (see sink.h).
 *
 * The twin of pg_sink.c: target-shaped changes come in, target
 * transactions go out.  Changes are buffered until flush; a flush sends
 * START TRANSACTION, the batch as few multi-row statements as source order
 * allows, the checkpoint, and COMMIT.
 *
 * Why this method: Connector/C has no pipeline mode, so the fast way to
 * write a few rows is SQL text, with every value escaped by
 * mysql_real_escape_string() on the connection (charset utf8mb4, set at
 * connect) or, for numbers, dates and booleans, checked and written as a
 * literal; the fast way to write many is one prepared statement executed
 * with parameter arrays, which MariaDB (not MySQL) takes in one round
 * trip: long upsert runs go that way (see "upserts by array binding").
 * Several text statements go in one round trip as a
 * multi-statement query (CLIENT_MULTI_STATEMENTS; the server stops at the
 * first failing statement, and counting results tells which it was), so
 * a small flush is one round trip and interleaved single-row changes cost
 * little more than a bulk statement per row.  Neighbouring changes of the
 * same kind on the same table become one statement:
 *
 *	INSERT INTO t (...) VALUES (...),(...) ON DUPLICATE KEY UPDATE ...
 *	DELETE FROM t WHERE (k1,k2) IN ((..),(..))
 *
 * Source order is kept exactly (only runs of neighbours are merged).  A
 * key repeated in one upsert run needs no split here: the second row of
 * an INSERT ... ON DUPLICATE KEY UPDATE updates the first.  No statement,
 * and no multi-statement packet, grows past half the server's
 * max_allowed_packet (read at connect): a longer one is cut between rows.
 *
 * A long source transaction is not held in memory: once the unfinished
 * transaction's buffer passes txn_memory and no complete transaction is
 * waiting (the pipeline flushes those first), its rows are sent into an
 * open target transaction, which its COMMIT's flush then commits.
 *
 * MySQL specifics: DDL commits implicitly, so the checkpoint tables are
 * created at open, before any data transaction, and TRUNCATE (DDL there)
 * is written as DELETE FROM to stay inside the transaction.  The target
 * database is the connection's; a change's schema name is ignored.
 */
#include <errmsg.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../my/my_conn.h"
#include "ferry/buf.h"
#include "ferry/change.h"
#include "ferry/checkpoint.h"
#include "ferry/config.h"
#include "ferry/err.h"
#include "ferry/log.h"
#include "ferry/mem.h"
#include "ferry/pos.h"
#include "ferry/sink.h"

/* A statement or multi-statement packet stays under half the server's
 * max_allowed_packet, and under this, which bounds our own buffer. */
#define MY_SINK_STMT_CAP ((size_t)16 << 20)
/* Room the protocol needs around one statement in a packet. */
#define MY_SINK_PACKET_SLACK 1024
/* Keys per DELETE ... IN: keeps the server's range optimizer on the
 * primary key (a huge IN list may fall back to a scan). */
#define MY_SINK_MAX_DELETE_KEYS 1000
/* Upsert runs at least this long go by array binding on MariaDB (fewer
 * rows save less than the extra round trip costs). */
#define MY_SINK_BULK_ROWS 8
/* Rows per array execution: bounds the parameter arrays. */
#define MY_SINK_BULK_MAX 1000
/* The alias of the new row in MySQL 8's INSERT ... AS alias form. */
#define MY_SINK_ROW_ALIAS "`ferry_new_row`"

/* MySQL 8 error numbers that MariaDB's headers do not define. */
#define MY_ER_SESSION_WAS_KILLED 3169
#define MY_ER_CLIENT_INTERACTION_TIMEOUT 4031

struct my_target {
	char *name;
	struct buf qname;	/* `name` */
	uint32_t ncols;
	char **cols;
	bool *is_float;		/* column is FLOAT (single precision) */
	int *pk;		/* target column indexes of the key, in order */
	size_t npk;
};

/* How one target-shaped table_desc lands on a target table. */
struct plan {
	struct table_desc *desc;	/* reference held */
	struct my_target *tt;
	int *keycols;			/* key part j -> change col */
	bool *is_key;			/* change col -> part of the key */
	bool *to_float;			/* change col -> a FLOAT column */
	struct buf ins_head;		/* INSERT INTO `t` (`a`,...) VALUES */
	struct buf ins_tail;		/*  ON DUPLICATE KEY UPDATE ... */
	struct buf del_head;		/* DELETE FROM `t` WHERE ... IN ( */
	MYSQL_STMT *bulk;		/* the upsert with ? markers, or NULL */
};

enum op_class {
	OP_NONE = 0,
	OP_UPSERT,
	OP_DELETE,
	OP_PARTIAL,	/* update lacking some values (unchanged TOAST) */
	OP_TRUNCATE,
};

/* What a statement of the batch writes, for its error message. */
struct stmt_info {
	char what[320];
};

struct my_sink {
	struct sink base;
	MYSQL *conn;
	char *checkpoint_id;
	size_t txn_memory;
	bool row_alias;		/* INSERT ... AS alias (MySQL >= 8.0.19) */
	size_t packet_max;	/* the server's max_allowed_packet */
	size_t stmt_max;	/* statements and batches stay below */

	struct my_target **targets;
	size_t ntargets;
	struct plan **plans;	/* each allocated: pointers stay valid */
	size_t nplans;

	struct change **ops;	/* buffered, source order */
	size_t nops, opcap;
	size_t boundary;	/* ops[0..boundary) end with a COMMIT */
	size_t partial_bytes;	/* held after the boundary */
	bool txn_open;		/* START TRANSACTION has been executed */
	bool streamed;		/* and rows of an unfinished transaction
				   went into it */
	bool refused;		/* the last server error refused a row */
	unsigned int last_errno;	/* ... and its number */
	/* where rows the target refuses go (see sink_params) */
	int (*reject)(void *ctx, const struct change *c, const char *reason,
		      struct err *e);
	void *reject_ctx;

	/* the multi-statement batch being built */
	struct buf sql;
	struct stmt_info *stmts;
	size_t nstmts, stmtcap;
	struct buf one;		/* one statement or value, scratch */
	struct change **run;	/* the run being merged (borrowed) */
	size_t runcap;
	char *esc;		/* mysql_real_escape_string() output */
	size_t esccap;

	/*
	 * Array binding (MariaDB's COM_STMT_BULK_EXECUTE) of long upsert
	 * runs: column-major parameter arrays, cell [col * MY_SINK_BULK_MAX
	 * + row], pointing into the changes or into bconv.
	 */
	size_t bulk_rows;	/* runs this long go by it; 0: never */
	MYSQL_BIND *bbind;	/* one per column */
	char **bval;
	unsigned long *blen;
	char *bind_null;	/* STMT_INDICATOR_* */
	size_t *boff;		/* rewritten value: offset in bconv, or
				   SIZE_MAX */
	size_t bcols;		/* columns the arrays have room for */
	struct buf bconv;	/* values rewritten for MySQL */

	struct sink_stats st;
};

/* ---- errors ----------------------------------------------------------- */

/*
 * Errors after which the right move is to reconnect and replay from the
 * checkpoint: the connection is gone, or the server rolled back (deadlock)
 * or gave up waiting (lock wait timeout) for reasons that pass.  The
 * caller treats FERRY_ECONN as exactly that.
 */
static bool my_transient(unsigned int no)
{
	switch (no) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_ERR_NET_READ:
	case CR_ERR_NET_WRITE:
	case ER_CON_COUNT_ERROR:
	case ER_SERVER_SHUTDOWN:
	case ER_CONNECTION_KILLED:
	case MY_ER_SESSION_WAS_KILLED:
	case MY_ER_CLIENT_INTERACTION_TIMEOUT:
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
		return true;
	default:
		return false;
	}
}

/* "<what>: <server message> (errno N)", FERRY_ECONN or FERRY_ESQL. */
static int errno_error(unsigned int no, const char *msg, const char *what,
		       struct err *e)
{
	if (no == 0)
		return err_set(e, FERRY_ESQL, "%s: unknown error", what);
	if (no == ER_BAD_NULL_ERROR)
		/* also how an upsert refuses a row (see plan_sql()) */
		return err_set(e, FERRY_ESQL, "%s: %s (errno %u; on a key "
			       "column: the row collides with another on a "
			       "unique key other than the primary key)", what,
			       msg && *msg ? msg : "?", no);
	return err_set(e, my_transient(no) ? FERRY_ECONN : FERRY_ESQL,
		       "%s: %s (errno %u)", what, msg && *msg ? msg : "?", no);
}

/*
 * Did the server refuse a row for what it holds (a value it will not
 * take, a constraint it breaks) rather than fail the batch?  SQLSTATE
 * classes 22 (data) and 23 (integrity), and the strict-mode value errors
 * MySQL files under HY000.
 */
static bool refused_row(unsigned int no, const char *sqlstate)
{
	switch (no) {
	case ER_TRUNCATED_WRONG_VALUE:			/* 1292 */
	case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:	/* 1366 */
	case ER_NO_DEFAULT_FOR_FIELD:			/* 1364 */
	case ER_WARN_DATA_OUT_OF_RANGE:			/* 1264 */
	case 3819:	/* MySQL 8: check constraint violated */
		return true;
	default:
		return sqlstate && (strncmp(sqlstate, "22", 2) == 0 ||
				    strncmp(sqlstate, "23", 2) == 0);
	}
}

/* The connection's last error; remembers whether it refused a row. */
static int my_error(struct my_sink *k, const char *what, struct err *e)
{
	unsigned int no = mysql_errno(k->conn);

	k->refused = refused_row(no, mysql_sqlstate(k->conn));
	k->last_errno = no;
	return errno_error(no, mysql_error(k->conn), what, e);
}

static int stmt_error(struct my_sink *k, MYSQL_STMT *s, const char *what,
		      struct err *e)
{
	unsigned int no = mysql_stmt_errno(s);

	k->refused = refused_row(no, mysql_stmt_sqlstate(s));
	k->last_errno = no;
	return errno_error(no, mysql_stmt_error(s), what, e);
}

/* ---- quoting and values ----------------------------------------------- */

static int put_ident(struct buf *out, const char *ident)
{
	int rc = buf_putc(out, '`');

	for (const char *p = ident; *p && !rc; p++)
		rc = *p == '`' ? buf_puts(out, "``") : buf_putc(out, *p);
	return rc ? rc : buf_putc(out, '`');
}

/* '<escaped>' through the connection's charset rules (binary-safe). */
static int put_quoted(struct my_sink *k, struct buf *out, const char *v,
		      size_t len)
{
	unsigned long n;

	xgrow((void **)&k->esc, &k->esccap, 2 * len + 1, 1);
	n = mysql_real_escape_string(k->conn, k->esc, v, (unsigned long)len);
	if (n == (unsigned long)-1)
		return FERRY_EINVAL;
	if (buf_putc(out, '\'') || buf_append(out, k->esc, n) ||
	    buf_putc(out, '\''))
		return FERRY_EFULL;
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at v */
static bool digits(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(v[i]))
			return false;
	return true;
}

static unsigned num(const char *v, size_t n)
{
	unsigned x = 0;

	for (size_t i = 0; i < n; i++)
		x = x * 10 + (unsigned)(v[i] - '0');
	return x;
}

/* A decimal literal MySQL reads as a number: [+-]d[.d][e[+-]d]. */
static bool is_number(const char *v, size_t len)
{
	size_t i = 0, nd = 0;

	if (i < len && (v[i] == '-' || v[i] == '+'))
		i++;
	for (; i < len && is_digit(v[i]); i++)
		nd++;
	if (i < len && v[i] == '.')
		for (i++; i < len && is_digit(v[i]); i++)
			nd++;
	if (nd == 0)
		return false;
	if (i < len && (v[i] == 'e' || v[i] == 'E')) {
		size_t ne = 0;

		i++;
		if (i < len && (v[i] == '-' || v[i] == '+'))
			i++;
		for (; i < len && is_digit(v[i]); i++)
			ne++;
		if (ne == 0)
			return false;
	}
	return i == len;
}

/* YYYY-MM-DD (zero parts allowed: MySQL sources have zero dates) */
static bool is_date(const char *v, size_t len)
{
	return len == 10 && digits(v, 4) && v[4] == '-' && digits(v + 5, 2) &&
	       v[7] == '-' && digits(v + 8, 2);
}

/* HH:MM:SS[.f{1,6}] starting at v, exactly len bytes */
static bool is_clock(const char *v, size_t len)
{
	if (len < 8 || !digits(v, 2) || v[2] != ':' || !digits(v + 3, 2) ||
	    v[5] != ':' || !digits(v + 6, 2))
		return false;
	if (len == 8)
		return true;
	return v[8] == '.' && len >= 10 && len <= 15 &&
	       digits(v + 9, len - 9);
}

/* TIME: [-]H+:MM:SS[.f] (MySQL's range is wider than a day) */
static bool is_time(const char *v, size_t len)
{
	size_t i = 0, nh = 0;

	if (i < len && v[i] == '-')
		i++;
	for (; i < len && is_digit(v[i]); i++)
		nh++;
	if (nh == 0 || nh > 3 || len - i < 6)
		return false;
	return v[i] == ':' && digits(v + i + 1, 2) && v[i + 3] == ':' &&
	       digits(v + i + 4, 2) &&
	       (len - i == 6 ||
		(v[i + 6] == '.' && len - i > 7 && len - i <= 13 &&
		 digits(v + i + 7, len - i - 7)));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/*
 * "YYYY-MM-DD HH:MM:SS[.f]+HH[:MM[:SS]]" (or "Z") -> the same instant as
 * a UTC "YYYY-MM-DD HH:MM:SS[.f]" in `out` (at least 32 bytes).  The
 * session's time_zone is +00:00, so the literal means that instant in a
 * TIMESTAMP column and UTC wall time in a DATETIME one.  A zero date
 * (MySQL sources) passes through when the offset is zero or absent (the
 * binlog reader prints a zero TIMESTAMP without one: it is no instant).
 * false: not a value MySQL can hold (infinity, BC, year past 9999, bad
 * text).
 */
static bool timestamptz_to_utc(const char *v, size_t len, char *out,
			       size_t outsz)
{
	unsigned mon, day, hh, mi, ss, oh = 0, om = 0, os = 0;
	size_t clock_len, i;
	int64_t year, t, days, secs;
	int sign;

	if (len < 19 || !is_date(v, 10) || (v[10] != ' ' && v[10] != 'T'))
		return false;
	/* the clock runs to the offset sign or Z */
	for (i = 11; i < len && v[i] != '+' && v[i] != '-' && v[i] != 'Z';
	     i++)
		;
	clock_len = i - 11;
	if (!is_clock(v + 11, clock_len))
		return false;
	if (i == len) {
		/* no offset: only a zero date, below */
		if (num(v + 5, 2) != 0 && num(v + 8, 2) != 0)
			return false;
		sign = 0;
	} else if (v[i] == 'Z') {
		if (i + 1 != len)
			return false;
		sign = 0;
	} else {
		size_t r = len - i - 1;
		const char *o = v + i + 1;

		sign = v[i] == '-' ? -1 : 1;
		if (!(r == 2 || r == 5 || r == 8) || !digits(o, 2))
			return false;
		oh = num(o, 2);
		if (r >= 5) {
			if (o[2] != ':' || !digits(o + 3, 2))
				return false;
			om = num(o + 3, 2);
		}
		if (r == 8) {
			if (o[5] != ':' || !digits(o + 6, 2))
				return false;
			os = num(o + 6, 2);
		}
		if (oh > 15 || om > 59 || os > 59)
			return false;
	}
	year = num(v, 4);
	mon = num(v + 5, 2);
	day = num(v + 8, 2);
	hh = num(v + 11, 2);
	mi = num(v + 14, 2);
	ss = num(v + 17, 2);
	if (mon == 0 || day == 0) {
		/* a zero date keeps its wall clock; it has no instant */
		if (oh || om || os)
			return false;
		snprintf(out, outsz, "%.*s %.*s", 10, v, (int)clock_len,
			 v + 11);
		return true;
	}
	if (mon > 12 || day > 31 || hh > 23 || mi > 59 || ss > 60)
		return false;
	t = days_from_civil(year, mon, day) * 86400 +
	    (int64_t)(hh * 3600 + mi * 60 + ss) -
	    sign * (int64_t)(oh * 3600 + om * 60 + os);
	days = (t >= 0 ? t : t - 86399) / 86400;
	secs = t - days * 86400;
	civil_from_days(days, &year, &mon, &day);
	if (year < 1 || year > 9999)
		return false;
	snprintf(out, outsz, "%04d-%02u-%02u %02d:%02d:%02d%.*s", (int)year,
		 mon, day, (int)(secs / 3600), (int)(secs / 60 % 60),
		 (int)(secs % 60), (int)(clock_len - 8), v + 19);
	return true;
}

/* "id=5, k=x": the key of a row, for messages (values cut and made
 * printable). */
static void describe_key(const struct plan *p, const struct change *c,
			 bool old, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t j = 0; j < p->tt->npk && used + 1 < n; j++) {
		const char *v = NULL;
		size_t len = 0;
		uint32_t col = (uint32_t)p->keycols[j];
		enum datum_state st = old ? change_old(c, col, &v, &len)
					  : change_new(c, col, &v, &len);
		char val[68];
		size_t m = 0;

		if (st == DATUM_VALUE) {
			for (size_t i = 0; i < len && m < 64; i++) {
				unsigned char ch = (unsigned char)v[i];

				val[m++] = ch >= 0x20 && ch != 0x7f ? (char)ch
								    : '?';
			}
			if (len > 64) {
				val[m++] = '.';
				val[m++] = '.';
			}
		} else {
			memcpy(val, "NULL", 4);
			m = 4;
		}
		val[m] = '\0';
		snprintf(out + used, n - used, "%s%s=%s", j ? ", " : "",
			 p->tt->cols[p->tt->pk[j]], val);
		used = strlen(out);
	}
}

/* FLT_MAX exactly: as a double it is in FLOAT's range. */
#define FLT_MAX_TEXT "3.4028234663852886e+38"

/*
 * Does `v` name a number beyond FLT_MAX that a FLOAT holds as FLT_MAX?
 * The shortest text of FLT_MAX, "3.4028235e+38" (PostgreSQL's and the
 * binlog decoder's), reads back as FLT_MAX when parsed as a float, but
 * MySQL parses it as a double and refuses it for a FLOAT column as out
 * of range; it rounds to FLT_MAX within half a unit of the last place.
 */
static bool float_max_text(const char *v, size_t len)
{
	char num[64];
	double d;

	if (len >= sizeof(num))
		return false;
	memcpy(num, v, len);
	num[len] = '\0';
	d = fabs(strtod(num, NULL));
	return d > FLT_MAX && d < (double)FLT_MAX + ldexp(1.0, 103);
}

/* How MySQL is to take a value: as SQL, a bare literal or a quoted
 * string; as a bound parameter, text or binary bytes. */
enum lit_kind {
	LIT_NULL,
	LIT_BARE,	/* a checked number: no quotes in SQL */
	LIT_TEXT,	/* a string in the connection's charset */
	LIT_BINARY,	/* bytes, no charset */
};

struct lit {
	enum lit_kind kind;
	const char *v;		/* into the change, into tmp, or static */
	size_t len;
	char tmp[40];		/* a value rewritten for MySQL */
};

/*
 * Column `i` of an image as MySQL takes it.  Returns 0 or FERRY_EDATA
 * (with a message naming table, key, column and value) for a value MySQL
 * cannot store.
 */
static int value_of(const struct plan *p, const struct change *c, uint32_t i,
		    bool old, struct lit *l, struct err *e)
{
	const char *v = NULL, *why = NULL;
	char key[200];
	size_t len = 0;
	enum datum_state st = old ? change_old(c, i, &v, &len)
				  : change_new(c, i, &v, &len);

	l->kind = LIT_TEXT;
	l->v = v;
	l->len = len;
	if (st != DATUM_VALUE) {
		l->kind = LIT_NULL;
		return 0;
	}
	switch (c->table->cols[i].type) {
	case DATUM_T_BOOL:
		l->kind = LIT_BARE;
		l->len = 1;
		if ((len == 1 && (v[0] == 't' || v[0] == '1')) ||
		    (len == 4 && memcmp(v, "true", 4) == 0)) {
			l->v = "1";
			return 0;
		}
		if ((len == 1 && (v[0] == 'f' || v[0] == '0')) ||
		    (len == 5 && memcmp(v, "false", 5) == 0)) {
			l->v = "0";
			return 0;
		}
		why = "is not a boolean";
		break;
	case DATUM_T_INT:
	case DATUM_T_FLOAT:
	case DATUM_T_NUMERIC:
		/* checked, so written bare: MySQL reads an exact decimal
		 * literal as DECIMAL, without a detour through double */
		l->kind = LIT_BARE;
		if (is_number(v, len) && p->to_float[i] &&
		    float_max_text(v, len)) {
			l->v = v[0] == '-' ? "-" FLT_MAX_TEXT : FLT_MAX_TEXT;
			l->len = strlen(l->v);
			return 0;
		}
		if (is_number(v, len))
			return 0;
		why = strcasestr(v, "inf") || strcasestr(v, "nan")
			      ? "cannot be stored in MySQL, which has no "
				"infinity or NaN"
			      : "is not a number";
		break;
	case DATUM_T_DATE:
		if (is_date(v, len))
			return 0;
		why = "cannot be stored in MySQL (dates run from year 0 to "
		      "9999, no infinity, no BC)";
		break;
	case DATUM_T_TIMESTAMP:
		if (len >= 19 && is_date(v, 10) && v[10] == ' ' &&
		    is_clock(v + 11, len - 11))
			return 0;
		why = "cannot be stored in MySQL (timestamps run from year 0 "
		      "to 9999, no infinity, no BC)";
		break;
	case DATUM_T_TIMESTAMPTZ:
		if (timestamptz_to_utc(v, len, l->tmp, sizeof(l->tmp))) {
			l->v = l->tmp;
			l->len = strlen(l->tmp);
			return 0;
		}
		why = "cannot be stored in MySQL (timestamps run from year 0 "
		      "to 9999, no infinity, no BC)";
		break;
	case DATUM_T_TIME:
		if (is_time(v, len))
			return 0;
		why = "is not a time MySQL can store";
		break;
	case DATUM_T_BYTES:
		/* binary: no charset check or conversion on the server */
		l->kind = LIT_BINARY;
		return 0;
	default:
		/* text, JSON, unknown: the connection is utf8mb4 */
		return 0;
	}
	describe_key(p, c, old, key, sizeof(key));
	return err_set(e, FERRY_EDATA, "could not write %s (%s): column "
		       "\"%s\" value \"%.*s\" %s", p->tt->qname.data, key,
		       c->table->cols[i].name, len > 64 ? 64 : (int)len, v,
		       why);
}

/* Column `i` of an image as an SQL literal: 0, FERRY_EFULL or
 * FERRY_EDATA (see value_of()). */
static int put_value(struct my_sink *k, struct buf *out,
		     const struct plan *p, const struct change *c, uint32_t i,
		     bool old, struct err *e)
{
	struct lit l;
	int rc = value_of(p, c, i, old, &l, e);

	if (rc)
		return rc;
	switch (l.kind) {
	case LIT_NULL:
		return buf_puts(out, "NULL") ? FERRY_EFULL : 0;
	case LIT_BARE:
		return buf_append(out, l.v, l.len) ? FERRY_EFULL : 0;
	case LIT_BINARY:
		if (buf_puts(out, "_binary"))
			return FERRY_EFULL;
		break;
	case LIT_TEXT:
		break;
	}
	return put_quoted(k, out, l.v, l.len);
}

/* ---- target catalog --------------------------------------------------- */

static void target_free(struct my_target *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->ncols; i++)
		free(t->cols[i]);
	free(t->cols);
	free(t->is_float);
	free(t->pk);
	free(t->name);
	buf_release(&t->qname);
	free(t);
}

/* A query that returns rows, run on its own (no batch in progress). */
static int query_rows(struct my_sink *k, const char *sql, size_t len,
		      MYSQL_RES **out, const char *what, struct err *e)
{
	if (mysql_real_query(k->conn, sql, (unsigned long)len))
		return my_error(k, what, e);
	*out = mysql_store_result(k->conn);
	if (!*out)
		return my_error(k, what, e);
	return 0;
}

static int target_load(struct my_sink *k, const char *name,
		       struct my_target **out, struct err *e)
{
	struct my_target *t = xcalloc(1, sizeof(*t));
	MYSQL_RES *r = NULL;
	MYSQL_ROW row;
	size_t n;
	int rc = 0;

	t->name = xstrdup(name);
	buf_init(&t->qname, 0);
	buf_reset(&k->one);
	/* the name is compared exactly below: information_schema compares
	 * names case-insensitively, and `T` and `t` may both exist */
	if (put_ident(&t->qname, name) ||
	    buf_puts(&k->one,
		     "SELECT c.COLUMN_NAME, c.TABLE_NAME,"
		     " COALESCE(s.SEQ_IN_INDEX, 0), c.DATA_TYPE = 'float'"
		     " FROM information_schema.COLUMNS c"
		     " LEFT JOIN information_schema.STATISTICS s"
		     " ON s.TABLE_SCHEMA = c.TABLE_SCHEMA"
		     " AND s.TABLE_NAME = c.TABLE_NAME"
		     " AND s.COLUMN_NAME = c.COLUMN_NAME"
		     " AND s.INDEX_NAME = 'PRIMARY'"
		     " WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ") ||
	    put_quoted(k, &k->one, name, strlen(name)) ||
	    buf_puts(&k->one, " ORDER BY c.ORDINAL_POSITION")) {
		target_free(t);
		return err_set(e, FERRY_EINVAL, "table name too long");
	}
	rc = query_rows(k, k->one.data, k->one.len, &r,
			"could not read the target catalog", e);
	if (rc)
		goto out;
	n = (size_t)mysql_num_rows(r);
	t->cols = xcalloc(n + 1, sizeof(*t->cols));
	t->is_float = xcalloc(n + 1, sizeof(*t->is_float));
	t->pk = xcalloc(n + 1, sizeof(*t->pk));
	/* the exact name first; else (lower_case_table_names) the one
	 * table that matches case-insensitively */
	for (int pass = 0; pass < 2 && t->ncols == 0; pass++) {
		char *found = NULL;

		mysql_data_seek(r, 0);
		while ((row = mysql_fetch_row(r))) {
			long pos;

			if (!row[0] || !row[1] || !row[2] ||
			    (pass == 0 && strcmp(row[1], name) != 0))
				continue;
			if (pass == 1 && !found)
				found = xstrdup(row[1]);
			if (pass == 1 && strcmp(row[1], found) != 0)
				continue;
			pos = strtol(row[2], NULL, 10);
			if (pos > 0 && (size_t)pos <= n) {
				t->pk[pos - 1] = (int)t->ncols;
				if ((size_t)pos > t->npk)
					t->npk = (size_t)pos;
			}
			t->is_float[t->ncols] = row[3] && row[3][0] == '1';
			t->cols[t->ncols++] = xstrdup(row[0]);
		}
		if (found) {
			buf_reset(&t->qname);
			if (put_ident(&t->qname, found))
				rc = err_set(e, FERRY_EINVAL, "table name too "
					     "long");
			free(found);
		}
	}
	if (rc)
		goto out;
	if (t->ncols == 0)
		rc = err_set(e, FERRY_ECONFIG, "target table %s does not exist "
			     "in the target database: create it first",
			     t->qname.data);
	else if (t->npk == 0)
		rc = err_set(e, FERRY_ECONFIG, "target table %s has no primary "
			     "key: ferry writes by key and needs one",
			     t->qname.data);
out:
	if (r)
		mysql_free_result(r);
	if (rc)
		target_free(t);
	else
		*out = t;
	return rc;
}

static int target_find(struct my_sink *k, const struct table_desc *d,
		       struct my_target **out, struct err *e)
{
	int rc;

	for (size_t i = 0; i < k->ntargets; i++) {
		if (strcmp(k->targets[i]->name, d->name) == 0) {
			*out = k->targets[i];
			return 0;
		}
	}
	*out = NULL;
	rc = target_load(k, d->name, out, e);
	if (rc)
		return rc;
	k->targets = xrealloc(k->targets,
			      (k->ntargets + 1) * sizeof(*k->targets));
	k->targets[k->ntargets++] = *out;
	return 0;
}

/* MySQL column names are case-insensitive. */
static int target_col(const struct my_target *t, const char *name)
{
	for (uint32_t i = 0; i < t->ncols; i++)
		if (strcasecmp(t->cols[i], name) == 0)
			return (int)i;
	return -1;
}

static int desc_col(const struct table_desc *d, const char *name)
{
	for (uint32_t i = 0; i < d->ncols; i++)
		if (d->cols[i].name && strcasecmp(d->cols[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void plan_free(struct plan *p)
{
	if (!p)
		return;
	table_desc_unref(p->desc);
	free(p->keycols);
	free(p->is_key);
	free(p->to_float);
	buf_release(&p->ins_head);
	buf_release(&p->ins_tail);
	buf_release(&p->del_head);
	if (p->bulk)
		mysql_stmt_close(p->bulk);
	free(p);
}

/*
 * The fixed parts of the plan's statements.  The upsert's update list:
 * MariaDB (every version) and MySQL before 8.0.19 know only
 * VALUES(col); MySQL 8.0.20 deprecates that in favour of a row alias
 * (INSERT ... AS new ... UPDATE col = new.col), which MariaDB does not
 * parse.  No form suits both, so the server's version, read at connect,
 * picks one.  The update must happen only on a conflict on the primary
 * key: MySQL updates the row the new one collides with on *any* unique
 * key, which for another key (3.2 has unique names where 1.3 had none)
 * would overwrite an unrelated row, code and all.  So the first key
 * column is set to itself when the key is the new row's and to NULL
 * otherwise, which a key column refuses (error 1048, SQLSTATE 23000): the
 * row is refused, as PostgreSQL's ON CONFLICT (pk) refuses it, and goes
 * to the reject store.
 */
/* The new row's value of `col` in the update list: VALUES(`col`) or the
 * row alias's. */
static int put_new_value(const struct my_sink *k, struct buf *out,
			 const char *col)
{
	int rc = buf_puts(out, k->row_alias ? MY_SINK_ROW_ALIAS "." : "VALUES(");

	rc |= put_ident(out, col);
	return rc | (k->row_alias ? 0 : buf_putc(out, ')'));
}

static int plan_sql(const struct my_sink *k, struct plan *p)
{
	const struct table_desc *d = p->desc;
	const struct my_target *tt = p->tt;
	int rc = 0;

	rc |= buf_printf(&p->ins_head, "INSERT INTO %s (", tt->qname.data);
	for (uint32_t i = 0; i < d->ncols; i++) {
		rc |= i ? buf_putc(&p->ins_head, ',') : 0;
		rc |= put_ident(&p->ins_head, d->cols[i].name);
	}
	rc |= buf_puts(&p->ins_head, ") VALUES ");
	if (k->row_alias)
		rc |= buf_puts(&p->ins_tail, " AS " MY_SINK_ROW_ALIAS);
	rc |= buf_puts(&p->ins_tail, " ON DUPLICATE KEY UPDATE ");
	/* first key column = IF(the key is the new row's, itself, NULL) */
	rc |= put_ident(&p->ins_tail, d->cols[p->keycols[0]].name);
	rc |= buf_puts(&p->ins_tail, "=IF(");
	for (size_t j = 0; j < tt->npk; j++) {
		const char *kc = d->cols[p->keycols[j]].name;

		rc |= j ? buf_puts(&p->ins_tail, " AND ") : 0;
		rc |= put_ident(&p->ins_tail, kc);
		rc |= buf_puts(&p->ins_tail, "<=>");
		rc |= put_new_value(k, &p->ins_tail, kc);
	}
	rc |= buf_putc(&p->ins_tail, ',');
	rc |= put_ident(&p->ins_tail, d->cols[p->keycols[0]].name);
	rc |= buf_puts(&p->ins_tail, ",NULL)");
	for (uint32_t i = 0; i < d->ncols; i++) {
		if (p->is_key[i])
			continue;
		rc |= buf_putc(&p->ins_tail, ',');
		rc |= put_ident(&p->ins_tail, d->cols[i].name);
		rc |= buf_putc(&p->ins_tail, '=');
		rc |= put_new_value(k, &p->ins_tail, d->cols[i].name);
	}
	rc |= buf_printf(&p->del_head, "DELETE FROM %s WHERE ",
			 tt->qname.data);
	rc |= tt->npk > 1 ? buf_putc(&p->del_head, '(') : 0;
	for (size_t j = 0; j < tt->npk; j++) {
		rc |= j ? buf_putc(&p->del_head, ',') : 0;
		rc |= put_ident(&p->del_head, tt->cols[tt->pk[j]]);
	}
	rc |= buf_puts(&p->del_head, tt->npk > 1 ? ") IN (" : " IN (");
	return rc;
}

static int plan_for(struct my_sink *k, struct table_desc *d,
		    struct plan **out, struct err *e)
{
	struct my_target *tt = NULL;
	struct plan *p;
	int rc;

	for (size_t i = 0; i < k->nplans; i++) {
		if (k->plans[i]->desc == d) {
			*out = k->plans[i];
			return 0;
		}
	}
	rc = target_find(k, d, &tt, e);
	if (rc)
		return rc;
	p = xcalloc(1, sizeof(*p));
	p->desc = table_desc_ref(d);
	p->tt = tt;
	p->keycols = xcalloc(tt->npk + 1, sizeof(*p->keycols));
	p->is_key = xcalloc(d->ncols + 1, sizeof(*p->is_key));
	p->to_float = xcalloc(d->ncols + 1, sizeof(*p->to_float));
	buf_init(&p->ins_head, 0);
	buf_init(&p->ins_tail, 0);
	buf_init(&p->del_head, 0);
	for (uint32_t i = 0; i < d->ncols; i++) {
		int col = target_col(tt, d->cols[i].name);

		if (col < 0) {
			rc = err_set(e, FERRY_ECONFIG,
				     "column \"%s\" does not exist in target "
				     "table %s", d->cols[i].name,
				     tt->qname.data);
			goto fail;
		}
		p->to_float[i] = tt->is_float[col];
	}
	for (size_t j = 0; j < tt->npk; j++) {
		p->keycols[j] = desc_col(d, tt->cols[tt->pk[j]]);
		if (p->keycols[j] < 0) {
			rc = err_set(e, FERRY_ECONFIG,
				     "key column \"%s\" of target table %s "
				     "gets no value from the mapping",
				     tt->cols[tt->pk[j]], tt->qname.data);
			goto fail;
		}
		p->is_key[p->keycols[j]] = true;
	}
	if (plan_sql(k, p)) {
		rc = err_set(e, FERRY_EFULL, "statement too long");
		goto fail;
	}
	k->plans = xrealloc(k->plans, (k->nplans + 1) * sizeof(*k->plans));
	k->plans[k->nplans++] = p;
	*out = p;
	return 0;
fail:
	plan_free(p);
	return rc;
}

/* ---- the batch: statements sent as one multi-statement query ---------- */

/* Separator before the next statement; returns where it starts (to cut
 * it off again). */
static size_t stmt_begin(struct my_sink *k, int *rc)
{
	size_t at = k->sql.len;

	if (k->nstmts)
		*rc |= buf_putc(&k->sql, ';');
	return at;
}

/* The statement just written is complete; `what` names it in errors. */
static void stmt_end(struct my_sink *k, const char *fmt, ...)
	FERRY_PRINTF(2, 3);
static void stmt_end(struct my_sink *k, const char *fmt, ...)
{
	va_list ap;

	xgrow((void **)&k->stmts, &k->stmtcap, k->nstmts + 1,
	      sizeof(*k->stmts));
	va_start(ap, fmt);
	vsnprintf(k->stmts[k->nstmts].what, sizeof(k->stmts[0].what), fmt,
		  ap);
	va_end(ap);
	k->nstmts++;
	k->st.statements++;
}

static void batch_reset(struct my_sink *k)
{
	buf_reset(&k->sql);
	k->nstmts = 0;
}

/*
 * Run the batch and read every result.  The server stops at the first
 * failing statement; the results read before it tell which one it was.
 */
static int batch_send(struct my_sink *k, struct err *e)
{
	size_t idx = 0;
	int rc = 0, st;

	if (k->nstmts == 0)
		return 0;
	if (mysql_real_query(k->conn, k->sql.data, (unsigned long)k->sql.len)) {
		rc = my_error(k, k->stmts[0].what, e);
		goto out;
	}
	for (;;) {
		MYSQL_RES *r = mysql_store_result(k->conn);

		if (r)
			mysql_free_result(r);
		else if (mysql_field_count(k->conn)) {
			rc = my_error(k, k->stmts[idx].what, e);
			goto out;
		}
		st = mysql_next_result(k->conn);
		if (st < 0)
			break;
		idx++;
		if (st > 0) {
			rc = my_error(k, idx < k->nstmts
					       ? k->stmts[idx].what
					       : "could not write to the target",
				      e);
			goto out;
		}
	}
out:
	batch_reset(k);
	return rc;
}

/* Add one complete statement (in k->one): sends the batch first if the
 * statement would not fit into it. */
static int batch_add(struct my_sink *k, const char *what, struct err *e)
{
	int rc = 0;

	if (k->nstmts && k->sql.len + 1 + k->one.len > k->stmt_max) {
		rc = batch_send(k, e);
		if (rc)
			return rc;
	}
	if (k->one.len + MY_SINK_PACKET_SLACK > k->packet_max)
		return err_set(e, FERRY_ECONFIG, "%s: the statement needs %zu "
			       "bytes, more than the target's "
			       "max_allowed_packet (%zu): raise it", what,
			       k->one.len, k->packet_max);
	(void)stmt_begin(k, &rc);
	rc |= buf_append(&k->sql, k->one.data, k->one.len);
	if (rc)
		return err_set(e, FERRY_EFULL, "statement too long");
	stmt_end(k, "%s", what);
	return 0;
}

static int batch_add_simple(struct my_sink *k, const char *sql,
			    const char *what, struct err *e)
{
	buf_reset(&k->one);
	if (buf_puts(&k->one, sql))
		return err_set(e, FERRY_EFULL, "statement too long");
	return batch_add(k, what, e);
}

/* ---- statements from changes ------------------------------------------ */

/* Does the UPDATE move the row to another key? */
static bool key_changed(const struct change *c, const struct plan *p)
{
	if (!c->oldv)
		return false;
	for (size_t j = 0; j < p->tt->npk; j++) {
		const char *a, *b;
		size_t la, lb;
		uint32_t col = (uint32_t)p->keycols[j];

		if (change_old(c, col, &a, &la) != DATUM_VALUE)
			continue;	/* key not sent: it did not change */
		if (change_new(c, col, &b, &lb) != DATUM_VALUE || la != lb ||
		    memcmp(a, b, la) != 0)
			return true;
	}
	return false;
}

static bool has_unchanged(const struct change *c)
{
	for (uint32_t i = 0; i < c->ncols; i++)
		if (change_new(c, i, NULL, NULL) == DATUM_UNCHANGED)
			return true;
	return false;
}

static enum op_class classify(const struct change *c)
{
	switch (c->kind) {
	case CHANGE_INSERT:
		return OP_UPSERT;
	case CHANGE_UPDATE:
		return has_unchanged(c) ? OP_PARTIAL : OP_UPSERT;
	case CHANGE_DELETE:
		return OP_DELETE;
	case CHANGE_TRUNCATE:
		return OP_TRUNCATE;
	default:
		return OP_NONE;
	}
}

/* Deletes take the key from the old image when there is one. */
static bool key_image_old(const struct change *c)
{
	return c->oldv != NULL;
}

/* "(v1,v2,...)" of a row's new image, "," first unless it opens the
 * VALUES list. */
static int put_row(struct my_sink *k, const struct plan *p,
		   const struct change *c, bool sep, struct err *e)
{
	int rc = 0;

	if (buf_puts(&k->sql, sep ? ",(" : "("))
		return FERRY_EFULL;
	for (uint32_t i = 0; i < p->desc->ncols && !rc; i++) {
		if (i && buf_putc(&k->sql, ','))
			return FERRY_EFULL;
		rc = put_value(k, &k->sql, p, c, i, false, e);
	}
	if (!rc && buf_putc(&k->sql, ')'))
		rc = FERRY_EFULL;
	return rc;
}

/* A delete's key as an IN list item: "v" or "(v1,v2)". */
static int put_key_item(struct my_sink *k, const struct plan *p,
			const struct change *c, bool sep, struct err *e)
{
	bool old = key_image_old(c);
	int rc = 0;

	if (sep && buf_putc(&k->sql, ','))
		return FERRY_EFULL;
	if (p->tt->npk > 1 && buf_putc(&k->sql, '('))
		return FERRY_EFULL;
	for (size_t j = 0; j < p->tt->npk && !rc; j++) {
		if (j && buf_putc(&k->sql, ','))
			return FERRY_EFULL;
		rc = put_value(k, &k->sql, p, c, (uint32_t)p->keycols[j], old,
			       e);
	}
	if (!rc && p->tt->npk > 1 && buf_putc(&k->sql, ')'))
		rc = FERRY_EFULL;
	return rc;
}

/* "k1=v1 AND k2=v2" into `out`, from the old or new image. */
static int put_key_where(struct my_sink *k, struct buf *out,
			 const struct plan *p, const struct change *c,
			 bool old, struct err *e)
{
	int rc = 0;

	for (size_t j = 0; j < p->tt->npk && !rc; j++) {
		if (j && buf_puts(out, " AND "))
			return FERRY_EFULL;
		if (put_ident(out, p->tt->cols[p->tt->pk[j]]) ||
		    buf_putc(out, '='))
			return FERRY_EFULL;
		rc = put_value(k, out, p, c, (uint32_t)p->keycols[j], old, e);
	}
	return rc;
}

static int full_error(int rc, struct err *e)
{
	return rc == FERRY_EDATA ? rc
				 : err_set(e, FERRY_EFULL, "statement too long");
}

/*
 * One multi-row statement (an upsert or a delete run) written straight
 * into the batch, cut between rows where it would pass stmt_max: the
 * rows that fit close the statement and the rest start another one.
 */
struct run_sql {
	const struct buf *head;
	const char *tail;
	size_t tail_len;
	const char *verb;		/* for messages: "" or "delete " */
	size_t max_rows;
	int (*put)(struct my_sink *k, const struct plan *p,
		   const struct change *c, bool sep, struct err *e);
	/* writes the whole statement instead when it has one row */
	int (*one_row)(struct my_sink *k, const struct plan *p,
		       const struct change *c, struct err *e);
};

static int send_run(struct my_sink *k, const struct plan *p,
		    const struct run_sql *rs, struct change **rows, size_t n,
		    struct err *e)
{
	size_t i = 0;
	char key[200];
	int rc;

	while (i < n) {
		size_t first = i, nrows = 0, start, body;
		bool restart = false;

		rc = 0;
		start = stmt_begin(k, &rc);
		body = k->sql.len;
		rc |= buf_append(&k->sql, rs->head->data, rs->head->len);
		if (rc)
			return full_error(rc, e);
		while (i < n && nrows < rs->max_rows) {
			size_t row_at = k->sql.len;

			rc = rs->put(k, p, rows[i], nrows > 0, e);
			if (rc)
				return full_error(rc, e);
			if (k->sql.len + rs->tail_len > k->stmt_max) {
				if (nrows) {
					buf_truncate(&k->sql, row_at);
					break;
				}
				if (k->nstmts) {
					/* first row: send what is before it
					 * and start over in an empty batch */
					buf_truncate(&k->sql, start);
					rc = batch_send(k, e);
					if (rc)
						return rc;
					restart = true;
					break;
				}
				if (k->sql.len + rs->tail_len +
					    MY_SINK_PACKET_SLACK >
				    k->packet_max) {
					describe_key(p, rows[i],
						     *rs->verb &&
						     key_image_old(rows[i]),
						     key, sizeof(key));
					return err_set(e, FERRY_ECONFIG,
						       "could not write %s "
						       "(%s): the row needs "
						       "%zu bytes, more than "
						       "the target's "
						       "max_allowed_packet "
						       "(%zu): raise it",
						       p->tt->qname.data, key,
						       k->sql.len,
						       k->packet_max);
				}
			}
			nrows++;
			i++;
		}
		if (restart)
			continue;
		if (nrows == 1 && rs->one_row) {
			buf_truncate(&k->sql, body);
			rc = rs->one_row(k, p, rows[first], e);
			if (rc)
				return full_error(rc, e);
		} else if (buf_append(&k->sql, rs->tail, rs->tail_len)) {
			return full_error(FERRY_EFULL, e);
		}
		describe_key(p, rows[first],
			     *rs->verb && key_image_old(rows[first]), key,
			     sizeof(key));
		if (nrows > 1)
			stmt_end(k, "could not write %s (%s%s, first of %zu "
				 "rows)", p->tt->qname.data, rs->verb, key,
				 nrows);
		else
			stmt_end(k, "could not write %s (%s%s)",
				 p->tt->qname.data, rs->verb, key);
	}
	return 0;
}

/* ---- upserts by array binding ----------------------------------------- */

/*
 * Why: the server parses a multi-row INSERT text value by value, and
 * converts each from the connection's charset; with the same statement
 * prepared once and executed with parameter arrays, it parses nothing
 * per row.  bench_my_shapes measures it: about half the server CPU per
 * row (MariaDB 10.11), which is what bounds a MariaDB target.  Values
 * go as the text they are (the server converts text as cheaply as it
 * reads a literal), typed as SQL text would have typed them (see
 * bind_type()), bytes as binary.
 */
static int bulk_prepare(struct my_sink *k, struct plan *p, struct err *e)
{
	int rc = 0;

	if (p->bulk)
		return 0;
	buf_reset(&k->one);
	rc |= buf_append(&k->one, p->ins_head.data, p->ins_head.len);
	for (uint32_t i = 0; i < p->desc->ncols; i++)
		rc |= buf_puts(&k->one, i ? ",?" : "(?");
	rc |= buf_putc(&k->one, ')');
	rc |= buf_append(&k->one, p->ins_tail.data, p->ins_tail.len);
	if (rc)
		return err_set(e, FERRY_EFULL, "statement too long");
	p->bulk = mysql_stmt_init(k->conn);
	if (!p->bulk)
		return my_error(k, "could not prepare an upsert", e);
	if (mysql_stmt_prepare(p->bulk, k->one.data,
			       (unsigned long)k->one.len)) {
		char what[320];

		snprintf(what, sizeof(what), "could not prepare the upsert "
			 "of %s", p->tt->qname.data);
		rc = stmt_error(k, p->bulk, what, e);
		mysql_stmt_close(p->bulk);
		p->bulk = NULL;
	}
	return rc;
}

/* Room in the parameter arrays for `ncols` columns. */
static void bulk_room(struct my_sink *k, uint32_t ncols)
{
	size_t cells;

	if (ncols <= k->bcols)
		return;
	cells = (size_t)ncols * MY_SINK_BULK_MAX;
	k->bbind = xrealloc(k->bbind, ncols * sizeof(*k->bbind));
	k->bval = xrealloc(k->bval, cells * sizeof(*k->bval));
	k->blen = xrealloc(k->blen, cells * sizeof(*k->blen));
	k->bind_null = xrealloc(k->bind_null, cells);
	k->boff = xrealloc(k->boff, cells * sizeof(*k->boff));
	k->bcols = ncols;
}

/*
 * Fill the arrays with rows[0..) up to MY_SINK_BULK_MAX rows and
 * stmt_max bytes; *taken says how many.
 */
static int bulk_fill(struct my_sink *k, const struct plan *p,
		     struct change **rows, size_t n, size_t *taken,
		     struct err *e)
{
	const uint32_t ncols = p->desc->ncols;
	size_t m = 0, bytes = 0;
	char key[200];
	int rc;

	buf_reset(&k->bconv);
	for (; m < n && m < MY_SINK_BULK_MAX; m++) {
		size_t row_bytes = 0, conv_at = k->bconv.len;

		for (uint32_t j = 0; j < ncols; j++) {
			size_t cell = (size_t)j * MY_SINK_BULK_MAX + m;
			struct lit l;

			rc = value_of(p, rows[m], j, false, &l, e);
			if (rc)
				return rc;
			k->bind_null[cell] = l.kind == LIT_NULL
						     ? STMT_INDICATOR_NULL
						     : STMT_INDICATOR_NONE;
			k->bval[cell] = (char *)l.v;
			k->blen[cell] = (unsigned long)l.len;
			k->boff[cell] = SIZE_MAX;
			if (l.v == l.tmp) {
				/* l dies here: keep a copy */
				k->boff[cell] = k->bconv.len;
				if (buf_append(&k->bconv, l.v, l.len))
					return full_error(FERRY_EFULL, e);
			}
			row_bytes += l.len + 9;	/* length, indicator */
		}
		if (m && bytes + row_bytes > k->stmt_max) {
			buf_truncate(&k->bconv, conv_at);
			break;
		}
		if (row_bytes + MY_SINK_PACKET_SLACK > k->packet_max) {
			describe_key(p, rows[m], false, key, sizeof(key));
			return err_set(e, FERRY_ECONFIG, "could not write %s "
				       "(%s): the row needs %zu bytes, more "
				       "than the target's max_allowed_packet "
				       "(%zu): raise it", p->tt->qname.data,
				       key, row_bytes, k->packet_max);
		}
		bytes += row_bytes;
	}
	/* bconv is complete: now its addresses hold */
	for (uint32_t j = 0; j < ncols; j++) {
		size_t at = (size_t)j * MY_SINK_BULK_MAX;

		for (size_t r = 0; r < m; r++)
			if (k->boff[at + r] != SIZE_MAX)
				k->bval[at + r] = k->bconv.data +
						  k->boff[at + r];
	}
	*taken = m;
	return 0;
}

/*
 * How a column's text goes: as a string, unless SQL text would have
 * written it bare.  A number must reach the server as a number: the
 * string '0' is the year 2000 to a YEAR column, the number 0 is 0000.
 * DECIMAL parameters carry their digits as text, exactly; floats stay
 * strings, because DECIMAL has no room for 1e308 (a string is converted
 * to double the way a float literal is).
 */
static enum enum_field_types bind_type(enum datum_type t)
{
	switch (t) {
	case DATUM_T_BYTES:
		return MYSQL_TYPE_BLOB;
	case DATUM_T_INT:
	case DATUM_T_NUMERIC:
	case DATUM_T_BOOL:
		return MYSQL_TYPE_NEWDECIMAL;
	default:
		return MYSQL_TYPE_STRING;
	}
}

/* One array execution of the plan's upsert with the filled arrays. */
static int bulk_execute(struct my_sink *k, const struct plan *p, size_t m)
{
	unsigned int size = (unsigned int)m;

	memset(k->bbind, 0, p->desc->ncols * sizeof(*k->bbind));
	for (uint32_t j = 0; j < p->desc->ncols; j++) {
		MYSQL_BIND *b = &k->bbind[j];
		size_t at = (size_t)j * MY_SINK_BULK_MAX;

		b->buffer_type = bind_type(p->desc->cols[j].type);
		b->buffer = &k->bval[at];
		b->length = &k->blen[at];
		b->u.indicator = &k->bind_null[at];
	}
	return mysql_stmt_attr_set(p->bulk, STMT_ATTR_ARRAY_SIZE, &size) ||
	       mysql_stmt_bind_param(p->bulk, k->bbind) ||
	       mysql_stmt_execute(p->bulk);
}

/* A long upsert run: what the batch holds goes first (source order),
 * then the run as array executions. */
static int send_upserts_bulk(struct my_sink *k, struct plan *p,
			     struct change **rows, size_t n, struct err *e)
{
	size_t i = 0;
	int rc;

	rc = bulk_prepare(k, p, e);
	if (!rc)
		rc = batch_send(k, e);
	if (rc)
		return rc;
	bulk_room(k, p->desc->ncols);
	while (i < n) {
		char key[200], what[320];
		size_t m = 0;

		rc = bulk_fill(k, p, rows + i, n - i, &m, e);
		if (rc)
			return rc;
		if (bulk_execute(k, p, m)) {
			describe_key(p, rows[i], false, key, sizeof(key));
			if (m > 1)
				snprintf(what, sizeof(what), "could not write "
					 "%s (%s, first of %zu rows)",
					 p->tt->qname.data, key, m);
			else
				snprintf(what, sizeof(what), "could not write "
					 "%s (%s)", p->tt->qname.data, key);
			return stmt_error(k, p->bulk, what, e);
		}
		k->st.statements++;
		i += m;
	}
	return 0;
}

static int send_upserts_text(struct my_sink *k, struct plan *p,
			     struct change **rows, size_t n, struct err *e)
{
	const struct run_sql rs = { &p->ins_head, p->ins_tail.data,
				    p->ins_tail.len, "", SIZE_MAX, put_row,
				    NULL };

	return send_run(k, p, &rs, rows, n, e);
}

static int send_upserts(struct my_sink *k, struct plan *p,
			struct change **rows, size_t n, struct err *e)
{
	if (k->bulk_rows && n >= k->bulk_rows)
		return send_upserts_bulk(k, p, rows, n, e);
	return send_upserts_text(k, p, rows, n, e);
}

/*
 * Does the delete carry every part of the target's key?  A transform may
 * delete by a key of its own that is only part of the target's: ferry's
 * DolphinScheduler split deletes task definitions by id, and 3.2's MySQL
 * schema keys them by (id, code) where PostgreSQL's keys them by id.
 */
static bool has_target_key(const struct plan *p, const struct change *c)
{
	return change_has_values(c, key_image_old(c), p->keycols,
				 p->tt->npk);
}

/* DELETE FROM t WHERE <the change's own key>: for a delete that lacks
 * part of the target's key (see has_target_key()). */
static int send_delete_by_own_key(struct my_sink *k, const struct plan *p,
				  const struct change *c, struct err *e)
{
	const struct table_desc *d = p->desc;
	bool old = key_image_old(c);
	char key[200], what[320];
	int rc = 0;

	describe_key(p, c, old, key, sizeof(key));
	if (!change_has_own_key(c, old))
		return err_set(e, FERRY_EDATA, "could not write %s (delete "
			       "%s): the change carries neither the table's "
			       "key nor a whole key of its own",
			       p->tt->qname.data, key);
	buf_reset(&k->one);
	if (buf_printf(&k->one, "DELETE FROM %s WHERE ", p->tt->qname.data))
		return full_error(FERRY_EFULL, e);
	for (uint32_t i = 0, n = 0; i < d->ncols && !rc; i++) {
		if (!d->cols[i].key)
			continue;
		if ((n++ && buf_puts(&k->one, " AND ")) ||
		    put_ident(&k->one, d->cols[i].name) ||
		    buf_putc(&k->one, '='))
			return full_error(FERRY_EFULL, e);
		rc = put_value(k, &k->one, p, c, i, old, e);
	}
	if (rc)
		return full_error(rc, e);
	snprintf(what, sizeof(what), "could not write %s (delete %s)",
		 p->tt->qname.data, key);
	return batch_add(k, what, e);
}

/* DELETE FROM t WHERE a=1 AND b=2: for one row of a composite key,
 * because MariaDB 10.11 plans (a,b) IN ((1,2)) as a scan, not a key
 * lookup (two or more tuples it looks up by key). */
static int put_delete_one(struct my_sink *k, const struct plan *p,
			  const struct change *c, struct err *e)
{
	if (buf_printf(&k->sql, "DELETE FROM %s WHERE ", p->tt->qname.data))
		return FERRY_EFULL;
	return put_key_where(k, &k->sql, p, c, key_image_old(c), e);
}

static int send_deletes(struct my_sink *k, struct plan *p,
			struct change **rows, size_t n, struct err *e)
{
	const struct run_sql rs = { &p->del_head, ")", 1, "delete ",
				    MY_SINK_MAX_DELETE_KEYS, put_key_item,
				    p->tt->npk > 1 ? put_delete_one : NULL };

	return send_run(k, p, &rs, rows, n, e);
}

/*
 * UPDATE t SET <the columns that came> WHERE key: an update whose new
 * image lacks unchanged TOAST values; the target keeps its copy of
 * those.  When the key changed, the row is found by its old key and the
 * SET moves it.
 */
static int send_partial(struct my_sink *k, struct plan *p, struct change *c,
			struct err *e)
{
	const struct table_desc *d = p->desc;
	bool moved = key_changed(c, p);
	char key[200], what[320];
	bool any = false;
	int rc = 0;

	buf_reset(&k->one);
	if (buf_printf(&k->one, "UPDATE %s SET ", p->tt->qname.data))
		return full_error(FERRY_EFULL, e);
	for (uint32_t i = 0; i < d->ncols && !rc; i++) {
		if (change_new(c, i, NULL, NULL) == DATUM_UNCHANGED)
			continue;
		if ((any && buf_putc(&k->one, ',')) ||
		    put_ident(&k->one, d->cols[i].name) ||
		    buf_putc(&k->one, '='))
			return full_error(FERRY_EFULL, e);
		rc = put_value(k, &k->one, p, c, i, false, e);
		any = true;
	}
	if (rc)
		return full_error(rc, e);
	if (!any)
		return 0;
	if (buf_puts(&k->one, " WHERE "))
		return full_error(FERRY_EFULL, e);
	rc = put_key_where(k, &k->one, p, c, moved, e);
	if (rc)
		return full_error(rc, e);
	describe_key(p, c, false, key, sizeof(key));
	snprintf(what, sizeof(what), "could not write %s (update %s)",
		 p->tt->qname.data, key);
	return batch_add(k, what, e);
}

/* TRUNCATE is DDL in MySQL and commits the open transaction; DELETE
 * keeps it inside, with the rest of the source transaction. */
static int send_truncate(struct my_sink *k, struct plan *p, struct err *e)
{
	char what[320];

	buf_reset(&k->one);
	if (buf_printf(&k->one, "DELETE FROM %s", p->tt->qname.data))
		return full_error(FERRY_EFULL, e);
	snprintf(what, sizeof(what), "could not write %s (truncate)",
		 p->tt->qname.data);
	return batch_add(k, what, e);
}

/*
 * Add ops[from..to) to the batch: runs of neighbours with the same plan
 * and class become one statement (cut by size); everything else is one
 * statement each, in source order.
 */
static int send_range(struct my_sink *k, size_t from, size_t to,
		      struct err *e)
{
	struct plan *run_plan = NULL;
	enum op_class run_class = OP_NONE;
	size_t nrun = 0;
	int rc = 0;

	/* a run may span transactions: BEGIN and COMMIT do not break it */
#define FLUSH_RUN()                                                     \
	do {                                                            \
		if (nrun) {                                             \
			rc = run_class == OP_UPSERT                     \
				? send_upserts(k, run_plan, k->run, nrun, e) \
				: send_deletes(k, run_plan, k->run, nrun, e); \
			nrun = 0;                                       \
			if (rc)                                         \
				return rc;                              \
		}                                                       \
	} while (0)

	for (size_t i = from; i < to; i++) {
		struct change *c = k->ops[i];
		enum op_class cls = classify(c);
		struct plan *p;

		if (cls == OP_NONE)
			continue;
		rc = plan_for(k, c->table, &p, e);
		if (rc)
			return rc;
		k->st.rows++;
		if (cls == OP_UPSERT && c->kind == CHANGE_UPDATE &&
		    key_changed(c, p)) {
			/* the row moves: delete the old key first */
			FLUSH_RUN();
			rc = send_deletes(k, p, &k->ops[i], 1, e);
			if (rc)
				return rc;
		}
		if (cls == OP_PARTIAL || cls == OP_TRUNCATE) {
			FLUSH_RUN();
			rc = cls == OP_PARTIAL ? send_partial(k, p, c, e)
					       : send_truncate(k, p, e);
			if (rc)
				return rc;
			continue;
		}
		if (cls == OP_DELETE && !has_target_key(p, c)) {
			FLUSH_RUN();
			rc = send_delete_by_own_key(k, p, c, e);
			if (rc)
				return rc;
			continue;
		}
		if (nrun && (p != run_plan || cls != run_class))
			FLUSH_RUN();
		run_plan = p;
		run_class = cls;
		xgrow((void **)&k->run, &k->runcap, nrun + 1, sizeof(*k->run));
		k->run[nrun++] = c;
	}
	FLUSH_RUN();
#undef FLUSH_RUN
	return 0;
}

/* ---- the sink interface ----------------------------------------------- */

static int my_sink_load_checkpoint(struct sink *base, struct checkpoint *cp,
				   struct err *e)
{
	struct my_sink *k = (struct my_sink *)base;
	const char *id = k->checkpoint_id;
	MYSQL_RES *r = NULL;
	MYSQL_ROW row;
	int rc;

	memset(cp, 0, sizeof(*cp));
	buf_reset(&k->one);
	if (buf_puts(&k->one, "SELECT position FROM ferry_checkpoint "
		     "WHERE id = ") ||
	    put_quoted(k, &k->one, id, strlen(id)))
		return err_set(e, FERRY_EFULL, "statement too long");
	rc = query_rows(k, k->one.data, k->one.len, &r,
			"could not read the checkpoint", e);
	if (rc)
		return rc;
	row = mysql_fetch_row(r);
	if (row && row[0]) {
		cp->exists = true;
		rc = pos_parse(row[0], &cp->pos, e);
	}
	mysql_free_result(r);
	if (rc)
		return err_prefix(e, "checkpoint \"%s\" in the target", id);
	buf_reset(&k->one);
	if (buf_puts(&k->one, "SELECT source_table, last_key, done, `rows`, "
		     "start_position FROM ferry_snapshot WHERE id = ") ||
	    put_quoted(k, &k->one, id, strlen(id)) ||
	    buf_puts(&k->one, " ORDER BY source_table"))
		return err_set(e, FERRY_EFULL, "statement too long");
	rc = query_rows(k, k->one.data, k->one.len, &r,
			"could not read snapshot progress", e);
	if (rc)
		return rc;
	while (!rc && (row = mysql_fetch_row(r))) {
		struct ferry_pos start = { .kind = POS_NONE };

		if (!row[0] || !row[2] || !row[3])
			continue;
		if (row[4])
			rc = pos_parse(row[4], &start, e);
		if (rc) {
			err_prefix(e, "start position of table %s in "
				   "ferry_snapshot", row[0]);
			break;
		}
		checkpoint_set_table_at(cp, row[0], row[1],
					strcmp(row[2], "0") != 0,
					strtoull(row[3], NULL, 10), &start);
	}
	mysql_free_result(r);
	return rc;
}

/* START TRANSACTION once per target transaction (into the batch). */
static int ensure_txn(struct my_sink *k, struct err *e)
{
	int rc;

	if (k->txn_open)
		return 0;
	rc = batch_add_simple(k, "START TRANSACTION",
			      "could not start a target transaction", e);
	if (!rc)
		k->txn_open = true;
	return rc;
}

/*
 * Drop the batch and end the target transaction, if one may be open, so
 * that nothing of it is committed and the connection can be used again.
 * After a lost connection the ROLLBACK fails at once, and the server
 * has rolled back already.
 */
static void abort_txn(struct my_sink *k)
{
	batch_reset(k);
	if (!k->txn_open)
		return;
	if (mysql_query(k->conn, "ROLLBACK"))
		log_debug("sink", "rollback failed: %s (errno %u)",
			  mysql_error(k->conn), mysql_errno(k->conn));
	k->txn_open = false;
	k->streamed = false;
}

static void free_ops(struct my_sink *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		change_free(k->ops[i]);
	if (k->nops > n)
		memmove(k->ops, k->ops + n, (k->nops - n) * sizeof(*k->ops));
	k->nops -= n;
}

/* Values MySQL may refuse are checked as they come, so that a bad one
 * is reported before anything of its transaction is written. */
static int check_values(struct my_sink *k, const struct plan *p,
			const struct change *c, struct err *e)
{
	for (uint32_t i = 0; i < c->ncols; i++) {
		int rc = 0;

		switch (c->table->cols[i].type) {
		case DATUM_T_TEXT:
		case DATUM_T_BYTES:
		case DATUM_T_JSON:
		case DATUM_T_UNKNOWN:
			continue;	/* any bytes will do */
		default:
			break;
		}
		buf_reset(&k->one);
		if (c->newv)
			rc = put_value(k, &k->one, p, c, i, false, e);
		if (!rc && c->oldv && p->is_key[i])
			rc = put_value(k, &k->one, p, c, i, true, e);
		if (rc)
			return full_error(rc, e);
	}
	return 0;
}

static int my_sink_apply(struct sink *base, struct change *c, struct err *e)
{
	struct my_sink *k = (struct my_sink *)base;
	struct plan *p;
	int rc;

	if (c->table) {
		rc = plan_for(k, c->table, &p, e);
		if (!rc)
			rc = check_values(k, p, c, e);
		if (rc == FERRY_EDATA && k->reject) {
			/* a value MySQL cannot store: the row is set aside,
			 * the rest of its transaction goes on */
			rc = k->reject(k->reject_ctx, c, e->msg, e);
			change_free(c);
			return rc;
		}
		if (rc) {
			change_free(c);
			return rc;
		}
	}
	xgrow((void **)&k->ops, &k->opcap, k->nops + 1, sizeof(*k->ops));
	k->ops[k->nops++] = c;
	if (c->kind == CHANGE_COMMIT) {
		k->boundary = k->nops;
		k->partial_bytes = 0;
		return 0;
	}
	k->partial_bytes += change_mem_size(c);
	if (k->partial_bytes < k->txn_memory || k->boundary > 0)
		return 0;
	/* a long transaction with nothing complete before it: stream what
	 * it has so far into its own open target transaction */
	rc = ensure_txn(k, e);
	if (!rc)
		rc = send_range(k, 0, k->nops, e);
	if (!rc)
		rc = batch_send(k, e);
	if (rc)
		abort_txn(k);
	else
		k->streamed = true;
	free_ops(k, k->nops);
	k->partial_bytes = 0;
	return rc;
}

/* Snapshot progress and the position of the last COMMIT in ops[0..upto),
 * as upserts that repeat their values (both servers' syntax). */
static int send_checkpoint(struct my_sink *k, size_t upto, struct err *e)
{
	const struct ferry_pos *pos = NULL;
	const char *id = k->checkpoint_id;
	char text[POS_TEXT_MAX], start[POS_TEXT_MAX];
	int rc = 0;

	for (size_t i = 0; i < upto; i++) {
		const struct change *c = k->ops[i];
		const struct snapshot_mark *m = c->mark;
		struct buf *o = &k->one;
		char rows[32];

		if (c->kind != CHANGE_COMMIT)
			continue;
		if (c->pos && c->pos->kind != POS_NONE)
			pos = c->pos;
		if (!m)
			continue;
		snprintf(rows, sizeof(rows), "%" PRIu64, m->rows);
		if (m->start.kind != POS_NONE)
			pos_format(&m->start, start, sizeof(start));
		buf_reset(o);
		rc |= buf_puts(o, "INSERT INTO ferry_snapshot (id, "
			       "source_table, last_key, done, `rows`, "
			       "start_position) VALUES (");
		rc |= put_quoted(k, o, id, strlen(id));
		rc |= buf_putc(o, ',');
		rc |= put_quoted(k, o, m->table, strlen(m->table));
		rc |= buf_putc(o, ',');
		rc |= m->last_key ? put_quoted(k, o, m->last_key,
					       strlen(m->last_key))
				  : buf_puts(o, "NULL");
		rc |= buf_printf(o, ",%d,%s,", m->done ? 1 : 0, rows);
		rc |= m->start.kind != POS_NONE
			      ? put_quoted(k, o, start, strlen(start))
			      : buf_puts(o, "NULL");
		rc |= buf_puts(o, ") ON DUPLICATE KEY UPDATE last_key = ");
		rc |= m->last_key ? put_quoted(k, o, m->last_key,
					       strlen(m->last_key))
				  : buf_puts(o, "NULL");
		rc |= buf_printf(o, ", done = %d, `rows` = %s, "
				 "start_position = ", m->done ? 1 : 0, rows);
		rc |= m->start.kind != POS_NONE
			      ? put_quoted(k, o, start, strlen(start))
			      : buf_puts(o, "NULL");
		if (rc)
			return err_set(e, FERRY_EFULL, "statement too long");
		rc = batch_add(k, "could not write snapshot progress", e);
		if (rc)
			return rc;
	}
	if (!pos)
		return 0;
	pos_format(pos, text, sizeof(text));
	buf_reset(&k->one);
	rc |= buf_puts(&k->one, "INSERT INTO ferry_checkpoint (id, position, "
		       "updated_at) VALUES (");
	rc |= put_quoted(k, &k->one, id, strlen(id));
	rc |= buf_putc(&k->one, ',');
	rc |= put_quoted(k, &k->one, text, strlen(text));
	rc |= buf_puts(&k->one, ",UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE "
		       "position = ");
	rc |= put_quoted(k, &k->one, text, strlen(text));
	rc |= buf_puts(&k->one, ", updated_at = UTC_TIMESTAMP(6)");
	if (rc)
		return err_set(e, FERRY_EFULL, "statement too long");
	return batch_add(k, "could not write the checkpoint", e);
}

static int flush_batch(struct my_sink *k, size_t upto, struct err *e)
{
	int rc = ensure_txn(k, e);

	if (!rc)
		rc = send_range(k, 0, upto, e);
	if (!rc)
		rc = send_checkpoint(k, upto, e);
	if (!rc)
		rc = batch_add_simple(k, "COMMIT", "could not commit", e);
	if (!rc)
		rc = batch_send(k, e);
	return rc;
}

/*
 * The reason a row was refused, for the reject store: the server's
 * message, except where it is the upsert's guard speaking (see
 * plan_sql()): a NULL for the first key column of a row that has a key.
 */
static void refusal_reason(struct my_sink *k, const struct change *c,
			   const struct err *re, char *out, size_t n)
{
	struct plan *p = NULL;
	struct err pe;
	char col[300], key[200];

	snprintf(out, n, "%s", re->msg);
	if (k->last_errno != ER_BAD_NULL_ERROR ||
	    classify(c) != OP_UPSERT || plan_for(k, c->table, &p, &pe) ||
	    !has_target_key(p, c))
		return;
	snprintf(col, sizeof(col), "Column '%s' cannot be null",
		 p->desc->cols[p->keycols[0]].name);
	if (!strstr(re->msg, col))
		return;
	describe_key(p, c, false, key, sizeof(key));
	snprintf(out, n, "could not write %s (%s): the row collides with "
		 "another on a unique key other than the primary key",
		 p->tt->qname.data, key);
}

/*
 * The batch again, each row under a savepoint: a row the target refuses
 * is rolled back to its savepoint and handed to the reject callback; the
 * others, the checkpoint and COMMIT go through.  A round trip per row, but
 * only for a batch that held a bad row.  A savepoint of the same name
 * replaces the one before, so none is released.
 */
static int flush_careful(struct my_sink *k, size_t upto, struct err *e)
{
	uint64_t rejected = 0;
	struct err re;
	int rc;

	rc = ensure_txn(k, e);
	for (size_t i = 0; i < upto && !rc; i++) {
		if (classify(k->ops[i]) == OP_NONE)
			continue;
		err_clear(&re);
		k->refused = false;
		rc = batch_add_simple(k, "SAVEPOINT ferry_row",
				      "could not set a savepoint", &re);
		if (!rc)
			rc = send_range(k, i, i + 1, &re);
		if (!rc)
			rc = batch_send(k, &re);
		if (rc && k->refused) {
			char why[ERR_MSG_MAX];

			refusal_reason(k, k->ops[i], &re, why, sizeof(why));
			batch_reset(k);
			rc = batch_add_simple(k, "ROLLBACK TO SAVEPOINT "
					      "ferry_row", "could not roll "
					      "back to a savepoint", e);
			if (!rc)
				rc = batch_send(k, e);
			if (!rc)
				rc = k->reject(k->reject_ctx, k->ops[i], why,
					       e);
			rejected++;
			continue;
		}
		if (rc)
			*e = re;
	}
	if (!rc)
		rc = send_checkpoint(k, upto, e);
	if (!rc)
		rc = batch_add_simple(k, "COMMIT", "could not commit", e);
	if (!rc)
		rc = batch_send(k, e);
	if (!rc)
		log_warn("sink", "batch applied row by row rows=%zu "
			 "rejected=%" PRIu64, upto, rejected);
	return rc;
}

static int my_sink_flush(struct sink *base, struct err *e)
{
	struct my_sink *k = (struct my_sink *)base;
	size_t upto = k->boundary;
	int rc;

	/* nothing complete: an open (streamed) transaction stays open
	 * until its COMMIT arrives */
	if (upto == 0)
		return 0;
	k->refused = false;
	rc = flush_batch(k, upto, e);
	if (rc && k->refused && k->reject && !k->streamed) {
		abort_txn(k);
		log_warn("sink", "%s; applying the batch row by row to set "
			 "the refused rows aside", e->msg);
		rc = flush_careful(k, upto, e);
	}
	if (rc)
		abort_txn(k);
	k->txn_open = false;
	k->streamed = false;
	if (!rc)
		k->st.commits++;
	free_ops(k, upto);
	k->boundary = 0;
	return rc;
}

static void my_sink_rollback(struct sink *base)
{
	struct my_sink *k = (struct my_sink *)base;

	for (size_t i = k->boundary; i < k->nops; i++)
		change_free(k->ops[i]);
	k->nops = k->boundary;
	k->partial_bytes = 0;
	batch_reset(k);
	/* an open target transaction holding only the cut one */
	if (k->txn_open && k->boundary == 0)
		abort_txn(k);
}

static void my_sink_stats(struct sink *base, struct sink_stats *out)
{
	*out = ((struct my_sink *)base)->st;
}

static void my_sink_close(struct sink *base)
{
	struct my_sink *k = (struct my_sink *)base;

	free_ops(k, k->nops);
	free(k->ops);
	for (size_t i = 0; i < k->nplans; i++)
		plan_free(k->plans[i]);
	free(k->plans);
	for (size_t i = 0; i < k->ntargets; i++)
		target_free(k->targets[i]);
	free(k->targets);
	buf_release(&k->sql);
	buf_release(&k->one);
	free(k->stmts);
	free(k->run);
	free(k->esc);
	free(k->bbind);
	free(k->bval);
	free(k->blen);
	free(k->bind_null);
	free(k->boff);
	buf_release(&k->bconv);
	free(k->checkpoint_id);
	if (k->conn)
		mysql_close(k->conn);	/* an open transaction rolls back */
	free(k);
}

/*
 * A target whose binary log records statements takes none of ferry's
 * writes: InnoDB logs READ COMMITTED transactions by row only (error
 * 1665), and array binding is refused too (error 4033).  Said at start,
 * not at the first write.
 */
static int binlog_check(struct my_sink *k, struct err *e)
{
	static const char sql[] =
		"SELECT @@GLOBAL.log_bin, @@SESSION.binlog_format";
	MYSQL_RES *r = NULL;
	MYSQL_ROW row;
	bool statement;
	int rc;

	rc = query_rows(k, sql, strlen(sql), &r,
			"could not read the binary log format", e);
	if (rc)
		return rc;
	row = mysql_fetch_row(r);
	statement = row && row[0] && row[1] && strcmp(row[0], "1") == 0 &&
		    strcasecmp(row[1], "STATEMENT") == 0;
	mysql_free_result(r);
	if (statement)
		return err_set(e, FERRY_ECONFIG, "the target logs statements "
			       "(binlog_format = STATEMENT), which InnoDB "
			       "refuses for ferry's READ COMMITTED "
			       "transactions: set binlog_format to MIXED or "
			       "ROW on the target");
	return 0;
}

/* May long upsert runs go by array binding?  The server must speak
 * COM_STMT_BULK_EXECUTE: MariaDB 10.2 and later, not MySQL. */
static bool bulk_supported(struct my_sink *k)
{
	unsigned long caps = 0, ext = 0;

	return !mariadb_get_infov(k->conn,
				  MARIADB_CONNECTION_SERVER_CAPABILITIES,
				  &caps) &&
	       !mariadb_get_infov(k->conn,
				  MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES,
				  &ext) &&
	       !(caps & CLIENT_MYSQL) &&
	       (ext & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32));
}

/*
 * Every AUTO_INCREMENT of the connection's database moved to at least
 * `floor` (spec §1.1: rows the new version creates must not take ids
 * ferry writes).  ALTER TABLE commits implicitly: this runs at start,
 * before any batch.  MySQL never lowers an AUTO_INCREMENT below a used
 * id, and we only ever raise it.
 */
static int my_sink_reserve_ids(struct sink *base, int64_t floor,
			       struct err *e)
{
	struct my_sink *k = (struct my_sink *)base;
	char sql[512];
	MYSQL_RES *res;
	MYSQL_ROW row;
	int n, rc, moved = 0;

	n = snprintf(sql, sizeof(sql),
		     "SELECT TABLE_NAME FROM information_schema.TABLES "
		     "WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT IS "
		     "NOT NULL AND AUTO_INCREMENT < %" PRId64, floor);
	rc = query_rows(k, sql, (size_t)n, &res,
			"could not read the target's AUTO_INCREMENTs", e);
	if (rc)
		return rc;
	while (!rc && (row = mysql_fetch_row(res))) {
		char q[400];
		int m;

		if (strchr(row[0], '`'))
			continue;	/* no such names in a schema we write */
		m = snprintf(q, sizeof(q), "ALTER TABLE `%s` AUTO_INCREMENT = %"
			     PRId64, row[0], floor);
		if (mysql_real_query(k->conn, q, (unsigned long)m))
			rc = my_error(k, "could not move an "
				      "AUTO_INCREMENT", e);
		moved++;
	}
	mysql_free_result(res);
	if (!rc)
		log_info("sink", "id sequences start at %" PRId64 " or later "
			 "tables=%d", floor, moved);
	return rc;
}

static const struct sink_ops my_sink_ops = {
	.name = "mysql",
	.load_checkpoint = my_sink_load_checkpoint,
	.apply = my_sink_apply,
	.flush = my_sink_flush,
	.rollback = my_sink_rollback,
	.stats = my_sink_stats,
	.reserve_ids = my_sink_reserve_ids,
	.close = my_sink_close,
};

/* ---- connecting ------------------------------------------------------- */

static int my_connect(struct my_sink *k, const struct sink_params *p,
		      struct err *e)
{
	const struct my_conn_params cp = {
		.db = p->db,
		.password = p->password,
		.application_name = p->application_name,
		.flags = CLIENT_MULTI_STATEMENTS,
		.what = "MySQL",
	};
	int rc = my_conn_open(&cp, &k->conn, e);

	if (rc)
		return rc;
	if (strcmp(mysql_character_set_name(k->conn), "utf8mb4") != 0)
		return err_set(e, FERRY_ECONFIG, "MySQL at %s:%d does not "
			       "accept character set utf8mb4 (got %s)",
			       p->db->host, p->db->port,
			       mysql_character_set_name(k->conn));
	return 0;
}

/*
 * Session settings ferry's literals assume: strict (a value that does not
 * fit is an error, not a silent truncation) but without NO_ZERO_DATE /
 * NO_ZERO_IN_DATE, so zero dates from a MySQL source pass through;
 * NO_AUTO_VALUE_ON_ZERO so a source id 0 stays 0; UTC; each target
 * transaction explicit (START TRANSACTION) and READ COMMITTED (no gap
 * locks taken by the upserts' and deletes' key lookups).
 */
static int my_session(struct my_sink *k, struct err *e)
{
	static const char ddl_checkpoint[] =
		"CREATE TABLE IF NOT EXISTS ferry_checkpoint ("
		" id varchar(255) NOT NULL,"
		" position text NOT NULL,"
		" updated_at datetime(6) NOT NULL,"
		" PRIMARY KEY (id)"
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
	/* key: (255 + 500) * 4 bytes fits InnoDB's 3072-byte limit */
	static const char ddl_snapshot[] =
		"CREATE TABLE IF NOT EXISTS ferry_snapshot ("
		" id varchar(255) NOT NULL,"
		" source_table varchar(500) NOT NULL,"
		" last_key mediumtext NULL,"
		" done tinyint(1) NOT NULL,"
		" `rows` bigint unsigned NOT NULL,"
		" start_position text NULL,"
		" PRIMARY KEY (id, source_table)"
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
	static const char packet_sql[] = "SELECT @@SESSION.max_allowed_packet";
	static const char column_sql[] =
		"SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
		"TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'ferry_snapshot' "
		"AND COLUMN_NAME = 'start_position'";
	bool missing;
	const char *info = mysql_get_server_info(k->conn);
	unsigned long version = mysql_get_server_version(k->conn);
	MYSQL_RES *r = NULL;
	MYSQL_ROW row;
	int rc;

	k->row_alias = !strstr(info ? info : "", "MariaDB") &&
		       version >= 80019;
	rc = batch_add_simple(k,
			      "SET SESSION sql_mode = 'STRICT_ALL_TABLES,"
			      "ERROR_FOR_DIVISION_BY_ZERO,"
			      "NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION',"
			      " time_zone = '+00:00', autocommit = 1",
			      "could not set up the target session", e);
	if (!rc)
		rc = batch_add_simple(k, "SET SESSION TRANSACTION ISOLATION "
				      "LEVEL READ COMMITTED",
				      "could not set up the target session", e);
	/* DDL commits implicitly: before any data transaction */
	if (!rc)
		rc = batch_add_simple(k, ddl_checkpoint, "could not create "
				      "the checkpoint tables", e);
	if (!rc)
		rc = batch_add_simple(k, ddl_snapshot, "could not create "
				      "the checkpoint tables", e);
	if (!rc)
		rc = batch_send(k, e);
	if (rc)
		return rc;
	/* a ferry_snapshot made before start_position existed */
	rc = query_rows(k, column_sql, strlen(column_sql), &r,
			"could not inspect the checkpoint tables", e);
	if (rc)
		return rc;
	row = mysql_fetch_row(r);
	missing = row && row[0] && strcmp(row[0], "0") == 0;
	mysql_free_result(r);
	if (missing) {
		log_info("sink", "adding column start_position to "
			 "ferry_snapshot");
		rc = batch_add_simple(k, "ALTER TABLE ferry_snapshot ADD "
				      "COLUMN start_position text NULL",
				      "could not extend ferry_snapshot", e);
		if (!rc)
			rc = batch_send(k, e);
		if (rc)
			return rc;
	}
	rc = query_rows(k, packet_sql, strlen(packet_sql), &r,
			"could not read max_allowed_packet", e);
	if (rc)
		return rc;
	row = mysql_fetch_row(r);
	k->packet_max = row && row[0] ? strtoull(row[0], NULL, 10) : 0;
	mysql_free_result(r);
	if (k->packet_max < 4 * MY_SINK_PACKET_SLACK)
		return err_set(e, FERRY_ECONFIG, "target max_allowed_packet "
			       "is %zu bytes: too small", k->packet_max);
	k->stmt_max = k->packet_max / 2 < MY_SINK_STMT_CAP
			      ? k->packet_max / 2 : MY_SINK_STMT_CAP;
	rc = binlog_check(k, e);
	if (rc)
		return rc;
	if (!bulk_supported(k))
		k->bulk_rows = 0;
	log_debug("sink", "connected server=\"%s\" max_allowed_packet=%zu "
		  "upsert=%s bulk_rows=%zu", info ? info : "?", k->packet_max,
		  k->row_alias ? "row-alias" : "values()", k->bulk_rows);
	return 0;
}

int mysql_sink_open(const struct sink_params *p, struct sink **out,
		    struct err *e)
{
	struct my_sink *k = xcalloc(1, sizeof(*k));
	int rc;

	k->base.ops = &my_sink_ops;
	k->checkpoint_id = xstrdup(p->checkpoint_id);
	k->txn_memory = p->txn_memory ? p->txn_memory : (64u << 20);
	/* until the server's value is known: enough for the setup */
	k->packet_max = 1 << 20;
	k->stmt_max = k->packet_max / 2;
	buf_init(&k->sql, 0);
	buf_init(&k->one, 0);
	buf_init(&k->bconv, 0);
	k->bulk_rows = p->mysql_bulk_rows ? p->mysql_bulk_rows
					  : MY_SINK_BULK_ROWS;
	k->reject = p->reject;
	k->reject_ctx = p->reject_ctx;
	rc = my_connect(k, p, e);
	if (!rc)
		rc = my_session(k, e);
	if (rc) {
		my_sink_close(&k->base);
		return rc;
	}
	*out = &k->base;
	return 0;
}
