/**
 * Revocation through CRLs (issue #22), judged purely: a CRL's bytes, the certificate, its issuer, the URL
 * the CRL came from and `now` in; its problems and the certificate's status out. No fetching here.
 *
 * Entry points: `parseCrl` (crl-parse.ts) frames a CRL without decoding its entries; `findRevoked`
 * (crl-lookup.ts) walks them for one serial; `judgeCrl` does everything for one certificate, and
 * `judgeCrlBytes` starts from the bytes, turning bytes that are no CRL into a problem.
 */
import type { RevocationReason, Severity } from '../types.js';
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
 * What can be wrong with a CRL, or what it says, for one certificate: a union over `code` in the shape of
 * `Problem`, to move into the catalogue (`FindingArgs`, `FINDINGS`, `message.ts`). Args are scalars, as the
 * JSON schema wants; the proposed severity of each is in `CRL_PROBLEM_SEVERITY`. Which of them make the
 * CRL unusable is said per code: an unusable CRL never yields "not revoked".
 */
export type CrlProblem =
  /** The certificate is listed in a CRL that is authentic and covers it. Proposed: critical. */
  | {
      readonly code: 'CRL_REVOKED';
      readonly args: {
        readonly url: Url;
        readonly serial: string;
        readonly revocationDate: string;
        readonly reason: RevocationReason | null;
        readonly invalidityDate: string | null;
      };
    }
  /** The bytes are no CRL: not DER or PEM, truncated, trailing bytes, another structure, a malformed entry. Unusable. Proposed: warn. */
  | { readonly code: 'CRL_NOT_A_CRL'; readonly args: { readonly url: Url; readonly reason: string; readonly length: number } }
  /** The CRL's issuer is not the certificate's issuer: another CA's CRL, or an indirect CRL of a separate CRL issuer. Unusable. Proposed: warn. */
  | { readonly code: 'CRL_ISSUER_MISMATCH'; readonly args: { readonly url: Url; readonly crlIssuer: string; readonly certIssuer: string } }
  /**
   * The signature could not be checked: the issuer certificate is unknown (`no-issuer`), or the one given is
   * not named the CRL's issuer (`issuer-name-differs`). Unusable. Proposed: unknown (as SIGNER_NOT_CHECKED).
   */
  | { readonly code: 'CRL_NOT_VERIFIED'; readonly args: { readonly url: Url; readonly reason: 'no-issuer' | 'issuer-name-differs' } }
  /** The issuer's key does not verify the signature over tbsCertList: forged, damaged, or signed by another key. Unusable. Proposed: warn. */
  | { readonly code: 'CRL_BAD_SIGNATURE'; readonly args: { readonly url: Url; readonly issuer: string; readonly algorithm: string } }
  /** The signature algorithm (or its parameters, or the key's curve) is one WebCrypto cannot verify. Unusable. Proposed: warn. */
  | { readonly code: 'CRL_UNSUPPORTED_ALGORITHM'; readonly args: { readonly url: Url; readonly algorithm: string } }
  /** The issuer certificate's keyUsage lacks cRLSign (RFC 5280 §6.3.3 (f)). Unusable. Proposed: warn. */
  | { readonly code: 'CRL_ISSUER_CANNOT_SIGN_CRLS'; readonly args: { readonly url: Url; readonly issuer: string } }
  /**
   * The CRL's authorityKeyIdentifier differs from the issuer's subjectKeyIdentifier (hex): a CRL of another
   * key of the same CA name. Alone it changes nothing (the signature decides), but explains a bad one. Proposed: info.
   */
  | { readonly code: 'CRL_KEY_ID_MISMATCH'; readonly args: { readonly url: Url; readonly authorityKeyId: string; readonly subjectKeyId: string } }
  /** A critical extension the probe does not understand, of the CRL or of any entry (`scope`). Unusable (§5.2, §5.3). Proposed: warn. */
  | {
      readonly code: 'CRL_UNKNOWN_CRITICAL_EXTENSION';
      readonly args: { readonly url: Url; readonly oid: string; readonly name: string | null; readonly scope: 'crl' | 'entry' };
    }
  /** A delta CRL (deltaCRLIndicator): it lists only changes since its base CRL, and deltas are not supported. Unusable. Proposed: warn. */
  | { readonly code: 'CRL_DELTA'; readonly args: { readonly url: Url; readonly baseCrlNumber: string } }
  /** An indirect CRL (IDP indirectCRL): entries may be about another CA's certificates; not supported. Unusable. Proposed: warn. */
  | { readonly code: 'CRL_INDIRECT'; readonly args: { readonly url: Url } }
  /**
   * The Issuing Distribution Point says the CRL does not cover this certificate: another distribution point
   * (`covers`: the URIs it names, comma-separated), only CA or only end-entity or only attribute
   * certificates. Unusable. Proposed: warn.
   */
  | {
      readonly code: 'CRL_WRONG_SCOPE';
      readonly args: {
        readonly url: Url;
        readonly reason: 'distribution-point' | 'ca-certs-only' | 'user-certs-only' | 'attribute-certs-only';
        readonly covers: string | null;
      };
    }
  /** The CRL covers only some revocation reasons (IDP onlySomeReasons, comma-separated): "not listed" proves nothing. Proposed: warn. */
  | { readonly code: 'CRL_PARTIAL_REASONS'; readonly args: { readonly url: Url; readonly reasons: string } }
  /** thisUpdate is ahead of now by more than the skew. Only a listing still counts. Proposed: warn. */
  | { readonly code: 'CRL_NOT_YET_VALID'; readonly args: { readonly url: Url; readonly thisUpdate: string; readonly aheadSeconds: number } }
  /** now is past nextUpdate by more than the skew: the CA published no newer list, or it was not fetched. Only a listing still counts. Proposed: warn. */
  | { readonly code: 'CRL_EXPIRED'; readonly args: { readonly url: Url; readonly nextUpdate: string; readonly agoSeconds: number } }
  /** Less than the operator's critical threshold remains before nextUpdate. Proposed: critical (the operator asked for it; off by default). */
  | {
      readonly code: 'CRL_EXPIRING_CRITICAL';
      readonly args: { readonly url: Url; readonly nextUpdate: string; readonly remainingSeconds: number; readonly thresholdSeconds: number };
    }
  /** Less than the warning threshold remains before nextUpdate. Usable. Proposed: warn. */
  | {
      readonly code: 'CRL_EXPIRING';
      readonly args: { readonly url: Url; readonly nextUpdate: string; readonly remainingSeconds: number; readonly thresholdSeconds: number };
    }
  /** The CRL has no nextUpdate (RFC 5280 §5.1.2.5 requires one): nobody can tell when it is stale. Usable. Proposed: warn. */
  | { readonly code: 'CRL_NO_NEXT_UPDATE'; readonly args: { readonly url: Url; readonly thisUpdate: string } };

export type CrlProblemCode = CrlProblem['code'];

/** The severity proposed for each code, for the catalogue. */
export const CRL_PROBLEM_SEVERITY = {
  CRL_REVOKED: 'critical',
  CRL_NOT_A_CRL: 'warn',
  CRL_ISSUER_MISMATCH: 'warn',
  CRL_NOT_VERIFIED: 'unknown',
  CRL_BAD_SIGNATURE: 'warn',
  CRL_UNSUPPORTED_ALGORITHM: 'warn',
  CRL_ISSUER_CANNOT_SIGN_CRLS: 'warn',
  CRL_KEY_ID_MISMATCH: 'info',
  CRL_UNKNOWN_CRITICAL_EXTENSION: 'warn',
  CRL_DELTA: 'warn',
  CRL_INDIRECT: 'warn',
  CRL_WRONG_SCOPE: 'warn',
  CRL_PARTIAL_REASONS: 'warn',
  CRL_NOT_YET_VALID: 'warn',
  CRL_EXPIRED: 'warn',
  CRL_EXPIRING_CRITICAL: 'critical',
  CRL_EXPIRING: 'warn',
  CRL_NO_NEXT_UPDATE: 'warn',
} as const satisfies Record<CrlProblemCode, Severity>;

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
