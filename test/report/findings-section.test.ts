/**
 * The report's findings section on a case with thousands of findings and hostile, space-less values
 * (a 10,000-character user agent and ARN): grouped by rule x principal x access key in report.md and
 * report.html, no cell with more than a few eventIDs, and in the real browser no cell wider than the
 * page while the time, level, count and key columns keep their values on one line. report.json and
 * findings.csv keep every finding with all its eventIDs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openWatched } from '../fixtures/browser.js';
import { cli, record, s3File, tmpDir, write } from '../helpers.js';
import { tableLayout } from './layout.js';

const KEY = 'AKIABIGCASEKEY000001';
const LONG_ARN = `arn:aws:iam::111122223333:user/${'x'.repeat(10_000)}`;
const LONG_AGENT = `Mozilla/${'A'.repeat(10_000)}`;
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2'];
const LAUNCHES = 1000;
const USERS = LAUNCHES; // one user created before each launch
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
let out: string;

beforeAll(() => {
  const d = tmpDir();
  const who = { type: 'IAMUser', principalId: 'AIDABIG', arn: LONG_ARN, accountId: '111122223333', accessKeyId: KEY, userName: 'x' };
  const ec2 = (i: number) =>
    record({
      userIdentity: who,
      userAgent: LONG_AGENT,
      eventSource: 'ec2.amazonaws.com',
      eventName: 'RunInstances',
      readOnly: false,
      awsRegion: REGIONS[i % REGIONS.length],
      requestParameters: { instanceType: 'p3.2xlarge', instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] } },
      responseElements: { instancesSet: { items: [{ instanceId: `i-${i.toString(16).padStart(17, '0')}` }] } },
    });
  const iam = (i: number) =>
    record({ userIdentity: who, userAgent: LONG_AGENT, eventName: 'CreateUser', readOnly: false, requestParameters: { userName: `u${i}` } });
  // A user created first: the chain (and so the report) starts there.
  const events = Array.from({ length: LAUNCHES }, (_, i) => [iam(i), ec2(i)]).flat();
  write(path.join(d, 'ev/a.json.gz'), s3File(events));
  out = path.join(d, 'case');
  const r = cli(['investigate', path.join(d, 'ev'), '--key', KEY, '--out', out]);
  expect(r.status, r.stderr).toBe(0);
}, 180_000);

const json = () => JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));

describe('findings grouped for reading', () => {
  it('report.json keeps every finding and adds the groups; findings.csv has every eventID', () => {
    const r = json();
    expect(r.findings.length).toBeGreaterThan(LAUNCHES + USERS);
    const launched = r.findingGroups.find((g: { rule: { title: string } }) => /GPU/.test(g.rule.title));
    expect(launched).toMatchObject({ principal: LONG_ARN, accessKeyId: KEY, findings: LAUNCHES, events: LAUNCHES, regions: REGIONS });
    expect(launched.eventIDs).toHaveLength(3);
    const total = r.findingGroups.reduce((n: number, g: { findings: number }) => n + g.findings, 0);
    expect(total).toBe(r.findings.length);
    const levels = r.findingGroups.map((g: { rule: { level: string } }) => ['informational', 'low', 'medium', 'high', 'critical'].indexOf(g.rule.level));
    expect(levels).toEqual([...levels].sort((a: number, b: number) => b - a));
    const csv = fs.readFileSync(path.join(out, 'findings.csv'), 'utf8');
    for (const f of r.findings) expect(csv).toContain(f.eventIDs.at(-1));
  });

  it('report.md: one row per group, no cell with more than three eventIDs', () => {
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    const section = md.slice(md.indexOf('## Findings'), md.indexOf('## Step 4'));
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));
    expect(rows).toHaveLength(json().findingGroups.length + 1);
    for (const row of rows) expect((row.match(UUID) ?? []).length, row.slice(0, 80)).toBeLessThanOrEqual(3);
    expect(section).toContain(`${LAUNCHES} events:`);
    expect(section).toMatch(/and \d+ more \(findings\.csv\)/);
  });
});

describe('report.html findings in the real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  for (const width of [1300, 800]) {
    it(`at ${width}px: no cell wider than the page, no squeezed column, a handful of ids per cell`, async () => {
      const { page, problems, requests } = await openWatched(browser, path.join(out, 'report.html'), 'keytrailReport', { width, height: 900 });
      expect([problems, requests]).toEqual([[], []]);
      const layout = await tableLayout(page);
      expect(layout).toEqual({ wider: [], squeezed: [], overflow: 0 });
      const cells = await page.locator('#findings td').allTextContents();
      expect(await page.locator('#findings tr').count()).toBe(json().findingGroups.length + 1);
      for (const c of cells) expect((c.match(UUID) ?? []).length, c.slice(0, 80)).toBeLessThanOrEqual(3);
      // A 10,000-character value is cut in the page, with where the whole of it is.
      expect(Math.max(...cells.map((c) => c.length))).toBeLessThan(500);
      expect(cells.join('\n')).toMatch(/… \(\d+ more characters, in report\.json\)/);
      await page.close();
    }, 90_000);
  }

  it('prints to PDF in under 30 pages: long tables fold past their first 40 rows, open on screen with a click', async () => {
    const { page, problems, requests } = await openWatched(browser, path.join(out, 'report.html'), 'keytrailReport', { width: 1300, height: 900 });
    expect([problems, requests]).toEqual([[], []]);
    // Step 2 (1,000 users), Step 3 (1,000 instances), Step 4 and the timeline all fold.
    expect(await page.locator('details').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('details summary').first().textContent()).toMatch(/^\d+ more row\(s\): open to see them here/);
    const pdf = await page.pdf({ format: 'A4' });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBeGreaterThan(1);
    expect(pages).toBeLessThan(30);
    await page.close();
  }, 90_000);
});
