/**
 * Joins each correlation to the rules it names (base rules, by id, name or title) and compiles it
 * over them; anything unresolved, ambiguous or refused by the compiler is a problem of that
 * correlation, never of the others.
 */
import { CORRELATION_PLACEHOLDERS, compileCorrelation, CorrelationError } from './compile-correlation.js';
import { placeholdersOf } from './summary-template.js';
import type { LoadedCorrelation, LoadedRule, PendingCorrelation, RuleProblem, RuleProblemCode } from './load-rules.js';

const namesOf = (r: { rule: { id?: string; name?: string; title: string } }) => [r.rule.id, r.rule.name, r.rule.title].filter((x): x is string => !!x);

/**
 * Join each correlation to its base rules, named by id, name or title (in that order of
 * preference; a name or title is looked up in the correlation's own file first, as in a
 * multi-document rule file, then everywhere). Anything unresolved or ambiguous is a problem.
 */
/** Records a problem of a correlation (CORRELATION unless said). */
type Fail = (message: string, code?: RuleProblemCode) => void;

export function resolveCorrelations(pending: PendingCorrelation[], rules: LoadedRule[], problems: RuleProblem[]): LoadedCorrelation[] {
  const out: LoadedCorrelation[] = [];
  for (const c of pending) {
    const cid = c.rule.id ?? c.rule.name ?? c.rule.title;
    const fail: Fail = (message, code = 'CORRELATION') => problems.push({ code, file: c.file, line: c.line, ruleId: cid, message });
    const bases = resolveBases(c, rules, pending, fail);
    const loaded = bases && compileResolved(c, bases, fail);
    if (loaded) out.push(loaded);
  }
  return out;
}

/** The rules a correlation's reference names: by id, else by name, else by title (those of its own file first). */
function rulesNamed(ref: string, file: string, rules: readonly LoadedRule[]): LoadedRule[] {
  const byId = rules.filter((r) => r.rule.id === ref);
  if (byId.length > 0) return byId;
  for (const key of ['name', 'title'] as const) {
    const all = rules.filter((r) => r.rule[key] === ref);
    const local = all.filter((r) => r.file === file);
    if (all.length > 0) return local.length > 0 ? local : all;
  }
  return [];
}

/** The correlation's base rules in its order, or null when one does not resolve to exactly one rule (each a problem). */
function resolveBases(c: PendingCorrelation, rules: readonly LoadedRule[], pending: readonly PendingCorrelation[], fail: Fail) {
  const bases: LoadedRule[] = [];
  for (const ref of c.rule.correlation.rules) {
    const found = rulesNamed(ref, c.file, rules);
    if (found.length === 1) bases.push(found[0]!);
    else if (found.length > 1)
      fail(
        `correlation.rules: ${JSON.stringify(ref)} names ${found.length} rules (${found.map((r) => `${r.file}:${r.line}`).join(', ')}); refer to one by its id`,
      );
    else if (pending.some((p) => p !== c && namesOf(p).includes(ref)))
      fail(`correlation.rules: ${JSON.stringify(ref)} is a correlation; correlations of correlations are not supported`);
    else fail(`correlation.rules: no loaded rule has the id, name or title ${JSON.stringify(ref)}`);
  }
  return bases.length === c.rule.correlation.rules.length ? bases : null;
}

/** The correlation compiled over its base rules, its summary's placeholders checked; null when either is a problem. */
function compileResolved(c: PendingCorrelation, bases: LoadedRule[], fail: Fail): LoadedCorrelation | null {
  try {
    const compiled = compileCorrelation(
      c.rule,
      bases.map((b) => ({ names: namesOf(b) })),
    );
    const allowed = new Set<string>([...CORRELATION_PLACEHOLDERS, ...compiled.groupBy]);
    const bad = placeholdersOf(c.rule.output?.summary ?? '').filter((p) => !allowed.has(p));
    if (bad.length === 0) return { ...c, bases, compiled };
    fail(`output.summary: {${bad.join('}, {')}} is not available in a correlation's summary (use ${[...allowed].map((a) => `{${a}}`).join(', ')})`, 'SUMMARY');
  } catch (err) {
    if (!(err instanceof CorrelationError)) throw err;
    fail(`correlation: ${err.message}`);
  }
  return null;
}
