/**
 * Hostile responders, issuer URLs and CRL distribution points over HTTP, beyond the live-query suite (test/shell/live.test.ts): gzip
 * bombs, chunked bodies that never end or never stop, redirects to other schemes and in loops, and a
 * caIssuers URL serving 50 MiB. Every probe ends at the HTTP deadline (plus up to 2.5 s of scheduling on a loaded machine), gives a clear finding, and
 * holds no more than the body cap: RSS growth stays small. Figures go to .tmp/hostile-http.json.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { probe, type Report } from '@staple-probe/core';
import { createPki, type Issued, issue, makeStaple, type StaplingServer, startStaplingServer, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, type HostileCase, reportHostileCases, withPeakRss } from '../helpers.js';

const DAY = 86_400_000;
const MiB = 1024 * 1024;
const HTTP_DEADLINE_MS = 1500;
const RSS_BOUND_MiB = 32;

let pki: TestPki;
let base = '';
let server: Server;
const staplers: StaplingServer[] = [];
const results: HostileCase[] = [];

/** 8 MiB of zeros, gzipped to ~8 KiB: under the 64 KiB body cap, so only not inflating it keeps memory small. */
const bomb = gzipSync(Buffer.alloc(8 * MiB));

/** 50 MiB in 1 MiB writes, as fast as the client reads, stopping when it goes away. */
function send50MiB(res: ServerResponse): void {
  const chunk = Buffer.alloc(MiB, 0x30);
  let sent = 0;
  const pump = () => {
    while (!res.destroyed && sent < 50 && res.write(chunk)) sent++;
    if (sent >= 50) return void res.end();
    if (!res.destroyed) {
      res.once('drain', () => {
        sent++;
        pump();
      });
    }
  };
  pump();
}

function hostile(req: IncomingMessage, res: ServerResponse): void {
  const mode = (req.url ?? '/').split('/')[1];
  res.on('error', () => {});
  switch (mode) {
    case 'gzip-bomb':
      res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-encoding': 'gzip', 'content-length': bomb.length });
      return void res.end(bomb);
    case 'chunked-stall':
      // Headers and one chunk, then nothing: no terminating chunk, ever.
      res.writeHead(200, { 'content-type': 'application/ocsp-response' });
      return void res.write(Buffer.from([0x30, 0x82]));
    case 'chunked-endless': {
      res.writeHead(200, { 'content-type': 'application/ocsp-response' });
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      return pump();
    }
    case 'headers-never':
      return; // accepts the request and never answers
    case 'redirect-file':
      res.writeHead(302, { location: 'file:///etc/passwd' });
      return void res.end();
    case 'redirect-gopher':
      res.writeHead(301, { location: 'gopher://127.0.0.1:70/1' });
      return void res.end();
    case 'redirect-loop':
      res.writeHead(307, { location: req.url ?? '/' });
      return void res.end();
    case 'ca-50mib-length':
      res.writeHead(200, { 'content-type': 'application/pkix-cert', 'content-length': 50 * MiB });
      return send50MiB(res);
    case 'ca-50mib-chunked':
      res.writeHead(200, { 'content-type': 'application/pkix-cert' });
      return send50MiB(res);
    case 'crl-2gib-length':
      // Announces 2 GiB and starts sending: refused on the header, before a byte is kept.
      res.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': 2 * 1024 * MiB });
      return send50MiB(res);
    case 'crl-drip': {
      // One byte a second, forever.
      res.writeHead(200, { 'content-type': 'application/pkix-crl' });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(Buffer.from([0x30]))), 1000);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case 'ca-gzip-bomb':
      res.writeHead(200, { 'content-type': 'application/pkix-cert', 'content-encoding': 'gzip', 'content-length': bomb.length });
      return void res.end(bomb);
    default:
      res.writeHead(404);
      res.end();
  }
}

beforeAll(async () => {
  pki = await createPki();
  server = createServer(hostile);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all(staplers.map((s) => s.close()));
  server.closeAllConnections();
  server.close();
  reportHostileCases('hostile HTTP', 'hostile-http.json', results);
});

let serial = 0x3000;
async function leafFor(urls: { ocsp?: string; caIssuers?: string; crl?: string }): Promise<Issued> {
  serial++;
  return issue({
    issuer: pki.intermediate,
    subject: 'CN=localhost',
    serial: serial.toString(16),
    dnsNames: ['localhost'],
    ...(urls.ocsp ? { ocspUrls: [urls.ocsp] } : {}),
    ...(urls.caIssuers ? { caIssuers: [urls.caIssuers] } : {}),
    ...(urls.crl ? { crlUrls: [urls.crl] } : {}),
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
  });
}

/** Probe a stapling server for `leaf` (one handshake), timing the HTTP part against its deadline, sampling RSS. */
/** What a busy machine may add between a deadline's timer and the report. */
const SCHEDULING_SLACK_MS = 2500;

async function measured(name: string, leaf: Issued, chain: Issued[]): Promise<Report> {
  const stapler = await startStaplingServer({ cert: leaf, chain, staple: await makeStaple(pki, 'good', { now: new Date(), leaf }) });
  staplers.push(stapler);
  const {
    result: report,
    elapsedMs,
    rssGrowthMiB,
  } = await withPeakRss(() =>
    probe(stapler.target, {
      attempts: 1,
      tlsVersions: ['1.3'],
      httpHead: false,
      timeoutMs: 5000,
      extraCerts: [pki.root.der],
      servername: 'localhost',
      http: { timeoutMs: HTTP_DEADLINE_MS },
      // The CRL downloads get the same deadline here, and a cap of 4 MiB (the default, 128 MiB, is for real CRLs).
      crlHttp: { timeoutMs: HTTP_DEADLINE_MS, maxBytes: 4 * MiB },
    }),
  );
  const handshakeMs = report.targets[0]?.addresses[0]?.attempts[0]?.durationMs ?? 0;
  // The HTTP exchanges run after (or during) the one handshake: the whole probe is bounded by both deadlines.
  const deadlineMs = HTTP_DEADLINE_MS;
  const httpMs = Math.max(0, elapsedMs - handshakeMs);
  results.push({ name, deadlineMs, elapsedMs, overrun: Math.max(0, httpMs / deadlineMs - 1), rssGrowthMiB, findings: codes(report) });
  // A hostile peer that beat the deadline would hold the probe for ever (or for its whole drip): the bound is the
  // deadline plus the time a loaded machine takes to get back to the timer and judge (10 % was too little at a
  // load average of 8-9 on 2 cores: 2.3-3.4 s for a 1.5 s deadline, twice in a day).
  expect(httpMs).toBeLessThanOrEqual(deadlineMs + SCHEDULING_SLACK_MS);
  expect(rssGrowthMiB).toBeLessThan(RSS_BOUND_MiB);
  return report;
}

describe('hostile OCSP responders (the live query): a LIVE_* finding, never critical with a good staple', () => {
  const cases: [string, string, RegExp][] = [
    ['gzip-bomb', 'LIVE_MALFORMED', /./],
    ['chunked-stall', 'LIVE_TIMEOUT', /within 1500 ms/],
    ['chunked-endless', 'LIVE_TOO_LARGE', /65536-byte limit/],
    ['headers-never', 'LIVE_TIMEOUT', /within 1500 ms/],
    ['redirect-file', 'LIVE_REDIRECT_REFUSED', /file:\/\/\/etc\/passwd is not an http/],
    ['redirect-gopher', 'LIVE_REDIRECT_REFUSED', /gopher:/],
    ['redirect-loop', 'LIVE_REDIRECT_REFUSED', /more than 3 redirects/],
  ];
  for (const [mode, code, message] of cases) {
    it(`${mode} -> ${code}`, async () => {
      const leaf = await leafFor({ ocsp: `${base}/${mode}/ocsp` });
      const report = await measured(`live: ${mode}`, leaf, [pki.intermediate]);
      expect(codes(report)).toEqual([code]);
      expect(report.verdict).toBe('warn');
      // LIVE_MALFORMED has no message arg: the pattern is then read from the live report's error alone.
      const args: Readonly<Record<string, unknown>> | undefined = report.findings[0]?.args;
      expect(`${args?.message ?? ''} ${report.targets[0]?.live[0]?.error?.message ?? ''}`).toMatch(message);
    });
  }

  it('the gzip bomb is never inflated: the body kept is the compressed bytes, within the cap', async () => {
    const leaf = await leafFor({ ocsp: `${base}/gzip-bomb/ocsp` });
    const report = await measured('live: gzip-bomb (inflation check)', leaf, [pki.intermediate]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(report.findings[0]).toMatchObject({ code: 'LIVE_MALFORMED', args: { length: bomb.length } });
  });
});

describe('hostile caIssuers URLs (the server sends no intermediate, so the issuer must be fetched)', () => {
  const cases: [string, RegExp][] = [
    ['ca-50mib-length', /52428800 bytes, more than the 65536-byte limit/],
    ['ca-50mib-chunked', /exceeds the 65536-byte limit/],
    ['ca-gzip-bomb', /no certificate/],
    ['redirect-file', /not an http/],
    ['redirect-loop', /more than 3 redirects/],
  ];
  for (const [mode, message] of cases) {
    it(`${mode} -> CERT_ISSUER_FETCH_FAILED; the staple's signature is left unchecked, not judged wrong`, async () => {
      const leaf = await leafFor({ ocsp: `${base}/headers-never/ocsp`, caIssuers: `${base}/${mode}/issuer.der` });
      const report = await measured(`caIssuers: ${mode}`, leaf, []);
      // Without the issuer, neither the signature nor the certID's issuer hashes can be checked.
      expect(codes(report)).toEqual(['CERT_ISSUER_FETCH_FAILED', 'CERT_UNTRUSTED', 'LIVE_NOT_QUERIED', 'SIGNER_NOT_CHECKED', 'STAPLE_CERTID_NOT_CHECKED']);
      const failed = report.findings.find((f) => f.code === 'CERT_ISSUER_FETCH_FAILED');
      expect(failed?.args.url).toBe(`${base}/${mode}/issuer.der`);
      expect(failed?.args.reason).toMatch(message);
    });
  }
});

describe('hostile CRL distribution points (issue #22): a CRL_* finding within the deadline, memory bounded', () => {
  const cases: [string, string, RegExp][] = [
    ['crl-2gib-length', 'CRL_TOO_LARGE', /2147483648 bytes, more than the 4194304-byte limit/],
    ['chunked-endless', 'CRL_TOO_LARGE', /exceeds the 4194304-byte limit/],
    ['ca-50mib-chunked', 'CRL_TOO_LARGE', /exceeds the 4194304-byte limit/],
    ['crl-drip', 'CRL_TIMEOUT', /no complete answer within 1500 ms/],
    ['headers-never', 'CRL_TIMEOUT', /no complete answer within 1500 ms/],
    ['redirect-loop', 'CRL_UNREACHABLE', /more than 3 redirects/],
    ['redirect-file', 'CRL_UNREACHABLE', /not an http/],
    // Sent gzipped although nothing asked for it: kept as the compressed bytes (never inflated), which are no CRL.
    ['gzip-bomb', 'CRL_NOT_A_CRL', /./],
  ];
  for (const [mode, code, message] of cases) {
    it(`${mode} -> ${code}`, async () => {
      const leaf = await leafFor({ crl: `${base}/${mode}/int.crl` });
      const report = await measured(`crl: ${mode}`, leaf, [pki.intermediate]);
      const finding = report.findings.find((f) => f.code === code);
      expect(finding, codes(report).join()).toBeDefined();
      expect(JSON.stringify(finding?.args)).toMatch(message);
      expect(report.targets[0]?.certificates[0]?.crls[0]?.status).not.toBe('not-listed');
    });
  }
});
