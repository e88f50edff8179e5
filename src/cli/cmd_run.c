/*
 * cmd_run.c - `ferry run`: wire config, state, source, transform and sink
 * into the pipeline, and keep it running.
 *
 * Recovery is always the same move: close everything, read the
 * checkpoint back from the target, open everything again.  A lost
 * connection (source or target) therefore costs a reconnect and a short
 * replay, never a lost or doubled change; it is retried with capped
 * exponential backoff.  Other errors (configuration, a protocol
 * violation, a damaged state store) stop ferry with exit code 1 so that
 * the operator, or systemd, sees them.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ferry/ds_map.h"
#include "ferry/log.h"
#include "ferry/mapping.h"
#include "ferry/mem.h"
#include "ferry/pipeline.h"
#include "ferry/signals.h"
#include "ferry/sink.h"
#include "ferry/snowflake.h"
#include "ferry/sqlc.h"
#include "ferry/source.h"
#include "ferry/state.h"
#include "ferry/transform.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
/* a run this long counts as healthy: the next failure starts the backoff
 * over */
#define HEALTHY_RUN_MS 60000
/* the state store's copy of the position is informational: refresh it
 * at most this often */
#define STATE_POSITION_MS 1000

struct runner {
	struct transform *tf;
	struct sink *sink;
	struct source *src;
	struct state *state;
	struct snowflake *sf;
	struct state_txn *batch;	/* the batch's id-map writes, or NULL */
	struct ferry_pos last_commit;	/* last COMMIT handed to the sink */
	int64_t state_written_ms;
	int64_t id_floor;		/* target sequences start here */
	int64_t id_warn;		/* warn when ferry writes ids past it */
	const struct table_desc *id_desc; /* last table looked at ... */
	int id_col;			/* ... and its "id" column, or -1 */
	bool id_warned;
};

#define META_CODES_LAST_MS "codes.last_ms"

/* The batch's state transaction, begun on first use (transform env). */
static int batch_txn(void *ctx, struct state_txn **t, struct err *e)
{
	struct runner *r = ctx;
	int rc;

	if (!r->batch) {
		rc = state_txn_begin(r->state, STATE_TXN_WRITE, &r->batch, e);
		if (rc)
			return rc;
	}
	*t = r->batch;
	return 0;
}

/*
 * Make the batch's id-map writes durable, with the code generator's
 * high-water mark, before the target commits rows that use them: after a
 * crash between the two the replay finds the same ids and codes (style
 * §3.3, step 5).
 */
static int batch_commit(struct runner *r, struct err *e)
{
	int rc;

	if (!r->batch)
		return 0;
	rc = state_meta_put_i64(r->batch, META_CODES_LAST_MS,
				snowflake_last_ms(r->sf), e);
	if (rc) {
		state_txn_abort(r->batch);
		r->batch = NULL;
		return rc;
	}
	rc = state_txn_commit(r->batch, e);
	r->batch = NULL;
	return rc;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- pipeline adapters ------------------------------------------------ */

static int src_next(void *self, struct change **out, int timeout_ms,
		    struct err *e)
{
	return source_next(((struct runner *)self)->src, out, timeout_ms, e);
}

static int src_feedback(void *self, const struct ferry_pos *confirmed,
			struct err *e)
{
	return source_feedback(((struct runner *)self)->src, confirmed, e);
}

/*
 * Ids ferry writes must stay under the floor the target's sequences start
 * from; say so, loudly, once, when a written id comes within a tenth of
 * the headroom of it (raise the headroom and restart: the sequences move).
 */
static void check_id(struct runner *r, const struct change *c)
{
	const char *v;
	long long id;

	if (r->id_warned || !r->id_floor || !c->newv)
		return;
	if (c->table != r->id_desc) {
		r->id_desc = c->table;
		r->id_col = table_desc_find(c->table, "id");
	}
	if (r->id_col < 0 ||
	    change_new(c, (uint32_t)r->id_col, &v, NULL) != DATUM_VALUE)
		return;
	id = strtoll(v, NULL, 10);
	if (id < r->id_warn)
		return;
	r->id_warned = true;
	log_warn("run", "ids written to the target approach the start of its "
		 "sequences table=%s id=%lld sequences_start=%lld: raise "
		 "options.id_headroom in the mapping and restart ferry",
		 c->table->name, id, (long long)r->id_floor);
}

static int emit_to_sink(void *ctx, struct change *c, struct err *e)
{
	struct runner *r = ctx;

	if (c->kind == CHANGE_COMMIT && c->pos && c->pos->kind != POS_NONE)
		r->last_commit = *c->pos;
	if (c->table)
		check_id(r, c);
	return sink_apply(r->sink, c, e);
}

static int sink_apply_cb(void *self, struct change *c, struct err *e)
{
	struct runner *r = self;

	return transform_apply(r->tf, c, emit_to_sink, r, e);
}

static int sink_flush_cb(void *self, struct err *e)
{
	struct runner *r = self;
	struct state_txn *t;
	struct err se;
	int rc;

	rc = batch_commit(r, e);
	if (!rc)
		rc = sink_flush(r->sink, e);
	/* rows the target refused during the flush went to the reject
	 * store in a state transaction of their own: keep them now that
	 * the rest of their batch is committed */
	if (!rc)
		rc = batch_commit(r, e);
	if (rc || r->last_commit.kind == POS_NONE ||
	    mono_ms() - r->state_written_ms < STATE_POSITION_MS)
		return rc;
	/* a copy for `ferry status`; the target's checkpoint rules */
	r->state_written_ms = mono_ms();
	if (state_txn_begin(r->state, STATE_TXN_WRITE, &t, &se) ||
	    state_position_put(t, &r->last_commit, &se) ||
	    state_txn_commit(t, &se)) {
		state_txn_abort(t);
		log_warn("state", "could not record the position: %s", se.msg);
	}
	return 0;
}

/* A row the target refused: into the reject store, with the batch's
 * id-map writes (committed at the next flush). */
static int reject_cb(void *ctx, const struct change *c, const char *reason,
		     struct err *e)
{
	struct runner *r = ctx;

	return transform_reject(r->tf, c, reason, e);
}

static void sink_rollback_cb(void *self)
{
	sink_rollback(((struct runner *)self)->sink);
}

/* ---- setup ------------------------------------------------------------ */

/*
 * The mapping may not change under a migration that has started: rows
 * already written were shaped by the old one.  The first run records its
 * checksum; later runs compare.
 */
static int check_mapping(struct state *st, const struct mapping *m,
			 bool accept_change, struct err *e)
{
	char stored[80];
	struct state_txn *t;
	int rc;

	rc = state_txn_begin(st, STATE_TXN_WRITE, &t, e);
	if (rc)
		return rc;
	rc = state_meta_get_str(t, "mapping.sha256", stored, sizeof(stored),
				e);
	if (rc == 0 && strcmp(stored, m->sha256) != 0 && !accept_change) {
		state_txn_abort(t);
		return err_set(e, FERRY_ESTATE,
			       "mapping \"%s\" changed since this migration "
			       "started (sha256 %.12s..., was %.12s...); "
			       "rows already written follow the old one. Run "
			       "with --accept-mapping-change if that is "
			       "intended", m->path, m->sha256, stored);
	}
	if (rc && rc != FERRY_ENOTFOUND) {
		state_txn_abort(t);
		return rc;
	}
	if (rc == FERRY_ENOTFOUND || strcmp(stored, m->sha256) != 0) {
		if (rc == 0)
			log_warn("run", "accepting changed mapping sha256=%s "
				 "previous=%s", m->sha256, stored);
		rc = state_meta_put_str(t, "mapping.sha256", m->sha256, e);
		if (rc) {
			state_txn_abort(t);
			return rc;
		}
	}
	return state_txn_commit(t, e);
}

/*
 * The code generator, under the machine id reserved for ferry, never
 * below the last millisecond an earlier run recorded (so no code repeats
 * across restarts, whatever the clock did).
 */
static int open_codes(const struct config *cfg, struct state *st,
		      int64_t target_floor_ms, struct snowflake **sf,
		      struct err *e)
{
	struct snowflake_options so = { cfg->code_machine_id, 0, NULL, NULL };
	struct state_txn *t;
	int rc;

	rc = state_txn_begin(st, STATE_TXN_READ, &t, e);
	if (rc)
		return rc;
	rc = state_meta_get_i64(t, META_CODES_LAST_MS, &so.floor_ms, e);
	state_txn_abort(t);
	if (rc && rc != FERRY_ENOTFOUND)
		return rc;
	if (target_floor_ms > so.floor_ms) {
		log_info("run", "codes of machine id %d found on the target; "
			 "minting after them", cfg->code_machine_id);
		so.floor_ms = target_floor_ms;
	}
	return snowflake_new(&so, sf, e);
}

/*
 * Codes already on the target under ferry's machine id (a 3.2 server whose
 * host/pid hash happens to give the same id, or an earlier migration into
 * the same target) must never be minted again: read the largest such code
 * of each column the mapping's option code_columns names ("table.column,
 * ..."), and start the generator past its millisecond.  Checked once, at
 * start, against every code column at once, instead of per code.
 */
static int codes_floor_from_target(const struct config *cfg,
				   const struct mapping *map, const char *pw,
				   int64_t *floor_ms, struct err *e)
{
	const char *cols = mapping_option(map, "code_columns", NULL);
	struct sqlc *db = NULL;
	char *list, *save = NULL, *item;
	int rc;

	*floor_ms = 0;
	if (!cols || !*cols)
		return 0;
	rc = sqlc_connect(&cfg->target, pw, "ferry", &db, e);
	if (rc)
		return rc;
	list = xstrdup(cols);
	for (item = strtok_r(list, ", ", &save); item && !rc;
	     item = strtok_r(NULL, ", ", &save)) {
		char *dot = strchr(item, '.'), sql[400];
		struct sqlc_result res;
		int n;

		if (!dot || strpbrk(item, "\"`';"))
			continue;
		*dot = '\0';
		/* bits 9..5 are the machine id (spec §2.1): the low ten bits
		 * in [32 m, 32 m + 31], in arithmetic both servers share */
		n = snprintf(sql, sizeof(sql),
			     "SELECT MAX(%s) FROM %s WHERE %s - FLOOR(%s / "
			     "1024) * 1024 BETWEEN %d AND %d", dot + 1, item,
			     dot + 1, dot + 1, cfg->code_machine_id * 32,
			     cfg->code_machine_id * 32 + 31);
		if (n < 0 || (size_t)n >= sizeof(sql))
			continue;
		rc = sqlc_query(db, sql, &res, e);
		if (!rc && res.nrows == 1 && sqlc_value(&res, 0, 0)) {
			int64_t code = strtoll(sqlc_value(&res, 0, 0), NULL,
					       10);
			int64_t ms = snowflake_code_ms(code);

			if (ms > *floor_ms)
				*floor_ms = ms;
		}
		sqlc_result_release(&res);
		if (rc)
			err_prefix(e, "reading %s.%s on the target", item,
				   dot + 1);
	}
	free(list);
	sqlc_close(db);
	return rc;
}

static void checkpoint_id(const struct config *cfg, char *out, size_t n)
{
	if (cfg->source.driver == CONFIG_DRIVER_POSTGRESQL)
		snprintf(out, n, "pg:%s", cfg->source.slot);
	else
		snprintf(out, n, "mysql:%u", cfg->source.server_id);
}

/*
 * Move the target's id sequences past every id ferry will write: the
 * source's largest, or ferry's own counters' (rows 1.3 lacks), plus the
 * mapping's id_headroom for what arrives while migrating.
 */
static int reserve_ids(struct runner *r, const struct mapping *map,
		       struct err *e)
{
	const char *h = mapping_option(map, "id_headroom", "10000000");
	int64_t headroom = strtoll(h, NULL, 10), counters = 0, top;
	struct state_txn *t;
	int rc;

	if (headroom <= 0)
		return 0;	/* the operator manages the sequences */
	rc = state_txn_begin(r->state, STATE_TXN_READ, &t, e);
	if (rc)
		return rc;
	rc = ds_max_row_id(t, &counters, e);
	state_txn_abort(t);
	if (rc)
		return rc;
	top = r->src->max_id > counters ? r->src->max_id : counters;
	r->id_floor = top + headroom;
	r->id_warn = r->id_floor - headroom / 10;
	r->id_warned = false;
	r->id_desc = NULL;
	return sink_reserve_ids(r->sink, r->id_floor, e);
}

/*
 * One life of the pipeline: open the sink, read its checkpoint, open the
 * source from there, run until stopped or failed.
 */
static int run_once(const struct config *cfg, const struct mapping *map,
		    struct runner *r, const char *src_pw, const char *dst_pw,
		    bool *ready_sent, struct err *e)
{
	struct pipeline_options po = {
		.batch_max_rows = cfg->batch_max_rows,
		.batch_max_delay_ms = cfg->batch_max_delay_ms,
		.queue_max_items = (size_t)cfg->queue_max_changes,
		.queue_max_bytes = cfg->queue_max_bytes,
		.stop_grace_ms = 5000,
	};
	struct pipeline_source ps = { src_next, src_feedback, r };
	struct pipeline_sink pk = { sink_apply_cb, sink_flush_cb,
				    sink_rollback_cb, r };
	struct sink_params kp = { 0 };
	struct source_params sp = { 0 };
	struct transform_env env = { r, batch_txn, r->sf };
	struct pipeline_result res;
	struct checkpoint cp = { 0 };
	char id[96], text[POS_TEXT_MAX];
	int rc;

	checkpoint_id(cfg, id, sizeof(id));
	kp.db = &cfg->target;
	kp.password = dst_pw;
	kp.checkpoint_id = id;
	kp.txn_memory = cfg->txn_max_bytes;
	kp.application_name = "ferry";
	kp.mysql_bulk_rows = cfg->batch_bulk_min_rows > 0
				     ? (size_t)cfg->batch_bulk_min_rows
				     : SIZE_MAX;
	kp.reject = reject_cb;
	kp.reject_ctx = r;
	rc = sink_open(&kp, &r->sink, e);
	if (!rc)
		rc = sink_load_checkpoint(r->sink, &cp, e);
	if (rc)
		goto out;
	log_info("run", "checkpoint id=%s position=%s tables=%zu", id,
		 cp.exists ? pos_format(&cp.pos, text, sizeof(text)) : "none",
		 cp.ntables);
	sp.db = &cfg->source;
	sp.password = src_pw;
	sp.mapping = map;
	sp.cp = &cp;
	sp.snapshot_chunk_rows = cfg->batch_max_rows;
	sp.application_name = "ferry";
	rc = source_open(&sp, &r->src, e);
	if (!rc)
		rc = reserve_ids(r, map, e);
	if (rc)
		goto out;
	rc = transform_new(map, cfg->source.driver == CONFIG_DRIVER_POSTGRESQL
			   && cfg->target.driver == CONFIG_DRIVER_POSTGRESQL,
			   &env, &r->tf, e);
	if (rc)
		goto out;
	memset(&r->last_commit, 0, sizeof(r->last_commit));
	if (!*ready_sent) {
		sd_notify(0, "READY=1\nSTATUS=migrating");
		*ready_sent = true;
	}
	rc = pipeline_run(&po, &ps, &pk, &res, e);
	log_info("run", "pipeline stopped rows=%" PRIu64 " txns=%" PRIu64
		 " flushes=%" PRIu64 " confirmed=%s", res.rows, res.txns,
		 res.flushes, pos_format(&res.confirmed, text, sizeof(text)));
out:
	/* ids of rows the target did not commit: harmless either way, but
	 * an aborted LMDB transaction is the honest end of an error */
	if (r->batch) {
		state_txn_abort(r->batch);
		r->batch = NULL;
	}
	checkpoint_release(&cp);
	source_close(r->src);
	sink_close(r->sink);
	transform_free(r->tf);
	r->src = NULL;
	r->sink = NULL;
	r->tf = NULL;
	return rc;
}

/* Is there room left under the state store's growth ceiling? */
static bool state_can_grow(struct state *st)
{
	size_t map, used, max;

	state_usage(st, &map, &used, &max);
	return map < max;
}

/* Sleep `ms`, waking early on a stop request. */
static void backoff_sleep(int ms)
{
	int64_t until = mono_ms() + ms;

	while (!signals_stop_requested() && mono_ms() < until)
		usleep(20000);
}

static int read_passwords(const struct config *cfg, char *src, char *dst,
			  size_t n, struct err *e)
{
	int rc = config_read_password(&cfg->source, src, n, e);

	if (rc)
		return err_prefix(e, "source password");
	rc = config_read_password(&cfg->target, dst, n, e);
	if (rc)
		return err_prefix(e, "target password");
	return 0;
}

static int run_option(int c, const char *arg, void *ctx)
{
	(void)arg;
	if (c != 256)
		return -1;
	*(bool *)ctx = true;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "accept-mapping-change", no_argument, NULL, 256 },
		{ NULL, 0, NULL, 0 },
	};
	struct state_options so;
	struct runner r = { 0 };
	struct mapping map;
	struct config cfg;
	char versions[512], src_pw[1024], dst_pw[1024];
	bool accept = false, ready = false;
	int64_t code_floor = 0;
	int backoff = BACKOFF_MIN_MS, argi, rc;
	struct err e;

	rc = cli_load_config_ext(argc, argv, " [--accept-mapping-change]",
				 opts, run_option, &accept, &cfg, &argi);
	if (rc)
		return rc == CLI_DONE ? CLI_OK : rc;
	if (argi < argc) {
		fprintf(stderr, "ferry run: unexpected argument \"%s\"\n",
			argv[argi]);
		config_release(&cfg);
		return CLI_USAGE;
	}
	cli_versions(versions, sizeof(versions));
	log_info("run", "%s config=%s", versions, cfg.path);
	rc = CLI_FAILED;
	if (signals_install(&e))
		goto fail_cfg;
	if (mapping_load(cfg.mapping, &map, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		config_release(&cfg);
		return CLI_USAGE;
	}
	so.map_size = cfg.state_map_size;
	so.max_map_size = cfg.state_max_map_size;
	if (state_open(cfg.state_dir, &so, &r.state, &e) ||
	    check_mapping(r.state, &map, accept, &e) ||
	    read_passwords(&cfg, src_pw, dst_pw, sizeof(src_pw), &e))
		goto fail_map;
	/* the target may be down at start: then the state store's floor
	 * alone, and the check runs again after the next restart */
	if (codes_floor_from_target(&cfg, &map, dst_pw, &code_floor, &e)) {
		log_warn("run", "could not check the target's codes: %s",
			 e.msg);
		code_floor = 0;
	}
	if (open_codes(&cfg, r.state, code_floor, &r.sf, &e))
		goto fail_map;

	for (;;) {
		int64_t started = mono_ms();

		rc = run_once(&cfg, &map, &r, src_pw, dst_pw, &ready, &e);
		if (signals_stop_requested() && (rc == 0 || rc == FERRY_ECONN))
			break;
		if (rc == FERRY_EFULL && state_can_grow(r.state)) {
			/* a batch outgrew the state store's map: it was rolled
			 * back and the map doubles before the next write, so
			 * the same batch fits when replayed */
			log_warn("run", "%s; replaying from the checkpoint",
				 e.msg);
			continue;
		}
		if (rc != FERRY_ECONN)
			break;
		if (mono_ms() - started >= HEALTHY_RUN_MS)
			backoff = BACKOFF_MIN_MS;
		log_warn("run", "%s; reconnecting in %d ms", e.msg, backoff);
		sd_notify(0, "STATUS=reconnecting");
		backoff_sleep(backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
						       : backoff * 2;
		if (signals_stop_requested()) {
			rc = 0;
			break;
		}
	}
	sd_notify(0, "STOPPING=1");
	if (rc == 0 || rc == FERRY_ECONN) {
		log_info("run", "stopped");
		rc = CLI_OK;
		goto out;
	}
fail_map:
	mapping_release(&map);
fail_cfg:
	log_error("run", "%s", e.msg);
	memset(src_pw, 0, sizeof(src_pw));
	memset(dst_pw, 0, sizeof(dst_pw));
	snowflake_free(r.sf);
	state_close(r.state);
	config_release(&cfg);
	return CLI_FAILED;
out:
	memset(src_pw, 0, sizeof(src_pw));
	memset(dst_pw, 0, sizeof(dst_pw));
	mapping_release(&map);
	snowflake_free(r.sf);
	state_close(r.state);
	config_release(&cfg);
	return rc;
}
