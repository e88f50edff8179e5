# tests/integration/lib.sh - helpers for tests/integration/t_*.sh.
# tests/run.sh runs each script with bash from the repository root, with
# the servers of tests/servers.sh up and FERRY_TEST_*, FERRY_BIN,
# FERRY_BUILD and FERRY_TOP set.  A script passes when it exits 0.
#
#   . "$FERRY_TOP/tests/integration/lib.sh"
#   pg_sql "CREATE TABLE t (id int PRIMARY KEY)"
#   assert_eq "0" "$(pg_sql "SELECT count(*) FROM t")" "rows in t"
#   pg_restart immediate          # from tests/servers.sh
#
# Sourcing it turns on `set -euo pipefail`, makes TEST_TMP (a scratch dir
# removed at exit) and an on_exit list run in reverse order at exit, also
# on SIGINT/SIGTERM (use it to stop a daemon the test started).
#
#   pg_sql [SQL]      psql as ferry over TCP into ferrydb (SQL or stdin);
#                     unaligned, tuples only, "|" between columns
#   pg_sql_db DB [SQL]  the same into database DB
#   pg_super [SQL]    psql as superuser postgres through the socket, ferrydb
#   my_sql [SQL]      mariadb as ferry over TCP into ferrydb (SQL or stdin);
#                     batch mode, no column names, tab between columns
#   my_super [SQL]    mariadb as root through the socket
#   fail MSG          print "FAIL: MSG" with the caller's line, exit 1
#   assert_eq EXPECTED ACTUAL [WHAT]
#   assert_contains HAYSTACK NEEDLE [WHAT]
#   wait_until SECONDS CMD...   run CMD (output discarded) every 0.1 s until
#                               it succeeds; fail on timeout
#   on_exit CMD...    run CMD (eval'd) when the script exits
#   say MSG           progress line "# <test>: MSG"

set -euo pipefail

: "${FERRY_TOP:?run this test through tests/run.sh}"
: "${FERRY_TEST_PG_PORT:?run this test through tests/run.sh (no servers)}"

# shellcheck source=../servers.sh
. "$FERRY_TOP/tests/servers.sh"

TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$TEST_NAME.XXXXXX")
PG_CONNINFO="host=$FERRY_TEST_PG_HOST port=$FERRY_TEST_PG_PORT user=$FERRY_TEST_PG_USER password=$FERRY_TEST_PG_PASSWORD dbname=$FERRY_TEST_PG_DB"
export TEST_NAME TEST_TMP PG_CONNINFO
# no NOTICEs ("table ... does not exist, skipping") in test output
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

_lib_exit_cmds=()

on_exit() { _lib_exit_cmds+=("$*"); }

_lib_at_exit() {
	local rc=$? i
	set +e
	for ((i = ${#_lib_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_lib_exit_cmds[i]}"
	done
	if [ $rc = 0 ] || [ -z "${HARNESS_KEEP:-}" ]; then
		rm -rf "$TEST_TMP"
	else
		echo "# $TEST_NAME: kept $TEST_TMP" >&2
	fi
	exit $rc
}
trap _lib_at_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo "# $TEST_NAME: $*"; }

fail() {
	echo "FAIL: $TEST_NAME: $* (${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]})" >&2
	exit 1
}

assert_eq() { # EXPECTED ACTUAL [WHAT]
	if [ "$1" != "$2" ]; then
		{
			echo "FAIL: $TEST_NAME: ${3:-values differ} (${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]})"
			echo "  expected: $1"
			echo "  got:      $2"
			if [[ $1 == *$'\n'* || $2 == *$'\n'* ]]; then
				diff -u <(printf '%s\n' "$1") <(printf '%s\n' "$2") |
					sed 's/^/  /'
			fi
		} >&2
		exit 1
	fi
}

assert_contains() { # HAYSTACK NEEDLE [WHAT]
	if [[ $1 != *"$2"* ]]; then
		{
			echo "FAIL: $TEST_NAME: ${3:-missing text} (${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]})"
			echo "  looked for: $2"
			echo "  in:         $1"
		} >&2
		exit 1
	fi
}

wait_until() { # SECONDS CMD...
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "FAIL: $TEST_NAME: timed out waiting for: $* (${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]})" >&2
	exit 1
}

_lib_sql_in() { # run "$@" with SQL from $_lib_sql if set, else stdin
	if [ -n "${_lib_sql+x}" ]; then
		"$@" <<<"$_lib_sql"
	else
		"$@"
	fi
}

pg_sql_db() { # DB [SQL]
	local db=$1
	shift
	local _lib_sql
	[ $# -gt 0 ] && _lib_sql="$*"
	PGPASSWORD=$FERRY_TEST_PG_PASSWORD PGCONNECT_TIMEOUT=10 _lib_sql_in \
		"$FERRY_TEST_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
		-h "$FERRY_TEST_PG_HOST" -p "$FERRY_TEST_PG_PORT" \
		-U "$FERRY_TEST_PG_USER" -d "$db"
}

pg_sql() { pg_sql_db "$FERRY_TEST_PG_DB" "$@"; }

pg_super() {
	local _lib_sql
	[ $# -gt 0 ] && _lib_sql="$*"
	_lib_sql_in "$FERRY_TEST_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
		-h "$FERRY_TEST_PG_SOCKDIR" -p "$FERRY_TEST_PG_PORT" \
		-U postgres -d "$FERRY_TEST_PG_DB"
}

my_sql() {
	local _lib_sql
	[ $# -gt 0 ] && _lib_sql="$*"
	_lib_sql_in mariadb --no-defaults --connect-timeout=10 -N -B \
		--default-character-set=utf8mb4 \
		-h "$FERRY_TEST_MY_HOST" -P "$FERRY_TEST_MY_PORT" \
		-u "$FERRY_TEST_MY_USER" --password="$FERRY_TEST_MY_PASSWORD" \
		"$FERRY_TEST_MY_DB"
}

my_super() {
	local _lib_sql
	[ $# -gt 0 ] && _lib_sql="$*"
	_lib_sql_in mariadb --no-defaults --connect-timeout=10 -N -B \
		--default-character-set=utf8mb4 \
		--socket="$FERRY_TEST_MY_SOCKET" -u root
}
