/**
 * gnutls-serv, GnuTLS's test server: `gnutls-serv --http --ocsp-response <DER>` staples the file it is given
 * on every handshake; it reads the file once, at start (replacing it later changes nothing), and fetches
 * nothing. One process per scenario (it serves one identity).
 *
 * Measured with gnutls-serv 3.7.9 (Debian gnutls-bin 3.7.9-2+deb12u7):
 * - A valid response is stapled from the first handshake, on TLS 1.2 and TLS 1.3 alike.
 * - At start it checks the file against the certificate and the clock: an expired response ("The session or
 *   certificate has expired.") or another certificate's ("The OCSP response provided doesn't match the
 *   available certificates") makes it print `Cannot set OCSP status request file: <file>: <reason>` and exit
 *   with status 1, before it listens.
 * - With `--ignore-ocsp-response-errors` it starts anyway and staples that very file, expired or foreign, on
 *   TLS 1.2 and 1.3: the probe says STAPLE_EXPIRED (with COMPARE_STAPLE_STALE) or STAPLE_CERTID_MISMATCH (critical).
 * - Without `--ocsp-response` nothing is stapled: STAPLE_MISSING (warn).
 * - A response that expires while it runs (checked at start, valid then) is stapled until its nextUpdate and
 *   not at all after it, on TLS 1.2 and 1.3: the check at handshake time drops it (STAPLE_MISSING); nothing is
 *   logged. `--ignore-ocsp-response-errors` skips that check too (the expired file above is stapled).
 * - It listens on every address (0.0.0.0 and ::; it has no listen-address option), logs each connection on
 *   stdout, and its `--http` page carries no `Server` header: the probe detects no server software.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, type Report } from '@staple-probe/core';
import { buildOcspResponse, freePort, makeStaple, type Responder, type StapleScenario, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../helpers.js';
import {
  available,
  explain,
  opensslTruth,
  scenarioOptions,
  type StartedServer,
  startServer,
  workDir,
  writeIdentity,
  handshakesSeen,
  pkiWithResponder,
} from './harness.js';

const HAS = available('gnutls-serv');

let pki: TestPki;
let responder: Responder;
let opts: ReturnType<typeof scenarioOptions>;
const servers: Record<string, StartedServer> = {};

/** gnutls-serv's arguments for the RSA leaf in `dir` on `port`, stapling `dir`/staple.der when asked. */
function gnutlsArgs(dir: string, port: number, staple: boolean, ignoreErrors: boolean): string[] {
  return [
    '--http',
    '--disable-client-cert',
    '--x509certfile',
    join(dir, 'leaf.crt'),
    '--x509keyfile',
    join(dir, 'leaf.key'),
    '--port',
    String(port),
    ...(staple ? ['--ocsp-response', join(dir, 'staple.der')] : []),
    ...(ignoreErrors ? ['--ignore-ocsp-response-errors'] : []),
  ];
}

/** `gnutls-serv --http` for the RSA leaf on a fresh port, stapling `staple` (nothing when null); its stdout goes to gnutls.log. */
function startGnutls(staple: Uint8Array | null, ignoreErrors: boolean): Promise<StartedServer> {
  return startServer({
    kind: 'gnutls-serv',
    ports: 1,
    files: (dir) => {
      writeIdentity(dir, 'leaf', pki.leafRsa, [pki.intermediate]);
      return staple ? { 'staple.der': staple } : {};
    },
    // `exec` keeps the pid the harness stops; the redirection keeps gnutls-serv's connection log.
    command: (dir, [port]) => ({
      file: 'sh',
      args: ['-c', 'exec gnutls-serv "$@" >gnutls.log', 'gnutls-serv', ...gnutlsArgs(dir, port as number, staple !== null, ignoreErrors)],
    }),
    logFile: 'gnutls.log',
  });
}

beforeAll(async () => {
  if (!HAS) return;
  ({ pki, responder } = await pkiWithResponder());
  opts = scenarioOptions(pki.root);
  const now = new Date();
  const staple = (scenario: StapleScenario) => makeStaple(pki, scenario, { now });
  // One after another: each start's free port is released before gnutls-serv binds it, so parallel starts
  // could be handed the same one.
  servers.good = await startGnutls(await staple('good'), false);
  servers.expired = await startGnutls(await staple('expired'), true);
  servers.other = await startGnutls(await staple('wrong-cert'), true);
  servers.none = await startGnutls(null, false);
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await responder?.close();
});

const at = (name: string) => `127.0.0.1:${servers[name]?.ports[0]}`;
const why = (name: string, report: Report) => explain(report, servers[name] as StartedServer);

/** What openssl s_client -status gets on TLS 1.2 and on TLS 1.3 (protocol, staple, its status and serial). */
async function opensslBoth(name: string) {
  const port = servers[name]?.ports[0] as number;
  const seen = [];
  for (const version of ['1.2', '1.3'] as const) {
    const truth = await opensslTruth(port, 'localhost', 'RSA', version);
    seen.push(truth && { protocol: truth.protocol, stapled: truth.stapled, certStatus: truth.certStatus, stapleSerial: truth.stapleSerial });
  }
  return seen;
}

describe.skipIf(!HAS)('gnutls-serv', () => {
  it('--ocsp-response with a valid response: ok, stapled on every handshake, TLS 1.2 and 1.3', async () => {
    const report = await probe(at('good'), opts);
    expect(codes(report), why('good', report)).toEqual([]);
    expect(report.verdict).toBe('ok');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: ['1001'] });
    // Its HTTP page names no server software.
    expect(report.targets[0]?.server).toEqual({ name: null, header: null, source: null });
    expect(await opensslBoth('good')).toEqual([
      { protocol: 'TLSv1.2', stapled: true, certStatus: 'good', stapleSerial: '1001' },
      { protocol: 'TLSv1.3', stapled: true, certStatus: 'good', stapleSerial: '1001' },
    ]);
  });

  it('the file is read once, at start: replacing it changes nothing', async () => {
    const server = servers.good as StartedServer;
    writeFileSync(join(server.dir, 'staple.der'), await makeStaple(pki, 'wrong-cert', { now: new Date() }));
    const report = await probe(at('good'), opts);
    expect(codes(report), why('good', report)).toEqual([]);
    expect(handshakesSeen(report).stapled).toEqual(['1001']);
  });

  it("an expired or another certificate's response without --ignore-ocsp-response-errors: gnutls-serv refuses to start", async () => {
    const dir = workDir('gnutls-serv');
    try {
      writeIdentity(dir, 'leaf', pki.leafRsa, [pki.intermediate]);
      const now = new Date();
      for (const [scenario, reason] of [
        ['expired', 'The session or certificate has expired.'],
        ['wrong-cert', "The OCSP response provided doesn't match the available certificates"],
      ] as const) {
        writeFileSync(join(dir, 'staple.der'), await makeStaple(pki, scenario, { now }));
        const port = await freePort();
        const run = spawnSync('gnutls-serv', gnutlsArgs(dir, port, true, false), { encoding: 'utf8', timeout: 10_000 });
        expect(run.status, `${scenario}: ${run.stdout}${run.stderr}`).toBe(1);
        expect(`${run.stdout}${run.stderr}`).toContain(`Cannot set OCSP status request file: ${join(dir, 'staple.der')}: ${reason}`);
        expect(run.stdout).not.toMatch(/listening/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an expired response with --ignore-ocsp-response-errors: stapled anyway, TLS 1.2 and 1.3 -> STAPLE_EXPIRED (critical) and COMPARE_STAPLE_STALE', async () => {
    const report = await probe(at('expired'), opts);
    // The live responder's answer is ten days newer than the stapled one.
    expect(codes(report), why('expired', report)).toEqual(['COMPARE_STAPLE_STALE', 'STAPLE_EXPIRED']);
    expect(report.verdict).toBe('critical');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: ['1001'] });
    const seen = await opensslBoth('expired');
    expect(seen.map((s) => s?.stapled)).toEqual([true, true]);
  });

  it("another certificate's response with --ignore-ocsp-response-errors: stapled anyway -> STAPLE_CERTID_MISMATCH (critical)", async () => {
    const report = await probe(at('other'), opts);
    expect(codes(report), why('other', report)).toEqual(['STAPLE_CERTID_MISMATCH']);
    expect(report.verdict).toBe('critical');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: ['1002'] });
    expect((await opensslBoth('other')).map((s) => s?.stapleSerial)).toEqual(['1002', '1002']);
  });

  it('without --ocsp-response: nothing stapled -> STAPLE_MISSING (warn)', async () => {
    const report = await probe(at('none'), opts);
    expect(codes(report), why('none', report)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: [null] });
    expect((await opensslBoth('none')).map((s) => s?.stapled)).toEqual([false, false]);
  });
});

describe.skipIf(!HAS)('gnutls-serv with a response that expires while it runs', () => {
  /** How long the response stays valid after it is written: ample for a start on a loaded machine. */
  const VALID_FOR_MS = 12_000;
  let server: StartedServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('stapled until its nextUpdate, then dropped at handshake time on TLS 1.2 and 1.3 -> STAPLE_MISSING (warn)', async () => {
    const now = Date.now();
    const second = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
    const nextUpdate = second(now + VALID_FOR_MS);
    const response = await buildOcspResponse({
      issuer: pki.intermediate,
      producedAt: second(now - 60_000),
      entries: [{ cert: pki.leafRsa, status: 'good', thisUpdate: second(now - 60_000), nextUpdate }],
    });
    server = await startGnutls(response, false);
    const port = server.ports[0] as number;
    const before = await opensslTruth(port, 'localhost', 'RSA', '1.3');
    expect(Date.now(), 'the first look came after nextUpdate: the machine is too slow for this test').toBeLessThan(nextUpdate.getTime());
    expect(before?.stapled).toBe(true);

    // Past nextUpdate by a second (a wait on the clock, bounded by VALID_FOR_MS).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextUpdate.getTime() + 1000 - Date.now())));
    const after = [await opensslTruth(port, 'localhost', 'RSA', '1.2'), await opensslTruth(port, 'localhost', 'RSA', '1.3')];
    expect(after.map((t) => [t?.protocol, t?.stapled])).toEqual([
      ['TLSv1.2', false],
      ['TLSv1.3', false],
    ]);
    const report = await probe(`127.0.0.1:${port}`, opts);
    expect(codes(report), explain(report, server)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
  }, 40_000);
});
