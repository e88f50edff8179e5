# t_my_crash.sh - crash safety, MariaDB -> MariaDB (and, through
# t_my_crash_pg.sh, MariaDB -> PostgreSQL): ferry is killed with SIGKILL
# at random moments, 20 times, during the copy and during streaming, while
# a writer changes the source at a steady rate throughout; restarted each
# time, it ends with the target identical to the source (ordered digest of
# every row).  Every kill in the copy makes the next run empty the table
# and copy it again under a new snapshot; the target's checkpoint never
# moves backwards.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

TARGET=${MY_CRASH_TARGET:-my} KILLS=${FERRY_TEST_KILLS:-20}
SRC=s_mycrash_$TARGET DST=d_mycrash_$TARGET
SQL=$FERRY_TOP/tests/integration/sql
my_new_db $SRC
my_sql_db $SRC <"$SQL/my_work_table.sql"
my_sql_db $SRC <"$SQL/my_work_load.sql"
my_sql_db $SRC <"$SQL/my_workload.sql"
# small batches: more commit points for the kills to fall between
if [ "$TARGET" = pg ]; then
	pg_new_db $DST
	pg_sql_db $DST <"$SQL/my_work_table_pg.sql"
	ferry_conf_my_pg "$TEST_TMP/ferry.yaml" $SRC $DST 4304 "batch:
  max_rows: 1000"
	target_cp() { pg_sql_db $DST "SELECT position FROM ferry_checkpoint" 2>/dev/null || true; }
	copy_done() { [ "$(pg_sql_db $DST "SELECT done FROM ferry_snapshot")" = t ]; }
	src_digest() { my_digest_expr $SRC t_work "$MY_WORK_ROW"; }
	dst_digest() { pg_digest_expr $DST t_work "$(pg_work_row)"; }
else
	my_new_db $DST
	my_sql_db $DST <"$SQL/my_work_table.sql"
	ferry_conf_my "$TEST_TMP/ferry.yaml" $SRC $DST 4303 "batch:
  max_rows: 1000"
	target_cp() { my_checkpoint $DST; }
	copy_done() { [ "$(my_sql_db $DST "SELECT done FROM ferry_snapshot")" = 1 ]; }
	src_digest() { my_digest $SRC t_work; }
	dst_digest() { my_digest $DST t_work; }
fi

my_writer_start $SRC

last_cp=
check_cp() {
	local cp
	cp=$(target_cp)
	[ -n "$cp" ] || return 0
	[ -z "$last_cp" ] || my_pos_le "$last_cp" "$cp" ||
		fail "checkpoint went back from $last_cp to $cp"
	last_cp=$cp
}

rand_sleep() { # MIN SPAN: sleep MIN + random * SPAN seconds
	sleep "$(awk -v r=$RANDOM -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + r / 32767 * b }')"
}
FERRY_LOG=$TEST_TMP/ferry.log
touch "$FERRY_LOG"
streams() { grep -c "streaming server_id" "$FERRY_LOG" || true; }
cut_short() { grep -c 'last copy was cut short' "$FERRY_LOG" || true; }

# kills while the table is being copied: each restart finds the copy cut
# short and starts it again under a new snapshot
in_snapshot=0
for ((i = 1; i <= 6; i++)); do
	before=$(streams)
	ferry_start "$TEST_TMP/ferry.yaml"
	rand_sleep 0.3 0.9
	ferry_alive
	[ "$(streams)" = "$before" ] && in_snapshot=$((in_snapshot + 1))
	ferry_kill
	check_cp
	echo "--- killed ($i)" >>"$FERRY_LOG"
done
# let one copy finish and commit on the target (the reader streams while
# the last chunks are still on their way), then kill while streaming:
# the table is done and is not copied again
ferry_start "$TEST_TMP/ferry.yaml"
wait_until 180 copy_done
cut_before=$(cut_short)
for ((; i <= KILLS; i++)); do
	rand_sleep 0.3 1.7
	ferry_alive
	ferry_kill
	check_cp
	echo "--- killed ($i)" >>"$FERRY_LOG"
	ferry_start "$TEST_TMP/ferry.yaml"
done
ferry_kill
check_cp
cut=$(cut_short)
say "$KILLS kills, $in_snapshot during the copy; copy restarted $cut times"
[ $in_snapshot -ge 3 ] || fail "only $in_snapshot kills landed in the copy"
[ "$cut" -ge 1 ] || fail "no copy was found cut short"
assert_eq "$cut_before" "$cut" "copies restarted after the copy was done"
# streams that began before a copy's start position skipped what it holds
skipped=$(sed -nE 's/.*skipped=([0-9]+) row changes the copies hold.*/\1/p' "$FERRY_LOG" |
	awk '{ s += $1 } END { print s + 0 }')
say "the stream skipped $skipped row changes held by copies"
[ "$skipped" -gt 0 ] || fail "the stream never skipped a change a copy held"

my_writer_stop
say "writer stopped at $(my_sql_db $SRC "SELECT @@gtid_binlog_pos")"
ferry_start "$TEST_TMP/ferry.yaml"
wait_same_cmd 120 "$DST.t_work" src_digest dst_digest
say "identical: $(dst_digest)"
check_cp
ferry_stop
