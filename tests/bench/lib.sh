# shellcheck shell=bash
# tests/bench/lib.sh - what tests/bench/run.sh and tests/bench/profile.sh
# share: paths and knobs, throwaway durable servers (tests/servers.sh with
# FERRY_DURABLE=1) plus a second MariaDB as replica, SQL helpers, the
# benchmark table, ferry start/stop, CPU accounting, and the stream and
# catch-up measurements.  Source it from bash with BUILD as $1, as root:
#
#   . "$(dirname "$0")/lib.sh" "$BUILD"
#
# Sourcing it makes BENCH_TMP and traps EXIT/INT/TERM/HUP so that ferry,
# pollers and all servers are stopped and BENCH_TMP removed at the end
# (FERRY_BENCH_KEEP=1 keeps it).
#
# shellcheck disable=SC2034  # variables used by the scripts that source it

[ $# -ge 1 ] && [ -d "$1" ] || {
	echo "usage: $0 BUILD_DIR (run make first)" >&2
	exit 2
}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "$1" && pwd)
cd "$TOP" || exit 2
FERRY=$BUILD/ferry
BW=$BUILD/tests/bench/bench_writer
BP=$BUILD/tests/bench/bench_poll
LAG_AWK=$TOP/tests/bench/lag.awk
for f in "$FERRY" "$BW" "$BP"; do
	[ -x "$f" ] && [ -f "$f" ] || { echo "bench: $f missing (make test-bins)" >&2; exit 2; }
done
if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (PostgreSQL runs as postgres via runuser, MariaDB as root)" >&2
	exit 2
fi

ROWS=${FERRY_BENCH_ROWS:-1000000}
TXN=${FERRY_BENCH_TXN_ROWS:-1000}
RUNS=${FERRY_BENCH_RUNS:-3}
ONLY=${FERRY_BENCH_ONLY:-pg,mysql}
POLL_MS=${FERRY_BENCH_POLL_MS:-10}
WAIT_S=900 # any single wait
CLK_TCK=$(getconf CLK_TCK)

now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo "${t}000"; }
T_START=$(now_ns)
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n * 1e9 / (b - a) }'; }
say() { echo "# $*"; }


NOTES=()
note() { NOTES+=("$*"); echo "# note: $*"; }

# ------------------------------------------------------------ processes

BG=()           # pids this script started and must not leave behind
FERRY_PID=
BENCH_TMP=$(mktemp -d /tmp/ferry-bench.XXXXXX) || exit 2
chmod 755 "$BENCH_TMP"
# private copies of the programs: a rebuild while the benchmark runs (make
# from another shell) must neither swap the binary measured nor make one
# briefly unavailable
BIN=$BENCH_TMP/bin
mkdir -p "$BIN" && cp "$FERRY" "$BIN/ferry" || exit 2
for f in "$BUILD"/tests/bench/bench_*; do
	case $f in *.o | *.d) continue ;; esac
	cp "$f" "$BIN/" || exit 2
done
FERRY_BUILT=$FERRY
FERRY=$BIN/ferry
BW=$BIN/bench_writer
BP=$BIN/bench_poll
export FERRY_TEST_TMP=$BENCH_TMP FERRY_DURABLE=1
export PGOPTIONS="-c client_min_messages=warning"
SERVERS=0
REPLICA=0
DONE=0

# shellcheck source=../servers.sh
. "$TOP/tests/servers.sh"

bg_kill() { # PID...: TERM, then KILL after 3 s
	local p i
	for p in "$@"; do
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null || continue
		for ((i = 0; i < 30; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}

cleanup() {
	trap '' INT TERM HUP
	[ "$DONE" = 1 ] && return
	DONE=1
	# shellcheck disable=SC2068
	bg_kill "$FERRY_PID" ${BG[@]+"${BG[@]}"}
	[ "$REPLICA" = 1 ] && replica_stop
	[ "$SERVERS" = 1 ] && servers_stop_all
	if [ "${FERRY_BENCH_KEEP:-0}" = 1 ]; then
		echo "# kept $BENCH_TMP" >&2
	else
		rm -rf "$BENCH_TMP"
	fi
}
trap 'echo "bench: interrupted" >&2; cleanup; exit 130' INT
trap 'echo "bench: terminated" >&2; cleanup; exit 143' TERM HUP
trap cleanup EXIT

# ------------------------------------------------------------ servers

# The replica: servers.sh's MariaDB in its own dir, server-id 2, no binlog
# (so that neither ferry's writes nor the replication SQL thread's are
# binlogged there).  Run in a subshell so the master's FERRY_TEST_MY_*
# stay; its variables come back as R_*.
replica_start() {
	local out
	out=$(
		unset FERRY_TEST_MY_PORT FERRY_TEST_MY_CNF FERRY_TEST_MY_DATA \
			FERRY_TEST_MY_LOG FERRY_TEST_MY_SOCKET
		export FERRY_TEST_TMP=$BENCH_TMP/replica
		eval "$(declare -f _my_write_cnf | sed '1s/_my_write_cnf/_my_write_cnf_orig/')"
		_my_write_cnf() {
			_my_write_cnf_orig "$@"
			sed -i -e 's/^server-id=1$/server-id=2/' -e '/^log-bin=/d' "$1/my.cnf"
		}
		my_start >&2 || exit 1
		echo "R_PORT=$FERRY_TEST_MY_PORT"
		echo "R_CNF=$FERRY_TEST_MY_CNF"
		echo "R_DATA=$FERRY_TEST_MY_DATA"
		echo "R_SOCKET=$FERRY_TEST_MY_SOCKET"
	) || return 1
	eval "$out"
	REPLICA=1
}
replica_stop() {
	(
		export FERRY_TEST_MY_CNF=$R_CNF FERRY_TEST_MY_DATA=$R_DATA
		my_stop
	)
	REPLICA=0
}

# ------------------------------------------------------------ SQL helpers

pg_q() { # DB SQL...: superuser through the socket
	local db=$1
	shift
	"$FERRY_TEST_PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 \
		-h "$FERRY_TEST_PG_SOCKDIR" -p "$FERRY_TEST_PG_PORT" -U postgres \
		-d "$db" "${@/#/-c}"
}
my_q() { # SOCKET SQL: root through the socket
	mariadb --no-defaults -N -B -uroot --socket="$1" -e "$2"
}
M_SOCK() { echo "$FERRY_TEST_MY_SOCKET"; }

PG_TABLE="CREATE TABLE bench (
  id bigint PRIMARY KEY,
  a integer NOT NULL,
  b integer NOT NULL,
  note text NOT NULL,
  created timestamptz NOT NULL,
  amount numeric(12,2) NOT NULL,
  src_ts timestamptz NOT NULL);
ALTER TABLE bench OWNER TO ferry"
MY_TABLE="CREATE TABLE bench (
  id bigint NOT NULL PRIMARY KEY,
  a int NOT NULL,
  b int NOT NULL,
  note text NOT NULL,
  created datetime(6) NOT NULL,
  amount decimal(12,2) NOT NULL,
  src_ts datetime(6) NOT NULL) ENGINE=InnoDB"

pg_newdb() { # NAME [with table]
	pg_q postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)" "CREATE DATABASE $1 OWNER ferry" &&
		{ [ "${2:-}" != table ] || pg_q "$1" "$PG_TABLE"; }
}
pg_dropdb() { pg_q postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; }

# the first ROWS rows, in one transaction (same row shape as bench_writer)
pg_load() { # DB
	pg_q "$1" "INSERT INTO bench SELECT g, g % 1000, (g * 7) % 100000,
		repeat(md5(g::text), 7),
		timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
		(g % 100000) / 100.0, clock_timestamp()
		FROM generate_series(1, $ROWS) g" "VACUUM ANALYZE bench" "CHECKPOINT"
}

# "count|checksum" of every row, to compare source and target
pg_digest() { pg_q "$1" "SELECT count(*) || '|' || coalesce(sum(hashtext(t::text)::bigint), 0) FROM bench t"; }
my_digest() { # SOCKET DB
	my_q "$1" "SELECT CONCAT(COUNT(*), '|', COALESCE(SUM(CRC32(CONCAT_WS('|', id, a, b, note, created, amount, src_ts))), 0)) FROM $2.bench"
}

# compare; keep the round's figures only if they are the same
VERIFY_FAILED=0
check_same() { # WHAT SRC_DIGEST DST_DIGEST
	if [ "$2" = "$3" ]; then
		say "$1: target identical to source (count|checksum $3)"
		pend_commit
		return 0
	fi
	VERIFY_FAILED=1
	PENDING=()
	note "$1: TARGET DIFFERS FROM SOURCE: source count|checksum $2, target $3; its figures are left out"
	return 1
}

PGC() { echo "host=127.0.0.1 port=$FERRY_TEST_PG_PORT user=postgres dbname=$1"; }
MYC() { echo "host=127.0.0.1 port=$1 user=ferry password=ferrypw dbname=$2"; }

# ------------------------------------------------------------ CPU accounting

proc_cpu() { # PID: user+system seconds so far (0 if gone)
	local s
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	# fields after "pid (comm) ": state=1 ... utime=12 stime=13
	echo "$s" | awk -v hz="$CLK_TCK" '{ printf "%.2f", ($12 + $13) / hz }'
}
# CPU ticks of this script's process tree, of the PostgreSQL cluster and
# of both mariadbd (exited children are in their parents' cutime/cstime)
ours_ticks() {
	local roots="$$"
	roots+=" $(head -1 "${FERRY_TEST_PG_DATA:-/nonexistent}/postmaster.pid" 2>/dev/null)"
	roots+=" $(cat "${FERRY_TEST_MY_DATA:-/nonexistent}/../mariadbd.pid" 2>/dev/null)"
	roots+=" $(cat "${R_DATA:-/nonexistent}/../mariadbd.pid" 2>/dev/null)"
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$roots" '
		{
			pid = $1; l = $0; sub(/.*\) /, "", l); split(l, f, " ")
			ppid[pid] = f[2]; t[pid] = f[12] + f[13] + f[14] + f[15]
		}
		END {
			n = split(roots, r, " ")
			for (i = 1; i <= n; i++) mark[r[i]] = 1
			for (more = 1; more;) {
				more = 0
				for (p in ppid)
					if (!(p in mark) && (ppid[p] in mark)) { mark[p] = 1; more = 1 }
			}
			s = 0
			for (p in mark) if (p in t) s += t[p]
			print s
		}'
}
# "TOTAL IDLE OURS" ticks now, for busy_since
sys_mark() {
	echo "$(awk '/^cpu / { idle = $5 + $6; tot = 0; for (i = 2; i <= NF; i++) tot += $i; print tot, idle }' /proc/stat) $(ours_ticks)"
}
# "busy B%, others O%" since MARK: B = the whole machine, O = what neither
# this benchmark's processes nor its servers used (other users of the
# machine, and the kernel's own threads, e.g. writeback).  O is also
# appended to $BENCH_TMP/others.
busy_since() { # MARK
	local a b c out
	read -r a b c <<<"$1"
	out=$(echo "$(sys_mark)" | awk -v a="$a" -v b="$b" -v c="$c" '{
		if ($1 <= a) { print "0 0"; exit }
		busy = 100 * (1 - ($2 - b) / ($1 - a))
		oth = busy - 100 * ($3 - c) / ($1 - a)
		if (oth < 0) oth = 0
		printf "%.0f %.0f\n", busy, oth
	}')
	echo "${out#* }" >>"$BENCH_TMP/others"
	echo "busy ${out% *}%, others ${out#* }%"
}

# ------------------------------------------------------------ ferry

ferry_conf() { # FILE SRC_DRIVER SRC_PORT SRC_DB DST_PORT DST_DB NAME
	local f=$1 drv=$2 extra
	if [ "$drv" = postgresql ]; then
		extra="  slot: $7
  publication: $7"
	else
		extra="  server_id: $((4200 + ${RUN:-1}))"
	fi
	printf 'ferrypw\n' >"$BENCH_TMP/pw"
	chmod 600 "$BENCH_TMP/pw"
	cat >"$f" <<YAML
source:
  driver: $drv
  host: 127.0.0.1
  port: $3
  user: ferry
  database: $4
  password_file: $BENCH_TMP/pw
$extra
target:
  driver: $drv
  host: 127.0.0.1
  port: $5
  user: ferry
  database: $6
  password_file: $BENCH_TMP/pw
mapping: $TOP/mappings/identity.yaml
state_dir: $BENCH_TMP/state-$7
YAML
	if [ -n "${FERRY_BENCH_BATCH_ROWS:-}" ]; then
		printf 'batch:\n  max_rows: %s\n' "$FERRY_BENCH_BATCH_ROWS" >>"$f"
	fi
}

ferry_start() { # CONF LOG
	"$FERRY" run -c "$1" >>"$2" 2>&1 &
	FERRY_PID=$!
}
ferry_stop() { # LOG: SIGTERM, wait up to 60 s
	local i rc=0
	[ -n "$FERRY_PID" ] || return 0
	kill -TERM "$FERRY_PID" 2>/dev/null
	for ((i = 0; i < 600; i++)); do
		kill -0 "$FERRY_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$FERRY_PID" 2>/dev/null; then
		note "ferry did not stop within 60 s of SIGTERM; killed"
		kill -KILL "$FERRY_PID"
	fi
	wait "$FERRY_PID" || rc=$?
	FERRY_PID=
	[ $rc = 0 ] || note "ferry exited with $rc after SIGTERM: $(tail -1 "$1")"
	return $rc
}
ferry_why() { # LOG: the last error line of a ferry log
	local l
	l=$(grep -E ' (ERROR|FATAL|WARN) ' "$1" | tail -1)
	[ -n "$l" ] || l=$(tail -1 "$1")
	echo "${l:-no output}"
}

# ------------------------------------------------------------ measuring

# Start bench_poll in the background; returns once its first sample is in.
POLL_PID=
poll_start() { # DRIVER CONN QUERY UNTIL OUTFILE [WATCH_PID]
	local out=$5 i
	rm -f "$out" "$out.res"
	"$BP" "$1" "$2" "$3" "$4" "$POLL_MS" "$WAIT_S" "$out" ${6:+"$6"} >"$out.res" &
	POLL_PID=$!
	BG+=("$POLL_PID")
	for ((i = 0; i < 3000; i++)); do
		[ -s "$out" ] && return 0
		kill -0 "$POLL_PID" 2>/dev/null || break
		sleep 0.01
	done
	echo "bench: poller did not start" >&2
	return 1
}
poll_wait() { # OUTFILE: wait for the poller; POLL_T = the ns it reached
	local rc=0
	POLL_T=
	wait "$POLL_PID" || rc=$?
	POLL_PID=
	[ $rc = 0 ] || return $rc
	POLL_T=$(awk '{ print $1 }' "$1.res")
	[ -n "$POLL_T" ]
}

# Writer + poller.  Sets STREAM_RATE, LAG_P50, LAG_P99, WRITER_RATE.
# Returns non-zero when the target never got the rows.
measure_stream() { # TAG DRIVER SRC_CONN DST_CONN FIRST WATCH_PID
	local tag=$1 drv=$2 first=$5 last dir=$BENCH_TMP/m-$1 t0 t1 w lag
	last=$((first + ROWS - 1))
	mkdir -p "$dir"
	STREAM_RATE='' LAG_P50='' LAG_P99='' WRITER_RATE=''
	local m0
	m0=$(sys_mark)
	poll_start "$drv" "$4" "SELECT max(id) FROM bench" "$last" "$dir/poll" "${6:-}" || return 1
	if ! "$BW" "$drv" "$3" bench "$first" "$ROWS" "$TXN" "$dir/writer" >"$dir/writer.log" 2>&1; then
		note "$tag: writer failed: $(tail -1 "$dir/writer.log")"
		bg_kill "$POLL_PID"
		return 1
	fi
	poll_wait "$dir/poll" || { note "$tag: the target never showed id $last (poller exit $?)"; return 1; }
	t1=$POLL_T
	t0=$(awk '$1 == "start" { print $2 }' "$dir/writer")
	w=$(awk '$1 == "end" { print $2 }' "$dir/writer")
	STREAM_RATE=$(rate "$ROWS" "$t0" "$t1")
	WRITER_RATE=$(rate "$ROWS" "$t0" "$w")
	lag=$(awk -f "$LAG_AWK" "$dir/writer" "$dir/poll")
	read -r LAG_P50 LAG_P99 _ _ _ <<<"$lag"
	say "$tag: $ROWS rows in $(secs "$t0" "$t1") s = $STREAM_RATE rows/s (writer alone finished in $(secs "$t0" "$w") s = $WRITER_RATE rows/s); lag p50 $LAG_P50 ms, p99 $LAG_P99 ms (max/txns/unseen: $(echo "$lag" | cut -d' ' -f3-)); $(busy_since "$m0")"
}

# Writes ROWS rows with the applier stopped, then times its restart until
# the target has them.  STOP_CMD / START_CMD are eval'd.  Sets CATCHUP_RATE.
measure_catchup() { # TAG DRIVER SRC_CONN DST_CONN FIRST STOP_CMD START_CMD [WATCH]
	local tag=$1 drv=$2 first=$5 last dir=$BENCH_TMP/c-$1 t0 t1
	last=$((first + ROWS - 1))
	mkdir -p "$dir"
	CATCHUP_RATE=
	eval "$6" || { note "$tag: could not stop the applier"; return 1; }
	if ! "$BW" "$drv" "$3" bench "$first" "$ROWS" "$TXN" "$dir/writer" >"$dir/writer.log" 2>&1; then
		note "$tag: writer failed: $(tail -1 "$dir/writer.log")"
		return 1
	fi
	poll_start "$drv" "$4" "SELECT max(id) FROM bench" "$last" "$dir/poll" || return 1
	local m0
	m0=$(sys_mark)
	t0=$(now_ns)
	eval "$7" || { note "$tag: could not start the applier"; bg_kill "$POLL_PID"; return 1; }
	if [ "${8:-}" = ferry ]; then
		# the poller cannot be told the pid before it exists: watch here
		while kill -0 "$POLL_PID" 2>/dev/null; do
			if ! kill -0 "$FERRY_PID" 2>/dev/null; then
				bg_kill "$POLL_PID"
				break
			fi
			sleep 0.05
		done
	fi
	poll_wait "$dir/poll" || { note "$tag: the target never showed id $last"; return 1; }
	t1=$POLL_T
	CATCHUP_RATE=$(rate "$ROWS" "$t0" "$t1")
	say "$tag: $ROWS rows in $(secs "$t0" "$t1") s = $CATCHUP_RATE rows/s; $(busy_since "$m0")"
}


# Before a round compares target and source: make sure the applier runs
# (a failed phase may have left it stopped) and give it time to apply all
# the source has, so that the comparison is about what the applier did,
# not about where a failed measurement left off.
settle() { # DRIVER DST_CONN LAST_ID START_CMD [ferry]
	eval "$4" >/dev/null 2>&1
	if ! "$BP" "$1" "$2" "SELECT max(id) FROM bench" "$3" "$POLL_MS" 300 \
		"$BENCH_TMP/settle" ${5:+"$FERRY_PID"} >/dev/null 2>&1; then
		note "the target did not reach id $3 within 300 s of the end of the round"
	fi
}
