/** JSON Lines of whole CloudTrail records (rebuilt from columns + extra_fields), in time order. */
import fs from 'node:fs';
import { once } from 'node:events';
import type { CaseDb } from '../store/db.js';
import type { ExportResult } from './index.js';

export async function exportJsonl(db: CaseDb, out: string): Promise<ExportResult> {
  const file = fs.createWriteStream(out);
  let n = 0;
  const { rows } = await db.query(`SELECT record::VARCHAR AS record FROM records ORDER BY eventTime, eventID`);
  for await (const chunk of rows) {
    if (!file.write(`${chunk.map((r) => r.record).join('\n')}\n`)) await once(file, 'drain');
    n += chunk.length;
  }
  file.end();
  await once(file, 'finish');
  return { events: n, path: out };
}
