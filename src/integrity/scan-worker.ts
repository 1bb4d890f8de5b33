/**
 * scan.ts's files read in worker threads (worker-pool.ts): gunzip, SHA-256 and the scan of a log
 * file's text take a core each, so the pool reads a file per core. Each job names a file on disk;
 * the answer is its Scanned (structured-cloned back), unreadable with why when it cannot be read.
 */
import { parentPort } from 'node:worker_threads';
import type { PoolAnswer, PoolRequest } from '../worker-pool.js';
import { type ScanJob, type Scanned, scanFile } from './scan.js';

parentPort?.on('message', async ({ id, job }: PoolRequest<ScanJob>) => {
  parentPort!.postMessage({ id, result: await scanFile(job.display, job.file) } satisfies PoolAnswer<Scanned>);
});
