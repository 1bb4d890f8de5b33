/**
 * Errors a user can act on, in one hierarchy: every one is a KeytrailError with a code, and code
 * is what callers test (never the message text). Anything that is not a KeytrailError is a bug in
 * keytrail and is shown with its stack; a KeytrailError is shown as one readable line (the stack,
 * and the SQL of a statement that failed, only with --debug). To add an error: a code here and a
 * class where it is thrown, extending KeytrailError with that code.
 */
import { printable } from './escape.js';

export type ErrorCode =
  // Reported by the CLI as they are:
  | 'USAGE' // wrong arguments or options
  | 'INPUT' // an input file or path the user named cannot be used
  | 'DATABASE' // the case database cannot be opened or is not a keytrail case
  | 'QUERY' // a SQL statement failed (store/db.ts SqlError, which keeps the SQL), or a user query hit its bounds
  | 'STRICT' // --strict and some input was rejected
  | 'INTERRUPTED' // the run was stopped (Ctrl-C): ingest/ingest.ts IngestInterrupted says what the case kept
  // A rule the compilers refuse; rules/load-rules.ts turns each into a RuleProblem at the rule's file:line:
  | 'DETECTION' // rules/compile-detection.ts DetectionError: a detection that cannot compile
  | 'PLACEHOLDER' // rules/placeholders.ts PlaceholderError: an `expand` placeholder with no value
  | 'CONDITION' // rules/condition.ts ConditionError: a condition that does not parse
  | 'CORRELATION' // rules/compile-correlation.ts CorrelationError: a correlation that cannot compile
  // Evidence that cannot be read; ingest keeps the message as the file's reason and goes on:
  | 'EXPANSION' // ingest/bytes.ts ExpansionError: decompresses past its limit (a bomb)
  | 'NOT_CLOUDTRAIL_CSV' // ingest/csv.ts NotCloudTrailCsv: CSV without CloudTrail's columns
  | 'NOT_EVIDENCE' // ingest/reader.ts NotEvidence: a file that is not CloudTrail at all
  | 'NATIVE_LOAD'; // ingest/batch-loader.ts NativeLoadError: DuckDB's reader refused a batch (read again file by file)

export interface ErrorLocation {
  file?: string;
  line?: number;
  ruleId?: string;
}

export class KeytrailError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation;

  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.location = location;
  }
}

export const usageError = (message: string) => new KeytrailError('USAGE', message);

/** The SQL of a statement that failed: SqlError (store/db.ts) keeps it, on the error or one it caused. */
function failedSql(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ('sql' in e && typeof e.sql === 'string') return e.sql;
  }
  return undefined;
}

/** The statement as lines for a terminal, indented, each made printable: a query may hold anything. */
const sqlLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => `\n  ${printable(l.trimEnd())}`)
    .join('');

/**
 * `file:line: [rule] message`, the form editors and terminals link to; one line however hostile the
 * path or message (a file name inside an archive is the attacker's). With --debug, below it: the SQL
 * of a statement that failed, then the stack's frames.
 */
export function formatError(err: unknown, debug = false): string {
  const details = (e: Error) => {
    if (!debug) return '';
    const sql = failedSql(e);
    const frames = (e.stack ?? '')
      .split('\n')
      .filter((l) => /^\s+at /.test(l))
      .map((l) => `\n${printable(l)}`)
      .join('');
    return (sql === undefined ? '' : `\nthe statement that failed:${sqlLines(sql)}`) + frames;
  };
  if (err instanceof KeytrailError) {
    const { file, line, ruleId } = err.location;
    const where = file ? `${file}${line !== undefined ? `:${line}` : ''}: ` : '';
    const rule = ruleId ? `[${ruleId}] ` : '';
    return printable(`${where}${rule}${err.message}`) + details(err);
  }
  if (err instanceof Error) return printable(debug ? `${err.name}: ${err.message}` : `internal error: ${err.message}`) + details(err);
  return printable(`internal error: ${String(err)}`);
}

/** The message of anything thrown, for use in a reason column. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
