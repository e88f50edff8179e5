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
