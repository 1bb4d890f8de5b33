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
import { fieldSql, resolveField } from './catalog.js';
import type { CorrelationType, SigmaCorrelation } from './schema.js';
import { sql, type Sql } from '../store/sql.js';

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
  /** Reads corr_input(rid, r); returns one row per finding: g_0.., event_ids, n, vals, first_t, last_t, last_rid. */
  query: Sql;
  /** The group-by names, in the order of the g_i columns. */
  groupBy: string[];
  unknownFields: string[];
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function timespanSeconds(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new CorrelationError(`timespan ${JSON.stringify(text)} is not a number followed by s, m, h or d`);
  return Number.parseInt(m[1]!, 10) * UNIT_SECONDS[m[2]!]!;
}

const COMPARISONS = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', neq: '<>' } as const;
type Comparison = [keyof typeof COMPARISONS, number];

/** Placeholders a correlation's output.summary may use besides its group-by names. */
export const CORRELATION_PLACEHOLDERS = ['count', 'values', 'first', 'last'] as const;

/** What a window counts, per type that counts (temporal: how many of the rules occurred). */
const WINDOW_COUNT: Record<Exclude<CorrelationType, 'temporal_ordered'>, Sql> = {
  event_count: sql.raw('count(DISTINCT rid)'),
  value_count: sql.raw('count(DISTINCT v)'),
  temporal: sql.raw('count(DISTINCT r)'),
};

type Definition = SigmaCorrelation['correlation'];

/** The parts of the statement every type shares: the group columns, the timespan, how many rules. */
interface Shape {
  gcols: string[];
  span: number;
  rules: number;
}

export function compileCorrelation(rule: SigmaCorrelation, bases: readonly BaseRef[]): CompiledCorrelation {
  const c = rule.correlation;
  const span = timespanSeconds(c.timespan);
  const comparisons = checkDefinition(c, bases.length);
  const fieldFor = aliasResolver(c.aliases ?? {}, bases);
  const unknown = new Set<string>();
  const perRule = (name: string) => fieldPerRule(name, bases.length, fieldFor, unknown);
  const groupBy = c['group-by'] ?? [];
  const shape: Shape = { gcols: groupBy.map((_, n) => `g_${n}`), span, rules: bases.length };
  const m = matchesCte(shape, groupBy.map(perRule), c.type === 'value_count' ? perRule(c.condition!.field!) : null);
  const query = c.type === 'temporal_ordered' ? orderedSql(m, shape) : windowSql(m, shape, c.type, comparisons);
  return { query, groupBy, unknownFields: [...unknown] };
}

/** The definition's problems that the schema cannot see; its count comparisons when there are none. */
function checkDefinition(c: Definition, rules: number): Comparison[] {
  const type: CorrelationType = c.type;
  const groupBy = c['group-by'] ?? [];
  const cond = c.condition ?? {};
  const comparisons = Object.entries(cond).filter((e): e is Comparison => e[0] !== 'field' && e[1] !== undefined);
  if (new Set(groupBy).size !== groupBy.length) throw new CorrelationError('group-by names a field twice');
  if ((type === 'event_count' || type === 'value_count') && comparisons.length === 0) {
    throw new CorrelationError(`${type} needs a condition with at least one of ${Object.keys(COMPARISONS).join(', ')}`);
  }
  if (type === 'value_count' && !cond.field) throw new CorrelationError('value_count needs condition.field, the field whose distinct values are counted');
  if (type !== 'value_count' && cond.field) throw new CorrelationError(`condition.field only applies to value_count, not ${type}`);
  if (type === 'temporal_ordered' && comparisons.some(([k, v]) => k !== 'gte' || v !== rules)) {
    throw new CorrelationError(`temporal_ordered matches when all ${rules} rules occur in order; a condition other than gte: ${rules} is not supported`);
  }
  return comparisons;
}

/**
 * Which field a name means for base rule i: an alias maps it per rule, otherwise it is the field
 * itself. An alias that names a rule the correlation does not use is refused here.
 */
function aliasResolver(aliases: NonNullable<Definition['aliases']>, bases: readonly BaseRef[]): (name: string, i: number) => string {
  for (const [name, map] of Object.entries(aliases)) {
    for (const k of Object.keys(map)) {
      if (!bases.some((b) => b.names.includes(k)))
        throw new CorrelationError(`aliases.${name} names rule ${JSON.stringify(k)}, which is not one of this correlation's rules`);
    }
  }
  return (name, i) => {
    const alias = Object.hasOwn(aliases, name) ? aliases[name] : undefined;
    if (!alias) return name;
    const key = Object.keys(alias).find((k) => bases[i]!.names.includes(k));
    if (key === undefined)
      throw new CorrelationError(`alias ${name} has no field for rule ${JSON.stringify(bases[i]!.names[0])} (give one under aliases.${name})`);
    return alias[key]!;
  };
}

/** A name's field for whichever base rule matched (`i.r`), through the catalog. */
function fieldPerRule(name: string, rules: number, fieldFor: (name: string, i: number) => string, unknown: Set<string>): Sql {
  const arms = Array.from({ length: rules }, (_, i) => {
    const ref = resolveField(fieldFor(name, i));
    if (ref.kind === 'unknown') unknown.add(ref.name);
    return sql`WHEN ${sql.raw(`${i}`)} THEN ${fieldSql(ref)}`;
  });
  return sql`CASE i.r ${sql.join(arms, sql.raw(' '))} END`;
}

/** Column lists of the group columns: `prefix` before each, `before`/`after` each (e.g. `c.g_0, `). */
const cols = (gcols: readonly string[], before: string, after: string) => sql.raw(gcols.map((g) => `${before}${g}${after}`).join(''));

/** `m`: the base rules' matches with their time, eventID, group values (all present) and counted value. */
function matchesCte(s: Shape, groups: Sql[], value: Sql | null): Sql {
  const groupSelect = sql.join(
    groups.map((g, n) => sql`, ${g} AS ${sql.raw(s.gcols[n]!)}`),
    sql.empty,
  );
  const valueSelect = value ? sql`, ${value} AS v` : sql.raw(', CAST(NULL AS VARCHAR) AS v');
  const present = [...s.gcols, ...(value ? ['v'] : [])].map((g) => `${g} IS NOT NULL`);
  return sql`m AS (
    SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid${groupSelect}${valueSelect}
    FROM corr_input i JOIN events e ON e.rowid = i.rid
    ${sql.raw(present.length ? `WHERE ${present.join(' AND ')}` : '')})`;
}

const spanOf = (s: Shape) => sql`to_seconds(${s.span})`;
const sameGroup = (gcols: readonly string[], a: string, b: string) => gcols.map((g) => `${a}.${g} = ${b}.${g}`);

/** temporal_ordered: for each match of the first rule, the next match of each following rule at or after the previous one, within the timespan. */
function orderedSql(m: Sql, s: Shape): Sql {
  const steps = [sql`c0 AS (SELECT ${cols(s.gcols, '', ', ')}t AS t_0, eid AS e_0, rid AS rid_0 FROM m WHERE r = 0)`];
  for (let i = 1; i < s.rules; i++) {
    const on = sql.raw([...sameGroup(s.gcols, 'x', 'p'), `x.t >= p.t_${i - 1}`].join(' AND '));
    steps.push(sql`${sql.raw(`c${i} AS (SELECT p.*, x.t AS t_${i}, x.eid AS e_${i}, x.rid AS rid_${i}
        FROM c${i - 1} p ASOF JOIN (SELECT * FROM m WHERE r = ${i}) x ON `)}${on}
        WHERE x.t <= p.t_0 + ${spanOf(s)})`);
  }
  const last = s.rules - 1;
  const ids = Array.from({ length: s.rules }, (_, i) => `e_${i}`).join(', ');
  return sql`WITH ${m}, ${sql.join(steps)}
      SELECT ${cols(s.gcols, 'c.', ', ')}${sql.raw(`[${ids}] AS event_ids, ${s.rules} AS n, CAST(NULL AS VARCHAR[]) AS vals,
             c.t_0 AS first_t, c.t_${last} AS last_t, c.rid_${last} AS last_rid
      FROM c${last} c ORDER BY first_t, event_ids`)}`;
}

/**
 * event_count, value_count and temporal: a window slides from each match; the windows that satisfy
 * the condition and overlap merge into one finding per burst and group.
 */
function windowSql(m: Sql, s: Shape, type: Exclude<CorrelationType, 'temporal_ordered'>, comparisons: Comparison[]): Sql {
  const tests = comparisons.length > 0 ? comparisons.map(([k, v]) => sql`n ${sql.raw(COMPARISONS[k])} ${v}`) : [sql`n >= ${s.rules}`];
  const partition = sql.raw(s.gcols.length ? `PARTITION BY ${s.gcols.join(', ')} ` : '');
  const join = sql.raw([...sameGroup(s.gcols, 'm', 'c'), 'm.t BETWEEN c.cs AND c.ce'].join(' AND '));
  const outGroups = cols(s.gcols, 'c.', ', ');
  const vals = sql.raw(type === 'value_count' ? 'list(DISTINCT m.v ORDER BY m.v)' : 'CAST(NULL AS VARCHAR[])');
  return sql`WITH ${m},
    w AS (SELECT *, ${WINDOW_COUNT[type]} OVER (${partition}ORDER BY t RANGE BETWEEN CURRENT ROW AND ${spanOf(s)} FOLLOWING) AS n FROM m),
    -- A satisfying window runs from its event to the end of the timespan; one that starts inside
    -- another shares that event with it, so they merge: one finding per burst.
    s AS (SELECT ${cols(s.gcols, '', ', ')}t AS ws, t + ${spanOf(s)} AS we FROM w WHERE ${sql.join(tests, sql.raw(' AND '))}),
    s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (${partition}ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
    s3 AS (SELECT *, sum(brk) OVER (${partition}ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
    c AS (SELECT ${cols(s.gcols, '', ', ')}cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
    SELECT ${outGroups}list(m.eid ORDER BY m.t, m.eid) AS event_ids, count(DISTINCT m.rid) AS n,
           ${vals} AS vals,
           min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
    FROM c JOIN (SELECT DISTINCT rid, t, eid${cols(s.gcols, ', ', '')}, v FROM m) m ON ${join}
    GROUP BY ${outGroups}c.cl ORDER BY first_t, event_ids`;
}
