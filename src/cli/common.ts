/** What every command shares: the --db option, messages on stderr, format checks. */
import { KeytrailError, usageError } from '../errors.js';
import { BUILTIN_RULES } from '../rules/detect.js';
import { formatProblem, loadRules } from '../rules/loader.js';

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

/** The rule files a run uses: the built-in pack unless --no-builtin, then each --rules path. */
export const rulePaths = (o: { builtin: boolean; rules?: string[] }) => [...(o.builtin ? [BUILTIN_RULES] : []), ...(o.rules ?? [])];

/** Load the rules a run uses; any problem is shown, file:line first, and stops the run. */
export async function loadRulesForRun(paths: string[]) {
  const { rules, correlations, problems } = await loadRules(paths);
  for (const p of problems) say(formatProblem(p));
  if (problems.length > 0) throw new KeytrailError('INPUT', `${problems.length} problem(s) in the rules: fix them or run 'keytrail rules validate' for the list`);
  return { rules, correlations };
}
