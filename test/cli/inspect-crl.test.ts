/** `probe inspect site.crl --issuer inter.pem [--cert leaf.pem | --serial HEX]` (issue #22): a CRL judged offline. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCrl, createPki, issue, type Issued, type TestPki, toPem } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
let pki: TestPki;
let leaf: Issued;
let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  pki = await createPki({ notBefore: new Date('2026-01-01T00:00:00Z') });
  leaf = await issue({
    issuer: pki.intermediate,
    subject: 'CN=inspect crl',
    serial: '2c01',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
    crlUrls: ['http://crl.example.test/int.crl'],
  });
  dir = mkdtempSync(join(tmpdir(), 'staple-probe-inspect-crl-'));
  const spec = { issuer: pki.intermediate, thisUpdate: new Date(NOW.getTime() - DAY), nextUpdate: new Date(NOW.getTime() + 5 * DAY) };
  writeFileSync(file('clean.crl'), await buildCrl(spec));
  writeFileSync(
    file('listed.crl'),
    toPem('X509 CRL', await buildCrl({ ...spec, entries: [{ serial: '2c01', revocationDate: new Date('2026-02-01T00:00:00Z'), reason: 'keyCompromise' }] })),
  );
  writeFileSync(file('forged.crl'), await buildCrl({ ...spec, corruptSignature: true }));
  writeFileSync(file('inter.pem'), pki.intermediate.pem);
  writeFileSync(file('leaf.pem'), leaf.pem);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = ['--at', NOW.toISOString()];

describe('probe inspect for CRL files', () => {
  it('not listed: exit 0, "CRL OK (not listed …)"', async () => {
    const r = await runCli(['inspect', file('clean.crl'), '--issuer', file('inter.pem'), '--cert', file('leaf.pem'), ...at]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CRL OK (not listed in the CRL (0 entries), next update 2026-03-06T12:00:00.000Z)');
  });

  it('listed (a PEM CRL, looked up by --serial): exit 2, CRL_REVOKED with the date and reason', async () => {
    const r = await runCli(['inspect', file('listed.crl'), '--issuer', file('inter.pem'), '--serial', '2C01', '--format', 'json', ...at]);
    expect(r.code).toBe(2);
    const json = JSON.parse(r.stdout) as { findings: { code: string; args: Record<string, unknown> }[] };
    expect(json.findings.map((f) => f.code)).toEqual(['CRL_REVOKED']);
    expect(json.findings[0]?.args).toMatchObject({ url: null, serial: '2c01', revocationDate: '2026-02-01T00:00:00.000Z', reason: 'keyCompromise' });
  });

  it('a forged CRL is not believed: CRL_BAD_SIGNATURE, never "not listed"', async () => {
    const r = await runCli(['inspect', file('forged.crl'), '--issuer', file('inter.pem'), '--cert', file('leaf.pem'), '--format', 'json', ...at]);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { findings: { code: string }[] }).findings.map((f) => f.code)).toEqual(['CRL_BAD_SIGNATURE']);
  });

  it('bad use: one line on stderr, exit 3', async () => {
    for (const [args, message] of [
      [['inspect', file('clean.crl'), '--issuer', file('inter.pem')], 'a CRL file needs --cert or --serial'],
      [['inspect', file('clean.crl'), '--issuer', file('inter.pem'), '--serial', 'xyz'], '--serial xyz: expected hexadecimal digits'],
    ] as const) {
      const r = await runCli([...args]);
      expect([r.code, r.stdout]).toEqual([3, '']);
      expect(r.stderr).toContain(message);
    }
  });
});
