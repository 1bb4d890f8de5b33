/**
 * The plan of an ingest: the options checked and filled in with their defaults, and the inputs
 * discovered: the files to read, and the objects that are not read but get a row.
 */
import os from 'node:os';
import path from 'node:path';
import { KeytrailError } from '../errors.js';
import { DEFAULT_MIN_FREE_BYTES } from './archive.js';
import { sizeBytes } from './batch-loader.js';
import { DEFAULT_EXPANSION, type ExpansionLimits } from './bytes.js';
import { discover, type Discovered } from './discover.js';
import type { IngestOptions } from './ingest.js';
import { DEFAULT_SPLIT_LIMITS, type SplitLimits } from './json-values.js';
import { defaultMemoryTmp } from './staging-room.js';

// The batch size trades speed for memory. Every commit ends in a partial row group that is logged
// and checkpointed later (1M bench events in one batch: 19.8 s; in three: 27.3 s), while peak
// memory grows with the batch (1M events: ~1.1 GB; 2.8M: ~1.7 GB). 1.5 GiB of JSON is about a
// million CloudTrail records: fast, and the same peak however large the evidence.
const DEFAULT_BATCH_BYTES = 1.5 * 2 ** 30;
// DuckDB caches the case's blocks up to its memory limit, so the limit, not the evidence, sets the
// plateau: at 1 GB a 1M-event load peaks near 0.85 GB RSS and loads as fast as at 1.5 GB.
const DEFAULT_MEMORY_LIMIT = '1GB';

export interface IngestPlan {
  /** Regular files to read, absolute, sorted; the case database's own files are not among them. */
  files: string[];
  /** Objects found that are not read (links, FIFOs, unreadable folders...): each gets its row. */
  objects: Discovered['objects'];
  /** Inputs that named nothing. */
  inputErrors: Discovered['errors'];
  /** keytrail case folders found inside the inputs: not read (each has its row among `objects`). */
  caseFolders: string[];
  limits: ExpansionLimits;
  split: SplitLimits;
  /** Estimated decompressed bytes per batch. */
  batchBytes: number;
  memoryLimit: string;
  /** Where the run's temporary folder is made. */
  tmpParent: string;
  /** Where the run's folder in memory is made, for staging (staging-room.ts); null: none. */
  memoryTmpParent: string | null;
  minFreeBytes: number;
}

export async function planIngest(inputs: readonly string[], options: IngestOptions): Promise<IngestPlan> {
  const found = await discover(inputs, { caseFolders: options.caseFolders });
  const memoryLimit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
  if (sizeBytes(memoryLimit) === undefined) throw new KeytrailError('USAGE', `memory limit ${JSON.stringify(memoryLimit)} is not a size like 1GB`);
  return {
    files: withoutCase(found.files, options.db),
    objects: found.objects,
    inputErrors: found.errors,
    caseFolders: found.caseFolders,
    limits: { ...DEFAULT_EXPANSION, ...options.limits },
    split: {
      ...DEFAULT_SPLIT_LIMITS,
      ...(options.maxRecordBytes ? { maxBytes: options.maxRecordBytes } : {}),
      ...(options.maxDepth ? { maxDepth: options.maxDepth } : {}),
    },
    batchBytes: options.batchBytes ?? DEFAULT_BATCH_BYTES,
    memoryLimit,
    tmpParent: options.tmpDir ?? os.tmpdir(),
    memoryTmpParent: options.memoryTmpDir === undefined ? defaultMemoryTmp() : options.memoryTmpDir,
    minFreeBytes: options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES,
  };
}

/**
 * Inputs that name nothing (a typo in a path, an empty folder), each said as ingest says it
 * (`path: what is wrong`): investigate stops on them before it writes anything.
 */
export class InputsNameNothing extends KeytrailError {
  constructor(readonly errors: IngestPlan['inputErrors']) {
    super('INPUT', errors.map((e) => `${e.input}: ${e.message}`).join('; '));
  }
}

/** The case database may sit inside the evidence folder: it is keytrail's own output, not evidence. */
function withoutCase(files: string[], db: string): string[] {
  const own = new Set(['', '.wal', '.tmp'].map((x) => path.resolve(db) + x));
  return files.filter((f) => !own.has(f) && !f.startsWith(`${path.resolve(db)}.tmp${path.sep}`));
}
