/**
 * Issue 14 point 2: the report keeps attempts apart from what happened. A leaked key creates a user,
 * is refused a key for another user, a GPU launch (vCPU quota) and StopLogging, then launches a GPU
 * instance for real: the refused calls are findings of the attempts rule, in a table of their own
 * under the findings, and the summary counts high findings on calls that succeeded only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, record, s3File, tmpDir, write } from '../helpers.js';
import { iamUser } from './incident.js';

const KEY = 'AKIAATTEMPTSKEY00001';
const who = iamUser('ci', KEY);
const t = (m: number) => `2026-10-14T03:${String(m).padStart(2, '0')}:00Z`;
const gpu = { instanceType: 'g5.12xlarge', instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] } };
const denied = (code: string) => ({ errorCode: code, errorMessage: 'not authorized', responseElements: null });

let out: string;
beforeAll(() => {
  const d = tmpDir();
  const events = [
    record({
      eventTime: t(1),
      userIdentity: who,
      eventName: 'CreateUser',
      readOnly: false,
      requestParameters: { userName: 'backdoor' },
      responseElements: { user: { userName: 'backdoor' } },
    }),
    record({
      eventTime: t(2),
      userIdentity: who,
      eventName: 'CreateAccessKey',
      readOnly: false,
      requestParameters: { userName: 'admin' },
      ...denied('AccessDenied'),
    }),
    record({
      eventTime: t(3),
      userIdentity: who,
      eventSource: 'ec2.amazonaws.com',
      eventName: 'RunInstances',
      awsRegion: 'us-west-2',
      readOnly: false,
      requestParameters: gpu,
      ...denied('Client.VcpuLimitExceeded'),
    }),
    record({
      eventTime: t(4),
      userIdentity: who,
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      readOnly: false,
      requestParameters: { name: 'main' },
      ...denied('AccessDenied'),
    }),
    record({
      eventTime: t(5),
      userIdentity: who,
      eventSource: 'ec2.amazonaws.com',
      eventName: 'RunInstances',
      awsRegion: 'eu-west-1',
      readOnly: false,
      requestParameters: gpu,
      responseElements: { instancesSet: { items: [{ instanceId: 'i-0123456789abcdef0', instanceType: 'g5.12xlarge' }] } },
    }),
  ];
  write(path.join(d, 'ev/a.json.gz'), s3File(events));
  out = path.join(d, 'case');
  const r = cli(['investigate', path.join(d, 'ev'), '--key', KEY, '--out', out]);
  expect(r.status, r.stderr).toBe(0);
}, 120_000);

describe('attempts apart from what happened', () => {
  it('report.json marks the groups whose every call was refused', () => {
    const r = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const byTitle = Object.fromEntries(r.findingGroups.map((g: { rule: { title: string }; attempt: boolean; findings: number }) => [g.rule.title, g]));
    expect(byTitle['Sensitive change attempted and refused']).toMatchObject({ attempt: true, findings: 3 });
    expect(byTitle['EC2 GPU, accelerator or very large instance launched']).toMatchObject({ attempt: false, findings: 1, regions: ['eu-west-1'] });
    expect(r.summary.join(' ')).toMatch(/high or critical on calls that succeeded \([^)]*EC2 GPU[^)]*\); 3 on attempts that were refused/);
  });

  it('report.md lists the attempts in a table of their own, below what happened', () => {
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    const findings = md.slice(md.indexOf('## Findings'), md.indexOf('### Attempts that were refused'));
    const attempts = md.slice(md.indexOf('### Attempts that were refused'), md.indexOf('## Step 4'));
    expect(findings).toContain('EC2 GPU, accelerator or very large instance launched');
    expect(findings).not.toContain('Sensitive change attempted and refused');
    expect(attempts).toContain('1 group(s) of findings on calls that were all refused');
    expect(attempts).toContain('Sensitive change attempted and refused');
    expect(attempts).not.toContain('EC2 GPU, accelerator');
  });

  it('report.html carries both tables', () => {
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    const data = JSON.parse(html.slice(html.indexOf('id="report-data">') + 17, html.indexOf('</script>', html.indexOf('id="report-data">'))));
    expect(data.attemptTable.rows.map((row: string[]) => row[1])).toEqual(['Sensitive change attempted and refused']);
    expect(data.findingTable.rows.map((row: string[]) => row[1])).not.toContain('Sensitive change attempted and refused');
  });
});
