/*
 * test_state.c - the state store: id map, projects, rejects, meta,
 * transactions, map growth and limits, damaged files, and kill -9 in the
 * middle of writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/mem.h"
#include "ferry/pos.h"
#include "ferry/state.h"
#include "harness.h"
#include "helpers/state_writer.h"

#define MIB ((size_t)1 << 20)

/* ---- setup ----------------------------------------------------------- */

static const char *store_dir(void)
{
	static char dir[4096];

	snprintf(dir, sizeof(dir), "%s/state", harness_tmpdir());
	return dir;
}

static struct state *open_opts(size_t map, size_t max)
{
	struct state_options o = { map, max };
	struct state *st;
	struct err e;

	CHECK_OK(state_open(store_dir(), &o, &st, &e), e);
	return st;
}

static struct state *open_default(void)
{
	return open_opts(0, 0);
}

static struct state_txn *begin(struct state *st, enum state_txn_flags fl)
{
	struct state_txn *t;
	struct err e;

	CHECK_OK(state_txn_begin(st, fl, &t, &e), e);
	return t;
}

static void commit(struct state_txn *t)
{
	struct err e;

	CHECK_OK(state_txn_commit(t, &e), e);
}

static void put_i64(struct state_txn *t, const char *ent, int64_t key,
		    int64_t id, int32_t version, uint64_t hash)
{
	struct state_idval v = { id, version, hash };
	unsigned char k[8];
	struct err e;

	state_key_i64(key, k);
	CHECK_OK(state_idmap_put(t, ent, k, sizeof(k), &v, &e), e);
}

static int get_i64(struct state_txn *t, const char *ent, int64_t key,
		   struct state_idval *v)
{
	unsigned char k[8];
	struct err e;

	state_key_i64(key, k);
	return state_idmap_get(t, ent, k, sizeof(k), v, &e);
}

static uint64_t count(struct state_txn *t, const char *ent)
{
	uint64_t n = 0;
	struct err e;

	CHECK_OK(state_idmap_count(t, ent, &n, &e), e);
	return n;
}

/* Replace every occurrence of `from` by `to` (same length) in `path`;
 * returns how many.  Lets a test damage a store the way a disk would,
 * without knowing LMDB's page layout. */
static int patch_file(const char *path, const void *from, const void *to,
		      size_t n)
{
	struct stat sb;
	unsigned char *buf;
	int fd, hits = 0;

	fd = open(path, O_RDWR);
	CHECK_MSG(fd >= 0, "open %s: %s", path, strerror(errno));
	CHECK(fstat(fd, &sb) == 0);
	buf = xmalloc((size_t)sb.st_size);
	CHECK(pread(fd, buf, (size_t)sb.st_size, 0) == sb.st_size);
	for (size_t i = 0; i + n <= (size_t)sb.st_size; i++) {
		if (memcmp(buf + i, from, n) == 0) {
			CHECK(pwrite(fd, to, n, (off_t)i) == (ssize_t)n);
			hits++;
		}
	}
	free(buf);
	close(fd);
	return hits;
}

static void data_path(char *out, size_t n)
{
	snprintf(out, n, "%s/data.mdb", store_dir());
}

/* ---- id map ---------------------------------------------------------- */

TEST(idmap_put_get_overwrite)
{
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	struct state_idval v;

	put_i64(t, "project", 7, 123456789012345, 0, 0);
	put_i64(t, "process_definition", 7, 999, 3, 0xdeadbeefcafef00d);
	CHECK_INT_EQ(get_i64(t, "project", 7, &v), 0);
	CHECK_INT_EQ(v.id, 123456789012345);
	CHECK_INT_EQ(get_i64(t, "process_definition", 7, &v), 0);
	CHECK_INT_EQ(v.id, 999);
	CHECK_INT_EQ(v.version, 3);
	CHECK_U64_EQ(v.hash, 0xdeadbeefcafef00d);
	/* put overwrites */
	put_i64(t, "project", 7, -5, -1, UINT64_MAX);
	CHECK_INT_EQ(get_i64(t, "project", 7, &v), 0);
	CHECK_INT_EQ(v.id, -5);
	CHECK_INT_EQ(v.version, -1);
	CHECK_U64_EQ(v.hash, UINT64_MAX);
	CHECK_INT_EQ(get_i64(t, "project", 8, &v), FERRY_ENOTFOUND);
	commit(t);

	/* visible to a later read transaction */
	t = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(get_i64(t, "project", 7, &v), 0);
	CHECK_INT_EQ(v.id, -5);
	state_txn_abort(t);
	state_close(st);
}

TEST(idmap_assign_keeps_the_first_value)
{
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	struct state_idval p = { 111, 1, 11 }, a = { 0, 0, 0 };
	unsigned char k[8];
	struct err e;

	state_key_i64(42, k);
	CHECK_OK(state_idmap_assign(t, "task", k, 8, &p, &a, &e), e);
	CHECK_INT_EQ(a.id, 111);
	/* a second proposal loses and learns the stored value */
	p.id = 222;
	p.version = 2;
	CHECK_INT_EQ(state_idmap_assign(t, "task", k, 8, &p, &a, &e),
		     FERRY_EEXIST);
	CHECK_INT_EQ(a.id, 111);
	CHECK_INT_EQ(a.version, 1);
	CHECK_U64_EQ(a.hash, 11);
	/* `actual` may be `proposed` */
	CHECK_INT_EQ(state_idmap_assign(t, "task", k, 8, &p, &p, &e),
		     FERRY_EEXIST);
	CHECK_INT_EQ(p.id, 111);
	/* EEXIST does not spoil the transaction */
	commit(t);

	t = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(get_i64(t, "task", 42, &a), 0);
	CHECK_INT_EQ(a.id, 111);
	state_txn_abort(t);
	state_close(st);
}

TEST(idmap_entities_are_isolated)
{
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	struct state_idval v;
	struct err e;

	/* "task" is a prefix of "task2" and "tas" of "task": the NUL after
	 * the entity keeps them apart */
	for (int i = 0; i < 10; i++)
		put_i64(t, "task", i, 100 + i, 0, 0);
	for (int i = 0; i < 5; i++)
		put_i64(t, "task2", i, 200 + i, 0, 0);
	put_i64(t, "tas", 1, 300, 0, 0);
	CHECK_OK(state_idmap_put(t, "x", "", 0, &(struct state_idval){ 9, 0,
				 0 }, &e), e);
	CHECK_INT_EQ(count(t, "task"), 10);
	CHECK_INT_EQ(count(t, "task2"), 5);
	CHECK_INT_EQ(count(t, "tas"), 1);
	CHECK_INT_EQ(count(t, "x"), 1);
	CHECK_INT_EQ(count(t, "ta"), 0);
	CHECK_INT_EQ(count(t, "zzz"), 0);
	CHECK_INT_EQ(count(t, NULL), 17);
	CHECK_INT_EQ(get_i64(t, "task", 3, &v), 0);
	CHECK_INT_EQ(v.id, 103);
	CHECK_INT_EQ(get_i64(t, "task2", 3, &v), 0);
	CHECK_INT_EQ(v.id, 203);
	CHECK_INT_EQ(get_i64(t, "tas", 3, &v), FERRY_ENOTFOUND);
	CHECK_INT_EQ(get_i64(t, "task2", 7, &v), FERRY_ENOTFOUND);
	CHECK_OK(state_idmap_get(t, "x", NULL, 0, &v, &e), e);
	CHECK_INT_EQ(v.id, 9);
	commit(t);
	state_close(st);
}

TEST(idmap_del_and_count)
{
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	struct state_idval v;
	unsigned char k[8];
	struct err e;

	for (int i = 0; i < 100; i++)
		put_i64(t, "project", i, i, 0, 0);
	commit(t);
	t = begin(st, STATE_TXN_WRITE);
	for (int i = 0; i < 100; i += 2) {
		state_key_i64(i, k);
		CHECK_OK(state_idmap_del(t, "project", k, 8, &e), e);
	}
	state_key_i64(0, k);
	CHECK_INT_EQ(state_idmap_del(t, "project", k, 8, &e),
		     FERRY_ENOTFOUND);
	CHECK_INT_EQ(count(t, "project"), 50);
	commit(t);
	t = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(count(t, "project"), 50);
	CHECK_INT_EQ(get_i64(t, "project", 2, &v), FERRY_ENOTFOUND);
	CHECK_INT_EQ(get_i64(t, "project", 3, &v), 0);
	state_txn_abort(t);
	state_close(st);
}

TEST(idmap_i64_keys_sort_numerically)
{
	static const int64_t ids[] = {
		INT64_MIN, -4294967296, -256, -1, 0, 1, 255, 256, 65536,
		4294967296, INT64_MAX,
	};
	unsigned char a[8], b[8];

	for (size_t i = 0; i + 1 < sizeof(ids) / sizeof(ids[0]); i++) {
		state_key_i64(ids[i], a);
		state_key_i64(ids[i + 1], b);
		CHECK_MSG(memcmp(a, b, 8) < 0, "key(%" PRId64 ") >= key(%"
			  PRId64 ")", ids[i], ids[i + 1]);
	}
	/* big-endian: the low byte is last */
	state_key_i64(1, a);
	CHECK_INT_EQ(a[0], 0x80);
	CHECK_INT_EQ(a[7], 0x01);
}

TEST(idmap_rejects_bad_entities_and_keys)
{
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	struct state_idval v = { 1, 0, 0 };
	char ent[80];
	unsigned char big[600];
	struct err e;

	memset(ent, 'e', sizeof(ent));
	ent[64] = '\0';
	memset(big, 7, sizeof(big));
	CHECK_INT_EQ(state_idmap_put(t, "", "k", 1, &v, &e), FERRY_EINVAL);
	CHECK_INT_EQ(state_idmap_put(t, ent, "k", 1, &v, &e), FERRY_EINVAL);
	ent[63] = '\0';
	CHECK_OK(state_idmap_put(t, ent, "k", 1, &v, &e), e);
	CHECK_INT_EQ(state_idmap_put(t, "task", big, sizeof(big), &v, &e),
		     FERRY_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "invalid id map key");
	/* argument errors leave the transaction usable */
	commit(t);
	state_close(st);
}

/* ---- projects -------------------------------------------------------- */

struct walk {
	char names[8][256];
	int n, stop_at;
};

static int collect_project(const struct state_project *p, void *arg)
{
	struct walk *w = arg;

	snprintf(w->names[w->n], sizeof(w->names[0]), "%s", p->name);
	w->n++;
	return w->n == w->stop_at ? 77 : 0;
}

TEST(projects_put_get_each)
{
	static const char *const names[] = { "zeta", "alpha", "mid", "42" };
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	struct state_project p, q;
	struct walk w = { .n = 0 };
	struct err e;

	for (int i = 0; i < 4; i++) {
		memset(&p, 0, sizeof(p));
		snprintf(p.name, sizeof(p.name), "%s", names[i]);
		p.phase = (enum state_project_phase)i;
		p.since_ms = 1700000000000 + i;
		snprintf(p.position, sizeof(p.position),
			 "mysql:bin.00000%d:4;gtid=0-1-%d", i, i);
		CHECK_OK(state_project_put(t, &p, &e), e);
	}
	/* update one in place */
	CHECK_OK(state_project_get(t, "mid", &q, &e), e);
	CHECK_INT_EQ(q.phase, STATE_PROJECT_STREAMING);
	q.phase = STATE_PROJECT_CUTOVER;
	CHECK_OK(state_project_put(t, &q, &e), e);
	commit(t);

	t = begin(st, STATE_TXN_READ);
	CHECK_OK(state_project_get(t, "mid", &q, &e), e);
	CHECK_STR_EQ(q.name, "mid");
	CHECK_INT_EQ(q.phase, STATE_PROJECT_CUTOVER);
	CHECK_INT_EQ(q.since_ms, 1700000000002);
	CHECK_STR_EQ(q.position, "mysql:bin.000002:4;gtid=0-1-2");
	CHECK_INT_EQ(state_project_get(t, "nope", &q, &e), FERRY_ENOTFOUND);
	CHECK_OK(state_project_each(t, collect_project, &w, &e), e);
	CHECK_INT_EQ(w.n, 4);
	CHECK_STR_EQ(w.names[0], "42");
	CHECK_STR_EQ(w.names[1], "alpha");
	CHECK_STR_EQ(w.names[2], "mid");
	CHECK_STR_EQ(w.names[3], "zeta");
	/* a non-zero return stops the walk and comes back */
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	CHECK_INT_EQ(state_project_each(t, collect_project, &w, &e), 77);
	CHECK_INT_EQ(w.n, 2);
	state_txn_abort(t);
	CHECK_STR_EQ(state_project_phase_name(STATE_PROJECT_BACKFILLING),
		     "backfilling");
	state_close(st);
}

TEST(projects_refuse_bad_input)
{
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	struct state_project p;
	struct err e;

	memset(&p, 0, sizeof(p));
	CHECK_INT_EQ(state_project_put(t, &p, &e), FERRY_EINVAL);
	snprintf(p.name, sizeof(p.name), "p");
	p.phase = (enum state_project_phase)9;
	CHECK_INT_EQ(state_project_put(t, &p, &e), FERRY_EINVAL);
	memset(p.name, 'n', sizeof(p.name));
	p.phase = STATE_PROJECT_PENDING;
	CHECK_INT_EQ(state_project_put(t, &p, &e), FERRY_EINVAL);
	state_txn_abort(t);
	state_close(st);
}

/* ---- rejects --------------------------------------------------------- */

struct reject_walk {
	uint64_t ids[16];
	size_t rowlen[16];
	int n;
};

static int collect_reject(const struct state_reject *r, void *arg)
{
	struct reject_walk *w = arg;

	w->ids[w->n] = r->id;
	w->rowlen[w->n] = strlen(r->row);
	w->n++;
	return 0;
}

TEST(rejects_add_get_each_del_count)
{
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	size_t biglen = 300 * 1024;
	char *big = xmalloc(biglen + 1);
	char binary[256];
	struct state_reject r, got;
	struct reject_walk w = { .n = 0 };
	uint64_t id, n;
	struct err e;

	/* every byte value but NUL, and JSON-ish escapes */
	for (int i = 1; i < 256; i++)
		binary[i - 1] = (char)i;
	binary[255] = '\0';
	for (size_t i = 0; i < biglen; i++)
		big[i] = (char)('a' + i % 26);
	big[biglen] = '\0';

	memset(&r, 0, sizeof(r));
	r.time_ms = 1700000000123;
	r.table = "public.t_ds_process_definition";
	r.pk = "id=5";
	r.op = "insert";
	r.row = big;
	r.reason = "task \"x\" refers to unknown datasource 9";
	r.position = "pg:16/B374D848";
	CHECK_OK(state_reject_add(t, &r, &id, &e), e);
	CHECK_U64_EQ(id, 1);
	r.row = binary;
	r.reason = "{\"k\":\"\\u0000\"}\t\n\r";
	r.position = NULL;	/* NULL is stored as "" */
	CHECK_OK(state_reject_add(t, &r, &id, &e), e);
	CHECK_U64_EQ(id, 2);
	r.row = "{}";
	CHECK_OK(state_reject_add(t, &r, &id, &e), e);
	CHECK_U64_EQ(id, 3);
	commit(t);

	t = begin(st, STATE_TXN_READ);
	CHECK_OK(state_reject_get(t, 1, &got, &e), e);
	CHECK_U64_EQ(got.id, 1);
	CHECK_INT_EQ(got.time_ms, 1700000000123);
	CHECK_STR_EQ(got.table, "public.t_ds_process_definition");
	CHECK_STR_EQ(got.pk, "id=5");
	CHECK_STR_EQ(got.op, "insert");
	CHECK_INT_EQ(strlen(got.row), biglen);
	CHECK(strcmp(got.row, big) == 0);
	CHECK_STR_EQ(got.reason, "task \"x\" refers to unknown datasource 9");
	CHECK_STR_EQ(got.position, "pg:16/B374D848");
	state_reject_release(&got);
	CHECK(got.row == NULL);
	CHECK_OK(state_reject_get(t, 2, &got, &e), e);
	CHECK(memcmp(got.row, binary, 256) == 0);
	CHECK_STR_EQ(got.reason, "{\"k\":\"\\u0000\"}\t\n\r");
	CHECK_STR_EQ(got.position, "");
	state_reject_release(&got);
	CHECK_INT_EQ(state_reject_get(t, 4, &got, &e), FERRY_ENOTFOUND);
	CHECK_OK(state_reject_count(t, &n, &e), e);
	CHECK_U64_EQ(n, 3);
	CHECK_OK(state_reject_each(t, collect_reject, &w, &e), e);
	CHECK_INT_EQ(w.n, 3);
	CHECK_U64_EQ(w.ids[0], 1);
	CHECK_U64_EQ(w.ids[2], 3);
	CHECK_INT_EQ(w.rowlen[0], biglen);
	CHECK_INT_EQ(w.rowlen[1], 255);
	state_txn_abort(t);

	/* ids are never handed out twice, not even the newest one's */
	t = begin(st, STATE_TXN_WRITE);
	CHECK_OK(state_reject_del(t, 3, &e), e);
	CHECK_OK(state_reject_del(t, 1, &e), e);
	CHECK_INT_EQ(state_reject_del(t, 3, &e), FERRY_ENOTFOUND);
	CHECK_OK(state_reject_add(t, &r, &id, &e), e);
	CHECK_U64_EQ(id, 4);
	CHECK_OK(state_reject_count(t, &n, &e), e);
	CHECK_U64_EQ(n, 2);
	commit(t);
	free(big);
	state_close(st);
}

/* ---- meta and position ----------------------------------------------- */

TEST(meta_i64_and_str)
{
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	char small[4], buf[64];
	int64_t v;
	struct err e;

	CHECK_INT_EQ(state_meta_get_i64(t, "codes.last_ms", &v, &e),
		     FERRY_ENOTFOUND);
	CHECK_OK(state_meta_put_i64(t, "codes.last_ms", INT64_MIN, &e), e);
	CHECK_OK(state_meta_get_i64(t, "codes.last_ms", &v, &e), e);
	CHECK_INT_EQ(v, INT64_MIN);
	CHECK_OK(state_meta_put_i64(t, "codes.last_ms", 1700000000000, &e),
		 e);
	CHECK_OK(state_meta_put_str(t, "mapping.sha256", "abcdef", &e), e);
	CHECK_OK(state_meta_get_str(t, "mapping.sha256", buf, sizeof(buf),
				    &e), e);
	CHECK_STR_EQ(buf, "abcdef");
	CHECK_OK(state_meta_put_str(t, "empty", "", &e), e);
	CHECK_OK(state_meta_get_str(t, "empty", buf, sizeof(buf), &e), e);
	CHECK_STR_EQ(buf, "");
	/* too small a buffer, wrong type, reserved or bad keys */
	CHECK_INT_EQ(state_meta_get_str(t, "mapping.sha256", small,
					sizeof(small), &e), FERRY_EFULL);
	CHECK_INT_EQ(state_meta_get_str(t, "codes.last_ms", buf, sizeof(buf),
					&e), FERRY_EINVAL);
	CHECK_INT_EQ(state_meta_get_i64(t, "mapping.sha256", &v, &e),
		     FERRY_EINVAL);
	CHECK_INT_EQ(state_meta_put_i64(t, "format", 2, &e), FERRY_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "reserved");
	CHECK_INT_EQ(state_meta_put_str(t, "source.position", "x", &e),
		     FERRY_EINVAL);
	CHECK_INT_EQ(state_meta_put_i64(t, "", 1, &e), FERRY_EINVAL);
	/* the format marker is readable */
	CHECK_OK(state_meta_get_i64(t, "format", &v, &e), e);
	CHECK_INT_EQ(v, 1);
	commit(t);

	t = begin(st, STATE_TXN_READ);
	CHECK_OK(state_meta_get_i64(t, "codes.last_ms", &v, &e), e);
	CHECK_INT_EQ(v, 1700000000000);
	state_txn_abort(t);
	state_close(st);
}

TEST(position_round_trip)
{
	static const char *const texts[] = {
		"pg:16/B374D848",
		"mysql:mysql-bin.000003:4711;gtid=0-1-42,1-2-7",
		"none",
	};
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_READ);
	struct ferry_pos p, q;
	char a[POS_TEXT_MAX], b[POS_TEXT_MAX];
	struct err e;

	CHECK_INT_EQ(state_position_get(t, &q, &e), FERRY_ENOTFOUND);
	state_txn_abort(t);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		CHECK_OK(pos_parse(texts[i], &p, &e), e);
		t = begin(st, STATE_TXN_WRITE);
		CHECK_OK(state_position_put(t, &p, &e), e);
		commit(t);
		t = begin(st, STATE_TXN_READ);
		CHECK_OK(state_position_get(t, &q, &e), e);
		state_txn_abort(t);
		CHECK_INT_EQ(pos_cmp(&p, &q), 0);
		CHECK_STR_EQ(pos_format(&q, b, sizeof(b)),
			     pos_format(&p, a, sizeof(a)));
	}
	state_close(st);
}

/* ---- transactions ---------------------------------------------------- */

TEST(reopen_preserves_everything)
{
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	struct state_project p;
	struct state_reject r;
	struct state_idval v;
	struct ferry_pos pos;
	uint64_t id, n;
	int64_t m;
	char buf[32];
	struct err e;

	for (int i = -50; i < 50; i++)
		put_i64(t, "task", i, i * 1000, i, (uint64_t)i);
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "canary");
	p.phase = STATE_PROJECT_BACKFILLING;
	p.since_ms = 5;
	CHECK_OK(state_project_put(t, &p, &e), e);
	memset(&r, 0, sizeof(r));
	r.table = "t";
	r.row = "{\"a\":1}";
	CHECK_OK(state_reject_add(t, &r, &id, &e), e);
	CHECK_OK(state_meta_put_i64(t, "codes.last_ms", 77, &e), e);
	CHECK_OK(state_meta_put_str(t, "mapping.sha256", "f00d", &e), e);
	CHECK_OK(pos_parse("pg:1/2", &pos, &e), e);
	CHECK_OK(state_position_put(t, &pos, &e), e);
	commit(t);
	/* an aborted transaction leaves nothing behind */
	t = begin(st, STATE_TXN_WRITE);
	put_i64(t, "task", 1000, 1, 0, 0);
	state_txn_abort(t);
	state_close(st);

	st = open_opts(2 * MIB, 8 * MIB);
	t = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(count(t, "task"), 100);
	CHECK_INT_EQ(count(t, NULL), 100);
	for (int i = -50; i < 50; i++) {
		CHECK_INT_EQ(get_i64(t, "task", i, &v), 0);
		CHECK_INT_EQ(v.id, i * 1000);
		CHECK_INT_EQ(v.version, i);
		CHECK_U64_EQ(v.hash, (uint64_t)i);
	}
	CHECK_INT_EQ(get_i64(t, "task", 1000, &v), FERRY_ENOTFOUND);
	CHECK_OK(state_project_get(t, "canary", &p, &e), e);
	CHECK_INT_EQ(p.phase, STATE_PROJECT_BACKFILLING);
	CHECK_OK(state_reject_get(t, id, &r, &e), e);
	CHECK_STR_EQ(r.row, "{\"a\":1}");
	state_reject_release(&r);
	CHECK_OK(state_reject_count(t, &n, &e), e);
	CHECK_U64_EQ(n, 1);
	CHECK_OK(state_meta_get_i64(t, "codes.last_ms", &m, &e), e);
	CHECK_INT_EQ(m, 77);
	CHECK_OK(state_meta_get_str(t, "mapping.sha256", buf, sizeof(buf),
				    &e), e);
	CHECK_STR_EQ(buf, "f00d");
	CHECK_OK(state_position_get(t, &pos, &e), e);
	CHECK_U64_EQ(pos.lsn, (UINT64_C(1) << 32) | 2);
	state_txn_abort(t);
	state_close(st);
}

struct reader_arg {
	struct state *st;
	int64_t seen;
	int rc;
};

static void *reader_thread(void *p)
{
	struct reader_arg *a = p;
	struct state_txn *t;
	struct state_idval v;
	struct err e;

	a->rc = state_txn_begin(a->st, STATE_TXN_READ, &t, &e);
	if (a->rc)
		return NULL;
	a->rc = get_i64(t, "project", 1, &v);
	a->seen = v.id;
	state_txn_abort(t);
	return NULL;
}

TEST(read_txn_beside_write_txn)
{
	struct state *st = open_default();
	struct state_txn *w, *r, *r2;
	struct reader_arg ra = { st, 0, -1 };
	struct state_idval v;
	pthread_t th;
	struct err e;

	w = begin(st, STATE_TXN_WRITE);
	put_i64(w, "project", 1, 10, 0, 0);
	commit(w);

	w = begin(st, STATE_TXN_WRITE);
	put_i64(w, "project", 1, 20, 0, 0);
	put_i64(w, "project", 2, 30, 0, 0);
	/* same thread, beside the open write: sees the last commit */
	r = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(get_i64(r, "project", 1, &v), 0);
	CHECK_INT_EQ(v.id, 10);
	CHECK_INT_EQ(get_i64(r, "project", 2, &v), FERRY_ENOTFOUND);
	/* another thread, likewise */
	CHECK(pthread_create(&th, NULL, reader_thread, &ra) == 0);
	CHECK(pthread_join(th, NULL) == 0);
	CHECK_INT_EQ(ra.rc, 0);
	CHECK_INT_EQ(ra.seen, 10);
	/* a read transaction may not write; a second writer in this
	 * thread would wait for itself */
	CHECK_INT_EQ(state_idmap_put(r, "project", "k", 1, &v, &e),
		     FERRY_EINVAL);
	CHECK_INT_EQ(state_txn_begin(st, STATE_TXN_WRITE, &r2, &e),
		     FERRY_ESTATE);
	commit(w);
	/* the old snapshot stays as it was; a new one sees the commit */
	CHECK_INT_EQ(get_i64(r, "project", 1, &v), 0);
	CHECK_INT_EQ(v.id, 10);
	r2 = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(get_i64(r2, "project", 1, &v), 0);
	CHECK_INT_EQ(v.id, 20);
	CHECK_INT_EQ(count(r2, "project"), 2);
	state_txn_abort(r2);
	commit(r);
	state_txn_abort(NULL);
	state_close(st);
}

struct hammer {
	struct state *st;
	int base, txns, rc;
	volatile int *stop;
	struct err e;
};

static void *hammer_writer(void *p)
{
	struct hammer *h = p;
	struct err *e = &h->e;

	for (int i = 0; i < h->txns && !h->rc; i++) {
		struct state_txn *t;

		h->rc = state_txn_begin(h->st, STATE_TXN_WRITE, &t, e);
		for (int k = 0; k < 200 && !h->rc; k++) {
			struct state_idval v = { h->base + i * 200 + k, 0, 0 };
			unsigned char key[8];

			state_key_i64(v.id, key);
			h->rc = state_idmap_put(t, "task", key, 8, &v, e);
		}
		if (!h->rc)
			h->rc = state_txn_commit(t, e);
		else if (t)
			state_txn_abort(t);
	}
	return NULL;
}

static void *hammer_reader(void *p)
{
	struct hammer *h = p;
	uint64_t last = 0, n;
	struct err *e = &h->e;

	while (!*h->stop && !h->rc) {
		struct state_txn *t;

		h->rc = state_txn_begin(h->st, STATE_TXN_READ, &t, e);
		if (h->rc)
			break;
		/* all entries are "task": the O(1) total keeps reads short */
		h->rc = state_idmap_count(t, NULL, &n, e);
		state_txn_abort(t);
		/* whole transactions only, never fewer than before */
		if (!h->rc && (n % 200 || n < last))
			h->rc = -100;
		last = n;
		usleep(50);
	}
	return NULL;
}

TEST(concurrent_writers_and_reader_while_map_grows)
{
	struct state *st = open_opts(1 * MIB, 64 * MIB);
	volatile int stop = 0;
	struct hammer w1 = { st, 0, 60, 0, &stop, { 0, "" } };
	struct hammer w2 = { st, 1000000, 60, 0, &stop, { 0, "" } };
	struct hammer r = { st, 0, 0, 0, &stop, { 0, "" } };
	pthread_t t1, t2, t3;
	struct state_txn *t;
	size_t map;

	CHECK(pthread_create(&t3, NULL, hammer_reader, &r) == 0);
	CHECK(pthread_create(&t1, NULL, hammer_writer, &w1) == 0);
	CHECK(pthread_create(&t2, NULL, hammer_writer, &w2) == 0);
	CHECK(pthread_join(t1, NULL) == 0);
	CHECK(pthread_join(t2, NULL) == 0);
	stop = 1;
	CHECK(pthread_join(t3, NULL) == 0);
	CHECK_MSG(w1.rc == 0, "writer 1: %d %s", w1.rc, w1.e.msg);
	CHECK_MSG(w2.rc == 0, "writer 2: %d %s", w2.rc, w2.e.msg);
	CHECK_MSG(r.rc == 0, "reader: %d %s", r.rc, r.e.msg);
	t = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(count(t, "task"), 2 * 60 * 200);
	state_txn_abort(t);
	state_usage(st, &map, NULL, NULL);
	CHECK_MSG(map > 1 * MIB, "map did not grow: %zu", map);
	state_close(st);
}

/* ---- map size -------------------------------------------------------- */

/* One transaction of `n` "task" entries from `first`, plus a reject with
 * a row of `rowlen` bytes.  Returns the first failure, or 0. */
static int write_batch(struct state *st, int64_t first, int n,
		       size_t rowlen, struct err *e)
{
	struct state_txn *t;
	struct state_reject r;
	char *row = xmalloc(rowlen + 1);
	uint64_t id;
	int rc;

	memset(row, 'r', rowlen);
	row[rowlen] = '\0';
	rc = state_txn_begin(st, STATE_TXN_WRITE, &t, e);
	if (rc) {
		free(row);
		return rc;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		struct state_idval v = { first + i, 1, (uint64_t)i };
		unsigned char k[8];

		state_key_i64(first + i, k);
		rc = state_idmap_put(t, "task", k, 8, &v, e);
	}
	memset(&r, 0, sizeof(r));
	r.table = "t";
	r.row = row;
	if (rc == 0 && rowlen)
		rc = state_reject_add(t, &r, &id, e);
	if (rc) {
		struct err e2;

		/* the failure spoils the transaction: commit says so too */
		CHECK_INT_EQ(state_txn_commit(t, &e2), rc);
		CHECK_STR_CONTAINS(e2.msg, e->msg);
	} else {
		rc = state_txn_commit(t, e);
	}
	free(row);
	return rc;
}

TEST(map_grows_under_load)
{
	struct state *st = open_opts(1 * MIB, 64 * MIB);
	size_t map, used, max;
	struct state_txn *t;
	struct state_idval v;
	struct err e;

	state_usage(st, &map, &used, &max);
	CHECK_U64_EQ(map, 1 * MIB);
	CHECK_U64_EQ(max, 64 * MIB);
	/* ~10 MiB in 100 transactions */
	for (int b = 0; b < 100; b++)
		CHECK_OK(write_batch(st, (int64_t)b * 1000, 1000, 48 * 1024,
				     &e), e);
	state_usage(st, &map, &used, &max);
	CHECK_MSG(used >= 8 * MIB, "used %zu", used);
	CHECK_MSG(map > used && map <= 64 * MIB && map % MIB == 0,
		  "map %zu used %zu", map, used);
	t = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(count(t, "task"), 100000);
	CHECK_INT_EQ(get_i64(t, "task", 99999, &v), 0);
	CHECK_INT_EQ(v.id, 99999);
	state_txn_abort(t);
	state_close(st);

	/* a reopen keeps the grown size rather than starting over */
	st = open_opts(1 * MIB, 64 * MIB);
	state_usage(st, &used, NULL, NULL);
	CHECK_U64_EQ(used, map);
	state_close(st);
}

TEST(map_full_fails_cleanly_and_keeps_data)
{
	struct state *st = open_opts(1 * MIB, 1 * MIB);
	struct state_txn *t;
	struct state_idval v;
	int batches = 0, rc = 0;
	struct err e;

	while (batches < 1000) {
		rc = write_batch(st, (int64_t)batches * 500, 500, 0, &e);
		if (rc)
			break;
		batches++;
	}
	CHECK_INT_EQ(rc, FERRY_EFULL);
	CHECK_MSG(batches > 5, "only %d batches fit", batches);
	CHECK_STR_CONTAINS(e.msg, "state store is full (map size 1 MiB, "
			   "limit 1 MiB)");
	CHECK_STR_CONTAINS(e.msg, "limits.state_max_map_mb");
	/* still usable for reading in this process */
	t = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(count(t, "task"), batches * 500);
	state_txn_abort(t);
	state_close(st);

	/* everything committed is intact; the failed batch left nothing */
	st = open_opts(1 * MIB, 1 * MIB);
	t = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(count(t, "task"), batches * 500);
	for (int64_t i = 0; i < batches * 500; i++) {
		CHECK_INT_EQ(get_i64(t, "task", i, &v), 0);
		CHECK_INT_EQ(v.id, i);
	}
	CHECK_INT_EQ(get_i64(t, "task", (int64_t)batches * 500, &v),
		     FERRY_ENOTFOUND);
	state_txn_abort(t);
	/* small writes still fit */
	t = begin(st, STATE_TXN_WRITE);
	CHECK_OK(state_meta_put_i64(t, "after.full", 1, &e), e);
	commit(t);
	state_close(st);

	/* raising the limit, as the message says, lets writing go on */
	st = open_opts(1 * MIB, 4 * MIB);
	for (int b = 0; b < 20; b++)
		CHECK_OK(write_batch(st, (int64_t)(batches + b) * 500, 500, 0,
				     &e), e);
	t = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(count(t, "task"), (batches + 20) * 500);
	state_txn_abort(t);
	state_close(st);
}

TEST(oversized_txn_fails_then_map_grows_for_retry)
{
	struct state *st = open_opts(1 * MIB, 16 * MIB);
	size_t map;
	int rc, tries = 0;
	struct err e;

	/* ~2.5 MiB in one transaction: more than the quarter of the map
	 * kept free, so it fails although the limit is far */
	rc = write_batch(st, 0, 50000, 0, &e);
	CHECK_INT_EQ(rc, FERRY_EFULL);
	CHECK_STR_CONTAINS(e.msg, "map grows before the next write");
	CHECK_STR_CONTAINS(e.msg, "limits.state_max_map_mb");
	/* each failure doubles the map once; a retry gets through */
	do {
		rc = write_batch(st, 0, 50000, 0, &e);
		tries++;
	} while (rc == FERRY_EFULL && tries < 4);
	CHECK_OK(rc, e);
	state_usage(st, &map, NULL, NULL);
	CHECK_MSG(map >= 4 * MIB && map <= 16 * MIB, "map %zu", map);
	state_close(st);
}

TEST(open_refuses_bad_options)
{
	struct state_options o = { 8 * MIB, 4 * MIB };
	struct state *st;
	struct err e;

	CHECK_INT_EQ(state_open(store_dir(), &o, &st, &e), FERRY_EINVAL);
	CHECK(st == NULL);
	o.map_size = 1000;
	CHECK_INT_EQ(state_open(store_dir(), &o, &st, &e), FERRY_EINVAL);
	/* a default initial size yields to a smaller limit */
	o.map_size = 0;
	o.max_map_size = 2 * MIB;
	CHECK_OK(state_open(store_dir(), &o, &st, &e), e);
	state_close(st);
}

/* ---- damaged and foreign files --------------------------------------- */

TEST(garbage_in_state_dir_is_ecorrupt)
{
	static const size_t sizes[] = { 5, 4096, 3 * 8192 + 17 };
	char path[4200];
	struct state *st;
	struct err e;

	CHECK(mkdir(store_dir(), 0700) == 0);
	data_path(path, sizeof(path));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		FILE *f = fopen(path, "w");

		CHECK(f != NULL);
		for (size_t k = 0; k < sizes[i]; k++)
			fputc("not an lmdb file\n"[k % 17], f);
		fclose(f);
		st = NULL;
		CHECK_INT_EQ(state_open(store_dir(), NULL, &st, &e),
			     FERRY_ECORRUPT);
		CHECK(st == NULL);
		CHECK_STR_CONTAINS(e.msg, "not a ferry state store");
		CHECK_STR_CONTAINS(e.msg, store_dir());
	}
}

TEST(state_dir_that_is_a_file_is_an_error)
{
	struct state *st;
	struct err e;
	FILE *f = fopen(store_dir(), "w");

	CHECK(f != NULL);
	fclose(f);
	CHECK_INT_EQ(state_open(store_dir(), NULL, &st, &e), FERRY_EIO);
	CHECK_STR_CONTAINS(e.msg, "not a directory");
}

TEST(new_store_dir_is_private)
{
	struct state *st = open_default();
	struct stat sb;

	CHECK(stat(store_dir(), &sb) == 0);
	CHECK_INT_EQ(sb.st_mode & 0777, 0700);
	state_close(st);
}

TEST(unknown_format_is_ecorrupt)
{
	static const unsigned char v1[] = "format" "i\0\0\0\0\0\0\0\1";
	static const unsigned char v2[] = "format" "i\0\0\0\0\0\0\0\2";
	struct state *st = open_default();
	char path[4200];
	struct err e;

	state_close(st);
	data_path(path, sizeof(path));
	CHECK(patch_file(path, v1, v2, sizeof(v1) - 1) > 0);
	CHECK_INT_EQ(state_open(store_dir(), NULL, &st, &e), FERRY_ECORRUPT);
	CHECK_STR_CONTAINS(e.msg, "has format 2, this ferry understands "
			   "format 1");
}

TEST(foreign_lmdb_environment_is_ecorrupt)
{
	struct state *st = open_default();
	char path[4200];
	struct err e;

	state_close(st);
	/* rename the "meta" sub-database: an LMDB environment with other
	 * contents and no ferry marker */
	data_path(path, sizeof(path));
	CHECK(patch_file(path, "meta", "mexa", 4) > 0);
	CHECK_INT_EQ(state_open(store_dir(), NULL, &st, &e), FERRY_ECORRUPT);
	CHECK_STR_CONTAINS(e.msg, "not a ferry state store");
}

static int count_walk(const struct state_reject *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int count_projects(const struct state_project *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

/* Store one reject and one project with recognisable bytes, then
 * damage them in the file as `from` -> `to`; reads must say ECORRUPT. */
static void damaged_records(const void *from, const void *to, size_t n)
{
	struct state *st = open_default();
	struct state_txn *t = begin(st, STATE_TXN_WRITE);
	struct state_project p, q;
	struct state_reject r;
	char path[4200];
	uint64_t id;
	int walked = 0;
	struct err e;

	memset(&r, 0, sizeof(r));
	r.table = "ZZTABLEZZ";
	CHECK_OK(state_reject_add(t, &r, &id, &e), e);
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "p1");
	snprintf(p.position, sizeof(p.position), "ZZTABLEZZ");
	CHECK_OK(state_project_put(t, &p, &e), e);
	commit(t);
	state_close(st);

	data_path(path, sizeof(path));
	CHECK(patch_file(path, from, to, n) > 0);
	st = open_default();
	t = begin(st, STATE_TXN_READ);
	CHECK_INT_EQ(state_reject_get(t, id, &r, &e), FERRY_ECORRUPT);
	CHECK_STR_CONTAINS(e.msg, "reject 1 is damaged");
	CHECK(r.table == NULL);
	CHECK_INT_EQ(state_reject_each(t, count_walk, &walked, &e),
		     FERRY_ECORRUPT);
	CHECK_INT_EQ(state_project_get(t, "p1", &q, &e), FERRY_ECORRUPT);
	CHECK_STR_CONTAINS(e.msg, "project record \"p1\" is damaged");
	CHECK_INT_EQ(state_project_each(t, count_projects, &walked, &e),
		     FERRY_ECORRUPT);
	CHECK_INT_EQ(walked, 0);
	state_txn_abort(t);
	state_close(st);
}

TEST(damaged_record_terminator_is_ecorrupt)
{
	damaged_records("ZZTABLEZZ\0", "ZZTABLEZZX", 10);
}

TEST(damaged_record_length_is_ecorrupt)
{
	damaged_records("\0\0\0\x09ZZTABLEZZ", "\xff\xff\xff\xf0ZZTABLEZZ",
			13);
}

TEST(damaged_record_short_length_is_ecorrupt)
{
	/* a shorter length leaves trailing bytes, or a missing NUL */
	damaged_records("\0\0\0\x09ZZTABLEZZ", "\0\0\0\x02ZZTABLEZZ", 13);
}

/* ---- kill -9 --------------------------------------------------------- */

/* Check the crash child's store; returns its progress. */
static uint64_t verify_writer_store(const char *dir)
{
	struct state_options o = { SW_MAP_SIZE, SW_MAX_MAP_SIZE };
	static char row[SW_ROW_MAX];
	struct state_txn *t;
	struct state *st;
	struct state_idval v, want;
	int64_t progress = 0;
	uint64_t n, p;
	unsigned char k[8];
	struct err e;
	int rc;

	CHECK_OK(state_open(dir, &o, &st, &e), e);
	t = begin(st, STATE_TXN_READ);
	rc = state_meta_get_i64(t, "progress", &progress, &e);
	CHECK_MSG(rc == 0 || rc == FERRY_ENOTFOUND, "progress: %s", e.msg);
	p = (uint64_t)progress;
	/* counts: every committed transaction whole, nothing more */
	CHECK_OK(state_idmap_count(t, "task", &n, &e), e);
	CHECK_U64_EQ(n, p * SW_PER_TXN);
	CHECK_OK(state_idmap_count(t, NULL, &n, &e), e);
	CHECK_U64_EQ(n, p * SW_PER_TXN);
	CHECK_OK(state_reject_count(t, &n, &e), e);
	CHECK_U64_EQ(n, p);
	for (uint64_t i = 1; i <= p + 1; i++) {
		struct state_reject r, got;
		char small[4][64];

		for (int j = 0; j < SW_PER_TXN; j++) {
			state_key_i64(sw_key(i, j), k);
			rc = state_idmap_get(t, "task", k, 8, &v, &e);
			if (i > p) {
				CHECK_INT_EQ(rc, FERRY_ENOTFOUND);
				continue;
			}
			CHECK_OK(rc, e);
			sw_idval(i, j, &want);
			CHECK_MSG(v.id == want.id &&
				  v.version == want.version &&
				  v.hash == want.hash,
				  "txn %" PRIu64 " entry %d differs", i, j);
		}
		rc = state_reject_get(t, i, &got, &e);
		if (i > p) {
			CHECK_INT_EQ(rc, FERRY_ENOTFOUND);
			continue;
		}
		CHECK_OK(rc, e);
		sw_reject(i, &r, row, small);
		CHECK_INT_EQ(got.time_ms, r.time_ms);
		CHECK_STR_EQ(got.table, r.table);
		CHECK_STR_EQ(got.pk, r.pk);
		CHECK_STR_EQ(got.op, r.op);
		CHECK_STR_EQ(got.row, r.row);
		CHECK_STR_EQ(got.reason, r.reason);
		CHECK_STR_EQ(got.position, r.position);
		state_reject_release(&got);
	}
	state_txn_abort(t);
	state_close(st);
	return p;
}

TEST(kill9_mid_write_keeps_transactions_whole)
{
	char helper[4200];
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	uint64_t last = 0;
	int rounds = 12;

	snprintf(helper, sizeof(helper), "%s/helpers/state_writer",
		 harness_bindir());
	CHECK_MSG(access(helper, X_OK) == 0,
		  "%s is missing: build it (make test-bins)", helper);
	srand(seed);
	for (int round = 0; round < rounds; round++) {
		int status = 0;
		uint64_t p;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			execl(helper, helper, store_dir(), (char *)NULL);
			_exit(127);
		}
		usleep(5000 + (useconds_t)(rand() % 195000));
		CHECK(kill(pid, SIGKILL) == 0);
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			  "round %d (seed %u): the writer stopped by itself, "
			  "status %d", round, seed, status);
		p = verify_writer_store(store_dir());
		CHECK_MSG(p >= last, "round %d (seed %u): progress went back "
			  "from %" PRIu64 " to %" PRIu64, round, seed, last, p);
		last = p;
	}
	CHECK_MSG(last > 0, "the writer never committed (seed %u)", seed);
	printf("     %d kills, %" PRIu64 " transactions committed\n", rounds,
	       last);
}

static int count_blob(const void *key, size_t keylen, const void *val,
		      size_t len, void *arg)
{
	(void)key;
	(void)keylen;
	(void)val;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

TEST(blobs_roundtrip_walk_and_delete)
{
	struct state_options o = { 0, 0 };
	struct state_txn *t;
	struct state *st;
	const char *big;
	void *out;
	size_t len;
	struct err e;
	int n = 0;

	CHECK_OK(state_open(store_dir(), &o, &st, &e), e);
	t = begin(st, STATE_TXN_WRITE);
	CHECK_OK(state_blob_put(t, "ds.split", "a", 1, "one", 3, &e), e);
	CHECK_OK(state_blob_put(t, "ds.split", "b", 1, "\0two", 4, &e), e);
	CHECK_OK(state_blob_put(t, "ds.other", "a", 1, "x", 1, &e), e);
	CHECK_OK(state_txn_commit(t, &e), e);
	t = begin(st, STATE_TXN_READ);
	CHECK_OK(state_blob_get(t, "ds.split", "b", 1, &out, &len, &e), e);
	CHECK_INT_EQ(len, 4);
	CHECK(memcmp(out, "\0two", 4) == 0);
	free(out);
	CHECK_INT_EQ(state_blob_get(t, "ds.split", "c", 1, &out, &len, &e),
		     FERRY_ENOTFOUND);
	CHECK_OK(state_blob_each(t, "ds.split", count_blob, &n, &e), e);
	CHECK_INT_EQ(n, 2);	/* not the other namespace's */
	state_txn_abort(t);
	t = begin(st, STATE_TXN_WRITE);
	CHECK_OK(state_blob_del(t, "ds.split", "a", 1, &e), e);
	CHECK_INT_EQ(state_blob_del(t, "ds.split", "a", 1, &e),
		     FERRY_ENOTFOUND);
	big = calloc(1, (1 << 24) + 1);
	CHECK_INT_EQ(state_blob_put(t, "ds.split", "z", 1, big, (1 << 24) + 1,
				    &e), FERRY_EINVAL);
	free((void *)big);
	CHECK_OK(state_txn_commit(t, &e), e);
	state_close(st);
}
