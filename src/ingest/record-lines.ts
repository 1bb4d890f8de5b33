/**
 * A clean S3 file (records-scan.ts) as JSON Lines, one record a line, for DuckDB's newline-delimited
 * reader: `{"f":<file id>,"i":<record index>,"m":<null_field_mask>,"r":<the record's bytes>}`. Over a
 * 1M-event export DuckDB reads these into the typed record in 11.3 s where it took 17.3 s from the
 * gzip files as `{"Records":[...]}` (no gunzip a second time, no list of a file's records to build
 * and unnest): the probe has already decompressed and scanned every byte.
 *
 * Each record's bytes are copied as they are. The lines are made only when the file around the
 * records is exactly `{"Records":[` record `,` record ... `]}` with whitespace anywhere JSON allows
 * it, and no record holds a line break: the scan counts brackets but does not check them, and what
 * DuckDB reads here is the records alone, so the rest of the file must be checked here or a broken
 * file would load as if it were whole. A file that fails either check is read by DuckDB from its own
 * file, as before.
 *
 * records-scan-wasm.ts makes the same lines in WebAssembly (native/records-scan `lines`); this is
 * the reference, and the tests compare the two.
 *
 * The probe runs before the file has an id: each line is written with room for one (ID_WIDTH
 * spaces, which JSON allows before a value) and the id is written in (withFileId) once known.
 */
import { isSpace } from './records-scan.js';

/** Room for the file id, right-aligned: enough for any INTEGER id. */
const ID_WIDTH = 10;
const OPEN = Buffer.from(`{"f":${' '.repeat(ID_WIDTH)},"i":`);
/** Bytes a line adds to its record at most: OPEN, the index and mask (11 digits each), `,"m":`, `,"r":`, `}\n`. */
export const LINE_EXTRA = OPEN.length + 11 + 5 + 11 + 5 + 2;

export interface RecordLines {
  /** The lines, in memory of their own (it crosses threads without a copy). */
  text: Buffer;
  /** Where each line's file id goes (ID_WIDTH bytes). */
  idAt: Int32Array;
  /** The longest line, for DuckDB's maximum_object_size. */
  longest: number;
}

/**
 * Lines add LINE_EXTRA bytes a record: a text of records smaller on average than that (no CloudTrail
 * record is) would come out more than twice its size, past a small text's allowance, and is read
 * from its own file. Lines stay within twice the text and 64 KiB.
 */
export const LINES_ALLOWANCE = 1 << 16;
export const worthLines = (bytes: number, records: number) => records * LINE_EXTRA <= Math.max(bytes, LINES_ALLOWANCE);

/** The index of the first byte at or after `i` that is not whitespace. */
function skipSpace(b: Buffer, i: number): number {
  while (isSpace(b[i])) i++;
  return i;
}

const RECORDS_OPEN = Buffer.from('"Records"');

/**
 * The lines of a clean text, from the scan's masks and ends; undefined when the text around the
 * records is not the plain `{"Records":[...]}` (see above) or a record holds a line break.
 */
export function recordLines(b: Buffer, masks: readonly number[], ends: readonly number[]): RecordLines | undefined {
  if (!worthLines(b.length, ends.length)) return undefined;
  let i = skipSpace(b, 0);
  if (b[i] !== 0x7b) return undefined;
  i = skipSpace(b, i + 1);
  if (b.compare(RECORDS_OPEN, 0, RECORDS_OPEN.length, i, i + RECORDS_OPEN.length) !== 0) return undefined;
  i = skipSpace(b, i + RECORDS_OPEN.length);
  if (b[i] !== 0x3a) return undefined;
  i = skipSpace(b, i + 1);
  if (b[i] !== 0x5b) return undefined;
  i = skipSpace(b, i + 1);
  // The records are at most the text; each line adds at most LINE_EXTRA.
  const out = Buffer.allocUnsafeSlow(b.length + ends.length * LINE_EXTRA);
  const idAt = new Int32Array(ends.length);
  let o = 0;
  let longest = 0;
  // The next line break and carriage return at or after the current record, found once each.
  let lf = -2;
  let cr = -2;
  for (let k = 0; k < ends.length; k++) {
    if (k > 0) {
      // Between two records: a comma, whitespace around it.
      if (b[i] !== 0x2c) return undefined;
      i = skipSpace(b, i + 1);
    }
    const start = i;
    const end = ends[k]!;
    if (b[start] !== 0x7b || b[end] !== 0x7d || end < start) return undefined;
    if (lf !== -1 && lf < start) lf = b.indexOf(0x0a, start);
    if (cr !== -1 && cr < start) cr = b.indexOf(0x0d, start);
    if ((lf !== -1 && lf < end) || (cr !== -1 && cr < end)) return undefined;
    const from = o;
    o += OPEN.copy(out, o);
    idAt[k] = from + 5;
    o += out.write(`${k + 1},"m":${masks[k]!},"r":`, o, 'latin1');
    o += b.copy(out, o, start, end + 1);
    out[o++] = 0x7d;
    out[o++] = 0x0a;
    if (o - from > longest) longest = o - from;
    i = skipSpace(b, end + 1);
  }
  if (b[i] !== 0x5d) return undefined;
  i = skipSpace(b, i + 1);
  if (b[i] !== 0x7d) return undefined;
  if (skipSpace(b, i + 1) !== b.length) return undefined;
  return { text: out.subarray(0, o), idAt, longest };
}

/** The lines with their file's id written in. */
export function withFileId(lines: RecordLines, fileId: number): Buffer {
  const id = String(fileId);
  if (!Number.isInteger(fileId) || fileId < 0 || id.length > ID_WIDTH) throw new Error(`record-lines: file id ${fileId} does not fit`);
  // The whole room, spaces and digits: an id written before is overwritten.
  const room = Buffer.from(id.padStart(ID_WIDTH), 'latin1');
  for (const at of lines.idAt) room.copy(lines.text, at);
  return lines.text;
}
