/** `probe --starttls` (issue #24): the CLI over the testing kit's SMTP-fronted stapling server. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki, makeStaple, type StaplingServer, startStaplingServer } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as run } from './run.js';

let server: StaplingServer;
let caFile: string;
beforeAll(async () => {
  const pki = await createPki();
  server = await startStaplingServer({
    cert: pki.leafRsa,
    chain: [pki.intermediate],
    staple: await makeStaple(pki, 'good', { now: new Date() }),
    smtp: { banner: 'mx.test ESMTP Exim 4.96' },
  });
  caFile = join(mkdtempSync(join(tmpdir(), 'staple-probe-starttls-')), 'root.pem');
  writeFileSync(caFile, pki.root.pem);
});
afterAll(() => server.close());

const args = (...more: string[]) => [server.target, '--servername', 'localhost', '--ca-file', caFile, '--attempts', '1', '--no-live', '--no-crl', ...more];

describe('probe --starttls', () => {
  it('--starttls smtp: ok, the report names the upgrade and keeps the greeting', async () => {
    const r = await run(args('--starttls', 'smtp', '--json'));
    const json = JSON.parse(r.stdout);
    expect([r.code, json.verdict, json.findings]).toEqual([0, 'ok', []]);
    expect(json.targets[0].starttls).toBe('smtp');
    // The greeting names Exim (issue #24: servers detected from their banner).
    expect(json.targets[0].server).toEqual({ name: 'exim', header: 'mx.test ESMTP Exim 4.96', source: 'banner' });
  });

  it('the table names the upgrade and the greeting', async () => {
    const r = await run(args('--starttls', 'smtp'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^staple-probe ${server.target} \\(SNI localhost\\) over SMTP STARTTLS · judged at `, 'm'));
    expect(r.stdout).toMatch(/│ server +│ Exim \(SMTP greeting: mx\.test ESMTP Exim 4\.96\)/);
  });

  it('the same port without --starttls (auto: not a well-known port) fails the handshake: unknown, exit 3', async () => {
    const r = await run(args('--no-http', '--json'));
    const json = JSON.parse(r.stdout);
    expect([r.code, json.targets[0].starttls]).toEqual([3, null]);
    expect(json.findings.map((f: { code: string }) => f.code)).toContain('TLS_HANDSHAKE_FAILED');
  });

  it('--starttls takes a known protocol, auto or none', async () => {
    const r = await run(args('--starttls', 'smtps'));
    expect([r.code, r.stderr]).toEqual([
      3,
      "probe: --starttls smtps: expected auto, none, smtp, imap, pop3, ftp, xmpp, ldap or postgres\nTry 'probe --help'.\n",
    ]);
  });
});

describe('fixes over STARTTLS (issue #24): the greeting names the server, else the usual servers of the protocol', () => {
  let pki: Awaited<ReturnType<typeof createPki>>;
  const servers: StaplingServer[] = [];
  const unstapled = async (banner: string) => {
    const s = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: null, smtp: { banner } });
    servers.push(s);
    return s;
  };
  beforeAll(async () => {
    pki = await createPki();
  });
  afterAll(() => {
    for (const s of servers) s.close();
  });
  const probeSmtp = (s: StaplingServer, ...more: string[]) =>
    run([s.target, '--servername', 'localhost', '--ca-file', caFile, '--attempts', '1', '--no-live', '--no-crl', '--starttls', 'smtp', ...more]);

  it('an unknown greeting: the fixes of Exim and Postfix, not those of web servers; the table says --server exim|postfix|…', async () => {
    const s = await unstapled('mx.test ESMTP ready');
    const json = JSON.parse((await probeSmtp(s, '--json')).stdout);
    expect(json.targets[0].server).toEqual({ name: null, header: 'mx.test ESMTP ready', source: null });
    const missing = json.findings.find((f: { code: string }) => f.code === 'STAPLE_MISSING');
    expect(missing.fixes.map((f: { server: string }) => f.server)).toEqual(['exim', 'postfix']);
    const table = (await probeSmtp(s)).stdout;
    expect(table).toContain('Fixes per server: --server exim|postfix|…, or docs/findings.md#staple_missing');
    expect(table).not.toMatch(/nginx|Apache/);
  });

  it('a Postfix greeting: its fix says Postfix cannot staple, in the table and the JSON', async () => {
    const s = await unstapled('mx.test ESMTP Postfix (Debian/GNU)');
    const json = JSON.parse((await probeSmtp(s, '--json')).stdout);
    expect(json.targets[0].server).toEqual({ name: 'postfix', header: 'mx.test ESMTP Postfix (Debian/GNU)', source: 'banner' });
    const missing = json.findings.find((f: { code: string }) => f.code === 'STAPLE_MISSING');
    expect(missing.fixes).toHaveLength(1);
    expect(missing.fixes[0].server).toBe('postfix');
    expect(missing.fixes[0].text).toMatch(/^Postfix cannot staple/);
    const table = (await probeSmtp(s)).stdout;
    expect(table).toMatch(/^ +Postfix: Postfix cannot staple/m);
    expect(table).toMatch(/│ server +│ Postfix \(SMTP greeting: mx\.test ESMTP Postfix \(Debian\/GNU\)\)/);
  });

  it('--server wins over the greeting', async () => {
    const s = await unstapled('mx.test ESMTP Postfix (Debian/GNU)');
    const json = JSON.parse((await probeSmtp(s, '--json', '--server', 'exim')).stdout);
    expect(json.targets[0].server.name).toBe('exim');
    const missing = json.findings.find((f: { code: string }) => f.code === 'STAPLE_MISSING');
    expect(missing.fixes.map((f: { server: string }) => f.server)).toEqual(['exim']);
  });
});

describe('an Exim that refuses TLS (GnuTLS over an expired tls_ocsp_file, issue #24), and a reset after the upgrade', () => {
  // Scripted SMTP servers with Exim's greeting that offer STARTTLS and then either refuse it with 454, as Exim 4.96
  // built with GnuTLS does over an expired or foreign tls_ocsp_file (test/servers/exim.test.ts runs the real one),
  // or accept it and reset the connection on the ClientHello (a TLS failure after the upgrade).
  const servers: Server[] = [];
  const scripted = async (after: '454' | 'reset'): Promise<string> => {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      let upgraded = false;
      socket.write('220 mx.test ESMTP Exim 4.96 Fri, 04 Dec 2026 17:40:00 +0000\r\n');
      socket.on('data', (d: Buffer) => {
        if (upgraded) return void socket.resetAndDestroy();
        const line = d.toString('latin1');
        if (/^EHLO/i.test(line)) socket.write('250-mx.test Hello\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 HELP\r\n');
        else if (/^STARTTLS/i.test(line) && after === '454') socket.write('454 TLS currently unavailable\r\n');
        else if (/^STARTTLS/i.test(line)) {
          upgraded = true;
          socket.write('220 TLS go ahead\r\n');
        }
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterAll(() => {
    for (const server of servers) server.close();
  });
  const smtpArgs = (target: string, ...more: string[]) => [
    target,
    '--servername',
    'localhost',
    '--attempts',
    '1',
    '--key-types',
    'default',
    '--no-live',
    '--no-crl',
    '--starttls',
    'smtp',
    ...more,
  ];
  const greeting = 'mx.test ESMTP Exim 4.96 Fri, 04 Dec 2026 17:40:00 +0000';

  it("454 to STARTTLS: STARTTLS_FAILED, Exim named by its greeting, and Exim's fix points at tls_ocsp_file", async () => {
    const target = await scripted('454');
    const r = await run(smtpArgs(target, '--json'));
    const json = JSON.parse(r.stdout);
    expect(r.code).toBe(3);
    expect(json.targets[0].server).toEqual({ name: 'exim', header: greeting, source: 'banner' });
    const failed = json.findings.find((f: { code: string }) => f.code === 'STARTTLS_FAILED');
    expect(failed.fixes).toHaveLength(1);
    expect(failed.fixes[0]).toMatchObject({ server: 'exim' });
    expect(failed.fixes[0].text).toMatch(/tls_ocsp_file/);
    expect((await run(smtpArgs(target))).stdout).toMatch(/^ +Exim: Refresh `tls_ocsp_file`/m);
  });

  it('a reset after the upgrade: TLS_CONNECT_FAILED, and the greeting heard before it still names the server', async () => {
    const target = await scripted('reset');
    const json = JSON.parse((await run(smtpArgs(target, '--json'))).stdout);
    expect(json.targets[0].server).toEqual({ name: 'exim', header: greeting, source: 'banner' });
    const failed = json.findings.find((f: { code: string }) => f.code === 'TLS_CONNECT_FAILED');
    expect(failed.fixes.map((f: { server: string }) => f.server)).toEqual(['exim']);
  });
});
