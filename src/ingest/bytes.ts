/**
 * Reading evidence bytes: hashes, heads, and decompressed streams that stop at a size limit.
 * Evidence is only ever opened with flag 'r'.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Transform, type TransformCallback, type Readable } from 'node:stream';
import zlib from 'node:zlib';

export const HEAD_BYTES = 64 * 1024;

export async function sha256File(path: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(path, { flags: 'r', highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function readRawHead(path: string, n = HEAD_BYTES): Promise<Buffer> {
  const fh = await fs.promises.open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The gzip trailer's ISIZE: the uncompressed size of the last member, modulo 2^32. */
export async function gzipIsize(path: string, size: number): Promise<number | undefined> {
  if (size < 18) return undefined;
  const fh = await fs.promises.open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    await fh.read(buf, 0, 4, size - 4);
    return buf.readUInt32LE(0);
  } finally {
    await fh.close();
  }
}

export const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * The first `n` decompressed bytes of a gzip file, or what there is with the error that stopped it
 * (a file too short to hold `n` bytes is not an error here: the full read reports truncation).
 */
export async function readGunzippedHead(path: string, n = HEAD_BYTES): Promise<{ head: Buffer; error?: string }> {
  const chunks: Buffer[] = [];
  let got = 0;
  const src = fs.createReadStream(path, { flags: 'r', highWaterMark: 64 * 1024 });
  const gunzip = zlib.createGunzip();
  return new Promise((resolve) => {
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      src.destroy();
      gunzip.destroy();
      resolve({ head: Buffer.concat(chunks).subarray(0, n), error });
    };
    gunzip.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) finish();
    });
    gunzip.on('end', () => finish());
    gunzip.on('error', (e) => finish(describeZlibError(e)));
    src.on('error', (e) => finish(e.message));
    src.pipe(gunzip);
  });
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
