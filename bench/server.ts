/**
 * The bench's servers, in a process of their own so that the prober and the servers do not share an event
 * loop: a Node stapling server with many SNI names (each its own certificate and staple), the OCSP
 * responder for all of them, and, when nginx is installed, nginx serving the same names with
 * `ssl_stapling_file`. Prints one JSON line and serves until killed; answers the message 'requests' with
 * the responder's request count.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki, freePort, type Issued, issue, makeStaple, startResponder, startStaplingServer } from '../packages/probe-core/src/testing/index.js';

const NAMES = Number(process.env.BENCH_NAMES ?? 32);
const DAY = 86_400_000;

const responderPort = await freePort();
const responderUrl = `http://127.0.0.1:${responderPort}/ocsp`;
const pki = await createPki({ ocspUrl: responderUrl });
const now = new Date();
// One certificate and staple per name; the leaf key is shared (generating 32 RSA keys would take seconds).
const names = Array.from({ length: NAMES }, (_, i) => `site-${String(i).padStart(2, '0')}.bench.test`);
const sites: { name: string; serial: string; cert: Issued; staple: Uint8Array }[] = [];
for (const [i, name] of names.entries()) {
  const serial = (0x2000 + i).toString(16);
  const cert = await issue({
    issuer: pki.intermediate,
    subject: `CN=${name}`,
    serial,
    dnsNames: [name],
    ocspUrls: [responderUrl],
    ekus: ['1.3.6.1.5.5.7.3.1'],
    keys: pki.leafRsa.keys,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 90 * DAY),
  });
  sites.push({ name, serial, cert, staple: await makeStaple(pki, 'good', { now, leaf: cert }) });
}
const statuses = new Map<string, { status: 'good' }>([['1001', { status: 'good' }], ...sites.map((s) => [s.serial, { status: 'good' as const }] as const)]);
// Pre-produced answers, as CA responders serve them: signing each on request (~10 ms of this process's CPU,
// one at a time) held the first probes of every throughput run for ~0.3 s, a cost of this responder, not of
// the prober.
const responder = await startResponder({ issuer: pki.intermediate, port: responderPort, statuses, preproduce: true });
const defaultStaple = await makeStaple(pki, 'good', { now });
const server = await startStaplingServer({
  cert: pki.leafRsa,
  chain: [pki.intermediate],
  staple: defaultStaple,
  sni: Object.fromEntries(sites.map((s) => [s.name, { cert: s.cert, chain: [pki.intermediate], staple: s.staple }])),
});

/** nginx with one server block per name (and localhost as the default), each with its static staple. */
async function startNginx(): Promise<{ port: number; stop: () => void } | null> {
  const found = await new Promise<boolean>((resolve) => {
    const p = spawn('sh', ['-c', 'command -v nginx'], { stdio: 'ignore' });
    p.on('close', (code) => resolve(code === 0));
  });
  if (!found) return null;
  const dir = mkdtempSync(join(tmpdir(), 'staple-probe-bench-nginx-'));
  const port = await freePort();
  writeFileSync(join(dir, 'leaf.key'), pki.leafRsa.keyPem);
  const block = (name: string, cert: Issued, staple: Uint8Array, extra: string) => {
    writeFileSync(join(dir, `${name}.crt`), cert.pem + pki.intermediate.pem);
    writeFileSync(join(dir, `${name}.der`), staple);
    return `server { listen 127.0.0.1:${port} ssl${extra}; server_name ${name}; ssl_certificate ${dir}/${name}.crt; ssl_certificate_key ${dir}/leaf.key; ssl_stapling on; ssl_stapling_file ${dir}/${name}.der; location / { return 200 "ok\\n"; } }`;
  };
  const conf = `daemon off; master_process on; worker_processes 1; user root; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http { access_log off; ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets off; ssl_session_cache off;
  client_body_temp_path ${dir}/client; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  ${block('localhost', pki.leafRsa, defaultStaple, ' default_server')}
  ${sites.map((s) => block(s.name, s.cert, s.staple, '')).join('\n  ')}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
const nginx = await startNginx();

process.stdout.write(
  `${JSON.stringify({
    target: server.target,
    port: server.port,
    names,
    nginxPort: nginx?.port ?? null,
    rootPem: pki.root.pem,
    intermediatePem: pki.intermediate.pem,
    leafPem: pki.leafRsa.pem,
    responderUrl,
  })}\n`,
);
process.on('message', (m) => {
  if (m === 'requests') process.send?.({ requests: responder.requests() });
});
const stop = () => {
  nginx?.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
