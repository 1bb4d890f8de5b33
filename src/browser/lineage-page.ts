/**
 * Browser code: the lineage page (src/lineage/html.ts). It reads the lineage from the page's JSON
 * block, draws it, shows a node's activity and the events that prove its edges in the side panel on
 * a click (a group of siblings: its members, each a click away), and rings the nodes a search
 * matches and brings them into view. scripts/page-scripts.mjs transpiles it into the
 * page's one inline script, this file's code inside a function of its own. Every value from the logs
 * is set as textContent: never parsed as HTML.
 */
import type { EventObject } from 'cytoscape';
import type { Lineage, LineageNode } from '../lineage/lineage.js';
import { drawLineage, findInGraph, wholeGraph } from './graph.js';

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

/** A group of sibling nodes drawn as one: its members, each row a button to the member's own facts. */
function showGroup(label: string, members: string[]): void {
  const panel = document.getElementById('panel')!;
  panel.textContent = '';
  panel.appendChild(el('h2', label));
  const t = el('table');
  for (const id of members) {
    const n = byId[id]!;
    const open = el('button', id);
    open.addEventListener('click', () => show(id));
    const tr = el('tr');
    tr.appendChild(el('td')).appendChild(open);
    tr.appendChild(el('td', `${n.activity.events} events, ${n.firstSeen || '-'} / ${n.lastSeen || '-'}`));
    t.appendChild(tr);
  }
  panel.appendChild(t);
}

cy.on('tap', 'node', (evt: EventObject) => {
  const members: string[] = evt.target.data('members');
  if (members.length) showGroup(evt.target.data('label'), members);
  else show(evt.target.id());
});
const find = document.querySelector<HTMLInputElement>('#find')!;
find.addEventListener('input', () => findInGraph(cy, find.value));
document.getElementById('whole')!.addEventListener('click', () => wholeGraph(cy));
const groups = cy.nodes('.group').length;
document.getElementById('count')!.textContent =
  `${data.nodes.length} nodes, ${data.edges.length} edges` +
  (groups ? ` (${groups} groups of like siblings drawn as one node each: click one for its members)` : '') +
  (data.warnings.length ? ` - ${data.warnings.join('; ')}` : '');
Object.assign(window, { keytrail: { cy, data, show } });
