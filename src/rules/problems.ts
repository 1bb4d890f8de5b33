/**
 * A rule's problems, in two kinds, as pySigma and sigma-cli tell them apart. An error means the rule
 * cannot be evaluated as written (its YAML, its detection or correlation, a regular expression RE2
 * refuses, a placeholder with no value, two different rules with one id): that rule is skipped and
 * the others run (`--strict`: none run). A warning concerns what the rule says about itself, or a
 * field it names that CloudTrail does not have: the rule runs, and `rules validate` lists it.
 */
import type { WarningCode } from './metadata.js';

/**
 * What kind of problem a rule has, for callers to tell them apart (never by message text).
 * Errors: the path itself (FILE), YAML, the schema of the logic or of keytrail's own keys, a
 * detection or correlation the compilers refuse, a regular expression RE2 refuses, a placeholder
 * with no value, one id for different rules, a placeholder a correlation's summary cannot fill.
 * Warnings: metadata, the id's form, unknown keys, logsource, a field CloudTrail has not, a key
 * Sigma 1 used that nothing reads (timeframe without an aggregation), a Sigma 1 aggregation read
 * as its correlation (a note), one rule written twice (a note: it is loaded once).
 */
export type RuleProblemCode =
  | 'FILE'
  | 'YAML'
  | 'SCHEMA'
  | 'DETECTION'
  | 'REGEX'
  | 'PLACEHOLDER'
  | 'DUPLICATE_ID'
  | 'CORRELATION'
  | 'SUMMARY'
  | WarningCode
  | 'FIELD'
  | 'IGNORED'
  | 'SIGMA1'
  | 'DUPLICATE_RULE';

export const WARNING_CODES: ReadonlySet<RuleProblemCode> = new Set<RuleProblemCode>([
  'METADATA',
  'ID',
  'UNKNOWN_KEY',
  'LOGSOURCE',
  'FIELD',
  'IGNORED',
  'SIGMA1',
  'DUPLICATE_RULE',
]);

export interface RuleProblem {
  code: RuleProblemCode;
  file: string;
  /** The line the problem is on; 0 for a problem with the path itself. */
  line: number;
  ruleId?: string;
  message: string;
  /** The line of the rule (YAML document) it belongs to, when it belongs to one: what a skipped rule is counted by. */
  doc?: number;
}

/** An error: the rule it belongs to is not loaded. */
export const isError = (p: RuleProblem) => !WARNING_CODES.has(p.code);

/** `file:line: [id] message`, warnings marked; line 0 is a problem with the path itself (`file: message`). */
export const formatProblem = (p: RuleProblem) =>
  `${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.ruleId ? `[${p.ruleId}] ` : ''}${isError(p) ? '' : 'warning: '}${p.message}`;

/** The rules (documents, or files that could not be read as documents) the errors among `problems` skip. */
export function skippedRules(problems: readonly RuleProblem[]): { file: string; line: number; ruleId?: string; first: RuleProblem }[] {
  const out = new Map<string, { file: string; line: number; ruleId?: string; first: RuleProblem }>();
  for (const p of problems.filter(isError)) {
    const line = p.doc ?? p.line;
    const key = `${p.file}\0${line}`;
    if (!out.has(key)) out.set(key, { file: p.file, line, ruleId: p.ruleId, first: p });
  }
  return [...out.values()];
}
