/*
 * harness.h - the tiny test framework of ferry's C tests.
 *
 *   TEST(config_rejects_unknown_key) {
 *           CHECK(rc == FERRY_ECONFIG);
 *           CHECK_STR_EQ(e.msg, "f.yaml:3:5: unknown key \"hots\"");
 *   }
 *
 * Every TEST runs in its own forked child, so a crash or a failed CHECK
 * fails that test only.  A failed CHECK prints file:line and the values,
 * then ends the test.  The program prints one line per test and finally
 * "# <program>: N passed, M failed"; tests/run.sh adds those up.
 *
 * argv[1], when given, runs only the tests whose name contains it.
 * HARNESS_TIMEOUT (seconds, default 600) bounds each test.
 */
#ifndef FERRY_TEST_HARNESS_H
#define FERRY_TEST_HARNESS_H

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

typedef void (*harness_fn)(void);

void harness_register(const char *name, harness_fn fn);
void harness_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
/* Path of a fresh empty directory for this test, removed afterwards. */
const char *harness_tmpdir(void);
/* Environment variable that must be set (the harness exports server
 * details); fails the test with a clear message otherwise. */
const char *harness_env(const char *name);
/* Directory holding the test programs (for exec'ing helpers). */
const char *harness_bindir(void);

#define TEST(name)                                                      \
	static void name(void);                                         \
	__attribute__((constructor)) static void register_##name(void)  \
	{                                                               \
		harness_register(#name, name);                          \
	}                                                               \
	static void name(void)

#define CHECK(cond)                                                     \
	do {                                                            \
		if (!(cond))                                            \
			harness_fail(__FILE__, __LINE__, "CHECK(%s)",   \
				     #cond);                            \
	} while (0)

#define CHECK_MSG(cond, ...)                                            \
	do {                                                            \
		if (!(cond))                                            \
			harness_fail(__FILE__, __LINE__, __VA_ARGS__);  \
	} while (0)

#define CHECK_INT_EQ(a, b)                                              \
	do {                                                            \
		long long a_ = (long long)(a), b_ = (long long)(b);     \
		if (a_ != b_)                                           \
			harness_fail(__FILE__, __LINE__,                \
				     "%s == %s: %lld != %lld", #a, #b,  \
				     a_, b_);                           \
	} while (0)

#define CHECK_U64_EQ(a, b)                                              \
	do {                                                            \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);        \
		if (a_ != b_)                                           \
			harness_fail(__FILE__, __LINE__,                \
				     "%s == %s: %" PRIu64 " != %" PRIu64, \
				     #a, #b, a_, b_);                   \
	} while (0)

#define CHECK_STR_EQ(a, b)                                              \
	do {                                                            \
		const char *a_ = (a), *b_ = (b);                        \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                  \
			harness_fail(__FILE__, __LINE__,                \
				     "%s == %s:\n  got:      \"%s\"\n"   \
				     "  expected: \"%s\"", #a, #b,      \
				     a_ ? a_ : "(null)",                \
				     b_ ? b_ : "(null)");               \
	} while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                 \
	do {                                                            \
		const char *h_ = (hay), *n_ = (needle);                 \
		if (!h_ || !strstr(h_, n_))                             \
			harness_fail(__FILE__, __LINE__,                \
				     "\"%s\" does not contain \"%s\"",  \
				     h_ ? h_ : "(null)", n_);           \
	} while (0)

/* rc must be 0; `e` is a struct err whose message is shown otherwise */
#define CHECK_OK(rc, e)                                                 \
	do {                                                            \
		int rc_ = (rc);                                         \
		if (rc_ != 0)                                           \
			harness_fail(__FILE__, __LINE__,                \
				     "%s returned %d: %s", #rc, rc_,    \
				     (e).msg);                          \
	} while (0)

#endif
