/**
 * Issue 15 point 4: Step 4 as a billing-adjustment evidence pack. Two GPU instances, one terminated
 * after half an hour, the evidence going on ten hours; a quota increase and a support case; the
 * attacker's key deleted: per-resource lifetimes, instance-hours by type (GPU flagged), an estimate
 * only from --prices, each event once; a bad --prices line is one clear error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, record, s3File, tmpDir, write } from '../helpers.js';
import { alice, at, iamUser } from './incident.js';

const KEY = 'AKIABILLINGLEAKED001';
const who = iamUser('ci', KEY);

const EVENTS = [
  record({
    eventTime: at(0),
    userIdentity: who,
    eventSource: 'ec2.amazonaws.com',
    eventName: 'RunInstances',
    readOnly: false,
    requestParameters: { instanceType: 'g5.xlarge', instancesSet: { items: [{ imageId: 'ami-0abc', minCount: 2, maxCount: 2 }] } },
    responseElements: {
      instancesSet: { items: ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'].map((instanceId) => ({ instanceId, instanceType: 'g5.xlarge' })) },
    },
  }),
  record({
    eventTime: at(5),
    userIdentity: who,
    eventSource: 'servicequotas.amazonaws.com',
    eventName: 'RequestServiceQuotaIncrease',
    readOnly: false,
    requestParameters: { serviceCode: 'ec2', quotaCode: 'L-DB2E81BA', desiredValue: 256 },
  }),
  record({
    eventTime: at(6),
    userIdentity: who,
    eventSource: 'support.amazonaws.com',
    eventName: 'CreateCase',
    readOnly: false,
    requestParameters: { subject: 'Limit increase: G instances', serviceCode: 'service-limit-increase' },
  }),
  record({
    eventTime: at(30),
    userIdentity: who,
    eventSource: 'ec2.amazonaws.com',
    eventName: 'TerminateInstances',
    readOnly: false,
    requestParameters: { instancesSet: { items: [{ instanceId: 'i-0aaaaaaaaaaaaaaa2' }] } },
    responseElements: { instancesSet: { items: [{ instanceId: 'i-0aaaaaaaaaaaaaaa2' }] } },
  }),
  record({ eventTime: at(60), userIdentity: alice, eventName: 'DeleteAccessKey', readOnly: false, requestParameters: { userName: 'ci', accessKeyId: KEY } }),
  record({ eventTime: at(600), userIdentity: alice, eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances' }),
];

let dir: string;
const run = (extra: string[]) => {
  const out = path.join(dir, `case-${extra.length}`);
  return { r: cli(['investigate', path.join(dir, 'ev'), '--key', KEY, '--out', out, ...extra]), out };
};
const reportOf = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));

beforeAll(() => {
  dir = tmpDir();
  write(path.join(dir, 'ev/a.json.gz'), s3File(EVENTS));
  write(path.join(dir, 'prices.csv'), 'region,instance type,usd per hour\nus-east-1,g5.xlarge,1.006\n');
  write(path.join(dir, 'bad-prices.csv'), 'us-east-1,g5.xlarge,1.006\nus-east-1,g5.2xlarge,cheap\n');
});

describe('Step 4: the billing-adjustment evidence pack', () => {
  it('lifetimes, instance-hours by type, requests, each event once; no price without --prices', () => {
    const { r, out } = run([]);
    expect(r.status, r.stderr).toBe(0);
    const b = reportOf(out).billing;
    expect(b.resources.map((x: { id: string; hours: number; removed: string | null }) => [x.id, x.hours, x.removed])).toEqual([
      ['i-0aaaaaaaaaaaaaaa1', 10, null],
      ['i-0aaaaaaaaaaaaaaa2', 0.5, at(30)],
    ]);
    expect(b.instanceHours).toEqual([{ region: 'us-east-1', instanceType: 'g5.xlarge', gpu: true, instances: 2, hours: 10.5, usdPerHour: null, usd: null }]);
    expect(b.quotaRequests).toHaveLength(1);
    expect(b.supportCases[0]).toMatchObject({ subject: 'Limit increase: G instances' });
    expect(b.prices).toBeNull();
    const timeline = reportOf(out).timeline as { eventID: string; what: string }[];
    const ids = timeline.map((x) => `${x.eventID} ${x.what}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(timeline.filter((x) => x.what.startsWith('DeleteAccessKey'))).toHaveLength(1);
    expect(timeline.every((x) => x.what.trim() !== '' && !/ by $|^\S+ +by /.test(x.what))).toBe(true);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('No prices given (--prices FILE');
  });

  it('turns instance-hours into an estimate with --prices', () => {
    const { r, out } = run(['--prices', path.join(dir, 'prices.csv')]);
    expect(r.status, r.stderr).toBe(0);
    const b = reportOf(out).billing;
    expect(b.instanceHours[0]).toMatchObject({ usdPerHour: 1.006, usd: 10.56 });
    expect(b.prices).toMatchObject({ usd: 10.56, unpriced: 0 });
  });

  it('a bad --prices line is one clear error naming the file and the line, exit 2', () => {
    const { r } = run(['--prices', path.join(dir, 'bad-prices.csv'), '--no-builtin']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad-prices\.csv:2: expected region,instance type,USD per hour .*got us-east-1,g5\.2xlarge,cheap/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
