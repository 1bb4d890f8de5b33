/**
 * A time window (`--since`/`--until`) as Trino predicates over Athena's CloudTrail table: one on the
 * partition columns, which Athena prunes on (the S3 prefixes outside the window are never read), and
 * the exact one on `eventtime` (ISO 8601 text in UTC, which orders as time does). The partition test
 * is by day and so always wider than the exact one: it never drops an event the window holds.
 */
import { KeytrailError } from '../errors.js';
import { parseTime } from '../store/vocabulary.js';
import type { Layout } from './table.js';
import { trinoString } from './trino-sql.js';

export interface AthenaWindow {
  /** ISO 8601 (UTC unless an offset is given): from `since` on, before `until`, as the DuckDB commands read them. */
  since?: string;
  until?: string;
}

/** An instant as CloudTrail writes eventTime (`2024-05-01T10:00:00Z`), read as every other command reads --since/--until. */
const utc = (text: string, option: string): string => `${parseTime(text, option).replace(' ', 'T').slice(0, 19)}Z`;

const day = (iso: string) => iso.slice(0, 10).replaceAll('-', '/');

/**
 * An event's time from its eventtime text: ISO 8601 as CloudTrail writes it, or `2021-10-14 21:25:20`
 * (UTC) as some exports write it; keytrail reads both. NULL when it is neither.
 */
export const eventTimeSql = (column = '"eventtime"') =>
  `coalesce(TRY(from_iso8601_timestamp(${column})), TRY(with_timezone(CAST(${column} AS TIMESTAMP), 'UTC')))`;

/** The partition columns' day as yyyy/MM/dd, per layout. */
const PARTITION_DAY: Record<Layout, string> = {
  projection: '"timestamp"',
  'region-date': `concat("year", '/', "month", '/', "day")`,
};

/** The window's predicates (joined by AND; empty when the window is open), partition first. */
export function windowPredicates(w: AthenaWindow, layout: Layout): string[] {
  const since = w.since === undefined ? undefined : utc(w.since, '--since');
  const until = w.until === undefined ? undefined : utc(w.until, '--until');
  if (since && until && since > until) throw new KeytrailError('USAGE', `--since ${since} is after --until ${until}`);
  const out: string[] = [];
  const p = PARTITION_DAY[layout];
  if (since) out.push(`${p} >= ${trinoString(day(since))}`);
  if (until) out.push(`${p} <= ${trinoString(day(until))}`);
  // The exact test on the time itself: some exports write eventTime without the T and Z, which text would misorder.
  if (since) out.push(`${eventTimeSql()} >= from_iso8601_timestamp(${trinoString(since)})`);
  if (until) out.push(`${eventTimeSql()} < from_iso8601_timestamp(${trinoString(until)})`);
  return out;
}
