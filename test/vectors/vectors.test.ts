/**
 * Third-party OCSP vectors (OpenSSL, pyca/cryptography, Go), table-driven over ../shared/vectors/MANIFEST.json.
 *
 * 1. every response decodes to exactly the facts the manifest records (or is rejected, for `parseExpect: error`);
 * 2. every upstream verification (`verify` / `verifyCases`) gets the right valid/invalid judgement, with the
 *    specific finding codes that RFC 6960 reasoning calls for;
 * 3. the CertID hashes of every certificate agree with ours.
 *
 * Only the certificates the manifest names are used: no system trust store, no network.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError, type DecodedResponse, type Finding, type FindingCode, inspect, readCertificates } from '@staple-probe/core';
import { matchCertId } from '../../packages/probe-core/src/core/cert-id.js';
// The internal decoder: these checks read the raw shapes (certID bytes, embedded certificates) behind the public view.
import { decodeOcspResponse } from '../../packages/probe-core/src/core/decode.js';
import { parseCertificate } from '../../packages/probe-core/src/core/certificate.js';

const VECTORS = new URL('../../../shared/vectors/', import.meta.url);

// --- manifest shapes (only the fields used here) ---

interface ExtensionFact {
  readonly oid: string;
  readonly critical: boolean;
}

interface SingleResponseFact {
  readonly serial: string;
  readonly hashAlgorithmOid: string;
  readonly issuerNameHash: string;
  readonly issuerKeyHash: string;
  readonly certStatus: 'good' | 'revoked' | 'unknown';
  readonly revocationTime: string | null;
  readonly revocationReason: string | null;
  readonly thisUpdate: string;
  readonly nextUpdate: string | null;
  readonly singleExtensions: readonly ExtensionFact[];
  readonly issuerCertMatches: readonly string[];
}

interface VerifyCase {
  readonly issuer: string;
  readonly trustAnchor: string;
  readonly extraCerts: readonly string[];
  readonly at: string;
  readonly expect: 'valid' | 'invalid';
  readonly why: string;
  readonly upstreamTestGroup?: string;
}

interface ResponseEntry {
  readonly kind: 'ocsp-response';
  readonly file: string;
  readonly encoding: string;
  readonly responseStatus: string;
  readonly responseStatusCode: number;
  readonly responseType: string | null;
  readonly producedAt: string | null;
  readonly responderId: { readonly byName: string } | { readonly byKeyHash: string } | null;
  readonly signatureAlgorithmOid: string | null;
  readonly embeddedCerts: number | null;
  readonly embeddedCertSubjects?: readonly string[];
  readonly responderIdMatches?: readonly string[];
  readonly singleResponses: readonly SingleResponseFact[];
  readonly extensions: readonly ExtensionFact[];
  readonly verify: VerifyCase | null;
  readonly verifyCases?: readonly VerifyCase[];
  readonly parseExpect: 'ok' | 'error';
}

interface CertFacts {
  readonly serial: string;
  readonly sha1IssuerNameHash: string;
  readonly sha1IssuerKeyHash: string;
  readonly sha256IssuerNameHash: string;
  readonly sha256IssuerKeyHash: string;
}

interface CertificateEntry extends CertFacts {
  readonly kind: 'certificate';
  readonly file: string;
  readonly certCount: number;
  readonly bundle?: readonly CertFacts[];
}

type Entry = ResponseEntry | CertificateEntry | { readonly kind: 'ocsp-request'; readonly file: string };

const manifest = JSON.parse(readFileSync(new URL('MANIFEST.json', VECTORS), 'utf8')) as Entry[];
const responses = manifest.filter((e): e is ResponseEntry => e.kind === 'ocsp-response');
const certificates = manifest.filter((e): e is CertificateEntry => e.kind === 'certificate');

// --- loading ---

/** The response bytes: openssl `.ors` files are base64 text of the DER, everything else is raw DER. */
function responseBytes(entry: ResponseEntry): Uint8Array {
  const raw = readFileSync(new URL(entry.file, VECTORS));
  if (entry.encoding === 'base64(DER)') return new Uint8Array(Buffer.from(raw.toString('latin1'), 'base64'));
  return new Uint8Array(raw);
}

const certFiles = new Map<string, Uint8Array[]>();
function certsIn(file: string): Uint8Array[] {
  let certs = certFiles.get(file);
  if (!certs) {
    certs = readCertificates(new Uint8Array(readFileSync(new URL(file, VECTORS))));
    certFiles.set(file, certs);
  }
  return certs;
}

/** DER of a certificate reference: `file` (its first certificate) or `file#i` (the i-th of a PEM bundle). */
function certDer(ref: string): Uint8Array {
  const [file = '', index = '0'] = ref.split('#');
  const der = certsIn(file)[Number(index)];
  if (!der) throw new Error(`no certificate ${ref}`);
  return der;
}

const hex = (alg: 'sha1' | 'sha256', data: Uint8Array): string => createHash(alg).update(data).digest('hex');
const instant = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/**
 * A distinguished name as a list of `type=value`, least significant RDN first, so that openssl's
 * one-line form (`C = AU, ST = NSW, ..., CN = x`) and RFC 4514 (`CN=x,...,C=AU`) compare equal.
 */
function opensslNameParts(name: string): string[] {
  return name
    .split(/, (?=[A-Za-z0-9.]+ = )/)
    .map((rdn) => rdn.replace(/^([A-Za-z0-9.]+) = /, '$1='))
    .reverse();
}
function rfc4514NameParts(name: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '\\' && i + 1 < name.length) {
      current += name[++i];
    } else if (ch === ',') {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/**
 * A name as RFC 4514 parts, for comparing with openssl's RFC 2253 print. RFC 4514 §2.3 lets an attribute
 * type without a registered short name be written as a dotted OID (openssl knows more short names, such
 * as `description`), so a dotted OID on our side stands for whatever type openssl named at that position.
 */
function nameAgainst(got: string, want: string): string[] {
  const wantParts = rfc4514NameParts(want);
  return rfc4514NameParts(got).map((part, i) => {
    const wantType = wantParts[i]?.split('=')[0];
    return wantType !== undefined && /^\d+(?:\.\d+)+=/.test(part) ? part.replace(/^[^=]+=/, `${wantType}=`) : part;
  });
}

const codes = (findings: readonly Finding[]): FindingCode[] => findings.map((f) => f.code);
/** The findings that speak about who signed the response and whether it is for this issuer. */
const signerCodes = (findings: readonly Finding[]): string[] =>
  [...new Set(codes(findings).filter((c) => c.startsWith('SIGNER_') || c === 'STAPLE_CERTID_MISMATCH'))].sort();

// --- 1. decoding ---

/** How each `parseExpect: error` file must be rejected, from what the file is. */
const REJECTION: Record<string, { readonly decodeError: boolean; readonly finding: FindingCode }> = {
  // status successful(0) without responseBytes: not a valid OCSPResponse at all.
  'pyca/resp-successful-no-response-bytes.der': { decodeError: true, finding: 'STAPLE_MALFORMED' },
  // responseStatus 7 is not an OCSPResponseStatus value (RFC 6960 §4.2.1).
  'pyca/resp-unknown-response-status.der': { decodeError: true, finding: 'STAPLE_MALFORMED' },
  // well-formed, but responseType is not id-pkix-ocsp-basic.
  'pyca/resp-response-type-unknown-oid.der': { decodeError: false, finding: 'STAPLE_UNSUPPORTED_TYPE' },
  // well-formed, but the SingleResponse carries a nonce marked critical (RFC 5280 §4.2: must reject).
  'golang/ocspResponseWithCriticalExtensionHex.der': { decodeError: false, finding: 'STAPLE_UNKNOWN_CRITICAL_EXTENSION' },
};

function expectViewMatches(view: DecodedResponse, entry: ResponseEntry): void {
  expect(view.responseStatus).toBe(entry.responseStatus);
  expect(view.responseStatusCode).toBe(entry.responseStatusCode);
  expect(view.responseType).toBe(entry.responseType);
  if (entry.producedAt === null) {
    // No BasicOCSPResponse: an error status, or a response type that is not basic.
    expect(view.basic).toBeNull();
    expect(entry.singleResponses).toHaveLength(0);
    return;
  }
  const basic = view.basic;
  if (!basic) throw new Error('expected a BasicOCSPResponse');
  expect(instant(basic.producedAt)).toBe(instant(entry.producedAt));

  const rid = entry.responderId;
  if (rid && 'byKeyHash' in rid) {
    expect(basic.responderId).toEqual({ byKeyHash: rid.byKeyHash });
  } else if (rid && 'byName' in rid) {
    if (!('byName' in basic.responderId)) throw new Error(`expected ResponderID byName, got ${JSON.stringify(basic.responderId)}`);
    expect(rfc4514NameParts(basic.responderId.byName)).toEqual(opensslNameParts(rid.byName));
  } else throw new Error('manifest has producedAt but no responderId');

  expect(basic.signatureAlgorithm.oid).toBe(entry.signatureAlgorithmOid);
  expect(basic.certs).toHaveLength(entry.embeddedCerts ?? 0);
  if (entry.embeddedCertSubjects) {
    const want = entry.embeddedCertSubjects;
    expect(basic.certs.map((c, i) => nameAgainst(c.subject, want[i] ?? ''))).toEqual(want.map((w) => rfc4514NameParts(w)));
  }
  expect(basic.extensions.map((e) => ({ oid: e.oid, critical: e.critical }))).toEqual(entry.extensions);

  expect(basic.responses).toHaveLength(entry.singleResponses.length);
  entry.singleResponses.forEach((want, i) => {
    const got = basic.responses[i];
    if (!got) throw new Error(`missing SingleResponse ${i}`);
    expect({
      index: i,
      serial: got.certId.serial,
      hashAlgorithmOid: got.certId.hashAlgorithmOid,
      issuerNameHash: got.certId.issuerNameHash,
      issuerKeyHash: got.certId.issuerKeyHash,
      certStatus: got.certStatus,
      revocationTime: instant(got.revocationTime),
      revocationReason: got.revocationReason,
      thisUpdate: instant(got.thisUpdate),
      nextUpdate: instant(got.nextUpdate),
      singleExtensions: got.extensions.map((e) => ({ oid: e.oid, critical: e.critical })),
    }).toEqual({
      index: i,
      serial: want.serial,
      hashAlgorithmOid: want.hashAlgorithmOid,
      issuerNameHash: want.issuerNameHash,
      issuerKeyHash: want.issuerKeyHash,
      certStatus: want.certStatus,
      revocationTime: instant(want.revocationTime),
      revocationReason: want.revocationReason,
      thisUpdate: instant(want.thisUpdate),
      nextUpdate: instant(want.nextUpdate),
      singleExtensions: want.singleExtensions.map((e) => ({ oid: e.oid, critical: e.critical })),
    });
  });
}

describe('manifest', () => {
  it('lists 57 responses and 40 certificate files', () => {
    expect(responses).toHaveLength(57);
    expect(certificates).toHaveLength(40);
  });

  it('every parseExpect:error response has a stated rejection, and only those', () => {
    expect(
      responses
        .filter((e) => e.parseExpect === 'error')
        .map((e) => e.file)
        .sort(),
    ).toEqual(Object.keys(REJECTION).sort());
  });
});

describe('decode: parseExpect ok', () => {
  it.each(responses.filter((e) => e.parseExpect === 'ok').map((e) => [e.file, e] as const))('%s', (_file, entry) => {
    const parsed = decodeOcspResponse(responseBytes(entry));
    expect(parsed.trailingBytes).toBe(0);
    expectViewMatches(parsed.view, entry);
  });
});

describe('decode: parseExpect error is rejected', () => {
  it.each(responses.filter((e) => e.parseExpect === 'error').map((e) => [e.file, e] as const))('%s', async (file, entry) => {
    const rejection = REJECTION[file];
    if (!rejection) throw new Error(`no rejection stated for ${file}`);
    const bytes = responseBytes(entry);
    if (rejection.decodeError) {
      expect(() => decodeOcspResponse(bytes)).toThrow(DecodeError);
    } else {
      // It does decode, and faithfully; the judgement is what rejects it.
      expectViewMatches(decodeOcspResponse(bytes).view, entry);
    }
    const report = await inspect(bytes, { now: new Date(entry.producedAt ?? '2020-01-01T00:00:00Z'), file });
    const finding = report.findings.find((f) => f.code === rejection.finding);
    expect(codes(report.findings)).toContain(rejection.finding);
    expect(finding?.severity).toBe('critical');
    expect(report.verdict).toBe('critical');
    if (rejection.finding === 'STAPLE_UNKNOWN_CRITICAL_EXTENSION') {
      expect(finding?.args).toMatchObject({ oid: '1.3.6.1.5.5.7.48.1.2', scope: 'single' });
    }
  });
});

// --- 2. signature and authorization ---

/**
 * The exact SIGNER_* / STAPLE_CERTID_MISMATCH codes an invalid case must produce (RFC 6960 §4.2.2.2, §4.1.1):
 * - ISOP: the response signature is corrupted; the named signer is found but does not verify it.
 * - WRID: the ResponderID was altered inside tbsResponseData, so nobody is named AND no key verifies the
 *   altered data: not found (never a ResponderID mismatch, which needs some key to verify).
 * - WINH/WIKH: a CertID hash altered inside tbsResponseData: the CertID no longer matches the issuer and
 *   the signature breaks.
 * - ISDOSC: the delegated responder's certificate does not verify under the issuer's key.
 * - WKDOSC: the delegate certificate carries another key. With ResponderID byKey (D1, D2) it no longer
 *   matches the ResponderID, so no certificate names the signer and none verifies: not found (openssl:
 *   "signer certificate not found"). With byName (D3) it is still named, but its key does not verify the
 *   response, and the edited certificate no longer carries a valid issuer signature.
 * - WSNIC (issuer with another subject name): the CertID name hash does not match; for a delegate, the
 *   delegate's issuer is not this issuer (foreign). Non-delegated: the key is right, so only the CertID fails.
 * - WKIC (issuer with another key): the CertID key hash does not match; non-delegated, no available key
 *   signed it (not found); delegated, the issuer key does not verify the delegate certificate.
 */
function expectedSignerCodes(entry: ResponseEntry, c: VerifyCase): string[] {
  if (c.expect === 'valid') return [];
  const base = entry.file.replace(/^.*\//, '');
  const delegated = /(^|_)D\d\.ors$/.test(base);
  const byKey = entry.responderId !== null && 'byKeyHash' in entry.responderId;
  const group = c.upstreamTestGroup;
  const expected = (() => {
    switch (group) {
      case 'ISOP':
        return ['SIGNER_BAD_SIGNATURE'];
      case 'WRID':
        return ['SIGNER_NOT_FOUND'];
      case 'WINH':
      case 'WIKH':
        return ['SIGNER_BAD_SIGNATURE', 'STAPLE_CERTID_MISMATCH'];
      case 'ISDOSC':
        return ['SIGNER_DELEGATE_BAD_CERT_SIGNATURE'];
      case 'WKDOSC':
        return byKey ? ['SIGNER_NOT_FOUND'] : ['SIGNER_BAD_SIGNATURE', 'SIGNER_DELEGATE_BAD_CERT_SIGNATURE'];
      case 'WSNIC':
        return delegated ? ['SIGNER_DELEGATE_FOREIGN', 'STAPLE_CERTID_MISMATCH'] : ['STAPLE_CERTID_MISMATCH'];
      case 'WKIC':
        return delegated ? ['SIGNER_DELEGATE_BAD_CERT_SIGNATURE', 'STAPLE_CERTID_MISMATCH'] : ['SIGNER_NOT_FOUND', 'STAPLE_CERTID_MISMATCH'];
      default:
        throw new Error(`no expectation stated for invalid case ${entry.file} (${group ?? 'no group'})`);
    }
  })();
  return expected.sort();
}

const verifyRows = responses.flatMap((entry) => {
  const cases = entry.verifyCases ?? (entry.verify ? [entry.verify] : []);
  return cases.map((c) => [`${entry.file} with ${c.issuer}: ${c.expect} (${c.upstreamTestGroup ?? c.why})`, entry, c] as const);
});

describe('verify: signature and responder authorization', () => {
  it('covers every verify case (55 from 80-test_ocsp.t plus 3 cross checks)', () => {
    expect(verifyRows).toHaveLength(58);
  });

  it.each(verifyRows)('%s', async (_name, entry, c) => {
    const report = await inspect(responseBytes(entry), { issuer: certDer(c.issuer), now: new Date(c.at), file: entry.file });
    expect(report.staples[0]?.decoded).not.toBeNull();
    const got = signerCodes(report.findings);
    if (c.expect === 'valid') expect(got).toEqual([]);
    else expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(expectedSignerCodes(entry, c));
  });

  it('pyca/resp-invalid-signature-oid.der: md2WithRSA cannot be verified (with the responder the manifest names)', async () => {
    const entry = responses.find((e) => e.file === 'pyca/resp-invalid-signature-oid.der');
    const responder = entry?.responderIdMatches?.[0];
    if (!entry || !responder || entry.producedAt === null) throw new Error('manifest entry changed');
    const report = await inspect(responseBytes(entry), { issuer: certDer(responder), now: new Date(entry.producedAt) });
    expect(signerCodes(report.findings)).toEqual(['SIGNER_UNSUPPORTED_ALGORITHM']);
  });
});

// --- 3. CertID hashes ---

const certRows = certificates.flatMap((entry) => (entry.bundle ?? [entry]).map((facts, i) => [`${entry.file}#${i}`, entry, facts, i] as const));

describe('certID hashes of every certificate', () => {
  it.each(certificates.map((e) => [e.file, e] as const))('%s holds certCount certificates', (file, entry) => {
    expect(certsIn(file)).toHaveLength(entry.certCount);
  });

  it.each(certRows)('%s', (_name, entry, facts, i) => {
    const cert = parseCertificate(certDer(`${entry.file}#${i}`));
    expect(cert.serial).toBe(facts.serial);
    expect({
      sha1IssuerNameHash: hex('sha1', cert.subjectDer),
      sha1IssuerKeyHash: hex('sha1', cert.publicKey),
      sha256IssuerNameHash: hex('sha256', cert.subjectDer),
      sha256IssuerKeyHash: hex('sha256', cert.publicKey),
    }).toEqual({
      sha1IssuerNameHash: facts.sha1IssuerNameHash,
      sha1IssuerKeyHash: facts.sha1IssuerKeyHash,
      sha256IssuerNameHash: facts.sha256IssuerNameHash,
      sha256IssuerKeyHash: facts.sha256IssuerKeyHash,
    });
  });

  // The same through the code path judgement uses: each issuer the manifest matches to a CertID matches it.
  const matchRows = responses
    .filter((e) => e.parseExpect === 'ok')
    .flatMap((entry) =>
      entry.singleResponses.flatMap((single, index) =>
        single.issuerCertMatches.map((ref) => [`${entry.file} response ${index} ~ ${ref}`, entry, index, ref] as const),
      ),
    );

  it.each(matchRows)('%s', (_name, entry, index, ref) => {
    const certId = decodeOcspResponse(responseBytes(entry)).basic?.responses[index]?.certId;
    if (!certId) throw new Error('no CertID');
    expect(matchCertId(certId, { leaf: null, issuer: parseCertificate(certDer(ref)) })).toEqual({ match: 'partial', unchecked: ['serial'] });
  });
});

/** Does `needle` occur, byte for byte, inside `haystack`? */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength)) >= 0;
}

describe('bytes exactly as encoded', () => {
  it('the subject and issuer Names of every certificate are its own bytes (what issuerNameHash hashes), equal to their re-encoding', () => {
    let checked = 0;
    for (const entry of certificates) {
      for (const der of certsIn(entry.file)) {
        const cert = parseCertificate(der);
        expect(contains(der, cert.subjectDer), entry.file).toBe(true);
        expect(contains(der, cert.issuerDer), entry.file).toBe(true);
        const decoded = asn1js.fromBER(Uint8Array.from(der).buffer);
        const pk = new pkijs.Certificate({ schema: decoded.result });
        expect(Buffer.from(cert.subjectDer).equals(Buffer.from(pk.subject.toSchema().toBER())), entry.file).toBe(true);
        expect(Buffer.from(cert.issuerDer).equals(Buffer.from(pk.issuer.toSchema().toBER())), entry.file).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(40);
  });

  it("every embedded certificate is the responder's own bytes, and one sent in several responses is parsed once", () => {
    const bySha = new Map<string, unknown>();
    let embedded = 0;
    let shared = 0;
    for (const entry of responses.filter((e) => e.parseExpect === 'ok' && (e.embeddedCerts ?? 0) > 0)) {
      const bytes = responseBytes(entry);
      const certs = decodeOcspResponse(bytes).basic?.certs ?? [];
      expect(certs.filter((c) => c !== null)).toHaveLength(entry.embeddedCerts ?? 0);
      for (const cert of certs) {
        if (!cert) continue;
        embedded++;
        expect(contains(bytes, cert.der), entry.file).toBe(true);
        const seen = bySha.get(cert.sha256);
        if (seen) {
          shared++;
          expect(seen, entry.file).toBe(cert);
        } else bySha.set(cert.sha256, cert);
      }
    }
    expect(embedded).toBeGreaterThan(10);
    expect(shared).toBeGreaterThan(0);
  });
});
