-- t_work: the table of the PostgreSQL snapshot/stream/crash tests.
-- 200,000 rows of ~300 bytes; every 1000th row carries a 100 kB value
-- that does not compress (so PostgreSQL keeps it TOASTed out of line).
CREATE TABLE t_work (
	id bigint PRIMARY KEY,
	k int,
	s text,
	big text,
	b bytea,
	ts timestamptz,
	n numeric(14, 3),
	flag boolean,
	j jsonb
);
