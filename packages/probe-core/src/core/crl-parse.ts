import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { ExtensionView } from '../types.js';
import { serialHex, toArrayBuffer, toHex } from './bytes.js';
import { CrlDecodeError, DerCursor, TAG } from './crl-der.js';
import type { AlgorithmRef } from './decode.js';
import { formatName } from './name.js';
import { OID, oidName, UNDERSTOOD_CRL_EXTENSIONS } from './oids.js';

/** ReasonFlags bits (RFC 5280 §4.2.1.13) by position, as an Issuing Distribution Point's onlySomeReasons lists them. */
export const REASON_FLAGS = [
  'unused',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'aACompromise',
] as const;

/** A ReasonFlags bit name. */
export type ReasonFlag = (typeof REASON_FLAGS)[number];

/** The Issuing Distribution Point extension (RFC 5280 §5.2.5): which certificates this CRL covers. */
export interface IssuingDistributionPoint {
  /**
   * The distribution point's name: its URIs (`fullName` GeneralNames of type uniformResourceIdentifier) and
   * how many of its names are something else (a directory name, say); `relative` for a
   * nameRelativeToCRLIssuer; null when the extension names no distribution point.
   */
  readonly distributionPoint:
    { readonly kind: 'fullName'; readonly uris: readonly string[]; readonly otherNames: number } | { readonly kind: 'relative' } | null;
  readonly onlyContainsUserCerts: boolean;
  readonly onlyContainsCACerts: boolean;
  readonly onlyContainsAttributeCerts: boolean;
  /** The reasons this CRL covers; null when it covers every reason. */
  readonly onlySomeReasons: readonly ReasonFlag[] | null;
  readonly indirectCRL: boolean;
}

/**
 * One CRL (RFC 5280 §5.1), framed and its small fields decoded. The revoked certificates are NOT decoded:
 * `revokedCertificates` says where their DER lies, and `findRevoked` walks it for one serial.
 */
export interface ParsedCrl {
  /** The CRL's DER: the input itself when DER was given (never copied), the decoded body of a PEM input. */
  readonly der: Uint8Array;
  /** 1 or 2, from the optional version field. */
  readonly version: number;
  /** tbsCertList exactly as received, a view over `der`: the signature covers these bytes (RFC 5280 §5.1.1.1). */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmRef;
  readonly signature: Uint8Array;
  /** The issuer Name as RFC 4514 text and as encoded in the CRL. */
  readonly issuer: string;
  readonly issuerDer: Uint8Array;
  readonly thisUpdate: number;
  /** null when the CRL has none (RFC 5280 §5.1.2.5 requires it of conforming CAs). */
  readonly nextUpdate: number | null;
  /** The cRLNumber extension (§5.2.3) in lowercase hex, or null. */
  readonly crlNumber: string | null;
  /** The deltaCRLIndicator's BaseCRLNumber (§5.2.4) in lowercase hex: set on a delta CRL only. */
  readonly deltaBaseCrlNumber: string | null;
  /** The authorityKeyIdentifier's keyIdentifier (§5.2.1), or null. */
  readonly authorityKeyId: Uint8Array | null;
  readonly issuingDistributionPoint: IssuingDistributionPoint | null;
  /** Every crlExtension as found. */
  readonly extensions: readonly ExtensionView[];
  /** OIDs of critical crlExtensions outside `UNDERSTOOD_CRL_EXTENSIONS`: the CRL must not be used (§5.2). */
  readonly unknownCriticalExtensions: readonly string[];
  /** [start, end) in `der` of the revokedCertificates SEQUENCE's contents; null when the CRL lists none. */
  readonly revokedCertificates: { readonly start: number; readonly end: number } | null;
}

const PEM_BEGIN = '-----BEGIN X509 CRL-----';
const PEM_END = '-----END X509 CRL-----';

/** Octets allowed in a PEM body: the base64 alphabet, padding and white space (RFC 7468 §3). */
const PEM_BODY_OCTETS = (() => {
  const allowed = new Uint8Array(256);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n') allowed[c.charCodeAt(0)] = 1;
  return allowed;
})();

/**
 * The DER of a CRL given as DER or as PEM (`-----BEGIN X509 CRL-----`, RFC 7468 §6; explanatory text before
 * it is allowed). DER is returned as is, not copied. Throws CrlDecodeError for anything else. The body is
 * checked octet by octet rather than by a regular expression: a PEM CRL can be 50 MB.
 */
export function readCrl(input: Uint8Array): Uint8Array {
  let first = 0;
  while (first < input.byteLength && isSpace(input[first] as number)) first++;
  if (input[first] === TAG.sequence) return input;
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const begin = bytes.indexOf(PEM_BEGIN, 0, 'latin1');
  if (begin === -1) throw new CrlDecodeError(`neither DER nor PEM: no SEQUENCE and no "${PEM_BEGIN}" line`);
  const bodyStart = begin + PEM_BEGIN.length;
  const end = bytes.indexOf(PEM_END, bodyStart, 'latin1');
  if (end === -1) throw new CrlDecodeError('the PEM block has no end line');
  for (let i = bodyStart; i < end; i++) {
    if (PEM_BODY_OCTETS[bytes[i] as number] === 0) throw new CrlDecodeError('the PEM block has characters outside base64');
  }
  const decoded = Buffer.from(bytes.toString('latin1', bodyStart, end), 'base64');
  const der = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  if (der.byteLength === 0) throw new CrlDecodeError('the PEM block is empty');
  return der;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** asn1js on one small element: exactly one value, or CrlDecodeError. asn1js throws on some bad values: caught. */
function decodeSmall(bytes: Uint8Array, what: string): asn1js.AsnType {
  let decoded: ReturnType<typeof asn1js.fromBER>;
  try {
    decoded = asn1js.fromBER(toArrayBuffer(bytes));
  } catch (error) {
    throw new CrlDecodeError(`${what} does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (decoded.offset === -1) throw new CrlDecodeError(`${what} does not decode: ${decoded.result.error || 'bad encoding'}`);
  if (decoded.offset !== bytes.byteLength) throw new CrlDecodeError(`${bytes.byteLength - decoded.offset} bytes follow ${what}`);
  return decoded.result;
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof CrlDecodeError) throw error;
    throw new CrlDecodeError(`${what} does not match its ASN.1 structure: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A UTCTime or GeneralizedTime element (RFC 5280 §5.1.2.4) as epoch milliseconds. */
export function timeOf(element: Uint8Array, what: string): number {
  const value = decodeSmall(element, what);
  if (value instanceof asn1js.UTCTime || value instanceof asn1js.GeneralizedTime) {
    const ms = wrap(what, () => value.toDate().getTime());
    if (Number.isFinite(ms)) return ms;
  }
  throw new CrlDecodeError(`${what} is not a valid time`);
}

function algorithmOf(element: Uint8Array, what: string): AlgorithmRef {
  const alg = wrap(what, () => new pkijs.AlgorithmIdentifier({ schema: decodeSmall(element, what) }));
  const params = alg.algorithmParams;
  return { oid: alg.algorithmId, params: params instanceof asn1js.BaseBlock && !(params instanceof asn1js.Null) ? new Uint8Array(params.toBER()) : null };
}

function integerHex(value: Uint8Array, what: string): string {
  const decoded = decodeSmall(value, what);
  if (!(decoded instanceof asn1js.Integer)) throw new CrlDecodeError(`${what} is not an INTEGER`);
  return serialHex(decoded.valueBlock.valueHexView);
}

function readIdp(value: Uint8Array): IssuingDistributionPoint {
  const tree = decodeSmall(value, 'issuingDistributionPoint');
  const idp = wrap('issuingDistributionPoint', () => new pkijs.IssuingDistributionPoint({ schema: tree }));
  let distributionPoint: IssuingDistributionPoint['distributionPoint'] = null;
  if (Array.isArray(idp.distributionPoint)) {
    const uris = idp.distributionPoint.filter((n) => n.type === 6).map((n) => String(n.value));
    distributionPoint = { kind: 'fullName', uris, otherNames: idp.distributionPoint.length - uris.length };
  } else if (idp.distributionPoint) {
    distributionPoint = { kind: 'relative' };
  }
  // pkijs 4.0 reads onlySomeReasons [3] as the BIT STRING's first octet, which is its count of unused bits:
  // the bits are read here from the element itself.
  let onlySomeReasons: ReasonFlag[] | null = null;
  const reasons = tree instanceof asn1js.Constructed ? tree.valueBlock.value.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 3) : undefined;
  if (reasons) {
    if (!(reasons instanceof asn1js.Primitive) || reasons.valueBlock.valueHexView.byteLength === 0)
      throw new CrlDecodeError('onlySomeReasons is not a BIT STRING');
    const bits = reasons.valueBlock.valueHexView;
    onlySomeReasons = [];
    for (let i = 0; i < (bits.byteLength - 1) * 8; i++) {
      if ((bits[1 + (i >> 3)] as number) & (0x80 >> (i & 7))) onlySomeReasons.push(REASON_FLAGS[i] ?? ('unused' as const));
    }
  }
  return {
    distributionPoint,
    onlyContainsUserCerts: idp.onlyContainsUserCerts === true,
    onlyContainsCACerts: idp.onlyContainsCACerts === true,
    onlyContainsAttributeCerts: idp.onlyContainsAttributeCerts === true,
    onlySomeReasons,
    indirectCRL: idp.indirectCRL === true,
  };
}

type ExtensionFields = Pick<
  ParsedCrl,
  'extensions' | 'unknownCriticalExtensions' | 'crlNumber' | 'deltaBaseCrlNumber' | 'authorityKeyId' | 'issuingDistributionPoint'
>;

/** crlExtensions [0] EXPLICIT Extensions (RFC 5280 §5.2): each at most once, the understood ones decoded. */
function readExtensions(contents: Uint8Array | null): ExtensionFields {
  const views: ExtensionView[] = [];
  const unknownCritical: string[] = [];
  const fields: { -readonly [K in keyof ExtensionFields]: ExtensionFields[K] } = {
    extensions: views,
    unknownCriticalExtensions: unknownCritical,
    crlNumber: null,
    deltaBaseCrlNumber: null,
    authorityKeyId: null,
    issuingDistributionPoint: null,
  };
  if (!contents) return fields;
  const list = decodeSmall(contents, 'crlExtensions');
  if (!(list instanceof asn1js.Sequence) || list.valueBlock.value.length === 0) throw new CrlDecodeError('crlExtensions is not a non-empty SEQUENCE');
  const seen = new Set<string>();
  const extensions = list.valueBlock.value.map((e) => wrap('a crlExtension', () => new pkijs.Extension({ schema: e })));
  for (const e of extensions) {
    if (seen.has(e.extnID)) throw new CrlDecodeError(`the CRL extension ${e.extnID} appears twice`);
    seen.add(e.extnID);
    const value = e.extnValue.valueBlock.valueHexView;
    views.push({ oid: e.extnID, name: oidName(e.extnID), critical: e.critical, valueHex: toHex(value) });
    if (e.critical && !UNDERSTOOD_CRL_EXTENSIONS.has(e.extnID)) unknownCritical.push(e.extnID);
    if (e.extnID === OID.crlNumber) fields.crlNumber = integerHex(value, 'cRLNumber');
    else if (e.extnID === OID.deltaCrlIndicator) fields.deltaBaseCrlNumber = integerHex(value, 'deltaCRLIndicator');
    else if (e.extnID === OID.issuingDistributionPoint) fields.issuingDistributionPoint = readIdp(value);
    else if (e.extnID === OID.authorityKeyIdentifier) {
      const aki = wrap('authorityKeyIdentifier', () => new pkijs.AuthorityKeyIdentifier({ schema: decodeSmall(value, 'authorityKeyIdentifier') }));
      fields.authorityKeyId = aki.keyIdentifier ? aki.keyIdentifier.valueBlock.valueHexView.slice() : null;
    }
  }
  return fields;
}

interface Framing {
  readonly tbs: Uint8Array;
  readonly outerAlgorithm: Uint8Array;
  readonly signatureBits: Uint8Array;
  readonly version: number;
  readonly innerAlgorithm: Uint8Array;
  readonly issuer: Uint8Array;
  readonly thisUpdate: Uint8Array;
  readonly nextUpdate: Uint8Array | null;
  readonly revoked: { readonly start: number; readonly end: number } | null;
  readonly extensions: Uint8Array | null;
}

const isTime = (tag: number) => tag === TAG.utcTime || tag === TAG.generalizedTime;

/** The CertificateList's elements, located by their headers only (see crl-der.ts for why). */
function frame(der: Uint8Array): Framing {
  const c = new DerCursor(der);
  if (der.byteLength === 0) throw new CrlDecodeError('the CRL is empty');
  c.expect(0, der.byteLength, TAG.sequence, 'CertificateList');
  if (c.end !== der.byteLength) throw new CrlDecodeError(`${der.byteLength - c.end} bytes follow the CRL`);
  const outerEnd = c.end;
  const tbsStart = c.contentStart;
  const tbs = c.expect(tbsStart, outerEnd, TAG.sequence, 'tbsCertList').element();
  const tbsContent = c.contentStart;
  const tbsEnd = c.end;
  const outerAlgorithm = c.expect(tbsEnd, outerEnd, TAG.sequence, 'signatureAlgorithm').element();
  const signatureBits = c.expect(c.end, outerEnd, TAG.bitString, 'signatureValue').contents();
  if (c.end !== outerEnd) throw new CrlDecodeError('CertificateList has elements after signatureValue');

  let pos = tbsContent;
  let version = 1;
  c.read(pos, tbsEnd, 'tbsCertList');
  if (c.tag === TAG.integer) {
    // Version ::= INTEGER { v1(0), v2(1) }; a CRL that carries the field is v2 (RFC 5280 §5.1.2.1).
    if (c.end - c.contentStart !== 1 || der[c.contentStart] !== 1) throw new CrlDecodeError('tbsCertList.version is not v2');
    version = 2;
    pos = c.end;
  }
  const innerAlgorithm = c.expect(pos, tbsEnd, TAG.sequence, 'tbsCertList.signature').element();
  const issuer = c.expect(c.end, tbsEnd, TAG.sequence, 'tbsCertList.issuer').element();
  const thisUpdate = c.read(c.end, tbsEnd, 'thisUpdate').element();
  if (!isTime(c.tag)) throw new CrlDecodeError('thisUpdate is not a UTCTime or GeneralizedTime');
  pos = c.end;
  let nextUpdate: Uint8Array | null = null;
  let revoked: Framing['revoked'] = null;
  let extensions: Uint8Array | null = null;
  if (pos < tbsEnd && isTime(c.read(pos, tbsEnd, 'nextUpdate').tag)) {
    nextUpdate = c.element();
    pos = c.end;
  }
  if (pos < tbsEnd && c.read(pos, tbsEnd, 'revokedCertificates').tag === TAG.sequence) {
    revoked = { start: c.contentStart, end: c.end };
    pos = c.end;
  }
  if (pos < tbsEnd) {
    extensions = c.expect(pos, tbsEnd, TAG.extensions, 'crlExtensions').contents();
    pos = c.end;
  }
  if (pos !== tbsEnd) throw new CrlDecodeError('tbsCertList has elements after crlExtensions');
  return { tbs, outerAlgorithm, signatureBits, version, innerAlgorithm, issuer, thisUpdate, nextUpdate, revoked, extensions };
}

/**
 * Parse a CRL (DER, or PEM through `readCrl`) without decoding its entries: O(1) in the number of revoked
 * certificates, and no copy of the DER (`tbs` is a view over it). Throws CrlDecodeError for bytes that are
 * not exactly one CertificateList: truncated, followed by other bytes, another structure, a version other
 * than v1/v2, inner and outer signature algorithms that differ (§5.1.1.2), an extension repeated, an
 * understood extension that does not decode. Unknown critical extensions are listed, not fatal.
 */
export function parseCrl(input: Uint8Array): ParsedCrl {
  const der = readCrl(input);
  const f = frame(der);
  // RFC 5280 §5.1.1.2: signatureAlgorithm MUST be the same as tbsCertList.signature.
  if (Buffer.compare(f.outerAlgorithm, f.innerAlgorithm) !== 0) throw new CrlDecodeError('signatureAlgorithm differs from tbsCertList.signature');
  if (f.signatureBits.byteLength < 2 || f.signatureBits[0] !== 0) throw new CrlDecodeError('signatureValue is not a whole number of octets');
  const name = wrap('issuer', () => new pkijs.RelativeDistinguishedNames({ schema: decodeSmall(f.issuer, 'issuer') }));
  const fields = readExtensions(f.extensions);
  return {
    der,
    version: f.version,
    tbs: f.tbs,
    signatureAlgorithm: algorithmOf(f.outerAlgorithm, 'signatureAlgorithm'),
    signature: f.signatureBits.slice(1),
    issuer: wrap('issuer', () => formatName(name)),
    issuerDer: f.issuer.slice(),
    thisUpdate: timeOf(f.thisUpdate, 'thisUpdate'),
    nextUpdate: f.nextUpdate && timeOf(f.nextUpdate, 'nextUpdate'),
    ...fields,
    revokedCertificates: f.revoked,
  };
}
