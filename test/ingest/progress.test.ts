/**
 * What ingest tells its progress callback: files as they are read, then each batch as DuckDB loads
 * it (its number, files and step), and the events once it is committed, so that a long load never
 * looks like nothing is happening.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type IngestProgress, ingest } from '../../src/index.js';
import { records, s3File, tmpDir, write } from '../helpers.js';

describe('ingest progress', () => {
  it('says which batch is loading while it loads, and the events of each batch as it lands', async () => {
    const d = tmpDir('kt-progress-');
    const FILES = 12;
    const PER_FILE = 200;
    const pad = 'x'.repeat(300);
    for (let f = 0; f < FILES; f++)
      write(path.join(d, 'ev', `f${String(f).padStart(2, '0')}.json.gz`), s3File(records(PER_FILE, { requestParameters: { pad } })));
    const seen: IngestProgress[] = [];
    const s = await ingest([path.join(d, 'ev')], { db: path.join(d, 'case.duckdb'), batchBytes: 300 * 1024, onProgress: (p) => seen.push(structuredClone(p)) });
    expect(s.events).toBe(FILES * PER_FILE);

    const batches = [...new Set(seen.flatMap((p) => (p.loading ? [p.loading.batch] : [])))];
    expect(batches.length).toBeGreaterThan(2);
    expect(batches).toEqual(batches.map((_, i) => i + 1));

    // Every batch is announced (with its files) before its events land, and lands in order.
    let committed = 0;
    let announced = 0;
    for (const p of seen) {
      if (p.loading) {
        expect(p.loading.files).toBeGreaterThan(0);
        expect(p.loading.batch).toBe(p.batchesLoaded + 1);
        expect(p.loading.step).toBeTruthy();
        announced = Math.max(announced, p.loading.batch);
      }
      if (p.batchesLoaded > committed) {
        expect(p.batchesLoaded).toBe(committed + 1);
        expect(announced).toBeGreaterThanOrEqual(p.batchesLoaded);
        committed = p.batchesLoaded;
      }
      expect(p.events).toBe(Math.min(p.filesLoaded * PER_FILE, FILES * PER_FILE));
    }
    // Events come in as batches land, not all at the end.
    expect(seen.some((p) => p.events > 0 && p.events < FILES * PER_FILE)).toBe(true);
    expect(seen.some((p) => p.loading !== null && p.events === 0)).toBe(true);

    const last = seen.at(-1)!;
    expect(last).toMatchObject({
      filesDone: FILES,
      filesTotal: FILES,
      filesLoaded: FILES,
      events: FILES * PER_FILE,
      batchesLoaded: batches.length,
      loading: null,
    });
  });
});
