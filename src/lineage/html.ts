/**
 * The lineage graph as one self-contained HTML file: the graph libraries (cytoscape and its dagre
 * layout, MIT) and the data are inline, so it opens offline on an air-gapped laptop and makes no
 * request of any kind.
 * Values from the logs reach the page only as JSON data read with JSON.parse and shown through
 * textContent: never parsed as HTML. The page's script is src/browser/lineage-page.ts, graph.ts and
 * drawn.ts, inlined as scripts/page-scripts.mjs builds them (the legend's colours are drawn.ts's).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Lineage } from './lineage.js';
import { LINEAGE_PAGE_SCRIPT } from './page-script.generated.js';

const require = createRequire(import.meta.url);

/** JSON for a <script type="application/json"> block: `<` escaped so no value can close the block. */
export const scriptJson = (v: unknown) =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/**
 * dagre's and graphlib's notice (both MIT, both this text): cytoscape-dagre's minified build bundles
 * them but carries only its own, and the pages hold a copy of them.
 */
const DAGRE_NOTICE = `/*! dagre and graphlib, bundled in cytoscape-dagre below: Copyright (c) 2012-2014 Chris Pettitt

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
*/
`;

/** A built file beside a package's entry point: cytoscape-dagre's exports map hides its minified build (and its package.json) from require.resolve. */
const besideEntry = (pkg: string, file: string) => fs.readFileSync(path.join(path.dirname(require.resolve(pkg)), file), 'utf8');

/** A source map comment would name a file beside the page: nothing to fetch, so nothing named. */
const withoutSourceMap = (js: string) => js.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');

/**
 * The graph libraries as script elements, to put before the page's script, in this order:
 * cytoscape (MIT), then cytoscape-dagre (MIT, the layered layout; it finds cytoscape as a global),
 * both their own builds as installed. The pages load nothing from anywhere.
 */
export const graphScripts = () =>
  [
    withoutSourceMap(fs.readFileSync(require.resolve('cytoscape/dist/cytoscape.min.js'), 'utf8')),
    DAGRE_NOTICE + withoutSourceMap(besideEntry('cytoscape-dagre', 'cytoscape-dagre.min.js')),
  ]
    .map((js) => `<script>${js}</script>`)
    .join('\n');

/** The page's styles. */
const STYLE = `<style>
  html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, sans-serif; color: #222; }
  #top { padding: 6px 10px; border-bottom: 1px solid #ddd; display: flex; gap: 12px; align-items: center; }
  #top input { width: 260px; }
  #top button { white-space: nowrap; }
  #main { display: flex; height: calc(100% - 38px); }
  #cy { flex: 1; }
  #panel { width: 380px; overflow: auto; border-left: 1px solid #ddd; padding: 8px 12px; }
  #panel h2 { font-size: 14px; margin: 4px 0 8px; word-break: break-all; }
  #panel table { border-collapse: collapse; width: 100%; }
  #panel td { border-top: 1px solid #eee; padding: 2px 4px; vertical-align: top; word-break: break-all; }
  #panel td:first-child { white-space: nowrap; word-break: normal; color: #555; width: 1%; }
  .legend span { display: inline-block; padding: 0 6px; border-radius: 3px; margin-right: 4px; }
  @media print { #top input, #top button, #panel { display: none; } }
</style>
`;

export function renderHtml(l: Lineage, title = 'keytrail lineage'): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
${STYLE}</head>
<body>
<div id="top"><strong>${esc(title)}</strong>
  <span class="legend"><span style="background:#e06666">seed</span><span style="background:#f6b26b">created by the attacker</span><span style="background:#ffe599">tainted</span><span style="background:#d9d9d9">context</span></span>
  <input id="find" placeholder="find a node (key id, user, role)..." aria-label="find a node">
  <button id="whole" type="button">whole graph</button>
  <span id="count"></span></div>
<div id="main"><div id="cy"></div><div id="panel"><p>Click a node to see its activity and the events that prove its edges.</p></div></div>
<script type="application/json" id="lineage-data">${scriptJson(l)}</script>
${graphScripts()}
<script>${LINEAGE_PAGE_SCRIPT}</script>
</body>
</html>
`;
}
