/**
 * Closed-world scenario checks for `keytrail rules test`: `samples/<scenario>/expected.yaml` lists,
 * per rule id, the exact findings the rules must produce on that scenario's evidence (an eventID
 * for a single-event rule, the list of eventIDs for a correlation). A listed finding that does not
 * appear fails, and so does any finding that is not listed: a new rule or a loosened one must say
 * what it now flags on every scenario.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fg from 'fast-glob';
import { type Document, isMap, isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ruleId, runRules, type Finding } from '../rules/detect.js';
import type { LoadedCorrelation, LoadedRule } from '../rules/load-rules.js';
import type { TestFailure } from './rule-tests.js';
import { withScratchCase } from './scratch-case.js';

/** The scenarios shipped with keytrail (samples/ at the package root). */
export const BUILTIN_SAMPLES = fileURLToPath(new URL('../../samples', import.meta.url));

const Expected = z.strictObject({
  description: z.string().optional(),
  /** The evidence folder or file, relative to expected.yaml. */
  evidence: z.string().min(1).default('evidence'),
  /** Rule id → its findings: an eventID, or the eventIDs of one correlation finding. */
  rules: z.record(z.string(), z.array(z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).nullable()),
  /** The lineage the scenario must produce (checked by the lineage tests, not here). */
  lineage: z.unknown().optional(),
});

export interface ScenarioReport {
  file: string;
  findings: number;
  failures: TestFailure[];
}

/** expected.yaml files: the given files, or `<dir>/expected.yaml` and `<dir>/*\/expected.yaml`. */
export async function scenarioFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new Error(`${p}: no such file or folder`);
    if (fs.statSync(p).isDirectory()) out.push(...(await fg(['expected.yaml', '*/expected.yaml'], { cwd: p, absolute: true })).sort());
    else out.push(path.resolve(p));
  }
  return out;
}

const key = (ids: readonly string[]) => [...ids].sort().join(' ');

/** A failure of the scenario: the rule it concerns (or `(expected.yaml)`), the line in expected.yaml, what is wrong. */
type Fail = (id: string, line: number, message: string) => void;

/** expected.yaml read and checked, with the line of each rule's entry; null (with the failures) when it does not parse. */
interface Scenario {
  expected: z.infer<typeof Expected>;
  lineOf: (id: string) => number;
}

export async function testScenario(file: string, rules: LoadedRule[], correlations: LoadedCorrelation[]): Promise<ScenarioReport> {
  const failures: TestFailure[] = [];
  const fail: Fail = (id, line, message) => failures.push({ ruleId: id, file, line, test: `scenario ${path.basename(path.dirname(file))}`, message });
  const scenario = readScenario(file, fail);
  if (!scenario) return { file, findings: 0, failures };
  const evidence = path.resolve(path.dirname(file), scenario.expected.evidence);
  if (!fs.existsSync(evidence)) {
    fail('(expected.yaml)', 1, `evidence ${evidence} does not exist`);
    return { file, findings: 0, failures };
  }
  const findings = await withScratchCase(
    'keytrail-scenario-',
    () => [evidence],
    (db) => runRules(db, rules, { correlations }),
  );
  compareFindings(scenario, new Set([...rules, ...correlations].map(ruleId)), findings, fail);
  return { file, findings: findings.length, failures };
}

function readScenario(file: string, fail: Fail): Scenario | null {
  const lc = new LineCounter();
  const doc = parseDocument(fs.readFileSync(file, 'utf8'), { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) fail('(expected.yaml)', lc.linePos(e.pos[0]).line, `YAML: ${e.message.split('\n')[0]}`);
    return null;
  }
  const parsed = Expected.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const issue of parsed.error.issues) fail('(expected.yaml)', 1, `${issue.path.join('.') || 'file'}: ${issue.message}`);
    return null;
  }
  return { expected: parsed.data, lineOf: (id) => entryLine(doc, lc, id) };
}

/** The line of a rule's entry under `rules:` (1 when it has none). */
function entryLine(doc: Document, lc: LineCounter, id: string): number {
  const node = isMap(doc.contents) ? doc.getIn(['rules', id], true) : undefined;
  const start = isNode(node) ? node.range?.[0] : undefined;
  return start === undefined ? 1 : lc.linePos(start).line;
}

/** Closed world: every listed finding must appear, and every finding of a rule under test must be listed. */
function compareFindings(scenario: Scenario, known: ReadonlySet<string>, findings: readonly Finding[], fail: Fail): void {
  const { lineOf } = scenario;
  const expected = new Map(Object.entries(scenario.expected.rules).map(([id, list]) => [id, (list ?? []).map((x) => (typeof x === 'string' ? [x] : x))]));
  for (const id of expected.keys()) if (!known.has(id)) fail(id, lineOf(id), 'expected.yaml names this rule, which is not among the rules under test');
  const actual = new Map<string, Finding[]>();
  for (const f of findings) actual.set(f.rule.id, [...(actual.get(f.rule.id) ?? []), f]);
  for (const id of new Set([...expected.keys(), ...actual.keys()])) {
    if (!known.has(id)) continue;
    const want = new Map((expected.get(id) ?? []).map((ids) => [key(ids), ids]));
    const got = new Map((actual.get(id) ?? []).map((f) => [key(f.eventIDs), f]));
    for (const [k, ids] of want) if (!got.has(k)) fail(id, lineOf(id), `should flag ${ids.join(', ')} but did not`);
    const unlisted = expected.has(id) ? '' : ' (the rule has no entry: add it, with [] if it must flag nothing)';
    for (const [k, f] of got) {
      if (!want.has(k)) fail(id, lineOf(id), `flagged ${f.eventIDs.join(', ')} (${f.summary}), which expected.yaml does not list${unlisted}`);
    }
  }
}
