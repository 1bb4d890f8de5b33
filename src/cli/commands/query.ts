import { type Command, Option } from 'commander';
import { KeytrailError, usageError } from '../../errors.js';
import { checkOutputFile } from '../../output-path.js';
import { type CaseDb, SqlError } from '../../store/db.js';
import { READ, withCase } from '../common.js';
import { type DbOptions, newCommand, OPTIONS, type OutputOptions, withOptions } from '../options.js';
import { ROW_FORMATS, type RowFormat, writeRows } from '../output.js';

/**
 * A query is the user's SQL (or a colleague's, pasted from a ticket): a recursive CTE without an end
 * or a cross join of everything must stop by itself. Defaults: a minute is far more than any query
 * over one case needs (a full scan of a million events takes seconds), and 2GB is what detect and
 * ingest already give DuckDB.
 */
const DEFAULT_TIMEOUT = '60';
const DEFAULT_MAX_MEMORY = '2GB';

interface Opts extends DbOptions, OutputOptions {
  format: RowFormat;
  timeout: string;
  maxMemory: string;
}

const ABOUT = `
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
  keytrail query "SELECT * FROM records ORDER BY eventTime" --format jsonl -o all.jsonl --timeout 600 --max-memory 8GB`;

export function register(program: Command): void {
  withOptions(
    newCommand(program, 'query', 'run one read-only SQL query over the case (tables: events, files, rejects; view: records)', ['<sql>', 'one SQL statement']),
    OPTIONS.db(),
    OPTIONS.format(ROW_FORMATS, 'output format', 'table'),
    OPTIONS.output(),
    new Option('--timeout <seconds>', 'stop the query after this many seconds (0: no limit)').default(DEFAULT_TIMEOUT),
    new Option('--max-memory <size>', "DuckDB's memory for the query, e.g. 512MB or 8GB; nothing spills to disk").default(DEFAULT_MAX_MEMORY),
  )
    .addHelpText('after', ABOUT)
    .action(query);
}

/** The user's query (never wrapped: its errors quote it as written), stopped by a timer after --timeout. */
async function query(text: string, opts: Opts): Promise<void> {
  const seconds = parseSeconds(opts.timeout);
  const memory = parseSize(opts.maxMemory);
  checkOutputFile(opts.output, '-o');
  await withCase(opts.db, { ...READ, memoryLimit: memory, noSpill: true }, async (db) => {
    const stop = seconds > 0 ? stopAfter(db, seconds) : undefined;
    try {
      const { columns, rows } = await db.query(text);
      await writeRows(rows, columns, opts.format, opts.output);
    } catch (err) {
      throw explained(err, { timedOut: stop?.fired() ?? false, seconds, memory });
    } finally {
      stop?.cancel();
    }
  });
}

/** Interrupt the statement running on `db` after `seconds`. */
function stopAfter(db: CaseDb, seconds: number) {
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    db.interrupt();
  }, seconds * 1000);
  return { fired: () => fired, cancel: () => clearTimeout(timer) };
}

/** A query stopped by one of its bounds, said as which and how to give it more; any other error as it is. */
function explained(err: unknown, o: { timedOut: boolean; seconds: number; memory: string }): unknown {
  if (o.timedOut)
    return new KeytrailError(
      'QUERY',
      `query stopped after ${o.seconds} s (--timeout): give it longer with --timeout <seconds>, or --timeout 0 for no limit`,
      {},
      { cause: err },
    );
  if (err instanceof SqlError && /^Out of Memory Error/i.test(err.message))
    return new KeytrailError(
      'QUERY',
      `query needs more than ${o.memory} of memory (--max-memory): narrow it (a WHERE, fewer columns, a LIMIT) or raise --max-memory`,
      {},
      { cause: err },
    );
  return err;
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
