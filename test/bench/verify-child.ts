/**
 * `keytrail verify` on the export, run as a child process by run.ts (issue 17): every log file hashed
 * against its digest, the digest chain, the event times. Usage: node verify-child.js <export>/AWSLogs
 * `events` counts the events in the log files read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { verifyEvidence } from '../../src/integrity/verify.js';
import { errorText, peakRssMB, reply, startRssSampler } from './measure.js';

async function main(awsLogs: string): Promise<void> {
  if (!fs.existsSync(awsLogs)) throw new Error(`no export at ${awsLogs}`);
  const sampler = startRssSampler();
  const t0 = performance.now();
  // The export's public key lies beside AWSLogs/ (generate.ts): signatures are checked too.
  const keys = path.join(path.dirname(awsLogs), 'public-keys.json');
  const r = await verifyEvidence([awsLogs], fs.existsSync(keys) ? { publicKeys: keys } : {});
  const seconds = (performance.now() - t0) / 1000;
  const rss = sampler.stop();
  const events = r.rows.filter((x) => x.status === 'inside').reduce((n, x) => n + Number(/^(\d+) event/.exec(x.detail)?.[1] ?? 0), 0);
  reply({
    ok: true,
    result: {
      events,
      seconds,
      eventsPerSecond: events / seconds,
      peakRssMB: peakRssMB(),
      sampledPeakRssMB: rss.peakMB,
      rssCurveMB: rss.curveMB,
      rssIntervalMs: rss.intervalMs,
      dbBytes: 0,
      detail: { files: r.files, problems: r.summary.problems, statement: r.summary.statement },
    },
  });
}

main(process.argv[2] ?? '').catch((err: unknown) => reply({ ok: false, error: errorText(err) }));
