#!/usr/bin/env bash
# tests/run.sh [--unit-only|--integration-only] BUILD
#
# Runs ferry's tests and ends with the line "N passed, M failed":
#   1. every BUILD/tests/unit/test_* program (no servers);
#   2. unless --unit-only: starts a throwaway PostgreSQL 15 and MariaDB once
#      (tests/servers.sh), then runs every BUILD/tests/integration/t_*
#      program and every tests/integration/t_*.sh script (one test each:
#      pass = exit 0), then stops both servers and removes the temp dir.
#
# C programs print "# <prog>: N passed, M failed" (tests/harness.c); a
# program that exits non-zero, crashes or prints no such line counts as at
# least one failure.  Tests see the FERRY_TEST_* variables of
# tests/servers.sh plus FERRY_BIN, FERRY_BUILD and FERRY_TOP; their cwd is
# the repository root and TMPDIR is inside the run's temp dir.
#
# Environment:
#   VALGRIND=1            run the C test programs under valgrind
#   FERRY_TEST_TIMEOUT    seconds per program or script (default 900)
#   HARNESS_KEEP=1        keep failed tests' temp dirs (TMPDIR left alone)
#
# Integration tests need root (PostgreSQL runs as `postgres` via runuser,
# MariaDB as root); the unit tests run as any user.  Ctrl-C / SIGTERM stop
# the running test, both servers, and remove the temp dir; a watchdog does
# the same if this script is killed with SIGKILL.

# Become a child subreaper (prctl PR_SET_CHILD_SUBREAPER, kept across exec):
# daemons that tests or pg_ctl leave behind are then re-parented to this
# script, which reaps them at once and can find them all at the end.
if [ -z "${_FERRY_RUN_REAPER:-}" ] && command -v perl >/dev/null 2>&1; then
	case $(uname -m) in
	x86_64) _nr=157 ;;
	aarch64 | arm64) _nr=167 ;;
	*) _nr= ;;
	esac
	if [ -n "$_nr" ]; then
		export _FERRY_RUN_REAPER=1
		exec perl -e "syscall($_nr, 36, 1, 0, 0, 0); exec {\$ARGV[0]} @ARGV or die \"exec: \$!\\n\"" \
			bash "$0" "$@"
	fi
fi
unset _FERRY_RUN_REAPER _nr

set -u -o pipefail

usage() {
	echo "usage: $0 [--unit-only|--integration-only] BUILD_DIR" >&2
	exit 2
}

MODE=all
case ${1:-} in
--unit-only) MODE=unit; shift ;;
--integration-only) MODE=integration; shift ;;
-*) usage ;;
esac
[ $# = 1 ] || usage
[ -d "$1" ] || { echo "run.sh: no build dir $1 (run make first)" >&2; exit 2; }

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "$1" && pwd)
cd "$TOP" || exit 2

if [ "$MODE" != unit ] && [ "$(id -u)" != 0 ]; then
	echo "run.sh: integration tests need root: they start PostgreSQL as the" \
		"postgres user (runuser) and MariaDB as root.  Run as root, or" \
		"use --unit-only (make check)." >&2
	exit 2
fi

now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

T_START=$(now)
TEST_TIMEOUT=${FERRY_TEST_TIMEOUT:-900}
PASS=0
FAIL=0
FAILED=()
CUR=           # pid of the running test's subshell
WATCHDOG=
SERVERS=0      # 1 once servers.sh was sourced and a start attempted
DONE=0

RUN_TMP=$(mktemp -d /tmp/ferry-run.XXXXXX) || exit 2
chmod 755 "$RUN_TMP"
export FERRY_TEST_TMP=$RUN_TMP
export _FERRY_RUN=$RUN_TMP  # marks this run's processes (see start_watchdog)
if [ -z "${HARNESS_KEEP:-}" ]; then
	mkdir -m 1777 "$RUN_TMP/tmp" && export TMPDIR=$RUN_TMP/tmp
fi
export FERRY_TOP=$TOP FERRY_BUILD=$BUILD FERRY_BIN=$BUILD/ferry

WRAP=()
if [ "${VALGRIND:-0}" = 1 ]; then
	command -v valgrind >/dev/null || { echo "run.sh: VALGRIND=1 but no valgrind (make deps)" >&2; exit 2; }
	WRAP=(valgrind -q --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite --show-leak-kinds=definite
		--trace-children=no)
	[ -f "$TOP/tests/valgrind.supp" ] &&
		WRAP+=(--suppressions="$TOP/tests/valgrind.supp")
fi

# ---------------------------------------------------------------- processes

# PIDs below ROOT (not ROOT), parents first; SKIP: pids whose subtrees are
# left out.  One ps snapshot; the caller's own $(...) subshell is skipped.
tree() { # ROOT [SKIP...]
	local root=$1
	shift
	ps -e -o pid= -o ppid= -o stat= | awk -v root="$root" -v skip="$* $BASHPID" '
		$3 !~ /^Z/ { kids[$2] = kids[$2] " " $1 }
		END {
			n = split(skip, s, " ")
			for (i = 1; i <= n; i++) sk[s[i]] = 1
			q[1] = root; n = 1; out = ""
			for (i = 1; i <= n; i++) {
				p = q[i]
				if (p in sk) continue
				if (p != root) out = out " " p
				m = split(kids[p], k, " ")
				for (j = 1; j <= m; j++) q[++n] = k[j]
			}
			print out
		}'
}

# the running servers and mariadbd's `setsid -w` parent: a test's process
# tree may hold a server the test restarted; servers_stop_all stops those
server_pids() {
	[ "$SERVERS" = 1 ] || return 0
	local p pp
	p=$(head -1 "${FERRY_TEST_PG_DATA:-/nonexistent}/postmaster.pid" 2>/dev/null)
	[ -n "$p" ] && echo "$p"
	p=$(_my_pid 2>/dev/null)
	if [ -n "$p" ]; then
		echo "$p"
		pp=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
		[ -n "$pp" ] && [ "$(ps -o comm= -p "$pp" 2>/dev/null)" = setsid ] && echo "$pp"
	fi
}

kill_pids() { # PIDS...: TERM, up to 3 s grace, then KILL
	local p i alive
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	for ((i = 0; i < 30; i++)); do
		alive=
		for p in "$@"; do
			[ -r "/proc/$p/stat" ] && [ "$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)" != Z ] && alive=1
		done
		[ -z "$alive" ] && return 0
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null
	return 0
}

kill_test() { # stop the running test and everything it started
	local pids
	[ -n "$CUR" ] || return 0
	# shellcheck disable=SC2046
	pids=$(tree "$CUR" $(server_pids))
	# shellcheck disable=SC2086
	kill_pids "$CUR" $pids
	wait "$CUR" 2>/dev/null
	CUR=
}

# If this script dies without cleaning up (SIGKILL), a detached watchdog
# stops the servers, then kills every process still carrying this run's
# _FERRY_RUN marker in its environment (tests, daemons they started), and
# removes the temp dir.
start_watchdog() {
	env -u _FERRY_RUN setsid bash -c '
		while [ -d "/proc/$1" ] && [ "$(sed "s/.*) //" "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]; do
			sleep 0.5
		done
		. "$2/tests/servers.sh"
		export FERRY_TEST_TMP=$3 FERRY_TEST_PG_DATA=$3/pg/data
		export FERRY_TEST_MY_CNF=$3/my/my.cnf FERRY_TEST_MY_DATA=$3/my/data
		servers_stop_all
		marked() {
			grep -lzx "_FERRY_RUN=$3" /proc/[0-9]*/environ 2>/dev/null |
				sed "s,^/proc/,,; s,/environ\$,,"
		}
		pids=$(marked "$@")
		[ -n "$pids" ] && kill -TERM $pids && sleep 1
		pids=$(marked "$@")
		[ -n "$pids" ] && kill -KILL $pids
		rm -rf "$3"' ferry-watchdog "$$" "$TOP" "$RUN_TMP" \
		</dev/null >/dev/null 2>&1 &
	WATCHDOG=$!
}

finish() { # EXIT_CODE: stop everything, print the tally, exit
	local code=$1 t leftovers
	trap '' INT TERM HUP
	DONE=1
	if [ -n "$WATCHDOG" ]; then
		# shellcheck disable=SC2046
		kill_pids "$WATCHDOG" $(tree "$WATCHDOG")
		wait "$WATCHDOG" 2>/dev/null
		WATCHDOG=
	fi
	if [ "$SERVERS" = 1 ]; then
		t=$(now)
		servers_stop_all
		echo "# servers stopped ($(since "$t")s)"
	fi
	leftovers=$(tree $$)
	if [ -n "${leftovers// /}" ]; then
		# shellcheck disable=SC2086
		t=$(ps -o pid=,args= -p "$(echo $leftovers | tr ' ' ,)" 2>/dev/null)
		[ -n "$t" ] && printf '# killing processes the tests left behind:\n%s\n' "$t" |
			sed '2,$s/^/#   /'
		# shellcheck disable=SC2086
		kill_pids $leftovers
	fi
	rm -rf "$RUN_TMP"
	if [ ${#FAILED[@]} -gt 0 ]; then
		echo "# failed: ${FAILED[*]}"
	fi
	echo "# wall time $(since "$T_START")s"
	echo "$PASS passed, $FAIL failed"
	if [ "$code" = 0 ] && [ "$FAIL" != 0 ]; then
		code=1
	fi
	exit "$code"
}

on_signal() { # NAME EXIT_CODE
	trap '' INT TERM HUP
	echo "" >&2
	echo "run.sh: SIG$1 received, stopping the test and the servers" >&2
	kill_test
	FAIL=$((FAIL + 1))
	FAILED+=("(interrupted by SIG$1)")
	finish "$2"
}

on_exit() {
	[ "$DONE" = 1 ] && return
	echo "run.sh: exiting unexpectedly" >&2
	FAIL=$((FAIL + 1))
	FAILED+=("(run.sh error)")
	finish 1
}

trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP
trap on_exit EXIT

# -------------------------------------------------------------------- tests

# run one C program (KIND=prog) or shell script (KIND=script), add its tally
run_one() { # KIND PATH
	local kind=$1 path=$2 name log t0 rc p=0 f=0 line why=
	local -a cmd
	name=${path##*/}
	log=$RUN_TMP/out.$name
	t0=$(now)
	echo "=== $name"
	if [ "$kind" = script ]; then
		cmd=(bash "$path")
	else
		cmd=(${WRAP[@]+"${WRAP[@]}"} "$path")
	fi
	# timeout (own process group) bounds the test; -k: SIGKILL 10 s later
	(
		timeout -k 10 "$TEST_TIMEOUT" "${cmd[@]}" </dev/null 2>&1 | tee "$log"
		exit "${PIPESTATUS[0]}"
	) 2>/dev/null &  # (2>: no bash "Aborted" notice; reported below)
	CUR=$!
	wait "$CUR"
	rc=$?
	CUR=
	if [ "$kind" = script ]; then
		if [ $rc = 0 ]; then p=1; else f=1; fi
	else
		line=$(grep -E '^# [^ ]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
		if [[ $line =~ :\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
			p=${BASH_REMATCH[1]}
			f=${BASH_REMATCH[2]}
		else
			why="no summary line"
		fi
		if [ $rc != 0 ] && [ "$f" = 0 ]; then f=1; fi
		if [ -z "$line" ] && [ "$f" = 0 ]; then f=1; fi
	fi
	case $rc in
	0) ;;
	124) why="${why:+$why, }timed out after ${TEST_TIMEOUT}s" ;;
	137) why="${why:+$why, }killed (SIGKILL after timeout?)" ;;
	99) [ ${#WRAP[@]} -gt 0 ] && why="${why:+$why, }valgrind reported errors" ;;
	esac
	[ $rc -gt 128 ] && [ $rc != 137 ] && why="${why:+$why, }killed by signal $((rc - 128))"
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
	if [ "$f" != 0 ]; then
		FAILED+=("$name")
		echo "--- $name: FAILED, $p passed, $f failed (exit $rc${why:+, $why}; $(since "$t0")s)"
	else
		echo "--- $name: ok, $p passed ($(since "$t0")s)"
	fi
}

# the built programs whose source still exists; a source without a program
# is a failure (not built)
run_programs() { # SRC_DIR BUILD_DIR PREFIX
	local src bin
	for src in "$1"/"$3"*.c; do
		[ -f "$src" ] || continue
		bin=$2/$(basename "$src" .c)
		if [ -x "$bin" ] && [ -f "$bin" ]; then
			run_one prog "$bin"
		else
			echo "=== $(basename "$bin")"
			echo "--- $(basename "$bin"): FAILED, not built ($bin missing; run make test-bins)"
			FAIL=$((FAIL + 1))
			FAILED+=("$(basename "$bin")")
		fi
	done
}

echo "# ferry tests: $MODE, build $BUILD${WRAP[0]:+, under valgrind}"
start_watchdog

if [ "$MODE" != integration ]; then
	run_programs "$TOP/tests/unit" "$BUILD/tests/unit" test_
fi

if [ "$MODE" != unit ]; then
	t=$(now)
	# shellcheck source=servers.sh
	. "$TOP/tests/servers.sh"
	SERVERS=1
	if servers_start_all; then
		echo "# servers up ($(since "$t")s)"
		run_programs "$TOP/tests/integration" "$BUILD/tests/integration" t_
		for s in "$TOP"/tests/integration/t_*.sh; do
			[ -f "$s" ] && run_one script "$s"
		done
	else
		echo "--- servers: FAILED to start, integration tests not run"
		FAIL=$((FAIL + 1))
		FAILED+=("(servers did not start)")
	fi
fi

finish 0
