/**
 * Reading evidence bytes: hashes, heads, and decompressed streams that stop at a size limit.
 * Evidence is only ever opened with flag 'r'.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Transform, type TransformCallback, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { KeytrailError, messageOf } from '../errors.js';
import { errnoCode } from './errno.js';
import type { RecordLines } from './record-lines.js';
import { scanText } from './records-scan-wasm.js';

export const HEAD_BYTES = 64 * 1024;

/** What examining a file learns in one read: size, hash, its first bytes and its gzip trailer. */
export interface Probe {
  size: number;
  sha256: string;
  head: Buffer;
  /** The last four bytes (a gzip trailer's ISIZE). */
  tail: Buffer;
  /**
   * For JSON text (plain or gzip): the deepest nesting in it, counted up to `MAX_NATIVE_DEPTH + 1`.
   * DuckDB's JSON reader overflows its stack (SIGSEGV, the whole process) somewhere past 30,000
   * levels, so a file deeper than MAX_NATIVE_DEPTH is never given to it.
   */
  depth?: number;
  /** For gzip: the bytes it decompressed to, or `cap + 1` when it expands past the cap. */
  expanded?: number;
  /** For gzip that expands past the cap: the cap (a decompression bomb, unless it is an archive, whose members are judged one by one). */
  bomb?: number;
  /**
   * For a small file (see probeSmall) whose text is one bracketed JSON value with only whitespace
   * after it, and which has no `lines`: that text, decompressed, for staging (staging.ts).
   */
  content?: Buffer;
  /** For gzip probed in memory: the first HEAD_BYTES it decompresses to (sniff needs not inflate it again). */
  inflatedHead?: Buffer;
  /**
   * For an S3 file that DuckDB may read straight into the typed columns (records-scan.ts: clean),
   * each record's null_field_mask, unless it has `lines` (which hold them). Neither: read the careful way.
   */
  masks?: number[];
  /**
   * For a clean S3 file on disk, probed in memory: its records as JSON Lines for DuckDB's
   * newline-delimited reader (record-lines.ts), when the file around them is plain. Not for an
   * archive entry probed from its bytes (probeBytes): the lines are not the file, and the way back
   * (load-batch.ts) reads a file staged as lines again from its own file.
   */
  lines?: RecordLines;
}

/** Deeper than this, a file goes to the record reader (which rejects the deep record alone), not to DuckDB. */
export const MAX_NATIVE_DEPTH = 1000;

/**
 * The largest text a probe keeps (Probe.content), and so the largest file staged (staging.ts); a
 * larger one is read by DuckDB from its own file, where opening costs little beside reading and
 * DuckDB reads it faster than as one staged value (1,137 files of about 1.5 MB in the 1M-event
 * bench: 10.4 s more when staged).
 */
export const MAX_CONTENT_BYTES = 512 << 10;

/** Archive entries up to this size are kept in memory and probed from their bytes (see probeSmall). */
export const SMALL_PROBE_BYTES = 256 << 10;
/**
 * Files on disk up to this size are probed from one read into memory (see probeSmall): the whole
 * text in hand is what records-scan.ts needs to find a file clean, and CloudTrail's S3 files of a
 * busy account run to a few MB of gzip. Probes run in worker threads (probe-pool.ts), two or so at once.
 */
const WHOLE_PROBE_BYTES = 4 << 20;
/** ...when they decompress to at most this; else they are probed again as a stream. */
const SMALL_PROBE_EXPANDED = 64 << 20;

/**
 * Read a file once: size, hash, head, tail, and for JSON its depth; gzip is decompressed (in zlib's
 * threads) up to `cap` bytes, or `cap(size)` when cap is a function of the file's size.
 */
export async function probeFile(path: string, cap: number | ((size: number) => number) = Number.MAX_SAFE_INTEGER): Promise<Probe> {
  // A small file is read in one synchronous call: tens of microseconds from the page cache, where
  // open, stat, read and close through the thread pool cost four round trips a file.
  const fd = fs.openSync(path, 'r');
  let size: number;
  try {
    size = fs.fstatSync(fd).size;
    if (size <= WHOLE_PROBE_BYTES) {
      const small = probeSmall(readWhole(fd, size), typeof cap === 'number' ? cap : cap(size), true);
      if (small) return small;
    }
  } finally {
    fs.closeSync(fd);
  }
  return probeStream(path, typeof cap === 'number' ? cap : cap(size));
}

/** The probe of bytes already in memory (a small archive entry); undefined when they need the streaming probe of a file. */
export function probeBytes(buf: Buffer, cap: number): Probe | undefined {
  return buf.length <= SMALL_PROBE_BYTES ? probeSmall(buf, cap) : undefined;
}

/** A small file's bytes in one read (readFileSync would ask fstat again); fewer if it shrank meanwhile. */
function readWhole(fd: number, size: number): Buffer {
  return readAt(fd, size, 0);
}

/** `length` bytes of an open file from byte `at`, in as few reads as the system allows; fewer where the file ends. */
export function readAt(fd: number, length: number, at: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(0, length));
  let got = 0;
  while (got < buf.length) {
    const n = fs.readSync(fd, buf, got, buf.length - got, at + got);
    if (n === 0) break;
    got += n;
  }
  return got < buf.length ? buf.subarray(0, got) : buf;
}

/**
 * The probe of a small file (most of a real S3 export: one file per region every 5 minutes) from
 * its bytes in memory: one read instead of a stream, one gunzip call (at most 8 MiB out). Gives the
 * same probe as probeStream; undefined when the file needs the stream's care (damaged gzip,
 * trailing bytes Node's gunzip refuses, expansion past the cap or past SMALL_PROBE_EXPANDED).
 * With `lines`, a clean file's lines are made (Probe.lines).
 */
function probeSmall(buf: Buffer, cap: number, lines = false): Probe | undefined {
  const probe: Probe = {
    size: buf.length,
    sha256: crypto.createHash('sha256').update(buf).digest('hex'),
    head: buf.subarray(0, HEAD_BYTES),
    tail: buf.subarray(-4),
  };
  if (buf.length === 0) return probe;
  let text = buf;
  if (isGzip(buf)) {
    try {
      const limit = Math.min(cap, SMALL_PROBE_EXPANDED);
      text = zlib.gunzipSync(buf, { maxOutputLength: limit, chunkSize: outputChunk(gzipIsize(probe), buf.length, limit) });
    } catch {
      return undefined;
    }
    probe.expanded = text.length;
    probe.inflatedHead = text.subarray(0, HEAD_BYTES);
  } else if (!looksLikeJson(buf)) return probe;
  const scan = scanText(text, MAX_NATIVE_DEPTH, lines);
  // The stream stops decompressing once the depth is past the limit: a deep file's size is what came before.
  if (scan.stopped && probe.expanded !== undefined) return undefined;
  probe.depth = scan.max;
  // A file in lines is read from them (its masks are in them); neither its text nor its masks are kept.
  if (scan.lines) probe.lines = scan.lines;
  else {
    if (scan.masks) probe.masks = scan.masks;
    if (scan.single && text.length <= MAX_CONTENT_BYTES) probe.content = text;
  }
  return probe;
}

/**
 * zlib's output chunk for gunzipping a file of `size` bytes whole: the size its trailer gives
 * (`isize`, gzipIsize) and a byte more, so that the text comes out in one buffer, not in 16 KiB
 * chunks copied together at the end (a quarter of gunzip's time over a 1M-event export: 2.48 s
 * against 1.89 s). The trailer is only a hint: a wrong one costs speed, not bytes; the chunk stays
 * within what deflate can expand `size` bytes to and within `limit`.
 */
function outputChunk(isize: number | undefined, size: number, limit: number): number {
  return Math.max(zlib.constants.Z_DEFAULT_CHUNK, Math.min((isize ?? 0) + 1, limit + 1, size * 1032));
}

/** Text that starts (after a BOM and whitespace) with `{` or `[`: JSON, whose depth the probe scans. */
const looksLikeJson = (b: Buffer) =>
  /^\s*[[{]/.test(
    b
      .subarray(0, 64)
      .toString('latin1')
      .replace(/^\ufeff|^\xef\xbb\xbf/, ''),
  );

async function probeStream(path: string, cap: number): Promise<Probe> {
  const probe = new StreamProbe(cap);
  // Node's stream types give its chunks as any: a stream without an encoding gives Buffers.
  for await (const chunk of fs.createReadStream(path, { flags: 'r', highWaterMark: 1 << 20 })) probe.push(chunk);
  return probe.result();
}

/** A file's probe, learnt as its bytes stream past: hash, head, tail, and for JSON (or gzip of it) its depth. */
class StreamProbe {
  private readonly hash = crypto.createHash('sha256');
  private readonly headParts: Buffer[] = [];
  private headLen = 0;
  private tail = Buffer.alloc(0);
  private size = 0;
  private scan: DepthScanner | undefined;
  private gunzip: GunzipMembers | undefined;
  private gunzipped: Promise<void> | undefined;
  private expanded = 0;

  /** Gzip is decompressed up to this many bytes. */
  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.hash.update(chunk);
    if (this.size === 0) this.begin(chunk);
    this.size += chunk.length;
    if (this.gunzip && !this.gunzip.destroyed) this.gunzip.write(chunk);
    else if (this.scan && !this.gunzip) this.scan.push(chunk);
    if (this.headLen < HEAD_BYTES) {
      this.headParts.push(chunk.subarray(0, HEAD_BYTES - this.headLen));
      this.headLen += Math.min(chunk.length, HEAD_BYTES - this.headLen);
    }
    this.tail = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - 4))]).subarray(-4);
  }

  async result(): Promise<Probe> {
    if (this.gunzip && !this.gunzip.destroyed) this.gunzip.end();
    await this.gunzipped;
    const { scan, cap, expanded } = this;
    return {
      size: this.size,
      sha256: this.hash.digest('hex'),
      head: Buffer.concat(this.headParts),
      tail: this.tail,
      ...(scan ? { depth: scan.max } : {}),
      ...(this.gunzip && scan ? { expanded: Math.min(expanded, cap + 1) } : {}),
      ...(scan && expanded > cap ? { bomb: cap } : {}),
    };
  }

  /** JSON text, or gzip of it, is scanned for depth as it is read (gzip in zlib's threads). */
  private begin(first: Buffer): void {
    if (isGzip(first)) this.startGunzip();
    else if (looksLikeJson(first)) this.scan = new DepthScanner(MAX_NATIVE_DEPTH);
  }

  private startGunzip(): void {
    this.scan = new DepthScanner(MAX_NATIVE_DEPTH);
    const g = new GunzipMembers();
    this.gunzip = g;
    this.gunzipped = new Promise((res) => {
      g.on('data', (d: Buffer) => this.inflated(g, d));
      g.on('error', () => res());
      g.on('close', () => res());
      g.on('end', () => res());
    });
  }

  private inflated(g: GunzipMembers, d: Buffer): void {
    // A tar inside: extraction reads it (entry by entry, with its own bounds), not this scan.
    if (this.expanded === 0 && d.length > 262 && d.subarray(257, 262).toString('latin1') === 'ustar') {
      g.destroy();
      this.scan = undefined;
      return;
    }
    this.expanded += d.length;
    if (this.scan?.push(d) === false || this.expanded > this.cap) g.destroy();
  }
}

/**
 * The nesting depth of JSON text fed in pieces: brackets outside strings. Strings are skipped with
 * indexOf (most of a CloudTrail file is inside strings), so this runs at several hundred MB/s.
 * It also sees whether the text is one bracketed value with only whitespace after it (`single`).
 */
export class DepthScanner {
  private depth = 0;
  max = 0;
  private inString = false;
  /** Backslashes at the end of the previous piece, inside a string. */
  private slashes = 0;
  /** The first bracket opened has closed again. */
  private closed = false;
  /** Something other than whitespace came after it, or a bracket closed that never opened. */
  private after = false;

  constructor(private readonly stopAt: number) {}

  /** The text so far is one bracketed value (brackets balanced in number, strings closed) and whitespace. */
  get single(): boolean {
    return this.closed && !this.after && this.depth === 0 && !this.inString;
  }

  /** Feed bytes; false once the depth is past `stopAt` (nothing more to learn). */
  push(b: Buffer): boolean {
    let i = 0;
    const n = b.length;
    while (i < n) {
      if (this.inString) {
        const q = b.indexOf(0x22, i);
        if (q < 0) {
          this.slashes = trailingSlashes(b, n, i, this.slashes);
          return true;
        }
        const before = trailingSlashes(b, q, i, this.slashes);
        this.slashes = 0;
        i = q + 1;
        if (before % 2 === 0) this.inString = false;
        continue;
      }
      const c = b[i++]!;
      if (this.depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && (this.closed || (c !== 0x7b && c !== 0x5b))) this.after = true;
      if (c === 0x22) {
        this.inString = true;
        this.slashes = 0;
      } else if (c === 0x7b || c === 0x5b) {
        if (++this.depth > this.max) {
          this.max = this.depth;
          if (this.max > this.stopAt) return false;
        }
      } else if (c === 0x7d || c === 0x5d) {
        if (--this.depth === 0) this.closed = true;
        else if (this.depth < 0) this.after = true;
      }
    }
    return true;
  }
}

/** How many backslashes end b[from, end), continuing `carried` when the run reaches `from`. */
function trailingSlashes(b: Buffer, end: number, from: number, carried: number): number {
  let k = end - 1;
  while (k >= from && b[k] === 0x5c) k--;
  const run = end - 1 - k;
  return k < from ? carried + run : run;
}

/** The gzip trailer's ISIZE: the uncompressed size of the last member, modulo 2^32. */
export function gzipIsize(p: Probe): number | undefined {
  return p.size >= 18 && p.tail.length === 4 ? p.tail.readUInt32LE(0) : undefined;
}

export const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** An error as zlib's own: its message and code. */
const zlibError = (message: string, code: string) => Object.assign(new Error(message), { code });

/**
 * The start of a gzip file's content, from its first compressed bytes alone (a sync flush lets
 * zlib return what it has without the rest of the stream); an error names a damaged header.
 */
export function gunzipHead(raw: Buffer): { head: Buffer; error?: string } {
  try {
    // 16 KiB of compressed input is well over 64 KiB of CloudTrail JSON; decompressing more is waste.
    // The first member only (raw inflate stops at its end), so trailing bytes after it are no error here.
    const h = gzipHeaderLength(raw);
    if (h < 0) throw h === -1 ? zlibError('unexpected end of file', 'Z_BUF_ERROR') : zlibError('incorrect header check', 'Z_DATA_ERROR');
    const out = zlib.inflateRawSync(raw.subarray(h, 16 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 64 << 20 });
    return { head: out.subarray(0, HEAD_BYTES) };
  } catch (e) {
    if (errnoCode(e) === 'ERR_BUFFER_TOO_LARGE') return { head: Buffer.alloc(0), error: 'its first 64 KiB expand beyond 64 MiB: a decompression bomb' };
    return { head: Buffer.alloc(0), error: describeZlibError(e) };
  }
}

export function describeZlibError(e: unknown): string {
  const code = errnoCode(e);
  const message = messageOf(e);
  if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(message)) return 'gzip data ends early: the file is truncated';
  if (code === 'Z_DATA_ERROR') return `gzip data is corrupt (${message})`;
  return `cannot decompress: ${message}`;
}

/** Thrown by the guard when decompressed data grows past its limit. */
export class ExpansionError extends KeytrailError {
  constructor(readonly limit: number) {
    super('EXPANSION', `expands beyond ${formatBytes(limit)} when decompressed (a decompression bomb, or raise the limit)`);
  }
}

/** A pass-through that fails once more than `limit` bytes have gone through it. */
export function expansionGuard(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) cb(new ExpansionError(limit));
      else cb(null, chunk);
    },
  });
}

/** How much a file of `compressedBytes` may expand to before keytrail calls it a bomb. */
export function expansionLimit(compressedBytes: number, limits: ExpansionLimits): number {
  return Math.min(limits.maxBytes, Math.max(limits.floorBytes, compressedBytes * limits.maxRatio));
}

export interface ExpansionLimits {
  /** Never more than this many decompressed bytes from one file. */
  maxBytes: number;
  /** Any file may expand to this much, whatever its ratio. */
  floorBytes: number;
  /** Beyond the floor, at most this many times the compressed size (CloudTrail gzip is ~10-30x). */
  maxRatio: number;
}

export const DEFAULT_EXPANSION: ExpansionLimits = { maxBytes: 16 * 2 ** 30, floorBytes: 256 * 2 ** 20, maxRatio: 200 };

/**
 * A file's bytes, decompressed when gzip, through the expansion guard. `onTrailing` hears of bytes
 * after the last gzip member that are not another member (ignored, as `gzip -d` does).
 */
export function openContent(path: string, gzip: boolean, limit: number, onTrailing?: (bytes: number) => void): Readable {
  const src = fs.createReadStream(path, { flags: 'r', highWaterMark: 1 << 20 });
  if (!gzip) return src;
  const gunzip = new GunzipMembers(onTrailing);
  const guard = expansionGuard(limit);
  src.on('error', (e) => guard.destroy(e));
  gunzip.on('error', (e) => guard.destroy(new Error(describeZlibError(e))));
  return src.pipe(gunzip).pipe(guard);
}

/**
 * The length of the gzip member header at the start of `b` (RFC 1952: 10 bytes and the optional
 * extra field, name, comment and header CRC); -1 when `b` ends inside it, -2 when it is no header.
 */
export function gzipHeaderLength(b: Buffer): number {
  if (b.length >= 2 && (b[0] !== 0x1f || b[1] !== 0x8b)) return -2;
  if (b.length < 10) return -1;
  if (b[2] !== 8) return -2;
  const flags = b[3]!;
  let p = 10;
  if (flags & 4) {
    if (b.length < p + 2) return -1;
    p += 2 + b.readUInt16LE(p);
  }
  for (const bit of [8, 16]) {
    if (!(flags & bit)) continue;
    const z = b.indexOf(0, p);
    if (z < 0) return -1;
    p = z + 1;
  }
  if (flags & 2) p += 2;
  return b.length < p ? -1 : p;
}

/**
 * gunzip as `gzip -d` reads a file: member after member, each checked against its trailer (length,
 * and CRC-32 where zlib offers it); bytes after the last member that do not start another one are
 * trailing garbage, reported and ignored. Node's own Gunzip fails the whole file on them (and may
 * drop the output of the last chunk when it does).
 */
export class GunzipMembers extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private inflate: zlib.InflateRaw | undefined;
  private ended = false;
  private members = 0;
  private garbage = 0;
  private crc = 0;
  private length = 0;

  constructor(private readonly onTrailing?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pump(false).then(
      () => cb(),
      (e: Error) => cb(e),
    );
  }

  override _flush(cb: TransformCallback): void {
    this.pump(true).then(
      () => {
        if (this.garbage > 0) this.onTrailing?.(this.garbage);
        cb();
      },
      (e: Error) => cb(e),
    );
  }

  private async pump(final: boolean): Promise<void> {
    for (;;) {
      if (this.garbage > 0) {
        this.garbage += this.pending.length;
        this.pending = Buffer.alloc(0);
        return;
      }
      const inflate = this.inflate ?? this.beginMember(final);
      if (!inflate) return;
      if (this.ended) {
        if (!this.endMember(final)) return;
        continue;
      }
      if (this.pending.length === 0) {
        if (final) throw zlibError('unexpected end of file', 'Z_BUF_ERROR');
        return;
      }
      await this.feed(inflate);
    }
  }

  /**
   * The next member, its header at the start of `pending`; undefined when it must wait for more
   * input, or when what follows the last member is not another (trailing garbage).
   */
  private beginMember(final: boolean): zlib.InflateRaw | undefined {
    if (this.pending.length === 0) return undefined;
    const h = gzipHeaderLength(this.pending);
    if (h === -2 && this.members > 0) return this.trailingGarbage();
    if (h === -2) throw zlibError('not a gzip header', 'Z_DATA_ERROR');
    if (h === -1) {
      if (!final && this.pending.length < 1 << 20) return undefined;
      if (this.members > 0) return this.trailingGarbage();
      throw zlibError('unexpected end of file', 'Z_BUF_ERROR');
    }
    this.pending = this.pending.subarray(h);
    return this.startMember();
  }

  private trailingGarbage(): undefined {
    this.garbage = this.pending.length;
    this.pending = Buffer.alloc(0);
    return undefined;
  }

  /** The member's trailer: CRC-32 and length of its content, checked; false while it has not all arrived. */
  private endMember(final: boolean): boolean {
    if (this.pending.length < 8) {
      if (final) throw zlibError('unexpected end of file', 'Z_BUF_ERROR');
      return false;
    }
    const crc = this.pending.readUInt32LE(0);
    const isize = this.pending.readUInt32LE(4);
    if (isize !== this.length % 2 ** 32 || (typeof zlib.crc32 === 'function' && crc !== this.crc)) throw zlibError('incorrect data check', 'Z_DATA_ERROR');
    this.pending = this.pending.subarray(8);
    this.members++;
    this.inflate = undefined;
    return true;
  }

  /** What is pending, into the member's inflate; what comes after the member's end stays pending. */
  private async feed(inflate: zlib.InflateRaw): Promise<void> {
    const buf = this.pending;
    this.pending = Buffer.alloc(0);
    const before = inflate.bytesWritten;
    await new Promise<void>((res, rej) => {
      inflate.once('error', rej);
      inflate.write(buf, () => res());
    });
    // Let 'end' arrive if the member ended inside this chunk.
    await new Promise((r) => setImmediate(r));
    if (this.ended) this.pending = buf.subarray(inflate.bytesWritten - before);
  }

  private startMember(): zlib.InflateRaw {
    const inflate = zlib.createInflateRaw();
    this.inflate = inflate;
    this.ended = false;
    this.crc = 0;
    this.length = 0;
    inflate.on('data', (d: Buffer) => {
      this.length += d.length;
      if (typeof zlib.crc32 === 'function') this.crc = zlib.crc32(d, this.crc);
      this.push(d);
    });
    inflate.on('end', () => (this.ended = true));
    return inflate;
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
