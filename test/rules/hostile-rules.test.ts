/**
 * Rule packs keytrail did not write: a FIFO where a rule file should be, billion laughs, a condition
 * or YAML nested thousands deep, a list of hundreds of thousands of values, a regex RE2 refuses.
 * Each is one problem naming the file, line and rule, within seconds; never a hang, never
 * "internal error". And a rule DuckDB cannot run does not take the others down with it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, tmpDir, write } from '../helpers.js';
import { cliAsync, expectUserError } from '../fixtures/use/run.js';
import { detect, RulesFailedError } from '../../src/rules/detect.js';
import { compileDetection } from '../../src/rules/compile-detection.js';
import type { LoadedRule } from '../../src/rules/load-rules.js';
import { CaseDb } from '../../src/store/db.js';

let dir: string;
let db: string;

beforeAll(() => {
  dir = tmpDir('kt-hostile-rules-');
  db = path.join(dir, 'case.duckdb');
  expect(cli(['ingest', path.join(ROOT, 'samples/leaked-key/evidence'), '--db', db, '--quiet']).status).toBe(0);
});

const ID = '7e3b1a52-0c4d-4f6e-9a8b-1c2d3e4f5a6b';
const rule = (detection: string, extra = '') => `title: Hostile rule
id: ${ID}
logsource:
    product: aws
    service: cloudtrail
${extra}detection:
${detection}
`;
const simple = (condition: string) => rule(`    selection:\n        eventName: CreateUser\n    condition: ${condition}`);

/** A run killed after 30 s, so that a hang fails the test instead of the suite. */
async function run(...args: string[]) {
  return cliAsync(args, { timeoutMs: 30_000 });
}

/** `rules validate FILE`: one user error whose problem line is exactly `expected` (a RegExp for the part after file:line). */
async function validateProblem(file: string, line: number, message: RegExp) {
  const r = await run('rules', 'validate', file);
  expectUserError(r);
  expect(r.seconds).toBeLessThan(20);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[0]!.startsWith(`${file}:${line}: [${ID}] `)).toBe(true);
  expect(lines[0]!.slice(`${file}:${line}: [${ID}] `.length)).toMatch(message);
  expect(lines[1]).toBe('0 rule(s) and 0 correlation(s) load; 1 error(s) in 1 rule(s) (detect skips them), 0 warning(s) (those rules run)');
}

describe.concurrent('a path that is not a regular file is never opened', () => {
  const fifo = () => {
    const d = tmpDir('kt-fifo-');
    const f = path.join(d, 'rules.yml');
    execFileSync('mkfifo', [f]);
    return f;
  };

  it('rules validate, list, test and compile refuse a FIFO at once', async () => {
    const f = fifo();
    for (const cmd of ['validate', 'list', 'test', 'compile']) {
      const r = await run('rules', cmd, f);
      // list shows problems beside what loaded and exits 0, as it does for any rule problem.
      expect(r.status, `rules ${cmd}`).toBe(cmd === 'list' ? 0 : 2);
      expect(r.stderr.split('\n')[0]).toBe(`${f}: not a regular file (a FIFO): not read`);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.seconds).toBeLessThan(20);
    }
  });

  it('detect --rules <a FIFO> skips it, naming it, and runs the built-in pack; --strict refuses it', async () => {
    const f = fifo();
    const r = await run('detect', '--db', db, '--rules', f, '--format', 'jsonl');
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').slice(0, 2)).toEqual([
      `skipped: ${f}: not a regular file (a FIFO): not read`,
      "1 rule(s) skipped: run 'keytrail rules validate' for the list",
    ]);
    expect(r.stderr).toMatch(/\d+ finding\(s\) from [1-9]\d* rule\(s\)/);
    const strict = await run('detect', '--db', db, '--rules', f, '--strict');
    expectUserError(strict);
    expect(strict.stderr).toBe(
      `${f}: not a regular file (a FIFO): not read\nkeytrail: --strict: 1 error(s) in the rules, so none ran: fix them, or drop --strict to skip those rules\n`,
    );
  });

  it("a FIFO inside a rules folder is a problem too, and the folder's other rules still load", async () => {
    const f = fifo();
    write(path.join(path.dirname(f), 'good.yml'), simple('selection'));
    const r = await run('rules', 'validate', path.dirname(f));
    expectUserError(r);
    expect(r.stderr).toBe(
      `${f}: not a regular file (a FIFO): not read\n1 rule(s) and 0 correlation(s) load; 1 error(s) in 1 rule(s) (detect skips them), 0 warning(s) (those rules run)\n` +
        'keytrail: 1 error(s) in 1 rule(s): those rules cannot be evaluated as written\n',
    );
  });
});

describe.concurrent('YAML, conditions and lists are bounded', () => {
  it('billion laughs: aliases that expand without end are a problem of that rule', async () => {
    let laughs = '    a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
    for (let i = 1; i < 9; i++)
      laughs += `    ${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9)
        .fill(`*${'abcdefghi'[i - 1]}`)
        .join(', ')}]\n`;
    const f = write(path.join(tmpDir(), 'laughs.yml'), rule(`    selection:\n        eventName: CreateUser\n    condition: selection`, `custom:\n${laughs}`));
    await validateProblem(f, 1, /^YAML: its aliases expand more than 100 times \(a billion-laughs file\?\): not loaded$/);
  });

  it('a condition nested 20,000 parentheses or nots deep is a problem, not a stack overflow', async () => {
    const d = tmpDir();
    const parens = write(path.join(d, 'parens.yml'), simple(`${'('.repeat(20_000)}selection${')'.repeat(20_000)}`));
    const nots = write(path.join(d, 'nots.yml'), simple(`${'not '.repeat(20_000)}selection`));
    for (const f of [parens, nots]) await validateProblem(f, 7, /^detection: condition nested more than 64 levels \(parentheses and not\)$/);
    // 64 levels is still a rule.
    const ok = write(path.join(d, 'ok.yml'), simple(`${'not '.repeat(32)}${'('.repeat(31)}selection${')'.repeat(31)}`));
    expect((await run('rules', 'validate', ok)).status).toBe(0);
  });

  it('YAML nested thousands deep, in flow or block style, is a problem', async () => {
    const d = tmpDir();
    const flow = write(
      path.join(d, 'flow.yml'),
      rule(`    selection:\n        eventName: CreateUser\n    condition: selection`, `custom: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`),
    );
    const r = await run('rules', 'validate', flow);
    expectUserError(r);
    expect(r.stderr.split('\n')[0]).toBe(`${flow}:6: YAML: nested too deeply to read (more than 64 levels)`);
    const block = write(
      path.join(d, 'block.yml'),
      rule(
        `    selection:\n        eventName: CreateUser\n    condition: selection`,
        `custom:\n${Array.from({ length: 100 }, (_, i) => `${' '.repeat(2 * i + 2)}k:\n`).join('')}${' '.repeat(202)}v\n`,
      ),
    );
    await validateProblem(block, 70, /^YAML: nested more than 64 levels: not loaded$/);
  });

  it('a selection listing more than 10,000 values for a field is a problem naming the rule and the field', async () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `            - Event${i}\n`).join('');
    const d = tmpDir();
    const big = write(path.join(d, 'big.yml'), rule(`    selection:\n        eventName:\n${values(10_001)}    condition: selection`));
    await validateProblem(big, 7, /^detection: eventName \(in selection\) lists 10001 values, more than the 10000 a list may hold$/);
    const keywords = write(path.join(d, 'keywords.yml'), rule(`    keywords:\n${values(10_001).replace(/ {12}/g, '        ')}    condition: keywords`));
    await validateProblem(keywords, 7, /^detection: selection keywords lists 10001 values, more than the 10000 a list may hold$/);
    const r = await run('detect', '--db', db, '--rules', big, '--no-builtin', '--strict');
    expectUserError(r);
    expect(r.stderr).toContain(`${big}:7: [${ID}] detection: eventName (in selection) lists 10001 values`);
  });

  it('a rule file of 300,000 values (over 1 MiB) is refused before it is parsed', async () => {
    const f = write(
      path.join(tmpDir(), 'huge.yml'),
      rule(`    selection:\n        eventName:\n${Array.from({ length: 300_000 }, (_, i) => `            - E${i}\n`).join('')}    condition: selection`),
    );
    const r = await run('rules', 'validate', f);
    expectUserError(r);
    expect(r.stderr.split('\n')[0]).toMatch(
      new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+\\.\\d MiB, more than the 1 MiB a rule file may hold: not read$`),
    );
    expect(r.seconds).toBeLessThan(20);
  });
});

describe.concurrent('a regular expression RE2 refuses', () => {
  const re = (pattern: string) => rule(`    selection:\n        userAgent|re: '${pattern}'\n    condition: selection`);

  it('fails rules validate, naming the rule, as DuckDB will run it', async () => {
    const d = tmpDir();
    const f = write(path.join(d, 'nested.yml'), re('(a{1000}){1000}'));
    await validateProblem(f, 1, /^detection: regular expression "\(a\{1000\}\)\{1000\}" cannot compile in DuckDB's RE2: invalid repetition size: \{1000\}$/);
    const flags = write(path.join(d, 'flags.yml'), rule(`    selection:\n        userAgent|re|i: 'x{1001}'\n    condition: selection`));
    await validateProblem(flags, 1, /^detection: regular expression "\(\?i\)x\{1001\}" cannot compile in DuckDB's RE2: invalid repetition size: \{1001\}$/);
  });

  it('is skipped by detect before anything runs, as any rule with an error is, and refused with --strict', async () => {
    const f = write(path.join(tmpDir(), 'nested.yml'), re('(a{1000}){1000}'));
    const r = await run('detect', '--db', db, '--rules', f, '--format', 'jsonl');
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n')[0]).toMatch(
      new RegExp(`^skipped: .*nested\\.yml:1: \\[${ID}\\] detection: regular expression .* cannot compile in DuckDB's RE2`),
    );
    const strict = await run('detect', '--db', db, '--rules', f, '--strict');
    expectUserError(strict);
    expect(strict.stderr.split('\n')[0]).toMatch(new RegExp(`^.*nested\\.yml:1: \\[${ID}\\] detection: regular expression .* cannot compile in DuckDB's RE2`));
  });
});

describe('a rule DuckDB cannot run at detect time', () => {
  const loaded = (id: string, detection: Record<string, unknown>, line: number): LoadedRule => ({
    rule: { title: `rule ${id}`, id, logsource: { product: 'aws', service: 'cloudtrail' }, detection, level: 'high' } as unknown as LoadedRule['rule'],
    file: '/pack/rules.yml',
    line,
    compiled: compileDetection(detection),
  });

  it("is found among its batch and named with DuckDB's message; the other rules still run", async () => {
    // Past the loader's RE2 check (a library caller, or a limit only the run meets): the run must still say which rule.
    const good = loaded('good', { sel: { eventName: 'CreateUser' }, condition: 'sel' }, 1);
    const bad = loaded('bad', { sel: { 'userAgent|re': '(a{1000}){1000}' }, condition: 'sel' }, 12);
    const other = loaded('other', { sel: { eventName: 'CreateAccessKey' }, condition: 'sel' }, 20);
    const c = await CaseDb.open(db);
    try {
      const err = await detect(c, [good, bad, other]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RulesFailedError);
      const failed = err as RulesFailedError;
      expect(failed.failures).toEqual([{ file: '/pack/rules.yml', line: 12, ruleId: 'bad', message: 'Invalid Input Error: invalid repetition size: {1000}' }]);
      expect(failed.location).toEqual({ file: '/pack/rules.yml', line: 12, ruleId: 'bad' });
      // The handle holds the findings of the rules that did run.
      const found = await failed.findings.all();
      expect([...new Set(found.map((f) => f.rule.id))].sort()).toEqual(['good', 'other']);
      expect(failed.findings.count).toBe(found.length);
    } finally {
      c.close();
    }
  });
});
