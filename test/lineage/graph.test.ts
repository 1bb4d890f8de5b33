/**
 * The lineage graph as people read it (src/browser/graph.ts, drawn.ts): what is drawn (short labels, large
 * groups of sibling leaves as one node) tested as data, then the pages in a real headless browser
 * at 8, 40 and 250 nodes: in layers with the seeds on top, no two labels over each other, the find
 * box bringing a node into view, no request of any kind. KT_GRAPH_OUT=<folder> keeps the pages and
 * their screenshots there, to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Core } from 'cytoscape';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Drawn, MAX_SIBLINGS, drawnGraph, layeringEdges, leafLists, unreachedRoots } from '../../src/browser/drawn.js';
import { renderHtml } from '../../src/lineage/html.js';
import type { Lineage } from '../../src/lineage/lineage.js';
import { provenance } from '../../src/provenance.js';
import { renderReportHtml } from '../../src/report/html.js';
import type { Report } from '../../src/report/report.js';
import { launchChromium, openWatched } from '../fixtures/browser.js';
import { syntheticLineage } from '../fixtures/lineage/synthetic.js';
import { tmpDir } from '../helpers.js';

const SIZES = [8, 40, 250];

describe('the graph as drawn (data)', () => {
  it('labels: a key as AKIA…tail, a session as role/…tail, every key label unique, names one printable line', () => {
    for (const size of SIZES) {
      const l = syntheticLineage(size);
      expect(l.nodes).toHaveLength(size);
      const d = drawnGraph(l, Infinity);
      const keys = d.nodes.filter((n) => l.nodes.find((x) => x.id === n.id)?.kind === 'access_key');
      expect(new Set(keys.map((n) => n.label)).size, `size ${size}`).toBe(keys.length);
      for (const n of d.nodes) {
        const node = l.nodes.find((x) => x.id === n.id)!;
        expect(n.label).not.toMatch(/[\p{Cc}\p{Cf}]/u);
        expect(Array.from(n.label).length, n.label).toBeLessThanOrEqual(32);
        if (node.kind === 'access_key' && node.temporary && node.owner?.startsWith('role/')) expect(n.label).toMatch(/^[^/]+\/…[A-Z2-7]{4,}$/);
        else if (node.kind === 'access_key') expect(n.label).toMatch(/^AKIA…[A-Z2-7]{4,}$|^ASIA…[A-Z2-7]{4,}$|\/…[A-Z2-7]{4,}$/);
        // The whole id is in what the find box matches and in the tooltip.
        expect(n.search).toContain(node.id.toLowerCase());
        expect(n.title).toContain(node.id.replace(/\s+/g, ' ').replace(/[\p{Cc}\p{Cf}]/gu, '?'));
      }
    }
    const d = drawnGraph(syntheticLineage(8));
    expect(d.nodes.map((n) => n.label)).toEqual(expect.arrayContaining(['svc-backup', 'ops-admin', '999988887777']));
    // Keys alike to their last 8 characters: the tail grows until they read apart, a third key keeps its 4.
    const l = syntheticLineage(8);
    const keys = ['AKIABACKDOOR00000001', 'AKIALOOP000000000001', 'AKIALOOP000000000002'].map((id) => ({ ...l.nodes[0]!, id, name: id, seed: false }));
    const labels = drawnGraph({ ...l, nodes: [...l.nodes, ...keys] })
      .nodes.slice(-3)
      .map((n) => n.label);
    expect(labels).toEqual(['AKIA…OR00000001', 'AKIA…0000000001', 'AKIA…0002']);
  });

  it(`more than ${MAX_SIBLINGS} sibling leaves of a kind are one node ("14 sessions of ops-admin"); every node of the lineage is drawn or in a group`, () => {
    const l = syntheticLineage(250);
    const d = drawnGraph(l);
    const groups = d.nodes.filter((n) => n.members.length);
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      expect(g.members.length).toBeGreaterThan(MAX_SIBLINGS);
      expect(g.label).toMatch(new RegExp(`^${g.members.length} (sessions|access keys|users|roles) `));
      for (const id of g.members) expect(g.search).toContain(id.toLowerCase());
    }
    expect(groups.map((g) => g.label)).toEqual(expect.arrayContaining([expect.stringMatching(/^\d+ sessions of /)]));
    const drawn = new Set(d.nodes.flatMap((n) => (n.members.length ? n.members : [n.id])));
    expect([...drawn].sort()).toEqual(l.nodes.map((n) => n.id).sort());
    expect(d.nodes.length).toBeLessThan(l.nodes.length * 0.8);
    // Every edge of the lineage is drawn, or counted in the label of one into a group.
    const counted = d.edges.reduce((sum, e) => sum + Number(/×(\d+)$/.exec(e.label)?.[1] ?? 1), 0);
    expect(counted).toBe(l.edges.length);
    // Ids stay apart from the nodes' ids whatever the logs named them.
    expect(new Set([...d.nodes, ...d.edges].map((x) => x.id)).size).toBe(d.nodes.length + d.edges.length);
  });

  it('hangs what no seed reaches under the top node: the outside account and the admin key', () => {
    const l = syntheticLineage(8);
    const account = l.nodes.find((n) => n.kind === 'account')!.id;
    const admin = l.nodes.find((n) => n.owner === 'user/alice')!.id;
    expect(unreachedRoots(drawnGraph(l))).toEqual([account, admin]);
  });

  it('layers by what made or obtained a node: a session sits under the key that assumed it, not under its role', () => {
    const d = drawnGraph(syntheticLineage(8));
    const kinds = layeringEdges(d).map((e) => e.kind);
    expect(kinds).not.toContain('session_of');
    expect(kinds).not.toContain('attached_policy');
    expect(kinds).toEqual(expect.arrayContaining(['created_user', 'created_access_key', 'created_role', 'assumed_role']));
  });

  it('lists three or more leaves that only one node made under it; a leaf with two makers, or an edge out, stays in the layer', () => {
    const node = (id: string, seed = false) => ({ id, label: id, title: id, search: id, colour: '', shape: '', seed, members: [] });
    const edge = (source: string, target: string, i: number) => ({ id: `e${i}`, source, target, kind: 'created_access_key' as const, label: '' });
    const d: Drawn = {
      nodes: ['S', 'P', 'a', 'b', 'c', 'Q', 'x', 'y', 'z'].map((id) => node(id, id === 'S')),
      edges: [
        ['S', 'P'],
        ['P', 'a'],
        ['P', 'b'],
        ['P', 'c'],
        ['S', 'Q'],
        ['Q', 'x'],
        ['Q', 'y'],
        ['P', 'y'],
        ['Q', 'z'],
        ['z', 'c'],
      ].map(([from, to], i) => edge(from!, to!, i)),
    };
    // c has two makers (P, z); y too (Q, P); z made c: Q keeps x alone, fewer than three.
    expect([...leafLists(d)]).toEqual([]);
    d.nodes.push(node('d'));
    d.edges.push(edge('P', 'd', 99));
    expect([...leafLists(d)]).toEqual([['P', ['a', 'b', 'd']]]);
  });

  it('an element id the logs chose cannot collide with the ids the graph makes', () => {
    const l = syntheticLineage(8);
    const hostile = { ...l.nodes[1]!, id: 'edge/0', name: 'edge/0', seed: false };
    const d = drawnGraph({ ...l, nodes: [...l.nodes, hostile] });
    expect(new Set([...d.nodes, ...d.edges].map((x) => x.id)).size).toBe(d.nodes.length + d.edges.length);
  });
});

/** What the tests read of the drawn graph, in the page. */
interface Measured {
  layoutMs: number;
  zoom: number;
  nodes: {
    id: string;
    seed: boolean;
    members: string[];
    y: number;
    label: { x1: number; x2: number; y1: number; y2: number };
    box: { x1: number; x2: number; y1: number; y2: number };
  }[];
}

const measure = (page: Page, handle: 'keytrail' | 'keytrailReport') =>
  page.evaluate((h) => {
    const cy = (window as unknown as Record<string, { cy: Core }>)[h]!.cy;
    const box = (b: { x1: number; x2: number; y1: number; y2: number }) => ({ x1: b.x1, x2: b.x2, y1: b.y1, y2: b.y2 });
    return {
      layoutMs: cy.scratch('keytrail').layoutMs,
      zoom: cy.zoom(),
      nodes: cy.nodes().map((n) => ({
        id: n.id(),
        seed: n.data('seed'),
        members: n.data('members'),
        y: n.position().y,
        label: box(n.boundingBox({ includeLabels: true, includeNodes: false, includeOverlays: false })),
        box: box(n.boundingBox({ includeLabels: true, includeNodes: true, includeOverlays: false })),
      })),
    };
  }, handle) as Promise<Measured>;

type Box = Measured['nodes'][number]['box'];
/** Boxes that share more than a hair (half a pixel either way: rounding). */
const overlap = (a: Box, b: Box) => Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) > 0.5 && Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) > 0.5;

function overlapping(m: Measured, which: 'label' | 'box'): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.nodes.length; i++)
    for (let j = i + 1; j < m.nodes.length; j++) if (overlap(m.nodes[i]![which], m.nodes[j]![which])) out.push(`${m.nodes[i]!.id} / ${m.nodes[j]!.id}`);
  return out;
}

/** The check every page's graph passes: drawn whole, no two labels (nor nodes with their labels) over each other, every seed above every other node. */
function expectReadable(l: Lineage, m: Measured): void {
  const drawn = m.nodes.flatMap((n) => (n.members.length ? n.members : [n.id]));
  expect(drawn.sort()).toEqual(l.nodes.map((n) => n.id).sort());
  expect(overlapping(m, 'label')).toEqual([]);
  expect(overlapping(m, 'box')).toEqual([]);
  const seeds = m.nodes.filter((n) => n.seed);
  expect(seeds.length).toBe(l.nodes.filter((n) => n.seed).length);
  const lowestSeed = Math.max(...seeds.map((n) => n.y));
  for (const n of m.nodes.filter((x) => !x.seed)) expect(n.y, n.id).toBeGreaterThan(lowestSeed);
}

describe('the graph in a real browser', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await launchChromium();
    dir = process.env.KT_GRAPH_OUT ?? tmpDir();
  });
  afterAll(async () => browser?.close());

  for (const size of SIZES) {
    it(`lineage.html at ${size} nodes: seeds on top, no label over another, the find box brings a node into view, no request`, async () => {
      const l = syntheticLineage(size);
      const file = path.join(dir, `lineage-${size}.html`);
      fs.writeFileSync(file, renderHtml(l));
      const { page, problems, requests } = await openWatched(browser, file, 'keytrail', { width: 1300, height: 800 });
      const m = await measure(page, 'keytrail');
      expectReadable(l, m);
      // The first view: labels big enough to read something, every seed in it; the whole graph when it fits so.
      const inView = () =>
        page.evaluate(() => {
          const cy = (window as unknown as { keytrail: { cy: Core } }).keytrail.cy;
          const inside = (b: { x1: number; x2: number; y1: number; y2: number }) => b.x1 >= 0 && b.y1 >= 0 && b.x2 <= cy.width() && b.y2 <= cy.height();
          return {
            zoom: cy.zoom(),
            seeds: cy.nodes().filter((n) => n.data('seed') && !inside(n.renderedBoundingBox({ includeLabels: true }))).length,
            others: cy.nodes().filter((n) => !inside(n.renderedBoundingBox({ includeLabels: true }))).length,
          };
        });
      const first = await inView();
      await page.screenshot({ path: path.join(dir, `lineage-${size}.png`) });
      expect(first.zoom).toBeGreaterThanOrEqual(0.35);
      expect(first.seeds).toBe(0);
      if (size < 250) expect(first.others).toBe(0);
      await page.click('#whole');
      const whole = await inView();
      expect(whole.others).toBe(0);
      console.log(
        `lineage.html, ${size} nodes: ${m.nodes.length} drawn, laid out in ${Math.round(m.layoutMs)} ms, first view at zoom ${first.zoom.toFixed(2)}, whole graph at ${whole.zoom.toFixed(2)}`,
      );
      expect(m.layoutMs).toBeLessThan(5_000);
      await page.screenshot({ path: path.join(dir, `lineage-${size}-whole.png`) });

      // The deepest node of the lineage (the last one made), its view moved away first.
      const target = l.nodes.at(-1)!;
      const drawnAs = m.nodes.find((n) => n.id === target.id || n.members.includes(target.id))!.id;
      const where = () =>
        page.evaluate((id) => {
          const cy = (window as unknown as { keytrail: { cy: Core } }).keytrail.cy;
          const b = cy.getElementById(id).renderedBoundingBox({ includeLabels: true });
          return { animated: cy.animated(), zoom: cy.zoom(), b: { x1: b.x1, x2: b.x2, y1: b.y1, y2: b.y2 }, w: cy.width(), h: cy.height() };
        }, drawnAs);
      await page.evaluate(() => {
        const cy = (window as unknown as { keytrail: { cy: Core } }).keytrail.cy;
        cy.zoom(0.5);
        cy.pan({ x: 5_000, y: -5_000 });
      });
      const before = await where();
      expect(before.b.x1 > before.w || before.b.y2 < 0).toBe(true);
      await page.fill('#find', target.id);
      await page.waitForFunction(() => !(window as unknown as { keytrail: { cy: Core } }).keytrail.cy.animated());
      const after = await where();
      expect(after.b.x1).toBeGreaterThanOrEqual(0);
      expect(after.b.y1).toBeGreaterThanOrEqual(0);
      expect(after.b.x2).toBeLessThanOrEqual(after.w);
      expect(after.b.y2).toBeLessThanOrEqual(after.h);
      // Close enough to read: labels of 9px at 9px or more.
      expect(after.zoom).toBeGreaterThanOrEqual(1);
      expect(await page.evaluate((id) => (window as unknown as { keytrail: { cy: Core } }).keytrail.cy.getElementById(id).hasClass('hit'), drawnAs)).toBe(true);
      await page.screenshot({ path: path.join(dir, `lineage-${size}-found.png`) });
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    }, 60_000);
  }

  it('a group lists its members in the side panel, each a click away from its own facts; a list hangs on one connector left of its leaves', async () => {
    const l = syntheticLineage(250);
    const file = path.join(dir, 'lineage-250-groups.html');
    fs.writeFileSync(file, renderHtml(l));
    const { page, problems, requests } = await openWatched(browser, file, 'keytrail', { width: 1300, height: 800 });
    const group = await page.evaluate(() => {
      const cy = (window as unknown as { keytrail: { cy: Core } }).keytrail.cy;
      const g = cy.nodes('.group').first();
      cy.zoom(1);
      cy.center(g);
      return { label: g.data('label') as string, members: g.data('members') as string[], at: g.renderedPosition() };
    });
    const box = (await page.locator('#cy').boundingBox())!;
    // The tooltip names the group and its first members in full.
    await page.mouse.move(box.x + group.at.x, box.y + group.at.y);
    expect(await page.locator('#cy').getAttribute('title')).toContain(`${group.label}\n${group.members[0]}`);
    await page.mouse.click(box.x + group.at.x, box.y + group.at.y);
    expect(await page.locator('#panel h2').first().textContent()).toBe(group.label);
    expect(await page.locator('#panel button').allTextContents()).toEqual(group.members);
    await page.locator('#panel button').nth(2).click();
    const member = l.nodes.find((n) => n.id === group.members[2])!;
    expect(await page.locator('#panel h2').first().textContent()).toBe(`${member.kind}: ${member.id}`);
    // Each edge from a list's node into a leaf ends along the list's left side: its last bend is left of the leaf, level with it.
    const ends = await page.evaluate(() =>
      (window as unknown as { keytrail: { cy: Core } }).keytrail.cy.edges('edge.listed').map((e) => {
        const points = e.segmentPoints();
        return { last: points.at(-1)!, leaf: e.target().boundingBox({ includeLabels: false }), to: e.target().position() };
      }),
    );
    expect(ends.length).toBeGreaterThan(0);
    for (const e of ends) {
      expect(e.last.x).toBeLessThan(e.leaf.x1);
      expect(e.last.y).toBeCloseTo(e.to.y, 0);
    }
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 60_000);

  it('a lineage of nothing, or of the seed alone, draws without an error', async () => {
    const seed = syntheticLineage(8).nodes[0]!;
    for (const [name, l] of [
      ['empty', { seeds: [], nodes: [], edges: [], warnings: ['no event'] }],
      ['seed', { seeds: [seed.id], nodes: [seed], edges: [], warnings: [] }],
    ] as [string, Lineage][]) {
      const file = path.join(dir, `lineage-${name}.html`);
      fs.writeFileSync(file, renderHtml(l));
      const { page, problems, requests } = await openWatched(browser, file, 'keytrail', { width: 1300, height: 800 });
      expect(await page.evaluate(() => (window as unknown as { keytrail: { cy: Core } }).keytrail.cy.nodes().length)).toBe(l.nodes.length);
      await page.fill('#find', 'akia');
      await page.click('#whole');
      expect([problems, requests]).toEqual([[], []]);
      await page.close();
    }
  }, 60_000);

  it('report.html draws the 250-node lineage the same way in Step 2', async () => {
    const l = syntheticLineage(250);
    const report: Report = {
      generatedAt: '2026-10-14T10:00:00Z',
      timeZone: null,
      provenance: provenance(),
      rulesRun: null,
      integrity: null,
      seeds: l.seeds,
      window: { first: null, last: null, ownerUntil: null, how: '' },
      summary: [],
      keys: [],
      iamChanges: [],
      resources: [],
      heatmap: [],
      timeline: [],
      activity: [],
      coverage: {
        regions: [],
        days: [],
        gaps: [],
        usEast1: true,
        lookupOnly: false,
        partialFiles: [],
        queryResults: [],
        rejectedFiles: [],
        rejectedRecords: 0,
        evidenceStart: null,
        seedFirstUse: null,
        s3DataEvents: false,
        warnings: [],
      },
      data: [],
      billing: { resources: [], instanceHours: [], quotaRequests: [], supportCases: [], prices: null },
      findings: [],
      findingGroups: [],
      otherFindings: 0,
      lineage: l,
    };
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, renderReportHtml(report));
    const { page, problems, requests } = await openWatched(browser, file, 'keytrailReport', { width: 1300, height: 900 });
    const m = await measure(page, 'keytrailReport');
    expectReadable(l, m);
    console.log(`report.html, 250 nodes: ${m.nodes.length} drawn, laid out in ${Math.round(m.layoutMs)} ms`);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 60_000);
});
