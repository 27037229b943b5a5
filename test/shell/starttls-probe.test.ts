/**
 * STARTTLS end to end (issue #24): the testing kit's stapling server behind an SMTP front, probed with
 * `starttls: 'smtp'`: every handshake speaks SMTP first, then the same TLS 1.2 and 1.3 handshakes as on an
 * HTTPS port. A server that does not offer STARTTLS, and an SMTP port probed as implicit TLS.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { collect, parseTarget, probe } from '@staple-probe/core';
import { createPki, makeStaple, type StaplingServer, startStaplingServer, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { implicitTlsOf, starttlsOf } from '../../packages/probe-core/src/shell/collect.js';
import { handshake } from '../../packages/probe-core/src/shell/tls.js';
import { argsOf, codes } from '../helpers.js';

let pki: TestPki;
const servers: StaplingServer[] = [];
let fast: { attempts: number; retryDelayMs: number; timeoutMs: number; extraCerts: Uint8Array[]; live: false; crl: false; keyTypes: 'default' };

beforeAll(async () => {
  pki = await createPki();
  fast = { attempts: 2, retryDelayMs: 20, timeoutMs: 5000, extraCerts: [pki.root.der], live: false, crl: false, keyTypes: 'default' };
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function smtpServer(staple: Uint8Array | null, offer = true): Promise<StaplingServer> {
  const server = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple, smtp: { banner: 'mx.test ESMTP Exim 4.96', offer } });
  servers.push(server);
  return server;
}

describe('STARTTLS', () => {
  it('smtp: every attempt of both versions speaks SMTP first and gets the staple; the greeting is kept', async () => {
    const server = await smtpServer(await makeStaple(pki, 'good', { now: new Date() }));
    const target = parseTarget(server.target, { servername: 'localhost' });
    const evidence = await collect(target, { ...fast, starttls: 'smtp' });
    expect(evidence.starttls).toBe('smtp');
    const attempts = evidence.addresses.flatMap((a) => a.attempts);
    expect(attempts.map((a) => `${a.tlsVersion}:${a.outcome.ok && a.outcome.staple !== null}`).sort()).toEqual([
      '1.2:true',
      '1.2:true',
      '1.3:true',
      '1.3:true',
    ]);
    for (const a of attempts) expect(a.outcome.ok && a.outcome.banner).toBe('mx.test ESMTP Exim 4.96');
    // No HEAD / on a mail port.
    expect(evidence.addresses.every((a) => a.serverHeader === undefined)).toBe(true);
    const report = await probe(server.target, { ...fast, starttls: 'smtp', servername: 'localhost' });
    expect([report.verdict, codes(report)]).toEqual(['ok', []]);
  });

  it('an expired staple over STARTTLS is judged as on an HTTPS port', async () => {
    const server = await smtpServer(await makeStaple(pki, 'expired', { now: new Date() }));
    const report = await probe(server.target, { ...fast, starttls: 'smtp', servername: 'localhost' });
    expect([report.verdict, codes(report)]).toEqual(['critical', ['STAPLE_EXPIRED']]);
  });

  it('a server without STARTTLS in its EHLO reply: STARTTLS_NOT_OFFERED with its greeting, one attempt only', async () => {
    const server = await smtpServer(await makeStaple(pki, 'good', { now: new Date() }), false);
    const report = await probe(server.target, { ...fast, starttls: 'smtp', servername: 'localhost' });
    expect([report.verdict, codes(report)]).toEqual(['unknown', ['STARTTLS_NOT_OFFERED']]);
    expect(
      argsOf(
        report.findings.find((f) => f.code === 'STARTTLS_NOT_OFFERED'),
        'STARTTLS_NOT_OFFERED',
      ),
    ).toEqual({
      protocol: 'smtp',
      message: 'smtp: the server does not offer STARTTLS (not in its EHLO reply)',
      banner: 'mx.test ESMTP Exim 4.96',
    });
    // The failure says the address cannot be probed: the schedule starts nothing more.
    expect(report.targets[0]?.addresses[0]?.attempts).toHaveLength(1);
  });

  it('an SMTP port probed as implicit TLS (starttls none) fails the handshake, as the issue saw with Exim', async () => {
    const server = await smtpServer(await makeStaple(pki, 'good', { now: new Date() }));
    const report = await probe(server.target, { ...fast, starttls: 'none', servername: 'localhost', httpHead: false });
    expect(report.verdict).toBe('unknown');
    expect(codes(report)).toEqual(expect.arrayContaining(['TLS_HANDSHAKE_FAILED']));
  });

  it('a server that accepts and never greets, or drips its greeting: TLS_TIMEOUT at the deadline, no hang', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      // One byte a second of a greeting that never ends.
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('2')), 1000);
      socket.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const started = performance.now();
      const report = await probe(`127.0.0.1:${port}`, { ...fast, starttls: 'smtp', timeoutMs: 1500 });
      const elapsed = performance.now() - started;
      expect([report.verdict, codes(report)]).toEqual(['unknown', ['TLS_TIMEOUT']]);
      expect(elapsed).toBeGreaterThanOrEqual(1490);
      // The deadline ended it: a slow loaded machine may add scheduling, never another drip's worth of waiting.
      expect(elapsed).toBeLessThan(1500 + 2500);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('auto: the protocol of a well-known port, none elsewhere; an explicit choice wins', () => {
    expect([25, 587, 143, 110, 21, 5222, 389, 5432, 443, 465, 8443].map((port) => starttlsOf({ port }, {}))).toEqual([
      'smtp',
      'smtp',
      'imap',
      'pop3',
      'ftp',
      'xmpp',
      'ldap',
      'postgres',
      null,
      null,
      null,
    ]);
    expect(starttlsOf({ port: 25 }, { starttls: 'none' })).toBeNull();
    expect(starttlsOf({ port: 443 }, { starttls: 'imap' })).toBe('imap');
  });
});

describe('implicit-TLS mail ports (465, 993, 995, 990): no HEAD, the greeting after the handshake names the server', () => {
  it('implicitTlsOf: the well-known ports probed without STARTTLS, else null', () => {
    expect([465, 993, 995, 990, 636, 5223, 443, 25, 8443].map((port) => implicitTlsOf({ port }, {}))).toEqual([
      'smtp',
      'imap',
      'pop3',
      'ftp',
      'ldap',
      'xmpp',
      null,
      null,
      null,
    ]);
    // Told to speak STARTTLS on 465, the port is not treated as implicit TLS; told `none`, it still is.
    expect(implicitTlsOf({ port: 465 }, { starttls: 'smtp' })).toBeNull();
    expect(implicitTlsOf({ port: 465 }, { starttls: 'none' })).toBe('smtp');
  });

  it("a handshake told to identify by greeting keeps the server's first line as banner; a silent server gives none", async () => {
    const greeting = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: null, greeting: '220 mx.test ESMTP Exim 4.96 ready' });
    const silent = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: null });
    servers.push(greeting, silent);
    const base = { address: '127.0.0.1', servername: 'localhost', tlsVersion: '1.3' as const, timeoutMs: 400, httpHead: true, identify: 'greeting' as const };
    const heard = await handshake({ ...base, port: greeting.port });
    expect(heard.ok && heard.banner).toBe('mx.test ESMTP Exim 4.96 ready');
    expect(heard.ok && heard.serverHeader).toBeUndefined();
    const quiet = await handshake({ ...base, port: silent.port });
    expect(quiet.ok).toBe(true);
    expect(quiet.ok && quiet.banner).toBeUndefined();
    // A greeting with no line end in sight: read up to 1 KiB, 200 characters kept.
    const endless = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: null, greeting: `220 ${'A'.repeat(5000)}` });
    servers.push(endless);
    const long = await handshake({ ...base, port: endless.port });
    expect(long.ok && long.banner).toBe('A'.repeat(200));
  });

  it('on any other port the HEAD goes out, and a server that greets first instead of answering is named by its greeting', async () => {
    const greets = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: null, greeting: '220 mx.test ESMTP Exim 4.96' });
    const http = await startStaplingServer({
      cert: pki.leafRsa,
      chain: [pki.intermediate],
      staple: null,
      greeting: 'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n',
    });
    const other = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: null, greeting: 'hello 220 +OK' });
    servers.push(greets, http, other);
    const base = { address: '127.0.0.1', servername: 'localhost', tlsVersion: '1.3' as const, timeoutMs: 2000, httpHead: true };
    const heard = await handshake({ ...base, port: greets.port });
    expect(heard.ok && [heard.serverHeader, heard.banner]).toEqual([null, 'mx.test ESMTP Exim 4.96']);
    const answered = await handshake({ ...base, port: http.port });
    expect(answered.ok && [answered.serverHeader, answered.banner]).toEqual(['nginx/1.22.1', undefined]);
    const unknown = await handshake({ ...base, port: other.port });
    expect(unknown.ok && [unknown.serverHeader, unknown.banner]).toEqual([null, undefined]);

    const evidence = await collect(parseTarget(greets.target, { servername: 'localhost' }), fast);
    expect(evidence.implicitTls ?? null).toBeNull();
    expect(evidence.addresses[0]?.serverHeader).toBeNull();
    expect(evidence.addresses[0]?.banner).toBe('mx.test ESMTP Exim 4.96');
    const report = await probe(greets.target, { ...fast, servername: 'localhost' });
    expect(report.targets[0]?.server).toEqual({ name: 'exim', header: 'mx.test ESMTP Exim 4.96', source: 'banner' });
    const quiet = await probe(other.target, { ...fast, servername: 'localhost' });
    expect(quiet.targets[0]?.server).toEqual({ name: null, header: null, source: null });
  });

  // Port 465 is what makes the port an implicit-TLS SMTP one, so this test binds it, on a loopback address of
  // its own (127.0.0.46) that nothing else here uses. It needs root or CAP_NET_BIND_SERVICE, which CI has.
  it('probing port 465: Exim detected from its greeting, no HEAD sent', async () => {
    let exim: StaplingServer;
    try {
      exim = await startStaplingServer({
        cert: pki.leafRsa,
        chain: [pki.intermediate],
        staple: null,
        host: '127.0.0.46',
        port: 465,
        greeting: '220 mx.test ESMTP Exim 4.96',
      });
    } catch (error) {
      if (process.env.CI === 'true' || (error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
      return; // not root, outside CI: nothing to learn here
    }
    servers.push(exim);
    const evidence = await collect(parseTarget('127.0.0.46:465', { servername: 'localhost' }), fast);
    expect(evidence.implicitTls).toBe('smtp');
    expect(evidence.starttls).toBeUndefined();
    const address = evidence.addresses[0];
    // A HEAD would have left serverHeader (null: not HTTP); the greeting is the address's banner instead.
    expect(address?.serverHeader).toBeUndefined();
    expect(address?.banner).toBe('mx.test ESMTP Exim 4.96');
    const report = await probe('127.0.0.46:465', { ...fast, servername: 'localhost' });
    expect(report.targets[0]?.server).toEqual({ name: 'exim', header: 'mx.test ESMTP Exim 4.96', source: 'banner' });
    expect(report.targets[0]?.implicitTls).toBe('smtp');
    expect(codes(report)).toContain('STAPLE_MISSING');
  });
});
