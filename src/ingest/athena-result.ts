/**
 * Athena query results as evidence (issue 18): the CSV Athena writes for a query over its CloudTrail
 * table (src/athena/table.ts), read back into CloudTrail records. A header of the table's column
 * names (any subset, any order, with or without the partition columns) marks it; each row becomes
 * the record the table's row came from, with CloudTrail's own names and nesting:
 * - a struct, list or map column in the JSON form keytrail's own queries write
 *   (`json_format(CAST(useridentity AS JSON))`: a JSON object with the table's lower-case keys), or
 *   in the form Trino gives a plain `SELECT *` (`{type=IAMUser, principalid=AIDA..., sessioncontext={...}}`:
 *   values are not quoted, so the text is split at the keys the table's description knows, see
 *   parseStruct);
 * - requestparameters, responseelements and the other JSON text columns as the JSON they hold;
 * - every other leaf as the text Athena's SerDe made of it (readOnly back to a boolean).
 * Fields Athena's table does not have are absent: such a record is marked partial (field-limited).
 * An empty unquoted cell is NULL (absent); `""` is an empty string.
 */
import { ATHENA_CLOUDTRAIL, type Column } from '../athena/table.js';
import { RECORD, type StructField } from '../store/schema.js';

/** Columns a result may carry besides the table's: the partitions of either layout (not evidence). */
const PARTITIONS = new Set(['timestamp', 'region', 'year', 'month', 'day']);
/** What a result must hold to be read as events. */
const REQUIRED = ['eventid', 'eventtime', 'eventsource', 'eventname'];

/**
 * CloudTrail Lake's event data store has the same columns (camelCase: eventVersion, userIdentity, ...)
 * and a few more; its request and response columns are maps, rendered `{userName=alice, ...}`.
 */
const LAKE_COLUMNS: Record<string, Column> = { managementevent: 'STRING', insightdetails: 'JSON', eventjson: 'JSON' };
const LAKE_MAPS = new Set(['requestparameters', 'responseelements', 'additionaleventdata', 'serviceeventdetails']);

const columnOf = (name: string): Column | undefined =>
  Object.hasOwn(ATHENA_CLOUDTRAIL, name) ? ATHENA_CLOUDTRAIL[name] : Object.hasOwn(LAKE_COLUMNS, name) ? LAKE_COLUMNS[name] : undefined;

/** What a result header is: an Athena result (lower-case names), a CloudTrail Lake one (CloudTrail's camelCase), or neither. */
export function resultKind(header: readonly string[]): 'athena-result' | 'cloudtrail-lake-result' | null {
  const names = header.map((h) => h.trim().toLowerCase());
  if (!REQUIRED.every((r) => names.includes(r)) || !names.every((n) => columnOf(n) !== undefined || PARTITIONS.has(n))) return null;
  return header.some((h) => /[A-Z]/.test(h)) ? 'cloudtrail-lake-result' : 'athena-result';
}

/** True when `header` is an Athena (or CloudTrail Lake) result over the CloudTrail table. */
export const isAthenaHeader = (header: readonly string[]) => resultKind(header) !== null;

/** CloudTrail's names by their lower case, from the store's record description and the fields it keeps as JSON. */
const NAMES = new Map<string, string>();
function addNames(s: StructField): void {
  for (const [k, v] of Object.entries(s)) {
    NAMES.set(k.toLowerCase(), k);
    if (typeof v === 'object') addNames(v);
  }
}
addNames(RECORD);
for (const k of [
  'userId',
  'identityStoreArn',
  'federatedProvider',
  'attributes',
  'tlsVersion',
  'cipherSuite',
  'clientProvidedHostHeader',
  'reason',
  'updatedFields',
  'originalRequestID',
  'originalEventID',
])
  NAMES.set(k.toLowerCase(), k);
/** A resource's keys as CloudTrail writes them (`ARN`, not the user identity's `arn`). */
const RESOURCE_NAMES: Record<string, string> = { arn: 'ARN', accountid: 'accountId', type: 'type' };

const nameOf = (key: string, inResource: boolean) => (inResource ? RESOURCE_NAMES[key] : undefined) ?? NAMES.get(key) ?? key;

/** A problem with one cell, said with the row (the reader names the file). */
export class CellError extends Error {}

/** A struct, list or map value of the table (JSON form already parsed, or struct form) as CloudTrail's value: names restored, nulls dropped. */
function restore(c: Column, v: unknown, inResource = false): unknown {
  if (v === null || v === undefined) return undefined;
  if (c === 'STRING' || c === 'JSON') return typeof v === 'string' ? v : JSON.stringify(v);
  if (c === 'MAP') return v;
  if (Array.isArray(c)) {
    if (!Array.isArray(v)) throw new CellError('a list was expected');
    return v.map((x) => restore(c[0], x, true));
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw new CellError('a struct was expected');
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const key = k.toLowerCase();
    const t: Column | undefined = Object.hasOwn(c, key) ? c[key] : undefined;
    if (t === undefined) throw new CellError(`unknown key ${JSON.stringify(k)}`);
    const r = restore(t, x, inResource);
    if (r !== undefined) out[nameOf(key, inResource)] = r;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A struct, list or map cell in Trino's text form: `{k=v, k2={...}}`, `[{...}, {...}]`, `null`.
 * Values are not quoted: a value runs to the first `, key=` for a key of its struct not yet seen,
 * or to its struct's closing brace when what follows closes the enclosing values too. A value that
 * itself contains such text cannot be told apart from the end of it; the JSON form (keytrail's own
 * queries) has no such limit.
 */
export function parseStruct(c: Column, text: string, doubts?: string[]): unknown {
  const p: Pos = { s: text, i: 0, doubts: doubts ?? [] };
  const v = structValue(c, p, (at) => at === text.length);
  if (doubts) doubtful(c, v, '', keysOf(c), false, doubts);
  return v;
}

interface Pos {
  s: string;
  i: number;
  /** Where the text could have been read another way (see doubtful). */
  doubts: string[];
}

/** Every key of a column's type, at any depth: the ones whose `, key=` may end a value. */
function keysOf(c: Column, into = new Set<string>()): Set<string> {
  if (Array.isArray(c)) return keysOf(c[0], into);
  if (typeof c === 'object')
    for (const [k, t] of Object.entries(c)) {
      into.add(k);
      keysOf(t, into);
    }
  return into;
}

/**
 * Where a struct text parsed, but could have been split elsewhere: a value holding `, key=` for a
 * key of its column (a value that ended there would have left the rest to that key), or, inside a
 * list of structs, `}, {` or `}, null` (the boundary of another element). Each is said as the path
 * of the value; the value is kept as read.
 */
function doubtful(c: Column, v: unknown, at: string, keys: Set<string>, inList: boolean, out: string[]): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'string') {
    const key = [...v.matchAll(/, ([A-Za-z0-9_]+)=/g)].find((m) => keys.has(m[1]!.toLowerCase()));
    if (key) out.push(`${at || 'value'} holds ${JSON.stringify(key[0])}`);
    else if (inList && /\}, (\{|null)/.test(v)) out.push(`${at || 'value'} holds the boundary of a list element ("}, ")`);
    return;
  }
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) doubtful(Array.isArray(c) ? c[0] : c, x, `${at}[${i}]`, keys, true, out);
    return;
  }
  if (typeof v === 'object')
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const t: Column = typeof c === 'object' && !Array.isArray(c) && Object.hasOwn(c, k) ? c[k]! : 'STRING';
      doubtful(t, x, at ? `${at}.${k}` : k, keys, inList, out);
    }
}

/** Whether the value being read may end at `at` (what follows it there is what its container continues with). */
type Stop = (at: number) => boolean;

function structValue(c: Column, p: Pos, stop: Stop, inMap = false): unknown {
  // Athena writes a null inside a struct as `null`, Trino's own client as `NULL`.
  if ((p.s.startsWith('null', p.i) || p.s.startsWith('NULL', p.i)) && stop(p.i + 4)) {
    p.i += 4;
    return null;
  }
  // A map's value that is itself a map or list (CloudTrail Lake's nested request fields): to its matching bracket.
  const end = inMap && (p.s[p.i] === '{' || p.s[p.i] === '[') ? matching(p.s, p.i) : -1;
  if (end > 0 && stop(end + 1)) {
    const v = p.s.slice(p.i, end + 1);
    p.i = end + 1;
    return v;
  }
  if (c === 'STRING' || c === 'JSON') {
    let at = p.i;
    while (at <= p.s.length && !stop(at)) at++;
    if (at > p.s.length) throw new CellError(`a value at character ${p.i + 1} has no end`);
    const v = p.s.slice(p.i, at);
    p.i = at;
    return v;
  }
  if (Array.isArray(c)) {
    expect(p, '[');
    const out: unknown[] = [];
    const close: Stop = (at) => p.s[at] === ']' && stop(at + 1);
    if (close(p.i)) {
      p.i++;
      return out;
    }
    const element: Stop = (at) => close(at) || (p.s.startsWith(', ', at) && (p.s.startsWith('{', at + 2) || p.s.startsWith('null', at + 2)));
    for (;;) {
      out.push(structValue(c[0], p, element));
      if (close(p.i)) {
        p.i++;
        return out;
      }
      expect(p, ', ');
    }
  }
  expect(p, '{');
  const out: Record<string, unknown> = {};
  const close: Stop = (at) => p.s[at] === '}' && stop(at + 1);
  if (close(p.i)) {
    p.i++;
    return out;
  }
  const known = c === 'MAP' ? null : Object.keys(c);
  for (;;) {
    const key = readKey(p, known, out);
    if (!known && Object.hasOwn(out, key)) p.doubts.push(`key ${JSON.stringify(key)} appears twice in a map (one of them may be part of a value)`);
    const t: Column = known ? (c as Record<string, Column>)[key]! : 'STRING';
    const unseen = known?.filter((k) => k !== key && !Object.hasOwn(out, k));
    const next: Stop = unseen
      ? (at) => close(at) || (p.s.startsWith(', ', at) && unseen.some((k) => p.s.slice(at + 2, at + 3 + k.length).toLowerCase() === `${k}=`))
      : (at) => close(at) || (p.s.startsWith(', ', at) && /^[^,=]*=/.test(p.s.slice(at + 2, at + 200)));
    out[key] = structValue(t, p, next, known === null);
    if (close(p.i)) {
      p.i++;
      return out;
    }
    expect(p, ', ');
  }
}

/** Where the bracket at `from` closes (brackets inside JSON strings not counted), or -1. */
function matching(s: string, from: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** A struct's next key (one it may hold and has not had yet) or a map's, up to its `=`. */
function readKey(p: Pos, known: readonly string[] | null, seen: Record<string, unknown>): string {
  const eq = p.s.indexOf('=', p.i);
  if (eq < 0) throw new CellError(`no "=" after character ${p.i + 1}`);
  const text = p.s.slice(p.i, eq);
  // Athena writes the table's lower-case names; CloudTrail Lake may keep CloudTrail's case.
  const key = known ? text.toLowerCase() : text;
  if (known && (!known.includes(key) || Object.hasOwn(seen, key))) throw new CellError(`unexpected key ${JSON.stringify(text)} at character ${p.i + 1}`);
  p.i = eq + 1;
  return key;
}

function expect(p: Pos, text: string): void {
  if (!p.s.startsWith(text, p.i)) throw new CellError(`expected ${JSON.stringify(text)} at character ${p.i + 1}`);
  p.i += text.length;
}

/** One cell of a nested column: JSON (keytrail's queries) when it is, else Trino's struct text. */
function nestedCell(c: Column, cell: string, doubts: string[]): unknown {
  const t = cell.trimStart();
  let notJson: string | undefined;
  if (t.startsWith('{"') || t.startsWith('[{"') || t === '{}' || t === '[]') {
    try {
      return JSON.parse(cell);
    } catch (err) {
      // Not JSON after all: Trino's text form, below (a value may start with a quote).
      notJson = err instanceof Error ? err.message : String(err);
    }
  }
  try {
    return parseStruct(c, cell, doubts);
  } catch (err) {
    // Neither: said as both, for a cut JSON cell is the likelier of the two.
    if (notJson !== undefined && err instanceof CellError) throw new CellError(`neither JSON (${notJson}) nor Trino's struct text (${err.message})`);
    throw err;
  }
}

/**
 * A row of an Athena (or CloudTrail Lake) result as a CloudTrail record. Throws CellError naming the
 * column. `doubts` receives, column by column, where a struct text could have been read another way
 * (the row is still read, as first read).
 */
export function athenaRecord(header: readonly string[], row: readonly (string | null)[], doubts: string[] = []): Record<string, unknown> {
  const rec: Record<string, unknown> = {};
  for (const [i, h] of header.entries()) {
    const col = h.trim().toLowerCase();
    const cell = row[i];
    if (cell === null || cell === undefined || PARTITIONS.has(col)) continue;
    const c = columnOf(col)!;
    const name = nameOf(col, false);
    const here: string[] = [];
    try {
      if (col === 'eventjson') {
        // CloudTrail Lake's whole event, when the query selected it: the record as CloudTrail wrote it.
        const whole = JSON.parse(cell) as unknown;
        if (whole && typeof whole === 'object' && !Array.isArray(whole)) Object.assign(rec, whole);
      } else if (c === 'STRING') rec[name] = col === 'readonly' || col === 'managementevent' ? /^true$/i.test(cell) : cell;
      else if (c === 'JSON')
        rec[name] = LAKE_MAPS.has(col) && cell.startsWith('{') && !cell.startsWith('{"') && cell !== '{}' ? mapText(cell, here) : jsonCell(cell);
      else {
        const v = restore(c, nestedCell(c, cell, here));
        if (v !== undefined) rec[name] = v;
      }
    } catch (err) {
      if (err instanceof CellError) throw new CellError(`column ${col}: ${err.message}`);
      if (err instanceof SyntaxError) throw new CellError(`column ${col}: not JSON (${err.message})`);
      throw err;
    }
    for (const d of here) doubts.push(`column ${col}: ${d}`);
  }
  return rec;
}

/**
 * A map cell in Trino's text (CloudTrail Lake's requestParameters): `{userName=alice, tags=[...]}`.
 * Keys are unknown, so an entry ends at the next `, word=`; a value that is itself `{...}` is read the
 * same way, one that is JSON as JSON. Keys keep their case. A key read twice is a doubt: one of the
 * two was a value's text.
 */
function mapText(cell: string, doubts: string[]): unknown {
  const v = parseStruct('MAP', cell, doubts) as Record<string, unknown>;
  const deep = (x: unknown): unknown => {
    if (typeof x !== 'string') return x;
    if (x.startsWith('[') || x.startsWith('{"') || x === '{}') {
      try {
        return JSON.parse(x);
      } catch {
        return x;
      }
    }
    if (x.startsWith('{') && x.includes('=')) {
      const inner: string[] = [];
      try {
        const m = Object.fromEntries(Object.entries(parseStruct('MAP', x, inner) as Record<string, unknown>).map(([k, y]) => [k, deep(y)]));
        doubts.push(...inner);
        return m;
      } catch {
        return x;
      }
    }
    return x;
  };
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]));
}

/** A JSON text column's value: the JSON it holds (Athena keeps it as text), or the text itself when it is not JSON. */
function jsonCell(cell: string): unknown {
  try {
    return JSON.parse(cell);
  } catch {
    return cell;
  }
}
