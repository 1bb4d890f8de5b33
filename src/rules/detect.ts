/**
 * Runs loaded rules over the case as set-based SQL: every single-event rule of a group becomes one
 * CASE in a single scan of `events`, so a pack costs a few table scans, not one per rule; the
 * matches land in a temporary table, from which single-event findings are read and each
 * correlation computes its windows. Findings come back in a deterministic order (time, rule id,
 * eventID) in the shape of ARCHITECTURE.md §6.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseDb, Row } from '../store/db.js';
import { fieldSql, resolveField } from './catalog.js';
import { PLACEHOLDER, placeholdersOf, type LoadedCorrelation, type LoadedRule } from './loader.js';
import { LEVELS, type Level, type SigmaCorrelation, type SigmaRule } from './schema.js';

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

/** Rules per scan: one CASE each; beyond a few hundred the expression gets unwieldy for the planner. */
const RULES_PER_SCAN = 200;

const EVENT_FIELDS = `eventID, eventTime, eventName, eventSource, awsRegion,
  coalesce(userIdentity.arn, userIdentity.userName, userIdentity.type) AS principal,
  userIdentity.accessKeyId AS accessKeyId, sourceIPAddress`;

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

export async function runRules(db: CaseDb, rules: LoadedRule[], opts: RunOptions = {}): Promise<Finding[]> {
  const min = levelRank(opts.minLevel ?? 'informational');
  const atLevel = (level: Level | undefined) => levelRank(level ?? 'medium') >= min;
  const correlations = (opts.correlations ?? []).filter((c) => atLevel(c.rule.level));
  const silent = silentRules(opts.correlations ?? []);
  const output = rules.filter((r) => !silent.has(r) && atLevel(r.rule.level));
  const scanned = [...new Set([...output, ...correlations.flatMap((c) => c.bases)])];
  const index = new Map(scanned.map((r, k) => [r, k]));
  await scanHits(db, scanned);
  try {
    const findings = [...(await eventFindings(db, output.map((r) => index.get(r)!), scanned))];
    for (const c of correlations) findings.push(...(await correlationFindings(db, c, c.bases.map((b) => index.get(b)!))));
    return findings.sort(
      (a, b) => a.eventTime.localeCompare(b.eventTime) || a.rule.id.localeCompare(b.rule.id) || a.eventIDs[0]!.localeCompare(b.eventIDs[0]!),
    );
  } finally {
    await db.exec('DROP TABLE IF EXISTS rule_hits');
    await db.exec('DROP TABLE IF EXISTS corr_input');
  }
}

/**
 * Fill the temporary table rule_hits(rid, k): event rowid and index of each rule it matches. One
 * scan per group of rules: the OR of the group's rules filters (short-circuiting per row), then
 * only the events that match something are told which rules they match.
 */
export async function scanHits(db: CaseDb, rules: readonly LoadedRule[]): Promise<void> {
  await db.exec('CREATE OR REPLACE TEMP TABLE rule_hits (rid BIGINT, k INTEGER)');
  for (let i = 0; i < rules.length; i += RULES_PER_SCAN) {
    const group = rules.slice(i, i + RULES_PER_SCAN);
    const params: unknown[] = [];
    const exprs = group.map((r) => {
      const offset = params.length;
      params.push(...r.compiled.params);
      return r.compiled.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    });
    const cases = exprs.map((sql, k) => `CASE WHEN ${sql} THEN ${k + i} END`);
    // Most rules name the eventNames they can match: one IN test per event stands for all of them,
    // and only the events that pass it meet those rules' own expressions.
    const names = [...new Set(group.flatMap((r) => r.compiled.eventNames ?? []))];
    const named = exprs.filter((_, k) => group[k]!.compiled.eventNames !== null);
    const anyName = exprs.filter((_, k) => group[k]!.compiled.eventNames === null);
    const or = (list: string[]) => list.map((e) => `(${e})`).join(' OR ');
    const filters = [
      ...(named.length ? [`(lower("eventName") IN (${names.map((n) => `$${params.push(n)}`).join(', ')}) AND (${or(named)}))`] : []),
      ...(anyName.length ? [`(${or(anyName)})`] : []),
    ];
    await db.exec(
      `INSERT INTO rule_hits SELECT rid, unnest(ks) FROM (
         SELECT rowid AS rid, list_filter([${cases.join(', ')}], x -> x IS NOT NULL) AS ks FROM events
         WHERE ${filters.join(' OR ')})`,
      params,
    );
  }
}

/** Findings of single-event rules (indices into the scanned list) from rule_hits. */
async function eventFindings(db: CaseDb, ks: number[], scanned: readonly LoadedRule[]): Promise<Finding[]> {
  if (ks.length === 0) return [];
  const params: unknown[] = [];
  const bind = (v: unknown) => `$${params.push(v)}`;
  // Only the fields the summaries name are read for the hits, through the same catalog as rules.
  const paths = [...new Set(ks.flatMap((k) => placeholdersOf(scanned[k]!.rule.output?.summary ?? '')))];
  const fields = paths.map((p, n) => `, ${fieldSql(resolveField(p), bind)} AS p${n}`).join('');
  const rows = await db.all(
    `SELECT k, ${EVENT_FIELDS}${fields}
     FROM rule_hits JOIN events ON events.rowid = rule_hits.rid
     WHERE k IN (SELECT unnest(${bind(ks)}::INTEGER[]))
     ORDER BY eventTime, eventID, k`,
    params,
  );
  return rows.map((row) => {
    const r = scanned[Number(row.k)]!;
    const values = new Map(paths.map((p, n) => [p, row[`p${n}`]]));
    return toFinding(r.rule, [String(row.eventID)], row, fillSummary(r.rule.output?.summary ?? r.rule.title, values));
  });
}

/** Findings of one correlation, from the rule_hits of its base rules (indices `ks`, in its order). */
export async function correlationFindings(db: CaseDb, c: LoadedCorrelation, ks: number[], only?: string[]): Promise<Finding[]> {
  const arms = ks.map((k, r) => `WHEN ${k} THEN ${r}`).join(' ');
  await db.exec(
    `CREATE OR REPLACE TEMP TABLE corr_input AS
     SELECT rid, CASE k ${arms} END AS r FROM rule_hits
     WHERE k IN (SELECT unnest($1::INTEGER[]))${only ? ' AND rid IN (SELECT rowid FROM events WHERE eventID IN (SELECT unnest($2::VARCHAR[])))' : ''}`,
    only ? [ks, only] : [ks],
  );
  const rows = await db.all(
    `SELECT x.*, ${EVENT_FIELDS} FROM (${c.compiled.sql}) x JOIN events ON events.rowid = x.last_rid`,
    c.compiled.params,
  );
  return rows.map((row) => {
    const values = new Map<string, unknown>([
      ['count', row.n],
      ['values', listText(row.vals as unknown[] | null)],
      ['first', recordTime(row.first_t)],
      ['last', recordTime(row.last_t)],
      ...c.compiled.groupBy.map((g, n): [string, unknown] => [g, row[`g_${n}`]]),
    ]);
    const ids = [...new Set((row.event_ids as unknown[]).map(String))];
    return toFinding(c.rule, ids, row, fillSummary(c.rule.output?.summary ?? c.rule.title, values));
  });
}

/** A time as CloudTrail writes it (2026-10-14T03:11:42Z): whole seconds lose the .000 of toISOString. */
const recordTime = (v: unknown) => String(v).replace(/\.000Z$/, 'Z');

const listText = (vals: unknown[] | null) =>
  vals === null ? null : vals.length > 20 ? `${vals.slice(0, 20).join(', ')}, ... (${vals.length} in all)` : vals.join(', ');

/** A finding in the shape of ARCHITECTURE.md §6; `row` is the (last) event's fields. */
function toFinding(rule: SigmaRule | SigmaCorrelation, eventIDs: string[], row: Row, summary: string): Finding {
  return {
    rule: { id: rule.id ?? rule.name ?? rule.title, title: rule.title, level: rule.level ?? 'medium', tags: rule.tags ?? [] },
    eventIDs,
    eventTime: recordTime(row.eventTime),
    eventName: (row.eventName as string) ?? null,
    eventSource: (row.eventSource as string) ?? null,
    awsRegion: (row.awsRegion as string) ?? null,
    principal: (row.principal as string) ?? null,
    accessKeyId: (row.accessKeyId as string) ?? null,
    sourceIPAddress: (row.sourceIPAddress as string) ?? null,
    summary,
  };
}


/** `{userIdentity.userName} created {requestParameters.userName}` filled from the event's fields (see PLACEHOLDER). */
export function fillSummary(template: string, values: Map<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_, p: string) => {
    const paths = p.split('|');
    const v = paths.map((x) => values.get(x)).find((x) => x !== undefined && x !== null);
    if (v === undefined) return paths.at(-1) === '' ? '' : '?';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** Keep the findings of the latest run in the case, for reports and later queries. */
export async function storeFindings(db: CaseDb, findings: Finding[]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keytrail-findings-'));
  const file = path.join(dir, 'findings.jsonl');
  try {
    // One bulk read of a JSON Lines file: row-by-row INSERTs cost ~0.3 ms a finding.
    fs.writeFileSync(file, findings.map((f) => JSON.stringify(f)).join('\n') + '\n');
    await db.transaction(async () => {
      await db.exec(`CREATE TABLE IF NOT EXISTS findings (
        rule_id VARCHAR, rule_title VARCHAR, level VARCHAR, tags VARCHAR[], event_ids VARCHAR[], eventTime TIMESTAMP,
        eventName VARCHAR, eventSource VARCHAR, awsRegion VARCHAR, principal VARCHAR, accessKeyId VARCHAR, sourceIPAddress VARCHAR, summary VARCHAR)`);
      await db.exec(`DELETE FROM findings`);
      if (findings.length === 0) return;
      await db.exec(
        `INSERT INTO findings
         SELECT rule.id, rule.title, rule.level, rule.tags, eventIDs, eventTime::TIMESTAMPTZ::TIMESTAMP, eventName, eventSource, awsRegion,
                principal, accessKeyId, sourceIPAddress, summary
         FROM read_json(?, format = 'newline_delimited', columns = {
           rule: 'STRUCT(id VARCHAR, title VARCHAR, level VARCHAR, tags VARCHAR[])', eventIDs: 'VARCHAR[]', eventTime: 'VARCHAR',
           eventName: 'VARCHAR', eventSource: 'VARCHAR', awsRegion: 'VARCHAR', principal: 'VARCHAR', accessKeyId: 'VARCHAR',
           sourceIPAddress: 'VARCHAR', summary: 'VARCHAR'})`,
        [file],
      );
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
