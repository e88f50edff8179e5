/*
 * state_lmdb.c - ferry's local state store (state.h) on LMDB.
 *
 * Where it sits: the apply thread keeps one write transaction per batch
 * here (id map entries minted for the batch, rejects, progress) and
 * commits it *before* the target commit (style.md §3.3, step 5), so that
 * a replay after a crash finds and reuses the same codes.  The reader
 * thread may read the last known position at startup, and the CLI
 * (status, idmap dump, rejects) opens the same directory from another
 * process.  This is the only file that includes <lmdb.h>.
 *
 * On disk: one LMDB environment (data.mdb, lock.mdb) in the state
 * directory with four named sub-databases:
 *
 *   idmap     key   entity bytes, NUL, old key bytes
 *             value id:i64 version:i32 hash:u64                (20 bytes)
 *   projects  key   project name bytes
 *             value rec:u8=1 phase:u8 since_ms:i64 position:str
 *   rejects   key   id:u64
 *             value rec:u8=1 time_ms:i64 table:str pk:str op:str row:str
 *                   reason:str position:str
 *   meta      key   name bytes
 *             value 'i' i64  |  's' text bytes
 *
 * Integers are big-endian, so integer keys sort numerically under LMDB's
 * default memcmp order and the files do not depend on the host.  A str is
 * len:u32, len bytes, then one NUL: the NUL lets a walk hand out pointers
 * into the map without copying.  Values are decoded with a bounded reader
 * (check, then read), so a damaged record yields FERRY_ECORRUPT, never a
 * read past its end; `rec` versions each record for later changes.
 *
 * meta "format" = 1 marks a ferry store.  It, the reject id high-water
 * mark and the source position are reserved meta keys that
 * state_meta_put_*() refuses, so a caller cannot clobber them.
 */
#include "ferry/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ferry/mem.h"

#define STATE_FORMAT 1		/* meta "format" of this layout */
#define STATE_SUB_DBS 5		/* idmap projects rejects meta blobs */
#define RECORD_V1 1		/* `rec` byte of project and reject values */

#define MIB ((size_t)1 << 20)
#define DEFAULT_MAP_SIZE (64 * MIB)
/* 64 GiB where size_t can hold it (address space, not disk: the file
 * grows only as pages are used) */
#define DEFAULT_MAX_MAP_SIZE ((size_t)1 << (sizeof(size_t) >= 8 ? 36 : 30))
#define MIN_MAP_SIZE ((size_t)64 << 10)

#define ENTITY_MAX 63
/* key buffer; LMDB's default build allows 511-byte keys */
#define KEY_BUF 512
#define IDVAL_SIZE 20
#define META_KEY_MAX 255
#define BLOB_MAX ((size_t)1 << 24)	/* one blob's value, bytes */
#define PROJECT_VAL_MAX (1 + 1 + 8 + 4 + POS_TEXT_MAX + 1)
#define REJECT_FIELDS 6

#define META_FORMAT "format"
#define META_REJECT_NEXT "rejects.next_id"
#define META_POSITION "source.position"

/* the name a new store is built under before it is linked into place */
#define STAGING_PREFIX "data.mdb.new-"

/* how long a write waits for open transactions before growing the map */
#define GROW_WAIT_MS 2000

/*
 * Transactions the calling thread holds (in any store).  A thread that
 * holds one must neither wait at the resize gate nor wait for the map
 * to be free of transactions: it would be waiting for itself.  A read
 * transaction ended by another thread than began it leaves its
 * beginner's count high; that thread then just never waits, and the map
 * still grows whenever no transaction is open.
 */
static _Thread_local int tls_open_txns;

struct state {
	MDB_env *env;
	MDB_dbi idmap, projects, rejects, meta, blobs;
	char *dir;
	size_t psize;		/* LMDB page size */
	size_t max_key;		/* longest key we accept */
	size_t max_map_size;
	/*
	 * mdb_env_set_mapsize() unmaps and remaps the file, which is only
	 * safe while no transaction of this process is open (LMDB itself
	 * checks only for its own write transaction; a read transaction
	 * would keep pointers into the old mapping).  So every begin/end
	 * counts itself in `ntxn` under `lock`, and the map grows only
	 * under `lock` with `ntxn` == 0.
	 *
	 * Waiting for `ntxn` to reach zero by chance can starve: a steady
	 * trickle of short read transactions, or a second writer counted
	 * while it waits for LMDB's writer lock, keeps it above zero.  So a
	 * write transaction that wants to grow the map sets `resizing`:
	 * new transactions wait at the gate while those open finish (the
	 * resizer waits at most GROW_WAIT_MS, then goes on without growing
	 * and tries again next time).  `lock` is never held while waiting
	 * for LMDB's writer lock, which would deadlock against a
	 * committing thread.
	 */
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* `ntxn` fell to zero, or `resizing` ended */
	unsigned ntxn;		/* open transactions of this process */
	int resizing;		/* a writer waits to grow the map */
	size_t map_size;	/* current map size */
	int grow_pending;	/* a write hit the map: grow next time */
	int broken;		/* a remap failed: the env is unusable */
	int writer_open;	/* a write transaction is open ... */
	pthread_t writer;	/* ... and this thread began it */
};

struct state_txn {
	struct state *st;
	MDB_txn *txn;
	int write;
	pthread_t thread;	/* the thread that began it */
	/* LMDB leaves a write transaction unusable after most errors;
	 * remember the first, so later calls and the commit report it */
	struct err failed;
};

/* ---- byte order and the bounded reader ------------------------------- */

static void put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const unsigned char *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* A cursor over one stored value: every read checks the length first
 * and fails without moving when the bytes are not there. */
struct rd {
	const unsigned char *p;
	size_t len, off;
};

static void rd_init(struct rd *r, const MDB_val *v)
{
	r->p = v->mv_data;
	r->len = v->mv_size;
	r->off = 0;
}

static int rd_u8(struct rd *r, unsigned *v)
{
	if (r->len - r->off < 1)
		return -1;
	*v = r->p[r->off++];
	return 0;
}

static int rd_be64(struct rd *r, uint64_t *v)
{
	if (r->len - r->off < 8)
		return -1;
	*v = get_be64(r->p + r->off);
	r->off += 8;
	return 0;
}

/* A str: len:u32, len bytes without NUL, one NUL.  `*s` points into the
 * value, NUL-terminated. */
static int rd_str(struct rd *r, const char **s, size_t *n)
{
	size_t left = r->len - r->off;
	uint32_t len;

	if (left < 4)
		return -1;
	len = get_be32(r->p + r->off);
	/* len bytes and the NUL must follow */
	if (len >= left - 4)
		return -1;
	if (r->p[r->off + 4 + len] != '\0' ||
	    memchr(r->p + r->off + 4, '\0', len))
		return -1;
	*s = (const char *)r->p + r->off + 4;
	*n = len;
	r->off += 4 + (size_t)len + 1;
	return 0;
}

/* a decode consumes the value exactly */
static int rd_end(const struct rd *r)
{
	return r->off == r->len ? 0 : -1;
}

static unsigned char *wr_str(unsigned char *p, const char *s, size_t n)
{
	put_be32(p, (uint32_t)n);
	memcpy(p + 4, s, n);
	p[4 + n] = '\0';
	return p + 4 + n + 1;
}

/* ---- errors ---------------------------------------------------------- */

static const char *fmt_size(size_t n, char *out, size_t cap)
{
	if (n % MIB == 0)
		snprintf(out, cap, "%zu MiB", n / MIB);
	else
		snprintf(out, cap, "%.2f MiB", (double)n / (double)MIB);
	return out;
}

static int lmdb_code(int rc)
{
	switch (rc) {
	case MDB_NOTFOUND:
		return FERRY_ENOTFOUND;
	case MDB_KEYEXIST:
		return FERRY_EEXIST;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case MDB_READERS_FULL:
	case MDB_DBS_FULL:
		return FERRY_EFULL;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INCOMPATIBLE:
		return FERRY_ECORRUPT;
	case MDB_MAP_RESIZED:
		return FERRY_ESTATE;
	case MDB_BAD_VALSIZE:
		return FERRY_EINVAL;
	default:
		return FERRY_EIO;
	}
}

/* The map is full: say how big it is and which config key raises it. */
static int map_full(struct state *st, struct err *e, const char *what)
{
	char cur[32], lim[32];
	size_t map;

	pthread_mutex_lock(&st->lock);
	map = st->map_size;
	if (map < st->max_map_size)
		st->grow_pending = 1;
	pthread_mutex_unlock(&st->lock);
	fmt_size(map, cur, sizeof(cur));
	fmt_size(st->max_map_size, lim, sizeof(lim));
	if (map < st->max_map_size)
		/* a transaction bigger than the quarter kept free, or growth
		 * held off by an open read transaction */
		return err_set(e, FERRY_EFULL,
			       "could not %s: state store is full (map size "
			       "%s, limit %s): the transaction was aborted "
			       "and the map grows before the next write "
			       "transaction; if this repeats, raise "
			       "limits.state_max_map_mb in the config",
			       what, cur, lim);
	return err_set(e, FERRY_EFULL,
		       "could not %s: state store is full (map size %s, "
		       "limit %s): raise limits.state_max_map_mb in the "
		       "config", what, cur, lim);
}

static int lmdb_vfail(struct state *st, int rc, struct err *e,
		      const char *fmt, va_list ap)
{
	char what[512];

	vsnprintf(what, sizeof(what), fmt, ap);
	if (rc == MDB_MAP_FULL)
		return map_full(st, e, what);
	if (rc == MDB_TXN_FULL)
		return err_set(e, FERRY_EFULL,
			       "could not %s: %s: too many changes in one "
			       "state transaction", what, mdb_strerror(rc));
	return err_set(e, lmdb_code(rc), "could not %s: %s", what,
		       mdb_strerror(rc));
}

/* An LMDB call failed outside a transaction handle. */
static int lmdb_fail(struct state *st, int rc, struct err *e,
		     const char *fmt, ...) FERRY_PRINTF(4, 5);
static int lmdb_fail(struct state *st, int rc, struct err *e,
		     const char *fmt, ...)
{
	va_list ap;
	int code;

	va_start(ap, fmt);
	code = lmdb_vfail(st, rc, e, fmt, ap);
	va_end(ap);
	return code;
}

/* An LMDB call failed inside `t`: poison a write transaction. */
static int txn_fail(struct state_txn *t, int rc, struct err *e,
		    const char *fmt, ...) FERRY_PRINTF(4, 5);
static int txn_fail(struct state_txn *t, int rc, struct err *e,
		    const char *fmt, ...)
{
	struct err tmp;
	va_list ap;
	int code;

	va_start(ap, fmt);
	code = lmdb_vfail(t->st, rc, &tmp, fmt, ap);
	va_end(ap);
	/* MDB_NOTFOUND and MDB_KEYEXIST leave the transaction usable */
	if (t->write && !t->failed.code && rc != MDB_NOTFOUND &&
	    rc != MDB_KEYEXIST)
		t->failed = tmp;
	if (e)
		*e = tmp;
	return code;
}

/* Refuse work on a poisoned transaction, and writes in a read one. */
static int txn_check(struct state_txn *t, int write, struct err *e)
{
	if (t->failed.code)
		return err_set(e, t->failed.code,
			       "state transaction failed earlier: %s",
			       t->failed.msg);
	if (write && !t->write)
		return err_set(e, FERRY_EINVAL,
			       "could not change the state store: the "
			       "transaction is read-only");
	return 0;
}

/* ---- meta values (also used while opening) --------------------------- */

static void meta_enc_i64(int64_t v, unsigned char out[9])
{
	out[0] = 'i';
	put_be64(out + 1, (uint64_t)v);
}

/* 0, or FERRY_EINVAL (a text value), or FERRY_ECORRUPT */
static int meta_dec_i64(const MDB_val *v, int64_t *out)
{
	const unsigned char *p = v->mv_data;

	if (v->mv_size >= 1 && p[0] == 's')
		return FERRY_EINVAL;
	if (v->mv_size != 9 || p[0] != 'i')
		return FERRY_ECORRUPT;
	*out = (int64_t)get_be64(p + 1);
	return 0;
}

static int meta_key(const char *key, MDB_val *k, struct err *e)
{
	size_t n = key ? strnlen(key, META_KEY_MAX + 1) : 0;

	if (n == 0 || n > META_KEY_MAX)
		return err_set(e, FERRY_EINVAL,
			       "invalid meta key: expected 1..%d bytes",
			       META_KEY_MAX);
	k->mv_data = (void *)key;
	k->mv_size = n;
	return 0;
}

/* ---- opening --------------------------------------------------------- */

static int ensure_dir(const char *dir, struct err *e)
{
	struct stat sb;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return err_set(e, FERRY_EIO,
			       "could not create state directory \"%s\": %s",
			       dir, strerror(errno));
	if (stat(dir, &sb) != 0)
		return err_set(e, FERRY_EIO,
			       "could not open state directory \"%s\": %s",
			       dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return err_set(e, FERRY_EIO,
			       "could not open state directory \"%s\": not "
			       "a directory", dir);
	return 0;
}

static int env_open(const char *path, unsigned flags, size_t map,
		    MDB_env **out, struct err *e)
{
	MDB_env *env;
	int rc;

	*out = NULL;
	rc = mdb_env_create(&env);
	if (rc)
		return err_set(e, FERRY_EIO,
			       "could not create an LMDB environment: %s",
			       mdb_strerror(rc));
	rc = mdb_env_set_maxdbs(env, STATE_SUB_DBS);
	if (!rc)
		rc = mdb_env_set_mapsize(env, map);
	if (rc) {
		mdb_env_close(env);
		return err_set(e, FERRY_EIO,
			       "could not configure the LMDB environment: %s",
			       mdb_strerror(rc));
	}
	/*
	 * MDB_NOTLS.  Without it LMDB binds a read transaction's reader
	 * slot to the calling thread (thread-local storage): one read
	 * transaction per thread at a time, and the slot stays with the
	 * thread.  Our read transactions come from whichever thread asks -
	 * the reader thread at startup, the apply thread (which may want a
	 * snapshot beside its open batch transaction), a status endpoint,
	 * the CLI - so with NOTLS the slot belongs to the transaction
	 * handle instead.  The cost, finding a slot per read transaction,
	 * is noise next to a commit's fsync.  A write transaction stays
	 * bound to the thread that began it (LMDB's writer mutex), as
	 * state.h says.
	 */
	rc = mdb_env_open(env, path, flags | MDB_NOTLS, 0600);
	if (rc) {
		mdb_env_close(env);
		if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
			return err_set(e, FERRY_ECORRUPT,
				       "could not open state store \"%s\": "
				       "%s: the files there are not a ferry "
				       "state store", path, mdb_strerror(rc));
		return err_set(e, lmdb_code(rc),
			       "could not open state store \"%s\": %s", path,
			       mdb_strerror(rc));
	}
	*out = env;
	return 0;
}

static int check_format(struct state *st, MDB_txn *txn, struct err *e)
{
	MDB_val k = { strlen(META_FORMAT), (void *)META_FORMAT }, v;
	int64_t format;
	int rc;

	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return err_set(e, FERRY_ECORRUPT,
			       "state store \"%s\" has no format marker: not "
			       "a ferry state store, or damaged", st->dir);
	if (rc)
		return lmdb_fail(st, rc, e, "read the format of \"%s\"",
				 st->dir);
	if (meta_dec_i64(&v, &format))
		return err_set(e, FERRY_ECORRUPT,
			       "state store \"%s\" has a damaged format "
			       "marker", st->dir);
	if (format != STATE_FORMAT)
		return err_set(e, FERRY_ECORRUPT,
			       "state store \"%s\" has format %" PRId64 ", "
			       "this ferry understands format %d", st->dir,
			       format, STATE_FORMAT);
	return 0;
}

static const struct {
	const char *name;
	size_t off;
} sub_dbs[] = {
	{ "idmap", offsetof(struct state, idmap) },
	{ "projects", offsetof(struct state, projects) },
	{ "rejects", offsetof(struct state, rejects) },
	{ "meta", offsetof(struct state, meta) },
	{ "blobs", offsetof(struct state, blobs) },
};

static MDB_dbi *sub_dbi(struct state *st, size_t i)
{
	return (MDB_dbi *)(void *)((char *)st + sub_dbs[i].off);
}

/*
 * Look for a ferry store in `txn`: 0 with every handle open, 1 when the
 * environment has no "meta" sub-database (a new store), <0 on error.
 */
static int find_dbs(struct state *st, MDB_txn *txn, struct err *e)
{
	int rc = mdb_dbi_open(txn, "meta", 0, &st->meta);

	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc == MDB_INCOMPATIBLE)
		return err_set(e, FERRY_ECORRUPT,
			       "\"%s\" holds an LMDB environment that is not "
			       "a ferry state store", st->dir);
	if (rc)
		return lmdb_fail(st, rc, e, "open sub-database \"meta\" in "
				 "\"%s\"", st->dir);
	rc = check_format(st, txn, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(sub_dbs) / sizeof(sub_dbs[0]); i++) {
		rc = mdb_dbi_open(txn, sub_dbs[i].name, 0, sub_dbi(st, i));
		if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
			return err_set(e, FERRY_ECORRUPT,
				       "state store \"%s\" is damaged: "
				       "sub-database \"%s\" is missing",
				       st->dir, sub_dbs[i].name);
		if (rc)
			return lmdb_fail(st, rc, e, "open sub-database "
					 "\"%s\" in \"%s\"", sub_dbs[i].name,
					 st->dir);
	}
	return 0;
}

/* Lay out a new store in `txn`, refusing a foreign LMDB environment. */
static int create_dbs(struct state *st, MDB_txn *txn, struct err *e)
{
	unsigned char fv[9];
	MDB_val k = { strlen(META_FORMAT), (void *)META_FORMAT };
	MDB_val v = { sizeof(fv), fv };
	MDB_dbi main_dbi;
	MDB_stat ms;
	int rc;

	rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
	if (!rc)
		rc = mdb_stat(txn, main_dbi, &ms);
	if (rc)
		return lmdb_fail(st, rc, e, "inspect \"%s\"", st->dir);
	if (ms.ms_entries)
		return err_set(e, FERRY_ECORRUPT,
			       "\"%s\" holds an LMDB environment that is not "
			       "a ferry state store", st->dir);
	for (size_t i = 0; i < sizeof(sub_dbs) / sizeof(sub_dbs[0]); i++) {
		rc = mdb_dbi_open(txn, sub_dbs[i].name, MDB_CREATE,
				  sub_dbi(st, i));
		if (rc)
			return lmdb_fail(st, rc, e, "create sub-database "
					 "\"%s\" in \"%s\"", sub_dbs[i].name,
					 st->dir);
	}
	meta_enc_i64(STATE_FORMAT, fv);
	rc = mdb_put(txn, st->meta, &k, &v, 0);
	if (rc)
		return lmdb_fail(st, rc, e, "write the format of \"%s\"",
				 st->dir);
	return 0;
}

/* Open the sub-database handles of `env`, creating them in a new one. */
static int setup_dbs(struct state *st, MDB_env *env, struct err *e)
{
	MDB_txn *txn;
	int rc;

	/* the common case, an existing store, needs no writer lock */
	rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return lmdb_fail(st, rc, e, "begin a read transaction in "
				 "\"%s\"", st->dir);
	rc = find_dbs(st, txn, e);
	if (rc == 0) {
		/* a read transaction's commit keeps the handles it opened */
		rc = mdb_txn_commit(txn);
		return rc ? lmdb_fail(st, rc, e, "open the sub-databases of "
				      "\"%s\"", st->dir) : 0;
	}
	mdb_txn_abort(txn);
	if (rc < 0)
		return rc;
	rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc)
		return lmdb_fail(st, rc, e, "begin a write transaction in "
				 "\"%s\"", st->dir);
	/* look again: another process may have created it meanwhile */
	rc = find_dbs(st, txn, e);
	if (rc == 1)
		rc = create_dbs(st, txn, e);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	rc = mdb_txn_commit(txn);
	return rc ? lmdb_fail(st, rc, e, "create the state store in \"%s\"",
			      st->dir) : 0;
}

static int path_join(char *out, size_t n, const char *dir, const char *name,
		     struct err *e)
{
	int len = snprintf(out, n, "%s/%s", dir, name);

	if (len < 0 || (size_t)len >= n)
		return err_set(e, FERRY_EINVAL,
			       "state directory path \"%s\" is too long", dir);
	return 0;
}

/* Remove what a creator killed before it finished left behind. */
static void remove_stale_staging(const char *dir)
{
	size_t plen = strlen(STAGING_PREFIX);
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX], *end;
		long pid;

		if (strncmp(de->d_name, STAGING_PREFIX, plen) != 0)
			continue;
		errno = 0;
		pid = strtol(de->d_name + plen, &end, 10);
		if (errno || pid <= 0 || pid > INT_MAX ||
		    (*end && strcmp(end, "-lock") != 0))
			continue;
		/* a live creator's files are its own business */
		if (pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (path_join(path, sizeof(path), dir, de->d_name, NULL) == 0)
			unlink(path);
	}
	closedir(d);
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		/* best effort: the store is valid either way, only the
		 * name's durability across power loss depends on it */
		if (fsync(fd) != 0)
			errno = 0;
		close(fd);
	}
}

/*
 * Create data.mdb if it does not exist yet.  LMDB writes a new file's
 * two meta pages with one pwrite(), and SIGKILL can cut that write short
 * (the kernel stops between pages); LMDB then refuses the file as
 * invalid, for good.  So a new store is built, sub-databases and format
 * marker included, under a staging name and link()ed into place: the
 * name data.mdb only ever refers to a complete store.  link(), not
 * rename(), so that of two processes creating at once the loser's copy
 * never replaces a file the winner may already be writing.
 */
static int create_if_missing(struct state *st, size_t map, struct err *e)
{
	char data[PATH_MAX], tmp[PATH_MAX], tmplock[PATH_MAX + 8];
	char name[64];
	MDB_env *env;
	struct stat sb;
	int rc;

	rc = path_join(data, sizeof(data), st->dir, "data.mdb", e);
	if (rc)
		return rc;
	if (lstat(data, &sb) == 0)
		return 0;
	if (errno != ENOENT)
		return err_set(e, FERRY_EIO, "could not inspect \"%s\": %s",
			       data, strerror(errno));
	remove_stale_staging(st->dir);
	snprintf(name, sizeof(name), STAGING_PREFIX "%ld", (long)getpid());
	rc = path_join(tmp, sizeof(tmp), st->dir, name, e);
	if (rc)
		return rc;
	snprintf(tmplock, sizeof(tmplock), "%s-lock", tmp);
	unlink(tmp);
	unlink(tmplock);
	rc = env_open(tmp, MDB_NOSUBDIR, map, &env, e);
	if (rc)
		return rc;
	rc = setup_dbs(st, env, e);
	/* the commit in setup_dbs synced the file */
	mdb_env_close(env);
	if (rc == 0 && link(tmp, data) != 0) {
		if (errno == EPERM || errno == EOPNOTSUPP) {
			/* no hard links here: rename, losing only the
			 * two-creators guard */
			if (rename(tmp, data) != 0 && errno != EEXIST)
				rc = err_set(e, FERRY_EIO,
					     "could not rename \"%s\": %s",
					     tmp, strerror(errno));
		} else if (errno != EEXIST) {
			rc = err_set(e, FERRY_EIO, "could not link \"%s\": %s",
				     tmp, strerror(errno));
		}
	}
	if (rc == 0)
		fsync_dir(st->dir);
	unlink(tmp);
	unlink(tmplock);
	return rc;
}

/* Start from the configured size, or the size an earlier run grew the
 * map to, whichever is larger; never past the limit unless the data
 * already is. */
static int size_map(struct state *st, size_t want, struct err *e)
{
	MDB_envinfo info;
	int rc;

	/* size 0 adopts the size recorded in the file (at least the data) */
	rc = mdb_env_set_mapsize(st->env, 0);
	if (rc == 0) {
		mdb_env_info(st->env, &info);
		if (info.me_mapsize > want)
			want = info.me_mapsize;
		if (want > st->max_map_size)
			want = st->max_map_size;
		rc = mdb_env_set_mapsize(st->env, want);
	}
	if (rc)
		return err_set(e, FERRY_EIO,
			       "could not set the map size of \"%s\": %s",
			       st->dir, mdb_strerror(rc));
	mdb_env_info(st->env, &info);
	st->map_size = info.me_mapsize;
	return 0;
}

/* waits on it measure time that cannot jump with the wall clock */
static void cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

static size_t round_pages(size_t n, size_t page)
{
	if (n % page == 0)
		return n;
	return n > SIZE_MAX - page ? n / page * page : (n / page + 1) * page;
}

int state_open(const char *dir, const struct state_options *opt,
	       struct state **out, struct err *e)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t map, max;
	struct state *st;
	MDB_stat ms;
	int rc, dead, maxkey;
	char a[32], b[32];

	*out = NULL;
	max = opt && opt->max_map_size ? opt->max_map_size
				       : DEFAULT_MAX_MAP_SIZE;
	map = opt && opt->map_size ? opt->map_size
		: (DEFAULT_MAP_SIZE < max ? DEFAULT_MAP_SIZE : max);
	if (map > max)
		return err_set(e, FERRY_EINVAL,
			       "state map size %s is larger than its limit %s",
			       fmt_size(map, a, sizeof(a)),
			       fmt_size(max, b, sizeof(b)));
	if (map < MIN_MAP_SIZE)
		return err_set(e, FERRY_EINVAL,
			       "state map size %zu bytes is below the "
			       "minimum of %zu", map, MIN_MAP_SIZE);
	map = round_pages(map, page);
	max = round_pages(max, page);
	rc = ensure_dir(dir, e);
	if (rc)
		return rc;

	st = xcalloc(1, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	cond_init_monotonic(&st->cond);
	st->dir = xstrdup(dir);
	st->max_map_size = max;
	rc = create_if_missing(st, map, e);
	if (rc == 0)
		rc = env_open(dir, 0, map, &st->env, e);
	if (rc) {
		state_close(st);
		return rc;
	}
	/*
	 * kill -9 leaves the reader slots of the dead process in lock.mdb;
	 * they would pin old pages, so the map could not reuse them.
	 */
	rc = mdb_reader_check(st->env, &dead);
	if (rc == 0)
		rc = mdb_env_stat(st->env, &ms);
	if (rc) {
		rc = lmdb_fail(st, rc, e, "inspect \"%s\"", dir);
		state_close(st);
		return rc;
	}
	st->psize = ms.ms_psize;
	maxkey = mdb_env_get_maxkeysize(st->env);
	st->max_key = maxkey > 0 && (size_t)maxkey < KEY_BUF ? (size_t)maxkey
							   : KEY_BUF;
	rc = size_map(st, map, e);
	if (rc == 0)
		rc = setup_dbs(st, st->env, e);
	if (rc) {
		state_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	/* the caller has finished every transaction (state.h): LMDB
	 * frees what is left of them with the environment */
	if (st->env)
		mdb_env_close(st->env);
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->lock);
	free(st->dir);
	free(st);
}

void state_usage(struct state *st, size_t *map_size, size_t *used,
		 size_t *max_map_size)
{
	MDB_envinfo info;

	pthread_mutex_lock(&st->lock);
	mdb_env_info(st->env, &info);
	pthread_mutex_unlock(&st->lock);
	if (map_size)
		*map_size = info.me_mapsize;
	if (used)
		*used = (info.me_last_pgno + 1) * st->psize;
	if (max_map_size)
		*max_map_size = st->max_map_size;
}

/* ---- transactions ---------------------------------------------------- */

/*
 * The map size to grow to, with `lock` held: double while more than 3/4
 * of the map is used (or once when a write ran out of room since), up
 * to the limit.  0 when no growth is due.
 */
static size_t grow_target(struct state *st)
{
	MDB_envinfo info;
	size_t used, want;
	int pending = st->grow_pending;

	mdb_env_info(st->env, &info);
	used = (info.me_last_pgno + 1) * st->psize;
	want = info.me_mapsize;
	while (want < st->max_map_size && (pending || used > want / 4 * 3)) {
		want = want > st->max_map_size / 2 ? st->max_map_size
						   : want * 2;
		pending = 0;
	}
	return want > info.me_mapsize ? want : 0;
}

/* Remap at `want` bytes: `lock` held, no transaction open. */
static int grow_locked(struct state *st, size_t want, struct err *e)
{
	char a[32];
	int rc;

	rc = mdb_env_set_mapsize(st->env, want);
	if (rc) {
		/* LMDB has unmapped the old map and could not map the new
		 * one: nothing can be read through this handle any more */
		st->broken = 1;
		return err_set(e, FERRY_EIO,
			       "could not grow the state map of \"%s\" to %s: "
			       "%s", st->dir, fmt_size(want, a, sizeof(a)),
			       mdb_strerror(rc));
	}
	st->map_size = want;
	st->grow_pending = 0;
	return 0;
}

/*
 * Before a write transaction, with `lock` held: grow the map if due,
 * first closing the gate and waiting (bounded) for the open
 * transactions of this process to finish.
 */
static int maybe_grow_locked(struct state *st, struct err *e)
{
	struct timespec deadline;
	size_t want = grow_target(st);

	if (!want)
		return 0;
	if (st->ntxn > 0) {
		if (tls_open_txns > 0)
			return 0;	/* possibly our own: grow later */
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += GROW_WAIT_MS / 1000;
		deadline.tv_nsec += (GROW_WAIT_MS % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		st->resizing = 1;
		while (st->ntxn > 0 &&
		       pthread_cond_timedwait(&st->cond, &st->lock,
					      &deadline) != ETIMEDOUT)
			;
		st->resizing = 0;
		pthread_cond_broadcast(&st->cond);
		if (st->ntxn > 0)
			return 0;	/* a long transaction: next time */
		/* others may have written or grown meanwhile */
		want = grow_target(st);
		if (!want)
			return 0;
	}
	return grow_locked(st, want, e);
}

/* Uncount a transaction of this process (begun or failed to begin). */
static void uncount_txn(struct state *st, int write)
{
	pthread_mutex_lock(&st->lock);
	st->ntxn--;
	/* once LMDB released its writer lock another thread may already
	 * have begun the next write transaction: leave its mark alone */
	if (write && pthread_equal(st->writer, pthread_self()))
		st->writer_open = 0;
	if (st->ntxn == 0 && st->resizing)
		pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

static void txn_end(struct state_txn *t)
{
	uncount_txn(t->st, t->write);
	if (pthread_equal(t->thread, pthread_self()))
		tls_open_txns--;
	free(t);
}

/*
 * Another process grew the map past ours (MDB_MAP_RESIZED).  Adopt its
 * size (size 0 means "as recorded in the file") if the transaction
 * being begun is the only one of this process; otherwise fail and let
 * the caller retry later.
 */
static int adopt_map_size(struct state *st)
{
	MDB_envinfo info;
	int rc = -1;

	pthread_mutex_lock(&st->lock);
	if (st->ntxn == 1 && mdb_env_set_mapsize(st->env, 0) == 0) {
		mdb_env_info(st->env, &info);
		st->map_size = info.me_mapsize;
		rc = 0;
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int state_txn_begin(struct state *st, enum state_txn_flags flags,
		    struct state_txn **out, struct err *e)
{
	int write = (flags & STATE_TXN_WRITE) != 0;
	const char *kind = write ? "write" : "read";
	struct state_txn *t;
	MDB_txn *txn = NULL;
	int rc = 0;

	*out = NULL;
	pthread_mutex_lock(&st->lock);
	/* a writer waits to grow the map: do not start another
	 * transaction under it, unless this thread holds one the writer
	 * may be waiting for */
	while (st->resizing && tls_open_txns == 0)
		pthread_cond_wait(&st->cond, &st->lock);
	if (st->broken)
		rc = err_set(e, FERRY_EIO, "state store \"%s\" is unusable "
			     "after a failed map resize", st->dir);
	else if (write && st->writer_open &&
		 pthread_equal(st->writer, pthread_self()))
		/* LMDB would wait for itself forever */
		rc = err_set(e, FERRY_ESTATE,
			     "could not begin a write transaction: this "
			     "thread has one open already");
	else if (write)
		rc = maybe_grow_locked(st, e);
	if (rc == 0)
		st->ntxn++;
	pthread_mutex_unlock(&st->lock);
	if (rc)
		return rc;

	rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &txn);
	if (rc == MDB_MAP_RESIZED && adopt_map_size(st) == 0)
		rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY,
				   &txn);
	if (rc) {
		uncount_txn(st, 0);
		return lmdb_fail(st, rc, e, "begin a %s transaction in \"%s\"",
				 kind, st->dir);
	}
	if (write) {
		pthread_mutex_lock(&st->lock);
		st->writer_open = 1;
		st->writer = pthread_self();
		pthread_mutex_unlock(&st->lock);
	}
	tls_open_txns++;
	t = xcalloc(1, sizeof(*t));
	t->st = st;
	t->txn = txn;
	t->write = write;
	t->thread = pthread_self();
	*out = t;
	return 0;
}

int state_txn_commit(struct state_txn *t, struct err *e)
{
	struct state *st = t->st;
	int write = t->write, rc;

	if (t->failed.code) {
		mdb_txn_abort(t->txn);
		rc = err_set(e, t->failed.code, "state transaction aborted: %s",
			     t->failed.msg);
		txn_end(t);
		return rc;
	}
	/* frees the LMDB handle also on failure */
	rc = mdb_txn_commit(t->txn);
	txn_end(t);
	if (rc)
		return lmdb_fail(st, rc, e, "commit a %s transaction in \"%s\"",
				 write ? "write" : "read", st->dir);
	return 0;
}

void state_txn_abort(struct state_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	txn_end(t);
}

/* ---- id map ---------------------------------------------------------- */

void state_key_i64(int64_t id, unsigned char out[8])
{
	/* flipping the sign bit turns two's complement order into
	 * unsigned order: -1 sorts before 0, 0 before 1 */
	put_be64(out, (uint64_t)id ^ UINT64_C(0x8000000000000000));
}

/* entity, NUL, key into `buf` (KEY_BUF bytes) */
static int idmap_key(struct state_txn *t, const char *entity, const void *key,
		     size_t keylen, unsigned char *buf, MDB_val *k,
		     struct err *e)
{
	size_t elen = entity ? strnlen(entity, ENTITY_MAX + 1) : 0;

	if (elen == 0 || elen > ENTITY_MAX)
		return err_set(e, FERRY_EINVAL,
			       "invalid id map entity: expected 1..%d bytes",
			       ENTITY_MAX);
	if (keylen > t->st->max_key - elen - 1 || (keylen && !key))
		return err_set(e, FERRY_EINVAL,
			       "invalid id map key for \"%s\": %zu bytes, at "
			       "most %zu", entity, keylen,
			       t->st->max_key - elen - 1);
	memcpy(buf, entity, elen);
	buf[elen] = '\0';
	if (keylen)
		memcpy(buf + elen + 1, key, keylen);
	k->mv_data = buf;
	k->mv_size = elen + 1 + keylen;
	return 0;
}

static void idval_enc(const struct state_idval *v, unsigned char *out)
{
	put_be64(out, (uint64_t)v->id);
	put_be32(out + 8, (uint32_t)v->version);
	put_be64(out + 12, v->hash);
}

static int idval_dec(const MDB_val *v, const char *entity,
		     struct state_idval *out, struct err *e)
{
	const unsigned char *p = v->mv_data;

	if (v->mv_size != IDVAL_SIZE)
		return err_set(e, FERRY_ECORRUPT,
			       "id map entry of \"%s\" is damaged: %zu bytes, "
			       "expected %d", entity, v->mv_size, IDVAL_SIZE);
	out->id = (int64_t)get_be64(p);
	out->version = (int32_t)get_be32(p + 8);
	out->hash = get_be64(p + 12);
	return 0;
}

int state_idmap_get(struct state_txn *t, const char *entity, const void *key,
		    size_t keylen, struct state_idval *out, struct err *e)
{
	unsigned char kb[KEY_BUF];
	MDB_val k, v;
	int rc;

	rc = txn_check(t, 0, e);
	if (rc == 0)
		rc = idmap_key(t, entity, key, keylen, kb, &k, e);
	if (rc)
		return rc;
	rc = mdb_get(t->txn, t->st->idmap, &k, &v);
	if (rc == MDB_NOTFOUND)
		return err_set(e, FERRY_ENOTFOUND,
			       "no id map entry for this key of \"%s\"",
			       entity);
	if (rc)
		return txn_fail(t, rc, e, "read an id map entry of \"%s\"",
				entity);
	return idval_dec(&v, entity, out, e);
}

int state_idmap_put(struct state_txn *t, const char *entity, const void *key,
		    size_t keylen, const struct state_idval *val,
		    struct err *e)
{
	unsigned char kb[KEY_BUF], vb[IDVAL_SIZE];
	MDB_val k, v = { sizeof(vb), vb };
	int rc;

	rc = txn_check(t, 1, e);
	if (rc == 0)
		rc = idmap_key(t, entity, key, keylen, kb, &k, e);
	if (rc)
		return rc;
	idval_enc(val, vb);
	rc = mdb_put(t->txn, t->st->idmap, &k, &v, 0);
	if (rc)
		return txn_fail(t, rc, e, "write an id map entry of \"%s\"",
				entity);
	return 0;
}

int state_idmap_assign(struct state_txn *t, const char *entity,
		       const void *key, size_t keylen,
		       const struct state_idval *proposed,
		       struct state_idval *actual, struct err *e)
{
	unsigned char kb[KEY_BUF], vb[IDVAL_SIZE];
	MDB_val k, v = { sizeof(vb), vb };
	struct state_idval old;
	int rc;

	rc = txn_check(t, 1, e);
	if (rc == 0)
		rc = idmap_key(t, entity, key, keylen, kb, &k, e);
	if (rc)
		return rc;
	idval_enc(proposed, vb);
	rc = mdb_put(t->txn, t->st->idmap, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		/* LMDB points `v` at the value already stored */
		rc = idval_dec(&v, entity, &old, e);
		if (rc)
			return rc;
		if (actual)
			*actual = old;
		return err_set(e, FERRY_EEXIST,
			       "id map entry of \"%s\" exists already",
			       entity);
	}
	if (rc)
		return txn_fail(t, rc, e, "assign an id map entry of \"%s\"",
				entity);
	if (actual && actual != proposed)
		*actual = *proposed;
	return 0;
}

int state_idmap_del(struct state_txn *t, const char *entity, const void *key,
		    size_t keylen, struct err *e)
{
	unsigned char kb[KEY_BUF];
	MDB_val k;
	int rc;

	rc = txn_check(t, 1, e);
	if (rc == 0)
		rc = idmap_key(t, entity, key, keylen, kb, &k, e);
	if (rc)
		return rc;
	rc = mdb_del(t->txn, t->st->idmap, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return err_set(e, FERRY_ENOTFOUND,
			       "no id map entry for this key of \"%s\"",
			       entity);
	if (rc)
		return txn_fail(t, rc, e, "delete an id map entry of \"%s\"",
				entity);
	return 0;
}

static int count_all(struct state_txn *t, MDB_dbi dbi, const char *what,
		     uint64_t *out, struct err *e)
{
	MDB_stat ms;
	int rc;

	rc = txn_check(t, 0, e);
	if (rc)
		return rc;
	rc = mdb_stat(t->txn, dbi, &ms);
	if (rc)
		return txn_fail(t, rc, e, "count %s", what);
	*out = ms.ms_entries;
	return 0;
}

int state_idmap_count(struct state_txn *t, const char *entity,
		      uint64_t *out, struct err *e)
{
	unsigned char prefix[KEY_BUF];
	MDB_cursor *c;
	MDB_val k, v;
	size_t plen;
	uint64_t n = 0;
	int rc;

	if (!entity)
		return count_all(t, t->st->idmap, "id map entries", out, e);
	rc = txn_check(t, 0, e);
	if (rc == 0)
		rc = idmap_key(t, entity, NULL, 0, prefix, &k, e);
	if (rc)
		return rc;
	plen = k.mv_size;
	/* an entity's keys are contiguous: walk from its prefix on.  This
	 * is O(entries of the entity), which suits status and tests */
	rc = mdb_cursor_open(t->txn, t->st->idmap, &c);
	if (rc)
		return txn_fail(t, rc, e, "count id map entries of \"%s\"",
				entity);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size >= plen &&
	       memcmp(k.mv_data, prefix, plen) == 0) {
		n++;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		return txn_fail(t, rc, e, "count id map entries of \"%s\"",
				entity);
	*out = n;
	return 0;
}

/* ---- projects -------------------------------------------------------- */

static int project_name(const char *name, size_t cap, MDB_val *k,
			struct err *e)
{
	size_t n = name ? strnlen(name, cap) : 0;

	if (n == 0 || n >= cap)
		return err_set(e, FERRY_EINVAL,
			       "invalid project name: expected 1..%zu bytes",
			       cap - 1);
	k->mv_data = (void *)name;
	k->mv_size = n;
	return 0;
}

/* key and value into `*out`; -1 when damaged */
static int project_dec(const MDB_val *k, const MDB_val *v,
		       struct state_project *out)
{
	unsigned rec, phase;
	uint64_t since;
	const char *pos;
	size_t poslen;
	struct rd r;

	rd_init(&r, v);
	if (k->mv_size == 0 || k->mv_size >= sizeof(out->name) ||
	    memchr(k->mv_data, '\0', k->mv_size))
		return -1;
	if (rd_u8(&r, &rec) || rec != RECORD_V1 || rd_u8(&r, &phase) ||
	    phase > STATE_PROJECT_CUTOVER || rd_be64(&r, &since) ||
	    rd_str(&r, &pos, &poslen) || poslen >= sizeof(out->position) ||
	    rd_end(&r))
		return -1;
	memset(out, 0, sizeof(*out));
	memcpy(out->name, k->mv_data, k->mv_size);
	out->phase = (enum state_project_phase)phase;
	out->since_ms = (int64_t)since;
	memcpy(out->position, pos, poslen);
	return 0;
}

static int project_corrupt(const MDB_val *k, struct err *e)
{
	int n = k->mv_size > 255 ? 255 : (int)k->mv_size;

	return err_set(e, FERRY_ECORRUPT,
		       "project record \"%.*s\" is damaged or of an unknown "
		       "version", n, (const char *)k->mv_data);
}

int state_project_get(struct state_txn *t, const char *name,
		      struct state_project *out, struct err *e)
{
	MDB_val k, v;
	int rc;

	rc = txn_check(t, 0, e);
	if (rc == 0)
		rc = project_name(name, sizeof(out->name), &k, e);
	if (rc)
		return rc;
	rc = mdb_get(t->txn, t->st->projects, &k, &v);
	if (rc == MDB_NOTFOUND)
		return err_set(e, FERRY_ENOTFOUND, "no project \"%s\"", name);
	if (rc)
		return txn_fail(t, rc, e, "read project \"%s\"", name);
	if (project_dec(&k, &v, out))
		return project_corrupt(&k, e);
	return 0;
}

int state_project_put(struct state_txn *t, const struct state_project *p,
		      struct err *e)
{
	unsigned char vb[PROJECT_VAL_MAX];
	size_t poslen = strnlen(p->position, sizeof(p->position));
	MDB_val k, v;
	int rc;

	rc = txn_check(t, 1, e);
	if (rc == 0)
		rc = project_name(p->name, sizeof(p->name), &k, e);
	if (rc)
		return rc;
	if ((unsigned)p->phase > STATE_PROJECT_CUTOVER)
		return err_set(e, FERRY_EINVAL,
			       "invalid phase %d of project \"%s\"",
			       (int)p->phase, p->name);
	if (poslen == sizeof(p->position))
		return err_set(e, FERRY_EINVAL,
			       "position of project \"%s\" is not terminated",
			       p->name);
	vb[0] = RECORD_V1;
	vb[1] = (unsigned char)p->phase;
	put_be64(vb + 2, (uint64_t)p->since_ms);
	v.mv_data = vb;
	v.mv_size = (size_t)(wr_str(vb + 10, p->position, poslen) - vb);
	rc = mdb_put(t->txn, t->st->projects, &k, &v, 0);
	if (rc)
		return txn_fail(t, rc, e, "write project \"%s\"", p->name);
	return 0;
}

int state_project_each(struct state_txn *t,
		       int (*fn)(const struct state_project *p, void *arg),
		       void *arg, struct err *e)
{
	struct state_project p;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	rc = txn_check(t, 0, e);
	if (rc)
		return rc;
	rc = mdb_cursor_open(t->txn, t->st->projects, &c);
	if (rc)
		return txn_fail(t, rc, e, "walk the projects");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		int ret;

		if (project_dec(&k, &v, &p)) {
			ret = project_corrupt(&k, e);
			mdb_cursor_close(c);
			return ret;
		}
		ret = fn(&p, arg);
		if (ret) {
			mdb_cursor_close(c);
			return ret;
		}
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return txn_fail(t, rc, e, "walk the projects");
	return 0;
}

const char *state_project_phase_name(enum state_project_phase ph)
{
	switch (ph) {
	case STATE_PROJECT_PENDING:
		return "pending";
	case STATE_PROJECT_BACKFILLING:
		return "backfilling";
	case STATE_PROJECT_STREAMING:
		return "streaming";
	case STATE_PROJECT_CUTOVER:
		return "cut over";
	}
	return "unknown";
}

/* ---- rejects --------------------------------------------------------- */

/* A decoded reject: pointers into the stored value, NUL-terminated. */
struct reject_view {
	int64_t time_ms;
	const char *s[REJECT_FIELDS];	/* table pk op row reason position */
	size_t n[REJECT_FIELDS];
};

static int reject_dec(const MDB_val *v, struct reject_view *out)
{
	unsigned rec;
	uint64_t time;
	struct rd r;

	rd_init(&r, v);
	if (rd_u8(&r, &rec) || rec != RECORD_V1 || rd_be64(&r, &time))
		return -1;
	out->time_ms = (int64_t)time;
	for (int i = 0; i < REJECT_FIELDS; i++)
		if (rd_str(&r, &out->s[i], &out->n[i]))
			return -1;
	return rd_end(&r);
}

static int reject_corrupt(uint64_t id, struct err *e)
{
	return err_set(e, FERRY_ECORRUPT,
		       "reject %" PRIu64 " is damaged or of an unknown "
		       "version", id);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static int meta_put_raw(struct state_txn *t, const char *key,
			const void *val, size_t n, struct err *e);
static int meta_get_i64_raw(struct state_txn *t, const char *key,
			    int64_t *out, struct err *e);

/*
 * The next reject id: past the last stored one and past the high-water
 * mark in meta, so an id is never handed out twice, even after the
 * newest reject was deleted.
 */
static int reject_next_id(struct state_txn *t, uint64_t *out, struct err *e)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t next = 1;
	int64_t mark;
	int rc;

	rc = mdb_cursor_open(t->txn, t->st->rejects, &c);
	if (rc)
		return txn_fail(t, rc, e, "find the last reject");
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size != 8) {
		mdb_cursor_close(c);
		return err_set(e, FERRY_ECORRUPT,
			       "reject store is damaged: a key of %zu bytes",
			       k.mv_size);
	}
	if (rc == 0)
		next = get_be64(k.mv_data) + 1;
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		return txn_fail(t, rc, e, "find the last reject");
	rc = meta_get_i64_raw(t, META_REJECT_NEXT, &mark, e);
	if (rc == 0 && mark > 0 && (uint64_t)mark > next)
		next = (uint64_t)mark;
	else if (rc && rc != FERRY_ENOTFOUND)
		return rc;
	*out = next;
	return 0;
}

int state_reject_add(struct state_txn *t, const struct state_reject *r,
		     uint64_t *id, struct err *e)
{
	const char *f[REJECT_FIELDS] = {
		or_empty(r->table), or_empty(r->pk), or_empty(r->op),
		or_empty(r->row), or_empty(r->reason), or_empty(r->position),
	};
	unsigned char kb[8], mb[9];
	size_t n[REJECT_FIELDS], total = 1 + 8;
	MDB_val k = { sizeof(kb), kb }, v;
	unsigned char *p;
	uint64_t next = 0;
	int rc;

	rc = txn_check(t, 1, e);
	if (rc)
		return rc;
	for (int i = 0; i < REJECT_FIELDS; i++) {
		n[i] = strlen(f[i]);
		if (n[i] >= UINT32_MAX || st_add(total, n[i], &total) ||
		    st_add(total, 4 + 1, &total))
			return err_set(e, FERRY_EINVAL,
				       "reject of \"%s\" is too large to "
				       "store", f[0]);
	}
	rc = reject_next_id(t, &next, e);
	if (rc)
		return rc;
	put_be64(kb, next);
	v.mv_size = total;
	/* MDB_RESERVE: encode straight into the page, no staging copy */
	rc = mdb_put(t->txn, t->st->rejects, &k, &v,
		     MDB_NOOVERWRITE | MDB_RESERVE);
	if (rc == MDB_KEYEXIST)
		return err_set(e, FERRY_ECORRUPT,
			       "reject store is damaged: id %" PRIu64
			       " is taken", next);
	if (rc)
		return txn_fail(t, rc, e, "add a reject of \"%s\"", f[0]);
	p = v.mv_data;
	p[0] = RECORD_V1;
	put_be64(p + 1, (uint64_t)r->time_ms);
	p += 9;
	for (int i = 0; i < REJECT_FIELDS; i++)
		p = wr_str(p, f[i], n[i]);
	meta_enc_i64((int64_t)(next + 1), mb);
	rc = meta_put_raw(t, META_REJECT_NEXT, mb, sizeof(mb), e);
	if (rc)
		return rc;
	*id = next;
	return 0;
}

int state_reject_get(struct state_txn *t, uint64_t id,
		     struct state_reject *out, struct err *e)
{
	unsigned char kb[8];
	MDB_val k = { sizeof(kb), kb }, v;
	struct reject_view rv;
	char **dst[REJECT_FIELDS] = {
		&out->table, &out->pk, &out->op, &out->row, &out->reason,
		&out->position,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = txn_check(t, 0, e);
	if (rc)
		return rc;
	put_be64(kb, id);
	rc = mdb_get(t->txn, t->st->rejects, &k, &v);
	if (rc == MDB_NOTFOUND)
		return err_set(e, FERRY_ENOTFOUND, "no reject %" PRIu64, id);
	if (rc)
		return txn_fail(t, rc, e, "read reject %" PRIu64, id);
	if (reject_dec(&v, &rv))
		return reject_corrupt(id, e);
	out->id = id;
	out->time_ms = rv.time_ms;
	for (int i = 0; i < REJECT_FIELDS; i++)
		*dst[i] = xstrndup(rv.s[i], rv.n[i]);
	return 0;
}

int state_reject_del(struct state_txn *t, uint64_t id, struct err *e)
{
	unsigned char kb[8];
	MDB_val k = { sizeof(kb), kb };
	int rc;

	rc = txn_check(t, 1, e);
	if (rc)
		return rc;
	put_be64(kb, id);
	rc = mdb_del(t->txn, t->st->rejects, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return err_set(e, FERRY_ENOTFOUND, "no reject %" PRIu64, id);
	if (rc)
		return txn_fail(t, rc, e, "delete reject %" PRIu64, id);
	return 0;
}

int state_reject_count(struct state_txn *t, uint64_t *out, struct err *e)
{
	return count_all(t, t->st->rejects, "rejects", out, e);
}

int state_reject_each(struct state_txn *t,
		      int (*fn)(const struct state_reject *r, void *arg),
		      void *arg, struct err *e)
{
	struct reject_view rv;
	struct state_reject r;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	rc = txn_check(t, 0, e);
	if (rc)
		return rc;
	rc = mdb_cursor_open(t->txn, t->st->rejects, &c);
	if (rc)
		return txn_fail(t, rc, e, "walk the rejects");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint64_t id = k.mv_size == 8 ? get_be64(k.mv_data) : 0;
		int ret;

		if (k.mv_size != 8 || reject_dec(&v, &rv)) {
			mdb_cursor_close(c);
			return reject_corrupt(id, e);
		}
		/* borrowed from the (read-only) map for this call only */
		r.id = id;
		r.time_ms = rv.time_ms;
		r.table = (char *)rv.s[0];
		r.pk = (char *)rv.s[1];
		r.op = (char *)rv.s[2];
		r.row = (char *)rv.s[3];
		r.reason = (char *)rv.s[4];
		r.position = (char *)rv.s[5];
		ret = fn(&r, arg);
		if (ret) {
			mdb_cursor_close(c);
			return ret;
		}
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return txn_fail(t, rc, e, "walk the rejects");
	return 0;
}

void state_reject_release(struct state_reject *r)
{
	if (!r)
		return;
	free(r->table);
	free(r->pk);
	free(r->op);
	free(r->row);
	free(r->reason);
	free(r->position);
	r->table = r->pk = r->op = r->row = r->reason = r->position = NULL;
}

/* ---- meta ------------------------------------------------------------ */

static int meta_reserved(const char *key, struct err *e)
{
	static const char *const reserved[] = {
		META_FORMAT, META_REJECT_NEXT, META_POSITION,
	};

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(key, reserved[i]) == 0)
			return err_set(e, FERRY_EINVAL,
				       "meta key \"%s\" is reserved for the "
				       "state store itself", key);
	return 0;
}

static int meta_put_raw(struct state_txn *t, const char *key,
			const void *val, size_t n, struct err *e)
{
	MDB_val k, v;
	int rc;

	rc = txn_check(t, 1, e);
	if (rc == 0)
		rc = meta_key(key, &k, e);
	if (rc)
		return rc;
	v.mv_size = n;
	rc = mdb_put(t->txn, t->st->meta, &k, &v, MDB_RESERVE);
	if (rc)
		return txn_fail(t, rc, e, "write meta \"%s\"", key);
	memcpy(v.mv_data, val, n);
	return 0;
}

/* the raw value of `key`: borrowed, valid until the next change */
static int meta_get_raw(struct state_txn *t, const char *key, MDB_val *v,
			struct err *e)
{
	MDB_val k;
	int rc;

	rc = txn_check(t, 0, e);
	if (rc == 0)
		rc = meta_key(key, &k, e);
	if (rc)
		return rc;
	rc = mdb_get(t->txn, t->st->meta, &k, v);
	if (rc == MDB_NOTFOUND)
		return err_set(e, FERRY_ENOTFOUND, "no meta value \"%s\"",
			       key);
	if (rc)
		return txn_fail(t, rc, e, "read meta \"%s\"", key);
	return 0;
}

static int meta_get_i64_raw(struct state_txn *t, const char *key,
			    int64_t *out, struct err *e)
{
	MDB_val v;
	int rc;

	rc = meta_get_raw(t, key, &v, e);
	if (rc)
		return rc;
	rc = meta_dec_i64(&v, out);
	if (rc == FERRY_EINVAL)
		return err_set(e, rc, "meta value \"%s\" is text, not an "
			       "integer", key);
	if (rc)
		return err_set(e, rc, "meta value \"%s\" is damaged", key);
	return 0;
}

static int meta_get_str_raw(struct state_txn *t, const char *key,
			    char *out, size_t n, struct err *e)
{
	const unsigned char *p;
	MDB_val v;
	size_t len;
	int rc;

	rc = meta_get_raw(t, key, &v, e);
	if (rc)
		return rc;
	p = v.mv_data;
	if (v.mv_size >= 1 && p[0] == 'i')
		return err_set(e, FERRY_EINVAL, "meta value \"%s\" is an "
			       "integer, not text", key);
	if (v.mv_size < 1 || p[0] != 's' ||
	    memchr(p + 1, '\0', v.mv_size - 1))
		return err_set(e, FERRY_ECORRUPT, "meta value \"%s\" is "
			       "damaged", key);
	len = v.mv_size - 1;
	if (len >= n)
		return err_set(e, FERRY_EFULL, "meta value \"%s\" needs %zu "
			       "bytes, the buffer has %zu", key, len + 1, n);
	memcpy(out, p + 1, len);
	out[len] = '\0';
	return 0;
}

static int meta_put_str_raw(struct state_txn *t, const char *key,
			    const char *s, struct err *e)
{
	size_t n = strlen(s);
	unsigned char *buf;
	int rc;

	/* 's' + text; meta values are small, one short copy is fine */
	buf = xmalloc(n + 1);
	buf[0] = 's';
	memcpy(buf + 1, s, n);
	rc = meta_put_raw(t, key, buf, n + 1, e);
	free(buf);
	return rc;
}

int state_meta_get_i64(struct state_txn *t, const char *key, int64_t *out,
		       struct err *e)
{
	return meta_get_i64_raw(t, key, out, e);
}

int state_meta_put_i64(struct state_txn *t, const char *key, int64_t v,
		       struct err *e)
{
	unsigned char vb[9];
	int rc;

	rc = key ? meta_reserved(key, e) : 0;
	if (rc)
		return rc;
	meta_enc_i64(v, vb);
	return meta_put_raw(t, key, vb, sizeof(vb), e);
}

int state_meta_get_str(struct state_txn *t, const char *key, char *out,
		       size_t n, struct err *e)
{
	return meta_get_str_raw(t, key, out, n, e);
}

int state_meta_put_str(struct state_txn *t, const char *key, const char *v,
		       struct err *e)
{
	int rc;

	rc = key ? meta_reserved(key, e) : 0;
	if (rc)
		return rc;
	return meta_put_str_raw(t, key, v, e);
}

int state_position_get(struct state_txn *t, struct ferry_pos *out,
		       struct err *e)
{
	char text[POS_TEXT_MAX];
	struct err pe;
	int rc;

	rc = meta_get_str_raw(t, META_POSITION, text, sizeof(text), e);
	if (rc == FERRY_EFULL || rc == FERRY_EINVAL)
		return err_set(e, FERRY_ECORRUPT,
			       "stored source position is damaged");
	if (rc)
		return rc;
	if (pos_parse(text, out, &pe))
		return err_set(e, FERRY_ECORRUPT,
			       "stored source position is damaged: %s",
			       pe.msg);
	return 0;
}

int state_position_put(struct state_txn *t, const struct ferry_pos *p,
		       struct err *e)
{
	char text[POS_TEXT_MAX];

	return meta_put_str_raw(t, META_POSITION,
				pos_format(p, text, sizeof(text)), e);
}

/* ---- blobs ------------------------------------------------------------ */

int state_blob_get(struct state_txn *t, const char *ns, const void *key,
		   size_t keylen, void **out, size_t *outlen, struct err *e)
{
	unsigned char kb[KEY_BUF];
	MDB_val k, v;
	int rc;

	rc = txn_check(t, 0, e);
	if (rc == 0)
		rc = idmap_key(t, ns, key, keylen, kb, &k, e);
	if (rc)
		return rc;
	rc = mdb_get(t->txn, t->st->blobs, &k, &v);
	if (rc == MDB_NOTFOUND)
		return err_set(e, FERRY_ENOTFOUND, "no blob for this key of "
			       "\"%s\"", ns);
	if (rc)
		return txn_fail(t, rc, e, "read a blob of \"%s\"", ns);
	/* LMDB's pointer dies with the transaction: hand out a copy */
	*out = xmalloc(v.mv_size + 1);
	memcpy(*out, v.mv_data, v.mv_size);
	((char *)*out)[v.mv_size] = '\0';
	*outlen = v.mv_size;
	return 0;
}

int state_blob_put(struct state_txn *t, const char *ns, const void *key,
		   size_t keylen, const void *val, size_t len, struct err *e)
{
	unsigned char kb[KEY_BUF];
	MDB_val k, v = { len, (void *)val };
	int rc;

	if (len > BLOB_MAX)
		return err_set(e, FERRY_EINVAL, "blob of \"%s\" too large: "
			       "%zu bytes, at most %zu", ns, len, BLOB_MAX);
	rc = txn_check(t, 1, e);
	if (rc == 0)
		rc = idmap_key(t, ns, key, keylen, kb, &k, e);
	if (rc)
		return rc;
	rc = mdb_put(t->txn, t->st->blobs, &k, &v, 0);
	if (rc)
		return txn_fail(t, rc, e, "write a blob of \"%s\"", ns);
	return 0;
}

int state_blob_del(struct state_txn *t, const char *ns, const void *key,
		   size_t keylen, struct err *e)
{
	unsigned char kb[KEY_BUF];
	MDB_val k;
	int rc;

	rc = txn_check(t, 1, e);
	if (rc == 0)
		rc = idmap_key(t, ns, key, keylen, kb, &k, e);
	if (rc)
		return rc;
	rc = mdb_del(t->txn, t->st->blobs, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return err_set(e, FERRY_ENOTFOUND, "no blob for this key of "
			       "\"%s\"", ns);
	if (rc)
		return txn_fail(t, rc, e, "delete a blob of \"%s\"", ns);
	return 0;
}

int state_blob_each(struct state_txn *t, const char *ns,
		    int (*fn)(const void *key, size_t keylen, const void *val,
			      size_t len, void *arg),
		    void *arg, struct err *e)
{
	unsigned char kb[KEY_BUF];
	MDB_cursor *c;
	MDB_val k, v, start;
	size_t plen;
	int rc, ret = 0;

	rc = txn_check(t, 0, e);
	if (rc == 0)
		rc = idmap_key(t, ns, NULL, 0, kb, &start, e);
	if (rc)
		return rc;
	plen = start.mv_size;
	rc = mdb_cursor_open(t->txn, t->st->blobs, &c);
	if (rc)
		return txn_fail(t, rc, e, "walk the blobs of \"%s\"", ns);
	k = start;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, kb, plen) != 0)
			break;
		ret = fn((const char *)k.mv_data + plen, k.mv_size - plen,
			 v.mv_data, v.mv_size, arg);
		if (ret)
			break;
	}
	mdb_cursor_close(c);
	if (ret)
		return ret;
	if (rc && rc != MDB_NOTFOUND)
		return txn_fail(t, rc, e, "walk the blobs of \"%s\"", ns);
	return 0;
}
