/**
 * Browser code: draws a lineage (its JSON) with cytoscape into a container, for the lineage page and
 * the report's Step 2, in layers: the seeds on top, each generation of what they made or obtained
 * below (dagre's layered layout, through cytoscape-dagre). Labels are short (an access key as
 * AKIA…7GPS, a role session as ops-admin/…CBFS), the whole value in the tooltip, the side panel and
 * the find box; more than MAX_SIBLINGS leaves of one kind under the same parents are drawn as one
 * node ("14 sessions of ops-admin"). scripts/page-scripts.mjs transpiles this file into a function
 * of its own at the top of each page's script, which gets what it exports. Labels and ids are
 * cytoscape data, drawn as canvas text, never parsed as HTML, and no id goes through a selector.
 */
import type { Core, Css, EdgeSingular, ElementDefinition, Ext, NodeCollection, NodeSingular, StylesheetJson } from 'cytoscape';
import type { DagreLayoutOptions } from 'cytoscape-dagre';
import type { EdgeKind, Lineage, LineageNode, NodeKind } from '../lineage/lineage.js';

/** cytoscape's own build (MIT), inlined in the page before this script. */
declare const cytoscape: typeof import('cytoscape');
/** cytoscape-dagre's build (MIT, with dagre and graphlib, MIT, bundled in it), inlined after cytoscape. */
declare const cytoscapeDagre: Ext;

/** More leaves than this of one kind under the same parents are drawn as one node: forty sessions side by side are a wall, not a picture. */
export const MAX_SIBLINGS = 6;
/** Characters of a name a label keeps. */
const NAME_CHARS = 18;
/** Characters of an access key's end a label shows at first; more where two keys would read alike. */
const KEY_TAIL = 4;
/** Past this the tail grows no more: names the logs made alike (control characters all shown as `?`) stay alike. */
const MAX_KEY_TAIL = 32;
/** The zoom the find box brings a node to at most: labels of 9px read at 13px. */
const READ_ZOOM = 1.5;

/** A node as drawn: one node of the lineage, or a group of sibling leaves (`members`, their ids). */
export interface DrawnNode {
  id: string;
  label: string;
  /** The whole of what the label shortens, for the tooltip. */
  title: string;
  /** What the find box matches, lower case: every id, name and ARN the node stands for. */
  search: string;
  colour: string;
  shape: string;
  seed: boolean;
  members: string[];
}

export interface DrawnEdge {
  id: string;
  source: string;
  target: string;
  kind: EdgeKind;
  label: string;
}

export interface Drawn {
  nodes: DrawnNode[];
  edges: DrawnEdge[];
}

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

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Whitespace as one space, control and format characters (a newline, a right-to-left override) as `?`: a name from the logs can neither break a label into lines nor reorder it. */
const printable = (s: string) => s.replace(/\s+/g, ' ').replace(/[\p{Cc}\p{Cf}]/gu, '?');

/** At most `max` characters, the middle cut out: the start and the end of a name tell most. */
function clip(s: string, max = NAME_CHARS): string {
  const chars = Array.from(printable(s));
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 6).join('')}…${chars.slice(-5).join('')}`;
}

/** The name in a `kind/name` id (an owner's). */
const nameOf = (id: string) => id.slice(id.indexOf('/') + 1);

/** The last `n` characters of an access key, after `…`; the whole id when it is that short. The middle of one account's key ids is alike (it encodes the account): the end tells them apart. */
function keyEnd(id: string, n: number, keep = 4): string {
  const chars = Array.from(printable(id));
  return chars.length <= keep + n + 1 ? chars.join('') : `${chars.slice(0, keep).join('')}…${chars.slice(-n).join('')}`;
}

/** An access key's label: a session of a role or user as `owner/…tail`, another key as `AKIA…tail`. */
function keyLabel(n: LineageNode, tail: number): string {
  return n.temporary && n.owner ? `${clip(nameOf(n.owner))}/${keyEnd(n.id, tail, 0)}` : keyEnd(n.id, tail);
}

/** The access keys' labels, each long enough to tell it from the others': the tail grows where two would read alike. */
function keyLabels(keys: LineageNode[]): Map<string, string> {
  const out = new Map<string, string>();
  let left = keys;
  for (let tail = KEY_TAIL; left.length; tail += 2) {
    const byLabel = new Map<string, LineageNode[]>();
    for (const n of left) push(byLabel, keyLabel(n, tail), n);
    left = [];
    for (const [label, same] of byLabel) {
      if (same.length === 1 || tail >= MAX_KEY_TAIL) for (const n of same) out.set(n.id, label);
      else left.push(...same);
    }
  }
  return out;
}

/** Another node's label: its name; a principal's from the part of its ARN after the last colon. */
function nameLabel(n: LineageNode): string {
  return clip(n.kind === 'principal' ? n.name.slice(n.name.lastIndexOf(':') + 1) || n.name : n.name);
}

const PLURAL: Record<NodeKind, string> = {
  access_key: 'access keys',
  user: 'users',
  role: 'roles',
  group: 'groups',
  account: 'accounts',
  service: 'services',
  principal: 'principals',
};

/** "14 sessions of ops-admin", "9 access keys of bob", "12 users". */
function groupLabel(g: LineageNode[]): string {
  const n = g[0]!;
  const what = n.kind === 'access_key' && n.temporary ? 'sessions' : PLURAL[n.kind];
  return `${g.length} ${what}${n.owner ? ` of ${clip(nameOf(n.owner))}` : ''}`;
}

const searchText = (ns: LineageNode[]) =>
  ns
    .map((n) => `${n.id}\n${n.name}\n${n.arn ?? ''}`)
    .join('\n')
    .toLowerCase();

/**
 * The leaves drawn as one node: more than `max` nodes, none a seed, none with an edge out, of one
 * kind and colour, and of one owner (the sessions of a role, whoever assumed them; the keys of a
 * user) or, with none, with the same edges in (from the same nodes, of the same kinds). A node with
 * an edge out stays itself: what it did is the chain the graph is there to show. The group keeps
 * every edge in, one per node and kind.
 */
function siblingGroups(l: Lineage, max: number): LineageNode[][] {
  const hasOut = new Set(l.edges.map((e) => e.from));
  const into = new Map<string, Set<string>>();
  for (const e of l.edges) into.set(e.to, (into.get(e.to) ?? new Set()).add(JSON.stringify([e.from, e.kind])));
  const groups = new Map<string, LineageNode[]>();
  for (const n of l.nodes) {
    const parents = into.get(n.id);
    if (n.seed || hasOut.has(n.id) || !parents) continue;
    push(groups, JSON.stringify([n.owner ?? [...parents].sort(), n.kind, n.temporary, colour(n)]), n);
  }
  return [...groups.values()].filter((g) => g.length > max);
}

/** `base`, or `base` with `+`s after it, whichever no element has yet: ids from the logs may be any string. */
function freshId(base: string, taken: Set<string>): string {
  let id = base;
  while (taken.has(id)) id += '+';
  taken.add(id);
  return id;
}

function single(n: LineageNode, label: string): DrawnNode {
  const title = [`${n.kind} ${n.id}`, n.arn, n.owner && `of ${n.owner}`].filter(Boolean).join('\n');
  return { id: n.id, label, title: printable(title), search: searchText([n]), colour: colour(n), shape: shape(n), seed: n.seed, members: [] };
}

/** Members the tooltip of a group names; the side panel lists them all. */
const TITLE_MEMBERS = 8;

function group(id: string, g: LineageNode[]): DrawnNode {
  const label = groupLabel(g);
  const more = g.length > TITLE_MEMBERS ? [`and ${g.length - TITLE_MEMBERS} more`] : [];
  const title = [label, ...g.slice(0, TITLE_MEMBERS).map((n) => n.id), ...more].join('\n');
  return { id, label, title: printable(title), search: searchText(g), colour: colour(g[0]!), shape: shape(g[0]!), seed: false, members: g.map((n) => n.id) };
}

/** The lineage as drawn: short labels, large groups of sibling leaves as one node, and one edge per parent and kind into a group (`assumed_role ×14`). */
export function drawnGraph(l: Lineage, max = MAX_SIBLINGS): Drawn {
  const taken = new Set(l.nodes.map((n) => n.id));
  const groupOf = new Map<string, DrawnNode>();
  for (const g of siblingGroups(l, max)) {
    const drawn = group(freshId(`siblings/${g[0]!.id}`, taken), g);
    for (const n of g) groupOf.set(n.id, drawn);
  }
  const keys = keyLabels(l.nodes.filter((n) => n.kind === 'access_key'));
  const nodes = new Set<DrawnNode>();
  for (const n of l.nodes) nodes.add(groupOf.get(n.id) ?? single(n, keys.get(n.id) ?? nameLabel(n)));
  const edges: DrawnEdge[] = [];
  const into = new Map<string, DrawnEdge[]>();
  for (const e of l.edges) {
    const target = groupOf.get(e.to)?.id ?? e.to;
    const drawn = { id: '', source: e.from, target, kind: e.kind, label: e.kind };
    if (target === e.to) edges.push({ ...drawn, id: freshId(`edge/${edges.length}`, taken) });
    else push(into, JSON.stringify([e.from, target, e.kind]), drawn);
  }
  for (const same of into.values()) edges.push({ ...same[0]!, id: freshId(`edge/${edges.length}`, taken), label: `${same[0]!.kind} ×${same.length}` });
  return { nodes: [...nodes], edges };
}

/**
 * Edges that change a node (its policy, trust policy, password) or name the role whose session it
 * is, without making or obtaining it: they do not set its layer when another edge into it does. A
 * session of a role created early but assumed late sits under the key that assumed it, not under
 * the role, and no long edge stretches the layers in between.
 */
const CHANGES: ReadonlySet<EdgeKind> = new Set<EdgeKind>([
  'session_of',
  'attached_policy',
  'put_policy',
  'updated_trust_policy',
  'created_login_profile',
  'updated_login_profile',
]);

/** The edges that set the layers: each node's edges in that make or obtain it (all of them, when none does), none into a seed. */
export function layeringEdges(d: Drawn): DrawnEdge[] {
  const seed = new Set(d.nodes.filter((n) => n.seed).map((n) => n.id));
  const made = new Set(d.edges.filter((e) => !CHANGES.has(e.kind)).map((e) => e.target));
  return d.edges.filter((e) => !seed.has(e.target) && !(CHANGES.has(e.kind) && made.has(e.target)));
}

/**
 * The nodes to hang under the layout's top node, two layers down at least: one of each part of the
 * graph the seeds do not reach by the layering edges (a node with no edge in first, any node of a
 * cycle after).
 */
export function unreachedRoots(d: Drawn): string[] {
  const next = new Map<string, string[]>();
  const hasIn = new Set<string>();
  for (const e of layeringEdges(d)) {
    push(next, e.source, e.target);
    hasIn.add(e.target);
  }
  const reached = new Set<string>();
  const visit = (from: string) => {
    const stack = [from];
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      if (reached.has(id)) continue;
      reached.add(id);
      stack.push(...(next.get(id) ?? []));
    }
  };
  for (const n of d.nodes) if (n.seed) visit(n.id);
  const roots: string[] = [];
  // A cycle's nodes all have an edge out: a leaf is reached once what points at it is.
  for (const first of [true, false]) {
    for (const n of d.nodes) {
      if (reached.has(n.id) || (first ? hasIn.has(n.id) : !next.has(n.id))) continue;
      roots.push(n.id);
      visit(n.id);
    }
  }
  return roots;
}

/** How far an edge along a layer bends from the line of the layer's nodes: its top passes half as far above them (clear of the nodes, in the gap above). */
const ARC = 56;

/** Fewer leaves than this under one node sit side by side in the layer below it; this many or more hang under it as a list. */
const LIST_MIN = 3;

/**
 * The leaves each node has drawn as a list hanging under it, as an organisation chart lists a
 * manager's reports: nodes with no edge out, not seeds, whose layering edges in all come from that
 * node, LIST_MIN of them or more. Side by side, the keys and sessions one credential made are what
 * widens a layer to thousands of pixels; as a list they take a column.
 */
export function leafLists(d: Drawn): Map<string, string[]> {
  const hasOut = new Set(d.edges.map((e) => e.source));
  const parents = new Map<string, Set<string>>();
  for (const e of layeringEdges(d)) parents.set(e.target, (parents.get(e.target) ?? new Set()).add(e.source));
  const lists = new Map<string, string[]>();
  for (const n of d.nodes) {
    const from = parents.get(n.id);
    if (n.seed || hasOut.has(n.id) || from?.size !== 1) continue;
    push(lists, [...from][0]!, n.id);
  }
  for (const [parent, leaves] of lists) if (leaves.length < LIST_MIN) lists.delete(parent);
  return lists;
}

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
  cy.fit(undefined, 20);
  // A few nodes would fill the view at three times their size: no closer than the find box goes.
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
