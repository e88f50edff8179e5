/*
 * err.h - error codes and the error struct every fallible function fills.
 *
 * Convention: a fallible function returns 0 on success or a negative
 * FERRY_E* code, and, when it takes a `struct err *`, writes a human message
 * there.  Leaf modules fill the struct and never log; the caller decides
 * whether the error is transient (reconnect), about data (reject the row) or
 * fatal (stop).  err_set() returns the code it stored, so a failure path is
 * one line:
 *
 *	if (fd < 0)
 *		return err_set(e, FERRY_EIO, "could not open \"%s\": %s",
 *			       path, strerror(errno));
 *
 * A NULL `struct err *` is accepted everywhere and means "caller does not
 * want the message".
 */
#ifndef FERRY_ERR_H
#define FERRY_ERR_H

#include <stddef.h>

#define FERRY_MUSTCHECK __attribute__((warn_unused_result))
#define FERRY_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum ferry_errcode {
	FERRY_OK = 0,
	FERRY_EINVAL = -1,	/* bad argument or bad value */
	FERRY_ENOMEM = -2,	/* allocation refused (input-sized only) */
	FERRY_EIO = -3,		/* local file or system call failed */
	FERRY_ECONFIG = -4,	/* configuration or mapping is wrong */
	FERRY_EPROTO = -5,	/* bytes from a server violate the protocol */
	FERRY_ECONN = -6,	/* connection lost or refused: transient */
	FERRY_EFULL = -7,	/* a bounded store or buffer is full */
	FERRY_ECORRUPT = -8,	/* persistent state is damaged */
	FERRY_ETIMEDOUT = -9,	/* a wait ran out; try again */
	FERRY_ECLOSED = -10,	/* the queue or stream was closed */
	FERRY_ENOTFOUND = -11,	/* the key or object does not exist */
	FERRY_EEXIST = -12,	/* the key or object exists already */
	FERRY_EDATA = -13,	/* a row cannot be transformed: reject it */
	FERRY_ESQL = -14,	/* a statement on a server failed */
	FERRY_ESTATE = -15,	/* state does not allow this (e.g. mapping
				   changed, clock went backwards too far) */
	FERRY_ENOTSUP = -16,	/* not supported / not implemented */
	FERRY_ECANCELED = -17,	/* stopped by a shutdown request */
};

#define ERR_MSG_MAX 1024

struct err {
	int code;
	char msg[ERR_MSG_MAX];
};

/* Reset to "no error". */
void err_clear(struct err *e);

/*
 * Store `code` and a printf-formatted message; returns `code`.  A message
 * longer than ERR_MSG_MAX - 1 is truncated with "...".
 */
int err_set(struct err *e, int code, const char *fmt, ...) FERRY_PRINTF(3, 4);

/*
 * Put context in front of an existing message: "opening state: <old msg>".
 * Returns e->code so it can be used in a return statement.
 */
int err_prefix(struct err *e, const char *fmt, ...) FERRY_PRINTF(2, 3);

/* Short name of a code ("EPROTO"); never NULL. */
const char *ferry_strerror(int code);

/*
 * Checked size arithmetic for sizes that come from the wire or config.
 * Return 0 and store the result, or FERRY_EINVAL on overflow.
 */
int st_add(size_t a, size_t b, size_t *out) FERRY_MUSTCHECK;
int st_mult(size_t a, size_t b, size_t *out) FERRY_MUSTCHECK;

#endif
