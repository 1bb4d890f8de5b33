import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/rules/detect.js';
import { labelledCase, type LabelledCase } from './labelled-case.js';

const userArn = (name: string) => `arn:aws:iam::111122223333:user/${name}`;
const who = (name: string, key: string) => ({
  type: 'IAMUser',
  principalId: `AIDA${name.toUpperCase()}`,
  arn: userArn(name),
  accountId: '111122223333',
  userName: name,
  accessKeyId: key,
});
const at = (hms: string) => `2026-10-14T${hms}Z`;
/** An S3 GetObject data event that sent `bytes` out (as CloudTrail writes it, a number in additionalEventData). */
const get = (name: string, key: string, bytes: unknown) => ({
  userIdentity: who(name, key),
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'us-east-1',
  eventCategory: 'Data',
  managementEvent: false,
  requestParameters: { bucketName: 'payroll-exports', key: `2026/${name}.csv` },
  additionalEventData: { bytesTransferredIn: 0, bytesTransferredOut: bytes },
});

const EVENTS: [string, string, Record<string, unknown>][] = [
  ['get-m-1', '10:00:00', get('mallory', 'AKIAK1', 4000)],
  ['get-m-2', '10:05:00', get('mallory', 'AKIAK1', 6000)],
  // Not a number: left out of every value type, as an absent value is.
  ['get-m-3', '10:20:00', get('mallory', 'AKIAK1', 'unknown')],
  ['get-m-4', '10:30:00', get('mallory', 'AKIAK1', 2000)],
  ['get-d-1', '10:00:00', get('dev', 'AKIAK2', 100)],
  // A number written as text counts as the number.
  ['get-d-2', '10:10:00', get('dev', 'AKIAK2', '200.5')],
  // Reconnaissance in two regions (value_count by identity and region)
  ['iam-m-w1', '11:00:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListUsers', awsRegion: 'us-west-2' }],
  ['iam-m-w2', '11:01:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListRoles', awsRegion: 'us-west-2' }],
  ['iam-m-w3', '11:02:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListUsers', awsRegion: 'us-west-2' }],
  ['iam-m-e1', '11:00:30', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListUsers', awsRegion: 'eu-west-1' }],
  ['iam-d-w1', '11:00:00', { userIdentity: who('dev', 'AKIAK2'), eventName: 'ListUsers', awsRegion: 'us-west-2' }],
  ['iam-d-w2', '11:03:00', { userIdentity: who('dev', 'AKIAK2'), eventName: 'ListGroups', awsRegion: 'us-west-2' }],
];

let c: LabelledCase;
beforeAll(async () => {
  c = await labelledCase(EVENTS, at);
});
afterAll(() => c?.close());

const run = (text: string) => c.run({ 'r.yml': text });
/** The correlation's findings (a base rule it does not use reports on its own). */
const summary = (f: Finding[]) => f.filter((x) => x.rule.id === ID).map((x) => ({ ids: x.eventIDs, summary: x.summary }));

const BASES = `title: s3 reads
name: s3_read
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: GetObject
    condition: sel
---
title: iam reads
name: iam_read
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName|startswith: List
    condition: sel
`;
const ID = '44444444-4444-4444-8444-444444444444';
const corr = (body: string, summaryText = '{userIdentity.arn}: {value} over {count} read(s) ({values}) from {first} to {last}') =>
  run(`${BASES}---
title: correlation
id: ${ID}
level: high
correlation:
${body}
output:
    summary: '${summaryText}'
`);

describe('value types', () => {
  it('value_sum: the bytes of a group within the timespan add up to the condition; text that is no number is left out', async () => {
    const { findings, problems } = await corr(
      '    type: value_sum\n    rules: [s3_read]\n    group-by: [userIdentity.arn]\n    timespan: 15m\n    condition: {field: additionalEventData.bytesTransferredOut, gte: 10000}',
    );
    expect(problems).toEqual([]);
    expect(summary(findings)).toEqual([
      {
        ids: ['get-m-1', 'get-m-2'],
        summary: `${userArn('mallory')}: 10000 over 2 read(s) (4000, 6000) from 2026-10-14T10:00:00Z to 2026-10-14T10:05:00Z`,
      },
    ]);
    expect(findings[0]).toMatchObject({ rule: { id: ID, level: 'high' }, eventTime: at('10:05:00'), eventName: 'GetObject' });
  });

  it('value_avg: a fractional bound, numbers written as text, and a value that is not whole', async () => {
    const { findings } = await corr(
      '    type: value_avg\n    rules: [s3_read]\n    group-by: [userIdentity.arn]\n    timespan: 1h\n    condition: {field: additionalEventData.bytesTransferredOut, gt: 150.1, lt: 5000}',
    );
    expect(summary(findings)).toEqual([
      {
        ids: ['get-d-1', 'get-d-2'],
        summary: `${userArn('dev')}: 150.25 over 2 read(s) (100, 200.5) from 2026-10-14T10:00:00Z to 2026-10-14T10:10:00Z`,
      },
      {
        ids: ['get-m-1', 'get-m-2', 'get-m-4'],
        summary: `${userArn('mallory')}: 4000 over 3 read(s) (2000, 4000, 6000) from 2026-10-14T10:00:00Z to 2026-10-14T10:30:00Z`,
      },
    ]);
  });

  it('value_percentile: the given percentile (interpolated, as quantile_cont) of the values in each window', async () => {
    const { findings } = await corr(
      '    type: value_percentile\n    rules: [s3_read]\n    group-by: [userIdentity.arn]\n    timespan: 1h\n    condition: {field: additionalEventData.bytesTransferredOut, percentile: 90, gte: 5000}',
    );
    // Windows from get-m-1 (2000, 4000, 6000: 5600) and get-m-2 (2000, 6000: 5600) overlap: one finding.
    expect(summary(findings)).toEqual([
      {
        ids: ['get-m-1', 'get-m-2', 'get-m-4'],
        summary: `${userArn('mallory')}: 5600 over 3 read(s) (2000, 4000, 6000) from 2026-10-14T10:00:00Z to 2026-10-14T10:30:00Z`,
      },
    ]);
  });

  it.each([
    ['value_sum without a field', '    type: value_sum\n    rules: [s3_read]\n    timespan: 1h\n    condition: {gte: 1}', /value_sum needs condition\.field/],
    [
      'value_percentile without a percentile',
      '    type: value_percentile\n    rules: [s3_read]\n    timespan: 1h\n    condition: {field: awsRegion, gte: 1}',
      /value_percentile needs condition\.percentile/,
    ],
    [
      'a percentile over 100',
      '    type: value_percentile\n    rules: [s3_read]\n    timespan: 1h\n    condition: {field: awsRegion, gte: 1, percentile: 101}',
      /correlation\.condition\.percentile/,
    ],
    [
      'a percentile for another type',
      '    type: value_avg\n    rules: [s3_read]\n    timespan: 1h\n    condition: {field: awsRegion, gte: 1, percentile: 50}',
      /condition\.percentile only applies to value_percentile, not value_avg/,
    ],
    [
      'a count that is not whole',
      '    type: event_count\n    rules: [s3_read]\n    timespan: 1h\n    condition: {gte: 2.5}',
      /condition\.gte: event_count compares a count, and 2\.5 is not a whole number of 0 or more/,
    ],
    ['{value} in a count', '    type: event_count\n    rules: [s3_read]\n    timespan: 1h\n    condition: {gte: 2}', /\{value\} is not available/],
  ])('%s is a load problem', async (_, body, message) => {
    const { problems } = await corr(body, '{value}');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });
});

describe('value_count with several group-by fields', () => {
  it('counts distinct values per identity and region together', async () => {
    const { findings, problems } = await corr(
      '    type: value_count\n    rules: [iam_read]\n    group-by: [userIdentity.arn, awsRegion]\n    timespan: 10m\n    condition: {field: eventName, gte: 2}',
      '{userIdentity.arn} in {awsRegion}: {count} calls, {values}',
    );
    expect(problems).toEqual([]);
    expect(summary(findings)).toEqual([
      // mallory's one call in eu-west-1 is a group of its own, of one name.
      { ids: ['iam-m-w1', 'iam-m-w2', 'iam-m-w3'], summary: `${userArn('mallory')} in us-west-2: 3 calls, ListRoles, ListUsers` },
      { ids: ['iam-d-w1', 'iam-d-w2'], summary: `${userArn('dev')} in us-west-2: 2 calls, ListGroups, ListUsers` },
    ]);
  });
});

describe('a timespan as long as the whole case', () => {
  it('36500d counts over everything, without overflow', async () => {
    const { findings } = await corr(
      '    type: value_sum\n    rules: [s3_read]\n    group-by: [userIdentity.arn]\n    timespan: 36500d\n    condition: {field: additionalEventData.bytesTransferredOut, gte: 300}',
      '{userIdentity.arn}: {value}',
    );
    expect(summary(findings)).toEqual([
      { ids: ['get-d-1', 'get-d-2'], summary: `${userArn('dev')}: 300.5` },
      { ids: ['get-m-1', 'get-m-2', 'get-m-4'], summary: `${userArn('mallory')}: 12000` },
    ]);
    const all = await corr('    type: event_count\n    rules: [iam_read]\n    timespan: 36500d\n    condition: {gte: 1}', '{count} from {first} to {last}');
    expect(summary(all.findings)).toEqual([
      {
        ids: ['iam-d-w1', 'iam-m-w1', 'iam-m-e1', 'iam-m-w2', 'iam-m-w3', 'iam-d-w2'],
        summary: '6 from 2026-10-14T11:00:00Z to 2026-10-14T11:03:00Z',
      },
    ]);
  });

  it('a timespan over 1000 years is a load problem, not an overflow', async () => {
    const { problems } = await corr('    type: event_count\n    rules: [iam_read]\n    timespan: 99999999999d\n    condition: {gte: 1}', '{count}');
    expect(problems).toEqual([
      expect.stringMatching(/\[44444444-4444-4444-8444-444444444444\] correlation: timespan "99999999999d" is longer than 1000 years$/),
    ]);
  });
});
