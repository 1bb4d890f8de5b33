/**
 * CloudTrail records into the Athena-shaped table of a Trino memory catalog, as Athena's JSON SerDe
 * reads them: columns matched by lower-cased name at every level, every leaf as text (booleans and
 * numbers too), the JSON columns as the JSON text of their value, absent fields as NULL.
 */
import { ATHENA_CLOUDTRAIL, type Column, trinoType } from '../../src/athena/table.js';
import { trinoString } from '../../src/athena/trino-sql.js';

const lower = (o: Record<string, unknown>) => new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));

const text = (v: unknown) => (v === null || v === undefined ? 'CAST(NULL AS VARCHAR)' : trinoString(typeof v === 'string' ? v : JSON.stringify(v)));

function value(c: Column, v: unknown): string {
  if (c === 'STRING') return text(v);
  if (c === 'JSON') return v === null || v === undefined ? 'CAST(NULL AS VARCHAR)' : trinoString(JSON.stringify(v));
  if (v === null || v === undefined || typeof v !== 'object') return `CAST(NULL AS ${trinoType(c)})`;
  if (c === 'MAP') {
    const e = Object.entries(v as Record<string, unknown>);
    return `MAP(ARRAY[${e.map(([k]) => trinoString(k)).join(', ')}], ARRAY[${e.map(([, x]) => text(x)).join(', ')}])`;
  }
  if (Array.isArray(c))
    return Array.isArray(v) ? `CAST(ARRAY[${v.map((x) => value(c[0], x)).join(', ')}] AS ${trinoType(c)})` : `CAST(NULL AS ${trinoType(c)})`;
  const m = lower(v as Record<string, unknown>);
  return `CAST(ROW(${Object.entries(c)
    .map(([k, t]) => value(t, m.get(k)))
    .join(', ')}) AS ${trinoType(c)})`;
}

/** One INSERT ... VALUES row for a record, with its partition value (`timestamp`: yyyy/MM/dd of its eventTime). */
export function athenaRow(record: Record<string, unknown>): string {
  const m = lower(record);
  const day = String(record.eventTime ?? '')
    .slice(0, 10)
    .replaceAll('-', '/');
  return `(${[...Object.entries(ATHENA_CLOUDTRAIL).map(([k, t]) => value(t, m.get(k))), trinoString(day)].join(', ')})`;
}
