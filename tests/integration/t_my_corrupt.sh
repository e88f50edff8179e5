# t_my_corrupt.sh - a corrupt binlog event stops ferry with a clear error
# and nothing past it applied.  Rows 1-3 are streamed and ferry stops;
# then rows 4-12 go into a binlog file of their own, each in its own
# transaction, and one byte inside the row event of row 9 is flipped in
# that (closed) file, so its CRC32 no longer matches.  ferry, started
# again, applies rows 4-8, then exits with code 1 and a log line naming
# the checksum failure, the binlog file and the event's position; the
# target holds exactly rows 1-8.  The byte is flipped back at the end.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_mycorrupt DST=d_mycorrupt SID=4307
my_new_db $SRC
my_new_db $DST
for db in $SRC $DST; do
	my_sql_db $db "CREATE TABLE t (id int PRIMARY KEY, v varchar(50))"
done
my_sql_db $SRC "INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')"
ferry_conf_my "$TEST_TMP/ferry.yaml" $SRC $DST $SID
ferry_start "$TEST_TMP/ferry.yaml"
wait_until 60 grep -q "streaming server_id" "$FERRY_LOG"
assert_eq "3" "$(my_sql_db $DST "SELECT COUNT(*) FROM t")" "rows copied"
ferry_stop

# rows 4-12 alone in one binlog file, closed by the next rotation
my_sql_db $SRC "FLUSH BINARY LOGS"
file=$(my_sql_db $SRC "SHOW MASTER STATUS" | cut -f1)
for i in 4 5 6 7 8; do my_sql_db $SRC "INSERT INTO t VALUES ($i, 'row $i')"; done
my_sql_db $SRC "INSERT INTO t VALUES (9, 'CORRUPT-ME-PLEASE')"
for i in 10 11 12; do my_sql_db $SRC "INSERT INTO t VALUES ($i, 'row $i')"; done
my_sql_db $SRC "FLUSH BINARY LOGS"

path=$(dirname "$FERRY_TEST_MY_DATA")/binlog/$file
[ -f "$path" ] || fail "no binlog file $path"
off=$(grep -obUa 'CORRUPT-ME-PLEASE' "$path" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "row 9 not found in $path"
# the event holding that byte: Pos <= off < End_log_pos (columns Log_name,
# Pos, Event_type, Server_id, End_log_pos, Info)
event=$(my_sql_db $SRC "SHOW BINLOG EVENTS IN '$file'" |
	awk -F'\t' -v o="$off" '$2 <= o && o < $5 { print $2 "\t" $3 }')
start=${event%%$'\t'*}
say "flipping byte $off of $file, in event ${event#*$'\t'} at $start"
flip() { # the 'C' of CORRUPT-ME-PLEASE <-> 'X'
	printf "$1" | dd of="$path" bs=1 seek="$off" conv=notrunc status=none
}
flip X
on_exit "flip C"

rc=0
"$FERRY_BIN" run -c "$TEST_TMP/ferry.yaml" >>"$FERRY_LOG" 2>&1 &
FERRY_PID=$!
wait_until 60 eval '! kill -0 $FERRY_PID'
wait $FERRY_PID || rc=$?
FERRY_PID=
err=$(grep ERROR "$FERRY_LOG" | tail -1)
say "ferry exited with $rc: $err"
assert_eq 1 "$rc" "exit code"
assert_contains "$err" "fails its checksum"
assert_contains "$err" "$file:$start"
assert_eq "1 2 3 4 5 6 7 8" "$(my_sql_db $DST "SELECT GROUP_CONCAT(id ORDER BY id SEPARATOR ' ') FROM t")" \
	"target rows: up to the damaged event, none after"
# the checkpoint: the end of row 8's transaction, before the damaged event
cp=$(my_checkpoint $DST)
assert_contains "$cp" "mysql:$file:"
my_pos_le "$cp" "mysql:$file:$start" || fail "checkpoint $cp is past the damaged event at $start"
