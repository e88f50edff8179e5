# t_wider_key.sh - a target keyed wider than its source (3.2's MySQL
# schema keys task definitions by (id, code) where the 1.3 rows and
# ferry's split know them by id): a PostgreSQL DELETE, whose old image
# carries only the source's key, still deletes the row, on a PostgreSQL
# and on a MariaDB target; inserts and updates land as usual.
. "$FERRY_TOP/tests/integration/lib.sh"
. "$FERRY_TOP/tests/integration/ferry_lib.sh"

SRC=s_wide
pg_new_db $SRC
pg_sql_db $SRC "CREATE TABLE t (id int PRIMARY KEY, code bigint NOT NULL, name text)"
pg_sql_db $SRC "INSERT INTO t SELECT g, 1000 + g, 'n' || g FROM generate_series(1, 20) g"

round() { # DRIVER DST SLOT FIRST: deletes FIRST, FIRST+1, updates FIRST+2
	local drv=$1 dst=$2 slot=$3 a=$4 got want
	# 2 deleted, 1 inserted
	want=$(($(pg_sql_db $SRC "SELECT count(*) FROM t") - 1)):gone:x
	if [ "$drv" = postgresql ]; then
		pg_new_db "$dst"
		pg_sql_db "$dst" "CREATE TABLE t (id int, code bigint, name text, PRIMARY KEY (id, code))"
		ferry_conf_pg "$TEST_TMP/$slot.yaml" $SRC "$dst" "$slot"
	else
		my_new_db "$dst"
		my_sql_db "$dst" "CREATE TABLE t (id int, code bigint, name text, PRIMARY KEY (id, code))"
		ferry_conf_pg_my "$TEST_TMP/$slot.yaml" $SRC "$dst" "$slot"
	fi
	FERRY_LOG=$TEST_TMP/$slot.log
	ferry_start "$TEST_TMP/$slot.yaml"
	wait_until 30 grep -q "streaming slot" "$FERRY_LOG"
	pg_sql_db $SRC "DELETE FROM t WHERE id IN ($a, $((a + 1))); UPDATE t SET name = 'x' WHERE id = $((a + 2)); INSERT INTO t VALUES ($((a + 90)), 1, 'last')"
	count() {
		if [ "$drv" = postgresql ]; then
			pg_sql_db "$dst" "SELECT count(*) FROM t WHERE id = $((a + 90))"
		else
			my_sql_db "$dst" "SELECT COUNT(*) FROM t WHERE id = $((a + 90))"
		fi
	}
	arrived() { [ "$(count)" = 1 ]; }
	wait_until 30 arrived
	ferry_alive
	ferry_stop
	if [ "$drv" = postgresql ]; then
		got=$(pg_sql_db "$dst" "SELECT count(*) || ':' || coalesce(string_agg(id::text, ',' ORDER BY id) FILTER (WHERE id IN ($a, $((a + 1)))), 'gone') || ':' || max(name) FILTER (WHERE id = $((a + 2))) FROM t")
	else
		got=$(my_sql_db "$dst" "SELECT CONCAT(COUNT(*), ':', IFNULL(GROUP_CONCAT(CASE WHEN id IN ($a, $((a + 1))) THEN id END), 'gone'), ':', MAX(CASE WHEN id = $((a + 2)) THEN name END)) FROM t")
	fi
	assert_eq "$want" "$got" "rows on the $drv target: count, deleted ones, updated one"
}

round postgresql d_wide_pg t_wide_pg 3
round mysql d_wide_my t_wide_my 6
say "deletes by the source's key reach targets keyed wider, PostgreSQL and MariaDB"
