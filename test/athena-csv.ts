/**
 * CloudTrail records as Athena's result CSV would hold them (tests of issue 18): each record as its
 * row of Athena's CloudTrail table (every leaf text, lower-case names, JSON columns as JSON text),
 * then the row's cells in the JSON form keytrail's queries write (json_format(CAST(x AS JSON))) or in
 * Trino's struct text (`{type=IAMUser, principalid=..., onbehalfof=null, ...}`), written as Athena
 * writes CSV: a header, every value in double quotes, NULL as an empty unquoted field.
 */
import { ATHENA_CLOUDTRAIL, type Column } from '../src/athena/table.js';

type Cell = string | null;
type Form = 'json' | 'struct';

const lower = (o: Record<string, unknown>) => new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
const text = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));

/** A value of column type `c` as the table holds it: text leaves, structs as maps of every field (null when absent). */
function tableValue(c: Column, v: unknown): unknown {
  if (c === 'STRING') return text(v);
  if (c === 'JSON') return v === null || v === undefined ? null : JSON.stringify(v);
  if (v === null || v === undefined || typeof v !== 'object') return null;
  if (c === 'MAP') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, text(x)]));
  if (Array.isArray(c)) return Array.isArray(v) ? v.map((x) => tableValue(c[0], x)) : null;
  const m = lower(v as Record<string, unknown>);
  return Object.fromEntries(Object.entries(c).map(([k, t]) => [k, tableValue(t, m.get(k))]));
}

/** Trino's text of a struct, list or map value. */
function structText(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(structText).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v as object)
      .map(([k, x]) => `${k}=${structText(x)}`)
      .join(', ')}}`;
  return String(v);
}

/** A record's cells, column by column, in the given form. */
export function athenaCells(record: Record<string, unknown>, form: Form): Cell[] {
  const m = lower(record);
  return Object.entries(ATHENA_CLOUDTRAIL).map(([k, c]) => {
    const v = tableValue(c, m.get(k));
    if (v === null || typeof v === 'string') return v as Cell;
    return form === 'json' ? JSON.stringify(v) : structText(v);
  });
}

const quote = (c: Cell) => (c === null ? '' : `"${c.replaceAll('"', '""')}"`);

/** The CSV Athena writes for `header` and `rows`. */
export function athenaCsv(header: readonly string[], rows: readonly Cell[][]): string {
  return `${[header, ...rows].map((r) => r.map(quote).join(',')).join('\n')}\n`;
}

/** Records as an Athena result CSV over every column of the table. */
export function recordsAsAthenaCsv(records: readonly Record<string, unknown>[], form: Form): string {
  return athenaCsv(
    Object.keys(ATHENA_CLOUDTRAIL),
    records.map((r) => athenaCells(r, form)),
  );
}
