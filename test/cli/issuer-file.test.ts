/**
 * `--issuer FILE` with several certificates (issue #23 item 7): certbot's `fullchain.pem` (leaf first) and
 * `chain.pem` both work for `probe` and `probe inspect`; a file with no certificate that signed the leaf
 * still says so. The help shows the full-chain form.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki, makeStaple, type StaplingServer, startStaplingServer, type TestPki } from '@staple-probe/core/testing';
import { repoFile } from '../helpers.js';
import { runCli } from './run.js';

const AT = '2026-01-15T12:00:00Z';
const fixture = (path: string) => repoFile(`fixtures/${path}`).pathname;
let work: string;
const file = (name: string) => join(work, name);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'staple-probe-issuer-'));
  // As certbot writes them: fullchain.pem is the leaf then chain.pem (the intermediate, then the root here).
  const pem = (path: string) => readFileSync(fixture(path), 'utf8');
  writeFileSync(file('fullchain.pem'), pem('pki/leaf-rsa.pem') + pem('pki/chain.pem'));
  writeFileSync(file('leaf-and-foreign.pem'), pem('pki/leaf-rsa.pem') + pem('pki/foreign-ca.pem'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('probe inspect --issuer with a chain file', () => {
  const inspect = (issuer: string, ...more: string[]) => runCli(['inspect', fixture('ocsp/good.der'), '--issuer', issuer, '--at', AT, '--json', ...more]);

  it('fullchain.pem as --issuer and as --cert (its first certificate): exit 0, no finding', async () => {
    const r = await inspect(file('fullchain.pem'), '--cert', file('fullchain.pem'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
  });

  it('chain.pem as --issuer, the leaf as --cert: exit 0, no finding', async () => {
    const r = await inspect(fixture('pki/chain.pem'), '--cert', fixture('pki/leaf-rsa.pem'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
  });

  it('fullchain.pem without --cert: the signature is checked against the intermediate the CertID names', async () => {
    const r = await inspect(file('fullchain.pem'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['STAPLE_CERTID_NOT_CHECKED']);
  });

  it('a file with no certificate that signed --cert: CERT_ISSUER_MISMATCH, exit 3', async () => {
    const r = await inspect(file('leaf-and-foreign.pem'), '--cert', fixture('pki/leaf-rsa.pem'));
    expect(r.code).toBe(3);
    const mismatch = JSON.parse(r.stdout).findings.find((f: { code: string }) => f.code === 'CERT_ISSUER_MISMATCH');
    expect(mismatch.message).toContain('the --issuer certificate O=elsewhere,CN=Foreign Test CA does not verify');
  });
});

describe('probe --issuer with a chain file', () => {
  const now = new Date();
  let pki: TestPki;
  let server: StaplingServer;

  beforeAll(async () => {
    pki = await createPki();
    writeFileSync(file('root.pem'), pki.root.pem);
    writeFileSync(file('live-fullchain.pem'), pki.leafRsa.pem + pki.intermediate.pem + pki.root.pem);
    writeFileSync(file('live-chain.pem'), pki.intermediate.pem + pki.root.pem);
    server = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now }) });
  });

  afterAll(async () => {
    await server?.close();
  });

  for (const name of ['live-fullchain.pem', 'live-chain.pem']) {
    it(`${name.replace('live-', '')}: exit 0, the issuer taken from --issuer`, async () => {
      const r = await runCli([server.target, '--issuer', file(name), '--ca-file', file('root.pem'), '--no-live', '--no-crl', '--attempts', '1', '--json']);
      expect(r.stderr).toBe('');
      const doc = JSON.parse(r.stdout) as { findings: unknown[]; targets: { issuerSource: string }[] };
      expect(doc.findings).toEqual([]);
      expect(doc.targets[0]?.issuerSource).toBe('given');
      expect(r.code).toBe(0);
    });
  }
});

describe('the help', () => {
  it('says a chain file works for --issuer, and its example uses fullchain.pem', async () => {
    const { stdout } = await runCli(['--help']);
    expect(stdout).toContain('a chain\n                        file works (fullchain.pem): the certificate that signed the leaf is used');
    expect(stdout).toContain('probe inspect /etc/nginx/ocsp/example.der --issuer fullchain.pem --cert cert.pem');
    expect(stdout).not.toContain('--issuer chain.pem');
  });
});
