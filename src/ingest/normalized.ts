/**
 * The hand-off from the record-by-record reader to DuckDB: one JSON line per record,
 * `{"f":file_id,"i":index,"p":partial,"l":"line 12","j":record}` or, for a record that could not be read,
 * `{"f":file_id,"i":index,"w":reason,"x":text}`. The record is its text as written (numbers and
 * keys exactly as in the evidence), so DuckDB types and checks it as it does an S3 file
 * (batch-loader.ts); only line breaks between tokens and escapes DuckDB refuses (lone surrogates) change.
 */
import fs from 'node:fs';
import type { RecordSink } from './interpret.js';

const FLUSH_BYTES = 4 << 20;

export class NormalizedWriter {
  private fd: number;
  private parts: string[] = [];
  private size = 0;
  lines = 0;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'w');
  }

  /** A sink that numbers a file's records from 1 in the order read; `repaired` counts records whose lone surrogates became U+FFFD. */
  sinkFor(fileId: number, onShape: (f: string) => void, onSkip: (r: string) => void): RecordSink & { count: number; repaired: number; firstRepaired: number } {
    const sink = {
      count: 0,
      repaired: 0,
      firstRepaired: 0,
      record: (rec: Record<string, unknown>, partial: boolean, where?: string, raw?: string) => {
        sink.count++;
        const loc = where ? `,"l":${JSON.stringify(where)}` : '';
        const text = raw === undefined ? JSON.stringify(rec) : raw.replace(/[\r\n]+/g, ' ');
        const fixed = wellFormedJson(text);
        if (fixed !== text && sink.repaired++ === 0) sink.firstRepaired = sink.count;
        this.write(`{"f":${fileId},"i":${sink.count}${partial ? ',"p":true' : ''}${loc},"j":${fixed}}\n`);
      },
      bad: (reason: string, raw: string) => {
        sink.count++;
        this.write(`{"f":${fileId},"i":${sink.count},"w":${JSON.stringify(reason)},"x":${JSON.stringify(raw)}}\n`);
      },
      shape: onShape,
      skipped: onSkip,
    };
    return sink;
  }

  private write(line: string): void {
    this.parts.push(line);
    this.size += line.length;
    this.lines++;
    if (this.size >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    fs.writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

/**
 * JSON text with every `\\uD800`-`\\uDFFF` escape that is not half of a surrogate pair (no
 * character at all; DuckDB refuses the whole file) written as `\\uFFFD`. A run of backslashes
 * before the `u` is an escape only when its length is odd.
 */
export function wellFormedJson(text: string): string {
  if (!/\\u[dD][89a-fA-F]/.test(text)) return text;
  return text.replace(/(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?/g, (m, slashes: string, first: string, low: string | undefined) => {
    if (slashes.length % 2 === 0) return m;
    const high = /^[dD][89abAB]/.test(first);
    if (high && low) return m;
    return `${slashes}ufffd${low ? wellFormedJson(low) : ''}`;
  });
}
