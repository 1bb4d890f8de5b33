/**
 * investigate and report on the sample incident, checked against its known truth, and the output's
 * safety: values from the logs cannot format or inject into the Markdown, nor run in remediation.sh.
 */
import { spawnSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_RULES, investigate, loadRules } from '../../src/index.js';
import { md } from '../../src/report/markdown.js';
import { sh } from '../../src/report/remediation.js';
import { launchChromium, openWatched } from '../fixtures/browser.js';
import { ROOT, cli, record, s3File, tmpDir, write } from '../helpers.js';
import { tableLayout } from './layout.js';

const truth = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples/leaked-key/truth.json'), 'utf8'));
const SAMPLE = path.join(ROOT, 'samples/leaked-key/evidence');
let out: string;

// The case folder through the library API, in-process; the CLI's own run is the rerun below.
beforeAll(async () => {
  out = path.join(tmpDir(), 'case');
  const { rules, correlations } = await loadRules([BUILTIN_RULES]);
  const { ingest } = await investigate([SAMPLE], { out, keys: [truth.leakedKey], rules, correlations });
  expect(ingest.files.rejected).toBe(0);
}, 120_000);

describe('keytrail investigate on the sample', () => {
  it('writes the whole case folder; a rerun reuses the case database', () => {
    for (const f of ['keytrail.duckdb', 'report.html', 'report.md', 'report.json', 'findings.csv', 'lineage.html', 'timeline.csv', 'remediation.sh']) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
    const again = cli(['investigate', SAMPLE, '--key', truth.leakedKey, '--out', out]);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/ingest: 0 new event\(s\)/);
    const n = JSON.parse(cli(['query', 'SELECT count(*) AS n FROM events', '--db', path.join(out, 'keytrail.duckdb'), '--format', 'json']).stdout);
    expect(n).toEqual([{ n: truth.counts.distinctEvents }]);
  }, 120_000);

  it('Step 1: every tainted key, with the status history the logs show', () => {
    const r = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(r.keys.map((k: { accessKeyId: string }) => k.accessKeyId).sort()).toEqual([...truth.attackerAccessKeys].sort());
    const leaked = r.keys.find((k: { accessKeyId: string }) => k.accessKeyId === truth.leakedKey);
    expect(leaked.statusChanges).toEqual([
      expect.objectContaining({ eventName: 'UpdateAccessKey', status: 'Inactive', eventID: truth.responder.deactivateLeakedKey }),
    ]);
    expect(leaked.lastKnownStatus).toBe('Inactive');
    const created = r.keys.find((k: { accessKeyId: string }) => k.accessKeyId === truth.createdAccessKeys[0].accessKeyId);
    expect(created.lastKnownStatus).toBe('Deleted');
    expect(created.statusChanges[0].eventID).toBe(truth.responder.deleteCreatedKey);
  });

  it('Step 2 and 3: every IAM change and every resource the attacker made, in every attacker region; failed ones apart', () => {
    const r = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const listed = new Set([...r.resources, ...r.iamChanges].map((x: { eventID: string }) => x.eventID));
    for (const res of truth.attackerResources) expect(listed.has(res.eventID), `${res.eventName} ${res.region}`).toBe(true);
    const regions = new Set(
      r.resources.filter((x: { failed: boolean; ownerUse: boolean }) => !x.failed && !x.ownerUse).map((x: { region: string }) => x.region),
    );
    expect([...regions].sort()).toEqual([...truth.counts.regions].sort());
    for (const x of r.resources)
      expect(Object.keys(x)).toEqual(expect.arrayContaining(['region', 'service', 'eventName', 'resourceId', 'eventID', 'eventTime']));
    // Issue 15: every row of Step 3 has its resource id, through the registry, and every creation a lifecycle state.
    const done = r.resources.filter((x: { failed: boolean }) => !x.failed);
    expect(
      done
        .filter((x: { resourceId: string | null; type: string | null }) => x.resourceId === null || x.type === null)
        .map((x: { eventName: string }) => x.eventName),
    ).toEqual([]);
    const created = done.filter((x: { action: string | null }) => x.action === 'create');
    expect(created.length).toBeGreaterThan(20);
    for (const x of created) expect(['removed', 'still exists', 'unknown'], x.resourceId).toContain(x.lifecycle?.state);
    // The refused p3.16xlarge in us-west-2 is a failed attempt, not a resource.
    const refused = r.resources.filter((x: { failed: boolean }) => x.failed).map((x: { errorCode: string }) => x.errorCode);
    expect(refused).toContain('Client.VcpuLimitExceeded');
    // The pipeline's own deployments before the leak are listed, marked as the owner's use; nothing after it is.
    const owner = r.resources.filter((x: { ownerUse: boolean }) => x.ownerUse);
    expect(owner.length).toBeGreaterThan(0);
    expect(owner.every((x: { eventTime: string; eventName: string }) => x.eventTime < r.window.first && x.eventName.startsWith('UpdateFunctionCode'))).toBe(
      true,
    );
    expect(r.resources.filter((x: { ownerUse: boolean }) => !x.ownerUse).every((x: { eventTime: string }) => x.eventTime >= r.window.first)).toBe(true);
    expect(r.window.first).toBe('2026-10-14T03:02:11Z');
    expect(r.window.how).toMatch(
      /^AKIABTX3GSDSS5LN7GPS was used from 192\.0\.2\.50 since 2026-10-12T10:14:07Z, then at 2026-10-14T03:02:11Z from 203\.0\.113\.77, an address new to it and with a scripting or offensive tool \(python-requests\): its events before 2026-10-14T03:02:11Z are marked as its owner's use/,
    );
    const text = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    for (const h of [
      '## Summary',
      '## Step 1: access keys',
      '## Step 2: IAM changes',
      '## Step 3: resources in every region',
      '## Coverage',
      '## Findings',
      '## Step 4',
    ])
      expect(text).toContain(h);
    for (const region of truth.counts.regions) expect(text).toContain(`### ${region}`);
  });

  it('remediation.sh: every command commented out, with its evidence; running it does nothing', () => {
    const file = path.join(out, 'remediation.sh');
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#!'));
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual(['set -euo pipefail']);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain(`terminate-instances --instance-ids`);
    expect(text).toMatch(new RegExp(`delete-user --user-name 'svc-backup'.*${truth.createdUsers[0].eventID}`));
    const run = spawnSync('/bin/bash', [file], { encoding: 'utf8', env: { PATH: '' } });
    expect([run.status, run.stdout, run.stderr]).toEqual([0, '', '']);
  });
});

describe('coverage', () => {
  it('says plainly when us-east-1 (IAM and STS) is missing from the evidence', () => {
    const d = tmpDir();
    const db = path.join(d, 'case.duckdb');
    const west = path.join(SAMPLE, 's3/AWSLogs/111122223333/CloudTrail/us-west-2');
    expect(cli(['ingest', west, '--db', db, '--quiet']).status).toBe(0);
    const r = cli(['report', '--key', truth.leakedKey, '--db', db, '--format', 'json']);
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.coverage.usEast1).toBe(false);
    expect(rep.coverage.warnings.join('\n')).toMatch(/us-east-1 is missing: IAM and STS events .* cannot be answered from this evidence/);
    expect(r.stderr).toMatch(/warning: us-east-1 is missing/);
  });
});

describe('a key that never appears', () => {
  it('stops the report (exit 2) unless --allow-missing; with it, is said first, in the summary and on stderr, and the report still describes the evidence', () => {
    const refused = cli(['report', '--key', 'AKIANEVERSEEN0000000', '--db', path.join(out, 'keytrail.duckdb'), '--format', 'json']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^keytrail: --key AKIANEVERSEEN0000000 makes no event in this case: did you mean AKIA\w+ \(\d+ events?\)\?/);
    const r = cli(['report', '--key', 'AKIANEVERSEEN0000000', '--db', path.join(out, 'keytrail.duckdb'), '--format', 'json', '--allow-missing']);
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.summary[0]).toBe("No activity of AKIANEVERSEEN0000000 in this evidence: nothing below is the attacker's.");
    expect(rep.coverage.warnings[0]).toMatch(/seed key AKIANEVERSEEN0000000 makes no event in this case/);
    expect(r.stderr).toMatch(/warning: seed key AKIANEVERSEEN0000000 makes no event/);
    expect([rep.keys.length, rep.iamChanges, rep.resources]).toEqual([1, [], []]);
    expect(rep.coverage.regions.map((x: { region: string }) => x.region).sort()).toEqual([...truth.counts.regions].sort());
  });
});

describe('escaping: values from the logs are data', () => {
  it('md() leaves no markup and no table break; sh() is one shell word', () => {
    const hostile = '<script>alert(1)</script> | **bold** [link](http://x) `code` _u_ # h\nnext line';
    const out = md(hostile);
    expect(out).not.toMatch(/<script>|\n/);
    expect(out.replace(/\\\|/g, '')).not.toContain('|');
    expect(out).toContain('&lt;script&gt;');
    const word = sh(`a'; rm -rf / #`);
    const echoed = spawnSync('bash', ['-c', `printf %s ${word}`], { encoding: 'utf8' });
    expect(echoed.stdout).toBe(`a'; rm -rf / #`);
  });

  it('a report over hostile evidence: user agents, user names and session names stay text', () => {
    const d = tmpDir();
    const evil = `x<img src=x onerror=alert(1)>|*y*`;
    const who = {
      type: 'IAMUser',
      principalId: 'AIDAEVIL',
      arn: 'arn:aws:iam::111122223333:user/ci',
      accountId: '111122223333',
      accessKeyId: 'AKIAEVILKEY000000001',
      userName: 'ci',
    };
    write(
      path.join(d, 'ev/a.json.gz'),
      s3File([
        record({
          userIdentity: who,
          eventName: 'CreateUser',
          readOnly: false,
          userAgent: evil,
          requestParameters: { userName: evil },
          responseElements: { user: { userName: evil } },
        }),
        record({
          userIdentity: who,
          eventSource: 'ec2.amazonaws.com',
          eventName: 'ImportKeyPair',
          readOnly: false,
          userAgent: evil,
          requestParameters: { keyName: `k'; touch /tmp/pwned #` },
        }),
      ]),
    );
    const db = path.join(d, 'case.duckdb');
    expect(cli(['ingest', path.join(d, 'ev'), '--db', db, '--quiet']).status).toBe(0);
    const r = cli(['investigate', path.join(d, 'ev'), '--key', 'AKIAEVILKEY000000001', '--out', path.join(d, 'case')]);
    expect(r.status, r.stderr).toBe(0);
    const text = fs.readFileSync(path.join(d, 'case/report.md'), 'utf8');
    expect(text).not.toContain('<img');
    expect(text).toContain('&lt;img');
    // Every table row keeps its header's column count: no value split a cell.
    const lines = text.split('\n');
    const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
    let tables = 0;
    lines.forEach((l, i) => {
      if (!l.startsWith('| --- ')) return;
      tables++;
      const width = cells(lines[i - 1]!);
      for (let j = i + 1; j < lines.length && lines[j]!.startsWith('| '); j++) expect(cells(lines[j]!), lines[j]).toBe(width);
    });
    expect(tables).toBeGreaterThan(3);
    // In report.html the payload is JSON data inside a script block: no `<` survives there to close it.
    const html = fs.readFileSync(path.join(d, 'case/report.html'), 'utf8');
    const data = html.slice(html.indexOf('id="report-data">'), html.indexOf('</script>', html.indexOf('id="report-data">')));
    expect(data).not.toContain('<img');
    expect(data).toContain('\\u003cimg');
    const script = fs.readFileSync(path.join(d, 'case/remediation.sh'), 'utf8');
    expect(script).toContain(`'k'\\''; touch /tmp/pwned #'`);
    expect(spawnSync('bash', ['-n', path.join(d, 'case/remediation.sh')]).status).toBe(0);
  });
});

describe('report.html in a real browser (Debian chromium, headless)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  const open = (file: string) => openWatched(browser, file, 'keytrailReport', { width: 1300, height: 900 });

  it('loads offline with no error and no request; every section, both charts and the lineage graph are drawn', async () => {
    const file = path.join(out, 'report.html');
    const r = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const { page, problems, requests } = await open(file);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    for (const id of ['summary', 'step1', 'step2', 'step3', 'coverage', 'findings', 'step4']) expect(await page.locator(`#${id} h2`).count(), id).toBe(1);
    expect(await page.locator('#chart-time rect.bar').count()).toBe(r.activity.length);
    const regions = new Set(r.heatmap.map((h: { region: string }) => h.region)).size;
    const days = new Set(r.heatmap.map((h: { day: string }) => h.day)).size;
    expect(await page.locator('#chart-heat rect.cell').count()).toBe(regions * days);
    expect(await page.locator('#lineage canvas').count()).toBeGreaterThan(0);
    const nodes = await page.evaluate(
      () => (window as unknown as { keytrailReport: { cy: { nodes(): { length: number } } } }).keytrailReport.cy.nodes().length,
    );
    expect(nodes).toBe(r.lineage.nodes.length);
    const text = (await page.locator('body').textContent())!;
    for (const region of truth.counts.regions) expect(text).toContain(region);
    expect(text).toContain(truth.createdAccessKeys[0].accessKeyId);
    // Every table fits the page, and no column of times, levels, counts or keys is squeezed.
    expect(await tableLayout(page)).toEqual({ wider: [], squeezed: [], overflow: 0 });
    await page.locator('#step3').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(out, 'report.png') });
    expect(fs.statSync(path.join(out, 'report.png')).size).toBeGreaterThan(10_000);
    // Prints to PDF: several A4 pages, the charts and tables in them.
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect((pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length).toBeGreaterThan(1);
    await page.close();
  }, 60_000);

  it('hostile values from the logs stay text in the page: no script runs, nothing is fetched', async () => {
    const d = tmpDir();
    const evil = `<img src=x onerror=alert(1)><script>alert(2)</script>`;
    const who = {
      type: 'IAMUser',
      principalId: 'AIDAEVIL',
      arn: 'arn:aws:iam::111122223333:user/ci',
      accountId: '111122223333',
      accessKeyId: 'AKIAEVILKEY000000002',
      userName: 'ci',
    };
    const session = {
      type: 'AssumedRole',
      principalId: `AROAEVIL:${evil}`,
      arn: `arn:aws:sts::111122223333:assumed-role/evil-role/${evil}`,
      accountId: '111122223333',
      accessKeyId: 'ASIAEVILSESSION00001',
      sessionContext: {
        sessionIssuer: { type: 'Role', userName: 'evil-role', arn: 'arn:aws:iam::111122223333:role/evil-role' },
        attributes: { creationDate: '2026-10-14T09:00:00Z' },
      },
    };
    write(
      path.join(d, 'ev/a.json.gz'),
      s3File([
        record({
          userIdentity: who,
          eventName: 'CreateRole',
          readOnly: false,
          userAgent: evil,
          requestParameters: { roleName: 'evil-role', tags: [{ key: evil, value: evil }] },
          responseElements: { role: { arn: 'arn:aws:iam::111122223333:role/evil-role' } },
        }),
        record({
          userIdentity: who,
          eventSource: 'sts.amazonaws.com',
          eventName: 'AssumeRole',
          userAgent: evil,
          requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/evil-role', roleSessionName: evil },
          responseElements: { credentials: { accessKeyId: 'ASIAEVILSESSION00001' } },
        }),
        record({
          userIdentity: session,
          eventSource: 'ec2.amazonaws.com',
          eventName: 'RunInstances',
          readOnly: false,
          userAgent: evil,
          awsRegion: 'eu-west-1',
          requestParameters: { instanceType: 'p3.2xlarge' },
          responseElements: { instancesSet: { items: [{ instanceId: evil }] } },
        }),
      ]),
    );
    expect(cli(['investigate', path.join(d, 'ev'), '--key', 'AKIAEVILKEY000000002', '--out', path.join(d, 'case')]).status).toBe(0);
    for (const name of ['report.html', 'lineage.html']) {
      const file = path.join(d, 'case', name);
      const { page, problems, requests } = await openWatched(browser, file, name === 'report.html' ? 'keytrailReport' : 'keytrail');
      expect(problems, name).toEqual([]);
      expect(requests, name).toEqual([]);
      expect(await page.locator('img').count(), name).toBe(0);
      await page.close();
    }
    const { page } = await open(path.join(d, 'case/report.html'));
    expect(await page.locator('#step3').textContent()).toContain(evil);
    expect(await tableLayout(page)).toEqual({ wider: [], squeezed: [], overflow: 0 });
    await page.close();
  }, 90_000);
});
