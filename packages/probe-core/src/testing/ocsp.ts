import { createHash, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { RevocationReason } from '../types.js';
import { importPkcs8, type Issued, type KeyKind } from './pki.js';

export type HashAlg = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const HASH_OID: Record<HashAlg, string> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};
/** A CertID hash: the four the probe computes, and SHA3-256, which it does not (OpenSSL does). */
export type CertIdHashAlg = HashAlg | 'SHA3-256';
const CERT_ID_HASH_OID: Record<CertIdHashAlg, string> = { ...HASH_OID, 'SHA3-256': '2.16.840.1.101.3.4.2.8' };
const NODE_HASH: Record<CertIdHashAlg, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512', 'SHA3-256': 'sha3-256' };
const RSA_OID: Record<HashAlg, string> = {
  'SHA-1': '1.2.840.113549.1.1.5',
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};
const ECDSA_OID: Record<HashAlg, string> = {
  'SHA-1': '1.2.840.10045.4.1',
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};

/** A CRLReason a test response can carry (RFC 5280 §5.3.1). */
export type CrlReasonName = Exclude<RevocationReason, `unknown(${number})`>;
/** CRLReason codes (RFC 5280 §5.3.1), shared with the CRL builder. */
export const REASON_CODE: Record<CrlReasonName, number> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

export interface EntrySpec {
  /** The certificate this entry is about, or its serial in hex. */
  readonly cert?: Issued;
  readonly serial?: string;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: Date;
  readonly reason?: CrlReasonName;
  readonly thisUpdate: Date;
  /** null: leave nextUpdate out. */
  readonly nextUpdate: Date | null;
  readonly extensions?: readonly ExtensionSpec[];
}

export interface ExtensionSpec {
  readonly oid: string;
  readonly critical: boolean;
  /** DER of the extension value (what goes inside the OCTET STRING). */
  readonly value: Uint8Array;
}

export interface ResponseSpec {
  /** The CA the covered certificates were issued by (CertID hashes come from it). */
  readonly issuer: Issued;
  /** Who signs; the issuer by default. */
  readonly signer?: Issued;
  /** Embed the signer's certificate. Default: when the signer is not the issuer. */
  readonly embedSigner?: boolean;
  readonly extraCerts?: readonly Issued[];
  /** ResponderID form. Default 'key'. */
  readonly responderId?: 'name' | 'key';
  /** Name the ResponderID after this certificate instead of the signer (to build mismatches). */
  readonly responderIdOf?: Issued;
  readonly certIdHash?: CertIdHashAlg;
  /** Name this OID as the CertID's hashAlgorithm (the hashes are still made with certIdHash): a CertID nobody can match. */
  readonly certIdHashOid?: string;
  readonly signatureHash?: HashAlg;
  readonly entries: readonly EntrySpec[];
  readonly producedAt: Date;
  readonly responseExtensions?: readonly ExtensionSpec[];
  /** Flip a bit of the signature after signing. */
  readonly corruptSignature?: boolean;
  /** Octets appended after the DER response. */
  readonly trailingBytes?: Uint8Array;
}

function parse(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(der);
}

function hash(alg: CertIdHashAlg, data: Uint8Array | ArrayBuffer): ArrayBuffer {
  const buf = createHash(NODE_HASH[alg])
    .update(data instanceof Uint8Array ? data : new Uint8Array(data))
    .digest();
  return new Uint8Array(buf).buffer;
}

function serialInteger(hex: string): asn1js.Integer {
  let h = hex.length % 2 ? `0${hex}` : hex;
  // Keep the INTEGER positive (X.690 §8.3.2).
  if (Number.parseInt(h.slice(0, 2), 16) >= 0x80) h = `00${h}`;
  return new asn1js.Integer({ valueHex: new Uint8Array(Buffer.from(h, 'hex')).buffer });
}

function extension(spec: ExtensionSpec): pkijs.Extension {
  return new pkijs.Extension({ extnID: spec.oid, critical: spec.critical, extnValue: new Uint8Array(spec.value).buffer });
}

function certStatus(entry: EntrySpec): asn1js.BaseBlock {
  if (entry.status === 'good') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: new ArrayBuffer(0) });
  if (entry.status === 'unknown') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 }, valueHex: new ArrayBuffer(0) });
  const value: asn1js.BaseBlock[] = [new asn1js.GeneralizedTime({ valueDate: entry.revokedAt ?? entry.thisUpdate })];
  if (entry.reason) {
    value.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Enumerated({ value: REASON_CODE[entry.reason] })] }));
  }
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value });
}

/** Signature AlgorithmIdentifier and WebCrypto parameters for a signer key (the OCSP and CRL builders sign with it). */
export async function signerAlgorithm(
  signer: Issued,
  hashAlg: HashAlg | undefined,
): Promise<{ id: pkijs.AlgorithmIdentifier; sign: (tbs: Uint8Array) => Promise<Uint8Array> }> {
  const kind: KeyKind = signer.keyKind;
  const subtle = webcrypto.subtle;
  const privateKey = signer.keys.privateKey as webcrypto.CryptoKey;
  if (kind === 'rsa2048' || kind === 'rsa-pss') {
    const h = hashAlg ?? 'SHA-256';
    const pkcs8 = await subtle.exportKey('pkcs8', privateKey);
    if (kind === 'rsa-pss') {
      const key = await importPkcs8(pkcs8, { name: 'RSA-PSS', hash: h }, false);
      const hashId = new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OID[h] });
      const saltLength = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 }[h];
      const params = new pkijs.RSASSAPSSParams({
        hashAlgorithm: hashId,
        maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.113549.1.1.8', algorithmParams: hashId.toSchema() }),
        saltLength,
      });
      return {
        id: new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.113549.1.1.10', algorithmParams: params.toSchema() }),
        sign: async (tbs) => new Uint8Array(await subtle.sign({ name: 'RSA-PSS', saltLength }, key, tbs)),
      };
    }
    const key = await importPkcs8(pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: h }, false);
    return {
      id: new pkijs.AlgorithmIdentifier({ algorithmId: RSA_OID[h], algorithmParams: new asn1js.Null() }),
      sign: async (tbs) => new Uint8Array(await subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key, tbs)),
    };
  }
  if (kind === 'ed25519') {
    return {
      id: new pkijs.AlgorithmIdentifier({ algorithmId: '1.3.101.112' }),
      sign: async (tbs) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, privateKey, tbs)),
    };
  }
  const h = hashAlg ?? (kind === 'p384' ? 'SHA-384' : 'SHA-256');
  const size = kind === 'p384' ? 48 : 32;
  return {
    id: new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_OID[h] }),
    sign: async (tbs) => {
      const raw = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: h }, privateKey, tbs));
      // WebCrypto gives r||s; X.509 wants ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, each INTEGER
      // minimal and positive (X.690 §8.3.2). asn1js's convertFromDER() drops the 00 that keeps a high bit
      // positive, which OpenSSL then refuses as a negative r or s: the octets are trimmed here instead.
      const int = (b: Uint8Array) => {
        let start = 0;
        while (start < b.length - 1 && b[start] === 0 && ((b[start + 1] ?? 0) & 0x80) === 0) start++;
        const value = b.subarray(start);
        return new asn1js.Integer({ valueHex: new Uint8Array((value[0] ?? 0) & 0x80 ? [0, ...value] : value).buffer });
      };
      return new Uint8Array(new asn1js.Sequence({ value: [int(raw.slice(0, size)), int(raw.slice(size))] }).toBER());
    },
  };
}

/** Build and sign a BasicOCSPResponse-carrying OCSPResponse exactly as specified (including broken ones). */
export async function buildOcspResponse(spec: ResponseSpec): Promise<Uint8Array> {
  const issuer = parse(spec.issuer.der);
  const signerIssued = spec.signer ?? spec.issuer;
  const idOf = parse((spec.responderIdOf ?? signerIssued).der);
  const certIdHash = spec.certIdHash ?? 'SHA-1';
  const issuerNameHash = hash(certIdHash, issuer.subject.toSchema().toBER());
  const issuerKeyHash = hash(certIdHash, issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);

  const responses = spec.entries.map((entry) => {
    const serial = entry.cert ? parse(entry.cert.der).serialNumber : serialInteger(entry.serial ?? '01');
    return new pkijs.SingleResponse({
      certID: new pkijs.CertID({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: spec.certIdHashOid ?? CERT_ID_HASH_OID[certIdHash], algorithmParams: new asn1js.Null() }),
        issuerNameHash: new asn1js.OctetString({ valueHex: issuerNameHash }),
        issuerKeyHash: new asn1js.OctetString({ valueHex: issuerKeyHash }),
        serialNumber: serial,
      }),
      certStatus: certStatus(entry),
      thisUpdate: entry.thisUpdate,
      ...(entry.nextUpdate ? { nextUpdate: entry.nextUpdate } : {}),
      ...(entry.extensions?.length ? { singleExtensions: entry.extensions.map(extension) } : {}),
    });
  });
  const responderID =
    (spec.responderId ?? 'key') === 'name'
      ? idOf.subject
      : new asn1js.OctetString({ valueHex: hash('SHA-1', idOf.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView) });
  const data = new pkijs.ResponseData({
    responderID,
    producedAt: spec.producedAt,
    responses,
    ...(spec.responseExtensions?.length ? { responseExtensions: spec.responseExtensions.map(extension) } : {}),
  });
  const tbs = new Uint8Array(data.toSchema(true).toBER());
  data.tbsView = tbs;
  const alg = await signerAlgorithm(signerIssued, spec.signatureHash);
  const signature = await alg.sign(tbs);
  if (spec.corruptSignature) signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0x01;
  const embed = spec.embedSigner ?? signerIssued !== spec.issuer;
  const certs = [...(embed ? [signerIssued] : []), ...(spec.extraCerts ?? [])].map((c) => parse(c.der));
  const basic = new pkijs.BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: alg.id,
    signature: new asn1js.BitString({ valueHex: signature.buffer.slice(signature.byteOffset, signature.byteOffset + signature.byteLength) as ArrayBuffer }),
    ...(certs.length ? { certs } : {}),
  });
  const outer = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({
      responseType: '1.3.6.1.5.5.7.48.1.1',
      response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
    }),
  });
  const der = new Uint8Array(outer.toSchema().toBER());
  if (!spec.trailingBytes?.length) return der;
  const out = new Uint8Array(der.length + spec.trailingBytes.length);
  out.set(der);
  out.set(spec.trailingBytes, der.length);
  return out;
}

export type ErrorStatus = 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized';
const ERROR_CODE: Record<ErrorStatus, number> = { malformedRequest: 1, internalError: 2, tryLater: 3, sigRequired: 5, unauthorized: 6 };

/** An OCSPResponse carrying only an error status (RFC 6960 §4.2.1), as responders send and Apache fakes. */
export function buildErrorResponse(status: ErrorStatus): Uint8Array {
  return new Uint8Array(new asn1js.Sequence({ value: [new asn1js.Enumerated({ value: ERROR_CODE[status] })] }).toBER());
}
