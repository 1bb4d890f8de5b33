/**
 * Sigma rules as Athena (Trino) SQL over Athena's CloudTrail table (issue 18): `keytrail rules
 * compile --target athena`. The same rules keytrail runs on a case, with the same meaning, so the
 * heavy scan of a trail too big to download runs where the trail is. A statement returns
 * `(rule_id, eventid, eventtime)`: for a rule, each event it matches; for a correlation, each event
 * of each of its findings. On the same evidence these are exactly the (rule, eventID) pairs of
 * `keytrail detect` (test/trino/rules.test.ts checks it on a real Trino).
 *
 * A .sql file run with aws-cli cannot bind parameters: every value is a literal written by
 * trinoString, every name comes from the table's description (table.ts). What Trino cannot say as
 * keytrail means it is refused with the reason, never approximated:
 * - a keyword search (a list of plain values: keytrail searches the whole record's JSON text, whose
 *   text Athena's table does not keep);
 * - a field the CloudTrail record has but Athena's table does not (the rule would silently never match);
 * - a whole struct compared as text (its JSON text differs between the two engines: key case, order);
 * - value_percentile (DuckDB's exact quantile_cont; Athena has approx_percentile only);
 * - a correlation over another correlation's findings.
 * `keytrail.baseline` (what is usual for the caller, baseline.ts) is computed in the statement
 * from the table in the window, as keytrail computes it from the case.
 */
import { KeytrailError, messageOf } from '../errors.js';
import { type BaseRef, aliasResolver, checkDefinition, timespanSeconds } from '../rules/compile-correlation.js';
import { likePattern, ipv6Hex, keyValues, type Value } from '../rules/compile-detection.js';
import { type Condition, expandPattern, parseCondition } from '../rules/condition.js';
import { COMPARISONS, type Comparison } from '../rules/correlation-sql.js';
import { isLoadedCorrelation, silentCorrelations } from '../rules/correlation-inputs.js';
import { BASELINE_FIELD, BASELINE_HOURS, NEW_FOR_DAYS } from '../rules/baseline.js';
import { resolveField } from '../rules/catalog.js';
import type { LoadedCorrelation, LoadedRule } from '../rules/load-rules.js';
import type { Placeholders } from '../rules/placeholders.js';
import { namesOf, ruleId } from '../rules/rule-names.js';
import { silentRules } from '../rules/detect.js';
import { printable } from '../escape.js';
import { ATHENA_CLOUDTRAIL, type Column, type Layout } from './table.js';
import { jsonPath, trinoIdent, trinoString } from './trino-sql.js';
import { type AthenaWindow, eventTimeSql, windowPredicates } from './window.js';

/** Why a rule cannot be written for Athena. */
export class AthenaRefusal extends KeytrailError {
  constructor(message: string) {
    super('DETECTION', message);
  }
}

export interface AthenaTarget {
  /** The table, as the user's query names it (`cloudtrail_logs`, `db.cloudtrail_logs`); each part is quoted. */
  table: string;
  layout: Layout;
  window?: AthenaWindow;
  placeholders?: Placeholders;
}

export interface AthenaStatement {
  /** `detections` (every single-event rule, in parts of one scan each) or the correlation's rule id. */
  name: string;
  /** The rule ids it returns. */
  rules: string[];
  sql: string;
}

export interface AthenaRefused {
  id: string;
  title: string;
  file: string;
  line: number;
  reason: string;
}

export interface AthenaCompiled {
  statements: AthenaStatement[];
  refused: AthenaRefused[];
}

/** A table name as Trino SQL: each dotted part an identifier. */
export const tableSql = (table: string) => table.split('.').map(trinoIdent).join('.');

/** The table in the window, each event once (a trail delivered twice holds an event twice; detect counts it once). */
function source(t: AthenaTarget): string {
  const where = windowPredicates(t.window ?? {}, t.layout);
  return `SELECT * FROM ${tableSql(t.table)}${where.length ? `\n    WHERE ${where.join('\n      AND ')}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Fields

/** A field as Trino reads it from the event row `e`, and whether it is a path into JSON text. */
interface Field {
  sql: string;
  json?: { column: string; keys: string[] };
}

const NULL_TEXT = 'CAST(NULL AS VARCHAR)';
const BASELINE_COLUMN = `coalesce(b.baseline, 'usual')`;

/**
 * A Sigma field path as the expression reading it from `e`, or a refusal. Names resolve against the
 * table's description at any case; a path into a JSON text column keeps its keys' case (JSON does).
 */
function field(name: string, reads: { baseline: boolean }): Field {
  if (name === BASELINE_FIELD) {
    reads.baseline = true;
    return { sql: BASELINE_COLUMN };
  }
  const record = resolveField(name);
  const segs = name.split('.');
  let node: Column = ATHENA_CLOUDTRAIL;
  const path: string[] = [];
  for (const [i, seg] of segs.entries()) {
    if (node === 'JSON') {
      const column = `e.${path.map(trinoIdent).join('.')}`;
      const keys = segs.slice(i);
      const p = trinoString(jsonPath(keys));
      // A scalar as its text; an object or array as its JSON text (as DuckDB's json_extract_string gives it); JSON null as absent.
      return { sql: `coalesce(json_extract_scalar(${column}, ${p}), nullif(json_format(json_extract(${column}, ${p})), 'null'))`, json: { column, keys } };
    }
    const key = seg.toLowerCase();
    const next: Column | undefined = typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === undefined || seg === '') {
      if (record.kind === 'unknown') return { sql: NULL_TEXT };
      throw new AthenaRefusal(`it reads ${name}, which Athena's CloudTrail table does not have (the rule could never match there)`);
    }
    path.push(key);
    node = next;
  }
  if (node !== 'STRING' && node !== 'JSON')
    throw new AthenaRefusal(`it compares ${name}, a whole struct or list, as text; Athena's text of it is not keytrail's`);
  return { sql: `e.${path.map(trinoIdent).join('.')}` };
}

// ---------------------------------------------------------------------------------------------
// Detections

interface Ctx {
  placeholders?: Placeholders;
  reads: { baseline: boolean };
}

const PATTERN_MODIFIERS: Record<string, (v: string) => string> = {
  contains: (v) => `*${v}*`,
  startswith: (v) => `${v}*`,
  endswith: (v) => `*${v}`,
};
const FLAGS = new Set(['all', 'cased', 'i', 'm', 's', 'expand']);

const double = (n: number) => `CAST(${trinoString(String(n))} AS DOUBLE)`;

function numeric(f: string, op: string, v: Value): string {
  const n = typeof v === 'boolean' || v === null ? NaN : Number(v);
  if (Number.isNaN(n)) throw new AthenaRefusal(`${op} needs a number, got ${JSON.stringify(v)}`);
  return `TRY_CAST(${f} AS DOUBLE) ${op} ${double(n)}`;
}

/** An IPv4 or IPv6 network with its host bits cleared, as Trino's contains() takes it. */
function network(v: string): { text: string; v6: boolean } {
  const m4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(v);
  if (m4) {
    const bits = Number(m4[5]);
    const base = m4.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
    const size = 2 ** (32 - bits);
    const lo = Math.floor(base / size) * size;
    return { text: `${[24, 16, 8, 0].map((sh) => Math.floor(lo / 2 ** sh) % 256).join('.')}/${bits}`, v6: false };
  }
  const m6 = /^([0-9A-Fa-f:]+)\/(\d{1,3})$/.exec(v);
  const hex = m6 ? ipv6Hex(m6[1]!) : null;
  if (!m6 || !hex) throw new AthenaRefusal(`cidr value ${JSON.stringify(v)} is not a network`);
  const bits = Number(m6[2]);
  const size = 1n << BigInt(128 - bits);
  const lo = ((BigInt(`0x${hex}`) / size) * size).toString(16).padStart(32, '0');
  return { text: `${lo.match(/.{4}/g)!.join(':')}/${bits}`, v6: true };
}

type ValueModifier = (f: string, v: Value, ctx: Ctx, mods: Set<string>) => string;

const VALUE_MODIFIERS: Record<string, ValueModifier> = {
  re(f, v, _ctx, mods) {
    const flags = ['i', 'm', 's'].filter((x) => mods.has(x)).join('');
    return `regexp_like(${f}, ${trinoString(flags ? `(?${flags})${v}` : `${v}`)})`;
  },
  cidr(f, v) {
    const n = network(`${v}`);
    // The same addresses keytrail's own test takes: dotted quads for IPv4, hex and colons for IPv6.
    const shape = n.v6 ? `regexp_like(lower(${f}), '^[0-9a-f:]{2,39}$')` : `regexp_like(${f}, '^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$')`;
    return `(${shape} AND contains(${trinoString(n.text)}, TRY_CAST(${f} AS IPADDRESS)))`;
  },
  exists(f, v) {
    if (typeof v !== 'boolean') throw new AthenaRefusal(`exists takes true or false, got ${JSON.stringify(v)}`);
    return v ? `${f} IS NOT NULL` : `${f} IS NULL`;
  },
  fieldref(f, v, ctx, mods) {
    const o = field(`${v}`, ctx.reads).sql;
    return mods.has('cased') ? `${f} = ${o}` : `lower(${f}) = lower(${o})`;
  },
  gt: (f, v) => numeric(f, '>', v),
  gte: (f, v) => numeric(f, '>=', v),
  lt: (f, v) => numeric(f, '<', v),
  lte: (f, v) => numeric(f, '<=', v),
};

/** One value's test of the text `f`, as compile-detection.ts's valueSql means it. */
function valueSql(f: string, v: Value, mods: Set<string>, ctx: Ctx): string {
  const special = [...mods].find((m) => Object.hasOwn(VALUE_MODIFIERS, m));
  if (special) return VALUE_MODIFIERS[special]!(f, v, ctx, mods);
  if (v === null) return `${f} IS NULL`;
  let s = `${v}`;
  for (const m of mods) if (Object.hasOwn(PATTERN_MODIFIERS, m)) s = PATTERN_MODIFIERS[m]!(s);
  const { pattern, wild } = likePattern(s);
  const cased = mods.has('cased');
  if (!wild) {
    const literal = trinoString(pattern.replace(/\\(.)/g, '$1'));
    return cased ? `${f} = ${literal}` : `lower(${f}) = lower(${literal})`;
  }
  return cased ? `${f} LIKE ${trinoString(pattern)} ESCAPE '\\'` : `lower(${f}) LIKE lower(${trinoString(pattern)}) ESCAPE '\\'`;
}

/**
 * The values a JSON path reaches through arrays (compile-detection.ts arrayElements): at each step
 * an array's elements or the value itself, as JSON; null when keytrail does not look through arrays
 * for this path (more than four steps, or keys of other than plain characters).
 */
function elementsSql(json: NonNullable<Field['json']>): string | null {
  if (json.keys.length > 4 || json.keys.some((k) => !/^[A-Za-z0-9_-]+$/.test(k))) return null;
  const unwrap = (items: string) => `flatten(transform(${items}, x -> coalesce(TRY_CAST(x AS ARRAY(JSON)), ARRAY[x])))`;
  let items = `ARRAY[json_parse(${json.column})]`;
  for (const k of json.keys) items = `filter(transform(${unwrap(items)}, x -> json_extract(x, ${trinoString(jsonPath([k]))})), x -> x IS NOT NULL)`;
  return unwrap(items);
}

function fieldItemSql(selection: string, key: string, value: unknown, ctx: Ctx): string {
  const [name, ...modList] = key.split('|');
  const mods = new Set(modList);
  for (const m of mods)
    if (!FLAGS.has(m) && !Object.hasOwn(PATTERN_MODIFIERS, m) && !Object.hasOwn(VALUE_MODIFIERS, m)) throw new AthenaRefusal(`unknown modifier ${m}`);
  const f = field(name!, ctx.reads);
  const values = keyValues(selection, key, value, mods, ctx.placeholders);
  const elements = f.json && !mods.has('exists') ? elementsSql(f.json) : null;
  const parts = values.map((v) => {
    const plain = `coalesce(${valueSql(f.sql, v, mods, ctx)}, false)`;
    if (!elements || v === null) return plain;
    const x = `coalesce(json_extract_scalar(x, '$'), json_format(x))`;
    return `(${plain} OR coalesce(any_match(${elements}, x -> coalesce(${valueSql(x, v, mods, ctx)}, false)), false))`;
  });
  return parts.length === 1 ? parts[0]! : `(${parts.join(mods.has('all') ? ' AND ' : ' OR ')})`;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function selectionSql(name: string, sel: unknown, ctx: Ctx): string {
  const map = (m: Record<string, unknown>) => {
    const parts = Object.keys(m).map((k) => fieldItemSql(name, k, m[k], ctx));
    return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
  };
  if (Array.isArray(sel)) {
    if (!sel.every(isObject)) throw new AthenaRefusal(`selection ${name} is a keyword search over the whole record, whose text Athena's table does not keep`);
    return `(${sel.map(map).join(' OR ')})`;
  }
  if (isObject(sel)) return map(sel);
  throw new AthenaRefusal(`selection ${name} must be a map of fields or a list`);
}

function conditionSql(c: Condition, selections: Record<string, unknown>, ctx: Ctx): string {
  const emit = (x: Condition) => conditionSql(x, selections, ctx);
  switch (c.op) {
    case 'and':
    case 'or':
      return `(${c.args.map(emit).join(c.op === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${emit(c.arg)})`;
    case 'sel':
      return selectionSql(c.name, selections[c.name], ctx);
    case 'of': {
      const names = expandPattern(c.pattern, Object.keys(selections));
      return `(${names.map((n) => selectionSql(n, selections[n], ctx)).join(c.quantifier === 'all' ? ' AND ' : ' OR ')})`;
    }
  }
}

/** A rule's detection as one boolean expression over the event row `e` (and `b`, the baseline, when it reads it). */
export function detectionSql(detection: Record<string, unknown>, ctx: Ctx): string {
  const { condition, timeframe: _t, ...selections } = detection;
  const conditions = (Array.isArray(condition) ? condition : [condition]) as string[];
  const parts = conditions.map((c) => conditionSql(parseCondition(c), selections, ctx));
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

// ---------------------------------------------------------------------------------------------
// The baseline (baseline.ts prepareBaseline, in Trino)

/** kt_baseline(eventid, baseline) from the events in `ev`: one row for each event that is not usual. */
function baselineCtes(): string {
  const established = (x: string) =>
    `((${x}.f < span.first + INTERVAL '${BASELINE_HOURS}' HOUR AND ${x}.l >= ${x}.f + INTERVAL '${BASELINE_HOURS}' HOUR) OR be.t >= ${x}.f + INTERVAL '${NEW_FOR_DAYS}' DAY)`;
  return `be AS (
    SELECT DISTINCT eventid, t,
      coalesce(nullif(useridentity.sessioncontext.sessionissuer.arn, ''), nullif(useridentity.arn, ''),
        CASE useridentity.type WHEN 'AWSAccount' THEN 'account:' || useridentity.accountid WHEN 'WebIdentityUser' THEN 'web:' || useridentity.username END,
        nullif(useridentity.principalid, ''), useridentity.invokedby, '') AS p,
      CASE
        WHEN regexp_like(sourceipaddress, '^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$') THEN regexp_extract(sourceipaddress, '^([0-9]+[.][0-9]+[.][0-9]+)[.]', 1) || '.0/24'
        WHEN strpos(sourceipaddress, ':') > 0 THEN array_join(slice(split(sourceipaddress, ':'), 1, 4), ':') || '::/64'
        ELSE coalesce(sourceipaddress, '') END AS net,
      CASE WHEN starts_with(useridentity.accesskeyid, 'AKIA') THEN useridentity.accesskeyid ELSE '' END AS k
    FROM ev WHERE t IS NOT NULL),
  span AS (SELECT min(t) AS first, max(t) AS last FROM be),
  ps AS (SELECT p, min(t) AS f, max(t) AS l FROM be GROUP BY p),
  ns AS (SELECT p, net, min(t) AS f, max(t) AS l FROM be GROUP BY p, net),
  ks AS (SELECT k, min(t) AS f, max(t) AS l FROM be GROUP BY k),
  kt_baseline AS (
    SELECT eventid, baseline FROM (
      SELECT be.eventid, CASE
        WHEN span.last - span.first < INTERVAL '${2 * BASELINE_HOURS}' HOUR THEN 'no-baseline'
        WHEN NOT ${established('ps')} THEN 'new-principal'
        WHEN be.k <> '' AND NOT ${established('ks')} THEN 'new-key'
        WHEN NOT ${established('ns')} THEN 'new-network'
        ELSE 'usual' END AS baseline
      FROM be CROSS JOIN span JOIN ps ON ps.p = be.p JOIN ns ON ns.p = be.p AND ns.net = be.net JOIN ks ON ks.k = be.k)
    WHERE baseline <> 'usual')`;
}

/** The events (the table in the window, with their time) and, when a rule reads it, the baseline. */
function withEvents(t: AthenaTarget, baseline: boolean): string {
  const ev = `ev AS (SELECT *, ${eventTimeSql()} AS t FROM (${source(t)}))`;
  return `WITH ${ev}${baseline ? `,\n  ${baselineCtes()}` : ''}`;
}

const fromEvents = (baseline: boolean) => (baseline ? 'ev e LEFT JOIN kt_baseline b ON b.eventid = e.eventid' : 'ev e');

// ---------------------------------------------------------------------------------------------
// Correlations

const grp = (n: number, a: string, b: string) => Array.from({ length: n }, (_, i) => `${a}.g_${i} = ${b}.g_${i}`);
const gcols = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}g_${i}, `).join('');

function correlationSql(c: LoadedCorrelation, t: AthenaTarget): string {
  if (c.inputs.some(isLoadedCorrelation)) throw new AthenaRefusal("it counts another correlation's findings, which keytrail does not write for Athena");
  const def = c.rule.correlation;
  if (def.type === 'value_percentile')
    throw new AthenaRefusal("value_percentile: keytrail computes the exact percentile; Athena's approx_percentile is an approximation");
  const span = timespanSeconds(def.timespan);
  const comparisons: Comparison[] = checkDefinition(def, c.bases.length);
  const bases: BaseRef[] = c.bases.map((b) => ({ names: namesOf(b) }));
  const fieldFor = aliasResolver(def.aliases ?? {}, bases);
  const reads = { baseline: false };
  const ctx: Ctx = { placeholders: t.placeholders, reads };
  const conds = c.bases.map((b) => detectionSql(b.rule.detection as Record<string, unknown>, ctx));
  const groupBy = def['group-by'] ?? [];
  const perRule = (name: string) => `CASE x.r ${c.bases.map((_, i) => `WHEN ${i} THEN ${field(fieldFor(name, i), reads).sql}`).join(' ')} END`;
  const value = def.condition?.field ? perRule(def.condition.field) : null;
  const numericValue = value && def.type !== 'value_count' ? `TRY_CAST(${value} AS DOUBLE)` : value;
  const present = [...groupBy.map((_, i) => `g_${i} IS NOT NULL`), ...(value ? ['v IS NOT NULL'] : []), 't IS NOT NULL'];
  const rules = `filter(ARRAY[${conds.map((w, i) => `IF(coalesce(${w}, false), ${i})`).join(', ')}], r -> r IS NOT NULL)`;
  const m = `i AS (
    SELECT x.r, e.eventid AS eid, e.eventtime AS et, e.t${groupBy.map((g, i) => `, ${perRule(g)} AS g_${i}`).join('')}, ${numericValue ?? NULL_TEXT} AS v
    FROM ${fromEvents(reads.baseline)} CROSS JOIN UNNEST(${rules}) AS x(r)),
  m AS (SELECT DISTINCT * FROM i WHERE ${present.join(' AND ')})`;
  const head = `${withEvents(t, reads.baseline)},\n  ${m}`;
  const id = trinoString(ruleId(c));
  const within = (a: string, b: string) => `${b}.t BETWEEN ${a}.t AND ${a}.t + INTERVAL '1' SECOND * ${span}`;
  const n = groupBy.length;
  if (def.type === 'temporal_ordered') {
    const steps = [`c0 AS (SELECT ${gcols(n, '')}t AS t_0, eid AS e_0 FROM m WHERE r = 0)`];
    for (let k = 1; k < c.bases.length; k++) {
      const prev = [...Array.from({ length: n }, (_, i) => `p.g_${i}`), ...Array.from({ length: k }, (_, j) => `p.t_${j}, p.e_${j}`)].join(', ');
      steps.push(`c${k} AS (
    SELECT ${prev}, min(x.t) AS t_${k}, min_by(x.eid, ROW(x.t, x.eid)) AS e_${k}
    FROM c${k - 1} p JOIN m x ON ${[`x.r = ${k}`, ...grp(n, 'x', 'p'), `x.t >= p.t_${k - 1}`].join(' AND ')}
    GROUP BY ${prev}
    HAVING min(x.t) <= p.t_0 + INTERVAL '1' SECOND * ${span})`);
    }
    const last = c.bases.length - 1;
    return `${head},
  ${steps.join(',\n  ')}
SELECT DISTINCT ${id} AS rule_id, m.eid AS eventid, m.et AS eventtime
FROM c${last} c CROSS JOIN UNNEST(ARRAY[${c.bases.map((_, k) => `c.e_${k}`).join(', ')}]) AS u(eid) JOIN m ON m.eid = u.eid
ORDER BY eventtime, eventid`;
  }
  const type = def.type as Exclude<typeof def.type, 'temporal_ordered' | 'value_percentile'>;
  const agg: Record<typeof type, string> = {
    event_count: 'count(DISTINCT b.eid)',
    value_count: 'count(DISTINCT b.v)',
    temporal: 'count(DISTINCT b.r)',
    value_sum: 'sum(b.v)',
    value_avg: 'avg(b.v)',
  };
  const valueType = type === 'value_sum' || type === 'value_avg';
  const tests = comparisons.length
    ? comparisons.map(([k, v]) => `${agg[type]} ${COMPARISONS[k]} ${valueType ? double(v) : v}`)
    : [`${agg[type]} >= ${c.bases.length}`];
  const counted = valueType ? `(SELECT DISTINCT eid, t${Array.from({ length: n }, (_, i) => `, g_${i}`).join('')}, v FROM m)` : 'm';
  // A window starts at each match and spans the timespan; the events of a finding are those of the
  // windows that satisfy the condition (their overlapping windows merge into one finding in detect).
  return `${head},
  w AS (
    SELECT ${gcols(n, 'a.')}a.t FROM (SELECT DISTINCT ${gcols(n, '')}t FROM m) a JOIN ${counted} b ON ${[...grp(n, 'b', 'a'), within('a', 'b')].join(' AND ')}
    GROUP BY ${gcols(n, 'a.')}a.t
    HAVING ${tests.join(' AND ')})
SELECT DISTINCT ${id} AS rule_id, m.eid AS eventid, m.et AS eventtime
FROM m JOIN w a ON ${[...grp(n, 'm', 'a'), within('a', 'm')].join(' AND ')}
ORDER BY eventtime, eventid`;
}

// ---------------------------------------------------------------------------------------------

interface Arm {
  id: string;
  sql: string;
  baseline: boolean;
}

/**
 * How much rule text one scan of the table tests. Trino compiles the tests of one scan into one
 * class, and refuses one of a hundred rules ("too many columns used or expressions are too
 * complex"); so the rules are tested in parts of about this much SQL each, the parts' rows put
 * together (UNION ALL), those reading the baseline last and apart, so the others skip its join.
 */
const PART_CHARS = 6000;

function chunked(arms: readonly Arm[]): Arm[][] {
  const parts: Arm[][] = [];
  for (const group of [arms.filter((a) => !a.baseline), arms.filter((a) => a.baseline)]) {
    let part: Arm[] = [];
    let size = 0;
    for (const a of group) {
      if (part.length > 0 && size + a.sql.length > PART_CHARS) {
        parts.push(part);
        part = [];
        size = 0;
      }
      part.push(a);
      size += a.sql.length;
    }
    if (part.length > 0) parts.push(part);
  }
  return parts;
}

/**
 * The statements for the rules detect would give findings of their own (a correlation's base rules
 * without `generate` run inside it, as in detect) and every refusal with its reason.
 */
export function compileForAthena(rules: readonly LoadedRule[], correlations: readonly LoadedCorrelation[], t: AthenaTarget): AthenaCompiled {
  const refused: AthenaRefused[] = [];
  const refuse = (r: LoadedRule | LoadedCorrelation, err: unknown) => {
    if (!(err instanceof KeytrailError)) throw err;
    refused.push({ id: ruleId(r), title: r.rule.title, file: r.file, line: r.line, reason: messageOf(err) });
  };
  const silent = silentRules(correlations);
  const arms: Arm[] = [];
  let baseline = false;
  for (const r of rules) {
    if (silent.has(r)) continue;
    try {
      const reads = { baseline: false };
      const where = detectionSql(r.rule.detection as Record<string, unknown>, { placeholders: t.placeholders, reads });
      arms.push({ id: ruleId(r), sql: where, baseline: reads.baseline });
      baseline ||= reads.baseline;
    } catch (err) {
      refuse(r, err);
    }
  }
  const statements: AthenaStatement[] = [];
  if (arms.length > 0) {
    const branches = chunked(arms).map((part) => {
      const reads = part.some((a) => a.baseline);
      const tests = part.map((a, i) => `coalesce(${a.sql}, false) AS r_${i}`).join(',\n      ');
      const list = part.map((a, i) => `IF(r_${i}, ${trinoString(a.id)})`).join(', ');
      return `  SELECT x.rule_id, h.eventid, h.eventtime FROM (
    SELECT e.eventid, e.eventtime,
      ${tests}
    FROM ${fromEvents(reads)}) h
  CROSS JOIN UNNEST(filter(ARRAY[${list}], r -> r IS NOT NULL)) AS x(rule_id)`;
    });
    statements.push({
      name: 'detections',
      rules: arms.map((a) => a.id),
      sql: `${withEvents(t, baseline)}
SELECT DISTINCT rule_id, eventid, eventtime FROM (
${branches.join('\n  UNION ALL\n')})
ORDER BY eventtime, eventid, rule_id`,
    });
  }
  const quiet = silentCorrelations(correlations);
  for (const c of correlations) {
    if (quiet.has(c)) continue;
    try {
      statements.push({ name: ruleId(c), rules: [ruleId(c)], sql: correlationSql(c, t) });
    } catch (err) {
      refuse(c, err);
    }
  }
  return { statements, refused };
}

/** A statement as a file's text: what it is, in comments (names made printable), then the SQL. */
export function statementText(s: AthenaStatement, t: AthenaTarget): string {
  const rules = s.rules.map((r) => `--   ${printable(r)}`).join('\n');
  return `-- keytrail rules compile --target athena: ${printable(s.name)}, over ${printable(t.table)} (${t.layout} layout)
-- returns (rule_id, eventid, eventtime) for the rules:
${rules}
${s.sql};
`;
}
