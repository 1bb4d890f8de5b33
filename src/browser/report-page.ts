/**
 * Browser code: the report page (src/report/html.ts). It reads the report from the page's JSON
 * block and fills each section: tables, the two charts as inline SVG, the lineage graph.
 * scripts/page-scripts.mjs transpiles it into the page's one inline script, this file's code inside a
 * function of its own. Every value from the logs is set as textContent or as an SVG attribute:
 * never parsed as HTML.
 */
import type { ReportPageData } from '../report/html.js';
import { drawLineage } from './graph.js';

type Cell = string | number | null | undefined;

const r: ReportPageData = JSON.parse(document.getElementById('report-data')!.textContent!);
const SVG = 'http://www.w3.org/2000/svg';

function el(tag: string, text?: unknown, cls?: string): HTMLElement {
  const x = document.createElement(tag);
  if (text !== undefined && text !== null) x.textContent = String(text);
  if (cls) x.className = cls;
  return x;
}

/**
 * Width classes of columns by their header (src/report/html.ts sizes them): times, levels, counts,
 * keys and eventIDs get a fixed width, so that no other column can squeeze them; every other column
 * shares the rest, its values wrapped anywhere (a value from the logs may be 10,000 characters with no space).
 */
const COLUMN_CLASS: Record<string, string> = {
  time: 'c-time',
  first: 'c-time',
  last: 'c-time',
  'first use': 'c-time',
  'last use': 'c-time',
  when: 'c-time',
  'summary (first finding)': 'c-wide',
  level: 'c-level',
  findings: 'c-num',
  events: 'c-num',
  days: 'c-num',
  region: 'c-region',
  'access key': 'c-key',
  key: 'c-key',
  eventID: 'c-id',
};

/** Characters of one cell shown in the page; report.json has the whole value. */
const MAX_CELL = 400;

function cellText(v: Cell): string {
  const s = v === null || v === undefined || v === '' ? '-' : String(v);
  return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL)}… (${s.length - MAX_CELL} more characters, in report.json)` : s;
}

/** Rows a table shows before the rest fold away: a long table stays one click away on screen and out of a printout. */
const FOLD = 40;

/** A table of `rows` (with their `failed` flags: greyed) under `head`. */
function tableOf(head: string[], rows: Cell[][], failed: boolean[]): HTMLElement {
  const t = el('table');
  const tr = el('tr');
  for (const h of head) tr.appendChild(el('th', h, COLUMN_CLASS[h]));
  t.appendChild(tr);
  rows.forEach((row, i) => {
    const x = el('tr', undefined, failed[i] ? 'failed' : '');
    // The value in a block of its own: on paper it stops after a few lines (html.ts, @media print).
    for (const v of row) x.appendChild(el('td')).appendChild(el('div', cellText(v)));
    t.appendChild(x);
  });
  return t;
}

/**
 * A table, or `none` when there are no rows; a row whose `failed` flag is set is greyed. Past FOLD
 * rows the rest are in a closed <details> (report.json and the CSV files have them all), so that a
 * case of thousands of rows prints in a few pages.
 */
function table(head: string[], rows: Cell[][], failed: boolean[] = []): HTMLElement {
  if (!rows.length) return el('p', 'none');
  if (rows.length <= FOLD) return tableOf(head, rows, failed);
  const box = el('div');
  box.appendChild(tableOf(head, rows.slice(0, FOLD), failed.slice(0, FOLD)));
  const more = el('details');
  more.appendChild(el('summary', `${rows.length - FOLD} more row(s): open to see them here; report.json has them all`));
  more.appendChild(tableOf(head, rows.slice(FOLD), failed.slice(FOLD)));
  box.appendChild(more);
  return box;
}

function put(id: string, node: Node): void {
  document.getElementById(id)!.appendChild(node);
}

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const x = document.createElementNS(SVG, tag);
  for (const k of Object.keys(attrs)) x.setAttribute(k, String(attrs[k]));
  return x;
}

/** An SVG element holding text: a label (`text`) or a tooltip (`title`). */
function svgText(tag: 'text' | 'title', attrs: Record<string, string | number>, text: string): SVGElement {
  const x = svg(tag, attrs);
  x.textContent = text;
  return x;
}

function header(): void {
  document.getElementById('meta')!.textContent =
    `Generated ${r.generatedAt} by keytrail, offline, from the case database. Seeds: ${r.seeds.join(', ')}. Made with ${r.madeWith}.`;
  for (const s of r.summary) put('summary-list', el('li', s));
  if (r.coverage.warnings.length) {
    const w = el('div', undefined, 'warn');
    w.appendChild(el('strong', 'Evidence limits'));
    const ul = el('ul');
    for (const x of r.coverage.warnings) ul.appendChild(el('li', x));
    w.appendChild(ul);
    put('limits', w);
  }
}

/** Step 1. */
function keys(): void {
  put('keys', table(r.keyTable.head, r.keyTable.rows));
  if (r.unusedKeys) put('keys', el('p', r.unusedKeys));
}

/** Step 2 (the lineage graph is drawn last). */
function iamChanges(): void {
  put('iam', el('p', `Attack window: ${r.window.how}`));
  put('iam', table(r.iamTable.head, r.iamTable.rows, r.iamTable.failed));
}

/** Activity over time: one bar per hour, failed calls darker on top. */
function activityChart(): void {
  const a = r.activity;
  const W = 1100;
  const H = 160;
  const pad = 30;
  const s = svg('svg', { width: W, height: H + 40, viewBox: `0 0 ${W} ${H + 40}`, role: 'img', 'aria-label': 'attacker events per hour' });
  const max = Math.max(...a.map((x) => x.events), 1);
  const bw = Math.max(2, (W - pad * 2) / Math.max(a.length, 1) - 1);
  a.forEach((x, i) => {
    const h = (x.events / max) * H;
    const hf = (x.failed / max) * H;
    const X = pad + i * (bw + 1);
    const bar = svg('rect', { x: X, y: H - h + 10, width: bw, height: Math.max(h, 1), fill: '#e69138', class: 'bar' });
    bar.appendChild(svgText('title', {}, `${x.hour}: ${x.events} events, ${x.failed} failed`));
    s.appendChild(bar);
    if (hf > 0) s.appendChild(svg('rect', { x: X, y: H - hf + 10, width: bw, height: hf, fill: '#990000' }));
  });
  if (a.length) {
    s.appendChild(svgText('text', { x: pad, y: H + 30 }, a[0]!.hour));
    s.appendChild(svgText('text', { x: W - pad - 110, y: H + 30 }, a[a.length - 1]!.hour));
  }
  put('chart-time', s);
}

/** Region x day heat map. */
function heatMap(): void {
  const days = Array.from(new Set(r.heatmap.map((h) => h.day))).sort();
  const regions = Array.from(new Set(r.heatmap.map((h) => h.region))).sort();
  const cw = Math.max(18, Math.min(60, 900 / Math.max(days.length, 1)));
  const ch = 20;
  const left = 120;
  const top = 70;
  const width = left + cw * days.length + 10;
  const height = top + ch * regions.length + 10;
  const s = svg('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'attacker events by region and day',
  });
  const max = Math.max(...r.heatmap.map((h) => h.events), 1);
  days.forEach((d, j) => {
    const x = left + j * cw + 4;
    s.appendChild(svgText('text', { x, y: top - 6, transform: `rotate(-45 ${x} ${top - 6})` }, d));
  });
  regions.forEach((rg, i) => {
    s.appendChild(svgText('text', { x: 4, y: top + i * ch + 14 }, rg));
    days.forEach((d, j) => {
      const h = r.heatmap.find((x) => x.region === rg && x.day === d);
      const v = h ? h.events : 0;
      const fill = v ? `rgba(204, 0, 0, ${(0.15 + (0.85 * v) / max).toFixed(3)})` : '#f3f3f3';
      const cell = svg('rect', { x: left + j * cw, y: top + i * ch, width: cw - 2, height: ch - 2, fill, class: 'cell' });
      cell.appendChild(svgText('title', {}, `${rg} ${d}: ${v} events`));
      s.appendChild(cell);
    });
  });
  put('chart-heat', s);
}

/** Step 3's tables: what was made, region by region, then the failed attempts. */
function resources(): void {
  for (const t of r.resourceTables) {
    put('resources', el('h3', t.title));
    put('resources', table(t.head, t.rows));
  }
}

function coverage(): void {
  const c = r.coverage;
  put('coverage-body', el('p', `Days covered: ${c.days[0] || '-'} to ${c.days[c.days.length - 1] || '-'}; us-east-1 ${c.usEast1 ? 'present' : 'MISSING'}.`));
  put(
    'coverage-body',
    table(
      ['region', 'days', 'events', 'first', 'last'],
      c.regions.map((x) => [x.region, x.days, x.events, x.first, x.last]),
    ),
  );
  for (const w of c.warnings) put('coverage-body', el('p', w, 'warn'));
  const i = r.integrity;
  if (i) {
    put('coverage-body', el('h3', 'Evidence integrity'));
    put('coverage-body', el('p', `${i.statement}.`, i.problems ? 'warn' : undefined));
    if (i.rows.length)
      put(
        'coverage-body',
        table(
          ['status', 'check', 'file', 'detail'],
          i.rows.map((x) => [x.status, x.check, x.file, x.detail]),
        ),
      );
    if (i.problems > i.rows.length) put('coverage-body', el('p', `${i.problems - i.rows.length} more problem(s): keytrail verify lists them all.`));
  }
}

function findings(): void {
  const shown = r.findingTable.rows.length;
  const cut = r.groupsTotal > shown ? ` The first ${shown} groups of ${r.groupsTotal} are shown here.` : '';
  put('findings-body', el('p', `${r.findingsIntro}; ${r.otherFindings} more elsewhere in the case are in findings.csv.${cut}`));
  put('findings-body', table(r.findingTable.head, r.findingTable.rows));
  put('findings-body', el('h3', 'Attempts that were refused'));
  put('findings-body', el('p', r.attemptsIntro));
  if (r.attemptTable.rows.length > 0) put('findings-body', table(r.attemptTable.head, r.attemptTable.rows));
}

/** What the chain read, wrote and deleted. */
function data(): void {
  put('data-body', el('p', r.dataIntro));
  if (r.dataTable.rows.length > 0) put('data-body', table(r.dataTable.head, r.dataTable.rows));
}

/** Step 4. */
function timeline(): void {
  for (const t of r.billingTables) {
    put('timeline', el('h3', t.title));
    if (t.intro) put('timeline', el('p', t.intro));
    put('timeline', table(t.head, t.rows));
  }
  put('timeline', el('h3', 'Timeline'));
  put(
    'timeline',
    table(
      ['time', 'what', 'eventID'],
      r.timeline.map((x) => [x.eventTime, x.what, x.eventID]),
    ),
  );
}

header();
keys();
iamChanges();
activityChart();
heatMap();
resources();
data();
coverage();
findings();
timeline();
const cy = drawLineage(document.getElementById('lineage')!, r.lineage);
Object.assign(window, { keytrailReport: { data: r, cy } });
