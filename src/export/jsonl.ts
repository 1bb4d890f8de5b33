/** JSON Lines of whole CloudTrail records (rebuilt from columns + extra_fields), in time order. */
import { once } from 'node:events';
import { writeOutputStream } from '../output-path.js';
import type { CaseDb } from '../store/db.js';
import type { ExportResult } from './index.js';

export async function exportJsonl(db: CaseDb, out: string): Promise<ExportResult> {
  const { rows } = await db.query(`SELECT record::VARCHAR AS record FROM records ORDER BY eventTime, eventID`);
  const events = await writeOutputStream(out, async (file) => {
    let n = 0;
    for await (const chunk of rows) {
      if (!file.write(`${chunk.map((r) => r.record).join('\n')}\n`)) await once(file, 'drain');
      n += chunk.length;
    }
    return n;
  });
  return { events, path: out };
}
