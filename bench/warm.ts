/**
 * `pnpm bench:warm`: the cost of one more endpoint in a process that has been probing for a while (a monitor,
 * `probe serve`), where `pnpm bench` measures fresh processes of a few hundred probes. In one process, against
 * the bench's Node stapling server (and nginx when installed), one TLS 1.3 handshake per endpoint over 32 SNI
 * names at concurrency 16:
 *
 *  - raw: `tls.connect` + `requestOCSP`, nothing else (the chain does not verify: the bench root is not trusted);
 *  - raw + chain: the same, then `getPeerCertificate(true)`;
 *  - raw validating: one secure context trusting the bench root, so OpenSSL validates the chain and Node reads it
 *    for its name check, as any client that checks what it connects to;
 *  - validating, chain not read: the same with Node's read of the chain skipped (as the library skips it, to read
 *    it once itself): the cost of that read is the difference, and no Node 20 prober that reports the chain it
 *    was served can skip it (getPeerX509Certificate() leaks);
 *  - library: `collect` + `assess` with one cache and verifier for the run (what `probe()` does), live query on.
 *
 * Each kind first runs WARMUP endpoints (default 1,500) so that V8 has compiled it, then ROUNDS rounds (default 5)
 * of COUNT endpoints (default 800), the kinds interleaved within each round. Prints CPU time per endpoint
 * (`process.cpuUsage`, every thread of this process) and the rate, median (min–max) over the rounds, and the
 * library's ratios to the raw and the validating loop, per round then the median.
 */
import * as tls from 'node:tls';
import { rawHandshake, type Stat, stat } from './measure.js';
import { pool } from './pool.mjs';
import { startServer } from './server-child.js';

const fmt = (s: Stat, digits: number) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

const WARMUP = Number(process.env.WARMUP ?? 1500);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const COUNT = Number(process.env.COUNT ?? 800);
const CONCURRENCY = 16;

// The built library, as a project that installs it would run it (pnpm install builds it).
const core = await import(new URL('../packages/probe-core/dist/index.js', import.meta.url).href);
const { child, info } = await startServer();
try {
  const extraCerts = core.readCertificates(new Uint8Array(Buffer.from(info.rootPem)));
  const servers: [string, number][] = [['node', info.port]];
  if (info.nginxPort) servers.push(['nginx', info.nginxPort]);
  process.stdout.write(`bench:warm · Node ${process.version} · warm-up ${WARMUP}, ${ROUNDS} rounds of ${COUNT}, concurrency ${CONCURRENCY}\n`);
  for (const [serverName, port] of servers) {
    const validating = tls.createSecureContext({ ca: info.rootPem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    const raw =
      (readChain: boolean, secureContext?: tls.SecureContext) =>
      (i: number): Promise<void> =>
        rawHandshake(port, info.names[i % info.names.length], { readChain, ...(secureContext ? { secureContext } : {}) });
    const options = { tlsVersions: ['1.3'], attempts: 1, httpHead: false, extraCerts, cache: core.createCollectCache(), verifier: new core.SignatureVerifier() };
    let notOk = 0;
    const library = async (i: number) => {
      const evidence = await core.collect(core.parseTarget(`127.0.0.1:${port}`, { servername: info.names[i % info.names.length] }), options);
      const report = await core.assess(evidence, { ...options, now: new Date() });
      if (report.verdict !== 'ok') notOk++;
    };
    const kinds: [string, (i: number) => Promise<void>][] = [
      ['raw', raw(false)],
      ['raw + chain', raw(true)],
      ['raw validating', raw(false, validating)],
      ['validating, no chain read', (i: number) => rawHandshake(port, info.names[i % info.names.length], { secureContext: validating, skipNodeChainRead: true })],
      ['library', library],
    ];
    for (const [, task] of kinds) await pool(WARMUP, CONCURRENCY, task);
    const cpu = new Map<string, number[]>(kinds.map(([name]) => [name, []]));
    const rate = new Map<string, number[]>(kinds.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, task] of kinds) {
        const started = performance.now();
        const before = process.cpuUsage();
        await pool(COUNT, CONCURRENCY, task);
        const used = process.cpuUsage(before);
        cpu.get(name)?.push((used.user + used.system) / 1000 / COUNT);
        rate.get(name)?.push(COUNT / ((performance.now() - started) / 1000));
      }
    }
    process.stdout.write(`== ${serverName}\n`);
    for (const [name] of kinds) {
      process.stdout.write(`${name.padEnd(26)} CPU per endpoint ${fmt(stat(cpu.get(name) ?? []), 3)} ms   rate ${fmt(stat(rate.get(name) ?? []), 0)}/s\n`);
    }
    /** `of` ÷ `over`, per round. */
    const ratio = (series: Map<string, number[]>, of: string, over: string) => {
      const a = series.get(of) ?? [];
      const b = series.get(over) ?? [];
      return stat(a.map((x, i) => x / (b[i] as number)));
    };
    // In CPU the library's ratio is inverted (the reference's time ÷ the library's), so that higher is better in both.
    const perRound = (series: Map<string, number[]>, over: string, invert: boolean) => (invert ? ratio(series, over, 'library') : ratio(series, 'library', over));
    // What the chain read alone costs: validating with it against validating without it.
    process.stdout.write(
      `validating, no chain read ÷ raw: in rate ×${fmt(ratio(rate, 'validating, no chain read', 'raw'), 2)}; raw validating ÷ raw ×${fmt(ratio(rate, 'raw validating', 'raw'), 2)}: the chain read's share\n`,
    );
    for (const over of ['raw', 'raw validating']) {
      process.stdout.write(
        `library ÷ ${over}: in CPU ×${fmt(perRound(cpu, over, true), 2)}; in rate ×${fmt(perRound(rate, over, false), 2)}\n`,
      );
    }
    if (notOk > 0) {
      process.stdout.write(`${notOk} library probes were not ok\n`);
      process.exitCode = 1;
    }
  }
} finally {
  child.kill('SIGTERM');
}
