/**
 * DER headers read in place, for the one structure asn1js cannot be given whole: a CRL.
 *
 * Why not asn1js here: `asn1js.fromBER` builds a JavaScript object for every TLV it meets, and a CRL of a
 * million entries holds about five million of them (entry, serial, date, extensions, extension), several
 * hundred bytes of heap each: gigabytes for a 40 MB file, and seconds of work, to answer "is this one serial
 * listed". RFC 5280 §5.1 fixes the shape of a CertificateList, so its framing (where tbsCertList, the
 * signature and the revokedCertificates SEQUENCE begin and end) can be found by reading tags and lengths
 * only, and the entries walked the same way. Everything small (names, times, algorithm identifiers,
 * extensions, the one entry that matches) is still decoded by asn1js and pkijs.
 */

/** The bytes are not a CRL, or not one this probe can read. Turned into a finding, never shown raw. */
export class CrlDecodeError extends Error {
  override readonly name = 'CrlDecodeError';
}

/** DER tags (X.690 §8.1.2) the CRL framing uses: universal class, and the context-specific [0] of crlExtensions. */
export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  enumerated: 0x0a,
  sequence: 0x30,
  utcTime: 0x17,
  generalizedTime: 0x18,
  extensions: 0xa0,
} as const;

/**
 * A reader of one TLV header at a time over `der`, reused for every element so that a walk over a million
 * entries allocates nothing per entry. After `read`, `tag`, `contentStart` and `end` describe the element.
 */
export class DerCursor {
  tag = 0;
  start = 0;
  contentStart = 0;
  end = 0;

  constructor(readonly der: Uint8Array) {}

  /**
   * Read the header at `pos`; the element must end by `limit`. Only DER is accepted: a definite length
   * (X.690 §10.1) of at most 4 octets (4 GiB, more than any CRL this probe holds), a one-octet tag.
   */
  read(pos: number, limit: number, what: string): this {
    const der = this.der;
    if (pos + 2 > limit) throw new CrlDecodeError(`${what} is truncated`);
    const tag = der[pos] as number;
    if ((tag & 0x1f) === 0x1f) throw new CrlDecodeError(`${what} has a multi-octet tag`);
    let length = der[pos + 1] as number;
    let contentStart = pos + 2;
    if (length === 0x80) throw new CrlDecodeError(`${what} has an indefinite length, which DER forbids`);
    if (length > 0x80) {
      const octets = length & 0x7f;
      if (octets > 4) throw new CrlDecodeError(`${what} has a ${octets}-octet length`);
      if (contentStart + octets > limit) throw new CrlDecodeError(`${what} is truncated`);
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + (der[contentStart + i] as number);
      contentStart += octets;
    }
    const end = contentStart + length;
    if (end > limit) throw new CrlDecodeError(`${what} is truncated: ${end - limit} bytes missing`);
    this.tag = tag;
    this.start = pos;
    this.contentStart = contentStart;
    this.end = end;
    return this;
  }

  /** `read`, and the element must carry `tag`. */
  expect(pos: number, limit: number, tag: number, what: string): this {
    this.read(pos, limit, what);
    if (this.tag !== tag) throw new CrlDecodeError(`${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(this.tag)}`);
    return this;
  }

  /** The whole element last read (header and contents), as a view over `der`. */
  element(): Uint8Array {
    return this.der.subarray(this.start, this.end);
  }

  /** The contents of the element last read, as a view over `der`. */
  contents(): Uint8Array {
    return this.der.subarray(this.contentStart, this.end);
  }
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
