/**
 * The filters an investigator starts from, as one parameterised WHERE clause over `events`.
 * Values are always bound; only the fixed field expressions below appear in the SQL text.
 */
import { usageError } from '../errors.js';

export interface EventFilter {
  keys?: string[];
  users?: string[];
  arns?: string[];
  since?: string;
  until?: string;
  regions?: string[];
  events?: string[];
  sources?: string[];
  ips?: string[];
  errors?: boolean;
  write?: boolean;
}

/** Verbs whose calls read and change nothing, for events that lack readOnly (partial CSV rows). */
const READ_VERBS = '^(Get|List|Describe|Head|Lookup|Search|Check|Validate|Test|Preview|Scan|Query|BatchGet|Select)';

export function filterSql(f: EventFilter): { where: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const anyOf = (expr: string, values: string[] | undefined) => {
    if (!values?.length) return;
    parts.push(`${expr} IN (SELECT unnest(?::VARCHAR[]))`);
    params.push(values);
  };
  anyOf('userIdentity.accessKeyId', f.keys);
  if (f.users?.length) {
    parts.push(
      `(userIdentity.userName IN (SELECT unnest(?::VARCHAR[])) OR userIdentity.sessionContext.sessionIssuer.userName IN (SELECT unnest(?::VARCHAR[])))`,
    );
    params.push(f.users, f.users);
  }
  if (f.arns?.length) {
    parts.push(`(userIdentity.arn IN (SELECT unnest(?::VARCHAR[])) OR userIdentity.sessionContext.sessionIssuer.arn IN (SELECT unnest(?::VARCHAR[])))`);
    params.push(f.arns, f.arns);
  }
  if (f.since) {
    parts.push(`eventTime >= ?::TIMESTAMP`);
    params.push(parseTime(f.since, '--since'));
  }
  if (f.until) {
    parts.push(`eventTime < ?::TIMESTAMP`);
    params.push(parseTime(f.until, '--until'));
  }
  anyOf('awsRegion', f.regions);
  anyOf('eventName', f.events);
  anyOf(
    'eventSource',
    f.sources?.map((s) => (s.includes('.') ? s : `${s}.amazonaws.com`)),
  );
  anyOf('sourceIPAddress', f.ips);
  if (f.errors) parts.push(`errorCode IS NOT NULL`);
  if (f.write) parts.push(`NOT coalesce(readOnly, regexp_matches(eventName, '${READ_VERBS}'))`);
  return { where: parts.length ? parts.join(' AND ') : 'true', params };
}

/** ISO-8601 (date or date-time, UTC unless an offset is given) → 'YYYY-MM-DD HH:MM:SS.sss' UTC. */
export function parseTime(s: string, option: string): string {
  const t = /^\d{4}-\d\d-\d\d$/.test(s) ? Date.parse(`${s}T00:00:00Z`) : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
  if (!/^\d{4}-\d\d-\d\d/.test(s) || Number.isNaN(t)) {
    throw usageError(`${option} ${JSON.stringify(s)} is not a time: use ISO-8601, e.g. 2026-10-14 or 2026-10-14T09:00:00Z`);
  }
  return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
}

/** Columns `events` shows in a table or CSV: the ones a responder scans first. */
export const EVENT_SUMMARY_SQL = `
  strftime(eventTime, '%Y-%m-%dT%H:%M:%SZ') AS eventTime, eventName, eventSource, awsRegion,
  coalesce(userIdentity.arn, userIdentity.userName, userIdentity.type) AS principal,
  userIdentity.accessKeyId AS accessKeyId, sourceIPAddress, errorCode, eventID`;
