/**
 * Parquet partitioned as region=.../date=YYYY-MM-DD/, the layout Athena, Trino and Spark prune on.
 * Columns keep the record's names and nesting (userIdentity stays a struct).
 */
import fs from 'node:fs';
import path from 'node:path';
import { usageError } from '../errors.js';
import type { CaseDb } from '../store/db.js';
import type { ExportResult } from './index.js';
import { sqlPath } from './sql-path.js';

export async function exportParquet(db: CaseDb, out: string): Promise<ExportResult> {
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw usageError(`${out} exists and is not empty: parquet export writes a folder of partitions`);
  fs.mkdirSync(out, { recursive: true });
  await db.exec(`
    COPY (SELECT *, coalesce(awsRegion, 'unknown') AS region, strftime(eventTime, '%Y-%m-%d') AS date
          FROM events ORDER BY eventTime, eventID)
    TO ${sqlPath(path.resolve(out))} (FORMAT parquet, PARTITION_BY (region, date), OVERWRITE_OR_IGNORE true)`);
  const [n] = await db.all(`SELECT count(*) AS n FROM events`);
  return { events: Number(n?.n ?? 0), path: out };
}
