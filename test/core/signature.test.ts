/** Signature algorithms and CertID hashes: each verifies when intact and fails when one bit flips. */
import { inspect, SignatureVerifier } from '@staple-probe/core';
import { buildOcspResponse, type HashAlg, issue, type KeyKind } from '@staple-probe/core/testing';
import type { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import { toArrayBuffer } from '../../packages/probe-core/src/core/bytes.js';
import { codes } from '../helpers.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const validity = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') };
const hour = 3_600_000;

async function hierarchy(kind: KeyKind) {
  const ca = await issue({ ...validity, subject: `CN=${kind} CA`, serial: '10', ca: true, keyKind: kind });
  const leaf = await issue({ ...validity, issuer: ca, subject: 'CN=leaf', serial: '11' });
  return { ca, leaf };
}

async function response(kind: KeyKind, opts: { signatureHash?: HashAlg; certIdHash?: HashAlg; corrupt?: boolean } = {}) {
  const { ca, leaf } = await hierarchy(kind);
  const bytes = await buildOcspResponse({
    issuer: ca,
    producedAt: new Date(NOW.getTime() - hour),
    entries: [{ cert: leaf, status: 'good', thisUpdate: new Date(NOW.getTime() - hour), nextUpdate: new Date(NOW.getTime() + 96 * hour) }],
    ...(opts.signatureHash ? { signatureHash: opts.signatureHash } : {}),
    ...(opts.certIdHash ? { certIdHash: opts.certIdHash } : {}),
    ...(opts.corrupt ? { corruptSignature: true } : {}),
  });
  return inspect(bytes, { now: NOW, issuer: ca.der, cert: leaf.der });
}

const MATRIX: [string, KeyKind, HashAlg | undefined][] = [
  ['RSA PKCS#1 v1.5 SHA-1', 'rsa2048', 'SHA-1'],
  ['RSA PKCS#1 v1.5 SHA-256', 'rsa2048', 'SHA-256'],
  ['RSA PKCS#1 v1.5 SHA-384', 'rsa2048', 'SHA-384'],
  ['RSA PKCS#1 v1.5 SHA-512', 'rsa2048', 'SHA-512'],
  ['RSA-PSS SHA-256', 'rsa-pss', 'SHA-256'],
  ['RSA-PSS SHA-384', 'rsa-pss', 'SHA-384'],
  ['ECDSA P-256 SHA-256', 'p256', 'SHA-256'],
  ['ECDSA P-384 SHA-384', 'p384', 'SHA-384'],
  ['Ed25519', 'ed25519', undefined],
];

describe('signature algorithms', () => {
  for (const [name, kind, hash] of MATRIX) {
    it(`${name}: intact verifies`, async () => {
      const report = await response(kind, hash ? { signatureHash: hash } : {});
      expect(codes(report)).toEqual([]);
    });
    it(`${name}: one flipped bit fails`, async () => {
      const report = await response(kind, { ...(hash ? { signatureHash: hash } : {}), corrupt: true });
      expect(codes(report)).toEqual(['SIGNER_BAD_SIGNATURE']);
    });
  }
});

describe('CertID under whatever hash the responder used', () => {
  for (const hash of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'] as const) {
    it(`${hash} CertID matches the certificate`, async () => {
      const report = await response('rsa2048', { certIdHash: hash });
      expect(codes(report)).toEqual([]);
      expect(report.staples[0]?.decoded?.basic?.responses[0]?.certId.hashAlgorithm).toBe(hash.toLowerCase().replace('-', ''));
    });
  }

  it('a CertID with the right serial but another issuer key does not match', async () => {
    const { ca, leaf } = await hierarchy('rsa2048');
    const twin = await issue({ ...validity, subject: 'CN=rsa2048 CA', serial: '10', ca: true });
    const bytes = await buildOcspResponse({
      issuer: twin,
      signer: ca,
      embedSigner: false,
      producedAt: new Date(NOW.getTime() - hour),
      entries: [{ cert: leaf, status: 'good', thisUpdate: new Date(NOW.getTime() - hour), nextUpdate: new Date(NOW.getTime() + 96 * hour) }],
    });
    const report = await inspect(bytes, { now: NOW, issuer: ca.der, cert: leaf.der });
    // Same serial and same issuer name: only issuerKeyHash tells the twin CA apart.
    expect(codes(report)).toContain('STAPLE_CERTID_MISMATCH');
  });
});

describe('one verification per distinct signature', () => {
  it('a shared verifier checks the same staple once, however often it is judged', async () => {
    const { ca, leaf } = await hierarchy('rsa2048');
    const bytes = await buildOcspResponse({
      issuer: ca,
      producedAt: new Date(NOW.getTime() - hour),
      entries: [{ cert: leaf, status: 'good', thisUpdate: new Date(NOW.getTime() - hour), nextUpdate: new Date(NOW.getTime() + 96 * hour) }],
    });
    const verifier = new SignatureVerifier();
    for (let i = 0; i < 5; i++) expect(codes(await inspect(bytes, { now: NOW, issuer: ca.der, cert: leaf.der, verifier }))).toEqual([]);
    // One for the staple, one for the leaf's signature by the issuer (issuer discovery).
    expect(verifier.verifications).toBe(2);
    const corrupted = bytes.slice();
    corrupted[corrupted.length - 1] = (corrupted[corrupted.length - 1] ?? 0) ^ 1;
    expect(codes(await inspect(corrupted, { now: NOW, issuer: ca.der, cert: leaf.der, verifier }))).toEqual(['SIGNER_BAD_SIGNATURE']);
    expect(verifier.verifications).toBe(3);
  });
});

describe('signed data over 1 MiB (a CRL of tens of MB) is verified with node:crypto, without copying it', () => {
  const subtle = globalThis.crypto.subtle;
  const data = new Uint8Array(2 * 1024 * 1024).map((_, i) => i % 251);
  /** ECDSA-Sig-Value DER from WebCrypto's r||s. */
  const der = (raw: Uint8Array) => {
    const half = raw.byteLength / 2;
    const int = (b: Uint8Array) => new asn1js.Integer({ valueHex: toArrayBuffer((b[0] ?? 0) & 0x80 ? new Uint8Array([0, ...b]) : b) });
    return new Uint8Array(new asn1js.Sequence({ value: [int(raw.subarray(0, half)), int(raw.subarray(half))] }).toBER());
  };
  const cases: [
    string,
    webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm,
    webcrypto.Algorithm | webcrypto.RsaPssParams | webcrypto.EcdsaParams,
    { oid: string; params: Uint8Array | null },
    boolean,
  ][] = [
    [
      'RSA PKCS#1 v1.5',
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as webcrypto.RsaHashedKeyGenParams,
      { name: 'RSASSA-PKCS1-v1_5' },
      { oid: '1.2.840.113549.1.1.11', params: null },
      false,
    ],
    // RSASSA-PSS without parameters: SHA-1, MGF1-SHA1, salt 20 (RFC 4055 §3.1).
    [
      'RSA-PSS',
      { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-1' } as webcrypto.RsaHashedKeyGenParams,
      { name: 'RSA-PSS', saltLength: 20 } as webcrypto.RsaPssParams,
      { oid: '1.2.840.113549.1.1.10', params: null },
      false,
    ],
    [
      'ECDSA P-256',
      { name: 'ECDSA', namedCurve: 'P-256' } as webcrypto.EcKeyGenParams,
      { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
      { oid: '1.2.840.10045.4.3.2', params: null },
      true,
    ],
    ['Ed25519', { name: 'Ed25519' }, { name: 'Ed25519' }, { oid: '1.3.101.112', params: null }, false],
  ];
  for (const [name, gen, sign, alg, isEcdsa] of cases) {
    it(`${name}: valid, and invalid once a byte of the data changes`, async () => {
      const keys = (await subtle.generateKey(gen, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      const spki = new Uint8Array(await subtle.exportKey('spki', keys.publicKey));
      const raw = new Uint8Array(await subtle.sign(sign, keys.privateKey, data));
      const signature = isEcdsa ? der(raw) : raw;
      const verifier = new SignatureVerifier();
      expect(await verifier.verify(alg, spki, data, signature)).toEqual({ result: 'valid' });
      const changed = data.slice();
      changed[1_500_000] = (changed[1_500_000] ?? 0) ^ 1;
      expect(await verifier.verify(alg, spki, changed, signature)).toEqual({ result: 'invalid' });
    });
  }
});
