/**
 * CloudTrail records into the Athena-shaped table of a Trino memory catalog, as Athena's JSON SerDe
 * reads them: columns matched by lower-cased name at every level, every leaf as text (booleans and
 * numbers too), the JSON columns as the JSON text of their value, absent fields as NULL.
 */
import { z } from 'zod';
import { ATHENA_CLOUDTRAIL, type Column, trinoMemoryDdl, trinoType } from '../../src/athena/table.js';
import { trinoString } from '../../src/athena/trino-sql.js';
import { ingest } from '../../src/ingest/ingest.js';
import { CaseDb } from '../../src/store/db.js';
import { sql } from '../../src/store/sql.js';
import { query } from './client.js';

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

/**
 * The evidence as a case (ingested into `caseFile`) and as Trino's Athena-shaped `table` (its records,
 * `twice(i)` of them a second time, as a trail delivered twice holds them). Returns the records.
 */
export async function loadEvidence(
  url: string,
  table: string,
  evidence: readonly string[],
  caseFile: string,
  twice: (i: number) => boolean = () => false,
): Promise<Record<string, unknown>[]> {
  await ingest([...evidence], { db: caseFile });
  const db = await CaseDb.open(caseFile);
  const records = (await db.rows(sql`SELECT record::VARCHAR AS r FROM records ORDER BY eventID`, z.object({ r: z.string() }))).map(
    (x) => JSON.parse(x.r) as Record<string, unknown>,
  );
  db.close();
  await query(url, `DROP TABLE IF EXISTS ${table}`);
  await query(url, trinoMemoryDdl(table, 'projection'));
  const rows = [...records, ...records.filter((_, i) => twice(i))];
  for (let i = 0; i < rows.length; i += 40)
    await query(
      url,
      `INSERT INTO ${table} VALUES ${rows
        .slice(i, i + 40)
        .map(athenaRow)
        .join(',\n')}`,
    );
  return records;
}
