import { type Command, Option } from 'commander';
import { usageError } from '../../errors.js';
import { checkOutputFile } from '../../output-path.js';
import { buildLineage, taintedEvents, taintOf } from '../../lineage/lineage.js';
import type { CaseDb } from '../../store/db.js';
import { type EventFilter, filterSql, listEvents } from '../../store/event-filter.js';
import { sql } from '../../store/sql.js';
import { READ, collect, say, withCase } from '../common.js';
import { type DbOptions, OPTIONS, type OutputOptions, type SeedOptions, type WindowOptions, withOptions } from '../options.js';
import { ROW_FORMATS, type RowFormat, writeRows } from '../output.js';

interface Opts extends DbOptions, SeedOptions, WindowOptions, OutputOptions {
  region?: string[];
  event?: string[];
  source?: string[];
  ip?: string[];
  errors?: boolean;
  write?: boolean;
  limit?: string;
  lineage?: boolean;
  format: RowFormat;
}

const EXAMPLES = `
Examples:
  keytrail events --key AKIAEXAMPLEKEY123456                  # everything the leaked key did
  keytrail events --key AKIAEXAMPLEKEY123456 --write --format json
  keytrail events --source iam --event CreateUser,CreateAccessKey,CreateLoginProfile
  keytrail events --since 2026-10-14 --until 2026-10-15T12:00:00Z --region eu-west-1 --errors
  keytrail events --lineage --key AKIAEXAMPLEKEY123456 --write  # what the whole chain changed`;

const list = (flags: string, description: string) => new Option(flags, description).argParser(collect);

export function register(program: Command): void {
  const cmd = program.command('events').description('list events in time order, filtered the way an investigation starts');
  withOptions(
    cmd,
    OPTIONS.db(),
    OPTIONS.key('access key id (AKIA... or ASIA...); repeatable or comma-separated'),
    OPTIONS.user('IAM user name, or role name for its sessions; repeatable'),
    OPTIONS.arn('principal ARN (user, assumed role, or the role issuing sessions); repeatable'),
    OPTIONS.since(),
    OPTIONS.until(),
    list('--region <region>', 'AWS region; repeatable or comma-separated'),
    list('--event <name>', 'event names, e.g. CreateUser,CreateAccessKey; repeatable'),
    list('--source <service>', 'event source, e.g. iam or iam.amazonaws.com; repeatable'),
    list('--ip <address>', 'source IP address; repeatable'),
    new Option('--errors', 'only failed calls (errorCode set)'),
    new Option('--write', 'only calls that change something (readOnly false)'),
    new Option('--limit <n>', 'at most this many events'),
    new Option('--lineage', "with --key/--user/--arn as seeds: every event made by any credential or identity of the seeds' lineage (keytrail lineage)"),
    OPTIONS.format(ROW_FORMATS, 'table and csv show key columns; json and jsonl whole records', 'table'),
    OPTIONS.output(),
  )
    .addHelpText('after', EXAMPLES)
    .action(events);
}

async function events(opts: Opts): Promise<void> {
  const hasSeeds = Boolean(opts.key?.length || opts.user?.length || opts.arn?.length);
  if (opts.lineage && !hasSeeds) throw usageError('--lineage needs seeds: --key AKIA... (or --user, --arn)');
  checkOutputFile(opts.output, '-o');
  const filter: EventFilter = {
    ...(opts.lineage ? {} : { keys: opts.key, users: opts.user, arns: opts.arn }),
    since: opts.since,
    until: opts.until,
    regions: opts.region,
    events: opts.event,
    sources: opts.source,
    ips: opts.ip,
    errors: opts.errors,
    write: opts.write,
  };
  await withCase(opts.db, READ, async (db) => {
    // With --lineage the seeds widen to the chain; the other filters still narrow it.
    const where = sql.and([filterSql(filter), ...(opts.lineage ? [await chainOf(db, opts)] : [])]);
    const limit = opts.limit !== undefined ? positiveInt(opts.limit) : undefined;
    const records = opts.format === 'json' || opts.format === 'jsonl';
    const { columns, rows } = await db.query(listEvents(where, { records, limit }));
    await writeRows(records ? unwrap(rows) : rows, columns, opts.format, opts.output);
  });
}

/** The events of the seeds' lineage: made by any credential or identity it taints. */
async function chainOf(db: CaseDb, opts: Opts) {
  const l = await buildLineage(db, { keys: opts.key ?? [], users: opts.user, arns: opts.arn, since: opts.since, until: opts.until });
  for (const w of l.warnings) say(`warning: ${w}`);
  return taintedEvents(taintOf(l));
}

async function* unwrap(rows: AsyncIterable<Record<string, unknown>[]>) {
  for await (const chunk of rows) yield chunk.map((r) => r.record as Record<string, unknown>);
}

function positiveInt(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--limit must be a positive whole number (got ${JSON.stringify(s)})`);
  return n;
}
