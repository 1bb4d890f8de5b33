import { defineConfig } from 'vitest/config';

// The offline install bundles (issue 16): builds every platform's archive (about a minute), so run
// apart from `npm test`, by `npm run test:bundle` (.ci/run runs both).
export default defineConfig({
  test: {
    include: ['test/bundle/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
