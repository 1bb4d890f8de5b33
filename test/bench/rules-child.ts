/**
 * The rules side of the benchmark, run as a child process by run.ts: `keytrail detect`'s steps
 * through the library API, timed one by one. `loadRules`, then on a copy of the cached case (so every run starts from the
 * same database: no findings table left by an earlier pack) `CaseDb.open(copy, { memoryLimit: '2GB' })`
 * as the CLI opens it, `detect` with the pack's correlations as the CLI passes them (the rules
 * in SQL up to the run's findings table: the time the targets apply to), its `store()`, and the
 * findings streamed out as the CLI prints them (timed apart). A rule that does not load is an
 * error, never a quiet omission.
 *
 * With a scenario (`samples/leaked-key/expected.yaml`), its evidence is ingested into the copy first:
 * an attack planted in the background (issue 14). The findings are then counted by level twice, on
 * the planted events and on the background, and every finding expected.yaml lists must be among the
 * planted ones (the attack is still flagged in a million events of someone else's routine).
 *
 *   node rules-child.js <case.duckdb> <rules file or folder> [<scenario expected.yaml>]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ingest } from '../../src/ingest/ingest.js';
import { detect } from '../../src/rules/detect.js';
import { formatProblem, isError, loadRules } from '../../src/rules/load-rules.js';
import { CaseDb } from '../../src/store/db.js';
import { errorText, fileBytes, peakRssMB, reply, startRssSampler } from './measure.js';

const seconds = (t0: number) => (performance.now() - t0) / 1000;

function top(counts: Map<string, number>, n: number): Record<string, number> {
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n));
}

/** A scenario to plant: its evidence and the findings it must produce (rule id → sorted eventIDs joined). */
interface Plant {
  evidence: string;
  expected: Map<string, Set<string>>;
}

function readPlant(file: string): Plant {
  const doc = parse(fs.readFileSync(file, 'utf8')) as { evidence?: string; rules: Record<string, (string | string[])[] | null> };
  const expected = new Map(
    Object.entries(doc.rules).map(([id, list]) => [id, new Set((list ?? []).map((x) => [...(typeof x === 'string' ? [x] : x)].sort().join(' ')))]),
  );
  return { evidence: path.resolve(path.dirname(file), doc.evidence ?? 'evidence'), expected };
}

/** The eventIDs of the planted evidence, read from a case of its own. */
async function plantedIds(evidence: string, tmp: string): Promise<Set<string>> {
  const dbPath = path.join(tmp, 'plant.duckdb');
  await ingest([evidence], { db: dbPath });
  const db = await CaseDb.open(dbPath, { readOnly: true });
  try {
    return new Set((await db.all('SELECT eventID FROM events')).map((r) => String(r.eventID)));
  } finally {
    db.close();
  }
}

async function main(casePath: string, rulesPath: string, scenario: string | undefined): Promise<void> {
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
    const plant = scenario ? readPlant(scenario) : undefined;
    const planted = plant ? await plantedIds(plant.evidence, tmp) : new Set<string>();
    // The planted incident is of another AWS account than the background: added on purpose.
    if (plant) await ingest([plant.evidence], { db: copy, append: true });
    t = performance.now();
    const db = await CaseDb.open(copy, { memoryLimit: '2GB' });
    let scanSeconds: number, storeSeconds: number, outputSeconds: number, openSeconds: number, events: number, findings: number;
    const byRule = new Map<string, number>();
    const byLevel = new Map<string, number>();
    // With a planted scenario: by level on the background and on the planted events, and what it found of expected.yaml.
    const background = new Map<string, number>();
    const plantedByLevel = new Map<string, number>();
    const plantedFound = new Map<string, Set<string>>();
    const backgroundByRule = new Map<string, number>();
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
        for (const f of chunk as { rule: { id: string; title: string; level: string }; eventIDs: string[] }[]) {
          streamed++;
          byRule.set(f.rule.id, (byRule.get(f.rule.id) ?? 0) + 1);
          byLevel.set(f.rule.level, (byLevel.get(f.rule.level) ?? 0) + 1);
          if (!plant) continue;
          if (f.eventIDs.some((id) => planted.has(id))) {
            plantedByLevel.set(f.rule.level, (plantedByLevel.get(f.rule.level) ?? 0) + 1);
            const found = plantedFound.get(f.rule.id) ?? new Set<string>();
            found.add([...f.eventIDs].sort().join(' '));
            plantedFound.set(f.rule.id, found);
          } else {
            background.set(f.rule.level, (background.get(f.rule.level) ?? 0) + 1);
            if (f.rule.level !== 'low' && f.rule.level !== 'informational') backgroundByRule.set(f.rule.title, (backgroundByRule.get(f.rule.title) ?? 0) + 1);
          }
        }
      }
      outputSeconds = seconds(t);
      if (streamed !== findings) throw new Error(`the findings table holds ${streamed} of ${findings} findings`);
    } finally {
      db.close();
    }
    const rss = sampler.stop();
    // Every finding expected.yaml lists, found among the planted ones.
    const missed = plant ? [...plant.expected].flatMap(([id, want]) => [...want].filter((k) => !plantedFound.get(id)?.has(k)).map((k) => `${id}: ${k}`)) : [];
    const expectedCount = plant ? [...plant.expected.values()].reduce((a, w) => a + w.size, 0) : 0;
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
          ...(plant
            ? {
                plantedEvents: planted.size,
                backgroundByLevel: Object.fromEntries(background),
                plantedByLevel: Object.fromEntries(plantedByLevel),
                backgroundMediumPlusByRule: top(backgroundByRule, backgroundByRule.size),
                expectedFindings: expectedCount,
                expectedMissed: missed,
              }
            : {}),
        },
      },
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main(process.argv[2] ?? '', process.argv[3] ?? '', process.argv[4]).catch((err: unknown) => reply({ ok: false, error: errorText(err) }));
