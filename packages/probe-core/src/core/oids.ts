/** Names for the object identifiers that appear in OCSP responses and certificates. */
export const OID = {
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspCrlId: '1.3.6.1.5.5.7.48.1.3',
  ocspArchiveCutoff: '1.3.6.1.5.5.7.48.1.6',
  ocspServiceLocator: '1.3.6.1.5.5.7.48.1.7',
  ocspExtendedRevoke: '1.3.6.1.5.5.7.48.1.9',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  crlReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  keyUsage: '2.5.29.15',
  issuerAltName: '2.5.29.18',
  crlNumber: '2.5.29.20',
  holdInstructionCode: '2.5.29.23',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  freshestCrl: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  tlsFeature: '1.3.6.1.5.5.7.1.24',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  ctSctList: '1.3.6.1.4.1.11129.2.4.5',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

const NAMES: Record<string, string> = {
  [OID.ocspNonce]: 'ocspNonce',
  [OID.ocspCrlId]: 'ocspCrlId',
  [OID.ocspArchiveCutoff]: 'ocspArchiveCutoff',
  [OID.ocspServiceLocator]: 'ocspServiceLocator',
  [OID.ocspExtendedRevoke]: 'ocspExtendedRevoke',
  [OID.crlReason]: 'crlReason',
  [OID.invalidityDate]: 'invalidityDate',
  [OID.authorityKeyIdentifier]: 'authorityKeyIdentifier',
  [OID.authorityInfoAccess]: 'authorityInfoAccess',
  [OID.issuerAltName]: 'issuerAltName',
  [OID.crlNumber]: 'crlNumber',
  [OID.holdInstructionCode]: 'holdInstructionCode',
  [OID.deltaCrlIndicator]: 'deltaCRLIndicator',
  [OID.issuingDistributionPoint]: 'issuingDistributionPoint',
  [OID.certificateIssuer]: 'certificateIssuer',
  [OID.freshestCrl]: 'freshestCRL',
  [OID.ctSctList]: 'ctSignedCertificateTimestampList',
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
  // Hashes a CertID may name that the probe does not compute (OpenSSL's short names), for STAPLE_CERTID_UNKNOWN_HASH.
  '1.2.840.113549.2.2': 'md2',
  '1.2.840.113549.2.5': 'md5',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.5': 'sha512-224',
  '2.16.840.1.101.3.4.2.6': 'sha512-256',
  '2.16.840.1.101.3.4.2.7': 'sha3-224',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
  '2.16.840.1.101.3.4.2.11': 'shake128',
  '2.16.840.1.101.3.4.2.12': 'shake256',
  '1.3.36.3.2.1': 'ripemd160',
  '1.2.156.10197.1.401': 'sm3',
  '1.2.643.7.1.1.2.2': 'md_gost12_256',
  '1.2.643.7.1.1.2.3': 'md_gost12_512',
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

export function oidName(oid: string): string | null {
  return NAMES[oid] ?? null;
}

/**
 * Extensions a client is expected to understand. A critical extension outside these sets makes the
 * response unacceptable (RFC 5280 §4.2, applied to OCSP by RFC 6960 §4.4).
 */
export const UNDERSTOOD_RESPONSE_EXTENSIONS: ReadonlySet<string> = new Set([OID.ocspNonce, OID.ocspExtendedRevoke]);

/** RFC 6960 §4.4 single extensions, CRL entry extensions (§4.4.5) and RFC 6962 SCTs. */
export const UNDERSTOOD_SINGLE_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.ocspCrlId,
  OID.ocspArchiveCutoff,
  OID.crlReason,
  OID.invalidityDate,
  '2.5.29.29',
  OID.ctSctList,
]);

/**
 * CRL extensions (RFC 5280 §5.2) the CRL judgement reads or may ignore. deltaCRLIndicator is read only to
 * refuse the delta CRL; freshestCRL only points at delta CRLs, which the probe does not fetch: the complete
 * CRL stays valid on its own. A critical extension outside this set makes the CRL unusable (§5.2).
 */
export const UNDERSTOOD_CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.authorityKeyIdentifier,
  OID.issuerAltName,
  OID.crlNumber,
  OID.deltaCrlIndicator,
  OID.issuingDistributionPoint,
  OID.freshestCrl,
  OID.authorityInfoAccess,
]);

/**
 * CRL entry extensions (RFC 5280 §5.3) the lookup reads or may ignore. certificateIssuer is not among them:
 * it belongs to indirect CRLs, whose entries may be about another CA's certificates, which the probe does
 * not support; it is always critical, so such a CRL is reported as unusable.
 */
export const UNDERSTOOD_CRL_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([OID.crlReason, OID.invalidityDate, OID.holdInstructionCode]);

const HASHES: Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512'> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

export function hashForOid(oid: string): 'sha1' | 'sha256' | 'sha384' | 'sha512' | null {
  return HASHES[oid] ?? null;
}
