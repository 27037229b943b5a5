/**
 * Exim stapling scenarios: one `exim4 -bdf -C <cfg>` daemon per scenario, in the foreground, each with an
 * SMTP port offering STARTTLS and an implicit-TLS port (`tls_on_connect_ports`), its spool, logs and pid
 * file in its temporary directory. Exim never fetches OCSP: it staples the DER response in `tls_ocsp_file`.
 *
 * Measured with Exim 4.96 (Debian exim4-daemon-light 4.96, GnuTLS 3.7.9): see docs/servers.md, "Exim".
 * Debian's binary accepts `-C` from root but opens its logs as `exim_user` (Debian-exim), which cannot write
 * into a root-only temporary directory ("Cannot open main log file ... Permission denied"): the config sets
 * `exim_user = root`.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, type Report } from '@staple-probe/core';
import type { Responder, TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixesFor } from '../../packages/probe-cli/src/render/fixes.js';
import { codes } from '../helpers.js';
import {
  available,
  eximConfig,
  explain,
  handshakesSeen,
  opensslTruth,
  scenarioOptions,
  serverPerStaple,
  type StartedServer,
  startServer,
  writeIdentity,
  pkiWithResponder,
} from './harness.js';

const HAS = available('exim4');

let pki: TestPki;
let responder: Responder;
let opts: ReturnType<typeof scenarioOptions>;
const servers: Record<string, StartedServer> = {};

/** An Exim daemon for the RSA leaf, stapling `staple` from `ocsp.der` (no `tls_ocsp_file` when null). */
function startExim(staple: Uint8Array | null): Promise<StartedServer> {
  return startServer({
    kind: 'exim4',
    ports: 2,
    files: (dir, [smtp, smtps]) => {
      writeIdentity(dir, 'leaf', pki.leafRsa, [pki.intermediate]);
      const config = eximConfig({ dir, tlsDir: dir, smtp: smtp as number, smtps: smtps as number, ocsp: staple !== null });
      return { 'exim.conf': config, ...(staple ? { 'ocsp.der': staple } : {}) };
    },
    command: (dir) => ({ file: 'exim4', args: ['-bdf', '-C', join(dir, 'exim.conf')] }),
    logFile: 'mainlog',
  });
}

beforeAll(async () => {
  if (!HAS) return;
  ({ pki, responder } = await pkiWithResponder());
  opts = scenarioOptions(pki.root);
  Object.assign(servers, await serverPerStaple(pki, startExim));
}, 60_000);

/** Wait (bounded) until the daemon's forked connection handlers are gone: a late one recreates the log directory. */
async function handlersGone(pid: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && spawnSync('pgrep', ['-P', String(pid)]).status === 0) await new Promise((r) => setTimeout(r, 100));
}

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => handlersGone(s.pid)));
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await responder?.close();
});

const smtp = (name: string) => `127.0.0.1:${servers[name]?.ports[0]}`;
const smtps = (name: string) => `127.0.0.1:${servers[name]?.ports[1]}`;
const why = (name: string, report: Report) => explain(report, servers[name] as StartedServer);
const overSmtp = () => ({ ...opts, starttls: 'smtp' as const });
const implicit = () => ({ ...opts, starttls: 'none' as const, httpHead: false });

/** One `openssl s_client` handshake: whether it completed, whether it stapled, and how it ended otherwise. */
function sClient(port: number, version: '1.2' | '1.3', status: boolean, starttls: boolean): Promise<{ completed: boolean; stapled: boolean; out: string }> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', `-tls${version.replace('.', '_')}`];
  if (status) args.push('-status');
  if (starttls) args.push('-starttls', 'smtp');
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: 10_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error?.killed) return reject(new Error(`openssl s_client timed out: ${stderr}`));
      const out = `${stdout}\n${stderr}`;
      resolve({ completed: /-----BEGIN CERTIFICATE-----/.test(out), stapled: /^OCSP Response Data:/m.test(out), out });
    });
    child.stdin?.end();
  });
}

const GNUTLS_ERROR = /TLS error on connection from .*\(gnutls_certificate_set_ocsp_status_request_file2\): (.*)/g;

/** Exim's mainlog lines for `name` saying GnuTLS refused the file, by reason. */
function refusals(name: string): string[] {
  const log = readFileSync(join((servers[name] as StartedServer).dir, 'mainlog'), 'utf8');
  return [...new Set([...log.matchAll(GNUTLS_ERROR)].map((m) => m[1] as string))];
}

/** Every openssl handshake to `name`: TLS 1.2 and 1.3, with and without a status request, over STARTTLS and implicit TLS. */
async function everyHandshake(name: string) {
  const [smtpPort, smtpsPort] = (servers[name] as StartedServer).ports as [number, number];
  const seen: string[] = [];
  for (const [port, starttls] of [
    [smtpPort, true],
    [smtpsPort, false],
  ] as const)
    for (const version of ['1.2', '1.3'] as const)
      for (const status of [true, false]) {
        const r = await sClient(port, version, status, starttls);
        const how = r.completed
          ? r.stapled
            ? 'stapled'
            : 'no staple'
          : /wrong version number/.test(r.out)
            ? 'plain text'
            : // A reset (errno=104) as a rule; under load s_client has also reported it otherwise ('failed'
              // once beside the other integration suites): either way the handshake did not happen.
              'refused';
        seen.push(`${starttls ? 'starttls' : 'implicit'} ${version}${status ? ' status' : ''}: ${how}`);
      }
  return seen;
}

/** The expected `everyHandshake` when every handshake ends as `starttls` / `implicit` says. */
const all = (starttls: string, implicitTls: string) =>
  ['starttls', 'implicit'].flatMap((p) => ['1.2 status', '1.2', '1.3 status', '1.3'].map((v) => `${p} ${v}: ${p === 'starttls' ? starttls : implicitTls}`));

describe.skipIf(!HAS)('exim', () => {
  it('tls_ocsp_file with a valid response: ok over STARTTLS and implicit TLS, stapled on TLS 1.2 and 1.3; detected from the greeting', async () => {
    for (const [target, options] of [
      [smtp('good'), overSmtp()],
      [smtps('good'), implicit()],
    ] as const) {
      const report = await probe(target, options);
      expect(codes(report), why('good', report)).toEqual([]);
      expect(report.verdict).toBe('ok');
      expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: ['1001'] });
    }
    const report = await probe(smtp('good'), overSmtp());
    expect(report.targets[0]?.starttls).toBe('smtp');
    expect(report.targets[0]?.server).toMatchObject({ name: 'exim', source: 'banner' });
    expect(report.targets[0]?.server.header).toMatch(/^localhost ESMTP Exim 4\.96 /);
    // openssl: stapled on every handshake that asks, none on those that do not.
    expect(await everyHandshake('good')).toEqual(
      ['starttls', 'implicit'].flatMap((p) => [`${p} 1.2 status: stapled`, `${p} 1.2: no staple`, `${p} 1.3 status: stapled`, `${p} 1.3: no staple`]),
    );
    // The implicit-TLS port is a random one here, so the probe sends its HEAD: Exim greets before reading it.
    const direct = await probe(smtps('good'), { ...opts, starttls: 'none' });
    expect(codes(direct), why('good', direct)).toEqual([]);
    expect(direct.targets[0]?.server).toMatchObject({ name: 'exim', source: 'banner', header: expect.stringMatching(/^localhost ESMTP Exim 4\.96 /) });
    const truth = await opensslTruth(servers.good?.ports[0] as number, 'localhost', 'RSA', '1.3', 'smtp');
    expect(truth).toMatchObject({ protocol: 'TLSv1.3', stapled: true, certStatus: 'good', stapleSerial: '1001' });
  });

  it('an expired tls_ocsp_file: every TLS connection refused, asked for a staple or not; STARTTLS_FAILED explained from the banner', async () => {
    // STARTTLS answers 454 (openssl then reads the plain-text reply as TLS); the implicit port resets the connection.
    expect(await everyHandshake('expired')).toEqual(all('plain text', 'refused'));
    expect(refusals('expired')).toEqual(['The session or certificate has expired.']);

    const report = await probe(smtp('expired'), overSmtp());
    expect(codes(report), why('expired', report)).toEqual(['STARTTLS_FAILED']);
    expect(report.verdict).toBe('unknown');
    expect(report.findings[0]?.args).toMatchObject({ protocol: 'smtp', reason: 'refused', message: 'smtp: STARTTLS answered 454 TLS currently unavailable' });
    expect(report.targets[0]?.server.name).toBe('exim');
    const fixes = fixesFor(report.findings[0] as (typeof report.findings)[number], report);
    expect(fixes.map((f) => f.server)).toEqual(['exim']);
    expect(fixes[0]?.text).toMatch(/^Refresh `tls_ocsp_file`.*GnuTLS.*expired response/);

    // Implicit TLS: a reset before any byte of TLS, no greeting, so nothing names Exim unless the user does.
    const direct = await probe(smtps('expired'), implicit());
    // One finding per distinct message: "read ECONNRESET", sometimes also Node's "socket disconnected before ...".
    expect([...new Set(codes(direct))], why('expired', direct)).toEqual(['TLS_CONNECT_FAILED']);
    expect(direct.verdict).toBe('unknown');
    expect(direct.findings.map((f) => (f.args as { message: string }).message)).toContain('read ECONNRESET');
    expect(direct.targets[0]?.server.name).toBeNull();
    const named = await probe(smtps('expired'), { ...implicit(), server: 'exim' });
    expect(fixesFor(named.findings[0] as (typeof named.findings)[number], named)[0]?.text).toMatch(/^Refresh `tls_ocsp_file`/);
  });

  it("another certificate's response: refused the same way (GnuTLS checks it against the certificate) -> STARTTLS_FAILED / TLS_CONNECT_FAILED", async () => {
    expect(await everyHandshake('other')).toEqual(all('plain text', 'refused'));
    expect(refusals('other')).toEqual(["The OCSP response provided doesn't match the available certificates"]);
    const report = await probe(smtp('other'), overSmtp());
    expect(codes(report), why('other', report)).toEqual(['STARTTLS_FAILED']);
    expect(report.targets[0]?.server.name).toBe('exim');
    const direct = await probe(smtps('other'), implicit());
    expect([...new Set(codes(direct))], why('other', direct)).toEqual(['TLS_CONNECT_FAILED']);
  });

  it('no tls_ocsp_file: nothing stapled -> STAPLE_MISSING (warn), over STARTTLS and implicit TLS', async () => {
    for (const [target, options] of [
      [smtp('none'), overSmtp()],
      [smtps('none'), implicit()],
    ] as const) {
      const report = await probe(target, options);
      expect(codes(report), why('none', report)).toEqual(['STAPLE_MISSING']);
      expect(report.verdict).toBe('warn');
      expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: [null] });
    }
  });
});
