/**
 * Placeholders for the `expand` modifier (SigmaHQ's rules-placeholder/): a value `%name%` stands for
 * the values the responder gives, in a YAML file as pySigma's processing pipelines give them,
 *
 *     vars:
 *       Legitimate_Countries: [US, DE]
 *       Admin_IPs: 203.0.113.10
 *
 * (or the same map without `vars:`). A value holding a placeholder becomes one value per
 * substitution (several placeholders: every combination), matched as any Sigma value is, wildcards
 * included. A placeholder with no value is an error of the rule: it cannot be evaluated as meant.
 */
import fs from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { KeytrailError, messageOf, usageError } from '../errors.js';

export type Placeholders = ReadonlyMap<string, readonly string[]>;

export class PlaceholderError extends KeytrailError {
  constructor(message: string) {
    super('PLACEHOLDER', message);
  }
}

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const Vars = z.record(z.string().min(1), z.union([Scalar, z.array(Scalar).min(1)]));
/** How many values one value may stand for: a rule's list bound (compile-detection.ts MAX_LIST_VALUES). */
const MAX_VALUES = 10_000;
const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A placeholders file read and checked; what is wrong with it is a usage error naming the file. */
export function loadPlaceholders(file: string): Placeholders {
  let value: unknown;
  try {
    value = parse(fs.readFileSync(file, 'utf8'), { maxAliasCount: 100 });
  } catch (err) {
    throw usageError(`--placeholders ${file}: ${messageOf(err).split('\n')[0]}`);
  }
  // A pySigma pipeline keeps them under vars: (beside its transformations); a plain map is the same.
  const r = Vars.safeParse(isMap(value) && isMap(value.vars) ? value.vars : value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw usageError(
      `--placeholders ${file}: expected a map of names to a value or a list of values (optionally under vars:)${issue ? `; ${issue.path.join('.') || 'file'}: ${issue.message}` : ''}`,
    );
  }
  return new Map(Object.entries(r.data).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).map((x) => `${x}`)]));
}

const PLACEHOLDER = /%([A-Za-z0-9_.-]+)%/g;

/** Every value `value` stands for once its placeholders are given (every combination); an unknown one is an error. */
export function expandPlaceholders(value: string, vars: Placeholders | undefined): string[] {
  let out = [''];
  let last = 0;
  for (const m of value.matchAll(PLACEHOLDER)) {
    const given = vars?.get(m[1]!);
    if (!given) {
      throw new PlaceholderError(
        `placeholder %${m[1]}% has no value${vars ? ' in the placeholders file' : ''}: give it with --placeholders FILE (a YAML map, e.g. "${m[1]}: [value, value]")`,
      );
    }
    const before = value.slice(last, m.index);
    out = out.flatMap((o) => given.map((g) => `${o}${before}${g}`));
    if (out.length > MAX_VALUES)
      throw new PlaceholderError(`${JSON.stringify(value)} stands for more than ${MAX_VALUES} values once its placeholders are given`);
    last = m.index + m[0].length;
  }
  return out.map((o) => `${o}${value.slice(last)}`);
}
