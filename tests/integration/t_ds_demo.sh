# t_ds_demo.sh - the README's live demo, small, in the three directions
# that involve MariaDB (DolphinScheduler 1.3 installations run on MySQL
# far more often than on PostgreSQL; t_ds_generated covers PostgreSQL ->
# PostgreSQL at a larger size): a generated 1.3.9 database migrates live
# into the real 3.2.2 schema while the 1.3 side keeps being edited, and
# `ferry verify` passes.  3.2's MySQL schema differs from its PostgreSQL
# one where it matters: task and process definitions are keyed by
# (id, code), and process instances lack process_instance_json.  Each demo
# starts and stops servers of its own.
. "$FERRY_TOP/tests/integration/lib.sh"

# the demo's servers are its own: none of this run's server variables
unset_vars=$(compgen -e | grep '^FERRY_TEST_' || true)
# shellcheck disable=SC2086
unset $unset_vars

demo() { # SOURCE TARGET
	local dir code=0
	# under /tmp, reachable by the postgres user (TEST_TMP is not)
	dir=$(mktemp -d /tmp/ferry-tdemo.XXXXXX)
	chmod 755 "$dir"
	# a failed demo keeps its servers for a look: not here
	on_exit "pkill -KILL -f '$dir/' 2>/dev/null; rm -rf '$dir'"
	FERRY_TEST_TMP=$dir DEMO_SOURCE=$1 DEMO_TARGET=$2 DEMO_SECONDS=15 \
		DEMO_WORKFLOWS=200 DEMO_PROJECTS=3 DEMO_RATE=30 \
		bash "$FERRY_TOP/tests/demo/run.sh" "${FERRY_BUILD#"$FERRY_TOP"/}" \
		>"$TEST_TMP/demo-$1-$2.log" 2>&1 || code=$?
	grep -E '^summary' "$TEST_TMP/demo-$1-$2.log" | sed "s/^/# $TEST_NAME: $1 -> $2: /" || true
	if [ "$code" != 0 ]; then
		tail -40 "$TEST_TMP/demo-$1-$2.log" >&2
		fail "the demo $1 -> $2 exited $code"
	fi
	assert_contains "$(cat "$TEST_TMP/demo-$1-$2.log")" "summary: 0 mismatches" "verify $1 -> $2"
}

demo mysql mysql
demo postgresql mysql
demo mysql postgresql
say "live DolphinScheduler migrations verified: MariaDB -> MariaDB, PostgreSQL -> MariaDB, MariaDB -> PostgreSQL"
