/*
 * state.h - ferry's local state store (LMDB under state_dir).
 *
 * What lives here, each in its own LMDB sub-database:
 *
 *   idmap     (entity, old key) -> new id/code (+ version, content hash).
 *             Written *before* the target rows that use it, so a replay
 *             after a crash finds and reuses the same codes (DESIGN.md,
 *             invariant 2).
 *   projects  per-project lifecycle state (canary).
 *   rejects   rows that could not be transformed: the row, the reason,
 *             the time, the source position.  Kept until retried.
 *   meta      small named values: last known source position, snowflake
 *             high-water mark, mapping checksum.
 *   blobs     small named byte strings of the plugins.
 *
 * Transactions: everything happens inside a state_txn.  At most one write
 * transaction is open at a time (LMDB's rule); it belongs to the thread
 * that began it.  Read transactions may run beside it.  Pointers returned
 * by getters are copies owned by the caller unless said otherwise.
 *
 * Map size: the store opens with `map_size` and grows by doubling, up to
 * `max_map_size`, when a write transaction starts with the map more than
 * 3/4 full.  A write that still does not fit fails with FERRY_EFULL and a
 * message that names the config key to raise; the transaction is aborted
 * and nothing already committed is affected.
 *
 * Durability: a committed transaction survives kill -9 of the process
 * (and, with the default sync mode, power loss).
 */
#ifndef FERRY_STATE_H
#define FERRY_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"
#include "ferry/pos.h"

struct state;
struct state_txn;

struct state_options {
	size_t map_size;	/* initial; 0 -> 64 MiB */
	size_t max_map_size;	/* growth ceiling; 0 -> 64 GiB */
};

/* Open (creating if needed) the store in directory `dir` (created 0700 if
 * missing).  FERRY_ECORRUPT if the files are not a ferry state store. */
int state_open(const char *dir, const struct state_options *opt,
	       struct state **out, struct err *e) FERRY_MUSTCHECK;
void state_close(struct state *st);

enum state_txn_flags {
	STATE_TXN_READ = 0,
	STATE_TXN_WRITE = 1 << 0,
};

int state_txn_begin(struct state *st, enum state_txn_flags flags,
		    struct state_txn **out, struct err *e) FERRY_MUSTCHECK;
/* Commit and free the handle (also on failure). */
int state_txn_commit(struct state_txn *t, struct err *e) FERRY_MUSTCHECK;
/* Discard and free the handle.  NULL is a no-op. */
void state_txn_abort(struct state_txn *t);

/* ---- id map ---------------------------------------------------------- */

/*
 * `entity` names the namespace ("project", "process_definition", "task",
 * ...; at most 63 bytes, no NUL).  `key` is the old key as bytes: use
 * state_key_i64() for integer ids so that keys sort numerically.
 */
struct state_idval {
	int64_t id;		/* new id or code */
	int32_t version;	/* 0 when the entity has no versions */
	uint64_t hash;		/* content hash, 0 when unused */
};

/* Encode an integer old id as an 8-byte big-endian key into `out[8]`. */
void state_key_i64(int64_t id, unsigned char out[8]);

/* FERRY_ENOTFOUND when absent. */
int state_idmap_get(struct state_txn *t, const char *entity, const void *key,
		    size_t keylen, struct state_idval *out, struct err *e)
	FERRY_MUSTCHECK;
/* Insert or overwrite. */
int state_idmap_put(struct state_txn *t, const char *entity, const void *key,
		    size_t keylen, const struct state_idval *val,
		    struct err *e) FERRY_MUSTCHECK;
/*
 * Assign if absent: stores `*proposed` when the key has no value yet and
 * returns 0; otherwise leaves the store alone, fills `*actual` with the
 * existing value and returns FERRY_EEXIST.  `actual` may equal `proposed`.
 */
int state_idmap_assign(struct state_txn *t, const char *entity,
		       const void *key, size_t keylen,
		       const struct state_idval *proposed,
		       struct state_idval *actual, struct err *e)
	FERRY_MUSTCHECK;
int state_idmap_del(struct state_txn *t, const char *entity, const void *key,
		    size_t keylen, struct err *e) FERRY_MUSTCHECK;
/* Number of entries of `entity` (all entities when NULL). */
int state_idmap_count(struct state_txn *t, const char *entity,
		      uint64_t *out, struct err *e) FERRY_MUSTCHECK;

/* ---- projects -------------------------------------------------------- */

enum state_project_phase {
	STATE_PROJECT_PENDING = 0,
	STATE_PROJECT_BACKFILLING = 1,
	STATE_PROJECT_STREAMING = 2,
	STATE_PROJECT_CUTOVER = 3,
};

struct state_project {
	char name[256];		/* 1.3 project name or id, as configured */
	enum state_project_phase phase;
	int64_t since_ms;	/* wall clock when the phase was entered */
	char position[POS_TEXT_MAX]; /* source position at the phase change */
};

int state_project_get(struct state_txn *t, const char *name,
		      struct state_project *out, struct err *e)
	FERRY_MUSTCHECK;
int state_project_put(struct state_txn *t, const struct state_project *p,
		      struct err *e) FERRY_MUSTCHECK;
/* Calls `fn` for every project in name order; a non-zero return from `fn`
 * stops the walk and is returned. */
int state_project_each(struct state_txn *t,
		       int (*fn)(const struct state_project *p, void *arg),
		       void *arg, struct err *e) FERRY_MUSTCHECK;
const char *state_project_phase_name(enum state_project_phase ph);

/* ---- rejects --------------------------------------------------------- */

/* A rejected row.  Strings are NUL-terminated; `row` is a JSON object of
 * the source columns as text. */
struct state_reject {
	uint64_t id;		/* assigned by state_reject_add, increasing */
	int64_t time_ms;	/* wall clock when rejected */
	char *table;		/* source table, "schema.table" */
	char *pk;		/* primary key as "col=value[,col=value]" */
	char *op;		/* "insert", "update", "delete" */
	char *row;		/* JSON object of the columns */
	char *reason;		/* why it was rejected */
	char *position;		/* source position text */
};

/* Store `r` (its `id` is ignored) and return the new id in `*id`. */
int state_reject_add(struct state_txn *t, const struct state_reject *r,
		     uint64_t *id, struct err *e) FERRY_MUSTCHECK;
/* Fill `*out` with copies (release with state_reject_release()). */
int state_reject_get(struct state_txn *t, uint64_t id,
		     struct state_reject *out, struct err *e) FERRY_MUSTCHECK;
int state_reject_del(struct state_txn *t, uint64_t id, struct err *e)
	FERRY_MUSTCHECK;
int state_reject_count(struct state_txn *t, uint64_t *out, struct err *e)
	FERRY_MUSTCHECK;
/* Walk in id order; `r` is valid only during the call. */
int state_reject_each(struct state_txn *t,
		      int (*fn)(const struct state_reject *r, void *arg),
		      void *arg, struct err *e) FERRY_MUSTCHECK;
void state_reject_release(struct state_reject *r);

/* ---- meta ------------------------------------------------------------ */

/* Named small values.  get: FERRY_ENOTFOUND when absent. */
int state_meta_get_i64(struct state_txn *t, const char *key, int64_t *out,
		       struct err *e) FERRY_MUSTCHECK;
int state_meta_put_i64(struct state_txn *t, const char *key, int64_t v,
		       struct err *e) FERRY_MUSTCHECK;
/* Text values: `out` of size `n` receives a NUL-terminated copy;
 * FERRY_EFULL if it does not fit. */
int state_meta_get_str(struct state_txn *t, const char *key, char *out,
		       size_t n, struct err *e) FERRY_MUSTCHECK;
int state_meta_put_str(struct state_txn *t, const char *key, const char *v,
		       struct err *e) FERRY_MUSTCHECK;

/* Last known source position (informational: the authoritative
 * checkpoint is committed in the target with the data). */
int state_position_get(struct state_txn *t, struct ferry_pos *out,
		       struct err *e) FERRY_MUSTCHECK;
int state_position_put(struct state_txn *t, const struct ferry_pos *p,
		       struct err *e) FERRY_MUSTCHECK;

/* ---- blobs ------------------------------------------------------------ */

/*
 * Small named byte strings (at most 16 MiB each), namespaced like the id
 * map: the DolphinScheduler plugin keeps per-workflow records here (the
 * rows a split produced, workflows waiting for a reference).
 * get: `*out` is a NUL-terminated copy the caller frees; FERRY_ENOTFOUND
 * when absent.  each: in key order; `key`/`val` valid during the call.
 */
int state_blob_get(struct state_txn *t, const char *ns, const void *key,
		   size_t keylen, void **out, size_t *outlen, struct err *e)
	FERRY_MUSTCHECK;
int state_blob_put(struct state_txn *t, const char *ns, const void *key,
		   size_t keylen, const void *val, size_t len, struct err *e)
	FERRY_MUSTCHECK;
int state_blob_del(struct state_txn *t, const char *ns, const void *key,
		   size_t keylen, struct err *e) FERRY_MUSTCHECK;
int state_blob_each(struct state_txn *t, const char *ns,
		    int (*fn)(const void *key, size_t keylen, const void *val,
			      size_t len, void *arg),
		    void *arg, struct err *e) FERRY_MUSTCHECK;

/* Current and maximum map size, and bytes in use (for status/metrics). */
void state_usage(struct state *st, size_t *map_size, size_t *used,
		 size_t *max_map_size);

#endif
