/**
 * Issue 15 point 6: coverage that warns. Evidence of one region, starting minutes before the leaked
 * key's first use, with a truncated file beside it: the report's summary and Coverage say each, and
 * each is gone when the evidence does not have the limit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, record, s3File, tmpDir, write } from '../helpers.js';
import { iamUser } from './incident.js';

const KEY = 'AKIACOVERAGEKEY00001';
const who = iamUser('ci', KEY);
const call = (t: string, region: string, extra: Record<string, unknown> = {}) =>
  record({
    eventTime: t,
    userIdentity: who,
    awsRegion: region,
    eventName: 'CreateUser',
    readOnly: false,
    requestParameters: { userName: `u${t.slice(11, 13)}` },
    ...extra,
  });

function summaryOf(files: Record<string, Buffer | string>): { summary: string; md: string } {
  const d = tmpDir();
  for (const [name, body] of Object.entries(files)) write(path.join(d, 'ev', name), body);
  const out = path.join(d, 'case');
  const r = cli(['investigate', path.join(d, 'ev'), '--key', KEY, '--out', out]);
  expect(r.status, r.stderr).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  return { summary: json.summary.join('\n'), md: fs.readFileSync(path.join(out, 'report.md'), 'utf8') };
}

describe('coverage that warns', () => {
  it('one region, a start minutes before the key, a rejected file: each said in the summary and under Coverage', () => {
    const { summary, md } = summaryOf({
      'a.json.gz': s3File([
        record({ eventTime: '2026-10-14T02:55:00Z', awsRegion: 'us-east-1', eventName: 'DescribeRegions' }),
        call('2026-10-14T03:00:00Z', 'us-east-1'),
      ]),
      'truncated.json': '{"Records": [{"eventVersion":"1.08","eventTime":"2026-10-14T03:00:00Z"',
    });
    for (const text of [summary, md.slice(md.indexOf('## Coverage'))]) {
      expect(text).toMatch(/the evidence holds one region only \(us-east-1\)/);
      expect(text).toMatch(/1 input file\(s\) were rejected \(1 record\(s\) in them\), so their events are not in this report: .*truncated\.json/);
      expect(text).toMatch(/the evidence starts at 2026-10-14T02:55:00Z, less than a day before the seed's first use in it \(2026-10-14T03:00:00Z\)/);
    }
    expect(summary).toMatch(/Evidence limits \(4\)/);
  });

  it('says none of it when the evidence has days before the key, several regions and no rejected file', () => {
    const { summary } = summaryOf({
      'a.json.gz': s3File([
        record({ eventTime: '2026-10-10T00:00:00Z', awsRegion: 'us-east-1', eventName: 'DescribeRegions' }),
        record({ eventTime: '2026-10-10T00:00:00Z', awsRegion: 'eu-west-1', eventName: 'DescribeRegions' }),
        call('2026-10-14T03:00:00Z', 'us-east-1'),
      ]),
    });
    expect(summary).not.toMatch(/one region only|rejected|less than a day before/);
  });
});
