/**
 * CLI start-up and one-shot wall time, against references measured in the same run:
 *   node -e 0                              the floor for any Node CLI
 *   probe inspect <fixture> --issuer ...   the offline check
 *   probe 127.0.0.1:PORT --ca-file root    a live probe (TLS 1.2 + 1.3, 3 attempts each, live query on) of a local
 *                                          stapling server and OCSP responder
 * Prints medians (min-max) of N runs, ratios to `node -e 0`, and peak RSS. Needs a prior build (pnpm install does it).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki, freePort, makeStaple, startResponder, startStaplingServer } from '../packages/probe-core/src/testing/index.js';

const runs = Number(process.env.RUNS ?? 10);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}packages/probe-cli/dist/bin.js`;
const hook = `${root}bench/rss-hook.mjs`;

/** Run once, asynchronously: the stapling server lives in this process and must keep answering. */
function once(args: string[]): Promise<{ ms: number; rssKiB: number | null }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, ['--import', hook, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', () => {
      const m = /@@maxrss (\d+)/.exec(stderr);
      resolve({ ms: performance.now() - start, rssKiB: m ? Number(m[1]) : null });
    });
  });
}

async function measure(args: string[]): Promise<{ ms: number[]; rssKiB: number[] }> {
  const ms: number[] = [];
  const rssKiB: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await once(args);
    ms.push(r.ms);
    if (r.rssKiB !== null) rssKiB.push(r.rssKiB);
  }
  return { ms, rssKiB };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const port = await freePort();
const pki = await createPki({ ocspUrl: `http://127.0.0.1:${port}/ocsp` });
const responder = await startResponder({ issuer: pki.intermediate, statuses: new Map([['1001', { status: 'good' }]]), port });
const staple = await makeStaple(pki, 'good', { now: new Date() });
const server = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple });
const caFile = join(mkdtempSync(join(tmpdir(), 'staple-probe-bench-')), 'root.pem');
writeFileSync(caFile, pki.root.pem);
try {
  const cases: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['probe --version', [bin, '--version']],
    ['probe inspect (offline)', [bin, 'inspect', 'fixtures/ocsp/good.der', '--issuer', 'fixtures/pki/intermediate.pem', '--cert', 'fixtures/pki/leaf-rsa.pem', '--at', '2026-01-15T12:00:00Z']],
    ['probe <local server>', [bin, server.target, '--ca-file', caFile]],
  ];
  const results = [];
  for (const [name, args] of cases) results.push({ name, ...(await measure(args)) });
  const floor = median(results[0]?.ms ?? [1]);
  const rows = results.map((r) => ({
    case: r.name,
    medianMs: Math.round(median(r.ms)),
    minMs: Math.round(Math.min(...r.ms)),
    maxMs: Math.round(Math.max(...r.ms)),
    ratioToNode: Number((median(r.ms) / floor).toFixed(2)),
    peakRssMiB: Number((Math.max(...r.rssKiB) / 1024).toFixed(1)),
  }));
  process.stdout.write(`runs per case: ${runs}; node ${process.version}\n`);
  for (const r of rows) {
    process.stdout.write(
      `${r.case.padEnd(26)} median ${String(r.medianMs).padStart(5)} ms (min ${r.minMs}, max ${r.maxMs})  ×${r.ratioToNode} node -e 0  peak RSS ${r.peakRssMiB} MiB\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ bench: 'startup', runs, node: process.version, rows })}\n`);
  process.stdout.write(`live requests reaching the responder: ${responder.requests()} (one per probe run)\n`);
} finally {
  await server.close();
  await responder.close();
}
