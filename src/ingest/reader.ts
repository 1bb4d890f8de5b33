/**
 * The record-by-record reader for every shape except the S3 fast path: decode (gzip, UTF-8/16),
 * split into JSON values or CSV rows, interpret, and hand records to a sink. A file that breaks
 * half-way (truncated gzip, a bad byte) keeps the records read before the break.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ExpansionError, openContent } from './bytes.js';
import { NotCloudTrailCsv, readCsv } from './csv.js';
import { interpretValue, type RecordSink } from './interpret.js';
import { JsonValueSplitter } from './json-values.js';
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
}

/** Reading CSV that is not CloudTrail: the whole file is rejected with this reason. */
export class NotEvidence extends Error {}

const RAW_LIMIT = 1 << 20;

export async function readRecords(realPath: string, spec: ReadSpec, limit: number, sink: RecordSink): Promise<ReadOutcome> {
  let format = spec.kind === 'csv' ? 'csv' : 'json';
  let skipped: string | undefined;
  let shapes = 0;
  const tracking: RecordSink = {
    record: (r, p, w) => sink.record(r, p, w),
    bad: (reason, raw) => sink.bad(reason, raw.length > RAW_LIMIT ? raw.slice(0, RAW_LIMIT) : raw),
    shape: (f) => {
      if (shapes++ === 0 || f !== 'json') format = f;
    },
    skipped: (r) => (skipped = r),
  };
  const content = openContent(realPath, spec.gzip, limit);
  const text = decoder(spec.encoding ?? 'utf-8');
  // .pipe() does not forward errors: a truncated gzip or a bomb must end the read, not hang it.
  content.on('error', (e) => text.destroy(e));
  content.pipe(text);
  try {
    if (spec.kind === 'csv') await readCsv(text, tracking);
    else await readJson(text, tracking);
  } catch (err) {
    if (err instanceof NotCloudTrailCsv) throw new NotEvidence(err.message);
    const msg = err instanceof ExpansionError ? err.message : (err as Error).message;
    return { format, error: msg, skipped };
  }
  return { format, skipped };
}

async function readJson(text: AsyncIterable<string>, sink: RecordSink): Promise<void> {
  const splitter = new JsonValueSplitter();
  let values = 0;
  const one = (text: string, line: number, unterminated: boolean) => {
    values++;
    const where = `line ${line}`;
    let parsed: unknown;
    try {
      if (unterminated) throw new Error('unterminated');
      parsed = JSON.parse(text);
    } catch (err) {
      // In JSON Lines, one broken line (an unclosed string) swallows the lines after it: read those again one by one.
      if (text.includes('\n') && recoverLines(text, line, one)) return;
      const why = unterminated ? 'the file ends inside a JSON value that starts here: it is truncated' : `not valid JSON (${(err as Error).message})`;
      sink.bad(`${where}: ${why}`, text);
      return;
    }
    interpretValue(parsed, sink, where, values);
  };
  const handle = (vals: ReturnType<JsonValueSplitter['push']>) => {
    for (const v of vals) {
      if (v.junk) {
        values++;
        sink.bad(`line ${v.line}: not JSON (${JSON.stringify(v.text.slice(0, 40))})`, v.text);
      } else one(v.text, v.line, Boolean(v.unterminated));
    }
  };
  for await (const chunk of text) handle(splitter.push(chunk));
  handle(splitter.end());
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

function utf8Len(b: Buffer, i: number): number {
  const c = b[i]!;
  const need = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
  if (need === 0) return 0;
  for (let k = 1; k < need && i + k < b.length; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  return need; // complete, or cut by the chunk end with valid bytes so far: not the culprit
}

/**
 * A value that failed to parse but whose later lines are complete JSON objects on their own is
 * JSON Lines with a broken line: each line is read alone. A truncated pretty-printed file is not
 * (its later lines are fragments) and stays one rejected value.
 */
function recoverLines(text: string, firstLine: number, one: (text: string, line: number, unterminated: boolean) => void): boolean {
  const lines = text.split('\n');
  const whole = (l: string) => {
    const t = l.trim();
    if (!t.startsWith('{') || !t.endsWith('}')) return false;
    try {
      JSON.parse(t);
      return true;
    } catch {
      return false;
    }
  };
  if (!lines.slice(1).some(whole)) return false;
  lines.forEach((l, k) => {
    if (l.trim()) one(l, firstLine + k, false);
  });
  return true;
}
