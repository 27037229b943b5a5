/** `probe serve`: the exporter's endpoints, safety limits and metrics, against loopback servers. */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  createPki,
  freePort,
  makeStaple,
  type Responder,
  type StaplingServer,
  startResponder,
  startStaplingServer,
  type TestPki,
} from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../packages/probe-cli/src/serve/config.js';
import { moduleOf } from './run.js';
import { allowed, type Exporter, inCidr, startExporter } from '../../packages/probe-cli/src/serve/exporter.js';

const module = moduleOf({ attempts: 2, timeoutMs: 5000, retryDelayMs: 20 });
let pki: TestPki;
let responder: Responder;
let stapler: StaplingServer;
let exporter: Exporter;
let silent: Server;
let silentPort = 0;
let silentConnections = 0;

beforeAll(async () => {
  const port = await freePort();
  pki = await createPki({ ocspUrl: `http://127.0.0.1:${port}/ocsp` });
  responder = await startResponder({
    issuer: pki.intermediate,
    port,
    statuses: new Map([
      ['1001', { status: 'good' }],
      ['1002', { status: 'good' }],
    ]),
  });
  stapler = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now: new Date() }) });
  silent = createServer(() => {
    silentConnections++;
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  silentPort = (silent.address() as AddressInfo).port;
  exporter = await startExporter({
    listen: '127.0.0.1:0',
    modules: { default: module, quick: { ...module, timeoutMs: 1500 }, load: { ...module, attempts: 1, timeoutMs: 60_000 } },
    allow: ['127.0.0.1/32'],
    concurrency: 128,
    extraCerts: [pki.root.der],
  });
});

afterAll(async () => {
  await exporter.close();
  await stapler.close();
  await responder.close();
  silent.close();
});

const get = (path: string, headers: Record<string, string> = {}, base = exporter.url) => fetch(`${base}${path}`, { headers });

function series(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('GET /probe', () => {
  it('a good staple: probe_success 1, verdict 0, staple present per address and TLS version, statuses and times', async () => {
    const res = await get(`/probe?target=${stapler.target}&servername=localhost`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(series(text, 'probe_success')).toEqual(['probe_success 1']);
    expect(series(text, 'staple_probe_verdict')).toEqual(['staple_probe_verdict 0']);
    expect(series(text, 'staple_probe_stapling_verdict')).toEqual(['staple_probe_stapling_verdict 0']);
    expect(series(text, 'staple_probe_staple_present').sort()).toEqual([
      'staple_probe_staple_present{address="127.0.0.1",tls_version="1.2",key_type="RSA"} 1',
      'staple_probe_staple_present{address="127.0.0.1",tls_version="1.3",key_type="RSA"} 1',
    ]);
    expect(series(text, 'staple_probe_cert_status').sort()).toEqual([
      'staple_probe_cert_status{source="live",status="good",key_type="RSA"} 1',
      'staple_probe_cert_status{source="staple",status="good",key_type="RSA"} 1',
    ]);
    expect(series(text, 'staple_probe_certificate_verdict')).toEqual(['staple_probe_certificate_verdict{key_type="RSA"} 0']);
    const [until] = series(text, 'staple_probe_staple_seconds_until_next_update');
    expect(until).toMatch(/^staple_probe_staple_seconds_until_next_update\{key_type="RSA"\} /);
    expect(Number(until?.split(' ')[1])).toBeGreaterThan(6 * 86400);
    expect(series(text, 'staple_probe_staple_next_update_timestamp_seconds')).toHaveLength(1);
    expect(series(text, 'staple_probe_finding')).toEqual([]);
  });

  it('findings become one series each, with code and severity', async () => {
    const expired = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'expired', { now: new Date() }) });
    try {
      const text = await (await get(`/probe?target=${expired.target}`)).text();
      expect(series(text, 'staple_probe_finding').sort()).toEqual([
        'staple_probe_finding{code="COMPARE_STAPLE_STALE",severity="warn"} 1',
        'staple_probe_finding{code="STAPLE_EXPIRED",severity="critical"} 1',
      ]);
      expect(series(text, 'staple_probe_verdict')).toEqual(['staple_probe_verdict 2']);
    } finally {
      await expired.close();
    }
  });

  it('an RSA and an ECDSA certificate: a key_type label on every value about one certificate, one series each', async () => {
    // Node staples the last certificate's answer (the ECDSA one's) for both: the RSA certificate gets a foreign staple.
    const now = new Date();
    const both = await startStaplingServer({
      cert: pki.leafRsa,
      chain: [pki.intermediate],
      staple: await makeStaple(pki, 'good', { now }),
      also: [{ cert: pki.leafEcdsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now, leaf: pki.leafEcdsa }) }],
    });
    try {
      const text = await (await get(`/probe?target=${both.target}`)).text();
      expect(series(text, 'staple_probe_verdict')).toEqual(['staple_probe_verdict 2']);
      expect(series(text, 'staple_probe_certificate_verdict').sort()).toEqual([
        'staple_probe_certificate_verdict{key_type="ECDSA"} 0',
        'staple_probe_certificate_verdict{key_type="RSA"} 2',
      ]);
      expect(series(text, 'staple_probe_staple_present').sort()).toEqual([
        'staple_probe_staple_present{address="127.0.0.1",tls_version="1.2",key_type="ECDSA"} 1',
        'staple_probe_staple_present{address="127.0.0.1",tls_version="1.2",key_type="RSA"} 1',
        'staple_probe_staple_present{address="127.0.0.1",tls_version="1.3",key_type="ECDSA"} 1',
        'staple_probe_staple_present{address="127.0.0.1",tls_version="1.3",key_type="RSA"} 1',
      ]);
      expect(series(text, 'staple_probe_finding').sort()).toEqual([
        'staple_probe_finding{code="COMPARE_CERTIFICATES_DISAGREE",severity="warn"} 1',
        'staple_probe_finding{code="STAPLE_CERTID_MISMATCH",severity="critical"} 1',
      ]);
      // The RSA certificate has no staple of its own, so its staple gauges are absent rather than the ECDSA staple's values.
      expect(series(text, 'staple_probe_cert_status').sort()).toEqual([
        'staple_probe_cert_status{source="live",status="good",key_type="ECDSA"} 1',
        'staple_probe_cert_status{source="live",status="good",key_type="RSA"} 1',
        'staple_probe_cert_status{source="staple",status="good",key_type="ECDSA"} 1',
      ]);
      expect(series(text, 'staple_probe_staple_seconds_until_next_update').map((l) => l.split(' ')[0])).toEqual([
        'staple_probe_staple_seconds_until_next_update{key_type="ECDSA"}',
      ]);
      expect(series(text, 'staple_probe_handshake_duration_seconds')).toHaveLength(2);
    } finally {
      await both.close();
    }
  });

  it("module key_types: default makes only Node's hello: one certificate per version, no offers", async () => {
    const both = await startStaplingServer({
      cert: pki.leafRsa,
      chain: [pki.intermediate],
      staple: null,
      also: [{ cert: pki.leafEcdsa, chain: [pki.intermediate], staple: null }],
    });
    const narrow = await startExporter({
      listen: '127.0.0.1:0',
      modules: { default: module, plain: { ...module, keyTypes: 'default', tlsVersions: ['1.2'] } },
      allow: [],
      concurrency: 4,
      extraCerts: [pki.root.der],
    });
    try {
      const all = await (await get(`/probe?target=${both.target}&module=default`, {}, narrow.url)).text();
      expect(series(all, 'staple_probe_certificate_verdict')).toHaveLength(2);
      const plain = await (await get(`/probe?target=${both.target}&module=plain`, {}, narrow.url)).text();
      // Node's hello on TLS 1.2 gets the RSA certificate; the ECDSA one is never seen.
      expect(series(plain, 'staple_probe_certificate_verdict')).toEqual(['staple_probe_certificate_verdict{key_type="RSA"} 1']);
    } finally {
      await narrow.close();
      await both.close();
    }
  });

  it('live answers are cached across scrapes until their nextUpdate: three scrapes, one query', async () => {
    await get(`/probe?target=${stapler.target}`);
    const before = responder.requests();
    for (let i = 0; i < 3; i++) await (await get(`/probe?target=${stapler.target}`)).text();
    expect(responder.requests() - before).toBe(0);
  });

  it('X-Prometheus-Scrape-Timeout-Seconds bounds the probe: a silent server answers probe_success 0 in time', async () => {
    const started = Date.now();
    const text = await (await get(`/probe?target=127.0.0.1:${silentPort}`, { 'x-prometheus-scrape-timeout-seconds': '1.5' })).text();
    expect(series(text, 'probe_success')).toEqual(['probe_success 0']);
    expect(Date.now() - started).toBeLessThan(5000);
    // Nothing about stapling was seen: unknown (3), not ok.
    expect(series(text, 'staple_probe_verdict')).toEqual(['staple_probe_verdict 3']);
    expect(series(text, 'staple_probe_stapling_verdict')).toEqual(['staple_probe_stapling_verdict 3']);
    // Without a staple the staple gauges are absent, not 0.
    expect(text).not.toContain('staple_probe_staple_seconds_until_next_update');
    expect(text).not.toContain('staple_probe_staple_this_update_timestamp_seconds');
  });

  it('100 concurrent scrapes all answer 200', async () => {
    // All in this one process with the server it probes: a generous deadline, since 2 cores run it all.
    const results = await Promise.all(
      Array.from({ length: 100 }, () => get(`/probe?target=${stapler.target}&module=load`).then(async (r) => [r.status, await r.text()] as const)),
    );
    expect(results.filter(([status]) => status !== 200)).toEqual([]);
    const failed = results.filter(([, text]) => !text.includes('probe_success 1'));
    expect(
      failed
        .map(([, t]) =>
          t
            .split('\n')
            .filter((l) => l.startsWith('staple_probe_finding') || l.startsWith('probe_success'))
            .join(' '),
        )
        .slice(0, 3),
    ).toEqual([]);
  });
});

describe('refusals', () => {
  const cases: [string, string, number, RegExp][] = [
    ['no target', '/probe', 400, /missing target parameter/],
    ['a bad port', '/probe?target=127.0.0.1:99999', 400, /port must be a number/],
    ['an unknown module', `/probe?target=127.0.0.1:1&module=nope`, 400, /unknown module "nope"/],
    ['an unknown path', '/nope', 404, /not found/],
    ['a URL over 2 KiB', `/probe?target=${'a'.repeat(3000)}`, 414, /longer than 2048/],
  ];
  for (const [name, path, status, message] of cases) {
    it(`${name} -> ${status} with a one-line reason`, async () => {
      const res = await get(path);
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(text).toMatch(message);
      expect(text.trim().split('\n')).toHaveLength(1);
    });
  }

  it('POST -> 405', async () => {
    const res = await fetch(`${exporter.url}/probe?target=x`, { method: 'POST' });
    expect(res.status).toBe(405);
  });

  it('a target outside the allow-list -> 403, and it was never connected to', async () => {
    const strict = await startExporter({ listen: '127.0.0.1:0', modules: { default: module }, allow: ['staple.test'], concurrency: 4 });
    try {
      const before = silentConnections;
      const res = await get(`/probe?target=127.0.0.1:${silentPort}`, {}, strict.url);
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/not in the allow-list/);
      await new Promise((r) => setTimeout(r, 100));
      expect(silentConnections).toBe(before);
    } finally {
      await strict.close();
    }
  });

  it('more probes than the concurrency cap -> 503 at once, not a queue', async () => {
    const narrow = await startExporter({ listen: '127.0.0.1:0', modules: { default: { ...module, timeoutMs: 1500 } }, allow: [], concurrency: 1 });
    try {
      const slow = get(`/probe?target=127.0.0.1:${silentPort}`, {}, narrow.url);
      await new Promise((r) => setTimeout(r, 100));
      const second = await get(`/probe?target=127.0.0.1:${silentPort}`, {}, narrow.url);
      expect(second.status).toBe(503);
      expect(await second.text()).toMatch(/1 probes in flight; the limit is 1/);
      expect((await slow).status).toBe(200);
    } finally {
      await narrow.close();
    }
  });

  it('listening beyond loopback without an allow-list is refused', async () => {
    await expect(startExporter({ listen: '0.0.0.0:0', modules: { default: module }, allow: [], concurrency: 1 })).rejects.toThrow(/needs an allow-list/);
  });
});

describe('GET / and GET /metrics', () => {
  it('/ links to /probe and /metrics', async () => {
    const text = await (await get('/')).text();
    expect(text).toContain('href="/metrics"');
    expect(text).toContain('/probe?target=');
  });

  it("/metrics counts the exporter's own work", async () => {
    const text = await (await get('/metrics')).text();
    expect(text).toMatch(/staple_probe_exporter_probes_total\{module="default",result="ok"\} \d+/);
    expect(text).toMatch(/staple_probe_exporter_rejected_total\{reason="bad-request"\} \d+/);
    expect(text).toContain('staple_probe_exporter_process_resident_memory_bytes');
  });

  it('promtool check metrics accepts the /probe output (required in CI)', async () => {
    const has = spawnSync('sh', ['-c', 'command -v promtool']).status === 0;
    if (!has) {
      expect(process.env.CI).not.toBe('true');
      return;
    }
    const text = await (await get(`/probe?target=${stapler.target}`)).text();
    const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`.trim()).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('allow-list and modules file', () => {
  it('CIDRs and names', () => {
    expect(inCidr('127.0.0.1', '127.0.0.1/32')).toBe(true);
    expect(inCidr('127.0.0.2', '127.0.0.1/32')).toBe(false);
    expect(inCidr('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(inCidr('::1', '::1/128')).toBe(true);
    expect(inCidr('2001:db8::5', '2001:db8::/32')).toBe(true);
    expect(inCidr('2001:db9::5', '2001:db8::/32')).toBe(false);
    expect(allowed('Example.COM', ['example.com'])).toBe(true);
    expect(allowed('evil.example.com', ['example.com'])).toBe(false);
    expect(allowed('10.0.0.1', ['example.com', '192.168.0.0/16'])).toBe(false);
  });

  it('an IPv4-mapped IPv6 literal is the IPv4 address it carries (net.BlockList)', () => {
    expect(inCidr('::ffff:10.0.0.1', '::ffff:0:0/96')).toBe(true);
    expect(allowed('::ffff:10.0.0.1', ['10.0.0.0/8'])).toBe(true);
    expect(allowed('::ffff:10.0.0.1', ['192.168.0.0/16'])).toBe(false);
    expect(allowed('10.0.0.1', ['::ffff:10.0.0.0/104'])).toBe(true);
    expect(allowed('10.0.0.1', ['::ffff:10.0.0.1'])).toBe(true);
  });

  it('ordinary IPv4 and IPv6 entries; names stay exact text matches', () => {
    expect(allowed('192.0.2.7', ['192.0.2.0/24'])).toBe(true);
    expect(allowed('192.0.3.7', ['192.0.2.0/24'])).toBe(false);
    expect(allowed('192.0.2.7', ['192.0.2.7'])).toBe(true);
    expect(allowed('192.0.2.8', ['192.0.2.7'])).toBe(false);
    expect(allowed('2001:db8:0:1::5', ['2001:db8::/48'])).toBe(true);
    expect(allowed('2001:db8:1::5', ['2001:db8::/48'])).toBe(false);
    expect(allowed('2001:db8::5', ['2001:db8::5'])).toBe(true);
    expect(allowed('2001:db8::5', ['192.0.2.0/24', 'example.com'])).toBe(false);
    expect(allowed('www.example.com.', ['WWW.example.com'])).toBe(true);
    expect(allowed('localhost', ['127.0.0.1'])).toBe(false);
    expect(allowed('anything.test', [])).toBe(true);
  });

  it('an entry that is not a name, an address or a CIDR is refused at start', async () => {
    for (const entry of ['*.example.com', '10.0.0.0/33', '::/129', '10.0.0.0/8/8', 'example.com/24', '10.0.0.0/x']) {
      await expect(startExporter({ listen: '127.0.0.1:0', modules: { default: module }, allow: [entry], concurrency: 1 })).rejects.toThrow(
        `allow-list entry "${entry}" is neither a host name, an IP address nor a CIDR (no wildcards)`,
      );
    }
  });

  it('modules override the flag defaults; unknown keys are errors', () => {
    const config = parseConfig(
      'allow: [127.0.0.1/32]\nmodules:\n  tls13:\n    tls: "1.3"\n    attempts: 1\n    timeout: 5s\n    live: false\n',
      'm.yaml',
      module,
    );
    expect(config.allow).toEqual(['127.0.0.1/32']);
    expect(config.modules.tls13).toMatchObject({
      tlsVersions: ['1.3'],
      keyTypes: 'all',
      attempts: 1,
      timeoutMs: 5000,
      live: false,
      warnRemainingSeconds: 172800,
    });
    expect(parseConfig('modules:\n  plain:\n    key_types: default\n', 'm.yaml', module).modules.plain?.keyTypes).toBe('default');
    expect([config.modules.tls13?.crl, parseConfig('modules:\n  x:\n    crl: false\n', 'm.yaml', module).modules.x?.crl]).toEqual([true, false]);
    expect(() => parseConfig('modules:\n  x:\n    crl: maybe\n', 'm.yaml', module)).toThrow('m.yaml: modules.x: crl must be true or false');
    expect(() => parseConfig('modules:\n  x:\n    key_types: rsa\n', 'm.yaml', module)).toThrow('m.yaml: modules.x: key_types must be all or default');
    expect(config.modules.default).toEqual(module);
    expect(() => parseConfig('modules:\n  x:\n    colour: red\n', 'm.yaml', module)).toThrow(/unknown key "colour"/);
    expect(() => parseConfig('modules: [\n', 'm.yaml', module)).toThrow(/not valid YAML/);
  });
});
