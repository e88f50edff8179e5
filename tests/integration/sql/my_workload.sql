-- my_workload.sql: work(seconds), random writes on t_work while ferry
-- copies and streams, the twin of pg_workload.sql.  One operation every
-- millisecond or so: ids above the loaded range are inserted; updates
-- change small columns, sometimes the 100 kB one; rows are deleted; some
-- move to a new key; some transactions touch several rows.
DROP PROCEDURE IF EXISTS work;
DELIMITER //
CREATE PROCEDURE work(secs double)
BEGIN
	DECLARE deadline datetime(6) DEFAULT NOW(6) + INTERVAL secs * 1000000 MICROSECOND;
	DECLARE id, r bigint;
	WHILE NOW(6) < deadline DO
		SET id = FLOOR(1 + RAND() * 220000), r = FLOOR(1 + RAND() * 100);
		IF r <= 30 THEN
			INSERT IGNORE INTO t_work (id, k, s, b, ts, n, flag, j)
			VALUES (id + 200000, r, MD5(RAND()), X'00ff', NOW(6), r * 1.25, 1,
				JSON_OBJECT('g', id, 'tag', 'new'));
		ELSEIF r <= 65 THEN
			UPDATE t_work SET k = k + 1, s = MD5(RAND()), ts = NOW(6),
				n = n + 0.5, j = JSON_OBJECT('g', k, 'tag', 'upd')
			 WHERE t_work.id = id;
		ELSEIF r <= 70 THEN
			UPDATE t_work SET big = REPEAT(MD5(RAND()), 3200) WHERE t_work.id = id;
		ELSEIF r <= 85 THEN
			DELETE FROM t_work WHERE t_work.id = id;
		ELSEIF r <= 90 THEN
			UPDATE IGNORE t_work SET t_work.id = t_work.id + 500000 WHERE t_work.id = id;
		ELSE
			START TRANSACTION;
			UPDATE t_work SET k = -k WHERE t_work.id BETWEEN id AND id + 20;
			DELETE FROM t_work WHERE t_work.id = id + 21;
			INSERT INTO t_work (id, k, s) VALUES (id + 800000, 1, 'batch')
				ON DUPLICATE KEY UPDATE k = t_work.k + 1;
			COMMIT;
		END IF;
		DO SLEEP(0.001);
	END WHILE;
END //
DELIMITER ;
