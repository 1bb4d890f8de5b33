/**
 * A throwaway case for the harness: evidence ingested through the real ingest path into a case in
 * a temporary folder, opened read-only for `use`, and removed afterwards whatever happens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingest } from '../ingest/ingest.js';
import { CaseDb } from '../store/db.js';

/** `evidence` is given the temporary folder (to write test records into) and returns what to ingest. */
export async function withScratchCase<T>(prefix: string, evidence: (dir: string) => string[], use: (db: CaseDb) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    const dbPath = path.join(dir, 'case.duckdb');
    await ingest(evidence(dir), { db: dbPath });
    const db = await CaseDb.open(dbPath, { readOnly: true });
    try {
      return await use(db);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
