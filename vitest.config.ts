import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

/**
 * Tests that start external programs (nginx, Apache, HAProxy, Prometheus, promtool, openssl), build or pack
 * the packages, or load the machine for long: the `integration` project. Everything else is `unit`, the
 * fast inner loop (`pnpm test:unit`, under a minute). `pnpm test` runs both.
 */
const INTEGRATION = [
  'test/servers/**/*.test.ts',
  'test/openssl/**/*.test.ts',
  'test/package/**/*.test.ts',
  'test/cli/bundle.test.ts',
  'test/cli/serve.test.ts',
  'test/docs/monitoring.test.ts',
  'test/shell/leaks.test.ts',
];

// Tests import the package sources, so they never need a prior build.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@staple-probe\/core\/testing$/, replacement: src('probe-core/src/testing/index.ts') },
      { find: /^@staple-probe\/core$/, replacement: src('probe-core/src/index.ts') },
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on servers and sockets rather than the CPU; on 2 cores vitest would otherwise run one at a time.
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: INTEGRATION } },
      // V8's young generation, pinned to the 16 MiB semi-space of Node 20 and 22: Node 24 lets it grow larger
      // under load and keeps the pages resident after a full GC, which test/shell/leaks.test.ts would read as a
      // leak (+32 MiB over 3,000 handshakes unpinned, +0.8 MiB pinned; heap in use unchanged).
      { extends: true, test: { name: 'integration', include: INTEGRATION, execArgv: ['--max-semi-space-size=16'] } },
    ],
    // In CI also write a JSON report, from which .ci/run prints a plain "N passed, N failed" line.
    ...(process.env.CI === 'true' ? { reporters: ['default', 'json'], outputFile: { json: '.tmp/vitest.json' } } : {}),
  },
});
