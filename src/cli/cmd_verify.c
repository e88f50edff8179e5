/*
 * cmd_verify.c - `ferry verify`: is the DolphinScheduler 3.2 target
 * consistent, and does it mean what the 1.3 source means?
 *
 *   ferry verify -c FILE [--limit N] [--workflow ID] [--quiet]
 *
 * Reads the target, the source, ferry's state store and the mapping's
 * options the split depends on (ds.resource_prefix, ds.sql_group_id: the
 * split must see what the migration saw), and writes nothing.
 * Checks (the names start each mismatch line and the summary):
 *
 *   relations  every t_ds_process_task_relation(_log) row names existing
 *              t_ds_task_definition_log (code, version) rows as pre task
 *              (unless pre_task_code = 0) and post task, and an existing
 *              workflow (code, version): t_ds_process_definition for the
 *              main table, t_ds_process_definition_log for the log;
 *   dag        per workflow, the relation log rows of its current version
 *              (what the 3.2 master builds the DAG from) form no cycle, and
 *              every task in them is some relation's post task (so it is
 *              reachable from a root, pre_task_code 0); every
 *              t_ds_task_definition row is the post task of a relation;
 *   schedules  every t_ds_schedules.process_definition_code names a
 *              workflow;
 *   codes      project, workflow and task codes are unique (one main row
 *              per code, one log row per (code, version)), and no task
 *              code is used by the relations of two workflows;
 *   projects   every project_code of t_ds_process_definition,
 *              t_ds_task_definition and t_ds_process_task_relation is a
 *              t_ds_project code;
 *   digest     per 1.3 workflow of the selected projects (projects.include,
 *              names or ids): ds_digest_13() of the source row, through
 *              the id map in the state store, equals ds_digest_32() of the
 *              target rows of its code, once for the rows the 3.2 master
 *              runs (process definition log row of the current version,
 *              task definition log rows and relation log rows of that
 *              version) and once for the rows the UI and API show (the
 *              main tables).  A workflow the state store does not know is
 *              "not migrated".  A difference is explained by the first
 *              differing line of the two canonical texts (ds_split.h).
 *
 * Output: one line per mismatch on stdout ("<check>: <what>: <why>"), at
 * most --limit of them (all are counted), then one summary line with the
 * mismatches and items checked per check.  Exit 0 when nothing mismatched,
 * 1 when something did or a database could not be read (message on
 * stderr), 2 on usage and configuration errors.
 *
 * Consistency: the target is read in one REPEATABLE READ, read-only
 * transaction, the state store in one LMDB read transaction.  While ferry
 * runs, the source may be ahead of both: a workflow changed a moment ago
 * shows as a digest mismatch until ferry has applied the change, so
 * verify a quiet source (or run twice) before trusting a mismatch.
 *
 * How it scales.  The target is read in bulk, a handful of queries, never
 * one per workflow: the integer columns the reference checks need (codes,
 * versions, ids) become sorted arrays searched by bisection, and the text
 * rows the digests need are kept in their query results, grouped per
 * workflow code by sorted index arrays.  The source is one query over the
 * selected workflows.  Memory is therefore the size of the current
 * definitions (task definition log rows are read only for the versions
 * current relations use, never the history): 2,003 workflows with 7,378
 * tasks (the fixtures 125 times) take about 4 s of CPU, mostly parsing
 * JSON for the digests, and 125 MB.  For 100,000 workflows (~10^6 tasks,
 * a few GB of task_params) the same structure streams instead: the
 * integer arrays stay (16-48 bytes a row, tens of MB); the text inputs of
 * the digests (process definitions, task definitions and relations, main
 * and log, each ordered by workflow code) are read row by row on one
 * connection each (libpq single-row mode, mysql_use_result) and merged by
 * code, keeping one workflow in memory, and each target digest is kept as
 * 32 bytes per code; the source rows are then streamed in id order and
 * compared against that table, and only a mismatching workflow's target
 * rows are read again (per workflow) to explain the difference.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/buf.h"
#include "ferry/ds_map.h"
#include "ferry/ds_split.h"
#include "ferry/mapping.h"
#include "ferry/mem.h"
#include "ferry/sha256.h"
#include "ferry/sqlc.h"
#include "ferry/state.h"

/* an integer column that is SQL NULL or not an integer */
#define NO_INT INT64_MIN
/* longest mismatch line printed (the "why" is cut with "...") */
#define LINE_MAX_BYTES 600
/* a value shown in a difference */
#define SHOW_MAX 64

enum check {
	CK_RELATIONS,
	CK_DAG,
	CK_SCHEDULES,
	CK_CODES,
	CK_PROJECTS,
	CK_DIGEST,
	CK_N
};

static const char *const check_names[CK_N] = {
	"relations", "dag", "schedules", "codes", "projects", "digest",
};

struct options {
	const char *config;
	long limit;			/* < 0: no limit */
	bool quiet;
	bool one;			/* --workflow given */
	int64_t workflow;		/* the 1.3 process definition id */
};

/* ---- target rows, as sorted integer arrays over the query results ---- */

/* a t_ds_project / t_ds_process_definition / t_ds_task_definition(_log)
 * row: `row` indexes its query result (SIZE_MAX when there is none) */
struct keyed {
	int64_t code;
	int64_t version;
	int64_t id;
	int64_t project;
	size_t row;
};

struct rel {
	int64_t pc, pv;			/* workflow code, version */
	int64_t id, project;
	int64_t pre, prev, post, postv;
	size_t row;
};

/* a task definition log row of a current relation, by workflow code */
struct grouped {
	int64_t pc;
	int64_t code, version;
	size_t row;
};

struct target {
	struct sqlc_result proj, pd, pdlog, td, tdlog, rel, rellog, sched;
	struct keyed *projs, *pds, *pdlogs, *pdkeys, *tds, *tdkeys;
	size_t nprojs, npds, npdlogs, npdkeys, ntds, ntdkeys;
	struct grouped *tdlogs;
	size_t ntdlogs;
	struct rel *rels, *rellogs;
	size_t nrels, nrellogs;
	struct keyed *scheds;		/* code = process_definition_code */
	size_t nscheds;
};

/* What --workflow narrows the target checks to. */
struct scope {
	bool all;
	int64_t code;			/* the workflow's code, or NO_INT */
	int64_t *tasks;			/* its task codes, sorted */
	size_t ntasks;
	int64_t project;		/* its project code, or NO_INT */
};

struct verify {
	uint64_t dangling;	/* 1.3 references to nothing, reported */
	struct options o;
	struct config cfg;
	struct mapping map;
	struct sqlc *src, *dst;
	struct state *st;
	struct state_txn *t;
	struct ds_map_options mopt;
	struct ds_state_env se;
	struct target tg;
	struct scope sc;
	uint64_t checked[CK_N], bad[CK_N];
	uint64_t listed;
};

/* ---- small helpers -------------------------------------------------- */

static int64_t ival(const char *s)
{
	char *end;
	long long v;

	if (!s || !*s)
		return NO_INT;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return NO_INT;
	return (int64_t)v;
}

/* "123" or "NULL" */
static const char *itxt(int64_t v, char *buf, size_t n)
{
	if (v == NO_INT)
		snprintf(buf, n, "NULL");
	else
		snprintf(buf, n, "%" PRId64, v);
	return buf;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_i64p(const void *a, const void *b)
{
	return cmp_i64(*(const int64_t *)a, *(const int64_t *)b);
}

static int cmp_keyed(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	int c = cmp_i64(a->code, b->code);

	if (!c)
		c = cmp_i64(a->version, b->version);
	return c ? c : cmp_i64(a->id, b->id);
}

static int cmp_rel(const void *pa, const void *pb)
{
	const struct rel *a = pa, *b = pb;
	int c = cmp_i64(a->pc, b->pc);

	if (!c)
		c = cmp_i64(a->pv, b->pv);
	return c ? c : cmp_i64(a->id, b->id);
}

static int cmp_grouped(const void *pa, const void *pb)
{
	const struct grouped *a = pa, *b = pb;
	int c = cmp_i64(a->pc, b->pc);

	if (!c)
		c = cmp_i64(a->code, b->code);
	if (!c)
		c = cmp_i64(a->version, b->version);
	return c ? c : (a->row > b->row) - (a->row < b->row);
}

/* First index in the sorted array whose int64 at `off` is >= `k`. */
static size_t lower(const void *base, size_t n, size_t size, size_t off,
		    int64_t k)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t v;

		memcpy(&v, (const char *)base + mid * size + off, sizeof(v));
		if (v < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define LOWER(arr, n, type, field, k) \
	lower((arr), (n), sizeof(type), offsetof(type, field), (k))

/* The keyed row of (code, version); NULL if none. */
static const struct keyed *find_cv(const struct keyed *a, size_t n,
				   int64_t code, int64_t version)
{
	size_t i = LOWER(a, n, struct keyed, code, code);

	for (; i < n && a[i].code == code; i++)
		if (a[i].version == version)
			return &a[i];
	return NULL;
}

static bool has_code(const struct keyed *a, size_t n, int64_t code)
{
	size_t i = LOWER(a, n, struct keyed, code, code);

	return i < n && a[i].code == code;
}

static bool in_sorted(const int64_t *a, size_t n, int64_t v)
{
	return n && bsearch(&v, a, n, sizeof(*a), cmp_i64p) != NULL;
}

/* Sort and drop duplicates; returns the new count. */
static size_t uniq_i64(int64_t *a, size_t n)
{
	size_t m = 0;

	if (n > 1)
		qsort(a, n, sizeof(*a), cmp_i64p);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || a[m - 1] != a[i])
			a[m++] = a[i];
	return m;
}

/* ---- reporting ------------------------------------------------------ */

/* Append to a message; what no longer fits under the buffer's ceiling is
 * left out, which a message can afford. */
static void FERRY_PRINTF(2, 3) say(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	(void)rc;
}

/*
 * One mismatch of `check`: counted when `count`, printed unless --quiet
 * or --limit lines were printed already.
 */
static void FERRY_PRINTF(4, 5)
report(struct verify *v, enum check check, bool count, const char *fmt, ...)
{
	char line[LINE_MAX_BYTES];
	va_list ap;
	int n;

	if (count)
		v->bad[check]++;
	if (v->o.quiet ||
	    (v->o.limit >= 0 && v->listed >= (uint64_t)v->o.limit))
		return;
	v->listed++;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	printf("%s: %s\n", check_names[check], line);
}

/* Name of the task with main-table code `code`, for messages. */
static const char *task_name(const struct target *tg, int64_t code)
{
	size_t i = LOWER(tg->tds, tg->ntds, struct keyed, code, code);
	const char *n;

	if (i >= tg->ntds || tg->tds[i].code != code)
		return "?";
	n = sqlc_value(&tg->td, tg->tds[i].row, 4);
	return n ? n : "?";
}

/* ---- reading the target --------------------------------------------- */

/* column lists, each name qualified with `p` ("" or "t.") */
#define PD_COLS(p) p "id, " p "code, " p "version, " p "project_code, " \
	p "name, " p "description, " p "release_state, " p "flag, " \
	p "user_id, " p "timeout, " p "global_params"
#define TD_COLS(p) p "id, " p "code, " p "version, " p "project_code, " \
	p "name, " p "description, " p "task_type, " p "flag, " \
	p "task_priority, " p "worker_group, " p "fail_retry_times, " \
	p "fail_retry_interval, " p "timeout_flag, " \
	p "timeout_notify_strategy, " p "timeout, " p "resource_ids, " \
	p "task_params"
#define REL_COLS "id, project_code, process_definition_code, " \
	"process_definition_version, pre_task_code, pre_task_version, " \
	"post_task_code, post_task_version"

/* the (code, version) pairs of the current workflow versions */
#define CURRENT_PD "(SELECT DISTINCT code, version FROM " \
	"t_ds_process_definition)"

static int query(struct sqlc *c, const char *what, const char *sql,
		 struct sqlc_result *res, struct err *e)
{
	int rc = sqlc_query(c, sql, res, e);

	if (rc)
		err_prefix(e, "could not read %s", what);
	return rc;
}

/* Columns 0.. of `r` as the keyed array: id, code, version, project by
 * the given column indexes (-1: not selected). */
static struct keyed *keyed_of(const struct sqlc_result *r, int cid,
			      int ccode, int cver, int cproj, size_t *n)
{
	struct keyed *a = xcalloc(r->nrows ? r->nrows : 1, sizeof(*a));

	for (size_t i = 0; i < r->nrows; i++) {
		a[i].id = cid < 0 ? NO_INT : ival(sqlc_value(r, i, cid));
		a[i].code = ival(sqlc_value(r, i, ccode));
		a[i].version = cver < 0 ? NO_INT :
			ival(sqlc_value(r, i, cver));
		a[i].project = cproj < 0 ? NO_INT :
			ival(sqlc_value(r, i, cproj));
		a[i].row = i;
	}
	if (r->nrows > 1)
		qsort(a, r->nrows, sizeof(*a), cmp_keyed);
	*n = r->nrows;
	return a;
}

static struct rel *rels_of(const struct sqlc_result *r, size_t *n)
{
	struct rel *a = xcalloc(r->nrows ? r->nrows : 1, sizeof(*a));

	for (size_t i = 0; i < r->nrows; i++) {
		a[i].id = ival(sqlc_value(r, i, 0));
		a[i].project = ival(sqlc_value(r, i, 1));
		a[i].pc = ival(sqlc_value(r, i, 2));
		a[i].pv = ival(sqlc_value(r, i, 3));
		a[i].pre = ival(sqlc_value(r, i, 4));
		a[i].prev = ival(sqlc_value(r, i, 5));
		a[i].post = ival(sqlc_value(r, i, 6));
		a[i].postv = ival(sqlc_value(r, i, 7));
		a[i].row = i;
	}
	if (r->nrows > 1)
		qsort(a, r->nrows, sizeof(*a), cmp_rel);
	*n = r->nrows;
	return a;
}

static int read_target(struct verify *v, struct err *e)
{
	static const char q_tdlog[] =
		"SELECT k.pc, " TD_COLS("t.") " FROM ("
		"SELECT r.process_definition_code AS pc, "
		"r.post_task_code AS c, r.post_task_version AS v "
		"FROM t_ds_process_task_relation_log r JOIN " CURRENT_PD " p "
		"ON p.code = r.process_definition_code "
		"AND p.version = r.process_definition_version "
		"UNION "
		"SELECT r.process_definition_code, r.pre_task_code, "
		"r.pre_task_version "
		"FROM t_ds_process_task_relation_log r JOIN " CURRENT_PD " p "
		"ON p.code = r.process_definition_code "
		"AND p.version = r.process_definition_version "
		"WHERE r.pre_task_code <> 0) k "
		"JOIN t_ds_task_definition_log t "
		"ON t.code = k.c AND t.version = k.v "
		"ORDER BY k.pc, t.code, t.version, t.id";
	static const char q_pdlog[] =
		"SELECT " PD_COLS("l.") " FROM t_ds_process_definition_log l "
		"JOIN " CURRENT_PD " p ON p.code = l.code "
		"AND p.version = l.version ORDER BY l.code, l.id";
	struct target *tg = &v->tg;
	struct sqlc_result keys;
	const char *begin;
	int rc;

	begin = sqlc_driver(v->dst) == CONFIG_DRIVER_POSTGRESQL ?
		"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" :
		"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
	if (sqlc_driver(v->dst) == CONFIG_DRIVER_MYSQL) {
		rc = query(v->dst, "the target", "SET TRANSACTION ISOLATION "
			   "LEVEL REPEATABLE READ", NULL, e);
		if (rc)
			return rc;
	}
	rc = query(v->dst, "the target", begin, NULL, e);
	if (rc)
		return rc;

	rc = query(v->dst, "t_ds_project", "SELECT id, code, name FROM "
		   "t_ds_project ORDER BY code, id", &tg->proj, e);
	if (rc)
		return rc;
	tg->projs = keyed_of(&tg->proj, 0, 1, -1, -1, &tg->nprojs);

	rc = query(v->dst, "t_ds_process_definition", "SELECT " PD_COLS("")
		   " FROM t_ds_process_definition ORDER BY code, id", &tg->pd,
		   e);
	if (rc)
		return rc;
	tg->pds = keyed_of(&tg->pd, 0, 1, 2, 3, &tg->npds);

	rc = query(v->dst, "t_ds_process_definition_log", q_pdlog, &tg->pdlog,
		   e);
	if (rc)
		return rc;
	tg->pdlogs = keyed_of(&tg->pdlog, 0, 1, 2, 3, &tg->npdlogs);

	rc = query(v->dst, "t_ds_process_definition_log", "SELECT code, "
		   "version, id FROM t_ds_process_definition_log ORDER BY "
		   "code, version, id", &keys, e);
	if (rc)
		return rc;
	tg->pdkeys = keyed_of(&keys, 2, 0, 1, -1, &tg->npdkeys);
	sqlc_result_release(&keys);

	rc = query(v->dst, "t_ds_task_definition", "SELECT " TD_COLS("")
		   " FROM t_ds_task_definition ORDER BY code, id", &tg->td, e);
	if (rc)
		return rc;
	tg->tds = keyed_of(&tg->td, 0, 1, 2, 3, &tg->ntds);

	rc = query(v->dst, "t_ds_task_definition_log", "SELECT code, "
		   "version, id FROM t_ds_task_definition_log ORDER BY code, "
		   "version, id", &keys, e);
	if (rc)
		return rc;
	tg->tdkeys = keyed_of(&keys, 2, 0, 1, -1, &tg->ntdkeys);
	sqlc_result_release(&keys);

	rc = query(v->dst, "t_ds_task_definition_log", q_tdlog, &tg->tdlog,
		   e);
	if (rc)
		return rc;
	tg->ntdlogs = tg->tdlog.nrows;
	tg->tdlogs = xcalloc(tg->ntdlogs ? tg->ntdlogs : 1,
			     sizeof(*tg->tdlogs));
	for (size_t i = 0; i < tg->ntdlogs; i++) {
		tg->tdlogs[i].pc = ival(sqlc_value(&tg->tdlog, i, 0));
		tg->tdlogs[i].code = ival(sqlc_value(&tg->tdlog, i, 2));
		tg->tdlogs[i].version = ival(sqlc_value(&tg->tdlog, i, 3));
		tg->tdlogs[i].row = i;
	}
	if (tg->ntdlogs > 1)
		qsort(tg->tdlogs, tg->ntdlogs, sizeof(*tg->tdlogs),
		      cmp_grouped);

	rc = query(v->dst, "t_ds_process_task_relation", "SELECT " REL_COLS
		   " FROM t_ds_process_task_relation ORDER BY "
		   "process_definition_code, process_definition_version, id",
		   &tg->rel, e);
	if (rc)
		return rc;
	tg->rels = rels_of(&tg->rel, &tg->nrels);

	rc = query(v->dst, "t_ds_process_task_relation_log", "SELECT "
		   REL_COLS " FROM t_ds_process_task_relation_log ORDER BY "
		   "process_definition_code, process_definition_version, id",
		   &tg->rellog, e);
	if (rc)
		return rc;
	tg->rellogs = rels_of(&tg->rellog, &tg->nrellogs);

	rc = query(v->dst, "t_ds_schedules", "SELECT id, "
		   "process_definition_code FROM t_ds_schedules ORDER BY id",
		   &tg->sched, e);
	if (rc)
		return rc;
	tg->scheds = keyed_of(&tg->sched, 0, 1, -1, -1, &tg->nscheds);
	return query(v->dst, "the target", "ROLLBACK", NULL, e);
}

static void target_release(struct target *tg)
{
	sqlc_result_release(&tg->proj);
	sqlc_result_release(&tg->pd);
	sqlc_result_release(&tg->pdlog);
	sqlc_result_release(&tg->td);
	sqlc_result_release(&tg->tdlog);
	sqlc_result_release(&tg->rel);
	sqlc_result_release(&tg->rellog);
	sqlc_result_release(&tg->sched);
	free(tg->projs);
	free(tg->pds);
	free(tg->pdlogs);
	free(tg->pdkeys);
	free(tg->tds);
	free(tg->tdkeys);
	free(tg->tdlogs);
	free(tg->rels);
	free(tg->rellogs);
	free(tg->scheds);
}

/* ---- scope ---------------------------------------------------------- */

static bool scope_workflow(const struct scope *sc, int64_t code)
{
	return sc->all || (sc->code != NO_INT && code == sc->code);
}

static bool scope_task(const struct scope *sc, int64_t code)
{
	return sc->all || in_sorted(sc->tasks, sc->ntasks, code);
}

static bool scope_project(const struct scope *sc, int64_t code)
{
	return sc->all || (sc->project != NO_INT && code == sc->project);
}

/* The relation rows of workflow `code`, all versions: [*lo, *hi). */
static void rel_range(const struct rel *a, size_t n, int64_t code,
		      size_t *lo, size_t *hi)
{
	*lo = LOWER(a, n, struct rel, pc, code);
	for (*hi = *lo; *hi < n && a[*hi].pc == code; (*hi)++)
		;
}

static int lookup_process(struct verify *v, int64_t id,
			  struct state_idval *val, struct err *e)
{
	unsigned char k[8];

	if (!v->t)
		return err_set(e, FERRY_ENOTFOUND, "no state store");
	state_key_i64(id, k);
	return state_idmap_get(v->t, DS_ENT_PROCESS, k, sizeof(k), val, e);
}

static int make_scope(struct verify *v, struct err *e)
{
	struct scope *sc = &v->sc;
	const struct target *tg = &v->tg;
	struct state_idval val;
	size_t lo, hi, n = 0, i;
	int rc;

	memset(sc, 0, sizeof(*sc));
	sc->code = sc->project = NO_INT;
	if (!v->o.one) {
		sc->all = true;
		return 0;
	}
	rc = lookup_process(v, v->o.workflow, &val, e);
	if (rc == FERRY_ENOTFOUND)
		return 0;	/* the digest check says "not migrated" */
	if (rc)
		return rc;
	sc->code = val.id;
	i = LOWER(tg->pds, tg->npds, struct keyed, code, sc->code);
	if (i < tg->npds && tg->pds[i].code == sc->code)
		sc->project = tg->pds[i].project;
	sc->tasks = xcalloc(2 * (tg->nrels + tg->nrellogs) + 1,
			    sizeof(*sc->tasks));
	rel_range(tg->rels, tg->nrels, sc->code, &lo, &hi);
	for (i = lo; i < hi; i++) {
		if (tg->rels[i].pre != 0)
			sc->tasks[n++] = tg->rels[i].pre;
		sc->tasks[n++] = tg->rels[i].post;
	}
	rel_range(tg->rellogs, tg->nrellogs, sc->code, &lo, &hi);
	for (i = lo; i < hi; i++) {
		if (tg->rellogs[i].pre != 0)
			sc->tasks[n++] = tg->rellogs[i].pre;
		sc->tasks[n++] = tg->rellogs[i].post;
	}
	sc->ntasks = uniq_i64(sc->tasks, n);
	return 0;
}

/* ---- check 1: relations --------------------------------------------- */

static void check_relation_rows(struct verify *v, const char *table,
				const struct rel *a, size_t n, bool log)
{
	const struct target *tg = &v->tg;
	char b1[24], b2[24], b3[24], b4[24], b5[24];

	for (size_t i = 0; i < n; i++) {
		const struct rel *r = &a[i];
		bool pd_ok;

		if (!scope_workflow(&v->sc, r->pc))
			continue;
		v->checked[CK_RELATIONS]++;
		if (r->pre != 0 &&
		    !find_cv(tg->tdkeys, tg->ntdkeys, r->pre, r->prev))
			report(v, CK_RELATIONS, true, "%s id %s (workflow code "
			       "%s version %s): pre task %s version %s is not "
			       "in t_ds_task_definition_log", table,
			       itxt(r->id, b1, sizeof(b1)),
			       itxt(r->pc, b2, sizeof(b2)),
			       itxt(r->pv, b3, sizeof(b3)),
			       itxt(r->pre, b4, sizeof(b4)),
			       itxt(r->prev, b5, sizeof(b5)));
		if (!find_cv(tg->tdkeys, tg->ntdkeys, r->post, r->postv))
			report(v, CK_RELATIONS, true, "%s id %s (workflow code "
			       "%s version %s): post task %s version %s is "
			       "not in t_ds_task_definition_log", table,
			       itxt(r->id, b1, sizeof(b1)),
			       itxt(r->pc, b2, sizeof(b2)),
			       itxt(r->pv, b3, sizeof(b3)),
			       itxt(r->post, b4, sizeof(b4)),
			       itxt(r->postv, b5, sizeof(b5)));
		/* the workflow (code, version): once per run of rows */
		if (i > 0 && a[i - 1].pc == r->pc && a[i - 1].pv == r->pv)
			continue;
		pd_ok = log ? find_cv(tg->pdkeys, tg->npdkeys, r->pc, r->pv)
				!= NULL
			    : find_cv(tg->pds, tg->npds, r->pc, r->pv) != NULL;
		if (!pd_ok) {
			size_t j = i + 1;

			while (j < n && a[j].pc == r->pc && a[j].pv == r->pv)
				j++;
			report(v, CK_RELATIONS, true, "%s: %zu row%s (first id "
			       "%s): workflow code %s version %s is not in %s",
			       table, j - i, j - i == 1 ? "" : "s",
			       itxt(r->id, b1, sizeof(b1)),
			       itxt(r->pc, b2, sizeof(b2)),
			       itxt(r->pv, b3, sizeof(b3)),
			       log ? "t_ds_process_definition_log"
				   : "t_ds_process_definition");
		}
	}
}

/* ---- check 2: DAGs -------------------------------------------------- */

struct edge {
	int64_t from, to;
};

static int cmp_edge(const void *pa, const void *pb)
{
	const struct edge *a = pa, *b = pb;
	int c = cmp_i64(a->from, b->from);

	return c ? c : cmp_i64(a->to, b->to);
}

static int cmp_edge_to(const void *pa, const void *pb)
{
	const struct edge *a = pa, *b = pb;
	int c = cmp_i64(a->to, b->to);

	return c ? c : cmp_i64(a->from, b->from);
}

static size_t node_of(const int64_t *nodes, size_t n, int64_t code)
{
	const int64_t *p = bsearch(&code, nodes, n, sizeof(*nodes), cmp_i64p);

	return p ? (size_t)(p - nodes) : SIZE_MAX;
}

/*
 * The relation log rows [lo, hi) of workflow `pd` (one version): every
 * pre task must be a post task too, and the edges between tasks (pre
 * 0 = root rows left out) must be acyclic.  Kahn's algorithm removes what
 * is reachable from the roots; what stays lies on or behind a cycle, and
 * walking predecessors inside it from any node must come back to a node
 * already seen: that loop is printed.
 */
static void check_dag(struct verify *v, const struct keyed *pd,
		      const struct rel *a, size_t lo, size_t hi)
{
	const struct target *tg = &v->tg;
	const char *wname = sqlc_value(&tg->pd, pd->row, 4);
	size_t ne = 0, nn = 0, nposts = 0, left, *indeg, *queue, qh = 0,
	       qt = 0, *seen;
	int64_t *nodes, *posts;
	struct edge *edges, *by_to;
	struct buf msg;

	wname = wname ? wname : "";
	nodes = xcalloc(2 * (hi - lo) + 1, sizeof(*nodes));
	posts = xcalloc(hi - lo + 1, sizeof(*posts));
	edges = xcalloc(hi - lo + 1, sizeof(*edges));
	for (size_t i = lo; i < hi; i++) {
		posts[nposts++] = a[i].post;
		nodes[nn++] = a[i].post;
		if (a[i].pre == 0)
			continue;
		nodes[nn++] = a[i].pre;
		edges[ne].from = a[i].pre;
		edges[ne++].to = a[i].post;
	}
	nn = uniq_i64(nodes, nn);
	nposts = uniq_i64(posts, nposts);
	if (ne > 1)
		qsort(edges, ne, sizeof(*edges), cmp_edge);
	/* duplicate edges count once */
	{
		size_t m = 0;

		for (size_t i = 0; i < ne; i++)
			if (m == 0 || cmp_edge(&edges[m - 1], &edges[i]))
				edges[m++] = edges[i];
		ne = m;
	}
	for (size_t i = 0; i < nn; i++)
		if (!in_sorted(posts, nposts, nodes[i]))
			report(v, CK_DAG, true, "workflow code %" PRId64 " "
			       "\"%s\" version %" PRId64 ": task %" PRId64
			       " \"%s\" is a pre task but no relation's post "
			       "task (not reachable from a root)", pd->code,
			       wname, pd->version, nodes[i],
			       task_name(tg, nodes[i]));

	indeg = xcalloc(nn + 1, sizeof(*indeg));
	queue = xcalloc(nn + 1, sizeof(*queue));
	for (size_t i = 0; i < ne; i++)
		indeg[node_of(nodes, nn, edges[i].to)]++;
	for (size_t i = 0; i < nn; i++)
		if (indeg[i] == 0)
			queue[qt++] = i;
	while (qh < qt) {
		int64_t from = nodes[queue[qh++]];
		size_t j = LOWER(edges, ne, struct edge, from, from);

		for (; j < ne && edges[j].from == from; j++) {
			size_t to = node_of(nodes, nn, edges[j].to);

			if (--indeg[to] == 0)
				queue[qt++] = to;
		}
	}
	left = nn - qt;
	if (left) {
		size_t cur = SIZE_MAX, steps = 0, *order;

		by_to = xcalloc(ne + 1, sizeof(*by_to));
		memcpy(by_to, edges, ne * sizeof(*edges));
		if (ne > 1)
			qsort(by_to, ne, sizeof(*by_to), cmp_edge_to);
		seen = xcalloc(nn + 1, sizeof(*seen));	/* step + 1 */
		order = xcalloc(nn + 1, sizeof(*order));
		for (size_t i = 0; i < nn && cur == SIZE_MAX; i++)
			if (indeg[i])
				cur = i;
		/* walk to a predecessor that is still in the graph */
		while (!seen[cur]) {
			size_t j = LOWER(by_to, ne, struct edge, to,
					 nodes[cur]);

			seen[cur] = ++steps;
			order[steps - 1] = cur;
			for (; j < ne && by_to[j].to == nodes[cur]; j++) {
				size_t p = node_of(nodes, nn, by_to[j].from);

				if (indeg[p]) {
					cur = p;
					break;
				}
			}
		}
		/* order[seen[cur]-1 .. steps-1] is the loop, backwards */
		buf_init(&msg, 400);
		for (size_t k = steps; k-- > seen[cur] - 1;) {
			if (buf_printf(&msg, "%s%" PRId64, msg.len ? " -> " :
				       "", nodes[order[k]]))
				break;
		}
		say(&msg, " -> %" PRId64, nodes[order[steps - 1]]);
		report(v, CK_DAG, true, "workflow code %" PRId64 " \"%s\" "
		       "version %" PRId64 ": cycle %s (%zu task%s not "
		       "reachable from a root)", pd->code, wname, pd->version,
		       msg.data, left, left == 1 ? "" : "s");
		buf_release(&msg);
		free(order);
		free(seen);
		free(by_to);
	}
	free(indeg);
	free(queue);
	free(nodes);
	free(posts);
	free(edges);
}

static void check_dags(struct verify *v)
{
	const struct target *tg = &v->tg;
	int64_t *posts;
	size_t nposts = 0;

	for (size_t i = 0; i < tg->npds; i++) {
		const struct keyed *pd = &tg->pds[i];
		size_t lo, hi;

		/* one check per (code, version), duplicates are "codes" */
		if (i > 0 && pd->code == tg->pds[i - 1].code &&
		    pd->version == tg->pds[i - 1].version)
			continue;
		if (!scope_workflow(&v->sc, pd->code))
			continue;
		v->checked[CK_DAG]++;
		lo = LOWER(tg->rellogs, tg->nrellogs, struct rel, pc, pd->code);
		while (lo < tg->nrellogs && tg->rellogs[lo].pc == pd->code &&
		       tg->rellogs[lo].pv < pd->version)
			lo++;
		for (hi = lo; hi < tg->nrellogs && tg->rellogs[hi].pc ==
		     pd->code && tg->rellogs[hi].pv == pd->version; hi++)
			;
		check_dag(v, pd, tg->rellogs, lo, hi);
	}
	/* task definitions no relation leads to */
	posts = xcalloc(tg->nrels + 1, sizeof(*posts));
	for (size_t i = 0; i < tg->nrels; i++)
		posts[nposts++] = tg->rels[i].post;
	nposts = uniq_i64(posts, nposts);
	for (size_t i = 0; i < tg->ntds; i++) {
		const struct keyed *td = &tg->tds[i];

		if (!scope_task(&v->sc, td->code))
			continue;
		v->checked[CK_DAG]++;
		if (!in_sorted(posts, nposts, td->code)) {
			const char *n = sqlc_value(&tg->td, td->row, 4);
			char b[24];

			report(v, CK_DAG, true, "t_ds_task_definition id %s "
			       "code %" PRId64 " \"%s\": no "
			       "t_ds_process_task_relation has it as post "
			       "task (in no workflow)", itxt(td->id, b,
							     sizeof(b)),
			       td->code, n ? n : "");
		}
	}
	free(posts);
}

/* ---- check 3: schedules --------------------------------------------- */

static void check_schedules(struct verify *v)
{
	const struct target *tg = &v->tg;
	char b1[24], b2[24];

	for (size_t i = 0; i < tg->nscheds; i++) {
		const struct keyed *s = &tg->scheds[i];

		if (!scope_workflow(&v->sc, s->code))
			continue;
		v->checked[CK_SCHEDULES]++;
		if (!has_code(tg->pds, tg->npds, s->code))
			report(v, CK_SCHEDULES, true, "t_ds_schedules id %s: "
			       "process_definition_code %s is not in "
			       "t_ds_process_definition",
			       itxt(s->id, b1, sizeof(b1)),
			       itxt(s->code, b2, sizeof(b2)));
	}
}

/* ---- check 4: unique codes ------------------------------------------ */

/* Runs of equal code (and version, when `versioned`) in a sorted array. */
static void check_unique(struct verify *v, const char *table,
			 const struct keyed *a, size_t n, bool versioned,
			 bool (*in_scope)(const struct scope *, int64_t))
{
	char b[24];

	for (size_t i = 0, j; i < n; i = j) {
		struct buf ids;

		for (j = i + 1; j < n && a[j].code == a[i].code &&
		     (!versioned || a[j].version == a[i].version); j++)
			;
		if (!in_scope(&v->sc, a[i].code))
			continue;
		v->checked[CK_CODES]++;
		if (j - i == 1)
			continue;
		buf_init(&ids, 200);
		for (size_t k = i; k < j; k++)
			if (buf_printf(&ids, "%s%s", k > i ? ", " : "",
				       itxt(a[k].id, b, sizeof(b))))
				break;
		if (versioned)
			report(v, CK_CODES, true, "%s: code %s version %" PRId64
			       " has %zu rows (ids %s)", table,
			       itxt(a[i].code, b, sizeof(b)), a[i].version,
			       j - i, ids.data);
		else
			report(v, CK_CODES, true, "%s: code %s has %zu rows "
			       "(ids %s)", table, itxt(a[i].code, b, sizeof(b)),
			       j - i, ids.data);
		buf_release(&ids);
	}
}

/* A task code in the relations of two workflows. */
static void check_shared_tasks(struct verify *v)
{
	const struct target *tg = &v->tg;
	struct edge *p = xcalloc(2 * tg->nrels + 1, sizeof(*p));
	size_t n = 0;

	/* (task code, workflow code) pairs; `from` = task, `to` = workflow */
	for (size_t i = 0; i < tg->nrels; i++) {
		if (tg->rels[i].pre != 0) {
			p[n].from = tg->rels[i].pre;
			p[n++].to = tg->rels[i].pc;
		}
		p[n].from = tg->rels[i].post;
		p[n++].to = tg->rels[i].pc;
	}
	if (n > 1)
		qsort(p, n, sizeof(*p), cmp_edge);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && p[j].from == p[i].from; j++)
			;
		if (!scope_task(&v->sc, p[i].from) ||
		    p[i].to == p[j - 1].to)
			continue;
		report(v, CK_CODES, true, "t_ds_process_task_relation: task "
		       "code %" PRId64 " \"%s\" is used by workflow codes "
		       "%" PRId64 " and %" PRId64, p[i].from,
		       task_name(tg, p[i].from), p[i].to, p[j - 1].to);
	}
	free(p);
}

static void check_codes(struct verify *v)
{
	const struct target *tg = &v->tg;

	check_unique(v, "t_ds_project", tg->projs, tg->nprojs, false,
		     scope_project);
	check_unique(v, "t_ds_process_definition", tg->pds, tg->npds, false,
		     scope_workflow);
	check_unique(v, "t_ds_task_definition", tg->tds, tg->ntds, false,
		     scope_task);
	check_unique(v, "t_ds_process_definition_log", tg->pdkeys,
		     tg->npdkeys, true, scope_workflow);
	check_unique(v, "t_ds_task_definition_log", tg->tdkeys, tg->ntdkeys,
		     true, scope_task);
	check_shared_tasks(v);
}

/* ---- check 5: project codes ----------------------------------------- */

static void check_projects(struct verify *v)
{
	const struct target *tg = &v->tg;
	char b1[24], b2[24], b3[24];

	for (size_t i = 0; i < tg->npds; i++) {
		const struct keyed *p = &tg->pds[i];
		const char *n = sqlc_value(&tg->pd, p->row, 4);

		if (!scope_workflow(&v->sc, p->code))
			continue;
		v->checked[CK_PROJECTS]++;
		if (!has_code(tg->projs, tg->nprojs, p->project))
			report(v, CK_PROJECTS, true, "t_ds_process_definition "
			       "id %s (code %" PRId64 " \"%s\"): project_code "
			       "%s is not in t_ds_project",
			       itxt(p->id, b1, sizeof(b1)), p->code,
			       n ? n : "", itxt(p->project, b2, sizeof(b2)));
	}
	for (size_t i = 0; i < tg->ntds; i++) {
		const struct keyed *t = &tg->tds[i];
		const char *n = sqlc_value(&tg->td, t->row, 4);

		if (!scope_task(&v->sc, t->code))
			continue;
		v->checked[CK_PROJECTS]++;
		if (!has_code(tg->projs, tg->nprojs, t->project))
			report(v, CK_PROJECTS, true, "t_ds_task_definition id "
			       "%s (code %" PRId64 " \"%s\"): project_code %s "
			       "is not in t_ds_project",
			       itxt(t->id, b1, sizeof(b1)), t->code,
			       n ? n : "", itxt(t->project, b2, sizeof(b2)));
	}
	/* relation rows: one line per workflow and bad project code */
	for (size_t i = 0, j; i < tg->nrels; i = j) {
		const struct rel *r = &tg->rels[i];
		size_t bad = 0;
		int64_t first = NO_INT, minid = NO_INT;

		for (j = i; j < tg->nrels && tg->rels[j].pc == r->pc; j++) {
			if (!scope_workflow(&v->sc, r->pc))
				continue;
			v->checked[CK_PROJECTS]++;
			if (has_code(tg->projs, tg->nprojs,
				     tg->rels[j].project))
				continue;
			if (bad++ == 0) {
				first = tg->rels[j].project;
				minid = tg->rels[j].id;
			}
		}
		if (bad)
			report(v, CK_PROJECTS, true, "t_ds_process_task_"
			       "relation: %zu row%s of workflow code %s (first "
			       "id %s): project_code %s is not in t_ds_project",
			       bad,
			       bad == 1 ? "" : "s", itxt(r->pc, b1, sizeof(b1)),
			       itxt(minid, b2, sizeof(b2)),
			       itxt(first, b3, sizeof(b3)));
	}
}

/* ---- check 6: digests ----------------------------------------------- */

/* Fields of the canonical lines (ds_split.h), for naming a difference. */
static const char *const process_fields[] = {
	"process", "code", "project_code", "name", "description",
	"release_state", "flag", "user_id", "timeout", "global_params",
};
static const char *const task_fields[] = {
	"task", "code", "name", "description", "task_type", "flag",
	"task_priority", "worker_group", "fail_retry_times",
	"fail_retry_interval", "timeout_flag", "timeout_notify_strategy",
	"timeout", "resource_ids", "task_params",
};

struct lines {
	char *text;		/* owned copy, cut at '\n' */
	char **v;		/* sorted */
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lines_split(struct lines *l, const char *text)
{
	size_t cap = 16;
	char *p, *nl;

	l->text = xstrdup(text);
	l->v = xcalloc(cap, sizeof(*l->v));
	l->n = 0;
	for (p = l->text; *p; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		/* the first line names the format, the same on both sides */
		if (strncmp(p, "ferry-ds-digest", 15) != 0) {
			xgrow((void **)&l->v, &cap, l->n + 1, sizeof(*l->v));
			l->v[l->n++] = p;
		}
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

static void lines_release(struct lines *l)
{
	free(l->text);
	free(l->v);
}

static bool lines_has(const struct lines *l, const char *s)
{
	return l->n && bsearch(&s, l->v, l->n, sizeof(*l->v), cmp_str);
}

/* Length of the pairing key: "process", "task\t<code>"; 0 = no pairing
 * (edges and unresolved references are whole facts). */
static size_t line_key(const char *s)
{
	const char *t;

	if (!strncmp(s, "process\t", 8))
		return 7;
	if (strncmp(s, "task\t", 5))
		return 0;
	t = strchr(s + 5, '\t');
	return t ? (size_t)(t - s) : strlen(s);
}

/* Field `i` of a tab-separated line, as [*f, *f + *len). */
static bool field_at(const char *s, size_t i, const char **f, size_t *len)
{
	while (i-- > 0) {
		s = strchr(s, '\t');
		if (!s)
			return false;
		s++;
	}
	*f = s;
	*len = strcspn(s, "\t");
	return true;
}

/* Up to SHOW_MAX bytes of a value around byte `at`, tabs as spaces. */
static int show(struct buf *b, const char *s, size_t len, size_t at)
{
	size_t from = at > 20 ? at - 20 : 0, n = len - from;
	int rc = 0;

	if (n > SHOW_MAX)
		n = SHOW_MAX;
	if (from)
		rc = buf_puts(b, "...");
	for (size_t k = 0; !rc && k < n; k++)
		rc = buf_putc(b, s[from + k] == '\t' ? ' ' : s[from + k]);
	if (!rc && from + n < len)
		rc = buf_puts(b, "...");
	return rc;
}

/* Describe how paired lines `a` (source) and `b` (target) differ. */
static int describe_pair(struct buf *out, const char *a, const char *b)
{
	bool task = !strncmp(a, "task\t", 5);
	const char *const *names = task ? task_fields : process_fields;
	size_t nnames = task ? sizeof(task_fields) / sizeof(task_fields[0])
			     : sizeof(process_fields) /
			       sizeof(process_fields[0]);
	const char *fa, *fb, *code = NULL, *name = NULL;
	size_t la, lb, lc = 0, ln = 0, p;
	int rc;

	if (task) {
		(void)field_at(a, 1, &code, &lc);
		(void)field_at(a, 2, &name, &ln);
		rc = buf_printf(out, "task %.*s %.*s", (int)lc, code,
				(int)ln, name);
	} else {
		rc = buf_puts(out, "workflow row");
	}
	for (size_t i = 1; !rc && i < nnames + 1; i++) {
		bool ha = field_at(a, i, &fa, &la), hb = field_at(b, i, &fb,
								   &lb);

		if (!ha && !hb)
			break;
		if (ha && hb && la == lb && !memcmp(fa, fb, la))
			continue;
		if (!ha || !hb)
			return rc || buf_puts(out, ": a different number of "
					      "fields");
		for (p = 0; p < la && p < lb && fa[p] == fb[p]; p++)
			;
		rc = buf_printf(out, ": %s differs: source ",
				i < nnames ? names[i] : "field") ||
			show(out, fa, la, p) ||
			buf_puts(out, ", target ") || show(out, fb, lb, p);
		return rc;
	}
	return rc || buf_puts(out, ": differs");
}

/* Readable form of a whole line ("edge\t0\t12" -> "edge 0 -> 12"). */
static int describe_line(struct buf *out, const char *s)
{
	const char *f;
	size_t l1, l2;
	const char *f2;

	if (!strncmp(s, "edge\t", 5) && field_at(s, 1, &f, &l1) &&
	    field_at(s, 2, &f2, &l2))
		return buf_printf(out, "edge %.*s -> %.*s", (int)l1, f,
				  (int)l2, f2);
	if (!strncmp(s, "task\t", 5) && field_at(s, 1, &f, &l1) &&
	    field_at(s, 2, &f2, &l2))
		return buf_printf(out, "task %.*s %.*s", (int)l1, f, (int)l2,
				  f2);
	return show(out, s, strlen(s), 0);
}

/*
 * An "unresolved" line of the 1.3 side (kind, task, id, process id,
 * name): a reference the split could not map, so the target lacks it.
 */
static void describe_unresolved(struct buf *out, const char *s)
{
	static const char *const kinds[] = {
		"?", "project", "workflow", "task", "resource",
	};
	const char *f[5];
	size_t l[5];
	long kind;

	for (size_t i = 0; i < 5; i++)
		if (!field_at(s, i + 1, &f[i], &l[i])) {
			say(out, "a reference the migration left unresolved");
			return;
		}
	kind = strtol(f[0], NULL, 10);
	say(out, "task %.*s refers to %s ", (int)l[1], f[1],
	    kinds[kind >= 1 && kind <= 4 ? kind : 0]);
	if (kind == 3)
		say(out, "%.*s of workflow %.*s", (int)l[4], f[4], (int)l[3],
		    f[3]);
	else if (kind == 4 && !strncmp(f[2], "-1", l[2]))
		say(out, "%.*s", (int)l[4], f[4]);
	else
		say(out, "%.*s", (int)l[2], f[2]);
	say(out, ", which the migration could not resolve");
}

/*
 * Why two canonical texts differ: lines only on one side, paired by key
 * where both sides have a line for the same task (or the workflow row).
 * At most two differences are described, then a count of the rest.
 */
static void explain(struct buf *out, const char *t13, const char *t32)
{
	struct lines a, b;
	size_t shown = 0, more = 0;

	lines_split(&a, t13);
	lines_split(&b, t32);
	for (size_t i = 0; i < a.n; i++) {
		const char *s = a.v[i], *match = NULL;
		size_t k = line_key(s);

		if (lines_has(&b, s))
			continue;
		for (size_t j = 0; k && j < b.n && !match; j++)
			if (!strncmp(b.v[j], s, k) && line_key(b.v[j]) == k &&
			    !lines_has(&a, b.v[j]))
				match = b.v[j];
		if (shown >= 2) {
			more++;
			continue;
		}
		if (shown++)
			say(out, "; ");
		if (match) {
			(void)describe_pair(out, s, match);
		} else if (!strncmp(s, "unresolved\t", 11)) {
			describe_unresolved(out, s);
		} else {
			(void)describe_line(out, s);
			say(out, " is missing on the target");
		}
	}
	for (size_t i = 0; i < b.n; i++) {
		const char *s = b.v[i];
		size_t k = line_key(s);
		bool paired = false;

		if (lines_has(&a, s))
			continue;
		for (size_t j = 0; k && j < a.n && !paired; j++)
			paired = !strncmp(a.v[j], s, k) &&
				line_key(a.v[j]) == k && !lines_has(&b, a.v[j]);
		if (paired)
			continue;
		if (shown >= 2) {
			more++;
			continue;
		}
		if (shown++)
			say(out, "; ");
		(void)describe_line(out, s);
		say(out, " is only on the target");
	}
	if (!shown)
		say(out, "the same lines, counted differently (a "
		    "doubled row)");
	if (more)
		say(out, " (and %zu more difference%s)", more,
		    more == 1 ? "" : "s");
	lines_release(&a);
	lines_release(&b);
}

static struct ds_row row_of(const char *table, const struct sqlc_result *r,
			    size_t i)
{
	struct ds_row d = {
		.table = table,
		.cols = r->names,
		.ncols = r->ncols,
		.vals = sqlc_row(r, i),
	};

	return d;
}

/* The target rows of workflow `pd` for one side of the comparison. */
struct side {
	struct ds_row process;
	struct ds_row *tasks;
	size_t ntasks;
	struct ds_row *rels;
	size_t nrels;
};

static void side_release(struct side *s)
{
	free(s->tasks);
	free(s->rels);
}

/* What the 3.2 master reads: the log rows of the current version. */
static bool side_log(const struct target *tg, const struct keyed *pd,
		     struct side *s)
{
	const struct keyed *pl = find_cv(tg->pdlogs, tg->npdlogs, pd->code,
					 pd->version);
	size_t lo, hi, i;

	memset(s, 0, sizeof(*s));
	if (!pl)
		return false;
	s->process = row_of("t_ds_process_definition_log", &tg->pdlog,
			    pl->row);
	rel_range(tg->rellogs, tg->nrellogs, pd->code, &lo, &hi);
	s->rels = xcalloc(hi - lo + 1, sizeof(*s->rels));
	for (i = lo; i < hi; i++)
		if (tg->rellogs[i].pv == pd->version)
			s->rels[s->nrels++] = row_of("t_ds_process_task_"
						     "relation_log",
						     &tg->rellog,
						     tg->rellogs[i].row);
	lo = LOWER(tg->tdlogs, tg->ntdlogs, struct grouped, pc, pd->code);
	for (hi = lo; hi < tg->ntdlogs && tg->tdlogs[hi].pc == pd->code; hi++)
		;
	s->tasks = xcalloc(hi - lo + 1, sizeof(*s->tasks));
	for (i = lo; i < hi; i++)
		s->tasks[s->ntasks++] = row_of("t_ds_task_definition_log",
					       &tg->tdlog, tg->tdlogs[i].row);
	return true;
}

/* What the UI and API read: the main tables. */
static void side_main(const struct target *tg, const struct keyed *pd,
		      struct side *s)
{
	size_t lo, hi, i, n = 0, nrows = 0;
	int64_t *codes;
	size_t *rows;

	memset(s, 0, sizeof(*s));
	s->process = row_of("t_ds_process_definition", &tg->pd, pd->row);
	rel_range(tg->rels, tg->nrels, pd->code, &lo, &hi);
	s->rels = xcalloc(hi - lo + 1, sizeof(*s->rels));
	codes = xcalloc(2 * (hi - lo) + 1, sizeof(*codes));
	for (i = lo; i < hi; i++) {
		s->rels[s->nrels++] = row_of("t_ds_process_task_relation",
					     &tg->rel, tg->rels[i].row);
		if (tg->rels[i].pre != 0)
			codes[n++] = tg->rels[i].pre;
		codes[n++] = tg->rels[i].post;
	}
	n = uniq_i64(codes, n);
	/* every main row of those codes (a doubled code shows twice) */
	rows = xcalloc(tg->ntds + 1, sizeof(*rows));
	for (i = 0; i < n; i++)
		for (size_t j = LOWER(tg->tds, tg->ntds, struct keyed, code,
				      codes[i]);
		     j < tg->ntds && tg->tds[j].code == codes[i]; j++)
			rows[nrows++] = tg->tds[j].row;
	s->tasks = xcalloc(nrows + 1, sizeof(*s->tasks));
	for (i = 0; i < nrows; i++)
		s->tasks[s->ntasks++] = row_of("t_ds_task_definition",
					       &tg->td, rows[i]);
	free(rows);
	free(codes);
}

/* Compare one side with the 1.3 digest; true when they differ, with
 * the explanation in `why`. */
static int compare_side(const struct side *s, const char d13[65],
			const char *t13, struct buf *why, bool *differs,
			struct err *e)
{
	char d32[65], *t32 = NULL;
	int rc;

	*differs = false;
	rc = ds_digest_32(&s->process, s->tasks, s->ntasks, s->rels,
			  s->nrels, d32, e);
	if (rc || !strcmp(d13, d32))
		return rc;
	*differs = true;
	rc = ds_digest_32_text(&s->process, s->tasks, s->ntasks, s->rels,
			       s->nrels, &t32, e);
	if (rc)
		return rc;
	explain(why, t13, t32);
	free(t32);
	return 0;
}

/* The source columns in the order of struct ds_process_13. */
#define SRC_COLS "id, name, version, release_state, project_id, user_id, " \
	"process_definition_json, description, global_params, flag, " \
	"locations, connects, receivers, receivers_cc, create_time, " \
	"update_time, modify_by, tenant_id, timeout, resource_ids"

static void process_13_of(char **c, struct ds_process_13 *p)
{
	memset(p, 0, sizeof(*p));
	p->id = c[0];
	p->name = c[1];
	p->version = c[2];
	p->release_state = c[3];
	p->project_id = c[4];
	p->user_id = c[5];
	p->process_definition_json = c[6];
	p->description = c[7];
	p->global_params = c[8];
	p->flag = c[9];
	p->locations = c[10];
	p->connects = c[11];
	p->receivers = c[12];
	p->receivers_cc = c[13];
	p->create_time = c[14];
	p->update_time = c[15];
	p->modify_by = c[16];
	p->tenant_id = c[17];
	p->timeout = c[18];
	p->resource_ids = c[19];
	/* times and operators are not part of the digest */
	p->now = "1970-01-01 00:00:00";
}

/* The main row of `code`, preferring the one that kept the 1.3 id. */
static const struct keyed *find_pd(const struct target *tg, int64_t code,
				   int64_t id)
{
	size_t i = LOWER(tg->pds, tg->npds, struct keyed, code, code);
	const struct keyed *first = NULL;

	for (; i < tg->npds && tg->pds[i].code == code; i++) {
		if (tg->pds[i].id == id)
			return &tg->pds[i];
		if (!first)
			first = &tg->pds[i];
	}
	return first;
}

/* Does the source hold `sql` (a query of one row)? */
static bool source_has(struct verify *v, const char *sql)
{
	struct sqlc_result r;
	struct err e;
	bool has;

	if (sqlc_query(v->src, sql, &r, &e))
		return true;	/* unsure: count it as a real mismatch */
	has = r.nrows > 0;
	sqlc_result_release(&r);
	return has;
}

/* Does 1.3 workflow `pid` (its current JSON) have a task named `jname`
 * (a JSON string, as the canonical text writes names)? */
static bool source_task(struct verify *v, int64_t pid, const char *jname,
			size_t jlen)
{
	char *text = xstrndup(jname, jlen);
	json_t *jn = json_loads(text, JSON_DECODE_ANY, NULL);
	const char *name = json_string_value(jn);
	size_t len = name ? strlen(name) : 0;
	struct sqlc_result r;
	char sql[160];
	json_t *root, *tasks, *t;
	struct err e;
	bool has = false;
	size_t i;

	free(text);
	if (!name) {
		json_decref(jn);
		return true;	/* unsure: a real mismatch */
	}
	snprintf(sql, sizeof(sql), "SELECT process_definition_json FROM "
		 "t_ds_process_definition WHERE id = %" PRId64, pid);
	if (sqlc_query(v->src, sql, &r, &e)) {
		json_decref(jn);
		return true;
	}
	if (r.nrows == 0 || !sqlc_value(&r, 0, 0)) {
		sqlc_result_release(&r);
		json_decref(jn);
		return false;
	}
	root = json_loads(sqlc_value(&r, 0, 0), 0, NULL);
	sqlc_result_release(&r);
	if (!root) {
		json_decref(jn);
		return true;
	}
	tasks = json_object_get(root, "tasks");
	json_array_foreach(tasks, i, t) {
		const char *n = json_string_value(json_object_get(t, "name"));

		if (n && strlen(n) == len && !strncmp(n, name, len))
			has = true;
	}
	json_decref(root);
	json_decref(jn);
	return has;
}

/*
 * A reference the migration left unresolved because it points at nothing
 * in 1.3 either (a DEPENDENT on a task since renamed or removed, a
 * SUB_PROCESS of a deleted workflow): 1.3 would fail that task too, 3.2
 * cannot hold it, and no migration can do better.  It is reported, and
 * taken out of the 1.3 meaning before the comparison, so the digest
 * judges what the migration could have carried over.  Lines of `t13` are
 * dropped in place.
 */
static void drop_dangling(struct verify *v, const char *id, const char *name,
			  char *t13)
{
	static const char *const what[] = { "?", "project", "workflow",
					    "task", "resource" };
	char *line = t13, *out = t13;

	while (*line) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
		const char *f[5];
		size_t l[5];
		bool drop = false;

		if (!strncmp(line, "unresolved\t", 11)) {
			bool ok = true;
			char sql[160];
			long kind;

			for (size_t i = 0; i < 5 && ok; i++) {
				ok = field_at(line, i + 1, &f[i], &l[i]);
				/* the last field ends at the line's end */
				while (ok && l[i] && f[i][l[i] - 1] == '\n')
					l[i]--;
			}
			kind = ok ? strtol(f[0], NULL, 10) : 0;
			if (kind == 1 || kind == 2) {
				snprintf(sql, sizeof(sql), "SELECT 1 FROM %s "
					 "WHERE id = %ld", kind == 1 ?
					 "t_ds_project" :
					 "t_ds_process_definition",
					 strtol(f[2], NULL, 10));
				drop = !source_has(v, sql);
			} else if (kind == 3) {
				drop = !source_task(v, strtol(f[3], NULL, 10),
						    f[4], l[4]);
			} else if (kind == 4 && strncmp(f[2], "-1", 2)) {
				snprintf(sql, sizeof(sql), "SELECT 1 FROM "
					 "t_ds_resources WHERE id = %ld",
					 strtol(f[2], NULL, 10));
				drop = !source_has(v, sql);
			}
			if (drop) {
				v->dangling++;
				if (!v->o.quiet)
					printf("note: workflow %s \"%s\": task "
					       "%.*s refers to %s %.*s%s%.*s, "
					       "which 1.3 does not have either"
					       "\n", id, name, (int)l[1], f[1],
					       what[kind], kind == 3 ?
					       (int)l[4] : (int)l[2],
					       kind == 3 ? f[4] : f[2],
					       kind == 3 ? " of workflow " : "",
					       kind == 3 ? (int)l[3] : 0, f[3]);
			}
		}
		if (!drop) {
			memmove(out, line, len);
			out += len;
		}
		line += len;
	}
	*out = '\0';
}

static int digest_one(struct verify *v, char **cols, struct err *e)
{
	const struct target *tg = &v->tg;
	const char *name = cols[1] ? cols[1] : "";
	struct ds_process_13 p;
	struct state_idval val;
	const struct keyed *pd;
	struct side run = { 0 }, ui = { 0 };
	struct buf why_log, why_main;
	bool dlog = false, dmain = false;
	char d13[65], *t13 = NULL;
	int64_t id = ival(cols[0]);
	struct err e2;
	int rc;

	v->checked[CK_DIGEST]++;
	rc = lookup_process(v, id, &val, e);
	if (rc == FERRY_ENOTFOUND) {
		report(v, CK_DIGEST, true, "workflow %s \"%s\": not migrated "
		       "(the state store does not know it)", cols[0], name);
		return 0;
	}
	if (rc)
		return rc;
	process_13_of(cols, &p);
	p.version_32 = val.version > 0 ? val.version : 1;
	/* the text once, its digest by hand: ds_digest_13() would split
	 * the row a second time for the explanation */
	err_clear(&e2);
	rc = ds_digest_13_text(&p, &v->se.env, &t13, &e2);
	if (rc == FERRY_ENOTFOUND || rc == FERRY_EDATA) {
		report(v, CK_DIGEST, true, "workflow %s \"%s\" code %" PRId64
		       ": %s: %s", cols[0], name, val.id,
		       rc == FERRY_EDATA ? "the 1.3 row cannot be migrated"
					 : "the state store lacks part of it",
		       e2.msg);
		return 0;
	}
	if (rc) {
		*e = e2;
		return rc;
	}
	pd = find_pd(tg, val.id, id);
	if (!pd) {
		report(v, CK_DIGEST, true, "workflow %s \"%s\" code %" PRId64
		       ": not on the target (no t_ds_process_definition row)",
		       cols[0], name, val.id);
		free(t13);
		return 0;
	}
	drop_dangling(v, cols[0], name, t13);
	sha256_hex(t13, strlen(t13), d13);
	buf_init(&why_log, 4096);
	buf_init(&why_main, 4096);
	side_main(tg, pd, &ui);
	rc = compare_side(&ui, d13, t13, &why_main, &dmain, e);
	if (!rc && side_log(tg, pd, &run)) {
		rc = compare_side(&run, d13, t13, &why_log, &dlog, e);
	} else if (!rc) {
		dlog = true;
		say(&why_log, "no t_ds_process_definition_log row of "
		    "version %" PRId64, pd->version);
	}
	if (!rc && dlog && dmain && !strcmp(why_log.data, why_main.data))
		report(v, CK_DIGEST, true, "workflow %s \"%s\" code %" PRId64
		       ": log and main tables: %s", cols[0], name, val.id,
		       why_log.data);
	else if (!rc) {
		if (dlog)
			report(v, CK_DIGEST, true, "workflow %s \"%s\" code "
			       "%" PRId64 ": log tables (what the master "
			       "runs): %s", cols[0], name, val.id,
			       why_log.data);
		if (dmain)
			report(v, CK_DIGEST, !dlog, "workflow %s \"%s\" code "
			       "%" PRId64 ": main tables (what the UI shows): "
			       "%s", cols[0], name, val.id, why_main.data);
	}
	side_release(&ui);
	side_release(&run);
	buf_release(&why_log);
	buf_release(&why_main);
	free(t13);
	return rc;
}

/* "id IN (...)" of the source projects projects.include names, or NULL
 * when every project is selected. */
static int project_filter(struct verify *v, struct buf *where,
			  struct err *e)
{
	struct sqlc_result r;
	bool *hit;
	size_t n = 0;
	int rc;

	if (!v->cfg.nprojects)
		return 0;
	rc = query(v->src, "the source t_ds_project", "SELECT id, name FROM "
		   "t_ds_project ORDER BY id", &r, e);
	if (rc)
		return rc;
	hit = xcalloc(v->cfg.nprojects, sizeof(*hit));
	rc = buf_puts(where, " WHERE project_id IN (");
	for (size_t i = 0; !rc && i < r.nrows; i++) {
		const char *id = sqlc_value(&r, i, 0), *name = sqlc_value(&r, i,
									  1);
		bool take = false;

		for (size_t j = 0; j < v->cfg.nprojects; j++) {
			const char *want = v->cfg.projects[j];

			if ((name && !strcmp(want, name)) ||
			    (ival(want) != NO_INT && ival(want) == ival(id))) {
				hit[j] = true;
				take = true;
			}
		}
		if (take && ival(id) != NO_INT)
			rc = buf_printf(where, "%s%" PRId64, n++ ? ", " : "",
					ival(id));
	}
	if (!rc)
		rc = buf_puts(where, n ? ")" : "NULL)");
	for (size_t j = 0; j < v->cfg.nprojects; j++)
		if (!hit[j])
			fprintf(stderr, "ferry verify: projects.include names "
				"\"%s\", which is no project of the source\n",
				v->cfg.projects[j]);
	free(hit);
	sqlc_result_release(&r);
	if (rc)
		return err_set(e, FERRY_ENOMEM, "project filter too long");
	return 0;
}

static int check_digests(struct verify *v, struct err *e)
{
	struct sqlc_result r;
	struct buf sql;
	int rc = 0;

	buf_init(&sql, 0);
	if (buf_puts(&sql, "SELECT " SRC_COLS " FROM t_ds_process_definition"))
		rc = err_set(e, FERRY_ENOMEM, "query too long");
	if (!rc && v->o.one)
		rc = buf_printf(&sql, " WHERE id = %" PRId64, v->o.workflow) ?
			err_set(e, FERRY_ENOMEM, "query too long") : 0;
	else if (!rc)
		rc = project_filter(v, &sql, e);
	if (!rc && buf_puts(&sql, " ORDER BY id"))
		rc = err_set(e, FERRY_ENOMEM, "query too long");
	if (!rc)
		rc = query(v->src, "the source t_ds_process_definition",
			   sql.data, &r, e);
	buf_release(&sql);
	if (rc)
		return rc;
	if (v->o.one && r.nrows == 0) {
		v->checked[CK_DIGEST]++;
		report(v, CK_DIGEST, true, "workflow %" PRId64 ": not in the "
		       "source t_ds_process_definition", v->o.workflow);
	}
	for (size_t i = 0; !rc && i < r.nrows; i++)
		rc = digest_one(v, sqlc_row(&r, i), e);
	sqlc_result_release(&r);
	return rc;
}

/* ---- the command ---------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ferry verify [-c FILE] [--limit N] [--workflow ID] "
		"[--quiet]\n\n"
		"Checks the DolphinScheduler 3.2 target (relations, DAGs, "
		"schedules, unique\ncodes, project codes) and that every "
		"migrated 1.3 workflow of the selected\nprojects means the "
		"same on the target (meaning digests).  Writes nothing.\n\n"
		"Options:\n"
		"  -c, --config FILE         configuration file (default "
		"%s)\n"
		"      --limit N             list at most N mismatches (all "
		"are counted)\n"
		"      --workflow ID         only the 1.3 process definition "
		"ID and its rows\n"
		"  -q, --quiet               print the summary line only\n"
		"  -h, --help                this text\n\n"
		"Exit codes: 0 no mismatch, 1 mismatches or a database "
		"error,\n            2 usage or configuration error.\n",
		CLI_DEFAULT_CONFIG);
}

static int parse_i64(const char *s, int64_t min, int64_t *out)
{
	int64_t v = ival(s);

	if (v == NO_INT || v < min)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "limit", required_argument, NULL, 'l' },
		{ "workflow", required_argument, NULL, 'w' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t n;
	int c;

	memset(o, 0, sizeof(*o));
	o->config = CLI_DEFAULT_CONFIG;
	o->limit = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:hq", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_DONE;
		case 'l':
			if (parse_i64(optarg, 0, &n) || n > LONG_MAX)
				goto bad;
			o->limit = (long)n;
			break;
		case 'w':
			if (parse_i64(optarg, 0, &o->workflow))
				goto bad;
			o->one = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		default:
			goto try;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ferry verify: unexpected argument \"%s\"\n",
			argv[optind]);
		goto try;
	}
	return CLI_OK;
bad:
	fprintf(stderr, "ferry verify: bad value \"%s\" for --%s\n", optarg,
		c == 'l' ? "limit" : "workflow");
try:
	fprintf(stderr, "Try 'ferry verify --help'.\n");
	return CLI_USAGE;
}

static int connect_db(const struct config_db *db, const char *which,
		      struct sqlc **out, struct err *e)
{
	char pw[1024];
	int rc;

	rc = config_read_password(db, pw, sizeof(pw), e);
	if (!rc)
		rc = sqlc_connect(db, pw, "ferry verify", out, e);
	memset(pw, 0, sizeof(pw));
	if (rc)
		err_prefix(e, "%s", which);
	return rc;
}

/*
 * The mapping options the split reads (ds_plugin.c reads the same ones
 * with the same defaults): a resource path or a SQL task's groupId
 * written under other options would show as a digest difference.
 */
static int mapping_options(struct verify *v, struct err *e)
{
	const char *g;
	int rc;

	rc = mapping_load(v->cfg.mapping, &v->map, e);
	if (rc)
		return rc;
	v->mopt.resource_prefix = mapping_option(&v->map,
						 "ds.resource_prefix", "");
	g = mapping_option(&v->map, "ds.sql_group_id", "0");
	v->mopt.sql_group_id = ival(g);
	if (v->mopt.sql_group_id == NO_INT)
		return err_set(e, FERRY_ECONFIG, "%s: option ds.sql_group_id "
			       "\"%s\" is not an integer", v->map.path, g);
	return 0;
}

/* Read-only: a state_dir that does not exist is not created (every
 * workflow is then "not migrated"). */
static int open_state(struct verify *v, struct err *e)
{
	struct state_options so = { v->cfg.state_map_size,
				    v->cfg.state_max_map_size };
	struct stat sb;
	int rc;

	if (stat(v->cfg.state_dir, &sb) < 0 && errno == ENOENT) {
		fprintf(stderr, "ferry verify: no state in %s: ferry has not "
			"run, nothing is migrated\n", v->cfg.state_dir);
		return 0;
	}
	rc = state_open(v->cfg.state_dir, &so, &v->st, e);
	if (!rc)
		rc = state_txn_begin(v->st, STATE_TXN_READ, &v->t, e);
	if (rc)
		return err_prefix(e, "state store");
	ds_state_env_init(&v->se, v->t, NULL, &v->mopt);
	return 0;
}

static void summary(const struct verify *v)
{
	uint64_t total = 0;

	for (int i = 0; i < CK_N; i++)
		total += v->bad[i];
	printf("summary: %" PRIu64 " mismatch%s (", total,
	       total == 1 ? "" : "es");
	for (int i = 0; i < CK_N; i++)
		printf("%s%s %" PRIu64 " of %" PRIu64, i ? ", " : "",
		       check_names[i], v->bad[i], v->checked[i]);
	printf(")\n");
	if (v->dangling)
		printf("notes: %" PRIu64 " reference%s in 1.3 point%s at "
		       "nothing (not counted)\n", v->dangling,
		       v->dangling == 1 ? "" : "s",
		       v->dangling == 1 ? "s" : "");
}

int cmd_verify(int argc, char **argv)
{
	struct verify v;
	struct err e;
	uint64_t total = 0;
	int rc;

	memset(&v, 0, sizeof(v));
	err_clear(&e);
	rc = parse_args(argc, argv, &v.o);
	if (rc)
		return rc == CLI_DONE ? CLI_OK : rc;
	if (config_load(v.o.config, &v.cfg, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return CLI_USAGE;
	}
	log_set_level(v.cfg.log_level);
	if (mapping_options(&v, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		mapping_release(&v.map);
		config_release(&v.cfg);
		return CLI_USAGE;
	}
	rc = open_state(&v, &e);
	if (!rc)
		rc = connect_db(&v.cfg.target, "target", &v.dst, &e);
	if (!rc)
		rc = connect_db(&v.cfg.source, "source", &v.src, &e);
	if (!rc)
		rc = read_target(&v, &e);
	if (!rc)
		rc = make_scope(&v, &e);
	if (!rc) {
		check_relation_rows(&v, "t_ds_process_task_relation",
				    v.tg.rels, v.tg.nrels, false);
		check_relation_rows(&v, "t_ds_process_task_relation_log",
				    v.tg.rellogs, v.tg.nrellogs, true);
		check_dags(&v);
		check_schedules(&v);
		check_codes(&v);
		check_projects(&v);
		rc = check_digests(&v, &e);
	}
	if (rc) {
		fprintf(stderr, "ferry verify: %s\n", e.msg);
	} else {
		summary(&v);
		for (int i = 0; i < CK_N; i++)
			total += v.bad[i];
	}
	fflush(stdout);
	free(v.sc.tasks);
	target_release(&v.tg);
	sqlc_close(v.src);
	sqlc_close(v.dst);
	state_txn_abort(v.t);
	if (v.st)
		state_close(v.st);
	mapping_release(&v.map);
	config_release(&v.cfg);
	if (rc)
		return CLI_FAILED;
	return total ? CLI_FAILED : CLI_OK;
}
