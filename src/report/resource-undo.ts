/**
 * An entry's undo template filled with a row's values. Every value comes from the logs, so each
 * must have the shape AWS allows for its kind (resources/entry.ts: the type's id shape, ARG_KINDS)
 * before it becomes an argument; otherwise the command is withheld with the reason, the value
 * shown escaped. As text, each filled word is one single-quoted shell word (shell.ts); the words
 * of the template itself are keytrail's own and hold no shell syntax (the registry test checks).
 */
import { excerpt } from '../escape.js';
import { registryEntry } from './resource-registry.js';
import type { ResourceRow } from './resource-sql.js';
import { ARG_KINDS, RESOURCE_TYPES, type ResourceEntry, type Shape } from './resources/entry.js';
import { sh } from './shell.js';

export type Undo = { argv: string[]; note: string | null } | { withheld: string };

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/** Why `value` cannot be an argument of kind `shape`, or null when it can. */
function refusal(shape: Shape, value: string | undefined): string | null {
  if (value === undefined || value === '') return `the event names no ${shape.name}`;
  if (shape.shape.test(value)) return null;
  return `not a valid ${shape.name} (AWS allows ${shape.allows}): "${excerpt(value, 120)}"`;
}

/** The values each placeholder of `entry`'s undo stands for in `row`, with the shape each must have. */
function valuesOf(entry: ResourceEntry, row: Pick<ResourceRow, 'id' | 'awsRegion' | 'args'>): Map<string, { shape: Shape; values: string[] }> {
  const m = new Map<string, { shape: Shape; values: string[] }>();
  m.set('id', { shape: RESOURCE_TYPES[entry.type].id, values: row.id === null ? [] : [row.id] });
  m.set('region', { shape: ARG_KINDS.region, values: [row.awsRegion] });
  for (const [name, a] of Object.entries(entry.args)) m.set(name, { shape: ARG_KINDS[a.kind], values: row.args[name] ?? [] });
  return m;
}

/**
 * The argv that undoes a row's call, `{withheld}` when a value it needs is missing or not of its
 * kind, or null when there is nothing to undo (an unregistered event, no undo, a failed call).
 * A placeholder that is a whole word and stands for several values becomes one word per value.
 */
export function undoArgv(row: Pick<ResourceRow, 'eventSource' | 'eventName' | 'id' | 'awsRegion' | 'args' | 'errorCode'>): Undo | null {
  const entry = registryEntry(row.eventSource, row.eventName);
  if (!entry?.undo || row.errorCode !== null) return null;
  const values = valuesOf(entry, row);
  const argv: string[] = [];
  for (const word of entry.undo) {
    const names = [...word.matchAll(PLACEHOLDER)].map((m) => m[1]!);
    for (const n of names) {
      const v = values.get(n)!;
      const bad = v.values.length === 0 ? refusal(v.shape, undefined) : v.values.map((x) => refusal(v.shape, x)).find((r) => r !== null);
      if (bad) return { withheld: bad };
      if (v.values.length > 1 && word !== `{${n}}`) return { withheld: `${v.values.length} values for {${n}} inside one word` };
    }
    if (names.length === 1 && word === `{${names[0]}}`) argv.push(...values.get(names[0]!)!.values);
    else argv.push(word.replace(PLACEHOLDER, (_, n: string) => values.get(n)!.values[0]!));
  }
  return { argv, note: entry.undoNote };
}

/**
 * The undo as one line of shell: the template's words as written, each word that holds a value
 * single-quoted; `value withheld: ...` (as shell.ts writes it) when a value cannot be an argument.
 */
export function undoCommand(row: Parameters<typeof undoArgv>[0]): string | null {
  const u = undoArgv(row);
  if (u === null) return null;
  if ('withheld' in u) return `value withheld: ${u.withheld}`;
  const entry = registryEntry(row.eventSource, row.eventName)!;
  const template = entry.undo!;
  // Words from the template without a placeholder are keytrail's; the others (expanded lists too) are values.
  const literal = new Set(template.filter((w) => !w.includes('{')));
  return u.argv.map((w) => (literal.has(w) ? w : sh(w))).join(' ');
}
