/** The case's findings table (kept by a run's Findings.store()) as `keytrail detect` lists it, and the count --fail-on looks at. */
import { z } from 'zod';
import type { CaseDb } from '../store/db.js';
import { type Sql, sql } from '../store/sql.js';
import { isoTime } from '../store/vocabulary.js';
import { LEVELS, type Level } from './schema.js';

/** The columns of a finding's line in a table or CSV. */
export const FINDING_LINE_COLUMNS = ['time', 'level', 'rule', 'title', 'summary', 'eventID', 'author'];

/** Every kept finding as a line (FINDING_LINE_COLUMNS, every contributing eventID in one cell), in the findings' order. */
export function findingLines(): Sql {
  return sql`SELECT ${isoTime('eventTime')} AS time, level, rule_id AS rule, rule_title AS title, summary, array_to_string(event_ids, ' ') AS eventID, rule_author AS author
             FROM findings ORDER BY findings.eventTime, rule_id, event_ids[1]`;
}

/** How many kept findings are at `level` or above. */
export async function findingsAtOrAbove(db: CaseDb, level: Level): Promise<number> {
  const levels = LEVELS.slice(LEVELS.indexOf(level));
  const { n } = await db.one(sql`SELECT count(*) AS n FROM findings WHERE level IN (SELECT unnest(${sql.list(levels)}))`, z.object({ n: z.number() }));
  return n;
}
