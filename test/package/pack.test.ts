/**
 * The packages as users get them: `pnpm pack` both, install the tarballs with npm into a fresh project,
 * run the `probe` bin from there, the examples of docs/library.md, and the example deploy-check suite.
 * Needs the npm registry for the dependencies (CI has it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
let project = '';

const run = (cmd: string, args: string[], cwd = project) =>
  spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } });

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'staple-probe-pack-'));
  const packs = join(project, 'packs');
  for (const pkg of ['probe-core', 'probe-cli']) {
    execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: join(root, 'packages', pkg), stdio: 'pipe' });
  }
  const tarballs = readdirSync(packs).map((f) => join(packs, f));
  const vitestVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.vitest;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }, null, 2));
  const install = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, `vitest@${vitestVersion}`]);
  if (install.status !== 0) throw new Error(`npm install failed: ${install.stderr}`);
}, 300_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the packed packages, installed with npm', () => {
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
