# t_pg_stream.sh - PostgreSQL -> PostgreSQL: a 200,000-row table is copied
# while a writer inserts, updates (also the TOASTed column, and keys) and
# deletes throughout; once the writer stops and ferry catches up, source
# and target hold the same rows (ordered digest of every row).  All the
# while, the slot's confirmed_flush_lsn never passes the checkpoint the
# target holds.  SIGTERM then stops ferry with exit 0 within 10 s.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_stream DST=d_stream SLOT=t_stream
pg_new_db $SRC
pg_new_db $DST
pg_sql_db $SRC <"$FERRY_TOP/tests/integration/sql/pg_work_table.sql"
pg_sql_db $DST <"$FERRY_TOP/tests/integration/sql/pg_work_table.sql"
pg_sql_db $SRC <"$FERRY_TOP/tests/integration/sql/pg_work_load.sql"
say "loaded $(pg_sql_db $SRC "SELECT count(*) FROM t_work") rows"

ferry_conf_pg "$TEST_TMP/ferry.yaml" $SRC $DST $SLOT "batch:
  max_rows: 2000"

# the writer runs through the whole snapshot and streaming
PGPASSWORD=$FERRY_TEST_PG_PASSWORD "$FERRY_TEST_PG_BIN/pgbench" -n -c 1 \
	-T 8 -f "$FERRY_TOP/tests/integration/sql/pg_workload.sql" \
	-h "$FERRY_TEST_PG_HOST" -p "$FERRY_TEST_PG_PORT" \
	-U "$FERRY_TEST_PG_USER" $SRC >"$TEST_TMP/pgbench.log" 2>&1 &
WRITER=$!
on_exit "kill $WRITER 2>/dev/null"
ferry_start "$TEST_TMP/ferry.yaml"

# the slot may never be confirmed past what the target committed
checks=0
while kill -0 $WRITER 2>/dev/null; do
	confirmed=$(pg_slot_confirmed $SLOT)
	cp=$(pg_checkpoint $DST)
	if [ -n "$confirmed" ] && [ -n "$cp" ]; then
		ok=$(pg_super "SELECT '$confirmed'::pg_lsn <= '$cp'::pg_lsn")
		[ "$ok" = t ] || fail "slot confirmed $confirmed past checkpoint $cp"
		checks=$((checks + 1))
	fi
	ferry_alive
	sleep 0.2
done
wait $WRITER || { cat "$TEST_TMP/pgbench.log" >&2; fail "writer failed"; }
say "writer done: $(grep -E 'number of transactions actually processed' "$TEST_TMP/pgbench.log"); $checks slot/checkpoint checks"
[ $checks -gt 5 ] || fail "too few slot/checkpoint checks ($checks)"

# the cases the random writer may miss: rows with a TOASTed value moved
# to a new key, updated around it, deleted
pg_sql_db $SRC <<'SQL'
UPDATE t_work SET id = 9000000 WHERE id = (SELECT min(id) FROM t_work WHERE big IS NOT NULL);
UPDATE t_work SET k = 424242 WHERE id = (SELECT max(id) FROM t_work WHERE big IS NOT NULL AND id < 9000000);
DELETE FROM t_work WHERE id = (SELECT min(id) FROM t_work WHERE big IS NOT NULL);
SQL
wait_same 60 $SRC $DST t_work
say "identical: $(pg_digest $DST t_work)"
# the TOASTed values survived updates that did not touch them
assert_eq "$(pg_sql_db $SRC "SELECT count(*), sum(length(big)) FROM t_work WHERE big IS NOT NULL")" \
	"$(pg_sql_db $DST "SELECT count(*), sum(length(big)) FROM t_work WHERE big IS NOT NULL")" \
	"TOASTed values"
ferry_stop
# after the stop the slot is confirmed exactly up to the checkpoint
assert_eq "$(pg_checkpoint $DST)" "$(pg_slot_confirmed $SLOT)" "slot after stop"
