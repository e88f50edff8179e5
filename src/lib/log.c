/*
 * log.c - one line per event on stderr (see log.h for the line shape).
 */
#include "ferry/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int log_threshold = LOG_LEVEL_INFO;
static int log_journal = -1;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/* syslog priorities: err 3, warning 4, info 6, debug 7 */
static const int level_syslog[] = { 3, 4, 6, 7 };

void log_set_level(enum log_level level)
{
	log_threshold = (int)level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return FERRY_EINVAL;
}

void log_set_journal(int on)
{
	log_journal = on;
}

static int journal_mode(void)
{
	if (log_journal < 0)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	return log_journal;
}

void log_write(enum log_level level, const char *component,
	       const char *fmt, ...)
{
	char line[4096];
	size_t n = 0;
	va_list ap;
	int w;

	if (journal_mode()) {
		w = snprintf(line, sizeof(line), "<%d>%s: ",
			     level_syslog[level], component);
	} else {
		struct timespec ts;
		struct tm tm;
		char upper[8];
		size_t i;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		for (i = 0; level_names[level][i] && i < sizeof(upper) - 1;
		     i++)
			upper[i] = (char)(level_names[level][i] - 'a' + 'A');
		upper[i] = '\0';
		w = snprintf(line, sizeof(line),
			     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec,
			     ts.tv_nsec / 1000000, upper, component);
	}
	if (w > 0)
		n = (size_t)w < sizeof(line) ? (size_t)w : sizeof(line) - 1;
	va_start(ap, fmt);
	w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (w > 0)
		n += (size_t)w < sizeof(line) - n ? (size_t)w
						  : sizeof(line) - n - 1;
	/* a message must stay one line, whatever it quotes */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* one write per line keeps lines whole across threads */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
