import type { Command } from 'commander';
import { CaseDb } from '../../store/db.js';
import { FILE_STATUSES } from '../../store/schema.js';
import { DEFAULT_DB, collect, oneOf } from '../common.js';
import { chunks, writeRows } from '../output.js';

const FORMATS = ['table', 'json', 'jsonl', 'csv'] as const;

export function register(program: Command): void {
  program
    .command('files')
    .description('list every input file of the case: format, status, counts and why it was skipped or rejected')
    .option('--db <file>', 'case database', DEFAULT_DB)
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`, 'table')
    .option('--status <status>', `only these statuses (${FILE_STATUSES.join(', ')}); repeatable or comma-separated`, collect)
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addHelpText('after', `\nExamples:\n  keytrail files\n  keytrail files --status rejected,partial --format json`)
    .action(async (opts: { db: string; format: string; status?: string[]; output?: string }) => {
      const format = oneOf(opts.format, FORMATS, '--format');
      const statuses = (opts.status ?? []).map((s) => oneOf(s, FILE_STATUSES, '--status'));
      const db = await CaseDb.open(opts.db, { readOnly: true, fileAccess: false });
      try {
        const rows = await db.all(
          `SELECT id, path, format, status, reason, records, events, duplicates, rejected_records, bytes, sha256, parent_id, ingested_at
           FROM files ${statuses.length ? 'WHERE status IN (SELECT unnest(?::VARCHAR[]))' : ''} ORDER BY id`,
          statuses.length ? [statuses] : [],
        );
        const cols =
          format === 'table'
            ? ['id', 'status', 'format', 'events', 'duplicates', 'rejected_records', 'path', 'reason']
            : Object.keys(rows[0] ?? { id: 0, path: '', format: '', status: '', reason: '' });
        await writeRows(chunks(rows), cols, format, opts.output);
      } finally {
        db.close();
      }
    });
}
