/*
 * change.h - the change record: the one struct every reader produces and
 * everything downstream consumes.
 *
 * A source transaction arrives as
 *
 *	BEGIN, row change*, COMMIT
 *
 * where each row change is INSERT, UPDATE, DELETE or TRUNCATE on one table.
 * BEGIN and COMMIT carry the transaction id and the source position (the
 * COMMIT's position is the one a checkpoint records: everything up to and
 * including that transaction).  Nothing reader-specific leaks past this
 * header: values are text in a canonical form per type class (what
 * PostgreSQL's text output gives; readers of other databases convert to
 * it), except DATUM_T_BYTES, which carries raw bytes.
 *
 * Tables are described by a reference-counted struct table_desc shared by
 * every change on that table, so a reader can replace its description
 * after DDL while older changes still point at the old one.
 *
 * Ownership: a change owns everything it points to (its table reference,
 * values, position) and is freed with change_free().  It is built by one
 * thread and handed whole to another through the queue; it is never
 * shared.
 */
#ifndef FERRY_CHANGE_H
#define FERRY_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/buf.h"
#include "ferry/checkpoint.h"
#include "ferry/err.h"
#include "ferry/pos.h"

/* Type classes: enough for a writer to format a value for any target. */
enum datum_type {
	DATUM_T_UNKNOWN = 0,	/* pass the text through */
	DATUM_T_BOOL,		/* "t" / "f" */
	DATUM_T_INT,		/* decimal integer, may be unsigned 64-bit */
	DATUM_T_FLOAT,		/* shortest round-trip decimal, "NaN", ... */
	DATUM_T_NUMERIC,	/* exact decimal */
	DATUM_T_TEXT,		/* UTF-8 text */
	DATUM_T_BYTES,		/* raw bytes (not text) */
	DATUM_T_DATE,		/* YYYY-MM-DD */
	DATUM_T_TIME,		/* HH:MM:SS[.ffffff] */
	DATUM_T_TIMESTAMP,	/* YYYY-MM-DD HH:MM:SS[.ffffff] */
	DATUM_T_TIMESTAMPTZ,	/* ... with +HH[:MM] */
	DATUM_T_JSON,		/* JSON text */
};

struct table_column {
	char *name;
	enum datum_type type;
	uint32_t source_type;	/* reader's own type id, for messages */
	bool key;		/* part of the replica identity / PK */
};

struct table_desc {
	int refs;		/* atomic; use table_desc_ref/unref */
	char *schema;		/* "" where the source has none */
	char *name;
	uint32_t source_id;	/* reader's id: PG relation oid, MySQL
				   table id */
	uint32_t ncols;
	struct table_column *cols;
};

/* New description with `ncols` zeroed columns and one reference. */
struct table_desc *table_desc_new(const char *schema, const char *name,
				  uint32_t ncols);
void table_desc_set_col(struct table_desc *t, uint32_t i, const char *name,
			enum datum_type type, uint32_t source_type, bool key);
struct table_desc *table_desc_ref(struct table_desc *t);
/* Drop one reference; frees at zero.  NULL is a no-op. */
void table_desc_unref(struct table_desc *t);
/* Index of column `name`, or -1. */
int table_desc_find(const struct table_desc *t, const char *name);

enum change_kind {
	CHANGE_BEGIN = 'B',
	CHANGE_COMMIT = 'C',
	CHANGE_INSERT = 'I',
	CHANGE_UPDATE = 'U',
	CHANGE_DELETE = 'D',
	CHANGE_TRUNCATE = 'T',
};

enum datum_state {
	DATUM_ABSENT = 0,	/* not sent (non-key column of a key-only
				   old image) */
	DATUM_NULL,
	DATUM_UNCHANGED,	/* PostgreSQL unchanged TOAST value: the
				   reader did not get it */
	DATUM_VALUE,
};

/* Read through change_old()/change_new(); do not touch directly. */
struct datum {
	uint8_t state;		/* enum datum_state */
	uint32_t len;
	size_t off;		/* into the change's payload */
};

struct change {
	enum change_kind kind;
	struct table_desc *table;	/* owned reference; NULL for
					   BEGIN/COMMIT */
	uint64_t xid;			/* source transaction id, 0 if none */
	int64_t commit_time_ms;		/* source commit time (Unix ms), on
					   BEGIN/COMMIT; 0 if unknown */
	struct ferry_pos *pos;		/* BEGIN/COMMIT only, else NULL */
	bool snapshot;			/* produced by the initial snapshot */
	struct snapshot_mark *mark;	/* COMMIT of a snapshot chunk: the
					   progress it completes; owned */
	uint32_t ncols;
	struct datum *oldv;		/* NULL if no old image */
	struct datum *newv;		/* NULL if no new image */
	struct buf payload;		/* value bytes */
};

/* A BEGIN or COMMIT marker; `pos` is copied. */
struct change *change_new_txn(enum change_kind kind, uint64_t xid,
			      const struct ferry_pos *pos,
			      int64_t commit_time_ms);
/*
 * A row change on `table` (a reference is taken).  `with_old` / `with_new`
 * allocate the old / new image, every column DATUM_ABSENT.
 */
struct change *change_new_row(enum change_kind kind, struct table_desc *table,
			      bool with_old, bool with_new);
void change_free(struct change *c);

/*
 * Set column `i` of the old or new image.  For DATUM_VALUE the `len` bytes
 * at `data` are copied.  FERRY_EINVAL if `i` is out of range or the image
 * was not allocated; FERRY_EFULL past the payload ceiling.
 */
int change_set_old(struct change *c, uint32_t i, enum datum_state state,
		   const void *data, size_t len) FERRY_MUSTCHECK;
int change_set_new(struct change *c, uint32_t i, enum datum_state state,
		   const void *data, size_t len) FERRY_MUSTCHECK;

/*
 * Column `i` of an image: returns the state and, for DATUM_VALUE, points
 * `*data` (NUL-terminated, valid until change_free) and `*len` at it.
 */
enum datum_state change_old(const struct change *c, uint32_t i,
			    const char **data, size_t *len);
enum datum_state change_new(const struct change *c, uint32_t i,
			    const char **data, size_t *len);

/*
 * Does the image (old, or new) hold a value for every column its table
 * marks as key, and does the table mark one?  A transform's own key may be
 * narrower than the target's; sinks then address the row by this one.
 */
bool change_has_own_key(const struct change *c, bool old);

/* Does the image hold a value for each of the `n` columns `cols`? */
bool change_has_values(const struct change *c, bool old, const int *cols,
		       size_t n);

/* Bytes this change holds, for queue and memory accounting. */
size_t change_mem_size(const struct change *c);

const char *change_kind_name(enum change_kind k);
const char *datum_type_name(enum datum_type t);

#endif
