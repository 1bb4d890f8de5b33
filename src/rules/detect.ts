/**
 * Runs loaded single-event rules over the case as set-based SQL: every rule of a group becomes one
 * CASE in a single scan of `events`, so a pack costs a few table scans, not one per rule. Findings
 * come back in a deterministic order (time, rule id, eventID) in the shape of ARCHITECTURE.md §6.
 */
import { fileURLToPath } from 'node:url';
import type { CaseDb, Row } from '../store/db.js';
import { RECORD_SQL } from '../store/schema.js';
import type { LoadedRule } from './loader.js';
import { LEVELS, type Level } from './schema.js';

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
export const ruleId = (r: LoadedRule) => r.rule.id ?? r.rule.name ?? r.rule.title;

const levelRank = (l: Level) => LEVELS.indexOf(l);

/** Rules per scan: one CASE each; beyond a few hundred the expression gets unwieldy for the planner. */
const RULES_PER_SCAN = 200;

export async function runRules(db: CaseDb, rules: LoadedRule[], opts: { minLevel?: Level } = {}): Promise<Finding[]> {
  const min = levelRank(opts.minLevel ?? 'informational');
  const selected = rules.filter((r) => levelRank(r.rule.level ?? 'medium') >= min);
  const hits: { rule: LoadedRule; row: Row }[] = [];
  for (let i = 0; i < selected.length; i += RULES_PER_SCAN) {
    const group = selected.slice(i, i + RULES_PER_SCAN);
    const params: unknown[] = [];
    const cases = group.map((r, k) => {
      const offset = params.length;
      params.push(...r.compiled.params);
      const sql = r.compiled.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
      return `CASE WHEN ${sql} THEN ${k} END`;
    });
    // One scan decides which rules each event matches; only matched events are then read in full.
    const rows = await db.all(
      `WITH hits AS (
         SELECT rid, unnest(ks) AS k FROM (
           SELECT rowid AS rid, list_filter([${cases.join(', ')}], x -> x IS NOT NULL) AS ks FROM events)
         WHERE len(ks) > 0)
       SELECT k, eventID, eventTime, eventName, eventSource, awsRegion,
              coalesce(userIdentity.arn, userIdentity.userName, userIdentity.type) AS principal,
              userIdentity.accessKeyId AS accessKeyId, sourceIPAddress, ${RECORD_SQL} AS record
       FROM hits JOIN events ON events.rowid = hits.rid
       ORDER BY eventTime, eventID, k`,
      params,
    );
    for (const row of rows) hits.push({ rule: group[Number(row.k)]!, row });
  }
  const findings = hits.map(({ rule, row }) => toFinding(rule, row));
  return findings.sort((a, b) => a.eventTime.localeCompare(b.eventTime) || a.rule.id.localeCompare(b.rule.id) || a.eventIDs[0]!.localeCompare(b.eventIDs[0]!));
}

function toFinding(r: LoadedRule, row: Row): Finding {
  const record = (row.record ?? {}) as Record<string, unknown>;
  return {
    rule: { id: ruleId(r), title: r.rule.title, level: r.rule.level ?? 'medium', tags: r.rule.tags ?? [] },
    eventIDs: [String(row.eventID)],
    eventTime: String(row.eventTime),
    eventName: (row.eventName as string) ?? null,
    eventSource: (row.eventSource as string) ?? null,
    awsRegion: (row.awsRegion as string) ?? null,
    principal: (row.principal as string) ?? null,
    accessKeyId: (row.accessKeyId as string) ?? null,
    sourceIPAddress: (row.sourceIPAddress as string) ?? null,
    summary: fillSummary(r.rule.output?.summary ?? r.rule.title, record),
  };
}

/** `{userIdentity.userName} created {requestParameters.userName}` filled from the record. */
export function fillSummary(template: string, record: Record<string, unknown>): string {
  return template.replace(/\{([A-Za-z0-9_.@-]+)\}/g, (_, p: string) => {
    let v: unknown = record;
    for (const seg of p.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
    return v === undefined || v === null ? '?' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** Keep the findings of the latest run in the case, for reports and later queries. */
export async function storeFindings(db: CaseDb, findings: Finding[]): Promise<void> {
  await db.transaction(async () => {
    await db.exec(`CREATE TABLE IF NOT EXISTS findings (
      rule_id VARCHAR, rule_title VARCHAR, level VARCHAR, tags VARCHAR[], event_ids VARCHAR[], eventTime TIMESTAMP,
      eventName VARCHAR, eventSource VARCHAR, awsRegion VARCHAR, principal VARCHAR, accessKeyId VARCHAR, sourceIPAddress VARCHAR, summary VARCHAR)`);
    await db.exec(`DELETE FROM findings`);
    if (findings.length === 0) return;
    const cols = 13;
    const chunk = 500;
    for (let i = 0; i < findings.length; i += chunk) {
      const part = findings.slice(i, i + chunk);
      const params = part.flatMap((f) => [f.rule.id, f.rule.title, f.rule.level, f.rule.tags, f.eventIDs, f.eventTime, f.eventName, f.eventSource, f.awsRegion, f.principal, f.accessKeyId, f.sourceIPAddress, f.summary]);
      const tuple = `(${Array.from({ length: cols }, (_, k) => (k === 3 || k === 4 ? '?::VARCHAR[]' : k === 5 ? '?::TIMESTAMPTZ' : '?')).join(', ')})`;
      await db.exec(`INSERT INTO findings VALUES ${part.map(() => tuple).join(', ')}`, params);
    }
  });
}
