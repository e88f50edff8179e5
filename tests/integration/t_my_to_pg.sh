# t_my_to_pg.sh - MariaDB -> PostgreSQL: the 200,000-row t_work of
# t_my_stream.sh is copied into a PostgreSQL table of the matching types
# while the same writer changes it throughout; once the writer stops and
# ferry catches up, both hold the same rows, compared through a digest
# computed in the same normalized text on each server (NULLs, bytes,
# microseconds, decimals, booleans, json fields).  SIGTERM then stops
# ferry with exit 0.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_mytopg DST=d_mytopg SID=4302
SQL=$FERRY_TOP/tests/integration/sql
my_new_db $SRC
pg_new_db $DST
my_sql_db $SRC <"$SQL/my_work_table.sql"
pg_sql_db $DST <"$SQL/my_work_table_pg.sql"
my_sql_db $SRC <"$SQL/my_work_load.sql"
my_sql_db $SRC <"$SQL/my_workload.sql"
say "loaded $(my_sql_db $SRC "SELECT COUNT(*) FROM t_work") rows"

ferry_conf_my_pg "$TEST_TMP/ferry.yaml" $SRC $DST $SID "batch:
  max_rows: 2000"
# the writer runs through the whole copy and 4 s of streaming after it
my_writer_start $SRC
ferry_start "$TEST_TMP/ferry.yaml"
wait_until 300 grep -q "copied table=$SRC.t_work" "$FERRY_LOG"
sleep 4
ferry_alive
my_writer_stop
say "copy took $(copy_seconds) s"
my_sql_db $SRC <<'SQL'
SET @a = (SELECT MIN(id) FROM t_work WHERE big IS NOT NULL);
UPDATE t_work SET id = 9000000 WHERE id = @a;
INSERT INTO t_work (id, k, s, b, ts, n, flag, j) VALUES
	(9000001, -2147483648, 'ünï €', X'', '1970-01-01 00:00:00', -99999999999.999, 0, '{"g": -1, "tag": "edge"}'),
	(9000002, 2147483647, '', X'00', '9999-12-31 23:59:59.999999', 99999999999.999, 1, '{"g": 0}');
SQL
wait_same_cmd 90 "$DST.t_work" "my_digest_expr $SRC t_work \"\$MY_WORK_ROW\"" \
	"pg_digest_expr $DST t_work \"\$(pg_work_row)\""
say "identical: $(pg_digest_expr $DST t_work "$(pg_work_row)")"
ferry_stop
