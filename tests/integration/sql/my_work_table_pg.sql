-- t_work of my_work_table.sql as a PostgreSQL target table (MariaDB ->
-- PostgreSQL tests): the same columns in PostgreSQL's types.
CREATE TABLE t_work (
	id bigint PRIMARY KEY,
	k int,
	s text,
	big text,
	b bytea,
	ts timestamp(6),
	n numeric(14, 3),
	flag boolean,
	j jsonb
);
