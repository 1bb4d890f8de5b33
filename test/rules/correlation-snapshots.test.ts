/**
 * The exact SQL of the correlation types and forms added after the first four: value_sum,
 * value_avg, value_percentile, and a correlation over another correlation's findings (alone, and
 * beside a base rule). Values are bound parameters; fields and keywords are keytrail's text.
 */
import { describe, expect, it } from 'vitest';
import { type BaseRef, compileCorrelation } from '../../src/rules/compile-correlation.js';
import { SigmaCorrelation } from '../../src/rules/schema.js';
import type { Sql } from '../../src/store/sql.js';

const built = (fragment: Sql) => {
  const { text, params } = fragment.build();
  return { text, params: params.map((p) => (p.kind === 'value' ? p.value : { list: p.values, element: p.element })) };
};

/** A correlation over rules named r0, r1, ...; `inner` gives the group-by of those that are correlations. */
const correlation = (c: Record<string, unknown>, inner: Record<string, string[]> = {}) => {
  const rule = SigmaCorrelation.parse({ title: 'c', correlation: c });
  const bases: BaseRef[] = rule.correlation.rules.map((name) => (inner[name] ? { names: [name], groupBy: inner[name] } : { names: [name] }));
  return built(compileCorrelation(rule, bases).query);
};

describe('correlation: value types', () => {
  it('value_sum of a JSON path, as a number', () => {
    expect(
      correlation({
        type: 'value_sum',
        rules: ['r0'],
        'group-by': ['userIdentity.arn'],
        timespan: '15m',
        condition: { field: 'additionalEventData.bytesTransferredOut', gte: 10000 },
      }),
    ).toMatchInlineSnapshot(`
      {
        "params": [
          "/bytesTransferredOut",
          900,
          900,
          10000,
        ],
        "text": "WITH m AS (
          SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid, CASE i.r WHEN 0 THEN "userIdentity"."arn" END AS g_0, TRY_CAST(CASE i.r WHEN 0 THEN json_extract_string("additionalEventData", $1) END AS DOUBLE) AS v
          FROM corr_input i JOIN events e ON e.rowid = i.rid
          WHERE g_0 IS NOT NULL AND v IS NOT NULL),
          w AS (SELECT *, sum(v) OVER (PARTITION BY g_0 ORDER BY t RANGE BETWEEN CURRENT ROW AND to_seconds($2) FOLLOWING) AS n FROM (SELECT DISTINCT rid, t, eid, g_0, v FROM m)),
          -- A satisfying window runs from its event to the end of the timespan; one that starts inside
          -- another shares that event with it, so they merge: one finding per burst.
          s AS (SELECT g_0, t AS ws, t + to_seconds($3) AS we FROM w WHERE n >= $4),
          s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (PARTITION BY g_0 ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
          s3 AS (SELECT *, sum(brk) OVER (PARTITION BY g_0 ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
          c AS (SELECT g_0, cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
          SELECT c.g_0, list(m.eid ORDER BY m.t, m.eid) AS event_ids, count(DISTINCT m.rid) AS n,
                 list_transform(list(DISTINCT m.v ORDER BY m.v), x -> CASE WHEN x = trunc(x) AND abs(x) < 1e15 THEN CAST(CAST(x AS BIGINT) AS VARCHAR) ELSE CAST(x AS VARCHAR) END) AS vals, sum(m.v) AS val,
                 min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
          FROM c JOIN (SELECT DISTINCT rid, t, eid, g_0, v FROM m) m ON m.g_0 = c.g_0 AND m.t BETWEEN c.cs AND c.ce
          GROUP BY c.g_0, c.cl ORDER BY first_t, event_ids",
      }
    `);
  });

  it('value_avg with a range', () => {
    expect(
      correlation({ type: 'value_avg', rules: ['r0'], timespan: '1h', condition: { field: 'requestParameters.maxResults', gt: 1.5, lte: 100 } }),
    ).toMatchInlineSnapshot(`
      {
        "params": [
          "/maxResults",
          3600,
          3600,
          1.5,
          100,
        ],
        "text": "WITH m AS (
          SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid, TRY_CAST(CASE i.r WHEN 0 THEN json_extract_string("requestParameters", $1) END AS DOUBLE) AS v
          FROM corr_input i JOIN events e ON e.rowid = i.rid
          WHERE v IS NOT NULL),
          w AS (SELECT *, avg(v) OVER (ORDER BY t RANGE BETWEEN CURRENT ROW AND to_seconds($2) FOLLOWING) AS n FROM (SELECT DISTINCT rid, t, eid, v FROM m)),
          -- A satisfying window runs from its event to the end of the timespan; one that starts inside
          -- another shares that event with it, so they merge: one finding per burst.
          s AS (SELECT t AS ws, t + to_seconds($3) AS we FROM w WHERE n > $4 AND n <= $5),
          s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
          s3 AS (SELECT *, sum(brk) OVER (ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
          c AS (SELECT cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
          SELECT list(m.eid ORDER BY m.t, m.eid) AS event_ids, count(DISTINCT m.rid) AS n,
                 list_transform(list(DISTINCT m.v ORDER BY m.v), x -> CASE WHEN x = trunc(x) AND abs(x) < 1e15 THEN CAST(CAST(x AS BIGINT) AS VARCHAR) ELSE CAST(x AS VARCHAR) END) AS vals, avg(m.v) AS val,
                 min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
          FROM c JOIN (SELECT DISTINCT rid, t, eid, v FROM m) m ON m.t BETWEEN c.cs AND c.ce
          GROUP BY c.cl ORDER BY first_t, event_ids",
      }
    `);
  });

  it('value_percentile: the percentile bound as a fraction', () => {
    expect(
      correlation({
        type: 'value_percentile',
        rules: ['r0'],
        'group-by': ['awsRegion'],
        timespan: '1h',
        condition: { field: 'additionalEventData.bytesTransferredOut', percentile: 95, gte: 5000 },
      }),
    ).toMatchInlineSnapshot(`
      {
        "params": [
          "/bytesTransferredOut",
          0.95,
          3600,
          3600,
          5000,
          0.95,
        ],
        "text": "WITH m AS (
          SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid, CASE i.r WHEN 0 THEN "awsRegion" END AS g_0, TRY_CAST(CASE i.r WHEN 0 THEN json_extract_string("additionalEventData", $1) END AS DOUBLE) AS v
          FROM corr_input i JOIN events e ON e.rowid = i.rid
          WHERE g_0 IS NOT NULL AND v IS NOT NULL),
          w AS (SELECT *, quantile_cont(v, $2) OVER (PARTITION BY g_0 ORDER BY t RANGE BETWEEN CURRENT ROW AND to_seconds($3) FOLLOWING) AS n FROM (SELECT DISTINCT rid, t, eid, g_0, v FROM m)),
          -- A satisfying window runs from its event to the end of the timespan; one that starts inside
          -- another shares that event with it, so they merge: one finding per burst.
          s AS (SELECT g_0, t AS ws, t + to_seconds($4) AS we FROM w WHERE n >= $5),
          s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (PARTITION BY g_0 ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
          s3 AS (SELECT *, sum(brk) OVER (PARTITION BY g_0 ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
          c AS (SELECT g_0, cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
          SELECT c.g_0, list(m.eid ORDER BY m.t, m.eid) AS event_ids, count(DISTINCT m.rid) AS n,
                 list_transform(list(DISTINCT m.v ORDER BY m.v), x -> CASE WHEN x = trunc(x) AND abs(x) < 1e15 THEN CAST(CAST(x AS BIGINT) AS VARCHAR) ELSE CAST(x AS VARCHAR) END) AS vals, quantile_cont(m.v, $6) AS val,
                 min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
          FROM c JOIN (SELECT DISTINCT rid, t, eid, g_0, v FROM m) m ON m.g_0 = c.g_0 AND m.t BETWEEN c.cs AND c.ce
          GROUP BY c.g_0, c.cl ORDER BY first_t, event_ids",
      }
    `);
  });
});

describe('correlation of correlations', () => {
  it('value_count over an inner correlation: group values and the counted field read from its findings', () => {
    expect(
      correlation(
        { type: 'value_count', rules: ['inner'], 'group-by': ['userIdentity.arn'], timespan: '1h', condition: { field: 'awsRegion', gte: 2 } },
        { inner: ['userIdentity.arn', 'awsRegion'] },
      ),
    ).toMatchInlineSnapshot(`
      {
        "params": [
          3600,
          3600,
          2,
        ],
        "text": "WITH m AS (SELECT * FROM (
          SELECT n.k, n.rid, n.r, n.t, n.eid, n.evs, CASE n.r WHEN 0 THEN n.gs[1] END AS g_0, CASE n.r WHEN 0 THEN n.gs[2] END AS v FROM corr_nested n)
          WHERE g_0 IS NOT NULL AND v IS NOT NULL),
          w AS (SELECT *, count(DISTINCT v) OVER (PARTITION BY g_0 ORDER BY t RANGE BETWEEN CURRENT ROW AND to_seconds($1) FOLLOWING) AS n FROM m),
          -- A satisfying window runs from its event to the end of the timespan; one that starts inside
          -- another shares that event with it, so they merge: one finding per burst.
          s AS (SELECT g_0, t AS ws, t + to_seconds($2) AS we FROM w WHERE n >= $3),
          s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (PARTITION BY g_0 ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
          s3 AS (SELECT *, sum(brk) OVER (PARTITION BY g_0 ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
          c AS (SELECT g_0, cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
          SELECT c.g_0, list_transform(list_sort(list_distinct(flatten(list(m.evs)))), x -> x.eid) AS event_ids, count(DISTINCT m.k) AS n,
                 list(DISTINCT m.v ORDER BY m.v) AS vals,
                 min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
          FROM c JOIN (SELECT DISTINCT k, evs, rid, t, eid, g_0, v FROM m) m ON m.g_0 = c.g_0 AND m.t BETWEEN c.cs AND c.ce
          GROUP BY c.g_0, c.cl ORDER BY first_t, event_ids",
      }
    `);
  });

  it('temporal_ordered of an inner correlation and a base rule: events and findings in one m', () => {
    expect(
      correlation({ type: 'temporal_ordered', rules: ['inner', 'r1'], 'group-by': ['userIdentity.arn'], timespan: '1h' }, { inner: ['userIdentity.arn'] }),
    ).toMatchInlineSnapshot(`
      {
        "params": [
          3600,
        ],
        "text": "WITH m AS (SELECT * FROM (
          SELECT i.rid AS k, i.rid, i.r, e.eventTime AS t, e.eventID AS eid, [{'t': e.eventTime, 'eid': e.eventID}] AS evs, CASE i.r WHEN 1 THEN "userIdentity"."arn" END AS g_0, CAST(NULL AS VARCHAR) AS v
            FROM corr_input i JOIN events e ON e.rowid = i.rid
          UNION ALL
          SELECT n.k, n.rid, n.r, n.t, n.eid, n.evs, CASE n.r WHEN 0 THEN n.gs[1] END AS g_0, CAST(NULL AS VARCHAR) AS v FROM corr_nested n)
          WHERE g_0 IS NOT NULL), c0 AS (SELECT g_0, t AS t_0, eid AS e_0, rid AS rid_0, evs AS evs_0 FROM m WHERE r = 0), c1 AS (SELECT p.*, x.t AS t_1, x.eid AS e_1, x.rid AS rid_1, x.evs AS evs_1
              FROM c0 p ASOF JOIN (SELECT * FROM m WHERE r = 1) x ON x.g_0 = p.g_0 AND x.t >= p.t_0
              WHERE x.t <= p.t_0 + to_seconds($1))
            SELECT c.g_0, list_transform(list_sort(list_distinct(flatten([evs_0, evs_1]))), x -> x.eid) AS event_ids, 2 AS n, CAST(NULL AS VARCHAR[]) AS vals,
                   c.t_0 AS first_t, c.t_1 AS last_t, c.rid_1 AS last_rid
            FROM c1 c ORDER BY first_t, event_ids",
      }
    `);
  });
});
