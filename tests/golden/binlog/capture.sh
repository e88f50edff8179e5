#!/usr/bin/env bash
# tests/golden/binlog/capture.sh - (re)capture the binlog golden streams
# from a real MariaDB server.  Run as root from the repository root:
#
#   bash tests/golden/binlog/capture.sh
#
# It starts a throwaway MariaDB (tests/servers.sh), runs the statements of
# each scenario below and copies the bytes those statements wrote to the
# binlog (events as they are on disk, which is what the replication
# protocol sends, back to back) into tests/golden/binlog/NAME.bin, and
# the name of the binlog file they start in into NAME.start.  The
# matching NAME.expected files are written by the unit test:
#
#   FERRY_GOLDEN_UPDATE=1 build/rel/tests/unit/test_binlog golden
#
# and must then be reviewed by hand (git diff) before they are committed.
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$OUT/../../.." && pwd)
export FERRY_TEST_TMP=${FERRY_TEST_TMP:-$(mktemp -d /tmp/ferry-golden.XXXXXX)}
# shellcheck source=../../servers.sh
. "$TOP/tests/servers.sh"
my_start
trap 'my_stop; rm -rf "$FERRY_TEST_TMP"' EXIT

sql() { mariadb --no-defaults --default-character-set=utf8mb4 --socket="$FERRY_TEST_MY_SOCKET" -uroot -N "$@"; }
master_pos() { sql -e "SHOW MASTER STATUS" | awk '{print $1, $2}'; }

# capture NAME: the events written by the SQL on stdin, starting with the
# current file's FORMAT_DESCRIPTION so the stream can be decoded alone
capture() {
	local name=$1 file pos end_file end_pos dir
	dir=$(dirname "$(sql -e "SELECT @@log_bin_basename")")
	sql -e "FLUSH BINARY LOGS"
	read -r file pos < <(master_pos)
	sql ferrydb
	read -r end_file end_pos < <(master_pos)
	if [ "$file" = "$end_file" ]; then
		tail -c +5 "$dir/$file" | head -c $((end_pos - 4)) >"$OUT/$name.bin"
	else
		# the scenario rotated: whole first file, then the next one
		tail -c +5 "$dir/$file" >"$OUT/$name.bin"
		tail -c +5 "$dir/$end_file" | head -c $((end_pos - 4)) >>"$OUT/$name.bin"
	fi
	echo "$file" >"$OUT/$name.start"
	echo "captured $name: $(stat -c %s "$OUT/$name.bin") bytes ($file:4 .. $end_file:$end_pos)"
}

big_enum=$(for i in $(seq 1 300); do printf "'m%03d'," "$i"; done)
big_enum=${big_enum%,}

# 1. one column of each type, edge values, update/delete, a multi-row
#    statement, TRUNCATE, then an ALTER (the decoder must stop there)
capture all_types <<EOF
SET sql_mode = '';
SET time_zone = '+00:00';
CREATE TABLE all_types (
  id INT PRIMARY KEY,
  c_tiny TINYINT, c_utiny TINYINT UNSIGNED,
  c_small SMALLINT, c_usmall SMALLINT UNSIGNED,
  c_med MEDIUMINT, c_umed MEDIUMINT UNSIGNED,
  c_int INT, c_uint INT UNSIGNED,
  c_big BIGINT, c_ubig BIGINT UNSIGNED,
  c_float FLOAT, c_double DOUBLE,
  c_dec DECIMAL(65,30), c_dec2 DECIMAL(10,2), c_dec0 DECIMAL(18,0),
  c_udec DECIMAL(5,5) UNSIGNED,
  c_date DATE, c_dt0 DATETIME, c_dt3 DATETIME(3), c_dt6 DATETIME(6),
  c_ts TIMESTAMP NULL, c_ts6 TIMESTAMP(6) NULL,
  c_t0 TIME, c_t1 TIME(1), c_t4 TIME(4), c_t6 TIME(6), c_year YEAR,
  c_char CHAR(10), c_char_big CHAR(100), c_varchar VARCHAR(300),
  c_vc_small VARCHAR(10), c_binary BINARY(6), c_varbinary VARBINARY(20),
  c_tinytext TINYTEXT, c_text TEXT, c_mediumtext MEDIUMTEXT,
  c_longtext LONGTEXT, c_tinyblob TINYBLOB, c_blob BLOB,
  c_mediumblob MEDIUMBLOB, c_longblob LONGBLOB,
  c_enum ENUM('red','green','blue'), c_set SET('a','b','c','d'),
  c_bit1 BIT(1), c_bit10 BIT(10), c_bit64 BIT(64),
  c_json JSON, c_geom GEOMETRY,
  c_latin1 VARCHAR(20) CHARACTER SET latin1,
  c_big_enum ENUM($big_enum)
);
CREATE TABLE other (id INT PRIMARY KEY, v VARCHAR(10));
INSERT INTO other VALUES (1, 'x');
INSERT INTO all_types (id) VALUES (1);
INSERT INTO all_types VALUES (2,
  -128, 0, -32768, 0, -8388608, 0, -2147483648, 0,
  -9223372036854775808, 0, -3.4028234e38, -1.7976931348623157e308,
  '-99999999999999999999999999999999999.999999999999999999999999999999',
  -99999999.99, -999999999999999999, 0.00000,
  '1000-01-01', '1000-01-01 00:00:00', '1000-01-01 00:00:00.000',
  '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01',
  '1970-01-01 00:00:01.000000', '-838:59:59', '-838:59:59.0',
  '-838:59:59.0000', '-838:59:59.000000', 1901,
  '', '', '', '', '', '', '', '', '', '', '', '', '', '',
  'red', '', b'0', b'0', b'0', '[]', ST_GeomFromText('POINT(0 0)'), '',
  'm001');
INSERT INTO all_types VALUES (3,
  127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
  9223372036854775807, 18446744073709551615, 3.4028234e38,
  1.7976931348623157e308,
  '99999999999999999999999999999999999.999999999999999999999999999999',
  99999999.99, 999999999999999999, 0.99999,
  '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999',
  '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07',
  '2038-01-19 03:14:07.999999', '838:59:59', '838:59:59.0',
  '838:59:59.0000', '838:59:59.000000', 2155,
  'abcé', REPEAT('é', 100), CONCAT(REPEAT('x', 299), 'ü'),
  '😀x', 0x000102, 0x00ff00ff,
  'tiny 😀', 'text', 'medium', REPEAT('long', 1000), 0x00, 0xff,
  0xfeff, REPEAT(0xab, 70000),
  'blue', 'a,b,c,d', b'1', b'1111111111', 0xffffffffffffffff,
  '{"k": [1, 2.5, "x\\\\"y"], "n": null, "u": "😀"}',
  ST_GeomFromText('LINESTRING(0 0, 1 1.5)'), 'café €',
  'm300');
INSERT INTO all_types (id, c_dt3, c_dt6, c_ts6, c_t1, c_t4, c_t6,
  c_float, c_double, c_dec2, c_dec, c_char, c_binary, c_bit10)
VALUES (4, '2026-11-21 22:41:03.120', '2026-11-21 22:41:03.000001',
  '2026-11-21 22:41:03.5', '-00:00:01.5', '12:34:56.0001',
  '-00:00:00.000001', 0.1, 0.1, -0.50, -1, 'pad  ', 0x41, b'1000000001');
INSERT INTO all_types (id, c_date, c_dt0, c_dt6, c_ts, c_year, c_float,
  c_double, c_dec2, c_enum, c_set)
VALUES (5, '0000-00-00', '0000-00-00 00:00:00',
  '0000-00-00 00:00:00.000000', 0, 0, 1e-10, 123456.7, 0, 'green', 'b,d');
INSERT INTO all_types (id, c_float, c_double, c_int)
VALUES (6, 100, 1e20, 42), (7, 1.5e-7, -0.0, -42), (8, 16777217, 5e-324, 0);
UPDATE all_types SET c_int = c_int + 1, c_varchar = 'updated' WHERE id IN (6, 7);
DELETE FROM all_types WHERE id = 8;
BEGIN;
UPDATE other SET v = 'y' WHERE id = 1;
INSERT INTO all_types (id, c_text) SELECT seq, CONCAT('row ', seq) FROM seq_100_to_160;
COMMIT;
TRUNCATE TABLE other;
ALTER TABLE all_types ADD COLUMN c_new INT;
INSERT INTO all_types (id, c_new) VALUES (999, 1);
EOF

# 2. binlog_row_metadata=MINIMAL and NO_LOG: names, keys, unsigned,
#    ENUM/SET members (and charsets for NO_LOG) from the columns hook
for meta in MINIMAL NO_LOG; do
	sql -e "SET GLOBAL binlog_row_metadata = $meta"
	capture "metadata_${meta,,}" <<'EOF'
CREATE TABLE IF NOT EXISTS meta_t (
  id INT UNSIGNED PRIMARY KEY, y YEAR, name VARCHAR(10), e ENUM('x','y'),
  s SET('p','q'), n TINYINT UNSIGNED, b VARBINARY(4),
  l VARCHAR(8) CHARACTER SET latin1);
DELETE FROM meta_t;
INSERT INTO meta_t VALUES (4294967295, 2024, 'näme', 'y', 'p,q', 200, 0x00ff, '€');
UPDATE meta_t SET n = 255, e = 'x' WHERE id = 4294967295;
EOF
done
sql -e "SET GLOBAL binlog_row_metadata = FULL"

# 3. a rotation in the middle of a stream, and a server without checksums
sql -e "SET GLOBAL binlog_checksum = NONE"
capture rotate_nocrc <<'EOF'
CREATE TABLE rot (id INT PRIMARY KEY, v INT);
INSERT INTO rot VALUES (1, 1);
FLUSH BINARY LOGS;
INSERT INTO rot VALUES (2, 2);
EOF
sql -e "SET GLOBAL binlog_checksum = CRC32"
