// Bundles the CLI into packages/probe-cli/dist/bundle/ with esbuild: probe.cjs holds the CLI and every
// dependency in one CommonJS file, which bin.cjs (src/bundle-bin.cjs) runs with Node's compile cache where
// Node has one (22.1 and later). Loading ~60 ESM modules one by one cost more start-up time than one file
// (docs/performance.md).
//
// `probe serve` and `probe demo` are bundles of their own (serve.cjs, demo.cjs), which the CLI loads only for
// those commands. Had they been lazy chunks of probe.cjs, esbuild would wrap every module they share with
// the probe (core, the renderers) in a lazy initializer, a function V8 compiles on first call and Node's
// compile cache does not keep: every start compiled them again. Measured on Node 24.22.3, 30 interleaved
// runs (docs/performance.md): `probe --version` 99.7 -> 72.8 ms, `probe inspect` 131.9 -> 110.1 ms, a cold
// probe 194.3 -> 175.9 ms. The price is that serve.cjs and demo.cjs carry their own copy of what they share.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../packages/probe-cli/', import.meta.url);
const src = (path) => new URL(`src/${path}`, root).pathname;
const outdir = new URL('dist/bundle/', root).pathname;
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

/** The commands bundled apart: the import in cli.ts, and the bundle it becomes. */
const APART = { './demo.js': './demo.cjs', './serve/command.js': './serve.cjs' };

/** cli.ts's `import('./demo.js')` and `import('./serve/command.js')` load the separate bundles at run time. */
const apart = {
  name: 'commands-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/(demo|serve\/command)\.js$/ }, (args) =>
      args.importer.endsWith('/src/cli.ts') ? { path: APART[args.path], external: true } : undefined,
    );
  },
};

const common = {
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
};
await Promise.all([
  build({ ...common, entryPoints: [src('bundle-entry.ts')], outfile: `${outdir}probe.cjs`, plugins: [apart] }),
  build({ ...common, entryPoints: [src('serve/command.ts')], outfile: `${outdir}serve.cjs` }),
  build({ ...common, entryPoints: [src('demo.ts')], outfile: `${outdir}demo.cjs` }),
]);
copyFileSync(src('bundle-bin.cjs'), `${outdir}bin.cjs`);
chmodSync(`${outdir}bin.cjs`, 0o755);
