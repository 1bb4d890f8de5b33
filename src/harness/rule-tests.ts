/**
 * `keytrail rules test`: every rule's inline `tests:` events are loaded into one scratch case
 * through the real ingest path, and each rule's compiled SQL must flag exactly its `match: true`
 * events among its own. Failures name the rule id and the case. Like ESLint's RuleTester, a rule
 * without both a matching and a non-matching case fails too: a test that cannot fail proves nothing.
 * On every case that must match and does, the rule's summary is rendered by the SQL detect uses and
 * must read as a sentence: no placeholder left absent (`?`), empty or printing raw JSON, and no
 * debris of an empty value (`{}`, `()`, a doubled separator).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { correlationOver, emptyFindings, eventSummarySql, eventSummaryTemplate, ruleId, RulesFailedError, scanHits, silentRules } from '../rules/detect.js';
import { eventValue, summaryDebris, summaryProblemsSql } from '../rules/summary-sql.js';
import { evaluationOrder } from '../rules/correlation-inputs.js';
import { eventsFor, prepareBaseline, readsBaseline } from '../rules/baseline.js';
import type { LoadedCorrelation, LoadedRule } from '../rules/load-rules.js';
import type { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';
import { withScratchCase } from './scratch-case.js';

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

/** One inline test of a single-event rule: its event's eventID in the scratch case. */
interface RuleCase {
  rule: LoadedRule;
  name: string;
  match: boolean;
  eventID: string;
}

/** One inline test of a correlation: its events' eventIDs. */
interface Sequence {
  corr: LoadedCorrelation;
  name: string;
  match: boolean;
  eventIDs: string[];
}

/** Every test as records to ingest and what each must do; the rules that lack a case fail before anything runs. */
interface Plan {
  records: Record<string, unknown>[];
  cases: RuleCase[];
  sequences: Sequence[];
  failures: TestFailure[];
}

export async function testRules(rules: LoadedRule[], correlations: LoadedCorrelation[] = []): Promise<TestReport> {
  const plan = planTests(rules, correlations);
  if (plan.records.length > 0) {
    const evidence = (dir: string) => {
      const file = path.join(dir, 'tests.json');
      fs.writeFileSync(file, JSON.stringify({ Records: plan.records }));
      return [file];
    };
    await withScratchCase('keytrail-rules-test-', evidence, async (db) => {
      plan.failures.push(...(await checkRuleCases(db, rules, plan.cases)));
      if (plan.sequences.length > 0) plan.failures.push(...(await checkSequences(db, correlations, plan.sequences)));
    });
  }
  return { rules: rules.length + correlations.length, cases: plan.cases.length + plan.sequences.length, failures: plan.failures };
}

const failureOf = (r: LoadedRule | LoadedCorrelation, test: string, message: string): TestFailure => ({
  ruleId: ruleId(r),
  file: r.file,
  line: r.line,
  test,
  message,
});

/** A rule's tests must include one that must match and one that must not. */
function requireBoth(r: LoadedRule | LoadedCorrelation, failures: TestFailure[]): void {
  const tests: readonly { match: boolean }[] = r.rule.tests ?? [];
  if (!tests.some((t) => t.match)) failures.push(failureOf(r, '(tests)', 'has no test that must match'));
  if (!tests.some((t) => !t.match)) failures.push(failureOf(r, '(tests)', 'has no test that must not match'));
}

function planTests(rules: readonly LoadedRule[], correlations: readonly LoadedCorrelation[]): Plan {
  const plan: Plan = { records: [], cases: [], sequences: [], failures: [] };
  // A base rule that only feeds correlations is tested through them; it needs no cases of its own.
  const parts = silentRules(correlations);
  rules.forEach((r, ri) => {
    const tests = r.rule.tests ?? [];
    if (!parts.has(r) || tests.length > 0) requireBoth(r, plan.failures);
    tests.forEach((t, ti) => {
      const eventID = `keytrail-test-${ri}-${ti}`;
      plan.records.push({ eventVersion: '1.09', eventTime: BASE_TIME, awsRegion: 'us-east-1', ...t.event, eventID });
      plan.cases.push({ rule: r, name: t.name, match: t.match, eventID });
    });
  });
  correlations.forEach((c, ci) => {
    requireBoth(c, plan.failures);
    (c.rule.tests ?? []).forEach((t, ti) => {
      const eventIDs = t.events.map((e, ei) => {
        const eventID = `keytrail-test-c${ci}-${ti}-${ei}`;
        plan.records.push({ eventVersion: '1.09', eventTime: secondsAfterBase(ei), awsRegion: 'us-east-1', ...e, eventID });
        return eventID;
      });
      plan.sequences.push({ corr: c, name: t.name, match: t.match, eventIDs });
    });
  });
  return plan;
}

/**
 * Each inline test is a world of its own for what is usual (keytrail.baseline): its eventIDs are
 * keytrail-test-<rule>-<test> (one event) and keytrail-test-c<correlation>-<test>-<event>.
 */
const TEST_WORLD = sql`regexp_extract(eventID, '^keytrail-test-(c[0-9]+-[0-9]+|[0-9]+-[0-9]+)', 1)`;

/** Events without an eventTime follow each other a second apart, in the order written. */
const secondsAfterBase = (n: number) => new Date(Date.parse(BASE_TIME) + n * 1000).toISOString().replace('.000Z', 'Z');

const EventRow = z.object({ eventID: z.string() });
const SummaryRow = z.object({ eventID: z.string(), summary: z.string(), problems: z.array(z.string()) });

/** What is wrong with a rendered summary, or undefined. */
function summaryFailure(summary: string, problems: readonly string[]): string | undefined {
  const all = [...problems, ...summaryDebris(summary)];
  return all.length === 0 ? undefined : `summary ${JSON.stringify(summary)}: ${all.join('; ')}`;
}

/** Each rule over its own test events: it must flag exactly the ones that must match. */
async function checkRuleCases(db: CaseDb, rules: readonly LoadedRule[], cases: readonly RuleCase[]): Promise<TestFailure[]> {
  const failures: TestFailure[] = [];
  if (rules.some((r) => readsBaseline(r.compiled.where))) await prepareBaseline(db, TEST_WORLD);
  for (const r of rules) {
    const mine = cases.filter((k) => k.rule === r);
    if (mine.length === 0) continue;
    const ids = sql.list(mine.map((k) => k.eventID));
    const from = eventsFor(readsBaseline(r.compiled.where));
    const rows = await db.rows(sql`SELECT eventID FROM ${from} WHERE eventID IN (SELECT unnest(${ids})) AND (${r.compiled.where})`, EventRow);
    const hit = new Set(rows.map((x) => x.eventID));
    for (const k of mine) {
      if (hit.has(k.eventID) !== k.match) failures.push(failureOf(r, k.name, k.match ? 'should match but did not' : 'matched but should not'));
    }
    const shown = mine.filter((k) => k.match && hit.has(k.eventID));
    if (shown.length === 0) continue;
    const summaries = await db.rows(
      sql`SELECT eventID, ${eventSummarySql(r)} AS summary, ${summaryProblemsSql(eventSummaryTemplate(r), eventValue)} AS problems
          FROM events WHERE eventID IN (SELECT unnest(${sql.list(shown.map((k) => k.eventID))}))`,
      SummaryRow,
    );
    const byId = new Map(summaries.map((x) => [x.eventID, x]));
    for (const k of shown) {
      const x = byId.get(k.eventID)!;
      const wrong = summaryFailure(x.summary, x.problems);
      if (wrong) failures.push(failureOf(r, k.name, wrong));
    }
  }
  return failures;
}

/** Every base rule over every test event once; then each correlation case sees only its own events. */
async function checkSequences(db: CaseDb, correlations: readonly LoadedCorrelation[], sequences: readonly Sequence[]): Promise<TestFailure[]> {
  // With the base rules of the correlations they name, which run over the same events first.
  const bases = [...new Set(evaluationOrder(correlations).flatMap((k) => k.bases))];
  const cannot = await scanHits(db, bases, { baselinePartition: TEST_WORLD });
  if (cannot.length > 0) throw new RulesFailedError(cannot, await emptyFindings(db));
  const failures: TestFailure[] = [];
  for (const s of sequences) {
    const findings = await correlationOver(db, s.corr, bases, s.eventIDs);
    try {
      const fired = findings.count > 0;
      if (fired && s.match) {
        for (const f of await findings.all()) {
          const wrong = summaryFailure(f.summary, []);
          if (wrong) failures.push(failureOf(s.corr, s.name, wrong));
        }
      }
      if (fired === s.match) continue;
      const first = fired ? (await findings.all())[0]!.eventIDs : [];
      failures.push(failureOf(s.corr, s.name, s.match ? 'should fire but did not' : `fired but should not (on ${first.join(', ')})`));
    } finally {
      await findings.drop();
    }
  }
  return failures;
}
