/**
 * A run's findings, as a handle: detect leaves them in a temporary table of its own and hands back
 * this instead of the table's name, so a caller counts, reads, streams or keeps them without
 * knowing where they are. Findings read in a deterministic order (time, rule id, first eventID) in
 * the shape of ARCHITECTURE.md §6.
 */
import { z } from 'zod';
import type { CaseDb } from '../store/db.js';
import { sql, type Sql } from '../store/sql.js';
import { isoTime } from '../store/vocabulary.js';
import { LEVELS } from './schema.js';

const FindingRow = z.object({
  /** `author`: the rule's own author field (the Detection Rule License asks that messages based on a rule's matches keep it). */
  rule: z.object({ id: z.string(), title: z.string(), level: z.enum(LEVELS), tags: z.array(z.string()), author: z.string().nullable() }),
  eventIDs: z.array(z.string()),
  eventTime: z.string(),
  eventName: z.string().nullable(),
  eventSource: z.string().nullable(),
  awsRegion: z.string().nullable(),
  principal: z.string().nullable(),
  accessKeyId: z.string().nullable(),
  sourceIPAddress: z.string().nullable(),
  summary: z.string(),
});

export type Finding = z.infer<typeof FindingRow>;

/** The findings of one detect run. */
export interface Findings {
  /** How many there are. */
  readonly count: number;
  /** Every one, in order: for tests and callers that want them in memory. */
  all(): Promise<Finding[]>;
  /** The ones any of whose events is among `eventIds` (a statement selecting one column of eventIDs), in order. */
  touching(eventIds: Sql): Promise<Finding[]>;
  /** A statement selecting them as Finding rows, in order: to stream with db.query, or to select from. */
  query(): Sql;
  /** Keep them in the case's `findings` table, replacing the previous run's. */
  store(): Promise<void>;
  /** Let go of them (their temporary table); the handle is not to be used after. */
  drop(): Promise<void>;
}

/** The columns of a findings table (the case's `findings`, or a run's temporary one). */
export const FINDINGS_COLUMNS =
  sql.raw(`rule_id VARCHAR, rule_title VARCHAR, level VARCHAR, tags VARCHAR[], rule_author VARCHAR, event_ids VARCHAR[], eventTime TIMESTAMP,
  eventName VARCHAR, eventSource VARCHAR, awsRegion VARCHAR, principal VARCHAR, accessKeyId VARCHAR, sourceIPAddress VARCHAR, summary VARCHAR`);

let tables = 0;

/** A name for a run's findings table, unique on this process's connections: two runs' handles never share one. */
export const runTable = () => `run_findings_${++tables}`;

/** A handle with no findings (for a run stopped before it found any). */
export async function emptyFindings(db: CaseDb): Promise<Findings> {
  const table = runTable();
  await db.exec(sql`CREATE TEMP TABLE ${sql.id(table)} (${FINDINGS_COLUMNS})`);
  return new TableFindings(db, table, 0);
}

/** Findings of a findings table as Finding rows, in their deterministic order; `where` over the table's columns. */
export function selectFindings(table: string, where?: Sql): Sql {
  const t = sql.id(table);
  return sql`SELECT {'id': rule_id, 'title': rule_title, 'level': level, 'tags': tags, 'author': rule_author} AS rule, event_ids AS eventIDs,
          ${isoTime('eventTime')} AS eventTime, eventName, eventSource, awsRegion, principal, accessKeyId, sourceIPAddress, summary
   FROM ${t} ${where ? sql`WHERE ${where} ` : sql.empty}ORDER BY ${t}.eventTime, rule_id, event_ids[1]`;
}

/** The findings in a temporary table of a run (written by detect, in FINDINGS_COLUMNS). */
export class TableFindings implements Findings {
  constructor(
    private readonly db: CaseDb,
    private readonly table: string,
    readonly count: number,
  ) {}

  all(): Promise<Finding[]> {
    return this.db.rows(this.query(), FindingRow);
  }

  touching(eventIds: Sql): Promise<Finding[]> {
    const t = sql.id(this.table);
    const mine = sql`rowid IN (SELECT f.rowid FROM ${t} f, unnest(f.event_ids) AS u(id) WHERE u.id IN (${eventIds}))`;
    return this.db.rows(selectFindings(this.table, mine), FindingRow);
  }

  query(): Sql {
    return selectFindings(this.table);
  }

  async store(): Promise<void> {
    const t = sql.id(this.table);
    await this.db.transaction(async () => {
      // Replaced whole: a case kept by an earlier keytrail may have fewer columns.
      await this.db.exec(sql`CREATE OR REPLACE TABLE findings (${FINDINGS_COLUMNS})`);
      await this.db.exec(sql`INSERT INTO findings SELECT * FROM ${t} ORDER BY eventTime, rule_id, event_ids[1]`);
    });
  }

  async drop(): Promise<void> {
    await this.db.exec(sql`DROP TABLE IF EXISTS ${sql.id(this.table)}`);
  }
}
