/**
 * Runs loaded rules over the case as set-based SQL: every single-event rule of a group becomes one
 * CASE in a single scan of `events`, so a pack costs a few table scans, not one per rule; the
 * matches land in a temporary table, from which single-event findings are written and each
 * correlation computes its windows, summaries included, without a row passing through
 * JavaScript. Findings read back in a deterministic order (time, rule id, eventID) in the shape
 * of ARCHITECTURE.md §6.
 */
import { sql } from '../store/sql.js';
import { fileURLToPath } from 'node:url';
import { KeytrailError } from '../errors.js';
import { SqlError, type CaseDb } from '../store/db.js';
import { fieldSql, resolveField, type Bind } from './catalog.js';
import { PLACEHOLDER, type LoadedCorrelation, type LoadedRule } from './load-rules.js';
import { LEVELS, type Level, type SigmaCorrelation, type SigmaRule } from './schema.js';
import { isoTime } from '../store/vocabulary.js';

/** The built-in pack shipped with keytrail (rules/ at the package root). */
export const BUILTIN_RULES = fileURLToPath(new URL('../../rules', import.meta.url));

export interface Finding {
  rule: { id: string; title: string; level: Level; tags: string[] };
  eventIDs: string[];
  eventTime: string;
  eventName: string | null;
  eventSource: string | null;
  awsRegion: string | null;
  principal: string | null;
  accessKeyId: string | null;
  sourceIPAddress: string | null;
  summary: string;
}

/** A rule's stable id: its Sigma id, else its name, else its title. */
export const ruleId = (r: { rule: SigmaRule | SigmaCorrelation }) => r.rule.id ?? r.rule.name ?? r.rule.title;

const levelRank = (l: Level) => LEVELS.indexOf(l);

/** Rules per statement: a candidate event walks the CASE arms to its rule, so long CASEs cost more than extra scans (520 rules over 1M events: 200 a group 15.5 s, 100 12.9 s, 50 14.1 s). */
const RULES_PER_SCAN = 100;

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
  return new Set([...referenced].filter((r) => !generated.has(r)));
}

/** The columns of a findings table (the case's `findings`, or a run's temporary `run_findings`). */
const FINDINGS_COLUMNS = `rule_id VARCHAR, rule_title VARCHAR, level VARCHAR, tags VARCHAR[], event_ids VARCHAR[], eventTime TIMESTAMP,
  eventName VARCHAR, eventSource VARCHAR, awsRegion VARCHAR, principal VARCHAR, accessKeyId VARCHAR, sourceIPAddress VARCHAR, summary VARCHAR`;

/** Findings of a findings table in the shape of ARCHITECTURE.md §6, in their deterministic order. */
export const findingsSql = (table: 'findings' | 'run_findings' | 'rep_findings') =>
  `SELECT {'id': rule_id, 'title': rule_title, 'level': level, 'tags': tags} AS rule, event_ids AS eventIDs,
          ${sql.text(isoTime('eventTime'))} AS eventTime, eventName, eventSource, awsRegion, principal, accessKeyId, sourceIPAddress, summary
   FROM ${table} ORDER BY ${table}.eventTime, rule_id, event_ids[1]`;

/**
 * Run the rules into the temporary table run_findings, all in SQL: nothing per finding passes
 * through JavaScript, so a pack that flags hundreds of thousands of events costs seconds, not
 * minutes. Returns the number of findings.
 */
export async function detect(db: CaseDb, rules: LoadedRule[], opts: RunOptions = {}): Promise<number> {
  const min = levelRank(opts.minLevel ?? 'informational');
  const atLevel = (level: Level | undefined) => levelRank(level ?? 'medium') >= min;
  const correlations = (opts.correlations ?? []).filter((c) => atLevel(c.rule.level));
  const silent = silentRules(opts.correlations ?? []);
  const output = rules.filter((r) => !silent.has(r) && atLevel(r.rule.level));
  const scanned = [...new Set([...output, ...correlations.flatMap((c) => c.bases)])];
  const index = new Map(scanned.map((r, k) => [r, k]));
  const failures = await scanHits(db, scanned);
  const failed = new Set(failures.map((f) => f.ruleId));
  await startRun(db, [...scanned, ...correlations]);
  await eventFindings(
    db,
    output.map((r) => index.get(r)!),
    scanned,
  );
  for (const [ci, c] of correlations.entries()) {
    const broken = c.bases.find((b) => failed.has(ruleId(b)));
    if (broken) failures.push({ file: c.file, line: c.line, ruleId: ruleId(c), message: `its base rule ${ruleId(broken)} cannot run` });
    else
      await correlationFindings(
        db,
        c,
        scanned.length + ci,
        c.bases.map((b) => index.get(b)!),
      );
  }
  const count = await finishRun(db);
  if (failures.length > 0) throw new RulesFailedError(failures, count);
  return count;
}

/** A rule DuckDB refused to run, with DuckDB's message. */
export interface RuleFailure {
  file: string;
  line: number;
  ruleId: string;
  message: string;
}

export const formatFailure = (f: RuleFailure) => `${f.file}:${f.line}: [${f.ruleId}] cannot run: ${f.message}`;

/**
 * Some rules could not run; the others did, and their findings are in run_findings. The caller
 * may show them, but must not pass the run off as complete.
 */
export class RulesFailedError extends KeytrailError {
  constructor(
    readonly failures: RuleFailure[],
    readonly findings: number,
  ) {
    const [first] = failures;
    super('INPUT', `cannot run: ${first!.message}${failures.length > 1 ? ` (and ${failures.length - 1} more rule(s) that cannot run)` : ''}`, {
      file: first!.file,
      line: first!.line,
      ruleId: first!.ruleId,
    });
  }
}

/** detect, then the findings as objects: for tests and callers that want them in memory. */
export async function runRules(db: CaseDb, rules: LoadedRule[], opts: RunOptions = {}): Promise<Finding[]> {
  await detect(db, rules, opts);
  return (await db.all(findingsSql('run_findings'))) as unknown as Finding[];
}

/** Keep a run's findings in the case's `findings` table (replacing the previous run's). */
export async function storeFindings(db: CaseDb): Promise<void> {
  await db.transaction(async () => {
    await db.exec(`CREATE TABLE IF NOT EXISTS findings (${FINDINGS_COLUMNS})`);
    await db.exec('DELETE FROM findings');
    await db.exec('INSERT INTO findings SELECT * FROM run_findings ORDER BY eventTime, rule_id, event_ids[1]');
  });
}

/**
 * Fill the temporary table rule_hits(rid, k): event rowid and index of each rule it matches.
 *
 * Most rules name the eventNames they can match (CompiledExpr.eventNames), or at least the
 * eventSources. For those, one scan of `events` hash-joins each event's lower-cased name with a
 * small table of (name, rule) pairs, and each pair is then tested with `CASE k WHEN ... THEN <that
 * rule's expression>`, which evaluates a rule's expression only on the events that carry one of
 * its names. Rules named by prefix join on starts_with; the rules that name neither get one scan
 * for the lot, the OR of them filtering and a CASE per rule telling which matched.
 */
export async function scanHits(db: CaseDb, rules: readonly LoadedRule[]): Promise<RuleFailure[]> {
  await db.exec('CREATE OR REPLACE TEMP TABLE rule_hits (rid BIGINT, k INTEGER)');
  let mixed = false;
  const failures: RuleFailure[] = [];
  for (let i = 0; i < rules.length; i += RULES_PER_SCAN) {
    const group = rules.slice(i, i + RULES_PER_SCAN).map((r, n) => ({ r, k: i + n }));
    try {
      mixed = (await scanGroup(db, group)) || mixed;
    } catch (err) {
      if (!(err instanceof SqlError)) throw err;
      // One rule DuckDB cannot run fails its whole batch: find it by running each alone, keep the others' hits.
      await db.exec('DELETE FROM rule_hits WHERE k BETWEEN $1 AND $2', [i, i + group.length - 1]);
      for (const one of group) {
        try {
          mixed = (await scanGroup(db, [one])) || mixed;
        } catch (e) {
          if (!(e instanceof SqlError)) throw e;
          failures.push({ file: one.r.file, line: one.r.line, ruleId: ruleId(one.r), message: e.message });
        }
      }
    }
  }
  // A rule named both exactly and by a prefix that match the same event pairs with it once.
  if (mixed) await db.exec('CREATE OR REPLACE TEMP TABLE rule_hits AS SELECT DISTINCT rid, k FROM rule_hits');
  return failures;
}

/** One batch of scanHits; true when a rule in it is named both exactly and by prefix. */
async function scanGroup(db: CaseDb, group: { r: LoadedRule; k: number }[]): Promise<boolean> {
  // A rule's key: the eventNames it names, else the eventSources.
  const keyOf = (r: LoadedRule) =>
    r.compiled.eventNames
      ? { field: 'eventName', values: r.compiled.eventNames }
      : r.compiled.eventSources
        ? { field: 'eventSource', values: r.compiled.eventSources }
        : null;
  const named = group.filter(({ r }) => keyOf(r) !== null);
  for (const field of ['eventName', 'eventSource']) {
    for (const prefix of [false, true]) {
      // Each (value, rule) pair; the CASE holds only the rules that have such a pair.
      const pairs = named.flatMap(({ r, k }) => {
        const key = keyOf(r)!;
        return key.field !== field ? [] : key.values.filter((n) => n.endsWith('*') === prefix).map((n) => [prefix ? n.slice(0, -1) : n, k] as const);
      });
      if (pairs.length === 0) continue;
      const ks = new Set(pairs.map((p) => p[1]));
      const { params, sqlOf } = binder();
      const arms = named
        .filter(({ k }) => ks.has(k))
        .map(({ r, k }) => `WHEN ${k} THEN ${sqlOf(r)}`)
        .join(' ');
      const values = `(SELECT unnest($${params.push(pairs.map((p) => p[0]))}::VARCHAR[]) AS __value, unnest($${params.push(pairs.map((p) => p[1]))}::INTEGER[]) AS __k)`;
      const on = prefix ? `starts_with(lower(events."${field}"), n.__value)` : `lower(events."${field}") = n.__value`;
      await db.exec(`INSERT INTO rule_hits SELECT events.rowid, n.__k FROM events JOIN ${values} n ON ${on} WHERE CASE n.__k ${arms} END`, params);
    }
  }
  const anyName = group.filter(({ r }) => keyOf(r) === null);
  if (anyName.length > 0) {
    const { params, sqlOf } = binder();
    const exprs = anyName.map(({ r }) => sqlOf(r));
    const cases = exprs.map((e, n) => `CASE WHEN ${e} THEN ${anyName[n]!.k} END`);
    await db.exec(
      `INSERT INTO rule_hits SELECT rid, unnest(ks) FROM (
         SELECT rowid AS rid, list_filter([${cases.join(', ')}], x -> x IS NOT NULL) AS ks FROM events
         WHERE ${exprs.map((e) => `(${e})`).join(' OR ')})`,
      params,
    );
  }
  return named.some(({ r }) => keyOf(r)!.values.some((n) => n.endsWith('*')) && keyOf(r)!.values.some((n) => !n.endsWith('*')));
}

/** Parameters for one statement, and a rule's SQL renumbered to follow the ones bound so far. */
function binder() {
  const params: unknown[] = [];
  const sqlOf = (r: LoadedRule) => {
    const offset = params.length;
    // One at a time: spreading a rule's thousands of values as arguments would overflow the stack.
    for (const p of r.compiled.params) params.push(p);
    return r.compiled.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
  };
  return { params, sqlOf };
}

/**
 * A run's scratch tables: run_rules (index → id, title, level, tags) and run_raw (the findings as
 * rule index, eventIDs, the rowid of the event that speaks for them, summary).
 */
export async function startRun(db: CaseDb, rules: readonly { rule: SigmaRule | SigmaCorrelation }[]): Promise<void> {
  await db.exec('CREATE OR REPLACE TEMP TABLE run_raw (ri INTEGER, event_ids VARCHAR[], rid BIGINT, summary VARCHAR)');
  // (An empty list cannot be bound: DuckDB cannot type it.)
  if (rules.length === 0) return db.exec('CREATE OR REPLACE TEMP TABLE run_rules (ri INTEGER, id VARCHAR, title VARCHAR, level VARCHAR, tags VARCHAR[])');
  await db.exec(
    `CREATE OR REPLACE TEMP TABLE run_rules AS
     SELECT unnest($1::INTEGER[]) AS ri, unnest($2::VARCHAR[]) AS id, unnest($3::VARCHAR[]) AS title, unnest($4::VARCHAR[]) AS level,
            unnest($5::VARCHAR[])::JSON::VARCHAR[] AS tags`,
    [
      rules.map((_, i) => i),
      rules.map((r) => ruleId(r)),
      rules.map((r) => r.rule.title),
      rules.map((r) => r.rule.level ?? 'medium'),
      rules.map((r) => JSON.stringify(r.rule.tags ?? [])),
    ],
  );
}

/** run_findings from run_raw: each finding with its rule and the fields of its event. Returns the count. */
export async function finishRun(db: CaseDb): Promise<number> {
  await db.exec(
    `CREATE OR REPLACE TEMP TABLE run_findings AS
     SELECT r.id AS rule_id, r.title AS rule_title, r.level, r.tags, f.event_ids, e.eventTime, e.eventName, e.eventSource, e.awsRegion,
            coalesce(e.userIdentity.arn, e.userIdentity.userName, e.userIdentity.type) AS principal,
            e.userIdentity.accessKeyId AS accessKeyId, e.sourceIPAddress, f.summary
     FROM run_raw f JOIN run_rules r USING (ri) JOIN events e ON e.rowid = f.rid`,
  );
  return Number((await db.all('SELECT count(*) AS n FROM run_findings'))[0]!.n);
}

/** Findings of single-event rules (indices into the scanned list) from rule_hits, summaries in SQL. */
async function eventFindings(db: CaseDb, ks: number[], scanned: readonly LoadedRule[]): Promise<void> {
  if (ks.length === 0) return;
  const params: unknown[] = [];
  const bind: Bind = (v) => `$${params.push(v)}`;
  // Fields of summaries go through the same catalog as rules; only hits are read.
  const field = (p: string) => fieldSql(resolveField(p), bind);
  const arms = ks.map((k) => `WHEN ${k} THEN ${summarySql(scanned[k]!.rule.output?.summary ?? scanned[k]!.rule.title, bind, field)}`);
  await db.exec(
    `INSERT INTO run_raw
     SELECT k, [eventID], rid, CASE k ${arms.join(' ')} END
     FROM rule_hits JOIN events ON events.rowid = rule_hits.rid
     WHERE k IN (SELECT unnest(${bind(ks)}::INTEGER[]))`,
    params,
  );
}

/**
 * Findings of one correlation (rule index `ri` in run_rules) from the rule_hits of its base rules
 * (scan indices `ks`, in its order), optionally only over the events `only` (eventIDs). The event
 * that completed the pattern speaks for the finding.
 */
export async function correlationFindings(db: CaseDb, c: LoadedCorrelation, ri: number, ks: number[], only?: string[]): Promise<void> {
  const arms = ks.map((k, r) => `WHEN ${k} THEN ${r}`).join(' ');
  await db.exec(
    `CREATE OR REPLACE TEMP TABLE corr_input AS
     SELECT rid, CASE k ${arms} END AS r FROM rule_hits
     WHERE k IN (SELECT unnest($1::INTEGER[]))${only ? ' AND rid IN (SELECT rowid FROM events WHERE eventID IN (SELECT unnest($2::VARCHAR[])))' : ''}`,
    only ? [ks, only] : [ks],
  );
  const params = [...c.compiled.params];
  const bind: Bind = (v) => `$${params.push(v)}`;
  const time = (col: string) => sql.text(isoTime(`x.${col}`));
  const value = (name: string) => {
    if (name === 'count') return 'CAST(x.n AS VARCHAR)';
    if (name === 'first') return time('first_t');
    if (name === 'last') return time('last_t');
    if (name === 'values')
      return `CASE WHEN len(x.vals) > 20 THEN array_to_string(x.vals[1:20], ', ') || ', ... (' || len(x.vals) || ' in all)' ELSE array_to_string(x.vals, ', ') END`;
    return `CAST(x.g_${c.compiled.groupBy.indexOf(name)} AS VARCHAR)`;
  };
  const summary = summarySql(c.rule.output?.summary ?? c.rule.title, bind, value);
  await db.exec(`INSERT INTO run_raw SELECT ${bind(ri)}, x.event_ids, x.last_rid, ${summary} FROM (${c.compiled.sql}) x`, params);
}

/**
 * An output.summary template as SQL: literal text bound, each `{a|b|}` placeholder the first of its
 * fields that is present, else `?` (or nothing after an empty last alternative).
 */
function summarySql(template: string, bind: Bind, value: (name: string) => string): string {
  const parts: string[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(bind(template.slice(last, m.index)));
    const alts = m[1]!.split('|');
    parts.push(`coalesce(${[...alts.filter(Boolean).map(value), bind(alts.at(-1) === '' ? '' : '?')].join(', ')})`);
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(bind(template.slice(last)));
  return parts.length === 0 ? bind('') : `concat(${parts.join(', ')})`;
}
