import type { Command } from 'commander';
import { CaseDb } from '../../store/db.js';
import { DEFAULT_DB, oneOf } from '../common.js';
import { ROW_FORMATS, writeRows } from '../output.js';

export function register(program: Command): void {
  program
    .command('query')
    .description('run one read-only SQL query over the case (tables: events, files, rejects; view: records)')
    .argument('<sql>', 'one SQL statement')
    .option('--db <file>', 'case database', DEFAULT_DB)
    .option('--format <format>', `output format: ${ROW_FORMATS.join(', ')}`, 'table')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addHelpText(
      'after',
      `
The database is opened read-only and without file access: a query sees the case and nothing else.
Field names and nesting are CloudTrail's (and Athena's): userIdentity.accessKeyId, requestParameters ...
JSON columns take DuckDB's JSON functions: requestParameters->>'$.userName' (parenthesise arrows).

Examples:
  keytrail query "SELECT eventName, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC"
  keytrail query "SELECT eventTime, eventName, awsRegion FROM events WHERE userIdentity.accessKeyId = 'AKIA...'" --format csv
  keytrail query "SELECT record FROM records LIMIT 1" --format json`,
    )
    .action(async (sql: string, opts: { db: string; format: string; output?: string }) => {
      const format = oneOf(opts.format, ROW_FORMATS, '--format');
      const db = await CaseDb.open(opts.db, { readOnly: true, fileAccess: false });
      try {
        const { columns, rows } = await db.query(sql);
        await writeRows(rows, columns, format, opts.output);
      } finally {
        db.close();
      }
    });
}
