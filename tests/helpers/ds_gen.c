/*
 * ds_gen.c - writes a realistic DolphinScheduler 1.3.9 metadata database
 * as SQL text on stdout, deterministic from a seed, for PostgreSQL or
 * MySQL/MariaDB.  Test data for the 1.3 -> 3.2 migration (spec:
 * shared/spec/ds-1.3-to-3.2-mapping.md §3-§6).
 *
 *   ds_gen --dialect postgresql|mysql --projects N --workflows M
 *          [--seed S] [--instances K] [--schema --schema-file PATH]
 *	The initial data, in one transaction.  --schema first copies the
 *	1.3.9 schema file PATH verbatim (ds_gen --schema ... | psql).
 *	Without it the schema, with its seed rows (admin user 1, alert
 *	group 1, queue 1), must be there already.
 *
 *   ds_gen --dialect ... --edits E [--seed S] [--projects N]
 *          [--workflows M] [--instances K] [--edit-seed X] [--rate R]
 *	E edits as a running 1.3 installation writes them, each edit one or
 *	two transactions.  The stream assumes the database holds exactly
 *	the initial data of the same N, M, S and K (the generator rebuilds
 *	that model first, without output) and refers only to rows that
 *	exist at that point of the stream.  X picks another stream over the
 *	same data (default: S).  --rate R: R DML statements per second,
 *	sleeping after each transaction (0, the default: no sleep).
 *
 * Initial data: queues, tenants (one coded "default", spec §3.21),
 * users (the schema's admin updated, some users without a tenant), worker
 * groups, alert groups (2 and up: 2 collides with a 3.2 seed, §3.4) and
 * their members, datasources of every DbType with 1.3 connection_params
 * ("other" as a string), resources (directories, files, jars, UDF jars),
 * UDFs, projects, the five relation tables, M workflows spread over the
 * projects, schedules for about a third of them.  Workflow 1 is a single
 * task, 2 has one task of every 1.3 type, 3 a CONDITIONS block, every
 * id = 7 (mod 40) is a large one (50-200 tasks); the rest are chains,
 * diamonds, fan-outs and random DAGs, mostly SHELL.  SUB_PROCESS tasks
 * point to workflows of a higher random rank (never a cycle), DEPENDENT
 * items to existing workflows and task names (or ALL), also in other
 * projects.  JSON variants of real 1.3 data: both task id forms, "desc"
 * for "description", missing conditionResult, legacy workerGroupId,
 * numeric retries, export key order, tasks not in topological order,
 * pre-1.2 top level without tenantId/timeout.  With K > 0: K top-level
 * process instances (plus the sub-process instances they start) with
 * their task instances (task_json in the master's stringified shape,
 * spec §6.3), mostly finished, a few in flight (submitted, running, ready
 * to stop, waiting for a thread: spec §6.6), alerts, pending commands and
 * an error command.
 *
 * Edits: a script changed, a task added, removed or renamed, an edge
 * changed, workflow properties changed, a workflow created or deleted
 * (offline first), a project renamed, a user added (and granted a
 * project), a schedule created, changed or switched, a workflow released
 * or taken offline, a finished instance written, an instance started
 * (command, then instance) or moved on (tasks finish, the next start, the
 * run ends).  Each edit is preceded by a "-- edit N: KIND" comment.
 *
 * Same arguments, same bytes: no clock, no rand(); timestamps derive from
 * the seed.  Explicit ids everywhere; on PostgreSQL every sequence is set
 * past the ids used (SELECT setval, also after each edit that inserts),
 * so a 1.3 application can insert more; psql prints those values.  The
 * initial data ends with "-- ds_gen rows TABLE=N" lines (rows each table
 * holds afterwards, seed rows included) and "-- ds_gen tasks=N", an edit
 * stream with "-- ds_gen edits=E statements=S".
 *
 * Exit codes: 0 ok, 1 I/O error, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ferry/buf.h"
#include "ferry/err.h"
#include "ferry/mem.h"
#include "ds_gen_words.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[rnd((r), (int)N_OF(a))])

/* An internal invariant broke: a bug in this program, not bad input. */
static void bug(const char *what) __attribute__((noreturn));
static void bug(const char *what)
{
	fprintf(stderr, "ds_gen: internal error: %s\n", what);
	abort();
}

/* ------------------------------------------------------------------ rng */

/* splitmix64; one independent stream per purpose and object, so that the
 * workflows of a seed do not change when, say, --instances does */
struct rng {
	uint64_t s;
};

enum {
	ST_REF = 1, ST_WF, ST_XREF, ST_SCHED, ST_INST, ST_EDIT, ST_MISC,
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static struct rng rng_for(uint64_t seed, uint64_t stream, uint64_t idx)
{
	struct rng r;

	r.s = mix64(seed ^ mix64(stream * 0x100000001b3ULL + idx * 0x9e37ULL));
	return r;
}

/* 0 <= n' < n, n >= 1 */
static int rnd(struct rng *r, int n)
{
	return (int)(rng_next(r) % (uint64_t)n);
}

static int rnd_in(struct rng *r, int lo, int hi)
{
	return lo + rnd(r, hi - lo + 1);
}

static bool pct(struct rng *r, int p)
{
	return rnd(r, 100) < p;
}

static double rnd_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* index by weights w[0..n) (sum > 0) */
static int rnd_w(struct rng *r, const int *w, int n)
{
	int sum = 0, i, x;

	for (i = 0; i < n; i++)
		sum += w[i];
	x = rnd(r, sum);
	for (i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

static void rnd_hex(struct rng *r, char *out, int n)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < n; i++)
		out[i] = hex[rnd(r, 16)];
	out[n] = '\0';
}

/* ----------------------------------------------------------------- time */

#define DAY 86400

/* "YYYY-MM-DD HH:MM:SS" (UTC; the server's zone does not matter here) */
static void ts_fmt(int64_t t, char out[20])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

static void date_fmt(int64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* -------------------------------------------------------------- tables */

enum tab {
	TB_ACCESS_TOKEN, TB_ALERT, TB_ALERTGROUP, TB_COMMAND, TB_DATASOURCE,
	TB_ERROR_COMMAND, TB_PROCESS_DEFINITION, TB_PROCESS_INSTANCE,
	TB_PROJECT, TB_QUEUE, TB_REL_DS_USER, TB_REL_PI, TB_REL_PROJECT_USER,
	TB_REL_RES_USER, TB_REL_UDF_USER, TB_REL_USER_ALERTGROUP, TB_RESOURCES,
	TB_SCHEDULES, TB_SESSION, TB_TASK_INSTANCE, TB_TENANT, TB_UDFS,
	TB_USER, TB_WORKER_GROUP, TB_N
};

static const struct {
	const char *name;
	bool seq;	/* PostgreSQL has <name>_id_sequence */
	int seed_rows;	/* rows the 1.3.9 schema script inserts */
} tabs[TB_N] = {
	[TB_ACCESS_TOKEN] = { "t_ds_access_token", true, 0 },
	[TB_ALERT] = { "t_ds_alert", true, 0 },
	[TB_ALERTGROUP] = { "t_ds_alertgroup", true, 1 },
	[TB_COMMAND] = { "t_ds_command", true, 0 },
	[TB_DATASOURCE] = { "t_ds_datasource", true, 0 },
	[TB_ERROR_COMMAND] = { "t_ds_error_command", false, 0 },
	[TB_PROCESS_DEFINITION] = { "t_ds_process_definition", true, 0 },
	[TB_PROCESS_INSTANCE] = { "t_ds_process_instance", true, 0 },
	[TB_PROJECT] = { "t_ds_project", true, 0 },
	[TB_QUEUE] = { "t_ds_queue", true, 1 },
	[TB_REL_DS_USER] = { "t_ds_relation_datasource_user", true, 0 },
	[TB_REL_PI] = { "t_ds_relation_process_instance", true, 0 },
	[TB_REL_PROJECT_USER] = { "t_ds_relation_project_user", true, 0 },
	[TB_REL_RES_USER] = { "t_ds_relation_resources_user", true, 0 },
	[TB_REL_UDF_USER] = { "t_ds_relation_udfs_user", true, 0 },
	[TB_REL_USER_ALERTGROUP] = { "t_ds_relation_user_alertgroup", true, 1 },
	[TB_RESOURCES] = { "t_ds_resources", true, 0 },
	[TB_SCHEDULES] = { "t_ds_schedules", true, 0 },
	[TB_SESSION] = { "t_ds_session", false, 0 },
	[TB_TASK_INSTANCE] = { "t_ds_task_instance", true, 0 },
	[TB_TENANT] = { "t_ds_tenant", true, 0 },
	[TB_UDFS] = { "t_ds_udfs", true, 0 },
	[TB_USER] = { "t_ds_user", true, 1 },
	[TB_WORKER_GROUP] = { "t_ds_worker_group", true, 0 },
};

/* column lists, in the order of the 1.3.9 DDL */
#define C_PI "id,name,process_definition_id,state,recovery,start_time," \
	"end_time,run_times,host,command_type,command_param," \
	"task_depend_type,max_try_times,failure_strategy,warning_type," \
	"warning_group_id,schedule_time,command_start_time,global_params," \
	"process_instance_json,flag,update_time,is_sub_process,executor_id," \
	"locations,connects,history_cmd,dependence_schedule_times," \
	"process_instance_priority,worker_group,timeout,tenant_id"
#define C_TI "id,name,task_type,process_definition_id,process_instance_id," \
	"task_json,state,submit_time,start_time,end_time,host,execute_path," \
	"log_path,alert_flag,retry_times,pid,app_link,flag,retry_interval," \
	"max_retry_times,task_instance_priority,worker_group,executor_id"
#define C_PD "id,name,version,release_state,project_id,user_id," \
	"process_definition_json,description,global_params,flag,locations," \
	"connects,receivers,receivers_cc,create_time,timeout,tenant_id," \
	"update_time,modify_by,resource_ids"
#define C_SCHED "id,process_definition_id,start_time,end_time,crontab," \
	"failure_strategy,user_id,release_state,warning_type," \
	"warning_group_id,process_instance_priority,worker_group," \
	"create_time,update_time"
#define C_USER "id,user_name,user_password,user_type,email,phone," \
	"tenant_id,create_time,update_time,queue"
#define C_REL_PU "id,user_id,project_id,perm,create_time,update_time"
#define C_CMD "id,command_type,process_definition_id,command_param," \
	"task_depend_type,failure_strategy,warning_type,warning_group_id," \
	"schedule_time,start_time,executor_id,dependence,update_time," \
	"process_instance_priority,worker_group"
#define C_REL_PI "id,parent_process_instance_id,parent_task_instance_id," \
	"process_instance_id"

/* ------------------------------------------------------------ output */

/*
 * Statements are built in `b` and written whole.  Rows of one table that
 * follow each other become one multi-row INSERT (up to ROWS_MAX rows or
 * STMT_MAX bytes).  With `f` NULL nothing is built or written: edits mode
 * replays the initial data that way to rebuild its model.
 */
#define ROWS_MAX 400
#define STMT_MAX (1u << 20)

struct out {
	FILE *f;
	bool my;		/* MySQL/MariaDB dialect */
	struct buf b;
	int tab;		/* table of the open INSERT, -1 none */
	int rows;		/* rows in it */
	int ncols;		/* its columns */
	int col;		/* values in the current row */
	long stmts;		/* DML statements written */
	long txn_stmts;		/* ... in the current transaction */
	long cnt[TB_N];		/* rows inserted per table */
	long maxid[TB_N];	/* highest id inserted per table */
	bool dirty[TB_N];	/* ids written since the last setval */
};

static void o_puts(struct out *o, const char *s)
{
	if (o->f && buf_puts(&o->b, s))
		bug("statement buffer full");
}

static void o_putn(struct out *o, const char *s, size_t n)
{
	if (o->f && buf_append(&o->b, s, n))
		bug("statement buffer full");
}

static void o_printf(struct out *o, const char *fmt, ...) FERRY_PRINTF(2, 3);
static void o_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (!o->f)
		return;
	va_start(ap, fmt);
	rc = buf_vprintf(&o->b, fmt, ap);
	va_end(ap);
	if (rc)
		bug("statement buffer full");
}

static void o_write(struct out *o)
{
	if (!o->f)
		return;
	if (o->b.len)
		fwrite(o->b.data, 1, o->b.len, o->f);
	buf_reset(&o->b);
}

static void o_close_insert(struct out *o)
{
	if (o->tab < 0)
		return;
	o_puts(o, ";\n");
	o_write(o);
	o->tab = -1;
	o->stmts++;
	o->txn_stmts++;
}

/* start a statement that is not a row of an INSERT */
static void o_stmt(struct out *o)
{
	o_close_insert(o);
}

static void o_stmt_end(struct out *o)
{
	o_puts(o, ";\n");
	o_write(o);
	o->stmts++;
	o->txn_stmts++;
}

/* a comment or session statement, not counted */
static void o_line(struct out *o, const char *fmt, ...) FERRY_PRINTF(2, 3);
static void o_line(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int rc;

	o_close_insert(o);
	if (!o->f)
		return;
	va_start(ap, fmt);
	rc = buf_vprintf(&o->b, fmt, ap);
	va_end(ap);
	if (rc || buf_putc(&o->b, '\n'))
		bug("statement buffer full");
	o_write(o);
}

static void o_lit(struct out *o, const char *s)
{
	const char *p;

	if (!o->f)
		return;
	if (!s) {
		o_puts(o, "NULL");
		return;
	}
	o_putn(o, "'", 1);
	for (p = s; *p;) {
		size_t n = strcspn(p, o->my ? "'\\" : "'");

		o_putn(o, p, n);
		p += n;
		if (*p == '\'')
			o_putn(o, "''", 2);
		else if (*p == '\\')
			o_putn(o, "\\\\", 2);
		else
			break;
		p++;
	}
	o_putn(o, "'", 1);
}

static void o_ts(struct out *o, int64_t t)
{
	char s[20];

	if (!o->f)
		return;
	if (t <= 0) {
		o_puts(o, "NULL");
		return;
	}
	ts_fmt(t, s);
	o_printf(o, "'%s'", s);
}

/* a column list, backquoted for MySQL (t_ds_udfs has a column `database`) */
static void o_cols(struct out *o, const char *cols, int *n)
{
	const char *p = cols;

	*n = 0;
	while (*p) {
		size_t len = strcspn(p, ",");

		if (*n)
			o_puts(o, ",");
		if (o->my)
			o_putn(o, "`", 1);
		o_putn(o, p, len);
		if (o->my)
			o_putn(o, "`", 1);
		(*n)++;
		p += len;
		if (*p == ',')
			p++;
	}
}

static void row(struct out *o, enum tab tb, const char *cols)
{
	o->cnt[tb]++;
	if (!o->f)
		return;
	if (o->tab == (int)tb && o->rows < ROWS_MAX && o->b.len < STMT_MAX) {
		o_puts(o, ",\n(");
	} else {
		o_close_insert(o);
		o_printf(o, "INSERT INTO %s (", tabs[tb].name);
		o_cols(o, cols, &o->ncols);
		o_puts(o, ") VALUES\n(");
		o->tab = (int)tb;
		o->rows = 0;
	}
	o->rows++;
	o->col = 0;
}

static void v_sep(struct out *o)
{
	if (o->col++)
		o_putn(o, ",", 1);
}

static void v_int(struct out *o, long long v)
{
	if (!o->f)
		return;
	v_sep(o);
	o_printf(o, "%lld", v);
}

static void v_id(struct out *o, enum tab tb, long long v)
{
	if (v > o->maxid[tb])
		o->maxid[tb] = v;
	o->dirty[tb] = true;
	v_int(o, v);
}

static void v_str(struct out *o, const char *s)
{
	if (!o->f)
		return;
	v_sep(o);
	o_lit(o, s);
}

static void v_null(struct out *o)
{
	v_str(o, NULL);
}

static void v_ts(struct out *o, int64_t t)
{
	if (!o->f)
		return;
	v_sep(o);
	o_ts(o, t);
}

static void row_end(struct out *o)
{
	if (!o->f)
		return;
	if (o->col != o->ncols)
		bug("row has the wrong number of values");
	o_putn(o, ")", 1);
}

/* ------------------------------------------------------------- jansson */

static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);

	if (!j)
		bug("string is not UTF-8");
	return j;
}

static json_t *jint(long long v)
{
	json_t *j = json_integer(v);

	if (!j)
		bug("out of memory");
	return j;
}

static json_t *jobj(void)
{
	json_t *j = json_object();

	if (!j)
		bug("out of memory");
	return j;
}

static json_t *jarr(void)
{
	json_t *j = json_array();

	if (!j)
		bug("out of memory");
	return j;
}

static void jset(json_t *o, const char *k, json_t *v)
{
	if (!v || json_object_set_new(o, k, v))
		bug("json_object_set_new");
}

static void jpush(json_t *a, json_t *v)
{
	if (!v || json_array_append_new(a, v))
		bug("json_array_append_new");
}

/* compact text, keys in insertion order; free() it */
static char *jdump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
			     JSON_ENCODE_ANY);

	if (!s)
		bug("json_dumps");
	return s;
}

/* ---------------------------------------------------------------- model */

enum tt {
	TT_SHELL, TT_SQL, TT_PYTHON, TT_SUB_PROCESS, TT_DEPENDENT,
	TT_CONDITIONS, TT_SPARK, TT_FLINK, TT_MR, TT_HTTP, TT_DATAX, TT_SQOOP,
	TT_PROCEDURE, TT_N
};

static const char *const tt_name[TT_N] = {
	"SHELL", "SQL", "PYTHON", "SUB_PROCESS", "DEPENDENT", "CONDITIONS",
	"SPARK", "FLINK", "MR", "HTTP", "DATAX", "SQOOP", "PROCEDURE",
};

/* DbType codes 0..7 (spec §9) */
enum dbt {
	DB_MYSQL, DB_POSTGRESQL, DB_HIVE, DB_SPARK, DB_CLICKHOUSE, DB_ORACLE,
	DB_SQLSERVER, DB_DB2, DB_N
};

static const char *const db_name[DB_N] = {
	"MYSQL", "POSTGRESQL", "HIVE", "SPARK", "CLICKHOUSE", "ORACLE",
	"SQLSERVER", "DB2",
};

static const char *const prio_name[] = {
	"HIGHEST", "HIGH", "MEDIUM", "LOW", "LOWEST",
};

static const char *const wg_names[] = {
	"etl_workers", "gpu", "spark_gateway",
};

/* 1.3 ExecutionStatus */
enum {
	ST_SUBMITTED = 0, ST_RUNNING = 1, ST_READY_PAUSE = 2, ST_PAUSE = 3,
	ST_READY_STOP = 4, ST_STOP = 5, ST_FAILURE = 6, ST_SUCCESS = 7,
	ST_KILL = 9, ST_WAITING_THREAD = 10,
};

struct user {
	char name[32];
	int tenant;		/* 0 = none (as the 1.3 admin seed) */
	int type;		/* 0 admin, 1 general */
};

struct dsrc {
	int type;		/* enum dbt */
	char name[48];
};

enum rkind { RK_DIR, RK_SH, RK_PY, RK_JAR, RK_CONF, RK_UDFDIR, RK_UDFJAR };

struct res {
	const char *full;	/* full_name, from res_spec */
	enum rkind kind;
	int pid;		/* parent id, -1 at the root */
	int user;
};

struct udf {
	int type;		/* 0 HIVE, 1 SPARK */
	int res;		/* t_ds_resources id of the jar */
};

struct project {
	char name[100];
	int64_t created;
	int user;
	int members[6];		/* user ids with access, owner first */
	int nmembers;
};

enum { DK_DESCRIPTION, DK_DESC, DK_NONE };

struct task {
	char id[24];		/* "tasks-12345" or "tasks-6-3ug5ej" */
	char *name;
	enum tt type;
	int *pre;		/* indices of predecessors, all < own index */
	int npre;
	size_t cappre;
	bool gone;		/* removed by an edit */
	uint32_t ord;		/* display order of shuffled workflows */
	json_t *params;		/* static params; NULL for SUB_PROCESS,
				   DEPENDENT, CONDITIONS (built on output) */
	int sub;		/* SUB_PROCESS target workflow id */
	json_t *dep;		/* DEPENDENT "dependence" */
	int cdep;		/* CONDITIONS: task it depends on, or -1 */
	bool cdep_fail;		/*   ... with status FAILURE */
	int csucc, cfail;	/* CONDITIONS branches, task index or -1 */
	char *desc;
	unsigned char desc_key;	/* DK_* */
	bool forbidden;
	unsigned char prio;	/* 0 HIGHEST .. 4 LOWEST */
	int wg;			/* -1 "default", else wg_names index */
	int retries, retry_iv;
	unsigned char to_kind;	/* 0 full, 1 no interval */
	unsigned char to_strategy; /* 0 "", 1 WARN, 2 FAILED, 3 WARNFAILED */
	int to_interval;
	bool to_enable;
	int x, y;
};

struct wf {
	int id, project, user;
	bool alive;
	bool large;
	char *name, *desc;
	int release;		/* 0 offline, 1 online */
	int tenant;		/* JSON tenantId = column tenant_id */
	int timeout;
	int version_col;	/* t_ds_process_definition.version, -1 NULL */
	struct task *t;
	int nt;
	size_t capt;
	json_t *gparams;	/* globalParams */
	unsigned char key_style;	/* 0 1.3.9 UI order, 1 export order */
	unsigned char top_style;	/* 0 UI, 1 tenantId first, 2 pre-1.2 */
	bool shuffled;		/* tasks[] not in topological order */
	bool legacy_wg;		/* "workerGroupId", no "workerGroup" */
	bool numeric_retry;	/* maxRetryTimes as numbers */
	bool no_cond;		/* no conditionResult on plain tasks */
	bool no_nodenumber;	/* locations without "nodenumber" */
	bool desc_key_all;	/* "desc" instead of "description" */
	unsigned char id_style;	/* 0 tasks-N, 1 tasks-N-xxxxx, 2 mixed */
	int idn;		/* the N of tasks-N-xxxxxx */
	char *receivers, *receivers_cc;
	char modify_by[32];
	int64_t created, updated;
	double rank;		/* SUB_PROCESS points to higher ranks */
	int sched;		/* schedule id, 0 none */
	int nlive;		/* in-flight instances */
	long treesize;		/* process instances per run, 0 unknown */
	/* output caches, dropped by wf_touch() */
	char *c_json, *c_loc, *c_conn, *c_gp;
	char **c_tjson;		/* per task index */
	size_t c_ntjson;
};

struct sched {
	int wf;
	bool alive;
	int release;
	const char *cron;
	int fs, warn, wgroup_alert, prio, user;
	int wg;			/* -1 default */
	int64_t start, end, created, updated;
};

struct failed_pi {
	int pi, wf, alertgroup;
	int64_t start, end;
};

/* one planned task instance of a process instance */
struct pe {
	int task;		/* index in the workflow */
	int state;		/* final state; -1 not created (yet) */
	int64_t submit, start, end;	/* end 0: still running */
	int retry;
	int ti;			/* task instance id once written */
	struct plan *child;	/* SUB_PROCESS */
	/* snapshot of the task when the instance started */
	char *name, *tjson;
	enum tt type;
	int retries, retry_iv, prio, wg;
};

struct plan {
	struct wf *w;
	int state;
	int64_t start, end;	/* end 0: running */
	struct pe *e;
	int n;
	size_t cap;
	int pi;			/* process instance id once written */
};

/* an in-flight process instance that edits move on */
struct live {
	struct plan *p;
	int executor;
	int64_t clock;
};

struct gen {
	struct out o;
	uint64_t seed;
	int nproj_arg, nwf_arg, ninst_arg;
	int64_t t_base, t_now, clock;

	struct user *users;	/* index = id - 1 */
	int nusers;
	size_t capusers;
	int ntenants, nqueues, nalertgroups;
	struct dsrc *ds;	/* index = id - 1 */
	int nds;
	struct res *res;
	int nres;
	struct udf *udfs;
	int nudfs;
	struct project *proj;
	int nproj;
	struct wf **wf;		/* index = id - 1 */
	int nwf;
	size_t capwf;
	struct sched *sch;	/* index = id - 1 */
	int nsch;
	size_t capsch;
	struct live *live;
	int nlive;
	size_t caplive;

	/* next free ids */
	int id_pi, id_ti, id_rel_pi, id_cmd, id_alert, id_rel_pu;

	long ntasks_initial;
	int top_instances;
	struct failed_pi *failed;	/* for t_ds_alert rows */
	int nfailed;
	size_t capfailed;
	double rate;		/* edits: DML statements per second */
	char note[64];		/* comment for the next transaction */
};

/* ------------------------------------------------------- small helpers */

static char *xsprintf(const char *fmt, ...) FERRY_PRINTF(1, 2);
static char *xsprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		bug("vsnprintf");
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static struct wf *wf_get(struct gen *g, int id)
{
	if (id < 1 || id > g->nwf)
		bug("no such workflow");
	return g->wf[id - 1];
}

static struct user *user_get(struct gen *g, int id)
{
	if (id < 1 || id > g->nusers)
		bug("no such user");
	return &g->users[id - 1];
}

static int64_t tick(struct gen *g, struct rng *r, int lo, int hi)
{
	g->clock += rnd_in(r, lo, hi);
	return g->clock;
}

/* ------------------------------------------------------ reference data */

static const struct {
	const char *full;
	enum rkind kind;
	int parent;		/* index + 1 in this table, 0 = root */
} res_spec[] = {
	{ "/scripts", RK_DIR, 0 },
	{ "/scripts/etl_common.sh", RK_SH, 1 },
	{ "/scripts/load_partition.sh", RK_SH, 1 },
	{ "/scripts/check_done.py", RK_PY, 1 },
	{ "/scripts/notify.py", RK_PY, 1 },
	{ "/jars", RK_DIR, 0 },
	{ "/jars/spark-etl-2.3.1.jar", RK_JAR, 6 },
	{ "/jars/flink-stream-1.0.jar", RK_JAR, 6 },
	{ "/jars/hadoop-mapreduce-examples-2.7.3.jar", RK_JAR, 6 },
	{ "/jars/commons-pool2-2.4.2.jar", RK_JAR, 6 },
	{ "/jars/feature-builder-0.9.jar", RK_JAR, 6 },
	{ "/conf", RK_DIR, 0 },
	{ "/conf/etl.properties", RK_CONF, 12 },
	{ "/conf/hive-site.xml", RK_CONF, 12 },
	{ "/run.sh", RK_SH, 0 },
	{ "/wordcount.py", RK_PY, 0 },
	{ "/udf", RK_UDFDIR, 0 },
	{ "/udf/hive-udf-utils-1.0.jar", RK_UDFJAR, 17 },
	{ "/udf/spark-udf-geo-0.3.jar", RK_UDFJAR, 17 },
	{ "/udf/brickhouse-0.7.1.jar", RK_UDFJAR, 17 },
	{ "/数据字典.csv", RK_CONF, 0 },
};

static const struct {
	const char *func, *cls, *args;
	int type, jar;		/* jar: res_spec index + 1 */
} udf_spec[] = {
	{ "str_md5", "com.example.udf.StrMd5", "String", 0, 18 },
	{ "ip2region", "com.example.udf.Ip2Region", "String", 0, 18 },
	{ "mask_phone", "com.example.udf.MaskPhone", "String", 0, 18 },
	{ "json_path", "brickhouse.udf.json.JsonExtractUDF", "String,String",
	  0, 20 },
	{ "geo_distance", "com.example.spark.GeoDistance",
	  "Double,Double,Double,Double", 1, 19 },
	{ "to_pinyin", "com.example.spark.ToPinyin", "String", 1, 19 },
};

static const char *const alertgroup_names[] = {
	"ops alerts", "etl oncall", "risk team", "bi reports", "ml alerts",
	"finance alerts",
};

/* a user that may own things: has a tenant */
static int pick_tenant_user(struct gen *g, struct rng *r)
{
	for (int i = 0; i < 50; i++) {
		int id = rnd_in(r, 2, g->nusers);

		if (g->users[id - 1].tenant)
			return id;
	}
	return 2;
}

static void gen_queues_tenants(struct gen *g, struct rng *r)
{
	static const char *const q[][2] = {
		{ "etl", "root.etl" }, { "adhoc", "root.adhoc" },
		{ "ml", "root.ml.gpu" },
	};
	struct out *o = &g->o;
	int64_t t = g->t_base + 3600;

	g->nqueues = 1 + (int)N_OF(q);
	for (int i = 0; i < (int)N_OF(q); i++) {
		row(o, TB_QUEUE, "id,queue_name,queue,create_time,update_time");
		v_id(o, TB_QUEUE, i + 2);
		v_str(o, q[i][0]);
		v_str(o, q[i][1]);
		v_ts(o, t + i * 60);
		v_ts(o, t + i * 60);
		row_end(o);
	}
	g->ntenants = 4 + g->nproj_arg / 2;
	if (g->ntenants > (int)N_OF(dsw_tenants))
		g->ntenants = (int)N_OF(dsw_tenants);
	for (int i = 0; i < g->ntenants; i++) {
		char desc[80];

		snprintf(desc, sizeof(desc), "tenant %s", dsw_tenants[i]);
		row(o, TB_TENANT, "id,tenant_code,tenant_name,description,"
		    "queue_id,create_time,update_time");
		v_id(o, TB_TENANT, i + 1);
		v_str(o, dsw_tenants[i]);
		v_str(o, dsw_tenant_names[i]);
		v_str(o, pct(r, 80) ? desc : "");
		v_int(o, rnd_in(r, 1, g->nqueues));
		v_ts(o, t + 600 + i * 120);
		v_ts(o, t + 600 + i * 120 + rnd(r, 5 * DAY));
		row_end(o);
	}
}

static void user_row(struct gen *g, struct rng *r, int id, int64_t t,
		     int64_t updated)
{
	struct out *o = &g->o;
	struct user *u = user_get(g, id);
	char pw[33], email[64], phone[32];
	static const char *const queues[] = { "", "", "", "root.etl",
					      "root.adhoc" };

	rnd_hex(r, pw, 32);
	snprintf(email, sizeof(email), "%s@example.com", u->name);
	/* 11 digits: t_ds_user.phone is varchar(11) */
	snprintf(phone, sizeof(phone), "1%02d%08d", rnd_in(r, 30, 89),
		 rnd(r, 100000000));
	row(o, TB_USER, C_USER);
	v_id(o, TB_USER, id);
	v_str(o, u->name);
	v_str(o, pw);
	v_int(o, u->type);
	v_str(o, email);
	if (pct(r, 20))
		v_str(o, pct(r, 50) ? "" : NULL);
	else
		v_str(o, phone);
	v_int(o, u->tenant);
	v_ts(o, t);
	v_ts(o, updated);
	v_str(o, PICK(r, queues));
	row_end(o);
}

static void gen_users(struct gen *g, struct rng *r)
{
	struct out *o = &g->o;
	int n = 6 + 2 * g->nproj_arg;
	int64_t t = g->t_base + 2 * 3600;
	char ts[20];

	if (n > 60)
		n = 60;
	xgrow((void **)&g->users, &g->capusers, (size_t)n, sizeof(*g->users));
	memset(g->users, 0, (size_t)n * sizeof(*g->users));
	/* the admin row of the schema script: update it, tenant stays 0 */
	snprintf(g->users[0].name, sizeof(g->users[0].name), "admin");
	g->users[0].type = 0;
	g->nusers = n;
	for (int id = 2; id <= n; id++) {
		struct user *u = &g->users[id - 1];
		int k = id - 2, np = (int)N_OF(dsw_people);

		if (k < np)
			snprintf(u->name, sizeof(u->name), "%s", dsw_people[k]);
		else
			snprintf(u->name, sizeof(u->name), "%s%d",
				 dsw_people[k % np], k / np + 1);
		u->type = id == 2 ? 0 : 1;
		/* id 3 and about one in eight more have no tenant (0) */
		u->tenant = id == 3 || (id > 4 && pct(r, 12)) ?
			0 : rnd_in(r, 1, g->ntenants);
	}
	ts_fmt(g->t_base + DAY, ts);
	o_stmt(o);
	o_printf(o, "UPDATE t_ds_user SET email = 'admin@example.com', "
		 "phone = '13800000000', queue = '', update_time = '%s' "
		 "WHERE id = 1", ts);
	o_stmt_end(o);
	for (int id = 2; id <= n; id++) {
		int64_t ct = t + id * 3000;

		user_row(g, r, id, ct, ct + rnd(r, 30 * DAY));
	}
}

static void gen_groups(struct gen *g, struct rng *r)
{
	struct out *o = &g->o;
	int64_t t = g->t_base + 4 * 3600;
	int rel = 2;	/* id 1: the schema's admin -> group 1 row */

	for (int i = 0; i < (int)N_OF(wg_names); i++) {
		char addr[80];

		snprintf(addr, sizeof(addr), "%s,%s", dsw_hosts[i * 2 % 6],
			 dsw_hosts[(i * 2 + 1) % 6]);
		row(o, TB_WORKER_GROUP,
		    "id,name,addr_list,create_time,update_time");
		v_id(o, TB_WORKER_GROUP, i + 1);
		v_str(o, wg_names[i]);
		v_str(o, addr);
		v_ts(o, t + i * 77);
		v_ts(o, t + i * 77);
		row_end(o);
	}
	/* id 1 is the schema's; id 2 collides with 3.2's global group */
	g->nalertgroups = 1 + 3 + g->nproj_arg / 5;
	if (g->nalertgroups > 1 + (int)N_OF(alertgroup_names))
		g->nalertgroups = 1 + (int)N_OF(alertgroup_names);
	for (int id = 2; id <= g->nalertgroups; id++) {
		row(o, TB_ALERTGROUP, "id,group_name,group_type,description,"
		    "create_time,update_time");
		v_id(o, TB_ALERTGROUP, id);
		v_str(o, alertgroup_names[id - 2]);
		v_int(o, pct(r, 80) ? 0 : 1);
		v_str(o, alertgroup_names[id - 2]);
		v_ts(o, t + id * 100);
		v_ts(o, t + id * 100);
		row_end(o);
	}
	for (int id = 1; id <= g->nalertgroups; id++) {
		int m = rnd_in(r, 1, 3);

		for (int k = 0; k < m; k++) {
			int u = rnd_in(r, 2, g->nusers);

			if (k && u == rnd_in(r, 2, g->nusers))
				continue;
			row(o, TB_REL_USER_ALERTGROUP, "id,alertgroup_id,"
			    "user_id,create_time,update_time");
			v_id(o, TB_REL_USER_ALERTGROUP, rel++);
			v_int(o, id);
			v_int(o, u);
			v_ts(o, t + 3600 + rel * 10);
			v_ts(o, t + 3600 + rel * 10);
			row_end(o);
		}
	}
}

/* 1.3 connection_params: LinkedHashMap order of DataSourceService */
static char *conn_params(struct rng *r, int type, int id)
{
	static const char *const port[DB_N] = {
		"3306", "5432", "10000", "10015", "8123", "1521", "1433",
		"50000",
	};
	static const char *const scheme[DB_N] = {
		"jdbc:mysql://", "jdbc:postgresql://", "jdbc:hive2://",
		"jdbc:hive2://", "jdbc:clickhouse://", "jdbc:oracle:thin:@//",
		"jdbc:sqlserver://", "jdbc:db2://",
	};
	static const char *const dbs[] = {
		"dw", "ods", "etl", "report", "crm", "orders", "default",
		"risk", "finance", "ORCL",
	};
	json_t *j = jobj();
	char host[40], addr[128], url[192], pw[17];
	const char *db = type == DB_ORACLE ? "ORCL" :
		type == DB_HIVE || type == DB_SPARK ?
		(pct(r, 50) ? "default" : "dw") : PICK(r, dbs);
	bool sid = type == DB_ORACLE && pct(r, 40);
	char *s;

	snprintf(host, sizeof(host), "10.%d.%d.%d", rnd_in(r, 0, 9),
		 rnd_in(r, 0, 255), 10 + id);
	if (sid)
		snprintf(addr, sizeof(addr), "jdbc:oracle:thin:@%s:%s", host,
			 port[type]);
	else
		snprintf(addr, sizeof(addr), "%s%s:%s", scheme[type], host,
			 port[type]);
	if (sid)
		snprintf(url, sizeof(url), "%s:%s", addr, db);
	else if (type == DB_SQLSERVER)
		snprintf(url, sizeof(url), "%s;databaseName=%s", addr, db);
	else
		snprintf(url, sizeof(url), "%s/%s", addr, db);
	if (type == DB_ORACLE)
		jset(j, "connectType", jstr(sid ? "ORACLE_SID" :
					     "ORACLE_SERVICE_NAME"));
	jset(j, "address", jstr(addr));
	jset(j, "database", jstr(db));
	jset(j, "jdbcUrl", jstr(url));
	jset(j, "user", jstr(PICK(r, dsw_people)));
	rnd_hex(r, pw, 12);
	jset(j, "password", jstr(pct(r, 10) ? "" : pw));
	if ((type == DB_HIVE || type == DB_SPARK) && pct(r, 40))
		jset(j, "principal", jstr("hive/_HOST@EXAMPLE.COM"));
	if (pct(r, 65)) {
		/* 1.3 keeps "other" as one string: k=v&k=v, or ;-separated
		 * for Hive, Spark, SQL Server and DB2 (spec §3.6) */
		static const char *const other[DB_N][2] = {
			{ "useUnicode=true&characterEncoding=UTF-8",
			  "useSSL=false&serverTimezone=Asia/Shanghai" },
			{ "sslmode=disable&ApplicationName=dolphinscheduler",
			  "connectTimeout=10" },
			{ "hive.exec.dynamic.partition=true;"
			  "hive.exec.dynamic.partition.mode=nonstrict",
			  "mapreduce.job.queuename=root.etl" },
			{ "spark.sql.shuffle.partitions=200",
			  "hive.server2.proxy.user=etl;"
			  "spark.executor.memory=4g" },
			{ "socket_timeout=300000", "compress=false&ssl=false" },
			{ "oracle.jdbc.timezoneAsRegion=false",
			  "oracle.net.CONNECT_TIMEOUT=10000" },
			{ "encrypt=false;loginTimeout=30",
			  "applicationName=ds;"
			  "sendStringParametersAsUnicode=false" },
			{ "currentSchema=ETL;", "retrieveMessagesFromServer"
			  "OnGetMessage=true;currentSchema=DW;" },
		};

		jset(j, "other", jstr(other[type][rnd(r, 2)]));
	}
	s = jdump(j);
	json_decref(j);
	return s;
}

static void gen_datasources(struct gen *g, struct rng *r)
{
	static const char *const prefix[DB_N] = {
		"mysql", "pg", "hive", "spark", "ck", "oracle", "mssql", "db2",
	};
	static const int more[] = { DB_MYSQL, DB_MYSQL, DB_HIVE, DB_HIVE,
				    DB_POSTGRESQL, DB_SPARK, DB_CLICKHOUSE };
	struct out *o = &g->o;
	int64_t t = g->t_base + 6 * 3600;
	int rel = 1;

	g->nds = 8 + g->nproj_arg;
	if (g->nds > 30)
		g->nds = 30;
	g->ds = xcalloc((size_t)g->nds, sizeof(*g->ds));
	for (int id = 1; id <= g->nds; id++) {
		/* the first eight cover every type; id 1 is MySQL, 2 Hive */
		static const int first[] = { DB_MYSQL, DB_HIVE, DB_POSTGRESQL,
					     DB_SPARK, DB_CLICKHOUSE,
					     DB_ORACLE, DB_SQLSERVER, DB_DB2 };
		struct dsrc *d = &g->ds[id - 1];
		int owner = pick_tenant_user(g, r);
		char *cp;

		d->type = id <= 8 ? first[id - 1] : PICK(r, more);
		snprintf(d->name, sizeof(d->name), "%s_%s%s", prefix[d->type],
			 dsw_domains[(id * 7) % N_OF(dsw_domains)],
			 id > 8 ? "_ro" : "");
		if (id > 8 + (int)N_OF(more))
			snprintf(d->name + strlen(d->name),
				 sizeof(d->name) - strlen(d->name), "_%d", id);
		cp = conn_params(r, d->type, id);
		row(o, TB_DATASOURCE, "id,name,note,type,user_id,"
		    "connection_params,create_time,update_time");
		v_id(o, TB_DATASOURCE, id);
		v_str(o, d->name);
		v_str(o, pct(r, 70) ? "" : "read only replica");
		v_int(o, d->type);
		v_int(o, owner);
		v_str(o, cp);
		v_ts(o, t + id * 1800);
		v_ts(o, t + id * 1800 + rnd(r, 20 * DAY));
		row_end(o);
		free(cp);
		for (int k = rnd(r, 3); k > 0; k--) {
			row(o, TB_REL_DS_USER, "id,user_id,datasource_id,perm,"
			    "create_time,update_time");
			v_id(o, TB_REL_DS_USER, rel++);
			v_int(o, rnd_in(r, 2, g->nusers));
			v_int(o, id);
			v_int(o, 7);
			v_ts(o, t + id * 1800 + DAY);
			v_ts(o, t + id * 1800 + DAY);
			row_end(o);
		}
	}
}

static void gen_resources(struct gen *g, struct rng *r)
{
	struct out *o = &g->o;
	int64_t t = g->t_base + 9 * 3600;
	int rel = 1;

	g->nres = (int)N_OF(res_spec);
	g->res = xcalloc((size_t)g->nres, sizeof(*g->res));
	for (int id = 1; id <= g->nres; id++) {
		struct res *x = &g->res[id - 1];
		const char *base;
		bool dir, udf;

		x->full = res_spec[id - 1].full;
		x->kind = res_spec[id - 1].kind;
		x->pid = res_spec[id - 1].parent ? res_spec[id - 1].parent : -1;
		x->user = pick_tenant_user(g, r);
		base = strrchr(x->full, '/') + 1;
		dir = x->kind == RK_DIR || x->kind == RK_UDFDIR;
		udf = x->kind == RK_UDFDIR || x->kind == RK_UDFJAR;
		row(o, TB_RESOURCES, "id,alias,file_name,description,user_id,"
		    "type,size,create_time,update_time,pid,full_name,"
		    "is_directory");
		v_id(o, TB_RESOURCES, id);
		v_str(o, base);
		v_str(o, base);
		v_str(o, pct(r, 60) ? "" : "uploaded by the etl team");
		v_int(o, x->user);
		v_int(o, udf ? 1 : 0);
		v_int(o, dir ? 0 : rnd_in(r, 200, 40000000));
		v_ts(o, t + id * 900);
		v_ts(o, t + id * 900 + rnd(r, 40 * DAY));
		v_int(o, x->pid);
		v_str(o, x->full);
		v_int(o, dir ? 1 : 0);
		row_end(o);
		if (dir)
			continue;
		for (int k = rnd(r, 3); k > 0; k--) {
			row(o, TB_REL_RES_USER, "id,user_id,resources_id,perm,"
			    "create_time,update_time");
			v_id(o, TB_REL_RES_USER, rel++);
			v_int(o, rnd_in(r, 2, g->nusers));
			v_int(o, id);
			v_int(o, pct(r, 70) ? 7 : 4);
			v_ts(o, t + id * 900 + DAY);
			v_ts(o, t + id * 900 + DAY);
			row_end(o);
		}
	}
	g->nudfs = (int)N_OF(udf_spec);
	g->udfs = xcalloc((size_t)g->nudfs, sizeof(*g->udfs));
	rel = 1;
	for (int id = 1; id <= g->nudfs; id++) {
		int jar = udf_spec[id - 1].jar;

		g->udfs[id - 1].type = udf_spec[id - 1].type;
		g->udfs[id - 1].res = jar;
		row(o, TB_UDFS, "id,user_id,func_name,class_name,type,"
		    "arg_types,database,description,resource_id,resource_name,"
		    "create_time,update_time");
		v_id(o, TB_UDFS, id);
		v_int(o, g->res[jar - 1].user);
		v_str(o, udf_spec[id - 1].func);
		v_str(o, udf_spec[id - 1].cls);
		v_int(o, udf_spec[id - 1].type);
		v_str(o, udf_spec[id - 1].args);
		v_str(o, pct(r, 30) ? NULL : pct(r, 50) ? "default" : "dw");
		v_str(o, pct(r, 50) ? "" : udf_spec[id - 1].func);
		v_int(o, jar);
		v_str(o, g->res[jar - 1].full);
		v_ts(o, t + 30 * DAY + id * 600);
		v_ts(o, t + 30 * DAY + id * 600);
		row_end(o);
		for (int k = rnd(r, 3); k > 0; k--) {
			row(o, TB_REL_UDF_USER, "id,user_id,udf_id,perm,"
			    "create_time,update_time");
			v_id(o, TB_REL_UDF_USER, rel++);
			v_int(o, rnd_in(r, 2, g->nusers));
			v_int(o, id);
			v_int(o, 7);
			v_ts(o, t + 31 * DAY);
			v_ts(o, t + 31 * DAY);
			row_end(o);
		}
	}
}

static bool project_name_taken(struct gen *g, const char *name, int except)
{
	for (int i = 0; i < g->nproj; i++)
		if (i + 1 != except && !strcmp(g->proj[i].name, name))
			return true;
	return false;
}

static void rel_project_user(struct gen *g, int user, int project,
			     int64_t t)
{
	struct out *o = &g->o;

	row(o, TB_REL_PROJECT_USER, C_REL_PU);
	v_id(o, TB_REL_PROJECT_USER, g->id_rel_pu++);
	v_int(o, user);
	v_int(o, project);
	v_int(o, 7);
	v_ts(o, t);
	v_ts(o, t);
	row_end(o);
}

static void gen_projects(struct gen *g, struct rng *r)
{
	struct out *o = &g->o;
	int64_t t = g->t_base + 2 * DAY;

	g->nproj = g->nproj_arg;
	g->proj = xcalloc((size_t)g->nproj, sizeof(*g->proj));
	g->id_rel_pu = 1;
	for (int id = 1; id <= g->nproj; id++) {
		struct project *p = &g->proj[id - 1];
		int np = (int)N_OF(dsw_projects);
		char desc[200];
		int64_t ct = t + (id - 1) * 3 * DAY / (1 + g->nproj / 40) +
			rnd(r, DAY);

		if (id == 4)
			snprintf(p->name, sizeof(p->name), "经营分析");
		else if (id - 1 < np)
			snprintf(p->name, sizeof(p->name), "%s",
				 dsw_projects[id - 1]);
		else
			snprintf(p->name, sizeof(p->name), "%s_%d",
				 dsw_projects[(id - 1) % np],
				 (id - 1) / np + 1);
		p->created = ct;
		p->user = id == 1 ? 1 : pick_tenant_user(g, r);
		p->members[p->nmembers++] = p->user;
		snprintf(desc, sizeof(desc), "%s jobs owned by %s", p->name,
			 user_get(g, p->user)->name);
		row(o, TB_PROJECT, "id,name,description,user_id,flag,"
		    "create_time,update_time");
		v_id(o, TB_PROJECT, id);
		v_str(o, p->name);
		v_str(o, pct(r, 75) ? desc : "");
		v_int(o, p->user);
		v_int(o, 1);
		v_ts(o, ct);
		v_ts(o, ct + rnd(r, 10 * DAY));
		row_end(o);
		for (int k = rnd_in(r, 1, 4); k > 0; k--) {
			int u = rnd_in(r, 2, g->nusers);
			bool dup = false;

			for (int m = 0; m < p->nmembers; m++)
				dup |= p->members[m] == u;
			if (dup || p->nmembers == (int)N_OF(p->members))
				continue;
			p->members[p->nmembers++] = u;
			rel_project_user(g, u, id, ct + DAY + k * 60);
		}
	}
}

/* ------------------------------------------------------------ workflows */

static void wf_touch(struct wf *w)
{
	free(w->c_json);
	free(w->c_loc);
	free(w->c_conn);
	free(w->c_gp);
	w->c_json = w->c_loc = w->c_conn = w->c_gp = NULL;
	for (size_t i = 0; i < w->c_ntjson; i++) {
		free(w->c_tjson[i]);
		w->c_tjson[i] = NULL;
	}
}

static bool task_name_taken(const struct wf *w, const char *name)
{
	for (int i = 0; i < w->nt; i++)
		if (!w->t[i].gone && !strcmp(w->t[i].name, name))
			return true;
	return false;
}

static bool task_id_taken(const struct wf *w, const char *id)
{
	for (int i = 0; i < w->nt; i++)
		if (!strcmp(w->t[i].id, id))
			return true;
	return false;
}

/* a name not used by a live task of `w`: base, base_2, base_3... */
static char *task_name_unique(const struct wf *w, const char *base)
{
	char *s = xstrdup(base);

	for (int n = 2; task_name_taken(w, s); n++) {
		free(s);
		s = xsprintf("%s_%d", base, n);
	}
	return s;
}

static void task_name_base(struct rng *r, const struct wf *w, enum tt type,
			   char *out, size_t size)
{
	const char *dom = PICK(r, dsw_domains), *ent = PICK(r, dsw_entities);

	if (pct(r, 3) && type != TT_CONDITIONS) {
		snprintf(out, size, "%s", PICK(r, dsw_cjk));
		return;
	}
	switch (type) {
	case TT_SQL:
		if (w->large || pct(r, 50))
			snprintf(out, size, "%s_%s_%s", PICK(r, dsw_layers),
				 dom, ent);
		else
			snprintf(out, size, "%s_sql_%s", dom, ent);
		break;
	case TT_PYTHON:
		snprintf(out, size, "py_%s_%s", PICK(r, dsw_verbs), ent);
		break;
	case TT_SUB_PROCESS:
		snprintf(out, size, "sub_%s_flow", dom);
		break;
	case TT_DEPENDENT:
		snprintf(out, size, "wait_%s_%s", dom, ent);
		break;
	case TT_CONDITIONS:
		snprintf(out, size, "conditions_%s", PICK(r, dsw_verbs));
		break;
	case TT_SPARK:
		snprintf(out, size, "spark_%s_%s", dom, ent);
		break;
	case TT_FLINK:
		snprintf(out, size, "flink_%s_stream", dom);
		break;
	case TT_MR:
		snprintf(out, size, "mr_%s_%s", PICK(r, dsw_verbs), dom);
		break;
	case TT_HTTP:
		snprintf(out, size, "http_%s_%s", PICK(r, dsw_verbs), dom);
		break;
	case TT_DATAX:
		snprintf(out, size, "datax_%s", PICK(r, dsw_tables));
		break;
	case TT_SQOOP:
		snprintf(out, size, "sqoop_%s_%s", PICK(r, dsw_tables),
			 pct(r, 70) ? "import" : "export");
		break;
	case TT_PROCEDURE:
		snprintf(out, size, "proc_%s_%s", dom, ent);
		break;
	default:
		if (w->large)
			snprintf(out, size, "%s_%s_%s", PICK(r, dsw_layers),
				 dom, ent);
		else
			snprintf(out, size, "%s_%s", PICK(r, dsw_verbs), dom);
		break;
	}
}

static void task_new_id(struct rng *r, struct wf *w, char *out, size_t size)
{
	static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

	do {
		bool dashed = w->id_style == 1 ||
			(w->id_style == 2 && pct(r, 40));

		if (dashed) {
			char tail[8];
			int n = rnd_in(r, 5, 6);

			for (int i = 0; i < n; i++)
				tail[i] = b36[rnd(r, 36)];
			tail[n] = '\0';
			snprintf(out, size, "tasks-%d-%s", w->idn, tail);
		} else {
			snprintf(out, size, "tasks-%d", rnd_in(r, 1, 99999));
		}
	} while (task_id_taken(w, out));
}

static json_t *prop(const char *name, const char *direct, const char *type,
		    const char *value)
{
	json_t *p = jobj();

	jset(p, "prop", jstr(name));
	jset(p, "direct", jstr(direct));
	jset(p, "type", jstr(type));
	jset(p, "value", jstr(value));
	return p;
}

static json_t *local_params(struct rng *r, int pctn)
{
	json_t *a = jarr();

	if (!pct(r, pctn))
		return a;
	switch (rnd(r, 4)) {
	case 0:
		jpush(a, prop("dt", "IN", "VARCHAR", "${system.biz.date}"));
		break;
	case 1:
		jpush(a, prop("shell_arg0", "IN", "VARCHAR", "arg0"));
		jpush(a, prop("batch", "IN", "INTEGER", "500"));
		break;
	case 2:
		jpush(a, prop("dt", "IN", "VARCHAR",
			      "$[yyyy-MM-dd-1]"));
		jpush(a, prop("row_count", "OUT", "INTEGER", ""));
		break;
	default:
		jpush(a, prop("p0", "IN", "VARCHAR", "${system.datetime}"));
		break;
	}
	return a;
}

/* a resource of one of the kinds in `kinds` (bit set of 1 << RK_*) */
static int pick_res(struct gen *g, struct rng *r, unsigned kinds)
{
	int ids[N_OF(res_spec)], n = 0;

	for (int i = 0; i < g->nres; i++)
		if (kinds & (1u << g->res[i].kind))
			ids[n++] = i + 1;
	if (!n)
		bug("no resource of that kind");
	return ids[rnd(r, n)];
}

/* 1.3 ResourceInfo {"id","name","res"} (export order {"res","name","id"}) */
static json_t *res_info(struct gen *g, const struct wf *w, int id,
			bool legacy)
{
	const struct res *x = &g->res[id - 1];
	json_t *j = jobj();
	const char *base = strrchr(x->full, '/') + 1;

	if (legacy) {		/* 1.2-era: only "res" (spec §5.3) */
		jset(j, "res", jstr(x->full + 1));
		return j;
	}
	if (w->key_style == 0) {
		jset(j, "id", jint(id));
		jset(j, "name", jstr(base));
		jset(j, "res", jstr(x->full + 1));
	} else {
		jset(j, "res", jstr(x->full + 1));
		jset(j, "name", jstr(base));
		jset(j, "id", jint(id));
	}
	return j;
}

static json_t *res_list(struct gen *g, struct rng *r, const struct wf *w,
			unsigned kinds, int pctn)
{
	json_t *a = jarr();
	int n = pct(r, pctn) ? rnd_in(r, 1, 2) : 0, last = 0;

	for (int i = 0; i < n; i++) {
		int id = pick_res(g, r, kinds);

		if (id == last)
			continue;
		jpush(a, res_info(g, w, id, pct(r, 2)));
		last = id;
	}
	return a;
}

static char *script(struct rng *r, const char *const *lines, int nlines,
		    bool python, bool long_one)
{
	struct buf b;
	int n = long_one ? rnd_in(r, 40, 90) : rnd_in(r, 1, 6);

	buf_init(&b, 0);
	if (!python && pct(r, 50) && buf_puts(&b, "#!/bin/bash\n"))
		bug("buf");
	for (int i = 0; i < n; i++) {
		if (i && buf_putc(&b, '\n'))
			bug("buf");
		if (buf_puts(&b, lines[rnd(r, nlines)]))
			bug("buf");
	}
	return buf_detach(&b, NULL);
}

static int pick_ds(struct gen *g, struct rng *r, unsigned types)
{
	int ids[64], n = 0;

	for (int i = 0; i < g->nds && n < (int)N_OF(ids); i++)
		if (types & (1u << g->ds[i].type))
			ids[n++] = i + 1;
	if (!n)
		bug("no datasource of that type");
	return ids[rnd(r, n)];
}

static json_t *p_shell(struct gen *g, struct rng *r, struct wf *w,
		       bool python)
{
	json_t *p = jobj();
	char *s = python ?
		script(r, dsw_python_lines, (int)N_OF(dsw_python_lines), true,
		       false) :
		script(r, dsw_shell_lines, (int)N_OF(dsw_shell_lines), false,
		       w->large ? pct(r, 10) : pct(r, 4));
	unsigned kinds = python ? 1u << RK_PY : (1u << RK_SH | 1u << RK_CONF);
	json_t *rl = res_list(g, r, w, kinds, 25);

	if (w->key_style == 0) {
		jset(p, "resourceList", rl);
		jset(p, "localParams", local_params(r, 30));
		jset(p, "rawScript", jstr(s));
	} else {
		jset(p, "rawScript", jstr(s));
		jset(p, "localParams", local_params(r, 30));
		jset(p, "resourceList", rl);
	}
	free(s);
	return p;
}

static json_t *p_sql(struct gen *g, struct rng *r, struct wf *w)
{
	json_t *p = jobj();
	int ds = pick_ds(g, r, 0xff);
	int type = g->ds[ds - 1].type;
	bool query = pct(r, 60);
	const char *tbl = PICK(r, dsw_tables);
	char sql[256], udfs[32] = "";
	bool extra = pct(r, 80), helper = pct(r, 10);
	json_t *pre = jarr(), *post = jarr();

	if (query)
		snprintf(sql, sizeof(sql), PICK(r, dsw_sql_select), tbl);
	else
		snprintf(sql, sizeof(sql), PICK(r, dsw_sql_update), tbl, tbl);
	if ((type == DB_HIVE || type == DB_SPARK) && pct(r, 35)) {
		int want = type == DB_HIVE ? 0 : 1, a = 0, b = 0;

		for (int i = 0; i < g->nudfs; i++) {
			if (g->udfs[i].type != want)
				continue;
			if (!a)
				a = i + 1;
			else if (!b && pct(r, 50))
				b = i + 1;
		}
		if (b)
			snprintf(udfs, sizeof(udfs), "%d,%d", a, b);
		else
			snprintf(udfs, sizeof(udfs), "%d", a);
	}
	if (type == DB_HIVE && pct(r, 30))
		jpush(pre, jstr("set hive.exec.dynamic.partition=true"));
	if (!query && pct(r, 20))
		jpush(post, jstr("analyze table tmp_stats compute statistics"));
#define SQLKEYS(X) \
	X("type", jstr(db_name[type])) \
	X("datasource", jint(ds)) \
	X("sql", jstr(sql)) \
	X("udfs", jstr(udfs)) \
	X("sqlType", jstr(query ? "0" : "1"))
	if (w->key_style == 0) {
#define SETK(k, v) jset(p, k, v);
		SQLKEYS(SETK)
		if (extra) {
			jset(p, "sendEmail", json_boolean(query && pct(r, 20)));
			jset(p, "displayRows", jint(10));
			jset(p, "limit", jint(10000));
		}
		jset(p, "title", jstr(query && pct(r, 30) ?
				      "daily report" : ""));
		jset(p, "receivers", jstr(query && pct(r, 20) ?
					  "ops@example.com" : ""));
		jset(p, "receiversCc", jstr(""));
		jset(p, "showType", jstr(pct(r, 80) ? "TABLE" :
					 "TABLE,ATTACHMENT"));
		jset(p, "localParams", local_params(r, 25));
		jset(p, "connParams", jstr(""));
		jset(p, "preStatements", pre);
		jset(p, "postStatements", post);
	} else {
		jset(p, "postStatements", post);
		jset(p, "connParams", jstr(pct(r, 20) ? "sql_param0=11212" :
					   ""));
		jset(p, "receiversCc", jstr(""));
		jset(p, "udfs", jstr(udfs));
		jset(p, "type", jstr(db_name[type]));
		jset(p, "title", jstr(""));
		jset(p, "sql", jstr(sql));
		jset(p, "preStatements", pre);
		jset(p, "sqlType", jstr(query ? "0" : "1"));
		jset(p, "sendEmail", json_false());
		jset(p, "receivers", jstr(""));
		jset(p, "datasource", jint(ds));
		jset(p, "displayRows", jint(10));
		jset(p, "limit", jint(10000));
		jset(p, "showType", jstr("TABLE"));
		jset(p, "localParams", local_params(r, 25));
	}
#undef SETK
#undef SQLKEYS
	if (helper)	/* export helper key */
		jset(p, "datasourceName", jstr(g->ds[ds - 1].name));
	return p;
}

static json_t *p_procedure(struct gen *g, struct rng *r)
{
	json_t *p = jobj(), *lp = jarr();
	int ds = pick_ds(g, r, 1u << DB_MYSQL | 1u << DB_POSTGRESQL |
			 1u << DB_ORACLE | 1u << DB_SQLSERVER);
	char m[128];

	snprintf(m, sizeof(m), "call p_%s_settle(${dt},${cnt})",
		 PICK(r, dsw_domains));
	jpush(lp, prop("dt", "IN", "VARCHAR", "${system.biz.date}"));
	jpush(lp, prop("cnt", "OUT", "INTEGER", ""));
	jset(p, "localParams", lp);
	jset(p, "type", jstr(db_name[g->ds[ds - 1].type]));
	jset(p, "datasource", jint(ds));
	jset(p, "method", jstr(m));
	return p;
}

static json_t *main_jar(int id)
{
	json_t *j = jobj();

	jset(j, "id", jint(id));
	return j;
}

static json_t *p_spark(struct gen *g, struct rng *r, struct wf *w)
{
	json_t *p = jobj();
	bool py = pct(r, 20);
	char app[64];

	snprintf(app, sizeof(app), "%s_%s", PICK(r, dsw_domains),
		 PICK(r, dsw_entities));
	jset(p, "mainClass", jstr(py ? "" : PICK(r, dsw_main_classes)));
	jset(p, "mainJar", main_jar(pick_res(g, r, py ? 1u << RK_PY :
					     1u << RK_JAR)));
	jset(p, "deployMode", jstr(pct(r, 70) ? "cluster" :
				   pct(r, 50) ? "client" : "local"));
	jset(p, "resourceList", res_list(g, r, w, 1u << RK_CONF |
					 1u << RK_JAR, 30));
	jset(p, "localParams", local_params(r, 20));
	jset(p, "driverCores", jint(rnd_in(r, 1, 2)));
	jset(p, "driverMemory", jstr(pct(r, 50) ? "512M" : "1G"));
	jset(p, "numExecutors", jint(rnd_in(r, 2, 20)));
	jset(p, "executorMemory", jstr(pct(r, 50) ? "2G" : "4G"));
	jset(p, "executorCores", jint(rnd_in(r, 1, 4)));
	if (pct(r, 70))
		jset(p, "appName", jstr(app));
	jset(p, "mainArgs", jstr(pct(r, 50) ? "10" : "--dt ${dt}"));
	jset(p, "others", jstr(pct(r, 70) ? "" :
			       "--conf spark.sql.shuffle.partitions=200"));
	jset(p, "programType", jstr(py ? "PYTHON" :
				    pct(r, 50) ? "SCALA" : "JAVA"));
	jset(p, "sparkVersion", jstr(pct(r, 85) ? "SPARK2" : "SPARK1"));
	if (pct(r, 60))
		jset(p, "queue", jstr(pct(r, 50) ? "root.etl" : "default"));
	return p;
}

static json_t *p_flink(struct gen *g, struct rng *r, struct wf *w)
{
	json_t *p = jobj();

	jset(p, "mainClass", jstr(PICK(r, dsw_main_classes)));
	jset(p, "mainJar", main_jar(pick_res(g, r, 1u << RK_JAR)));
	jset(p, "deployMode", jstr(pct(r, 80) ? "cluster" : "local"));
	jset(p, "resourceList", res_list(g, r, w, 1u << RK_CONF, 20));
	jset(p, "localParams", local_params(r, 15));
	jset(p, "slot", jint(rnd_in(r, 1, 4)));
	jset(p, "parallelism", jint(rnd_in(r, 1, 8)));
	jset(p, "taskManager", jstr(pct(r, 50) ? "2" : "4"));
	jset(p, "jobManagerMemory", jstr("1G"));
	jset(p, "taskManagerMemory", jstr(pct(r, 50) ? "2G" : "4G"));
	jset(p, "appName", jstr(pct(r, 50) ? "" : "click_stream"));
	jset(p, "mainArgs", jstr(pct(r, 50) ? "100" : ""));
	jset(p, "others", jstr(""));
	jset(p, "flinkVersion", jstr(pct(r, 50) ? "<1.10" : ">=1.10"));
	jset(p, "programType", jstr(pct(r, 60) ? "SCALA" : "JAVA"));
	if (pct(r, 50))
		jset(p, "queue", jstr("root.etl"));
	return p;
}

static json_t *p_mr(struct gen *g, struct rng *r, struct wf *w)
{
	json_t *p = jobj();
	bool py = pct(r, 15);

	jset(p, "mainClass", jstr(py ? "" : PICK(r, dsw_main_classes)));
	jset(p, "mainJar", main_jar(pick_res(g, r, py ? 1u << RK_PY :
					     1u << RK_JAR)));
	jset(p, "resourceList", res_list(g, r, w, 1u << RK_JAR |
					 1u << RK_CONF, 40));
	jset(p, "localParams", local_params(r, 20));
	jset(p, "mainArgs", jstr("/tmp/wordcount/input "
				 "/tmp/wordcount/output/${dt}"));
	jset(p, "others", jstr(pct(r, 70) ? "" :
			       "-D mapreduce.map.memory.mb=2048"));
	if (pct(r, 60))
		jset(p, "appName", jstr("wordcount"));
	if (pct(r, 50))
		jset(p, "queue", jstr("root.adhoc"));
	jset(p, "programType", jstr(py ? "PYTHON" : "JAVA"));
	return p;
}

static json_t *p_http(struct rng *r)
{
	static const char *const methods[] = { "GET", "POST", "HEAD", "PUT",
					       "DELETE" };
	static const char *const checks[] = {
		"STATUS_CODE_DEFAULT", "STATUS_CODE_CUSTOM", "BODY_CONTAINS",
		"BODY_NOT_CONTAINS",
	};
	json_t *p = jobj(), *hp = jarr();
	int check = rnd(r, 4);
	char url[128];

	snprintf(url, sizeof(url), "https://%s.internal.example.com:%d/api/%s",
		 PICK(r, dsw_domains), rnd_in(r, 8000, 9100),
		 PICK(r, dsw_verbs));
	for (int i = rnd(r, 3); i > 0; i--) {
		json_t *x = jobj();

		jset(x, "prop", jstr(i == 1 ? "id" : "token"));
		jset(x, "httpParametersType", jstr(i == 1 ? "PARAMETER" :
						   "HEADERS"));
		jset(x, "value", jstr(i == 1 ? "${dt}" : "Bearer abc"));
		jpush(hp, x);
	}
	jset(p, "localParams", local_params(r, 10));
	jset(p, "httpParams", hp);
	jset(p, "url", jstr(url));
	jset(p, "httpMethod", jstr(PICK(r, methods)));
	jset(p, "httpCheckCondition", jstr(checks[check]));
	jset(p, "condition", jstr(check == 1 ? "200" :
				  check > 1 ? "\"ok\"" : ""));
	if (pct(r, 70)) {
		jset(p, "connectTimeout", jint(60000));
		jset(p, "socketTimeout", jint(60000));
	}
	return p;
}

static json_t *p_datax(struct gen *g, struct rng *r)
{
	unsigned types = 1u << DB_MYSQL | 1u << DB_POSTGRESQL |
		1u << DB_ORACLE | 1u << DB_SQLSERVER;
	json_t *p = jobj();
	int src = pick_ds(g, r, types), dst = pick_ds(g, r, types);
	const char *tbl = PICK(r, dsw_tables);
	char sql[160];

	if (pct(r, 12)) {	/* custom JSON mode */
		char *js = xsprintf(
			"{\"job\":{\"content\":[{\"reader\":{\"name\":"
			"\"mysqlreader\",\"parameter\":{\"username\":\"etl\","
			"\"password\":\"etl\",\"column\":[\"*\"],"
			"\"connection\":[{\"table\":[\"%s\"],\"jdbcUrl\":"
			"[\"jdbc:mysql://10.0.0.5:3306/ods\"]}]}},\"writer\":"
			"{\"name\":\"hdfswriter\",\"parameter\":{\"path\":"
			"\"/data/%s\",\"fileType\":\"orc\"}}}],\"setting\":"
			"{\"speed\":{\"channel\":3}}}}", tbl, tbl);

		jset(p, "customConfig", jint(1));
		jset(p, "json", jstr(js));
		jset(p, "localParams", jarr());
		free(js);
		return p;
	}
	snprintf(sql, sizeof(sql), "select id, name, amount from %s where "
		 "dt = '${dt}'", tbl);
	jset(p, "customConfig", jint(0));
	jset(p, "dsType", jstr(db_name[g->ds[src - 1].type]));
	jset(p, "dataSource", jint(src));
	jset(p, "dtType", jstr(db_name[g->ds[dst - 1].type]));
	jset(p, "dataTarget", jint(dst));
	jset(p, "sql", jstr(sql));
	jset(p, "targetTable", jstr(tbl));
	jset(p, "jobSpeedByte", jint(pct(r, 50) ? 0 : 524288));
	jset(p, "jobSpeedRecord", jint(pct(r, 50) ? 1000 : 500));
	jset(p, "preStatements", jarr());
	jset(p, "postStatements", jarr());
	if (pct(r, 60))
		jset(p, "localParams", jarr());
	return p;
}

static json_t *p_sqoop(struct gen *g, struct rng *r)
{
	json_t *p = jobj(), *src = jobj(), *dst = jobj(), *hc = jarr(),
		*adv = jarr();
	int ds = pick_ds(g, r, 1u << DB_MYSQL);
	const char *tbl = PICK(r, dsw_tables);
	bool exp = pct(r, 25), custom = pct(r, 10), hive = pct(r, 50);
	char job[64], path[96], *s, *t;

	snprintf(job, sizeof(job), "sqoop_%s", tbl);
	if (!exp) {
		jset(src, "srcType", jstr("MYSQL"));
		jset(src, "srcDatasource", jint(ds));
		jset(src, "srcTable", jstr(tbl));
		jset(src, "srcQueryType", jstr("0"));
		jset(src, "srcQuerySql", jstr(""));
		jset(src, "srcColumnType", jstr("0"));
		jset(src, "srcColumns", jstr(""));
		jset(src, "srcConditionList", jarr());
		jset(src, "mapColumnHive", jarr());
		jset(src, "mapColumnJava", jarr());
		if (hive) {
			jset(dst, "hiveDatabase", jstr("ods"));
			jset(dst, "hiveTable", jstr(tbl));
			jset(dst, "createHiveTable", json_true());
			jset(dst, "dropDelimiter", json_false());
			jset(dst, "hiveOverWrite", json_true());
			jset(dst, "replaceDelimiter", jstr(""));
			jset(dst, "hiveTargetDir", jstr(""));
			jset(dst, "hivePartitionKey", jstr("dt"));
			jset(dst, "hivePartitionValue", jstr("${dt}"));
		} else {
			snprintf(path, sizeof(path), "/data/ods/%s", tbl);
			jset(dst, "targetPath", jstr(path));
			jset(dst, "deleteTargetDir", json_true());
			jset(dst, "fileType", jstr("--as-textfile"));
			jset(dst, "compressionCodec", jstr(""));
			jset(dst, "fieldsTerminated", jstr(","));
			jset(dst, "linesTerminated", jstr("\\n"));
		}
	} else {
		snprintf(path, sizeof(path), "/data/ads/%s", tbl);
		jset(src, "exportDir", jstr(path));
		jset(dst, "targetDatasource", jint(ds));
		jset(dst, "targetTable", jstr(tbl));
		jset(dst, "targetColumns", jstr(""));
		jset(dst, "fieldsTerminated", jstr(","));
		jset(dst, "linesTerminated", jstr("\\n"));
		jset(dst, "preQuery", jstr(""));
		jset(dst, "isUpdate", json_false());
		jset(dst, "targetUpdateKey", jstr(""));
		jset(dst, "targetUpdateMode", jstr("allowinsert"));
	}
	if (pct(r, 30))
		jpush(hc, prop("mapreduce.job.queuename", "IN", "VARCHAR",
			       "root.etl"));
	if (pct(r, 30))
		jpush(adv, prop("--direct", "IN", "VARCHAR", ""));
	s = jdump(src);
	t = jdump(dst);
	json_decref(src);
	json_decref(dst);
	jset(p, "jobName", jstr(job));
	jset(p, "hadoopCustomParams", hc);
	jset(p, "sourceType", jstr(exp ? "HDFS" : "MYSQL"));
	jset(p, "targetType", jstr(exp ? "MYSQL" : hive ? "HIVE" : "HDFS"));
	jset(p, "targetParams", jstr(t));
	jset(p, "modelType", jstr(exp ? "export" : "import"));
	jset(p, "sourceParams", jstr(s));
	jset(p, "jobType", jstr(custom ? "CUSTOM" : "TEMPLATE"));
	if (custom)
		jset(p, "customShell", jstr("sqoop import --connect "
					    "jdbc:mysql://10.0.0.5:3306/ods "
					    "--table orders -m 1"));
	jset(p, "localParams", jarr());
	jset(p, "sqoopAdvancedParams", adv);
	jset(p, "concurrency", jint(1));
	free(s);
	free(t);
	return p;
}

static json_t *task_params_new(struct gen *g, struct rng *r, struct wf *w,
			       enum tt type)
{
	switch (type) {
	case TT_SHELL:
		return p_shell(g, r, w, false);
	case TT_PYTHON:
		return p_shell(g, r, w, true);
	case TT_SQL:
		return p_sql(g, r, w);
	case TT_PROCEDURE:
		return p_procedure(g, r);
	case TT_SPARK:
		return p_spark(g, r, w);
	case TT_FLINK:
		return p_flink(g, r, w);
	case TT_MR:
		return p_mr(g, r, w);
	case TT_HTTP:
		return p_http(r);
	case TT_DATAX:
		return p_datax(g, r);
	case TT_SQOOP:
		return p_sqoop(g, r);
	default:
		return NULL;
	}
}

static void task_pre_add(struct wf *w, int i, int p)
{
	struct task *t = &w->t[i];

	if (p >= i || p < 0)
		bug("edge against the topological order");
	for (int k = 0; k < t->npre; k++)
		if (t->pre[k] == p)
			return;
	xgrow((void **)&t->pre, &t->cappre, (size_t)t->npre + 1,
	      sizeof(*t->pre));
	t->pre[t->npre++] = p;
}

static void task_pre_del(struct wf *w, int i, int p)
{
	struct task *t = &w->t[i];

	for (int k = 0; k < t->npre; k++) {
		if (t->pre[k] == p) {
			memmove(&t->pre[k], &t->pre[k + 1],
				(size_t)(t->npre - k - 1) * sizeof(*t->pre));
			t->npre--;
			return;
		}
	}
}

/* a new task (no edges yet); returns its index */
static int task_add(struct gen *g, struct rng *r, struct wf *w, enum tt type)
{
	static const int prio_w[] = { 3, 10, 75, 8, 4 };
	struct task *t;
	char name[128];
	int i;

	char id[24], *uname;

	/* id and name before the task joins w (they must not clash) */
	task_new_id(r, w, id, sizeof(id));
	task_name_base(r, w, type, name, sizeof(name));
	uname = task_name_unique(w, name);
	xgrow((void **)&w->t, &w->capt, (size_t)w->nt + 1, sizeof(*w->t));
	i = w->nt++;
	t = &w->t[i];
	memset(t, 0, sizeof(*t));
	memcpy(t->id, id, sizeof(id));
	t->name = uname;
	t->type = type;
	t->ord = (uint32_t)rng_next(r);
	t->cdep = t->csucc = t->cfail = -1;
	t->desc_key = pct(r, 3) ? DK_NONE : DK_DESCRIPTION;
	t->desc = xstrdup(pct(r, 75) ? "" : t->name);
	t->forbidden = pct(r, 3);
	t->prio = (unsigned char)rnd_w(r, prio_w, 5);
	t->wg = pct(r, 85) ? -1 : rnd(r, (int)N_OF(wg_names));
	t->retries = pct(r, 75) ? 0 : rnd_in(r, 1, 3);
	t->retry_iv = pct(r, 80) ? 1 : rnd_in(r, 2, 10);
	t->to_kind = pct(r, 6) ? 1 : 0;
	if (pct(r, 15)) {
		t->to_enable = true;
		t->to_strategy = (unsigned char)rnd_in(r, 1, 3);
		t->to_interval = rnd_in(r, 1, 24) * 10;
	}
	t->params = task_params_new(g, r, w, type);
	return i;
}

/* task index i's x, y from its predecessors (call after the edges) */
static void task_place(struct rng *r, struct wf *w, int i)
{
	struct task *t = &w->t[i];
	int x = 0;

	for (int k = 0; k < t->npre; k++)
		if (w->t[t->pre[k]].x > x)
			x = w->t[t->pre[k]].x;
	t->x = (t->npre ? x + 180 : 40) + rnd(r, 40);
	t->y = 30 + rnd(r, 12) * 60 + rnd(r, 30);
}

static enum tt pick_type(struct rng *r, bool large)
{
	/* SHELL SQL PYTHON SUB DEPENDENT CONDITIONS SPARK FLINK MR HTTP
	 * DATAX SQOOP PROCEDURE */
	static const int w_small[TT_N] = { 50, 14, 7, 4, 5, 0, 4, 2, 3, 3, 3,
					   3, 2 };
	static const int w_large[TT_N] = { 35, 55, 3, 0, 2, 0, 2, 0, 1, 0,
					   1, 1, 0 };

	return (enum tt)rnd_w(r, large ? w_large : w_small, TT_N);
}

static struct wf *wf_new(struct gen *g, struct rng *r, int project)
{
	struct wf *w = xcalloc(1, sizeof(*w));
	struct project *p = &g->proj[project - 1];
	static const int to[] = { 30, 60, 120, 240 };

	xgrow((void **)&g->wf, &g->capwf, (size_t)g->nwf + 1, sizeof(*g->wf));
	g->wf[g->nwf++] = w;
	w->id = g->nwf;
	w->alive = true;
	w->project = project;
	w->user = p->members[rnd(r, p->nmembers)];
	w->release = pct(r, 55) ? 1 : 0;
	w->tenant = pct(r, 60) && user_get(g, w->user)->tenant ? -1 :
		rnd_in(r, 1, g->ntenants);
	w->timeout = pct(r, 85) ? 0 : PICK(r, to);
	w->version_col = pct(r, 70) ? -1 : 0;
	w->key_style = pct(r, 80) ? 0 : 1;
	w->top_style = (unsigned char)(pct(r, 2) ? 2 : pct(r, 28) ? 1 : 0);
	w->shuffled = pct(r, 30);
	w->legacy_wg = pct(r, 4);
	w->numeric_retry = pct(r, 6);
	w->no_cond = pct(r, 25);
	w->no_nodenumber = pct(r, 10);
	w->desc_key_all = pct(r, 5);
	w->id_style = (unsigned char)(pct(r, 80) ? 0 : pct(r, 50) ? 1 : 2);
	w->idn = rnd_in(r, 1, 9);
	w->rank = rnd_unit(r);
	w->gparams = jarr();
	if (pct(r, 40)) {
		jpush(w->gparams, prop("dt", "IN", "VARCHAR",
				       "${system.biz.date}"));
		if (pct(r, 50))
			jpush(w->gparams, prop("env", "IN", "VARCHAR",
					       "prod"));
		if (pct(r, 30))
			jpush(w->gparams, prop("batch_size", "IN", "INTEGER",
					       "1000"));
	}
	if (pct(r, 10)) {
		w->receivers = xstrdup("ops@example.com,etl@example.com");
		w->receivers_cc = xstrdup(pct(r, 50) ? "" : "boss@example.com");
	}
	return w;
}

/* a workflow name unique in its project */
static char *wf_name_unique(struct gen *g, int project, const char *base,
			    int except)
{
	char *s = xstrdup(base);

	for (int n = 2;; n++) {
		bool taken = false;

		for (int i = 0; i < g->nwf && !taken; i++) {
			struct wf *o = g->wf[i];

			taken = o && o->alive && o->id != except &&
				o->project == project && o->name &&
				!strcmp(o->name, s);
		}
		if (!taken)
			return s;
		free(s);
		s = xsprintf("%s_%d", base, n);
	}
}

static void wf_name_new(struct gen *g, struct rng *r, struct wf *w)
{
	char base[160];

	if (pct(r, 4))
		snprintf(base, sizeof(base), "%s", PICK(r, dsw_cjk));
	else if (pct(r, 60))
		snprintf(base, sizeof(base), "%s_%s_%s_%s",
			 PICK(r, dsw_layers), PICK(r, dsw_domains),
			 PICK(r, dsw_entities), PICK(r, dsw_freqs));
	else
		snprintf(base, sizeof(base), "%s_%s_%s", PICK(r, dsw_domains),
			 PICK(r, dsw_entities), PICK(r, dsw_freqs));
	free(w->name);
	w->name = wf_name_unique(g, w->project, base, w->id);
	free(w->desc);
	w->desc = pct(r, 20) ? NULL : pct(r, 50) ? xstrdup("") :
		xsprintf("%s, maintained by %s", w->name,
			 user_get(g, w->user)->name);
}

/* CONDITIONS block: upstream `up` -> C -> success S, failed F */
static int add_conditions(struct gen *g, struct rng *r, struct wf *w, int up)
{
	int c = task_add(g, r, w, TT_CONDITIONS);
	int s = task_add(g, r, w, TT_SHELL);
	int f = task_add(g, r, w, pct(r, 50) ? TT_SHELL : TT_PYTHON);

	if (up >= 0) {
		task_pre_add(w, c, up);
		w->t[c].cdep = up;
		w->t[c].cdep_fail = pct(r, 15);
	}
	task_pre_add(w, s, c);
	task_pre_add(w, f, c);
	w->t[c].csucc = s;
	w->t[c].cfail = f;
	w->t[c].forbidden = false;
	return s;
}

enum shape { SH_SINGLE, SH_CHAIN, SH_DIAMOND, SH_FANOUT, SH_DAG, SH_COND,
	     SH_N };

static void build_shape(struct gen *g, struct rng *r, struct wf *w,
			enum shape sh, int max)
{
	int n, i, a;

	switch (sh) {
	case SH_SINGLE:
		task_add(g, r, w, pct(r, 70) ? TT_SHELL : pick_type(r, false));
		break;
	case SH_CHAIN:
		n = rnd_in(r, 2, max < 8 ? max : 8);
		for (i = 0; i < n; i++) {
			a = task_add(g, r, w, pick_type(r, w->large));
			if (i)
				task_pre_add(w, a, a - 1);
		}
		break;
	case SH_DIAMOND: {
		int top = task_add(g, r, w, pick_type(r, false));

		for (int layer = rnd_in(r, 1, 2); layer > 0; layer--) {
			int k = rnd_in(r, 2, 4), first = w->nt, bottom;

			for (i = 0; i < k; i++) {
				a = task_add(g, r, w, pick_type(r, false));
				task_pre_add(w, a, top);
			}
			bottom = task_add(g, r, w, TT_SHELL);
			for (i = first; i < first + k; i++)
				task_pre_add(w, bottom, i);
			top = bottom;
		}
		break;
	}
	case SH_FANOUT: {
		int root = task_add(g, r, w, pct(r, 50) ? TT_DEPENDENT :
				    TT_SHELL), first;

		n = rnd_in(r, 10, max < 40 ? max : 40);
		first = w->nt;
		for (i = 0; i < n; i++) {
			a = task_add(g, r, w, pick_type(r, false));
			task_pre_add(w, a, root);
		}
		if (pct(r, 50)) {
			a = task_add(g, r, w, TT_SHELL);
			for (i = first; i < first + n; i++)
				task_pre_add(w, a, i);
		}
		break;
	}
	case SH_COND: {
		int up, s;

		if (pct(r, 40)) {
			a = task_add(g, r, w, pick_type(r, false));
			up = task_add(g, r, w, TT_SHELL);
			task_pre_add(w, up, a);
		} else {
			up = task_add(g, r, w, TT_SHELL);
		}
		s = add_conditions(g, r, w, up);
		if (pct(r, 50)) {
			a = task_add(g, r, w, pick_type(r, false));
			task_pre_add(w, a, s);
		}
		break;
	}
	case SH_DAG:
	default:
		n = w->large ? rnd_in(r, 50, max) : rnd_in(r, 5, max < 30 ?
							     max : 30);
		for (i = 0; i < n; i++) {
			a = task_add(g, r, w, pick_type(r, w->large));
			if (!i || pct(r, w->large ? 4 : 15))
				continue;
			for (int k = rnd_in(r, 1, 3); k > 0; k--) {
				/* mostly recent tasks: layered look */
				int span = a < 12 ? a : 12;
				int p = a - 1 - rnd(r, span);

				task_pre_add(w, a, p);
			}
		}
		if (!w->large && n >= 6 && pct(r, 25))
			add_conditions(g, r, w, rnd(r, w->nt));
		break;
	}
}

/* one task of every 1.3 type, like the dw139 export "hello_flow_0" */
static void build_showcase(struct gen *g, struct rng *r, struct wf *w)
{
	static const enum tt types[] = {
		TT_DEPENDENT, TT_SHELL, TT_PYTHON, TT_SQL, TT_SQL,
		TT_SUB_PROCESS, TT_MR, TT_SQOOP, TT_SPARK, TT_FLINK, TT_HTTP,
		TT_DATAX, TT_PROCEDURE, TT_SHELL,
	};
	static const int pre[][3] = {
		{ -1 }, { 0, -1 }, { 1, -1 }, { 1, -1 }, { 1, -1 }, { -1 },
		{ 1, 5, -1 }, { 6, -1 }, { 1, -1 }, { 1, -1 }, { 2, -1 },
		{ 3, -1 }, { 3, -1 }, { 4, -1 },
	};
	int done, ok;

	for (int i = 0; i < (int)N_OF(types); i++) {
		int a = task_add(g, r, w, types[i]);

		for (int k = 0; pre[i][k] >= 0; k++)
			task_pre_add(w, a, pre[i][k]);
		w->t[a].forbidden = false;
	}
	ok = add_conditions(g, r, w, 13);
	done = task_add(g, r, w, TT_SHELL);
	for (int i = 7; i <= 12; i++)
		task_pre_add(w, done, i);
	task_pre_add(w, done, ok);
	w->t[done].forbidden = false;
}

static void wf_shape(struct gen *g, struct rng *r, struct wf *w, int max)
{
	static const int shape_w[SH_N] = { 15, 25, 12, 10, 30, 8 };

	build_shape(g, r, w, (enum shape)rnd_w(r, shape_w, SH_N), max);
}

static void wf_finish(struct rng *r, struct wf *w)
{
	if (w->top_style == 2) {	/* pre-1.2 JSON: no tenantId/timeout */
		w->tenant = -1;
		w->timeout = 0;
	}
	for (int i = 0; i < w->nt; i++) {
		struct task *t = &w->t[i];

		if (w->desc_key_all && t->desc_key == DK_DESCRIPTION)
			t->desc_key = DK_DESC;
		task_place(r, w, i);
		if (t->type == TT_SUB_PROCESS || t->type == TT_CONDITIONS ||
		    t->type == TT_DEPENDENT)
			t->retries = 0;
	}
}

/* -------------------------------------------------- cross references */

static bool sub_target_ok(const struct wf *w, const struct wf *t)
{
	return t && t->alive && t != w && !t->large && t->rank > w->rank;
}

/* SUB_PROCESS target: a higher-ranked workflow (so sub-processes never
 * form a cycle), in the same project when there is one (the 1.3 UI only
 * offers those); 0 if there is none */
static int pick_sub_target(struct gen *g, struct rng *r, const struct wf *w)
{
	int same = 0, any = 0, nsame = 0, nany = 0;

	if (w->id == 2 && g->nwf >= 3 && sub_target_ok(w, g->wf[2]))
		return 3;
	for (int i = 0; i < g->nwf; i++) {
		const struct wf *t = g->wf[i];

		if (!sub_target_ok(w, t))
			continue;
		/* reservoir sampling keeps one of each kind uniformly */
		if (rnd(r, ++nany) == 0)
			any = t->id;
		if (t->project == w->project && rnd(r, ++nsame) == 0)
			same = t->id;
	}
	return same && pct(r, 85) ? same : any;
}

static int pick_dep_target(struct gen *g, struct rng *r, const struct wf *w)
{
	int same = 0, other = 0, nsame = 0, nother = 0;

	for (int i = 0; i < g->nwf; i++) {
		const struct wf *t = g->wf[i];

		if (!t->alive || t == w || t->nt == 0)
			continue;
		if (t->project == w->project) {
			if (rnd(r, ++nsame) == 0)
				same = t->id;
		} else if (rnd(r, ++nother) == 0) {
			other = t->id;
		}
	}
	if (other && (pct(r, 30) || !same))
		return other;
	return same ? same : w->id;	/* alone: depend on its own
					   previous run */
}

static const char *live_task_name(struct rng *r, const struct wf *w)
{
	for (int tries = 0; tries < 100; tries++) {
		const struct task *t = &w->t[rnd(r, w->nt)];

		if (!t->gone)
			return t->name;
	}
	return "ALL";
}

static json_t *dep_item(struct gen *g, struct rng *r, const struct wf *w)
{
	static const char *const cycles[] = { "day", "day", "day", "hour",
					      "week", "month" };
	struct wf *t = wf_get(g, pick_dep_target(g, r, w));
	const char *cycle = PICK(r, cycles), *dv, *task;
	json_t *it = jobj();

	if (!strcmp(cycle, "day"))
		dv = PICK(r, dsw_dep_day);
	else if (!strcmp(cycle, "hour"))
		dv = PICK(r, dsw_dep_hour);
	else if (!strcmp(cycle, "week"))
		dv = PICK(r, dsw_dep_week);
	else
		dv = PICK(r, dsw_dep_month);
	task = pct(r, 40) ? "ALL" : live_task_name(r, t);
	if (w->key_style == 0) {
		jset(it, "projectId", jint(t->project));
		jset(it, "definitionId", jint(t->id));
		if (pct(r, 4)) {	/* UI helper list, as in the docs */
			json_t *dl = jarr();

			for (int i = 0, n = 0; i < g->nwf && n < 8; i++) {
				struct wf *x = g->wf[i];
				json_t *e;

				if (!x->alive || x->project != t->project)
					continue;
				e = jobj();
				jset(e, "value", jint(x->id));
				jset(e, "label", jstr(x->name));
				jpush(dl, e);
				n++;
			}
			jset(it, "definitionList", dl);
		}
		jset(it, "depTasks", jstr(task));
		jset(it, "cycle", jstr(cycle));
		jset(it, "dateValue", jstr(dv));
	} else {	/* export order with name helpers */
		jset(it, "dateValue", jstr(dv));
		jset(it, "definitionName", jstr(t->name));
		jset(it, "depTasks", jstr(task));
		jset(it, "projectName", jstr(g->proj[t->project - 1].name));
		jset(it, "projectId", jint(t->project));
		jset(it, "cycle", jstr(cycle));
		jset(it, "definitionId", jint(t->id));
	}
	return it;
}

static json_t *dep_build(struct gen *g, struct rng *r, const struct wf *w)
{
	json_t *d = jobj(), *list = jarr();
	const char *rel = pct(r, 85) ? "AND" : "OR";

	for (int n = pct(r, 75) ? 1 : 2; n > 0; n--) {
		json_t *e = jobj(), *items = jarr();
		const char *erel = pct(r, 80) ? "AND" : "OR";

		for (int k = pct(r, 70) ? 1 : rnd_in(r, 2, 3); k > 0; k--)
			jpush(items, dep_item(g, r, w));
		if (w->key_style == 0) {
			jset(e, "relation", jstr(erel));
			jset(e, "dependItemList", items);
		} else {
			jset(e, "dependItemList", items);
			jset(e, "relation", jstr(erel));
		}
		jpush(list, e);
	}
	if (w->key_style == 0) {
		jset(d, "relation", jstr(rel));
		jset(d, "dependTaskList", list);
	} else {
		jset(d, "dependTaskList", list);
		jset(d, "relation", jstr(rel));
	}
	return d;
}

/* resolve the SUB_PROCESS and DEPENDENT tasks of w (from index `from`) */
static void wf_xref(struct gen *g, struct rng *r, struct wf *w, int from)
{
	for (int i = from; i < w->nt; i++) {
		struct task *t = &w->t[i];

		if (t->gone)
			continue;
		if (t->type == TT_SUB_PROCESS && !t->sub) {
			t->sub = pick_sub_target(g, r, w);
			if (!t->sub) {	/* none to call: a shell task */
				t->type = TT_SHELL;
				t->params = p_shell(g, r, w, false);
				t->retries = pct(r, 75) ? 0 : 1;
			}
		} else if (t->type == TT_DEPENDENT && !t->dep) {
			t->dep = dep_build(g, r, w);
		}
	}
}

/* ------------------------------------------------------- serialisation */

static json_t *j_timeout(const struct wf *w, const struct task *t)
{
	static const char *const strat[] = { "", "WARN", "FAILED",
					     "WARNFAILED" };
	json_t *j = jobj();

	if (w->key_style == 0) {
		jset(j, "strategy", jstr(strat[t->to_strategy]));
		if (t->to_kind == 0)
			jset(j, "interval", t->to_enable ?
			     jint(t->to_interval) : json_null());
		jset(j, "enable", json_boolean(t->to_enable));
	} else {
		jset(j, "enable", json_boolean(t->to_enable));
		jset(j, "strategy", jstr(strat[t->to_strategy]));
		if (t->to_enable && t->to_kind == 0)
			jset(j, "interval", jint(t->to_interval));
	}
	return j;
}

static json_t *j_names1(const struct wf *w, int i)
{
	json_t *a = jarr();

	jpush(a, jstr(i >= 0 && !w->t[i].gone ? w->t[i].name : ""));
	return a;
}

/* conditionResult, or NULL when the node has none */
static json_t *j_cond(const struct wf *w, const struct task *t)
{
	json_t *j;

	if (t->type != TT_CONDITIONS && w->no_cond)
		return NULL;
	j = jobj();
	jset(j, "successNode", j_names1(w, t->type == TT_CONDITIONS ?
					t->csucc : -1));
	jset(j, "failedNode", j_names1(w, t->type == TT_CONDITIONS ?
				       t->cfail : -1));
	return j;
}

static json_t *j_dep(const struct wf *w, const struct task *t)
{
	json_t *d, *list, *e, *items, *it;

	if (t->type == TT_DEPENDENT && t->dep)
		return json_incref(t->dep);
	d = jobj();
	if (t->type != TT_CONDITIONS)
		return d;
	list = jarr();
	if (t->cdep >= 0 && !w->t[t->cdep].gone) {
		e = jobj();
		items = jarr();
		it = jobj();
		jset(it, "depTasks", jstr(w->t[t->cdep].name));
		jset(it, "status", jstr(t->cdep_fail ? "FAILURE" : "SUCCESS"));
		jpush(items, it);
		jset(e, "dependItemList", items);
		jset(e, "relation", jstr("AND"));
		jpush(list, e);
	}
	jset(d, "dependTaskList", list);
	jset(d, "relation", jstr("AND"));
	return d;
}

static json_t *j_params(const struct task *t)
{
	json_t *p;

	if (t->params)
		return json_incref(t->params);
	p = jobj();
	if (t->type == TT_SUB_PROCESS)
		jset(p, "processDefinitionId", jint(t->sub));
	return p;
}

static json_t *j_pre(const struct wf *w, const struct task *t)
{
	json_t *a = jarr();

	for (int k = 0; k < t->npre; k++)
		jpush(a, jstr(w->t[t->pre[k]].name));
	return a;
}

static json_t *j_retry(const struct wf *w, int v)
{
	char s[16];

	if (w->numeric_retry)
		return jint(v);
	snprintf(s, sizeof(s), "%d", v);
	return jstr(s);
}

static void j_wg(const struct wf *w, const struct task *t, json_t *n)
{
	if (w->legacy_wg)
		jset(n, "workerGroupId", jint(t->wg < 0 ? -1 : t->wg + 1));
	else
		jset(n, "workerGroup", jstr(t->wg < 0 ? "default" :
					    wg_names[t->wg]));
}

static void j_desc(const struct task *t, json_t *n)
{
	if (t->desc_key == DK_DESCRIPTION)
		jset(n, "description", jstr(t->desc));
	else if (t->desc_key == DK_DESC)
		jset(n, "desc", jstr(t->desc));
}

/* one element of tasks[], as the 1.3.9 UI (or an export) writes it */
static json_t *task_node(const struct wf *w, int i)
{
	const struct task *t = &w->t[i];
	json_t *n = jobj(), *cond = j_cond(w, t);
	bool retry = t->type != TT_SUB_PROCESS;

	if (w->key_style == 0) {
		jset(n, "type", jstr(tt_name[t->type]));
		jset(n, "id", jstr(t->id));
		jset(n, "name", jstr(t->name));
		jset(n, "params", j_params(t));
		j_desc(t, n);
		jset(n, "runFlag", jstr(t->forbidden ? "FORBIDDEN" : "NORMAL"));
		if (cond)
			jset(n, "conditionResult", cond);
		jset(n, "dependence", j_dep(w, t));
		if (retry) {
			jset(n, "maxRetryTimes", j_retry(w, t->retries));
			jset(n, "retryInterval", j_retry(w, t->retry_iv));
		}
		jset(n, "timeout", j_timeout(w, t));
		jset(n, "taskInstancePriority", jstr(prio_name[t->prio]));
		j_wg(w, t, n);
		jset(n, "preTasks", j_pre(w, t));
	} else {
		if (cond)
			jset(n, "conditionResult", cond);
		j_desc(t, n);
		jset(n, "runFlag", jstr(t->forbidden ? "FORBIDDEN" : "NORMAL"));
		jset(n, "type", jstr(tt_name[t->type]));
		jset(n, "params", j_params(t));
		jset(n, "timeout", j_timeout(w, t));
		if (retry)
			jset(n, "maxRetryTimes", j_retry(w, t->retries));
		jset(n, "taskInstancePriority", jstr(prio_name[t->prio]));
		jset(n, "name", jstr(t->name));
		jset(n, "dependence", j_dep(w, t));
		if (retry)
			jset(n, "retryInterval", j_retry(w, t->retry_iv));
		jset(n, "preTasks", j_pre(w, t));
		jset(n, "id", jstr(t->id));
		j_wg(w, t, n);
	}
	return n;
}

struct ordkey {
	uint32_t ord;
	int idx;
};

static int ordkey_cmp(const void *a, const void *b)
{
	const struct ordkey *x = a, *y = b;

	if (x->ord != y->ord)
		return x->ord < y->ord ? -1 : 1;
	return x->idx - y->idx;
}

/* live task indices in the order tasks[] lists them; free() it */
static int *wf_order(const struct wf *w, int *n)
{
	struct ordkey *k = xmalloc(((size_t)w->nt + 1) * sizeof(*k));
	int *out = xmalloc(((size_t)w->nt + 1) * sizeof(*out)), m = 0;

	for (int i = 0; i < w->nt; i++) {
		if (w->t[i].gone)
			continue;
		k[m].ord = w->shuffled ? w->t[i].ord : 0;
		k[m].idx = i;
		m++;
	}
	qsort(k, (size_t)m, sizeof(*k), ordkey_cmp);
	for (int i = 0; i < m; i++)
		out[i] = k[i].idx;
	free(k);
	*n = m;
	return out;
}

static int wf_ntasks(const struct wf *w)
{
	int n = 0;

	for (int i = 0; i < w->nt; i++)
		n += !w->t[i].gone;
	return n;
}

static const char *wf_json(struct wf *w)
{
	json_t *top, *tasks;
	int *ord, n;

	if (w->c_json)
		return w->c_json;
	ord = wf_order(w, &n);
	tasks = jarr();
	for (int k = 0; k < n; k++)
		jpush(tasks, task_node(w, ord[k]));
	top = jobj();
	if (w->top_style == 1)
		jset(top, "tenantId", jint(w->tenant));
	jset(top, "globalParams", json_incref(w->gparams));
	jset(top, "tasks", tasks);
	if (w->top_style == 0)
		jset(top, "tenantId", jint(w->tenant));
	if (w->top_style != 2)
		jset(top, "timeout", jint(w->timeout));
	w->c_json = jdump(top);
	json_decref(top);
	free(ord);
	return w->c_json;
}

static const char *wf_gp(struct wf *w)
{
	if (!w->c_gp)
		w->c_gp = jdump(w->gparams);
	return w->c_gp;
}

static const char *wf_loc(struct wf *w)
{
	json_t *loc;
	int *ord, n, *succ;

	if (w->c_loc)
		return w->c_loc;
	succ = xcalloc((size_t)w->nt + 1, sizeof(*succ));
	for (int i = 0; i < w->nt; i++)
		for (int k = 0; !w->t[i].gone && k < w->t[i].npre; k++)
			succ[w->t[i].pre[k]]++;
	ord = wf_order(w, &n);
	loc = jobj();
	for (int k = 0; k < n; k++) {
		const struct task *t = &w->t[ord[k]];
		json_t *e = jobj();
		struct buf b;
		char nn[16];

		buf_init(&b, 0);
		for (int p = 0; p < t->npre; p++)
			if ((p && buf_putc(&b, ',')) ||
			    buf_puts(&b, w->t[t->pre[p]].id))
				bug("buf");
		snprintf(nn, sizeof(nn), "%d", succ[ord[k]]);
		jset(e, "name", jstr(t->name));
		jset(e, "targetarr", jstr(b.data));
		if (!w->no_nodenumber)
			jset(e, "nodenumber", jstr(nn));
		jset(e, "x", jint(t->x));
		jset(e, "y", jint(t->y));
		jset(loc, t->id, e);
		buf_release(&b);
	}
	w->c_loc = jdump(loc);
	json_decref(loc);
	free(ord);
	free(succ);
	return w->c_loc;
}

static const char *wf_conn(struct wf *w)
{
	json_t *a;
	int *ord, n;

	if (w->c_conn)
		return w->c_conn;
	ord = wf_order(w, &n);
	a = jarr();
	for (int k = 0; k < n; k++) {
		const struct task *t = &w->t[ord[k]];

		for (int p = 0; p < t->npre; p++) {
			json_t *e = jobj();

			jset(e, "endPointSourceId", jstr(w->t[t->pre[p]].id));
			jset(e, "endPointTargetId", jstr(t->id));
			jpush(a, e);
		}
	}
	w->c_conn = jdump(a);
	json_decref(a);
	free(ord);
	return w->c_conn;
}

static void collect_res_id(const json_t *ri, bool *seen, int nres)
{
	const json_t *id = json_object_get(ri, "id");

	if (json_is_integer(id) && json_integer_value(id) >= 1 &&
	    json_integer_value(id) <= nres)
		seen[json_integer_value(id) - 1] = true;
}

/* 1.3.9 resource_ids column: ids of resourceList and mainJar entries */
static char *wf_resource_ids(struct gen *g, const struct wf *w)
{
	bool *seen = xcalloc((size_t)g->nres, sizeof(*seen));
	struct buf b;

	buf_init(&b, 0);
	for (int i = 0; i < w->nt; i++) {
		const json_t *p = w->t[i].params, *rl;
		size_t k;

		if (w->t[i].gone || !p)
			continue;
		rl = json_object_get(p, "resourceList");
		for (k = 0; k < json_array_size(rl); k++)
			collect_res_id(json_array_get(rl, k), seen, g->nres);
		collect_res_id(json_object_get(p, "mainJar"), seen, g->nres);
	}
	for (int i = 0; i < g->nres; i++)
		if (seen[i] && buf_printf(&b, "%s%d", b.len ? "," : "", i + 1))
			bug("buf");
	free(seen);
	return buf_detach(&b, NULL);
}

static char *jdump_free(json_t *j)
{
	char *s = jdump(j);

	json_decref(j);
	return s;
}

static json_t *jstr_free(char *s)
{
	json_t *j = jstr(s);

	free(s);
	return j;
}

/* t_ds_task_instance.task_json: the 1.3 master's fastjson rendering of the
 * task node (spec §6.3): sorted keys, nested values as JSON strings */
static const char *task_json(struct wf *w, int i)
{
	const struct task *t = &w->t[i];
	json_t *n, *tp, *cond;
	char *s;

	if ((size_t)i < w->c_ntjson && w->c_tjson[i])
		return w->c_tjson[i];
	if ((size_t)i >= w->c_ntjson) {
		size_t old = w->c_ntjson, cap = w->c_ntjson;

		xgrow((void **)&w->c_tjson, &cap, (size_t)w->nt,
		      sizeof(*w->c_tjson));
		for (size_t k = old; k < cap; k++)
			w->c_tjson[k] = NULL;
		w->c_ntjson = cap;
	}
	n = jobj();
	cond = j_cond(w, t);
	if (cond)
		jset(n, "conditionResult", jstr_free(jdump_free(cond)));
	jset(n, "conditionsTask", json_boolean(t->type == TT_CONDITIONS));
	jset(n, "depList", j_pre(w, t));
	jset(n, "dependence", jstr_free(jdump_free(j_dep(w, t))));
	if (t->desc_key == DK_DESC)
		jset(n, "desc", jstr(t->desc));
	jset(n, "forbidden", json_boolean(t->forbidden));
	jset(n, "id", jstr(t->id));
	jset(n, "maxRetryTimes", jint(t->type == TT_SUB_PROCESS ? 0 :
				      t->retries));
	jset(n, "name", jstr(t->name));
	jset(n, "params", jstr_free(jdump_free(j_params(t))));
	jset(n, "preTasks", jstr_free(jdump_free(j_pre(w, t))));
	jset(n, "retryInterval", jint(t->type == TT_SUB_PROCESS ? 0 :
				      t->retry_iv));
	jset(n, "runFlag", jstr(t->forbidden ? "FORBIDDEN" : "NORMAL"));
	jset(n, "taskInstancePriority", jstr(prio_name[t->prio]));
	tp = jobj();
	jset(tp, "enable", json_boolean(t->to_enable));
	jset(tp, "interval", jint(t->to_enable ? t->to_interval : 0));
	if (t->to_strategy) {
		static const char *const strat[] = { "", "WARN", "FAILED",
						     "WARNFAILED" };

		jset(tp, "strategy", jstr(strat[t->to_strategy]));
	}
	jset(n, "taskTimeoutParameter", tp);
	jset(n, "timeout", jstr_free(jdump_free(j_timeout(w, t))));
	jset(n, "type", jstr(tt_name[t->type]));
	j_wg(w, t, n);
	s = jdump_free(n);
	w->c_tjson[i] = s;
	return s;
}

/* ------------------------------------------------- workflows: output */

static void emit_wf_insert(struct gen *g, struct wf *w)
{
	struct out *o = &g->o;
	char *rids = wf_resource_ids(g, w);

	row(o, TB_PROCESS_DEFINITION, C_PD);
	v_id(o, TB_PROCESS_DEFINITION, w->id);
	v_str(o, w->name);
	if (w->version_col < 0)
		v_null(o);
	else
		v_int(o, w->version_col);
	v_int(o, w->release);
	v_int(o, w->project);
	v_int(o, w->user);
	v_str(o, wf_json(w));
	v_str(o, w->desc);
	v_str(o, wf_gp(w));
	v_int(o, 1);
	v_str(o, wf_loc(w));
	v_str(o, wf_conn(w));
	v_str(o, w->receivers);
	v_str(o, w->receivers_cc);
	v_ts(o, w->created);
	v_int(o, w->timeout);
	v_int(o, w->tenant);
	v_ts(o, w->updated);
	v_str(o, w->modify_by);
	v_str(o, rids);
	row_end(o);
	free(rids);
}

/* what the 1.3.9 API's updateProcessDefinition writes */
static void emit_wf_update(struct gen *g, struct wf *w)
{
	struct out *o = &g->o;
	char *rids = wf_resource_ids(g, w);

	o_stmt(o);
	o_puts(o, "UPDATE t_ds_process_definition SET name = ");
	o_lit(o, w->name);
	o_puts(o, ", process_definition_json = ");
	o_lit(o, wf_json(w));
	o_puts(o, ", description = ");
	o_lit(o, w->desc);
	o_puts(o, ", global_params = ");
	o_lit(o, wf_gp(w));
	o_puts(o, ", locations = ");
	o_lit(o, wf_loc(w));
	o_puts(o, ", connects = ");
	o_lit(o, wf_conn(w));
	o_printf(o, ", timeout = %d, tenant_id = %d, update_time = ",
		 w->timeout, w->tenant);
	o_ts(o, w->updated);
	o_puts(o, ", modify_by = ");
	o_lit(o, w->modify_by);
	o_puts(o, ", resource_ids = ");
	o_lit(o, rids);
	o_printf(o, " WHERE id = %d", w->id);
	o_stmt_end(o);
	free(rids);
}

/* a workflow changed by `user` now: caches out, times and modifier in */
static void wf_edited(struct gen *g, struct rng *r, struct wf *w, int user)
{
	wf_touch(w);
	w->updated = tick(g, r, 5, 90);
	snprintf(w->modify_by, sizeof(w->modify_by), "%s",
		 user_get(g, user)->name);
}

static int project_member(struct gen *g, struct rng *r, int project)
{
	struct project *p = &g->proj[project - 1];

	return p->members[rnd(r, p->nmembers)];
}

static void gen_workflows(struct gen *g)
{
	int m = g->nwf_arg, n = g->nproj;
	int *pw = xmalloc((size_t)n * sizeof(*pw));

	/* a few busy projects, a long tail */
	for (int p = 0; p < n; p++)
		pw[p] = 100 / (p + 1) + 8;
	for (int id = 1; id <= m; id++) {
		struct rng r = rng_for(g->seed, ST_WF, (uint64_t)id);
		int project = id <= n ? id : 1 + rnd_w(&r, pw, n);
		struct wf *w = wf_new(g, &r, project);

		if (w->id != id)
			bug("workflow ids out of step");
		w->large = m >= 7 && id % 40 == 7;
		if (id == 1) {
			build_shape(g, &r, w, SH_SINGLE, 1);
		} else if (id == 2) {
			build_showcase(g, &r, w);
			w->rank = 0.0;
		} else if (id == 3) {
			build_shape(g, &r, w, SH_COND, 8);
		} else if (w->large) {
			build_shape(g, &r, w, SH_DAG, 200);
		} else {
			wf_shape(g, &r, w, 30);
		}
		wf_name_new(g, &r, w);
		w->created = g->proj[project - 1].created + 2 * DAY +
			rnd(&r, 300 * DAY);
		if (w->created > g->t_now - 40 * DAY)
			w->created = g->t_now - 40 * DAY - rnd(&r, 5 * DAY);
		w->updated = w->created + rnd(&r, 60 * DAY);
		if (w->updated > g->t_now - DAY)
			w->updated = g->t_now - DAY - rnd(&r, DAY);
		snprintf(w->modify_by, sizeof(w->modify_by), "%s",
			 user_get(g, project_member(g, &r, project))->name);
		wf_finish(&r, w);
	}
	free(pw);
	for (int id = 1; id <= m; id++) {
		struct rng r = rng_for(g->seed, ST_XREF, (uint64_t)id);

		wf_xref(g, &r, wf_get(g, id), 0);
	}
	for (int id = 1; id <= m; id++) {
		struct wf *w = wf_get(g, id);

		g->ntasks_initial += wf_ntasks(w);
		emit_wf_insert(g, w);
		/* big JSON: drop the caches once written */
		if (g->o.f)
			wf_touch(w);
	}
}

/* ------------------------------------------------------------ schedules */

static void emit_sched(struct gen *g, int id)
{
	struct out *o = &g->o;
	struct sched *s = &g->sch[id - 1];

	row(o, TB_SCHEDULES, C_SCHED);
	v_id(o, TB_SCHEDULES, id);
	v_int(o, s->wf);
	v_ts(o, s->start);
	v_ts(o, s->end);
	v_str(o, s->cron);
	v_int(o, s->fs);
	v_int(o, s->user);
	v_int(o, s->release);
	v_int(o, s->warn);
	if (s->wgroup_alert)
		v_int(o, s->wgroup_alert);
	else
		v_null(o);
	v_int(o, s->prio);
	v_str(o, s->wg < 0 ? "default" : wg_names[s->wg]);
	v_ts(o, s->created);
	v_ts(o, s->updated);
	row_end(o);
}

static int sched_new(struct gen *g, struct rng *r, struct wf *w, int64_t t)
{
	struct sched *s;
	int id;

	xgrow((void **)&g->sch, &g->capsch, (size_t)g->nsch + 1,
	      sizeof(*g->sch));
	id = ++g->nsch;
	s = &g->sch[id - 1];
	memset(s, 0, sizeof(*s));
	s->wf = w->id;
	s->alive = true;
	s->release = w->release && pct(r, 85) ? 1 : 0;
	s->cron = PICK(r, dsw_crons);
	s->fs = pct(r, 75) ? 0 : 1;
	s->warn = rnd(r, 4);
	s->wgroup_alert = pct(r, 20) ? 0 : rnd_in(r, 1, g->nalertgroups);
	s->prio = pct(r, 85) ? 2 : rnd(r, 5);
	s->user = w->user;
	s->wg = pct(r, 80) ? -1 : rnd(r, (int)N_OF(wg_names));
	s->start = t - t % DAY;
	s->end = s->start + 36524LL * DAY;	/* the UI's default: +100 y */
	s->created = t;
	s->updated = t + rnd(r, 3 * DAY);
	w->sched = id;
	return id;
}

static void gen_schedules(struct gen *g)
{
	struct rng r = rng_for(g->seed, ST_SCHED, 0);

	for (int id = 1; id <= g->nwf; id++) {
		struct wf *w = wf_get(g, id);

		if (!pct(&r, w->release ? 65 : 20))
			continue;
		emit_sched(g, sched_new(g, &r, w, w->created + rnd(&r, DAY)));
	}
}

/* ------------------------------------------------------------ instances */

static int64_t task_dur(struct rng *r, enum tt type)
{
	switch (type) {
	case TT_SQL:
		return rnd_in(r, 10, 900);
	case TT_SPARK:
	case TT_FLINK:
	case TT_MR:
		return rnd_in(r, 60, 3600);
	case TT_DATAX:
	case TT_SQOOP:
		return rnd_in(r, 60, 1800);
	case TT_HTTP:
		return rnd_in(r, 1, 10);
	case TT_DEPENDENT:
		return rnd_in(r, 5, 120);
	case TT_CONDITIONS:
		return rnd_in(r, 1, 3);
	default:
		return rnd_in(r, 3, 600);
	}
}

static bool tt_logic(enum tt type)	/* run by the master, no process */
{
	return type == TT_SUB_PROCESS || type == TT_DEPENDENT ||
		type == TT_CONDITIONS;
}

static void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++) {
		free(p->e[i].name);
		free(p->e[i].tjson);
		plan_free(p->e[i].child);
	}
	free(p->e);
	free(p);
}

static void plan_shift(struct plan *p, int64_t d)
{
	p->start += d;
	if (p->end)
		p->end += d;
	for (int i = 0; i < p->n; i++) {
		struct pe *e = &p->e[i];

		e->submit += d;
		e->start += d;
		if (e->end)
			e->end += d;
		if (e->child)
			plan_shift(e->child, d);
	}
}

/* a successful run of w starting at t0: every task that would run, in
 * topological order, with times; sub-processes planned recursively */
static struct plan *plan_new(struct gen *g, struct rng *r, struct wf *w,
			     int64_t t0, int depth)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	int64_t *end = xcalloc((size_t)w->nt + 1, sizeof(*end)), last = t0;
	unsigned char *st = xcalloc((size_t)w->nt + 1, 1);
	unsigned char *skip = xcalloc((size_t)w->nt + 1, 1);

	p->w = w;
	p->start = t0;
	p->state = ST_SUCCESS;
	for (int i = 0; i < w->nt; i++) {
		const struct task *t = &w->t[i];
		int64_t ready = t0 + 1;
		bool blocked = skip[i] || t->gone;
		struct pe *e;

		for (int k = 0; k < t->npre && !blocked; k++) {
			blocked = st[t->pre[k]] == 2;
			if (end[t->pre[k]] > ready)
				ready = end[t->pre[k]];
		}
		if (blocked) {
			st[i] = 2;
			continue;
		}
		st[i] = 1;
		if (t->forbidden) {	/* skipped, counts as done */
			end[i] = ready;
			continue;
		}
		xgrow((void **)&p->e, &p->cap, (size_t)p->n + 1, sizeof(*p->e));
		e = &p->e[p->n++];
		memset(e, 0, sizeof(*e));
		e->task = i;
		e->state = ST_SUCCESS;
		e->submit = ready + rnd(r, 3);
		e->start = e->submit + rnd_in(r, 1, 5);
		if (t->type == TT_SUB_PROCESS && t->sub && depth < 8 &&
		    wf_get(g, t->sub)->alive) {
			e->child = plan_new(g, r, wf_get(g, t->sub),
					    e->start + 1, depth + 1);
			e->end = e->child->end + rnd_in(r, 1, 3);
		} else {
			e->end = e->start + task_dur(r, t->type);
		}
		if (t->type == TT_CONDITIONS) {
			int skipped = t->cdep_fail ? t->csucc : t->cfail;

			if (skipped >= 0)
				skip[skipped] = 1;
		}
		e->name = xstrdup(t->name);
		e->tjson = xstrdup(task_json(w, i));
		e->type = t->type;
		e->retries = t->type == TT_SUB_PROCESS ? 0 : t->retries;
		e->retry_iv = t->type == TT_SUB_PROCESS ? 0 : t->retry_iv;
		e->prio = t->prio;
		e->wg = t->wg;
		end[i] = e->end;
		if (e->end > last)
			last = e->end;
	}
	p->end = last + rnd_in(r, 1, 3);
	free(end);
	free(st);
	free(skip);
	return p;
}

/*
 * Stop the run at time T: tasks done by then keep SUCCESS, tasks running
 * then get `running` (ST_KILL: ended at T; ST_RUNNING: still running;
 * ST_SUCCESS: allowed to finish, as on pause), later ones are not
 * created (state -1).
 */
static void plan_cut(struct plan *p, int64_t T, int running)
{
	int64_t last = p->start;

	for (int i = 0; i < p->n; i++) {
		struct pe *e = &p->e[i];

		if (e->state < 0)
			continue;
		if (e->end && e->end <= T) {
			/* done before T */
		} else if (e->start < T) {
			if (running == ST_RUNNING) {
				e->state = ST_RUNNING;
				e->end = 0;
			} else if (running != ST_SUCCESS) {
				e->state = running;
				e->end = T;
			}
			if (e->child && running != ST_SUCCESS) {
				plan_cut(e->child, T, running);
				e->child->state = running;
				e->child->end = e->end;
			}
		} else {
			e->state = -1;
		}
		if (e->state >= 0 && e->end > last)
			last = e->end;
	}
	p->end = running == ST_RUNNING ? 0 : last + 1;
}

/* give a planned run its final (or in-flight) process state */
static void plan_finish(struct rng *r, struct plan *p, int state,
			int64_t now)
{
	int f = -1, n = 0;

	switch (state) {
	case ST_SUCCESS:
		break;
	case ST_FAILURE:
		/* a task that is not a sub-process fails; the others that
		 * still run are killed (failure strategy END) */
		for (int i = 0; i < p->n; i++)
			if (!p->e[i].child && rnd(r, ++n) == 0)
				f = i;
		if (f < 0) {
			plan_finish(r, p, ST_KILL, now);
			return;
		}
		plan_cut(p, p->e[f].end, ST_KILL);
		p->e[f].state = ST_FAILURE;
		p->e[f].retry = p->e[f].retries;
		p->end = p->e[f].end + rnd_in(r, 1, 3);
		break;
	case ST_KILL:
	case ST_STOP:
	case ST_PAUSE:
		plan_cut(p, p->start + 2 + rnd(r, (int)(p->end - p->start)
						       + 1),
			 state == ST_PAUSE ? ST_SUCCESS : ST_KILL);
		break;
	case ST_RUNNING:
	case ST_READY_STOP:
		plan_cut(p, now, ST_RUNNING);
		break;
	default:	/* submitted, waiting for a thread: nothing ran */
		for (int i = 0; i < p->n; i++)
			p->e[i].state = -1;
		p->end = 0;
		break;
	}
	p->state = state;
}

/* how a process instance came to be */
struct pictx {
	int cmd_type, run_times, recovery, executor, fs, warn, alertgroup;
	int prio, wg, tenant;
	const char *history;
	int64_t sched_time;
	int parent_pi, parent_ti, rel;	/* sub-process instances */
};

static char *pi_global_params(struct wf *w, int64_t biz)
{
	json_t *a;
	size_t i;
	char d[11];

	if (!json_array_size(w->gparams))
		return NULL;
	date_fmt(biz, d);
	a = jarr();
	for (i = 0; i < json_array_size(w->gparams); i++) {
		const json_t *e = json_array_get(w->gparams, i);
		const char *v = json_string_value(json_object_get(e, "value"));

		jpush(a, prop(json_string_value(json_object_get(e, "prop")),
			      json_string_value(json_object_get(e, "direct")),
			      json_string_value(json_object_get(e, "type")),
			      v && v[0] == '$' ? d : v ? v : ""));
	}
	return jdump_free(a);
}

static void emit_ti(struct gen *g, struct rng *r, const struct plan *p,
		    const struct pe *e, int executor)
{
	struct out *o = &g->o;
	const struct wf *w = p->w;
	char host[48], path[128], log[128], app[64];
	bool logic = tt_logic(e->type);

	snprintf(host, sizeof(host), "%s:%d", logic ?
		 PICK(r, dsw_master_hosts) : PICK(r, dsw_hosts),
		 logic ? 5678 : 1234);
	snprintf(path, sizeof(path), "/tmp/dolphinscheduler/exec/process/"
		 "%d/%d/%d/%d", w->project, w->id, p->pi, e->ti);
	snprintf(log, sizeof(log), "/opt/dolphinscheduler/logs/%d/%d/%d.log",
		 w->id, p->pi, e->ti);
	snprintf(app, sizeof(app), "application_1614556800000_%04d",
		 rnd_in(r, 1, 9999));
	row(o, TB_TASK_INSTANCE, C_TI);
	v_id(o, TB_TASK_INSTANCE, e->ti);
	v_str(o, e->name);
	v_str(o, tt_name[e->type]);
	v_int(o, w->id);
	v_int(o, p->pi);
	v_str(o, e->tjson);
	v_int(o, e->state);
	v_ts(o, e->submit);
	v_ts(o, e->start);
	v_ts(o, e->end);
	v_str(o, host);
	v_str(o, logic ? NULL : path);
	v_str(o, log);
	v_int(o, 0);
	v_int(o, e->retry);
	v_int(o, logic ? 0 : rnd_in(r, 1000, 65000));
	v_str(o, e->type == TT_SPARK || e->type == TT_MR ||
	      e->type == TT_FLINK || e->type == TT_SQOOP ? app : NULL);
	v_int(o, 1);
	v_int(o, e->retry_iv);
	v_int(o, e->retries);
	v_int(o, e->prio);
	v_str(o, e->wg < 0 ? "default" : wg_names[e->wg]);
	v_int(o, executor);
	row_end(o);
}

struct tiord {
	int64_t submit;
	int idx;
};

static int tiord_cmp(const void *a, const void *b)
{
	const struct tiord *x = a, *y = b;

	if (x->submit != y->submit)
		return x->submit < y->submit ? -1 : 1;
	return x->idx - y->idx;
}

static void note_failed(struct gen *g, const struct plan *p,
			const struct pictx *c);

/* write a planned run: the process instance, its task instances in
 * submit order, then sub-process instances and their relation rows */
static void emit_plan(struct gen *g, struct rng *r, struct plan *p,
		      const struct pictx *c)
{
	struct out *o = &g->o;
	struct wf *w = p->w;
	struct tiord *ord;
	char stamp[24], ts[20], *name, *gp, *param = NULL;
	int64_t biz = c->sched_time ? c->sched_time - DAY : p->start - DAY;
	int n = 0;

	p->pi = g->id_pi++;
	ts_fmt(p->start, ts);
	snprintf(stamp, sizeof(stamp), "%.4s%.2s%.2s%.2s%.2s%.2s%03d", ts,
		 ts + 5, ts + 8, ts + 11, ts + 14, ts + 17, rnd(r, 1000));
	name = xsprintf("%s-%d-%s", w->name, c->run_times, stamp);
	gp = pi_global_params(w, biz);
	if (c->parent_pi)
		param = xsprintf("{\"id\":\"%d\",\"parentProcessInstanceId\":"
				 "\"%d\",\"parentTaskInstanceId\":\"%d\","
				 "\"processInstanceId\":\"0\"}", c->rel,
				 c->parent_pi, c->parent_ti);
	else if (c->cmd_type == 4 || c->cmd_type == 2)
		param = xsprintf("{\"ProcessInstanceId\":%d}", p->pi);
	else if (c->cmd_type == 5) {
		char a[20], b[20];

		ts_fmt(biz - biz % DAY - 3 * DAY, a);
		ts_fmt(biz - biz % DAY, b);
		param = xsprintf("{\"complementStartDate\":\"%s\","
				 "\"complementEndDate\":\"%s\"}", a, b);
	} else if (c->cmd_type == 0 && pct(r, 30)) {
		param = xstrdup("{}");
	}
	row(o, TB_PROCESS_INSTANCE, C_PI);
	v_id(o, TB_PROCESS_INSTANCE, p->pi);
	v_str(o, name);
	v_int(o, w->id);
	v_int(o, p->state);
	v_int(o, c->recovery);
	v_ts(o, p->start);
	v_ts(o, p->end);
	v_int(o, c->run_times);
	v_str(o, c->parent_pi ? "10.0.1.11:5678" :
	      pct(r, 50) ? "10.0.1.11:5678" : "10.0.1.12:5678");
	v_int(o, c->cmd_type);
	v_str(o, param);
	v_int(o, 2);
	v_int(o, 0);
	v_int(o, c->fs);
	v_int(o, c->warn);
	if (c->alertgroup)
		v_int(o, c->alertgroup);
	else
		v_null(o);
	v_ts(o, c->sched_time);
	v_ts(o, p->start - rnd_in(r, 1, 3));
	v_str(o, gp);
	v_str(o, wf_json(w));
	v_int(o, 1);
	v_ts(o, p->end ? p->end : p->start);
	v_int(o, c->parent_pi ? 1 : 0);
	v_int(o, c->executor);
	v_str(o, wf_loc(w));
	v_str(o, wf_conn(w));
	v_str(o, c->history);
	v_null(o);
	v_int(o, c->prio);
	v_str(o, c->wg < 0 ? "default" : wg_names[c->wg]);
	v_int(o, w->timeout);
	v_int(o, c->tenant);
	row_end(o);
	free(name);
	free(gp);
	free(param);
	if (p->state == ST_FAILURE)
		note_failed(g, p, c);

	ord = xmalloc(((size_t)p->n + 1) * sizeof(*ord));
	for (int i = 0; i < p->n; i++) {
		if (p->e[i].state < 0)
			continue;
		ord[n].submit = p->e[i].submit;
		ord[n].idx = i;
		n++;
	}
	qsort(ord, (size_t)n, sizeof(*ord), tiord_cmp);
	for (int k = 0; k < n; k++) {
		struct pe *e = &p->e[ord[k].idx];

		e->ti = g->id_ti++;
		emit_ti(g, r, p, e, c->executor);
	}
	for (int k = 0; k < n; k++) {
		struct pe *e = &p->e[ord[k].idx];
		struct pictx cc = *c;

		if (!e->child)
			continue;
		cc.parent_pi = p->pi;
		cc.parent_ti = e->ti;
		cc.rel = g->id_rel_pi++;
		cc.tenant = e->child->w->tenant;
		emit_plan(g, r, e->child, &cc);
		row(o, TB_REL_PI, C_REL_PI);
		v_id(o, TB_REL_PI, cc.rel);
		v_int(o, p->pi);
		v_int(o, e->ti);
		v_int(o, e->child->pi);
		row_end(o);
	}
	free(ord);
}

static void note_failed(struct gen *g, const struct plan *p,
			const struct pictx *c)
{
	struct failed_pi *f;

	if (c->warn < 2 || c->parent_pi || g->nfailed >= 40)
		return;
	xgrow((void **)&g->failed, &g->capfailed, (size_t)g->nfailed + 1,
	      sizeof(*g->failed));
	f = &g->failed[g->nfailed++];
	f->pi = p->pi;
	f->wf = p->w->id;
	f->alertgroup = c->alertgroup ? c->alertgroup : 1;
	f->start = p->start;
	f->end = p->end;
}

static long treesize(struct gen *g, struct wf *w, int depth)
{
	long n = 1;

	if (w->treesize)
		return w->treesize;
	if (depth > 12)
		return 1000000;
	for (int i = 0; i < w->nt && n < 1000000; i++) {
		const struct task *t = &w->t[i];

		if (!t->gone && !t->forbidden && t->type == TT_SUB_PROCESS &&
		    t->sub && wf_get(g, t->sub)->alive)
			n += treesize(g, wf_get(g, t->sub), depth + 1);
	}
	if (n > 1000000)
		n = 1000000;
	w->treesize = n;
	return n;
}

static void treesize_reset(struct gen *g)
{
	for (int i = 0; i < g->nwf; i++)
		g->wf[i]->treesize = 0;
}

/* a workflow to run: mostly online and scheduled ones */
static struct wf *pick_run_wf(struct gen *g, struct rng *r, long maxtree,
			      bool flat)
{
	int start;

	for (int tries = 0; tries < 80; tries++) {
		struct wf *w = g->wf[rnd(r, g->nwf)];
		long ts;

		if (!w->alive || !wf_ntasks(w))
			continue;
		if (!pct(r, w->release ? (w->sched ? 100 : 60) : 15))
			continue;
		ts = treesize(g, w, 0);
		if (ts > maxtree || (flat && ts != 1))
			continue;
		return w;
	}
	start = rnd(r, g->nwf);
	for (int k = 0; k < g->nwf; k++) {
		struct wf *w = g->wf[(start + k) % g->nwf];

		if (w->alive && wf_ntasks(w) && treesize(g, w, 0) == 1)
			return w;
	}
	return NULL;
}

static void pictx_init(struct gen *g, struct rng *r, struct wf *w,
		       int64_t t0, struct pictx *c)
{
	const struct sched *s = w->sched ? &g->sch[w->sched - 1] : NULL;
	int k = rnd(r, 100);

	memset(c, 0, sizeof(*c));
	c->run_times = 1;
	c->tenant = w->tenant;
	c->prio = 2;
	c->wg = -1;
	if (s && s->alive && pct(r, 75)) {
		c->cmd_type = 6;
		c->history = "SCHEDULER";
		c->sched_time = t0 - rnd(r, 60);
		c->executor = s->user;
		c->fs = s->fs;
		c->warn = s->warn;
		c->alertgroup = s->wgroup_alert;
		c->prio = s->prio;
		c->wg = s->wg;
		if (k < 4) {
			c->cmd_type = 4;
			c->run_times = 2;
			c->history = "SCHEDULER,START_FAILURE_TASK_PROCESS";
		} else if (k < 6) {
			c->cmd_type = 2;
			c->recovery = 1;
			c->history = "SCHEDULER,"
				"RECOVER_TOLERANCE_FAULT_PROCESS";
		}
		return;
	}
	c->executor = project_member(g, r, w->project);
	c->fs = pct(r, 80) ? 0 : 1;
	c->warn = rnd(r, 4);
	c->alertgroup = pct(r, 30) ? 0 : rnd_in(r, 1, g->nalertgroups);
	if (k < 8) {
		c->cmd_type = 5;
		c->history = "COMPLEMENT_DATA";
		c->sched_time = t0 - t0 % DAY - DAY;
	} else if (k < 14) {
		c->cmd_type = 7;
		c->run_times = 2;
		c->history = "START_PROCESS,REPEAT_RUNNING";
	} else {
		c->cmd_type = 0;
		c->history = "START_PROCESS";
	}
}

static void live_add(struct gen *g, struct plan *p, int executor)
{
	xgrow((void **)&g->live, &g->caplive, (size_t)g->nlive + 1,
	      sizeof(*g->live));
	g->live[g->nlive].p = p;
	g->live[g->nlive].executor = executor;
	g->nlive++;
	p->w->nlive++;
}

static void gen_instances(struct gen *g)
{
	static const int fin_state[] = { ST_SUCCESS, ST_FAILURE, ST_KILL,
					 ST_STOP, ST_PAUSE };
	static const int fin_w[] = { 78, 11, 4, 4, 3 };
	static const int fl_state[] = { ST_RUNNING, ST_SUBMITTED,
					ST_READY_STOP, ST_WAITING_THREAD };
	static const int fl_w[] = { 55, 20, 15, 10 };
	struct rng r = rng_for(g->seed, ST_INST, 0);
	int k = g->ninst_arg;
	int inflight = k >= 20 ? k / 40 + 1 : k >= 4 ? 1 : 0;
	int64_t span = 30 * DAY;

	treesize_reset(g);
	for (int i = 0; i < k; i++) {
		bool fl = i >= k - inflight;
		struct wf *w = pick_run_wf(g, &r, 40, fl);
		int64_t t0;
		struct plan *p;
		struct pictx c;
		int state;

		if (!w)
			bug("no workflow to run");
		if (fl)
			t0 = g->t_now - rnd_in(&r, 60, 1800);
		else
			t0 = g->t_now - span +
				(int64_t)i * (span - 3 * 3600) / k +
				rnd(&r, 600);
		state = fl ? fl_state[rnd_w(&r, fl_w, 4)] :
			fin_state[rnd_w(&r, fin_w, 5)];
		pictx_init(g, &r, w, t0, &c);
		p = plan_new(g, &r, w, t0, 0);
		plan_finish(&r, p, state, g->t_now);
		emit_plan(g, &r, p, &c);
		g->top_instances++;
		if (fl)
			live_add(g, p, c.executor);
		else
			plan_free(p);
	}
}

static void gen_alerts(struct gen *g)
{
	struct rng r = rng_for(g->seed, ST_MISC, 1);
	struct out *o = &g->o;

	g->id_alert = 1;
	for (int i = 0; i < g->nfailed; i++) {
		const struct failed_pi *f = &g->failed[i];
		struct wf *w = wf_get(g, f->wf);
		char title[64], s1[20], s2[20], pid[16];
		json_t *a = jarr(), *m = jobj();
		int status = i % 9 == 4 ? 0 : i % 7 == 3 ? 2 : 1;
		char *content;

		snprintf(title, sizeof(title), "process instance %d failure",
			 f->pi);
		ts_fmt(f->start, s1);
		ts_fmt(f->end, s2);
		snprintf(pid, sizeof(pid), "%d", f->pi);
		jset(m, "id", jstr(pid));
		jset(m, "name", jstr(w->name));
		jset(m, "job type", jstr("process instance"));
		jset(m, "state", jstr("FAILURE"));
		jset(m, "recovery", jstr("NO"));
		jset(m, "run time", jstr("1"));
		jset(m, "start time", jstr(s1));
		jset(m, "end time", jstr(s2));
		jset(m, "host", jstr("10.0.1.11:5678"));
		jpush(a, m);
		content = jdump_free(a);
		row(o, TB_ALERT, "id,title,show_type,content,alert_type,"
		    "alert_status,log,alertgroup_id,receivers,receivers_cc,"
		    "create_time,update_time");
		v_id(o, TB_ALERT, g->id_alert++);
		v_str(o, title);
		v_int(o, 0);
		v_str(o, content);
		v_int(o, 0);
		v_int(o, status);
		v_str(o, status == 1 ? "send success" : status == 2 ?
		      "send mail failed: javax.mail.AuthenticationFailed"
		      "Exception" : NULL);
		v_int(o, f->alertgroup);
		v_str(o, pct(&r, 50) ? "ops@example.com" : "");
		v_str(o, "");
		v_ts(o, f->end + 2);
		v_ts(o, f->end + (status ? 5 : 2));
		row_end(o);
		free(content);
	}
}

static void cmd_row(struct gen *g, int id, int type, struct wf *w,
		    const char *param, int executor, int64_t sched_time,
		    int64_t t)
{
	struct out *o = &g->o;

	row(o, TB_COMMAND, C_CMD);
	v_id(o, TB_COMMAND, id);
	v_int(o, type);
	v_int(o, w->id);
	v_str(o, param);
	v_int(o, 2);
	v_int(o, 0);
	v_int(o, 0);
	v_int(o, 1);
	v_ts(o, sched_time);
	v_ts(o, t);
	v_int(o, executor);
	v_null(o);
	v_ts(o, t);
	v_int(o, 2);
	v_str(o, "default");
	row_end(o);
}

/* commands the master has not taken yet, and one it could not handle */
static void gen_commands(struct gen *g)
{
	struct rng r = rng_for(g->seed, ST_MISC, 2);
	struct out *o = &g->o;
	struct wf *w = pick_run_wf(g, &r, 1000000, false);
	char param[256];
	int64_t t = g->t_now - 120;

	if (!w)
		return;
	/* every instance came from a command that the master deleted */
	g->id_cmd = g->top_instances + 1;
	row(o, TB_ERROR_COMMAND, "id,command_type,executor_id,"
	    "process_definition_id,command_param,task_depend_type,"
	    "failure_strategy,warning_type,warning_group_id,schedule_time,"
	    "start_time,update_time,dependence,process_instance_priority,"
	    "worker_group,message");
	v_id(o, TB_ERROR_COMMAND, g->id_cmd++);
	v_int(o, 0);
	v_int(o, w->user);
	v_int(o, w->id);
	v_str(o, "{}");
	v_int(o, 2);
	v_int(o, 0);
	v_int(o, 0);
	v_null(o);
	v_null(o);
	v_ts(o, g->t_now - DAY);
	v_ts(o, g->t_now - DAY + 1);
	v_null(o);
	v_int(o, 2);
	v_str(o, "default");
	v_str(o, "java.lang.NullPointerException\n\tat org.apache."
	      "dolphinscheduler.service.process.ProcessService."
	      "getTenantForProcess(ProcessService.java:1733)\n\tat org."
	      "apache.dolphinscheduler.service.process.ProcessService."
	      "handleCommand(ProcessService.java:213)");
	row_end(o);
	cmd_row(g, g->id_cmd++, 0, w, NULL, w->user, 0, t);
	w = pick_run_wf(g, &r, 1000000, false);
	if (!w)
		return;
	snprintf(param, sizeof(param), "{\"StartNodeNameList\":\"%s\"}",
		 live_task_name(&r, w));
	cmd_row(g, g->id_cmd++, 0, w, param, w->user, 0, t + 7);
	w = pick_run_wf(g, &r, 1000000, false);
	if (!w)
		return;
	if (w->sched)
		cmd_row(g, g->id_cmd++, 6, w, NULL, g->sch[w->sched - 1].user,
			t + 60, t + 60);
	if (g->id_pi > 1) {
		snprintf(param, sizeof(param), "{\"ProcessInstanceId\":%d}",
			 g->id_pi - 2 > 0 ? g->id_pi - 2 : 1);
		cmd_row(g, g->id_cmd++, 7, w, param, w->user, 0, t + 90);
	}
}

static void gen_misc(struct gen *g)
{
	struct rng r = rng_for(g->seed, ST_MISC, 3);
	struct out *o = &g->o;

	for (int i = 0; i < 3; i++) {
		char id[40], a[9], b[5], c[5], d[5], e[13], ip[20];

		rnd_hex(&r, a, 8);
		rnd_hex(&r, b, 4);
		rnd_hex(&r, c, 4);
		rnd_hex(&r, d, 4);
		rnd_hex(&r, e, 12);
		snprintf(id, sizeof(id), "%s-%s-%s-%s-%s", a, b, c, d, e);
		snprintf(ip, sizeof(ip), "10.0.9.%d", rnd_in(&r, 2, 250));
		row(o, TB_SESSION, "id,user_id,ip,last_login_time");
		v_str(o, id);
		v_int(o, i ? rnd_in(&r, 2, g->nusers) : 1);
		v_str(o, ip);
		v_ts(o, g->t_now - rnd(&r, 3 * DAY));
		row_end(o);
	}
	for (int i = 1; i <= 2; i++) {
		char tok[33];
		int64_t t = g->t_now - rnd_in(&r, 10, 90) * DAY;

		rnd_hex(&r, tok, 32);
		row(o, TB_ACCESS_TOKEN, "id,user_id,token,expire_time,"
		    "create_time,update_time");
		v_id(o, TB_ACCESS_TOKEN, i);
		v_int(o, rnd_in(&r, 2, g->nusers));
		v_str(o, tok);
		v_ts(o, t + 365 * DAY);
		v_ts(o, t);
		v_ts(o, t);
		row_end(o);
	}
}

/* PostgreSQL: sequences past the ids written (all, or those in `mask`) */
static void emit_setval(struct gen *g, const bool *mask)
{
	struct out *o = &g->o;

	if (o->my)
		return;
	for (int t = 0; t < TB_N; t++) {
		if (!tabs[t].seq || o->maxid[t] <= 0 || (mask && !mask[t]))
			continue;
		o_line(o, "SELECT setval('%s_id_sequence', %ld);",
		       tabs[t].name, o->maxid[t]);
	}
}

/* ---------------------------------------------------------------- edits */

static void txn_begin(struct gen *g)
{
	if (g->note[0]) {
		o_line(&g->o, "%s", g->note);
		g->note[0] = '\0';
	}
	o_line(&g->o, "%s", g->o.my ? "START TRANSACTION;" : "BEGIN;");
	g->o.txn_stmts = 0;
	memset(g->o.dirty, 0, sizeof(g->o.dirty));
}

static void txn_commit(struct gen *g)
{
	struct out *o = &g->o;
	long n;

	o_close_insert(o);
	n = o->txn_stmts;
	emit_setval(g, o->dirty);
	o_line(o, "COMMIT;");
	if (g->rate > 0 && o->f) {
		double s = (double)n / g->rate;
		struct timespec ts;

		fflush(o->f);
		ts.tv_sec = (time_t)s;
		ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
}

static struct wf *pick_wf(struct gen *g, struct rng *r, int min_tasks)
{
	int start;

	for (int tries = 0; tries < 50; tries++) {
		struct wf *w = g->wf[rnd(r, g->nwf)];

		if (w->alive && wf_ntasks(w) >= min_tasks)
			return w;
	}
	start = rnd(r, g->nwf);
	for (int k = 0; k < g->nwf; k++) {
		struct wf *w = g->wf[(start + k) % g->nwf];

		if (w->alive && wf_ntasks(w) >= min_tasks)
			return w;
	}
	return NULL;
}

static int pick_live_task(struct rng *r, const struct wf *w)
{
	int n = 0, pick = -1;

	for (int i = 0; i < w->nt; i++)
		if (!w->t[i].gone && rnd(r, ++n) == 0)
			pick = i;
	return pick;
}

static void wf_save(struct gen *g, struct rng *r, struct wf *w)
{
	wf_edited(g, r, w, project_member(g, r, w->project));
	txn_begin(g);
	emit_wf_update(g, w);
	txn_commit(g);
}

/* change the script of a SHELL or PYTHON task */
static bool edit_script(struct gen *g, struct rng *r)
{
	for (int tries = 0; tries < 30; tries++) {
		struct wf *w = pick_wf(g, r, 1);
		int i = w ? pick_live_task(r, w) : -1;
		const char *old;
		char *s;

		if (i < 0 || (w->t[i].type != TT_SHELL &&
			      w->t[i].type != TT_PYTHON))
			continue;
		old = json_string_value(json_object_get(w->t[i].params,
							"rawScript"));
		if (!old)
			continue;
		if (strlen(old) > 3000 || pct(r, 25))
			s = w->t[i].type == TT_SHELL ?
				script(r, dsw_shell_lines,
				       (int)N_OF(dsw_shell_lines), false,
				       false) :
				script(r, dsw_python_lines,
				       (int)N_OF(dsw_python_lines), true,
				       false);
		else
			s = xsprintf("%s\n%s", old, w->t[i].type == TT_SHELL ?
				     PICK(r, dsw_shell_lines) :
				     PICK(r, dsw_python_lines));
		jset(w->t[i].params, "rawScript", jstr(s));
		free(s);
		wf_save(g, r, w);
		return true;
	}
	return false;
}

static void task_finish(struct rng *r, struct wf *w, int i)
{
	struct task *t = &w->t[i];

	if (w->desc_key_all && t->desc_key == DK_DESCRIPTION)
		t->desc_key = DK_DESC;
	task_place(r, w, i);
	if (tt_logic(t->type))
		t->retries = 0;
}

static bool edit_add_task(struct gen *g, struct rng *r)
{
	static const enum tt types[] = {
		TT_SHELL, TT_SHELL, TT_SHELL, TT_SQL, TT_SQL, TT_PYTHON,
		TT_HTTP, TT_SUB_PROCESS, TT_DEPENDENT, TT_SPARK, TT_DATAX,
	};
	struct wf *w = pick_wf(g, r, 1);
	int i;

	if (!w || w->nt >= 220)
		return false;
	i = task_add(g, r, w, PICK(r, types));
	if (pct(r, 85)) {
		for (int k = pct(r, 70) ? 1 : 2; k > 0; k--) {
			int p = pick_live_task(r, w);

			if (p >= 0 && p < i)
				task_pre_add(w, i, p);
		}
	}
	wf_xref(g, r, w, i);
	task_finish(r, w, i);
	wf_save(g, r, w);
	return true;
}

static void task_remove(struct rng *r, struct wf *w, int k)
{
	bool reconnect = pct(r, 50);

	w->t[k].gone = true;
	for (int i = k + 1; i < w->nt; i++) {
		struct task *t = &w->t[i];
		bool had = false;

		for (int p = 0; p < t->npre; p++)
			had |= t->pre[p] == k;
		if (!had)
			continue;
		task_pre_del(w, i, k);
		if (reconnect)
			for (int p = 0; p < w->t[k].npre; p++)
				task_pre_add(w, i, w->t[k].pre[p]);
	}
	for (int i = 0; i < w->nt; i++) {
		struct task *t = &w->t[i];

		if (t->csucc == k)
			t->csucc = -1;
		if (t->cfail == k)
			t->cfail = -1;
		if (t->cdep == k)
			t->cdep = -1;
	}
}

static bool edit_del_task(struct gen *g, struct rng *r)
{
	struct wf *w = pick_wf(g, r, 2);

	if (!w)
		return false;
	task_remove(r, w, pick_live_task(r, w));
	wf_save(g, r, w);
	return true;
}

static bool edit_rename_task(struct gen *g, struct rng *r)
{
	struct wf *w = pick_wf(g, r, 1);
	int i;
	char base[128];

	if (!w)
		return false;
	i = pick_live_task(r, w);
	task_name_base(r, w, w->t[i].type, base, sizeof(base));
	if (pct(r, 30))
		snprintf(base + strlen(base), sizeof(base) - strlen(base),
			 "_v%d", rnd_in(r, 2, 9));
	free(w->t[i].name);
	w->t[i].name = NULL;
	w->t[i].gone = true;	/* not a clash with itself */
	w->t[i].name = task_name_unique(w, base);
	w->t[i].gone = false;
	wf_save(g, r, w);
	return true;
}

static bool is_cond_branch(const struct wf *w, int i, int p)
{
	const struct task *c = &w->t[p];

	return c->type == TT_CONDITIONS && (c->csucc == i || c->cfail == i);
}

/* add, drop or move one edge (keeping the graph acyclic) */
static bool edit_edge(struct gen *g, struct rng *r)
{
	struct wf *w = pick_wf(g, r, 2);
	int i, q;
	struct task *t;

	if (!w)
		return false;
	i = pick_live_task(r, w);
	if (i <= 0)
		return false;
	t = &w->t[i];
	if (t->npre && pct(r, 60)) {
		int p = t->pre[rnd(r, t->npre)];

		if (is_cond_branch(w, i, p))
			return false;
		task_pre_del(w, i, p);
	}
	for (int tries = 0; tries < 10; tries++) {
		q = rnd(r, i);
		if (!w->t[q].gone) {
			task_pre_add(w, i, q);
			break;
		}
	}
	wf_save(g, r, w);
	return true;
}

static bool edit_props(struct gen *g, struct rng *r)
{
	struct wf *w = pick_wf(g, r, 1);
	int i;
	struct task *t;

	if (!w)
		return false;
	i = pick_live_task(r, w);
	t = &w->t[i];
	switch (rnd(r, 9)) {
	case 0:
		free(w->desc);
		w->desc = xsprintf("%s (changed)", w->name);
		break;
	case 1:
		if (json_array_size(w->gparams) < 4)
			jpush(w->gparams, prop("env", "IN", "VARCHAR",
					       pct(r, 50) ? "prod" : "test"));
		else
			json_array_remove(w->gparams, 0);
		break;
	case 2:
		if (w->top_style != 2)
			w->timeout = w->timeout ? 0 : 60;
		break;
	case 3:
		if (w->top_style != 2)
			w->tenant = pct(r, 50) ? -1 : rnd_in(r, 1, g->ntenants);
		break;
	case 4: {
		char *old = w->name;

		w->name = NULL;
		wf_name_new(g, r, w);
		free(old);
		break;
	}
	case 5:
		t->prio = (unsigned char)rnd(r, 5);
		t->retries = tt_logic(t->type) ? 0 : rnd(r, 4);
		break;
	case 6:
		t->to_enable = !t->to_enable;
		t->to_strategy = t->to_enable ? (unsigned char)rnd_in(r, 1, 3) :
			0;
		t->to_interval = t->to_enable ? rnd_in(r, 1, 12) * 10 : 0;
		break;
	case 7:
		for (int k = rnd_in(r, 1, 3); k > 0; k--) {
			int j = pick_live_task(r, w);

			w->t[j].x += rnd_in(r, -60, 60);
			w->t[j].y += rnd_in(r, -60, 60);
			if (w->t[j].x < 0)
				w->t[j].x = 10;
			if (w->t[j].y < 0)
				w->t[j].y = 10;
		}
		break;
	default:
		if (t->type != TT_CONDITIONS)
			t->forbidden = !t->forbidden;
		t->wg = pct(r, 70) ? -1 : rnd(r, (int)N_OF(wg_names));
		break;
	}
	wf_save(g, r, w);
	return true;
}

static bool edit_create(struct gen *g, struct rng *r)
{
	static const int shape_w[SH_N] = { 20, 35, 15, 5, 20, 5 };
	int project = rnd_in(r, 1, g->nproj);
	struct wf *w = wf_new(g, r, project);

	w->release = 0;		/* 1.3 creates workflows offline */
	build_shape(g, r, w, (enum shape)rnd_w(r, shape_w, SH_N), 20);
	wf_name_new(g, r, w);
	for (int i = 0; i < w->nt; i++)
		task_finish(r, w, i);
	if (w->top_style == 2)
		w->top_style = 0;
	wf_xref(g, r, w, 0);
	w->created = w->updated = tick(g, r, 10, 120);
	snprintf(w->modify_by, sizeof(w->modify_by), "%s",
		 user_get(g, w->user)->name);
	txn_begin(g);
	emit_wf_insert(g, w);
	txn_commit(g);
	return true;
}

static bool dep_names_wf(const json_t *dep, int id)
{
	const json_t *tl = json_object_get(dep, "dependTaskList");

	for (size_t i = 0; i < json_array_size(tl); i++) {
		const json_t *items = json_object_get(json_array_get(tl, i),
						      "dependItemList");

		for (size_t k = 0; k < json_array_size(items); k++) {
			const json_t *it = json_array_get(items, k);

			if (json_integer_value(json_object_get(
				    it, "definitionId")) == id)
				return true;
		}
	}
	return false;
}

/* does a live workflow other than `id` call or depend on it? */
static bool wf_referenced(struct gen *g, int id)
{
	for (int i = 0; i < g->nwf; i++) {
		const struct wf *w = g->wf[i];

		if (!w->alive || w->id == id)
			continue;
		for (int k = 0; k < w->nt; k++) {
			const struct task *t = &w->t[k];

			if (t->gone)
				continue;
			if (t->type == TT_SUB_PROCESS && t->sub == id)
				return true;
			if (t->type == TT_DEPENDENT && t->dep &&
			    dep_names_wf(t->dep, id))
				return true;
		}
	}
	return false;
}

static void emit_release(struct gen *g, struct wf *w)
{
	struct out *o = &g->o;

	o_stmt(o);
	o_printf(o, "UPDATE t_ds_process_definition SET release_state = %d, "
		 "update_time = ", w->release);
	o_ts(o, w->updated);
	o_printf(o, " WHERE id = %d", w->id);
	o_stmt_end(o);
}

static void emit_sched_release(struct gen *g, struct sched *s, int id)
{
	struct out *o = &g->o;

	o_stmt(o);
	o_printf(o, "UPDATE t_ds_schedules SET release_state = %d, "
		 "update_time = ", s->release);
	o_ts(o, s->updated);
	o_printf(o, " WHERE id = %d", id);
	o_stmt_end(o);
}

/* offline (with its schedule), as the 1.3 API's release call does */
static void wf_offline(struct gen *g, struct rng *r, struct wf *w)
{
	w->release = 0;
	w->updated = tick(g, r, 5, 60);
	txn_begin(g);
	emit_release(g, w);
	if (w->sched && g->sch[w->sched - 1].release) {
		struct sched *s = &g->sch[w->sched - 1];

		s->release = 0;
		s->updated = w->updated;
		emit_sched_release(g, s, w->sched);
	}
	txn_commit(g);
}

static bool edit_delete(struct gen *g, struct rng *r)
{
	struct out *o = &g->o;

	for (int tries = 0; tries < 20; tries++) {
		struct wf *w = pick_wf(g, r, 1);

		if (!w || w->nlive || wf_referenced(g, w->id))
			continue;
		if (w->release)
			wf_offline(g, r, w);
		tick(g, r, 5, 60);
		txn_begin(g);
		if (w->sched) {
			o_stmt(o);
			o_printf(o, "DELETE FROM t_ds_schedules WHERE id = %d",
				 w->sched);
			o_stmt_end(o);
			g->sch[w->sched - 1].alive = false;
			w->sched = 0;
		}
		o_stmt(o);
		o_printf(o, "DELETE FROM t_ds_process_definition WHERE id = %d",
			 w->id);
		o_stmt_end(o);
		txn_commit(g);
		w->alive = false;
		treesize_reset(g);
		return true;
	}
	return false;
}

static bool edit_rename_project(struct gen *g, struct rng *r)
{
	int id = rnd_in(r, 1, g->nproj);
	struct project *p = &g->proj[id - 1];
	char name[100];
	struct out *o = &g->o;

	snprintf(name, sizeof(name), "%s_%s", PICK(r, dsw_projects),
		 PICK(r, dsw_freqs));
	for (int n = 2; project_name_taken(g, name, id); n++)
		snprintf(name, sizeof(name), "%s_%s_%d",
			 PICK(r, dsw_projects), PICK(r, dsw_freqs), n);
	snprintf(p->name, sizeof(p->name), "%s", name);
	txn_begin(g);
	o_stmt(o);
	o_puts(o, "UPDATE t_ds_project SET name = ");
	o_lit(o, p->name);
	o_puts(o, ", update_time = ");
	o_ts(o, tick(g, r, 5, 60));
	o_printf(o, " WHERE id = %d", id);
	o_stmt_end(o);
	txn_commit(g);
	return true;
}

static bool edit_add_user(struct gen *g, struct rng *r)
{
	struct user *u;
	int64_t now;
	int id;

	if (g->nusers >= 5000)
		return false;
	xgrow((void **)&g->users, &g->capusers, (size_t)g->nusers + 1,
	      sizeof(*g->users));
	id = ++g->nusers;
	u = &g->users[id - 1];
	memset(u, 0, sizeof(*u));
	u->type = 1;
	u->tenant = pct(r, 10) ? 0 : rnd_in(r, 1, g->ntenants);
	snprintf(u->name, sizeof(u->name), "%s_%d", PICK(r, dsw_people), id);
	txn_begin(g);
	now = tick(g, r, 5, 60);
	user_row(g, r, id, now, now);
	txn_commit(g);
	if (pct(r, 60)) {
		int project = rnd_in(r, 1, g->nproj);
		struct project *p = &g->proj[project - 1];

		txn_begin(g);
		rel_project_user(g, id, project, tick(g, r, 5, 60));
		txn_commit(g);
		if (p->nmembers < (int)N_OF(p->members))
			p->members[p->nmembers++] = id;
	}
	return true;
}

static bool edit_sched(struct gen *g, struct rng *r)
{
	struct out *o = &g->o;
	struct wf *w = pick_wf(g, r, 1);
	struct sched *s;

	if (!w)
		return false;
	if (!w->sched) {
		int id = sched_new(g, r, w, tick(g, r, 5, 60));

		g->sch[id - 1].updated = g->sch[id - 1].created;
		txn_begin(g);
		emit_sched(g, id);
		txn_commit(g);
		return true;
	}
	s = &g->sch[w->sched - 1];
	s->updated = tick(g, r, 5, 60);
	if (pct(r, 40) && (s->release || w->release)) {
		s->release = !s->release;
		txn_begin(g);
		emit_sched_release(g, s, w->sched);
		txn_commit(g);
		return true;
	}
	s->cron = PICK(r, dsw_crons);
	s->warn = rnd(r, 4);
	s->wgroup_alert = pct(r, 20) ? 0 : rnd_in(r, 1, g->nalertgroups);
	s->wg = pct(r, 70) ? -1 : rnd(r, (int)N_OF(wg_names));
	s->fs = rnd(r, 2);
	txn_begin(g);
	o_stmt(o);
	o_puts(o, "UPDATE t_ds_schedules SET crontab = ");
	o_lit(o, s->cron);
	o_printf(o, ", failure_strategy = %d, warning_type = %d, "
		 "warning_group_id = ", s->fs, s->warn);
	if (s->wgroup_alert)
		o_printf(o, "%d", s->wgroup_alert);
	else
		o_puts(o, "NULL");
	o_puts(o, ", worker_group = ");
	o_lit(o, s->wg < 0 ? "default" : wg_names[s->wg]);
	o_puts(o, ", update_time = ");
	o_ts(o, s->updated);
	o_printf(o, " WHERE id = %d", w->sched);
	o_stmt_end(o);
	txn_commit(g);
	return true;
}

static bool edit_release(struct gen *g, struct rng *r)
{
	struct wf *w = pick_wf(g, r, 1);

	if (!w)
		return false;
	if (w->release) {
		wf_offline(g, r, w);
		return true;
	}
	w->release = 1;
	w->updated = tick(g, r, 5, 60);
	txn_begin(g);
	emit_release(g, w);
	txn_commit(g);
	return true;
}

/* a finished run (with sub-process runs), written in one go */
static bool edit_inst_done(struct gen *g, struct rng *r)
{
	struct wf *w;
	struct plan *p;
	struct pictx c;
	int64_t now = tick(g, r, 30, 300);
	int state = pct(r, 80) ? ST_SUCCESS : pct(r, 60) ? ST_FAILURE :
		ST_KILL;

	treesize_reset(g);
	w = pick_run_wf(g, r, 20, false);
	if (!w)
		return false;
	p = plan_new(g, r, w, now, 0);
	plan_finish(r, p, state, now);
	plan_shift(p, now - p->end - 5);
	pictx_init(g, r, w, p->start, &c);
	txn_begin(g);
	emit_plan(g, r, p, &c);
	txn_commit(g);
	plan_free(p);
	return true;
}

/* a manual start: the API writes a command, the master takes it and
 * writes the running instance with its first task instances */
static bool edit_inst_start(struct gen *g, struct rng *r)
{
	struct out *o = &g->o;
	struct wf *w;
	struct plan *p;
	struct pictx c;
	int cmd;
	int64_t now = tick(g, r, 5, 60);

	treesize_reset(g);
	w = pick_run_wf(g, r, 1, true);
	if (!w)
		return false;
	pictx_init(g, r, w, now, &c);
	c.cmd_type = 0;
	c.history = "START_PROCESS";
	c.sched_time = 0;
	c.run_times = 1;
	c.recovery = 0;
	cmd = g->id_cmd++;
	txn_begin(g);
	cmd_row(g, cmd, 0, w, NULL, c.executor, 0, now);
	txn_commit(g);
	now = tick(g, r, 1, 3);
	p = plan_new(g, r, w, now, 0);
	plan_finish(r, p, ST_RUNNING, p->n ? p->e[0].start + 1 : now + 4);
	txn_begin(g);
	o_stmt(o);
	o_printf(o, "DELETE FROM t_ds_command WHERE id = %d", cmd);
	o_stmt_end(o);
	emit_plan(g, r, p, &c);
	txn_commit(g);
	live_add(g, p, c.executor);
	return true;
}

static void ti_update(struct gen *g, int ti, int state, int64_t end)
{
	struct out *o = &g->o;

	o_stmt(o);
	o_printf(o, "UPDATE t_ds_task_instance SET state = %d, end_time = ",
		 state);
	o_ts(o, end);
	o_printf(o, " WHERE id = %d", ti);
	o_stmt_end(o);
}

static void pi_update(struct gen *g, struct plan *p, int64_t now)
{
	struct out *o = &g->o;

	o_stmt(o);
	o_printf(o, "UPDATE t_ds_process_instance SET state = %d, end_time = ",
		 p->state);
	o_ts(o, p->end);
	o_puts(o, ", update_time = ");
	o_ts(o, now);
	o_printf(o, " WHERE id = %d", p->pi);
	o_stmt_end(o);
}

/* move an in-flight instance on: running tasks finish, the next start,
 * or the whole run ends */
static bool edit_inst_progress(struct gen *g, struct rng *r)
{
	int k, next = 0, pending = 0;
	struct live *L;
	struct plan *p;
	int64_t now;
	bool done;

	if (!g->nlive)
		return false;
	k = rnd(r, g->nlive);
	L = &g->live[k];
	p = L->p;
	now = tick(g, r, 5, 120);
	for (int i = 0; i < p->n; i++)
		pending += p->e[i].state < 0;
	txn_begin(g);
	if (p->state == ST_READY_STOP) {
		for (int i = 0; i < p->n; i++)
			if (p->e[i].state == ST_RUNNING) {
				p->e[i].state = ST_KILL;
				ti_update(g, p->e[i].ti, ST_KILL, now);
			}
		p->state = ST_STOP;
		p->end = now + 1;
		pi_update(g, p, now + 1);
		done = true;
	} else {
		bool fail = pct(r, 8);

		for (int i = 0; i < p->n; i++)
			if (p->e[i].state == ST_RUNNING) {
				p->e[i].state = ST_SUCCESS;
				p->e[i].end = now;
				ti_update(g, p->e[i].ti, ST_SUCCESS, now);
			}
		done = !pending || pct(r, 40);
		next = done ? pending : rnd_in(r, 1, 2);
		for (int i = 0; i < p->n && next > 0; i++) {
			struct pe *e = &p->e[i];

			if (e->state >= 0)
				continue;
			e->submit = now + 1;
			e->start = now + rnd_in(r, 2, 5);
			e->end = done ? e->start + rnd_in(r, 3, 90) : 0;
			e->state = done ? ST_SUCCESS : ST_RUNNING;
			if (done && fail) {
				e->state = ST_FAILURE;
				e->retry = e->retries;
			}
			e->ti = g->id_ti++;
			emit_ti(g, r, p, e, L->executor);
			if (done)
				now = e->end;
			next--;
			if (done && fail)
				break;
		}
		if (done) {
			p->state = fail && pending ? ST_FAILURE : ST_SUCCESS;
			p->end = now + 1;
			pi_update(g, p, now + 1);
		} else if (p->state != ST_RUNNING) {
			p->state = ST_RUNNING;
			p->end = 0;
			pi_update(g, p, now);
		}
	}
	txn_commit(g);
	if (done) {
		if (now + 1 > g->clock)
			g->clock = now + 1;
		p->w->nlive--;
		plan_free(p);
		g->live[k] = g->live[--g->nlive];
	}
	return true;
}

enum ek {
	EK_SCRIPT, EK_ADD_TASK, EK_DEL_TASK, EK_RENAME_TASK, EK_EDGE,
	EK_PROPS, EK_CREATE, EK_DELETE, EK_RENAME_PROJECT, EK_ADD_USER,
	EK_SCHED, EK_RELEASE, EK_INST_DONE, EK_INST_START, EK_INST_PROGRESS,
	EK_N
};

static bool (*const edit_fn[EK_N])(struct gen *, struct rng *) = {
	edit_script, edit_add_task, edit_del_task, edit_rename_task,
	edit_edge, edit_props, edit_create, edit_delete, edit_rename_project,
	edit_add_user, edit_sched, edit_release, edit_inst_done,
	edit_inst_start, edit_inst_progress,
};

static const char *const edit_name[EK_N] = {
	"script", "add_task", "remove_task", "rename_task", "edge", "props",
	"create_workflow", "delete_workflow", "rename_project", "add_user",
	"schedule", "release", "finished_instance", "start_instance",
	"progress_instance",
};

static void gen_edits(struct gen *g, int n, uint64_t eseed)
{
	static const int ek_w[EK_N] = { 16, 8, 5, 5, 6, 6, 6, 3, 2, 3, 7,
					4, 13, 5, 11 };
	struct rng r = rng_for(eseed, ST_EDIT, 0);
	long done[EK_N] = { 0 };
	struct out *o = &g->o;
	long stmts0 = o->stmts;

	g->clock = g->t_now + 600;
	if (!g->id_cmd)
		g->id_cmd = g->top_instances + 1;
	for (int i = 0; i < n; i++) {
		int k = rnd_w(&r, ek_w, EK_N);

		/* an edit that finds nothing to work on writes nothing; a
		 * finished instance or a new workflow is always possible */
		snprintf(g->note, sizeof(g->note), "-- edit %d: %s", i + 1,
			 edit_name[k]);
		if (!edit_fn[k](g, &r)) {
			k = EK_INST_DONE;
			snprintf(g->note, sizeof(g->note), "-- edit %d: %s",
				 i + 1, edit_name[k]);
			if (!edit_fn[k](g, &r)) {
				k = EK_CREATE;
				snprintf(g->note, sizeof(g->note),
					 "-- edit %d: %s", i + 1, edit_name[k]);
				edit_fn[k](g, &r);
			}
		}
		done[k]++;
	}
	o_line(o, "-- ds_gen edits=%d statements=%ld", n, o->stmts - stmts0);
	for (int k = 0; k < EK_N; k++)
		o_line(o, "-- ds_gen edit %s=%ld", edit_name[k], done[k]);
}

/* ----------------------------------------------------------------- main */

static void gen_initial(struct gen *g)
{
	struct rng r = rng_for(g->seed, ST_REF, 0);

	gen_queues_tenants(g, &r);
	gen_users(g, &r);
	gen_groups(g, &r);
	gen_datasources(g, &r);
	gen_resources(g, &r);
	gen_projects(g, &r);
	gen_workflows(g);
	gen_schedules(g);
	g->id_pi = g->id_ti = g->id_rel_pi = 1;
	if (g->ninst_arg > 0) {
		gen_instances(g);
		gen_alerts(g);
		gen_commands(g);
	}
	gen_misc(g);
	o_close_insert(&g->o);
}

static void wf_free(struct wf *w)
{
	for (int i = 0; i < w->nt; i++) {
		free(w->t[i].name);
		free(w->t[i].pre);
		free(w->t[i].desc);
		json_decref(w->t[i].params);
		json_decref(w->t[i].dep);
	}
	free(w->t);
	wf_touch(w);
	free(w->c_tjson);
	json_decref(w->gparams);
	free(w->name);
	free(w->desc);
	free(w->receivers);
	free(w->receivers_cc);
	free(w);
}

static void gen_release(struct gen *g)
{
	for (int i = 0; i < g->nwf; i++)
		wf_free(g->wf[i]);
	for (int i = 0; i < g->nlive; i++)
		plan_free(g->live[i].p);
	free(g->wf);
	free(g->live);
	free(g->users);
	free(g->ds);
	free(g->res);
	free(g->udfs);
	free(g->proj);
	free(g->sch);
	free(g->failed);
	buf_release(&g->o.b);
}

static int copy_file(const char *path, FILE *out)
{
	FILE *f = fopen(path, "rb");
	char blk[65536];
	size_t n;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "ds_gen: could not open \"%s\": %s\n", path,
			strerror(errno));
		return 1;
	}
	while ((n = fread(blk, 1, sizeof(blk), f)) > 0)
		if (fwrite(blk, 1, n, out) != n)
			break;
	if (ferror(f)) {
		fprintf(stderr, "ds_gen: could not read \"%s\": %s\n", path,
			strerror(errno));
		rc = 1;
	}
	fclose(f);
	fputs("\n", out);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ds_gen --dialect postgresql|mysql --projects N "
		"--workflows M [--seed S]\n"
		"              [--instances K] [--schema --schema-file PATH]\n"
		"       ds_gen --dialect postgresql|mysql --edits E [--seed S] "
		"[--projects N]\n"
		"              [--workflows M] [--instances K] [--edit-seed X] "
		"[--rate R]\n");
}

static bool parse_num(const char *s, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return s[0] && !*end && !errno && *v >= lo && *v <= hi;
}

static bool parse_int(const char *s, long long hi, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return s[0] >= '0' && s[0] <= '9' && !*end && !errno && *v <= hi;
}

/* the session settings the statements rely on */
static void emit_session(struct out *o)
{
	if (o->my) {
		o_line(o, "SET NAMES utf8mb4;");
		o_line(o, "SET time_zone = '+00:00';");
		o_line(o, "SET SESSION sql_mode = "
		       "REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '');");
	} else {
		o_line(o, "SET client_encoding = 'UTF8';");
		o_line(o, "SET standard_conforming_strings = on;");
	}
}

int main(int argc, char **argv)
{
	struct gen g;
	const char *dialect = NULL, *schema_file = NULL;
	bool schema = false, has_eseed = false;
	long long n, edits = -1;
	uint64_t eseed = 0;
	int rc = 0;

	memset(&g, 0, sizeof(g));
	g.nproj_arg = 3;
	g.nwf_arg = 20;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] :
			NULL;
		bool ok = true;

		if (!strcmp(a, "--schema")) {
			schema = true;
			continue;
		}
		if (!val) {
			usage();
			return 2;
		}
		i++;
		if (!strcmp(a, "--dialect"))
			dialect = val;
		else if (!strcmp(a, "--schema-file"))
			schema_file = val;
		else if (!strcmp(a, "--seed") && (ok = parse_int(val,
							   LLONG_MAX, &n)))
			g.seed = (uint64_t)n;
		else if (!strcmp(a, "--edit-seed") &&
			 (ok = parse_int(val, LLONG_MAX, &n))) {
			eseed = (uint64_t)n;
			has_eseed = true;
		} else if (!strcmp(a, "--projects") &&
			   (ok = parse_int(val, 1000, &n) && n >= 1))
			g.nproj_arg = (int)n;
		else if (!strcmp(a, "--workflows") &&
			 (ok = parse_int(val, 1000000, &n) && n >= 1))
			g.nwf_arg = (int)n;
		else if (!strcmp(a, "--instances") &&
			 (ok = parse_int(val, 100000000, &n)))
			g.ninst_arg = (int)n;
		else if (!strcmp(a, "--edits") &&
			 (ok = parse_int(val, 100000000, &n)))
			edits = n;
		else if (!strcmp(a, "--rate"))
			ok = parse_num(val, 0, 1e6, &g.rate);
		else
			ok = false;
		if (!ok) {
			fprintf(stderr, "ds_gen: bad option \"%s %s\"\n", a,
				val);
			usage();
			return 2;
		}
	}
	if (!dialect || (strcmp(dialect, "postgresql") &&
			 strcmp(dialect, "mysql")) ||
	    (schema && !schema_file) || (schema && edits >= 0)) {
		usage();
		return 2;
	}
	g.o.my = !strcmp(dialect, "mysql");
	g.o.tab = -1;
	buf_init(&g.o.b, 0);
	/* a fixed epoch per seed: 2020-09-01 plus up to 179 days */
	g.t_base = 1598918400 + (int64_t)(g.seed % 180) * DAY;
	g.t_now = g.t_base + 400 * DAY;
	g.clock = g.t_now;

	if (schema && copy_file(schema_file, stdout))
		return 1;
	if (edits < 0) {
		g.o.f = stdout;
		o_line(&g.o, "-- ds_gen: DolphinScheduler 1.3.9 data, dialect "
		       "%s, seed %" PRIu64 ", projects %d, workflows %d, "
		       "instances %d", dialect, g.seed, g.nproj_arg, g.nwf_arg,
		       g.ninst_arg);
	} else {
		/* rebuild the model of the initial data without output */
		g.o.f = NULL;
	}
	emit_session(&g.o);
	if (edits < 0) {
		o_line(&g.o, "%s", g.o.my ? "START TRANSACTION;" : "BEGIN;");
		gen_initial(&g);
		o_line(&g.o, "COMMIT;");
		emit_setval(&g, NULL);
		o_line(&g.o, "-- ds_gen tasks=%ld top_level_instances=%d",
		       g.ntasks_initial, g.top_instances);
		for (int t = 0; t < TB_N; t++)
			o_line(&g.o, "-- ds_gen rows %s=%ld", tabs[t].name,
			       g.o.cnt[t] + tabs[t].seed_rows);
	} else {
		gen_initial(&g);
		g.o.f = stdout;
		o_line(&g.o, "-- ds_gen: edits for the initial data of seed "
		       "%" PRIu64 ", projects %d, workflows %d, instances %d "
		       "(dialect %s)", g.seed, g.nproj_arg, g.nwf_arg,
		       g.ninst_arg, dialect);
		emit_session(&g.o);
		g.o.stmts = 0;
		gen_edits(&g, (int)edits, has_eseed ? eseed : g.seed);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "ds_gen: could not write the output: %s\n",
			strerror(errno));
		rc = 1;
	}
	gen_release(&g);
	return rc;
}
