import { constants, createHash, KeyObject, verify as verifyNow, type webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from './bytes.js';
import type { AlgorithmRef } from './decode.js';
import { hashForOid } from './oids.js';

export type SignatureResult = { readonly result: 'valid' | 'invalid' } | { readonly result: 'unsupported'; readonly algorithm: string };

type WebHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const WEB_HASH: Record<string, WebHash> = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };

const RSA_PKCS1: Record<string, WebHash> = {
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
};
const ECDSA: Record<string, WebHash> = {
  '1.2.840.10045.4.1': 'SHA-1',
  '1.2.840.10045.4.3.2': 'SHA-256',
  '1.2.840.10045.4.3.3': 'SHA-384',
  '1.2.840.10045.4.3.4': 'SHA-512',
};
const CURVES: Record<string, { name: string; size: number }> = {
  '1.2.840.10045.3.1.7': { name: 'P-256', size: 32 },
  '1.3.132.0.34': { name: 'P-384', size: 48 },
  '1.3.132.0.35': { name: 'P-521', size: 66 },
};
const RSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';
const ED25519 = '1.3.101.112';

/** The key cannot have made this kind of signature (an RSA key under an ECDSA signature). */
const KEY_MISMATCH = Symbol('key-mismatch');

interface Plan {
  readonly importAlg: webcrypto.Algorithm | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  readonly verifyAlg: webcrypto.Algorithm | webcrypto.RsaPssParams | webcrypto.EcdsaParams;
  readonly curveSize?: number;
}

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

/** The named curve of an EC key; 'not-ec' for any other key type; null for a curve WebCrypto lacks. */
/** asn1js.fromBER, which throws on some malformed input instead of reporting it: never throws. */
function safeFromBER(bytes: Uint8Array): ReturnType<typeof asn1js.fromBER> | null {
  try {
    const decoded = asn1js.fromBER(toArrayBuffer(bytes));
    return decoded.offset === -1 ? null : decoded;
  } catch {
    return null;
  }
}

function spkiCurve(spki: Uint8Array): { name: string; size: number } | 'not-ec' | null {
  const decoded = safeFromBER(spki);
  if (!decoded) return 'not-ec';
  let info: pkijs.PublicKeyInfo;
  try {
    info = new pkijs.PublicKeyInfo({ schema: decoded.result });
  } catch {
    return 'not-ec';
  }
  if (info.algorithm.algorithmId !== EC_PUBLIC_KEY) return 'not-ec';
  const params = info.algorithm.algorithmParams;
  if (!(params instanceof asn1js.ObjectIdentifier)) return null;
  return CURVES[params.valueBlock.toString()] ?? null;
}

/** RSASSA-PSS-params (RFC 4055 §3.1); defaults are SHA-1, MGF1-SHA1, salt 20. */
function pssPlan(params: Uint8Array | null): Plan | string {
  let hash: WebHash = 'SHA-1';
  let saltLength = 20;
  if (params) {
    const decoded = safeFromBER(params);
    if (!decoded) return 'RSASSA-PSS with unreadable parameters';
    let p: pkijs.RSASSAPSSParams;
    try {
      p = new pkijs.RSASSAPSSParams({ schema: decoded.result });
    } catch {
      return 'RSASSA-PSS with unreadable parameters';
    }
    const h = hashForOid(p.hashAlgorithm.algorithmId);
    if (!h) return `RSASSA-PSS with hash ${p.hashAlgorithm.algorithmId}`;
    hash = WEB_HASH[h] as WebHash;
    if (p.maskGenAlgorithm.algorithmId !== MGF1) return `RSASSA-PSS with mask generation ${p.maskGenAlgorithm.algorithmId}`;
    const mgfParams = p.maskGenAlgorithm.algorithmParams;
    const mgfHash = mgfParams ? new pkijs.AlgorithmIdentifier({ schema: mgfParams }).algorithmId : '1.3.14.3.2.26';
    // WebCrypto ties the MGF1 hash to the message hash; a response that splits them cannot be verified here.
    if (hashForOid(mgfHash) !== h) return 'RSASSA-PSS with an MGF1 hash different from the message hash';
    saltLength = p.saltLength;
  }
  return { importAlg: { name: 'RSA-PSS', hash }, verifyAlg: { name: 'RSA-PSS', saltLength } };
}

function plan(alg: AlgorithmRef, spki: Uint8Array): Plan | string | typeof KEY_MISMATCH {
  const rsa = RSA_PKCS1[alg.oid];
  if (rsa) return { importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: rsa }, verifyAlg: { name: 'RSASSA-PKCS1-v1_5' } };
  if (alg.oid === RSA_PSS) return pssPlan(alg.params);
  const ecHash = ECDSA[alg.oid];
  if (ecHash) {
    const curve = spkiCurve(spki);
    if (curve === 'not-ec') return KEY_MISMATCH;
    if (!curve) return `${alg.oid} on an unsupported curve`;
    return { importAlg: { name: 'ECDSA', namedCurve: curve.name }, verifyAlg: { name: 'ECDSA', hash: ecHash }, curveSize: curve.size };
  }
  if (alg.oid === ED25519) return { importAlg: { name: 'Ed25519' }, verifyAlg: { name: 'Ed25519' } };
  return alg.oid;
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } to the fixed-width r||s WebCrypto wants. */
function ecdsaDerToRaw(signature: Uint8Array, size: number): Uint8Array | null {
  const decoded = safeFromBER(signature);
  if (!decoded || decoded.offset !== signature.byteLength || !(decoded.result instanceof asn1js.Sequence)) return null;
  const parts = decoded.result.valueBlock.value;
  if (parts.length !== 2) return null;
  const out = new Uint8Array(size * 2);
  for (let i = 0; i < 2; i++) {
    const part = parts[i];
    if (!(part instanceof asn1js.Integer)) return null;
    let bytes = part.valueBlock.valueHexView;
    while (bytes.byteLength > size && bytes[0] === 0) bytes = bytes.subarray(1);
    if (bytes.byteLength > size) return null;
    out.set(bytes, i * size + (size - bytes.byteLength));
  }
  return out;
}

/**
 * Verify `signature` over `data` with the key in `spki`, using WebCrypto. Keys are imported once per
 * (key, algorithm) and cached, because the same issuer key verifies many responses in a run.
 */
export class SignatureVerifier {
  readonly #keys = new Map<string, Promise<webcrypto.CryptoKey | null>>();
  readonly #results = new Map<string, Promise<SignatureResult>>();
  readonly #subtle: webcrypto.SubtleCrypto;
  /** How many signatures were actually checked with WebCrypto (the rest came from the cache). */
  verifications = 0;

  constructor(subtle: webcrypto.SubtleCrypto = globalThis.crypto.subtle as webcrypto.SubtleCrypto) {
    this.#subtle = subtle;
  }

  /**
   * The same signature over the same bytes with the same key is checked once: a run that sees one staple on
   * many handshakes, addresses and targets verifies it once. The cache holds at most 10,000 results.
   */
  verify(alg: AlgorithmRef, spki: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<SignatureResult> {
    const key = createHash('sha256')
      .update(alg.oid)
      .update(alg.params ?? new Uint8Array())
      .update(spki)
      .update(data)
      .update(signature)
      .digest('base64');
    let result = this.#results.get(key);
    if (!result) {
      if (this.#results.size >= 10_000) this.#results.clear();
      result = this.#verify(alg, spki, data, signature);
      this.#results.set(key, result);
    }
    return result;
  }

  async #verify(alg: AlgorithmRef, spki: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<SignatureResult> {
    let p: ReturnType<typeof plan>;
    try {
      p = plan(alg, spki);
    } catch {
      // Parameters that pkijs cannot read (hostile input): nothing can be verified with them.
      return { result: 'unsupported', algorithm: `${alg.oid} with unreadable parameters` };
    }
    if (p === KEY_MISMATCH) return { result: 'invalid' };
    if (typeof p === 'string') return { result: 'unsupported', algorithm: p };
    const cacheKey = `${JSON.stringify(p.importAlg)}:${Buffer.from(spki).toString('base64')}`;
    let key = this.#keys.get(cacheKey);
    if (!key) {
      key = this.#subtle.importKey('spki', toArrayBuffer(spki), p.importAlg, false, ['verify']).catch(() => null);
      this.#keys.set(cacheKey, key);
    }
    const cryptoKey = await key;
    // A key that does not import for this algorithm (an EC key under an RSA signature) cannot have signed it.
    if (!cryptoKey) return { result: 'invalid' };
    let sig: Uint8Array | null = signature;
    if (p.curveSize !== undefined) sig = ecdsaDerToRaw(signature, p.curveSize);
    if (!sig) return { result: 'invalid' };
    try {
      this.verifications++;
      if (data.byteLength > LARGE) return { result: verifyLarge(p, cryptoKey, sig, data) ? 'valid' : 'invalid' };
      const ok = await this.#subtle.verify(p.verifyAlg, cryptoKey, toArrayBuffer(sig), data);
      return { result: ok ? 'valid' : 'invalid' };
    } catch {
      return { result: 'invalid' };
    }
  }
}

/** Signed data above this size (a CRL's tbsCertList of tens of MB, issue #22) is verified by `verifyLarge`. */
const LARGE = 1024 * 1024;

const NODE_HASH: Record<WebHash, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/**
 * The same check with node:crypto's synchronous verify, which reads `data` where it lies: WebCrypto copies the
 * data for its background job (measured: +42 MB of peak RSS for a 43 MB CRL), node:crypto's synchronous path
 * does not (+0.3 MB), for ~25 ms of blocked event loop per 43 MB.
 */
function verifyLarge(p: Plan, cryptoKey: webcrypto.CryptoKey, sig: Uint8Array, data: Uint8Array): boolean {
  const key = KeyObject.from(cryptoKey);
  const hashOf = (alg: unknown) => NODE_HASH[((alg as { hash?: WebHash }).hash ?? 'SHA-256') as WebHash];
  switch (p.verifyAlg.name) {
    case 'RSASSA-PKCS1-v1_5':
      return verifyNow(hashOf(p.importAlg), data, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
    case 'RSA-PSS':
      return verifyNow(
        hashOf(p.importAlg),
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: (p.verifyAlg as webcrypto.RsaPssParams).saltLength },
        sig,
      );
    case 'ECDSA':
      return verifyNow(hashOf(p.verifyAlg), data, { key, dsaEncoding: 'ieee-p1363' }, sig);
    default:
      return verifyNow(null, data, key, sig);
  }
}
