import type { FindingCode, ServerName } from './findings.js';

/**
 * Plain, readonly data shared by the core and the shell. Nothing here holds behaviour.
 * Byte strings that reach a report are lowercase hex; instants are ISO-8601 UTC strings.
 */

/** Severity of one finding. `info` never changes the verdict away from ok. */
export type Severity = 'info' | 'warn' | 'critical' | 'unknown';

/** Overall verdict of a report: the worst severity among its findings (`info` counts as ok). */
export type Verdict = 'ok' | 'warn' | 'critical' | 'unknown';

/** TLS protocol version probed. */
export type TlsVersion = '1.2' | '1.3';

/**
 * What a handshake offered the server, so that it picks the certificate of one key type: Node's default
 * client hello, or only RSA, or only ECDSA (TLS 1.2: the cipher suites; TLS 1.3: the signature algorithms).
 */
export type Offer = 'default' | 'rsa' | 'ecdsa';

/** Which offers a probe makes: `all` (the default) finds every certificate; `default` only the one Node's hello gets. */
export type KeyTypes = 'all' | 'default';

/** The kind of a certificate's public key. */
export type KeyType = 'RSA' | 'RSA-PSS' | 'ECDSA' | 'Ed25519' | 'Ed448' | 'other';

/** Where a finding was seen. Fields that do not apply are absent. */
export interface Location {
  readonly target?: string;
  readonly address?: string;
  readonly tlsVersion?: TlsVersion;
  readonly attempt?: number;
  readonly file?: string;
  /** The responder or AIA URL a finding is about. */
  readonly url?: string;
  /** The certificate a finding is about (its key type and serial), when the target served more than one. */
  readonly keyType?: KeyType;
  readonly serial?: string;
}

/** OCSPResponseStatus names (RFC 6960 §4.2.1). Code 4 is unused by the RFC. */
export type ResponseStatusName = 'successful' | 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized' | `unknown(${number})`;

/** One extension, as found in the response. */
export interface ExtensionView {
  readonly oid: string;
  readonly name: string | null;
  readonly critical: boolean;
  readonly valueHex: string;
}

/** A CertID as the responder wrote it (RFC 6960 §4.1.1). */
export interface CertIdView {
  readonly hashAlgorithm: string;
  readonly hashAlgorithmOid: string;
  readonly issuerNameHash: string;
  readonly issuerKeyHash: string;
  /** Serial number, lowercase hex, even number of digits. */
  readonly serial: string;
}

/** CRLReason names (RFC 5280 §5.3.1). */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise'
  | `unknown(${number})`;

export interface SingleResponseView {
  readonly certId: CertIdView;
  readonly certStatus: CertStatus;
  readonly revocationTime: string | null;
  readonly revocationReason: RevocationReason | null;
  readonly thisUpdate: string;
  readonly nextUpdate: string | null;
  readonly extensions: readonly ExtensionView[];
}

export type ResponderIdView = { readonly byName: string } | { readonly byKeyHash: string };

/** A certificate in summary form, as shown in reports. */
export interface CertSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sha256: string;
}

/** The BasicOCSPResponse (RFC 6960 §4.2.1), decoded completely. */
export interface BasicResponseView {
  readonly version: number;
  readonly responderId: ResponderIdView;
  readonly producedAt: string;
  readonly responses: readonly SingleResponseView[];
  readonly extensions: readonly ExtensionView[];
  readonly signatureAlgorithm: { readonly oid: string; readonly name: string | null };
  readonly certs: readonly CertSummary[];
}

/** An OCSPResponse decoded, as it appears in a report. */
export interface DecodedResponse {
  readonly sha256: string;
  readonly length: number;
  readonly responseStatus: ResponseStatusName;
  readonly responseStatusCode: number;
  /** responseBytes.responseType, or null when absent. */
  readonly responseType: string | null;
  readonly basic: BasicResponseView | null;
}

/** What one TLS handshake attempt saw. */
export type AttemptOutcome =
  | {
      readonly ok: true;
      readonly protocol: string;
      readonly cipher: string;
      /** DER of the stapled OCSPResponse, or null when the server sent none. */
      readonly staple: Uint8Array | null;
      /** DER certificates as the server sent them, leaf first. */
      readonly chain: readonly Uint8Array[];
      /** OpenSSL's verdict on the chain against the trust store (e.g. CERT_HAS_EXPIRED), null when trusted. */
      readonly authorizationError: string | null;
      /** Why the certificate does not match the SNI name, null when it does or no name was sent. */
      readonly nameError: string | null;
      /** The `Server` header of a `HEAD /` sent after the handshake; null when not asked or not answered. */
      readonly serverHeader?: string | null;
      /**
       * Over STARTTLS, the server's greeting before the upgrade; on an implicit-TLS mail or FTP port, its
       * greeting after the handshake (it usually names the software); null when it named nothing.
       */
      readonly banner?: string | null;
      readonly durationMs: number;
    }
  | {
      readonly ok: false;
      readonly error: TlsFailure;
      /**
       * Over STARTTLS, the greeting heard before the TLS handshake failed: it still names the software (Exim
       * with GnuTLS resets handshakes over an expired `tls_ocsp_file`, and its greeting says it is Exim).
       */
      readonly banner?: string | null;
      readonly durationMs: number;
    };

export type TlsFailureKind = 'dns' | 'refused' | 'unreachable' | 'timeout' | 'reset' | 'version' | 'handshake' | 'starttls' | 'other';

/** A protocol whose plain-text STARTTLS upgrade the probe speaks before the handshake (issue #24). */
export type StarttlsProtocol = 'smtp' | 'imap' | 'pop3' | 'ftp' | 'xmpp' | 'ldap' | 'postgres';

/**
 * Why a STARTTLS upgrade did not happen: the server does not offer it (`not-offered`), offered it and then
 * refused the command (`refused`), said something that is not the protocol (`garbage`), closed the
 * connection (`closed`), or sent more than the exchange may take (`too-long`).
 */
export type StarttlsFailure = 'not-offered' | 'refused' | 'garbage' | 'closed' | 'too-long';

/** Why an HTTP exchange (live OCSP query, AIA caIssuers fetch) produced no usable answer. */
export type HttpFailureKind = 'dns' | 'refused' | 'reset' | 'timeout' | 'too-large' | 'too-many-redirects' | 'bad-redirect' | 'bad-scheme' | 'network';

/** One bounded HTTP exchange, as data. */
export type HttpExchange =
  | {
      readonly url: string;
      readonly method: 'GET' | 'POST';
      readonly ok: true;
      readonly status: number;
      readonly contentType: string | null;
      readonly body: Uint8Array;
      readonly finalUrl: string;
      readonly redirects: number;
      readonly durationMs: number;
    }
  | {
      readonly url: string;
      readonly method: 'GET' | 'POST';
      readonly ok: false;
      readonly error: { readonly kind: HttpFailureKind; readonly message: string };
      readonly redirects: number;
      readonly durationMs: number;
    };

/** The live query for one certificate to the OCSP URL in its AIA extension. */
export interface LiveEvidence {
  /** sha256 of the leaf the query is for. */
  readonly leaf: string;
  readonly ocspUrl: string;
  readonly nonce: Uint8Array | null;
  readonly exchange: HttpExchange;
}

/**
 * A CRL fetched from one of a certificate's CRL distribution points (http and https URIs; one fetch per URL
 * per run, shared by the certificates that name it).
 */
export interface CrlFetchEvidence {
  /** sha256 of the leaf whose distribution point it is. */
  readonly leaf: string;
  readonly url: string;
  readonly exchange: HttpExchange;
}

/** An issuer fetched from the leaf's AIA caIssuers URL. */
export interface IssuerFetchEvidence {
  readonly leaf: string;
  readonly url: string;
  readonly exchange: HttpExchange;
}

export interface TlsFailure {
  readonly kind: TlsFailureKind;
  readonly message: string;
  readonly code: string | null;
  /** Kind `starttls`: the protocol, why, and the server's greeting when one arrived. */
  readonly starttls?: { readonly protocol: StarttlsProtocol; readonly reason: StarttlsFailure; readonly banner: string | null };
}

export interface AttemptEvidence {
  /** The attempt's number among the handshakes of its version and offer, from 1. */
  readonly attempt: number;
  readonly tlsVersion: TlsVersion;
  /** What the client hello offered; absent means `default`. */
  readonly offer?: Offer;
  /**
   * The place of the handshake among the address's handshakes by the time it started, from 0; absent in
   * evidence made before offers existed, where the list's order is the order.
   */
  readonly order?: number;
  readonly outcome: AttemptOutcome;
}

export interface AddressEvidence {
  readonly address: string;
  readonly family: 4 | 6;
  readonly attempts: readonly AttemptEvidence[];
  /**
   * The `Server` header of the one `HEAD /` sent on this address, null when unanswered; absent when none was
   * sent. The handshake that carried it may be one not counted among the attempts (a first round closed
   * uncounted): the server software does not depend on which handshake asked.
   */
  readonly serverHeader?: string | null;
  /** On an implicit-TLS mail or FTP port, the greeting after that one handshake instead (absent when none came). */
  readonly banner?: string | null;
}

/** A parsed `host[:port]` target. */
export interface Target {
  /** As the user wrote it. */
  readonly input: string;
  readonly host: string;
  readonly port: number;
  /** SNI name sent, or null for none (IP literal without --servername). */
  readonly servername: string | null;
}

/** Everything a probe of one target gathered. I/O failures are data here, never exceptions. */
export interface ProbeEvidence {
  readonly kind: 'probe';
  readonly target: Target;
  readonly resolveError: TlsFailure | null;
  readonly addresses: readonly AddressEvidence[];
  /**
   * DER of the issuer certificate given by the operator (--issuer), if any; or several, such as a full chain
   * (leaf first, as certbot's `fullchain.pem`): the one whose key verifies the leaf's signature is used.
   */
  readonly issuer: Uint8Array | readonly Uint8Array[] | null;
  /** DER certificates the operator supplied (--ca-file), searched for the issuer when the chain lacks it. */
  readonly extraCerts?: readonly Uint8Array[];
  /** Live OCSP queries, one per distinct certificate; absent or empty when not made. */
  readonly live?: readonly LiveEvidence[];
  /** Whether live queries were switched off (--no-live). */
  readonly liveDisabled?: boolean;
  /** Issuers fetched through AIA caIssuers because no local source had them. */
  readonly issuerFetches?: readonly IssuerFetchEvidence[];
  /** CRLs fetched from the certificates' distribution points; absent or empty when none was fetched. */
  readonly crls?: readonly CrlFetchEvidence[];
  /** Whether CRL checking was switched off (--no-crl). */
  readonly crlDisabled?: boolean;
  /** Server software named by the operator (--server); overrides detection. */
  readonly server?: ServerName | null;
  /** The STARTTLS upgrade every handshake spoke first (issue #24); absent for TLS from the first byte. */
  readonly starttls?: StarttlsProtocol;
  /** The protocol of a well-known implicit-TLS port (465 smtp, 993 imap, …) probed without STARTTLS. */
  readonly implicitTls?: StarttlsProtocol;
}

/** The offline check of one OCSP response (`probe inspect`). */
export interface InspectEvidence {
  readonly kind: 'inspect';
  readonly file: string;
  readonly response: Uint8Array;
  /**
   * DER of the issuer certificate (--issuer), or several (a chain file): the one that verifies `cert`'s
   * signature; without `cert`, the one whose name and key hashes match the response's CertID, else the first
   * CA certificate, else the first.
   */
  readonly issuer: Uint8Array | readonly Uint8Array[] | null;
  readonly cert: Uint8Array | null;
  /** Server software the response is meant for (--server), for server-specific hints. */
  readonly server?: ServerName | null;
  /** What `response` holds: an OCSP response (the default) or a CRL (issue #22). */
  readonly format?: 'ocsp' | 'crl';
  /** For a CRL without `cert`: the serial (hex) to look up, of a certificate issued by `issuer`. */
  readonly serial?: string | null;
}

export type Evidence = ProbeEvidence | InspectEvidence;

/** Tolerances and thresholds for judgement. Durations in seconds. */
export interface JudgeOptions {
  /** The instant everything is judged at. */
  readonly now: Date;
  /** Clock skew tolerated on thisUpdate, nextUpdate and producedAt. Default 300. */
  readonly skewSeconds?: number;
  /** Warn when less than this remains before nextUpdate. Default 172800 (2 days). */
  readonly warnRemainingSeconds?: number;
  /** Critical when less than this remains before nextUpdate. Default 0 (only once past). */
  readonly critRemainingSeconds?: number;
}

/** A certificate's status in a SingleResponse. */
export type CertStatus = 'good' | 'revoked' | 'unknown';

/** Why a response's signature was not checked: the issuer certificate is missing or unusable. */
export type NoIssuerReason = 'no-issuer' | 'issuer-not-found' | 'issuer-unparseable' | 'issuer-mismatch';

/** What a certificate was given or found as, when it does not parse. */
export type CertRole = 'cert' | 'issuer' | 'leaf' | 'chain' | 'ca-file' | 'aia';

/** The args of a finding that has none. */
export type NoArgs = { readonly [key: string]: never };

/**
 * The arguments of each finding code, which its message is rendered from (`args` in reports and in the JSON
 * output). Values are strings, numbers or null; instants are ISO-8601 strings, durations whole seconds. A
 * code without an entry here, or an entry without a code, does not compile (the catalogue is checked
 * against these keys).
 */
export interface FindingArgs {
  // --- the staple: presence ---
  readonly STAPLE_MISSING: { readonly liveResponder: 'ok' | 'failed' | 'not-queried' };
  readonly STAPLE_MISSING_MUST_STAPLE: NoArgs;
  readonly STAPLE_LAZY: { readonly handshakesWithout: number; readonly tlsVersion: TlsVersion; readonly attempt: number };
  readonly STAPLE_LAZY_MUST_STAPLE: { readonly handshakesWithout: number; readonly tlsVersion: TlsVersion; readonly attempt: number };
  readonly STAPLE_INTERMITTENT: NoArgs;
  readonly STAPLE_MISSING_ON_VERSION: { readonly tlsVersion: TlsVersion };
  // --- the staple: structure and status ---
  readonly STAPLE_MALFORMED: { readonly reason: string; readonly length: number };
  readonly STAPLE_TRAILING_DATA: { readonly bytes: number };
  readonly STAPLE_ERROR_STATUS: { readonly status: ResponseStatusName; readonly statusCode: number };
  readonly STAPLE_UNSUPPORTED_TYPE: { readonly responseType: string | null };
  readonly STAPLE_UNKNOWN_CRITICAL_EXTENSION: { readonly oid: string; readonly name: string | null; readonly scope: 'response' | 'single' };
  readonly STAPLE_CERTID_MISMATCH: {
    readonly expectedSerial: string | null;
    /** The first three serials the response covers, comma-separated. */
    readonly stapledSerials: string;
    readonly responses: number;
    readonly hashAlgorithm: string | null;
    /** Which CertID fields of the first response differ, comma-separated; null when that is not known. */
    readonly mismatched: string | null;
  };
  readonly STAPLE_CERTID_UNKNOWN_HASH: {
    /** The CertID's hashAlgorithm, which the probe cannot compute. */
    readonly hashAlgorithmOid: string;
    /** Its name (sha3-256, md5, ...), or null for an OID the probe has no name for. */
    readonly hashAlgorithm: string | null;
    /** The CertID's serial: the leaf's, or any serial when the leaf is not known. */
    readonly serial: string;
  };
  readonly STAPLE_CERTID_NOT_CHECKED: { readonly unchecked: string };
  readonly STAPLE_REVOKED: { readonly revocationTime: string | null; readonly revocationReason: RevocationReason | null; readonly serial: string };
  readonly STAPLE_STATUS_UNKNOWN: { readonly serial: string };
  // --- the staple: time ---
  readonly STAPLE_EXPIRED: { readonly nextUpdate: string; readonly agoSeconds: number };
  readonly STAPLE_EXPIRING_CRITICAL: { readonly nextUpdate: string; readonly remainingSeconds: number; readonly thresholdSeconds: number };
  readonly STAPLE_EXPIRING: { readonly nextUpdate: string; readonly remainingSeconds: number; readonly thresholdSeconds: number };
  readonly STAPLE_NOT_YET_VALID: { readonly thisUpdate: string; readonly aheadSeconds: number };
  readonly STAPLE_NO_NEXT_UPDATE: { readonly thisUpdate: string };
  readonly STAPLE_PRODUCED_IN_FUTURE: { readonly producedAt: string; readonly aheadSeconds: number };
  readonly STAPLE_PRODUCED_BEFORE_THIS_UPDATE: { readonly producedAt: string; readonly thisUpdate: string };
  // --- the signer ---
  readonly SIGNER_NOT_CHECKED: { readonly reason: NoIssuerReason };
  readonly SIGNER_NOT_FOUND: { readonly embeddedCerts: number };
  readonly SIGNER_BAD_SIGNATURE: { readonly signer: string; readonly algorithm: string };
  readonly SIGNER_UNSUPPORTED_ALGORITHM: { readonly algorithm: string };
  readonly SIGNER_RESPONDER_ID_MISMATCH: { readonly signer: string };
  readonly SIGNER_DELEGATE_NO_EKU: { readonly signer: string };
  readonly SIGNER_DELEGATE_FOREIGN: { readonly signer: string; readonly signerIssuer: string; readonly issuer: string };
  readonly SIGNER_DELEGATE_BAD_CERT_SIGNATURE: { readonly signer: string };
  readonly SIGNER_DELEGATE_NOT_VALID: { readonly signer: string; readonly at: 'producedAt' | 'now'; readonly notBefore: string; readonly notAfter: string };
  // --- the CA's live answer ---
  readonly LIVE_UNREACHABLE: { readonly url: string; readonly message: string };
  readonly LIVE_TIMEOUT: { readonly url: string; readonly message: string };
  readonly LIVE_HTTP_ERROR: { readonly url: string; readonly status: number };
  readonly LIVE_NOT_OCSP: { readonly url: string; readonly contentType: string | null; readonly length: number };
  readonly LIVE_TOO_LARGE: { readonly url: string; readonly message: string };
  readonly LIVE_REDIRECT_REFUSED: { readonly url: string; readonly message: string };
  readonly LIVE_REDIRECTED: { readonly url: string; readonly redirects: number; readonly finalUrl: string };
  readonly LIVE_MALFORMED: { readonly url: string; readonly reason: string; readonly length: number };
  readonly LIVE_ERROR_STATUS: { readonly url: string; readonly status: ResponseStatusName; readonly statusCode: number };
  /** `problem`: the staple code the answer would have as a staple; `message`: that finding's message. */
  readonly LIVE_INVALID: { readonly url: string; readonly problem: FindingCode; readonly message: string };
  readonly LIVE_NONCE_MISMATCH: { readonly url: string };
  readonly LIVE_REVOKED: {
    readonly url: string;
    readonly serial: string;
    readonly revocationTime: string | null;
    readonly revocationReason: RevocationReason | null;
  };
  readonly LIVE_STATUS_UNKNOWN: { readonly url: string; readonly serial: string };
  readonly LIVE_NOT_QUERIED: { readonly reason: 'no-issuer' };
  // --- staple against live answer, and addresses against each other ---
  readonly COMPARE_STAPLE_GOOD_LIVE_REVOKED: { readonly stapleThisUpdate: string; readonly revocationTime: string | null };
  readonly COMPARE_STATUS_DIFFERS: { readonly staple: CertStatus; readonly live: CertStatus };
  readonly COMPARE_STAPLE_STALE: { readonly stapleThisUpdate: string; readonly liveThisUpdate: string; readonly behindSeconds: number };
  readonly COMPARE_SIGNER_DIFFERS: { readonly staple: string; readonly live: string };
  readonly COMPARE_ADDRESSES_DISAGREE: { readonly aspect: 'certificate' | 'stapling' | 'status'; readonly detail: string };
  readonly COMPARE_CERTIFICATES_DISAGREE: { readonly aspect: 'stapling' | 'status'; readonly detail: string };
  // --- the certificate ---
  /** `crlUrls`: the CRL distribution points, comma-separated, or null for none. */
  readonly CERT_NO_OCSP_URL: { readonly crlUrls: string | null };
  readonly CERT_CHAIN_INCOMPLETE: { readonly issuer: string; readonly url: string | null };
  readonly CERT_ISSUER_FETCH_FAILED: { readonly url: string; readonly reason: string };
  readonly CERT_UNTRUSTED: { readonly error: string };
  readonly CERT_EXPIRED: { readonly error: string };
  readonly CERT_NOT_YET_VALID: { readonly error: string };
  readonly CERT_NAME_MISMATCH: { readonly servername: string | null; readonly message: string };
  readonly CERT_MUST_STAPLE: NoArgs;
  readonly CERT_ISSUER_MISMATCH: { readonly issuer: string; readonly leafIssuer: string; readonly source: 'given' | 'served' };
  readonly CERT_UNPARSEABLE: { readonly role: CertRole; readonly reason: string };
  // --- revocation lists (CRLs); `url` is null for a CRL judged offline (`probe inspect site.crl`) ---
  readonly CRL_REVOKED: {
    readonly url: string | null;
    readonly serial: string;
    readonly revocationDate: string;
    readonly reason: RevocationReason | null;
    readonly invalidityDate: string | null;
  };
  readonly CRL_NOT_LISTED: { readonly url: string | null; readonly nextUpdate: string | null; readonly entries: number };
  readonly CRL_UNREACHABLE: { readonly url: string; readonly message: string };
  readonly CRL_TIMEOUT: { readonly url: string; readonly message: string };
  readonly CRL_HTTP_ERROR: { readonly url: string; readonly status: number };
  readonly CRL_TOO_LARGE: { readonly url: string; readonly message: string };
  readonly CRL_NOT_A_CRL: { readonly url: string | null; readonly reason: string; readonly length: number };
  readonly CRL_ISSUER_MISMATCH: { readonly url: string | null; readonly crlIssuer: string; readonly certIssuer: string };
  readonly CRL_NOT_VERIFIED: { readonly url: string | null; readonly reason: 'no-issuer' | 'issuer-name-differs' };
  readonly CRL_BAD_SIGNATURE: { readonly url: string | null; readonly issuer: string; readonly algorithm: string };
  readonly CRL_UNSUPPORTED_ALGORITHM: { readonly url: string | null; readonly algorithm: string };
  readonly CRL_ISSUER_CANNOT_SIGN_CRLS: { readonly url: string | null; readonly issuer: string };
  readonly CRL_KEY_ID_MISMATCH: { readonly url: string | null; readonly authorityKeyId: string; readonly subjectKeyId: string };
  readonly CRL_UNKNOWN_CRITICAL_EXTENSION: { readonly url: string | null; readonly oid: string; readonly name: string | null; readonly scope: 'crl' | 'entry' };
  readonly CRL_DELTA: { readonly url: string | null; readonly baseCrlNumber: string };
  readonly CRL_INDIRECT: { readonly url: string | null };
  readonly CRL_WRONG_SCOPE: {
    readonly url: string | null;
    readonly reason: 'distribution-point' | 'ca-certs-only' | 'user-certs-only' | 'attribute-certs-only';
    readonly covers: string | null;
  };
  readonly CRL_PARTIAL_REASONS: { readonly url: string | null; readonly reasons: string };
  readonly CRL_NOT_YET_VALID: { readonly url: string | null; readonly thisUpdate: string; readonly aheadSeconds: number };
  readonly CRL_EXPIRED: { readonly url: string | null; readonly nextUpdate: string; readonly agoSeconds: number };
  readonly CRL_EXPIRING_CRITICAL: {
    readonly url: string | null;
    readonly nextUpdate: string;
    readonly remainingSeconds: number;
    readonly thresholdSeconds: number;
  };
  readonly CRL_EXPIRING: { readonly url: string | null; readonly nextUpdate: string; readonly remainingSeconds: number; readonly thresholdSeconds: number };
  readonly CRL_NO_NEXT_UPDATE: { readonly url: string | null; readonly thisUpdate: string };
  /** Only `ldap:` (or other non-HTTP) distribution points: named, not fetched. */
  readonly CRL_NOT_FETCHED: { readonly urls: string };
  /** CRL checking was switched off (--no-crl) for a certificate that names a CRL. */
  readonly CRL_NOT_CHECKED: { readonly urls: string };
  /** The staple or the live OCSP answer says good while an authentic CRL lists the certificate. */
  readonly COMPARE_CRL_REVOKED: { readonly source: 'staple' | 'live'; readonly revocationDate: string; readonly reason: RevocationReason | null };
  /** OCSP (staple or live) says revoked while an authentic, current CRL does not list the certificate. */
  readonly COMPARE_CRL_NOT_LISTED: { readonly source: 'staple' | 'live'; readonly url: string | null };
  // --- the connection ---
  readonly TLS_RESOLVE_FAILED: { readonly message: string };
  readonly TLS_CONNECT_FAILED: { readonly message: string };
  readonly TLS_TIMEOUT: { readonly message: string };
  readonly TLS_HANDSHAKE_FAILED: { readonly message: string };
  readonly STARTTLS_NOT_OFFERED: { readonly protocol: StarttlsProtocol; readonly message: string; readonly banner: string | null };
  readonly STARTTLS_FAILED: { readonly protocol: StarttlsProtocol; readonly reason: StarttlsFailure; readonly message: string; readonly banner: string | null };
  readonly TLS_VERSION_UNSUPPORTED: { readonly tlsVersion: TlsVersion };
}

/**
 * One finding as data: a discriminated union over `code`, whose `args` are that code's `FindingArgs`.
 * Wording comes from `renderMessage`, severity and hint from the catalogue. `Finding<C>` is the finding of
 * the codes `C` only.
 */
export type Finding<C extends FindingCode = FindingCode> = {
  readonly [K in C]: {
    readonly code: K;
    readonly severity: Severity;
    readonly args: FindingArgs[K];
    readonly where: readonly Location[];
  };
}[C];

/** The CA's live answer for one certificate, as reports show it. */
export interface LiveReport {
  readonly leafSerial: string;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly durationMs: number;
  readonly redirects: number;
  readonly httpStatus: number | null;
  readonly contentType: string | null;
  readonly error: { readonly kind: HttpFailureKind; readonly message: string } | null;
  /** The decoded answer, when it decoded. */
  readonly response: DecodedResponse | null;
  /** Our certificate's status in a valid answer, else null. */
  readonly certStatus: 'good' | 'revoked' | 'unknown' | null;
  readonly thisUpdate: string | null;
  readonly nextUpdate: string | null;
  readonly signer: string | null;
  /** Decoded, verified (signature, authority, certID, freshness) and so comparable with the staple. */
  readonly valid: boolean;
}

/** One CRL download of a certificate and what it said about it. */
export interface CrlReport {
  readonly url: string;
  /**
   * `revoked` (listed in an authentic CRL that covers the certificate), `not-listed` (absent from an
   * authentic, current, complete one), `unusable` (judged, but not to be trusted: the findings say why),
   * `unavailable` (not downloaded: the findings say why).
   */
  readonly status: 'revoked' | 'not-listed' | 'unusable' | 'unavailable';
  readonly thisUpdate: string | null;
  readonly nextUpdate: string | null;
  /** Entries the CRL lists; null when they could not be walked. */
  readonly entries: number | null;
  /** Size of the download; null when none arrived. */
  readonly bytes: number | null;
  readonly durationMs: number;
}

/** One certificate the target served, judged on its own (a server may hold an RSA and an ECDSA one). */
export interface CertificateReport {
  readonly keyType: KeyType;
  readonly leaf: CertSummary;
  readonly issuer: CertSummary | null;
  readonly mustStaple: boolean;
  /** The offers that got this certificate, in the order first seen. */
  readonly offers: readonly Offer[];
  /** Whether its handshakes carried a staple: in all, in some, in none. */
  readonly stapled: 'always' | 'sometimes' | 'never';
  /** Its CRLs (issue #22): one per http(s) distribution point, when CRL checking is on. */
  readonly crls: readonly CrlReport[];
  /** The verdicts over the findings about this certificate (and the target's that concern every certificate). */
  readonly verdict: Verdict;
  readonly staplingVerdict: Verdict;
}

/** Per-target summary of what the handshakes saw. */
export interface TargetReport {
  readonly target: Target;
  readonly verdict: Verdict;
  /** The verdict over the stapling findings alone (STAPLE_, SIGNER_, LIVE_, COMPARE_): certificate and
   *  connection problems never hide it. */
  readonly staplingVerdict: Verdict;
  readonly leaf: CertSummary | null;
  readonly issuer: CertSummary | null;
  /** Where the issuer came from: --issuer, the served chain, --ca-file, or AIA caIssuers. */
  readonly issuerSource: 'given' | 'served' | 'ca-file' | 'aia' | null;
  readonly mustStaple: boolean;
  /**
   * The server software, from --server, the `Server` header of one `HEAD /`, or over STARTTLS the server's
   * greeting (kept in `header`); null when unknown.
   */
  readonly server: { readonly name: ServerName | null; readonly header: string | null; readonly source: 'flag' | 'header' | 'banner' | null };
  /** The STARTTLS upgrade every handshake spoke first; null for TLS from the first byte. */
  readonly starttls: StarttlsProtocol | null;
  /**
   * The protocol a well-known implicit-TLS port carries (465 smtp, 636 ldap, 990 ftp, 993 imap, 995 pop3, 5223
   * xmpp) when probed without STARTTLS: no `HEAD /` was sent, and the greeting (if any) named the server.
   */
  readonly implicitTls: StarttlsProtocol | null;
  /** The live queries made for the certificates this target served (one per distinct certificate). */
  readonly live: readonly LiveReport[];
  /**
   * Every distinct certificate served, in the order first seen (the default offer's first). `leaf`, `issuer`
   * and `mustStaple` above are the first one's.
   */
  readonly certificates: readonly CertificateReport[];
  readonly addresses: readonly {
    readonly address: string;
    readonly family: 4 | 6;
    readonly attempts: readonly {
      readonly attempt: number;
      readonly tlsVersion: TlsVersion;
      /** What the client hello offered. */
      readonly offer: Offer;
      readonly ok: boolean;
      readonly protocol: string | null;
      readonly cipher: string | null;
      readonly error: TlsFailure | null;
      /** sha256 of the staple, which is decoded once in `Report.staples`. */
      readonly staple: string | null;
      readonly chain: readonly CertSummary[];
      readonly durationMs: number;
    }[];
  }[];
}

/** One distinct staple of a report (or the inspected response): its bytes, their hash, and what they say. */
export interface StapleReport {
  /** SHA-256 of the DER bytes (lowercase hex); attempts refer to the staple by it. */
  readonly sha256: string;
  /** The decoded response; null when the bytes would not decode (STAPLE_MALFORMED). */
  readonly decoded: DecodedResponse | null;
  /**
   * The response's DER exactly as stapled (or read), base64: evidence that `probe inspect` or
   * `openssl ocsp -respin` can judge again.
   */
  readonly der: string;
}

/** The result of judging evidence. Always produced; only programmer errors throw. */
export interface Report {
  readonly schemaVersion: 2;
  readonly kind: 'probe' | 'inspect';
  /** The instant the judgement used. */
  readonly at: string;
  readonly verdict: Verdict;
  /** The verdict over the stapling findings alone; see TargetReport.staplingVerdict. */
  readonly staplingVerdict: Verdict;
  readonly findings: readonly Finding[];
  readonly targets: readonly TargetReport[];
  /** The server software hints are worded for (inspect: --server; probe: the target's), null when unknown. */
  readonly server: ServerName | null;
  /** Each distinct staple (or the inspected response), decoded; null `decoded` when it would not decode. */
  readonly staples: readonly StapleReport[];
}
