/**
 * verify's scan in worker threads (integrity/scan.ts ScanPool on worker-pool.ts) from the build (the
 * test setup builds it): what a worker scans is what this thread scans, and a worker that stops
 * under its files fails only those, each unreadable with why, never a scan waiting for ever; with
 * no worker left, this thread scans.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Scanned, scanFile } from '../../src/integrity/scan.js';
import { ROOT, records, s3File, tmpDir, write } from '../helpers.js';

interface Pool {
  scan(display: string, file: string): Promise<Scanned>;
  stop(): Promise<void>;
}

async function startPool(): Promise<{ pool: Pool; workers: { terminate(): Promise<number> }[] }> {
  const built = (await import(path.join(ROOT, 'dist/integrity/scan.js'))) as { ScanPool: { start(): Pool | undefined } };
  const pool = built.ScanPool.start();
  if (!pool) throw new Error('dist/integrity/scan-worker.js is missing: the test setup builds it');
  return { pool, workers: (pool as unknown as { pool: { workers: { terminate(): Promise<number> }[] } }).pool.workers };
}

describe('the scan pool', () => {
  it('scans as this thread scans; a missing file is unreadable with the same why', async () => {
    const { pool } = await startPool();
    const dir = tmpDir();
    const files = [
      write(
        path.join(dir, 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_a.json.gz'),
        s3File(records(20)),
      ),
      write(path.join(dir, 'notes.txt'), 'not json'),
      path.join(dir, 'gone.json.gz'),
    ];
    for (const f of files) expect(await pool.scan(f, f)).toEqual(await scanFile(f, f));
    expect((await pool.scan(files[2]!, files[2]!)).kind).toBe('unreadable');
    await pool.stop();
  });

  it('a worker that stops fails the files it held, with why; the others are scanned, and with none left this thread scans', { timeout: 60_000 }, async () => {
    const { pool, workers } = await startPool();
    const n = workers.length;
    const dir = tmpDir();
    const files = Array.from({ length: 4 * n }, (_, i) =>
      write(
        path.join(dir, `AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_${i}.json.gz`),
        s3File(records(500)),
      ),
    );
    // Jobs go to the workers in turn: the first worker holds files 0, n, 2n...; it stops before answering.
    const asked = files.map((f) => pool.scan(f, f));
    await workers[0]!.terminate();
    const answers = await Promise.all(asked);
    const failed = answers.filter((a) => a.kind === 'unreadable');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(files.length);
    expect(failed[0]!.problem).toMatch(/^the worker thread scanning it stopped \(.*exit code/);
    const expected = await Promise.all(files.map((f) => scanFile(f, f)));
    expect(expected.every((s) => s.kind !== 'unreadable')).toBe(true);
    // After it: every file scanned, by the workers left and then, with none left, on this thread.
    expect(await Promise.all(files.map((f) => pool.scan(f, f)))).toEqual(expected);
    for (const w of [...workers]) await w.terminate();
    expect(await Promise.all(files.map((f) => pool.scan(f, f)))).toEqual(expected);
    await pool.stop();
  });
});
