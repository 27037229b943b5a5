import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { equalBytes, toArrayBuffer } from './bytes.js';
import { type Cert, readCertificates } from './certificate.js';
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
 * or a forged staple into a false ok.
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
      rejected ??= { subject: candidate.subject, source };
      if (source === 'given') rejectedGiven ??= { subject: candidate.subject, source };
    }
  }
  return { issuer: null, source: null, rejected };
}
