/** `probe serve`: the exporter's endpoints, safety limits and metrics, against loopback servers. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { moduleOf, runCli } from './run.js';
import { allowed, type Exporter, inCidr, parseListen, startExporter } from '../../packages/probe-cli/src/serve/exporter.js';
import { escapeHtml, ProbeHistory, renderIndex } from '../../packages/probe-cli/src/serve/history.js';
import { createLogger, formatLogLine, logfmtValue } from '../../packages/probe-cli/src/serve/log.js';

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

  it('module starttls: smtp speaks SMTP before every handshake (issue #24); the default module fails the handshake on that port', async () => {
    const mail = await startStaplingServer({
      cert: pki.leafRsa,
      chain: [pki.intermediate],
      staple: await makeStaple(pki, 'good', { now: new Date() }),
      smtp: { banner: 'mx.test ESMTP Exim 4.96' },
    });
    const exporter = await startExporter({
      listen: '127.0.0.1:0',
      modules: { default: module, smtp: { ...module, starttls: 'smtp', live: false, crl: false } },
      allow: [],
      concurrency: 4,
      extraCerts: [pki.root.der],
    });
    try {
      const smtp = await (await get(`/probe?target=${mail.target}&module=smtp`, {}, exporter.url)).text();
      expect(series(smtp, 'probe_success')).toEqual(['probe_success 1']);
      expect(series(smtp, 'staple_probe_stapling_verdict')).toEqual(['staple_probe_stapling_verdict 0']);
      const plain = await (await get(`/probe?target=${mail.target}`, {}, exporter.url)).text();
      expect(series(plain, 'probe_success')).toEqual(['probe_success 0']);
      expect(plain).toContain('staple_probe_finding{code="TLS_HANDSHAKE_FAILED"');
    } finally {
      await exporter.close();
      await mail.close();
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

  it('/ lists the recent probes newest first, each with its module, verdict, duration and a log link that answers its debug output', async () => {
    const lines: string[] = [];
    const own = await startExporter({
      listen: '127.0.0.1:0',
      modules: { default: module, quick: { ...module, attempts: 1 } },
      allow: [],
      concurrency: 4,
      extraCerts: [pki.root.der],
      log: createLogger('info', (l) => void lines.push(l)),
    });
    try {
      await (await get(`/probe?target=${stapler.target}`, {}, own.url)).text();
      await (await get(`/probe?target=127.0.0.1:${silentPort}&module=quick`, { 'x-prometheus-scrape-timeout-seconds': '1' }, own.url)).text();
      const page = await (await get('/', {}, own.url)).text();
      const rows = [
        ...page.matchAll(
          /<tr><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td class="verdict \w+">(\w+)<\/td><td class="num">([\d.]+) s<\/td><td><a href="([^"]+)">log<\/a>/g,
        ),
      ];
      expect(rows.map((m) => [m[2], m[3], m[4]])).toEqual([
        [`127.0.0.1:${silentPort}`, 'quick', 'unknown'],
        [stapler.target, 'default', 'ok'],
      ]);
      expect(Date.parse(rows[0]?.[1] as string)).toBeGreaterThanOrEqual(Date.parse(rows[1]?.[1] as string));
      const log = await get(rows[1]?.[6] as string, {}, own.url);
      expect(log.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const text = await log.text();
      expect(text).toContain(`msg="probe done" target=${stapler.target} module=default verdict=ok`);
      expect(text).toContain('probe_success 1');
      expect(text).toMatch(/^Module configuration \(default\):\ntls: both\n/m);
      expect((await get('/logs?id=999', {}, own.url)).status).toBe(404);
      // One info line per probe on the log, in logfmt.
      const done = lines.filter((l) => l.includes('msg="probe done"'));
      expect(done).toHaveLength(2);
      expect(done[0]).toMatch(
        new RegExp(`^ts=\\S+Z level=info msg="probe done" target=${stapler.target} module=default verdict=ok duration_seconds=0\\.\\d{1,6} codes=""\\n$`),
      );
      expect(done[1]).toMatch(/ module=quick verdict=unknown duration_seconds=[\d.]+ codes=\S*TLS_/);
    } finally {
      await own.close();
    }
  });

  it('/probe?debug=true answers the report, the findings with their messages and the metrics as text/plain', async () => {
    const expired = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'expired', { now: new Date() }) });
    try {
      const res = await get(`/probe?target=${expired.target}&debug=true`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const text = await res.text();
      const sections = [...text.matchAll(/^([A-Z][^\n]*):$/gm)].map((m) => m[1]);
      expect(sections).toEqual([
        'Logs for the probe',
        'Findings',
        'Report (as probe --json prints it)',
        'Metrics that would have been returned',
        'Module configuration (default)',
      ]);
      expect(text).toMatch(/^CRITICAL STAPLE_EXPIRED: .*expired/m);
      expect(text).toMatch(/^WARNING {2}COMPARE_STAPLE_STALE: \S/m);
      expect(text).toMatch(/^ {9}seen: 127\.0\.0\.1:\d+ TLS 1\.2 #1/m);
      const json = JSON.parse(/^Report \(as probe --json prints it\):\n([\s\S]*?)\n\nMetrics that/m.exec(text)?.[1] ?? 'null');
      expect(json.findings.map((f: { code: string }) => f.code).sort()).toEqual(['COMPARE_STAPLE_STALE', 'STAPLE_EXPIRED']);
      expect(json.exitCode).toBe(2);
      expect(text).toContain('staple_probe_finding{code="STAPLE_EXPIRED",severity="critical"} 1');
      expect(text).toMatch(
        /level=info msg="probe done" target=127\.0\.0\.1:\d+ module=default verdict=critical duration_seconds=[\d.]+ codes=COMPARE_STAPLE_STALE,STAPLE_EXPIRED|codes=STAPLE_EXPIRED,COMPARE_STAPLE_STALE/,
      );
    } finally {
      await expired.close();
    }
  });

  it('the history keeps the last N probes and cuts long debug output: memory stays bounded', () => {
    const history = new ProbeHistory(3, 100);
    for (let i = 0; i < 5; i++)
      history.add({ at: new Date(i * 1000), target: `h${i}:443`, module: 'default', verdict: 'ok', durationSeconds: 0.1, debug: () => 'x'.repeat(500) });
    expect(history.list().map((r) => [r.id, r.target])).toEqual([
      [5, 'h4:443'],
      [4, 'h3:443'],
      [3, 'h2:443'],
    ]);
    expect(history.get(2)).toBeUndefined();
    expect(history.get(5)?.debug()).toMatch(/^x{100}\n… cut at 100 characters\n$/);
  });

  it('the page escapes every text it shows', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const history = new ProbeHistory();
    history.add({ at: new Date(0), target: '<script>alert(1)</script>:443', module: 'm"<b>', verdict: 'warn', durationSeconds: 1.23456, debug: () => '' });
    const page = renderIndex(history.list(), ['m"<b>'], 100);
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('m"<b>');
    expect(page).toContain(
      '<td>&lt;script&gt;alert(1)&lt;/script&gt;:443</td><td>m&quot;&lt;b&gt;</td><td class="verdict warn">warn</td><td class="num">1.235 s</td>',
    );
    expect(page).toContain('href="/probe?target=%3Cscript%3Ealert(1)%3C%2Fscript%3E%3A443&amp;module=m%22%3Cb%3E&amp;debug=true"');
  });
});

describe('the log (logfmt, as blackbox_exporter writes it)', () => {
  it('quotes and escapes values that need it, and only those', () => {
    expect(logfmtValue('example.com:443')).toBe('example.com:443');
    expect(logfmtValue('')).toBe('""');
    expect(logfmtValue('probe done')).toBe('"probe done"');
    expect(logfmtValue('a=b')).toBe('"a=b"');
    expect(logfmtValue('say "hi" \\o/')).toBe('"say \\"hi\\" \\\\o/"');
    expect(logfmtValue('line\nnext=1 level=error')).toBe('"line\\nnext=1 level=error"');
    expect(logfmtValue('bell\u0007')).toBe('"bell\\u0007"');
    expect(logfmtValue(['A', 'B'])).toBe('A,B');
    expect(logfmtValue(0.5)).toBe('0.5');
    expect(formatLogLine(new Date(0), 'warn', 'request refused', { status: 403, skipped: undefined, reason: 'not in the allow-list' })).toBe(
      'ts=1970-01-01T00:00:00.000Z level=warn msg="request refused" status=403 reason="not in the allow-list"',
    );
  });

  it('--log-level drops the less severe lines; a capture keeps every line of a probe', () => {
    const written: string[] = [];
    const log = createLogger(
      'warn',
      (l) => void written.push(l),
      () => new Date(0),
    );
    const captured: string[] = [];
    const probe = log.capture(captured);
    probe.debug('finding', { code: 'X' });
    probe.info('probe done');
    log.warn('request refused');
    log.error('reload failed');
    expect(written.map((l) => l.split(' ')[1])).toEqual(['level=warn', 'level=error']);
    expect(captured.map((l) => l.split(' ')[1])).toEqual(['level=debug', 'level=info']);
  });
});

describe('POST /-/reload', () => {
  it('swaps in the new modules; an invalid configuration keeps the old one, answers 500 with the reason and is logged; GET is 405', async () => {
    const lines: string[] = [];
    let next: () => { modules: Record<string, typeof module>; allow: string[] } = () => ({ modules: { default: module, extra: module }, allow: [] });
    const own = await startExporter({
      listen: '127.0.0.1:0',
      modules: { default: module },
      allow: [],
      concurrency: 4,
      log: createLogger('info', (l) => void lines.push(l)),
      reload: () => next(),
    });
    const post = () => fetch(`${own.url}/-/reload`, { method: 'POST' });
    try {
      expect((await get('/probe?target=127.0.0.1:1&module=extra', {}, own.url)).status).toBe(400);
      const ok = await post();
      expect([ok.status, await ok.text()]).toEqual([200, 'reloaded: modules default, extra\n']);
      expect((await get('/probe?target=127.0.0.1:1&module=extra', {}, own.url)).status).toBe(200);
      next = () => parseConfig('modules:\n  x:\n    colour: red\n', 'm.yaml', module);
      const bad = await post();
      expect(bad.status).toBe(500);
      expect(await bad.text()).toMatch(/^reload failed, the old configuration stays: m\.yaml: modules\.x: unknown key "colour"/);
      expect(lines.at(-1)).toMatch(/level=error msg="reload failed; the old configuration stays" err="m\.yaml: modules\.x: unknown key \\"colour\\"/);
      expect((await get('/probe?target=127.0.0.1:1&module=extra', {}, own.url)).status).toBe(200);
      const get405 = await get('/-/reload', {}, own.url);
      expect([get405.status, get405.headers.get('allow')]).toEqual([405, 'POST']);
    } finally {
      await own.close();
    }
  });

  it('beyond loopback, a reload that empties the allow-list is refused', async () => {
    const own = await startExporter({
      listen: '0.0.0.0:0',
      modules: { default: module },
      allow: ['127.0.0.1'],
      concurrency: 4,
      reload: () => ({ modules: { default: module }, allow: [] }),
    });
    try {
      expect(own.reload()).toEqual({ ok: false, reason: expect.stringMatching(/needs an allow-list/) });
    } finally {
      await own.close();
    }
  });
});

describe('a probe serve process', () => {
  it('SIGHUP reloads --config: the process lives on and serves the new modules; a broken file keeps the old ones; SIGTERM exits 0', async () => {
    const bin = fileURLToPath(new URL('../../packages/probe-cli/dist/bundle/bin.cjs', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'staple-probe-serve-'));
    const file = join(dir, 'modules.yaml');
    writeFileSync(file, 'modules:\n  first:\n    attempts: 1\n');
    const child = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0', '--config', file, '--no-live', '--no-crl', '--timeout', '1000'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const waitFor = async (pattern: RegExp): Promise<RegExpMatchArray> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const m = pattern.exec(stderr);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} in the log (exit ${child.exitCode}):\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      const [, url] = await waitFor(/level=info msg=listening url=(\S+) modules=default,first /);
      const status = async (module: string) => (await fetch(`${url}/probe?target=127.0.0.1:1&module=${module}`)).status;
      expect(await status('second')).toBe(400);
      writeFileSync(file, 'modules:\n  second:\n    attempts: 2\n');
      child.kill('SIGHUP');
      await waitFor(/msg="configuration reloaded" modules=default,second /);
      expect(await status('second')).toBe(200);
      expect(await status('first')).toBe(400);
      writeFileSync(file, 'modules:\n  third:\n    tries: 2\n');
      child.kill('SIGHUP');
      await waitFor(/level=error msg="reload failed; the old configuration stays" err=".*unknown key \\"tries\\"/);
      expect(await status('second')).toBe(200);
      expect(child.exitCode).toBeNull();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('module scope', () => {
  it('scope: stapling makes staple_probe_verdict follow the stapling verdict; probe_success and the findings stay', async () => {
    // No --ca-file: the private root is untrusted (CERT_UNTRUSTED, critical) while the stapling is fine.
    const scoped = await startExporter({
      listen: '127.0.0.1:0',
      modules: { default: module, stapling: { ...module, scope: 'stapling' } },
      allow: [],
      concurrency: 4,
    });
    try {
      const all = await (await get(`/probe?target=${stapler.target}`, {}, scoped.url)).text();
      const only = await (await get(`/probe?target=${stapler.target}&module=stapling`, {}, scoped.url)).text();
      expect(series(all, 'staple_probe_verdict')).toEqual(['staple_probe_verdict 2']);
      expect(series(only, 'staple_probe_verdict')).toEqual(['staple_probe_verdict 0']);
      for (const text of [all, only]) {
        expect(series(text, 'probe_success')).toEqual(['probe_success 1']);
        expect(series(text, 'staple_probe_stapling_verdict')).toEqual(['staple_probe_stapling_verdict 0']);
        expect(series(text, 'staple_probe_finding')).toContain('staple_probe_finding{code="CERT_UNTRUSTED",severity="critical"} 1');
      }
    } finally {
      await scoped.close();
    }
  });

  it('the modules file takes scope: all or stapling', () => {
    expect(parseConfig('modules:\n  s:\n    scope: stapling\n', 'm.yaml', module).modules.s?.scope).toBe('stapling');
    expect(parseConfig('modules:\n  s:\n    attempts: 1\n', 'm.yaml', module).modules.s?.scope).toBe('all');
    expect(() => parseConfig('modules:\n  s:\n    scope: certs\n', 'm.yaml', module)).toThrow('m.yaml: modules.s: scope must be all or stapling');
  });

  it('durations are rounded to the microsecond, without float noise', async () => {
    const text = await (await get(`/probe?target=${stapler.target}`)).text();
    for (const line of [...series(text, 'staple_probe_duration_seconds'), ...series(text, 'staple_probe_handshake_duration_seconds')]) {
      expect(line).toMatch(/ \d+(\.\d{1,6})?$/);
    }
  });
});

describe('GET /metrics', () => {
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
    expect(() => parseConfig('modules: [\n', 'm.yaml', module)).toThrow(/not valid YAML: .* at line 2, column 1$/);
    expect(() => parseConfig('modules:\n  - quick\n', 'm.yaml', module)).toThrow('m.yaml: modules must be a mapping of module names to their keys');
    expect(() => parseConfig('modules:\n  quick: 5\n', 'm.yaml', module)).toThrow('m.yaml: modules.quick must be a mapping');
  });
});

describe('probe serve: usage errors say what is wrong', () => {
  it('serve --config missing.yaml: not found, and the pointer is probe serve --help', async () => {
    const r = await runCli(['serve', '--config', '/nonexistent/missing.yaml']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("probe: cannot read --config /nonexistent/missing.yaml: no such file\nTry 'probe serve --help'.\n");
  });

  it('serve --config with a YAML error names the line; an unknown key names the keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'staple-probe-serve-'));
    try {
      writeFileSync(join(dir, 'bad.yaml'), 'modules:\n  quick:\n    attempts: [1\n');
      expect((await runCli(['serve', '--config', join(dir, 'bad.yaml')])).stderr).toMatch(/^probe: .*bad\.yaml: not valid YAML: .*at line \d+, column \d+\n/);
      writeFileSync(join(dir, 'key.yaml'), 'modules:\n  quick:\n    atempts: 1\n');
      expect((await runCli(['serve', '--config', join(dir, 'key.yaml')])).stderr).toMatch(
        /key\.yaml: modules\.quick: unknown key "atempts" \(a module takes tls, .* or starttls\)\n/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [':99999', 'port 99999 is out of range 1-65535 (0 picks a free port)'],
    ['127.0.0.1', 'expected HOST:PORT, such as 127.0.0.1:9219 or [::]:9219'],
    ['127.0.0.1:', 'the port is missing (HOST:PORT)'],
    ['127.0.0.1:http', 'port "http" is not a number'],
    [':9219', 'the host is missing (write 0.0.0.0:PORT or [::]:PORT for every address)'],
    ['::1:9219', 'an IPv6 address is written in brackets: [::1]:9219'],
    ['[nope]:9219', '"nope" is not an IPv6 address'],
  ])('--listen %s: %s', async (listen, why) => {
    expect(() => parseListen(listen)).toThrow(`--listen ${listen}: ${why}`);
    const r = await runCli(['serve', '--listen', listen]);
    expect([r.code, r.stderr]).toEqual([3, `probe: --listen ${listen}: ${why}\nTry 'probe serve --help'.\n`]);
  });

  it('parses the good forms', () => {
    expect([parseListen('127.0.0.1:9219'), parseListen('[::]:0'), parseListen('localhost:1')]).toEqual([
      { host: '127.0.0.1', port: 9219 },
      { host: '::', port: 0 },
      { host: 'localhost', port: 1 },
    ]);
  });
});
