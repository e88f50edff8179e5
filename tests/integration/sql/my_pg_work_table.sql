-- t_work of pg_work_table.sql as a MariaDB target table (PostgreSQL ->
-- MariaDB tests): the same columns in MariaDB's types; timestamptz lands
-- in UTC.
CREATE TABLE t_work (
	id bigint PRIMARY KEY,
	k int,
	s text,
	big longtext,
	b blob,
	ts datetime(6),
	n decimal(14, 3),
	flag boolean,
	j json
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
