import type { Command } from 'commander';
import { EXPORTERS, EXPORT_FORMATS } from '../../export/index.js';
import { usageError } from '../../errors.js';
import { CaseDb } from '../../store/db.js';
import { DEFAULT_DB, oneOf, say } from '../common.js';

export function register(program: Command): void {
  program
    .command('export')
    .description('write the case for other tools: parquet (Athena/Trino/Spark), csv, jsonl, timeline (Timesketch)')
    .requiredOption('--format <format>', EXPORT_FORMATS.join(', '))
    .requiredOption('-o, --output <path>', 'file to write (a folder for parquet)')
    .option('--db <file>', 'case database', DEFAULT_DB)
    .addHelpText(
      'after',
      `
  parquet   folder of region=<region>/date=<YYYY-MM-DD>/*.parquet, same columns and nesting as events
  csv       every column of events, nested values as JSON text
  jsonl     one whole CloudTrail record per line, as ingested
  timeline  Timesketch CSV: message, datetime, timestamp_desc + principal, key, IP, region, eventID ...

Examples:
  keytrail export --format parquet -o case-4711-parquet/
  keytrail export --format timeline -o case-4711-timeline.csv`,
    )
    .action(async (opts: { format: string; output: string; db: string }) => {
      const format = oneOf(opts.format, EXPORT_FORMATS, '--format');
      if (!opts.output) throw usageError('-o is required');
      const db = await CaseDb.open(opts.db, { readOnly: true });
      try {
        const res = await EXPORTERS[format](db, opts.output);
        say(`wrote ${res.events} events to ${res.path}`);
      } finally {
        db.close();
      }
    });
}
