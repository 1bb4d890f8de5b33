/**
 * The exit statuses, in one table (README's tour of the commands, ARCHITECTURE.md section 6): what
 * a command's action returns, and what each error code ends a run with. Names that share a number
 * say why a run ends so; a script reads only the number, and these numbers do not change.
 */
import type { Command } from 'commander';
import { type ErrorCode, KeytrailError } from '../errors.js';

export const EXIT = {
  /** Done. */
  OK: 0,
  /** detect --fail-on LEVEL: a finding at that level or above. */
  FINDINGS: 1,
  /** rules test: a test case or a scenario failed. */
  TESTS_FAILED: 1,
  /** Wrong arguments or options, refused by commander or by the command. */
  USAGE: 2,
  /** An input, the case database, a rule or a query could not be used; the message says which. */
  ERROR: 2,
  /** Not a KeytrailError: a bug in keytrail. */
  BUG: 2,
  /** Stopped by Ctrl-C (SIGINT), as a shell reports a process ended by it (128 + 2). */
  INTERRUPTED: 130,
} as const;

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** The status a run that fails with an error of each code ends with. */
const BY_CODE: Readonly<Record<ErrorCode, ExitStatus>> = {
  USAGE: EXIT.USAGE,
  INPUT: EXIT.ERROR,
  DATABASE: EXIT.ERROR,
  QUERY: EXIT.ERROR,
  STRICT: EXIT.ERROR,
  INTERRUPTED: EXIT.INTERRUPTED,
  DETECTION: EXIT.ERROR,
  PLACEHOLDER: EXIT.ERROR,
  CONDITION: EXIT.ERROR,
  CORRELATION: EXIT.ERROR,
  EXPANSION: EXIT.ERROR,
  NOT_CLOUDTRAIL_CSV: EXIT.ERROR,
  NOT_EVIDENCE: EXIT.ERROR,
  NATIVE_LOAD: EXIT.ERROR,
};

export const exitStatusOf = (err: unknown): ExitStatus => (err instanceof KeytrailError ? BY_CODE[err.code] : EXIT.BUG);

/** The status each program's action returned, until run() reads it: per program, nothing global. */
const returned = new WeakMap<Command, ExitStatus>();

/**
 * An action that returns its exit status (undefined: EXIT.OK). Commander drops what an action
 * returns, so the status is kept for the program the command belongs to.
 */
export function exits<A extends unknown[]>(action: (...args: A) => Promise<ExitStatus | undefined>) {
  return async function (this: Command, ...args: A): Promise<void> {
    const status = await action(...args);
    let program: Command = this;
    while (program.parent) program = program.parent;
    returned.set(program, status ?? EXIT.OK);
  };
}

/** What the action that ran returned; EXIT.OK when it returned nothing or no action ran (help, version). */
export const statusOf = (program: Command): ExitStatus => returned.get(program) ?? EXIT.OK;
