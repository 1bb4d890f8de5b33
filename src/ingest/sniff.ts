/**
 * Content detection: what a file is, from its first bytes (decompressed when gzip), never from its
 * name. Three ordered tables of detectors, each a name, a test and the answer, walked in order, the
 * first whose test holds deciding: FILE_DETECTORS on the file as found (operating-system metadata,
 * empty, zip, tar, a DuckDB file, other compressions), GZIP_DETECTORS on what a gzip file
 * decompresses to (nothing, a tar), then TEXT_DETECTORS on the text (binary, blank, the S3 fast path
 * {"Records":[...]}, a digest, other JSON, CSV; anything else is plain text). A new shape is one
 * more entry in its table; the JSON wrappers the record reader understands are the WRAPPERS
 * registry of interpret.ts, its readers reader.ts and csv.ts.
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

/** One shape: its name, whether the input is of it, and what sniff then says. */
interface Detector<T> {
  name: string;
  test: (x: T) => boolean;
  result: (x: T) => Sniffed;
}

/** The answer of the first detector whose test holds, if one does. */
function detect<T>(detectors: readonly Detector<T>[], x: T): Sniffed | undefined {
  for (const d of detectors) if (d.test(x)) return d.result(x);
  return undefined;
}

export function sniff(probe: Probe, displayPath: string): Sniffed {
  const file: FileView = { probe, displayPath, base: path.basename(displayPath).toLowerCase(), head: probe.head };
  return detect(FILE_DETECTORS, file) ?? (isGzip(probe.head) ? sniffGzip(probe) : sniffText(new TextHead(probe.head, false, undefined, probe.depth)));
}

function sniffGzip(probe: Probe): Sniffed {
  const inflated: Inflated = probe.inflatedHead ? { head: probe.inflatedHead } : gunzipHead(probe.head);
  return detect(GZIP_DETECTORS, inflated) ?? sniffText(new TextHead(inflated.head, true, gzipIsize(probe), probe.depth));
}

function sniffText(t: TextHead): Sniffed {
  return detect(TEXT_DETECTORS, t) ?? plainText(t);
}

// ---- the file as found ----

interface FileView {
  probe: Probe;
  displayPath: string;
  /** The file name, lower-cased. */
  base: string;
  /** Its first bytes, as stored. */
  head: Buffer;
}

const SYSTEM_FILES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini', '.localized']);

/** `bytes` at `offset` of `b`. */
function hasBytes(b: Buffer, offset: number, bytes: readonly number[]): boolean {
  for (let i = 0; i < bytes.length; i++) if (b[offset + i] !== bytes[i]) return false;
  return true;
}

const isTar = (b: Buffer) => b.length > 262 && b.subarray(257, 262).toString('latin1') === 'ustar';

/** Compressions keytrail does not read, by their magic bytes: the file is rejected, saying which. */
const OTHER_COMPRESSIONS: readonly { format: string; magic: readonly number[] }[] = [
  { format: 'bzip2', magic: [0x42, 0x5a, 0x68] },
  { format: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58] },
  { format: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd] },
  { format: '7z', magic: [0x37, 0x7a, 0xbc, 0xaf] },
  { format: 'rar', magic: [0x52, 0x61, 0x72, 0x21] }, // "Rar!"
];

const FILE_DETECTORS: readonly Detector<FileView>[] = [
  {
    name: 'operating-system metadata',
    test: (f) => SYSTEM_FILES.has(f.base) || /(^|[\\/])__MACOSX[\\/]/.test(f.displayPath) || f.base.startsWith('._'),
    result: () => ({ kind: 'skip', format: 'system', reason: 'operating-system metadata file, not evidence' }),
  },
  {
    // A digest's signature beside it (CloudTrail keeps it in the S3 object's metadata): what keytrail verify reads.
    name: 'digest-signature',
    test: (f) =>
      (f.base.endsWith('.sig') && f.probe.size <= 4096 && /^\s*[0-9a-fA-F]{64,}\s*$/.test(f.head.toString('latin1'))) ||
      (f.base.endsWith('.head.json') &&
        f.probe.size <= 65536 &&
        /"Metadata"\s*:/.test(f.head.toString('latin1')) &&
        /"signature"\s*:/.test(f.head.toString('latin1'))),
    result: () => ({
      kind: 'skip',
      format: 'digest-signature',
      reason: 'signature of a CloudTrail digest file (x-amz-meta-signature): read by keytrail verify, no events',
    }),
  },
  {
    name: 'empty',
    test: (f) => f.probe.size === 0,
    result: () => ({ kind: 'reject', format: 'empty', reason: 'empty file (0 bytes): nothing to read; was the copy or download complete?' }),
  },
  {
    name: 'zip',
    test: (f) => hasBytes(f.head, 0, [0x50, 0x4b, 0x03]) || hasBytes(f.head, 0, [0x50, 0x4b, 0x05]),
    result: () => ({ kind: 'zip' }),
  },
  { name: 'tar', test: (f) => isTar(f.head), result: () => ({ kind: 'tar', gzip: false }) },
  {
    name: 'duckdb',
    test: (f) => f.head.subarray(8, 12).toString('latin1') === 'DUCK',
    result: () => ({ kind: 'skip', format: 'duckdb', reason: 'a DuckDB database (another keytrail case?), not evidence' }),
  },
  ...OTHER_COMPRESSIONS.map(
    ({ format, magic }): Detector<FileView> => ({
      name: format,
      test: (f) => hasBytes(f.head, 0, magic),
      result: () => ({
        kind: 'reject',
        format,
        reason: `${format} compressed data is not supported: decompress it and ingest the result (gzip, zip and tar.gz are read directly)`,
      }),
    }),
  ),
];

// ---- what a gzip file decompresses to ----

/** The first bytes a gzip file decompresses to, or why none came out. */
interface Inflated {
  head: Buffer;
  error?: string;
}

const GZIP_DETECTORS: readonly Detector<Inflated>[] = [
  {
    name: 'gzip of nothing',
    test: (g) => g.head.length === 0,
    result: (g) => ({ kind: 'reject', format: 'gzip', reason: g.error ?? 'gzip file that decompresses to nothing' }),
  },
  { name: 'tar.gz', test: (g) => isTar(g.head), result: () => ({ kind: 'tar', gzip: true }) },
];

// ---- the text ----

/** Byte-order marks, and UTF-16 without one (every other byte of ASCII text is zero), in order. */
const ENCODINGS: readonly { test: (b: Buffer) => boolean; encoding: Encoding; bom: boolean }[] = [
  { test: (b) => hasBytes(b, 0, [0xef, 0xbb, 0xbf]), encoding: 'utf-8', bom: true },
  { test: (b) => hasBytes(b, 0, [0xff, 0xfe]), encoding: 'utf-16le', bom: true },
  { test: (b) => hasBytes(b, 0, [0xfe, 0xff]), encoding: 'utf-16be', bom: true },
  { test: (b) => b.length >= 4 && b[1] === 0 && b[3] === 0 && b[0] !== 0 && b[2] !== 0, encoding: 'utf-16le', bom: false },
  { test: (b) => b.length >= 4 && b[0] === 0 && b[2] === 0 && b[1] !== 0 && b[3] !== 0, encoding: 'utf-16be', bom: false },
];

/** The head of a file's text: its bytes, their encoding, and (decoded once, when first asked) the text. */
class TextHead {
  readonly encoding: Encoding;
  readonly bom: boolean;
  private decoded?: { text: string; start: number };

  constructor(
    readonly bytes: Buffer,
    readonly gzip: boolean,
    readonly isize: number | undefined,
    /** The probe's JSON depth, when it scanned one. */
    readonly depth: number | undefined,
  ) {
    const e = ENCODINGS.find((x) => x.test(bytes));
    this.encoding = e?.encoding ?? 'utf-8';
    this.bom = e?.bom ?? false;
  }

  get text(): string {
    return this.decode().text;
  }

  /** Where the first character that is not whitespace is; -1 when there is none. */
  get start(): number {
    return this.decode().start;
  }

  /** The text from its first character that is not whitespace. */
  get rest(): string {
    return this.text.slice(this.start);
  }

  /** It starts (after whitespace) with `{` or `[`. */
  get json(): boolean {
    const first = this.text[this.start];
    return first === '{' || first === '[';
  }

  private decode(): { text: string; start: number } {
    if (!this.decoded) {
      const body = this.bom ? this.bytes.subarray(this.encoding === 'utf-8' ? 3 : 2) : this.bytes;
      const text = new TextDecoder(this.encoding).decode(body);
      this.decoded = { text, start: text.search(/\S/) };
    }
    return this.decoded;
  }
}

const read =
  (kind: 'json' | 'csv') =>
  (t: TextHead): Sniffed => ({ kind, gzip: t.gzip, encoding: t.encoding, bom: t.bom });

const TEXT_DETECTORS: readonly Detector<TextHead>[] = [
  {
    name: 'binary',
    test: (t) => t.encoding === 'utf-8' && looksBinary(t.bytes),
    result: (t) => ({
      kind: 'reject',
      format: 'binary',
      reason: `binary data, not text (first bytes: ${hex(t.bytes.subarray(0, 8))}); CloudTrail evidence is JSON, JSON Lines or CSV`,
    }),
  },
  { name: 'blank', test: (t) => t.start < 0, result: () => ({ kind: 'reject', format: 'empty', reason: 'only whitespace: no records' }) },
  {
    // DuckDB reads a CloudTrail file directly, unless the file nests too deep for it (see probeFile).
    name: 'cloudtrail-records',
    test: (t) => t.encoding === 'utf-8' && !t.bom && t.json && /^\{\s*"Records"\s*:\s*\[/.test(t.rest) && (t.depth ?? 0) <= MAX_NATIVE_DEPTH,
    result: (t) => ({ kind: 'records', gzip: t.gzip, isize: t.isize }),
  },
  {
    name: 'records-not-a-list',
    test: (t) => t.json && /^\{\s*"Records"\s*:\s*[^[\s]/.test(t.rest),
    result: () => ({ kind: 'reject', format: 'json', reason: '"Records" is not a list: a CloudTrail file holds {"Records": [ ...events... ]}' }),
  },
  {
    name: 'cloudtrail-digest',
    test: (t) => t.json && /"digestStartTime"\s*:/.test(t.rest) && /"digestS3Object"\s*:/.test(t.rest) && !/"Records"\s*:/.test(t.rest),
    result: () => ({ kind: 'skip', format: 'cloudtrail-digest', reason: 'CloudTrail-Digest file: integrity hashes of log files, no events' }),
  },
  {
    name: 'cloudtrail-lake-sign',
    test: (t) => t.json && /"hashSignature"\s*:/.test(t.rest) && /"fileHashValue"\s*:/.test(t.rest),
    result: () => ({
      kind: 'skip',
      format: 'cloudtrail-lake-sign',
      reason: "CloudTrail Lake query results' sign file: the SHA-256 of each result file, no events (keytrail verify checks them)",
    }),
  },
  { name: 'json', test: (t) => t.json, result: read('json') },
  {
    name: 'csv',
    test: (t) => /^[\w"'\s]/.test(t.text[t.start] ?? '') && /[,;\t]/.test(t.text.slice(t.start, t.text.indexOf('\n', t.start) >>> 0)),
    result: read('csv'),
  },
];

/** A README or notes beside the evidence: not an error, but listed so nothing passes unseen. */
function plainText(t: TextHead): Sniffed {
  return {
    kind: 'skip',
    format: 'text',
    reason: `text that is neither JSON nor CSV, so not CloudTrail evidence (starts with ${JSON.stringify(t.text.slice(t.start, t.start + 40))})`,
  };
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

const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
