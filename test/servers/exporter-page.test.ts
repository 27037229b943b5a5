/**
 * The exporter's `/` page in a real browser: Debian's headless chromium loads it after a few probes against
 * local stapling servers, and the DOM it renders must list the probes, newest first, with their verdicts and
 * log links that work. chromium is required in CI (CI=true): there a missing chromium fails, never skips.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki, freePort, makeStaple, type Responder, type StaplingServer, startResponder, startStaplingServer } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Exporter, startExporter } from '../../packages/probe-cli/src/serve/exporter.js';
import { moduleOf } from '../cli/run.js';

const CHROMIUM = process.env.CHROMIUM ?? 'chromium';

/** As harness.ts `available()`: a missing browser skips locally and fails in CI. */
function hasChromium(): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${CHROMIUM}`]).status === 0;
  if (!found && process.env.CI === 'true') throw new Error(`${CHROMIUM} is not installed; .ci/run must install it (CI=true)`);
  return found;
}

const HAS = hasChromium();

/**
 * The DOM chromium renders for `url`, serialized (`--dump-dom`). Asynchronous on purpose: the exporter runs
 * in this process and must answer the browser meanwhile. A fresh profile each time, no network but loopback.
 */
function dumpDom(url: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'staple-probe-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    '--dump-dom',
    url,
  ];
  return new Promise<string>((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 15_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (error) reject(new Error(`${CHROMIUM} failed on ${url}: ${error.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

/** The rows of the probes table as the browser rendered them. */
function probeRows(dom: string): { time: string; target: string; module: string; verdict: string; duration: string; log: string }[] {
  const body = /<table id="probes">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(dom)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => {
    const cells = [...(row[1] as string).matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1] as string);
    const log = /<a href="([^"]*)">log<\/a>/.exec(cells[5] ?? '')?.[1] ?? '';
    return { time: cells[0] ?? '', target: cells[1] ?? '', module: cells[2] ?? '', verdict: cells[3] ?? '', duration: cells[4] ?? '', log };
  });
}

let responder: Responder;
let good: StaplingServer;
let expired: StaplingServer;
let exporter: Exporter;

beforeAll(async () => {
  if (!HAS) return;
  const port = await freePort();
  const pki = await createPki({ ocspUrl: `http://127.0.0.1:${port}/ocsp` });
  responder = await startResponder({ issuer: pki.intermediate, port, statuses: new Map([['1001', { status: 'good' }]]) });
  good = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now: new Date() }) });
  expired = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'expired', { now: new Date() }) });
  const module = moduleOf({ attempts: 2, timeoutMs: 5000, retryDelayMs: 20 });
  exporter = await startExporter({
    listen: '127.0.0.1:0',
    modules: { default: module, stapling: { ...module, scope: 'stapling' } },
    allow: ['127.0.0.1/32'],
    concurrency: 4,
    extraCerts: [pki.root.der],
  });
  // Oldest first: the page must show them the other way round.
  for (const path of [`/probe?target=${good.target}`, `/probe?target=${expired.target}&module=stapling`, `/probe?target=${expired.target}`]) {
    const res = await fetch(`${exporter.url}${path}`);
    expect(res.status).toBe(200);
    await res.text();
  }
}, 60_000);

afterAll(async () => {
  await exporter?.close();
  await good?.close();
  await expired?.close();
  await responder?.close();
});

describe.runIf(HAS)('the exporter page in headless chromium', () => {
  it('lists the probes newest first with their module, verdict and duration; each log link shows that probe', async () => {
    const dom = await dumpDom(`${exporter.url}/`);
    expect(dom).toContain('<title>staple-probe exporter</title>');
    const rows = probeRows(dom);
    expect(rows.map((r) => [r.target, r.module, r.verdict])).toEqual([
      [expired.target, 'default', 'critical'],
      [expired.target, 'stapling', 'critical'],
      [good.target, 'default', 'ok'],
    ]);
    for (const r of rows) {
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(r.duration).toMatch(/^\d+\.\d{3} s$/);
      expect(r.log).toMatch(/^\/logs\?id=\d+$/);
    }
    expect(new Set(rows.map((r) => r.log)).size).toBe(3);
    const newest = rows[0]?.log as string;
    const log = await dumpDom(new URL(newest, exporter.url).href);
    // A text/plain answer is shown in a <pre>; the browser escapes it back for the DOM.
    expect(log).toContain('Logs for the probe:');
    expect(log).toContain(`msg="probe done" target=${expired.target} module=default verdict=critical`);
    expect(log).toMatch(/CRITICAL STAPLE_EXPIRED: the staple expired/);
    expect(log).toContain('staple_probe_verdict 2');
  }, 40_000);
});
