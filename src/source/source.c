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
		return err_set(e, FERRY_ENOTSUP, "the MySQL reader is not "
			       "part of this build yet");
	}
	return err_set(e, FERRY_EINVAL, "unknown source driver");
}
