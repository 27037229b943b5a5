/**
 * End to end over real TLS on loopback: Node stapling servers (the testing kit) probed on TLS 1.2 and 1.3.
 */
import { createHash } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { assess, collect, parseTarget, probe, type Report } from '@staple-probe/core';
import { createPki, issue, makeStaple, type StapleScenario, type StaplingServer, startStaplingServer, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argsOf, codes } from '../helpers.js';
import { createServer as tlsCreateServer } from 'node:tls';

let pki: TestPki;
const servers: StaplingServer[] = [];
const raw: Server[] = [];
// Trust the test root; the live query has its own suite (live.test.ts).
let fast: { attempts: number; retryDelayMs: number; timeoutMs: number; extraCerts: Uint8Array[]; live: false };

async function serve(staple: Uint8Array | null, extra: Partial<Parameters<typeof startStaplingServer>[0]> = {}): Promise<StaplingServer> {
  const server = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple, ...extra });
  servers.push(server);
  return server;
}

async function rawServer(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    // The probe may reset the connection after the server's last word: that is the test's peer, not a failure.
    socket.on('error', () => {});
    onConnection(socket);
  });
  raw.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  pki = await createPki();
  fast = { attempts: 2, retryDelayMs: 20, timeoutMs: 5000, extraCerts: [pki.root.der], live: false };
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const s of raw) s.close();
});

const ROWS: [StapleScenario, Report['verdict'], string[]][] = [
  ['good', 'ok', []],
  ['good-delegate', 'ok', []],
  ['expired', 'critical', ['STAPLE_EXPIRED']],
  ['future', 'critical', ['STAPLE_NOT_YET_VALID', 'STAPLE_PRODUCED_BEFORE_THIS_UPDATE']],
  ['expiring', 'warn', ['STAPLE_EXPIRING']],
  ['no-next-update', 'warn', ['STAPLE_NO_NEXT_UPDATE']],
  ['revoked', 'critical', ['STAPLE_REVOKED']],
  ['unknown', 'critical', ['STAPLE_STATUS_UNKNOWN']],
  ['try-later', 'critical', ['STAPLE_ERROR_STATUS']],
  ['wrong-cert', 'critical', ['STAPLE_CERTID_MISMATCH']],
  ['bad-signature', 'critical', ['SIGNER_BAD_SIGNATURE']],
  ['delegate-no-eku', 'critical', ['SIGNER_DELEGATE_NO_EKU']],
  ['foreign-delegate', 'critical', ['SIGNER_DELEGATE_FOREIGN']],
  ['malformed', 'critical', ['STAPLE_MALFORMED']],
  ['trailing-garbage', 'critical', ['STAPLE_TRAILING_DATA']],
];

describe('stapling servers over TLS 1.2 and TLS 1.3', () => {
  for (const tls of ['1.2', '1.3'] as const) {
    for (const [scenario, verdict, expected] of ROWS) {
      it(`TLS ${tls}, staple ${scenario} -> ${verdict}`, async () => {
        const server = await serve(await makeStaple(pki, scenario, { now: new Date() }));
        const report = await probe(server.target, { ...fast, tlsVersions: [tls] });
        expect(codes(report)).toEqual([...expected].sort());
        expect(report.verdict).toBe(verdict);
        const all = report.targets[0]?.addresses[0]?.attempts ?? [];
        const attempts = all.filter((a) => a.offer === 'default');
        expect(attempts.map((a) => a.protocol)).toEqual([`TLSv${tls}`, `TLSv${tls}`]);
        // An RSA certificate only: the RSA offer gets it again, the ECDSA one is refused (and is no finding).
        expect(all.filter((a) => a.offer !== 'default').map((a) => `${a.offer}:${a.ok}`)).toEqual(['rsa:true', 'ecdsa:false']);
        expect(attempts.every((a) => a.staple !== null)).toBe(true);
        expect(attempts[0]?.chain.map((c) => c.serial)).toEqual(['1001', '02']);
      });
    }
  }

  it('every attempt is a full handshake: the server is asked for a staple each time', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }));
    await probe(server.target, { attempts: 3, retryDelayMs: 0, keyTypes: 'default' });
    expect(server.stapleRequests.get('')).toBe(6);
  });

  it('no staple at all -> warn STAPLE_MISSING', async () => {
    const server = await serve(null);
    const report = await probe(server.target, fast);
    expect(codes(report)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
  });

  it('must-staple certificate without a staple -> critical', async () => {
    const server = await serve(null, { cert: pki.leafMustStaple });
    const report = await probe(server.target, fast);
    expect(codes(report)).toEqual(['CERT_MUST_STAPLE', 'STAPLE_MISSING_MUST_STAPLE']);
    expect(report.verdict).toBe('critical');
  });

  it('lazy server: no staple on the first handshake, then one -> ok with a note', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }), { lazyHandshakes: 1 });
    const report = await probe(server.target, { ...fast, attempts: 3 });
    expect(codes(report)).toEqual(['STAPLE_LAZY']);
    expect(report.verdict).toBe('ok');
    expect(report.findings[0]?.where).toEqual([{ target: server.target, address: '127.0.0.1', tlsVersion: '1.2', attempt: 2 }]);
  });

  it('a server without TLS 1.3 -> a note, and the TLS 1.2 staple is judged', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }), { maxVersion: 'TLSv1.2' });
    const report = await probe(server.target, fast);
    expect(codes(report)).toEqual(['TLS_VERSION_UNSUPPORTED']);
    expect(report.verdict).toBe('ok');
  });

  it('IPv6 loopback: [::1]:port', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }), { host: '::1' });
    const report = await probe(server.target, fast);
    expect(report.verdict).toBe('ok');
    expect(report.targets[0]?.addresses.map((a) => [a.address, a.family])).toEqual([['::1', 6]]);
    expect(report.targets[0]?.target.servername).toBeNull();
  });
});

describe('SNI', () => {
  it('the named vhost staples and the default server does not: the probe shows both', async () => {
    const named = await makeStaple(pki, 'good', { now: new Date(), leaf: pki.leafRsa });
    // Same key type as the named vhost: Node's TLS 1.3 keeps the default certificate when SNI switches to
    // a context with another key type (seen with an ECDSA default and an RSA vhost).
    const fallback = await issue({
      issuer: pki.intermediate,
      subject: 'CN=default.test',
      serial: '1005',
      dnsNames: ['default.test'],
      ocspUrls: ['http://127.0.0.1:8080/ocsp'],
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 86_400_000 * 30),
    });
    const server = await serve(null, {
      cert: fallback,
      sni: { 'staple.test': { cert: pki.leafRsa, chain: [pki.intermediate], staple: named } },
    });
    const resolver = async () => [{ address: '127.0.0.1', family: 4 as const }];
    const withName = await probe(`staple.test:${server.port}`, { ...fast, resolver });
    expect(withName.targets[0]?.target.servername).toBe('staple.test');
    expect(withName.verdict).toBe('ok');
    const withoutName = await probe(server.target, fast);
    expect(withoutName.targets[0]?.target.servername).toBeNull();
    expect(codes(withoutName)).toEqual(['STAPLE_MISSING']);
    const explicit = await probe(server.target, { ...fast, servername: 'staple.test' });
    expect(explicit.verdict).toBe('ok');
  });
});

describe('certificate findings next to the stapling verdict', () => {
  it('a name the certificate does not cover -> CERT_NAME_MISMATCH; the stapling verdict stays ok', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }));
    const report = await probe(server.target, { ...fast, servername: 'wrong.example.test' });
    expect(codes(report)).toEqual(['CERT_NAME_MISMATCH']);
    expect(report.verdict).toBe('critical');
    expect(report.staplingVerdict).toBe('ok');
  });

  it('an expired leaf -> CERT_EXPIRED', async () => {
    const expired = await issue({
      issuer: pki.intermediate,
      subject: 'CN=localhost',
      serial: '1006',
      dnsNames: ['localhost'],
      ocspUrls: ['http://127.0.0.1:8080/ocsp'],
      notBefore: new Date(Date.now() - 40 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const server = await serve(await makeStaple(pki, 'good', { now: new Date(), leaf: expired }), { cert: expired });
    const report = await probe(server.target, fast);
    expect(codes(report)).toEqual(['CERT_EXPIRED']);
    expect(report.staplingVerdict).toBe('ok');
  });

  it('without the test root as a trust anchor -> CERT_UNTRUSTED', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }));
    const report = await probe(server.target, { ...fast, extraCerts: [] });
    expect(codes(report)).toEqual(['CERT_UNTRUSTED']);
    expect(argsOf(report.findings[0], 'CERT_UNTRUSTED')?.error).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  });
});

describe('every address of a host', () => {
  it('one backend staples and the other does not -> COMPARE_ADDRESSES_DISAGREE and STAPLE_MISSING there', async () => {
    const stapling = await serve(await makeStaple(pki, 'good', { now: new Date() }));
    // The same port on ::1, a backend without stapling.
    const silent = await serve(null, { host: '::1', port: stapling.port });
    const resolver = async () => [
      { address: '127.0.0.1', family: 4 as const },
      { address: '::1', family: 6 as const },
    ];
    const report = await probe(`localhost:${stapling.port}`, { ...fast, resolver });
    expect(codes(report)).toEqual(['COMPARE_ADDRESSES_DISAGREE', 'STAPLE_MISSING']);
    expect(report.findings.find((f) => f.code === 'STAPLE_MISSING')?.where).toEqual([{ target: `localhost:${stapling.port}`, address: '::1' }]);
    expect(report.findings.find((f) => f.code === 'COMPARE_ADDRESSES_DISAGREE')?.args).toEqual({
      aspect: 'stapling',
      detail: '127.0.0.1 staples, ::1 does not staple',
    });
    expect(silent.port).toBe(stapling.port);
  });
});

describe('unreachable and broken peers end in UNKNOWN with a clear finding', () => {
  it('connection refused', async () => {
    const port = await rawServer(() => {});
    raw.pop()?.close();
    await new Promise((r) => setTimeout(r, 50));
    const report = await probe(`127.0.0.1:${port}`, fast);
    expect(codes(report)).toEqual(['TLS_CONNECT_FAILED']);
    expect(report.verdict).toBe('unknown');
    expect(argsOf(report.findings[0], 'TLS_CONNECT_FAILED')?.message).toMatch(/ECONNREFUSED/);
  });

  it('a port that answers plain HTTP', async () => {
    const port = await rawServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
    const report = await probe(`127.0.0.1:${port}`, fast);
    expect(report.verdict).toBe('unknown');
    expect(codes(report).every((c) => c === 'TLS_HANDSHAKE_FAILED' || c === 'TLS_CONNECT_FAILED')).toBe(true);
    expect(report.findings.length).toBeGreaterThan(0);
  });

  it('a server that accepts and never speaks times out', async () => {
    const port = await rawServer(() => {});
    const report = await probe(`127.0.0.1:${port}`, { ...fast, timeoutMs: 300 });
    expect(codes(report)).toEqual(['TLS_TIMEOUT']);
    expect(report.verdict).toBe('unknown');
  });

  it("the caller's signal ends the probe: a silent server, a 10 s deadline, aborted after 200 ms", async () => {
    const port = await rawServer(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const evidence = await collect(parseTarget(`127.0.0.1:${port}`), { ...fast, keyTypes: 'default', timeoutMs: 10_000, signal: controller.signal });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(evidence.addresses[0]?.attempts.map((a) => `${a.tlsVersion}#${a.attempt}:${a.outcome.ok ? 'ok' : a.outcome.error.code}`)).toEqual([
      '1.2#1:ABORT_ERR',
    ]);
  });

  it('a host name that does not resolve', async () => {
    const resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    };
    const report = await probe('nowhere.invalid', { ...fast, resolver });
    expect(codes(report)).toEqual(['TLS_RESOLVE_FAILED']);
    expect(report.verdict).toBe('unknown');
  });
});

describe('the served chain in the report', () => {
  const chainOf = (report: Report) => report.targets[0]?.addresses[0]?.attempts[0]?.chain.map((c) => c.sha256) ?? [];
  const sha256 = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

  it('is what the server sent: the trust anchor Node appends from the store is not listed', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }));
    const report = await probe(server.target, { ...fast, attempts: 1, tlsVersions: ['1.3'] });
    expect(report.verdict).toBe('ok');
    expect(codes(report)).not.toContain('CERT_UNTRUSTED');
    expect(chainOf(report)).toEqual([sha256(pki.leafRsa.der), sha256(pki.intermediate.der)]);
  });

  it('is the same when the chain does not verify (no trust anchor given)', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }));
    const report = await probe(server.target, { ...fast, attempts: 1, tlsVersions: ['1.3'], extraCerts: [] });
    expect(codes(report)).toContain('CERT_UNTRUSTED');
    expect(chainOf(report)).toEqual([sha256(pki.leafRsa.der), sha256(pki.intermediate.der)]);
  });
});

describe('a server that also sends its root', () => {
  it('lists leaf and intermediate only: trust anchors are never listed, sent or not', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }), { chain: [pki.intermediate, pki.root] });
    const report = await probe(server.target, { ...fast, attempts: 1, tlsVersions: ['1.3'] });
    expect(report.verdict).toBe('ok');
    const sent = report.targets[0]?.addresses[0]?.attempts[0]?.chain.map((c) => c.sha256);
    expect(sent).toEqual([pki.leafRsa.der, pki.intermediate.der].map((der) => createHash('sha256').update(der).digest('hex')));
  });

  it('lists a root it sends that is not a trust anchor', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }), { chain: [pki.intermediate, pki.root] });
    const report = await probe(server.target, { ...fast, attempts: 1, tlsVersions: ['1.3'], extraCerts: [] });
    expect(codes(report)).toContain('CERT_UNTRUSTED');
    const sent = report.targets[0]?.addresses[0]?.attempts[0]?.chain.map((c) => c.sha256);
    expect(sent).toEqual([pki.leafRsa.der, pki.intermediate.der, pki.root.der].map((der) => createHash('sha256').update(der).digest('hex')));
  });
});

/** A proxy to `target` that passes everything on 100 ms late, each way (a close too, after the data before it). */
const slowProxy = (target: string) =>
  rawServer((client) => {
    const upstream = connect(Number(target.split(':')[1]), '127.0.0.1');
    const relay = (from: Socket, to: Socket) => from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), 100));
    relay(client, upstream);
    relay(upstream, client);
    for (const socket of [client, upstream]) socket.on('error', () => socket.destroy());
    client.once('close', () => setTimeout(() => upstream.destroy(), 100));
    upstream.once('close', () => setTimeout(() => client.destroy(), 100));
  });

describe('the order of the handshakes', () => {
  /**
   * A TCP proxy that holds each connection 150 ms before passing it on and notes when each was opened: one
   * handshake that waits for the one before opens at least 150 ms after it; two that run alongside open
   * together.
   */
  async function timingProxy(port: number): Promise<{ target: string; gaps: () => number[] }> {
    const opens: number[] = [];
    const proxyPort = await rawServer((client) => {
      opens.push(performance.now());
      client.on('error', () => client.destroy());
      setTimeout(() => {
        const upstream = connect(port, '127.0.0.1');
        upstream.on('error', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
      }, 150);
    });
    return { target: `127.0.0.1:${proxyPort}`, gaps: () => opens.slice(1).map((t, i) => t - (opens[i] as number)) };
  }
  const sequence = (report: Report) => report.targets[0]?.addresses[0]?.attempts.map((a) => `${a.tlsVersion}#${a.attempt}:${a.staple ? 'staple' : 'none'}`);

  it('once the first handshake carries a staple, the first round stands: all six handshakes open together, and the evidence keeps the sequence order', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }));
    const proxy = await timingProxy(server.port);
    const report = await probe(proxy.target, { ...fast, keyTypes: 'default', attempts: 3, httpHead: false, servername: 'localhost' });
    expect(report.verdict).toBe('ok');
    // 1.2#1 with 1.2#2, 1.2#3 and 1.3#1 to 1.3#3 alongside: no handshake waits 150 ms for the one before.
    const gaps = proxy.gaps();
    expect(gaps).toHaveLength(5);
    for (const gap of gaps) expect(gap).toBeLessThan(100);
    expect(sequence(report)).toEqual(['1.2#1:staple', '1.2#2:staple', '1.2#3:staple', '1.3#1:staple', '1.3#2:staple', '1.3#3:staple']);
  });

  it('a server that staples and then stalls the handshake: the early start adds no time, the stalled attempts end at one deadline', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }));
    // Passes the ClientHello and the server's first flight (with the staple), then drops what the client sends:
    // no handshake ever ends.
    let opened = 0;
    const proxyPort = await rawServer((client) => {
      opened++;
      const upstream = connect(server.port, '127.0.0.1');
      let chunks = 0;
      client.on('data', (chunk) => {
        if (++chunks === 1) upstream.write(chunk);
      });
      upstream.on('data', (chunk) => client.write(chunk));
      for (const socket of [client, upstream]) socket.on('error', () => socket.destroy());
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    const started = performance.now();
    const report = await probe(`127.0.0.1:${proxyPort}`, {
      ...fast,
      keyTypes: 'default',
      attempts: 3,
      timeoutMs: 800,
      httpHead: false,
      servername: 'localhost',
    });
    const elapsed = performance.now() - started;
    // 1.2#2, 1.2#3 and 1.3#1 started on the first staple, and the TLS 1.2 ones ran out with 1.2#1: one deadline,
    // not three in turn. (A TLS 1.3 client is done once it has sent its Finished, which the proxy drops, so the
    // 1.3 handshakes complete.)
    expect(opened).toBe(6);
    expect(elapsed).toBeLessThan(1600);
    expect(report.targets[0]?.addresses[0]?.attempts.map((a) => `${a.tlsVersion}#${a.attempt}:${a.ok ? 'ok' : a.error?.kind}`)).toEqual([
      '1.2#1:timeout',
      '1.2#2:timeout',
      '1.2#3:timeout',
      '1.3#1:ok',
      '1.3#2:ok',
      '1.3#3:ok',
    ]);
    expect(codes(report)).toEqual(['TLS_TIMEOUT']);
    expect(report.verdict).toBe('unknown');
  });

  it('two addresses with a signal: no MaxListenersExceededWarning (each address listens through a signal of its own)', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }));
    const warnings: string[] = [];
    const signal = new AbortController().signal;
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const evidence = await collect(parseTarget(`localhost:${server.port}`), {
        ...fast,
        attempts: 4,
        httpHead: false,
        resolver: async () => [
          { address: '127.0.0.1', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ],
        signal,
      });
      // 2 versions x 4 attempts, and per version the RSA offer (the same certificate) and the refused ECDSA one.
      expect(evidence.addresses.map((a) => a.attempts.filter((t) => t.offer === undefined || t.offer === 'default').length)).toEqual([8, 8]);
      expect(evidence.addresses.map((a) => a.attempts.length)).toEqual([12, 12]);
      await new Promise((r) => setTimeout(r, 50));
      expect(warnings).toEqual([]);
      // And nothing is left listening on the caller's signal (a monitor may keep one for its whole life).
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('at most four handshakes of one version at a time, so that a large --attempts is not a burst', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }));
    const proxy = await timingProxy(server.port);
    const report = await probe(proxy.target, { ...fast, keyTypes: 'default', tlsVersions: ['1.2'], attempts: 6, httpHead: false, servername: 'localhost' });
    expect(report.verdict).toBe('ok');
    // #1 to #4 together (the first round); #5 and #6 once those are over.
    const gaps = proxy.gaps();
    expect(gaps).toHaveLength(5);
    for (const gap of gaps.slice(0, 3)) expect(gap).toBeLessThan(100);
    expect(gaps[3]).toBeGreaterThanOrEqual(140);
    expect(gaps[4]).toBeLessThan(100);
    expect(sequence(report)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `1.2#${n}:staple`));
  });

  it('once the first handshake carries a staple, a refused version fails once, not once per attempt', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }), { maxVersion: 'TLSv1.2' });
    const proxy = await timingProxy(server.port);
    const report = await probe(proxy.target, { ...fast, keyTypes: 'default', attempts: 3, httpHead: false, servername: 'localhost' });
    // All six were tried (the round opens together); the TLS 1.3 ones after the first are not counted.
    expect(proxy.gaps()).toHaveLength(5);
    expect(report.targets[0]?.addresses[0]?.attempts.map((a) => `${a.tlsVersion}#${a.attempt}:${a.ok}`)).toEqual([
      '1.2#1:true',
      '1.2#2:true',
      '1.2#3:true',
      '1.3#1:false',
    ]);
    expect(codes(report)).toEqual(['TLS_VERSION_UNSUPPORTED']);
  });

  it('when the first handshake has no staple (a lazy server), the round is not counted and every handshake waits for the one before', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }), { lazyHandshakes: 1 });
    const proxy = await timingProxy(server.port);
    const report = await probe(proxy.target, { ...fast, keyTypes: 'default', attempts: 2, httpHead: false, servername: 'localhost' });
    // The round (1.2#1, 1.2#2, 1.3#1, 1.3#2) opens together; 1.2#1 has no staple, so the other three are closed
    // uncounted (they got staples: the server is lazy on its first handshake only), and 1.2#2, 1.3#1 and 1.3#2
    // follow one after another.
    const gaps = proxy.gaps();
    expect(gaps).toHaveLength(6);
    for (const gap of gaps.slice(0, 3)) expect(gap).toBeLessThan(100);
    for (const gap of gaps.slice(3)) expect(gap).toBeGreaterThanOrEqual(140);
    expect(sequence(report)).toEqual(['1.2#1:none', '1.2#2:staple', '1.3#1:staple', '1.3#2:staple']);
    expect(codes(report)).toEqual(['STAPLE_LAZY']);
  });

  it('when the first version is refused, the next version decides: its first attempt of the round was among the first requests a lazy server saw', async () => {
    // A TLS 1.3-only server that staples 150 ms after the first request for a staple, behind a 200 ms round
    // trip: the round's TLS 1.3 handshakes ask at once and get none; a TLS 1.3 attempt made only after TLS 1.2
    // was refused would ask 200 ms later and get one, and the server would not look lazy.
    const staple = await makeStaple(pki, 'good', { now: new Date() });
    const server = tlsCreateServer({ key: pki.leafRsa.keyPem, cert: pki.leafRsa.pem + pki.intermediate.pem, minVersion: 'TLSv1.3' });
    let firstAsked: number | null = null;
    server.on('OCSPRequest', (_cert: Buffer, _issuer: Buffer, done: (error: null, response?: Buffer) => void) => {
      firstAsked ??= performance.now();
      done(null, performance.now() - firstAsked < 150 ? undefined : Buffer.from(staple));
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const proxyPort = await slowProxy(`127.0.0.1:${(server.address() as AddressInfo).port}`);
      const report = await probe(`127.0.0.1:${proxyPort}`, {
        ...fast,
        keyTypes: 'default',
        attempts: 2,
        retryDelayMs: 50,
        httpHead: false,
        servername: 'localhost',
      });
      expect(report.targets[0]?.addresses[0]?.attempts.map((a) => `${a.tlsVersion}#${a.attempt}:${a.ok ? (a.staple ? 'staple' : 'none') : 'failed'}`)).toEqual([
        '1.2#1:failed',
        '1.3#1:none',
        '1.3#2:staple',
      ]);
      expect(codes(report)).toContain('STAPLE_LAZY');
    } finally {
      server.close();
    }
  });

  it('when the first version is refused and the next one staples, its round stands: no handshake waits for another', async () => {
    const server = await serve(await makeStaple(pki, 'good', { now: new Date() }), { minVersion: 'TLSv1.3' });
    const proxy = await timingProxy(server.port);
    const report = await probe(proxy.target, { ...fast, keyTypes: 'default', attempts: 2, httpHead: false, servername: 'localhost' });
    // The round (1.2#1, 1.2#2, 1.3#1, 1.3#2) together; 1.2#1 is refused, 1.3#1 carries a staple, so the TLS 1.3
    // round counts; 1.2#2 is not counted (a refused version fails once).
    const gaps = proxy.gaps();
    expect(gaps).toHaveLength(3);
    for (const gap of gaps) expect(gap).toBeLessThan(100);
    expect(report.targets[0]?.addresses[0]?.attempts.map((a) => `${a.tlsVersion}#${a.attempt}:${a.ok}`)).toEqual(['1.2#1:false', '1.3#1:true', '1.3#2:true']);
    expect(codes(report)).toEqual(['TLS_VERSION_UNSUPPORTED']);
  });
});

describe('the HEAD after the first handshake', () => {
  /** A TLS server that staples, and answers a HEAD after `answerAfterMs` (never, when null). */
  async function headServer(
    answerAfterMs: number | null,
    { lazyMs = 0, minVersion = 'TLSv1.2' as const }: { lazyMs?: number; minVersion?: 'TLSv1.2' | 'TLSv1.3' } = {},
  ): Promise<{ target: string; log: string[]; close: () => void }> {
    const staple = await makeStaple(pki, 'good', { now: new Date() });
    const log: string[] = [];
    const server = tlsCreateServer({ key: pki.leafRsa.keyPem, cert: pki.leafRsa.pem + pki.intermediate.pem, minVersion });
    // With `lazyMs`, no staple until that long after the first request for one.
    let firstAsked: number | null = null;
    server.on('OCSPRequest', (_cert: Buffer, _issuer: Buffer, done: (error: null, response?: Buffer) => void) => {
      firstAsked ??= performance.now();
      done(null, performance.now() - firstAsked < lazyMs ? undefined : Buffer.from(staple));
    });
    // TCP accepts, not secureConnection: a TLS 1.3 server may not see the client's Finished before the probe
    // closes, and then emits no secureConnection.
    server.on('connection', () => log.push('connection'));
    server.on('secureConnection', (socket) => {
      socket.on('error', () => socket.destroy());
      socket.once('data', () => {
        if (answerAfterMs === null) return;
        setTimeout(() => {
          log.push('head answered');
          socket.end('HTTP/1.1 200 OK\r\nServer: slowpoke/1.0\r\nContent-Length: 0\r\n\r\n');
        }, answerAfterMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return { target: `127.0.0.1:${(server.address() as AddressInfo).port}`, log, close: () => server.close() };
  }

  it('the other handshakes do not wait for its answer, and its Server header is kept', async () => {
    // A second is ample for the three handshakes after the first, even on a loaded CI machine.
    const server = await headServer(1000);
    try {
      const report = await probe(server.target, { ...fast, keyTypes: 'default', attempts: 2, servername: 'localhost' });
      expect(report.verdict).toBe('ok');
      expect(report.targets[0]?.server.header).toBe('slowpoke/1.0');
      // All four connections were made before the HEAD was answered.
      expect(server.log).toEqual(['connection', 'connection', 'connection', 'connection', 'head answered']);
    } finally {
      server.close();
    }
  });

  it('goes out on the first handshake to complete: with a round trip of 200 ms, a TLS 1.3 one (TLS 1.2 needs one more)', async () => {
    const server = await headServer(0);
    const proxyPort = await slowProxy(server.target);
    try {
      const evidence = await collect(parseTarget(`127.0.0.1:${proxyPort}`, { servername: 'localhost' }), { ...fast, keyTypes: 'default', attempts: 2 });
      const attempts = evidence.addresses[0]?.attempts ?? [];
      expect(attempts.map((a) => `${a.tlsVersion}#${a.attempt}:${a.outcome.ok && a.outcome.staple ? 'staple' : 'none'}`)).toEqual([
        '1.2#1:staple',
        '1.2#2:staple',
        '1.3#1:staple',
        '1.3#2:staple',
      ]);
      // One HEAD, on a TLS 1.3 attempt; the TLS 1.2 ones sent none.
      const carried = attempts.filter((a) => a.outcome.ok && a.outcome.serverHeader !== undefined);
      expect(carried.map((a) => a.tlsVersion)).toEqual(['1.3']);
      expect(carried[0]?.outcome.ok && carried[0].outcome.serverHeader).toBe('slowpoke/1.0');
    } finally {
      server.close();
    }
  });

  it('a handshake of a round closed uncounted keeps its HEAD going: a lazy server still gets its Server header read', async () => {
    // No staple for 300 ms: the whole first round has none, and 1.2#2 comes after a 600 ms pause.
    const server = await headServer(0, { lazyMs: 300 });
    // Over a 200 ms round trip a TLS 1.3 handshake of the round ends (and takes the HEAD) a round trip before
    // 1.2#1 shows that it has no staple; the round is then closed uncounted, that HEAD still answered.
    const proxyPort = await slowProxy(server.target);
    try {
      const evidence = await collect(parseTarget(`127.0.0.1:${proxyPort}`, { servername: 'localhost' }), {
        ...fast,
        keyTypes: 'default',
        attempts: 2,
        retryDelayMs: 600,
      });
      const address = evidence.addresses[0];
      const attempts = address?.attempts ?? [];
      expect(attempts.map((a) => `${a.tlsVersion}#${a.attempt}:${a.outcome.ok && a.outcome.staple ? 'staple' : 'none'}`)).toEqual([
        '1.2#1:none',
        '1.2#2:staple',
        '1.3#1:staple',
        '1.3#2:staple',
      ]);
      // One HEAD in all, on a handshake of the round: none of the counted attempts sent one.
      expect(attempts.filter((a) => a.outcome.ok && a.outcome.serverHeader !== undefined)).toEqual([]);
      expect(address?.serverHeader).toBe('slowpoke/1.0');
      expect(server.log.filter((l) => l === 'head answered')).toHaveLength(1);
      // The report takes the address's header.
      expect((await assess(evidence, { now: new Date() })).targets[0]?.server.header).toBe('slowpoke/1.0');
    } finally {
      server.close();
    }
  });

  it('a server that never answers it (a TLS port that is not HTTP): the handshake stands, even with a deadline shorter than the HEAD wait', async () => {
    const server = await headServer(null);
    try {
      const started = performance.now();
      const report = await probe(server.target, { ...fast, keyTypes: 'default', timeoutMs: 1000, attempts: 1, servername: 'localhost' });
      expect(codes(report)).toEqual([]);
      expect(report.verdict).toBe('ok');
      expect(report.targets[0]?.server.header).toBeNull();
      // The HEAD waits min(2 s, the deadline), once.
      expect(performance.now() - started).toBeLessThan(2500);
    } finally {
      server.close();
    }
  });
});

describe('a server with an RSA and an ECDSA certificate (issue #21)', () => {
  it("finds both, and judges each: Node staples the last certificate's answer for both, so the RSA one gets a foreign staple", async () => {
    // Node passes OCSPRequest the context's last certificate whichever it serves (measured on 20.20 and 24.22):
    // the testing kit then answers the ECDSA identity's staple on every handshake.
    const now = new Date();
    const server = await serve(await makeStaple(pki, 'good', { now }), {
      also: [{ cert: pki.leafEcdsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now, leaf: pki.leafEcdsa }) }],
    });
    const report = await probe(server.target, fast);
    expect(report.verdict).toBe('critical');
    expect(codes(report)).toEqual(['COMPARE_CERTIFICATES_DISAGREE', 'STAPLE_CERTID_MISMATCH']);
    const where = report.findings.find((f) => f.code === 'STAPLE_CERTID_MISMATCH')?.where ?? [];
    expect(new Set(where.map((w) => `${w.keyType} ${w.serial}`))).toEqual(new Set(['RSA 1001']));
    const certs = report.targets[0]?.certificates ?? [];
    expect(certs.map((c) => [c.keyType, c.leaf.serial, c.stapled, c.verdict])).toEqual([
      ['RSA', '1001', 'always', 'critical'],
      ['ECDSA', '1002', 'always', 'ok'],
    ]);
    // Node's client gets RSA on TLS 1.2 and ECDSA on TLS 1.3; each offer then finds the other one of its version,
    // and only a certificate the default offer did not get goes on for more attempts.
    const lanes = (report.targets[0]?.addresses[0]?.attempts ?? []).map((a) => `${a.tlsVersion} ${a.offer} ${a.chain[0]?.serial}`);
    const count = (lane: string) => lanes.filter((l) => l === lane).length;
    expect([count('1.2 default 1001'), count('1.3 default 1002')]).toEqual([2, 2]);
    expect([count('1.2 rsa 1001'), count('1.2 ecdsa 1002'), count('1.3 rsa 1001'), count('1.3 ecdsa 1002')]).toEqual([1, 2, 2, 1]);
  });

  it('with --key-types default the offers are not made: one certificate per version, as Node picks', async () => {
    const server = await serve(null, { also: [{ cert: pki.leafEcdsa, chain: [pki.intermediate], staple: null }] });
    const report = await probe(server.target, { ...fast, keyTypes: 'default' });
    expect((report.targets[0]?.addresses[0]?.attempts ?? []).every((a) => a.offer === 'default')).toBe(true);
    expect(codes(report)).toEqual(['STAPLE_MISSING']);
  });
});
