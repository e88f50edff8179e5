/*
 * pgoutput.h - decoder of PostgreSQL's built-in logical replication output
 * plugin, protocol version 1 (the payload of each XLogData message).
 *
 * Turns Begin / Insert / Update / Delete / Truncate / Commit messages into
 * struct change records, and keeps the relation cache that Relation
 * messages describe (a Relation message for a known oid replaces the
 * description; changes already made keep the old one by reference).
 * Type, Origin and logical decoding Message carry nothing ferry applies:
 * they decode to no change, and `*type` tells the caller what came so it
 * can log it.
 *
 * Values arrive in text form and stay so, except bytea, which is turned
 * from "\x..." hex into raw bytes (DATUM_T_BYTES is raw everywhere).
 *
 * Every length is checked against the message before it is used; any
 * malformed message gives FERRY_EPROTO with the message type and the byte
 * offset, and leaves the decoder usable.
 */
#ifndef FERRY_PGOUTPUT_H
#define FERRY_PGOUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/change.h"
#include "ferry/err.h"

struct pgoutput;

/* PostgreSQL allows 1600 columns per table. */
#define PGOUTPUT_MAX_COLUMNS 1600

struct pgoutput *pgoutput_new(void);
void pgoutput_free(struct pgoutput *d);

/*
 * Decode one message of `len` bytes.  On success `*out` is a new change
 * (caller frees) or NULL, and `*type` is the message type byte.
 */
int pgoutput_decode(struct pgoutput *d, const void *msg, size_t len,
		    struct change **out, char *type, struct err *e)
	FERRY_MUSTCHECK;

/*
 * A message that yields several changes (TRUNCATE of several tables)
 * returns the first from pgoutput_decode(); call this until it returns
 * NULL for the rest, in order, before the next decode.
 */
struct change *pgoutput_take_pending(struct pgoutput *d);

/* Description of relation `oid`, borrowed (valid until the next decode),
 * or NULL. */
struct table_desc *pgoutput_relation(struct pgoutput *d, uint32_t oid);

/* Datum type class of a built-in PostgreSQL type oid (UNKNOWN for the
 * rest, whose text passes through). */
enum datum_type pg_type_class(uint32_t type_oid);

/* PostgreSQL timestamps count microseconds from 2000-01-01 UTC. */
#define PG_EPOCH_UNIX_MS 946684800000LL

#endif
