/**
 * DuckDB's memory limit for a batch (BatchLoader.prepare): what the batch needs, within the limit
 * the user gave, less what the probe workers hold meanwhile, so that the process, not DuckDB alone,
 * keeps to it (issue 19: with the workers' share taken off the configured limit only, the batch's
 * own rule gave DuckDB as much with the workers running as without, and a 5M-event ingest peaked
 * 1.15-1.28x above a 1M one).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchLoader } from '../../src/ingest/batch-loader.js';
import { CaseDb } from '../../src/store/db.js';
import { tmpDir } from '../helpers.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const open: CaseDb[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

async function limitAfter(configured: string, batchBytes: number, largeFiles: boolean, shareBytes?: number): Promise<number> {
  const db = await CaseDb.open(path.join(tmpDir(), 'case.duckdb'), { create: true, memoryLimit: configured });
  open.push(db);
  await new BatchLoader(db, configured).prepare(batchBytes, largeFiles, shareBytes);
  const [row] = await db.all(`SELECT current_setting('memory_limit') AS m`);
  const m = /^([\d.]+) (MiB|GiB)$/.exec(String(row?.m));
  if (!m) throw new Error(`memory_limit ${String(row?.m)}`);
  return Math.round(Number(m[1]) * (m[2] === 'GiB' ? 1024 : 1));
}

describe('the memory limit of a batch', () => {
  it('staged lines: half their JSON (512 MiB at least, the configured limit at most), less what the workers hold, down to half', async () => {
    expect(await limitAfter('1GiB', 1.5 * GiB, false)).toBe(768);
    expect(await limitAfter('1GiB', 1.5 * GiB, false, 150 * MiB)).toBe(618);
    expect(await limitAfter('1GiB', 0.2 * GiB, false)).toBe(512);
    expect(await limitAfter('1GiB', 0.2 * GiB, false, 150 * MiB)).toBe(362);
    expect(await limitAfter('1GiB', 1.5 * GiB, false, 900 * MiB)).toBe(384);
    expect(await limitAfter('2GiB', 1.2 * GiB, false, 150 * MiB)).toBe(464);
  });

  it('files DuckDB reads whole: the configured limit, less what the workers hold, down to half', async () => {
    expect(await limitAfter('1GiB', 1.5 * GiB, true)).toBe(1024);
    expect(await limitAfter('1GiB', 1.5 * GiB, true, 150 * MiB)).toBe(874);
    expect(await limitAfter('1GiB', 1.5 * GiB, true, 900 * MiB)).toBe(512);
  });
});
