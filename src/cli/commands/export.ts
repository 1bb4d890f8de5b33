import type { Command } from 'commander';
import { EXPORTERS, EXPORT_FORMATS, type ExportFormat } from '../../export/index.js';
import { usageError } from '../../errors.js';
import { checkOutputFile, checkOutputFolder } from '../../output-path.js';
import { say, withCase } from '../common.js';
import { type DbOptions, OPTIONS, withOptions } from '../options.js';

interface Opts extends DbOptions {
  format: ExportFormat;
  output: string;
}

export function register(program: Command): void {
  const cmd = program.command('export').description('write the case for other tools: parquet (Athena/Trino/Spark), csv, jsonl, timeline (Timesketch)');
  withOptions(
    cmd,
    OPTIONS.format(EXPORT_FORMATS, 'what to write (see below)'),
    OPTIONS.output('file to write (a folder for parquet)', 'path').makeOptionMandatory(),
    OPTIONS.db(),
  )
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
    .action(async (opts: Opts) => {
      if (!opts.output) throw usageError('-o is required');
      if (opts.format === 'parquet') checkOutputFolder(opts.output, '-o');
      else checkOutputFile(opts.output, '-o');
      // Read-only, but with file access: the exporters write with DuckDB's COPY.
      await withCase(opts.db, { readOnly: true }, async (db) => {
        const res = await EXPORTERS[opts.format](db, opts.output);
        say(`wrote ${res.events} events to ${res.path}`);
      });
    });
}
