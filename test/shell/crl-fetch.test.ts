/**
 * Issue #22, the fetching half: each certificate's CRL (http and https distribution points) is downloaded
 * once per URL per run, beside the handshakes, with the CRL bounds; `crl: false` fetches nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collect, createCollectCache, parseTarget } from '@staple-probe/core';
import { createPki, issue, type StaplingServer, startStaplingServer, type TestPki } from '@staple-probe/core/testing';
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
    crlUrls: [`${base}/a.crl`, 'ldap://ldap.example.test/cn=CRL', `${base}/big.crl`],
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
  it('fetches each http distribution point once per run, leaves ldap: alone, and keeps the bytes as evidence', async () => {
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
