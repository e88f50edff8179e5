/*
 * pos.c - text form and order of source positions (see pos.h).
 */
#include "ferry/pos.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *pos_format(const struct ferry_pos *p, char *out, size_t n)
{
	switch (p->kind) {
	case POS_PG:
		snprintf(out, n, "pg:%X/%X", (unsigned)(p->lsn >> 32),
			 (unsigned)p->lsn);
		break;
	case POS_MYSQL:
		if (p->gtid[0])
			snprintf(out, n, "mysql:%s:%" PRIu64 ";gtid=%s",
				 p->file, p->offset, p->gtid);
		else
			snprintf(out, n, "mysql:%s:%" PRIu64, p->file,
				 p->offset);
		break;
	default:
		snprintf(out, n, "none");
	}
	return out;
}

static int parse_hex32(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 8)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -1;
		v = v * 16 + (uint64_t)d;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_pg(const char *s, struct ferry_pos *p, struct err *e)
{
	const char *slash = strchr(s, '/');
	uint32_t hi, lo;

	if (!slash || parse_hex32(s, (size_t)(slash - s), &hi) ||
	    parse_hex32(slash + 1, strlen(slash + 1), &lo))
		return err_set(e, FERRY_EINVAL,
			       "invalid PostgreSQL LSN \"%s\"", s);
	p->kind = POS_PG;
	p->lsn = (uint64_t)hi << 32 | lo;
	return 0;
}

static int parse_mysql(const char *s, struct ferry_pos *p, struct err *e)
{
	const char *gtid = strstr(s, ";gtid=");
	size_t head = gtid ? (size_t)(gtid - s) : strlen(s);
	const char *colon = memrchr(s, ':', head);
	size_t flen;
	char num[32];
	char *end;

	if (!colon || colon == s)
		return err_set(e, FERRY_EINVAL,
			       "invalid binlog position \"%s\": expected "
			       "FILE:OFFSET", s);
	flen = (size_t)(colon - s);
	if (flen >= sizeof(p->file) ||
	    head - flen - 1 >= sizeof(num) || head - flen - 1 == 0)
		return err_set(e, FERRY_EINVAL,
			       "invalid binlog position \"%s\"", s);
	memcpy(num, colon + 1, head - flen - 1);
	num[head - flen - 1] = '\0';
	errno = 0;
	p->offset = strtoull(num, &end, 10);
	if (errno || *end || num[0] == '-')
		return err_set(e, FERRY_EINVAL,
			       "invalid binlog offset \"%s\"", num);
	if (gtid && strlen(gtid + 6) >= sizeof(p->gtid))
		return err_set(e, FERRY_EINVAL, "GTID set too long (%zu bytes)",
			       strlen(gtid + 6));
	p->kind = POS_MYSQL;
	memcpy(p->file, s, flen);
	p->file[flen] = '\0';
	snprintf(p->gtid, sizeof(p->gtid), "%s", gtid ? gtid + 6 : "");
	return 0;
}

int pos_parse(const char *s, struct ferry_pos *p, struct err *e)
{
	memset(p, 0, sizeof(*p));
	if (strcmp(s, "none") == 0)
		return 0;
	if (strncmp(s, "pg:", 3) == 0)
		return parse_pg(s + 3, p, e);
	if (strncmp(s, "mysql:", 6) == 0)
		return parse_mysql(s + 6, p, e);
	return err_set(e, FERRY_EINVAL,
		       "invalid source position \"%s\": expected pg:X/X or "
		       "mysql:FILE:OFFSET", s);
}

/* numeric suffix of "mysql-bin.000042": files rotate by counting it up */
static uint64_t file_seq(const char *f)
{
	const char *dot = strrchr(f, '.');

	return dot ? strtoull(dot + 1, NULL, 10) : 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

int pos_cmp(const struct ferry_pos *a, const struct ferry_pos *b)
{
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	switch (a->kind) {
	case POS_PG:
		return cmp_u64(a->lsn, b->lsn);
	case POS_MYSQL: {
		int c = cmp_u64(file_seq(a->file), file_seq(b->file));

		return c ? c : cmp_u64(a->offset, b->offset);
	}
	default:
		return 0;
	}
}
