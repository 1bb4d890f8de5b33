/**
 * Staging files go to a RAM-backed folder while the machine has memory to spare, else to the run's
 * temp folder on disk (src/ingest/staging-room.ts). Where they go may change how fast a batch
 * loads, never what it holds: these tests decide the place from a stated room, load the same
 * evidence staged in memory and on disk, and fill the memory folder in the middle of a write.
 * A plain test folder stands for /dev/shm: what matters is where files go and that they are gone after.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ingest } from '../../src/index.js';
import { type Room, StagingRoom, measureRoom } from '../../src/ingest/staging-room.js';
import { records, s3File, tmpDir, write } from '../helpers.js';
import { eventIdsByFile } from './case-events.js';

afterEach(() => vi.restoreAllMocks());

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const roomy: Room = { free: 8 * GiB, available: 16 * GiB, total: 16 * GiB };
const inside = (dir: string, parent: string) => path.dirname(dir) === parent && /^keytrail-[A-Za-z0-9]{6}$/.test(path.basename(dir));
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('where a staging file goes', () => {
  it('memory while its folder has room for twice the file and the machine keeps a quarter of its memory (2 GiB at least) after it', () => {
    const disk = tmpDir();
    const mem = tmpDir();
    const at = (room: Room | undefined) => new StagingRoom(disk, mem, () => room).dirFor(8 * MiB);
    expect(inside(at(roomy), mem)).toBe(true);
    // A 16 GiB machine keeps 4 GiB.
    expect(inside(at({ ...roomy, available: 4 * GiB + 8 * MiB }), mem)).toBe(true);
    expect(at({ ...roomy, available: 4 * GiB + 8 * MiB - 1 })).toBe(disk);
    // A 4 GiB machine keeps 2 GiB, not 1.
    expect(at({ free: GiB, available: 2 * GiB + 7 * MiB, total: 4 * GiB })).toBe(disk);
    expect(inside(at({ free: GiB, available: 2 * GiB + 8 * MiB, total: 4 * GiB }), mem)).toBe(true);
    // The folder itself nearly full, or the room not known (no /proc/meminfo): disk.
    expect(at({ ...roomy, free: 16 * MiB - 1 })).toBe(disk);
    expect(at(undefined)).toBe(disk);
  });

  it('the memory folder is made once, as a run folder with its owner file, and removed at the end', () => {
    const mem = tmpDir();
    const room = new StagingRoom(tmpDir(), mem, () => roomy);
    const dir = room.dirFor(MiB);
    expect(room.dirFor(MiB)).toBe(dir);
    expect(fs.readdirSync(mem)).toEqual([path.basename(dir)]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, '.keytrail-owner.json'), 'utf8'))).toMatchObject({ keytrail: 1, pid: process.pid });
    room.remove();
    expect(fs.readdirSync(mem)).toEqual([]);
  });

  it('no memory folder asked for, or one that cannot be made: disk, and nothing made', () => {
    const disk = tmpDir();
    expect(new StagingRoom(disk, null, () => roomy).dirFor(MiB)).toBe(disk);
    const missing = path.join(tmpDir(), 'no-such-folder');
    expect(new StagingRoom(disk, missing, () => roomy).dirFor(MiB)).toBe(disk);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('a full memory folder (ENOSPC, EDQUOT) sends the rest of the run to disk; other errors, and files on disk, are not its to judge', () => {
    const disk = tmpDir();
    const room = new StagingRoom(disk, tmpDir(), () => roomy);
    const dir = room.dirFor(MiB);
    expect(room.full(path.join(disk, 'staged-1-0.json'), enospc())).toBe(false);
    expect(room.full(path.join(dir, 'staged-1-0.json'), Object.assign(new Error('EIO'), { code: 'EIO' }))).toBe(false);
    expect(room.dirFor(MiB)).toBe(dir);
    expect(room.full(path.join(dir, 'staged-1-0.json'), Object.assign(new Error('EDQUOT'), { code: 'EDQUOT' }))).toBe(true);
    expect(room.dirFor(MiB)).toBe(disk);
  });

  it("a dead run's memory folder is removed when the next run starts; a live one's is kept", () => {
    const mem = tmpDir();
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const deadPid = spawnSync('true').pid!;
    const dead = path.join(mem, 'keytrail-dead02');
    fs.mkdirSync(dead);
    write(path.join(dead, '.keytrail-owner.json'), JSON.stringify({ keytrail: 1, pid: deadPid, boot, start: '12345' }));
    write(path.join(dead, 'staged-1-0.json'), '{}\n');
    const live = new StagingRoom(tmpDir(), mem, () => roomy).dirFor(MiB);
    new StagingRoom(tmpDir(), mem, () => roomy);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
  });

  it('reads the room of a real folder and of this machine', () => {
    const room = measureRoom(tmpDir());
    expect(room).toBeDefined();
    expect(room!.free).toBeGreaterThan(0);
    expect(room!.available).toBeGreaterThan(0);
    expect(room!.total).toBeGreaterThanOrEqual(room!.available);
  });
});

describe('a batch staged in memory loads as it does from disk', () => {
  // Three files of 1,500 records, each's lines past the 1 MiB a staging write gathers: a write each.
  const evidence = () => {
    const dir = tmpDir();
    const files = [records(1500), records(1500), records(1500)];
    for (const [i, recs] of files.entries()) write(`${dir}/f${i}.json.gz`, s3File(recs));
    return { dir, expected: new Map(files.map((recs, i) => [`f${i}.json.gz`, recs.map((r) => String(r.eventID))])) };
  };

  it('staged in the memory folder: the same case, the folder removed at the end', async () => {
    const { dir, expected } = evidence();
    const mem = tmpDir();
    const places = vi.spyOn(StagingRoom.prototype, 'dirFor');
    const db = path.join(tmpDir(), 'case.duckdb');
    const summary = await ingest([dir], { db, memoryTmpDir: mem });
    expect(summary.events).toBe(4500);
    expect(places.mock.results.length).toBeGreaterThan(0);
    for (const r of places.mock.results) expect(inside(String(r.value), mem)).toBe(true);
    expect(await eventIdsByFile(db)).toEqual(expected);
    expect(fs.readdirSync(mem)).toEqual([]);

    places.mockClear();
    const onDisk = path.join(tmpDir(), 'case.duckdb');
    await ingest([dir], { db: onDisk, memoryTmpDir: null });
    for (const r of places.mock.results) expect(inside(String(r.value), mem)).toBe(false);
    expect(await eventIdsByFile(onDisk)).toEqual(expected);
  });

  it('a memory folder that fills in the middle of a write: the file moves to disk with what it held, and the batch loads whole', async () => {
    const { dir, expected } = evidence();
    const mem = tmpDir();
    const scratch = tmpDir();
    const real = fs.writevSync;
    let writes = 0;
    // The first write lands in memory, the second finds the folder full.
    vi.spyOn(fs, 'writevSync').mockImplementation((fd, buffers, position) => {
      if (++writes === 2) throw enospc();
      return real(fd, buffers, position);
    });
    const copies = vi.spyOn(fs, 'copyFileSync');
    const db = path.join(tmpDir(), 'case.duckdb');
    const summary = await ingest([dir], { db, memoryTmpDir: mem, tmpDir: scratch });
    expect(summary.events).toBe(4500);
    expect(summary.problems).toEqual([]);
    expect(await eventIdsByFile(db)).toEqual(expected);
    // The staging file was copied from the memory folder to the run's folder on disk.
    expect(copies).toHaveBeenCalledTimes(1);
    const [from, to] = copies.mock.calls[0]!.map(String);
    expect(inside(path.dirname(from!), mem)).toBe(true);
    expect(inside(path.dirname(to!), scratch)).toBe(true);
    expect(path.basename(to!)).toBe(path.basename(from!));
    // Nothing is left in either folder.
    expect(fs.readdirSync(mem)).toEqual([]);
    expect(fs.readdirSync(scratch)).toEqual([]);
  });
});
