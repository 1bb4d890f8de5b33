/**
 * Sigma's condition grammar: `and`, `or`, `not`, parentheses, `1 of X*`, `all of X*`, `1 of them`,
 * `all of them` (`any of` is read as `1 of`). Precedence, loosest first: or, and, not.
 */
import { KeytrailError } from '../errors.js';

export type Condition =
  | { op: 'and' | 'or'; args: Condition[] }
  | { op: 'not'; arg: Condition }
  | { op: 'sel'; name: string }
  | { op: 'of'; quantifier: 'one' | 'all'; pattern: string };

export class ConditionError extends KeytrailError {
  constructor(message: string) {
    super('CONDITION', message);
  }
}

/**
 * How deep `(` and `not` may nest. The parser, the SQL it becomes and DuckDB's own expression depth
 * all recurse; real conditions nest two or three levels, and 64 keeps every one of them far from a stack overflow.
 */
export const MAX_CONDITION_DEPTH = 64;

const TOKEN = /\s*(\(|\)|[^\s()]+)/y;

export function parseCondition(text: string): Condition {
  const tokens: string[] = [];
  const re = new RegExp(TOKEN);
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    tokens.push(m[1]!);
    end = re.lastIndex;
  }
  if (text.slice(end).trim() !== '') throw new ConditionError(`cannot read condition near ${JSON.stringify(text.slice(end))}`);
  if (tokens.some((t) => t.startsWith('|'))) {
    throw new ConditionError(
      `${JSON.stringify(text)} uses a Sigma 1 aggregation ("| count() ..."), which keytrail does not run; write it as a correlation rule (type event_count or value_count)`,
    );
  }
  let i = 0;
  let depth = 0;
  const deeper = <T>(f: () => T): T => {
    if (++depth > MAX_CONDITION_DEPTH) throw new ConditionError(`condition nested more than ${MAX_CONDITION_DEPTH} levels (parentheses and not)`);
    const out = f();
    depth--;
    return out;
  };
  const peek = () => tokens[i]?.toLowerCase();
  const expect = (t: string) => {
    if (peek() !== t)
      throw new ConditionError(
        `expected "${t}" at token ${i + 1} of condition ${JSON.stringify(text)}, found ${tokens[i] === undefined ? 'the end' : JSON.stringify(tokens[i])}`,
      );
    i++;
  };
  const list = (op: 'and' | 'or', next: () => Condition): Condition => {
    const args = [next()];
    while (peek() === op) {
      i++;
      args.push(next());
    }
    return args.length === 1 ? args[0]! : { op, args };
  };
  const or = (): Condition => list('or', and);
  const and = (): Condition => list('and', not);
  const not = (): Condition => {
    if (peek() === 'not') {
      i++;
      return { op: 'not', arg: deeper(not) };
    }
    return primary();
  };
  const primary = (): Condition => {
    const t = tokens[i];
    if (t === undefined) throw new ConditionError(`condition ${JSON.stringify(text)} ends where a selection was expected`);
    if (t === '(') {
      i++;
      const e = deeper(or);
      expect(')');
      return e;
    }
    const lower = t.toLowerCase();
    if ((lower === '1' || lower === 'all' || lower === 'any') && tokens[i + 1]?.toLowerCase() === 'of') {
      i += 2;
      const target = tokens[i++];
      if (target === undefined || target === '(' || target === ')') throw new ConditionError(`"${t} of" needs a selection name pattern or "them"`);
      return { op: 'of', quantifier: lower === 'all' ? 'all' : 'one', pattern: target };
    }
    if (['and', 'or', 'not', ')', 'of'].includes(lower)) throw new ConditionError(`unexpected "${t}" in condition ${JSON.stringify(text)}`);
    i++;
    return { op: 'sel', name: t };
  };
  const tree = or();
  if (i < tokens.length) throw new ConditionError(`unexpected "${tokens[i]}" after a complete condition in ${JSON.stringify(text)}`);
  return tree;
}

/** Selection names an `of` pattern covers; `them` leaves out names starting with `_` (Sigma spec). */
export function expandPattern(pattern: string, names: readonly string[]): string[] {
  if (pattern === 'them') return names.filter((n) => !n.startsWith('_'));
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return names.filter((n) => re.test(n));
}
