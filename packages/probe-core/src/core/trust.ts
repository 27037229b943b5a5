import type { Location } from '../types.js';
import { type PlacedProblem, placed } from './problem.js';
import type { AttemptView } from './views.js';

const AUTH_EXPIRED = new Set(['CERT_HAS_EXPIRED']);
const AUTH_NOT_YET = new Set(['CERT_NOT_YET_VALID']);
const AUTH_MISSING_ISSUER = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);

/**
 * OpenSSL's verdict on the chain one handshake served, and the name check, as certificate problems seen at
 * `{ ...at, tlsVersion }`.
 */
export function trustProblems(attempt: AttemptView, servername: string | null, at: Location): PlacedProblem[] {
  const o = attempt.outcome;
  if (!o.ok) return [];
  const where: Location = { ...at, tlsVersion: attempt.tlsVersion };
  const problems: PlacedProblem[] = [];
  const error = o.authorizationError;
  if (error) {
    if (AUTH_EXPIRED.has(error)) problems.push(placed({ code: 'CERT_EXPIRED', args: { error } }, where));
    else if (AUTH_NOT_YET.has(error)) problems.push(placed({ code: 'CERT_NOT_YET_VALID', args: { error } }, where));
    // A missing intermediate that AIA supplied is the incomplete chain already reported, not a distrust.
    else if (!(AUTH_MISSING_ISSUER.has(error) && attempt.certificate?.choice.source === 'aia')) {
      problems.push(placed({ code: 'CERT_UNTRUSTED', args: { error } }, where));
    }
  }
  if (o.nameError) problems.push(placed({ code: 'CERT_NAME_MISMATCH', args: { servername, message: o.nameError } }, where));
  return problems;
}
