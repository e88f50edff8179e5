/*
 * fuzz_pgoutput.c - libFuzzer target for the pgoutput decoder.
 *
 * The input is split at 0xFF 0xFF 0xFF 0xFF into several messages decoded
 * in turn by one decoder, so the fuzzer can first describe relations and
 * then send rows against them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ferry/pgoutput.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sep[4] = { 0xff, 0xff, 0xff, 0xff };
	struct pgoutput *d = pgoutput_new();
	size_t off = 0;

	while (off <= size) {
		const uint8_t *end = memmem(data + off, size - off, sep, 4);
		size_t n = end ? (size_t)(end - (data + off)) : size - off;
		struct change *c = NULL;
		struct err e;
		char type;

		if (pgoutput_decode(d, data + off, n, &c, &type, &e) == 0) {
			change_free(c);
			while ((c = pgoutput_take_pending(d)))
				change_free(c);
		}
		off += n + 4;
	}
	pgoutput_free(d);
	return 0;
}
