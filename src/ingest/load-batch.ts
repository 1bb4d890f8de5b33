/**
 * Loading one batch: what needs the record reader is read into normalized JSON Lines, then the
 * batch is loaded in one transaction (batch-loader.ts). Out of memory, it is loaded again with the
 * whole memory limit; refused by DuckDB's reader, the file at fault is found and read by the record
 * reader, and the others are loaded again each from its own file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { KeytrailError } from '../errors.js';
import { MAX_OBJECT_BYTES, NativeLoadError, type BatchLoader, type FinalRow, type NativeUnit } from './batch-loader.js';
import { expansionLimit, type ExpansionLimits } from './bytes.js';
import type { Batch, ExaminedRow } from './examine.js';
import type { SplitLimits } from './json-values.js';
import { NormalizedWriter } from './normalized.js';
import { NotEvidence, readRecords, type ReadOutcome } from './reader.js';
import { tracer } from './trace.js';

export interface ReadOptions {
  /** Where the normalized JSON Lines are written. */
  tmp: string;
  limits: ExpansionLimits;
  split: SplitLimits;
  /** Memory others in this process hold while the batch loads (the probe workers), taken off DuckDB's limit. */
  shareBytes?: number;
}

/** Read what needs the record reader, then load the batch in one transaction; the files' rows as written. */
export function loadBatch(loader: BatchLoader, batch: Batch, opts: ReadOptions): Promise<FinalRow[]> {
  return new BatchLoad(loader, batch, opts).run();
}

class BatchLoad {
  private readonly lap: (step: string) => void;
  /** Files DuckDB's reader reads from their own file. */
  private readonly natives: NativeUnit[] = [];
  /** The record reader's output files. */
  private readonly normalized: string[] = [];

  constructor(
    private readonly loader: BatchLoader,
    private readonly batch: Batch,
    private readonly opts: ReadOptions,
  ) {
    this.lap = tracer(`batch of ${batch.rows.length} files`);
  }

  async run(): Promise<FinalRow[]> {
    await this.readAll(this.sortRows());
    this.lap('read by the record reader');
    let finals: FinalRow[];
    const staged = this.batch.stager;
    try {
      staged.close();
      finals = await this.loadWhole();
    } catch (err) {
      if (!(err instanceof NativeLoadError)) throw err;
      finals = await this.loadFileByFile(err);
    } finally {
      staged.remove();
    }
    this.lap('loaded');
    await this.loader.release();
    for (const p of this.normalized) fs.rmSync(p, { force: true });
    return finals;
  }

  /** The files DuckDB's reader reads (into `natives`), and those the record reader reads (returned). */
  private sortRows(): ExaminedRow[] {
    const viaReader: ExaminedRow[] = [];
    for (const r of this.batch.rows) {
      if (!r.read || r.staged) continue;
      // A gzip whose trailer says it expands past the limit goes to the reader, which enforces it.
      if (r.native && r.real && withinLimit(r, this.opts.limits)) {
        const { gzip, isize, masks } = r.native;
        this.natives.push({ fileId: r.id, path: r.real, gzip, bytes: gzip ? (isize ?? 0) : (r.bytes ?? 0), ...(masks ? { masks } : {}) });
      } else viaReader.push(r);
    }
    return viaReader;
  }

  /** Rows read by the record reader into one normalized file. */
  private async readAll(rows: ExaminedRow[]): Promise<void> {
    if (rows.length === 0) return;
    const writer = new NormalizedWriter(path.join(this.opts.tmp, `normalized-${this.normalized.length}-${rows[0]!.id}.jsonl`));
    try {
      for (const r of rows) await readOne(r, writer, this.opts);
    } finally {
      writer.close();
    }
    if (writer.lines > 0) this.normalized.push(writer.path);
  }

  private load(): Promise<FinalRow[]> {
    return this.loader.load(this.natives, this.batch.stager, this.normalized, this.batch.rows);
  }

  /**
   * The batch in one transaction. Out of memory says nothing about the files: the batch (rolled back)
   * is loaded again with the whole limit, not file by file, which would cost far more of both time and memory.
   */
  private async loadWhole(): Promise<FinalRow[]> {
    const { batch, loader } = this;
    await loader.prepare(batch.bytes, this.natives.length > 0, this.opts.shareBytes);
    try {
      return await this.load();
    } catch (err) {
      if (!isOutOfMemory(err)) throw err;
      this.lap(`out of memory (${err.message.split('\n')[0]}): loaded again with the whole memory limit`);
    }
    await loader.prepare(batch.bytes, true);
    try {
      return await this.load();
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

  /**
   * Some file DuckDB's reader refused (truncated gzip, broken JSON...): find it among the files read
   * alone, staged ones included, let the record reader take it (it keeps what can be kept and says
   * why the rest cannot), and load the others again, each from its own file.
   */
  private async loadFileByFile(err: NativeLoadError): Promise<FinalRow[]> {
    this.lap(`refused by DuckDB's reader (${err.message.split('\n')[0]}): read again file by file`);
    const staged = this.batch.stager;
    const alone = staged.units.map((_, i) => staged.alone(i));
    const byId = new Map(alone.map((u) => [u.fileId, u]));
    for (const r of this.batch.rows) {
      const u = byId.get(r.id);
      if (!u) continue;
      r.real = u.path;
      r.read = { kind: 'records', gzip: u.gzip };
    }
    // Read again the careful way (the map of every value): whatever the typed read refused, that read judges.
    const all = [...this.natives.map(({ masks: _, ...u }) => u), ...alone];
    const failed = await this.loader.probeNative(all);
    if (failed.length === 0 && staged.units.length === 0) throw err;
    const ids = new Set(failed.map((f) => f.unit.fileId));
    await this.readAll(this.batch.rows.filter((r) => ids.has(r.id)));
    return this.loader.load(
      all.filter((u) => !ids.has(u.fileId)),
      null,
      this.normalized,
      this.batch.rows,
    );
  }
}

/** The gzip trailer (size modulo 4 GiB) is a cheap first check; the reader enforces the limit exactly. */
function withinLimit(r: ExaminedRow, limits: ExpansionLimits): boolean {
  const isize = r.native?.isize;
  return isize === undefined || (isize <= expansionLimit(r.bytes ?? 0, limits) && isize <= MAX_OBJECT_BYTES);
}

const isOutOfMemory = (err: unknown): err is Error => err instanceof Error && /^Out of Memory Error/m.test(err.message);

/** One file through the record reader into `writer`; its row says what was read and what was not. */
async function readOne(r: ExaminedRow, writer: NormalizedWriter, opts: ReadOptions): Promise<void> {
  const { real, read } = r;
  if (real === undefined || read === undefined) throw new Error(`file #${r.id} ${r.path} has no file to read`);
  let skippedReason: string | undefined;
  const sink = writer.sinkFor(
    r.id,
    (f) => (r.format = f),
    (why) => (skippedReason = why),
  );
  let out: ReadOutcome;
  try {
    out = await readRecords(real, read, expansionLimit(r.bytes ?? 0, opts.limits), sink, opts.split);
  } catch (err) {
    if (!(err instanceof NotEvidence)) throw err;
    return notRead(r, 'rejected', err.message);
  }
  noteOutcome(r, out, sink);
  if (skippedReason && sink.count === 0) notRead(r, 'skipped', skippedReason);
}

/** What reading a file leaves on its row: its format, why it stopped early, what a person should know. */
function noteOutcome(r: ExaminedRow, out: ReadOutcome, sink: { repaired: number; firstRepaired: number }): void {
  r.format = out.format;
  if (out.error) r.readError = r.readError ? `${r.readError}; ${out.error}` : out.error;
  if (out.note) r.notice = out.note;
  if (sink.repaired > 0) {
    r.notes = [
      `${sink.repaired} record(s) held \\u escapes that are no character (lone surrogates), each written as U+FFFD (first: record ${sink.firstRepaired})`,
    ];
  }
  if (out.notes) r.notes = [...(r.notes ?? []), ...out.notes];
  if (r.format === 'csv-limited') r.partialSource = 'field-limited CSV (no full CloudTrail event): its records are marked partial';
}

function notRead(r: ExaminedRow, status: 'rejected' | 'skipped', reason: string): void {
  r.counted = false;
  r.status = status;
  r.reason = reason;
}
