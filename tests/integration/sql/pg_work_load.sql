INSERT INTO t_work
SELECT g, g % 1000, repeat(md5(g::text), 8),
       CASE WHEN g % 1000 = 0 THEN
            (SELECT string_agg(md5(g::text || x::text), '') FROM generate_series(1, 3200) x)
       END,
       decode(md5(g::text), 'hex'), '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 second',
       g * 1.5, g % 2 = 0, jsonb_build_object('g', g, 'tag', 'row ' || g)
  FROM generate_series(1, 200000) g;
