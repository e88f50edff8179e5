-- pgbench script: random writes on t_work while ferry copies and streams.
-- Ids above the loaded range are inserted; updates mostly leave the
-- TOASTed column alone (it then arrives as "unchanged"), sometimes
-- replace it with a new 100 kB value; some transactions touch several
-- rows, some move a row to a new key.
\set id random(1, 220000)
\set r random(1, 100)
\if :r <= 30
INSERT INTO t_work (id, k, s, b, ts, n, flag)
VALUES (:id + 200000, :r, md5(random()::text), '\x00ff'::bytea, now(), :r * 1.25, true)
ON CONFLICT (id) DO NOTHING;
\elif :r <= 65
UPDATE t_work SET k = k + 1, s = md5(random()::text), ts = now() WHERE id = :id;
\elif :r <= 70
UPDATE t_work SET big = (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 3200)) WHERE id = :id;
\elif :r <= 85
DELETE FROM t_work WHERE id = :id;
\elif :r <= 90
UPDATE t_work SET id = id + 500000 WHERE id = :id
  AND NOT EXISTS (SELECT 1 FROM t_work WHERE id = :id + 500000);
\else
BEGIN;
UPDATE t_work SET k = -k WHERE id BETWEEN :id AND :id + 20;
DELETE FROM t_work WHERE id = :id + 21;
INSERT INTO t_work (id, k, s) VALUES (:id + 800000, 1, 'batch') ON CONFLICT (id) DO UPDATE SET k = t_work.k + 1;
COMMIT;
\endif
