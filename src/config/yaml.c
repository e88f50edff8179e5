/*
 * yaml.c - YAML text -> struct ydoc tree (see ferry/ydoc.h).
 *
 * This is the only file that includes <yaml.h>.  It pulls libyaml's event
 * stream (STREAM/DOCUMENT/MAPPING/SEQUENCE start and end, SCALAR, ALIAS)
 * and builds the tree with an explicit stack of open collections, so the
 * depth limit is checked where a collection opens, before libyaml is asked
 * for anything deeper.  The config loader (config.c) and the mapping loader
 * walk the tree; neither sees a libyaml type.
 *
 * Positions: libyaml marks are 0-based (line, column in characters); ours
 * are 1-based.  Reader errors (bad UTF-8, control characters) carry a byte
 * offset instead of a mark, so that case is converted here from the input.
 */
#include "ferry/ydoc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "ferry/mem.h"

struct ydoc_node {
	enum ydoc_kind kind;
	int line, col;
	bool quoted;
	char *text;		/* scalar: NUL-terminated */
	size_t len;		/* scalar: bytes in text */
	char *tag;		/* explicit tag, or NULL */
	/* mapping: key0, value0, key1, value1, ...; sequence: items */
	struct ydoc_node **kids;
	size_t nkids, cap;
};

struct ydoc {
	char *name;
	struct ydoc_node *root;
};

/* State of one parse. */
struct builder {
	struct ydoc *doc;
	const char *data;	/* the input, for reader-error positions */
	size_t len;
	struct ydoc_node *stack[YDOC_MAX_DEPTH];
	int depth;
	size_t nnodes;
	int ndocs;
	struct err *e;
};

static int clamp_int(size_t v)
{
	return v >= INT_MAX ? INT_MAX : (int)v;
}

static int verror_at(const struct ydoc *doc, int line, int col,
		     struct err *e, const char *fmt, va_list ap)
{
	char msg[ERR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return err_set(e, FERRY_ECONFIG, "%s:%d:%d: %s", doc->name, line, col,
		       msg);
}

static int error_at(const struct ydoc *doc, int line, int col,
		    struct err *e, const char *fmt, ...) FERRY_PRINTF(5, 6);

static int error_at(const struct ydoc *doc, int line, int col,
		    struct err *e, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verror_at(doc, line, col, e, fmt, ap);
	va_end(ap);
	return rc;
}

int ydoc_error(const struct ydoc *doc, const struct ydoc_node *at,
	       struct err *e, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verror_at(doc, at ? at->line : 1, at ? at->col : 1, e, fmt, ap);
	va_end(ap);
	return rc;
}

static void node_free(struct ydoc_node *n)
{
	if (!n)
		return;
	/* recursion depth is bounded by YDOC_MAX_DEPTH */
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n->tag);
	free(n);
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->name);
	free(doc);
}

/*
 * Reader errors report a byte offset; turn it into line and column the
 * way libyaml counts them (columns in characters, so UTF-8 continuation
 * bytes do not count).
 */
static void offset_to_pos(const char *data, size_t len, size_t off,
			  int *line, int *col)
{
	size_t l = 1, c = 1;

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = clamp_int(l);
	*col = clamp_int(c);
}

static int parser_error(struct builder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";
	int line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return err_set(b->e, FERRY_ENOMEM,
			       "%s: out of memory while parsing YAML",
			       b->doc->name);
	case YAML_READER_ERROR:
		offset_to_pos(b->data, b->len, p->problem_offset, &line,
			      &col);
		return error_at(b->doc, line, col, b->e, "%s", problem);
	default:
		break;
	}
	line = clamp_int(p->problem_mark.line + 1);
	col = clamp_int(p->problem_mark.column + 1);
	/*
	 * "did not find expected key" alone is hard to act on; libyaml's
	 * context says which construct was open and where it began.
	 */
	if (p->context)
		return error_at(b->doc, line, col, b->e, "%s (%s at %d:%d)",
				problem, p->context,
				clamp_int(p->context_mark.line + 1),
				clamp_int(p->context_mark.column + 1));
	return error_at(b->doc, line, col, b->e, "%s", problem);
}

static int event_error(struct builder *b, const yaml_event_t *ev,
		       const char *fmt, ...) FERRY_PRINTF(3, 4);

static int event_error(struct builder *b, const yaml_event_t *ev,
		       const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verror_at(b->doc, clamp_int(ev->start_mark.line + 1),
		       clamp_int(ev->start_mark.column + 1), b->e, fmt, ap);
	va_end(ap);
	return rc;
}

/* Make a node for a SCALAR/SEQUENCE_START/MAPPING_START event. */
static int node_new(struct builder *b, const yaml_event_t *ev,
		    enum ydoc_kind kind, struct ydoc_node **out)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	struct ydoc_node *n;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	default:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	}
	if (anchor)
		return event_error(b, ev, "anchors and aliases are not "
				   "supported");
	if (b->nnodes >= YDOC_MAX_NODES)
		return event_error(b, ev, "document has more than %d nodes "
				   "(the limit)", YDOC_MAX_NODES);
	b->nnodes++;
	n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = clamp_int(ev->start_mark.line + 1);
	n->col = clamp_int(ev->start_mark.column + 1);
	if (tag)
		n->tag = xstrdup((const char *)tag);
	if (kind == YDOC_SCALAR) {
		n->len = ev->data.scalar.length;
		n->text = xstrndup((const char *)ev->data.scalar.value, n->len);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	}
	*out = n;
	return 0;
}

/*
 * Hang `n` under the innermost open collection (or make it the root).
 * Takes ownership of `n` in every case.
 */
static int attach(struct builder *b, const yaml_event_t *ev,
		  struct ydoc_node *n)
{
	struct ydoc_node *parent;

	if (b->depth == 0) {
		/* libyaml emits exactly one root node per document */
		node_free(b->doc->root);
		b->doc->root = n;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (parent->kind == YDOC_MAPPING && parent->nkids % 2 == 0 &&
	    n->kind != YDOC_SCALAR) {
		node_free(n);
		return event_error(b, ev, "mapping keys must be scalars");
	}
	xgrow((void **)&parent->kids, &parent->cap, parent->nkids + 1,
	      sizeof(parent->kids[0]));
	parent->kids[parent->nkids++] = n;
	return 0;
}

struct keyref {
	const struct ydoc_node *key;
	size_t index;
};

static int keyref_cmp(const void *pa, const void *pb)
{
	const struct keyref *a = pa, *b = pb;
	size_t n = a->key->len < b->key->len ? a->key->len : b->key->len;
	int c = memcmp(a->key->text, b->key->text, n);

	if (c)
		return c;
	if (a->key->len != b->key->len)
		return a->key->len < b->key->len ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/*
 * A closed mapping must not repeat a key.  Sorting a copy of the key list
 * keeps this O(n log n) for a large (hostile) mapping; of all repeats the
 * one that comes first in the file is reported.
 */
static int check_duplicates(struct builder *b, const struct ydoc_node *map)
{
	size_t n = map->nkids / 2, best = SIZE_MAX, first = 0;
	struct keyref *refs;

	if (n < 2)
		return 0;
	refs = xmalloc(n * sizeof(*refs));
	for (size_t i = 0; i < n; i++) {
		refs[i].key = map->kids[2 * i];
		refs[i].index = i;
	}
	qsort(refs, n, sizeof(*refs), keyref_cmp);
	for (size_t i = 1; i < n; i++) {
		const struct ydoc_node *k = refs[i].key, *p = refs[i - 1].key;

		if (k->len == p->len && memcmp(k->text, p->text, k->len) == 0
		    && refs[i].index < best) {
			best = refs[i].index;
			first = refs[i - 1].index;
		}
	}
	free(refs);
	if (best == SIZE_MAX)
		return 0;
	{
		const struct ydoc_node *dup = map->kids[2 * best];
		const struct ydoc_node *orig = map->kids[2 * first];
		char shown[64];
		bool cut = strlen(dup->text) >= sizeof(shown);

		/* keys are bounded only by the file size: show a prefix */
		snprintf(shown, sizeof(shown), "%s", dup->text);
		return ydoc_error(b->doc, dup, b->e,
				  "duplicate key \"%s%s\" (first defined at "
				  "%d:%d)", shown, cut ? "..." : "",
				  orig->line, orig->col);
	}
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	struct ydoc_node *n;
	int rc;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT:
	case YAML_NO_EVENT:
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->ndocs > 1)
			return event_error(b, ev, "only one YAML document "
					   "is allowed per file");
		return 0;
	case YAML_ALIAS_EVENT:
		return event_error(b, ev, "anchors and aliases are not "
				   "supported");
	case YAML_SCALAR_EVENT:
		rc = node_new(b, ev, YDOC_SCALAR, &n);
		return rc ? rc : attach(b, ev, n);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth >= YDOC_MAX_DEPTH)
			return event_error(b, ev, "nesting is deeper than %d "
					   "levels (the limit)",
					   YDOC_MAX_DEPTH);
		rc = node_new(b, ev, ev->type == YAML_MAPPING_START_EVENT ?
			      YDOC_MAPPING : YDOC_SEQUENCE, &n);
		if (rc)
			return rc;
		rc = attach(b, ev, n);
		if (rc)
			return rc;
		b->stack[b->depth++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		/* libyaml balances start/end events itself */
		if (b->depth == 0)
			return event_error(b, ev, "unbalanced YAML events");
		n = b->stack[--b->depth];
		return n->kind == YDOC_MAPPING ? check_duplicates(b, n) : 0;
	}
	return 0;
}

static struct ydoc *doc_new(const char *name)
{
	struct ydoc *doc = xcalloc(1, sizeof(*doc));

	doc->name = xstrdup(name ? name : "<input>");
	return doc;
}

int ydoc_load_buffer(const char *name, const char *data, size_t len,
		     struct ydoc **out, struct err *e)
{
	struct builder b;
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, done = 0;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.doc = doc_new(name);
	b.data = data;
	b.len = len;
	b.e = e;
	if (len > YDOC_MAX_BYTES) {
		rc = error_at(b.doc, 1, 1, e, "file is larger than %d bytes "
			      "(the limit)", YDOC_MAX_BYTES);
		ydoc_free(b.doc);
		return rc;
	}
	if (!yaml_parser_initialize(&parser)) {
		ydoc_free(b.doc);
		return err_set(e, FERRY_ENOMEM, "%s: could not initialise "
			       "the YAML parser", name ? name : "<input>");
	}
	/* libyaml wants a non-NULL pointer even for empty input */
	yaml_parser_set_input_string(&parser, (const unsigned char *)
				     (data ? data : ""), data ? len : 0);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&b, &parser);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&b, &ev);
		yaml_event_delete(&ev);
		if (rc)
			break;
	}
	yaml_parser_delete(&parser);
	if (rc) {
		ydoc_free(b.doc);
		return rc;
	}
	*out = b.doc;
	return 0;
}

/* Read at most YDOC_MAX_BYTES + 1 bytes: enough to tell "too large". */
static int read_bounded(const char *path, const char *what, char **data,
			size_t *len, struct err *e)
{
	size_t cap = YDOC_MAX_BYTES + 1, n = 0;
	char *p;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(e, FERRY_EIO, "could not read %s \"%s\": %s",
			       what, path, strerror(errno));
	p = xmalloc(cap);
	while (n < cap) {
		ssize_t r = read(fd, p + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;
			close(fd);
			free(p);
			return err_set(e, FERRY_EIO,
				       "could not read %s \"%s\": %s", what,
				       path, strerror(saved));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*data = p;
	*len = n;
	return 0;
}

int ydoc_load_file(const char *path, const char *what, struct ydoc **out,
		   struct err *e)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_bounded(path, what ? what : "file", &data, &len, e);
	if (rc)
		return rc;
	rc = ydoc_load_buffer(path, data, len, out, e);
	free(data);
	return rc;
}

const char *ydoc_name(const struct ydoc *doc)
{
	return doc->name;
}

const struct ydoc_node *ydoc_root(const struct ydoc *doc)
{
	return doc->root;
}

enum ydoc_kind ydoc_kind(const struct ydoc_node *n)
{
	return n->kind;
}

const char *ydoc_kind_name(enum ydoc_kind k)
{
	switch (k) {
	case YDOC_SCALAR: return "scalar";
	case YDOC_SEQUENCE: return "sequence";
	case YDOC_MAPPING: return "mapping";
	}
	return "node";
}

int ydoc_line(const struct ydoc_node *n)
{
	return n->line;
}

int ydoc_col(const struct ydoc_node *n)
{
	return n->col;
}

const char *ydoc_text(const struct ydoc_node *n, size_t *len)
{
	if (n->kind != YDOC_SCALAR)
		return NULL;
	if (len)
		*len = n->len;
	return n->text;
}

bool ydoc_quoted(const struct ydoc_node *n)
{
	return n->kind == YDOC_SCALAR && n->quoted;
}

const char *ydoc_tag(const struct ydoc_node *n)
{
	return n->tag;
}

bool ydoc_is_null(const struct ydoc_node *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (n->kind != YDOC_SCALAR || n->quoted || n->tag)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(n->text, nulls[i]) == 0 &&
		    n->len == strlen(nulls[i]))
			return true;
	return false;
}

size_t ydoc_count(const struct ydoc_node *n)
{
	switch (n->kind) {
	case YDOC_MAPPING: return n->nkids / 2;
	case YDOC_SEQUENCE: return n->nkids;
	case YDOC_SCALAR: break;
	}
	return 0;
}

const struct ydoc_node *ydoc_key(const struct ydoc_node *map, size_t i)
{
	if (map->kind != YDOC_MAPPING || i >= map->nkids / 2)
		return NULL;
	return map->kids[2 * i];
}

const struct ydoc_node *ydoc_value(const struct ydoc_node *map, size_t i)
{
	if (map->kind != YDOC_MAPPING || i >= map->nkids / 2)
		return NULL;
	return map->kids[2 * i + 1];
}

const struct ydoc_node *ydoc_item(const struct ydoc_node *seq, size_t i)
{
	if (seq->kind != YDOC_SEQUENCE || i >= seq->nkids)
		return NULL;
	return seq->kids[i];
}

static ptrdiff_t find_key(const struct ydoc_node *map, const char *key,
			  size_t klen)
{
	if (!map || map->kind != YDOC_MAPPING)
		return -1;
	for (size_t i = 0; i + 1 < map->nkids; i += 2) {
		const struct ydoc_node *k = map->kids[i];

		if (k->len == klen && memcmp(k->text, key, klen) == 0)
			return (ptrdiff_t)i;
	}
	return -1;
}

const struct ydoc_node *ydoc_get(const struct ydoc_node *map,
				 const char *key)
{
	ptrdiff_t i = find_key(map, key, strlen(key));

	return i < 0 ? NULL : map->kids[i + 1];
}

const struct ydoc_node *ydoc_get_key(const struct ydoc_node *map,
				     const char *key)
{
	ptrdiff_t i = find_key(map, key, strlen(key));

	return i < 0 ? NULL : map->kids[i];
}

const struct ydoc_node *ydoc_path(const struct ydoc_node *node,
				  const char *path)
{
	const char *p = path;

	while (node) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		ptrdiff_t i = find_key(node, p, n);

		node = i < 0 ? NULL : node->kids[i + 1];
		if (!dot)
			break;
		p = dot + 1;
	}
	return node;
}

int ydoc_parse_i64(const char *s, size_t len, int64_t *out)
{
	uint64_t v = 0, lim;
	bool neg = false;
	size_t i = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == len)
		return FERRY_EINVAL;
	/* the magnitude of INT64_MIN is one more than INT64_MAX */
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return FERRY_EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10) {
			/* "99999999999999999999x" is not a number at all */
			for (i++; i < len; i++)
				if (s[i] < '0' || s[i] > '9')
					return FERRY_EINVAL;
			return FERRY_EFULL;
		}
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

int ydoc_to_i64(const struct ydoc_node *n, int64_t *out)
{
	if (n->kind != YDOC_SCALAR)
		return FERRY_EINVAL;
	return ydoc_parse_i64(n->text, n->len, out);
}

int ydoc_to_bool(const struct ydoc_node *n, bool *out)
{
	static const char *const t[] = { "true", "True", "TRUE" };
	static const char *const f[] = { "false", "False", "FALSE" };

	if (n->kind != YDOC_SCALAR || strlen(n->text) != n->len)
		return FERRY_EINVAL;
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(n->text, t[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(n->text, f[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return FERRY_EINVAL;
}
