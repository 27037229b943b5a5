/**
 * The table for a server with several certificates (issue #21): the headline names each certificate's state,
 * the handshake section has a row per certificate, and a server with one certificate prints what it printed
 * before the offers existed. Rendered from reports that `assess` judged at a fixed instant.
 */
import { assess, mergeReports, type ProbeEvidence, type Report } from '@staple-probe/core';
import { createPki, makeStaple, type TestPki } from '@staple-probe/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatWhere, headline, renderTable } from '../../packages/probe-cli/src/render/table.js';
import { evidence, type Step } from '../helpers.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const STYLE = { width: 100, color: false };

let pki: TestPki;
let good: Uint8Array;
let goodEcdsa: Uint8Array;

beforeAll(async () => {
  pki = await createPki({ notBefore: new Date('2026-01-01T00:00:00Z') });
  good = await makeStaple(pki, 'good', { now: NOW });
  goodEcdsa = await makeStaple(pki, 'good', { now: NOW, leaf: pki.leafEcdsa });
});

const judge = (ev: ProbeEvidence): Promise<Report> => assess(ev, { now: NOW });
const probeOf = (steps: Step[]) => judge(evidence(steps, { leaf: pki.leafRsa, chain: [pki.intermediate] }));
const ecdsa = (staple: Uint8Array | null, v: '1.2' | '1.3' = '1.2'): Step => ({ v, offer: 'ecdsa', staple, leaf: pki.leafEcdsa });
/** The table's lines from the handshakes title to the first blank line. */
const handshakeSection = (text: string) => {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Handshakes with'));
  const end = lines.indexOf('', start);
  return lines.slice(start, end === -1 ? undefined : end);
};

describe('one certificate: the table of before the offers', () => {
  it("the offers' handshakes (the RSA one got the certificate again, the ECDSA one was refused) add no row, mark or line", async () => {
    const plain: Step[] = [
      { v: '1.2', staple: good },
      { v: '1.2', staple: good },
      { v: '1.3', staple: good },
      { v: '1.3', staple: good },
    ];
    const offered: Step[] = [
      ...plain,
      { v: '1.2', offer: 'rsa', staple: good },
      { v: '1.2', offer: 'ecdsa', fail: 'handshake' },
      { v: '1.3', offer: 'rsa', staple: good },
      { v: '1.3', offer: 'ecdsa', fail: 'handshake' },
    ];
    const before = renderTable(await probeOf(plain), STYLE);
    const after = renderTable(await probeOf(offered), STYLE);
    expect(after).toBe(before);
    const section = handshakeSection(after);
    expect(section[2]).toMatch(/^│ Address +│ TLS +│ Staple per handshake +│ Negotiated +│$/);
    // Two rows (TLS 1.2, TLS 1.3), each with the default offer's two stapled handshakes.
    expect(section.filter((l) => l.startsWith('│ 127.0.0.1')).map((l) => l.split('│')[2]?.trim())).toEqual(['1.2', '1.3']);
    expect(section.join('\n').match(/yes/g)).toHaveLength(4);
    expect(section.join('\n')).not.toContain('failed');
    expect(section.slice(-2)).toEqual([
      'Certificate: CN=localhost · serial 1001 · issuer O=staple-probe,CN=Staple Probe Test Intermediate',
      'Issuer: O=staple-probe,CN=Staple Probe Test Intermediate (from the served chain)',
    ]);
    expect(headline(await probeOf(offered))).toBe('OCSP stapling OK');
  });
});

describe('two certificates: each one named, in the headline and in the handshake section', () => {
  it('the RSA certificate staples, the ECDSA one never does', async () => {
    const report = await probeOf([{ v: '1.2', staple: good }, { v: '1.3', staple: good }, ecdsa(null), ecdsa(null, '1.3')]);
    expect(headline(report)).toBe('OCSP stapling WARNING · RSA certificate 1001: ok; ECDSA certificate 1002: no OCSP staple');
    const section = handshakeSection(renderTable(report, STYLE));
    expect(section[2]).toMatch(/^│ Address +│ TLS │ Certificate │ Staple per handshake +│ Negotiated +│$/);
    const rows = section.filter((l) => l.startsWith('│ 127.0.0.1'));
    expect(
      rows.map((l) =>
        l
          .split('│')
          .slice(2, 5)
          .map((c) => c.trim()),
      ),
    ).toEqual([
      ['1.2', 'RSA', expect.stringMatching(/^yes \(\w{8}\)$/)],
      ['1.2', 'ECDSA', 'no'],
      ['1.3', 'RSA', expect.stringMatching(/^yes \(\w{8}\)$/)],
      ['1.3', 'ECDSA', 'no'],
    ]);
    const certificates = section.filter((l) => / (RSA|ECDSA) · serial /.test(l));
    expect(certificates.map((l) => l.split('│').map((c) => c.trim()))).toEqual([
      ['', 'RSA · serial 1001', 'default', 'always', 'OK', ''],
      ['', 'ECDSA · serial 1002', 'ECDSA', 'never', 'WARNING: no OCSP staple', ''],
    ]);
    expect(section).toContain('Issuer of the RSA certificate 1001: O=staple-probe,CN=Staple Probe Test Intermediate (from the served chain)');
    expect(section.some((l) => l.startsWith('Certificate: '))).toBe(false);
  });

  it("the RSA certificate staples the ECDSA one's response: critical for it alone, its certificate rows say so", async () => {
    const report = await probeOf([
      { v: '1.2', staple: goodEcdsa },
      { v: '1.2', staple: goodEcdsa },
      { v: '1.3', staple: goodEcdsa },
      ecdsa(goodEcdsa),
      ecdsa(goodEcdsa, '1.3'),
    ]);
    expect(headline(report)).toBe('OCSP stapling CRITICAL · RSA certificate 1001: staple is for another certificate; ECDSA certificate 1002: ok');
    const table = renderTable(report, STYLE);
    expect(table).toContain('RSA certificate 1001: no SingleResponse matches the certificate');
    // Two handshakes of one certificate with the same staple: counted, not repeated.
    expect(handshakeSection(table).find((l) => l.includes('│ RSA ') && l.includes('│ 1.2 '))).toMatch(/│ yes \(\w{8}\) ×2 +│/);
    expect(handshakeSection(table).some((l) => /│ CRITICAL: staple is for +│$/.test(l))).toBe(true);
  });

  it('the headline stays one line, with the stapling verdict when it differs', async () => {
    const report = await judge(
      evidence([{ v: '1.2', staple: good }, ecdsa(null)], { leaf: pki.leafRsa, chain: [pki.intermediate], authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    );
    const line = headline(report);
    expect(line).toBe(
      'OCSP stapling CRITICAL · RSA certificate 1001: certificate chain not trusted; ECDSA certificate 1002: certificate chain not trusted; stapling alone: WARNING',
    );
    expect(line).not.toContain('\n');
  });
});

describe('a merged report of several targets', () => {
  it('keeps its headline about the targets; the target with two certificates still gets its certificate rows', async () => {
    const two = await probeOf([{ v: '1.2', staple: good }, ecdsa(null)]);
    const ev = evidence([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, chain: [pki.intermediate] });
    const other = await judge({ ...ev, target: { input: 'other.test:443', host: 'other.test', port: 443, servername: 'other.test' } });
    const merged = mergeReports([two, other], NOW.toISOString());
    expect(headline(merged)).toMatch(/^OCSP stapling WARNING: the server's certificates disagree on stapling: /);
    const table = renderTable(merged, STYLE);
    expect(
      table
        .split('\n')
        .filter((l) => / (RSA|ECDSA) · serial /.test(l))
        .map((l) => l.split('│')[4]?.trim()),
    ).toEqual(['OK', 'WARNING: no OCSP staple']);
  });
});

describe('formatWhere', () => {
  it('names the certificate of each place when the places name more than one', () => {
    const at = { target: 'staple.test:443', address: '127.0.0.1' };
    expect(
      formatWhere([
        { ...at, keyType: 'RSA', serial: '1001', tlsVersion: '1.2', attempt: 1 },
        { ...at, keyType: 'ECDSA', serial: '1002', tlsVersion: '1.2', attempt: 1 },
      ]),
    ).toBe('staple.test:443 127.0.0.1 RSA 1001 TLS 1.2 #1; staple.test:443 127.0.0.1 ECDSA 1002 TLS 1.2 #1');
    // One certificate named: the message says which, the places need not.
    expect(formatWhere([{ ...at, keyType: 'RSA', serial: '1001', tlsVersion: '1.2', attempt: 2 }])).toBe('staple.test:443 127.0.0.1 TLS 1.2 #2');
  });
});
