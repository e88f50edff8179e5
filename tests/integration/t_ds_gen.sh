# t_ds_gen.sh - tests/helpers/ds_gen, the DolphinScheduler 1.3.9 dataset
# generator.  For PostgreSQL and MariaDB: the 1.3.9 schema fixture plus the
# data of 5 projects, 200 workflows and 500 instances load into a fresh
# database without an error; the row counts are the ones the generator
# reports; every process_definition_json is JSON with as many tasks as
# `locations` has entries and every 1.3 task type occurs; the references
# resolve (schedules, SUB_PROCESS, DEPENDENT, CONDITIONS and preTasks
# names, resource, datasource and UDF ids, instances, relations); task_json
# has the stringified 1.3 shape; PostgreSQL sequences are past the ids.
# The output is byte-identical for the same arguments (and any --rate),
# different for another seed.  An edits stream of ~200 statements applies
# on both servers, keeps the invariants, and leaves both databases with the
# same content.
. "$FERRY_TOP/tests/integration/lib.sh"

FIX=$FERRY_TOP/tests/fixtures/dolphinscheduler/1.3.9
GEN=$FERRY_BUILD/tests/helpers/ds_gen
[ -x "$GEN" ] || fail "$GEN is not built (make test-bins)"
for f in postgresql.sql mysql.sql; do
	[ -e "$FIX/$f" ] || fail "fixture missing: $FIX/$f"
done
ARGS=(--projects 5 --workflows 200 --instances 500 --seed 42)
EDITS=120
DB=ds_gen13

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

q() { # pg|my SQL: rows of SQL in $DB, columns joined by "|"
	if [ "$1" = pg ]; then
		pg_sql_db $DB "$2"
	else
		my_sql_db $DB "$2" | tr '\t' '|'
	fi
}

zero() { # pg|my WHAT SQL: SQL counts rows that are wrong
	assert_eq 0 "$(q "$1" "$3")" "$1: $2"
}

atleast() { # pg|my N WHAT FROM...: at least N rows
	local n
	n=$(q "$1" "SELECT count(*) FROM $4")
	[ "$n" -ge "$2" ] || fail "$1: $n $3, expected $2 or more"
}

new_db() { # pg|my
	if [ "$1" = pg ]; then
		pg_super "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
		pg_super "CREATE DATABASE $DB OWNER ferry" >/dev/null
	else
		my_super "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB;
			GRANT ALL ON $DB.* TO 'ferry'@'127.0.0.1'"
	fi
}

load() { # pg|my FILE
	if [ "$1" = pg ]; then
		pg_sql_db $DB <"$2" >/dev/null
	else
		my_sql_db $DB <"$2" >/dev/null
	fi
}

on_exit "pg_super 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
on_exit "my_super 'DROP DATABASE IF EXISTS $DB' >/dev/null 2>&1"

# -------------------------------------------------------------- determinism

gen() { "$GEN" "$@"; }
gen --dialect postgresql "${ARGS[@]}" >"$TEST_TMP/a.sql"
gen --dialect postgresql "${ARGS[@]}" >"$TEST_TMP/b.sql"
cmp -s "$TEST_TMP/a.sql" "$TEST_TMP/b.sql" ||
	fail "two runs with the same arguments differ"
gen --dialect postgresql "${ARGS[@]}" --seed 43 >"$TEST_TMP/c.sql"
cmp -s "$TEST_TMP/a.sql" "$TEST_TMP/c.sql" &&
	fail "seeds 42 and 43 give the same output"
gen --dialect mysql "${ARGS[@]}" --edits 30 >"$TEST_TMP/e1.sql"
gen --dialect mysql "${ARGS[@]}" --edits 30 --rate 2000 >"$TEST_TMP/e2.sql"
cmp -s "$TEST_TMP/e1.sql" "$TEST_TMP/e2.sql" ||
	fail "the edits differ between two runs (--rate 0 and 2000)"
gen --dialect mysql "${ARGS[@]}" --edits 30 --edit-seed 9 >"$TEST_TMP/e3.sql"
cmp -s "$TEST_TMP/e1.sql" "$TEST_TMP/e3.sql" &&
	fail "another --edit-seed gives the same edits"
rc=0
gen --dialect oracle "${ARGS[@]}" >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "exit code for a bad dialect"
rc=0
gen --dialect mysql --schema "${ARGS[@]}" >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "exit code for --schema without --schema-file"
say "output is deterministic"

# ------------------------------------------------------------------ checks

# the generator's trailer ("-- ds_gen rows TABLE=N") against the database
check_counts() { # pg|my FILE
	local t n
	while read -r t n; do
		assert_eq "$n" "$(q "$1" "SELECT count(*) FROM $t")" \
			"$1: rows in $t"
	done < <(sed -n 's/^-- ds_gen rows \(t_ds_[a-z_]*\)=\([0-9]*\)$/\1 \2/p' \
		"$2")
	TASKS=$(sed -n 's/^-- ds_gen tasks=\([0-9]*\) .*/\1/p' "$2")
	[ -n "$TASKS" ] || fail "no task count in the generator output"
}

# PostgreSQL: one row per task, t = the node, wf / pid = its workflow and
# project
PG_T="WITH t AS (SELECT d.id wf, d.project_id pid, x t
	FROM t_ds_process_definition d,
	json_array_elements(d.process_definition_json::json->'tasks') x)"
# MariaDB: JSON_TABLE over the tasks of every workflow
MY_T="t_ds_process_definition d, JSON_TABLE(d.process_definition_json,
	'\$.tasks[*]' COLUMNS"

# invariants that hold after the initial load and after edits
check_common() { # pg|my
	local db=$1
	if [ "$db" = pg ]; then
		zero pg "tasks[] and locations disagree" "SELECT count(*)
	FROM t_ds_process_definition
	WHERE json_array_length(process_definition_json::json->'tasks')
	    <> (SELECT count(*) FROM json_object_keys(locations::json))
	  OR json_typeof(global_params::json) <> 'array'"
		zero pg "edges and preTasks disagree" "$PG_T,
	e AS (SELECT wf, sum(json_array_length(t->'preTasks')) n
	      FROM t GROUP BY wf)
	SELECT count(*) FROM t_ds_process_definition d JOIN e ON e.wf = d.id
	WHERE json_array_length(d.connects::json) <> e.n"
		zero pg "SUB_PROCESS to a missing workflow" "$PG_T
	SELECT count(*) FROM t WHERE t->>'type' = 'SUB_PROCESS'
	AND NOT EXISTS (SELECT 1 FROM t_ds_process_definition x
	    WHERE x.id = (t->'params'->>'processDefinitionId')::int)"
		zero pg "task_json not in the stringified shape" "SELECT count(*)
	FROM t_ds_task_instance
	WHERE json_typeof(task_json::json->'params') <> 'string'
	  OR json_typeof((task_json::json->>'params')::json) <> 'object'
	  OR json_typeof((task_json::json->>'preTasks')::json) <> 'array'"
	else
		zero my "invalid JSON" "SELECT count(*)
	FROM t_ds_process_definition
	WHERE NOT JSON_VALID(process_definition_json)
	  OR NOT JSON_VALID(locations) OR NOT JSON_VALID(connects)
	  OR NOT JSON_VALID(global_params)
	  OR JSON_LENGTH(process_definition_json, '\$.tasks')
	     <> JSON_LENGTH(locations)"
		zero my "SUB_PROCESS to a missing workflow" "SELECT count(*)
	FROM $MY_T (type varchar(32) PATH '\$.type',
	    sub int PATH '\$.params.processDefinitionId')) t
	WHERE t.type = 'SUB_PROCESS'
	  AND t.sub NOT IN (SELECT id FROM t_ds_process_definition)"
		zero my "task_json not in the stringified shape" "SELECT count(*)
	FROM t_ds_task_instance WHERE NOT JSON_VALID(task_json)
	  OR JSON_TYPE(JSON_EXTRACT(task_json, '\$.params')) <> 'STRING'
	  OR NOT JSON_VALID(JSON_UNQUOTE(JSON_EXTRACT(task_json, '\$.params')))"
	fi
	zero "$db" "schedule of a missing workflow" "SELECT count(*)
	FROM t_ds_schedules s
	LEFT JOIN t_ds_process_definition d ON d.id = s.process_definition_id
	WHERE d.id IS NULL"
	zero "$db" "online schedule of an offline workflow" "SELECT count(*)
	FROM t_ds_schedules s
	JOIN t_ds_process_definition d ON d.id = s.process_definition_id
	WHERE s.release_state = 1 AND d.release_state = 0"
	zero "$db" "two schedules for one workflow" "SELECT count(*)
	FROM (SELECT process_definition_id FROM t_ds_schedules
	      GROUP BY process_definition_id HAVING count(*) > 1) x"
	# (a 1.3 delete leaves the workflow's finished instances behind)
	zero "$db" "instance of a missing user" "SELECT count(*)
	FROM t_ds_process_instance
	WHERE executor_id NOT IN (SELECT id FROM t_ds_user)"
	zero "$db" "task instance of another workflow's instance" "SELECT
	count(*) FROM t_ds_task_instance i
	LEFT JOIN t_ds_process_instance p ON p.id = i.process_instance_id
	WHERE p.id IS NULL
	  OR p.process_definition_id <> i.process_definition_id"
	zero "$db" "sub-process relation to a missing instance" "SELECT count(*)
	FROM t_ds_relation_process_instance
	WHERE parent_process_instance_id NOT IN
	      (SELECT id FROM t_ds_process_instance)
	  OR process_instance_id NOT IN (SELECT id FROM t_ds_process_instance)
	  OR parent_task_instance_id NOT IN (SELECT id FROM t_ds_task_instance)"
	zero "$db" "finished instance without an end" "SELECT count(*)
	FROM t_ds_process_instance WHERE state IN (5, 6, 7, 9)
	AND (end_time IS NULL OR end_time < start_time)"
	zero "$db" "project member that does not exist" "SELECT count(*)
	FROM t_ds_relation_project_user
	WHERE user_id NOT IN (SELECT id FROM t_ds_user)
	  OR project_id NOT IN (SELECT id FROM t_ds_project)"
}

# what only the initial data promises
check_initial() { # pg|my
	local db=$1 n="JSON_LENGTH(process_definition_json, '\$.tasks')"
	[ "$db" = pg ] &&
		n="json_array_length(process_definition_json::json->'tasks')"
	assert_eq "$TASKS" \
		"$(q "$db" "SELECT sum($n) FROM t_ds_process_definition")" \
		"$db: tasks in all workflows"
	zero "$db" "instance of a missing workflow" "SELECT count(*)
	FROM t_ds_process_instance
	WHERE process_definition_id NOT IN
	      (SELECT id FROM t_ds_process_definition)"
	assert_eq 500 "$(q "$db" "SELECT count(*) FROM t_ds_process_instance
	WHERE is_sub_process = 0")" "$db: top-level process instances"
	assert_eq "admin|admin@example.com|0" "$(q "$db" "SELECT user_name,
	email, tenant_id FROM t_ds_user WHERE user_name = 'admin'")" \
		"$db: the schema's admin row, updated, not duplicated"
	assert_eq 1 "$(q "$db" "SELECT count(*) FROM t_ds_tenant
	WHERE tenant_code = 'default'")" "$db: a tenant coded default"
	assert_eq "ops alerts" "$(q "$db" "SELECT group_name
	FROM t_ds_alertgroup WHERE id = 2")" "$db: alert group 2"
	assert_eq 3 "$(q "$db" "SELECT count(DISTINCT state)
	FROM t_ds_process_instance WHERE state IN (6, 7, 9)")" \
		"$db: success, failure and kill among the instances"
	atleast "$db" 2 "users without a tenant" "t_ds_user WHERE tenant_id = 0"
	atleast "$db" 3 "in-flight instances" \
		"t_ds_process_instance WHERE state IN (0, 1, 4, 10)"
	atleast "$db" 1 "sub-process instances" \
		"t_ds_relation_process_instance"
	atleast "$db" 50 "online workflows" \
		"t_ds_process_definition WHERE release_state = 1"
	atleast "$db" 50 "offline workflows" \
		"t_ds_process_definition WHERE release_state = 0"
	atleast "$db" 1 "error commands" "t_ds_error_command"
	atleast "$db" 1 "pending commands" "t_ds_command"
	atleast "$db" 20 "schedules" "t_ds_schedules"
	atleast "$db" 2 "workflows of 50 tasks or more" \
		"t_ds_process_definition WHERE $n >= 50"
	if [ "$db" = pg ]; then
		check_initial_pg
	else
		check_initial_my
	fi
}

check_initial_pg() {
	assert_eq "CONDITIONS DATAX DEPENDENT FLINK HTTP MR PROCEDURE PYTHON \
SHELL SPARK SQL SQOOP SUB_PROCESS" "$(q pg "$PG_T
	SELECT string_agg(DISTINCT t->>'type', ' ' ORDER BY t->>'type')
	FROM t")" "pg: task types"
	assert_eq SHELL "$(q pg "$PG_T SELECT t->>'type' FROM t GROUP BY 1
	ORDER BY count(*) DESC LIMIT 1")" "pg: the most common task type"
	assert_eq 1 "$(q pg "$PG_T SELECT count(*) > 0 AND
	bool_or(t->>'id' ~ '^tasks-[0-9]+$') AND
	bool_or(t->>'id' ~ '^tasks-[0-9]+-[0-9a-z]+$') AND
	bool_or(t::jsonb ? 'desc') AND bool_or(t::jsonb ? 'workerGroupId') AND
	bool_or(NOT t::jsonb ? 'conditionResult') FROM t" | tr t 1)" \
		"pg: task id forms and key variants"
	zero pg "resource id that is no file" "$PG_T, r AS (
	    SELECT (e->>'id')::int id
	    FROM t, json_array_elements(t->'params'->'resourceList') e
	    WHERE e->>'id' IS NOT NULL
	    UNION ALL SELECT (t->'params'->'mainJar'->>'id')::int
	    FROM t WHERE t->'params'->'mainJar' IS NOT NULL)
	SELECT count(*) FROM r WHERE id NOT IN
	    (SELECT id FROM t_ds_resources WHERE is_directory = 0)"
	zero pg "datasource id that does not exist" "$PG_T, p AS (
	    SELECT t->>'type' type, t->'params' p FROM t), r AS (
	    SELECT (p->>'datasource')::int id FROM p
	    WHERE type IN ('SQL', 'PROCEDURE')
	    UNION ALL SELECT (p->>'dataSource')::int FROM p
	    WHERE type = 'DATAX' AND p->>'customConfig' = '0'
	    UNION ALL SELECT (p->>'dataTarget')::int FROM p
	    WHERE type = 'DATAX' AND p->>'customConfig' = '0'
	    UNION ALL SELECT ((p->>'sourceParams')::json->>'srcDatasource')::int
	    FROM p WHERE type = 'SQOOP' AND p->>'sourceType' = 'MYSQL'
	    UNION ALL
	    SELECT ((p->>'targetParams')::json->>'targetDatasource')::int
	    FROM p WHERE type = 'SQOOP' AND p->>'targetType' = 'MYSQL')
	SELECT count(*) FROM r
	WHERE id IS NULL OR id NOT IN (SELECT id FROM t_ds_datasource)"
	zero pg "SQL type that is not its datasource's" "$PG_T
	SELECT count(*) FROM t
	JOIN t_ds_datasource s ON s.id = (t->'params'->>'datasource')::int
	WHERE t->>'type' = 'SQL' AND t->'params'->>'type' <>
	    (ARRAY['MYSQL', 'POSTGRESQL', 'HIVE', 'SPARK', 'CLICKHOUSE',
	           'ORACLE', 'SQLSERVER', 'DB2'])[s.type + 1]"
	zero pg "UDF id that does not exist" "$PG_T, r AS (
	    SELECT unnest(string_to_array(t->'params'->>'udfs', ','))::int id
	    FROM t WHERE t->>'type' = 'SQL' AND t->'params'->>'udfs' <> '')
	SELECT count(*) FROM r WHERE id NOT IN (SELECT id FROM t_ds_udfs)"
	local I="$PG_T, i AS (SELECT t.pid, it FROM t,
	    json_array_elements(t->'dependence'->'dependTaskList') l,
	    json_array_elements(l->'dependItemList') it
	    WHERE t->>'type' = 'DEPENDENT')"
	zero pg "DEPENDENT item that does not resolve" "$I
	SELECT count(*) FROM i
	WHERE NOT EXISTS (SELECT 1 FROM t_ds_process_definition d
	    WHERE d.id = (it->>'definitionId')::int
	      AND d.project_id = (it->>'projectId')::int)
	  OR (it->>'depTasks' <> 'ALL' AND NOT EXISTS (SELECT 1 FROM t t2
	    WHERE t2.wf = (it->>'definitionId')::int
	      AND t2.t->>'name' = it->>'depTasks'))"
	assert_eq 1 "$(q pg "$I SELECT count(*) > 0 AND
	bool_or(it->>'depTasks' = 'ALL') AND
	bool_or((it->>'projectId')::int <> pid) FROM i" | tr t 1)" \
		"pg: DEPENDENT on ALL and on another project"
	zero pg "CONDITIONS branch or preTasks name that does not resolve" \
		"$PG_T, n AS (
	    SELECT wf, json_array_elements_text(t->'preTasks') name FROM t
	    UNION ALL SELECT wf,
	        json_array_elements_text(t->'conditionResult'->'successNode')
	    FROM t WHERE t->>'type' = 'CONDITIONS'
	    UNION ALL SELECT wf,
	        json_array_elements_text(t->'conditionResult'->'failedNode')
	    FROM t WHERE t->>'type' = 'CONDITIONS')
	SELECT count(*) FROM n WHERE name <> '' AND NOT EXISTS
	    (SELECT 1 FROM t t2 WHERE t2.wf = n.wf AND t2.t->>'name' = n.name)"
	zero pg "datasource whose \"other\" is not a string" "SELECT count(*)
	FROM t_ds_datasource
	WHERE json_typeof(connection_params::json->'other') <> 'string'"
	# the sequences are past the ids: a 1.3 application can insert
	local t
	for t in t_ds_process_definition t_ds_task_instance t_ds_user; do
		assert_eq "$(q pg "SELECT max(id) + 1 FROM $t")" \
			"$(q pg "SELECT nextval('${t}_id_sequence')")" \
			"pg: sequence of $t"
		q pg "SELECT setval('${t}_id_sequence', max(id)) FROM $t" \
			>/dev/null
	done
}

check_initial_my() {
	zero my "resource id that does not exist" "SELECT count(*)
	FROM $MY_T (jar int PATH '\$.params.mainJar.id',
	    NESTED PATH '\$.params.resourceList[*]'
	    COLUMNS (id int PATH '\$.id'))) r
	WHERE (r.id IS NOT NULL AND r.id NOT IN
	       (SELECT id FROM t_ds_resources WHERE is_directory = 0))
	  OR (r.jar IS NOT NULL AND r.jar NOT IN
	       (SELECT id FROM t_ds_resources))"
	zero my "datasource id that does not exist" "SELECT count(*)
	FROM $MY_T (type varchar(32) PATH '\$.type',
	    ds int PATH '\$.params.datasource',
	    src int PATH '\$.params.dataSource',
	    dst int PATH '\$.params.dataTarget')) t
	WHERE (t.type IN ('SQL', 'PROCEDURE')
	       AND (t.ds IS NULL OR t.ds NOT IN
	            (SELECT id FROM t_ds_datasource)))
	  OR (t.type = 'DATAX' AND (t.src NOT IN
	      (SELECT id FROM t_ds_datasource) OR t.dst NOT IN
	      (SELECT id FROM t_ds_datasource)))"
	zero my "DEPENDENT on a missing workflow" "SELECT count(*)
	FROM $MY_T (NESTED PATH
	    '\$.dependence.dependTaskList[*].dependItemList[*]'
	    COLUMNS (def int PATH '\$.definitionId',
	             pid int PATH '\$.projectId'))) t
	WHERE t.def IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM t_ds_process_definition x
	    WHERE x.id = t.def AND x.project_id = t.pid)"
}

# --------------------------------------------------------------- per server

for db in pg my; do
	dialect=postgresql schema=$FIX/postgresql.sql
	[ $db = my ] && dialect=mysql schema=$FIX/mysql.sql
	new_db $db
	gen --dialect $dialect --schema --schema-file "$schema" "${ARGS[@]}" \
		>"$TEST_TMP/$db.sql"
	load $db "$TEST_TMP/$db.sql"
	check_counts $db "$TEST_TMP/$db.sql"
	check_initial $db
	check_common $db
	say "$db: initial data loads, $TASKS tasks, references resolve"

	gen --dialect $dialect "${ARGS[@]}" --edits $EDITS \
		>"$TEST_TMP/$db-edits.sql"
	n=$(sed -n 's/^-- ds_gen edits=[0-9]* statements=\([0-9]*\)$/\1/p' \
		"$TEST_TMP/$db-edits.sql")
	[ "${n:-0}" -ge 150 ] && [ "$n" -le 400 ] ||
		fail "$db: $EDITS edits gave ${n:-no} statements"
	load $db "$TEST_TMP/$db-edits.sql"
	check_common $db
	say "$db: $EDITS edits ($n statements) apply"
done

# both servers got the same streams: the same rows
for t in t_ds_process_definition t_ds_schedules t_ds_process_instance \
	t_ds_task_instance t_ds_user t_ds_project t_ds_command; do
	assert_eq "$(q pg "SELECT count(*) FROM $t")" \
		"$(q my "SELECT count(*) FROM $t")" "rows in $t on both servers"
done
sum="SELECT id, md5(name), md5(process_definition_json), md5(locations),
	md5(connects), release_state FROM t_ds_process_definition ORDER BY id"
assert_eq "$(q pg "$sum")" "$(q my "$sum")" "workflows on both servers"
sum="SELECT id, state, md5(task_json) FROM t_ds_task_instance ORDER BY id"
assert_eq "$(q pg "$sum" | md5sum)" "$(q my "$sum" | md5sum)" \
	"task instances on both servers"
say "both servers hold the same data"
