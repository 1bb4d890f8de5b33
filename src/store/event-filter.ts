/**
 * The filters an investigator starts from, as one parameterised WHERE clause over `events`.
 * Values are always bound; only the fixed field expressions below appear in the SQL text.
 */
import { isoTime, isWrite, principal, timeWindow } from './vocabulary.js';

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
  const window = timeWindow(f);
  parts.push(...window.parts);
  params.push(...window.params);
  anyOf('awsRegion', f.regions);
  anyOf('eventName', f.events);
  anyOf(
    'eventSource',
    f.sources?.map((s) => (s.includes('.') ? s : `${s}.amazonaws.com`)),
  );
  anyOf('sourceIPAddress', f.ips);
  if (f.errors) parts.push(`errorCode IS NOT NULL`);
  if (f.write) parts.push(isWrite());
  return { where: parts.length ? parts.join(' AND ') : 'true', params };
}

/** Columns `events` shows in a table or CSV: the ones a responder scans first. */
export const EVENT_SUMMARY_SQL = `
  ${isoTime('eventTime')} AS eventTime, eventName, eventSource, awsRegion,
  ${principal()} AS principal,
  userIdentity.accessKeyId AS accessKeyId, sourceIPAddress, errorCode, eventID`;
