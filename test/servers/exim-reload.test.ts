/**
 * Exim 4.96 (GnuTLS) and a `tls_ocsp_file` that changes or expires while the daemon runs; exim.test.ts has
 * the start-up scenarios. The TLS files sit in a directory of their own: the daemon watches the directories
 * of its TLS files and reloads them after any change there, so a log or pid file written beside them would
 * trigger reloads of its own.
 *
 * Measured with Exim 4.96 (Debian exim4-daemon-light 4.96-15+deb12u11, GnuTLS 3.7.9):
 * - A replaced file is loaded about 5 s after the change (4.7–5.0 s measured), not per connection: the
 *   connection right after a replacement still gets the old response.
 * - An expired replacement is not ignored: once reloaded, Exim refuses TLS on every connection (STARTTLS
 *   answered `454 TLS currently unavailable`: STARTTLS_FAILED), as when it starts with an expired file.
 * - A response that expires while the daemon runs (valid when loaded) is stapled until its nextUpdate and not
 *   after it, on TLS 1.2 and 1.3: STAPLE_MISSING, nothing logged. The next reload (any change in the
 *   directory) loads the expired file, and TLS is refused from then on.
 * - An OCSP error response (tryLater) in the file is refused like an expired one: STARTTLS_FAILED.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, type Report } from '@staple-probe/core';
import { buildOcspResponse, makeStaple, type Responder, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../helpers.js';
import {
  available,
  eximConfig,
  fixText,
  explain,
  handshakesSeen,
  opensslTruth,
  pkiWithResponder,
  scenarioOptions,
  type StartedServer,
  startServer,
  writeIdentity,
} from './harness.js';

const HAS = available('exim4');

let pki: TestPki;
let responder: Responder;
let opts: ReturnType<typeof scenarioOptions>;
const running: StartedServer[] = [];

/** An Exim daemon with STARTTLS on one port, stapling `staple` from tls/ocsp.der. */
async function startExim(staple: Uint8Array): Promise<StartedServer> {
  const server = await startServer({
    kind: 'exim4',
    ports: 1,
    files: (dir, [smtp]) => {
      const tls = join(dir, 'tls');
      mkdirSync(tls);
      writeIdentity(tls, 'leaf', pki.leafRsa, [pki.intermediate]);
      writeFileSync(join(tls, 'ocsp.der'), staple);
      return { 'exim.conf': eximConfig({ dir, tlsDir: tls, smtp: smtp as number, ocsp: true }) };
    },
    command: (dir) => ({ file: 'exim4', args: ['-bdf', '-C', join(dir, 'exim.conf')] }),
    logFile: 'mainlog',
  });
  running.push(server);
  return server;
}

beforeAll(async () => {
  if (!HAS) return;
  ({ pki, responder } = await pkiWithResponder());
  opts = scenarioOptions(pki.root);
}, 60_000);

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await responder?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Replace tls/ocsp.der atomically (write, then rename), as Exim's spec asks. */
function replace(server: StartedServer, staple: Uint8Array): void {
  writeFileSync(join(server.dir, 'tls', 'ocsp.new'), staple);
  renameSync(join(server.dir, 'tls', 'ocsp.new'), join(server.dir, 'tls', 'ocsp.der'));
}

/** Probe over STARTTLS on TLS 1.3, once a bounded while until `done(report)`; the last report. */
async function probeUntil(server: StartedServer, done: (report: Report) => boolean, withinMs = 20_000): Promise<Report> {
  const started = Date.now();
  for (;;) {
    const report = await probe(`127.0.0.1:${server.ports[0]}`, { ...opts, starttls: 'smtp', attempts: 1, tlsVersions: ['1.3'] });
    if (done(report) || Date.now() - started > withinMs) return report;
    await sleep(250);
  }
}

const eximFix = (report: Report, code: string) => fixText(report, code, 'exim');

describe.skipIf(!HAS)('exim: tls_ocsp_file replaced or expiring while the daemon runs', () => {
  it('a replacement is loaded seconds later, not on the next connection; an expired replacement then refuses TLS (STARTTLS_FAILED)', async () => {
    const server = await startExim(await makeStaple(pki, 'good', { now: new Date() }));
    const port = server.ports[0] as number;
    const before = await opensslTruth(port, 'localhost', 'RSA', '1.3', 'smtp');
    expect(before).toMatchObject({ stapled: true, certStatus: 'good' });
    // A good response produced a day earlier: another nextUpdate.
    replace(server, await makeStaple(pki, 'good', { now: new Date(Date.now() - 86_400_000) }));
    const started = Date.now();
    const first = await opensslTruth(port, 'localhost', 'RSA', '1.3', 'smtp');
    expect(first?.nextUpdate, 'the connection right after the replacement still gets the old response').toBe(before?.nextUpdate);
    let after = first;
    while (after?.nextUpdate === before?.nextUpdate && Date.now() - started < 20_000) {
      await sleep(250);
      after = await opensslTruth(port, 'localhost', 'RSA', '1.3', 'smtp');
    }
    expect(after, `not reloaded within 20 s: ${server.log()}`).toMatchObject({ stapled: true, certStatus: 'good' });
    expect(after?.nextUpdate).not.toBe(before?.nextUpdate);

    replace(server, await makeStaple(pki, 'expired', { now: new Date() }));
    const right = await probe(`127.0.0.1:${port}`, { ...opts, starttls: 'smtp', attempts: 1, tlsVersions: ['1.3'] });
    expect(codes(right), 'the connection right after: still the previous response').toEqual([]);
    const refused = await probeUntil(server, (r) => codes(r).includes('STARTTLS_FAILED'));
    expect(codes(refused), explain(refused, server)).toEqual(['STARTTLS_FAILED']);
    expect(refused.findings[0]?.args).toMatchObject({ message: expect.stringMatching(/STARTTLS answered 454 TLS currently unavailable/) });
    expect(eximFix(refused, 'STARTTLS_FAILED')).toMatch(/^Refresh `tls_ocsp_file`/);
    expect(server.log()).toContain('(gnutls_certificate_set_ocsp_status_request_file2): The session or certificate has expired.');
  }, 60_000);

  it('a response that expires while Exim runs: left out after its nextUpdate (STAPLE_MISSING); TLS refused after the next reload', async () => {
    const second = Math.floor(Date.now() / 1000) * 1000;
    const nextUpdate = new Date(second + 8000);
    const server = await startExim(
      await buildOcspResponse({
        issuer: pki.intermediate,
        producedAt: new Date(second - 3_600_000),
        entries: [{ cert: pki.leafRsa, status: 'good', thisUpdate: new Date(second - 3_600_000), nextUpdate }],
      }),
    );
    const port = server.ports[0] as number;
    const before = await opensslTruth(port, 'localhost', 'RSA', '1.3', 'smtp');
    expect(Date.now(), 'the first look came after nextUpdate: the machine is too slow for this scenario').toBeLessThan(nextUpdate.getTime());
    expect(before).toMatchObject({ stapled: true, certStatus: 'good' });
    while (Date.now() < nextUpdate.getTime() + 1500) await sleep(250);
    // GnuTLS checks the loaded response at each handshake and leaves it out once expired; nothing is logged.
    const report = await probe(`127.0.0.1:${port}`, { ...opts, starttls: 'smtp' });
    expect(codes(report), explain(report, server)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: [null] });
    expect(eximFix(report, 'STAPLE_MISSING')).toMatch(/refuses TLS on every connection after its next restart or reload/);
    expect(server.log()).not.toContain('gnutls_certificate_set_ocsp_status_request_file2');
    // Any change in the directory of the TLS files makes the daemon reload them: the expired file then refuses TLS.
    writeFileSync(join(server.dir, 'tls', 'unrelated'), 'x');
    const refused = await probeUntil(server, (r) => codes(r).includes('STARTTLS_FAILED'));
    expect(codes(refused), `no reload within 20 s: ${server.log()}`).toEqual(['STARTTLS_FAILED']);
    expect(server.log()).toContain('(gnutls_certificate_set_ocsp_status_request_file2): The session or certificate has expired.');
  }, 60_000);

  it('an OCSP error response (tryLater) in tls_ocsp_file: refused like an expired one -> STARTTLS_FAILED (unknown)', async () => {
    const server = await startExim(await makeStaple(pki, 'try-later', { now: new Date() }));
    const report = await probe(`127.0.0.1:${server.ports[0]}`, { ...opts, starttls: 'smtp' });
    expect(codes(report), explain(report, server)).toEqual(['STARTTLS_FAILED']);
    expect(report.verdict).toBe('unknown');
    expect(report.targets[0]?.server).toMatchObject({ name: 'exim', source: 'banner' });
    expect(eximFix(report, 'STARTTLS_FAILED')).toMatch(/error response/);
    expect(server.log()).toContain("(gnutls_certificate_set_ocsp_status_request_file2): The OCSP response provided doesn't match the available certificates");
  });
});
