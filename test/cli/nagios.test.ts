/** `--format nagios`: one Monitoring Plugins status line, rendered from reports that `assess` judged at a fixed instant. */
import { fileURLToPath } from 'node:url';
import { assess, inspect, mergeReports, type ProbeEvidence, type Report } from '@staple-probe/core';
import { buildCrl, createPki, issue, makeStaple, type TestPki } from '@staple-probe/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../packages/probe-cli/src/exit-code.js';
import { type NagiosThresholds, renderNagios } from '../../packages/probe-cli/src/render/nagios.js';
import { headline } from '../../packages/probe-cli/src/render/table.js';
import { probeRegistry } from '../../packages/probe-cli/src/serve/metrics.js';
import { CRL_URL, evidence, repoFile } from '../helpers.js';
import { runCli } from './run.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const THRESHOLDS = { warnSeconds: 172800, critSeconds: 0 };

let pki: TestPki;
let good: Uint8Array;

beforeAll(async () => {
  pki = await createPki({ notBefore: new Date('2026-01-01T00:00:00Z') });
  good = await makeStaple(pki, 'good', { now: NOW });
});

const chain = () => ({ leaf: pki.leafRsa, chain: [pki.intermediate] });
const judge = (ev: ProbeEvidence): Promise<Report> => assess(ev, { now: NOW });
const nagios = (report: Report, thresholds: NagiosThresholds = THRESHOLDS) => renderNagios(report, thresholds);

/** A range of the threshold format: `[@][start:][end]`, start may be `~`. */
const RANGE = String.raw`@?(?:(?:~|-?\d+(?:\.\d+)?):)?(?:-?\d+(?:\.\d+)?)?`;
const NUMBER = String.raw`-?\d+(?:\.\d+)?`;
const PERF_ITEM = String.raw`(?:'(?:[^']|'')+'|[^\s'=]+)=(?:${NUMBER}|U)(?:s|ms|us|%|B|KB|MB|GB|TB|c)?(?:;${RANGE}(?:;${RANGE}(?:;(?:${NUMBER})?(?:;(?:${NUMBER})?)?)?)?)?`;
/** The guidelines' first line: status word, a summary without `|`, then space-separated perfdata. */
const GRAMMAR = new RegExp(String.raw`^OCSP STAPLING (?:OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+ \| ${PERF_ITEM}(?: ${PERF_ITEM})*\n$`);

describe('renderNagios', () => {
  it('ok: staple good, with time left and exact perfdata', async () => {
    const report = await judge(
      evidence(
        [
          { v: '1.2', staple: good },
          { v: '1.3', staple: good },
        ],
        chain(),
      ),
    );
    // thisUpdate = NOW - 1h, nextUpdate = thisUpdate + 7d: 601200 s left (6.96d, said rounded down), 3600 s old.
    expect(nagios(report)).toBe(
      'OCSP STAPLING OK - staple good, 6.9d until nextUpdate | staple_remaining=601200s;151200:;0:;; staple_age=3600s;;;0; findings=0;;;0; handshakes=2;;;0; stapled=2;;;0; time=0.002s;;;0;\n',
    );
    expect(exitCodeOf(report.verdict)).toBe(0);
  });

  it('warn: an expiring staple, with the thresholds taken from the arguments', async () => {
    const expiring = await makeStaple(pki, 'expiring', { now: NOW });
    const report = await judge(evidence([{ v: '1.2', staple: expiring }], chain()));
    // thisUpdate = NOW - 6d, nextUpdate = NOW + 1d.
    expect(nagios(report)).toBe(
      'OCSP STAPLING WARNING - only 24.0h left before nextUpdate 2026-03-02T12:00:00.000Z (warning below 42.0h) | staple_remaining=86400s;151200:;0:;; staple_age=518400s;;;0; findings=1;;;0; handshakes=1;;;0; stapled=1;;;0; time=0.001s;;;0;\n',
    );
    // The warning threshold is the one the staple was judged with: at most a quarter of its 7-day validity (42h).
    expect(nagios(report, { warnSeconds: 259200, critSeconds: 3600 })).toContain(' | staple_remaining=86400s;151200:;3600:;; ');
    expect(nagios(report, { warnSeconds: 86400, critSeconds: 3600 })).toContain(' | staple_remaining=86400s;86400:;3600:;; ');
    expect(exitCodeOf(report.verdict)).toBe(1);
  });

  it('critical: a revoked staple', async () => {
    const revoked = await makeStaple(pki, 'revoked', { now: NOW });
    const report = await judge(evidence([{ v: '1.2', staple: revoked }], chain()));
    expect(nagios(report)).toBe(
      'OCSP STAPLING CRITICAL - certificate serial 1001 is REVOKED since 2026-02-26T12:00:00.000Z, reason keyCompromise | staple_remaining=601200s;151200:;0:;; staple_age=3600s;;;0; findings=1;;;0; handshakes=1;;;0; stapled=1;;;0; time=0.001s;;;0;\n',
    );
    expect(exitCodeOf(report.verdict)).toBe(2);
  });

  it('unknown: connection refused, no staple metrics', async () => {
    const report = await judge(evidence([{ v: '1.2', fail: 'refused' }], chain()));
    expect(nagios(report)).toBe(
      'OCSP STAPLING UNKNOWN - connection failed: simulated refused | findings=1;;;0; handshakes=1;;;0; stapled=0;;;0; time=0.001s;;;0;\n',
    );
    expect(exitCodeOf(report.verdict)).toBe(3);
  });

  it('no staple: warning; with an untrusted chain too, each subject with its verdict, the one --scope follows first', async () => {
    const report = await judge(
      evidence(
        [
          { v: '1.2', staple: null },
          { v: '1.3', staple: null },
        ],
        chain(),
      ),
    );
    expect(nagios(report)).toBe(
      'OCSP STAPLING WARNING - the server sent no OCSP staple in any handshake | findings=1;;;0; handshakes=2;;;0; stapled=0;;;0; time=0.002s;;;0;\n',
    );
    const more = await judge(evidence([{ v: '1.2', staple: null }], { ...chain(), authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' }));
    expect(nagios(more)).toBe(
      'OCSP STAPLING CRITICAL - certificate chain CRITICAL: the served chain does not validate: SELF_SIGNED_CERT_IN_CHAIN; OCSP stapling WARNING: the server sent no OCSP staple in any handshake | findings=2;;;0; handshakes=1;;;0; stapled=0;;;0; time=0.001s;;;0;\n',
    );
    expect(nagios(more, { ...THRESHOLDS, scope: 'stapling' })).toBe(
      'OCSP STAPLING WARNING - OCSP stapling WARNING: the server sent no OCSP staple in any handshake; certificate chain CRITICAL: the served chain does not validate: SELF_SIGNED_CERT_IN_CHAIN | findings=2;;;0; handshakes=1;;;0; stapled=0;;;0; time=0.001s;;;0;\n',
    );
    expect(headline(more)).toBe('certificate chain CRITICAL · OCSP stapling WARNING');
    // Two problems of one subject: "(+N more)" counts the others.
    const two = await judge(
      evidence([{ v: '1.2', staple: null }], { ...chain(), authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN', nameError: 'Host: elsewhere' }),
    );
    expect(nagios(two)).toMatch(
      /^OCSP STAPLING CRITICAL - certificate chain CRITICAL: the served chain does not validate: SELF_SIGNED_CERT_IN_CHAIN \(\+1 more\); OCSP stapling WARNING: /,
    );
  });

  it('no OCSP URL: OK, no staple expected', async () => {
    const report = await judge(evidence([{ v: '1.2', staple: null }], { leaf: pki.leafNoOcsp, chain: [pki.intermediate] }));
    expect(nagios(report)).toBe('OCSP STAPLING OK - no staple expected (no OCSP URL) | findings=0;;;0; handshakes=1;;;0; stapled=0;;;0; time=0.001s;;;0;\n');
  });

  it('several targets: verdicts counted in the summary, perfdata from the first target', async () => {
    const ok = await judge(evidence([{ v: '1.2', staple: good }], chain()));
    const refusedEvidence = evidence(
      [
        { v: '1.2', fail: 'refused' },
        { v: '1.2', fail: 'refused' },
      ],
      chain(),
    );
    const other = { input: 'other.test:443', host: 'other.test', port: 443, servername: 'other.test' };
    const refused = await judge({ ...refusedEvidence, target: other });
    const report = mergeReports([ok, refused], NOW.toISOString());
    expect(nagios(report)).toBe(
      'OCSP STAPLING UNKNOWN - 2 targets: 1 unknown, 1 ok; other.test:443: connection failed: simulated refused | staple_remaining=601200s;151200:;0:;; staple_age=3600s;;;0; findings=0;;;0; handshakes=1;;;0; stapled=1;;;0; time=0.001s;;;0;\n',
    );
    expect(nagios(mergeReports([ok, ok], NOW.toISOString()))).toMatch(
      /^OCSP STAPLING OK - 2 targets: 2 ok; staple\.test:443: staple good, 6\.9d until nextUpdate \| /,
    );
  });

  it('every line follows the guideline grammar and holds no newline but the last', async () => {
    const reports = await Promise.all([
      judge(evidence([{ v: '1.2', staple: good }], chain())),
      judge(evidence([{ v: '1.2', staple: await makeStaple(pki, 'expiring', { now: NOW }) }], chain())),
      judge(evidence([{ v: '1.2', staple: await makeStaple(pki, 'revoked', { now: NOW }) }], chain())),
      judge(evidence([{ v: '1.2', staple: await makeStaple(pki, 'expired', { now: NOW }) }], chain())),
      judge(evidence([{ v: '1.2', staple: await makeStaple(pki, 'malformed', { now: NOW }) }], chain())),
      judge(evidence([{ v: '1.2', fail: 'refused' }], chain())),
      judge(evidence([], { ...chain(), resolveFailed: true })),
      judge(evidence([{ v: '1.2', staple: null }], chain())),
    ]);
    for (const report of reports) {
      const line = nagios(report);
      expect(line).toMatch(GRAMMAR);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(line.split('|')).toHaveLength(2);
    }
    // The pattern itself rejects what the guidelines forbid.
    expect('OCSP STAPLING OK - a|b | findings=0;;;0;\n').not.toMatch(GRAMMAR);
    expect('OCSP STAPLING OK - a\nb | findings=0;;;0;\n').not.toMatch(GRAMMAR);
    expect('OCSP STAPLING OK - a | findings=0;;;0;').not.toMatch(GRAMMAR);
    expect('OCSP STAPLING OK - a | findings=1e3;;;0;\n').not.toMatch(GRAMMAR);
  });

  it('probe inspect FILE --format nagios: one line for the inspected response, with its exit code', async () => {
    const fixture = (name: string) => fileURLToPath(repoFile(`fixtures/${name}`));
    const args = (name: string, ...more: string[]) => [
      'inspect',
      fixture(`ocsp/${name}.der`),
      '--issuer',
      fixture('pki/intermediate.pem'),
      '--cert',
      fixture('pki/leaf-rsa.pem'),
      '--at',
      '2026-01-15T12:00:00Z',
      '--format',
      'nagios',
      ...more,
    ];
    const good = await runCli(args('good'));
    expect([good.code, good.stderr]).toEqual([0, '']);
    expect(good.stdout).toMatch(
      /^OCSP STAPLING OK - staple good, 6\.9d until nextUpdate \| staple_remaining=601200s;151200:;0:;; staple_age=3600s;;;0; findings=0;;;0;\n$/,
    );
    const expired = await runCli(args('expired', '-w', '3', '-c', '1'));
    expect(expired.code).toBe(2);
    expect(expired.stdout).toBe(
      'OCSP STAPLING CRITICAL - the staple expired 3.0d ago (nextUpdate 2026-01-12T12:00:00.000Z) | staple_remaining=-259200s;151200:;86400:;; staple_age=864000s;;;0; findings=1;;;0;\n',
    );
    const expiring = await runCli(args('expiring'));
    expect([expiring.code, expiring.stdout.slice(0, 22)]).toEqual([1, 'OCSP STAPLING WARNING ']);
    for (const r of [good, expired, expiring]) expect(r.stdout).toMatch(GRAMMAR);
  });

  it('inspect: the inspected response is the staple; no handshake metrics', async () => {
    const report = await inspect(good, { now: NOW, cert: pki.leafRsa.der, issuer: pki.intermediate.der });
    expect(nagios(report)).toBe(
      'OCSP STAPLING OK - staple good, 6.9d until nextUpdate | staple_remaining=601200s;151200:;0:;; staple_age=3600s;;;0; findings=0;;;0;\n',
    );
  });

  it('two certificates: each one named with its state, and staple_remaining per key type', async () => {
    const goodEcdsa = await makeStaple(pki, 'good', { now: NOW, leaf: pki.leafEcdsa });
    const ecdsa = (staple: Uint8Array | null, v: '1.2' | '1.3' = '1.2') => ({ v, offer: 'ecdsa' as const, staple, leaf: pki.leafEcdsa });
    const one = await judge(evidence([{ v: '1.2', staple: good }, { v: '1.3', staple: good }, ecdsa(null), ecdsa(null, '1.3')], chain()));
    expect(nagios(one)).toBe(
      'OCSP STAPLING WARNING - RSA certificate 1001: staple good, 6.9d until nextUpdate; ECDSA certificate 1002: no OCSP staple | staple_remaining=601200s;151200:;0:;; staple_age=3600s;;;0; findings=2;;;0; handshakes=4;;;0; stapled=2;;;0; time=0.004s;;;0; staple_remaining_rsa=601200s;151200:;0:;;\n',
    );
    const both = await judge(evidence([{ v: '1.2', staple: good }, ecdsa(goodEcdsa)], chain()));
    expect(nagios(both)).toBe(
      'OCSP STAPLING OK - RSA certificate 1001: staple good, 6.9d until nextUpdate; ECDSA certificate 1002: staple good, 6.9d until nextUpdate | staple_remaining=601200s;151200:;0:;; staple_age=3600s;;;0; findings=0;;;0; handshakes=2;;;0; stapled=2;;;0; time=0.002s;;;0; staple_remaining_rsa=601200s;151200:;0:;; staple_remaining_ecdsa=601200s;151200:;0:;;\n',
    );
    expect(nagios(both)).toMatch(GRAMMAR);
  });

  it('an offer the server refused is not counted among the handshakes (it has no certificate of that kind)', async () => {
    const report = await judge(
      evidence(
        [
          { v: '1.2', staple: good },
          { v: '1.2', offer: 'rsa', staple: good },
          { v: '1.2', offer: 'ecdsa', fail: 'handshake' },
        ],
        chain(),
      ),
    );
    // One certificate: the summary and perfdata of before the offers, but for the RSA offer's handshake.
    expect(nagios(report)).toBe(
      'OCSP STAPLING OK - staple good, 6.9d until nextUpdate | staple_remaining=601200s;151200:;0:;; staple_age=3600s;;;0; findings=0;;;0; handshakes=2;;;0; stapled=2;;;0; time=0.003s;;;0;\n',
    );
  });

  it("a message holding '|' or a line break is sanitized in the summary", async () => {
    const report = await judge(
      evidence([{ v: '1.2', staple: good }], { ...chain(), nameError: "Host: staple.test. is not in the cert's altnames|DNS:other.test\nsecond line" }),
    );
    const line = nagios(report);
    expect(line).toBe(
      "OCSP STAPLING CRITICAL - certificate CRITICAL: the certificate does not match staple.test: Host: staple.test. is not in the cert's altnames/DNS:other.test second line; OCSP stapling OK: staple good, 6.9d until nextUpdate | staple_remaining=601200s;151200:;0:;; staple_age=3600s;;;0; findings=1;;;0; handshakes=1;;;0; stapled=1;;;0; time=0.001s;;;0;\n",
    );
    expect(line).toMatch(GRAMMAR);
  });
});

describe('revocation by CRL in the headline and the Nagios line (issue #22)', () => {
  it('a certificate without an OCSP URL: "not applicable · revocation by CRL: ok, not listed, next update in …"; listed: critical', async () => {
    const leaf = await issue({
      issuer: pki.intermediate,
      subject: 'CN=crl only',
      serial: '2b01',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
      crlUrls: [CRL_URL],
    });
    const spec = { issuer: pki.intermediate, thisUpdate: new Date(NOW.getTime() - 86_400_000), nextUpdate: new Date(NOW.getTime() + 5 * 86_400_000) };
    const clean = await judge(evidence([{ v: '1.2', staple: null }], { leaf, chain: [pki.intermediate], crls: [{ body: await buildCrl(spec) }] }));
    expect(headline(clean)).toBe('OCSP stapling: not applicable · revocation by CRL: ok, not listed, next update in 5.0d');
    expect(nagios(clean)).toMatch(/^OCSP STAPLING OK - no staple expected \(no OCSP URL\); revocation by CRL: ok, not listed, next update in 5\.0d \|/);
    expect(nagios(clean)).toMatch(GRAMMAR);
    const listed = await judge(
      evidence([{ v: '1.2', staple: null }], {
        leaf,
        chain: [pki.intermediate],
        crls: [{ body: await buildCrl({ ...spec, entries: [{ serial: '2b01', revocationDate: new Date('2026-02-01T00:00:00Z'), reason: 'keyCompromise' }] }) }],
      }),
    );
    expect(headline(listed)).toBe('revocation by CRL CRITICAL · OCSP stapling: not applicable');
    expect(nagios(listed)).toMatch(
      /^OCSP STAPLING CRITICAL - revocation by CRL CRITICAL: the CRL at .* lists serial 2b01 as REVOKED since .*; OCSP stapling: not applicable \(no OCSP URL\) \|/,
    );
    expect(exitCodeOf(listed.verdict)).toBe(2);
  });
});

describe("the exporter's CRL series (issue #22)", () => {
  it('per CRL of each certificate: revoked 0 or 1, nextUpdate, size, download time; none when the CRL cannot be trusted', async () => {
    const leaf = await issue({
      issuer: pki.intermediate,
      subject: 'CN=crl metrics',
      serial: '2b02',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
      crlUrls: [CRL_URL],
    });
    const spec = { issuer: pki.intermediate, thisUpdate: new Date(NOW.getTime() - 86_400_000), nextUpdate: new Date('2026-03-06T12:00:00Z') };
    const metricsOf = async (crl: Uint8Array) => {
      const report = await judge(evidence([{ v: '1.2', staple: null }], { leaf, chain: [pki.intermediate], crls: [{ body: crl }] }));
      const text = await probeRegistry(report, 0.1).metrics();
      return text.split('\n').filter((l) => l.startsWith('staple_probe_crl_'));
    };
    const clean = await buildCrl(spec);
    const labels = `{url="${CRL_URL}",key_type="RSA"}`;
    expect(await metricsOf(clean)).toEqual([
      `staple_probe_crl_revoked${labels} 0`,
      `staple_probe_crl_next_update_timestamp_seconds${labels} ${Date.parse('2026-03-06T12:00:00Z') / 1000}`,
      `staple_probe_crl_size_bytes${labels} ${clean.byteLength}`,
      `staple_probe_crl_fetch_duration_seconds${labels} 0.001`,
    ]);
    const listed = await metricsOf(await buildCrl({ ...spec, entries: [{ serial: '2b02', revocationDate: new Date('2026-02-01T00:00:00Z') }] }));
    expect(listed[0]).toBe(`staple_probe_crl_revoked${labels} 1`);
    const forged = await metricsOf(await buildCrl({ ...spec, corruptSignature: true }));
    expect(forged.some((l) => l.startsWith('staple_probe_crl_revoked{'))).toBe(false);
  });
});
