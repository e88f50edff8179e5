/*
 * config.c - ferry.yaml -> struct config (see ferry/config.h).
 *
 * Startup, before anything connects: the CLI calls config_load(), which
 * parses the file into a YAML tree (yaml.c) and walks it against ONE
 * static table, `keys` below.  Each row gives a key's dotted YAML path,
 * its type, where it lands in struct config, its default (as text, so a
 * default goes through exactly the conversion and range check a value
 * from the file would), its range or valid names, flags, and an optional
 * validator.  The same table drives unknown-key detection with "did you
 * mean" suggestions, required-key checks, defaults, and config_release().
 *
 * Every error points into the file ("FILE:LINE:COLUMN: reason") at the
 * key or value it is about; a missing key points at its parent's key, or
 * at 1:1 for a top-level key.  Values are quoted in messages (shortened),
 * except those of password keys: a secret pasted into the wrong key must
 * not end up in a log.  The password itself is only read by
 * config_read_password(), at connect time.
 */
#include "ferry/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/mem.h"
#include "ferry/ydoc.h"

#define MIB ((size_t)1024 * 1024)

enum key_type {
	KT_SECTION,	/* a mapping of further keys */
	KT_DB,		/* a section that fills a struct config_db */
	KT_STRING,	/* char *, non-empty */
	KT_PATH,	/* char *, made absolute against the config's dir */
	KT_INT,		/* int, within [min, max] */
	KT_U32,		/* uint32_t, within [min, max] */
	KT_MB,		/* size_t bytes, written in the file in MiB */
	KT_ENUM,	/* an enum, written as one of `names` */
	KT_LIST,	/* char ** + size_t count: a sequence of scalars */
};

enum key_flags {
	KEY_REQUIRED = 1 << 0,
	KEY_PG_ONLY = 1 << 1,	/* only with driver postgresql */
	KEY_MYSQL_ONLY = 1 << 2,	/* only with driver mysql */
	KEY_NO_ECHO = 1 << 3,	/* never quote the value in a message */
	/*
	 * May change on SIGHUP (style.md 3.4.8).  Nothing reads this yet:
	 * reload is the CLI's job; the flag records the decision here.
	 */
	KEY_RELOADABLE = 1 << 4,
};

struct enum_name {
	const char *name;
	int value;
};

struct key {
	const char *path;	/* dotted YAML path, e.g. "source.port" */
	enum key_type type;
	size_t off;		/* offsetof(struct config, field) */
	size_t off_count;	/* KT_LIST: offset of the size_t count */
	const char *def;	/* default as it would be written, or NULL */
	const char *def_mysql;	/* default when the driver is mysql */
	long long min, max;	/* KT_INT, KT_U32, KT_MB */
	const struct enum_name *names;	/* KT_ENUM, ends with { NULL } */
	unsigned flags;		/* enum key_flags */
	/* extra check of a string value: NULL if fine, else the reason */
	const char *(*check)(const char *value);
};

static const struct enum_name driver_names[] = {
	{ "postgresql", CONFIG_DRIVER_POSTGRESQL },
	{ "mysql", CONFIG_DRIVER_MYSQL },
	{ NULL, 0 },
};

static const struct enum_name sslmode_names[] = {
	{ "disable", CONFIG_SSL_DISABLE },
	{ "allow", CONFIG_SSL_ALLOW },
	{ "prefer", CONFIG_SSL_PREFER },
	{ "require", CONFIG_SSL_REQUIRE },
	{ "verify-ca", CONFIG_SSL_VERIFY_CA },
	{ "verify-full", CONFIG_SSL_VERIFY_FULL },
	{ NULL, 0 },
};

static const struct enum_name log_level_names[] = {
	{ "error", LOG_LEVEL_ERROR },
	{ "warn", LOG_LEVEL_WARN },
	{ "info", LOG_LEVEL_INFO },
	{ "debug", LOG_LEVEL_DEBUG },
	{ NULL, 0 },
};

/* KT_ENUM fields are written as int: every enum here must be int-sized */
_Static_assert(sizeof(enum config_driver) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_sslmode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum size");

static const char *check_env_name(const char *v);
static const char *check_slot_name(const char *v);
static const char *check_listen(const char *v);

#define OFF(field) offsetof(struct config, field)

/* The keys every endpoint has, for `sec` = "source" or "target". */
#define DB_KEYS(sec, f)                                                 \
	{ .path = #sec, .type = KT_DB, .off = OFF(f),                   \
	  .flags = KEY_REQUIRED },                                      \
	{ .path = #sec ".driver", .type = KT_ENUM, .off = OFF(f.driver), \
	  .names = driver_names, .flags = KEY_REQUIRED },               \
	{ .path = #sec ".host", .type = KT_STRING, .off = OFF(f.host),  \
	  .flags = KEY_REQUIRED },                                      \
	{ .path = #sec ".port", .type = KT_INT, .off = OFF(f.port),     \
	  .def = "5432", .def_mysql = "3306", .min = 1, .max = 65535 }, \
	{ .path = #sec ".user", .type = KT_STRING, .off = OFF(f.user),  \
	  .flags = KEY_REQUIRED },                                      \
	{ .path = #sec ".database", .type = KT_STRING,                  \
	  .off = OFF(f.database), .flags = KEY_REQUIRED },              \
	{ .path = #sec ".password_file", .type = KT_PATH,               \
	  .off = OFF(f.password_file), .flags = KEY_NO_ECHO },          \
	{ .path = #sec ".password_env", .type = KT_STRING,              \
	  .off = OFF(f.password_env), .flags = KEY_NO_ECHO,             \
	  .check = check_env_name },                                    \
	{ .path = #sec ".sslmode", .type = KT_ENUM, .off = OFF(f.sslmode), \
	  .names = sslmode_names },                                     \
	{ .path = #sec ".ssl_ca", .type = KT_PATH, .off = OFF(f.ssl_ca) }

static const struct key keys[] = {
	DB_KEYS(source, source),
	{ .path = "source.slot", .type = KT_STRING, .off = OFF(source.slot),
	  .def = "ferry", .flags = KEY_PG_ONLY, .check = check_slot_name },
	{ .path = "source.publication", .type = KT_STRING,
	  .off = OFF(source.publication), .def = "ferry",
	  .flags = KEY_PG_ONLY, .check = check_slot_name },
	{ .path = "source.server_id", .type = KT_U32,
	  .off = OFF(source.server_id), .def = "4200", .min = 1,
	  .max = 4294967295LL, .flags = KEY_MYSQL_ONLY },
	DB_KEYS(target, target),
	{ .path = "mapping", .type = KT_PATH, .off = OFF(mapping),
	  .flags = KEY_REQUIRED },
	{ .path = "state_dir", .type = KT_PATH, .off = OFF(state_dir),
	  .def = "/var/lib/ferry" },
	{ .path = "projects", .type = KT_SECTION },
	{ .path = "projects.include", .type = KT_LIST, .off = OFF(projects),
	  .off_count = OFF(nprojects), .flags = KEY_RELOADABLE },
	{ .path = "batch", .type = KT_SECTION },
	{ .path = "batch.max_rows", .type = KT_INT,
	  .off = OFF(batch_max_rows), .def = "5000", .min = 1,
	  .max = 1000000, .flags = KEY_RELOADABLE },
	{ .path = "batch.max_delay_ms", .type = KT_INT,
	  .off = OFF(batch_max_delay_ms), .def = "200", .min = 0,
	  .max = 600000, .flags = KEY_RELOADABLE },
	{ .path = "batch.bulk_min_rows", .type = KT_INT,
	  .off = OFF(batch_bulk_min_rows), .def = "8", .min = 0,
	  .max = 1000000 },
	{ .path = "limits", .type = KT_SECTION },
	{ .path = "limits.queue_max_changes", .type = KT_INT,
	  .off = OFF(queue_max_changes), .def = "10000", .min = 1,
	  .max = 10000000 },
	{ .path = "limits.queue_max_mb", .type = KT_MB,
	  .off = OFF(queue_max_bytes), .def = "256", .min = 1,
	  .max = 1048576 },
	{ .path = "limits.txn_memory_mb", .type = KT_MB,
	  .off = OFF(txn_max_bytes), .def = "512", .min = 1,
	  .max = 1048576 },
	{ .path = "limits.state_map_mb", .type = KT_MB,
	  .off = OFF(state_map_size), .def = "64", .min = 1,
	  .max = 16777216 },
	{ .path = "limits.state_max_map_mb", .type = KT_MB,
	  .off = OFF(state_max_map_size), .def = "65536", .min = 1,
	  .max = 16777216 },
	{ .path = "codes", .type = KT_SECTION },
	{ .path = "codes.machine_id", .type = KT_INT,
	  .off = OFF(code_machine_id), .def = "31", .min = 0, .max = 31 },
	{ .path = "metrics", .type = KT_SECTION },
	{ .path = "metrics.listen", .type = KT_STRING,
	  .off = OFF(metrics_listen), .check = check_listen },
	{ .path = "log", .type = KT_SECTION },
	{ .path = "log.level", .type = KT_ENUM, .off = OFF(log_level),
	  .def = "info", .names = log_level_names,
	  .flags = KEY_RELOADABLE },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* State of one load. */
struct loader {
	const struct ydoc *doc;
	struct config *cfg;
	char *base;		/* canonical directory for relative paths */
	/* where each row was set in the file; NULL = not set (or null) */
	const struct ydoc_node *key_at[NKEYS];
	const struct ydoc_node *val_at[NKEYS];
	struct err *e;
};

/* --- validators: NULL when fine, else what the value must look like --- */

static const char *check_env_name(const char *v)
{
	if (!((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') ||
	      *v == '_'))
		return "must be an environment variable name ([A-Za-z_]"
		       "[A-Za-z0-9_]*)";
	for (v++; *v; v++)
		if (!((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') ||
		      (*v >= '0' && *v <= '9') || *v == '_'))
			return "must be an environment variable name "
			       "([A-Za-z_][A-Za-z0-9_]*)";
	return NULL;
}

/*
 * Replication slot names are limited by PostgreSQL to lowercase letters,
 * digits and underscores within NAMEDATALEN - 1 bytes; we hold publication
 * names to the same rule so neither ever needs quoting in SQL.
 */
static const char *check_slot_name(const char *v)
{
	size_t n = strlen(v);

	if (n > 63)
		return "must be at most 63 characters";
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') ||
		      *v == '_'))
			return "must contain only lowercase letters, digits "
			       "and underscores";
	return NULL;
}

/* HOST:PORT or [IPV6]:PORT, port 1..65535 */
static const char *check_listen(const char *v)
{
	static const char *const why = "must be HOST:PORT or [IPV6]:PORT "
				       "with a port from 1 to 65535";
	const char *colon, *p;
	long port = 0;

	if (*v == '[') {
		const char *close = strchr(v, ']');

		if (!close || close == v + 1 || close[1] != ':')
			return why;
		colon = close + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon || colon == v || memchr(v, ':', (size_t)(colon - v)))
			return why;
	}
	for (p = v; p < colon; p++)
		if (*p == ' ' || *p == '\t' || *p == '/')
			return why;
	p = colon + 1;
	if (!*p)
		return why;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return why;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535 ? NULL : why;
}

/* --- table helpers --- */

static const char *leaf(const struct key *k)
{
	const char *dot = strrchr(k->path, '.');

	return dot ? dot + 1 : k->path;
}

/* Is row `k` directly inside section `sec` (NULL: the top level)? */
static bool is_child(const struct key *k, const struct key *sec)
{
	size_t n;

	if (!sec)
		return strchr(k->path, '.') == NULL;
	n = strlen(sec->path);
	return strncmp(k->path, sec->path, n) == 0 && k->path[n] == '.' &&
	       strchr(k->path + n + 1, '.') == NULL;
}

/* The row for key text (`len` bytes, may hold anything) inside `sec`. */
static const struct key *find_child(const struct key *sec, const char *s,
				    size_t len)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const char *l = leaf(&keys[i]);

		if (is_child(&keys[i], sec) && strlen(l) == len &&
		    memcmp(l, s, len) == 0)
			return &keys[i];
	}
	return NULL;
}

static const struct key *section_of(const struct key *k)
{
	for (size_t i = 0; i < NKEYS; i++)
		if ((keys[i].type == KT_SECTION || keys[i].type == KT_DB) &&
		    is_child(k, &keys[i]))
			return &keys[i];
	return NULL;
}

static size_t row(const struct key *k)
{
	return (size_t)(k - keys);
}

static void *dest(struct loader *ld, const struct key *k)
{
	return (char *)ld->cfg + k->off;
}

/* The endpoint a row belongs to, or NULL outside source/target. */
static struct config_db *db_of(struct loader *ld, const struct key *k)
{
	const struct key *sec = section_of(k);

	return sec && sec->type == KT_DB ? dest(ld, sec) : NULL;
}

/*
 * Copy at most 60 bytes of a value for a message, so a runaway value
 * cannot push the position and reason out of the message.
 */
static const char *shorten(const char *s, char *out, size_t outsz)
{
	size_t n = strlen(s);

	if (n < outsz)
		return s;
	snprintf(out, outsz, "%.*s...", (int)(outsz - 4), s);
	return out;
}

/*
 * Optimal string alignment distance (Levenshtein plus adjacent
 * transposition, so "hots" is 1 from "host").  Only short strings are
 * compared: anything longer than a key name is no typo of one.
 */
static size_t edit_distance(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), rows[3][65];
	size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];

	if (alen > 64 || blen > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= blen; j++)
		prev[j] = j;
	for (size_t i = 1; i <= alen; i++) {
		size_t *t;

		cur[0] = i;
		for (size_t j = 1; j <= blen; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = prev[j - 1] + cost;

			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
		t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[blen];
}

/* The sibling key in `sec` closest to `s`, if close enough to suggest. */
static const char *suggest(const struct key *sec, const char *s, size_t len)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX;

	for (size_t i = 0; i < NKEYS; i++) {
		const char *l = leaf(&keys[i]);
		size_t d;

		if (!is_child(&keys[i], sec))
			continue;
		d = edit_distance(s, len, l);
		/* at most 2 edits, and fewer than half the name */
		if (d <= 2 && d * 2 <= strlen(l) && d < bestd) {
			best = l;
			bestd = d;
		}
	}
	return best;
}

/* --- errors --- */

static int unknown_key(struct loader *ld, const struct key *sec,
		       const struct ydoc_node *k)
{
	size_t len;
	const char *s = ydoc_text(k, &len), *hint;
	char sh[64];
	const char *shown = shorten(s, sh, sizeof(sh));

	if (!sec) {
		hint = suggest(NULL, s, len);
		if (hint)
			return ydoc_error(ld->doc, k, ld->e,
					  "unknown key \"%s\" (did you mean "
					  "\"%s\"?)", shown, hint);
		return ydoc_error(ld->doc, k, ld->e, "unknown key \"%s\"",
				  shown);
	}
	/* "slot" under target: say where it does belong */
	if (sec->type == KT_DB) {
		for (size_t i = 0; i < NKEYS; i++) {
			const struct key *other = &keys[i];

			if (other->type == KT_DB && other != sec &&
			    find_child(other, s, len))
				return ydoc_error(ld->doc, k, ld->e,
						  "unknown key \"%s\" in "
						  "\"%s\" (it is only valid "
						  "under \"%s\")", shown,
						  sec->path, other->path);
		}
	}
	hint = suggest(sec, s, len);
	if (hint)
		return ydoc_error(ld->doc, k, ld->e, "unknown key \"%s\" in "
				  "\"%s\" (did you mean \"%s\"?)", shown,
				  sec->path, hint);
	return ydoc_error(ld->doc, k, ld->e, "unknown key \"%s\" in \"%s\"",
			  shown, sec->path);
}

/* What a row's value must be, for "must be X, got Y" messages. */
static void describe(const struct key *k, char *out, size_t outsz)
{
	size_t n = 0;

	switch (k->type) {
	case KT_SECTION:
	case KT_DB:
		snprintf(out, outsz, "a mapping");
		return;
	case KT_LIST:
		snprintf(out, outsz, "a sequence of names or ids");
		return;
	case KT_STRING:
	case KT_PATH:
		snprintf(out, outsz, "a string");
		return;
	case KT_INT:
	case KT_U32:
	case KT_MB:
		snprintf(out, outsz, "an integer");
		return;
	case KT_ENUM:
		break;
	}
	n = (size_t)snprintf(out, outsz, "one of");
	for (const struct enum_name *en = k->names; en->name && n < outsz;
	     en++)
		n += (size_t)snprintf(out + n, outsz - n, "%s %s",
				      en == k->names ? "" : ",", en->name);
}

static int wrong_kind(struct loader *ld, const struct key *k,
		      const struct ydoc_node *v)
{
	char want[160];

	describe(k, want, sizeof(want));
	return ydoc_error(ld->doc, v, ld->e, "\"%s\" must be %s, got a %s",
			  k->path, want, ydoc_kind_name(ydoc_kind(v)));
}

/* "must be X, got "text"", leaving the text out of password keys */
static int bad_value(struct loader *ld, const struct key *k,
		     const struct ydoc_node *at, const char *want,
		     const char *text)
{
	char sh[64];

	if (k->flags & KEY_NO_ECHO)
		return ydoc_error(ld->doc, at, ld->e, "\"%s\" %s", k->path,
				  want);
	return ydoc_error(ld->doc, at, ld->e, "\"%s\" %s, got \"%s\"",
			  k->path, want, shorten(text, sh, sizeof(sh)));
}

/* --- values --- */

/*
 * Make `rel` absolute against the canonical config directory.  Leading
 * "./" and "../" are folded into the directory: that is exact because the
 * directory came from realpath() and holds no symlinks.  Later ".." are
 * left alone, since the component before them might be a symlink.
 */
static char *resolve_path(const char *base, const char *rel)
{
	size_t blen = strlen(base), rlen;
	char *out;

	if (rel[0] == '/')
		return xstrdup(rel);
	for (;;) {
		if (rel[0] == '.' && rel[1] == '/') {
			rel += 2;
		} else if (rel[0] == '/') {
			rel++;
		} else if (rel[0] == '.' && rel[1] == '.' &&
			   (rel[2] == '/' || rel[2] == '\0')) {
			while (blen > 1 && base[blen - 1] != '/')
				blen--;
			if (blen > 1)
				blen--;		/* the slash itself */
			rel += rel[2] ? 3 : 2;
		} else if (rel[0] == '.' && rel[1] == '\0') {
			rel++;
		} else {
			break;
		}
	}
	rlen = strlen(rel);
	out = xmalloc(blen + 1 + rlen + 1);
	memcpy(out, base, blen);
	if (!rlen) {
		out[blen] = '\0';
	} else if (blen == 1 && base[0] == '/') {
		memcpy(out + 1, rel, rlen + 1);
	} else {
		out[blen] = '/';
		memcpy(out + blen + 1, rel, rlen + 1);
	}
	return out;
}

/*
 * Convert and store one scalar for row `k`.  `at` is the node to point at
 * in errors; NULL for a default from the table (which is valid by
 * construction: the unit tests load the defaults).
 */
static int store(struct loader *ld, const struct key *k, const char *s,
		 size_t len, const struct ydoc_node *at)
{
	const char *why;
	int64_t v;
	int rc;

	if (strlen(s) != len)
		return ydoc_error(ld->doc, at, ld->e, "\"%s\" must not contain "
				  "a NUL byte", k->path);
	switch (k->type) {
	case KT_STRING:
	case KT_PATH: {
		char **dst = dest(ld, k);

		if (!len)
			return ydoc_error(ld->doc, at, ld->e,
					  "\"%s\" must not be empty", k->path);
		why = k->check ? k->check(s) : NULL;
		if (why)
			return bad_value(ld, k, at, why, s);
		free(*dst);
		*dst = k->type == KT_PATH ? resolve_path(ld->base, s)
					  : xstrdup(s);
		return 0;
	}
	case KT_INT:
	case KT_U32:
	case KT_MB: {
		char want[96];
		size_t bytes;

		rc = ydoc_parse_i64(s, len, &v);
		if (rc == FERRY_EINVAL)
			return bad_value(ld, k, at, "must be an integer", s);
		if (rc || v < k->min || v > k->max) {
			snprintf(want, sizeof(want), "must be between %lld and "
				 "%lld", k->min, k->max);
			return bad_value(ld, k, at, want, s);
		}
		if (k->type == KT_INT) {
			*(int *)dest(ld, k) = (int)v;
		} else if (k->type == KT_U32) {
			*(uint32_t *)dest(ld, k) = (uint32_t)v;
		} else {
			/* size_t may be 32 bits: check MiB -> bytes */
			if (st_mult((size_t)v, MIB, &bytes))
				return bad_value(ld, k, at, "is too large for "
						 "this platform", s);
			*(size_t *)dest(ld, k) = bytes;
		}
		return 0;
	}
	case KT_ENUM: {
		char want[160], sh[64];
		int val;

		for (const struct enum_name *en = k->names; en->name; en++) {
			if (strcmp(en->name, s) == 0) {
				val = en->value;
				memcpy(dest(ld, k), &val, sizeof(val));
				return 0;
			}
		}
		describe(k, want, sizeof(want));
		return ydoc_error(ld->doc, at, ld->e, "\"%s\" must be %s, got "
				  "\"%s\"", k->path, want,
				  shorten(s, sh, sizeof(sh)));
	}
	case KT_SECTION:
	case KT_DB:
	case KT_LIST:
		break;
	}
	return ydoc_error(ld->doc, at, ld->e, "\"%s\" cannot take a scalar",
			  k->path);
}

static int store_list(struct loader *ld, const struct key *k,
		      const struct ydoc_node *seq)
{
	char ***items = dest(ld, k);
	size_t *count = (size_t *)((char *)ld->cfg + k->off_count);
	size_t n = ydoc_count(seq), cap = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ydoc_node *it = ydoc_item(seq, i);
		size_t len;
		const char *s;

		if (ydoc_kind(it) != YDOC_SCALAR)
			return ydoc_error(ld->doc, it, ld->e, "\"%s\" items "
					  "must be names or ids, got a %s",
					  k->path,
					  ydoc_kind_name(ydoc_kind(it)));
		s = ydoc_text(it, &len);
		if (!len || strlen(s) != len || ydoc_is_null(it))
			return ydoc_error(ld->doc, it, ld->e, "\"%s\" items "
					  "must be non-empty names or ids",
					  k->path);
		xgrow((void **)items, &cap, *count + 1, sizeof(**items));
		(*items)[(*count)++] = xstrdup(s);
	}
	return 0;
}

static int walk(struct loader *ld, const struct key *sec,
		const struct ydoc_node *sec_key, const struct ydoc_node *map);

/* One key/value pair of the file, for row `k`. */
static int set_from_node(struct loader *ld, const struct key *k,
			 const struct ydoc_node *key,
			 const struct ydoc_node *v)
{
	size_t len;
	const char *s;

	switch (k->type) {
	case KT_SECTION:
	case KT_DB:
		/* "batch:" alone is an empty section: all defaults */
		if (ydoc_is_null(v))
			return walk(ld, k, key, NULL);
		if (ydoc_kind(v) != YDOC_MAPPING)
			return wrong_kind(ld, k, v);
		return walk(ld, k, key, v);
	case KT_LIST:
		if (ydoc_is_null(v))
			return 0;	/* empty: every project */
		if (ydoc_kind(v) != YDOC_SEQUENCE)
			return wrong_kind(ld, k, v);
		return store_list(ld, k, v);
	default:
		break;
	}
	if (ydoc_kind(v) != YDOC_SCALAR)
		return wrong_kind(ld, k, v);
	if (ydoc_is_null(v)) {
		/* `port:` means "not set": the default applies */
		if (k->flags & KEY_REQUIRED)
			return ydoc_error(ld->doc, key, ld->e,
					  "\"%s\" must not be empty", k->path);
		ld->key_at[row(k)] = NULL;
		ld->val_at[row(k)] = NULL;
		return 0;
	}
	s = ydoc_text(v, &len);
	return store(ld, k, s, len, v);
}

/* The later (in the file) of two set keys, for "cannot set both". */
static const struct ydoc_node *later(const struct ydoc_node *a,
				     const struct ydoc_node *b)
{
	if (ydoc_line(a) != ydoc_line(b))
		return ydoc_line(a) > ydoc_line(b) ? a : b;
	return ydoc_col(a) > ydoc_col(b) ? a : b;
}

/*
 * A password file must be a regular file we can open, and private:
 * libpq refuses a ~/.pgpass with group or other access for the same
 * reason.  Root passes the open() whatever the mode bits say, so the mode
 * is checked explicitly.  O_NONBLOCK: a FIFO must not hang the check.
 */
static int check_password_file(const char *path, char *why, size_t whysz)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		snprintf(why, whysz, "could not read password file \"%s\": %s",
			 path, strerror(saved));
		return FERRY_ECONFIG;
	}
	close(fd);
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, whysz, "could not read password file \"%s\": %s",
			 path, strerror(EISDIR));
		return FERRY_ECONFIG;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whysz, "password file \"%s\" is not a regular "
			 "file", path);
		return FERRY_ECONFIG;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(why, whysz, "password file \"%s\" is accessible by "
			 "group or others (mode %04o); run chmod 600 \"%s\"",
			 path, (unsigned)(st.st_mode & 07777), path);
		return FERRY_ECONFIG;
	}
	return 0;
}

/* Rules that involve several keys of one endpoint. */
static int check_db(struct loader *ld, const struct key *sec)
{
	struct config_db *db = dest(ld, sec);
	const struct key *pf = NULL, *pe = NULL, *ssl = NULL;
	char why[ERR_MSG_MAX];

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const struct ydoc_node *at = ld->key_at[i];

		if (!is_child(k, sec))
			continue;
		if (strcmp(leaf(k), "password_file") == 0)
			pf = k;
		else if (strcmp(leaf(k), "password_env") == 0)
			pe = k;
		else if (strcmp(leaf(k), "sslmode") == 0)
			ssl = k;
		if (!at)
			continue;
		if ((k->flags & KEY_PG_ONLY) &&
		    db->driver != CONFIG_DRIVER_POSTGRESQL)
			return ydoc_error(ld->doc, at, ld->e, "\"%s\" is only "
					  "valid with driver postgresql",
					  k->path);
		if ((k->flags & KEY_MYSQL_ONLY) &&
		    db->driver != CONFIG_DRIVER_MYSQL)
			return ydoc_error(ld->doc, at, ld->e, "\"%s\" is only "
					  "valid with driver mysql", k->path);
	}
	if (pf && pe && ld->key_at[row(pf)] && ld->key_at[row(pe)])
		return ydoc_error(ld->doc, later(ld->key_at[row(pf)],
						 ld->key_at[row(pe)]),
				  ld->e, "cannot set both \"%s\" and \"%s\"",
				  pf->path, pe->path);
	/* MySQL has no "allow": its ssl modes are the other five */
	if (ssl && db->driver == CONFIG_DRIVER_MYSQL &&
	    db->sslmode == CONFIG_SSL_ALLOW)
		return ydoc_error(ld->doc, ld->val_at[row(ssl)], ld->e,
				  "\"%s\" cannot be \"allow\" with driver "
				  "mysql (use disable, prefer, require, "
				  "verify-ca or verify-full)", ssl->path);
	if (db->password_file &&
	    check_password_file(db->password_file, why, sizeof(why)))
		return ydoc_error(ld->doc, ld->val_at[row(pf)], ld->e, "%s",
				  why);
	return 0;
}

/*
 * Walk one mapping of the file against the rows of section `sec` (NULL:
 * top level).  `map` NULL stands for an empty mapping.  Then check the
 * section's required keys, pointing at `sec_key` (NULL: 1:1).
 */
static int walk(struct loader *ld, const struct key *sec,
		const struct ydoc_node *sec_key, const struct ydoc_node *map)
{
	size_t n = map ? ydoc_count(map) : 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct ydoc_node *k = ydoc_key(map, i);
		const struct ydoc_node *v = ydoc_value(map, i);
		size_t len;
		const char *s = ydoc_text(k, &len);
		const struct key *r = find_child(sec, s, len);

		if (!r)
			return unknown_key(ld, sec, k);
		ld->key_at[row(r)] = k;
		ld->val_at[row(r)] = v;
		rc = set_from_node(ld, r, k, v);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *r = &keys[i];

		if (!is_child(r, sec) || !(r->flags & KEY_REQUIRED) ||
		    ld->key_at[i])
			continue;
		if (sec)
			return ydoc_error(ld->doc, sec_key, ld->e, "\"%s\" is "
					  "missing required key \"%s\"",
					  sec->path, leaf(r));
		return ydoc_error(ld->doc, NULL, ld->e, "missing required "
				  "key \"%s\"", r->path);
	}
	if (sec && sec->type == KT_DB)
		return check_db(ld, sec);
	return 0;
}

static int apply_defaults(struct loader *ld)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const struct config_db *db = db_of(ld, k);
		const char *def = k->def;
		int rc;

		if (ld->key_at[i] || !def)
			continue;
		if (db && (k->flags & KEY_PG_ONLY) &&
		    db->driver != CONFIG_DRIVER_POSTGRESQL)
			continue;
		if (db && (k->flags & KEY_MYSQL_ONLY) &&
		    db->driver != CONFIG_DRIVER_MYSQL)
			continue;
		if (db && db->driver == CONFIG_DRIVER_MYSQL && k->def_mysql)
			def = k->def_mysql;
		rc = store(ld, k, def, strlen(def), NULL);
		if (rc)
			return rc;
	}
	return 0;
}

static const struct key *key_by_path(const char *path)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

/* Rules between sections, once every value is in place. */
static int check_cross(struct loader *ld)
{
	const struct config *c = ld->cfg;
	const struct key *m = key_by_path("limits.state_map_mb");
	const struct key *mx = key_by_path("limits.state_max_map_mb");

	if (c->state_map_size > c->state_max_map_size) {
		const struct ydoc_node *at = ld->val_at[row(m)] ?
			ld->val_at[row(m)] : ld->val_at[row(mx)];

		return ydoc_error(ld->doc, at, ld->e, "\"%s\" (%zu) must not "
				  "be larger than \"%s\" (%zu)", m->path,
				  c->state_map_size / MIB, mx->path,
				  c->state_max_map_size / MIB);
	}
	return 0;
}

void config_release(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		char *base = (char *)cfg + k->off;

		if (k->type == KT_STRING || k->type == KT_PATH) {
			free(*(char **)base);
		} else if (k->type == KT_LIST) {
			char **items = *(char ***)base;
			size_t n = *(size_t *)((char *)cfg + k->off_count);

			for (size_t j = 0; j < n; j++)
				free(items[j]);
			free(items);
		}
	}
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

static int load_doc(const struct ydoc *doc, const char *base_dir,
		    struct config *cfg, struct err *e)
{
	const struct ydoc_node *root = ydoc_root(doc);
	struct loader *ld;
	int rc;

	/* the loader is sized by the table; keep it off the stack */
	ld = xcalloc(1, sizeof(*ld));
	ld->doc = doc;
	ld->cfg = cfg;
	ld->e = e;
	cfg->path = xstrdup(ydoc_name(doc));
	ld->base = realpath(base_dir, NULL);
	if (!ld->base) {
		rc = err_set(e, FERRY_EIO, "could not resolve the directory "
			     "of config file \"%s\": %s", ydoc_name(doc),
			     strerror(errno));
		goto out;
	}
	if (root && !ydoc_is_null(root) && ydoc_kind(root) != YDOC_MAPPING) {
		rc = ydoc_error(doc, root, e, "the config must be a mapping of "
				"keys, got a %s",
				ydoc_kind_name(ydoc_kind(root)));
		goto out;
	}
	rc = walk(ld, NULL, NULL,
		  root && ydoc_kind(root) == YDOC_MAPPING ? root : NULL);
	if (!rc)
		rc = apply_defaults(ld);
	if (!rc)
		rc = check_cross(ld);
out:
	free(ld->base);
	free(ld);
	if (rc)
		config_release(cfg);
	return rc;
}

/* "dir/ferry.yaml" -> "dir"; "ferry.yaml" -> "." */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int config_load(const char *path, struct config *cfg, struct err *e)
{
	struct ydoc *doc;
	char *dir;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = ydoc_load_file(path, "config file", &doc, e);
	if (rc)
		return rc;
	dir = dir_of(path);
	rc = load_doc(doc, dir, cfg, e);
	free(dir);
	ydoc_free(doc);
	return rc;
}

int config_load_buffer(const char *name, const char *data, size_t len,
		       const char *base_dir, struct config *cfg,
		       struct err *e)
{
	struct ydoc *doc;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = ydoc_load_buffer(name, data, len, &doc, e);
	if (rc)
		return rc;
	rc = load_doc(doc, base_dir ? base_dir : ".", cfg, e);
	ydoc_free(doc);
	return rc;
}

/* --- passwords --- */

static int read_password_file(const char *path, char *out, size_t outsz,
			      struct err *e)
{
	char why[ERR_MSG_MAX], extra;
	size_t n = 0;
	ssize_t r;
	int fd, rc = 0;

	/* the file may have changed since config_load(): check again */
	rc = check_password_file(path, why, sizeof(why));
	if (rc)
		return err_set(e, rc, "%s", why);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_set(e, FERRY_EIO, "could not read password file "
			       "\"%s\": %s", path, strerror(errno));
	while (n < outsz) {
		r = read(fd, out + n, outsz - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_set(e, FERRY_EIO, "could not read password "
				     "file \"%s\": %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	/* full buffer: fine only if the file ends with the newline we strip */
	if (n == outsz) {
		do
			r = read(fd, &extra, 1);
		while (r < 0 && errno == EINTR);
		if (r != 0 || out[n - 1] != '\n') {
			rc = err_set(e, FERRY_ECONFIG, "password file \"%s\" "
				     "is longer than %zu bytes", path,
				     outsz - 1);
			goto out;
		}
	}
	if (n && out[n - 1] == '\n')
		n--;
	if (n && out[n - 1] == '\r')
		n--;
	if (memchr(out, '\0', n)) {
		rc = err_set(e, FERRY_ECONFIG, "password file \"%s\" contains "
			     "a NUL byte", path);
		goto out;
	}
	out[n] = '\0';
out:
	close(fd);
	explicit_bzero(&extra, sizeof(extra));
	if (rc)
		explicit_bzero(out, outsz);
	return rc;
}

int config_read_password(const struct config_db *db, char *out, size_t outsz,
			 struct err *e)
{
	const char *v;
	size_t n;

	if (!outsz)
		return err_set(e, FERRY_EINVAL, "no room for a password");
	out[0] = '\0';
	if (db->password_file)
		return read_password_file(db->password_file, out, outsz, e);
	if (!db->password_env)
		return 0;	/* trust, peer or certificate auth */
	v = getenv(db->password_env);
	if (!v)
		return err_set(e, FERRY_ECONFIG, "environment variable \"%s\" "
			       "is not set", db->password_env);
	n = strlen(v);
	if (n >= outsz)
		return err_set(e, FERRY_ECONFIG, "environment variable \"%s\" "
			       "is longer than %zu bytes", db->password_env,
			       outsz - 1);
	memcpy(out, v, n + 1);
	return 0;
}

const char *config_driver_name(enum config_driver d)
{
	for (const struct enum_name *en = driver_names; en->name; en++)
		if (en->value == (int)d)
			return en->name;
	return "unknown";
}

const char *config_sslmode_name(enum config_sslmode m)
{
	if (m == CONFIG_SSL_DEFAULT)
		return "default";
	for (const struct enum_name *en = sslmode_names; en->name; en++)
		if (en->value == (int)m)
			return en->name;
	return "unknown";
}
