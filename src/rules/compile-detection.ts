/**
 * Sigma detection → one SQL boolean expression over `events`, as a pure function. Values are always
 * bound parameters; fields come only from the catalog. Every field test is wrapped in
 * coalesce(..., false), so SQL's NULL never leaks into the condition: `selection and not filter`
 * is true when the filter's field is absent, as Sigma means it.
 *
 * To add a value modifier: one entry in VALUE_MODIFIERS (how a value becomes SQL) or in
 * PATTERN_MODIFIERS (how a string value becomes a wildcard pattern).
 */
import { KeytrailError } from '../errors.js';
import { ConditionError, expandPattern, parseCondition, type Condition } from './condition.js';
import { RECORD_FIELDS } from '../store/schema.js';
import { sql, type Sql } from '../store/sql.js';
import { fieldSql, resolveField, type FieldRef } from './catalog.js';
import { expandPlaceholders, type Placeholders } from './placeholders.js';

export interface CompiledExpr {
  /** The rule as one boolean expression over `events`, its values bound. */
  where: Sql;
  /** Fields the rule names that a CloudTrail record does not have (they match as absent). */
  unknownFields: string[];
  /**
   * A necessary condition, when the rule has one: the lower-cased eventNames it can match at all
   * (`name*` for a prefix). The runner tests it once per event for a whole pack, and per rule
   * before the rule's own expression.
   */
  eventNames: string[] | null;
  /** The same for eventSource, for rules that name a service but no eventName. */
  eventSources: string[] | null;
  /** Every regular expression as the rule hands it to DuckDB (flags included), for the loader to compile once in RE2. */
  regexes: string[];
}

/** The fields a necessary condition may test: the two every CloudTrail record has and rules name most. */
type KeyField = 'eventName' | 'eventSource';

export class DetectionError extends KeytrailError {
  constructor(message: string) {
    super('DETECTION', message);
  }
}

/**
 * Values one field (or one selection list) may hold. Real rules list at most a few dozen (SigmaHQ's
 * CloudTrail rules: 23); each value is a bound parameter and a test on every candidate event, so
 * 10,000 is room for a generated allow- or deny-list while a rule stays a statement DuckDB runs in seconds.
 */
export const MAX_LIST_VALUES = 10_000;
const tooMany = (what: string, n: number) => new DetectionError(`${what} lists ${n} values, more than the ${MAX_LIST_VALUES} a list may hold`);

export type Value = string | number | boolean | null;
const isValue = (v: unknown): v is Value => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
/** A map or a list: what a selection item or a field's value may not be. */
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';

/** What compiling a detection collects besides its SQL, and the placeholders `expand` reads. */
interface Ctx {
  unknown: Set<string>;
  regexes: Set<string>;
  placeholders?: Placeholders;
}

export interface CompileOptions {
  /** The values of `%name%` placeholders, for the `expand` modifier. */
  placeholders?: Placeholders;
}

/** Fragments joined by AND or OR, in parentheses. */
const grouped = (parts: readonly Sql[], op: 'AND' | 'OR'): Sql => sql`(${sql.join(parts, sql.raw(` ${op} `))})`;

const PATTERN_MODIFIERS: Record<string, (v: string) => string> = {
  contains: (v) => `*${v}*`,
  startswith: (v) => `${v}*`,
  endswith: (v) => `*${v}`,
};

type ValueModifier = (field: Sql, v: Value, ctx: Ctx, mods: Set<string>) => Sql;

/** Modifiers that replace the default comparison; `field` is the SQL of the field. */
const VALUE_MODIFIERS: Record<string, ValueModifier> = {
  re(field, v, ctx, mods) {
    const src = `${v}`;
    checkRegex(src);
    const flags = ['i', 'm', 's'].filter((f) => mods.has(f)).join('');
    const pattern = flags ? `(?${flags})${src}` : src;
    ctx.regexes.add(pattern);
    return sql`regexp_matches(${field}, ${pattern})`;
  },
  cidr: (field, v) => {
    const network = `${v}`;
    return network.includes(':') ? ipv6Cidr(field, network) : ipv4Cidr(field, network);
  },
  exists(field, v) {
    if (typeof v !== 'boolean') throw new DetectionError(`exists takes true or false, got ${JSON.stringify(v)}`);
    return v ? sql`${field} IS NOT NULL` : sql`${field} IS NULL`;
  },
  fieldref(field, v, ctx, mods) {
    const other = resolveField(`${v}`);
    if (other.kind === 'unknown') ctx.unknown.add(other.name);
    const o = fieldSql(other);
    return mods.has('cased') ? sql`${field} = ${o}` : sql`lower(${field}) = lower(${o})`;
  },
  gt: (f, v) => numeric(f, '>', v),
  gte: (f, v) => numeric(f, '>=', v),
  lt: (f, v) => numeric(f, '<', v),
  lte: (f, v) => numeric(f, '<=', v),
};

/** A `re` value JavaScript cannot compile, or one RE2 cannot run, fails the rule at load. */
function checkRegex(src: string): void {
  try {
    new RegExp(src);
  } catch (err) {
    throw new DetectionError(`invalid regular expression ${JSON.stringify(src)}: ${err instanceof Error ? err.message : `${err}`}`);
  }
  const unsupported = re2Unsupported(src);
  if (unsupported) throw new DetectionError(`regular expression ${JSON.stringify(src)} uses ${unsupported}, which DuckDB's RE2 engine does not support`);
}

/** What follows `(?` that RE2 refuses (the two characters after it), and what it is. */
const GROUP_PROBLEMS: readonly [RegExp, string][] = [
  [/^[=!]/, 'a lookahead (?= or ?!)'],
  [/^<[=!]$/, 'a lookbehind (?<= or ?<!)'],
  [/^>/, 'an atomic group (?>'],
];

/** A backslash escape outside a character class that RE2 refuses: `next` follows the backslash, `after` follows that. */
function escapeProblem(next: string, after: string): string | null {
  if (/[1-9]/.test(next)) return `a backreference (\\${next})`;
  if (next === 'k' && after === '<') return 'a named backreference (\\k<...>)';
  return null;
}

/**
 * What a JavaScript-valid pattern uses that RE2 (DuckDB's regex engine) refuses, so the rule fails
 * at load rather than at match time: lookaround, backreferences, atomic groups.
 */
export function re2Unsupported(src: string): string | null {
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const problem = inClass ? null : escapeProblem(src[i + 1] ?? '', src[i + 2] ?? '');
      if (problem) return problem;
      i++;
    } else if (inClass) {
      inClass = c !== ']';
    } else if (c === '[') {
      inClass = true;
      if (src[i + 1] === ']') i++;
    } else if (c === '(' && src[i + 1] === '?') {
      const problem = GROUP_PROBLEMS.find(([re]) => re.test(src.slice(i + 2, i + 4)));
      if (problem) return problem[1];
    }
  }
  return null;
}

/** An IPv6 address (hextets, one `::` at most; no embedded IPv4) as 32 lower-case hex digits, or null. */
export function ipv6Hex(text: string): string | null {
  const halves = text.toLowerCase().split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const [left, right] = [groups(halves[0]!), halves.length === 2 ? groups(halves[1]!) : []];
  const fill = 8 - left.length - right.length;
  if ((halves.length === 2 ? fill < 1 : fill !== 0) || [...left, ...right].some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return [...left, ...Array<string>(fill).fill('0'), ...right].map((g) => g.padStart(4, '0')).join('');
}

const notANetwork = (v: string) => new DetectionError(`cidr value ${JSON.stringify(v)} is not a network like 10.0.0.0/8 or 2001:db8::/32`);

/** An IPv4 network's prefix length and its octets, or null when `v` is not one. */
function ipv4Network(v: string): { octets: number[]; bits: number } | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(v);
  const [octets, bits] = m ? [m.slice(1, 5).map((o) => Number.parseInt(o, 10)), Number.parseInt(m[5]!, 10)] : [[], NaN];
  return m && octets.every((o) => o <= 255) && bits <= 32 ? { octets, bits } : null;
}

/** cidr for an IPv4 network: the event's address as a number between the network's first and last. */
function ipv4Cidr(field: Sql, v: string): Sql {
  const network = ipv4Network(v);
  if (!network) throw notANetwork(v);
  const { bits } = network;
  const base = network.octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const lo = Math.floor(base / size) * size;
  const loOctets = [24, 16, 8, 0].map((sh) => Math.floor(lo / 2 ** sh) % 256);
  if (bits === 32) return sql`${field} = ${loOctets.join('.')}`;
  const oct = (k: number) => sql`TRY_CAST(split_part(${field}, '.', ${sql.raw(`${k}`)}) AS BIGINT)`;
  const numeric = sql`regexp_full_match(${field}, '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}') AND (${oct(1)} * 16777216 + ${oct(2)} * 65536 + ${oct(3)} * 256 + ${oct(4)}) BETWEEN ${lo} AND ${lo + size - 1}`;
  // The octets the network fixes are a string prefix: a cheap test that spares the arithmetic on almost every event.
  const fixed = Math.floor(bits / 8);
  return fixed > 0 ? sql`(starts_with(${field}, ${`${loOctets.slice(0, fixed).join('.')}.`}) AND ${numeric})` : sql`(${numeric})`;
}

/**
 * cidr for an IPv6 network: the event's address expanded in SQL to 32 hex digits (only for values
 * with a colon) and compared as text with the network's first and last address, which orders them
 * as numbers would.
 */
function ipv6Cidr(field: Sql, v: string): Sql {
  const m = /^([0-9A-Fa-f:]+)\/(\d{1,3})$/.exec(v);
  const hex = m ? ipv6Hex(m[1]!) : null;
  const bits = m ? Number.parseInt(m[2]!, 10) : NaN;
  if (!hex || !(bits >= 0 && bits <= 128)) throw notANetwork(v);
  const base = BigInt(`0x${hex}`);
  const size = 1n << BigInt(128 - bits);
  const lo = (base / size) * size;
  const toHex = (n: bigint) => n.toString(16).padStart(32, '0');
  const f = sql`lower(${field})`;
  const part = (k: 1 | 2) =>
    sql`(CASE WHEN split_part(${f}, '::', ${sql.raw(`${k}`)}) = '' THEN []::VARCHAR[] ELSE string_split(split_part(${f}, '::', ${sql.raw(`${k}`)}), ':') END)`;
  const groups = sql`(CASE WHEN contains(${f}, '::') THEN ${part(1)} || list_transform(range(8 - len(${part(1)}) - len(${part(2)})), x -> '0') || ${part(2)} ELSE string_split(${f}, ':') END)`;
  const expanded = sql`array_to_string(list_transform(${groups}, g -> lpad(g, 4, '0')), '')`;
  return sql`(contains(${field}, ':') AND regexp_full_match(${f}, '[0-9a-f:]{2,39}') AND len(string_split(${f}, '::')) <= 2 AND len(${groups}) = 8 AND list_bool_and(list_transform(${groups}, g -> length(g) <= 4)) AND ${expanded} BETWEEN ${toHex(lo)} AND ${toHex(lo + size - 1n)})`;
}

/** Modifiers that qualify others rather than compare on their own (`expand` replaces placeholders before anything compares). */
const FLAGS = new Set(['all', 'cased', 'i', 'm', 's', 'expand']);

function numeric(field: Sql, op: '>' | '>=' | '<' | '<=', v: Value): Sql {
  const n = typeof v === 'boolean' || v === null ? NaN : Number(v);
  if (Number.isNaN(n)) throw new DetectionError(`${op} needs a number, got ${JSON.stringify(v)}`);
  return sql`TRY_CAST(${field} AS DOUBLE) ${sql.raw(op)} ${n}`;
}

/** A Sigma string (with `*`, `?` and `\` escapes) as a LIKE pattern with `\` as the escape. */
export function likePattern(v: string): { pattern: string; wild: boolean } {
  let out = '';
  let wild = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && (v[i + 1] === '*' || v[i + 1] === '?' || v[i + 1] === '\\')) {
      out += v[i + 1] === '\\' ? '\\\\' : v[i + 1];
      i++;
    } else if (c === '*') {
      out += '%';
      wild = true;
    } else if (c === '?') {
      out += '_';
      wild = true;
    } else if (c === '%' || c === '_' || c === '\\') out += `\\${c}`;
    else out += c;
  }
  return { pattern: out, wild };
}

function valueSql(field: Sql, v: Value, mods: Set<string>, ctx: Ctx): Sql {
  const special = [...mods].find((m) => Object.hasOwn(VALUE_MODIFIERS, m));
  if (special) return VALUE_MODIFIERS[special]!(field, v, ctx, mods);
  if (v === null) return sql`${field} IS NULL`;
  let s = `${v}`;
  for (const m of mods) if (Object.hasOwn(PATTERN_MODIFIERS, m)) s = PATTERN_MODIFIERS[m]!(s);
  const { pattern, wild } = likePattern(s);
  const cased = mods.has('cased');
  if (!wild) {
    // Unescape back to the literal value for a plain comparison.
    const literal = pattern.replace(/\\(.)/g, '$1');
    return cased ? sql`${field} = ${literal}` : sql`lower(${field}) = lower(${literal})`;
  }
  return sql`${field} ${sql.raw(cased ? 'LIKE' : 'ILIKE')} ${pattern} ESCAPE '\\'`;
}

const KNOWN_MODIFIERS = new Set([...Object.keys(PATTERN_MODIFIERS), ...Object.keys(VALUE_MODIFIERS), ...FLAGS]);

/** A selection key `field|mod|mod` as the field it names and its modifiers (all known). */
function parseKey(key: string, ctx: Ctx): { ref: FieldRef; mods: Set<string> } {
  const [name, ...modList] = key.split('|');
  const mods = new Set(modList);
  for (const m of mods)
    if (!KNOWN_MODIFIERS.has(m)) throw new DetectionError(`unknown modifier "${m}" on ${key} (supported: ${[...KNOWN_MODIFIERS].join(', ')})`);
  const ref = resolveField(name!);
  if (ref.kind === 'unknown') ctx.unknown.add(ref.name);
  return { ref, mods };
}

/** The values a selection key lists (one or a list of them), each a scalar. */
function valuesOf(selection: string, key: string, value: unknown): Value[] {
  const values: unknown[] = Array.isArray(value) ? value : [value];
  if (values.length === 0) throw new DetectionError(`${key} has an empty list of values`);
  if (values.length > MAX_LIST_VALUES) throw tooMany(`${key} (in ${selection})`, values.length);
  if (!values.every(isValue)) throw new DetectionError(`${key}: a value must be a string, number, boolean or null`);
  return values;
}

/** The values a selection key tests: as listed, or with `expand` each `%name%` placeholder replaced by its values. */
export function keyValues(selection: string, key: string, value: unknown, mods: ReadonlySet<string>, placeholders?: Placeholders): Value[] {
  const listed = valuesOf(selection, key, value);
  if (!mods.has('expand')) return listed;
  return valuesOf(
    selection,
    key,
    listed.flatMap((v): Value[] => (typeof v === 'string' ? expandPlaceholders(v, placeholders) : [v])),
  );
}

function fieldItemSql(selection: string, key: string, value: unknown, ctx: Ctx): Sql {
  const { ref, mods } = parseKey(key, ctx);
  const values = keyValues(selection, key, value, mods, ctx.placeholders);
  const field = fieldSql(ref);
  // Inside a JSON column a path may cross arrays (requestParameters.containerDefinitions.command):
  // the value matches the plain path, or any element reached through the arrays.
  const json = ref.kind === 'json' && !mods.has('exists') ? ref : null;
  const parts = values.map((v) => valueTest(field, json, v, mods, ctx));
  return parts.length === 1 ? parts[0]! : grouped(parts, mods.has('all') ? 'AND' : 'OR');
}

type JsonRef = Extract<FieldRef, { kind: 'json' }>;

/** One value's test of a field; on a JSON path that may cross arrays, also of the elements reached through them. */
function valueTest(field: Sql, json: JsonRef | null, v: Value, mods: Set<string>, ctx: Ctx): Sql {
  const plain = sql`coalesce(${valueSql(field, v, mods, ctx)}, false)`;
  const elements = json && v !== null ? arrayElements(json) : null;
  if (json === null || elements === null) return plain;
  // Not a scalar there (absent, or an array, whose compact JSON text the plain test has seen):
  // any element reached through arrays may match.
  const scalar = sql`(${field} IS NOT NULL AND json_type(${sql.raw(json.column)}, ${json.pointer}) <> 'ARRAY')`;
  const element = valueSql(sql.raw('x'), v, mods, ctx);
  return sql`(${plain} OR (NOT coalesce(${scalar}, false) AND coalesce(list_bool_or(list_transform(${elements}, x -> coalesce(${element}, false))), false)))`;
}

/**
 * The values a JSON path reaches when some of its steps are arrays: every way of reading a step as
 * `[*]` (up to four steps; keys of plain characters only), as one list; the JSONPaths are bound.
 */
function arrayElements(ref: JsonRef): Sql | null {
  const segs = ref.pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (segs.length > 4 || segs.some((s) => !/^[A-Za-z0-9_-]+$/.test(s))) return null;
  const paths: string[] = [];
  for (let mask = 1; mask < 1 << segs.length; mask++) paths.push(`$${segs.map((s, i) => `."${s}"${mask & (1 << i) ? '[*]' : ''}`).join('')}`);
  return sql`flatten([${sql.join(paths.map((p) => sql`json_extract_string(${sql.raw(ref.column)}, ${p})`))}])`;
}

function selectionSql(name: string, sel: unknown, ctx: Ctx): Sql {
  if (Array.isArray(sel)) {
    if (sel.length === 0) throw new DetectionError(`selection ${name} is an empty list`);
    if (sel.length > MAX_LIST_VALUES) throw tooMany(`selection ${name}`, sel.length);
    // A list of maps is OR of ANDs; a list of plain values is a keyword search over the whole record.
    return grouped(
      sel.map((item: unknown) => (isObject(item) ? mapSql(name, item, ctx) : keywordSql(item))),
      'OR',
    );
  }
  if (isObject(sel)) return mapSql(name, sel, ctx);
  throw new DetectionError(`selection ${name} must be a map of fields or a list`);
}

function mapSql(name: string, map: Record<string, unknown>, ctx: Ctx): Sql {
  const keys = Object.keys(map);
  if (keys.length === 0) throw new DetectionError(`selection ${name} has no fields`);
  const parts = keys.map((k) => fieldItemSql(name, k, map[k], ctx));
  return parts.length === 1 ? parts[0]! : grouped(parts, 'AND');
}

/** The record's own fields (and any it carried without a column), not keytrail's bookkeeping columns. */
const RECORD_COLUMNS = sql.join([...RECORD_FIELDS, 'extra_fields'].map((f) => sql.id(f)));

function keywordSql(v: unknown): Sql {
  const { pattern } = likePattern(`*${v}*`);
  return sql`coalesce(CAST(to_json(struct_pack(${RECORD_COLUMNS})) AS VARCHAR) ILIKE ${pattern} ESCAPE '\\', false)`;
}

/** detection.condition (a string or a list of them) parsed. */
function parseConditions(condition: unknown): Condition[] {
  const conditions: unknown[] = Array.isArray(condition) ? condition : [condition];
  if (conditions.length === 0 || !conditions.every((c) => typeof c === 'string'))
    throw new DetectionError('detection.condition must be a string (or a list of strings)');
  try {
    return conditions.map((c) => parseCondition(c));
  } catch (err) {
    if (err instanceof ConditionError) throw new DetectionError(err.message);
    throw err;
  }
}

/** A parsed condition as SQL over the detection's selections. */
function conditionSql(c: Condition, selections: Record<string, unknown>, ctx: Ctx): Sql {
  const names = Object.keys(selections);
  const emit = (x: Condition) => conditionSql(x, selections, ctx);
  switch (c.op) {
    case 'and':
    case 'or':
      return grouped(c.args.map(emit), c.op === 'and' ? 'AND' : 'OR');
    case 'not':
      return sql`(NOT ${emit(c.arg)})`;
    case 'sel':
      if (!Object.hasOwn(selections, c.name)) throw new DetectionError(`condition names ${c.name}, which is not a selection (selections: ${names.join(', ')})`);
      return selectionSql(c.name, selections[c.name], ctx);
    case 'of': {
      const covered = expandPattern(c.pattern, names);
      if (covered.length === 0) throw new DetectionError(`"${c.pattern}" matches no selection (selections: ${names.join(', ')})`);
      return grouped(
        covered.map((n) => selectionSql(n, selections[n], ctx)),
        c.quantifier === 'all' ? 'AND' : 'OR',
      );
    }
  }
}

/** Compile `detection` (with its `condition`) to a WHERE expression. */
export function compileDetection(detection: Record<string, unknown>, opts: CompileOptions = {}): CompiledExpr {
  const { condition, timeframe: _timeframe, ...selections } = detection;
  const parsed = parseConditions(condition);
  const ctx: Ctx = { unknown: new Set(), regexes: new Set(), placeholders: opts.placeholders };
  const parts = parsed.map((c) => conditionSql(c, selections, ctx));
  const where = parts.length === 1 ? parts[0]! : grouped(parts, 'OR');
  const byName = union(parsed.map((c) => eventNamesOf(c, selections, 'eventName')));
  const sources = union(parsed.map((c) => eventNamesOf(c, selections, 'eventSource')));
  const compiled = {
    where,
    unknownFields: [...ctx.unknown],
    eventNames: byName && [...byName].sort(),
    eventSources: sources && [...sources].sort(),
    regexes: [...ctx.regexes],
  };
  return compiled;
}

/** The union of the sets, or null (anything) when one of them is unconstrained. */
function union(sets: (Set<string> | null)[]): Set<string> | null {
  if (sets.some((x) => x === null)) return null;
  return new Set(sets.flatMap((x) => [...x!]));
}

/**
 * The eventNames a condition can match, or null when it can match any: a selection constrains it
 * when it tests eventName for plain values (no wildcard, no modifier but cased); AND takes the
 * tightest of its parts, OR the union, NOT constrains nothing.
 */
function eventNamesOf(c: Condition, selections: Record<string, unknown>, field: KeyField = 'eventName'): Set<string> | null {
  const all = (parts: (Set<string> | null)[]) => {
    const known = parts.filter((x): x is Set<string> => x !== null);
    return known.length === 0 ? null : known.reduce((a, b) => (a.size <= b.size ? a : b));
  };
  switch (c.op) {
    case 'and':
      return all(c.args.map((a) => eventNamesOf(a, selections, field)));
    case 'or':
      return union(c.args.map((a) => eventNamesOf(a, selections, field)));
    case 'not':
      return null;
    case 'sel':
      return selectionNames(selections[c.name], field);
    case 'of': {
      const parts = expandPattern(c.pattern, Object.keys(selections)).map((n) => selectionNames(selections[n], field));
      return c.quantifier === 'all' ? all(parts) : union(parts);
    }
  }
}

function selectionNames(sel: unknown, field: KeyField): Set<string> | null {
  if (Array.isArray(sel)) return union(sel.map((item: unknown) => (isObject(item) && !Array.isArray(item) ? mapNames(item, field) : null)));
  if (isObject(sel)) return mapNames(sel, field);
  return null;
}

function mapNames(map: Record<string, unknown>, field: KeyField): Set<string> | null {
  // The field as is, cased, or startswith: exact values, and prefixes written as `value*`.
  const key = Object.keys(map).find(
    (k) =>
      k.split('|')[0] === field &&
      k
        .split('|')
        .slice(1)
        .every((m) => m === 'cased' || m === 'startswith'),
  );
  if (key === undefined) return null;
  const prefix = key.includes('startswith');
  const value = map[key];
  const values: unknown[] = Array.isArray(value) ? value : [value];
  const out = new Set<string>();
  for (const v of values) {
    if (typeof v !== 'string' || v === '') return null;
    // A trailing * (unescaped) is a prefix; any other wildcard or escape leaves the rule unconstrained.
    const body = v.endsWith('*') && !v.endsWith('\\*') ? v.slice(0, -1) : v;
    if (body === '' || /[*?\\]/.test(body)) return null;
    out.add(body.toLowerCase() + (prefix || body !== v ? '*' : ''));
  }
  return out.size > 0 ? out : null;
}
