# t_cli.sh - the ferry command line: help, version, subcommands and their
# exit codes (0 ok, 1 failed, 2 usage/config, 3 not available), config
# errors as FILE:LINE:COLUMN on stderr, the log line shape, and no password
# in any output even when a connection is refused.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

code() { # expected-code CMD...: run, capture stdout+stderr in $OUT
	local want=$1 rc=0
	shift
	OUT=$("$@" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $OUT"
}

code 0 "$FERRY_BIN" --help
for cmd in run check-config status plan verify cutover rejects; do
	assert_contains "$OUT" "  $cmd " "--help lists $cmd"
done
code 0 "$FERRY_BIN" --version
assert_contains "$OUT" "ferry " "version line"
assert_contains "$OUT" "libpq " "library versions"
code 2 "$FERRY_BIN"
code 2 "$FERRY_BIN" frobnicate
assert_contains "$OUT" 'unknown command "frobnicate"'
code 0 "$FERRY_BIN" run --help
assert_contains "$OUT" "-c, --config FILE"

pg_new_db cli_src
pg_new_db cli_dst
ferry_conf_pg "$TEST_TMP/ok.yaml" cli_src cli_dst t_cli
code 0 "$FERRY_BIN" check-config -c "$TEST_TMP/ok.yaml"
assert_contains "$OUT" "ok.yaml: ok"
# a typo: the message names file, line, column and suggests the key
sed 's/^  host:/  hots:/' "$TEST_TMP/ok.yaml" >"$TEST_TMP/bad.yaml"
code 2 "$FERRY_BIN" check-config -c "$TEST_TMP/bad.yaml"
assert_contains "$OUT" "$TEST_TMP/bad.yaml:3:3: unknown key \"hots\""
assert_contains "$OUT" 'did you mean "host"?'
code 2 "$FERRY_BIN" check-config -c "$TEST_TMP/missing.yaml"
code 2 "$FERRY_BIN" status -c "$TEST_TMP/bad.yaml"

# before any run: nothing to report, and that is fine
code 0 "$FERRY_BIN" status -c "$TEST_TMP/ok.yaml"
assert_contains "$OUT" "no state yet"
for cmd in plan cutover; do
	code 3 "$FERRY_BIN" $cmd -c "$TEST_TMP/ok.yaml"
	assert_contains "$OUT" "not implemented yet"
done
code 3 "$FERRY_BIN" rejects -c "$TEST_TMP/ok.yaml" retry
code 2 "$FERRY_BIN" rejects -c "$TEST_TMP/ok.yaml" show x

# a mapping that is not there: a configuration error
sed "s|^mapping: .*|mapping: $TEST_TMP/nope.yaml|" "$TEST_TMP/ok.yaml" >"$TEST_TMP/nomap.yaml"
code 2 "$FERRY_BIN" run -c "$TEST_TMP/nomap.yaml"
assert_contains "$OUT" "nope.yaml"

# a mapping that changed under a migration: refused unless accepted
pg_sql_db cli_src "CREATE TABLE t (id int PRIMARY KEY)"
pg_sql_db cli_dst "CREATE TABLE t (id int PRIMARY KEY)"
cp "$FERRY_TOP/mappings/identity.yaml" "$TEST_TMP/map.yaml"
sed "s|^mapping: .*|mapping: $TEST_TMP/map.yaml|" "$TEST_TMP/ok.yaml" >"$TEST_TMP/map.cfg"
FERRY_LOG=$TEST_TMP/map.log
ferry_start "$TEST_TMP/map.cfg"
wait_until 20 grep -q "streaming slot" "$FERRY_LOG"
ferry_stop
echo "# changed" >>"$TEST_TMP/map.yaml"
code 1 "$FERRY_BIN" run -c "$TEST_TMP/map.cfg"
assert_contains "$OUT" "changed since this migration started"
ferry_start "$TEST_TMP/map.cfg" --accept-mapping-change
wait_until 20 grep -q "accepting changed mapping" "$FERRY_LOG"
ferry_stop
# the option may also come first
code 0 "$FERRY_BIN" run --accept-mapping-change --help

# a refused connection: logged with its reason, retried, never with the
# password; SIGTERM ends it with 0
printf 'Sup3r-S3cret-%s\n' $$ >"$TEST_TMP/wrong.password"
chmod 600 "$TEST_TMP/wrong.password"
sed -e "s|password_file: .*|password_file: $TEST_TMP/wrong.password|" \
	-e "s|^state_dir: .*|state_dir: $TEST_TMP/state-wrong|" \
	"$TEST_TMP/ok.yaml" >"$TEST_TMP/wrong.yaml"
FERRY_LOG=$TEST_TMP/wrong.log
ferry_start "$TEST_TMP/wrong.yaml"
wait_until 20 grep -q "reconnecting in" "$FERRY_LOG"
ferry_stop
grep -q "Sup3r-S3cret" "$FERRY_LOG" && fail "the password is in the log"
assert_contains "$(cat "$FERRY_LOG")" "password authentication failed"
# every line: timestamp, level, component, message
bad=$(grep -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (ERROR|WARN |INFO |DEBUG) [a-z]+: ' "$FERRY_LOG" || true)
[ -z "$bad" ] || fail "log lines of another shape: $bad"
# log.level filters
FERRY_LOG=$TEST_TMP/quiet.log
printf 'log:\n  level: error\n' >>"$TEST_TMP/wrong.yaml"
ferry_start "$TEST_TMP/wrong.yaml"
sleep 1.5
ferry_stop
grep -q "INFO" "$FERRY_LOG" && fail "log.level error still logs INFO lines"
exit 0
