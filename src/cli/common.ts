/** What every command shares: the case database, messages on stderr, value checks, the rules a run uses. */
import { printable } from '../escape.js';
import { KeytrailError, usageError } from '../errors.js';
import { BUILTIN_RULES } from '../rules/detect.js';
import { formatProblem, isError, loadRules, skippedRules } from '../rules/load-rules.js';
import { loadPlaceholders } from '../rules/placeholders.js';
import { LEFT_OUT_STATUSES, readExcludeFile, selectionNote, selectRules } from '../rules/select.js';
import type { RuleOptions } from './options.js';
import { CaseDb, type OpenOptions } from '../store/db.js';

export const DEFAULT_DB = 'keytrail.duckdb';

/**
 * KEYTRAIL_BATCH_BYTES: the bytes of JSON a batch (one transaction) holds, instead of ingest's
 * default (1.5 GiB). For tests and for measuring: smaller batches commit more often.
 */
export function batchBytesFromEnv(): number | undefined {
  const v = process.env.KEYTRAIL_BATCH_BYTES;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw usageError(`KEYTRAIL_BATCH_BYTES must be a whole number of bytes (got ${JSON.stringify(v)})`);
  return n;
}

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

/** Skipped rules named one a line before the count; past this many, the count says the rest. */
const SKIPPED_SHOWN = 20;

/**
 * Load the rules a run uses. A rule with an error is skipped, named on stderr, and the others run
 * (`--strict`: every error is shown and nothing runs); warnings are counted, not listed; rules are
 * then selected by status and the exclusion list, and what that left out is said.
 */
export async function loadRulesForRun(paths: string[], o: Omit<RuleOptions, 'rules' | 'builtin'> = {}) {
  const placeholders = o.placeholders ? loadPlaceholders(o.placeholders) : undefined;
  const exclude = o.exclude ? readExcludeFile(o.exclude) : undefined;
  const loaded = await loadRules(paths, { placeholders });
  const errors = loaded.problems.filter(isError);
  if (o.strict && errors.length > 0) {
    for (const p of errors) say(formatProblem(p));
    throw new KeytrailError('INPUT', `--strict: ${errors.length} error(s) in the rules, so none ran: fix them, or drop --strict to skip those rules`);
  }
  const skipped = skippedRules(loaded.problems);
  for (const s of skipped.slice(0, SKIPPED_SHOWN)) say(`skipped: ${formatProblem(s.first)}`);
  if (skipped.length > SKIPPED_SHOWN) say(`skipped: ... and ${skipped.length - SKIPPED_SHOWN} more`);
  if (skipped.length > 0) say(`${skipped.length} rule(s) skipped: run 'keytrail rules validate' for the list`);
  const warnings = loaded.problems.length - errors.length;
  if (warnings > 0) say(`${warnings} warning(s) in the rules (those rules run): 'keytrail rules validate' lists them`);
  const leaveOut = LEFT_OUT_STATUSES.filter((s) => !(s === 'deprecated' ? o.includeDeprecated : o.includeUnsupported));
  const selected = selectRules(loaded.rules, loaded.correlations, { leaveOut, exclude });
  const note = selectionNote(selected);
  if (note) say(note);
  if (selected.unknownExcludes.length > 0)
    say(`--exclude: no rule has the id ${selected.unknownExcludes.slice(0, 5).join(', ')}${selected.unknownExcludes.length > 5 ? ', ...' : ''}`);
  return { rules: selected.rules, correlations: selected.correlations };
}
