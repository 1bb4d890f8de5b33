/**
 * Loads Sigma rule files and reports every problem of every rule at once, each as
 * `file:line: [rule id] what is wrong`: YAML syntax, schema (strict), duplicate ids, and anything
 * the compiler refuses (bad condition, invalid regex, unknown modifier). A rule that cannot load is
 * a problem the caller must show; it is never dropped quietly.
 */
import type { CompiledCorrelation } from './compile-correlation.js';
import type { CompiledExpr } from './compile-detection.js';
import type { Placeholders } from './placeholders.js';
import type { RuleProblem } from './problems.js';
import { resolveCorrelations } from './resolve-correlations.js';
import { loadFile } from './rule-document.js';
import { readRuleFile, ruleFiles } from './rule-files.js';
import type { SigmaCorrelation, SigmaRule } from './schema.js';
import { CaseDb, SqlError } from '../store/db.js';
import { sql } from '../store/sql.js';

export { formatProblem, isError, skippedRules, type RuleProblem, type RuleProblemCode } from './problems.js';

export interface LoadedRule {
  rule: SigmaRule;
  file: string;
  line: number;
  compiled: CompiledExpr;
  /** The rule's YAML text (none for the base rule of a Sigma 1 aggregation). */
  source?: string;
  /**
   * Findings of its own even where a correlation uses it without `generate`: the rule was also
   * written as a rule of its own (a file with no correlation), and loaded once.
   */
  standalone?: boolean;
  /** A search of a Sigma 1 aggregation (rules/sigma1.ts): it loads only with that correlation. */
  searchOf?: PendingCorrelation;
}

export interface LoadedCorrelation {
  rule: SigmaCorrelation;
  file: string;
  line: number;
  /** The base rules it names, in the order of correlation.rules (the correlations it names are not among them). */
  bases: LoadedRule[];
  /** Everything correlation.rules names, in its order: base rules, and correlations whose findings it counts. */
  inputs: (LoadedRule | LoadedCorrelation)[];
  compiled: CompiledCorrelation;
}

export interface LoadResult {
  rules: LoadedRule[];
  correlations: LoadedCorrelation[];
  /** Errors (their rules are not in `rules` or `correlations`) and warnings (theirs are): see problems.ts. */
  problems: RuleProblem[];
}

/** A correlation parsed but not yet joined to its base rules (they may live in other files). */
export interface PendingCorrelation {
  rule: SigmaCorrelation;
  file: string;
  line: number;
  source?: string;
}

export interface LoadOptions {
  /** Values of `%name%` placeholders for the `expand` modifier (rules/placeholders.ts). */
  placeholders?: Placeholders;
}

/**
 * Load every rule under `paths`. Each problem is located and kept; a rule with an error is left
 * out and the others load (the caller decides whether that stops a run: `--strict`).
 */
export async function loadRules(paths: readonly string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const { files, problems } = await ruleFiles(paths);
  const sink = { rules: [] as LoadedRule[], problems, correlations: [] as PendingCorrelation[], placeholders: opts.placeholders };
  for (const file of files) {
    const text = readRuleFile(file);
    if (typeof text === 'string') loadFile(file, text, sink);
    else problems.push(text);
  }
  await refuseUncompilableRegexes(sink.rules, problems);
  const dropped = settleDuplicateIds([...sink.rules, ...sink.correlations], sink.correlations, problems);
  const kept = sink.rules.filter((r) => !dropped.has(r));
  const correlations = resolveCorrelations(
    sink.correlations.filter((c) => !dropped.has(c)),
    kept,
    problems,
  );
  // A Sigma 1 aggregation whose correlation did not load (a search RE2 refused) leaves no search behind.
  const resolved = new Set(correlations.map((c) => sink.correlations.find((p) => p.rule === c.rule)));
  const rules = kept.filter((r) => !r.searchOf || resolved.has(r.searchOf));
  for (const c of correlations) {
    for (const f of c.compiled.unknownFields)
      problems.push({
        code: 'FIELD',
        file: c.file,
        line: c.line,
        doc: c.line,
        ruleId: c.rule.id ?? c.rule.title,
        message: `field ${f} is not in a CloudTrail record; it matches as absent`,
      });
  }
  return { rules, correlations, problems: problems.sort(byPlace) };
}

const byPlace = (a: RuleProblem, b: RuleProblem) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);

type Identified = LoadedRule | PendingCorrelation;
const place = (r: Identified) => `${r.file}:${r.line}`;

/**
 * One id, several documents. The same text written twice (a base rule copied beside its
 * correlation) is one rule: loaded once, with a note; if a copy stands in a file without
 * correlations, the rule keeps findings of its own. Different rules with one id are all left out,
 * each naming the others: which one the id means cannot be told. Returns the documents left out.
 */
function settleDuplicateIds(all: Identified[], correlations: readonly PendingCorrelation[], problems: RuleProblem[]): Set<Identified> {
  const byId = new Map<string, Identified[]>();
  for (const r of all) if (r.rule.id) byId.set(r.rule.id, [...(byId.get(r.rule.id) ?? []), r]);
  const dropped = new Set<Identified>();
  const problem = (r: Identified, code: 'DUPLICATE_ID' | 'DUPLICATE_RULE', message: string) =>
    problems.push({ code, file: r.file, line: r.line, doc: r.line, ruleId: r.rule.id, message });
  for (const [, group] of byId) {
    if (group.length < 2) continue;
    const [first, ...rest] = group as [Identified, ...Identified[]];
    if (first.source !== undefined && rest.every((r) => r.source === first.source)) {
      for (const r of rest) {
        dropped.add(r);
        problem(r, 'DUPLICATE_RULE', `the same rule as ${place(first)}, written twice: loaded once`);
      }
      const alone = group.some((r) => !correlations.some((c) => c.file === r.file));
      if (alone && 'compiled' in first) first.standalone = true;
      continue;
    }
    for (const r of group) {
      dropped.add(r);
      const others = group.filter((o) => o !== r).map(place);
      problem(r, 'DUPLICATE_ID', `rule id also used by a different rule at ${others.join(', ')}: none of them is loaded (give each its own id)`);
    }
  }
  return dropped;
}

/**
 * Compile each distinct regular expression once in DuckDB's RE2, exactly as the rules hand it over:
 * RE2 refuses patterns JavaScript accepts (a repetition over 1000, nested ones whose product is,
 * a program over its memory budget), and such a rule must fail here, naming itself, rather than
 * abort a whole detect. A refused rule is dropped from `rules` and becomes a problem.
 */
async function refuseUncompilableRegexes(rules: LoadedRule[], problems: RuleProblem[]): Promise<void> {
  const patterns = [...new Set(rules.flatMap((r) => r.compiled.regexes))];
  if (patterns.length === 0) return;
  const refused = new Map<string, string>();
  const db = await CaseDb.open(':memory:', { fileAccess: false });
  try {
    for (const p of patterns) {
      try {
        await db.exec(sql`SELECT regexp_matches('', ${p})`);
      } catch (err) {
        if (!(err instanceof SqlError)) throw err;
        refused.set(p, err.message.replace(/^Invalid Input Error: /, ''));
      }
    }
  } finally {
    db.close();
  }
  const kept = rules.filter((r) => {
    const bad = r.compiled.regexes.find((p) => refused.has(p));
    if (bad === undefined) return true;
    const shown = JSON.stringify(bad.length > 80 ? `${bad.slice(0, 80)}...` : bad);
    problems.push({
      code: 'REGEX',
      file: r.file,
      line: r.line,
      ruleId: r.searchOf?.rule.id ?? r.rule.id ?? r.rule.title,
      doc: r.line,
      message: `detection: regular expression ${shown} cannot compile in DuckDB's RE2: ${refused.get(bad)}`,
    });
    return false;
  });
  rules.splice(0, rules.length, ...kept);
}
