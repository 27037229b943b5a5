import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { REASON_FLAGS, type ReasonFlag } from '../core/crl-parse.js';
import { type CrlReasonName, type ExtensionSpec, type HashAlg, REASON_CODE, signerAlgorithm } from './ocsp.js';
import type { Issued } from './pki.js';

/** One revoked certificate of a test CRL. */
export interface CrlEntrySpec {
  /** The certificate's serial, hex (as `Cert.serial`). */
  readonly serial: string;
  readonly revocationDate: Date;
  /** Written as the reasonCode entry extension. */
  readonly reason?: CrlReasonName;
  /** Written as the invalidityDate entry extension. */
  readonly invalidityDate?: Date;
  /** More entry extensions, after those (a critical unknown one, a certificateIssuer). */
  readonly extensions?: readonly ExtensionSpec[];
}

/** A ReasonFlags bit name (RFC 5280 §4.2.1.13). */
export type CrlReasonFlag = ReasonFlag;

/** An Issuing Distribution Point extension (RFC 5280 §5.2.5), always written critical. */
export interface CrlIdpSpec {
  /** fullName URIs of the distribution point this CRL is (a shard's URL). */
  readonly urls?: readonly string[];
  readonly onlyContainsUserCerts?: boolean;
  readonly onlyContainsCACerts?: boolean;
  readonly onlyContainsAttributeCerts?: boolean;
  readonly onlySomeReasons?: readonly CrlReasonFlag[];
  readonly indirectCRL?: boolean;
}

/** A test CRL, as specified (broken ones included). */
export interface CrlSpec {
  /** The CA whose CRL this is: its subject is the CRL's issuer. */
  readonly issuer: Issued;
  /** Who signs; the issuer by default. Another key (a rogue signer) makes the signature fail. */
  readonly signer?: Issued;
  readonly thisUpdate: Date;
  /** Absent or null: the CRL has no nextUpdate. */
  readonly nextUpdate?: Date | null;
  /** Listed after the `count` generated entries, in order. */
  readonly entries?: readonly CrlEntrySpec[];
  /**
   * Generate this many entries first, written as bytes directly (a million take well under a second):
   * serials `bulkSerial(0, length)` … `bulkSerial(count - 1, length)`, all revoked at `bulk.revocationDate`.
   */
  readonly count?: number;
  readonly bulk?: {
    /** Octets per serial, at least 5 (default 16). */
    readonly serialLength?: number;
    /** A reasonCode extension on every generated entry (default none). */
    readonly reason?: CrlReasonName;
    /** Default: thisUpdate. */
    readonly revocationDate?: Date;
  };
  /** cRLNumber; default 1; null leaves it out. */
  readonly crlNumber?: number | null;
  readonly idp?: CrlIdpSpec;
  /** Whose subjectKeyIdentifier goes in authorityKeyIdentifier: the signer by default; null leaves it out. */
  readonly authorityKeyIdOf?: Issued | null;
  /** More crlExtensions, after the cRLNumber, AKI and IDP. */
  readonly extensions?: readonly ExtensionSpec[];
  readonly signatureHash?: HashAlg;
  /** Flip a bit of the signature after signing. */
  readonly corruptSignature?: boolean;
  /** Octets appended after the DER. */
  readonly trailingBytes?: Uint8Array;
}

const BULK_PREFIX = 0x5a;

/**
 * The serial of the `index`-th generated entry, `length` octets, hex: 5a, zero octets, then the index
 * big-endian in the last four octets. Never the serial of a kit certificate (those have at most 2 octets).
 */
export function bulkSerial(index: number, length = 16): string {
  return `${BULK_PREFIX.toString(16)}${'00'.repeat(length - 5)}${index.toString(16).padStart(8, '0')}`;
}

function header(tag: number, length: number): Uint8Array {
  if (length < 0x80) return new Uint8Array([tag, length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return new Uint8Array([tag, 0x80 | octets.length, ...octets]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function tlv(tag: number, parts: readonly Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.byteLength, 0);
  return concat([header(tag, length), ...parts]);
}

const ber = (block: asn1js.BaseBlock) => new Uint8Array(block.toBER());

/** RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): asn1js.BaseBlock {
  return date.getUTCFullYear() < 2050 ? new asn1js.UTCTime({ valueDate: date }) : new asn1js.GeneralizedTime({ valueDate: date });
}

function serialInteger(hex: string): asn1js.Integer {
  let h = hex.length % 2 ? `0${hex}` : hex;
  if (Number.parseInt(h.slice(0, 2), 16) >= 0x80) h = `00${h}`;
  return new asn1js.Integer({ valueHex: new Uint8Array(Buffer.from(h, 'hex')).buffer });
}

function extension(spec: ExtensionSpec): asn1js.BaseBlock {
  return new pkijs.Extension({ extnID: spec.oid, critical: spec.critical, extnValue: new Uint8Array(spec.value).buffer }).toSchema();
}

function reasonExtension(reason: CrlReasonName): ExtensionSpec {
  return { oid: '2.5.29.21', critical: false, value: ber(new asn1js.Enumerated({ value: REASON_CODE[reason] })) };
}

function entryBytes(entry: CrlEntrySpec): Uint8Array {
  const extensions = [
    ...(entry.reason ? [reasonExtension(entry.reason)] : []),
    ...(entry.invalidityDate ? [{ oid: '2.5.29.24', critical: false, value: ber(new asn1js.GeneralizedTime({ valueDate: entry.invalidityDate })) }] : []),
    ...(entry.extensions ?? []),
  ];
  const value = [serialInteger(entry.serial), time(entry.revocationDate)];
  if (extensions.length) value.push(new asn1js.Sequence({ value: extensions.map(extension) }));
  return ber(new asn1js.Sequence({ value }));
}

/** `count` entries as one buffer: a template entry copied, then each serial's index written into it. */
function bulkEntries(count: number, spec: CrlSpec['bulk'], fallbackDate: Date): Uint8Array {
  const length = spec?.serialLength ?? 16;
  if (length < 5) throw new RangeError('bulk.serialLength must be at least 5');
  const template = entryBytes({
    serial: bulkSerial(0, length),
    revocationDate: spec?.revocationDate ?? fallbackDate,
    ...(spec?.reason ? { reason: spec.reason } : {}),
  });
  // The serial's last four octets: after the entry header (2), the INTEGER header (2) and length - 4 octets.
  const indexAt = 2 + 2 + length - 4;
  const out = Buffer.allocUnsafe(count * template.byteLength);
  for (let i = 0; i < count; i++) {
    const at = i * template.byteLength;
    out.set(template, at);
    out.writeUInt32BE(i, at + indexAt);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** ReasonFlags as a DER named-bit BIT STRING's contents: trailing zero bits dropped (X.690 §11.2.2). */
function reasonBits(flags: readonly CrlReasonFlag[]): Uint8Array {
  const bits = flags.map((f) => REASON_FLAGS.indexOf(f));
  const highest = Math.max(...bits);
  const out = new Uint8Array(1 + (highest >> 3) + 1);
  for (const b of bits) out[1 + (b >> 3)] = (out[1 + (b >> 3)] ?? 0) | (0x80 >> (b & 7));
  out[0] = 7 - (highest & 7);
  return out;
}

function idpValue(idp: CrlIdpSpec): Uint8Array {
  const context = (n: number, parts: readonly Uint8Array[], constructed: boolean) => tlv((constructed ? 0xa0 : 0x80) | n, parts);
  const yes = new Uint8Array([0xff]);
  const parts: Uint8Array[] = [];
  if (idp.urls?.length) {
    // distributionPoint [0] { fullName [0] GeneralNames { uniformResourceIdentifier [6] IA5String } }
    const names = idp.urls.map((u) => tlv(0x86, [new Uint8Array(Buffer.from(u, 'ascii'))]));
    parts.push(context(0, [context(0, names, true)], true));
  }
  if (idp.onlyContainsUserCerts) parts.push(context(1, [yes], false));
  if (idp.onlyContainsCACerts) parts.push(context(2, [yes], false));
  if (idp.onlySomeReasons?.length) parts.push(context(3, [reasonBits(idp.onlySomeReasons)], false));
  if (idp.indirectCRL) parts.push(context(4, [yes], false));
  if (idp.onlyContainsAttributeCerts) parts.push(context(5, [yes], false));
  return tlv(0x30, parts);
}

function subjectKeyId(issued: Issued): Uint8Array | null {
  const cert = pkijs.Certificate.fromBER(issued.der);
  const ski = cert.extensions?.find((e) => e.extnID === '2.5.29.14');
  if (!ski) return null;
  const value = asn1js.fromBER(ski.extnValue.valueBlock.valueHexView).result;
  return value instanceof asn1js.OctetString ? value.valueBlock.valueHexView.slice() : null;
}

function crlExtensions(spec: CrlSpec, signer: Issued): ExtensionSpec[] {
  const out: ExtensionSpec[] = [];
  const akiOf = spec.authorityKeyIdOf === undefined ? signer : spec.authorityKeyIdOf;
  const keyId = akiOf && subjectKeyId(akiOf);
  if (keyId) {
    const aki = new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyId.slice().buffer }) });
    out.push({ oid: '2.5.29.35', critical: false, value: ber(aki.toSchema()) });
  }
  const crlNumber = spec.crlNumber === undefined ? 1 : spec.crlNumber;
  if (crlNumber !== null) out.push({ oid: '2.5.29.20', critical: false, value: ber(new asn1js.Integer({ value: crlNumber })) });
  if (spec.idp) out.push({ oid: '2.5.29.28', critical: true, value: idpValue(spec.idp) });
  return [...out, ...(spec.extensions ?? [])];
}

/**
 * Build and sign a CRL (RFC 5280 §5) exactly as specified, broken ones included, as DER. Small parts are
 * encoded with asn1js and pkijs; `count` generated entries are written as bytes (a million make a CRL of
 * about 40 MB in well under a second), so the benchmark and the big-CRL tests get a real file that
 * `openssl crl` reads.
 */
export async function buildCrl(spec: CrlSpec): Promise<Uint8Array> {
  const signer = spec.signer ?? spec.issuer;
  const alg = await signerAlgorithm(signer, spec.signatureHash);
  const algorithm = ber(alg.id.toSchema());
  // The issuer's subject exactly as its certificate encodes it, as a CA copies it into its CRLs.
  const subject = pkijs.Certificate.fromBER(spec.issuer.der).subject;
  const issuerName = new Uint8Array(subject.valueBeforeDecode.byteLength ? subject.valueBeforeDecode : subject.toSchema().toBER());
  const listed = [...(spec.count ? [bulkEntries(spec.count, spec.bulk, spec.thisUpdate)] : []), ...(spec.entries ?? []).map(entryBytes)];
  const extensions = crlExtensions(spec, signer);
  const tbsParts = [
    ber(new asn1js.Integer({ value: 1 })),
    algorithm,
    issuerName,
    ber(time(spec.thisUpdate)),
    ...(spec.nextUpdate ? [ber(time(spec.nextUpdate))] : []),
    ...(listed.length ? [tlv(0x30, listed)] : []),
    ...(extensions.length ? [tlv(0xa0, [ber(new asn1js.Sequence({ value: extensions.map(extension) }))])] : []),
  ];
  const tbs = tlv(0x30, tbsParts);
  const signature = await alg.sign(tbs);
  if (spec.corruptSignature) signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0x01;
  const der = tlv(0x30, [tbs, algorithm, tlv(0x03, [new Uint8Array([0]), signature])]);
  return spec.trailingBytes?.length ? concat([der, spec.trailingBytes]) : der;
}
