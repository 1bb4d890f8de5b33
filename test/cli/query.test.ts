/**
 * `keytrail query "<SQL>"` end to end through the built binary: read-only, one statement, no file
 * access, the output formats (JSON types, timestamps, nested JSON and structs), and its errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256, tmpDir } from '../helpers.js';
import { LEAKED_KEY, ROLE_NAME, SESSION_KEY, ingestCase, type Case } from '../fixtures/use/case.js';
import { STACK_LINE, cliAsync, expectUserError } from '../fixtures/use/run.js';

type Json = Record<string, any>;

let c: Case;
let dir: string;
let db: string;
let dbSha: string;

beforeAll(() => {
  ({ c, dir, db } = ingestCase('kt-query-'));
  dbSha = sha256(db);
});

const query = (sql: string, ...args: string[]) => cliAsync(['query', sql, '--db', db, ...args]);
async function queryJson(sql: string): Promise<Json[]> {
  const r = await query(sql, '--format', 'json');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

/** Run once, on first use, and share the result between the tests that look at it. */
const shared = <T>(f: () => Promise<T>) => {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
};

const WRITES = [
  `INSERT INTO events (eventID, eventTime, eventName) VALUES ('injected', TIMESTAMP '2026-10-14 09:00:00', 'Injected')`,
  `CREATE TABLE notes AS SELECT 1 AS a`,
  `DELETE FROM events WHERE eventName = 'CreateUser'`,
];
const writeAttempts = shared(() => Promise.all(WRITES.map((sql) => query(sql))));
const unknownColumn = shared(() => query(`SELECT eventName FROM events WHERE nosuchcolumn = 1`));

describe('keytrail query is read-only', () => {
  it('INSERT, CREATE and DELETE fail with exit 2 and a message, and the database is unchanged', async () => {
    const results = await writeAttempts();
    for (const r of results) {
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^keytrail: \S/);
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
    expect(sha256(db)).toBe(dbSha);
    const [row] = await queryJson(
      `SELECT count(*) AS n, count(*) FILTER (WHERE eventName = 'CreateUser') AS createUser,
              (SELECT count(*) FROM information_schema.tables WHERE table_name = 'notes') AS notes FROM events`,
    );
    expect(row).toEqual({ n: 20, createUser: 1, notes: 0 });
  });

  it("the refusal says the case is read-only (not a syntax error in keytrail's DESCRIBE wrapper)", async () => {
    const results = await writeAttempts();
    for (const r of results) {
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/read[- ]only/i);
      // Not a "syntax error" in a statement the user never wrote (keytrail's own DESCRIBE wrapper).
      expect(r.stderr).not.toContain('DESCRIBE');
      expect(r.stderr).not.toMatch(/syntax error/i);
    }
  });
});

describe.concurrent('keytrail query refuses what is not one query over the case', () => {
  it('two statements are refused, and neither runs', async () => {
    const r = await query(`SELECT 1; DROP TABLE events`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/one SQL statement/);
    expect(r.stderr).toMatch(/\b2\b/);
    expect(sha256(db)).toBe(dbSha);
  });

  it("file access is refused: read_json('/etc/passwd')", async () => {
    const r = await query(`SELECT * FROM read_json('/etc/passwd')`, '--format', 'csv');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stdout + r.stderr).not.toContain('root:');
    expect(r.stderr).toMatch(/\/etc\/passwd/);
    expect(r.stderr).toMatch(/disabled|not allowed|permission/i);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('file access is refused: COPY events TO a file writes nothing', async () => {
    const target = path.join(tmpDir('kt-query-copy-'), 'x.csv');
    const r = await query(`COPY events TO '${target}'`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^keytrail: \S/);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(fs.existsSync(target)).toBe(false);
  });
});

/** One JSON query for the type tests: an aggregate, a row with JSON columns and a struct, a record. */
const jsonTypes = shared(() =>
  query(
    `SELECT (SELECT count(*) FROM events) AS n, (SELECT min(eventTime) FROM events) AS first,
            eventID, eventTime, readOnly, requestParameters, responseElements, userIdentity,
            (SELECT record FROM records r WHERE r.eventID = e.eventID) AS record
     FROM events e WHERE eventName = 'CreateUser'`,
    '--format',
    'json',
  ),
);
/** One CSV query: JSON cells, a NULL errorCode and (for ListFunctions) a NULL requestParameters. */
const csvSession = shared(() =>
  query(
    `SELECT eventTime, eventName, errorCode, requestParameters FROM events WHERE userIdentity.accessKeyId = '${SESSION_KEY}' ORDER BY eventTime`,
    '--format',
    'csv',
  ),
);

describe.concurrent('keytrail query output formats', () => {
  it('json: an array; count(*) is a JSON number; timestamps are ISO-8601 UTC ending in Z', async () => {
    const r = await jsonTypes();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/"n":20,/);
    const rows = JSON.parse(r.stdout) as Json[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.n).toBe(20);
    expect(rows[0]!.first).toBe('2026-10-14T09:00:01.000Z');
    expect(rows[0]!.eventTime).toBe('2026-10-14T09:00:05.000Z');
  });

  it('json: JSON columns nest as objects, structs as objects, booleans as booleans', async () => {
    const input = c.byLabel['ci-createuser']!;
    const [row] = JSON.parse((await jsonTypes()).stdout) as Json[];
    expect(row!.eventID).toBe(input.eventID);
    expect(row!.readOnly).toBe(false);
    expect(row!.requestParameters).toEqual(input.requestParameters);
    expect(row!.responseElements).toEqual(input.responseElements);
    expect(row!.userIdentity).toMatchObject({ type: 'IAMUser', userName: 'ci-deploy', accessKeyId: LEAKED_KEY, arn: (input.userIdentity as Json).arn });
  });

  it('json: the records view gives the whole record as ingested', async () => {
    const [row] = JSON.parse((await jsonTypes()).stdout) as Json[];
    expect(row!.record).toEqual(c.byLabel['ci-createuser']);
  });

  it('jsonl: one object per line; nested struct fields work (userIdentity.accessKeyId, ...sessionIssuer.userName)', async () => {
    const r = await query(
      `SELECT userIdentity.accessKeyId AS key, count(*) AS n,
              count(*) FILTER (WHERE userIdentity.sessionContext.sessionIssuer.userName = '${ROLE_NAME}') AS viaRole
       FROM events GROUP BY ALL ORDER BY key NULLS LAST`,
      '--format',
      'jsonl',
    );
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const expected = new Map<string | null, number>();
    for (const rec of c.records) {
      const k = ((rec.userIdentity as Json).accessKeyId as string | undefined) ?? null;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    expect(lines).toHaveLength(expected.size);
    const rows = lines.map((l) => JSON.parse(l) as Json);
    const keys = [...expected.keys()].filter((k): k is string => k !== null).sort();
    expect(rows).toEqual([...keys.map((key) => ({ key, n: expected.get(key), viaRole: key === SESSION_KEY ? 4 : 0 })), { key: null, n: 1, viaRole: 0 }]);
  });

  it('csv parses back, with a header row; JSON cells hold JSON text', async () => {
    const r = await csvSession();
    expect(r.status).toBe(0);
    const rows = parse(r.stdout) as string[][];
    expect(rows[0]).toEqual(['eventTime', 'eventName', 'errorCode', 'requestParameters']);
    const body = rows.slice(1);
    const expected = ['role-getobject', 'role-putpolicy', 'role-keypair-denied', 'role-listfunctions'].map((l) => c.byLabel[l]!);
    expect(body).toHaveLength(4);
    expect(body.map((x) => [x[0], x[1]])).toEqual(expected.map((e) => [e.eventTime.replace('Z', '.000Z'), e.eventName]));
    expect(body[2]![2]).toBe('Client.UnauthorizedOperation');
    expect(body.slice(0, 3).map((x) => JSON.parse(x[3]!))).toEqual(expected.slice(0, 3).map((e) => e.requestParameters));
  });

  it('csv: a NULL is an empty cell', async () => {
    const rows = parse((await csvSession()).stdout) as string[][];
    expect(rows[1]![2]).toBe('');
    expect(rows[4]!.slice(1)).toEqual(['ListFunctions20150331', '', '']);
  });

  it('table prints a header and a row count', async () => {
    const r = await query(`SELECT awsRegion, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC, awsRegion`);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^awsRegion\s+n$/);
    expect(lines[1]).toMatch(/^-+\s+-+$/);
    const counts = new Map<string, number>();
    for (const x of c.records) counts.set(x.awsRegion, (counts.get(x.awsRegion) ?? 0) + 1);
    const expected = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([reg, n]) => [reg, String(n)]);
    expect(expected[0]).toEqual(['us-east-1', '13']);
    expect(lines.slice(2, -1).map((l) => l.split(/\s+/))).toEqual(expected);
    expect(lines.at(-1)).toBe('(4 rows)');
  });

  it('-o writes the result to a file, nothing to stdout', async () => {
    const out = path.join(tmpDir('kt-query-out-'), 'q.jsonl');
    const r = await query(`SELECT eventID FROM events ORDER BY eventTime`, '--format', 'jsonl', '-o', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).eventID)).toEqual(c.records.map((x) => x.eventID));
  });
});

describe.concurrent('keytrail query errors', () => {
  it('a missing database: exit 2, a message naming the file and telling to run ingest; nothing created', async () => {
    const missing = path.join(dir, 'no-such-case.duckdb');
    const r = await cliAsync(['query', 'SELECT 1', '--db', missing]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toMatch(/keytrail ingest/);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it("bad SQL: exit 2 and DuckDB's message, no stack trace", async () => {
    const r = await query(`SELEC * FROM events`);
    expectUserError(r);
    expect(r.stderr).toMatch(/Parser Error/);
    expect(r.stderr).toMatch(/syntax error at or near/);
  });

  it("an unknown column: exit 2 and DuckDB's binder message naming it", async () => {
    const r = await unknownColumn();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Binder Error/);
    expect(r.stderr).toContain('nosuchcolumn');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('--debug adds the statement that failed, each line made printable, and the stack; without it, neither', async () => {
    const hostile = `SELECT '\u001b]0;owned\u0007' AS a,\n       nosuchcolumn FROM events`;
    const r = await query(hostile, '--debug');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`\nthe statement that failed:\n  SELECT '\\x1b]0;owned\\x07' AS a,\n         nosuchcolumn FROM events\n`);
    expect(r.stderr).toMatch(STACK_LINE);
    expect(r.stderr).not.toMatch(/[\u001b\u0007]/);
    const plain = await query(hostile);
    expectUserError(plain);
    expect(plain.stderr).not.toContain('the statement that failed');
  });

  it('error messages quote the SQL as the user wrote it', async () => {
    const r = await unknownColumn();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('SELECT eventName FROM events WHERE nosuchcolumn = 1');
    expect(r.stderr).not.toContain('DESCRIBE');
  });
});
