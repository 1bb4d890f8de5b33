/**
 * probe-pool.ts's worker: each job names a file on disk and the expansion limits; the answer is its
 * probe (bytes.ts probeFile), or the error probing it threw (message and code).
 */
import fs from 'node:fs';
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { messageOf } from '../errors.js';
import type { PoolAnswer, PoolRequest } from '../worker-pool.js';
import { expansionLimit, probeFile } from './bytes.js';
import { errnoCode } from './errno.js';
import { giveBack } from './line-buffers.js';
import { portable, YIELDING_NICE, type PortableProbe, type ProbeJob } from './probe-pool.js';

/**
 * Once batches load while files are examined, probing gives way to DuckDB (ProbeJob.yieldToLoads):
 * this thread's nice value is raised by YIELDING_NICE (a thread's own, on Linux: setpriority takes
 * its id).
 */
let yielding = false;
function yieldToLoads(): void {
  yielding = true;
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    // Relative to where it runs: a keytrail already run under nice gives way as much again.
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, Math.min(19, os.getPriority(tid) + YIELDING_NICE));
  } catch {
    // Not Linux (no /proc/thread-self), or not allowed: probing goes on at the same priority.
  }
}

parentPort?.on('message', ({ id, job }: PoolRequest<ProbeJob>) => {
  for (const memory of job.reuse ?? []) giveBack(memory);
  if (job.yieldToLoads && !yielding) yieldToLoads();
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
