/**
 * stunnel in front of a plain HTTP backend (a node:http server of this suite), one `stunnel4` process in the
 * foreground with two services: a plain certificate and a must-staple one. Then what its fix recommends
 * instead, HAProxy terminating TLS in `mode tcp` with a `.ocsp` file, in front of the same backend.
 *
 * Measured with stunnel 5.68 (Debian 3:5.68-2+deb12u1, OpenSSL 3.0):
 * - No staple on any handshake, TLS 1.2 or 1.3 (openssl s_client -status: "OCSP response: no response
 *   sent"). stunnel's OCSP options (`OCSP`, `OCSPaia`, `OCSPflag`, `OCSPnonce`) check the *peer's*
 *   certificate; its TODO lists "OCSP stapling (tlsext_status)" as not done. It logs nothing about stapling.
 * - It adds no header of its own: the backend's `Server` header reaches the probe unchanged, so nothing in the
 *   traffic names stunnel; the operator says `--server stunnel` (the library's `server` option).
 * - HAProxy 2.6 in `mode tcp` (`bind … ssl crt <pem>` with `<pem>.ocsp` beside it) staples from the first
 *   handshake on TLS 1.2 and 1.3 in front of the same backend: ok.
 * - nginx's `stream` module is no replacement on Debian 12: its 1.22 has no `ssl_stapling` in `stream` (the
 *   directive came to the stream module in a later nginx), and libnginx-mod-stream is not installed here.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { probe, type Report } from '@staple-probe/core';
import { createPki, freePort, makeStaple, type Responder, startResponder, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixesFor } from '../../packages/probe-cli/src/render/fixes.js';
import { runCli } from '../cli/run.js';
import { codes } from '../helpers.js';
import { available, explain, opensslTruth, scenarioOptions, type StartedServer, startServer, template, writeIdentity, handshakesSeen } from './harness.js';

const HAS = available('stunnel4');
const HAS_HAPROXY = HAS && available('haproxy');
/** What the backend says it is; it reaches the client through stunnel unchanged. */
const BACKEND = 'backend-app/1.0';

const CONFIG = `
foreground = yes
pid = {{dir}}/stunnel.pid
output = {{dir}}/stunnel.log
debug = info

[plain]
accept = 127.0.0.1:{{plain}}
connect = 127.0.0.1:{{backend}}
cert = {{dir}}/plain.crt
key = {{dir}}/plain.key

[muststaple]
accept = 127.0.0.1:{{mustStaple}}
connect = 127.0.0.1:{{backend}}
cert = {{dir}}/muststaple.crt
key = {{dir}}/muststaple.key
`;

const HAPROXY = `
defaults
  mode tcp
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend tls
  bind 127.0.0.1:{{port}} ssl crt {{dir}}/plain.pem
  default_backend app
backend app
  server app 127.0.0.1:{{backend}}
`;

let pki: TestPki;
let responder: Responder;
let backend: Server;
let stunnel: StartedServer;
let haproxy: StartedServer | undefined;
let caFile: string;
let opts: ReturnType<typeof scenarioOptions>;

beforeAll(async () => {
  if (!HAS) return;
  const responderPort = await freePort();
  pki = await createPki({ ocspUrl: `http://127.0.0.1:${responderPort}/ocsp` });
  responder = await startResponder({
    issuer: pki.intermediate,
    port: responderPort,
    statuses: new Map([
      ['1001', { status: 'good' as const }],
      ['1003', { status: 'good' as const }],
    ]),
  });
  backend = createServer((_req, res) => res.writeHead(200, { server: BACKEND, 'content-type': 'text/plain' }).end('ok\n'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', () => resolve()));
  const backendPort = (backend.address() as AddressInfo).port;
  stunnel = await startServer({
    kind: 'stunnel4',
    ports: 2,
    files: (dir, [plain, mustStaple]) => {
      for (const [name, leaf] of [
        ['plain', pki.leafRsa],
        ['muststaple', pki.leafMustStaple],
      ] as const) {
        chmodSync(writeIdentity(dir, name, leaf, [pki.intermediate]).key, 0o600);
      }
      return { 'stunnel.conf': template(CONFIG, { dir, plain: plain as number, mustStaple: mustStaple as number, backend: backendPort }) };
    },
    command: (dir) => ({ file: 'stunnel4', args: [join(dir, 'stunnel.conf')] }),
    logFile: 'stunnel.log',
  });
  caFile = join(stunnel.dir, 'root.pem');
  writeFileSync(caFile, pki.root.pem);
  if (HAS_HAPROXY) {
    const staple = await makeStaple(pki, 'good', { now: new Date() });
    haproxy = await startServer({
      kind: 'haproxy',
      ports: 1,
      files: (dir, [port]) => {
        const { both } = writeIdentity(dir, 'plain', pki.leafRsa, [pki.intermediate]);
        writeFileSync(`${both}.ocsp`, staple);
        return { 'haproxy.cfg': template(HAPROXY, { dir, port: port as number, backend: backendPort }) };
      },
      command: (dir) => ({ file: 'haproxy', args: ['-f', join(dir, 'haproxy.cfg'), '-db'] }),
    });
  }
  opts = scenarioOptions(pki.root);
}, 60_000);

afterAll(async () => {
  await haproxy?.stop();
  await stunnel?.stop();
  await new Promise<void>((resolve) => (backend ? backend.close(() => resolve()) : resolve()));
  await responder?.close();
});

const plain = () => `127.0.0.1:${stunnel.ports[0]}`;
const mustStaple = () => `127.0.0.1:${stunnel.ports[1]}`;
const why = (report: Report, server: StartedServer = stunnel) => explain(report, server);

/** The finding's fixes as `fixesFor` gives them for this report's server. */
function fixesOf(report: Report, code: string): { server: string; text: string }[] {
  const finding = report.findings.find((f) => f.code === code);
  expect(finding, why(report)).toBeDefined();
  return finding ? fixesFor(finding, report) : [];
}

describe.skipIf(!HAS)('stunnel', () => {
  it("no staple on TLS 1.2 or 1.3 -> STAPLE_MISSING (warn); the backend's Server header passes through, nothing names stunnel", async () => {
    const report = await probe(plain(), opts);
    expect(codes(report), why(report)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(report.findings[0]?.args).toEqual({ liveResponder: 'ok' });
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: [null] });
    expect(report.targets[0]?.server).toEqual({ name: null, header: BACKEND, source: null });
    expect(report.server).toBeNull();
    for (const version of ['1.2', '1.3'] as const) {
      const truth = await opensslTruth(stunnel.ports[0] as number, 'localhost', 'RSA', version);
      expect(truth, stunnel.log()).toMatchObject({ protocol: `TLSv${version}`, leafSerial: '1001', stapled: false });
    }
  });

  it("server: 'stunnel' given: the report's server is stunnel (from the flag) and the fix says it cannot staple and what to use", async () => {
    const report = await probe(plain(), { ...opts, server: 'stunnel' });
    expect(codes(report), why(report)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(report.server).toBe('stunnel');
    expect(report.targets[0]?.server).toEqual({ name: 'stunnel', header: BACKEND, source: 'flag' });
    const fixes = fixesOf(report, 'STAPLE_MISSING');
    expect(fixes.map((f) => f.server)).toEqual(['stunnel']);
    expect(fixes[0]?.text).toMatch(/^stunnel cannot staple/);
    // What the HAProxy scenario below measures.
    expect(fixes[0]?.text).toMatch(/terminate TLS in HAProxy instead, `mode tcp` with `<crt>\.ocsp` beside `bind … ssl crt <crt>`/);
  });

  it("a must-staple certificate -> STAPLE_MISSING_MUST_STAPLE (critical), CERT_MUST_STAPLE (info); stunnel's fix", async () => {
    const report = await probe(mustStaple(), { ...opts, server: 'stunnel' });
    expect(codes(report), why(report)).toEqual(['CERT_MUST_STAPLE', 'STAPLE_MISSING_MUST_STAPLE']);
    expect(report.verdict).toBe('critical');
    expect(report.targets[0]?.leaf?.serial).toBe('1003');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: [null] });
    const fixes = fixesOf(report, 'STAPLE_MISSING_MUST_STAPLE');
    expect(fixes.map((f) => f.server)).toEqual(['stunnel']);
    expect(fixes[0]?.text).toMatch(/^stunnel cannot staple/);
  });

  it('probe --server stunnel: the table names stunnel and prints its fix; --json says source flag', async () => {
    const args = [mustStaple(), '--servername', 'localhost', '--ca-file', caFile, '--attempts', '1', '--server', 'stunnel'];
    const table = await runCli(args);
    expect(table.code, table.stdout + table.stderr).toBe(2);
    expect(table.stdout).toMatch(/│ server +│ stunnel/);
    expect(table.stdout.replace(/\n +/g, ' ')).toContain(
      'stunnel: stunnel cannot staple: terminate TLS in HAProxy instead, `mode tcp` with `<crt>.ocsp` beside `bind … ssl crt <crt>`, or use a certificate without must-staple.',
    );
    const json = JSON.parse((await runCli([...args, '--json'])).stdout);
    expect(json.verdict).toBe('critical');
    expect(json.targets[0].server).toEqual({ name: 'stunnel', header: BACKEND, source: 'flag' });
  });
});

describe.skipIf(!HAS_HAPROXY)('what the stunnel fix recommends instead: HAProxy terminating TLS in mode tcp', () => {
  it('bind … ssl crt with a .ocsp beside it, mode tcp, in front of the same backend: stapled on TLS 1.2 and 1.3 -> ok', async () => {
    const server = haproxy as StartedServer;
    const report = await probe(`127.0.0.1:${server.ports[0]}`, opts);
    expect(codes(report), why(report, server)).toEqual([]);
    expect(report.verdict).toBe('ok');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: ['1001'] });
    // In TCP mode the backend's header passes through HAProxy too.
    expect(report.targets[0]?.server.header).toBe(BACKEND);
  });
});
