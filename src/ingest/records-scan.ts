/**
 * One pass over a whole JSON text that learns what bytes.ts's DepthScanner learns (the deepest
 * nesting, whether it is one bracketed value) and, for a CloudTrail S3 file, whether DuckDB may read
 * it straight into the record's typed columns (`clean`) with the JSON nulls of each record's fields
 * (`masks`, null_field_mask's bits) which a typed read cannot tell from absent fields.
 *
 * Clean means that the typed read loses nothing the MAP read of record-sql.ts eventsSelect would keep:
 * the text is `{"Records":[{...},...]}`; in every record, and in its userIdentity, sessionContext,
 * sessionIssuer and attributes objects, every key is a field of the record (store/schema.ts RECORD),
 * none twice and none with an escape; text fields hold strings, boolean fields true, false or a
 * string, struct fields objects, and any field may be null. Anything else is read the careful way.
 *
 * Keys are matched without making strings (this runs on every byte of every file): by length, first
 * and last byte, then byte by byte. Whatever the verdict, depth and `single` are the DepthScanner's.
 */
import { RECORD, type StructField } from '../store/schema.js';

/** Off: every file is read the careful way (the tests compare the two reads on the same files). */
export const typedReads = { enabled: true };

export interface RecordsScan {
  /** The deepest nesting, counted up to stopAt + 1 (then the scan stops: `stopped`). */
  max: number;
  stopped: boolean;
  /** One bracketed value with only whitespace after it. */
  single: boolean;
  /** For a clean S3 file: each record's null_field_mask (0 for none), in order. */
  masks?: number[];
  /** With masks: where each record ends (the index of its closing brace), in order (record-lines.ts). */
  ends?: number[];
}

/** How a field's value is checked: text, boolean, any JSON, or an object of another level. */
type Check = 'text' | 'bool' | 'json' | number;

interface Key {
  bytes: Buffer;
  bit: number;
  check: Check;
}

/** Container kinds; object levels are LEVEL_RECORD and above (index into LEVELS). */
const UNTRACKED = 0;
const ROOT = 1;
const RECORDS = 2;
const LEVEL_RECORD = 3;

/** The lookup of each object level's keys, by a hash of (length, first byte, last byte): a slot of TABLE_SIZE, its keys chained. */
const TABLE_SIZE = 512;
const LEVELS: (Key[] | undefined)[][] = [];
const hashOf = (len: number, first: number, last: number) => (len * 61 + first * 7 + last * 3) & (TABLE_SIZE - 1);

function addLevel(fields: StructField): number {
  const at = LEVELS.length;
  const table: (Key[] | undefined)[] = new Array(TABLE_SIZE).fill(undefined);
  LEVELS.push(table);
  for (const [i, [name, t]] of Object.entries(fields).entries()) {
    // Bits of an int32: a level of more than 31 fields would need another mask type.
    if (i > 30) throw new Error(`records-scan: ${name}: more than 31 fields in one level`);
    const check: Check = typeof t !== 'string' ? addLevel(t) : t === 'JSON' ? 'json' : t === 'BOOLEAN' ? 'bool' : 'text';
    const bytes = Buffer.from(name, 'latin1');
    const h = hashOf(bytes.length, bytes[0]!, bytes[bytes.length - 1]!);
    table[h] = [...(table[h] ?? []), { bytes, bit: 1 << i, check }];
  }
  return at;
}
LEVELS.push([], [], []); // UNTRACKED, ROOT, RECORDS: no table
if (addLevel(RECORD) !== LEVEL_RECORD) throw new Error('records-scan: level layout');

const RECORDS_KEY = Buffer.from('Records');

/**
 * The object levels' keys for records-scan-wasm.ts, as native/records-scan's init() reads them: the
 * number of levels from LEVEL_RECORD on, then for each its number of keys and for each key its
 * length, its bytes, its bit's index and its check (0 text, 1 boolean, 2 JSON, else the level of
 * the object it holds).
 */
export function keyTable(): Uint8Array {
  const out: number[] = [LEVELS.length - LEVEL_RECORD];
  for (const table of LEVELS.slice(LEVEL_RECORD)) {
    const keys = table.flatMap((slot) => slot ?? []);
    out.push(keys.length);
    for (const k of keys) {
      const check = k.check === 'text' ? 0 : k.check === 'bool' ? 1 : k.check === 'json' ? 2 : k.check;
      out.push(k.bytes.length, ...k.bytes, Math.log2(k.bit), check);
    }
  }
  if (out.some((v) => v > 255)) throw new Error('records-scan: key table does not fit in bytes');
  return Uint8Array.from(out);
}

function findKey(level: number, b: Buffer, s: number, e: number): Key | undefined {
  const len = e - s;
  if (len === 0) return undefined;
  const keys = LEVELS[level]![hashOf(len, b[s]!, b[e - 1]!)];
  if (keys === undefined) return undefined;
  for (let x = 0; x < keys.length; x++) {
    const k = keys[x]!;
    const kb = k.bytes;
    if (kb.length !== len) continue;
    let j = 0;
    while (j < len && kb[j] === b[s + j]) j++;
    if (j === len) return k;
  }
  return undefined;
}

/** JSON's whitespace (record-lines.ts checks the text around the records with it too). */
export const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The end of a string opened before `from` (the index of its closing quote), or -1: the first quote an even run of backslashes precedes. */
function stringEnd(b: Buffer, from: number): number {
  let q = b.indexOf(0x22, from);
  while (q >= 0) {
    let k = q - 1;
    while (k >= from && b[k] === 0x5c) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    q = b.indexOf(0x22, q + 1);
  }
  return -1;
}

export function scanRecords(b: Buffer, stopAt: number): RecordsScan {
  const n = b.length;
  let depth = 0;
  let max = 0;
  let closed = false;
  let after = false;
  let unterminated = false;
  // The typed read's verdict: tracking stops at the first thing it cannot take.
  let clean = true;
  let sawRecords = false;
  const kind = new Int32Array(Math.min(stopAt, 64) + 2);
  const seen = new Int32Array(kind.length);
  /** The kind of the container at `depth` (UNTRACKED once tracking stops or below what is tracked). */
  let cur = UNTRACKED;
  /** The current tracked object awaits a key. */
  let expectKey = false;
  /** The kind the next container opened gets (the value of a struct field). */
  let pending = UNTRACKED;
  let mask = 0;
  const masks: number[] = [];
  const ends: number[] = [];
  let i = 0;
  while (i < n) {
    const c = b[i++]!;
    if (depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && (closed || (c !== 0x7b && c !== 0x5b))) after = true;
    if (c === 0x22) {
      const s = i;
      const q = stringEnd(b, i);
      if (q < 0) {
        unterminated = true;
        break;
      }
      i = q + 1;
      if (!clean || cur === UNTRACKED) continue;
      if (!expectKey) {
        // A string where a record is due (an element of Records) is no record.
        if (cur === RECORDS) clean = false;
        continue;
      }
      expectKey = false;
      // The value's first byte, after the colon (S3 writes none of the whitespace JSON allows).
      let j = i;
      if (b[j] !== 0x3a) {
        while (isSpace(b[j])) j++;
        if (b[j] !== 0x3a) {
          clean = false;
          continue;
        }
      }
      let v = b[++j];
      if (isSpace(v)) {
        while (isSpace(b[j])) j++;
        v = b[j];
      }
      if (cur === ROOT) {
        // The root holds Records and nothing else.
        if (sawRecords || q - s !== RECORDS_KEY.length || b.compare(RECORDS_KEY, 0, RECORDS_KEY.length, s, q) !== 0 || v !== 0x5b) clean = false;
        else {
          sawRecords = true;
          pending = RECORDS;
        }
        continue;
      }
      // A key written with an escape matches no field's bytes: not clean, as DuckDB would decode it.
      const key = findKey(cur, b, s, q);
      if (!key || (seen[depth]! & key.bit) !== 0) {
        clean = false;
        continue;
      }
      seen[depth]! |= key.bit;
      if (v === 0x6e) {
        if (cur === LEVEL_RECORD) mask |= key.bit;
        continue;
      }
      const { check } = key;
      if (check === 'json') continue;
      if (check === 'text') {
        if (v !== 0x22) clean = false;
      } else if (check === 'bool') {
        if (v !== 0x74 && v !== 0x66 && v !== 0x22) clean = false;
      } else if (v === 0x7b) pending = check;
      else clean = false;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > stopAt) return { max, stopped: true, single: false };
      }
      if (!clean) continue;
      if (depth >= kind.length) {
        // Deeper than anything tracked: only inside JSON values, untracked.
        cur = UNTRACKED;
        continue;
      }
      let k = pending;
      pending = UNTRACKED;
      if (depth === 1) k = c === 0x7b ? ROOT : UNTRACKED;
      else if (cur === RECORDS) k = LEVEL_RECORD;
      if ((depth === 1 && k !== ROOT) || (k === LEVEL_RECORD && c !== 0x7b)) clean = false;
      kind[depth] = k;
      seen[depth] = 0;
      cur = k;
      expectKey = k === ROOT || k >= LEVEL_RECORD;
      if (k === LEVEL_RECORD) mask = 0;
    } else if (c === 0x7d || c === 0x5d) {
      if (clean && cur === LEVEL_RECORD) {
        masks.push(mask);
        ends.push(i - 1);
      }
      if (--depth === 0) closed = true;
      else if (depth < 0) after = true;
      expectKey = false;
      cur = depth > 0 && depth < kind.length ? kind[depth]! : UNTRACKED;
    } else if (c === 0x2c) {
      if (clean && (cur === ROOT || cur >= LEVEL_RECORD)) expectKey = true;
    } else if (clean && cur === RECORDS && !isSpace(c)) clean = false;
  }
  const single = closed && !after && depth === 0 && !unterminated;
  return { max, stopped: false, single, ...(clean && single && sawRecords && typedReads.enabled ? { masks, ends } : {}) };
}
