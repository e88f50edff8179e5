/*
 * binlog.h - decoder of MySQL / MariaDB binary log events (binlog version
 * 4, ROW format) into struct change records.  Pure: no network, no
 * database; source/mysql_source.c feeds it the raw events it reads off a
 * replication connection, tests feed it captured bytes.
 *
 * One call decodes one event: the 19-byte common header, the post-header
 * and body, and the CRC32 checksum when the FORMAT_DESCRIPTION event says
 * the server writes one (every event's checksum is verified; a mismatch
 * is FERRY_EPROTO naming the binlog file and position).  What comes out:
 *
 *   MariaDB GTID (not standalone), QUERY "BEGIN"     -> CHANGE_BEGIN
 *   XID, QUERY "COMMIT" / "ROLLBACK"                 -> CHANGE_COMMIT
 *   WRITE/UPDATE/DELETE_ROWS v1 and v2               -> one INSERT/UPDATE/
 *                                                       DELETE per row
 *   QUERY "TRUNCATE" of a migrated table             -> CHANGE_TRUNCATE
 *                                                       (inside BEGIN/COMMIT)
 *   QUERY ALTER/DROP/RENAME (and CREATE OR REPLACE,
 *   DROP DATABASE, statement-based DML) touching a
 *   migrated table                                   -> FERRY_ESTATE: rows
 *                                                       after it would be
 *                                                       mis-decoded
 *
 * FORMAT_DESCRIPTION, ROTATE, TABLE_MAP, GTID_LIST and the GTID events
 * update the decoder's state and yield nothing; HEARTBEAT, ANNOTATE_ROWS,
 * BINLOG_CHECKPOINT, STOP, INTVAR, ... and unknown types yield nothing
 * and are reported in struct binlog_event so the caller can log them.
 * Compressed events, MySQL transaction payloads, partial JSON updates,
 * XA and INCIDENT events are refused (FERRY_ENOTSUP / FERRY_ESTATE) rather
 * than skipped, so nothing is lost silently.
 *
 * Positions.  The decoder tracks the current binlog file (ROTATE) and the
 * end of the last event (the header's next_position), plus the GTID state
 * (MariaDB: one domain-server-seq per domain, comma-separated).  BEGIN
 * and COMMIT carry a POS_MYSQL position: file, end offset of the event
 * that produced them, and the GTID state including this transaction, so
 * a COMMIT's position is exactly where to resume after that transaction.
 *
 * Values.  Row images become text in the canonical form of change.h:
 * integers in decimal (unsigned from the TABLE_MAP signedness metadata or
 * the column type the caller supplies), FLOAT/DOUBLE as the shortest text
 * that reads back to the same value ("1.5", "1e+20", PostgreSQL's form),
 * DECIMAL exact with its scale ("-12.30"), DATE "2026-11-21", DATETIME
 * "2026-11-21 22:41:03.123456" (fraction without trailing zeros),
 * TIMESTAMP in UTC "2026-11-21 22:41:03.5+00", TIME "-838:59:59.5", zero
 * dates as "0000-00-00" / "0000-00-00 00:00:00", YEAR as an integer,
 * ENUM/SET as their member text, CHAR without trailing spaces, latin1
 * converted to UTF-8, MySQL binary JSON as JSON text.  Binary strings
 * (collation 63), BINARY (zero-padded to its length), BIT and GEOMETRY
 * are DATUM_T_BYTES, raw.
 *
 * Tables.  TABLE_MAP events fill a cache keyed by table id; the table
 * descriptions are reference counted, so changes keep theirs when the
 * cache replaces or drops an entry (ROTATE and DDL clear it).  Column
 * names, primary-key flags, signedness, character sets and ENUM/SET
 * members come from the optional metadata (binlog_row_metadata=FULL);
 * what is missing is asked of hooks->columns (information_schema), and
 * if nobody knows, the event fails: ferry never guesses a column.
 *
 * Errors: every length is checked before use; a malformed event gives
 * FERRY_EPROTO with the event type, the file:position and the byte
 * offset, and no change.  Limits: BINLOG_MAX_COLUMNS columns, values no
 * longer than the event.  The decoder stays usable after an error, but a
 * stream with an error should be restarted from a checkpoint.
 *
 * Threading: a decoder is used by one thread at a time.
 */
#ifndef FERRY_BINLOG_H
#define FERRY_BINLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/buf.h"
#include "ferry/change.h"
#include "ferry/err.h"
#include "ferry/pos.h"

struct binlog;

#define BINLOG_MAX_COLUMNS 4096
#define BINLOG_HEADER_LEN 19	/* common event header, binlog v4 */

/* Event type codes (the header's type byte). */
enum binlog_event_type {
	BINLOG_EV_UNKNOWN = 0x00,
	BINLOG_EV_QUERY = 0x02,
	BINLOG_EV_STOP = 0x03,
	BINLOG_EV_ROTATE = 0x04,
	BINLOG_EV_INTVAR = 0x05,
	BINLOG_EV_RAND = 0x0d,
	BINLOG_EV_USER_VAR = 0x0e,
	BINLOG_EV_FORMAT_DESCRIPTION = 0x0f,
	BINLOG_EV_XID = 0x10,
	BINLOG_EV_BEGIN_LOAD_QUERY = 0x11,
	BINLOG_EV_EXECUTE_LOAD_QUERY = 0x12,
	BINLOG_EV_TABLE_MAP = 0x13,
	BINLOG_EV_PRE_GA_WRITE_ROWS = 0x14,
	BINLOG_EV_PRE_GA_UPDATE_ROWS = 0x15,
	BINLOG_EV_PRE_GA_DELETE_ROWS = 0x16,
	BINLOG_EV_WRITE_ROWS_V1 = 0x17,
	BINLOG_EV_UPDATE_ROWS_V1 = 0x18,
	BINLOG_EV_DELETE_ROWS_V1 = 0x19,
	BINLOG_EV_INCIDENT = 0x1a,
	BINLOG_EV_HEARTBEAT = 0x1b,
	BINLOG_EV_IGNORABLE = 0x1c,
	BINLOG_EV_ROWS_QUERY = 0x1d,
	BINLOG_EV_WRITE_ROWS_V2 = 0x1e,
	BINLOG_EV_UPDATE_ROWS_V2 = 0x1f,
	BINLOG_EV_DELETE_ROWS_V2 = 0x20,
	BINLOG_EV_GTID = 0x21,			/* MySQL */
	BINLOG_EV_ANONYMOUS_GTID = 0x22,	/* MySQL */
	BINLOG_EV_PREVIOUS_GTIDS = 0x23,
	BINLOG_EV_TRANSACTION_CONTEXT = 0x24,
	BINLOG_EV_VIEW_CHANGE = 0x25,
	BINLOG_EV_XA_PREPARE = 0x26,
	BINLOG_EV_PARTIAL_UPDATE_ROWS = 0x27,
	BINLOG_EV_TRANSACTION_PAYLOAD = 0x28,
	BINLOG_EV_HEARTBEAT_V2 = 0x29,
	BINLOG_EV_ANNOTATE_ROWS = 0xa0,		/* MariaDB from here */
	BINLOG_EV_BINLOG_CHECKPOINT = 0xa1,
	BINLOG_EV_MARIADB_GTID = 0xa2,
	BINLOG_EV_GTID_LIST = 0xa3,
	BINLOG_EV_START_ENCRYPTION = 0xa4,
	BINLOG_EV_QUERY_COMPRESSED = 0xa5,
	BINLOG_EV_WRITE_ROWS_COMPRESSED_V1 = 0xa6,
	BINLOG_EV_UPDATE_ROWS_COMPRESSED_V1 = 0xa7,
	BINLOG_EV_DELETE_ROWS_COMPRESSED_V1 = 0xa8,
	BINLOG_EV_WRITE_ROWS_COMPRESSED = 0xa9,
	BINLOG_EV_UPDATE_ROWS_COMPRESSED = 0xaa,
	BINLOG_EV_DELETE_ROWS_COMPRESSED = 0xab,
};

/*
 * Column type codes (enum_field_types of the server; the same numbers
 * MYSQL_FIELD.type uses, so the snapshot can pass those).  Prefixed so as
 * not to clash with <mysql.h>.
 */
enum binlog_col_type {
	BL_TYPE_DECIMAL = 0,
	BL_TYPE_TINY = 1,
	BL_TYPE_SHORT = 2,
	BL_TYPE_LONG = 3,
	BL_TYPE_FLOAT = 4,
	BL_TYPE_DOUBLE = 5,
	BL_TYPE_NULL = 6,
	BL_TYPE_TIMESTAMP = 7,
	BL_TYPE_LONGLONG = 8,
	BL_TYPE_INT24 = 9,
	BL_TYPE_DATE = 10,
	BL_TYPE_TIME = 11,
	BL_TYPE_DATETIME = 12,
	BL_TYPE_YEAR = 13,
	BL_TYPE_NEWDATE = 14,
	BL_TYPE_VARCHAR = 15,
	BL_TYPE_BIT = 16,
	BL_TYPE_TIMESTAMP2 = 17,
	BL_TYPE_DATETIME2 = 18,
	BL_TYPE_TIME2 = 19,
	BL_TYPE_JSON = 245,
	BL_TYPE_NEWDECIMAL = 246,
	BL_TYPE_ENUM = 247,
	BL_TYPE_SET = 248,
	BL_TYPE_TINY_BLOB = 249,
	BL_TYPE_MEDIUM_BLOB = 250,
	BL_TYPE_LONG_BLOB = 251,
	BL_TYPE_BLOB = 252,
	BL_TYPE_VAR_STRING = 253,
	BL_TYPE_STRING = 254,
	BL_TYPE_GEOMETRY = 255,
};

/*
 * What the caller knows about one column (information_schema.COLUMNS).
 * Strings are borrowed: they must stay valid until the hook is called
 * again or the decoder is freed.
 */
struct binlog_colinfo {
	const char *name;	/* COLUMN_NAME */
	const char *column_type; /* COLUMN_TYPE: "int(10) unsigned",
				    "enum('a','b')", ...; NULL unknown */
	const char *charset;	/* CHARACTER_SET_NAME; NULL for binary
				   strings and non-string columns */
	bool key;		/* part of the primary key */
};

struct binlog_hooks {
	/*
	 * Is `schema`.`table` migrated?  table NULL: does `schema` hold a
	 * migrated table (DROP DATABASE).  Rows of tables it refuses are
	 * skipped undecoded; DDL on tables it accepts stops the stream.
	 * NULL hook: every table is migrated.
	 */
	bool (*want)(void *arg, const char *schema, const char *table);
	/*
	 * Describe the `ncols` columns of `schema`.`table`, in table order,
	 * into `cols` (zeroed by the caller).  Called when a TABLE_MAP of a
	 * migrated table lacks metadata (binlog_row_metadata < FULL).
	 * Return 0, or an error code with `e` set (FERRY_ESTATE when the
	 * table no longer has `ncols` columns).  NULL hook: the metadata
	 * must be complete.
	 */
	int (*columns)(void *arg, const char *schema, const char *table,
		       uint32_t ncols, struct binlog_colinfo *cols,
		       struct err *e);
	void *arg;
};

/* What the last binlog_decode() saw, for the caller's logs. */
struct binlog_event {
	uint8_t type;		/* enum binlog_event_type */
	uint32_t timestamp;	/* header: Unix seconds */
	uint32_t server_id;
	uint64_t start;		/* offset of the event in its file (0 for
				   artificial events) */
	uint64_t next;		/* header next_position, 0 if none */
	bool ignored;		/* carries nothing ferry uses */
	bool heartbeat;
	bool filtered;		/* rows of a table not migrated */
	uint32_t rows;		/* row changes decoded */
};

/* A new decoder; `hooks` is copied (NULL: no hooks). */
struct binlog *binlog_new(const struct binlog_hooks *hooks);
void binlog_free(struct binlog *d);

/*
 * Where the stream starts: binlog `file`, `offset`, and the GTID state
 * there (MariaDB "0-1-42[,1-2-7]"; "" or NULL if unknown; other text is
 * kept as given).  The decoder moves on from here (ROTATE, GTID_LIST and
 * GTID events update it).  FERRY_EINVAL on a name or GTID too long.
 */
int binlog_set_start(struct binlog *d, const char *file, uint64_t offset,
		     const char *gtid, struct err *e) FERRY_MUSTCHECK;

/*
 * Whether events before the first FORMAT_DESCRIPTION (the replication
 * stream's artificial ROTATE) end in a CRC32 checksum: true when the
 * server's @@binlog_checksum is CRC32 and the replica announced it.
 * Unset, the decoder accepts a pre-FORMAT_DESCRIPTION event whose last 4
 * bytes are its CRC32 as checksummed, and any other as not.
 */
void binlog_expect_checksum(struct binlog *d, bool crc32);

/*
 * Decode one whole event of `len` bytes (common header included; for the
 * replication protocol, without the leading 0x00 status byte).  On
 * success `*out` is a new change (the caller frees it) or NULL, and
 * `*info` describes the event.  Events that make several changes (a ROWS
 * event holds many rows) return the first; binlog_take_pending() hands
 * out the rest, in order, before the next decode.
 *
 * Errors: FERRY_EPROTO (malformed, checksum), FERRY_ENOTSUP (event kinds
 * ferry refuses), FERRY_ESTATE (DDL on a migrated table, incident), or
 * what hooks->columns returned.  `*out` is NULL and nothing is pending.
 */
int binlog_decode(struct binlog *d, const void *ev, size_t len,
		  struct change **out, struct binlog_event *info,
		  struct err *e) FERRY_MUSTCHECK;

/* The next change of the last event, or NULL. */
struct change *binlog_take_pending(struct binlog *d);

/* Position after the last decoded event: file, end offset, GTID state. */
void binlog_position(const struct binlog *d, struct ferry_pos *pos);

/* Between a BEGIN and its COMMIT? */
bool binlog_in_transaction(const struct binlog *d);

/* True once a FORMAT_DESCRIPTION said the server is MariaDB. */
bool binlog_is_mariadb(const struct binlog *d);

/* Description of table id `id` (borrowed: valid until the next decode),
 * or NULL if no TABLE_MAP described it or it is not migrated. */
struct table_desc *binlog_table(struct binlog *d, uint64_t id);

/* "TABLE_MAP", "WRITE_ROWS_V1", ... or "UNKNOWN". */
const char *binlog_event_name(uint8_t type);

/* ---- shared with the snapshot (mysql_source.c) ----------------------- */

/*
 * Type class of a column type (binlog or MYSQL_FIELD code); `binary`:
 * the column's collation is binary (63).
 */
enum datum_type binlog_type_class(unsigned type, bool binary);

/*
 * Turn a value as the text protocol returns it (session time_zone
 * '+00:00', character set utf8mb4) into the canonical text the binlog
 * path produces for column type `type` (BL_TYPE_*; for FLOAT columns the
 * caller selects CAST(col AS DOUBLE) so no digit is lost):
 * FLOAT/DOUBLE are re-printed shortest, fractions lose trailing zeros,
 * TIMESTAMP gains "+00", YEAR 0 becomes "0"; the rest is copied.
 * Appends to `out`.  FERRY_EINVAL if a number does not parse.
 */
int binlog_canon_text(unsigned type, const char *in, size_t len,
		      struct buf *out) FERRY_MUSTCHECK;

/* Shortest round-trip text of a double / float, PostgreSQL style
 * ("0.1", "1e+20", "NaN", "-Infinity"); returns the length. */
size_t binlog_format_double(double v, char *out, size_t n);
size_t binlog_format_float(float v, char *out, size_t n);

/* CRC-32 (ISO 3309, the binlog's checksum): crc of `n` bytes, continuing
 * from `crc` (0 to start). */
uint32_t binlog_crc32(uint32_t crc, const void *p, size_t n);

#endif
