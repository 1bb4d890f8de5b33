/**
 * Values from the logs are the attacker's words: user names, session names, user agents, tags, even
 * eventIDs and file names inside a bundle. Each place keytrail writes them has one function here that
 * keeps them data there:
 *   - printable(): text for a terminal or a text file (tables, messages, Markdown, trees, comments);
 *   - csvCell(): a cell a spreadsheet opens (no formula);
 *   - jsonText(): JSON that other tools print or embed (no raw C1 or line separator).
 * The shell has its own rules (report/shell.ts): a value becomes an argument only in a shape AWS allows.
 */
import { restoreExact } from './store/exact-json.js';

/**
 * What must never reach a terminal raw: C0 controls (ESC starts every terminal sequence, newline and
 * CR forge lines), DEL, C1 controls (U+009B is a one-character CSI), the Unicode line and paragraph
 * separators, and the bidirectional controls that reorder how a line displays ("Trojan Source").
 */
const ACTIVE = '\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff';
const UNPRINTABLE = new RegExp(`[\u0000-\u001f${ACTIVE}]`, 'g');
/** What JSON.stringify leaves raw of those (it escapes C0 itself). */
const JSON_RAW = new RegExp(`[${ACTIVE}]`, 'g');
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const code = (c: string): string => {
  const n = c.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
};

/** `s` as one line of plain text: every control or display-reordering character shown escaped (`\x1b`, `\n`). */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => NAMED[c] ?? code(c));
}

/** At most `max` characters of `s`, made printable, with an ellipsis when cut. */
export function excerpt(s: string, max: number): string {
  const p = printable(s);
  return p.length > max ? `${p.slice(0, max - 1)}…` : p;
}

/**
 * A text cell a spreadsheet will not evaluate: Excel, LibreOffice and Google Sheets read a cell that
 * begins with `=`, `+`, `-`, `@`, tab or CR as a formula, so such a cell gets OWASP's prefix, a single
 * quote (shown as text, the rest of the value unchanged). Numbers are not text and are left alone.
 */
export function csvCell(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** JSON.stringify, with the characters it leaves raw but a terminal or an HTML page may act on written as \u escapes (the same JSON value). */
export function jsonText(value: unknown, indent?: number): string {
  return restoreExact(JSON.stringify(value, null, indent)).replace(JSON_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
