import { type ServerName, serverFixes } from './servers/index.js';
import type { FindingArgs, Severity } from './types.js';

export type { ServerName } from './servers/index.js';

/** Catalogue entry: what a finding code means and what to do about it. */
export interface FindingInfo {
  readonly severity: Severity;
  /** Short name of the problem, shown as the row heading. */
  readonly title: string;
  /** Why it matters and what to change. */
  readonly hint: string;
  /** Anchor in docs/findings.md. */
  readonly docs: string;
  /** The fix in the words of each server's configuration, when it differs between servers. */
  readonly servers?: Readonly<Partial<Record<ServerName, string>>>;
}

const doc = (code: string): string => `docs/findings.md#${code.toLowerCase()}`;

/**
 * Every finding code with its severity, title and remediation hint.
 * A code's meaning never changes once released; add a new code instead.
 */
export const FINDINGS = {
  // --- the staple: presence ---
  STAPLE_MISSING: {
    severity: 'warn',
    title: 'No OCSP staple',
    hint: 'The server sent no OCSP response in any handshake, so every client must ask the CA itself (slower, leaks the visit to the CA, and fails open).',
    docs: doc('STAPLE_MISSING'),
    servers: serverFixes('enable'),
  },
  STAPLE_MISSING_MUST_STAPLE: {
    severity: 'critical',
    title: 'Must-staple certificate served without a staple',
    hint: 'The certificate carries the TLS feature status_request (RFC 7633, "must-staple"): Firefox and other strict clients refuse the connection when no staple comes with it. Turn stapling on and make sure the server can reach the responder, or serve a certificate without must-staple.',
    docs: doc('STAPLE_MISSING_MUST_STAPLE'),
    servers: serverFixes('enable'),
  },
  STAPLE_LAZY: {
    severity: 'info',
    title: 'Staple appeared only after the first handshake',
    hint: "The server fetches OCSP lazily: nginx asks the responder only when a handshake needs the staple, so the first handshake after a start or reload carries none, and since the cache is per worker process, each worker's first handshake misses too. Harmless for most clients. To avoid it, warm every worker after a reload, or serve a pre-fetched `ssl_stapling_file` that you refresh.",
    docs: doc('STAPLE_LAZY'),
    servers: serverFixes('lazy'),
  },
  STAPLE_LAZY_MUST_STAPLE: {
    severity: 'warn',
    title: 'Must-staple certificate served without a staple at first',
    hint: 'The certificate is must-staple (RFC 7633) and the server fetches OCSP lazily: the first handshakes after a start or reload carry no staple, and strict clients (Firefox) refuse them. nginx: warm the cache with one handshake right after each reload, or serve a pre-fetched `ssl_stapling_file` that a cron job refreshes. Apache fetches during the first handshake too; HAProxy loads `.ocsp` files at start and has no gap.',
    docs: doc('STAPLE_LAZY_MUST_STAPLE'),
    servers: serverFixes('lazyMustStaple'),
  },
  STAPLE_INTERMITTENT: {
    severity: 'warn',
    title: 'Staple sent on some handshakes and not others',
    hint: 'A later handshake came without a staple after an earlier one had it: the server dropped its cached response (failed refresh, several workers or backends with different state). Check the server error log for OCSP errors and that every worker/backend can reach the responder.',
    docs: doc('STAPLE_INTERMITTENT'),
  },
  STAPLE_MISSING_ON_VERSION: {
    severity: 'warn',
    title: 'Staple missing for one TLS version',
    hint: 'The server staples on one TLS version and not on the other. Clients negotiating that version get no staple; check for a TLS 1.3 or TLS 1.2 specific configuration or a proxy that terminates one version differently.',
    docs: doc('STAPLE_MISSING_ON_VERSION'),
  },
  // --- the staple: structure ---
  STAPLE_MALFORMED: {
    severity: 'critical',
    title: 'Stapled OCSP response does not decode',
    hint: 'The stapled bytes are not a valid DER OCSPResponse; clients reject them (must-staple clients fail hard). A stapled file must hold the raw DER response as written by `openssl ocsp -respout`, not PEM or base64. nginx and HAProxy decode their response files at load and refuse undecodable ones, so a malformed staple usually comes from software that staples bytes verbatim or from a middlebox in front of the server.',
    docs: doc('STAPLE_MALFORMED'),
  },
  STAPLE_TRAILING_DATA: {
    severity: 'critical',
    title: 'Bytes after the OCSP response',
    hint: 'Data follows the DER OCSPResponse. Strict clients reject the response. Regenerate the file with `openssl ocsp -respout` instead of concatenating or editing it.',
    docs: doc('STAPLE_TRAILING_DATA'),
  },
  STAPLE_ERROR_STATUS: {
    severity: 'critical',
    title: 'An OCSP error response is stapled',
    hint: "The staple carries no certificate status at all, only the responder's error (tryLater, internalError, unauthorized, ...). Clients treat it as no valid staple; must-staple clients fail.",
    docs: doc('STAPLE_ERROR_STATUS'),
    servers: serverFixes('errorStatus'),
  },
  STAPLE_UNSUPPORTED_TYPE: {
    severity: 'critical',
    title: 'OCSP response is not a basic response',
    hint: 'responseBytes.responseType is not id-pkix-ocsp-basic (RFC 6960 §4.2.1), the only type clients understand. The response did not come from a standard OCSP responder; fetch one from the URL in the certificate.',
    docs: doc('STAPLE_UNSUPPORTED_TYPE'),
  },
  STAPLE_UNKNOWN_CRITICAL_EXTENSION: {
    severity: 'critical',
    title: 'Critical extension not understood',
    hint: 'The response carries an extension marked critical that clients do not understand; RFC 5280 §4.2 requires them to reject it. The responder is at fault: report it to the CA, and fetch the response from the URL in the certificate rather than from a proxy or custom responder.',
    docs: doc('STAPLE_UNKNOWN_CRITICAL_EXTENSION'),
  },
  // --- the staple: which certificate ---
  STAPLE_CERTID_MISMATCH: {
    severity: 'critical',
    title: 'Staple is for another certificate',
    hint: "No SingleResponse in the staple matches the served certificate (serial, issuer name hash and issuer key hash): the server staples another certificate's response, such as the one from before a renewal, another vhost's, or, on a server with an RSA and an ECDSA certificate, the other certificate's. Fetch the response for the certificate this server sends.",
    docs: doc('STAPLE_CERTID_MISMATCH'),
    servers: serverFixes('certIdMismatch'),
  },
  STAPLE_CERTID_UNKNOWN_HASH: {
    severity: 'critical',
    title: 'CertID hash algorithm not supported',
    hint: "No CertID can be matched to the certificate: the one with its serial is hashed with an algorithm other than SHA-1, SHA-256, SHA-384 or SHA-512, so its issuer hashes cannot be checked and the staple's status cannot be trusted for this certificate. Critical like an unsupported signature algorithm: Firefox skips such CertIDs, and OpenSSL-based clients find the status only when they build their own CertID with that same hash. Staple a response with a SHA-1 CertID, as nginx, Apache and `openssl ocsp` request by default.",
    docs: doc('STAPLE_CERTID_UNKNOWN_HASH'),
  },
  STAPLE_CERTID_NOT_CHECKED: {
    severity: 'info',
    title: 'Certificate match only partly checked',
    hint: 'Without the certificate (`--cert`) the serial number in the response cannot be compared; without the issuer (`--issuer`) neither can the issuer key hash. Pass both to check that the response belongs to the certificate you deploy.',
    docs: doc('STAPLE_CERTID_NOT_CHECKED'),
  },
  // --- the staple: status ---
  STAPLE_REVOKED: {
    severity: 'critical',
    title: 'Certificate is revoked',
    hint: 'The CA says this certificate is revoked. Clients that honour the staple refuse the connection. Replace the certificate now (new key if the reason is keyCompromise) and deploy it.',
    docs: doc('STAPLE_REVOKED'),
  },
  STAPLE_STATUS_UNKNOWN: {
    severity: 'critical',
    title: 'Responder does not know the certificate',
    hint: 'The responder answered "unknown": it does not recognise this serial for this issuer. The response was probably fetched from the wrong responder, for the wrong issuer, or the CA has not published the certificate yet. Use the OCSP URL in the certificate and the right issuer.',
    docs: doc('STAPLE_STATUS_UNKNOWN'),
  },
  // --- the staple: freshness ---
  STAPLE_EXPIRED: {
    severity: 'critical',
    title: 'Staple is past its nextUpdate',
    hint: 'The stapled response has expired; clients reject it (must-staple clients fail hard). The server is not refreshing it.',
    docs: doc('STAPLE_EXPIRED'),
    servers: serverFixes('refresh'),
  },
  STAPLE_EXPIRING_CRITICAL: {
    severity: 'critical',
    title: 'Staple about to expire',
    hint: 'Less time is left before nextUpdate than the critical threshold (`--crit-remaining`). Servers normally refresh around half of the validity period; one this close to expiry is not being refreshed.',
    docs: doc('STAPLE_EXPIRING_CRITICAL'),
    servers: serverFixes('refresh'),
  },
  STAPLE_EXPIRING: {
    severity: 'warn',
    title: 'Staple close to its nextUpdate',
    hint: 'Less time is left before nextUpdate than the warning threshold (`--warn-remaining`). Servers normally refresh around half of the validity period; check that refreshing works.',
    docs: doc('STAPLE_EXPIRING'),
    servers: serverFixes('refresh'),
  },
  STAPLE_NOT_YET_VALID: {
    severity: 'critical',
    title: 'Staple thisUpdate is in the future',
    hint: "The response claims to be produced later than now (beyond the allowed clock skew). Clients reject it. Check the clock of the responder and of this machine (NTP), and the server's clock if it builds the response itself.",
    docs: doc('STAPLE_NOT_YET_VALID'),
  },
  STAPLE_NO_NEXT_UPDATE: {
    severity: 'warn',
    title: 'Staple has no nextUpdate',
    hint: 'Without nextUpdate a response never expires, so clients cannot tell a stale staple from a fresh one, and many servers and clients refuse to cache it (RFC 5019 §2.2.4 requires nextUpdate). Ask the CA or use a responder that sets it.',
    docs: doc('STAPLE_NO_NEXT_UPDATE'),
  },
  STAPLE_PRODUCED_IN_FUTURE: {
    severity: 'critical',
    title: 'Staple producedAt is in the future',
    hint: 'The responder says it signed the response later than now, beyond the allowed clock skew. Check the clocks (NTP) of the responder and of this machine.',
    docs: doc('STAPLE_PRODUCED_IN_FUTURE'),
  },
  STAPLE_PRODUCED_BEFORE_THIS_UPDATE: {
    severity: 'warn',
    title: 'Staple producedAt precedes thisUpdate',
    hint: 'The response was signed before the time its status claims to be correct from; a responder should not produce that. Some clients reject it. Report it to the CA.',
    docs: doc('STAPLE_PRODUCED_BEFORE_THIS_UPDATE'),
  },
  // --- who signed ---
  SIGNER_NOT_CHECKED: {
    severity: 'unknown',
    title: 'Signature not checked',
    hint: 'The issuer certificate was not available, so the signature and the responder authorization were not checked; everything else was. Give the issuer with `--issuer FILE` (PEM or DER), or make the server send its intermediate certificate.',
    docs: doc('SIGNER_NOT_CHECKED'),
  },
  SIGNER_NOT_FOUND: {
    severity: 'critical',
    title: 'Responder certificate not found',
    hint: 'The ResponderID names no certificate that is available (neither the issuer nor a certificate embedded in the response), and none of their keys verifies the signature. The response cannot be trusted; fetch it again from the responder named in the certificate.',
    docs: doc('SIGNER_NOT_FOUND'),
  },
  SIGNER_BAD_SIGNATURE: {
    severity: 'critical',
    title: 'Response signature is invalid',
    hint: 'The signature over the response data does not verify with the responder key: the response was altered or corrupted, or signed with another key. Fetch a new response from the responder.',
    docs: doc('SIGNER_BAD_SIGNATURE'),
  },
  SIGNER_UNSUPPORTED_ALGORITHM: {
    severity: 'critical',
    title: 'Signature algorithm not supported',
    hint: 'The response is signed with an algorithm that this tool (and most TLS clients) cannot verify, such as MD2/MD5 with RSA. Clients will not accept it; ask the CA for a response signed with SHA-256 or better.',
    docs: doc('SIGNER_UNSUPPORTED_ALGORITHM'),
  },
  SIGNER_RESPONDER_ID_MISMATCH: {
    severity: 'critical',
    title: 'ResponderID does not name the signer',
    hint: 'A certificate verifies the signature, but the ResponderID names someone else. Clients locate the signer by the ResponderID (RFC 6960 §4.2.2.3) and fail. The responder is misconfigured; report it to the CA.',
    docs: doc('SIGNER_RESPONDER_ID_MISMATCH'),
  },
  SIGNER_DELEGATE_NO_EKU: {
    severity: 'critical',
    title: 'Delegated responder lacks the OCSP-signing EKU',
    hint: 'The response is signed by a certificate other than the issuer that does not carry extendedKeyUsage id-kp-OCSPSigning, so it is not authorized to sign OCSP responses (RFC 6960 §4.2.2.2). Clients reject it. The CA must sign with the issuer key or a proper delegated responder certificate.',
    docs: doc('SIGNER_DELEGATE_NO_EKU'),
  },
  SIGNER_DELEGATE_FOREIGN: {
    severity: 'critical',
    title: 'Delegated responder issued by another CA',
    hint: "The responder certificate was not issued directly by the certificate's issuer, so it may not speak for it (RFC 6960 §4.2.2.2). This happens when a response for a different CA or hierarchy is stapled. Fetch the response from the URL in the certificate.",
    docs: doc('SIGNER_DELEGATE_FOREIGN'),
  },
  SIGNER_DELEGATE_BAD_CERT_SIGNATURE: {
    severity: 'critical',
    title: 'Delegated responder certificate has an invalid signature',
    hint: "The embedded responder certificate names the issuer, but the issuer's key does not verify its signature: it is forged or corrupted. Fetch a new response.",
    docs: doc('SIGNER_DELEGATE_BAD_CERT_SIGNATURE'),
  },
  SIGNER_DELEGATE_NOT_VALID: {
    severity: 'critical',
    title: 'Delegated responder certificate not valid',
    hint: 'The responder certificate was expired or not yet valid when the response was produced, or is now. Clients reject the response. The CA must renew its responder certificate; then fetch a new response.',
    docs: doc('SIGNER_DELEGATE_NOT_VALID'),
  },
  // --- the live answer from the CA's responder ---
  LIVE_UNREACHABLE: {
    severity: 'warn',
    title: "CA's OCSP responder unreachable",
    hint: 'The responder named in the certificate could not be reached from here (DNS failure, refused or reset connection). A staple the server already holds stays usable until its nextUpdate, but a server that cannot reach the responder either will staple nothing (or an error) at its next refresh. Check DNS and egress from the server to the OCSP URL (nginx also needs a `resolver` for a host name).',
    docs: doc('LIVE_UNREACHABLE'),
  },
  LIVE_TIMEOUT: {
    severity: 'warn',
    title: "CA's OCSP responder too slow",
    hint: 'The responder did not deliver a complete answer within the deadline (`--live-timeout`). A server fetching from it will time out too (nginx `ssl_stapling_responder_timeout`, default 5 s) and staple nothing or a stale response.',
    docs: doc('LIVE_TIMEOUT'),
  },
  LIVE_HTTP_ERROR: {
    severity: 'warn',
    title: 'Responder answered with an HTTP error',
    hint: 'The OCSP URL answered with a non-200 HTTP status. Servers cannot refresh their staple from it. If it persists, the OCSP URL in the certificate is wrong or the CA has an outage; tell the CA.',
    docs: doc('LIVE_HTTP_ERROR'),
  },
  LIVE_NOT_OCSP: {
    severity: 'warn',
    title: 'Responder returned something other than OCSP',
    hint: 'The OCSP URL answered 200 with content that is not an OCSP response (an HTML page, a captive portal, a proxy error). Check for a proxy between this machine (and the server) and the CA.',
    docs: doc('LIVE_NOT_OCSP'),
  },
  LIVE_TOO_LARGE: {
    severity: 'warn',
    title: "Responder's answer is too large",
    hint: 'The body exceeded the size limit (`--live-max-bytes`, default 64 KiB); OCSP responses are normally under 4 KiB. Something other than a responder is answering.',
    docs: doc('LIVE_TOO_LARGE'),
  },
  LIVE_REDIRECT_REFUSED: {
    severity: 'warn',
    title: 'Responder redirect not followed',
    hint: 'The responder redirected too often, to a non-HTTP scheme, or in a way that drops the request. Servers fetching OCSP usually do not follow redirects at all. The OCSP URL in the certificate should answer directly.',
    docs: doc('LIVE_REDIRECT_REFUSED'),
  },
  LIVE_REDIRECTED: {
    severity: 'info',
    title: 'Responder answers only after a redirect',
    hint: 'The OCSP URL in the certificate redirects, and the probe followed it. nginx and Apache do not follow redirects when they fetch a response to staple: a server that fetches its own staples from this URL gets none. Tell the CA, and meanwhile point the server at the final URL.',
    docs: doc('LIVE_REDIRECTED'),
    servers: serverFixes('redirected'),
  },
  LIVE_MALFORMED: {
    severity: 'warn',
    title: "Responder's answer does not decode",
    hint: 'The responder sent bytes that are not a DER OCSPResponse. A server stapling what it fetched from there would staple garbage (nginx checks; Apache and others may not). Tell the CA.',
    docs: doc('LIVE_MALFORMED'),
  },
  LIVE_ERROR_STATUS: {
    severity: 'warn',
    title: 'Responder answered with an OCSP error',
    hint: 'The responder refused with an OCSP error status (tryLater, internalError, unauthorized, malformedRequest, sigRequired). "unauthorized" usually means the responder does not serve this issuer: the OCSP URL or the issuer is wrong. Servers cannot refresh their staple while this lasts; Apache may staple the error itself (`SSLStaplingReturnResponderErrors`).',
    docs: doc('LIVE_ERROR_STATUS'),
  },
  LIVE_INVALID: {
    severity: 'warn',
    title: "Responder's answer fails verification",
    hint: 'The live response decodes but fails a check a client would make (signature, responder authority, certificate match or freshness; `problem` names which). Servers that verify (nginx `ssl_stapling_verify on`) will refuse to staple it. Tell the CA.',
    docs: doc('LIVE_INVALID'),
  },
  LIVE_NONCE_MISMATCH: {
    severity: 'warn',
    title: 'Responder echoed a different nonce',
    hint: 'The live query carried a nonce (`--nonce`) and the response carries a different one: it may be a replayed or cached answer for another request. Responders may ignore nonces (RFC 5019), but must not answer with a wrong one.',
    docs: doc('LIVE_NONCE_MISMATCH'),
  },
  LIVE_REVOKED: {
    severity: 'critical',
    title: 'The CA says the certificate is revoked',
    hint: 'The responder named in the certificate answers "revoked" now. Replace the certificate (new key if the reason is keyCompromise) and deploy it.',
    docs: doc('LIVE_REVOKED'),
  },
  LIVE_STATUS_UNKNOWN: {
    severity: 'warn',
    title: 'The CA does not know the certificate',
    hint: 'The responder answers "unknown" for this serial and issuer: it does not (yet) know the certificate, or the OCSP URL belongs to another CA. Servers will staple that "unknown". Check the issuer and the URL; for a brand-new certificate, wait a few minutes and probe again.',
    docs: doc('LIVE_STATUS_UNKNOWN'),
  },
  LIVE_NOT_QUERIED: {
    severity: 'info',
    title: 'Live query not made',
    hint: "The CA's responder was not asked, because the issuer certificate was not found (the request needs the issuer key). Give the issuer with `--issuer`, or make the server send it.",
    docs: doc('LIVE_NOT_QUERIED'),
  },
  // --- the staple against the live answer, and addresses against each other ---
  COMPARE_STAPLE_GOOD_LIVE_REVOKED: {
    severity: 'critical',
    title: 'Server staples "good" for a revoked certificate',
    hint: 'The staple still says good while the CA now says revoked: the server keeps an old response (a static `ssl_stapling_file`, a HAProxy `.ocsp` file, a cache that is not refreshed). Clients trust the staple until it expires. Replace the certificate now, and fix the refresh.',
    docs: doc('COMPARE_STAPLE_GOOD_LIVE_REVOKED'),
    servers: serverFixes('refresh'),
  },
  COMPARE_STATUS_DIFFERS: {
    severity: 'warn',
    title: 'Staple and CA disagree on the status',
    hint: 'The stapled status differs from what the CA answers now (e.g. stapled unknown or revoked, live good). The staple is outdated; make the server refresh it (nginx: reload to refetch; static files: fetch a new one).',
    docs: doc('COMPARE_STATUS_DIFFERS'),
  },
  COMPARE_STAPLE_STALE: {
    severity: 'warn',
    title: 'Staple much older than the live answer',
    hint: 'The stapled response was produced much earlier than what the CA serves now (more than half of its validity period), so the server is not refreshing it.',
    docs: doc('COMPARE_STAPLE_STALE'),
    servers: serverFixes('refresh'),
  },
  COMPARE_SIGNER_DIFFERS: {
    severity: 'info',
    title: 'Staple and live answer signed by different responders',
    hint: 'The CA signs its current answers with another key or delegate than the stapled one. Usually a rotated delegated responder; harmless while the staple is valid, but it shows the staple predates the rotation.',
    docs: doc('COMPARE_SIGNER_DIFFERS'),
  },
  COMPARE_ADDRESSES_DISAGREE: {
    severity: 'warn',
    title: 'Addresses of the host disagree',
    hint: 'The addresses of this host (backends behind DNS or a load balancer) do not behave alike: one staples and another does not, they staple different statuses, or they serve different certificates. Clients get different results depending on where they land. Probe each with `--address` and align their configuration.',
    docs: doc('COMPARE_ADDRESSES_DISAGREE'),
  },
  COMPARE_CERTIFICATES_DISAGREE: {
    severity: 'warn',
    title: "The server's certificates disagree",
    hint: 'The server holds several certificates for this name (an RSA and an ECDSA one) and they do not staple alike: one staples and another does not, or they staple different statuses. Which one a client gets depends on what its hello offers, so some clients get no staple or another answer. The findings for each certificate say what is wrong with it; give each certificate its own working staple.',
    docs: doc('COMPARE_CERTIFICATES_DISAGREE'),
  },
  // --- certificates ---
  CERT_NO_OCSP_URL: {
    severity: 'info',
    title: 'Certificate has no OCSP URL',
    hint: "The certificate names no OCSP responder (Let's Encrypt and others dropped OCSP in 2025 in favour of CRLs), so there is nothing to staple and no staple is expected. Revocation is published through the CRL distribution points instead.",
    docs: doc('CERT_NO_OCSP_URL'),
  },
  CERT_CHAIN_INCOMPLETE: {
    severity: 'warn',
    title: 'Server does not send the intermediate certificate',
    hint: 'The issuer had to be fetched from the AIA caIssuers URL. Browsers chase it; many other clients (curl, Java, Go, mobile apps) fail the handshake, and servers need the chain to verify the responses they staple. Serve the intermediate after the leaf.',
    docs: doc('CERT_CHAIN_INCOMPLETE'),
    servers: serverFixes('chainIncomplete'),
  },
  CERT_ISSUER_FETCH_FAILED: {
    severity: 'warn',
    title: 'Issuer could not be downloaded',
    hint: "The server does not send the intermediate, and its AIA caIssuers URL did not give it either, so the staple's signature could not be checked. Serve the intermediate after the leaf (then no download is needed), or fix what the URL serves: one DER or PEM certificate, or a PKCS#7 certs-only bundle.",
    docs: doc('CERT_ISSUER_FETCH_FAILED'),
  },
  CERT_UNTRUSTED: {
    severity: 'critical',
    title: 'Certificate chain not trusted',
    hint: 'The served chain does not validate against the system roots and `--ca-file` (OpenSSL says why in `error`). Clients refuse the connection whatever the staple says. Serve a chain to a public root, or give your private root with `--ca-file`.',
    docs: doc('CERT_UNTRUSTED'),
  },
  CERT_EXPIRED: {
    severity: 'critical',
    title: 'Certificate expired',
    hint: 'A certificate in the served chain is past its notAfter. Clients refuse the connection; a staple cannot help. Renew and deploy the certificate, then reload the server.',
    docs: doc('CERT_EXPIRED'),
  },
  CERT_NOT_YET_VALID: {
    severity: 'critical',
    title: 'Certificate not yet valid',
    hint: 'A certificate in the served chain has a notBefore in the future. Check the clocks of this machine and of the CA, or wait.',
    docs: doc('CERT_NOT_YET_VALID'),
  },
  CERT_NAME_MISMATCH: {
    severity: 'critical',
    title: 'Certificate does not match the name',
    hint: "The certificate is not valid for the SNI name probed. The server (or this vhost) serves the wrong certificate, typically the default server's. Check the `server_name`/`ServerName` the name lands on, or probe with the right `--servername`.",
    docs: doc('CERT_NAME_MISMATCH'),
  },
  CERT_MUST_STAPLE: {
    severity: 'info',
    title: 'Certificate requires stapling (must-staple)',
    hint: 'The certificate carries the TLS feature extension status_request (RFC 7633). Strict clients fail without a valid staple, so stapling must never lapse on this server.',
    docs: doc('CERT_MUST_STAPLE'),
  },
  CERT_ISSUER_MISMATCH: {
    severity: 'unknown',
    title: 'Issuer certificate did not sign the leaf',
    hint: "The certificate given as the issuer (`--issuer`), or the one the server sent with the leaf's issuer name, does not verify the leaf's signature: a wrong file, or a CA that re-keyed under the same name. The staple cannot be checked against it, so its signature was not judged. Give the right intermediate with `--issuer`, and make the server send the intermediate that actually issued its certificate (nginx: `ssl_certificate` must hold the leaf followed by its own intermediate).",
    docs: doc('CERT_ISSUER_MISMATCH'),
  },
  CERT_UNPARSEABLE: {
    severity: 'unknown',
    title: 'Certificate does not parse',
    hint: 'A certificate (served by the server or given with --cert/--issuer) is not a valid X.509 certificate, so the staple could not be matched or verified against it.',
    docs: doc('CERT_UNPARSEABLE'),
  },
  // --- revocation lists (CRLs) ---
  CRL_REVOKED: {
    severity: 'critical',
    title: 'Certificate revoked in its CRL',
    hint: 'The CA lists this certificate as revoked in its CRL, which is authentic (signed by the issuer) and covers it. Clients that check the CRL refuse it; replace the certificate now (and find out why it was revoked: a key compromise means a new key).',
    docs: doc('CRL_REVOKED'),
  },
  CRL_NOT_LISTED: {
    severity: 'info',
    title: 'Not listed in its CRL',
    hint: 'The CRL is authentic, current and covers this certificate, and does not list it: by the CRL, the certificate is not revoked.',
    docs: doc('CRL_NOT_LISTED'),
  },
  CRL_UNREACHABLE: {
    severity: 'warn',
    title: 'CRL unreachable',
    hint: 'The CRL distribution point could not be reached from here (DNS failure, refused or reset connection, a refused redirect). Revocation could not be checked through the CRL; clients that rely on it cannot check either. Check the URL and egress to it.',
    docs: doc('CRL_UNREACHABLE'),
  },
  CRL_TIMEOUT: {
    severity: 'warn',
    title: 'CRL download timed out',
    hint: 'The CRL did not arrive complete within the deadline (`--crl-timeout`, default 30 s). Large CRLs over slow links do that; clients with shorter deadlines give up too.',
    docs: doc('CRL_TIMEOUT'),
  },
  CRL_HTTP_ERROR: {
    severity: 'warn',
    title: 'CRL URL answered an HTTP error',
    hint: 'The CRL distribution point answered with a status other than 200: the URL in the certificate is wrong or the CA has an outage. Tell the CA.',
    docs: doc('CRL_HTTP_ERROR'),
  },
  CRL_TOO_LARGE: {
    severity: 'warn',
    title: 'CRL larger than the limit',
    hint: 'The CRL exceeded the size limit (`--crl-max-bytes`, default 128 MiB), so it was not read. Raise the limit if the CA really publishes a CRL this large.',
    docs: doc('CRL_TOO_LARGE'),
  },
  CRL_NOT_A_CRL: {
    severity: 'warn',
    title: 'Not a CRL',
    hint: 'The bytes at the CRL URL (or in the file) are not a DER or PEM CRL: an HTML page, a truncated download, trailing data. Nothing in it can be trusted.',
    docs: doc('CRL_NOT_A_CRL'),
  },
  CRL_ISSUER_MISMATCH: {
    severity: 'warn',
    title: 'CRL of another issuer',
    hint: "The CRL's issuer is not the certificate's issuer: the distribution point serves another CA's list (or an indirect CRL). It says nothing about this certificate.",
    docs: doc('CRL_ISSUER_MISMATCH'),
  },
  CRL_NOT_VERIFIED: {
    severity: 'unknown',
    title: 'CRL signature not checked',
    hint: "The CRL's signature could not be checked: the issuer certificate is not known (give it with `--issuer` or `--ca-file`), or the one given is not the CRL's issuer. Its contents are not used.",
    docs: doc('CRL_NOT_VERIFIED'),
  },
  CRL_BAD_SIGNATURE: {
    severity: 'warn',
    title: 'CRL signature does not verify',
    hint: "The issuer's key does not verify the CRL's signature: forged, damaged in transit, or signed with another key of the CA. Its contents are not used.",
    docs: doc('CRL_BAD_SIGNATURE'),
  },
  CRL_UNSUPPORTED_ALGORITHM: {
    severity: 'warn',
    title: 'CRL signature algorithm not supported',
    hint: 'The CRL is signed with an algorithm (or curve) the probe cannot verify, so its contents are not used.',
    docs: doc('CRL_UNSUPPORTED_ALGORITHM'),
  },
  CRL_ISSUER_CANNOT_SIGN_CRLS: {
    severity: 'warn',
    title: 'Issuer not allowed to sign CRLs',
    hint: "The issuer certificate's key usage lacks cRLSign (RFC 5280 §6.3.3), so a CRL signed by it is not valid. The CA must sign CRLs with a key allowed to.",
    docs: doc('CRL_ISSUER_CANNOT_SIGN_CRLS'),
  },
  CRL_KEY_ID_MISMATCH: {
    severity: 'info',
    title: 'CRL from another key of the issuer',
    hint: "The CRL's authority key identifier differs from the issuer certificate's subject key identifier: it was signed by another key of the same CA name (a re-key). The signature check decides.",
    docs: doc('CRL_KEY_ID_MISMATCH'),
  },
  CRL_UNKNOWN_CRITICAL_EXTENSION: {
    severity: 'warn',
    title: 'CRL with an unknown critical extension',
    hint: 'The CRL (or one of its entries) carries a critical extension the probe does not understand; RFC 5280 §5.2 forbids using such a CRL.',
    docs: doc('CRL_UNKNOWN_CRITICAL_EXTENSION'),
  },
  CRL_DELTA: {
    severity: 'warn',
    title: 'Delta CRL',
    hint: 'The distribution point serves a delta CRL (only the changes since a base CRL). Delta CRLs are not supported, so it proves nothing alone.',
    docs: doc('CRL_DELTA'),
  },
  CRL_INDIRECT: {
    severity: 'warn',
    title: 'Indirect CRL',
    hint: "The CRL is an indirect CRL (its entries may be about another CA's certificates). Indirect CRLs are not supported.",
    docs: doc('CRL_INDIRECT'),
  },
  CRL_WRONG_SCOPE: {
    severity: 'warn',
    title: 'CRL does not cover the certificate',
    hint: "The CRL's Issuing Distribution Point says it does not cover this certificate: it is another shard (partitioned CRLs name the URL they cover), or it lists only CA certificates. The certificate's distribution point URL and the CRL served there disagree: tell the CA.",
    docs: doc('CRL_WRONG_SCOPE'),
  },
  CRL_PARTIAL_REASONS: {
    severity: 'warn',
    title: 'CRL covers only some reasons',
    hint: 'The CRL lists only revocations for some reasons (onlySomeReasons): a certificate it does not list may still be revoked for another reason.',
    docs: doc('CRL_PARTIAL_REASONS'),
  },
  CRL_NOT_YET_VALID: {
    severity: 'warn',
    title: 'CRL not yet valid',
    hint: "The CRL's thisUpdate is in the future beyond the clock-skew allowance: a clock is wrong, here or at the CA. Only a listing in it still counts.",
    docs: doc('CRL_NOT_YET_VALID'),
  },
  CRL_EXPIRED: {
    severity: 'warn',
    title: 'CRL past its nextUpdate',
    hint: "The CRL's nextUpdate has passed: the CA has not published a newer list, or a cache serves an old one. That the certificate is not listed proves nothing any more.",
    docs: doc('CRL_EXPIRED'),
  },
  CRL_EXPIRING_CRITICAL: {
    severity: 'critical',
    title: 'CRL about to expire',
    hint: "Less time than the critical threshold (`--crit-remaining`) remains before the CRL's nextUpdate.",
    docs: doc('CRL_EXPIRING_CRITICAL'),
  },
  CRL_EXPIRING: {
    severity: 'warn',
    title: 'CRL close to its nextUpdate',
    hint: "Less time than the warning threshold (`--warn-remaining`) remains before the CRL's nextUpdate, and no newer list is served yet.",
    docs: doc('CRL_EXPIRING'),
  },
  CRL_NO_NEXT_UPDATE: {
    severity: 'warn',
    title: 'CRL without nextUpdate',
    hint: 'The CRL has no nextUpdate (RFC 5280 §5.1.2.5 requires one), so nobody can tell when it is stale.',
    docs: doc('CRL_NO_NEXT_UPDATE'),
  },
  CRL_NOT_FETCHED: {
    severity: 'info',
    title: 'CRL not fetched',
    hint: 'The certificate names only distribution points the probe does not fetch (`ldap:`): revocation by CRL was not checked.',
    docs: doc('CRL_NOT_FETCHED'),
  },
  CRL_NOT_CHECKED: {
    severity: 'info',
    title: 'CRL not checked',
    hint: "CRL checking was switched off (`--no-crl`): the certificate's CRL was not fetched, so nothing is said about revocation by CRL.",
    docs: doc('CRL_NOT_CHECKED'),
  },
  COMPARE_CRL_REVOKED: {
    severity: 'critical',
    title: 'OCSP says good, the CRL says revoked',
    hint: "The staple or the CA's live OCSP answer says good, but the CA's authentic CRL lists the certificate as revoked. Clients that check the CRL refuse it; the OCSP answer is wrong or outdated. Replace the certificate, and tell the CA.",
    docs: doc('COMPARE_CRL_REVOKED'),
  },
  COMPARE_CRL_NOT_LISTED: {
    severity: 'warn',
    title: 'OCSP says revoked, the CRL does not list it',
    hint: "OCSP says revoked while the CA's authentic, current CRL does not list the certificate: the CA's two channels disagree (the CRL may lag). Treat the certificate as revoked and tell the CA.",
    docs: doc('COMPARE_CRL_NOT_LISTED'),
  },
  // --- the connection ---
  TLS_RESOLVE_FAILED: {
    severity: 'unknown',
    title: 'Host name does not resolve',
    hint: 'DNS gave no address for the host. Check the spelling, or give the address with --address.',
    docs: doc('TLS_RESOLVE_FAILED'),
  },
  TLS_CONNECT_FAILED: {
    severity: 'unknown',
    title: 'Could not connect',
    hint: 'The TCP connection failed (refused, unreachable or reset). Check the host, the port and any firewall between here and the server.',
    docs: doc('TLS_CONNECT_FAILED'),
    servers: serverFixes('connectFailed'),
  },
  TLS_TIMEOUT: {
    severity: 'unknown',
    title: 'Connection timed out',
    hint: 'The server did not complete the handshake within the timeout (`--timeout`). Check that the port speaks TLS and is reachable, or raise the timeout.',
    docs: doc('TLS_TIMEOUT'),
  },
  TLS_HANDSHAKE_FAILED: {
    severity: 'unknown',
    title: 'TLS handshake failed',
    hint: 'The server answered, but the TLS handshake did not complete. Check that the port speaks TLS (not plain HTTP) and that it accepts the TLS versions probed (`--tls`).',
    docs: doc('TLS_HANDSHAKE_FAILED'),
  },
  STARTTLS_NOT_OFFERED: {
    severity: 'unknown',
    title: 'STARTTLS not offered',
    hint: 'The server does not offer the STARTTLS upgrade on this port, so no TLS handshake (and no staple) could be seen. Check the port and `--starttls`: an implicit-TLS port (465, 993, 995) needs `--starttls none`; otherwise enable TLS on the service.',
    docs: doc('STARTTLS_NOT_OFFERED'),
  },
  STARTTLS_FAILED: {
    severity: 'unknown',
    title: 'STARTTLS upgrade failed',
    hint: 'The server refused the STARTTLS command, closed the connection, or did not speak the protocol chosen. Check `--starttls` against what the port speaks, and the server log for why it refused.',
    docs: doc('STARTTLS_FAILED'),
    // Exim with GnuTLS answers STARTTLS with 454 while its tls_ocsp_file is unusable (test/servers/exim.test.ts).
    servers: serverFixes('connectFailed'),
  },
  TLS_VERSION_UNSUPPORTED: {
    severity: 'info',
    title: 'TLS version not offered',
    hint: 'The server refused this TLS version; the other version was probed. Use `--tls` to probe only the versions you serve.',
    docs: doc('TLS_VERSION_UNSUPPORTED'),
  },
} as const satisfies Record<keyof FindingArgs, FindingInfo>;

/**
 * Every finding code. Closed union: a code without a catalogue entry, or without its `FindingArgs`, does
 * not compile.
 */
export type FindingCode = keyof typeof FINDINGS;

/** Look up the catalogue entry of a code. */
export function describeFinding(code: FindingCode): FindingInfo {
  return FINDINGS[code];
}
