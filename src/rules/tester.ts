/**
 * `keytrail rules test`: every rule's inline `tests:` events are loaded into one scratch case
 * through the real ingest path, and each rule's compiled SQL must flag exactly its `match: true`
 * events among its own. Failures name the rule id and the case. Like ESLint's RuleTester, a rule
 * without both a matching and a non-matching case fails too: a test that cannot fail proves nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingest } from '../ingest/ingest.js';
import { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';
import { correlationOver, emptyFindings, ruleId, RulesFailedError, scanHits, silentRules } from './detect.js';
import type { LoadedCorrelation, LoadedRule } from './load-rules.js';

const BASE_TIME = '2026-01-01T00:00:00Z';

export interface TestFailure {
  ruleId: string;
  file: string;
  line: number;
  test: string;
  message: string;
}

export interface TestReport {
  rules: number;
  cases: number;
  failures: TestFailure[];
}

export async function testRules(rules: LoadedRule[], correlations: LoadedCorrelation[] = []): Promise<TestReport> {
  const failures: TestFailure[] = [];
  const records: Record<string, unknown>[] = [];
  const cases: { rule: LoadedRule; name: string; match: boolean; eventID: string }[] = [];
  const sequences: { corr: LoadedCorrelation; name: string; match: boolean; eventIDs: string[] }[] = [];
  // A base rule that only feeds correlations is tested through them; it needs no cases of its own.
  const parts = silentRules(correlations);
  const requireBoth = (r: { rule: { tests?: { match: boolean }[] } }, fail: (test: string, message: string) => void) => {
    const tests = r.rule.tests ?? [];
    if (!tests.some((t) => t.match)) fail('(tests)', 'has no test that must match');
    if (!tests.some((t) => !t.match)) fail('(tests)', 'has no test that must not match');
  };
  rules.forEach((r, ri) => {
    const tests = r.rule.tests ?? [];
    if (!parts.has(r) || tests.length > 0) requireBoth(r, (test, message) => failures.push({ ruleId: ruleId(r), file: r.file, line: r.line, test, message }));
    tests.forEach((t, ti) => {
      const eventID = `keytrail-test-${ri}-${ti}`;
      records.push({ eventVersion: '1.09', eventTime: BASE_TIME, awsRegion: 'us-east-1', ...t.event, eventID });
      cases.push({ rule: r, name: t.name, match: t.match, eventID });
    });
  });
  correlations.forEach((c, ci) => {
    requireBoth(c, (test, message) => failures.push({ ruleId: ruleId(c), file: c.file, line: c.line, test, message }));
    (c.rule.tests ?? []).forEach((t, ti) => {
      // Events without an eventTime follow each other a second apart, in the order written.
      const eventIDs = t.events.map((e, ei) => {
        const eventID = `keytrail-test-c${ci}-${ti}-${ei}`;
        records.push({
          eventVersion: '1.09',
          eventTime: new Date(Date.parse(BASE_TIME) + ei * 1000).toISOString().replace('.000Z', 'Z'),
          awsRegion: 'us-east-1',
          ...e,
          eventID,
        });
        return eventID;
      });
      sequences.push({ corr: c, name: t.name, match: t.match, eventIDs });
    });
  });
  if (records.length > 0) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keytrail-rules-test-'));
    try {
      fs.writeFileSync(path.join(dir, 'tests.json'), JSON.stringify({ Records: records }));
      const db = path.join(dir, 'case.duckdb');
      await ingest([path.join(dir, 'tests.json')], { db });
      const c = await CaseDb.open(db, { readOnly: true });
      try {
        for (const r of rules) {
          const mine = cases.filter((k) => k.rule === r);
          if (mine.length === 0) continue;
          const ids = sql.list(mine.map((k) => k.eventID));
          const rows = await c.all(sql`SELECT eventID FROM events WHERE eventID IN (SELECT unnest(${ids})) AND (${r.compiled.where})`);
          const hit = new Set(rows.map((x) => String(x.eventID)));
          for (const k of mine) {
            if (hit.has(k.eventID) !== k.match) {
              failures.push({
                ruleId: ruleId(r),
                file: r.file,
                line: r.line,
                test: k.name,
                message: k.match ? 'should match but did not' : 'matched but should not',
              });
            }
          }
        }
        if (sequences.length > 0) {
          // Every base rule over every test event once; then each case sees only its own events.
          const bases = [...new Set(correlations.flatMap((k) => k.bases))];
          const cannot = await scanHits(c, bases);
          if (cannot.length > 0) throw new RulesFailedError(cannot, await emptyFindings(c));
          for (const s of sequences) {
            const findings = await correlationOver(c, s.corr, bases, s.eventIDs);
            const fired = findings.count > 0;
            if (fired !== s.match) {
              const first = fired ? (await findings.all())[0]!.eventIDs : [];
              failures.push({
                ruleId: ruleId(s.corr),
                file: s.corr.file,
                line: s.corr.line,
                test: s.name,
                message: s.match ? 'should fire but did not' : `fired but should not (on ${first.join(', ')})`,
              });
            }
            await findings.drop();
          }
        }
      } finally {
        c.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { rules: rules.length + correlations.length, cases: cases.length + sequences.length, failures };
}
