/**
 * The built `probe` command (packages/probe-cli/dist/bundle/): bin.cjs runs the CommonJS bundle probe.cjs,
 * with Node's compile cache on Node >= 22.1. The bundle must behave exactly as the tsc output it was built
 * from, with or without a cache.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundleDir = join(root, 'packages/probe-cli/dist/bundle');
const bin = join(bundleDir, 'bin.cjs');
const unbundled = join(root, 'packages/probe-cli/dist/bin.js');
const inspectArgs = [
  'inspect',
  join(root, 'fixtures/ocsp/expired.der'),
  '--issuer',
  join(root, 'fixtures/pki/intermediate.pem'),
  '--at',
  '2026-01-15T12:00:00Z',
  '--format',
  'json',
];
const node = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000, env });
const stable = (json: string) => JSON.parse(json) as unknown;
const scratch: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'staple-probe-bundle-'));
  scratch.push(dir);
  return dir;
};
/** Every file below a directory, as paths relative to it. */
const filesBelow = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile()) : [];
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
/** `module.enableCompileCache` came with Node 22.1. */
const hasCompileCache = major > 22 || (major === 22 && minor >= 1);

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('the bundled CLI', () => {
  it('prints the same report and exit code as the unbundled CLI', () => {
    const bundled = node([bin, ...inspectArgs]);
    const plain = node([unbundled, ...inspectArgs]);
    expect(bundled.status).toBe(2);
    expect(plain.status).toBe(2);
    expect(stable(bundled.stdout)).toEqual(stable(plain.stdout));
  });

  it('a bad argument is a one-line error with exit 3, not a stack trace', () => {
    const bad = node([bin, '--no-such-flag']);
    expect(bad.status).toBe(3);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it("runs the demo, the README's first command, to the end", () => {
    const demo = spawnSync(process.execPath, [bin, 'demo'], { encoding: 'utf8', timeout: 120_000 });
    expect(demo.stderr).not.toMatch(/internal error/);
    expect(demo.stdout).toContain('Every case got its expected verdict.');
    expect(demo.status).toBe(0);
  }, 130_000);

  it('loads the exporter: probe serve --help', () => {
    const serve = node([bin, 'serve', '--help']);
    expect(serve.status).toBe(0);
    expect(serve.stdout).toMatch(/serve/);
  });

  // serve.cjs and demo.cjs are bundles of their own (scripts/bundle.mjs): probe.cjs loads them only for their
  // command, so that nothing in it is wrapped in a lazy initializer that Node's compile cache would not keep.
  it('probe.cjs holds neither the exporter nor the demo, and loads them as serve.cjs and demo.cjs', () => {
    // Booleans, not toContain: a failure would print a megabyte of bundle.
    const has = (file: string, text: string) => readFileSync(join(dirname(bin), file), 'utf8').includes(text);
    expect(has('probe.cjs', 'import("./serve.cjs")') && has('probe.cjs', 'import("./demo.cjs")')).toBe(true);
    expect(has('probe.cjs', 'Every case got its expected verdict')).toBe(false);
    expect(has('demo.cjs', 'Every case got its expected verdict')).toBe(true);
    expect(has('probe.cjs', 'staple_probe_exporter_probes_in_flight')).toBe(false);
    expect(has('serve.cjs', 'staple_probe_exporter_probes_in_flight')).toBe(true);
  });

  it("a bad serve argument is the serve bundle's usage error, exit 3, not an internal error", () => {
    const bad = node([bin, 'serve', '--no-such-flag']);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/^probe: .*--no-such-flag.*\nTry 'probe serve --help'\.\n$/);
  });
});

describe(`Node's compile cache (Node ${process.versions.node}: ${hasCompileCache ? 'has one' : 'has none'})`, () => {
  const debug = (cacheDir: string | undefined, extra: NodeJS.ProcessEnv = {}) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
    if (cacheDir === undefined) delete env.STAPLE_PROBE_CACHE_DIR;
    else env.STAPLE_PROBE_CACHE_DIR = cacheDir;
    return env;
  };

  if (hasCompileCache) {
    it('STAPLE_PROBE_CACHE_DIR: the first run writes the compiled bundle there, the next accepts it, the output is the same', () => {
      const cacheDir = join(tempDir(), 'cache');
      const first = node([bin, ...inspectArgs], debug(cacheDir));
      expect(first.status).toBe(2);
      expect(filesBelow(cacheDir).length).toBeGreaterThan(0);
      const second = node([bin, ...inspectArgs], debug(cacheDir));
      expect(second.status).toBe(2);
      expect(second.stderr).toMatch(/probe\.cjs was accepted/);
      expect(stable(second.stdout)).toEqual(stable(first.stdout));
    });

    it('a garbage cache is refused by Node, the command works and prints the same', () => {
      const cacheDir = join(tempDir(), 'cache');
      expect(node([bin, ...inspectArgs], debug(cacheDir)).status).toBe(2);
      for (const file of filesBelow(cacheDir)) writeFileSync(join(cacheDir, file), Buffer.alloc(4096, 0x5a));
      const run = node([bin, ...inspectArgs], debug(cacheDir));
      expect(run.status).toBe(2);
      expect(run.stderr).not.toMatch(/probe\.cjs was accepted/);
      expect(stable(run.stdout)).toEqual(stable(node([unbundled, ...inspectArgs]).stdout));
    });

    it('defaults to $XDG_CACHE_HOME/staple-probe', () => {
      const xdg = tempDir();
      expect(node([bin, ...inspectArgs], debug(undefined, { XDG_CACHE_HOME: xdg })).status).toBe(2);
      expect(filesBelow(join(xdg, 'staple-probe')).length).toBeGreaterThan(0);
    });
  } else {
    it('no compile cache on this Node: STAPLE_PROBE_CACHE_DIR stays empty and the command works', () => {
      const cacheDir = join(tempDir(), 'cache');
      const run = node([bin, ...inspectArgs], debug(cacheDir));
      expect(run.status).toBe(2);
      expect(filesBelow(cacheDir)).toEqual([]);
    });
  }

  it('turned off by an empty or relative STAPLE_PROBE_CACHE_DIR, or unwritable: the command is unchanged', () => {
    const cwd = tempDir();
    // A directory that cannot be made, even by root: its parent is a file.
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    const expected = stable(node([unbundled, ...inspectArgs]).stdout);
    for (const cacheDir of ['', 'relative-cache', join(file, 'cache')]) {
      const run = spawnSync(process.execPath, [bin, ...inspectArgs], { cwd, encoding: 'utf8', timeout: 30_000, env: debug(cacheDir) });
      expect(run.status, cacheDir).toBe(2);
      expect(stable(run.stdout), cacheDir).toEqual(expected);
      expect(run.stderr, cacheDir).not.toMatch(/internal error/);
    }
    expect(filesBelow(cwd)).toEqual([]);
  });
});
