# t_verify.sh - `ferry verify` on DolphinScheduler pairs built from the
# real fixtures: 1.3.9 source and 3.2.2 target databases created from the
# schema fixtures, filled by tests/helpers/ds_fixture_load (the 1.3 rows
# of every pd_*.json, and the 3.2 rows their split gives, with the state
# store the migration would keep).  Verify must pass on PostgreSQL ->
# PostgreSQL, MySQL -> MySQL and PostgreSQL -> MySQL, and on the target
# `ferry run` itself writes from the same source with the
# DolphinScheduler mapping; and it must find each of
# these corruptions of the target (exit 1, the right line): a relation
# pointing to a missing task version, a cycle, a schedule pointing to a
# missing workflow, a duplicate task code, a project code that does not
# resolve, a task parameter changed, an edge removed, a workflow missing;
# and, on the source side, a workflow ferry never migrated.  Also: the
# options (--limit, --quiet, --workflow), projects.include, and exit 2 for
# configuration and usage errors, 1 for a server that cannot be reached.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

FIX=$FERRY_TOP/tests/fixtures/dolphinscheduler
for f in process_json 1.3.9/postgresql.sql 1.3.9/mysql.sql \
	3.2.2/postgresql.sql 3.2.2/mysql.sql; do
	[ -e "$FIX/$f" ] || fail "fixture missing: $FIX/$f"
done
ls "$FIX"/process_json/pd_*.json >/dev/null 2>&1 ||
	fail "no pd_*.json fixtures in $FIX/process_json"
MAPPING=$FERRY_TOP/mappings/dolphinscheduler/ds-1.3.9-to-3.2.2.yaml
LOADER=$FERRY_BUILD/tests/helpers/ds_fixture_load
[ -x "$LOADER" ] || fail "$LOADER is not built (make test-bins)"

printf '%s\n' "$FERRY_TEST_PG_PASSWORD" >"$TEST_TMP/pg.password"
printf '%s\n' "$FERRY_TEST_MY_PASSWORD" >"$TEST_TMP/my.password"
chmod 600 "$TEST_TMP/pg.password" "$TEST_TMP/my.password"

# ---------------------------------------------------------------- helpers

my_sql_db() { # DB [SQL]
	local db=$1
	shift
	local _lib_sql
	[ $# -gt 0 ] && _lib_sql="$*"
	_lib_sql_in mariadb --no-defaults --connect-timeout=10 -N -B \
		--default-character-set=utf8mb4 \
		-h "$FERRY_TEST_MY_HOST" -P "$FERRY_TEST_MY_PORT" \
		-u "$FERRY_TEST_MY_USER" --password="$FERRY_TEST_MY_PASSWORD" \
		"$db"
}

q() { # pg|my DB SQL: run SQL, print the rows
	if [ "$1" = pg ]; then pg_sql_db "$2" "$3"; else my_sql_db "$2" "$3"; fi
}

new_db() { # pg|my DB 1.3.9|3.2.2: a fresh database from the schema fixture
	if [ "$1" = pg ]; then
		pg_new_db "$2"
		pg_sql_db "$2" <"$FIX/$3/postgresql.sql" >/dev/null
	else
		my_super "DROP DATABASE IF EXISTS \`$2\`; CREATE DATABASE \`$2\`"
		my_sql_db "$2" <"$FIX/$3/mysql.sql" >/dev/null
	fi
}

db_yaml() { # ROLE pg|my DB
	if [ "$2" = pg ]; then
		cat <<YAML
$1:
  driver: postgresql
  host: $FERRY_TEST_PG_HOST
  port: $FERRY_TEST_PG_PORT
  user: $FERRY_TEST_PG_USER
  database: $3
  password_file: $TEST_TMP/pg.password
YAML
	else
		cat <<YAML
$1:
  driver: mysql
  host: $FERRY_TEST_MY_HOST
  port: $FERRY_TEST_MY_PORT
  user: $FERRY_TEST_MY_USER
  database: $3
  password_file: $TEST_TMP/my.password
YAML
	fi
}

conf() { # FILE SRC_KIND SRC_DB DST_KIND DST_DB STATE [EXTRA_YAML]
	{
		db_yaml source "$2" "$3"
		db_yaml target "$4" "$5"
		echo "mapping: $MAPPING"
		echo "state_dir: $6"
		echo "${7:-}"
	} >"$1"
}

# build a pair: NAME SRC_KIND DST_KIND -> $TEST_TMP/NAME.yaml
build_pair() {
	local name=$1 sk=$2 dk=$3 out
	new_db "$sk" "v13_$name" 1.3.9
	new_db "$dk" "v32_$name" 3.2.2
	conf "$TEST_TMP/$name.yaml" "$sk" "v13_$name" "$dk" "v32_$name" \
		"$TEST_TMP/state-$name"
	out=$("$LOADER" -c "$TEST_TMP/$name.yaml" "$FIX/process_json") ||
		fail "ds_fixture_load failed for $name: $out"
	say "$name: $out"
}

RC=0
OUT=
verify() { # CONF [ARGS...]: sets RC and OUT (stdout + stderr)
	RC=0
	OUT=$("$FERRY_BIN" verify -c "$@" 2>&1) || RC=$?
}

expect_ok() { # CONF WHAT [ARGS...]
	local c=$1 what=$2
	shift 2
	verify "$c" "$@"
	if [ "$RC" != 0 ]; then
		printf '%s\n' "$OUT" | head -30 >&2
		fail "$what: verify exited $RC, expected 0"
	fi
	assert_contains "$OUT" "summary: 0 mismatches (" "$what: summary"
}

expect_bad() { # CONF WHAT NEEDLE [ARGS...]
	local c=$1 what=$2 needle=$3
	shift 3
	verify "$c" "$@"
	if [ "$RC" != 1 ]; then
		printf '%s\n' "$OUT" | head -30 >&2
		fail "$what: verify exited $RC, expected 1"
	fi
	assert_contains "$OUT" "$needle" "$what"
	[ -z "${VERIFY_SHOW:-}" ] || printf '%s\n' "# $what:" "$OUT"
}

# one corruption of a pair's target: apply, expect the line, undo
corruption() { # NAME KIND DB WHAT NEEDLE DO_SQL UNDO_SQL
	q "$2" "$3" "$6"
	expect_bad "$TEST_TMP/$1.yaml" "$1: $4" "$5"
	q "$2" "$3" "$7"
}

# ------------------------------------------------------- the corruptions

corruptions() { # NAME DST_KIND
	local name=$1 k=$2 c=$TEST_TMP/$1.yaml
	local rid row post code tid pd wf lines
	db=v32_$name

	# a relation naming a task version that does not exist
	row=$(q "$k" "$db" "SELECT min(id) FROM t_ds_process_task_relation_log WHERE pre_task_code <> 0")
	post=$(q "$k" "$db" "SELECT post_task_code FROM t_ds_process_task_relation_log WHERE id = $row")
	q "$k" "$db" "UPDATE t_ds_process_task_relation_log SET post_task_version = 99 WHERE id = $row"
	expect_bad "$c" "$name: missing task version" \
		"relations: t_ds_process_task_relation_log id $row (workflow code"
	assert_contains "$OUT" "post task $post version 99 is not in t_ds_task_definition_log" \
		"$name: missing task version"
	# the options, while there are mismatches to list
	verify "$c" --quiet
	assert_eq 1 "$RC" "$name: --quiet exit code"
	assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "$name: --quiet prints the summary only"
	assert_contains "$OUT" "summary: " "$name: --quiet summary"
	verify "$c" --limit 1
	lines=$(printf '%s\n' "$OUT" | wc -l)
	assert_eq 2 "$lines" "$name: --limit 1 lists one mismatch and the summary"
	assert_contains "$OUT" "relations 1 of" "$name: --limit still counts"
	wf=$(q "$k" "$db" "SELECT min(id) FROM t_ds_process_definition WHERE code <> (SELECT process_definition_code FROM t_ds_process_task_relation_log WHERE id = $row)")
	expect_ok "$c" "$name: --workflow of an intact workflow" --workflow "$wf"
	assert_contains "$OUT" "digest 0 of 1)" "$name: --workflow checks one digest"
	q "$k" "$db" "UPDATE t_ds_process_task_relation_log SET post_task_version = 1 WHERE id = $row"

	# a cycle: the reverse of an existing edge
	row=$(q "$k" "$db" "SELECT max(id) FROM t_ds_process_task_relation_log WHERE pre_task_code <> 0")
	corruption "$name" "$k" "$db" "cycle" ": cycle " \
		"INSERT INTO t_ds_process_task_relation_log (id, name, project_code, process_definition_code, process_definition_version, pre_task_code, pre_task_version, post_task_code, post_task_version, condition_type, condition_params, operator, operate_time, create_time, update_time) SELECT 900001, name, project_code, process_definition_code, process_definition_version, post_task_code, post_task_version, pre_task_code, pre_task_version, condition_type, condition_params, operator, operate_time, create_time, update_time FROM t_ds_process_task_relation_log WHERE id = $row" \
		"DELETE FROM t_ds_process_task_relation_log WHERE id = 900001"

	# a schedule of a workflow that does not exist
	code=$(q "$k" "$db" "SELECT process_definition_code FROM t_ds_schedules WHERE id = 1")
	corruption "$name" "$k" "$db" "schedule" \
		"schedules: t_ds_schedules id 1: process_definition_code 4242 is not in t_ds_process_definition" \
		"UPDATE t_ds_schedules SET process_definition_code = 4242 WHERE id = 1" \
		"UPDATE t_ds_schedules SET process_definition_code = $code WHERE id = 1"

	# a task code twice in t_ds_task_definition
	tid=$(q "$k" "$db" "SELECT min(id) FROM t_ds_task_definition")
	code=$(q "$k" "$db" "SELECT code FROM t_ds_task_definition WHERE id = $tid")
	corruption "$name" "$k" "$db" "duplicate task code" \
		"codes: t_ds_task_definition: code $code has 2 rows (ids $tid, 900001)" \
		"INSERT INTO t_ds_task_definition (id, code, name, version, description, project_code, user_id, task_type, task_execute_type, task_params, flag, is_cache, task_priority, worker_group, environment_code, fail_retry_times, fail_retry_interval, timeout_flag, timeout_notify_strategy, timeout, delay_time, resource_ids, cpu_quota, memory_max, create_time, update_time) SELECT 900001, code, name, version, description, project_code, user_id, task_type, task_execute_type, task_params, flag, is_cache, task_priority, worker_group, environment_code, fail_retry_times, fail_retry_interval, timeout_flag, timeout_notify_strategy, timeout, delay_time, resource_ids, cpu_quota, memory_max, create_time, update_time FROM t_ds_task_definition WHERE id = $tid" \
		"DELETE FROM t_ds_task_definition WHERE id = 900001"

	# a project code no project has
	pd=$(q "$k" "$db" "SELECT min(id) FROM t_ds_process_definition WHERE id > 1000")
	code=$(q "$k" "$db" "SELECT project_code FROM t_ds_process_definition WHERE id = $pd")
	corruption "$name" "$k" "$db" "project code" \
		"projects: t_ds_process_definition id $pd (code" \
		"UPDATE t_ds_process_definition SET project_code = 424242 WHERE id = $pd" \
		"UPDATE t_ds_process_definition SET project_code = $code WHERE id = $pd"
	assert_contains "$OUT" "project_code 424242 is not in t_ds_project" "$name: project code"

	# a task parameter changed on the target (log: what the master runs)
	wf=$(q "$k" "$db" "SELECT id FROM t_ds_process_definition WHERE name = 'ds139_shell_5'")
	[ -n "$wf" ] || fail "$name: no workflow ds139_shell_5"
	code=$(q "$k" "$db" "SELECT post_task_code FROM t_ds_process_task_relation_log r JOIN t_ds_process_definition p ON p.code = r.process_definition_code WHERE p.id = $wf")
	corruption "$name" "$k" "$db" "task parameter" \
		"digest: workflow $wf \"ds139_shell_5\" code" \
		"UPDATE t_ds_task_definition_log SET task_params = replace(task_params, 'echo', 'ECHO') WHERE code = $code" \
		"UPDATE t_ds_task_definition_log SET task_params = replace(task_params, 'ECHO', 'echo') WHERE code = $code"
	assert_contains "$OUT" "log tables (what the master runs): task $code \"shell-5\": task_params differs: source ...ms\":[],\"rawScript\":\"echo" \
		"$name: task parameter"
	assert_eq 2 "$(printf '%s\n' "$OUT" | wc -l)" "$name: task parameter: one mismatch"

	# an edge removed (runtime rows)
	row=$(q "$k" "$db" "SELECT min(id) FROM t_ds_process_task_relation_log WHERE pre_task_code <> 0")
	pd=$(q "$k" "$db" "SELECT process_definition_code FROM t_ds_process_task_relation_log WHERE id = $row")
	corruption "$name" "$k" "$db" "edge removed" \
		"is missing on the target" \
		"CREATE TABLE v_bak AS SELECT * FROM t_ds_process_task_relation_log WHERE id = $row; DELETE FROM t_ds_process_task_relation_log WHERE id = $row" \
		"INSERT INTO t_ds_process_task_relation_log SELECT * FROM v_bak; DROP TABLE v_bak"
	assert_contains "$OUT" "code $pd: log tables (what the master runs): edge " "$name: edge removed"

	# a workflow missing on the target
	wf=$(q "$k" "$db" "SELECT max(id) FROM t_ds_process_definition WHERE id > 1000")
	corruption "$name" "$k" "$db" "workflow missing" \
		"digest: workflow $wf " \
		"CREATE TABLE v_bak AS SELECT * FROM t_ds_process_definition WHERE id = $wf; DELETE FROM t_ds_process_definition WHERE id = $wf" \
		"INSERT INTO t_ds_process_definition SELECT * FROM v_bak; DROP TABLE v_bak"
	assert_contains "$OUT" ": not on the target (no t_ds_process_definition row)" \
		"$name: workflow missing"
	assert_contains "$OUT" "relations: t_ds_process_task_relation: " "$name: workflow missing"
	assert_contains "$OUT" "is not in t_ds_process_definition" "$name: workflow missing"

	# back to intact
	expect_ok "$c" "$name: after undoing every corruption"
}

# ------------------------------------------------------------------ tests

build_pair pp pg pg
expect_ok "$TEST_TMP/pp.yaml" "pp: intact PostgreSQL -> PostgreSQL"
n=$(pg_sql_db v13_pp "SELECT count(*) FROM t_ds_process_definition")
assert_contains "$OUT" ", digest 0 of $n)" "pp: every workflow digested"
say "pp: $OUT"
corruptions pp pg

# a workflow the state store does not know
pg_sql_db v13_pp "INSERT INTO t_ds_process_definition (id, name, version, release_state, project_id, user_id, process_definition_json, flag, create_time, update_time) VALUES (5000, 'new_wf', 0, 0, 1, 1, '{\"globalParams\":[],\"tasks\":[]}', 1, now(), now())"
expect_bad "$TEST_TMP/pp.yaml" "pp: not migrated" \
	'digest: workflow 5000 "new_wf": not migrated (the state store does not know it)'
pg_sql_db v13_pp "DELETE FROM t_ds_process_definition WHERE id = 5000"

# projects.include selects the source workflows (by name and by id)
conf "$TEST_TMP/pp_b.yaml" pg v13_pp pg v32_pp "$TEST_TMP/state-pp" \
	"projects:
  include: [project_b]"
n=$(pg_sql_db v13_pp "SELECT count(*) FROM t_ds_process_definition WHERE project_id = 2")
expect_ok "$TEST_TMP/pp_b.yaml" "pp: projects.include by name"
assert_contains "$OUT" ", digest 0 of $n)" "pp: only project_b digested"
conf "$TEST_TMP/pp_1.yaml" pg v13_pp pg v32_pp "$TEST_TMP/state-pp" \
	"projects:
  include: [\"1\"]"
n=$(pg_sql_db v13_pp "SELECT count(*) FROM t_ds_process_definition WHERE project_id = 1")
expect_ok "$TEST_TMP/pp_1.yaml" "pp: projects.include by id"
assert_contains "$OUT" ", digest 0 of $n)" "pp: only project 1 digested"

# the real migration: ferry run with the DolphinScheduler mapping over the
# same source into a fresh target; verify finds nothing there either
new_db pg v32_run 3.2.2
ferry_conf_pg "$TEST_TMP/run.yaml" v13_pp v32_run t_verify_run
sed -i "s|^mapping: .*|mapping: $MAPPING|" "$TEST_TMP/run.yaml"
run_n=$(pg_sql_db v13_pp "SELECT count(*) FROM t_ds_process_definition")
# (wait_until has a local "n": bash's dynamic scope would show it here)
run_caught_up() {
	[ "$(pg_sql_db v32_run "SELECT count(*) FROM t_ds_process_definition")" = "$run_n" ] &&
		"$FERRY_BIN" verify -c "$TEST_TMP/run.yaml" --quiet >"$TEST_TMP/run.verify" 2>&1
}
ferry_start "$TEST_TMP/run.yaml"
wait_until 90 run_caught_up
ferry_stop
assert_eq "0 rejected rows" "$("$FERRY_BIN" rejects -c "$TEST_TMP/run.yaml" list | tail -1)" \
	"run: rejects"
expect_ok "$TEST_TMP/run.yaml" "run: the target ferry run wrote"
assert_contains "$OUT" ", digest 0 of $run_n)" "run: every workflow digested"
say "run: $OUT"

# usage and configuration errors: 2; an unreachable server: 1
verify "$TEST_TMP/pp.yaml" --limit x
assert_eq 2 "$RC" "bad --limit"
verify "$TEST_TMP/pp.yaml" extra
assert_eq 2 "$RC" "unexpected argument"
conf "$TEST_TMP/bad.yaml" pg v13_pp pg v32_pp "$TEST_TMP/state-pp" "colour: blue"
verify "$TEST_TMP/bad.yaml"
assert_eq 2 "$RC" "unknown config key"
assert_contains "$OUT" "bad.yaml:" "config error names the file"
verify "$TEST_TMP/missing.yaml"
assert_eq 2 "$RC" "missing config file"
sed "s|^mapping: .*|mapping: $TEST_TMP/nope.yaml|" "$TEST_TMP/pp.yaml" >"$TEST_TMP/nomap.yaml"
verify "$TEST_TMP/nomap.yaml"
assert_eq 2 "$RC" "missing mapping file"
assert_contains "$OUT" "nope.yaml" "missing mapping file"
printf 'Wr0ng-S3cret-%s\n' $$ >"$TEST_TMP/wrong.password"
chmod 600 "$TEST_TMP/wrong.password"
sed "s|password_file: .*|password_file: $TEST_TMP/wrong.password|" "$TEST_TMP/pp.yaml" >"$TEST_TMP/wrong.yaml"
verify "$TEST_TMP/wrong.yaml"
assert_eq 1 "$RC" "wrong password"
assert_contains "$OUT" "password authentication failed" "wrong password"
[[ $OUT != *Wr0ng-S3cret* ]] || fail "the password is in verify's output"
sed "s/port: $FERRY_TEST_PG_PORT/port: 1/" "$TEST_TMP/pp.yaml" >"$TEST_TMP/noconn.yaml"
verify "$TEST_TMP/noconn.yaml"
assert_eq 1 "$RC" "unreachable server"
assert_contains "$OUT" "could not connect to PostgreSQL" "unreachable server"

build_pair mm my my
expect_ok "$TEST_TMP/mm.yaml" "mm: intact MySQL -> MySQL"
n=$(my_sql_db v13_mm "SELECT count(*) FROM t_ds_process_definition")
assert_contains "$OUT" ", digest 0 of $n)" "mm: every workflow digested"
say "mm: $OUT"
corruptions mm my

build_pair pm pg my
expect_ok "$TEST_TMP/pm.yaml" "pm: intact PostgreSQL -> MySQL"
say "pm: $OUT"
