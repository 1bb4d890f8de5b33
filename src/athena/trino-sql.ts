/**
 * Values and names written into Trino (Athena) SQL text, by one pair of functions (issue 18): keytrail
 * cannot bind parameters in a .sql file the user runs with aws-cli, so every value a rule or a
 * lineage phase puts into Athena SQL goes through trinoString, every name through trinoIdent.
 * A value from the evidence may be crafted: the literal holds it exactly, whatever it contains.
 */
import { KeytrailError } from '../errors.js';

/** Printable ASCII other than the backslash: written as it is (a quote doubled). */
const PLAIN = /^[\x20-\x5b\x5d-\x7e]*$/;

/**
 * A Trino string literal of `value`: `'it''s'` for printable ASCII; otherwise a Unicode string
 * literal (`U&'caf\00E9'`) in which every other character is a \XXXX or \+XXXXXX escape, so that
 * no control character, line break or lookalike reaches the SQL file as it is. NUL is refused:
 * Trino's varchar cannot hold it.
 */
export function trinoString(value: string): string {
  if (PLAIN.test(value)) return `'${value.replaceAll("'", "''")}'`;
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0) throw new KeytrailError('USAGE', `a value with a NUL character cannot be written as Trino SQL: ${JSON.stringify(value.slice(0, 80))}`);
    if (ch === "'") out += "''";
    else if (cp >= 0x20 && cp <= 0x7e && ch !== '\\') out += ch;
    else out += cp > 0xffff ? `\\+${cp.toString(16).toUpperCase().padStart(6, '0')}` : `\\${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `U&'${out}'`;
}

/** A Trino identifier: `"name"`, a quote doubled. Athena folds names to lower case; so does this. */
export function trinoIdent(name: string): string {
  if (name === '' || name.includes('\0')) throw new KeytrailError('USAGE', `not a usable Trino name: ${JSON.stringify(name)}`);
  return `"${name.toLowerCase().replaceAll('"', '""')}"`;
}

/** A JSONPath for json_extract_scalar, each key in brackets and quoted: `$["userName"]["x.y"]`. */
export function jsonPath(keys: readonly string[]): string {
  return `$${keys.map((k) => `[${JSON.stringify(k)}]`).join('')}`;
}
