/**
 * Worker threads that take jobs and answer each by its id: ingest's probes (ingest/probe-pool.ts) and
 * verify's scans (integrity/scan.ts). A worker that stops (out of memory, an error of its own) fails
 * only the jobs it held, each told why, and leaves the pool; the jobs after them go to the others,
 * and with none left they run on this thread (`inThread`): a job sent to a dead worker would wait
 * for ever. Absent (start() gives undefined) when the worker's script is not there: keytrail runs
 * from its TypeScript sources (the tests), and the work runs on this thread.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { messageOf } from './errors.js';

/** What the main thread posts: a job and its id. */
export interface PoolRequest<J> {
  id: number;
  job: J;
}

/** What a worker posts back: the job's result, or the error it threw (message and errno code). */
export type PoolAnswer<R> = { id: number; result: R } | { id: number; error: { message: string; code?: string } };

export interface PoolOptions<J, R, W> {
  /** What the workers do, for the message of a job whose worker stopped: "the worker thread <doing> it stopped (...)". */
  doing: string;
  /** A job on this thread, once no worker is left. */
  inThread: (job: J) => Promise<R>;
  /** A worker's result as this thread uses it (Buffers again...). */
  decode: (result: W) => R;
}

export class WorkerPool<J, R, W = R> {
  private readonly waiting = new Map<number, { resolve: (r: R) => void; reject: (err: unknown) => void; worker: Worker }>();
  private next = 0;
  private turn = 0;
  private stopping = false;

  private constructor(
    private workers: Worker[],
    private readonly options: PoolOptions<J, R, W>,
  ) {
    for (const w of workers) this.watch(w);
  }

  /** One worker a core, up to four; undefined when the worker's script is not there. */
  static start<J, R, W = R>(script: URL, options: PoolOptions<J, R, W>): WorkerPool<J, R, W> | undefined {
    if (!fs.existsSync(script)) return undefined;
    const n = Math.max(1, Math.min(os.availableParallelism(), 4));
    return new WorkerPool(
      Array.from({ length: n }, () => new Worker(script)),
      options,
    );
  }

  /** Workers still running. */
  get size(): number {
    return this.workers.length;
  }

  /** A job; `transfer`: memory of the job's that moves to the worker rather than being copied. */
  run(job: J, transfer: ArrayBuffer[] = []): Promise<R> {
    if (this.workers.length === 0) return this.options.inThread(job);
    const id = this.next++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker });
      worker.postMessage({ id, job } satisfies PoolRequest<J>, transfer);
    });
  }

  /** Stop the workers (again: nothing). A job asked afterwards runs on this thread. */
  async stop(): Promise<void> {
    this.stopping = true;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private watch(w: Worker): void {
    w.on('message', (m: PoolAnswer<W>) => {
      const p = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (!p) return;
      if ('result' in m) p.resolve(this.options.decode(m.result));
      // The error as this thread's job would have thrown it: its message and code (EACCES...).
      else p.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
    });
    let why = 'it exited';
    w.on('error', (err) => {
      why = messageOf(err);
    });
    w.on('exit', (code) => {
      if (this.stopping) return;
      this.workers = this.workers.filter((x) => x !== w);
      for (const [id, p] of this.waiting)
        if (p.worker === w) {
          this.waiting.delete(id);
          p.reject(new Error(`the worker thread ${this.options.doing} it stopped (${why}, exit code ${code})`));
        }
    });
  }
}
