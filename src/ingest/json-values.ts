/**
 * Splits JSON text into records as it streams, whatever holds them: a CloudTrail file
 * (`{"Records":[...]}`), lookup-events pages (`{"Events":[...]}`, several appended in one file), a
 * JSON array, JSON Lines, or values back to back. The records of a wrapper are emitted one by one,
 * so a document of any size is never held whole (V8 cannot hold a string over 512 MiB), and memory
 * is bounded by the largest record. Each piece is bounded too: deeper than `maxDepth` or longer than
 * `maxBytes`, it is not kept (only its head, for the rejects table) and reading goes on after it.
 * Hand-written rather than a streaming-JSON library because it must report the line each piece
 * starts on, keep the exact text of each record (numbers as written, keys as written) and the text
 * of what does not parse.
 */
export type Wrapper = 'Records' | 'Events' | 'array';

export type Piece =
  /** A whole top-level value (a JSON Lines record, an object that is not a wrapper). */
  | { kind: 'value'; text: string; line: number; unterminated?: boolean; broken?: boolean }
  /** One element of a wrapper's list. */
  | { kind: 'item'; wrapper: Wrapper; index: number; text: string; line: number; unterminated?: boolean }
  /** A wrapper's list begins (its records follow as items). */
  | { kind: 'open'; wrapper: Wrapper; line: number }
  /** A wrapper ends; `unterminated` when the text ended inside it. */
  | { kind: 'close'; wrapper: Wrapper; line: number; unterminated?: boolean }
  /** Text outside any JSON value. */
  | { kind: 'junk'; text: string; line: number }
  /** A value or item past a bound, not kept: its head, how deep or long it was. */
  | { kind: 'oversize'; wrapper?: Wrapper; index?: number; line: number; head: string; depth: number; bytes: number; why: 'depth' | 'size' };

export interface SplitLimits {
  maxDepth: number;
  maxBytes: number;
  /** How much of an oversize piece's text is kept for the rejects table. */
  headBytes: number;
}

export const DEFAULT_SPLIT_LIMITS: SplitLimits = { maxDepth: 512, maxBytes: 64 << 20, headBytes: 1 << 20 };

const QUOTE = 34;
const BACKSLASH = 92;
const NEWLINE = 10;
const OPEN_OBJ = 123;
const CLOSE_OBJ = 125;
const OPEN_ARR = 91;
const CLOSE_ARR = 93;
const COMMA = 44;
const COLON = 58;
const isSpace = (c: number) => c === 32 || c === 9 || c === 13 || c === NEWLINE || c === 0xfeff;

/** Where the splitter is. */
type Mode =
  | 'top' // between top-level values
  | 'head' // inside a top-level object, before its first key's value: is it a wrapper?
  | 'value' // inside a top-level value that is kept whole
  | 'list' // inside a wrapper's list, between items
  | 'item' // inside an item of a wrapper's list
  | 'tail' // inside a wrapper object, after its list (other keys, e.g. NextToken)
  | 'junk'; // in text that is not JSON

export class JsonSplitter {
  private mode: Mode = 'top';
  private line = 1;
  /** Depth inside the current piece (value, item) or wrapper object. */
  private depth = 0;
  private maxSeen = 0;
  private inString = false;
  private escape = false;
  private parts: string[] = [];
  private bytes = 0;
  private dropped = false;
  private startLine = 1;
  private wrapper: Wrapper = 'array';
  private index = 0;
  /** A scalar item (number, string, literal) in a list ends at a delimiter, not a bracket. */
  private scalar = false;
  /** In 'head' mode: the text so far, to tell a wrapper from a record. */
  private headText = '';
  private out: Piece[] = [];

  constructor(private readonly limits: SplitLimits = DEFAULT_SPLIT_LIMITS) {}

  /** Feed the next piece of text; returns the pieces completed within it. */
  push(chunk: string): Piece[] {
    this.out = [];
    let from = 0;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.inString) {
        // Jump to the next quote or backslash: most of a CloudTrail file is inside strings.
        if (!this.escape) {
          const q = chunk.indexOf('"', i);
          const b = chunk.indexOf('\\', i);
          const next = q < 0 ? b : b < 0 ? q : Math.min(q, b);
          const stop = next < 0 ? n : next;
          this.countLines(chunk, i, stop);
          const resume = this.brokenString(chunk, i, stop, from);
          if (resume >= 0) {
            from = resume;
            i = resume - 1;
            continue;
          }
          if (next < 0) {
            i = n;
            break;
          }
          i = next;
        }
        const d = chunk.charCodeAt(i);
        if (this.escape) this.escape = false;
        else if (d === BACKSLASH) this.escape = true;
        else if (d === QUOTE) {
          this.inString = false;
          if (this.scalar && this.depth === 0) {
            // A string item of a list ends with its closing quote.
            from = this.endPiece(chunk, from, i + 1);
          }
        }
        continue;
      }
      if (c === NEWLINE) this.line++;
      switch (this.mode) {
        case 'top':
          if (c === OPEN_OBJ) {
            from = i;
            this.begin('head');
            this.depth = 1;
            this.headText = '';
          } else if (c === OPEN_ARR) {
            this.wrapper = 'array';
            this.index = 0;
            this.out.push({ kind: 'open', wrapper: 'array', line: this.line });
            this.mode = 'list';
          } else if (!isSpace(c) && c !== COMMA) {
            from = i;
            this.begin('junk');
          }
          break;
        case 'junk':
          if (c === NEWLINE || c === OPEN_OBJ || c === OPEN_ARR) {
            this.keep(chunk, from, i);
            this.out.push({ kind: 'junk', text: this.take().trim(), line: this.startLine });
            this.mode = 'top';
            from = i;
            if (c !== NEWLINE) i--; // read the bracket again, at the top level
          }
          break;
        case 'head':
          from = this.headStep(chunk, from, i, c);
          break;
        case 'value':
        case 'item':
          from = this.valueStep(chunk, from, i, c);
          break;
        case 'list':
          if (c === CLOSE_ARR) {
            this.out.push({ kind: 'close', wrapper: this.wrapper, line: this.line });
            // A wrapper object goes on after its list; a top-level array is done.
            if (this.wrapper === 'array') this.mode = 'top';
            else {
              this.mode = 'tail';
              this.depth = 1;
            }
          } else if (!isSpace(c) && c !== COMMA) {
            from = i;
            this.begin('item');
            this.index++;
            this.scalar = c !== OPEN_OBJ && c !== OPEN_ARR;
            if (c === QUOTE) this.inString = true;
            else if (!this.scalar) this.depth = 1;
          }
          break;
        case 'tail':
          if (c === QUOTE) this.inString = true;
          else if (c === OPEN_OBJ || c === OPEN_ARR) this.depth++;
          else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
            if (--this.depth === 0) this.mode = 'top';
          }
          break;
      }
    }
    if (this.mode === 'value' || this.mode === 'item' || this.mode === 'junk') this.keep(chunk, from, n);
    else if (this.mode === 'head') {
      this.keep(chunk, from, n);
      this.headText += chunk.slice(from, n);
      // A wrapper's first key comes within a few bytes: past that, this object is a record.
      if (this.headText.length > 4096) this.mode = 'value';
    }
    return this.out;
  }

  /** Call at the end of the text: what is left open is emitted, marked unterminated. */
  end(): Piece[] {
    this.out = [];
    switch (this.mode) {
      case 'junk':
        this.out.push({ kind: 'junk', text: this.take().trim(), line: this.startLine });
        break;
      case 'head':
      case 'value':
        this.emit(true);
        break;
      case 'item':
        if (this.scalar && !this.inString) this.emit(false);
        else this.emit(true);
        this.out.push({ kind: 'close', wrapper: this.wrapper, line: this.line, unterminated: true });
        break;
      case 'list':
        this.out.push({ kind: 'close', wrapper: this.wrapper, line: this.line, unterminated: true });
        break;
      case 'tail':
        if (this.depth > 0) this.out.push({ kind: 'close', wrapper: this.wrapper, line: this.line, unterminated: true });
        break;
      case 'top':
        break;
    }
    this.mode = 'top';
    return this.out;
  }

  /**
   * A raw newline inside a string of a top-level value cannot be JSON: in JSON Lines it is a line
   * whose string was never closed. The value ends there (broken) and reading goes on with the next
   * line, so one bad line does not swallow the lines after it. Returns where reading resumes, or -1.
   */
  private brokenString(chunk: string, i: number, stop: number, from: number): number {
    if (this.mode !== 'value' && this.mode !== 'head') return -1;
    const nl = chunk.indexOf('\n', i);
    if (nl < 0 || nl >= stop) return -1;
    this.keep(chunk, from, nl);
    const text = this.take();
    this.out.push({ kind: 'value', text, line: this.startLine, broken: true });
    this.inString = false;
    this.escape = false;
    this.depth = 0;
    this.mode = 'top';
    return nl + 1;
  }

  private countLines(chunk: string, from: number, to: number): void {
    for (let k = chunk.indexOf('\n', from); k >= 0 && k < to; k = chunk.indexOf('\n', k + 1)) this.line++;
  }

  /** Inside a top-level object before its first value: `{"Records": [` or `{"Events": [` makes it a wrapper. */
  private headStep(chunk: string, from: number, i: number, c: number): number {
    if (c === QUOTE) {
      this.inString = true;
      return from;
    }
    if (c === OPEN_ARR || c === OPEN_OBJ || c === CLOSE_OBJ || c === COMMA) {
      const head = this.headText + chunk.slice(from, i);
      const m = /^\{\s*"(Records|Events)"\s*:\s*$/.exec(head);
      if (c === OPEN_ARR && m) {
        this.parts = [];
        this.bytes = 0;
        this.wrapper = m[1] === 'Records' ? 'Records' : 'Events';
        this.index = 0;
        this.mode = 'list';
        this.out.push({ kind: 'open', wrapper: this.wrapper, line: this.startLine });
        return i + 1;
      }
      // Not a wrapper: an ordinary value, kept whole.
      this.mode = 'value';
      return this.valueStep(chunk, from, i, c);
    }
    if (c === COLON) return from;
    return from;
  }

  /** One character inside a value or an item, outside strings. */
  private valueStep(chunk: string, from: number, i: number, c: number): number {
    if (this.scalar) {
      if (c === COMMA || c === CLOSE_ARR || isSpace(c)) {
        from = this.endPiece(chunk, from, i);
        if (c === CLOSE_ARR) {
          this.out.push({ kind: 'close', wrapper: this.wrapper, line: this.line });
          this.mode = this.wrapper === 'array' ? 'top' : 'tail';
          this.depth = 1;
        }
      }
      return from;
    }
    if (c === QUOTE) this.inString = true;
    else if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (++this.depth > this.maxSeen) this.maxSeen = this.depth;
      if (this.depth > this.limits.maxDepth && !this.dropped) {
        this.keep(chunk, from, i);
        this.drop();
        return i;
      }
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      if (--this.depth === 0) return this.endPiece(chunk, from, i + 1);
    }
    return from;
  }

  private begin(mode: Mode): void {
    this.mode = mode;
    this.parts = [];
    this.bytes = 0;
    this.dropped = false;
    this.maxSeen = 1;
    this.depth = 0;
    this.scalar = false;
    this.startLine = this.line;
  }

  /** Keep chunk[from, to) as part of the current piece, unless it is past its bounds. */
  private keep(chunk: string, from: number, to: number): void {
    if (to <= from) return;
    this.bytes += to - from;
    if (this.dropped) return;
    this.parts.push(chunk.slice(from, to));
    if (this.bytes > this.limits.maxBytes) this.drop();
  }

  /** Stop keeping the current piece's text beyond its head. */
  private drop(): void {
    const head = this.parts.join('').slice(0, this.limits.headBytes);
    this.parts = [head];
    this.dropped = true;
  }

  private take(): string {
    const s = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    return s;
  }

  private endPiece(chunk: string, from: number, to: number): number {
    this.keep(chunk, from, to);
    this.emit(false);
    if (this.mode === 'item') this.mode = 'list';
    else if (this.mode === 'value' || this.mode === 'head') this.mode = 'top';
    this.scalar = false;
    this.depth = 0;
    return to;
  }

  private emit(unterminated: boolean): void {
    const inList = this.mode === 'item';
    const where = inList ? { wrapper: this.wrapper, index: this.index } : {};
    const tooDeep = this.maxSeen > this.limits.maxDepth;
    if (this.dropped) {
      this.out.push({
        kind: 'oversize',
        ...where,
        line: this.startLine,
        head: this.take(),
        depth: this.maxSeen,
        bytes: this.bytes,
        why: tooDeep ? 'depth' : 'size',
      });
      return;
    }
    const text = this.take();
    if (inList)
      this.out.push({ kind: 'item', wrapper: this.wrapper, index: this.index, text, line: this.startLine, ...(unterminated ? { unterminated } : {}) });
    else this.out.push({ kind: 'value', text, line: this.startLine, ...(unterminated ? { unterminated } : {}) });
  }
}
