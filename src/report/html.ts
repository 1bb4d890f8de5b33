/**
 * The report as one self-contained HTML file for an air-gapped laptop: no CDN, no request of any
 * kind (a CSP forbids them), charts drawn as inline SVG by the page's script (src/browser/report-page.ts,
 * inlined as scripts/page-scripts.mjs builds it), the lineage graph inline (cytoscape and its dagre layout), print styles
 * for PDF. The data is embedded as JSON and every value from the logs reaches the page through
 * textContent or an SVG attribute set by script, never as HTML.
 */
import { graphScripts, scriptJson } from '../lineage/html.js';
import { REPORT_PAGE_SCRIPT } from './page-script.generated.js';
import type { Report } from './report.js';
import { madeWith } from '../provenance.js';
import { timeZone, zonedValue } from './zone.js';
import {
  attemptsIntro,
  billingTables,
  dataIntro,
  dataTable,
  findingsIntro,
  findingTable,
  iamTable,
  keyTable,
  resourceTables,
  unusedKeysLine,
} from './tables.js';

/** Rows shown per table in the page (the JSON and CSV outputs carry all of them). */
const MAX_ROWS = 2000;

/**
 * What the page's script reads from its JSON block (src/browser/report-page.ts): the report without
 * its findings (report.json and findings.csv have every one), and the tables the Markdown shares, the
 * findings' groups cut to MAX_ROWS.
 */
export type ReportPageData = Omit<Report, 'findings' | 'findingGroups'> & {
  keyTable: ReturnType<typeof keyTable>;
  findingTable: ReturnType<typeof findingTable>;
  findingsIntro: string;
  attemptTable: ReturnType<typeof findingTable>;
  attemptsIntro: string;
  unusedKeys: string | null;
  dataTable: ReturnType<typeof dataTable>;
  dataIntro: string;
  billingTables: ReturnType<typeof billingTables>;
  iamTable: ReturnType<typeof iamTable>;
  madeWith: string;
  resourceTables: ReturnType<typeof resourceTables>;
  groupsTotal: number;
};

/** The page up to its body: the CSP that forbids every request, the styles. */
const HEAD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>keytrail incident report</title>
<style>
  body { font: 13px/1.45 system-ui, sans-serif; color: #222; margin: 0 auto; max-width: 1200px; padding: 12px 20px; }
  h1 { font-size: 22px; } h2 { font-size: 17px; border-bottom: 1px solid #ccc; padding-bottom: 3px; margin-top: 28px; } h3 { font-size: 14px; }
  /* Fixed layout: the header's width classes set the columns, values never do. A value from the logs
     (a 10,000-character user agent, an ARN) wraps anywhere inside its column instead of widening the
     table or squeezing the time, level and count columns to a character each. */
  table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 12px; table-layout: fixed; }
  th, td { border: 1px solid #ddd; padding: 3px 5px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
  /* In ch (the width of a digit in the header's bold font, at least a digit's in the cells'): an ISO time is about 17 of them, an access key 20. */
  th.c-time { width: 18ch; } th.c-level { width: 11ch; } th.c-num { width: 8ch; } th.c-region { width: 15ch; }
  th.c-key { width: 21ch; } th.c-id { width: 19ch; } th.c-wide { width: 22%; }
  th { background: #f3f3f3; }
  .warn { background: #fff4e5; border-left: 4px solid #e69138; padding: 6px 10px; }
  .failed td { color: #999; }
  #lineage { height: 480px; border: 1px solid #ddd; }
  svg text { font-size: 10px; fill: #333; }
  #chart-time svg, #chart-heat svg { max-width: 100%; height: auto; } /* scaled down to a narrow window, by their viewBox */
  /* On paper a cell stops after three lines (the page has 400 characters of it, report.json all), and a folded table's rest stays folded. */
  @media print { #lineage { height: 360px; page-break-inside: avoid; } h2 { page-break-after: avoid; } table { page-break-inside: auto; } tr { page-break-inside: avoid; }
    td > div { display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; } }
</style>
</head>
`;

/** The sections, empty: the script fills them from the data. */
const BODY = `<body>
<h1>Incident report: leaked AWS access key</h1>
<p id="meta"></p>
<section id="summary"><h2>Summary</h2><ul id="summary-list"></ul><div id="limits"></div></section>
<section id="step1"><h2>Step 1: access keys</h2><div id="keys"></div></section>
<section id="step2"><h2>Step 2: IAM changes</h2><div id="iam"></div><h3>Lineage</h3><div id="lineage"></div></section>
<section id="step3"><h2>Step 3: resources in every region</h2>
  <h3>Attacker activity over time (events per hour)</h3><div id="chart-time"></div>
  <h3>Attacker activity by region and day</h3><div id="chart-heat"></div>
  <div id="resources"></div></section>
<section id="data"><h2>Data touched by the chain</h2><div id="data-body"></div></section>
<section id="coverage"><h2>Coverage</h2><div id="coverage-body"></div></section>
<section id="findings"><h2>Findings</h2><div id="findings-body"></div></section>
<section id="step4"><h2>Step 4: for the billing adjustment request</h2><div id="timeline"></div></section>
`;

export function renderReportHtml(r: Report): string {
  const { findings: _all, findingGroups, ...rest } = r;
  const groups = findingTable(r);
  const attempts = findingTable(r, true);
  const trimmed: ReportPageData = {
    ...rest,
    keyTable: keyTable(r),
    findingTable: { head: groups.head, rows: groups.rows.slice(0, MAX_ROWS) },
    findingsIntro: findingsIntro(r),
    groupsTotal: findingGroups.filter((g) => !g.attempt).length,
    attemptTable: { head: attempts.head, rows: attempts.rows.slice(0, MAX_ROWS) },
    attemptsIntro: attemptsIntro(r),
    unusedKeys: unusedKeysLine(r),
    dataTable: dataTable(r),
    dataIntro: dataIntro(r),
    billingTables: billingTables(r),
    iamTable: iamTable(r),
    madeWith: madeWith(r.provenance, r.rulesRun),
    resourceTables: resourceTables(r),
  };
  // --tz: every time the page shows gets its local time; the data the page computes with stays as it is.
  const shown = r.timeZone ? zonedValue(trimmed, timeZone(r.timeZone), new Set(['lineage', 'heatmap', 'activity'])) : trimmed;
  return `${HEAD}${BODY}<script type="application/json" id="report-data">${scriptJson(shown)}</script>
${graphScripts()}
<script>${REPORT_PAGE_SCRIPT}</script>
</body>
</html>
`;
}
