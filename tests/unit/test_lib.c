/*
 * test_lib.c - err, buf and pos: the foundation types.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/buf.h"
#include "ferry/err.h"
#include "ferry/json.h"
#include "ferry/pos.h"
#include "ferry/sha256.h"
#include "harness.h"

TEST(err_set_returns_code_and_formats)
{
	struct err e;

	err_clear(&e);
	CHECK_INT_EQ(err_set(&e, FERRY_EIO, "could not open \"%s\"", "x"),
		     FERRY_EIO);
	CHECK_INT_EQ(e.code, FERRY_EIO);
	CHECK_STR_EQ(e.msg, "could not open \"x\"");
	err_prefix(&e, "state %d", 7);
	CHECK_STR_EQ(e.msg, "state 7: could not open \"x\"");
}

TEST(err_truncates_long_messages_visibly)
{
	struct err e;
	char big[3000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, FERRY_EINVAL, "%s", big);
	CHECK_INT_EQ(strlen(e.msg), ERR_MSG_MAX - 1);
	CHECK_STR_EQ(e.msg + ERR_MSG_MAX - 4, "...");
}

TEST(st_add_and_mult_detect_overflow)
{
	size_t r;

	CHECK_INT_EQ(st_add(SIZE_MAX, 1, &r), FERRY_EINVAL);
	CHECK_INT_EQ(st_mult(SIZE_MAX / 2 + 1, 2, &r), FERRY_EINVAL);
	CHECK_INT_EQ(st_mult(3, 4, &r), 0);
	CHECK_INT_EQ(r, 12);
}

TEST(buf_appends_and_stays_terminated)
{
	struct buf b;

	buf_init(&b, 0);
	CHECK_STR_EQ(b.data, "");
	CHECK_INT_EQ(buf_puts(&b, "abc"), 0);
	CHECK_INT_EQ(buf_printf(&b, "-%d-", 42), 0);
	for (int i = 0; i < 1000; i++)
		CHECK_INT_EQ(buf_putc(&b, 'x'), 0);
	CHECK_INT_EQ(b.len, 1007);
	CHECK(strncmp(b.data, "abc-42-xxx", 10) == 0);
	CHECK_INT_EQ(b.data[b.len], '\0');
	buf_truncate(&b, 3);
	CHECK_STR_EQ(b.data, "abc");
	buf_release(&b);
	CHECK_INT_EQ(b.len, 0);
}

TEST(buf_refuses_to_pass_its_ceiling)
{
	struct buf b;

	buf_init(&b, 10);
	CHECK_INT_EQ(buf_puts(&b, "0123456789"), 0);
	CHECK_INT_EQ(buf_putc(&b, 'x'), FERRY_EFULL);
	CHECK_INT_EQ(buf_printf(&b, "%s", "y"), FERRY_EFULL);
	CHECK_STR_EQ(b.data, "0123456789");
	buf_release(&b);
}

TEST(pos_roundtrips_text)
{
	static const char *const ok[] = {
		"none", "pg:0/0", "pg:16/B374D848", "mysql:mysql-bin.000003:4",
		"mysql:mysql-bin.000003:4711;gtid=0-1-42,1-2-7",
	};
	char out[POS_TEXT_MAX];
	struct ferry_pos p;
	struct err e;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK_OK(pos_parse(ok[i], &p, &e), e);
		CHECK_STR_EQ(pos_format(&p, out, sizeof(out)), ok[i]);
	}
}

TEST(pos_rejects_bad_text)
{
	static const char *const bad[] = {
		"", "pg:", "pg:16", "pg:/1", "pg:123456789/0", "pg:1/x",
		"mysql:", "mysql:file", "mysql:file:", "mysql::4",
		"mysql:f:-1", "mysql:f:12a", "oracle:1",
	};
	struct ferry_pos p;
	struct err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(pos_parse(bad[i], &p, &e) == FERRY_EINVAL,
			  "accepted \"%s\"", bad[i]);
}

TEST(pos_orders_binlog_files_numerically)
{
	struct ferry_pos a, b;
	struct err e;

	CHECK_OK(pos_parse("mysql:bin.000009:900", &a, &e), e);
	CHECK_OK(pos_parse("mysql:bin.000010:4", &b, &e), e);
	CHECK(pos_cmp(&a, &b) < 0);
	CHECK(pos_cmp(&b, &a) > 0);
	CHECK_OK(pos_parse("pg:1/0", &a, &e), e);
	CHECK_OK(pos_parse("pg:0/FFFFFFFF", &b, &e), e);
	CHECK(pos_cmp(&a, &b) > 0);
	CHECK_INT_EQ(pos_cmp(&a, &a), 0);
}

TEST(sha256_matches_known_vectors)
{
	char hex[65];
	char million[1001];
	struct sha256 s;
	unsigned char d[32];

	sha256_hex("", 0, hex);
	CHECK_STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb924"
			  "27ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	CHECK_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223"
			  "b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		   56, hex);
	CHECK_STR_EQ(hex, "248d6a61d20638b8e5c026930c3e6039"
			  "a33ce45964ff2167f6ecedd419db06c1");
	/* one million 'a' fed in uneven pieces */
	memset(million, 'a', sizeof(million));
	sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		sha256_update(&s, million, i % 2 ? 999 : 1001);
	sha256_final(&s, d);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	CHECK_STR_EQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
			  "f1809a48a497200e046d39ccc7112cd0");
}

TEST(json_strings_roundtrip_and_reject_non_arrays)
{
	const char *in[] = { "42", "a\"b\\c", "h\xc3\xa9" };
	size_t lens[] = { 2, 5, 3 };
	char **out, *text;
	size_t n;
	struct err e;

	CHECK_OK(json_strings_encode(in, lens, 3, &text, &e), e);
	CHECK_STR_EQ(text, "[\"42\",\"a\\\"b\\\\c\",\"h\xc3\xa9\"]");
	CHECK_OK(json_strings_decode(text, &out, &n, &e), e);
	CHECK_INT_EQ(n, 3);
	for (size_t i = 0; i < n; i++)
		CHECK_STR_EQ(out[i], in[i]);
	json_strings_free(out, n);
	free(text);
	CHECK_INT_EQ(json_strings_decode("{}", &out, &n, &e), FERRY_EINVAL);
	CHECK_INT_EQ(json_strings_decode("[1]", &out, &n, &e), FERRY_EINVAL);
	CHECK_INT_EQ(json_strings_decode("[\"a\"", &out, &n, &e),
		     FERRY_EINVAL);
	CHECK_INT_EQ(json_strings_encode((const char *[]){ "\xff" },
					 (size_t[]){ 1 }, 1, &text, &e),
		     FERRY_EINVAL);
}
