/**
 * probe-pool.ts's worker: each message names a file on disk and the expansion limits; the answer
 * is its probe (bytes.ts probeFile), or the error probing it threw (message and code).
 */
import { parentPort } from 'node:worker_threads';
import { messageOf } from '../errors.js';
import { expansionLimit, probeFile } from './bytes.js';
import { errnoCode } from './errno.js';
import { portable, type ProbeAnswer, type ProbeJob } from './probe-pool.js';

parentPort?.on('message', (job: ProbeJob) => {
  probeFile(job.path, (size) => expansionLimit(size, job.limits)).then(
    (p) => {
      const { probe, transfer } = portable(p);
      parentPort!.postMessage({ id: job.id, probe } satisfies ProbeAnswer, transfer);
    },
    (err: unknown) => {
      const code = errnoCode(err);
      parentPort!.postMessage({ id: job.id, error: { message: messageOf(err), ...(code ? { code } : {}) } } satisfies ProbeAnswer);
    },
  );
});
