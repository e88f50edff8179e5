# t_pg_rejects.sh - bad rows never stop the flow and are never lost: a row
# the target refuses (a CHECK constraint, a value too long for its
# column) goes to the reject store with its table, key and the server's
# reason, while the other rows of the same source transaction and of the
# same batch are applied; streaming goes on.  `ferry rejects show` gives
# the whole row back.  And a DolphinScheduler workflow whose JSON is not
# JSON is rejected with the workflow named, the others migrate.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

pg_new_db s_rej
pg_new_db d_rej
pg_sql_db s_rej "CREATE TABLE t (id int PRIMARY KEY, qty int, code text)"
pg_sql_db d_rej "CREATE TABLE t (id int PRIMARY KEY, qty int CHECK (qty >= 0), code varchar(5))"
pg_sql_db s_rej "INSERT INTO t SELECT g, g, 'c' || g FROM generate_series(1, 500) g"
pg_sql_db s_rej "INSERT INTO t VALUES (501, -1, 'neg')"          # refused: CHECK
ferry_conf_pg "$TEST_TMP/ferry.yaml" s_rej d_rej t_rej
ferry_start "$TEST_TMP/ferry.yaml"
wait_until 30 grep -q "streaming slot" "$FERRY_LOG"
# one transaction: two good rows around a bad one
pg_sql_db s_rej "BEGIN; INSERT INTO t VALUES (600, 1, 'ok'); INSERT INTO t VALUES (601, 2, 'far-too-long'); INSERT INTO t VALUES (602, 3, 'ok'); COMMIT"
pg_sql_db s_rej "INSERT INTO t VALUES (700, 7, 'after')"
arrived() { [ "$(pg_sql_db d_rej "SELECT count(*) FROM t WHERE id = 700")" = 1 ]; }
wait_until 30 arrived
ferry_alive
assert_eq "503" "$(pg_sql_db d_rej "SELECT count(*) FROM t")" "rows applied (500 + 600, 602 + 700, not 501, 601)"
assert_eq "0" "$(pg_sql_db d_rej "SELECT count(*) FROM t WHERE id IN (501, 601)")" "refused rows"
ferry_stop

list=$("$FERRY_BIN" rejects -c "$TEST_TMP/ferry.yaml" list)
assert_contains "$list" "2 rejected rows"
assert_contains "$list" "id=501"
assert_contains "$list" "violates check constraint"
assert_contains "$list" "id=601"
assert_contains "$list" "value too long"
id=$(echo "$list" | awk -F'\t' '$5 == "id=601" { print $1 }')
show=$("$FERRY_BIN" rejects -c "$TEST_TMP/ferry.yaml" show "$id")
assert_contains "$show" '"code":"far-too-long"'
assert_contains "$show" "table     public.t"
code=0
"$FERRY_BIN" rejects -c "$TEST_TMP/ferry.yaml" delete "$id" >/dev/null || code=$?
assert_eq 0 "$code" "rejects delete"
assert_contains "$("$FERRY_BIN" rejects -c "$TEST_TMP/ferry.yaml" list)" "1 rejected row"

# ---- a workflow that is not JSON: rejected with its name, the rest goes
FIX=$FERRY_TOP/tests/fixtures/dolphinscheduler
pg_new_db ds13_rej
pg_new_db ds32_rej
pg_sql_db ds13_rej <"$FIX/1.3.9/postgresql.sql" >/dev/null
pg_sql_db ds32_rej <"$FIX/3.2.2/postgresql.sql" >/dev/null
pg_sql_db ds13_rej <<'SQL'
INSERT INTO t_ds_project (id, name, user_id, flag, create_time, update_time) VALUES (1, 'p', 1, 1, now(), now());
INSERT INTO t_ds_process_definition (id, name, release_state, project_id, user_id, process_definition_json, flag, create_time, update_time)
VALUES (1, 'good', 1, 1, 1, '{"tasks":[{"id":"tasks-1","name":"a","type":"SHELL","params":{"rawScript":"echo"},"preTasks":[]}]}', 1, now(), now()),
       (2, 'broken', 1, 1, 1, '{"tasks":[{"id":"tasks-1", oops', 1, now(), now());
SQL
ferry_conf_pg "$TEST_TMP/ds.yaml" ds13_rej ds32_rej t_rejds
sed -i -e "s|^mapping: .*|mapping: $FERRY_TOP/mappings/dolphinscheduler/ds-1.3.9-to-3.2.2.yaml|" \
	-e "s|^state_dir: .*|state_dir: $TEST_TMP/state-ds|" "$TEST_TMP/ds.yaml"
FERRY_LOG=$TEST_TMP/ds.log
ferry_start "$TEST_TMP/ds.yaml"
good() { [ "$(pg_sql_db ds32_rej "SELECT count(*) FROM t_ds_task_definition WHERE name = 'a'")" = 1 ]; }
wait_until 30 good
ferry_stop
assert_eq "good" "$(pg_sql_db ds32_rej "SELECT string_agg(name, ',') FROM t_ds_process_definition")" "migrated workflows"
list=$("$FERRY_BIN" rejects -c "$TEST_TMP/ds.yaml" list)
assert_contains "$list" "1 rejected row"
assert_contains "$list" 'process definition 2 "broken"'
