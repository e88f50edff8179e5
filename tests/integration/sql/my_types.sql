-- my_types.sql: tables with one column of every MariaDB type ferry reads
-- (t_my_types.sh creates them on the source and the target alike).
CREATE TABLE t_types (
	id int PRIMARY KEY,
	ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned,
	mi mediumint, miu mediumint unsigned, i int, iu int unsigned,
	bi bigint, biu bigint unsigned,
	vc varchar(100) CHARACTER SET utf8mb4, ch char(10) CHARACTER SET utf8mb4,
	vc3 varchar(50) CHARACTER SET utf8mb3, ch3 char(5) CHARACTER SET utf8mb3,
	vl varchar(50) CHARACTER SET latin1, chl char(8) CHARACTER SET latin1,
	va varchar(20) CHARACTER SET ascii,
	vbin varbinary(20), bin binary(4),
	tt tinytext, tx text, mt mediumtext, lt longtext,
	tb tinyblob, bl blob, mb mediumblob, lb longblob,
	d date, dt0 datetime, dt1 datetime(1), dt2 datetime(2), dt3 datetime(3),
	dt4 datetime(4), dt5 datetime(5), dt6 datetime(6),
	ts0 timestamp NULL, ts1 timestamp(1) NULL, ts3 timestamp(3) NULL,
	ts6 timestamp(6) NULL,
	t0 time, t1 time(1), t2 time(2), t3 time(3), t4 time(4), t5 time(5),
	t6 time(6),
	y year,
	de decimal(10, 0), de2 decimal(5, 2), de30 decimal(30, 10),
	de65 decimal(65, 30), deu decimal(8, 3) unsigned,
	f float, db double,
	en enum('a', 'ü', 'x y'), st set('r', 'w', 'x', '😀'),
	b1 bit(1), b8 bit(8), b13 bit(13), b64 bit(64),
	j json
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- a composite key of awkward types: the copy resumes after it chunk by
-- chunk, the writer deletes and moves rows by it
CREATE TABLE t_keys (
	biu bigint unsigned,
	vc varchar(40) CHARACTER SET utf8mb4,
	d date,
	bin binary(4),
	dt datetime(6),
	v int,
	PRIMARY KEY (biu, vc, d, bin, dt)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
