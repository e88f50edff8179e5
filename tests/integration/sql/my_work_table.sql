-- t_work: the table of the MariaDB snapshot/stream/crash tests, the twin
-- of pg_work_table.sql.  200,000 rows of ~300 bytes (my_work_load.sql);
-- every 1000th row carries a 100 kB MEDIUMTEXT value.
CREATE TABLE t_work (
	id bigint PRIMARY KEY,
	k int,
	s varchar(255),
	big mediumtext,
	b blob,
	ts datetime(6),
	n decimal(14, 3),
	flag boolean,
	j json
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
