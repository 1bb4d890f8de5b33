/**
 * The hand-off from the record-by-record reader to DuckDB: one JSON line per record,
 * `{"f":file_id,"i":index,"p":partial,"l":"line 12","j":record}` or, for a record that could not be read,
 * `{"f":file_id,"i":index,"w":reason,"x":text}`. DuckDB then types and checks every record the
 * same way as on the S3 fast path (BatchLoader.stageNormalized).
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

  /** A sink that numbers a file's records from 1 in the order read. */
  sinkFor(fileId: number, onShape: (f: string) => void, onSkip: (r: string) => void): RecordSink & { count: number } {
    const sink = {
      count: 0,
      record: (rec: Record<string, unknown>, partial: boolean, where?: string) => {
        sink.count++;
        const loc = where ? `,"l":${JSON.stringify(where)}` : '';
        this.write(`{"f":${fileId},"i":${sink.count}${partial ? ',"p":true' : ''}${loc},"j":${JSON.stringify(rec)}}\n`);
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
