import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { equalBytes, toArrayBuffer } from './bytes.js';
import { type Cert, readCertificates } from './certificate.js';
import { findOurResponse } from './cert-id.js';
import type { ParsedSingleResponse } from './decode.js';
import type { SignatureVerifier } from './signature.js';

/** Where the issuer used for verification came from. */
export type IssuerSource = 'given' | 'served' | 'ca-file' | 'aia';

const SIGNED_DATA = '1.2.840.113549.1.7.2';

/**
 * Certificates in an AIA caIssuers body: DER, PEM, or a PKCS#7 certs-only bundle (RFC 5280 §4.2.2.1 allows
 * both DER forms). Anything else yields none.
 */
export function certificatesFromIssuerBody(body: Uint8Array): Uint8Array[] {
  const pem = readCertificates(body);
  if (pem.length !== 1 || pem[0] !== body) return pem;
  try {
    const decoded = asn1js.fromBER(toArrayBuffer(body));
    if (decoded.offset === -1) return [];
    const info = new pkijs.ContentInfo({ schema: decoded.result });
    if (info.contentType !== SIGNED_DATA) return [body];
    const signed = new pkijs.SignedData({ schema: info.content });
    return (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate).map((c) => new Uint8Array(c.toSchema().toBER()));
  } catch {
    // Not a ContentInfo: a bare DER certificate.
    return [body];
  }
}

/** Did `issuer` sign `leaf`? The name must match and the issuer's key must verify the leaf's signature. */
export async function signedBy(leaf: Cert, issuer: Cert, verifier: SignatureVerifier): Promise<boolean> {
  if (!equalBytes(leaf.issuerDer, issuer.subjectDer)) return false;
  const result = await verifier.verify(leaf.signatureAlgorithm, issuer.spki, leaf.tbs, leaf.signature);
  return result.result === 'valid';
}

export interface IssuerChoice {
  readonly issuer: Cert | null;
  readonly source: IssuerSource | null;
  /**
   * A rejected candidate worth reporting: a given issuer that did not sign the leaf (always), or, when no
   * source had the issuer, the first certificate that bore its name without having signed it.
   */
  readonly rejected: { readonly subject: string; readonly source: IssuerSource } | null;
}

/**
 * The issuer to verify staples against, from the sources in order. A candidate that did not sign the leaf
 * is never used: a same-named CA with another key would turn a chain problem into a false "bad signature",
 * or a forged staple into a false ok. The given source may hold several certificates (a full chain, leaf
 * first, as certbot writes `fullchain.pem`): the one that signed the leaf is taken, and the others are not
 * mistakes; only when none of them signed it is one reported (see `rejectedGiven`).
 */
export async function chooseIssuer(
  leaf: Cert,
  sources: readonly { readonly source: IssuerSource; readonly certs: readonly Cert[] }[],
  verifier: SignatureVerifier,
): Promise<IssuerChoice> {
  let rejected: IssuerChoice['rejected'] = null;
  let rejectedGiven: IssuerChoice['rejected'] = null;
  for (const { source, certs } of sources) {
    const named = source === 'given' ? certs : certs.filter((c) => c !== leaf && equalBytes(c.subjectDer, leaf.issuerDer));
    for (const candidate of named) {
      if (await signedBy(leaf, candidate, verifier)) return { issuer: candidate, source, rejected: rejectedGiven };
      if (source !== 'given') rejected ??= { subject: candidate.subject, source };
    }
    if (source === 'given' && named.length > 0) {
      rejectedGiven = { subject: rejectedGivenOf(leaf, named).subject, source };
      rejected ??= rejectedGiven;
    }
  }
  return { issuer: null, source: null, rejected };
}

/**
 * The given certificate to name when none signed the leaf: the one bearing the leaf's issuer name (a CA
 * re-keyed under the same name), else the first that is not the leaf itself, else the first.
 */
function rejectedGivenOf(leaf: Cert, given: readonly Cert[]): Cert {
  const others = given.filter((c) => c.sha256 !== leaf.sha256);
  return others.find((c) => equalBytes(c.subjectDer, leaf.issuerDer)) ?? others[0] ?? (given[0] as Cert);
}

/** The operator's issuer input as a list: one DER certificate, or several (a chain file). */
export function givenIssuers(input: Uint8Array | readonly Uint8Array[] | null | undefined): readonly Uint8Array[] {
  if (!input) return [];
  return input instanceof Uint8Array ? [input] : input;
}

/**
 * Without the certificate the response is for (`inspect` without `--cert`), which of the given certificates
 * is its issuer: the first whose name hash and key hash match a CertID of the response (under the hash the
 * responder used); else the first CA certificate (a full chain's first one is the leaf); else the first.
 * Null when none was given.
 */
export function issuerForResponse(given: readonly Cert[], responses: readonly ParsedSingleResponse[]): Cert | null {
  const matching = given.find((issuer) => findOurResponse(responses, { leaf: null, issuer }) !== null);
  return matching ?? given.find((c) => c.isCA) ?? given[0] ?? null;
}
