/**
 * Revocation through CRLs (issue #22), judged purely: a CRL's bytes, the certificate, its issuer, the URL
 * the CRL came from and `now` in; its problems and the certificate's status out. No fetching here.
 *
 * Entry points: `parseCrl` (crl-parse.ts) frames a CRL without decoding its entries; `findRevoked`
 * (crl-lookup.ts) walks them for one serial; `judgeCrl` does everything for one certificate, and
 * `judgeCrlBytes` starts from the bytes, turning bytes that are no CRL into a problem.
 */
import type { Problem } from './problem.js';
import type { Cert } from './certificate.js';
import { CrlDecodeError } from './crl-der.js';
import { findRevoked, type CrlLookup, type RevokedEntry } from './crl-lookup.js';
import { parseCrl, type ParsedCrl } from './crl-parse.js';
import { checkAuthenticity, checkCrlFreshness, checkExtensions, checkScope } from './crl-scope.js';
import type { FreshnessPolicy } from './freshness.js';
import { SignatureVerifier } from './signature.js';

export { CrlDecodeError } from './crl-der.js';
export { findRevoked, type CrlLookup, type RevokedEntry } from './crl-lookup.js';
export { parseCrl, readCrl, type IssuingDistributionPoint, type ParsedCrl, type ReasonFlag } from './crl-parse.js';

/** The URL the CRL was fetched from; null for a CRL judged offline (`probe inspect site.crl`). */
type Url = string | null;

/**
 * What can be wrong with a CRL, or what it says, for one certificate: the `CRL_*` problems of `judgeCrl` (their
 * args are `FindingArgs`; wording in message.ts, severity and hint in the catalogue). Which of them make the
 * CRL unusable is below: an unusable CRL never yields "not revoked".
 */
export type CrlProblemCode =
  | 'CRL_REVOKED'
  | 'CRL_NOT_A_CRL'
  | 'CRL_ISSUER_MISMATCH'
  | 'CRL_NOT_VERIFIED'
  | 'CRL_BAD_SIGNATURE'
  | 'CRL_UNSUPPORTED_ALGORITHM'
  | 'CRL_ISSUER_CANNOT_SIGN_CRLS'
  | 'CRL_KEY_ID_MISMATCH'
  | 'CRL_UNKNOWN_CRITICAL_EXTENSION'
  | 'CRL_DELTA'
  | 'CRL_INDIRECT'
  | 'CRL_WRONG_SCOPE'
  | 'CRL_PARTIAL_REASONS'
  | 'CRL_NOT_YET_VALID'
  | 'CRL_EXPIRED'
  | 'CRL_EXPIRING_CRITICAL'
  | 'CRL_EXPIRING'
  | 'CRL_NO_NEXT_UPDATE';

export type CrlProblem = Problem<CrlProblemCode>;

/** Problems after which nothing the CRL says about this certificate can be believed, a listing included. */
const UNTRUSTED: ReadonlySet<CrlProblemCode> = new Set<CrlProblemCode>([
  'CRL_NOT_A_CRL',
  'CRL_ISSUER_MISMATCH',
  'CRL_NOT_VERIFIED',
  'CRL_BAD_SIGNATURE',
  'CRL_UNSUPPORTED_ALGORITHM',
  'CRL_ISSUER_CANNOT_SIGN_CRLS',
  'CRL_UNKNOWN_CRITICAL_EXTENSION',
  'CRL_DELTA',
  'CRL_INDIRECT',
  'CRL_WRONG_SCOPE',
]);

/**
 * Problems after which an authentic CRL still proves a revocation (revocation is final, RFC 5280 §3.3,
 * except certificateHold), but its silence proves nothing: it is out of date, or covers only some reasons.
 */
const INCOMPLETE: ReadonlySet<CrlProblemCode> = new Set<CrlProblemCode>(['CRL_EXPIRED', 'CRL_NOT_YET_VALID', 'CRL_PARTIAL_REASONS']);

/** What `judgeCrl` needs besides the CRL; the times are those of staples (`FreshnessPolicy`). */
export interface CrlContext extends FreshnessPolicy {
  /** The certificate whose revocation is asked about (a leaf, or an intermediate in its parent's CRL). */
  readonly leaf: Cert;
  /** The certificate's issuer, whose key must have signed the CRL; null when it is not known. */
  readonly issuer: Cert | null;
  /** The URL the CRL was fetched from (one of `leaf.crlUrls`); null for a CRL judged offline. */
  readonly url: string | null;
  /** One per run, as for OCSP: it caches imported keys and results. A fresh one when absent. */
  readonly verifier?: SignatureVerifier;
}

/**
 * One CRL judged for one certificate. `status`: `revoked` (listed in an authentic CRL that covers the
 * certificate), `not-listed` (absent from an authentic, complete, current CRL that covers it), or `unusable`
 * (anything else: `problems` says why). Only `not-listed` may be reported as "ok, not revoked".
 */
export interface CrlJudgement {
  readonly status: 'revoked' | 'not-listed' | 'unusable';
  readonly problems: readonly CrlProblem[];
  /** The certificate's entry when `status` is `revoked`; null otherwise, even if an untrusted CRL lists it. */
  readonly revoked: RevokedEntry | null;
  /** The CRL's times and size; null when the bytes were no CRL. */
  readonly thisUpdate: number | null;
  readonly nextUpdate: number | null;
  readonly crlNumber: string | null;
  /** Entries the CRL lists; null when they could not be walked (or the bytes were no CRL). */
  readonly entries: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Problems of the walk itself: unknown critical entry extensions anywhere in the list. */
function lookupProblems(lookup: CrlLookup, url: Url): CrlProblem[] {
  return lookup.unknownCriticalEntryExtensions.map((oid) => ({
    code: 'CRL_UNKNOWN_CRITICAL_EXTENSION' as const,
    args: { url, oid, name: oid === '2.5.29.29' ? 'certificateIssuer' : null, scope: 'entry' as const },
  }));
}

function walk(crl: ParsedCrl, serial: string, url: Url): { lookup: CrlLookup | null; problems: CrlProblem[] } {
  try {
    const lookup = findRevoked(crl, serial);
    return { lookup, problems: lookupProblems(lookup, url) };
  } catch (error) {
    if (!(error instanceof CrlDecodeError)) throw error;
    return { lookup: null, problems: [{ code: 'CRL_NOT_A_CRL', args: { url, reason: error.message, length: crl.der.byteLength } }] };
  }
}

/**
 * Judge one parsed CRL for `ctx.leaf` (RFC 5280 §6.3.3, without delta or indirect CRLs): whose it is and its
 * signature over tbsCertList as received, its critical extensions, its scope, its times, then the serial's
 * entry. Every problem is reported, not the first. Pure: no I/O, `ctx.now` is the clock.
 */
export async function judgeCrl(crl: ParsedCrl, ctx: CrlContext): Promise<CrlJudgement> {
  const { leaf, url } = ctx;
  const problems: CrlProblem[] = [
    ...(await checkAuthenticity(crl, leaf, ctx.issuer, url, ctx.verifier ?? new SignatureVerifier())),
    ...checkExtensions(crl, url),
    ...checkScope(crl, leaf, url),
    ...checkCrlFreshness(crl, url, ctx),
  ];
  const { lookup, problems: walked } = walk(crl, leaf.serial, url);
  problems.push(...walked);
  const untrusted = problems.some((p) => UNTRUSTED.has(p.code));
  const incomplete = problems.some((p) => INCOMPLETE.has(p.code));
  const entry = lookup?.entry ?? null;
  // A hold may have been lifted since a CRL that is out of date was issued (§5.3.1): only a current one shows it.
  const listed = entry !== null && !untrusted && !(entry.reason === 'certificateHold' && problems.some((p) => p.code === 'CRL_EXPIRED'));
  let status: CrlJudgement['status'] = 'unusable';
  if (listed) status = 'revoked';
  else if (lookup && !entry && !untrusted && !incomplete) status = 'not-listed';
  if (status === 'revoked' && entry) {
    problems.unshift({
      code: 'CRL_REVOKED',
      args: {
        url,
        serial: entry.serial,
        revocationDate: iso(entry.revocationDate),
        reason: entry.reason,
        invalidityDate: entry.invalidityDate === null ? null : iso(entry.invalidityDate),
      },
    });
  }
  return {
    status,
    problems,
    revoked: status === 'revoked' ? entry : null,
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    crlNumber: crl.crlNumber,
    entries: lookup?.entries ?? null,
  };
}

/** `judgeCrl` from the bytes (DER or PEM): bytes that are no CRL give an unusable judgement with CRL_NOT_A_CRL. */
export async function judgeCrlBytes(bytes: Uint8Array, ctx: CrlContext): Promise<CrlJudgement> {
  let crl: ParsedCrl;
  try {
    crl = parseCrl(bytes);
  } catch (error) {
    if (!(error instanceof CrlDecodeError)) throw error;
    return {
      status: 'unusable',
      problems: [{ code: 'CRL_NOT_A_CRL', args: { url: ctx.url, reason: error.message, length: bytes.byteLength } }],
      revoked: null,
      thisUpdate: null,
      nextUpdate: null,
      crlNumber: null,
      entries: null,
    };
  }
  return judgeCrl(crl, ctx);
}
