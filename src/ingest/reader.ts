/**
 * The record-by-record reader for every shape except the S3 fast path: decode (gzip, UTF-8/16),
 * split into JSON values or CSV rows, interpret, and hand records to a sink. A file that breaks
 * half-way (truncated gzip, a bad byte) keeps the records read before the break.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { KeytrailError, messageOf } from '../errors.js';
import { formatBytes, openContent } from './bytes.js';
import { NotCloudTrailCsv, readCsv } from './csv.js';
import { interpretValue, isWrapper, readLookupEvent, readRecord, type RecordSink } from './interpret.js';
import { DEFAULT_SPLIT_LIMITS, JsonSplitter, type Piece, type SplitLimits } from './json-values.js';
import type { Encoding } from './sniff.js';

export interface ReadSpec {
  kind: 'json' | 'csv' | 'records';
  gzip: boolean;
  encoding?: Encoding;
}

export interface ReadOutcome {
  format: string;
  /** Why reading stopped early, when it did; records before it were kept. */
  error?: string;
  /** The whole file is not evidence (a digest). */
  skipped?: string;
  /** Something a person should know that lost nothing (trailing garbage after the gzip data). */
  note?: string;
  /** What a person should know about how records were read (struct text read one way of several): the file is partial. */
  notes?: string[];
}

/** Reading CSV that is not CloudTrail: the whole file is rejected with this reason. */
export class NotEvidence extends KeytrailError {
  constructor(message: string) {
    super('NOT_EVIDENCE', message);
  }
}

const RAW_LIMIT = 1 << 20;

export async function readRecords(
  realPath: string,
  spec: ReadSpec,
  limit: number,
  sink: RecordSink,
  split: SplitLimits = DEFAULT_SPLIT_LIMITS,
): Promise<ReadOutcome> {
  let format = spec.kind === 'csv' ? 'csv' : 'json';
  let skipped: string | undefined;
  let shapes = 0;
  const tracking: RecordSink = {
    record: (r, p, w, raw) => sink.record(r, p, w, raw),
    bad: (reason, raw) => sink.bad(reason, raw.length > RAW_LIMIT ? raw.slice(0, RAW_LIMIT) : raw),
    shape: (f) => {
      if (shapes++ === 0 || f !== 'json') format = f;
    },
    skipped: (r) => (skipped = r),
  };
  let trailing = 0;
  const content = openContent(realPath, spec.gzip, limit, (n) => (trailing = n));
  // JSON: a byte that is not UTF-8 costs the record it is in (lenient decoder); CSV: the file, with
  // the encoding named (a CSV saved by Excel as Windows-1252 is wrong throughout).
  const text = spec.kind !== 'csv' && (spec.encoding ?? 'utf-8') === 'utf-8' ? lenientUtf8() : decoder(spec.encoding ?? 'utf-8');
  // .pipe() does not forward errors: a truncated gzip or a bomb must end the read, not hang it.
  content.on('error', (e) => text.destroy(e));
  content.pipe(text);
  let truncated: string | undefined;
  const notes: string[] = [];
  try {
    if (spec.kind === 'csv') await readCsv(text, tracking, notes);
    else truncated = await readJson(text, tracking, split);
  } catch (err) {
    if (err instanceof NotCloudTrailCsv) throw new NotEvidence(err.message);
    return { format, error: messageOf(err), skipped, ...(notes.length > 0 ? { notes } : {}) };
  }
  const note = trailing ? `${formatBytes(trailing)} after the end of the gzip data ignored (trailing garbage, as gzip -d ignores it)` : undefined;
  return { format, skipped, ...(truncated ? { error: truncated } : {}), ...(note ? { note } : {}), ...(notes.length > 0 ? { notes } : {}) };
}

/** Read JSON text piece by piece; returns why the text ended early (inside a list of records), if it did. */
async function readJson(text: AsyncIterable<string>, sink: RecordSink, limits: SplitLimits): Promise<string | undefined> {
  const splitter = new JsonSplitter(limits);
  const state: ReadState = { values: 0, truncated: undefined, limits };
  for await (const chunk of text) for (const p of splitter.push(chunk)) readPiece(p, sink, state);
  for (const p of splitter.end()) readPiece(p, sink, state);
  return state.truncated;
}

interface ReadState {
  values: number;
  truncated: string | undefined;
  limits: SplitLimits;
}

const WRAPPER_FORMAT = { Records: 'cloudtrail-records', Events: 'lookup-events', array: 'json-array' } as const;
const NOT_TEXT = 'it holds bytes that are not UTF-8 text (or a NUL byte): not loaded';

/** One piece of the splitter: records to the sink, anything else a reason. */
function readPiece(p: Piece, sink: RecordSink, state: ReadState): void {
  switch (p.kind) {
    case 'open':
      return sink.shape(WRAPPER_FORMAT[p.wrapper]);
    case 'close':
      if (p.unterminated) state.truncated = 'the file ends inside its list of records: it is truncated';
      return;
    case 'junk':
      state.values++;
      return sink.bad(`line ${p.line}: not JSON (${JSON.stringify(p.text.slice(0, 40))})`, p.text);
    case 'oversize':
      return sink.bad(oversizeReason(p, state.limits), p.head);
    case 'item':
      return readItem(p, sink, state);
    case 'value':
      state.values++;
      return readValue(p, sink, state);
  }
}

function oversizeReason(p: Extract<Piece, { kind: 'oversize' }>, limits: SplitLimits): string {
  const where = p.index !== undefined ? `line ${p.line}, record ${p.index}` : `line ${p.line}`;
  const why =
    p.why === 'depth'
      ? `nested more than ${limits.maxDepth} levels deep (${p.depth} at least): not loaded`
      : `${formatBytes(p.bytes)}, over the ${formatBytes(limits.maxBytes)} limit for one record: not loaded`;
  return `${where}: ${why}`;
}

/** One element of a wrapper's list: a record, a lookup-events entry, or (in an array) a wrapper of its own. */
function readItem(p: Extract<Piece, { kind: 'item' }>, sink: RecordSink, state: ReadState): void {
  const where = `line ${p.line}, record ${p.index}`;
  const v = parse(p.text, where, p.unterminated ? 'the file ends inside this record: it is truncated' : undefined, sink);
  if (v === undefined) return;
  if (p.wrapper === 'Events') return readLookupEvent(v.value, sink, where, state.limits);
  if (p.wrapper === 'array' && isWrapper(v.value)) return readNested(p.text, sink, state);
  return readRecord(v.value, sink, where, p.text);
}

/** A whole top-level value: a record, or a wrapper read as a whole. */
function readValue(p: Extract<Piece, { kind: 'value' }>, sink: RecordSink, state: ReadState): void {
  const where = `line ${p.line}`;
  const broken = p.unterminated
    ? 'the file ends inside a JSON value that starts here: it is truncated'
    : p.broken
      ? 'the line ends inside a string: not valid JSON'
      : undefined;
  const v = parse(p.text, where, broken, sink);
  if (v === undefined) return;
  if (isWrapper(v.value)) return interpretValue(v.value, sink, where, state.values);
  return interpretValue(v.value, sink, where, state.values, p.text);
}

/** A wrapper inside a JSON array (`[{"Records":[...]}, ...]`): its own text, split again. */
function readNested(text: string, sink: RecordSink, state: ReadState): void {
  const inner = new JsonSplitter(state.limits);
  for (const q of [...inner.push(text), ...inner.end()]) readPiece(q, sink, state);
}

/** JSON.parse, or the reason the text is not one JSON value (given to the sink as a rejected record). */
function parse(text: string, where: string, broken: string | undefined, sink: RecordSink): { value: unknown } | undefined {
  if (text.includes('\u0000')) {
    sink.bad(`${where}: ${NOT_TEXT}`, text.replace(/\u0000/g, '\ufffd'));
    return undefined;
  }
  if (broken) {
    sink.bad(`${where}: ${broken}`, text);
    return undefined;
  }
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    sink.bad(`${where}: not valid JSON (${messageOf(err)})`, text);
    return undefined;
  }
}

/**
 * UTF-8 bytes → text, never failing: a byte sequence that is not UTF-8 becomes a NUL, which no
 * valid JSON text holds raw, so the record it falls in is rejected and the records around it are kept.
 */
function lenientUtf8(): Transform {
  let carry = Buffer.alloc(0);
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      const b = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const cut = completeUpTo(b);
      carry = Buffer.from(b.subarray(cut));
      cb(null, decodeLenient(b.subarray(0, cut)));
    },
    flush(cb) {
      cb(null, carry.length ? `${decodeLenient(carry)}\u0000` : '');
    },
  });
}

/** Where the last complete character of `b` ends (a multi-byte character cut by the chunk's end waits for the next). */
function completeUpTo(b: Buffer): number {
  for (let k = 1; k <= 3 && k <= b.length; k++) {
    const c = b[b.length - k]!;
    if (c < 0x80) return b.length;
    if (c >= 0xc0) {
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return need > k ? b.length - k : b.length;
    }
  }
  return b.length;
}

function decodeLenient(b: Buffer): string {
  if (isUtf8(b)) return b.toString('utf8');
  let out = '';
  let run = 0;
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = utf8Need(c);
    if (n > 0 && i + n <= b.length && isUtf8(b.subarray(i, i + n))) {
      i += n;
      continue;
    }
    out += `${b.toString('utf8', run, i)}\u0000`;
    i++;
    run = i;
  }
  return out + b.toString('utf8', run);
}

/** Bytes → text, refusing bytes that are not valid in the encoding (never a silent U+FFFD). */
function decoder(encoding: Encoding): Transform {
  const td = new TextDecoder(encoding, { fatal: true });
  let offset = 0;
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        const s = td.decode(chunk, { stream: true });
        offset += chunk.length;
        cb(null, s);
      } catch {
        cb(new Error(invalidText(encoding, chunk, offset)));
      }
    },
    flush(cb) {
      try {
        cb(null, td.decode());
      } catch {
        cb(new Error(`not valid ${encoding} text: the file ends in the middle of a character`));
      }
    },
  });
}

function invalidText(encoding: Encoding, chunk: Buffer, offset: number): string {
  if (encoding !== 'utf-8') return `not valid ${encoding} text (near byte ${offset})`;
  let i = 0;
  // Find the first byte that breaks UTF-8, to name it.
  while (i < chunk.length) {
    const n = utf8Len(chunk, i);
    if (n === 0) break;
    i += n;
  }
  const b = chunk[i] ?? 0;
  const latin1 = b >= 0x80 ? ` (byte 0x${b.toString(16)} is "${Buffer.from([b]).toString('latin1')}" in Windows-1252/Latin-1, as Excel saves CSV)` : '';
  return `not UTF-8 text: invalid byte at offset ${offset + i}${latin1}; save the file as UTF-8 and ingest it again`;
}

/** The length of the UTF-8 sequence a lead byte starts, or 0 when it starts none. */
const utf8Need = (c: number) => (c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0);

function utf8Len(b: Buffer, i: number): number {
  const need = utf8Need(b[i]!);
  if (need === 0) return 0;
  for (let k = 1; k < need && i + k < b.length; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  return need; // complete, or cut by the chunk end with valid bytes so far: not the culprit
}
