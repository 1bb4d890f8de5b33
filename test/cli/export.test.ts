/**
 * `keytrail export` end to end through the built binary: parquet partitioned by region and date
 * (read back with DuckDB), jsonl of whole records, csv of every column, and a Timesketch timeline.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { write } from '../helpers.js';
import { LEAKED_KEY, SESSION_ARN, ingestCase, type Case } from '../fixtures/use/case.js';
import { STACK_LINE, cliAsync } from '../fixtures/use/run.js';

type Json = Record<string, any>;

let c: Case;
let dir: string;
let db: string;

beforeAll(() => {
  ({ c, dir, db } = ingestCase('kt-export-'));
});

const exportTo = (format: string, out: string) => cliAsync(['export', '--format', format, '-o', out, '--db', db]);

/** Run SQL on a fresh in-memory DuckDB (the reader an analyst would use), rows as JSON values. */
async function duck(sql: string): Promise<Json[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Json[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** `export --format csv`, run once and shared by the tests that read it. */
let csvRows: Promise<Record<string, string>[]> | undefined;
const csvExport = () =>
  (csvRows ??= (async () => {
    const out = path.join(dir, 'case.csv');
    const r = await exportTo('csv', out);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.status).toBe(0);
    return parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
  })());

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

describe.concurrent('keytrail export', () => {
  it('parquet: a folder partitioned region=<r>/date=<YYYY-MM-DD>/ that DuckDB reads back whole', async () => {
    const out = path.join(dir, 'parquet-out');
    const r = await exportTo('parquet', out);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');

    // The folders: exactly the regions and days of the case.
    const want = new Map<string, Set<string>>();
    for (const rec of c.records) {
      const days = want.get(rec.awsRegion) ?? new Set<string>();
      days.add(rec.eventTime.slice(0, 10));
      want.set(rec.awsRegion, days);
    }
    expect(fs.readdirSync(out).sort()).toEqual([...want.keys()].map((x) => `region=${x}`).sort());
    for (const [region, days] of want) {
      const regionDir = path.join(out, `region=${region}`);
      expect(fs.readdirSync(regionDir).sort()).toEqual([...days].map((d) => `date=${d}`).sort());
      for (const d of days) expect(fs.readdirSync(path.join(regionDir, `date=${d}`)).some((f) => f.endsWith('.parquet'))).toBe(true);
    }

    const glob = sqlString(path.join(out, '**', '*.parquet'));
    const src = `read_parquet(${glob}, hive_partitioning = true)`;
    const [count] = await duck(`SELECT count(*)::INTEGER AS n, count(DISTINCT eventID)::INTEGER AS ids FROM ${src}`);
    expect(count).toEqual({ n: c.records.length, ids: c.records.length });

    // Per partition, the events of that region and day.
    const parts = await duck(`SELECT region, strftime(date::DATE, '%Y-%m-%d') AS day, count(*)::INTEGER AS n FROM ${src} GROUP BY ALL ORDER BY ALL`);
    const expectedParts = new Map<string, number>();
    for (const rec of c.records) {
      const k = `${rec.awsRegion} ${rec.eventTime.slice(0, 10)}`;
      expectedParts.set(k, (expectedParts.get(k) ?? 0) + 1);
    }
    expect(Object.fromEntries(parts.map((p) => [`${p.region} ${p.day}`, p.n]))).toEqual(Object.fromEntries(expectedParts));

    // Same columns and nesting as events: userIdentity is still a struct.
    const types = Object.fromEntries((await duck(`DESCRIBE SELECT * FROM ${src}`)).map((x) => [x.column_name, x.column_type as string]));
    expect(types.userIdentity).toMatch(/^STRUCT\(/);
    expect(types.userIdentity).toContain('sessionContext STRUCT(');
    expect(types.eventTime).toMatch(/^TIMESTAMP/);
    const role = c.byLabel['role-getobject']!;
    const [row] = await duck(
      `SELECT userIdentity.accessKeyId AS key, userIdentity.sessionContext.sessionIssuer.userName AS issuer, userIdentity.arn AS arn,
              strftime(eventTime, '%Y-%m-%dT%H:%M:%SZ') AS t, eventName
       FROM ${src} WHERE eventID = ${sqlString(role.eventID)}`,
    );
    expect(row).toEqual({ key: (role.userIdentity as Json).accessKeyId, issuer: 'ops-admin', arn: SESSION_ARN, t: role.eventTime, eventName: 'GetObject' });
    const [leaked] = await duck(`SELECT count(*)::INTEGER AS n FROM ${src} WHERE userIdentity.accessKeyId = ${sqlString(LEAKED_KEY)}`);
    expect(leaked!.n).toBe(c.records.filter((x) => (x.userIdentity as Json).accessKeyId === LEAKED_KEY).length);
  });

  it('parquet: a non-empty output folder is refused with exit 2, and left as it was', async () => {
    const out = path.join(dir, 'parquet-busy');
    write(path.join(out, 'keep-me.txt'), 'previous work\n');
    const r = await exportTo('parquet', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(out);
    expect(r.stderr).toMatch(/not empty/);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(fs.readdirSync(out)).toEqual(['keep-me.txt']);
    expect(fs.readFileSync(path.join(out, 'keep-me.txt'), 'utf8')).toBe('previous work\n');
  });

  it('jsonl: one line per event in time order, each the record as ingested', async () => {
    const out = path.join(dir, 'case.jsonl');
    const r = await exportTo('jsonl', out);
    expect(r.status).toBe(0);
    const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(c.records.length);
    const recs = lines.map((l) => JSON.parse(l) as Json);
    expect(recs.map((x) => x.eventID)).toEqual(c.records.map((x) => x.eventID));
    const unknown = c.byLabel['ci-describeregions-unknown']!;
    expect(recs.find((x) => x.eventID === unknown.eventID)).toMatchObject({ addendumX: { a: 1 }, userIdentity: unknown.userIdentity });
    for (let i = 0; i < recs.length; i++) expect({ i, record: recs[i] }).toEqual({ i, record: c.records[i] });
  });

  it('csv: a header and one row per event, in time order, nested values as JSON text', async () => {
    const rows = await csvExport();
    expect(rows).toHaveLength(c.records.length);
    expect(Object.keys(rows[0]!)).toEqual(
      expect.arrayContaining(['eventID', 'eventTime', 'eventName', 'awsRegion', 'userIdentity', 'requestParameters', 'file_id']),
    );
    expect(rows.map((x) => x.eventID)).toEqual(c.records.map((x) => x.eventID));
    expect(rows.map((x) => x.eventTime)).toEqual(c.records.map((x) => x.eventTime));
    const i = c.records.indexOf(c.byLabel['ci-createuser']!);
    expect(JSON.parse(rows[i]!.requestParameters!)).toEqual(c.records[i]!.requestParameters);
    expect(JSON.parse(rows[i]!.userIdentity!)).toMatchObject({ userName: 'ci-deploy', accessKeyId: LEAKED_KEY });
    expect(rows[i]!.readOnly).toBe('false');
  });

  it('csv: NULL values are empty cells', async () => {
    const rows = await csvExport();
    const row = rows.find((x) => x.eventID === c.byLabel['ci-listusers']!.eventID)!;
    expect(row.errorCode).toBe('');
    expect(row.requestParameters).toBe('');
  });

  it('timeline: Timesketch CSV, message/datetime/timestamp_desc first, ISO-8601 datetimes in time order', async () => {
    const out = path.join(dir, 'timeline.csv');
    const r = await exportTo('timeline', out);
    expect(r.status).toBe(0);
    const table = parse(fs.readFileSync(out, 'utf8')) as string[][];
    expect(table[0]!.slice(0, 3)).toEqual(['message', 'datetime', 'timestamp_desc']);
    const rows = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(c.records.length);
    expect(rows.map((x) => x.event_id)).toEqual(c.records.map((x) => x.eventID));
    for (const [k, row] of rows.entries()) {
      expect(row.datetime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
      expect(Date.parse(row.datetime!)).toBe(Date.parse(c.records[k]!.eventTime));
      expect(row.timestamp_desc).not.toBe('');
      expect(row.message).toContain(c.records[k]!.eventName);
    }
    const times = rows.map((x) => Date.parse(x.datetime!));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const denied = rows.find((x) => x.event_id === c.byLabel['role-keypair-denied']!.eventID)!;
    expect(denied.message).toContain(SESSION_ARN);
    expect(denied.message).toContain('Client.UnauthorizedOperation');
  });

  it('an unknown format gives exit 2 and names the formats', async () => {
    const out = path.join(dir, 'x.out');
    const r = await exportTo('xlsx', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/parquet, csv, jsonl, timeline/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
