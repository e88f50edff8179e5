# tests/servers.sh - throwaway PostgreSQL 15 and MariaDB servers for tests.
# Source it from bash, as root:
#
#   . tests/servers.sh
#   servers_start_all          # init + start both, each on a free loopback port
#   ...                        # tests use the FERRY_TEST_* variables below
#   servers_stop_all           # stop both (the temp dir is left to the caller)
#
# PostgreSQL refuses to run as root, so initdb/pg_ctl run as the `postgres`
# OS user; MariaDB runs as root with user=root.  Neither reads /etc config,
# and neither is managed by systemd.  Both live in $FERRY_TEST_TMP (created
# with mktemp under /tmp unless already set; /tmp because the postgres user
# must reach it and socket paths must stay short).
#
# Exported for tests (and for the helpers below when called from a child
# process, e.g. an integration script that restarts a server mid-stream):
#   FERRY_TEST_PG_HOST=127.0.0.1  FERRY_TEST_PG_PORT  FERRY_TEST_PG_USER=ferry
#   FERRY_TEST_PG_PASSWORD=ferrypw  FERRY_TEST_PG_DB=ferrydb
#   FERRY_TEST_PG_SOCKDIR (superuser: psql -h $SOCKDIR -U postgres)
#   FERRY_TEST_PG_BIN  FERRY_TEST_PG_DATA  FERRY_TEST_PG_LOG
#   FERRY_TEST_MY_HOST=127.0.0.1  FERRY_TEST_MY_PORT  FERRY_TEST_MY_USER=ferry
#   FERRY_TEST_MY_PASSWORD=ferrypw  FERRY_TEST_MY_DB=ferrydb
#   FERRY_TEST_MY_SOCKET (root: mariadb --no-defaults -uroot --socket=...)
#   FERRY_TEST_MY_CNF (its only defaults file)  FERRY_TEST_MY_DATA
#   FERRY_TEST_MY_LOG  FERRY_TEST_TMP
#
# Functions (each returns non-zero and prints the server log tail on error):
#   pg_start                 init + start, or start the existing cluster again
#   pg_stop [MODE]           MODE: fast (default), smart, immediate (crash-
#                            like, recovery on next start) or kill (SIGKILL
#                            to the postmaster and its children)
#   pg_restart [MODE]        pg_stop MODE + pg_start, same port and data
#   my_start                 init + start, or start the existing server again
#   my_stop [MODE]           MODE: clean (default, SIGTERM) or kill (SIGKILL,
#                            crash recovery on next start)
#   my_restart [MODE]        my_stop MODE + my_start, same port and data
#   servers_start_all        pg_start + my_start, initialising both at once
#   servers_stop_all         my_stop + pg_stop; harmless if not started
#
# FERRY_DURABLE=1 keeps fsync / flush-at-commit on (benchmarks); the default
# trades crash safety of the whole machine for speed (a killed server still
# recovers: only an OS crash loses data).

FERRY_TEST_PG_BIN=${FERRY_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
export FERRY_TEST_PG_BIN

_MY_REDO=32M  # InnoDB redo log size; install-db and server agree

_srv_say() { echo "servers: $*" >&2; }

_srv_now() { echo "${EPOCHREALTIME/,/.}"; }

_srv_since() { # seconds since $1, 2 decimals
	awk -v a="$1" -v b="$(_srv_now)" 'BEGIN { printf "%.2f", b - a }'
}

_srv_tail() { # FILE [FROM_BYTE]
	[ -f "$1" ] || return 0
	echo "---- tail of $1 ----" >&2
	tail -c +"${2:-1}" "$1" | tail -n 30 >&2
	echo "----" >&2
}

_srv_tmp() {
	if [ -z "${FERRY_TEST_TMP:-}" ]; then
		FERRY_TEST_TMP=$(mktemp -d /tmp/ferry-srv.XXXXXX) || return 1
	fi
	mkdir -p "$FERRY_TEST_TMP" || return 1
	chmod 755 "$FERRY_TEST_TMP"  # the postgres user must traverse it
	export FERRY_TEST_TMP
}

# A loopback port below the kernel's ephemeral range that no TCP socket uses.
_srv_pick_port() { # [PORT_TO_AVOID]
	local p i lo=20000 hi=32000 eph
	read -r eph _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || eph=32768
	[ "$eph" -gt 21000 ] && [ "$eph" -le 32000 ] && hi=$((eph - 1))
	for i in $(seq 1 100); do
		p=$((lo + RANDOM % (hi - lo)))
		[ "$p" = "${1:-}" ] && continue
		if [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	_srv_say "no free port found in $lo-$hi"
	return 1
}

_srv_bytes() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Is PID alive (not a zombie) and is its command line mentioning WORD (our
# temp dir path, so a recycled pid is never taken for our server)?
_srv_alive() { # PID [WORD]
	local st
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ] || return 1
	[ -z "${2:-}" ] && return 0
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

_srv_wait_gone() { # PID SECONDS
	local i n=$(($2 * 10))
	for ((i = 0; i < n; i++)); do
		_srv_alive "$1" || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- PostgreSQL

_pg_ctl() { runuser -u postgres -- "$FERRY_TEST_PG_BIN/pg_ctl" "$@"; }

_pg_launch() { # start the cluster in FERRY_TEST_PG_DATA; 2 = port in use
	local from
	from=$(($(_srv_bytes "$FERRY_TEST_PG_LOG") + 1))
	# -l: the postmaster must not inherit our stdout (a pipe would never
	# reach EOF while it runs)
	if _pg_ctl -D "$FERRY_TEST_PG_DATA" -l "$FERRY_TEST_PG_LOG" -w -t 60 -s \
		start >/dev/null 2>&1; then
		return 0
	fi
	if tail -c +"$from" "$FERRY_TEST_PG_LOG" 2>/dev/null |
		grep -q "Address already in use"; then
		return 2
	fi
	_srv_say "PostgreSQL did not start"
	_srv_tail "$FERRY_TEST_PG_LOG" "$from"
	return 1
}

# initdb + config into DIR (file work only, so it can run in the background)
_pg_init() { # DIR
	local D=$1
	mkdir -p "$D" && chown postgres:postgres "$D" && chmod 755 "$D" || return 1
	runuser -u postgres -- "$FERRY_TEST_PG_BIN/initdb" -D "$D/data" -U postgres \
		--auth=trust -E UTF8 --locale=C.UTF-8 -N --no-instructions \
		>"$D/initdb.log" 2>&1 || {
		_srv_say "initdb failed"
		_srv_tail "$D/initdb.log"
		return 1
	}
	cat >>"$D/data/postgresql.conf" <<EOF

# ---- ferry test cluster (tests/servers.sh) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$D'
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_connections = 100
shared_buffers = 128MB
max_wal_size = 1GB
log_line_prefix = '%m [%p] %q%u@%d '
EOF
	if [ "${FERRY_DURABLE:-0}" != 1 ]; then
		# a killed server still recovers; only an OS crash loses data
		cat >>"$D/data/postgresql.conf" <<EOF
fsync = off
full_page_writes = off
EOF
	fi
	cat >"$D/data/pg_hba.conf" <<EOF
# ferry test cluster: local (socket) trusted, postgres trusted on loopback,
# ferry with a password on loopback for SQL and replication connections
local all          all                   trust
local replication  all                   trust
host  all          postgres 127.0.0.1/32 trust
host  replication  postgres 127.0.0.1/32 trust
host  all          ferry    127.0.0.1/32 scram-sha-256
host  replication  ferry    127.0.0.1/32 scram-sha-256
EOF
	touch "$D/.initialized"
}

pg_start() {
	local t0 D port rc attempt
	t0=$(_srv_now)
	if [ -n "${FERRY_TEST_PG_PORT:-}" ] && [ -f "${FERRY_TEST_PG_DATA:-}/PG_VERSION" ]; then
		_pg_launch || return 1
		_srv_say "PostgreSQL up again on 127.0.0.1:$FERRY_TEST_PG_PORT ($(_srv_since "$t0")s)"
		return 0
	fi
	_srv_tmp || return 1
	D=$FERRY_TEST_TMP/pg
	[ -f "$D/.initialized" ] || _pg_init "$D" || return 1
	export FERRY_TEST_PG_DATA=$D/data FERRY_TEST_PG_LOG=$D/server.log
	export FERRY_TEST_PG_SOCKDIR=$D
	for attempt in 1 2 3 4 5; do
		port=$(_srv_pick_port "${FERRY_TEST_MY_PORT:-}") || return 1
		echo "port = $port" >>"$D/data/postgresql.conf"  # last one wins
		export FERRY_TEST_PG_PORT=$port
		_pg_launch
		rc=$?
		[ $rc = 0 ] && break
		unset FERRY_TEST_PG_PORT
		[ $rc = 2 ] || return 1
		_srv_say "PostgreSQL: port $port taken, retrying ($attempt)"
	done
	[ $rc = 0 ] || { _srv_say "PostgreSQL: no port after 5 tries"; return 1; }
	"$FERRY_TEST_PG_BIN/psql" -X -h "$D" -p "$port" -U postgres -d postgres \
		-qAt -v ON_ERROR_STOP=1 >"$D/setup.log" 2>&1 <<'EOF' || {
CREATE ROLE ferry LOGIN REPLICATION CREATEDB PASSWORD 'ferrypw';
CREATE DATABASE ferrydb OWNER ferry;
EOF
		_srv_say "PostgreSQL: creating role/database failed"
		_srv_tail "$D/setup.log"
		return 1
	}
	export FERRY_TEST_PG_HOST=127.0.0.1 FERRY_TEST_PG_USER=ferry
	export FERRY_TEST_PG_PASSWORD=ferrypw FERRY_TEST_PG_DB=ferrydb
	_srv_say "PostgreSQL 15 up on 127.0.0.1:$port, pid $(head -1 "$D/data/postmaster.pid"), dir $D ($(_srv_since "$t0")s)"
}

pg_stop() { # [fast|smart|immediate|kill]
	local mode=${1:-fast} data=${FERRY_TEST_PG_DATA:-} pid kids
	[ -n "$data" ] && [ -f "$data/postmaster.pid" ] || return 0
	pid=$(head -1 "$data/postmaster.pid")
	if ! _srv_alive "$pid" "$data"; then
		rm -f "$data/postmaster.pid"  # stale after a kill
		return 0
	fi
	if [ "$mode" != kill ]; then
		_pg_ctl -D "$data" -m "$mode" -w -t 60 -s stop >/dev/null 2>&1 &&
			return 0
		_srv_say "PostgreSQL: pg_ctl stop -m $mode failed, killing pid $pid"
	fi
	# children first listed, then all killed at once: backends must not
	# outlive the postmaster (a new one refuses to start while they hold
	# the old shared memory)
	kids=$(pgrep -P "$pid" 2>/dev/null | tr '\n' ' ')
	# shellcheck disable=SC2086
	kill -KILL "$pid" $kids 2>/dev/null
	_srv_wait_gone "$pid" 10
	for pid in $kids; do _srv_wait_gone "$pid" 10; done
	# all dead: the lock file must not make the next start wait for a
	# zombie or a recycled pid
	rm -f "$data/postmaster.pid"
	return 0
}

pg_restart() { # [fast|smart|immediate|kill]
	pg_stop "${1:-fast}" && pg_start
}

# ------------------------------------------------------------------- MariaDB

_my_pid() { # pid of our mariadbd, from its pid file or from this shell
	local pid
	pid=$(cat "${FERRY_TEST_MY_DATA:-/nonexistent}/../mariadbd.pid" 2>/dev/null)
	[ -n "$pid" ] || pid=${_FERRY_MY_PID:-}
	echo "$pid"
}

_my_ping() {
	mariadb-admin --no-defaults --connect-timeout=2 \
		--socket="$FERRY_TEST_MY_SOCKET" -uroot ping >/dev/null 2>&1
}

_my_launch() { # start mariadbd with FERRY_TEST_MY_CNF; 2 = port in use
	local from i pid
	from=$(($(_srv_bytes "$FERRY_TEST_MY_LOG") + 1))
	rm -f "${FERRY_TEST_MY_DATA%/data}/mariadbd.pid"
	# own session: a signal to the caller's process group (Ctrl-C, a test
	# timeout) must not hit the server; run.sh stops it.  No inherited
	# stdout either (a pipe would never reach EOF).  --defaults-file must
	# be the first option; it replaces /etc/mysql/*.
	setsid -w mariadbd --defaults-file="$FERRY_TEST_MY_CNF" \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	disown "$pid" 2>/dev/null  # no "Killed" job notice after my_stop kill
	_FERRY_MY_PID=$pid
	for ((i = 0; i < 600; i++)); do  # 60 s
		if _my_ping; then
			_FERRY_MY_PID=$(_my_pid)
			return 0
		fi
		if ! _srv_alive "$pid"; then
			wait "$pid" 2>/dev/null
			if tail -c +"$from" "$FERRY_TEST_MY_LOG" 2>/dev/null |
				grep -q "Address already in use"; then
				return 2
			fi
			_srv_say "MariaDB did not start"
			_srv_tail "$FERRY_TEST_MY_LOG" "$from"
			return 1
		fi
		sleep 0.1
	done
	_srv_say "MariaDB did not answer within 60 s"
	_srv_tail "$FERRY_TEST_MY_LOG" "$from"
	my_stop kill
	return 1
}

_my_write_cnf() { # DIR PORT
	local D=$1
	cat >"$D/my.cnf" <<EOF
# ferry test server (tests/servers.sh); the only defaults file it reads
[mariadbd]
user=root
datadir=$D/data
socket=$D/mysql.sock
pid-file=$D/mariadbd.pid
log-error=$D/error.log
port=$2
bind-address=127.0.0.1
skip-name-resolve
server-id=1
gtid-domain-id=0
log-bin=$D/binlog/mysql-bin
binlog-format=ROW
binlog-row-image=FULL
binlog-row-metadata=FULL
binlog-annotate-row-events=OFF
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
innodb-buffer-pool-size=256M
innodb-log-file-size=$_MY_REDO
max-allowed-packet=64M
max-connections=200
local-infile=1
EOF
	[ "${FERRY_DURABLE:-0}" = 1 ] || cat >>"$D/my.cnf" <<EOF
innodb-flush-log-at-trx-commit=2
sync-binlog=0
EOF
}

# mariadb-install-db into DIR (file work only, can run in the background)
_my_init() { # DIR
	local D=$1
	mkdir -p "$D/data" "$D/binlog" || return 1
	mariadb-install-db --no-defaults --user=root --datadir="$D/data" \
		--auth-root-authentication-method=normal --skip-test-db \
		--skip-name-resolve --innodb-log-file-size=$_MY_REDO \
		>"$D/install.log" 2>&1 || {
		_srv_say "mariadb-install-db failed"
		_srv_tail "$D/install.log"
		return 1
	}
	touch "$D/.initialized"
}

my_start() {
	local t0 D port rc attempt
	t0=$(_srv_now)
	if [ -n "${FERRY_TEST_MY_PORT:-}" ] && [ -f "${FERRY_TEST_MY_CNF:-}" ]; then
		_my_launch || return 1
		_srv_say "MariaDB up again on 127.0.0.1:$FERRY_TEST_MY_PORT ($(_srv_since "$t0")s)"
		return 0
	fi
	_srv_tmp || return 1
	D=$FERRY_TEST_TMP/my
	[ -f "$D/.initialized" ] || _my_init "$D" || return 1
	export FERRY_TEST_MY_CNF=$D/my.cnf FERRY_TEST_MY_DATA=$D/data
	export FERRY_TEST_MY_LOG=$D/error.log FERRY_TEST_MY_SOCKET=$D/mysql.sock
	for attempt in 1 2 3 4 5; do
		port=$(_srv_pick_port "${FERRY_TEST_PG_PORT:-}") || return 1
		_my_write_cnf "$D" "$port"
		export FERRY_TEST_MY_PORT=$port
		_my_launch
		rc=$?
		[ $rc = 0 ] && break
		unset FERRY_TEST_MY_PORT
		[ $rc = 2 ] || return 1
		_srv_say "MariaDB: port $port taken, retrying ($attempt)"
	done
	[ $rc = 0 ] || { _srv_say "MariaDB: no port after 5 tries"; return 1; }
	mariadb --no-defaults --socket="$D/mysql.sock" -uroot \
		>"$D/setup.log" 2>&1 <<'EOF' || {
CREATE USER 'ferry'@'127.0.0.1' IDENTIFIED BY 'ferrypw';
-- ALL includes REPLICATION SLAVE, BINLOG MONITOR, REPLICATION MASTER ADMIN
GRANT ALL PRIVILEGES ON *.* TO 'ferry'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE ferrydb;
EOF
		_srv_say "MariaDB: creating user/database failed"
		_srv_tail "$D/setup.log"
		return 1
	}
	export FERRY_TEST_MY_HOST=127.0.0.1 FERRY_TEST_MY_USER=ferry
	export FERRY_TEST_MY_PASSWORD=ferrypw FERRY_TEST_MY_DB=ferrydb
	_srv_say "MariaDB $(mariadbd --version 2>/dev/null | awk '{print $3}') up on 127.0.0.1:$port, pid $_FERRY_MY_PID, dir $D ($(_srv_since "$t0")s)"
}

my_stop() { # [clean|kill]
	local mode=${1:-clean} pid
	[ -n "${FERRY_TEST_MY_CNF:-}" ] || return 0
	pid=$(_my_pid)
	_srv_alive "$pid" "$FERRY_TEST_MY_CNF" || return 0
	if [ "$mode" != kill ]; then
		# SIGTERM = clean shutdown
		kill -TERM "$pid" 2>/dev/null
		_srv_wait_gone "$pid" 60 && return 0
		_srv_say "MariaDB: pid $pid ignored SIGTERM for 60 s, killing it"
	fi
	kill -KILL "$pid" 2>/dev/null
	_srv_wait_gone "$pid" 10
	return 0
}

my_restart() { # [clean|kill]
	my_stop "${1:-clean}" && my_start
}

# both servers; the slow init steps (initdb, mariadb-install-db) in parallel
servers_start_all() {
	local a b rc=0
	_srv_tmp || return 1
	if [ -z "${FERRY_TEST_PG_PORT:-}" ] && [ -z "${FERRY_TEST_MY_PORT:-}" ]; then
		_pg_init "$FERRY_TEST_TMP/pg" &
		a=$!
		_my_init "$FERRY_TEST_TMP/my" &
		b=$!
		wait $a || rc=1
		wait $b || rc=1
		[ $rc = 0 ] || return 1
	fi
	pg_start && my_start
}

servers_stop_all() {
	local rc=0
	my_stop || rc=1
	pg_stop || rc=1
	return $rc
}
