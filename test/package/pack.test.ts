/**
 * The packages as users get them: `pnpm pack` both, install the tarballs with npm into a fresh project,
 * run the `probe` bin from there, the examples of docs/library.md, and the example deploy-check suite.
 * Needs the npm registry for the library's dependencies (CI has it). And the CLI alone as the README's
 * Install section has it: its tarball installed with `npm install -g --prefix` into an empty prefix,
 * offline (the bundle needs no dependency, so no registry), then `probe --version` and `probe demo`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

const runIn = (cwd: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true', ...env } });

/** `pnpm pack` of packages/<pkg> into `dir`; the tarball's path. */
function pack(pkg: string, dir: string): string {
  const before = new Set(existsSync(dir) ? readdirSync(dir) : []);
  execFileSync('pnpm', ['pack', '--pack-destination', dir], { cwd: join(root, 'packages', pkg), stdio: 'pipe' });
  const made = readdirSync(dir).filter((f) => !before.has(f));
  if (made.length !== 1) throw new Error(`pnpm pack of ${pkg} made ${made.length} files`);
  return join(dir, made[0] as string);
}

describe('the packed CLI, installed globally into an empty prefix with no registry', () => {
  let work = '';
  let prefix = '';
  let installed: ReturnType<typeof runIn>;
  let tarballName = '';

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'staple-probe-global-'));
    prefix = join(work, 'prefix');
    const tarball = pack('probe-cli', join(work, 'packs'));
    tarballName = basename(tarball);
    // An empty cache too: nothing can come from an earlier install.
    installed = runIn(work, 'npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
      npm_config_cache: join(work, 'npm-cache'),
    });
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("the README's Install section installs the tarball pnpm pack makes", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain(`npx -y pnpm@12.4.2 pack      # -> ${tarballName}`);
    expect(readme).toContain(`npm install -g ./${tarballName}`);
  });

  it('npm installs it offline: the packed package.json declares no dependency, and only the bundle is installed', () => {
    expect(installed.stderr).toBe('');
    expect(installed.status).toBe(0);
    const dir = join(prefix, 'lib/node_modules/@staple-probe/cli');
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.peerDependencies).toBeUndefined();
    expect(manifest.optionalDependencies).toBeUndefined();
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    expect(readdirSync(join(dir, 'dist')).sort()).toEqual(['bundle']);
  });

  it('<prefix>/bin/probe --version and probe demo run from the PATH, anywhere; the compile cache goes where the bin says', () => {
    const cache = join(work, 'xdg-cache');
    const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`, XDG_CACHE_HOME: cache, STAPLE_PROBE_CACHE_DIR: undefined };
    const version = runIn(tmpdir(), 'probe', ['--version'], env);
    expect(version.stderr).toBe('');
    expect(version.stdout).toBe('0.1.0\n');
    const demo = runIn(tmpdir(), 'probe', ['demo'], env);
    expect(demo.status).toBe(0);
    expect(demo.stdout).toContain('Every case got its expected verdict.');
    // Node >= 22.1 has a compile cache (module.enableCompileCache); the bin keeps it in $XDG_CACHE_HOME/staple-probe.
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    const hasCache = major > 22 || (major === 22 && minor >= 1);
    expect(existsSync(join(cache, 'staple-probe')) && readdirSync(join(cache, 'staple-probe')).length > 0).toBe(hasCache);
  }, 240_000); // the demo makes a PKI and starts servers: seconds, and 17 s on a loaded 2-core machine
});

describe('the packed packages, installed with npm', () => {
  let project = '';
  const run = (cmd: string, args: string[], cwd = project) => runIn(cwd, cmd, args);

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'staple-probe-pack-'));
    const packs = join(project, 'packs');
    const tarballs = ['probe-core', 'probe-cli'].map((pkg) => pack(pkg, packs));
    const vitestVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.vitest;
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }, null, 2));
    const install = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, `vitest@${vitestVersion}`]);
    if (install.status !== 0) throw new Error(`npm install failed: ${install.stderr}`);
  }, 300_000);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('the probe bin runs: --version, and inspect of a fixture exits 2 for an expired response', () => {
    const version = run('npx', ['probe', '--version']);
    expect(version.stdout.trim()).toBe('0.1.0');
    const at = '2026-01-15T12:00:00Z';
    const inspect = run('npx', [
      'probe',
      'inspect',
      join(root, 'fixtures/ocsp/expired.der'),
      '--issuer',
      join(root, 'fixtures/pki/intermediate.pem'),
      '--at',
      at,
    ]);
    expect(inspect.status).toBe(2);
    expect(inspect.stdout).toContain('STAPLE_EXPIRED');
  });

  it('importing @staple-probe/core installs no globals; the testing kit brings the Reflect polyfill', () => {
    const core = run('node', ['--input-type=module', '-e', "await import('@staple-probe/core'); console.log(typeof Reflect.getMetadata)"]);
    expect(core.stdout.trim()).toBe('undefined');
    const kit = run('node', ['--input-type=module', '-e', "await import('@staple-probe/core/testing'); console.log(typeof Reflect.getMetadata)"]);
    expect(kit.stdout.trim()).toBe('function');
  });

  const docs = readFileSync(join(root, 'docs/library.md'), 'utf8');
  const examples = [...docs.matchAll(/```js example=(\w+)\n([\s\S]*?)```/g)].map((m) => ({ name: m[1] as string, code: m[2] as string }));
  it('docs/library.md has runnable examples', () => expect(examples.map((e) => e.name)).toEqual(['probe', 'inspect', 'assess', 'catalogue']));
  for (const example of examples) {
    it(`docs/library.md example "${example.name}" runs`, () => {
      const file = join(project, `${example.name}.mjs`);
      writeFileSync(file, example.code);
      const r = run('node', [file]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }

  it('the example deploy-check suite passes with vitest, importing the library, the kit and the matchers', () => {
    copyFileSync(join(root, 'examples/deploy-check/deploy-check.test.mjs'), join(project, 'deploy-check.test.mjs'));
    const r = run('npx', ['vitest', 'run', 'deploy-check.test.mjs']);
    expect(`${r.stdout}${r.stderr}`).toMatch(/1 passed/);
    expect(r.status).toBe(0);
  });
});
