/**
 * What the report tests share: the account and its IAM users as CloudTrail records name them, times
 * counted from the attack's start, and `keytrail investigate` over a handful of records, its case
 * folder's files read back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { cli, s3File, tmpDir, write } from '../helpers.js';

export const ACCOUNT = '111122223333';

/** An IAM user calling with `key`, as userIdentity says it. */
export const iamUser = (name: string, key: string) => ({
  type: 'IAMUser',
  principalId: `AIDA${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
  arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
  accountId: ACCOUNT,
  accessKeyId: key,
  userName: name,
});

/** The account's owner, the one who cleans up. */
export const alice = iamUser('alice', 'AKIAALICEOWNER000001');

/** A CloudTrail time, `minutes` after 2026-10-14T03:00:00Z (fractions for seconds). */
export const at = (minutes: number) => new Date(Date.parse('2026-10-14T03:00:00Z') + Math.round(minutes * 60_000)).toISOString().replace('.000Z', 'Z');

export interface CaseFiles {
  out: string;
  json: any;
  md: string;
  sh: string;
  html: string;
}

/** `keytrail investigate` over `events` (one S3 delivery file) from `key`; it must succeed. */
export function investigateEvents(events: Record<string, unknown>[], key: string, args: string[] = []): CaseFiles {
  const d = tmpDir();
  write(path.join(d, 'ev/a.json.gz'), s3File(events));
  const out = path.join(d, 'case');
  const r = cli(['investigate', path.join(d, 'ev'), '--key', key, '--out', out, ...args]);
  expect(r.status, r.stderr).toBe(0);
  const read = (f: string) => fs.readFileSync(path.join(out, f), 'utf8');
  return { out, json: JSON.parse(read('report.json')), md: read('report.md'), sh: read('remediation.sh'), html: read('report.html') };
}
