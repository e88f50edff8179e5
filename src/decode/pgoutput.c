/*
 * pgoutput.c - pgoutput protocol version 1 decoder (see pgoutput.h).
 *
 * Sits between source/pg_repl.c, which frames XLogData messages off the
 * replication connection, and the pipeline, which receives the changes.
 * Message layouts are PostgreSQL's "Logical Replication Message Formats"
 * (protocol.sgml); field names below follow that page.
 */
#include "ferry/pgoutput.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"
#include "ferry/wire.h"

enum pgoutput_msg {
	PGO_BEGIN = 'B',
	PGO_MESSAGE = 'M',
	PGO_COMMIT = 'C',
	PGO_ORIGIN = 'O',
	PGO_RELATION = 'R',
	PGO_TYPE = 'Y',
	PGO_INSERT = 'I',
	PGO_UPDATE = 'U',
	PGO_DELETE = 'D',
	PGO_TRUNCATE = 'T',
	/* protocol version 2 (streamed transactions): never requested */
	PGO_STREAM_START = 'S',
	PGO_STREAM_STOP = 'E',
	PGO_STREAM_COMMIT = 'c',
	PGO_STREAM_ABORT = 'A',
};

struct relslot {
	uint32_t oid;		/* 0 = empty */
	struct table_desc *desc;
};

struct pgoutput {
	struct relslot *rels;	/* open addressing, power-of-two size */
	size_t nslots;
	size_t nrels;
	uint64_t xid;		/* of the transaction being decoded */
	struct buf scratch;	/* bytea hex -> raw */
	struct change **pending; /* further changes of the last message */
	size_t npending, pending_next, pending_cap;
};

static void drop_pending(struct pgoutput *d)
{
	for (size_t i = d->pending_next; i < d->npending; i++)
		change_free(d->pending[i]);
	d->npending = 0;
	d->pending_next = 0;
}

struct pgoutput *pgoutput_new(void)
{
	struct pgoutput *d = xcalloc(1, sizeof(*d));

	d->nslots = 64;
	d->rels = xcalloc(d->nslots, sizeof(*d->rels));
	buf_init(&d->scratch, (size_t)1 << 30);
	return d;
}

void pgoutput_free(struct pgoutput *d)
{
	if (!d)
		return;
	drop_pending(d);
	free(d->pending);
	for (size_t i = 0; i < d->nslots; i++)
		table_desc_unref(d->rels[i].desc);
	free(d->rels);
	buf_release(&d->scratch);
	free(d);
}

static size_t slot_of(const struct pgoutput *d, uint32_t oid)
{
	size_t i = (oid * 2654435761u) & (d->nslots - 1);

	while (d->rels[i].oid && d->rels[i].oid != oid)
		i = (i + 1) & (d->nslots - 1);
	return i;
}

struct table_desc *pgoutput_relation(struct pgoutput *d, uint32_t oid)
{
	return oid ? d->rels[slot_of(d, oid)].desc : NULL;
}

static void put_relation(struct pgoutput *d, uint32_t oid,
			 struct table_desc *desc)
{
	size_t i;

	if ((d->nrels + 1) * 2 > d->nslots) {
		struct relslot *old = d->rels;
		size_t n = d->nslots;

		d->nslots *= 2;
		d->rels = xcalloc(d->nslots, sizeof(*d->rels));
		for (size_t j = 0; j < n; j++)
			if (old[j].oid)
				d->rels[slot_of(d, old[j].oid)] = old[j];
		free(old);
	}
	i = slot_of(d, oid);
	if (d->rels[i].oid)
		table_desc_unref(d->rels[i].desc);	/* re-described */
	else
		d->nrels++;
	d->rels[i].oid = oid;
	d->rels[i].desc = desc;
}

enum datum_type pg_type_class(uint32_t type_oid)
{
	switch (type_oid) {
	case 16: return DATUM_T_BOOL;
	case 20: case 21: case 23: case 26: return DATUM_T_INT;
	case 700: case 701: return DATUM_T_FLOAT;
	case 1700: return DATUM_T_NUMERIC;
	case 18: case 19: case 25: case 1042: case 1043: return DATUM_T_TEXT;
	case 17: return DATUM_T_BYTES;
	case 1082: return DATUM_T_DATE;
	case 1083: return DATUM_T_TIME;
	case 1114: return DATUM_T_TIMESTAMP;
	case 1184: return DATUM_T_TIMESTAMPTZ;
	case 114: case 3802: return DATUM_T_JSON;
	default: return DATUM_T_UNKNOWN;
	}
}

static int bad(struct err *e, char type, const struct wire *w,
	       const char *what)
{
	return err_set(e, FERRY_EPROTO,
		       "malformed pgoutput message '%c' at byte %zu of %zu: %s",
		       type, w->off, w->len, what);
}

static int64_t pg_ts_to_unix_ms(uint64_t ts)
{
	return (int64_t)ts / 1000 + PG_EPOCH_UNIX_MS;
}

/* Begin: Int64 final_lsn, Int64 commit timestamp, Int32 xid. */
static int decode_begin(struct pgoutput *d, struct wire *w,
			struct change **out, struct err *e)
{
	struct ferry_pos pos = { .kind = POS_PG };
	uint64_t ts;
	uint32_t xid;

	if (wire_u64be(w, &pos.lsn) || wire_u64be(w, &ts) ||
	    wire_u32be(w, &xid))
		return bad(e, 'B', w, "truncated");
	d->xid = xid;
	*out = change_new_txn(CHANGE_BEGIN, xid, &pos, pg_ts_to_unix_ms(ts));
	return 0;
}

/*
 * Commit: Int8 flags, Int64 commit_lsn, Int64 end_lsn, Int64 timestamp.
 * The end LSN is the position to confirm: a restart from it resumes with
 * the next transaction.
 */
static int decode_commit(struct pgoutput *d, struct wire *w,
			 struct change **out, struct err *e)
{
	struct ferry_pos pos = { .kind = POS_PG };
	uint64_t commit_lsn, ts;
	uint8_t flags;

	if (wire_u8(w, &flags) || wire_u64be(w, &commit_lsn) ||
	    wire_u64be(w, &pos.lsn) || wire_u64be(w, &ts))
		return bad(e, 'C', w, "truncated");
	*out = change_new_txn(CHANGE_COMMIT, d->xid, &pos,
			      pg_ts_to_unix_ms(ts));
	d->xid = 0;
	return 0;
}

/*
 * Relation: Int32 oid, String namespace, String name, Int8 replica
 * identity, Int16 ncols, then per column: Int8 flags (1 = key),
 * String name, Int32 type oid, Int32 type modifier.
 */
static int decode_relation(struct pgoutput *d, struct wire *w, struct err *e)
{
	const char *nsp, *name, *col;
	size_t nsplen, namelen, collen;
	struct table_desc *t;
	uint32_t oid, typid, typmod;
	uint16_t ncols;
	uint8_t ident, flags;

	if (wire_u32be(w, &oid) || wire_cstr(w, &nsp, &nsplen) ||
	    wire_cstr(w, &name, &namelen) || wire_u8(w, &ident) ||
	    wire_u16be(w, &ncols))
		return bad(e, 'R', w, "truncated header");
	if (oid == 0)
		return bad(e, 'R', w, "relation oid 0");
	if (ncols > PGOUTPUT_MAX_COLUMNS)
		return bad(e, 'R', w, "more than 1600 columns");
	/* each column takes at least 1 + 1 + 4 + 4 bytes: check before
	 * allocating for a count that came off the wire */
	if (wire_left(w) < (size_t)ncols * 10)
		return bad(e, 'R', w, "column list shorter than its count");
	t = table_desc_new(nsp, name, ncols);
	t->source_id = oid;
	for (uint16_t i = 0; i < ncols; i++) {
		if (wire_u8(w, &flags) || wire_cstr(w, &col, &collen) ||
		    wire_u32be(w, &typid) || wire_u32be(w, &typmod)) {
			table_desc_unref(t);
			return bad(e, 'R', w, "truncated column");
		}
		table_desc_set_col(t, i, col, pg_type_class(typid), typid,
				   flags & 1);
	}
	(void)ident;
	put_relation(d, oid, t);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* bytea text output is "\x" + hex (bytea_output = hex, the default and
 * what ferry sets on its connection). */
static int unhex(struct pgoutput *d, const unsigned char *s, size_t len)
{
	buf_reset(&d->scratch);
	if (len < 2 || s[0] != '\\' || s[1] != 'x' || len % 2)
		return FERRY_EPROTO;
	if (buf_reserve(&d->scratch, (len - 2) / 2))
		return FERRY_EFULL;
	for (size_t i = 2; i < len; i += 2) {
		int hi = hexval((char)s[i]), lo = hexval((char)s[i + 1]);

		if (hi < 0 || lo < 0)
			return FERRY_EPROTO;
		d->scratch.data[d->scratch.len++] = (char)(hi << 4 | lo);
	}
	return 0;
}

/*
 * TupleData: Int16 ncols, then per column a kind byte: 'n' null,
 * 'u' unchanged TOASTed value (not sent), 't' text or 'b' binary followed
 * by Int32 length and the bytes.
 */
static int decode_tuple(struct pgoutput *d, struct wire *w, char type,
			struct change *c, bool old, struct err *e)
{
	const unsigned char *val;
	uint16_t ncols;
	uint32_t len;
	uint8_t kind;
	int rc = 0;

	if (wire_u16be(w, &ncols))
		return bad(e, type, w, "truncated tuple");
	if (ncols != c->ncols)
		return err_set(e, FERRY_EPROTO,
			       "pgoutput message '%c' for \"%s.%s\" has %u "
			       "columns, its relation has %u", type,
			       c->table->schema, c->table->name, ncols,
			       c->ncols);
	for (uint32_t i = 0; i < ncols && !rc; i++) {
		enum datum_state st = DATUM_VALUE;

		if (wire_u8(w, &kind))
			return bad(e, type, w, "truncated column kind");
		switch (kind) {
		case 'n':
			st = DATUM_NULL;
			break;
		case 'u':
			st = DATUM_UNCHANGED;
			break;
		case 't':
		case 'b':
			if (wire_u32be(w, &len) || wire_bytes(w, len, &val))
				return bad(e, type, w, "value longer than "
					   "the message");
			break;
		default:
			return bad(e, type, w, "unknown column kind");
		}
		if (st != DATUM_VALUE) {
			rc = old ? change_set_old(c, i, st, NULL, 0)
				 : change_set_new(c, i, st, NULL, 0);
			continue;
		}
		if (c->table->cols[i].type == DATUM_T_BYTES && kind == 't') {
			if (unhex(d, val, len))
				return bad(e, type, w, "bad bytea text");
			val = (const unsigned char *)d->scratch.data;
			len = (uint32_t)d->scratch.len;
		} else if (kind == 'b') {
			/* ferry never asks for binary */
			return bad(e, type, w, "binary value not requested");
		}
		rc = old ? change_set_old(c, i, st, val, len)
			 : change_set_new(c, i, st, val, len);
	}
	if (rc)
		return err_set(e, rc, "pgoutput message '%c': value does not "
			       "fit", type);
	return 0;
}

static int lookup_rel(struct pgoutput *d, struct wire *w, char type,
		      struct table_desc **t, struct err *e)
{
	uint32_t oid;

	if (wire_u32be(w, &oid))
		return bad(e, type, w, "truncated");
	*t = pgoutput_relation(d, oid);
	if (!*t)
		return err_set(e, FERRY_EPROTO,
			       "pgoutput message '%c' for relation %u, which "
			       "no Relation message described", type, oid);
	return 0;
}

/*
 * Insert: Int32 oid, 'N', TupleData.
 * Update: Int32 oid, optionally 'K' (key) or 'O' (old row) + TupleData,
 *         then 'N' + TupleData.
 * Delete: Int32 oid, 'K' or 'O', TupleData.
 */
static int decode_row(struct pgoutput *d, struct wire *w, char type,
		      struct change **out, struct err *e)
{
	struct table_desc *t;
	struct change *c;
	uint8_t tag;
	bool has_old;
	int rc;

	rc = lookup_rel(d, w, type, &t, e);
	if (rc)
		return rc;
	if (wire_u8(w, &tag))
		return bad(e, type, w, "truncated");
	has_old = tag == 'K' || tag == 'O';
	if (type == 'I' && tag != 'N')
		return bad(e, type, w, "expected 'N'");
	if (type == 'D' && !has_old)
		return bad(e, type, w, "expected 'K' or 'O'");
	if (type == 'U' && !has_old && tag != 'N')
		return bad(e, type, w, "expected 'K', 'O' or 'N'");
	c = change_new_row(type == 'I' ? CHANGE_INSERT
			   : type == 'U' ? CHANGE_UPDATE : CHANGE_DELETE,
			   t, has_old, type != 'D');
	c->xid = d->xid;
	if (has_old) {
		rc = decode_tuple(d, w, type, c, true, e);
		if (!rc && type == 'U' &&
		    (wire_u8(w, &tag) || tag != 'N'))
			rc = bad(e, type, w, "expected 'N' after old tuple");
	}
	if (!rc && type != 'D')
		rc = decode_tuple(d, w, type, c, false, e);
	if (rc) {
		change_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/*
 * Truncate: Int32 nrelations, Int8 options (1 CASCADE, 2 RESTART
 * IDENTITY), Int32 oid * nrelations.  The first relation's change is
 * returned, the others wait in `pending` for pgoutput_take_pending().
 */
static int decode_truncate(struct pgoutput *d, struct wire *w,
			   struct change **out, struct err *e)
{
	struct table_desc *t;
	uint32_t nrels;
	uint8_t options;
	int rc;

	if (wire_u32be(w, &nrels) || wire_u8(w, &options))
		return bad(e, 'T', w, "truncated");
	if (nrels == 0 || wire_left(w) != (size_t)nrels * 4)
		return bad(e, 'T', w, "relation count does not match");
	d->npending = 0;
	xgrow((void **)&d->pending, &d->pending_cap, nrels,
	      sizeof(*d->pending));
	for (uint32_t i = 0; i < nrels; i++) {
		rc = lookup_rel(d, w, 'T', &t, e);
		if (rc) {
			drop_pending(d);
			return rc;
		}
		d->pending[d->npending] =
			change_new_row(CHANGE_TRUNCATE, t, false, false);
		d->pending[d->npending++]->xid = d->xid;
	}
	/* hand out the first now, the rest in order afterwards */
	*out = d->pending[0];
	d->pending_next = 1;
	return 0;
}

struct change *pgoutput_take_pending(struct pgoutput *d)
{
	if (d->pending_next >= d->npending)
		return NULL;
	return d->pending[d->pending_next++];
}

int pgoutput_decode(struct pgoutput *d, const void *msg, size_t len,
		    struct change **out, char *type, struct err *e)
{
	struct wire w;
	uint8_t t;
	const char *s;
	size_t slen;
	uint64_t u64;
	uint32_t u32;
	int rc = 0;

	*out = NULL;
	drop_pending(d);
	wire_init(&w, msg, len);
	if (wire_u8(&w, &t))
		return err_set(e, FERRY_EPROTO, "empty pgoutput message");
	*type = (char)t;
	switch ((enum pgoutput_msg)t) {
	case PGO_BEGIN:
		rc = decode_begin(d, &w, out, e);
		break;
	case PGO_COMMIT:
		rc = decode_commit(d, &w, out, e);
		break;
	case PGO_RELATION:
		rc = decode_relation(d, &w, e);
		break;
	case PGO_INSERT:
	case PGO_UPDATE:
	case PGO_DELETE:
		rc = decode_row(d, &w, (char)t, out, e);
		break;
	case PGO_TRUNCATE:
		rc = decode_truncate(d, &w, out, e);
		break;
	case PGO_TYPE:
		/* Int32 oid, String namespace, String name: values of such
		 * types pass through as text, nothing to keep */
		if (wire_u32be(&w, &u32) || wire_cstr(&w, &s, &slen) ||
		    wire_cstr(&w, &s, &slen))
			rc = bad(e, 'Y', &w, "truncated");
		break;
	case PGO_ORIGIN:
		/* Int64 origin commit LSN, String origin name */
		if (wire_u64be(&w, &u64) || wire_cstr(&w, &s, &slen))
			rc = bad(e, 'O', &w, "truncated");
		break;
	case PGO_MESSAGE: {
		/* Int8 flags, Int64 lsn, String prefix, Int32 n, Byte[n] */
		const unsigned char *content;

		if (wire_u8(&w, &t) || wire_u64be(&w, &u64) ||
		    wire_cstr(&w, &s, &slen) || wire_u32be(&w, &u32) ||
		    wire_bytes(&w, u32, &content))
			rc = bad(e, 'M', &w, "truncated");
		break;
	}
	case PGO_STREAM_START:
	case PGO_STREAM_STOP:
	case PGO_STREAM_COMMIT:
	case PGO_STREAM_ABORT:
		return err_set(e, FERRY_EPROTO,
			       "pgoutput stream message '%c' in protocol "
			       "version 1", *type);
	default:
		return err_set(e, FERRY_EPROTO,
			       "unknown pgoutput message type 0x%02x", t);
	}
	if (!rc && wire_left(&w)) {
		/* a decode consumes the message exactly */
		change_free(*out);
		*out = NULL;
		rc = bad(e, *type, &w, "trailing bytes");
	}
	if (rc)
		drop_pending(d);
	return rc;
}
