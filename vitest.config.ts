import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'test/bundle/**', 'test/trino/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // DuckDB uses both cores for each load; running test files one at a time keeps timings sane.
    fileParallelism: false,
  },
});
