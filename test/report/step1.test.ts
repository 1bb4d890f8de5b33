/**
 * Issue 15 point 9: Step 1 ordered for reading. The seed first; then each owner's credentials
 * together, long-term keys before the temporary credentials, by first use; a key the chain created
 * but never used is one line under the table, not a row.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { cli, record, s3File, tmpDir, write } from '../helpers.js';
import { iamUser as user } from './incident.js';

const SEED = 'AKIASTEPONESEED00001';
const createKey = (t: string, by: object, forUser: string, key: string) =>
  record({
    eventTime: t,
    userIdentity: by,
    eventName: 'CreateAccessKey',
    readOnly: false,
    requestParameters: { userName: forUser },
    responseElements: { accessKey: { userName: forUser, accessKeyId: key, status: 'Active' } },
  });
const sessionToken = (t: string, by: object, key: string) =>
  record({
    eventTime: t,
    userIdentity: by,
    eventSource: 'sts.amazonaws.com',
    eventName: 'GetSessionToken',
    responseElements: { credentials: { accessKeyId: key } },
  });
const use = (t: string, by: object) => record({ eventTime: t, userIdentity: by, eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' });

it('lists the seed first, each owner together, and the unused credentials in one line', () => {
  const seed = user('ci', SEED);
  const events = [
    use('2026-10-14T03:00:00Z', seed),
    createKey('2026-10-14T03:01:00Z', seed, 'zed', 'AKIASTEPONEZED000001'),
    createKey('2026-10-14T03:02:00Z', seed, 'amy', 'AKIASTEPONEAMY000001'),
    createKey('2026-10-14T03:03:00Z', seed, 'amy', 'AKIASTEPONEAMYUNUSED'),
    sessionToken('2026-10-14T03:04:00Z', user('zed', 'AKIASTEPONEZED000001'), 'ASIASTEPONEZEDSESS01'),
    use('2026-10-14T03:05:00Z', user('zed', 'ASIASTEPONEZEDSESS01')),
    use('2026-10-14T03:06:00Z', user('amy', 'AKIASTEPONEAMY000001')),
    use('2026-10-14T03:07:00Z', user('zed', 'AKIASTEPONEZED000001')),
  ];
  const d = tmpDir();
  write(path.join(d, 'ev/a.json.gz'), s3File(events));
  const out = path.join(d, 'case');
  const r = cli(['investigate', path.join(d, 'ev'), '--key', SEED, '--out', out]);
  expect(r.status, r.stderr).toBe(0);
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  const step1 = md.slice(md.indexOf('## Step 1'), md.indexOf('## Step 2'));
  const keys = [...step1.matchAll(/^\| (A[KS]IA[A-Z0-9]+) \|/gm)].map((m) => m[1]);
  // zed's first use (03:04) comes before amy's (03:06): zed's key, then its session, then amy's key.
  expect(keys).toEqual([SEED, 'AKIASTEPONEZED000001', 'ASIASTEPONEZEDSESS01', 'AKIASTEPONEAMY000001']);
  expect(step1).toContain('1 credential(s) of the chain never used in the evidence: AKIASTEPONEAMYUNUSED (user/amy).');
  const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  expect(json.keys.map((k: { accessKeyId: string }) => k.accessKeyId)).toContain('AKIASTEPONEAMYUNUSED');
});
