/**
 * @staple-probe/core: check whether a TLS server's OCSP stapling really works.
 *
 * `probe(target) = assess(await collect(target), { now })`: evidence is gathered with I/O at the edge,
 * then judged by pure functions over bytes and an explicit clock.
 * @packageDocumentation
 */

/** Probe a live server, or judge a response held in memory. */
export { probe, inspect, type ProbeOptions, type InspectOptions } from './shell/probe.js';
/** The default of every option, in one place. */
export { DEFAULTS } from './defaults.js';
/** Gather evidence without judging it. */
export { collect, createCollectCache, implicitTlsOf, starttlsOf, type CollectCache, type CollectOptions } from './shell/collect.js';
/** Bounded HTTP used for the live query and AIA fetches; `FetchLike` is the injectable fetch. */
export type { FetchLike, HttpOptions } from './shell/http.js';
/** The HTTP proxy of the downloads: read from HTTP_PROXY, HTTPS_PROXY and NO_PROXY, or given. */
export { bypassesProxy, parseProxyUrl, proxyFor, proxyFromEnv, ProxyError, type ProxyConfig, type ProxyEndpoint } from './shell/proxy.js';
/** Signature verification with a cache of imported keys, shareable across probes. */
export { SignatureVerifier } from './core/signature.js';
/** Resolver type for injecting name resolution. */
export type { Resolver, ResolvedAddress } from './shell/resolve.js';
export { IMPLICIT_TLS_PORTS, STARTTLS_PORTS, STARTTLS_PROTOCOLS, type StarttlsFailure, type StarttlsProtocol } from './shell/starttls.js';
/** Judge evidence at an explicit instant; pure. */
export { assess, verdictOf, staplingVerdictOf, isStaplingCode, mergeReports, type AssessOptions } from './core/assess.js';
/** Decode an OCSPResponse without judging it. */
export { DecodeError } from './core/decode.js';
export { decodeOcspResponse } from './core/decoded-response.js';
/** Read a CRL (DER or PEM) and frame it without decoding its entries; judge one for a certificate. */
export { CrlDecodeError, judgeCrlBytes, parseCrl, readCrl, type CrlContext, type CrlJudgement, type ParsedCrl } from './core/crl.js';
/** Parse `host[:port]` targets. */
export { ipVersion, parseTarget, TargetError } from './core/target.js';
/** Read PEM or DER certificate input. */
export { readCertificates } from './core/certificate.js';
/** The STAPLE_EXPIRING window for one response: --warn-remaining, or a quarter of its validity when shorter. */
export { warnThresholdMs } from './core/freshness.js';
/** The findings catalogue and its types. */
export { FINDINGS, describeFinding, type FindingCode, type FindingInfo, type ServerName } from './findings.js';
export { SERVER_NAMES, SERVERS, type FixTopic, type ServerProfile, type ServiceProtocol } from './servers/index.js';
/** Render the one-line message of a finding. */
export { renderMessage } from './message.js';
/** Report and evidence types. */
export type * from './types.js';
