/**
 * The batch pipeline: files are examined one after another (probed a few ahead), archives expanded
 * into their entries, and the rows gathered into batches of bounded size, each loaded in one
 * transaction while the next is examined, and finally counted into the run's summary.
 */
import type { BatchLoader, FinalRow } from './batch-loader.js';
import type { Probe } from './bytes.js';
import type { CaseIndex } from './case-index.js';
import { examine, markCut, type Batch, type ExaminedRow } from './examine.js';
import { expandArchive, MAX_ARCHIVE_DEPTH, notOpened } from './expand.js';
import type { IngestProgress, IngestSummary } from './ingest.js';
import { takeSpare } from './line-buffers.js';
import { loadBatch } from './load-batch.js';
import { probeItem, Queue, type Pending } from './pending.js';
import { ProbePool } from './probe-pool.js';
import type { IngestPlan } from './plan.js';
import { Stager } from './staging.js';
import type { StagingRoom } from './staging-room.js';
import { tracer } from './trace.js';

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
/** Small files are probed synchronously: every this many, the event loop is let through (see run()). */
const YIELD_EVERY = 32;
/** How often, while a batch loads, progress is told again (its step and seconds). */
const POLL_MS = 1000;

export class BatchPipeline {
  private readonly queue: Queue<Pending>;
  private readonly progress: IngestProgress;
  /** Files hashed and sniffed a few ahead, so reading overlaps with deciding. */
  private readonly probes = new Map<Pending, Promise<Probe>>();
  private batches = 0;
  private batch: Batch;
  /**
   * An archive's own row is committed with (or after) its last entry, so a crash part-way
   * through never leaves an archive marked as ingested with entries missing.
   */
  private readonly pendingArchives: ExaminedRow[] = [];
  /**
   * A batch loads (in DuckDB's threads) while the next one is examined (hashing, sniffing, the
   * record reader's JavaScript): one load in flight at a time.
   */
  private loading: Promise<void> = Promise.resolve();
  private sinceYield = 0;
  /** Files are probed in worker threads (probe-pool.ts), when keytrail runs from its build. */
  private readonly pool = ProbePool.start();
  private readonly lap = tracer('ingest');

  constructor(
    private readonly plan: IngestPlan,
    private readonly known: CaseIndex,
    private readonly loader: BatchLoader,
    /** The run's temporary folder. */
    private readonly tmp: string,
    /** Where the batches' staging files go (staging-room.ts). */
    private readonly room: StagingRoom,
    private readonly summary: IngestSummary,
    private readonly onProgress?: (p: IngestProgress) => void,
    /** Stop (Ctrl-C): no file is examined and no batch starts after it. */
    private readonly signal?: AbortSignal,
  ) {
    this.queue = new Queue<Pending>(plan.files.map((f) => ({ display: f, real: f, parentId: null, depth: 0 })));
    this.progress = { filesDone: 0, filesTotal: this.queue.length, events: 0, filesLoaded: 0, batchesLoaded: 0, loading: null };
    this.batch = this.newBatch();
    this.addObjects();
  }

  async run(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // Let the batch loading meanwhile hear from DuckDB (each statement's completion waits for
        // the event loop) every few files, not once a batch.
        if (++this.sinceYield >= YIELD_EVERY) {
          this.sinceYield = 0;
          await new Promise((r) => setImmediate(r));
        }
        this.signal?.throwIfAborted();
        this.probeAhead();
        const item = this.queue.shift();
        if (item) await this.take(item);
      }
      this.batch.rows.push(...this.pendingArchives.splice(0));
      // Every file is examined: the workers' memory (and what they have yet to collect) goes back
      // before the last batch loads, the run's largest (see batchFull).
      await this.pool?.stop();
      await this.flush();
      await this.loading;
    } catch (err) {
      // However the run stops, the batch loading meanwhile ends (committed or rolled back) before
      // the case is closed under it.
      await this.loading.catch(() => undefined);
      throw err;
    } finally {
      await this.pool?.stop();
      // The lines memory kept for the next files (line-buffers.ts) is not held past the run.
      takeSpare(Number.POSITIVE_INFINITY);
    }
  }

  private newBatch(): Batch {
    return { rows: [], bytes: 0, stager: new Stager(this.room, ++this.batches) };
  }

  /**
   * Objects discovery does not read (links, FIFOs, unreadable folders...) join the first batch with
   * their rows; one already in the case with the same reason is left alone, like a file already read.
   */
  private addObjects(): void {
    for (const o of this.plan.objects) {
      if (this.known.stillUnread(o.path, o.reason)) this.summary.alreadyInCase++;
      else
        this.batch.rows.push({
          id: this.known.nextId++,
          parentId: null,
          path: o.path,
          sha256: null,
          bytes: null,
          format: o.format,
          status: o.status,
          reason: o.reason,
        });
    }
  }

  private probeAhead(): void {
    for (const q of this.queue.first(PROBE_AHEAD)) if (!this.probes.has(q)) this.probes.set(q, this.probe(q));
  }

  private probe(item: Pending): Promise<Probe> {
    const p = probeItem(item, this.plan.limits, this.pool);
    p.catch(() => undefined);
    return p;
  }

  /** One file: examined, then left alone (the case holds it), opened (an archive) or added to the batch. */
  private async take(item: Pending): Promise<void> {
    const row = await this.examine(item);
    this.progress.filesDone++;
    if (row === 'already' || (row.sha256 === null && this.known.stillUnread(row.path, row.reason))) {
      this.summary.alreadyInCase++;
      return;
    }
    this.known.add(row);
    if (row.archive && item.depth < MAX_ARCHIVE_DEPTH) return this.expand(item, row, row.archive);
    if (row.archive) notOpened(row);
    this.batch.rows.push(row);
    if (this.batchFull()) {
      if (!this.queue.any((q) => q.parentId !== null)) this.batch.rows.push(...this.pendingArchives.splice(0));
      await this.flush();
    }
    this.onProgress?.(this.progress);
  }

  private async examine(item: Pending): Promise<ExaminedRow | 'already'> {
    const probed = this.probes.get(item) ?? this.probe(item);
    this.probes.delete(item);
    const row = await examine(item, probed, this.known.nextId, this.known, this.batch);
    // Whatever needed the entry's own file has it now; nothing else reads the pack for it.
    item.packed?.pack.release();
    if (item.cut && row !== 'already') markCut(row, item.cut);
    return row;
  }

  /** An archive's entries go to the front of the queue; its row waits for them. */
  private async expand(item: Pending, row: ExaminedRow, archive: { kind: 'zip' | 'tar'; gzip: boolean }): Promise<void> {
    const { children, rows } = await expandArchive(item, row, archive, {
      limits: this.plan.limits,
      minFreeBytes: this.plan.minFreeBytes,
      tmp: this.tmp,
      nextId: () => this.known.nextId++,
    });
    this.batch.rows.push(...rows);
    this.queue.unshift(children);
    this.progress.filesTotal += children.length;
    this.pendingArchives.push(row);
  }

  /**
   * The batch is full by bytes or by files. A small last batch loads far slower into a large case
   * (measured: 242 files after 4.8M events took 69 s, alone 4.6 s), so what remains when less than
   * half a batch is left joins this one.
   */
  private batchFull(): boolean {
    const { batch, queue } = this;
    const { batchBytes } = this.plan;
    const rest = (queue.length * batch.bytes) / Math.max(batch.rows.length, 1);
    return (batch.bytes >= batchBytes && rest >= batchBytes / 2) || (batch.rows.length >= MAX_BATCH_FILES && queue.length >= MAX_BATCH_FILES / 2);
  }

  /** The batch starts loading once the one before it is loaded; the next batch begins. */
  private async flush(): Promise<void> {
    if (this.batch.rows.length === 0) return;
    const current = this.batch;
    this.batch = this.newBatch();
    this.lap(`examined ${current.rows.length} files (hash, sniff)`);
    await this.loading;
    this.signal?.throwIfAborted();
    const stopPolling = this.loadingNow(current);
    // While it loads, the probe workers examine the next batch, giving way to DuckDB's threads
    // (probe-pool.ts YIELDING_NICE); their memory comes off DuckDB's.
    this.pool?.yieldToLoads();
    const shareBytes = this.pool?.footprintBytes ?? 0;
    this.loading = loadBatch(this.loader, current, { tmp: this.tmp, limits: this.plan.limits, split: this.plan.split, shareBytes })
      .finally(stopPolling)
      .then((finals) => this.loaded(current, finals));
    // Keep an unobserved failure from being reported before the next await sees it.
    this.loading.catch(() => undefined);
  }

  /** The batch starts loading: said, then its step and seconds every POLL_MS until the returned stop. */
  private loadingNow(batch: Batch): () => void {
    const { progress, loader } = this;
    const started = performance.now();
    loader.step = 'reading';
    const loading: NonNullable<IngestProgress['loading']> = { batch: progress.batchesLoaded + 1, files: batch.rows.length, step: loader.step, seconds: 0 };
    progress.loading = loading;
    this.onProgress?.(progress);
    if (!this.onProgress) return () => undefined;
    const timer = setInterval(() => {
      loading.step = loader.step;
      loading.seconds = Math.round((performance.now() - started) / 1000);
      this.onProgress?.(progress);
    }, POLL_MS);
    return () => clearInterval(timer);
  }

  private loaded(batch: Batch, finals: FinalRow[]): void {
    for (const f of finals) count(this.summary, f);
    const { progress } = this;
    progress.events = this.summary.events;
    progress.filesLoaded += finals.length;
    progress.batchesLoaded++;
    progress.loading = null;
    this.onProgress?.(progress);
    this.lap(`batch of ${batch.rows.length} files loaded`);
  }
}

/** A file's row, as written, into the run's summary. */
function count(summary: IngestSummary, f: FinalRow): void {
  summary.files[f.status]++;
  summary.events += f.events;
  summary.duplicates += f.duplicates;
  summary.rejectedRecords += f.rejected;
  if ((f.status === 'rejected' || f.status === 'partial') && f.reason) summary.problems.push({ path: f.path, status: f.status, reason: f.reason });
}
