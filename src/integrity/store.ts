/**
 * Verification results in the case (issue 17): table `integrity` (file, check, status, problem,
 * detail), each row joined to its `files` row by path where the file was ingested (file_id), and the
 * summary under meta key `integrity`, which the report's Coverage section states.
 */
import { z } from 'zod';
import type { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';
import { type IntegrityResult, type IntegrityRow, type IntegritySummary, STATUS } from './verify.js';

const ROW_SHAPE = JSON.stringify([{ file: 'VARCHAR', check: 'VARCHAR', status: 'VARCHAR', problem: 'BOOLEAN', detail: 'VARCHAR' }]);

/** Replaces the case's integrity results with these. */
export async function storeIntegrity(db: CaseDb, r: IntegrityResult): Promise<void> {
  const rows = r.rows.map((x) => ({ ...x, problem: STATUS[x.status].problem }));
  await db.transaction(async () => {
    await db.exec(
      'CREATE OR REPLACE TABLE integrity (file VARCHAR NOT NULL, file_id INTEGER, "check" VARCHAR NOT NULL, status VARCHAR NOT NULL, problem BOOLEAN NOT NULL, detail VARCHAR)',
    );
    await db.exec(
      sql`INSERT INTO integrity SELECT i.file, f.id, i."check", i.status, i.problem, i.detail
          FROM (SELECT unnest(from_json(CAST(${JSON.stringify(rows)} AS JSON), ${ROW_SHAPE}), recursive := true)) i
          LEFT JOIN (SELECT path, min(id) AS id FROM files GROUP BY path) f ON f.path = i.file`,
    );
    await db.exec(sql`INSERT OR REPLACE INTO meta VALUES ('integrity', ${JSON.stringify(r.summary)})`);
  });
}

/** The case's integrity results, or null when it was never verified (no digests in its evidence). */
export async function readIntegrity(db: CaseDb): Promise<{ summary: IntegritySummary; problems: IntegrityRow[] } | null> {
  const meta = await db.rows(sql`SELECT value FROM meta WHERE key = 'integrity'`, z.object({ value: z.string() }));
  if (!meta[0]) return null;
  const problems = await db.rows(
    sql`SELECT file, "check", status, detail FROM integrity WHERE problem ORDER BY file, "check"`,
    z.object({ file: z.string(), check: z.string(), status: z.string(), detail: z.string().nullable() }),
  );
  return {
    summary: JSON.parse(meta[0].value) as IntegritySummary,
    problems: problems.map((p) => ({ ...p, detail: p.detail ?? '' }) as IntegrityRow),
  };
}
