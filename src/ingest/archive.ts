/**
 * Bundles (.zip, .tar, .tar.gz): entries are copied into keytrail's own temporary folder under
 * generated names, so no path from an archive is ever used to write; an entry whose path would
 * leave the archive (`../`, absolute) is not extracted and is reported. Extraction is bounded by the
 * same expansion limits as gzip files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import * as tar from 'tar';
import yauzl from 'yauzl';
import { ExpansionError, describeZlibError, expansionGuard, expansionLimit, type ExpansionLimits } from './bytes.js';

export interface ArchiveEntry {
  /** The entry's path inside the archive, as written there. */
  name: string;
  /** Where keytrail extracted it; absent when it was not extracted. */
  extracted?: string;
  bytes: number;
  /** Why the entry was not extracted. */
  rejected?: string;
  skipped?: string;
}

export interface ArchiveResult {
  entries: ArchiveEntry[];
  /** Why extraction stopped before the end, if it did. */
  error?: string;
}

/** A name that is safe to report and whose path stays inside the archive; else the reason. */
export function unsafeEntryPath(name: string): string | undefined {
  const n = name.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) return `archive entry has an absolute path (${name}): not extracted`;
  if (n.split('/').includes('..')) return `archive entry path leaves the archive (${name}): not extracted`;
  return undefined;
}

class Extractor {
  private n = 0;
  private total = 0;
  constructor(
    private readonly dir: string,
    private readonly totalLimit: number,
  ) {}

  target(name: string): string {
    const safe = path.basename(name.replace(/\\/g, '/')).replace(/[^\w.-]/g, '_').slice(-80) || 'entry';
    return path.join(this.dir, `${String(this.n++).padStart(6, '0')}-${safe}`);
  }

  /** Copy an entry's stream to disk through the per-entry and whole-archive limits. */
  async write(stream: Readable, to: string, entryLimit: number): Promise<number> {
    let written = 0;
    const guard = expansionGuard(Math.min(entryLimit, this.totalLimit - this.total));
    guard.on('data', (c: Buffer) => (written += c.length));
    await pipeline(stream, guard, fs.createWriteStream(to, { flags: 'wx' }));
    this.total += written;
    return written;
  }
}

export async function extractArchive(archive: string, kind: 'zip' | 'tar', gzip: boolean, dir: string, limits: ExpansionLimits): Promise<ArchiveResult> {
  const size = fs.statSync(archive).size;
  await fs.promises.mkdir(dir, { recursive: true });
  const ex = new Extractor(dir, expansionLimit(size, limits));
  return kind === 'zip' ? extractZip(archive, ex, limits) : extractTar(archive, gzip, ex, expansionLimit(size, limits));
}

async function extractZip(archive: string, ex: Extractor, limits: ExpansionLimits): Promise<ArchiveResult> {
  const entries: ArchiveEntry[] = [];
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings: false so that yauzl does not abort the whole archive on one bad name: we check names ourselves.
    zip = await new Promise<yauzl.ZipFile>((res, rej) =>
      yauzl.open(archive, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true }, (e, z) => (e ? rej(e) : res(z!))),
    );
  } catch (err) {
    return { entries, error: `not a readable zip archive: ${(err as Error).message}` };
  }
  const readEntry = (): Promise<yauzl.Entry | undefined> =>
    new Promise((res, rej) => {
      zip.once('entry', (e: yauzl.Entry) => {
        zip.removeAllListeners('end');
        zip.removeAllListeners('error');
        res(e);
      });
      zip.once('end', () => res(undefined));
      zip.once('error', rej);
      zip.readEntry();
    });
  try {
    for (;;) {
      const e = await readEntry();
      if (!e) break;
      const raw = e.fileName as unknown as Buffer;
      const name = (e.generalPurposeBitFlag & 0x800 ? raw.toString('utf8') : raw.toString('latin1')) || '(unnamed)';
      if (name.endsWith('/')) continue;
      const unsafe = unsafeEntryPath(name);
      if (unsafe) {
        entries.push({ name, bytes: e.uncompressedSize, rejected: unsafe });
        continue;
      }
      const to = ex.target(name);
      try {
        const stream = await new Promise<Readable>((res, rej) => zip.openReadStream(e, (err, s) => (err ? rej(err) : res(s!))));
        const bytes = await ex.write(stream, to, expansionLimit(e.compressedSize, limits));
        entries.push({ name, extracted: to, bytes });
      } catch (err) {
        fs.rmSync(to, { force: true });
        const msg = err instanceof ExpansionError ? err.message : `cannot extract: ${(err as Error).message}`;
        entries.push({ name, bytes: e.uncompressedSize, rejected: msg });
        if (err instanceof ExpansionError) return { entries, error: `extraction stopped at ${name}: ${msg}` };
      }
    }
  } catch (err) {
    return { entries, error: `zip archive is damaged: ${(err as Error).message}` };
  } finally {
    zip.close();
  }
  return { entries };
}

async function extractTar(archive: string, gzip: boolean, ex: Extractor, limit: number): Promise<ArchiveResult> {
  const entries: ArchiveEntry[] = [];
  const writes: Promise<void>[] = [];
  let stopped: string | undefined;
  const parser = new tar.Parser({
    strict: false,
    onwarn: () => undefined,
  });
  parser.on('entry', (entry: tar.ReadEntry) => {
    const name = entry.path;
    if (stopped) return entry.resume();
    if (entry.type === 'Directory') return entry.resume();
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
      entries.push({ name, bytes: 0, skipped: `${entry.type} entry in the archive: not followed` });
      return entry.resume();
    }
    const unsafe = unsafeEntryPath(name);
    if (unsafe) {
      entries.push({ name, bytes: entry.size ?? 0, rejected: unsafe });
      return entry.resume();
    }
    const to = ex.target(name);
    const rec: ArchiveEntry = { name, extracted: to, bytes: 0 };
    entries.push(rec);
    writes.push(
      ex.write(entry as unknown as Readable, to, Number.MAX_SAFE_INTEGER).then(
        (n) => void (rec.bytes = n),
        (err: Error) => {
          fs.rmSync(to, { force: true });
          delete rec.extracted;
          rec.rejected = err instanceof ExpansionError ? err.message : `cannot extract: ${err.message}`;
          if (err instanceof ExpansionError) stopped = `extraction stopped at ${name}: ${err.message}`;
          entry.resume();
        },
      ),
    );
  });
  try {
    const src = fs.createReadStream(archive, { flags: 'r' });
    if (gzip) {
      const gunzip = zlib.createGunzip();
      gunzip.on('error', (e) => gunzip.destroy(new Error(describeZlibError(e))));
      await pipeline(src, gunzip, expansionGuard(limit), parser);
    } else {
      await pipeline(src, parser);
    }
  } catch (err) {
    await Promise.allSettled(writes);
    const msg = err instanceof ExpansionError ? `extraction stopped: the archive ${err.message}` : `tar archive is damaged: ${(err as Error).message}`;
    return { entries, error: stopped ?? msg };
  }
  await Promise.allSettled(writes);
  return { entries, error: stopped };
}
