import { defineConfig } from 'vitest/config';

// The Athena target against a real Trino (issue 18): scripts/trino.mjs downloads (once, into ~/.m2),
// starts and stops it. Run by `npm run test:trino` (.ci/run), not by `npm test`, which needs no Java.
export default defineConfig({
  test: {
    include: ['test/trino/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/trino/server.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
