/**
 * Reading evidence bytes: hashes, heads, and decompressed streams that stop at a size limit.
 * Evidence is only ever opened with flag 'r'.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Transform, type TransformCallback, type Readable } from 'node:stream';
import zlib from 'node:zlib';

export const HEAD_BYTES = 64 * 1024;

/** What examining a file learns in one read: size, hash, its first bytes and its gzip trailer. */
export interface Probe {
  size: number;
  sha256: string;
  head: Buffer;
  /** The last four bytes (a gzip trailer's ISIZE). */
  tail: Buffer;
}

export async function probeFile(path: string): Promise<Probe> {
  const hash = crypto.createHash('sha256');
  const headParts: Buffer[] = [];
  let headLen = 0;
  let tail = Buffer.alloc(0);
  let size = 0;
  for await (const c of fs.createReadStream(path, { flags: 'r', highWaterMark: 1 << 20 })) {
    const chunk = c as Buffer;
    hash.update(chunk);
    size += chunk.length;
    if (headLen < HEAD_BYTES) {
      headParts.push(chunk.subarray(0, HEAD_BYTES - headLen));
      headLen += Math.min(chunk.length, HEAD_BYTES - headLen);
    }
    tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - 4))]).subarray(-4);
  }
  return { size, sha256: hash.digest('hex'), head: Buffer.concat(headParts), tail };
}

/** The gzip trailer's ISIZE: the uncompressed size of the last member, modulo 2^32. */
export function gzipIsize(p: Probe): number | undefined {
  return p.size >= 18 && p.tail.length === 4 ? p.tail.readUInt32LE(0) : undefined;
}

export const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * The start of a gzip file's content, from its first compressed bytes alone (a sync flush lets
 * zlib return what it has without the rest of the stream); an error names a damaged header.
 */
export function gunzipHead(raw: Buffer): { head: Buffer; error?: string } {
  try {
    // 16 KiB of compressed input is well over 64 KiB of CloudTrail JSON; decompressing more is waste.
    const out = zlib.gunzipSync(raw.subarray(0, 16 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 64 << 20 });
    return { head: out.subarray(0, HEAD_BYTES) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { head: Buffer.alloc(0), error: 'its first 64 KiB expand beyond 64 MiB: a decompression bomb' };
    return { head: Buffer.alloc(0), error: describeZlibError(e as Error) };
  }
}

export function describeZlibError(e: Error & { code?: string }): string {
  if (e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message)) return 'gzip data ends early: the file is truncated';
  if (e.code === 'Z_DATA_ERROR') return `gzip data is corrupt (${e.message})`;
  return `cannot decompress: ${e.message}`;
}

/** Thrown by the guard when decompressed data grows past its limit. */
export class ExpansionError extends Error {
  constructor(readonly limit: number) {
    super(`expands beyond ${formatBytes(limit)} when decompressed (a decompression bomb, or raise the limit)`);
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

/** A file's bytes, decompressed when gzip, through the expansion guard. */
export function openContent(path: string, gzip: boolean, limit: number): Readable {
  const src = fs.createReadStream(path, { flags: 'r', highWaterMark: 1 << 20 });
  if (!gzip) return src;
  const gunzip = zlib.createGunzip();
  const guard = expansionGuard(limit);
  src.on('error', (e) => guard.destroy(e));
  gunzip.on('error', (e) => guard.destroy(new Error(describeZlibError(e))));
  return src.pipe(gunzip).pipe(guard);
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
