/*
 * sink.c - pick the writer for the configured database (see sink.h).
 */
#include "ferry/sink.h"

int sink_open(const struct sink_params *p, struct sink **out, struct err *e)
{
	switch (p->db->driver) {
	case CONFIG_DRIVER_POSTGRESQL:
		return pg_sink_open(p, out, e);
	case CONFIG_DRIVER_MYSQL:
		return mysql_sink_open(p, out, e);
	}
	return err_set(e, FERRY_EINVAL, "unknown target driver");
}
