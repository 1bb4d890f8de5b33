/**
 * Browser code: draws a lineage (its JSON) with cytoscape into a container, for the lineage page and
 * the report's Step 2, in layers: the seeds on top, each generation of what they made or obtained
 * below (dagre's layered layout, through cytoscape-dagre), with what src/browser/drawn.ts makes of
 * the lineage (short labels, groups of siblings, lists of leaves). scripts/page-scripts.mjs puts it
 * after drawn.ts in each page's script, in a function of its own that hands back what it exports.
 * Labels and ids are cytoscape data, drawn as canvas text, never parsed as HTML, and no id goes
 * through a selector.
 */
import type { Core, Css, EdgeSingular, ElementDefinition, Ext, NodeCollection, NodeSingular, StylesheetJson } from 'cytoscape';
import type { DagreLayoutOptions } from 'cytoscape-dagre';
import type { Lineage } from '../lineage/lineage.js';
import { type Drawn, type DrawnEdge, drawnGraph, layeringEdges, leafLists, unreachedRoots } from './drawn.js';

/** cytoscape's own build (MIT), inlined in the page before this script. */
declare const cytoscape: typeof import('cytoscape');
/** cytoscape-dagre's build (MIT, with dagre and graphlib, MIT, bundled in it), inlined after cytoscape. */
declare const cytoscapeDagre: Ext;

/** The zoom the find box brings a node to at most: labels of 9px read at 13px. */
const READ_ZOOM = 1.5;

/** How far an edge along a layer bends from the line of the layer's nodes: its top passes half as far above them (clear of the nodes, in the gap above). */
const ARC = 56;

/** A node's shape from its data (a data() mapper, js.cytoscape.org/#style/mappers, which cytoscape's types leave out for shapes). */
const SHAPE = 'data(shape)' as string as Css.NodeShape;

const STYLE: StylesheetJson = [
  {
    selector: 'node',
    style: {
      'background-color': 'data(colour)',
      shape: SHAPE,
      label: 'data(label)',
      'font-size': 9,
      'text-valign': 'bottom',
      'text-margin-y': 3,
      // Edges leave a node through its label: the label stays readable over them.
      'text-background-color': '#fff',
      'text-background-opacity': 0.85,
      'text-background-padding': '1',
      width: 26,
      height: 26,
      'border-width': 1,
      'border-color': '#666',
    },
  },
  { selector: 'node.group', style: { width: 34, height: 34, 'border-width': 3, 'border-style': 'double', 'font-weight': 'bold' } },
  {
    selector: 'edge',
    style: {
      width: 1.5,
      'curve-style': 'bezier',
      'target-arrow-shape': 'triangle',
      label: 'data(label)',
      'font-size': 7,
      // Zoomed out, a hundred edge names are noise over the nodes': shown from about 85% up.
      'min-zoomed-font-size': 6,
      'text-rotation': 'autorotate',
      'text-background-color': '#fff',
      'text-background-opacity': 0.7,
      color: '#555',
      'line-color': '#999',
      'target-arrow-color': '#999',
    },
  },
  // An edge that only changes a node or names its role (not the layering: see CHANGES) is drawn
  // lighter, so the chain of what made what reads first; along a layer it arcs over the nodes
  // between its ends instead of running through them.
  { selector: 'edge.aside', style: { 'line-style': 'dashed', 'line-dash-pattern': [4, 3], 'line-color': '#bbb', 'target-arrow-color': '#bbb' } },
  { selector: 'edge.along', style: { 'curve-style': 'unbundled-bezier', 'control-point-weights': 0.5 } },
  // A list's leaves have their labels beside them, and their edges from the list's node are one
  // connector (down, along, down the list's left side, into each leaf), its points set by layOut.
  { selector: 'node.listed', style: { 'text-valign': 'center', 'text-halign': 'right', 'text-margin-x': 4, 'text-margin-y': 0 } },
  { selector: 'edge.listed', style: { 'curve-style': 'segments', 'edge-distances': 'node-position', label: '' } },
  { selector: '.hit', style: { 'border-width': 4, 'border-color': '#1155cc' } },
  { selector: ':selected', style: { 'border-width': 4, 'border-color': '#000' } },
];

function elements(d: Drawn, lists: Map<string, string[]>): ElementDefinition[] {
  const listed = new Map<string, string>();
  for (const [parent, leaves] of lists) for (const id of leaves) listed.set(id, parent);
  const nodes: ElementDefinition[] = d.nodes.map((n) => ({
    data: { ...n },
    classes: [n.members.length ? 'group' : '', listed.has(n.id) ? 'listed' : ''].join(' '),
  }));
  const layering = new Set(layeringEdges(d).map((e) => e.id));
  const edgeClasses = (e: DrawnEdge) => [listed.get(e.target) === e.source ? 'listed' : '', layering.has(e.id) ? '' : 'aside'].join(' ');
  return nodes.concat(d.edges.map((e) => ({ data: { ...e }, classes: edgeClasses(e) })));
}

/** An id no element of the graph has. */
function unusedId(cy: Core, base: string): string {
  let id = base;
  while (cy.getElementById(id).nonempty()) id += '+';
  return id;
}

/** dagre's spacing: between nodes of a layer, between layers, between edges passing through a layer. */
const NODE_SEP = 10;
const RANK_SEP = 40;
const EDGE_SEP = 4;
/** A list's room, left to right: a margin, the connector, an indent; and the space between its rows. */
const LIST_MARGIN = 4;
const LIST_INDENT = 12;
const LIST_GAP = 6;

/** The nodes of these ids, in the graph's order. */
function nodesOf(cy: Core, ids: string[]): NodeCollection {
  const wanted = new Set(ids);
  return cy.nodes().filter((n) => wanted.has(n.id()));
}

/** Room for a list of leaves: as wide as its widest row, as tall as its rows. */
function listRoom(leaves: NodeCollection): { w: number; h: number } {
  const boxes = leaves.map((n) => n.boundingBox({ includeLabels: true }));
  return {
    w: LIST_MARGIN + LIST_INDENT + Math.max(...boxes.map((b) => b.w)) + 2,
    h: boxes.reduce((h, b) => h + b.h, 0) + LIST_GAP * (boxes.length - 1),
  };
}

/** Bends an edge through points (from its source's side), as cytoscape's segments take them: along the line between the nodes' centres and across it. */
function bend(e: EdgeSingular, points: { x: number; y: number }[]): void {
  const s = e.source().position();
  const t = e.target().position();
  const dx = t.x - s.x;
  const dy = t.y - s.y;
  const len = Math.hypot(dx, dy) || 1;
  e.style({
    'segment-weights': points.map((p) => ((p.x - s.x) * dx + (p.y - s.y) * dy) / (len * len)),
    'segment-distances': points.map((p) => ((p.y - s.y) * dx - (p.x - s.x) * dy) / len),
  });
}

/**
 * Puts a node's leaves in the room dagre left for them (`room`, a stand-in as big as the list), one
 * under the other, and draws the connector: down from the node to `gapY` (between the layers), along
 * to the list's left side, down it, into each leaf.
 */
function hangList(parent: NodeSingular, leaves: NodeCollection, room: NodeSingular, gapY: number): void {
  const box = room.boundingBox({ includeLabels: false });
  const trunk = box.x1 + LIST_MARGIN;
  let y = box.y1;
  leaves.forEach((leaf) => {
    const h = leaf.boundingBox({ includeLabels: true }).h;
    leaf.position({ x: trunk + LIST_INDENT + leaf.outerWidth() / 2, y: y + h / 2 });
    y += h + LIST_GAP;
    const points = [
      { x: parent.position().x, y: gapY },
      { x: trunk, y: gapY },
      { x: trunk, y: leaf.position().y },
    ];
    parent.edgesTo(leaf).forEach((e) => {
      bend(e, points);
    });
  });
}

/** The top of each layer (by the y of its nodes' centres): where the gap above it ends. */
function layerTops(nodes: NodeCollection): Map<number, number> {
  const tops = new Map<number, number>();
  nodes.forEach((n) => {
    const y = Math.round(n.position().y);
    tops.set(y, Math.min(tops.get(y) ?? Infinity, n.boundingBox({ includeLabels: true }).y1));
  });
  return tops;
}

/**
 * dagre's layers, by the layering edges (the others are drawn all the same), with the seeds alone in
 * the top one: a node no seed reaches (an admin's key that gave a tainted user a policy, an account
 * that assumed a backdoor role) would otherwise sit beside them, and a seed another node points at
 * would sink below it. For the layout only, a node on top points at every seed, so heavily that each
 * stays right under it, and, two layers down at least, at the unreached roots; and each list of
 * leaves is a stand-in of its size, which the leaves take the place of afterwards. The top node and
 * the stand-ins go once the nodes have their places.
 */
function layOut(cy: Core, d: Drawn, lists: Map<string, string[]>): void {
  const layering = new Set(layeringEdges(d).map((e) => e.id));
  const listed = cy.nodes('.listed');
  const aside = cy
    .edges()
    .filter((e) => !layering.has(e.id()))
    .union(listed)
    .union(listed.connectedEdges());
  const temporary = cy.collection();
  const add = (group: 'nodes' | 'edges', data: Record<string, unknown>, base: string) => {
    const added = cy.add({ group, data: { ...data, id: unusedId(cy, base), label: '', colour: '#fff', shape: 'rectangle' } });
    temporary.merge(added);
    return added;
  };
  const top = add('nodes', {}, 'layout/top').id();
  const heavy = 2 * cy.edges().length + 2;
  for (const n of d.nodes) if (n.seed) add('edges', { source: top, target: n.id, minLen: 1, weight: heavy }, 'layout/edge');
  for (const id of unreachedRoots(d)) add('edges', { source: top, target: id, minLen: 2, weight: 1 }, 'layout/edge');
  const rooms = new Map<string, NodeSingular>();
  for (const [parent, leaves] of lists) {
    const { w, h } = listRoom(nodesOf(cy, leaves));
    const room = add('nodes', {}, 'layout/list');
    room.style({ width: w, height: h, 'border-width': 0 });
    rooms.set(parent, room);
    add('edges', { source: parent, target: room.id() }, 'layout/edge');
  }
  const options: DagreLayoutOptions = {
    name: 'dagre',
    rankDir: 'TB',
    nodeSep: NODE_SEP,
    rankSep: RANK_SEP,
    edgeSep: EDGE_SEP,
    nodeDimensionsIncludeLabels: true,
    // An edge of the lineage weighs twice a hanging one: an unreached root sits just above what it points at, not up by the seeds.
    minLen: (e: EdgeSingular) => e.data('minLen') ?? 1,
    edgeWeight: (e: EdgeSingular) => e.data('weight') ?? 2,
    fit: false,
  };
  cy.elements().not(aside).layout(options).run();
  const tops = layerTops(cy.nodes().not(listed));
  for (const [parent, leaves] of lists) {
    const room = rooms.get(parent)!;
    const gapY = tops.get(Math.round(room.position().y))! - RANK_SEP / 2;
    hangList(cy.getElementById(parent), nodesOf(cy, leaves), room, gapY);
  }
  cy.remove(temporary);
  cy.edges(':simple')
    .filter((e) => !e.hasClass('listed') && Math.abs(e.source().position().y - e.target().position().y) < 1)
    .addClass('along')
    // Across the line from source to target, to its left is up when it runs left to right.
    .forEach((e) => {
      e.style('control-point-distances', e.target().position().x > e.source().position().x ? -ARC : ARC);
    });
}

/** Below this zoom the labels are specks (9px at 0.35 is 3px): the graph's shape, nothing to read. */
const SPECKS_ZOOM = 0.35;
/** The view's margin around the graph. */
const MARGIN = 20;

/**
 * The first view: the whole graph. A graph far wider (or taller)
 * than the view would be a strip of specks: it fills the view's other side instead, its top and its
 * seeds in view, the rest a pan or a search away (the lineage page's 'whole graph' button shows it all).
 */
function firstView(cy: Core): void {
  wholeGraph(cy);
  if (cy.zoom() >= SPECKS_ZOOM) return;
  const all = cy.elements().boundingBox();
  const seeds = cy.nodes().filter((n) => n.data('seed') === true);
  const across = (seeds.nonempty() ? seeds : cy.nodes()).boundingBox({ includeLabels: true });
  const fill = Math.max((cy.width() - 2 * MARGIN) / all.w, (cy.height() - 2 * MARGIN) / all.h);
  // Seeds far apart keep it wider: the view starts with all of them.
  const zoom = Math.min(READ_ZOOM, fill, (cy.width() - 2 * MARGIN) / across.w);
  cy.zoom(zoom);
  cy.pan({ x: cy.width() / 2 - zoom * (across.x1 + across.w / 2), y: MARGIN - zoom * all.y1 });
}

/** Fits the whole graph in the view, no closer than the find box goes (a few nodes would fill it at three times their size). */
export function wholeGraph(cy: Core): void {
  cy.fit(undefined, MARGIN);
  if (cy.zoom() > READ_ZOOM) {
    cy.zoom(READ_ZOOM);
    cy.center();
  }
}

/** The whole of a node's label as the container's tooltip while the pointer is on the node (the attribute, never markup). */
function tooltips(cy: Core, container: HTMLElement): void {
  cy.on('mouseover', 'node', (e) => {
    container.title = e.target.data('title');
  });
  cy.on('mouseout', 'node', () => {
    container.title = '';
  });
}

/** Draws the lineage, laid out in layers; the layout's time in ms is `cy.scratch('keytrail').layoutMs`. */
export function drawLineage(container: HTMLElement, data: Lineage): Core {
  cytoscape.use(cytoscapeDagre);
  const d = drawnGraph(data);
  const lists = leafLists(d);
  const cy = cytoscape({ container, elements: elements(d, lists), wheelSensitivity: 0.3, style: STYLE });
  const started = performance.now();
  layOut(cy, d, lists);
  cy.scratch('keytrail', { layoutMs: performance.now() - started });
  firstView(cy);
  tooltips(cy, container);
  return cy;
}

/** Brings nodes into the middle of the view, as close as they fit and no closer than reading needs. */
function bringIntoView(cy: Core, nodes: NodeCollection): void {
  const box = nodes.boundingBox({ includeLabels: true });
  const pad = 40;
  const fits = Math.min((cy.width() - 2 * pad) / Math.max(box.w, 1), (cy.height() - 2 * pad) / Math.max(box.h, 1));
  const zoom = Math.max(cy.minZoom(), Math.min(fits, READ_ZOOM));
  const pan = { x: cy.width() / 2 - zoom * (box.x1 + box.w / 2), y: cy.height() / 2 - zoom * (box.y1 + box.h / 2) };
  cy.stop(true, true);
  cy.animate({ zoom, pan }, { duration: 250 });
}

/** The find box: rings the drawn nodes whose ids, names or ARNs hold the text (a group holding such a member) and brings them into view; returns how many. */
export function findInGraph(cy: Core, text: string): number {
  const q = text.trim().toLowerCase();
  cy.nodes().removeClass('hit');
  if (!q) return 0;
  const hits = cy.nodes().filter((n) => String(n.data('search')).includes(q));
  hits.addClass('hit');
  if (hits.nonempty()) bringIntoView(cy, hits);
  return hits.length;
}
