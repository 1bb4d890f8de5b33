/**
 * Every evidence shape of ARCHITECTURE.md section 2, recognised by content and loaded with nothing
 * lost: each test writes the shape as customers send it and checks what the case holds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tar from 'tar';
import { CaseDb, ingest } from '../../src/index.js';
import writeZip from './zip-writer.js';
import { FIXTURES, gz, lookupPage, record, records, s3File, tmpDir, write } from '../helpers.js';

async function load(inputs: string[]) {
  const db = path.join(tmpDir(), 'case.duckdb');
  const summary = await ingest(inputs, { db });
  const c = await CaseDb.open(db, { readOnly: true });
  const files = await c.all(`SELECT * FROM files ORDER BY id`);
  const events = await c.all(`SELECT eventID, eventName, eventTime, is_partial, extra_fields, userIdentity FROM events ORDER BY eventTime, eventID`);
  const full = await c.all(`SELECT eventID, record FROM records ORDER BY eventTime, eventID`);
  c.close();
  return { summary, files, events, full, db };
}

const ids = (rs: { eventID?: unknown }[]) => rs.map((r) => r.eventID).sort();

describe('S3 delivery files {"Records":[...]}', () => {
  it('reads .json.gz, plain .json and gzip without a suffix, and keeps every field of every record', async () => {
    const d = tmpDir();
    const a = records(3);
    const b = records(2, { awsRegion: 'eu-west-1' });
    const c = records(2);
    write(`${d}/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/14/111122223333_CloudTrail_us-east-1_20261014T0910Z_abc.json.gz`, s3File(a));
    write(`${d}/console-download.json`, JSON.stringify({ Records: b }, null, 2));
    write(`${d}/renamed-by-customer`, s3File(c));
    const { files, full, summary } = await load([d]);
    expect(files.map((f) => [path.basename(String(f.path)), f.format, f.status, f.events])).toEqual([
      ['111122223333_CloudTrail_us-east-1_20261014T0910Z_abc.json.gz', 'cloudtrail-records', 'ingested', 3],
      ['console-download.json', 'cloudtrail-records', 'ingested', 2],
      ['renamed-by-customer', 'cloudtrail-records', 'ingested', 2],
    ]);
    expect(summary.events).toBe(7);
    const byId = new Map(full.map((r) => [r.eventID, r.record]));
    for (const r of [...a, ...b, ...c]) expect(byId.get(r.eventID)).toEqual(r);
  });

  it('keeps fields it has no column for, at any depth, and times written in other forms', async () => {
    const r = record({
      futureTopLevelField: { nested: [1, 2, { deep: 'x' }] },
      eventTime: '2026-10-14T09:00:00.123Z',
      readOnly: 'maybe',
    });
    (r.userIdentity as Record<string, unknown>).futureIdentityField = 'kept';
    const d = tmpDir();
    write(`${d}/x.json.gz`, s3File([r]));
    const { full, events } = await load([d]);
    expect(full[0]!.record).toEqual(r);
    expect(events[0]!.eventTime).toBe('2026-10-14T09:00:00.123Z');
  });
});

describe('aws cloudtrail lookup-events output', () => {
  it('reads the CloudTrailEvent strings, across pages appended to one file', async () => {
    const recs = records(5);
    const d = tmpDir();
    write(`${d}/lookup.json`, `${lookupPage(recs.slice(0, 3), 'token-1')}\n${lookupPage(recs.slice(3))}`);
    const { files, full } = await load([d]);
    expect(files[0]).toMatchObject({ format: 'lookup-events', status: 'ingested', events: 5, records: 5 });
    expect(full.map((r) => r.record)).toEqual(recs);
  });

  it('rejects an entry whose EventId contradicts its CloudTrailEvent, and keeps the rest', async () => {
    const recs = records(3);
    const page = JSON.parse(lookupPage(recs));
    page.Events[1].EventId = 'not-the-same-id';
    const d = tmpDir();
    write(`${d}/lookup.json`, JSON.stringify(page));
    const { files } = await load([d]);
    expect(files[0]).toMatchObject({ status: 'partial', events: 2, rejected_records: 1 });
    expect(String(files[0]!.reason)).toMatch(/EventId not-the-same-id does not match/);
  });
});

describe('JSON Lines and JSON arrays', () => {
  it('reads JSON Lines and a bare array', async () => {
    const a = records(4);
    const b = records(3);
    const d = tmpDir();
    write(`${d}/siem-export.ndjson`, `${a.map((r) => JSON.stringify(r)).join('\n')}\n`);
    write(`${d}/lake-export.json`, JSON.stringify(b, null, 1));
    const { files, full } = await load([d]);
    expect(files.map((f) => [f.format, f.events])).toEqual([
      ['json-array', 3],
      ['jsonl', 4],
    ]);
    expect(ids(full)).toEqual(ids([...a, ...b]));
  });

  it('reads Logstash output (the OTRF dataset): @timestamp stands in for the missing eventTime', async () => {
    const src = path.join(FIXTURES, 'otrf/ec2_proxy_s3_exfiltration_2020-09-14011940.json');
    const lines = fs
      .readFileSync(src, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const { files, events, full } = await load([src]);
    expect(files[0]).toMatchObject({ format: 'jsonl', status: 'ingested', events: lines.length });
    const first = lines.sort((x, y) => x['@timestamp'].localeCompare(y['@timestamp']))[0];
    expect(events[0]!.eventTime).toBe(first['@timestamp']);
    // @timestamp and @version are kept as they were.
    const rebuilt = full.find((r) => r.eventID === first.eventID)!.record as Record<string, unknown>;
    expect(rebuilt['@timestamp']).toBe(first['@timestamp']);
    expect(rebuilt['@version']).toBe(first['@version']);
  });
});

describe('CSV', () => {
  const header =
    'Event ID,Event time,User name,Event name,Resource type,Resource name,AWS access key,AWS region,Error code,Source IP address,Event source,Read-only,CloudTrail event';
  const csvCell = (s: string) => `"${s.replace(/"/g, '""')}"`;

  it('reads the console download with its CloudTrail event column as full records', async () => {
    const recs = records(3);
    const rows = recs.map((r) =>
      [
        r.eventID,
        r.eventTime,
        'ci-deploy',
        r.eventName,
        '',
        '',
        'AKIAEXAMPLELEAKED001',
        r.awsRegion,
        '',
        r.sourceIPAddress,
        r.eventSource,
        'true',
        csvCell(JSON.stringify(r)),
      ].join(','),
    );
    const d = tmpDir();
    write(`${d}/event_history.csv`, `${[header, ...rows].join('\r\n')}\r\n`);
    const { files, full, events } = await load([d]);
    expect(files[0]).toMatchObject({ format: 'console-csv', status: 'ingested', events: 3 });
    expect(events.every((e) => e.is_partial === false)).toBe(true);
    expect(full.map((r) => r.record)).toEqual(recs);
  });

  it('accepts a field-limited console CSV and marks its records partial; unknown columns are kept', async () => {
    const limited = 'Event ID,Event time,User name,Event name,Resource type,Resource name,AWS access key,AWS region,Error code,Source IP address,Event source';
    const d = tmpDir();
    write(
      `${d}/event_history.csv`,
      `${limited}\n0a1b2c3d-0000-4000-8000-000000000001,2026-10-14T09:12:03Z,ci-deploy,CreateUser,AWS::IAM::User,svc-backup,AKIAEXAMPLELEAKED001,us-east-1,,203.0.113.7,iam.amazonaws.com\n`,
    );
    const { files, events, full } = await load([d]);
    expect(files[0]).toMatchObject({ format: 'csv-limited', status: 'partial', events: 1 });
    expect(String(files[0]!.reason)).toMatch(/field-limited/);
    expect(events[0]).toMatchObject({ eventID: '0a1b2c3d-0000-4000-8000-000000000001', eventName: 'CreateUser', is_partial: true });
    expect(full[0]!.record).toMatchObject({
      userIdentity: { userName: 'ci-deploy', accessKeyId: 'AKIAEXAMPLELEAKED001' },
      sourceIPAddress: '203.0.113.7',
      'Resource type': 'AWS::IAM::User',
      'Resource name': 'svc-backup',
    });
  });

  it('reads the 8-column CSV of aws-cli + jq scripts, with a header or without one', async () => {
    const d = tmpDir();
    const row = (id: string, name: string) =>
      `${id},${name},false,AKIAEXAMPLELEAKED001,2026-10-14T09:12:03+00:00,iam.amazonaws.com,ci-deploy,"[{""ResourceType"":""AWS::IAM::User""}]"`;
    write(
      `${d}/with-header.csv`,
      `EventId,EventName,ReadOnly,AccessKeyId,EventTime,EventSource,Username,Resources\n${row('11111111-1111-4111-8111-111111111111', 'CreateUser')}\n`,
    );
    write(
      `${d}/no-header.csv`,
      `${row('22222222-2222-4222-8222-222222222222', 'CreateAccessKey')}\n${row('33333333-3333-4333-8333-333333333333', 'AttachUserPolicy')}\n`,
    );
    const { files, full } = await load([d]);
    expect(files.map((f) => [path.basename(String(f.path)), f.status, f.events])).toEqual([
      ['no-header.csv', 'partial', 2],
      ['with-header.csv', 'partial', 1],
    ]);
    const rec = full.find((r) => r.eventID === '22222222-2222-4222-8222-222222222222')!.record;
    expect(rec).toMatchObject({
      eventName: 'CreateAccessKey',
      eventSource: 'iam.amazonaws.com',
      readOnly: false,
      userIdentity: { userName: 'ci-deploy', accessKeyId: 'AKIAEXAMPLELEAKED001' },
    });
  });

  it('derives a stable eventID for rows that have none, so the same row in two files is one event', async () => {
    const d = tmpDir();
    const csv = 'Event time,Event name,Event source,User name\n2026-10-14T09:12:03Z,CreateUser,iam.amazonaws.com,ci-deploy\n';
    write(`${d}/a.csv`, csv);
    write(`${d}/b/copy.csv`, csv.replace('\n2026', '\n2026').concat('2026-10-14T09:13:00Z,CreateAccessKey,iam.amazonaws.com,ci-deploy\n'));
    const { events, summary } = await load([d]);
    expect(events).toHaveLength(2);
    expect(String(events[0]!.eventID)).toMatch(/^keytrail-row-[0-9a-f]{32}$/);
    expect(summary.duplicates).toBe(1);
  });

  it('reads a UTF-16 CSV (Excel "Unicode text")', async () => {
    const d = tmpDir();
    const text = 'Event time,Event name,Event source,User name\n2026-10-14T09:12:03Z,DeleteLoginProfile,iam.amazonaws.com,bob\n';
    write(`${d}/utf16.csv`, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const { events } = await load([d]);
    expect(events.map((e) => e.eventName)).toEqual(['DeleteLoginProfile']);
  });
});

describe('bundles', () => {
  it('reads .zip and .tar.gz with nested folders, entries named archive!/path', async () => {
    const src = tmpDir();
    const a = records(2);
    const b = records(3);
    write(`${src}/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/14/a.json.gz`, s3File(a));
    write(`${src}/console/lookup.json`, lookupPage(b));
    const out = tmpDir();
    await tar.c({ gzip: true, file: `${out}/bundle.tar.gz`, cwd: src }, ['AWSLogs', 'console']);
    const zipPath = `${out}/bundle.zip`;
    await writeZip(zipPath, [
      { name: 'evidence/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/14/a.json.gz', data: s3File(a) },
      { name: 'evidence/nested/inner.tar.gz', data: fs.readFileSync(`${out}/bundle.tar.gz`) },
    ]);
    const { files, full } = await load([zipPath]);
    const rows = files
      .map((f) => [String(f.path).slice(out.length + 1), f.format, f.status, f.events, f.duplicates])
      .sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1));
    expect(rows).toEqual([
      ['bundle.zip', 'zip', 'ingested', 0, 0],
      ['bundle.zip!/evidence/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/14/a.json.gz', 'cloudtrail-records', 'ingested', 2, 0],
      ['bundle.zip!/evidence/nested/inner.tar.gz', 'tar.gz', 'ingested', 0, 0],
      ['bundle.zip!/evidence/nested/inner.tar.gz!/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/14/a.json.gz', 'duplicate', 'duplicate-file', 0, 0],
      ['bundle.zip!/evidence/nested/inner.tar.gz!/console/lookup.json', 'lookup-events', 'ingested', 3, 0],
    ]);
    expect(ids(full)).toEqual(ids([...a, ...b]));
  });
});

describe('non-event files', () => {
  it('skips CloudTrail-Digest files and OS metadata with a reason', async () => {
    const d = tmpDir();
    const digest = {
      awsAccountId: '111122223333',
      digestStartTime: '2026-10-14T08:00:00Z',
      digestEndTime: '2026-10-14T09:00:00Z',
      digestS3Bucket: 'b',
      digestS3Object: 'o',
      logFiles: [],
    };
    write(`${d}/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/14/d.json.gz`, gz(JSON.stringify(digest)));
    write(`${d}/.DS_Store`, Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31, 0, 0]));
    write(`${d}/NOTES.md`, '# case notes\nthe customer says the key leaked on Monday\n');
    const { files, summary } = await load([d]);
    expect(files.map((f) => [path.basename(String(f.path)), f.status, f.format]).sort()).toEqual([
      ['.DS_Store', 'skipped', 'system'],
      ['NOTES.md', 'skipped', 'text'],
      ['d.json.gz', 'skipped', 'cloudtrail-digest'],
    ]);
    expect(files.every((f) => String(f.reason).length > 10)).toBe(true);
    expect(summary.files.skipped).toBe(3);
  });
});
