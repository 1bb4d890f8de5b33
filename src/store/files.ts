/** The case's `files` table as it is listed: one row per input file, what it was and what became of it. */
import type { CaseDb, Row } from './db.js';
import type { FileStatus } from './schema.js';
import { sql } from './sql.js';

/** The columns a listing shows, in this order. */
export const FILE_COLUMNS = [
  'id',
  'path',
  'format',
  'status',
  'reason',
  'records',
  'events',
  'duplicates',
  'rejected_records',
  'bytes',
  'sha256',
  'parent_id',
  'ingested_at',
] as const;

/** Every file of the case in id order, or only those with one of `statuses`. */
export function listFiles(db: CaseDb, statuses: readonly FileStatus[] = []): Promise<Row[]> {
  const where = statuses.length ? sql`WHERE status IN (SELECT unnest(${sql.list(statuses)}))` : sql.empty;
  return db.all(sql`SELECT ${sql.join(FILE_COLUMNS.map((c) => sql.id(c)))} FROM files ${where} ORDER BY id`);
}
