/**
 * The library API (src/index.ts) in-process: the pipeline a responder runs, as functions, on the
 * sample incident. The CLI is a layer over these; its own tests keep its contract (exit codes,
 * streams, messages).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BUILTIN_RULES,
  CASE_FILES,
  CaseDb,
  buildLineage,
  buildReport,
  filterSql,
  ingest,
  investigate,
  loadRules,
  sql,
  taintOf,
  taintedEvents,
} from '../src/index.js';
import { ROOT, tmpDir } from './helpers.js';

const EVIDENCE = path.join(ROOT, 'samples/leaked-key/evidence');
const KEY = 'AKIABTX3GSDSS5LN7GPS';

describe('library API', () => {
  it('ingest, lineage, report and investigate, in-process, agree with each other on the sample', async () => {
    const dir = tmpDir();
    const dbPath = path.join(dir, 'case.duckdb');
    const summary = await ingest([EVIDENCE], { db: dbPath });
    expect(summary.files.rejected).toBe(0);
    expect(summary.events).toBeGreaterThan(400);

    const { rules, correlations, problems } = await loadRules([BUILTIN_RULES]);
    expect(problems).toEqual([]);
    const db = await CaseDb.open(dbPath);
    try {
      const lineage = await buildLineage(db, { keys: [KEY] });
      const created = lineage.nodes.filter((n) => n.createdByAttacker && n.kind !== 'access_key').map((n) => n.id);
      expect(created.sort()).toEqual(['role/ops-maintenance', 'user/svc-backup']);
      // the chain's events through the filter and the taint fragment, composed
      const { n } = await db.one(
        sql`SELECT count(*) AS n FROM events WHERE ${filterSql({ write: true })} AND ${taintedEvents(taintOf(lineage))}`,
        z.object({ n: z.number() }),
      );
      const report = await buildReport(db, { keys: [KEY], rules, correlations });
      // A call may make several resources (one row each): the events they come from are the chain's writes.
      expect(new Set([...report.iamChanges, ...report.resources].map((x) => x.eventID)).size).toBeLessThanOrEqual(n);
      expect(report.lineage.edges).toEqual(lineage.edges);
      expect(report.findings.length).toBeGreaterThan(0);
    } finally {
      db.close();
    }

    const out = path.join(dir, 'case');
    const { report } = await investigate([EVIDENCE], { out, keys: [KEY], rules, correlations });
    for (const f of CASE_FILES) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const written = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(written.seeds).toEqual(report.seeds);
    expect(written.iamChanges.map((c: { eventID: string }) => c.eventID)).toEqual(report.iamChanges.map((c) => c.eventID));
  });
});
