/** What every command shares: the case database, messages on stderr, value checks, the rules a run uses. */
import { printable } from '../escape.js';
import { KeytrailError, usageError } from '../errors.js';
import { BUILTIN_RULES } from '../rules/detect.js';
import { formatProblem, loadRules } from '../rules/load-rules.js';
import { CaseDb, type OpenOptions } from '../store/db.js';

export const DEFAULT_DB = 'keytrail.duckdb';

/** How a command that only reads opens the case: read-only, and its SQL sees the case and nothing else. */
export const READ: OpenOptions = { readOnly: true, fileAccess: false };

/** Open the case database, run `fn` with it, and close it whatever happens. */
export async function withCase<T>(file: string, open: OpenOptions, fn: (db: CaseDb) => Promise<T>): Promise<T> {
  const db = await CaseDb.open(file, open);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/**
 * Messages for a person go to stderr, so stdout carries only data. Each argument is one line: a
 * newline or terminal sequence inside it (a name from the logs) is shown escaped, never acted on.
 */
export function say(...lines: string[]): void {
  process.stderr.write(lines.map((l) => `${printable(l)}\n`).join(''));
}

/** A value of a list option (one commander's `choices` cannot check, as it is comma-separated). */
export function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw usageError(`${option} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value as T;
}

/** Repeatable and comma-separated: `--event A,B --event C` → [A, B, C]. */
export function collect(value: string, previous: string[] = []): string[] {
  return previous.concat(
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** The rule files a run uses: the built-in pack unless --no-builtin, then each --rules path. */
export const rulePaths = (o: { builtin: boolean; rules?: string[] }) => [...(o.builtin ? [BUILTIN_RULES] : []), ...(o.rules ?? [])];

/** Load the rules a run uses; any problem is shown, file:line first, and stops the run. */
export async function loadRulesForRun(paths: string[]) {
  const { rules, correlations, problems } = await loadRules(paths);
  for (const p of problems) say(formatProblem(p));
  if (problems.length > 0)
    throw new KeytrailError('INPUT', `${problems.length} problem(s) in the rules: fix them or run 'keytrail rules validate' for the list`);
  return { rules, correlations };
}
