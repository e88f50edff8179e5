/*
 * ydoc.h - a small, bounded YAML document model for ferry's own files.
 *
 * The config file and the mapping files are YAML.  This module parses one
 * YAML document (with libyaml, which nothing else includes) into a tree of
 * nodes that the loaders walk:
 *
 *	mapping   ordered key/value pairs; keys are scalars, kept in file
 *	          order with their own positions; duplicate keys are an error
 *	sequence  ordered items
 *	scalar    text (NUL-terminated, length kept: "\0" escapes exist),
 *	          whether it was quoted, and its explicit tag if any
 *
 * Every node knows the 1-based line and column where it starts, so a
 * loader can say "FILE:LINE:COLUMN: what is wrong" about any key or value;
 * ydoc_error() formats exactly that.
 *
 * Scalars are not typed by the parser: `port: 5432` and `port: "5432"` are
 * both the text "5432", and ydoc_quoted() tells them apart for a loader
 * that cares (e.g. a mapping default of `null` versus the string "null").
 * ydoc_to_i64()/ydoc_to_bool() convert on request.
 *
 * Not supported, rejected with an error and a position: anchors and
 * aliases (they would make the tree a graph and allow "billion laughs"),
 * non-scalar mapping keys, more than one document per file.
 *
 * Bounds (each error names its limit): input of at most YDOC_MAX_BYTES,
 * nesting of at most YDOC_MAX_DEPTH collections, at most YDOC_MAX_NODES
 * nodes.  So a hostile or broken file costs bounded time and memory.
 *
 * Errors: loaders return FERRY_ECONFIG with "NAME:LINE:COLUMN: reason" in
 * the struct err (libyaml's problem text for syntax errors), or FERRY_EIO
 * with 'could not read <what> "PATH": <strerror>' when the file itself
 * cannot be read.  Nothing here logs, nothing blocks except file reads.
 *
 * Ownership: a struct ydoc owns all its nodes and their text.  Every node
 * pointer and string obtained from a document is borrowed and stays valid
 * until ydoc_free() of that document; copy what must live longer.  Nodes
 * are read-only.  Not thread-safe per document; separate documents are
 * independent.
 */
#ifndef FERRY_YDOC_H
#define FERRY_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"

#define YDOC_MAX_BYTES (1024 * 1024)	/* input size */
#define YDOC_MAX_DEPTH 64		/* nested mappings/sequences */
#define YDOC_MAX_NODES 100000		/* scalars + collections */

enum ydoc_kind {
	YDOC_SCALAR = 1,
	YDOC_SEQUENCE = 2,
	YDOC_MAPPING = 3,
};

struct ydoc;		/* one parsed document */
struct ydoc_node;	/* one node inside it */

/*
 * Read and parse the file at `path`.  `what` names the file in the read
 * error ("config file" -> 'could not read config file "X": ...'); NULL
 * means "file".  Messages about the content start with `path` as given.
 * On success *out is a new document for ydoc_free(); on failure *out is
 * NULL.  Returns 0, FERRY_EIO (cannot open/read) or FERRY_ECONFIG (too
 * large, syntax, unsupported construct, limit, duplicate key).
 */
int ydoc_load_file(const char *path, const char *what, struct ydoc **out,
		   struct err *e) FERRY_MUSTCHECK;

/*
 * Parse `len` bytes at `data` (need not be NUL-terminated; borrowed only
 * during the call).  `name` stands for the file in messages and is copied.
 * Same results as ydoc_load_file() except that it never returns FERRY_EIO.
 */
int ydoc_load_buffer(const char *name, const char *data, size_t len,
		     struct ydoc **out, struct err *e) FERRY_MUSTCHECK;

/* Free the document and every node; NULL is a no-op. */
void ydoc_free(struct ydoc *doc);

/* The name messages use (the path or name given at load). */
const char *ydoc_name(const struct ydoc *doc);

/* Top node, or NULL when the input held no document (empty/comments). */
const struct ydoc_node *ydoc_root(const struct ydoc *doc);

/*
 * Store "NAME:LINE:COLUMN: <formatted message>" in `e` with code
 * FERRY_ECONFIG and return FERRY_ECONFIG.  `at` is the node to point at;
 * NULL points at 1:1 (the file as a whole).
 */
int ydoc_error(const struct ydoc *doc, const struct ydoc_node *at,
	       struct err *e, const char *fmt, ...) FERRY_PRINTF(4, 5);

/* --- nodes (all take a non-NULL node) --- */

enum ydoc_kind ydoc_kind(const struct ydoc_node *n);
/* "scalar", "sequence", "mapping" */
const char *ydoc_kind_name(enum ydoc_kind k);
/* 1-based position of the node's first character (the quote, '[', ...) */
int ydoc_line(const struct ydoc_node *n);
int ydoc_col(const struct ydoc_node *n);

/*
 * Scalar text, NUL-terminated, and its length in `*len` (may be NULL).
 * The text may contain NUL bytes (from "\0" escapes): compare `*len` with
 * strlen() where that matters.  NULL for a collection.
 */
const char *ydoc_text(const struct ydoc_node *n, size_t *len);
/* True for a scalar written quoted or as a block (|, >), not plain. */
bool ydoc_quoted(const struct ydoc_node *n);
/* Explicit tag as libyaml resolved it ("tag:yaml.org,2002:str"), or NULL. */
const char *ydoc_tag(const struct ydoc_node *n);
/*
 * True for YAML's null: a plain, untagged scalar that is empty (`key:`),
 * "~", "null", "Null" or "NULL".  A quoted "null" is a string, not null.
 */
bool ydoc_is_null(const struct ydoc_node *n);

/* Pairs of a mapping, items of a sequence, 0 for a scalar. */
size_t ydoc_count(const struct ydoc_node *n);
/* Mapping: key node / value node of pair i (i < ydoc_count()). */
const struct ydoc_node *ydoc_key(const struct ydoc_node *map, size_t i);
const struct ydoc_node *ydoc_value(const struct ydoc_node *map, size_t i);
/* Sequence: item i (i < ydoc_count()). */
const struct ydoc_node *ydoc_item(const struct ydoc_node *seq, size_t i);

/*
 * Mapping lookup by key text: the value node, or NULL if `map` is not a
 * mapping or has no such key.  ydoc_get_key() returns the key node (for
 * its position) instead.  Linear in the number of pairs.
 */
const struct ydoc_node *ydoc_get(const struct ydoc_node *map,
				 const char *key);
const struct ydoc_node *ydoc_get_key(const struct ydoc_node *map,
				     const char *key);
/*
 * Follow a dotted path of mapping keys from `node`: "batch.max_rows".
 * NULL if any step is missing or not a mapping.  (Keys containing a dot
 * cannot be reached this way; iterate instead.)
 */
const struct ydoc_node *ydoc_path(const struct ydoc_node *node,
				  const char *path);

/*
 * Scalar -> integer: optional sign and decimal digits only (no 0x, no
 * underscores, no spaces), quoted or not.  Returns 0, FERRY_EINVAL when
 * the text is not such an integer (or the node not a scalar), FERRY_EFULL
 * when it does not fit in int64_t.
 */
int ydoc_to_i64(const struct ydoc_node *n, int64_t *out) FERRY_MUSTCHECK;
/* The same rules on `len` bytes of text (for defaults kept as text). */
int ydoc_parse_i64(const char *s, size_t len, int64_t *out) FERRY_MUSTCHECK;
/*
 * Scalar -> boolean: true/True/TRUE/false/False/FALSE (YAML 1.2; "yes"
 * and "on" are strings).  Returns 0 or FERRY_EINVAL.
 */
int ydoc_to_bool(const struct ydoc_node *n, bool *out) FERRY_MUSTCHECK;

#endif
