# t_ds_fixtures.sh - every real DolphinScheduler 1.3 process JSON sample
# (tests/fixtures/dolphinscheduler/process_json, a copy of ../shared/fixtures) migrates through
# `ferry run` with the DolphinScheduler mapping into the unmodified 3.2.2
# schema (all its constraints and unique keys in place), with no reject:
# PostgreSQL -> PostgreSQL, MySQL -> MySQL and MySQL -> PostgreSQL.  Each
# sample's tasks, types, edges, locations and rewritten params are checked
# field by field against its 1.3 JSON (ds_fixtures.py), and the seed rows
# of the 3.2 schema are reconciled, not duplicated.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

FIX=$FERRY_TOP/tests/fixtures/dolphinscheduler
[ -d "$FIX/process_json" ] || fail "fixtures not found at $FIX"
MAPPING=$FERRY_TOP/mappings/dolphinscheduler/ds-1.3.9-to-3.2.2.yaml
PY=$FERRY_TOP/tests/integration/ds_fixtures.py

# the 3.2 tables the check reads, as tab-separated dumps with a header
DUMP_SQL_PD="SELECT id, code, name, project_code, version, locations FROM t_ds_process_definition"
DUMP_SQL_TD="SELECT code, version, name, task_type, task_params FROM t_ds_task_definition"
DUMP_SQL_TDLOG="SELECT code, version FROM t_ds_task_definition_log"
DUMP_SQL_REL="SELECT process_definition_code, pre_task_code, post_task_code FROM t_ds_process_task_relation"
DUMP_SQL_RELLOG="SELECT process_definition_code, pre_task_code, post_task_code FROM t_ds_process_task_relation_log"

pg_dump_tsv() { # DB DIR
	local k
	for k in PD TD TDLOG REL RELLOG; do
		local var=DUMP_SQL_$k
		PGPASSWORD=$FERRY_TEST_PG_PASSWORD "$FERRY_TEST_PG_BIN/psql" -X -q \
			-A -F $'\t' -P footer=off -h "$FERRY_TEST_PG_HOST" \
			-p "$FERRY_TEST_PG_PORT" -U "$FERRY_TEST_PG_USER" -d "$1" \
			-c "${!var}" >"$2/$(echo $k | tr A-Z a-z).tsv"
	done
}

my_dump_tsv() { # DB DIR
	local k
	for k in PD TD TDLOG REL RELLOG; do
		local var=DUMP_SQL_$k
		mariadb --no-defaults --connect-timeout=10 -B --raw \
			--default-character-set=utf8mb4 -h "$FERRY_TEST_MY_HOST" \
			-P "$FERRY_TEST_MY_PORT" -u "$FERRY_TEST_MY_USER" \
			--password="$FERRY_TEST_MY_PASSWORD" "$1" \
			-e "${!var}" >"$2/$(echo $k | tr A-Z a-z).tsv"
	done
}

check_target() { # KIND DB
	local dir=$TEST_TMP/dump-$2
	mkdir -p "$dir"
	if [ "$1" = pg ]; then pg_dump_tsv "$2" "$dir"; else my_dump_tsv "$2" "$dir"; fi
	python3 "$PY" check "$FIX/process_json" "$dir" >"$dir/check.log" ||
		{ cat "$dir/check.log" >&2; fail "$2: the migrated workflows differ from their 1.3 JSON"; }
	say "$2: $(tail -1 "$dir/check.log")"
}

no_rejects() { # CONFIG
	local n
	n=$("$FERRY_BIN" rejects -c "$1" list | tail -1)
	assert_eq "0 rejected rows" "$n" "rejects after migrating the samples"
}

seed_rows() { # QUERY-FN DB
	# the 3.2 seeds are reconciled: one admin, one queue "default", tenant -1,
	# alert groups 1 and 2 still 3.2's, t_ds_version 3.2.2
	assert_eq "1" "$($1 "$2" "SELECT count(*) FROM t_ds_user WHERE user_name = 'admin'")" "admin users"
	assert_eq "default" "$($1 "$2" "SELECT tenant_code FROM t_ds_tenant WHERE id = -1")" "seed tenant"
	assert_eq "0" "$($1 "$2" "SELECT count(*) FROM t_ds_tenant WHERE tenant_code = 'default' AND id <> -1")" "second default tenant"
	assert_eq "global alert group" "$($1 "$2" "SELECT group_name FROM t_ds_alertgroup WHERE id = 2")" "alert group 2"
	assert_eq "3.2.2" "$($1 "$2" "SELECT version FROM t_ds_version")" "t_ds_version"
	assert_eq "-1" "$($1 "$2" "SELECT tenant_id FROM t_ds_user WHERE user_name = 'bob'")" "user without tenant"
	assert_eq "etl" "$($1 "$2" "SELECT tenant_code FROM t_ds_schedules WHERE id = 1")" "schedule tenant (owner's)"
	assert_eq "0" "$($1 "$2" "SELECT release_state FROM t_ds_schedules WHERE id = 1")" "schedule offline until cutover"
}

run_until_caught_up() { # CONFIG TARGET-COUNT-FN DB
	ferry_start "$1"
	wait_until 60 test_caught_up "$2" "$3"
	ferry_stop
}
test_caught_up() { # FN DB: the last sample and the schedule are there
	[ "$($1 "$2" "SELECT count(*) FROM t_ds_schedules")" = 1 ] &&
		[ "$($1 "$2" "SELECT count(*) FROM t_ds_process_definition")" = "$NSAMPLES" ]
}

NSAMPLES=$(python3 "$PY" sql --dialect postgresql "$FIX/process_json" | grep -c "INTO t_ds_process_definition")
say "$NSAMPLES samples"

# ---- PostgreSQL -> PostgreSQL -------------------------------------------------
pg_new_db ds13_fx
pg_new_db ds32_fx
pg_sql_db ds13_fx <"$FIX/1.3.9/postgresql.sql" >/dev/null
pg_sql_db ds32_fx <"$FIX/3.2.2/postgresql.sql" >/dev/null
python3 "$PY" sql --dialect postgresql "$FIX/process_json" | pg_sql_db ds13_fx
# a 3.2 server minted a code under ferry's machine id (31) a day ahead of
# now: ferry must mint past it, never the same code
native=$(( ( ($(date +%s) + 86400) * 1000 - 1609430400000 ) * 1024 + 31 * 32 ))
pg_sql_db ds32_fx "INSERT INTO t_ds_project (id, name, code, user_id, flag, create_time, update_time) VALUES (999, 'native', $native, 1, 1, now(), now())"
ferry_conf_pg "$TEST_TMP/pg.yaml" ds13_fx ds32_fx t_dsfx
sed -i "s|^mapping: .*|mapping: $MAPPING|" "$TEST_TMP/pg.yaml"
run_until_caught_up "$TEST_TMP/pg.yaml" pg_sql_db ds32_fx
check_target pg ds32_fx
no_rejects "$TEST_TMP/pg.yaml"
seed_rows pg_sql_db ds32_fx
assert_eq "0" "$(pg_sql_db ds32_fx "SELECT count(*) FROM t_ds_project WHERE id <> 999 AND code <= $native")" "codes minted past the target's own"
assert_eq "native" "$(pg_sql_db ds32_fx "SELECT name FROM t_ds_project WHERE code = $native")" "the 3.2 row"
# rows 3.2 creates after a cutover take ids past everything ferry writes
seq=$(pg_sql_db ds32_fx "SELECT last_value FROM t_ds_task_definition_id_sequence")
[ "$seq" -ge 10000000 ] || fail "t_ds_task_definition's sequence is at $seq"
assert_eq "t" "$(pg_sql_db ds32_fx "SELECT nextval('t_ds_project_id_sequence') > (SELECT max(id) FROM t_ds_project) + 9000000")" "project sequence"

# ---- MySQL -> MySQL ---------------------------------------------------------
my_new_db ds13_fx
my_new_db ds32_fx
my_sql_db ds13_fx <"$FIX/1.3.9/mysql.sql" >/dev/null
my_sql_db ds32_fx <"$FIX/3.2.2/mysql.sql" >/dev/null
python3 "$PY" sql --dialect mysql "$FIX/process_json" | my_sql_db ds13_fx
ferry_conf_my "$TEST_TMP/my.yaml" ds13_fx ds32_fx 4711
sed -i "s|^mapping: .*|mapping: $MAPPING|" "$TEST_TMP/my.yaml"
run_until_caught_up "$TEST_TMP/my.yaml" my_sql_db ds32_fx
check_target my ds32_fx
no_rejects "$TEST_TMP/my.yaml"
seed_rows my_sql_db ds32_fx
ai=$(my_sql_db ds32_fx "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't_ds_task_definition'")
[ "$ai" -ge 10000000 ] || fail "t_ds_task_definition's AUTO_INCREMENT is at $ai"

# ---- MySQL -> PostgreSQL ------------------------------------------------------
pg_new_db ds32_fx2
pg_sql_db ds32_fx2 <"$FIX/3.2.2/postgresql.sql" >/dev/null
ferry_conf_my_pg "$TEST_TMP/cross.yaml" ds13_fx ds32_fx2 4712
sed -i "s|^mapping: .*|mapping: $MAPPING|" "$TEST_TMP/cross.yaml"
run_until_caught_up "$TEST_TMP/cross.yaml" pg_sql_db ds32_fx2
check_target pg ds32_fx2
no_rejects "$TEST_TMP/cross.yaml"
seed_rows pg_sql_db ds32_fx2
