/**
 * Where staging files (staging.ts) are written: in a RAM-backed folder (tmpfs, /dev/shm on Linux)
 * while the machine has memory to spare, else in the run's temp folder on disk.
 *
 * A staging file lives for one batch: written while the batch is examined, read once by DuckDB,
 * removed when the batch is loaded. On disk the kernel writes those pages out anyway once dirty
 * pages pass its background threshold (10% of available memory by default): a 5M-event ingest
 * wrote 8.3 GB to disk for its 6.4 GB of staged lines and 1.5 GB of case, and the case's own
 * writes waited behind them (the CPUs stood idle for ~10 s of 97). In tmpfs nothing is written
 * out, and writing costs the kernel half as much (1.44 GB in 1 MiB writes: 0.63-0.77 s of system
 * time, against 1.36-1.78 s on ext4).
 *
 * tmpfs pages are not reclaimed (no swap: they stay until removed), so memory is used only while it
 * is to spare: a new staging file goes there only when the folder has room for twice its size and
 * the machine's available memory (MemAvailable) stays above a floor after it, a quarter of the
 * machine's memory and at least 2 GiB; else it goes to disk. At most two batches' staging files
 * exist at once (one loading, the next examined): about 3 GiB at the default batch size. A write
 * the folder refuses (another program filled it) moves that file to disk, and staging goes on there.
 *
 * The memory folder is a run folder like the temp folder (run-tmp.ts): removed when the run ends,
 * and by the next run when this one dies before (kill -9, power loss: tmpfs empties at boot anyway).
 */
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from './errno.js';
import { makeRunTmp, removeStaleTmp } from './run-tmp.js';

/** Linux's RAM-backed folder, where it exists. */
const LINUX_MEMORY_TMP = '/dev/shm';
/** Available memory left after a staging file, at least: the larger of this and a quarter of the machine's. */
const MIN_FLOOR_BYTES = 2 * 2 ** 30;

/** What a staging file may take: the folder's free bytes, and the machine's available and total memory. */
export interface Room {
  free: number;
  available: number;
  total: number;
}

/** The RAM-backed folder staging may use by default: /dev/shm where it is a folder, else none. */
export function defaultMemoryTmp(): string | null {
  try {
    return fs.statSync(LINUX_MEMORY_TMP).isDirectory() ? LINUX_MEMORY_TMP : null;
  } catch {
    return null;
  }
}

export class StagingRoom {
  /** The run's folder in memory: undefined until a staging file first goes there, null when memory is not used (any more). */
  private memory: string | null | undefined;
  /** The memory folder made, to remove at the end even after staging left it. */
  private made: string | undefined;

  constructor(
    /** The run's temp folder on disk: always there to fall back on. */
    readonly disk: string,
    /** The RAM-backed folder the run's memory folder is made in; null: staging stays on disk. */
    private readonly memoryParent: string | null,
    private readonly measure: (dir: string) => Room | undefined = measureRoom,
  ) {
    if (memoryParent === null) this.memory = null;
    else removeStaleTmp(memoryParent);
  }

  /** The folder for a new staging file of about `bytes`. */
  dirFor(bytes: number): string {
    const dir = this.memoryDir();
    if (dir === null) return this.disk;
    const room = this.measure(dir);
    return room && room.free >= 2 * bytes && room.available - bytes >= Math.max(MIN_FLOOR_BYTES, room.total / 4) ? dir : this.disk;
  }

  /** Whether a write to `file` that failed with `err` should move it to disk: the memory folder is full. */
  full(file: string, err: unknown): boolean {
    const code = errnoCode(err);
    if (this.made === undefined || path.dirname(file) !== this.made || (code !== 'ENOSPC' && code !== 'EDQUOT')) return false;
    this.memory = null;
    return true;
  }

  /** The memory folder removed (the end of the run). */
  remove(): void {
    if (this.made !== undefined) fs.rmSync(this.made, { recursive: true, force: true });
  }

  private memoryDir(): string | null {
    if (this.memory !== undefined) return this.memory;
    try {
      this.made = makeRunTmp(this.memoryParent!);
      this.memory = this.made;
    } catch {
      // Not writable here (or gone): disk, as before.
      this.memory = null;
    }
    return this.memory;
  }
}

/** The room in `dir`'s file system and the machine's memory; undefined where either cannot be told (no /proc/meminfo: not Linux). */
export function measureRoom(dir: string): Room | undefined {
  try {
    const fsStat = fs.statfsSync(dir);
    const info = fs.readFileSync('/proc/meminfo', 'latin1');
    const kb = (name: string) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(info);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    const available = kb('MemAvailable');
    const total = kb('MemTotal');
    if (available === undefined || total === undefined) return undefined;
    return { free: fsStat.bavail * fsStat.bsize, available, total };
  } catch {
    return undefined;
  }
}
