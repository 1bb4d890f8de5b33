/**
 * The lineage graph as text: an indented tree for the terminal, Graphviz DOT and Mermaid. All three
 * draw the same nodes and edges as the JSON. Names come from the logs: each is made printable first
 * (no newline, CR or terminal sequence can end a line or a statement), then escaped for its format.
 */
import { printable } from '../escape.js';
import type { Lineage, LineageNode } from './lineage.js';

const short = (id: string) => (id.length > 12 && /^[0-9a-f-]{36}$/.test(id) ? id.slice(0, 8) : id);

function describe(n: LineageNode): string {
  const bits: string[] = [];
  if (n.seed) bits.push('seed');
  if (n.createdByAttacker) bits.push('created by the attacker');
  if (n.kind === 'access_key') bits.push(n.temporary ? 'temporary' : 'long-term');
  if (n.owner) bits.push(`of ${n.owner}`);
  if (!n.tainted) bits.push('context');
  const a = n.activity;
  const act = a.events
    ? `${a.events} events, ${Object.keys(a.regions).length} region(s), ${n.firstSeen} .. ${n.lastSeen}${a.errors ? `, ${a.errors} failed` : ''}`
    : 'no events';
  return `${n.id} (${bits.join(', ')}) - ${act}`;
}

/** An indented tree from the seeds along the edges; a node met again is named, not expanded. */
export function renderTree(l: Lineage): string {
  const byId = new Map(l.nodes.map((n) => [n.id, n]));
  const out = new Map<string, typeof l.edges>();
  for (const e of l.edges) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  const lines: string[] = [];
  const seen = new Set<string>();
  const walk = (id: string, prefix: string) => {
    const children = out.get(id) ?? [];
    children.forEach((e, i) => {
      const last = i === children.length - 1;
      const target = byId.get(e.to);
      const again = seen.has(e.to);
      lines.push(
        `${prefix}${last ? '└─' : '├─'} ${e.kind} → ${target ? (again ? `${e.to} (above)` : describe(target)) : e.to}  [${short(e.eventID)} ${e.eventTime}]`,
      );
      if (!again) {
        seen.add(e.to);
        walk(e.to, prefix + (last ? '   ' : '│  '));
      }
    });
  };
  const hasIncoming = new Set(l.edges.map((e) => e.to));
  // Seeds first, then any other node nothing points at (an account that assumed a backdoor role...).
  const roots = [...l.nodes.filter((n) => n.seed), ...l.nodes.filter((n) => !n.seed && !hasIncoming.has(n.id) && (out.get(n.id)?.length ?? 0) > 0)];
  for (const r of roots) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    lines.push(describe(r));
    walk(r.id, '');
  }
  for (const n of l.nodes) if (!seen.has(n.id)) lines.push(describe(n));
  for (const w of l.warnings) lines.push(`warning: ${w}`);
  return `${lines.map(printable).join('\n')}\n`;
}

/** A DOT string from text lines: each line printable, backslash and quote escaped, lines joined with DOT's \n. */
const dotString = (...lines: string[]) => `"${lines.map((s) => printable(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\n')}"`;

export function renderDot(l: Lineage): string {
  const lines = ['digraph lineage {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
  for (const n of l.nodes) {
    const style = n.seed ? ', style=filled, fillcolor="#f4cccc"' : n.tainted ? ', style=filled, fillcolor="#fce5cd"' : '';
    lines.push(`  ${dotString(n.id)} [label=${dotString(n.kind, n.name, ...(n.activity.events ? [`${n.activity.events} events`] : []))}${style}];`);
  }
  for (const e of l.edges)
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [label=${dotString(e.kind, e.eventTime)}, tooltip=${dotString(e.eventID)}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Mermaid labels cannot hold quotes, brackets or markup safely: printable first, then those as Mermaid's #code; entities. */
const mermaidText = (s: string) => printable(s).replace(/[&"<>#%;[\]{}()|`]/g, (c) => `#${c.charCodeAt(0)};`);

export function renderMermaid(l: Lineage): string {
  const ids = new Map(l.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ['graph LR'];
  for (const n of l.nodes) lines.push(`  ${ids.get(n.id)}["${mermaidText(`${n.kind}: ${n.id}`)}"]`);
  for (const e of l.edges) lines.push(`  ${ids.get(e.from)} -->|"${mermaidText(`${e.kind} ${e.eventID}`)}"| ${ids.get(e.to)}`);
  for (const n of l.nodes) if (n.seed) lines.push(`  style ${ids.get(n.id)} fill:#f4cccc`);
  return `${lines.join('\n')}\n`;
}
