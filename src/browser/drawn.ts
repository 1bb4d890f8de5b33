/**
 * Browser code: the lineage as the graph draws it (src/browser/graph.ts), as plain data, tested
 * without a browser. Labels are short (an access key as AKIA…7GPS, a role session as
 * ops-admin/…CBFS; the whole id, ARN and owner in `title` and `search`); more than MAX_SIBLINGS
 * leaves of one kind and owner are one node ("14 sessions of ops-admin"); and it says which edges
 * set the layers, which nodes no seed reaches, and which leaves hang under their maker as a list.
 * scripts/page-scripts.mjs puts it first in each page's script, in a function of its own that hands
 * back what it exports. Names from the logs stay strings here: graph.ts gives them to cytoscape as
 * data, drawn as canvas text.
 */
import type { EdgeKind, Lineage, LineageNode, NodeKind } from '../lineage/lineage.js';

/** More leaves than this of one kind under the same parents are drawn as one node: forty sessions side by side are a wall, not a picture. */
export const MAX_SIBLINGS = 6;
/** Characters of a name a label keeps. */
const NAME_CHARS = 18;
/** Characters of an access key's end a label shows at first; more where two keys would read alike. */
const KEY_TAIL = 4;
/** Past this the tail grows no more: names the logs made alike (control characters all shown as `?`) stay alike. */
const MAX_KEY_TAIL = 32;

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

/** A tooltip: one line for each value, each printable (a newline from the logs cannot start another). */
const lines = (values: (string | null | undefined)[]) =>
  values
    .filter(Boolean)
    .map((v) => printable(v!))
    .join('\n');

function single(n: LineageNode, label: string): DrawnNode {
  const title = lines([`${n.kind} ${n.id}`, n.arn, n.owner && `of ${n.owner}`]);
  return { id: n.id, label, title, search: searchText([n]), colour: colour(n), shape: shape(n), seed: n.seed, members: [] };
}

/** Members the tooltip of a group names; the side panel lists them all. */
const TITLE_MEMBERS = 8;

function group(id: string, g: LineageNode[]): DrawnNode {
  const label = groupLabel(g);
  const more = g.length > TITLE_MEMBERS ? [`and ${g.length - TITLE_MEMBERS} more`] : [];
  const title = lines([label, ...g.slice(0, TITLE_MEMBERS).map((n) => n.id), ...more]);
  return { id, label, title, search: searchText(g), colour: colour(g[0]!), shape: shape(g[0]!), seed: false, members: g.map((n) => n.id) };
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
