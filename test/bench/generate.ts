/**
 * Writes a synthetic CloudTrail S3 export the way CloudTrail delivers it:
 * `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz`
 * with `{"Records":[...]}` of 50-2000 records each, plus an hourly `CloudTrail-Digest` file per region
 * covering about 20 of them. The plan (which files, how many events, which region and hour) is made
 * here from the seed; the files are written by worker threads (this same module), one group
 * (an hour of one region: its files and their digest) at a time. Output depends only on the seed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import zlib from 'node:zlib';
import { makeRecord, iso, type RecordSource } from './records.js';
import { Rng } from './rng.js';
import { makeWorld, REGIONS, REGION_WEIGHTS } from './world.js';
import { repoRoot } from './measure.js';

export interface ExportStats {
  files: number;
  digestFiles: number;
  events: number;
  /** Compressed bytes on disk, digests included. */
  bytes: number;
  /** Uncompressed JSON bytes of the event files. */
  uncompressedBytes?: number;
  /** Generation time (of the run that wrote the cache). */
  seconds?: number;
  /** Of which chaining and signing the digests. */
  chainSeconds?: number;
  cached?: boolean;
}

/** Bump when the output changes, so cached exports are regenerated. */
/** 2: digests chained by the previous digest's real hash and signature, signed, with .sig sidecars and public-keys.json. */
const GENERATOR_VERSION = 2;
const START = Date.UTC(2024, 4, 1);
const DAYS = 30;
const HOUR = 3_600_000;
const TRAIL = 'management-events';
const WORKER_ROLE = 'keytrail-bench-generate';

interface FilePlan {
  index: number;
  events: number;
  firstEvent: number;
  minute: number;
}
interface GroupPlan {
  region: string;
  hour: number;
  files: FilePlan[];
  digestTime: number;
  previousDigest: string | null;
}
interface GroupDone {
  files: number;
  events: number;
  bytes: number;
  uncompressedBytes: number;
}

const stamp = (ms: number, seconds: boolean) =>
  `${iso(ms)
    .replace(/[-:]/g, '')
    .slice(0, seconds ? 15 : 13)}Z`;
const dayPath = (ms: number) => iso(ms).slice(0, 10).replace(/-/g, '/');

function digestKey(acct: string, region: string, time: number): string {
  return `AWSLogs/${acct}/CloudTrail-Digest/${region}/${dayPath(time)}/${acct}_CloudTrail-Digest_${region}_${TRAIL}_us-east-1_${stamp(time, true)}.json.gz`;
}

function fileSize(rng: Rng, remaining: number): number {
  let n = 50 + Math.floor(1950 * rng.float() ** 1.5);
  n = Math.min(n, remaining);
  const rest = remaining - n;
  if (rest > 0 && rest < 50) n = remaining <= 2000 ? remaining : remaining - 50;
  return n;
}

/**
 * The many-small-files shape: a quiet account over 90 days, CloudTrail delivering one file per
 * region every 5 minutes (12 an hour) with 1-20 records each (skewed towards few), `files` event
 * files in all, each region-hour with its digest.
 */
export function planSmallExport(files: number, seed: number): GroupPlan[] {
  const rng = new Rng(seed, 0x5a11);
  const acct = makeWorld(seed).account;
  const days = 90;
  const slots: { region: string; hour: number }[] = [];
  for (const region of REGIONS) for (let h = 0; h < days * 24; h++) slots.push({ region, hour: START + h * HOUR });
  const groups: GroupPlan[] = [];
  let fileIndex = 0;
  let eventIndex = 0;
  // Busy region-hours first, picked at random without repeats (more files than slots: more per hour).
  const perHour = Math.max(12, Math.ceil(files / slots.length));
  for (let i = slots.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  for (const slot of slots) {
    if (fileIndex >= files) break;
    const plan: FilePlan[] = [];
    for (let k = 0; k < perHour && fileIndex < files; k++) {
      const n = 1 + Math.floor(20 * rng.float() ** 2);
      plan.push({ index: fileIndex++, events: n, firstEvent: eventIndex, minute: Math.min(59, Math.floor((k * 60) / perHour) + rng.int(3)) });
      eventIndex += n;
    }
    groups.push({ region: slot.region, hour: slot.hour, files: plan, digestTime: slot.hour + HOUR + rng.range(60, 900) * 1000, previousDigest: null });
  }
  linkDigests(groups, acct);
  return groups;
}

function linkDigests(groups: GroupPlan[], acct: string): void {
  const last = new Map<string, GroupPlan>();
  for (const g of [...groups].sort((a, b) => a.hour - b.hour)) {
    const prev = last.get(g.region);
    if (prev) g.previousDigest = digestKey(acct, g.region, prev.digestTime);
    last.set(g.region, g);
  }
}

export function planExport(events: number, seed: number): GroupPlan[] {
  const rng = new Rng(seed, 0x91a4);
  const acct = makeWorld(seed).account;
  const cum: number[] = [];
  let sum = 0;
  for (const w of REGION_WEIGHTS) cum.push((sum += w));
  const total = cum[cum.length - 1]!;
  const used = new Set<string>();
  const groups: GroupPlan[] = [];
  let fileIndex = 0;
  let eventIndex = 0;
  while (eventIndex < events) {
    let region = '';
    let hour = 0;
    for (let tries = 0; tries < 50; tries++) {
      const x = rng.float() * total;
      region = REGIONS[cum.findIndex((c) => c > x)]!;
      hour = START + rng.int(DAYS * 24) * HOUR;
      if (!used.has(`${region}@${hour}`)) break;
    }
    used.add(`${region}@${hour}`);
    const files: FilePlan[] = [];
    const count = rng.range(16, 24);
    for (let i = 0; i < count && eventIndex < events; i++) {
      const n = fileSize(rng, events - eventIndex);
      files.push({ index: fileIndex++, events: n, firstEvent: eventIndex, minute: rng.range(5, 59) });
      eventIndex += n;
    }
    files.sort((a, b) => a.minute - b.minute);
    groups.push({ region, hour, files, digestTime: hour + HOUR + rng.range(60, 900) * 1000, previousDigest: null });
  }
  linkDigests(groups, acct);
  return groups;
}

/** Writes one group: its event files and the digest that lists them. Runs in a worker. */
function writeGroup(dir: string, seed: number, src: Omit<RecordSource, 'rng'>, g: GroupPlan, madeDirs: Set<string>): GroupDone {
  const acct = src.world.account;
  const bucket = `aws-cloudtrail-logs-${acct}-${(seed >>> 0).toString(16).padStart(8, '0')}`;
  const done: GroupDone = { files: 0, events: 0, bytes: 0, uncompressedBytes: 0 };
  const write = (key: string, data: Buffer) => {
    const full = path.join(dir, key);
    const parent = path.dirname(full);
    if (!madeDirs.has(parent)) {
      fs.mkdirSync(parent, { recursive: true });
      madeDirs.add(parent);
    }
    fs.writeFileSync(full, data);
    done.bytes += data.length;
  };
  const logFiles: Record<string, unknown>[] = [];
  for (const f of g.files) {
    const rng = new Rng(seed, 1_000_000 + f.index);
    const delivered = g.hour + f.minute * 60_000;
    const times = Array.from({ length: f.events }, () => delivered - 60_000 - rng.int(300_000)).sort((a, b) => a - b);
    const fileSrc = { ...src, rng };
    const records = times.map((t, i) => makeRecord(fileSrc, g.region, t, f.firstEvent + i));
    const text = `{"Records":[${records.join(',')}]}`;
    const key = `AWSLogs/${acct}/CloudTrail/${g.region}/${dayPath(delivered)}/${acct}_CloudTrail_${g.region}_${stamp(delivered, false)}_${rng.alnum(16)}.json.gz`;
    write(key, zlib.gzipSync(text, { level: 6 }));
    done.files++;
    done.events += f.events;
    done.uncompressedBytes += Buffer.byteLength(text);
    logFiles.push({
      s3Bucket: bucket,
      s3Object: key,
      hashValue: crypto.createHash('sha256').update(text).digest('hex'),
      hashAlgorithm: 'SHA-256',
      newestEventTime: iso(times[times.length - 1]!),
      oldestEventTime: iso(times[0]!),
    });
  }
  const rng = new Rng(seed, 0xd1 + g.hour / HOUR + REGIONS.indexOf(g.region as (typeof REGIONS)[number]) * 100_000);
  const key = digestKey(acct, g.region, g.digestTime);
  const digest = {
    awsAccountId: acct,
    digestStartTime: iso(g.hour),
    digestEndTime: iso(g.hour + HOUR),
    digestS3Bucket: bucket,
    digestS3Object: key,
    digestPublicKeyFingerprint: rng.hex(32),
    digestSignatureAlgorithm: 'SHA256withRSA',
    newestEventTime: logFiles.length ? logFiles[logFiles.length - 1]!.newestEventTime : null,
    oldestEventTime: logFiles.length ? logFiles[0]!.oldestEventTime : null,
    previousDigestS3Bucket: g.previousDigest ? bucket : null,
    previousDigestS3Object: g.previousDigest,
    previousDigestHashValue: g.previousDigest ? rng.hex(64) : null,
    previousDigestHashAlgorithm: g.previousDigest ? 'SHA-256' : null,
    previousDigestSignature: g.previousDigest ? rng.hex(512) : null,
    logFiles,
  };
  write(key, zlib.gzipSync(JSON.stringify(digest)));
  return done;
}

interface WorkerInit {
  role: string;
  dir: string;
  seed: number;
}
type ToWorker = { group: GroupPlan } | { stop: true };
type FromWorker = { ready: true } | { done: GroupDone };

function workerMain(init: WorkerInit): void {
  const port = parentPort!;
  const world = makeWorld(init.seed);
  const src = { world, worldSeed: init.seed, idKey: (init.seed * 2654435761) >>> 0 };
  const madeDirs = new Set<string>();
  port.on('message', (m: ToWorker) => {
    if ('stop' in m) return port.close();
    port.postMessage({ done: writeGroup(init.dir, init.seed, src, m.group, madeDirs) } satisfies FromWorker);
  });
  port.postMessage({ ready: true } satisfies FromWorker);
}

interface Marker {
  version: number;
  events: number;
  seed: number;
  stats: ExportStats;
  smallFiles?: number;
}

/**
 * Generate (or reuse) an export of `events` events under `dir`. `dir/.complete` records the
 * parameters of a finished run; anything else in `dir/AWSLogs` is deleted and rewritten.
 */
export async function generateExport(dir: string, events: number, seed = 1): Promise<ExportStats> {
  return writeExport(dir, seed, { events }, () => planExport(events, seed));
}

/**
 * Generate (or reuse) a many-small-files export of `files` event files (planSmallExport) under
 * `dir`; with `zip`, also one zip of the same AWSLogs tree (stored, not deflated: the entries are
 * gzip already), cached beside it.
 */
export async function generateSmallExport(dir: string, files: number, seed = 1, zip?: string): Promise<ExportStats> {
  const stats = await writeExport(dir, seed, { smallFiles: files }, () => planSmallExport(files, seed));
  if (zip && (!stats.cached || !fs.existsSync(`${zip}.complete`))) {
    fs.rmSync(`${zip}.complete`, { force: true });
    await writeStoredZip(path.join(dir, 'AWSLogs'), zip);
    fs.writeFileSync(`${zip}.complete`, JSON.stringify({ version: GENERATOR_VERSION, smallFiles: files, seed }));
  }
  return stats;
}

/** Every file under `root` as one zip (store), entry names relative to root's parent (AWSLogs/...), sorted. */
async function writeStoredZip(root: string, to: string): Promise<void> {
  const { default: yazl } = await import('yazl');
  const files: string[] = [];
  const stack = [root];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? stack : files).push(path.join(d, e.name));
  }
  files.sort();
  const zip = new yazl.ZipFile();
  const out = fs.createWriteStream(to);
  const done = new Promise<void>((res, rej) => {
    out.on('close', () => res());
    out.on('error', rej);
  });
  zip.outputStream.pipe(out);
  const base = path.dirname(root);
  for (const f of files) zip.addFile(f, path.relative(base, f).split(path.sep).join('/'), { compress: false, mtime: new Date('2024-08-01T00:00:00Z') });
  zip.end();
  await done;
}

async function writeExport(dir: string, seed: number, shape: { events: number } | { smallFiles: number }, plan: () => GroupPlan[]): Promise<ExportStats> {
  const markerPath = path.join(dir, '.complete');
  try {
    const m = JSON.parse(fs.readFileSync(markerPath, 'utf8')) as Marker;
    const same = 'events' in shape ? m.events === shape.events && m.smallFiles === undefined : m.smallFiles === shape.smallFiles;
    if (m.version === GENERATOR_VERSION && same && m.seed === seed) return { ...m.stats, cached: true };
  } catch {
    // no usable marker: generate
  }
  fs.rmSync(markerPath, { force: true });
  fs.rmSync(path.join(dir, 'AWSLogs'), { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const groups = plan();
  const events = groups.reduce((s, g) => s + g.files.reduce((t, f) => t + f.events, 0), 0);
  const stats: ExportStats = { files: 0, digestFiles: 0, events: 0, bytes: 0, uncompressedBytes: 0 };
  const workerCount = Math.max(1, Math.min(os.availableParallelism(), groups.length));
  let next = 0;
  await Promise.all(
    Array.from(
      { length: workerCount },
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { role: WORKER_ROLE, dir, seed } satisfies WorkerInit });
          const feed = () => {
            const g = groups[next++];
            w.postMessage(g ? ({ group: g } satisfies ToWorker) : ({ stop: true } satisfies ToWorker));
          };
          w.on('message', (m: FromWorker) => {
            if ('done' in m) {
              stats.files += m.done.files;
              stats.digestFiles += 1;
              stats.events += m.done.events;
              stats.bytes += m.done.bytes;
              stats.uncompressedBytes! += m.done.uncompressedBytes;
            }
            feed();
          });
          w.on('error', reject);
          w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generator worker exited with code ${code}`))));
        }),
    ),
  );
  const chained = performance.now();
  chainDigests(dir, groups, makeWorld(seed).account);
  stats.chainSeconds = (performance.now() - chained) / 1000;
  stats.seconds = (performance.now() - t0) / 1000;
  if (stats.events !== events) throw new Error(`generator wrote ${stats.events} events, expected ${events}`);
  const smallFiles = 'smallFiles' in shape ? shape.smallFiles : undefined;
  fs.writeFileSync(
    markerPath,
    JSON.stringify({ version: GENERATOR_VERSION, events, seed, stats, ...(smallFiles ? { smallFiles } : {}) } satisfies Marker, null, 2),
  );
  return stats;
}

/**
 * The digests as CloudTrail chains and signs them, once every group is written (the workers write
 * groups in any order): per region in time order, each names the previous digest's SHA-256 (of its
 * uncompressed content) and signature, and is signed (RSA PKCS#1 v1.5, SHA-256, over AWS's signing
 * string) with the sample's test key; the signature goes beside it as .sig, the public key into
 * <export>/public-keys.json (outside AWSLogs/) as `aws cloudtrail list-public-keys` prints it.
 */
function chainDigests(dir: string, groups: GroupPlan[], acct: string): void {
  const key = crypto.createPrivateKey(fs.readFileSync(path.join(repoRoot(), 'scripts', 'sample-digest-key.pem')));
  const der = crypto.createPublicKey(key).export({ format: 'der', type: 'pkcs1' });
  const fingerprint = crypto.createHash('md5').update(der).digest('hex');
  const sha256 = (t: string) => crypto.createHash('sha256').update(t).digest('hex');
  const prev = new Map<string, { text: string; signature: string }>();
  for (const g of [...groups].sort((a, b) => a.hour - b.hour)) {
    const file = path.join(dir, digestKey(acct, g.region, g.digestTime));
    const d = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as Record<string, unknown>;
    const before = prev.get(g.region);
    d.digestPublicKeyFingerprint = fingerprint;
    if (before) {
      d.previousDigestHashValue = sha256(before.text);
      d.previousDigestSignature = before.signature;
    }
    const text = JSON.stringify(d);
    const signing = `${d.digestEndTime}\n${d.digestS3Bucket}/${d.digestS3Object}\n${sha256(text)}\n${d.previousDigestSignature ?? 'null'}`;
    const signature = crypto.sign('sha256', Buffer.from(signing), key).toString('hex');
    fs.writeFileSync(file, zlib.gzipSync(text));
    fs.writeFileSync(`${file}.sig`, `${signature}\n`);
    prev.set(g.region, { text, signature });
  }
  const list = {
    PublicKeyList: [
      { Value: der.toString('base64'), ValidityStartTime: '2020-01-01T00:00:00Z', ValidityEndTime: '2030-01-01T00:00:00Z', Fingerprint: fingerprint },
    ],
  };
  fs.writeFileSync(path.join(dir, 'public-keys.json'), `${JSON.stringify(list, null, 2)}\n`);
}

if (!isMainThread && (workerData as Partial<WorkerInit> | null)?.role === WORKER_ROLE) workerMain(workerData as WorkerInit);
