/**
 * ingest: evidence paths → the case database. Every file found gets a row in `files` (or is already
 * in the case, same path and sha256, and is left alone). Files are loaded in batches of bounded size,
 * one transaction each, so memory stays flat and a crash costs at most the batch in flight.
 *
 * The steps: the plan (plan.ts: options checked, inputs discovered), what the case already holds
 * (case-index.ts), then the batch pipeline (pipeline.ts): each file probed in a worker thread
 * (probe-pool.ts: hash, gunzip, the depth guard and records-scan.ts's verdict) and examined
 * (examine.ts), archives expanded into their entries (expand.ts), batches loaded (load-batch.ts) and
 * counted.
 */
import fs from 'node:fs';
import { KeytrailError } from '../errors.js';
import { CaseDb } from '../store/db.js';
import type { FileStatus } from '../store/schema.js';
import type { ExpansionLimits } from './bytes.js';
import { CaseAccounts } from './accounts.js';
import { BatchLoader, type LoadStep } from './batch-loader.js';
import { CaseIndex } from './case-index.js';
import { BatchPipeline } from './pipeline.js';
import { type IngestPlan, planIngest } from './plan.js';
import { makeRunTmp, removeStaleTmp } from './run-tmp.js';
import { StagingRoom } from './staging-room.js';

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
  /**
   * A RAM-backed folder where batches are staged while the machine has memory to spare
   * (staging-room.ts; default /dev/shm where it exists); null: staged in tmpDir.
   */
  memoryTmpDir?: string | null;
  /** A record longer than this (bytes of JSON text) is rejected alone; the rest of its file loads. */
  maxRecordBytes?: number;
  /** A record nested deeper than this is rejected alone. */
  maxDepth?: number;
  /** Archive extraction stops while the temporary folder has less than this free (default 1 GiB). */
  minFreeBytes?: number;
  /**
   * Add evidence of an AWS account the case does not hold yet (accounts.ts); without it, a case
   * that holds evidence refuses another account's.
   */
  append?: boolean;
  /**
   * Stops the run (Ctrl-C): the statement running is interrupted, the batch loading rolls back (or
   * commits, when it was done), and the run ends with IngestInterrupted saying what the case kept.
   */
  signal?: AbortSignal;
  /**
   * keytrail's own case folders, should the inputs hold them (investigate's --out): not read, like
   * any folder found holding a case database and its report.
   */
  caseFolders?: readonly string[];
}

/**
 * How far a run is, each time something changes: files are read (hashed, sniffed) a little ahead of
 * the batch DuckDB is loading, and a batch's events and files count once it commits. A load can
 * take most of a run: `loading` says which batch is loading, at which step, and for how long
 * (told again every second while it loads).
 */
export interface IngestProgress {
  /** Files read, of those found so far (an archive adds its entries when it is opened). */
  filesDone: number;
  filesTotal: number;
  /** New events in the case, as batches commit. */
  events: number;
  /** Files whose batch has committed: they are in the case, and a rerun leaves them alone. */
  filesLoaded: number;
  batchesLoaded: number;
  /** The batch being loaded (numbered from 1), its files, what the load is doing (batch-loader.ts LoadStep), and its seconds so far. */
  loading: { batch: number; files: number; step: LoadStep; seconds: number } | null;
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
  /** keytrail case folders found inside the inputs, not read as evidence. */
  caseFolders: string[];
}

/** The run was stopped (IngestOptions.signal): the batches committed before are in the case, the one loading is not. */
export class IngestInterrupted extends KeytrailError {
  /** `also`: what the caller adds to what was kept (investigate: no report was written). */
  constructor(
    readonly summary: IngestSummary,
    options: { cause?: unknown; also?: string } = {},
  ) {
    const files = Object.values(summary.files).reduce((a, b) => a + b, 0);
    const kept =
      files > 0
        ? `${files} file(s) fully loaded this run (${summary.events} new event(s)) are in the case ${summary.db}`
        : `no file was fully loaded this run: the case ${summary.db} is as it was`;
    super(
      'INTERRUPTED',
      `interrupted: ${kept}; the files that were loading were rolled back${options.also ? `; ${options.also}` : ''}. ` +
        'Run the same command again: what the case holds is left alone, the rest is loaded',
      {},
      { cause: options.cause },
    );
  }
}

export async function ingest(inputs: readonly string[], options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  return ingestPlanned(await planIngest(inputs, options), options, started);
}

/**
 * Ingest what a plan (plan.ts planIngest, made with the same options) found: for a caller that
 * looks at the inputs before anything is written (investigate refuses inputs that name nothing).
 */
export async function ingestPlanned(plan: IngestPlan, options: IngestOptions, started = performance.now()): Promise<IngestSummary> {
  const db = await CaseDb.open(options.db, { create: true, memoryLimit: plan.memoryLimit });
  // A run killed before its `finally` leaves its temp folder; the next run removes it.
  removeStaleTmp(plan.tmpParent);
  const tmp = makeRunTmp(plan.tmpParent);
  const room = new StagingRoom(tmp, plan.memoryTmpParent);
  const summary = emptySummary(options.db, plan);
  const { signal } = options;
  const interrupt = () => db.interrupt();
  signal?.addEventListener('abort', interrupt);
  try {
    const accounts = options.append ? undefined : await CaseAccounts.read(db);
    const loader = new BatchLoader(db, plan.memoryLimit, plan.split.maxBytes, tmp, accounts);
    await loader.init();
    const known = await CaseIndex.read(db);
    await new BatchPipeline(plan, known, loader, tmp, room, summary, options.onProgress, signal).run();
  } catch (err) {
    // Whatever the stop broke (a statement interrupted, the pipeline told to stop) is the stop.
    if (signal?.aborted) throw new IngestInterrupted(summary, { cause: err });
    throw err;
  } finally {
    signal?.removeEventListener('abort', interrupt);
    db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    room.remove();
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

function emptySummary(db: string, plan: IngestPlan): IngestSummary {
  return {
    db,
    files: { ingested: 0, partial: 0, skipped: 0, 'duplicate-file': 0, rejected: 0 },
    alreadyInCase: 0,
    events: 0,
    duplicates: 0,
    rejectedRecords: 0,
    seconds: 0,
    inputErrors: plan.inputErrors,
    problems: [],
    caseFolders: plan.caseFolders,
  };
}
