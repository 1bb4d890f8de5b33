import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { buildLineage, taintedEvents, taintOf } from '../../lineage/lineage.js';
import { type Sql, sql } from '../../store/sql.js';
import { CaseDb } from '../../store/db.js';
import { RECORD_SQL } from '../../store/schema.js';
import { EVENT_SUMMARY_SQL, filterSql, type EventFilter } from '../../store/event-filter.js';
import { DEFAULT_DB, collect, oneOf, say } from '../common.js';
import { ROW_FORMATS, writeRows } from '../output.js';

interface Opts {
  db: string;
  key?: string[];
  user?: string[];
  arn?: string[];
  since?: string;
  until?: string;
  region?: string[];
  event?: string[];
  source?: string[];
  ip?: string[];
  errors?: boolean;
  write?: boolean;
  limit?: string;
  lineage?: boolean;
  format: string;
  output?: string;
}

export function register(program: Command): void {
  program
    .command('events')
    .description('list events in time order, filtered the way an investigation starts')
    .option('--db <file>', 'case database', DEFAULT_DB)
    .option('--key <id>', 'access key id (AKIA... or ASIA...); repeatable or comma-separated', collect)
    .option('--user <name>', 'IAM user name, or role name for its sessions; repeatable', collect)
    .option('--arn <arn>', 'principal ARN (user, assumed role, or the role issuing sessions); repeatable', collect)
    .option('--since <time>', 'from this time on (ISO-8601, UTC unless an offset is given)')
    .option('--until <time>', 'before this time')
    .option('--region <region>', 'AWS region; repeatable or comma-separated', collect)
    .option('--event <name>', 'event names, e.g. CreateUser,CreateAccessKey; repeatable', collect)
    .option('--source <service>', 'event source, e.g. iam or iam.amazonaws.com; repeatable', collect)
    .option('--ip <address>', 'source IP address; repeatable', collect)
    .option('--errors', 'only failed calls (errorCode set)')
    .option('--write', 'only calls that change something (readOnly false)')
    .option('--limit <n>', 'at most this many events')
    .option('--lineage', "with --key/--user/--arn as seeds: every event made by any credential or identity of the seeds' lineage (keytrail lineage)")
    .option('--format <format>', `table and csv show key columns; json and jsonl whole records (${ROW_FORMATS.join(', ')})`, 'table')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addHelpText(
      'after',
      `
Examples:
  keytrail events --key AKIAEXAMPLEKEY123456                  # everything the leaked key did
  keytrail events --key AKIAEXAMPLEKEY123456 --write --format json
  keytrail events --source iam --event CreateUser,CreateAccessKey,CreateLoginProfile
  keytrail events --since 2026-10-14 --until 2026-10-15T12:00:00Z --region eu-west-1 --errors
  keytrail events --lineage --key AKIAEXAMPLEKEY123456 --write  # what the whole chain changed`,
    )
    .action(async (opts: Opts) => {
      const format = oneOf(opts.format, ROW_FORMATS, '--format');
      const filter: EventFilter = {
        keys: opts.key,
        users: opts.user,
        arns: opts.arn,
        since: opts.since,
        until: opts.until,
        regions: opts.region,
        events: opts.event,
        sources: opts.source,
        ips: opts.ip,
        errors: opts.errors,
        write: opts.write,
      };
      if (opts.lineage && !opts.key?.length && !opts.user?.length && !opts.arn?.length)
        throw usageError('--lineage needs seeds: --key AKIA... (or --user, --arn)');
      const db = await CaseDb.open(opts.db, { readOnly: true, fileAccess: false });
      let where: Sql;
      try {
        // With --lineage the seeds widen to the chain; the other filters still narrow it.
        where = filterSql(opts.lineage ? { ...filter, keys: undefined, users: undefined, arns: undefined } : filter);
        if (opts.lineage) {
          const l = await buildLineage(db, { keys: opts.key ?? [], users: opts.user, arns: opts.arn, since: opts.since, until: opts.until });
          for (const w of l.warnings) say(`warning: ${w}`);
          where = sql`${where} AND ${taintedEvents(taintOf(l))}`;
        }
      } catch (err) {
        db.close();
        throw err;
      }
      const limit = opts.limit !== undefined ? sql` LIMIT ${positiveInt(opts.limit)}` : sql.empty;
      const full = format === 'json' || format === 'jsonl';
      const columns = full ? sql`${sql.raw(RECORD_SQL)} AS record` : EVENT_SUMMARY_SQL;
      try {
        const { columns: names, rows } = await db.query(sql`SELECT ${columns} FROM events WHERE ${where} ORDER BY events.eventTime, events.eventID${limit}`);
        await writeRows(full ? unwrap(rows) : rows, names, format, opts.output);
      } finally {
        db.close();
      }
    });
}

async function* unwrap(rows: AsyncIterable<Record<string, unknown>[]>) {
  for await (const chunk of rows) yield chunk.map((r) => r.record as Record<string, unknown>);
}

function positiveInt(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--limit must be a positive whole number (got ${JSON.stringify(s)})`);
  return n;
}
