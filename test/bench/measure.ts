/**
 * What a benchmark child process measures about itself and how it reports back to run.ts over the
 * fork IPC channel. Peak RSS is the kernel's high-water mark (`maxRSS`), which catches spikes a
 * sampler can miss; the 250 ms samples show the shape (flat, growing) of memory over the run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ChildResult {
  events: number;
  /** Wall time of the whole load as the user waits for it (open, load, close). */
  seconds: number;
  eventsPerSecond: number;
  /** process.resourceUsage().maxRSS, in MB. */
  peakRssMB: number;
  /** Highest of the 250 ms process.memoryUsage().rss samples, in MB. */
  sampledPeakRssMB: number;
  /** RSS samples in MB, thinned to at most 240 points evenly spread over the run. */
  rssCurveMB: number[];
  rssIntervalMs: number;
  dbBytes: number;
  detail: Record<string, unknown>;
}

export type ChildMessage = { ok: true; result: ChildResult } | { ok: false; error: string };

const MB = 1024 * 1024;

export function startRssSampler(intervalMs = 250): { stop(): { peakMB: number; curveMB: number[]; intervalMs: number } } {
  const samples: number[] = [process.memoryUsage().rss];
  const timer = setInterval(() => samples.push(process.memoryUsage().rss), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(process.memoryUsage().rss);
      const step = Math.max(1, Math.ceil(samples.length / 240));
      const curve: number[] = [];
      for (let i = 0; i < samples.length; i += step) curve.push(Math.round(Math.max(...samples.slice(i, i + step)) / MB));
      return { peakMB: Math.round(Math.max(...samples) / MB), curveMB: curve, intervalMs: intervalMs * step };
    },
  };
}

/**
 * The machine's tmpfs memory (Shmem in /proc/meminfo) above where it stood at the start, at its
 * peak: batches staged in memory (src/ingest/staging-room.ts) are memory the run holds outside its
 * RSS. Another program's tmpfs use in the meantime counts too. Null where /proc/meminfo is not.
 */
export function startShmemSampler(intervalMs = 250): { stop(): number | null } {
  const shmem = () => {
    try {
      const m = /^Shmem:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'latin1'));
      return m ? Number(m[1]) * 1024 : null;
    } catch {
      return null;
    }
  };
  const base = shmem();
  let peak = 0;
  const timer = setInterval(() => {
    const now = shmem();
    if (base !== null && now !== null) peak = Math.max(peak, now - base);
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return base === null ? null : Math.round(peak / MB);
    },
  };
}

export function peakRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function fileBytes(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Send the outcome to run.ts and exit (DuckDB handles must not keep the child alive). */
export function reply(msg: ChildMessage): void {
  if (!process.send) {
    console.log(JSON.stringify(msg, null, 2));
    process.exit(msg.ok ? 0 : 1);
  }
  process.send(msg, () => process.exit(msg.ok ? 0 : 1));
}

export function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** The repository root: the nearest folder above this file with a package.json (works from src or dist-bench). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (package.json) above test/bench');
    dir = up;
  }
  return dir;
}

/** Event files of an export, relative to its AWSLogs folder (digests live under CloudTrail-Digest/ and are left out). */
export const EVENT_FILES_GLOB = '*/CloudTrail/*/*/*/*/*.json.gz';
