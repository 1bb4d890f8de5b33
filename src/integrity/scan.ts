/**
 * The evidence as `keytrail verify` sees it: every file under the inputs (archives opened as ingest
 * opens them, members named `bundle.zip!/AWSLogs/...` as in the case's `files` table), each read
 * once: the SHA-256 of its uncompressed content, and what it is by its content — a digest, an S3 log
 * file (`{"Records":[...]}`: its event times, accounts, regions, and the calls that stop or change
 * logging), a digest's signature sidecar, or other evidence. No DuckDB: this is a fraction of ingest.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { messageOf } from '../errors.js';
import { WorkerPool } from '../worker-pool.js';
import { DEFAULT_MIN_FREE_BYTES, ExpansionBudget, extractArchive, readPacked } from '../ingest/archive.js';
import { DEFAULT_EXPANSION, expansionLimit, isGzip } from '../ingest/bytes.js';
import { discover } from '../ingest/discover.js';
import { MAX_ARCHIVE_DEPTH } from '../ingest/expand.js';
import { DigestFile, LakeSignFile } from './digest.js';

/** A call that stops logging or changes a trail: a gap in the digests after one is expected. */
export interface ControlEvent {
  eventName: string;
  eventTime: string;
  region: string;
  arn: string | null;
  trail: string | null;
}

const CONTROL = new Set(['StopLogging', 'StartLogging', 'DeleteTrail', 'UpdateTrail', 'CreateTrail']);

export interface ScannedLog {
  events: number;
  /** Earliest and latest eventTime in the file (ms); null when it has no event with a readable time. */
  oldest: number | null;
  newest: number | null;
  accounts: string[];
  regions: string[];
  control: ControlEvent[];
}

export interface Scanned {
  /** As the case's files table names it: absolute, archive members under their archive (`a.zip!/x`). */
  path: string;
  /** Its S3 key from `AWSLogs/` on, when its path has one (the bucket prefix before it dropped). */
  key: string | null;
  kind: 'digest' | 'log' | 'signature' | 'lake-sign' | 'other' | 'unreadable';
  /** SHA-256 of the uncompressed content (hex): what a digest's hashValue is. */
  contentSha256?: string;
  /** SHA-256 of the file as it lies (compressed or not): what a CloudTrail Lake sign file lists. */
  fileSha256?: string;
  lakeSign?: LakeSignFile;
  digest?: DigestFile;
  log?: ScannedLog;
  /** A sidecar: the hex signature of the digest at `signatureOf`. */
  signature?: string;
  signatureOf?: string;
  /** Why it could not be read (unreadable), or why a digest-shaped file is not a digest. */
  problem?: string;
}

/** The S3 key of a path or object name, from its last `AWSLogs/` segment on; null when it has none. */
export function s3Key(p: string): string | null {
  const s = p.replace(/\\/g, '/');
  const i = s.lastIndexOf('AWSLogs/');
  if (i < 0 || (i > 0 && s[i - 1] !== '/')) return null;
  return s.slice(i);
}

/** Past this many decompressed bytes a file is not hashed in memory: said, not guessed. */
const MAX_CONTENT = 1 << 30;
/** Files read at once: their gunzip runs in libuv's threads while JSON is parsed here. */
const PARALLEL = 8;

export interface ScanOptions {
  /** Folders that are keytrail's own output (investigate's --out): not read. */
  caseFolders?: readonly string[];
}

export interface ScanResult {
  files: Scanned[];
  /** Inputs that named nothing: `path: what is wrong`. */
  errors: { input: string; message: string }[];
}

export async function scanEvidence(inputs: readonly string[], options: ScanOptions = {}): Promise<ScanResult> {
  const found = await discover(inputs, { caseFolders: options.caseFolders });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keytrail-verify-'));
  const files: Scanned[] = [];
  const pool = ScanPool.start();
  try {
    const queue: { display: string; read: () => Buffer; depth: number; budget?: ExpansionBudget; real?: string }[] = found.files.map((f) => ({
      display: f,
      read: () => fs.readFileSync(f),
      depth: 0,
      real: f,
    }));
    let archives = 0;
    const work = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        // A file on disk is told an archive or not by its head: an archive is opened from its path,
        // never read whole (a bundle may pass 2 GiB), and any other file goes to the pool.
        const unreadable = (err: unknown) => files.push(unreadableScan(item.display, err));
        let bytes: Buffer;
        try {
          bytes = item.real ? head(item.real) : item.read();
        } catch (err) {
          unreadable(err);
          continue;
        }
        const archive = archiveKind(bytes);
        if (archive) {
          if (item.depth >= MAX_ARCHIVE_DEPTH) {
            files.push({ path: item.display, key: null, kind: 'other', problem: `archive nested more than ${MAX_ARCHIVE_DEPTH} deep: not opened` });
            continue;
          }
          const real = item.real ?? path.join(tmp, `nested-${archives++}`);
          if (!item.real) fs.writeFileSync(real, bytes);
          const budget = item.budget ?? new ExpansionBudget(expansionLimit(fs.statSync(real).size, DEFAULT_EXPANSION));
          const res = await extractArchive(real, archive.kind, archive.gzip, path.join(tmp, `archive-${archives++}`), {
            limits: DEFAULT_EXPANSION,
            budget,
            minFreeBytes: DEFAULT_MIN_FREE_BYTES,
          });
          for (const e of res.entries) {
            const display = `${item.display}!/${e.name}`;
            if (e.packed) {
              const packed = e.packed;
              queue.push({ display, read: () => readPacked(packed), depth: item.depth + 1, budget });
            } else if (e.extracted) {
              const file = e.extracted;
              queue.push({ display, read: () => fs.readFileSync(file), depth: item.depth + 1, budget, real: file });
            } else files.push({ path: display, key: s3Key(display), kind: 'unreadable', problem: e.rejected ?? e.skipped ?? 'not extracted' });
          }
          continue;
        }
        if (item.real && pool) {
          files.push(await pool.scan(item.display, item.real));
          continue;
        }
        try {
          if (item.real) bytes = item.read();
        } catch (err) {
          unreadable(err);
          continue;
        }
        files.push(await scanBytes(item.display, bytes));
      }
    };
    // Archives push their entries as they open: a worker that finds the queue empty may stop while
    // another is still opening one, so the pool runs until the queue stays empty.
    while (queue.length > 0) await Promise.all(Array.from({ length: PARALLEL }, work));
  } finally {
    await pool?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, errors: found.errors };
}

/** A file's first bytes: enough to tell an archive (a tar's magic is at 257; a tar.gz's first block gunzips from them). */
function head(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 << 10);
    return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Worker threads, one per core, that scan files on disk (scan-worker.ts), on worker-pool.ts. Absent
 * when keytrail runs from its TypeScript sources (the tests), where a worker cannot load them: the
 * files are then scanned on this thread, by the same scanBytes. A file whose worker stopped under it
 * (out of memory...) is unreadable, with why; the others are scanned, on this thread once no worker is left.
 */
export class ScanPool {
  private constructor(private readonly pool: WorkerPool<ScanJob, Scanned>) {}

  static start(): ScanPool | undefined {
    const pool = WorkerPool.start<ScanJob, Scanned>(new URL('./scan-worker.js', import.meta.url), {
      doing: 'scanning',
      inThread: ({ display, file }) => scanFile(display, file),
      decode: (s) => s,
    });
    return pool && new ScanPool(pool);
  }

  scan(display: string, file: string): Promise<Scanned> {
    return this.pool.run({ display, file }).catch((err: unknown) => unreadableScan(display, err));
  }

  stop(): Promise<void> {
    return this.pool.stop();
  }
}

export interface ScanJob {
  display: string;
  file: string;
}

/** A file on disk, scanned (a worker's job); what cannot be read is unreadable, with why. */
export async function scanFile(display: string, file: string): Promise<Scanned> {
  try {
    return await scanBytes(display, fs.readFileSync(file));
  } catch (err) {
    return unreadableScan(display, err);
  }
}

const unreadableScan = (display: string, err: unknown): Scanned => ({ path: display, key: s3Key(display), kind: 'unreadable', problem: messageOf(err) });

function archiveKind(b: Buffer): { kind: 'zip' | 'tar'; gzip: boolean } | undefined {
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 0x03 || b[2] === 0x05)) return { kind: 'zip', gzip: false };
  const isTar = (x: Buffer) => x.length > 262 && x.subarray(257, 262).toString('latin1') === 'ustar';
  if (isTar(b)) return { kind: 'tar', gzip: false };
  if (isGzip(b)) {
    try {
      // The first block is enough to tell a tar inside.
      const head = zlib.gunzipSync(b.subarray(0, Math.min(b.length, 64 << 10)), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      if (isTar(head)) return { kind: 'tar', gzip: true };
    } catch {
      // Not a tar.gz, or a damaged gzip: read as a file below.
    }
  }
  return undefined;
}

const gunzip = (b: Buffer, max: number) =>
  new Promise<Buffer>((resolve, reject) => zlib.gunzip(b, { maxOutputLength: max }, (err, out) => (err ? reject(err) : resolve(out))));

/** One file's bytes: hashed as CloudTrail hashes it (uncompressed), then told apart by content. */
export async function scanBytes(display: string, bytes: Buffer): Promise<Scanned> {
  const key = s3Key(display);
  let content = bytes;
  if (isGzip(bytes)) {
    try {
      content = await gunzip(bytes, Math.min(MAX_CONTENT, expansionLimit(bytes.length, DEFAULT_EXPANSION)));
    } catch (err) {
      return { path: display, key, kind: 'unreadable', problem: `gzip that does not decompress: ${messageOf(err)}` };
    }
  }
  const contentSha256 = crypto.createHash('sha256').update(content).digest('hex');
  const fileSha256 = content === bytes ? contentSha256 : crypto.createHash('sha256').update(bytes).digest('hex');
  const base = { path: display, key, contentSha256, fileSha256 };
  const sidecar = /\.(sig|head\.json)$/i.exec(display);
  if (sidecar) {
    const signature = signatureOf(content, sidecar[1]!.toLowerCase() === 'sig');
    if (signature !== undefined) return { ...base, kind: 'signature', signature, signatureOf: display.slice(0, -sidecar[0].length) };
  }
  const first = firstChar(content);
  if (first !== '{') return { ...base, kind: 'other' };
  const fast = fastLog(content);
  if (fast) return { ...base, kind: 'log', log: fast };
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch {
    return { ...base, kind: 'other' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ...base, kind: 'other' };
  const o = value as Record<string, unknown>;
  if ('digestStartTime' in o && 'logFiles' in o && !('Records' in o)) {
    const d = DigestFile.safeParse(o);
    if (!d.success) {
      const i = d.error.issues[0];
      return {
        ...base,
        kind: 'unreadable',
        problem: `a CloudTrail digest that does not have the documented fields: ${i?.path.join('.') || 'top level'}: ${i?.message}`,
      };
    }
    return { ...base, kind: 'digest', digest: d.data };
  }
  if (Array.isArray(o.Records)) return { ...base, kind: 'log', log: readLog(o.Records) };
  if ('hashSignature' in o && Array.isArray(o.files)) {
    const l = LakeSignFile.safeParse(o);
    if (!l.success) {
      const i = l.error.issues[0];
      return {
        ...base,
        kind: 'unreadable',
        problem: `a CloudTrail Lake sign file without the documented fields: ${i?.path.join('.') || 'top level'}: ${i?.message}`,
      };
    }
    return { ...base, kind: 'lake-sign', lakeSign: l.data };
  }
  return { ...base, kind: 'other' };
}

function firstChar(b: Buffer): string {
  for (let i = 0; i < Math.min(b.length, 64); i++) {
    const c = b[i]!;
    if (c === 0xef && b[i + 1] === 0xbb && b[i + 2] === 0xbf) {
      i += 2;
      continue;
    }
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return String.fromCharCode(c);
  }
  return '';
}

/** A sidecar's signature: `.sig` holds the hex value, `.head.json` what `aws s3api head-object` prints. */
function signatureOf(content: Buffer, plain: boolean): string | undefined {
  const text = content.toString('utf8').trim();
  if (plain) return /^[0-9a-fA-F]+$/.test(text) ? text.toLowerCase() : undefined;
  try {
    const o = JSON.parse(text) as { Metadata?: { signature?: unknown } };
    return typeof o?.Metadata?.signature === 'string' ? o.Metadata.signature.trim().toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** A record's time and account, and the calls that need the whole record (CONTROL): found by their keys in the text. */
const FAST =
  /"(eventTime|recipientAccountId|eventVersion)"\s*:\s*"([^"\\]*)"|"eventName"\s*:\s*"(StopLogging|StartLogging|DeleteTrail|UpdateTrail|CreateTrail)"/g;

/**
 * An S3 log file read without parsing it, which costs more than the rest of verify together: its
 * records' eventTime and recipientAccountId by a scan of the text. Exact when each record has one
 * eventVersion and one eventTime and nothing nested repeats those keys (the scan counts both: a
 * nested key makes them differ); otherwise, or when a logging-control call is in the file (its
 * caller is needed), undefined, and the file is parsed.
 */
function fastLog(content: Buffer): ScannedLog | undefined {
  const text = content.toString('latin1');
  if (!/^\s*\{\s*"Records"\s*:\s*\[/.test(text.slice(0, 64)) || !/\]\s*\}\s*$/.test(text.slice(-64))) return undefined;
  let oldest: number | null = null;
  let newest: number | null = null;
  let times = 0;
  let versions = 0;
  const accounts = new Set<string>();
  FAST.lastIndex = 0;
  for (let m = FAST.exec(text); m; m = FAST.exec(text)) {
    if (m[3]) return undefined;
    if (m[1] === 'eventVersion') versions++;
    else if (m[1] === 'recipientAccountId') accounts.add(m[2]!);
    else {
      times++;
      const t = Date.parse(m[2]!);
      if (Number.isNaN(t)) return undefined;
      if (oldest === null || t < oldest) oldest = t;
      if (newest === null || t > newest) newest = t;
    }
  }
  if (times !== versions) return undefined;
  return { events: times, oldest, newest, accounts: [...accounts].sort(), regions: [], control: [] };
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);

function readLog(records: unknown[]): ScannedLog {
  let oldest: number | null = null;
  let newest: number | null = null;
  const accounts = new Set<string>();
  const regions = new Set<string>();
  const control: ControlEvent[] = [];
  for (const r of records) {
    if (!r || typeof r !== 'object') continue;
    const rec = r as Record<string, unknown>;
    const t = Date.parse(str(rec.eventTime) ?? '');
    if (!Number.isNaN(t)) {
      if (oldest === null || t < oldest) oldest = t;
      if (newest === null || t > newest) newest = t;
    }
    const acct = str(rec.recipientAccountId);
    if (acct) accounts.add(acct);
    const region = str(rec.awsRegion);
    if (region) regions.add(region);
    const name = str(rec.eventName);
    if (name && CONTROL.has(name) && rec.errorCode == null && str(rec.eventTime)) {
      const who = rec.userIdentity as Record<string, unknown> | null | undefined;
      const params = rec.requestParameters as Record<string, unknown> | null | undefined;
      control.push({ eventName: name, eventTime: str(rec.eventTime)!, region: region ?? '', arn: str(who?.arn), trail: str(params?.name) });
    }
  }
  return { events: records.length, oldest, newest, accounts: [...accounts].sort(), regions: [...regions].sort(), control };
}
