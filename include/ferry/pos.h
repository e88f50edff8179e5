/*
 * pos.h - a position in the source's change stream.
 *
 * PostgreSQL: the commit LSN.  MySQL/MariaDB: binlog file + offset of the
 * next event, plus the GTID (MariaDB "domain-server-seq" list, or a MySQL
 * GTID set) when the server has one.  A position is a value type; its text
 * form is what is stored (state store, target checkpoint table) and shown.
 *
 *	pg:16/B374D848
 *	mysql:mysql-bin.000003:4711
 *	mysql:mysql-bin.000003:4711;gtid=0-1-42
 */
#ifndef FERRY_POS_H
#define FERRY_POS_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"

enum ferry_pos_kind {
	POS_NONE = 0,
	POS_PG = 1,
	POS_MYSQL = 2,
};

#define POS_FILE_MAX 128
#define POS_GTID_MAX 1024
#define POS_TEXT_MAX (POS_FILE_MAX + POS_GTID_MAX + 64)

struct ferry_pos {
	enum ferry_pos_kind kind;
	uint64_t lsn;			/* POS_PG */
	char file[POS_FILE_MAX];	/* POS_MYSQL: binlog file name */
	uint64_t offset;		/* POS_MYSQL: offset in file */
	char gtid[POS_GTID_MAX];	/* POS_MYSQL: "" when unknown */
};

/* Text form into `out` (POS_TEXT_MAX is always enough); "none" for
 * POS_NONE.  Returns `out`. */
char *pos_format(const struct ferry_pos *p, char *out, size_t n);
/* Parse the text form.  FERRY_EINVAL with a message on bad text. */
int pos_parse(const char *s, struct ferry_pos *p, struct err *e)
	FERRY_MUSTCHECK;
/*
 * Order two positions of the same kind: <0, 0, >0.  MySQL compares the
 * numeric suffix of the file name, then the offset (the GTID is not used
 * for ordering).  Positions of different kinds compare by kind.
 */
int pos_cmp(const struct ferry_pos *a, const struct ferry_pos *b);

#endif
