/**
 * The built `probe` command (packages/probe-cli/dist/bundle/): the CommonJS bundle run by bin.cjs from V8's
 * code cache. The cache must be accepted by this Node (else it is dead weight), and the bundle must behave
 * exactly as the tsc output it was built from, with or without a usable cache.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPki, freePort, makeStaple, startResponder, startStaplingServer } from '@staple-probe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundleDir = join(root, 'packages/probe-cli/dist/bundle');
const unbundled = join(root, 'packages/probe-cli/dist/bin.js');
const inspectArgs = ['inspect', join(root, 'fixtures/ocsp/expired.der'), '--issuer', join(root, 'fixtures/pki/intermediate.pem'), '--at', '2026-01-15T12:00:00Z', '--format', 'json'];
const node = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000, env });
const stable = (json: string) => JSON.parse(json) as unknown;
const scratch: string[] = [];

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('the bundled CLI', () => {
  it('loads its code cache: V8 accepts the cache the build made, named for this V8', () => {
    const { load } = createRequire(import.meta.url)(join(bundleDir, 'bin.cjs')) as { load: () => { cache: string | null; rejected: boolean; script: { cachedDataRejected?: boolean } } };
    const loaded = load();
    expect(loaded.cache).toBe('shipped');
    expect(loaded.rejected).toBe(false);
    expect(loaded.script.cachedDataRejected).toBe(false);
    expect(readdirSync(bundleDir).filter((f) => f.endsWith('.cache'))).toEqual([`probe.cjs.${process.versions.v8}.cache`]);
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
    const shipped = join(dir, `probe.cjs.${process.versions.v8}.cache`);
    writeFileSync(shipped, Buffer.alloc(4096, 0x5a));
    const off = { ...process.env, STAPLE_PROBE_CACHE_DIR: '' };
    const garbage = node([join(dir, 'bin.cjs'), ...inspectArgs], off);
    expect(garbage.status).toBe(2);
    expect(stable(garbage.stdout)).toEqual(stable(node([unbundled, ...inspectArgs]).stdout));
    rmSync(shipped);
    const missing = node([join(dir, 'bin.cjs'), '--version'], off);
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

  describe('on a Node the shipped cache was not made for: the machine\'s own cache', () => {
    /** A copy of the bundle whose shipped cache is named for another V8, as on a Node other than the build's. */
    const foreignCopy = () => {
      const dir = mkdtempSync(join(tmpdir(), 'staple-probe-bundle-'));
      scratch.push(dir);
      cpSync(bundleDir, join(dir, 'bundle'), { recursive: true });
      renameSync(join(dir, 'bundle', `probe.cjs.${process.versions.v8}.cache`), join(dir, 'bundle', 'probe.cjs.0.0.0-other.cache'));
      return { bin: join(dir, 'bundle', 'bin.cjs'), cacheDir: join(dir, 'cache') };
    };
    /** Which cache bin.cjs's load() takes, in a fresh process with this cache directory. */
    const loadedWith = (bin: string, cacheDir: string) => {
      const r = node(['-e', `const r = require(${JSON.stringify(bin)}).load(); console.log(JSON.stringify({ cache: r.cache, rejected: r.rejected, madeBy: r.madeBy }))`], { ...process.env, STAPLE_PROBE_CACHE_DIR: cacheDir });
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout) as { cache: string | null; rejected: boolean; madeBy: string | null };
    };
    const ownFiles = (cacheDir: string) => (existsSync(cacheDir) ? readdirSync(cacheDir) : []);

    it('the first command that does some work writes it (this user only), and the next one uses it', () => {
      const { bin, cacheDir } = foreignCopy();
      expect(loadedWith(bin, cacheDir)).toEqual({ cache: null, rejected: false, madeBy: null });
      const env = { ...process.env, STAPLE_PROBE_CACHE_DIR: cacheDir };
      // Light commands and usage errors write nothing.
      expect(node([bin, '--version'], env).status).toBe(0);
      expect(node([bin, '--help'], env).status).toBe(0);
      expect(node([bin, '--no-such-flag'], env).status).toBe(3);
      expect(ownFiles(cacheDir)).toEqual([]);
      const first = node([bin, ...inspectArgs], env);
      expect(first.status).toBe(2);
      const files = ownFiles(cacheDir);
      expect(files).toHaveLength(1);
      // probe-<the bundle's SHA-256>-<Node's flags>-<V8>-<arch>.inspect.cache (inspect made it).
      expect(files[0]).toMatch(new RegExp(`^probe-[0-9a-f]{32}-[0-9a-f]{8}-${process.versions.v8.replace(/\./g, '\\.')}-${process.arch}\\.inspect\\.cache$`));
      if (process.platform !== 'win32') {
        expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
        expect(statSync(join(cacheDir, files[0] as string)).mode & 0o777).toBe(0o600);
      }
      expect(loadedWith(bin, cacheDir)).toEqual({ cache: 'own', rejected: false, madeBy: 'inspect' });
      const second = node([bin, ...inspectArgs], env);
      expect(second.status).toBe(2);
      expect(stable(second.stdout)).toEqual(stable(first.stdout));
      expect(ownFiles(cacheDir)).toEqual(files);
    });

    it('a garbage own cache is refused by V8, the command works, and the next work replaces it', () => {
      const { bin, cacheDir } = foreignCopy();
      const env = { ...process.env, STAPLE_PROBE_CACHE_DIR: cacheDir };
      expect(node([bin, ...inspectArgs], env).status).toBe(2);
      const [file] = ownFiles(cacheDir);
      writeFileSync(join(cacheDir, file as string), Buffer.alloc(4096, 0x5a), { mode: 0o600 });
      expect(loadedWith(bin, cacheDir)).toEqual({ cache: 'own', rejected: true, madeBy: 'inspect' });
      const run = node([bin, ...inspectArgs], env);
      expect(run.status).toBe(2);
      expect(stable(run.stdout)).toEqual(stable(node([unbundled, ...inspectArgs]).stdout));
      expect(loadedWith(bin, cacheDir)).toEqual({ cache: 'own', rejected: false, madeBy: 'inspect' });
    });

    it('is keyed by the bundle\'s bytes: a changed bundle does not take the old cache', () => {
      const { bin, cacheDir } = foreignCopy();
      expect(node([bin, ...inspectArgs], { ...process.env, STAPLE_PROBE_CACHE_DIR: cacheDir }).status).toBe(2);
      expect(loadedWith(bin, cacheDir).cache).toBe('own');
      // The same length (all V8 itself checks), other bytes: one letter of a message changed.
      const bundle = join(bin, '..', 'probe.cjs');
      const source = readFileSync(bundle, 'latin1');
      expect(source).toContain('Every case got its expected verdict.');
      writeFileSync(bundle, source.replace('Every case got its expected verdict.', 'every case got its expected verdict.'), 'latin1');
      expect(readFileSync(bundle).length).toBe(Buffer.byteLength(source, 'latin1'));
      expect(loadedWith(bin, cacheDir)).toEqual({ cache: null, rejected: false, madeBy: null });
    });

    it('is not read from a directory others can write to (a planted cache would run as this user)', () => {
      if (process.platform === 'win32') return;
      const { bin, cacheDir } = foreignCopy();
      expect(node([bin, ...inspectArgs], { ...process.env, STAPLE_PROBE_CACHE_DIR: cacheDir }).status).toBe(2);
      chmodSync(cacheDir, 0o777);
      expect(loadedWith(bin, cacheDir)).toEqual({ cache: null, rejected: false, madeBy: null });
      chmodSync(cacheDir, 0o700);
      expect(loadedWith(bin, cacheDir)).toEqual({ cache: 'own', rejected: false, madeBy: 'inspect' });
    });

    it('turned off by an empty STAPLE_PROBE_CACHE_DIR, or unwritable: the command is unchanged', () => {
      const { bin, cacheDir } = foreignCopy();
      const plain = stable(node([unbundled, ...inspectArgs]).stdout);
      const off = node([bin, ...inspectArgs], { ...process.env, STAPLE_PROBE_CACHE_DIR: '', XDG_CACHE_HOME: cacheDir });
      expect(off.status).toBe(2);
      expect(stable(off.stdout)).toEqual(plain);
      expect(ownFiles(cacheDir)).toEqual([]);
      // A path under a regular file cannot be made a directory.
      writeFileSync(cacheDir, 'not a directory');
      const unwritable = node([bin, ...inspectArgs], { ...process.env, STAPLE_PROBE_CACHE_DIR: join(cacheDir, 'sub') });
      expect(unwritable.status).toBe(2);
      expect(unwritable.stderr).toBe('');
      expect(stable(unwritable.stdout)).toEqual(plain);
    });

    it('defaults to $XDG_CACHE_HOME/staple-probe', () => {
      const { bin, cacheDir } = foreignCopy();
      const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheDir };
      delete env.STAPLE_PROBE_CACHE_DIR;
      expect(node([bin, ...inspectArgs], env).status).toBe(2);
      expect(ownFiles(join(cacheDir, 'staple-probe'))).toHaveLength(1);
    });

    it('made by inspect, it is made again by the first probe of a server (which compiles more), then kept', async () => {
      const { bin, cacheDir } = foreignCopy();
      const env = { ...process.env, STAPLE_PROBE_CACHE_DIR: cacheDir };
      expect(node([bin, ...inspectArgs], env).status).toBe(2);
      expect(loadedWith(bin, cacheDir).madeBy).toBe('inspect');
      const responderPort = await freePort();
      const pki = await createPki({ ocspUrl: `http://127.0.0.1:${responderPort}/ocsp` });
      const responder = await startResponder({ issuer: pki.intermediate, port: responderPort, statuses: new Map([['1001', { status: 'good' }]]) });
      const server = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now: new Date() }) });
      try {
        const rootFile = join(cacheDir, '..', 'root.pem');
        writeFileSync(rootFile, pki.root.pem);
        // Asynchronously: the servers run in this process.
        const probeOnce = () =>
          promisify(execFile)(process.execPath, [bin, server.target, '--ca-file', rootFile, '--servername', 'localhost', '--attempts', '1', '--format', 'json'], { env, timeout: 30_000 });
        const first = await probeOnce();
        expect((JSON.parse(first.stdout) as { verdict: string }).verdict).toBe('ok');
        const files = ownFiles(cacheDir);
        expect(files).toHaveLength(1);
        expect(files[0]).toMatch(/^probe-[0-9a-f]{32}-.+\.cache$/);
        expect(files[0]).not.toMatch(/\.inspect\.cache$/);
        expect(loadedWith(bin, cacheDir)).toEqual({ cache: 'own', rejected: false, madeBy: 'probe' });
        // An inspect after that keeps the probe's cache: it holds what inspect needs.
        expect(node([bin, ...inspectArgs], env).status).toBe(2);
        expect(ownFiles(cacheDir)).toEqual(files);
        expect(loadedWith(bin, cacheDir).madeBy).toBe('probe');
      } finally {
        await server.close();
        await responder.close();
      }
    });

    it('neither read nor written through a symbolic link (the directory or the file), nor written to an open directory', () => {
      if (process.platform === 'win32') return;
      const { bin, cacheDir } = foreignCopy();
      const env = { ...process.env, STAPLE_PROBE_CACHE_DIR: cacheDir };
      expect(node([bin, ...inspectArgs], env).status).toBe(2);
      const [file] = ownFiles(cacheDir) as [string];
      // The directory a symbolic link to a good one.
      const linked = join(cacheDir, '..', 'linked');
      symlinkSync(cacheDir, linked);
      expect(loadedWith(bin, linked).cache).toBe(null);
      // The file a symbolic link to a good cache.
      const other = join(cacheDir, '..', 'other');
      mkdirSync(other, { mode: 0o700 });
      symlinkSync(join(cacheDir, file), join(other, file));
      expect(loadedWith(bin, other).cache).toBe(null);
      // Nothing is written through the linked directory, nor into a directory others can write to.
      rmSync(join(cacheDir, file));
      expect(node([bin, ...inspectArgs], { ...process.env, STAPLE_PROBE_CACHE_DIR: linked }).status).toBe(2);
      expect(ownFiles(cacheDir)).toEqual([]);
      chmodSync(cacheDir, 0o777);
      const open = node([bin, ...inspectArgs], env);
      expect(open.status).toBe(2);
      expect(open.stderr).toBe('');
      expect(ownFiles(cacheDir)).toEqual([]);
    });

    it('one per set of Node flags (V8 refuses a cache made under others), and a relative directory turns it off', () => {
      const { bin, cacheDir } = foreignCopy();
      const env = { ...process.env, STAPLE_PROBE_CACHE_DIR: cacheDir };
      expect(node([bin, ...inspectArgs], env).status).toBe(2);
      expect(node(['--max-old-space-size=200', bin, ...inspectArgs], env).status).toBe(2);
      expect(ownFiles(cacheDir)).toHaveLength(2);
      expect(loadedWith(bin, cacheDir)).toEqual({ cache: 'own', rejected: false, madeBy: 'inspect' });
      const relative = spawnSync(process.execPath, [bin, ...inspectArgs], { encoding: 'utf8', cwd: join(cacheDir, '..'), env: { ...process.env, STAPLE_PROBE_CACHE_DIR: 'rel' } });
      expect(relative.status).toBe(2);
      expect(existsSync(join(cacheDir, '..', 'rel'))).toBe(false);
    });

    it('a save removes an older bundle\'s cache for the same V8 and flags and stale temporary files, and keeps others', () => {
      const { bin, cacheDir } = foreignCopy();
      const env = { ...process.env, STAPLE_PROBE_CACHE_DIR: cacheDir };
      expect(node([bin, ...inspectArgs], env).status).toBe(2);
      const [file] = ownFiles(cacheDir) as [string];
      const older = file.replace(/^probe-[0-9a-f]{32}-/, `probe-${'0'.repeat(32)}-`);
      const otherV8 = file.replace(`-${process.versions.v8}-`, '-0.0.0-other-');
      const staleTemp = `.${file}.0123456789abcdef.tmp`;
      const freshTemp = `.${file}.fedcba9876543210.tmp`;
      for (const name of [older, otherV8, staleTemp, freshTemp]) copyFileSync(join(cacheDir, file), join(cacheDir, name));
      const twoHoursAgo = new Date(Date.now() - 7_200_000);
      utimesSync(join(cacheDir, staleTemp), twoHoursAgo, twoHoursAgo);
      // A garbage cache makes the next run save.
      writeFileSync(join(cacheDir, file), Buffer.alloc(64, 0x5a), { mode: 0o600 });
      expect(node([bin, ...inspectArgs], env).status).toBe(2);
      expect(ownFiles(cacheDir).sort()).toEqual([file, otherV8, freshTemp].sort());
      expect(loadedWith(bin, cacheDir)).toEqual({ cache: 'own', rejected: false, madeBy: 'inspect' });
    });
  });
});
