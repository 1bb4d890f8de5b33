/**
 * Values of the rows keytrail's own SQL returns, as the types that SQL gives them (store/db.ts
 * toPlain: INTEGER and BIGINT as numbers, VARCHAR as strings, NULL as null). A value of another type
 * is a bug in keytrail, and is said as one rather than coerced.
 */
import type { Row } from '../store/db.js';

function wrongType(column: string, v: unknown, want: string): TypeError {
  return new TypeError(`column ${column} holds ${v === null ? 'NULL' : typeof v}, not ${want}`);
}

export function int(row: Row, column: string): number {
  const v = row[column];
  if (typeof v === 'number') return v;
  throw wrongType(column, v, 'a number');
}

export function text(row: Row, column: string): string {
  const v = row[column];
  if (typeof v === 'string') return v;
  throw wrongType(column, v, 'a string');
}

export function textOrNull(row: Row, column: string): string | null {
  const v = row[column];
  if (v === null || typeof v === 'string') return v;
  throw wrongType(column, v, 'a string or NULL');
}

/** A list of strings (VARCHAR[]), or null. */
export function textListOrNull(row: Row, column: string): string[] | null {
  const v = row[column];
  if (v === null) return null;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw wrongType(column, v, 'a list of strings');
}
