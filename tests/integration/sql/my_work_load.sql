-- 200,000 rows into t_work (my_work_table.sql), one transaction.
INSERT INTO t_work
SELECT seq, seq % 1000, REPEAT(MD5(seq), 4),
       IF(seq % 1000 = 0, REPEAT(MD5(seq), 3200), NULL),
       UNHEX(MD5(seq)),
       TIMESTAMPADD(MICROSECOND, seq * 1000001, '2026-01-01 00:00:00'),
       seq * 1.5, seq % 2 = 0,
       JSON_OBJECT('g', seq, 'tag', CONCAT('row ', seq))
  FROM seq_1_to_200000;
