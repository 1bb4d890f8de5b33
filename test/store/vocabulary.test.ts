/**
 * One CloudTrail vocabulary (issue 12): "which calls change something" is decided once, in SQL and
 * in TypeScript alike, and the responder's two views of what the attacker changed (`events
 * --write` and the report's Step 3) agree on the same evidence, a console CSV without a read-only
 * column included.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseDb } from '../../src/index.js';
import { sql } from '../../src/store/sql.js';
import { isWrite, isWriteCall, READ_ONLY_VERBS } from '../../src/store/vocabulary.js';
import { cli, tmpDir, write } from '../helpers.js';

const KEY = 'AKIAVOCABTEST0000001';

describe('is-write', () => {
  it('the SQL and the TypeScript rule agree: readOnly where the record has it, the verb where it does not', async () => {
    const names = [
      'Scan',
      'EstimateTemplateCost',
      'SimulatePrincipalPolicy',
      'BatchGetItem',
      'GetObject',
      'RunInstances',
      'CreateUser',
      'PutObject',
      'Decrypt',
    ];
    const cases = names.flatMap((n) => [true, false, null].map((ro) => ({ n, ro })));
    const db = await CaseDb.open(path.join(tmpDir(), 'v.duckdb'), { create: true });
    try {
      const rows = await db.all(
        sql`SELECT t.eventName AS n, t.readOnly AS ro, ${isWrite('t')} AS w
            FROM (SELECT unnest(${sql.list(cases.map((c) => c.n))}) AS eventName, unnest(${sql.list(
              cases.map((c) => c.ro),
              'BOOLEAN',
            )}) AS readOnly) t`,
      );
      expect(rows).toHaveLength(cases.length);
      for (const r of rows) expect(r.w, `${r.n} readOnly=${r.ro}`).toBe(isWriteCall(String(r.n), r.ro as boolean | null));
    } finally {
      db.close();
    }
    // CloudTrail's flag wins over the verb; without it, the verb decides.
    expect(isWriteCall('GetObject', false)).toBe(true);
    expect(isWriteCall('RunInstances', true)).toBe(false);
    expect(['Scan', 'EstimateTemplateCost', 'SimulatePrincipalPolicy', 'BatchGetItem', 'GetObject'].map((n) => isWriteCall(n, null))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(['RunInstances', 'CreateUser', 'PutObject', 'Decrypt'].map((n) => isWriteCall(n, undefined))).toEqual([true, true, true, true]);
    expect(READ_ONLY_VERBS).toContain('Scan');
  });

  it('`events --write` and the report name the same changes on a console CSV without a read-only column', () => {
    const d = tmpDir();
    const header = 'Event ID,Event time,User name,Event name,AWS access key,AWS region,Error code,Source IP address,Event source';
    const calls: [string, string, string][] = [
      ['GetCallerIdentity', 'sts.amazonaws.com', 'us-east-1'],
      ['Scan', 'dynamodb.amazonaws.com', 'eu-west-1'],
      ['EstimateTemplateCost', 'cloudformation.amazonaws.com', 'us-east-1'],
      ['DescribeInstances', 'ec2.amazonaws.com', 'ap-south-1'],
      ['RunInstances', 'ec2.amazonaws.com', 'ap-south-1'],
      ['CreateFunction20150331', 'lambda.amazonaws.com', 'us-west-2'],
      ['ListBuckets', 's3.amazonaws.com', 'us-east-1'],
      ['CreateUser', 'iam.amazonaws.com', 'us-east-1'],
    ];
    const rows = calls.map(
      ([name, source, region], i) =>
        `1b2c3d4e-0000-4000-8000-${String(i).padStart(12, '0')},2026-10-14T09:0${i}:00Z,ci-deploy,${name},${KEY},${region},,198.51.100.7,${source}`,
    );
    write(path.join(d, 'ev/event-history.csv'), `${header}\n${rows.join('\n')}\n`);
    const db = path.join(d, 'case.duckdb');
    expect(cli(['ingest', path.join(d, 'ev'), '--db', db, '--quiet']).status).toBe(0);
    const listed = cli(['events', '--db', db, '--key', KEY, '--write', '--format', 'jsonl']);
    expect(listed.status).toBe(0);
    const writes = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { eventName: string; eventSource: string });
    expect(writes.map((w) => w.eventName).sort()).toEqual(['CreateFunction20150331', 'CreateUser', 'RunInstances']);
    const rep = cli(['report', '--db', db, '--key', KEY, '--format', 'json', '--no-builtin']);
    expect(rep.status).toBe(0);
    const report = JSON.parse(rep.stdout) as { resources: { eventName: string }[]; iamChanges: { eventName: string }[] };
    // Step 3 is every change outside IAM, STS and sign-in; Step 2 the IAM ones: together, what `--write` lists.
    const outsideIam = writes.filter((w) => !['iam.amazonaws.com', 'sts.amazonaws.com', 'signin.amazonaws.com'].includes(w.eventSource));
    expect(report.resources.map((r) => r.eventName).sort()).toEqual(outsideIam.map((w) => w.eventName).sort());
    expect(report.iamChanges.map((r) => r.eventName)).toEqual(['CreateUser']);
  });
});
