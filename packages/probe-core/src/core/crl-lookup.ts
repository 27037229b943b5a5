import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { RevocationReason } from '../types.js';
import { serialHex, toArrayBuffer } from './bytes.js';
import { CrlDecodeError, DerCursor, TAG } from './crl-der.js';
import type { ParsedCrl } from './crl-parse.js';
import { REASONS } from './decode.js';
import { timeOf } from './crl-parse.js';
import { OID } from './oids.js';

/** The CRL's entry for one certificate. */
export interface RevokedEntry {
  /** Lowercase hex, as `Cert.serial`. */
  readonly serial: string;
  readonly revocationDate: number;
  /** From the reasonCode entry extension (§5.3.1); null when the entry has none. */
  readonly reason: RevocationReason | null;
  /** From the invalidityDate entry extension (§5.3.2): when the key is known or suspected to have been compromised. */
  readonly invalidityDate: number | null;
}

/** What one walk over revokedCertificates found. */
export interface CrlLookup {
  /** The entry for the serial asked about, or null when it is not listed. The first one, if listed twice. */
  readonly entry: RevokedEntry | null;
  /** How many entries the CRL lists. */
  readonly entries: number;
  /**
   * OIDs of critical entry extensions the probe does not understand, in any entry (at most 8 distinct):
   * RFC 5280 §5.3 forbids using such a CRL for any certificate, not only the one whose entry carries them.
   */
  readonly unknownCriticalEntryExtensions: readonly string[];
}

/** The serial's INTEGER content octets without the leading zero octets (X.690 §8.3.2), as `serialHex` compares. */
function serialOctets(serial: string | Uint8Array): Uint8Array {
  let bytes = typeof serial === 'string' ? new Uint8Array(Buffer.from(serial.length % 2 ? `0${serial}` : serial, 'hex')) : serial;
  let start = 0;
  while (start < bytes.byteLength - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.byteLength === 0) throw new TypeError('findRevoked: the serial is empty');
  return bytes;
}

/** reasonCode, holdInstructionCode, invalidityDate: 2.5.29.{21,23,24}, compared as their content octets 55 1D xx. */
function isUnderstoodEntryExtension(der: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 3 || der[start] !== 0x55 || der[start + 1] !== 0x1d) return false;
  const last = der[start + 2];
  return last === 21 || last === 23 || last === 24;
}

function oidText(element: Uint8Array): string {
  const decoded = asn1js.fromBER(toArrayBuffer(element));
  return decoded.result instanceof asn1js.ObjectIdentifier ? decoded.result.valueBlock.toString() : 'unreadable OID';
}

/** crlEntryExtensions in [start, end): each Extension's shape checked, unknown critical ones added to `unknown`. */
function checkEntryExtensions(c: DerCursor, start: number, end: number, unknown: Set<string>): void {
  const der = c.der;
  let pos = start;
  if (pos === end) throw new CrlDecodeError('crlEntryExtensions is empty');
  while (pos < end) {
    const extEnd = c.expect(pos, end, TAG.sequence, 'a crlEntryExtension').end;
    c.expect(c.contentStart, extEnd, TAG.oid, 'crlEntryExtension.extnID');
    const oidStart = c.contentStart;
    const oidEnd = c.end;
    const oidElement = c.start;
    let critical = false;
    c.read(c.end, extEnd, 'crlEntryExtension');
    if (c.tag === TAG.boolean) {
      critical = c.end - c.contentStart === 1 && der[c.contentStart] !== 0;
      c.read(c.end, extEnd, 'crlEntryExtension.extnValue');
    }
    if (c.tag !== TAG.octetString || c.end !== extEnd) throw new CrlDecodeError('a crlEntryExtension is not { extnID, critical, extnValue }');
    if (critical && !isUnderstoodEntryExtension(der, oidStart, oidEnd) && unknown.size < 8) unknown.add(oidText(der.subarray(oidElement, oidEnd)));
    pos = extEnd;
  }
}

/**
 * Look `serial` (hex as in `Cert.serial`, or the INTEGER's content octets) up in the CRL by walking the DER
 * of revokedCertificates entry by entry: read each header, compare the serial's octets in place, skip the
 * rest. O(entries) time, no object per entry (crl-der.ts says why); only the matching entry is decoded, with
 * pkijs. The whole list is walked even after a match, because an unknown critical entry extension anywhere
 * makes the CRL unusable (RFC 5280 §5.3) and the count is reported. Throws CrlDecodeError for a malformed
 * entry: the CRL's framing was checked by `parseCrl`, its entries only here.
 */
export function findRevoked(crl: ParsedCrl, serial: string | Uint8Array): CrlLookup {
  const target = serialOctets(serial);
  const length = target.byteLength;
  const range = crl.revokedCertificates;
  if (!range) return { entry: null, entries: 0, unknownCriticalEntryExtensions: [] };
  const der = crl.der;
  const c = new DerCursor(der);
  const unknown = new Set<string>();
  let entries = 0;
  let match: Uint8Array | null = null;
  let pos = range.start;
  while (pos < range.end) {
    const entryStart = pos;
    const entryEnd = c.expect(pos, range.end, TAG.sequence, 'a revoked certificate entry').end;
    c.expect(c.contentStart, entryEnd, TAG.integer, 'userCertificate');
    if (match === null) {
      let s = c.contentStart;
      while (s < c.end - 1 && der[s] === 0) s++;
      // From the last octet: a CA's serials share their leading octets (a prefix, a counter) and differ at
      // the end. The length is read once: `byteLength` in the loop tripled the walk (1,000,000 entries: 60 ms
      // against 20 ms; 230 ms comparing from the first octet).
      if (c.end - s === length) {
        let i = length - 1;
        while (i >= 0 && der[s + i] === target[i]) i--;
        if (i < 0) match = der.subarray(entryStart, entryEnd);
      }
    }
    const dateTag = c.read(c.end, entryEnd, 'revocationDate').tag;
    if (dateTag !== TAG.utcTime && dateTag !== TAG.generalizedTime) throw new CrlDecodeError('revocationDate is not a UTCTime or GeneralizedTime');
    if (c.end < entryEnd) {
      const extEnd = c.expect(c.end, entryEnd, TAG.sequence, 'crlEntryExtensions').end;
      checkEntryExtensions(c, c.contentStart, extEnd, unknown);
      if (extEnd !== entryEnd) throw new CrlDecodeError('a revoked certificate entry has elements after crlEntryExtensions');
    }
    entries++;
    pos = entryEnd;
  }
  return { entry: match && decodeEntry(match), entries, unknownCriticalEntryExtensions: [...unknown] };
}

/** The one matching entry, decoded with pkijs; asn1js and pkijs throw on some bad values: as CrlDecodeError. */
function decodeEntry(element: Uint8Array): RevokedEntry {
  try {
    return decodeEntryUnsafe(element);
  } catch (error) {
    if (error instanceof CrlDecodeError) throw error;
    throw new CrlDecodeError(`the revoked certificate entry does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function decodeEntryUnsafe(element: Uint8Array): RevokedEntry {
  const entry = new pkijs.RevokedCertificate({ schema: asn1js.fromBER(toArrayBuffer(element)).result });
  let reason: RevocationReason | null = null;
  let invalidityDate: number | null = null;
  for (const ext of entry.crlEntryExtensions?.extensions ?? []) {
    const value = ext.extnValue.valueBlock.valueHexView;
    if (ext.extnID === OID.crlReason) {
      const decoded = asn1js.fromBER(toArrayBuffer(value)).result;
      if (!(decoded instanceof asn1js.Enumerated)) throw new CrlDecodeError('reasonCode is not an ENUMERATED');
      const code = decoded.valueBlock.valueDec;
      reason = REASONS[code] ?? `unknown(${code})`;
    } else if (ext.extnID === OID.invalidityDate) {
      invalidityDate = timeOf(value, 'invalidityDate');
    }
  }
  return {
    serial: serialHex(entry.userCertificate.valueBlock.valueHexView),
    revocationDate: revocationDateOf(entry),
    reason,
    invalidityDate,
  };
}

function revocationDateOf(entry: pkijs.RevokedCertificate): number {
  const ms = entry.revocationDate.value.getTime();
  if (!Number.isFinite(ms)) throw new CrlDecodeError('revocationDate is not a valid time');
  return ms;
}
