/**
 * `keytrail investigate` end to end over the 1M export, in a fresh child and a fresh case folder:
 * ingest, the built-in pack, the lineage of one key and every file of the case folder, as the user
 * waits for them. Reports wall time and peak RSS.
 *
 * The seed is the busiest long-term key of the cached case (the same export, already ingested).
 *
 *   node investigate-child.js <export>/AWSLogs <cached case.duckdb>
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { investigate } from '../../src/report/investigate.js';
import { BUILTIN_RULES } from '../../src/rules/detect.js';
import { formatProblem, loadRules } from '../../src/rules/load-rules.js';
import { CaseDb } from '../../src/store/db.js';
import { errorText, fileBytes, peakRssMB, reply, startRssSampler } from './measure.js';

async function main(awsLogs: string, casePath: string): Promise<void> {
  if (!fs.existsSync(awsLogs)) throw new Error(`no export at ${awsLogs}`);
  const c = await CaseDb.open(casePath, { readOnly: true });
  const key = String(
    (
      await c.all(`SELECT userIdentity.accessKeyId AS k FROM events WHERE userIdentity.accessKeyId LIKE 'AKIA%' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`)
    )[0]!.k,
  );
  c.close();
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
  const rulesDir = fs.existsSync(BUILTIN_RULES) ? BUILTIN_RULES : path.join(root, 'rules');
  const { rules, correlations, problems } = await loadRules([rulesDir]);
  if (problems.length) throw new Error(problems.map(formatProblem).join('\n'));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'keytrail-bench-investigate-'));
  try {
    const sampler = startRssSampler(500);
    const t0 = performance.now();
    let reportStart = 0;
    const { ingest, report } = await investigate([awsLogs], {
      out,
      keys: [key],
      rules,
      correlations,
      onStep: (what) => {
        if (what.startsWith('detect')) reportStart = performance.now();
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const rss = sampler.stop();
    reply({
      ok: true,
      result: {
        events: ingest.events,
        seconds,
        eventsPerSecond: ingest.events / seconds,
        peakRssMB: peakRssMB(),
        sampledPeakRssMB: rss.peakMB,
        rssCurveMB: rss.curveMB,
        rssIntervalMs: rss.intervalMs,
        dbBytes: fileBytes(path.join(out, 'keytrail.duckdb')),
        detail: {
          reportSeconds: (performance.now() - reportStart) / 1000,
          ingestSeconds: (reportStart - t0) / 1000,
          key,
          keys: report.keys.length,
          resources: report.resources.length,
          findings: report.findings.length,
          files: Object.fromEntries(fs.readdirSync(out).map((f) => [f, fileBytes(path.join(out, f))])),
        },
      },
    });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

main(process.argv[2] ?? '', process.argv[3] ?? '').catch((err: unknown) => reply({ ok: false, error: errorText(err) }));
