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
import { ruleId } from './detect.js';
import type { LoadedRule } from './loader.js';

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

export async function testRules(rules: LoadedRule[]): Promise<TestReport> {
  const failures: TestFailure[] = [];
  const records: Record<string, unknown>[] = [];
  const cases: { rule: LoadedRule; name: string; match: boolean; eventID: string }[] = [];
  rules.forEach((r, ri) => {
    const tests = r.rule.tests ?? [];
    const fail = (test: string, message: string) => failures.push({ ruleId: ruleId(r), file: r.file, line: r.line, test, message });
    if (!tests.some((t) => t.match)) fail('(tests)', 'has no test that must match');
    if (!tests.some((t) => !t.match)) fail('(tests)', 'has no test that must not match');
    tests.forEach((t, ti) => {
      const eventID = `keytrail-test-${ri}-${ti}`;
      records.push({ eventVersion: '1.09', eventTime: '2026-01-01T00:00:00Z', awsRegion: 'us-east-1', ...t.event, eventID });
      cases.push({ rule: r, name: t.name, match: t.match, eventID });
    });
  });
  if (cases.length > 0) {
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
          const offset = r.compiled.params.length;
          const rows = await c.all(`SELECT eventID FROM events WHERE eventID IN (SELECT unnest($${offset + 1}::VARCHAR[])) AND ${r.compiled.sql}`, [
            ...r.compiled.params,
            mine.map((k) => k.eventID),
          ]);
          const hit = new Set(rows.map((x) => String(x.eventID)));
          for (const k of mine) {
            if (hit.has(k.eventID) !== k.match) {
              failures.push({ ruleId: ruleId(r), file: r.file, line: r.line, test: k.name, message: k.match ? 'should match but did not' : 'matched but should not' });
            }
          }
        }
      } finally {
        c.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { rules: rules.length, cases: cases.length, failures };
}
