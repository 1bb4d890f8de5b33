/**
 * The filters an investigator starts from, as one WHERE condition over `events`, and the listing of
 * the events that meet it. Values are always bound; only the fixed field expressions below appear
 * in the SQL text.
 */
import { RECORD_SQL } from './schema.js';
import { type Sql, sql } from './sql.js';
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

/** `expr` is one of the values; nothing when no value is given. */
const anyOf = (exprs: string[], values: string[] | undefined): Sql[] =>
  values?.length ? [sql.or(exprs.map((e) => sql`${sql.raw(e)} IN (SELECT unnest(${sql.list(values)}))`))] : [];

const fullSource = (s: string) => (s.includes('.') ? s : `${s}.amazonaws.com`);

export function filterSql(f: EventFilter): Sql {
  return sql.and([
    ...anyOf(['userIdentity.accessKeyId'], f.keys),
    ...anyOf(['userIdentity.userName', 'userIdentity.sessionContext.sessionIssuer.userName'], f.users),
    ...anyOf(['userIdentity.arn', 'userIdentity.sessionContext.sessionIssuer.arn'], f.arns),
    ...(f.since || f.until ? [timeWindow(f)] : []),
    ...anyOf(['awsRegion'], f.regions),
    ...anyOf(['eventName'], f.events),
    ...anyOf(['eventSource'], f.sources?.map(fullSource)),
    ...anyOf(['sourceIPAddress'], f.ips),
    ...(f.errors ? [sql`errorCode IS NOT NULL`] : []),
    ...(f.write ? [isWrite()] : []),
  ]);
}

/** Columns `events` shows in a table or CSV: the ones a responder scans first. */
export const EVENT_SUMMARY_SQL = sql`
  ${isoTime('eventTime')} AS eventTime, eventName, eventSource, awsRegion,
  ${principal()} AS principal,
  userIdentity.accessKeyId AS accessKeyId, sourceIPAddress, errorCode, eventID`;

export interface EventListing {
  /** Whole records, each in one column `record` (JSON output), instead of the summary columns. */
  records: boolean;
  limit?: number;
}

/** The events that meet `where`, in time order (eventID breaks ties): the summary columns or whole records. */
export function listEvents(where: Sql, o: EventListing): Sql {
  const columns = o.records ? sql`${sql.raw(RECORD_SQL)} AS record` : EVENT_SUMMARY_SQL;
  const limit = o.limit === undefined ? sql.empty : sql` LIMIT ${o.limit}`;
  return sql`SELECT ${columns} FROM events WHERE ${where} ORDER BY events.eventTime, events.eventID${limit}`;
}
