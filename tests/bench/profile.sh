#!/usr/bin/env bash
# tests/bench/profile.sh BUILD pg|mysql [ferry|peer] - where does the apply
# time go?  Not part of `make bench`; run it by hand, as root:
#
#   bash tests/bench/profile.sh build/rel pg            # ferry PG -> PG
#   bash tests/bench/profile.sh build/rel pg peer       # native logical replication
#   bash tests/bench/profile.sh build/rel mysql [peer]  # ferry / MariaDB replication
#   bash tests/bench/profile.sh build/rel pg-snapshot [peer]  # the initial copy
#   bash tests/bench/profile.sh build/rel pg-shapes     # statement shapes (bench_pg_shapes)
#   bash tests/bench/profile.sh build/rel mysql-shapes  # the same on MariaDB (bench_my_shapes)
#
# The catch-up case of run.sh (the apply rate without a writer as the
# limit): the applier is stopped, FERRY_BENCH_ROWS rows (1000000) are
# written as FERRY_BENCH_TXN_ROWS-row transactions, and the applier is
# started again under observation until the target has them all
# (pg-snapshot: the initial copy of that many rows instead).  Prints:
#   - the elapsed time and rows/s;
#   - CPU seconds used by each process (and each ferry thread) involved:
#     ferry, the target's backend / server, the source's walsender /
#     server, and the whole machine (others = not ours);
#   - wait-event samples every 10 ms of the server connections doing the
#     work (PostgreSQL: pg_stat_activity wait_event, "CPU" when none;
#     MariaDB: PROCESSLIST state): a sampling profile of server CPU vs I/O
#     vs waiting for the client (ClientRead / "Sleep" = round trips);
#   - perf (cpu-clock, call graphs) of those processes: top symbols per
#     process (FERRY_BENCH_PERF=0 skips it).
# Durable servers (FERRY_DURABLE=1), started and stopped like run.sh.
set -u -o pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
BS=$BIN/bench_sample
BT=$BIN/bench_threads
DB=${2:-}
WHO=${3:-ferry}
PHASE=catch-up
case $DB/$WHO in
pg/ferry | pg/peer | mysql/ferry | mysql/peer) ;;
pg-snapshot/ferry | pg-snapshot/peer) PHASE=snapshot ;;
pg-shapes/ferry | mysql-shapes/ferry) PHASE=shapes ;;
*)
	echo "usage: $0 BUILD pg|pg-snapshot|mysql [ferry|peer] | pg-shapes | mysql-shapes" >&2
	exit 2
	;;
esac
for f in "$BS" "$BT"; do
	[ -x "$f" ] || { echo "profile: $f missing (make test-bins)" >&2; exit 2; }
done
PERF=${FERRY_BENCH_PERF:-1}
command -v perf >/dev/null || PERF=0
P=$BENCH_TMP/prof
mkdir -p "$P"
# shellcheck disable=SC2034  # ferry_conf derives the MySQL server_id from it
RUN=1
SAMPLERS=()
PERF_PID=

# ------------------------------------------------------------ observation

declare -A CPU0=()
declare -A LABEL=()
watch_pids() { # LABEL PID...: remember the CPU time they have used so far
	local label=$1 p t
	shift
	for p in "$@"; do
		LABEL[$p]=$label
		CPU0[$p]=$(proc_cpu "$p")
		if [ "$label" = ferry ]; then
			for t in /proc/"$p"/task/*; do
				t=${t##*/}
				[ "$t" = "$p" ] && continue
				LABEL[$p/$t]="ferry thread $t"
				CPU0[$p/$t]=$(proc_cpu "$p/task/$t")
			done
		fi
	done
}
report_cpu() { # SECONDS
	local k now
	echo "# CPU seconds during the $1 s (and % of one core):"
	for k in $(printf '%s\n' "${!LABEL[@]}" | sort); do
		if [[ $k == */* ]]; then
			now=$(proc_cpu "${k%/*}/task/${k#*/}")
		else
			now=$(proc_cpu "$k")
		fi
		awk -v l="${LABEL[$k]}" -v k="$k" -v a="${CPU0[$k]}" -v b="$now" -v s="$1" \
			'BEGIN { printf "#   %-34s %-12s %7.2f s  %5.1f%%\n", l, "(" k ")", b - a, 100 * (b - a) / s }'
	done
	if [ -n "$FERRY_PID" ] && [ -n "${LABEL[$FERRY_PID]:-}" ]; then
		echo "#   (ferry's main thread ($FERRY_PID) is the apply thread: transform, batch, sink;"
		echo "#    the other one is the reader: source protocol and decoding)"
	fi
}

sampler_start() { # DRIVER CONN QUERY NAME
	"$BS" "$1" "$2" "$3" 10 "$WAIT_S" "$P/$4.samples" &
	SAMPLERS+=("$!")
	BG+=("$!")
}
sampler_report() { # NAME TITLE: share of each state per process kind
	[ -s "$P/$1.samples" ] || { echo "# $2: no samples"; return; }
	echo "# $2 (sampled every 10 ms; % of each process's samples):"
	awk -F'|' '{ n[$1]++; c[$0]++ } END { for (k in c) { split(k, f, "|"); printf "%s|%.1f|%s\n", f[1], 100 * c[k] / n[f[1]], k } }' \
		"$P/$1.samples" | sort -t'|' -k1,1 -k2,2gr |
		awk -F'|' '{ s = $3; for (i = 4; i <= NF; i++) s = s "|" $i; printf "#   %5.1f%%  %s\n", $2, s }' | head -30
}

THREADS_PID=
threads_start() { # PID...: bench_threads over them until threads_report
	"$BT" 10 "$WAIT_S" "$@" >"$P/threads.txt" 2>&1 &
	THREADS_PID=$!
	BG+=("$THREADS_PID")
}
threads_report() {
	[ -n "$THREADS_PID" ] || return 0
	kill -TERM "$THREADS_PID" 2>/dev/null
	wait "$THREADS_PID" 2>/dev/null
	echo "# thread states from /proc every 10 ms (R = on CPU or runnable, S = asleep in CALL,"
	echo "# D = disk; idle threads left out):"
	sed 's/^/#   /' "$P/threads.txt"
}

perf_start() { # PID...
	local pids
	threads_start "$@"
	[ "$PERF" = 1 ] || return 0
	pids=$(echo "$@" | tr ' ' ,)
	perf record -q -e cpu-clock -F 499 -g -p "$pids" -o "$P/perf.data" >"$P/perf.log" 2>&1 &
	PERF_PID=$!
	BG+=("$PERF_PID")
}
perf_stop_report() {
	threads_report
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null
	wait "$PERF_PID" 2>/dev/null
	echo "# perf: share of samples per process"
	perf report -i "$P/perf.data" --no-children --stdio -g none --sort pid 2>/dev/null |
		grep -E '^ +[0-9]' | head -10 | sed 's/^/#   /'
	echo "# perf: top symbols per process (self time)"
	perf report -i "$P/perf.data" --no-children --stdio -g none --sort pid,dso,sym \
		--percent-limit 1 2>/dev/null | grep -E '^ +[0-9]' | head -45 | sed 's/^/#   /'
	echo "# perf: call graphs: perf report -i $P/perf.data (kept: FERRY_BENCH_KEEP=1)"
}

finish_observation() { # T0 T1 MARK
	local s
	# stop sampling where the measurement ends
	[ -n "$THREADS_PID" ] && kill -TERM "$THREADS_PID" 2>/dev/null
	[ -n "$PERF_PID" ] && kill -INT "$PERF_PID" 2>/dev/null
	s=$(secs "$1" "$2")
	# shellcheck disable=SC2068
	bg_kill ${SAMPLERS[@]+"${SAMPLERS[@]}"}
	say "$DB $WHO $PHASE: $ROWS rows in $s s = $(rate "$ROWS" "$1" "$2") rows/s; $(busy_since "$3")"
	report_cpu "$s"
}

wait_for() { # SECONDS CMD...: until CMD prints something non-empty
	local i n=$(($1 * 20)) out
	shift
	for ((i = 0; i < n; i++)); do
		out=$("$@" 2>/dev/null)
		[ -n "$out" ] && { echo "$out"; return 0; }
		sleep 0.05
	done
	return 1
}

# ------------------------------------------------------------ PostgreSQL

pg_backend() { # WHERE: pid of the one matching backend
	pg_q postgres "SELECT pid FROM pg_stat_activity WHERE $1 LIMIT 1"
}

profile_pg() {
	local src=psrc dst=pdst conf=$BENCH_TMP/ferry.yaml log=$BENCH_TMP/ferry.log t0 t1 m0 be ws
	pg_newdb $src table && pg_newdb $dst table || exit 1
	if [ "$WHO" = ferry ]; then
		ferry_conf "$conf" postgresql "$FERRY_TEST_PG_PORT" $src "$FERRY_TEST_PG_PORT" $dst prof
		ferry_start "$conf" "$log"
		"$BP" pg "$(PGC $dst)" "SELECT count(*) FROM ferry_snapshot WHERE done" 1 10 120 "$P/snap" "$FERRY_PID" >/dev/null ||
			{ echo "profile: ferry did not start: $(ferry_why "$log")" >&2; exit 1; }
		ferry_stop "$log"
	else
		pg_q $src "CREATE PUBLICATION bench_pub FOR TABLE bench" \
			"SELECT pg_create_logical_replication_slot('bench_sub', 'pgoutput')" >/dev/null
		pg_q $dst "CREATE SUBSCRIPTION bench_sub CONNECTION '$(PGC $src)' PUBLICATION bench_pub
			WITH (create_slot = false, slot_name = 'bench_sub')" >/dev/null
		wait_for 60 pg_q $dst "SELECT 1 FROM pg_subscription_rel WHERE srsubstate = 'r'" >/dev/null
		pg_q $dst "ALTER SUBSCRIPTION bench_sub DISABLE" >/dev/null
		wait_for 60 pg_q $dst "SELECT 1 WHERE NOT EXISTS (SELECT FROM pg_stat_subscription WHERE pid IS NOT NULL)" >/dev/null
	fi
	say "writing $ROWS rows with the applier stopped"
	"$BW" pg "$(PGC $src)" bench 1 "$ROWS" "$TXN" "$P/writer" || exit 1
	pg_q $src "CHECKPOINT" >/dev/null
	poll_start pg "$(PGC $dst)" "SELECT max(id) FROM bench" "$ROWS" "$P/poll" || exit 1
	sampler_start pg "$(PGC postgres)" "SELECT CASE WHEN backend_type = 'client backend' THEN 'client backend in ' || datname ELSE backend_type END,
		coalesce(wait_event_type || ':' || wait_event, 'CPU (' || state || ')')
		FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (application_name IN ('ferry', 'bench_sub')
		OR backend_type IN ('logical replication worker', 'walwriter', 'checkpointer', 'background writer'))" waits
	m0=$(sys_mark)
	t0=$(now_ns)
	if [ "$WHO" = ferry ]; then
		ferry_start "$conf" "$log"
		be=$(wait_for 10 pg_backend "application_name = 'ferry' AND datname = '$dst' AND backend_type = 'client backend'")
		ws=$(wait_for 10 pg_backend "application_name = 'ferry' AND backend_type = 'walsender'")
		watch_pids ferry "$FERRY_PID"
		watch_pids "target backend" "$be"
		watch_pids "source walsender" "$ws"
		perf_start "$FERRY_PID" "$be" "$ws"
	else
		pg_q $dst "ALTER SUBSCRIPTION bench_sub ENABLE" >/dev/null
		be=$(wait_for 10 pg_backend "backend_type = 'logical replication worker'")
		ws=$(wait_for 10 pg_backend "application_name = 'bench_sub' AND backend_type = 'walsender'")
		watch_pids "apply worker (target)" "$be"
		watch_pids "source walsender" "$ws"
		perf_start "$be" "$ws"
	fi
	watch_pids "walwriter" "$(pg_backend "backend_type = 'walwriter'")"
	watch_pids "checkpointer" "$(pg_backend "backend_type = 'checkpointer'")"
	poll_wait "$P/poll" || { echo "profile: the target never got the rows" >&2; exit 1; }
	t1=$POLL_T
	finish_observation "$t0" "$t1" "$m0"
	sampler_report waits "PostgreSQL wait events (ferry's target connection: client backend in $dst)"
	perf_stop_report
	if [ "$WHO" = ferry ]; then
		ferry_stop "$log"
		grep -E 'pipeline stopped' "$log" | tail -1 | sed 's/^/# ferry: /'
		pg_q $src "SELECT pg_drop_replication_slot('prof')" >/dev/null
	else
		pg_q $dst "ALTER SUBSCRIPTION bench_sub DISABLE" "ALTER SUBSCRIPTION bench_sub SET (slot_name = NONE)" \
			"DROP SUBSCRIPTION bench_sub" >/dev/null
		pg_q $src "SELECT pg_drop_replication_slot('bench_sub')" >/dev/null
	fi
}

profile_pg_snapshot() {
	local src=psrc dst=pdst conf=$BENCH_TMP/ferry.yaml log=$BENCH_TMP/ferry.log t0 t1 m0 be ws done_q
	pg_newdb $src table && pg_newdb $dst table && pg_load $src || exit 1
	sampler_start pg "$(PGC postgres)" "SELECT CASE WHEN backend_type = 'client backend' THEN 'client backend in ' || datname ELSE backend_type END,
		coalesce(wait_event_type || ':' || wait_event, 'CPU (' || state || ')')
		FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (application_name = 'ferry' OR application_name LIKE 'pg_%_sync_%'
		OR backend_type IN ('logical replication worker', 'walsender'))" waits
	m0=$(sys_mark)
	t0=$(now_ns)
	if [ "$WHO" = ferry ]; then
		ferry_conf "$conf" postgresql "$FERRY_TEST_PG_PORT" $src "$FERRY_TEST_PG_PORT" $dst prof
		ferry_start "$conf" "$log"
		be=$(wait_for 10 pg_backend "application_name = 'ferry' AND datname = '$dst' AND backend_type = 'client backend'")
		ws=$(wait_for 10 pg_backend "application_name = 'ferry' AND datname = '$src' AND backend_type = 'client backend'")
		wait_for 10 bash -c "[ \$(ls /proc/$FERRY_PID/task | wc -l) -ge 2 ] && echo up" >/dev/null
		watch_pids ferry "$FERRY_PID"
		watch_pids "target backend" "$be"
		watch_pids "source backend (copy)" "$ws"
		perf_start "$FERRY_PID" "$be" "$ws"
		done_q="SELECT count(*) FROM ferry_snapshot WHERE done"
	else
		pg_q $src "CREATE PUBLICATION bench_pub FOR TABLE bench" \
			"SELECT pg_create_logical_replication_slot('bench_sub', 'pgoutput')" >/dev/null
		pg_q $dst "CREATE SUBSCRIPTION bench_sub CONNECTION '$(PGC $src)' PUBLICATION bench_pub
			WITH (create_slot = false, slot_name = 'bench_sub')" >/dev/null
		be=$(wait_for 10 pg_backend "backend_type = 'logical replication worker' AND pid IN (SELECT pid FROM pg_stat_subscription WHERE relid IS NOT NULL)")
		ws=$(wait_for 10 pg_backend "backend_type = 'walsender' AND application_name LIKE 'pg_%_sync_%'")
		watch_pids "table sync worker (target)" "$be"
		watch_pids "source walsender (copy)" "$ws"
		perf_start "$be" "$ws"
		done_q="SELECT count(*) FROM pg_subscription_rel WHERE srsubstate IN ('f', 's', 'r')"
	fi
	"$BP" pg "$(PGC $dst)" "$done_q" 1 10 "$WAIT_S" "$P/snap" >"$P/snap.res" ||
		{ echo "profile: the copy did not finish" >&2; exit 1; }
	t1=$(awk '{ print $1 }' "$P/snap.res")
	finish_observation "$t0" "$t1" "$m0"
	sampler_report waits "PostgreSQL wait events"
	perf_stop_report
	if [ "$WHO" = ferry ]; then
		ferry_stop "$log"
		pg_q $src "SELECT pg_drop_replication_slot('prof')" >/dev/null
	else
		pg_q $dst "ALTER SUBSCRIPTION bench_sub DISABLE" "ALTER SUBSCRIPTION bench_sub SET (slot_name = NONE)" \
			"DROP SUBSCRIPTION bench_sub" >/dev/null
		pg_q $src "SELECT pg_drop_replication_slot('bench_sub')" >/dev/null
	fi
}

# ------------------------------------------------------------ MariaDB

profile_mysql() {
	local src=msrc dst=mdst conf=$BENCH_TMP/ferry.yaml log=$BENCH_TMP/ferry.log t0 t1 m0 g user
	if [ "$WHO" = peer ]; then
		dst=msrc
		user="system user"
	else
		user=ferry
	fi
	my_q "$(M_SOCK)" "CREATE DATABASE $src; USE $src; $MY_TABLE" &&
		my_q "$R_SOCKET" "CREATE DATABASE $dst; USE $dst; $MY_TABLE" || exit 1
	if [ "$WHO" = ferry ]; then
		ferry_conf "$conf" mysql "$FERRY_TEST_MY_PORT" $src "$R_PORT" $dst prof
		ferry_start "$conf" "$log"
		"$BP" my "$(MYC "$R_PORT" $dst)" "SELECT COUNT(*) FROM ferry_snapshot WHERE done" 1 10 120 "$P/snap" "$FERRY_PID" >/dev/null ||
			{ echo "profile: ferry did not start: $(ferry_why "$log")" >&2; exit 1; }
		ferry_stop "$log"
	else
		g=$(my_q "$(M_SOCK)" "SELECT @@gtid_binlog_pos")
		my_q "$R_SOCKET" "SET GLOBAL gtid_slave_pos = '$g';
			CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = $FERRY_TEST_MY_PORT,
			MASTER_USER = 'ferry', MASTER_PASSWORD = 'ferrypw', MASTER_USE_GTID = slave_pos" || exit 1
	fi
	say "writing $ROWS rows with the applier stopped"
	"$BW" my "$(MYC "$FERRY_TEST_MY_PORT" $src)" bench 1 "$ROWS" "$TXN" "$P/writer" || exit 1
	poll_start my "$(MYC "$R_PORT" $dst)" "SELECT max(id) FROM bench" "$ROWS" "$P/poll" || exit 1
	sampler_start my "$(MYC "$R_PORT" $dst)" "SELECT 'target', COMMAND, STATE FROM information_schema.PROCESSLIST
		WHERE USER = '$user' AND ID <> CONNECTION_ID()" waits
	sampler_start my "$(MYC "$FERRY_TEST_MY_PORT" $src)" "SELECT 'source', COMMAND, STATE FROM information_schema.PROCESSLIST
		WHERE COMMAND LIKE 'Binlog Dump%'" dump
	m0=$(sys_mark)
	t0=$(now_ns)
	if [ "$WHO" = ferry ]; then
		ferry_start "$conf" "$log"
		# both threads up (the reader starts after the connections)
		wait_for 10 bash -c "[ \$(ls /proc/$FERRY_PID/task | wc -l) -ge 2 ] && echo up" >/dev/null
		watch_pids ferry "$FERRY_PID"
	else
		my_q "$R_SOCKET" "START SLAVE"
	fi
	watch_pids "target mariadbd (replica)" "$(cat "$R_DATA/../mariadbd.pid")"
	watch_pids "source mariadbd (master)" "$(_my_pid)"
	# shellcheck disable=SC2046
	perf_start $([ "$WHO" = ferry ] && echo "$FERRY_PID") "$(cat "$R_DATA/../mariadbd.pid")" "$(_my_pid)"
	poll_wait "$P/poll" || { echo "profile: the target never got the rows" >&2; exit 1; }
	t1=$POLL_T
	finish_observation "$t0" "$t1" "$m0"
	sampler_report waits "MariaDB replica PROCESSLIST (user $user): command|state"
	sampler_report dump "MariaDB master PROCESSLIST (binlog dump)"
	perf_stop_report
	if [ "$WHO" = ferry ]; then
		ferry_stop "$log"
		grep -E 'pipeline stopped' "$log" | tail -1 | sed 's/^/# ferry: /'
	else
		my_q "$R_SOCKET" "STOP SLAVE"
	fi
}

# ------------------------------------------------------------ main

if [ "$PHASE" = shapes ]; then
	echo "# ferry profile: $DB; nproc $(nproc)"
else
	echo "# ferry profile: $DB $WHO, $ROWS rows, $TXN-row transactions; nproc $(nproc); build $BUILD"
fi
# shellcheck disable=SC2034  # read by cleanup in lib.sh
SERVERS=1
if [ "${DB#pg}" != "$DB" ]; then
	pg_start || exit 1
	pg_q postgres "ALTER SYSTEM SET wal_retrieve_retry_interval = '1s'" "SELECT pg_reload_conf()" >/dev/null
	case $DB in
	pg) profile_pg ;;
	pg-snapshot) profile_pg_snapshot ;;
	pg-shapes)
		pg_newdb shapes
		"$BIN/bench_pg_shapes" "$(PGC shapes)" "${FERRY_BENCH_ROWS:-200000}"
		;;
	esac
elif [ "$DB" = mysql-shapes ]; then
	# the replica's settings: no binlog, like ferry's target in run.sh
	my_start >/dev/null 2>&1 || exit 1
	replica_start || exit 1
	my_q "$R_SOCKET" "CREATE DATABASE shapes"
	"$BIN/bench_my_shapes" "$(MYC "$R_PORT" shapes)" "$(cat "$R_DATA/../mariadbd.pid")" \
		"${FERRY_BENCH_ROWS:-200000}"
else
	my_start || exit 1
	replica_start || exit 1
	profile_mysql
fi
exit 0
