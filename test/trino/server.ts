// Global setup of `npm run test:trino`: a real Trino (scripts/trino.mjs) for the run, on 127.0.0.1.
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
  return () => stop();
}
