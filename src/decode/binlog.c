/*
 * binlog.c - MySQL / MariaDB binlog v4 event decoder (see binlog.h).
 *
 * Sits between source/mysql_source.c, which reads raw events off a
 * replication connection, and the pipeline, which receives the changes.
 * Layouts follow the servers' own descriptions: MariaDB's "Replication
 * Protocol" pages (log_event.h / log_event_server.cc) and MySQL's
 * libbinlogevents (rows_event.h, control_events.h); field names below
 * are theirs.  Every event is
 *
 *	common header (19 bytes):
 *	  timestamp u32, type_code u8, server_id u32, event_length u32,
 *	  next_position u32, flags u16
 *	post-header (length per type, from FORMAT_DESCRIPTION)
 *	body
 *	CRC32 (4 bytes) when the FORMAT_DESCRIPTION's checksum_alg is 1
 *
 * all little-endian, except the row-image temporal types DATETIME2,
 * TIMESTAMP2, TIME2 and DECIMAL, which are big-endian (memcmp-sortable).
 */
#include "ferry/binlog.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"
#include "ferry/wire.h"

/* LOG_EVENT_BINLOG_IN_USE_F: FORMAT_DESCRIPTION of a file still open */
#define EV_F_BINLOG_IN_USE 0x01

/* MariaDB GTID_EVENT flags2 */
#define GTID_FL_STANDALONE 0x01
#define GTID_FL_PREPARED_XA 0x40
#define GTID_FL_COMPLETED_XA 0x80

/* FORMAT_DESCRIPTION: binlog_version u16, server_version[50],
 * create_timestamp u32, header_length u8, post-header lengths, then
 * checksum_alg u8 and the (possibly unused) 4-byte checksum */
#define FDE_FIXED_LEN (2 + 50 + 4 + 1)
#define CHECKSUM_ALG_OFF 0
#define CHECKSUM_ALG_CRC32 1
#define CHECKSUM_ALG_UNDEF 255

/* optional TABLE_MAP metadata field types (MySQL 8 / MariaDB 10.5) */
enum tm_opt {
	TM_SIGNEDNESS = 1,
	TM_DEFAULT_CHARSET = 2,
	TM_COLUMN_CHARSET = 3,
	TM_COLUMN_NAME = 4,
	TM_SET_STR_VALUE = 5,
	TM_ENUM_STR_VALUE = 6,
	TM_GEOMETRY_TYPE = 7,
	TM_SIMPLE_PRIMARY_KEY = 8,
	TM_PRIMARY_KEY_WITH_PREFIX = 9,
	TM_ENUM_AND_SET_DEFAULT_CHARSET = 10,
	TM_ENUM_AND_SET_COLUMN_CHARSET = 11,
};

/* The relation cache holds at most this many table ids; past it, it is
 * emptied (every ROWS event group is preceded by its TABLE_MAP, so
 * nothing is lost but a re-parse). */
#define TMAP_CACHE_MAX 4096
#define JSON_MAX_DEPTH 100
#define ENUM_MAX_MEMBERS 65535
#define SET_MAX_MEMBERS 64
#define NAME_MAX_BYTES 256	/* 64 characters of up to 4 bytes */
#define ROWS_EXPAND_PER_BYTE 16	/* values per ROWS event byte */

enum cs_kind {
	CS_UNKNOWN = 0,
	CS_UTF8,		/* utf8mb3, utf8mb4, ascii: bytes pass */
	CS_LATIN1,		/* MySQL's latin1 is cp1252 */
	CS_BINARY,		/* collation 63: raw bytes */
	CS_OTHER,		/* a character set ferry does not convert */
};

/* One column of a TABLE_MAP, as far as decoding needs it. */
struct bcol {
	uint8_t type;		/* type code; the real type for STRING */
	uint8_t fsp;		/* TIME2 / DATETIME2 / TIMESTAMP2 */
	uint8_t prec, scale;	/* NEWDECIMAL */
	uint8_t bits;		/* BIT: bits beyond whole bytes */
	uint32_t len;		/* STRING/VARCHAR: max bytes; BLOB family:
				   length bytes; ENUM/SET/BIT: value bytes */
	bool is_unsigned;
	bool have_sign;
	uint32_t collation;	/* 0 = not known */
	enum cs_kind cs;
	char **elems;		/* ENUM / SET members, UTF-8 */
	uint32_t nelems;
	bool have_elems;
	uint32_t elems_collation;
};

struct tmap {
	uint64_t id;
	unsigned char *raw;	/* event body after the post-header: a
				   repeated TABLE_MAP is compared, not
				   re-parsed */
	size_t rawlen;
	bool wanted;
	char *schema, *name;
	struct table_desc *desc;	/* wanted tables only */
	uint32_t ncols;
	struct bcol *cols;
};

struct gtid_dom {
	uint32_t domain, server;
	uint64_t seq;
};

struct binlog {
	struct binlog_hooks hooks;
	enum { CRC_UNSET, CRC_NONE, CRC_32 } crc, crc_before_fde;
	bool have_fde;
	bool mariadb;
	uint8_t post_header[256];	/* by type - 1; 0 = unknown */
	size_t npost;

	/* position after the last event */
	char file[POS_FILE_MAX];
	uint64_t offset;
	struct gtid_dom *doms;
	size_t ndoms, domcap;
	char gtid_other[POS_GTID_MAX];	/* MySQL uuid:gno or opaque text */

	/* transaction */
	bool in_txn;
	bool standalone;	/* MariaDB GTID without BEGIN/COMMIT */
	bool xa;		/* inside an XA PREPARE group */
	uint64_t xid;

	/* relation cache: open addressing on id + 1 */
	struct tmap **slots;
	size_t nslots, ntmaps;

	/* changes of the last event */
	struct change **pending;
	size_t npending, pending_next, pending_cap;

	struct buf val;		/* one value's text */
	struct buf tmp;		/* JSON, enum members, ... */

	/* the event being decoded, for messages */
	uint8_t ev_type;
	uint64_t ev_start;
};

/* ---- CRC-32 (slice by 8) ----------------------------------------------- */

static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = crc_tab[0][crc_tab[t - 1][i] & 0xff] ^
					(crc_tab[t - 1][i] >> 8);
}

uint32_t binlog_crc32(uint32_t crc, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (n >= 8) {
		uint32_t a = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				    (uint32_t)p[2] << 16 |
				    (uint32_t)p[3] << 24);
		uint32_t b = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
			     (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;

		crc = crc_tab[7][a & 0xff] ^ crc_tab[6][(a >> 8) & 0xff] ^
		      crc_tab[5][(a >> 16) & 0xff] ^ crc_tab[4][a >> 24] ^
		      crc_tab[3][b & 0xff] ^ crc_tab[2][(b >> 8) & 0xff] ^
		      crc_tab[1][(b >> 16) & 0xff] ^ crc_tab[0][b >> 24];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- names and messages ----------------------------------------------- */

const char *binlog_event_name(uint8_t type)
{
	switch (type) {
	case BINLOG_EV_QUERY: return "QUERY";
	case BINLOG_EV_STOP: return "STOP";
	case BINLOG_EV_ROTATE: return "ROTATE";
	case BINLOG_EV_INTVAR: return "INTVAR";
	case BINLOG_EV_RAND: return "RAND";
	case BINLOG_EV_USER_VAR: return "USER_VAR";
	case BINLOG_EV_FORMAT_DESCRIPTION: return "FORMAT_DESCRIPTION";
	case BINLOG_EV_XID: return "XID";
	case BINLOG_EV_BEGIN_LOAD_QUERY: return "BEGIN_LOAD_QUERY";
	case BINLOG_EV_EXECUTE_LOAD_QUERY: return "EXECUTE_LOAD_QUERY";
	case BINLOG_EV_TABLE_MAP: return "TABLE_MAP";
	case BINLOG_EV_PRE_GA_WRITE_ROWS: return "PRE_GA_WRITE_ROWS";
	case BINLOG_EV_PRE_GA_UPDATE_ROWS: return "PRE_GA_UPDATE_ROWS";
	case BINLOG_EV_PRE_GA_DELETE_ROWS: return "PRE_GA_DELETE_ROWS";
	case BINLOG_EV_WRITE_ROWS_V1: return "WRITE_ROWS_V1";
	case BINLOG_EV_UPDATE_ROWS_V1: return "UPDATE_ROWS_V1";
	case BINLOG_EV_DELETE_ROWS_V1: return "DELETE_ROWS_V1";
	case BINLOG_EV_INCIDENT: return "INCIDENT";
	case BINLOG_EV_HEARTBEAT: return "HEARTBEAT";
	case BINLOG_EV_IGNORABLE: return "IGNORABLE";
	case BINLOG_EV_ROWS_QUERY: return "ROWS_QUERY";
	case BINLOG_EV_WRITE_ROWS_V2: return "WRITE_ROWS";
	case BINLOG_EV_UPDATE_ROWS_V2: return "UPDATE_ROWS";
	case BINLOG_EV_DELETE_ROWS_V2: return "DELETE_ROWS";
	case BINLOG_EV_GTID: return "GTID";
	case BINLOG_EV_ANONYMOUS_GTID: return "ANONYMOUS_GTID";
	case BINLOG_EV_PREVIOUS_GTIDS: return "PREVIOUS_GTIDS";
	case BINLOG_EV_TRANSACTION_CONTEXT: return "TRANSACTION_CONTEXT";
	case BINLOG_EV_VIEW_CHANGE: return "VIEW_CHANGE";
	case BINLOG_EV_XA_PREPARE: return "XA_PREPARE";
	case BINLOG_EV_PARTIAL_UPDATE_ROWS: return "PARTIAL_UPDATE_ROWS";
	case BINLOG_EV_TRANSACTION_PAYLOAD: return "TRANSACTION_PAYLOAD";
	case BINLOG_EV_HEARTBEAT_V2: return "HEARTBEAT_V2";
	case BINLOG_EV_ANNOTATE_ROWS: return "ANNOTATE_ROWS";
	case BINLOG_EV_BINLOG_CHECKPOINT: return "BINLOG_CHECKPOINT";
	case BINLOG_EV_MARIADB_GTID: return "GTID_EVENT";
	case BINLOG_EV_GTID_LIST: return "GTID_LIST";
	case BINLOG_EV_START_ENCRYPTION: return "START_ENCRYPTION";
	case BINLOG_EV_QUERY_COMPRESSED: return "QUERY_COMPRESSED";
	case BINLOG_EV_WRITE_ROWS_COMPRESSED_V1:
		return "WRITE_ROWS_COMPRESSED_V1";
	case BINLOG_EV_UPDATE_ROWS_COMPRESSED_V1:
		return "UPDATE_ROWS_COMPRESSED_V1";
	case BINLOG_EV_DELETE_ROWS_COMPRESSED_V1:
		return "DELETE_ROWS_COMPRESSED_V1";
	case BINLOG_EV_WRITE_ROWS_COMPRESSED: return "WRITE_ROWS_COMPRESSED";
	case BINLOG_EV_UPDATE_ROWS_COMPRESSED:
		return "UPDATE_ROWS_COMPRESSED";
	case BINLOG_EV_DELETE_ROWS_COMPRESSED:
		return "DELETE_ROWS_COMPRESSED";
	default: return "UNKNOWN";
	}
}

/* "mysql-bin.000002:888" of the event being decoded */
static const char *where(const struct binlog *d, char *out, size_t n)
{
	snprintf(out, n, "%s:%" PRIu64, d->file[0] ? d->file : "(unknown)",
		 d->ev_start);
	return out;
}

static int bad(struct binlog *d, struct err *e, const struct wire *w,
	       const char *what)
{
	char at[POS_FILE_MAX + 32];

	return err_set(e, FERRY_EPROTO,
		       "malformed binlog event %s (0x%02x) at %s, byte %zu of "
		       "%zu: %s", binlog_event_name(d->ev_type), d->ev_type,
		       where(d, at, sizeof(at)), w->off + BINLOG_HEADER_LEN,
		       w->len + BINLOG_HEADER_LEN, what);
}

/* ---- life cycle, relation cache, pending changes ------------------------ */

static void tmap_free(struct tmap *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; t->cols && i < t->ncols; i++) {
		for (uint32_t k = 0; k < t->cols[i].nelems; k++)
			free(t->cols[i].elems[k]);
		free(t->cols[i].elems);
	}
	free(t->cols);
	free(t->raw);
	free(t->schema);
	free(t->name);
	table_desc_unref(t->desc);
	free(t);
}

static void cache_clear(struct binlog *d)
{
	for (size_t i = 0; i < d->nslots; i++) {
		tmap_free(d->slots[i]);
		d->slots[i] = NULL;
	}
	d->ntmaps = 0;
}

static size_t slot_of(const struct binlog *d, uint64_t id)
{
	size_t i = (size_t)((id + 1) * 0x9e3779b97f4a7c15ull) &
		   (d->nslots - 1);

	while (d->slots[i] && d->slots[i]->id != id)
		i = (i + 1) & (d->nslots - 1);
	return i;
}

static struct tmap *cache_get(const struct binlog *d, uint64_t id)
{
	return d->slots[slot_of(d, id)];
}

/* Remove one entry, keeping the probe chains of the others intact. */
static void cache_del(struct binlog *d, uint64_t id)
{
	size_t i = slot_of(d, id), j;

	if (!d->slots[i])
		return;
	tmap_free(d->slots[i]);
	d->slots[i] = NULL;
	d->ntmaps--;
	for (j = (i + 1) & (d->nslots - 1); d->slots[j];
	     j = (j + 1) & (d->nslots - 1)) {
		struct tmap *t = d->slots[j];

		d->slots[j] = NULL;
		d->slots[slot_of(d, t->id)] = t;
	}
}

static void cache_put(struct binlog *d, struct tmap *t)
{
	size_t i;

	if (d->ntmaps >= TMAP_CACHE_MAX)
		cache_clear(d);
	if ((d->ntmaps + 1) * 2 > d->nslots) {
		struct tmap **old = d->slots;
		size_t n = d->nslots;

		d->nslots *= 2;
		d->slots = xcalloc(d->nslots, sizeof(*d->slots));
		for (size_t j = 0; j < n; j++)
			if (old[j])
				d->slots[slot_of(d, old[j]->id)] = old[j];
		free(old);
	}
	i = slot_of(d, t->id);
	if (d->slots[i])
		tmap_free(d->slots[i]);
	else
		d->ntmaps++;
	d->slots[i] = t;
}

/* Forget the tables named schema.table (after DDL on them). */
static void cache_forget_name(struct binlog *d, const char *schema,
			      const char *table)
{
	for (size_t i = 0; i < d->nslots; i++) {
		struct tmap *t = d->slots[i];

		if (t && strcmp(t->schema, schema) == 0 &&
		    strcmp(t->name, table) == 0) {
			cache_del(d, t->id);
			i = (size_t)-1;		/* chains moved: rescan */
		}
	}
}

static void drop_pending(struct binlog *d)
{
	for (size_t i = d->pending_next; i < d->npending; i++)
		change_free(d->pending[i]);
	d->npending = 0;
	d->pending_next = 0;
}

static void push_pending(struct binlog *d, struct change *c)
{
	xgrow((void **)&d->pending, &d->pending_cap, d->npending + 1,
	      sizeof(*d->pending));
	d->pending[d->npending++] = c;
}

struct change *binlog_take_pending(struct binlog *d)
{
	if (d->pending_next >= d->npending)
		return NULL;
	return d->pending[d->pending_next++];
}

struct binlog *binlog_new(const struct binlog_hooks *hooks)
{
	struct binlog *d = xcalloc(1, sizeof(*d));

	if (hooks)
		d->hooks = *hooks;
	d->nslots = 64;
	d->slots = xcalloc(d->nslots, sizeof(*d->slots));
	buf_init(&d->val, (size_t)1 << 30);
	buf_init(&d->tmp, (size_t)1 << 30);
	d->offset = 4;
	pthread_once(&crc_once, crc_init);
	return d;
}

void binlog_free(struct binlog *d)
{
	if (!d)
		return;
	drop_pending(d);
	free(d->pending);
	cache_clear(d);
	free(d->slots);
	free(d->doms);
	buf_release(&d->val);
	buf_release(&d->tmp);
	free(d);
}

void binlog_expect_checksum(struct binlog *d, bool crc32)
{
	d->crc_before_fde = crc32 ? CRC_32 : CRC_NONE;
	if (!d->have_fde)
		d->crc = d->crc_before_fde;
}

bool binlog_in_transaction(const struct binlog *d)
{
	return d->in_txn;
}

bool binlog_is_mariadb(const struct binlog *d)
{
	return d->mariadb;
}

struct table_desc *binlog_table(struct binlog *d, uint64_t id)
{
	struct tmap *t = cache_get(d, id);

	return t ? t->desc : NULL;
}

/* ---- GTID state --------------------------------------------------------- */

static void gtid_note(struct binlog *d, uint32_t domain, uint32_t server,
		      uint64_t seq)
{
	for (size_t i = 0; i < d->ndoms; i++)
		if (d->doms[i].domain == domain) {
			d->doms[i].server = server;
			d->doms[i].seq = seq;
			return;
		}
	xgrow((void **)&d->doms, &d->domcap, d->ndoms + 1, sizeof(*d->doms));
	d->doms[d->ndoms].domain = domain;
	d->doms[d->ndoms].server = server;
	d->doms[d->ndoms].seq = seq;
	d->ndoms++;
	d->gtid_other[0] = '\0';
}

/* "0-1-42,1-2-7": MariaDB's gtid_slave_pos / @slave_connect_state form. */
static bool gtid_format(const struct binlog *d, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	if (d->ndoms == 0) {
		snprintf(out, n, "%s", d->gtid_other);
		return strlen(d->gtid_other) < n;
	}
	for (size_t i = 0; i < d->ndoms; i++) {
		int k = snprintf(out + len, n - len, "%s%" PRIu32 "-%" PRIu32
				 "-%" PRIu64, i ? "," : "", d->doms[i].domain,
				 d->doms[i].server, d->doms[i].seq);

		if (k < 0 || (size_t)k >= n - len)
			return false;
		len += (size_t)k;
	}
	return true;
}

static bool parse_u64(const char **s, uint64_t max, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		unsigned dgt = (unsigned)(*p - '0');

		if (x > (max - dgt) / 10)
			return false;
		x = x * 10 + dgt;
		p++;
	}
	*s = p;
	*v = x;
	return true;
}

/* Parse a MariaDB GTID list; false (state unchanged) if it is not one. */
static bool gtid_parse(struct binlog *d, const char *s)
{
	struct gtid_dom *doms = NULL;
	size_t n = 0, cap = 0;

	while (*s) {
		uint64_t dom, srv, seq;

		while (*s == ' ')
			s++;
		if (!parse_u64(&s, UINT32_MAX, &dom) || *s++ != '-' ||
		    !parse_u64(&s, UINT32_MAX, &srv) || *s++ != '-' ||
		    !parse_u64(&s, UINT64_MAX, &seq)) {
			free(doms);
			return false;
		}
		while (*s == ' ')
			s++;
		if (*s == ',')
			s++;
		else if (*s) {
			free(doms);
			return false;
		}
		xgrow((void **)&doms, &cap, n + 1, sizeof(*doms));
		doms[n].domain = (uint32_t)dom;
		doms[n].server = (uint32_t)srv;
		doms[n].seq = seq;
		n++;
	}
	free(d->doms);
	d->doms = doms;
	d->ndoms = n;
	d->domcap = cap;
	return true;
}

int binlog_set_start(struct binlog *d, const char *file, uint64_t offset,
		     const char *gtid, struct err *e)
{
	if (!file || strlen(file) >= sizeof(d->file))
		return err_set(e, FERRY_EINVAL, "binlog file name too long");
	if (gtid && strlen(gtid) >= sizeof(d->gtid_other))
		return err_set(e, FERRY_EINVAL, "GTID state too long");
	snprintf(d->file, sizeof(d->file), "%s", file);
	d->offset = offset;
	d->ndoms = 0;
	d->gtid_other[0] = '\0';
	if (gtid && *gtid && !gtid_parse(d, gtid))
		snprintf(d->gtid_other, sizeof(d->gtid_other), "%s", gtid);
	return 0;
}

void binlog_position(const struct binlog *d, struct ferry_pos *pos)
{
	memset(pos, 0, sizeof(*pos));
	pos->kind = POS_MYSQL;
	snprintf(pos->file, sizeof(pos->file), "%s", d->file);
	pos->offset = d->offset;
	if (!gtid_format(d, pos->gtid, sizeof(pos->gtid)))
		pos->gtid[0] = '\0';
}

/* ---- numbers ------------------------------------------------------------ */

/*
 * Shortest round-trip digits: the fewest significant digits whose
 * correctly rounded decimal reads back as the same value.  Precision is
 * monotonic (if p digits round-trip, p + 1 do), so a binary search over
 * 1..17 (1..9 for float) finds it.  `digits` gets the digits without
 * trailing zeros, `*exp10` the decimal exponent of the first digit.
 */
static void shortest(double v, bool is_float, char *digits, int *ndig,
		     int *exp10)
{
	char tmp[40];
	int lo = 1, hi = is_float ? 9 : 17;
	const char *p;
	int n = 0;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		bool same;

		snprintf(tmp, sizeof(tmp), "%.*e", mid - 1, v);
		if (is_float)
			same = strtof(tmp, NULL) == (float)v;
		else
			same = strtod(tmp, NULL) == v;
		if (same)
			hi = mid;
		else
			lo = mid + 1;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", lo - 1, v);
	/* tmp: [-]d[.ddd]e(+|-)XX */
	for (p = tmp; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*ndig = n;
	*exp10 = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
}

/*
 * PostgreSQL's float8out/float4out form (extra_float_digits = 1): plain
 * notation when -4 <= exponent < 15 (6 for float4), else d.ddde+XX.
 */
static size_t format_real(double v, bool is_float, char *out, size_t n)
{
	char digits[24], buf[64];
	int nd, x, len = 0;

	if (isnan(v))
		return (size_t)snprintf(out, n, "NaN");
	if (isinf(v))
		return (size_t)snprintf(out, n, v < 0 ? "-Infinity"
						      : "Infinity");
	if (v == 0)
		return (size_t)snprintf(out, n, signbit(v) ? "-0" : "0");
	shortest(v, is_float, digits, &nd, &x);
	if (v < 0)
		buf[len++] = '-';
	if (x < -4 || x >= (is_float ? 6 : 15)) {
		buf[len++] = digits[0];
		if (nd > 1) {
			buf[len++] = '.';
			memcpy(buf + len, digits + 1, (size_t)nd - 1);
			len += nd - 1;
		}
		len += snprintf(buf + len, sizeof(buf) - (size_t)len,
				"e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
	} else if (x < 0) {
		buf[len++] = '0';
		buf[len++] = '.';
		for (int i = 0; i < -x - 1; i++)
			buf[len++] = '0';
		memcpy(buf + len, digits, (size_t)nd);
		len += nd;
	} else {
		for (int i = 0; i <= x; i++)
			buf[len++] = i < nd ? digits[i] : '0';
		if (nd > x + 1) {
			buf[len++] = '.';
			memcpy(buf + len, digits + x + 1,
			       (size_t)(nd - x - 1));
			len += nd - x - 1;
		}
	}
	buf[len] = '\0';
	return (size_t)snprintf(out, n, "%s", buf);
}

size_t binlog_format_double(double v, char *out, size_t n)
{
	return format_real(v, false, out, n);
}

size_t binlog_format_float(float v, char *out, size_t n)
{
	return format_real(v, true, out, n);
}

static int put_str(struct buf *b, const char *s)
{
	return buf_puts(b, s);
}

/* `v` in decimal, at least `width` digits (zero-padded); printf is the
 * hot spot of row decoding otherwise */
static size_t fmt_digits(char *out, uint64_t v, int width)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";
	char t[24];
	size_t n = 0;

	/* two digits a step, written backwards */
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		t[n++] = pairs[2 * r + 1];
		t[n++] = pairs[2 * r];
	}
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < (size_t)width)
		t[n++] = '0';
	for (size_t i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	return n;
}

static int put_digits(struct buf *b, uint64_t v, int width)
{
	char t[24];

	return buf_append(b, t, fmt_digits(t, v, width));
}

static int put_i64(struct buf *b, int64_t v)
{
	if (v < 0)
		return buf_putc(b, '-') ||
		       put_digits(b, (uint64_t)0 - (uint64_t)v, 1);
	return put_digits(b, (uint64_t)v, 1);
}

static int put_u64(struct buf *b, uint64_t v)
{
	return put_digits(b, v, 1);
}

static uint64_t get_be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* two's complement of the low `bits` bits */
static int64_t sign_extend(uint64_t v, unsigned bits)
{
	uint64_t m = (uint64_t)1 << (bits - 1);

	v &= (bits == 64) ? UINT64_MAX : (((uint64_t)1 << bits) - 1);
	return (int64_t)((v ^ m) - m);
}

/*
 * DECIMAL(prec, scale) in the binary, memcmp-sortable form: the integer
 * and the fraction part each in groups of 9 digits stored as 4-byte
 * big-endian numbers, the leftover digits of the integer part first and
 * of the fraction part last in dig2bytes[] bytes; the first bit is
 * flipped (1 = non-negative) and a negative number has every byte
 * inverted.
 */
static const uint8_t dig2bytes[10] = { 0, 1, 1, 2, 2, 3, 3, 4, 4, 4 };
static const uint32_t pow10_u32[10] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000,
};

static size_t decimal_bin_size(unsigned prec, unsigned scale)
{
	unsigned intg = prec - scale;

	return intg / 9 * 4 + dig2bytes[intg % 9] + scale / 9 * 4 +
	       dig2bytes[scale % 9];
}

static bool decimal_meta_ok(unsigned prec, unsigned scale)
{
	return prec >= 1 && prec <= 65 && scale <= 38 && scale <= prec;
}

/* Append the text of the decimal at `p` (decimal_bin_size() bytes);
 * -1 if a digit group is out of range (corrupt). */
static int decimal_text(const unsigned char *p, unsigned prec,
			unsigned scale, struct buf *out)
{
	unsigned char b[40];
	char dig[96];
	size_t size = decimal_bin_size(prec, scale), off = 0;
	unsigned intg = prec - scale, nd = 0, lead;
	bool neg, zero = true;
	int rc = 0;

	memcpy(b, p, size);
	neg = !(b[0] & 0x80);
	b[0] ^= 0x80;
	if (neg)
		for (size_t i = 0; i < size; i++)
			b[i] ^= 0xff;
	/* integer part: leftover digits, then groups of 9 */
	if (intg % 9) {
		size_t k = dig2bytes[intg % 9];
		uint64_t v = get_be(b + off, k);

		if (v >= pow10_u32[intg % 9])
			return -1;
		nd += (unsigned)fmt_digits(dig + nd, v, (int)(intg % 9));
		off += k;
	}
	for (unsigned g = 0; g < intg / 9; g++, off += 4) {
		uint64_t v = get_be(b + off, 4);

		if (v > 999999999)
			return -1;
		nd += (unsigned)fmt_digits(dig + nd, v, 9);
	}
	for (unsigned g = 0; g < scale / 9; g++, off += 4) {
		uint64_t v = get_be(b + off, 4);

		if (v > 999999999)
			return -1;
		nd += (unsigned)fmt_digits(dig + nd, v, 9);
	}
	if (scale % 9) {
		size_t k = dig2bytes[scale % 9];
		uint64_t v = get_be(b + off, k);

		if (v >= pow10_u32[scale % 9])
			return -1;
		nd += (unsigned)fmt_digits(dig + nd, v, (int)(scale % 9));
	}
	for (unsigned i = 0; i < nd; i++)
		if (dig[i] != '0')
			zero = false;
	if (neg && !zero)
		rc |= buf_putc(out, '-');
	for (lead = 0; lead + 1 < intg && dig[lead] == '0'; lead++)
		;
	if (intg == 0)
		rc |= buf_putc(out, '0');
	else
		rc |= buf_append(out, dig + lead, intg - lead);
	if (scale) {
		rc |= buf_putc(out, '.');
		rc |= buf_append(out, dig + intg, scale);
	}
	return rc ? -2 : 0;
}

/* ---- dates and times ---------------------------------------------------- */

/* days since 1970-01-01 -> civil date (H. Hinnant's algorithm) */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* ".123456" without trailing zeros; nothing for 0 */
static int put_frac(struct buf *b, uint32_t usec)
{
	char f[8];
	size_t n;

	if (!usec)
		return 0;
	f[0] = '.';
	n = 1 + fmt_digits(f + 1, usec, 6);
	while (f[n - 1] == '0')
		n--;
	return buf_append(b, f, n);
}

/* "YYYY-MM-DD" */
static size_t fmt_date(char *out, unsigned y, unsigned mo, unsigned d)
{
	size_t n = fmt_digits(out, y, 4);

	out[n++] = '-';
	n += fmt_digits(out + n, mo, 2);
	out[n++] = '-';
	n += fmt_digits(out + n, d, 2);
	return n;
}

/* "HH:MM:SS" (hours may take more digits) */
static size_t fmt_hms(char *out, unsigned h, unsigned mi, unsigned s)
{
	size_t n = fmt_digits(out, h, 2);

	out[n++] = ':';
	n += fmt_digits(out + n, mi, 2);
	out[n++] = ':';
	n += fmt_digits(out + n, s, 2);
	return n;
}

static int put_datetime(struct buf *b, unsigned y, unsigned mo, unsigned d,
			unsigned h, unsigned mi, unsigned s, uint32_t usec)
{
	char t[96];
	size_t n = fmt_date(t, y, mo, d);

	t[n++] = ' ';
	n += fmt_hms(t + n, h, mi, s);
	return buf_append(b, t, n) || put_frac(b, usec);
}

/* TIMESTAMP: seconds since the epoch, shown in UTC like timestamptz */
static int put_timestamp(struct buf *b, uint32_t secs, uint32_t usec)
{
	int64_t y;
	unsigned mo, d;

	if (secs == 0 && usec == 0)
		return put_str(b, "0000-00-00 00:00:00");
	civil_from_days((int64_t)(secs / 86400), &y, &mo, &d);
	return put_datetime(b, (unsigned)y, mo, d, secs % 86400 / 3600,
			    secs % 3600 / 60, secs % 60, usec) ||
	       put_str(b, "+00");
}

static int put_time(struct buf *b, bool neg, unsigned h, unsigned mi,
		    unsigned s, uint32_t usec)
{
	char t[80];
	size_t n = 0;

	if (neg)
		t[n++] = '-';
	n += fmt_hms(t + n, h, mi, s);
	return buf_append(b, t, n) || put_frac(b, usec);
}

/* bytes the fractional part of a *2 temporal value takes */
static size_t frac_bytes(unsigned fsp)
{
	return (fsp + 1) / 2;
}

/* ---- MySQL binary JSON --------------------------------------------------- */

/*
 * MySQL stores JSON columns in its binary form (sql-common/json_binary.h):
 *
 *	doc     := type value
 *	object  := count size key-entry* value-entry* key* value*
 *	array   := count size value-entry* value*
 *	key-entry   := key-offset key-length(u16)
 *	value-entry := type offset-or-inlined-value
 *
 * count, size and offsets are u16 in the small and u32 in the large
 * forms; offsets count from the start of the object/array.  Literals and
 * 16-bit integers (and 32-bit ones in the large form) are inlined in
 * their value entry.  The text we make is MySQL's own JSON output:
 * {"k": v, "k2": [1, 2]}.
 */
enum json_type {
	JSONB_SMALL_OBJECT = 0x00,
	JSONB_LARGE_OBJECT = 0x01,
	JSONB_SMALL_ARRAY = 0x02,
	JSONB_LARGE_ARRAY = 0x03,
	JSONB_LITERAL = 0x04,
	JSONB_INT16 = 0x05,
	JSONB_UINT16 = 0x06,
	JSONB_INT32 = 0x07,
	JSONB_UINT32 = 0x08,
	JSONB_INT64 = 0x09,
	JSONB_UINT64 = 0x0a,
	JSONB_DOUBLE = 0x0b,
	JSONB_STRING = 0x0c,
	JSONB_OPAQUE = 0x0f,
};

static int json_value(const unsigned char *p, size_t n, uint8_t type,
		      int depth, struct buf *out);

static int json_escape(const unsigned char *s, size_t n, struct buf *out)
{
	int rc = buf_putc(out, '"');

	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '"': rc = put_str(out, "\\\""); break;
		case '\\': rc = put_str(out, "\\\\"); break;
		case '\b': rc = put_str(out, "\\b"); break;
		case '\f': rc = put_str(out, "\\f"); break;
		case '\n': rc = put_str(out, "\\n"); break;
		case '\r': rc = put_str(out, "\\r"); break;
		case '\t': rc = put_str(out, "\\t"); break;
		default:
			rc = c < 0x20 ? buf_printf(out, "\\u%04x", c)
				      : buf_putc(out, (char)c);
		}
	}
	return rc ? rc : buf_putc(out, '"');
}

/* variable-length length: 7 bits per byte, low first, at most 5 bytes */
static int json_varlen(const unsigned char *p, size_t n, size_t *len,
		       size_t *used)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 5 && i < n; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			if (v > UINT32_MAX)
				return -1;
			*len = (size_t)v;
			*used = i + 1;
			return 0;
		}
	}
	return -1;
}

/* MySQL's JSON double text: shortest digits, "1.0" for integral values,
 * "1e20" exponents */
static int json_double(double v, struct buf *out)
{
	char digits[24];
	int nd, x;

	if (!isfinite(v))
		return -1;
	if (v == 0)
		return put_str(out, signbit(v) ? "-0.0" : "0.0");
	shortest(v, false, digits, &nd, &x);
	if (v < 0 && buf_putc(out, '-'))
		return -2;
	if (x < -4 || x >= 15) {
		int rc = buf_putc(out, digits[0]);

		if (nd > 1)
			rc |= buf_putc(out, '.') ||
			      buf_append(out, digits + 1, (size_t)nd - 1);
		return rc | buf_printf(out, "e%d", x);
	}
	if (x < 0) {
		if (put_str(out, "0."))
			return -2;
		for (int i = 0; i < -x - 1; i++)
			if (buf_putc(out, '0'))
				return -2;
		return put_str(out, digits);
	}
	for (int i = 0; i <= x; i++)
		if (buf_putc(out, i < nd ? digits[i] : '0'))
			return -2;
	if (nd > x + 1)
		return buf_putc(out, '.') ||
		       buf_append(out, digits + x + 1, (size_t)(nd - x - 1));
	return put_str(out, ".0");
}

/* MySQL packed temporal (TIME_to_longlong_*_packed), as a JSON string */
static int json_temporal(uint8_t ftype, int64_t packed, struct buf *out)
{
	bool neg = packed < 0;
	uint64_t t = neg ? (uint64_t)0 - (uint64_t)packed : (uint64_t)packed;
	uint32_t usec = (uint32_t)(t % (1u << 24));
	uint64_t ymdhms = t >> 24;
	int rc;

	if (usec > 999999)
		return -1;
	if (ftype == BL_TYPE_TIME) {
		rc = buf_printf(out, "\"%s%02u:%02u:%02u.%06u\"",
				neg ? "-" : "",
				(unsigned)((ymdhms >> 12) % 1024),
				(unsigned)((ymdhms >> 6) % 64),
				(unsigned)(ymdhms % 64), usec);
	} else {
		uint64_t ymd = ymdhms >> 17, ym = ymd >> 5;
		unsigned hms = (unsigned)(ymdhms % (1u << 17));

		if (neg)
			return -1;
		if (ftype == BL_TYPE_DATE)
			rc = buf_printf(out, "\"%04u-%02u-%02u\"",
					(unsigned)(ym / 13),
					(unsigned)(ym % 13),
					(unsigned)(ymd % 32));
		else
			rc = buf_printf(out, "\"%04u-%02u-%02u %02u:%02u:"
					"%02u.%06u\"", (unsigned)(ym / 13),
					(unsigned)(ym % 13),
					(unsigned)(ymd % 32), hms >> 12,
					(hms >> 6) % 64, hms % 64, usec);
	}
	return rc;
}

static int json_opaque(const unsigned char *p, size_t n, struct buf *out)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	size_t len, used;
	uint8_t ftype;
	int rc;

	if (n < 1)
		return -1;
	ftype = p[0];
	if (json_varlen(p + 1, n - 1, &len, &used) || len > n - 1 - used)
		return -1;
	p += 1 + used;
	switch (ftype) {
	case BL_TYPE_NEWDECIMAL:
		/* precision, scale, binary decimal */
		if (len < 2 || !decimal_meta_ok(p[0], p[1]) ||
		    decimal_bin_size(p[0], p[1]) != len - 2)
			return -1;
		return decimal_text(p + 2, p[0], p[1], out);
	case BL_TYPE_DATE:
	case BL_TYPE_TIME:
	case BL_TYPE_DATETIME:
	case BL_TYPE_TIMESTAMP:
		if (len != 8)
			return -1;
		return json_temporal(ftype, (int64_t)get_le(p, 8), out);
	default:
		/* as MySQL prints it: "base64:typeNN:<data>" */
		rc = buf_printf(out, "\"base64:type%u:", ftype);
		for (size_t i = 0; i < len && !rc; i += 3) {
			uint32_t v = (uint32_t)p[i] << 16;
			char q[4];

			v |= i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0;
			v |= i + 2 < len ? p[i + 2] : 0;
			q[0] = b64[v >> 18];
			q[1] = b64[(v >> 12) & 63];
			q[2] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
			q[3] = i + 2 < len ? b64[v & 63] : '=';
			rc = buf_append(out, q, 4);
		}
		return rc ? rc : buf_putc(out, '"');
	}
}

static int json_container(const unsigned char *p, size_t n, bool large,
			  bool object, int depth, struct buf *out)
{
	size_t osz = large ? 4 : 2, count, size, hdr;
	int rc;

	if (depth > JSON_MAX_DEPTH || n < 2 * osz)
		return -1;
	count = (size_t)get_le(p, osz);
	size = (size_t)get_le(p + osz, osz);
	if (size > n || size < 2 * osz)
		return -1;
	/* header: count, size, key entries, value entries; all inside */
	hdr = 2 * osz + count * ((object ? osz + 2 : 0) + 1 + osz);
	if (count > size || hdr > size)
		return -1;
	rc = buf_putc(out, object ? '{' : '[');
	for (size_t i = 0; i < count && !rc; i++) {
		const unsigned char *ve;
		uint8_t t;
		bool inlined;

		if (i)
			rc = put_str(out, ", ");
		if (object) {
			const unsigned char *ke = p + 2 * osz + i * (osz + 2);
			size_t koff = (size_t)get_le(ke, osz);
			size_t klen = (size_t)get_le(ke + osz, 2);

			if (koff > size || klen > size - koff)
				return -1;
			rc = rc || json_escape(p + koff, klen, out) ||
			     put_str(out, ": ");
			ve = p + 2 * osz + count * (osz + 2) + i * (1 + osz);
		} else {
			ve = p + 2 * osz + i * (1 + osz);
		}
		if (rc)
			break;
		t = ve[0];
		inlined = t == JSONB_LITERAL || t == JSONB_INT16 ||
			  t == JSONB_UINT16 ||
			  (large && (t == JSONB_INT32 || t == JSONB_UINT32));
		if (inlined) {
			rc = json_value(ve + 1, osz, t, depth + 1, out);
		} else {
			size_t voff = (size_t)get_le(ve + 1, osz);

			if (voff >= size)
				return -1;
			rc = json_value(p + voff, size - voff, t, depth + 1,
					out);
		}
	}
	return rc ? rc : buf_putc(out, object ? '}' : ']');
}

static int json_value(const unsigned char *p, size_t n, uint8_t type,
		      int depth, struct buf *out)
{
	size_t len, used;

	switch (type) {
	case JSONB_SMALL_OBJECT:
	case JSONB_LARGE_OBJECT:
	case JSONB_SMALL_ARRAY:
	case JSONB_LARGE_ARRAY:
		return json_container(p, n, type & 1, type < 2, depth, out);
	case JSONB_LITERAL:
		if (n < 1)
			return -1;
		switch (p[0]) {
		case 0: return put_str(out, "null");
		case 1: return put_str(out, "true");
		case 2: return put_str(out, "false");
		default: return -1;
		}
	case JSONB_INT16:
		return n < 2 ? -1 : put_i64(out, sign_extend(get_le(p, 2), 16));
	case JSONB_UINT16:
		return n < 2 ? -1 : put_u64(out, get_le(p, 2));
	case JSONB_INT32:
		return n < 4 ? -1 : put_i64(out, sign_extend(get_le(p, 4), 32));
	case JSONB_UINT32:
		return n < 4 ? -1 : put_u64(out, get_le(p, 4));
	case JSONB_INT64:
		return n < 8 ? -1 : put_i64(out, (int64_t)get_le(p, 8));
	case JSONB_UINT64:
		return n < 8 ? -1 : put_u64(out, get_le(p, 8));
	case JSONB_DOUBLE: {
		uint64_t bits;
		double v;

		if (n < 8)
			return -1;
		bits = get_le(p, 8);
		memcpy(&v, &bits, sizeof(v));
		return json_double(v, out);
	}
	case JSONB_STRING:
		if (json_varlen(p, n, &len, &used) || len > n - used)
			return -1;
		return json_escape(p + used, len, out);
	case JSONB_OPAQUE:
		return json_opaque(p, n, out);
	default:
		return -1;
	}
}

/* A JSON column value; the empty value (a NULL-like JSON) is "null". */
static int json_doc(const unsigned char *p, size_t n, struct buf *out)
{
	if (n == 0)
		return put_str(out, "null");
	return json_value(p + 1, n - 1, p[0], 0, out);
}

/* ---- character sets ------------------------------------------------------ */

/*
 * Collation id -> what we do with the bytes.  Ids from MariaDB 10.11's
 * information_schema.COLLATIONS and MySQL 8's utf8mb4_0900 range; any
 * other id is resolved through hooks->columns (CHARACTER_SET_NAME).
 */
static enum cs_kind collation_kind(uint32_t id)
{
	switch (id) {
	case 63:
		return CS_BINARY;
	case 5: case 8: case 15: case 31: case 47: case 48: case 49: case 94:
	case 1032: case 1071:
		return CS_LATIN1;
	case 11: case 65: case 1035: case 1089:		/* ascii */
	case 33: case 76: case 83: case 223: case 1057: case 1107:
	case 1216: case 1238:				/* utf8mb3 */
	case 45: case 46: case 1069: case 1070: case 1248: case 1270:
		return CS_UTF8;				/* utf8mb4 */
	default:
		break;
	}
	if ((id >= 192 && id <= 215) || (id >= 224 && id <= 247) ||
	    (id >= 255 && id <= 323) || (id >= 576 && id <= 578) ||
	    (id >= 608 && id <= 610))
		return CS_UTF8;
	return CS_UNKNOWN;
}

static enum cs_kind charset_kind(const char *name)
{
	if (!name)
		return CS_BINARY;
	if (strcmp(name, "utf8mb4") == 0 || strcmp(name, "utf8mb3") == 0 ||
	    strcmp(name, "utf8") == 0 || strcmp(name, "ascii") == 0)
		return CS_UTF8;
	if (strcmp(name, "latin1") == 0)
		return CS_LATIN1;
	if (strcmp(name, "binary") == 0)
		return CS_BINARY;
	return CS_OTHER;
}

/* MySQL's latin1 is Windows-1252; its five holes map to C1 controls */
static const uint16_t cp1252_80[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static int latin1_to_utf8(const unsigned char *s, size_t n, struct buf *out)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		unsigned c = s[i];
		char u[3];

		if (c < 0x80) {
			rc = buf_putc(out, (char)c);
			continue;
		}
		if (c < 0xa0)
			c = cp1252_80[c - 0x80];
		if (c < 0x800) {
			u[0] = (char)(0xc0 | c >> 6);
			u[1] = (char)(0x80 | (c & 0x3f));
			rc = buf_append(out, u, 2);
		} else {
			u[0] = (char)(0xe0 | c >> 12);
			u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
			u[2] = (char)(0x80 | (c & 0x3f));
			rc = buf_append(out, u, 3);
		}
	}
	return rc;
}

static int put_text(enum cs_kind cs, const unsigned char *s, size_t n,
		    struct buf *out)
{
	if (cs == CS_LATIN1)
		return latin1_to_utf8(s, n, out);
	return buf_append(out, s, n);
}

/* ---- column type classes ------------------------------------------------ */

static bool is_blob_type(unsigned t)
{
	return t == BL_TYPE_BLOB || t == BL_TYPE_TINY_BLOB ||
	       t == BL_TYPE_MEDIUM_BLOB || t == BL_TYPE_LONG_BLOB;
}

static bool is_int_type(unsigned t)
{
	return t == BL_TYPE_TINY || t == BL_TYPE_SHORT ||
	       t == BL_TYPE_INT24 || t == BL_TYPE_LONG ||
	       t == BL_TYPE_LONGLONG;
}

/* Columns the SIGNEDNESS bitmap has a bit for.  MariaDB counts YEAR
 * (a Field_num), MySQL does not. */
static bool has_sign_bit(const struct binlog *d, unsigned t)
{
	return is_int_type(t) || t == BL_TYPE_NEWDECIMAL ||
	       t == BL_TYPE_FLOAT || t == BL_TYPE_DOUBLE ||
	       t == BL_TYPE_DECIMAL || (d->mariadb && t == BL_TYPE_YEAR);
}

/* Columns the (DEFAULT|COLUMN)_CHARSET fields cover.  MariaDB counts
 * GEOMETRY (a blob underneath), MySQL does not. */
static bool has_charset(const struct binlog *d, unsigned t)
{
	return t == BL_TYPE_STRING || t == BL_TYPE_VARCHAR ||
	       t == BL_TYPE_VAR_STRING || is_blob_type(t) ||
	       (d->mariadb && t == BL_TYPE_GEOMETRY);
}

/* character columns whose bytes depend on the character set */
static bool needs_cs(const struct binlog *d, unsigned t)
{
	return has_charset(d, t) && t != BL_TYPE_GEOMETRY;
}

static bool is_enum_set(unsigned t)
{
	return t == BL_TYPE_ENUM || t == BL_TYPE_SET;
}

enum datum_type binlog_type_class(unsigned type, bool binary)
{
	switch (type) {
	case BL_TYPE_TINY: case BL_TYPE_SHORT: case BL_TYPE_INT24:
	case BL_TYPE_LONG: case BL_TYPE_LONGLONG: case BL_TYPE_YEAR:
		return DATUM_T_INT;
	case BL_TYPE_FLOAT: case BL_TYPE_DOUBLE:
		return DATUM_T_FLOAT;
	case BL_TYPE_DECIMAL: case BL_TYPE_NEWDECIMAL:
		return DATUM_T_NUMERIC;
	case BL_TYPE_DATE: case BL_TYPE_NEWDATE:
		return DATUM_T_DATE;
	case BL_TYPE_TIME: case BL_TYPE_TIME2:
		return DATUM_T_TIME;
	case BL_TYPE_DATETIME: case BL_TYPE_DATETIME2:
		return DATUM_T_TIMESTAMP;
	case BL_TYPE_TIMESTAMP: case BL_TYPE_TIMESTAMP2:
		return DATUM_T_TIMESTAMPTZ;
	case BL_TYPE_JSON:
		return DATUM_T_JSON;
	case BL_TYPE_BIT: case BL_TYPE_GEOMETRY:
		return DATUM_T_BYTES;
	case BL_TYPE_ENUM: case BL_TYPE_SET:
		return DATUM_T_TEXT;
	case BL_TYPE_STRING: case BL_TYPE_VARCHAR: case BL_TYPE_VAR_STRING:
	case BL_TYPE_BLOB: case BL_TYPE_TINY_BLOB: case BL_TYPE_MEDIUM_BLOB:
	case BL_TYPE_LONG_BLOB:
		return binary ? DATUM_T_BYTES : DATUM_T_TEXT;
	default:
		return DATUM_T_UNKNOWN;
	}
}

/* ---- row values ---------------------------------------------------------- */

/* Length-prefixed bytes: a `lb`-byte little-endian length, then data. */
static int get_lenbytes(struct wire *w, size_t lb, const unsigned char **p,
			size_t *n)
{
	const unsigned char *lp;
	size_t off = w->off;

	if (wire_bytes(w, lb, &lp))
		return FERRY_EPROTO;
	*n = (size_t)get_le(lp, lb);
	if (wire_bytes(w, *n, p)) {
		w->off = off;
		return FERRY_EPROTO;
	}
	return 0;
}

static int enum_set_text(const struct bcol *c, uint64_t v, struct buf *out,
			 const char **why)
{
	int rc = 0;
	bool first = true;

	if (c->type == BL_TYPE_ENUM) {
		/* index 1..n; 0 is the "" MySQL stores for an invalid value */
		if (v == 0)
			return 0;
		if (v > c->nelems) {
			*why = "ENUM index out of range";
			return FERRY_EPROTO;
		}
		return put_str(out, c->elems[v - 1]);
	}
	if (c->nelems < 64 && (v >> c->nelems)) {
		*why = "SET bit beyond its members";
		return FERRY_EPROTO;
	}
	for (uint32_t i = 0; i < c->nelems && !rc; i++)
		if (v >> i & 1) {
			rc = (first ? 0 : buf_putc(out, ',')) ||
			     put_str(out, c->elems[i]);
			first = false;
		}
	return rc;
}

/*
 * Decode one non-NULL value of column `c` at the cursor into d->val.
 * The sizes come from the type and the TABLE_MAP metadata; every read is
 * bounded by the event.
 */
static int decode_value(struct binlog *d, struct wire *w, const struct bcol *c,
			struct err *e)
{
	struct buf *out = &d->val;
	const unsigned char *p;
	const char *why = "value longer than the event";
	size_t n;
	int rc = 0;

	buf_reset(out);
	switch (c->type) {
	case BL_TYPE_TINY:
	case BL_TYPE_SHORT:
	case BL_TYPE_INT24:
	case BL_TYPE_LONG:
	case BL_TYPE_LONGLONG: {
		static const uint8_t size[] = { [BL_TYPE_TINY] = 1,
			[BL_TYPE_SHORT] = 2, [BL_TYPE_INT24] = 3,
			[BL_TYPE_LONG] = 4, [BL_TYPE_LONGLONG] = 8 };
		size_t k = size[c->type];
		uint64_t v;

		if (wire_bytes(w, k, &p))
			return bad(d, e, w, why);
		v = get_le(p, k);
		rc = c->is_unsigned ? put_u64(out, v)
				    : put_i64(out, sign_extend(v, 8 * k));
		break;
	}
	case BL_TYPE_YEAR:
		if (wire_bytes(w, 1, &p))
			return bad(d, e, w, why);
		rc = put_u64(out, p[0] ? 1900u + p[0] : 0);
		break;
	case BL_TYPE_FLOAT: {
		char t[40];
		uint32_t bits;
		float f;

		if (wire_bytes(w, 4, &p))
			return bad(d, e, w, why);
		bits = (uint32_t)get_le(p, 4);
		memcpy(&f, &bits, sizeof(f));
		rc = buf_append(out, t, binlog_format_float(f, t, sizeof(t)));
		break;
	}
	case BL_TYPE_DOUBLE: {
		char t[40];
		uint64_t bits;
		double v;

		if (wire_bytes(w, 8, &p))
			return bad(d, e, w, why);
		bits = get_le(p, 8);
		memcpy(&v, &bits, sizeof(v));
		rc = buf_append(out, t, binlog_format_double(v, t, sizeof(t)));
		break;
	}
	case BL_TYPE_NEWDECIMAL:
		if (wire_bytes(w, decimal_bin_size(c->prec, c->scale), &p))
			return bad(d, e, w, why);
		rc = decimal_text(p, c->prec, c->scale, out);
		if (rc == -1)
			return bad(d, e, w, "DECIMAL digit group out of range");
		break;
	case BL_TYPE_DATE:
	case BL_TYPE_NEWDATE: {
		uint32_t v;

		if (wire_bytes(w, 3, &p))
			return bad(d, e, w, why);
		/* day:5 month:4 year:15, little-endian */
		v = (uint32_t)get_le(p, 3);
		{
			char t[40];

			rc = buf_append(out, t, fmt_date(t, v >> 9,
							 (v >> 5) & 15,
							 v & 31));
		}
		break;
	}
	case BL_TYPE_TIME: {
		int64_t v;
		uint64_t a;

		/* old TIME: signed HHMMSS as a 3-byte integer */
		if (wire_bytes(w, 3, &p))
			return bad(d, e, w, why);
		v = sign_extend(get_le(p, 3), 24);
		a = v < 0 ? (uint64_t)-v : (uint64_t)v;
		rc = put_time(out, v < 0, (unsigned)(a / 10000),
			      (unsigned)(a / 100 % 100), (unsigned)(a % 100), 0);
		break;
	}
	case BL_TYPE_TIME2: {
		/* 3 bytes of hh:mm:ss (offset 0x800000) + fsp bytes,
		 * big-endian; negative fractions stored complemented */
		int64_t ip, frac = 0, packed;
		uint64_t a;

		if (wire_bytes(w, 3 + frac_bytes(c->fsp), &p))
			return bad(d, e, w, why);
		if (c->fsp >= 5) {
			packed = (int64_t)get_be(p, 6) - 0x800000000000LL;
		} else {
			ip = (int64_t)get_be(p, 3) - 0x800000;
			if (c->fsp >= 3) {
				frac = (int64_t)get_be(p + 3, 2);
				if (ip < 0 && frac) {
					ip++;
					frac -= 0x10000;
				}
				frac *= 100;
			} else if (c->fsp >= 1) {
				frac = p[3];
				if (ip < 0 && frac) {
					ip++;
					frac -= 0x100;
				}
				frac *= 10000;
			}
			packed = ip * (1LL << 24) + frac;
		}
		a = packed < 0 ? (uint64_t)-packed : (uint64_t)packed;
		if (a % (1u << 24) > 999999)
			return bad(d, e, w, "TIME2 fraction out of range");
		rc = put_time(out, packed < 0,
			      (unsigned)((a >> 36) % 1024),
			      (unsigned)((a >> 30) % 64),
			      (unsigned)((a >> 24) % 64),
			      (uint32_t)(a % (1u << 24)));
		break;
	}
	case BL_TYPE_DATETIME: {
		uint64_t v, dt, tm;

		/* old DATETIME: YYYYMMDDhhmmss as an 8-byte integer */
		if (wire_bytes(w, 8, &p))
			return bad(d, e, w, why);
		v = get_le(p, 8);
		dt = v / 1000000;
		tm = v % 1000000;
		rc = put_datetime(out, (unsigned)(dt / 10000),
				  (unsigned)(dt / 100 % 100),
				  (unsigned)(dt % 100), (unsigned)(tm / 10000),
				  (unsigned)(tm / 100 % 100),
				  (unsigned)(tm % 100), 0);
		break;
	}
	case BL_TYPE_DATETIME2: {
		/* 5 bytes, big-endian, offset 0x8000000000:
		 * sign:1 year*13+month:17 day:5 hour:5 minute:6 second:6,
		 * then the fraction (signed big-endian, fsp bytes) */
		int64_t ip, frac = 0;
		uint64_t ymd, ym, hms;

		if (wire_bytes(w, 5 + frac_bytes(c->fsp), &p))
			return bad(d, e, w, why);
		ip = (int64_t)get_be(p, 5) - 0x8000000000LL;
		if (c->fsp >= 5)
			frac = sign_extend(get_be(p + 5, 3), 24);
		else if (c->fsp >= 3)
			frac = sign_extend(get_be(p + 5, 2), 16) * 100;
		else if (c->fsp >= 1)
			frac = sign_extend(p[5], 8) * 10000;
		if (ip < 0 || frac < 0 || frac > 999999)
			return bad(d, e, w, "DATETIME2 out of range");
		ymd = (uint64_t)ip >> 17;
		ym = ymd >> 5;
		hms = (uint64_t)ip % (1u << 17);
		rc = put_datetime(out, (unsigned)(ym / 13),
				  (unsigned)(ym % 13), (unsigned)(ymd % 32),
				  (unsigned)(hms >> 12),
				  (unsigned)((hms >> 6) % 64),
				  (unsigned)(hms % 64), (uint32_t)frac);
		break;
	}
	case BL_TYPE_TIMESTAMP:
		if (wire_bytes(w, 4, &p))
			return bad(d, e, w, why);
		rc = put_timestamp(out, (uint32_t)get_le(p, 4), 0);
		break;
	case BL_TYPE_TIMESTAMP2: {
		/* seconds u32 big-endian, then the fraction */
		int64_t frac = 0;

		if (wire_bytes(w, 4 + frac_bytes(c->fsp), &p))
			return bad(d, e, w, why);
		if (c->fsp >= 5)
			frac = sign_extend(get_be(p + 4, 3), 24);
		else if (c->fsp >= 3)
			frac = sign_extend(get_be(p + 4, 2), 16) * 100;
		else if (c->fsp >= 1)
			frac = (int64_t)p[4] * 10000;
		if (frac < 0 || frac > 999999)
			return bad(d, e, w, "TIMESTAMP2 fraction out of range");
		rc = put_timestamp(out, (uint32_t)get_be(p, 4),
				   (uint32_t)frac);
		break;
	}
	case BL_TYPE_ENUM:
	case BL_TYPE_SET:
		if (wire_bytes(w, c->len, &p))
			return bad(d, e, w, why);
		rc = enum_set_text(c, get_le(p, c->len), out, &why);
		if (rc == FERRY_EPROTO)
			return bad(d, e, w, why);
		break;
	case BL_TYPE_STRING:
		/* CHAR/BINARY: 1 or 2 length bytes by the maximum length */
		if (get_lenbytes(w, c->len > 255 ? 2 : 1, &p, &n))
			return bad(d, e, w, why);
		if (n > c->len)
			return bad(d, e, w, "CHAR value longer than its column");
		if (c->cs == CS_BINARY) {
			/* BINARY(n) is logged without its trailing zero
			 * bytes; the column holds them */
			rc = buf_append(out, p, n);
			for (size_t i = n; i < c->len && !rc; i++)
				rc = buf_putc(out, '\0');
		} else {
			/* CHAR reads back without trailing spaces */
			while (n > 0 && p[n - 1] == ' ')
				n--;
			rc = put_text(c->cs, p, n, out);
		}
		break;
	case BL_TYPE_VARCHAR:
	case BL_TYPE_VAR_STRING:
		if (get_lenbytes(w, c->len > 255 ? 2 : 1, &p, &n))
			return bad(d, e, w, why);
		if (n > c->len)
			return bad(d, e, w,
				   "VARCHAR value longer than its column");
		rc = c->cs == CS_BINARY ? buf_append(out, p, n)
					: put_text(c->cs, p, n, out);
		break;
	case BL_TYPE_BLOB:
	case BL_TYPE_TINY_BLOB:
	case BL_TYPE_MEDIUM_BLOB:
	case BL_TYPE_LONG_BLOB:
	case BL_TYPE_GEOMETRY:
		if (get_lenbytes(w, c->len, &p, &n))
			return bad(d, e, w, why);
		rc = c->cs == CS_BINARY || c->type == BL_TYPE_GEOMETRY
			     ? buf_append(out, p, n)
			     : put_text(c->cs, p, n, out);
		break;
	case BL_TYPE_JSON:
		if (get_lenbytes(w, c->len, &p, &n))
			return bad(d, e, w, why);
		if (json_doc(p, n, out))
			return bad(d, e, w, "malformed binary JSON");
		break;
	case BL_TYPE_BIT:
		/* big-endian bits, (bits + 7) / 8 bytes: kept raw */
		if (wire_bytes(w, c->len, &p))
			return bad(d, e, w, why);
		rc = buf_append(out, p, c->len);
		break;
	default:
		/* TABLE_MAP parsing refuses other types */
		return bad(d, e, w, "column type without a decoder");
	}
	if (rc)
		return err_set(e, FERRY_EFULL, "binlog value at %s does not "
			       "fit in memory", d->file);
	return 0;
}

/* ---- TABLE_MAP ----------------------------------------------------------- */

/* Packed (length-encoded) integer: < 0xfb itself, 0xfc + u16, 0xfd + u24,
 * 0xfe + u64; 0xfb and 0xff are not numbers. */
static int get_packed(struct wire *w, uint64_t *v)
{
	size_t off = w->off;
	uint32_t x32;
	uint16_t x16;
	uint8_t b;

	if (wire_u8(w, &b))
		return FERRY_EPROTO;
	if (b < 0xfb) {
		*v = b;
		return 0;
	}
	if (b == 0xfc && !wire_u16le(w, &x16)) {
		*v = x16;
		return 0;
	}
	if (b == 0xfd && !wire_u24le(w, &x32)) {
		*v = x32;
		return 0;
	}
	if (b == 0xfe && !wire_u64le(w, v))
		return 0;
	w->off = off;
	return FERRY_EPROTO;
}

static size_t post_len(const struct binlog *d, uint8_t type, size_t dflt)
{
	if (type >= 1 && (size_t)type <= d->npost && d->post_header[type - 1])
		return d->post_header[type - 1];
	return dflt;
}

/* table_id: 6 bytes, or 4 in the old 6-byte post-header; then flags */
static int get_table_id(const struct binlog *d, struct wire *w, uint8_t type,
			size_t dflt, uint64_t *id, uint16_t *flags)
{
	size_t pl = post_len(d, type, dflt);
	uint32_t id32;

	if (pl == 6) {
		if (wire_u32le(w, &id32) || wire_u16le(w, flags))
			return FERRY_EPROTO;
		*id = id32;
		return 0;
	}
	if (pl < 8 || wire_u48le(w, id) || wire_u16le(w, flags))
		return FERRY_EPROTO;
	return 0;
}

/* Members of "enum('a','b''c')" / "set(...)" (information_schema
 * COLUMN_TYPE quoting: '' for a quote). */
static int parse_members(const char *ct, char ***out, uint32_t *nout)
{
	const char *p = ct ? strchr(ct, '(') : NULL;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct buf m;

	if (!p)
		return -1;
	buf_init(&m, 1 << 20);
	for (p++;;) {
		while (*p == ' ')
			p++;
		if (*p++ != '\'')
			goto fail;
		buf_reset(&m);
		for (;;) {
			if (!*p)
				goto fail;
			if (*p == '\'' && p[1] == '\'') {
				p += 2;
				if (buf_putc(&m, '\''))
					goto fail;
			} else if (*p == '\'') {
				p++;
				break;
			} else if (*p == '\\' && p[1]) {
				if (buf_putc(&m, p[1]))
					goto fail;
				p += 2;
			} else if (buf_putc(&m, *p++)) {
				goto fail;
			}
		}
		if (n >= ENUM_MAX_MEMBERS)
			goto fail;
		xgrow((void **)&v, &cap, n + 1, sizeof(*v));
		v[n++] = xstrdup(m.data);
		while (*p == ' ')
			p++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ')')
			break;
		goto fail;
	}
	buf_release(&m);
	*out = v;
	*nout = (uint32_t)n;
	return 0;
fail:
	buf_release(&m);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return -1;
}

/* Column metadata, `mend` the end of the metadata block. */
static int tm_meta(struct binlog *d, struct wire *w, size_t mend,
		   struct bcol *c, uint8_t type, struct err *e)
{
	const unsigned char *m;
	size_t need;

	c->type = type;
	switch (type) {
	case BL_TYPE_FLOAT: case BL_TYPE_DOUBLE:
	case BL_TYPE_BLOB: case BL_TYPE_TINY_BLOB: case BL_TYPE_MEDIUM_BLOB:
	case BL_TYPE_LONG_BLOB: case BL_TYPE_GEOMETRY: case BL_TYPE_JSON:
	case BL_TYPE_TIME2: case BL_TYPE_DATETIME2: case BL_TYPE_TIMESTAMP2:
		need = 1;
		break;
	case BL_TYPE_VARCHAR: case BL_TYPE_VAR_STRING: case BL_TYPE_BIT:
	case BL_TYPE_NEWDECIMAL: case BL_TYPE_STRING: case BL_TYPE_ENUM:
	case BL_TYPE_SET:
		need = 2;
		break;
	case BL_TYPE_TINY: case BL_TYPE_SHORT: case BL_TYPE_INT24:
	case BL_TYPE_LONG: case BL_TYPE_LONGLONG: case BL_TYPE_YEAR:
	case BL_TYPE_DATE: case BL_TYPE_NEWDATE: case BL_TYPE_TIME:
	case BL_TYPE_DATETIME: case BL_TYPE_TIMESTAMP: case BL_TYPE_NULL:
		return 0;
	default:
		return err_set(e, FERRY_ENOTSUP, "binlog column type 0x%02x "
			       "(%u) is not supported", type, type);
	}
	if (mend - w->off < need || wire_bytes(w, need, &m))
		return bad(d, e, w, "column metadata shorter than its types");
	switch (type) {
	case BL_TYPE_FLOAT: case BL_TYPE_DOUBLE:
		return 0;
	case BL_TYPE_TIME2: case BL_TYPE_DATETIME2: case BL_TYPE_TIMESTAMP2:
		c->fsp = m[0];
		return c->fsp > 6 ? bad(d, e, w, "fractional precision over 6")
				  : 0;
	case BL_TYPE_VARCHAR: case BL_TYPE_VAR_STRING:
		c->len = (uint32_t)get_le(m, 2);
		return 0;
	case BL_TYPE_BIT:
		c->bits = m[0];
		c->len = (uint32_t)m[1] + (m[0] ? 1 : 0);
		return m[0] > 7 || c->len < 1 || c->len > 8
			       ? bad(d, e, w, "bad BIT metadata") : 0;
	case BL_TYPE_NEWDECIMAL:
		c->prec = m[0];
		c->scale = m[1];
		return decimal_meta_ok(m[0], m[1])
			       ? 0 : bad(d, e, w, "bad DECIMAL metadata");
	case BL_TYPE_STRING: case BL_TYPE_ENUM: case BL_TYPE_SET: {
		/* real_type, then length; a length over 255 borrows two
		 * bits of the real type: the real type always has bits
		 * 0x30 set, so where they are not, they are the length's
		 * bits 8-9 inverted */
		unsigned real = m[0], len = m[1];

		if ((real & 0x30) != 0x30) {
			len |= ((real & 0x30) ^ 0x30) << 4;
			real |= 0x30;
		}
		c->type = (uint8_t)real;
		c->len = len;
		if (real == BL_TYPE_STRING)
			return 0;
		if (real == BL_TYPE_ENUM)
			return len == 1 || len == 2
				       ? 0 : bad(d, e, w, "bad ENUM length");
		if (real == BL_TYPE_SET)
			return len >= 1 && len <= 8
				       ? 0 : bad(d, e, w, "bad SET length");
		return bad(d, e, w, "unknown real type of a STRING column");
	}
	default:	/* BLOB family, GEOMETRY, JSON: length bytes */
		c->len = m[0];
		return m[0] < 1 || m[0] > 4
			       ? bad(d, e, w, "bad BLOB length size") : 0;
	}
}

/* One of the charset fields: DEFAULT_CHARSET (default + exceptions) or
 * COLUMN_CHARSET (one per column), over the columns `sel` selects. */
static int tm_charsets(struct binlog *d, struct tmap *t, struct wire *w,
		       const unsigned char *v, size_t n, bool per_column,
		       bool enum_set, struct err *e)
{
	struct wire f;
	uint64_t x, idx;
	uint32_t k = 0;

	wire_init(&f, v, n);
	if (!per_column) {
		if (get_packed(&f, &x))
			return bad(d, e, w, "bad DEFAULT_CHARSET metadata");
		for (uint32_t i = 0; i < t->ncols; i++) {
			struct bcol *c = &t->cols[i];

			if (enum_set ? is_enum_set(c->type)
				     : has_charset(d, c->type)) {
				if (enum_set)
					c->elems_collation = (uint32_t)x;
				else
					c->collation = (uint32_t)x;
			}
		}
	}
	for (uint32_t i = 0; i < t->ncols; i++) {
		struct bcol *c = &t->cols[i];

		if (!(enum_set ? is_enum_set(c->type)
			       : has_charset(d, c->type)))
			continue;
		if (per_column) {
			if (get_packed(&f, &x))
				return bad(d, e, w, "COLUMN_CHARSET metadata "
					   "shorter than its columns");
			if (enum_set)
				c->elems_collation = (uint32_t)x;
			else
				c->collation = (uint32_t)x;
		}
		k++;
	}
	/* DEFAULT_CHARSET: (index among those columns, collation) pairs */
	while (!per_column && wire_left(&f)) {
		uint32_t j = 0;

		if (get_packed(&f, &idx) || get_packed(&f, &x) || idx >= k)
			return bad(d, e, w, "bad DEFAULT_CHARSET metadata");
		for (uint32_t i = 0; i < t->ncols; i++) {
			struct bcol *c = &t->cols[i];

			if (!(enum_set ? is_enum_set(c->type)
				       : has_charset(d, c->type)))
				continue;
			if (j++ == idx) {
				if (enum_set)
					c->elems_collation = (uint32_t)x;
				else
					c->collation = (uint32_t)x;
				break;
			}
		}
	}
	if (wire_left(&f))
		return bad(d, e, w, "COLUMN_CHARSET metadata longer than its "
			   "columns");
	return 0;
}

static int tm_members(struct binlog *d, struct tmap *t, struct wire *w,
		      const unsigned char *v, size_t n, uint8_t type,
		      struct err *e)
{
	struct wire f;

	wire_init(&f, v, n);
	for (uint32_t i = 0; i < t->ncols; i++) {
		struct bcol *c = &t->cols[i];
		uint64_t cnt, len;
		const unsigned char *s;

		if (c->type != type)
			continue;
		/* each member takes at least its length byte: check the
		 * count against the bytes before allocating */
		if (get_packed(&f, &cnt) || cnt > wire_left(&f) ||
		    cnt > (type == BL_TYPE_SET ? SET_MAX_MEMBERS
					       : ENUM_MAX_MEMBERS))
			return bad(d, e, w, "bad ENUM/SET member list");
		/* a repeated field replaces the earlier one */
		for (uint32_t k = 0; k < c->nelems; k++)
			free(c->elems[k]);
		free(c->elems);
		c->nelems = 0;
		c->elems = xcalloc(cnt ? cnt : 1, sizeof(*c->elems));
		c->have_elems = true;
		for (uint64_t k = 0; k < cnt; k++) {
			if (get_packed(&f, &len) || len > wire_left(&f) ||
			    wire_bytes(&f, len, &s))
				return bad(d, e, w, "ENUM/SET member longer "
					   "than its metadata");
			c->elems[c->nelems++] = xstrndup((const char *)s, len);
		}
	}
	return wire_left(&f) ? bad(d, e, w, "ENUM/SET metadata longer than "
				   "its columns") : 0;
}

static int convert_members(struct bcol *c)
{
	struct buf b;

	if (collation_kind(c->elems_collation) != CS_LATIN1)
		return 0;
	buf_init(&b, 1 << 20);
	for (uint32_t k = 0; k < c->nelems; k++) {
		buf_reset(&b);
		if (latin1_to_utf8((const unsigned char *)c->elems[k],
				   strlen(c->elems[k]), &b)) {
			buf_release(&b);
			return -1;
		}
		free(c->elems[k]);
		c->elems[k] = xstrdup(b.data);
	}
	buf_release(&b);
	return 0;
}

/* Ask hooks->columns for what the metadata lacks, and check that every
 * column can now be decoded. */
static int tm_complete(struct binlog *d, struct tmap *t, char **names,
		       bool *keys, bool have_sign, struct err *e)
{
	struct binlog_colinfo *ci = NULL;
	bool have_names = names[0] != NULL, need = !have_names;
	char at[POS_FILE_MAX + 32];
	int rc = 0;

	for (uint32_t i = 0; i < t->ncols; i++) {
		struct bcol *c = &t->cols[i];

		c->have_sign = have_sign && has_sign_bit(d, c->type);
		if (is_int_type(c->type) && !c->have_sign)
			need = true;
		if (needs_cs(d, c->type))
			c->cs = collation_kind(c->collation);
		if (needs_cs(d, c->type) && c->cs == CS_UNKNOWN)
			need = true;
		if (is_enum_set(c->type) && !c->have_elems)
			need = true;
	}
	if (need) {
		if (!d->hooks.columns)
			return err_set(e, FERRY_ECONFIG, "TABLE_MAP of \"%s.%s\""
				       " at %s lacks column metadata and "
				       "ferry has no other way to learn it: "
				       "set binlog_row_metadata=FULL", t->schema,
				       t->name, where(d, at, sizeof(at)));
		ci = xcalloc(t->ncols, sizeof(*ci));
		rc = d->hooks.columns(d->hooks.arg, t->schema, t->name,
				      t->ncols, ci, e);
		if (rc) {
			free(ci);
			return rc;
		}
	}
	for (uint32_t i = 0; i < t->ncols && !rc; i++) {
		struct bcol *c = &t->cols[i];
		const char *name = have_names ? names[i] : ci[i].name;

		if (!name) {
			rc = err_set(e, FERRY_ECONFIG, "no name for column %u "
				     "of \"%s.%s\"", i + 1, t->schema,
				     t->name);
			break;
		}
		if (!have_names)
			keys[i] = ci[i].key;
		if (is_int_type(c->type) && !c->have_sign)
			c->is_unsigned = ci[i].column_type &&
					 strstr(ci[i].column_type, "unsigned");
		if (needs_cs(d, c->type) && c->cs == CS_UNKNOWN && ci)
			c->cs = charset_kind(ci[i].charset);
		if (is_enum_set(c->type) && !c->have_elems) {
			if (parse_members(ci[i].column_type, &c->elems,
					  &c->nelems)) {
				rc = err_set(e, FERRY_ECONFIG, "cannot read the "
					     "members of column \"%s\" of "
					     "\"%s.%s\" from \"%s\"", name,
					     t->schema, t->name,
					     ci[i].column_type ?
					     ci[i].column_type : "");
				break;
			}
			c->have_elems = true;
		} else if (is_enum_set(c->type) && convert_members(c)) {
			rc = err_set(e, FERRY_EFULL, "ENUM member too long");
			break;
		}
		if (needs_cs(d, c->type) &&
		    (c->cs == CS_UNKNOWN || c->cs == CS_OTHER)) {
			rc = err_set(e, FERRY_ENOTSUP, "column \"%s\" of "
				     "\"%s.%s\" uses collation %u, whose "
				     "character set ferry does not convert "
				     "(utf8mb3, utf8mb4, ascii, latin1 and "
				     "binary are supported)", name,
				     t->schema, t->name, c->collation);
			break;
		}
		if (c->type == BL_TYPE_SET && c->nelems > SET_MAX_MEMBERS) {
			rc = err_set(e, FERRY_EPROTO, "SET column \"%s\" with "
				     "%u members", name, c->nelems);
			break;
		}
		if (!have_names)
			names[i] = xstrdup(name);
	}
	free(ci);
	return rc;
}

static int tm_describe(struct binlog *d, struct tmap *t, struct wire *w,
		       const unsigned char *types, size_t mlen,
		       struct err *e)
{
	char **names = xcalloc(t->ncols, sizeof(*names));
	bool *keys = xcalloc(t->ncols, sizeof(*keys));
	size_t mend = w->off + mlen;
	bool have_sign = false;
	const unsigned char *v;
	uint64_t flen, idx, prefix;
	uint8_t ft8;
	int rc = 0;

	t->cols = xcalloc(t->ncols, sizeof(*t->cols));
	for (uint32_t i = 0; i < t->ncols && !rc; i++)
		rc = tm_meta(d, w, mend, &t->cols[i], types[i], e);
	if (!rc && w->off != mend)
		rc = bad(d, e, w, "column metadata longer than its types");
	/* null bitmap of the columns: rows carry their own */
	if (!rc && wire_skip(w, (t->ncols + 7) / 8))
		rc = bad(d, e, w, "truncated null bitmap");
	/* optional metadata: (type u8, length packed, value) fields */
	while (!rc && wire_left(w)) {
		struct wire f;

		if (wire_u8(w, &ft8) || get_packed(w, &flen) ||
		    flen > wire_left(w) || wire_bytes(w, flen, &v)) {
			rc = bad(d, e, w, "truncated optional metadata");
			break;
		}
		wire_init(&f, v, flen);
		switch ((enum tm_opt)ft8) {
		case TM_SIGNEDNESS: {
			uint32_t k = 0;

			for (uint32_t i = 0; i < t->ncols && !rc; i++) {
				struct bcol *c = &t->cols[i];

				if (!has_sign_bit(d, c->type))
					continue;
				if (k / 8 >= flen)
					rc = bad(d, e, w, "SIGNEDNESS metadata "
						 "shorter than its columns");
				else
					c->is_unsigned =
						v[k / 8] & (0x80 >> (k % 8));
				k++;
			}
			have_sign = true;
			break;
		}
		case TM_DEFAULT_CHARSET:
		case TM_COLUMN_CHARSET:
			rc = tm_charsets(d, t, w, v, flen,
					 ft8 == TM_COLUMN_CHARSET, false, e);
			break;
		case TM_ENUM_AND_SET_DEFAULT_CHARSET:
		case TM_ENUM_AND_SET_COLUMN_CHARSET:
			rc = tm_charsets(d, t, w, v, flen,
					 ft8 == TM_ENUM_AND_SET_COLUMN_CHARSET,
					 true, e);
			break;
		case TM_COLUMN_NAME:
			for (uint32_t i = 0; i < t->ncols && !rc; i++) {
				const unsigned char *s;
				uint64_t len;

				if (get_packed(&f, &len) ||
				    len > NAME_MAX_BYTES ||
				    wire_bytes(&f, len, &s) ||
				    memchr(s, 0, len)) {
					rc = bad(d, e, w, "bad COLUMN_NAME "
						 "metadata");
					break;
				}
				free(names[i]);
				names[i] = xstrndup((const char *)s, len);
			}
			if (!rc && wire_left(&f))
				rc = bad(d, e, w, "COLUMN_NAME metadata longer"
					 " than its columns");
			break;
		case TM_SET_STR_VALUE:
		case TM_ENUM_STR_VALUE:
			rc = tm_members(d, t, w, v, flen,
					ft8 == TM_SET_STR_VALUE ? BL_TYPE_SET
								: BL_TYPE_ENUM,
					e);
			break;
		case TM_SIMPLE_PRIMARY_KEY:
		case TM_PRIMARY_KEY_WITH_PREFIX:
			while (!rc && wire_left(&f)) {
				if (get_packed(&f, &idx) || idx >= t->ncols ||
				    (ft8 == TM_PRIMARY_KEY_WITH_PREFIX &&
				     get_packed(&f, &prefix)))
					rc = bad(d, e, w, "bad PRIMARY_KEY "
						 "metadata");
				else
					keys[idx] = true;
			}
			break;
		default:
			/* GEOMETRY_TYPE, COLUMN_VISIBILITY, newer fields */
			break;
		}
	}
	if (!rc && names[0])
		for (uint32_t i = 1; i < t->ncols; i++)
			if (!names[i])
				rc = bad(d, e, w, "COLUMN_NAME metadata "
					 "shorter than its columns");
	if (!rc)
		rc = tm_complete(d, t, names, keys, have_sign, e);
	if (!rc) {
		t->desc = table_desc_new(t->schema, t->name, t->ncols);
		t->desc->source_id = (uint32_t)t->id;
		for (uint32_t i = 0; i < t->ncols; i++) {
			const struct bcol *c = &t->cols[i];

			table_desc_set_col(t->desc, i, names[i],
					   binlog_type_class(c->type,
							     c->cs == CS_BINARY),
					   c->type, keys[i]);
		}
	}
	for (uint32_t i = 0; i < t->ncols; i++)
		free(names[i]);
	free(names);
	free(keys);
	return rc;
}

/*
 * TABLE_MAP: post-header table_id (6), flags (2); body database name
 * (u8 length, bytes, NUL), table name (same), column count (packed),
 * column types (one byte each), metadata length (packed) and block,
 * null bitmap, optional metadata to the end.
 */
static int decode_table_map(struct binlog *d, struct wire *w, struct err *e)
{
	char schema[NAME_MAX_BYTES + 1], table[NAME_MAX_BYTES + 1];
	const unsigned char *db, *tbl, *types, *raw;
	uint64_t id, ncols, mlen;
	uint8_t dblen, tbllen, nul;
	uint16_t flags;
	size_t rawoff, pl = post_len(d, BINLOG_EV_TABLE_MAP, 8);
	struct tmap *t, *old;
	int rc;

	if (get_table_id(d, w, BINLOG_EV_TABLE_MAP, 8, &id, &flags) ||
	    (pl > 8 && wire_skip(w, pl - 8)))
		return bad(d, e, w, "truncated post-header");
	rawoff = w->off;
	if (wire_u8(w, &dblen) || wire_bytes(w, dblen, &db) ||
	    wire_u8(w, &nul) || nul || memchr(db, 0, dblen))
		return bad(d, e, w, "bad database name");
	if (wire_u8(w, &tbllen) || wire_bytes(w, tbllen, &tbl) ||
	    wire_u8(w, &nul) || nul || memchr(tbl, 0, tbllen))
		return bad(d, e, w, "bad table name");
	raw = w->p + rawoff;
	old = cache_get(d, id);
	if (old && old->rawlen == w->len - rawoff &&
	    memcmp(old->raw, raw, old->rawlen) == 0) {
		/* the same map again (it precedes every statement) */
		w->off = w->len;
		return 0;
	}
	if (get_packed(w, &ncols) || ncols == 0 ||
	    ncols > BINLOG_MAX_COLUMNS)
		return bad(d, e, w, "column count 0 or over 4096");
	if (wire_bytes(w, ncols, &types))
		return bad(d, e, w, "column types shorter than their count");
	if (get_packed(w, &mlen) || mlen > wire_left(w))
		return bad(d, e, w, "metadata longer than the event");
	memcpy(schema, db, dblen);
	schema[dblen] = '\0';
	memcpy(table, tbl, tbllen);
	table[tbllen] = '\0';

	t = xcalloc(1, sizeof(*t));
	t->id = id;
	t->rawlen = w->len - rawoff;
	t->raw = xmalloc(t->rawlen ? t->rawlen : 1);
	memcpy(t->raw, raw, t->rawlen);
	t->schema = xstrdup(schema);
	t->name = xstrdup(table);
	t->ncols = (uint32_t)ncols;
	t->wanted = !d->hooks.want ||
		    d->hooks.want(d->hooks.arg, schema, table);
	if (t->wanted) {
		rc = tm_describe(d, t, w, types, mlen, e);
		if (rc) {
			tmap_free(t);
			return rc;
		}
	}
	w->off = w->len;
	cache_put(d, t);
	return 0;
}

/* ---- transactions ------------------------------------------------------- */

static struct change *txn_change(struct binlog *d, enum change_kind kind,
				 uint32_t ts)
{
	struct ferry_pos pos;

	binlog_position(d, &pos);
	return change_new_txn(kind, d->xid, &pos, (int64_t)ts * 1000);
}

static int begin_txn(struct binlog *d, struct wire *w, uint32_t ts,
		     struct err *e)
{
	if (d->in_txn)
		return bad(d, e, w, "a transaction begins inside another");
	d->in_txn = true;
	push_pending(d, txn_change(d, CHANGE_BEGIN, ts));
	return 0;
}

static int commit_txn(struct binlog *d, struct wire *w, uint32_t ts,
		      struct err *e)
{
	if (!d->in_txn)
		return bad(d, e, w, "a transaction ends that did not begin");
	push_pending(d, txn_change(d, CHANGE_COMMIT, ts));
	d->in_txn = false;
	d->xid = 0;
	return 0;
}

/* ---- ROWS events -------------------------------------------------------- */

/*
 * One row image: a null bitmap over the columns present in this image
 * (bit i of byte i/8, low bit first), then the value of each present,
 * non-NULL column.  Absent columns (binlog_row_image != FULL) stay
 * DATUM_ABSENT.
 */
static int decode_image(struct binlog *d, struct wire *w, struct tmap *t,
			const unsigned char *present, struct change *c,
			bool old, struct err *e)
{
	const unsigned char *nulls;
	uint32_t npresent = 0, j = 0;
	int rc = 0;

	for (uint32_t i = 0; i < t->ncols; i++)
		npresent += present[i / 8] >> (i % 8) & 1;
	if (wire_bytes(w, (npresent + 7) / 8, &nulls))
		return bad(d, e, w, "truncated row null bitmap");
	for (uint32_t i = 0; i < t->ncols && !rc; i++) {
		bool null;

		if (!(present[i / 8] >> (i % 8) & 1))
			continue;
		null = nulls[j / 8] >> (j % 8) & 1;
		j++;
		if (null) {
			rc = old ? change_set_old(c, i, DATUM_NULL, NULL, 0)
				 : change_set_new(c, i, DATUM_NULL, NULL, 0);
			continue;
		}
		rc = decode_value(d, w, &t->cols[i], e);
		if (rc)
			return rc;
		rc = old ? change_set_old(c, i, DATUM_VALUE, d->val.data,
					  d->val.len)
			 : change_set_new(c, i, DATUM_VALUE, d->val.data,
					  d->val.len);
	}
	if (rc)
		return err_set(e, rc, "binlog row of \"%s.%s\" does not fit "
			       "in memory", t->schema, t->name);
	return 0;
}

/*
 * WRITE/UPDATE/DELETE_ROWS: post-header table_id (6), flags (2) and, in
 * v2 (MySQL), extra_row_info length (2, counting itself) + data; body
 * column count (packed), columns-present bitmap (an UPDATE has a second
 * one for the after image), then rows to the end: WRITE the after image,
 * DELETE the before image, UPDATE both.
 */
static int decode_rows(struct binlog *d, struct wire *w, uint8_t type,
		       struct binlog_event *info, struct err *e)
{
	bool v2 = type >= BINLOG_EV_WRITE_ROWS_V2;
	int op = type - (v2 ? BINLOG_EV_WRITE_ROWS_V2 : BINLOG_EV_WRITE_ROWS_V1);
	size_t std = v2 ? 10 : 8, pl = post_len(d, type, std), nb;
	const unsigned char *before, *after;
	uint64_t id, width;
	uint16_t flags, extra;
	struct tmap *t;

	if (get_table_id(d, w, type, std, &id, &flags))
		return bad(d, e, w, "truncated post-header");
	if (v2 && (wire_u16le(w, &extra) || extra < 2 ||
		   wire_skip(w, extra - 2u)))
		return bad(d, e, w, "bad extra row info length");
	if (pl > std && wire_skip(w, pl - std))
		return bad(d, e, w, "truncated post-header");
	t = cache_get(d, id);
	if (!t)
		return bad(d, e, w, "rows for a table id no TABLE_MAP "
			   "described");
	if (!t->wanted) {
		info->filtered = true;
		w->off = w->len;
		return 0;
	}
	if (get_packed(w, &width) || width != t->ncols)
		return bad(d, e, w, "column count differs from the TABLE_MAP");
	nb = (t->ncols + 7) / 8;
	if (wire_bytes(w, nb, &before))
		return bad(d, e, w, "truncated columns-present bitmap");
	after = before;
	if (op == 1 && wire_bytes(w, nb, &after))
		return bad(d, e, w, "truncated columns-present bitmap");
	if (!d->in_txn && wire_left(w))
		return bad(d, e, w, "rows outside a transaction");
	if (d->xa && wire_left(w))
		return err_set(e, FERRY_ENOTSUP, "XA transaction on migrated "
			       "table \"%s.%s\" at %s:%" PRIu64 ": XA is not "
			       "supported", t->schema, t->name, d->file,
			       d->ev_start);
	while (wire_left(w)) {
		size_t start = w->off;
		struct change *c;
		int rc;

		/* every row costs ncols values per image.  A full row image
		 * costs at least a null bit per value, 8 values a byte; only
		 * absent columns (a row image that is not FULL) could cost
		 * less, and a hostile event could then expand without
		 * bound: cap it at twice the full-image rate */
		if ((size_t)(info->rows + 1) * t->ncols >
		    ROWS_EXPAND_PER_BYTE * (w->len + BINLOG_HEADER_LEN) +
			    BINLOG_MAX_COLUMNS)
			return bad(d, e, w, "rows expand to more values than "
				   "the event can hold");
		c = change_new_row(op == 0 ? CHANGE_INSERT
				   : op == 1 ? CHANGE_UPDATE : CHANGE_DELETE,
				   t->desc, op != 0, op != 2);
		c->xid = d->xid;
		rc = decode_image(d, w, t, op == 0 ? after : before, c,
				  op != 0, e);
		if (!rc && op == 1)
			rc = decode_image(d, w, t, after, c, false, e);
		if (!rc && w->off == start)
			rc = bad(d, e, w, "a row image with no columns");
		if (rc) {
			change_free(c);
			return rc;
		}
		push_pending(d, c);
		info->rows++;
	}
	return 0;
}

/* ---- QUERY events: transaction control and DDL ------------------------ */

/*
 * Statements in QUERY events are SQL text.  We need to know only which
 * tables a DDL statement (or a statement-based DML one) touches, so a
 * tokenizer that skips comments and strings and reads identifiers is
 * enough.  Executable comments (mysqldump's "slash-star-bang-40000"
 * ones) are code: their markers are skipped and their contents read.
 */
struct sqlscan {
	const char *p, *end;
};

struct sqltok {
	const char *s;
	size_t n;
	char kind;		/* 'w' word, 'q' quoted identifier, 's' string
				   literal, else the punctuation character */
};

static bool ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

static bool scan_tok(struct sqlscan *sc, struct sqltok *t)
{
	const char *p = sc->p, *end = sc->end;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
				   *p == '\r' || *p == '\f'))
			p++;
		if (p + 2 < end && p[0] == '/' && p[1] == '*' &&
		    (p[2] == '!' || (p[2] == 'M' && p + 3 < end &&
				     p[3] == '!'))) {
			p += p[2] == 'M' ? 4 : 3;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
			continue;
		}
		if (p + 1 < end && p[0] == '/' && p[1] == '*') {
			const char *q = p + 2;

			while (q + 1 < end && !(q[0] == '*' && q[1] == '/'))
				q++;
			p = q + 1 < end ? q + 2 : end;
			continue;
		}
		if (p + 1 < end && p[0] == '*' && p[1] == '/') {
			p += 2;
			continue;
		}
		if (p < end && (*p == '#' ||
				(p + 1 < end && p[0] == '-' && p[1] == '-' &&
				 (p + 2 == end || (unsigned char)p[2] <= ' ')))) {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		break;
	}
	if (p >= end) {
		sc->p = end;
		return false;
	}
	if (*p == '`' || *p == '"' || *p == '\'') {
		char q = *p;

		t->s = ++p;
		while (p < end) {
			if (*p == q && p + 1 < end && p[1] == q)
				p += 2;
			else if (*p == q)
				break;
			else if (q != '`' && *p == '\\' && p + 1 < end)
				p += 2;
			else
				p++;
		}
		t->n = (size_t)((p < end ? p : end) - t->s);
		t->kind = q == '\'' ? 's' : 'q';
		sc->p = p < end ? p + 1 : end;
		return true;
	}
	t->s = p;
	if (ident_char((unsigned char)*p)) {
		while (p < end && ident_char((unsigned char)*p))
			p++;
		t->kind = 'w';
	} else {
		t->kind = *p++;
	}
	t->n = (size_t)(p - t->s);
	sc->p = p;
	return true;
}

static bool tok_is(const struct sqltok *t, const char *kw)
{
	return t->kind == 'w' && strlen(kw) == t->n &&
	       strncasecmp(t->s, kw, t->n) == 0;
}

/* Take the next token if it is keyword `kw`. */
static bool scan_kw(struct sqlscan *sc, const char *kw)
{
	struct sqlscan save = *sc;
	struct sqltok t;

	if (scan_tok(sc, &t) && tok_is(&t, kw))
		return true;
	*sc = save;
	return false;
}

/* An identifier token into `out` (quotes undoubled); false if the token
 * is no identifier or too long. */
static bool tok_ident(const struct sqltok *t, char *out, size_t n)
{
	size_t k = 0;

	if (t->kind != 'w' && t->kind != 'q')
		return false;
	for (size_t i = 0; i < t->n; i++) {
		if (t->kind == 'q' && i + 1 < t->n && t->s[i] == t->s[i + 1] &&
		    (t->s[i] == '`' || t->s[i] == '"'))
			i++;
		if (k + 1 >= n)
			return false;
		out[k++] = t->s[i];
	}
	out[k] = '\0';
	return k > 0;
}

/* [schema.]table; the schema defaults to the statement's database */
static bool scan_name(struct sqlscan *sc, const char *dflt, char *schema,
		      char *table, size_t n)
{
	struct sqltok t;
	struct sqlscan save;

	if (!scan_tok(sc, &t) || !tok_ident(&t, table, n))
		return false;
	save = *sc;
	if (scan_tok(sc, &t) && t.kind == '.') {
		if (!scan_tok(sc, &t))
			return false;
		memcpy(schema, table, strlen(table) + 1);
		return tok_ident(&t, table, n);
	}
	*sc = save;
	if (!dflt || !*dflt || strlen(dflt) >= n)
		return false;
	memcpy(schema, dflt, strlen(dflt) + 1);
	return true;
}

enum ddl_kind {
	DDL_ALTER,
	DDL_DROP,
	DDL_RENAME,
	DDL_TRUNCATE,
	DDL_REPLACE,		/* CREATE OR REPLACE TABLE */
	DDL_DML,		/* statement-based INSERT/UPDATE/... */
};

static const char *const ddl_names[] = {
	[DDL_ALTER] = "ALTER TABLE", [DDL_DROP] = "DROP TABLE",
	[DDL_RENAME] = "RENAME TABLE", [DDL_TRUNCATE] = "TRUNCATE",
	[DDL_REPLACE] = "CREATE OR REPLACE TABLE",
	[DDL_DML] = "statement-based change",
};

static bool wanted(const struct binlog *d, const char *schema,
		   const char *table)
{
	return !d->hooks.want || d->hooks.want(d->hooks.arg, schema, table);
}

/* The cached description of schema.table, if any (for TRUNCATE). */
static struct table_desc *desc_by_name(const struct binlog *d,
				       const char *schema, const char *table)
{
	for (size_t i = 0; i < d->nslots; i++) {
		const struct tmap *t = d->slots[i];

		if (t && t->desc && strcmp(t->schema, schema) == 0 &&
		    strcmp(t->name, table) == 0)
			return t->desc;
	}
	return NULL;
}

static int ddl_hit(struct binlog *d, struct wire *w, enum ddl_kind k,
		   const char *schema, const char *table, const char *sql,
		   size_t sqllen, uint32_t ts, struct err *e)
{
	char at[POS_FILE_MAX + 32];
	struct table_desc *desc;
	struct change *c;
	bool outside;
	int rc;

	if (!wanted(d, schema, table)) {
		cache_forget_name(d, schema, table);
		return 0;
	}
	if (k != DDL_TRUNCATE) {
		cache_forget_name(d, schema, table);
		if (k == DDL_DML)
			return err_set(e, FERRY_ESTATE, "statement-based change "
				       "of migrated table \"%s.%s\" at %s: "
				       "ferry reads only row events; every "
				       "session writing it must use "
				       "binlog_format=ROW (statement: %.*s)",
				       schema, table, where(d, at, sizeof(at)),
				       (int)(sqllen > 200 ? 200 : sqllen), sql);
		return err_set(e, FERRY_ESTATE, "%s on migrated table "
			       "\"%s.%s\" at %s: ferry cannot follow schema "
			       "changes of the tables it migrates; apply the "
			       "change to the target and the mapping, then "
			       "start again from a new snapshot (statement: "
			       "%.*s)", ddl_names[k], schema, table,
			       where(d, at, sizeof(at)),
			       (int)(sqllen > 200 ? 200 : sqllen), sql);
	}
	desc = desc_by_name(d, schema, table);
	desc = desc ? table_desc_ref(desc) : table_desc_new(schema, table, 0);
	cache_forget_name(d, schema, table);
	outside = !d->in_txn;
	rc = outside ? begin_txn(d, w, ts, e) : 0;
	if (!rc) {
		c = change_new_row(CHANGE_TRUNCATE, desc, false, false);
		c->xid = d->xid;
		push_pending(d, c);
	}
	table_desc_unref(desc);
	return !rc && outside ? commit_txn(d, w, ts, e) : rc;
}

/* Every table a statement changes the definition (or, statement-based,
 * the rows) of. */
static int scan_statement(struct binlog *d, struct wire *w, const char *db,
			  const char *sql, size_t len, uint32_t ts,
			  struct err *e)
{
	struct sqlscan sc = { sql, sql + len };
	char schema[NAME_MAX_BYTES + 1], table[NAME_MAX_BYTES + 1];
	struct sqltok t;
	enum ddl_kind k;
	int rc = 0;

	if (!scan_tok(&sc, &t) || t.kind != 'w')
		return 0;
	if (tok_is(&t, "ALTER")) {
		(void)(scan_kw(&sc, "ONLINE") || scan_kw(&sc, "OFFLINE"));
		(void)scan_kw(&sc, "IGNORE");
		if (!scan_kw(&sc, "TABLE"))
			return 0;
		if (scan_kw(&sc, "IF"))
			(void)scan_kw(&sc, "EXISTS");
		if (scan_name(&sc, db, schema, table, sizeof(table)))
			rc = ddl_hit(d, w, DDL_ALTER, schema, table, sql, len,
				     ts, e);
		return rc;
	}
	if (tok_is(&t, "DROP")) {
		if (scan_kw(&sc, "DATABASE") || scan_kw(&sc, "SCHEMA")) {
			char at[POS_FILE_MAX + 32];

			if (scan_kw(&sc, "IF"))
				(void)scan_kw(&sc, "EXISTS");
			if (!scan_tok(&sc, &t) ||
			    !tok_ident(&t, schema, sizeof(schema)))
				return 0;
			if (d->hooks.want && !d->hooks.want(d->hooks.arg,
							    schema, NULL))
				return 0;
			return err_set(e, FERRY_ESTATE, "DROP DATABASE \"%s\" "
				       "at %s drops migrated tables",
				       schema, where(d, at, sizeof(at)));
		}
		if (scan_kw(&sc, "TEMPORARY"))
			return 0;
		if (!scan_kw(&sc, "TABLE") && !scan_kw(&sc, "TABLES"))
			return 0;
		if (scan_kw(&sc, "IF"))
			(void)scan_kw(&sc, "EXISTS");
		do {
			if (!scan_name(&sc, db, schema, table, sizeof(table)))
				break;
			rc = ddl_hit(d, w, DDL_DROP, schema, table, sql, len,
				     ts, e);
		} while (!rc && scan_tok(&sc, &t) && t.kind == ',');
		return rc;
	}
	if (tok_is(&t, "RENAME")) {
		if (!scan_kw(&sc, "TABLE") && !scan_kw(&sc, "TABLES"))
			return 0;
		do {
			if (!scan_name(&sc, db, schema, table, sizeof(table)))
				break;
			rc = ddl_hit(d, w, DDL_RENAME, schema, table, sql, len,
				     ts, e);
			if (rc || !scan_kw(&sc, "TO") ||
			    !scan_name(&sc, db, schema, table, sizeof(table)))
				break;
			rc = ddl_hit(d, w, DDL_RENAME, schema, table, sql, len,
				     ts, e);
		} while (!rc && scan_tok(&sc, &t) && t.kind == ',');
		return rc;
	}
	if (tok_is(&t, "TRUNCATE")) {
		(void)scan_kw(&sc, "TABLE");
		if (scan_name(&sc, db, schema, table, sizeof(table)))
			rc = ddl_hit(d, w, DDL_TRUNCATE, schema, table, sql,
				     len, ts, e);
		return rc;
	}
	if (tok_is(&t, "CREATE")) {
		if (!scan_kw(&sc, "OR") || !scan_kw(&sc, "REPLACE") ||
		    scan_kw(&sc, "TEMPORARY") || !scan_kw(&sc, "TABLE"))
			return 0;
		if (scan_name(&sc, db, schema, table, sizeof(table)))
			rc = ddl_hit(d, w, DDL_REPLACE, schema, table, sql,
				     len, ts, e);
		return rc;
	}
	/* statement-based DML (a session with binlog_format=STATEMENT) */
	k = DDL_DML;
	if (tok_is(&t, "INSERT") || tok_is(&t, "REPLACE")) {
		while (scan_kw(&sc, "LOW_PRIORITY") || scan_kw(&sc, "DELAYED") ||
		       scan_kw(&sc, "HIGH_PRIORITY") || scan_kw(&sc, "IGNORE"))
			;
		(void)scan_kw(&sc, "INTO");
	} else if (tok_is(&t, "UPDATE")) {
		while (scan_kw(&sc, "LOW_PRIORITY") || scan_kw(&sc, "IGNORE"))
			;
	} else if (tok_is(&t, "DELETE")) {
		while (scan_kw(&sc, "LOW_PRIORITY") || scan_kw(&sc, "QUICK") ||
		       scan_kw(&sc, "IGNORE"))
			;
		if (!scan_kw(&sc, "FROM"))
			return 0;
	} else if (tok_is(&t, "LOAD")) {
		while (scan_tok(&sc, &t))
			if (tok_is(&t, "INTO") && scan_kw(&sc, "TABLE"))
				break;
		if (sc.p >= sc.end)
			return 0;
	} else {
		return 0;
	}
	if (scan_name(&sc, db, schema, table, sizeof(table)))
		rc = ddl_hit(d, w, k, schema, table, sql, len, ts, e);
	return rc;
}

static bool stmt_is(const char *s, size_t n, const char *kw)
{
	size_t k = strlen(kw);

	while (n && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' ||
		     s[n - 1] == ';' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n == k && strncasecmp(s, kw, k) == 0;
}

/*
 * QUERY: post-header thread_id u32, exec_time u32, db_len u8,
 * error_code u16, status_vars_len u16; body status variables, database
 * name + NUL, statement text to the end (not NUL-terminated).
 */
static int decode_query(struct binlog *d, struct wire *w, uint32_t ts,
			struct err *e)
{
	size_t pl = post_len(d, BINLOG_EV_QUERY, 13);
	const unsigned char *dbp, *sql;
	char db[NAME_MAX_BYTES + 1];
	uint32_t thread, exec;
	uint16_t errcode, slen;
	uint8_t dblen, nul;
	size_t len;
	int rc = 0;

	if (wire_u32le(w, &thread) || wire_u32le(w, &exec) ||
	    wire_u8(w, &dblen) || wire_u16le(w, &errcode) ||
	    wire_u16le(w, &slen) || (pl > 13 && wire_skip(w, pl - 13)))
		return bad(d, e, w, "truncated post-header");
	if (wire_skip(w, slen))
		return bad(d, e, w, "status variables longer than the event");
	if (wire_bytes(w, dblen, &dbp) || wire_u8(w, &nul) || nul ||
	    memchr(dbp, 0, dblen))
		return bad(d, e, w, "bad database name");
	memcpy(db, dbp, dblen);
	db[dblen] = '\0';
	len = wire_left(w);
	if (wire_bytes(w, len, &sql))
		return bad(d, e, w, "truncated statement");
	if (stmt_is((const char *)sql, len, "BEGIN")) {
		if (!d->in_txn)
			rc = begin_txn(d, w, ts, e);
	} else if (stmt_is((const char *)sql, len, "COMMIT") ||
		   stmt_is((const char *)sql, len, "ROLLBACK")) {
		/* ROLLBACK ends a group whose non-transactional changes
		 * were logged: they happened */
		rc = commit_txn(d, w, ts, e);
	} else {
		rc = scan_statement(d, w, db, (const char *)sql, len, ts, e);
	}
	d->standalone = false;
	return rc;
}

/* ---- control events ------------------------------------------------------ */

/*
 * FORMAT_DESCRIPTION: binlog_version u16 (4), server_version char[50],
 * create_timestamp u32, header_length u8 (19), one post-header length
 * per event type, checksum_alg u8, then 4 bytes that are the CRC32 when
 * checksum_alg is 1 (present, unused, when it is 0).
 */
static int decode_fde(struct binlog *d, struct wire *w, struct err *e)
{
	const unsigned char *ver, *lens;
	uint32_t created;
	uint16_t version;
	uint8_t hlen, alg;
	size_t n;

	if (wire_u16le(w, &version) || wire_bytes(w, 50, &ver) ||
	    wire_u32le(w, &created) || wire_u8(w, &hlen))
		return bad(d, e, w, "truncated");
	if (version != 4)
		return err_set(e, FERRY_ENOTSUP, "binlog version %u: only "
			       "version 4 (MySQL 5.0+, MariaDB) is supported",
			       version);
	if (hlen != BINLOG_HEADER_LEN)
		return bad(d, e, w, "event header length is not 19");
	/* the body we get ends before the 4 checksum bytes */
	if (wire_left(w) < 1)
		return bad(d, e, w, "no checksum algorithm");
	n = wire_left(w) - 1;
	if (wire_bytes(w, n, &lens) || wire_u8(w, &alg))
		return bad(d, e, w, "truncated");
	if (alg != CHECKSUM_ALG_OFF && alg != CHECKSUM_ALG_CRC32 &&
	    alg != CHECKSUM_ALG_UNDEF)
		return bad(d, e, w, "unknown checksum algorithm");
	memset(d->post_header, 0, sizeof(d->post_header));
	d->npost = n < sizeof(d->post_header) ? n : sizeof(d->post_header);
	memcpy(d->post_header, lens, d->npost);
	d->crc = alg == CHECKSUM_ALG_CRC32 ? CRC_32 : CRC_NONE;
	d->have_fde = true;
	d->mariadb = memmem(ver, 50, "MariaDB", 7) != NULL;
	return 0;
}

/* ROTATE: position u64, then the next file's name to the end. */
static int decode_rotate(struct binlog *d, struct wire *w, struct err *e)
{
	const unsigned char *name;
	uint64_t pos;
	size_t n;

	if (wire_u64le(w, &pos))
		return bad(d, e, w, "truncated");
	n = wire_left(w);
	if (n == 0 || n >= sizeof(d->file) || wire_bytes(w, n, &name))
		return bad(d, e, w, "bad file name length");
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x20 || name[i] == 0x7f || name[i] == '/')
			return bad(d, e, w, "bad character in file name");
	memcpy(d->file, name, n);
	d->file[n] = '\0';
	d->offset = pos;
	/* table ids are reassigned as tables are reopened: start afresh */
	cache_clear(d);
	return 0;
}

/*
 * MariaDB GTID_EVENT: seq_no u64, domain_id u32, flags2 u8, then
 * commit_id u64 (FL_GROUP_COMMIT_ID), the XID of XA groups, extra flags:
 * nothing we need.  Server id is the header's.  It replaces BEGIN unless
 * FL_STANDALONE (a DDL statement without BEGIN/COMMIT).
 */
static int decode_mariadb_gtid(struct binlog *d, struct wire *w,
			       const struct binlog_event *info, struct err *e)
{
	char text[POS_GTID_MAX];
	uint64_t seq;
	uint32_t domain;
	uint8_t flags;

	if (wire_u64le(w, &seq) || wire_u32le(w, &domain) ||
	    wire_u8(w, &flags))
		return bad(d, e, w, "truncated");
	w->off = w->len;
	if (d->in_txn)
		return bad(d, e, w, "GTID inside a transaction");
	gtid_note(d, domain, info->server_id, seq);
	if (!gtid_format(d, text, sizeof(text)))
		return err_set(e, FERRY_EFULL, "GTID state over %d bytes",
			       POS_GTID_MAX);
	d->xid = seq;
	d->xa = false;
	d->standalone = false;
	if (flags & GTID_FL_PREPARED_XA) {
		/* rows of migrated tables in it are refused; the group
		 * ends with XA_PREPARE */
		d->xa = true;
		d->in_txn = true;
		return 0;
	}
	if (flags & (GTID_FL_STANDALONE | GTID_FL_COMPLETED_XA)) {
		d->standalone = true;
		return 0;
	}
	return begin_txn(d, w, info->timestamp, e);
}

/* MySQL GTID_LOG_EVENT: flags u8, source uuid[16], gno u64, logical
 * clocks ...; ANONYMOUS_GTID the same without a meaningful uuid.  A
 * QUERY "BEGIN" follows for transactions. */
static int decode_mysql_gtid(struct binlog *d, struct wire *w, uint8_t type,
			     struct err *e)
{
	const unsigned char *sid;
	uint64_t gno;
	uint8_t flags;

	if (wire_u8(w, &flags) || wire_bytes(w, 16, &sid) ||
	    wire_u64le(w, &gno))
		return bad(d, e, w, "truncated");
	w->off = w->len;
	if (d->in_txn)
		return bad(d, e, w, "GTID inside a transaction");
	d->xid = gno;
	d->ndoms = 0;
	if (type == BINLOG_EV_ANONYMOUS_GTID) {
		d->gtid_other[0] = '\0';
		return 0;
	}
	snprintf(d->gtid_other, sizeof(d->gtid_other),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x:%" PRIu64, sid[0], sid[1], sid[2],
		 sid[3], sid[4], sid[5], sid[6], sid[7], sid[8], sid[9],
		 sid[10], sid[11], sid[12], sid[13], sid[14], sid[15], gno);
	return 0;
}

/* GTID_LIST: count u32 (low 28 bits; the top 4 are flags), then count x
 * (domain u32, server u32, seq u64): the binlog state at this point. */
static int decode_gtid_list(struct binlog *d, struct wire *w, struct err *e)
{
	char text[POS_GTID_MAX];
	uint32_t count;

	if (wire_u32le(w, &count))
		return bad(d, e, w, "truncated");
	count &= 0x0fffffff;
	/* at least count entries: an empty list is padded to 2 bytes */
	if (wire_left(w) / 16 < count)
		return bad(d, e, w, "GTID count does not match the event");
	for (uint32_t i = 0; i < count; i++) {
		uint32_t dom, srv;
		uint64_t seq;
		bool newer = true;

		if (wire_u32le(w, &dom) || wire_u32le(w, &srv) ||
		    wire_u64le(w, &seq))
			return bad(d, e, w, "truncated");
		/* never move a domain backwards (a file's list is older
		 * than a state we were given) */
		for (size_t k = 0; k < d->ndoms; k++)
			if (d->doms[k].domain == dom && d->doms[k].seq >= seq)
				newer = false;
		if (newer)
			gtid_note(d, dom, srv, seq);
	}
	w->off = w->len;
	if (!gtid_format(d, text, sizeof(text)))
		return err_set(e, FERRY_EFULL, "GTID state over %d bytes",
			       POS_GTID_MAX);
	return 0;
}

/* ---- one event ----------------------------------------------------------- */

static int refuse(struct binlog *d, const char *why, struct err *e)
{
	char at[POS_FILE_MAX + 32];

	return err_set(e, FERRY_ENOTSUP, "binlog event %s (0x%02x) at %s: %s",
		       binlog_event_name(d->ev_type), d->ev_type,
		       where(d, at, sizeof(at)), why);
}

static int dispatch(struct binlog *d, struct wire *w,
		    struct binlog_event *info, uint16_t flags, struct err *e)
{
	char at[POS_FILE_MAX + 32];
	uint64_t xid;

	switch (info->type) {
	case BINLOG_EV_FORMAT_DESCRIPTION:
		return decode_fde(d, w, e);
	case BINLOG_EV_ROTATE:
		return decode_rotate(d, w, e);
	case BINLOG_EV_TABLE_MAP:
		return decode_table_map(d, w, e);
	case BINLOG_EV_WRITE_ROWS_V1:
	case BINLOG_EV_UPDATE_ROWS_V1:
	case BINLOG_EV_DELETE_ROWS_V1:
	case BINLOG_EV_WRITE_ROWS_V2:
	case BINLOG_EV_UPDATE_ROWS_V2:
	case BINLOG_EV_DELETE_ROWS_V2:
		return decode_rows(d, w, info->type, info, e);
	case BINLOG_EV_QUERY:
		return decode_query(d, w, info->timestamp, e);
	case BINLOG_EV_XID:
		/* xid u64: the group's storage-engine transaction id */
		if (wire_u64le(w, &xid))
			return bad(d, e, w, "truncated");
		return commit_txn(d, w, info->timestamp, e);
	case BINLOG_EV_MARIADB_GTID:
		return decode_mariadb_gtid(d, w, info, e);
	case BINLOG_EV_GTID:
	case BINLOG_EV_ANONYMOUS_GTID:
		return decode_mysql_gtid(d, w, info->type, e);
	case BINLOG_EV_GTID_LIST:
		return decode_gtid_list(d, w, e);
	case BINLOG_EV_XA_PREPARE:
		/* ends an XA group (rows in it were refused if migrated) */
		if (!d->xa)
			return refuse(d, "XA transactions are not supported",
				      e);
		d->xa = false;
		d->in_txn = false;
		w->off = w->len;
		info->ignored = true;
		return 0;
	case BINLOG_EV_HEARTBEAT:
	case BINLOG_EV_HEARTBEAT_V2:
		info->heartbeat = true;
		w->off = w->len;
		return 0;
	case BINLOG_EV_BINLOG_CHECKPOINT: {
		/* filename length u32, filename */
		uint32_t n;

		if (wire_u32le(w, &n) || wire_skip(w, n))
			return bad(d, e, w, "truncated");
		info->ignored = true;
		return 0;
	}
	case BINLOG_EV_INCIDENT:
		return err_set(e, FERRY_ESTATE, "the server logged an INCIDENT "
			       "at %s: changes may be missing from its binlog; "
			       "ferry stops rather than go on without them",
			       where(d, at, sizeof(at)));
	case BINLOG_EV_PRE_GA_WRITE_ROWS:
	case BINLOG_EV_PRE_GA_UPDATE_ROWS:
	case BINLOG_EV_PRE_GA_DELETE_ROWS:
		return refuse(d, "pre-5.1.18 row events are not supported", e);
	case BINLOG_EV_QUERY_COMPRESSED:
	case BINLOG_EV_WRITE_ROWS_COMPRESSED_V1:
	case BINLOG_EV_UPDATE_ROWS_COMPRESSED_V1:
	case BINLOG_EV_DELETE_ROWS_COMPRESSED_V1:
	case BINLOG_EV_WRITE_ROWS_COMPRESSED:
	case BINLOG_EV_UPDATE_ROWS_COMPRESSED:
	case BINLOG_EV_DELETE_ROWS_COMPRESSED:
		return refuse(d, "compressed events are not supported: set "
			      "log_bin_compress=OFF on the source", e);
	case BINLOG_EV_TRANSACTION_PAYLOAD:
		return refuse(d, "compressed transactions are not supported: "
			      "set binlog_transaction_compression=OFF", e);
	case BINLOG_EV_PARTIAL_UPDATE_ROWS:
		return refuse(d, "partial JSON updates are not supported: set "
			      "binlog_row_value_options=''", e);
	default:
		/* ANNOTATE_ROWS (statement text), STOP, INTVAR, RAND,
		 * USER_VAR, ROWS_QUERY, PREVIOUS_GTIDS, ... and types we do
		 * not know: nothing to apply */
		(void)flags;
		info->ignored = true;
		w->off = w->len;
		return 0;
	}
}

int binlog_decode(struct binlog *d, const void *ev, size_t len,
		  struct change **out, struct binlog_event *info,
		  struct err *e)
{
	const unsigned char *p = ev;
	char at[POS_FILE_MAX + 32];
	char saved_file[POS_FILE_MAX];
	uint64_t saved_offset = d->offset;
	uint32_t event_len, next;
	uint16_t flags;
	bool has_crc = false, saved_txn = d->in_txn;
	struct wire w;
	size_t body;
	int rc;

	*out = NULL;
	drop_pending(d);
	memset(info, 0, sizeof(*info));
	if (len < BINLOG_HEADER_LEN)
		return err_set(e, FERRY_EPROTO, "binlog event of %zu bytes at "
			       "%s:%" PRIu64 ": shorter than its header", len,
			       d->file, d->offset);
	/* common header */
	info->timestamp = (uint32_t)get_le(p, 4);
	info->type = p[4];
	info->server_id = (uint32_t)get_le(p + 5, 4);
	event_len = (uint32_t)get_le(p + 9, 4);
	next = (uint32_t)get_le(p + 13, 4);
	flags = (uint16_t)get_le(p + 17, 2);
	info->next = next;
	d->ev_type = info->type;
	d->ev_start = next >= len ? next - len : 0;
	info->start = d->ev_start;
	if (event_len != len)
		return err_set(e, FERRY_EPROTO, "binlog event %s (0x%02x) at "
			       "%s: header says %u bytes, the event has %zu",
			       binlog_event_name(info->type), info->type,
			       where(d, at, sizeof(at)), event_len, len);

	/* checksum: a FORMAT_DESCRIPTION names its own algorithm */
	if (info->type == BINLOG_EV_FORMAT_DESCRIPTION) {
		if (len < BINLOG_HEADER_LEN + FDE_FIXED_LEN + 5)
			return err_set(e, FERRY_EPROTO, "FORMAT_DESCRIPTION "
				       "event at %s too short (%zu bytes)",
				       where(d, at, sizeof(at)), len);
		has_crc = p[len - 5] == CHECKSUM_ALG_CRC32;
		body = len - BINLOG_HEADER_LEN - 4;
	} else {
		has_crc = d->crc == CRC_32;
		if (d->crc == CRC_UNSET && len >= BINLOG_HEADER_LEN + 4)
			has_crc = binlog_crc32(0, p, len - 4) ==
				  (uint32_t)get_le(p + len - 4, 4);
		if (has_crc && len < BINLOG_HEADER_LEN + 4)
			return err_set(e, FERRY_EPROTO, "binlog event %s at %s "
				       "too short for its checksum",
				       binlog_event_name(info->type),
				       where(d, at, sizeof(at)));
		body = len - BINLOG_HEADER_LEN - (has_crc ? 4 : 0);
	}
	if (has_crc) {
		uint32_t stored = (uint32_t)get_le(p + len - 4, 4);
		uint32_t crc = binlog_crc32(0, p, len - 4);

		if (info->type == BINLOG_EV_FORMAT_DESCRIPTION &&
		    (flags & EV_F_BINLOG_IN_USE)) {
			/* the server sets LOG_EVENT_BINLOG_IN_USE_F in an
			 * open file's FORMAT_DESCRIPTION and clears it on
			 * close, without touching the checksum: it was
			 * computed with the flag clear */
			unsigned char f0[1] = { (unsigned char)(
				p[17] & ~EV_F_BINLOG_IN_USE) };

			crc = binlog_crc32(0, p, 17);
			crc = binlog_crc32(crc, f0, 1);
			crc = binlog_crc32(crc, p + 18, len - 4 - 18);
		}

		if (stored != crc)
			return err_set(e, FERRY_EPROTO, "binlog event %s "
				       "(0x%02x) at %s fails its checksum "
				       "(stored 0x%08x, computed 0x%08x): the "
				       "binlog or the connection is corrupt",
				       binlog_event_name(info->type),
				       info->type, where(d, at, sizeof(at)),
				       stored, crc);
	}

	/* events with a position move ours before their changes are made,
	 * so BEGIN/COMMIT carry the end of the event that made them;
	 * heartbeats report the sender's position, not an event of ours */
	memcpy(saved_file, d->file, sizeof(saved_file));
	if (next != 0 && info->type != BINLOG_EV_ROTATE &&
	    info->type != BINLOG_EV_HEARTBEAT &&
	    info->type != BINLOG_EV_HEARTBEAT_V2)
		d->offset = next;
	wire_init(&w, p + BINLOG_HEADER_LEN, body);
	rc = dispatch(d, &w, info, flags, e);
	if (!rc && wire_left(&w))
		rc = bad(d, e, &w, "trailing bytes");
	if (rc) {
		drop_pending(d);
		d->offset = saved_offset;
		memcpy(d->file, saved_file, sizeof(d->file));
		d->in_txn = saved_txn;
		return rc;
	}
	if (d->npending) {
		*out = d->pending[0];
		d->pending_next = 1;
	}
	return 0;
}

/* ---- snapshot text -> canonical text ------------------------------------- */

/* drop trailing zeros of a fraction ("12:00:00.100" -> "12:00:00.1") */
static size_t strip_frac(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);

	if (!dot)
		return n;
	while (n > (size_t)(dot - s) + 1 && s[n - 1] == '0')
		n--;
	if (n == (size_t)(dot - s) + 1)
		n--;
	return n;
}

int binlog_canon_text(unsigned type, const char *in, size_t len,
		      struct buf *out)
{
	char num[64], t[40];
	char *end;
	double v;
	size_t n;

	switch (type) {
	case BL_TYPE_FLOAT:
	case BL_TYPE_DOUBLE:
		if (len == 0 || len >= sizeof(num))
			return FERRY_EINVAL;
		memcpy(num, in, len);
		num[len] = '\0';
		errno = 0;
		v = strtod(num, &end);
		if (*end || end == num)
			return FERRY_EINVAL;
		n = type == BL_TYPE_FLOAT
			    ? binlog_format_float((float)v, t, sizeof(t))
			    : binlog_format_double(v, t, sizeof(t));
		return buf_append(out, t, n);
	case BL_TYPE_YEAR:
		if (len == 4 && memcmp(in, "0000", 4) == 0)
			return buf_putc(out, '0');
		return buf_append(out, in, len);
	case BL_TYPE_TIME:
	case BL_TYPE_TIME2:
	case BL_TYPE_DATETIME:
	case BL_TYPE_DATETIME2:
		return buf_append(out, in, strip_frac(in, len));
	case BL_TYPE_TIMESTAMP:
	case BL_TYPE_TIMESTAMP2:
		n = strip_frac(in, len);
		if (n == 19 && memcmp(in, "0000-00-00 00:00:00", 19) == 0)
			return buf_append(out, in, n);
		return buf_append(out, in, n) || buf_puts(out, "+00")
			       ? FERRY_EFULL : 0;
	default:
		return buf_append(out, in, len);
	}
}
