/**
 * Runs loaded single-event rules over the case as set-based SQL: every rule of a group becomes one
 * CASE in a single scan of `events`, so a pack costs a few table scans, not one per rule. Findings
 * come back in a deterministic order (time, rule id, eventID) in the shape of ARCHITECTURE.md §6.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseDb, Row } from '../store/db.js';
import { fieldSql, resolveField } from './catalog.js';
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
  const hits: { rule: LoadedRule; row: Row; values: Map<string, unknown> }[] = [];
  for (let i = 0; i < selected.length; i += RULES_PER_SCAN) {
    const group = selected.slice(i, i + RULES_PER_SCAN);
    const params: unknown[] = [];
    const bind = (v: unknown) => `$${params.push(v)}`;
    const exprs = group.map((r) => {
      const offset = params.length;
      params.push(...r.compiled.params);
      return r.compiled.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    });
    const cases = exprs.map((sql, k) => `CASE WHEN ${sql} THEN ${k} END`);
    // Only the fields the summaries name are read for the hits, through the same catalog as rules.
    const paths = [...new Set(group.flatMap((r) => placeholders(r.rule.output?.summary ?? '')))];
    const fields = paths.map((p, n) => `${fieldSql(resolveField(p), bind)} AS p${n}`);
    // One scan: the OR of all rules filters (short-circuiting per row), then only the events that
    // match something are told which rules they match, and only those are read.
    const rows = await db.all(
      `WITH hits AS (
         SELECT rid, unnest(ks) AS k FROM (
           SELECT rowid AS rid, list_filter([${cases.join(', ')}], x -> x IS NOT NULL) AS ks FROM events
           WHERE ${exprs.map((e) => `(${e})`).join(' OR ')}))
       SELECT k, eventID, eventTime, eventName, eventSource, awsRegion,
              coalesce(userIdentity.arn, userIdentity.userName, userIdentity.type) AS principal,
              userIdentity.accessKeyId AS accessKeyId, sourceIPAddress${fields.map((f) => `, ${f}`).join('')}
       FROM hits JOIN events ON events.rowid = hits.rid
       ORDER BY eventTime, eventID, k`,
      params,
    );
    for (const row of rows) {
      const values = new Map(paths.map((p, n) => [p, row[`p${n}`]]));
      hits.push({ rule: group[Number(row.k)]!, row, values });
    }
  }
  const findings = hits.map(({ rule, row, values }) => toFinding(rule, row, values));
  return findings.sort((a, b) => a.eventTime.localeCompare(b.eventTime) || a.rule.id.localeCompare(b.rule.id) || a.eventIDs[0]!.localeCompare(b.eventIDs[0]!));
}

function toFinding(r: LoadedRule, row: Row, values: Map<string, unknown>): Finding {
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
    summary: fillSummary(r.rule.output?.summary ?? r.rule.title, values),
  };
}

const PLACEHOLDER = /\{([A-Za-z0-9_.@-]+)\}/g;
const placeholders = (template: string) => [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);

/** `{userIdentity.userName} created {requestParameters.userName}` filled from the event's fields. */
export function fillSummary(template: string, values: Map<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_, p: string) => {
    const v = values.get(p);
    return v === undefined || v === null ? '?' : typeof v === 'object' ? JSON.stringify(v) : String(v);
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
