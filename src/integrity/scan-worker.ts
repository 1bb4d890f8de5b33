/**
 * scan.ts's files read in worker threads: gunzip, SHA-256 and the scan of a log file's text take
 * a core each, so the pool reads a file per core. Each message names a file on disk; the answer is
 * its Scanned (structured-cloned back).
 */
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { messageOf } from '../errors.js';
import { type Scanned, s3Key, scanBytes } from './scan.js';

export interface ScanJob {
  id: number;
  display: string;
  file: string;
}

parentPort?.on('message', async (job: ScanJob) => {
  let result: Scanned;
  try {
    result = await scanBytes(job.display, fs.readFileSync(job.file));
  } catch (err) {
    result = { path: job.display, key: s3Key(job.display), kind: 'unreadable', problem: messageOf(err) };
  }
  parentPort!.postMessage({ id: job.id, result });
});
