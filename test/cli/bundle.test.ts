/**
 * The built `probe` command (packages/probe-cli/dist/bundle/): the CommonJS bundle run by bin.cjs from V8's
 * code cache. The cache must be accepted by this Node (else it is dead weight), and the bundle must behave
 * exactly as the tsc output it was built from, with or without a usable cache.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundleDir = join(root, 'packages/probe-cli/dist/bundle');
const unbundled = join(root, 'packages/probe-cli/dist/bin.js');
const inspectArgs = ['inspect', join(root, 'fixtures/ocsp/expired.der'), '--issuer', join(root, 'fixtures/pki/intermediate.pem'), '--at', '2026-01-15T12:00:00Z', '--format', 'json'];
const node = (args: string[]) => spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
const stable = (json: string) => JSON.parse(json) as unknown;
const scratch: string[] = [];

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('the bundled CLI', () => {
  it('loads its code cache: V8 accepts the cache the build made', () => {
    const { load } = createRequire(import.meta.url)(join(bundleDir, 'bin.cjs')) as { load: () => { script: { cachedDataRejected?: boolean } } };
    expect(load().script.cachedDataRejected).toBe(false);
  });

  it('prints the same report and exit code as the unbundled CLI', () => {
    const bundled = node([join(bundleDir, 'bin.cjs'), ...inspectArgs]);
    const plain = node([unbundled, ...inspectArgs]);
    expect(bundled.status).toBe(2);
    expect(plain.status).toBe(2);
    expect(stable(bundled.stdout)).toEqual(stable(plain.stdout));
  });

  it('still works when the cache is garbage or missing: V8 rejects it and compiles the bundle', () => {
    const dir = mkdtempSync(join(tmpdir(), 'staple-probe-bundle-'));
    scratch.push(dir);
    cpSync(bundleDir, dir, { recursive: true });
    writeFileSync(join(dir, 'probe.cjs.cache'), Buffer.alloc(4096, 0x5a));
    const garbage = node([join(dir, 'bin.cjs'), ...inspectArgs]);
    expect(garbage.status).toBe(2);
    expect(stable(garbage.stdout)).toEqual(stable(node([unbundled, ...inspectArgs]).stdout));
    rmSync(join(dir, 'probe.cjs.cache'));
    const missing = node([join(dir, 'bin.cjs'), '--version']);
    expect(missing.status).toBe(0);
    expect(missing.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('a bad argument is a one-line error with exit 3, not a stack trace', () => {
    const bad = node([join(bundleDir, 'bin.cjs'), '--no-such-flag']);
    expect(bad.status).toBe(3);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('holds no import() of a module: vm.Script has no loader for one (the demo failed so once)', () => {
    const source = readFileSync(join(bundleDir, 'probe.cjs'), 'utf8');
    expect(source.match(/\bimport\(\s*["'`]/g) ?? []).toEqual([]);
  });

  it('runs the demo, the README\'s first command, to the end', () => {
    const demo = spawnSync(process.execPath, [join(bundleDir, 'bin.cjs'), 'demo'], { encoding: 'utf8', timeout: 120_000 });
    expect(demo.stderr).not.toMatch(/internal error/);
    expect(demo.stdout).toContain('Every case got its expected verdict.');
    expect(demo.status).toBe(0);
  }, 130_000);

  it('loads the exporter: probe serve --help', () => {
    const serve = node([join(bundleDir, 'bin.cjs'), 'serve', '--help']);
    expect(serve.status).toBe(0);
    expect(serve.stdout).toMatch(/serve/);
  });
});
