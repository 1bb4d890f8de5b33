/**
 * Browser code: the lineage page (src/lineage/html.ts). It reads the lineage from the page's JSON
 * block, draws it, shows a node's activity and the events that prove its edges in the side panel on
 * a click, and highlights the nodes a search matches. scripts/page-scripts.mjs transpiles it into the
 * page's one inline script, this file's code inside a function of its own. Every value from the logs
 * is set as textContent: never parsed as HTML.
 */
import type { EventObject } from 'cytoscape';
import type { Lineage, LineageNode } from '../lineage/lineage.js';
import { drawLineage } from './graph.js';

const data: Lineage = JSON.parse(document.getElementById('lineage-data')!.textContent!);
const cy = drawLineage(document.getElementById('cy')!, data);
const byId: Record<string, LineageNode> = {};
for (const n of data.nodes) byId[n.id] = n;

function el(tag: string, text?: unknown): HTMLElement {
  const x = document.createElement(tag);
  if (text !== undefined) x.textContent = String(text);
  return x;
}

function row(table: HTMLElement, k: unknown, v: unknown): void {
  const tr = el('tr');
  tr.appendChild(el('td', k));
  tr.appendChild(el('td', v));
  table.appendChild(tr);
}

const counts = (c: Record<string, number>) =>
  Object.keys(c)
    .map((k) => `${k} ${c[k]}`)
    .join(', ');

/** The node's own facts: taint, owner, activity. */
function facts(n: LineageNode): HTMLElement {
  const t = el('table');
  row(t, 'tainted', n.tainted ? 'yes' : 'no (context)');
  row(t, 'created by the attacker', n.createdByAttacker ? 'yes' : 'no');
  if (n.owner) row(t, 'belongs to', n.owner);
  if (n.arn) row(t, 'ARN', n.arn);
  row(t, 'events', n.activity.events + (n.activity.errors ? ` (${n.activity.errors} failed)` : ''));
  row(t, 'first / last seen', `${n.firstSeen || '-'} / ${n.lastSeen || '-'}`);
  row(t, 'regions', counts(n.activity.regions));
  row(t, 'services', counts(n.activity.services));
  row(t, 'source IPs', n.activity.sourceIPs.join(', '));
  row(t, 'user agents', n.activity.userAgents.join(' | '));
  return t;
}

/** The edges into and out of the node, each with the event that proves it. */
function evidence(id: string): HTMLElement {
  const ev = el('table');
  for (const e of data.edges) {
    if (e.from === id || e.to === id) row(ev, e.eventTime, `${e.from === id ? `→ ${e.to}` : `← ${e.from}`} ${e.kind} ${e.eventID}`);
  }
  return ev;
}

function show(id: string): void {
  const n = byId[id]!;
  const panel = document.getElementById('panel')!;
  panel.textContent = '';
  panel.appendChild(el('h2', `${n.kind}: ${n.id}`));
  panel.appendChild(facts(n));
  panel.appendChild(el('h2', 'evidence (edges)'));
  panel.appendChild(evidence(id));
  if (n.attempts.length) {
    panel.appendChild(el('h2', 'failed attempts'));
    const at = el('table');
    for (const a of n.attempts) row(at, a.eventTime, `${a.eventName} ${a.errorCode} ${a.eventID}`);
    panel.appendChild(at);
  }
}

cy.on('tap', 'node', (evt: EventObject) => show(evt.target.id()));
const find = document.querySelector<HTMLInputElement>('#find')!;
find.addEventListener('input', () => {
  const q = find.value.toLowerCase();
  cy.nodes().removeClass('hit');
  if (q)
    cy.nodes()
      .filter((n) => n.id().toLowerCase().indexOf(q) >= 0)
      .addClass('hit');
});
document.getElementById('count')!.textContent =
  `${data.nodes.length} nodes, ${data.edges.length} edges${data.warnings.length ? ` - ${data.warnings.join('; ')}` : ''}`;
Object.assign(window, { keytrail: { cy, data, show } });
