/**
 * docs/findings.md quotes each code's message under **Example:** and, for the codes a fixture reproduces,
 * says how under **Offline:** (`fixtures/ocsp/X.der`, "with `--opt value`", "without `--opt`", or a whole
 * `probe inspect …` command). For every such section, this runs that `probe inspect` (by default
 * `--issuer fixtures/pki/intermediate.pem --cert fixtures/pki/leaf-rsa.pem --at 2026-01-15T12:00:00Z`) and
 * requires the code among its findings with one of the quoted examples as its message, so the quoted
 * messages and the Offline recipes cannot drift from what the CLI prints. Some codes only a probe of a server
 * gives are run here too, against TLS servers of the testing kit (the PROBED table).
 *
 * Every other code's quoted messages are rendered with `renderMessage` from the args its rule passes (the
 * RENDERED table, typed by `FindingArgs`): each rendered message must be quoted, and each quoted message (a
 * quote with a space that is not an option; `ok`, `producedAt`, `--issuer` are not) must be rendered by some
 * entry. A section a run checks that quotes more than one message (variants a run does not print) is in
 * RENDERED too, with every variant. Every catalogue code must be checked one way or the other.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki, makeStaple, type StaplingServerOptions, startStaplingServer, type TestPki } from '@staple-probe/core/testing';
import { FINDINGS, type FindingArgs, type FindingCode, renderMessage } from '@staple-probe/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run.js';
import { repoFile } from '../helpers.js';

const DOC = readFileSync(repoFile('docs/findings.md'), 'utf8');

/** A bullet of a section, `- **Name:** …` up to the next bullet or the end, its lines joined. */
function bullet(section: string, name: string): string | undefined {
  const text = new RegExp(`^- \\*\\*${name}:\\*\\*([\\s\\S]*?)(?=\\n- \\*\\*|\\n\\n|\\n*(?![\\s\\S]))`, 'm').exec(section)?.[1];
  return text?.replace(/\s*\n\s*/g, ' ').trim();
}

/** The backticked strings of a code's Example bullet. */
function quotedOf(code: string): string[] {
  const section = DOC.split(/\n## /).find((s) => s.startsWith(`${code}\n`)) ?? '';
  return [...(bullet(section, 'Example') ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
}

interface OfflineCase {
  readonly code: string;
  readonly args: readonly string[];
  readonly quoted: readonly string[];
}

/** The sections whose Offline line names a fixture, with the command it describes and the quoted examples. */
function offlineCases(markdown: string): OfflineCase[] {
  const out: OfflineCase[] = [];
  for (const section of markdown.split(/\n## /).slice(1)) {
    const code = section.slice(0, section.indexOf('\n'));
    if (!/^[A-Z][A-Z0-9_]*$/.test(code)) continue;
    // The first recipe only: "X; or Y with `--opt v`" gives the option to Y alone.
    const offline = (bullet(section, 'Offline') ?? '').split(/[;,] or /)[0] as string;
    const file = /`(?:probe inspect )?(fixtures\/ocsp\/[\w-]+\.der)/.exec(offline)?.[1];
    if (!file) continue;
    const options = new Map([
      ['--issuer', 'fixtures/pki/intermediate.pem'],
      ['--cert', 'fixtures/pki/leaf-rsa.pem'],
      ['--at', '2026-01-15T12:00:00Z'],
    ]);
    // A whole command gives its own --issuer and --cert.
    const command = /`probe inspect \S+((?: --[\w-]+ [^\s`]+)*)`/.exec(offline)?.[1];
    if (command !== undefined) {
      options.delete('--issuer');
      options.delete('--cert');
      for (const m of command.matchAll(/(--[\w-]+) (\S+)/g)) options.set(m[1] as string, m[2] as string);
    }
    for (const m of offline.matchAll(/without `(--[\w-]+)`/g)) options.delete(m[1] as string);
    for (const m of offline.matchAll(/with `(--[\w-]+) ([^`\s]+)`/g)) options.set(m[1] as string, m[2] as string);
    const quoted = [...(bullet(section, 'Example') ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    out.push({ code, args: ['inspect', file, ...[...options].flat(), '--json'], quoted });
  }
  return out;
}

async function messagesOf(args: readonly string[], code: string): Promise<string[]> {
  const { stdout, stderr } = await runCli([...args]);
  expect(stderr, `probe ${args.join(' ')}`).toBe('');
  const report = JSON.parse(stdout) as { findings: { code: string; message: string }[] };
  return report.findings.filter((f) => f.code === code).map((f) => f.message);
}

const CASES = offlineCases(DOC);

describe("docs/findings.md's Offline recipes and Example messages", () => {
  it('finds the sections with a fixture', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(CASES.map((c) => [c.code, c] as const))('%s', async (code, c) => {
    const messages = await messagesOf(c.args, code);
    expect(messages, `probe ${c.args.join(' ')} does not report ${code}`).not.toEqual([]);
    expect(
      messages.filter((m) => c.quoted.includes(m)),
      `no Example of ${code} is what probe ${c.args.join(' ')} prints: ${JSON.stringify(messages)}`,
    ).not.toEqual([]);
  });
});

/** Probe-only codes: the server that shows each, and the options beyond the shared ones. */
const PROBED: Record<string, { server: (pki: TestPki, good: Uint8Array) => StaplingServerOptions; args?: readonly string[]; target?: string }> = {
  STAPLE_MISSING: { server: (pki) => ({ cert: pki.leafRsa, chain: [pki.intermediate], staple: null }) },
  STAPLE_MISSING_MUST_STAPLE: { server: (pki) => ({ cert: pki.leafMustStaple, chain: [pki.intermediate], staple: null }) },
  STAPLE_LAZY: { server: (pki, good) => ({ cert: pki.leafRsa, chain: [pki.intermediate], staple: good, lazyHandshakes: 1 }), args: ['--tls', '1.2'] },
  STAPLE_LAZY_MUST_STAPLE: {
    server: (pki, good) => ({ cert: pki.leafMustStaple, chain: [pki.intermediate], staple: good, lazyHandshakes: 1 }),
    args: ['--tls', '1.2'],
  },
  STAPLE_INTERMITTENT: {
    server: (pki, good) => ({ cert: pki.leafRsa, chain: [pki.intermediate], staple: (n) => (n === 2 ? null : good) }),
    args: ['--tls', '1.2'],
  },
};

describe("docs/findings.md's Example messages of codes only a probe gives", () => {
  const dir = mkdtempSync(join(tmpdir(), 'staple-probe-findings-examples-'));
  let pki: TestPki;
  let rootFile: string;
  const goodFor = new Map<string, Uint8Array>();
  beforeAll(async () => {
    pki = await createPki();
    rootFile = join(dir, 'root.pem');
    writeFileSync(rootFile, pki.root.pem);
    goodFor.set('1001', await makeStaple(pki, 'good', { now: new Date() }));
    goodFor.set('1003', await makeStaple(pki, 'good', { now: new Date(), leaf: pki.leafMustStaple }));
  }, 30_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(PROBED))('%s', async (code) => {
    const recipe = PROBED[code];
    if (!recipe) throw new Error(code);
    const options = recipe.server(pki, goodFor.get(code.includes('MUST_STAPLE') ? '1003' : '1001') as Uint8Array);
    const server = await startStaplingServer(options);
    try {
      const args = [server.target, '--servername', 'localhost', '--ca-file', rootFile, '--no-live', '--no-crl', '--no-http'];
      const all = [...args, '--key-types', 'default', '--retry-delay', '0', ...(recipe.args ?? []), '--json'];
      const messages = await messagesOf(all, code);
      expect(messages, `probe ${all.join(' ')} does not report ${code}`).not.toEqual([]);
      expect(
        messages.filter((m) => quotedOf(code).includes(m)),
        `no Example of ${code} is what the probe prints: ${JSON.stringify(messages)}`,
      ).not.toEqual([]);
    } finally {
      await server.close();
    }
  });
});

const URL_OCSP = 'http://127.0.0.1:8080/ocsp';
const URL_CRL = 'http://crl.example.test/int.crl';
const INTERMEDIATE = 'O=staple-probe,CN=Staple Probe Test Intermediate';
const RESPONDER = 'O=staple-probe,CN=Staple Probe Test OCSP Responder';
const EXIM = 'mail.example.net ESMTP Exim 4.96';

/**
 * The codes no run above shows, and the message variants a run does not print (STAPLE_MISSING with a live
 * answer, SIGNER_NOT_CHECKED with `issuer-not-found`, …): for each, the args the rule that emits the code
 * passes in the situation its Example describes. Each is rendered with `renderMessage`.
 */
const RENDERED: { readonly [C in FindingCode]?: readonly FindingArgs[C][] } = {
  STAPLE_MISSING: [{ liveResponder: 'ok' }, { liveResponder: 'not-queried' }],
  STAPLE_MISSING_ON_VERSION: [{ tlsVersion: '1.3' }],
  STAPLE_UNSUPPORTED_TYPE: [{ responseType: '1.3.6.1.4.1.99999.1' }],
  STAPLE_UNKNOWN_CRITICAL_EXTENSION: [
    { oid: '1.3.6.1.4.1.99999.7', name: null, scope: 'response' },
    { oid: '1.3.6.1.5.5.7.48.1.7', name: 'ocspServiceLocator', scope: 'single' },
  ],
  STAPLE_CERTID_UNKNOWN_HASH: [{ hashAlgorithmOid: '2.16.840.1.101.3.4.2.8', hashAlgorithm: 'sha3-256', serial: '1001' }],
  STAPLE_EXPIRING: [
    { nextUpdate: '2026-01-16T12:00:00.000Z', remainingSeconds: 86_400, thresholdSeconds: 151_200 },
    { nextUpdate: '2026-01-22T11:00:00.000Z', remainingSeconds: -180, thresholdSeconds: 151_200 },
  ],
  SIGNER_NOT_CHECKED: [{ reason: 'no-issuer' }, { reason: 'issuer-not-found' }],
  SIGNER_UNSUPPORTED_ALGORITHM: [{ algorithm: 'md5WithRSAEncryption' }],
  SIGNER_RESPONDER_ID_MISMATCH: [{ signer: RESPONDER }],
  SIGNER_DELEGATE_BAD_CERT_SIGNATURE: [{ signer: RESPONDER }],
  SIGNER_DELEGATE_NOT_VALID: [
    { signer: RESPONDER, at: 'now', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2035-12-30T00:00:00.000Z' },
    { signer: RESPONDER, at: 'producedAt', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2035-12-30T00:00:00.000Z' },
  ],
  LIVE_UNREACHABLE: [{ url: URL_OCSP, message: 'connect ECONNREFUSED 127.0.0.1:8080' }],
  LIVE_TIMEOUT: [{ url: URL_OCSP, message: 'no complete answer within 10000 ms' }],
  LIVE_HTTP_ERROR: [{ url: URL_OCSP, status: 503 }],
  LIVE_NOT_OCSP: [{ url: URL_OCSP, contentType: 'text/html; charset=utf-8', length: 1423 }],
  LIVE_TOO_LARGE: [{ url: URL_OCSP, message: 'the body is 1048576 bytes, more than the 65536-byte limit' }],
  LIVE_REDIRECT_REFUSED: [{ url: URL_OCSP, message: `more than 3 redirects (last to ${URL_OCSP}/)` }],
  LIVE_REDIRECTED: [{ url: 'http://ocsp.example.test/', redirects: 1, finalUrl: 'http://ocsp2.example.test/' }],
  LIVE_MALFORMED: [
    {
      url: URL_OCSP,
      reason: 'OCSPResponse is not valid DER: End of input reached before message was fully decoded (inconsistent offset and length values)',
      length: 228,
    },
  ],
  LIVE_ERROR_STATUS: [{ url: URL_OCSP, status: 'unauthorized', statusCode: 6 }],
  // live.ts: the message of the finding the answer would get as a staple.
  LIVE_INVALID: [
    {
      url: URL_OCSP,
      problem: 'SIGNER_BAD_SIGNATURE',
      message: renderMessage({ code: 'SIGNER_BAD_SIGNATURE', args: { signer: INTERMEDIATE, algorithm: 'sha256WithRSAEncryption' } }),
    },
  ],
  LIVE_NONCE_MISMATCH: [{ url: URL_OCSP }],
  LIVE_REVOKED: [{ url: URL_OCSP, serial: '1001', revocationTime: '2026-01-12T12:00:00.000Z', revocationReason: 'keyCompromise' }],
  LIVE_STATUS_UNKNOWN: [{ url: URL_OCSP, serial: '1001' }],
  LIVE_NOT_QUERIED: [{ reason: 'no-issuer' }],
  COMPARE_STAPLE_GOOD_LIVE_REVOKED: [{ stapleThisUpdate: '2026-01-11T12:00:00.000Z', revocationTime: '2026-01-12T12:00:00.000Z' }],
  COMPARE_STATUS_DIFFERS: [{ staple: 'unknown', live: 'good' }],
  COMPARE_STAPLE_STALE: [{ stapleThisUpdate: '2026-01-10T12:00:00.000Z', liveThisUpdate: '2026-01-15T00:00:00.000Z', behindSeconds: 388_800 }],
  COMPARE_SIGNER_DIFFERS: [{ staple: RESPONDER, live: INTERMEDIATE }],
  COMPARE_ADDRESSES_DISAGREE: [
    { aspect: 'stapling', detail: '192.0.2.10 staples, 192.0.2.11 does not staple' },
    { aspect: 'certificate', detail: '192.0.2.10 serves serial 1001, 192.0.2.11 serves serial 1002' },
  ],
  COMPARE_CERTIFICATES_DISAGREE: [{ aspect: 'stapling', detail: 'RSA certificate 1001 staples, ECDSA certificate 1002 does not staple' }],
  CERT_NO_OCSP_URL: [{ crlUrls: 'http://127.0.0.1:8080/intermediate.crl' }],
  CERT_CHAIN_INCOMPLETE: [{ issuer: INTERMEDIATE, url: 'http://127.0.0.1:8080/intermediate.der' }],
  CERT_ISSUER_FETCH_FAILED: [{ url: 'http://ca.example/int.der', reason: 'the body is 52428800 bytes, more than the 65536-byte limit' }],
  CERT_UNTRUSTED: [{ error: 'SELF_SIGNED_CERT_IN_CHAIN' }],
  CERT_EXPIRED: [{ error: 'CERT_HAS_EXPIRED' }],
  CERT_NOT_YET_VALID: [{ error: 'CERT_NOT_YET_VALID' }],
  CERT_NAME_MISMATCH: [
    {
      servername: 'www.example.com',
      message: "Hostname/IP does not match certificate's altnames: Host: www.example.com. is not in the cert's altnames: DNS:other.example",
    },
  ],
  CERT_MUST_STAPLE: [{}],
  CERT_UNPARSEABLE: [{ role: 'chain', reason: "Object's schema was not verified against input data for Certificate" }],
  CRL_REVOKED: [{ url: URL_CRL, serial: '1001', revocationDate: '2026-01-10T00:00:00.000Z', reason: 'keyCompromise', invalidityDate: null }],
  CRL_NOT_LISTED: [{ url: URL_CRL, nextUpdate: '2026-03-08T00:00:00.000Z', entries: 1204 }],
  CRL_UNREACHABLE: [{ url: URL_CRL, message: 'getaddrinfo ENOTFOUND crl.example.test' }],
  CRL_TIMEOUT: [{ url: URL_CRL, message: 'no complete answer within 30000 ms' }],
  CRL_HTTP_ERROR: [{ url: URL_CRL, status: 404 }],
  CRL_TOO_LARGE: [{ url: URL_CRL, message: 'the body exceeds the 134217728-byte limit' }],
  // An HTML page where the CRL should be: readCrl finds neither DER nor PEM.
  CRL_NOT_A_CRL: [{ url: URL_CRL, reason: 'neither DER nor PEM: no SEQUENCE and no "-----BEGIN X509 CRL-----" line', length: 1532 }],
  CRL_ISSUER_MISMATCH: [{ url: URL_CRL, crlIssuer: 'CN=Other CA', certIssuer: 'CN=Intermediate' }],
  CRL_NOT_VERIFIED: [{ url: URL_CRL, reason: 'no-issuer' }],
  CRL_BAD_SIGNATURE: [{ url: URL_CRL, issuer: 'CN=Intermediate', algorithm: 'sha256WithRSAEncryption' }],
  CRL_UNSUPPORTED_ALGORITHM: [{ url: URL_CRL, algorithm: 'md5WithRSAEncryption' }],
  CRL_ISSUER_CANNOT_SIGN_CRLS: [{ url: URL_CRL, issuer: 'CN=Intermediate' }],
  // Key identifiers as crl-scope.ts writes them: the whole value in hex (20 bytes, a SHA-1 of the key).
  CRL_KEY_ID_MISMATCH: [{ url: URL_CRL, authorityKeyId: '0a0b6c1f9e2d47a85b3c1e0f9d8a7b6c5d4e3f21', subjectKeyId: '1c2d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c19' }],
  CRL_UNKNOWN_CRITICAL_EXTENSION: [{ url: URL_CRL, oid: '2.5.29.29', name: 'certificateIssuer', scope: 'entry' }],
  CRL_DELTA: [{ url: 'http://crl.example.test/delta.crl', baseCrlNumber: '41' }],
  CRL_INDIRECT: [{ url: URL_CRL }],
  CRL_WRONG_SCOPE: [{ url: 'http://crl.example.test/1.crl', reason: 'distribution-point', covers: 'http://crl.example.test/2.crl' }],
  CRL_PARTIAL_REASONS: [{ url: URL_CRL, reasons: 'keyCompromise,cACompromise' }],
  CRL_NOT_YET_VALID: [{ url: URL_CRL, thisUpdate: '2026-03-02T00:00:00.000Z', aheadSeconds: 43_200 }],
  CRL_EXPIRED: [{ url: URL_CRL, nextUpdate: '2026-02-27T00:00:00.000Z', agoSeconds: 216_000 }],
  CRL_EXPIRING_CRITICAL: [{ url: URL_CRL, nextUpdate: '2026-03-01T14:00:00.000Z', remainingSeconds: 7200, thresholdSeconds: 86_400 }],
  CRL_EXPIRING: [
    { url: URL_CRL, nextUpdate: '2026-03-02T12:00:00.000Z', remainingSeconds: 86_400, thresholdSeconds: 172_800 },
    { url: URL_CRL, nextUpdate: '2026-03-02T12:00:00.000Z', remainingSeconds: -180, thresholdSeconds: 172_800 },
  ],
  CRL_NO_NEXT_UPDATE: [{ url: URL_CRL, thisUpdate: '2026-03-01T00:00:00.000Z' }],
  CRL_NOT_FETCHED: [{ urls: 'ldap://ldap.example.test/cn=CRL' }],
  CRL_NOT_CHECKED: [{ urls: URL_CRL }],
  COMPARE_CRL_REVOKED: [{ source: 'staple', revocationDate: '2026-01-10T00:00:00.000Z', reason: 'keyCompromise' }],
  COMPARE_CRL_NOT_LISTED: [{ source: 'live', url: URL_CRL }],
  TLS_RESOLVE_FAILED: [{ message: 'nosuch.example: getaddrinfo ENOTFOUND nosuch.example' }],
  TLS_CONNECT_FAILED: [{ message: 'connect ECONNREFUSED 192.0.2.10:443' }],
  TLS_TIMEOUT: [{ message: 'no completed handshake within 10000 ms' }],
  TLS_HANDSHAKE_FAILED: [
    { message: '40E7B6F2C67F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:354:' },
  ],
  STARTTLS_NOT_OFFERED: [{ protocol: 'smtp', message: 'smtp: the server does not offer STARTTLS (not in its EHLO reply)', banner: EXIM }],
  STARTTLS_FAILED: [{ protocol: 'smtp', reason: 'refused', message: 'smtp: STARTTLS answered 454 4.7.0 TLS not available due to local problem', banner: EXIM }],
  TLS_VERSION_UNSUPPORTED: [{ tlsVersion: '1.3' }],
};

/**
 * An Example's backticked strings are messages, or names and values of args and options (`ok`, `at`,
 * `--issuer`): a message is one with a space in it that is not an option.
 */
const isMessage = (quoted: string) => quoted.includes(' ') && !quoted.startsWith('-');

const renderedOf = (code: FindingCode): string[] => (RENDERED[code] ?? []).map((args: FindingArgs[FindingCode]) => renderMessage({ code, args }));

describe("docs/findings.md's Example messages rendered from the args the rules pass", () => {
  it.each(Object.keys(RENDERED) as FindingCode[])('%s', (code) => {
    const quoted = quotedOf(code);
    const messages = renderedOf(code);
    expect(messages).not.toEqual([]);
    expect(
      messages.filter((m) => !quoted.includes(m)),
      `${code}'s Example does not quote these messages renderMessage prints`,
    ).toEqual([]);
    const unproduced = quoted.filter(isMessage).filter((q) => !messages.includes(q));
    expect(unproduced, `${code}'s Example quotes messages no args in RENDERED produce`).toEqual([]);
  });

  it('every code has a checked Example: a run above, or RENDERED', () => {
    const checked = new Set([...CASES.map((c) => c.code), ...Object.keys(PROBED), ...Object.keys(RENDERED)]);
    expect(
      Object.keys(FINDINGS).filter((code) => !checked.has(code)),
      'catalogue codes no test checks',
    ).toEqual([]);
    expect(
      [...checked].filter((code) => !(code in FINDINGS)),
      'checked codes outside the catalogue',
    ).toEqual([]);
  });

  it('a code only a run checks quotes one message, the one the run must print', () => {
    const runOnly = [...CASES.map((c) => c.code), ...Object.keys(PROBED)].filter((code) => !(code in RENDERED));
    expect(runOnly.filter((code) => quotedOf(code).filter(isMessage).length !== 1)).toEqual([]);
  });
});
