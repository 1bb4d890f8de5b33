/**
 * Joins each correlation to the rules it names (base rules, or other correlations, by id, name or
 * title) and compiles it over them; anything unresolved, ambiguous, circular or refused by the
 * compiler is a problem of that correlation (and of those that name it), never of the others.
 */
import { compileCorrelation, CorrelationError, placeholdersFor, type BaseRef } from './compile-correlation.js';
import { namesOf, ruleId } from './rule-names.js';
import { placeholdersOf } from './summary-template.js';
import type { LoadedCorrelation, LoadedRule, PendingCorrelation, RuleProblem, RuleProblemCode } from './load-rules.js';

type Named = { rule: { id?: string; name?: string; title: string }; file: string };
const isCorrelation = (r: LoadedRule | PendingCorrelation): r is PendingCorrelation => 'correlation' in r.rule;

/** Records a problem of a correlation (CORRELATION unless said). */
type Fail = (message: string, code?: RuleProblemCode) => void;
type Input = LoadedRule | LoadedCorrelation;

/**
 * Join each correlation to the rules it names, by id, name or title (in that order of preference; a
 * name or title is looked up in the correlation's own file first, as in a multi-document rule file,
 * then everywhere). A correlation named by another is resolved first; a cycle of correlations is a
 * problem of each correlation in it.
 */
export function resolveCorrelations(pending: PendingCorrelation[], rules: LoadedRule[], problems: RuleProblem[]): LoadedCorrelation[] {
  const done = new Map<PendingCorrelation, LoadedCorrelation | null>();
  const stack: PendingCorrelation[] = [];
  const failOf =
    (c: PendingCorrelation): Fail =>
    (message, code = 'CORRELATION') =>
      problems.push({ code, file: c.file, line: c.line, ruleId: ruleId(c), message });
  const visit = (c: PendingCorrelation): LoadedCorrelation | null => {
    if (done.has(c)) return done.get(c)!;
    const at = stack.indexOf(c);
    if (at >= 0) {
      const cycle = [...stack.slice(at), c].map((x) => JSON.stringify(namesOf(x)[0])).join(' → ');
      for (const x of stack.slice(at)) {
        done.set(x, null);
        failOf(x)(`correlation.rules: the correlations ${cycle} name each other in a cycle`);
      }
      return null;
    }
    stack.push(c);
    const inputs = resolveInputs(c, rules, pending, failOf(c), visit, () => done.has(c));
    stack.pop();
    // A member of a cycle has its problem already.
    if (done.has(c)) return done.get(c)!;
    const loaded = inputs && compileResolved(c, inputs, failOf(c));
    done.set(c, loaded);
    return loaded;
  };
  for (const c of pending) visit(c);
  return pending.map((c) => done.get(c)).filter((c): c is LoadedCorrelation => !!c);
}

/** The rules and correlations a reference names: by id, else by name, else by title (those of the correlation's own file first). */
function named<T extends Named>(ref: string, file: string, all: readonly T[]): T[] {
  const byId = all.filter((r) => r.rule.id === ref);
  if (byId.length > 0) return byId;
  for (const key of ['name', 'title'] as const) {
    const found = all.filter((r) => r.rule[key] === ref);
    const local = found.filter((r) => r.file === file);
    if (found.length > 0) return local.length > 0 ? local : found;
  }
  return [];
}

/** What the correlation names, in its order, or null when a reference does not resolve to exactly one loadable rule (each a problem). */
function resolveInputs(
  c: PendingCorrelation,
  rules: readonly LoadedRule[],
  pending: readonly PendingCorrelation[],
  fail: Fail,
  visit: (c: PendingCorrelation) => LoadedCorrelation | null,
  inCycle: () => boolean,
): Input[] | null {
  const inputs: Input[] = [];
  for (const ref of c.rule.correlation.rules) {
    const found = named<LoadedRule | PendingCorrelation>(ref, c.file, [...rules, ...pending]);
    const one = found.length === 1 ? found[0]! : null;
    if (one && !isCorrelation(one)) inputs.push(one);
    else if (one && isCorrelation(one)) {
      const inner = visit(one);
      if (inner) inputs.push(inner);
      // In a cycle with this correlation, the cycle is its problem, said once.
      else if (!inCycle()) fail(`correlation.rules: ${JSON.stringify(ref)} is a correlation that cannot load (see its problem)`);
    } else if (found.length > 1)
      fail(
        `correlation.rules: ${JSON.stringify(ref)} names ${found.length} rules (${found.map((r) => `${r.file}:${r.line}`).join(', ')}); refer to one by its id`,
      );
    else fail(`correlation.rules: no loaded rule has the id, name or title ${JSON.stringify(ref)}`);
  }
  return inputs.length === c.rule.correlation.rules.length ? inputs : null;
}

const isLoadedCorrelation = (x: Input): x is LoadedCorrelation => 'correlation' in x.rule;
const refOf = (x: Input): BaseRef => (isLoadedCorrelation(x) ? { names: namesOf(x), groupBy: x.compiled.groupBy } : { names: namesOf(x) });

/** The correlation compiled over what it names, its summary's placeholders checked; null when either is a problem. */
function compileResolved(c: PendingCorrelation, inputs: Input[], fail: Fail): LoadedCorrelation | null {
  try {
    const compiled = compileCorrelation(c.rule, inputs.map(refOf));
    const allowed = new Set<string>(placeholdersFor(c.rule, compiled.groupBy));
    const bad = placeholdersOf(c.rule.output?.summary ?? '').filter((p) => !allowed.has(p));
    const bases = inputs.filter((x): x is LoadedRule => !isLoadedCorrelation(x));
    if (bad.length === 0) return { ...c, bases, inputs, compiled };
    fail(`output.summary: {${bad.join('}, {')}} is not available in a correlation's summary (use ${[...allowed].map((a) => `{${a}}`).join(', ')})`, 'SUMMARY');
  } catch (err) {
    if (!(err instanceof CorrelationError)) throw err;
    fail(`correlation: ${err.message}`);
  }
  return null;
}
