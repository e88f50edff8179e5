/*
 * err.c - the error struct.  Layer 0: knows nothing about CDC.
 */
#include "ferry/err.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = FERRY_OK;
	e->msg[0] = '\0';
}

static void mark_truncated(char *msg, int n)
{
	/* vsnprintf reports the length it wanted; say so visibly */
	if (n >= ERR_MSG_MAX)
		memcpy(msg + ERR_MSG_MAX - 4, "...", 4);
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		e->msg[0] = '\0';
	mark_truncated(e->msg, n);
	return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char old[ERR_MSG_MAX];
	char pre[ERR_MSG_MAX];
	va_list ap;
	int n;

	if (!e)
		return FERRY_EINVAL;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	if (n < 0)
		pre[0] = '\0';
	n = snprintf(e->msg, sizeof(e->msg), "%s: %s", pre, old);
	mark_truncated(e->msg, n);
	return e->code;
}

const char *ferry_strerror(int code)
{
	switch (code) {
	case FERRY_OK: return "OK";
	case FERRY_EINVAL: return "EINVAL";
	case FERRY_ENOMEM: return "ENOMEM";
	case FERRY_EIO: return "EIO";
	case FERRY_ECONFIG: return "ECONFIG";
	case FERRY_EPROTO: return "EPROTO";
	case FERRY_ECONN: return "ECONN";
	case FERRY_EFULL: return "EFULL";
	case FERRY_ECORRUPT: return "ECORRUPT";
	case FERRY_ETIMEDOUT: return "ETIMEDOUT";
	case FERRY_ECLOSED: return "ECLOSED";
	case FERRY_ENOTFOUND: return "ENOTFOUND";
	case FERRY_EEXIST: return "EEXIST";
	case FERRY_EDATA: return "EDATA";
	case FERRY_ESQL: return "ESQL";
	case FERRY_ESTATE: return "ESTATE";
	case FERRY_ENOTSUP: return "ENOTSUP";
	case FERRY_ECANCELED: return "ECANCELED";
	}
	return "EUNKNOWN";
}

int st_add(size_t a, size_t b, size_t *out)
{
	if (a > SIZE_MAX - b)
		return FERRY_EINVAL;
	*out = a + b;
	return 0;
}

int st_mult(size_t a, size_t b, size_t *out)
{
	if (a && b > SIZE_MAX / a)
		return FERRY_EINVAL;
	*out = a * b;
	return 0;
}
