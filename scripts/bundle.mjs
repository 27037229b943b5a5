// Bundles the CLI into packages/probe-cli/dist/bundle/ with esbuild: one file for the common path, separate
// chunks for `probe demo` and `probe serve` (loaded only when used). Loading ~60 ESM modules one by one cost
// more start-up time than parsing them as one file (measured in the README's Performance section).
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../packages/probe-cli/', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
await build({
  entryPoints: [new URL('src/bin.ts', root).pathname],
  outdir: new URL('dist/bundle/', root).pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  define: { __STAPLE_PROBE_VERSION__: JSON.stringify(version) },
  // cli-table3 and prom-client are CommonJS and call require().
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
  logLevel: 'warning',
});
