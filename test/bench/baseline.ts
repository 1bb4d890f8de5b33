/**
 * The baseline, run as a child process by run.ts: DuckDB's own JSON reader loading every event file
 * of the export into a fresh on-disk database with ONE statement, into a table with exactly the
 * columns and types of keytrail's `events` record columns (built from src/store/schema.ts). This is
 * the fastest plain DuckDB can do with the same files; it does none of keytrail's per-file work
 * (sniffing, sha256, provenance, duplicates, remainder JSON). Usage: node baseline.js <export>/AWSLogs [--any-order] [--plain]
 * With --any-order, `SET preserve_insertion_order = false` first: over many small files DuckDB's
 * default (keep insertion order) costs it 3x the time and 3 GB of memory, so the many-small-files
 * baseline turns it off to stay the fastest plain DuckDB can do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fg from 'fast-glob';
import { RECORD, type StructField, quoteIdent, sqlType } from '../../src/store/schema.js';
import { EVENT_FILES_GLOB, errorText, fileBytes, peakRssMB, reply, startRssSampler } from './measure.js';

/** Larger than any file the generator writes (2000 records of at most 3 KB). */
export const MAXIMUM_OBJECT_SIZE = 64 * 1024 * 1024;

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * The record as the plain baseline reads it (issue 19): what a responder would write, DuckDB over
 * the files with explicit columns: the fixed fields as they are, the variable sub-trees as JSON, and
 * eventTime as text (no TIMESTAMP parsing).
 */
export const PLAIN_RECORD: StructField = Object.fromEntries(Object.entries(RECORD).map(([k, v]) => [k, v === 'TIMESTAMP' ? 'VARCHAR' : v])) as StructField;

export function baselineSql(files: string[], record: StructField = RECORD): string {
  const columns = Object.keys(record)
    .map((k) => `r.${quoteIdent(k)} AS ${quoteIdent(k)}`)
    .join(', ');
  return `CREATE TABLE events AS SELECT ${columns} FROM (
    SELECT unnest(Records, recursive := false) AS r
    FROM read_json([${files.map(literal).join(', ')}],
                   columns = {Records: ${literal(`${sqlType(record)}[]`)}},
                   maximum_object_size = ${MAXIMUM_OBJECT_SIZE}))`;
}

async function main(awsLogs: string, anyOrder: boolean, plain: boolean): Promise<void> {
  const files = (await fg(EVENT_FILES_GLOB, { cwd: awsLogs, absolute: true })).sort();
  if (files.length === 0) throw new Error(`no event files under ${awsLogs}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keytrail-bench-baseline-'));
  const dbPath = path.join(tmp, 'baseline.duckdb');
  const sampler = startRssSampler();
  try {
    const t0 = performance.now();
    const instance = await DuckDBInstance.create(dbPath, { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    const conn = await instance.connect();
    if (anyOrder) await conn.run('SET preserve_insertion_order = false');
    const t1 = performance.now();
    await conn.run(baselineSql(files, plain ? PLAIN_RECORD : RECORD));
    const t2 = performance.now();
    const row = (await conn.runAndReadAll(`SELECT count(*), current_setting('threads'), current_setting('memory_limit') FROM events`)).getRowsJS()[0] ?? [];
    const count = Number(row[0] ?? -1);
    const t3 = performance.now();
    conn.closeSync();
    instance.closeSync();
    const t4 = performance.now();
    const seconds = (t2 - t0 + (t4 - t3)) / 1000;
    const rss = sampler.stop();
    reply({
      ok: true,
      result: {
        events: count,
        seconds,
        eventsPerSecond: count / seconds,
        peakRssMB: peakRssMB(),
        sampledPeakRssMB: rss.peakMB,
        rssCurveMB: rss.curveMB,
        rssIntervalMs: rss.intervalMs,
        dbBytes: fileBytes(dbPath),
        detail: {
          files: files.length,
          preserveInsertionOrder: !anyOrder,
          record: plain ? 'plain (eventTime as text)' : "keytrail's typed record",
          statementSeconds: (t2 - t1) / 1000,
          threads: Number(row[1]),
          memoryLimit: String(row[2]),
        },
      },
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const flags = process.argv.slice(3);
// --plain: the strongest plain baseline (issue 19): the plain record, and insertion order not kept.
main(process.argv[2] ?? '', flags.includes('--any-order') || flags.includes('--plain'), flags.includes('--plain')).catch((err: unknown) =>
  reply({ ok: false, error: errorText(err) }),
);
