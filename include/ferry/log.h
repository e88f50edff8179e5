/*
 * log.h - one line per event on stderr.
 *
 * Line shape (fields are key=value, values with spaces are quoted):
 *
 *   2026-11-21T22:41:03.512Z INFO  source: connected host=127.0.0.1 port=5432
 *
 * Under systemd (JOURNAL_STREAM set) the timestamp is left out, journald
 * adds its own, and the line starts with the syslog level as "<N>" so that
 * journalctl -p works.  The message is what the caller formats; by
 * convention a short lowercase message first, then key=value fields.
 *
 * The macros test the level before evaluating their arguments, so a debug
 * line costs one compare when debug is off.  Thread-safe: each line is one
 * write(2).  Never log a password: nothing in ferry passes one here.
 */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

#include "ferry/err.h"

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

extern int log_threshold;	/* read by the macros only */

void log_set_level(enum log_level level);
/* "error", "warn", "info", "debug" -> level; FERRY_EINVAL otherwise. */
int log_level_parse(const char *name, enum log_level *out) FERRY_MUSTCHECK;
/* Force (1) or forbid (0) the journald line shape; -1 detects. */
void log_set_journal(int on);

void log_write(enum log_level level, const char *component,
	       const char *fmt, ...) FERRY_PRINTF(3, 4);

#define log_at(lvl, comp, ...)                                          \
	do {                                                            \
		if ((int)(lvl) <= log_threshold)                        \
			log_write((lvl), (comp), __VA_ARGS__);          \
	} while (0)

#define log_error(comp, ...) log_at(LOG_LEVEL_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_at(LOG_LEVEL_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...) log_at(LOG_LEVEL_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...) log_at(LOG_LEVEL_DEBUG, comp, __VA_ARGS__)

#endif
