/**
 * detect's output: the table grouped by rule x principal x access key (count, first and last time,
 * regions, highest level first), --ungrouped one line per finding, and CSV / JSON / JSONL keeping
 * every finding with all its eventIDs, over a case with many findings of a few groups.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, record, s3File, tmpDir, write } from '../helpers.js';

let db: string;
let rules: string;
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2'];
const who = (key: string, user: string) => ({
  type: 'IAMUser',
  principalId: `AIDA${user.toUpperCase()}`,
  arn: `arn:aws:iam::111122223333:user/${user}`,
  accountId: '111122223333',
  accessKeyId: key,
  userName: user,
});

const rule = (id: string, title: string, level: string, eventName: string) =>
  `title: ${title}\nid: ${id}\nstatus: test\nlevel: ${level}\nlogsource: {product: aws, service: cloudtrail}\n` +
  `detection:\n  selection: {eventName: ${eventName}}\n  condition: selection\noutput:\n  summary: "{eventName} in {awsRegion}"\n`;

beforeAll(() => {
  const d = tmpDir();
  const a = who('AKIAGROUPKEYA0000001', 'alice');
  const b = who('AKIAGROUPKEYB0000002', 'bob');
  const events = [
    // 300 low findings of one group, in three regions; then one high by another key.
    ...Array.from({ length: 300 }, (_, i) => record({ userIdentity: a, eventName: 'ListUsers', awsRegion: REGIONS[i % 3] })),
    record({ userIdentity: b, eventName: 'CreateUser', readOnly: false, requestParameters: { userName: 'x' } }),
    ...Array.from({ length: 2 }, () => record({ userIdentity: a, eventName: 'CreateUser', readOnly: false, requestParameters: { userName: 'y' } })),
  ];
  write(path.join(d, 'ev/a.json.gz'), s3File(events));
  db = path.join(d, 'case.duckdb');
  expect(cli(['ingest', path.join(d, 'ev'), '--db', db, '--quiet']).status).toBe(0);
  rules = path.join(d, 'rules');
  write(path.join(rules, 'list.yml'), rule('11111111-1111-4111-8111-111111111111', 'Users listed', 'low', 'ListUsers'));
  write(path.join(rules, 'create.yml'), rule('22222222-2222-4222-8222-222222222222', 'User created', 'high', 'CreateUser'));
}, 60_000);

const detect = (...args: string[]) => {
  const r = cli(['detect', '--db', db, '--rules', rules, '--no-builtin', ...args]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};
/** A table's lines under its header and rule, cells split on the two spaces between columns. */
const tableRows = (out: string) =>
  out
    .trimEnd()
    .split('\n')
    .slice(2, -1)
    .map((l) => l.split(/ {2,}/));

describe('keytrail detect output', () => {
  it('table: one line per rule x principal x access key, highest level first, with count, first, last and regions', () => {
    const out = detect();
    const [header] = out.split('\n');
    expect(header!.split(/ {2,}/)).toEqual([
      'level',
      'title',
      'principal',
      'accessKey',
      'findings',
      'first',
      'last',
      'regions',
      'first summary',
      'rule',
      'author',
    ]);
    const rows = tableRows(out);
    expect(rows.map((r) => r.slice(0, 5))).toEqual([
      ['high', 'User created', 'arn:aws:iam::111122223333:user/bob', 'AKIAGROUPKEYB0000002', '1'],
      ['high', 'User created', 'arn:aws:iam::111122223333:user/alice', 'AKIAGROUPKEYA0000001', '2'],
      ['low', 'Users listed', 'arn:aws:iam::111122223333:user/alice', 'AKIAGROUPKEYA0000001', '300'],
    ]);
    const low = rows[2]!;
    expect(low[5]! < low[6]!).toBe(true);
    expect(low[7]).toBe(REGIONS.join(', '));
    expect(low[8]).toBe('ListUsers in eu-west-1');
    expect(out.trimEnd().split('\n').at(-1)).toBe('(3 rows)');
  });

  it('--ungrouped: one line per finding, in time order', () => {
    const rows = tableRows(detect('--ungrouped'));
    expect(rows).toHaveLength(303);
    expect(rows.map((r) => r[0])).toEqual(rows.map((r) => r[0]).sort());
  });

  it('csv, json and jsonl keep every finding with all its eventIDs (--ungrouped changes nothing there)', () => {
    const json = JSON.parse(detect('--format', 'json')) as { eventIDs: string[] }[];
    expect(json).toHaveLength(303);
    expect(json.every((f) => f.eventIDs.length === 1)).toBe(true);
    expect(detect('--format', 'jsonl').trim().split('\n')).toHaveLength(303);
    const csv = detect('--format', 'csv');
    expect(csv.trim().split('\n')).toHaveLength(304);
    for (const f of json) expect(csv).toContain(f.eventIDs[0]);
    expect(detect('--format', 'csv', '--ungrouped')).toBe(csv);
  });
});
