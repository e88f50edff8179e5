# t_pg_large_txn.sh - one source transaction of 300,000 rows (~300 bytes
# each, ~90 MB) passes through ferry with memory bounded by the limits,
# not by the transaction: peak RSS stays under a fixed bound far below the
# transaction's size.  On the target it becomes visible at once: a reader
# polling the target sees either none of its rows or all of them.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_large DST=d_large SLOT=t_large ROWS=300000
pg_new_db $SRC
pg_new_db $DST
for db in $SRC $DST; do
	pg_sql_db $db "CREATE TABLE t_big (id bigint PRIMARY KEY, a int, b text, c timestamptz)"
done
ferry_conf_pg "$TEST_TMP/ferry.yaml" $SRC $DST $SLOT "limits:
  txn_memory_mb: 8
  queue_max_changes: 2000
  queue_max_mb: 8"
# ASan keeps freed memory in quarantine (256 MB by default): make its
# bookkeeping small enough for the bound to mean something
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8:malloc_context_size=5
ferry_start "$TEST_TMP/ferry.yaml"
wait_until 60 grep -q "streaming slot" "$FERRY_LOG"

# the poller records every count it sees on the target
(
	while :; do
		pg_sql_db $DST "SELECT count(*) FROM t_big" 2>/dev/null || true
		sleep 0.05
	done
) >"$TEST_TMP/counts" &
POLLER=$!
on_exit "kill $POLLER 2>/dev/null"

pg_sql_db $SRC "INSERT INTO t_big SELECT g, g, repeat(md5(g::text), 8), now() FROM generate_series(1, $ROWS) g"
say "source transaction committed"
peak=0
ok_rows() { [ "$(pg_sql_db $DST "SELECT count(*) FROM t_big")" = "$ROWS" ]; }
for ((i = 0; i < 600; i++)); do
	hwm=$(awk '/VmHWM/ { print $2 }' /proc/$FERRY_PID/status)
	[ "$hwm" -gt "$peak" ] && peak=$hwm
	ok_rows && break
	ferry_alive
	sleep 0.1
done
ok_rows || fail "the target never got all $ROWS rows"
hwm=$(awk '/VmHWM/ { print $2 }' /proc/$FERRY_PID/status)
[ "$hwm" -gt "$peak" ] && peak=$hwm
sleep 0.3
kill $POLLER
wait $POLLER 2>/dev/null || true

partial=$(sort -u "$TEST_TMP/counts" | grep -v -x -e 0 -e "$ROWS" || true)
[ -z "$partial" ] || fail "a reader saw part of the transaction: $(echo $partial | head -c 200)"
grep -q -x 0 "$TEST_TMP/counts" || fail "the poller never saw the empty table"
grep -q -x "$ROWS" "$TEST_TMP/counts" || fail "the poller never saw the full table"
say "peak RSS $((peak / 1024)) MiB for a ~$((ROWS * 300 / 1048576)) MiB transaction; reader saw only 0 and $ROWS"
# the limits allow ~8 MiB of transaction and ~8 MiB of queue; the rest is
# code, libraries, buffers and (under ASan) shadow memory
[ $peak -lt $((160 * 1024)) ] || fail "peak RSS $((peak / 1024)) MiB is over 160 MiB"
assert_eq "$(pg_digest $SRC t_big)" "$(pg_digest $DST t_big)" "t_big"
ferry_stop
