import path from 'node:path';
import { type Command, Option } from 'commander';
import { usageError } from '../../errors.js';
import { firstPhase, nextPhase, type PhaseResult, readPlan } from '../../athena/plan.js';
import { LAYOUTS, type Layout, athenaDdl } from '../../athena/table.js';
import { tableSql } from '../../athena/compile-rules.js';
import { windowPredicates } from '../../athena/window.js';
import { printable } from '../../escape.js';
import { READ, collect, say, withCase } from '../common.js';
import { OPTIONS } from '../options.js';
import { writeText } from '../output.js';

const PLAN_ABOUT = `
keytrail writes the queries; you run them where the trail is (run-athena.sh, aws-cli) and bring the
result CSV back; keytrail never calls AWS. Phase 1 asks for every call lineage follows and every
ConsoleLogin in the window (small even in a huge trail) and every event of the seeds. Each later
phase (--db) is computed from the case: every event of the identities the chain reached that no
phase asked for yet. When none is new, the loop is complete: lineage and investigate run on the case.

Examples:
  keytrail athena ddl --location s3://trail-bucket/AWSLogs/111122223333/CloudTrail/ > table.sql
  keytrail athena plan --key AKIAEXAMPLEKEY123456 --since 2026-10-01 --out athena/
  ./athena/run-athena.sh athena/phase-1.sql            # where you have AWS access
  keytrail ingest athena/phase-1.csv --db case.duckdb
  keytrail athena plan --db case.duckdb --out athena/  # phase 2, or "the loop is complete"`;

const DDL_ABOUT = `
The table is AWS's documented one for CloudTrail logs ("Creating the table for CloudTrail logs in
Athena using partition projection"), or the older region/year/month/day partitions (--layout
region-date: add the partitions with ALTER TABLE ... ADD PARTITION). Run it once in Athena.

Examples:
  keytrail athena ddl --location s3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/ --projection-start 2026/01/01
  keytrail athena ddl --location s3://org-trail/AWSLogs/o-abc123/111122223333/CloudTrail/ --layout region-date --table ct`;

interface PlanOpts {
  key?: string[];
  user?: string[];
  db: string;
  out: string;
  table: string;
  layout: Layout;
  since?: string;
  until?: string;
}

const tableOption = () => new Option('--table <name>', 'the CloudTrail table in Athena (database.table or table)').default('cloudtrail_logs');
const layoutOption = () =>
  new Option('--layout <layout>', "the table's partitions: projection (`timestamp` yyyy/MM/dd) or region-date (region/year/month/day)")
    .choices(LAYOUTS)
    .default('projection');

export function register(program: Command): void {
  const athena = program
    .command('athena')
    .description('for a trail too big to download: the lineage loop on Athena (plan), and the table to run it on (ddl); keytrail only writes SQL');
  athena
    .command('plan')
    .description(
      'write the next phase of the lineage loop on Athena into --out: phase-1.sql (with --key/--user) or, without them, from the case the results made (--db), ' +
        'the next phase with every event of the identities that are new; say how many are new, or that the loop is complete',
    )
    .addOption(OPTIONS.key('a leaked access key to start from (phase 1); repeatable or comma-separated'))
    .addOption(new Option('--user <name>', 'an IAM user to start from, followed as a whole (phase 1); repeatable').argParser(collect))
    .addOption(OPTIONS.db('the case the phases so far were ingested into: without --key/--user, write the next phase from it'))
    .addOption(new Option('--out <dir>', 'the plan folder: phase-N.sql, run-athena.sh, README.txt, plan.json').makeOptionMandatory())
    .addOption(tableOption())
    .addOption(layoutOption())
    .addOption(OPTIONS.since())
    .addOption(OPTIONS.until())
    .addHelpText('after', PLAN_ABOUT)
    .action((o: PlanOpts, cmd: Command) => plan(o, cmd));
  athena
    .command('ddl')
    .description("print the CREATE EXTERNAL TABLE for Athena's CloudTrail table, as AWS documents it, for the trail's S3 location")
    .addOption(new Option('--location <s3-url>', 's3://bucket/[prefix/]AWSLogs/<account>/CloudTrail/[<region>/]').makeOptionMandatory())
    .addOption(tableOption())
    .addOption(layoutOption())
    .addOption(new Option('--projection-start <yyyy/MM/dd>', 'projection layout: the first day partition projection reads').default('2020/01/01'))
    .addOption(OPTIONS.output())
    .addHelpText('after', DDL_ABOUT)
    .action((o: { location: string; table: string; layout: Layout; projectionStart: string; output?: string }) => {
      if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(o.location))
        throw usageError(`--location ${JSON.stringify(o.location)} is not an s3:// URL of a bucket`);
      writeText(`${athenaDdl({ table: o.table, layout: o.layout, location: o.location, since: o.projectionStart })}\n`, o.output);
    });
}

function report(r: PhaseResult, dir: string): void {
  if (!r.file) {
    say(`the loop is complete: no identity is new since phase ${r.phase - 1}. Run keytrail lineage (or investigate, report) on the case.`);
    return;
  }
  say(`phase ${r.phase}: ${r.newIdentities} new identit${r.newIdentities === 1 ? 'y' : 'ies'}; wrote ${path.join(dir, r.file)}`);
  for (const k of r.asked.keys) say(`  key ${printable(k)}`);
  for (const u of r.asked.users) say(`  user ${printable(u)} (as a whole)`);
  for (const x of r.asked.roles) say(`  role ${printable(x)} (its sessions)`);
  for (const u of r.asked.consoleUsers) say(`  console sessions of user ${printable(u)}`);
  say(
    `next: ${path.join(dir, 'run-athena.sh')} ${path.join(dir, r.file)}, then keytrail ingest ${path.join(dir, r.file.replace(/\.sql$/, '.csv'))} --db case.duckdb`,
  );
}

async function plan(o: PlanOpts, cmd: Command): Promise<void> {
  const seeded = !!(o.key?.length || o.user?.length);
  if (!seeded) {
    // No seed: the next phase of the plan in --out, from the case (--db, or the default case file).
    if (o.since || o.until) throw usageError('--since and --until belong to phase 1 (with --key or --user); the next phases keep the window plan.json holds');
    readPlan(o.out);
    const r = await withCase(o.db, READ, (db) => nextPhase(db, o.out));
    report(r, o.out);
    return;
  }
  if (cmd.getOptionValueSource('db') === 'cli')
    throw usageError('--db continues the plan in --out, whose seeds plan.json keeps: leave out --key and --user (or leave out --db to start a plan)');
  tableSql(o.table);
  windowPredicates({ since: o.since, until: o.until }, o.layout);
  const r = firstPhase(o.out, { table: o.table, layout: o.layout, since: o.since, until: o.until }, { keys: o.key ?? [], users: o.user ?? [] });
  report(r, o.out);
}
