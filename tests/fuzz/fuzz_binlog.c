/*
 * fuzz_binlog.c - libFuzzer target for the binlog decoder.
 *
 * The input is split at 0xFF 0xFF 0xFF 0xFF into events decoded in turn
 * by one decoder, so a seed can first describe the format and the tables
 * (FORMAT_DESCRIPTION, TABLE_MAP) and then send rows against them.  To
 * let the fuzzer reach the body parsers, each event's length field is set
 * to its real length and, when the event is long enough, its last four
 * bytes to its CRC32: the checksum and length checks are covered by the
 * unit tests.  The columns hook answers for any table, so TABLE_MAPs
 * without metadata are decoded too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/binlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int columns(void *arg, const char *schema, const char *table,
		   uint32_t ncols, struct binlog_colinfo *cols, struct err *e)
{
	static const char *const types[] = {
		"int(11)", "int(10) unsigned", "enum('a','b''c')",
		"set('x','y')", NULL,
	};

	(void)arg;
	(void)schema;
	(void)table;
	(void)e;
	for (uint32_t i = 0; i < ncols; i++) {
		cols[i].name = "c";
		cols[i].column_type = types[i % 5];
		cols[i].charset = i % 3 ? "utf8mb4" : NULL;
		cols[i].key = i == 0;
	}
	return 0;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sep[4] = { 0xff, 0xff, 0xff, 0xff };
	struct binlog_hooks h = { .columns = columns };
	struct binlog *d = binlog_new(&h);
	size_t off = 0;
	struct err e;

	if (binlog_set_start(d, "fuzz-bin.000001", 4, "0-1-1", &e) != 0)
		abort();
	while (off <= size) {
		const uint8_t *end = memmem(data + off, size - off, sep, 4);
		size_t n = end ? (size_t)(end - (data + off)) : size - off;
		unsigned char *ev = malloc(n ? n : 1);
		struct binlog_event info;
		struct change *c = NULL;

		memcpy(ev, data + off, n);
		if (n >= BINLOG_HEADER_LEN)
			put32(ev + 9, (uint32_t)n);
		if (n >= BINLOG_HEADER_LEN + 4) {
			if (ev[4] == BINLOG_EV_FORMAT_DESCRIPTION)
				ev[17] &= 0xfe;	/* BINLOG_IN_USE */
			put32(ev + n - 4, binlog_crc32(0, ev, n - 4));
		}
		if (binlog_decode(d, ev, n, &c, &info, &e) == 0) {
			change_free(c);
			while ((c = binlog_take_pending(d)))
				change_free(c);
		}
		free(ev);
		off += n + 4;
	}
	binlog_free(d);
	return 0;
}
