/**
 * CSV through @json2csv/node, streamed chunk by chunk; objects and structs as JSON text. Customers open
 * these in spreadsheets: a text cell that would be a formula gets OWASP's prefix (escape.ts csvCell).
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Transform as CsvTransform } from '@json2csv/node';
import { csvCell, jsonText } from '../escape.js';
import { writeOutputStream } from '../output-path.js';
import type { Row } from '../store/db.js';

/** Write rows as CSV to `out` (left open); returns the row count. A header is written even for no rows. */
const quoted = (s: string) => `"${s.replace(/"/g, '""')}"`;

export async function writeCsv(rows: AsyncIterable<Row[]>, columns: string[], out: Writable): Promise<number> {
  const csv = new CsvTransform(
    // json2csv hands null to the object formatter too (typeof null is 'object'): NULL is an empty cell.
    { fields: columns, eol: '\n', formatters: { object: (v: unknown) => (v === null ? '' : quoted(jsonText(v))), string: (v: string) => quoted(csvCell(v)) } },
    {},
    { objectMode: true },
  );
  csv.pipe(out, { end: false });
  let n = 0;
  for await (const chunk of rows) {
    for (const r of chunk) {
      if (!csv.write(r)) await once(csv, 'drain');
      n++;
    }
  }
  csv.end();
  await once(csv, 'end');
  // json2csv writes the header (also for no rows) and no newline after the last line.
  out.write('\n');
  return n;
}

export function writeRowsToFile(rows: AsyncIterable<Row[]>, columns: string[], out: string): Promise<number> {
  return writeOutputStream(out, (file) => writeCsv(rows, columns, file));
}
