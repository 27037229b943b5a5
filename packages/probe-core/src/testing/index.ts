/**
 * @staple-probe/core/testing: throwaway PKIs, OCSP responses, CRLs, responders and stapling servers on loopback,
 * the same kit staple-probe's own tests and demo use. It loads @peculiar/x509 and its Reflect polyfill.
 * @packageDocumentation
 */
export { createPki, issue, importKeys, generateKeys, toPem, signingAlgorithm, EKU_OCSP_SIGNING, EKU_SERVER_AUTH } from './pki.js';
export type { Issued, IssueOptions, KeyKind, PkiOptions, TestPki } from './pki.js';
export { buildOcspResponse, buildErrorResponse } from './ocsp.js';
export type { CertIdHashAlg, CrlReasonName, EntrySpec, ErrorStatus, ExtensionSpec, HashAlg, ResponseSpec } from './ocsp.js';
export { buildCrl, bulkSerial } from './crl.js';
export type { CrlEntrySpec, CrlIdpSpec, CrlReasonFlag, CrlSpec } from './crl.js';
export { makeStaple, STAPLE_SCENARIOS, type StapleScenario } from './scenarios.js';
export { startStaplingServer, freePort } from './server.js';
export type { ServedIdentity, StapleSource, StaplingServer, StaplingServerOptions } from './server.js';
export { startResponder, fetchFromResponder, requestFor } from './responder.js';
export type { CertState, Responder, ResponderOptions } from './responder.js';
