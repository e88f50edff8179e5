# t_my_rejects.sh - the MySQL writer loses no row and stops for none: a
# row a MariaDB target refuses (a CHECK constraint, a value too long for
# its column) goes to the reject store with its table, key and the
# server's reason, while the other rows of the same source transaction and
# batch are applied, in the initial copy (a long run, written by array
# binding) and in the stream (SQL text); streaming goes on.  From
# PostgreSQL, a value MySQL cannot store at all (timestamp 'infinity') is
# set aside the same way, before anything is sent.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_myrej DST=d_myrej SID=4321
my_new_db $SRC
my_new_db $DST
my_sql_db $SRC "CREATE TABLE t (id int PRIMARY KEY, qty int, code varchar(50))"
my_sql_db $DST "CREATE TABLE t (id int PRIMARY KEY, qty int CHECK (qty >= 0), code varchar(5))"
my_sql_db $SRC "INSERT INTO t SELECT seq, seq, CONCAT('c', seq) FROM seq_1_to_500"
my_sql_db $SRC "UPDATE t SET qty = -1 WHERE id = 250"              # refused: CHECK
ferry_conf_my "$TEST_TMP/ferry.yaml" $SRC $DST $SID
ferry_start "$TEST_TMP/ferry.yaml"
wait_until 30 grep -q "streaming server_id" "$FERRY_LOG"
# one transaction: two good rows around a bad one
my_sql_db $SRC "BEGIN; INSERT INTO t VALUES (600, 1, 'ok'); INSERT INTO t VALUES (601, 2, 'far-too-long'); INSERT INTO t VALUES (602, 3, 'ok'); COMMIT"
my_sql_db $SRC "INSERT INTO t VALUES (700, 7, 'after')"
arrived() { [ "$(my_sql_db $DST "SELECT COUNT(*) FROM t WHERE id = 700")" = 1 ]; }
wait_until 30 arrived
ferry_alive
assert_eq "502" "$(my_sql_db $DST "SELECT COUNT(*) FROM t")" "rows applied (499 + 600, 602 + 700, not 250, 601)"
assert_eq "0" "$(my_sql_db $DST "SELECT COUNT(*) FROM t WHERE id IN (250, 601)")" "refused rows"
assert_contains "$(cat "$FERRY_LOG")" "applying the batch row by row" "the copy's batch was retried row by row"
ferry_stop

list=$("$FERRY_BIN" rejects -c "$TEST_TMP/ferry.yaml" list)
assert_contains "$list" "2 rejected rows"
assert_contains "$list" "id=250"
assert_contains "$list" "CONSTRAINT"
assert_contains "$list" "id=601"
assert_contains "$list" "Data too long for column 'code'"
id=$(echo "$list" | awk -F'\t' '$5 == "id=601" { print $1 }')
show=$("$FERRY_BIN" rejects -c "$TEST_TMP/ferry.yaml" show "$id")
assert_contains "$show" '"code":"far-too-long"'

# ---- PostgreSQL -> MariaDB: a value MySQL has no room for
PSRC=s_pgmyrej PDST=d_pgmyrej SLOT=t_pgmyrej
pg_new_db $PSRC
my_new_db $PDST
pg_sql_db $PSRC "CREATE TABLE e (id int PRIMARY KEY, at timestamp)"
my_sql_db $PDST "CREATE TABLE e (id int PRIMARY KEY, at datetime(6))"
pg_sql_db $PSRC "INSERT INTO e VALUES (1, '2026-01-01 00:00:00'), (2, 'infinity'), (3, '2026-01-03 00:00:00')"
ferry_conf_pg_my "$TEST_TMP/pgmy.yaml" $PSRC $PDST $SLOT
FERRY_LOG=$TEST_TMP/pgmy.log
ferry_start "$TEST_TMP/pgmy.yaml"
wait_until 30 grep -q "streaming slot" "$FERRY_LOG"
pg_sql_db $PSRC "BEGIN; INSERT INTO e VALUES (4, '-infinity'); INSERT INTO e VALUES (5, '2026-01-05 00:00:00'); COMMIT"
five() { [ "$(my_sql_db $PDST "SELECT COUNT(*) FROM e WHERE id = 5")" = 1 ]; }
wait_until 30 five
ferry_alive
ferry_stop
assert_eq "1,3,5" "$(my_sql_db $PDST "SELECT GROUP_CONCAT(id ORDER BY id) FROM e")" "rows applied"
list=$("$FERRY_BIN" rejects -c "$TEST_TMP/pgmy.yaml" list)
assert_contains "$list" "2 rejected rows"
assert_contains "$list" "id=2"
assert_contains "$list" "id=4"
assert_contains "$list" "cannot be stored in MySQL"
say "refused rows set aside in copy and stream, MariaDB and PostgreSQL sources"
