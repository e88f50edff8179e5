# t_my_stream.sh - MariaDB -> MariaDB: a 200,000-row table (a 100 kB
# MEDIUMTEXT on every 1000th row, blob, datetime(6), decimal, boolean,
# json) is copied while a writer inserts, updates (also the big column,
# and keys) and deletes at a steady rate throughout; once the writer stops
# and ferry catches up, source and target hold the same rows (ordered
# digest of every column of every row).  The target's checkpoint never
# moves backwards, the copy's start position is recorded with its
# progress, and SIGTERM then stops ferry with exit 0 within 10 s.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_mystream DST=d_mystream SID=4301
SQL=$FERRY_TOP/tests/integration/sql
my_new_db $SRC
my_new_db $DST
my_sql_db $SRC <"$SQL/my_work_table.sql"
my_sql_db $DST <"$SQL/my_work_table.sql"
my_sql_db $SRC <"$SQL/my_work_load.sql"
my_sql_db $SRC <"$SQL/my_workload.sql"
say "loaded $(my_sql_db $SRC "SELECT COUNT(*) FROM t_work") rows"

ferry_conf_my "$TEST_TMP/ferry.yaml" $SRC $DST $SID "batch:
  max_rows: 2000"

# the writer runs through the whole copy and 4 s of streaming after it
my_writer_start $SRC
gtid0=$(my_sql_db $SRC "SELECT @@gtid_binlog_pos")
ferry_start "$TEST_TMP/ferry.yaml"
copied() { grep -q "copied table=$SRC.t_work" "$FERRY_LOG"; }
checks=0 last= end=
while [ -z "$end" ] || [ "$SECONDS" -lt "$end" ]; do
	cp=$(my_checkpoint $DST)
	if [ -n "$cp" ]; then
		[ -z "$last" ] || my_pos_le "$last" "$cp" ||
			fail "checkpoint went back from $last to $cp"
		last=$cp
		checks=$((checks + 1))
	fi
	[ -z "$end" ] && copied && end=$((SECONDS + 4))
	ferry_alive
	sleep 0.2
done
my_writer_stop
say "copy took $(copy_seconds) s; writer: $gtid0 -> $(my_sql_db $SRC "SELECT @@gtid_binlog_pos"); $checks checkpoint checks"
[ $checks -gt 5 ] || fail "too few checkpoint checks ($checks)"

# the cases the random writer may miss: rows with a big value moved to
# a new key, updated around it, deleted
my_sql_db $SRC <<'SQL'
SET @a = (SELECT MIN(id) FROM t_work WHERE big IS NOT NULL);
UPDATE t_work SET id = 9000000 WHERE id = @a;
SET @b = (SELECT MAX(id) FROM t_work WHERE big IS NOT NULL AND id < 9000000);
UPDATE t_work SET k = 424242 WHERE id = @b;
SET @c = (SELECT MIN(id) FROM t_work WHERE big IS NOT NULL);
DELETE FROM t_work WHERE id = @c;
SQL
wait_same_cmd 90 "$DST.t_work" "my_digest $SRC t_work" "my_digest $DST t_work"
say "identical: $(my_digest $DST t_work)"
assert_eq "$(my_sql_db $SRC "SELECT COUNT(*), SUM(LENGTH(big)) FROM t_work WHERE big IS NOT NULL")" \
	"$(my_sql_db $DST "SELECT COUNT(*), SUM(LENGTH(big)) FROM t_work WHERE big IS NOT NULL")" \
	"big values"
# the copy's progress, with the position its snapshot belongs to
snap=$(sed -nE 's/.*source: snapshot tables=1 at=([^ ]*).*/\1/p' "$FERRY_LOG" | head -1)
[ -n "$snap" ] || fail "no snapshot position in the log"
assert_eq "$SRC.t_work	1	$snap" \
	"$(my_sql_db $DST "SELECT source_table, done, start_position FROM ferry_snapshot")" \
	"snapshot progress"
ferry_stop
