/**
 * JSON numbers exactly as written. JavaScript numbers are doubles: `9007199254740993` reads as
 * ...992, `1e999` as Infinity (written back as null), `1.50` as 1.5. The evidence keeps every number
 * as its text (DuckDB's JSON type does), and so does every output: a number that would not survive
 * the round trip is read as an ExactNumber, which JSON output writes back as its text.
 */
import crypto from 'node:crypto';

/** Markers no value from the logs can forge: they carry a per-process random nonce. */
const NONCE = crypto.randomBytes(8).toString('hex');
const MARK = `\u0001${NONCE}:`;

/** A JSON number kept as its text. */
export class ExactNumber {
  constructor(readonly text: string) {}
  /** In JSON.stringify, a placeholder that restoreExact() turns back into the number's text. */
  toJSON(): string {
    return `${MARK}${this.text}`;
  }
  toString(): string {
    return this.text;
  }
}

/** Strings (skipped) or number tokens of JSON text. */
const TOKENS = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
/** A cheap first look: only text with a long digit run, an exponent or a trailing zero after a point can hold such a number. */
const MAYBE = /\d{16}|\d[eE]|\.\d*0(?!\d)/;

const exact = (tok: string) => JSON.stringify(Number(tok)) === tok;

/** JSON.parse, with every number that would not round-trip as an ExactNumber. */
export function parseExact(text: string): unknown {
  if (!MAYBE.test(text)) return JSON.parse(text);
  let marked = false;
  const safe = text.replace(TOKENS, (t) => {
    if (t.startsWith('"') || exact(t)) return t;
    marked = true;
    return JSON.stringify(`${MARK}${t}`);
  });
  if (!marked) return JSON.parse(text);
  return JSON.parse(safe, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(MARK) ? new ExactNumber(v.slice(MARK.length)) : v));
}

/** JSON text from JSON.stringify with ExactNumber placeholders written back as the numbers' text. */
export function restoreExact(json: string): string {
  if (!json.includes(NONCE)) return json;
  return json.replace(new RegExp(`"\\\\u0001${NONCE}:([^"]+)"`, 'g'), '$1');
}
