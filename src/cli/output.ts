/**
 * Row output in the formats every data command shares. Values from the logs are the attacker's: the
 * table shows each cell printable (a terminal sequence or newline escaped), JSON escapes what
 * JSON.stringify leaves raw, CSV neutralises formulas (export/rows.ts). Rows arrive in chunks (from
 * CaseDb.stream) so that a large result never has to fit in memory, except for `table`, which must
 * measure its columns and is meant for a terminal. To add a format: one entry in WRITERS.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { excerpt, jsonText } from '../escape.js';
import { writeCsv } from '../export/rows.js';
import { writeOutputFile, writeOutputStream } from '../output-path.js';
import type { Row } from '../store/db.js';

export const ROW_FORMATS = ['table', 'csv', 'json', 'jsonl'] as const;
export type RowFormat = (typeof ROW_FORMATS)[number];

type Rows = AsyncIterable<Row[]>;
type Writer = (rows: Rows, columns: string[], out: Writable) => Promise<number>;

async function write(out: Writable, s: string): Promise<void> {
  if (!out.write(s)) await once(out, 'drain');
}

const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? jsonText(v) : String(v));

const WRITERS: Record<RowFormat, Writer> = {
  async jsonl(rows, _columns, out) {
    let n = 0;
    for await (const chunk of rows) {
      await write(out, chunk.map((r) => jsonText(r)).join('\n') + (chunk.length ? '\n' : ''));
      n += chunk.length;
    }
    return n;
  },
  async json(rows, _columns, out) {
    let n = 0;
    await write(out, '[');
    for await (const chunk of rows) {
      for (const r of chunk) await write(out, `${n++ === 0 ? '\n' : ',\n'}  ${jsonText(r)}`);
    }
    await write(out, n ? '\n]\n' : ']\n');
    return n;
  },
  csv: writeCsv,
  async table(rows, columns, out) {
    const all: Row[] = [];
    for await (const chunk of rows) all.push(...chunk);
    const MAX = 60;
    const text = all.map((r) => columns.map((c) => excerpt(cell(r[c]), MAX)));
    const widths = columns.map((c, i) => Math.max(c.length, ...text.map((t) => t[i]!.length)));
    const line = (cells: string[]) =>
      `${cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`;
    await write(out, line(columns));
    await write(out, line(widths.map((w) => '-'.repeat(w))));
    for (const t of text) await write(out, line(t));
    await write(out, `(${all.length} row${all.length === 1 ? '' : 's'})\n`);
    return all.length;
  },
};

/** Write rows to `-o FILE` or stdout; returns the row count. A file that cannot be written is a usage error naming it. */
export async function writeRows(rows: Rows, columns: string[], format: RowFormat, outFile?: string): Promise<number> {
  if (!outFile) return WRITERS[format](rows, columns, process.stdout);
  return writeOutputStream(outFile, (out) => WRITERS[format](rows, columns, out), '-o');
}

/** A whole text (a report, a graph) to `-o FILE` or stdout. */
export function writeText(text: string, outFile?: string): void {
  if (outFile) writeOutputFile(outFile, text, '-o');
  else process.stdout.write(text);
}

/** An in-memory row list as the chunked stream writers take. */
export async function* chunks(rows: Row[]): AsyncGenerator<Row[]> {
  yield rows;
}
