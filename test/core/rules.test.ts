/**
 * Every finding code, shown firing and shown not firing. The last test fails when a catalogue code has
 * no row here, so a new rule cannot land without both halves.
 */
import { assess, FINDINGS, type FindingCode, type HttpExchange, inspect, mergeReports, renderMessage, type Report } from '@staple-probe/core';
import { serverFromHeader } from '../../packages/probe-core/src/core/server.js';
import {
  buildCrl,
  buildErrorResponse,
  buildOcspResponse,
  type CrlSpec,
  createPki,
  EKU_OCSP_SIGNING,
  type EntrySpec,
  type Issued,
  issue,
  makeStaple,
  type ResponseSpec,
  type TestPki,
} from '@staple-probe/core/testing';
import * as asn1js from 'asn1js';
import { beforeAll, describe, expect, it } from 'vitest';
import { argsOf, CRL_URL, codes, evidence, exchange, failedExchange, liveOf, RESPONDER_URL } from '../helpers.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

let pki: TestPki;
let good: Uint8Array;
let goodDelegate: Uint8Array;
let goodMustStaple: Uint8Array;
let goodEcdsa: Uint8Array;
/** Issue #22: a leaf with an OCSP URL and a CRL distribution point, one with the CRL point only, one with ldap: only. */
let crlLeaf: Issued;
let crlOnly: Issued;
let ldapOnly: Issued;
let goodCrlLeaf: Uint8Array;
let revokedCrlLeaf: Uint8Array;
/** An end-entity certificate (keyUsage without cRLSign) that issued `notCaChild` and signs its CRL. */
let notCaChild: Issued;

beforeAll(async () => {
  pki = await createPki({ notBefore: new Date('2026-01-01T00:00:00Z') });
  good = await makeStaple(pki, 'good', { now: NOW });
  goodDelegate = await makeStaple(pki, 'good-delegate', { now: NOW });
  goodMustStaple = await makeStaple(pki, 'good', { now: NOW, leaf: pki.leafMustStaple });
  goodEcdsa = await makeStaple(pki, 'good', { now: NOW, leaf: pki.leafEcdsa });
  const validity = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') };
  const leafOf = (serial: string, over: { ocspUrls?: string[]; crlUrls: string[] }, issuer = pki.intermediate) =>
    issue({ issuer, subject: `CN=crl ${serial}`, serial, ...validity, dnsNames: ['staple.test'], ...over });
  crlLeaf = await leafOf('2a01', { ocspUrls: [RESPONDER_URL], crlUrls: [CRL_URL] });
  crlOnly = await leafOf('2a02', { crlUrls: [CRL_URL] });
  ldapOnly = await leafOf('2a03', { crlUrls: ['ldap://ldap.example.test/cn=CRL'] });
  notCaChild = await leafOf('2a04', { crlUrls: [CRL_URL] }, pki.leafRsa);
  goodCrlLeaf = await makeStaple(pki, 'good', { now: NOW, leaf: crlLeaf });
  revokedCrlLeaf = await makeStaple(pki, 'revoked', { now: NOW, leaf: crlLeaf });
});

/** A CRL of the intermediate, current (a day old, six days left), listing `entries`. */
const crlOf = (over: Partial<CrlSpec> = {}) => buildCrl({ issuer: pki.intermediate, thisUpdate: at(-DAY), nextUpdate: at(6 * DAY), entries: [], ...over });
const listing = (leaf: Issued) => [{ serial: leaf.cert.serialNumber, revocationDate: at(-2 * DAY), reason: 'keyCompromise' as const }];
/** A probe of `leaf` (no staple unless given) whose CRL download got `crl` (bytes served 200, or a whole exchange). */
const withCrl = async (leaf: Issued, crl: Uint8Array | HttpExchange, staple: Uint8Array | null = null, over: { issuer?: Issued } = {}) =>
  probeOf([{ v: '1.2', staple }], {
    leaf,
    chain: [over.issuer ?? pki.intermediate],
    crls: [crl instanceof Uint8Array ? { body: crl } : { exchange: crl }],
  });
/** Replace every sha256WithRSAEncryption OID (inside and outside tbsCertList) by md5WithRSAEncryption. */
function md5Crl(bytes: Uint8Array): Uint8Array {
  const sha256Rsa = Buffer.from('06092a864886f70d01010b', 'hex');
  const copy = Buffer.from(bytes);
  for (let i = copy.indexOf(sha256Rsa); i >= 0; i = copy.indexOf(sha256Rsa, i + 1)) copy[i + sha256Rsa.length - 1] = 0x04;
  return new Uint8Array(copy);
}

const entry = (over: Partial<EntrySpec> = {}): EntrySpec => ({
  cert: pki.leafRsa,
  status: 'good',
  thisUpdate: at(-HOUR),
  nextUpdate: at(6 * DAY),
  ...over,
});
const build = (over: Partial<ResponseSpec> = {}) => buildOcspResponse({ issuer: pki.intermediate, producedAt: at(-HOUR), entries: [entry()], ...over });

const judge = (bytes: Uint8Array, options: { cert?: Issued | null; issuer?: Issued | null; warn?: number; crit?: number } = {}) =>
  inspect(bytes, {
    now: NOW,
    cert: options.cert === null ? null : (options.cert ?? pki.leafRsa).der,
    issuer: options.issuer === null ? null : (options.issuer ?? pki.intermediate).der,
    ...(options.warn !== undefined ? { warnRemainingSeconds: options.warn } : {}),
    ...(options.crit !== undefined ? { critRemainingSeconds: options.crit } : {}),
  });

const probeOf = (...args: Parameters<typeof evidence>) => assess(evidence(...args), { now: NOW });
const chain = () => ({ leaf: pki.leafRsa, chain: [pki.intermediate] });
/** A probe whose staple is `staple` and whose live query got `ex`. */
const withLive = (staple: Uint8Array | null, ex: ReturnType<typeof exchange>, nonce: Uint8Array | null = null) =>
  probeOf([{ v: '1.2', staple }], { ...chain(), live: [liveOf(pki.leafRsa, ex, nonce)] });
const liveGood = () => exchange(good);
/** DER of an OCTET STRING holding `bytes`: the nonce extension's value (RFC 8954). */
const octets = (bytes: number[]) => new Uint8Array([0x04, bytes.length, ...bytes]);

/** A successful OCSPResponse whose responseBytes carry a type other than id-pkix-ocsp-basic. */
function otherType(): Uint8Array {
  const inner = new asn1js.Sequence({
    value: [new asn1js.ObjectIdentifier({ value: '1.3.6.1.5.5.7.48.1.99' }), new asn1js.OctetString({ valueHex: new Uint8Array([5, 0]).buffer })],
  });
  const outer = new asn1js.Sequence({
    value: [new asn1js.Enumerated({ value: 0 }), new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [inner] })],
  });
  return new Uint8Array(outer.toBER());
}

/** Rewrite the signature algorithm of a response (outside the signed data) to md5WithRSAEncryption. */
function withMd5Oid(bytes: Uint8Array): Uint8Array {
  const sha256Rsa = Buffer.from('06092a864886f70d01010b', 'hex');
  const copy = Buffer.from(bytes);
  const i = copy.indexOf(sha256Rsa);
  if (i < 0 || copy.indexOf(sha256Rsa, i + 1) >= 0) throw new Error('expected exactly one sha256WithRSA OID');
  copy[i + sha256Rsa.length - 1] = 0x04;
  return new Uint8Array(copy);
}

interface Row {
  readonly fire: () => Promise<Report>;
  readonly quiet: () => Promise<Report>;
  /** The verdict when it fires, where the rule alone decides it. */
  readonly verdict?: Report['verdict'];
}

const ROWS: Record<FindingCode, Row> = {
  STAPLE_MISSING: {
    fire: () =>
      probeOf(
        [
          { v: '1.2', staple: null },
          { v: '1.3', staple: null },
        ],
        chain(),
      ),
    quiet: () =>
      probeOf(
        [
          { v: '1.2', staple: good },
          { v: '1.3', staple: good },
        ],
        chain(),
      ),
    verdict: 'warn',
  },
  STAPLE_MISSING_MUST_STAPLE: {
    fire: () => probeOf([{ v: '1.2', staple: null }], { leaf: pki.leafMustStaple, chain: [pki.intermediate] }),
    quiet: () => probeOf([{ v: '1.2', staple: goodMustStaple }], { leaf: pki.leafMustStaple, chain: [pki.intermediate] }),
    verdict: 'critical',
  },
  STAPLE_LAZY: {
    fire: () =>
      probeOf(
        [
          { v: '1.2', staple: null },
          { v: '1.2', staple: good },
          { v: '1.2', staple: good },
        ],
        chain(),
      ),
    quiet: () =>
      probeOf(
        [
          { v: '1.2', staple: good },
          { v: '1.2', staple: good },
        ],
        chain(),
      ),
    verdict: 'ok',
  },
  STAPLE_LAZY_MUST_STAPLE: {
    fire: () =>
      probeOf(
        [
          { v: '1.2', staple: null },
          { v: '1.2', staple: goodMustStaple },
        ],
        { leaf: pki.leafMustStaple, chain: [pki.intermediate] },
      ),
    // The same lazy pattern on an ordinary certificate is only a note.
    quiet: () =>
      probeOf(
        [
          { v: '1.2', staple: null },
          { v: '1.2', staple: good },
        ],
        chain(),
      ),
    verdict: 'warn',
  },
  STAPLE_INTERMITTENT: {
    fire: () =>
      probeOf(
        [
          { v: '1.2', staple: good },
          { v: '1.2', staple: null },
          { v: '1.2', staple: good },
        ],
        chain(),
      ),
    quiet: () =>
      probeOf(
        [
          { v: '1.2', staple: null },
          { v: '1.2', staple: good },
          { v: '1.2', staple: good },
        ],
        chain(),
      ),
    verdict: 'warn',
  },
  STAPLE_MISSING_ON_VERSION: {
    fire: () =>
      probeOf(
        [
          { v: '1.2', staple: good },
          { v: '1.3', staple: null },
          { v: '1.3', staple: null },
        ],
        chain(),
      ),
    quiet: () =>
      probeOf(
        [
          { v: '1.2', staple: good },
          { v: '1.3', staple: good },
        ],
        chain(),
      ),
    verdict: 'warn',
  },
  STAPLE_MALFORMED: {
    fire: async () => judge(await makeStaple(pki, 'malformed', { now: NOW })),
    quiet: () => judge(good),
    verdict: 'critical',
  },
  STAPLE_TRAILING_DATA: {
    fire: async () => judge(await makeStaple(pki, 'trailing-garbage', { now: NOW })),
    quiet: () => judge(good),
    verdict: 'critical',
  },
  STAPLE_ERROR_STATUS: {
    fire: () => judge(buildErrorResponse('tryLater')),
    quiet: () => judge(good),
    verdict: 'critical',
  },
  STAPLE_UNSUPPORTED_TYPE: { fire: () => judge(otherType()), quiet: () => judge(good), verdict: 'critical' },
  STAPLE_UNKNOWN_CRITICAL_EXTENSION: {
    fire: async () => judge(await build({ responseExtensions: [{ oid: '1.2.3.4.5', critical: true, value: new Uint8Array([5, 0]) }] })),
    // The same extension non-critical, and a critical nonce, which clients understand.
    quiet: async () =>
      judge(
        await build({
          responseExtensions: [
            { oid: '1.2.3.4.5', critical: false, value: new Uint8Array([5, 0]) },
            { oid: '1.3.6.1.5.5.7.48.1.2', critical: true, value: new Uint8Array([4, 2, 1, 2]) },
          ],
        }),
      ),
    verdict: 'critical',
  },
  STAPLE_CERTID_MISMATCH: {
    fire: async () => judge(await makeStaple(pki, 'wrong-cert', { now: NOW })),
    quiet: () => judge(good),
    verdict: 'critical',
  },
  STAPLE_CERTID_UNKNOWN_HASH: {
    fire: async () => judge(await build({ certIdHash: 'SHA3-256' })),
    quiet: async () => judge(await build({ certIdHash: 'SHA-256' })),
    verdict: 'critical',
  },
  STAPLE_CERTID_NOT_CHECKED: { fire: () => judge(good, { cert: null }), quiet: () => judge(good), verdict: 'ok' },
  STAPLE_REVOKED: { fire: async () => judge(await makeStaple(pki, 'revoked', { now: NOW })), quiet: () => judge(good), verdict: 'critical' },
  STAPLE_STATUS_UNKNOWN: { fire: async () => judge(await makeStaple(pki, 'unknown', { now: NOW })), quiet: () => judge(good), verdict: 'critical' },
  STAPLE_EXPIRED: { fire: async () => judge(await makeStaple(pki, 'expired', { now: NOW })), quiet: () => judge(good), verdict: 'critical' },
  STAPLE_EXPIRING_CRITICAL: {
    fire: async () => judge(await makeStaple(pki, 'expiring', { now: NOW }), { crit: 2 * 86400, warn: 3 * 86400 }),
    quiet: async () => judge(await makeStaple(pki, 'expiring', { now: NOW })),
    verdict: 'critical',
  },
  STAPLE_EXPIRING: {
    fire: async () => judge(await makeStaple(pki, 'expiring', { now: NOW })),
    quiet: async () => judge(await makeStaple(pki, 'expiring', { now: NOW }), { warn: 12 * 3600 }),
    verdict: 'warn',
  },
  STAPLE_NOT_YET_VALID: {
    fire: async () => judge(await build({ producedAt: at(2 * DAY), entries: [entry({ thisUpdate: at(2 * DAY), nextUpdate: at(9 * DAY) })] })),
    quiet: () => judge(good),
    verdict: 'critical',
  },
  STAPLE_NO_NEXT_UPDATE: { fire: async () => judge(await makeStaple(pki, 'no-next-update', { now: NOW })), quiet: () => judge(good), verdict: 'warn' },
  STAPLE_PRODUCED_IN_FUTURE: { fire: async () => judge(await build({ producedAt: at(DAY) })), quiet: () => judge(good), verdict: 'critical' },
  STAPLE_PRODUCED_BEFORE_THIS_UPDATE: {
    fire: async () => judge(await build({ producedAt: at(-2 * DAY), entries: [entry({ thisUpdate: at(-HOUR) })] })),
    quiet: () => judge(good),
    verdict: 'warn',
  },
  SIGNER_NOT_CHECKED: { fire: () => judge(good, { issuer: null }), quiet: () => judge(good), verdict: 'unknown' },
  SIGNER_NOT_FOUND: {
    fire: async () => judge(await build({ signer: pki.foreignCa, embedSigner: false })),
    quiet: () => judge(good),
    verdict: 'critical',
  },
  SIGNER_BAD_SIGNATURE: { fire: async () => judge(await makeStaple(pki, 'bad-signature', { now: NOW })), quiet: () => judge(good), verdict: 'critical' },
  SIGNER_UNSUPPORTED_ALGORITHM: { fire: () => judge(withMd5Oid(good)), quiet: () => judge(good), verdict: 'critical' },
  SIGNER_RESPONDER_ID_MISMATCH: {
    fire: async () => judge(await build({ responderIdOf: pki.delegate })),
    quiet: () => judge(good),
    verdict: 'critical',
  },
  SIGNER_DELEGATE_NO_EKU: {
    fire: async () => judge(await makeStaple(pki, 'delegate-no-eku', { now: NOW })),
    quiet: () => judge(goodDelegate),
    verdict: 'critical',
  },
  SIGNER_DELEGATE_FOREIGN: {
    fire: async () => judge(await makeStaple(pki, 'foreign-delegate', { now: NOW })),
    quiet: () => judge(goodDelegate),
    verdict: 'critical',
  },
  SIGNER_DELEGATE_BAD_CERT_SIGNATURE: {
    fire: async () => {
      // An impostor CA with the intermediate's name but its own key issues the "delegate".
      const impostor = await issue({ subject: pki.intermediate.cert.subject, serial: '66', ca: true, notBefore: at(-30 * DAY), notAfter: at(300 * DAY) });
      const forged = await issue({
        issuer: impostor,
        subject: 'CN=Forged Responder',
        serial: '67',
        ekus: [EKU_OCSP_SIGNING],
        notBefore: at(-30 * DAY),
        notAfter: at(300 * DAY),
      });
      return judge(await build({ signer: forged, responderId: 'name' }));
    },
    quiet: () => judge(goodDelegate),
    verdict: 'critical',
  },
  SIGNER_DELEGATE_NOT_VALID: {
    fire: async () => {
      const lapsed = await issue({
        issuer: pki.intermediate,
        subject: 'CN=Lapsed Responder',
        serial: '68',
        ekus: [EKU_OCSP_SIGNING],
        notBefore: at(-30 * DAY),
        notAfter: at(-2 * DAY),
      });
      return judge(await build({ signer: lapsed, responderId: 'name' }));
    },
    quiet: () => judge(goodDelegate),
    verdict: 'critical',
  },
  LIVE_UNREACHABLE: { fire: () => withLive(good, failedExchange('refused')), quiet: () => withLive(good, liveGood()), verdict: 'warn' },
  LIVE_TIMEOUT: { fire: () => withLive(good, failedExchange('timeout')), quiet: () => withLive(good, liveGood()), verdict: 'warn' },
  LIVE_HTTP_ERROR: {
    fire: () => withLive(good, exchange(new Uint8Array(), { status: 503, contentType: 'text/plain' })),
    quiet: () => withLive(good, liveGood()),
    verdict: 'warn',
  },
  LIVE_NOT_OCSP: {
    fire: () => withLive(good, exchange(new TextEncoder().encode('<html>portal</html>'), { contentType: 'text/html' })),
    quiet: () => withLive(good, liveGood()),
    verdict: 'warn',
  },
  LIVE_TOO_LARGE: { fire: () => withLive(good, failedExchange('too-large')), quiet: () => withLive(good, liveGood()), verdict: 'warn' },
  LIVE_REDIRECT_REFUSED: { fire: () => withLive(good, failedExchange('too-many-redirects')), quiet: () => withLive(good, liveGood()), verdict: 'warn' },
  // Followed, with a good answer: a note only (the staple decides); quiet without a redirect.
  LIVE_REDIRECTED: {
    fire: () => withLive(good, exchange(good, { redirectedTo: ['http://ocsp2.test/ocsp'] })),
    quiet: () => withLive(good, liveGood()),
    verdict: 'ok',
  },
  LIVE_MALFORMED: {
    fire: () => withLive(good, exchange(new Uint8Array([0x30, 0x82, 0xff]))),
    quiet: () => withLive(good, liveGood()),
    verdict: 'warn',
  },
  LIVE_ERROR_STATUS: { fire: () => withLive(good, exchange(buildErrorResponse('tryLater'))), quiet: () => withLive(good, liveGood()), verdict: 'warn' },
  LIVE_INVALID: {
    fire: async () => withLive(good, exchange(await makeStaple(pki, 'bad-signature', { now: NOW }))),
    quiet: () => withLive(good, liveGood()),
    verdict: 'warn',
  },
  LIVE_NONCE_MISMATCH: {
    fire: async () =>
      withLive(
        good,
        exchange(await build({ responseExtensions: [{ oid: '1.3.6.1.5.5.7.48.1.2', critical: false, value: octets([1, 2, 3]) }] })),
        new Uint8Array([9, 9, 9]),
      ),
    quiet: async () =>
      withLive(
        good,
        exchange(await build({ responseExtensions: [{ oid: '1.3.6.1.5.5.7.48.1.2', critical: false, value: octets([9, 9, 9]) }] })),
        new Uint8Array([9, 9, 9]),
      ),
    verdict: 'warn',
  },
  LIVE_REVOKED: {
    fire: async () => withLive(null, exchange(await makeStaple(pki, 'revoked', { now: NOW }))),
    quiet: () => withLive(null, liveGood()),
    verdict: 'critical',
  },
  LIVE_STATUS_UNKNOWN: {
    fire: async () => withLive(good, exchange(await makeStaple(pki, 'unknown', { now: NOW }))),
    quiet: () => withLive(good, liveGood()),
    verdict: 'warn',
  },
  LIVE_NOT_QUERIED: {
    // No issuer anywhere, so no request could be built, with the live query switched on.
    fire: () => probeOf([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, live: [] }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], { ...chain(), live: [liveOf(pki.leafRsa, liveGood())] }),
  },
  COMPARE_STAPLE_GOOD_LIVE_REVOKED: {
    fire: async () => withLive(good, exchange(await makeStaple(pki, 'revoked', { now: NOW }))),
    quiet: () => withLive(good, liveGood()),
    verdict: 'critical',
  },
  COMPARE_STATUS_DIFFERS: {
    fire: async () => withLive(await makeStaple(pki, 'unknown', { now: NOW }), liveGood()),
    quiet: () => withLive(good, liveGood()),
    verdict: 'critical',
  },
  COMPARE_STAPLE_STALE: {
    fire: async () => withLive(await makeStaple(pki, 'expiring', { now: NOW }), liveGood()),
    quiet: () => withLive(good, liveGood()),
    verdict: 'warn',
  },
  COMPARE_SIGNER_DIFFERS: {
    fire: () => withLive(goodDelegate, liveGood()),
    quiet: () => withLive(good, liveGood()),
    verdict: 'ok',
  },
  COMPARE_ADDRESSES_DISAGREE: {
    fire: () => probeOf([{ v: '1.2', staple: good }], { ...chain(), more: [{ address: '::1', steps: [{ v: '1.2', staple: null }] }] }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], { ...chain(), more: [{ address: '::1', steps: [{ v: '1.2', staple: good }] }] }),
    verdict: 'warn',
  },
  COMPARE_CERTIFICATES_DISAGREE: {
    fire: () =>
      probeOf(
        [
          { v: '1.2', staple: good },
          { v: '1.2', offer: 'ecdsa', staple: null, leaf: pki.leafEcdsa },
        ],
        chain(),
      ),
    quiet: () =>
      probeOf(
        [
          { v: '1.2', staple: good },
          { v: '1.2', offer: 'ecdsa', staple: goodEcdsa, leaf: pki.leafEcdsa },
        ],
        chain(),
      ),
    verdict: 'warn',
  },
  CERT_NO_OCSP_URL: {
    fire: () => probeOf([{ v: '1.2', staple: null }], { leaf: pki.leafNoOcsp, chain: [pki.intermediate] }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'ok',
  },
  CERT_CHAIN_INCOMPLETE: {
    fire: () => probeOf([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, issuerFetchBody: pki.intermediate.der }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'warn',
  },
  CERT_ISSUER_FETCH_FAILED: {
    fire: () => probeOf([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, issuerFetch: failedExchange('too-large', 'the body exceeds the 65536-byte limit') }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, issuerFetchBody: pki.intermediate.der }),
    // The signature then goes unchecked: SIGNER_NOT_CHECKED decides the verdict.
    verdict: 'unknown',
  },
  CERT_UNTRUSTED: {
    fire: () => probeOf([{ v: '1.2', staple: good }], { ...chain(), authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'critical',
  },
  CERT_EXPIRED: {
    fire: () => probeOf([{ v: '1.2', staple: good }], { ...chain(), authorizationError: 'CERT_HAS_EXPIRED' }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'critical',
  },
  CERT_NOT_YET_VALID: {
    fire: () => probeOf([{ v: '1.2', staple: good }], { ...chain(), authorizationError: 'CERT_NOT_YET_VALID' }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'critical',
  },
  CERT_NAME_MISMATCH: {
    fire: () => probeOf([{ v: '1.2', staple: good }], { ...chain(), nameError: "Hostname/IP does not match certificate's altnames" }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'critical',
  },
  CERT_MUST_STAPLE: {
    fire: () => probeOf([{ v: '1.2', staple: goodMustStaple }], { leaf: pki.leafMustStaple, chain: [pki.intermediate] }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'ok',
  },
  CERT_ISSUER_MISMATCH: {
    // The foreign CA did not sign the leaf: judging the staple against its key would be meaningless.
    fire: () => judge(good, { issuer: pki.foreignCa }),
    quiet: () => judge(good),
    verdict: 'unknown',
  },
  CERT_UNPARSEABLE: {
    fire: () => inspect(good, { now: NOW, issuer: pki.intermediate.der, cert: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]) }),
    quiet: () => judge(good),
  },
  CRL_REVOKED: {
    fire: async () => withCrl(crlOnly, await crlOf({ entries: listing(crlOnly) })),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'critical',
  },
  CRL_NOT_LISTED: {
    fire: async () => withCrl(crlOnly, await crlOf()),
    quiet: async () => withCrl(crlOnly, await crlOf({ entries: listing(crlOnly) })),
    verdict: 'ok',
  },
  CRL_UNREACHABLE: {
    fire: () => withCrl(crlOnly, failedExchange('refused')),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_TIMEOUT: {
    fire: () => withCrl(crlOnly, failedExchange('timeout')),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_HTTP_ERROR: {
    fire: async () => withCrl(crlOnly, exchange(await crlOf(), { status: 404, url: CRL_URL })),
    quiet: async () => withCrl(crlOnly, exchange(await crlOf(), { url: CRL_URL })),
    verdict: 'warn',
  },
  CRL_TOO_LARGE: {
    fire: () => withCrl(crlOnly, failedExchange('too-large', 'the body exceeds the 134217728-byte limit')),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_NOT_A_CRL: {
    fire: () => withCrl(crlOnly, new TextEncoder().encode('<html>not here</html>')),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_ISSUER_MISMATCH: {
    fire: async () => withCrl(crlOnly, await crlOf({ issuer: pki.foreignCa, entries: listing(crlOnly) })),
    quiet: async () => withCrl(crlOnly, await crlOf({ entries: listing(crlOnly) })),
    verdict: 'warn',
  },
  CRL_NOT_VERIFIED: {
    // The server sends no intermediate and nothing else supplies it: the CRL's signature cannot be checked.
    fire: async () => probeOf([{ v: '1.2', staple: null }], { leaf: crlOnly, chain: [], crls: [{ body: await crlOf() }] }),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'unknown',
  },
  CRL_BAD_SIGNATURE: {
    fire: async () => withCrl(crlOnly, await crlOf({ corruptSignature: true })),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_UNSUPPORTED_ALGORITHM: {
    fire: async () => withCrl(crlOnly, md5Crl(await crlOf())),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_ISSUER_CANNOT_SIGN_CRLS: {
    fire: async () => withCrl(notCaChild, await crlOf({ issuer: pki.leafRsa }), null, { issuer: pki.leafRsa }),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_KEY_ID_MISMATCH: {
    fire: async () => withCrl(crlOnly, await crlOf({ authorityKeyIdOf: pki.root })),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'ok',
  },
  CRL_UNKNOWN_CRITICAL_EXTENSION: {
    fire: async () => withCrl(crlOnly, await crlOf({ extensions: [{ oid: '1.2.3.4', critical: true, value: new Uint8Array([0x05, 0x00]) }] })),
    quiet: async () => withCrl(crlOnly, await crlOf({ extensions: [{ oid: '1.2.3.4', critical: false, value: new Uint8Array([0x05, 0x00]) }] })),
    verdict: 'warn',
  },
  CRL_DELTA: {
    fire: async () => withCrl(crlOnly, await crlOf({ extensions: [{ oid: '2.5.29.27', critical: true, value: new Uint8Array([0x02, 0x01, 0x07]) }] })),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_INDIRECT: {
    fire: async () => withCrl(crlOnly, await crlOf({ idp: { urls: [CRL_URL], indirectCRL: true } })),
    quiet: async () => withCrl(crlOnly, await crlOf({ idp: { urls: [CRL_URL] } })),
    verdict: 'warn',
  },
  CRL_WRONG_SCOPE: {
    fire: async () => withCrl(crlOnly, await crlOf({ idp: { urls: ['http://127.0.0.1:8080/other-shard.crl'] } })),
    quiet: async () => withCrl(crlOnly, await crlOf({ idp: { urls: [CRL_URL] } })),
    verdict: 'warn',
  },
  CRL_PARTIAL_REASONS: {
    fire: async () => withCrl(crlOnly, await crlOf({ idp: { urls: [CRL_URL], onlySomeReasons: ['keyCompromise'] } })),
    quiet: async () => withCrl(crlOnly, await crlOf({ idp: { urls: [CRL_URL] } })),
    verdict: 'warn',
  },
  CRL_NOT_YET_VALID: {
    fire: async () => withCrl(crlOnly, await crlOf({ thisUpdate: at(2 * DAY), nextUpdate: at(8 * DAY) })),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_EXPIRED: {
    fire: async () => withCrl(crlOnly, await crlOf({ thisUpdate: at(-8 * DAY), nextUpdate: at(-DAY) })),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_EXPIRING_CRITICAL: {
    fire: async () =>
      assess(evidence([{ v: '1.2', staple: null }], { leaf: crlOnly, chain: [pki.intermediate], crls: [{ body: await crlOf({ nextUpdate: at(HOUR) }) }] }), {
        now: NOW,
        critRemainingSeconds: 7200,
      }),
    quiet: async () =>
      assess(
        evidence([{ v: '1.2', staple: null }], { leaf: crlOnly, chain: [pki.intermediate], crls: [{ body: await crlOf({ nextUpdate: at(3 * HOUR) }) }] }),
        {
          now: NOW,
          critRemainingSeconds: 7200,
        },
      ),
    verdict: 'critical',
  },
  CRL_EXPIRING: {
    fire: async () => withCrl(crlOnly, await crlOf({ nextUpdate: at(DAY) })),
    quiet: async () => withCrl(crlOnly, await crlOf({ nextUpdate: at(3 * DAY) })),
    verdict: 'warn',
  },
  CRL_NO_NEXT_UPDATE: {
    fire: async () => withCrl(crlOnly, await crlOf({ nextUpdate: null })),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'warn',
  },
  CRL_NOT_FETCHED: {
    fire: () => probeOf([{ v: '1.2', staple: null }], { leaf: ldapOnly, chain: [pki.intermediate] }),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'ok',
  },
  CRL_NOT_CHECKED: {
    fire: () => probeOf([{ v: '1.2', staple: null }], { leaf: crlOnly, chain: [pki.intermediate], crlDisabled: true }),
    quiet: async () => withCrl(crlOnly, await crlOf()),
    verdict: 'ok',
  },
  COMPARE_CRL_REVOKED: {
    fire: async () => withCrl(crlLeaf, await crlOf({ entries: listing(crlLeaf) }), goodCrlLeaf),
    quiet: async () => withCrl(crlLeaf, await crlOf(), goodCrlLeaf),
    verdict: 'critical',
  },
  COMPARE_CRL_NOT_LISTED: {
    fire: async () => withCrl(crlLeaf, await crlOf(), revokedCrlLeaf),
    quiet: async () => withCrl(crlLeaf, await crlOf({ entries: listing(crlLeaf) }), revokedCrlLeaf),
  },
  TLS_RESOLVE_FAILED: {
    fire: () => probeOf([], { ...chain(), resolveFailed: true }),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'unknown',
  },
  TLS_CONNECT_FAILED: {
    fire: () => probeOf([{ v: '1.2', fail: 'refused' }], chain()),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'unknown',
  },
  TLS_TIMEOUT: {
    fire: () => probeOf([{ v: '1.2', fail: 'timeout' }], chain()),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'unknown',
  },
  STARTTLS_NOT_OFFERED: {
    fire: () => probeOf([{ v: '1.2', fail: 'starttls', starttls: { protocol: 'smtp', reason: 'not-offered', banner: 'mx ESMTP Exim 4.96' } }], chain()),
    // The same refusal for another reason is the other code.
    quiet: () => probeOf([{ v: '1.2', fail: 'starttls', starttls: { protocol: 'smtp', reason: 'refused', banner: null } }], chain()),
    verdict: 'unknown',
  },
  STARTTLS_FAILED: {
    fire: () => probeOf([{ v: '1.2', fail: 'starttls', starttls: { protocol: 'imap', reason: 'garbage', banner: null } }], chain()),
    quiet: () => probeOf([{ v: '1.2', fail: 'starttls', starttls: { protocol: 'imap', reason: 'not-offered', banner: null } }], chain()),
    verdict: 'unknown',
  },
  TLS_HANDSHAKE_FAILED: {
    fire: () => probeOf([{ v: '1.2', fail: 'handshake' }], chain()),
    quiet: () => probeOf([{ v: '1.2', staple: good }], chain()),
    verdict: 'unknown',
  },
  TLS_VERSION_UNSUPPORTED: {
    fire: () =>
      probeOf(
        [
          { v: '1.2', staple: good },
          { v: '1.3', fail: 'version' },
        ],
        chain(),
      ),
    // When no version works, a refused version is a failed probe, not a note.
    quiet: () =>
      probeOf(
        [
          { v: '1.2', fail: 'version' },
          { v: '1.3', fail: 'version' },
        ],
        chain(),
      ),
    verdict: 'ok',
  },
};

describe('every finding code fires, and stays quiet when it should', () => {
  for (const [code, row] of Object.entries(ROWS) as [FindingCode, Row][]) {
    it(`${code} fires`, async () => {
      const report = await row.fire();
      expect(codes(report)).toContain(code);
      if (row.verdict) expect(report.verdict).toBe(row.verdict);
    });
    it(`${code} does not fire`, async () => {
      const report = await row.quiet();
      expect(codes(report)).not.toContain(code);
    });
  }

  it('covers every code of the catalogue', () => {
    expect(Object.keys(ROWS).sort()).toEqual(Object.keys(FINDINGS).sort());
  });
});

describe('details the findings carry', () => {
  it('a response without any SingleResponse is rejected as malformed', async () => {
    const report = await judge(await build({ entries: [] }));
    expect(codes(report)).toEqual(['STAPLE_MALFORMED']);
    expect(report.verdict).toBe('critical');
  });

  it('a followed redirect: LIVE_REDIRECTED names both URLs, and the answer still counts as valid', async () => {
    const ex = exchange(good, { redirectedTo: ['http://hop.test/ocsp', 'http://ocsp2.test/ocsp'] });
    const report = await withLive(null, ex);
    expect(codes(report)).toEqual(['LIVE_REDIRECTED', 'STAPLE_MISSING']);
    expect(report.findings.find((f) => f.code === 'LIVE_REDIRECTED')?.args).toEqual({ url: ex.url, redirects: 2, finalUrl: 'http://ocsp2.test/ocsp' });
    // The responder did answer, validly: the missing staple is not blamed on it.
    expect(report.findings.find((f) => f.code === 'STAPLE_MISSING')?.args).toEqual({ liveResponder: 'ok' });
    expect(report.targets[0]?.live[0]).toMatchObject({ valid: true, redirects: 2, certStatus: 'good' });
  });

  it('LIVE_REDIRECTED names the responder a GET was redirected to, without the request path the probe appended', async () => {
    const path = '/MEMwQTA%2FMD0wOzAJBgUrDgMCGgUABBTX';
    const viaGet = exchange(good, { url: `${RESPONDER_URL}${path}`, redirectedTo: [`http://ocsp2.test/v2${path}`] });
    const report = await withLive(good, viaGet);
    expect(report.findings.find((f) => f.code === 'LIVE_REDIRECTED')?.args).toMatchObject({ url: RESPONDER_URL, finalUrl: 'http://ocsp2.test/v2' });
    // A redirect that dropped or changed the path: the final URL as it was.
    const elsewhere = exchange(good, { url: `${RESPONDER_URL}${path}`, redirectedTo: ['http://ocsp2.test/other'] });
    expect((await withLive(good, elsewhere)).findings.find((f) => f.code === 'LIVE_REDIRECTED')?.args.finalUrl).toBe('http://ocsp2.test/other');
  });

  it('a revoked staple shows the revocation time and reason', async () => {
    const report = await judge(await makeStaple(pki, 'revoked', { now: NOW }));
    const f = report.findings.find((x) => x.code === 'STAPLE_REVOKED');
    expect(f?.args).toMatchObject({ revocationTime: '2026-02-26T12:00:00.000Z', revocationReason: 'keyCompromise', serial: '1001' });
  });

  it('a good, fresh staple signed by the issuer has no finding at all', async () => {
    const report = await judge(good);
    expect(report.findings).toEqual([]);
    expect(report.verdict).toBe('ok');
  });

  it('a good staple from an authorized delegate has no finding at all', async () => {
    const report = await judge(goodDelegate);
    expect(report.findings).toEqual([]);
  });

  it('an ECDSA-signed response checked against RSA keys is an unknown signer, not an unsupported algorithm', async () => {
    const ecCa = await issue({ subject: 'CN=EC CA', serial: '70', ca: true, keyKind: 'p256', notBefore: at(-30 * DAY), notAfter: at(300 * DAY) });
    const report = await judge(await build({ signer: ecCa, embedSigner: false }));
    expect(codes(report)).toEqual(['SIGNER_NOT_FOUND']);
  });

  it('a CertID mismatch names the part that differs', async () => {
    const report = await judge(await makeStaple(pki, 'wrong-cert', { now: NOW }));
    const f = report.findings.find((x) => x.code === 'STAPLE_CERTID_MISMATCH');
    expect(f?.args.mismatched).toBe('serial');
  });

  it('a CertID hashed with SHA-1, SHA-256, SHA-384 or SHA-512 matches the certificate: no finding', async () => {
    for (const certIdHash of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'] as const) {
      const report = await judge(await build({ certIdHash }));
      expect(report.findings, certIdHash).toEqual([]);
    }
  });

  it('a CertID hashed with SHA3-256 for our serial is an unknown hash, not another certificate, and its status is not trusted', async () => {
    const report = await judge(await build({ certIdHash: 'SHA3-256', entries: [entry({ status: 'revoked', revokedAt: at(-DAY) })] }));
    expect(codes(report)).toEqual(['STAPLE_CERTID_UNKNOWN_HASH']);
    const f = report.findings[0];
    expect(argsOf(f, 'STAPLE_CERTID_UNKNOWN_HASH')).toEqual({
      hashAlgorithmOid: '2.16.840.1.101.3.4.2.8',
      hashAlgorithm: 'sha3-256',
      serial: '1001',
    });
    expect(f && renderMessage(f)).toBe(
      `the CertID for serial 1001 is hashed with sha3-256 (2.16.840.1.101.3.4.2.8), which the probe cannot compute: the response cannot be matched to the certificate`,
    );
  });

  it('an OID nobody names is given as the OID alone', async () => {
    const report = await judge(await build({ certIdHashOid: '1.2.3.4' }));
    expect(codes(report)).toEqual(['STAPLE_CERTID_UNKNOWN_HASH']);
    expect(argsOf(report.findings[0], 'STAPLE_CERTID_UNKNOWN_HASH')?.hashAlgorithm).toBeNull();
    expect(report.findings[0] && renderMessage(report.findings[0])).toMatch(/ is hashed with 1\.2\.3\.4, which the probe cannot compute/);
  });

  /** A SingleResponse for a serial that is not the leaf's. */
  const otherSerial: EntrySpec = { serial: '7777', status: 'good', thisUpdate: at(-HOUR), nextUpdate: at(6 * DAY) };

  it('an unknown CertID hash for another serial is still another certificate', async () => {
    const report = await judge(await build({ certIdHash: 'SHA3-256', entries: [otherSerial] }));
    expect(codes(report)).toEqual(['STAPLE_CERTID_MISMATCH']);
    expect(argsOf(report.findings[0], 'STAPLE_CERTID_MISMATCH')?.mismatched).toBe('serial, hashAlgorithm');
  });

  it('an unknown CertID hash names the SingleResponse with our serial, not the first one', async () => {
    const report = await judge(await build({ certIdHash: 'SHA3-256', entries: [otherSerial, entry()] }));
    expect(codes(report)).toEqual(['STAPLE_CERTID_UNKNOWN_HASH']);
    expect(argsOf(report.findings[0], 'STAPLE_CERTID_UNKNOWN_HASH')?.serial).toBe('1001');
  });

  it('without the certificate, an unknown CertID hash is still reported as such', async () => {
    const report = await judge(await build({ certIdHash: 'SHA3-256' }), { cert: null });
    expect(codes(report)).toEqual(['STAPLE_CERTID_UNKNOWN_HASH']);
  });

  it('a live answer with an unknown CertID hash is invalid for that reason', async () => {
    const report = await withLive(good, exchange(await build({ certIdHash: 'SHA3-256' })));
    expect(codes(report)).toEqual(['LIVE_INVALID']);
    expect(argsOf(report.findings[0], 'LIVE_INVALID')?.problem).toBe('STAPLE_CERTID_UNKNOWN_HASH');
    expect(report.verdict).toBe('warn');
  });

  it('addresses stapling different statuses disagree on the status', async () => {
    const revoked = await makeStaple(pki, 'revoked', { now: NOW });
    const report = await probeOf([{ v: '1.2', staple: good }], { ...chain(), more: [{ address: '::1', steps: [{ v: '1.2', staple: revoked }] }] });
    const f = report.findings.find((x) => x.code === 'COMPARE_ADDRESSES_DISAGREE');
    expect(f?.args).toEqual({ aspect: 'status', detail: '127.0.0.1 staples good, ::1 staples revoked' });
  });

  it('addresses serving different certificates disagree on the certificate', async () => {
    const report = await probeOf([{ v: '1.2', staple: good }], {
      ...chain(),
      more: [{ address: '::1', steps: [{ v: '1.2', staple: good }], leaf: pki.leafMustStaple }],
    });
    expect(report.findings.find((x) => x.code === 'COMPARE_ADDRESSES_DISAGREE' && x.args.aspect === 'certificate')).toBeDefined();
  });

  it('a wrong --issuer is reported even when the served chain has the right one', async () => {
    const report = await probeOf([{ v: '1.2', staple: good }], { ...chain(), issuer: pki.foreignCa });
    expect(codes(report)).toEqual(['CERT_ISSUER_MISMATCH']);
    expect(argsOf(report.findings[0], 'CERT_ISSUER_MISMATCH')?.source).toBe('given');
  });

  it('a certificate without OCSP URL shows its CRL distribution points instead', async () => {
    const crlOnly = await issue({
      issuer: pki.intermediate,
      subject: 'CN=crl',
      serial: '73',
      crlUrls: ['http://crl.example.test/int.crl'],
      notBefore: at(-30 * DAY),
      notAfter: at(300 * DAY),
    });
    const report = await probeOf([{ v: '1.2', staple: null }], { leaf: crlOnly, chain: [pki.intermediate] });
    expect(report.findings).toEqual([expect.objectContaining({ code: 'CERT_NO_OCSP_URL', args: { crlUrls: 'http://crl.example.test/int.crl' } })]);
    expect(report.verdict).toBe('ok');
  });

  it('no staple while the CA answers: the finding says the server could fetch', async () => {
    const report = await withLive(null, liveGood());
    expect(report.findings.find((f) => f.code === 'STAPLE_MISSING')?.args).toEqual({ liveResponder: 'ok' });
    expect(report.verdict).toBe('warn');
  });

  it('a "revoked" live answer that fails verification is not believed', async () => {
    const forged = await build({ entries: [entry({ status: 'revoked', revokedAt: at(-DAY) })], corruptSignature: true });
    const report = await withLive(good, exchange(forged));
    expect(codes(report)).toEqual(['LIVE_INVALID']);
    expect(report.verdict).toBe('warn');
  });

  it('a must-staple certificate without an OCSP URL and without a staple is still critical', async () => {
    const noUrlMustStaple = await issue({
      issuer: pki.intermediate,
      subject: 'CN=x',
      serial: '72',
      mustStaple: true,
      notBefore: at(-30 * DAY),
      notAfter: at(300 * DAY),
    });
    const report = await probeOf([{ v: '1.2', staple: null }], { leaf: noUrlMustStaple, chain: [pki.intermediate] });
    expect(codes(report)).toContain('STAPLE_MISSING_MUST_STAPLE');
    expect(codes(report)).not.toContain('CERT_NO_OCSP_URL');
  });

  it('the stapling verdict leaves certificate problems out, so they never hide it', async () => {
    const report = await probeOf([{ v: '1.2', staple: good }], { ...chain(), authorizationError: 'CERT_HAS_EXPIRED' });
    expect(report.verdict).toBe('critical');
    expect(report.staplingVerdict).toBe('ok');
  });

  it('with no completed handshake the stapling verdict is unknown, never ok: nothing about stapling was seen', async () => {
    for (const report of [
      await probeOf([{ v: '1.2', fail: 'refused' }], chain()),
      await probeOf(
        [
          { v: '1.2', fail: 'timeout' },
          { v: '1.3', fail: 'timeout' },
        ],
        chain(),
      ),
      await probeOf(
        [
          { v: '1.2', fail: 'handshake' },
          { v: '1.3', fail: 'version' },
        ],
        chain(),
      ),
      await probeOf([], { ...chain(), resolveFailed: true }),
      await probeOf([{ v: '1.2', fail: 'refused' }], { ...chain(), more: [{ address: '::1', steps: [{ v: '1.2', fail: 'unreachable' }] }] }),
    ]) {
      expect(report.verdict).toBe('unknown');
      expect(report.staplingVerdict).toBe('unknown');
      expect(report.targets[0]?.staplingVerdict ?? report.staplingVerdict).toBe('unknown');
    }
  });

  it('one address that completes a handshake is enough for a stapling verdict; the failing one counts in verdict only', async () => {
    const report = await probeOf([{ v: '1.2', staple: good }], { ...chain(), more: [{ address: '::1', steps: [{ v: '1.2', fail: 'refused' }] }] });
    expect(report.verdict).toBe('unknown');
    expect(report.staplingVerdict).toBe('ok');
  });

  it("merged reports: the stapling verdict is the worst of the targets' own, so an unreachable target is not ok", async () => {
    const fine = await probeOf([{ v: '1.2', staple: good }], chain());
    const dead = await probeOf([{ v: '1.2', fail: 'refused' }], chain());
    expect(mergeReports([fine, dead], NOW.toISOString()).staplingVerdict).toBe('unknown');
    expect(mergeReports([fine, fine], NOW.toISOString()).staplingVerdict).toBe('ok');
    const missing = await probeOf([{ v: '1.2', staple: null }], chain());
    expect(missing.staplingVerdict).toBe('warn');
    expect(mergeReports([fine, missing], NOW.toISOString()).staplingVerdict).toBe('warn');
    expect(mergeReports([missing, dead], NOW.toISOString()).staplingVerdict).toBe('unknown');
  });

  it('a TLS version refusal does not hide the other findings or change an ok verdict', async () => {
    const report = await probeOf(
      [
        { v: '1.2', staple: good },
        { v: '1.3', fail: 'version' },
      ],
      chain(),
    );
    expect(codes(report)).toEqual(['TLS_VERSION_UNSUPPORTED']);
    expect(report.verdict).toBe('ok');
  });

  it('the issuer is found in --ca-file certificates when the chain lacks it', async () => {
    const without = await probeOf([{ v: '1.2', staple: good }], { leaf: pki.leafRsa });
    expect(codes(without)).toContain('SIGNER_NOT_CHECKED');
    const withExtra = await probeOf([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, extra: [pki.root, pki.intermediate] });
    expect(withExtra.findings).toEqual([]);
    const withIssuer = await probeOf([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, issuer: pki.intermediate });
    expect(withIssuer.findings).toEqual([]);
  });

  it('a served intermediate with the right name but another key is not used to judge the staple', async () => {
    const twin = await issue({ subject: pki.intermediate.cert.subject, serial: '71', ca: true, notBefore: at(-30 * DAY), notAfter: at(300 * DAY) });
    const report = await probeOf([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, chain: [twin] });
    expect(codes(report)).toEqual(['CERT_ISSUER_MISMATCH', 'SIGNER_NOT_CHECKED', 'STAPLE_CERTID_NOT_CHECKED']);
    expect(report.verdict).toBe('unknown');
    // With the real intermediate available as well, it is found and used.
    const both = await probeOf([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, chain: [twin, pki.intermediate] });
    expect(both.findings).toEqual([]);
  });

  it('repeated findings merge into one with every place they were seen', async () => {
    const expired = await makeStaple(pki, 'expired', { now: NOW });
    const report = await probeOf(
      [
        { v: '1.2', staple: expired },
        { v: '1.2', staple: expired },
        { v: '1.3', staple: expired },
      ],
      chain(),
    );
    const f = report.findings.filter((x) => x.code === 'STAPLE_EXPIRED');
    expect(f).toHaveLength(1);
    expect(f[0]?.where.map((w) => `${w.tlsVersion}#${w.attempt}`)).toEqual(['1.2#1', '1.2#2', '1.3#1']);
    expect(report.staples).toHaveLength(1);
  });

  it('critical outranks unknown, which outranks warn', async () => {
    const expiring = await makeStaple(pki, 'expiring', { now: NOW });
    const warnAndUnknown = await probeOf(
      [
        { v: '1.2', staple: expiring },
        { v: '1.3', fail: 'handshake' },
      ],
      chain(),
    );
    expect(warnAndUnknown.verdict).toBe('unknown');
    const revoked = await makeStaple(pki, 'revoked', { now: NOW });
    const critAndUnknown = await probeOf(
      [
        { v: '1.2', staple: revoked },
        { v: '1.3', fail: 'handshake' },
      ],
      chain(),
    );
    expect(critAndUnknown.verdict).toBe('critical');
  });
});

describe('STAPLE_EXPIRING: the warning window scales with short-lived responses (issue #23 item 9)', () => {
  /** A signed response valid from thisUpdate to nextUpdate (offsets from NOW), judged with the default 2-day window. */
  const valid = async (from: number, to: number) =>
    judge(await build({ producedAt: at(from), entries: [entry({ thisUpdate: at(from), nextUpdate: at(to) })] }));

  it('24h validity, 7h left: quiet (the whole response is inside 2 days, a quarter is 6h)', async () => {
    const report = await valid(-17 * HOUR, 7 * HOUR);
    expect(codes(report)).toEqual([]);
    expect(report.verdict).toBe('ok');
  });

  it('24h validity, 5h left: STAPLE_EXPIRING, warning below 6.0h', async () => {
    const report = await valid(-19 * HOUR, 5 * HOUR);
    expect(codes(report)).toEqual(['STAPLE_EXPIRING']);
    expect(report.findings[0] && renderMessage(report.findings[0])).toMatch(/only 5\.0h left before nextUpdate .* \(warning below 6\.0h\)$/);
  });

  it('7-day validity: 41h left warns (below the quarter, 42h), 44h left does not', async () => {
    expect(codes(await valid(-7 * DAY + 41 * HOUR, 41 * HOUR))).toEqual(['STAPLE_EXPIRING']);
    expect(codes(await valid(-7 * DAY + 44 * HOUR, 44 * HOUR))).toEqual([]);
  });

  it('10-day validity: --warn-remaining (2d) is the smaller and applies unchanged', async () => {
    const report = await valid(-10 * DAY + 47 * HOUR, 47 * HOUR);
    expect(argsOf(report.findings[0], 'STAPLE_EXPIRING')).toMatchObject({ thresholdSeconds: 2 * 86400 });
  });
});

describe('server software from the Server header', () => {
  const cases: [string | null, string | null][] = [
    ['nginx/1.22.1', 'nginx'],
    ['nginx', 'nginx'],
    ['openresty/1.25.3.1', 'nginx'],
    ['Apache/2.4.71 (Debian)', 'apache'],
    ['Apache', 'apache'],
    ['Caddy', 'caddy'],
    ['HAProxy', 'haproxy'],
    ['lighttpd/1.4.69', 'lighttpd'],
    ['h2o/2.2.5', 'h2o'],
    ['LiteSpeed', 'litespeed'],
    ['envoy', 'envoy'],
    ['Traefik', 'traefik'],
    ['Microsoft-IIS/10.0', 'iis'],
    // STARTTLS greetings (issue #24)
    ['220 mx.example.test ESMTP Exim 4.96 Fri, 04 Dec 2026 17:40:00 +0000', 'exim'],
    ['220 mx.example.test ESMTP Postfix (Debian/GNU)', 'postfix'],
    ['* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.', 'dovecot'],
    ['+OK Dovecot (Debian) ready.', 'dovecot'],
    ['220 ProFTPD Server (Debian) [::ffff:127.0.0.1]', 'proftpd'],
    ['220 mx.example.test ESMTP Sendmail 8.17.1', null],
    ['cloudflare', null],
    ['gh2o', null],
    [null, null],
  ];
  for (const [header, name] of cases) {
    it(`${JSON.stringify(header)} -> ${name}`, () => expect(serverFromHeader(header)).toBe(name));
  }
});

describe('several certificates: each judged on its own (issue #21)', () => {
  const rsa = (staple: Uint8Array | null, v: '1.2' | '1.3' = '1.2') => ({ v, staple });
  const ec = (staple: Uint8Array | null, v: '1.2' | '1.3' = '1.2', offer: 'ecdsa' | 'default' = 'ecdsa') => ({ v, offer, staple, leaf: pki.leafEcdsa });
  const placesOf = (report: Report, code: string) =>
    report.findings.filter((f) => f.code === code).flatMap((f) => f.where.map((w) => `${w.keyType ?? '-'} ${w.serial ?? '-'}`));

  it('a certificate that never staples while the other does is STAPLE_MISSING for it, not a version problem', async () => {
    const report = await probeOf([rsa(good), rsa(good, '1.3'), ec(null), ec(null, '1.3')], chain());
    expect(codes(report)).toEqual(['COMPARE_CERTIFICATES_DISAGREE', 'STAPLE_MISSING']);
    expect(placesOf(report, 'STAPLE_MISSING')).toEqual([`ECDSA ${pki.leafEcdsa.cert.serialNumber}`]);
    const certs = report.targets[0]?.certificates ?? [];
    expect(certs.map((c) => [c.keyType, c.stapled, c.verdict, c.offers])).toEqual([
      ['RSA', 'always', 'ok', ['default']],
      ['ECDSA', 'never', 'warn', ['ecdsa']],
    ]);
    expect(report.findings.map((f) => renderMessage(f))).toContain(
      `ECDSA certificate ${pki.leafEcdsa.cert.serialNumber}: the server sent no OCSP staple in any handshake`,
    );
  });

  it("one certificate stapling the other's response is a CertID mismatch placed at that certificate only", async () => {
    const report = await probeOf([rsa(goodEcdsa), rsa(goodEcdsa, '1.3'), ec(goodEcdsa), ec(goodEcdsa, '1.3')], chain());
    expect(codes(report)).toEqual(['COMPARE_CERTIFICATES_DISAGREE', 'STAPLE_CERTID_MISMATCH']);
    expect(report.findings.find((f) => f.code === 'COMPARE_CERTIFICATES_DISAGREE')?.args).toEqual({
      aspect: 'status',
      detail: `RSA certificate ${pki.leafRsa.cert.serialNumber} staples an invalid response, ECDSA certificate ${pki.leafEcdsa.cert.serialNumber} staples good`,
    });
    expect(new Set(placesOf(report, 'STAPLE_CERTID_MISMATCH'))).toEqual(new Set([`RSA ${pki.leafRsa.cert.serialNumber}`]));
    expect(report.targets[0]?.certificates.map((c) => [c.keyType, c.verdict])).toEqual([
      ['RSA', 'critical'],
      ['ECDSA', 'ok'],
    ]);
  });

  it('versions that get different certificates: each staples on its own version, so no STAPLE_MISSING_ON_VERSION', async () => {
    // TLS 1.2 gets RSA and TLS 1.3 ECDSA by default; the offers find the other of each version.
    const report = await probeOf([rsa(good), ec(goodEcdsa, '1.3', 'default'), ec(goodEcdsa, '1.2'), { v: '1.3', offer: 'rsa', staple: good }], chain());
    expect(codes(report)).toEqual([]);
    expect(report.targets[0]?.certificates.map((c) => [c.keyType, c.stapled, [...c.offers].sort()])).toEqual([
      ['RSA', 'always', ['default', 'rsa']],
      ['ECDSA', 'always', ['default', 'ecdsa']],
    ]);
  });

  it('a certificate stapling on one version only is STAPLE_MISSING_ON_VERSION for that certificate', async () => {
    const report = await probeOf([rsa(good), rsa(good, '1.3'), ec(goodEcdsa), ec(null, '1.3')], chain());
    expect(codes(report)).toEqual(['STAPLE_MISSING_ON_VERSION']);
    expect(placesOf(report, 'STAPLE_MISSING_ON_VERSION')).toEqual([`ECDSA ${pki.leafEcdsa.cert.serialNumber}`]);
  });

  it('an offer that gets the default certificate again, or is refused, adds no certificate, no place and no finding', async () => {
    const report = await probeOf([rsa(null), { v: '1.2', offer: 'rsa', staple: good }, { v: '1.2', offer: 'ecdsa', fail: 'handshake' }], chain());
    // The RSA offer's staple does not count for presence: the default offer got this certificate on TLS 1.2.
    expect(codes(report)).toEqual(['STAPLE_MISSING']);
    expect(report.findings[0]?.where).toEqual([{ target: 'staple.test:443', address: '127.0.0.1' }]);
    expect(report.targets[0]?.certificates).toHaveLength(1);
  });

  it('a certificate the offers found staples lazily: its first handshake had none', async () => {
    const report = await probeOf([rsa(good), ec(null), ec(goodEcdsa), ec(goodEcdsa)], chain());
    expect(codes(report)).toEqual(['STAPLE_LAZY']);
    expect(placesOf(report, 'STAPLE_LAZY')).toEqual([`ECDSA ${pki.leafEcdsa.cert.serialNumber}`]);
  });
});

describe('revocation by CRL (issue #22)', () => {
  it('a CRL signed with an algorithm nobody verifies: CRL_UNSUPPORTED_ALGORITHM names it as SIGNER_UNSUPPORTED_ALGORITHM does', async () => {
    const report = await withCrl(crlOnly, md5Crl(await crlOf()));
    expect(report.findings.find((f) => f.code === 'CRL_UNSUPPORTED_ALGORITHM')?.args).toEqual({ url: CRL_URL, algorithm: 'md5WithRSAEncryption' });
  });

  it('a certificate without an OCSP URL, listed in its CRL: critical, never ok, while stapling is not applicable', async () => {
    const report = await withCrl(crlOnly, await crlOf({ entries: listing(crlOnly) }));
    expect(codes(report)).toEqual(['CERT_NO_OCSP_URL', 'CRL_REVOKED']);
    expect([report.verdict, report.staplingVerdict]).toEqual(['critical', 'ok']);
    expect(report.targets[0]?.certificates[0]?.crls).toEqual([
      expect.objectContaining({ url: CRL_URL, status: 'revoked', entries: 1, nextUpdate: at(6 * DAY).toISOString() }),
    ]);
    expect(report.findings.find((f) => f.code === 'CRL_REVOKED')?.args).toEqual({
      url: CRL_URL,
      serial: '2a02',
      revocationDate: at(-2 * DAY).toISOString(),
      reason: 'keyCompromise',
      invalidityDate: null,
    });
  });

  it('a CRL that cannot be trusted never says "not listed", and an expired one no longer does', async () => {
    for (const crl of [
      await crlOf({ corruptSignature: true }),
      await crlOf({ issuer: pki.foreignCa }),
      await crlOf({ thisUpdate: at(-8 * DAY), nextUpdate: at(-DAY) }),
    ]) {
      const report = await withCrl(crlOnly, crl);
      expect(codes(report)).not.toContain('CRL_NOT_LISTED');
      expect(report.verdict).not.toBe('ok');
      expect(report.targets[0]?.certificates[0]?.crls[0]?.status).toBe('unusable');
    }
  });

  it('a download that failed is unavailable in the report, and its finding names the URL', async () => {
    const report = await withCrl(crlOnly, failedExchange('timeout'));
    expect(report.targets[0]?.certificates[0]?.crls[0]).toMatchObject({ url: CRL_URL, status: 'unavailable', bytes: null });
    expect(report.findings.find((f) => f.code === 'CRL_TIMEOUT')?.where).toEqual([{ target: 'staple.test:443', url: CRL_URL }]);
  });
});
