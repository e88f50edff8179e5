# t_pg_to_my.sh - PostgreSQL -> MariaDB: the 200,000-row t_work of
# t_pg_stream.sh is copied into a MariaDB table of the matching types
# while the pgbench writer changes it throughout (TOASTed values that
# arrive unchanged, key moves, deletes, multi-row transactions); once the
# writer stops and ferry catches up, both hold the same rows, compared
# through a digest computed in the same normalized text on each server
# (timestamptz as UTC).  SIGTERM then stops ferry with exit 0.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_pgtomy DST=d_pgtomy SLOT=t_pgtomy
SQL=$FERRY_TOP/tests/integration/sql
pg_new_db $SRC
my_new_db $DST
pg_sql_db $SRC <"$SQL/pg_work_table.sql"
my_sql_db $DST <"$SQL/my_pg_work_table.sql"
pg_sql_db $SRC <"$SQL/pg_work_load.sql"
say "loaded $(pg_sql_db $SRC "SELECT count(*) FROM t_work") rows"

ferry_conf_pg_my "$TEST_TMP/ferry.yaml" $SRC $DST $SLOT "batch:
  max_rows: 2000"
# the writer runs through the whole copy and 4 s of streaming after it
PGPASSWORD=$FERRY_TEST_PG_PASSWORD "$FERRY_TEST_PG_BIN/pgbench" -n -c 1 \
	-T 600 -R 1000 -f "$SQL/pg_workload.sql" \
	-h "$FERRY_TEST_PG_HOST" -p "$FERRY_TEST_PG_PORT" \
	-U "$FERRY_TEST_PG_USER" $SRC >"$TEST_TMP/pgbench.log" 2>&1 &
WRITER=$!
on_exit "kill $WRITER 2>/dev/null"
ferry_start "$TEST_TMP/ferry.yaml"
wait_until 300 grep -q "copied table=public.t_work" "$FERRY_LOG"
sleep 4
ferry_alive
kill $WRITER
wait $WRITER 2>/dev/null || true
say "copy took $(copy_seconds) s"
pg_sql_db $SRC <<'SQL'
UPDATE t_work SET id = 9000000 WHERE id = (SELECT min(id) FROM t_work WHERE big IS NOT NULL);
UPDATE t_work SET k = 424242 WHERE id = (SELECT max(id) FROM t_work WHERE big IS NOT NULL AND id < 9000000);
INSERT INTO t_work (id, k, s, b, ts, n, flag, j) VALUES
	(9000001, -2147483648, 'ünï €', '', '1970-01-01 00:00:00+00', -99999999999.999, false, '{"g": -1, "tag": "edge"}'),
	(9000002, 2147483647, '', '\x00', '2999-12-31 23:59:59.999999+05', 99999999999.999, true, '{"g": 0}');
SQL
wait_same_cmd 90 "$DST.t_work" \
	"pg_digest_expr $SRC t_work \"\$(pg_work_row \"ts AT TIME ZONE 'UTC'\")\"" \
	"my_digest_expr $DST t_work \"\$MY_WORK_ROW\""
say "identical: $(my_digest_expr $DST t_work "$MY_WORK_ROW")"
ferry_stop
