/**
 * Probes (read, SHA-256, gunzip, depth scan: bytes.ts probeFile) in worker threads, one per core up
 * to four: on the main thread they were the whole of examining (4.3 s of a 1M-event S3 export, one
 * core busy, the other idle). Absent when keytrail runs from its TypeScript sources (the tests),
 * where a worker cannot load them: files are then probed on this thread, by the same probeFile.
 */
import { WorkerPool } from '../worker-pool.js';
import { expansionLimit, probeFile, type ExpansionLimits, type Probe } from './bytes.js';
import { takeSpare } from './line-buffers.js';
import type { RecordLines } from './record-lines.js';

/** A probe as it crosses threads: each buffer its own copy, so that nothing larger than it is cloned. */
export type PortableProbe = Omit<Probe, 'head' | 'tail' | 'content' | 'inflatedHead' | 'lines'> & {
  head: Uint8Array;
  tail: Uint8Array;
  content?: Uint8Array;
  inflatedHead?: Uint8Array;
  lines?: Omit<RecordLines, 'text'> & { text: Uint8Array };
};

export interface ProbeJob {
  path: string;
  limits: ExpansionLimits;
  /** Memory of lines already written, for the worker to make lines in again (line-buffers.ts). */
  reuse?: ArrayBuffer[];
  /** Batches load while files are examined: the worker gives way to DuckDB's threads (probe-worker.ts). */
  yieldToLoads?: boolean;
}

/**
 * The nice value of a probe worker once batches load meanwhile (issue 19). DuckDB's threads then
 * have the cores, and probing runs when they leave one: while a load ends on one thread (its
 * duplicate checks and commit, ~1.3 s a batch) and before the next starts. At 5M events the CPUs
 * stood 60-70% busy at each batch's end with probing at the same priority, and the run took
 * 76.9 s; at this nice value 72.7 s. Probing before any load is not slowed: at 1M events (one
 * batch, loaded once every file is examined) a nice of 10 from the start made examining 0.25 s slower.
 */
export const YIELDING_NICE = 10;

/** Spare buffers sent with a job: a file makes one buffer of lines, so a few keep every worker supplied. */
const REUSE_PER_JOB = 2;

const BUFFERS = ['head', 'tail', 'content', 'inflatedHead'] as const;

/**
 * The probe ready to post, and the memory to transfer with it. A Buffer is often a view of a larger
 * one (the head of a file's text, Node's pool for a few bytes), and a view is cloned with all of its
 * memory: each is copied into memory of its own, which then moves rather than being copied again.
 */
export function portable(p: Probe): { probe: PortableProbe; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const out = { ...p } as unknown as PortableProbe;
  for (const k of BUFFERS) {
    const b = p[k];
    if (!b) continue;
    const own = new Uint8Array(b);
    transfer.push(own.buffer);
    out[k] = own;
  }
  // The lines are made in memory of their own (record-lines.ts): it moves as it is.
  if (p.lines) {
    const { text, idAt } = p.lines;
    transfer.push(text.buffer as ArrayBuffer, idAt.buffer as ArrayBuffer);
    out.lines = { ...p.lines, text: new Uint8Array(text.buffer, text.byteOffset, text.byteLength) };
  }
  return { probe: out, transfer };
}

/** A probe back from a worker, its buffers Buffers again (no copy). */
export function fromPortable(p: PortableProbe): Probe {
  const out = { ...p } as unknown as Probe;
  for (const k of BUFFERS) {
    const b = p[k];
    if (b) out[k] = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }
  if (p.lines) out.lines = { ...p.lines, text: Buffer.from(p.lines.text.buffer, p.lines.text.byteOffset, p.lines.text.byteLength) };
  return out;
}

export class ProbePool {
  private yielding = false;

  private constructor(private readonly pool: WorkerPool<ProbeJob, Probe, PortableProbe>) {}

  /** Undefined when the worker's script is not there (running from the TypeScript sources). */
  static start(): ProbePool | undefined {
    const pool = WorkerPool.start<ProbeJob, Probe, PortableProbe>(new URL('./probe-worker.js', import.meta.url), {
      doing: 'probing',
      inThread: ({ path, limits }) => probeFile(path, (size) => expansionLimit(size, limits)),
      decode: fromPortable,
    });
    return pool && new ProbePool(pool);
  }

  probe(path: string, limits: ExpansionLimits): Promise<Probe> {
    // With no worker left the job runs here, where the spare buffers already are.
    if (this.pool.size === 0) return this.pool.run({ path, limits });
    const reuse = takeSpare(REUSE_PER_JOB);
    return this.pool.run({ path, limits, reuse, yieldToLoads: this.yielding }, reuse);
  }

  /** From now on batches load while files are examined: the workers give way to DuckDB (YIELDING_NICE). */
  yieldToLoads(): void {
    this.yielding = true;
  }

  /**
   * What the workers hold while they probe: measured over the 1,382 files of a 1M-event export,
   * probing took the process's RSS up 100 MB with one worker, 150 MB with two (their heaps, zlib's
   * buffers, the probes crossing to this thread).
   */
  get footprintBytes(): number {
    return this.pool.size === 0 ? 0 : (50 + 50 * this.pool.size) * 2 ** 20;
  }

  /** Stop the workers (again: nothing). A probe asked afterwards runs on this thread. */
  stop(): Promise<void> {
    return this.pool.stop();
  }
}
