/**
 * The report as one self-contained HTML file for an air-gapped laptop: no CDN, no request of any
 * kind (a CSP forbids them), charts drawn as inline SVG by a few lines of script, the lineage graph
 * inline (cytoscape), print styles for PDF. The data is embedded as JSON and every value from the
 * logs reaches the page through textContent or an SVG attribute set by script, never as HTML.
 */
import { cytoscapeSource, GRAPH_JS, scriptJson } from '../lineage/html.js';
import type { Report } from './report.js';

/** Rows shown per table in the page (the JSON and CSV outputs carry all of them). */
const MAX_ROWS = 2000;

export function renderReportHtml(r: Report): string {
  const trimmed = { ...r, findings: r.findings.slice(0, MAX_ROWS), findingsTotal: r.findings.length };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>keytrail incident report</title>
<style>
  body { font: 13px/1.45 system-ui, sans-serif; color: #222; margin: 0 auto; max-width: 1200px; padding: 12px 20px; }
  h1 { font-size: 22px; } h2 { font-size: 17px; border-bottom: 1px solid #ccc; padding-bottom: 3px; margin-top: 28px; } h3 { font-size: 14px; }
  table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 12px; }
  th, td { border: 1px solid #ddd; padding: 3px 5px; text-align: left; vertical-align: top; word-break: break-word; }
  th { background: #f3f3f3; }
  .warn { background: #fff4e5; border-left: 4px solid #e69138; padding: 6px 10px; }
  .failed td { color: #999; }
  #lineage { height: 480px; border: 1px solid #ddd; }
  svg text { font-size: 10px; fill: #333; }
  @media print { #lineage { height: 360px; page-break-inside: avoid; } h2 { page-break-after: avoid; } table { page-break-inside: auto; } tr { page-break-inside: avoid; } }
</style>
</head>
<body>
<h1>Incident report: leaked AWS access key</h1>
<p id="meta"></p>
<section id="summary"><h2>Summary</h2><ul id="summary-list"></ul><div id="limits"></div></section>
<section id="step1"><h2>Step 1: access keys</h2><div id="keys"></div></section>
<section id="step2"><h2>Step 2: IAM changes</h2><div id="iam"></div><h3>Lineage</h3><div id="lineage"></div></section>
<section id="step3"><h2>Step 3: resources in every region</h2>
  <h3>Attacker activity over time (events per hour)</h3><div id="chart-time"></div>
  <h3>Attacker activity by region and day</h3><div id="chart-heat"></div>
  <div id="resources"></div></section>
<section id="coverage"><h2>Coverage</h2><div id="coverage-body"></div></section>
<section id="findings"><h2>Findings</h2><div id="findings-body"></div></section>
<section id="step4"><h2>Step 4: for the billing adjustment request</h2><div id="timeline"></div></section>
<script type="application/json" id="report-data">${scriptJson(trimmed)}</script>
<script>${cytoscapeSource()}</script>
<script>${GRAPH_JS}
(function () {
  var r = JSON.parse(document.getElementById('report-data').textContent);
  var SVG = 'http://www.w3.org/2000/svg';
  function el(tag, text, cls) { var x = document.createElement(tag); if (text !== undefined && text !== null) x.textContent = String(text); if (cls) x.className = cls; return x; }
  function table(head, rows, failed) {
    if (!rows.length) return el('p', 'none');
    var t = el('table'), tr = el('tr');
    head.forEach(function (h) { tr.appendChild(el('th', h)); });
    t.appendChild(tr);
    rows.forEach(function (row, i) {
      var x = el('tr', undefined, failed && failed[i] ? 'failed' : '');
      row.forEach(function (v) { x.appendChild(el('td', v === null || v === undefined || v === '' ? '-' : v)); });
      t.appendChild(x);
    });
    return t;
  }
  function put(id, node) { document.getElementById(id).appendChild(node); }
  function svg(tag, attrs) { var x = document.createElementNS(SVG, tag); Object.keys(attrs).forEach(function (k) { x.setAttribute(k, attrs[k]); }); return x; }

  document.getElementById('meta').textContent = 'Generated ' + r.generatedAt + ' by keytrail, offline, from the case database. Seeds: ' + r.seeds.join(', ') + '.';
  r.summary.forEach(function (s) { put('summary-list', el('li', s)); });
  if (r.coverage.warnings.length) {
    var w = el('div', undefined, 'warn'); w.appendChild(el('strong', 'Evidence limits'));
    var ul = el('ul'); r.coverage.warnings.forEach(function (x) { ul.appendChild(el('li', x)); }); w.appendChild(ul); put('limits', w);
  }
  put('keys', table(['access key', 'owner', 'kind', 'first use', 'last use', 'events', 'source IPs', 'status changes', 'last known status'], r.keys.map(function (k) {
    return [k.accessKeyId, k.owner, (k.temporary ? 'temporary' : 'long-term') + (k.seed ? ', seed' : '') + (k.createdByAttacker ? ', created by the attacker' : ''), k.firstUse, k.lastUse, k.events, k.sourceIPs.join(', '),
      k.statusChanges.map(function (c) { return c.eventTime + ' ' + c.status + ' (' + c.eventID + ')'; }).join('; '), k.lastKnownStatus];
  })));
  put('iam', table(['time', 'call', 'target', 'policy', 'by', 'key', 'result', 'to undo', 'eventID'], r.iamChanges.map(function (c) {
    return [c.eventTime, c.eventName, c.target, c.policy, c.by, c.accessKeyId, c.errorCode ? 'failed: ' + c.errorCode : 'done', c.undo, c.eventID];
  }), r.iamChanges.map(function (c) { return !!c.errorCode; })));

  // Activity over time: one bar per hour, failed calls darker on top.
  (function () {
    var a = r.activity, W = 1100, H = 160, pad = 30;
    var s = svg('svg', { width: W, height: H + 40, viewBox: '0 0 ' + W + ' ' + (H + 40), role: 'img', 'aria-label': 'attacker events per hour' });
    var max = Math.max.apply(null, a.map(function (x) { return x.events; }).concat([1]));
    var bw = Math.max(2, (W - pad * 2) / Math.max(a.length, 1) - 1);
    a.forEach(function (x, i) {
      var h = x.events / max * H, hf = x.failed / max * H, X = pad + i * (bw + 1);
      var bar = svg('rect', { x: X, y: H - h + 10, width: bw, height: Math.max(h, 1), fill: '#e69138', class: 'bar' });
      var tip = svg('title', {}); tip.textContent = x.hour + ': ' + x.events + ' events, ' + x.failed + ' failed'; bar.appendChild(tip); s.appendChild(bar);
      if (hf > 0) s.appendChild(svg('rect', { x: X, y: H - hf + 10, width: bw, height: hf, fill: '#990000' }));
    });
    if (a.length) { var t0 = svg('text', { x: pad, y: H + 30 }); t0.textContent = a[0].hour; s.appendChild(t0); var t1 = svg('text', { x: W - pad - 110, y: H + 30 }); t1.textContent = a[a.length - 1].hour; s.appendChild(t1); }
    put('chart-time', s);
  })();
  // Region x day heat map.
  (function () {
    var days = Array.from(new Set(r.heatmap.map(function (h) { return h.day; }))).sort();
    var regions = Array.from(new Set(r.heatmap.map(function (h) { return h.region; }))).sort();
    var cw = Math.max(18, Math.min(60, 900 / Math.max(days.length, 1))), ch = 20, left = 120, top = 70;
    var s = svg('svg', { width: left + cw * days.length + 10, height: top + ch * regions.length + 10, role: 'img', 'aria-label': 'attacker events by region and day' });
    var max = Math.max.apply(null, r.heatmap.map(function (h) { return h.events; }).concat([1]));
    days.forEach(function (d, j) { var t = svg('text', { x: left + j * cw + 4, y: top - 6, transform: 'rotate(-45 ' + (left + j * cw + 4) + ' ' + (top - 6) + ')' }); t.textContent = d; s.appendChild(t); });
    regions.forEach(function (rg, i) {
      var t = svg('text', { x: 4, y: top + i * ch + 14 }); t.textContent = rg; s.appendChild(t);
      days.forEach(function (d, j) {
        var h = r.heatmap.find(function (x) { return x.region === rg && x.day === d; });
        var v = h ? h.events : 0;
        var cell = svg('rect', { x: left + j * cw, y: top + i * ch, width: cw - 2, height: ch - 2, fill: v ? 'rgba(204, 0, 0, ' + (0.15 + 0.85 * v / max).toFixed(3) + ')' : '#f3f3f3', class: 'cell' });
        var tip = svg('title', {}); tip.textContent = rg + ' ' + d + ': ' + v + ' events'; cell.appendChild(tip); s.appendChild(cell);
      });
    });
    put('chart-heat', s);
  })();
  var done = r.resources.filter(function (x) { return !x.failed; });
  Array.from(new Set(done.map(function (x) { return x.region; }))).forEach(function (region) {
    put('resources', el('h3', region));
    put('resources', table(['time', 'service', 'call', 'resource', 'by', 'eventID'], done.filter(function (x) { return x.region === region; }).map(function (x) { return [x.eventTime, x.service, x.eventName, x.resourceId, x.by, x.eventID]; })));
  });
  put('resources', el('h3', 'Failed attempts'));
  put('resources', table(['time', 'region', 'service', 'call', 'error', 'eventID'], r.resources.filter(function (x) { return x.failed; }).map(function (x) { return [x.eventTime, x.region, x.service, x.eventName, x.errorCode, x.eventID]; })));
  put('coverage-body', el('p', 'Days covered: ' + (r.coverage.days[0] || '-') + ' to ' + (r.coverage.days[r.coverage.days.length - 1] || '-') + '; us-east-1 ' + (r.coverage.usEast1 ? 'present' : 'MISSING') + '.'));
  put('coverage-body', table(['region', 'days', 'events', 'first', 'last'], r.coverage.regions.map(function (x) { return [x.region, x.days, x.events, x.first, x.last]; })));
  r.coverage.warnings.forEach(function (w) { put('coverage-body', el('p', w, 'warn')); });
  put('findings-body', el('p', "Findings on the chain's events" + (r.findingsTotal > r.findings.length ? ' (the first ' + r.findings.length + ' of ' + r.findingsTotal + ', all in report.json)' : '') + '; ' + r.otherFindings + ' more elsewhere in the case are in findings.csv.'));
  put('findings-body', table(['time', 'level', 'rule', 'summary', 'events'], r.findings.map(function (f) { return [f.eventTime, f.rule.level, f.rule.title, f.summary, f.eventIDs.join(' ')]; })));
  put('timeline', table(['time', 'what', 'eventID'], r.timeline.map(function (x) { return [x.eventTime, x.what, x.eventID]; })));
  var cy = drawLineage(document.getElementById('lineage'), r.lineage);
  window.keytrailReport = { data: r, cy: cy };
})();
</script>
</body>
</html>
`;
}
