import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { CertSummary, DecodedResponse, ExtensionView, ResponseStatusName, RevocationReason, SingleResponseView } from '../types.js';
import { memoByBytes, serialHex, sha256Hex, toArrayBuffer, toHex } from './bytes.js';
import { type Cert, parseCertificate, parseCertificateFromSchema } from './certificate.js';
import { formatName, nameDer } from './name.js';
import { OID, oidName } from './oids.js';

/** The bytes could not be read as an OCSPResponse. Turned into a finding by `assess`, never shown raw. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

const STATUS_NAMES: Record<number, ResponseStatusName> = {
  0: 'successful',
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

/** CRLReason codes (RFC 5280 §5.3.1), by value; 7 is not used. OCSP (RFC 6960 §4.2.1) and CRL entries share them. */
export const REASONS: readonly RevocationReason[] = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'unknown(7)',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
];

export interface ParsedCertId {
  readonly hashAlgorithmOid: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  readonly serial: string;
}

export interface ParsedSingleResponse {
  readonly certId: ParsedCertId;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revocationTime: number | null;
  readonly revocationReason: RevocationReason | null;
  readonly thisUpdate: number;
  readonly nextUpdate: number | null;
  readonly extensions: readonly ExtensionView[];
  readonly view: SingleResponseView;
}

export interface AlgorithmRef {
  readonly oid: string;
  /** DER of the parameters, or null when absent. */
  readonly params: Uint8Array | null;
}

export interface ParsedBasic {
  /** ResponseData.version as encoded (0 means v1). */
  readonly version: number;
  /** The tbsResponseData bytes exactly as received: the signature covers these (RFC 6960 §4.2.1). */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmRef;
  readonly signature: Uint8Array;
  readonly responderId: { readonly kind: 'name'; readonly nameDer: Uint8Array } | { readonly kind: 'key'; readonly keyHash: Uint8Array };
  readonly producedAt: number;
  readonly responses: readonly ParsedSingleResponse[];
  readonly extensions: readonly ExtensionView[];
  /** Embedded certificates; an entry is null when that certificate would not parse. */
  readonly certs: readonly (Cert | null)[];
}

export interface ParsedResponse {
  readonly view: DecodedResponse;
  readonly statusCode: number;
  /** Octets after the OCSPResponse, plus octets after the BasicOCSPResponse inside responseBytes. */
  readonly trailingBytes: number;
  readonly basic: ParsedBasic | null;
}

/** Decode one DER value; the result and how many bytes follow it. */
function decodeOne(bytes: Uint8Array, what: string): { result: asn1js.AsnType; trailing: number } {
  if (bytes.byteLength === 0) throw new DecodeError(`${what} is empty`);
  const decoded = asn1js.fromBER(toArrayBuffer(bytes));
  if (decoded.offset === -1) throw new DecodeError(`${what} is not valid DER: ${decoded.result.error || 'bad encoding'}`);
  return { result: decoded.result, trailing: bytes.byteLength - decoded.offset };
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new DecodeError(`${what} does not match its ASN.1 structure: ${detail}`);
  }
}

function extensionViews(extensions: readonly pkijs.Extension[] | undefined): ExtensionView[] {
  return (extensions ?? []).map((e) => ({
    oid: e.extnID,
    name: oidName(e.extnID),
    critical: e.critical,
    valueHex: toHex(e.extnValue.valueBlock.valueHexView),
  }));
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

function timeOf(value: unknown, what: string): number {
  if (value instanceof asn1js.GeneralizedTime) {
    const ms = value.toDate().getTime();
    if (Number.isFinite(ms)) return ms;
  }
  if (value instanceof Date && Number.isFinite(value.getTime())) return value.getTime();
  throw new DecodeError(`${what} is not a valid GeneralizedTime`);
}

function decodeCertStatus(raw: unknown): Pick<ParsedSingleResponse, 'status' | 'revocationTime' | 'revocationReason'> {
  if (!(raw instanceof asn1js.BaseBlock)) throw new DecodeError('certStatus is missing');
  const tag = raw.idBlock.tagNumber;
  if (raw.idBlock.tagClass !== 3) throw new DecodeError('certStatus has a wrong tag');
  if (tag === 0) return { status: 'good', revocationTime: null, revocationReason: null };
  if (tag === 2) return { status: 'unknown', revocationTime: null, revocationReason: null };
  if (tag !== 1 || !(raw instanceof asn1js.Constructed)) throw new DecodeError(`certStatus has an unknown tag [${tag}]`);
  // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
  const [time, reasonWrapper] = raw.valueBlock.value;
  const revocationTime = timeOf(time, 'revocationTime');
  let revocationReason: RevocationReason | null = null;
  if (reasonWrapper instanceof asn1js.Constructed) {
    const reason = reasonWrapper.valueBlock.value[0];
    if (!(reason instanceof asn1js.Enumerated)) throw new DecodeError('revocationReason is not an ENUMERATED');
    const code = reason.valueBlock.valueDec;
    revocationReason = REASONS[code] ?? `unknown(${code})`;
  }
  return { status: 'revoked', revocationTime, revocationReason };
}

function decodeSingle(single: pkijs.SingleResponse): ParsedSingleResponse {
  const certId: ParsedCertId = {
    hashAlgorithmOid: single.certID.hashAlgorithm.algorithmId,
    issuerNameHash: single.certID.issuerNameHash.valueBlock.valueHexView.slice(),
    issuerKeyHash: single.certID.issuerKeyHash.valueBlock.valueHexView.slice(),
    serial: serialHex(single.certID.serialNumber.valueBlock.valueHexView),
  };
  const status = decodeCertStatus(single.certStatus);
  const thisUpdate = timeOf(single.thisUpdate, 'thisUpdate');
  const nextUpdate = single.nextUpdate === undefined ? null : timeOf(single.nextUpdate, 'nextUpdate');
  const extensions = extensionViews(single.singleExtensions);
  return {
    certId,
    ...status,
    thisUpdate,
    nextUpdate,
    extensions,
    view: {
      certId: {
        hashAlgorithm: oidName(certId.hashAlgorithmOid) ?? certId.hashAlgorithmOid,
        hashAlgorithmOid: certId.hashAlgorithmOid,
        issuerNameHash: toHex(certId.issuerNameHash),
        issuerKeyHash: toHex(certId.issuerKeyHash),
        serial: certId.serial,
      },
      certStatus: status.status,
      revocationTime: status.revocationTime === null ? null : isoOf(status.revocationTime),
      revocationReason: status.revocationReason,
      thisUpdate: isoOf(thisUpdate),
      nextUpdate: nextUpdate === null ? null : isoOf(nextUpdate),
      extensions,
    },
  };
}

function algorithmRef(alg: pkijs.AlgorithmIdentifier): AlgorithmRef {
  const params = alg.algorithmParams;
  return {
    oid: alg.algorithmId,
    params: params instanceof asn1js.BaseBlock && !(params instanceof asn1js.Null) ? new Uint8Array(params.toBER()) : null,
  };
}

const validityText = new WeakMap<Cert, { readonly notBefore: string; readonly notAfter: string }>();

/** A certificate as reports list it. A fresh object each time; the dates are formatted once per certificate. */
export function summarizeCert(cert: Cert): CertSummary {
  let validity = validityText.get(cert);
  if (!validity) {
    validity = { notBefore: isoOf(cert.notBefore), notAfter: isoOf(cert.notAfter) };
    validityText.set(cert, validity);
  }
  return { subject: cert.subject, issuer: cert.issuer, serial: cert.serial, notBefore: validity.notBefore, notAfter: validity.notAfter, sha256: cert.sha256 };
}

/**
 * The original DER of each certificate in BasicOCSPResponse's `certs [0] EXPLICIT SEQUENCE OF Certificate`,
 * read from the asn1js tree pkijs validated; null when the tree does not hold exactly `count` of them.
 */
function embeddedCertificateBytes(root: asn1js.AsnType, count: number): Uint8Array[] | null {
  if (count === 0 || !(root instanceof asn1js.Constructed)) return null;
  const wrapper = root.valueBlock.value.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0);
  const list = wrapper instanceof asn1js.Constructed ? wrapper.valueBlock.value[0] : undefined;
  if (!(list instanceof asn1js.Sequence) || list.valueBlock.value.length !== count) return null;
  return list.valueBlock.value.map((c) => c.valueBeforeDecodeView.slice());
}

function decodeBasic(bytes: Uint8Array): { basic: ParsedBasic; trailing: number } {
  const { result, trailing } = decodeOne(bytes, 'BasicOCSPResponse');
  const parsed = wrap('BasicOCSPResponse', () => new pkijs.BasicOCSPResponse({ schema: result }));
  const data = parsed.tbsResponseData;
  const responses = wrap('SingleResponse', () => data.responses.map(decodeSingle));
  const responderId: ParsedBasic['responderId'] =
    data.responderID instanceof pkijs.RelativeDistinguishedNames
      ? { kind: 'name', nameDer: nameDer(data.responderID) }
      : data.responderID instanceof asn1js.OctetString
        ? { kind: 'key', keyHash: data.responderID.valueBlock.valueHexView.slice() }
        : (() => {
            throw new DecodeError('ResponderID is neither byName nor byKey');
          })();
  // The embedded certificates as the responder encoded them: parsed (and memoized) from those bytes, so a
  // delegated responder's certificate, sent in every response of its CA, is parsed once per run.
  const originals = embeddedCertificateBytes(result, parsed.certs?.length ?? 0);
  const certs = (parsed.certs ?? []).map((c, i) => {
    try {
      const original = originals?.[i];
      return original ? parseCertificate(original) : parseCertificateFromSchema(c);
    } catch {
      return null;
    }
  });
  const basic: ParsedBasic = {
    version: data.version ?? 0,
    tbs: data.tbsView.slice(),
    signatureAlgorithm: algorithmRef(parsed.signatureAlgorithm),
    signature: parsed.signature.valueBlock.valueHexView.slice(),
    responderId,
    producedAt: timeOf(data.producedAt, 'producedAt'),
    responses,
    extensions: extensionViews(data.responseExtensions),
    certs,
  };
  return { basic, trailing };
}

function responderView(id: ParsedBasic['responderId']): { byName: string } | { byKeyHash: string } {
  if (id.kind === 'key') return { byKeyHash: toHex(id.keyHash) };
  const { result } = decodeOne(id.nameDer, 'ResponderID');
  return { byName: formatName(new pkijs.RelativeDistinguishedNames({ schema: result })) };
}

/**
 * Decode an OCSPResponse (RFC 6960 §4.2.1) completely. Throws DecodeError for bytes that are not one;
 * trailing octets are counted, not fatal, so that the rest can still be judged. Memoized by SHA-256 (at most
 * 2,000 entries): the same staple arrives on every handshake, and the result is immutable data.
 */
export const decodeOcspResponse: (bytes: Uint8Array) => ParsedResponse = memoByBytes(
  (bytes) => decodeUncached(bytes),
  // asn1js throws (rather than reporting) on some malformed values, e.g. a GeneralizedTime that is not a
  // time: hostile bytes must become a finding, never an exception (found by test/fuzz).
  (error) => (error instanceof DecodeError ? error : new DecodeError(`does not decode: ${error instanceof Error ? error.message : String(error)}`)),
);

function decodeUncached(bytes: Uint8Array): ParsedResponse {
  const { result, trailing: outerTrailing } = decodeOne(bytes, 'OCSPResponse');
  const outer = wrap('OCSPResponse', () => new pkijs.OCSPResponse({ schema: result }));
  const statusCode = outer.responseStatus.valueBlock.valueDec;
  const responseStatus = STATUS_NAMES[statusCode];
  if (responseStatus === undefined) throw new DecodeError(`responseStatus ${statusCode} is not defined by RFC 6960`);
  const responseType = outer.responseBytes?.responseType ?? null;
  if (statusCode === 0 && !outer.responseBytes) throw new DecodeError('status successful but responseBytes is absent');

  let basic: ParsedBasic | null = null;
  let innerTrailing = 0;
  if (outer.responseBytes && responseType === OID.ocspBasic) {
    const inner = decodeBasic(outer.responseBytes.response.valueBlock.valueHexView);
    basic = inner.basic;
    innerTrailing = inner.trailing;
  }
  const view: DecodedResponse = {
    sha256: sha256Hex(bytes),
    length: bytes.byteLength,
    responseStatus,
    responseStatusCode: statusCode,
    responseType,
    basic: basic && {
      version: basic.version + 1,
      responderId: responderView(basic.responderId),
      producedAt: isoOf(basic.producedAt),
      responses: basic.responses.map((r) => r.view),
      extensions: basic.extensions,
      signatureAlgorithm: { oid: basic.signatureAlgorithm.oid, name: oidName(basic.signatureAlgorithm.oid) },
      certs: basic.certs.filter((c): c is Cert => c !== null).map(summarizeCert),
    },
  };
  return { view, statusCode, trailingBytes: outerTrailing + innerTrailing, basic };
}
