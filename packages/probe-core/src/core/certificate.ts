import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { digest, type HashName, memoByBytes, serialHex, sha256Hex, toArrayBuffer } from './bytes.js';
import type { AlgorithmRef } from './decode.js';
import { formatName, nameDer } from './name.js';
import { OID } from './oids.js';
import type { KeyType } from '../types.js';

/** The facts about one X.509 certificate that OCSP judgement needs. */
export interface Cert {
  readonly der: Uint8Array;
  readonly sha256: string;
  readonly subject: string;
  readonly issuer: string;
  /** DER of the subject and issuer Name fields exactly as encoded in this certificate. */
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly serial: string;
  readonly notBefore: number;
  readonly notAfter: number;
  /** DER of SubjectPublicKeyInfo (for WebCrypto import). */
  readonly spki: Uint8Array;
  /** The subjectPublicKey BIT STRING contents: what issuerKeyHash and ResponderID byKey hash (RFC 6960 §4.1.1). */
  readonly publicKey: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmRef;
  readonly signature: Uint8Array;
  readonly isCA: boolean;
  readonly ekus: readonly string[];
  readonly ocspUrls: readonly string[];
  readonly caIssuers: readonly string[];
  readonly crlUrls: readonly string[];
  /** TLS feature extension lists status_request (5): must-staple, RFC 7633. */
  readonly mustStaple: boolean;
  readonly hasOcspNoCheck: boolean;
  /** The subject public key's kind: which client offers can get this certificate. */
  readonly keyType: KeyType;
}

const KEY_TYPES: Readonly<Record<string, KeyType>> = {
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.840.113549.1.1.10': 'RSA-PSS',
  '1.2.840.10045.2.1': 'ECDSA',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

function bytesOf(view: Uint8Array | ArrayBuffer): Uint8Array {
  return view instanceof Uint8Array ? view.slice() : new Uint8Array(view.slice(0));
}

function accessUrls(ext: pkijs.Extension | undefined, method: string): string[] {
  const parsed = ext?.parsedValue as pkijs.InfoAccess | undefined;
  if (!parsed || !Array.isArray(parsed.accessDescriptions)) return [];
  return parsed.accessDescriptions.filter((d) => d.accessMethod === method && d.accessLocation.type === 6).map((d) => String(d.accessLocation.value));
}

function crlUrls(ext: pkijs.Extension | undefined): string[] {
  const parsed = ext?.parsedValue as pkijs.CRLDistributionPoints | undefined;
  const urls: string[] = [];
  for (const point of parsed?.distributionPoints ?? []) {
    const names = point.distributionPoint;
    if (Array.isArray(names)) for (const n of names) if (n.type === 6) urls.push(String(n.value));
  }
  return urls;
}

/** RFC 7633: Features ::= SEQUENCE OF INTEGER; status_request is 5. */
function listsStatusRequest(ext: pkijs.Extension | undefined): boolean {
  if (!ext) return false;
  const decoded = asn1js.fromBER(toArrayBuffer(ext.extnValue.valueBlock.valueHexView));
  if (decoded.offset === -1 || !(decoded.result instanceof asn1js.Sequence)) return false;
  return decoded.result.valueBlock.value.some((v) => v instanceof asn1js.Integer && v.valueBlock.valueDec === 5);
}

export function parseCertificateFromSchema(cert: pkijs.Certificate): Cert {
  const der = new Uint8Array(cert.toSchema().toBER());
  return certFromPkijs(cert, der);
}

function certFromPkijs(cert: pkijs.Certificate, der: Uint8Array): Cert {
  const ext = (oid: string) => cert.extensions?.find((e) => e.extnID === oid);
  const eku = ext(OID.extKeyUsage)?.parsedValue as pkijs.ExtKeyUsage | undefined;
  const bc = ext(OID.basicConstraints)?.parsedValue as pkijs.BasicConstraints | undefined;
  const aia = ext(OID.authorityInfoAccess);
  const alg = cert.signatureAlgorithm.algorithmParams;
  return {
    der,
    sha256: sha256Hex(der),
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    subjectDer: nameDer(cert.subject),
    issuerDer: nameDer(cert.issuer),
    serial: serialHex(cert.serialNumber.valueBlock.valueHexView),
    notBefore: cert.notBefore.value.getTime(),
    notAfter: cert.notAfter.value.getTime(),
    spki: new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER()),
    publicKey: bytesOf(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
    tbs: cert.tbsView.slice(),
    signatureAlgorithm: {
      oid: cert.signatureAlgorithm.algorithmId,
      params: alg instanceof asn1js.BaseBlock && !(alg instanceof asn1js.Null) ? new Uint8Array(alg.toBER()) : null,
    },
    signature: cert.signatureValue.valueBlock.valueHexView.slice(),
    isCA: bc?.cA === true,
    ekus: eku?.keyPurposes ?? [],
    ocspUrls: accessUrls(aia, OID.adOcsp),
    caIssuers: accessUrls(aia, OID.adCaIssuers),
    crlUrls: crlUrls(ext(OID.crlDistributionPoints)),
    mustStaple: listsStatusRequest(ext(OID.tlsFeature)),
    hasOcspNoCheck: ext(OID.ocspNoCheck) !== undefined,
    keyType: KEY_TYPES[cert.subjectPublicKeyInfo.algorithm.algorithmId] ?? 'other',
  };
}

/**
 * Parse one DER certificate. Throws on anything that is not exactly one certificate. Results are memoized
 * by the bytes' SHA-256 (a run sees the same few certificates on every handshake; parsing dominated the
 * profile): `Cert` is immutable, so sharing it is safe. At most 2,000 entries are kept.
 */
export const parseCertificate: (der: Uint8Array) => Cert = memoByBytes(
  (der) => parseCertificateUncached(der),
  (error) => (error instanceof Error ? error : new Error(String(error))),
);

function parseCertificateUncached(der: Uint8Array): Cert {
  const decoded = asn1js.fromBER(toArrayBuffer(der));
  if (decoded.offset === -1) throw new Error(`not DER: ${decoded.result.error}`);
  if (decoded.offset !== der.byteLength) throw new Error(`${der.byteLength - decoded.offset} bytes follow the certificate`);
  const cert = new pkijs.Certificate({ schema: decoded.result });
  return certFromPkijs(cert, der.slice());
}

const fieldHashes = new WeakMap<Cert, Map<string, Uint8Array>>();

/**
 * A hash of one field of a certificate, computed once per (certificate, field, algorithm): a run matches
 * the same issuer's name and key hashes against every staple and live answer. `Cert` is immutable, so the
 * result is shared: read it, never write to it.
 */
function fieldHash(cert: Cert, field: 'publicKey' | 'issuerDer' | 'subjectDer', hash: HashName): Uint8Array {
  let byKey = fieldHashes.get(cert);
  if (!byKey) {
    byKey = new Map();
    fieldHashes.set(cert, byKey);
  }
  const key = `${field}:${hash}`;
  let value = byKey.get(key);
  if (!value) {
    value = digest(hash, cert[field]);
    byKey.set(key, value);
  }
  return value;
}

/** The hash of the public key (subjectPublicKey contents), as ResponderID byKey and issuerKeyHash use it. Shared: do not write to it. */
export function keyHash(cert: Cert, hash: HashName = 'sha1'): Uint8Array {
  return fieldHash(cert, 'publicKey', hash);
}

/** The hash of the certificate's issuer Name as encoded in it, as issuerNameHash uses it. Shared: do not write to it. */
export function issuerNameHash(cert: Cert, hash: HashName): Uint8Array {
  return fieldHash(cert, 'issuerDer', hash);
}

/** The hash of the certificate's own subject Name (for an issuer, what its children's issuerNameHash hashes). Shared. */
export function subjectNameHash(cert: Cert, hash: HashName): Uint8Array {
  return fieldHash(cert, 'subjectDer', hash);
}

/** Read certificates from PEM text (any number) or a single DER certificate. */
export function readCertificates(input: Uint8Array): Uint8Array[] {
  const text = Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const out: Uint8Array[] = [];
    const re = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;
    for (const m of text.matchAll(re)) out.push(new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
    return out;
  }
  return [input];
}
