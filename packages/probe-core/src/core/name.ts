import type * as pkijs from 'pkijs';
import * as asn1js from 'asn1js';

const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function attributeText(value: unknown): string {
  if (value && typeof value === 'object' && 'valueBlock' in value) {
    const block = (value as { valueBlock: { value?: unknown } }).valueBlock;
    if (typeof block.value === 'string') return block.value;
  }
  if (value instanceof asn1js.BaseBlock) return `#${Buffer.from(value.toBER()).toString('hex')}`;
  return String(value);
}

function escape(text: string): string {
  return text
    .replace(/([,+"\\<>;=])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}

/** A distinguished name as RFC 4514 text, most significant RDN last (the order openssl -nameopt RFC2253 uses). */
export function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => `${SHORT[tv.type] ?? tv.type}=${escape(attributeText(tv.value))}`)
    .reverse()
    .join(',');
}

/**
 * The DER of a Name exactly as it was encoded where it was read. pkijs keeps those bytes for a parsed Name;
 * its toSchema() re-parses them and encodes them again (0.27 ms per Name, twice per certificate). A Name built
 * in code, with no such bytes, is encoded.
 */
export function nameDer(name: pkijs.RelativeDistinguishedNames): Uint8Array {
  const original = name.valueBeforeDecode;
  return original.byteLength > 0 ? new Uint8Array(original) : new Uint8Array(name.toSchema().toBER());
}
