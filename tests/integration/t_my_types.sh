# t_my_types.sh - every MariaDB column type round-trips exactly, MariaDB
# -> MariaDB through `ferry run`: t_types (sql/my_types.sql) has one
# column of each type (integers signed and unsigned at their limits,
# CHAR/VARCHAR in utf8mb4 with 4-byte characters, utf8mb3, latin1 and
# ascii, binary strings, TEXT and BLOB of every size, DATE, DATETIME,
# TIMESTAMP and TIME with 0-6 fractional digits, YEAR, DECIMAL up to 65
# digits, FLOAT, DOUBLE, ENUM, SET, BIT, JSON), rows of minimum and
# maximum values, NULLs, fractions and odd text, and zero dates.  The
# same rows come once through the snapshot and once through the stream
# (inserted, then updated into each other's values); t_keys has a
# composite key of awkward types that the copy resumes after in chunks of
# two rows and the stream deletes and moves rows by.  Source and target
# end with identical bytes in every column (hex digest per column) and
# identical FLOAT/DOUBLE values.  Two rounds: the target written with SQL
# text (runs shorter than batch.bulk_min_rows), then with every upsert
# run by array binding (bulk_min_rows: 1), each value bound as text.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SQL=$FERRY_TOP/tests/integration/sql

types_round() { # HOW BULK_MIN_ROWS SRC DST SERVER_ID
	local HOW=$1 BULK=$2 SRC=$3 DST=$4 SID=$5
	FERRY_LOG=$TEST_TMP/ferry-$SID.log
	KEYS="biu, vc, d, bin, dt"
	my_new_db $SRC
	my_new_db $DST
	my_sql_db $SRC <"$SQL/my_types.sql"
	my_sql_db $DST <"$SQL/my_types.sql"
	rows() { # BASE: the rows of my_types_rows.sql with ids from BASE + 1
		{
			echo "SET SESSION sql_mode = '', time_zone = '+00:00', @base = $1;"
			cat "$SQL/my_types_rows.sql"
		} | my_sql_db $SRC
	}
	rows 0
	assert_eq "5|9" "$(my_sql_db $SRC "SELECT CONCAT((SELECT COUNT(*) FROM t_types), '|', (SELECT COUNT(*) FROM t_keys))")" \
		"source rows"
	# the source kept every value as written (no warning truncated one)
	assert_eq "2155|18446744073709551615|😀😀😀😀😀😀😀😀😀😀|0000-00-00" \
		"$(my_sql_db $SRC "SELECT CONCAT_WS('|', (SELECT y FROM t_types WHERE id = 2), (SELECT biu FROM t_types WHERE id = 2), (SELECT ch FROM t_types WHERE id = 2), (SELECT d FROM t_types WHERE id = 5))")" \
		"source values"

	# chunks of two rows: the copy resumes after composite keys
	ferry_conf_my "$TEST_TMP/ferry-$SID.yaml" $SRC $DST $SID "batch:
  max_rows: 2
  bulk_min_rows: $BULK"
	ferry_start "$TEST_TMP/ferry-$SID.yaml"
	wait_until 60 grep -q "streaming server_id" "$FERRY_LOG"
	same() { # TABLE [ORDER]
		wait_same_cmd 60 "$DST.$1" "my_digest $SRC $1 '${2:-id}'" \
			"my_digest $DST $1 '${2:-id}'"
	}
	same t_types
	same t_keys "$KEYS"
	say "$HOW: snapshot rows identical"

	# the same rows through the stream, then updated into each other's values
	rows 100
	names=$(my_sql_db $SRC "SELECT GROUP_CONCAT(CONCAT('\`', COLUMN_NAME, '\`') ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$SRC' AND TABLE_NAME = 't_types' AND COLUMN_NAME <> 'id'")
	sets=$(my_sql_db $SRC "SELECT GROUP_CONCAT(CONCAT('a.\`', COLUMN_NAME, '\` = b.\`', COLUMN_NAME, '\`') ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$SRC' AND TABLE_NAME = 't_types' AND COLUMN_NAME <> 'id'")
	# 201..205 copy 101..105, then each takes the values of the next one
	# (every column changes, NULLs to values and back); 205 moves to 305
	my_sql_db $SRC <<-SQL
	SET SESSION sql_mode = '', time_zone = '+00:00';
	INSERT INTO t_types SELECT id + 100, $names FROM t_types WHERE id BETWEEN 101 AND 105;
	UPDATE t_types a JOIN t_types b ON b.id = 101 + MOD(a.id - 200, 5)
	   SET $sets WHERE a.id BETWEEN 201 AND 205;
	UPDATE t_types SET id = 305 WHERE id = 205;
	DELETE FROM t_keys WHERE v = 3;
	UPDATE t_keys SET vc = 'moved 😀' WHERE v = 6;
	UPDATE t_keys SET bin = X'0000FFFF', dt = '2024-01-01 00:00:00.5' WHERE v = 1;
	SQL
	same t_types
	same t_keys "$KEYS"
	assert_eq "15|16" "$(my_sql_db $DST "SELECT CONCAT((SELECT COUNT(*) FROM t_types), '|', (SELECT COUNT(*) FROM t_keys))")" \
		"target rows"
	# FLOAT and DOUBLE compare as numbers too (their text hides low bits)
	assert_eq "15" "$(my_sql_db $SRC "SELECT COUNT(*) FROM $SRC.t_types a JOIN $DST.t_types b USING (id) WHERE a.f <=> b.f AND a.db <=> b.db AND a.j <=> b.j")" \
		"float, double and json values"
	say "$HOW: streamed rows identical: $(my_digest $DST t_types)"
	ferry_stop
}

types_round "SQL text" 0 s_mytypes d_mytypes 4305
types_round "array binding" 1 s_mytypes2 d_mytypes2 4306
