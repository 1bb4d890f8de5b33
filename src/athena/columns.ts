/**
 * The columns keytrail's own Athena queries return (`keytrail athena plan`'s phases): every column of
 * Athena's CloudTrail table, in the table's order and with its name, a struct or array column as its
 * JSON text (`json_format(CAST(useridentity AS JSON))`: an object with the table's lower-case keys),
 * so the result CSV keeps every value without Trino's ambiguous `{key=value, ...}` rendering. This
 * is "the JSON form" that `keytrail ingest` reads back, besides the struct form of a plain `SELECT *`.
 */
import { ATHENA_CLOUDTRAIL } from './table.js';
import { trinoIdent } from './trino-sql.js';

/** The table's column names, in order. */
export const ATHENA_COLUMNS: readonly string[] = Object.keys(ATHENA_CLOUDTRAIL);

/** The columns holding a struct, an array or a map: in the JSON form, their JSON text. */
export const ATHENA_NESTED_COLUMNS: readonly string[] = ATHENA_COLUMNS.filter((c) => typeof ATHENA_CLOUDTRAIL[c] !== 'string');

/** The SELECT list of the JSON form, over a table aliased `alias` (or unaliased). */
export function athenaSelectList(alias?: string): string {
  const q = (c: string) => (alias ? `${alias}.${trinoIdent(c)}` : trinoIdent(c));
  return ATHENA_COLUMNS.map((c) => (ATHENA_NESTED_COLUMNS.includes(c) ? `json_format(CAST(${q(c)} AS JSON)) AS ${trinoIdent(c)}` : q(c))).join(',\n       ');
}
