// Bundles the CLI into packages/probe-cli/dist/bundle/ with esbuild: probe.cjs holds the CLI and every
// dependency in one CommonJS file, which bin.cjs (src/bundle-bin.cjs) runs with Node's compile cache where
// Node has one (22.1 and later). Loading ~60 ESM modules one by one cost more start-up time than one file
// (docs/performance.md).
import { copyFileSync, chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../packages/probe-cli/', import.meta.url);
const outdir = new URL('dist/bundle/', root).pathname;
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [new URL('src/bundle-entry.ts', root).pathname],
  outfile: `${outdir}probe.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // PROFILE=1 keeps identifiers, for --cpu-prof.
  minify: process.env.PROFILE !== '1',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  define: { __STAPLE_PROBE_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});
copyFileSync(new URL('src/bundle-bin.cjs', root), `${outdir}bin.cjs`);
chmodSync(`${outdir}bin.cjs`, 0o755);
