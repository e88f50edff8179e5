# t_ds_generated.sh - a generated DolphinScheduler 1.3.9 database of 2,000
# workflows (ds_gen: every task type, DAG shapes, sub-processes,
# dependents, schedules, instances, large JSON) migrates live into a fresh
# 3.2.2 schema while the 1.3 side keeps being edited, and `ferry verify`
# passes: every relation, DAG, schedule, code and project resolves, and
# every workflow's 3.2 rows mean what its 1.3 JSON means.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

FIX=$FERRY_TOP/tests/fixtures/dolphinscheduler
[ -d "$FIX/1.3.9" ] || fail "fixtures not found at $FIX"
GEN=$FERRY_BUILD/tests/helpers/ds_gen
SHAPE="--projects 8 --workflows ${FERRY_TEST_WORKFLOWS:-2000} --instances 300 --seed 1309"

pg_new_db ds13_gen
pg_new_db ds32_gen
"$GEN" --dialect postgresql $SHAPE --schema \
	--schema-file "$FIX/1.3.9/postgresql.sql" | pg_sql_db ds13_gen >/dev/null
pg_sql_db ds32_gen <"$FIX/3.2.2/postgresql.sql" >/dev/null
say "source: $(pg_sql_db ds13_gen "SELECT count(*) FROM t_ds_process_definition") workflows, $(pg_sql_db ds13_gen "SELECT count(*) FROM t_ds_task_instance") task instances"

ferry_conf_pg "$TEST_TMP/ferry.yaml" ds13_gen ds32_gen t_dsgen
sed -i "s|^mapping: .*|mapping: $FERRY_TOP/mappings/dolphinscheduler/ds-1.3.9-to-3.2.2.yaml|" "$TEST_TMP/ferry.yaml"
ferry_start "$TEST_TMP/ferry.yaml"
wait_until 300 grep -q "streaming slot" "$FERRY_LOG"
copied() {
	[ "$(pg_sql_db ds32_gen "SELECT count(*) FROM t_ds_process_definition")" = \
		"$(pg_sql_db ds13_gen "SELECT count(*) FROM t_ds_process_definition")" ]
}
wait_until 300 copied
say "initial copy done"

# the 1.3 side keeps changing: workflows edited, added, deleted, tasks
# renamed, schedules switched, instances finishing
"$GEN" --dialect postgresql $SHAPE --edits 300 --rate 0 |
	pg_sql_db ds13_gen >/dev/null
pg_sql_db ds13_gen "UPDATE t_ds_project SET description = 'marker-$$' WHERE id = (SELECT min(id) FROM t_ds_project)"
marker_arrived() {
	[ "$(pg_sql_db ds32_gen "SELECT count(*) FROM t_ds_project WHERE description = 'marker-$$'")" = 1 ]
}
wait_until 120 marker_arrived
ferry_alive
ferry_stop

say "edits applied; $("$FERRY_BIN" rejects -c "$TEST_TMP/ferry.yaml" list | tail -1)"
"$FERRY_BIN" rejects -c "$TEST_TMP/ferry.yaml" list | sed -n '2,$p' | grep "$(printf '\t')" | cut -f3,6 | cut -c1-160 | sort | uniq -c | sort -rn | head || true

rc=0
"$FERRY_BIN" verify -c "$TEST_TMP/ferry.yaml" --limit 20 >"$TEST_TMP/verify.log" 2>&1 || rc=$?
cat "$TEST_TMP/verify.log"
assert_eq 0 "$rc" "ferry verify exit code"
assert_eq "$(pg_sql_db ds13_gen "SELECT count(*) FROM t_ds_process_definition")" \
	"$(pg_sql_db ds32_gen "SELECT count(*) FROM t_ds_process_definition")" "workflows"
