/**
 * Issue #22, the fetching half: each certificate's CRL (http and https distribution points) is downloaded
 * once per URL per run, beside the handshakes, with the CRL bounds; `crl: false` fetches nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collect, createCollectCache, parseTarget, probe, type Report } from '@staple-probe/core';
import { buildCrl, createPki, issue, type StaplingServer, startStaplingServer, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let pki: TestPki;
let http: Server;
let tls: StaplingServer;
let requests = 0;
const CRL_BODY = new Uint8Array(5000).fill(7);

beforeAll(async () => {
  http = createServer((req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/pkix-crl' });
    res.end(req.url === '/big.crl' ? Buffer.alloc(70_000) : Buffer.from(CRL_BODY));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  pki = await createPki();
  const day = 86_400_000;
  const leaf = await issue({
    subject: 'CN=localhost',
    serial: '3001',
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 30 * day),
    issuer: pki.intermediate,
    dnsNames: ['localhost'],
    // The first named twice (it is fetched and reported once).
    crlUrls: [`${base}/a.crl`, 'ldap://ldap.example.test/cn=CRL', `${base}/big.crl`, `${base}/a.crl`],
  });
  tls = await startStaplingServer({ cert: leaf, chain: [pki.intermediate], staple: null });
});

afterAll(async () => {
  await tls.close();
  http.closeAllConnections();
  http.close();
});

const base = () => ({ attempts: 1, retryDelayMs: 0, tlsVersions: ['1.3'] as const, keyTypes: 'default' as const, httpHead: false, live: false });

describe('CRL downloads', () => {
  it('fetches each http distribution point once per run (and once when named twice), leaves ldap: alone, keeps the bytes', async () => {
    const cache = createCollectCache();
    const before = requests;
    const first = await collect(parseTarget(tls.target), { ...base(), cache, crlHttp: { maxBytes: 64 * 1024 } });
    const second = await collect(parseTarget(tls.target), { ...base(), cache, crlHttp: { maxBytes: 64 * 1024 } });
    expect(requests - before).toBe(2);
    for (const evidence of [first, second]) {
      expect((evidence.crls ?? []).map((c) => c.url.replace(/^http:\/\/127\.0\.0\.1:\d+/, ''))).toEqual(['/a.crl', '/big.crl']);
      const [small, big] = evidence.crls ?? [];
      expect(small?.exchange.ok && small.exchange.body).toEqual(CRL_BODY);
      // Its own size cap: the 70,000-byte body is over the 64 KiB given here.
      expect(big?.exchange.ok === false && big.exchange.error.kind).toBe('too-large');
    }
  });

  it('crl: false fetches nothing and says so', async () => {
    const before = requests;
    const evidence = await collect(parseTarget(tls.target), { ...base(), crl: false });
    expect(requests - before).toBe(0);
    expect(evidence.crls).toBeUndefined();
    expect(evidence.crlDisabled).toBe(true);
  });
});

describe('revocation by CRL, end to end (a stapling server, a CRL served over http)', () => {
  it('a certificate with only a CRL distribution point: listed -> critical CRL_REVOKED; not listed -> ok with CRL_NOT_LISTED', async () => {
    const day = 86_400_000;
    const serve = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/pkix-crl' });
      res.end(Buffer.from(req.url === '/listed.crl' ? listed : clean));
    });
    await new Promise<void>((r) => serve.listen(0, '127.0.0.1', () => r()));
    const origin = `http://127.0.0.1:${(serve.address() as AddressInfo).port}`;
    const leafFor = (serial: string, path: string) =>
      issue({
        subject: 'CN=localhost',
        serial,
        notBefore: new Date(Date.now() - day),
        notAfter: new Date(Date.now() + 30 * day),
        issuer: pki.intermediate,
        dnsNames: ['localhost'],
        crlUrls: [`${origin}${path}`],
      });
    const revokedLeaf = await leafFor('3101', '/listed.crl');
    const cleanLeaf = await leafFor('3102', '/clean.crl');
    const now = Date.now();
    const spec = { issuer: pki.intermediate, thisUpdate: new Date(now - day), nextUpdate: new Date(now + 6 * day) };
    const listed = await buildCrl({ ...spec, entries: [{ serial: '3101', revocationDate: new Date(now - 2 * day), reason: 'keyCompromise' }] });
    const clean = await buildCrl(spec);
    const servers = await Promise.all([revokedLeaf, cleanLeaf].map((cert) => startStaplingServer({ cert, chain: [pki.intermediate], staple: null })));
    try {
      const opts = { ...base(), extraCerts: [pki.root.der] };
      const [revoked, fine] = (await Promise.all(servers.map((s) => probe(s.target, opts)))) as [Report, Report];
      expect(revoked.findings.map((f) => f.code).sort()).toEqual(['CERT_NO_OCSP_URL', 'CRL_REVOKED']);
      expect([revoked.verdict, revoked.staplingVerdict]).toEqual(['critical', 'ok']);
      expect(fine.findings.map((f) => f.code).sort()).toEqual(['CERT_NO_OCSP_URL', 'CRL_NOT_LISTED']);
      expect(fine.verdict).toBe('ok');
      expect(fine.targets[0]?.certificates[0]?.crls[0]).toMatchObject({ status: 'not-listed', entries: 0 });
      const off = await probe(servers[0]?.target ?? '', { ...opts, crl: false });
      expect(off.findings.map((f) => f.code).sort()).toEqual(['CERT_NO_OCSP_URL', 'CRL_NOT_CHECKED']);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      serve.closeAllConnections();
      serve.close();
    }
  });
});
