/**
 * The scan: every rule of a run over `events` in a few statements, its matches into the temporary
 * table rule_hits(rid, k) (event rowid, rule index). A rule DuckDB refuses to run fails alone.
 */
import type { CaseDb } from '../store/db.js';
import { SqlError } from '../store/db.js';
import { sql, type Sql } from '../store/sql.js';
import { eventsFor, prepareBaseline, readsBaseline } from './baseline.js';
import type { LoadedRule } from './load-rules.js';
import { ruleId } from './rule-names.js';

/** Rules per statement: a candidate event walks the CASE arms to its rule, so long CASEs cost more than extra scans (520 rules over 1M events: 200 a group 15.5 s, 100 12.9 s, 50 14.1 s). */
const RULES_PER_SCAN = 100;

/** A whole number written into the SQL (a rule's index, a position): keytrail's own, never a rule's value. */
const int = (n: number): Sql => {
  if (!Number.isSafeInteger(n)) throw new TypeError(`not a whole number: ${n}`);
  return sql.raw(`${n}`);
};

/** A rule DuckDB refused to run, with DuckDB's message. */
export interface RuleFailure {
  file: string;
  line: number;
  ruleId: string;
  message: string;
}

export const formatFailure = (f: RuleFailure) => `${f.file}:${f.line}: [${f.ruleId}] cannot run: ${f.message}`;

/**
 * Fill the temporary table rule_hits(rid, k): event rowid and index of each rule it matches. Rules
 * that read `keytrail.baseline` get it computed first (baseline.ts), over `opts.baselinePartition`.
 *
 * Most rules name the eventNames they can match (CompiledExpr.eventNames), or at least the
 * eventSources. For those, one scan of `events` hash-joins each event's lower-cased name with a
 * small table of (name, rule) pairs, and each pair is then tested with `CASE k WHEN ... THEN <that
 * rule's expression>`, which evaluates a rule's expression only on the events that carry one of
 * its names. Rules named by prefix join on starts_with; the rules that name neither get one scan
 * for the lot, the OR of them filtering and a CASE per rule telling which matched.
 */
export async function scanHits(db: CaseDb, rules: readonly LoadedRule[], opts: { baselinePartition?: Sql } = {}): Promise<RuleFailure[]> {
  await db.exec(sql`CREATE OR REPLACE TEMP TABLE rule_hits (rid BIGINT, k INTEGER)`);
  const baseline = rules.some((r) => readsBaseline(r.compiled.where));
  if (baseline) await prepareBaseline(db, opts.baselinePartition);
  let mixed = false;
  const failures: RuleFailure[] = [];
  for (let i = 0; i < rules.length; i += RULES_PER_SCAN) {
    const group = rules.slice(i, i + RULES_PER_SCAN).map((r, n) => ({ r, k: i + n }));
    try {
      mixed = (await scanGroup(db, group, baseline)) || mixed;
    } catch (err) {
      if (!(err instanceof SqlError)) throw err;
      // One rule DuckDB cannot run fails its whole batch: find it by running each alone, keep the others' hits.
      await db.exec(sql`DELETE FROM rule_hits WHERE k BETWEEN ${i} AND ${i + group.length - 1}`);
      for (const one of group) {
        try {
          mixed = (await scanGroup(db, [one], baseline)) || mixed;
        } catch (e) {
          if (!(e instanceof SqlError)) throw e;
          failures.push({ file: one.r.file, line: one.r.line, ruleId: ruleId(one.r), message: e.message });
        }
      }
    }
  }
  // A rule named both exactly and by a prefix that match the same event pairs with it once.
  if (mixed) await db.exec(sql`CREATE OR REPLACE TEMP TABLE rule_hits AS SELECT DISTINCT rid, k FROM rule_hits`);
  return failures;
}

type Scanned = { r: LoadedRule; k: number };
type KeyField = 'eventName' | 'eventSource';

/** A rule's key: the eventNames it names, else the eventSources, else none. */
function keyOf(r: LoadedRule): { field: KeyField; values: string[] } | null {
  if (r.compiled.eventNames) return { field: 'eventName', values: r.compiled.eventNames };
  if (r.compiled.eventSources) return { field: 'eventSource', values: r.compiled.eventSources };
  return null;
}

/** One batch of scanHits (`baseline`: over events joined with keytrail.baseline); true when a rule in it is named both exactly and by prefix. */
async function scanGroup(db: CaseDb, group: Scanned[], baseline: boolean): Promise<boolean> {
  const named = group.filter(({ r }) => keyOf(r) !== null);
  for (const field of ['eventName', 'eventSource'] as const) {
    for (const prefix of [false, true]) await scanByKey(db, named, field, prefix, baseline);
  }
  await scanUnnamed(
    db,
    group.filter(({ r }) => keyOf(r) === null),
    baseline,
  );
  return named.some(({ r }) => {
    const values = keyOf(r)?.values ?? [];
    return values.some((n) => n.endsWith('*')) && values.some((n) => !n.endsWith('*'));
  });
}

/** The rules keyed on `field` (exactly, or by prefix): events joined with their (value, rule) pairs, each pair tested with its rule. */
async function scanByKey(db: CaseDb, named: Scanned[], field: KeyField, prefix: boolean, baseline: boolean): Promise<void> {
  const pairs = named.flatMap(({ r, k }) => {
    const key = keyOf(r);
    if (key?.field !== field) return [];
    return key.values.filter((n) => n.endsWith('*') === prefix).map((n) => ({ value: prefix ? n.slice(0, -1) : n, k }));
  });
  if (pairs.length === 0) return;
  // The CASE holds only the rules that have such a pair.
  const ks = new Set(pairs.map((p) => p.k));
  const arms = named.filter(({ k }) => ks.has(k)).map(({ r, k }) => sql`WHEN ${int(k)} THEN ${r.compiled.where}`);
  const values = sql`(SELECT unnest(${sql.list(pairs.map((p) => p.value))}) AS __value, unnest(${sql.list(
    pairs.map((p) => p.k),
    'INTEGER',
  )}) AS __k)`;
  const column = sql`lower(events.${sql.id(field)})`;
  const on = prefix ? sql`starts_with(${column}, n.__value)` : sql`${column} = n.__value`;
  await db.exec(
    sql`INSERT INTO rule_hits SELECT events.rowid, n.__k FROM ${eventsFor(baseline)} JOIN ${values} n ON ${on} WHERE CASE n.__k ${sql.join(arms, sql.raw(' '))} END`,
  );
}

/** The rules that name no eventName or eventSource: one scan for the lot. */
async function scanUnnamed(db: CaseDb, rules: Scanned[], baseline: boolean): Promise<void> {
  if (rules.length === 0) return;
  const cases = rules.map(({ r, k }) => sql`CASE WHEN ${r.compiled.where} THEN ${int(k)} END`);
  const any = sql.join(
    rules.map(({ r }) => sql`(${r.compiled.where})`),
    sql.raw(' OR '),
  );
  await db.exec(
    sql`INSERT INTO rule_hits SELECT rid, unnest(ks) FROM (
         SELECT events.rowid AS rid, list_filter([${sql.join(cases)}], x -> x IS NOT NULL) AS ks FROM ${eventsFor(baseline)}
         WHERE ${any})`,
  );
}
