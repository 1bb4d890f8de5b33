/**
 * The probe in worker threads (probe-pool.ts) gives what the probe on the main thread gives: the
 * build's pool (workers load only from dist, which the test setup builds) against the sources'
 * probeFile, on the shapes a probe meets, and an error comes back as the same message and code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EXPANSION, type Probe, probeFile } from '../../src/ingest/bytes.js';
import { withFileId } from '../../src/ingest/record-lines.js';
import { ROOT, gz, record, records, tmpDir, write } from '../helpers.js';

interface Pool {
  probe(path: string, limits: typeof DEFAULT_EXPANSION): Promise<Probe>;
  stop(): Promise<void>;
}

let pool: Pool;
beforeAll(async () => {
  const built = (await import(path.join(ROOT, 'dist/ingest/probe-pool.js'))) as { ProbePool: { start(): Pool | undefined } };
  const started = built.ProbePool.start();
  if (!started) throw new Error('dist/ingest/probe-worker.js is missing: the test setup builds it');
  pool = started;
});
afterAll(async () => {
  await pool.stop();
});

const plain = (p: Probe) => ({
  ...p,
  head: [...p.head],
  tail: [...p.tail],
  content: p.content && [...p.content],
  inflatedHead: p.inflatedHead && [...p.inflatedHead],
});

describe('a probe in a worker thread is the probe on this thread', () => {
  it('small and large, gzip and plain, clean and not, deep, not JSON, empty', { timeout: 60_000 }, async () => {
    const dir = tmpDir();
    const big = records(3000, { requestParameters: { userName: 'x'.repeat(300) } });
    const files = [
      write(path.join(dir, 'small.json.gz'), gz(JSON.stringify({ Records: records(5) }))),
      write(path.join(dir, 'small.json'), JSON.stringify({ Records: [record({ responseElements: null })] })),
      write(path.join(dir, 'large.json.gz'), gz(JSON.stringify({ Records: big }))),
      write(path.join(dir, 'unclean.json.gz'), gz(JSON.stringify({ Records: [record({ extra: 1 })] }))),
      write(path.join(dir, 'deep.json'), `{"Records":[${'['.repeat(5000)}${']'.repeat(5000)}]}`),
      write(path.join(dir, 'notes.txt'), 'not json at all'),
      write(path.join(dir, 'empty.json'), ''),
      // Larger than the whole-read probe: streamed.
      write(path.join(dir, 'huge.json'), JSON.stringify({ Records: records(2000, { requestParameters: { p: 'y'.repeat(2500) } }) })),
    ];
    for (const f of files) {
      const here = await probeFile(f, Number.MAX_SAFE_INTEGER);
      const there = await pool.probe(f, { ...DEFAULT_EXPANSION, maxBytes: Number.MAX_SAFE_INTEGER, floorBytes: Number.MAX_SAFE_INTEGER });
      expect({ f: path.basename(f), ...plain(there) }).toEqual({ f: path.basename(f), ...plain(here) });
      expect(Buffer.isBuffer(there.head)).toBe(true);
    }
    // The clean ones carry their lines across (the lines' memory moved, not copied).
    const large = await pool.probe(files[2]!, DEFAULT_EXPANSION);
    expect(large.lines?.idAt).toHaveLength(3000);
    expect(large.lines?.text.equals((await probeFile(files[2]!)).lines!.text)).toBe(true);
    const unclean = await pool.probe(files[3]!, DEFAULT_EXPANSION);
    expect([unclean.masks, unclean.lines]).toEqual([undefined, undefined]);
  });

  it('a worker that stops fails the files it held, with why; the others go on, and with none left this thread probes', { timeout: 60_000 }, async () => {
    const built = (await import(path.join(ROOT, 'dist/ingest/probe-pool.js'))) as { ProbePool: { start(): Pool | undefined } };
    const own = built.ProbePool.start()!;
    const workers = (own as unknown as { pool: { workers: { terminate(): Promise<number> }[] } }).pool.workers;
    const n = workers.length;
    const dir = tmpDir();
    const files = Array.from({ length: 4 * n }, (_, i) => write(path.join(dir, `f${i}.json.gz`), gz(JSON.stringify({ Records: records(1000) }))));
    // Jobs go to the workers in turn: the first worker holds files 0, n, 2n...; it stops before answering.
    const asked = files.map((f) =>
      own.probe(f, DEFAULT_EXPANSION).then(
        (p) => p.sha256,
        (e: unknown) => `failed: ${(e as Error).message}`,
      ),
    );
    await workers[0]!.terminate();
    const answers = await Promise.all(asked);
    const failed = answers.filter((a) => a.startsWith('failed'));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(files.length);
    expect(failed[0]).toMatch(/^failed: the worker thread probing it stopped \(.*exit code/);
    // After it: every file probed, by the workers left and then, with none left, on this thread.
    for (const f of files) expect((await own.probe(f, DEFAULT_EXPANSION)).sha256).toHaveLength(64);
    for (const w of [...workers]) await w.terminate();
    for (const f of files) expect((await own.probe(f, DEFAULT_EXPANSION)).lines?.idAt).toHaveLength(1000);
    await own.stop();
  });

  it('lines memory given back here goes to a worker with its next job, which makes the next lines in it', async () => {
    const buffers = (await import(path.join(ROOT, 'dist/ingest/line-buffers.js'))) as typeof import('../../src/ingest/line-buffers.js');
    buffers.takeSpare(Number.MAX_SAFE_INTEGER);
    const dir = tmpDir();
    const files = [0, 1].map((i) => write(path.join(dir, `clean-${i}.json.gz`), gz(JSON.stringify({ Records: records(1000) }))));
    for (const f of files) {
      // Memory a staged file's lines were in: whatever it holds must not show in the next lines.
      const used = new ArrayBuffer(3 * 2 ** 20);
      new Uint8Array(used).fill(0x7b);
      buffers.giveBack(used);
      const there = await pool.probe(f, DEFAULT_EXPANSION);
      // Moved to the worker, not copied; the lines came back in it.
      expect(used.byteLength).toBe(0);
      expect(there.lines!.text.buffer.byteLength).toBe(3 * 2 ** 20);
      expect(there.lines!.text.equals((await probeFile(f)).lines!.text)).toBe(true);
    }
  });

  it.runIf(process.platform === 'linux')('once batches load meanwhile, the workers give way to DuckDB (their nice value raised), not before', async () => {
    const built = (await import(path.join(ROOT, 'dist/ingest/probe-pool.js'))) as {
      ProbePool: { start(): (Pool & { yieldToLoads(): void }) | undefined };
      YIELDING_NICE: number;
    };
    expect(built.YIELDING_NICE).toBeGreaterThan(0);
    // This process's threads at the nice value it runs at plus that (the 19th field of /proc/<pid>/task/<tid>/stat).
    const nice = Math.min(19, os.getPriority() + built.YIELDING_NICE);
    const yielding = () =>
      fs.readdirSync('/proc/self/task').filter((t) => {
        const stat = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) === nice;
      }).length;
    const own = built.ProbePool.start()!;
    const workers = (own as unknown as { pool: { size: number } }).pool.size;
    const dir = tmpDir();
    const files = Array.from({ length: 2 * workers }, (_, i) => write(path.join(dir, `f${i}.json.gz`), gz(JSON.stringify({ Records: records(20) }))));
    const before = yielding();
    for (const f of files) expect((await own.probe(f, DEFAULT_EXPANSION)).sha256).toHaveLength(64);
    expect(yielding()).toBe(before);
    own.yieldToLoads();
    // Each worker has a job after it (jobs go to the workers in turn).
    for (const f of files) expect((await own.probe(f, DEFAULT_EXPANSION)).sha256).toHaveLength(64);
    expect(yielding()).toBe(before + workers);
    await own.stop();
    expect(yielding()).toBe(before);
  });

  it('a file it cannot read: the same message and code', async () => {
    const missing = path.join(tmpDir(), 'gone.json.gz');
    const here = await probeFile(missing).catch((e: unknown) => e as NodeJS.ErrnoException);
    const there = await pool.probe(missing, DEFAULT_EXPANSION).catch((e: unknown) => e as NodeJS.ErrnoException);
    expect(there).toBeInstanceOf(Error);
    expect({ message: (there as Error).message, code: (there as NodeJS.ErrnoException).code }).toEqual({
      message: (here as Error).message,
      code: (here as NodeJS.ErrnoException).code,
    });
    expect((there as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

describe('the probe’s gunzip, whatever size the gzip trailer gives', () => {
  it('a text in one member and the same text in two (the trailer gives the last one’s size only) probe alike', async () => {
    const dir = tmpDir();
    const text = Buffer.from(JSON.stringify({ Records: records(400, { responseElements: null }) }));
    const cut = text.length - 100;
    const one = write(path.join(dir, 'one.json.gz'), gz(text));
    const two = write(path.join(dir, 'two.json.gz'), Buffer.concat([gz(text.subarray(0, cut)), gz(text.subarray(cut))]));
    const [a, b] = [await probeFile(one), await probeFile(two)];
    expect(b.tail.readUInt32LE(0)).toBe(100);
    expect(b.expanded).toBe(text.length);
    expect(b.lines?.idAt).toHaveLength(400);
    const same = ({ depth, expanded, masks, content, inflatedHead, lines }: Probe) => ({ depth, expanded, masks, content, inflatedHead, lines });
    expect(same(b)).toEqual(same(a));
    // Clean and compact: its records as lines (record-lines.ts), and no text kept beside them.
    expect(a.content).toBeUndefined();
    expect(a.lines?.idAt).toHaveLength(400);
    // With its file id written in (which the probe leaves room for).
    expect(
      withFileId(a.lines!, 1)
        .toString()
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.stringify((JSON.parse(l) as { r: unknown }).r)),
    ).toEqual((JSON.parse(text.toString()) as { Records: unknown[] }).Records.map((r) => JSON.stringify(r)));
  });
});
