# t_my_rotate.sh - MariaDB -> MariaDB while the binlog rotates and the
# server restarts: under a steady writer, FLUSH BINARY LOGS several times,
# then a clean restart of MariaDB (which is also the target), more
# rotations, then a SIGKILL of the server (crash recovery).  ferry follows
# each new binlog file and reconnects by itself (the process never exits),
# ends with the target identical to the source (ordered digest of every
# row), and its checkpoint has moved on to a newer binlog file.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_myrotate DST=d_myrotate SID=4306
SQL=$FERRY_TOP/tests/integration/sql
my_new_db $SRC
my_new_db $DST
my_sql_db $SRC <"$SQL/my_work_table.sql"
my_sql_db $DST <"$SQL/my_work_table.sql"
my_sql_db $SRC <"$SQL/my_workload.sql"
my_sql_db $SRC "INSERT INTO t_work (id, k, s) SELECT seq, seq, 'row' FROM seq_1_to_20000"
ferry_conf_my "$TEST_TMP/ferry.yaml" $SRC $DST $SID

# the writer goes on through the server restarts
my_writer_start $SRC tolerant

binlog() { my_sql_db $SRC "SHOW MASTER STATUS" | cut -f1; }
reconnects() { grep -c "reconnecting in" "$FERRY_LOG" || true; }
more_reconnects() { [ "$(reconnects)" -gt "$base" ]; }
caught_up() { # the checkpoint reached binlog file $1
	local cp
	cp=$(my_checkpoint $DST)
	[ -n "$cp" ] && my_pos_le "mysql:$1:0" "$cp"
}

ferry_start "$TEST_TMP/ferry.yaml"
wait_until 60 grep -q "streaming server_id" "$FERRY_LOG"
first=$(binlog)

rotate() { # N: FLUSH BINARY LOGS N times, half a second apart
	local i
	for ((i = 0; i < $1; i++)); do
		sleep 0.5
		my_sql_db $SRC "FLUSH BINARY LOGS"
	done
	wait_until 60 caught_up "$(binlog)"
	ferry_alive
}

say "rotating the binlog from $first"
rotate 3
for mode in clean kill; do
	say "restarting the server ($mode) while the writer runs"
	base=$(reconnects)
	sleep 0.5
	my_restart $mode >/dev/null 2>&1
	wait_until 60 more_reconnects
	ferry_alive
	say "rotating the binlog from $(binlog)"
	rotate 2
done

my_writer_stop
wait_same_cmd 90 "$DST.t_work" "my_digest $SRC t_work" "my_digest $DST t_work"
last=$(binlog)
say "identical after $(reconnects) reconnects, binlog $first -> $last: $(my_digest $DST t_work)"
wait_until 30 caught_up "$last"
ferry_stop
