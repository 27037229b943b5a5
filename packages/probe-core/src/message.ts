import type { FindingCode } from './findings.js';
import type { FindingArgs, Location } from './types.js';

function duration(seconds: number): string {
  const s = Math.abs(seconds);
  if (!Number.isFinite(s)) return '?';
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86400).toFixed(1)}d`;
}

/** "1 byte", "8 bytes". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "the first handshake", "the first 3 handshakes". */
function firstHandshakes(n: number): string {
  return n === 1 ? 'the first handshake' : `the first ${n} handshakes`;
}

/** Time left before nextUpdate; just past it (inside the skew allowance) is said as such. */
function remaining(a: FindingArgs['STAPLE_EXPIRING' | 'STAPLE_EXPIRING_CRITICAL']): string {
  return a.remainingSeconds < 0
    ? `nextUpdate ${a.nextUpdate} passed ${duration(a.remainingSeconds)} ago, inside the clock-skew allowance`
    : `only ${duration(a.remainingSeconds)} left before nextUpdate ${a.nextUpdate}`;
}

/** The CRL's time left and the threshold it is under; just past nextUpdate (inside the skew allowance) is said as such. */
function crlRemaining(a: FindingArgs['CRL_EXPIRING' | 'CRL_EXPIRING_CRITICAL'], level: 'warning' | 'critical'): string {
  const left =
    a.remainingSeconds < 0
      ? `the CRL's nextUpdate ${a.nextUpdate} passed ${duration(a.remainingSeconds)} ago, inside the clock-skew allowance`
      : `the CRL has only ${duration(a.remainingSeconds)} left before nextUpdate ${a.nextUpdate}`;
  return `${left} (${level} below ${duration(a.thresholdSeconds)})`;
}

const MESSAGES: { readonly [C in FindingCode]: (a: FindingArgs[C]) => string } = {
  STAPLE_MISSING: (a) =>
    `the server sent no OCSP staple in any handshake${a.liveResponder === 'ok' ? "; the CA's responder answers, so the server could fetch one" : ''}`,
  STAPLE_MISSING_MUST_STAPLE: () => 'the certificate is must-staple (RFC 7633) but the server sent no OCSP staple',
  STAPLE_LAZY_MUST_STAPLE: (a) =>
    `no staple on ${firstHandshakes(a.handshakesWithout)} of a must-staple certificate: strict clients fail until the server has fetched`,
  STAPLE_LAZY: (a) =>
    `no staple on ${firstHandshakes(a.handshakesWithout)}; the staple first appeared on TLS ${a.tlsVersion} attempt ${a.attempt}: the server fetches OCSP lazily`,
  STAPLE_INTERMITTENT: () => 'a handshake came without a staple after an earlier one had it',
  STAPLE_MISSING_ON_VERSION: (a) => `TLS ${a.tlsVersion} handshakes carried no staple while the other version did`,
  STAPLE_MALFORMED: (a) => `stapled response (${a.length} bytes) does not decode: ${a.reason}`,
  STAPLE_TRAILING_DATA: (a) => `${count(a.bytes, 'byte')} ${a.bytes === 1 ? 'follows' : 'follow'} the DER OCSP response`,
  STAPLE_ERROR_STATUS: (a) => `the staple is an OCSP error response: ${a.status} (${a.statusCode}), with no certificate status`,
  STAPLE_UNSUPPORTED_TYPE: (a) => `responseType ${a.responseType ?? '(none)'} is not id-pkix-ocsp-basic`,
  STAPLE_UNKNOWN_CRITICAL_EXTENSION: (a) => `critical ${a.scope} extension ${a.name ?? a.oid}${a.name ? ` (${a.oid})` : ''} is not understood`,
  STAPLE_CERTID_MISMATCH: (a) =>
    `no SingleResponse matches the certificate${a.expectedSerial ? ` (serial ${a.expectedSerial})` : ''}; the response covers serial ${a.stapledSerials}${a.responses > 3 ? ', …' : ''} (${a.hashAlgorithm} CertID${a.mismatched ? `; differs in ${a.mismatched}` : ''})`,
  STAPLE_CERTID_UNKNOWN_HASH: (a) =>
    `the CertID for serial ${a.serial} is hashed with ${a.hashAlgorithm ? `${a.hashAlgorithm} (${a.hashAlgorithmOid})` : a.hashAlgorithmOid}, which the probe cannot compute: the response cannot be matched to the certificate`,
  STAPLE_CERTID_NOT_CHECKED: (a) => `CertID matched in part; not compared: ${a.unchecked}`,
  STAPLE_REVOKED: (a) =>
    `certificate serial ${a.serial} is REVOKED since ${a.revocationTime}${a.revocationReason ? `, reason ${a.revocationReason}` : ', no reason given'}`,
  STAPLE_STATUS_UNKNOWN: (a) => `the responder answered "unknown" for serial ${a.serial}`,
  STAPLE_EXPIRED: (a) => `the staple expired ${duration(a.agoSeconds)} ago (nextUpdate ${a.nextUpdate})`,
  STAPLE_EXPIRING_CRITICAL: (a) => `${remaining(a)} (critical below ${duration(a.thresholdSeconds)})`,
  STAPLE_EXPIRING: (a) => `${remaining(a)} (warning below ${duration(a.thresholdSeconds)})`,
  STAPLE_NOT_YET_VALID: (a) => `thisUpdate ${a.thisUpdate} is ${duration(a.aheadSeconds)} in the future`,
  STAPLE_NO_NEXT_UPDATE: (a) => `the response has no nextUpdate (thisUpdate ${a.thisUpdate}); it never expires`,
  STAPLE_PRODUCED_IN_FUTURE: (a) => `producedAt ${a.producedAt} is ${duration(a.aheadSeconds)} in the future`,
  STAPLE_PRODUCED_BEFORE_THIS_UPDATE: (a) => `producedAt ${a.producedAt} is before thisUpdate ${a.thisUpdate}`,
  SIGNER_NOT_CHECKED: (a) =>
    a.reason === 'issuer-not-found'
      ? 'the issuer certificate was found nowhere (served chain, --ca-file, AIA caIssuers), so the signature was not checked (give it with --issuer)'
      : a.reason === 'issuer-unparseable'
        ? 'the issuer certificate does not parse, so the signature was not checked'
        : a.reason === 'issuer-mismatch'
          ? 'the issuer certificate did not sign the leaf, so the signature was not checked against it'
          : 'no issuer certificate given, so the signature was not checked; everything else was (add --issuer)',
  SIGNER_NOT_FOUND: (a) => `no available certificate matches the ResponderID or verifies the signature (issuer + ${a.embeddedCerts} embedded)`,
  SIGNER_BAD_SIGNATURE: (a) => `the ${a.algorithm} signature does not verify with the key of ${a.signer}`,
  SIGNER_UNSUPPORTED_ALGORITHM: (a) => `the response is signed with ${a.algorithm}, which cannot be verified`,
  SIGNER_RESPONDER_ID_MISMATCH: (a) => `signed by ${a.signer}, but the ResponderID names another responder`,
  SIGNER_DELEGATE_NO_EKU: (a) => `delegated responder ${a.signer} lacks extendedKeyUsage id-kp-OCSPSigning`,
  SIGNER_DELEGATE_FOREIGN: (a) => `delegated responder ${a.signer} was issued by ${a.signerIssuer}, not by the certificate issuer ${a.issuer}`,
  SIGNER_DELEGATE_BAD_CERT_SIGNATURE: (a) => `the certificate of delegated responder ${a.signer} does not verify with the issuer key`,
  SIGNER_DELEGATE_NOT_VALID: (a) =>
    `delegated responder ${a.signer} is not valid at ${a.at === 'now' ? 'the time of the check' : 'producedAt'} (valid ${a.notBefore} to ${a.notAfter})`,
  LIVE_UNREACHABLE: (a) => `the OCSP responder ${a.url} is unreachable: ${a.message}`,
  LIVE_TIMEOUT: (a) => `the OCSP responder ${a.url} timed out: ${a.message}`,
  LIVE_HTTP_ERROR: (a) => `the OCSP responder ${a.url} answered HTTP ${a.status}`,
  LIVE_NOT_OCSP: (a) => `the OCSP responder ${a.url} answered ${a.length} bytes of ${a.contentType ?? 'untyped content'}, not an OCSP response`,
  LIVE_TOO_LARGE: (a) => `the answer of ${a.url} is too large: ${a.message}`,
  LIVE_REDIRECT_REFUSED: (a) => `redirect from ${a.url} not followed: ${a.message}`,
  LIVE_REDIRECTED: (a) =>
    `the OCSP responder ${a.url} answered only after ${a.redirects === 1 ? 'a redirect' : `${a.redirects} redirects`}, from ${a.finalUrl}`,
  LIVE_MALFORMED: (a) => `the answer of ${a.url} does not decode: ${a.reason}`,
  LIVE_ERROR_STATUS: (a) => `the OCSP responder ${a.url} answered with error status ${a.status} (${a.statusCode})`,
  LIVE_INVALID: (a) => `the live answer of ${a.url} fails a check: ${a.message}`,
  LIVE_NONCE_MISMATCH: (a) => `the live answer of ${a.url} carries a nonce other than the one sent`,
  LIVE_REVOKED: (a) =>
    `the CA's responder says serial ${a.serial} is REVOKED since ${a.revocationTime}${a.revocationReason ? `, reason ${a.revocationReason}` : ''}`,
  LIVE_STATUS_UNKNOWN: (a) => `the CA's responder ${a.url} answers "unknown" for serial ${a.serial}`,
  LIVE_NOT_QUERIED: (a) => `the CA's responder was not asked: ${a.reason === 'no-issuer' ? 'the issuer certificate was not found' : a.reason}`,
  COMPARE_STAPLE_GOOD_LIVE_REVOKED: (a) => `the server staples "good" (thisUpdate ${a.stapleThisUpdate}) but the CA says revoked since ${a.revocationTime}`,
  COMPARE_STATUS_DIFFERS: (a) => `the staple says ${a.staple}, the CA says ${a.live} now`,
  COMPARE_STAPLE_STALE: (a) =>
    `the staple (thisUpdate ${a.stapleThisUpdate}) is ${duration(a.behindSeconds)} behind the CA's current answer (thisUpdate ${a.liveThisUpdate})`,
  COMPARE_SIGNER_DIFFERS: (a) => `the staple is signed by ${a.staple}, the live answer by ${a.live}`,
  COMPARE_ADDRESSES_DISAGREE: (a) => `addresses disagree on ${a.aspect}: ${a.detail}`,
  COMPARE_CERTIFICATES_DISAGREE: (a) => `the server's certificates disagree on ${a.aspect}: ${a.detail}`,
  CERT_NO_OCSP_URL: (a) => `the certificate has no OCSP URL, so no staple is expected${a.crlUrls ? `; revocation is published at ${a.crlUrls}` : ''}`,
  CERT_CHAIN_INCOMPLETE: (a) => `the server does not send the issuer ${a.issuer}; it was fetched from ${a.url}`,
  CERT_ISSUER_FETCH_FAILED: (a) => `the issuer could not be downloaded from ${a.url}: ${a.reason}`,
  CERT_UNTRUSTED: (a) => `the served chain does not validate: ${a.error}`,
  CERT_EXPIRED: (a) => `a certificate in the served chain has expired (${a.error})`,
  CERT_NOT_YET_VALID: (a) => `a certificate in the served chain is not yet valid (${a.error})`,
  CERT_NAME_MISMATCH: (a) => `the certificate does not match ${a.servername}: ${a.message}`,
  CERT_MUST_STAPLE: () => 'the certificate is must-staple (TLS feature status_request)',
  CERT_ISSUER_MISMATCH: (a) =>
    `${a.source === 'given' ? 'the --issuer certificate' : 'the served chain certificate'} ${a.issuer} does not verify the leaf's signature (leaf issuer ${a.leafIssuer})`,
  CERT_UNPARSEABLE: (a) => `the ${a.role} certificate does not parse: ${a.reason}`,
  CRL_REVOKED: (a) =>
    `the CRL${a.url ? ` at ${a.url}` : ''} lists serial ${a.serial} as REVOKED since ${a.revocationDate}${a.reason ? `, reason ${a.reason}` : ', no reason given'}`,
  CRL_NOT_LISTED: (a) => `not listed in the CRL${a.url ? ` at ${a.url}` : ''} (${a.entries} entries)${a.nextUpdate ? `, next update ${a.nextUpdate}` : ''}`,
  CRL_UNREACHABLE: (a) => `the CRL at ${a.url} is unreachable: ${a.message}`,
  CRL_TIMEOUT: (a) => `the CRL at ${a.url} timed out: ${a.message}`,
  CRL_HTTP_ERROR: (a) => `the CRL URL ${a.url} answered HTTP ${a.status}`,
  CRL_TOO_LARGE: (a) => `the CRL at ${a.url} is too large: ${a.message}`,
  CRL_NOT_A_CRL: (a) => `${a.url ? `the ${a.length} bytes at ${a.url}` : `${a.length} bytes`} are not a CRL: ${a.reason}`,
  CRL_ISSUER_MISMATCH: (a) => `the CRL${a.url ? ` at ${a.url}` : ''} is issued by ${a.crlIssuer}, not by the certificate's issuer ${a.certIssuer}`,
  CRL_NOT_VERIFIED: (a) =>
    `the CRL${a.url ? ` at ${a.url}` : ''} was not verified: ${a.reason === 'no-issuer' ? 'the issuer certificate is not known' : 'the issuer certificate is not the CRL issuer'}`,
  CRL_BAD_SIGNATURE: (a) => `the CRL${a.url ? ` at ${a.url}` : ''} does not verify with ${a.issuer}'s key (${a.algorithm})`,
  CRL_UNSUPPORTED_ALGORITHM: (a) => `the CRL${a.url ? ` at ${a.url}` : ''} is signed with ${a.algorithm}, which cannot be verified`,
  CRL_ISSUER_CANNOT_SIGN_CRLS: (a) => `${a.issuer} may not sign CRLs (no cRLSign key usage)`,
  CRL_KEY_ID_MISMATCH: (a) => `the CRL's authority key id ${a.authorityKeyId} is not the issuer's subject key id ${a.subjectKeyId}`,
  CRL_UNKNOWN_CRITICAL_EXTENSION: (a) =>
    `critical ${a.scope === 'entry' ? 'entry ' : ''}extension ${a.name ?? a.oid}${a.name ? ` (${a.oid})` : ''} of the CRL is not understood`,
  CRL_DELTA: (a) => `the CRL${a.url ? ` at ${a.url}` : ''} is a delta CRL (base CRL number ${a.baseCrlNumber}), not supported`,
  CRL_INDIRECT: (a) => `the CRL${a.url ? ` at ${a.url}` : ''} is an indirect CRL, not supported`,
  CRL_WRONG_SCOPE: (a) =>
    `the CRL${a.url ? ` at ${a.url}` : ''} does not cover this certificate: ${a.reason === 'distribution-point' ? `it covers ${a.covers ?? 'other distribution points'}` : a.reason}`,
  CRL_PARTIAL_REASONS: (a) => `the CRL${a.url ? ` at ${a.url}` : ''} covers only the reasons ${a.reasons}`,
  CRL_NOT_YET_VALID: (a) => `the CRL's thisUpdate ${a.thisUpdate} is ${duration(a.aheadSeconds)} ahead`,
  CRL_EXPIRED: (a) => `the CRL${a.url ? ` at ${a.url}` : ''} expired: nextUpdate ${a.nextUpdate} passed ${duration(a.agoSeconds)} ago`,
  CRL_EXPIRING_CRITICAL: (a) => crlRemaining(a, 'critical'),
  CRL_EXPIRING: (a) => crlRemaining(a, 'warning'),
  CRL_NO_NEXT_UPDATE: (a) => `the CRL (thisUpdate ${a.thisUpdate}) has no nextUpdate`,
  CRL_NOT_FETCHED: (a) => `the certificate's CRL distribution points are not fetched: ${a.urls}`,
  CRL_NOT_CHECKED: (a) => `CRL checking is off (--no-crl); the certificate names ${a.urls}`,
  COMPARE_CRL_REVOKED: (a) =>
    `the ${a.source === 'staple' ? 'staple' : "CA's live OCSP answer"} says good, but the CRL lists the certificate as revoked since ${a.revocationDate}${a.reason ? ` (${a.reason})` : ''}`,
  COMPARE_CRL_NOT_LISTED: (a) =>
    `the ${a.source === 'staple' ? 'staple' : "CA's live OCSP answer"} says revoked, but the CRL${a.url ? ` at ${a.url}` : ''} does not list the certificate`,
  TLS_RESOLVE_FAILED: (a) => `name resolution failed: ${a.message}`,
  TLS_CONNECT_FAILED: (a) => `connection failed: ${a.message}`,
  TLS_TIMEOUT: (a) => `timed out: ${a.message}`,
  TLS_HANDSHAKE_FAILED: (a) => `TLS handshake failed: ${a.message}`,
  STARTTLS_NOT_OFFERED: (a) => `${a.message}${a.banner ? ` (greeting: ${a.banner})` : ''}`,
  STARTTLS_FAILED: (a) => `STARTTLS failed (${a.reason}): ${a.message}${a.banner ? ` (greeting: ${a.banner})` : ''}`,
  TLS_VERSION_UNSUPPORTED: (a) => `the server does not accept TLS ${a.tlsVersion}`,
};

/**
 * The one-line message of a finding (or of any `{ code, args }`), in plain words with its arguments filled in.
 * A finding about one of several certificates (its places name one key type and serial) says which.
 */
export function renderMessage<C extends FindingCode>(finding: {
  readonly code: C;
  readonly args: FindingArgs[C];
  readonly where?: readonly Location[];
}): string {
  const render: (a: FindingArgs[C]) => string = MESSAGES[finding.code];
  const named = new Set((finding.where ?? []).map((w) => (w.serial === undefined ? '' : `${w.keyType ?? 'other'} certificate ${w.serial}`)));
  const [only] = named;
  return named.size === 1 && only ? `${only}: ${render(finding.args)}` : render(finding.args);
}
