/** Every column of `events` as CSV (structs and JSON as JSON text), in time order. */
import { sql } from '../store/sql.js';
import { writeRowsToFile } from './rows.js';
import type { CaseDb } from '../store/db.js';
import type { ExportResult } from './index.js';
import { isoTime } from '../store/vocabulary.js';

export async function exportCsv(db: CaseDb, out: string): Promise<ExportResult> {
  const { columns, rows } = await db.query(
    sql`SELECT * EXCLUDE (eventTime), ${isoTime('eventTime')} AS eventTime FROM events ORDER BY events.eventTime, eventID`,
  );
  const events = await writeRowsToFile(rows, columns, out);
  return { events, path: out };
}
