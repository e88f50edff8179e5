# tests/integration/ferry_lib.sh - running ferry itself in integration
# tests.  Source after lib.sh:
#
#   . "$FERRY_TOP/tests/integration/lib.sh"
#   . "$FERRY_TOP/tests/integration/ferry_lib.sh"
#   pg_new_db src; pg_new_db dst
#   ferry_conf_pg "$TEST_TMP/f.yaml" src dst myslot
#   ferry_start "$TEST_TMP/f.yaml"        # FERRY_PID, log in $FERRY_LOG
#   ferry_stop                            # SIGTERM; fails unless exit 0 in 10 s
#
#   pg_new_db NAME            (re)create database NAME owned by ferry
#   pg_drop_slot SLOT         drop a replication slot if it exists
#   ferry_conf_pg FILE SRC DST SLOT [EXTRA_YAML]
#                             PostgreSQL -> PostgreSQL config, identity mapping
#   ferry_start FILE [ARGS]   start `ferry run` in the background
#   ferry_stop                SIGTERM, wait, assert exit code 0 within 10 s
#   ferry_kill                SIGKILL, wait
#   pg_digest DB TABLE        "count|md5 of every row in key order"
#   pg_checkpoint DB          the position ferry committed in DB ("" if none)
#   pg_slot_confirmed SLOT    the slot's confirmed_flush_lsn

FERRY_PID=
FERRY_LOG=

pg_new_db() {
	pg_super "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
	pg_super "CREATE DATABASE \"$1\" OWNER ferry" >/dev/null
}

pg_drop_slot() {
	pg_super "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$1'" >/dev/null
}

ferry_conf_pg() { # FILE SRC DST SLOT [EXTRA]
	local f=$1 src=$2 dst=$3 slot=$4 extra=${5:-}
	printf '%s\n' "$FERRY_TEST_PG_PASSWORD" >"$TEST_TMP/pg.password"
	chmod 600 "$TEST_TMP/pg.password"
	cat >"$f" <<YAML
source:
  driver: postgresql
  host: $FERRY_TEST_PG_HOST
  port: $FERRY_TEST_PG_PORT
  user: $FERRY_TEST_PG_USER
  database: $src
  password_file: $TEST_TMP/pg.password
  slot: $slot
  publication: $slot
target:
  driver: postgresql
  host: $FERRY_TEST_PG_HOST
  port: $FERRY_TEST_PG_PORT
  user: $FERRY_TEST_PG_USER
  database: $dst
  password_file: $TEST_TMP/pg.password
mapping: $FERRY_TOP/mappings/identity.yaml
state_dir: $TEST_TMP/state-$slot
$extra
YAML
	on_exit "pg_drop_slot $slot"
}

ferry_start() { # FILE [ARGS]
	local f=$1
	shift
	FERRY_LOG=${FERRY_LOG:-$TEST_TMP/ferry.log}
	"$FERRY_BIN" run -c "$f" "$@" >>"$FERRY_LOG" 2>&1 &
	FERRY_PID=$!
	on_exit 'ferry_kill_quiet'
}

ferry_kill_quiet() {
	[ -n "$FERRY_PID" ] && kill -KILL "$FERRY_PID" 2>/dev/null
	[ -n "$FERRY_PID" ] && wait "$FERRY_PID" 2>/dev/null
	FERRY_PID=
	return 0
}

ferry_kill() {
	kill -KILL "$FERRY_PID"
	wait "$FERRY_PID" 2>/dev/null || true
	FERRY_PID=
}

ferry_stop() {
	local i rc
	kill -TERM "$FERRY_PID"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$FERRY_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$FERRY_PID" 2>/dev/null; then
		tail -20 "$FERRY_LOG" >&2
		fail "ferry did not stop within 10 s of SIGTERM"
	fi
	rc=0
	wait "$FERRY_PID" || rc=$?
	FERRY_PID=
	if [ "$rc" != 0 ]; then
		tail -20 "$FERRY_LOG" >&2
		fail "ferry exited with $rc after SIGTERM"
	fi
}

# fails the test when ferry died on its own
ferry_alive() {
	if ! kill -0 "$FERRY_PID" 2>/dev/null; then
		tail -30 "$FERRY_LOG" >&2
		fail "ferry exited unexpectedly"
	fi
}

pg_digest() { # DB TABLE
	pg_sql_db "$1" "SELECT count(*) || '|' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY id)), '') FROM \"$2\" t"
}

pg_checkpoint() { # DB
	pg_sql_db "$1" "SELECT substr(position, 4) FROM ferry_checkpoint" 2>/dev/null || true
}

pg_slot_confirmed() { # SLOT
	pg_super "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$1'"
}

# wait until DB_A.TABLE and DB_B.TABLE hold the same rows; fail after SECONDS
wait_same() { # SECONDS DB_A DB_B TABLE
	local n=$(($1 * 5)) i a b
	for ((i = 0; i < n; i++)); do
		a=$(pg_digest "$2" "$4")
		b=$(pg_digest "$3" "$4")
		[ "$a" = "$b" ] && return 0
		[ -n "$FERRY_PID" ] && ferry_alive
		sleep 0.2
	done
	tail -30 "$FERRY_LOG" >&2
	assert_eq "$a" "$b" "$4 in $3 never caught up with $2"
}

# ---- MySQL / MariaDB ---------------------------------------------------------
#
#   my_sql_db DB [SQL]        mariadb as ferry into database DB (SQL or stdin)
#   my_new_db NAME            (re)create database NAME on the MariaDB server
#   ferry_conf_my FILE SRC DST SERVER_ID [EXTRA]
#                             MariaDB -> MariaDB config, identity mapping
#   ferry_conf_my_pg FILE SRC DST SERVER_ID [EXTRA]
#                             MariaDB -> PostgreSQL (tables in DST's public)
#   ferry_conf_pg_my FILE SRC DST SLOT [EXTRA]
#                             PostgreSQL -> MariaDB
#   my_digest DB TABLE [ORDER] "count|md5" over every column of every row in
#                             key order (ORDER: id), computed by the server
#   my_digest_expr DB TABLE EXPR [ORDER] / pg_digest_expr DB TABLE EXPR
#                             the same over a row expression EXPR (text),
#                             for comparing across MariaDB and PostgreSQL
#   my_checkpoint DB          the position ferry committed in DB ("" if none)
#   my_pos_le A B             binlog position A is at or before B
#   wait_same_cmd SECONDS WHAT CMD_A CMD_B
#                             wait until the two commands print the same
#   my_writer_start DB [tolerant]
#                             run work() of sql/my_workload.sql on DB in
#                             1-second calls until my_writer_stop (tolerant:
#                             go on through errors, e.g. a server restart)
#   my_writer_stop            stop it after the call under way; fails the
#                             test if a call failed (unless tolerant)
#   copy_seconds              how long the last table copy took, from the log

my_sql_db() { # DB [SQL]
	local db=$1 _lib_sql
	shift
	[ $# -gt 0 ] && _lib_sql="$*"
	_lib_sql_in mariadb --no-defaults --connect-timeout=10 -N -B \
		--default-character-set=utf8mb4 \
		-h "$FERRY_TEST_MY_HOST" -P "$FERRY_TEST_MY_PORT" \
		-u "$FERRY_TEST_MY_USER" --password="$FERRY_TEST_MY_PASSWORD" \
		"$db"
}

my_new_db() { # NAME
	my_super "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\` CHARACTER SET utf8mb4"
}

_ferry_yaml_my() { # SECTION DB [SERVER_ID]
	printf '%s\n' "$FERRY_TEST_MY_PASSWORD" >"$TEST_TMP/my.password"
	chmod 600 "$TEST_TMP/my.password"
	cat <<YAML
$1:
  driver: mysql
  host: $FERRY_TEST_MY_HOST
  port: $FERRY_TEST_MY_PORT
  user: $FERRY_TEST_MY_USER
  database: $2
  password_file: $TEST_TMP/my.password
YAML
	[ -n "${3:-}" ] && echo "  server_id: $3"
	return 0
}

_ferry_yaml_pg() { # SECTION DB [SLOT]
	printf '%s\n' "$FERRY_TEST_PG_PASSWORD" >"$TEST_TMP/pg.password"
	chmod 600 "$TEST_TMP/pg.password"
	cat <<YAML
$1:
  driver: postgresql
  host: $FERRY_TEST_PG_HOST
  port: $FERRY_TEST_PG_PORT
  user: $FERRY_TEST_PG_USER
  database: $2
  password_file: $TEST_TMP/pg.password
YAML
	[ -n "${3:-}" ] && printf '  slot: %s\n  publication: %s\n' "$3" "$3"
	return 0
}

_ferry_yaml_rest() { # STATE_NAME [EXTRA]
	cat <<YAML
mapping: $FERRY_TOP/mappings/identity.yaml
state_dir: $TEST_TMP/state-$1
${2:-}
YAML
}

ferry_conf_my() { # FILE SRC DST SERVER_ID [EXTRA]
	{
		_ferry_yaml_my source "$2" "$4"
		_ferry_yaml_my target "$3"
		_ferry_yaml_rest "my$4" "${5:-}"
	} >"$1"
}

ferry_conf_my_pg() { # FILE SRC DST SERVER_ID [EXTRA]
	{
		_ferry_yaml_my source "$2" "$4"
		_ferry_yaml_pg target "$3"
		_ferry_yaml_rest "my$4" "${5:-}"
	} >"$1"
}

ferry_conf_pg_my() { # FILE SRC DST SLOT [EXTRA]
	{
		_ferry_yaml_pg source "$2" "$4"
		_ferry_yaml_my target "$3"
		_ferry_yaml_rest "$4" "${5:-}"
	} >"$1"
	on_exit "pg_drop_slot $4"
}

my_digest_expr() { # DB TABLE EXPR [ORDER]
	my_sql_db "$1" "SET SESSION group_concat_max_len = 1 << 30;
		SELECT CONCAT(COUNT(*), '|', IFNULL(MD5(GROUP_CONCAT(MD5($3)
		ORDER BY ${4:-id} SEPARATOR '')), '')) FROM \`$2\`"
}

pg_digest_expr() { # DB TABLE EXPR
	pg_sql_db "$1" "SELECT count(*) || '|' || coalesce(md5(string_agg(md5($3), '' ORDER BY id)), '') FROM \"$2\""
}

# every column's text (bytes for binary ones) in hex, NULL as "~"
my_digest() { # DB TABLE [ORDER]
	local expr
	expr=$(my_sql_db "$1" "SELECT CONCAT('CONCAT_WS(''|'',',
		GROUP_CONCAT(CONCAT('IFNULL(HEX(CONCAT(\`', COLUMN_NAME,
		'\`)), ''~'')') ORDER BY ORDINAL_POSITION), ')')
		FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = '$1' AND TABLE_NAME = '$2'")
	my_digest_expr "$1" "$2" "$expr" "${3:-id}"
}

my_checkpoint() { # DB
	my_sql_db "$1" "SELECT position FROM ferry_checkpoint" 2>/dev/null || true
}

# "mysql:FILE.N:OFFSET;gtid=..." -> "N OFFSET"
_my_pos_key() { sed -E 's/^mysql:[^;]*\.0*([0-9]+):([0-9]+).*$/\1 \2/' <<<"$1"; }

my_pos_le() { # A B
	local a1 a2 b1 b2
	read -r a1 a2 <<<"$(_my_pos_key "$1")"
	read -r b1 b2 <<<"$(_my_pos_key "$2")"
	[ "$a1" -lt "$b1" ] || { [ "$a1" = "$b1" ] && [ "$a2" -le "$b2" ]; }
}

wait_same_cmd() { # SECONDS WHAT CMD_A CMD_B
	local n=$(($1 * 5)) i a b
	for ((i = 0; i < n; i++)); do
		a=$(eval "$3")
		b=$(eval "$4")
		[ "$a" = "$b" ] && return 0
		[ -n "$FERRY_PID" ] && ferry_alive
		sleep 0.2
	done
	tail -30 "$FERRY_LOG" >&2
	assert_eq "$a" "$b" "$2 never caught up"
}

# t_work (sql/my_work_table.sql, sql/pg_work_table.sql and their twins)
# row by row as the same text on either server: NULL as "~", bytes and
# the big column by hash, time to the microsecond, json by its fields
MY_WORK_ROW="CONCAT_WS('|', id, IFNULL(k, '~'), IFNULL(s, '~'),
	IFNULL(MD5(big), '~'), IFNULL(LOWER(HEX(b)), '~'),
	IFNULL(DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), '~'), IFNULL(n, '~'),
	IFNULL(flag + 0, '~'), IFNULL(JSON_VALUE(j, '\$.g'), '~'),
	IFNULL(JSON_VALUE(j, '\$.tag'), '~'))"
# ... for PostgreSQL; TS: how to read ts as a UTC timestamp
pg_work_row() { # [TS]
	echo "concat_ws('|', id, coalesce(k::text, '~'), coalesce(s, '~'),
	coalesce(md5(big), '~'), coalesce(encode(b, 'hex'), '~'),
	coalesce(to_char(${1:-ts}, 'YYYY-MM-DD HH24:MI:SS.US'), '~'),
	coalesce(n::text, '~'), coalesce(flag::int::text, '~'),
	coalesce(j->>'g', '~'), coalesce(j->>'tag', '~'))"
}

MY_WRITER=
my_writer_start() { # DB [tolerant]
	rm -f "$TEST_TMP/writer.stop"
	(
		while [ ! -e "$TEST_TMP/writer.stop" ]; do
			if ! my_sql_db "$1" "CALL work(1)"; then
				[ "${2:-}" = tolerant ] || exit 1
				sleep 0.2
			fi
		done
	) >>"$TEST_TMP/writer.log" 2>&1 &
	MY_WRITER=$!
	on_exit "touch $TEST_TMP/writer.stop; kill $MY_WRITER 2>/dev/null"
}

my_writer_stop() {
	touch "$TEST_TMP/writer.stop"
	wait "$MY_WRITER" || { cat "$TEST_TMP/writer.log" >&2; fail "the writer failed"; }
	MY_WRITER=
}

copy_seconds() {
	awk '/source: copying table=/ { a = $1 } /source: copied table=/ { b = $1 }
	     function s(t) { split(substr(t, 12, 12), x, ":"); return x[1] * 3600 + x[2] * 60 + x[3] }
	     END { if (a && b) printf "%.1f", s(b) - s(a) }' "$FERRY_LOG"
}
