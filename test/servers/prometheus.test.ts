/**
 * A real Prometheus (Debian's package) scrapes the exporter in the blackbox_exporter multi-target pattern;
 * the series are read back through Prometheus' HTTP API.
 */
import { join } from 'node:path';
import { createPki, freePort, makeStaple, type Responder, type StaplingServer, startResponder, startStaplingServer } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Exporter, startExporter } from '../../packages/probe-cli/src/serve/exporter.js';
import { moduleOf } from '../cli/run.js';
import { available, type StartedServer, startServer, template } from './harness.js';

const HAS = available('prometheus');
let responder: Responder;
let good: StaplingServer;
let expired: StaplingServer;
let exporter: Exporter;
let prometheus: StartedServer;
let api = '';

/**
 * Scrape the exporter in the blackbox_exporter pattern: each target becomes `?target=`. Every 5 s with a 5 s
 * timeout: with 1 s, a probe slowed by a loaded machine (other suites' servers beside it) outlasted the scrape
 * now and then, and `up` read 0 or no verdict was stored (3 failures in one run of 7 suites at once).
 */
const CONFIG = `
global:
  scrape_interval: 5s
  scrape_timeout: 5s
scrape_configs:
  - job_name: staple-probe
    metrics_path: /probe
    static_configs:
      - targets: [{{targets}}]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: '{{exporter}}'
`;

beforeAll(async () => {
  if (!HAS) return;
  const port = await freePort();
  const pki = await createPki({ ocspUrl: `http://127.0.0.1:${port}/ocsp` });
  responder = await startResponder({ issuer: pki.intermediate, port, statuses: new Map([['1001', { status: 'good' }]]) });
  good = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now: new Date() }) });
  expired = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'expired', { now: new Date() }) });
  exporter = await startExporter({
    listen: '127.0.0.1:0',
    modules: {
      default: moduleOf({ attempts: 2, timeoutMs: 5000, retryDelayMs: 20 }),
    },
    allow: ['127.0.0.1/32'],
    concurrency: 8,
    extraCerts: [pki.root.der],
  });
  prometheus = await startServer({
    kind: 'prometheus',
    ports: 1,
    files: () => ({
      'prometheus.yml': template(CONFIG, { targets: `'${good.target}', '${expired.target}'`, exporter: `127.0.0.1:${exporter.port}` }),
      'prometheus.log': '',
    }),
    command: (dir, [port]) => ({
      file: 'prometheus',
      args: [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
    }),
    logFile: 'prometheus.log',
  });
  api = `http://127.0.0.1:${prometheus.ports[0]}/api/v1`;
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
  await good?.close();
  await expired?.close();
  await responder?.close();
});

async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${api}/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.data.result;
}

async function until<T>(probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for Prometheus');
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.runIf(HAS)('Prometheus scraping the exporter', () => {
  it('scrapes both targets through /probe and stores their verdicts', async () => {
    const results = await until(async () => {
      const r = await query('staple_probe_verdict');
      return r.length === 2 ? r : null;
    });
    const byInstance = Object.fromEntries(results.map((r) => [r.metric.instance, r.value[1]]));
    expect(byInstance).toEqual({ [good.target]: '0', [expired.target]: '2' });
    expect(results.every((r) => r.metric.job === 'staple-probe')).toBe(true);
  });

  it('probe_success, findings and the staple timestamps are there per target', async () => {
    const success = await query('probe_success');
    expect(success.map((r) => r.value[1])).toEqual(['1', '1']);
    const findings = await query('staple_probe_finding{code="STAPLE_EXPIRED"}');
    expect(findings.map((r) => [r.metric.instance, r.metric.severity])).toEqual([[expired.target, 'critical']]);
    const remaining = await query('staple_probe_staple_seconds_until_next_update < 0');
    expect(remaining.map((r) => r.metric.instance)).toEqual([expired.target]);
  });

  it('up is 1 for both targets: every scrape answered in time', async () => {
    const up = await query('up{job="staple-probe"}');
    expect(up.map((r) => r.value[1]).sort()).toEqual(['1', '1']);
  });
});
