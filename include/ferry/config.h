/*
 * config.h - ferry's configuration file, parsed into a typed struct.
 *
 * The file is YAML (conf/ferry.yaml documents every key).  config_load()
 * checks everything that can be checked without connecting anywhere:
 * unknown keys (with the nearest valid key suggested), wrong types, missing
 * required keys, bad enum values, out-of-range numbers, and password files
 * that are unreadable or readable by group/others.  Its error message always
 * has the shape
 *
 *	FILE:LINE:COLUMN: what is wrong
 *
 * (1-based line and column of the offending key or value) so that editors
 * can jump to it.
 *
 * Passwords: the struct holds only *where* a password comes from; the
 * secret itself is read by config_read_password() at connect time into a
 * caller-owned buffer and never logged.
 */
#ifndef FERRY_CONFIG_H
#define FERRY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"
#include "ferry/log.h"

enum config_driver {
	CONFIG_DRIVER_POSTGRESQL = 1,
	CONFIG_DRIVER_MYSQL = 2,
};

enum config_sslmode {
	CONFIG_SSL_DEFAULT = 0,	/* key absent: the driver's default */
	CONFIG_SSL_DISABLE,
	CONFIG_SSL_ALLOW,
	CONFIG_SSL_PREFER,
	CONFIG_SSL_REQUIRE,
	CONFIG_SSL_VERIFY_CA,
	CONFIG_SSL_VERIFY_FULL,
};

/* One database endpoint.  Strings are owned by the struct config. */
struct config_db {
	enum config_driver driver;
	char *host;
	int port;		/* 0 in the file -> 5432 or 3306 by driver */
	char *user;
	char *database;
	char *password_file;	/* absolute path, or NULL */
	char *password_env;	/* variable name, or NULL */
	enum config_sslmode sslmode;
	char *ssl_ca;		/* absolute path, or NULL */
	/* source only */
	char *slot;		/* PostgreSQL replication slot */
	char *publication;	/* PostgreSQL publication */
	uint32_t server_id;	/* MySQL replica server id */
};

struct config {
	char *path;		/* the file this came from, as given */
	struct config_db source;
	struct config_db target;
	char *mapping;		/* absolute path of the mapping file */
	char *state_dir;	/* absolute path */
	char **projects;	/* projects.include: names or ids */
	size_t nprojects;	/* 0 = every project */
	int batch_max_rows;
	int batch_max_delay_ms;
	int batch_bulk_min_rows;	/* MariaDB array binding; 0: never */
	int queue_max_changes;	/* reader -> apply queue, in changes */
	size_t queue_max_bytes;	/* ... and in bytes */
	size_t txn_max_bytes;	/* source txn kept in memory before spilling */
	size_t state_map_size;	/* LMDB map size at open, bytes */
	size_t state_max_map_size; /* growth ceiling, bytes */
	int code_machine_id;	/* snowflake machine id reserved for ferry */
	char *metrics_listen;	/* "127.0.0.1:9187", or NULL = off */
	enum log_level log_level;
};

/*
 * Parse and validate `path`.  On success fills `*cfg` (release it with
 * config_release()).  On failure returns FERRY_ECONFIG (or FERRY_EIO if the
 * file cannot be read) with "FILE:LINE:COLUMN: reason" in `e`, and `*cfg`
 * holds nothing to release.  Relative paths in the file are resolved
 * against the directory of `path`.  Does not connect anywhere.
 */
int config_load(const char *path, struct config *cfg, struct err *e)
	FERRY_MUSTCHECK;

/*
 * The same from `len` bytes at `data` (borrowed for the call; the fuzzer
 * and tests use it).  `name` stands for the file in messages and becomes
 * cfg->path; relative paths resolve against `base_dir` (NULL: the current
 * directory), which must exist (FERRY_EIO otherwise).  Password files are
 * checked exactly as by config_load().
 */
int config_load_buffer(const char *name, const char *data, size_t len,
		       const char *base_dir, struct config *cfg,
		       struct err *e) FERRY_MUSTCHECK;

/* Free what config_load() filled and zero *cfg; a zeroed cfg is fine. */
void config_release(struct config *cfg);

/*
 * Read the password of `db` into `out` (size `outsz`, NUL-terminated, one
 * trailing newline stripped).  An endpoint without password_file and
 * password_env yields "" (trust/peer/cert auth).  Errors name the file or
 * variable, never the secret.  The caller should wipe `out` after use.
 */
int config_read_password(const struct config_db *db, char *out, size_t outsz,
			 struct err *e) FERRY_MUSTCHECK;

const char *config_driver_name(enum config_driver d);
const char *config_sslmode_name(enum config_sslmode m);

#endif
