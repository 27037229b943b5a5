/**
 * `probe --save-staples DIR`: the staples a probe captured, written as files, are evidence that can be judged
 * again: `probe inspect FILE` gives the same stapling verdict as the probe did, and `openssl ocsp -respin`
 * (an independent decoder) reads them.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki, makeStaple, type StaplingServer, startStaplingServer, type TestPki } from '@staple-probe/core/testing';
import { runCli } from '../cli/run.js';

function hasOpenssl(): boolean {
  const found = spawnSync('openssl', ['version']).status === 0;
  if (!found && process.env.CI === 'true') throw new Error('openssl is not installed; .ci/run must install it (CI=true)');
  return found;
}

describe('probe --save-staples, then probe inspect and openssl ocsp on the files', () => {
  const available = hasOpenssl();
  const now = new Date();
  let pki: TestPki;
  let good: StaplingServer;
  let revoked: StaplingServer;
  let work: string;
  const file = (name: string) => join(work, name);

  beforeAll(async () => {
    pki = await createPki();
    work = mkdtempSync(join(tmpdir(), 'staple-probe-save-'));
    writeFileSync(file('root.pem'), pki.root.pem);
    writeFileSync(file('intermediate.pem'), pki.intermediate.pem);
    writeFileSync(file('leaf.pem'), pki.leafRsa.pem);
    good = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now }) });
    revoked = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'revoked', { now }) });
  });

  afterAll(async () => {
    await good?.close();
    await revoked?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.runIf(available)('each target staple is saved under its host and port; inspect agrees with the probe; openssl parses it', async () => {
    const dir = file('staples/new'); // missing, parents too: made
    const common = ['--ca-file', file('root.pem'), '--no-live', '--no-crl', '--attempts', '1', '--at', now.toISOString()];
    const probe = await runCli([good.target, revoked.target, ...common, '--format', 'json', '--save-staples', dir]);
    expect(probe.stderr).toBe('');
    const doc = JSON.parse(probe.stdout) as { targets: { target: { port: number }; staplingVerdict: string }[]; staples: { sha256: string }[] };
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(2);
    expect(doc.staples).toHaveLength(2);

    const verdicts = new Map<number, string>();
    for (const t of doc.targets) verdicts.set(t.target.port, t.staplingVerdict);
    expect([...verdicts.values()].sort()).toEqual(['critical', 'ok']);
    for (const server of [good, revoked]) {
      const name = names.find((n) => n.startsWith(`127.0.0.1_${server.port}-`));
      expect(name).toMatch(/^127\.0\.0\.1_\d+-[0-9a-f]{16}\.der$/);
      const path = join(dir, name as string);
      const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
      expect(doc.staples.map((s) => s.sha256)).toContain(sha256);
      expect(name).toContain(sha256.slice(0, 16));

      const inspect = await runCli(['inspect', path, '--issuer', file('intermediate.pem'), '--cert', file('leaf.pem'), '--at', now.toISOString(), '--json']);
      const judged = JSON.parse(inspect.stdout) as { staplingVerdict: string };
      expect(judged.staplingVerdict).toBe(verdicts.get(server.port));

      const openssl = spawnSync('openssl', ['ocsp', '-respin', path, '-noverify', '-resp_text'], { encoding: 'utf8' });
      expect(openssl.status).toBe(0);
      expect(openssl.stdout).toContain('OCSP Response Status: successful');
      expect(openssl.stdout).toContain(server === good ? 'Cert Status: good' : 'Cert Status: revoked');
    }
  });

  it('a DIR that cannot be a directory: one line on stderr, exit 3, before any probe', async () => {
    writeFileSync(file('a-file'), 'x');
    const r = await runCli([good.target, '--save-staples', join(file('a-file'), 'sub')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`probe: --save-staples ${join(file('a-file'), 'sub')}: cannot create the directory: not a directory\nTry 'probe --help'.\n`);
  });
});
