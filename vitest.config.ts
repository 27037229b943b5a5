import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

// Tests import the package sources, so they never need a prior build.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@staple-probe\/core\/testing$/, replacement: src('probe-core/src/testing/index.ts') },
      { find: /^@staple-probe\/core$/, replacement: src('probe-core/src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on servers and sockets rather than the CPU; on 2 cores vitest would otherwise run one at a time.
    maxWorkers: 3,
    // In CI also write a JSON report, from which .ci/run prints a plain "N passed, N failed" line.
    ...(process.env.CI === 'true' ? { reporters: ['default', 'json'], outputFile: { json: '.tmp/vitest.json' } } : {}),
  },
});
