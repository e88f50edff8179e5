# t_pg_reconnect.sh - while ferry streams PostgreSQL -> PostgreSQL under a
# steady writer: its replication connection is cut, its target connection
# is cut, and the server itself restarts (fast, then immediate, i.e. a
# crash).  ferry reconnects by itself every time (the process never exits)
# and ends with the target identical to the source.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_reconn DST=d_reconn SLOT=t_reconn
pg_new_db $SRC
pg_new_db $DST
pg_sql_db $SRC <"$FERRY_TOP/tests/integration/sql/pg_work_table.sql"
pg_sql_db $DST <"$FERRY_TOP/tests/integration/sql/pg_work_table.sql"
pg_sql_db $SRC "INSERT INTO t_work (id, k, s) SELECT g, g, 'row' FROM generate_series(1, 20000) g"
ferry_conf_pg "$TEST_TMP/ferry.yaml" $SRC $DST $SLOT

run_writer() { # SECONDS
	PGPASSWORD=$FERRY_TEST_PG_PASSWORD "$FERRY_TEST_PG_BIN/pgbench" -n -c 1 \
		-T "$1" -f "$FERRY_TOP/tests/integration/sql/pg_workload.sql" \
		-h "$FERRY_TEST_PG_HOST" -p "$FERRY_TEST_PG_PORT" \
		-U "$FERRY_TEST_PG_USER" $SRC >>"$TEST_TMP/pgbench.log" 2>&1 || true
}
reconnects() { grep -c "reconnecting in" "$FERRY_LOG" || true; }
more_reconnects() { [ "$(reconnects)" -gt "$base" ]; }

ferry_start "$TEST_TMP/ferry.yaml"
wait_until 60 grep -q "streaming slot" "$FERRY_LOG"

say "cutting the replication connection"
run_writer 2
base=$(reconnects)
pg_super "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '$SLOT'" >/dev/null
run_writer 2
wait_until 30 more_reconnects
ferry_alive

say "cutting the target connection"
base=$(reconnects)
pg_super "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$DST' AND application_name = 'ferry'" >/dev/null
run_writer 2
wait_until 30 more_reconnects
ferry_alive

for mode in fast immediate; do
	say "restarting the server ($mode) while the writer runs"
	base=$(reconnects)
	run_writer 3 &
	writer=$!
	sleep 1
	pg_restart $mode >/dev/null
	wait $writer
	run_writer 2
	wait_until 60 more_reconnects
	ferry_alive
done

wait_same 90 $SRC $DST t_work
say "identical after $(reconnects) reconnects: $(pg_digest $DST t_work)"
ferry_stop
