/**
 * Splits text into its top-level JSON values, whatever separates them: one value (a CloudTrail file,
 * an array), values one per line (JSON Lines), or values back to back (lookup-events pages appended
 * to one file). Hand-written rather than a streaming-JSON library because it must report the line
 * each value starts on and keep the text of a value that does not parse, and it is small.
 */
export interface JsonValueText {
  text: string;
  line: number;
  /** The text ended before the value closed (a truncated file). */
  unterminated?: boolean;
  /** Text outside any JSON value (not JSON at all). */
  junk?: boolean;
}

export class JsonValueSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escape = false;
  private valueStart = -1;
  private line = 1;
  private startLine = 1;
  private junkStart = -1;

  /** Feed the next piece of text; returns the values completed within it. */
  push(chunk: string): JsonValueText[] {
    const out: JsonValueText[] = [];
    const base = this.buf.length;
    this.buf += chunk;
    const s = this.buf;
    for (let i = base; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 10) this.line++;
      if (this.valueStart >= 0) {
        if (this.inString) {
          if (this.escape) this.escape = false;
          else if (c === 92) this.escape = true;
          else if (c === 34) this.inString = false;
          continue;
        }
        if (c === 34) this.inString = true;
        else if (c === 123 || c === 91) this.depth++;
        else if (c === 125 || c === 93) {
          if (--this.depth === 0) {
            out.push({ text: s.slice(this.valueStart, i + 1), line: this.startLine });
            this.valueStart = -1;
          }
        }
        continue;
      }
      if (c === 123 || c === 91) {
        this.flushJunk(out, i);
        this.valueStart = i;
        this.startLine = this.line;
        this.depth = 1;
      } else if (c === 10) {
        this.flushJunk(out, i);
      } else if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff && c !== 44 && this.junkStart < 0) {
        this.junkStart = i;
        this.startLine = this.line;
      }
    }
    // Keep only what an open value or junk still needs.
    const keep = this.valueStart >= 0 ? this.valueStart : this.junkStart >= 0 ? this.junkStart : s.length;
    this.buf = s.slice(keep);
    if (this.valueStart >= 0) this.valueStart -= keep;
    if (this.junkStart >= 0) this.junkStart -= keep;
    return out;
  }

  /** Call at end of input: returns a value left open (a truncated file) or trailing junk. */
  end(): JsonValueText[] {
    const out: JsonValueText[] = [];
    if (this.valueStart >= 0) out.push({ text: this.buf.slice(this.valueStart), line: this.startLine, unterminated: true });
    else this.flushJunk(out, this.buf.length);
    this.buf = '';
    return out;
  }

  private flushJunk(out: JsonValueText[], end: number): void {
    if (this.junkStart < 0) return;
    const text = this.buf.slice(this.junkStart, end).trim();
    if (text) out.push({ text, line: this.startLine, junk: true });
    this.junkStart = -1;
  }
}
