#!/usr/bin/env bash
# tests/bench/run.sh BUILD - ferry's benchmarks against the databases' own
# replication (make bench).  Prints figures; asserts nothing about speed.
# It does check that every row arrived (count + checksum of the whole
# table against the source at the end of each round): the figures of a
# round whose target differs from its source are left out of the table,
# and a note says what differed.
#
# Starts its own durable (fsync on) throwaway servers through
# tests/servers.sh with FERRY_DURABLE=1: PostgreSQL 15, a MariaDB "master",
# and a second MariaDB "replica" (own datadir and port, server-id 2, no
# binlog) that is the target of both ferry MySQL and MariaDB replication.
# All are stopped and removed at the end, also on Ctrl-C / SIGTERM.
#
# Workload: one table of ~300-byte rows (bigint id PK, two ints, a
# 224-char text, a timestamp, a numeric, src_ts = source clock at insert).
#
# PostgreSQL -> PostgreSQL (databases of the same cluster), per run:
#   snapshot   ROWS rows in the source.  ferry: from starting `ferry run`
#              until ferry_snapshot.done is committed on the target.
#              native: CREATE PUBLICATION, then from
#              pg_create_logical_replication_slot + CREATE SUBSCRIPTION
#              (create_slot = false: a subscription to its own cluster
#              would wait for itself) until pg_subscription_rel reaches
#              'f' (the table sync commits the copy with that state).
#              pgcopydb (if installed or installable): `pgcopydb clone`
#              wall time (schema, COPY, PK build, VACUUM ANALYZE); no
#              --follow (broken in Debian 12's 0.10, see environment.md).
#   stream     with the applier caught up and streaming, bench_writer
#              inserts ROWS more rows as TXN_ROWS-row transactions, flat
#              out; rows/s = ROWS / (first write .. the poll that sees the
#              last id on the target).  Lag: bench_poll reads the target's
#              max(id) every 10 ms; a transaction's lag = (midpoint of the
#              two polls around its first sighting) - (when its COMMIT
#              returned to the writer); p50/p99 over transactions (= over
#              rows, all transactions have TXN_ROWS rows).
#   catch-up   applier stopped (ferry: SIGTERM; native: ALTER SUBSCRIPTION
#              DISABLE), ROWS more rows written, then from restarting it
#              until the target has them: the apply rate without the
#              writer as the limit.
# MariaDB -> MariaDB (master -> replica server), per run:
#   stream and catch-up as above; ferry starts on an empty table (snapshot
#   of nothing); the peer is MariaDB replication (GTID, slave_pos,
#   default single SQL thread; catch-up: STOP SLAVE / START SLAVE).
#
# Ferry and the peer never run at the same time; within a run they go in
# turns, the order alternating between runs.  Each figure is the median
# of RUNS runs; each ratio the median over the runs of ferry / peer in the
# same run (robust against a machine whose load changes between runs).
# Every measurement also prints the machine's CPU use and the share of it
# that was neither the benchmark nor its servers ("others"): the machine
# should be quiet.  tests/bench/profile.sh goes further into one case.
#
# Environment:
#   FERRY_BENCH_ROWS (1000000)  FERRY_BENCH_TXN_ROWS (1000)
#   FERRY_BENCH_RUNS (3)        FERRY_BENCH_ONLY (pg,mysql)
#   FERRY_BENCH_POLL_MS (10)    FERRY_BENCH_KEEP=1 keep the temp dir
#   FERRY_BENCH_NO_APT=1        do not try to apt-get install pgcopydb
#   FERRY_BENCH_PGCOPYDB=0      skip pgcopydb
#   FERRY_BENCH_BATCH_ROWS=N    ferry's batch.max_rows (default: ferry's own)
set -u -o pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

# ------------------------------------------------------------ results

declare -A RES=()   # key -> values of the runs, space separated
declare -A V=()     # key/run -> value
res_add() { RES[$1]="${RES[$1]:-} $2"; V[$1/$RUN]=$2; }
# a round's figures count only once its target matched its source
PENDING=()
pend() { PENDING+=("$1" "$2"); }
pend_commit() {
	local i
	for ((i = 0; i + 1 < ${#PENDING[@]}; i += 2)); do
		res_add "${PENDING[i]}" "${PENDING[i + 1]}"
	done
	PENDING=()
}
median() { # values...: median, "" if none
	printf '%s\n' "$@" | grep -v '^$' | sort -g | awk '
		{ a[NR] = $1 }
		END { if (NR == 0) exit; if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# shellcheck disable=SC2086
med() { median ${RES[$1]:-}; }
# ------------------------------------------------------------ PostgreSQL

pg_round_ferry() {
	local src=bsrc_f dst=bdst_f slot=bench_ferry_$RUN log=$BENCH_TMP/ferry-pg-$RUN.log
	local conf=$BENCH_TMP/ferry-pg-$RUN.yaml t0 t1 c0 m0 n
	say "run $RUN: PostgreSQL, ferry"
	PENDING=()
	pg_newdb $src table && pg_newdb $dst table && pg_load $src || { note "pg ferry run $RUN: setup failed"; return 1; }
	ferry_conf "$conf" postgresql "$FERRY_TEST_PG_PORT" $src "$FERRY_TEST_PG_PORT" $dst $slot

	# -- snapshot
	m0=$(sys_mark)
	t0=$(now_ns)
	ferry_start "$conf" "$log"
	if ! "$BP" pg "$(PGC $dst)" "SELECT count(*) FROM ferry_snapshot WHERE done" 1 \
		"$POLL_MS" "$WAIT_S" "$BENCH_TMP/snap-f-$RUN" "$FERRY_PID" >"$BENCH_TMP/snap-f-$RUN.res"; then
		note "pg ferry run $RUN: snapshot did not finish: $(ferry_why "$log")"
		ferry_stop "$log"
		return 1
	fi
	t1=$(awk '{ print $1 }' "$BENCH_TMP/snap-f-$RUN.res")
	c0=$(proc_cpu "$FERRY_PID")
	n=$(pg_q $dst "SELECT count(*) FROM bench")
	if [ "$n" = "$ROWS" ]; then
		pend pg_snap_ferry "$(rate "$ROWS" "$t0" "$t1")"
		say "pg ferry snapshot: $ROWS rows in $(secs "$t0" "$t1") s = $(rate "$ROWS" "$t0" "$t1") rows/s (ferry cpu ${c0}s, $(busy_since "$m0"))"
	else
		VERIFY_FAILED=1
		note "pg ferry run $RUN: snapshot done but the target has $n rows, not $ROWS"
	fi

	# -- streaming (ferry is running and caught up)
	if measure_stream "pg ferry stream" pg "$(PGC $src)" "$(PGC $dst)" $((ROWS + 1)) "$FERRY_PID"; then
		pend pg_stream_ferry "$STREAM_RATE"
		pend pg_lag50_ferry "$LAG_P50"
		pend pg_lag99_ferry "$LAG_P99"
		pend pg_writer_ferry "$WRITER_RATE"
		say "  ferry cpu $(awk -v a="$c0" -v b="$(proc_cpu "$FERRY_PID")" 'BEGIN { printf "%.2f", b - a }')s"
	else
		note "pg ferry run $RUN: stream failed: $(ferry_why "$log")"
	fi

	# -- catch-up
	if [ -n "$FERRY_PID" ] && kill -0 "$FERRY_PID" 2>/dev/null; then
		pg_q $src "CHECKPOINT" >/dev/null
		if measure_catchup "pg ferry catch-up" pg "$(PGC $src)" "$(PGC $dst)" $((2 * ROWS + 1)) \
			'ferry_stop "$log"' 'ferry_start "$conf" "$log"' ferry; then
			pend pg_catchup_ferry "$CATCHUP_RATE"
			say "  ferry cpu $(proc_cpu "$FERRY_PID")s"
		else
			note "pg ferry run $RUN: catch-up failed: $(ferry_why "$log")"
		fi
	fi
	settle pg "$(PGC $dst)" "$(pg_q $src "SELECT max(id) FROM bench")" \
		'kill -0 "$FERRY_PID" 2>/dev/null || ferry_start "$conf" "$log"' ferry
	ferry_stop "$log"
	check_same "pg ferry run $RUN" "$(pg_digest $src)" "$(pg_digest $dst)"
	pg_q $src "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots WHERE slot_name = '$slot'" \
		"DROP PUBLICATION IF EXISTS $slot" >/dev/null
	pg_dropdb $src
	pg_dropdb $dst
}

pg_sub_workers() { # DB: running workers of the subscription
	pg_q "$1" "SELECT count(*) FROM pg_stat_subscription WHERE subname = 'bench_sub' AND pid IS NOT NULL"
}
pg_sub_wait_gone() { # DB
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(pg_sub_workers "$1")" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

pg_round_native() {
	local src=bsrc_n dst=bdst_n t0 t1 n m0 i st
	say "run $RUN: PostgreSQL, native logical replication"
	PENDING=()
	pg_newdb $src table && pg_newdb $dst table && pg_load $src || { note "pg native run $RUN: setup failed"; return 1; }

	# -- pgcopydb clone of the same source, into a database without tables
	if [ "$PGCOPYDB" = 1 ]; then
		pg_newdb bdst_c
		rm -rf "$BENCH_TMP/pgcopydb"
		m0=$(sys_mark)
		t0=$(now_ns)
		if PATH=$FERRY_TEST_PG_BIN:$PATH pgcopydb clone \
			--source "postgres://postgres@127.0.0.1:$FERRY_TEST_PG_PORT/$src" \
			--target "postgres://postgres@127.0.0.1:$FERRY_TEST_PG_PORT/bdst_c" \
			--dir "$BENCH_TMP/pgcopydb" --no-owner --no-acl >"$BENCH_TMP/pgcopydb-$RUN.log" 2>&1; then
			t1=$(now_ns)
			n=$(pg_q bdst_c "SELECT count(*) FROM bench")
			if [ "$n" = "$ROWS" ]; then
				res_add pg_snap_pgcopydb "$(rate "$ROWS" "$t0" "$t1")"
				say "pgcopydb clone: $ROWS rows in $(secs "$t0" "$t1") s = $(rate "$ROWS" "$t0" "$t1") rows/s ($(busy_since "$m0"); its COPY step alone: $(grep -E 'COPY \(cumulative\)' "$BENCH_TMP/pgcopydb-$RUN.log" | awk '{ print $(NF-1) }'))"
			else
				VERIFY_FAILED=1
				note "pgcopydb run $RUN: the target has $n rows, not $ROWS"
			fi
		else
			note "pgcopydb run $RUN failed: $(grep -E 'ERROR|FATAL' "$BENCH_TMP/pgcopydb-$RUN.log" | head -1)"
		fi
		pg_dropdb bdst_c
		pg_q $src "CHECKPOINT" >/dev/null
	fi

	# -- snapshot (initial table sync)
	pg_q $src "CREATE PUBLICATION bench_pub FOR TABLE bench" >/dev/null
	m0=$(sys_mark)
	t0=$(now_ns)
	pg_q $src "SELECT pg_create_logical_replication_slot('bench_sub', 'pgoutput')" >/dev/null &&
		pg_q $dst "CREATE SUBSCRIPTION bench_sub CONNECTION '$(PGC $src)' PUBLICATION bench_pub
			WITH (create_slot = false, slot_name = 'bench_sub')" >/dev/null ||
		{ note "pg native run $RUN: could not create the subscription"; return 1; }
	if "$BP" pg "$(PGC $dst)" "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate IN ('f', 's', 'r')" 1 \
		"$POLL_MS" "$WAIT_S" "$BENCH_TMP/snap-n-$RUN" >"$BENCH_TMP/snap-n-$RUN.res"; then
		t1=$(awk '{ print $1 }' "$BENCH_TMP/snap-n-$RUN.res")
		n=$(pg_q $dst "SELECT count(*) FROM bench")
		if [ "$n" = "$ROWS" ]; then
			pend pg_snap_native "$(rate "$ROWS" "$t0" "$t1")"
			say "pg native snapshot: $ROWS rows in $(secs "$t0" "$t1") s = $(rate "$ROWS" "$t0" "$t1") rows/s ($(busy_since "$m0"))"
		else
			VERIFY_FAILED=1
			note "pg native run $RUN: table synced but the target has $n rows, not $ROWS"
		fi
	else
		note "pg native run $RUN: the initial sync did not finish"
	fi
	# streaming starts once the table is 'r'eady (apply worker in charge)
	for ((i = 0; i < 600; i++)); do
		st=$(pg_q $dst "SELECT string_agg(srsubstate::text, '') FROM pg_subscription_rel")
		[ "$st" = r ] && break
		sleep 0.1
	done

	# -- streaming
	if measure_stream "pg native stream" pg "$(PGC $src)" "$(PGC $dst)" $((ROWS + 1)); then
		pend pg_stream_native "$STREAM_RATE"
		pend pg_lag50_native "$LAG_P50"
		pend pg_lag99_native "$LAG_P99"
		pend pg_writer_native "$WRITER_RATE"
	fi

	# -- catch-up
	pg_q $src "CHECKPOINT" >/dev/null
	if measure_catchup "pg native catch-up" pg "$(PGC $src)" "$(PGC $dst)" $((2 * ROWS + 1)) \
		'pg_q $dst "ALTER SUBSCRIPTION bench_sub DISABLE" >/dev/null && pg_sub_wait_gone $dst' \
		'pg_q $dst "ALTER SUBSCRIPTION bench_sub ENABLE" >/dev/null'; then
		pend pg_catchup_native "$CATCHUP_RATE"
	fi
	settle pg "$(PGC $dst)" "$(pg_q $src "SELECT max(id) FROM bench")" \
		'pg_q $dst "ALTER SUBSCRIPTION bench_sub ENABLE"'
	# a subscription to its own cluster is dropped without touching the slot
	pg_q $dst "ALTER SUBSCRIPTION bench_sub DISABLE" >/dev/null
	pg_sub_wait_gone $dst
	check_same "pg native run $RUN" "$(pg_digest $src)" "$(pg_digest $dst)"
	pg_q $dst "ALTER SUBSCRIPTION bench_sub SET (slot_name = NONE)" "DROP SUBSCRIPTION bench_sub" >/dev/null
	pg_q $src "SELECT pg_drop_replication_slot('bench_sub')" "DROP PUBLICATION bench_pub" >/dev/null
	pg_dropdb $src
	pg_dropdb $dst
}

# ------------------------------------------------------------ MariaDB

my_round_ferry() {
	local src=msrc_f dst=mdst_f log=$BENCH_TMP/ferry-my-$RUN.log conf=$BENCH_TMP/ferry-my-$RUN.yaml
	local m0 c0
	say "run $RUN: MariaDB, ferry"
	PENDING=()
	my_q "$(M_SOCK)" "DROP DATABASE IF EXISTS $src; CREATE DATABASE $src; USE $src; $MY_TABLE" &&
		my_q "$R_SOCKET" "DROP DATABASE IF EXISTS $dst; CREATE DATABASE $dst; USE $dst; $MY_TABLE" ||
		{ note "mysql ferry run $RUN: setup failed"; return 1; }
	ferry_conf "$conf" mysql "$FERRY_TEST_MY_PORT" $src "$R_PORT" $dst my-$RUN
	ferry_start "$conf" "$log"
	if ! "$BP" my "$(MYC "$R_PORT" $dst)" "SELECT COUNT(*) FROM ferry_snapshot WHERE done" 1 \
		"$POLL_MS" 120 "$BENCH_TMP/snap-m-$RUN" "$FERRY_PID" >/dev/null 2>&1; then
		MY_FERRY_NA="$(ferry_why "$log")"
		note "ferry mysql: not available ($MY_FERRY_NA)"
		ferry_stop "$log"
		return 1
	fi
	c0=$(proc_cpu "$FERRY_PID")
	if measure_stream "mysql ferry stream" my "$(MYC "$FERRY_TEST_MY_PORT" $src)" "$(MYC "$R_PORT" $dst)" 1 "$FERRY_PID"; then
		pend my_stream_ferry "$STREAM_RATE"
		pend my_lag50_ferry "$LAG_P50"
		pend my_lag99_ferry "$LAG_P99"
		pend my_writer_ferry "$WRITER_RATE"
		say "  ferry cpu $(awk -v a="$c0" -v b="$(proc_cpu "$FERRY_PID")" 'BEGIN { printf "%.2f", b - a }')s"
	else
		note "mysql ferry run $RUN: stream failed: $(ferry_why "$log")"
	fi
	if [ -n "$FERRY_PID" ] && kill -0 "$FERRY_PID" 2>/dev/null; then
		if measure_catchup "mysql ferry catch-up" my "$(MYC "$FERRY_TEST_MY_PORT" $src)" "$(MYC "$R_PORT" $dst)" \
			$((ROWS + 1)) 'ferry_stop "$log"' 'ferry_start "$conf" "$log"' ferry; then
			pend my_catchup_ferry "$CATCHUP_RATE"
			say "  ferry cpu $(proc_cpu "$FERRY_PID")s"
		else
			note "mysql ferry run $RUN: catch-up failed: $(ferry_why "$log")"
		fi
	fi
	settle my "$(MYC "$R_PORT" $dst)" "$(my_q "$(M_SOCK)" "SELECT max(id) FROM $src.bench")" \
		'kill -0 "$FERRY_PID" 2>/dev/null || ferry_start "$conf" "$log"' ferry
	ferry_stop "$log"
	check_same "mysql ferry run $RUN" "$(my_digest "$(M_SOCK)" $src)" "$(my_digest "$R_SOCKET" $dst)"
	my_q "$(M_SOCK)" "DROP DATABASE $src"
	my_q "$R_SOCKET" "DROP DATABASE $dst"
}

my_slave_wait() { # ON|OFF
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(my_q "$R_SOCKET" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SLAVE_RUNNING'")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

my_round_native() {
	local db=msrc_n g m0
	say "run $RUN: MariaDB, replication"
	PENDING=()
	my_q "$R_SOCKET" "STOP SLAVE" 2>/dev/null
	my_q "$(M_SOCK)" "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db; USE $db; $MY_TABLE" &&
		my_q "$R_SOCKET" "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db; USE $db; $MY_TABLE" ||
		{ note "mysql replica run $RUN: setup failed"; return 1; }
	g=$(my_q "$(M_SOCK)" "SELECT @@gtid_binlog_pos")
	my_q "$R_SOCKET" "SET GLOBAL gtid_slave_pos = '$g';
		CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = $FERRY_TEST_MY_PORT,
		MASTER_USER = 'ferry', MASTER_PASSWORD = 'ferrypw', MASTER_USE_GTID = slave_pos;
		START SLAVE" && my_slave_wait ON ||
		{ note "mysql replica run $RUN: replication did not start: $(my_q "$R_SOCKET" "SHOW SLAVE STATUS\G" | grep -i error | tr '\n' ' ')"; return 1; }
	if measure_stream "mysql replica stream" my "$(MYC "$FERRY_TEST_MY_PORT" $db)" "$(MYC "$R_PORT" $db)" 1; then
		pend my_stream_native "$STREAM_RATE"
		pend my_lag50_native "$LAG_P50"
		pend my_lag99_native "$LAG_P99"
		pend my_writer_native "$WRITER_RATE"
	else
		note "mysql replica run $RUN: $(my_q "$R_SOCKET" "SHOW SLAVE STATUS\G" | grep -iE 'Last_.*Error' | tr '\n' ' ')"
	fi
	if measure_catchup "mysql replica catch-up" my "$(MYC "$FERRY_TEST_MY_PORT" $db)" "$(MYC "$R_PORT" $db)" \
		$((ROWS + 1)) 'my_q "$R_SOCKET" "STOP SLAVE" && my_slave_wait OFF' \
		'my_q "$R_SOCKET" "START SLAVE"'; then
		pend my_catchup_native "$CATCHUP_RATE"
	fi
	settle my "$(MYC "$R_PORT" $db)" "$(my_q "$(M_SOCK)" "SELECT max(id) FROM $db.bench")" \
		'my_q "$R_SOCKET" "START SLAVE"'
	my_q "$R_SOCKET" "STOP SLAVE"
	check_same "mysql replica run $RUN" "$(my_digest "$(M_SOCK)" $db)" "$(my_digest "$R_SOCKET" $db)"
	my_q "$(M_SOCK)" "DROP DATABASE $db"
	my_q "$R_SOCKET" "DROP DATABASE $db"
	# nothing reads the old binlogs any more
	my_q "$(M_SOCK)" "FLUSH BINARY LOGS; PURGE BINARY LOGS BEFORE NOW()"
}

# ------------------------------------------------------------ main

FLAVOUR="release (-O2 -g)"
case $BUILD in
*/san) FLAVOUR="SANITIZE=1 (ASan+UBSan, -O1): WARNING: figures are NOT representative" ;;
esac
echo "# ferry bench: $ROWS rows of ~300 B, $TXN-row source transactions, $RUNS run(s), poll every $POLL_MS ms"
echo "# machine: nproc $(nproc), $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo); build $BUILD: $FLAVOUR"
REV=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$TOP" status --porcelain -- src include 2>/dev/null | wc -l)
[ "$DIRTY" -gt 0 ] && REV="$REV + $DIRTY uncommitted file(s) under src/ include/"
echo "# ferry: $("$FERRY" --version 2>/dev/null | head -1) at $REV, binary built $(date -r "$FERRY_BUILT" '+%F %T')"
M0=$(sys_mark)
sleep 2
echo "# before starting: $(busy_since "$M0") (others = load not ours)"
: >"$BENCH_TMP/others"
case $BUILD in */san) echo "WARNING: benchmarking a sanitizer build" >&2 ;; esac

# pgcopydb: the Debian package if present or installable
PGCOPYDB=0
PGCOPYDB_WHY=
if [ "${FERRY_BENCH_PGCOPYDB:-1}" = 0 ]; then
	PGCOPYDB_WHY="skipped (FERRY_BENCH_PGCOPYDB=0)"
elif [[ ,$ONLY, != *,pg,* ]]; then
	PGCOPYDB_WHY="skipped (no pg part)"
else
	if ! command -v pgcopydb >/dev/null && [ "${FERRY_BENCH_NO_APT:-0}" != 1 ]; then
		say "pgcopydb not installed: trying apt-get install pgcopydb"
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q --no-install-recommends pgcopydb \
			>"$BENCH_TMP/apt.log" 2>&1 || PGCOPYDB_WHY="not installable: $(grep -E '^E:' "$BENCH_TMP/apt.log" | head -1)"
	fi
	if command -v pgcopydb >/dev/null; then
		PGCOPYDB=1
	else
		PGCOPYDB_WHY=${PGCOPYDB_WHY:-"not installed (FERRY_BENCH_NO_APT=1)"}
	fi
fi

# shellcheck disable=SC2034  # read by cleanup in lib.sh
SERVERS=1
if ! servers_start_all; then
	echo "bench: servers did not start" >&2
	exit 1
fi
if [[ ,$ONLY, == *,mysql,* ]]; then
	replica_start || { echo "bench: the MariaDB replica did not start" >&2; exit 1; }
fi
# a subscription worker is not restarted within wal_retrieve_retry_interval
# of the last start (5 s default): runs recreate subscriptions often
pg_q postgres "ALTER SYSTEM SET wal_retrieve_retry_interval = '1s'" "SELECT pg_reload_conf()" >/dev/null

PG_VER=$("$FERRY_TEST_PG_BIN/postgres" --version | awk '{ print $3 }')
MY_VER=$(mariadbd --version | awk '{ print $3 }')
PGCOPYDB_VER=$(pgcopydb --version 2>/dev/null | awk '/pgcopydb version/ { print $3 }')
MY_FERRY_NA=

for ((RUN = 1; RUN <= RUNS; RUN++)); do
	if [[ ,$ONLY, == *,pg,* ]]; then
		if ((RUN % 2)); then
			pg_round_ferry; pg_round_native
		else
			pg_round_native; pg_round_ferry
		fi
	fi
	if [[ ,$ONLY, == *,mysql,* ]]; then
		if ((RUN % 2)); then
			my_round_ferry; my_round_native
		else
			my_round_native; my_round_ferry
		fi
	fi
done

# ------------------------------------------------------------ the table

cell() { # VALUE [SUFFIX]: rounded; "-" when empty
	if [ -n "$1" ]; then
		printf '%.0f%s' "$1" "${2:-}"
	else
		echo "-"
	fi
}
ratio() { # FERRY_KEY PEER_KEY: median over runs of ferry/peer in the same run
	local r x y vals=() m
	for ((r = 1; r <= RUNS; r++)); do
		x=${V[$1/$r]:-}
		y=${V[$2/$r]:-}
		[ -n "$x" ] && [ -n "$y" ] &&
			vals+=("$(awk -v a="$x" -v b="$y" 'BEGIN { if (b > 0) printf "%.4f", a / b }')")
	done
	m=$(median ${vals[@]+"${vals[@]}"})
	if [ -n "$m" ]; then printf '%.2f' "$m"; else echo "-"; fi
}
row() { printf '%-28s %-18s %-26s %s\n' "$@"; }
lagcell() { # P50 P99
	[ -n "$1" ] && printf '%.0f/%.0f' "$1" "$2" || echo "-"
}
lagratio() { # P50_FERRY_KEY P99_FERRY_KEY P50_PEER_KEY P99_PEER_KEY
	echo "$(ratio "$1" "$3")/$(ratio "$2" "$4")"
}

echo
echo "# results: median of $RUNS run(s); ratio = median over the runs of ferry / peer within the same run"
echo "# (rows/s: > 1 = ferry faster; lag: > 1 = ferry behind)"
row "what" "ferry" "peer" "ratio"
if [[ ,$ONLY, == *,pg,* ]]; then
	row "pg snapshot rows/s" "$(cell "$(med pg_snap_ferry)")" "$(cell "$(med pg_snap_native)" " (native)")" \
		"$(ratio pg_snap_ferry pg_snap_native)"
	if [ "$PGCOPYDB" = 1 ]; then
		row "pg snapshot rows/s" "$(cell "$(med pg_snap_ferry)")" "$(cell "$(med pg_snap_pgcopydb)" " (pgcopydb)")" \
			"$(ratio pg_snap_ferry pg_snap_pgcopydb)"
	else
		row "pg snapshot rows/s" "$(cell "$(med pg_snap_ferry)")" "n/a (pgcopydb)" "-"
	fi
	row "pg stream rows/s" "$(cell "$(med pg_stream_ferry)")" "$(cell "$(med pg_stream_native)" " (native)")" \
		"$(ratio pg_stream_ferry pg_stream_native)"
	row "pg lag p50/p99 ms" "$(lagcell "$(med pg_lag50_ferry)" "$(med pg_lag99_ferry)")" \
		"$(lagcell "$(med pg_lag50_native)" "$(med pg_lag99_native)") (native)" \
		"$(lagratio pg_lag50_ferry pg_lag99_ferry pg_lag50_native pg_lag99_native)"
	row "pg catch-up rows/s" "$(cell "$(med pg_catchup_ferry)")" "$(cell "$(med pg_catchup_native)" " (native)")" \
		"$(ratio pg_catchup_ferry pg_catchup_native)"
	row "pg writer rows/s" "$(cell "$(med pg_writer_ferry)")" "$(cell "$(med pg_writer_native)" " (native)")" \
		"(source writer alone)"
fi
if [[ ,$ONLY, == *,mysql,* ]]; then
	if [ -n "$MY_FERRY_NA" ] && [ -z "${RES[my_stream_ferry]:-}" ]; then
		echo "ferry mysql: not available ($MY_FERRY_NA)"
	fi
	row "mysql stream rows/s" "$(cell "$(med my_stream_ferry)")" "$(cell "$(med my_stream_native)" " (mariadb replica)")" \
		"$(ratio my_stream_ferry my_stream_native)"
	row "mysql lag p50/p99 ms" "$(lagcell "$(med my_lag50_ferry)" "$(med my_lag99_ferry)")" \
		"$(lagcell "$(med my_lag50_native)" "$(med my_lag99_native)") (mariadb replica)" \
		"$(lagratio my_lag50_ferry my_lag99_ferry my_lag50_native my_lag99_native)"
	row "mysql catch-up rows/s" "$(cell "$(med my_catchup_ferry)")" "$(cell "$(med my_catchup_native)" " (mariadb replica)")" \
		"$(ratio my_catchup_ferry my_catchup_native)"
	row "mysql writer rows/s" "$(cell "$(med my_writer_ferry)")" "$(cell "$(med my_writer_native)" " (mariadb replica)")" \
		"(source writer alone)"
fi
echo
echo "# every run (rows/s or ms; run 1 2 ...):"
for k in $(printf '%s\n' "${!RES[@]}" | sort); do
	line=
	for ((r = 1; r <= RUNS; r++)); do
		line+=" ${V[$k/$r]:--}"
	done
	echo "#   $k:$line"
done
echo "# notes:"
echo "#   machine: nproc $(nproc); build: $FLAVOUR; servers durable (fsync on, innodb_flush_log_at_trx_commit=1), same machine as ferry"
echo "#   peers: PostgreSQL $PG_VER logical replication (pgoutput; its apply worker commits with the subscription's default synchronous_commit=off);"
echo "#          MariaDB $MY_VER replication (GTID, 1 SQL thread, replica without binlog, like ferry's target there)"
if [ "$PGCOPYDB" = 1 ]; then
	echo "#   pgcopydb $PGCOPYDB_VER: clone without --follow (its follow mode loses rows in Debian 12, see environment.md); builds the PK after COPY and runs VACUUM ANALYZE, both inside its time"
else
	echo "#   pgcopydb: $PGCOPYDB_WHY"
fi
echo "#   stream rows/s includes the writer's own time: when the applier keeps up it equals the writer rate; catch-up shows the apply rate alone"
echo "#   lag resolution: +-$((POLL_MS / 2)) ms (max(id) polled every $POLL_MS ms); MariaDB's snapshot is not measured (no native peer for it; ferry starts on an empty table)"
for n in ${NOTES[@]+"${NOTES[@]}"}; do
	echo "#   $n"
done
if [ -s "$BENCH_TMP/others" ]; then
	o=$(sort -g "$BENCH_TMP/others" | tail -1)
	# shellcheck disable=SC2046
	echo "#   other processes and kernel threads used up to $o% of the machine during a measurement (median $(median $(cat "$BENCH_TMP/others"))%)"
	[ "$o" -gt 15 ] && echo "# WARNING: the machine was not quiet (others up to $o%): absolute figures are disturbed; the same-run ratios less so"
fi
[ "$VERIFY_FAILED" = 1 ] && echo "# WARNING: some target did not match its source: see the notes; those figures are left out"
echo "# wall time $(secs "$T_START" "$(now_ns)") s"
exit 0
