/**
 * Runs loaded rules over the case as set-based SQL: every single-event rule of a group becomes one
 * CASE in a single scan of `events`, so a pack costs a few table scans, not one per rule; the
 * matches land in a temporary table, from which single-event findings are written and each
 * correlation computes its windows, summaries included, without a row passing through
 * JavaScript. Findings read back in a deterministic order (time, rule id, eventID) in the shape
 * of ARCHITECTURE.md §6.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { KeytrailError } from '../errors.js';
import type { CaseDb } from '../store/db.js';
import { sql, type Sql } from '../store/sql.js';
import { isoTime } from '../store/vocabulary.js';
import { evaluationOrder, innerOf, isLoadedCorrelation, nestedSql, resultTable, silentCorrelations } from './correlation-inputs.js';
import { numberText } from './correlation-sql.js';
import { runTable, TableFindings, type Finding, type Findings } from './findings.js';
import type { LoadedCorrelation, LoadedRule } from './load-rules.js';
import { eventValue, summarySql, type ValueOf } from './summary-sql.js';
import { LEVELS, type Level, type SigmaCorrelation, type SigmaRule } from './schema.js';

export { emptyFindings, type Finding, type Findings } from './findings.js';
export { formatFailure, type RuleFailure, scanHits } from './scan.js';
import { type RuleFailure, scanHits } from './scan.js';

/** The built-in pack shipped with keytrail (rules/ at the package root). */
export const BUILTIN_RULES = fileURLToPath(new URL('../../rules', import.meta.url));

export { ruleId } from './rule-names.js';
import { ruleId } from './rule-names.js';

const levelRank = (l: Level) => LEVELS.indexOf(l);

/** A whole number written into the SQL (a rule's index, a position): keytrail's own, never a rule's value. */
const int = (n: number): Sql => {
  if (!Number.isSafeInteger(n)) throw new TypeError(`not a whole number: ${n}`);
  return sql.raw(`${n}`);
};

export interface RunOptions {
  minLevel?: Level;
  /** Correlation rules; their base rules must be among `rules`. */
  correlations?: LoadedCorrelation[];
}

/**
 * Base rules referenced by a correlation produce no findings of their own unless one of the
 * correlations that use them says `generate: true` (Sigma correlation specification, "Generate").
 */
export function silentRules(correlations: readonly LoadedCorrelation[]): Set<LoadedRule> {
  const referenced = new Set(correlations.flatMap((c) => c.bases));
  const generated = new Set(correlations.filter((c) => c.rule.generate ?? c.rule.correlation.generate).flatMap((c) => c.bases));
  // A rule also written on its own (rules/load-rules.ts standalone) keeps findings of its own.
  return new Set([...referenced].filter((r) => !generated.has(r) && !r.standalone));
}

/** What a run evaluates: the rules scanned (outputs and bases), which of them have findings of their own, the correlations. */
interface Plan {
  scanned: LoadedRule[];
  /** Indices into `scanned` of the rules with findings of their own. */
  output: number[];
  /** The correlations to run, each after those it names. */
  correlations: LoadedCorrelation[];
  /** Those of them with findings of their own. */
  outputs: Set<LoadedCorrelation>;
}

function planRun(rules: readonly LoadedRule[], opts: RunOptions): Plan {
  const min = levelRank(opts.minLevel ?? 'informational');
  const atLevel = (level: Level | undefined) => levelRank(level ?? 'medium') >= min;
  const all = opts.correlations ?? [];
  // A correlation named by another runs for it, whatever its own level, when it has no findings of its own.
  const quiet = silentCorrelations(all);
  const outputs = all.filter((c) => !quiet.has(c) && atLevel(c.rule.level));
  const correlations = evaluationOrder(outputs);
  const silent = silentRules(all);
  const output = rules.filter((r) => !silent.has(r) && atLevel(r.rule.level));
  const scanned = [...new Set([...output, ...correlations.flatMap((c) => c.bases)])];
  return { scanned, output: output.map((r) => scanned.indexOf(r)), correlations, outputs: new Set(outputs) };
}

/**
 * Run the rules, all in SQL: nothing per finding passes through JavaScript, so a pack that flags
 * hundreds of thousands of events costs seconds, not minutes. The findings stay in the case (a
 * temporary table of this run's own) behind the handle returned; when some rules cannot run, the
 * RulesFailedError carries the handle to the others' findings.
 */
export async function detect(db: CaseDb, rules: readonly LoadedRule[], opts: RunOptions = {}): Promise<Findings> {
  return runInto(db, runTable(), rules, opts);
}

async function runInto(db: CaseDb, table: string, rules: readonly LoadedRule[], opts: RunOptions): Promise<Findings> {
  const plan = planRun(rules, opts);
  const failures = await scanHits(db, plan.scanned);
  await startRun(db, [...plan.scanned, ...plan.correlations]);
  await eventFindings(db, plan.output, plan.scanned);
  failures.push(...(await allCorrelationFindings(db, plan, new Set(failures.map((f) => f.ruleId)))));
  const findings = await finishRun(db, table);
  await dropScratch(db);
  if (failures.length > 0) throw new RulesFailedError(failures, findings);
  return findings;
}

/**
 * Each correlation's findings, those it names first (their results kept for it); one whose base
 * rule or named correlation failed cannot run, and is a failure too.
 */
async function allCorrelationFindings(db: CaseDb, plan: Plan, failed: ReadonlySet<string>, only?: readonly string[]): Promise<RuleFailure[]> {
  const failures: RuleFailure[] = [];
  const broken = new Set<LoadedCorrelation>();
  const named = new Set(plan.correlations.flatMap(innerOf));
  const riOf = (c: LoadedCorrelation) => plan.scanned.length + plan.correlations.indexOf(c);
  for (const c of plan.correlations) {
    const cause = c.bases.find((b) => failed.has(ruleId(b))) ?? innerOf(c).find((x) => broken.has(x));
    if (cause) {
      broken.add(c);
      const what = isLoadedCorrelation(cause) ? 'correlation' : 'base rule';
      failures.push({ file: c.file, line: c.line, ruleId: ruleId(c), message: `its ${what} ${ruleId(cause)} cannot run` });
      continue;
    }
    const inputs: Inputs = {
      ks: c.inputs.map((x) => (isLoadedCorrelation(x) ? null : plan.scanned.indexOf(x))),
      tables: c.inputs.map((x) => (isLoadedCorrelation(x) ? resultTable(riOf(x)) : null)),
      only,
    };
    await correlationFindings(db, c, riOf(c), inputs, { output: plan.outputs.has(c), keep: named.has(c) });
  }
  for (const c of named) await db.exec(sql`DROP TABLE IF EXISTS ${sql.id(resultTable(riOf(c)))}`);
  return failures;
}

/**
 * Some rules could not run; the others did, and `findings` holds their findings. The caller may
 * show them, but must not pass the run off as complete.
 */
export class RulesFailedError extends KeytrailError {
  constructor(
    readonly failures: RuleFailure[],
    readonly findings: Findings,
  ) {
    const [first] = failures;
    super('INPUT', `cannot run: ${first!.message}${failures.length > 1 ? ` (and ${failures.length - 1} more rule(s) that cannot run)` : ''}`, {
      file: first!.file,
      line: first!.line,
      ruleId: first!.ruleId,
    });
  }
}

/** detect, then the findings as objects (and the run let go): for tests and callers that want them in memory. */
export async function runRules(db: CaseDb, rules: readonly LoadedRule[], opts: RunOptions = {}): Promise<Finding[]> {
  const findings = await detect(db, rules, opts);
  try {
    return await findings.all();
  } finally {
    await findings.drop();
  }
}

/**
 * A run's scratch tables: run_rules (index → id, title, level, tags, author) and run_raw (the findings as
 * rule index, eventIDs, the rowid of the event that speaks for them, summary).
 */
async function startRun(db: CaseDb, rules: readonly { rule: SigmaRule | SigmaCorrelation }[]): Promise<void> {
  await db.exec(sql`CREATE OR REPLACE TEMP TABLE run_raw (ri INTEGER, event_ids VARCHAR[], rid BIGINT, summary VARCHAR)`);
  await db.exec(
    sql`CREATE OR REPLACE TEMP TABLE run_rules AS
     SELECT unnest(${sql.list(
       rules.map((_, i) => i),
       'INTEGER',
     )}) AS ri, unnest(${sql.list(rules.map(ruleId))}) AS id, unnest(${sql.list(rules.map((r) => r.rule.title))}) AS title,
            unnest(${sql.list(rules.map((r) => r.rule.level ?? 'medium'))}) AS level,
            unnest(${sql.list(rules.map((r) => JSON.stringify(r.rule.tags ?? [])))})::JSON::VARCHAR[] AS tags,
            nullif(unnest(${sql.list(rules.map((r) => r.rule.author ?? ''))}), '') AS author`,
  );
}

/** The scratch tables of a run, once its findings table holds what they led to. */
async function dropScratch(db: CaseDb): Promise<void> {
  for (const t of ['rule_hits', 'run_rules', 'run_raw', 'corr_input', 'corr_nested']) await db.exec(sql`DROP TABLE IF EXISTS ${sql.id(t)}`);
}

const Count = z.object({ n: z.number() });

/** The run's findings table from run_raw: each finding with its rule and the fields of its event. */
async function finishRun(db: CaseDb, table: string): Promise<Findings> {
  const t = sql.id(table);
  await db.exec(
    sql`CREATE OR REPLACE TEMP TABLE ${t} AS
     SELECT r.id AS rule_id, r.title AS rule_title, r.level, r.tags, r.author AS rule_author, f.event_ids, e.eventTime, e.eventName, e.eventSource, e.awsRegion,
            coalesce(e.userIdentity.arn, e.userIdentity.userName, e.userIdentity.type) AS principal,
            e.userIdentity.accessKeyId AS accessKeyId, e.sourceIPAddress, f.summary
     FROM run_raw f JOIN run_rules r USING (ri) JOIN events e ON e.rowid = f.rid`,
  );
  const { n } = await db.one(sql`SELECT count(*) AS n FROM ${t}`, Count);
  return new TableFindings(db, table, n);
}

/** A single-event rule's summary over a row of `events`, as its findings have it. */
export const eventSummaryTemplate = (r: LoadedRule) => r.rule.output?.summary ?? r.rule.title;
export const eventSummarySql = (r: LoadedRule) => summarySql(eventSummaryTemplate(r), eventValue);

/** Findings of single-event rules (indices into the scanned list) from rule_hits, summaries in SQL. */
async function eventFindings(db: CaseDb, ks: number[], scanned: readonly LoadedRule[]): Promise<void> {
  if (ks.length === 0) return;
  // Fields of summaries go through the same catalog as rules; only hits are read.
  const arms = ks.map((k) => sql`WHEN ${int(k)} THEN ${eventSummarySql(scanned[k]!)}`);
  await db.exec(
    sql`INSERT INTO run_raw
     SELECT k, [eventID], rid, CASE k ${sql.join(arms, sql.raw(' '))} END
     FROM rule_hits JOIN events ON events.rowid = rule_hits.rid
     WHERE k IN (SELECT unnest(${sql.list(ks, 'INTEGER')}))`,
  );
}

/** What a correlation's summary placeholder reads from its finding row `x` (other than a group-by name). */
const CORRELATION_VALUES: Record<string, Sql> = {
  count: sql.raw('CAST(x.n AS VARCHAR)'),
  first: isoTime('x.first_t'),
  last: isoTime('x.last_t'),
  value: numberText('x.val'),
  values: sql.raw(
    `CASE WHEN len(x.vals) > 20 THEN array_to_string(x.vals[1:20], ', ') || ', ... (' || len(x.vals) || ' in all)' ELSE array_to_string(x.vals, ', ') END`,
  ),
};

/** Where a correlation's matches come from: per position of its rules, a base rule's scan index or a named correlation's kept results; optionally only the events `only` (eventIDs). */
interface Inputs {
  ks: (number | null)[];
  tables: (string | null)[];
  only?: readonly string[];
}

/** corr_input: the rule_hits of a correlation's base rules, each as its position in the correlation's rules. */
async function fillInput(db: CaseDb, { ks, only }: Inputs): Promise<void> {
  const pairs = ks.flatMap((k, r) => (k === null ? [] : [{ k, r }]));
  const arms = sql.join(
    pairs.map(({ k, r }) => sql`WHEN ${int(k)} THEN ${int(r)}`),
    sql.raw(' '),
  );
  const within = only ? sql` AND rid IN (SELECT rowid FROM events WHERE eventID IN (SELECT unnest(${sql.list(only)})))` : sql.empty;
  await db.exec(
    sql`CREATE OR REPLACE TEMP TABLE corr_input AS
     SELECT rid, CASE k ${arms} END AS r FROM rule_hits
     WHERE k IN (SELECT unnest(${sql.list(
       pairs.map((p) => p.k),
       'INTEGER',
     )}))${within}`,
  );
}

/**
 * Findings of one correlation (rule index `ri` in run_rules) from its inputs. The event that
 * completed the pattern speaks for the finding. `keep`: its findings stay in its result table for
 * the correlations that name it; `output`: they are findings of the run.
 */
async function correlationFindings(db: CaseDb, c: LoadedCorrelation, ri: number, inputs: Inputs, to: { output: boolean; keep: boolean }): Promise<void> {
  if (inputs.ks.some((k) => k !== null)) await fillInput(db, inputs);
  if (inputs.tables.some((t) => t !== null)) await db.exec(nestedSql(c, inputs.tables));
  let results = sql`(${c.compiled.query})`;
  if (to.keep) {
    await db.exec(sql`CREATE OR REPLACE TEMP TABLE ${sql.id(resultTable(ri))} AS ${c.compiled.query}`);
    results = sql`${sql.id(resultTable(ri))}`;
  }
  if (!to.output) return;
  // The names were checked when the correlation loaded (resolve-correlations.ts).
  const value: ValueOf = ({ field: name }) =>
    Object.hasOwn(CORRELATION_VALUES, name) ? CORRELATION_VALUES[name]! : sql.raw(`CAST(x.g_${c.compiled.groupBy.indexOf(name)} AS VARCHAR)`);
  const summary = summarySql(c.rule.output?.summary ?? c.rule.title, value);
  await db.exec(sql`INSERT INTO run_raw SELECT ${int(ri)}, x.event_ids, x.last_rid, ${summary} FROM ${results} x`);
}

/**
 * One correlation over the hits of a scanHits of `scanned` (its base rules, and those of the
 * correlations it names, among them), only over the events `eventIds`: the rule tester's run of one
 * test case. The correlations it names run first, over the same events.
 */
export async function correlationOver(db: CaseDb, c: LoadedCorrelation, scanned: readonly LoadedRule[], eventIds: readonly string[]): Promise<Findings> {
  const correlations = evaluationOrder([c]);
  await startRun(db, [...scanned, ...correlations]);
  const plan: Plan = { scanned: [...scanned], output: [], correlations, outputs: new Set([c]) };
  // Nothing has failed: the tester has scanned the base rules already.
  await allCorrelationFindings(db, plan, new Set(), eventIds);
  return finishRun(db, runTable());
}
