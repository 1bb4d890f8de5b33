/**
 * Parquet partitioned as region=.../date=YYYY-MM-DD/, the layout Athena, Trino and Spark prune on.
 * Columns keep the record's names and nesting (userIdentity stays a struct).
 */
import fs from 'node:fs';
import path from 'node:path';
import { usageError } from '../errors.js';
import { makeOutputFolder } from '../output-path.js';
import type { CaseDb } from '../store/db.js';
import type { ExportResult } from './index.js';
import { sqlPath } from './sql-path.js';

/** The partition columns: the folders are named by these values, written and pre-made alike. */
const PARTITIONS = `coalesce(awsRegion, 'unknown') AS region, strftime(eventTime, '%Y-%m-%d') AS date`;

export async function exportParquet(db: CaseDb, out: string): Promise<ExportResult> {
  makeOutputFolder(out);
  if (fs.readdirSync(out).length > 0) throw usageError(`${out} exists and is not empty: parquet export writes a folder of partitions`);
  // DuckDB's threads create the partition folders as they write, and two threads can race on the
  // same one (duckdb#9360: "Could not create directory", now and then, more often on a loaded
  // machine). The folders are made here first; only names of a plain shape, since a region may
  // come from a crafted record and a folder name must never be a path.
  const parts = await db.all(`SELECT DISTINCT ${PARTITIONS} FROM events`);
  for (const p of parts) {
    const region = String(p.region);
    const date = String(p.date);
    if (/^[a-z0-9-]{1,64}$/.test(region) && /^\d{4}-\d{2}-\d{2}$/.test(date))
      fs.mkdirSync(path.join(out, `region=${region}`, `date=${date}`), { recursive: true });
  }
  await db.exec(`
    COPY (SELECT *, ${PARTITIONS}
          FROM events ORDER BY eventTime, eventID)
    TO ${sqlPath(path.resolve(out))} (FORMAT parquet, PARTITION_BY (region, date), OVERWRITE_OR_IGNORE true)`);
  const [n] = await db.all(`SELECT count(*) AS n FROM events`);
  return { events: Number(n?.n ?? 0), path: out };
}
