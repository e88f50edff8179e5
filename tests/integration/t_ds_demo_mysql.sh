# t_ds_demo_mysql.sh - the README's live demo, small, from MariaDB to
# MariaDB (DolphinScheduler 1.3 installations run on MySQL far more often
# than on PostgreSQL; t_ds_generated covers PostgreSQL): a generated 1.3.9
# database migrates live into the real 3.2.2 MySQL schema while the 1.3
# side keeps being edited, and `ferry verify` passes.  3.2's MySQL schema
# differs from its PostgreSQL one where it matters: task and process
# definitions are keyed by (id, code), and process instances lack
# process_instance_json.  The demo starts and stops servers of its own.
. "$FERRY_TOP/tests/integration/lib.sh"

# the demo's servers are its own: none of this run's server variables
unset_vars=$(compgen -e | grep '^FERRY_TEST_' || true)
# shellcheck disable=SC2086
unset $unset_vars
export FERRY_TEST_TMP=$TEST_TMP/demo
mkdir -p "$FERRY_TEST_TMP"
# a failed demo keeps its servers for a look: not here
on_exit "pkill -KILL -f '$FERRY_TEST_TMP/' 2>/dev/null"
code=0
DEMO_SOURCE=mysql DEMO_TARGET=mysql DEMO_SECONDS=15 DEMO_WORKFLOWS=200 \
	DEMO_PROJECTS=3 DEMO_RATE=30 \
	bash "$FERRY_TOP/tests/demo/run.sh" "${FERRY_BUILD#"$FERRY_TOP"/}" \
	>"$TEST_TMP/demo.log" 2>&1 || code=$?
grep -E '^(summary|demo)' "$TEST_TMP/demo.log" | sed "s/^/# $TEST_NAME: /" || true
if [ "$code" != 0 ]; then
	tail -40 "$TEST_TMP/demo.log" >&2
	fail "the demo (MariaDB -> MariaDB) exited $code"
fi
assert_contains "$(cat "$TEST_TMP/demo.log")" "summary: 0 mismatches" "verify"
say "live DolphinScheduler migration MariaDB -> MariaDB verified"
