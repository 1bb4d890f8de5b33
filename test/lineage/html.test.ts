/**
 * The lineage HTML in a real headless browser (Debian's chromium through playwright-core): it
 * loads from a file with no network at all, draws every node and edge of the JSON, shows a node's
 * activity and evidence on click, and treats attacker-controlled strings as text.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/lineage/html.js';
import { Graph } from '../../src/lineage/graph.js';
import type { Lineage } from '../../src/lineage/lineage.js';
import { launchChromium, openWatched } from '../fixtures/browser.js';
import { ROOT, cli, tmpDir } from '../helpers.js';

const truth = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples/leaked-key/truth.json'), 'utf8'));
let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchChromium();
  dir = tmpDir();
  const db = path.join(dir, 'case.duckdb');
  expect(cli(['ingest', path.join(ROOT, 'samples/leaked-key/evidence'), '--db', db, '--quiet']).status).toBe(0);
  expect(cli(['lineage', '--key', truth.leakedKey, '--db', db, '--format', 'html', '-o', path.join(dir, 'lineage.html')]).status).toBe(0);
  fs.writeFileSync(path.join(dir, 'lineage.json'), cli(['lineage', '--key', truth.leakedKey, '--db', db, '--format', 'json']).stdout);
}, 120_000);
afterAll(async () => browser?.close());

const open = (file: string) => openWatched(browser, file, 'keytrail');

describe('lineage --format html', () => {
  it('loads offline without errors and draws the same graph as the JSON; a click shows the evidence', async () => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'lineage.json'), 'utf8')) as Lineage;
    const { page, problems, requests } = await open(path.join(dir, 'lineage.html'));
    const drawn = await page.evaluate(() => {
      const { cy } = (
        window as unknown as {
          keytrail: {
            cy: {
              nodes(): { map(f: (n: { id(): string; renderedPosition(): { x: number; y: number } }) => unknown): unknown[] };
              edges(): { map(f: (e: { source(): { id(): string }; target(): { id(): string } }) => unknown): unknown[] };
            };
          };
        }
      ).keytrail;
      return {
        nodes: cy.nodes().map((n) => n.id()),
        positions: cy.nodes().map((n) => n.renderedPosition()),
        edges: cy.edges().map((e) => `${e.source().id()} ${e.target().id()}`),
      };
    });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    expect((drawn.nodes as string[]).sort()).toEqual(json.nodes.map((n) => n.id).sort());
    expect((drawn.edges as string[]).sort()).toEqual(json.edges.map((e) => `${e.from} ${e.to}`).sort());
    // Laid out on the canvas: every node has a finite position, and they are not all on one spot.
    const pos = drawn.positions as { x: number; y: number }[];
    expect(pos.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(true);
    expect(new Set(pos.map((p) => `${Math.round(p.x)},${Math.round(p.y)}`)).size).toBeGreaterThan(pos.length / 2);
    expect(await page.locator('#cy canvas').count()).toBeGreaterThan(0);
    // A click on the created user's node shows its activity and the CreateUser event that proves it.
    const user = `user/${truth.createdUsers[0].userName}`;
    const at = await page.evaluate((id) => {
      const { cy } = (window as unknown as { keytrail: { cy: { getElementById(id: string): { renderedPosition(): { x: number; y: number } } } } }).keytrail;
      return cy.getElementById(id).renderedPosition();
    }, user);
    const box = (await page.locator('#cy').boundingBox())!;
    await page.mouse.click(box.x + at.x, box.y + at.y);
    const panel = await page.locator('#panel').textContent();
    expect(panel).toContain(user);
    expect(panel).toContain(truth.createdUsers[0].eventID);
    await page.screenshot({ path: path.join(dir, 'lineage.png') });
    await page.close();
  }, 60_000);

  it('shows hostile values from the logs as text: no script runs, nothing is fetched', async () => {
    const hostile = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';
    const l: Lineage = {
      seeds: ['AKIAEXAMPLEHOSTILE01'],
      nodes: [
        {
          id: 'AKIAEXAMPLEHOSTILE01',
          kind: 'access_key',
          name: 'AKIAEXAMPLEHOSTILE01',
          arn: null,
          temporary: false,
          createdByAttacker: false,
          tainted: true,
          seed: true,
          owner: null,
          firstSeen: '2026-10-14T03:00:00Z',
          lastSeen: '2026-10-14T03:00:00Z',
          activity: {
            events: 1,
            regions: { 'us-east-1': 1 },
            services: { 'iam.amazonaws.com': 1 },
            sourceIPs: ['203.0.113.7'],
            userAgents: [hostile],
            errors: 0,
          },
          attempts: [],
        },
        // a user the attacker created, named with the hostile string, as the graph makes a node
        { ...new Graph().named('user', hostile, { createdByAttacker: true }), tainted: true },
      ],
      edges: [{ from: 'AKIAEXAMPLEHOSTILE01', to: `user/${hostile}`, kind: 'created_user', eventID: hostile, eventTime: '2026-10-14T03:00:00Z' }],
      warnings: [hostile],
    };
    const file = path.join(dir, 'hostile.html');
    fs.writeFileSync(file, renderHtml(l, hostile));
    const { page, problems, requests } = await open(file);
    await page.evaluate(() => (window as unknown as { keytrail: { show(id: string): void } }).keytrail.show('AKIAEXAMPLEHOSTILE01'));
    expect(await page.locator('#panel').textContent()).toContain(hostile);
    expect(await page.locator('#panel img, #top img, #count img').count()).toBe(0);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 60_000);

  it('stays readable at 250 nodes: laid out in a few seconds, the keys each key made grouped, nodes spread apart, not piled up', async () => {
    const nodes: Lineage['nodes'] = [];
    const edges: Lineage['edges'] = [];
    const node = (id: string, seed = false) =>
      nodes.push({
        id,
        kind: 'access_key',
        name: id,
        arn: null,
        temporary: false,
        createdByAttacker: !seed,
        tainted: true,
        seed,
        owner: null,
        firstSeen: null,
        lastSeen: null,
        activity: { events: 0, regions: {}, services: {}, sourceIPs: [], userAgents: [], errors: 0 },
        attempts: [],
      });
    node('AKIASEED', true);
    for (let i = 0; i < 249; i++) {
      const id = `AKIANODE${String(i).padStart(4, '0')}`;
      node(id);
      edges.push({
        from: i < 12 ? 'AKIASEED' : `AKIANODE${String(Math.floor(i / 12) - 1).padStart(4, '0')}`,
        to: id,
        kind: 'created_access_key',
        eventID: `e${i}`,
        eventTime: '2026-10-14T03:00:00Z',
      });
    }
    const file = path.join(dir, 'big.html');
    fs.writeFileSync(file, renderHtml({ seeds: ['AKIASEED'], nodes, edges, warnings: [] }));
    const started = Date.now();
    const { page, problems } = await open(file);
    expect(Date.now() - started).toBeLessThan(15_000);
    const drawn = (await page.evaluate(() =>
      (
        window as unknown as {
          keytrail: {
            cy: { nodes(): { map(f: (n: { id(): string; data(k: string): string[]; position(): { x: number; y: number } }) => unknown): unknown[] } };
          };
        }
      ).keytrail.cy
        .nodes()
        .map((n) => ({ ids: n.data('members').length ? n.data('members') : [n.id()], at: n.position() })),
    )) as { ids: string[]; at: { x: number; y: number } }[];
    expect(problems).toEqual([]);
    // Each key's 12 leaf keys are one node ("12 access keys"); every key is drawn or in one.
    expect(drawn.flatMap((n) => n.ids).sort()).toEqual(nodes.map((n) => n.id).sort());
    expect(drawn.length).toBeLessThan(60);
    const pos = drawn.map((n) => n.at);
    // No two nodes closer than a node's width: labels stay apart when zoomed in.
    let closest = Infinity;
    for (let i = 0; i < pos.length; i++)
      for (let j = i + 1; j < pos.length; j++) closest = Math.min(closest, Math.hypot(pos[i]!.x - pos[j]!.x, pos[i]!.y - pos[j]!.y));
    expect(closest).toBeGreaterThanOrEqual(26);
    await page.close();
  }, 60_000);
});
