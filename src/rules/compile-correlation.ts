/**
 * Sigma correlation rules (specification 2.0, and pySigma's value_sum, value_avg and
 * value_percentile) → one SQL statement each, as a pure function.
 *
 * The statement reads the base rules' matches from a temporary table `corr_input(rid, r)` (the
 * events' rowid and the position of the base rule in the correlation's `rules` list) that the
 * runner fills from its one scan of `events`; so base rules are evaluated once, however many
 * correlations use them. A correlation may also name another correlation: that one's findings are
 * then its matches, read from `corr_nested` (see NESTED). Windows slide from each matching event
 * (RANGE frames ordered by eventTime), so a burst is found wherever it starts, not only inside
 * fixed hourly buckets; the windows that satisfy the condition and overlap are merged into one
 * finding per burst and group. `temporal_ordered` chains the rules with ASOF joins: for each match
 * of the first rule, the next match of the second at or after it, and so on, all within the timespan.
 *
 * Group-by values are compared exactly; an event whose group-by field is absent joins no group.
 */
import { KeytrailError } from '../errors.js';
import { fieldSql, resolveField } from './catalog.js';
import { COMPARISONS, type Comparison, isValueType, orderedSql, type Shape, windowSql } from './correlation-sql.js';
import type { CorrelationType, SigmaCorrelation } from './schema.js';
import { sql, type Sql } from '../store/sql.js';

export class CorrelationError extends KeytrailError {
  constructor(message: string) {
    super('CORRELATION', message);
  }
}

/** A rule the correlation names, as it may name it in `aliases`: any of its id, name and title. */
export interface BaseRef {
  names: string[];
  /** When the rule is itself a correlation: its group-by names, the only fields its findings carry. */
  groupBy?: readonly string[];
}

export interface CompiledCorrelation {
  /**
   * Reads corr_input(rid, r) (and corr_nested, see NESTED); returns one row per finding: g_0..,
   * event_ids, n, vals, first_t, last_t, last_rid, and for the value types val.
   */
  query: Sql;
  /** The group-by names, in the order of the g_i columns. */
  groupBy: string[];
  unknownFields: string[];
}

/**
 * What a correlation named by another becomes, one row per finding, in the temporary table
 * corr_nested(r, k, t, rid, eid, gs, evs): its position r in the outer's `rules`, a key k of its
 * own, the time it fired t (its last event), the event that speaks for it (rowid and eventID), its
 * group-by values gs in the order of its group-by, and its contributing events evs (time, eventID).
 */
export const NESTED = 'corr_nested';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
/** A thousand years: longer than any evidence, and far from overflowing a timestamp (36500d, "the whole case", is well inside). */
const MAX_TIMESPAN_SECONDS = 1000 * 365 * 86400;

export function timespanSeconds(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new CorrelationError(`timespan ${JSON.stringify(text)} is not a number followed by s, m, h or d`);
  const seconds = Number(m[1]!) * UNIT_SECONDS[m[2]!]!;
  if (!(seconds <= MAX_TIMESPAN_SECONDS)) throw new CorrelationError(`timespan ${JSON.stringify(text)} is longer than 1000 years`);
  return seconds;
}

/** Placeholders a correlation's output.summary may use besides its group-by names ({value}: only the value types). */
export const CORRELATION_PLACEHOLDERS = ['count', 'values', 'first', 'last'] as const;
/** value_sum, value_avg, value_percentile: {value} is the sum, average or percentile over the finding's events. */
export const VALUE_PLACEHOLDER = 'value';

/** The placeholders a correlation's summary may use. */
export const placeholdersFor = (rule: SigmaCorrelation, groupBy: readonly string[]) => [
  ...CORRELATION_PLACEHOLDERS,
  ...(isValueType(rule.correlation.type) ? [VALUE_PLACEHOLDER] : []),
  ...groupBy,
];

type Definition = SigmaCorrelation['correlation'];

export function compileCorrelation(rule: SigmaCorrelation, bases: readonly BaseRef[]): CompiledCorrelation {
  const c = rule.correlation;
  const span = timespanSeconds(c.timespan);
  const comparisons = checkDefinition(c, bases.length);
  const fieldFor = aliasResolver(c.aliases ?? {}, bases);
  const unknown = new Set<string>();
  const perRule = (name: string, numeric = false) => fieldPerRule(name, bases, fieldFor, unknown, numeric);
  const groupBy = c['group-by'] ?? [];
  const nested = bases.some((b) => b.groupBy);
  const shape: Shape = { gcols: groupBy.map((_, n) => `g_${n}`), span, rules: bases.length, nested, percentile: c.condition?.percentile };
  const field = c.condition?.field;
  const value = field ? perRule(field, isValueType(c.type)) : null;
  const m = matchesCte(
    shape,
    groupBy.map((g) => perRule(g)),
    value,
    bases,
  );
  const query = c.type === 'temporal_ordered' ? orderedSql(m, shape) : windowSql(m, shape, c.type, comparisons);
  return { query, groupBy, unknownFields: [...unknown] };
}

const FIELD_TYPES: readonly CorrelationType[] = ['value_count', 'value_sum', 'value_avg', 'value_percentile'];
const CONDITION_TYPES: readonly CorrelationType[] = ['event_count', ...FIELD_TYPES];

/** The definition's problems that the schema cannot see; its comparisons when there are none. */
export function checkDefinition(c: Definition, rules: number): Comparison[] {
  const type: CorrelationType = c.type;
  const groupBy = c['group-by'] ?? [];
  const cond = c.condition ?? {};
  const comparisons = Object.entries(cond).filter((e): e is Comparison => Object.hasOwn(COMPARISONS, e[0]) && e[1] !== undefined);
  if (new Set(groupBy).size !== groupBy.length) throw new CorrelationError('group-by names a field twice');
  if (CONDITION_TYPES.includes(type) && comparisons.length === 0) {
    throw new CorrelationError(`${type} needs a condition with at least one of ${Object.keys(COMPARISONS).join(', ')}`);
  }
  if (!isValueType(type)) {
    const bad = comparisons.find(([, v]) => !Number.isInteger(v) || v < 0);
    if (bad) throw new CorrelationError(`condition.${bad[0]}: ${type} compares a count, and ${bad[1]} is not a whole number of 0 or more`);
  }
  if (FIELD_TYPES.includes(type) && !cond.field)
    throw new CorrelationError(
      `${type} needs condition.field, the field whose ${type === 'value_count' ? 'distinct values are counted' : 'values are computed over'}`,
    );
  if (!FIELD_TYPES.includes(type) && cond.field) throw new CorrelationError(`condition.field only applies to ${FIELD_TYPES.join(', ')}, not ${type}`);
  if (type === 'value_percentile' && cond.percentile === undefined)
    throw new CorrelationError("value_percentile needs condition.percentile, the percentile (0 to 100) of the field's values that is compared");
  if (type !== 'value_percentile' && cond.percentile !== undefined)
    throw new CorrelationError(`condition.percentile only applies to value_percentile, not ${type}`);
  if (type === 'temporal_ordered' && comparisons.some(([k, v]) => k !== 'gte' || v !== rules)) {
    throw new CorrelationError(`temporal_ordered matches when all ${rules} rules occur in order; a condition other than gte: ${rules} is not supported`);
  }
  return comparisons;
}

/**
 * Which field a name means for base rule i: an alias maps it per rule, otherwise it is the field
 * itself. An alias that names a rule the correlation does not use is refused here.
 */
export function aliasResolver(aliases: NonNullable<Definition['aliases']>, bases: readonly BaseRef[]): (name: string, i: number) => string {
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

/** A name's field in a match: over events (`i.r`, the base rule that matched) and over inner findings (`n.r`, the correlation). */
interface PerRule {
  events: Sql;
  nested: Sql;
}

/**
 * A name's field for whichever rule matched, through the catalog; as a number (TRY_CAST to DOUBLE)
 * for the value types. A correlation's findings carry only its group-by values, so a name must be
 * one of them there (by alias or as it is).
 */
function fieldPerRule(name: string, bases: readonly BaseRef[], fieldFor: (name: string, i: number) => string, unknown: Set<string>, numeric: boolean): PerRule {
  const eventArms: Sql[] = [];
  const nestedArms: Sql[] = [];
  bases.forEach((b, i) => {
    const field = fieldFor(name, i);
    const when = sql.raw(`WHEN ${i} THEN `);
    if (b.groupBy) {
      const j = b.groupBy.indexOf(field);
      if (j < 0)
        throw new CorrelationError(
          `${JSON.stringify(field)} is not a group-by field of correlation ${JSON.stringify(b.names[0])}, whose findings carry only ${b.groupBy.length ? b.groupBy.join(', ') : 'no fields (it has no group-by)'}`,
        );
      nestedArms.push(sql`${when}${sql.raw(`n.gs[${j + 1}]`)}`);
      return;
    }
    const ref = resolveField(field);
    if (ref.kind === 'unknown') unknown.add(ref.name);
    eventArms.push(sql`${when}${fieldSql(ref)}`);
  });
  const caseOf = (on: string, arms: Sql[]) => {
    // A value that is not a number (a text field, or numbers written as text that are not numbers) is left out, as an absent one is.
    const e = arms.length ? sql`CASE ${sql.raw(on)} ${sql.join(arms, sql.raw(' '))} END` : sql.raw('CAST(NULL AS VARCHAR)');
    return numeric ? sql`TRY_CAST(${e} AS DOUBLE)` : e;
  };
  return { events: caseOf('i.r', eventArms), nested: caseOf('n.r', nestedArms) };
}

/** `m`: the matches with their time, eventID, group values (all present) and counted value. */
function matchesCte(s: Shape, groups: PerRule[], value: PerRule | null, bases: readonly BaseRef[]): Sql {
  const select = (side: keyof PerRule) =>
    sql.join(
      [...groups.map((g, n) => sql`, ${g[side]} AS ${sql.raw(s.gcols[n]!)}`), value ? sql`, ${value[side]} AS v` : sql.raw(', CAST(NULL AS VARCHAR) AS v')],
      sql.empty,
    );
  const present = [...s.gcols, ...(value ? ['v'] : [])].map((g) => `${g} IS NOT NULL`);
  const where = sql.raw(present.length ? `WHERE ${present.join(' AND ')}` : '');
  if (!s.nested)
    return sql`m AS (
    SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid${select('events')}
    FROM corr_input i JOIN events e ON e.rowid = i.rid
    ${where})`;
  // An event's key is its rowid; an inner finding's is negative (the runner numbers them -1, -2, ...).
  const parts = [sql`SELECT n.k, n.rid, n.r, n.t, n.eid, n.evs${select('nested')} FROM ${sql.raw(NESTED)} n`];
  if (bases.some((b) => !b.groupBy))
    parts.unshift(sql`SELECT i.rid AS k, i.rid, i.r, e.eventTime AS t, e.eventID AS eid, [{'t': e.eventTime, 'eid': e.eventID}] AS evs${select('events')}
      FROM corr_input i JOIN events e ON e.rowid = i.rid`);
  return sql`m AS (SELECT * FROM (
    ${sql.join(parts, sql.raw('\n    UNION ALL\n    '))})
    ${where})`;
}
