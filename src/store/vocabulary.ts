/**
 * CloudTrail facts every part of keytrail asks about, each written once: which calls change
 * something, who made a call, how a time is written, which events fall in a window. The event
 * filter, lineage, suggest, detect, the report and the exports import them from here, so that two
 * views of the same evidence cannot disagree on what they mean (issue 12: `events --write` and the
 * report's Step 3 once did, each with its own list of read-only verbs).
 *
 * Each fact is a SQL expression over `events` columns (optionally qualified by a table alias) and,
 * where keytrail also decides it in TypeScript, the same rule as a function.
 */
import { usageError } from '../errors.js';

/**
 * Verbs of calls that read and change nothing. Only for records without `readOnly` (console CSV
 * downloads without that column, hand-made lines): CloudTrail's own flag always wins.
 */
export const READ_ONLY_VERBS = [
  'Get',
  'List',
  'Describe',
  'Head',
  'Lookup',
  'Search',
  'Check',
  'Validate',
  'Test',
  'Preview',
  'Estimate',
  'Simulate',
  'Scan',
  'Query',
  'BatchGet',
  'Select',
] as const;

const READ_ONLY_PATTERN = `^(${READ_ONLY_VERBS.join('|')})`;

/** `alias.column`, or the bare column without an alias. */
const col = (alias: string | undefined, name: string) => (alias ? `${alias}.${name}` : name);

/** SQL: the call changes something. The record's readOnly when it has one, else the verb of its eventName. */
export function isWrite(alias?: string): string {
  return `NOT coalesce(${col(alias, 'readOnly')}, regexp_matches(${col(alias, 'eventName')}, '${READ_ONLY_PATTERN}'))`;
}

/** The same rule in TypeScript. */
export function isWriteCall(eventName: string, readOnly: boolean | null | undefined): boolean {
  if (readOnly !== null && readOnly !== undefined) return !readOnly;
  return !new RegExp(READ_ONLY_PATTERN).test(eventName);
}

/** SQL: who made the call, as a responder names it: the ARN, else the user name, else the identity type. */
export function principal(alias?: string): string {
  const u = col(alias, 'userIdentity');
  return `coalesce(${u}.arn, ${u}.userName, ${u}.type)`;
}

/** SQL: a TIMESTAMP as CloudTrail writes times, `YYYY-MM-DDTHH:MM:SSZ` (UTC). */
export function isoTime(expr: string): string {
  return `strftime(${expr}, '%Y-%m-%dT%H:%M:%SZ')`;
}

/** ISO-8601 (date or date-time, UTC unless an offset is given) → 'YYYY-MM-DD HH:MM:SS.sss' UTC. */
export function parseTime(s: string, option: string): string {
  const t = /^\d{4}-\d\d-\d\d$/.test(s) ? Date.parse(`${s}T00:00:00Z`) : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
  if (!/^\d{4}-\d\d-\d\d/.test(s) || Number.isNaN(t)) {
    throw usageError(`${option} ${JSON.stringify(s)} is not a time: use ISO-8601, e.g. 2026-10-14 or 2026-10-14T09:00:00Z`);
  }
  return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * The `--since` / `--until` window as conditions with their bound values: from `since` on, before
 * `until`. No condition for a side that is not given.
 */
export function timeWindow(w: { since?: string; until?: string }, alias?: string): { parts: string[]; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  if (w.since) {
    parts.push(`${col(alias, 'eventTime')} >= ?::TIMESTAMP`);
    params.push(parseTime(w.since, '--since'));
  }
  if (w.until) {
    parts.push(`${col(alias, 'eventTime')} < ?::TIMESTAMP`);
    params.push(parseTime(w.until, '--until'));
  }
  return { parts, params };
}
