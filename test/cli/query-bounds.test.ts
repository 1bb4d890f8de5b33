/**
 * `keytrail query` ends by itself whatever the SQL: --timeout stops it through DuckDB's interrupt,
 * --max-memory fails it with nothing spilled beside the case, and each says which bound it hit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../helpers.js';
import { ingestCase } from '../fixtures/use/case.js';
import { cliAsync, expectUserError } from '../fixtures/use/run.js';

let dir: string;
let db: string;

beforeAll(() => {
  ({ dir, db } = ingestCase('kt-query-bounds-'));
});

/** A query run that is killed after 30 s: a query that never ends fails its test quickly. */
async function query(sql: string, ...args: string[]) {
  return cliAsync(['query', sql, '--db', db, ...args], { timeoutMs: 30_000 });
}

const ENDLESS = 'WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t';
// Every distinct string of a hundred million is kept for the count: far more than 64MB.
const GREEDY = `SELECT count(DISTINCT (i::VARCHAR || 'padding-padding-padding')) AS n FROM range(100000000) r(i)`;

describe.concurrent('keytrail query is bounded', () => {
  it('a recursive query without an end stops after --timeout, and says so', async () => {
    const r = await query(ENDLESS, '--timeout', '2');
    expectUserError(r);
    expect(r.stderr).toBe('keytrail: query stopped after 2 s (--timeout): give it longer with --timeout <seconds>, or --timeout 0 for no limit\n');
    expect(r.seconds).toBeLessThan(15);
    expect(r.seconds).toBeGreaterThanOrEqual(2);
  });

  it('a query whose rows never end is stopped too, and its output is not passed off as complete', async () => {
    const r = await query('SELECT * FROM range(100000000000) r(n)', '--timeout', '2', '--format', 'json');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^keytrail: query stopped after 2 s \(--timeout\)/);
    expect(r.stdout.trimEnd().endsWith(']')).toBe(false);
    expect(r.seconds).toBeLessThan(15);
  });

  it('a query that needs more memory than --max-memory fails with that bound named, and spills nothing beside the case', async () => {
    const before = sha256(db);
    const r = await query(GREEDY, '--max-memory', '64MB');
    expectUserError(r);
    expect(r.stderr).toBe('keytrail: query needs more than 64MB of memory (--max-memory): narrow it (a WHERE, fewer columns, a LIMIT) or raise --max-memory\n');
    expect(r.seconds).toBeLessThan(20);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(db)))).toEqual([path.basename(db)]);
    expect(sha256(db)).toBe(before);
  });

  it('--timeout 0 is no limit, and an ordinary query runs within the defaults', async () => {
    const r = await query('SELECT count(*) AS n FROM events', '--timeout', '0', '--format', 'json');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([{ n: 20 }]);
    const d = await query('SELECT count(*) AS n FROM events', '--format', 'json');
    expect(JSON.parse(d.stdout)).toEqual([{ n: 20 }]);
  });

  it('a bad --timeout or --max-memory is a usage error naming the option', async () => {
    for (const [opt, value] of [
      ['--timeout', '-1'],
      ['--timeout', 'soon'],
      ['--max-memory', 'lots'],
      ['--max-memory', '1MB'],
    ] as const) {
      const r = await query('SELECT 1', opt, value);
      expectUserError(r);
      expect(r.stderr).toMatch(new RegExp(`^keytrail: ${opt} must be .*\\(got "${value}"\\)\\n$`));
    }
  });

  it('--help teaches both bounds and their defaults', async () => {
    const r = await cliAsync(['query', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--timeout <seconds>\s+stop the query after this many seconds \(0: no limit\)\s+\(default: "60"\)/);
    expect(r.stdout).toMatch(/--max-memory <size>[\s\S]*\(default: "2GB"\)/);
    expect(r.stdout).toContain('Nothing spills to a temporary');
  });
});
