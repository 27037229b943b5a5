import { equalBytes } from './bytes.js';
import { type Cert, issuerNameHash, keyHash, subjectNameHash } from './certificate.js';
import type { ParsedCertId, ParsedSingleResponse } from './decode.js';
import { hashForOid } from './oids.js';

/** What is known about the certificate a response should be for. Either part may be missing (offline inspect). */
export interface Subject {
  readonly leaf: Cert | null;
  readonly issuer: Cert | null;
}

export type CertIdMatch =
  | { readonly match: 'full' }
  /** Everything that could be compared matched; `unchecked` names what could not be. */
  | { readonly match: 'partial'; readonly unchecked: readonly ('serial' | 'issuerNameHash' | 'issuerKeyHash')[] }
  | { readonly match: 'none'; readonly mismatched: readonly ('serial' | 'issuerNameHash' | 'issuerKeyHash' | 'hashAlgorithm')[] };

/**
 * Compare one CertID with the certificate (RFC 6960 §4.1.1): serial AND issuerNameHash AND issuerKeyHash,
 * each hash computed with the algorithm the responder chose.
 */
export function matchCertId(certId: ParsedCertId, subject: Subject): CertIdMatch {
  const hash = hashForOid(certId.hashAlgorithmOid);
  const mismatched: ('serial' | 'issuerNameHash' | 'issuerKeyHash' | 'hashAlgorithm')[] = [];
  const unchecked: ('serial' | 'issuerNameHash' | 'issuerKeyHash')[] = [];
  if (subject.leaf) {
    if (subject.leaf.serial !== certId.serial) mismatched.push('serial');
  } else unchecked.push('serial');
  // The name hashed is the issuer field of the certificate being checked, which equals the issuer's subject.
  // Both hashes are memoized per certificate (certificate.ts), as every staple of a run is matched against them.
  if (!hash) {
    mismatched.push('hashAlgorithm');
  } else {
    const nameHash = subject.leaf ? issuerNameHash(subject.leaf, hash) : subject.issuer ? subjectNameHash(subject.issuer, hash) : null;
    if (nameHash) {
      if (!equalBytes(nameHash, certId.issuerNameHash)) mismatched.push('issuerNameHash');
    } else unchecked.push('issuerNameHash');
    if (subject.issuer) {
      if (!equalBytes(keyHash(subject.issuer, hash), certId.issuerKeyHash)) mismatched.push('issuerKeyHash');
    } else unchecked.push('issuerKeyHash');
  }
  if (mismatched.length > 0) return { match: 'none', mismatched };
  if (unchecked.length > 0) return { match: 'partial', unchecked };
  return { match: 'full' };
}

/**
 * The SingleResponse that speaks for our certificate: the first full match, else (when the subject is only
 * partly known) the first partial match. Null when none can be ours.
 */
export function findOurResponse(responses: readonly ParsedSingleResponse[], subject: Subject): { response: ParsedSingleResponse; match: CertIdMatch } | null {
  let partial: { response: ParsedSingleResponse; match: CertIdMatch } | null = null;
  for (const response of responses) {
    const match = matchCertId(response.certId, subject);
    if (match.match === 'full') return { response, match };
    if (match.match === 'partial' && !partial) partial = { response, match };
  }
  return partial;
}

/**
 * When no SingleResponse is ours: the first one that could still be, but for a CertID hashed with an algorithm
 * this probe cannot compute (its serial is the leaf's, or the leaf is not known). Such a response is not shown
 * to be for another certificate, only not shown to be for this one. A CertID whose serial differs is another
 * certificate's whatever its hash.
 */
export function findUnknownHashResponse(responses: readonly ParsedSingleResponse[], subject: Subject): ParsedSingleResponse | null {
  for (const response of responses) {
    const match = matchCertId(response.certId, subject);
    if (match.match === 'none' && match.mismatched.length === 1 && match.mismatched[0] === 'hashAlgorithm') return response;
  }
  return null;
}
