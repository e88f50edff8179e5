/*
 * checkpoint.c - checkpoint and snapshot-progress values (see
 * checkpoint.h).  Storage is the sink's business.
 */
#include "ferry/checkpoint.h"

#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"

void checkpoint_release(struct checkpoint *cp)
{
	for (size_t i = 0; i < cp->ntables; i++) {
		free(cp->tables[i].table);
		free(cp->tables[i].last_key);
	}
	free(cp->tables);
	memset(cp, 0, sizeof(*cp));
}

const struct checkpoint_table *checkpoint_find(const struct checkpoint *cp,
					       const char *table)
{
	for (size_t i = 0; i < cp->ntables; i++)
		if (strcmp(cp->tables[i].table, table) == 0)
			return &cp->tables[i];
	return NULL;
}

void checkpoint_set_table(struct checkpoint *cp, const char *table,
			  const char *last_key, bool done, uint64_t rows)
{
	checkpoint_set_table_at(cp, table, last_key, done, rows, NULL);
}

void checkpoint_set_table_at(struct checkpoint *cp, const char *table,
			     const char *last_key, bool done, uint64_t rows,
			     const struct ferry_pos *start)
{
	struct checkpoint_table *t =
		(struct checkpoint_table *)checkpoint_find(cp, table);

	if (!t) {
		cp->tables = xrealloc(cp->tables, (cp->ntables + 1) *
						  sizeof(*cp->tables));
		t = &cp->tables[cp->ntables++];
		t->table = xstrdup(table);
		t->last_key = NULL;
	}
	free(t->last_key);
	t->last_key = last_key ? xstrdup(last_key) : NULL;
	t->done = done;
	t->rows = rows;
	if (start)
		t->start = *start;
	else
		memset(&t->start, 0, sizeof(t->start));
}

struct snapshot_mark *snapshot_mark_new(const char *table,
					const char *last_key, bool done,
					uint64_t rows)
{
	return snapshot_mark_new_at(table, last_key, done, rows, NULL);
}

struct snapshot_mark *snapshot_mark_new_at(const char *table,
					   const char *last_key, bool done,
					   uint64_t rows,
					   const struct ferry_pos *start)
{
	struct snapshot_mark *m = xcalloc(1, sizeof(*m));

	m->table = xstrdup(table);
	m->last_key = last_key ? xstrdup(last_key) : NULL;
	m->done = done;
	m->rows = rows;
	if (start)
		m->start = *start;
	return m;
}

void snapshot_mark_free(struct snapshot_mark *m)
{
	if (!m)
		return;
	free(m->table);
	free(m->last_key);
	free(m);
}
