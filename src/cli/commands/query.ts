import type { Command } from 'commander';
import { KeytrailError, usageError } from '../../errors.js';
import { CaseDb, SqlError } from '../../store/db.js';
import { DEFAULT_DB, oneOf } from '../common.js';
import { ROW_FORMATS, writeRows } from '../output.js';

/**
 * A query is the user's SQL (or a colleague's, pasted from a ticket): a recursive CTE without an end
 * or a cross join of everything must stop by itself. Defaults: a minute is far more than any query
 * over one case needs (a full scan of a million events takes seconds), and 2GB is what detect and
 * ingest already give DuckDB.
 */
const DEFAULT_TIMEOUT = '60';
const DEFAULT_MAX_MEMORY = '2GB';

interface Opts {
  db: string;
  format: string;
  output?: string;
  timeout: string;
  maxMemory: string;
}

export function register(program: Command): void {
  program
    .command('query')
    .description('run one read-only SQL query over the case (tables: events, files, rejects; view: records)')
    .argument('<sql>', 'one SQL statement')
    .option('--db <file>', 'case database', DEFAULT_DB)
    .option('--format <format>', `output format: ${ROW_FORMATS.join(', ')}`, 'table')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--timeout <seconds>', 'stop the query after this many seconds (0: no limit)', DEFAULT_TIMEOUT)
    .option('--max-memory <size>', "DuckDB's memory for the query, e.g. 512MB or 8GB; nothing spills to disk", DEFAULT_MAX_MEMORY)
    .addHelpText(
      'after',
      `
The database is opened read-only and without file access: a query sees the case and nothing else.
Field names and nesting are CloudTrail's (and Athena's): userIdentity.accessKeyId, requestParameters ...
JSON columns take DuckDB's JSON functions: requestParameters->>'$.userName' (parenthesise arrows).

Every query is bounded: it stops after --timeout seconds (default ${DEFAULT_TIMEOUT}; 0 for no limit) and
fails when it needs more than --max-memory (default ${DEFAULT_MAX_MEMORY}). Nothing spills to a temporary
folder, so a query writes nothing beside the case; a bigger sort or join needs a bigger --max-memory.

Examples:
  keytrail query "SELECT eventName, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC"
  keytrail query "SELECT eventTime, eventName, awsRegion FROM events WHERE userIdentity.accessKeyId = 'AKIA...'" --format csv
  keytrail query "SELECT record FROM records LIMIT 1" --format json
  keytrail query "SELECT * FROM records ORDER BY eventTime" --format jsonl -o all.jsonl --timeout 600 --max-memory 8GB`,
    )
    .action(async (sql: string, opts: Opts) => {
      const format = oneOf(opts.format, ROW_FORMATS, '--format');
      const seconds = parseSeconds(opts.timeout);
      const memory = parseSize(opts.maxMemory);
      const db = await CaseDb.open(opts.db, { readOnly: true, fileAccess: false, memoryLimit: memory, noSpill: true });
      let timedOut = false;
      const timer =
        seconds > 0
          ? setTimeout(() => {
              timedOut = true;
              db.interrupt();
            }, seconds * 1000)
          : undefined;
      try {
        const { columns, rows } = await db.query(sql);
        await writeRows(rows, columns, format, opts.output);
      } catch (err) {
        if (timedOut)
          throw new KeytrailError(
            'QUERY',
            `query stopped after ${seconds} s (--timeout): give it longer with --timeout <seconds>, or --timeout 0 for no limit`,
            {},
            { cause: err },
          );
        if (err instanceof SqlError && /^Out of Memory Error/i.test(err.message)) {
          throw new KeytrailError(
            'QUERY',
            `query needs more than ${memory} of memory (--max-memory): narrow it (a WHERE, fewer columns, a LIMIT) or raise --max-memory`,
            {},
            { cause: err },
          );
        }
        throw err;
      } finally {
        clearTimeout(timer);
        db.close();
      }
    });
}

function parseSeconds(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0)
    throw usageError(`--timeout must be a number of seconds, 0 for no limit (got ${JSON.stringify(text)})`);
  return n;
}

/** A size as DuckDB's memory_limit reads it (512MB, 8GB, 1.5GiB); at least 16MB, which DuckDB needs to open a case at all. */
function parseSize(text: string): string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i.exec(text);
  const unit = m ? m[2]!.toUpperCase().replace('IB', 'iB') : '';
  const bytes = m ? Number(m[1]) * 1024 ** (['K', 'M', 'G', 'T'].indexOf(unit[0]!) + 1) : NaN;
  if (!m || !(bytes >= 16 * 2 ** 20)) throw usageError(`--max-memory must be a size of at least 16MB, like 512MB or 8GB (got ${JSON.stringify(text)})`);
  return `${m[1]}${unit}`;
}
