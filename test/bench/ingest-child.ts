/**
 * keytrail's side of the benchmark, run as a child process by run.ts: `ingest([<export>/AWSLogs])` into a
 * fresh case database in a temp folder, exactly what `keytrail ingest <dir>` does (discovery, sniffing
 * that skips the digests, batched loads). Usage: node ingest-child.js <export>/AWSLogs [<keep.duckdb>]
 * With a second argument the case is written there and kept (the rules benchmark's cached case);
 * that file must not exist yet.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingest } from '../../src/index.js';
import { errorText, fileBytes, peakRssMB, reply, startRssSampler, startShmemSampler } from './measure.js';

/** The summary as reported, with long lists cut to their first entries. */
function brief(summary: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, Array.isArray(v) && v.length > 5 ? { count: v.length, first: v.slice(0, 5) } : v]));
}

async function main(awsLogs: string, keep: string | undefined): Promise<void> {
  if (!fs.existsSync(awsLogs)) throw new Error(`no export at ${awsLogs}`);
  if (keep && fs.existsSync(keep)) throw new Error(`${keep} exists already: the case must be a fresh database`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keytrail-bench-ingest-'));
  const db = keep ?? path.join(tmp, 'case.duckdb');
  const sampler = startRssSampler();
  const staged = startShmemSampler();
  try {
    const t0 = performance.now();
    const summary = await ingest([awsLogs], { db });
    const seconds = (performance.now() - t0) / 1000;
    const rss = sampler.stop();
    const stagedInMemoryPeakMB = staged.stop();
    reply({
      ok: true,
      result: {
        events: summary.events,
        seconds,
        eventsPerSecond: summary.events / seconds,
        peakRssMB: peakRssMB(),
        sampledPeakRssMB: rss.peakMB,
        rssCurveMB: rss.curveMB,
        rssIntervalMs: rss.intervalMs,
        dbBytes: fileBytes(db),
        detail: { reportedSeconds: summary.seconds, files: summary.files, stagedInMemoryPeakMB, summary: brief(summary) },
      },
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main(process.argv[2] ?? '', process.argv[3]).catch((err: unknown) => reply({ ok: false, error: errorText(err) }));
