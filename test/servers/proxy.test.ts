/**
 * Issue #23 item 5: the live query and the CRL downloads through a real HTTP proxy, tinyproxy, started on a
 * loopback port with a config of its own (its log in a temporary directory, which proves what went through
 * it): HTTP_PROXY and --proxy, NO_PROXY bypassing it, Basic credentials, an unreachable proxy named in the
 * LIVE_ and CRL_ findings, and an https:// download through a CONNECT tunnel with the origin verified.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { httpExchange } from '../../packages/probe-core/src/shell/http.js';
import {
  buildCrl,
  createPki,
  freePort,
  issue,
  type Issued,
  type Responder,
  startResponder,
  type StaplingServer,
  startStaplingServer,
  type TestPki,
} from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServe } from '../../packages/probe-cli/src/serve/command.js';
import { runCli } from '../cli/run.js';
import { available, type RunningServer, startServer, template } from './harness.js';

const HAS = available('tinyproxy');
const DAY = 86_400_000;

interface Tinyproxy {
  readonly url: string;
  readonly port: number;
  /** The request lines tinyproxy logged so far: `GET http://…`, `CONNECT host:port`. */
  requests(): Promise<string[]>;
  readonly server: RunningServer;
}

const CONFIG = `Port {{port}}
Listen 127.0.0.1
Allow 127.0.0.1
Timeout 30
MaxClients 50
LogLevel Connect
LogFile "{{dir}}/tinyproxy.log"
{{extra}}
`;

/** tinyproxy in the foreground on a free loopback port, with its config and log in a directory of its own. */
async function startTinyproxy(options: { connectPorts: readonly number[]; basicAuth?: readonly [string, string] }): Promise<Tinyproxy> {
  // Without ConnectPort lines tinyproxy tunnels to any port: list only the test's.
  const extra = [
    ...options.connectPorts.map((p) => `ConnectPort ${p}`),
    ...(options.basicAuth ? [`BasicAuth ${options.basicAuth[0]} ${options.basicAuth[1]}`] : []),
  ];
  const server = await startServer({
    kind: 'tinyproxy',
    ports: 1,
    files: (dir, [port]) => ({ 'tinyproxy.conf': template(CONFIG, { dir, port: port as number, extra: extra.join('\n') }) }),
    command: (dir) => ({ file: 'tinyproxy', args: ['-d', '-c', join(dir, 'tinyproxy.conf')] }),
    logFile: 'tinyproxy.log',
  });
  const port = server.ports[0] as number;
  const logFile = join(server.dir, 'tinyproxy.log');
  // The whole log (the harness's `log()` keeps only its end).
  const read = () => [...readFileSync(logFile, 'utf8').matchAll(/Request \(file descriptor \d+\): (.+?) HTTP\/1\.[01]/g)].map((m) => m[1] as string);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    // tinyproxy writes a request's line when it has read it, which may be a moment after the answer left.
    requests: async () => {
      let lines = read();
      for (let i = 0; i < 20 && lines.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        lines = read();
      }
      return lines;
    },
  };
}

describe.runIf(HAS)('downloads through tinyproxy', () => {
  let pki: TestPki;
  let responder: Responder;
  let crlServer: Server;
  let crlOrigin = '';
  let target: StaplingServer;
  let proxy: Tinyproxy;
  let caFile = '';
  let dir = '';
  const crlRequests: string[] = [];

  beforeAll(async () => {
    pki = await createPki();
    const now = Date.now();
    const crl = await buildCrl({ issuer: pki.intermediate, thisUpdate: new Date(now - DAY), nextUpdate: new Date(now + 6 * DAY) });
    // The CRL, and the intermediate for an AIA download.
    crlServer = createServer((req, res) => {
      crlRequests.push(req.url ?? '');
      if (req.url === '/ca.der') res.writeHead(200, { 'content-type': 'application/pkix-cert' }).end(Buffer.from(pki.intermediate.der));
      else res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(Buffer.from(crl));
    });
    await new Promise<void>((r) => crlServer.listen(0, '127.0.0.1', () => r()));
    crlOrigin = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}`;
    responder = await startResponder({
      issuer: pki.intermediate,
      statuses: new Map([
        ['4001', { status: 'good' }],
        ['4002', { status: 'good' }],
      ]),
    });
    const leaf = await issue({
      subject: 'CN=localhost',
      serial: '4001',
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 30 * DAY),
      issuer: pki.intermediate,
      dnsNames: ['localhost'],
      ocspUrls: [responder.url],
      crlUrls: [`${crlOrigin}/ca.crl`],
    });
    target = await startStaplingServer({ cert: leaf, chain: [pki.intermediate], staple: null });
    proxy = await startTinyproxy({ connectPorts: [] });
    dir = proxy.server.dir;
    caFile = join(dir, 'root.pem');
    writeFileSync(caFile, pki.root.pem);
  });

  afterAll(async () => {
    await target?.close();
    await responder?.close();
    crlServer?.closeAllConnections();
    crlServer?.close();
    await proxy?.server.stop();
  });

  const args = () => [target.target, '--ca-file', caFile, '--format', 'json', '--tls', '1.3', '--attempts', '1', '--key-types', 'default', '--no-http'];
  const findingsOf = (stdout: string) =>
    (JSON.parse(stdout) as { findings: { code: string; message: string }[] }).findings.filter((f) => /^(LIVE|CRL)_/.test(f.code));

  it('HTTP_PROXY: the live query and the CRL download go through the proxy, in absolute-form, and succeed', async () => {
    const before = (await proxy.requests()).length;
    const asked = responder.requests();
    const r = await runCli(args(), { env: { HTTP_PROXY: proxy.url } });
    expect(findingsOf(r.stdout).map((f) => f.code)).toEqual(['CRL_NOT_LISTED']);
    expect(responder.requests() - asked).toBe(1);
    const seen = (await proxy.requests()).slice(before);
    expect(seen).toContain(`GET ${crlOrigin}/ca.crl`);
    expect(seen.filter((line) => line.startsWith(`GET ${responder.url}/`))).toHaveLength(1);
  });

  it('the AIA download of an issuer the server does not send goes through the proxy too', async () => {
    const now = Date.now();
    const leaf = await issue({
      subject: 'CN=localhost',
      serial: '4002',
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 30 * DAY),
      issuer: pki.intermediate,
      dnsNames: ['localhost'],
      ocspUrls: [responder.url],
      caIssuers: [`${crlOrigin}/ca.der`],
    });
    const bare = await startStaplingServer({ cert: leaf, chain: [], staple: null });
    try {
      const before = (await proxy.requests()).length;
      const r = await runCli([...args().slice(1), bare.target], { env: { HTTP_PROXY: proxy.url } });
      const codes = (JSON.parse(r.stdout) as { findings: { code: string }[] }).findings.map((f) => f.code);
      expect(codes).toContain('CERT_CHAIN_INCOMPLETE');
      expect(codes.filter((c) => c.startsWith('LIVE_') || c === 'CERT_ISSUER_FETCH_FAILED')).toEqual([]);
      const seen = (await proxy.requests()).slice(before);
      expect(seen).toContain(`GET ${crlOrigin}/ca.der`);
      expect(seen.filter((line) => line.startsWith(`GET ${responder.url}/`))).toHaveLength(1);
    } finally {
      await bare.close();
    }
  });

  it('NO_PROXY naming the responder and CRL host: both are fetched directly, the proxy sees nothing', async () => {
    const before = (await proxy.requests()).length;
    const asked = responder.requests();
    const crls = crlRequests.length;
    const r = await runCli(args(), { env: { http_proxy: proxy.url, NO_PROXY: 'example.test, 127.0.0.1' } });
    expect(findingsOf(r.stdout).map((f) => f.code)).toEqual(['CRL_NOT_LISTED']);
    expect([responder.requests() - asked, crlRequests.length - crls]).toEqual([1, 1]);
    await new Promise((r) => setTimeout(r, 200));
    expect((await proxy.requests()).length).toBe(before);
  });

  it('--proxy overrides the environment; --proxy "" turns it off', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const before = (await proxy.requests()).length;
    const via = await runCli([...args(), '--proxy', proxy.url], { env: { HTTP_PROXY: dead } });
    expect(findingsOf(via.stdout).map((f) => f.code)).toEqual(['CRL_NOT_LISTED']);
    expect((await proxy.requests()).length - before).toBe(2);
    const direct = await runCli([...args(), '--proxy', ''], { env: { HTTP_PROXY: dead } });
    expect(findingsOf(direct.stdout).map((f) => f.code)).toEqual(['CRL_NOT_LISTED']);
  });

  it('an unreachable proxy: LIVE_UNREACHABLE and CRL_UNREACHABLE name it, and the run stays bounded', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const started = performance.now();
    const r = await runCli(args(), { env: { HTTP_PROXY: dead } });
    expect(performance.now() - started).toBeLessThan(10_000);
    const found = findingsOf(r.stdout);
    expect(found.map((f) => f.code).sort()).toEqual(['CRL_UNREACHABLE', 'LIVE_UNREACHABLE']);
    for (const f of found) expect(f.message).toMatch(new RegExp(`: the proxy ${dead} is unreachable: connect ECONNREFUSED`));
  });

  it('the origin unreachable behind the proxy: tinyproxy answers 500, reported as the proxy answer', async () => {
    const gone = `http://127.0.0.1:${await freePort()}/x.crl`;
    const ex = await httpExchange(gone, { method: 'GET' }, { proxy: { http: proxy.url, https: null, noProxy: '' } });
    expect(!ex.ok && ex.error.message).toBe(`the proxy ${proxy.url} answered 500 Unable to connect`);
  });

  it('downloads in a row through tinyproxy, which closes each connection after its answer without saying so, all succeed', async () => {
    const config = { http: proxy.url, https: null, noProxy: '' };
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 6; i++) {
      const ex = await httpExchange(`${crlOrigin}/ca.crl`, { method: 'GET' }, { proxy: config });
      statuses.push(ex.ok ? ex.status : ex.error.message);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it('Basic credentials: without them 407 (named in the finding), with them through; never printed', async () => {
    const guarded = await startTinyproxy({ connectPorts: [], basicAuth: ['alice', 's3cret'] });
    try {
      const denied = await runCli(args(), { env: { HTTP_PROXY: guarded.url } });
      const live = findingsOf(denied.stdout).find((f) => f.code === 'LIVE_UNREACHABLE');
      expect(live?.message).toBe(`the OCSP responder ${responder.url} is unreachable: the proxy ${guarded.url} answered 407 Proxy Authentication Required`);
      const withAuth = guarded.url.replace('http://', 'http://alice:s3cret@');
      const allowed = await runCli([...args(), '--proxy', withAuth], { env: {} });
      expect(findingsOf(allowed.stdout).map((f) => f.code)).toEqual(['CRL_NOT_LISTED']);
      expect(denied.stdout + allowed.stdout + allowed.stderr).not.toContain('s3cret');
    } finally {
      await guarded.server.stop();
    }
  });

  it('probe serve honours HTTP_PROXY too', async () => {
    const port = await freePort();
    const before = (await proxy.requests()).length;
    let stop = () => {};
    let stderr = '';
    const io = {
      stdout: () => {},
      stderr: (t: string) => void (stderr += t),
      env: { HTTP_PROXY: proxy.url },
      stdoutIsTty: false,
      stderrIsTty: false,
      columns: 100,
      readFile: () => new Uint8Array(),
    };
    const serving = runServe(
      ['--listen', `127.0.0.1:${port}`, '--tls', '1.3', '--attempts', '1', '--key-types', 'default', '--no-http'],
      io,
      new Promise((r) => (stop = r)),
    );
    try {
      for (let i = 0; i < 100 && !stderr.includes('listening'); i++) await new Promise((r) => setTimeout(r, 20));
      const scrape = await fetch(`http://127.0.0.1:${port}/probe?target=${encodeURIComponent(target.target)}`);
      expect(scrape.status).toBe(200);
      await scrape.text();
      const seen = (await proxy.requests()).slice(before);
      expect(seen).toContain(`GET ${crlOrigin}/ca.crl`);
      expect(seen.filter((line) => line.startsWith(`GET ${responder.url}/`))).toHaveLength(1);
    } finally {
      stop();
      expect(await serving).toBe(0);
    }
  });

  it('a proxy URL of another scheme is a usage error naming its variable', async () => {
    const r = await runCli(args(), { env: { HTTPS_PROXY: 'socks5://127.0.0.1:1080' } });
    expect([r.code, r.stdout, r.stderr]).toEqual([
      3,
      '',
      "probe: HTTPS_PROXY socks5://127.0.0.1:1080: only http:// proxies are supported, not socks5://\nTry 'probe --help'.\n",
    ]);
  });
});

describe.runIf(HAS)('https:// through a CONNECT tunnel of tinyproxy', () => {
  let pki: TestPki;
  let origin: HttpsServer;
  let port = 0;
  let proxy: Tinyproxy;
  let rootFile = '';
  let crlBytes: Uint8Array;
  let leaf: Issued;

  beforeAll(async () => {
    pki = await createPki();
    const now = Date.now();
    crlBytes = await buildCrl({ issuer: pki.intermediate, thisUpdate: new Date(now - DAY), nextUpdate: new Date(now + 6 * DAY) });
    const serverCert = await issue({
      subject: 'CN=localhost',
      serial: '4101',
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 30 * DAY),
      issuer: pki.intermediate,
      dnsNames: ['localhost'],
    });
    origin = createHttpsServer({ cert: serverCert.pem + pki.intermediate.pem, key: serverCert.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(Buffer.from(crlBytes));
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    port = (origin.address() as AddressInfo).port;
    leaf = await issue({
      subject: 'CN=localhost',
      serial: '4102',
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 30 * DAY),
      issuer: pki.intermediate,
      dnsNames: ['localhost'],
      crlUrls: [`https://localhost:${port}/ca.crl`],
    });
    proxy = await startTinyproxy({ connectPorts: [port] });
    rootFile = join(proxy.server.dir, 'root.pem');
    writeFileSync(rootFile, pki.root.pem);
  });

  afterAll(async () => {
    origin?.closeAllConnections();
    origin?.close();
    await proxy?.server.stop();
  });

  it('the origin is verified over the tunnel as on a direct connection: an untrusted one fails, naming the proxy', async () => {
    const before = (await proxy.requests()).length;
    const ex = await httpExchange(`https://localhost:${port}/ca.crl`, { method: 'GET' }, { proxy: { http: null, https: proxy.url, noProxy: '' } });
    expect(!ex.ok && ex.error.message).toMatch(
      new RegExp(`^unable to (get local issuer certificate|verify the first certificate) \\(through the proxy ${proxy.url}\\)$`),
    );
    expect((await proxy.requests()).slice(before)).toEqual([`CONNECT localhost:${port}`]);
  });

  it('a port the proxy does not tunnel to: its 403 answer to CONNECT is named', async () => {
    const other = await freePort();
    const ex = await httpExchange(`https://localhost:${other}/ca.crl`, { method: 'GET' }, { proxy: { http: null, https: proxy.url, noProxy: '' } });
    expect(!ex.ok && ex.error.message).toBe(`the proxy ${proxy.url} answered 403 Access violation to CONNECT localhost:${other}`);
  });

  it('probe with HTTPS_PROXY (the real bin, the test root trusted through NODE_EXTRA_CA_CERTS): the https CRL comes through CONNECT', async () => {
    const target = await startStaplingServer({ cert: leaf, chain: [pki.intermediate], staple: null });
    const before = (await proxy.requests()).length;
    try {
      const bin = join(import.meta.dirname, '../../packages/probe-cli/src/bin.ts');
      const args = [target.target, '--ca-file', rootFile, '--format', 'json', '--tls', '1.3', '--attempts', '1', '--key-types', 'default', '--no-http'];
      const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: rootFile, HTTPS_PROXY: proxy.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(stderr).toBe('');
      const report = JSON.parse(stdout) as { findings: { code: string }[] };
      expect(report.findings.map((f) => f.code).filter((c) => c.startsWith('CRL_'))).toEqual(['CRL_NOT_LISTED']);
      expect(code).not.toBe(3);
      expect((await proxy.requests()).slice(before)).toEqual([`CONNECT localhost:${port}`]);
    } finally {
      await target.close();
    }
  });
});
