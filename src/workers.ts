/**
 * Worker threads, one per core up to four, for a pool of keytrail's own (ingest's probes, verify's
 * scans). Undefined when the worker's script is not there: keytrail runs from its TypeScript sources
 * (the tests), where a worker cannot load it, and the pool's work runs on this thread.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export function startWorkers(script: URL): Worker[] | undefined {
  if (!fs.existsSync(script)) return undefined;
  const n = Math.max(1, Math.min(os.availableParallelism(), 4));
  return Array.from({ length: n }, () => new Worker(script));
}
