/**
 * Errors a user can act on. Anything that is not a KeytrailError is a bug in keytrail and is shown
 * with its stack; a KeytrailError is shown as one readable line (the stack only with --debug).
 */
import { printable } from './escape.js';

export type ErrorCode =
  | 'USAGE' // wrong arguments or options
  | 'INPUT' // an input file or path the user named cannot be used
  | 'DATABASE' // the case database cannot be opened or is not a keytrail case
  | 'QUERY' // a user-supplied SQL query failed
  | 'STRICT'; // --strict and some input was rejected

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
    this.name = 'KeytrailError';
    this.code = code;
    this.location = location;
  }
}

export const usageError = (message: string) => new KeytrailError('USAGE', message);

/**
 * `file:line: [rule] message`, the form editors and terminals link to; one line however hostile the
 * path or message (a file name inside an archive is the attacker's), the stack's frames below it with --debug.
 */
export function formatError(err: unknown, debug = false): string {
  const frames = (e: Error) =>
    debug
      ? (e.stack ?? '')
          .split('\n')
          .filter((l) => /^\s+at /.test(l))
          .map((l) => `\n${printable(l)}`)
          .join('')
      : '';
  if (err instanceof KeytrailError) {
    const { file, line, ruleId } = err.location;
    const where = file ? `${file}${line !== undefined ? `:${line}` : ''}: ` : '';
    const rule = ruleId ? `[${ruleId}] ` : '';
    return printable(`${where}${rule}${err.message}`) + frames(err);
  }
  if (err instanceof Error) return printable(debug ? `${err.name}: ${err.message}` : `internal error: ${err.message}`) + frames(err);
  return printable(`internal error: ${String(err)}`);
}

/** The message of anything thrown, for use in a reason column. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
