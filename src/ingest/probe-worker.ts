/**
 * probe-pool.ts's worker: each job names a file on disk and the expansion limits; the answer is its
 * probe (bytes.ts probeFile), or the error probing it threw (message and code).
 */
import { parentPort } from 'node:worker_threads';
import { messageOf } from '../errors.js';
import type { PoolAnswer, PoolRequest } from '../worker-pool.js';
import { expansionLimit, probeFile } from './bytes.js';
import { errnoCode } from './errno.js';
import { giveBack } from './line-buffers.js';
import { portable, type PortableProbe, type ProbeJob } from './probe-pool.js';

parentPort?.on('message', ({ id, job }: PoolRequest<ProbeJob>) => {
  for (const memory of job.reuse ?? []) giveBack(memory);
  probeFile(job.path, (size) => expansionLimit(size, job.limits)).then(
    (p) => {
      const { probe, transfer } = portable(p);
      parentPort!.postMessage({ id, result: probe } satisfies PoolAnswer<PortableProbe>, transfer);
    },
    (err: unknown) => {
      const code = errnoCode(err);
      parentPort!.postMessage({ id, error: { message: messageOf(err), ...(code ? { code } : {}) } } satisfies PoolAnswer<PortableProbe>);
    },
  );
});
