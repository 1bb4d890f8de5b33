/**
 * Issue 15 point 5: the data the chain touched. A key that reads 30 objects of one bucket, deletes 10
 * of them, reads a secret and two parameters: the report has a row per bucket, secret and parameter
 * with counts, bytes and times, and says so in the summary; without S3 data events in the evidence,
 * it says that what was read from S3 cannot be known.
 */
import { describe, expect, it } from 'vitest';
import { record } from '../helpers.js';
import { iamUser, investigateEvents } from './incident.js';

const KEY = 'AKIADATATOUCHED00001';
const who = iamUser('ci', KEY);
const at = (s: number) => new Date(Date.parse('2026-10-14T03:00:00Z') + s * 1000).toISOString().replace('.000Z', 'Z');
const s3 = (s: number, eventName: string, key: string, extra: Record<string, unknown> = {}) =>
  record({
    eventTime: at(s),
    userIdentity: who,
    eventSource: 's3.amazonaws.com',
    eventName,
    eventCategory: 'Data',
    managementEvent: false,
    readOnly: eventName === 'GetObject',
    requestParameters: { bucketName: 'customer-exports', key, Host: 'customer-exports.s3.amazonaws.com' },
    ...extra,
  });

const investigate = (events: Record<string, unknown>[]) => investigateEvents(events, KEY);

describe('data touched by the chain', () => {
  it('counts reads, writes and deletes per bucket, secret and parameter', () => {
    const events = [
      ...Array.from({ length: 30 }, (_, i) => s3(i, 'GetObject', `exports/${i}.csv`, { additionalEventData: { bytesTransferredOut: 1000 } })),
      ...Array.from({ length: 10 }, (_, i) => s3(40 + i, 'DeleteObject', `exports/${i}.csv`)),
      s3(60, 'GetObject', 'exports/denied.csv', { errorCode: 'AccessDenied' }),
      record({
        eventTime: at(70),
        userIdentity: who,
        eventSource: 'secretsmanager.amazonaws.com',
        eventName: 'GetSecretValue',
        requestParameters: { secretId: 'prod/db/password' },
      }),
      record({
        eventTime: at(80),
        userIdentity: who,
        eventSource: 'ssm.amazonaws.com',
        eventName: 'GetParameters',
        requestParameters: { names: ['/app/db_url', '/app/api_key'], withDecryption: true },
      }),
    ];
    const { json, md } = investigate(events);
    const rows = Object.fromEntries(json.data.map((d: { kind: string; resource: string }) => [`${d.kind} ${d.resource}`, d]));
    expect(rows['s3 customer-exports']).toMatchObject({ reads: 30, writes: 0, deletes: 10, objects: 30, bytesOut: 30000, first: at(0), last: at(49) });
    expect(rows['secret prod/db/password']).toMatchObject({ reads: 1 });
    expect(rows['parameter /app/db_url']).toMatchObject({ reads: 1 });
    expect(rows['parameter /app/api_key']).toMatchObject({ reads: 1 });
    expect(json.summary.join(' ')).toMatch(
      /Data touched by the chain: S3: 30 object read\(s\), 0 write\(s\), 10 delete\(s\) in 1 bucket\(s\); 1 secret\(s\) read; 2 parameter\(s\) read/,
    );
    const section = md.slice(md.indexOf('## Data touched by the chain'), md.indexOf('## Coverage'));
    expect(section).toMatch(/\| s3 \| customer-exports \| 30 \| 0 \| 10 \| 30 \| 30000 \|/);
    expect(json.coverage.warnings.join(' ')).not.toMatch(/no S3 data events/);
  });

  it('says that S3 reads cannot be known when the evidence has no data events', () => {
    const { json, md } = investigate([
      record({ eventTime: at(0), userIdentity: who, eventName: 'CreateUser', readOnly: false, requestParameters: { userName: 'x' } }),
    ]);
    expect(json.data).toEqual([]);
    expect(json.summary.join(' ')).toMatch(/no S3 data events in the evidence .*: what the chain read from or wrote to S3 cannot be known from it/);
    expect(md).toContain('S3 object activity cannot be known from it (no S3 data events: see Coverage)');
  });
});
