/**
 * Content detection: what a file is, from its first bytes (decompressed when gzip), never from its
 * name. sniff() checks in order: operating-system metadata, empty, zip, tar, a DuckDB file, other
 * compressions, gzip; classifyText() then tells the S3 fast path ({"Records":[...]}), other JSON,
 * CSV and plain text apart. A new shape is one more check there; the JSON wrappers the record
 * reader understands are the WRAPPERS registry of interpret.ts, its readers reader.ts and csv.ts.
 */
import path from 'node:path';
import { MAX_NATIVE_DEPTH, gunzipHead, gzipIsize, isGzip, type Probe } from './bytes.js';

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export type Sniffed =
  /** `{"Records":[...]}`: loaded by DuckDB's JSON reader directly (the S3 export fast path). */
  | { kind: 'records'; gzip: boolean; isize?: number }
  /** Any other JSON text (lookup-events pages, JSON Lines, arrays, Logstash): read record by record. */
  | { kind: 'json'; gzip: boolean; encoding: Encoding; bom: boolean }
  | { kind: 'csv'; gzip: boolean; encoding: Encoding; bom: boolean }
  | { kind: 'zip' }
  | { kind: 'tar'; gzip: boolean }
  | { kind: 'skip'; format: string; reason: string }
  | { kind: 'reject'; format: string; reason: string };

const SYSTEM_FILES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini', '.localized']);

export function sniff(probe: Probe, displayPath: string): Sniffed {
  const size = probe.size;
  const base = path.basename(displayPath).toLowerCase();
  if (SYSTEM_FILES.has(base) || /(^|[\\/])__MACOSX[\\/]/.test(displayPath) || base.startsWith('._')) {
    return { kind: 'skip', format: 'system', reason: 'operating-system metadata file, not evidence' };
  }
  if (size === 0) return { kind: 'reject', format: 'empty', reason: 'empty file (0 bytes): nothing to read; was the copy or download complete?' };

  const raw = probe.head;
  if (raw[0] === 0x50 && raw[1] === 0x4b && (raw[2] === 0x03 || raw[2] === 0x05)) return { kind: 'zip' };
  if (isTar(raw)) return { kind: 'tar', gzip: false };
  if (raw.subarray(8, 12).toString('latin1') === 'DUCK')
    return { kind: 'skip', format: 'duckdb', reason: 'a DuckDB database (another keytrail case?), not evidence' };
  const other = otherCompression(raw);
  if (other)
    return {
      kind: 'reject',
      format: other,
      reason: `${other} compressed data is not supported: decompress it and ingest the result (gzip, zip and tar.gz are read directly)`,
    };

  let head = raw;
  const gzip = isGzip(raw);
  let isize: number | undefined;
  if (gzip) {
    const g = probe.inflatedHead ? { head: probe.inflatedHead, error: undefined } : gunzipHead(raw);
    if (g.head.length === 0) return { kind: 'reject', format: 'gzip', reason: g.error ?? 'gzip file that decompresses to nothing' };
    head = g.head;
    if (isTar(head)) return { kind: 'tar', gzip: true };
    isize = gzipIsize(probe);
  }
  return classifyText(head, gzip, isize, probe.depth);
}

function classifyText(head: Buffer, gzip: boolean, isize: number | undefined, depth: number | undefined): Sniffed {
  const { encoding, bom } = detectEncoding(head);
  if (encoding === 'utf-8' && looksBinary(head)) {
    return {
      kind: 'reject',
      format: 'binary',
      reason: `binary data, not text (first bytes: ${hex(head.subarray(0, 8))}); CloudTrail evidence is JSON, JSON Lines or CSV`,
    };
  }
  const text = decodeHead(head, encoding, bom);
  const start = text.search(/\S/);
  if (start < 0) return { kind: 'reject', format: 'empty', reason: 'only whitespace: no records' };
  const first = text[start];
  if (first === '{' || first === '[') {
    const rest = text.slice(start);
    // DuckDB reads a CloudTrail file directly, unless the file nests too deep for it (see probeFile).
    if (encoding === 'utf-8' && !bom && /^\{\s*"Records"\s*:\s*\[/.test(rest) && (depth ?? 0) <= MAX_NATIVE_DEPTH) return { kind: 'records', gzip, isize };
    if (/^\{\s*"Records"\s*:\s*[^[\s]/.test(rest)) {
      return { kind: 'reject', format: 'json', reason: '"Records" is not a list: a CloudTrail file holds {"Records": [ ...events... ]}' };
    }
    if (/"digestStartTime"\s*:/.test(rest) && /"digestS3Object"\s*:/.test(rest) && !/"Records"\s*:/.test(rest)) {
      return { kind: 'skip', format: 'cloudtrail-digest', reason: 'CloudTrail-Digest file: integrity hashes of log files, no events' };
    }
    return { kind: 'json', gzip, encoding, bom };
  }
  if (/^[\w"'\s]/.test(first ?? '') && /[,;\t]/.test(text.slice(start, text.indexOf('\n', start) >>> 0))) {
    return { kind: 'csv', gzip, encoding, bom };
  }
  // A README or notes beside the evidence: not an error, but listed so nothing passes unseen.
  return {
    kind: 'skip',
    format: 'text',
    reason: `text that is neither JSON nor CSV, so not CloudTrail evidence (starts with ${JSON.stringify(text.slice(start, start + 40))})`,
  };
}

function detectEncoding(b: Buffer): { encoding: Encoding; bom: boolean } {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8', bom: true };
  if (b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', bom: true };
  if (b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', bom: true };
  // UTF-16 without a BOM: every other byte of ASCII text is zero.
  if (b.length >= 4 && b[1] === 0 && b[3] === 0 && b[0] !== 0 && b[2] !== 0) return { encoding: 'utf-16le', bom: false };
  if (b.length >= 4 && b[0] === 0 && b[2] === 0 && b[1] !== 0 && b[3] !== 0) return { encoding: 'utf-16be', bom: false };
  return { encoding: 'utf-8', bom: false };
}

function decodeHead(b: Buffer, enc: Encoding, bom: boolean): string {
  const body = bom ? b.subarray(enc === 'utf-8' ? 3 : 2) : b;
  if (enc === 'utf-16be') return new TextDecoder('utf-16be').decode(body);
  return new TextDecoder(enc).decode(body);
}

/** NUL bytes, or many control characters, in what should be text. */
function looksBinary(b: Buffer): boolean {
  const n = Math.min(b.length, 8192);
  // Text has none of these at all: one native scan decides, the count below only when it must.
  if (!/[\x00-\x08\x0e-\x1f]/.test(b.toString('latin1', 0, n))) return false;
  let control = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0) return true;
    if (c < 9 || (c > 13 && c < 32)) control++;
  }
  return control > n / 20;
}

function isTar(b: Buffer): boolean {
  return b.length > 262 && b.subarray(257, 262).toString('latin1') === 'ustar';
}

function otherCompression(b: Buffer): string | undefined {
  if (b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'bzip2';
  if (b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58) return 'xz';
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  if (b[0] === 0x37 && b[1] === 0x7a && b[2] === 0xbc && b[3] === 0xaf) return '7z';
  if (b.subarray(0, 4).toString('latin1') === 'Rar!') return 'rar';
  return undefined;
}

const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
