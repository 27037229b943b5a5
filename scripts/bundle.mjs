// Bundles the CLI into packages/probe-cli/dist/bundle/ with esbuild: probe.cjs holds the CLI and every
// dependency in one CommonJS file, which bin.cjs (packages/probe-cli/loader/) runs from V8's code cache made
// by scripts/code-cache.mjs. Loading ~60 ESM modules one by one cost more start-up time than one file, and
// the code cache takes about a quarter off a cold probe (measured in the README's Performance section).
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
// bin.cjs reads the bundle as latin1, which equals UTF-8 only for ASCII (esbuild's default charset escapes
// everything else; this holds it).
const bytes = readFileSync(`${outdir}probe.cjs`);
const wide = bytes.findIndex((b) => b > 0x7f);
if (wide >= 0) throw new Error(`probe.cjs has a non-ASCII byte at offset ${wide}; bin.cjs reads it as latin1`);
copyFileSync(new URL('loader/bin.cjs', root), `${outdir}bin.cjs`);
chmodSync(`${outdir}bin.cjs`, 0o755);
await import('./code-cache.mjs');
