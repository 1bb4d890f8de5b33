// Global setup of `npm run test:trino`: a real Trino (scripts/trino.mjs) for the run, on 127.0.0.1.
import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error: a plain ES module script without types
import { start, status, stop } from '../../scripts/trino.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    trinoUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const url = (await start()) as string;
  project.provide('trinoUrl', url);
  process.stderr.write(`trino: ${url}, started in ${(status() as { seconds: number }).seconds.toFixed(1)} s\n`);
  return () => {
    // The server's peak resident memory, for the note the issue asks of it (Linux: VmHWM of its process).
    const { dataDir } = status() as { dataDir: string };
    try {
      const pid = fs.readFileSync(path.join(dataDir, 'var', 'run', 'launcher.pid'), 'utf8').trim();
      const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (hwm) process.stderr.write(`trino: peak resident memory ${Math.round(Number(hwm) / 1024)} MB\n`);
    } catch {
      // Not Linux, or the server is gone: nothing to report.
    }
    stop();
  };
}
