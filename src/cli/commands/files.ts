import { type Command, Option } from 'commander';
import { checkOutputFile } from '../../output-path.js';
import { listFiles } from '../../store/files.js';
import { FILE_STATUSES } from '../../store/schema.js';
import { READ, collect, oneOf, withCase } from '../common.js';
import { type DbOptions, OPTIONS, type OutputOptions, withOptions } from '../options.js';
import { ROW_FORMATS, type RowFormat, chunks, writeRows } from '../output.js';

interface Opts extends DbOptions, OutputOptions {
  format: RowFormat;
  status?: string[];
}

/** The columns a table shows: what a responder reads first (the other formats carry them all). */
const TABLE_COLUMNS = ['id', 'status', 'format', 'events', 'duplicates', 'rejected_records', 'path', 'reason'];

export function register(program: Command): void {
  const cmd = program.command('files').description('list every input file of the case: format, status, counts and why it was skipped or rejected');
  const status = new Option('--status <status>', `only these statuses (${FILE_STATUSES.join(', ')}); repeatable or comma-separated`).argParser(collect);
  withOptions(cmd, OPTIONS.db(), OPTIONS.format(ROW_FORMATS, 'output format', 'table'), status, OPTIONS.output())
    .addHelpText('after', `\nExamples:\n  keytrail files\n  keytrail files --status rejected,partial --format json`)
    .action(files);
}

async function files(opts: Opts): Promise<void> {
  const statuses = (opts.status ?? []).map((s) => oneOf(s, FILE_STATUSES, '--status'));
  checkOutputFile(opts.output, '-o');
  await withCase(opts.db, READ, async (db) => {
    const rows = await listFiles(db, statuses);
    const cols = opts.format === 'table' ? TABLE_COLUMNS : Object.keys(rows[0] ?? { id: 0, path: '', format: '', status: '', reason: '' });
    await writeRows(chunks(rows), cols, opts.format, opts.output);
  });
}
