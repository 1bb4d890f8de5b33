/**
 * Probes (read, SHA-256, gunzip, depth scan: bytes.ts probeFile) in worker threads, one per core up
 * to four: on the main thread they were the whole of examining (4.3 s of a 1M-event S3 export, one
 * core busy, the other idle). Absent when keytrail runs from its TypeScript sources (the tests),
 * where a worker cannot load them: files are then probed on this thread, by the same probeFile.
 */
import type { Worker } from 'node:worker_threads';
import { messageOf } from '../errors.js';
import { startWorkers } from '../workers.js';
import { expansionLimit, probeFile, type ExpansionLimits, type Probe } from './bytes.js';

/** A probe as it crosses threads: each buffer its own copy, so that nothing larger than it is cloned. */
export type PortableProbe = Omit<Probe, 'head' | 'tail' | 'content' | 'inflatedHead'> & {
  head: Uint8Array;
  tail: Uint8Array;
  content?: Uint8Array;
  inflatedHead?: Uint8Array;
};

export interface ProbeJob {
  id: number;
  path: string;
  limits: ExpansionLimits;
}

export type ProbeAnswer = { id: number; probe: PortableProbe } | { id: number; error: { message: string; code?: string } };

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
  return { probe: out, transfer };
}

/** A probe back from a worker, its buffers Buffers again (no copy). */
export function fromPortable(p: PortableProbe): Probe {
  const out = { ...p } as unknown as Probe;
  for (const k of BUFFERS) {
    const b = p[k];
    if (b) out[k] = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }
  return out;
}

export class ProbePool {
  private readonly waiting = new Map<number, { resolve: (p: Probe) => void; reject: (err: unknown) => void; worker: Worker }>();
  private next = 0;
  private turn = 0;
  private stopping = false;

  private constructor(private workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (m: ProbeAnswer) => {
        const p = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (!p) return;
        if ('probe' in m) p.resolve(fromPortable(m.probe));
        // The error as the main thread's probe would have thrown it: its message and code (EACCES...).
        else p.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
      });
      // A worker that stops (out of memory, an error of its own) fails the files it held, named
      // with why, and leaves the pool; the files after them go to the others, or to this thread.
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
            p.reject(new Error(`the worker thread probing it stopped (${why}, exit code ${code})`));
          }
      });
    }
  }

  /** Undefined when the worker's script is not there (running from the TypeScript sources). */
  static start(): ProbePool | undefined {
    const workers = startWorkers(new URL('./probe-worker.js', import.meta.url));
    return workers && new ProbePool(workers);
  }

  probe(path: string, limits: ExpansionLimits): Promise<Probe> {
    if (this.workers.length === 0) return probeFile(path, (size) => expansionLimit(size, limits));
    const id = this.next++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker });
      worker.postMessage({ id, path, limits } satisfies ProbeJob);
    });
  }

  /**
   * What the workers hold while they probe: measured over the 1,382 files of a 1M-event export,
   * probing took the process's RSS up 100 MB with one worker, 150 MB with two (their heaps, zlib's
   * buffers, the probes crossing to this thread).
   */
  get footprintBytes(): number {
    return this.workers.length === 0 ? 0 : (50 + 50 * this.workers.length) * 2 ** 20;
  }

  /** Stop the workers (again: nothing). A probe asked afterwards runs on this thread. */
  async stop(): Promise<void> {
    this.stopping = true;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
