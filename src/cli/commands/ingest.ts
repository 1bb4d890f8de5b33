import { type Command, Option } from 'commander';
import { jsonText } from '../../escape.js';
import { KeytrailError } from '../../errors.js';
import { CASE_FOLDER_REASON } from '../../ingest/discover.js';
import { ingest, type IngestSummary } from '../../ingest/ingest.js';
import { EXIT, exits } from '../exit.js';
import { type DbOptions, newCommand, OPTIONS, withOptions } from '../options.js';
import { batchBytesFromEnv, say } from '../common.js';
import { interruptible } from '../interrupt.js';
import { ingestProgress } from '../progress.js';

interface Opts extends DbOptions {
  append?: boolean;
  json?: boolean;
  quiet?: boolean;
  strict?: boolean;
  memoryLimit?: string;
}

const ABOUT = `
Shapes are recognised by content, not by name: S3 exports ({"Records":[...]}, .json or .json.gz),
console downloads (JSON, CSV), 'aws cloudtrail lookup-events' output (pages may be appended in one
file), JSON Lines and JSON arrays (Logstash @timestamp accepted), and .zip/.tar.gz bundles of them.
Every file gets a row in the 'files' table with its sha256, format, status and reason; re-ingesting a
file already in the case does nothing; the same event from two sources is kept once.
A case holds the AWS account(s) of its first evidence: another account's evidence is refused (exit 2)
unless --append is given. A keytrail case folder inside the evidence is not read.

Files are loaded in batches, each in one transaction. Ctrl-C stops the run: the batch loading rolls
back, the files loaded before it stay in the case (exit 130), and running the same command again
loads the rest.

Examples:
  keytrail ingest ./evidence/                      # a customer's folder, recursively
  keytrail ingest bundle.zip --db case-4711.duckdb
  keytrail ingest 'AWSLogs/**/*.json.gz' lookup-us-east-1.json --json
  keytrail ingest ./member-account-logs/ --db case-4711.duckdb --append   # another account of the same customer`;

export function register(program: Command): void {
  withOptions(
    newCommand(program, 'ingest', 'load CloudTrail evidence (files, folders, globs, .zip/.tar.gz bundles) into the case database', [
      '<inputs...>',
      'files, folders (read recursively), globs or archives',
    ]),
    OPTIONS.db('case database (created if missing)'),
    new Option('--json', 'print the summary as JSON on stdout'),
    new Option('-q, --quiet', 'no progress bar and no summary on stderr'),
    new Option('--strict', 'exit with status 2 when any file is rejected or any input names nothing'),
    OPTIONS.memoryLimit("DuckDB's memory while loading, e.g. 1GB, 4GB (default 1GB; raise it if a load runs out of memory)"),
    OPTIONS.append(),
  )
    .addHelpText('after', ABOUT)
    .action(exits(run));
}

async function run(inputs: string[], opts: Opts) {
  const bar = ingestProgress(Boolean(opts.quiet || opts.json));
  const stop = interruptible(opts.db, () => bar.stop());
  let summary: IngestSummary;
  try {
    summary = await ingest(inputs, {
      db: opts.db,
      memoryLimit: opts.memoryLimit,
      append: opts.append,
      batchBytes: batchBytesFromEnv(),
      signal: stop.signal,
      onProgress: (p) => {
        stop.progress(p);
        // Once stopping, the bar stays gone: the messages say the rest.
        if (!stop.signal.aborted) bar.update(p);
      },
    });
  } finally {
    stop.dispose();
    bar.stop();
  }
  if (opts.json) process.stdout.write(`${jsonText(summary, 2)}\n`);
  else if (!opts.quiet) say(...describe(summary));
  if (!opts.quiet) for (const dir of summary.caseFolders) say(`${dir}: ${CASE_FOLDER_REASON}`);
  for (const e of summary.inputErrors) say(`${e.input}: ${e.message}`);
  const rejected = summary.files.rejected;
  if (opts.strict && (rejected > 0 || summary.inputErrors.length > 0)) {
    throw new KeytrailError('STRICT', `--strict: ${rejected} file(s) rejected, ${summary.inputErrors.length} input(s) named nothing`);
  }
  // An input that names nothing (a typo in a path) fails the run, after everything else was loaded.
  return summary.inputErrors.length > 0 ? EXIT.ERROR : EXIT.OK;
}

/** The summary as lines for a person. */
export function describe(s: IngestSummary): string[] {
  const f = s.files;
  const lines = [
    `${s.db}: ${s.events} new events from ${f.ingested + f.partial} files in ${s.seconds.toFixed(1)} s` +
      (s.events > 0 ? ` (${Math.round(s.events / Math.max(s.seconds, 0.001))} events/s)` : ''),
    `  files: ${f.ingested} ingested, ${f.partial} partial, ${f.skipped} skipped, ${f['duplicate-file']} duplicate, ${f.rejected} rejected` +
      (s.alreadyInCase ? `; ${s.alreadyInCase} already in the case (left alone)` : ''),
    `  records: ${s.duplicates} duplicates collapsed, ${s.rejectedRecords} rejected (kept in the rejects table)`,
  ];
  const shown = s.problems.slice(0, 20);
  for (const p of shown) lines.push(`  ${p.status}: ${p.path}: ${p.reason}`);
  if (s.problems.length > shown.length) lines.push(`  ... and ${s.problems.length - shown.length} more: keytrail files --status rejected,partial`);
  return lines;
}
