/** What every command shares: the --db option, messages on stderr, format checks. */
import { usageError } from '../errors.js';

export const DEFAULT_DB = 'keytrail.duckdb';

export interface GlobalOptions {
  debug?: boolean;
}

/** Messages for a person go to stderr, so stdout carries only data. */
export function say(msg: string): void {
  process.stderr.write(msg.endsWith('\n') ? msg : msg + '\n');
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw usageError(`${option} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value as T;
}

/** Repeatable and comma-separated: `--event A,B --event C` → [A, B, C]. */
export function collect(value: string, previous: string[] = []): string[] {
  return previous.concat(value.split(',').map((s) => s.trim()).filter(Boolean));
}
