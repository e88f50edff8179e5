# t_pg_crash.sh - crash safety, PostgreSQL -> PostgreSQL: ferry is killed
# with SIGKILL at random moments, 20 times, during the snapshot and during
# streaming, while a writer changes the source throughout; restarted each
# time, it ends with the target identical to the source (ordered digest of
# every row).  The slot is never confirmed past the target's checkpoint.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_crash DST=d_crash SLOT=t_crash KILLS=${FERRY_TEST_KILLS:-20}
pg_new_db $SRC
pg_new_db $DST
pg_sql_db $SRC <"$FERRY_TOP/tests/integration/sql/pg_work_table.sql"
pg_sql_db $DST <"$FERRY_TOP/tests/integration/sql/pg_work_table.sql"
pg_sql_db $SRC <"$FERRY_TOP/tests/integration/sql/pg_work_load.sql"
# small chunks and batches: more commit points for the kills to fall between
ferry_conf_pg "$TEST_TMP/ferry.yaml" $SRC $DST $SLOT "batch:
  max_rows: 1000"

PGPASSWORD=$FERRY_TEST_PG_PASSWORD "$FERRY_TEST_PG_BIN/pgbench" -n -c 1 \
	-T 3600 -f "$FERRY_TOP/tests/integration/sql/pg_workload.sql" \
	-h "$FERRY_TEST_PG_HOST" -p "$FERRY_TEST_PG_PORT" \
	-U "$FERRY_TEST_PG_USER" $SRC >"$TEST_TMP/pgbench.log" 2>&1 &
WRITER=$!
on_exit "kill $WRITER 2>/dev/null"

check_slot() {
	local confirmed cp
	confirmed=$(pg_slot_confirmed $SLOT)
	cp=$(pg_checkpoint $DST)
	if [ -n "$confirmed" ] && [ -n "$cp" ]; then
		[ "$(pg_super "SELECT '$confirmed'::pg_lsn <= '$cp'::pg_lsn")" = t ] ||
			fail "slot confirmed $confirmed past checkpoint $cp"
	fi
}

rand_sleep() { # MIN SPAN: sleep MIN + random * SPAN seconds
	sleep "$(awk -v r=$RANDOM -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + r / 32767 * b }')"
}
FERRY_LOG=$TEST_TMP/ferry.log
touch "$FERRY_LOG"
streams() { grep -c "streaming slot" "$FERRY_LOG" || true; }

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
	check_slot
	echo "--- killed ($i)" >>"$FERRY_LOG"
done
# let one copy finish, then kill while streaming
ferry_start "$TEST_TMP/ferry.yaml"
# the copy is committed on the target (not just read by the source)
copy_done() { [ "$(pg_sql_db $DST "SELECT count(*) FROM ferry_snapshot WHERE done")" = 1 ]; }
wait_until 120 copy_done
for ((; i <= KILLS; i++)); do
	rand_sleep 0.3 1.7
	ferry_alive
	ferry_kill
	check_slot
	echo "--- killed ($i)" >>"$FERRY_LOG"
	ferry_start "$TEST_TMP/ferry.yaml"
done
ferry_kill
say "$KILLS kills, $in_snapshot during the copy; copy restarted $(grep -c 'last copy was cut short' "$FERRY_LOG" || true) times"
[ $in_snapshot -ge 3 ] || fail "only $in_snapshot kills landed in the copy"
grep -q "last copy was cut short" "$FERRY_LOG" || fail "no copy was found cut short"

kill $WRITER
wait $WRITER 2>/dev/null || true
say "writer: $(grep -E 'number of transactions actually processed' "$TEST_TMP/pgbench.log" || echo stopped)"
ferry_start "$TEST_TMP/ferry.yaml"
wait_same 120 $SRC $DST t_work
say "identical: $(pg_digest $DST t_work)"
check_slot
ferry_stop
