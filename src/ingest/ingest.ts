/**
 * ingest: evidence paths → the case database. Every file found gets a row in `files` (or is already
 * in the case, same path and sha256, and is left alone). Files are loaded in batches of bounded size,
 * one transaction each, so memory stays flat and a crash costs at most the batch in flight.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeytrailError } from '../errors.js';
import { CaseDb } from '../store/db.js';
import type { FileStatus } from '../store/schema.js';
import { DEFAULT_MIN_FREE_BYTES, ExpansionBudget, extractArchive, readPacked, type PackedBytes } from './archive.js';
import { DEFAULT_EXPANSION, ExpansionError, expansionLimit, probeBytes, probeFile, type ExpansionLimits, type Probe } from './bytes.js';
import { discover, type SpecialObject } from './discover.js';
import { BatchLoader, MAX_OBJECT_BYTES, NativeLoadError, sizeBytes, type FileRow, type FinalRow, type NativeUnit } from './batch-loader.js';
import { NormalizedWriter } from './normalized.js';
import { DEFAULT_SPLIT_LIMITS, type SplitLimits } from './json-values.js';
import { NotEvidence, readRecords, type ReadSpec } from './reader.js';
import { makeRunTmp, removeStaleTmp } from './run-tmp.js';
import { sniff } from './sniff.js';
import { Stager } from './staging.js';

export interface IngestOptions {
  db: string;
  /** Estimated decompressed bytes per batch (one transaction). */
  batchBytes?: number;
  limits?: Partial<ExpansionLimits>;
  /** DuckDB memory limit for the load. */
  memoryLimit?: string;
  onProgress?: (p: IngestProgress) => void;
  /** Where archives are unpacked and normalized records staged; removed afterwards. */
  tmpDir?: string;
  /** A record longer than this (bytes of JSON text) is rejected alone; the rest of its file loads. */
  maxRecordBytes?: number;
  /** A record nested deeper than this is rejected alone. */
  maxDepth?: number;
  /** Archive extraction stops while the temporary folder has less than this free (default 1 GiB). */
  minFreeBytes?: number;
}

export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  events: number;
}

export interface IngestSummary {
  db: string;
  /** Rows written this run, by status. */
  files: Record<FileStatus, number>;
  /** Files left alone because the case already holds them (same path and sha256). */
  alreadyInCase: number;
  /** New events in the case. */
  events: number;
  duplicates: number;
  rejectedRecords: number;
  seconds: number;
  /** Inputs that named nothing. */
  inputErrors: { input: string; message: string }[];
  /** Rejected files with their reasons, for the summary a person reads. */
  problems: { path: string; status: FileStatus; reason: string }[];
}

interface Pending {
  display: string;
  real: string;
  parentId: number | null;
  depth: number;
  /** The expansion budget of the input archive this came out of, shared by all archives inside it. */
  budget?: ExpansionBudget;
  /** The archive ends inside this entry: it holds only the bytes before the cut. */
  cut?: string;
  /** A small archive entry's bytes, in a pack (archive.ts EntryPack); `real` is where its own file goes if it needs one. */
  packed?: PackedBytes;
}

/**
 * The probe of a queued file. A packed entry is probed from its bytes; the rare one the in-memory
 * probe cannot judge (a damaged gzip...) gets its own file and the streaming probe.
 */
async function probeItem(item: Pending, cap: (size: number) => number): Promise<Probe> {
  if (!item.packed) return probeFile(item.real, cap);
  const bytes = readPacked(item.packed);
  const probe = probeBytes(bytes, cap(bytes.length));
  if (probe) return probe;
  unpack(item, bytes);
  return probeFile(item.real, cap);
}

/** A packed entry is read from a file of its own from now on (an archive inside an archive, a file that is not staged). */
function unpack(item: Pending, bytes = item.packed && readPacked(item.packed)): void {
  if (!item.packed || !bytes) return;
  fs.writeFileSync(item.real, bytes, { flag: 'wx' });
  item.packed.pack.release();
  delete item.packed;
}

const MAX_ARCHIVE_DEPTH = 4;
/** Files probed (read, hashed, gunzipped in zlib's threads) ahead of the one examined. */
const PROBE_AHEAD = 32;
/**
 * Files per batch, whatever their bytes: 100,000 small S3 files are ~0.7 GB of JSON, one batch by
 * bytes, which would load only after all were examined; in batches of this many, a batch loads
 * while the next is examined. Small files are staged (staging.ts), so a batch's size no longer
 * sets DuckDB's per-file state; each batch costs a commit and a checkpoint, so fewer are faster
 * (100,000 small files: 20,000 a batch 59-61 s, 50,000 a batch 50-53 s).
 */
const MAX_BATCH_FILES = 50_000;
// The batch size trades speed for memory. Every commit ends in a partial row group that is logged
// and checkpointed later (1M bench events in one batch: 19.8 s; in three: 27.3 s), while peak
// memory grows with the batch (1M events: ~1.1 GB; 2.8M: ~1.7 GB). 1.5 GiB of JSON is about a
// million CloudTrail records: fast, and the same peak however large the evidence.
const DEFAULT_BATCH_BYTES = 1.5 * 2 ** 30;
// DuckDB caches the case's blocks up to its memory limit, so the limit, not the evidence, sets the
// plateau: at 1 GB a 1M-event load peaks near 0.85 GB RSS and loads as fast as at 1.5 GB.
const DEFAULT_MEMORY_LIMIT = '1GB';

export async function ingest(inputs: readonly string[], options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const limits: ExpansionLimits = { ...DEFAULT_EXPANSION, ...options.limits };
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  const found = await discover(inputs);
  // The case database may sit inside the evidence folder: it is keytrail's own output, not evidence.
  const own = new Set(['', '.wal', '.tmp'].map((x) => path.resolve(options.db) + x));
  found.files = found.files.filter((f) => !own.has(f) && !f.startsWith(`${path.resolve(options.db)}.tmp${path.sep}`));
  const memoryLimit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
  if (sizeBytes(memoryLimit) === undefined) throw new KeytrailError('USAGE', `memory limit ${JSON.stringify(memoryLimit)} is not a size like 1GB`);
  const db = await CaseDb.open(options.db, { create: true, memoryLimit });
  // A run killed before its `finally` leaves its temp folder; the next run removes it.
  removeStaleTmp(options.tmpDir ?? os.tmpdir());
  const tmp = makeRunTmp(options.tmpDir ?? os.tmpdir());
  const summary: IngestSummary = {
    db: options.db,
    files: { ingested: 0, partial: 0, skipped: 0, 'duplicate-file': 0, rejected: 0 },
    alreadyInCase: 0,
    events: 0,
    duplicates: 0,
    rejectedRecords: 0,
    seconds: 0,
    inputErrors: found.errors,
    problems: [],
  };
  try {
    const split: SplitLimits = {
      ...DEFAULT_SPLIT_LIMITS,
      ...(options.maxRecordBytes ? { maxBytes: options.maxRecordBytes } : {}),
      ...(options.maxDepth ? { maxDepth: options.maxDepth } : {}),
    };
    const loader = new BatchLoader(db, memoryLimit, split.maxBytes, tmp);
    await loader.init();
    const known = await db.all(`SELECT id, path, sha256 FROM files WHERE sha256 IS NOT NULL`);
    const bySha = new Map<string, { id: number; path: string }>();
    const byPathSha = new Set<string>();
    for (const r of known) {
      if (!bySha.has(String(r.sha256))) bySha.set(String(r.sha256), { id: Number(r.id), path: String(r.path) });
      byPathSha.add(`${String(r.path)}\0${String(r.sha256)}`);
    }
    const [maxRow] = await db.all(`SELECT coalesce(max(id), 0) AS m FROM files`);
    let nextId = Number(maxRow?.m ?? 0) + 1;

    const queue = new Queue<Pending>(found.files.map((f) => ({ display: f, real: f, parentId: null, depth: 0 })));
    const progress: IngestProgress = { filesDone: 0, filesTotal: queue.length, events: 0 };
    let batches = 0;
    const newBatch = (): Batch => ({ rows: [], bytes: 0, stager: new Stager(tmp, String(++batches)) });
    let batch = newBatch();
    // What could not be read last time and still cannot, for the same reason, is not written again.
    const unread = new Set(
      (await db.all(`SELECT path, reason FROM files WHERE sha256 IS NULL AND parent_id IS NULL`)).map((r) => `${String(r.path)}\0${String(r.reason)}`),
    );
    addObjectRows(found.objects, unread, batch, () => nextId++, summary);
    // An archive's own row is committed with (or after) its last entry, so a crash part-way
    // through never leaves an archive marked as ingested with entries missing.
    const pendingArchives: ExaminedRow[] = [];

    const lap = tracer('ingest');
    // A batch loads (in DuckDB's threads) while the next one is examined (hashing, sniffing,
    // the record reader's JavaScript): one load in flight at a time.
    let loading: Promise<void> = Promise.resolve();
    const flush = async () => {
      if (batch.rows.length === 0) return;
      const current = batch;
      batch = newBatch();
      lap(`examined ${current.rows.length} files (hash, sniff)`);
      await loading;
      loading = loadBatch(loader, current, tmp, limits, split).then((finals) => {
        for (const f of finals) {
          const status = f.status as FileStatus;
          summary.files[status]++;
          summary.events += f.events;
          summary.duplicates += f.duplicates;
          summary.rejectedRecords += f.rejected;
          if ((status === 'rejected' || status === 'partial') && f.reason) summary.problems.push({ path: f.path, status, reason: f.reason });
        }
        progress.events = summary.events;
        options.onProgress?.(progress);
        lap(`batch of ${current.rows.length} files loaded`);
      });
      // Keep an unobserved failure from being reported before the next await sees it.
      loading.catch(() => undefined);
    };

    // Files are hashed and sniffed a few ahead, so reading overlaps with deciding.
    const probes = new Map<Pending, Promise<Probe>>();
    const probeAhead = () => {
      for (const q of queue.first(PROBE_AHEAD)) {
        if (!probes.has(q)) {
          const p = probeItem(q, (size) => expansionLimit(size, limits));
          p.catch(() => undefined);
          probes.set(q, p);
        }
      }
    };
    let sinceYield = 0;
    while (queue.length > 0) {
      // Small files are probed synchronously: let the batch loading meanwhile hear from DuckDB
      // (each statement's completion waits for the event loop) every few files, not once a batch.
      if (++sinceYield >= 32) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
      probeAhead();
      const item = queue.shift();
      const probed = probes.get(item)!;
      probes.delete(item);
      const row = await examine(item, probed, nextId, bySha, byPathSha, batch);
      // Whatever needed the entry's own file has it now; nothing else reads the pack for it.
      item.packed?.pack.release();
      if (item.cut && row !== 'already') markCut(row, item.cut);
      progress.filesDone++;
      if (row === 'already' || (row.sha256 === null && unread.has(`${row.path}\0${row.reason}`))) {
        summary.alreadyInCase++;
        continue;
      }
      nextId++;
      if (row.sha256 && row.status !== 'duplicate-file') bySha.set(row.sha256, { id: row.id, path: row.path });
      if (row.sha256) byPathSha.add(`${row.path}\0${row.sha256}`);
      if (row.archive && item.depth < MAX_ARCHIVE_DEPTH) {
        const budget = item.budget ?? new ExpansionBudget(expansionLimit(row.bytes ?? 0, limits));
        const res = await extractArchive(item.real, row.archive.kind, row.archive.gzip, path.join(tmp, `archive-${row.id}`), {
          limits,
          budget,
          minFreeBytes: options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES,
        });
        const entries = res.entries.map((e) => ({ ...e, display: `${row.path}!/${e.name}` }));
        const children: Pending[] = [];
        for (const e of entries) {
          if (e.extracted)
            children.push({ display: e.display, real: e.extracted, parentId: row.id, depth: item.depth + 1, budget, cut: e.cut, packed: e.packed });
          else
            batch.rows.push({
              id: nextId++,
              parentId: row.id,
              path: e.display,
              sha256: null,
              bytes: e.bytes,
              format: 'archive-entry',
              status: e.rejected ? 'rejected' : 'skipped',
              reason: e.rejected ?? e.skipped ?? null,
            });
        }
        row.reason = `${row.archive.kind} archive: ${entries.length} entries${res.error ? `; ${res.error}` : ''}`;
        // Rejected when nothing could be read from it; partial when some entries are missing or were refused.
        if (res.error) row.status = entries.length === 0 ? 'rejected' : 'partial';
        queue.unshift(children);
        progress.filesTotal += children.length;
        pendingArchives.push(row);
        continue;
      } else if (row.archive) {
        row.status = 'skipped';
        row.reason = `archive nested more than ${MAX_ARCHIVE_DEPTH} deep: not opened`;
      }
      batch.rows.push(row);
      // A small last batch loads far slower into a large case (measured: 242 files after 4.8M
      // events took 69 s, alone 4.6 s), so what remains when less than half a batch is left joins this one.
      const rest = (queue.length * batch.bytes) / Math.max(batch.rows.length, 1);
      if ((batch.bytes >= batchBytes && rest >= batchBytes / 2) || (batch.rows.length >= MAX_BATCH_FILES && queue.length >= MAX_BATCH_FILES / 2)) {
        if (!queue.any((q) => q.parentId !== null)) batch.rows.push(...pendingArchives.splice(0));
        await flush();
      }
      options.onProgress?.(progress);
    }
    batch.rows.push(...pendingArchives.splice(0));
    await flush();
    await loading;
  } finally {
    db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** First in, first out, and archive entries go in at the front; shift is O(1) (an array's is O(n): 0.5 s a 20,000-file batch). */
class Queue<T> {
  private head = 0;
  constructor(private items: T[]) {}
  get length(): number {
    return this.items.length - this.head;
  }
  shift(): T {
    const x = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    return x;
  }
  unshift(xs: readonly T[]): void {
    this.items = [...xs, ...this.items.slice(this.head)];
    this.head = 0;
  }
  first(n: number): T[] {
    return this.items.slice(this.head, this.head + n);
  }
  any(test: (x: T) => boolean): boolean {
    for (let i = this.head; i < this.items.length; i++) if (test(this.items[i]!)) return true;
    return false;
  }
}

/**
 * Objects discovery does not read (links, FIFOs, unreadable folders...) join the first batch with
 * their rows; one already in the case with the same reason is left alone, like a file already read.
 */
function addObjectRows(objects: readonly SpecialObject[], unread: Set<string>, batch: Batch, nextId: () => number, summary: IngestSummary): void {
  for (const o of objects) {
    if (unread.has(`${o.path}\0${o.reason}`)) summary.alreadyInCase++;
    else batch.rows.push({ id: nextId(), parentId: null, path: o.path, sha256: null, bytes: null, format: o.format, status: o.status, reason: o.reason });
  }
}

/**
 * An archive member cut short by the end of its archive: the record reader reads what it holds (so
 * records complete before the cut are kept) and its row says why the rest is missing.
 */
function markCut(row: ExaminedRow, cut: string): void {
  if (row.counted) {
    delete row.native;
    row.readError = cut;
  } else row.reason = row.reason ? `${cut}; ${row.reason}` : cut;
}

interface Batch {
  rows: ExaminedRow[];
  bytes: number;
  /** The batch's small S3 files, their texts already written to staging files. */
  stager: Stager;
}

interface ExaminedRow extends FileRow {
  real?: string;
  native?: { gzip: boolean; isize?: number };
  read?: ReadSpec;
  /** Its text is in the batch's staging files (staging.ts). */
  staged?: boolean;
  archive?: { kind: 'zip' | 'tar'; gzip: boolean };
}

/** Hash and sniff one file; decide how it will be read. */
async function examine(
  item: Pending,
  probed: Promise<Probe>,
  id: number,
  bySha: Map<string, { id: number; path: string }>,
  byPathSha: Set<string>,
  batch: Batch,
): Promise<ExaminedRow | 'already'> {
  const row: ExaminedRow = { id, parentId: item.parentId, path: item.display, sha256: null, bytes: null, format: 'unknown', status: 'rejected', reason: null };
  let probe: Probe;
  try {
    probe = await probed;
    row.bytes = probe.size;
    row.sha256 = probe.sha256;
  } catch (err) {
    row.reason = `cannot read: ${(err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as Error).message}`;
    return row;
  }
  const size = probe.size;
  if (byPathSha.has(`${row.path}\0${row.sha256}`)) return 'already';
  const same = bySha.get(row.sha256);
  if (same) {
    return Object.assign(row, { format: 'duplicate', status: 'duplicate-file', reason: `same content (sha256) as file #${same.id} ${same.path}` });
  }
  const s = sniff(probe, item.display);
  // The probe already decompressed it past its limit: rejected without a second read.
  if (probe.bomb !== undefined && (s.kind === 'records' || s.kind === 'json' || s.kind === 'csv')) {
    return Object.assign(row, { format: 'gzip', status: 'rejected', reason: new ExpansionError(probe.bomb).message });
  }
  switch (s.kind) {
    case 'skip':
    case 'reject':
      return Object.assign(row, { format: s.format, status: s.kind === 'skip' ? 'skipped' : 'rejected', reason: s.reason });
    case 'zip':
    case 'tar':
      unpack(item);
      return Object.assign(row, {
        format: s.kind === 'zip' ? 'zip' : s.gzip ? 'tar.gz' : 'tar',
        status: 'ingested',
        archive: { kind: s.kind, gzip: s.kind === 'tar' && s.gzip },
      });
    case 'records':
      batch.bytes += s.gzip ? Math.max(probe.expanded ?? s.isize ?? 0, size * 10) : size;
      // A small file the probe holds whole is staged now, its text written once and dropped. Not
      // one cut short by the end of its archive: the record reader keeps what it can of that.
      if (probe.content && !item.cut) {
        batch.stager.add({ fileId: id, path: item.real, gzip: s.gzip, bytes: probe.content.length }, probe.content);
        // An archive entry's extracted copy is not needed while its text is staged: the temporary
        // folder holds each entry once, so the expansion budget bounds it.
        if (item.parentId !== null && !item.packed) fs.rmSync(item.real, { force: true });
        return Object.assign(row, {
          real: item.real,
          format: 'cloudtrail-records',
          status: 'ingested',
          counted: true,
          staged: true,
          read: { kind: 'records', gzip: s.gzip },
        });
      }
      // The size it really decompresses to (the probe read it), not the trailer's word, decides the path.
      unpack(item);
      return Object.assign(row, {
        real: item.real,
        format: 'cloudtrail-records',
        status: 'ingested',
        counted: true,
        native: { gzip: s.gzip, isize: probe.expanded ?? s.isize },
        read: { kind: 'records', gzip: s.gzip },
      });
    case 'json':
    case 'csv':
      batch.bytes += s.gzip ? size * 10 : size;
      unpack(item);
      return Object.assign(row, {
        real: item.real,
        format: s.kind,
        status: 'ingested',
        counted: true,
        read: { kind: s.kind, gzip: s.gzip, encoding: s.encoding },
      });
  }
}

/** Read what needs the record reader, then load the batch in one transaction. */
async function loadBatch(loader: BatchLoader, batch: Batch, tmp: string, limits: ExpansionLimits, split: SplitLimits) {
  const lap = tracer(`batch of ${batch.rows.length} files`);
  const natives: NativeUnit[] = [];
  const viaReader: ExaminedRow[] = [];
  for (const r of batch.rows) {
    if (!r.read || r.staged) continue;
    // A gzip whose trailer says it expands past the limit goes to the reader, which enforces it.
    if (r.native && r.real && withinLimit(r, limits)) {
      natives.push({ fileId: r.id, path: r.real, gzip: r.native.gzip, bytes: r.native.gzip ? (r.native.isize ?? 0) : (r.bytes ?? 0) });
    } else viaReader.push(r);
  }
  const normalized: string[] = [];
  const readAll = async (rows: ExaminedRow[]) => {
    if (rows.length === 0) return;
    const writer = new NormalizedWriter(path.join(tmp, `normalized-${normalized.length}-${rows[0]!.id}.jsonl`));
    try {
      for (const r of rows) await readOne(r, writer, limits, split);
    } finally {
      writer.close();
    }
    if (writer.lines > 0) normalized.push(writer.path);
  };
  await readAll(viaReader);
  lap('read by the record reader');
  let finals: FinalRow[];
  const staged = batch.stager;
  try {
    staged.close();
    await loader.prepare(batch.bytes, natives.length > 0);
    try {
      finals = await loader.load(natives, staged, normalized, batch.rows);
    } catch (err) {
      // Out of memory says nothing about the files: the batch (rolled back) is loaded again with
      // the whole limit, not file by file, which would cost far more of both time and memory.
      if (!isOutOfMemory(err)) throw err;
      lap(`out of memory (${(err as Error).message.split('\n')[0]}): loaded again with the whole memory limit`);
      await loader.prepare(batch.bytes, true);
      try {
        finals = await loader.load(natives, staged, normalized, batch.rows);
      } catch (again) {
        if (!isOutOfMemory(again)) throw again;
        throw new KeytrailError(
          'INPUT',
          `DuckDB ran out of memory loading a batch of ${batch.rows.length} files within its memory limit of ${loader.memoryLimit}: run again with a larger --memory-limit (e.g. 4GB); nothing of this batch was loaded, the batches before it were, and running again reads only what is missing`,
          {},
          { cause: again },
        );
      }
    }
  } catch (err) {
    if (!(err instanceof NativeLoadError)) throw err;
    lap(`refused by DuckDB's reader (${err.message.split('\n')[0]}): read again file by file`);
    // Some file DuckDB's reader refused (truncated gzip, broken JSON...): find it among the files
    // read alone, staged ones included, let the record reader take it (it keeps what can be kept
    // and says why the rest cannot), and load the others again, each from its own file.
    const alone = staged.units.map((_, i) => staged.alone(i));
    const byId = new Map(batch.rows.map((r) => [r.id, r]));
    for (const u of alone) {
      const r = byId.get(u.fileId)!;
      r.real = u.path;
      r.read = { kind: 'records', gzip: u.gzip };
    }
    const all = [...natives, ...alone];
    const failed = await loader.probeNative(all);
    if (failed.length === 0 && staged.units.length === 0) throw err;
    const ids = new Set(failed.map((f) => f.unit.fileId));
    await readAll(batch.rows.filter((r) => ids.has(r.id)));
    finals = await loader.load(
      all.filter((u) => !ids.has(u.fileId)),
      null,
      normalized,
      batch.rows,
    );
  } finally {
    staged.remove();
  }
  lap('loaded');
  await loader.release();
  for (const p of normalized) fs.rmSync(p, { force: true });
  return finals;
}

/** The gzip trailer (size modulo 4 GiB) is a cheap first check; the reader enforces the limit exactly. */
function withinLimit(r: ExaminedRow, limits: ExpansionLimits): boolean {
  const isize = r.native?.isize;
  return isize === undefined || (isize <= expansionLimit(r.bytes ?? 0, limits) && isize <= MAX_OBJECT_BYTES);
}

async function readOne(r: ExaminedRow, writer: NormalizedWriter, limits: ExpansionLimits, split: SplitLimits): Promise<void> {
  let skippedReason: string | undefined;
  const sink = writer.sinkFor(
    r.id,
    (f) => (r.format = f),
    (why) => (skippedReason = why),
  );
  try {
    const out = await readRecords(r.real!, r.read!, expansionLimit(r.bytes ?? 0, limits), sink, split);
    r.format = out.format;
    if (out.error) r.readError = r.readError ? `${r.readError}; ${out.error}` : out.error;
    if (out.note) r.notice = out.note;
    if (sink.repaired > 0) {
      r.notes = [
        `${sink.repaired} record(s) held \\u escapes that are no character (lone surrogates), each written as U+FFFD (first: record ${sink.firstRepaired})`,
      ];
    }
    if (r.format === 'csv-limited') r.partialSource = 'field-limited CSV (no full CloudTrail event): its records are marked partial';
  } catch (err) {
    if (!(err instanceof NotEvidence)) throw err;
    r.counted = false;
    r.status = 'rejected';
    r.reason = err.message;
    return;
  }
  if (skippedReason && sink.count === 0) {
    r.counted = false;
    r.status = 'skipped';
    r.reason = skippedReason;
  }
}

const isOutOfMemory = (err: unknown) => err instanceof Error && /^Out of Memory Error/m.test(err.message);

/** KEYTRAIL_TRACE=1 prints where a batch's time goes, on stderr. */
function tracer(what: string): (step: string) => void {
  if (!process.env.KEYTRAIL_TRACE) return () => undefined;
  let t = performance.now();
  return (step) => {
    const now = performance.now();
    process.stderr.write(`[trace] ${what}: ${step} in ${((now - t) / 1000).toFixed(2)} s\n`);
    t = now;
  };
}
