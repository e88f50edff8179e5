/*
 * test_pgoutput.c - the pgoutput v1 decoder on hand-built messages: every
 * message type, TOAST 'u' values, bytea, re-described relations, and every
 * truncation of every valid message failing cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/pgoutput.h"
#include "harness.h"

/* ---- a tiny message builder ----------------------------------------- */

struct msg {
	unsigned char b[4096];
	size_t n;
};

static void m_u8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (unsigned char)v;
}

static void m_be(struct msg *m, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		m_u8(m, (unsigned)(v >> (8 * i)) & 0xff);
}

static void m_str(struct msg *m, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(m->b + m->n, s, n);
	m->n += n;
}

static void m_text(struct msg *m, const char *s)
{
	m_u8(m, 't');
	m_be(m, strlen(s), 4);
	memcpy(m->b + m->n, s, strlen(s));
	m->n += strlen(s);
}

/* relation 16384 public.items (id int8 key, name text, data bytea) */
static struct msg relation_msg(void)
{
	struct msg m = { .n = 0 };

	m_u8(&m, 'R');
	m_be(&m, 16384, 4);
	m_str(&m, "public");
	m_str(&m, "items");
	m_u8(&m, 'd');
	m_be(&m, 3, 2);
	m_u8(&m, 1); m_str(&m, "id"); m_be(&m, 20, 4); m_be(&m, -1u, 4);
	m_u8(&m, 0); m_str(&m, "name"); m_be(&m, 25, 4); m_be(&m, -1u, 4);
	m_u8(&m, 0); m_str(&m, "data"); m_be(&m, 17, 4); m_be(&m, -1u, 4);
	return m;
}

static struct msg begin_msg(void)
{
	struct msg m = { .n = 0 };

	m_u8(&m, 'B');
	m_be(&m, 0x16B374D848ull, 8);		/* final lsn */
	m_be(&m, 1000000ull * 86400, 8);	/* 2000-01-02 00:00 UTC */
	m_be(&m, 777, 4);			/* xid */
	return m;
}

static struct msg commit_msg(void)
{
	struct msg m = { .n = 0 };

	m_u8(&m, 'C');
	m_u8(&m, 0);
	m_be(&m, 0x16B374D848ull, 8);	/* commit lsn */
	m_be(&m, 0x16B374D878ull, 8);	/* end lsn */
	m_be(&m, 1000000ull * 86400, 8);
	return m;
}

static struct msg insert_msg(void)
{
	struct msg m = { .n = 0 };

	m_u8(&m, 'I');
	m_be(&m, 16384, 4);
	m_u8(&m, 'N');
	m_be(&m, 3, 2);
	m_text(&m, "42");
	m_text(&m, "h\xc3\xa9llo \xf0\x9f\x98\x80");
	m_text(&m, "\\x00ff41");
	return m;
}

static struct msg update_msg(void)
{
	struct msg m = { .n = 0 };

	m_u8(&m, 'U');
	m_be(&m, 16384, 4);
	m_u8(&m, 'K');
	m_be(&m, 3, 2);
	m_text(&m, "41");
	m_u8(&m, 'n');
	m_u8(&m, 'n');
	m_u8(&m, 'N');
	m_be(&m, 3, 2);
	m_text(&m, "42");
	m_u8(&m, 'n');
	m_u8(&m, 'u');
	return m;
}

static struct msg delete_msg(void)
{
	struct msg m = { .n = 0 };

	m_u8(&m, 'D');
	m_be(&m, 16384, 4);
	m_u8(&m, 'O');
	m_be(&m, 3, 2);
	m_text(&m, "42");
	m_text(&m, "x");
	m_u8(&m, 'n');
	return m;
}

static struct pgoutput *decoder_with_relation(void)
{
	struct pgoutput *d = pgoutput_new();
	struct msg r = relation_msg();
	struct change *c;
	struct err e;
	char type;

	CHECK_OK(pgoutput_decode(d, r.b, r.n, &c, &type, &e), e);
	CHECK(c == NULL);
	CHECK_INT_EQ(type, 'R');
	return d;
}

TEST(pgoutput_relation_describes_columns_and_keys)
{
	struct pgoutput *d = decoder_with_relation();
	struct table_desc *t = pgoutput_relation(d, 16384);

	CHECK(t != NULL);
	CHECK_STR_EQ(t->schema, "public");
	CHECK_STR_EQ(t->name, "items");
	CHECK_INT_EQ(t->ncols, 3);
	CHECK_STR_EQ(t->cols[0].name, "id");
	CHECK(t->cols[0].key);
	CHECK_INT_EQ(t->cols[0].type, DATUM_T_INT);
	CHECK(!t->cols[1].key);
	CHECK_INT_EQ(t->cols[1].type, DATUM_T_TEXT);
	CHECK_INT_EQ(t->cols[2].type, DATUM_T_BYTES);
	CHECK(pgoutput_relation(d, 1) == NULL);
	pgoutput_free(d);
}

TEST(pgoutput_begin_commit_carry_positions_and_xid)
{
	struct pgoutput *d = pgoutput_new();
	struct msg b = begin_msg(), cm = commit_msg();
	struct change *c;
	struct err e;
	char type;

	CHECK_OK(pgoutput_decode(d, b.b, b.n, &c, &type, &e), e);
	CHECK_INT_EQ(c->kind, CHANGE_BEGIN);
	CHECK_U64_EQ(c->xid, 777);
	CHECK_U64_EQ(c->pos->lsn, 0x16B374D848ull);
	CHECK_INT_EQ(c->commit_time_ms, 946684800000LL + 86400000LL);
	change_free(c);
	CHECK_OK(pgoutput_decode(d, cm.b, cm.n, &c, &type, &e), e);
	CHECK_INT_EQ(c->kind, CHANGE_COMMIT);
	CHECK_U64_EQ(c->xid, 777);
	/* the end LSN is what a checkpoint confirms */
	CHECK_U64_EQ(c->pos->lsn, 0x16B374D878ull);
	change_free(c);
	pgoutput_free(d);
}

TEST(pgoutput_insert_text_utf8_and_bytea)
{
	struct pgoutput *d = decoder_with_relation();
	struct msg m = insert_msg();
	struct change *c;
	const char *v;
	size_t len;
	struct err e;
	char type;

	CHECK_OK(pgoutput_decode(d, m.b, m.n, &c, &type, &e), e);
	CHECK_INT_EQ(c->kind, CHANGE_INSERT);
	CHECK(c->oldv == NULL);
	CHECK_INT_EQ(change_new(c, 0, &v, &len), DATUM_VALUE);
	CHECK_STR_EQ(v, "42");
	CHECK_INT_EQ(change_new(c, 1, &v, &len), DATUM_VALUE);
	CHECK_STR_EQ(v, "h\xc3\xa9llo \xf0\x9f\x98\x80");
	CHECK_INT_EQ(change_new(c, 2, &v, &len), DATUM_VALUE);
	CHECK_INT_EQ(len, 3);
	CHECK(memcmp(v, "\x00\xff" "A", 3) == 0);
	change_free(c);
	pgoutput_free(d);
}

TEST(pgoutput_update_with_key_and_unchanged_toast)
{
	struct pgoutput *d = decoder_with_relation();
	struct msg m = update_msg();
	struct change *c;
	const char *v;
	struct err e;
	char type;

	CHECK_OK(pgoutput_decode(d, m.b, m.n, &c, &type, &e), e);
	CHECK_INT_EQ(c->kind, CHANGE_UPDATE);
	CHECK_INT_EQ(change_old(c, 0, &v, NULL), DATUM_VALUE);
	CHECK_STR_EQ(v, "41");
	CHECK_INT_EQ(change_new(c, 0, &v, NULL), DATUM_VALUE);
	CHECK_STR_EQ(v, "42");
	CHECK_INT_EQ(change_new(c, 1, NULL, NULL), DATUM_NULL);
	CHECK_INT_EQ(change_new(c, 2, NULL, NULL), DATUM_UNCHANGED);
	change_free(c);
	pgoutput_free(d);
}

TEST(pgoutput_delete_with_old_row)
{
	struct pgoutput *d = decoder_with_relation();
	struct msg m = delete_msg();
	struct change *c;
	const char *v;
	struct err e;
	char type;

	CHECK_OK(pgoutput_decode(d, m.b, m.n, &c, &type, &e), e);
	CHECK_INT_EQ(c->kind, CHANGE_DELETE);
	CHECK(c->newv == NULL);
	CHECK_INT_EQ(change_old(c, 0, &v, NULL), DATUM_VALUE);
	CHECK_STR_EQ(v, "42");
	CHECK_INT_EQ(change_old(c, 2, NULL, NULL), DATUM_NULL);
	change_free(c);
	pgoutput_free(d);
}

TEST(pgoutput_relation_redescribed_keeps_old_changes_valid)
{
	struct pgoutput *d = decoder_with_relation();
	struct msg m = insert_msg(), r = relation_msg();
	struct change *c, *c2;
	struct err e;
	char type;

	CHECK_OK(pgoutput_decode(d, m.b, m.n, &c, &type, &e), e);
	/* the same relation again (after an invalidation), renamed */
	memcpy(r.b + 5 + 7, "ITEMS", 5);
	CHECK_OK(pgoutput_decode(d, r.b, r.n, &c2, &type, &e), e);
	CHECK_STR_EQ(pgoutput_relation(d, 16384)->name, "ITEMS");
	CHECK_STR_EQ(c->table->name, "items");
	change_free(c);
	pgoutput_free(d);
}

TEST(pgoutput_truncate_of_several_tables)
{
	struct pgoutput *d = decoder_with_relation();
	struct msg r = relation_msg(), t = { .n = 0 };
	struct change *c;
	struct err e;
	char type;

	r.b[4] = 0x01;		/* oid 16385 */
	memcpy(r.b + 5 + 7, "other", 5);
	CHECK_OK(pgoutput_decode(d, r.b, r.n, &c, &type, &e), e);
	m_u8(&t, 'T');
	m_be(&t, 2, 4);
	m_u8(&t, 0);
	m_be(&t, 16384, 4);
	m_be(&t, 16385, 4);
	CHECK_OK(pgoutput_decode(d, t.b, t.n, &c, &type, &e), e);
	CHECK_INT_EQ(c->kind, CHANGE_TRUNCATE);
	CHECK_STR_EQ(c->table->name, "items");
	change_free(c);
	c = pgoutput_take_pending(d);
	CHECK(c != NULL);
	CHECK_STR_EQ(c->table->name, "other");
	change_free(c);
	CHECK(pgoutput_take_pending(d) == NULL);
	pgoutput_free(d);
}

TEST(pgoutput_ignores_type_origin_message)
{
	struct pgoutput *d = pgoutput_new();
	struct msg y = { .n = 0 }, o = { .n = 0 }, mm = { .n = 0 };
	struct change *c;
	struct err e;
	char type;

	m_u8(&y, 'Y'); m_be(&y, 90000, 4); m_str(&y, "public");
	m_str(&y, "mood");
	m_u8(&o, 'O'); m_be(&o, 5, 8); m_str(&o, "node1");
	m_u8(&mm, 'M'); m_u8(&mm, 1); m_be(&mm, 5, 8); m_str(&mm, "pfx");
	m_be(&mm, 3, 4); m_str(&mm, "ab");
	CHECK_OK(pgoutput_decode(d, y.b, y.n, &c, &type, &e), e);
	CHECK(c == NULL && type == 'Y');
	CHECK_OK(pgoutput_decode(d, o.b, o.n, &c, &type, &e), e);
	CHECK(c == NULL && type == 'O');
	CHECK_OK(pgoutput_decode(d, mm.b, mm.n, &c, &type, &e), e);
	CHECK(c == NULL && type == 'M');
	pgoutput_free(d);
}

TEST(pgoutput_rejects_bad_messages_with_position)
{
	struct pgoutput *d = decoder_with_relation();
	struct msg m = insert_msg(), u = { .n = 0 };
	struct change *c;
	struct err e;
	char type;

	/* unknown relation */
	m.b[4] = 0x99;
	CHECK_INT_EQ(pgoutput_decode(d, m.b, m.n, &c, &type, &e),
		     FERRY_EPROTO);
	CHECK_STR_CONTAINS(e.msg, "which no Relation message described");
	/* trailing garbage */
	m = insert_msg();
	m.b[m.n++] = 0;
	CHECK_INT_EQ(pgoutput_decode(d, m.b, m.n, &c, &type, &e),
		     FERRY_EPROTO);
	CHECK_STR_CONTAINS(e.msg, "trailing bytes");
	CHECK(c == NULL);
	/* unknown message type */
	m_u8(&u, 'Z');
	CHECK_INT_EQ(pgoutput_decode(d, u.b, u.n, &c, &type, &e),
		     FERRY_EPROTO);
	CHECK_STR_CONTAINS(e.msg, "unknown pgoutput message type 0x5a");
	/* a value length past the end */
	m = insert_msg();
	m.b[9] = 0x7f;
	CHECK_INT_EQ(pgoutput_decode(d, m.b, m.n, &c, &type, &e),
		     FERRY_EPROTO);
	CHECK_STR_CONTAINS(e.msg, "value longer than the message");
	/* bad bytea text */
	m = insert_msg();
	m.b[m.n - 1] = 'g';
	CHECK_INT_EQ(pgoutput_decode(d, m.b, m.n, &c, &type, &e),
		     FERRY_EPROTO);
	/* a streamed-transaction message in protocol 1 */
	u.n = 0;
	m_u8(&u, 'S');
	CHECK_INT_EQ(pgoutput_decode(d, u.b, u.n, &c, &type, &e),
		     FERRY_EPROTO);
	pgoutput_free(d);
}

TEST(pgoutput_every_prefix_fails_cleanly)
{
	struct msg all[] = { relation_msg(), begin_msg(), insert_msg(),
			     update_msg(), delete_msg(), commit_msg() };
	struct pgoutput *d = decoder_with_relation();
	struct change *c;
	struct err e;
	char type;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		for (size_t n = 0; n < all[i].n; n++) {
			/* a fresh copy of exactly n bytes, so ASan sees any
			 * read past the end */
			unsigned char *p = malloc(n ? n : 1);

			memcpy(p, all[i].b, n);
			CHECK_MSG(pgoutput_decode(d, p, n, &c, &type, &e) ==
				  FERRY_EPROTO,
				  "message %zu accepted at %zu of %zu bytes",
				  i, n, all[i].n);
			CHECK(c == NULL);
			free(p);
		}
		CHECK_OK(pgoutput_decode(d, all[i].b, all[i].n, &c, &type,
					 &e), e);
		change_free(c);
	}
	pgoutput_free(d);
}
