/**
 * The harness every real-server suite shares: configs generated from a test PKI and a template, each server
 * started as an ordinary foreground process on free loopback ports with its files and pid file in a temporary
 * directory, waited for, and stopped by the pid we started. A missing binary skips locally and fails in CI.
 * A new server is `startServer({ kind, ports, files, command })` and its expectations.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report, StarttlsProtocol } from '@staple-probe/core';
import { expect } from 'vitest';
import { fixesFor } from '../../packages/probe-cli/src/render/fixes.js';
import {
  type CertState,
  createPki,
  freePort,
  type Issued,
  issue,
  type KeyKind,
  makeStaple,
  type PkiOptions,
  type Responder,
  startResponder,
  type TestPki,
} from '@staple-probe/core/testing';

/** The programs the suites start, by the binary's name (what `available` looks for). */
export type ServerKind =
  'nginx' | 'apache2' | 'haproxy' | 'prometheus' | 'tinyproxy' | 'exim4' | 'dovecot' | 'proftpd' | 'caddy' | 'lighttpd' | 'h2o' | 'gnutls-serv' | 'stunnel4';

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
export function workDir(kind: ServerKind | 'node'): string {
  return mkdtempSync(join(tmpdir(), `staple-probe-${kind}-`));
}

/**
 * One certificate's files for `startServer`'s `files`: `<name>.crt` (the leaf and its chain, PEM), `<name>.key`,
 * and `<name>.pem` (all of them in one file, the form HAProxy's `crt` wants).
 */
export function identityFiles(name: string, leaf: Issued, chain: readonly Issued[]): Record<string, string> {
  const certs = [leaf.pem, ...chain.map((c) => c.pem)].join('');
  return { [`${name}.crt`]: certs, [`${name}.key`]: leaf.keyPem, [`${name}.pem`]: certs + leaf.keyPem };
}

/** Write a certificate with its chain (PEM) and key (`identityFiles`), and return their paths. */
export function writeIdentity(dir: string, name: string, leaf: Issued, chain: readonly Issued[]): { cert: string; key: string; both: string } {
  for (const [file, content] of Object.entries(identityFiles(name, leaf, chain))) writeFileSync(join(dir, file), content);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), both: join(dir, `${name}.pem`) };
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
      // A child the server forked (Exim's per-connection processes) can still be writing its log when the
      // daemon has exited: rmdir then fails with ENOTEMPTY (seen once in CI). Node retries that.
      rmSync(opts.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/**
 * `text` with every `{{name}}` replaced by `vars[name]`; a placeholder without a value throws (a config with a
 * literal `{{…}}` left in it would fail later and less clearly).
 */
export function template(text: string, vars: Readonly<Record<string, string | number>>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`template: no value for {{${name}}}`);
    return String(value);
  });
}

/** What a server needs from the harness: its files and its command line, given its directory and ports. */
export interface ServerSpec {
  /** The program (`node` for a script the suite writes itself). */
  readonly kind: ServerKind | 'node';
  /** How many distinct free loopback ports it listens on (all must accept connections before it counts as up). */
  readonly ports: number;
  /** Files to write into its directory (name → content), e.g. the config from `template`. */
  readonly files?: (dir: string, ports: readonly number[]) => Readonly<Record<string, string | Uint8Array>>;
  /** The command to run in the foreground, in its directory. */
  readonly command: (dir: string, ports: readonly number[]) => { readonly file: string; readonly args: readonly string[] };
  /** Its log file, relative to its directory (read when it fails to start and by `log()`). */
  readonly logFile?: string;
}

export interface StartedServer extends RunningServer {
  readonly ports: readonly number[];
}

/** Start one server from its spec on fresh loopback ports; `stop()` ends exactly that process and removes its files. */
export async function startServer(spec: ServerSpec): Promise<StartedServer> {
  // A port free when chosen can be taken before the server binds it: by another suite's server, or by any
  // outgoing connection (they draw their local ports from the same range). The server then fails to bind (nginx
  // retries for 2.5 s and exits) while the port accepts connections for someone else, and the suite probes the
  // wrong process. So the harness checks that the process it started holds every port, and starts it again on
  // fresh ports when it does not (a fresh-clone CI run had nginx's "bind() … failed (98: Address already in use)").
  for (let attempt = 1; ; attempt++) {
    const dir = workDir(spec.kind);
    const ports = await distinctFreePorts(spec.ports);
    for (const [name, content] of Object.entries(spec.files?.(dir, ports) ?? {})) writeFileSync(join(dir, name), content);
    const { file, args } = spec.command(dir, ports);
    let running: RunningServer;
    try {
      running = await startProcess(file, args, { dir, ports, logFile: join(dir, spec.logFile ?? 'server.log') });
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      if (attempt < 3 && /address already in use|EADDRINUSE|could not bind/i.test((error as Error).message)) continue;
      throw error;
    }
    const foreign = ports.filter((port) => !holdsPort(running.pid, port));
    if (foreign.length === 0) return { ...running, ports };
    const log = running.log();
    await running.stop();
    if (attempt === 3) throw new Error(`${spec.kind}: port(s) ${foreign.join(', ')} held by another process on 3 attempts\n${log}`);
  }
}

/**
 * Whether the process `pid`, or one of its descendants, has a TCP socket listening on `port` (Linux's
 * /proc/net/tcp{,6} and /proc/PID/fd). Elsewhere, true: there is no cheap way to ask, and the check only
 * guards against a rare race.
 */
export function holdsPort(pid: number, port: number): boolean {
  if (process.platform !== 'linux') return true;
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const listening = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[1]?.endsWith(hex) && f[9] !== undefined) listening.add(f[9]);
    }
  }
  if (listening.size === 0) return false;
  for (const p of [pid, ...descendantsOf(pid)]) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p}/fd/${fd}`))?.[1];
        if (inode !== undefined && listening.has(inode)) return true;
      } catch {
        // closed meanwhile
      }
    }
  }
  return false;
}

/** Every process below `pid`, from each process's parent in /proc/N/stat. */
function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) may hold spaces and parentheses: the parent pid follows its last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (let queue = [pid]; queue.length > 0;) {
    const next = queue.flatMap((p) => children.get(p) ?? []);
    out.push(...next);
    queue = next;
  }
  return out;
}

const DAY = 86_400_000;

/**
 * A server certificate for `names` issued by `issuer`, valid from yesterday for 90 days, with its OCSP URL
 * (and its AIA caIssuers URL when given); an RSA 2048 key unless `keyKind` says otherwise.
 */
export function serverLeaf(
  issuer: Issued,
  serial: string,
  ocspUrl: string,
  names: readonly string[] = ['localhost'],
  keyKind: KeyKind = 'rsa2048',
  caIssuersUrl?: string,
): Promise<Issued> {
  return issue({
    issuer,
    subject: `CN=${names[0]}`,
    serial,
    keyKind,
    dnsNames: names,
    ocspUrls: [ocspUrl],
    ...(caIssuersUrl ? { caIssuers: [caIssuersUrl] } : {}),
    ekus: ['1.3.6.1.5.5.7.3.1'],
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 90 * DAY),
  });
}

/** The two certificates of one name a dual-certificate server holds. */
export interface DualLeaves {
  readonly rsa: Issued;
  readonly ecdsa: Issued;
}

/**
 * An RSA 2048 and an ECDSA P-256 certificate for the same `names` from one issuer, each with its own serial
 * and its own OCSP URL (so that one certificate's responder can be down while the other's answers).
 */
export async function dualLeaves(
  issuer: Issued,
  serials: { readonly rsa: string; readonly ecdsa: string },
  urls: { readonly rsa: string; readonly ecdsa: string },
  names: readonly string[] = ['localhost'],
): Promise<DualLeaves> {
  return {
    rsa: await serverLeaf(issuer, serials.rsa, urls.rsa, names, 'rsa2048'),
    ecdsa: await serverLeaf(issuer, serials.ecdsa, urls.ecdsa, names, 'p256'),
  };
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

/**
 * An Exim configuration for a test daemon (`exim4 -bdf -C`): spool, logs and pid file in `dir`, STARTTLS on
 * `smtp` and implicit TLS on `smtps` when given, the certificate and key as `leaf.crt`/`leaf.key` in `tlsDir`,
 * stapling `tlsDir`/ocsp.der when `ocsp`. Debian's binary accepts `-C` from root but opens its logs as
 * `exim_user`, which cannot write into a root-only temporary directory: the daemon runs as root.
 */
export function eximConfig(o: { dir: string; tlsDir: string; smtp: number; smtps?: number; ocsp: boolean }): string {
  return [
    'exim_user = root',
    'exim_group = root',
    'keep_environment =',
    'primary_hostname = localhost',
    `spool_directory = ${o.dir}/spool`,
    `log_file_path = ${o.dir}/%slog`,
    `pid_file_path = ${o.dir}/exim.pid`,
    'local_interfaces = <; 127.0.0.1',
    // The default of 20 connection handlers at once refused probes in CI ("Connection from [127.0.0.1] refused:
    // too many connections", a plain-text 421 that the probe read as TLS_HANDSHAKE_FAILED "wrong version
    // number"): a probe opens up to ten connections, and the previous probes' handlers may still be exiting.
    'smtp_accept_max = 200',
    `daemon_smtp_ports = ${o.smtps === undefined ? o.smtp : `${o.smtp} : ${o.smtps}`}`,
    ...(o.smtps === undefined ? [] : [`tls_on_connect_ports = ${o.smtps}`]),
    'tls_advertise_hosts = *',
    `tls_certificate = ${o.tlsDir}/leaf.crt`,
    `tls_privatekey = ${o.tlsDir}/leaf.key`,
    ...(o.ocsp ? [`tls_ocsp_file = ${o.tlsDir}/ocsp.der`] : []),
    'acl_smtp_rcpt = refuse',
    'begin acl',
    'refuse:',
    '  deny',
    '',
  ].join('\n');
}

/**
 * One server per file-stapling scenario, started one after another (parallel starts could be handed the same
 * free port): `good`, `expired`, `other` (another certificate's response) and `none` (no file).
 */
export async function serverPerStaple(
  pki: TestPki,
  start: (staple: Uint8Array | null) => Promise<StartedServer>,
): Promise<Record<'good' | 'expired' | 'other' | 'none', StartedServer>> {
  const now = new Date();
  return {
    good: await start(await makeStaple(pki, 'good', { now })),
    expired: await start(await makeStaple(pki, 'expired', { now })),
    other: await start(await makeStaple(pki, 'wrong-cert', { now })),
    none: await start(null),
  };
}

/** An AIA caIssuers URL on loopback that serves `issuer` (DER), for leaves whose server leaves the intermediate out. */
export async function startAia(issuer: Issued): Promise<{ url: string; close: () => void }> {
  const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/pkix-cert' }).end(Buffer.from(issuer.der)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/issuer.der`, close: () => server.close() };
}

/**
 * A test PKI whose certificates' OCSP URL is a responder started here on loopback, answering `good` for the
 * leaf 1001 unless `statuses` says otherwise.
 */
export async function pkiWithResponder(
  statuses: ReadonlyMap<string, CertState> = new Map([['1001', { status: 'good' }]]),
  options: Omit<PkiOptions, 'ocspUrl'> = {},
): Promise<{ pki: TestPki; responder: Responder }> {
  const port = await freePort();
  const pki = await createPki({ ...options, ocspUrl: `http://127.0.0.1:${port}/ocsp` });
  return { pki, responder: await startResponder({ issuer: pki.intermediate, port, statuses }) };
}

/** A test PKI whose OCSP URL is a loopback port nothing listens on: a responder that is down. */
export async function pkiWithoutResponder(): Promise<TestPki> {
  return createPki({ ocspUrl: `http://127.0.0.1:${await freePort()}/ocsp` });
}

/** The probe options the scenario suites share: trust the test root, 3 attempts 500 ms apart (lazy servers). */
export function scenarioOptions(root: Issued) {
  return { extraCerts: [root.der], attempts: 3, retryDelayMs: 500, servername: 'localhost' };
}

/** The fix the report shows for its finding `code`, checked to be `server`'s alone (the detected or named server): its text. */
export function fixText(report: Report, code: string, server: string): string {
  const finding = report.findings.find((f) => f.code === code);
  expect(finding, JSON.stringify(report.findings.map((f) => [f.code, f.args]))).toBeDefined();
  const fixes = finding ? fixesFor(finding, report) : [];
  expect(fixes.map((f) => f.server)).toEqual([server]);
  return fixes[0]?.text ?? '';
}

/** A failing assertion's context: the findings with their arguments, then the server's log. */
export function explain(report: Report, server: RunningServer): string {
  return `${JSON.stringify(report.findings.map((f) => [f.code, f.args]))}\n${server.log()}`;
}

const FETCHING_NGINX = `
daemon off; master_process on; worker_processes {{workers}}; user root; pid {{dir}}/nginx.pid; error_log {{dir}}/error.log info;
events { worker_connections 64; }
http {
  access_log off; ssl_protocols TLSv1.2 TLSv1.3;
  client_body_temp_path {{dir}}/client; proxy_temp_path {{dir}}/proxy; fastcgi_temp_path {{dir}}/fastcgi; uwsgi_temp_path {{dir}}/uwsgi; scgi_temp_path {{dir}}/scgi;
  server { listen 127.0.0.1:{{port}} ssl; server_name localhost; ssl_certificate {{dir}}/workers.crt; ssl_certificate_key {{dir}}/workers.key;
    ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate {{dir}}/chain.pem; location / { return 200 "ok\\n"; } }
}
`;

/**
 * A fresh nginx of its own with `workers` worker processes on one loopback port, fetching OCSP live for `leaf`
 * (nginx.test.ts, and bench/nginx-workers.ts which tallies fresh starts).
 */
export async function startFetchingNginx(
  leaf: Issued,
  pki: { readonly intermediate: Issued; readonly root: Issued },
  workers: number,
): Promise<{ server: RunningServer; port: number }> {
  const server = await startServer({
    kind: 'nginx',
    ports: 1,
    files: (dir, [port]) => ({
      'nginx.conf': template(FETCHING_NGINX, { dir, port: port as number, workers }),
      'chain.pem': pki.intermediate.pem + pki.root.pem,
      ...identityFiles('workers', leaf, [pki.intermediate]),
    }),
    command: (dir) => ({ file: 'nginx', args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')] }),
    logFile: 'error.log',
  });
  return { server, port: server.ports[0] as number };
}

/**
 * The TLS versions of a report's successful handshakes, and the distinct serials their staples name (null for a
 * handshake without one): what most scenarios assert first.
 */
export function handshakesSeen(report: Report): { versions: string[]; stapled: (string | null)[] } {
  const ok = report.targets.flatMap((t) => t.addresses.flatMap((a) => a.attempts)).filter((a) => a.ok);
  const serialOf = (sha: string | null) => (sha ? (report.staples.find((s) => s.sha256 === sha)?.decoded?.basic?.responses[0]?.certId.serial ?? '?') : null);
  return { versions: [...new Set(ok.map((a) => a.protocol ?? '?'))].sort(), stapled: [...new Set(ok.map((a) => serialOf(a.staple)))] };
}

/** What `openssl s_client -status` saw when it offered only one key type: the independent truth for a scenario. */
export interface OpensslTruth {
  /** The TLS version negotiated, as s_client prints it (`TLSv1.2`, `TLSv1.3`). */
  readonly protocol: string;
  /** The served leaf's serial, lowercase hex as reports print it. */
  readonly leafSerial: string;
  readonly leafKeyType: 'RSA' | 'ECDSA' | 'other';
  /** Whether the handshake carried an OCSP response. */
  readonly stapled: boolean;
  /** The stapled response's OCSPResponseStatus name (`successful`, `tryLater`, …), or null without a staple. */
  readonly responseStatus: string | null;
  /** `good`, `revoked` or `unknown` from the stapled response's first SingleResponse; null when it has none. */
  readonly certStatus: string | null;
  /** The serial in the stapled response's (first) CertID, lowercase hex; null when it has none. */
  readonly stapleSerial: string | null;
  /** The stapled response's Next Update as openssl prints it; null when absent. */
  readonly nextUpdate: string | null;
}

/**
 * Client offers that leave the server one key type to choose: on TLS 1.2 the cipher suites decide (ECDHE_RSA
 * vs ECDHE_ECDSA), on TLS 1.3 the signature algorithms (the suites carry no key type there).
 */
const OFFER: Record<'1.2' | '1.3', Record<'RSA' | 'ECDSA', readonly string[]>> = {
  '1.2': {
    RSA: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305'],
    ECDSA: ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305'],
  },
  '1.3': {
    RSA: ['-tls1_3', '-sigalgs', 'RSA-PSS+SHA256:RSA+SHA256'],
    ECDSA: ['-tls1_3', '-sigalgs', 'ECDSA+SHA256'],
  },
};

/** Parse one s_client run; null when no certificate was received (the server refused the offer). */
export function parseSClient(out: string): OpensslTruth | null {
  const pem = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(out)?.[0];
  if (!pem) return null;
  const cert = new X509Certificate(pem);
  const kind = cert.publicKey.asymmetricKeyType;
  const field = (name: string) => new RegExp(`^\\s*${name}: *(.*?)\\s*$`, 'm').exec(out)?.[1] ?? null;
  const stapled = /^OCSP Response Data:/m.test(out);
  const status = field('OCSP Response Status');
  const serial = field('Serial Number');
  return {
    protocol: /^\s*Protocol *: *(\S+)/m.exec(out)?.[1] ?? /^New, (TLSv[\d.]+),/m.exec(out)?.[1] ?? '?',
    leafSerial: cert.serialNumber.toLowerCase(),
    leafKeyType: kind === 'rsa' ? 'RSA' : kind === 'ec' ? 'ECDSA' : 'other',
    stapled,
    responseStatus: stapled && status ? status.replace(/\s*\(0x[0-9a-f]+\)$/i, '') : null,
    certStatus: stapled ? field('Cert Status') : null,
    stapleSerial: stapled && serial ? serial.toLowerCase() : null,
    nextUpdate: stapled ? field('Next Update') : null,
  };
}

/**
 * Ask `openssl s_client -status` what a client offering only `keyType` on TLS `tlsVersion` gets from
 * 127.0.0.1:`port` (after `-starttls starttls` when given): the leaf and its staple; null when the handshake is
 * refused. Asynchronous on purpose: a responder in this process must keep answering while a server (Apache,
 * ProFTPD fetch inside the handshake) waits.
 */
export async function opensslTruth(
  port: number,
  servername: string,
  keyType: 'RSA' | 'ECDSA',
  tlsVersion: '1.2' | '1.3',
  starttls?: StarttlsProtocol,
): Promise<OpensslTruth | null> {
  const upgrade = starttls ? ['-starttls', starttls] : [];
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername, '-status', ...upgrade, ...OFFER[tlsVersion][keyType]];
  const out = await new Promise<string>((resolve, reject) => {
    // stdin is /dev/null, so s_client closes right after the handshake.
    const child = execFile('openssl', args, { timeout: 10_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && error.killed) reject(new Error(`openssl s_client timed out: ${stderr}`));
      else resolve(`${stdout}\n${stderr}`);
    });
    child.stdin?.end();
  });
  return parseSClient(out);
}
