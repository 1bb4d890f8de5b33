/**
 * Sigma correlation rules (specification 2.0) → one SQL statement each, as a pure function.
 *
 * The statement reads the base rules' matches from a temporary table `corr_input(rid, r)` (the
 * events' rowid and the position of the base rule in the correlation's `rules` list) that the
 * runner fills from its one scan of `events`; so base rules are evaluated once, however many
 * correlations use them. Windows slide from each matching event (RANGE frames ordered by
 * eventTime), so a burst is found wherever it starts, not only inside fixed hourly buckets; the
 * windows that satisfy the condition and overlap are merged into one finding per burst and group.
 * `temporal_ordered` chains the rules with ASOF joins: for each match of the first rule, the next
 * match of the second at or after it, and so on, all within the timespan.
 *
 * Group-by values are compared exactly; an event whose group-by field is absent joins no group.
 */
import { KeytrailError } from '../errors.js';
import { fieldSql, resolveField, type Bind } from './catalog.js';
import type { CorrelationType, SigmaCorrelation } from './schema.js';

export class CorrelationError extends KeytrailError {
  constructor(message: string) {
    super('CORRELATION', message);
  }
}

/** A base rule as the correlation may name it in `aliases`: any of its id, name and title. */
export interface BaseRef {
  names: string[];
}

export interface CompiledCorrelation {
  /** Returns one row per finding: g_0.., event_ids, n, vals, first_t, last_t, last_rid. */
  sql: string;
  params: unknown[];
  /** The group-by names, in the order of the g_i columns. */
  groupBy: string[];
  unknownFields: string[];
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function timespanSeconds(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new CorrelationError(`timespan ${JSON.stringify(text)} is not a number followed by s, m, h or d`);
  return Number(m[1]) * UNIT_SECONDS[m[2]!]!;
}

const COMPARISONS: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', neq: '<>' };

/** Placeholders a correlation's output.summary may use besides its group-by names. */
export const CORRELATION_PLACEHOLDERS = ['count', 'values', 'first', 'last'] as const;

export function compileCorrelation(rule: SigmaCorrelation, bases: readonly BaseRef[]): CompiledCorrelation {
  const c = rule.correlation;
  const type: CorrelationType = c.type;
  const params: unknown[] = [];
  const bind: Bind = (v) => `$${params.push(v)}`;
  const unknown = new Set<string>();
  const groupBy = c['group-by'] ?? [];
  const aliases = c.aliases ?? {};
  const span = timespanSeconds(c.timespan);
  const cond = c.condition ?? {};
  const comparisons = Object.entries(cond).filter(([k, v]) => k !== 'field' && v !== undefined) as [string, number][];

  if (new Set(groupBy).size !== groupBy.length) throw new CorrelationError('group-by names a field twice');
  if ((type === 'event_count' || type === 'value_count') && comparisons.length === 0) {
    throw new CorrelationError(`${type} needs a condition with at least one of ${Object.keys(COMPARISONS).join(', ')}`);
  }
  if (type === 'value_count' && !cond.field) throw new CorrelationError('value_count needs condition.field, the field whose distinct values are counted');
  if (type !== 'value_count' && cond.field) throw new CorrelationError(`condition.field only applies to value_count, not ${type}`);
  if (type === 'temporal_ordered' && comparisons.some(([k, v]) => k !== 'gte' || v !== bases.length)) {
    throw new CorrelationError(
      `temporal_ordered matches when all ${bases.length} rules occur in order; a condition other than gte: ${bases.length} is not supported`,
    );
  }

  // Which field a name means for base rule i: an alias maps it per rule, otherwise it is the field itself.
  const fieldFor = (name: string, i: number): string => {
    const alias = Object.hasOwn(aliases, name) ? aliases[name]! : undefined;
    if (!alias) return name;
    const key = Object.keys(alias).find((k) => bases[i]!.names.includes(k));
    if (key === undefined)
      throw new CorrelationError(`alias ${name} has no field for rule ${JSON.stringify(bases[i]!.names[0])} (give one under aliases.${name})`);
    return alias[key]!;
  };
  for (const [name, map] of Object.entries(aliases)) {
    for (const k of Object.keys(map)) {
      if (!bases.some((b) => b.names.includes(k)))
        throw new CorrelationError(`aliases.${name} names rule ${JSON.stringify(k)}, which is not one of this correlation's rules`);
    }
  }
  const perRule = (name: string): string => {
    const arms = bases.map((_, i) => {
      const ref = resolveField(fieldFor(name, i));
      if (ref.kind === 'unknown') unknown.add(ref.name);
      return `WHEN ${i} THEN ${fieldSql(ref, bind)}`;
    });
    return `CASE i.r ${arms.join(' ')} END`;
  };

  const gcols = groupBy.map((_, n) => `g_${n}`);
  const groupSelect = groupBy.map((g, n) => `, ${perRule(g)} AS g_${n}`).join('');
  const valueSelect = type === 'value_count' ? `, ${perRule(cond.field!)} AS v` : ', CAST(NULL AS VARCHAR) AS v';
  const present = [...gcols, ...(type === 'value_count' ? ['v'] : [])].map((g) => `${g} IS NOT NULL`);
  const m = `m AS (
    SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid${groupSelect}${valueSelect}
    FROM corr_input i JOIN events e ON e.rowid = i.rid
    ${present.length ? `WHERE ${present.join(' AND ')}` : ''})`;
  const spanSql = `to_seconds(${bind(span)})`;
  const sameGroup = (a: string, b: string) => gcols.map((g) => `${a}.${g} = ${b}.${g}`);
  const outGroups = gcols.map((g) => `c.${g}, `).join('');

  if (type === 'temporal_ordered') {
    const steps = [`c0 AS (SELECT ${gcols.map((g) => `${g}, `).join('')}t AS t_0, eid AS e_0, rid AS rid_0 FROM m WHERE r = 0)`];
    for (let i = 1; i < bases.length; i++) {
      const on = [...sameGroup('x', 'p'), `x.t >= p.t_${i - 1}`].join(' AND ');
      steps.push(`c${i} AS (SELECT p.*, x.t AS t_${i}, x.eid AS e_${i}, x.rid AS rid_${i}
        FROM c${i - 1} p ASOF JOIN (SELECT * FROM m WHERE r = ${i}) x ON ${on}
        WHERE x.t <= p.t_0 + ${spanSql})`);
    }
    const last = bases.length - 1;
    const ids = bases.map((_, i) => `e_${i}`).join(', ');
    const sql = `WITH ${m}, ${steps.join(', ')}
      SELECT ${gcols.map((g) => `c.${g}, `).join('')}[${ids}] AS event_ids, ${bases.length} AS n, CAST(NULL AS VARCHAR[]) AS vals,
             c.t_0 AS first_t, c.t_${last} AS last_t, c.rid_${last} AS last_rid
      FROM c${last} c ORDER BY first_t, event_ids`;
    return { sql, params, groupBy, unknownFields: [...unknown] };
  }

  const agg = type === 'event_count' ? 'count(DISTINCT rid)' : type === 'value_count' ? 'count(DISTINCT v)' : 'count(DISTINCT r)';
  const tests = comparisons.length > 0 ? comparisons.map(([k, v]) => `n ${COMPARISONS[k]} ${bind(v)}`) : [`n >= ${bind(bases.length)}`];
  const partition = gcols.length ? `PARTITION BY ${gcols.join(', ')} ` : '';
  const join = [...sameGroup('m', 'c'), 'm.t BETWEEN c.cs AND c.ce'].join(' AND ');
  const sql = `WITH ${m},
    w AS (SELECT *, ${agg} OVER (${partition}ORDER BY t RANGE BETWEEN CURRENT ROW AND ${spanSql} FOLLOWING) AS n FROM m),
    -- A satisfying window runs from its event to the end of the timespan; one that starts inside
    -- another shares that event with it, so they merge: one finding per burst.
    s AS (SELECT ${gcols.map((g) => `${g}, `).join('')}t AS ws, t + ${spanSql} AS we FROM w WHERE ${tests.join(' AND ')}),
    s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (${partition}ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
    s3 AS (SELECT *, sum(brk) OVER (${partition}ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
    c AS (SELECT ${gcols.map((g) => `${g}, `).join('')}cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
    SELECT ${outGroups}list(m.eid ORDER BY m.t, m.eid) AS event_ids, count(DISTINCT m.rid) AS n,
           ${type === 'value_count' ? 'list(DISTINCT m.v ORDER BY m.v)' : 'CAST(NULL AS VARCHAR[])'} AS vals,
           min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
    FROM c JOIN (SELECT DISTINCT rid, t, eid${gcols.map((g) => `, ${g}`).join('')}, v FROM m) m ON ${join}
    GROUP BY ${outGroups}c.cl ORDER BY first_t, event_ids`;
  return { sql, params, groupBy, unknownFields: [...unknown] };
}
