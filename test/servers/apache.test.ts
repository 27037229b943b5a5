/**
 * Apache httpd (mod_ssl) stapling scenarios: one httpd with one vhost per scenario, each on its own port.
 */
import { join } from 'node:path';
import { probe, type Report } from '@staple-probe/core';
import { createPki, type Responder, startResponder, type TestPki } from '@staple-probe/core/testing';
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
  startAia,
  type StartedServer,
  startRedirector,
  startServer,
  template,
} from './harness.js';

const HAS = available('apache2');
const MODULES = '/usr/lib/apache2/modules';

let pki: TestPki;
let responder: Responder;
let apache: StartedServer;
let redirector: Awaited<ReturnType<typeof startRedirector>>;
let aia: Awaited<ReturnType<typeof startAia>>;
const ports: Record<string, number> = {};
let opts: ReturnType<typeof scenarioOptions>;

const CONFIG = `
ServerRoot {{dir}}
PidFile {{dir}}/httpd.pid
ErrorLog {{dir}}/error.log
LogLevel warn ssl:info
Mutex file:{{dir}} default
DefaultRuntimeDir {{dir}}
User www-data
Group www-data
LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule socache_shmcb_module ${MODULES}/mod_socache_shmcb.so
LoadModule ssl_module ${MODULES}/mod_ssl.so
ServerName localhost
StartServers 1
SSLStaplingCache shmcb:{{dir}}/stapling(128000)
SSLStaplingResponderTimeout 2
{{vhosts}}
`;

/** One vhost per scenario: its own port and certificate (`<name>.crt`), and `extra` directives. */
const VHOST = `
Listen 127.0.0.1:{{port}}
<VirtualHost 127.0.0.1:{{port}}>
  ServerName localhost
  SSLEngine on
  SSLCertificateFile {{dir}}/{{name}}.crt
  SSLCertificateKeyFile {{dir}}/{{name}}.key
  SSLUseStapling on
  {{extra}}
</VirtualHost>`;

const SCENARIOS = ['live', 'down', 'downQuiet', 'redirected', 'noChain'] as const;
const EXTRA: Partial<Record<(typeof SCENARIOS)[number], string>> = {
  downQuiet: 'SSLStaplingFakeTryLater off\n  SSLStaplingReturnResponderErrors off',
};

beforeAll(async () => {
  if (!HAS) return;
  const [responderPort, deadPort] = (await distinctFreePorts(2)) as [number, number];
  pki = await createPki({ ocspUrl: `http://127.0.0.1:${responderPort}/ocsp` });
  const down = await serverLeaf(pki.intermediate, '1201', `http://127.0.0.1:${deadPort}/ocsp`);
  const downQuiet = await serverLeaf(pki.intermediate, '1202', `http://127.0.0.1:${deadPort}/ocsp`);
  redirector = await startRedirector(responderPort);
  const redirecting = await serverLeaf(pki.intermediate, '1203', redirector.url);
  aia = await startAia(pki.intermediate);
  const chainless = await serverLeaf(pki.intermediate, '1204', `http://127.0.0.1:${responderPort}/ocsp`, ['localhost'], 'rsa2048', aia.url);
  responder = await startResponder({
    issuer: pki.intermediate,
    port: responderPort,
    statuses: new Map([
      ['1001', { status: 'good' }],
      ['1203', { status: 'good' }],
      ['1204', { status: 'good' }],
    ]),
  });

  const leaves = { live: pki.leafRsa, down, downQuiet, redirected: redirecting, noChain: chainless };
  apache = await startServer({
    kind: 'apache2',
    ports: SCENARIOS.length,
    files: (dir, scenarioPorts) => ({
      'httpd.conf': template(CONFIG, {
        dir,
        vhosts: SCENARIOS.map((name, i) => template(VHOST, { dir, name, port: scenarioPorts[i] as number, extra: EXTRA[name] ?? '' })).join('\n'),
      }),
      ...Object.fromEntries(SCENARIOS.flatMap((name) => Object.entries(identityFiles(name, leaves[name], name === 'noChain' ? [] : [pki.intermediate])))),
    }),
    command: (dir) => ({ file: 'apache2', args: ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'] }),
    logFile: 'error.log',
  });
  SCENARIOS.forEach((name, i) => {
    ports[name] = apache.ports[i] as number;
  });
  opts = scenarioOptions(pki.root);
}, 60_000);

afterAll(async () => {
  await apache?.stop();
  await responder?.close();
  redirector?.close();
  aia?.close();
});

const at = (name: string) => `127.0.0.1:${ports[name]}`;
const why = (report: Report) => explain(report, apache);

describe.runIf(HAS)('Apache httpd', () => {
  it('SSLUseStapling on with a working responder: ok, stapled from the first handshake', async () => {
    const report = await probe(at('live'), opts);
    expect(codes(report), why(report)).toEqual([]);
    expect(report.server).toBe('apache');
    expect(report.targets[0]?.server.header).toMatch(/^Apache/);
  });

  it('responder down: Apache staples its own fake tryLater (SSLStaplingFakeTryLater) -> critical, with the Apache fix', async () => {
    const report = await probe(at('down'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_UNREACHABLE', 'STAPLE_ERROR_STATUS']);
    expect(report.verdict).toBe('critical');
    const finding = report.findings.find((f) => f.code === 'STAPLE_ERROR_STATUS');
    expect(finding?.args).toMatchObject({ status: 'tryLater' });
    const fix = fixText(report, 'STAPLE_ERROR_STATUS', 'apache');
    expect(fix).toMatch(/SSLStaplingFakeTryLater/);
    expect(fix).toMatch(/SSLStaplingReturnResponderErrors/);
  });

  it('an OCSP URL that redirects: mod_ssl does not follow it and staples its fake tryLater; the probe follows it and says so', async () => {
    const report = await probe(at('redirected'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_REDIRECTED', 'STAPLE_ERROR_STATUS']);
    expect(report.findings.find((f) => f.code === 'STAPLE_ERROR_STATUS')?.args).toMatchObject({ status: 'tryLater' });
    expect(report.targets[0]?.live[0]).toMatchObject({ valid: true, redirects: 1, certStatus: 'good' });
    expect(fixText(report, 'LIVE_REDIRECTED', 'apache')).toMatch(/SSLStaplingForceURL/);
  });

  it('responder down with SSLStaplingFakeTryLater off and SSLStaplingReturnResponderErrors off: no staple, warn', async () => {
    const report = await probe(at('downQuiet'), opts);
    expect(codes(report), why(report)).toEqual(['LIVE_UNREACHABLE', 'STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
  });

  it('SSLCertificateFile without the intermediate: mod_ssl cannot staple (no issuer), says so per handshake at info level -> CERT_CHAIN_INCOMPLETE with the Apache fix', async () => {
    const notSupported = () => apache.log().match(/AH01926: stapling_get_certinfo: stapling not supported for certificate/g)?.length ?? 0;
    const before = notSupported();
    const report = await probe(at('noChain'), opts);
    expect(codes(report), why(report)).toEqual(['CERT_CHAIN_INCOMPLETE', 'STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(report.findings.find((f) => f.code === 'STAPLE_MISSING')?.args).toEqual({ liveResponder: 'ok' });
    expect(fixText(report, 'CERT_CHAIN_INCOMPLETE', 'apache')).toMatch(/^`SSLCertificateFile` with the intermediate appended/);
    // Nothing at start (LogLevel warn, ssl:info); the handshakes that ask log it at info (the other vhosts never).
    expect(notSupported()).toBeGreaterThan(before);
  });
});
