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
import { RECORD_FIELDS, quoteIdent } from '../store/schema.js';
import { fieldSql, resolveField, type Bind, type FieldRef } from './catalog.js';

export interface CompiledExpr {
  sql: string;
  params: unknown[];
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

type Value = string | number | boolean | null;

interface Ctx {
  params: unknown[];
  bind: Bind;
  unknown: Set<string>;
  regexes: Set<string>;
}

const PATTERN_MODIFIERS: Record<string, (v: string) => string> = {
  contains: (v) => `*${v}*`,
  startswith: (v) => `${v}*`,
  endswith: (v) => `*${v}`,
};

/** Modifiers that replace the default comparison; `field` is the SQL of the field. */
const VALUE_MODIFIERS: Record<string, (field: string, v: Value, ctx: Ctx, mods: Set<string>) => string> = {
  re(field, v, ctx, mods) {
    const src = String(v);
    try {
      new RegExp(src);
    } catch (err) {
      throw new DetectionError(`invalid regular expression ${JSON.stringify(src)}: ${(err as Error).message}`);
    }
    const unsupported = re2Unsupported(src);
    if (unsupported) throw new DetectionError(`regular expression ${JSON.stringify(src)} uses ${unsupported}, which DuckDB's RE2 engine does not support`);
    const flags = ['i', 'm', 's'].filter((f) => mods.has(f)).join('');
    const pattern = flags ? `(?${flags})${src}` : src;
    ctx.regexes.add(pattern);
    return `regexp_matches(${field}, ${ctx.bind(pattern)})`;
  },
  cidr(field, v, ctx) {
    if (String(v).includes(':')) return ipv6Cidr(field, String(v), ctx);
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(String(v));
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
      throw new DetectionError(`cidr value ${JSON.stringify(v)} is not a network like 10.0.0.0/8 or 2001:db8::/32`);
    }
    const bits = Number(m[5]);
    const base = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
    const size = 2 ** (32 - bits);
    const lo = Math.floor(base / size) * size;
    const loOctets = [24, 16, 8, 0].map((sh) => Math.floor(lo / 2 ** sh) % 256);
    if (bits === 32) return `${field} = ${ctx.bind(loOctets.join('.'))}`;
    const oct = (k: number) => `TRY_CAST(split_part(${field}, '.', ${k}) AS BIGINT)`;
    const numeric = `regexp_full_match(${field}, '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}') AND (${oct(1)} * 16777216 + ${oct(2)} * 65536 + ${oct(3)} * 256 + ${oct(4)}) BETWEEN ${ctx.bind(lo)} AND ${ctx.bind(lo + size - 1)}`;
    // The octets the network fixes are a string prefix: a cheap test that spares the arithmetic on almost every event.
    const fixed = Math.floor(bits / 8);
    return fixed > 0 ? `(starts_with(${field}, ${ctx.bind(`${loOctets.slice(0, fixed).join('.')}.`)}) AND ${numeric})` : `(${numeric})`;
  },
  exists(field, v) {
    if (typeof v !== 'boolean') throw new DetectionError(`exists takes true or false, got ${JSON.stringify(v)}`);
    return v ? `${field} IS NOT NULL` : `${field} IS NULL`;
  },
  fieldref(field, v, ctx, mods) {
    const other = resolveField(String(v));
    if (other.kind === 'unknown') ctx.unknown.add(other.name);
    const o = fieldSql(other, ctx.bind);
    return mods.has('cased') ? `${field} = ${o}` : `lower(${field}) = lower(${o})`;
  },
  gt: (f, v, ctx) => numeric(f, '>', v, ctx),
  gte: (f, v, ctx) => numeric(f, '>=', v, ctx),
  lt: (f, v, ctx) => numeric(f, '<', v, ctx),
  lte: (f, v, ctx) => numeric(f, '<=', v, ctx),
};

/**
 * What a JavaScript-valid pattern uses that RE2 (DuckDB's regex engine) refuses, so the rule fails
 * at load rather than at match time: lookaround, backreferences, atomic groups.
 */
export function re2Unsupported(src: string): string | null {
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(n)) return `a backreference (\\${n})`;
      if (!inClass && n === 'k' && src[i + 2] === '<') return 'a named backreference (\\k<...>)';
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (src[i + 1] === ']') i++;
    } else if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) return 'a lookahead (?= or ?!)';
      if (rest === '<=' || rest === '<!') return 'a lookbehind (?<= or ?<!)';
      if (rest.startsWith('>')) return 'an atomic group (?>';
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

/**
 * cidr for an IPv6 network: the event's address expanded in SQL to 32 hex digits (only for values
 * with a colon) and compared as text with the network's first and last address, which orders them
 * as numbers would.
 */
function ipv6Cidr(field: string, v: string, ctx: Ctx): string {
  const m = /^([0-9A-Fa-f:]+)\/(\d{1,3})$/.exec(v);
  const hex = m ? ipv6Hex(m[1]!) : null;
  const bits = m ? Number(m[2]) : NaN;
  if (!hex || !(bits >= 0 && bits <= 128)) throw new DetectionError(`cidr value ${JSON.stringify(v)} is not a network like 10.0.0.0/8 or 2001:db8::/32`);
  const base = BigInt(`0x${hex}`);
  const size = 1n << BigInt(128 - bits);
  const lo = (base / size) * size;
  const toHex = (n: bigint) => n.toString(16).padStart(32, '0');
  const f = `lower(${field})`;
  const part = (k: 1 | 2) => `(CASE WHEN split_part(${f}, '::', ${k}) = '' THEN []::VARCHAR[] ELSE string_split(split_part(${f}, '::', ${k}), ':') END)`;
  const groups = `(CASE WHEN contains(${f}, '::') THEN ${part(1)} || list_transform(range(8 - len(${part(1)}) - len(${part(2)})), x -> '0') || ${part(2)} ELSE string_split(${f}, ':') END)`;
  const expanded = `array_to_string(list_transform(${groups}, g -> lpad(g, 4, '0')), '')`;
  return `(contains(${field}, ':') AND regexp_full_match(${f}, '[0-9a-f:]{2,39}') AND len(string_split(${f}, '::')) <= 2 AND len(${groups}) = 8 AND list_bool_and(list_transform(${groups}, g -> length(g) <= 4)) AND ${expanded} BETWEEN ${ctx.bind(toHex(lo))} AND ${ctx.bind(toHex(lo + size - 1n))})`;
}

/** Modifiers that qualify others rather than compare on their own. */
const FLAGS = new Set(['all', 'cased', 'i', 'm', 's']);

function numeric(field: string, op: string, v: Value, ctx: Ctx): string {
  const n = Number(v);
  if (typeof v === 'boolean' || v === null || Number.isNaN(n)) throw new DetectionError(`${op} needs a number, got ${JSON.stringify(v)}`);
  return `TRY_CAST(${field} AS DOUBLE) ${op} ${ctx.bind(n)}`;
}

/** A Sigma string (with `*`, `?` and `\` escapes) as a LIKE pattern with `\` as the escape. */
function likePattern(v: string): { pattern: string; wild: boolean } {
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

function valueSql(field: string, v: Value, mods: Set<string>, ctx: Ctx): string {
  const special = [...mods].find((m) => m in VALUE_MODIFIERS);
  if (special) return VALUE_MODIFIERS[special]!(field, v, ctx, mods);
  if (v === null) return `${field} IS NULL`;
  let s = typeof v === 'string' ? v : String(v);
  for (const m of mods) if (m in PATTERN_MODIFIERS) s = PATTERN_MODIFIERS[m]!(s);
  const { pattern, wild } = likePattern(s);
  const cased = mods.has('cased');
  if (!wild) {
    // Unescape back to the literal value for a plain comparison.
    const p = ctx.bind(pattern.replace(/\\(.)/g, '$1'));
    return cased ? `${field} = ${p}` : `lower(${field}) = lower(${p})`;
  }
  return `${field} ${cased ? 'LIKE' : 'ILIKE'} ${ctx.bind(pattern)} ESCAPE '\\'`;
}

const KNOWN_MODIFIERS = new Set([...Object.keys(PATTERN_MODIFIERS), ...Object.keys(VALUE_MODIFIERS), ...FLAGS]);

function fieldItemSql(selection: string, key: string, value: unknown, ctx: Ctx): string {
  const [name, ...modList] = key.split('|');
  const mods = new Set(modList);
  for (const m of mods)
    if (!KNOWN_MODIFIERS.has(m)) throw new DetectionError(`unknown modifier "${m}" on ${key} (supported: ${[...KNOWN_MODIFIERS].join(', ')})`);
  const ref = resolveField(name!);
  if (ref.kind === 'unknown') ctx.unknown.add(ref.name);
  const values: Value[] = Array.isArray(value) ? (value as Value[]) : [value as Value];
  if (values.length === 0) throw new DetectionError(`${key} has an empty list of values`);
  if (values.length > MAX_LIST_VALUES) throw tooMany(`${key} (in ${selection})`, values.length);
  for (const v of values) {
    if (v !== null && typeof v === 'object') throw new DetectionError(`${key}: a value must be a string, number, boolean or null`);
  }
  const field = fieldSql(ref, ctx.bind);
  // Inside a JSON column a path may cross arrays (requestParameters.containerDefinitions.command):
  // the value matches the plain path, or any element reached through the arrays.
  const json = ref.kind === 'json' && !mods.has('exists') ? ref : null;
  const parts = values.map((v) => {
    const plain = `coalesce(${valueSql(field, v, mods, ctx)}, false)`;
    const elements = json && v !== null ? arrayElements(json, ctx) : null;
    if (elements === null) return plain;
    // Not a scalar there (absent, or an array, whose compact JSON text the plain test has seen):
    // any element reached through arrays may match.
    const scalar = `(${field} IS NOT NULL AND json_type(${json!.column}, ${ctx.bind(json!.pointer)}) <> 'ARRAY')`;
    return `(${plain} OR (NOT coalesce(${scalar}, false) AND coalesce(list_bool_or(list_transform(${elements}, x -> coalesce(${valueSql('x', v, mods, ctx)}, false))), false)))`;
  });
  return parts.length === 1 ? parts[0]! : `(${parts.join(mods.has('all') ? ' AND ' : ' OR ')})`;
}

/**
 * The values a JSON path reaches when some of its steps are arrays: every way of reading a step as
 * `[*]` (up to four steps; keys of plain characters only), as one list; the JSONPaths are bound.
 */
function arrayElements(ref: Extract<FieldRef, { kind: 'json' }>, ctx: Ctx): string | null {
  const segs = ref.pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (segs.length > 4 || segs.some((s) => !/^[A-Za-z0-9_-]+$/.test(s))) return null;
  const paths: string[] = [];
  for (let mask = 1; mask < 1 << segs.length; mask++) paths.push(`$${segs.map((s, i) => `."${s}"${mask & (1 << i) ? '[*]' : ''}`).join('')}`);
  return `flatten([${paths.map((p) => `json_extract_string(${ref.column}, ${ctx.bind(p)})`).join(', ')}])`;
}

function selectionSql(name: string, sel: unknown, ctx: Ctx): string {
  if (Array.isArray(sel)) {
    if (sel.length === 0) throw new DetectionError(`selection ${name} is an empty list`);
    if (sel.length > MAX_LIST_VALUES) throw tooMany(`selection ${name}`, sel.length);
    // A list of maps is OR of ANDs; a list of plain values is a keyword search over the whole record.
    return `(${sel.map((item) => (item !== null && typeof item === 'object' ? mapSql(name, item as Record<string, unknown>, ctx) : keywordSql(item as Value, ctx))).join(' OR ')})`;
  }
  if (sel !== null && typeof sel === 'object') return mapSql(name, sel as Record<string, unknown>, ctx);
  throw new DetectionError(`selection ${name} must be a map of fields or a list`);
}

function mapSql(name: string, map: Record<string, unknown>, ctx: Ctx): string {
  const keys = Object.keys(map);
  if (keys.length === 0) throw new DetectionError(`selection ${name} has no fields`);
  const parts = keys.map((k) => fieldItemSql(name, k, map[k], ctx));
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
}

function keywordSql(v: Value, ctx: Ctx): string {
  const { pattern } = likePattern(`*${String(v)}*`);
  // The record's own fields (and any it carried without a column), not keytrail's bookkeeping columns.
  const record = [...RECORD_FIELDS, 'extra_fields'].map(quoteIdent).join(', ');
  return `coalesce(CAST(to_json(struct_pack(${record})) AS VARCHAR) ILIKE ${ctx.bind(pattern)} ESCAPE '\\', false)`;
}

/** Compile `detection` (with its `condition`) to a WHERE expression. */
export function compileDetection(detection: Record<string, unknown>): CompiledExpr {
  const { condition, timeframe: _timeframe, ...selections } = detection;
  const names = Object.keys(selections);
  const conditions = Array.isArray(condition) ? condition : [condition];
  if (conditions.length === 0 || conditions.some((c) => typeof c !== 'string'))
    throw new DetectionError('detection.condition must be a string (or a list of strings)');
  const params: unknown[] = [];
  const ctx: Ctx = { params, bind: (v) => `$${params.push(v)}`, unknown: new Set(), regexes: new Set() };
  const emit = (c: Condition): string => {
    switch (c.op) {
      case 'and':
      case 'or':
        return `(${c.args.map(emit).join(c.op === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return `(NOT ${emit(c.arg)})`;
      case 'sel':
        if (!Object.hasOwn(selections, c.name))
          throw new DetectionError(`condition names ${c.name}, which is not a selection (selections: ${names.join(', ')})`);
        return selectionSql(c.name, selections[c.name], ctx);
      case 'of': {
        const covered = expandPattern(c.pattern, names);
        if (covered.length === 0) throw new DetectionError(`"${c.pattern}" matches no selection (selections: ${names.join(', ')})`);
        return `(${covered.map((n) => selectionSql(n, selections[n], ctx)).join(c.quantifier === 'all' ? ' AND ' : ' OR ')})`;
      }
    }
  };
  let parsed: Condition[];
  try {
    parsed = conditions.map((c) => parseCondition(c as string));
  } catch (err) {
    if (err instanceof ConditionError) throw new DetectionError(err.message);
    throw err;
  }
  const sql = parsed.length === 1 ? emit(parsed[0]!) : `(${parsed.map(emit).join(' OR ')})`;
  const byName = union(parsed.map((c) => eventNamesOf(c, selections, 'eventName')));
  const sources = union(parsed.map((c) => eventNamesOf(c, selections, 'eventSource')));
  return {
    sql,
    params: ctx.params,
    unknownFields: [...ctx.unknown],
    eventNames: byName && [...byName].sort(),
    eventSources: sources && [...sources].sort(),
    regexes: [...ctx.regexes],
  };
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
  if (Array.isArray(sel))
    return union(
      sel.map((item) => (item !== null && typeof item === 'object' && !Array.isArray(item) ? mapNames(item as Record<string, unknown>, field) : null)),
    );
  if (sel !== null && typeof sel === 'object') return mapNames(sel as Record<string, unknown>, field);
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
  const values = Array.isArray(map[key]) ? (map[key] as unknown[]) : [map[key]];
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
