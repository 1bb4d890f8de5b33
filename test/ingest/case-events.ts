/** What a test case database holds, read back for comparison. */
import path from 'node:path';
import { CaseDb } from '../../src/index.js';

/** Each file's eventIDs as the case holds them, in record order, by the file's base name. */
export async function eventIdsByFile(db: string): Promise<Map<string, string[]>> {
  const c = await CaseDb.open(db, { readOnly: true });
  try {
    const rows = await c.all(`SELECT f.path, list(e.eventID ORDER BY e.record_index) AS ids FROM events e JOIN files f ON f.id = e.file_id GROUP BY f.path`);
    return new Map(rows.map((r) => [path.basename(String(r.path)), (r.ids as unknown[]).map(String)]));
  } finally {
    c.close();
  }
}
