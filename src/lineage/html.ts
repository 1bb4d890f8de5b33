/**
 * The lineage graph as one self-contained HTML file: the graph library (cytoscape, MIT) and the
 * data are inline, so it opens offline on an air-gapped laptop and makes no request of any kind.
 * Values from the logs reach the page only as JSON data read with JSON.parse and shown through
 * textContent: never parsed as HTML.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Lineage } from './lineage.js';

const require = createRequire(import.meta.url);

/** JSON for a <script type="application/json"> block: `<` escaped so no value can close the block. */
export const scriptJson = (v: unknown) =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** Draws a lineage (its JSON) with cytoscape into a container; returns the cytoscape instance. Shared by the lineage page and the report. */
export const GRAPH_JS = `
function drawLineage(container, data) {
  function colour(n) { return n.seed ? '#e06666' : n.createdByAttacker ? '#f6b26b' : n.tainted ? '#ffe599' : '#d9d9d9'; }
  var elements = data.nodes.map(function (n) {
    return { data: { id: n.id, label: n.kind === 'access_key' ? n.id : n.name, colour: colour(n), shape: n.kind === 'access_key' ? 'round-rectangle' : n.kind === 'user' ? 'ellipse' : n.kind === 'role' ? 'diamond' : 'hexagon' } };
  }).concat(data.edges.map(function (e, i) {
    return { data: { id: 'e' + i, source: e.from, target: e.to, label: e.kind } };
  }));
  return cytoscape({
    container: container, elements: elements, wheelSensitivity: 0.3,
    style: [
      { selector: 'node', style: { 'background-color': 'data(colour)', shape: 'data(shape)', label: 'data(label)', 'font-size': 9, 'text-valign': 'bottom', 'text-margin-y': 3, width: 26, height: 26, 'border-width': 1, 'border-color': '#666' } },
      { selector: 'edge', style: { width: 1.5, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', label: 'data(label)', 'font-size': 7, 'text-rotation': 'autorotate', color: '#555', 'line-color': '#999', 'target-arrow-color': '#999' } },
      { selector: '.hit', style: { 'border-width': 4, 'border-color': '#1155cc' } },
      { selector: ':selected', style: { 'border-width': 4, 'border-color': '#000' } }
    ],
    layout: { name: 'breadthfirst', directed: true, roots: data.nodes.filter(function (n) { return n.seed; }).map(function (n) { return '#' + CSS.escape(n.id); }).join(', ') || undefined, spacingFactor: 1.1, padding: 20 }
  });
}
`;

/** cytoscape's own build (MIT), to inline: the pages load nothing from anywhere. */
export const cytoscapeSource = () => fs.readFileSync(require.resolve('cytoscape/dist/cytoscape.min.js'), 'utf8');

export function renderHtml(l: Lineage, title = 'keytrail lineage'): string {
  const library = cytoscapeSource();
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>
  html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, sans-serif; color: #222; }
  #top { padding: 6px 10px; border-bottom: 1px solid #ddd; display: flex; gap: 12px; align-items: center; }
  #top input { width: 260px; }
  #main { display: flex; height: calc(100% - 38px); }
  #cy { flex: 1; }
  #panel { width: 380px; overflow: auto; border-left: 1px solid #ddd; padding: 8px 12px; }
  #panel h2 { font-size: 14px; margin: 4px 0 8px; word-break: break-all; }
  #panel table { border-collapse: collapse; width: 100%; }
  #panel td { border-top: 1px solid #eee; padding: 2px 4px; vertical-align: top; word-break: break-all; }
  #panel td:first-child { white-space: nowrap; word-break: normal; color: #555; width: 1%; }
  .legend span { display: inline-block; padding: 0 6px; border-radius: 3px; margin-right: 4px; }
  @media print { #top input, #panel { display: none; } }
</style>
</head>
<body>
<div id="top"><strong>${esc(title)}</strong>
  <span class="legend"><span style="background:#e06666">seed</span><span style="background:#f6b26b">created by the attacker</span><span style="background:#ffe599">tainted</span><span style="background:#d9d9d9">context</span></span>
  <input id="find" placeholder="find a node (key id, user, role)..." aria-label="find a node">
  <span id="count"></span></div>
<div id="main"><div id="cy"></div><div id="panel"><p>Click a node to see its activity and the events that prove its edges.</p></div></div>
<script type="application/json" id="lineage-data">${scriptJson(l)}</script>
<script>${library}</script>
<script>${GRAPH_JS}
(function () {
  var data = JSON.parse(document.getElementById('lineage-data').textContent);
  var cy = drawLineage(document.getElementById('cy'), data);
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });
  function el(tag, text) { var x = document.createElement(tag); if (text !== undefined) x.textContent = String(text); return x; }
  function row(table, k, v) { var tr = el('tr'); tr.appendChild(el('td', k)); tr.appendChild(el('td', v)); table.appendChild(tr); }
  function show(id) {
    var n = byId[id], panel = document.getElementById('panel');
    panel.textContent = '';
    panel.appendChild(el('h2', n.kind + ': ' + n.id));
    var t = el('table');
    row(t, 'tainted', n.tainted ? 'yes' : 'no (context)');
    row(t, 'created by the attacker', n.createdByAttacker ? 'yes' : 'no');
    if (n.owner) row(t, 'belongs to', n.owner);
    if (n.arn) row(t, 'ARN', n.arn);
    row(t, 'events', n.activity.events + (n.activity.errors ? ' (' + n.activity.errors + ' failed)' : ''));
    row(t, 'first / last seen', (n.firstSeen || '-') + ' / ' + (n.lastSeen || '-'));
    row(t, 'regions', Object.keys(n.activity.regions).map(function (k) { return k + ' ' + n.activity.regions[k]; }).join(', '));
    row(t, 'services', Object.keys(n.activity.services).map(function (k) { return k + ' ' + n.activity.services[k]; }).join(', '));
    row(t, 'source IPs', n.activity.sourceIPs.join(', '));
    row(t, 'user agents', n.activity.userAgents.join(' | '));
    panel.appendChild(t);
    panel.appendChild(el('h2', 'evidence (edges)'));
    var ev = el('table');
    data.edges.forEach(function (e) {
      if (e.from === id || e.to === id) row(ev, e.eventTime, (e.from === id ? '→ ' + e.to : '← ' + e.from) + ' ' + e.kind + ' ' + e.eventID);
    });
    panel.appendChild(ev);
    if (n.attempts.length) {
      panel.appendChild(el('h2', 'failed attempts'));
      var at = el('table');
      n.attempts.forEach(function (a) { row(at, a.eventTime, a.eventName + ' ' + a.errorCode + ' ' + a.eventID); });
      panel.appendChild(at);
    }
  }
  cy.on('tap', 'node', function (evt) { show(evt.target.id()); });
  document.getElementById('find').addEventListener('input', function (evt) {
    var q = evt.target.value.toLowerCase();
    cy.nodes().removeClass('hit');
    if (q) cy.nodes().filter(function (n) { return n.id().toLowerCase().indexOf(q) >= 0; }).addClass('hit');
  });
  document.getElementById('count').textContent = data.nodes.length + ' nodes, ' + data.edges.length + ' edges' + (data.warnings.length ? ' - ' + data.warnings.join('; ') : '');
  window.keytrail = { cy: cy, data: data, show: show };
})();
</script>
</body>
</html>
`;
}
