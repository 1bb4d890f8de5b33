/**
 * The rules side of the benchmark, run as a child process by run.ts: `keytrail detect`'s steps
 * through the library API, timed one by one. `loadRules`, then on a copy of the cached case (so every run starts from the
 * same database: no findings table left by an earlier pack) `CaseDb.open(copy, { memoryLimit: '2GB' })`
 * as the CLI opens it, `detect` with the pack's correlations as the CLI passes them (the rules
 * in SQL up to the run's findings table: the time the targets apply to), its `store()`, and the
 * findings streamed out as the CLI prints them (timed apart). A rule that does not load is an
 * error, never a quiet omission.
 *
 *   node rules-child.js <case.duckdb> <rules file or folder>
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detect } from '../../src/rules/detect.js';
import { formatProblem, isError, loadRules } from '../../src/rules/load-rules.js';
import { CaseDb } from '../../src/store/db.js';
import { errorText, fileBytes, peakRssMB, reply, startRssSampler } from './measure.js';

const seconds = (t0: number) => (performance.now() - t0) / 1000;

function top(counts: Map<string, number>, n: number): Record<string, number> {
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n));
}

async function main(casePath: string, rulesPath: string): Promise<void> {
  if (!fs.existsSync(casePath)) throw new Error(`no case database at ${casePath}`);
  const sampler = startRssSampler();
  let t = performance.now();
  const { rules, correlations, problems } = await loadRules([rulesPath]);
  // An error leaves its rule out, and the pack would be timed short of it: refused. A warning (metadata,
  // an id's form, logsource on a correlation, ...) leaves the rule running: counted, not refused.
  const errors = problems.filter(isError);
  if (errors.length > 0) throw new Error(`${errors.length} problem(s) loading ${rulesPath}:\n${errors.slice(0, 20).map(formatProblem).join('\n')}`);
  const warnings = problems.length - errors.length;
  if (rules.length === 0) throw new Error(`no rules in ${rulesPath}`);
  const loadSeconds = seconds(t);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keytrail-bench-rules-'));
  const copy = path.join(tmp, 'case.duckdb');
  try {
    fs.copyFileSync(casePath, copy);
    if (fs.existsSync(`${casePath}.wal`)) fs.copyFileSync(`${casePath}.wal`, `${copy}.wal`);
    t = performance.now();
    const db = await CaseDb.open(copy, { memoryLimit: '2GB' });
    let scanSeconds: number, storeSeconds: number, outputSeconds: number, openSeconds: number, events: number, findings: number;
    const byRule = new Map<string, number>();
    const byLevel = new Map<string, number>();
    try {
      openSeconds = seconds(t);
      events = Number((await db.all('SELECT count(*) AS n FROM events'))[0]!.n);
      // What `keytrail detect` does, step by step: the rules in SQL (the time the targets apply to),
      // the findings kept in the case, then every finding streamed out as the CLI prints them.
      t = performance.now();
      const run = await detect(db, rules, { correlations });
      findings = run.count;
      scanSeconds = seconds(t);
      t = performance.now();
      await run.store();
      storeSeconds = seconds(t);
      t = performance.now();
      let streamed = 0;
      const { rows } = await db.query(run.query());
      for await (const chunk of rows) {
        for (const f of chunk as { rule: { id: string; level: string } }[]) {
          streamed++;
          byRule.set(f.rule.id, (byRule.get(f.rule.id) ?? 0) + 1);
          byLevel.set(f.rule.level, (byLevel.get(f.rule.level) ?? 0) + 1);
        }
      }
      outputSeconds = seconds(t);
      if (streamed !== findings) throw new Error(`the findings table holds ${streamed} of ${findings} findings`);
    } finally {
      db.close();
    }
    const rss = sampler.stop();
    reply({
      ok: true,
      result: {
        events,
        seconds: scanSeconds,
        eventsPerSecond: events / scanSeconds,
        peakRssMB: peakRssMB(),
        sampledPeakRssMB: rss.peakMB,
        rssCurveMB: rss.curveMB,
        rssIntervalMs: rss.intervalMs,
        dbBytes: fileBytes(copy),
        detail: {
          rules: rules.length,
          correlations: correlations.length,
          warnings,
          findings,
          scanSeconds,
          storeSeconds,
          outputSeconds,
          loadSeconds,
          openSeconds,
          rulesWithFindings: byRule.size,
          findingsByLevel: Object.fromEntries(byLevel),
          topRules: top(byRule, 10),
          // Every rule's count, to compare runs (a change to the scan must leave these as they are).
          findingsByRule: top(byRule, byRule.size),
        },
      },
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main(process.argv[2] ?? '', process.argv[3] ?? '').catch((err: unknown) => reply({ ok: false, error: errorText(err) }));
