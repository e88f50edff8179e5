# t_restart.sh - the servers survive the restarts later tests do mid-stream
# (clean, crash-like and SIGKILL), keep port, data, slots and binlog, and
# the lib.sh helpers work.
. "$FERRY_TOP/tests/integration/lib.sh"

pg_sql <<'EOF'
DROP TABLE IF EXISTS t_restart;
CREATE TABLE t_restart (id int PRIMARY KEY, s text);
INSERT INTO t_restart VALUES (1, 'before');
EOF
pg_super "SELECT 1 FROM pg_create_logical_replication_slot('t_restart_slot', 'pgoutput')" >/dev/null
on_exit "pg_super \"SELECT pg_drop_replication_slot('t_restart_slot')\" >/dev/null"
my_sql "DROP TABLE IF EXISTS t_restart; CREATE TABLE t_restart (id INT PRIMARY KEY, s VARCHAR(20)); INSERT INTO t_restart VALUES (1, 'before')"
binlogs_before=$(my_sql "SHOW BINARY LOGS" | wc -l)

i=1
for mode in fast immediate kill; do
	i=$((i + 1))
	say "pg_restart $mode"
	pg_restart "$mode"
	# immediate/kill: committed rows come back through crash recovery
	pg_sql "INSERT INTO t_restart VALUES ($i, 'after $mode')"
done
assert_eq "4" "$(pg_sql "SELECT count(*) FROM t_restart")" "PG rows after restarts"
assert_eq "t_restart_slot|logical" \
	"$(pg_super "SELECT slot_name, slot_type FROM pg_replication_slots WHERE slot_name = 't_restart_slot'")" \
	"slot kept across restarts"
assert_eq "logical" "$(pg_sql "SHOW wal_level")"

i=1
for mode in clean kill; do
	i=$((i + 1))
	say "my_restart $mode"
	my_restart "$mode"
	my_sql "INSERT INTO t_restart VALUES ($i, 'after $mode')"
done
assert_eq "3" "$(my_sql "SELECT COUNT(*) FROM t_restart")" "MariaDB rows after restarts"
binlogs_after=$(my_sql "SHOW BINARY LOGS" | wc -l)
# every start opens a new binlog file
[ "$binlogs_after" -gt "$binlogs_before" ] ||
	fail "binlog files: $binlogs_before before restarts, $binlogs_after after"
assert_eq "ROW	FULL" "$(my_sql "SELECT @@binlog_format, @@binlog_row_image")"

# a server can also stay down for a while
pg_stop
if pg_sql "SELECT 1" >/dev/null 2>&1; then fail "PostgreSQL still answers after pg_stop"; fi
pg_start
wait_until 10 pg_sql "SELECT 1"
my_stop
if my_sql "SELECT 1" >/dev/null 2>&1; then fail "MariaDB still answers after my_stop"; fi
my_start

assert_contains "$(my_super "SELECT CURRENT_USER()")" "root@"
pg_sql "DROP TABLE t_restart"
my_sql "DROP TABLE t_restart"
say "ok"
