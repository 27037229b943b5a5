/**
 * The table output. One screen by default (issue #23): the verdict first and last, a line per finding with one
 * fix, a frame of facts; measured against real TLS servers of the testing kit at 100 columns. `--verbose`: the
 * long layout with the CertID. For a server with several certificates (issue #21) the headline names each
 * certificate's state, and a server with one certificate prints what it printed before the offers existed.
 * Rendered from reports that `assess` judged at a fixed instant, or through the CLI against local servers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assess, mergeReports, type ProbeEvidence, type Report } from '@staple-probe/core';
import {
  createPki,
  freePort,
  type Issued,
  makeStaple,
  type Responder,
  type StapleScenario,
  type StaplingServer,
  startResponder,
  startStaplingServer,
  type TestPki,
} from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatWhere, headline, renderTable } from '../../packages/probe-cli/src/render/table.js';
import { evidence, type Step } from '../helpers.js';
import { runCli } from './run.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const STYLE = { width: 100, color: false };
const VERBOSE = { ...STYLE, verbose: true };

let pki: TestPki;
let good: Uint8Array;
let goodEcdsa: Uint8Array;

beforeAll(async () => {
  pki = await createPki({ notBefore: new Date('2026-01-01T00:00:00Z') });
  good = await makeStaple(pki, 'good', { now: NOW });
  goodEcdsa = await makeStaple(pki, 'good', { now: NOW, leaf: pki.leafEcdsa });
});

const judge = (ev: ProbeEvidence): Promise<Report> => assess(ev, { now: NOW });
const probeOf = (steps: Step[]) => judge(evidence(steps, { leaf: pki.leafRsa, chain: [pki.intermediate] }));
const ecdsa = (staple: Uint8Array | null, v: '1.2' | '1.3' = '1.2'): Step => ({ v, offer: 'ecdsa', staple, leaf: pki.leafEcdsa });
/** The table's lines from the handshakes title to the first blank line. */
const handshakeSection = (text: string) => {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Handshakes with'));
  const end = lines.indexOf('', start);
  return lines.slice(start, end === -1 ? undefined : end);
};

describe('one certificate: the table of before the offers', () => {
  it("the offers' handshakes (the RSA one got the certificate again, the ECDSA one was refused) add no row, mark or line", async () => {
    const plain: Step[] = [
      { v: '1.2', staple: good },
      { v: '1.2', staple: good },
      { v: '1.3', staple: good },
      { v: '1.3', staple: good },
    ];
    const offered: Step[] = [
      ...plain,
      { v: '1.2', offer: 'rsa', staple: good },
      { v: '1.2', offer: 'ecdsa', fail: 'handshake' },
      { v: '1.3', offer: 'rsa', staple: good },
      { v: '1.3', offer: 'ecdsa', fail: 'handshake' },
    ];
    expect(renderTable(await probeOf(offered), STYLE)).toBe(renderTable(await probeOf(plain), STYLE));
    expect(renderTable(await probeOf(offered), STYLE)).toMatch(/│ 127\.0\.0\.1 +│ TLS 1\.2 ×2 stapled · TLS 1\.3 ×2 stapled +│/);
    const before = renderTable(await probeOf(plain), VERBOSE);
    const after = renderTable(await probeOf(offered), VERBOSE);
    expect(after).toBe(before);
    const section = handshakeSection(after);
    expect(section[2]).toMatch(/^│ Address +│ TLS +│ Staple per handshake +│ Negotiated +│$/);
    // Two rows (TLS 1.2, TLS 1.3), each with the default offer's two stapled handshakes.
    expect(section.filter((l) => l.startsWith('│ 127.0.0.1')).map((l) => l.split('│')[2]?.trim())).toEqual(['1.2', '1.3']);
    expect(section.join('\n').match(/yes/g)).toHaveLength(4);
    expect(section.join('\n')).not.toContain('failed');
    expect(section.slice(-2)).toEqual([
      'Certificate: CN=localhost · serial 1001 · issuer O=staple-probe,CN=Staple Probe Test Intermediate',
      'Issuer: O=staple-probe,CN=Staple Probe Test Intermediate (from the served chain)',
    ]);
    expect(headline(await probeOf(offered))).toBe('OCSP stapling OK');
  });
});

describe('two certificates: each one named, in the headline and in the handshake section', () => {
  it('the RSA certificate staples, the ECDSA one never does', async () => {
    const report = await probeOf([{ v: '1.2', staple: good }, { v: '1.3', staple: good }, ecdsa(null), ecdsa(null, '1.3')]);
    expect(headline(report)).toBe('OCSP stapling WARNING · RSA certificate 1001: ok; ECDSA certificate 1002: no OCSP staple');
    // The default layout: the handshakes per version and certificate, and a row per certificate.
    const compact = renderTable(report, STYLE);
    expect(compact).toMatch(/│ 127\.0\.0\.1 +│ TLS 1\.2: RSA stapled, ECDSA no staple · TLS 1\.3: RSA stapled, ECDSA no staple +│/);
    expect(compact).toMatch(/│ RSA 1001 +│ CN=localhost · offers default · stapled always · OK +│/);
    expect(compact).toMatch(/│ ECDSA 1002 +│ CN=localhost · offers ECDSA · stapled never · WARNING: no OCSP staple +│/);
    const section = handshakeSection(renderTable(report, VERBOSE));
    expect(section[2]).toMatch(/^│ Address +│ TLS │ Certificate │ Staple per handshake +│ Negotiated +│$/);
    const rows = section.filter((l) => l.startsWith('│ 127.0.0.1'));
    expect(
      rows.map((l) =>
        l
          .split('│')
          .slice(2, 5)
          .map((c) => c.trim()),
      ),
    ).toEqual([
      ['1.2', 'RSA', expect.stringMatching(/^yes \(\w{8}\)$/)],
      ['1.2', 'ECDSA', 'no'],
      ['1.3', 'RSA', expect.stringMatching(/^yes \(\w{8}\)$/)],
      ['1.3', 'ECDSA', 'no'],
    ]);
    const certificates = section.filter((l) => / (RSA|ECDSA) · serial /.test(l));
    expect(certificates.map((l) => l.split('│').map((c) => c.trim()))).toEqual([
      ['', 'RSA · serial 1001', 'default', 'always', 'OK', ''],
      ['', 'ECDSA · serial 1002', 'ECDSA', 'never', 'WARNING: no OCSP staple', ''],
    ]);
    expect(section).toContain('Issuer of the RSA certificate 1001: O=staple-probe,CN=Staple Probe Test Intermediate (from the served chain)');
    expect(section.some((l) => l.startsWith('Certificate: '))).toBe(false);
  });

  it("the RSA certificate staples the ECDSA one's response: critical for it alone, its certificate rows say so", async () => {
    const report = await probeOf([
      { v: '1.2', staple: goodEcdsa },
      { v: '1.2', staple: goodEcdsa },
      { v: '1.3', staple: goodEcdsa },
      ecdsa(goodEcdsa),
      ecdsa(goodEcdsa, '1.3'),
    ]);
    expect(headline(report)).toBe('OCSP stapling CRITICAL · RSA certificate 1001: staple is for another certificate; ECDSA certificate 1002: ok');
    expect(renderTable(report, STYLE)).toContain('STAPLE_CERTID_MISMATCH: RSA certificate 1001: no SingleResponse matches the certificate');
    const table = renderTable(report, VERBOSE);
    expect(table).toContain('RSA certificate 1001: no SingleResponse matches the certificate');
    // Two handshakes of one certificate with the same staple: counted, not repeated.
    expect(handshakeSection(table).find((l) => l.includes('│ RSA ') && l.includes('│ 1.2 '))).toMatch(/│ yes \(\w{8}\) ×2 +│/);
    expect(handshakeSection(table).some((l) => /│ CRITICAL: staple is for +│$/.test(l))).toBe(true);
  });

  it('the headline stays one line, with the two verdicts when they differ', async () => {
    const report = await judge(
      evidence([{ v: '1.2', staple: good }, ecdsa(null)], { leaf: pki.leafRsa, chain: [pki.intermediate], authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    );
    const line = headline(report);
    expect(line).toBe(
      'certificate chain CRITICAL · OCSP stapling WARNING · RSA certificate 1001: certificate chain not trusted; ECDSA certificate 1002: certificate chain not trusted',
    );
    expect(line).not.toContain('\n');
  });
});

describe('a merged report of several targets', () => {
  it('keeps its headline about the targets; the target with two certificates still gets its certificate rows', async () => {
    const two = await probeOf([{ v: '1.2', staple: good }, ecdsa(null)]);
    const ev = evidence([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, chain: [pki.intermediate] });
    const other = await judge({ ...ev, target: { input: 'other.test:443', host: 'other.test', port: 443, servername: 'other.test' } });
    const merged = mergeReports([two, other], NOW.toISOString());
    expect(headline(merged)).toMatch(/^OCSP stapling WARNING: the server's certificates disagree on stapling: /);
    const table = renderTable(merged, VERBOSE);
    expect(
      table
        .split('\n')
        .filter((l) => / (RSA|ECDSA) · serial /.test(l))
        .map((l) => l.split('│')[4]?.trim()),
    ).toEqual(['OK', 'WARNING: no OCSP staple']);
  });
});

describe('formatWhere', () => {
  it('names the certificate of each place when the places name more than one', () => {
    const at = { target: 'staple.test:443', address: '127.0.0.1' };
    expect(
      formatWhere([
        { ...at, keyType: 'RSA', serial: '1001', tlsVersion: '1.2', attempt: 1 },
        { ...at, keyType: 'ECDSA', serial: '1002', tlsVersion: '1.2', attempt: 1 },
      ]),
    ).toBe('staple.test:443 127.0.0.1 RSA 1001 TLS 1.2 #1; staple.test:443 127.0.0.1 ECDSA 1002 TLS 1.2 #1');
    // One certificate named: the message says which, the places need not.
    expect(formatWhere([{ ...at, keyType: 'RSA', serial: '1001', tlsVersion: '1.2', attempt: 2 }])).toBe('staple.test:443 127.0.0.1 TLS 1.2 #2');
  });
});

/**
 * Lines as a terminal of `width` columns shows them: a longer line wraps. (The table wraps its own lines, so
 * each should fit; counting what a terminal would show keeps the budget honest if one does not.)
 */
const screenLines = (text: string, width = 100) =>
  text
    .replace(/\n$/, '')
    .split('\n')
    .reduce((n, line) => n + Math.max(1, Math.ceil([...line].length / width)), 0);

/** The headline block: the lines before "staple-probe … · judged at …". */
const headOf = (text: string) => {
  const lines = text.split('\n');
  return lines.slice(
    0,
    lines.findIndex((l) => l.startsWith('staple-probe ')),
  );
};

describe('one screen (issue #23): real servers of the testing kit, the CLI at 100 columns', () => {
  let pki: TestPki;
  let responder: Responder;
  let aia: Server;
  let caFile: string;
  const servers: StaplingServer[] = [];
  beforeAll(async () => {
    const port = await freePort();
    const aiaPort = await freePort();
    pki = await createPki({ ocspUrl: `http://127.0.0.1:${port}/ocsp`, caIssuersUrl: `http://127.0.0.1:${aiaPort}/intermediate.der` });
    responder = await startResponder({ issuer: pki.intermediate, statuses: new Map([['1001', { status: 'good' }]]), port });
    // The AIA caIssuers URL of the leaves, for a server that does not send its intermediate.
    aia = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/pkix-cert' }).end(Buffer.from(pki.intermediate.der)));
    await new Promise<void>((resolve) => aia.listen(aiaPort, '127.0.0.1', resolve));
    caFile = join(mkdtempSync(join(tmpdir(), 'staple-probe-table-')), 'root.pem');
    writeFileSync(caFile, pki.root.pem);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await responder.close();
    await new Promise((resolve) => aia.close(resolve));
  });

  /** `probe` against a new server serving `staple` (null: none) with `chain` (default: the intermediate). */
  const probeServer = async (staple: StapleScenario | null, more: string[] = [], chain: Issued[] = [pki.intermediate]) => {
    const server = await startStaplingServer({ cert: pki.leafRsa, chain, staple: staple ? await makeStaple(pki, staple, { now: new Date() }) : null });
    servers.push(server);
    return runCli([server.target, '--retry-delay', '50', ...more]);
  };

  const cases: [string, () => Promise<{ code: number; stdout: string }>, number, RegExp][] = [
    ['healthy', () => probeServer('good', ['--ca-file', caFile]), 20, /^OCSP stapling OK$/],
    ['no staple', () => probeServer(null, ['--ca-file', caFile]), 30, /^OCSP stapling WARNING: the server sent no OCSP staple/],
    ['expired staple', () => probeServer('expired', ['--ca-file', caFile]), 30, /^OCSP stapling CRITICAL: the staple expired 3\.0d ago/],
    ['revoked staple', () => probeServer('revoked', ['--ca-file', caFile]), 30, /^OCSP stapling CRITICAL: certificate serial 1001 is REVOKED/],
    ['wrong certificate', () => probeServer('wrong-cert', ['--ca-file', caFile]), 30, /^OCSP stapling CRITICAL: no SingleResponse matches/],
    ['missing intermediate', () => probeServer('good', ['--ca-file', caFile], []), 30, /^certificate chain WARNING · OCSP stapling OK$/],
    ['untrusted chain', () => probeServer('good'), 30, /^certificate chain CRITICAL · OCSP stapling OK$/],
    // Both critical: still two subjects, so that an untrusted chain is never read as a stapling failure.
    ['untrusted chain and an expired staple', () => probeServer('expired', ['--no-live']), 30, /^certificate chain CRITICAL · OCSP stapling CRITICAL$/],
    ['unreachable', async () => runCli([`127.0.0.1:${await freePort()}`]), 30, /^OCSP stapling UNKNOWN: connection failed: connect ECONNREFUSED/],
  ];
  for (const [name, run, most, first] of cases) {
    it(`${name}: at most ${most} lines, the verdict first and last, one fix per finding`, async () => {
      const { stdout } = await run();
      expect(screenLines(stdout)).toBeLessThanOrEqual(most);
      expect(stdout.split('\n').every((l) => [...l].length <= 100)).toBe(true);
      const head = headOf(stdout);
      expect(head[0]).toMatch(first);
      expect(stdout.replace(/\n$/, '').split('\n').slice(-head.length)).toEqual(head);
      // The server is not known (no Server header): one generic line per finding, and how to get the server's.
      const findings = stdout.split('\n').filter((l) => /^(CRITICAL|WARNING|UNKNOWN|NOTE) +[A-Z_]+: /.test(l));
      expect(findings.length).toBeGreaterThan(name === 'healthy' ? -1 : 0);
      const lines = stdout.split('\n');
      expect(lines.filter((l) => l.startsWith('         Fix: '))).toHaveLength(findings.length);
      // At most two lines of fix: the indented lines right after "Fix:" continue it; a finding starts unindented.
      lines.forEach((l, i) => {
        if (!l.startsWith('         Fix: ')) return;
        const continued = lines.slice(i + 1).findIndex((next) => !next.startsWith(' '.repeat(9)));
        expect(continued).toBeLessThanOrEqual(1);
      });
      expect(stdout).not.toMatch(/^ +(nginx|Apache|HAProxy|Caddy): /m);
    });
  }

  it('the healthy server: no problems, and the handshakes, certificate, issuer, live answer and staple in one frame', async () => {
    const { stdout, code } = await probeServer('good', ['--ca-file', caFile]);
    expect(code).toBe(0);
    expect(stdout).toContain('\nNo problems found.\n');
    expect(stdout).toMatch(/│ 127\.0\.0\.1 +│ TLS 1\.2 ×3 stapled · TLS 1\.3 ×3 stapled +│/);
    expect(stdout).toMatch(/│ certificate +│ CN=localhost · serial 1001 +│/);
    expect(stdout).toMatch(/│ issuer +│ O=staple-probe,CN=Staple Probe Test Intermediate \(from the served chain\) +│/);
    expect(stdout).toMatch(new RegExp(`│ live answer +│ good · nextUpdate in 7\\.0d · GET ${responder.url} · \\d+ ms +│`));
    expect(stdout).toMatch(/│ staple [0-9a-f]{8} +│ good · serial 1001 · thisUpdate 60m ago · nextUpdate in 7\.0d · \d+ bytes +│/);
    // A frame without a line between its rows.
    expect(stdout).not.toContain('├');
  });

  it('an unknown server: one generic fix line and how to get the directives; --server nginx: the nginx fix only', async () => {
    const unknown = (await probeServer(null, ['--ca-file', caFile])).stdout;
    expect(unknown).toContain(
      [
        '',
        "WARNING  STAPLE_MISSING: the server sent no OCSP staple in any handshake; the CA's responder",
        '         answers, so the server could fetch one',
        '         Fix: The server sent no OCSP response in any handshake, so every client must ask the CA…',
        'Fixes per server: --server nginx|apache|haproxy|caddy|…, or docs/findings.md#staple_missing',
        '',
      ].join('\n'),
    );
    const nginx = (await probeServer(null, ['--ca-file', caFile, '--server', 'nginx'])).stdout;
    // The directive first, without the asides, in at most three lines.
    expect(nginx).toContain(
      [
        '         nginx: Set `ssl_stapling on;` and `ssl_stapling_verify on;`, give `ssl_trusted_certificate`',
        '         the intermediate and root, and make sure the responder host name resolves when nginx loads',
        '         its configuration.',
        '',
      ].join('\n'),
    );
    expect(nginx).not.toMatch(/Fix: |Fixes per server|Apache|HAProxy|Caddy/);
    expect(nginx).toMatch(/│ server +│ nginx \(from --server\) +│/);
  });

  it('an expired staple that is also stale: the shared fix is printed once', async () => {
    const { stdout } = await probeServer('expired', ['--ca-file', caFile, '--server', 'nginx']);
    expect(stdout).toMatch(/^CRITICAL STAPLE_EXPIRED: /m);
    expect(stdout).toMatch(/^WARNING {2}COMPARE_STAPLE_STALE: /m);
    expect(stdout.match(/nginx never refreshes/g)).toHaveLength(1);
    expect(stdout).toContain('         nginx: as above\n');
  });

  it("--verbose: today's long layout, with each staple's CertID as openssl s_client -status prints it", async () => {
    const { stdout } = await probeServer('good', ['--ca-file', caFile, '--verbose']);
    const json = JSON.parse((await probeServer('good', ['--ca-file', caFile, '--json'])).stdout);
    const certId = json.staples[0].decoded.basic.responses[0].certId;
    expect(certId.issuerNameHash).toMatch(/^[0-9a-f]{40}$/);
    for (const [field, value] of [
      ['hashAlgorithm', 'sha1'],
      ['issuerNameHash', certId.issuerNameHash],
      ['issuerKeyHash', certId.issuerKeyHash],
      ['serialNumber', '1001'],
    ])
      expect(stdout).toMatch(new RegExp(`│ ${field} +│ ${value} +│`));
    expect(stdout).toContain('Handshakes with 127.0.0.1');
    expect(stdout).toContain(`Live answer from ${responder.url}`);
    expect(stdout.split('\n')[0]).toBe('OCSP stapling OK');
    expect(stdout.replace(/\n$/, '').split('\n').at(-1)).toBe('OCSP stapling OK');
    expect(screenLines(stdout)).toBeGreaterThan(50);
  });
});
