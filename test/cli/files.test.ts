/**
 * `keytrail files` end to end through the built binary: one row per input file with its status,
 * counts, size and sha256, in every format, filtered by status, and written with -o.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, record, sha256, tmpDir, write } from '../helpers.js';
import { ACCOUNT, writeCase, type Case } from '../fixtures/use/case.js';
import { STACK_LINE, cliAsync } from '../fixtures/use/run.js';

type Json = Record<string, any>;

let c: Case;
let dir: string;
let db: string;
/** Every file in the evidence folder, with what `files` must say about it. */
const expected = new Map<string, { status: string; format?: string; events: number; records: number; reason?: RegExp }>();
/** `files --format json`, run once on first use and shared. */
let jsonRun: Promise<Json[]> | undefined;
const jsonRows = () => (jsonRun ??= filesJson([]));

beforeAll(() => {
  dir = tmpDir('kt-files-');
  c = writeCase(dir);
  for (const f of c.files) expected.set(f.path, { status: 'ingested', format: 'cloudtrail-records', events: f.records.length, records: f.records.length });

  const ev = c.evidence;
  const digest = write(
    path.join(
      ev,
      'AWSLogs',
      ACCOUNT,
      'CloudTrail-Digest',
      'us-east-1',
      '2026',
      '10',
      '14',
      `${ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20261014T100000Z.json.gz`,
    ),
    JSON.stringify({
      awsAccountId: ACCOUNT,
      digestStartTime: '2026-10-14T09:00:00Z',
      digestEndTime: '2026-10-14T10:00:00Z',
      digestS3Bucket: 'trail-bucket',
      digestS3Object: 'AWSLogs/x/CloudTrail-Digest/y.json.gz',
      digestPublicKeyFingerprint: 'abc',
      digestSignatureAlgorithm: 'SHA256withRSA',
      newestEventTime: '2026-10-14T09:59:59Z',
      oldestEventTime: '2026-10-14T09:00:01Z',
      previousDigestS3Bucket: null,
      previousDigestHashValue: null,
      logFiles: [],
    }),
  );
  expected.set(digest, { status: 'skipped', format: 'cloudtrail-digest', events: 0, records: 0, reason: /Digest/ });

  // Every record lacks eventTime: nothing can be kept, the file is rejected.
  const noTimes = write(
    path.join(ev, 'broken', 'no-times.json'),
    JSON.stringify({
      Records: [1, 2].map(() => {
        const r = record();
        delete r.eventTime;
        return r;
      }),
    }),
  );
  expected.set(noTimes, { status: 'rejected', events: 0, records: 2, reason: /eventTime/ });

  // One good record, one without eventID: partial.
  const bad = record({ eventName: 'GetBucketAcl' });
  delete bad.eventID;
  const half = write(path.join(ev, 'broken', 'half.json'), JSON.stringify({ Records: [record({ eventTime: '2026-10-17T01:00:00Z' }), bad] }));
  expected.set(half, { status: 'partial', events: 1, records: 2, reason: /eventID/ });

  const dup = write(path.join(ev, 'copy', 'same-as-first.json.gz'), fs.readFileSync(c.files[0]!.path));
  expected.set(dup, { status: 'duplicate-file', events: 0, records: 0 });

  const empty = write(path.join(ev, 'broken', 'empty.json'), '');
  expected.set(empty, { status: 'rejected', events: 0, records: 0, reason: /empty/ });

  const notes = write(path.join(ev, 'NOTES.txt'), 'Exported by the customer on 2026-10-18.\nAsk Bob about us-west-2.\n');
  expected.set(notes, { status: 'skipped', events: 0, records: 0, reason: /neither JSON nor CSV/ });

  db = path.join(dir, 'case.duckdb');
  const r = cli(['ingest', ev, '--db', db, '--quiet']);
  expect(r.status).toBe(0);
});

async function filesJson(args: string[]): Promise<Json[]> {
  const r = await cliAsync(['files', '--db', db, '--format', 'json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

const COLUMNS = [
  'id',
  'path',
  'format',
  'status',
  'reason',
  'records',
  'events',
  'duplicates',
  'rejected_records',
  'bytes',
  'sha256',
  'parent_id',
  'ingested_at',
];

describe.concurrent('keytrail files', () => {
  it('json: one row per input file, with status, format, counts, size and sha256', async () => {
    const rows = await jsonRows();
    expect(rows).toHaveLength(expected.size);
    expect(new Set(rows.map((r) => r.path))).toEqual(new Set(expected.keys()));
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b));
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(COLUMNS);
      const want = expected.get(row.path)!;
      expect({ path: row.path, status: row.status, events: row.events }).toEqual({ path: row.path, status: want.status, events: want.events });
      if (want.format) expect(row.format).toBe(want.format);
      if (want.status !== 'skipped' && want.status !== 'duplicate-file') expect(row.records).toBe(want.records);
      if (want.reason) expect(row.reason).toMatch(want.reason);
      else if (want.status === 'ingested') expect(row.reason).toBeNull();
      expect(row.bytes).toBe(fs.statSync(row.path).size);
      expect(typeof row.bytes).toBe('number');
      if (row.bytes > 0) expect(row.sha256).toBe(sha256(row.path));
      expect(row.parent_id).toBeNull();
      expect(row.ingested_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(rows.reduce((n, r) => n + r.events, 0)).toBe(21);
    const partial = rows.find((r) => r.status === 'partial')!;
    expect(partial).toMatchObject({ records: 2, events: 1, rejected_records: 1 });
  });

  it('--status rejected,partial keeps only those files', async () => {
    const rows = await filesJson(['--status', 'rejected,partial']);
    const want = [...expected].filter(([, w]) => w.status === 'rejected' || w.status === 'partial').map(([p]) => p);
    expect(want).toHaveLength(3);
    expect(rows.map((r) => r.path).sort()).toEqual(want.sort());
    for (const r of rows) expect(r.reason).toMatch(expected.get(r.path)!.reason!);
  });

  it('--status skipped, repeated with --status duplicate-file', async () => {
    const rows = await filesJson(['--status', 'skipped', '--status', 'duplicate-file']);
    expect(rows.map((r) => r.status).sort()).toEqual(['duplicate-file', 'skipped', 'skipped']);
  });

  it('csv: a header row and one row per file, the same as json', async () => {
    const r = await cliAsync(['files', '--db', db, '--format', 'csv']);
    expect(r.status).toBe(0);
    const table = parse(r.stdout) as string[][];
    expect(table[0]).toEqual(COLUMNS);
    const rows = await jsonRows();
    expect(table).toHaveLength(rows.length + 1);
    expect(table.slice(1).map((x) => [x[0], x[1], x[3], x[6], x[10]])).toEqual(
      rows.map((x) => [String(x.id), x.path, x.status, String(x.events), x.sha256 ?? '']),
    );
    // NULLs (reason of an ingested file, parent_id of a top-level file) are empty cells.
    expect(table.slice(1).map((x) => [x[4], x[11]])).toEqual(rows.map((x) => [x.reason ?? '', '']));
  });

  it('jsonl: one object per line, the same rows as json', async () => {
    const r = await cliAsync(['files', '--db', db, '--format', 'jsonl']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(await jsonRows());
  });

  it('table (the default): key columns, a row per file and a row count', async () => {
    const r = await cliAsync(['files', '--db', db]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+status\s+format\s+events\s+duplicates\s+rejected_records\s+path\s+reason$/);
    expect(lines.at(-1)).toBe(`(${expected.size} rows)`);
    const rows = await jsonRows();
    expect(lines.slice(2, -1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual(rows.map((x) => [String(x.id), x.status, x.format, String(x.events)]));
  });

  it('-o writes to a file and nothing to stdout', async () => {
    const out = path.join(tmpDir('kt-files-out-'), 'files.json');
    const r = await cliAsync(['files', '--db', db, '--format', 'json', '--status', 'ingested', '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const rows = JSON.parse(fs.readFileSync(out, 'utf8')) as Json[];
    expect(rows.map((x) => x.path).sort()).toEqual(c.files.map((f) => f.path).sort());
  });

  it('an unknown --status gives exit 2 and names the allowed values', async () => {
    const r = await cliAsync(['files', '--db', db, '--status', 'rejected,broken']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('"broken"');
    expect(r.stderr).toMatch(/ingested, partial, skipped, duplicate-file, rejected/);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});
