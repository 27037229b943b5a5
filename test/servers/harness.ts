/**
 * Real nginx, Apache httpd and HAProxy for the server scenarios: configs generated from a test PKI, each
 * server started as an ordinary foreground process on loopback ports with its files and pid file in a
 * temporary directory, and stopped by the pid we started. A missing binary skips locally and fails in CI.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '@staple-probe/core';
import { type Issued, issue } from '@staple-probe/core/testing';

export type ServerKind = 'nginx' | 'apache2' | 'haproxy' | 'prometheus';

/** Whether `kind` is installed. With CI=true a missing server is an error, never a silent skip. */
export function available(kind: ServerKind): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${kind}`]).status === 0;
  if (!found && process.env.CI === 'true') throw new Error(`${kind} is not installed; .ci/run must install it (CI=true)`);
  return found;
}

export interface RunningServer {
  readonly dir: string;
  readonly pid: number;
  /** The server's error log so far (for diagnosis in failing tests). */
  log(): string;
  stop(): Promise<void>;
}

/** A directory for one server's files; removed by `stop`. */
export function workDir(kind: ServerKind): string {
  return mkdtempSync(join(tmpdir(), `staple-probe-${kind}-`));
}

/** Write a certificate with its chain (PEM) and key, and return their paths. */
export function writeIdentity(dir: string, name: string, leaf: Issued, chain: readonly Issued[]): { cert: string; key: string; both: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const both = join(dir, `${name}.pem`);
  writeFileSync(cert, [leaf.pem, ...chain.map((c) => c.pem)].join(''));
  writeFileSync(key, leaf.keyPem);
  writeFileSync(both, [leaf.pem, ...chain.map((c) => c.pem), leaf.keyPem].join(''));
  return { cert, key, both };
}

async function portOpen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Wait until every port accepts TCP connections. A plain connect, not a TLS handshake: a handshake would
 * make nginx start its lazy OCSP fetch before the probe's first attempt.
 */
export async function waitForPorts(ports: readonly number[], child: ChildProcess, logFile: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${safeRead(logFile)}`);
      if (await portOpen(port, '127.0.0.1')) break;
      if (Date.now() > deadline) throw new Error(`port ${port} not open after ${timeoutMs} ms: ${safeRead(logFile)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-4000);
  } catch {
    return '(no log)';
  }
}

/** Start `command` in the foreground, wait for its ports, and return a handle that stops exactly it. */
export async function startProcess(
  command: string,
  args: readonly string[],
  opts: { dir: string; ports: readonly number[]; logFile: string },
): Promise<RunningServer> {
  const child = spawn(command, args, { cwd: opts.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });
  try {
    await waitForPorts(opts.ports, child, opts.logFile);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${command} did not start: ${(error as Error).message}\n${stderr}`);
  }
  const pid = child.pid as number;
  return {
    dir: opts.dir,
    pid,
    log: () => `${safeRead(opts.logFile)}\n${stderr}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}

const DAY = 86_400_000;

/** A server certificate for `names` issued by `issuer`, valid from yesterday for 90 days, with its OCSP URL. */
export function serverLeaf(issuer: Issued, serial: string, ocspUrl: string, names: readonly string[] = ['localhost']): Promise<Issued> {
  return issue({
    issuer,
    subject: `CN=${names[0]}`,
    serial,
    dnsNames: names,
    ocspUrls: [ocspUrl],
    ekus: ['1.3.6.1.5.5.7.3.1'],
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 90 * DAY),
  });
}

/**
 * `count` loopback ports free now and distinct from each other: all are held at once before any is released.
 * (One `freePort()` after another can hand out the same port twice, since each is released before the next is
 * asked for; two server blocks on one port then look like one server with the other's configuration.)
 */
export async function distinctFreePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createTcpServer());
  await Promise.all(servers.map((s) => new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', () => resolve()))));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/**
 * An OCSP URL that redirects: every request gets a 302 to the same path on `responderPort` (so a GET's request
 * survives the hop). Counts the requests.
 */
export async function startRedirector(responderPort: number): Promise<{ url: string; requests: () => number; close: () => void }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    res.writeHead(302, { location: `http://127.0.0.1:${responderPort}${req.url ?? '/'}`, 'content-length': '0' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ocsp`, requests: () => requests, close: () => server.close() };
}

/** The probe options the scenario suites share: trust the test root, 3 attempts 500 ms apart (lazy servers). */
export function scenarioOptions(root: Issued) {
  return { extraCerts: [root.der], attempts: 3, retryDelayMs: 500, servername: 'localhost' };
}

/** A failing assertion's context: the findings with their arguments, then the server's log. */
export function explain(report: Report, server: RunningServer): string {
  return `${JSON.stringify(report.findings.map((f) => [f.code, f.args]))}\n${server.log()}`;
}

/**
 * A fresh nginx of its own with `workers` worker processes on one loopback port, fetching OCSP live for `leaf`
 * (nginx.test.ts, and bench/nginx-workers.ts which tallies fresh starts).
 */
export async function startFetchingNginx(
  leaf: Issued,
  pki: { readonly intermediate: Issued; readonly root: Issued },
  workers: number,
): Promise<{ server: RunningServer; port: number }> {
  const dir = workDir('nginx');
  const id = writeIdentity(dir, 'workers', leaf, [pki.intermediate]);
  const chain = join(dir, 'chain.pem');
  writeFileSync(chain, pki.intermediate.pem + pki.root.pem);
  const [port] = (await distinctFreePorts(1)) as [number];
  const conf = `
daemon off; master_process on; worker_processes ${workers}; user root; pid ${dir}/nginx.pid; error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log off; ssl_protocols TLSv1.2 TLSv1.3;
  client_body_temp_path ${dir}/client; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port} ssl; server_name localhost; ssl_certificate ${id.cert}; ssl_certificate_key ${id.key};
    ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate ${chain}; location / { return 200 "ok\\n"; } }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const server = await startProcess('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    dir,
    ports: [port],
    logFile: join(dir, 'error.log'),
  });
  return { server, port };
}
