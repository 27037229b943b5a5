/**
 * The live query over real HTTP on loopback: the testing kit's responder, hostile responders, AIA issuer
 * fetching, and one query per certificate however many handshakes (a real `openssl ocsp` responder:
 * test/openssl/live.test.ts).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { assess, collect, createCollectCache, parseTarget, probe, SignatureVerifier } from '@staple-probe/core';
import {
  buildErrorResponse,
  createPki,
  freePort,
  type Issued,
  issue,
  makeStaple,
  type Responder,
  requestFor,
  type StaplingServer,
  startResponder,
  startStaplingServer,
  type TestPki,
} from '@staple-probe/core/testing';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { argsOf, codes } from '../helpers.js';

const DAY = 86_400_000;
let pki: TestPki; // OCSP URL -> the kit's responder; caIssuers -> the AIA server
let hostilePki: TestPki; // OCSP URL -> the hostile server
let responder: Responder;
const statuses = new Map<string, { status: 'good' | 'revoked'; revokedAt?: Date; reason?: 'keyCompromise' }>();
const servers: StaplingServer[] = [];
const httpServers: Server[] = [];
let hostileMode = 'tryLater';
let aiaMode: 'der' | 'pem' | 'p7' = 'der';
let opts: { attempts: number; retryDelayMs: number; timeoutMs: number; extraCerts: Uint8Array[] };

async function listen(server: Server, port: number): Promise<void> {
  httpServers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
}

function pkcs7(certs: readonly Issued[]): Uint8Array {
  const signed = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' }),
    certificates: certs.map((c) => pkijs.Certificate.fromBER(c.der)),
  });
  const info = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signed.toSchema(true) });
  return new Uint8Array(info.toSchema().toBER());
}

async function hostile(res: ServerResponse): Promise<void> {
  const send = (status: number, type: string, body: Uint8Array | string) => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' ? body : Buffer.from(body));
  };
  switch (hostileMode) {
    case 'drip': {
      res.writeHead(200, { 'content-type': 'application/ocsp-response' });
      const timer = setInterval(() => res.write(Buffer.from([0x30])), 1000);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case 'huge':
      res.writeHead(200, { 'content-type': 'application/ocsp-response' });
      for (let i = 0; i < 160 && !res.destroyed; i++) res.write(Buffer.alloc(64 * 1024, 0x41));
      return void res.end();
    case 'html':
      return send(200, 'text/html', '<html><body>Please log in to the network</body></html>');
    case 'tryLater':
      return send(200, 'application/ocsp-response', buildErrorResponse('tryLater'));
    case 'unauthorized':
      return send(200, 'application/ocsp-response', buildErrorResponse('unauthorized'));
    case 'garbage':
      return send(200, 'application/ocsp-response', new Uint8Array([0x30, 0x82, 0x10, 0x00, 1, 2, 3]));
    case 'reset':
      return void res.socket?.destroy();
    case 'loop':
      res.writeHead(302, { location: '/ocsp/again' });
      return void res.end();
    case 'error500':
      return send(500, 'text/plain', 'internal error');
  }
}

beforeAll(async () => {
  const [responderPort, hostilePort, aiaPort] = [await freePort(), await freePort(), await freePort()];
  pki = await createPki({ ocspUrl: `http://127.0.0.1:${responderPort}/ocsp`, caIssuersUrl: `http://127.0.0.1:${aiaPort}/intermediate` });
  hostilePki = await createPki({ ocspUrl: `http://127.0.0.1:${hostilePort}/ocsp` });
  statuses.set('1001', { status: 'good' });
  statuses.set('1002', { status: 'revoked', revokedAt: new Date(Date.now() - DAY), reason: 'keyCompromise' });
  statuses.set('1003', { status: 'good' });
  responder = await startResponder({ issuer: pki.intermediate, statuses, port: responderPort });
  await listen(
    createServer((_req, res) => void hostile(res)),
    hostilePort,
  );
  await listen(
    createServer((_req, res) => {
      const body = aiaMode === 'der' ? pki.intermediate.der : aiaMode === 'pem' ? pki.intermediate.pem : pkcs7([pki.intermediate]);
      res.writeHead(200, { 'content-type': aiaMode === 'p7' ? 'application/pkcs7-mime' : 'application/pkix-cert' });
      res.end(typeof body === 'string' ? body : Buffer.from(body));
    }),
    aiaPort,
  );
  opts = { attempts: 2, retryDelayMs: 20, timeoutMs: 5000, extraCerts: [pki.root.der, hostilePki.root.der] };
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await responder.close();
  for (const s of httpServers) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(cert: Issued, staple: Uint8Array | null, chain: Issued[], host = '127.0.0.1'): Promise<StaplingServer> {
  const server = await startStaplingServer({ cert, chain, staple, host });
  servers.push(server);
  return server;
}

describe('live query against the testing kit responder', () => {
  it('2 addresses x 2 TLS versions x 2 attempts: exactly one live request, and the staple agrees', async () => {
    const server = await serve(pki.leafRsa, await makeStaple(pki, 'good', { now: new Date() }), [pki.intermediate], '::');
    const resolver = async () => [
      { address: '127.0.0.1', family: 4 as const },
      { address: '::1', family: 6 as const },
    ];
    const before = responder.requests();
    const report = await probe(`localhost:${server.port}`, { ...opts, resolver });
    expect(responder.requests() - before).toBe(1);
    expect(codes(report)).toEqual([]);
    expect(report.targets[0]?.addresses.map((a) => a.address)).toEqual(['127.0.0.1', '::1']);
    expect(report.targets[0]?.addresses.every((a) => a.attempts.filter((t) => t.offer === 'default').length === 4)).toBe(true);
    const live = report.targets[0]?.live ?? [];
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ valid: true, certStatus: 'good', method: 'GET', httpStatus: 200, leafSerial: '1001' });
  });

  it('several targets serving the same certificate share one live request through the run cache', async () => {
    const server = await serve(pki.leafRsa, await makeStaple(pki, 'good', { now: new Date() }), [pki.intermediate]);
    const cache = createCollectCache();
    const verifier = new SignatureVerifier();
    const before = responder.requests();
    await probe(server.target, { ...opts, cache, verifier });
    await probe(server.target, { ...opts, cache, verifier, servername: 'localhost' });
    expect(responder.requests() - before).toBe(1);
  });

  it('the server staples "good" but the CA says revoked -> critical', async () => {
    const server = await serve(pki.leafEcdsa, await makeStaple(pki, 'good', { now: new Date(), leaf: pki.leafEcdsa }), [pki.intermediate]);
    const report = await probe(server.target, opts);
    expect(codes(report)).toEqual(['COMPARE_STAPLE_GOOD_LIVE_REVOKED', 'LIVE_REVOKED']);
    expect(report.verdict).toBe('critical');
  });

  it('no staple while the responder works -> warn, and the finding says the server could fetch', async () => {
    const server = await serve(pki.leafRsa, null, [pki.intermediate]);
    const report = await probe(server.target, opts);
    expect(codes(report)).toEqual(['STAPLE_MISSING']);
    expect(report.findings[0]?.args).toEqual({ liveResponder: 'ok' });
  });

  it('a stale staple (6 days behind the CA) -> warn COMPARE_STAPLE_STALE', async () => {
    const server = await serve(pki.leafRsa, await makeStaple(pki, 'expiring', { now: new Date() }), [pki.intermediate]);
    const report = await probe(server.target, opts);
    expect(codes(report)).toEqual(['COMPARE_STAPLE_STALE', 'STAPLE_EXPIRING']);
    expect(report.verdict).toBe('warn');
  });

  it('probe() without a verifier still checks each signature once: the staple, the live answer, the leaf', async () => {
    const server = await serve(pki.leafRsa, await makeStaple(pki, 'good', { now: new Date() }), [pki.intermediate]);
    const spy = vi.spyOn(globalThis.crypto.subtle, 'verify');
    try {
      const report = await probe(server.target, { ...opts, attempts: 2 });
      expect(report.verdict).toBe('ok');
      expect(report.targets[0]?.live.map((l) => l.certStatus)).toEqual(['good']);
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  it('--no-live: no request, no live section', async () => {
    const server = await serve(pki.leafRsa, await makeStaple(pki, 'good', { now: new Date() }), [pki.intermediate]);
    const before = responder.requests();
    const report = await probe(server.target, { ...opts, live: false });
    expect(responder.requests() - before).toBe(0);
    expect(report.targets[0]?.live).toEqual([]);
  });

  it('a certificate without an OCSP URL and without a staple is ok, not applicable', async () => {
    const server = await serve(pki.leafNoOcsp, null, [pki.intermediate]);
    const report = await probe(server.target, opts);
    expect(codes(report)).toEqual(['CERT_NO_OCSP_URL']);
    expect(report.verdict).toBe('ok');
  });

  it('preproduce: answers are signed once at start and served as they are; without it, each is signed when asked', async () => {
    let clock = new Date('2026-06-01T00:00:00Z');
    const now = () => clock;
    const port = await freePort();
    const kit = await startResponder({ issuer: pki.intermediate, statuses, port, now, preproduce: true });
    const live = await startResponder({ issuer: pki.intermediate, statuses, port: await freePort(), now });
    try {
      const ask = async (url: string, serialIssued: Issued) => {
        const request = Buffer.from(requestFor(serialIssued, pki.intermediate)).toString('base64');
        const res = await fetch(`${url}/${encodeURIComponent(request)}`);
        const basic = pkijs.BasicOCSPResponse.fromBER(
          pkijs.OCSPResponse.fromBER(new Uint8Array(await res.arrayBuffer())).responseBytes?.response.valueBlock.valueHexView ?? new Uint8Array(),
        );
        return { producedAt: basic.tbsResponseData.producedAt.toISOString(), status: basic.tbsResponseData.responses[0]?.certStatus.idBlock.tagNumber };
      };
      const revoked = await issue({
        issuer: pki.intermediate,
        subject: 'CN=revoked.test',
        serial: '1002',
        dnsNames: ['revoked.test'],
        keys: pki.leafRsa.keys,
        notBefore: new Date('2026-01-01T00:00:00Z'),
        notAfter: new Date('2027-01-01T00:00:00Z'),
      });
      clock = new Date('2026-06-01T05:00:00Z');
      // Pre-produced at start (00:00), statuses as they were then: good (tag 0) and revoked (tag 1).
      expect(await ask(kit.url, pki.leafRsa)).toEqual({ producedAt: '2026-06-01T00:00:00.000Z', status: 0 });
      expect(await ask(kit.url, revoked)).toEqual({ producedAt: '2026-06-01T00:00:00.000Z', status: 1 });
      // A serial it does not list is still answered when asked (unknown, tag 2), at the clock's time.
      const other = await issue({
        issuer: pki.intermediate,
        subject: 'CN=other.test',
        serial: '4242',
        dnsNames: ['other.test'],
        keys: pki.leafRsa.keys,
        notBefore: new Date('2026-01-01T00:00:00Z'),
        notAfter: new Date('2027-01-01T00:00:00Z'),
      });
      expect(await ask(kit.url, other)).toEqual({ producedAt: '2026-06-01T05:00:00.000Z', status: 2 });
      expect(kit.requests()).toBe(3);
      // Without preproduce the answer follows the clock.
      expect(await ask(live.url, pki.leafRsa)).toEqual({ producedAt: '2026-06-01T05:00:00.000Z', status: 0 });
    } finally {
      await kit.close();
      await live.close();
    }
  });
});

describe('issuer from AIA caIssuers when the server sends no chain', () => {
  for (const mode of ['der', 'pem', 'p7'] as const) {
    it(`${mode}: the issuer is fetched, the staple verified, and the incomplete chain reported`, async () => {
      aiaMode = mode;
      const server = await serve(pki.leafRsa, await makeStaple(pki, 'good', { now: new Date() }), []);
      const report = await probe(server.target, opts);
      expect(codes(report)).toEqual(['CERT_CHAIN_INCOMPLETE']);
      expect(report.targets[0]?.issuerSource).toBe('aia');
      expect(report.verdict).toBe('warn');
      expect(report.staplingVerdict).toBe('ok');
    });
  }
});

describe('issuer from --ca-file when the server sends no chain', () => {
  it('the ca-file intermediate is used for the live query and the staple; nothing is fetched from AIA', async () => {
    const server = await serve(pki.leafRsa, await makeStaple(pki, 'good', { now: new Date() }), []);
    const before = responder.requests();
    const evidence = await collect(parseTarget(server.target), { ...opts, extraCerts: [...opts.extraCerts, pki.intermediate.der] });
    expect(evidence.issuerFetches).toEqual([]);
    expect(evidence.live?.length).toBe(1);
    expect(responder.requests() - before).toBe(1);
    const report = await assess(evidence, { now: new Date() });
    expect(report.targets[0]?.issuerSource).toBe('ca-file');
    expect(report.targets[0]?.live.map((l) => l.certStatus)).toEqual(['good']);
    expect(report.staplingVerdict).toBe('ok');
  });
});

describe('hostile responders: each outcome its own finding, never critical with a good staple', () => {
  const cases: [string, string][] = [
    ['html', 'LIVE_NOT_OCSP'],
    ['tryLater', 'LIVE_ERROR_STATUS'],
    ['unauthorized', 'LIVE_ERROR_STATUS'],
    ['garbage', 'LIVE_MALFORMED'],
    ['reset', 'LIVE_UNREACHABLE'],
    ['loop', 'LIVE_REDIRECT_REFUSED'],
    ['error500', 'LIVE_HTTP_ERROR'],
    ['huge', 'LIVE_TOO_LARGE'],
  ];
  for (const [mode, code] of cases) {
    it(`${mode} -> ${code}, verdict warn`, async () => {
      hostileMode = mode;
      const server = await serve(hostilePki.leafRsa, await makeStaple(hostilePki, 'good', { now: new Date() }), [hostilePki.intermediate]);
      const report = await probe(server.target, opts);
      expect(codes(report)).toEqual([code]);
      expect(report.verdict).toBe('warn');
    });
  }

  it('unauthorized is told apart from tryLater by its status', async () => {
    hostileMode = 'unauthorized';
    const server = await serve(hostilePki.leafRsa, await makeStaple(hostilePki, 'good', { now: new Date() }), [hostilePki.intermediate]);
    const report = await probe(server.target, opts);
    expect(report.findings[0]?.args).toMatchObject({ status: 'unauthorized', statusCode: 6 });
  });

  it('a responder dripping one byte a second ends at the deadline (+10%)', async () => {
    hostileMode = 'drip';
    const server = await serve(hostilePki.leafRsa, await makeStaple(hostilePki, 'good', { now: new Date() }), [hostilePki.intermediate]);
    const report = await probe(server.target, { ...opts, http: { timeoutMs: 1500 } });
    expect(codes(report)).toEqual(['LIVE_TIMEOUT']);
    const live = report.targets[0]?.live[0];
    expect(live?.error?.kind).toBe('timeout');
    expect(live?.durationMs).toBeLessThanOrEqual(1500 * 1.1);
  });

  it('a closed responder port -> LIVE_UNREACHABLE', async () => {
    const port = await freePort();
    const leaf = await issue({
      issuer: hostilePki.intermediate,
      subject: 'CN=localhost',
      serial: '1020',
      dnsNames: ['localhost'],
      ocspUrls: [`http://127.0.0.1:${port}/ocsp`],
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
    });
    const server = await serve(leaf, await makeStaple(hostilePki, 'good', { now: new Date(), leaf }), [hostilePki.intermediate]);
    const report = await probe(server.target, opts);
    expect(codes(report)).toEqual(['LIVE_UNREACHABLE']);
    expect(argsOf(report.findings[0], 'LIVE_UNREACHABLE')?.message).toMatch(/ECONNREFUSED/);
  });
});

describe('the request itself', () => {
  it('is a valid OCSPRequest with a SHA-1 CertID for the certificate', () => {
    const req = requestFor(pki.leafRsa, pki.intermediate);
    const parsed = pkijs.OCSPRequest.fromBER(req);
    const certId = parsed.tbsRequest.requestList[0]?.reqCert;
    expect(certId?.hashAlgorithm.algorithmId).toBe('1.3.14.3.2.26');
    expect(Buffer.from(certId?.serialNumber.valueBlock.valueHexView ?? []).toString('hex')).toBe('1001');
    expect(new asn1js.OctetString().idBlock.tagNumber).toBe(4);
  });
});
