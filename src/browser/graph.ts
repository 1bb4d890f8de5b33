/**
 * Browser code: draws a lineage (its JSON) with cytoscape into a container, for the lineage page and
 * the report's Step 2. scripts/page-scripts.mjs transpiles it and writes it at the top of each page's
 * script, where the pages' own code calls it: what this file declares at its top level is global in
 * the page, so it declares drawLineage alone. Node labels and ids are cytoscape data, drawn as
 * canvas text, never parsed as HTML; the seeds' ids reach cytoscape's selector parser only
 * CSS.escape'd, as the layout's roots.
 */
import type { Core, Css, ElementDefinition, StylesheetJson } from 'cytoscape';
import type { Lineage, LineageNode } from '../lineage/lineage.js';

/** cytoscape's own build (MIT), inlined in the page before this script. */
declare const cytoscape: typeof import('cytoscape');

export function drawLineage(container: HTMLElement, data: Lineage): Core {
  /** A node's shape from its data (a data() mapper, js.cytoscape.org/#style/mappers, which cytoscape's types leave out for shapes). */
  const SHAPE = 'data(shape)' as string as Css.NodeShape;
  const colour = (n: LineageNode) => {
    if (n.seed) return '#e06666';
    if (n.createdByAttacker) return '#f6b26b';
    return n.tainted ? '#ffe599' : '#d9d9d9';
  };
  const shape = (n: LineageNode) => {
    if (n.kind === 'access_key') return 'round-rectangle';
    if (n.kind === 'user') return 'ellipse';
    return n.kind === 'role' ? 'diamond' : 'hexagon';
  };
  const nodes: ElementDefinition[] = data.nodes.map((n) => ({
    data: { id: n.id, label: n.kind === 'access_key' ? n.id : n.name, colour: colour(n), shape: shape(n) },
  }));
  const edges: ElementDefinition[] = data.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.from, target: e.to, label: e.kind } }));
  const style: StylesheetJson = [
    {
      selector: 'node',
      style: {
        'background-color': 'data(colour)',
        shape: SHAPE,
        label: 'data(label)',
        'font-size': 9,
        'text-valign': 'bottom',
        'text-margin-y': 3,
        width: 26,
        height: 26,
        'border-width': 1,
        'border-color': '#666',
      },
    },
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'curve-style': 'bezier',
        'target-arrow-shape': 'triangle',
        label: 'data(label)',
        'font-size': 7,
        'text-rotation': 'autorotate',
        color: '#555',
        'line-color': '#999',
        'target-arrow-color': '#999',
      },
    },
    { selector: '.hit', style: { 'border-width': 4, 'border-color': '#1155cc' } },
    { selector: ':selected', style: { 'border-width': 4, 'border-color': '#000' } },
  ];
  // A selector: breadthfirst takes one as well as ids (cytoscape's types say ids only).
  const roots =
    data.nodes
      .filter((n) => n.seed)
      .map((n) => `#${CSS.escape(n.id)}`)
      .join(', ') || undefined;
  return cytoscape({
    container,
    elements: nodes.concat(edges),
    wheelSensitivity: 0.3,
    style,
    layout: { name: 'breadthfirst', directed: true, roots: roots as unknown as string[], spacingFactor: 1.1, padding: 20 },
  });
}
