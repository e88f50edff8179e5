/*
 * source.c - pick the reader for the configured database (see source.h).
 */
#include "ferry/source.h"

int source_open(const struct source_params *p, struct source **out,
		struct err *e)
{
	switch (p->db->driver) {
	case CONFIG_DRIVER_POSTGRESQL:
		return pg_source_open(p, out, e);
	case CONFIG_DRIVER_MYSQL:
		return mysql_source_open(p, out, e);
	}
	return err_set(e, FERRY_EINVAL, "unknown source driver");
}
