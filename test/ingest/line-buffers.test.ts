/**
 * Lines' memory used again (src/ingest/line-buffers.ts): a clean file's lines are made in memory a
 * file whose lines are already written gave back. These tests hold the rules of that round: what
 * is kept and what is left to the collector, and that the stager gives memory back only once the
 * lines in it are written, so that the next file's lines, made there, cannot change a staged byte.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_NATIVE_DEPTH } from '../../src/ingest/bytes.js';
import { giveBack, linesBuffer, takeSpare } from '../../src/ingest/line-buffers.js';
import { scanText } from '../../src/ingest/records-scan-wasm.js';
import { Stager } from '../../src/ingest/staging.js';
import { StagingRoom } from '../../src/ingest/staging-room.js';
import { records, tmpDir } from '../helpers.js';

const KiB = 2 ** 10;
const MiB = 2 ** 20;

// Each test starts with no spare memory on this thread.
beforeEach(() => {
  takeSpare(Number.MAX_SAFE_INTEGER);
});

describe('memory for lines', () => {
  it('is made in whole MiB, and memory given back is used again for lines it holds', () => {
    const a = linesBuffer(300 * KiB);
    expect(a.length).toBe(300 * KiB);
    expect(a.buffer.byteLength).toBe(MiB);
    expect(linesBuffer(MiB + 1).buffer.byteLength).toBe(2 * MiB);
    giveBack(a.buffer as ArrayBuffer);
    // Too large for it: new memory, and it stays spare.
    const big = linesBuffer(MiB + 1);
    expect(big.buffer).not.toBe(a.buffer);
    const b = linesBuffer(MiB);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(MiB);
    // Used once: not spare any more.
    expect(linesBuffer(300 * KiB).buffer).not.toBe(a.buffer);
  });

  it('small lines get memory of their own size, never a spare (a MiB for each small file cost 4x the time)', () => {
    const spare = new ArrayBuffer(MiB);
    giveBack(spare);
    const small = linesBuffer(5000);
    expect(small.buffer).not.toBe(spare);
    expect(small.buffer.byteLength).toBeLessThan(MiB);
    expect(takeSpare(10)).toEqual([spare]);
  });

  it('keeps no large memory, none twice, none moved away, and no more than eight', () => {
    giveBack(new ArrayBuffer(64 * MiB));
    giveBack(new ArrayBuffer(1024));
    const moved = new ArrayBuffer(MiB);
    structuredClone(moved, { transfer: [moved] });
    expect(moved.byteLength).toBe(0);
    giveBack(moved);
    expect(takeSpare(10)).toEqual([]);
    const one = new ArrayBuffer(MiB);
    giveBack(one);
    giveBack(one);
    expect(takeSpare(10)).toEqual([one]);
    for (let i = 0; i < 12; i++) giveBack(new ArrayBuffer(MiB));
    expect(takeSpare(3)).toHaveLength(3);
    expect(takeSpare(100)).toHaveLength(5);
  });
});

describe('the stager gives lines memory back', () => {
  it('once the lines are written, and lines made there afterwards leave the staged bytes as they were', () => {
    const room = new StagingRoom(tmpDir(), null);
    const stager = new Stager(room, 1);
    const text = Buffer.from(JSON.stringify({ Records: records(1000) }));
    expect(text.length).toBeGreaterThan(300 * KiB);
    const lines = scanText(text, MAX_NATIVE_DEPTH, true).lines;
    if (!lines) throw new Error('a clean text of 1,000 records makes lines');
    const memory = lines.text.buffer;
    expect(memory.byteLength).toBe(MiB);
    stager.addLines({ fileId: 7, path: '/evidence/a.json', gzip: false, bytes: text.length }, lines);
    const staged = Buffer.from(lines.text);
    // Not written yet (a run is written at 1 MiB): the memory is not spare.
    expect(linesBuffer(300 * KiB).buffer).not.toBe(memory);
    stager.close();
    const again = linesBuffer(lines.text.length);
    expect(again.buffer).toBe(memory);
    again.fill(0x78);
    const [file] = stager.lines;
    expect(fs.readFileSync(file!)).toEqual(staged);
    expect(path.dirname(file!)).toBe(room.disk);
    const first = JSON.parse(staged.toString('utf8').split('\n')[0]!) as { f: number };
    expect(first.f).toBe(7);
    stager.remove();
  });

  it('not the memory of a text staged whole (a probe reads it, and it is not lines memory)', () => {
    const room = new StagingRoom(tmpDir(), null);
    const stager = new Stager(room, 1);
    const text = Buffer.from(new ArrayBuffer(2 * MiB), 0, 100).fill(0x20);
    text.write(JSON.stringify({ Records: records(1) }));
    stager.add({ fileId: 1, path: '/evidence/b.json', gzip: false, bytes: text.length }, text);
    stager.close();
    expect(takeSpare(10)).toEqual([]);
    stager.remove();
  });
});
