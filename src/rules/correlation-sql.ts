/**
 * The statements of compile-correlation.ts once the matches `m` are written: the sliding windows of
 * the counting and value types, and the ASOF chain of temporal_ordered. Every value from a rule is
 * bound; the text written here is keytrail's own (column names, keywords, whole numbers it counted).
 */
import type { CorrelationType } from './schema.js';
import { sql, type Sql } from '../store/sql.js';

export type WindowType = Exclude<CorrelationType, 'temporal_ordered'>;
/** The types whose condition compares a number computed from a field's values, not a count. */
export const VALUE_TYPES = ['value_sum', 'value_avg', 'value_percentile'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];
export const isValueType = (t: CorrelationType): t is ValueType => (VALUE_TYPES as readonly string[]).includes(t);

export const COMPARISONS = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', neq: '<>' } as const;
export type Comparison = [keyof typeof COMPARISONS, number];

/** The parts of the statement every type shares: the group columns, the timespan, how many rules. */
export interface Shape {
  gcols: string[];
  span: number;
  rules: number;
  /**
   * Some input is another correlation: a match then carries a key `k` of its own (an inner finding
   * has no rowid of its own) and its contributing events `evs` (time and eventID), of which the
   * finding lists the union, in time order.
   */
  nested: boolean;
  /** value_percentile: which percentile (0 to 100). */
  percentile?: number;
}

/** Column lists of the group columns: `before`/`after` each (e.g. `c.g_0, `). */
export const cols = (gcols: readonly string[], before: string, after: string) => sql.raw(gcols.map((g) => `${before}${g}${after}`).join(''));

const spanOf = (s: Shape) => sql`to_seconds(${s.span})`;
const sameGroup = (gcols: readonly string[], a: string, b: string) => gcols.map((g) => `${a}.${g} = ${b}.${g}`);
/** The union of contributing events (a list of lists of {t, eid}), distinct, in time order, as eventIDs. */
const eventUnion = (lists: string) => sql.raw(`list_transform(list_sort(list_distinct(flatten(${lists}))), x -> x.eid)`);

/** A number as a summary shows it: whole numbers without a decimal point (1500, not 1500.0). */
export const numberText = (x: string) =>
  sql.raw(`CASE WHEN ${x} = trunc(${x}) AND abs(${x}) < 1e15 THEN CAST(CAST(${x} AS BIGINT) AS VARCHAR) ELSE CAST(${x} AS VARCHAR) END`);

/** What a window computes and compares with the condition, per type (temporal: how many of the rules occurred). */
function windowValue(type: WindowType, s: Shape, on: string): Sql {
  const key = s.nested ? 'k' : 'rid';
  switch (type) {
    case 'event_count':
      return sql.raw(`count(DISTINCT ${on}${key})`);
    case 'value_count':
      return sql.raw(`count(DISTINCT ${on}v)`);
    case 'temporal':
      return sql.raw(`count(DISTINCT ${on}r)`);
    case 'value_sum':
      return sql.raw(`sum(${on}v)`);
    case 'value_avg':
      return sql.raw(`avg(${on}v)`);
    case 'value_percentile':
      return sql`quantile_cont(${sql.raw(`${on}v`)}, ${(s.percentile ?? 50) / 100})`;
  }
}

/** temporal_ordered: for each match of the first rule, the next match of each following rule at or after the previous one, within the timespan. */
export function orderedSql(m: Sql, s: Shape): Sql {
  const evs = (i: number) => (s.nested ? `, evs AS evs_${i}` : '');
  const steps = [sql`c0 AS (SELECT ${cols(s.gcols, '', ', ')}t AS t_0, eid AS e_0, rid AS rid_0${sql.raw(evs(0))} FROM m WHERE r = 0)`];
  for (let i = 1; i < s.rules; i++) {
    const on = sql.raw([...sameGroup(s.gcols, 'x', 'p'), `x.t >= p.t_${i - 1}`].join(' AND '));
    steps.push(sql`${sql.raw(`c${i} AS (SELECT p.*, x.t AS t_${i}, x.eid AS e_${i}, x.rid AS rid_${i}${s.nested ? `, x.evs AS evs_${i}` : ''}
        FROM c${i - 1} p ASOF JOIN (SELECT * FROM m WHERE r = ${i}) x ON `)}${on}
        WHERE x.t <= p.t_0 + ${spanOf(s)})`);
  }
  const last = s.rules - 1;
  const each = (p: string) => Array.from({ length: s.rules }, (_, i) => `${p}_${i}`).join(', ');
  const ids = s.nested ? eventUnion(`[${each('evs')}]`) : sql.raw(`[${each('e')}]`);
  return sql`WITH ${m}, ${sql.join(steps)}
      SELECT ${cols(s.gcols, 'c.', ', ')}${ids}${sql.raw(` AS event_ids, ${s.rules} AS n, CAST(NULL AS VARCHAR[]) AS vals,
             c.t_0 AS first_t, c.t_${last} AS last_t, c.rid_${last} AS last_rid
      FROM c${last} c ORDER BY first_t, event_ids`)}`;
}

/** The distinct values a finding saw, for {values}; and the number computed over its events, for {value}. */
function findingValues(type: WindowType, s: Shape): Sql {
  if (type === 'value_count') return sql.raw('list(DISTINCT m.v ORDER BY m.v) AS vals');
  if (!isValueType(type)) return sql.raw('CAST(NULL AS VARCHAR[]) AS vals');
  return sql`list_transform(list(DISTINCT m.v ORDER BY m.v), x -> ${numberText('x')}) AS vals, ${windowValue(type, s, 'm.')} AS val`;
}

/**
 * event_count, value_count, temporal and the value types: a window slides from each match; the
 * windows that satisfy the condition and overlap merge into one finding per burst and group.
 */
export function windowSql(m: Sql, s: Shape, type: WindowType, comparisons: Comparison[]): Sql {
  const tests = comparisons.length > 0 ? comparisons.map(([k, v]) => sql`n ${sql.raw(COMPARISONS[k])} ${v}`) : [sql`n >= ${s.rules}`];
  const partition = sql.raw(s.gcols.length ? `PARTITION BY ${s.gcols.join(', ')} ` : '');
  const join = sql.raw([...sameGroup(s.gcols, 'm', 'c'), 'm.t BETWEEN c.cs AND c.ce'].join(' AND '));
  const outGroups = cols(s.gcols, 'c.', ', ');
  const distinct = sql.raw(`SELECT DISTINCT ${s.nested ? 'k, evs, ' : ''}rid, t, eid${s.gcols.map((g) => `, ${g}`).join('')}, v FROM m`);
  // A value type adds each event's value once, however many of the rules matched it.
  const source = isValueType(type) ? sql`(${distinct})` : sql.raw('m');
  const ids = s.nested ? eventUnion('list(m.evs)') : sql.raw('list(m.eid ORDER BY m.t, m.eid)');
  return sql`WITH ${m},
    w AS (SELECT *, ${windowValue(type, s, '')} OVER (${partition}ORDER BY t RANGE BETWEEN CURRENT ROW AND ${spanOf(s)} FOLLOWING) AS n FROM ${source}),
    -- A satisfying window runs from its event to the end of the timespan; one that starts inside
    -- another shares that event with it, so they merge: one finding per burst.
    s AS (SELECT ${cols(s.gcols, '', ', ')}t AS ws, t + ${spanOf(s)} AS we FROM w WHERE ${sql.join(tests, sql.raw(' AND '))}),
    s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (${partition}ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
    s3 AS (SELECT *, sum(brk) OVER (${partition}ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
    c AS (SELECT ${cols(s.gcols, '', ', ')}cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
    SELECT ${outGroups}${ids} AS event_ids, ${sql.raw(s.nested ? 'count(DISTINCT m.k)' : 'count(DISTINCT m.rid)')} AS n,
           ${findingValues(type, s)},
           min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
    FROM c JOIN (${distinct}) m ON ${join}
    GROUP BY ${outGroups}c.cl ORDER BY first_t, event_ids`;
}
