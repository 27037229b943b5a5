/**
 * nginx stapling scenarios, one nginx process with one server block per scenario, each on its own port.
 * The OCSP responder is the testing kit's, on loopback; nginx fetches from it for the live-fetch scenarios.
 */
import { join } from 'node:path';
import { probe, renderMessage, type Report } from '@staple-probe/core';
import { createPki, type Issued, makeStaple, type Responder, startResponder, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../helpers.js';
import {
  available,
  distinctFreePorts,
  explain,
  fixText,
  identityFiles,
  scenarioOptions,
  serverLeaf,
  type StartedServer,
  startFetchingNginx,
  startAia,
  startRedirector,
  startServer,
  template,
} from './harness.js';

const HAS = available('nginx');
const DAY = 86_400_000;

let pki: TestPki;
let responder: Responder;
let delegatedResponder: Responder;
let nginx: StartedServer;
let redirector: Awaited<ReturnType<typeof startRedirector>>;
/** Serves the intermediate at the AIA caIssuers URL of the leaf that nginx serves without its chain. */
let aia: Awaited<ReturnType<typeof startAia>>;
const ports: Record<string, number> = {};
let opts: ReturnType<typeof scenarioOptions>;
/** The leaf of the nginx started afresh for each probe (`freshNginx`). */
let perWorkerLeaf: Issued;

/** One server block per scenario, each on the port named after it; `{{dir}}` holds the files. */
const CONFIG = `
daemon off;
master_process on;
worker_processes 1;
user root;
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  ssl_protocols TLSv1.2 TLSv1.3;
  client_body_temp_path {{dir}}/client; proxy_temp_path {{dir}}/proxy; fastcgi_temp_path {{dir}}/fastcgi;
  uwsgi_temp_path {{dir}}/uwsgi; scgi_temp_path {{dir}}/scgi;
  server { listen 127.0.0.1:{{live}} ssl; server_name localhost; ssl_certificate {{dir}}/main.crt; ssl_certificate_key {{dir}}/main.key;
    ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate {{dir}}/chain.pem; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{fileGood}} ssl; server_name localhost; ssl_certificate {{dir}}/main.crt; ssl_certificate_key {{dir}}/main.key;
    ssl_stapling on; ssl_stapling_file {{dir}}/good.der; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{fileExpired}} ssl; server_name localhost; ssl_certificate {{dir}}/main.crt; ssl_certificate_key {{dir}}/main.key;
    ssl_stapling on; ssl_stapling_file {{dir}}/expired.der; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{fileAging}} ssl; server_name localhost; ssl_certificate {{dir}}/main.crt; ssl_certificate_key {{dir}}/main.key;
    ssl_stapling on; ssl_stapling_file {{dir}}/expiring.der; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{fileOther}} ssl; server_name localhost; ssl_certificate {{dir}}/main.crt; ssl_certificate_key {{dir}}/main.key;
    ssl_stapling on; ssl_stapling_file {{dir}}/wrong-cert.der; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{fileTryLater}} ssl; server_name localhost; ssl_certificate {{dir}}/main.crt; ssl_certificate_key {{dir}}/main.key;
    ssl_stapling on; ssl_stapling_file {{dir}}/try-later.der; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{noTrustedIssuer}} ssl; server_name localhost; ssl_certificate {{dir}}/main.crt; ssl_certificate_key {{dir}}/main.key;
    ssl_stapling on; ssl_stapling_verify on; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{noTrusted}} ssl; server_name localhost; ssl_certificate {{dir}}/delegated.crt; ssl_certificate_key {{dir}}/delegated.key;
    ssl_stapling on; ssl_stapling_verify on; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{noResolver}} ssl; server_name localhost; ssl_certificate {{dir}}/byname.crt; ssl_certificate_key {{dir}}/byname.key;
    ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate {{dir}}/chain.pem; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{sni}} ssl default_server; server_name default.test; ssl_certificate {{dir}}/fallback.crt; ssl_certificate_key {{dir}}/fallback.key;
    location / { return 200; } }
  server { listen 127.0.0.1:{{sni}} ssl; server_name named.test; ssl_certificate {{dir}}/named.crt; ssl_certificate_key {{dir}}/named.key;
    ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate {{dir}}/chain.pem; location / { return 200; } }
  server { listen 127.0.0.1:{{revoked}} ssl; server_name localhost; ssl_certificate {{dir}}/revoked.crt; ssl_certificate_key {{dir}}/revoked.key;
    ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate {{dir}}/chain.pem; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{redirected}} ssl; server_name localhost; ssl_certificate {{dir}}/redirecting.crt; ssl_certificate_key {{dir}}/redirecting.key;
    ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate {{dir}}/chain.pem; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{noChain}} ssl; server_name localhost; ssl_certificate {{dir}}/chainless.crt; ssl_certificate_key {{dir}}/chainless.key;
    ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate {{dir}}/chain.pem; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:{{noChainNoTrusted}} ssl; server_name localhost; ssl_certificate {{dir}}/chainless.crt; ssl_certificate_key {{dir}}/chainless.key;
    ssl_stapling on; ssl_stapling_verify on; location / { return 200 "ok\\n"; } }
}
`;

const SCENARIOS = [
  'noTrustedIssuer',
  'live',
  'fileGood',
  'fileExpired',
  'fileAging',
  'fileOther',
  'fileTryLater',
  'noTrusted',
  'noResolver',
  'sni',
  'revoked',
  'redirected',
  'noChain',
  'noChainNoTrusted',
] as const;

beforeAll(async () => {
  if (!HAS) return;
  const [responderPort, delegatedPort] = (await distinctFreePorts(2)) as [number, number];
  const url = `http://127.0.0.1:${responderPort}/ocsp`;
  pki = await createPki({ ocspUrl: url });
  const byName = await serverLeaf(pki.intermediate, '1101', `http://ocsp.staple.invalid:${responderPort}/ocsp`);
  const revoked = await serverLeaf(pki.intermediate, '1102', url);
  const fallback = await serverLeaf(pki.intermediate, '1103', url, ['default.test']);
  const named = await serverLeaf(pki.intermediate, '1104', url, ['named.test']);
  const delegated = await serverLeaf(pki.intermediate, '1105', `http://127.0.0.1:${delegatedPort}/ocsp`);
  delegatedResponder = await startResponder({
    issuer: pki.intermediate,
    signer: pki.delegate,
    port: delegatedPort,
    statuses: new Map([['1105', { status: 'good' }]]),
  });
  redirector = await startRedirector(responderPort);
  const redirecting = await serverLeaf(pki.intermediate, '1106', redirector.url);
  perWorkerLeaf = await serverLeaf(pki.intermediate, '1107', url);
  aia = await startAia(pki.intermediate);
  const chainless = await serverLeaf(pki.intermediate, '1108', url, ['localhost'], 'rsa2048', aia.url);
  responder = await startResponder({
    issuer: pki.intermediate,
    port: responderPort,
    statuses: new Map([
      ['1001', { status: 'good' }],
      ['1101', { status: 'good' }],
      ['1102', { status: 'revoked', revokedAt: new Date(Math.floor(Date.now() / 1000) * 1000 - DAY), reason: 'keyCompromise' }],
      ['1103', { status: 'good' }],
      ['1104', { status: 'good' }],
      ['1106', { status: 'good' }],
      ['1107', { status: 'good' }],
      ['1108', { status: 'good' }],
    ]),
  });

  const staples: Record<string, Uint8Array> = {};
  for (const s of ['good', 'expired', 'expiring', 'wrong-cert', 'try-later'] as const) staples[`${s}.der`] = await makeStaple(pki, s, { now: new Date() });
  nginx = await startServer({
    kind: 'nginx',
    ports: SCENARIOS.length,
    files: (dir, scenarioPorts) => {
      const port = Object.fromEntries(SCENARIOS.map((name, i) => [name, scenarioPorts[i] as number]));
      return {
        'nginx.conf': template(CONFIG, { dir, ...port }),
        'chain.pem': pki.intermediate.pem + pki.root.pem,
        ...staples,
        ...identityFiles('main', pki.leafRsa, [pki.intermediate]),
        ...identityFiles('byname', byName, [pki.intermediate]),
        ...identityFiles('revoked', revoked, [pki.intermediate]),
        ...identityFiles('fallback', fallback, [pki.intermediate]),
        ...identityFiles('named', named, [pki.intermediate]),
        ...identityFiles('delegated', delegated, [pki.intermediate]),
        ...identityFiles('redirecting', redirecting, [pki.intermediate]),
        ...identityFiles('chainless', chainless, []),
      };
    },
    command: (dir) => ({ file: 'nginx', args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')] }),
    logFile: 'error.log',
  });
  SCENARIOS.forEach((name, i) => {
    ports[name] = nginx.ports[i] as number;
  });
  opts = scenarioOptions(pki.root);
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await responder?.close();
  await delegatedResponder?.close();
  redirector?.close();
  aia?.close();
});

const at = (name: string) => `127.0.0.1:${ports[name]}`;

/** A fresh nginx of its own with `workers` worker processes, fetching live for `perWorkerLeaf`. */
const freshNginx = (workers: number) => startFetchingNginx(perWorkerLeaf, pki, workers);
const why = (report: Report) => explain(report, nginx);
const nginxFix = (report: Report, code: string) => fixText(report, code, 'nginx');

describe.runIf(HAS)('nginx', () => {
  it('ssl_stapling on + verify + ssl_trusted_certificate + a live responder: ok, lazy first handshake', async () => {
    const report = await probe(at('live'), opts);
    expect(codes(report), why(report)).toEqual(['STAPLE_LAZY']);
    expect(report.verdict).toBe('ok');
    expect(nginxFix(report, 'STAPLE_LAZY')).toMatch(/^nginx caches the response per worker process/);
    expect(report.server).toBe('nginx');
    expect(report.targets[0]?.server.header).toMatch(/^nginx/);
    // nginx fetched once, and the probe asked once.
    expect(responder.requests()).toBeGreaterThanOrEqual(2);
  });

  it('--no-http: no HEAD is sent, so the server is not detected', async () => {
    const report = await probe(at('fileGood'), { ...opts, httpHead: false });
    expect(report.server).toBeNull();
    expect(report.targets[0]?.server).toEqual({ name: null, header: null, source: null });
  });

  it('ssl_stapling_file fresh: ok from the first handshake', async () => {
    const report = await probe(at('fileGood'), opts);
    expect(codes(report), why(report)).toEqual([]);
  });

  it('ssl_stapling_file expired: critical, nginx keeps serving it, and its fix says nginx never refreshes the file', async () => {
    const report = await probe(at('fileExpired'), opts);
    expect(codes(report), why(report)).toEqual(['COMPARE_STAPLE_STALE', 'STAPLE_EXPIRED']);
    expect(report.verdict).toBe('critical');
    expect(nginxFix(report, 'STAPLE_EXPIRED')).toMatch(/^nginx never refreshes `ssl_stapling_file`/);
  });

  it('ssl_stapling_file aging (1 day left of 7): warn', async () => {
    const report = await probe(at('fileAging'), opts);
    expect(codes(report), why(report)).toEqual(['COMPARE_STAPLE_STALE', 'STAPLE_EXPIRING']);
    expect(report.verdict).toBe('warn');
  });

  it('ssl_stapling_file for another certificate: critical, and the nginx fix names ssl_stapling_file', async () => {
    const report = await probe(at('fileOther'), opts);
    expect(codes(report), why(report)).toEqual(['STAPLE_CERTID_MISMATCH']);
    expect(report.verdict).toBe('critical');
    expect(nginxFix(report, 'STAPLE_CERTID_MISMATCH')).toMatch(/regenerate it for the certificate in `ssl_certificate`\.$/);
  });

  it('ssl_stapling_file holding a tryLater: nginx staples it byte for byte -> critical, and its fix says so', async () => {
    const report = await probe(at('fileTryLater'), opts);
    expect(codes(report), why(report)).toEqual(['STAPLE_ERROR_STATUS']);
    expect(report.verdict).toBe('critical');
    expect(nginxFix(report, 'STAPLE_ERROR_STATUS')).toMatch(/^nginx staples `ssl_stapling_file` byte for byte/);
  });

  it('no ssl_trusted_certificate, responses signed by the issuer: nginx trusts the chain it serves and staples', async () => {
    const report = await probe(at('noTrustedIssuer'), opts);
    expect(codes(report), why(report)).toEqual(['STAPLE_LAZY']);
  });

  it('no ssl_trusted_certificate, responses signed by a delegated responder: nginx cannot verify and staples nothing', async () => {
    const report = await probe(at('noTrusted'), opts);
    expect(codes(report), why(report)).toEqual(['STAPLE_MISSING']);
    expect(report.findings[0]?.args).toEqual({ liveResponder: 'ok' });
    expect(nginx.log()).toMatch(/OCSP_basic_verify\(\) failed/);
    expect(nginxFix(report, 'STAPLE_MISSING')).toMatch(/^Set `ssl_stapling on;`.*`ssl_trusted_certificate`.*`OCSP_basic_verify\(\) failed`/);
  });

  // nginx 1.22 resolves the responder's host name once, when it loads the configuration, with the system
  // resolver (`resolver` is not consulted then): a name that resolves at that moment works without `resolver`.
  it('an OCSP responder host name that does not resolve when nginx loads: stapling ignored, no staple', async () => {
    const report = await probe(at('noResolver'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_UNREACHABLE', 'STAPLE_MISSING']);
    expect(report.findings.find((f) => f.code === 'STAPLE_MISSING')?.args).toEqual({ liveResponder: 'failed' });
    expect(nginx.log()).toMatch(/"ssl_stapling" ignored, host not found in OCSP responder/);
    expect(nginxFix(report, 'STAPLE_MISSING')).toMatch(/host not found in OCSP responder/);
  });

  it('default_server without stapling next to a named server with stapling: the SNI name decides', async () => {
    const named = await probe(at('sni'), { ...opts, servername: 'named.test' });
    expect(codes(named), why(named)).toEqual(['STAPLE_LAZY']);
    const nameless = await probe(at('sni'), { ...opts, servername: null });
    expect(codes(nameless), why(nameless)).toEqual(['STAPLE_MISSING']);
    expect(nameless.targets[0]?.leaf?.serial).toBe('1103');
  });

  it('an OCSP URL that redirects: nginx does not follow it and staples nothing; the probe follows it and says so', async () => {
    const report = await probe(at('redirected'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_REDIRECTED', 'STAPLE_MISSING']);
    // The responder answered (through the redirect), so the missing staple is not blamed on it.
    expect(report.findings.find((f) => f.code === 'STAPLE_MISSING')?.args).toEqual({ liveResponder: 'ok' });
    expect(report.targets[0]?.live[0]).toMatchObject({ valid: true, redirects: 1, certStatus: 'good' });
    // nginx asked too (its first handshake triggers the fetch), and got the redirect.
    expect(redirector.requests()).toBeGreaterThanOrEqual(2);
    // And said nothing: nginx 1.22 drops an answer that is not a 200 without a line in its error log (its log
    // names the certificate file with every stapling error), so this finding is the only trace.
    expect(nginx.log()).not.toMatch(/redirecting\.crt/);
    const note = report.findings.find((f) => f.code === 'LIVE_REDIRECTED');
    // The responder URL to point nginx at: the GET's request path cut off.
    expect(note?.args).toMatchObject({ redirects: 1, finalUrl: `http://127.0.0.1:${responder.port}/ocsp` });
    expect(note && renderMessage(note)).toBe(
      `the OCSP responder ${note?.args.url} answered only after a redirect, from http://127.0.0.1:${responder.port}/ocsp`,
    );
  });

  it('a revoked certificate: nginx refuses to staple non-good answers, the live query says revoked -> critical', async () => {
    const report = await probe(at('revoked'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_REVOKED', 'STAPLE_MISSING']);
    expect(report.verdict).toBe('critical');
  });

  // Each worker fetches on its own first stapling handshake, and the probe's handshakes land on several
  // workers: which ones carry a staple varies from start to start (docs/servers.md has the tally of 20 fresh
  // starts). What always holds: every handshake completes, the only findings are about presence, each worker
  // fetches once, and a handshake without a staple never leaves the report ok without a note.
  /** The leaf's chain-incomplete finding and its fix: the served chain is the leaf alone, the issuer came from AIA. */
  const chainIncomplete = (report: Report) => {
    expect(codes(report), why(report)).toEqual(['CERT_CHAIN_INCOMPLETE', 'STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(report.findings.find((f) => f.code === 'STAPLE_MISSING')?.args).toEqual({ liveResponder: 'ok' });
    const attempts = report.targets[0]?.addresses[0]?.attempts ?? [];
    expect(attempts.filter((a) => a.ok).map((a) => (a.ok ? a.chain?.length : null))).toEqual(Array(8).fill(1));
    expect(nginxFix(report, 'CERT_CHAIN_INCOMPLETE')).toMatch(/^`ssl_certificate` must hold the leaf followed by its intermediate/);
  };

  it('ssl_certificate without the intermediate, ssl_trusted_certificate with it: nginx fetches but cannot verify the answer, staples nothing', async () => {
    const report = await probe(at('noChain'), opts);
    chainIncomplete(report);
    // nginx found the issuer in ssl_trusted_certificate and asked the responder, but OCSP_basic_verify looks for
    // the signer (the issuer) among the served chain's certificates: written once the fetch has ended.
    const failed = /OCSP_basic_verify\(\) failed \(SSL: error:[0-9A-F]+:OCSP routines::signer certificate not found\)[^\n]*chainless\.crt/;
    for (const deadline = Date.now() + 10_000; !failed.test(nginx.log()) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100));
    expect(nginx.log()).toMatch(failed);
  });

  it('ssl_certificate without the intermediate, no ssl_trusted_certificate: stapling ignored at start, issuer not found', async () => {
    chainIncomplete(await probe(at('noChainNoTrusted'), opts));
    expect(nginx.log()).toMatch(/"ssl_stapling" ignored, issuer certificate not found for certificate "[^"]*chainless\.crt"/);
  });

  it('worker_processes 4, live fetching, probed right after each of 3 fresh starts: never ok without a note when an attempt had no staple', async () => {
    for (let start = 0; start < 3; start++) {
      const { server, port } = await freshNginx(4);
      try {
        const before = responder.requests();
        const report = await probe(`127.0.0.1:${port}`, opts);
        const found = codes(report);
        const all = report.targets[0]?.addresses[0]?.attempts ?? [];
        // Node's hello; the RSA offer got the same certificate and the ECDSA one was refused (one RSA certificate).
        const attempts = all.filter((a) => a.offer === 'default');
        const context = `${explain(report, server)}\n${all.map((a) => `${a.tlsVersion}/${a.offer}#${a.attempt} ${a.ok ? (a.staple ? 'stapled' : 'bare') : 'failed'}`).join(', ')}`;
        expect(all.filter((a) => a.offer !== 'default').map((a) => `${a.offer}:${a.ok}`)).toEqual(['rsa:true', 'ecdsa:false', 'rsa:true', 'ecdsa:false']);
        // Three attempts per version, and a fourth of a version whose attempts all came before the first staple.
        const fourth = attempts.filter((a) => a.attempt === 4);
        expect(fourth.length, context).toBeLessThanOrEqual(1);
        expect(
          attempts.map((a) => a.ok),
          context,
        ).toEqual(Array.from({ length: 6 + fourth.length }, () => true));
        expect(
          found.filter((c) => !['STAPLE_LAZY', 'STAPLE_INTERMITTENT', 'STAPLE_MISSING_ON_VERSION', 'STAPLE_MISSING'].includes(c)),
          context,
        ).toEqual([]);
        if (attempts.some((a) => a.staple === null)) expect(found.length, context).toBeGreaterThan(0);
        // At most one fetch per worker, and the probe's own live query.
        expect(responder.requests() - before, context).toBeLessThanOrEqual(4 + 1);
      } finally {
        await server.stop();
      }
    }
  }, 60_000);
});
