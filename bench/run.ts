/**
 * `pnpm bench`: staple-probe's speed as ratios against references measured in the same run.
 *
 *  1. Start-up: `node -e 0`; the CLI (`--version`, `inspect`, a probe of a local stapling server with the
 *     live query on), from the bundle and from the unbundled tsc output; a floor prober (bench/floor-prober.cjs:
 *     the least a Node 20 program does for the probe's first answer); and the equivalent
 *     `openssl s_client -status` + `openssl ocsp` pipeline; the cold probe and that pipeline again through a
 *     proxy that adds a 50 ms round trip to the TLS connection; and, when nginx is installed, both against
 *     nginx (which answers the probe's HEAD, as real servers do) through a proxy that also holds the first
 *     bytes one round trip, as a real network's TCP handshake does.
 *  2. Throughput: endpoints fully probed and verified per second by the library (one TLS 1.3 handshake each,
 *     live query deduplicated; bench/rss-run.mjs in its own process) against a raw `tls.connect` +
 *     `requestOCSP` loop, same concurrency, same server; and against that loop reading the served chain
 *     (what any prober that reports the chain must do), and against that loop trusting the bench's root, so
 *     that OpenSSL validates the whole chain (and Node reads it for its name check), as the library does. The
 *     endpoints are SNI names of one server, each with
 *     its own certificate and staple; the Node stapling server, then nginx when installed. Also the library
 *     once every certificate, staple and live answer is known to the run (the per-probe cost alone), on one
 *     certificate. (A row for a warm process with empty caches was dropped after 4dc9aec to keep the run under
 *     3 minutes: it measured the same as a cold one.)
 *  3. Memory: peak RSS of the library probing 100, 1,000 and 5,000 targets.
 *  4. Work per distinct certificate and staple: live HTTP requests, signature verifications (WebCrypto's verify
 *     counted per signed object; a staple's own are those over bytes the staple holds).
 *
 * The stapling server runs in its own process. Medians of several runs, with min and max; the results are
 * also written to .tmp/bench.json. Needs a build (pnpm install does it). Env RUNS (default 10), QUICK=1 for
 * a smoke run (CI).
 *
 * Every child runs without NODE_EXTRA_CA_CERTS: when it is set, Node 20 parses that file and its own ~140
 * roots as every process starts, even `node -e 0` (~50 ms with Debian's bundle here), which inflates the
 * reference more than the probe. When the bench itself inherits the variable, the cold probe and `node -e 0`
 * are also measured with it, and both ratios are printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseCertificate, readCertificates } from '../packages/probe-core/src/core/certificate.js';
import { buildOcspRequest } from '../packages/probe-core/src/core/request.js';
import { FLOOR, pruneHistory } from './compare.js';
import { rawHandshake, type Stat, stat } from './measure.js';
import { pool } from './pool.mjs';
import { responderRequests, startServer } from './server-child.js';

const quick = process.env.QUICK === '1';
const runs = Number(process.env.RUNS ?? (quick ? 3 : 10));
const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'packages/probe-cli/dist/bundle/bin.cjs');
const unbundled = join(root, 'packages/probe-cli/dist/bin.js');
const hook = join(root, 'bench/rss-hook.mjs');

const fmt = (s: Stat, unit: string, digits = 0) => `median ${s.median.toFixed(digits)}${unit} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;

const inheritedExtraCas = process.env.NODE_EXTRA_CA_CERTS ?? null;
/** The environment of every child: this one without NODE_EXTRA_CA_CERTS (see above). */
const cleanEnv: NodeJS.ProcessEnv = { ...process.env };
delete cleanEnv.NODE_EXTRA_CA_CERTS;

/** Run a command to completion, asynchronously (the bench process must stay responsive). */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv): Promise<{ ms: number; rssKiB: number | null; code: number | null }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /@@maxrss (\d+)/.exec(stderr);
      resolve({ ms: performance.now() - start, rssKiB: m ? Number(m[1]) : null, code });
    });
  });
}

/**
 * Run every case `runs` times, interleaved (case 1, case 2, ..., then again): this VM drifts by tens of
 * percent within a minute, and interleaving gives each case the same drift, so the ratios hold still. The
 * timed runs are plain; the peak RSS of a Node case comes from one more, untimed run with bench/rss-hook.mjs
 * loaded, because `--import` starts Node's ESM loader: it added 7-8 ms to every Node case (`node -e 0` 24 -> 32
 * ms and 21 -> 28 ms, medians of 15 spawns) and so flattered every ratio to `node -e 0`.
 */
type Case = readonly [name: string, command: string, args: string[], env?: NodeJS.ProcessEnv];
async function interleaved(cases: readonly Case[]): Promise<Map<string, { ms: Stat; rssMiB: number | null; raw: number[]; failed: number }>> {
  const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  const rss = new Map<string, number>();
  const failed = new Map<string, number>();
  for (let i = 0; i < runs; i++) {
    for (const [name, command, args, env] of cases) {
      const r = await timed(command, args, env);
      times.get(name)?.push(r.ms);
      if (r.code !== 0) failed.set(name, (failed.get(name) ?? 0) + 1);
    }
  }
  for (const [name, command, args, env] of cases) {
    if (command !== process.execPath) continue;
    const r = await timed(command, ['--import', hook, ...args], env);
    if (r.rssKiB) rss.set(name, r.rssKiB / 1024);
  }
  return new Map(cases.map(([name]) => [name, { ms: stat(times.get(name) ?? []), rssMiB: rss.get(name) ?? null, raw: times.get(name) ?? [], failed: failed.get(name) ?? 0 }]));
}

/**
 * `count` raw handshakes (TLS 1.3, status_request), `concurrency` at a time; handshakes per second. With
 * `readChain`, each also reads the served chain the one leak-free way Node 20 has, getPeerCertificate(true),
 * as the library must: the most a prober that reports the chain can do on this Node.
 */
async function rawLoop(
  port: number,
  count: number,
  concurrency: number,
  names: readonly string[],
  { readChain = false, ca }: { readChain?: boolean; ca?: string } = {},
): Promise<{ rate: number; cpuMs: number }> {
  // With a CA, one context for the whole loop, as the library keeps its own (a new one per connection would
  // parse the CA each time and flatter the library).
  const secureContext = ca ? tls.createSecureContext({ ca, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }) : undefined;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await pool(count, concurrency, (i) => rawHandshake(port, names[i % names.length], { readChain, ...(secureContext ? { secureContext } : {}) }));
  const used = process.cpuUsage(cpu);
  return { rate: count / ((performance.now() - started) / 1000), cpuMs: (used.user + used.system) / 1000 / count };
}

/** The library, in a child process of its own (bench/rss-run.mjs): `count` full probes, `concurrency` at a time. */
function libraryRun(target: string, rootFile: string, count: number, concurrency: number, names: string, warmup = 0) {
  const out = spawnSync(process.execPath, [join(root, 'bench/rss-run.mjs'), target, rootFile, String(count), String(concurrency), names, String(warmup)], { cwd: root, encoding: 'utf8', env: cleanEnv });
  return JSON.parse(out.stdout.trim()) as {
    count: number;
    ok: number;
    seconds: number;
    maxRssMiB: number;
    verifications: number;
    signedObjects: number;
    maxVerificationsPerObject: number;
    distinctStaples: number;
    stapleVerifications: number;
    cpuMsPerProbe: number;
  };
}

/** The raw loop in a fresh process of its own (bench/raw-run.mjs): handshakes per second. */
function rawFreshRun(port: number, count: number, concurrency: number, names: string): number {
  const out = spawnSync(process.execPath, [join(root, 'bench/raw-run.mjs'), String(port), String(count), String(concurrency), names], { cwd: root, encoding: 'utf8', env: cleanEnv });
  const r = JSON.parse(out.stdout.trim()) as { count: number; seconds: number };
  return r.count / r.seconds;
}

/**
 * A TCP proxy that delays every chunk by `oneWayMs` in each direction (a round trip of twice that), in this
 * process, which only waits on its children while the start-up cases run. Timers of equal delay fire in the
 * order they were set, so each direction keeps its byte order. With `connectRoundTrip`, the client's first
 * bytes wait one more round trip: a real network's TCP handshake, which the local accept skips.
 */
function latencyProxy(upstreamPort: number, oneWayMs: number, { connectRoundTrip = false } = {}): Promise<{ port: number; close: () => void }> {
  const relay = (from: Socket, to: Socket, hold: number) =>
    from.on('data', (chunk: Buffer) => {
      setTimeout(() => {
        if (to.writable) to.write(chunk);
      }, Math.max(oneWayMs, hold - performance.now()));
    });
  const proxy = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    // Nothing the client sends goes on before the connect's round trip is over; later chunks keep their order
    // (each waits at least as long as the one before).
    relay(client, upstream, connectRoundTrip ? performance.now() + 3 * oneWayMs : 0);
    relay(upstream, client, 0);
    const end = (other: Socket) => () => setTimeout(() => other.destroy(), oneWayMs);
    client.on('close', end(upstream));
    upstream.on('close', end(client));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve({ port: (proxy.address() as AddressInfo).port, close: () => proxy.close() })));
}

const { child: server, info } = await startServer();
const ONE_WAY_MS = 25;
const slow = await latencyProxy(info.port, ONE_WAY_MS);
const slowNginx = info.nginxPort ? await latencyProxy(info.nginxPort, ONE_WAY_MS, { connectRoundTrip: true }) : null;
const SLOW_NGINX = 'probe nginx, 50 ms round trip and connect (bundle)';
const SLOW_NGINX_PIPELINE = 'the openssl pipeline, nginx, 50 ms round trip and connect';
const dir = mkdtempSync(join(tmpdir(), 'staple-probe-bench-'));
const rootFile = join(dir, 'root.pem');
const intermediateFile = join(dir, 'intermediate.pem');
const leafFile = join(dir, 'leaf.pem');
writeFileSync(rootFile, info.rootPem);
writeFileSync(intermediateFile, info.intermediatePem);
writeFileSync(leafFile, info.leafPem);
// The floor prober's OCSP request for the probe's leaf (SNI localhost), built ahead: the floor decodes nothing.
const requestFile = join(dir, 'request.der');
const pemCert = (pem: string) => parseCertificate(readCertificates(new TextEncoder().encode(pem))[0] as Uint8Array);
writeFileSync(requestFile, buildOcspRequest(pemCert(info.leafPem), pemCert(info.intermediatePem)));
// Which commit was measured, for `pnpm bench:compare` across commits ("dirty": uncommitted changes too).
const git = (args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
const head = git(['rev-parse', 'HEAD']);
const commit = head.status === 0 ? head.stdout.trim() : null;
const dirty = commit ? git(['status', '--porcelain', '--untracked-files=no']).stdout.trim() !== '' : null;
const date = new Date().toISOString();
const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? null, memoryGiB: Math.round(totalmem() / 2 ** 30) };
const results: Record<string, unknown> = { commit, dirty, date, machine, node: process.version, runs, quick, inheritedNodeExtraCaCerts: inheritedExtraCas };
const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

try {
  // 1. Start-up.
  say(`== 1. start-up (${runs} runs each, interleaved; children without NODE_EXTRA_CA_CERTS${inheritedExtraCas ? `, and two with it as inherited` : ''})`);
  const fixture = ['inspect', 'fixtures/ocsp/good.der', '--issuer', 'fixtures/pki/intermediate.pem', '--cert', 'fixtures/pki/leaf-rsa.pem', '--at', '2026-01-15T12:00:00Z'];
  const probeArgs = [info.target, '--ca-file', rootFile, '--servername', 'localhost'];
  const cases: Case[] = [
    ['node -e 0', process.execPath, ['-e', '0']],
    // What any Node TLS client that validates chains pays once: parsing Node's ~140 bundled roots.
    ['node: tls.createSecureContext()', process.execPath, ['-e', "require('node:tls').createSecureContext()"]],
    ['probe --version (bundle)', process.execPath, [bundle, '--version']],
    ['probe inspect (unbundled tsc output)', process.execPath, [unbundled, ...fixture]],
    ['probe inspect (bundle)', process.execPath, [bundle, ...fixture]],
    ['probe host (unbundled, live on)', process.execPath, [unbundled, ...probeArgs]],
    ['probe host (bundle, live on)', process.execPath, [bundle, ...probeArgs]],
    // The least any Node 20 prober does for the same answer (bench/floor-prober.cjs): one validating handshake
    // with the staple and the chain, one OCSP POST, nothing decoded.
    [FLOOR, process.execPath, [join(root, 'bench/floor-prober.cjs'), String(info.port), 'localhost', rootFile, requestFile, info.responderUrl]],
    // The same through a proxy that adds 25 ms each way to the TLS connection (the live query goes direct).
    ['probe host, 50 ms round trip (bundle)', process.execPath, [bundle, `127.0.0.1:${slow.port}`, ...probeArgs.slice(1)]],
  ];
  if (slowNginx) cases.push([SLOW_NGINX, process.execPath, [bundle, `127.0.0.1:${slowNginx.port}`, ...probeArgs.slice(1)]]);
  if (inheritedExtraCas) {
    const inherited = { ...process.env };
    cases.push(['node -e 0 (NODE_EXTRA_CA_CERTS inherited)', process.execPath, ['-e', '0'], inherited]);
    cases.push(['probe host (bundle, NODE_EXTRA_CA_CERTS inherited)', process.execPath, [bundle, ...probeArgs], inherited]);
  }
  const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
  if (hasOpenssl) {
    const port = info.target.split(':').pop();
    const pipeline = `openssl s_client -connect 127.0.0.1:${port} -servername localhost -status </dev/null >/dev/null 2>&1; openssl ocsp -issuer ${intermediateFile} -cert ${leafFile} -url ${info.responderUrl} -CAfile ${rootFile} -no_nonce >/dev/null 2>&1`;
    cases.push(['openssl s_client -status + openssl ocsp', 'bash', ['-c', pipeline]]);
    cases.push(['the openssl pipeline, 50 ms round trip', 'bash', ['-c', pipeline.replace(`127.0.0.1:${port} `, `127.0.0.1:${slow.port} `)]]);
    if (slowNginx) cases.push([SLOW_NGINX_PIPELINE, 'bash', ['-c', pipeline.replace(`127.0.0.1:${port} `, `127.0.0.1:${slowNginx.port} `)]]);
  }
  const startup: Record<string, { ms: Stat; rssMiB: number | null; ratioToNode: number; ratioToNodePerRound: Stat; failed: number }> = {};
  const measured = await interleaved(cases);
  for (const [name, , , env] of cases) {
    // Each ratio is against the node -e 0 of the same environment.
    const reference = measured.get(env ? 'node -e 0 (NODE_EXTRA_CA_CERTS inherited)' : 'node -e 0') as { ms: Stat; rssMiB: number | null; raw: number[] };
    const r = measured.get(name) as { ms: Stat; rssMiB: number | null; raw: number[]; failed: number };
    // The ratio of each round (this case ÷ node -e 0 measured next to it), then their median.
    const ratios = stat(r.raw.map((ms, i) => ms / ((reference.raw[i] as number) || 1)));
    startup[name] = { ms: r.ms, rssMiB: r.rssMiB, ratioToNode: ratios.median, ratioToNodePerRound: ratios, failed: r.failed };
    say(`${name.padEnd(52)} ${fmt(r.ms, ' ms')}  ×${ratios.median.toFixed(2)} node -e 0 (per round ×${ratios.min.toFixed(2)}–${ratios.max.toFixed(2)})${r.rssMiB ? `  peak RSS ${r.rssMiB.toFixed(1)} MiB` : ''}`);
    if (r.failed > 0) say(`  warning: ${name} exited non-zero in ${r.failed} of ${runs} runs`);
  }
  const bundled = startup['probe host (bundle, live on)'];
  const floorCase = startup[FLOOR];
  if (bundled && floorCase) {
    say(
      `probe host (bundle) ÷ the floor prober: ×${(bundled.ms.median / floorCase.ms.median).toFixed(2)}; the floor alone is ×${floorCase.ratioToNode.toFixed(2)} node -e 0, ${floorCase.ratioToNode > 2.5 ? 'above' : 'within'} the goal of ×2.5`,
    );
  }
  const opensslCase = startup['openssl s_client -status + openssl ocsp'];
  if (bundled && opensslCase) say(`probe host (bundle) ÷ openssl pipeline: ×${(bundled.ms.median / opensslCase.ms.median).toFixed(2)}`);
  const slowProbe = startup['probe host, 50 ms round trip (bundle)'];
  const slowOpenssl = startup['the openssl pipeline, 50 ms round trip'];
  if (slowProbe && slowOpenssl) {
    say(`over a 50 ms round trip: probe host (6 handshakes, a HEAD, the live query) ÷ the openssl pipeline (1 handshake, 1 query): ×${(slowProbe.ms.median / slowOpenssl.ms.median).toFixed(2)}`);
  }
  const slowNginxProbe = startup[SLOW_NGINX];
  const slowNginxOpenssl = startup[SLOW_NGINX_PIPELINE];
  if (slowNginxProbe && slowNginxOpenssl) {
    say(`nginx over a 50 ms round trip, connect included: probe host ÷ the openssl pipeline: ×${(slowNginxProbe.ms.median / slowNginxOpenssl.ms.median).toFixed(2)}`);
  }
  results.startup = startup;

  // 2. Throughput, against the Node server and, when installed, nginx: the same names, certificates and staples.
  const count = quick ? 100 : 400;
  const concurrency = 16;
  const rounds = quick ? 3 : 5;
  const names = info.names.join(',');
  const distinct = Math.min(info.names.length, count);
  const servers: [string, number][] = [['node', info.port]];
  if (info.nginxPort) servers.push(['nginx', info.nginxPort]);
  else say('(nginx is not installed: throughput against the Node server only)');
  const throughput: Record<string, unknown> = {};
  for (const [serverName, port] of servers) {
    say(`== 2. throughput against ${serverName}: ${count} endpoints (${distinct} SNI names, each its own certificate and staple), concurrency ${concurrency}, TLS 1.3, 1 handshake each (${rounds} rounds: raw, raw + chain, raw validating, raw in a fresh process, library)`);
    const raw: number[] = [];
    const rawChain: number[] = [];
    // The raw loop trusting the bench's root: OpenSSL then validates the whole chain, and Node reads it for its
    // name check (getPeerCertificate(true) in onConnectSecure), as a client that checks what it connects to does.
    const rawValidating: number[] = [];
    // The raw loop in a fresh process, as the library's runs are: a reference that starts as cold.
    const rawFresh: number[] = [];
    const lib: number[] = [];
    const libOne: number[] = [];
    const libSteady: number[] = [];
    // The prober's CPU time per endpoint (process.cpuUsage: every thread of the process), which this VM's
    // drift moves far less than the rates.
    const cpu = { raw: [] as number[], rawChain: [] as number[], rawValidating: [] as number[], library: [] as number[], steady: [] as number[] };
    let verifications = 0;
    let staplesSeen = 0;
    let stapleVerifications = 0;
    let maxPerObject = 0;
    let requests = 0;
    for (let i = 0; i < rounds; i++) {
      const r = await rawLoop(port, count, concurrency, info.names);
      raw.push(r.rate);
      cpu.raw.push(r.cpuMs);
      const rc = await rawLoop(port, count, concurrency, info.names, { readChain: true });
      rawChain.push(rc.rate);
      cpu.rawChain.push(rc.cpuMs);
      const rv = await rawLoop(port, count, concurrency, info.names, { ca: info.rootPem });
      rawValidating.push(rv.rate);
      cpu.rawValidating.push(rv.cpuMs);
      rawFresh.push(rawFreshRun(port, count, concurrency, names));
      const before = await responderRequests(server);
      const l = libraryRun(`127.0.0.1:${port}`, rootFile, count, concurrency, names);
      requests += (await responderRequests(server)) - before;
      lib.push(count / l.seconds);
      cpu.library.push(l.cpuMsPerProbe);
      verifications = l.verifications;
      staplesSeen = l.distinctStaples;
      stapleVerifications = l.stapleVerifications;
      maxPerObject = Math.max(maxPerObject, l.maxVerificationsPerObject);
      if (l.ok !== count) say(`  warning: ${count - l.ok} probes were not ok`);
      // The same run with every endpoint on one name (one certificate): the figure earlier commits measured.
      if (serverName === 'node') libOne.push(count / libraryRun(`127.0.0.1:${port}`, rootFile, count, concurrency, 'localhost').seconds);
      // And once every certificate, staple and live answer is known to the run (300 probes of the same names
      // first, same cache and verifier): what each further probe costs, the part that scales with endpoints.
      const steady = libraryRun(`127.0.0.1:${port}`, rootFile, count, concurrency, names, 300);
      libSteady.push(count / steady.seconds);
      cpu.steady.push(steady.cpuMsPerProbe);
    }
    const rawStat = stat(raw);
    const rawChainStat = stat(rawChain);
    const libStat = stat(lib);
    // Each round's library rate against the raw rates measured just before it, then the median of those.
    const ratio = stat(lib.map((l, i) => l / (raw[i] as number)));
    const chainCeiling = stat(rawChain.map((c, i) => c / (raw[i] as number)));
    const ratioToChain = stat(lib.map((l, i) => l / (rawChain[i] as number)));
    const rawValidatingStat = stat(rawValidating);
    const validatingCeiling = stat(rawValidating.map((v, i) => v / (raw[i] as number)));
    const ratioToValidating = stat(lib.map((l, i) => l / (rawValidating[i] as number)));
    const rawFreshStat = stat(rawFresh);
    const ratioToFresh = stat(lib.map((l, i) => l / (rawFresh[i] as number)));
    say(`raw tls.connect + requestOCSP              ${fmt(rawStat, ' handshakes/s')}`);
    say(`raw, in a fresh process (as the library)   ${fmt(rawFreshStat, ' handshakes/s')}`);
    say(`raw + getPeerCertificate(true) (the chain) ${fmt(rawChainStat, ' handshakes/s')}`);
    say(`raw, validating the chain (ca: the root)   ${fmt(rawValidatingStat, ' handshakes/s')}`);
    say(`library probe (verified)                   ${fmt(libStat, ' endpoints/s')}`);
    say(`library ÷ raw: ×${ratio.median.toFixed(2)} (per round ×${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}; goal ≥ 0.8)`);
    say(`raw + chain ÷ raw: ×${chainCeiling.median.toFixed(2)} (per round ×${chainCeiling.min.toFixed(2)}–${chainCeiling.max.toFixed(2)}): the most any prober that reads the served chain gets on Node ${process.version}`);
    say(`library ÷ (raw + chain): ×${ratioToChain.median.toFixed(2)} (per round ×${ratioToChain.min.toFixed(2)}–${ratioToChain.max.toFixed(2)}): what the rest of the probe costs`);
    say(
      `raw validating ÷ raw: ×${validatingCeiling.median.toFixed(2)} (per round ×${validatingCeiling.min.toFixed(2)}–${validatingCeiling.max.toFixed(2)}); library ÷ raw validating: ×${ratioToValidating.median.toFixed(2)} (per round ×${ratioToValidating.min.toFixed(2)}–${ratioToValidating.max.toFixed(2)}): against a client that validates the chain, as the library does`,
    );
    say(`library ÷ raw in a fresh process: ×${ratioToFresh.median.toFixed(2)} (per round ×${ratioToFresh.min.toFixed(2)}–${ratioToFresh.max.toFixed(2)}): both start cold`);
    const oneStat = libOne.length > 0 ? stat(libOne) : null;
    const oneRatio = libOne.length > 0 ? stat(libOne.map((l, i) => l / (raw[i] as number))) : null;
    if (oneStat && oneRatio) say(`library, every endpoint on 1 name (1 certificate) ${fmt(oneStat, ' endpoints/s')}; ÷ raw ×${oneRatio.median.toFixed(2)} (per round ×${oneRatio.min.toFixed(2)}–${oneRatio.max.toFixed(2)})`);
    const steadyStat = stat(libSteady);
    const steadyRatio = stat(libSteady.map((l, i) => l / (raw[i] as number)));
    const steadyToChain = stat(libSteady.map((l, i) => l / (rawChain[i] as number)));
    const steadyToValidating = stat(libSteady.map((l, i) => l / (rawValidating[i] as number)));
    say(
      `library, every certificate already known to the run (300 probes of the same names first) ${fmt(steadyStat, ' endpoints/s')}; ÷ raw ×${steadyRatio.median.toFixed(2)} (per round ×${steadyRatio.min.toFixed(2)}–${steadyRatio.max.toFixed(2)}); ÷ (raw + chain) ×${steadyToChain.median.toFixed(2)}; ÷ raw validating ×${steadyToValidating.median.toFixed(2)} (per round ×${steadyToValidating.min.toFixed(2)}–${steadyToValidating.max.toFixed(2)})`,
    );
    const cpuStat = { raw: stat(cpu.raw), rawChain: stat(cpu.rawChain), rawValidating: stat(cpu.rawValidating), library: stat(cpu.library), steady: stat(cpu.steady) };
    const cpuRatio = stat(cpu.library.map((l, i) => (cpu.raw[i] as number) / l));
    const cpuRatioSteady = stat(cpu.steady.map((l, i) => (cpu.raw[i] as number) / l));
    say(
      `prober CPU per endpoint (all its threads): raw ${fmt(cpuStat.raw, ' ms', 2)}; raw + chain ${cpuStat.rawChain.median.toFixed(2)} ms; raw validating ${cpuStat.rawValidating.median.toFixed(2)} ms; library ${cpuStat.library.median.toFixed(2)} ms; steady state ${cpuStat.steady.median.toFixed(2)} ms`,
    );
    say(
      `raw CPU ÷ library CPU: ×${cpuRatio.median.toFixed(2)} (per round ×${cpuRatio.min.toFixed(2)}–${cpuRatio.max.toFixed(2)}); steady state ×${cpuRatioSteady.median.toFixed(2)} (×${cpuRatioSteady.min.toFixed(2)}–${cpuRatioSteady.max.toFixed(2)}). The raw loop makes a new secure context per connection, as tls.connect does by default; the library reuses its own`,
    );
    const perCert = requests / (rounds * distinct);
    say(`live HTTP requests per distinct certificate: ${perCert} (${requests} for ${rounds} runs × ${distinct} certificates; goal 1)`);
    say(`staple signature verifications per distinct staple: ${stapleVerifications / (staplesSeen || 1)} (${stapleVerifications} for ${staplesSeen} staples in a run of ${count} probes; goal 1)`);
    say(`signature verifications in all: ${verifications / distinct} per distinct certificate (its staple, the CA's live answer, the leaf by its issuer); at most ${maxPerObject} per signed object in any run`);
    throughput[serverName] = {
      count,
      concurrency,
      rounds,
      names: distinct,
      raw: rawStat,
      rawWithChain: rawChainStat,
      rawValidating: rawValidatingStat,
      rawFresh: rawFreshStat,
      ratioToRawFresh: ratioToFresh.median,
      ratioToRawFreshPerRound: ratioToFresh,
      library: libStat,
      ratio: ratio.median,
      ratioPerRound: ratio,
      chainCeiling: chainCeiling.median,
      ratioToRawWithChain: ratioToChain.median,
      validatingCeiling: validatingCeiling.median,
      ratioToRawValidating: ratioToValidating.median,
      ratioToRawValidatingPerRound: ratioToValidating,
      ...(oneStat && oneRatio ? { libraryOneCertificate: oneStat, ratioOneCertificate: oneRatio.median } : {}),
      librarySteady: steadyStat,
      ratioSteady: steadyRatio.median,
      ratioSteadyPerRound: steadyRatio,
      ratioSteadyToRawWithChain: steadyToChain.median,
      ratioSteadyToRawValidating: steadyToValidating.median,
      ratioSteadyToRawValidatingPerRound: steadyToValidating,
      liveRequestsPerCertificate: perCert,
      verificationsPerCertificate: verifications / distinct,
      stapleVerificationsPerStaple: stapleVerifications / (staplesSeen || 1),
      cpuMsPerEndpoint: cpuStat,
      cpuRatio: cpuRatio.median,
      cpuRatioSteady: cpuRatioSteady.median,
      maxVerificationsPerSignedObject: maxPerObject,
    };
  }
  results.throughput = throughput;

  // 3. Memory.
  const sizes = quick ? [100] : [100, 1000, 5000];
  say(`== 3. peak RSS of the library over many targets (concurrency 32)`);
  const rss: Record<string, unknown> = {};
  for (const n of sizes) {
    const r = libraryRun(info.target, rootFile, n, 32, names);
    rss[String(n)] = r;
    say(`${String(n).padStart(5)} targets: peak RSS ${r.maxRssMiB.toFixed(1)} MiB, ${(n / r.seconds).toFixed(0)} probes/s, ${r.ok} ok (goal ≤ 150 MiB, flat)`);
  }
  results.memory = rss;
} finally {
  slow.close();
  slowNginx?.close();
  server.kill('SIGTERM');
}
mkdirSync(join(root, '.tmp'), { recursive: true });
writeFileSync(join(root, '.tmp/bench.json'), `${JSON.stringify(results, null, 2)}\n`);
// A copy per run, named by time and commit: `pnpm bench:compare` compares the two newest.
const historyName = `${date.replace(/[:.]/g, '-')}-${commit ? commit.slice(0, 10) + (dirty ? '-dirty' : '') : 'nocommit'}${quick ? '-quick' : ''}.json`;
mkdirSync(join(root, '.tmp/bench-history'), { recursive: true });
writeFileSync(join(root, '.tmp/bench-history', historyName), `${JSON.stringify(results, null, 2)}\n`);
pruneHistory(join(root, '.tmp/bench-history'));
say(`results: .tmp/bench.json and .tmp/bench-history/${historyName} (compare two runs: pnpm bench:compare)`);
