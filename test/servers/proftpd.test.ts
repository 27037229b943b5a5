/**
 * ProFTPD (mod_tls) stapling scenarios over FTP AUTH TLS: one `proftpd -n` with one <VirtualHost> per scenario,
 * each on its own port, all sharing one `TLSStaplingCache fs:` directory (mod_tls_fscache).
 *
 * Measured with ProFTPD 1.3.8 (Debian 1.3.8+dfsg-4+deb12u5, mod_tls 2.9.2, OpenSSL 3.0):
 * - Nothing is fetched at start. The first session whose client asks for a staple fetches inside its handshake
 *   and staples the answer at once; later sessions (each its own process) read the cache, and without a cache
 *   each session fetches again.
 * - Whenever it has no usable response (responder down, a redirect, an expired, foreign or error answer, no
 *   issuer because `TLSCertificateChainFile` is missing) mod_tls staples a fake `tryLater` of its own and
 *   caches it, past the responder's return. `TLSStaplingOptions NoFakeTryLater` staples nothing instead,
 *   except for a must-staple certificate.
 * - A cached response past half its validity is refetched; if that fails the cached one is stapled until its
 *   nextUpdate, then the fake `tryLater`.
 * - Failures are logged only in the trace log (`Trace tls:5`), not in the `TLSLog`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { probe, type Report } from '@staple-probe/core';
import { createPki, type Issued, issue, makeStaple, type Responder, startResponder, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../helpers.js';
import {
  available,
  distinctFreePorts,
  explain,
  fixText,
  opensslTruth,
  scenarioOptions,
  serverLeaf,
  startAia,
  type StartedServer,
  startRedirector,
  startServer,
  template,
} from './harness.js';

const HAS = available('proftpd');
const DAY = 86_400_000;

/** The scenarios, one <VirtualHost> each, in the order of `startServer`'s ports. */
const SCENARIOS = [
  'live',
  'revoked',
  'down',
  'noFake',
  'mustStaple',
  'expired',
  'foreign',
  'internalError',
  'recover',
  'refresh',
  'redirected',
  'noChain',
] as const;
type Scenario = (typeof SCENARIOS)[number];

const CONFIG = `
ModulePath /usr/lib/proftpd
LoadModule mod_tls.c
LoadModule mod_tls_fscache.c
ServerType standalone
ServerName "staple-probe"
# The main server listens nowhere: each scenario is a <VirtualHost> on its own port.
Port 0
SocketBindTight on
UseIPv6 off
UseReverseDNS off
# root, so that the session processes can read the keys in this 0700 directory and write the cache.
User root
Group root
PidFile {{dir}}/proftpd.pid
ScoreboardFile {{dir}}/proftpd.scoreboard
SystemLog {{dir}}/system.log
DelayTable none
WtmpLog off
TransferLog none
TraceLog {{dir}}/trace.log
Trace tls:5
{{cache}}
<Global>
  TLSEngine on
  TLSLog {{dir}}/tls.log
  TLSProtocol TLSv1.2 TLSv1.3
  TLSStapling on
</Global>
{{vhosts}}
`;

const VHOST = `
<VirtualHost 127.0.0.1>
  Port {{port}}
  ServerName "{{name}}"
  TLSRSACertificateFile {{dir}}/{{name}}.crt
  TLSRSACertificateKeyFile {{dir}}/{{name}}.key
  {{chain}}
  {{extra}}
</VirtualHost>`;

/** An OCSP URL that answers every request with the same bytes, set once the leaf carrying the URL exists. */
async function startFixedResponder(): Promise<{ url: string; answer: (body: Uint8Array) => void; close: () => void }> {
  let body: Uint8Array = new Uint8Array(0);
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': body.length }).end(Buffer.from(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ocsp`,
    answer: (b) => {
      body = b;
    },
    close: () => server.close(),
  };
}

let pki: TestPki;
let responder: Responder;
let late: Responder | undefined;
let refreshing: Responder;
let redirector: Awaited<ReturnType<typeof startRedirector>>;
let aia: Awaited<ReturnType<typeof startAia>>;
const REFRESH_VALIDITY_S = 20;
const REFRESH_AGE_S = 12;
let latePort: number;
const fixed: { close: () => void }[] = [];
let proftpd: StartedServer;
const leaves = {} as Record<Scenario, Issued>;
let opts: ReturnType<typeof scenarioOptions> & { starttls: 'ftp' };

beforeAll(async () => {
  if (!HAS) return;
  const [responderPort, deadPort, lateP] = (await distinctFreePorts(3)) as [number, number, number];
  latePort = lateP;
  const url = `http://127.0.0.1:${responderPort}/ocsp`;
  const dead = `http://127.0.0.1:${deadPort}/ocsp`;
  pki = await createPki({ ocspUrl: url });
  leaves.live = await serverLeaf(pki.intermediate, '1401', url);
  leaves.revoked = await serverLeaf(pki.intermediate, '1402', url);
  leaves.down = await serverLeaf(pki.intermediate, '1403', dead);
  leaves.noFake = await serverLeaf(pki.intermediate, '1404', dead);
  leaves.mustStaple = await issue({
    issuer: pki.intermediate,
    subject: 'CN=localhost',
    serial: '1405',
    dnsNames: ['localhost'],
    ocspUrls: [dead],
    ekus: ['1.3.6.1.5.5.7.3.1'],
    mustStaple: true,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 90 * DAY),
  });
  const now = new Date();
  // A leaf whose OCSP URL always answers with the testing kit's staple of that scenario for it.
  const answering = async (scenario: 'expired' | 'wrong-cert' | 'internal-error', serial: string): Promise<Issued> => {
    const f = await startFixedResponder();
    fixed.push(f);
    const leaf = await serverLeaf(pki.intermediate, serial, f.url);
    f.answer(await makeStaple(pki, scenario, { now, leaf }));
    return leaf;
  };
  leaves.expired = await answering('expired', '1406');
  leaves.foreign = await answering('wrong-cert', '1407');
  leaves.internalError = await answering('internal-error', '1408');
  leaves.recover = await serverLeaf(pki.intermediate, '1409', `http://127.0.0.1:${latePort}/ocsp`);
  // Responses valid for 20 s whose thisUpdate is 12 s old when fetched: past half their validity at once.
  refreshing = await startResponder({
    issuer: pki.intermediate,
    statuses: new Map([['1410', { status: 'good' }]]),
    validitySeconds: REFRESH_VALIDITY_S,
    now: () => new Date(Date.now() - REFRESH_AGE_S * 1000),
  });
  leaves.refresh = await serverLeaf(pki.intermediate, '1410', refreshing.url);
  redirector = await startRedirector(responderPort);
  leaves.redirected = await serverLeaf(pki.intermediate, '1411', redirector.url);
  // Its AIA caIssuers URL serves the intermediate, as real CAs' leaves name theirs: the probe fetches it.
  aia = await startAia(pki.intermediate);
  leaves.noChain = await serverLeaf(pki.intermediate, '1412', url, ['localhost'], 'rsa2048', aia.url);
  responder = await startResponder({
    issuer: pki.intermediate,
    port: responderPort,
    statuses: new Map([
      ['1401', { status: 'good' }],
      ['1411', { status: 'good' }],
      ['1412', { status: 'good' }],
      ['1402', { status: 'revoked', revokedAt: new Date(Math.floor(Date.now() / 1000) * 1000 - DAY), reason: 'keyCompromise' }],
    ]),
  });

  proftpd = await startServer({
    kind: 'proftpd',
    ports: SCENARIOS.length,
    files: (dir, ports) => {
      const vhosts = SCENARIOS.map((name, i) =>
        template(VHOST, {
          dir,
          name,
          port: ports[i] as number,
          chain: name === 'noChain' ? '' : `TLSCertificateChainFile ${dir}/chain.pem`,
          extra: name === 'noFake' || name === 'mustStaple' ? 'TLSStaplingOptions NoFakeTryLater' : '',
        }),
      );
      return {
        'proftpd.conf': template(CONFIG, { dir, cache: `TLSStaplingCache fs:/path=${dir}`, vhosts: vhosts.join('\n') }),
        'chain.pem': pki.intermediate.pem,
        ...Object.fromEntries(
          SCENARIOS.flatMap((name) => [
            [`${name}.crt`, leaves[name].pem],
            [`${name}.key`, leaves[name].keyPem],
          ]),
        ),
      };
    },
    command: (dir) => ({ file: 'proftpd', args: ['-n', '-c', join(dir, 'proftpd.conf')] }),
    logFile: 'system.log',
  });
  opts = { ...scenarioOptions(pki.root), starttls: 'ftp' };
}, 60_000);

afterAll(async () => {
  await proftpd?.stop();
  await responder?.close();
  await late?.close();
  await refreshing?.close();
  redirector?.close();
  aia?.close();
  for (const f of fixed) f.close();
});

const port = (name: Scenario) => proftpd.ports[SCENARIOS.indexOf(name)] as number;
const at = (name: Scenario) => `127.0.0.1:${port(name)}`;
const why = (report: Report) => `${explain(report, proftpd)}\n${trace()}`;
const trace = () => (existsSync(join(proftpd.dir, 'trace.log')) ? readFileSync(join(proftpd.dir, 'trace.log'), 'utf8').slice(-4000) : '(no trace)');
/** mod_tls_fscache's file for a certificate: the SHA-1 fingerprint of its DER, in the cache directory. */
const cacheFile = (leaf: Issued) => join(proftpd.dir, `${createHash('sha1').update(leaf.der).digest('hex')}.der`);
/** Whether every successful handshake carried a staple (the ECDSA-only offers fail: these leaves are RSA). */
const everyHandshakeStapled = (report: Report) =>
  report.targets.flatMap((t) => t.addresses.flatMap((a) => a.attempts)).every((a) => !a.ok || a.staple !== null);

describe.runIf(HAS)('proftpd', () => {
  it('responder up: fetched in the first handshake (not at start), stapled from it, later sessions read the fs cache -> ok', async () => {
    // Nothing was fetched at start.
    expect(responder.requests()).toBe(0);
    expect(existsSync(cacheFile(leaves.live))).toBe(false);
    // One handshake: ProFTPD fetches inside it (the session waits for the responder) and staples the answer.
    const first = await opensslTruth(port('live'), 'localhost', 'RSA', '1.3', 'ftp');
    expect(first, proftpd.log()).toMatchObject({ leafSerial: '1401', stapled: true, responseStatus: 'successful', certStatus: 'good' });
    expect(responder.requests()).toBe(1);
    expect(existsSync(cacheFile(leaves.live))).toBe(true);
    // The next session (a new process) staples the cached response without asking the responder.
    const second = await opensslTruth(port('live'), 'localhost', 'RSA', '1.2', 'ftp');
    expect(second).toMatchObject({ stapled: true, certStatus: 'good', nextUpdate: first?.nextUpdate });
    expect(responder.requests()).toBe(1);

    const report = await probe(at('live'), opts);
    expect(codes(report), why(report)).toEqual([]);
    expect(report.verdict).toBe('ok');
    expect(report.server).toBe('proftpd');
    expect(report.targets[0]?.server).toEqual({ name: 'proftpd', header: 'ProFTPD Server (live) [127.0.0.1]', source: 'banner' });
    expect(everyHandshakeStapled(report)).toBe(true);
    // Only the probe's own live query reached the responder.
    expect(responder.requests()).toBe(2);
  });

  it('responder says revoked: the revoked response is stapled as fetched -> STAPLE_REVOKED', async () => {
    const report = await probe(at('revoked'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_REVOKED', 'STAPLE_REVOKED']);
    expect(report.verdict).toBe('critical');
  });

  it('responder down: mod_tls staples a fake tryLater response of its own -> STAPLE_ERROR_STATUS, and the ProFTPD fix says so', async () => {
    const report = await probe(at('down'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_UNREACHABLE', 'STAPLE_ERROR_STATUS']);
    expect(report.verdict).toBe('critical');
    expect(report.findings.find((f) => f.code === 'STAPLE_ERROR_STATUS')?.args).toEqual({ status: 'tryLater', statusCode: 3 });
    expect(everyHandshakeStapled(report)).toBe(true);
    // The fake response (5 bytes: OCSPResponse { responseStatus tryLater }) is what is cached.
    expect([...readFileSync(cacheFile(leaves.down))]).toEqual([0x30, 0x03, 0x0a, 0x01, 0x03]);
    // The trace says it; the TLSLog (without `TLSOptions EnableDiags`) says nothing about OCSP.
    expect(trace()).toMatch(/error obtaining OCSP response from responder/);
    expect(trace()).toMatch(/returning fake tryLater OCSP response/);
    expect(readFileSync(join(proftpd.dir, 'tls.log'), 'utf8')).not.toMatch(/OCSP/i);
    const fix = fixText(report, 'STAPLE_ERROR_STATUS', 'proftpd');
    expect(fix).toMatch(/^Make mod_tls's fetch succeed: the tryLater is ProFTPD's own/);
    expect(fix).toMatch(/`TLSStaplingOptions NoFakeTryLater` staples nothing instead/);
  });

  it('responder down with TLSStaplingOptions NoFakeTryLater: nothing stapled -> STAPLE_MISSING', async () => {
    const report = await probe(at('noFake'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_UNREACHABLE', 'STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(report.findings.find((f) => f.code === 'STAPLE_MISSING')?.args).toEqual({ liveResponder: 'failed' });
  });

  it('a must-staple certificate with NoFakeTryLater, responder down: the fake tryLater is stapled all the same', async () => {
    const report = await probe(at('mustStaple'), opts);
    expect(codes(report), why(report)).toEqual(['CERT_MUST_STAPLE', 'LIVE_UNREACHABLE', 'STAPLE_ERROR_STATUS']);
    expect(everyHandshakeStapled(report)).toBe(true);
    expect(report.verdict).toBe('critical');
  });

  it('responder answers with an expired response: refused, the fake tryLater is stapled instead', async () => {
    const report = await probe(at('expired'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_INVALID', 'STAPLE_ERROR_STATUS']);
    expect(report.findings.find((f) => f.code === 'LIVE_INVALID')?.args).toMatchObject({ problem: 'STAPLE_EXPIRED' });
    expect(report.findings.find((f) => f.code === 'STAPLE_ERROR_STATUS')?.args).toEqual({ status: 'tryLater', statusCode: 3 });
    expect(report.verdict).toBe('critical');
  });

  it("responder answers with another certificate's response: refused, the fake tryLater is stapled instead", async () => {
    const report = await probe(at('foreign'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_INVALID', 'STAPLE_ERROR_STATUS']);
    expect(report.findings.find((f) => f.code === 'LIVE_INVALID')?.args).toMatchObject({ problem: 'STAPLE_CERTID_MISMATCH' });
    expect(report.findings.find((f) => f.code === 'STAPLE_ERROR_STATUS')?.args).toEqual({ status: 'tryLater', statusCode: 3 });
  });

  it('responder answers internalError: mod_tls staples its own tryLater, not the error', async () => {
    const report = await probe(at('internalError'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_ERROR_STATUS', 'STAPLE_ERROR_STATUS']);
    expect(report.findings.find((f) => f.code === 'LIVE_ERROR_STATUS')?.args).toMatchObject({ status: 'internalError' });
    expect(report.findings.find((f) => f.code === 'STAPLE_ERROR_STATUS')?.args).toEqual({ status: 'tryLater', statusCode: 3 });
  });

  it('the fake tryLater stays cached after the responder is back; removing the cache file makes the next session fetch', async () => {
    const before = await probe(at('recover'), opts);
    expect(codes(before), why(before)).toEqual(['LIVE_UNREACHABLE', 'STAPLE_ERROR_STATUS']);
    late = await startResponder({ issuer: pki.intermediate, port: latePort, statuses: new Map([['1409', { status: 'good' }]]) });
    const cached = await probe(at('recover'), { ...opts, live: false });
    expect(codes(cached), why(cached)).toEqual(['STAPLE_ERROR_STATUS']);
    expect(late.requests()).toBe(0);
    rmSync(cacheFile(leaves.recover));
    const fetched = await opensslTruth(port('recover'), 'localhost', 'RSA', '1.3', 'ftp');
    expect(fetched).toMatchObject({ stapled: true, responseStatus: 'successful', certStatus: 'good' });
    expect(late.requests()).toBe(1);
    const after = await probe(at('recover'), opts);
    expect(codes(after), why(after)).toEqual([]);
    expect(after.verdict).toBe('ok');
  });

  it('a cached response past half its validity is fetched again in the next handshake; a failed refetch staples the cached one until nextUpdate, then the fake tryLater', async () => {
    const first = await opensslTruth(port('refresh'), 'localhost', 'RSA', '1.3', 'ftp');
    expect(first, proftpd.log()).toMatchObject({ stapled: true, certStatus: 'good' });
    expect(refreshing.requests()).toBe(1);
    const second = await opensslTruth(port('refresh'), 'localhost', 'RSA', '1.3', 'ftp');
    expect(second).toMatchObject({ stapled: true, certStatus: 'good' });
    expect(refreshing.requests()).toBe(2);
    await refreshing.close();
    const kept = await opensslTruth(port('refresh'), 'localhost', 'RSA', '1.3', 'ftp');
    expect(kept).toMatchObject({ stapled: true, certStatus: 'good', nextUpdate: second?.nextUpdate });
    // Once nextUpdate has passed, the expired entry is dropped and the failed fetch leaves the fake tryLater.
    const expiry = Date.parse(second?.nextUpdate as string);
    await new Promise((r) => setTimeout(r, Math.max(0, expiry - Date.now()) + 1100));
    const report = await probe(at('refresh'), { ...opts, live: false });
    expect(codes(report), why(report)).toEqual(['STAPLE_ERROR_STATUS']);
    expect(report.findings[0]?.args).toEqual({ status: 'tryLater', statusCode: 3 });
  });

  it('an OCSP URL that redirects: not followed, the fake tryLater is stapled', async () => {
    const report = await probe(at('redirected'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_REDIRECTED', 'STAPLE_ERROR_STATUS']);
    expect(report.verdict).toBe('critical');
    expect(redirector.requests()).toBeGreaterThan(0);
    expect(fixText(report, 'LIVE_REDIRECTED', 'proftpd')).toMatch(/^Set `TLSStaplingResponder` to the final URL/);
  });

  it("no TLSCertificateChainFile: mod_tls finds no issuer, asks no responder, and staples the fake tryLater; the chain fix is ProFTPD's", async () => {
    const before = responder.requests();
    const report = await probe(at('noChain'), { ...opts, live: false });
    // The leaf is served alone; the probe fetches the intermediate from the leaf's AIA URL and says so.
    expect(codes(report), why(report)).toEqual(['CERT_CHAIN_INCOMPLETE', 'STAPLE_ERROR_STATUS']);
    expect(report.targets[0]?.addresses[0]?.attempts.find((a) => a.ok)?.chain).toHaveLength(1);
    expect(responder.requests()).toBe(before);
    expect(fixText(report, 'CERT_CHAIN_INCOMPLETE', 'proftpd')).toMatch(/^Set `TLSCertificateChainFile` to the intermediate/);
  });
});

describe.runIf(HAS)('proftpd without TLSStaplingCache', () => {
  let uncached: StartedServer;
  let counted: Responder;

  beforeAll(async () => {
    counted = await startResponder({ issuer: pki.intermediate, statuses: new Map([['1413', { status: 'good' }]]) });
    const leaf = await serverLeaf(pki.intermediate, '1413', counted.url);
    uncached = await startServer({
      kind: 'proftpd',
      ports: 1,
      files: (dir, [port]) => ({
        'proftpd.conf': template(CONFIG, {
          dir,
          cache: '',
          vhosts: template(VHOST, { dir, name: 'uncached', port: port as number, chain: `TLSCertificateChainFile ${dir}/chain.pem`, extra: '' }),
        }),
        'chain.pem': pki.intermediate.pem,
        'uncached.crt': leaf.pem,
        'uncached.key': leaf.keyPem,
      }),
      command: (dir) => ({ file: 'proftpd', args: ['-n', '-c', join(dir, 'proftpd.conf')] }),
      logFile: 'system.log',
    });
  }, 60_000);

  afterAll(async () => {
    await uncached?.stop();
    await counted?.close();
  });

  it('every session fetches again, inside its handshake', async () => {
    const port = uncached.ports[0] as number;
    for (let session = 1; session <= 3; session++) {
      const seen = await opensslTruth(port, 'localhost', 'RSA', '1.3', 'ftp');
      expect(seen, uncached.log()).toMatchObject({ leafSerial: '1413', stapled: true, certStatus: 'good' });
      expect(counted.requests()).toBe(session);
    }
  });
});
